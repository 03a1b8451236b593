//! The archive stage (`sigap archive --month YYYY-MM`): per kecamatan,
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
//!
//! The stage chooses the cards, looks up their names and addresses, writes
//! the file and records the moves; the documents and the zip format are
//! rendered by a [`BundleRenderer`] (`reports::archive::Renderer`), so
//! this crate never depends on the one that renders.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

use crate::adapters::nik_number;
use crate::config::Config;
use crate::domain::application::{Application, ApplicationId};
use crate::domain::service::Service;
use crate::domain::state::State;
use crate::domain::wilayah::Wilayah;
use crate::files::{FileError, create_private_dir, file_sha256, write_atomic_private_with};
use crate::ports::{PopulationDb, PopulationError};
use crate::print::CardFace;
use crate::store::{BundledScan, NewBundle, Scan, Store, StoreError};

const ACTOR: &str = "sigap:archive";

/// Names of the bundle's fixed entries.
pub const MANIFEST: &str = "manifest.csv";
/// The manifest as an Excel workbook (the Berita Acara's rows).
pub const MANIFEST_XLSX: &str = "manifest.xlsx";
/// The Berita Acara's entry name.
pub const BERITA_ACARA: &str = "berita-acara-pemusnahan.pdf";
/// The sums' entry name.
pub const SUMS: &str = "SHA256SUMS";

/// The bytes of a bundle, rendered outside the stage: its documents and
/// the zip container. `reports::archive::Renderer` is the one the `sigap`
/// command passes in.
pub trait BundleRenderer {
    /// `manifest.csv`: one row per card.
    fn manifest_csv(&self, bundle: &Bundle) -> Vec<u8>;
    /// `manifest.xlsx`: the Berita Acara's table as an Excel workbook.
    fn manifest_xlsx(&self, bundle: &Bundle) -> Vec<u8>;
    /// The Berita Acara Pemusnahan as PDF bytes.
    fn berita_acara_pdf(&self, bundle: &Bundle) -> Vec<u8>;
    /// Writes into `out` a zip of the entries `names`, entry `i` filled by
    /// `fill(i, sink)`, then [`SUMS`] of them, every entry AES-256
    /// encrypted when a passphrase is given; `modified` is the entries'
    /// time as zip tools show it. Returns each entry's SHA-256, in order.
    fn write_zip(
        &self,
        out: &mut File,
        names: &[String],
        fill: &mut dyn FnMut(usize, &mut dyn Write) -> Result<(), ArchiveError>,
        passphrase: Option<&str>,
        modified: NaiveDateTime,
    ) -> Result<Vec<String>, ZipFailure>;
    /// Reads every entry of a bundle back: each entry's SHA-256 and the
    /// text of [`SUMS`].
    fn read_zip(&self, file: File, passphrase: Option<&str>) -> Result<ZipContents, VerifyError>;
}

/// Why a [`BundleRenderer::write_zip`] stopped.
#[derive(Debug)]
pub enum ZipFailure {
    /// The zip writer refused.
    Zip(Box<dyn std::error::Error + Send + Sync>),
    /// Writing into the file failed.
    Io(std::io::Error),
    /// Filling an entry failed (its error, as the stage made it).
    Fill(ArchiveError),
}

/// A bundle as read back by [`BundleRenderer::read_zip`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ZipContents {
    /// Every entry but [`SUMS`] → the SHA-256 of its content.
    pub entries: BTreeMap<String, String>,
    /// The text of [`SUMS`], if the bundle has it.
    pub sums: Option<String>,
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
        /// The zip writer's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
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

/// Writes a bundle through `renderer`: every entry, then `SHA256SUMS` of
/// them, encrypted when a passphrase is given; atomically (through
/// [`write_atomic_private_with`]). A scan that is gone or whose SHA-256 is
/// not the recorded one fails the bundle, and nothing of it stays. Returns
/// the zip's SHA-256.
pub fn write_zip(
    renderer: &dyn BundleRenderer,
    path: &Path,
    entries: &[Entry],
    passphrase: Option<&str>,
    modified: NaiveDateTime,
) -> Result<String, ArchiveError> {
    let names: Vec<String> = entries.iter().map(|e| e.name().to_string()).collect();
    let io_err = |e: std::io::Error| ArchiveError::File(FileError::new(path, e));
    write_atomic_private_with(path, |file| {
        let mut fill = |i: usize, sink: &mut dyn Write| -> Result<(), ArchiveError> {
            match &entries[i] {
                Entry::Bytes(_, bytes) => sink.write_all(bytes).map_err(io_err),
                Entry::File(_, scan, _, application) => {
                    let mut f = File::open(scan).map_err(|_| ArchiveError::ScanChanged {
                        path: scan.clone(),
                        application: *application,
                    })?;
                    let mut buf = vec![0u8; 64 * 1024];
                    loop {
                        let n = f.read(&mut buf).map_err(|e| FileError::new(scan, e))?;
                        if n == 0 {
                            return Ok(());
                        }
                        sink.write_all(&buf[..n]).map_err(io_err)?;
                    }
                }
            }
        };
        let sums = renderer
            .write_zip(file, &names, &mut fill, passphrase, modified)
            .map_err(|e| match e {
                ZipFailure::Zip(source) => ArchiveError::Zip {
                    path: path.to_path_buf(),
                    source,
                },
                ZipFailure::Io(e) => io_err(e),
                ZipFailure::Fill(e) => e,
            })?;
        for (entry, got) in entries.iter().zip(&sums) {
            if let Entry::File(_, scan, want, application) = entry
                && got != want
            {
                return Err(ArchiveError::ScanChanged {
                    path: scan.clone(),
                    application: *application,
                });
            }
        }
        Ok(())
    })?;
    // The recorded SHA-256 is the file's as written, read back.
    Ok(file_sha256(path)?)
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
    renderer: &dyn BundleRenderer,
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
    let ZipContents {
        entries: actual,
        sums,
    } = renderer.read_zip(file, passphrase)?;
    let sums_text = sums.ok_or_else(|| VerifyError::Sums(SUMS.to_string()))?;
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
    renderer: &dyn BundleRenderer,
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
                Entry::Bytes(MANIFEST.into(), renderer.manifest_csv(&bundle)),
                Entry::Bytes(MANIFEST_XLSX.into(), renderer.manifest_xlsx(&bundle)),
                Entry::Bytes(BERITA_ACARA.into(), renderer.berita_acara_pdf(&bundle)),
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
                renderer,
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
    apply_retention(config, store, renderer, passphrase, now, &mut report)?;
    Ok(report)
}

/// Deletes the scans past `archive.scan_retention_days` whose bundle reads
/// back whole (see the module doc); a bundle that does not check out keeps
/// all its scans and is reported.
pub fn apply_retention(
    config: &Config,
    store: &mut Store,
    renderer: &dyn BundleRenderer,
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
        let checked =
            verify_zip(renderer, &path, Some(&bundle.sha256), passphrase).and_then(|sums| {
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
