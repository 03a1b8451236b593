//! Destruction bundles in the state store (migration 8): each bundle made
//! (month, kecamatan, part, file, its SHA-256), the applications it holds
//! (moved to ARCHIVED in the same transaction) and the requirement scans
//! copied into it, with when each original was deleted under the
//! retention rule.

use chrono::{DateTime, Utc};
use rusqlite::params;
use serde::Serialize;

use super::{Change, Sql, Store, StoreError, Tx, ts};
use crate::domain::application::ApplicationId;
use crate::domain::state::State;

/// Bundles, their applications and their scans.
pub(super) const MIGRATION: &str = r#"
    CREATE TABLE archive_bundles (
        id          INTEGER PRIMARY KEY,
        month       TEXT NOT NULL,
        kecamatan   TEXT NOT NULL,
        part        INTEGER NOT NULL,
        file        TEXT NOT NULL UNIQUE,
        sha256      TEXT NOT NULL,
        encrypted   INTEGER NOT NULL,
        cards       INTEGER NOT NULL,
        created_at  TEXT NOT NULL,
        UNIQUE (month, kecamatan, part)
    );
    CREATE TABLE archive_items (
        application_id  INTEGER PRIMARY KEY REFERENCES applications(id),
        bundle_id       INTEGER NOT NULL REFERENCES archive_bundles(id)
    );
    CREATE TABLE archive_scans (
        bundle_id       INTEGER NOT NULL REFERENCES archive_bundles(id),
        entry           TEXT NOT NULL,
        application_id  INTEGER NOT NULL REFERENCES applications(id),
        stored_path     TEXT NOT NULL,
        sha256          TEXT NOT NULL,
        received_at     TEXT NOT NULL,
        deleted_at      TEXT,
        PRIMARY KEY (bundle_id, entry)
    );
"#;

/// A bundle as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BundleRecord {
    /// Its number.
    pub id: i64,
    /// `2026-11`.
    pub month: String,
    /// Kecamatan (dotted code).
    pub kecamatan: String,
    /// 1 for the month's first bundle of the kecamatan, 2 for a later one
    /// (pickups of that month imported after the first), …
    pub part: u32,
    /// File name under `out/archive/`.
    pub file: String,
    /// SHA-256 of the zip as written.
    pub sha256: String,
    /// AES-256 encrypted.
    pub encrypted: bool,
    /// Cards in it.
    pub cards: u64,
    /// When it was made.
    pub created_at: DateTime<Utc>,
}

/// A requirement scan of an application, as kept under `data/`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Scan {
    /// Document kind.
    pub kind: String,
    /// Where it is, relative to the data folder (a generated name).
    pub stored_path: String,
    /// SHA-256 of the content.
    pub sha256: String,
    /// When it was received.
    pub received_at: DateTime<Utc>,
}

/// A scan copied into a bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BundledScan {
    /// The bundle.
    pub bundle: BundleRecord,
    /// Its name in the bundle.
    pub entry: String,
    /// The application.
    pub application: ApplicationId,
    /// The original, relative to the data folder.
    pub stored_path: String,
    /// SHA-256 of the content.
    pub sha256: String,
}

/// A bundle to record, with what it holds.
#[derive(Debug, Clone)]
pub struct NewBundle<'a> {
    /// `2026-11`.
    pub month: &'a str,
    /// Kecamatan (dotted code).
    pub kecamatan: &'a str,
    /// Part number.
    pub part: u32,
    /// File name under `out/archive/`.
    pub file: &'a str,
    /// SHA-256 of the zip.
    pub sha256: &'a str,
    /// Encrypted or not.
    pub encrypted: bool,
    /// The applications in it (COLLECTED now, ARCHIVED after).
    pub applications: &'a [ApplicationId],
    /// (entry, application, scan) of every scan copied into it.
    pub scans: &'a [(String, ApplicationId, Scan)],
}

const SELECT_BUNDLE: &str = "SELECT b.id, b.month, b.kecamatan, b.part, b.file, b.sha256, b.encrypted, b.cards, b.created_at FROM archive_bundles b";

type BundleRow = (i64, String, String, i64, String, String, bool, i64, String);

impl Store {
    fn bundle_from(&self, row: BundleRow) -> Result<BundleRecord, StoreError> {
        let (id, month, kecamatan, part, file, sha256, encrypted, cards, at) = row;
        Ok(BundleRecord {
            id,
            month,
            kecamatan,
            part: part as u32,
            file,
            sha256,
            encrypted,
            cards: cards as u64,
            created_at: self.ts_col("archive_bundles.created_at", at)?,
        })
    }

