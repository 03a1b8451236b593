//! Writing files the way the guarantees ask: personal data readable by the
//! owner only (mode 0600), and whole or not at all (temp file, fsync, rename).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// An I/O failure with the path it happened on.
#[derive(Debug, thiserror::Error)]
#[error("{}", path.display())]
pub struct FileError {
    /// The file or folder.
    pub path: PathBuf,
    /// What went wrong.
    #[source]
    pub source: io::Error,
}

impl FileError {
    /// Wraps an I/O error with its path.
    pub fn new(path: &Path, source: io::Error) -> FileError {
        FileError {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Opens a new or existing file for writing (truncating it), mode 0600.
pub fn create_private(path: &Path) -> Result<File, FileError> {
    let mut opts = OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let file = opts.open(path).map_err(|e| FileError::new(path, e))?;
    // `mode` only applies on creation: tighten a file that already existed.
    set_private(path)?;
    Ok(file)
}

/// Sets mode 0600 on an existing file.
pub fn set_private(path: &Path) -> Result<(), FileError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(0o600))
            .map_err(|e| FileError::new(path, e))?;
    }
    Ok(())
}

/// Writes `bytes` to `path` atomically: a private temp file beside it,
/// fsync, rename over the target, fsync the folder.
pub fn write_atomic_private(path: &Path, bytes: &[u8]) -> Result<(), FileError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    {
        let mut f = create_private(&tmp)?;
        f.write_all(bytes).map_err(|e| FileError::new(&tmp, e))?;
        f.sync_all().map_err(|e| FileError::new(&tmp, e))?;
    }
    fs::rename(&tmp, path).map_err(|e| FileError::new(path, e))?;
    sync_dir(dir)
}

/// fsyncs a folder so a rename in it survives a crash.
pub fn sync_dir(dir: &Path) -> Result<(), FileError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| FileError::new(dir, e))
}

/// Creates a folder and its parents, mode 0700 for new ones.
pub fn create_private_dir(path: &Path) -> Result<(), FileError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(path).map_err(|e| FileError::new(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn private_files_are_0600_and_written_whole() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.csv");
        fs::write(&p, "old").unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o644)).unwrap();
        write_atomic_private(&p, b"new").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"new");
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temp file left"
        );
    }
}
