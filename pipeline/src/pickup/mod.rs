//! Pickup registers: the kecamatan's list of cards handed to applicants
//! (`sigap pickups import`), and the courier's legs before it (`sigap
//! handover`, `sigap arrived`).
//!
//! # The register (CSV contract)
//!
//! One row per card handed over, with a header row naming the columns
//! (order free; case, spaces and dashes in the names do not matter):
//!
//! | column | required | values |
//! |---|---|---|
//! | `id_permohonan` | this or `nik` | `A-000123` or `123` |
//! | `nik` | this or `id_permohonan` | 16 digits (spaces, dots, a leading `'` are fine); when both are given they must belong together |
//! | `batch` | no (column may be absent or empty) | the print batch on the rekap, e.g. `B-20261126-3402150-1`; checked when given |
//! | `diambil_pada` | yes | `26/11/2026 10:15`, `26-11-2026 10.15`, `2026-11-26 10:15[:00]`, `2026-11-26T10:15:00+07:00`; a trailing `WIB`/`WITA`/`WIT` names the zone, else the office's timezone |
//! | `petugas` | yes | the officer who handed the card over |
//! | `ktp_lama_diserahkan` | yes | `ya` / `tidak` (also `y`/`t`, `yes`/`no`, `1`/`0`) |
//!
//! UTF-8 with or without BOM (Windows-1252 when not UTF-8); comma or, as
//! an Indonesian Excel saves it, semicolon separated. Aliases accepted for
//! the header: `no_permohonan`, `nomor_permohonan`, `application_id`;
//! `no_batch`; `tanggal_diambil`, `waktu_pengambilan`, `picked_up_at`;
//! `officer`; `ktp_lama`, `old_card_surrendered`.
//!
//! Every row is accounted for: collected now, already known (the same
//! pickup seen before), or quarantined with the file, line and field.

pub mod inbox;
pub mod run;

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

use crate::config::Timezone;
use crate::digest::{Sha256Hex, sha256_hex};
use crate::domain::application::ApplicationId;
use crate::domain::quarantine::QuarantineReason;

/// The register's columns, as `sigap pickups import` expects them.
pub const HEADER: [&str; 6] = [
    "id_permohonan",
    "nik",
    "batch",
    "diambil_pada",
    "petugas",
    "ktp_lama_diserahkan",
];

/// One readable row of a register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterRow {
    /// Line number in the file (the header is line 1).
    pub line: u64,
    /// The application id, when given.
    pub application: Option<ApplicationId>,
    /// The NIK (16 digits), when given.
    pub nik: Option<String>,
    /// The batch, when given.
    pub batch: Option<String>,
    /// When the card was handed over.
    pub picked_up_at: DateTime<Utc>,
    /// Who handed it over.
    pub officer: String,
    /// Whether the old card was surrendered.
    pub old_card_surrendered: bool,
    /// The row as read, for the quarantine.
    pub raw: String,
}

impl RegisterRow {
    /// A key for "this pickup was seen before": the same facts in any file
    /// (a register downloaded again, with more rows) are one pickup.
    pub fn key(&self) -> String {
        let facts = format!(
            "{}|{}|{}|{}|{}|{}",
            self.application.map(|a| a.to_string()).unwrap_or_default(),
            self.nik.as_deref().unwrap_or(""),
            self.batch.as_deref().unwrap_or(""),
            self.picked_up_at.timestamp(),
            normalise_officer(&self.officer),
            self.old_card_surrendered
        );
        format!("pickup|{}", sha256_hex(facts))
    }
}

/// A row or file that cannot be read, with its line, field and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRow {
    /// Line number (1 for the header).
    pub line: u64,
    /// Register rows this entry stands for: 1, or every data line of a
    /// file refused whole (at least 1).
    pub rows: usize,
    /// The whole file is refused (its header lacks the columns): nothing
    /// in it is taken, and it is read again until it is fixed.
    pub whole_file: bool,
    /// Why: [`QuarantineReason::MalformedPickup`], or
    /// [`QuarantineReason::Unreadable`] when the parser panicked.
    pub reason: QuarantineReason,
    /// What is wrong, naming the field, and what to do.
    pub message: String,
    /// The row (or the header) as read.
    pub raw: String,
}

