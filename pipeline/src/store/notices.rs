//! The notice outbox in the state store (migrations 5 and 6). A notice row
//! is written by [`Tx::transition`](super::Tx::transition) in the same
//! transaction as the state change that calls for it, or by
//! [`Store::raise_alert`] for the admin; sending only updates the row
//! (state, attempts, Message-ID), each step in its own commit.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rusqlite::{Row, params};

use super::{Sql, Store, StoreError, Tx, parse_ts, ts};
use crate::domain::application::ApplicationId;
use crate::domain::notice::{Notice, NoticeKind, NoticeState, Refusal, after_refused_send};

/// The outbox.
pub(super) const MIGRATION: &str = r#"
    CREATE TABLE notices (
        id               INTEGER PRIMARY KEY,
        application_id   INTEGER NOT NULL REFERENCES applications(id),
        kind             TEXT NOT NULL,
        state            TEXT NOT NULL DEFAULT 'DUE',
        attempts         INTEGER NOT NULL DEFAULT 0,
        next_attempt_at  TEXT NOT NULL,
        message_id       TEXT UNIQUE,
        created_at       TEXT NOT NULL,
        sent_at          TEXT,
        last_error       TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX notices_state ON notices(state, next_attempt_at);
    CREATE INDEX notices_application ON notices(application_id);
    -- What happened to each notice (QUEUED, SENT, REFUSED, FAILED, SUPERSEDED), append-only
    -- like the event log, so reports can tell when the applicant was told.
    CREATE TABLE notice_events (
        seq        INTEGER PRIMARY KEY AUTOINCREMENT,
        notice_id  INTEGER NOT NULL REFERENCES notices(id),
        at         TEXT NOT NULL,
        event      TEXT NOT NULL,
        detail     TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX notice_events_notice ON notice_events(notice_id, seq);
    CREATE TRIGGER notice_events_append_only_update BEFORE UPDATE ON notice_events
        BEGIN SELECT RAISE(ABORT, 'the notice log is append-only'); END;
    CREATE TRIGGER notice_events_append_only_delete BEFORE DELETE ON notice_events
        BEGIN SELECT RAISE(ABORT, 'the notice log is append-only'); END;
"#;

/// Admin alerts (the daemon's final failures) go through the same outbox:
/// a notice is about an application or about an alert, never both. The
/// outbox is rebuilt because SQLite cannot drop a NOT NULL; ids are kept,
/// so `notice_events` and Message-IDs stay valid (foreign keys are checked
/// after the migration).
pub(super) const MIGRATION_ALERTS: &str = r#"
    CREATE TABLE alerts (
        id          INTEGER PRIMARY KEY,
        job         TEXT NOT NULL,
        raised_at   TEXT NOT NULL,
        message     TEXT NOT NULL
    );
    CREATE TABLE notices_v6 (
        id               INTEGER PRIMARY KEY,
        application_id   INTEGER REFERENCES applications(id),
        alert_id         INTEGER REFERENCES alerts(id),
        kind             TEXT NOT NULL,
        state            TEXT NOT NULL DEFAULT 'DUE',
        attempts         INTEGER NOT NULL DEFAULT 0,
        next_attempt_at  TEXT NOT NULL,
        message_id       TEXT UNIQUE,
        created_at       TEXT NOT NULL,
        sent_at          TEXT,
        last_error       TEXT NOT NULL DEFAULT '',
        CHECK ((application_id IS NULL) <> (alert_id IS NULL))
    );
    INSERT INTO notices_v6 (id, application_id, kind, state, attempts, next_attempt_at,
                            message_id, created_at, sent_at, last_error)
        SELECT id, application_id, kind, state, attempts, next_attempt_at,
               message_id, created_at, sent_at, last_error FROM notices;
    DROP TABLE notices;
    ALTER TABLE notices_v6 RENAME TO notices;
    CREATE INDEX notices_state ON notices(state, next_attempt_at);
    CREATE INDEX notices_application ON notices(application_id);
"#;

/// An alert for the office's admin: a scheduled job failed after every retry.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Alert {
    /// Its number.
    pub id: i64,
    /// The job that failed.
    pub job: String,
    /// When the last retry failed (UTC).
    pub raised_at: DateTime<Utc>,
    /// What the admin is told: the job, the attempts, the last run's message.
    pub message: String,
}

/// One row of a notice's log.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NoticeEvent {
    /// The notice.
    pub notice: i64,
    /// When (UTC).
    pub at: DateTime<Utc>,
    /// `QUEUED`, `SENT`, `REFUSED` (will be retried), `FAILED` or `SUPERSEDED`.
    pub event: String,
    /// The server's answer or the Message-ID.
    pub detail: String,
}

