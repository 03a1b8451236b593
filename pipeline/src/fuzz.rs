//! Property-based fuzzing (proptest) of every parser that reads outside
//! input: NIK and KK numbers, form CSV rows, app JSON exports, emails and
//! station results files. Each target builds inputs from valid pieces,
//! hostile pieces (quotes, NULs, BOMs, bidi marks, path names, huge
//! fields), real-world message shapes, nested and truncated multiparts and
//! random bytes, and checks that no run stops (a parser's panic on one
//! input quarantines it as UNREADABLE, counted in the target's line) and
//! that every input is accounted for: taken, already known, or quarantined
//! with its source, and that the store agrees with the counts.
//!
//! `SIGAP_FUZZ_CASES` sets the cases per target (default 256, what CI
//! runs); each target prints how many inputs it fed (`--nocapture`).

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{NaiveDate, TimeZone, Utc};
use proptest::prelude::*;

use crate::adapters::maildir::{self, Maildir};
use crate::config::{Config, profiles};
use crate::domain::nik::{Sex, compose_nik, parse_kk, parse_nik};
use crate::domain::quarantine::QuarantineReason;
use crate::domain::wilayah::Wilayah;
use crate::intake::{Counts, Options, ingest};
use crate::print::{RESULTS_CSV_HEADER, parse_results};
use crate::store::Store;

fn cases() -> u32 {
    std::env::var("SIGAP_FUZZ_CASES")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(256)
}

/// Prints a target's totals once its last case has run.
struct Tally {
    name: &'static str,
    cases: AtomicU64,
    inputs: AtomicU64,
    /// Inputs a parser panicked on (each quarantined UNREADABLE).
    panics: AtomicU64,
}

impl Tally {
    const fn new(name: &'static str) -> Tally {
        Tally {
            name,
            cases: AtomicU64::new(0),
            inputs: AtomicU64::new(0),
            panics: AtomicU64::new(0),
        }
    }

    fn add(&self, inputs: u64) {
        self.add_with_panics(inputs, 0);
    }

    /// `panics` of the `inputs` made a parser panic and were quarantined.
    fn add_with_panics(&self, inputs: u64, panics: u64) {
        self.inputs.fetch_add(inputs, Ordering::Relaxed);
        self.panics.fetch_add(panics, Ordering::Relaxed);
        let n = self.cases.fetch_add(1, Ordering::Relaxed) + 1;
        if n == u64::from(cases()) {
            eprintln!(
                "fuzz {}: {n} cases, {} inputs, {} made a parser panic (all quarantined UNREADABLE), 0 runs stopped, all accounted for",
                self.name,
                self.inputs.load(Ordering::Relaxed),
                self.panics.load(Ordering::Relaxed)
            );
        }
    }
}

static NIK: Tally = Tally::new("nik");
static FORMS: Tally = Tally::new("form rows");
static APP: Tally = Tally::new("app json");
static MAIL: Tally = Tally::new("emails");
static RESULTS: Tally = Tally::new("station results");
static CORPUS: Tally = Tally::new("real-world and nested emails");

fn at() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 3, 0, 0).unwrap()
}

fn office() -> (tempfile::TempDir, Config) {
    // A parser's panic is quarantined; its hook output would drown the run.
    crate::guard::install_quiet_hook();
    let dir = tempfile::tempdir().unwrap();
    for d in ["inbox/forms", "inbox/app", "inbox/mail/new", "data"] {
        std::fs::create_dir_all(dir.path().join(d)).unwrap();
    }
    let c = Config::from_toml(
        profiles::text("bantul").unwrap(),
        &dir.path().join("sigap.toml"),
    )
    .unwrap();
    (dir, c)
}

/// The office's Maildir, as `sigap ingest` opens it.
fn mailbox(c: &Config) -> Maildir {
    Maildir::new(&c.inbox_dir(), maildir::FOLDER)
}

