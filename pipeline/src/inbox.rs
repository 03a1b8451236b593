//! The one inbox scan and settle rule: which files of an inbox folder are
//! candidates (regular files, not half-written, of the folder's kind), and
//! which of them stopped changing over the settle wait. Ingest's forms and
//! app exports, the Maildir adapter and `sigap pickups import` all read
//! their folders through it, so a file still being copied is skipped the
//! same way everywhere.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::domain::application::Source;
use crate::files::{FileError, half_written, stat_settled as stat};

/// A file in the inbox waiting to be read.
#[derive(Debug, Clone)]
pub struct InboxFile {
    /// Relative to the inbox, `/`-separated.
    pub rel: String,
    /// The file.
    pub path: PathBuf,
    /// The channel its folder is.
    pub channel: Source,
    /// Size when scanned.
    pub size: u64,
    /// Modification time when scanned (ns).
    pub mtime_ns: i64,
}

/// The candidate files of one inbox folder `inbox/<dir>`, by name: regular
/// files (symlinks are not followed) whose name is not a half-written one
/// and that `accept` takes. A missing folder has none.
pub fn scan_folder(
    inbox: &Path,
    dir: &str,
    channel: Source,
    accept: &dyn Fn(&str) -> bool,
) -> Result<Vec<InboxFile>, FileError> {
    let full = inbox.join(dir);
    let walker = walkdir::WalkDir::new(&full)
        .min_depth(1)
        .max_depth(1)
        .sort_by_file_name();
    let mut out = Vec::new();
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) if e.depth() == 0 => {
                let io = e.into_io_error();
                return match io {
                    Some(io) if io.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
                    Some(io) => Err(FileError::new(&full, io)),
                    None => Ok(Vec::new()),
                };
            }
            Err(_) => continue,
        };
        let name = entry.file_name().to_string_lossy().into_owned();
        if !entry.file_type().is_file() || half_written(&name) || !accept(&name) {
            continue;
        }
        if let Some((size, mtime_ns)) = stat(entry.path()) {
            out.push(InboxFile {
                rel: format!("{dir}/{name}"),
                path: entry.path().to_path_buf(),
                channel,
                size,
                mtime_ns,
            });
        }
    }
    Ok(out)
}

/// The settle rule: waits `settle` once for `files`, then keeps the ones
/// whose size and modification time did not change; the others are still
/// being written and are read by a later run. Returns the settled files
/// and how many are still being written.
pub fn settled(files: Vec<InboxFile>, settle: Duration) -> (Vec<InboxFile>, usize) {
    settle_wait(files.len(), settle);
    unchanged(files)
}

/// The settle rule's wait: `settle`, once for the `n` files (and messages)
/// about to be read, so a file still being copied shows as changing.
pub fn settle_wait(n: usize, settle: Duration) {
    if n > 0 && !settle.is_zero() {
        tracing::info!(
            "waiting {} ms for {} file(s) to settle",
            settle.as_millis(),
            n
        );
        std::thread::sleep(settle);
    }
}

/// After the wait: the files whose size and modification time did not
/// change, and how many did.
pub fn unchanged(files: Vec<InboxFile>) -> (Vec<InboxFile>, usize) {
    let mut waiting = 0;
    let mut out = Vec::new();
    for f in files {
        if stat(&f.path) == Some((f.size, f.mtime_ns)) {
            out.push(f);
        } else {
            tracing::info!("{} is still changing; it is read by a later run", f.rel);
            waiting += 1;
        }
    }
    (out, waiting)
}
