//! The state store: one SQLite file per office (`data/sigap.db`).
//!
//! - WAL journal and foreign keys on; versioned migrations run on open.
//! - Every state change is written together with its row in the
//!   append-only event log, in one transaction; triggers refuse any UPDATE
//!   or DELETE of the log, so it is never rewritten.
//! - A transition names the state it expects to move from: an illegal move
//!   or a stale expectation is an error, never a silent overwrite.
//! - The file (and SQLite's -wal/-shm beside it) is mode 0600.
//!
//! Callers pass the time (`at`) in; the store never reads the clock, so
//! tests and the scheduler control it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension, Params, Row, TransactionBehavior, params};
use serde::Serialize;

use crate::domain::application::{Application, ApplicationId, NewApplication, Source};
use crate::domain::outcome::Outcome;
use crate::domain::service::Service;
use crate::domain::state::{IllegalTransition, State};
use crate::files::{FileError, create_private, set_private};

mod applied;
mod archive;
mod classify;
mod intake;
mod mailbox;
mod notices;
mod pickups;
mod print;
mod sla;

pub use applied::{AppliedFile, FileChannel, FileKey, KnownBy, NewAppliedFile};
pub use archive::{BundleRecord, BundledScan, NewBundle, Scan};
pub use classify::UnclassifiedDocument;
pub use intake::{NewQuarantine, QuarantineEntry, Seen};
pub use mailbox::MailboxState;
pub use notices::{Alert, NoticeEvent};
pub use pickups::Pickup;
pub use print::{BatchCard, BatchRecord};

/// How long a process waits for another one holding the database.
const BUSY_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// Runs `f` again while SQLite answers BUSY, up to [`BUSY_WAIT`]. Switching
/// a new database to WAL answers BUSY at once, without SQLite's busy
/// handler, while another process is opening the same file.
fn busy_retry<T>(mut f: impl FnMut() -> rusqlite::Result<T>) -> rusqlite::Result<T> {
    let start = std::time::Instant::now();
    loop {
        match f() {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy && start.elapsed() < BUSY_WAIT =>
            {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            other => return other,
        }
    }
}

/// Schema versions, applied in order; `PRAGMA user_version` records how
/// many have run. Append new ones; never edit a released one.
const MIGRATIONS: &[&str] = &[
    // 1: applications, their event log, job runs.
    r#"
    CREATE TABLE applications (
        id            INTEGER PRIMARY KEY,
        source        TEXT NOT NULL,
        source_ref    TEXT NOT NULL UNIQUE,
        nik           TEXT NOT NULL,
        kk_number     TEXT,
        name          TEXT NOT NULL,
        birth_date    TEXT,
        service       TEXT NOT NULL,
        kecamatan     TEXT,
        email         TEXT,
        phone         TEXT,
        submitted_at  TEXT NOT NULL,
        state         TEXT NOT NULL,
        state_since   TEXT NOT NULL,
        reasons       TEXT NOT NULL DEFAULT '[]',
        batch_id      TEXT
    );
    CREATE INDEX applications_state ON applications(state);
    CREATE INDEX applications_nik ON applications(nik);

    CREATE TABLE events (
        seq             INTEGER PRIMARY KEY AUTOINCREMENT,
        application_id  INTEGER NOT NULL REFERENCES applications(id),
        from_state      TEXT,
        to_state        TEXT NOT NULL,
        at              TEXT NOT NULL,
        actor           TEXT NOT NULL,
        detail          TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX events_application ON events(application_id, seq);
    CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
    CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;

    CREATE TABLE job_runs (
        id           INTEGER PRIMARY KEY,
        job          TEXT NOT NULL,
        started_at   TEXT NOT NULL,
        finished_at  TEXT,
        outcome      TEXT NOT NULL,
        counters     TEXT NOT NULL DEFAULT '{}',
        message      TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX job_runs_job ON job_runs(job, id);
    "#,
    // 2: documents attached to applications (the files live under data/).
    r#"
    CREATE TABLE documents (
        id              INTEGER PRIMARY KEY,
        application_id  INTEGER NOT NULL REFERENCES applications(id),
        kind            TEXT NOT NULL,
        original_name   TEXT NOT NULL,
        stored_path     TEXT NOT NULL,
        sha256          TEXT NOT NULL,
        size            INTEGER NOT NULL,
        source_ref      TEXT NOT NULL,
        received_at     TEXT NOT NULL,
        UNIQUE (application_id, sha256)
    );
    CREATE INDEX documents_application ON documents(application_id);
    "#,
    // 3: intake: what was quarantined, which inputs were seen, which files read.
    r#"
    CREATE TABLE quarantine (
        id           INTEGER PRIMARY KEY,
        channel      TEXT NOT NULL,
        source       TEXT NOT NULL,
        message_id   TEXT,
        reason       TEXT NOT NULL,
        detail       TEXT NOT NULL,
        raw          BLOB NOT NULL,
        stored_path  TEXT,
        sha256       TEXT,
        size         INTEGER NOT NULL,
        received_at  TEXT NOT NULL
    );
    CREATE TABLE intake_seen (
        key             TEXT PRIMARY KEY,
        application_id  INTEGER REFERENCES applications(id),
        quarantine_id   INTEGER REFERENCES quarantine(id),
        source          TEXT NOT NULL,
        seen_at         TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE intake_files (
        path      TEXT NOT NULL,
        sha256    TEXT NOT NULL,
        size      INTEGER NOT NULL,
        mtime_ns  INTEGER NOT NULL,
        items     INTEGER NOT NULL,
        read_at   TEXT NOT NULL,
        PRIMARY KEY (path, sha256)
    );
    -- Not on state: every transition would rewrite this index entry too
    -- (measured: a third of verify's write time at 100,000 decisions).
    CREATE INDEX applications_nik_service ON applications(nik, service);
    "#,
    // 4: print batches, their cards, the blanko ledger, station results applied.
    print::MIGRATION,
    // 5: the notice outbox.
    notices::MIGRATION,
    // 6: admin alerts, sent through the notice outbox.
    notices::MIGRATION_ALERTS,
    // 7: pickups (COLLECTED, old card surrendered) and the registers read.
    pickups::MIGRATION,
    // 8: destruction bundles (ARCHIVED), their scans and the retention deletions.
    archive::MIGRATION,
    // 9: station results files known by name and content.
    print::MIGRATION_RESULTS_BY_NAME,
    // 10: one applied-files ledger for inbox files, pickup registers and station results.
    applied::MIGRATION,
    // 11: where ingest stopped in a mailbox on a server (IMAP UIDVALIDITY and UID).
    mailbox::MIGRATION,
];

/// A state-store failure. Illegal and stale transitions are errors of
/// their own so callers can tell them from I/O.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database file could not be created.
    #[error(transparent)]
    File(#[from] FileError),
    /// SQLite failed.
    #[error("state database {}", path.display())]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// SQLite's error.
        #[source]
        source: rusqlite::Error,
    },
    /// The database was written by a newer sigap.
    #[error("state database {} has schema version {found}, newer than this sigap ({known}); upgrade sigap", path.display())]
    TooNew {
        /// The database file.
        path: PathBuf,
        /// Its version.
        found: usize,
        /// The newest this build knows.
        known: usize,
    },
    /// The flow does not allow this move.
    #[error("{id}: {rule}")]
    Illegal {
        /// The application.
        id: ApplicationId,
        /// Which rule.
        rule: IllegalTransition,
    },
    /// The application is not in the state the caller expected (someone
    /// else moved it first).
    #[error("{id} is {actual}, not {expected} as expected; nothing was changed")]
    Stale {
        /// The application.
        id: ApplicationId,
        /// What the caller expected.
        expected: State,
        /// What it is.
        actual: State,
    },
    /// No application with this id.
    #[error("no application {0}")]
    NotFound(ApplicationId),
    /// A batch wanted more blanks than are in stock.
    #[error(
        "{wanted} blanko wanted, {available} available; receive stock with `sigap blanko receive N --ref R`"
    )]
    NoStock {
        /// Blanks wanted.
        wanted: u64,
        /// Blanks in stock.
        available: u64,
    },
    /// A stored value could not be read back (the file was edited by hand?).
    #[error("state database {}: bad value in {column}: {value}", path.display())]
    Corrupt {
        /// The database file.
        path: PathBuf,
        /// Column.
        column: &'static str,
        /// The value.
        value: String,
    },
}

/// One row of the event log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    /// Position in the log.
    pub seq: i64,
    /// The application.
    pub application: ApplicationId,
    /// State before (`None` for the first event).
    pub from: Option<State>,
    /// State after.
    pub to: State,
    /// When (UTC).
    pub at: DateTime<Utc>,
    /// Who: `sigap:<job>` or `operator:<name>`.
    pub actor: String,
    /// Free text (reasons, batch, decision).
    pub detail: String,
}

/// One run of a job, for the history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobRun {
    /// Run number.
    pub id: i64,
    /// Job name (`ingest`, `verify`, `nightly`, …).
    pub job: String,
    /// Start (UTC).
    pub started_at: DateTime<Utc>,
    /// End (UTC), once finished.
    pub finished_at: Option<DateTime<Utc>>,
    /// How it ended.
    pub outcome: Outcome,
    /// What it counted (read, new, quarantined, …).
    pub counters: BTreeMap<String, i64>,
    /// A line for people.
    pub message: String,
}