const LOG_NOTICE: &str =
    "INSERT INTO notice_events (notice_id, at, event, detail) VALUES (?1, ?2, ?3, ?4)";

const SELECT_NOTICE: &str = "SELECT id, application_id, kind, state, attempts, next_attempt_at,
    message_id, created_at, sent_at, last_error, alert_id FROM notices";

fn read_notice(r: &Row<'_>) -> rusqlite::Result<Result<Notice, (&'static str, String)>> {
    let kind: String = r.get(2)?;
    let state: String = r.get(3)?;
    let next: String = r.get(5)?;
    let created: String = r.get(7)?;
    let sent: Option<String> = r.get(8)?;
    let (id, app, attempts, message_id, last_error): (
        i64,
        Option<i64>,
        i64,
        Option<String>,
        String,
    ) = (r.get(0)?, r.get(1)?, r.get(4)?, r.get(6)?, r.get(9)?);
    let alert: Option<i64> = r.get(10)?;
    Ok((|| {
        Ok(Notice {
            id,
            application: app.map(ApplicationId),
            alert,
            kind: kind.parse().map_err(|_| ("notices.kind", kind.clone()))?,
            state: state
                .parse()
                .map_err(|_| ("notices.state", state.clone()))?,
            attempts: attempts as u32,
            next_attempt_at: parse_ts(&next).ok_or(("notices.next_attempt_at", next.clone()))?,
            message_id,
            created_at: parse_ts(&created).ok_or(("notices.created_at", created.clone()))?,
            sent_at: match &sent {
                None => None,
                Some(s) => Some(parse_ts(s).ok_or(("notices.sent_at", s.clone()))?),
            },
            last_error,
        })
    })())
}

impl Tx<'_> {
    /// Queues a notice, due at once (called by `transition`).
    pub(super) fn add_notice(
        &mut self,
        id: ApplicationId,
        kind: NoticeKind,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let at = ts(at);
        self.exec(
            "INSERT INTO notices (application_id, kind, next_attempt_at, created_at)
             VALUES (?1, ?2, ?3, ?3)",
            params![id.0, kind.code(), at],
        )?;
        let notice = self.tx.last_insert_rowid();
        self.exec(LOG_NOTICE, params![notice, at, "QUEUED", kind.code()])?;
        Ok(())
    }
}

impl Tx<'_> {
    /// Records that the server accepted a notice, inside a larger
    /// transaction (the sample history marks a night's notices at once).
    pub fn notice_sent(&mut self, id: i64, at: DateTime<Utc>) -> Result<(), StoreError> {
        let n = self.exec(
            "UPDATE notices SET state = 'SENT', sent_at = ?2, attempts = attempts + 1,
             last_error = '' WHERE id = ?1 AND state = 'DUE'",
            params![id, ts(at)],
        )?;
        if n == 1 {
            self.exec(LOG_NOTICE, params![id, ts(at), "SENT", ""])?;
        }
        Ok(())
    }
}

impl Store {
    fn query_notices(
        &self,
        tail: &str,
        args: impl rusqlite::Params,
    ) -> Result<Vec<Notice>, StoreError> {
        let rows = self.query_all(&format!("{SELECT_NOTICE} {tail}"), args, read_notice)?;
        rows.into_iter()
            .map(|row| row.map_err(|(column, value)| self.corrupt(column, value)))
            .collect()
    }

