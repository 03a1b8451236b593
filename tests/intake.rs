//! Intake: `sigap ingest` on the committed sample office and on emails
//! written by Python's `email` package, `sigap quarantine list | show`,
//! half-written files, dry runs, the lock, and hostile attachment names.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use serde_json::Value;

use crate::support::{Run, copy_office, repo_root, run, sigap, tree};

/// `sigap --config CFG ARGS…` with intake settings (no settle wait unless given).
fn ingest_env(cfg: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut c = sigap();
    c.env("SIGAP_INGEST_SETTLE_MS", "0");
    for (k, v) in env {
        c.env(k, v);
    }
    c.arg("--config").arg(cfg).args(args);
    c.output().expect("sigap runs").into()
}

/// A scratch copy of the committed sample office.
fn sample_office(tmp: &Path) -> PathBuf {
    let dir = tmp.join("office");
    copy_office(&repo_root().join("sample-data"), &dir);
    dir.join("sigap.toml")
}

fn manifest() -> Value {
    let text = std::fs::read_to_string(repo_root().join("sample-data/manifest.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The application recorded from a planted one of the manifest (found by
/// any of its sources), and those sources.
fn application_of<'a>(apps: &'a [Value], planted: &'a Value) -> (&'a Value, Vec<&'a str>) {
    let sources: Vec<&str> = planted["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    let app = apps
        .iter()
        .find(|a| sources.contains(&a["source_ref"].as_str().unwrap()))
        .unwrap_or_else(|| panic!("no application from {sources:?}"));
    (app, sources)
}

fn json(run: Run) -> Value {
    serde_json::from_str(&run.expect_code(0).stdout).unwrap()
}

/// Every file and folder under `dir` has the private mode.
fn assert_private(dir: &Path) {
    for entry in walk(dir) {
        let meta = std::fs::metadata(&entry).unwrap();
        let mode = meta.permissions().mode() & 0o777;
        let want = if meta.is_dir() { 0o700 } else { 0o600 };
        assert_eq!(mode, want, "{}", entry.display());
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        }
        out.push(p);
    }
    out
}

#[test]
fn the_sample_office_ingests_to_the_manifest_counts_and_a_rerun_adds_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = sample_office(tmp.path());
    let office = cfg.parent().unwrap();
    let inbox_before = tree(&office.join("inbox"));
    let m = manifest();
    let want = &m["expected"]["ingest"];

    let out = ingest_env(&cfg, &["ingest"], &[]).expect_code(1);
    let line = format!(
        "read {}, new {}, already known {}, quarantined {}",
        want["read"], want["new"], want["already_known"], want["quarantined"]
    );
    assert!(out.stdout.contains(&line), "{}\nwant {line}", out.stdout);
    assert!(
        out.stdout.contains("documents quarantined 1"),
        "{}",
        out.stdout
    );

    // Every planted application is RECEIVED, from the first place it appeared.
    let apps = json(run(Some(&cfg), &["applications", "list", "--json"]));
    let apps = apps.as_array().unwrap();
    assert_eq!(apps.len() as u64, want["new"].as_u64().unwrap());
    let store = pipeline::store::Store::open(&office.join("data/sigap.db")).unwrap();
    for planted in m["applications"].as_array().unwrap() {
        let (app, sources) = application_of(apps, planted);
        assert_eq!(app["state"], "RECEIVED");
        assert_eq!(app["service"], planted["service"], "{sources:?}");
        assert_eq!(app["kecamatan"], planted["kecamatan"], "{sources:?}");
        assert_eq!(app["submitted_at"], planted["submitted_at"], "{sources:?}");
        // Every planted document (form upload, app file, mail attachment) is on file.
        let id = app["id"].as_str().unwrap().parse().unwrap();
        let kinds: BTreeSet<String> = store
            .documents(id)
            .unwrap()
            .into_iter()
            .map(|d| d.kind)
            .collect();
        let want: BTreeSet<String> = planted["documents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k.as_str().unwrap().to_string())
            .collect();
        assert_eq!(kinds, want, "{sources:?}");
    }

    // Quarantine holds exactly what was planted, with the right reasons.
    let q = json(run(Some(&cfg), &["quarantine", "list", "--json"]));
    let got: BTreeSet<(String, String)> = q
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["source"].as_str().unwrap().to_string(),
                e["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let reason_of = |planted: &str| match planted {
        "unknown_service" => "UNKNOWN_SERVICE",
        "scientific_nik" => "SCIENTIFIC_NIK",
        "empty_nik" => "EMPTY_NIK",
        "non_application_email" => "NOT_AN_APPLICATION",
        other => panic!("unexpected plant {other}"),
    };
    let mut expected: BTreeSet<(String, String)> = m["quarantine"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["source"].as_str().unwrap().to_string(),
                reason_of(e["planted"].as_str().unwrap()).to_string(),
            )
        })
        .collect();
    for a in m["quarantined_attachments"].as_array().unwrap() {
        expected.insert((
            a["source"].as_str().unwrap().to_string(),
            "FORBIDDEN_TYPE".into(),
        ));
    }
    assert_eq!(got, expected);
    for planted in m["quarantine"].as_array().unwrap() {
        if let Some(id) = planted.get("message_id") {
            let entry = q
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["source"] == planted["source"])
                .unwrap();
            assert_eq!(&entry["message_id"], id);
        }
    }
    assert_eq!(
        expected.len() as u64,
        want["quarantined"].as_u64().unwrap()
            + m["expected"]["attachments_quarantined"].as_u64().unwrap()
    );

    // The job history has the run; the inbox was not touched; data/ is private.
    let status = json(run(Some(&cfg), &["status", "--json"]));
    let ingest_run = status["last_runs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["job"] == "ingest")
        .unwrap()
        .clone();
    assert_eq!(ingest_run["outcome"], "attention");
    assert_eq!(ingest_run["counters"]["read"], want["read"]);
    assert_eq!(tree(&office.join("inbox")), inbox_before);
    assert_private(&office.join("data"));

    let again = ingest_env(&cfg, &["ingest"], &[]).expect_code(0);
    assert!(
        again
            .stdout
            .contains("read 0, new 0, already known 0, quarantined 0"),
        "{}",
        again.stdout
    );
    let apps_after = json(run(Some(&cfg), &["applications", "list", "--json"]));
    assert_eq!(apps_after.as_array().unwrap().len(), apps.len());
}

