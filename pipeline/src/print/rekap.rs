//! The rekap stage (`sigap rekap`): writes the rekap (PDF + CSV) of every dispatched batch
//! and the Rekap Cetak KTP-el of every day with printed cards, under
//! `out/rekap/`. Files are rewritten only when their content changes, so a
//! re-run on an unchanged office touches nothing.
//!
//! A batch's card data (name, village) is read back from the `cards.csv`
//! sigap wrote into the station's hot folder, after checking it against
//! the SHA-256 recorded at dispatch: the rekap lists exactly what was sent
//! to the printer, without a second population lookup.
//!
//! The PDF and CSV bytes come from a [`RekapRenderer`]
//! (`reports::rekap::Renderer`); this module decides what is due and
//! writes it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::config::Config;
use crate::digest::sha256_hex;
use crate::domain::application::shown_name;
use crate::domain::batch::CardResult;
use crate::domain::service::Service;
use crate::domain::wilayah::Wilayah;
use crate::files::{FileError, create_private_dir, write_atomic_private};
use crate::ports::{Station, StationError};
use crate::print::CardFace;
use crate::store::{BatchCard, Store, StoreError};

/// One card on a batch rekap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RekapCard {
    /// Application id, e.g. `A-000123`.
    pub application_id: String,
    /// Full 16-digit NIK.
    pub nik: String,
    /// Name as on the population record.
    pub name: String,
    /// Village (desa/kelurahan) name.
    pub village: String,
    /// The service the card was printed for.
    pub service: Service,
}

/// One card on the daily Rekap Cetak KTP-el.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrintedCard {
    /// The card.
    pub card: RekapCard,
    /// Pickup kecamatan.
    pub kecamatan: String,
    /// Batch id.
    pub batch_id: String,
    /// Serial of the blanko the card was printed on.
    pub blanko_serial: String,
}

/// A rekap's three files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The A4 PDF for signing.
    pub pdf: Vec<u8>,
    /// The CSV for the kecamatan's register.
    pub csv: Vec<u8>,
    /// The Excel workbook: the PDF's rows, NIKs as text.
    pub xlsx: Vec<u8>,
}

/// Renders the rekaps for the stage; `reports::rekap::Renderer` is the one
/// the `sigap` command passes in.
pub trait RekapRenderer {
    /// The rekap of one print batch for one kecamatan (`date` in office
    /// time), its cards in batch order.
    fn batch(
        &self,
        batch_id: &str,
        date: NaiveDate,
        kecamatan: &str,
        cards: Vec<RekapCard>,
    ) -> Rendered;
    /// The Rekap Cetak KTP-el of one day (office time): the cards printed
    /// and the blanks spoiled.
    fn day(&self, date: NaiveDate, printed: Vec<PrintedCard>, spoiled: usize) -> Rendered;
}

/// A rekap job failure.
#[derive(Debug, thiserror::Error)]
pub enum RekapError {
    /// The state store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The hot folder could not be read.
    #[error(transparent)]
    Station(#[from] StationError),
    /// An output file could not be written (nothing half-written is left).
    #[error(
        "{}: {}; nothing half-written is left: free space on the disk (or fix the folder's permissions) and run `sigap rekap` again",
        .0.path.display(),
        .0.source
    )]
    File(FileError),
    /// A batch's cards.csv is gone or differs from what was dispatched.
    #[error(
        "{path}: {problem}; the rekap of batch {batch} was not written (restore the batch folder from backup, or re-dispatch)"
    )]
    Cards {
        /// The batch.
        batch: String,
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
}

impl From<FileError> for RekapError {
    fn from(e: FileError) -> RekapError {
        RekapError::File(e)
    }
}

/// What the rekap job wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RekapReport {
    /// Files written (new or changed).
    pub written: Vec<PathBuf>,
    /// Files already up to date.
    pub unchanged: usize,
}

/// Writes a rekap's three files, `dir/stem.pdf`, `.csv` and `.xlsx`, each unless it
/// already holds exactly its bytes (a dry run only counts what it would
/// write).
fn write_if_changed(
    dir: &Path,
    stem: &str,
    rendered: &Rendered,
    dry_run: bool,
    report: &mut RekapReport,
) -> Result<(), FileError> {
    for (ext, bytes) in [
        ("pdf", &rendered.pdf),
        ("csv", &rendered.csv),
        ("xlsx", &rendered.xlsx),
    ] {
        let path = dir.join(format!("{stem}.{ext}"));
        if std::fs::read(&path).is_ok_and(|old| old == *bytes) {
            report.unchanged += 1;
            continue;
        }
        if !dry_run {
            write_atomic_private(&path, bytes)?;
        }
        report.written.push(path);
    }
    Ok(())
}

/// The folder the rekap files go to.
pub fn rekap_dir(config: &Config) -> PathBuf {
    config.out_dir().join("rekap")
}

fn read_cards(
    station: &dyn Station,
    batch: &str,
    sha: Option<&str>,
) -> Result<Vec<CardFace>, RekapError> {
    let path = station.cards_path(batch);
    let problem = |p: String| RekapError::Cards {
        batch: batch.to_string(),
        path: path.clone(),
        problem: p,
    };
    let bytes = station
        .cards(batch)?
        .ok_or_else(|| problem("missing".to_string()))?;
    if sha.is_some_and(|s| s != sha256_hex(&bytes)) {
        return Err(problem(
            "changed since dispatch (its SHA-256 differs)".to_string(),
        ));
    }
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    reader
        .deserialize()
        .collect::<Result<Vec<CardFace>, _>>()
        .map_err(|e| problem(format!("unreadable: {e}")))
}

