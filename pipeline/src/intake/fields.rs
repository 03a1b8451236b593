//! Reading the fields people type, the same way for every channel: NIK and
//! KK numbers, services, kecamatan names, dates, timestamps, and the
//! `Key: value` labels of an email.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime};

use crate::config::Config;
use crate::domain::nik::{NumberError, clean_digits};
use crate::domain::quarantine::QuarantineReason;
use crate::domain::service::Service;

/// A NIK as typed: cleaned to its 16 digits when it has them, else kept
/// as typed (verification rejects it with the exact rule). Empty and
/// scientific-notation NIKs are not applications.
pub(crate) fn nik(typed: &str) -> Result<String, (QuarantineReason, String)> {
    match clean_digits(typed) {
        Ok(digits) => Ok(digits),
        Err(NumberError::Empty) => Err((
            QuarantineReason::EmptyNik,
            "the NIK is empty; ask the applicant for it".into(),
        )),
        Err(e @ NumberError::ScientificNotation { .. }) => {
            Err((QuarantineReason::ScientificNik, e.to_string()))
        }
        Err(_) => Ok(strip_typed(typed)),
    }
}

/// A KK number: cleaned when possible, else as typed; `None` when empty.
pub(crate) fn kk(typed: &str) -> Option<String> {
    match clean_digits(typed) {
        Ok(digits) => Some(digits),
        Err(NumberError::Empty) => None,
        Err(_) => Some(strip_typed(typed)),
    }
}

/// Trimmed, without the spreadsheet's leading apostrophe.
fn strip_typed(typed: &str) -> String {
    typed
        .trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
        .trim_start_matches(['\'', '`', '\u{2019}'])
        .to_string()
}

/// A trimmed value, `None` when empty.
pub(crate) fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// The service, which must be one of the seven and offered by this office.
pub(crate) fn service(typed: &str, config: &Config) -> Result<Service, (QuarantineReason, String)> {
    let t = typed.trim();
    let Some(service) = Service::parse_label(t) else {
        return Err((
            QuarantineReason::UnknownService,
            format!(
                "`{}` is not a service (Jenis Permohonan); use one of KTP-el Baru/Hilang/Rusak/Perubahan Data, KK Perubahan Data/Hilang/Rusak",
                crate::domain::quarantine::printable(t, 80)
            ),
        ));
    };
    if !config.services.contains_key(&service) {
        return Err((
            QuarantineReason::ServiceNotOffered,
            format!(
                "{} is not offered by this office (see [services] in sigap.toml)",
                service.label()
            ),
        ));
    }
    Ok(service)
}

/// Letters and digits only, lower case.
fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The pickup kecamatan: its dotted code when the text names one of the
/// office's pickup offices (by name or code, with or without "Kecamatan"
/// or "Kec."), else the text as typed, for a person to read.
pub(crate) fn kecamatan(typed: &str, config: &Config) -> Option<String> {
    let t = typed.trim();
    if t.is_empty() {
        return None;
    }
    let lower = t.to_lowercase();
    let name = ["kantor kecamatan", "kecamatan", "kec.", "kec "]
        .iter()
        .find_map(|p| lower.strip_prefix(p))
        .unwrap_or(&lower);
    let key = squash(name);
    config
        .kecamatan
        .iter()
        .find(|k| squash(&k.name) == key || squash(&k.code) == key || k.code == t)
        .map(|k| k.code.clone())
        .or_else(|| Some(t.to_string()))
}

const MONTHS: [(&str, u32); 24] = [
    ("januari", 1),
    ("februari", 2),
    ("maret", 3),
    ("april", 4),
    ("mei", 5),
    ("juni", 6),
    ("juli", 7),
    ("agustus", 8),
    ("september", 9),
    ("oktober", 10),
    ("november", 11),
    ("desember", 12),
    ("jan", 1),
    ("feb", 2),
    ("mar", 3),
    ("apr", 4),
    ("mei", 5),
    ("jun", 6),
    ("jul", 7),
    ("agu", 8),
    ("sep", 9),
    ("okt", 10),
    ("nov", 11),
    ("des", 12),
];

/// A birth date as people write it: `17/08/1990`, `17-08-1990`,
/// `1990-08-17`, `17.08.1990`, `17 Agustus 1990`. Day first, as in
/// Indonesia. `None` when it cannot be read (verification then reports a
/// mismatch rather than losing the application).
pub(crate) fn date(typed: &str) -> Option<NaiveDate> {
    let t = typed.trim();
    // "Bantul, 17-08-1990" (tempat, tanggal lahir): the date is last.
    let t = t.rsplit(',').next().unwrap_or(t).trim();
    for f in ["%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d", "%d.%m.%Y", "%Y/%m/%d"] {
        if let Ok(d) = NaiveDate::parse_from_str(t, f) {
            return Some(d);
        }
    }
    let words: Vec<&str> = t.split_whitespace().collect();
    if let [d, m, y] = words[..] {
        let m = m.to_lowercase();
        let month = MONTHS.iter().find(|(name, _)| *name == m)?.1;
        return NaiveDate::from_ymd_opt(y.parse().ok()?, month, d.parse().ok()?);
    }
    None
}

