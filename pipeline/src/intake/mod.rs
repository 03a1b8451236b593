//! Intake (`sigap ingest`): the inbox's form exports, app exports and mail
//! become RECEIVED applications, or quarantine entries; nothing read is
//! dropped. Every run accounts for each input as new, already known or
//! quarantined, and the three add up to what was read.
//!
//! - Files are never moved or changed: a file read is remembered by its
//!   path and SHA-256 (the applied-files ledger), and each input by a key
//!   (`intake_seen`): a form row by its timestamp, NIK and service cells
//!   (exports are cumulative), an app record by its id, a message by its
//!   Message-ID. Quarantined inputs are remembered too.
//! - A file still being copied is not read: dotfiles, Excel's `~$*` owner
//!   files, `*.tmp`, `*.part`,
//!   `*.partial`, `*.crdownload`, `*.download`, `*.swp`, `*~` and Maildir
//!   `tmp/` are skipped, and a file must keep its size and modification
//!   time across the settle period ([`Options::settle`]).
//! - An applicant whose application is INCOMPLETE and who applies again
//!   for the same service with the same NIK continues that application:
//!   the documents are added and it goes back to RECEIVED.
//! - The whole run is one transaction; a dry run rolls it back and writes
//!   no file.

mod app;
pub(crate) mod documents;
pub(crate) mod fields;
mod forms;
mod mail;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, FixedOffset, Utc};
use serde::Serialize;

use crate::config::Config;
use crate::digest::sha256_hex;
use crate::domain::application::{ApplicationId, NewApplication, Source};
use crate::domain::quarantine::{QuarantineId, QuarantineReason};
use crate::domain::state::State;
use crate::files::{
    FileError, create_private_dir, half_written, stat_settled as stat, write_atomic_private,
};
use crate::store::{
    Change, Document, FileChannel, FileKey, NewAppliedFile, NewQuarantine, Seen, Store, StoreError,
    Tx,
};
use documents::{Verdict, judge, quarantine_path, stored_path};

/// The actor written in the event log.
const ACTOR: &str = "sigap:ingest";

/// Environment variables that tune a run.
pub mod env {
    /// How long a file must stay unchanged before it is read, in milliseconds (default 1000).
    pub const SETTLE_MS: &str = "SIGAP_INGEST_SETTLE_MS";
    /// Largest document kept, in bytes (default 10 MiB); bigger ones are quarantined.
    pub const MAX_DOCUMENT_BYTES: &str = "SIGAP_MAX_DOCUMENT_BYTES";
}

/// How a run behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Count only: roll the database back and write no file.
    pub dry_run: bool,
    /// A file must keep its size and modification time this long to be read.
    pub settle: Duration,
    /// Documents bigger than this are quarantined (TOO_LARGE).
    pub max_document_bytes: u64,
}

impl Options {
    /// The defaults, overridden by `SIGAP_INGEST_SETTLE_MS` and
    /// `SIGAP_MAX_DOCUMENT_BYTES` from `env` (a lookup such as
    /// `|k| std::env::var(k).ok()`).
    pub fn from_env(
        dry_run: bool,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Options, IntakeError> {
        let number = |var: &'static str, default: u64| -> Result<u64, IntakeError> {
            match env(var).filter(|v| !v.trim().is_empty()) {
                None => Ok(default),
                Some(v) => v.trim().parse().map_err(|_| IntakeError::BadSetting {
                    var,
                    value: v.clone(),
                }),
            }
        };
        Ok(Options {
            dry_run,
            settle: Duration::from_millis(number(env::SETTLE_MS, 1000)?),
            max_document_bytes: number(env::MAX_DOCUMENT_BYTES, 10 * 1024 * 1024)?,
        })
    }
}

/// What a run did. `read = new + already_known + quarantined`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Inputs read: form rows, app records, messages (and whole files that
    /// could not be split into them).
    pub read: u64,
    /// New applications.
    pub new: u64,
    /// Inputs seen before, or continuing an INCOMPLETE application.
    pub already_known: u64,
    /// Inputs quarantined.
    pub quarantined: u64,
    /// Of `already_known`: resubmissions that continued an INCOMPLETE application.
    pub continued: u64,
    /// Documents recorded for applications.
    pub documents_stored: u64,
    /// Documents quarantined (the application itself was taken).
    pub documents_quarantined: u64,
    /// Inbox files read this run.
    pub files_read: u64,
    /// Files skipped because they were still changing.
    pub files_waiting: u64,
}

