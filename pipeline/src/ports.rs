//! The ports: one trait per outside system sigap talks to, with the types
//! that cross it. The adapters are in [`crate::adapters`], chosen by the
//! config; a stage sees only the trait.
//!
//! - the population database ([`PopulationDb`]): SIAK's residents, looked
//!   up a batch of NIKs at a time;
//! - the mailer ([`Mailer`]): outgoing notices;
//! - the printer station ([`Station`]): batches out, results back;
//! - the mailbox ([`Mailbox`]): incoming mail for ingest (the inbox's
//!   Maildir, and an IMAP account when `[intake.imap]` names one).
//!
//! An error type here carries no driver type: a driver's error travels as a
//! boxed source ([`BoxError`]), so a stage does not depend on polars,
//! tokio-postgres or lettre.

use std::path::PathBuf;

use chrono::{DateTime, NaiveDate, Utc};

use crate::config::env;
use crate::domain::batch::{BatchFiles, BatchManifest};
use crate::files::FileError;

/// A driver's error, as a port's error carries it.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

// The population database.

/// The columns verification reads, in this order, from the snapshot or the
/// table (`pipeline/sql/population.sql` lists them all).
pub const COLUMNS: [&str; 9] = [
    "nik",
    "kk_number",
    "name",
    "birth_date",
    "sex",
    "district_code",
    "marital_status",
    "biometric_recorded",
    "status",
];

/// The columns a card face needs, in this order (read for a print batch
/// only, so verification's lookup stays narrow).
pub const CARD_COLUMNS: [&str; 13] = [
    "nik",
    "name",
    "birth_place",
    "birth_date",
    "sex",
    "address",
    "rt",
    "rw",
    "village_code",
    "district_code",
    "religion",
    "occupation",
    "marital_status",
];

/// What a KTP-el face shows of a resident, as the population database
/// records it. A NULL text is read as empty.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CardDetails {
    /// The NIK as a number.
    pub nik: u64,
    /// Name as on the KK, upper case.
    pub name: String,
    /// Place of birth.
    pub birth_place: String,
    /// Birth date.
    pub birth_date: Option<NaiveDate>,
    /// `L` or `P`.
    pub sex: String,
    /// Street / dusun.
    pub address: String,
    /// RT, e.g. `003`.
    pub rt: String,
    /// RW, e.g. `004`.
    pub rw: String,
    /// Village, dotted (`34.02.15.2001`).
    pub village_code: String,
    /// Kecamatan of domicile, dotted.
    pub district_code: String,
    /// Religion.
    pub religion: String,
    /// Occupation.
    pub occupation: String,
    /// Marital status.
    pub marital_status: String,
}

/// One resident as the population database records them; only the fields
/// verification needs. A NULL text is read as empty, a NULL flag as false.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// The NIK as a number (16 digits, so it fits a u64).
    pub nik: u64,
    /// KK number, 16 digits.
    pub kk_number: String,
    /// Name as on the KK, upper case.
    pub name: String,
    /// Birth date.
    pub birth_date: Option<NaiveDate>,
    /// `L` or `P`.
    pub sex: String,
    /// Kecamatan of domicile, dotted (`34.02.15`).
    pub district_code: String,
    /// `BELUM KAWIN`, `KAWIN`, `CERAI HIDUP` or `CERAI MATI`.
    pub marital_status: String,
    /// Perekaman done centrally.
    pub biometric_recorded: bool,
    /// `AKTIF`, `MENINGGAL` or `PINDAH`.
    pub status: String,
}

/// A TLS setting that cannot be used: a config error (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The office CA file is missing, unreadable or holds no usable
    /// certificate.
    #[error("CA file {path}: {reason}; {fix}")]
    CaFile {
        /// The file as configured.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
        /// What to do.
        fix: &'static str,
    },
    /// A TLS setting in a URL that cannot be used.
    #[error("{setting}: {message}")]
    Setting {
        /// The environment variable or config key.
        setting: &'static str,
        /// What is wrong and what to set.
        message: String,
    },
    /// rustls refused the configuration (not expected with ring).
    #[error("TLS setup: {0}")]
    Setup(String),
}

