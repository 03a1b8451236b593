//! The adapters of the ports ([`crate::ports`]): the population database
//! (a Parquet snapshot read with polars, the embedded default, and a
//! PostgreSQL table or view, production), outgoing mail by SMTP ([`mail`]),
//! the printer station's hot folder ([`station`]), and incoming mail: the
//! inbox's Maildir ([`maildir`]) and an IMAP account ([`imap`]), both read
//! when configured ([`mailboxes`]). [`open`] picks the population adapter
//! from the config, where `SIGAP_POPULATION_URL` has already overridden the
//! file.
//!
//! Both population adapters answer a whole batch at once: the batch's NIKs
//! are joined with the population in one query, never looked up one by one.

pub mod imap;
pub mod mail;
pub mod maildir;
mod parquet;
pub mod pg_tls;
mod postgres;
pub mod station;
pub mod tls;

use crate::config::{Config, PopulationSource};
use crate::ports::{Mailbox, PopulationDb, PopulationError};

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

/// The mailboxes ingest reads, in this order: the inbox's Maildir
/// (always: a missing `inbox/mail/` holds nothing), then the
/// `[intake.imap]` account when the config names one, its password and CA
/// file from `env`. A message in both is one input: its Message-ID makes
/// the second copy "already known".
pub fn mailboxes(config: &Config, env: impl Fn(&str) -> Option<String>) -> Vec<Box<dyn Mailbox>> {
    let mut out: Vec<Box<dyn Mailbox>> = vec![maildir::open(config)];
    if let Some(account) = imap::open(config, env) {
        out.push(Box::new(account));
    }
    out
}

/// The NIK as a number, if it is 16 digits.
pub fn nik_number(digits: &str) -> Option<u64> {
    (digits.len() == 16 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}