impl Counts {
    /// `read N, new N, already known N, quarantined N`.
    pub fn line(&self) -> String {
        format!(
            "read {}, new {}, already known {}, quarantined {}",
            self.read, self.new, self.already_known, self.quarantined
        )
    }

    /// Every input read is accounted for exactly once.
    pub fn adds_up(&self) -> bool {
        self.read == self.new + self.already_known + self.quarantined
    }

    /// Something was quarantined: a person must look.
    pub fn needs_attention(&self) -> bool {
        self.quarantined > 0 || self.documents_quarantined > 0
    }

    /// The counters as the job history stores them.
    pub fn counters(&self) -> BTreeMap<String, i64> {
        [
            ("read", self.read),
            ("new", self.new),
            ("already_known", self.already_known),
            ("quarantined", self.quarantined),
            ("continued", self.continued),
            ("documents_stored", self.documents_stored),
            ("documents_quarantined", self.documents_quarantined),
            ("files_read", self.files_read),
            ("files_waiting", self.files_waiting),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v as i64))
        .collect()
    }
}

/// Ingest could not run. Bad input is never an error: it is quarantined.
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    /// A file or folder could not be read or written.
    #[error(transparent)]
    File(#[from] FileError),
    /// The state database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An environment setting is not a number.
    #[error("{var}=`{value}` is not a whole number")]
    BadSetting {
        /// The variable.
        var: &'static str,
        /// Its value.
        value: String,
    },
}

/// One input as a parser read it.
#[derive(Debug)]
pub(crate) struct Item {
    /// Dedupe key: the same key seen again is "already known".
    pub key: String,
    /// Where it came from (`file:line`, `file#id`, the message file).
    pub source: String,
    /// Message-ID, for mail.
    pub message_id: Option<String>,
    /// What it is.
    pub body: Body,
}

/// An application or not.
#[derive(Debug)]
pub(crate) enum Body {
    /// An application with its documents.
    Application {
        /// What was submitted.
        app: Box<NewApplication>,
        /// The documents that came with it.
        documents: Vec<Incoming>,
    },
    /// Not an application.
    Quarantine {
        /// Why.
        reason: QuarantineReason,
        /// What exactly, and what to do.
        detail: String,
        /// The input, whole.
        raw: Vec<u8>,
        /// Keep it as a file with this extension (whole inbox files).
        file_ext: Option<&'static str>,
    },
}

/// A document as it arrived.
#[derive(Debug)]
pub(crate) struct Incoming {
    /// The kind the channel says (form column, app record), if any.
    pub kind: Option<String>,
    /// The sender's name for it (data, never a path), or the Drive links.
    pub original_name: String,
    /// Its content.
    pub content: Content,
}

/// A document's content.
#[derive(Debug)]
pub(crate) enum Content {
    /// Google Forms upload links: provided, but the file stays on Drive.
    Links,
    /// The file itself.
    Bytes(Vec<u8>),
    /// Named but not there; the detail says why.
    Missing(String),
}

/// What parsers need.
pub(crate) struct Ctx<'a> {
    /// The office.
    pub config: &'a Config,
    /// The office's UTC offset.
    pub office: FixedOffset,
    /// The run's time.
    pub at: DateTime<Utc>,
    /// The inbox folder.
    pub inbox: PathBuf,
}

/// Where an item goes.
pub(crate) type Sink<'s> = dyn FnMut(Item) -> Result<(), IntakeError> + 's;

/// A file in the inbox waiting to be read.
#[derive(Debug, Clone)]
pub(crate) struct InboxFile {
    /// Relative to the inbox, `/`-separated.
    pub rel: String,
    /// The file.
    pub path: PathBuf,
    /// The channel its folder is.
    pub channel: Source,
    /// Size when scanned.
    pub size: u64,
    /// Modification time when scanned (ns).
    pub mtime_ns: i64,
}

