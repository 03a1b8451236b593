//! Google Forms exports (`inbox/forms/*.csv`): UTF-8 with or without a
//! byte-order mark (Windows-1252 when not UTF-8), CRLF or LF, quoted
//! fields with commas, quotes and newlines. Columns are found by their
//! header text as the config maps them. Exports are cumulative, so a row
//! is keyed by its timestamp instant, NIK cell and service cell: the same
//! response in a later download is already known.

use super::fields;
use super::{Body, Content, Ctx, Incoming, IntakeError, Item, Sink};
use crate::domain::application::{NewApplication, Source};
use crate::domain::quarantine::QuarantineReason;

/// Header text compared without regard to case and spacing.
fn norm(h: &str) -> String {
    h.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Column indexes of the fields.
struct Columns {
    timestamp: Option<usize>,
    email: Option<usize>,
    nik: Option<usize>,
    kk: Option<usize>,
    name: Option<usize>,
    birth_date: Option<usize>,
    service: Option<usize>,
    kecamatan: Option<usize>,
    phone: Option<usize>,
    uploads: Vec<(usize, String)>,
}

impl Columns {
    fn find(headers: &[String], ctx: &Ctx<'_>) -> Columns {
        let f = &ctx.config.forms;
        let find = |names: &[String]| {
            names
                .iter()
                .find_map(|n| headers.iter().position(|h| *h == norm(n)))
        };
        Columns {
            timestamp: find(&f.timestamp),
            email: find(&f.email),
            nik: find(&f.nik),
            kk: find(&f.kk_number),
            name: find(&f.name),
            birth_date: find(&f.birth_date),
            service: find(&f.service),
            kecamatan: find(&f.kecamatan),
            phone: find(&f.phone),
            uploads: f
                .uploads
                .iter()
                .filter_map(|(header, kind)| {
                    headers
                        .iter()
                        .position(|h| *h == norm(header))
                        .map(|i| (i, kind.clone()))
                })
                .collect(),
        }
    }

    /// The config keys of required columns that are missing.
    fn missing(&self) -> Vec<&'static str> {
        [
            ("forms.timestamp", self.timestamp),
            ("forms.nik", self.nik),
            ("forms.service", self.service),
            ("forms.name", self.name),
        ]
        .into_iter()
        .filter(|(_, i)| i.is_none())
        .map(|(k, _)| k)
        .collect()
    }
}

