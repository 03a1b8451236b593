//! The mail channel: RFC 5322 messages in a Maildir (`new/`, `cur/` with
//! `:2,S`) and a couple of loose `.eml` files. Bodies vary the way
//! applicants' mail does: plain UTF-8, quoted-printable ISO-8859-1, HTML
//! only; documents are base64 PDF attachments named with the keywords the
//! office's config uses to recognise them.

use std::path::Path;

use chrono::{FixedOffset, NaiveDateTime};

use super::attachments::attachment_name;
use super::encode::{base64_wrapped, latin1, pdf, quoted_printable};
use super::error::SampleError;
use super::inbox::write_private;
use super::names;
use super::plan::{Channel, MailStyle, NotApplication, Plan, Planned, PlannedBad};
use super::rng::Rng;
use crate::config::Config;

/// What the mail writer wrote.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct MailCounts {
    /// Message files in `new/`.
    pub new: usize,
    /// Message files in `cur/`.
    pub cur: usize,
    /// Loose `*.eml` files.
    pub loose: usize,
    /// Document attachments (PDFs), not counting forbidden ones.
    pub attachments: usize,
}

/// One part of a multipart message.
struct Part {
    headers: String,
    body: String,
}

fn header_escape(display: &str) -> String {
    display.replace('\\', "\\\\").replace('"', "\\\"")
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The whole message with CRLF line endings.
fn message(headers: &[(&str, String)], parts: Vec<Part>, boundary: &str) -> Vec<u8> {
    let mut out = String::new();
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("MIME-Version: 1.0\r\n");
    if parts.len() == 1 {
        let part = &parts[0];
        out.push_str(&part.headers);
        out.push_str("\r\n");
        out.push_str(&part.body);
    } else {
        out.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n"
        ));
        out.push_str("This is a multi-part message in MIME format.\r\n");
        for part in &parts {
            out.push_str(&format!("\r\n--{boundary}\r\n"));
            out.push_str(&part.headers);
            out.push_str("\r\n");
            out.push_str(&part.body);
        }
        out.push_str(&format!("\r\n--{boundary}--\r\n"));
    }
    out.into_bytes()
}

fn crlf(text: &str) -> String {
    let mut s = text.replace('\n', "\r\n");
    if !s.ends_with("\r\n") {
        s.push_str("\r\n");
    }
    s
}

/// The text body part in the message's style.
fn text_part(style: MailStyle, plain: &str, html: &str) -> Part {
    match style {
        MailStyle::Plain => Part {
            headers: "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n".into(),
            body: crlf(plain),
        },
        MailStyle::Latin1 => Part {
            headers: "Content-Type: text/plain; charset=ISO-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n".into(),
            body: quoted_printable(&latin1(plain)),
        },
        MailStyle::Html => Part {
            headers: "Content-Type: text/html; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n".into(),
            body: crlf(html),
        },
    }
}

fn attachment(file: &str, content_type: &str, bytes: &[u8]) -> Part {
    Part {
        headers: format!(
            "Content-Type: {content_type}; name=\"{file}\"\r\nContent-Disposition: attachment; filename=\"{file}\"\r\nContent-Transfer-Encoding: base64\r\n"
        ),
        body: base64_wrapped(bytes),
    }
}

/// What the mail writer needs besides the plan.
pub(crate) struct MailContext<'a> {
    /// The office's config.
    pub config: &'a Config,
    /// The office's UTC offset.
    pub offset: FixedOffset,
    /// The kabupaten's name, for signatures.
    pub kabupaten: &'a str,
}

enum Item {
    App(usize),
    Bad(usize),
}