/// What a transition records besides the new state.
#[derive(Debug, Clone, Default)]
pub struct Change<'a> {
    /// Who: `sigap:<job>` or `operator:<name>`.
    pub actor: &'a str,
    /// Free text for the event log.
    pub detail: &'a str,
    /// New reason codes (replacing the old), if any.
    pub reasons: Option<&'a [String]>,
    /// Batch to set (`Some(None)` clears it).
    pub batch: Option<Option<&'a str>>,
}

/// A document kept for an application: the file under `data/` and what
/// is known of it. The sender's file name is data, never a path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Document {
    /// The application it belongs to.
    pub application: ApplicationId,
    /// Document kind, a key of the profile's `[documents]`.
    pub kind: String,
    /// The name the sender gave it (as data only).
    pub original_name: String,
    /// Where sigap stored it, relative to the data folder (a generated name).
    pub stored_path: String,
    /// SHA-256 of the content, lower-case hex.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
    /// The input it came with (`file:line`, Message-ID, app id).
    pub source_ref: String,
}

/// The office's state database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

/// Statements run through here get the database path in their error, so
/// the store turns a rusqlite error into a [`StoreError`] in one place
/// instead of at every call. Implemented by [`Store`] and [`Tx`]; statements
/// are cached (the same few run once per row in a large run).
trait Sql {
    /// The connection (a transaction derefs to one).
    fn conn(&self) -> &Connection;
    /// The database file, for errors.
    fn path(&self) -> &Path;