/// The candidate files of one inbox folder `inbox/<dir>`, by name: regular
/// files (symlinks are not followed) whose name is not a half-written one
/// and that `accept` takes. A missing folder has none. The one inbox scan:
/// ingest and `sigap pickups import` both read their folders through it.
pub(crate) fn scan_folder(
    inbox: &Path,
    dir: &str,
    channel: Source,
    accept: &dyn Fn(&str) -> bool,
) -> Result<Vec<InboxFile>, FileError> {
    let full = inbox.join(dir);
    let walker = walkdir::WalkDir::new(&full)
        .min_depth(1)
        .max_depth(1)
        .sort_by_file_name();
    let mut out = Vec::new();
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) if e.depth() == 0 => {
                let io = e.into_io_error();
                return match io {
                    Some(io) if io.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
                    Some(io) => Err(FileError::new(&full, io)),
                    None => Ok(Vec::new()),
                };
            }
            Err(_) => continue,
        };
        let name = entry.file_name().to_string_lossy().into_owned();
        if !entry.file_type().is_file() || half_written(&name) || !accept(&name) {
            continue;
        }
        if let Some((size, mtime_ns)) = stat(entry.path()) {
            out.push(InboxFile {
                rel: format!("{dir}/{name}"),
                path: entry.path().to_path_buf(),
                channel,
                size,
                mtime_ns,
            });
        }
    }
    Ok(out)
}

/// The settle rule: waits `settle` once for `files`, then keeps the ones
/// whose size and modification time did not change; the others are still
/// being written and are read by a later run. Returns the settled files
/// and how many are still being written.
pub(crate) fn settled(files: Vec<InboxFile>, settle: Duration) -> (Vec<InboxFile>, usize) {
    if !files.is_empty() && !settle.is_zero() {
        tracing::info!(
            "waiting {} ms for {} file(s) to settle",
            settle.as_millis(),
            files.len()
        );
        std::thread::sleep(settle);
    }
    let mut waiting = 0;
    let mut out = Vec::new();
    for f in files {
        if stat(&f.path) == Some((f.size, f.mtime_ns)) {
            out.push(f);
        } else {
            tracing::info!("{} is still changing; it is read by a later run", f.rel);
            waiting += 1;
        }
    }
    (out, waiting)
}

/// The inbox's candidate files, by channel and name. Symlinks are not followed.
fn scan(inbox: &Path) -> Vec<InboxFile> {
    let mut out = Vec::new();
    let mut add = |dir: &str, channel: Source, accept: &dyn Fn(&str) -> bool| {
        // An unreadable folder holds nothing to read yet.
        out.extend(scan_folder(inbox, dir, channel, accept).unwrap_or_default());
    };
    let ends = |exts: &'static [&'static str]| {
        move |n: &str| {
            let l = n.to_ascii_lowercase();
            exts.iter().any(|e| l.ends_with(e))
        }
    };
    add("forms", Source::Form, &ends(&[".csv"]));
    add("app", Source::App, &ends(&[".json", ".ndjson"]));
    add("mail", Source::Mail, &ends(&[".eml"]));
    add("mail/new", Source::Mail, &|_| true);
    add("mail/cur", Source::Mail, &|_| true);
    out
}

/// Runs ingest over the office's inbox at time `at`. Two runs must not
/// overlap: `sigap ingest` runs this through [`crate::job::Runner`], which
/// holds the ingest job's lock.
pub fn ingest(
    config: &Config,
    store: &mut Store,
    options: &Options,
    at: DateTime<Utc>,
) -> Result<Counts, IntakeError> {
    let data = config.data_dir();
    let inbox = config.inbox_dir();
    let ctx = Ctx {
        config,
        office: config.office.timezone.offset(),
        at,
        inbox: inbox.clone(),
    };
    let unused: Vec<&str> = ["form", "app", "mail"]
        .into_iter()
        .filter(|c| {
            !config.office.intake.is_empty() && !config.office.intake.iter().any(|i| i == c)
        })
        .collect();
    let run = |tx: &mut Tx<'_>| -> Result<Counts, IntakeError> {
        let mut r = Run {
            config,
            data: &data,
            options,
            at,
            counts: Counts::default(),
            read_again: false,
        };
        // Files already read with this size and time are not hashed again.
        let mut pending = Vec::new();
        for f in scan(&inbox) {
            let key = FileKey::Unchanged {
                name: &f.rel,
                size: f.size,
                mtime_ns: f.mtime_ns,
            };
            if tx.applied_file(FileChannel::Intake, key)?.is_none() {
                pending.push(f);
            }
        }
        let (pending, waiting) = settled(pending, options.settle);
        r.counts.files_waiting += waiting as u64;
        for f in pending {
            let bytes = std::fs::read(&f.path).map_err(|e| FileError::new(&f.path, e))?;
            let sha = sha256_hex(&bytes);
            let applied = |summary| NewAppliedFile {
                channel: FileChannel::Intake,
                name: &f.rel,
                sha256: &sha,
                summary,
                stat: Some((f.size, f.mtime_ns)),
            };
            let key = FileKey::Content {
                name: &f.rel,
                sha256: &sha,
            };
            if tx.applied_file(FileChannel::Intake, key)?.is_some() {
                // Read before and only touched: its new time is taken.
                tx.remember_applied_file(&applied(""), at)?;
                continue;
            }
            let channel_code = f.channel.code();
            if unused.contains(&channel_code) {
                tracing::warn!(
                    "{}: channel `{channel_code}` is not in office.intake, read anyway so nothing is lost",
                    f.rel
                );
            }
            let before = r.counts.read;
            {
                let mut sink = |item: Item| r.take(tx, f.channel, item, &sha);
                match f.channel {
                    Source::Form => forms::read(&f.rel, &bytes, &ctx, &mut sink)?,
                    Source::App => app::read(&f.rel, &bytes, &ctx, &mut sink)?,
                    Source::Mail => mail::read(&f.rel, &bytes, &ctx, &mut sink)?,
                    // `scan` assigns only the three inbox channels.
                    Source::Station | Source::Pickup => {
                        unreachable!("the inbox scan has no station or pickup channel")
                    }
                }
            }
            let items = r.counts.read - before;
            tracing::info!("{}: {items} input(s)", f.rel);
            if std::mem::take(&mut r.read_again) {
                tracing::warn!(
                    "{}: read again by every run until [forms] maps its columns",
                    f.rel
                );
            } else {
                tx.remember_applied_file(&applied(&format!("{items} input(s)")), at)?;
            }
            r.counts.files_read += 1;
        }
        Ok(r.counts)
    };
    store.transaction(!options.dry_run, run)
}

