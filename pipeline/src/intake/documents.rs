//! Documents that come with an application: which kind of the profile
//! each one is, whether it may be kept at all (size, type), and where it
//! is stored. A document of a kept type whose kind is not known is kept as
//! [`UNCLASSIFIED`] for a person to classify. A sender's file name is data only: stored files get a
//! generated name, `documents/<A-id>/<sha16>-<kind>.<ext>` under `data/`.

use std::collections::BTreeMap;

use crate::config::{DocumentKind, UNCLASSIFIED};
use crate::domain::quarantine::{QuarantineReason, printable};

/// The kind a file name reads as by the profile's keywords: the kind with
/// the longest keyword found in the name (lower-cased, also with `_` and
/// `-` read as spaces). Two kinds tied for the longest keyword: unknown.
pub(crate) fn kind_by_name(
    name: &str,
    documents: &BTreeMap<String, DocumentKind>,
) -> Option<String> {
    let lower = name.to_lowercase();
    let spaced = lower.replace(['_', '-'], " ");
    let found: Vec<(&str, usize)> = documents
        .iter()
        .filter_map(|(kind, doc)| {
            doc.keywords
                .iter()
                .filter(|k| !k.is_empty())
                .filter(|k| lower.contains(k.as_str()) || spaced.contains(k.as_str()))
                .map(String::len)
                .max()
                .map(|len| (kind.as_str(), len))
        })
        .collect();
    let best = found.iter().map(|(_, l)| *l).max()?;
    let mut top = found.iter().filter(|(_, l)| *l == best);
    let first = top.next()?;
    top.next().is_none().then(|| first.0.to_string())
}

/// What the content is, from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sniffed {
    /// A document or image we keep, with its extension.
    Keep(&'static str),
    /// An executable, script or archive, with what it is.
    Forbidden(&'static str),
    /// Not recognised.
    Unknown,
}

fn sniff(bytes: &[u8]) -> Sniffed {
    let starts = |m: &[u8]| bytes.starts_with(m);
    if starts(b"%PDF") {
        Sniffed::Keep("pdf")
    } else if starts(b"\xff\xd8\xff") {
        Sniffed::Keep("jpg")
    } else if starts(b"\x89PNG\r\n\x1a\n") {
        Sniffed::Keep("png")
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        Sniffed::Keep("gif")
    } else if starts(b"II*\0") || starts(b"MM\0*") {
        Sniffed::Keep("tif")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Sniffed::Keep("webp")
    } else if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" && &bytes[8..11] == b"hei" {
        Sniffed::Keep("heic")
    } else if starts(b"MZ") {
        Sniffed::Forbidden("a Windows executable")
    } else if starts(b"\x7fELF") {
        Sniffed::Forbidden("a Linux executable")
    } else if starts(b"\xcf\xfa\xed\xfe") || starts(b"\xca\xfe\xba\xbe") {
        Sniffed::Forbidden("a macOS executable or Java class")
    } else if starts(b"#!") {
        Sniffed::Forbidden("a script")
    } else if starts(b"PK\x03\x04") || starts(b"PK\x05\x06") || starts(b"PK\x07\x08") {
        Sniffed::Forbidden("a zip archive (also .docx, .xlsx, .apk, .jar)")
    } else if starts(b"Rar!\x1a\x07") {
        Sniffed::Forbidden("a RAR archive")
    } else if starts(b"7z\xbc\xaf\x27\x1c") {
        Sniffed::Forbidden("a 7-Zip archive")
    } else if starts(b"\x1f\x8b") {
        Sniffed::Forbidden("a gzip archive")
    } else if starts(b"BZh") {
        Sniffed::Forbidden("a bzip2 archive")
    } else if starts(b"\xfd7zXZ\0") {
        Sniffed::Forbidden("an xz archive")
    } else if starts(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") {
        Sniffed::Forbidden("an old Office file (may carry macros)")
    } else {
        Sniffed::Unknown
    }
}

