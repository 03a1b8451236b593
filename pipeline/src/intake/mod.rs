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
//! - Mail comes through the [`Mailbox`] port (the inbox's Maildir,
//!   [`crate::adapters::maildir`], and an IMAP account,
//!   [`crate::adapters::imap`]); their messages go through the same
//!   ledger, settle period and counts as the inbox's files. A mailbox that
//!   fails (a server down, a refused login) stops only its own part: what
//!   was read before stays read, the forms and app exports come in, and the
//!   run says which mailbox failed ([`Counts::mailbox_errors`]).
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
use crate::domain::outcome::Outcome;
use crate::domain::quarantine::{QuarantineId, QuarantineReason};
use crate::domain::state::State;
use crate::files::{FileError, create_private_dir, write_atomic_private};
use crate::inbox::{InboxFile, scan_folder, settle_wait, unchanged};
use crate::ports::{Listed, Mailbox, MailboxError, Mark};
use crate::store::{
    Change, Document, FileChannel, FileKey, MailboxState, NewAppliedFile, NewQuarantine, Seen,
    Store, StoreError, Tx,
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
    /// Mailboxes that could not be read to the end: each one's error,
    /// naming the mailbox, what failed and what to set. Their messages not
    /// read yet are read by a later run.
    pub mailbox_errors: Vec<String>,
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

    /// A mailbox could not be read to the end: the run failed in part.
    pub fn mail_failed(&self) -> bool {
        !self.mailbox_errors.is_empty()
    }

    /// How the run ended: failed when a mailbox failed (the rest is
    /// recorded all the same), else attention when a person must look.
    pub fn outcome(&self) -> Outcome {
        if self.mail_failed() {
            Outcome::Failed
        } else {
            Outcome::attention_if(self.needs_attention())
        }
    }

    /// [`Counts::line`], and each mailbox that failed: the job history's summary.
    pub fn summary(&self) -> String {
        let mut line = self.line();
        for e in &self.mailbox_errors {
            line.push_str("; the mail part failed: ");
            line.push_str(e);
        }
        line
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
            ("mailboxes_failed", self.mailbox_errors.len() as u64),
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
        /// Who sent it on the applicant's behalf (a kecamatan forwarding a
        /// mail): for the event detail, never the applicant's email.
        forwarded_by: Option<String>,
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

/// The inbox's candidate export files, by channel and name (mail is the
/// [`Mailbox`]'s). Symlinks are not followed.
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
    out
}

/// Runs ingest over the office's inbox and `mailboxes` at time `at`. Two
/// runs must not overlap: `sigap ingest` runs this through
/// [`crate::job::Runner`], which holds the ingest job's lock.
pub fn ingest(
    config: &Config,
    store: &mut Store,
    mailboxes: &mut [&mut dyn Mailbox],
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
    let run = |tx: &mut Tx<'_>| -> Result<(Counts, Vec<Vec<Listed>>), IntakeError> {
        let mut r = Run {
            config,
            data: &data,
            options,
            at,
            counts: Counts::default(),
            read_again: false,
        };
        // Files and messages already read with this size and time are not
        // read or hashed again.
        let unchanged_since = |tx: &mut Tx<'_>, name: &str, size, mtime_ns| {
            let key = FileKey::Unchanged {
                name,
                size,
                mtime_ns,
            };
            tx.applied_file(FileChannel::Intake, key)
                .map(|found| found.is_some())
        };
        let mut pending = Vec::new();
        for f in scan(&inbox) {
            if !unchanged_since(tx, &f.rel, f.size, f.mtime_ns)? {
                pending.push(f);
            }
        }
        // Per mailbox: the listed messages the ledger holds (for
        // `Mailbox::taken`) and those to read.
        let mut held: Vec<Vec<Listed>> = Vec::new();
        let mut pending_mail: Vec<Vec<Listed>> = Vec::new();
        for mailbox in mailboxes.iter_mut() {
            let mut mine = (Vec::new(), Vec::new());
            if let Some(name) = mailbox.mark_name() {
                let mark = tx.mailbox_state(&name)?.map(|m| Mark {
                    uidvalidity: m.uidvalidity,
                    last_uid: m.last_uid,
                });
                mailbox.resume(mark);
            }
            match mailbox.messages() {
                Ok(listed) => {
                    for m in listed {
                        if unchanged_since(tx, &m.key, m.size, m.modified_ns)? {
                            mine.0.push(m);
                        } else {
                            mine.1.push(m);
                        }
                    }
                }
                Err(e) => r.mailbox_failed(&e),
            }
            held.push(mine.0);
            pending_mail.push(mine.1);
        }
        // One wait for files and messages alike.
        let waiting_mail: usize = pending_mail.iter().map(Vec::len).sum();
        settle_wait(pending.len() + waiting_mail, options.settle);
        let (pending, waiting) = unchanged(pending);
        r.counts.files_waiting += waiting as u64;
        for f in pending {
            let bytes = std::fs::read(&f.path).map_err(|e| FileError::new(&f.path, e))?;
            let input = Input {
                name: &f.rel,
                source: &f.rel,
                channel: f.channel,
                stat: (f.size, f.mtime_ns),
            };
            r.input(tx, &ctx, &unused, &input, &bytes)?;
        }
        for ((mailbox, pending), held) in mailboxes.iter_mut().zip(pending_mail).zip(&mut held) {
            r.mail(tx, &ctx, &unused, &mut **mailbox, pending, held)?;
            if let (Some(name), Some(mark)) = (mailbox.mark_name(), mailbox.mark(held)) {
                let state = MailboxState {
                    uidvalidity: mark.uidvalidity,
                    last_uid: mark.last_uid,
                };
                tx.set_mailbox_state(&name, state, at)?;
            }
        }
        Ok((r.counts, held))
    };
    let (counts, held) = store.transaction(!options.dry_run, run)?;
    if !options.dry_run {
        for (mailbox, held) in mailboxes.iter_mut().zip(held) {
            if held.is_empty() {
                continue;
            }
            // The run is committed and the ledger holds them: a mailbox that
            // cannot mark them now is told again by the next run.
            if let Err(e) = mailbox.taken(&held) {
                tracing::warn!("the mailbox could not note the messages read: {e}");
            }
        }
    }
    Ok(counts)
}

