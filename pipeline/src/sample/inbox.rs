//! The form and app channels: two cumulative Google Forms exports (an
//! English one with a BOM and CRLF, an Indonesian one without) and two app
//! exports (a JSON array and NDJSON) with their document files.

use std::io::Write;
use std::path::Path;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, SecondsFormat};
use serde::Serialize;

use super::encode::{drive_link, pdf};
use super::error::SampleError;
use super::plan::{Channel, Plan};
use super::rng::Rng;
use crate::config::Config;
use crate::domain::service::Service;
use crate::files::{FileError, create_private, create_private_dir};

/// Writes a whole file (mode 0600), creating private parent folders.
/// Inbox files are not fsynced one by one: the manifest, written last and
/// atomically, is what says the office is complete.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> Result<(), SampleError> {
    if let Some(parent) = path.parent() {
        create_private_dir(parent)?;
    }
    let mut file = create_private(path)?;
    file.write_all(bytes).map_err(|e| FileError::new(path, e))?;
    Ok(())
}

/// An office-local time with the office's offset.
pub(crate) fn local(at: NaiveDateTime, offset: FixedOffset) -> DateTime<FixedOffset> {
    at.and_local_timezone(offset)
        .single()
        .unwrap_or_else(|| at.and_utc().fixed_offset())
}

/// A written input file and how many inputs it holds.
#[derive(Debug, Clone)]
pub(crate) struct Written {
    /// Path relative to the inbox.
    pub file: String,
    /// Data rows, records or messages.
    pub count: usize,
}

/// What the form and app writers need.
pub(crate) struct InboxContext<'a> {
    /// The office's config.
    pub config: &'a Config,
    /// The office's UTC offset.
    pub offset: FixedOffset,
    /// The day of the later exports.
    pub as_of: NaiveDate,
}

/// `GMT+7`, `GMT+8`, `GMT+5:30` as Google Forms writes offsets.
fn gmt(offset: FixedOffset) -> String {
    let secs = offset.local_minus_utc();
    let sign = if secs < 0 { '-' } else { '+' };
    let (h, m) = (secs.abs() / 3600, secs.abs() % 3600 / 60);
    match (h, m) {
        (0, 0) => "GMT".into(),
        (h, 0) => format!("GMT{sign}{h}"),
        (h, m) => format!("GMT{sign}{h}:{m:02}"),
    }
}

/// One form response: its time and every cell after the timestamp.
struct Response {
    at: NaiveDateTime,
    cells: Vec<String>,
    /// Index into `plan.apps` (`Ok`) or `plan.bads` (`Err`).
    target: Result<usize, usize>,
}

fn links(kind: &str, rng: &mut Rng) -> String {
    // A KK is often photographed front and back: two uploads.
    let n = if kind == "kk" && rng.chance(2_000) {
        2
    } else {
        1
    };
    (0..n)
        .map(|_| drive_link(rng))
        .collect::<Vec<_>>()
        .join(", ")
}

fn csv_err(path: &Path) -> impl Fn(csv::Error) -> SampleError + '_ {
    move |source| SampleError::Csv {
        path: path.to_path_buf(),
        source,
    }
}

/// The CSV bytes and the line each data record starts on (the header is
/// line 1; a cell with a newline pushes every later record down).
fn csv_bytes(
    path: &Path,
    header: &[String],
    rows: &[Vec<String>],
    terminator: csv::Terminator,
) -> Result<(Vec<u8>, Vec<usize>), SampleError> {
    let err = csv_err(path);
    let mut w = csv::WriterBuilder::new()
        .quote_style(csv::QuoteStyle::Always)
        .terminator(terminator)
        .from_writer(Vec::new());
    w.write_record(header).map_err(&err)?;
    w.flush().map_err(|e| err(e.into()))?;
    let mut newlines = w.get_ref().iter().filter(|b| **b == b'\n').count();
    let mut seen = w.get_ref().len();
    let mut lines = Vec::with_capacity(rows.len());
    for row in rows {
        lines.push(newlines + 1);
        w.write_record(row).map_err(&err)?;
        w.flush().map_err(|e| err(e.into()))?;
        newlines += w.get_ref()[seen..].iter().filter(|b| **b == b'\n').count();
        seen = w.get_ref().len();
    }
    let bytes = w.into_inner().map_err(|e| err(e.into_error().into()))?;
    Ok((bytes, lines))
}

