//! The adapters of the ports ([`crate::ports`]): the population database
//! (a Parquet snapshot read with polars, the embedded default, and a
//! PostgreSQL table or view, production), outgoing mail by SMTP ([`mail`]),
//! the printer station's hot folder ([`station`]) and the inbox's Maildir
//! for incoming mail ([`maildir`]). [`open`] picks the population adapter
//! from the config, where `SIGAP_POPULATION_URL` has already overridden the
//! file.
//!
//! Both population adapters answer a whole batch at once: the batch's NIKs
//! are joined with the population in one query, never looked up one by one.

pub mod mail;
pub mod maildir;
mod parquet;
pub mod pg_tls;
mod postgres;
pub mod station;
pub mod tls;

use crate::config::{Config, PopulationSource};
use crate::ports::{PopulationDb, PopulationError};

pub use parquet::ParquetDb;
pub use postgres::PostgresDb;

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
