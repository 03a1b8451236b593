//! Unit tests of the intake parsers and of whole runs on a temp office.

use std::path::Path;

use chrono::{NaiveDate, TimeZone};
use proptest::prelude::*;

use super::documents::{extension, kind_by_name};
use super::*;
use crate::adapters::maildir::{self, Maildir};
use crate::config::profiles;
use crate::domain::service::Service;
use crate::fuzz::mutate;

fn config(dir: &Path) -> Config {
    Config::from_toml(profiles::text("bantul").unwrap(), &dir.join("sigap.toml")).unwrap()
}

/// The office's Maildir, as `sigap ingest` opens it.
fn mailbox(c: &Config) -> Maildir {
    Maildir::new(&c.inbox_dir(), maildir::FOLDER)
}

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 3, 0, 0).unwrap()
}

fn wib() -> FixedOffset {
    FixedOffset::east_opt(7 * 3600).unwrap()
}

fn options() -> Options {
    Options {
        dry_run: false,
        settle: Duration::ZERO,
        max_document_bytes: 1024 * 1024,
    }
}

/// Every item a parser hands out for `bytes` read as `rel`.
fn items(rel: &str, bytes: &[u8], config: &Config) -> Vec<Item> {
    let ctx = Ctx {
        config,
        office: wib(),
        at: at(),
        inbox: config.inbox_dir(),
    };
    let mut out = Vec::new();
    let mut sink = |i: Item| {
        out.push(i);
        Ok(())
    };
    match rel.split('/').next() {
        Some("forms") => forms::read(rel, bytes, &ctx, &mut sink).unwrap(),
        Some("app") => app::read(rel, bytes, &ctx, &mut sink).unwrap(),
        _ => mail::read(rel, bytes, &ctx, &mut sink).unwrap(),
    }
    out
}

fn application(item: &Item) -> &NewApplication {
    match &item.body {
        Body::Application { app, .. } => app,
        Body::Quarantine { reason, detail, .. } => panic!("quarantined {reason}: {detail}"),
    }
}

fn reason(item: &Item) -> QuarantineReason {
    match &item.body {
        Body::Quarantine { reason, .. } => *reason,
        Body::Application { .. } => panic!("{} was taken as an application", item.source),
    }
}

const HEADER: &str = "\"Timestamp\",\"Email Address\",\"NIK\",\"Nomor KK\",\"Nama Lengkap\",\"Tanggal Lahir\",\"Jenis Permohonan\",\"Kecamatan Pengambilan\",\"Nomor HP\",\"Foto Kartu Keluarga\"";

#[test]
fn google_timestamps_are_read_in_their_offset_or_the_office_timezone() {
    let want = wib().with_ymd_and_hms(2026, 11, 21, 8, 15, 3).unwrap();
    assert_eq!(
        fields::timestamp("2026/11/21 8:15:03 AM GMT+7", wib()),
        Some(want)
    );
    assert_eq!(fields::timestamp("21/11/2026 08:15:03", wib()), Some(want));
    // The offset written wins over the office's.
    let ist = fields::timestamp("2026/11/21 8:15:03 AM GMT+5:30", wib()).unwrap();
    assert_eq!(ist.offset().local_minus_utc(), 5 * 3600 + 1800);
    let utc = fields::timestamp("2026/11/21 1:15:03 AM GMT", wib()).unwrap();
    assert_eq!(utc, want);
    assert_eq!(
        fields::timestamp("2026/11/21 8:15:03 PM GMT+7", wib()),
        Some(want + chrono::Duration::hours(12))
    );
    assert_eq!(fields::timestamp("kemarin sore", wib()), None);
    assert_eq!(
        fields::timestamp("2026/11/21 8:15:03 AM GMT+99", wib()),
        None
    );
}

#[test]
fn dates_labels_and_kecamatan_are_read_as_people_write_them() {
    let d = NaiveDate::from_ymd_opt(1990, 8, 17);
    for s in [
        "17/08/1990",
        "17-08-1990",
        "1990-08-17",
        "17.08.1990",
        "17 Agustus 1990",
        "Bantul, 17-08-1990",
    ] {
        assert_eq!(fields::date(s), d, "{s}");
    }
    assert_eq!(fields::date("17/13/1990"), None);
    use fields::Label;
    for (k, l) in [
        ("  nik ", Label::Nik),
        ("NAMA   LENGKAP", Label::Name),
        ("Tgl. Lahir", Label::BirthDate),
        ("tanggal lahir", Label::BirthDate),
        ("No. KK", Label::Kk),
        ("Nomor KK", Label::Kk),
        ("LAYANAN", Label::Service),
        ("Jenis  Permohonan*", Label::Service),
        ("kecamatan", Label::Kecamatan),
    ] {
        assert_eq!(fields::label(k), Some(l), "{k}");
    }
    assert_eq!(fields::label("Alamat"), None);
    let body = "Dengan hormat,\n> NIK : 3402 1517 0890 0001\n- nama lengkap: Budi\nNama: second wins not\n";
    let got = fields::labelled(body);
    assert_eq!(got[0], (Label::Nik, "3402 1517 0890 0001".to_string()));
    assert_eq!(got[1], (Label::Name, "Budi".to_string()));
    assert_eq!(got.len(), 2);

    let dir = tempfile::tempdir().unwrap();
    let c = config(dir.path());
    assert_eq!(fields::kecamatan("Sewon", &c).as_deref(), Some("34.02.15"));
    assert_eq!(
        fields::kecamatan("kec. SEWON", &c).as_deref(),
        Some("34.02.15")
    );
    assert_eq!(
        fields::kecamatan("Kecamatan  Sewon", &c).as_deref(),
        Some("34.02.15")
    );
    // Not a pickup office: kept as typed for a person to read.
    assert_eq!(fields::kecamatan("Depok", &c).as_deref(), Some("Depok"));
    assert_eq!(fields::kecamatan(" ", &c), None);
}