/// One run's state.
struct Run<'a> {
    config: &'a Config,
    data: &'a Path,
    options: &'a Options,
    at: DateTime<Utc>,
    counts: Counts,
    /// The file being read must be read again next run (its columns are
    /// missing: fixing `[forms]` in the config makes it readable).
    read_again: bool,
}

impl Run<'_> {
    /// Accounts for one input: already known, quarantined, a continued
    /// application or a new one.
    fn take(
        &mut self,
        tx: &mut Tx<'_>,
        channel: Source,
        item: Item,
        file_sha: &str,
    ) -> Result<(), IntakeError> {
        self.counts.read += 1;
        if matches!(
            item.body,
            Body::Quarantine {
                reason: QuarantineReason::MissingColumns,
                ..
            }
        ) {
            self.read_again = true;
        }
        if tx.seen(&item.key)?.is_some() {
            self.counts.already_known += 1;
            return Ok(());
        }
        match item.body {
            Body::Quarantine {
                reason,
                detail,
                raw,
                file_ext,
            } => {
                let q = self.quarantine(
                    tx,
                    channel,
                    &item.source,
                    item.message_id.as_deref(),
                    reason,
                    &detail,
                    &raw,
                    file_ext,
                )?;
                tx.remember(&item.key, Seen::Quarantine(q), &item.source, self.at)?;
                tracing::warn!("{q} quarantined: {} ({})", reason.code(), item.source);
                self.counts.quarantined += 1;
            }
            Body::Application { mut app, documents } => {
                let id = match tx.incomplete_application(&app.nik, app.service)? {
                    Some(id) => {
                        let detail = format!("resubmitted: {}", item.source);
                        tx.transition(
                            id,
                            State::Incomplete,
                            State::Received,
                            &Change {
                                actor: ACTOR,
                                detail: &detail,
                                ..Change::default()
                            },
                            self.at,
                        )?;
                        tracing::info!("{id} continued by {}", item.source);
                        self.counts.already_known += 1;
                        self.counts.continued += 1;
                        id
                    }
                    None => {
                        if tx.source_ref_taken(&app.source_ref)? {
                            // The same file name read again with other content
                            // (a fresh download saved over the old one).
                            app.source_ref = format!("{}@{}", app.source_ref, &file_sha[..12]);
                        }
                        let id = tx.insert_application(&app, ACTOR, self.at)?;
                        self.counts.new += 1;
                        id
                    }
                };
                tx.remember(&item.key, Seen::Application(id), &item.source, self.at)?;
                for doc in documents {
                    self.document(
                        tx,
                        channel,
                        id,
                        &item.source,
                        item.message_id.as_deref(),
                        doc,
                    )?;
                }
            }
        }
        Ok(())
    }

    fn write_data_file(&self, rel: &str, bytes: &[u8]) -> Result<(), IntakeError> {
        if self.options.dry_run {
            return Ok(());
        }
        let path = self.data.join(rel);
        if path.exists() {
            // Content-addressed names: the same bytes are already there.
            return Ok(());
        }
        if let Some(parent) = path.parent() {
            create_private_dir(parent)?;
        }
        write_atomic_private(&path, bytes)?;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn quarantine(
        &mut self,
        tx: &mut Tx<'_>,
        channel: Source,
        source: &str,
        message_id: Option<&str>,
        reason: QuarantineReason,
        detail: &str,
        raw: &[u8],
        file_ext: Option<&str>,
    ) -> Result<QuarantineId, IntakeError> {
        // Whole files and big inputs are kept as files, rows in the database.
        let as_file = file_ext.is_some() || raw.len() > 1024 * 1024;
        let (stored, sha) = if as_file {
            let sha = sha256_hex(raw);
            let rel = quarantine_path(&sha, file_ext.unwrap_or("bin"));
            self.write_data_file(&rel, raw)?;
            (Some(rel), Some(sha))
        } else {
            (None, None)
        };
        let id = tx.add_quarantine(
            &NewQuarantine {
                channel,
                source,
                message_id,
                reason,
                detail,
                raw: if as_file { &[] } else { raw },
                stored_path: stored.as_deref(),
                sha256: sha.as_deref(),
                size: raw.len() as u64,
            },
            self.at,
        )?;
        Ok(id)
    }

    fn document(
        &mut self,
        tx: &mut Tx<'_>,
        channel: Source,
        id: ApplicationId,
        source: &str,
        message_id: Option<&str>,
        doc: Incoming,
    ) -> Result<(), IntakeError> {
        let doc_source = format!("{source}#{}", doc.original_name);
        match doc.content {
            Content::Links => {
                let kind = doc.kind.unwrap_or_default();
                let added = tx.add_document(
                    &Document {
                        application: id,
                        sha256: sha256_hex(format!("{kind}\n{}", doc.original_name).as_bytes()),
                        kind,
                        original_name: doc.original_name,
                        stored_path: String::new(),
                        size: 0,
                        source_ref: source.to_string(),
                    },
                    self.at,
                )?;
                self.counts.documents_stored += u64::from(added);
            }
            Content::Missing(detail) => {
                let q = self.quarantine(
                    tx,
                    channel,
                    &doc_source,
                    message_id,
                    QuarantineReason::DocumentFileMissing,
                    &detail,
                    doc.original_name.as_bytes(),
                    None,
                )?;
                // The sender's file name may hold a name: not logged.
                tracing::warn!(
                    "{q} quarantined: {} (a document of {id})",
                    QuarantineReason::DocumentFileMissing.code()
                );
                self.counts.documents_quarantined += 1;
            }
            Content::Bytes(bytes) => {
                let sha = sha256_hex(&bytes);
                match judge(
                    doc.kind.as_deref(),
                    &doc.original_name,
                    &bytes,
                    &self.config.documents,
                    self.options.max_document_bytes,
                ) {
                    Verdict::Store { kind, ext } => {
                        let rel = stored_path(&id.to_string(), &sha, &kind, &ext);
                        self.write_data_file(&rel, &bytes)?;
                        let added = tx.add_document(
                            &Document {
                                application: id,
                                kind,
                                original_name: doc.original_name,
                                stored_path: rel,
                                sha256: sha,
                                size: bytes.len() as u64,
                                source_ref: source.to_string(),
                            },
                            self.at,
                        )?;
                        self.counts.documents_stored += u64::from(added);
                    }
                    Verdict::Quarantine {
                        reason,
                        detail,
                        ext,
                    } => {
                        let rel = quarantine_path(&sha, &ext);
                        self.write_data_file(&rel, &bytes)?;
                        let q = tx.add_quarantine(
                            &NewQuarantine {
                                channel,
                                source: &doc_source,
                                message_id,
                                reason,
                                detail: &format!("{detail} (application {id})"),
                                raw: &[],
                                stored_path: Some(&rel),
                                sha256: Some(&sha),
                                size: bytes.len() as u64,
                            },
                            self.at,
                        )?;
                        tracing::warn!("{q} quarantined: {} (a document of {id})", reason.code());
                        self.counts.documents_quarantined += 1;
                    }
                }
            }
        }
        Ok(())
    }
}
