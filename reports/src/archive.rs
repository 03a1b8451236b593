//! Destruction bundles (`sigap archive --month YYYY-MM`): per kecamatan,
//! one zip of the old cards surrendered that month, for the witnessed
//! destruction the SE Mendagri 470.13/11176/SJ practice asks for.
//!
//! A bundle holds, in this order:
//! - `manifest.csv`: no, id_permohonan, nama, alamat, kecamatan,
//!   tanggal_diambil, layanan — one row per card (name and address from the
//!   population database, as on the card);
//! - `berita-acara-pemusnahan.pdf`: the Berita Acara Pemusnahan KTP-el
//!   lama, every card by name and address, with signature blocks for the
//!   dinas officer and the witnesses from Satpol PP, Polri and Inspektorat;
//! - `persyaratan/A-000123-1-<kind>.<ext>`: the application's requirement
//!   scans, under generated names (never the sender's file name);
//! - `SHA256SUMS`: the SHA-256 of every other entry, as `sha256sum -c`
//!   reads it.
//!
//! With `SIGAP_ARCHIVE_PASSPHRASE` set, every entry is AES-256 encrypted
//! (WinZip AE-2, which 7-Zip and most unzip tools open). The zip is written
//! to a private temp file, fsynced and renamed into `out/archive/` (mode
//! 0600); only then are the bundle and the move to ARCHIVED recorded, in
//! one transaction. A crash between the two leaves a file the next run
//! writes again with the same cards.
//!
//! Scans past `archive.scan_retention_days` are deleted from
//! `data/documents/` only after their bundle has been read back whole: the
//! zip's SHA-256 is the one recorded, every entry's sum matches
//! `SHA256SUMS`, and the scan's entry has the scan's recorded SHA-256.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Timelike, Utc};
use sha2::{Digest, Sha256};

use pipeline::adapters::nik_number;
use pipeline::config::Config;
use pipeline::domain::application::{Application, ApplicationId};
use pipeline::domain::service::Service;
use pipeline::domain::state::State;
use pipeline::domain::wilayah::Wilayah;
use pipeline::files::{FileError, create_private, create_private_dir, sync_dir};
use pipeline::ports::{PopulationDb, PopulationError};
use pipeline::print::CardFace;
use pipeline::store::{BundledScan, NewBundle, Scan, Store, StoreError};

use crate::pdf::{Column, Signatory, TableDocument};
use crate::rekap::{OfficeHeading, tanggal};

const ACTOR: &str = "sigap:archive";

/// Names of the bundle's fixed entries.
pub const MANIFEST: &str = "manifest.csv";
/// The Berita Acara's entry name.
pub const BERITA_ACARA: &str = "berita-acara-pemusnahan.pdf";
/// The sums' entry name.
pub const SUMS: &str = "SHA256SUMS";

/// `November 2026`.
pub fn bulan(month: NaiveDate) -> String {
    format!(
        "{} {}",
        pipeline::domain::calendar::MONTHS[month.month0() as usize],
        month.year()
    )
}

/// A bundle or its check failed. Each names the file and what to do.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// The state store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The population database failed.
    #[error(transparent)]
    Population(#[from] PopulationError),
    /// A file could not be written or read.
    #[error(transparent)]
    File(#[from] FileError),
    /// The zip library refused.
    #[error("{}: {source}", path.display())]
    Zip {
        /// The bundle.
        path: PathBuf,
        /// zip's error.
        #[source]
        source: zip::result::ZipError,
    },
    /// A scan on record is missing or changed on disk.
    #[error("{}: requirement scan of {application} is missing or changed (SHA-256 differs from the record); restore it from a backup, then run `sigap archive` again", path.display())]
    ScanChanged {
        /// The scan file.
        path: PathBuf,
        /// Its application.
        application: ApplicationId,
    },
    /// A resident of a bundle is gone from the population database.
    #[error("no population record for {}; the bundle needs each card's name and address (check `sigap applications show`)", ids.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "))]
    RecordsGone {
        /// Applications without a record.
        ids: Vec<ApplicationId>,
    },
}

/// One card in a bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleCard {
    /// `A-000123`.
    pub application_id: String,
    /// Name as on the KK.
    pub name: String,
    /// Street, RT/RW, desa/kelurahan.
    pub address: String,
    /// Kecamatan name.
    pub kecamatan: String,
    /// When the new card was collected and the old one surrendered (office time).
    pub picked_up: NaiveDateTime,
    /// The service.
    pub service: Service,
}

