//! The Maildir adapter of the [`Mailbox`] port: the inbox's `mail/` folder,
//! as mail clients and delivery agents leave it:
//!
//! ```text
//! inbox/mail/new/<file>    delivered, not yet seen by a client
//! inbox/mail/cur/<file>    seen by a client
//! inbox/mail/tmp/<file>    being delivered: never read
//! inbox/mail/*.eml         messages saved by hand
//! ```
//!
//! The folders are listed through ingest's inbox scan, the one rule for
//! every inbox folder: regular files only (symlinks are not followed), no
//! half-written name ([`crate::files::half_written`]), by name. A message
//! is keyed by its path under the inbox (`mail/new/<file>`), the name the
//! applied-files ledger has always given inbox files. Nothing is moved or
//! changed: the ledger remembers what was read.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::domain::application::Source;
use crate::files::{FileError, stat_settled};
use crate::inbox::scan_folder;
use crate::ports::{Listed, Mailbox, MailboxError};

/// The Maildir's folder under the inbox.
pub const FOLDER: &str = "mail";

/// The inbox's Maildir `inbox/mail/` (read beside an IMAP account, see
/// [`crate::adapters::mailboxes`]).
pub fn open(config: &Config) -> Box<dyn Mailbox> {
    Box::new(Maildir::new(&config.inbox_dir(), FOLDER))
}

/// A Maildir `<parent>/<name>`, with loose `*.eml` files beside its
/// `new/` and `cur/`.
#[derive(Debug, Clone)]
pub struct Maildir {
    parent: PathBuf,
    name: String,
    /// The files of the last listing by key: a key is the name as text, a
    /// file's own name need not be (it is read by the name it has).
    listed: BTreeMap<String, PathBuf>,
}

impl Maildir {
    /// The Maildir `<parent>/<name>`; its messages are keyed by their path
    /// under `parent` (`<name>/new/<file>`).
    pub fn new(parent: &Path, name: &str) -> Maildir {
        Maildir {
            parent: parent.to_path_buf(),
            name: name.to_string(),
            listed: BTreeMap::new(),
        }
    }

    fn path(&self, message: &Listed) -> PathBuf {
        self.listed
            .get(&message.key)
            .cloned()
            .unwrap_or_else(|| self.parent.join(&message.key))
    }
}

impl Mailbox for Maildir {
    fn messages(&mut self) -> Result<Vec<Listed>, MailboxError> {
        let mut files = Vec::new();
        let mut add = |dir: String, accept: &dyn Fn(&str) -> bool| {
            // An unreadable folder holds nothing to read yet: ingest goes
            // on with the rest of the inbox, as for its other folders.
            files.extend(scan_folder(&self.parent, &dir, Source::Mail, accept).unwrap_or_default());
        };
        add(self.name.clone(), &|n| {
            n.to_ascii_lowercase().ends_with(".eml")
        });
        add(format!("{}/new", self.name), &|_| true);
        add(format!("{}/cur", self.name), &|_| true);
        self.listed = files
            .iter()
            .map(|f| (f.rel.clone(), f.path.clone()))
            .collect();
        Ok(files
            .into_iter()
            .map(|f| Listed {
                key: f.rel.clone(),
                source: f.rel,
                size: f.size,
                modified_ns: f.mtime_ns,
            })
            .collect())
    }

    fn unchanged(&mut self, message: &Listed) -> Result<bool, MailboxError> {
        Ok(stat_settled(&self.path(message)) == Some((message.size, message.modified_ns)))
    }

    fn read(&mut self, message: &Listed) -> Result<Vec<u8>, MailboxError> {
        let path = self.path(message);
        std::fs::read(&path).map_err(|e| FileError::new(&path, e).into())
    }

    fn taken(&mut self, _messages: &[Listed]) -> Result<(), MailboxError> {
        // The files stay as they are: moving `new/` to `cur/` would change
        // their keys and the ledger would read them again.
        Ok(())
    }

    fn describe(&self) -> String {
        self.parent.join(&self.name).display().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(listed: &[Listed]) -> Vec<&str> {
        listed.iter().map(|m| m.key.as_str()).collect()
    }

    #[test]
    fn it_lists_new_cur_and_loose_eml_and_skips_tmp_and_half_written_names() {
        let inbox = tempfile::tempdir().unwrap();
        let mail = inbox.path().join("mail");
        for d in ["new/sub", "cur", "tmp"] {
            std::fs::create_dir_all(mail.join(d)).unwrap();
        }
        let write = |rel: &str, bytes: &[u8]| std::fs::write(mail.join(rel), bytes).unwrap();
        write(
            "new/1764650000.M1P2.kantor",
            b"Message-ID: <a@x>\r\n\r\nNIK: 1\r\n",
        );
        write(
            "cur/1764650001.M2P2.kantor:2,S",
            b"Message-ID: <b@x>\r\n\r\nhi\r\n",
        );
        write("Saved.EML", b"Message-ID: <c@x>\r\n\r\nsaved\r\n");
        // Being delivered, or being copied in: not messages yet.
        write("tmp/1764650002.M3P2.kantor", b"half");
        write("new/.1764650003.M4P2.kantor", b"half");
        write("new/1764650004.part", b"half");
        write("new/~$owner", b"half");
        write("cur/copy.crdownload", b"half");
        // Loose files are messages only as `*.eml`.
        write("notes.txt", b"not mail");
        write("new/sub/deeper", b"not a Maildir file");
        #[cfg(unix)]
        std::os::unix::fs::symlink(mail.join("Saved.EML"), mail.join("new/link")).unwrap();

        let mut maildir = Maildir::new(inbox.path(), FOLDER);
        let listed = maildir.messages().unwrap();
        assert_eq!(
            keys(&listed),
            [
                "mail/Saved.EML",
                "mail/new/1764650000.M1P2.kantor",
                "mail/cur/1764650001.M2P2.kantor:2,S",
            ]
        );
        for m in &listed {
            assert_eq!(m.source, m.key);
            let bytes = maildir.read(m).unwrap();
            assert_eq!(m.size, bytes.len() as u64);
            assert_eq!(bytes, std::fs::read(inbox.path().join(&m.key)).unwrap());
            assert!(maildir.unchanged(m).unwrap());
        }

        // A message still being written has changed after the wait.
        std::fs::write(mail.join("new/1764650000.M1P2.kantor"), b"longer now").unwrap();
        assert!(!maildir.unchanged(&listed[1]).unwrap());

        // Taking them leaves the Maildir as it was: the keys stay the same.
        maildir.taken(&listed).unwrap();
        assert_eq!(keys(&maildir.messages().unwrap()), keys(&listed));
    }

    #[test]
    fn a_missing_maildir_holds_nothing_and_a_vanished_message_is_an_error() {
        let inbox = tempfile::tempdir().unwrap();
        let mut maildir = Maildir::new(inbox.path(), FOLDER);
        assert_eq!(maildir.messages().unwrap(), Vec::new());
        let gone = Listed {
            key: "mail/new/gone".into(),
            source: "mail/new/gone".into(),
            size: 1,
            modified_ns: 1,
        };
        assert!(!maildir.unchanged(&gone).unwrap());
        let err = maildir.read(&gone).unwrap_err();
        assert!(matches!(err, MailboxError::File(ref e) if e.path.ends_with("mail/new/gone")));
    }
}