/// One inbox file or message about to be read.
struct Input<'a> {
    /// Its name in the applied-files ledger.
    name: &'a str,
    /// Where it came from, for sources and quarantine messages.
    source: &'a str,
    /// The channel it is.
    channel: Source,
    /// Size and modification time (ns) when listed.
    stat: (u64, i64),
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
    /// Reads one mailbox's settled messages, adding those the ledger now
    /// holds to `held`. The mailbox failing stops its part only.
    fn mail(
        &mut self,
        tx: &mut Tx<'_>,
        ctx: &Ctx<'_>,
        unused: &[&str],
        mailbox: &mut dyn Mailbox,
        pending: Vec<Listed>,
        held: &mut Vec<Listed>,
    ) -> Result<(), IntakeError> {
        for m in pending {
            let read = mailbox
                .unchanged(&m)
                .and_then(|whole| whole.then(|| mailbox.read(&m)).transpose());
            let bytes = match read {
                Ok(Some(bytes)) => bytes,
                Ok(None) => {
                    tracing::info!("{} is still changing; it is read by a later run", m.source);
                    self.counts.files_waiting += 1;
                    continue;
                }
                Err(e) => {
                    self.mailbox_failed(&e);
                    return Ok(());
                }
            };
            let input = Input {
                name: &m.key,
                source: &m.source,
                channel: Source::Mail,
                stat: (m.size, m.modified_ns),
            };
            if self.input(tx, ctx, unused, &input, &bytes)? {
                held.push(m);
            }
        }
        Ok(())
    }

    /// Notes a mailbox that could not be read (its part of the run stops).
    fn mailbox_failed(&mut self, e: &MailboxError) {
        tracing::error!("the mail part failed: {e}");
        self.counts.mailbox_errors.push(e.to_string());
    }

    /// Reads one inbox file or message: known by its content, or every
    /// input in it accounted for. Returns whether the ledger now holds it.
    fn input(
        &mut self,
        tx: &mut Tx<'_>,
        ctx: &Ctx<'_>,
        unused: &[&str],
        input: &Input<'_>,
        bytes: &[u8],
    ) -> Result<bool, IntakeError> {
        let sha = sha256_hex(bytes);
        let applied = |summary| NewAppliedFile {
            channel: FileChannel::Intake,
            name: input.name,
            sha256: &sha,
            summary,
            stat: Some(input.stat),
        };
        let key = FileKey::Content {
            name: input.name,
            sha256: &sha,
        };
        if tx.applied_file(FileChannel::Intake, key)?.is_some() {
            // Read before and only touched: its new time is taken.
            tx.remember_applied_file(&applied(""), self.at)?;
            return Ok(true);
        }
        let channel_code = input.channel.code();
        if unused.contains(&channel_code) {
            tracing::warn!(
                "{}: channel `{channel_code}` is not in office.intake, read anyway so nothing is lost",
                input.source
            );
        }
        let before = self.counts.read;
        {
            let mut sink = |item: Item| self.take(tx, input.channel, item, &sha);
            match input.channel {
                Source::Form => forms::read(input.source, bytes, ctx, &mut sink)?,
                Source::App => app::read(input.source, bytes, ctx, &mut sink)?,
                Source::Mail => mail::read(input.source, bytes, ctx, &mut sink)?,
                // The inbox scan and the mailbox give only the three channels.
                Source::Station | Source::Pickup => {
                    unreachable!("the inbox scan has no station or pickup channel")
                }
            }
        }
        let items = self.counts.read - before;
        tracing::info!("{}: {items} input(s)", input.source);
        let held = if std::mem::take(&mut self.read_again) {
            tracing::warn!(
                "{}: read again by every run until [forms] maps its columns",
                input.source
            );
            false
        } else {
            tx.remember_applied_file(&applied(&format!("{items} input(s)")), self.at)?;
            true
        };
        self.counts.files_read += 1;
        Ok(held)
    }

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
            Body::Application {
                mut app,
                documents,
                forwarded_by,
            } => {
                // The channel's sender, when it is not the applicant, goes
                // to the event log (the store), not to the logs.
                let via = forwarded_by
                    .map(|f| format!("forwarded by {f}"))
                    .unwrap_or_default();
                let id = match tx.incomplete_application(&app.nik, app.service)? {
                    Some(id) => {
                        let detail = match via.as_str() {
                            "" => format!("resubmitted: {}", item.source),
                            via => format!("resubmitted: {}, {via}", item.source),
                        };
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
                        let id = tx.insert_application_with(&app, ACTOR, &via, self.at)?;
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
