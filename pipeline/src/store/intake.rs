//! What ingest keeps besides applications: quarantine entries and the keys
//! of every input seen (so a repeat is "already known"). The inbox files
//! already read are in the applied-files ledger ([`super::FileChannel::Intake`]).

use chrono::{DateTime, Utc};
use rusqlite::params;
use serde::Serialize;

use super::{Sql, Store, StoreError, Tx, ts};
use crate::domain::application::{ApplicationId, Source};
use crate::domain::quarantine::{QuarantineId, QuarantineReason};
use crate::domain::service::Service;
use crate::domain::state::State;

/// What an input key was recorded as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// It became (or continued) this application.
    Application(ApplicationId),
    /// It was quarantined.
    Quarantine(QuarantineId),
}

/// A quarantine entry to record.
#[derive(Debug, Clone)]
pub struct NewQuarantine<'a> {
    /// Intake channel.
    pub channel: Source,
    /// `file:line`, `file#id`, the message file, or `…#attachment name`.
    pub source: &'a str,
    /// The message's Message-ID (mail only).
    pub message_id: Option<&'a str>,
    /// Why.
    pub reason: QuarantineReason,
    /// What exactly was wrong, in English, with what to do.
    pub detail: &'a str,
    /// The input itself (row, record, message); empty when it is a file
    /// kept under `data/quarantine/`.
    pub raw: &'a [u8],
    /// The kept file, relative to the data folder.
    pub stored_path: Option<&'a str>,
    /// SHA-256 of the kept file.
    pub sha256: Option<&'a str>,
    /// Size of the input in bytes.
    pub size: u64,
}

/// A quarantine entry as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuarantineEntry {
    /// Its id.
    pub id: QuarantineId,
    /// Intake channel.
    pub channel: Source,
    /// Where it came from.
    pub source: String,
    /// The Message-ID (mail only).
    pub message_id: Option<String>,
    /// Why.
    pub reason: QuarantineReason,
    /// What exactly was wrong.
    pub detail: String,
    /// The input itself (empty when kept as a file).
    #[serde(skip)]
    pub raw: Vec<u8>,
    /// The kept file, relative to the data folder.
    pub stored_path: Option<String>,
    /// SHA-256 of the kept file.
    pub sha256: Option<String>,
    /// Size in bytes.
    pub size: u64,
    /// When ingest quarantined it (UTC).
    pub received_at: DateTime<Utc>,
}

const SELECT_QUARANTINE: &str = "SELECT id, channel, source, message_id, reason, detail, raw, stored_path, sha256, size, received_at FROM quarantine";

type QuarantineRow = (
    i64,
    String,
    String,
    Option<String>,
    String,
    String,
    Vec<u8>,
    Option<String>,
    Option<String>,
    i64,
    String,
);

impl Store {
    /// Every quarantine entry, oldest first.
    pub fn quarantine(&self) -> Result<Vec<QuarantineEntry>, StoreError> {
        self.query_quarantine("WHERE ?1 IS NULL ORDER BY id", None)
    }

    /// One quarantine entry.
    pub fn quarantine_entry(
        &self,
        id: QuarantineId,
    ) -> Result<Option<QuarantineEntry>, StoreError> {
        Ok(self
            .query_quarantine("WHERE id = ?1", Some(id.0))?
            .into_iter()
            .next())
    }

    fn query_quarantine(
        &self,
        tail: &str,
        arg: Option<i64>,
    ) -> Result<Vec<QuarantineEntry>, StoreError> {
        let rows = self.query_all(&format!("{SELECT_QUARANTINE} {tail}"), [arg], |r| {
            QuarantineRow::try_from(r)
        })?;
        let mut out = Vec::new();
        for (id, channel, source, message_id, reason, detail, raw, stored_path, sha256, size, at) in
            rows
        {
            out.push(QuarantineEntry {
                id: QuarantineId(id),
                channel: channel
                    .parse()
                    .map_err(|_| self.corrupt("quarantine.channel", channel.clone()))?,
                source,
                message_id,
                reason: reason
                    .parse()
                    .map_err(|_| self.corrupt("quarantine.reason", reason.clone()))?,
                detail,
                raw,
                stored_path,
                sha256,
                size: size as u64,
                received_at: self.ts_col("quarantine.received_at", at)?,
            });
        }
        Ok(out)
    }
}

