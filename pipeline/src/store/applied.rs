//! The applied-files ledger (migration 10): every file a channel has read
//! and applied (an inbox file, a pickup register, a station results file),
//! by channel, name and SHA-256, so the same file again changes nothing.
//! A channel's [`FileChannel::known_by`] says whether the name counts; the
//! mechanism is the same for all.

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::{Sql, Store, StoreError, Tx, ts};

/// Replaces migration 3's `intake_files`, 7's `pickup_files` and 9's
/// `station_results_applied` with one table; their rows move (an inbox
/// file's input count becomes its summary).
pub(super) const MIGRATION: &str = r#"
    CREATE TABLE applied_files (
        channel     TEXT NOT NULL,
        name        TEXT NOT NULL,
        sha256      TEXT NOT NULL,
        applied_at  TEXT NOT NULL,
        summary     TEXT NOT NULL,
        size        INTEGER,
        mtime_ns    INTEGER,
        PRIMARY KEY (channel, name, sha256)
    );
    CREATE INDEX applied_files_content ON applied_files(channel, sha256);
    INSERT INTO applied_files (channel, name, sha256, applied_at, summary, size, mtime_ns)
        SELECT 'intake', path, sha256, read_at, items || ' input(s)', size, mtime_ns
        FROM intake_files;
    INSERT INTO applied_files (channel, name, sha256, applied_at, summary)
        SELECT 'pickups', name, sha256, imported_at, summary FROM pickup_files;
    INSERT INTO applied_files (channel, name, sha256, applied_at, summary)
        SELECT 'station_results', name, sha256, applied_at, summary
        FROM station_results_applied;
    DROP TABLE intake_files;
    DROP TABLE pickup_files;
    DROP TABLE station_results_applied;
"#;

/// Which part of sigap applies a file; each keeps its files apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileChannel {
    /// An intake inbox file (forms, app export, mail), by its path under
    /// the inbox.
    Intake,
    /// A kecamatan's pickup register.
    Pickups,
    /// A print station's results file.
    StationResults,
}

/// What makes two files the same file to a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KnownBy {
    /// The same name and the same content. A station results file's name
    /// names its batch, and two batches' files can be byte-identical (the
    /// same card failing twice with the same reason); an inbox file edited
    /// in place is read again.
    NameAndContent,
    /// The same content under any name: a register renamed or sent twice
    /// is the same register.
    Content,
}

impl FileChannel {
    /// The code stored in `applied_files.channel`.
    pub fn code(self) -> &'static str {
        match self {
            FileChannel::Intake => "intake",
            FileChannel::Pickups => "pickups",
            FileChannel::StationResults => "station_results",
        }
    }

    /// The channel's rule for "already applied".
    pub fn known_by(self) -> KnownBy {
        match self {
            FileChannel::Intake | FileChannel::StationResults => KnownBy::NameAndContent,
            FileChannel::Pickups => KnownBy::Content,
        }
    }
}

/// How a file is looked up in the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKey<'a> {
    /// By name and content, as the channel's [`KnownBy`] rule says.
    Content {
        /// The file's name (an inbox file's path under the inbox).
        name: &'a str,
        /// SHA-256 of its content, lower-case hex.
        sha256: &'a str,
    },
    /// By name, size and modification time, as recorded with it: a file
    /// found so has not changed since and need not even be hashed.
    Unchanged {
        /// The file's name.
        name: &'a str,
        /// Its size in bytes.
        size: u64,
        /// Its modification time, nanoseconds since the epoch.
        mtime_ns: i64,
    },
}

/// A file to record as applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewAppliedFile<'a> {
    /// Which channel applied it.
    pub channel: FileChannel,
    /// Its name (an inbox file's path under the inbox).
    pub name: &'a str,
    /// SHA-256 of its content, lower-case hex.
    pub sha256: &'a str,
    /// A line for people: what applying it did.
    pub summary: &'a str,
    /// Size and modification time (ns), for [`FileKey::Unchanged`].
    pub stat: Option<(u64, i64)>,
}

/// A file the ledger has as applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedFile {
    /// The name it was applied under.
    pub name: String,
    /// SHA-256 of its content.
    pub sha256: String,
    /// When (UTC).
    pub applied_at: DateTime<Utc>,
    /// What applying it did.
    pub summary: String,
}

