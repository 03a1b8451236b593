//! The SLA report's files (`sigap report sla`): what they are called and
//! where they go (`out/reports/sla-FROM_TO.pdf`, `.html`,
//! `-TABLE.csv`), written 0600 and whole. Computing and rendering the
//! report is `reports::sla`; the model of the steps is [`crate::domain::sla`].

use std::path::PathBuf;

use chrono::NaiveDate;

use crate::config::Config;
use crate::files::{FileError, create_private_dir, write_atomic_private};

/// One rendered file of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlaFile {
    /// What follows the stem in the name: `.pdf`, `.html`, `-summary.csv`.
    pub suffix: String,
    /// Its content.
    pub bytes: Vec<u8>,
}

/// The folder of the reports: `out/reports/`.
pub fn reports_dir(config: &Config) -> PathBuf {
    config.out_dir().join("reports")
}

/// `sla-2026-11-01_2026-11-30`: the name every file of a period starts with.
pub fn stem(from: NaiveDate, to: NaiveDate) -> String {
    format!("sla-{from}_{to}")
}

/// Writes the report's files for the period, in order, each whole or not
/// at all; returns their paths.
pub fn write_files(
    config: &Config,
    from: NaiveDate,
    to: NaiveDate,
    files: &[SlaFile],
) -> Result<Vec<PathBuf>, FileError> {
    let dir = reports_dir(config);
    create_private_dir(&dir)?;
    let stem = stem(from, to);
    let mut written = Vec::new();
    for f in files {
        let path = dir.join(format!("{stem}{}", f.suffix));
        write_atomic_private(&path, &f.bytes)?;
        written.push(path);
    }
    Ok(written)
}
