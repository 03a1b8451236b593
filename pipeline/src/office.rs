//! The working office directory (README.md, "A night in the office directory"):
//!
//! ```text
//! sigap.toml
//! inbox/forms/  inbox/app/  inbox/mail/  inbox/pickups/
//! spool/outgoing/  spool/results/
//! data/          state database, documents, quarantine (mode 0700)
//! out/           rekap, reports, destruction bundles
//! ```

use std::path::{Path, PathBuf};

use crate::config::profiles;
use crate::files::{FileError, create_private_dir, write_atomic_private};

/// Folders of a new office, relative to its root. All may hold personal
/// data, so all are created mode 0700.
pub const FOLDERS: [&str; 11] = [
    "inbox/forms",
    "inbox/app",
    "inbox/mail/new",
    "inbox/mail/cur",
    "inbox/mail/tmp",
    "inbox/pickups",
    "spool/outgoing",
    "spool/results",
    "data",
    "out",
    ".",
];

/// Making an office directory failed.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    /// The profile name is not one of the embedded profiles.
    #[error("unknown profile `{0}`; use one of bantul, tabanan, kapuas")]
    UnknownProfile(String),
    /// A config is already there; init never overwrites one.
    #[error("{} already exists; sigap init never overwrites a config (choose an empty folder)", .0.display())]
    AlreadyExists(PathBuf),
    /// Creating a folder or file failed.
    #[error(transparent)]
    File(#[from] FileError),
}

/// Makes the office directory `dir` from an embedded profile and returns
/// the path of the config it wrote.
pub fn init(dir: &Path, profile: &str) -> Result<PathBuf, InitError> {
    let text = profiles::text(profile).ok_or_else(|| InitError::UnknownProfile(profile.into()))?;
    let config = dir.join("sigap.toml");
    if config.exists() {
        return Err(InitError::AlreadyExists(config));
    }
    for folder in FOLDERS {
        create_private_dir(&dir.join(folder))?;
    }
    write_atomic_private(&config, text.as_bytes())?;
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn makes_the_layout_and_refuses_to_overwrite() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("office");
        let cfg = init(&dir, "tabanan").unwrap();
        assert!(cfg.exists());
        for f in FOLDERS {
            assert!(dir.join(f).is_dir(), "{f}");
        }
        assert!(dir.join("inbox/mail/new").is_dir());
        assert!(matches!(
            init(&dir, "tabanan"),
            Err(InitError::AlreadyExists(_))
        ));
        assert!(matches!(
            init(&tmp.path().join("x"), "jakarta"),
            Err(InitError::UnknownProfile(_))
        ));
    }
}