/// Writes every rekap that is missing or out of date; a dry run writes
/// nothing and reports what it would write.
///
/// A batch's rekap is final once written (its cards never change after
/// dispatch), and so is a day's Rekap Cetak once a later day has results
/// (results are stamped when applied). So only missing files and the latest
/// day are rendered: the nightly does not redo the office's whole history.
pub fn write_rekaps(
    config: &Config,
    store: &Store,
    station: &dyn Station,
    renderer: &dyn RekapRenderer,
    dry_run: bool,
) -> Result<RekapReport, RekapError> {
    let dir = rekap_dir(config);
    if !dry_run {
        create_private_dir(&config.out_dir())?;
        create_private_dir(&dir)?;
    }
    let wilayah = Wilayah::embedded();
    let tz = config.office.timezone.offset();
    let kec_name = |code: &str| {
        wilayah
            .district(code)
            .map_or_else(|| code.to_string(), |d| d.name.clone())
    };
    let both_exist = |stem: &str| {
        ["pdf", "csv"]
            .iter()
            .all(|ext| dir.join(format!("{stem}.{ext}")).is_file())
    };
    let mut report = RekapReport::default();

    // The days whose Rekap Cetak is (re)made, and the batches they need.
    let results: Vec<(String, NaiveDate, BatchCard)> = store
        .card_results()?
        .into_iter()
        .filter_map(|(batch, card)| {
            let date = card.result_at?.with_timezone(&tz).date_naive();
            Some((batch, date, card))
        })
        .collect();
    let latest = results.iter().map(|r| r.1).max();
    let all_days = results.iter().map(|r| r.1).collect::<BTreeSet<_>>().len();
    let days_due: BTreeSet<NaiveDate> = results
        .iter()
        .map(|r| r.1)
        .filter(|d| Some(*d) == latest || !both_exist(&cetak_stem(*d)))
        .collect();
    let batches_for_days: BTreeSet<&str> = results
        .iter()
        .filter(|r| days_due.contains(&r.1))
        .map(|r| r.0.as_str())
        .collect();

    let mut faces: BTreeMap<String, BTreeMap<String, CardFace>> = BTreeMap::new();
    for b in store.batches()? {
        let Some(dispatched) = b.dispatched_at else {
            continue;
        };
        let stem = format!("rekap-{}", b.id);
        let rekap_due = !both_exist(&stem);
        if !rekap_due {
            report.unchanged += 2;
            if !batches_for_days.contains(b.id.as_str()) {
                continue;
            }
        }
        let sha = store.batch_sha256(&b.id)?;
        let cards = read_cards(station, &b.id, sha.as_deref())?;
        if rekap_due {
            let mut rekap_cards = Vec::new();
            for c in &cards {
                let id: crate::ApplicationId =
                    c.application_id.parse().map_err(|_| RekapError::Cards {
                        batch: b.id.clone(),
                        path: station.cards_path(&b.id),
                        problem: format!("bad application_id `{}`", c.application_id),
                    })?;
                let service = store
                    .application(id)?
                    .map(|a| a.submitted.service)
                    .ok_or(StoreError::NotFound(id))?;
                rekap_cards.push(RekapCard {
                    application_id: c.application_id.clone(),
                    nik: c.nik.clone(),
                    // Also for a cards.csv written before faces tidied names.
                    name: shown_name(&c.name),
                    village: c.village.clone(),
                    service,
                });
            }
            let rendered = renderer.batch(
                &b.id,
                dispatched.with_timezone(&tz).date_naive(),
                &kec_name(&b.kecamatan),
                rekap_cards,
            );
            write_if_changed(&dir, &stem, &rendered, dry_run, &mut report)?;
        }
        faces.insert(
            b.id.clone(),
            cards
                .into_iter()
                .map(|c| (c.application_id.clone(), c))
                .collect(),
        );
    }

    // Rekap Cetak KTP-el: per day (office time) with any station result.
    let mut days: BTreeMap<NaiveDate, (Vec<PrintedCard>, usize)> = BTreeMap::new();
    for (batch, date, card) in results {
        if !days_due.contains(&date) {
            continue;
        }
        let day = days.entry(date).or_default();
        match card.result {
            Some(CardResult::Printed) => {
                let id = card.application.to_string();
                let Some(face) = faces.get(&batch).and_then(|f| f.get(&id)) else {
                    continue;
                };
                let app = store
                    .application(card.application)?
                    .ok_or(StoreError::NotFound(card.application))?;
                day.0.push(PrintedCard {
                    card: RekapCard {
                        application_id: id,
                        nik: face.nik.clone(),
                        name: shown_name(&face.name),
                        village: face.village.clone(),
                        service: app.submitted.service,
                    },
                    kecamatan: app
                        .submitted
                        .kecamatan
                        .as_deref()
                        .map(&kec_name)
                        .unwrap_or_default(),
                    batch_id: batch.clone(),
                    blanko_serial: card.blanko_serial.clone().unwrap_or_default(),
                });
            }
            Some(CardResult::Spoiled) => day.1 += 1,
            _ => {}
        }
    }
    // Earlier days, final and on file.
    report.unchanged += 2 * (all_days - days_due.len());
    for (date, (printed, spoiled)) in days {
        let stem = cetak_stem(date);
        let rendered = renderer.day(date, printed, spoiled);
        write_if_changed(&dir, &stem, &rendered, dry_run, &mut report)?;
    }
    Ok(report)
}

/// `rekap-cetak-2026-11-26`.
fn cetak_stem(date: NaiveDate) -> String {
    format!("rekap-cetak-{}", date.format("%Y-%m-%d"))
}