#[test]
fn a_dry_run_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = sample_office(tmp.path());
    let before = tree(tmp.path());
    let out = ingest_env(&cfg, &["ingest", "--dry-run"], &[]).expect_code(1);
    assert!(
        out.stdout
            .contains("read 245, new 200, already known 39, quarantined 6"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("nothing was written"), "{}", out.stdout);
    assert_eq!(tree(tmp.path()), before);
    assert!(!cfg.parent().unwrap().join("data").exists());
}

#[test]
fn quarantine_show_gives_source_reason_sentence_and_content() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = sample_office(tmp.path());
    ingest_env(&cfg, &["ingest"], &[]).expect_code(1);
    let list = json(run(Some(&cfg), &["quarantine", "list", "--json"]));
    let find = |reason: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|e| e["reason"] == reason)
            .unwrap()
            .clone()
    };
    let empty = find("EMPTY_NIK");
    let show = run(
        Some(&cfg),
        &["quarantine", "show", empty["id"].as_str().unwrap()],
    )
    .expect_code(0);
    assert!(
        show.stdout.contains("forms/responses-2026-11-20.csv:73"),
        "{}",
        show.stdout
    );
    assert!(show.stdout.contains("EMPTY_NIK"), "{}", show.stdout);
    assert!(show.stdout.contains("NIK tidak diisi"), "{}", show.stdout);
    // The row itself is kept whole.
    assert!(show.stdout.contains("Content:"), "{}", show.stdout);
    assert!(show.stdout.contains("@example."), "{}", show.stdout);

    let question = find("NOT_AN_APPLICATION");
    let show = run(
        Some(&cfg),
        &["quarantine", "show", question["id"].as_str().unwrap()],
    )
    .expect_code(0);
    assert!(show.stdout.contains("message-id  <"), "{}", show.stdout);
    assert!(show.stdout.contains("Tanya syarat"), "{}", show.stdout);

    let exe = find("FORBIDDEN_TYPE");
    let show = run(
        Some(&cfg),
        &["quarantine", "show", exe["id"].as_str().unwrap()],
    )
    .expect_code(0);
    assert!(show.stdout.contains("scan_dokumen.exe"), "{}", show.stdout);
    let kept = cfg
        .parent()
        .unwrap()
        .join("data")
        .join(exe["stored_path"].as_str().unwrap());
    assert!(std::fs::read(kept).unwrap().starts_with(b"MZ"));

    let missing = run(Some(&cfg), &["quarantine", "show", "Q-999999"]).expect_code(3);
    assert!(
        missing.stderr.contains("no quarantine entry Q-999999"),
        "{}",
        missing.stderr
    );
}