impl Tx<'_> {
    /// What an input key was recorded as, if it was seen before.
    pub fn seen(&self, key: &str) -> Result<Option<Seen>, StoreError> {
        let row: Option<(Option<i64>, Option<i64>)> = self.query_opt(
            "SELECT application_id, quarantine_id FROM intake_seen WHERE key = ?1",
            [key],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(row.and_then(|(app, q)| match (app, q) {
            (Some(a), _) => Some(Seen::Application(ApplicationId(a))),
            (None, Some(q)) => Some(Seen::Quarantine(QuarantineId(q))),
            (None, None) => None,
        }))
    }

    /// Records what an input key became.
    pub fn remember(
        &mut self,
        key: &str,
        seen: Seen,
        source: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let (app, q) = match seen {
            Seen::Application(a) => (Some(a.0), None),
            Seen::Quarantine(q) => (None, Some(q.0)),
        };
        self.exec(
            "INSERT OR IGNORE INTO intake_seen (key, application_id, quarantine_id, source, seen_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![key, app, q, source, ts(at)],
        )?;
        Ok(())
    }

    /// Whether an application already uses this source reference.
    pub fn source_ref_taken(&self, source_ref: &str) -> Result<bool, StoreError> {
        self.exists(
            "SELECT 1 FROM applications WHERE source_ref = ?1",
            [source_ref],
        )
    }

    /// The newest INCOMPLETE application for this NIK and service: a
    /// resubmission continues it instead of starting a new one.
    pub fn incomplete_application(
        &self,
        nik: &str,
        service: Service,
    ) -> Result<Option<ApplicationId>, StoreError> {
        self.query_opt(
            "SELECT id FROM applications WHERE nik = ?1 AND service = ?2 AND state = ?3
             ORDER BY id DESC LIMIT 1",
            params![nik, service.code(), State::Incomplete.code()],
            |r| r.get::<_, i64>(0),
        )
        .map(|o| o.map(ApplicationId))
    }

    /// Records a quarantine entry and returns its id.
    pub fn add_quarantine(
        &mut self,
        q: &NewQuarantine<'_>,
        at: DateTime<Utc>,
    ) -> Result<QuarantineId, StoreError> {
        self.exec(
            "INSERT INTO quarantine (channel, source, message_id, reason, detail, raw,
                 stored_path, sha256, size, received_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                q.channel.code(),
                q.source,
                q.message_id,
                q.reason.code(),
                q.detail,
                q.raw,
                q.stored_path,
                q.sha256,
                q.size as i64,
                ts(at)
            ],
        )?;
        Ok(QuarantineId(self.tx.last_insert_rowid()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{FileChannel, FileKey, NewAppliedFile};
    use chrono::TimeZone;

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 20, 1, 0, 0).unwrap()
    }

    fn inbox_file<'a>(name: &'a str, sha256: &'a str, mtime_ns: i64) -> NewAppliedFile<'a> {
        NewAppliedFile {
            channel: FileChannel::Intake,
            name,
            sha256,
            summary: "1 input(s)",
            stat: Some((8, mtime_ns)),
        }
    }

    fn file_read(tx: &Tx<'_>, name: &str, sha256: &str) -> Result<bool, StoreError> {
        let key = FileKey::Content { name, sha256 };
        Ok(tx.applied_file(FileChannel::Intake, key)?.is_some())
    }

    fn file_unchanged(
        tx: &Tx<'_>,
        name: &str,
        size: u64,
        mtime_ns: i64,
    ) -> Result<bool, StoreError> {
        let key = FileKey::Unchanged {
            name,
            size,
            mtime_ns,
        };
        Ok(tx.applied_file(FileChannel::Intake, key)?.is_some())
    }

    #[test]
    fn quarantine_entries_keep_their_input_and_keys_are_remembered() {
        let mut s = Store::open_in_memory().unwrap();
        let id = s
            .write(|tx| {
                let id = tx.add_quarantine(
                    &NewQuarantine {
                        channel: Source::Form,
                        source: "forms/a.csv:7",
                        message_id: None,
                        reason: QuarantineReason::EmptyNik,
                        detail: "column NIK is empty",
                        raw: b"\"x\",\"\"\r\n",
                        stored_path: None,
                        sha256: None,
                        size: 8,
                    },
                    at(),
                )?;
                tx.remember("form|k", Seen::Quarantine(id), "forms/a.csv:7", at())?;
                tx.remember_applied_file(&inbox_file("forms/a.csv", "ab", 5), at())?;
                Ok(id)
            })
            .unwrap();
        assert_eq!(id.to_string(), "Q-000001");
        let e = s.quarantine_entry(id).unwrap().unwrap();
        assert_eq!(e.raw, b"\"x\",\"\"\r\n");
        assert_eq!(e.reason, QuarantineReason::EmptyNik);
        s.write(|tx| {
            assert_eq!(tx.seen("form|k")?, Some(Seen::Quarantine(id)));
            assert_eq!(tx.seen("form|other")?, None);
            assert!(file_read(tx, "forms/a.csv", "ab")?);
            assert!(file_unchanged(tx, "forms/a.csv", 8, 5)?);
            assert!(!file_unchanged(tx, "forms/a.csv", 8, 6)?);
            Ok(())
        })
        .unwrap();
    }

    #[test]
    fn a_discarded_write_leaves_nothing() {
        let mut s = Store::open_in_memory().unwrap();
        s.transaction(false, |tx| {
            tx.remember_applied_file(&inbox_file("f", "x", 1), at())
        })
        .unwrap();
        let known = s.write(|tx| file_read(tx, "f", "x")).unwrap();
        assert!(!known);
    }
}