/// Extensions refused whatever the content looks like.
const FORBIDDEN_EXTENSIONS: [&str; 30] = [
    "exe", "com", "bat", "cmd", "msi", "scr", "pif", "cpl", "dll", "sys", "js", "jse", "vbs",
    "vbe", "wsf", "ps1", "sh", "jar", "apk", "app", "lnk", "zip", "rar", "7z", "tar", "gz", "tgz",
    "bz2", "xz", "iso",
];

/// The extension of a sender's file name, if it is a plain short one
/// (letters and digits, up to 8), lower-cased. Never used as a path.
pub(crate) fn extension(name: &str) -> Option<String> {
    let (_, ext) = name.rsplit_once('.')?;
    (!ext.is_empty() && ext.len() <= 8 && ext.chars().all(|c| c.is_ascii_alphanumeric()))
        .then(|| ext.to_ascii_lowercase())
}

/// What to do with one document's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Keep it as this kind, with this extension.
    Store {
        /// Document kind.
        kind: String,
        /// Extension of the stored file.
        ext: String,
    },
    /// Quarantine it.
    Quarantine {
        /// Why.
        reason: QuarantineReason,
        /// What exactly.
        detail: String,
        /// Extension of the kept file.
        ext: String,
    },
}

/// Judges a document: size first, then type (by content and by name),
/// then kind (the given one if the profile has it, else by name, else
/// [`UNCLASSIFIED`]).
pub(crate) fn judge(
    given_kind: Option<&str>,
    original_name: &str,
    bytes: &[u8],
    documents: &BTreeMap<String, DocumentKind>,
    max_bytes: u64,
) -> Verdict {
    let sniffed = sniff(bytes);
    let name_ext = extension(original_name);
    let ext = match sniffed {
        Sniffed::Keep(e) => e.to_string(),
        _ => name_ext.clone().unwrap_or_else(|| "bin".into()),
    };
    let shown = printable(original_name, 120);
    if bytes.len() as u64 > max_bytes {
        return Verdict::Quarantine {
            reason: QuarantineReason::TooLarge,
            detail: format!(
                "`{shown}` is {} bytes, over the limit of {max_bytes} (SIGAP_MAX_DOCUMENT_BYTES)",
                bytes.len()
            ),
            ext,
        };
    }
    if let Sniffed::Forbidden(what) = sniffed {
        return Verdict::Quarantine {
            reason: QuarantineReason::ForbiddenType,
            detail: format!("`{shown}` is {what}; only PDF and images are accepted"),
            ext,
        };
    }
    if let Some(e) = name_ext
        .as_deref()
        .filter(|e| FORBIDDEN_EXTENSIONS.contains(e))
    {
        return Verdict::Quarantine {
            reason: QuarantineReason::ForbiddenType,
            detail: format!(
                "`{shown}` has the forbidden extension .{e}; only PDF and images are accepted"
            ),
            ext,
        };
    }
    // A kept type whose kind is not known (an iPhone's IMG_2041.JPG, a
    // winmail.dat) stays with its application: a person classifies it.
    let kind = given_kind
        .filter(|k| documents.contains_key(*k))
        .map(str::to_string)
        .or_else(|| kind_by_name(original_name, documents))
        .unwrap_or_else(|| UNCLASSIFIED.to_string());
    Verdict::Store { kind, ext }
}

/// Where a document of an application is stored, relative to `data/`.
pub(crate) fn stored_path(application: &str, sha256: &str, kind: &str, ext: &str) -> String {
    // The kind is a key of the office's own config; keep only safe characters anyway.
    let kind: String = kind
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    format!("documents/{application}/{}-{kind}.{ext}", &sha256[..16])
}

/// Where a quarantined file is kept, relative to `data/`.
pub(crate) fn quarantine_path(sha256: &str, ext: &str) -> String {
    format!("quarantine/{sha256}.{ext}")
}