    /// SQLite's error with the database path.
    fn err(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.path().to_path_buf(),
            source,
        }
    }

    /// A value the database holds that does not read back.
    fn corrupt(&self, column: &'static str, value: String) -> StoreError {
        StoreError::Corrupt {
            path: self.path().to_path_buf(),
            column,
            value,
        }
    }

    /// `r` with its error given the database path: the one conversion.
    fn ctx<T>(&self, r: rusqlite::Result<T>) -> Result<T, StoreError> {
        r.map_err(|e| self.err(e))
    }

    /// Runs one statement; returns the rows it changed.
    fn exec(&self, sql: &str, params: impl Params) -> Result<usize, StoreError> {
        self.ctx(
            self.conn()
                .prepare_cached(sql)
                .and_then(|mut st| st.execute(params)),
        )
    }

    /// Every row of a query, each mapped by `f`.
    fn query_all<T>(
        &self,
        sql: &str,
        params: impl Params,
        f: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>, StoreError> {
        self.ctx(
            self.conn()
                .prepare_cached(sql)
                .and_then(|mut st| st.query_map(params, f)?.collect()),
        )
    }

    /// Every row of a query mapped by `f` and handed to `each` as it is
    /// read, for a result too large to collect first.
    fn query_each<T>(
        &self,
        sql: &str,
        params: impl Params,
        f: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
        mut each: impl FnMut(T) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut st = self.ctx(self.conn().prepare_cached(sql))?;
        for row in self.ctx(st.query_map(params, f))? {
            each(self.ctx(row)?)?;
        }
        Ok(())
    }

    /// The first row of a query mapped by `f`, if there is one.
    fn query_opt<T>(
        &self,
        sql: &str,
        params: impl Params,
        f: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Option<T>, StoreError> {
        self.ctx(
            self.conn()
                .prepare_cached(sql)
                .and_then(|mut st| st.query_row(params, f).optional()),
        )
    }

    /// The one row of a query that always has one (an aggregate).
    fn query_one<T>(
        &self,
        sql: &str,
        params: impl Params,
        f: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        self.ctx(
            self.conn()
                .prepare_cached(sql)
                .and_then(|mut st| st.query_row(params, f)),
        )
    }

    /// Whether a query has any row.
    fn exists(&self, sql: &str, params: impl Params) -> Result<bool, StoreError> {
        self.ctx(
            self.conn()
                .prepare_cached(sql)
                .and_then(|mut st| st.exists(params)),
        )
    }

    /// A timestamp column's value, or the error naming the column and the
    /// value when it does not read as one.
    fn ts_col(&self, column: &'static str, value: String) -> Result<DateTime<Utc>, StoreError> {
        parse_ts(&value).ok_or_else(|| self.corrupt(column, value))
    }

    /// [`Sql::ts_col`] for a column that may be NULL.
    fn opt_ts_col(
        &self,
        column: &'static str,
        value: Option<String>,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        value.map(|v| self.ts_col(column, v)).transpose()
    }
}

impl Sql for Store {
    fn conn(&self) -> &Connection {
        &self.conn
    }
    fn path(&self) -> &Path {
        &self.path
    }
}

impl Sql for Tx<'_> {
    fn conn(&self) -> &Connection {
        &self.tx
    }
    fn path(&self) -> &Path {
        &self.path
    }
}