impl BadRow {
    /// The whole register, when its parser panicked: one entry, taken once
    /// (not read again, as the same bytes would panic again).
    pub fn unreadable(bytes: &[u8], panic: &crate::guard::ParserPanic) -> BadRow {
        BadRow {
            line: 1,
            rows: 1,
            whole_file: false,
            reason: QuarantineReason::Unreadable,
            message: format!("cannot be read: {panic}"),
            raw: crate::text::decode(bytes).into_owned(),
        }
    }

    /// A key for "this unreadable row of this file was seen before": the
    /// file's SHA-256 and the line are part of it, so another register with
    /// the same bad header, or another row with the same CSV error, is a
    /// new entry rather than silently "already known".
    pub fn key(&self, file_sha256: &str) -> String {
        let mut h = Sha256Hex::default();
        h.update(format!("{file_sha256}|{}|", self.line));
        h.update(&self.raw);
        format!("pickup-bad|{}", h.finish())
    }
}

/// A cell as it may be shown in a message (stdout, the run history): at
/// most 24 characters, and any run of 10 or more digits (a NIK or KK
/// number in the wrong column) masked.
pub fn echo(cell: &str) -> String {
    const MAX: usize = 24;
    let mut out = String::new();
    let mut digits = String::new();
    let flush = |digits: &mut String, out: &mut String| {
        if digits.chars().count() >= 10 {
            out.push_str(&crate::domain::nik::mask(digits));
        } else {
            out.push_str(digits);
        }
        digits.clear();
    };
    for c in cell.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            flush(&mut digits, &mut out);
            out.push(c);
        }
    }
    flush(&mut digits, &mut out);
    if out.chars().count() > MAX {
        out = out.chars().take(MAX - 1).collect();
        out.push('…');
    }
    out
}

/// An officer's name compared without case and extra spaces.
pub fn normalise_officer(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn column_of(header: &str) -> Option<&'static str> {
    let h: String = header
        .trim()
        .trim_start_matches('\u{feff}')
        .to_lowercase()
        .chars()
        .map(|c| if c == ' ' || c == '-' { '_' } else { c })
        .collect();
    Some(match h.as_str() {
        "id_permohonan" | "no_permohonan" | "nomor_permohonan" | "application_id" => {
            "id_permohonan"
        }
        "nik" => "nik",
        "batch" | "no_batch" => "batch",
        "diambil_pada" | "tanggal_diambil" | "waktu_pengambilan" | "picked_up_at" => "diambil_pada",
        "petugas" | "officer" => "petugas",
        "ktp_lama_diserahkan" | "ktp_lama" | "old_card_surrendered" => "ktp_lama_diserahkan",
        _ => return None,
    })
}