#[test]
fn niks_are_cleaned_kept_or_refused() {
    assert_eq!(
        fields::nik("'3402.1517.0890.0001").unwrap(),
        "3402151708900001"
    );
    // Malformed but present: verification rejects it with the exact rule.
    assert_eq!(fields::nik("34021517089").unwrap(), "34021517089");
    assert_eq!(fields::nik("  ").unwrap_err().0, QuarantineReason::EmptyNik);
    assert_eq!(
        fields::nik("3.40215E+15").unwrap_err().0,
        QuarantineReason::ScientificNik
    );
    assert_eq!(crate::text::windows_1252(b"caf\xe9 \x80"), "café €");
}

#[test]
fn a_form_export_with_bom_crlf_and_quoted_newlines_is_read_row_by_row() {
    let dir = tempfile::tempdir().unwrap();
    let c = config(dir.path());
    let csv = format!(
        "\u{feff}{HEADER}\r\n\"2026/11/21 8:15:03 AM GMT+7\",\"a@example.org\",\"'3402151708900001\",\"3402150512150003\",\"Hj. Siti, S.Pd\",\"17/08/1990\",\"ktp-EL  baru\",\"Sewon\",\"0812\r\n(WA)\",\"https://drive.google.com/open?id=a, https://drive.google.com/open?id=b\"\r\n\"2026/11/21 9:00:00 AM GMT+7\",\"\",\"3402151708900002\",\"\",\"Say \"\"Hi\"\"\",\"\",\"Paspor\",\"Sewon\",\"\",\"\"\r\n"
    );
    let got = items("forms/r.csv", csv.as_bytes(), &c);
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].source, "forms/r.csv:2");
    let a = application(&got[0]);
    assert_eq!(a.nik, "3402151708900001");
    assert_eq!(a.name, "Hj. Siti, S.Pd");
    assert_eq!(a.service, Service::KtpBaru);
    assert_eq!(a.kecamatan.as_deref(), Some("34.02.15"));
    assert_eq!(a.phone.as_deref(), Some("0812\r\n(WA)"));
    assert_eq!(a.birth_date, NaiveDate::from_ymd_opt(1990, 8, 17));
    match &got[0].body {
        Body::Application { documents, .. } => {
            assert_eq!(documents.len(), 1);
            assert_eq!(documents[0].kind.as_deref(), Some("kk"));
        }
        Body::Quarantine { .. } => unreachable!(),
    }
    // The quoted newline pushes the second row to line 4.
    assert_eq!(got[1].source, "forms/r.csv:4");
    assert_eq!(reason(&got[1]), QuarantineReason::UnknownService);
    match &got[1].body {
        Body::Quarantine { raw, .. } => {
            assert!(String::from_utf8_lossy(raw).contains("Paspor"));
        }
        Body::Application { .. } => unreachable!(),
    }

    // The same response in the Sheet's download (day first, no offset) has the same key.
    let sheet = "\"Cap waktu\",\"Email Address\",\"NIK\",\"Nomor KK\",\"Nama Lengkap\",\"Tanggal Lahir\",\"Jenis Permohonan\",\"Kecamatan Pengambilan\",\"Nomor HP\",\"Foto Kartu Keluarga\"\n\"21/11/2026 08:15:03\",\"a@example.org\",\"'3402151708900001\",\"\",\"x\",\"\",\"ktp-EL  baru\",\"\",\"\",\"\"\n";
    let again = items("forms/s.csv", sheet.as_bytes(), &c);
    assert_eq!(again[0].key, got[0].key);
}

#[test]
fn a_form_export_without_the_needed_columns_is_quarantined_whole() {
    let dir = tempfile::tempdir().unwrap();
    let c = config(dir.path());
    let got = items("forms/x.csv", b"\"When\",\"Who\"\n\"1\",\"2\"\n", &c);
    assert_eq!(got.len(), 1);
    assert_eq!(reason(&got[0]), QuarantineReason::MissingColumns);
    match &got[0].body {
        Body::Quarantine {
            detail, file_ext, ..
        } => {
            assert!(detail.contains("forms.nik"), "{detail}");
            assert_eq!(*file_ext, Some("csv"));
        }
        Body::Application { .. } => unreachable!(),
    }
}

#[test]
fn app_records_name_their_documents_only_inside_the_export_folder() {
    let dir = tempfile::tempdir().unwrap();
    let c = config(dir.path());
    std::fs::create_dir_all(dir.path().join("inbox/app/files/X1")).unwrap();
    std::fs::write(dir.path().join("inbox/app/files/X1/kk.pdf"), b"%PDF-1.4 kk").unwrap();
    std::fs::write(dir.path().join("secret.pdf"), b"%PDF-1.4 secret").unwrap();
    let ndjson = concat!(
        r#"{"id":"X1","submitted_at":"2026-11-17T08:39:41+07:00","nik":"3402151708900001","name":"SRI","service":"ktp_baru","kecamatan":"Bantul","documents":[{"kind":"kk","file":"files/X1/kk.pdf"},{"kind":"kk","file":"../../secret.pdf"},{"kind":"kk","file":"/etc/passwd"}]}"#,
        "\n\nnot json\n",
        r#"{"id":"X2","submitted_at":"yesterday","nik":"3402151708900001","name":"SRI","service":"ktp_baru"}"#,
        "\n"
    );
    let got = items("app/e.ndjson", ndjson.as_bytes(), &c);
    assert_eq!(got.len(), 3);
    assert_eq!(got[0].key, "app|X1");
    assert_eq!(got[0].source, "app/e.ndjson#X1");
    assert_eq!(application(&got[0]).kecamatan.as_deref(), Some("34.02.08"));
    match &got[0].body {
        Body::Application { documents, .. } => {
            assert!(matches!(documents[0].content, Content::Bytes(ref b) if b == b"%PDF-1.4 kk"));
            assert!(matches!(documents[1].content, Content::Missing(_)));
            assert!(matches!(documents[2].content, Content::Missing(_)));
        }
        Body::Quarantine { .. } => unreachable!(),
    }
    assert_eq!(got[1].source, "app/e.ndjson:3");
    assert_eq!(reason(&got[1]), QuarantineReason::Unreadable);
    assert_eq!(reason(&got[2]), QuarantineReason::BadTimestamp);
}

