//! Mail (`inbox/mail/` as a Maildir `new/` + `cur/`, or loose `*.eml`):
//! MIME multipart, base64 and quoted-printable, any charset mail-parser
//! knows (UTF-8, ISO-8859-1, Windows-1252, …), HTML-only bodies read as
//! text, forwarded messages (inline or attached). The body's `Key: value`
//! lines are the application; attachments are its documents. A message is
//! keyed by its Message-ID.

use chrono::{DateTime, FixedOffset, NaiveDate};
use mail_parser::{Message, MessageParser, MimeHeaders};

use super::fields::{self, Label};
use super::{Body, Content, Ctx, Incoming, IntakeError, Item, Sink, sha256_hex};
use crate::domain::application::{NewApplication, Source};
use crate::domain::quarantine::QuarantineReason;

/// Reads one message file and hands it to `sink`.
pub(crate) fn read(
    rel: &str,
    bytes: &[u8],
    ctx: &Ctx<'_>,
    sink: &mut Sink<'_>,
) -> Result<(), IntakeError> {
    let item = crate::guard::parse(rel, || message(rel, bytes, ctx)).unwrap_or_else(|p| Item {
        // Nothing of the message can be trusted, its Message-ID included.
        key: format!("mail|sha|{}", sha256_hex(bytes)),
        source: rel.to_string(),
        message_id: None,
        body: Body::Quarantine {
            reason: QuarantineReason::Unreadable,
            detail: format!("{rel}: {p}"),
            raw: bytes.to_vec(),
            file_ext: None,
        },
    });
    sink(item)
}

/// The message's date with its offset.
fn date(m: &Message<'_>) -> Option<DateTime<FixedOffset>> {
    let d = m.date()?;
    let secs = i32::from(d.tz_hour) * 3600 + i32::from(d.tz_minute) * 60;
    let offset = FixedOffset::east_opt(if d.tz_before_gmt { -secs } else { secs })?;
    NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))?
        .and_hms_opt(u32::from(d.hour), u32::from(d.minute), u32::from(d.second))?
        .and_local_timezone(offset)
        .single()
}

/// The text of a message and of every message forwarded inside it, and
/// every attachment that is not itself a message.
fn collect<'a>(
    m: &'a Message<'a>,
    text: &mut String,
    files: &mut Vec<(String, Vec<u8>)>,
    depth: u32,
) {
    if let Some(body) = m.body_text(0) {
        text.push_str(&body);
        text.push('\n');
    }
    for part in m.attachments() {
        if let Some(inner) = part.message() {
            if depth < 3 {
                collect(inner, text, files, depth + 1);
            }
            continue;
        }
        let n = files.len() + 1;
        let name = part
            .attachment_name()
            .map(str::to_string)
            .unwrap_or_else(|| format!("attachment-{n}"));
        files.push((name, part.contents().to_vec()));
    }
}

/// One message as an item.
fn message(rel: &str, bytes: &[u8], ctx: &Ctx<'_>) -> Item {
    let parsed = MessageParser::default().parse(bytes);
    let message_id = parsed
        .as_ref()
        .and_then(|m| m.message_id())
        .map(|id| id.trim().trim_start_matches('<').trim_end_matches('>'))
        .filter(|id| !id.is_empty())
        // Written as in the header, with its angle brackets.
        .map(|id| format!("<{id}>"));
    let key = match &message_id {
        Some(id) => format!("mail|{id}"),
        None => format!("mail|sha|{}", sha256_hex(bytes)),
    };
    let quarantine = |reason, detail: String| Item {
        key: key.clone(),
        source: rel.to_string(),
        message_id: message_id.clone(),
        body: Body::Quarantine {
            reason,
            detail: format!("{rel}: {detail}"),
            raw: bytes.to_vec(),
            file_ext: None,
        },
    };
    let Some(m) = parsed.as_ref() else {
        return quarantine(
            QuarantineReason::Unreadable,
            "not an email message (RFC 5322)".into(),
        );
    };
    let mut text = String::new();
    let mut files = Vec::new();
    collect(m, &mut text, &mut files, 0);
    let labelled = fields::labelled(&text);
    let get = |l: Label| {
        labelled
            .iter()
            .find(|(k, _)| *k == l)
            .map(|(_, v)| v.as_str())
    };
    if get(Label::Nik).is_none() && get(Label::Service).is_none() {
        return quarantine(
            QuarantineReason::NotAnApplication,
            "no `NIK:` and no `Jenis Permohonan:` line in the body; answer the sender by hand"
                .into(),
        );
    }
    let nik = match fields::nik(get(Label::Nik).unwrap_or("")) {
        Ok(n) => n,
        Err((reason, detail)) => return quarantine(reason, format!("line NIK: {detail}")),
    };
    let Some(service_text) = get(Label::Service) else {
        return quarantine(
            QuarantineReason::UnknownService,
            "no `Jenis Permohonan:` (or `Layanan:`) line in the body".into(),
        );
    };
    let service = match fields::service(service_text, ctx.config) {
        Ok(s) => s,
        Err((reason, detail)) => {
            return quarantine(reason, format!("line Jenis Permohonan: {detail}"));
        }
    };
    let Some(name) = get(Label::Name).and_then(fields::opt) else {
        return quarantine(
            QuarantineReason::MissingField,
            "no `Nama:` (or `Nama Lengkap:`) line in the body".into(),
        );
    };
    let email = m
        .from()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .map(str::to_string)
        .or_else(|| get(Label::Email).map(str::to_string));
    let submitted_at = date(m).unwrap_or_else(|| ctx.at.with_timezone(&ctx.office));
    let documents = files
        .into_iter()
        .map(|(name, bytes)| Incoming {
            kind: None,
            original_name: name,
            content: Content::Bytes(bytes),
        })
        .collect();
    Item {
        key,
        source: rel.to_string(),
        message_id: message_id.clone(),
        body: Body::Application {
            app: Box::new(NewApplication {
                source: Source::Mail,
                source_ref: rel.to_string(),
                nik,
                kk_number: get(Label::Kk).and_then(fields::kk),
                name,
                birth_date: get(Label::BirthDate).and_then(fields::date),
                service,
                kecamatan: get(Label::Kecamatan).and_then(|k| fields::kecamatan(k, ctx.config)),
                email,
                phone: get(Label::Phone).and_then(fields::opt),
                submitted_at,
            }),
            documents,
        },
    }
}