/// Reads a register. `tz` is the office's timezone, used when a time
/// names none. A file without the needed columns is one [`BadRow`] at
/// line 1; nothing in it is taken.
pub fn parse_register(bytes: &[u8], tz: Timezone) -> (Vec<RegisterRow>, Vec<BadRow>) {
    let text = crate::text::decode(bytes);
    let first_line = text.lines().next().unwrap_or("");
    let delimiter = if first_line.contains(';') && !first_line.contains(',') {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(false)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    let mut bad = Vec::new();
    let mut columns: BTreeMap<&'static str, usize> = BTreeMap::new();
    let bytes = text.as_bytes();
    let (mut counted_to, mut line) = (0usize, 1u64);
    for (i, record) in reader.records().enumerate() {
        // The line a record starts on, counted from the bytes: after a
        // CRLF the reader's position sits between `\r` and `\n`.
        if let Some(p) = record.as_ref().ok().and_then(|r| r.position()) {
            let at = (p.byte() as usize).min(bytes.len());
            let start = at
                + bytes[at..]
                    .iter()
                    .take_while(|b| matches!(b, b'\r' | b'\n'))
                    .count();
            line += bytes[counted_to.min(start)..start]
                .iter()
                .filter(|b| **b == b'\n')
                .count() as u64;
            counted_to = counted_to.max(start);
        }
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                bad.push(BadRow {
                    line,
                    rows: 1,
                    whole_file: false,
                    reason: QuarantineReason::MalformedPickup,
                    message: format!("line {line}: not CSV ({e})"),
                    raw: String::new(),
                });
                continue;
            }
        };
        let raw = record.iter().collect::<Vec<_>>().join(",");
        if i == 0 {
            for (j, h) in record.iter().enumerate() {
                if let Some(c) = column_of(h) {
                    columns.entry(c).or_insert(j);
                }
            }
            let mut missing: Vec<&str> = ["diambil_pada", "petugas", "ktp_lama_diserahkan"]
                .into_iter()
                .filter(|c| !columns.contains_key(c))
                .collect();
            if !columns.contains_key("id_permohonan") && !columns.contains_key("nik") {
                missing.insert(0, "id_permohonan or nik");
            }
            if !missing.is_empty() {
                // Every data line is lost with the header: count them, so
                // `rows` says how much of the register is waiting.
                let data_lines = reader
                    .records()
                    .filter(|r| {
                        r.as_ref()
                            .map_or(true, |r| r.iter().any(|c| !c.trim().is_empty()))
                    })
                    .count();
                bad.push(BadRow {
                    line: 1,
                    rows: data_lines.max(1),
                    whole_file: true,
                    reason: QuarantineReason::MalformedPickup,
                    message: format!(
                        "the header lacks {}; the register's header is {}; nothing of its {data_lines} row(s) is taken until the header is fixed",
                        missing.join(", "),
                        HEADER.join(",")
                    ),
                    raw,
                });
                return (Vec::new(), bad);
            }
            continue;
        }
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let cell = |c: &str| -> String {
            columns
                .get(c)
                .and_then(|&j| record.get(j))
                .map_or_else(String::new, |v| v.trim().to_string())
        };
        match read_row(&cell, tz) {
            Ok(mut row) => {
                row.line = line;
                row.raw = raw;
                rows.push(row);
            }
            Err(message) => bad.push(BadRow {
                line,
                rows: 1,
                whole_file: false,
                reason: QuarantineReason::MalformedPickup,
                message: format!("line {line}: {message}"),
                raw,
            }),
        }
    }
    (rows, bad)
}

fn read_row(cell: &dyn Fn(&str) -> String, tz: Timezone) -> Result<RegisterRow, String> {
    let application = match cell("id_permohonan").as_str() {
        "" => None,
        s => Some(read_application_id(s)?),
    };
    let nik = match cell("nik").as_str() {
        "" => None,
        s => Some(crate::domain::nik::clean_digits(s).map_err(|e| {
            format!(
                "field nik ({}): {e}; write the 16 digits as text",
                crate::domain::nik::mask(s)
            )
        })?),
    };
    if application.is_none() && nik.is_none() {
        return Err("fields id_permohonan and nik are both empty; give at least one".into());
    }
    let batch = Some(cell("batch")).filter(|b| !b.is_empty());
    let picked_up_at =
        parse_time(&cell("diambil_pada"), tz).map_err(|e| format!("field diambil_pada: {e}"))?;
    let officer = cell("petugas");
    if officer.is_empty() {
        return Err("field petugas is empty; write who handed the card over".into());
    }
    let old_card_surrendered = parse_yes_no(&cell("ktp_lama_diserahkan"))
        .map_err(|e| format!("field ktp_lama_diserahkan: {e}"))?;
    Ok(RegisterRow {
        line: 0,
        application,
        nik,
        batch,
        picked_up_at,
        officer,
        old_card_surrendered,
        raw: String::new(),
    })
}

/// The `id_permohonan` cell. A NIK typed into it (a long number, or one
/// with a spreadsheet's leading `'`) is refused as such and shown masked:
/// the cell is echoed to stdout and the run history.
fn read_application_id(s: &str) -> Result<ApplicationId, String> {
    let digits = s
        .trim_start_matches('\'')
        .trim_start_matches(['A', 'a'])
        .trim_start_matches('-');
    let digit_count = digits.chars().filter(char::is_ascii_digit).count();
    if s.starts_with('\'') || digit_count > 9 {
        return Err(format!(
            "field id_permohonan: {} looks like a NIK; put the application id A-000123 here (the NIK goes in the nik column)",
            crate::domain::nik::mask(s)
        ));
    }
    s.parse::<ApplicationId>().map_err(|_| {
        format!(
            "field id_permohonan: `{}` is not an application id; write A-000123 (or 123)",
            echo(s)
        )
    })
}