#[test]
fn mail_bodies_with_odd_labels_are_applications_and_questions_are_not() {
    let dir = tempfile::tempdir().unwrap();
    let c = config(dir.path());
    let mail = "From: \"Budi\" <budi@example.org>\r\nTo: dinas@example.org\r\nSubject: Permohonan\r\nDate: Fri, 20 Nov 2026 09:10:00 +0700\r\nMessage-ID: <a1@example.org>\r\nContent-Type: text/plain; charset=ISO-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nnik :  3402151708900001\r\nNAMA  LENGKAP: Budi =B7 Santoso\r\ntgl. lahir: 17-08-1990\r\nno. kk: 3402150512150003\r\nlayanan : ktp hilang\r\nKecamatan: Sewon\r\n";
    let got = items("mail/new/1", mail.as_bytes(), &c);
    let a = application(&got[0]);
    assert_eq!(got[0].key, "mail|<a1@example.org>");
    assert_eq!(a.name, "Budi · Santoso");
    assert_eq!(a.service, Service::KtpHilang);
    assert_eq!(a.kk_number.as_deref(), Some("3402150512150003"));
    assert_eq!(a.email.as_deref(), Some("budi@example.org"));
    assert_eq!(
        a.submitted_at,
        wib().with_ymd_and_hms(2026, 11, 20, 9, 10, 0).unwrap()
    );
    let question =
        "From: x@example.org\r\nSubject: Tanya\r\nMessage-ID: <q@x>\r\n\r\nApa syarat KK baru?\r\n";
    assert_eq!(
        reason(&items("mail/new/2", question.as_bytes(), &c)[0]),
        QuarantineReason::NotAnApplication
    );
}

#[test]
fn a_reply_quoting_a_forward_header_below_the_application_stays_the_senders() {
    let dir = tempfile::tempdir().unwrap();
    let c = config(dir.path());
    // The applicant answers an office mail from Outlook: the application
    // is above the quoted header, so it is the sender's own.
    let reply = "From: Budi <budi@example.org>\r\nSubject: RE: Kabar\r\nMessage-ID: <r1@example.org>\r\n\r\nNIK: 3402151708900001\r\nNama: Budi Santoso\r\nJenis Permohonan: KTP-el Hilang\r\n\r\n________________________________\r\nFrom: Disdukcapil <noreply@bantulkab.go.id>\r\nSent: Thursday, November 19, 2026 8:10 AM\r\nTo: budi@example.org\r\nSubject: Kabar\r\n\r\nEmail: disdukcapil@bantulkab.go.id\r\n";
    let got = items("mail/new/r1", reply.as_bytes(), &c);
    assert_eq!(
        application(&got[0]).email.as_deref(),
        Some("budi@example.org")
    );
    match &got[0].body {
        Body::Application { forwarded_by, .. } => assert_eq!(forwarded_by, &None),
        Body::Quarantine { .. } => unreachable!(),
    }
    // Forwarded inline, the application is below the header: its writer's.
    let forward = "From: Kecamatan <kec@bantulkab.go.id>\r\nSubject: Fwd\r\nMessage-ID: <f1@example.org>\r\n\r\nDiteruskan.\r\nEmail: kec@bantulkab.go.id\r\n\r\n---------- Forwarded message ---------\r\nFrom: Budi <budi@example.org>\r\nDate: Thu, 19 Nov 2026\r\n\r\nNIK: 3402151708900001\r\nNama: Budi Santoso\r\nJenis Permohonan: KTP-el Hilang\r\n";
    let got = items("mail/new/f1", forward.as_bytes(), &c);
    assert_eq!(
        application(&got[0]).email.as_deref(),
        Some("budi@example.org")
    );
    match &got[0].body {
        Body::Application { forwarded_by, .. } => {
            assert_eq!(forwarded_by.as_deref(), Some("kec@bantulkab.go.id"))
        }
        Body::Quarantine { .. } => unreachable!(),
    }
}