fn ts(at: DateTime<Utc>) -> String {
    // `%Y-%m-%dT%H:%M:%S%.6fZ`, without parsing a format string on every row.
    at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

impl Store {
    /// Opens (creating mode 0600 if needed) and migrates the database. A
    /// database file copied in with looser permissions is tightened to 0600.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if path.exists() {
            set_private(path)?;
        } else {
            create_private(path)?;
        }
        let conn = Connection::open(path).map_err(|source| StoreError::Sqlite {
            path: path.to_path_buf(),
            source,
        })?;
        Store::setup(conn, path.to_path_buf())
    }

    /// An in-memory store, for tests of stages.
    pub fn open_in_memory() -> Result<Store, StoreError> {
        let conn = Connection::open_in_memory().map_err(|source| StoreError::Sqlite {
            path: ":memory:".into(),
            source,
        })?;
        Store::setup(conn, ":memory:".into())
    }

    fn setup(conn: Connection, path: PathBuf) -> Result<Store, StoreError> {
        let mut store = Store { conn, path };
        let c = &store.conn;
        // A second process (a manual run beside the daemon) waits instead of failing.
        store.ctx(
            c.busy_timeout(BUSY_WAIT)
                .and_then(|_| busy_retry(|| c.pragma_update(None, "journal_mode", "WAL")))
                .and_then(|_| c.pragma_update(None, "synchronous", "FULL"))
                .and_then(|_| c.pragma_update(None, "foreign_keys", "ON")),
        )?;
        store.migrate()?;
        Ok(store)
    }

    /// The schema version the database is at.
    pub fn schema_version(&self) -> Result<usize, StoreError> {
        let v: i64 = self.query_one("PRAGMA user_version", [], |r| r.get(0))?;
        Ok(v as usize)
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let found = self.schema_version()?;
        if found > MIGRATIONS.len() {
            return Err(StoreError::TooNew {
                path: self.path.clone(),
                found,
                known: MIGRATIONS.len(),
            });
        }
        if found == MIGRATIONS.len() {
            return Ok(());
        }
        // A migration may rebuild a table others refer to (SQLite's way to
        // change a column): foreign keys are off while migrations run, as
        // SQLite's ALTER TABLE guide asks, and checked before each commit.
        let path = self.path.clone();
        self.conn
            .pragma_update(None, "foreign_keys", "OFF")
            .map_err(|source| StoreError::Sqlite {
                path: path.clone(),
                source,
            })?;
        let result = self.run_migrations(found);
        self.conn
            .pragma_update(None, "foreign_keys", "ON")
            .map_err(|source| StoreError::Sqlite { path, source })?;
        result
    }

    fn run_migrations(&mut self, found: usize) -> Result<(), StoreError> {
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(found) {
            let path = self.path.clone();
            let wrap = |source| StoreError::Sqlite {
                path: path.clone(),
                source,
            };
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Exclusive)
                .map_err(wrap)?;
            // Another process opening the same new database may have run
            // this migration between our look and our lock.
            let now: i64 = tx
                .pragma_query_value(None, "user_version", |r| r.get(0))
                .map_err(wrap)?;
            if now as usize > i {
                continue;
            }
            tx.execute_batch(sql).map_err(wrap)?;
            let broken: Option<String> = tx
                .query_row("SELECT \"table\" FROM pragma_foreign_key_check", [], |r| {
                    r.get(0)
                })
                .optional()
                .map_err(wrap)?;
            if let Some(table) = broken {
                return Err(StoreError::Corrupt {
                    path,
                    column: "foreign keys after a migration",
                    value: format!(
                        "migration {} leaves a row of `{table}` without its parent",
                        i + 1
                    ),
                });
            }
            tx.pragma_update(None, "user_version", (i + 1) as i64)
                .map_err(wrap)?;
            tx.commit().map_err(wrap)?;
        }
        Ok(())
    }

    /// Runs `f` in one write transaction: all of it is applied or none.
    pub fn write<T>(
        &mut self,
        f: impl FnOnce(&mut Tx<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.transaction(true, f)
    }

    /// Runs `f` in one write transaction, committed when `commit` is true
    /// and `f` succeeded, else rolled back: a dry run sees what it would
    /// have written and leaves the database as it was. `f` may fail with
    /// its caller's own error type.
    pub fn transaction<T, E: From<StoreError>>(
        &mut self,
        commit: bool,
        f: impl FnOnce(&mut Tx<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|source| StoreError::Sqlite {
                path: path.clone(),
                source,
            })?;
        let mut t = Tx { tx, path };
        let out = f(&mut t);
        let Tx { tx, path } = t;
        let end = if commit && out.is_ok() {
            tx.commit()
        } else {
            tx.rollback()
        };
        end.map_err(|source| StoreError::Sqlite { path, source })?;
        out
    }

    /// One application.
    pub fn application(&self, id: ApplicationId) -> Result<Option<Application>, StoreError> {
        let row = self.query_opt(
            &format!("{SELECT_APPLICATION} WHERE id = ?1"),
            [id.0],
            |r| Ok(read_application(r)),
        )?;
        row.transpose()
            .map_err(|(column, value)| self.corrupt(column, value))
    }

    /// Applications, oldest first, optionally only those in one state.
    pub fn applications(&self, state: Option<State>) -> Result<Vec<Application>, StoreError> {
        let sql = match state {
            Some(_) => format!("{SELECT_APPLICATION} WHERE state = ?1 ORDER BY id"),
            None => format!("{SELECT_APPLICATION} WHERE ?1 IS NULL ORDER BY id"),
        };
        self.query_all(&sql, [state.map(State::code)], |r| Ok(read_application(r)))?
            .into_iter()
            .map(|app| app.map_err(|(column, value)| self.corrupt(column, value)))
            .collect()
    }

    /// The id of the application recorded from this source reference, if any.
    pub fn find_by_source_ref(
        &self,
        source_ref: &str,
    ) -> Result<Option<ApplicationId>, StoreError> {
        self.query_opt(
            "SELECT id FROM applications WHERE source_ref = ?1",
            [source_ref],
            |r| r.get(0).map(ApplicationId),
        )
    }

    /// The document kinds on file for each application that has any.
    pub fn document_kinds(&self) -> Result<BTreeMap<ApplicationId, BTreeSet<String>>, StoreError> {
        let rows = self.query_all("SELECT application_id, kind FROM documents", [], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
        })?;
        let mut out: BTreeMap<ApplicationId, BTreeSet<String>> = BTreeMap::new();
        for (id, kind) in rows {
            out.entry(ApplicationId(id)).or_default().insert(kind);
        }
        Ok(out)
    }

    /// The documents of one application, oldest first.
    pub fn documents(&self, id: ApplicationId) -> Result<Vec<Document>, StoreError> {
        self.query_all(
            "SELECT kind, original_name, stored_path, sha256, size, source_ref
             FROM documents WHERE application_id = ?1 ORDER BY id",
            [id.0],
            |r| {
                Ok(Document {
                    application: id,
                    kind: r.get(0)?,
                    original_name: r.get(1)?,
                    stored_path: r.get(2)?,
                    sha256: r.get(3)?,
                    size: r.get::<_, i64>(4)? as u64,
                    source_ref: r.get(5)?,
                })
            },
        )
    }

    /// The event log of one application, in order.
    pub fn events(&self, id: ApplicationId) -> Result<Vec<Event>, StoreError> {
        self.query_events("WHERE application_id = ?1", Some(id.0))
    }

    /// The whole event log, in order.
    pub fn all_events(&self) -> Result<Vec<Event>, StoreError> {
        self.query_events("WHERE ?1 IS NULL", None)
    }

    fn query_events(&self, filter: &str, arg: Option<i64>) -> Result<Vec<Event>, StoreError> {
        let sql = format!(
            "SELECT seq, application_id, from_state, to_state, at, actor, detail FROM events {filter} ORDER BY seq"
        );
        let rows = self.query_all(&sql, [arg], |r| {
            <(i64, i64, Option<String>, String, String, String, String)>::try_from(r)
        })?;
        let mut out = Vec::new();
        for (seq, app, from, to, at, actor, detail) in rows {
            let from = match from {
                None => None,
                Some(f) => Some(
                    f.parse()
                        .map_err(|_| self.corrupt("events.from_state", f))?,
                ),
            };
            out.push(Event {
                seq,
                application: ApplicationId(app),
                from,
                to: to
                    .parse()
                    .map_err(|_| self.corrupt("events.to_state", to.clone()))?,
                at: self.ts_col("events.at", at)?,
                actor,
                detail,
            });
        }
        Ok(out)
    }

    /// How many applications are in each state (states with none left out).
    pub fn counts_by_state(&self) -> Result<BTreeMap<State, u64>, StoreError> {
        let rows = self.query_all(
            "SELECT state, COUNT(*) FROM applications GROUP BY state",
            [],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)),
        )?;
        let mut out = BTreeMap::new();
        for (s, n) in rows {
            let state: State = s
                .parse()
                .map_err(|_| self.corrupt("applications.state", s))?;
            out.insert(state, n as u64);
        }
        Ok(out)
    }

    /// Records the start of a job run and returns its id.
    pub fn start_run(&mut self, job: &str, at: DateTime<Utc>) -> Result<i64, StoreError> {
        self.exec(
            "INSERT INTO job_runs (job, started_at, outcome) VALUES (?1, ?2, 'running')",
            params![job, ts(at)],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Records a run that has already ended, in one statement: a record of
    /// something that took no time (the daemon's skip of a locked job, an
    /// alert) never leaves a run "running" if the process is killed.
    pub fn record_run(
        &mut self,
        job: &str,
        started: DateTime<Utc>,
        outcome: Outcome,
        counters: &BTreeMap<String, i64>,
        message: &str,
        finished: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let counters = serde_json::to_string(counters).expect("a map of numbers serialises");
        self.exec(
            "INSERT INTO job_runs (job, started_at, finished_at, outcome, counters, message)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                job,
                ts(started),
                ts(finished),
                outcome.code(),
                counters,
                message
            ],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Marks the runs of `job` still recorded as running as interrupted and
    /// returns how many. Only for a caller holding the job's lock: then no
    /// other process runs it, so those runs' processes ended (killed, or the
    /// machine stopped) before they could record how.
    pub fn interrupt_stale_runs(&mut self, job: &str) -> Result<usize, StoreError> {
        self.exec(
            "UPDATE job_runs SET outcome = 'interrupted', message = ?2
             WHERE job = ?1 AND outcome = 'running'",
            params![
                job,
                "ended before recording how (the process was killed or the machine stopped)"
            ],
        )
    }

    /// Records how a job run ended, with its counters.
    pub fn finish_run(
        &mut self,
        run: i64,
        outcome: Outcome,
        counters: &BTreeMap<String, i64>,
        message: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let counters = serde_json::to_string(counters).expect("a map of numbers serialises");
        self.exec(
            "UPDATE job_runs SET finished_at = ?2, outcome = ?3, counters = ?4, message = ?5 WHERE id = ?1",
            params![run, ts(at), outcome.code(), counters, message],
        )?;
        Ok(())
    }

    /// Job runs, newest first, optionally for one job.
    pub fn runs(&self, job: Option<&str>, limit: usize) -> Result<Vec<JobRun>, StoreError> {
        self.query_runs(
            "WHERE ?1 IS NULL OR job = ?1 ORDER BY id DESC LIMIT ?2",
            params![job, limit as i64],
        )
    }

    /// The latest run of each job, by job name.
    pub fn runs_latest_per_job(&self) -> Result<Vec<JobRun>, StoreError> {
        self.query_runs(
            "WHERE id IN (SELECT MAX(id) FROM job_runs GROUP BY job) ORDER BY job",
            params![],
        )
    }

    fn query_runs(
        &self,
        tail: &str,
        args: impl rusqlite::Params,
    ) -> Result<Vec<JobRun>, StoreError> {
        let sql = format!(
            "SELECT id, job, started_at, finished_at, outcome, counters, message FROM job_runs {tail}"
        );
        let rows = self.query_all(&sql, args, |r| {
            <(i64, String, String, Option<String>, String, String, String)>::try_from(r)
        })?;
        let mut out = Vec::new();
        for (id, job, started, finished, outcome, counters, message) in rows {
            out.push(JobRun {
                id,
                job,
                started_at: self.ts_col("job_runs.started_at", started)?,
                finished_at: self.opt_ts_col("job_runs.finished_at", finished)?,
                outcome: Outcome::parse(&outcome)
                    .ok_or_else(|| self.corrupt("job_runs.outcome", outcome.clone()))?,
                counters: serde_json::from_str(&counters)
                    .map_err(|_| self.corrupt("job_runs.counters", counters.clone()))?,
                message,
            });
        }
        Ok(out)
    }

    /// Checks that every application's current state is the last state of
    /// its event log and that each logged move was legal. Returns the
    /// inconsistencies found (none in a healthy store).
    pub fn check_consistency(&self) -> Result<Vec<String>, StoreError> {
        let mut problems = Vec::new();
        let mut by_app: BTreeMap<ApplicationId, Vec<Event>> = BTreeMap::new();
        for e in self.all_events()? {
            by_app.entry(e.application).or_default().push(e);
        }
        for app in self.applications(None)? {
            let events = by_app.remove(&app.id).unwrap_or_default();
            let mut current: Option<State> = None;
            for e in &events {
                if e.from != current {
                    problems.push(format!(
                        "{}: event {} moves from {:?} but the log had it at {:?}",
                        app.id, e.seq, e.from, current
                    ));
                }
                if let Some(from) = e.from
                    && let Err(illegal) = from.check_transition(e.to, app.submitted.service)
                {
                    problems.push(format!("{}: event {}: {illegal}", app.id, e.seq));
                }
                current = Some(e.to);
            }
            if current != Some(app.state) {
                problems.push(format!(
                    "{} is {} but its log ends at {:?}",
                    app.id, app.state, current
                ));
            }
        }
        for id in by_app.keys() {
            problems.push(format!("events for unknown application {id}"));
        }
        Ok(problems)
    }
}

/// A write transaction; see [`Store::write`].
pub struct Tx<'a> {
    tx: rusqlite::Transaction<'a>,
    path: PathBuf,
}

impl Tx<'_> {
    /// Records a new application as RECEIVED, with its first event.
    pub fn insert_application(
        &mut self,
        new: &NewApplication,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<ApplicationId, StoreError> {
        self.insert_application_with(new, actor, "", at)
    }

    /// [`Tx::insert_application`] with a detail on its RECEIVED event (who
    /// forwarded it, say).
    pub fn insert_application_with(
        &mut self,
        new: &NewApplication,
        actor: &str,
        detail: &str,
        at: DateTime<Utc>,
    ) -> Result<ApplicationId, StoreError> {
        self.exec(
                "INSERT INTO applications (source, source_ref, nik, kk_number, name, birth_date, service,
                     kecamatan, email, phone, submitted_at, state, state_since)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                params![
                    new.source.code(),
                    new.source_ref,
                    new.nik,
                    new.kk_number,
                    new.name,
                    new.birth_date.map(|d| d.to_string()),
                    new.service.code(),
                    new.kecamatan,
                    new.email,
                    new.phone,
                    new.submitted_at.to_rfc3339(),
                    State::Received.code(),
                    ts(at),
                ],
            )?;
        let id = ApplicationId(self.tx.last_insert_rowid());
        self.log(id, None, State::Received, actor, detail, at)?;
        Ok(id)
    }

    /// Records a document of an application. The same content for the same
    /// application is kept once; returns whether it was new.
    pub fn add_document(&mut self, doc: &Document, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let n = self.exec(
            "INSERT OR IGNORE INTO documents (application_id, kind, original_name, stored_path,
                 sha256, size, source_ref, received_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                doc.application.0,
                doc.kind,
                doc.original_name,
                doc.stored_path,
                doc.sha256,
                doc.size as i64,
                doc.source_ref,
                ts(at)
            ],
        )?;
        Ok(n == 1)
    }

    /// Moves an application from `from` to `to`, checking the flow and that
    /// it really is in `from`, and logs the event in the same transaction.
    pub fn transition(
        &mut self,
        id: ApplicationId,
        from: State,
        to: State,
        change: &Change<'_>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        // Cached statements: a verify run moves a whole batch in one transaction.
        let current: Option<(String, String, bool)> = self.query_opt("SELECT state, service, COALESCE(TRIM(email), '') != '' FROM applications WHERE id = ?1", [id.0], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        let (state, service, has_email) = current.ok_or(StoreError::NotFound(id))?;
        let corrupt = |column, value: String| StoreError::Corrupt {
            path: self.path.clone(),
            column,
            value,
        };
        let actual: State = state
            .parse()
            .map_err(|_| corrupt("applications.state", state.clone()))?;
        let service: Service = service
            .parse()
            .map_err(|_| corrupt("applications.service", service.clone()))?;
        if actual != from {
            return Err(StoreError::Stale {
                id,
                expected: from,
                actual,
            });
        }
        from.check_transition(to, service)
            .map_err(|rule| StoreError::Illegal { id, rule })?;
        // One statement: NULL reasons keep the old ones; the batch changes
        // only when the caller says so (`Some(None)` clears it).
        let reasons = change
            .reasons
            .map(|r| serde_json::to_string(r).expect("strings serialise"));
        let (set_batch, batch) = match change.batch {
            Some(b) => (true, b),
            None => (false, None),
        };
        self.exec(
            "UPDATE applications SET state = ?2, state_since = ?3,
                 reasons = COALESCE(?4, reasons),
                 batch_id = CASE WHEN ?5 THEN ?6 ELSE batch_id END
             WHERE id = ?1",
            params![id.0, to.code(), ts(at), reasons, set_batch, batch],
        )?;
        self.log(id, Some(from), to, change.actor, change.detail, at)?;
        // The notice is written with the change it reports, or not at all.
        match crate::domain::notice::kind_for(to, service) {
            Some(kind) if has_email => self.add_notice(id, kind, at),
            _ => Ok(()),
        }
    }

    fn log(
        &mut self,
        id: ApplicationId,
        from: Option<State>,
        to: State,
        actor: &str,
        detail: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.exec(
            "INSERT INTO events (application_id, from_state, to_state, at, actor, detail)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                id.0,
                from.map(State::code),
                to.code(),
                ts(at),
                actor,
                detail
            ],
        )?;
        Ok(())
    }
}