/// Reading the population database failed. Each variant names the file or
/// server and says what to do.
#[derive(Debug, thiserror::Error)]
pub enum PopulationError {
    /// The Parquet snapshot is not there.
    #[error(
        "population snapshot {} does not exist; set population.path in sigap.toml or SIGAP_POPULATION_URL to the SIAK export (Parquet) or to postgres://…",
        path.display()
    )]
    SnapshotMissing {
        /// The file looked for.
        path: PathBuf,
    },
    /// polars could not read the snapshot.
    #[error(
        "population snapshot {}: cannot read it as Parquet with the columns {} (see docs/verification.md, \"The population database\")",
        path.display(),
        COLUMNS.join(", ")
    )]
    Parquet {
        /// The file.
        path: PathBuf,
        /// polars' error.
        #[source]
        source: BoxError,
    },
    /// The PostgreSQL adapter is configured without a URL.
    #[error(
        "population.adapter is \"postgres\" but no URL is given; set SIGAP_POPULATION_URL=postgres://user@host/db (keep the password out of sigap.toml)"
    )]
    NoUrl,
    /// The table name in the config is not a plain (schema-qualified) identifier.
    #[error(
        "population.table `{0}` is not a table name; use letters, digits and `_`, optionally `schema.table`"
    )]
    BadTable(String),
    /// The server could not be reached or refused the login.
    #[error(
        "cannot connect to the population database at {target}; check that the server is up and SIGAP_POPULATION_URL is right"
    )]
    Connect {
        /// The URL without its password.
        target: String,
        /// The driver's error.
        #[source]
        source: BoxError,
    },
    /// A TLS setting of `SIGAP_POPULATION_URL` cannot be used (sslmode,
    /// sslrootcert, a password prefer could send in clear).
    #[error("{0}")]
    Tls(#[from] TlsError),
    /// The server's certificate was refused; nothing was sent.
    #[error(
        "cannot connect to the population database at {target}: the server's certificate {problem}; {fix}"
    )]
    Certificate {
        /// The URL without its password.
        target: String,
        /// What is wrong with the certificate, as rustls found it.
        problem: String,
        /// What to set or change instead.
        fix: String,
    },
    /// The server takes only encrypted sessions (pg_hba.conf `hostssl`)
    /// and the URL says sslmode=disable.
    #[error(
        "the population database at {target} refuses a plain session (its pg_hba.conf allows only hostssl); set sslmode=verify-full&sslrootcert=/path/ca.pem (the office CA's PEM file) in SIGAP_POPULATION_URL"
    )]
    NeedsTls {
        /// The URL without its password.
        target: String,
    },
    /// A statement failed on the server.
    #[error(
        "population database at {target}: {step} failed; the table needs the columns {} (pipeline/sql/population.sql)",
        COLUMNS.join(", ")
    )]
    Query {
        /// The URL without its password.
        target: String,
        /// What was being done.
        step: &'static str,
        /// The driver's error.
        #[source]
        source: BoxError,
    },
    /// The server went away or ended the session in the middle of a step
    /// (stopped, restarted, the backend terminated, the network cut).
    #[error(
        "population database at {target}: the connection was lost during {step} (the server stopped or ended the session); nothing is half done: run the job again once the server is back"
    )]
    ConnectionLost {
        /// The URL without its password.
        target: String,
        /// What was being done.
        step: &'static str,
        /// The driver's error.
        #[source]
        source: BoxError,
    },
    /// The async runtime for the PostgreSQL client could not start.
    #[error("cannot start the runtime for the PostgreSQL client")]
    Runtime(#[source] std::io::Error),
    /// A NIK in the database is not 16 digits.
    #[error(
        "{source_name}: nik `{value}` is not 16 digits; fix the row in the population database"
    )]
    BadNik {
        /// File or server.
        source_name: String,
        /// The value found.
        value: String,
    },
}

/// The population database: one batch of NIKs in, the residents found out.
pub trait PopulationDb {
    /// The residents whose NIK is in `niks`, in no particular order; a NIK
    /// not found is simply absent. One round trip for the whole batch.
    fn lookup(&mut self, niks: &[u64]) -> Result<Vec<Person>, PopulationError>;

    /// What the card faces of a print batch need, for the residents whose
    /// NIK is in `niks`; one round trip, like [`PopulationDb::lookup`].
    fn card_details(&mut self, niks: &[u64]) -> Result<Vec<CardDetails>, PopulationError>;

    /// Which database this is, for logs and messages (never a password).
    fn describe(&self) -> String;
}

// Outgoing mail.

/// One message, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// Recipient address.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// HTML alternative.
    pub html: String,
    /// The Message-ID, with its angle brackets.
    pub message_id: String,
    /// The Date header.
    pub date: DateTime<Utc>,
}