#[test]
fn documents_are_judged_by_size_type_and_name() {
    let dir = tempfile::tempdir().unwrap();
    let c = config(dir.path());
    let docs = &c.documents;
    assert_eq!(
        kind_by_name("scan_kk_budi.pdf", docs).as_deref(),
        Some("kk")
    );
    assert_eq!(
        kind_by_name("foto_kk_lama.jpg", docs).as_deref(),
        Some("kk_lama")
    );
    assert_eq!(
        kind_by_name("sk_hilang_polres.pdf", docs).as_deref(),
        Some("surat_kehilangan")
    );
    assert_eq!(kind_by_name("foto.jpg", docs), None);
    assert_eq!(extension("a.PDF").as_deref(), Some("pdf"));
    assert_eq!(extension("../../etc/passwd"), None);
    assert_eq!(extension("x.p/df"), None);
    let judge = |name: &str, bytes: &[u8]| documents::judge(None, name, bytes, docs, 100);
    assert!(
        matches!(judge("kk.pdf", b"%PDF-1.4"), Verdict::Store { ref kind, ref ext } if kind == "kk" && ext == "pdf")
    );
    let q = |v: Verdict| match v {
        Verdict::Quarantine { reason, .. } => reason,
        Verdict::Store { .. } => panic!("stored"),
    };
    assert_eq!(q(judge("kk.pdf", &[b'%'; 101])), QuarantineReason::TooLarge);
    assert_eq!(
        q(judge("kk.docx", b"PK\x03\x04rest")),
        QuarantineReason::ForbiddenType
    );
    assert_eq!(
        q(judge("kk.pdf", b"MZ\x90\x00")),
        QuarantineReason::ForbiddenType
    );
    assert_eq!(
        q(judge("kk.exe", b"hello")),
        QuarantineReason::ForbiddenType
    );
    // No keyword: kept for a person to classify, never thrown away.
    assert!(
        matches!(judge("IMG_2041.JPG", b"\xff\xd8\xff\xe0"), Verdict::Store { ref kind, ref ext } if kind == "unclassified" && ext == "jpg")
    );
    assert!(
        matches!(judge("winmail.dat", b"\x78\x9f\x3e\x22rest"), Verdict::Store { ref kind, ref ext } if kind == "unclassified" && ext == "dat")
    );
}

#[test]
fn options_come_from_the_environment() {
    let o = Options::from_env(true, |_| None).unwrap();
    assert_eq!(o.settle, Duration::from_millis(1000));
    assert_eq!(o.max_document_bytes, 10 * 1024 * 1024);
    let o = Options::from_env(false, |k| (k == env::SETTLE_MS).then(|| "5".into())).unwrap();
    assert_eq!(o.settle, Duration::from_millis(5));
    let e = Options::from_env(false, |k| {
        (k == env::MAX_DOCUMENT_BYTES).then(|| "ten".into())
    });
    assert!(
        e.unwrap_err()
            .to_string()
            .contains("SIGAP_MAX_DOCUMENT_BYTES")
    );
}

/// A temp office with an empty inbox.
fn office() -> (tempfile::TempDir, Config) {
    let dir = tempfile::tempdir().unwrap();
    for d in ["inbox/forms", "inbox/app", "inbox/mail/new", "data"] {
        std::fs::create_dir_all(dir.path().join(d)).unwrap();
    }
    let c = config(dir.path());
    (dir, c)
}

#[test]
fn a_resubmission_continues_the_incomplete_application() {
    let (dir, c) = office();
    let mut store = Store::open_in_memory().unwrap();
    let first = r#"{"id":"A1","submitted_at":"2026-11-17T08:00:00+07:00","nik":"3402151708900001","name":"SRI","service":"ktp_hilang","documents":[]}"#;
    std::fs::write(dir.path().join("inbox/app/one.ndjson"), first).unwrap();
    let counts = ingest(&c, &mut store, &mut [&mut mailbox(&c)], &options(), at()).unwrap();
    assert_eq!((counts.read, counts.new), (1, 1));
    let id = store.applications(None).unwrap()[0].id;
    store
        .write(|tx| {
            tx.transition(
                id,
                State::Received,
                State::Incomplete,
                &Change {
                    actor: "sigap:verify",
                    ..Change::default()
                },
                at(),
            )
        })
        .unwrap();
    std::fs::create_dir_all(dir.path().join("inbox/app/files")).unwrap();
    std::fs::write(
        dir.path().join("inbox/app/files/sk.pdf"),
        b"%PDF-1.4 polisi",
    )
    .unwrap();
    let second = r#"{"id":"A2","submitted_at":"2026-11-19T08:00:00+07:00","nik":"3402.1517.0890.0001","name":"SRI","service":"KTP-el Hilang","documents":[{"kind":"surat_kehilangan","file":"files/sk.pdf"}]}"#;
    std::fs::write(dir.path().join("inbox/app/two.ndjson"), second).unwrap();
    let counts = ingest(&c, &mut store, &mut [&mut mailbox(&c)], &options(), at()).unwrap();
    assert_eq!(
        (
            counts.read,
            counts.new,
            counts.already_known,
            counts.continued
        ),
        (1, 0, 1, 1)
    );
    assert!(counts.adds_up());
    let apps = store.applications(None).unwrap();
    assert_eq!(apps.len(), 1);
    assert_eq!(apps[0].state, State::Received);
    let docs = store.documents(id).unwrap();
    assert_eq!(docs[0].kind, "surat_kehilangan");
    assert!(docs[0].stored_path.starts_with(&format!("documents/{id}/")));
    assert!(store.check_consistency().unwrap().is_empty());
}

/// Ingest as `sigap ingest` runs it: through the job runner, which takes
/// the ingest lock (none for a dry run).
fn ingest_job(
    c: &Config,
    store: &mut Store,
    options: &Options,
) -> Result<Counts, crate::job::JobError<IntakeError>> {
    crate::job::Runner::new(crate::job::Job::Ingest, c.data_dir())
        .dry_run(options.dry_run)
        .run(store, |s| {
            ingest(c, s, &mut [&mut mailbox(c)], options, at()).map(|counts| crate::job::Done {
                outcome: crate::domain::outcome::Outcome::attention_if(counts.needs_attention()),
                counters: counts.counters(),
                summary: counts.line(),
                value: counts,
            })
        })
        .map(|ran| ran.value)
}