const SELECT_APPLICATION: &str =
    "SELECT id, source, source_ref, nik, kk_number, name, birth_date, service, kecamatan,
    email, phone, submitted_at, state, state_since, reasons, batch_id FROM applications";

type Corrupt = (&'static str, String);

fn read_application(r: &Row<'_>) -> Result<Application, Corrupt> {
    let get = |i: usize| -> Result<Option<String>, Corrupt> {
        r.get::<_, Option<String>>(i)
            .map_err(|e| ("applications", e.to_string()))
    };
    let req = |i: usize, col: &'static str| -> Result<String, Corrupt> {
        get(i)?.ok_or((col, "NULL".to_string()))
    };
    let id: i64 = r.get(0).map_err(|e| ("applications.id", e.to_string()))?;
    let source: Source = {
        let s = req(1, "applications.source")?;
        s.parse().map_err(|_| ("applications.source", s))?
    };
    let birth_date = match get(6)? {
        None => None,
        Some(s) => Some(
            NaiveDate::parse_from_str(&s, "%Y-%m-%d")
                .map_err(|_| ("applications.birth_date", s))?,
        ),
    };
    let service: Service = {
        let s = req(7, "applications.service")?;
        s.parse().map_err(|_| ("applications.service", s))?
    };
    let submitted_at = {
        let s = req(11, "applications.submitted_at")?;
        DateTime::parse_from_rfc3339(&s).map_err(|_| ("applications.submitted_at", s))?
    };
    let state: State = {
        let s = req(12, "applications.state")?;
        s.parse().map_err(|_| ("applications.state", s))?
    };
    let state_since = {
        let s = req(13, "applications.state_since")?;
        parse_ts(&s).ok_or(("applications.state_since", s))?
    };
    let reasons: Vec<String> = {
        let s = req(14, "applications.reasons")?;
        serde_json::from_str(&s).map_err(|_| ("applications.reasons", s))?
    };
    Ok(Application {
        id: ApplicationId(id),
        submitted: NewApplication {
            source,
            source_ref: req(2, "applications.source_ref")?,
            nik: req(3, "applications.nik")?,
            kk_number: get(4)?,
            name: req(5, "applications.name")?,
            birth_date,
            service,
            kecamatan: get(8)?,
            email: get(9)?,
            phone: get(10)?,
            submitted_at,
        },
        state,
        state_since,
        reasons,
        batch: get(15)?,
    })
}