/// Writes `forms/responses-<cutoff>.csv` (responses before the cutoff)
/// and `forms/responses-<as_of>.csv` (all of them, same order).
pub(crate) fn write_forms(
    inbox: &Path,
    ctx: &InboxContext<'_>,
    plan: &mut Plan,
    rng: &mut Rng,
) -> Result<Vec<Written>, SampleError> {
    let config = ctx.config;
    let forms = &config.forms;
    let first =
        |v: &Vec<String>, default: &str| v.first().cloned().unwrap_or_else(|| default.to_string());
    let mut header_tail = vec![
        "Email Address".to_string(),
        first(&forms.nik, "NIK"),
        first(&forms.kk_number, "Nomor KK"),
        first(&forms.name, "Nama Lengkap"),
        first(&forms.birth_date, "Tanggal Lahir"),
        first(&forms.service, "Jenis Permohonan"),
        first(&forms.kecamatan, "Kecamatan Pengambilan"),
        first(&forms.phone, "Nomor HP"),
    ];
    header_tail.extend(forms.uploads.keys().cloned());

    let mut responses: Vec<Response> = Vec::new();
    for (i, a) in plan
        .apps
        .iter()
        .enumerate()
        .filter(|(_, a)| a.channel == Channel::Form)
    {
        let quote = if a.apostrophe { "'" } else { "" };
        let phone = if a.phone_newline {
            format!("{}\n(WA)", a.typed.phone)
        } else {
            a.typed.phone.clone()
        };
        let mut cells = vec![
            a.typed.email.clone(),
            format!("{quote}{}", a.typed.nik),
            format!("{quote}{}", a.typed.kk),
            a.typed.name.clone(),
            a.typed.birth_date.format("%d/%m/%Y").to_string(),
            a.service.label().to_string(),
            config.kecamatan[a.kecamatan].name.clone(),
            phone,
        ];
        for kind in forms.uploads.values() {
            cells.push(if a.documents.contains(kind) {
                links(kind, rng)
            } else {
                String::new()
            });
        }
        responses.push(Response {
            at: a.submitted_at,
            cells,
            target: Ok(i),
        });
    }
    for (i, b) in plan
        .bads
        .iter()
        .enumerate()
        .filter(|(_, b)| b.channel == Channel::Form)
    {
        let required: Vec<String> = Service::parse_label(&b.service_text)
            .and_then(|s| config.services.get(&s))
            .map(|r| r.documents.clone())
            .unwrap_or_else(|| vec!["kk".to_string()]);
        let mut cells = vec![
            b.typed.email.clone(),
            b.typed.nik.clone(),
            b.typed.kk.clone(),
            b.typed.name.clone(),
            b.typed.birth_date.format("%d/%m/%Y").to_string(),
            b.service_text.clone(),
            config.kecamatan[b.kecamatan].name.clone(),
            b.typed.phone.clone(),
        ];
        for kind in forms.uploads.values() {
            cells.push(if required.contains(kind) {
                links(kind, rng)
            } else {
                String::new()
            });
        }
        responses.push(Response {
            at: b.submitted_at,
            cells,
            target: Err(i),
        });
    }
    // Google lists responses in submission order.
    responses.sort_by_key(|r| (r.at, r.target.is_err(), r.target.unwrap_or_else(|e| e)));

    let gmt = gmt(ctx.offset);
    let exports = [
        (plan.cutoff, "Timestamp", true),
        (ctx.as_of, "Cap waktu", false),
    ];
    let mut written = Vec::new();
    for (date, stamp_header, english) in exports {
        let rel = format!("forms/responses-{}.csv", date.format("%Y-%m-%d"));
        let path = inbox.join(&rel);
        let included: Vec<&Response> = responses.iter().filter(|r| r.at.date() < date).collect();
        let mut header = vec![stamp_header.to_string()];
        header.extend(header_tail.iter().cloned());
        let rows: Vec<Vec<String>> = included
            .iter()
            .map(|r| {
                let stamp = if english {
                    format!("{} {gmt}", r.at.format("%Y/%m/%d %-I:%M:%S %p"))
                } else {
                    r.at.format("%d/%m/%Y %H:%M:%S").to_string()
                };
                std::iter::once(stamp)
                    .chain(r.cells.iter().cloned())
                    .collect()
            })
            .collect();
        let terminator = if english {
            csv::Terminator::CRLF
        } else {
            csv::Terminator::Any(b'\n')
        };
        let (body, lines) = csv_bytes(&path, &header, &rows, terminator)?;
        let mut bytes = Vec::with_capacity(body.len() + 3);
        if english {
            // Excel-friendly downloads start with a byte-order mark.
            bytes.extend_from_slice("\u{feff}".as_bytes());
        }
        bytes.extend_from_slice(&body);
        write_private(&path, &bytes)?;
        for (r, line) in included.iter().zip(lines) {
            let source = format!("{rel}:{line}");
            match r.target {
                Ok(i) => plan.apps[i].sources.push(source),
                Err(i) => plan.bads[i].source = source,
            }
        }
        written.push(Written {
            file: rel,
            count: rows.len(),
        });
    }
    Ok(written)
}