    /// Notices, oldest first, optionally only those in one state.
    pub fn notices(&self, state: Option<NoticeState>) -> Result<Vec<Notice>, StoreError> {
        self.query_notices(
            "WHERE ?1 IS NULL OR state = ?1 ORDER BY id",
            [state.map(NoticeState::code)],
        )
    }

    /// Queues an alert for the admin (`smtp.alert_to`) in the outbox, due
    /// at once, and returns the notice's number.
    pub fn raise_alert(
        &mut self,
        job: &str,
        message: &str,
        at: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        self.write(|tx| {
            let at = ts(at);
            tx.exec(
                "INSERT INTO alerts (job, raised_at, message) VALUES (?1, ?2, ?3)",
                params![job, at, message],
            )?;
            let alert = tx.tx.last_insert_rowid();
            tx.exec(
                "INSERT INTO notices (alert_id, kind, next_attempt_at, created_at)
                 VALUES (?1, ?2, ?3, ?3)",
                params![alert, NoticeKind::AdminAlert.code(), at],
            )?;
            let notice = tx.tx.last_insert_rowid();
            tx.exec(
                LOG_NOTICE,
                params![notice, at, "QUEUED", NoticeKind::AdminAlert.code()],
            )?;
            Ok(notice)
        })
    }

    /// One alert (a notice's `alert`: the foreign key keeps it present).
    pub fn alert(&self, id: i64) -> Result<Alert, StoreError> {
        let row = self.query_opt(
            "SELECT job, raised_at, message FROM alerts WHERE id = ?1",
            [id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            },
        )?;
        let Some((job, raised, message)) = row else {
            return Err(self.corrupt("notices.alert_id", id.to_string()));
        };
        Ok(Alert {
            id,
            job,
            raised_at: self.ts_col("alerts.raised_at", raised)?,
            message,
        })
    }

    /// The notices of one application, oldest first.
    pub fn notices_of(&self, id: ApplicationId) -> Result<Vec<Notice>, StoreError> {
        self.query_notices("WHERE application_id = ?1 ORDER BY id", [id.0])
    }

    /// One notice.
    pub fn notice(&self, id: i64) -> Result<Option<Notice>, StoreError> {
        Ok(self.query_notices("WHERE id = ?1", [id])?.pop())
    }

    /// The notices due for sending at `now`, oldest first.
    pub fn due_notices(&self, now: DateTime<Utc>) -> Result<Vec<Notice>, StoreError> {
        self.query_notices(
            "WHERE state = 'DUE' AND next_attempt_at <= ?1 ORDER BY id",
            [ts(now)],
        )
    }

