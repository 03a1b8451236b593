//! Where ingest stopped in a mailbox on a server (migration 11): per
//! mailbox (`imap://user@host/folder`), the folder's UIDVALIDITY and the
//! highest UID up to which every message is in the applied-files ledger.
//! Written in ingest's transaction, with the ledger rows it stands for, so
//! the two never disagree; a next run asks the server only for the UIDs
//! above it. The ledger stays the memory of what was read: this is only
//! where to start.

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::{Sql, Store, StoreError, Tx, ts};

/// The table: one row per mailbox.
pub(super) const MIGRATION: &str = r#"
    CREATE TABLE mailbox_state (
        mailbox      TEXT PRIMARY KEY,
        uidvalidity  INTEGER NOT NULL,
        last_uid     INTEGER NOT NULL,
        updated_at   TEXT NOT NULL
    ) WITHOUT ROWID;
"#;

/// A mailbox's place as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailboxState {
    /// The folder's UIDVALIDITY when the UIDs below were given.
    pub uidvalidity: u32,
    /// Every message with a UID up to this one is in the ledger.
    pub last_uid: u32,
}

fn lookup(db: &impl Sql, mailbox: &str) -> Result<Option<MailboxState>, StoreError> {
    db.query_opt(
        "SELECT uidvalidity, last_uid FROM mailbox_state WHERE mailbox = ?1",
        params![mailbox],
        |r| {
            Ok(MailboxState {
                uidvalidity: r.get::<_, i64>(0)? as u32,
                last_uid: r.get::<_, i64>(1)? as u32,
            })
        },
    )
}

impl Store {
    /// Where ingest stopped in `mailbox`, if it ever read it.
    pub fn mailbox_state(&self, mailbox: &str) -> Result<Option<MailboxState>, StoreError> {
        lookup(self, mailbox)
    }
}

impl Tx<'_> {
    /// [`Store::mailbox_state`] inside a transaction.
    pub fn mailbox_state(&self, mailbox: &str) -> Result<Option<MailboxState>, StoreError> {
        lookup(self, mailbox)
    }

    /// Records where ingest stopped in `mailbox` (replacing the old place:
    /// a new UIDVALIDITY starts the folder over).
    pub fn set_mailbox_state(
        &mut self,
        mailbox: &str,
        state: MailboxState,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.exec(
            "INSERT INTO mailbox_state (mailbox, uidvalidity, last_uid, updated_at)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (mailbox) DO UPDATE SET
                 uidvalidity = excluded.uidvalidity,
                 last_uid = excluded.last_uid,
                 updated_at = excluded.updated_at",
            params![
                mailbox,
                i64::from(state.uidvalidity),
                i64::from(state.last_uid),
                ts(at)
            ],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_mailbox_place_is_kept_per_mailbox_and_replaced_whole() {
        let mut s = Store::open_in_memory().unwrap();
        let at = Utc.with_ymd_and_hms(2026, 11, 20, 1, 0, 0).unwrap();
        let a = "imap://sigap@mail.kantor/INBOX";
        let b = "imap://sigap@mail.kantor/Permohonan";
        assert_eq!(s.mailbox_state(a).unwrap(), None);
        let first = MailboxState {
            uidvalidity: u32::MAX,
            last_uid: 7,
        };
        s.write(|tx| tx.set_mailbox_state(a, first, at)).unwrap();
        assert_eq!(s.mailbox_state(a).unwrap(), Some(first));
        assert_eq!(s.mailbox_state(b).unwrap(), None);
        let renumbered = MailboxState {
            uidvalidity: 5,
            last_uid: 2,
        };
        s.write(|tx| tx.set_mailbox_state(a, renumbered, at))
            .unwrap();
        assert_eq!(s.mailbox_state(a).unwrap(), Some(renumbered));
    }
}
