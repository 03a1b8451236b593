//! Mail (`inbox/mail/` as a Maildir `new/` + `cur/`, or loose `*.eml`):
//! MIME multipart, base64 and quoted-printable, any charset mail-parser
//! knows (UTF-8, ISO-8859-1, Windows-1252, …), HTML-only bodies read as
//! text, forwarded messages (inline or attached). The body's `Key: value`
//! lines are the application; attachments are its documents. A message is
//! keyed by its Message-ID. The applicant's email is an `Email:` line, else
//! the address of whoever wrote the application: in a forwarded mail the
//! forwarded message's sender, not the forwarder (who goes to the event
//! detail).

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

/// One stretch of a mail's text and the address of who wrote it: the
/// message's own body, a message attached to it, or a message quoted
/// inline below a forward header (`---------- Forwarded message
/// ---------`, `From: … Sent: …`, `Begin forwarded message:`, `Dari: …`).
struct Section {
    /// The writer's address: the message's From, or the forward header's
    /// `From:` / `Dari:` line.
    from: Option<String>,
    /// The text.
    text: String,
}

/// The first address of a message's From header.
fn sender(m: &Message<'_>) -> Option<String> {
    m.from()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .map(str::to_string)
}

/// The text of a message and of every message forwarded inside it, in
/// order, and every attachment that is not itself a message.
fn collect<'a>(
    m: &'a Message<'a>,
    sections: &mut Vec<Section>,
    files: &mut Vec<(String, Vec<u8>)>,
    depth: u32,
) {
    if let Some(body) = m.body_text(0) {
        split_forwards(sender(m), &body, sections);
    }
    for part in m.attachments() {
        if let Some(inner) = part.message() {
            if depth < 3 {
                collect(inner, sections, files, depth + 1);
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

/// The lines that open a forwarded message in the text mail clients write
/// (Gmail, Thunderbird, Outlook, Apple Mail; English and Indonesian), as
/// [`marker`] normalises them.
const FORWARD_MARKERS: [&str; 8] = [
    "forwarded message",
    "pesan yang diteruskan",
    "pesan terusan",
    "pesan diteruskan",
    "begin forwarded message",
    "awal pesan yang diteruskan",
    "original message",
    "pesan asli",
];

/// A line without its dashes, underscores, spaces and colon, lower-cased.
fn marker(line: &str) -> String {
    line.trim()
        .trim_matches(|c: char| c == '-' || c == '_' || c == ':' || c.is_whitespace())
        .to_lowercase()
}

/// The header key of a quoted header line (`From: …`, `Dikirim: …`),
/// lower-cased, if it is one a forward header has.
fn header_key(line: &str) -> Option<(String, &str)> {
    let line = line.trim_start_matches(['>', ' ', '\t', '*']);
    let (key, value) = line.split_once(':')?;
    let key = key.trim().trim_matches('*').trim().to_lowercase();
    const KEYS: [&str; 11] = [
        "from", "dari", "sent", "dikirim", "date", "tanggal", "subject", "subjek", "perihal", "to",
        "kepada",
    ];
    KEYS.contains(&key.as_str()).then_some((key, value))
}

/// The address in a quoted `From:` value: `Name <a@b>`, `Name
/// [mailto:a@b]`, or a bare `a@b`.
fn address_in(value: &str) -> Option<String> {
    let inner = match (value.find('<'), value.rfind('>')) {
        (Some(a), Some(b)) if a < b => &value[a + 1..b],
        _ => value,
    };
    let inner = inner.split("mailto:").last().unwrap_or(inner);
    inner
        .split(|c: char| c.is_whitespace() || "<>[]()\"',;".contains(c))
        .find(|t| {
            t.split_once('@')
                .is_some_and(|(u, d)| !u.is_empty() && d.contains('.'))
        })
        .map(str::to_string)
}

/// Where a forward header starts at line `i`: a marker line, or a quoted
/// `From:` / `Dari:` line with an address followed by more header lines
/// (Outlook writes no marker). Returns the writer's address, if the
/// header names one.
fn forward_at(lines: &[&str], i: usize) -> Option<Option<String>> {
    let from_in = |range: std::ops::Range<usize>| {
        lines[range.start.min(lines.len())..range.end.min(lines.len())]
            .iter()
            .filter_map(|l| header_key(l))
            .find(|(k, _)| k == "from" || k == "dari")
            .and_then(|(_, v)| address_in(v))
    };
    if FORWARD_MARKERS.contains(&marker(lines[i]).as_str()) {
        return Some(from_in(i + 1..i + 9));
    }
    let (key, value) = header_key(lines[i])?;
    if key != "from" && key != "dari" {
        return None;
    }
    let address = address_in(value)?;
    let more = lines[i + 1..(i + 6).min(lines.len())]
        .iter()
        .filter(|l| header_key(l).is_some())
        .count();
    (more >= 1).then_some(Some(address))
}

/// A body split at its inline forward headers: the text above the first
/// is `from`'s own, each forwarded stretch is its header's writer's.
fn split_forwards(from: Option<String>, body: &str, sections: &mut Vec<Section>) {
    let lines: Vec<&str> = body.lines().collect();
    let mut current = Section {
        from,
        text: String::new(),
    };
    let mut i = 0;
    while i < lines.len() {
        if let Some(writer) = forward_at(&lines, i) {
            sections.push(std::mem::replace(
                &mut current,
                Section {
                    from: writer,
                    text: String::new(),
                },
            ));
        }
        current.text.push_str(lines[i]);
        current.text.push('\n');
        i += 1;
    }
    sections.push(current);
}

/// The applicant's email and, for a forwarded application, who forwarded
/// it. The application is in the first section with a `NIK:` or `Jenis
/// Permohonan:` line; an `Email:` line in that section wins, else that
/// section's writer. So a kecamatan's forward answers the applicant, and
/// neither an `Email:` in the kecamatan's signature above it nor one in a
/// mail quoted below it is taken.
fn applicant_email(
    sections: &[Section],
    outer: Option<String>,
) -> (Option<String>, Option<String>) {
    let applies = |s: &Section| {
        fields::labelled(&s.text)
            .iter()
            .any(|(l, _)| matches!(l, Label::Nik | Label::Service))
    };
    // Only the application's own stretch: a message quoted below it (an
    // office mail the applicant answers) has its own Email: lines.
    let email_from = |i: usize| {
        fields::labelled(&sections[i].text)
            .into_iter()
            .find(|(l, _)| *l == Label::Email)
            .and_then(|(_, v)| address_in(&v))
    };
    match sections.iter().position(applies) {
        Some(i) if i > 0 => (
            email_from(i).or_else(|| sections[i].from.clone()),
            Some(outer.unwrap_or_else(|| "a sender without a From header".into())),
        ),
        _ => (email_from(0).or(outer), None),
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
    let mut sections = Vec::new();
    let mut files = Vec::new();
    collect(m, &mut sections, &mut files, 0);
    let text: String = sections.iter().map(|s| s.text.as_str()).collect();
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
    let (email, forwarded_by) = applicant_email(&sections, sender(m));
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
            forwarded_by,
        },
    }
}