/// Why a send failed, in the three ways that need different handling.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The server refused this message for now (4xx): try again later.
    #[error("the mail server refused the message for now: {0}")]
    Transient(String),
    /// The server refused this message for good (5xx) or it cannot be built
    /// (a malformed address): retrying will not help.
    #[error("the mail server refused the message: {0}")]
    Permanent(String),
    /// The server could not be reached or the session broke (connection,
    /// TLS, login, timeout): nothing is the message's fault.
    #[error(
        "cannot send through {server}: {message}; check that the server is up and {} is right",
        env::SMTP_URL
    )]
    Unreachable {
        /// The server, without password.
        server: String,
        /// What went wrong.
        message: String,
    },
    /// The server's TLS certificate was refused: the session stopped before
    /// anything (a login, a message) was sent.
    #[error("cannot send through {server}: the server's certificate {problem}; {fix}")]
    Certificate {
        /// The server, without password.
        server: String,
        /// What is wrong with the certificate, as rustls found it.
        problem: String,
        /// What to set or change instead.
        fix: String,
    },
    /// The URL has a login but the session it describes may not be
    /// encrypted: refused before connecting, so no password leaves.
    #[error(
        "{} {server} would send the SMTP password unencrypted ({why}); nothing was sent. Use smtps://…:465 (TLS from the first byte) or add tls=required (STARTTLS), e.g. {example}; only on a network you trust and with a server that cannot do TLS, add auth_in_clear=yes to say the password may go in clear",
        env::SMTP_URL
    )]
    PasswordInClear {
        /// The URL, without password.
        server: String,
        /// Why the session may be plain.
        why: &'static str,
        /// The same URL with `tls=required`, without password.
        example: String,
    },
    /// No server is configured.
    #[error(
        "no mail server configured; set {} (e.g. smtp://mail.example.go.id:587?tls=required)",
        env::SMTP_URL
    )]
    NoUrl,
    /// The URL cannot be read (lettre's message, or a parameter sigap does
    /// not know).
    #[error(
        "{} is not a mail server URL sigap understands ({message}); use smtp://[user:pass@]host[:port][?tls=required|opportunistic][&auth_in_clear=yes] or smtps://[user:pass@]host[:port]",
        env::SMTP_URL
    )]
    BadUrl {
        /// lettre's message.
        message: String,
    },
    /// The sender configured in `[smtp]` is not an address.
    #[error("smtp.{key} `{value}` is not an email address; fix it in sigap.toml")]
    BadSender {
        /// `from_address` or `reply_to`.
        key: &'static str,
        /// The value.
        value: String,
    },
    /// The office CA file (`SIGAP_SMTP_CA_FILE`) cannot be used.
    #[error("{0}")]
    Tls(#[from] TlsError),
    /// The async runtime could not start.
    #[error("cannot start the runtime for the SMTP client")]
    Runtime(#[source] std::io::Error),
}

impl MailError {
    /// A setting to fix (the URL, the sender), not a server's answer: the
    /// command exits as a configuration error.
    pub fn is_setting(&self) -> bool {
        matches!(
            self,
            MailError::NoUrl
                | MailError::BadUrl { .. }
                | MailError::BadSender { .. }
                | MailError::PasswordInClear { .. }
                | MailError::Tls(_)
        )
    }
}

/// Sends mail: one message at a time, accepted by the server or not.
pub trait Mailer {
    /// Sends one message. `Ok` means the server accepted it.
    fn send(&mut self, mail: &Mail) -> Result<(), MailError>;

    /// Which server this is, for messages (never a password).
    fn describe(&self) -> String;
}

// The printer station.

/// A station failure: which path, what happened, what to do.
#[derive(Debug, thiserror::Error)]
pub enum StationError {
    /// A file or folder could not be read or written.
    #[error("station hot folder: {0}")]
    File(#[from] FileError),
    /// A batch folder of the same id holds different cards.
    #[error(
        "{path}: a batch folder with this id already holds different cards (its cards.csv has SHA-256 {found}, sigap's batch {expected}); move the folder away after checking with the station, then dispatch again"
    )]
    Conflict {
        /// The folder.
        path: PathBuf,
        /// Hash found.
        found: String,
        /// Hash expected.
        expected: String,
    },
}

/// What dispatching a batch did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dispatch {
    /// The folder was written.
    Written,
    /// The same batch was already there (an earlier run, or a crash after
    /// the rename): nothing written.
    AlreadyThere,
}

/// A complete results file in the results folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultsFile {
    /// File name, e.g. `B-20261126-SEWON-1.csv`.
    pub name: String,
    /// Full path.
    pub path: PathBuf,
    /// Content.
    pub bytes: Vec<u8>,
    /// SHA-256 of the content.
    pub sha256: String,
}

impl ResultsFile {
    /// The batch the file is named after (the name without `.csv`).
    pub fn batch_id(&self) -> &str {
        self.name.strip_suffix(".csv").unwrap_or(&self.name)
    }
}

/// A batch waiting at the station (no results file yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incoming {
    /// The batch's manifest.
    pub manifest: BatchManifest,
    /// Its folder.
    pub path: PathBuf,
}