    /// Every bundle, oldest first.
    pub fn bundles(&self) -> Result<Vec<BundleRecord>, StoreError> {
        let rows = self.query_all(&format!("{SELECT_BUNDLE} ORDER BY b.id"), [], |r| {
            BundleRow::try_from(r)
        })?;
        rows.into_iter().map(|row| self.bundle_from(row)).collect()
    }

    /// The scans on file for an application (documents with a stored
    /// file; a form's Drive links have none), oldest first.
    pub fn scans(&self, id: ApplicationId) -> Result<Vec<Scan>, StoreError> {
        let rows = self.query_all(
            "SELECT kind, stored_path, sha256, received_at FROM documents
             WHERE application_id = ?1 AND stored_path != '' ORDER BY id",
            [id.0],
            |r| <(String, String, String, String)>::try_from(r),
        )?;
        let mut out = Vec::new();
        for (kind, stored_path, sha256, at) in rows {
            out.push(Scan {
                kind,
                stored_path,
                sha256,
                received_at: self.ts_col("documents.received_at", at)?,
            });
        }
        Ok(out)
    }

    /// Scans in bundles, received before `cutoff` and not deleted yet:
    /// those the retention rule may delete once their bundle checks out.
    pub fn scans_past_retention(
        &self,
        cutoff: DateTime<Utc>,
    ) -> Result<Vec<BundledScan>, StoreError> {
        let rows = self.query_all(
            &format!(
                "{SELECT_BUNDLE_WITH_SCAN} WHERE s.deleted_at IS NULL AND s.received_at < ?1
                 ORDER BY b.id, s.entry"
            ),
            [ts(cutoff)],
            |r| {
                Ok((
                    BundleRow::try_from(r)?,
                    r.get::<_, String>(9)?,
                    r.get::<_, i64>(10)?,
                    r.get::<_, String>(11)?,
                    r.get::<_, String>(12)?,
                ))
            },
        )?;
        let mut out = Vec::new();
        for (b, entry, app, stored_path, sha256) in rows {
            out.push(BundledScan {
                bundle: self.bundle_from(b)?,
                entry,
                application: ApplicationId(app),
                stored_path,
                sha256,
            });
        }
        Ok(out)
    }

    /// How many bundled scans have been deleted under the retention rule.
    pub fn scans_deleted(&self) -> Result<u64, StoreError> {
        self.query_one(
            "SELECT COUNT(*) FROM archive_scans WHERE deleted_at IS NOT NULL",
            [],
            |r| r.get::<_, i64>(0),
        )
        .map(|n| n as u64)
    }
}

const SELECT_BUNDLE_WITH_SCAN: &str = "SELECT b.id, b.month, b.kecamatan, b.part, b.file, b.sha256, b.encrypted, b.cards, b.created_at,
        s.entry, s.application_id, s.stored_path, s.sha256
    FROM archive_scans s JOIN archive_bundles b ON b.id = s.bundle_id";

impl Tx<'_> {
    /// Records a bundle and moves its applications from COLLECTED to
    /// ARCHIVED, all in this transaction.
    pub fn record_bundle(
        &mut self,
        b: &NewBundle<'_>,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        self.exec(
                "INSERT INTO archive_bundles (month, kecamatan, part, file, sha256, encrypted, cards, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    b.month,
                    b.kecamatan,
                    b.part,
                    b.file,
                    b.sha256,
                    b.encrypted,
                    b.applications.len() as i64,
                    ts(at)
                ],
            )?;
        let bundle = self.tx.last_insert_rowid();
        let detail = format!("destruction bundle {}", b.file);
        for id in b.applications {
            self.exec(
                "INSERT INTO archive_items (application_id, bundle_id) VALUES (?1, ?2)",
                params![id.0, bundle],
            )?;
            self.transition(
                *id,
                State::Collected,
                State::Archived,
                &Change {
                    actor,
                    detail: &detail,
                    ..Change::default()
                },
                at,
            )?;
        }
        for (entry, app, scan) in b.scans {
            self.exec(
                    "INSERT INTO archive_scans (bundle_id, entry, application_id, stored_path, sha256, received_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![
                        bundle,
                        entry,
                        app.0,
                        scan.stored_path,
                        scan.sha256,
                        ts(scan.received_at)
                    ],
                )?;
        }
        Ok(bundle)
    }

    /// Records that a bundled scan's original was deleted.
    pub fn scan_deleted(
        &mut self,
        bundle: i64,
        entry: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.exec(
            "UPDATE archive_scans SET deleted_at = ?3 WHERE bundle_id = ?1 AND entry = ?2",
            params![bundle, entry, ts(at)],
        )?;
        Ok(())
    }
}