/// A fresh Bantul office.
fn new_office(tmp: &Path) -> PathBuf {
    let dir = tmp.join("office");
    run(
        None,
        &["init", dir.to_str().unwrap(), "--profile", "bantul"],
    )
    .expect_code(0);
    dir.join("sigap.toml")
}

/// The mails Python's `email` package writes (tests/mailgen.py).
fn python_mails(into: &Path) {
    let out = std::process::Command::new("python3")
        .arg(repo_root().join("tests/mailgen.py"))
        .arg(into)
        .output()
        .expect("python3 runs (scripts/test installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The forwards Python's `email` package writes (`tests/mailgen.py
/// OUT forwards`), as the mail clients write them.
fn python_forwards(into: &Path) {
    let out = std::process::Command::new("python3")
        .arg(repo_root().join("tests/mailgen.py"))
        .arg(into)
        .arg("forwards")
        .output()
        .expect("python3 runs (scripts/test installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_forwarded_application_answers_the_applicant_and_names_the_forwarder() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = new_office(tmp.path());
    let office = cfg.parent().unwrap().to_path_buf();
    python_forwards(&office.join("inbox/mail"));
    let out = ingest_env(&cfg, &["ingest"], &[]);
    assert!(
        out.stdout.contains("read 10, new 10"),
        "{}\n{}",
        out.stdout,
        out.stderr
    );
    // No address of anyone in the logs.
    assert!(!out.stderr.contains('@'), "{}", out.stderr);
    let apps = json(run(Some(&cfg), &["applications", "list", "--json"]));
    let by_source = |file: &str| from_mail(&apps, file);
    let kecamatan = "kec.sewon@bantulkab.go.id";
    for (file, applicant) in [
        ("21-gmail", Some("rudi.hartono@example.org")),
        ("22-gmail-id", Some("sri.wahyuni@example.org")),
        ("23-outlook", Some("bambang.s@example.org")),
        ("24-outlook-id", Some("wati.rahayu@example.org")),
        ("25-thunderbird", Some("dian.puspita@example.org")),
        ("26-iphone", Some("eko.prasetyo@example.org")),
        ("27-iphone-id", Some("tini.suharti@example.org")),
        // The Email: line of the forwarded text wins; the kecamatan's own
        // signature above it does not count.
        ("28-gmail-email-line", Some("joko.rumah@example.org")),
        ("29-attached", Some("ani.lestari@example.org")),
        ("31-plain", None),
    ] {
        let app = by_source(file);
        let id = app["id"].as_str().unwrap().to_string();
        let show = json(run(Some(&cfg), &["applications", "show", &id, "--json"]));
        let received = show["events"][0]["detail"]
            .as_str()
            .unwrap_or("")
            .to_string();
        match applicant {
            Some(applicant) => {
                assert_eq!(app["email"], applicant, "{file}");
                assert_eq!(received, format!("forwarded by {kecamatan}"), "{file}");
            }
            // A plain mail is unchanged: its sender is the applicant.
            None => {
                assert_eq!(app["email"], "budi.plain@example.org", "{file}");
                assert_eq!(received, "", "{file}");
            }
        }
    }
}

/// A mail that makes mail-parser panic in a debug build (tests/mailgen.py
/// `--nested`: a forward of a forward) is quarantined as UNREADABLE with
/// the parser's message; the forms, app exports and other mails of the
/// same run are stored, and the next run neither panics nor quarantines it
/// again.
#[test]
fn a_mail_that_makes_the_parser_panic_is_quarantined_and_the_rest_is_ingested() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = sample_office(tmp.path());
    let office = cfg.parent().unwrap();
    let out = std::process::Command::new("python3")
        .arg(repo_root().join("tests/mailgen.py"))
        .arg("--nested")
        .arg(office.join("inbox/mail"))
        .output()
        .expect("python3 runs (scripts/test installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let m = manifest();
    let want = &m["expected"]["ingest"];
    let n = |k: &str| want[k].as_u64().unwrap();

    let first = ingest_env(&cfg, &["ingest"], &[]).expect_code(1);
    let line = format!(
        "read {}, new {}, already known {}, quarantined {}",
        n("read") + 1,
        n("new"),
        n("already_known"),
        n("quarantined") + 1
    );
    assert!(
        first.stdout.contains(&line),
        "{}\nwant {line}",
        first.stdout
    );
    // One line names the input; no panic message or backtrace note.
    assert!(!first.stderr.contains("panicked"), "{}", first.stderr);
    assert!(!first.stderr.contains("RUST_BACKTRACE"), "{}", first.stderr);
    let named: Vec<&str> = first
        .stderr
        .lines()
        .filter(|l| l.contains("mail/nested-forward.eml: the parser stopped"))
        .collect();
    assert_eq!(named.len(), 1, "{}", first.stderr);
    assert!(!named[0].contains("Dewi") && !named[0].contains("3402151708900021"));

    let apps = json(run(Some(&cfg), &["applications", "list", "--json"]));
    assert_eq!(apps.as_array().unwrap().len() as u64, n("new"));
    let q = json(run(Some(&cfg), &["quarantine", "list", "--json"]));
    let q = q.as_array().unwrap();
    assert_eq!(
        q.iter()
            .filter(|e| e["source"] == "mail/nested-forward.eml")
            .count(),
        1
    );
    let entry = q
        .iter()
        .find(|e| e["source"] == "mail/nested-forward.eml")
        .unwrap_or_else(|| panic!("no quarantine entry for the mail: {q:?}"));
    assert_eq!(entry["reason"], "UNREADABLE");
    let detail = entry["detail"].as_str().unwrap();
    // The parser's own message (a debug build's `debug_assert!`).
    assert!(
        detail.contains("Invalid part ID, could not find multipart"),
        "{detail}"
    );

    let second = ingest_env(&cfg, &["ingest"], &[]);
    assert!(second.code == 0, "{} {}", second.stdout, second.stderr);
    assert!(!second.stderr.contains("panicked"), "{}", second.stderr);
    assert!(second.stdout.contains("quarantined 0"), "{}", second.stdout);
    let again = json(run(Some(&cfg), &["quarantine", "list", "--json"]));
    assert_eq!(again.as_array().unwrap().len(), q.len());
}

#[test]
fn emails_written_by_python_become_applications_and_hostile_names_stay_data() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = new_office(tmp.path());
    let office = cfg.parent().unwrap().to_path_buf();
    python_mails(&office.join("inbox/mail"));
    let outside_before: Vec<PathBuf> = tree(tmp.path())
        .into_iter()
        .map(|(p, _)| p)
        .filter(|p| !p.starts_with("office/data"))
        .collect();

    let out =
        ingest_env(&cfg, &["ingest"], &[("SIGAP_MAX_DOCUMENT_BYTES", "200000")]).expect_code(1);
    assert!(
        out.stdout
            .contains("read 9, new 8, already known 0, quarantined 1"),
        "{}",
        out.stdout
    );
    let apps = json(run(Some(&cfg), &["applications", "list", "--json"]));
    let by_source = |file: &str| from_mail(&apps, file);
    let latin1 = by_source("02-latin1-qp");
    assert_eq!(latin1["name"], "André Prätama");
    assert_eq!(latin1["nik"], "3402151708900002");
    assert_eq!(latin1["service"], "ktp_baru");
    assert_eq!(latin1["kecamatan"], "34.02.15");
    assert_eq!(
        by_source("03-windows-1252")["name"],
        "Siti \u{201c}Umi\u{201d} Aisyah"
    );
    assert_eq!(by_source("04-html-only")["service"], "kk_hilang");
    assert_eq!(by_source("05-forwarded")["name"], "Rina Lestari");
    // Forwarded by a parent as an attached message: the notices go to the
    // applicant who wrote it.
    assert_eq!(by_source("05-forwarded")["email"], "anak@example.org");
    assert_eq!(by_source("01-multipart")["email"], "pemohon@example.org");
    assert_eq!(by_source("06-base64")["service"], "ktp_perubahan_data");
    assert_eq!(
        by_source("01-multipart")["submitted_at"],
        "2026-11-19T08:01:00+07:00"
    );

    let q = json(run(Some(&cfg), &["quarantine", "list", "--json"]));
    let reasons: Vec<(String, String)> = q
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["source"].as_str().unwrap().to_string(),
                e["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for (source, reason) in [
        (
            "mail/08-forbidden-and-big.eml#surat_kehilangan.docx",
            "FORBIDDEN_TYPE",
        ),
        (
            "mail/08-forbidden-and-big.eml#kk_scan_besar.pdf",
            "TOO_LARGE",
        ),
        ("mail/09-question.eml", "NOT_AN_APPLICATION"),
    ] {
        assert!(
            reasons.contains(&(source.to_string(), reason.to_string())),
            "{source} {reason} not in {reasons:?}"
        );
    }

    // Nothing was written outside data/, and inside it only generated names.
    let outside_after: Vec<PathBuf> = tree(tmp.path())
        .into_iter()
        .map(|(p, _)| p)
        .filter(|p| !p.starts_with("office/data"))
        .collect();
    assert_eq!(outside_after, outside_before);
    let data = office.join("data");
    for (rel, _) in tree(&data) {
        let rel = rel.to_str().unwrap().to_string();
        let parts: Vec<&str> = rel.split('/').collect();
        let generated = match parts[..] {
            ["sigap.db"] | ["sigap.db-wal"] | ["sigap.db-shm"] => true,
            // The ingest job's lock (it holds the holder's pid, nothing else).
            ["locks", "ingest.lock"] => true,
            ["documents", app, file] => {
                let (hash, rest) = file.split_once('-').unwrap();
                app.starts_with("A-")
                    && hash.len() == 16
                    && hash.chars().all(|c| c.is_ascii_hexdigit())
                    && rest
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
            }
            ["quarantine", file] => {
                let (hash, ext) = file.split_once('.').unwrap();
                hash.len() == 64 && ext.chars().all(|c| c.is_ascii_alphanumeric())
            }
            _ => false,
        };
        assert!(generated, "unexpected file data/{rel}");
    }
    assert_private(&data);
    // The hostile names that read as a KK were kept, as data.
    let db = pipeline::store::Store::open(&data.join("sigap.db")).unwrap();
    let hostile = by_source("07-hostile-names")["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let names: Vec<String> = db
        .documents(hostile)
        .unwrap()
        .into_iter()
        .map(|d| d.original_name)
        .collect();
    assert!(names.contains(&"/abs/path/kk.pdf".to_string()), "{names:?}");
    assert!(names.iter().any(|n| n.len() > 10_000), "{names:?}");
    assert!(names.contains(&"COM1_kk.pdf".to_string()), "{names:?}");
    // One that reads as no kind is kept too, for a person to classify.
    let unclassified: Vec<String> = db
        .documents(hostile)
        .unwrap()
        .into_iter()
        .filter(|d| d.kind == "unclassified")
        .map(|d| d.original_name)
        .collect();
    assert_eq!(unclassified, ["../../etc/passwd.pdf", "CON.pdf", "NUL"]);

    // Seen again: the same Message-IDs are already known.
    let copy = office.join("inbox/mail/new/copy-of-01");
    std::fs::copy(office.join("inbox/mail/01-multipart.eml"), &copy).unwrap();
    let again = ingest_env(&cfg, &["ingest"], &[]).expect_code(0);
    assert!(
        again
            .stdout
            .contains("read 1, new 0, already known 1, quarantined 0"),
        "{}",
        again.stdout
    );
}

#[test]
fn a_file_still_being_written_is_read_only_once_it_settles() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = new_office(tmp.path());
    let forms = cfg.parent().unwrap().join("inbox/forms");
    let header = "\"Timestamp\",\"NIK\",\"Nama Lengkap\",\"Jenis Permohonan\"\n";
    let row = |n: u32| {
        format!(
            "\"2026/11/19 8:{n:02}:00 AM GMT+7\",\"34021517089000{n:02}\",\"Nama {n}\",\"KTP-el Baru\"\n"
        )
    };
    // Names that say "not finished yet" are never read.
    for name in [
        ".x.csv",
        "a.csv.part",
        "b.csv.tmp",
        "c.csv.crdownload",
        "d.csv~",
    ] {
        std::fs::write(forms.join(name), format!("{header}{}", row(1))).unwrap();
    }
    let out = ingest_env(&cfg, &["ingest"], &[]).expect_code(0);
    assert!(out.stdout.contains("read 0, new 0"), "{}", out.stdout);

    // A file that grows while ingest waits for it to settle is left for later.
    let growing = forms.join("responses.csv");
    std::fs::write(&growing, format!("{header}{}", row(1))).unwrap();
    let mut child = sigap()
        .env("SIGAP_INGEST_SETTLE_MS", "5000")
        .arg("--config")
        .arg(&cfg)
        .arg("ingest")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    for line in lines.by_ref() {
        if line.unwrap().contains("to settle") {
            break;
        }
    }
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&growing)
        .unwrap();
    f.write_all(row(2).as_bytes()).unwrap();
    f.sync_all().unwrap();
    drop(f);
    lines.for_each(drop);
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("read 0, new 0"), "{stdout}");
    assert!(stdout.contains("files still being written 1"), "{stdout}");

    // Once it stands still it is read, whole.
    let out = ingest_env(&cfg, &["ingest"], &[("SIGAP_INGEST_SETTLE_MS", "10")]).expect_code(0);
    assert!(out.stdout.contains("read 2, new 2"), "{}", out.stdout);
    // The finished download renamed into place: its row is already known.
    std::fs::rename(forms.join("a.csv.part"), forms.join("a.csv")).unwrap();
    let out = ingest_env(&cfg, &["ingest"], &[]).expect_code(0);
    assert!(
        out.stdout.contains("read 1, new 0, already known 1"),
        "{}",
        out.stdout
    );
}