/// The documents of one bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bundle {
    /// First day of the month.
    pub month: NaiveDate,
    /// Kecamatan (dotted code).
    pub kecamatan_code: String,
    /// Kecamatan name.
    pub kecamatan_name: String,
    /// 1, or more for a later bundle of the same month and kecamatan.
    pub part: u32,
    /// The day it is made (office time), for the Berita Acara.
    pub made_on: NaiveDate,
    /// The cards, by pickup time.
    pub cards: Vec<BundleCard>,
}

impl Bundle {
    /// `pemusnahan-2026-11-340215-1.zip`.
    pub fn file_name(&self) -> String {
        format!(
            "pemusnahan-{}-{}-{}.zip",
            self.month.format("%Y-%m"),
            self.kecamatan_code.replace('.', ""),
            self.part
        )
    }

    /// `manifest.csv`.
    pub fn manifest_csv(&self) -> Vec<u8> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let header = [
            "no",
            "id_permohonan",
            "nama",
            "alamat",
            "kecamatan",
            "tanggal_diambil",
            "layanan",
        ];
        // Writing to a Vec cannot fail.
        w.write_record(header).expect("csv into memory");
        for (i, c) in self.cards.iter().enumerate() {
            w.write_record([
                (i + 1).to_string(),
                c.application_id.clone(),
                c.name.clone(),
                c.address.clone(),
                c.kecamatan.clone(),
                c.picked_up.format("%Y-%m-%d %H:%M").to_string(),
                c.service.label().to_string(),
            ])
            .expect("csv into memory");
        }
        w.into_inner().expect("csv into memory")
    }

    /// The Berita Acara Pemusnahan as a document.
    pub fn document(&self, heading: &OfficeHeading) -> TableDocument {
        let n = self.cards.len();
        let month = bulan(self.month);
        let col = |h: &str, w: f32| Column {
            header: h.to_string(),
            width_mm: w,
        };
        let witness = |role: &str, title: &str| Signatory {
            role: role.to_string(),
            title: title.to_string(),
            name: None,
            nip: None,
        };
        TableDocument {
            letterhead: heading.letterhead.clone(),
            title: "BERITA ACARA PEMUSNAHAN KTP-el LAMA".to_string(),
            info: vec![
                (
                    "Nomor".into(),
                    format!(
                        "BA-PMS/{}/{}/{}",
                        self.month.format("%Y-%m"),
                        self.kecamatan_code,
                        self.part
                    ),
                ),
                ("Bulan penyerahan".into(), month.clone()),
                ("Kecamatan".into(), self.kecamatan_name.clone()),
                ("Jumlah".into(), format!("{n} keping KTP-el lama")),
            ],
            running_header: format!(
                "{} · Berita Acara Pemusnahan {} · Kecamatan {}",
                heading.short_name, month, self.kecamatan_name
            ),
            columns: vec![
                col("No", 10.0),
                col("ID Permohonan", 29.0),
                col("Nama", 45.0),
                col("Alamat", 68.0),
                col("Tgl Diambil", 28.0),
            ],
            rows: self
                .cards
                .iter()
                .map(|c| {
                    vec![
                        c.application_id.clone(),
                        c.name.clone(),
                        c.address.clone(),
                        c.picked_up.format("%d-%m-%Y").to_string(),
                    ]
                })
                .collect(),
            totals: vec![
                format!("Jumlah KTP-el lama yang dimusnahkan: {n} keping."),
                format!(
                    "KTP-el lama tersebut diserahkan pemohon saat mengambil KTP-el baru pada bulan {month}"
                ),
                format!(
                    "di Kecamatan {}, dan dimusnahkan dengan cara digunting hingga tidak dapat dipergunakan",
                    self.kecamatan_name
                ),
                "lagi, disaksikan oleh Satpol PP, Polri dan Inspektorat (SE Mendagri 470.13/11176/SJ).".into(),
                "Demikian berita acara ini dibuat dengan sebenarnya untuk dipergunakan sebagaimana mestinya.".into(),
            ],
            place_date: format!("{}, {}", heading.place, tanggal(self.made_on)),
            signatories: vec![
                witness("Yang Memusnahkan,", "Petugas Dinas"),
                witness("Saksi I,", "Satpol PP"),
                witness("Saksi II,", "Polri"),
                witness("Saksi III,", "Inspektorat"),
            ],
            pdf_title: format!("Berita Acara Pemusnahan {}", self.file_name()),
        }
    }

    /// The Berita Acara as PDF bytes.
    pub fn pdf(&self, heading: &OfficeHeading) -> Vec<u8> {
        crate::pdf::render(&self.document(heading))
    }
}