/// The printer station.
pub trait Station {
    /// Puts a batch where the station picks it up. Idempotent.
    fn dispatch(&self, files: &BatchFiles) -> Result<Dispatch, StationError>;
    /// Complete results files, by name.
    fn results(&self) -> Result<Vec<ResultsFile>, StationError>;
    /// Batches dispatched and not yet answered (the operator's list).
    fn incoming(&self) -> Result<Vec<Incoming>, StationError>;
    /// The cards of a dispatched batch (the operator's side).
    fn cards(&self, batch_id: &str) -> Result<Option<Vec<u8>>, StationError>;
    /// Writes a results file (the operator's side), whole or not at all.
    fn write_results(&self, batch_id: &str, bytes: &[u8]) -> Result<PathBuf, StationError>;
    /// Where a dispatched batch is, for messages (the hot folder's path).
    fn batch_location(&self, batch_id: &str) -> String;
    /// Where a batch's `cards.csv` is, for messages about it.
    fn cards_path(&self, batch_id: &str) -> PathBuf {
        std::path::Path::new(batch_id).join("cards.csv")
    }
}

// Incoming mail.

/// A message a [`Mailbox`] holds, as listed: named, not read yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// Stable name: the same message listed by a later run has the same
    /// key. Ingest's applied-files ledger remembers the message by it (with
    /// the content's SHA-256), so a key must never name two messages at once.
    pub key: String,
    /// Where it came from, for the application's source and for quarantine
    /// entries and their messages (what a person looks for).
    pub source: String,
    /// Size in bytes when listed.
    pub size: u64,
    /// When the mailbox last changed it, in nanoseconds since the epoch (a
    /// file's modification time). With `size` it lets ingest pass over a
    /// message its ledger holds without reading it again.
    pub modified_ns: i64,
}

/// A mailbox could not be read.
#[derive(Debug, thiserror::Error)]
pub enum MailboxError {
    /// A file or folder of a local mailbox could not be read.
    #[error(transparent)]
    File(#[from] FileError),
    /// A mailbox on a server failed at one step (connecting, TLS, the
    /// login, the folder, a fetch) or is set up so that it must not be
    /// used (a password over a plain connection).
    #[error("mailbox {mailbox}: {what}; {fix}")]
    Server {
        /// The mailbox, without password (`imap://user@host:port/folder`).
        mailbox: String,
        /// What failed, with the server's or the driver's words.
        what: String,
        /// What to check or set.
        fix: String,
    },
}

/// Where ingest stopped in a mailbox on a server, kept in the store with
/// the run that read up to it: the folder's UIDVALIDITY and the highest UID
/// up to which the ledger holds every message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    /// The folder's UIDVALIDITY (a new one renumbers the folder).
    pub uidvalidity: u32,
    /// Every message up to this UID is in the ledger.
    pub last_uid: u32,
}

/// Incoming mail: where ingest finds the messages to read. Ingest keeps the
/// memory of what it read (its ledger), so a mailbox needs to hand out
/// only what it holds, under stable keys.
///
/// A run: [`Mailbox::messages`]; after the settle wait
/// [`Mailbox::unchanged`] for those the ledger does not hold; then
/// [`Mailbox::read`] for each settled one; and once the run is committed,
/// [`Mailbox::taken`].
pub trait Mailbox {
    /// The messages it holds that may be new, in the order they are read.
    /// Messages read before may be listed again: the ledger knows them.
    fn messages(&mut self) -> Result<Vec<Listed>, MailboxError>;

    /// Whether a listed message is still as listed once ingest has waited
    /// its settle period; one that is not is still being written and is
    /// read by a later run. A mailbox whose messages are whole when listed
    /// (IMAP) answers true.
    fn unchanged(&mut self, message: &Listed) -> Result<bool, MailboxError>;

    /// The raw message (RFC 5322 bytes).
    fn read(&mut self, message: &Listed) -> Result<Vec<u8>, MailboxError>;

    /// After a committed run: the listed messages the ledger now holds
    /// (read by this run or an earlier one), so a mailbox may mark, move or
    /// forget them. Called again for the same messages by later runs while
    /// it lists them, so a failed call is made good by the next run.
    fn taken(&mut self, messages: &[Listed]) -> Result<(), MailboxError>;

    /// Which mailbox this is, for messages and logs (never a password).
    fn describe(&self) -> String;

    /// The name the store keeps this mailbox's [`Mark`] under, for a
    /// mailbox that lists only what is above it (IMAP); `None` for one that
    /// lists everything it holds every run (the Maildir).
    fn mark_name(&self) -> Option<String> {
        None
    }

    /// Before [`Mailbox::messages`]: the mark the last committed run stored.
    fn resume(&mut self, _mark: Option<Mark>) {}

    /// Inside the run's transaction, once `held` (the listed messages the
    /// ledger now holds) is known: the mark to store, if it moved.
    fn mark(&self, _held: &[Listed]) -> Option<Mark> {
        None
    }
}