/// A parser that panics on a form row, an app record or a message (through
/// the guard's test seam) quarantines that input as UNREADABLE with the
/// panic's message; the next input of the same file, and the other files,
/// are still read, and a second run takes nothing twice.
#[test]
fn a_parser_panic_quarantines_its_input_and_the_next_is_read() {
    let (dir, c) = office();
    let (csv, mail) = valid_inputs();
    let second_row = "\"2026/11/21 9:15:03 AM GMT+7\",\"b@example.org\",\"3402151708900002\",\"\",\"Sari\",\"\",\"KTP-el Baru\",\"\",\"\",\"\"\r\n";
    std::fs::write(
        dir.path().join("inbox/forms/a.csv"),
        format!("{csv}{second_row}"),
    )
    .unwrap();
    let ndjson = concat!(
        r#"{"id":"X1","submitted_at":"2026-11-17T08:39:41+07:00","nik":"3402151708900003","name":"SRI","service":"ktp_baru"}"#,
        "\n",
        r#"{"id":"X2","submitted_at":"2026-11-17T08:40:41+07:00","nik":"3402151708900004","name":"DWI","service":"ktp_baru"}"#,
        "\n"
    );
    std::fs::write(dir.path().join("inbox/app/e.ndjson"), ndjson).unwrap();
    std::fs::write(dir.path().join("inbox/mail/new/m1"), &mail).unwrap();
    let other = mail
        .replace("<m@x>", "<m2@x>")
        .replace("3402151708900001", "3402151708900005");
    std::fs::write(dir.path().join("inbox/mail/new/m2"), other).unwrap();
    let mut store = Store::open_in_memory().unwrap();

    crate::guard::inject_panic(&["forms/a.csv:2", "app/e.ndjson:1", "mail/new/m1"]);
    let counts = ingest(&c, &mut store, &mut [&mut mailbox(&c)], &options(), at());
    crate::guard::inject_panic(&[]);
    let counts = counts.unwrap();
    assert_eq!(
        (counts.read, counts.new, counts.quarantined),
        (6, 3, 3),
        "{counts:?}"
    );
    assert!(counts.adds_up() && counts.needs_attention());
    let q = store.quarantine().unwrap();
    let mut unreadable: Vec<&str> = q
        .iter()
        .filter(|e| e.reason == QuarantineReason::Unreadable)
        .map(|e| e.source.as_str())
        .collect();
    unreadable.sort();
    assert_eq!(
        unreadable,
        ["app/e.ndjson:1", "forms/a.csv:2", "mail/new/m1"]
    );
    for e in &q {
        assert!(e.detail.contains("injected parser panic"), "{}", e.detail);
        assert!(!e.raw.is_empty(), "{} keeps its input", e.source);
    }
    let refs: std::collections::BTreeSet<String> = store
        .applications(None)
        .unwrap()
        .into_iter()
        .map(|a| a.submitted.source_ref)
        .collect();
    assert!(refs.contains("forms/a.csv:3"), "{refs:?}");
    assert!(refs.contains("app/e.ndjson#X2"), "{refs:?}");
    assert!(refs.contains("mail/new/m2"), "{refs:?}");

    let again = ingest(&c, &mut store, &mut [&mut mailbox(&c)], &options(), at()).unwrap();
    assert_eq!((again.new, again.quarantined), (0, 0), "{again:?}");
    assert_eq!(store.quarantine().unwrap().len(), q.len());
}

#[test]
fn a_dry_run_writes_nothing_and_the_lock_keeps_runs_apart() {
    use crate::job::{Job, JobError, JobLock, LockError};
    let (dir, c) = office();
    std::fs::write(
        dir.path().join("inbox/app/one.ndjson"),
        r#"{"id":"A1","submitted_at":"2026-11-17T08:00:00+07:00","nik":"","name":"SRI","service":"ktp_hilang"}"#,
    )
    .unwrap();
    let mut store = Store::open_in_memory().unwrap();
    let dry = Options {
        dry_run: true,
        ..options()
    };
    let counts = ingest_job(&c, &mut store, &dry).unwrap();
    assert_eq!((counts.read, counts.quarantined), (1, 1));
    assert!(store.quarantine().unwrap().is_empty());
    assert_eq!(
        std::fs::read_dir(dir.path().join("data")).unwrap().count(),
        0
    );

    let held = JobLock::acquire(&c.data_dir(), Job::Ingest).unwrap();
    let e = ingest_job(&c, &mut store, &options()).unwrap_err();
    assert!(matches!(e, JobError::Lock(LockError::Held { .. })), "{e}");
    drop(held);
    let counts = ingest_job(&c, &mut store, &options()).unwrap();
    assert_eq!(counts.quarantined, 1);
    // The run let go of the lock when it ended.
    JobLock::acquire(&c.data_dir(), Job::Ingest).unwrap();
}

#[test]
fn counts_print_and_add_up() {
    let c = Counts {
        read: 5,
        new: 3,
        already_known: 1,
        quarantined: 1,
        ..Counts::default()
    };
    assert_eq!(c.line(), "read 5, new 3, already known 1, quarantined 1");
    assert!(c.adds_up());
    assert!(c.needs_attention());
    assert_eq!(c.counters()["already_known"], 1);
}

