//! Attachment file names: the names applicants plausibly give their
//! scans, and how the office's document keywords read them. Used by the
//! plan (which kinds mail can carry) and the mail writer (the names).

use std::collections::BTreeMap;

use super::rng::Rng;
use crate::config::DocumentKind;

/// File name stems per document kind that applicants plausibly use;
/// `{n}` is replaced by a word of their name.
fn stems(kind: &str) -> &'static [&'static str] {
    match kind {
        "kk" => &[
            "KK_{n}",
            "kartu_keluarga",
            "scan_kk_{n}",
            "Kartu Keluarga {n}",
        ],
        "surat_kehilangan" => &[
            "surat_kehilangan_polsek",
            "surat kehilangan {n}",
            "sk_hilang_polres",
        ],
        "ktp_lama" => &["ktp_lama_{n}", "foto_ktp_rusak", "KTP lama"],
        "dokumen_pendukung" => &[
            "akta_kelahiran_{n}",
            "ijazah_sma",
            "buku_nikah",
            "dokumen_pendukung",
        ],
        "formulir_perubahan" => &["formulir_perubahan_data", "f1_pernyataan_{n}"],
        "formulir_ktp" => &["formulir_permohonan", "formulir_permohonan_{n}"],
        "surat_panggilan_perekaman" => &["surat_panggilan_perekaman", "panggilan_rekam_{n}"],
        "kk_lama" => &["foto_kk_lama", "kk_lama_{n}"],
        _ => &[],
    }
}

/// The kinds whose keywords occur in a file name (lower-cased, also with
/// `_` and `-` read as spaces), with the longest keyword length found.
fn matches<'a>(file: &str, documents: &'a BTreeMap<String, DocumentKind>) -> Vec<(&'a str, usize)> {
    let lower = file.to_lowercase();
    let spaced = lower.replace(['_', '-'], " ");
    documents
        .iter()
        .filter_map(|(kind, doc)| {
            doc.keywords
                .iter()
                .filter(|k| lower.contains(k.as_str()) || spaced.contains(k.as_str()))
                .map(String::len)
                .max()
                .map(|len| (kind.as_str(), len))
        })
        .collect()
}

/// How a file name reads: exclusively one kind (the best case), one kind
/// by the longest keyword (e.g. `foto_kk_lama` also contains `kk`), or
/// ambiguous.
fn reads_as(file: &str, kind: &str, documents: &BTreeMap<String, DocumentKind>) -> Option<bool> {
    let found = matches(file, documents);
    let mine = found.iter().find(|(k, _)| *k == kind)?.1;
    if found.len() == 1 {
        return Some(true);
    }
    found
        .iter()
        .all(|(k, len)| *k == kind || *len < mine)
        .then_some(false)
}

fn candidates(kind: &str, documents: &BTreeMap<String, DocumentKind>) -> Vec<String> {
    let mut out: Vec<String> = stems(kind).iter().map(|s| s.to_string()).collect();
    if let Some(doc) = documents.get(kind) {
        out.extend(doc.keywords.iter().map(|k| k.replace(' ', "_")));
    }
    out
}

/// Whether some file name would be recognised as `kind` by its keywords.
pub(crate) fn can_name(kind: &str, documents: &BTreeMap<String, DocumentKind>) -> bool {
    candidates(kind, documents).iter().any(|stem| {
        reads_as(
            &format!("{}.pdf", stem.replace("{n}", "x")),
            kind,
            documents,
        )
        .is_some()
    })
}

/// A file name for a `kind` attachment that the config's keywords
/// recognise as that kind and no other (or, where every name of the kind
/// contains another kind's keyword, by a strictly longer keyword).
pub(crate) fn attachment_name(
    kind: &str,
    name_word: &str,
    documents: &BTreeMap<String, DocumentKind>,
    rng: &mut Rng,
) -> Option<String> {
    let mut all = candidates(kind, documents);
    rng.shuffle(&mut all);
    let named = |stem: &String| format!("{}.pdf", stem.replace("{n}", name_word));
    let safe = |stem: &String| format!("{}.pdf", stem.replace("_{n}", "").replace(" {n}", ""));
    for exclusive_only in [true, false] {
        for stem in &all {
            for file in [named(stem), safe(stem)] {
                match reads_as(&file, kind, documents) {
                    Some(exclusive) if exclusive || !exclusive_only => return Some(file),
                    _ => {}
                }
            }
        }
    }
    None
}

/// Re-exported for the tests: the kind a file name reads as.
#[cfg(test)]
pub(crate) fn kind_of(file: &str, documents: &BTreeMap<String, DocumentKind>) -> Option<String> {
    let found = matches(file, documents);
    let best = found.iter().map(|(_, l)| *l).max()?;
    let top: Vec<&str> = found
        .iter()
        .filter(|(_, l)| *l == best)
        .map(|(k, _)| *k)
        .collect();
    (top.len() == 1).then(|| top[0].to_string())
}