    /// How many notices are in each state (states with none left out).
    pub fn notice_counts(&self) -> Result<BTreeMap<NoticeState, u64>, StoreError> {
        let rows = self.query_all(
            "SELECT state, COUNT(*) FROM notices GROUP BY state",
            [],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)),
        )?;
        let mut out = BTreeMap::new();
        for (s, n) in rows {
            let state = s.parse().map_err(|_| self.corrupt("notices.state", s))?;
            out.insert(state, n as u64);
        }
        Ok(out)
    }

    /// Fixes a notice's Message-ID before its first send, committed, and
    /// returns the one on record: a retry (even after a crash) reuses it.
    pub fn fix_message_id(&mut self, id: i64, message_id: &str) -> Result<String, StoreError> {
        self.exec(
            "UPDATE notices SET message_id = ?2 WHERE id = ?1 AND message_id IS NULL",
            params![id, message_id],
        )?;
        self.query_opt("SELECT message_id FROM notices WHERE id = ?1", [id], |r| {
            r.get::<_, String>(0)
        })?
        .ok_or_else(|| self.corrupt("notices.id", id.to_string()))
    }

    /// Records that the server accepted a notice (its own commit).
    pub fn notice_sent(&mut self, id: i64, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.write(|tx| tx.notice_sent(id, at))
    }

    /// The log of one notice, in order.
    pub fn notice_events(&self, id: i64) -> Result<Vec<NoticeEvent>, StoreError> {
        let rows = self.query_all(
            "SELECT at, event, detail FROM notice_events WHERE notice_id = ?1 ORDER BY seq",
            [id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            },
        )?;
        let mut out = Vec::new();
        for (at, event, detail) in rows {
            out.push(NoticeEvent {
                notice: id,
                at: self.ts_col("notice_events.at", at)?,
                event,
                detail,
            });
        }
        Ok(out)
    }

    /// Records that a due notice will not be sent because the application
    /// moved on (its own commit, logged with the reason).
    pub fn notice_superseded(
        &mut self,
        id: i64,
        why: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            let n = tx.exec(
                "UPDATE notices SET state = 'SUPERSEDED', last_error = ?2
                 WHERE id = ?1 AND state = 'DUE'",
                params![id, why],
            )?;
            if n == 1 {
                tx.exec(LOG_NOTICE, params![id, ts(at), "SUPERSEDED", why])?;
            }
            Ok(())
        })
    }

    /// Records a refused send: FAILED when `permanent` or when this was
    /// the last allowed attempt, else due again after the backoff. Returns
    /// the notice's new state.
    pub fn notice_attempt_failed(
        &mut self,
        id: i64,
        error: &str,
        permanent: bool,
        at: DateTime<Utc>,
    ) -> Result<NoticeState, StoreError> {
        let attempts: i64 =
            self.query_one("SELECT attempts FROM notices WHERE id = ?1", [id], |r| {
                r.get(0)
            })?;
        // The retry policy is the domain's; the store only records it.
        let Refusal {
            attempts,
            state,
            next_attempt_at,
        } = after_refused_send(attempts as u32, permanent, at);
        let event = match state {
            NoticeState::Failed => "FAILED",
            _ => "REFUSED",
        };
        self.write(|tx| {
            tx.exec(
                    "UPDATE notices SET state = ?2, attempts = ?3, next_attempt_at = ?4, last_error = ?5
                     WHERE id = ?1",
                    params![
                        id,
                        state.code(),
                        attempts,
                        ts(next_attempt_at),
                        error
                    ],
                )?;
            tx.exec(LOG_NOTICE, params![id, ts(at), event, error])?;
            Ok(state)
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeZone};

    use crate::domain::application::{NewApplication, Source};
    use crate::domain::notice::MAX_ATTEMPTS;
    use crate::domain::service::Service;
    use crate::domain::state::State;
    use crate::store::Change;

    use super::*;

    fn at(min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 20, 1, min, 0).unwrap()
    }

    fn app(store: &mut Store, source_ref: &str, email: Option<&str>) -> ApplicationId {
        let new = NewApplication {
            source: Source::Form,
            source_ref: source_ref.into(),
            nik: "3402151708900001".into(),
            kk_number: None,
            name: "Budi Santoso".into(),
            birth_date: NaiveDate::from_ymd_opt(1990, 8, 17),
            service: Service::KtpBaru,
            kecamatan: Some("34.02.15".into()),
            email: email.map(str::to_string),
            phone: None,
            submitted_at: at(0).fixed_offset(),
        };
        store
            .write(|tx| tx.insert_application(&new, "sigap:test", at(0)))
            .unwrap()
    }

    fn change() -> Change<'static> {
        Change {
            actor: "sigap:test",
            ..Change::default()
        }
    }

    #[test]
    fn a_transition_queues_exactly_one_notice() {
        let mut s = Store::open_in_memory().unwrap();
        let id = app(&mut s, "f:1", Some("budi@example.org"));
        s.write(|tx| tx.transition(id, State::Received, State::Incomplete, &change(), at(1)))
            .unwrap();
        let all = s.notices(None).unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(s.notices_of(id).unwrap(), all);
        assert_eq!(all[0].application, Some(id));
        assert_eq!(all[0].alert, None);
        assert_eq!(all[0].kind, NoticeKind::Incomplete);
        assert_eq!(all[0].state, NoticeState::Due);
        assert_eq!(all[0].next_attempt_at, at(1));
        // Back to RECEIVED calls for none.
        s.write(|tx| tx.transition(id, State::Incomplete, State::Received, &change(), at(2)))
            .unwrap();
        assert_eq!(s.notices(None).unwrap().len(), 1);
    }

    #[test]
    fn a_rolled_back_transition_queues_nothing() {
        let mut s = Store::open_in_memory().unwrap();
        let id = app(&mut s, "f:1", Some("budi@example.org"));
        let r: Result<(), StoreError> = s.transaction(false, |tx| {
            tx.transition(id, State::Received, State::Rejected, &change(), at(1))
        });
        r.unwrap();
        assert!(s.notices(None).unwrap().is_empty());
        assert_eq!(s.application(id).unwrap().unwrap().state, State::Received);
    }

    #[test]
    fn without_an_email_there_is_no_notice() {
        let mut s = Store::open_in_memory().unwrap();
        let id = app(&mut s, "f:1", None);
        let blank = app(&mut s, "f:2", Some(" "));
        s.write(|tx| {
            tx.transition(id, State::Received, State::Rejected, &change(), at(1))?;
            tx.transition(blank, State::Received, State::Rejected, &change(), at(1))
        })
        .unwrap();
        assert!(s.notices(None).unwrap().is_empty());
    }

    #[test]
    fn retries_back_off_then_fail_and_the_message_id_stays() {
        let mut s = Store::open_in_memory().unwrap();
        let id = app(&mut s, "f:1", Some("budi@example.org"));
        s.write(|tx| tx.transition(id, State::Received, State::Rejected, &change(), at(1)))
            .unwrap();
        let n = s.due_notices(at(1)).unwrap().remove(0);
        assert_eq!(s.fix_message_id(n.id, "<a@x>").unwrap(), "<a@x>");
        assert_eq!(s.fix_message_id(n.id, "<b@x>").unwrap(), "<a@x>");
        assert_eq!(
            s.notice_attempt_failed(n.id, "421 busy", false, at(2))
                .unwrap(),
            NoticeState::Due
        );
        assert!(s.due_notices(at(6)).unwrap().is_empty(), "backing off");
        assert_eq!(s.due_notices(at(7)).unwrap().len(), 1);
        for _ in 2..MAX_ATTEMPTS {
            s.notice_attempt_failed(n.id, "421 busy", false, at(8))
                .unwrap();
        }
        assert_eq!(
            s.notice_attempt_failed(n.id, "421 busy", false, at(9))
                .unwrap(),
            NoticeState::Failed
        );
        let failed = s.notice(n.id).unwrap().unwrap();
        assert_eq!(
            (failed.attempts, failed.state),
            (MAX_ATTEMPTS, NoticeState::Failed)
        );
        assert_eq!(failed.last_error, "421 busy");
        assert_eq!(s.notice_counts().unwrap()[&NoticeState::Failed], 1);
        let events: Vec<String> = s
            .notice_events(n.id)
            .unwrap()
            .into_iter()
            .map(|e| e.event)
            .collect();
        assert_eq!(events.len(), 1 + MAX_ATTEMPTS as usize);
        assert_eq!(events.first().map(String::as_str), Some("QUEUED"));
        assert_eq!(events.last().map(String::as_str), Some("FAILED"));
        assert_eq!(
            events.iter().filter(|e| *e == "REFUSED").count(),
            MAX_ATTEMPTS as usize - 1
        );
    }

    #[test]
    fn a_sent_notice_is_not_due_again() {
        let mut s = Store::open_in_memory().unwrap();
        let id = app(&mut s, "f:1", Some("budi@example.org"));
        s.write(|tx| tx.transition(id, State::Received, State::NeedsRecording, &change(), at(1)))
            .unwrap();
        let n = s.due_notices(at(1)).unwrap().remove(0);
        s.notice_sent(n.id, at(2)).unwrap();
        assert!(s.due_notices(at(59)).unwrap().is_empty());
        let sent = s.notice(n.id).unwrap().unwrap();
        assert_eq!((sent.state, sent.sent_at), (NoticeState::Sent, Some(at(2))));
        // Marking it again changes nothing and logs nothing.
        s.notice_sent(n.id, at(3)).unwrap();
        let log: Vec<(String, DateTime<Utc>)> = s
            .notice_events(n.id)
            .unwrap()
            .into_iter()
            .map(|e| (e.event, e.at))
            .collect();
        assert_eq!(
            log,
            [("QUEUED".to_string(), at(1)), ("SENT".to_string(), at(2))]
        );
        let rewrite = s.conn.execute("UPDATE notice_events SET event = 'X'", []);
        assert!(rewrite.unwrap_err().to_string().contains("append-only"));
    }

    #[test]
    fn an_alert_is_a_notice_about_no_application() {
        let mut s = Store::open_in_memory().unwrap();
        let n = s
            .raise_alert("verify", "verify failed after 3 attempt(s)", at(5))
            .unwrap();
        let notice = s.notice(n).unwrap().unwrap();
        assert_eq!(notice.application, None);
        assert_eq!(notice.kind, NoticeKind::AdminAlert);
        assert_eq!(notice.state, NoticeState::Due);
        let alert = s.alert(notice.alert.unwrap()).unwrap();
        assert_eq!((alert.job.as_str(), alert.raised_at), ("verify", at(5)));
        assert_eq!(s.due_notices(at(5)).unwrap(), vec![notice]);
        assert_eq!(s.notice_events(n).unwrap()[0].event, "QUEUED");
        // A notice is about an application or an alert, never neither.
        let orphan = s.conn.execute(
            "INSERT INTO notices (kind, next_attempt_at, created_at) VALUES ('REJECTED', 'x', 'x')",
            [],
        );
        assert!(orphan.is_err(), "the CHECK refuses a notice about nothing");
    }

    #[test]
    fn migration_6_keeps_every_notice_its_id_and_its_log() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sigap.db");
        {
            // A database as sigap left it before alerts (schema version 5).
            let c = rusqlite::Connection::open(&path).unwrap();
            for sql in &super::super::MIGRATIONS[..5] {
                c.execute_batch(sql).unwrap();
            }
            c.pragma_update(None, "user_version", 5).unwrap();
            c.execute_batch(
                "INSERT INTO applications (id, source, source_ref, nik, name, service, submitted_at, state, state_since, email)
                 VALUES (7, 'form', 'f:7', '3402151708900001', 'Budi', 'ktp_baru', '2026-11-20T01:00:00Z', 'REJECTED', '2026-11-20T01:00:00Z', 'b@example.org');
                 INSERT INTO notices (id, application_id, kind, state, attempts, next_attempt_at, message_id, created_at, sent_at)
                 VALUES (3, 7, 'REJECTED', 'SENT', 1, '2026-11-20T01:00:00Z', '<notice-3.A-000007@x>', '2026-11-20T01:00:00Z', '2026-11-20T01:01:00Z');
                 INSERT INTO notice_events (notice_id, at, event) VALUES (3, '2026-11-20T01:00:00Z', 'QUEUED'), (3, '2026-11-20T01:01:00Z', 'SENT');",
            )
            .unwrap();
        }
        let mut s = Store::open(&path).unwrap();
        assert_eq!(s.schema_version().unwrap(), super::super::MIGRATIONS.len());
        let n = s.notice(3).unwrap().unwrap();
        assert_eq!(n.application, Some(ApplicationId(7)));
        assert_eq!(n.state, NoticeState::Sent);
        assert_eq!(n.message_id.as_deref(), Some("<notice-3.A-000007@x>"));
        assert_eq!(s.notice_events(3).unwrap().len(), 2);
        // The log still refuses rewrites, and new notices number on.
        assert!(s.conn.execute("DELETE FROM notice_events", []).is_err());
        assert_eq!(s.raise_alert("ingest", "x", at(1)).unwrap(), 4);
        let fk: bool = s
            .conn
            .pragma_query_value(None, "foreign_keys", |r| r.get(0))
            .unwrap();
        assert!(fk, "foreign keys are back on after migrating");
    }
}
