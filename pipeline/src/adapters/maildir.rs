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
use crate::intake::scan_folder;
use crate::ports::{Listed, Mailbox, MailboxError};

/// The Maildir's folder under the inbox.
pub const FOLDER: &str = "mail";

/// The mailbox the config names, as [`crate::adapters::open`] opens the
/// population database: today always the Maildir `inbox/mail/` (the one
/// adapter; an IMAP account would be chosen here by the config).
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
}
