//! The hot-folder adapter of the [`Station`] port:
//!
//! ```text
//! spool/outgoing/<batch>/manifest.json, cards.csv   sigap → station
//! spool/results/<batch>.csv                          station → sigap
//! ```
//!
//! A batch folder is written under a dot-name and renamed into place, so the
//! station never sees half a batch; a results file is read only once it is
//! complete (the inbox's rule, [`half_written`]: no dot-name, no Excel
//! `~$` owner file, no `.tmp`/`.part`/`.crdownload`…). The same adapter serves the
//! station operator's side (`sigap station list | confirm`), so an office
//! needs no other software.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::digest::sha256_hex;
use crate::domain::batch::{BatchFiles, BatchManifest};
use crate::files::{FileError, create_private_dir, half_written, sync_dir, write_atomic_private};
use crate::ports::{Dispatch, Incoming, ResultsFile, Station, StationError};

/// The station the config names, as [`crate::adapters::open`] opens the
/// population database: today always the hot folder under the office's
/// `spool/` (the one adapter).
pub fn open(config: &Config) -> Box<dyn Station> {
    Box::new(HotFolder::new(&config.spool_dir()))
}

fn io_err(path: &Path, e: io::Error) -> StationError {
    StationError::File(FileError::new(path, e))
}

/// The hot-folder station under the office's `spool/`.
#[derive(Debug, Clone)]
pub struct HotFolder {
    outgoing: PathBuf,
    results: PathBuf,
}

impl HotFolder {
    /// The station at `spool` (`outgoing/` and `results/` inside).
    pub fn new(spool: &Path) -> HotFolder {
        HotFolder {
            outgoing: spool.join("outgoing"),
            results: spool.join("results"),
        }
    }

    /// Folder of a batch.
    pub fn batch_dir(&self, batch_id: &str) -> PathBuf {
        self.outgoing.join(batch_id)
    }

    fn results_path(&self, batch_id: &str) -> PathBuf {
        self.results.join(format!("{batch_id}.csv"))
    }
}

/// Batch ids become folder and file names: only these characters.
fn safe_id(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('.')
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

impl Station for HotFolder {
    fn dispatch(&self, files: &BatchFiles) -> Result<Dispatch, StationError> {
        let id = &files.manifest.batch_id;
        assert!(safe_id(id), "batch ids are made by sigap: {id}");
        create_private_dir(&self.outgoing)?;
        let dir = self.batch_dir(id);
        if dir.exists() {
            let csv_path = dir.join("cards.csv");
            let found = fs::read(&csv_path).map_err(|e| io_err(&csv_path, e))?;
            let found = sha256_hex(&found);
            if found == files.manifest.cards_sha256 {
                return Ok(Dispatch::AlreadyThere);
            }
            return Err(StationError::Conflict {
                path: dir,
                found,
                expected: files.manifest.cards_sha256.clone(),
            });
        }
        // Leftovers of a run that died before its rename are rewritten.
        let tmp = self.outgoing.join(format!(".{id}.partial"));
        if tmp.exists() {
            fs::remove_dir_all(&tmp).map_err(|e| io_err(&tmp, e))?;
        }
        create_private_dir(&tmp)?;
        write_atomic_private(&tmp.join("cards.csv"), &files.cards_csv)?;
        write_atomic_private(&tmp.join("manifest.json"), &files.manifest_json())?;
        sync_dir(&tmp)?;
        fs::rename(&tmp, &dir).map_err(|e| io_err(&dir, e))?;
        sync_dir(&self.outgoing)?;
        Ok(Dispatch::Written)
    }

    fn results(&self) -> Result<Vec<ResultsFile>, StationError> {
        let entries = match fs::read_dir(&self.results) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_err(&self.results, e)),
        };
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| io_err(&self.results, e))?;
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if half_written(&name) || !path.is_file() {
                continue;
            }
            let bytes = fs::read(&path).map_err(|e| io_err(&path, e))?;
            out.push(ResultsFile {
                sha256: sha256_hex(&bytes),
                name,
                path,
                bytes,
            });
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    fn incoming(&self) -> Result<Vec<Incoming>, StationError> {
        let entries = match fs::read_dir(&self.outgoing) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_err(&self.outgoing, e)),
        };
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| io_err(&self.outgoing, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if half_written(&name) || !entry.path().is_dir() {
                continue;
            }
            if self.results_path(&name).exists() {
                continue;
            }
            let path = entry.path().join("manifest.json");
            let bytes = fs::read(&path).map_err(|e| io_err(&path, e))?;
            let manifest: BatchManifest = serde_json::from_slice(&bytes)
                .map_err(|e| io_err(&path, io::Error::new(io::ErrorKind::InvalidData, e)))?;
            out.push(Incoming {
                manifest,
                path: entry.path(),
            });
        }
        out.sort_by(|a, b| a.manifest.batch_id.cmp(&b.manifest.batch_id));
        Ok(out)
    }

    fn cards_path(&self, batch_id: &str) -> PathBuf {
        self.batch_dir(batch_id).join("cards.csv")
    }

    fn cards(&self, batch_id: &str) -> Result<Option<Vec<u8>>, StationError> {
        if !safe_id(batch_id) {
            return Ok(None);
        }
        let path = self.batch_dir(batch_id).join("cards.csv");
        match fs::read(&path) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_err(&path, e)),
        }
    }

    fn write_results(&self, batch_id: &str, bytes: &[u8]) -> Result<PathBuf, StationError> {
        assert!(safe_id(batch_id), "checked by the caller: {batch_id}");
        create_private_dir(&self.results)?;
        let path = self.results_path(batch_id);
        write_atomic_private(&path, bytes)?;
        Ok(path)
    }

    fn batch_location(&self, batch_id: &str) -> String {
        self.batch_dir(batch_id).display().to_string()
    }
}