/// One entry to put in a zip: bytes in memory, or a file read while
/// writing (scans can be large) whose SHA-256 must be `sha256`.
#[derive(Debug, Clone)]
pub enum Entry {
    /// Name and content.
    Bytes(String, Vec<u8>),
    /// Name, file, expected SHA-256 and its application (for messages).
    File(String, PathBuf, String, ApplicationId),
}

impl Entry {
    fn name(&self) -> &str {
        match self {
            Entry::Bytes(n, _) | Entry::File(n, _, _, _) => n,
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of a file, lower-case hex.
pub fn file_sha256(path: &Path) -> Result<String, FileError> {
    let mut f = File::open(path).map_err(|e| FileError::new(path, e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = f.read(&mut buf).map_err(|e| FileError::new(path, e))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex(&h.finalize()))
}

/// Writes a bundle: every entry, then `SHA256SUMS` of them, encrypted
/// when a passphrase is given; atomically (private temp file beside the
/// target, fsync, rename, fsync the folder). `modified` is the entries'
/// time, in office time as zip tools show it. Returns the zip's SHA-256.
pub fn write_zip(
    path: &Path,
    entries: &[Entry],
    passphrase: Option<&str>,
    modified: NaiveDateTime,
) -> Result<String, ArchiveError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = write_zip_to(&tmp, path, entries, passphrase, modified);
    if result.is_err() {
        // Half a bundle is worse than none.
        let _ = fs::remove_file(&tmp);
        return result;
    }
    fs::rename(&tmp, path).map_err(|e| {
        let _ = fs::remove_file(&tmp);
        FileError::new(path, e)
    })?;
    sync_dir(dir)?;
    result
}

fn write_zip_to(
    tmp: &Path,
    target: &Path,
    entries: &[Entry],
    passphrase: Option<&str>,
    modified: NaiveDateTime,
) -> Result<String, ArchiveError> {
    let zip_err = |source| ArchiveError::Zip {
        path: target.to_path_buf(),
        source,
    };
    let io_err = |e: std::io::Error| ArchiveError::File(FileError::new(target, e));
    let file = create_private(tmp).map_err(|e| FileError::new(target, e.source))?;
    let mut zip = zip::ZipWriter::new(file);
    let time = zip::DateTime::from_date_and_time(
        modified.year().clamp(1980, 2107) as u16,
        modified.month() as u8,
        modified.day() as u8,
        modified.hour() as u8,
        modified.minute() as u8,
        modified.second() as u8,
    )
    .unwrap_or_default();
    let mut options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(time)
        .unix_permissions(0o600);
    if let Some(p) = passphrase {
        options = options.with_aes_encryption(zip::AesMode::Aes256, p);
    }
    let mut sums = String::new();
    for entry in entries {
        zip.start_file(entry.name(), options).map_err(zip_err)?;
        let mut h = Sha256::new();
        match entry {
            Entry::Bytes(_, bytes) => {
                h.update(bytes);
                zip.write_all(bytes).map_err(io_err)?;
            }
            Entry::File(_, path, want, application) => {
                let mut f = File::open(path).map_err(|_| ArchiveError::ScanChanged {
                    path: path.clone(),
                    application: *application,
                })?;
                let mut buf = vec![0u8; 64 * 1024];
                loop {
                    let n = f.read(&mut buf).map_err(|e| FileError::new(path, e))?;
                    if n == 0 {
                        break;
                    }
                    h.update(&buf[..n]);
                    zip.write_all(&buf[..n]).map_err(io_err)?;
                }
                let got = hex(&h.clone().finalize());
                if got != *want {
                    return Err(ArchiveError::ScanChanged {
                        path: path.clone(),
                        application: *application,
                    });
                }
            }
        }
        sums.push_str(&format!("{}  {}\n", hex(&h.finalize()), entry.name()));
    }
    zip.start_file(SUMS, options).map_err(zip_err)?;
    zip.write_all(sums.as_bytes()).map_err(io_err)?;
    let file = zip.finish().map_err(zip_err)?;
    file.sync_all().map_err(io_err)?;
    drop(file);
    Ok(file_sha256(tmp)?)
}

/// Why a bundle did not check out when read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The file cannot be read.
    #[error("cannot read it: {0}")]
    Unreadable(String),
    /// The file is not the one written.
    #[error("its SHA-256 {found} is not the {recorded} recorded when it was made")]
    Changed {
        /// What the file hashes to.
        found: String,
        /// What was recorded.
        recorded: String,
    },
    /// An entry cannot be read (damaged, or the passphrase is wrong).
    #[error("entry {entry} cannot be read: {why}")]
    Entry {
        /// The entry.
        entry: String,
        /// zip's error.
        why: String,
    },
    /// `SHA256SUMS` is missing or names an entry that is not there.
    #[error("SHA256SUMS is missing or lists {0}, which is not in the bundle")]
    Sums(String),
    /// An entry's content does not match its sum.
    #[error("entry {0} does not match its SHA256SUMS line")]
    Mismatch(String),
    /// The bundle is encrypted and no passphrase is set.
    #[error("it is encrypted; set SIGAP_ARCHIVE_PASSPHRASE to read it back")]
    NeedsPassphrase,
}

/// Reads a bundle back whole: its SHA-256 against `recorded` (when
/// given), every entry against `SHA256SUMS`. Returns entry → SHA-256.
pub fn verify_zip(
    path: &Path,
    recorded: Option<&str>,
    passphrase: Option<&str>,
) -> Result<BTreeMap<String, String>, VerifyError> {
    let found = file_sha256(path).map_err(|e| VerifyError::Unreadable(format!("{e}")))?;
    if let Some(r) = recorded
        && r != found
    {
        return Err(VerifyError::Changed {
            found,
            recorded: r.to_string(),
        });
    }
    let file = File::open(path).map_err(|e| VerifyError::Unreadable(e.to_string()))?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| VerifyError::Unreadable(e.to_string()))?;
    let mut actual = BTreeMap::new();
    let mut sums_text = None;
    for i in 0..zip.len() {
        let encrypted = zip
            .by_index_raw(i)
            .map_err(|e| VerifyError::Unreadable(e.to_string()))?
            .encrypted();
        let entry = match (encrypted, passphrase) {
            (true, None) => return Err(VerifyError::NeedsPassphrase),
            (true, Some(p)) => zip.by_index_decrypt(i, p.as_bytes()),
            (false, _) => zip.by_index(i),
        };
        let mut entry = entry.map_err(|e| VerifyError::Entry {
            entry: format!("#{i}"),
            why: e.to_string(),
        })?;
        let name = entry.name().map(|n| n.to_string()).unwrap_or_default();
        let mut bytes = Vec::new();
        entry
            .read_to_end(&mut bytes)
            .map_err(|e| VerifyError::Entry {
                entry: name.clone(),
                why: e.to_string(),
            })?;
        if name == SUMS {
            sums_text = Some(String::from_utf8_lossy(&bytes).into_owned());
        } else {
            actual.insert(name, hex(&Sha256::digest(&bytes)));
        }
    }
    let sums_text = sums_text.ok_or_else(|| VerifyError::Sums(SUMS.to_string()))?;
    let mut listed = 0;
    for line in sums_text.lines().filter(|l| !l.trim().is_empty()) {
        let (sum, name) = line
            .split_once("  ")
            .ok_or_else(|| VerifyError::Sums(line.to_string()))?;
        match actual.get(name) {
            None => return Err(VerifyError::Sums(name.to_string())),
            Some(s) if s != sum => return Err(VerifyError::Mismatch(name.to_string())),
            Some(_) => listed += 1,
        }
    }
    if listed != actual.len() {
        let unlisted = actual
            .keys()
            .find(|k| !sums_text.contains(&format!("  {k}\n")))
            .cloned()
            .unwrap_or_default();
        return Err(VerifyError::Mismatch(unlisted));
    }
    Ok(actual)
}

/// `A-000123-1-kk.jpg`: a scan's name in the bundle, from the application,
/// its position and kind, and the stored file's extension — all generated
/// or checked here, never the sender's name.
pub fn scan_entry(application: ApplicationId, n: usize, kind: &str, stored_path: &str) -> String {
    let clean = |s: &str, max: usize| -> String {
        s.chars()
            .map(|c| c.to_ascii_lowercase())
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(max)
            .collect()
    };
    let kind = Some(clean(kind, 40))
        .filter(|k| !k.is_empty())
        .unwrap_or_else(|| "dokumen".into());
    let ext = Path::new(stored_path)
        .extension()
        .map(|e| clean(&e.to_string_lossy(), 5))
        .filter(|e| !e.is_empty())
        .unwrap_or_else(|| "bin".into());
    format!("persyaratan/{application}-{n}-{kind}.{ext}")
}

/// The scan's file under the data folder, if its recorded path is a plain
/// relative path (no `..`, not absolute): the database is not trusted to
/// point outside the office.
fn scan_file(config: &Config, stored_path: &str) -> Option<PathBuf> {
    let p = Path::new(stored_path);
    let plain = !stored_path.is_empty()
        && p.components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
    plain.then(|| config.data_dir().join(p))
}

/// The folder of the bundles.
pub fn archive_dir(config: &Config) -> PathBuf {
    config.out_dir().join("archive")
}

/// What `sigap archive` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArchiveReport {
    /// Bundles written: file, cards, scans.
    pub written: Vec<(PathBuf, usize, usize)>,
    /// Bundles already made for the month (nothing new for them).
    pub existing: usize,
    /// Surrendered cards of the month already in a bundle.
    pub already_archived: usize,
    /// Scans deleted under the retention rule.
    pub scans_deleted: usize,
    /// Bundles that did not check out: file and why; their scans are kept.
    pub failed_checks: Vec<(String, String)>,
}