/// Writes every mail-channel input and records where each one went.
pub(crate) fn write(
    inbox: &Path,
    ctx: &MailContext<'_>,
    plan: &mut Plan,
    rng: &mut Rng,
) -> Result<MailCounts, SampleError> {
    let mut items: Vec<(NaiveDateTime, Item)> = plan
        .apps
        .iter()
        .enumerate()
        .filter(|(_, a)| a.channel == Channel::Mail)
        .map(|(i, a)| (a.submitted_at, Item::App(i)))
        .chain(
            plan.bads
                .iter()
                .enumerate()
                .filter(|(_, b)| b.channel == Channel::Mail)
                .map(|(i, b)| (b.submitted_at, Item::Bad(i))),
        )
        .collect();
    items.sort_by_key(|(t, item)| (*t, matches!(item, Item::Bad(_))));

    // Two plain applications arrive as loose .eml files (saved from a
    // mail client); the rest are Maildir deliveries.
    let mut loose: Vec<usize> = items
        .iter()
        .enumerate()
        .filter(|(_, (_, item))| matches!(item, Item::App(i) if !plan.apps[*i].delivered_twice))
        .map(|(n, _)| n)
        .collect();
    rng.shuffle(&mut loose);
    loose.truncate(if items.len() >= 4 { 2 } else { 0 });

    let mut counts = MailCounts::default();
    for (seq, (at, item)) in items.iter().enumerate() {
        let (bytes, message_id) = match item {
            Item::App(i) => app_message(ctx, &mut plan.apps[*i], seq, rng, &mut counts),
            Item::Bad(i) => question_message(ctx, &plan.bads[*i], seq, rng),
        };
        let delivered = at
            .and_local_timezone(ctx.offset)
            .single()
            .map_or(0, |t| t.timestamp())
            + rng.range(1, 90);
        // Maildir names: time, random microseconds, a pid unique per
        // message and a delivery counter (Q), so no two files collide.
        let pid = 1000 + seq;
        let base = |delivery: u32, rng: &mut Rng| {
            let at = delivered + i64::from(delivery - 1) * rng.range(60, 900);
            format!(
                "{at}.M{:06}P{pid}Q{delivery}.sigap-sample",
                rng.range(0, 999_999)
            )
        };
        let twice = matches!(item, Item::App(i) if plan.apps[*i].delivered_twice);
        let mut places = Vec::new();
        if loose.contains(&seq) {
            places.push(format!("permohonan-{:04}.eml", seq + 1));
            counts.loose += 1;
        } else if twice {
            places.push(format!("new/{}", base(1, rng)));
            places.push(format!("cur/{}:2,S", base(2, rng)));
            counts.new += 1;
            counts.cur += 1;
        } else if matches!(item, Item::App(_)) && rng.chance(2_000) {
            places.push(format!("cur/{}:2,S", base(1, rng)));
            counts.cur += 1;
        } else {
            places.push(format!("new/{}", base(1, rng)));
            counts.new += 1;
        }
        for place in &places {
            write_private(&inbox.join("mail").join(place), &bytes)?;
        }
        let sources: Vec<String> = places.iter().map(|p| format!("mail/{p}")).collect();
        match item {
            Item::App(i) => {
                let a = &mut plan.apps[*i];
                if a.forbidden_attachment {
                    a.quarantined_attachment = Some(format!("{}#{FORBIDDEN_FILE}", sources[0]));
                }
                a.sources = sources;
                a.message_id = Some(message_id);
            }
            Item::Bad(i) => {
                let b = &mut plan.bads[*i];
                b.source = sources[0].clone();
                b.message_id = Some(message_id);
            }
        }
    }
    Ok(counts)
}

/// The forbidden attachment's file name.
pub(crate) const FORBIDDEN_FILE: &str = "scan_dokumen.exe";

fn message_id(at: NaiveDateTime, seq: usize, rng: &mut Rng) -> String {
    format!(
        "<{}.{:05}.{:08x}@sample.sigap>",
        at.format("%Y%m%d%H%M%S"),
        seq + 1,
        rng.next_u64() as u32
    )
}

fn to_header(ctx: &MailContext<'_>) -> String {
    format!(
        "\"{}\" <{}>",
        header_escape(&ctx.config.office.short_name),
        ctx.config.office.email
    )
}

fn date_header(ctx: &MailContext<'_>, at: NaiveDateTime) -> String {
    at.and_local_timezone(ctx.offset)
        .single()
        .map(|t| t.to_rfc2822())
        .unwrap_or_default()
}