/// A valid form row and a valid message, for the property tests to mutate.
fn valid_inputs() -> (String, String) {
    let csv = format!(
        "{HEADER}\r\n\"2026/11/21 8:15:03 AM GMT+7\",\"a@example.org\",\"3402151708900001\",\"\",\"Budi\",\"17/08/1990\",\"KTP-el Baru\",\"Sewon\",\"\",\"https://drive.google.com/open?id=a\"\r\n"
    );
    let mail = "From: b@example.org\r\nMessage-ID: <m@x>\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nNIK: 3402151708900001\r\nNama: Budi\r\nJenis Permohonan: KTP-el Baru\r\n--b\r\nContent-Type: application/pdf; name=\"kk.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQ=\r\n--b--\r\n".to_string();
    (csv, mail)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Whatever the csv writer quotes, the reader gives back.
    #[test]
    fn form_cells_round_trip_through_the_csv_writer(name in "\\PC{1,40}", phone in "[0-9 ,\"\n\r]{0,20}") {
        prop_assume!(!name.trim().is_empty());
        let dir = tempfile::tempdir().unwrap();
        let c = config(dir.path());
        let mut w = csv::WriterBuilder::new().quote_style(csv::QuoteStyle::Always).from_writer(Vec::new());
        w.write_record(HEADER.split(',').map(|h| h.trim_matches('"'))).unwrap();
        w.write_record(["2026/11/21 8:15:03 AM GMT+7", "", "3402151708900001", "", name.as_str(), "", "KTP-el Baru", "", phone.as_str(), ""]).unwrap();
        let bytes = w.into_inner().unwrap();
        let got = items("forms/p.csv", &bytes, &c);
        prop_assert_eq!(got.len(), 1);
        let a = application(&got[0]);
        prop_assert_eq!(&a.name, name.trim());
        prop_assert_eq!(a.phone.clone(), fields::opt(&phone));
    }

    /// Random bytes and random edits of valid rows and messages never
    /// panic, and every run's counts add up.
    #[test]
    fn mangled_inputs_never_panic_and_counts_add_up(
        edits in proptest::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 0..12),
        noise in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let (dir, c) = office();
        let (csv, mail) = valid_inputs();
        std::fs::write(dir.path().join("inbox/forms/a.csv"), mutate(csv.as_bytes(), &edits)).unwrap();
        std::fs::write(dir.path().join("inbox/forms/noise.csv"), &noise).unwrap();
        std::fs::write(dir.path().join("inbox/mail/new/m"), mutate(mail.as_bytes(), &edits)).unwrap();
        std::fs::write(dir.path().join("inbox/mail/new/noise"), &noise).unwrap();
        std::fs::write(dir.path().join("inbox/app/noise.json"), &noise).unwrap();
        let mut store = Store::open_in_memory().unwrap();
        let counts = ingest(&c, &mut store, &mut [&mut mailbox(&c)], &options(), at()).unwrap();
        prop_assert!(counts.adds_up(), "{:?}", counts);
        prop_assert!(counts.read >= 3, "{:?}", counts);
        let again = ingest(&c, &mut store, &mut [&mut mailbox(&c)], &options(), at()).unwrap();
        prop_assert_eq!(again.new, 0);
    }
}

#[test]
fn a_lock_left_by_a_dead_process_is_taken_over() {
    use crate::job::{Job, JobLock};
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("locks/ingest.lock");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    // Above the kernel's pid limit: no such process.
    std::fs::write(&file, "999999999\n").unwrap();
    let lock = JobLock::acquire(dir.path(), Job::Ingest).unwrap();
    let pid = std::fs::read_to_string(&file).unwrap();
    assert_eq!(pid.trim(), std::process::id().to_string());
    drop(lock);
    // Dropped, it is free for the next run.
    JobLock::acquire(dir.path(), Job::Ingest).unwrap();
}

#[test]
fn a_form_export_saved_as_windows_1252_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let c = config(dir.path());
    let mut csv = Vec::new();
    csv.extend_from_slice(b"\"Cap waktu\",\"NIK\",\"Nama Lengkap\",\"Jenis Permohonan\"\r\n");
    csv.extend_from_slice(
        b"\"21/11/2026 08:15:03\",\"3402151708900001\",\"Andr\xe9 \x93Ucok\x94\",\"KK Hilang\"\r\n",
    );
    let got = items("forms/w.csv", &csv, &c);
    assert_eq!(application(&got[0]).name, "André “Ucok”");
    assert_eq!(application(&got[0]).service, Service::KkHilang);
}

#[test]
fn quarantine_ids_and_reasons_print_and_parse() {
    use crate::domain::quarantine::printable;
    assert_eq!(QuarantineId(12).to_string(), "Q-000012");
    assert_eq!("Q-000012".parse::<QuarantineId>(), Ok(QuarantineId(12)));
    assert_eq!("12".parse::<QuarantineId>(), Ok(QuarantineId(12)));
    assert!("A-1".parse::<QuarantineId>().is_err());
    for r in QuarantineReason::ALL {
        assert_eq!(r.code().parse::<QuarantineReason>(), Ok(r));
        assert!(!r.sentence().is_empty());
    }
    assert_eq!(printable("kk\0.pdf", 50), "kk\\u{0}.pdf");
    assert!(printable(&"a".repeat(10_000), 20).ends_with("…(10000 chars)"));
}