/// The lookup for [`Store::applied_file`] and [`Tx::applied_file`].
fn lookup(
    db: &impl Sql,
    channel: FileChannel,
    key: FileKey<'_>,
) -> Result<Option<AppliedFile>, StoreError> {
    let read = |r: &rusqlite::Row<'_>| <(String, String, String, String)>::try_from(r);
    let row = match key {
        FileKey::Content { name, sha256 } => db.query_opt(
            "SELECT name, sha256, applied_at, summary FROM applied_files
             WHERE channel = ?1 AND sha256 = ?2 AND (?3 OR name = ?4)
             ORDER BY rowid LIMIT 1",
            params![
                channel.code(),
                sha256,
                channel.known_by() == KnownBy::Content,
                name
            ],
            read,
        )?,
        FileKey::Unchanged {
            name,
            size,
            mtime_ns,
        } => db.query_opt(
            "SELECT name, sha256, applied_at, summary FROM applied_files
             WHERE channel = ?1 AND name = ?2 AND size = ?3 AND mtime_ns = ?4
             ORDER BY rowid LIMIT 1",
            params![channel.code(), name, size as i64, mtime_ns],
            read,
        )?,
    };
    row.map(|(name, sha256, at, summary)| {
        Ok(AppliedFile {
            name,
            sha256,
            applied_at: db.ts_col("applied_files.applied_at", at)?,
            summary,
        })
    })
    .transpose()
}

impl Store {
    /// The ledger's record of this file, if its channel applied it.
    pub fn applied_file(
        &self,
        channel: FileChannel,
        key: FileKey<'_>,
    ) -> Result<Option<AppliedFile>, StoreError> {
        lookup(self, channel, key)
    }
}