/// Runs ingest twice on what the case wrote and checks the accounting; a
/// run that stops (an `Err`, a panic) fails the case. Also says how many
/// inputs a parser panicked on (quarantined UNREADABLE).
fn ingest_accounts(dir: &Path, c: &Config) -> Result<(Counts, u64), TestCaseError> {
    let options = Options {
        dry_run: false,
        settle: Duration::ZERO,
        max_document_bytes: 64 * 1024,
    };
    let mut store = Store::open_in_memory().unwrap();
    let counts = ingest(c, &mut store, &mut [&mut mailbox(c)], &options, at()).unwrap();
    prop_assert!(counts.adds_up(), "{:?}", counts);
    let quarantined = store.quarantine().unwrap();
    // The quarantine holds refused inputs and refused documents of taken ones.
    prop_assert_eq!(
        quarantined.len() as u64,
        counts.quarantined + counts.documents_quarantined
    );
    prop_assert!(quarantined.iter().all(|q| !q.source.is_empty()));
    let apps = store.applications(None).unwrap();
    prop_assert_eq!(apps.len() as u64, counts.new);
    // Nothing was written outside the office directory's data/.
    for e in walkdir::WalkDir::new(dir) {
        let e = e.unwrap();
        prop_assert!(e.path().starts_with(dir));
    }
    let again = ingest(c, &mut store, &mut [&mut mailbox(c)], &options, at()).unwrap();
    prop_assert_eq!((again.read, again.new), (0, 0));
    let panics = quarantined
        .iter()
        .filter(|q| q.detail.contains("the parser stopped on an internal error"))
        .inspect(|q| assert_eq!(q.reason, QuarantineReason::Unreadable))
        .count();
    Ok((counts, panics as u64))
}

/// A form cell: valid values, hostile text, or random characters.
fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("3402151708900001".to_string()),
        Just("'3402151708900001".to_string()),
        Just("3402 1517 0890 0001".to_string()),
        Just("KTP-el Baru".to_string()),
        Just("KK Hilang".to_string()),
        Just("Sewon".to_string()),
        Just("17/08/1990".to_string()),
        Just("2026/11/21 8:15:03 AM GMT+7".to_string()),
        Just("21/11/2026 08:15:03".to_string()),
        Just("https://drive.google.com/open?id=a".to_string()),
        Just("Say \"Hi\", \r\n\tthere".to_string()),
        Just("\u{feff}\u{202e}\u{0}NUL".to_string()),
        Just("../../etc/passwd".to_string()),
        Just("=HYPERLINK(\"x\")".to_string()),
        "\\PC{0,30}",
        "[0-9]{0,20}",
        "[ -~]{0,12}".prop_map(|s| s.repeat(300)),
    ]
}

const FORM_HEADER: [&str; 10] = [
    "Timestamp",
    "Email Address",
    "NIK",
    "Nomor KK",
    "Nama Lengkap",
    "Tanggal Lahir",
    "Jenis Permohonan",
    "Kecamatan Pengambilan",
    "Nomor HP",
    "Foto Kartu Keluarga",
];

/// A JSON value that may or may not look like an app record.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(|f| serde_json::json!(f)),
        cell().prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
            proptest::collection::btree_map(
                prop_oneof![
                    Just("id".to_string()),
                    Just("nik".to_string()),
                    Just("name".to_string()),
                    Just("service".to_string()),
                    Just("submitted_at".to_string()),
                    Just("documents".to_string()),
                    Just("file".to_string()),
                    Just("kind".to_string()),
                    "[a-z_]{1,8}",
                ],
                inner,
                0..7
            )
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

fn record(id: &str, nik: &str, service: &str, extra: serde_json::Value) -> serde_json::Value {
    let mut v = serde_json::json!({
        "id": id,
        "submitted_at": "2026-11-17T08:00:00+07:00",
        "nik": nik,
        "name": "SRI RAHAYU",
        "service": service,
        "documents": [{"kind": "kk", "file": "../../../etc/passwd"}],
    });
    if let (Some(obj), serde_json::Value::Object(more)) = (v.as_object_mut(), extra) {
        obj.extend(more);
    }
    v
}