#[test]
fn an_export_with_unmapped_columns_is_read_again_once_the_config_maps_them() {
    let (dir, mut c) = office();
    std::fs::write(
        dir.path().join("inbox/forms/r.csv"),
        "\"Timestamp\",\"Nomor Induk\",\"Nama Lengkap\",\"Jenis Permohonan\"\n\"21/11/2026 08:15:03\",\"3402151708900001\",\"Budi\",\"KTP-el Baru\"\n",
    )
    .unwrap();
    let mut store = Store::open_in_memory().unwrap();
    let first = ingest(&c, &mut store, &mut [&mut mailbox(&c)], &options(), at()).unwrap();
    assert_eq!((first.read, first.quarantined), (1, 1));
    let q = &store.quarantine().unwrap()[0];
    assert_eq!(q.reason, QuarantineReason::MissingColumns);
    assert!(q.stored_path.as_deref().unwrap().starts_with("quarantine/"));
    assert!(
        c.data_dir()
            .join(q.stored_path.as_deref().unwrap())
            .exists()
    );
    let second = ingest(&c, &mut store, &mut [&mut mailbox(&c)], &options(), at()).unwrap();
    assert_eq!((second.read, second.already_known), (1, 1));
    c.forms.nik.push("Nomor Induk".into());
    let third = ingest(&c, &mut store, &mut [&mut mailbox(&c)], &options(), at()).unwrap();
    assert_eq!((third.read, third.new), (1, 1));
    let fourth = ingest(&c, &mut store, &mut [&mut mailbox(&c)], &options(), at()).unwrap();
    assert_eq!(fourth.read, 0);
}

/// A mailbox in memory, as an IMAP account would hand out its messages:
/// keys and sources that are no inbox paths.
#[derive(Default)]
struct FakeMailbox {
    /// The messages held, each with its bytes and whether it is whole yet.
    held: Vec<(Listed, Vec<u8>, bool)>,
    /// The keys read, in order.
    reads: Vec<String>,
    /// The keys of each `taken` call.
    taken: Vec<Vec<String>>,
    /// Keeps a mark in the store, as a mailbox on a server does.
    marks: bool,
    /// The listing fails (the server is down).
    fail_listing: bool,
    /// The read of this UID fails (the session broke).
    fail_read: Option<u32>,
    /// The marks `resume` was given, in order.
    resumed: Vec<Option<Mark>>,
}

fn uid_of(message: &Listed) -> u32 {
    message.key.rsplit('/').next().unwrap().parse().unwrap()
}

impl FakeMailbox {
    fn hold(&mut self, uid: u32, bytes: &[u8], whole: bool) {
        let listed = Listed {
            key: format!("imap/INBOX/7/{uid}"),
            source: format!("imap://kantor/INBOX;UIDVALIDITY=7/;UID={uid}"),
            size: bytes.len() as u64,
            modified_ns: i64::from(uid),
        };
        self.held.push((listed, bytes.to_vec(), whole));
    }

    fn down(&self, step: &str) -> MailboxError {
        MailboxError::Server {
            mailbox: self.describe(),
            what: format!("the connection was lost during {step}"),
            fix: "run ingest again once the server is back".into(),
        }
    }

    fn entry(&self, message: &Listed) -> &(Listed, Vec<u8>, bool) {
        self.held.iter().find(|(l, ..)| l == message).unwrap()
    }
}

impl Mailbox for FakeMailbox {
    fn messages(&mut self) -> Result<Vec<Listed>, MailboxError> {
        if self.fail_listing {
            return Err(self.down("the listing"));
        }
        let above = self
            .resumed
            .last()
            .copied()
            .flatten()
            .map_or(0, |m| m.last_uid);
        Ok(self
            .held
            .iter()
            .map(|(l, ..)| l.clone())
            .filter(|l| uid_of(l) > above)
            .collect())
    }

    fn unchanged(&mut self, message: &Listed) -> Result<bool, MailboxError> {
        Ok(self.entry(message).2)
    }

    fn read(&mut self, message: &Listed) -> Result<Vec<u8>, MailboxError> {
        if self.fail_read == Some(uid_of(message)) {
            return Err(self.down("the fetch"));
        }
        self.reads.push(message.key.clone());
        Ok(self.entry(message).1.clone())
    }

    fn taken(&mut self, messages: &[Listed]) -> Result<(), MailboxError> {
        self.taken
            .push(messages.iter().map(|m| m.key.clone()).collect());
        Ok(())
    }

    fn describe(&self) -> String {
        "imap://kantor/INBOX".into()
    }

    fn mark_name(&self) -> Option<String> {
        self.marks.then(|| "imap://kantor/INBOX".to_string())
    }

    fn resume(&mut self, mark: Option<Mark>) {
        self.resumed.push(mark);
    }

    fn mark(&self, held: &[Listed]) -> Option<Mark> {
        let start = self
            .resumed
            .last()
            .copied()
            .flatten()
            .map_or(0, |m| m.last_uid);
        let mut last_uid = start;
        for (l, ..) in self.held.iter().filter(|(l, ..)| uid_of(l) > start) {
            if !held.contains(l) {
                break;
            }
            last_uid = uid_of(l);
        }
        Some(Mark {
            uidvalidity: 7,
            last_uid,
        })
    }
}

