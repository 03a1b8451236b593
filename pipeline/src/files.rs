//! Writing files the way the guarantees ask: personal data readable by the
//! owner only (mode 0600), and whole or not at all (temp file, fsync, rename);
//! the one rule for files still being written.

use std::collections::BTreeSet;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::digest::Sha256Hex;

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
/// fsync, rename over the target, fsync the folder. A failed write (a full
/// disk, say) removes its temp file and names the target; temp files that
/// killed writers left in the folder are removed first.
pub fn write_atomic_private(path: &Path, bytes: &[u8]) -> Result<(), FileError> {
    write_atomic_private_with(path, |f: &mut File| {
        f.write_all(bytes).map_err(|e| FileError::new(path, e))
    })
}

/// [`write_atomic_private`] for content too big to hold in memory (a
/// population snapshot, a bundle with its scans): `write` fills the private
/// temp file (it may seek and read it back); the file is then fsynced and
/// renamed over `path`. When `write` fails, nothing of the file stays
/// behind and its error is returned. The one atomic write of the
/// workspace: everything that writes a whole file goes through here.
pub fn write_atomic_private_with<T, E: From<FileError>>(
    path: &Path,
    write: impl FnOnce(&mut File) -> Result<T, E>,
) -> Result<T, E> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    sweep_stale_temps(dir);
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    // Errors name the target, the file the user knows, not the temp file.
    let written = create_private(&tmp)
        .map_err(|e| E::from(FileError::new(path, e.source)))
        .and_then(|mut f| {
            let value = write(&mut f)?;
            f.sync_all().map_err(|e| FileError::new(path, e))?;
            Ok(value)
        });
    let value = match written {
        Ok(v) => v,
        Err(e) => {
            // Half a file is worse than none: nothing of it stays behind.
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
    };
    fs::rename(&tmp, path).map_err(|e| {
        let _ = fs::remove_file(&tmp);
        FileError::new(path, e)
    })?;
    sync_dir(dir)?;
    Ok(value)
}

/// Removes the temp files (`.NAME.tmp-PID`) that a writer killed before its
/// rename left in `dir`, when process PID no longer runs; once per folder
/// per process, so a job writing many files there reads the folder once.
/// Best effort: a temp file that cannot be removed is only litter, never
/// read, so errors are ignored.
fn sweep_stale_temps(dir: &Path) {
    static SWEPT: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());
    if !SWEPT
        .lock()
        .map(|mut s| s.insert(dir.to_path_buf()))
        .unwrap_or(false)
    {
        return;
    }
    // Without /proc there is no telling a dead writer from a live one.
    let proc = Path::new("/proc");
    if !proc.join("self").exists() {
        return;
    }
    let own = std::process::id().to_string();
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let Some((_, pid)) = name.strip_prefix('.').and_then(|n| n.rsplit_once(".tmp-")) else {
            continue;
        };
        let digits = !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit());
        if digits && pid != own && !proc.join(pid).exists() {
            let _ = fs::remove_file(entry.path());
        }
    }
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

/// Names of files still being written by whoever puts them in a folder
/// sigap reads (ingest's inbox, `sigap pickups import`, the station's
/// results): dotfiles, Excel's `~$name` owner files, and the temp names of
/// copy tools and browsers. The one rule for all of them.
pub fn half_written(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    name.starts_with('.')
        || name.starts_with("~$")
        || name.ends_with('~')
        || [
            ".tmp",
            ".part",
            ".partial",
            ".crdownload",
            ".download",
            ".swp",
        ]
        .iter()
        .any(|s| lower.ends_with(s))
}

/// SHA-256 of a file, lower-case hex, read in blocks (a bundle may be
/// larger than memory should hold).
pub fn file_sha256(path: &Path) -> Result<String, FileError> {
    let mut f = File::open(path).map_err(|e| FileError::new(path, e))?;
    let mut h = Sha256Hex::default();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = f.read(&mut buf).map_err(|e| FileError::new(path, e))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finish())
}

/// A regular file's size and modification time (ns), not following
/// symlinks: a file is read only when these stay the same across the
/// settle period (`SIGAP_INGEST_SETTLE_MS`).
pub fn stat_settled(path: &Path) -> Option<(u64, i64)> {
    let m = fs::symlink_metadata(path).ok()?;
    if !m.is_file() {
        return None;
    }
    let mtime = m
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as i64);
    Some((m.len(), mtime))
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

    #[test]
    fn a_files_sha256_is_its_contents() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("abc");
        fs::write(&p, "abc").unwrap();
        assert_eq!(file_sha256(&p).unwrap(), crate::digest::sha256_hex(b"abc"));
    }

    #[test]
    fn a_killed_writers_temp_file_is_swept_and_a_live_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        // No process has pid 4294967295 (above Linux's pid_max).
        let stale = dir.path().join(".rekap-B-1.pdf.tmp-4294967295");
        let live = dir
            .path()
            .join(format!(".other.csv.tmp-{}", std::process::id()));
        let foreign = dir.path().join(".notes.tmp-abc");
        for p in [&stale, &live, &foreign] {
            fs::write(p, "half").unwrap();
        }
        write_atomic_private(&dir.path().join("rekap-B-2.pdf"), b"whole").unwrap();
        assert!(!stale.exists());
        assert!(live.exists() && foreign.exists());
    }

    #[test]
    fn a_streamed_write_that_fails_leaves_the_old_file_and_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bundle.zip");
        fs::write(&p, "old").unwrap();
        let r: Result<(), FileError> = write_atomic_private_with(&p, |f| {
            f.write_all(b"half").map_err(|e| FileError::new(&p, e))?;
            Err(FileError::new(&p, io::Error::other("disk full")))
        });
        assert!(r.is_err());
        assert_eq!(fs::read(&p).unwrap(), b"old");
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temp file left"
        );
        write_atomic_private_with(&p, |f| {
            f.write_all(b"new").map_err(|e| FileError::new(&p, e))
        })
        .unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"new");
    }
}