#[test]
fn two_runs_never_overlap() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = new_office(tmp.path());
    let data = cfg.parent().unwrap().join("data");
    // This test process holds the ingest job's lock, as a run by hand would.
    let lock = pipeline::job::JobLock::acquire(&data, pipeline::job::Job::Ingest).unwrap();
    let out = ingest_env(&cfg, &["ingest"], &[]).expect_code(75);
    assert!(
        out.stderr.contains(&format!(
            "`ingest` is already running (process {}",
            std::process::id()
        )),
        "{}",
        out.stderr
    );
    // The refused run left no trace in the history.
    let runs = json(run(
        Some(&cfg),
        &["jobs", "history", "--job", "ingest", "--json"],
    ));
    assert_eq!(runs.as_array().unwrap().len(), 0, "{runs}");
    drop(lock);
    ingest_env(&cfg, &["ingest"], &[]).expect_code(0);
    let bad = ingest_env(&cfg, &["ingest"], &[("SIGAP_INGEST_SETTLE_MS", "soon")]).expect_code(2);
    assert!(
        bad.stderr.contains("SIGAP_INGEST_SETTLE_MS"),
        "{}",
        bad.stderr
    );
    // Every run let go of the lock when it ended.
    pipeline::job::JobLock::acquire(&data, pipeline::job::Job::Ingest).unwrap();
}

