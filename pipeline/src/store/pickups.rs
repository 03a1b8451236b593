//! Pickups in the state store (migration 7): who collected which card
//! when and whether the old card was surrendered. The registers already
//! imported are in the applied-files ledger ([`super::FileChannel::Pickups`],
//! by SHA-256, so the same file twice changes nothing).
//! The state change to COLLECTED is written by [`Tx::transition`] in the
//! same transaction as the pickup row.

use chrono::{DateTime, Utc};
use rusqlite::params;
use serde::Serialize;

use super::{SELECT_APPLICATION, Sql, Store, StoreError, Tx, read_application, ts};
use crate::domain::application::{Application, ApplicationId};
use crate::store::Seen;

/// The pickups and the registers read.
pub(super) const MIGRATION: &str = r#"
    CREATE TABLE pickups (
        application_id        INTEGER PRIMARY KEY REFERENCES applications(id),
        picked_up_at          TEXT NOT NULL,
        officer               TEXT NOT NULL,
        old_card_surrendered  INTEGER NOT NULL,
        batch_id              TEXT,
        source                TEXT NOT NULL,
        recorded_at           TEXT NOT NULL
    );
    CREATE INDEX pickups_at ON pickups(picked_up_at);
    -- Moved into applied_files by migration 10.
    CREATE TABLE pickup_files (
        sha256       TEXT PRIMARY KEY,
        name         TEXT NOT NULL,
        imported_at  TEXT NOT NULL,
        summary      TEXT NOT NULL
    );
"#;

/// One card handed to its applicant, as the kecamatan's register says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pickup {
    /// The application.
    pub application: ApplicationId,
    /// When the applicant took the card (UTC).
    pub picked_up_at: DateTime<Utc>,
    /// The kecamatan officer who handed it over.
    pub officer: String,
    /// Whether the applicant surrendered the old card (for destruction).
    pub old_card_surrendered: bool,
    /// The batch the register names, if it names one.
    pub batch: Option<String>,
    /// `register.csv:12`: the register line it came from.
    pub source: String,
}

type PickupRow = (i64, String, String, bool, Option<String>, String);

const SELECT_PICKUP: &str = "SELECT application_id, picked_up_at, officer, old_card_surrendered, batch_id, source FROM pickups";

impl Store {
    fn read_pickups(
        &self,
        tail: &str,
        args: impl rusqlite::Params,
    ) -> Result<Vec<Pickup>, StoreError> {
        let rows = self.query_all(&format!("{SELECT_PICKUP} {tail}"), args, |r| {
            PickupRow::try_from(r)
        })?;
        let mut out = Vec::new();
        for (app, at, officer, surrendered, batch, source) in rows {
            out.push(Pickup {
                application: ApplicationId(app),
                picked_up_at: self.ts_col("pickups.picked_up_at", at)?,
                officer,
                old_card_surrendered: surrendered,
                batch,
                source,
            });
        }
        Ok(out)
    }

    /// The pickup of one application, if it was collected.
    pub fn pickup(&self, id: ApplicationId) -> Result<Option<Pickup>, StoreError> {
        Ok(self
            .read_pickups("WHERE application_id = ?1", [id.0])?
            .pop())
    }

    /// Pickups with `from <= picked_up_at < to`, oldest first.
    pub fn pickups_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Pickup>, StoreError> {
        self.read_pickups(
            "WHERE picked_up_at >= ?1 AND picked_up_at < ?2 ORDER BY picked_up_at, application_id",
            params![ts(from), ts(to)],
        )
    }

    /// Old cards surrendered with a card now COLLECTED: waiting for a
    /// destruction bundle.
    pub fn surrendered_waiting(&self) -> Result<u64, StoreError> {
        self.query_one(
            "SELECT COUNT(*) FROM pickups p JOIN applications a ON a.id = p.application_id
             WHERE p.old_card_surrendered AND a.state = 'COLLECTED'",
            [],
            |r| r.get::<_, i64>(0),
        )
        .map(|n| n as u64)
    }

    /// What a pickup row key was recorded as (see [`Tx::remember`]).
    pub fn seen_key(&self, key: &str) -> Result<Option<Seen>, StoreError> {
        let row: Option<(Option<i64>, Option<i64>)> = self.query_opt(
            "SELECT application_id, quarantine_id FROM intake_seen WHERE key = ?1",
            [key],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(row.and_then(|(app, q)| match (app, q) {
            (Some(a), _) => Some(Seen::Application(ApplicationId(a))),
            (None, Some(q)) => Some(Seen::Quarantine(crate::domain::quarantine::QuarantineId(q))),
            (None, None) => None,
        }))
    }

    /// The applications of one print batch, oldest first.
    pub fn applications_in_batch(&self, batch: &str) -> Result<Vec<Application>, StoreError> {
        self.query_applications("WHERE batch_id = ?1 ORDER BY id", [batch])
    }

    /// The applications with this NIK, oldest first.
    pub fn applications_by_nik(&self, nik: &str) -> Result<Vec<Application>, StoreError> {
        self.query_applications("WHERE nik = ?1 ORDER BY id", [nik])
    }

    fn query_applications(
        &self,
        tail: &str,
        args: impl rusqlite::Params,
    ) -> Result<Vec<Application>, StoreError> {
        let rows = self.query_all(&format!("{SELECT_APPLICATION} {tail}"), args, |r| {
            Ok(read_application(r))
        })?;
        rows.into_iter()
            .map(|row| row.map_err(|(column, value)| self.corrupt(column, value)))
            .collect()
    }
}

impl Tx<'_> {
    /// Records a pickup (the caller moves the application to COLLECTED in
    /// the same transaction).
    pub fn record_pickup(&mut self, p: &Pickup, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.exec(
            "INSERT INTO pickups (application_id, picked_up_at, officer, old_card_surrendered,
                 batch_id, source, recorded_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                p.application.0,
                ts(p.picked_up_at),
                p.officer,
                p.old_card_surrendered,
                p.batch,
                p.source,
                ts(at)
            ],
        )?;
        Ok(())
    }
}