/// The month `[start, end)` in UTC, for a month in the office's timezone.
pub fn month_bounds(config: &Config, month: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let next = month
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(month);
    let offset = config.office.timezone.offset();
    let at = |d: NaiveDate| {
        d.and_hms_opt(0, 0, 0)
            .expect("midnight exists")
            .and_local_timezone(offset)
            .single()
            .expect("a fixed offset has one local time")
            .with_timezone(&Utc)
    };
    (at(month), at(next))
}

/// `sigap archive --month`: one bundle per kecamatan of the cards whose
/// old card was surrendered in `month` (office time) and that are not in a
/// bundle yet; then the retention rule. A second run finds nothing new and
/// writes nothing.
pub fn make_bundles(
    config: &Config,
    store: &mut Store,
    db: &mut dyn PopulationDb,
    month: NaiveDate,
    passphrase: Option<&str>,
    now: DateTime<Utc>,
) -> Result<ArchiveReport, ArchiveError> {
    let mut report = ArchiveReport::default();
    let (from, to) = month_bounds(config, month);
    let month_code = month.format("%Y-%m").to_string();
    let wilayah = Wilayah::embedded();
    let offset = config.office.timezone.offset();
    // The surrendered cards of the month not yet bundled, per kecamatan.
    let mut groups: BTreeMap<String, Vec<(Application, DateTime<Utc>)>> = BTreeMap::new();
    for p in store.pickups_between(from, to)? {
        if !p.old_card_surrendered {
            continue;
        }
        let Some(app) = store.application(p.application)? else {
            return Err(StoreError::NotFound(p.application).into());
        };
        match app.state {
            State::Collected => {
                let kec = app
                    .submitted
                    .kecamatan
                    .clone()
                    .unwrap_or_else(|| "00.00.00".into());
                groups.entry(kec).or_default().push((app, p.picked_up_at));
            }
            _ => report.already_archived += 1,
        }
    }
    let bundles = store.bundles()?;
    report.existing = bundles.iter().filter(|b| b.month == month_code).count();
    if !groups.is_empty() {
        let niks: Vec<u64> = groups
            .values()
            .flatten()
            .filter_map(|(a, _)| nik_number(&a.submitted.nik))
            .collect();
        let details: BTreeMap<u64, CardFace> = db
            .card_details(&niks)?
            .iter()
            .map(|d| (d.nik, CardFace::from_details(d, wilayah)))
            .collect();
        let heading = OfficeHeading::from_config(config);
        let dir = archive_dir(config);
        create_private_dir(&dir)?;
        for (kec, cards) in &groups {
            let kecamatan_name = config
                .kecamatan
                .iter()
                .find(|k| k.code == *kec)
                .map(|k| k.name.clone())
                .or_else(|| wilayah.district(kec).map(|d| d.name.clone()))
                .unwrap_or_else(|| kec.clone());
            let part = bundles
                .iter()
                .filter(|b| b.month == month_code && b.kecamatan == *kec)
                .map(|b| b.part)
                .max()
                .unwrap_or(0)
                + 1;
            let mut missing = Vec::new();
            let mut bundle_cards = Vec::new();
            for (app, at) in cards {
                let Some(face) = nik_number(&app.submitted.nik).and_then(|n| details.get(&n))
                else {
                    missing.push(app.id);
                    continue;
                };
                bundle_cards.push(BundleCard {
                    application_id: app.id.to_string(),
                    name: face.name.clone(),
                    address: format!("{}, RT/RW {}, {}", face.address, face.rt_rw, face.village),
                    kecamatan: kecamatan_name.clone(),
                    picked_up: at.with_timezone(&offset).naive_local(),
                    service: app.submitted.service,
                });
            }
            if !missing.is_empty() {
                return Err(ArchiveError::RecordsGone { ids: missing });
            }
            let bundle = Bundle {
                month,
                kecamatan_code: kec.clone(),
                kecamatan_name: kecamatan_name.clone(),
                part,
                made_on: now.with_timezone(&offset).date_naive(),
                cards: bundle_cards,
            };
            let mut entries = vec![
                Entry::Bytes(MANIFEST.into(), bundle.manifest_csv()),
                Entry::Bytes(BERITA_ACARA.into(), bundle.pdf(&heading)),
            ];
            let mut scans: Vec<(String, ApplicationId, Scan)> = Vec::new();
            for (app, _) in cards {
                for (n, scan) in store.scans(app.id)?.into_iter().enumerate() {
                    let Some(file) = scan_file(config, &scan.stored_path) else {
                        continue;
                    };
                    let entry = scan_entry(app.id, n + 1, &scan.kind, &scan.stored_path);
                    entries.push(Entry::File(
                        entry.clone(),
                        file,
                        scan.sha256.clone(),
                        app.id,
                    ));
                    scans.push((entry, app.id, scan));
                }
            }
            let file = bundle.file_name();
            let path = dir.join(&file);
            let sha = write_zip(
                &path,
                &entries,
                passphrase,
                now.with_timezone(&offset).naive_local(),
            )?;
            let ids: Vec<ApplicationId> = cards.iter().map(|(a, _)| a.id).collect();
            store.write(|tx| {
                tx.record_bundle(
                    &NewBundle {
                        month: &month_code,
                        kecamatan: kec,
                        part,
                        file: &file,
                        sha256: &sha,
                        encrypted: passphrase.is_some(),
                        applications: &ids,
                        scans: &scans,
                    },
                    ACTOR,
                    now,
                )
            })?;
            tracing::info!(
                "{file}: {} card(s), {} scan(s): {}",
                ids.len(),
                scans.len(),
                ids.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            report.written.push((path, ids.len(), scans.len()));
        }
    }
    apply_retention(config, store, passphrase, now, &mut report)?;
    Ok(report)
}

/// Deletes the scans past `archive.scan_retention_days` whose bundle reads
/// back whole (see the module doc); a bundle that does not check out keeps
/// all its scans and is reported.
pub fn apply_retention(
    config: &Config,
    store: &mut Store,
    passphrase: Option<&str>,
    now: DateTime<Utc>,
    report: &mut ArchiveReport,
) -> Result<(), ArchiveError> {
    let days = config.archive.scan_retention_days;
    if days == 0 {
        return Ok(());
    }
    let cutoff = now - chrono::Duration::days(i64::from(days));
    let mut by_bundle: BTreeMap<i64, Vec<BundledScan>> = BTreeMap::new();
    for s in store.scans_past_retention(cutoff)? {
        by_bundle.entry(s.bundle.id).or_default().push(s);
    }
    for scans in by_bundle.values() {
        let bundle = &scans[0].bundle;
        let path = archive_dir(config).join(&bundle.file);
        let checked = verify_zip(&path, Some(&bundle.sha256), passphrase).and_then(|sums| {
            // The scan in the bundle is the scan on record.
            match scans.iter().find(|s| sums.get(&s.entry) != Some(&s.sha256)) {
                Some(s) => Err(VerifyError::Mismatch(s.entry.clone())),
                None => Ok(()),
            }
        });
        if let Err(why) = checked {
            tracing::warn!("{}: {why}; its scans are kept", bundle.file);
            report
                .failed_checks
                .push((bundle.file.clone(), why.to_string()));
            continue;
        }
        let mut deleted = Vec::new();
        for s in scans {
            let Some(file) = scan_file(config, &s.stored_path) else {
                continue;
            };
            match fs::remove_file(&file) {
                Ok(()) => {}
                // Deleted by an earlier run that died before recording it.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(FileError::new(&file, e).into()),
            }
            deleted.push(s.entry.clone());
        }
        store.write(|tx| {
            for entry in &deleted {
                tx.scan_deleted(bundle.id, entry, now)?;
            }
            Ok(())
        })?;
        report.scans_deleted += deleted.len();
    }
    Ok(())
}