/// `base` with random byte edits applied: (position, byte, op) replaces,
/// inserts or removes a byte. Shared with the intake property tests.
pub(crate) fn mutate(base: &[u8], edits: &[(usize, u8, u8)]) -> Vec<u8> {
    let mut out = base.to_vec();
    for &(pos, byte, op) in edits {
        if out.is_empty() {
            out.push(byte);
            continue;
        }
        let i = pos % out.len();
        match op % 3 {
            0 => out[i] = byte,
            1 => out.insert(i, byte),
            _ => {
                out.remove(i);
            }
        }
    }
    out
}

/// An email with hostile headers and attachment names.
fn mail(
    from: &str,
    body: &str,
    attachment: &str,
    charset: &str,
    message_id: Option<&str>,
) -> String {
    let id = message_id.map_or(String::new(), |m| format!("Message-ID: <{m}>\r\n"));
    format!(
        "From: {from}\r\n{id}Subject: =?{charset}?B?UGVybW9ob25hbg==?=\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; charset={charset}\r\n\r\n{body}\r\n--b\r\nContent-Type: application/pdf; name=\"{attachment}\"\r\nContent-Disposition: attachment; filename=\"{attachment}\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQ=\r\n--b--\r\n"
    )
}

/// Messages in the shapes real mail clients and other mail libraries'
/// test suites have (written here, not copied): what a body would hold
/// for an application, as the leaf of each.
const LEAF: &str = "Content-Type: text/plain; charset=\"utf-8\"\r\n\r\nNIK: 3402151708900001\r\nNama: Budi\r\nJenis Permohonan: KTP-el Baru\r\n";

/// Headers of one (nested) message.
fn headers(n: usize) -> String {
    format!(
        "From: Pemohon {n} <p{n}@example.org>\r\nSubject: Fwd: Permohonan\r\nDate: Thu, 19 Nov 2026 08:{:02}:00 +0700\r\nMessage-ID: <seed-{n}@example.org>\r\nMIME-Version: 1.0\r\n",
        n % 60
    )
}

/// Real-world shapes, each a whole message: Thunderbird's
/// multipart/alternative, an iPhone's inline photo, Outlook's forward as
/// attachment, a base64 message/rfc822, a message/rfc822 part that is no
/// message (the shape of mail-parser issue #120), a header folded over
/// lines with an encoded word, and the forward of a forward that trips
/// mail-parser 0.11.9's `debug_assert!` (as tests/mailgen.py `--nested`
/// writes it with Python's `email`).
fn real_world() -> Vec<String> {
    let h = headers;
    vec![
        format!(
            "{}Content-Type: multipart/alternative; boundary=\"------------alt\"\r\n\r\nThis is a multi-part message in MIME format.\r\n--------------alt\r\n{LEAF}\r\n--------------alt\r\nContent-Type: text/html; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n<html><body><p>NIK: 3402151708900001<br>Nama: Budi<br>Jenis Permohonan: KTP-el Baru=\r\n</p></body></html>\r\n--------------alt--\r\n",
            h(1)
        ),
        format!(
            "{}Content-Type: multipart/mixed; boundary=\"Apple-Mail=_1\"\r\n\r\n--Apple-Mail=_1\r\n{LEAF}\r\n--Apple-Mail=_1\r\nContent-Disposition: inline; filename=IMG_2041.JPG\r\nContent-Type: image/jpeg; x-unix-mode=0644; name=\"IMG_2041.JPG\"\r\nContent-Transfer-Encoding: base64\r\n\r\n/9j/4AAQSkZJRgABAQ==\r\n--Apple-Mail=_1--\r\n",
            h(2)
        ),
        format!(
            "{}Content-Type: multipart/mixed; boundary=\"_004_\"\r\n\r\n--_004_\r\nContent-Type: text/plain; charset=\"us-ascii\"\r\n\r\nDiteruskan.\r\n--_004_\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment; filename=\"Permohonan.eml\"\r\n\r\n{}{LEAF}\r\n--_004_--\r\n",
            h(3),
            h(4)
        ),
        format!(
            "{}Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n{LEAF}--b\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\nRnJvbTogYUB4DQpTdWJqZWN0OiB4DQoNCk5JSzogMzQwMjE1MTcwODkwMDAwMQ0K\r\n--b--\r\n",
            h(5)
        ),
        format!(
            "{}Content-Type: multipart/mixed; boundary=\"000000000000e07f\"\r\n\r\n--000000000000e07f\r\n{LEAF}\r\n--000000000000e07f\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment; filename=\"corrupted.eml\"\r\nContent-Transfer-Encoding: 8bit\r\n\r\nthis attachment is not a valid eml\r\n--000000000000e07f--\r\n",
            h(6)
        ),
        format!(
            "From: =?UTF-8?B?QnVkaQ==?=\r\n <b@example.org>\r\nSubject: =?iso-8859-1?Q?Permohonan_KTP?=\r\n\tlanjutan\r\nMessage-ID: <seed-7@example.org>\r\n{LEAF}"
        ),
        format!(
            "{}Content-Type: multipart/mixed; boundary=\"==outer==\"\r\n\r\n--==outer==\r\nContent-Type: text/plain\r\n\r\nDiteruskan dari kecamatan.\r\n\r\n--==outer==\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: 8bit\r\nContent-Disposition: attachment\r\n\r\n{}Content-Type: message/rfc822\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{}{LEAF}\r\n--==outer==--\r\n",
            h(8),
            h(9),
            h(10)
        ),
    ]
}

