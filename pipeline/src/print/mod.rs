//! Print batches: which VERIFIED KTP-el applications go to the card printer
//! tonight, grouped by pickup kecamatan, within blanko stock; what goes into
//! the station's hot folder; and what the station's results mean.
//!
//! Planning and the file contents are pure functions; the store records the
//! batches and the ledger (`store::print`), the station is the
//! [`crate::ports::Station`] port (the hot folder its adapter).

pub mod confirm;
pub mod rekap;
pub mod run;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::digest::sha256_hex;
use crate::domain::application::ApplicationId;
use crate::domain::batch::{BatchFiles, BatchManifest, CardResult, PlannedBatch};
use crate::domain::quarantine::QuarantineReason;
use crate::domain::wilayah::Wilayah;

/// A VERIFIED KTP-el application that may be batched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The application.
    pub id: ApplicationId,
    /// Pickup kecamatan (dotted code), if the applicant gave one.
    pub kecamatan: Option<String>,
    /// When the application became complete: its last arrival in RECEIVED
    /// (first submission, or the documents that completed it). A card sent
    /// back by the station keeps its place in the queue.
    pub complete_at: DateTime<Utc>,
}

/// Why a verified application is not in tonight's batches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WaitReason {
    /// Not enough blank cards in stock.
    NoStock,
    /// No pickup kecamatan to send the card to.
    NoPickupKecamatan,
}

impl WaitReason {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            WaitReason::NoStock => "NO_STOCK",
            WaitReason::NoPickupKecamatan => "NO_PICKUP_KECAMATAN",
        }
    }

    /// What it means, for `sigap status`.
    pub fn describe(self) -> &'static str {
        match self {
            WaitReason::NoStock => "no blanko stock (run `sigap blanko receive`)",
            WaitReason::NoPickupKecamatan => {
                "no pickup kecamatan on the application (correct it, then batch)"
            }
        }
    }
}

/// The outcome of planning: batches to create and who waits, and why.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BatchPlan {
    /// Batches to create.
    pub batches: Vec<PlannedBatch>,
    /// Applications left waiting.
    pub waiting: Vec<(ApplicationId, WaitReason)>,
}

impl BatchPlan {
    /// Cards in all planned batches.
    pub fn cards(&self) -> usize {
        self.batches.iter().map(|b| b.applications.len()).sum()
    }

    /// Waiting applications per reason.
    pub fn waiting_counts(&self) -> BTreeMap<WaitReason, usize> {
        let mut out = BTreeMap::new();
        for (_, r) in &self.waiting {
            *out.entry(*r).or_default() += 1;
        }
        out
    }
}

/// Plans tonight's batches. Stock goes to the oldest complete applications
/// first, whatever their kecamatan (first come, first printed); then each
/// kecamatan's cards are cut into batches of at most `batch_size`.
/// `existing` holds the ids of batches already made, so numbers continue.
pub fn plan(
    candidates: &[Candidate],
    available_blanks: u64,
    batch_size: u32,
    date: NaiveDate,
    existing: &BTreeSet<String>,
    wilayah: &Wilayah,
) -> BatchPlan {
    let mut queue: Vec<&Candidate> = candidates.iter().collect();
    queue.sort_by_key(|c| (c.complete_at, c.id));
    let mut plan = BatchPlan::default();
    let mut per_kecamatan: BTreeMap<&str, Vec<ApplicationId>> = BTreeMap::new();
    let mut left = available_blanks;
    for c in queue {
        let Some(kec) = c.kecamatan.as_deref().filter(|k| !k.is_empty()) else {
            plan.waiting.push((c.id, WaitReason::NoPickupKecamatan));
            continue;
        };
        if left == 0 {
            plan.waiting.push((c.id, WaitReason::NoStock));
            continue;
        }
        left -= 1;
        per_kecamatan.entry(kec).or_default().push(c.id);
    }
    let size = batch_size.max(1) as usize;
    let mut taken: BTreeSet<String> = existing.clone();
    for (kec, ids) in per_kecamatan {
        for chunk in ids.chunks(size) {
            let id = next_batch_id(date, kec, &taken, wilayah);
            taken.insert(id.clone());
            plan.batches.push(PlannedBatch {
                id,
                kecamatan: kec.to_string(),
                applications: chunk.to_vec(),
            });
        }
    }
    plan
}