/// `GMT+7`, `GMT+5:30`, `GMT-3`, `GMT` (Google Forms' offsets).
fn gmt_offset(s: &str) -> Option<FixedOffset> {
    let rest = s.strip_prefix("GMT").or_else(|| s.strip_prefix("UTC"))?;
    if rest.is_empty() {
        return FixedOffset::east_opt(0);
    }
    let (sign, rest) = match rest.as_bytes().first()? {
        b'+' => (1, &rest[1..]),
        b'-' => (-1, &rest[1..]),
        _ => return None,
    };
    let (h, m) = match rest.split_once(':') {
        Some((h, m)) => (h.parse::<i32>().ok()?, m.parse::<i32>().ok()?),
        None => (rest.parse::<i32>().ok()?, 0),
    };
    if h > 14 || m > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

/// A Google Forms timestamp: `2026/11/21 8:15:03 AM GMT+7` (the form's
/// own download, with its offset), `21/11/2026 08:15:03` (downloaded from
/// the linked Sheet, day first, no offset: read in the office timezone),
/// or RFC 3339.
pub(crate) fn timestamp(typed: &str, office: FixedOffset) -> Option<DateTime<FixedOffset>> {
    let t = typed.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Some(d);
    }
    let (local, offset) = match t.rsplit_once(' ') {
        Some((head, tail)) if tail.starts_with("GMT") || tail.starts_with("UTC") => {
            (head.trim(), gmt_offset(tail)?)
        }
        _ => (t, office),
    };
    const FORMATS: [&str; 8] = [
        "%Y/%m/%d %I:%M:%S %p",
        "%Y/%m/%d %H:%M:%S",
        "%d/%m/%Y %H:%M:%S",
        "%d/%m/%Y %H.%M.%S",
        "%d/%m/%Y %H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%d-%m-%Y %H:%M:%S",
        "%m/%d/%Y %I:%M:%S %p",
    ];
    FORMATS.iter().find_map(|f| {
        NaiveDateTime::parse_from_str(local, f)
            .ok()
            .and_then(|n| n.and_local_timezone(offset).single())
    })
}

/// The application field an email label stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Label {
    Nik,
    Name,
    BirthDate,
    Kk,
    Service,
    Kecamatan,
    Phone,
    Email,
}

/// Reads `Key: value` labels the way applicants write them: any case,
/// extra spaces, dots (`No. KK`), a trailing `*`, and the usual Indonesian
/// variants (Nama / Nama Lengkap, Tgl Lahir / Tanggal Lahir, No KK / Nomor
/// KK, Jenis Permohonan / Layanan).
pub(crate) fn label(key: &str) -> Option<Label> {
    let k: String = key
        .to_lowercase()
        .replace(['.', '*', '_', '-'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    Some(match k.as_str() {
        "nik" | "no nik" | "nomor nik" | "nomor induk kependudukan" | "nik pemohon" => Label::Nik,
        "nama" | "nama lengkap" | "nama pemohon" | "nama sesuai kk" => Label::Name,
        "tgl lahir"
        | "tanggal lahir"
        | "tgl lhr"
        | "tempat tanggal lahir"
        | "tempat tgl lahir"
        | "ttl" => Label::BirthDate,
        "no kk" | "nomor kk" | "no kartu keluarga" | "nomor kartu keluarga" | "nkk" => Label::Kk,
        "jenis permohonan" | "layanan" | "jenis layanan" | "permohonan" => Label::Service,
        "kecamatan" | "kecamatan pengambilan" | "kec" | "tempat pengambilan" => Label::Kecamatan,
        "no hp" | "nomor hp" | "hp" | "no wa" | "nomor wa" | "whatsapp" | "no telp" | "telepon" => {
            Label::Phone
        }
        "email" | "e mail" | "alamat email" => Label::Email,
        _ => return None,
    })
}

/// The `Key: value` fields of a body: the first value of each label wins.
/// Quote markers (`>`) and list bullets before a key are ignored.
pub(crate) fn labelled(body: &str) -> Vec<(Label, String)> {
    let mut out: Vec<(Label, String)> = Vec::new();
    for line in body.lines() {
        let line = line.trim_start_matches(['>', ' ', '\t', '-', '•', '*']);
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let Some(l) = label(key) else { continue };
        let value = value.trim();
        if value.is_empty() || out.iter().any(|(seen, _)| *seen == l) {
            continue;
        }
        out.push((l, value.to_string()));
    }
    out
}