fn app_message(
    ctx: &MailContext<'_>,
    a: &mut Planned,
    seq: usize,
    rng: &mut Rng,
    counts: &mut MailCounts,
) -> (Vec<u8>, String) {
    let config = ctx.config;
    let office = &config.kecamatan[a.kecamatan];
    let label = a.service.label();
    let service_text = match rng.weighted(&[80, 10, 10]) {
        0 => label.to_string(),
        1 => label.replace("KTP-el", "KTP"),
        _ => label.to_lowercase(),
    };
    let name_label = *rng.pick(&["Nama", "Nama Lengkap"]);
    let dob_label = *rng.pick(&["Tgl Lahir", "Tanggal Lahir"]);
    let kk_label = *rng.pick(&["No KK", "Nomor KK"]);
    let service_label = *rng.pick(&["Jenis Permohonan", "Layanan"]);
    let fields = [
        ("NIK", a.typed.nik.clone()),
        (name_label, a.typed.name.clone()),
        (dob_label, a.typed.birth_date.format("%d-%m-%Y").to_string()),
        (kk_label, a.typed.kk.clone()),
        (service_label, service_text),
        ("Kecamatan", office.name.clone()),
        ("No HP", a.typed.phone.clone()),
    ];
    // People sign and fill the subject with the name as they typed it.
    let typed_name = a
        .typed
        .name
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let display = names::title_case(&typed_name.to_uppercase());
    let signature = display.clone();
    let attach_line = if a.documents.is_empty() {
        ""
    } else {
        "Dokumen persyaratan saya lampirkan.\n\n"
    };
    let mut plain = format!(
        "Dengan hormat,\n\nBersama ini saya mengajukan permohonan {label} dengan data berikut.\n\n"
    );
    for (k, v) in &fields {
        plain.push_str(&format!("{k}: {v}\n"));
    }
    plain.push_str(&format!(
        "\n{attach_line}Terima kasih.\n\nHormat saya,\n{signature}\n"
    ));
    if a.mail_style == MailStyle::Latin1 {
        // A Latin-1 character, as old mail clients send them.
        plain.push_str(&format!("Kec. {} \u{b7} {}\n", office.name, ctx.kabupaten));
    }
    let mut html = format!(
        "<html><body>\n<p>Dengan hormat,</p>\n<p>Bersama ini saya mengajukan permohonan {}.</p>\n<p>\n",
        html_escape(label)
    );
    for (k, v) in &fields {
        html.push_str(&format!("{}: {}<br>\n", html_escape(k), html_escape(v)));
    }
    html.push_str(&format!(
        "</p>\n<p>Terima kasih.<br>\n{}</p>\n</body></html>\n",
        html_escape(&signature)
    ));

    let mut parts = vec![text_part(a.mail_style, &plain, &html)];
    let name_word: String = a
        .resident_name
        .split(' ')
        .next_back()
        .unwrap_or("")
        .chars()
        .filter(char::is_ascii_alphabetic)
        .collect::<String>()
        .to_lowercase();
    let mut used = Vec::new();
    for kind in &a.documents {
        let mut file = attachment_name(kind, &name_word, &config.documents, rng)
            .unwrap_or_else(|| format!("{kind}.pdf"));
        if used.contains(&file) {
            file = file.replace(".pdf", "_2.pdf");
        }
        used.push(file.clone());
        let bytes = pdf(kind, &format!("mail {seq} {kind}"));
        parts.push(attachment(&file, "application/pdf", &bytes));
        counts.attachments += 1;
    }
    if a.forbidden_attachment {
        // Not a real program: a DOS header stub is enough for a type check.
        let mut exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00".to_vec();
        exe.extend_from_slice(format!("sigap sample {seq}").as_bytes());
        parts.push(attachment(FORBIDDEN_FILE, "application/x-msdownload", &exe));
    }
    let subject = match rng.weighted(&[40, 35, 25]) {
        0 => format!("Permohonan {label}"),
        1 => format!("Permohonan {label} a.n. {}", typed_name.to_uppercase()),
        _ => format!("Permohonan {label} - {display}"),
    };
    let id = message_id(a.submitted_at, seq, rng);
    let headers = [
        (
            "From",
            format!("\"{}\" <{}>", header_escape(&display), a.typed.email),
        ),
        ("To", to_header(ctx)),
        ("Subject", subject),
        ("Date", date_header(ctx, a.submitted_at)),
        ("Message-ID", id.clone()),
    ];
    let boundary = format!("----=_sigap_{:016x}", rng.next_u64());
    (message(&headers, parts, &boundary), id)
}

fn question_message(
    ctx: &MailContext<'_>,
    b: &PlannedBad,
    seq: usize,
    rng: &mut Rng,
) -> (Vec<u8>, String) {
    debug_assert_eq!(b.kind, NotApplication::QuestionEmail);
    let display = names::title_case(&b.typed.name);
    let office = &ctx.config.kecamatan[b.kecamatan];
    let body = format!(
        "Selamat siang,\n\nSaya mau bertanya, apa saja syarat mengurus KK baru setelah menikah? Apakah bisa lewat email, atau harus datang ke Kantor Kecamatan {}?\n\nTerima kasih.\n{display}\n",
        office.name
    );
    let id = message_id(b.submitted_at, seq, rng);
    let headers = [
        (
            "From",
            format!("\"{}\" <{}>", header_escape(&display), b.typed.email),
        ),
        ("To", to_header(ctx)),
        ("Subject", "Tanya syarat permohonan KK baru".to_string()),
        ("Date", date_header(ctx, b.submitted_at)),
        ("Message-ID", id.clone()),
    ];
    let part = text_part(MailStyle::Plain, &body, "");
    (message(&headers, vec![part], ""), id)
}
