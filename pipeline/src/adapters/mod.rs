//! The population database behind one trait, [`PopulationDb`], with two
//! real adapters: a Parquet snapshot read with polars (the embedded
//! default) and a PostgreSQL table or view (production). [`open`] picks one
//! from the config, where `SIGAP_POPULATION_URL` has already overridden the
//! file.
//!
//! Outgoing mail has its own trait and SMTP adapter in [`mail`].
//!
//! Both adapters answer a whole batch at once: the batch's NIKs are joined
//! with the population in one query, never looked up one by one.

pub mod mail;
mod parquet;
mod postgres;

use std::path::PathBuf;

use chrono::NaiveDate;

use crate::config::{Config, PopulationSource};

pub use parquet::ParquetDb;
pub use postgres::PostgresDb;

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
        source: polars::error::PolarsError,
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
        source: tokio_postgres::Error,
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
        source: tokio_postgres::Error,
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
        source: tokio_postgres::Error,
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

/// Opens the adapter the config names (after `SIGAP_POPULATION_URL`).
/// Nothing is read yet: a missing file or an unreachable server shows on
/// the first lookup, or here for the server.
pub fn open(config: &Config) -> Result<Box<dyn PopulationDb>, PopulationError> {
    match &config.population {
        PopulationSource::Parquet { path } => Ok(Box::new(ParquetDb::new(config.resolve(path)))),
        PopulationSource::Postgres { url, table } => {
            let url = url.as_deref().ok_or(PopulationError::NoUrl)?;
            Ok(Box::new(PostgresDb::connect(url, table)?))
        }
    }
}

/// The NIK as a number, if it is 16 digits.
pub fn nik_number(digits: &str) -> Option<u64> {
    (digits.len() == 16 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}