/// Reads one export and hands every row to `sink`.
pub(crate) fn read(
    rel: &str,
    bytes: &[u8],
    ctx: &Ctx<'_>,
    sink: &mut Sink<'_>,
) -> Result<(), IntakeError> {
    let text = crate::text::decode(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(true)
        .from_reader(text.as_bytes());
    let headers = crate::guard::parse(rel, || {
        reader
            .headers()
            .map(|h| h.iter().map(norm).collect::<Vec<String>>())
            .map_err(|e| e.to_string())
    });
    let headers: Vec<String> = match headers.unwrap_or_else(|p| Err(p.to_string())) {
        Ok(h) => h,
        Err(e) => {
            return whole_file(
                rel,
                bytes,
                ctx,
                QuarantineReason::Unreadable,
                format!("cannot read the header row: {e}"),
                sink,
            );
        }
    };
    let cols = Columns::find(&headers, ctx);
    let missing = cols.missing();
    if !missing.is_empty() {
        return whole_file(
            rel,
            bytes,
            ctx,
            QuarantineReason::MissingColumns,
            format!(
                "no column for {}; the header row has {:?}. Add the form's header text to [forms] in sigap.toml: the next ingest reads the file again",
                missing.join(", "),
                headers
            ),
            sink,
        );
    }
    let mut record = csv::StringRecord::new();
    // Lines are counted from the bytes (the header is line 1): a quoted
    // cell with a newline pushes every later row down.
    let bytes_of = text.as_bytes();
    let (mut counted_to, mut line) = (0usize, 1u64);
    loop {
        // After a CRLF record the reader stops between `\r` and `\n`; a
        // record starts after any line ends (empty lines are skipped too).
        let at = (reader.position().byte() as usize).min(bytes_of.len());
        let start = at
            + bytes_of[at..]
                .iter()
                .take_while(|b| matches!(b, b'\r' | b'\n'))
                .count();
        let result = match crate::guard::parse(rel, || reader.read_record(&mut record)) {
            Ok(r) => r,
            Err(p) => {
                // The reader's state is lost: the rest of the file is one input.
                let start = start.min(bytes_of.len());
                let at_line = line
                    + bytes_of[counted_to.min(start)..start]
                        .iter()
                        .filter(|b| **b == b'\n')
                        .count() as u64;
                return sink(unreadable(rel, at_line, bytes_of[start..].to_vec(), p));
            }
        };
        let end = (reader.position().byte() as usize).min(bytes_of.len());
        line += bytes_of[counted_to..start.min(end)]
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u64;
        counted_to = start.min(end);
        let raw = bytes_of[start.min(end)..end].to_vec();
        match result {
            Ok(false) => break,
            Ok(true) => {
                let source = format!("{rel}:{line}");
                let item =
                    crate::guard::parse(&source, || row(rel, line, &record, &raw, &cols, ctx))
                        .unwrap_or_else(|p| unreadable(rel, line, raw, p));
                sink(item)?
            }
            Err(e) => {
                sink(unreadable(rel, line, raw, e))?;
                if end <= start {
                    // No progress is possible past this point.
                    break;
                }
            }
        }
    }
    Ok(())
}

/// A row (or, after a parser's panic, the rest of the file from `line`)
/// that cannot be read.
fn unreadable(rel: &str, line: u64, raw: Vec<u8>, why: impl std::fmt::Display) -> Item {
    Item {
        key: format!("form|raw|{}", super::sha256_hex(&raw)),
        source: format!("{rel}:{line}"),
        message_id: None,
        body: Body::Quarantine {
            reason: QuarantineReason::Unreadable,
            detail: format!("{rel}:{line}: {why}"),
            raw,
            file_ext: None,
        },
    }
}

/// Quarantines a whole export. The key holds the column mapping too: once
/// `[forms]` is fixed, the same file is a new input.
fn whole_file(
    rel: &str,
    bytes: &[u8],
    ctx: &Ctx<'_>,
    reason: QuarantineReason,
    detail: String,
    sink: &mut Sink<'_>,
) -> Result<(), IntakeError> {
    let mapping = serde_json::to_vec(&ctx.config.forms).unwrap_or_default();
    let key = format!(
        "file|{rel}|{}|{}",
        super::sha256_hex(bytes),
        &super::sha256_hex(&mapping)[..16]
    );
    sink(Item {
        key,
        source: rel.to_string(),
        message_id: None,
        body: Body::Quarantine {
            reason,
            detail: format!("{rel}: {detail}"),
            raw: bytes.to_vec(),
            file_ext: Some("csv"),
        },
    })
}

/// One data row as an item.
fn row(
    rel: &str,
    line: u64,
    record: &csv::StringRecord,
    raw: &[u8],
    cols: &Columns,
    ctx: &Ctx<'_>,
) -> Item {
    let cell = |i: Option<usize>| i.and_then(|i| record.get(i)).unwrap_or("");
    let source = format!("{rel}:{line}");
    let stamp = cell(cols.timestamp);
    let at = fields::timestamp(stamp, ctx.office);
    let stamp_key = at.map_or_else(
        || format!("raw:{}", stamp.trim()),
        |t| t.with_timezone(&chrono::Utc).to_rfc3339(),
    );
    let key = format!(
        "form|{stamp_key}|{}|{}",
        cell(cols.nik).trim(),
        cell(cols.service).trim()
    );
    let quarantine = |reason, detail: String| Item {
        key: key.clone(),
        source: source.clone(),
        message_id: None,
        body: Body::Quarantine {
            reason,
            detail: format!("{source}: {detail}"),
            raw: raw.to_vec(),
            file_ext: None,
        },
    };
    let Some(submitted_at) = at else {
        return quarantine(
            QuarantineReason::BadTimestamp,
            format!(
                "column {}: `{}` is not a Google Forms timestamp (e.g. 2026/11/21 8:15:03 AM GMT+7 or 21/11/2026 08:15:03)",
                ctx.config.forms.timestamp.join("/"),
                crate::domain::quarantine::printable(stamp, 60)
            ),
        );
    };
    let nik = match fields::nik(cell(cols.nik)) {
        Ok(n) => n,
        Err((reason, detail)) => return quarantine(reason, format!("column NIK: {detail}")),
    };
    let service = match fields::service(cell(cols.service), ctx.config) {
        Ok(s) => s,
        Err((reason, detail)) => {
            return quarantine(reason, format!("column Jenis Permohonan: {detail}"));
        }
    };
    let Some(name) = fields::opt(cell(cols.name)) else {
        return quarantine(
            QuarantineReason::MissingField,
            "column Nama Lengkap is empty".into(),
        );
    };
    let documents = cols
        .uploads
        .iter()
        .filter_map(|(i, kind)| {
            fields::opt(record.get(*i).unwrap_or("")).map(|links| Incoming {
                kind: Some(kind.clone()),
                original_name: links,
                content: Content::Links,
            })
        })
        .collect();
    Item {
        key,
        source: source.clone(),
        message_id: None,
        body: Body::Application {
            app: Box::new(NewApplication {
                source: Source::Form,
                source_ref: source,
                nik,
                kk_number: fields::kk(cell(cols.kk)),
                name,
                birth_date: fields::date(cell(cols.birth_date)),
                service,
                kecamatan: fields::kecamatan(cell(cols.kecamatan), ctx.config),
                email: fields::opt(cell(cols.email)),
                phone: fields::opt(cell(cols.phone)),
                submitted_at,
            }),
            documents,
            forwarded_by: None,
        },
    }
}