/// `ya` / `tidak` and the usual variants.
pub fn parse_yes_no(s: &str) -> Result<bool, String> {
    match s.trim().to_lowercase().as_str() {
        "ya" | "y" | "yes" | "1" | "true" | "sudah" => Ok(true),
        "tidak" | "t" | "no" | "n" | "0" | "false" | "belum" => Ok(false),
        "" => Err("empty; write ya or tidak".into()),
        other => Err(format!("`{}` is neither ya nor tidak", echo(other))),
    }
}

/// A pickup time as offices write it, in `tz` unless it names a zone:
/// `26/11/2026 10:15`, `26-11-2026 10.15`, `26/11/2026 10:15 WITA`,
/// `2026-11-26 10:15:00`, `2026-11-26T10:15`, RFC 3339.
pub fn parse_time(s: &str, tz: Timezone) -> Result<DateTime<Utc>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("empty; write the date and time, e.g. 26/11/2026 10:15".into());
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Ok(d.with_timezone(&Utc));
    }
    let (rest, offset) = match s.rsplit_once(' ') {
        Some((a, "WIB")) => (a, Timezone::WIB.offset()),
        Some((a, "WITA")) => (a, Timezone::WITA.offset()),
        Some((a, "WIT")) => (a, Timezone::WIT.offset()),
        _ => (s, tz.offset()),
    };
    let rest = rest.trim();
    let (date, time) = rest
        .split_once(['T', ' '])
        .map(|(d, t)| (d.trim(), t.trim()))
        .ok_or_else(|| {
            format!(
                "`{}` has no time; write the date and time, e.g. 26/11/2026 10:15",
                echo(s)
            )
        })?;
    let date = ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d", "%Y/%m/%d"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(date, f).ok())
        .ok_or_else(|| {
            format!(
                "`{}` is not a date; write DD/MM/YYYY, e.g. 26/11/2026",
                echo(date)
            )
        })?;
    let time = ["%H:%M", "%H:%M:%S", "%H.%M", "%H.%M.%S"]
        .iter()
        .find_map(|f| NaiveTime::parse_from_str(time, f).ok())
        .ok_or_else(|| format!("`{}` is not a time; write HH:MM, e.g. 10:15", echo(time)))?;
    local(NaiveDateTime::new(date, time), offset)
}