#[derive(Serialize)]
struct AppDocument {
    kind: String,
    file: String,
}

/// One record of the app's export, fields in the export's order.
#[derive(Serialize)]
struct AppRecord {
    id: String,
    submitted_at: String,
    nik: String,
    kk_number: String,
    name: String,
    birth_date: String,
    service: String,
    kecamatan: String,
    email: String,
    phone: String,
    documents: Vec<AppDocument>,
}

/// Writes `app/export-<cutoff>.json` (a JSON array of what came before
/// the cutoff) and `app/export-<as_of>.ndjson` (the rest), with each
/// record's documents under `app/files/<id>/`. Returns the two files and
/// the number of document files.
pub(crate) fn write_app(
    inbox: &Path,
    ctx: &InboxContext<'_>,
    plan: &mut Plan,
) -> Result<(Vec<Written>, usize), SampleError> {
    let config = ctx.config;
    let mut items: Vec<(NaiveDateTime, Result<usize, usize>)> = plan
        .apps
        .iter()
        .enumerate()
        .filter(|(_, a)| a.channel == Channel::App)
        .map(|(i, a)| (a.submitted_at, Ok(i)))
        .chain(
            plan.bads
                .iter()
                .enumerate()
                .filter(|(_, b)| b.channel == Channel::App)
                .map(|(i, b)| (b.submitted_at, Err(i))),
        )
        .collect();
    items.sort_by_key(|(t, target)| (*t, target.is_err(), target.unwrap_or_else(|e| e)));

    let json_rel = format!("app/export-{}.json", plan.cutoff.format("%Y-%m-%d"));
    let ndjson_rel = format!("app/export-{}.ndjson", ctx.as_of.format("%Y-%m-%d"));
    let mut json_records = Vec::new();
    let mut ndjson = Vec::new();
    let mut ndjson_count = 0;
    let mut files = 0;
    for (seq, (at, target)) in items.iter().enumerate() {
        let id = format!("APP-{:06}", seq + 1);
        let (typed, service, kecamatan, kinds) = match *target {
            Ok(i) => {
                let a = &plan.apps[i];
                (
                    &a.typed,
                    a.service.code().to_string(),
                    a.kecamatan,
                    a.documents.clone(),
                )
            }
            Err(i) => {
                let b = &plan.bads[i];
                let kinds = if config.documents.contains_key("kk") {
                    vec!["kk".to_string()]
                } else {
                    Vec::new()
                };
                (&b.typed, b.service_text.clone(), b.kecamatan, kinds)
            }
        };
        let mut documents = Vec::new();
        for kind in kinds {
            let file = format!("files/{id}/{kind}.pdf");
            write_private(
                &inbox.join("app").join(&file),
                &pdf(&kind, &format!("{id} {kind}")),
            )?;
            files += 1;
            documents.push(AppDocument { kind, file });
        }
        let record = AppRecord {
            id: id.clone(),
            submitted_at: local(*at, ctx.offset).to_rfc3339_opts(SecondsFormat::Secs, false),
            nik: typed.nik.clone(),
            kk_number: typed.kk.clone(),
            name: typed.name.clone(),
            birth_date: typed.birth_date.format("%Y-%m-%d").to_string(),
            service,
            kecamatan: config.kecamatan[kecamatan].name.clone(),
            email: typed.email.clone(),
            phone: typed.phone.clone(),
            documents,
        };
        let in_json = at.date() < plan.cutoff;
        let rel = if in_json { &json_rel } else { &ndjson_rel };
        let source = format!("{rel}#{id}");
        if in_json {
            json_records.push(record);
        } else {
            let line = serde_json::to_string(&record).map_err(|source| SampleError::Json {
                path: inbox.join(&ndjson_rel),
                source,
            })?;
            ndjson.extend_from_slice(line.as_bytes());
            ndjson.push(b'\n');
            ndjson_count += 1;
        }
        match *target {
            Ok(i) => {
                plan.apps[i].sources.push(source);
                plan.apps[i].app_id = Some(id);
            }
            Err(i) => plan.bads[i].source = source,
        }
    }
    let json_path = inbox.join(&json_rel);
    let mut json =
        serde_json::to_vec_pretty(&json_records).map_err(|source| SampleError::Json {
            path: json_path.clone(),
            source,
        })?;
    json.push(b'\n');
    write_private(&json_path, &json)?;
    write_private(&inbox.join(&ndjson_rel), &ndjson)?;
    Ok((
        vec![
            Written {
                count: json_records.len(),
                file: json_rel,
            },
            Written {
                count: ndjson_count,
                file: ndjson_rel,
            },
        ],
        files,
    ))
}