#[test]
fn mail_is_read_through_the_mailbox_port_under_its_keys_and_sources() {
    let (_dir, c) = office();
    let mut store = Store::open_in_memory().unwrap();
    let (_, application) = valid_inputs();
    let mut mailbox = FakeMailbox::default();
    mailbox.hold(1, application.as_bytes(), true);
    mailbox.hold(2, b"\x00\x01 not a message", true);
    mailbox.hold(3, b"Message-ID: <half@x>\r\n\r\nNIK: 34", false);

    // A dry run reads and counts, and the mailbox is told nothing.
    let dry = Options {
        dry_run: true,
        ..options()
    };
    let counts = ingest(&c, &mut store, &mut [&mut mailbox], &dry, at()).unwrap();
    assert_eq!((counts.read, counts.new, counts.quarantined), (2, 1, 1));
    assert!(mailbox.taken.is_empty());
    mailbox.reads.clear();

    let counts = ingest(&c, &mut store, &mut [&mut mailbox], &options(), at()).unwrap();
    assert_eq!(
        (
            counts.read,
            counts.new,
            counts.quarantined,
            counts.files_read,
            counts.files_waiting
        ),
        (2, 1, 1, 2, 1)
    );
    assert!(counts.adds_up());
    assert_eq!(mailbox.reads, ["imap/INBOX/7/1", "imap/INBOX/7/2"]);
    assert_eq!(mailbox.taken, [["imap/INBOX/7/1", "imap/INBOX/7/2"]]);
    let apps = store.applications(None).unwrap();
    assert_eq!(apps.len(), 1);
    assert_eq!(apps[0].submitted.source, Source::Mail);
    assert_eq!(
        apps[0].submitted.source_ref,
        "imap://kantor/INBOX;UIDVALIDITY=7/;UID=1"
    );
    let q = store.quarantine().unwrap();
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].channel, Source::Mail);
    assert_eq!(q[0].source, "imap://kantor/INBOX;UIDVALIDITY=7/;UID=2");
    assert!(
        q[0].detail
            .starts_with("imap://kantor/INBOX;UIDVALIDITY=7/;UID=2: "),
        "{}",
        q[0].detail
    );

    // Listed again, the two read are known to the ledger by key and are not
    // read again; the third is whole now and is read.
    mailbox.reads.clear();
    mailbox.held[2].2 = true;
    let counts = ingest(&c, &mut store, &mut [&mut mailbox], &options(), at()).unwrap();
    assert_eq!((counts.files_read, counts.files_waiting), (1, 0));
    assert_eq!(mailbox.reads, ["imap/INBOX/7/3"]);
    assert_eq!(
        mailbox.taken[1],
        ["imap/INBOX/7/1", "imap/INBOX/7/2", "imap/INBOX/7/3"]
    );
    let known = store
        .applied_file(
            FileChannel::Intake,
            FileKey::Unchanged {
                name: "imap/INBOX/7/3",
                size: mailbox.held[2].0.size,
                mtime_ns: 3,
            },
        )
        .unwrap();
    assert!(known.is_some());
    assert!(store.check_consistency().unwrap().is_empty());
}

#[test]
fn a_mailbox_that_fails_stops_only_its_part_and_its_mark_moves_with_the_ledger() {
    let (dir, c) = office();
    let mut store = Store::open_in_memory().unwrap();
    let (csv, _) = valid_inputs();
    std::fs::write(dir.path().join("inbox/forms/f.csv"), &csv).unwrap();
    let mut server = FakeMailbox {
        marks: true,
        fail_read: Some(2),
        ..FakeMailbox::default()
    };
    for uid in 1..=3 {
        let question = format!("Message-ID: <q{uid}@x>\r\n\r\nhalo, bagaimana caranya?\r\n");
        server.hold(uid, question.as_bytes(), true);
    }
    let name = "imap://kantor/INBOX";

    // The read of UID 2 fails: the form row and UID 1 are in, the run failed.
    let counts = ingest(&c, &mut store, &mut [&mut server], &options(), at()).unwrap();
    assert_eq!((counts.read, counts.new, counts.quarantined), (2, 1, 1));
    assert!(counts.adds_up());
    assert_eq!(
        counts.mailbox_errors,
        [
            "mailbox imap://kantor/INBOX: the connection was lost during the fetch; run ingest again once the server is back"
        ]
    );
    assert_eq!(counts.outcome(), Outcome::Failed);
    assert!(counts.summary().ends_with("; the mail part failed: mailbox imap://kantor/INBOX: the connection was lost during the fetch; run ingest again once the server is back"));
    assert_eq!(counts.counters()["mailboxes_failed"], 1);
    assert_eq!(server.resumed, [None]);
    let one = MailboxState {
        uidvalidity: 7,
        last_uid: 1,
    };
    assert_eq!(store.mailbox_state(name).unwrap(), Some(one));
    assert_eq!(server.taken, [["imap/INBOX/7/1"]]);

    // The server is down: nothing read, nothing changed, the mark stays.
    server.fail_read = None;
    server.fail_listing = true;
    let counts = ingest(&c, &mut store, &mut [&mut server], &options(), at()).unwrap();
    assert_eq!((counts.read, counts.mailbox_errors.len()), (0, 1));
    assert_eq!(
        server.resumed.last(),
        Some(&Some(Mark {
            uidvalidity: 7,
            last_uid: 1
        }))
    );
    assert_eq!(store.mailbox_state(name).unwrap(), Some(one));

    // Back: only what is above the mark is listed and read, once.
    server.fail_listing = false;
    server.reads.clear();
    let counts = ingest(&c, &mut store, &mut [&mut server], &options(), at()).unwrap();
    assert_eq!(
        (counts.read, counts.quarantined, counts.mailbox_errors.len()),
        (2, 2, 0)
    );
    assert_eq!(counts.outcome(), Outcome::Attention);
    assert_eq!(server.reads, ["imap/INBOX/7/2", "imap/INBOX/7/3"]);
    assert_eq!(
        store.mailbox_state(name).unwrap(),
        Some(MailboxState {
            uidvalidity: 7,
            last_uid: 3
        })
    );
    assert_eq!(store.quarantine().unwrap().len(), 3);

    // A dry run stores no mark.
    server.hold(4, b"Message-ID: <q4@x>\r\n\r\nhalo\r\n", true);
    let dry = Options {
        dry_run: true,
        ..options()
    };
    let counts = ingest(&c, &mut store, &mut [&mut server], &dry, at()).unwrap();
    assert_eq!(counts.read, 1);
    assert_eq!(store.mailbox_state(name).unwrap().unwrap().last_uid, 3);
}
