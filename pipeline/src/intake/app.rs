//! App exports (`inbox/app/*.json` as an array, `*.ndjson` one object a
//! line), the app's export contract: `id`, `submitted_at`, `nik`, `kk_number`,
//! `name`, `birth_date`, `service`, `kecamatan`, `email`, `phone`,
//! `documents: [{kind, file}]` with `file` relative to `inbox/app/`.
//! A record is keyed by its `id`.

use std::path::{Component, Path};

use serde_json::Value;

use super::fields;
use super::{Body, Content, Ctx, Incoming, IntakeError, Item, Sink, sha256_hex};
use crate::domain::application::{NewApplication, Source};
use crate::domain::quarantine::{QuarantineReason, printable};

/// Reads one export and hands every record to `sink`.
pub(crate) fn read(
    rel: &str,
    bytes: &[u8],
    ctx: &Ctx<'_>,
    sink: &mut Sink<'_>,
) -> Result<(), IntakeError> {
    let text = crate::text::decode(bytes);
    if rel.to_ascii_lowercase().ends_with(".ndjson") {
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let source = format!("{rel}:{}", i + 1);
            match json(&source, line) {
                Ok(v) => sink(record(rel, &source, v, line.as_bytes(), ctx))?,
                Err(e) => sink(unreadable(&source, e, line.as_bytes()))?,
            }
        }
        return Ok(());
    }
    match json(rel, &text) {
        Ok(Value::Array(records)) => {
            for (i, v) in records.into_iter().enumerate() {
                let raw = serde_json::to_vec(&v).unwrap_or_default();
                let source = format!("{rel}#{}", i + 1);
                sink(record(rel, &source, v, &raw, ctx))?;
            }
            Ok(())
        }
        Ok(v @ Value::Object(_)) => {
            let raw = serde_json::to_vec(&v).unwrap_or_default();
            sink(record(rel, &format!("{rel}#1"), v, &raw, ctx))
        }
        other => {
            let detail = match other {
                Err(e) => format!("{rel} is {e}"),
                Ok(_) => format!("{rel} holds neither an array of records nor one record"),
            };
            sink(Item {
                key: format!("file|{rel}|{}", sha256_hex(bytes)),
                source: rel.to_string(),
                message_id: None,
                body: Body::Quarantine {
                    reason: QuarantineReason::Unreadable,
                    detail,
                    raw: bytes.to_vec(),
                    file_ext: Some("json"),
                },
            })
        }
    }
}

/// The JSON of `source`, or why not (`not JSON: …`, or the parser's
/// panic, which is unreadable input like a syntax error).
fn json(source: &str, text: &str) -> Result<Value, String> {
    crate::guard::parse(source, || serde_json::from_str::<Value>(text))
        .map_err(|p| format!("unreadable: {p}"))
        .and_then(|r| r.map_err(|e| format!("not JSON: {e}")))
}

fn unreadable(source: &str, detail: String, raw: &[u8]) -> Item {
    Item {
        key: format!("app|raw|{}", sha256_hex(raw)),
        source: source.to_string(),
        message_id: None,
        body: Body::Quarantine {
            reason: QuarantineReason::Unreadable,
            detail: format!("{source}: {detail}"),
            raw: raw.to_vec(),
            file_ext: None,
        },
    }
}

/// A string field; numbers are taken as their digits.
fn text_field(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// One record as an item, or UNREADABLE when its reading panics.
fn record(rel: &str, fallback_source: &str, v: Value, raw: &[u8], ctx: &Ctx<'_>) -> Item {
    crate::guard::parse(fallback_source, || {
        read_record(rel, fallback_source, v, raw, ctx)
    })
    .unwrap_or_else(|p| unreadable(fallback_source, p.to_string(), raw))
}

/// One record as an item. `fallback_source` names it when it has no id.
fn read_record(rel: &str, fallback_source: &str, v: Value, raw: &[u8], ctx: &Ctx<'_>) -> Item {
    if !v.is_object() {
        return unreadable(
            fallback_source,
            "a record must be a JSON object".into(),
            raw,
        );
    }
    let id = text_field(&v, "id");
    let (key, source) = if id.trim().is_empty() {
        (
            format!("app|raw|{}", sha256_hex(raw)),
            fallback_source.to_string(),
        )
    } else {
        (format!("app|{}", id.trim()), format!("{rel}#{}", id.trim()))
    };
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
    let stamp = text_field(&v, "submitted_at");
    let Some(submitted_at) = fields::timestamp(&stamp, ctx.office) else {
        return quarantine(
            QuarantineReason::BadTimestamp,
            format!(
                "field submitted_at: `{}` is not an RFC 3339 time",
                printable(&stamp, 60)
            ),
        );
    };
    let nik = match fields::nik(&text_field(&v, "nik")) {
        Ok(n) => n,
        Err((reason, detail)) => return quarantine(reason, format!("field nik: {detail}")),
    };
    let service = match fields::service(&text_field(&v, "service"), ctx.config) {
        Ok(s) => s,
        Err((reason, detail)) => return quarantine(reason, format!("field service: {detail}")),
    };
    let Some(name) = fields::opt(&text_field(&v, "name")) else {
        return quarantine(QuarantineReason::MissingField, "field name is empty".into());
    };
    let documents = v
        .get("documents")
        .and_then(Value::as_array)
        .map(|docs| docs.iter().map(|d| document(d, ctx)).collect())
        .unwrap_or_default();
    Item {
        key,
        source: source.clone(),
        message_id: None,
        body: Body::Application {
            app: Box::new(NewApplication {
                source: Source::App,
                source_ref: source,
                nik,
                kk_number: fields::kk(&text_field(&v, "kk_number")),
                name,
                birth_date: fields::date(&text_field(&v, "birth_date")),
                service,
                kecamatan: fields::kecamatan(&text_field(&v, "kecamatan"), ctx.config),
                email: fields::opt(&text_field(&v, "email")),
                phone: fields::opt(&text_field(&v, "phone")),
                submitted_at,
            }),
            documents,
            forwarded_by: None,
        },
    }
}

/// A document of a record: the file it names, read only when the name is
/// a plain relative path inside `inbox/app/` (no `..`, no absolute path,
/// no symlink out).
fn document(d: &Value, ctx: &Ctx<'_>) -> Incoming {
    let kind = fields::opt(&text_field(d, "kind"));
    let file = text_field(d, "file");
    let content = match read_inside(&ctx.inbox.join("app"), &file) {
        Ok(bytes) => Content::Bytes(bytes),
        Err(why) => Content::Missing(format!("document `{}`: {why}", printable(&file, 120))),
    };
    Incoming {
        kind,
        original_name: file,
        content,
    }
}

fn read_inside(dir: &Path, file: &str) -> Result<Vec<u8>, String> {
    let rel = Path::new(file);
    if file.is_empty()
        || file.contains('\0')
        || !rel.components().all(|c| matches!(c, Component::Normal(_)))
    {
        return Err("not a plain relative path inside inbox/app/; nothing was read".into());
    }
    let path = dir.join(rel);
    let meta =
        std::fs::symlink_metadata(&path).map_err(|_| "no such file in inbox/app/".to_string())?;
    if !meta.is_file() {
        return Err("not a regular file (a folder or a symlink)".into());
    }
    let inside = match (path.canonicalize(), dir.canonicalize()) {
        (Ok(p), Ok(d)) => p.starts_with(d),
        _ => false,
    };
    if !inside {
        return Err("resolves outside inbox/app/; nothing was read".into());
    }
    std::fs::read(&path).map_err(|e| format!("cannot be read: {e}"))
}
