//! Why generating the sample office failed: a leaf module, so every part
//! of the generator can name the error without importing the generator.

use std::path::PathBuf;

use crate::config::ConfigError;
use crate::files::FileError;
use crate::office::InitError;

/// Generating the sample office failed.
#[derive(Debug, thiserror::Error)]
pub enum SampleError {
    /// The office directory could not be made (unknown profile, config already there, I/O).
    #[error(transparent)]
    Init(#[from] InitError),
    /// The config just written could not be read back.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Writing a file or folder failed.
    #[error(transparent)]
    File(#[from] FileError),
    /// Reading the card faces back from the snapshot failed.
    #[error(transparent)]
    Population(#[from] crate::ports::PopulationError),
    /// Writing the history's batch or results files failed.
    #[error(transparent)]
    Station(#[from] crate::ports::StationError),
    /// Writing the population snapshot failed.
    #[error("{}: writing Parquet failed", path.display())]
    Parquet {
        /// The snapshot file.
        path: PathBuf,
        /// polars' error.
        #[source]
        source: polars::error::PolarsError,
    },
    /// Writing a forms export failed.
    #[error("{}: writing CSV failed", path.display())]
    Csv {
        /// The export file.
        path: PathBuf,
        /// The csv crate's error.
        #[source]
        source: csv::Error,
    },
    /// Writing an app export or the manifest failed.
    #[error("{}: writing JSON failed", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// serde_json's error.
        #[source]
        source: serde_json::Error,
    },
    /// Writing the history into the state database failed.
    #[error("{}: writing the sample history failed", path.display())]
    Store {
        /// The state database.
        path: PathBuf,
        /// The store's error.
        #[source]
        source: crate::store::StoreError,
    },
    /// The profile cannot produce a sample office.
    #[error("{}: {reason}", path.display())]
    Unusable {
        /// The config file.
        path: PathBuf,
        /// What is missing.
        reason: String,
    },
    /// The profile offers no KTP-el service to apply for.
    #[error("{}: the profile offers no KTP-el service; sample applications need one", path.display())]
    NoKtpService {
        /// The config file.
        path: PathBuf,
    },
    /// Too few residents for the applications asked for.
    #[error(
        "{}: a population of {population} has {eligible} residents who can apply cleanly, but {applications} applications need {needed}; raise --population or lower --applications",
        path.display()
    )]
    PopulationTooSmall {
        /// The config file.
        path: PathBuf,
        /// Residents asked for.
        population: u64,
        /// Applications asked for.
        applications: u64,
        /// Active, recorded adults found.
        eligible: usize,
        /// Active, recorded adults needed.
        needed: usize,
    },
}