impl Tx<'_> {
    /// [`Store::applied_file`] inside a transaction.
    pub fn applied_file(
        &self,
        channel: FileChannel,
        key: FileKey<'_>,
    ) -> Result<Option<AppliedFile>, StoreError> {
        lookup(self, channel, key)
    }

    /// Records a file as applied. A file the channel already knows (by its
    /// [`KnownBy`] rule) keeps its first record; only a new modification
    /// time is taken, so an inbox file touched but not changed is not
    /// hashed again.
    pub fn remember_applied_file(
        &mut self,
        file: &NewAppliedFile<'_>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let (size, mtime_ns) = match file.stat {
            Some((size, mtime)) => (Some(size as i64), Some(mtime)),
            None => (None, None),
        };
        self.exec(
            "INSERT INTO applied_files (channel, name, sha256, applied_at, summary, size, mtime_ns)
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7
             WHERE NOT (?8 AND EXISTS
                 (SELECT 1 FROM applied_files WHERE channel = ?1 AND sha256 = ?3))
             ON CONFLICT (channel, name, sha256) DO UPDATE
                 SET mtime_ns = COALESCE(excluded.mtime_ns, mtime_ns)",
            params![
                file.channel.code(),
                file.name,
                file.sha256,
                ts(at),
                file.summary,
                size,
                mtime_ns,
                file.channel.known_by() == KnownBy::Content,
            ],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 20, 1, min, 0).unwrap()
    }

    fn new<'a>(channel: FileChannel, name: &'a str, sha256: &'a str) -> NewAppliedFile<'a> {
        NewAppliedFile {
            channel,
            name,
            sha256,
            summary: "applied",
            stat: None,
        }
    }

    fn found(s: &Store, channel: FileChannel, name: &str, sha256: &str) -> bool {
        s.applied_file(channel, FileKey::Content { name, sha256 })
            .unwrap()
            .is_some()
    }

    #[test]
    fn each_channel_keeps_its_rule_and_its_files_apart() {
        let mut s = Store::open_in_memory().unwrap();
        s.write(|tx| {
            tx.remember_applied_file(&new(FileChannel::StationResults, "B-1.csv", "aa"), at(0))?;
            tx.remember_applied_file(&new(FileChannel::Pickups, "reg.csv", "bb"), at(0))?;
            // The same register under another name is the same register.
            tx.remember_applied_file(&new(FileChannel::Pickups, "copy.csv", "bb"), at(1))
        })
        .unwrap();
        // Station results: name and content.
        assert!(found(&s, FileChannel::StationResults, "B-1.csv", "aa"));
        assert!(!found(&s, FileChannel::StationResults, "B-2.csv", "aa"));
        // Pickups: content alone, first record kept.
        let r = s
            .applied_file(
                FileChannel::Pickups,
                FileKey::Content {
                    name: "other.csv",
                    sha256: "bb",
                },
            )
            .unwrap()
            .unwrap();
        assert_eq!((r.name.as_str(), r.applied_at), ("reg.csv", at(0)));
        // Channels do not see each other's files.
        assert!(!found(&s, FileChannel::Intake, "B-1.csv", "aa"));
    }

    #[test]
    fn a_file_seen_again_takes_only_its_new_modification_time() {
        let mut s = Store::open_in_memory().unwrap();
        let file = |mtime| NewAppliedFile {
            stat: Some((8, mtime)),
            summary: "1 input(s)",
            ..new(FileChannel::Intake, "forms/a.csv", "ab")
        };
        s.write(|tx| {
            tx.remember_applied_file(&file(5), at(0))?;
            tx.remember_applied_file(
                &NewAppliedFile {
                    summary: "0 input(s)",
                    ..file(6)
                },
                at(1),
            )
        })
        .unwrap();
        let unchanged = |mtime_ns| {
            s.applied_file(
                FileChannel::Intake,
                FileKey::Unchanged {
                    name: "forms/a.csv",
                    size: 8,
                    mtime_ns,
                },
            )
            .unwrap()
        };
        assert!(unchanged(5).is_none());
        let r = unchanged(6).unwrap();
        assert_eq!((r.summary.as_str(), r.applied_at), ("1 input(s)", at(0)));
    }

    #[test]
    fn migration_10_moves_the_three_ledgers_rows_into_applied_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sigap.db");
        {
            // A database as sigap left it before the one ledger (schema version 9).
            let c = rusqlite::Connection::open(&path).unwrap();
            for sql in &super::super::MIGRATIONS[..9] {
                c.execute_batch(sql).unwrap();
            }
            c.pragma_update(None, "user_version", 9).unwrap();
            c.execute_batch(
                "INSERT INTO intake_files (path, sha256, size, mtime_ns, items, read_at)
                 VALUES ('forms/a.csv', 'i1', 8, 5, 3, '2026-11-20T01:00:00.000000Z');
                 INSERT INTO pickup_files (sha256, name, imported_at, summary)
                 VALUES ('p1', 'reg.csv', '2026-11-20T01:01:00.000000Z', '2 collected');
                 INSERT INTO station_results_applied (name, sha256, applied_at, summary)
                 VALUES ('B-1.results.csv', 's1', '2026-11-20T01:02:00.000000Z', '1 printed'),
                        ('B-2.results.csv', 's1', '2026-11-20T01:03:00.000000Z', '1 printed');",
            )
            .unwrap();
        }
        let s = Store::open(&path).unwrap();
        assert_eq!(s.schema_version().unwrap(), super::super::MIGRATIONS.len());
        let get = |channel, name, sha256| {
            s.applied_file(channel, FileKey::Content { name, sha256 })
                .unwrap()
        };
        let inbox = get(FileChannel::Intake, "forms/a.csv", "i1").unwrap();
        assert_eq!(
            (inbox.summary.as_str(), inbox.applied_at),
            ("3 input(s)", at(0))
        );
        let unchanged = s
            .applied_file(
                FileChannel::Intake,
                FileKey::Unchanged {
                    name: "forms/a.csv",
                    size: 8,
                    mtime_ns: 5,
                },
            )
            .unwrap();
        assert!(unchanged.is_some(), "size and time are kept");
        // A register is known by content, under any name.
        let register = get(FileChannel::Pickups, "renamed.csv", "p1").unwrap();
        assert_eq!(
            (
                register.name.as_str(),
                register.summary.as_str(),
                register.applied_at
            ),
            ("reg.csv", "2 collected", at(1))
        );
        // Both byte-identical results files stay known, each by its name.
        for (name, min) in [("B-1.results.csv", 2), ("B-2.results.csv", 3)] {
            let r = get(FileChannel::StationResults, name, "s1").unwrap();
            assert_eq!((r.summary.as_str(), r.applied_at), ("1 printed", at(min)));
        }
        assert!(get(FileChannel::StationResults, "B-3.results.csv", "s1").is_none());
        let old: i64 = s
            .conn
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE name IN
                 ('intake_files', 'pickup_files', 'station_results_applied')",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(old, 0, "the old tables are gone");
    }
}