/// `B-20261126-SEWON-1`: the date, the kecamatan's name (so a courier can
/// read it off a folder name) and the first free number.
fn next_batch_id(
    date: NaiveDate,
    kecamatan: &str,
    taken: &BTreeSet<String>,
    wilayah: &Wilayah,
) -> String {
    let name = wilayah
        .district(kecamatan)
        .map_or_else(|| kecamatan.to_string(), |d| d.name.clone());
    let slug: String = name
        .to_uppercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    let prefix = format!("B-{}-{}", date.format("%Y%m%d"), slug);
    (1..)
        .map(|n| format!("{prefix}-{n}"))
        .find(|id| !taken.contains(id))
        .expect("an unbounded range has a free number")
}

/// What the card face needs, from the population record (not from what the
/// applicant typed: the card shows the registered data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardFace {
    /// The application.
    pub application_id: String,
    /// 16-digit NIK.
    pub nik: String,
    /// Name, upper case as on the KK.
    pub name: String,
    /// Place of birth.
    pub birth_place: String,
    /// Date of birth, `DD-MM-YYYY` as printed on a KTP-el.
    pub birth_date: String,
    /// `LAKI-LAKI` or `PEREMPUAN`.
    pub sex: String,
    /// Street / dusun.
    pub address: String,
    /// `003/004`.
    pub rt_rw: String,
    /// Desa/kelurahan name.
    pub village: String,
    /// Kecamatan name.
    pub kecamatan: String,
    /// Religion.
    pub religion: String,
    /// Marital status.
    pub marital_status: String,
    /// Occupation.
    pub occupation: String,
    /// Reference of the applicant's photo, if one is on file.
    pub photo_ref: String,
}

impl CardFace {
    /// The face of a card from its population record; the application id
    /// is filled in when the card is put in a batch ([`run::faces`]).
    pub fn from_details(d: &crate::ports::CardDetails, wilayah: &Wilayah) -> CardFace {
        let village = wilayah
            .villages_of(&d.district_code)
            .into_iter()
            .find(|v| v.code == d.village_code)
            .map_or_else(|| d.village_code.clone(), |v| v.name.to_uppercase());
        let kecamatan = wilayah
            .district(&d.district_code)
            .map_or_else(|| d.district_code.clone(), |k| k.name.to_uppercase());
        CardFace {
            application_id: String::new(),
            nik: format!("{:016}", d.nik),
            name: crate::domain::application::shown_name(&d.name),
            birth_place: d.birth_place.clone(),
            birth_date: d
                .birth_date
                .map(|b| b.format("%d-%m-%Y").to_string())
                .unwrap_or_default(),
            sex: match d.sex.as_str() {
                "L" => "LAKI-LAKI".to_string(),
                "P" => "PEREMPUAN".to_string(),
                other => other.to_string(),
            },
            address: d.address.clone(),
            rt_rw: format!("{}/{}", d.rt, d.rw),
            village,
            kecamatan,
            religion: d.religion.clone(),
            marital_status: d.marital_status.clone(),
            occupation: d.occupation.clone(),
            // The card's photo is the one taken at perekaman, which the
            // station fetches from the biometric record by NIK; no profile
            // has a photo document kind to point to instead.
            photo_ref: String::new(),
        }
    }
}

/// The header of `cards.csv`, in column order.
pub const CARDS_CSV_HEADER: [&str; 14] = [
    "application_id",
    "nik",
    "name",
    "birth_place",
    "birth_date",
    "sex",
    "address",
    "rt_rw",
    "village",
    "kecamatan",
    "religion",
    "marital_status",
    "occupation",
    "photo_ref",
];

// Built here, from the card faces; the type is the domain's, shared with
// the station port.
impl BatchFiles {
    /// Builds the files of a batch. The same batch gives the same bytes.
    pub fn new(
        batch_id: &str,
        office: (&str, &str),
        kecamatan: (&str, &str),
        created_at: DateTime<Utc>,
        cards: &[CardFace],
    ) -> BatchFiles {
        // The header is written by hand (serde would only write it with the
        // first card), so an empty batch still has one.
        let mut w = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(Vec::new());
        // Writing to memory cannot fail.
        w.write_record(CARDS_CSV_HEADER).expect("csv into memory");
        for c in cards {
            w.serialize(c).expect("csv into memory");
        }
        let cards_csv = w.into_inner().expect("csv into memory");
        BatchFiles {
            manifest: BatchManifest {
                batch_id: batch_id.to_string(),
                office: office.0.to_string(),
                office_name: office.1.to_string(),
                kecamatan: kecamatan.0.to_string(),
                kecamatan_name: kecamatan.1.to_string(),
                created_at: created_at.to_rfc3339(),
                card_count: cards.len(),
                cards_sha256: sha256_hex(&cards_csv),
            },
            cards_csv,
        }
    }
}

/// The header of a station results file.
pub const RESULTS_CSV_HEADER: [&str; 5] =
    ["application_id", "nik", "result", "blanko_serial", "reason"];

