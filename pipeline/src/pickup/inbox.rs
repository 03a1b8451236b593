//! The registers of `sigap pickups import`: the settled `*.csv` files of
//! `inbox/pickups/`, read through ingest's inbox scan and settle rule (the
//! same skip list of half-written names, the same `SIGAP_INGEST_SETTLE_MS`),
//! or the files named on the command line.

use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::domain::application::Source;
use crate::inbox::{scan_folder, settled};
use crate::intake::{self, IntakeError};
use crate::pickup::run::RegisterFile;

/// The inbox folder of the registers, under the inbox.
pub const FOLDER: &str = "pickups";

/// The registers could not be listed or read.
#[derive(Debug, thiserror::Error)]
pub enum InboxError {
    /// `inbox/pickups/` cannot be listed.
    #[error("reading {}", path.display())]
    Folder {
        /// The folder.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A register cannot be read.
    #[error("cannot read the pickup register {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The settle setting is not a number.
    #[error(transparent)]
    Setting(#[from] IntakeError),
}

/// The settled registers in `inbox/pickups/`, by name, and how many are
/// still being written (read by a later run).
pub fn inbox_registers(config: &Config) -> Result<(Vec<PathBuf>, usize), InboxError> {
    let csv = |n: &str| n.to_ascii_lowercase().ends_with(".csv");
    let found = scan_folder(&config.inbox_dir(), FOLDER, Source::Pickup, &csv).map_err(|e| {
        InboxError::Folder {
            path: e.path,
            source: e.source,
        }
    })?;
    let settle = intake::Options::from_env(false, |k| std::env::var(k).ok())?.settle;
    let (files, waiting) = settled(found, settle);
    Ok((files.into_iter().map(|f| f.path).collect(), waiting))
}

/// The name a register goes by in sources: `pickups/<file>` inside the
/// inbox, else the file name as given.
pub fn register_name(config: &Config, path: &Path) -> String {
    match path.strip_prefix(config.inbox_dir()) {
        Ok(rel) => rel.display().to_string(),
        Err(_) => path.display().to_string(),
    }
}

/// Reads the registers at `paths`, named as [`register_name`] says.
pub fn read_registers(config: &Config, paths: &[PathBuf]) -> Result<Vec<RegisterFile>, InboxError> {
    paths
        .iter()
        .map(|p| {
            let bytes = std::fs::read(p).map_err(|source| InboxError::Read {
                path: p.clone(),
                source,
            })?;
            Ok(RegisterFile {
                name: register_name(config, p),
                bytes,
            })
        })
        .collect()
}