/// The committed sample office through the real chain, `sigap ingest` then
/// `sigap verify`: every planted application reaches the state and reasons
/// the generator's manifest says, and the totals per outcome and per reason
/// are the manifest's.
#[test]
fn the_sample_office_verifies_to_the_manifest_outcomes() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = sample_office(tmp.path());
    let m = manifest();
    ingest_env(&cfg, &["ingest"], &[]).expect_code(1);
    // Exit 1: some applications wait for review.
    let out = run(Some(&cfg), &["verify"]).expect_code(1);
    let apps = json(run(Some(&cfg), &["applications", "list", "--json"]));
    let apps = apps.as_array().unwrap();
    let mut states = std::collections::BTreeMap::<String, u64>::new();
    let mut reasons = std::collections::BTreeMap::<String, u64>::new();
    for app in apps {
        *states
            .entry(app["state"].as_str().unwrap().to_string())
            .or_default() += 1;
        for r in app["reasons"].as_array().unwrap() {
            *reasons.entry(r.as_str().unwrap().to_string()).or_default() += 1;
        }
    }
    for planted in m["applications"].as_array().unwrap() {
        let (app, sources) = application_of(apps, planted);
        assert_eq!(app["state"], planted["expected_state"], "{sources:?}");
        let mut got: Vec<&str> = app["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap())
            .collect();
        let mut want: Vec<&str> = planted["expected_reasons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap())
            .collect();
        got.sort_unstable();
        want.sort_unstable();
        assert_eq!(got, want, "{sources:?}");
    }
    let want = &m["expected"]["verify"];
    let as_map = |v: &Value| -> std::collections::BTreeMap<String, u64> {
        v.as_object()
            .unwrap()
            .iter()
            .map(|(k, n)| (k.clone(), n.as_u64().unwrap()))
            .collect()
    };
    assert_eq!(states, as_map(&want["states"]), "{}", out.stdout);
    assert_eq!(reasons, as_map(&want["reasons"]));
    // A second verify finds nothing left to decide and changes nothing.
    run(Some(&cfg), &["verify"]).expect_code(0);
    let again = json(run(Some(&cfg), &["applications", "list", "--json"]));
    assert_eq!(&again, &Value::Array(apps.clone()));
}

/// The application made from `inbox/mail/<file>.eml`, in a `--json` listing.
fn from_mail(apps: &Value, file: &str) -> Value {
    apps.as_array()
        .unwrap()
        .iter()
        .find(|a| a["source_ref"] == format!("mail/{file}.eml"))
        .unwrap_or_else(|| panic!("no application from {file}"))
        .clone()
}