/// A nested message: each level is a multipart/mixed (0), a
/// message/rfc822 (1) or a multipart/alternative (2) around the next, and
/// `ends[i]` says whether level `i` writes its closing boundary.
fn nested(levels: &[u8], ends: &[bool], n: usize) -> String {
    let Some((&kind, rest)) = levels.split_first() else {
        return LEAF.to_string();
    };
    let inner = nested(rest, ends.get(1..).unwrap_or(&[]), n + 1);
    let end = ends.first().copied().unwrap_or(true);
    let b = format!("b{n}");
    let close = if end {
        format!("--{b}--\r\n")
    } else {
        String::new()
    };
    match kind % 3 {
        0 => format!(
            "Content-Type: multipart/mixed; boundary=\"{b}\"\r\n\r\n--{b}\r\n{LEAF}--{b}\r\n{inner}\r\n{close}"
        ),
        1 => format!("Content-Type: message/rfc822\r\n\r\n{}{inner}", headers(n)),
        _ => format!(
            "Content-Type: multipart/alternative; boundary=\"{b}\"\r\n\r\n--{b}\r\n{inner}\r\n--{b}\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n{close}"
        ),
    }
}

fn attachment_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("kk.pdf".to_string()),
        Just("../../etc/passwd.pdf".to_string()),
        Just("/etc/shadow.pdf".to_string()),
        Just("..\\..\\win.ini.pdf".to_string()),
        Just("CON.pdf".to_string()),
        Just("a\u{0}b.pdf".to_string()),
        Just(format!("{}.pdf", "x".repeat(5000))),
        "\\PC{0,40}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    /// Any text given as a NIK or KK number is answered with a NIK or a
    /// rule, never a panic; a composed valid NIK always parses back.
    #[test]
    fn nik_and_kk_parsers_answer_any_text(
        text in prop_oneof!["\\PC{0,40}", "[0-9 .'-]{0,24}", "[0-9]{16}"],
        day in 1u32..=28, month in 1u32..=12, year in 1940i32..2008, female: bool, serial in 1u16..=9999,
    ) {
        let w = Wilayah::embedded();
        let today = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
        let _ = parse_nik(&text, w, today);
        let _ = parse_kk(&text, w, today);
        let born = NaiveDate::from_ymd_opt(year, month, day).unwrap();
        let sex = if female { Sex::P } else { Sex::L };
        let nik = compose_nik("340215", born, sex, serial);
        let info = parse_nik(&nik, w, today);
        prop_assert!(info.is_ok(), "{} {:?}", nik, info);
        let info = info.unwrap();
        prop_assert_eq!(info.birth_date, born);
        prop_assert_eq!(info.sex, sex);
        NIK.add(3);
    }

    /// Form exports of random rows: each row is one input, accounted for.
    #[test]
    fn form_rows_are_each_accounted_for(
        rows in proptest::collection::vec(proptest::collection::vec(cell(), 0..12), 1..8),
        bom: bool,
        crlf: bool,
    ) {
        let (dir, c) = office();
        let mut w = csv::WriterBuilder::new()
            .flexible(true)
            .terminator(if crlf { csv::Terminator::CRLF } else { csv::Terminator::Any(b'\n') })
            .from_writer(Vec::new());
        w.write_record(FORM_HEADER).unwrap();
        for r in &rows {
            w.write_record(r).unwrap();
        }
        let mut bytes = if bom { b"\xef\xbb\xbf".to_vec() } else { Vec::new() };
        bytes.extend(w.into_inner().unwrap());
        std::fs::write(dir.path().join("inbox/forms/export.csv"), &bytes).unwrap();
        let (counts, panics) = ingest_accounts(dir.path(), &c)?;
        prop_assert_eq!(counts.read as usize, rows.len(), "{:?}", counts);
        FORMS.add_with_panics(rows.len() as u64, panics);
    }

    /// App exports: JSON arrays, NDJSON and random edits of both.
    #[test]
    fn app_records_are_each_accounted_for(
        extras in proptest::collection::vec(json_value(), 1..6),
        nik in cell(),
        service in prop_oneof![Just("ktp_baru"), Just("kk_hilang"), Just("paspor"), Just("")],
        edits in proptest::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 0..6),
        ndjson: bool,
    ) {
        let (dir, c) = office();
        let records: Vec<serde_json::Value> = extras
            .iter()
            .enumerate()
            .map(|(i, e)| if i % 2 == 0 { record(&format!("X{i}"), &nik, service, e.clone()) } else { e.clone() })
            .collect();
        let (name, bytes) = if ndjson {
            let lines: Vec<String> = records.iter().map(|r| r.to_string()).collect();
            ("export.ndjson", lines.join("\n").into_bytes())
        } else {
            ("export.json", serde_json::to_vec(&records).unwrap())
        };
        std::fs::write(dir.path().join("inbox/app").join(name), mutate(&bytes, &edits)).unwrap();
        let (counts, panics) = ingest_accounts(dir.path(), &c)?;
        if edits.is_empty() {
            // Each record is one input (a non-object one is quarantined).
            prop_assert_eq!(counts.read as usize, records.len(), "{:?}", counts);
        } else {
            // An edited file is read record by record, or quarantined whole.
            prop_assert!(counts.read >= 1, "{:?}", counts);
        }
        APP.add_with_panics(records.len() as u64, panics);
    }

    /// Emails: hostile senders, bodies, charsets and attachment names,
    /// with random edits; each message is one input.
    #[test]
    fn emails_are_each_accounted_for(
        messages in proptest::collection::vec(
            (cell(), cell(), attachment_name(), prop_oneof![Just("utf-8"), Just("iso-8859-1"), Just("x-unknown")], proptest::option::of("[a-z0-9]{1,8}@x")),
            1..5
        ),
        edits in proptest::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 0..8),
    ) {
        let (dir, c) = office();
        for (i, (from, body, att, charset, id)) in messages.iter().enumerate() {
            let body = format!("NIK: {body}\r\nNama: Budi\r\nJenis Permohonan: KTP-el Baru");
            let text = mail(from, &body, att, charset, id.as_deref());
            let bytes = if i == 0 { mutate(text.as_bytes(), &edits) } else { text.into_bytes() };
            std::fs::write(dir.path().join(format!("inbox/mail/new/{i}.eml")), bytes).unwrap();
        }
        let (counts, panics) = ingest_accounts(dir.path(), &c)?;
        // Two messages may carry the same Message-ID: the second is known.
        prop_assert_eq!(counts.read as usize, messages.len(), "{:?}", counts);
        // Stored documents carry generated names only.
        let docs = dir.path().join("data/documents");
        if docs.exists() {
            for e in walkdir::WalkDir::new(&docs).into_iter().filter_map(Result::ok).filter(|e| e.file_type().is_file()) {
                let name = e.file_name().to_string_lossy().to_string();
                prop_assert!(name.len() < 64 && !name.contains(".."), "{}", name);
            }
        }
        MAIL.add_with_panics(messages.len() as u64, panics);
    }

    /// Real-world message shapes and nested, truncated multiparts and
    /// message/rfc822 parts, with random edits: each message is one input,
    /// a parser's panic on one is quarantined UNREADABLE, and no run stops.
    #[test]
    fn real_world_and_nested_emails_are_each_accounted_for(
        seed in 0usize..7,
        levels in proptest::collection::vec(0u8..3, 1..6),
        ends in proptest::collection::vec(any::<bool>(), 0..6),
        cut in 0u32..=100,
        edits in proptest::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 0..4),
    ) {
        let (dir, c) = office();
        let real = real_world();
        let built = format!("{}{}", headers(0), nested(&levels, &ends, 1));
        for (i, text) in [real[seed].clone(), built].into_iter().enumerate() {
            let bytes = text.into_bytes();
            // Cut short (a truncated download) at `cut` percent, above 60.
            let keep = if cut > 60 { bytes.len() * cut as usize / 100 } else { bytes.len() };
            let bytes = mutate(&bytes[..keep], &edits);
            std::fs::write(dir.path().join(format!("inbox/mail/new/{i}.eml")), &bytes).unwrap();
        }
        // A good message beside them is still taken.
        std::fs::write(dir.path().join("inbox/mail/new/2.eml"), format!("{}{LEAF}", headers(99))).unwrap();
        let (counts, panics) = ingest_accounts(dir.path(), &c)?;
        prop_assert_eq!(counts.read, 3, "{:?}", counts);
        prop_assert!(counts.new >= 1, "{:?}", counts);
        CORPUS.add_with_panics(3, panics);
    }

    /// Station results: every line is either read or rejected with its
    /// file and line; a file without the header is rejected whole.
    #[test]
    fn station_results_lines_are_each_accounted_for(
        lines in proptest::collection::vec(proptest::collection::vec(
            prop_oneof![
                Just("A-000001".to_string()), Just("A-999999999999".to_string()), Just("../A-1".to_string()),
                Just("PRINTED".to_string()), Just("spoiled".to_string()), Just("FAILED".to_string()),
                Just("SN-0001".to_string()), cell(),
            ], 0..7), 0..10),
        header: bool,
        edits in proptest::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 0..4),
    ) {
        let mut w = csv::WriterBuilder::new().flexible(true).from_writer(Vec::new());
        if header {
            w.write_record(RESULTS_CSV_HEADER).unwrap();
        }
        for l in &lines {
            w.write_record(l).unwrap();
        }
        let bytes = w.into_inner().unwrap();
        let (ok, rejected) = parse_results("results/B-1.csv", &bytes);
        let records = lines.len();
        if header {
            prop_assert_eq!(ok.len() + rejected.len(), records, "{:?} {:?}", ok, rejected);
        } else {
            prop_assert!(ok.is_empty());
            prop_assert_eq!(rejected.len(), 1);
        }
        let sources: BTreeSet<&str> = rejected.iter().map(|r| r.source.as_str()).collect();
        prop_assert!(sources.iter().all(|s| s.starts_with("results/B-1.csv:")));
        // Random edits never panic, and what is rejected names its file.
        let (_, rejected) = parse_results("results/B-1.csv", &mutate(&bytes, &edits));
        prop_assert!(rejected.iter().all(|r| r.source.starts_with("results/B-1.csv:")));
        RESULTS.add(1 + records as u64);
    }
}