fn parse_ts(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::state::IllegalKind;
    use chrono::TimeZone;
    use std::os::unix::fs::PermissionsExt;

    fn at(min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 20, 1, min, 0).unwrap()
    }

    fn sample(source_ref: &str, service: Service) -> NewApplication {
        NewApplication {
            source: Source::Form,
            source_ref: source_ref.into(),
            nik: "3402151708900001".into(),
            kk_number: Some("3402150512150003".into()),
            name: "Budi Santoso".into(),
            birth_date: NaiveDate::from_ymd_opt(1990, 8, 17),
            service,
            kecamatan: Some("34.02.15".into()),
            email: Some("budi@example.org".into()),
            phone: None,
            submitted_at: chrono::FixedOffset::east_opt(7 * 3600)
                .unwrap()
                .with_ymd_and_hms(2026, 11, 19, 8, 15, 3)
                .unwrap(),
        }
    }

    fn change(actor: &str) -> Change<'_> {
        Change {
            actor,
            ..Change::default()
        }
    }

    #[test]
    fn the_file_is_private_and_migrated_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sigap.db");
        {
            let mut s = Store::open(&path).unwrap();
            assert_eq!(s.schema_version().unwrap(), MIGRATIONS.len());
            s.write(|tx| {
                tx.insert_application(&sample("f:2", Service::KtpBaru), "sigap:test", at(0))
            })
            .unwrap();
        }
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let s = Store::open(&path).unwrap();
        assert_eq!(s.applications(None).unwrap().len(), 1);
        let mode: String = s
            .conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let orphan = s.conn.execute(
            "INSERT INTO events (application_id, to_state, at, actor) VALUES (999, 'RECEIVED', 'x', 't')",
            [],
        );
        assert!(orphan.unwrap_err().to_string().contains("FOREIGN KEY"));
        for entry in std::fs::read_dir(dir.path()).unwrap() {
            let entry = entry.unwrap();
            let mode = entry.metadata().unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{:?}", entry.file_name());
        }
    }

    #[test]
    fn a_transition_writes_state_and_event_together() {
        let mut s = Store::open_in_memory().unwrap();
        let id = s
            .write(|tx| {
                tx.insert_application(&sample("f:2", Service::KtpBaru), "sigap:ingest", at(0))
            })
            .unwrap();
        let reasons = vec!["DOCUMENT_MISSING".to_string()];
        s.write(|tx| {
            tx.transition(
                id,
                State::Received,
                State::Incomplete,
                &Change {
                    actor: "sigap:verify",
                    detail: "kk missing",
                    reasons: Some(&reasons),
                    batch: None,
                },
                at(5),
            )
        })
        .unwrap();
        let app = s.application(id).unwrap().unwrap();
        assert_eq!(app.state, State::Incomplete);
        assert_eq!(app.reasons, reasons);
        assert_eq!(app.state_since, at(5));
        let events = s.events(id).unwrap();
        assert_eq!(events.len(), 2);
        assert_eq!(
            (events[1].from, events[1].to),
            (Some(State::Received), State::Incomplete)
        );
        assert_eq!(events[1].actor, "sigap:verify");
        assert!(s.check_consistency().unwrap().is_empty());
    }

    #[test]
    fn illegal_and_stale_moves_change_nothing() {
        let mut s = Store::open_in_memory().unwrap();
        let id = s
            .write(|tx| tx.insert_application(&sample("f:2", Service::KtpBaru), "t", at(0)))
            .unwrap();
        let e = s
            .write(|tx| tx.transition(id, State::Received, State::Printed, &change("t"), at(1)))
            .unwrap_err();
        assert!(matches!(
            e,
            StoreError::Illegal {
                rule: IllegalTransition {
                    kind: IllegalKind::SkipsSteps,
                    ..
                },
                ..
            }
        ));
        let e = s
            .write(|tx| tx.transition(id, State::Verified, State::Batched, &change("t"), at(1)))
            .unwrap_err();
        assert!(matches!(
            e,
            StoreError::Stale {
                actual: State::Received,
                ..
            }
        ));
        assert_eq!(s.application(id).unwrap().unwrap().state, State::Received);
        assert_eq!(s.events(id).unwrap().len(), 1);
    }

    #[test]
    fn a_failed_transaction_leaves_no_trace() {
        let mut s = Store::open_in_memory().unwrap();
        let id = s
            .write(|tx| tx.insert_application(&sample("f:2", Service::KtpBaru), "t", at(0)))
            .unwrap();
        let r = s.write(|tx| {
            tx.transition(id, State::Received, State::Verified, &change("t"), at(1))?;
            tx.transition(id, State::Verified, State::Printed, &change("t"), at(2))
        });
        assert!(r.is_err());
        assert_eq!(s.application(id).unwrap().unwrap().state, State::Received);
        assert_eq!(s.events(id).unwrap().len(), 1);
    }

    #[test]
    fn the_event_log_cannot_be_rewritten() {
        let mut s = Store::open_in_memory().unwrap();
        s.write(|tx| tx.insert_application(&sample("f:2", Service::KtpBaru), "t", at(0)))
            .unwrap();
        let upd = s.conn.execute("UPDATE events SET actor = 'x'", []);
        assert!(upd.unwrap_err().to_string().contains("append-only"));
        let del = s.conn.execute("DELETE FROM events", []);
        assert!(del.unwrap_err().to_string().contains("append-only"));
    }

    #[test]
    fn a_transition_sets_keeps_or_clears_the_batch() {
        let mut s = Store::open_in_memory().unwrap();
        let id = s
            .write(|tx| tx.insert_application(&sample("f:2", Service::KtpBaru), "t", at(0)))
            .unwrap();
        let batch = |b| Change {
            actor: "t",
            batch: b,
            ..Change::default()
        };
        s.write(|tx| {
            tx.transition(id, State::Received, State::Verified, &change("t"), at(1))?;
            tx.transition(
                id,
                State::Verified,
                State::Batched,
                &batch(Some(Some("B-1"))),
                at(2),
            )?;
            tx.transition(id, State::Batched, State::Dispatched, &change("t"), at(3))
        })
        .unwrap();
        assert_eq!(
            s.application(id).unwrap().unwrap().batch.as_deref(),
            Some("B-1")
        );
        s.write(|tx| {
            tx.transition(
                id,
                State::Dispatched,
                State::Verified,
                &batch(Some(None)),
                at(4),
            )
        })
        .unwrap();
        assert_eq!(s.application(id).unwrap().unwrap().batch, None);
    }

    #[test]
    fn a_source_is_recorded_once() {
        let mut s = Store::open_in_memory().unwrap();
        s.write(|tx| tx.insert_application(&sample("f:2", Service::KtpBaru), "t", at(0)))
            .unwrap();
        assert!(
            s.write(|tx| tx.insert_application(&sample("f:2", Service::KtpBaru), "t", at(0)))
                .is_err()
        );
        assert!(s.find_by_source_ref("f:2").unwrap().is_some());
        assert!(s.find_by_source_ref("f:3").unwrap().is_none());
    }

    #[test]
    fn runs_left_running_are_marked_interrupted_per_job() {
        let mut s = Store::open_in_memory().unwrap();
        let dead = s.start_run("nightly", at(0)).unwrap();
        let done = s.start_run("nightly", at(1)).unwrap();
        s.finish_run(done, Outcome::Ok, &BTreeMap::new(), "ok", at(2))
            .unwrap();
        let other = s.start_run("verify", at(3)).unwrap();
        assert_eq!(s.interrupt_stale_runs("nightly").unwrap(), 1);
        let runs = s.runs(None, 10).unwrap();
        let outcome = |id| runs.iter().find(|r| r.id == id).unwrap().outcome;
        assert_eq!(outcome(dead), Outcome::Interrupted);
        assert_eq!(outcome(done), Outcome::Ok);
        assert_eq!(outcome(other), Outcome::Running);
        assert_eq!(s.interrupt_stale_runs("nightly").unwrap(), 0);
    }

    #[test]
    fn a_run_recorded_after_the_fact_is_never_running() {
        let mut s = Store::open_in_memory().unwrap();
        let counters = BTreeMap::from([("read".to_string(), 3)]);
        let id = s
            .record_run("ingest", at(0), Outcome::Ok, &counters, "read 3", at(2))
            .unwrap();
        let r = &s.runs(Some("ingest"), 10).unwrap()[0];
        assert_eq!((r.id, r.outcome), (id, Outcome::Ok));
        assert_eq!((r.started_at, r.finished_at), (at(0), Some(at(2))));
        assert_eq!(r.counters, counters);
    }

    #[test]
    fn job_runs_keep_their_counters() {
        let mut s = Store::open_in_memory().unwrap();
        let run = s.start_run("ingest", at(0)).unwrap();
        assert_eq!(
            s.runs(Some("ingest"), 10).unwrap()[0].outcome,
            Outcome::Running
        );
        let counters = BTreeMap::from([("read".to_string(), 10), ("new".to_string(), 9)]);
        s.finish_run(run, Outcome::Attention, &counters, "1 quarantined", at(1))
            .unwrap();
        let r = &s.runs_latest_per_job().unwrap()[0];
        assert_eq!(r.outcome, Outcome::Attention);
        assert_eq!(r.counters, counters);
        assert_eq!(r.finished_at, Some(at(1)));
    }

    #[test]
    fn counts_per_state() {
        let mut s = Store::open_in_memory().unwrap();
        for i in 0..3 {
            s.write(|tx| {
                tx.insert_application(&sample(&format!("f:{i}"), Service::KtpBaru), "t", at(0))
            })
            .unwrap();
        }
        assert_eq!(s.counts_by_state().unwrap()[&State::Received], 3);
    }
}