fn local(t: NaiveDateTime, offset: FixedOffset) -> Result<DateTime<Utc>, String> {
    offset
        .from_local_datetime(&t)
        .single()
        .map(|d| d.with_timezone(&Utc))
        .ok_or_else(|| format!("{t} is not a time in UTC{offset}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn times_as_offices_write_them() {
        let want = utc("2026-11-26T10:15:00+07:00");
        for s in [
            "26/11/2026 10:15",
            "26-11-2026 10.15",
            "26.11.2026 10:15:00",
            "2026-11-26 10:15",
            "2026-11-26T10:15:00",
            "2026-11-26T10:15:00+07:00",
            "26/11/2026 11:15 WITA",
            " 26/11/2026  10:15 ",
        ] {
            assert_eq!(parse_time(s, Timezone::WIB), Ok(want), "{s}");
        }
        assert_eq!(
            parse_time("26/11/2026 11:15", Timezone::WITA),
            Ok(want),
            "office time"
        );
        for bad in [
            "26/11/2026",
            "31/02/2026 10:00",
            "26/11/2026 25:00",
            "kemarin",
        ] {
            assert!(parse_time(bad, Timezone::WIB).is_err(), "{bad}");
        }
    }

    #[test]
    fn ya_and_tidak() {
        assert_eq!(parse_yes_no("Ya"), Ok(true));
        assert_eq!(parse_yes_no(" TIDAK "), Ok(false));
        assert!(parse_yes_no("mungkin").is_err());
        assert!(parse_yes_no("").is_err());
    }

    #[test]
    fn a_register_with_semicolons_bom_and_bad_rows() {
        let text = "\u{feff}ID Permohonan;NIK;Batch;Diambil Pada;Petugas;KTP Lama Diserahkan\r\n\
            A-000001;'3402151708900001;B-1;26/11/2026 10:15;Sri;ya\r\n\
            ;3402151708900002;;26/11/2026 10:20;Sri;tidak\r\n\
            A-000003;;;26/11/2026;Sri;ya\r\n\
            ;;;26/11/2026 10:30;Sri;ya\r\n\
            ;;;;;\r\n";
        let (rows, bad) = parse_register(text.as_bytes(), Timezone::WIB);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].application, Some(ApplicationId(1)));
        assert_eq!(rows[0].nik.as_deref(), Some("3402151708900001"));
        assert_eq!(rows[0].batch.as_deref(), Some("B-1"));
        assert!(rows[0].old_card_surrendered);
        assert_eq!(rows[1].line, 3);
        assert!(!rows[1].old_card_surrendered);
        assert_eq!(bad.len(), 2);
        assert!(
            bad[0].message.starts_with("line 4: field diambil_pada"),
            "{bad:?}"
        );
        assert!(bad[1].message.contains("both empty"), "{bad:?}");
        assert_ne!(rows[0].key(), rows[1].key());
    }

    #[test]
    fn a_register_without_the_columns_is_refused_whole() {
        let (rows, bad) = parse_register(b"nama,tanggal\nBudi,26/11/2026 10:00\n", Timezone::WIB);
        assert!(rows.is_empty());
        assert_eq!(bad.len(), 1);
        assert!(
            bad[0].message.contains("id_permohonan or nik"),
            "{}",
            bad[0].message
        );
        assert!(bad[0].message.contains("petugas"), "{}", bad[0].message);
    }

    #[test]
    fn a_nik_in_the_id_column_is_refused_and_masked() {
        let text = "id_permohonan,nik,diambil_pada,petugas,ktp_lama_diserahkan\n\
            3402151708900001,,26/11/2026 10:15,Sri,ya\n\
            '3402151708900001,,26/11/2026 10:15,Sri,ya\n\
            A-000123,,3402151708900001,Sri,ya\n\
            A-000123,,26/11/2026 10:15,Sri,3402151708900001\n\
            A-000123,,26/11/2026 x3402151708900001,Sri,ya\n\
            A-000123,,SANTOSO BUDI SANTOSO BUDI SANTOSO,Sri,ya\n\
            A-000123,,26/11/2026 10:15,Sri,ya\n";
        let (rows, bad) = parse_register(text.as_bytes(), Timezone::WIB);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].application, Some(ApplicationId(123)));
        assert_eq!(bad.len(), 6, "{bad:?}");
        assert!(
            bad[0].message.contains(
                "3402**********01 looks like a NIK; put the application id A-000123 here"
            ),
            "{}",
            bad[0].message
        );
        assert!(
            bad[1].message.contains("looks like a NIK"),
            "{}",
            bad[1].message
        );
        for b in &bad {
            assert!(!b.message.contains("3402151708900001"), "{}", b.message);
            assert!(
                !b.message.contains("SANTOSO BUDI SANTOSO BUDI"),
                "{}",
                b.message
            );
        }
    }

    #[test]
    fn echoed_cells_are_short_and_masked() {
        assert_eq!(echo("kemarin"), "kemarin");
        assert_eq!(echo("26/11/2026 10:15"), "26/11/2026 10:15");
        assert_eq!(echo("x3402151708900001y"), "x3402**********01y");
        assert_eq!(echo(&"a".repeat(40)).chars().count(), 24);
    }

    #[test]
    fn a_bad_row_key_names_the_file_and_line() {
        let (_, bad) = parse_register(b"nama,tanggal\nBudi,26/11/2026 10:00\n", Timezone::WIB);
        let b = &bad[0];
        assert!(b.whole_file);
        assert_eq!(b.rows, 1);
        assert_ne!(b.key("aa"), b.key("bb"));
        let other_line = BadRow {
            line: 2,
            ..b.clone()
        };
        assert_ne!(b.key("aa"), other_line.key("aa"));
        assert_eq!(b.key("aa"), b.clone().key("aa"));
    }
}