/// One line of a results file that reads correctly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultLine {
    /// Line number in the file (header is line 1).
    pub line: usize,
    /// The card's application.
    pub application: ApplicationId,
    /// NIK as written (checked against the batch).
    pub nik: String,
    /// The result.
    pub result: CardResult,
    /// Blanko serial (required when printed or spoiled).
    pub blanko_serial: String,
    /// Why it was spoiled or failed.
    pub reason: String,
}

/// A line or file of station results that cannot be applied, kept whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RejectedResult {
    /// `results/<file>:<line>` (line 0 for the whole file).
    pub source: String,
    /// Why.
    pub reason: QuarantineReason,
    /// What is wrong and what to do, in English for the operator.
    pub message: String,
    /// The raw line (or file) as read.
    pub raw: String,
}

/// Reads a results file: good lines, and rejected ones with the reason.
/// A file without the expected header is rejected whole.
pub fn parse_results(name: &str, bytes: &[u8]) -> (Vec<ResultLine>, Vec<RejectedResult>) {
    let text = crate::text::decode(bytes);
    let text: &str = &text;
    let mut lines = Vec::new();
    let mut rejected = Vec::new();
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let header_ok = reader.headers().is_ok_and(|h| {
        h.iter()
            .map(str::trim)
            .map(str::to_ascii_lowercase)
            .eq(RESULTS_CSV_HEADER.iter().map(|s| s.to_string()))
    });
    if !header_ok {
        rejected.push(RejectedResult {
            source: format!("{name}:1"),
            reason: QuarantineReason::MalformedResult,
            message: format!(
                "{name}: the first line must be the header `{}`; ask the station to export results in this format",
                RESULTS_CSV_HEADER.join(",")
            ),
            raw: text.to_string(),
        });
        return (lines, rejected);
    }
    for record in reader.records() {
        let (line, raw, outcome) = match record {
            Err(e) => {
                let line = e.position().map_or(0, |p| line_at(text, p.byte()));
                (line, String::new(), Err(format!("unreadable CSV: {e}")))
            }
            Ok(r) => {
                let line = r.position().map_or(0, |p| line_at(text, p.byte()));
                let raw = r.iter().collect::<Vec<_>>().join(",");
                (line, raw, read_result_line(line, &r))
            }
        };
        match outcome {
            Ok(l) => lines.push(l),
            Err(message) => rejected.push(RejectedResult {
                source: format!("{name}:{line}"),
                reason: QuarantineReason::MalformedResult,
                message: format!("{name} line {line}: {message}"),
                raw,
            }),
        }
    }
    (lines, rejected)
}

/// The 1-based line where a record starts. After a CRLF line end the csv
/// crate puts a record's start at the LF (and counts lines one short), so
/// line-end bytes at the offset belong to the line before.
fn line_at(text: &str, byte: u64) -> usize {
    let bytes = text.as_bytes();
    let mut end = (byte as usize).min(bytes.len());
    while end < bytes.len() && (bytes[end] == b'\n' || bytes[end] == b'\r') {
        end += 1;
    }
    bytes[..end].iter().filter(|&&b| b == b'\n').count() + 1
}

fn read_result_line(line: usize, r: &csv::StringRecord) -> Result<ResultLine, String> {
    if r.len() != RESULTS_CSV_HEADER.len() {
        return Err(format!(
            "{} fields, expected {} ({})",
            r.len(),
            RESULTS_CSV_HEADER.len(),
            RESULTS_CSV_HEADER.join(",")
        ));
    }
    let application: ApplicationId = r[0].trim().parse().map_err(|_| {
        format!(
            "field application_id: `{}` is not an application id like A-000123",
            &r[0]
        )
    })?;
    let result = CardResult::parse(&r[2]).ok_or_else(|| {
        format!(
            "field result: `{}` is not PRINTED, SPOILED or FAILED",
            &r[2]
        )
    })?;
    let serial = r[3].trim().to_string();
    if serial.is_empty() && result != CardResult::Failed {
        return Err(format!(
            "field blanko_serial: a {} card needs the serial of the blank it used",
            result.code()
        ));
    }
    Ok(ResultLine {
        line,
        application,
        nik: r[1].trim().to_string(),
        result,
        blanko_serial: serial,
        reason: r[4].trim().to_string(),
    })
}

/// Writes a results file's bytes (the station operator's side).
pub fn results_csv(lines: &[(String, String, CardResult, String, String)]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(RESULTS_CSV_HEADER).expect("csv into memory");
    for (id, nik, result, serial, reason) in lines {
        w.write_record([id.as_str(), nik, result.code(), serial, reason])
            .expect("csv into memory");
    }
    w.into_inner().expect("csv into memory")
}
