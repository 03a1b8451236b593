//! Documents whose kind the file name does not tell (an iPhone's
//! IMG_2041.JPG, Outlook's winmail.dat), through the real binary: kept
//! with their application, shown in the review queue, classified by a
//! person, and the application verified again at once.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use pipeline::domain::nik::Sex;
use polars::prelude::ParquetWriter;
use serde_json::Value;

use crate::support::{Run, repo_root, run, sigap};
use crate::verify::{date, population_frame, resident};

/// `sigap --config CFG ARGS` as intake runs in tests (no settle wait).
fn sigap_at(cfg: &Path, args: &[&str]) -> Run {
    let mut c = sigap();
    c.env("SIGAP_INGEST_SETTLE_MS", "0");
    c.arg("--config").arg(cfg).args(args);
    c.output().expect("sigap runs").into()
}

fn json(run: Run) -> Value {
    serde_json::from_str(&run.expect_code(0).stdout).unwrap()
}

/// The application that came from `file` in inbox/mail.
fn from_mail(config: &Path, file: &str) -> Value {
    let apps = json(run(Some(config), &["applications", "list", "--json"]));
    apps.as_array()
        .unwrap()
        .iter()
        .find(|a| a["source_ref"] == format!("mail/{file}.eml"))
        .unwrap_or_else(|| panic!("no application from {file}: {apps}"))
        .clone()
}

#[test]
fn a_phone_photo_without_keyword_is_kept_for_review_and_classified() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("office");
    run(
        None,
        &["init", dir.to_str().unwrap(), "--profile", "bantul"],
    )
    .expect_code(0);
    let cfg = dir.join("sigap.toml");
    let budi = resident(2, date(1990, 8, 17), Sex::L);
    let siti = resident(3, date(1990, 8, 17), Sex::P);
    let mut df = population_frame(&[&budi, &siti]);
    let file = std::fs::File::create(dir.join("population.parquet")).unwrap();
    ParquetWriter::new(file).finish(&mut df).unwrap();
    let out = std::process::Command::new("python3")
        .arg(repo_root().join("tests/phonemail.py"))
        .arg(dir.join("inbox/mail"))
        .args([&budi.nik, &siti.nik])
        .output()
        .expect("python3 runs (scripts/test installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Both applications and both documents are taken; nothing is quarantined.
    let ingest = sigap_at(&cfg, &["ingest"]).expect_code(0);
    assert!(
        ingest
            .stdout
            .contains("read 2, new 2, already known 0, quarantined 0"),
        "{}",
        ingest.stdout
    );
    let q = json(run(Some(&cfg), &["quarantine", "list", "--json"]));
    assert_eq!(q.as_array().unwrap().len(), 0, "{q}");
    let iphone = from_mail(&cfg, "01-iphone");
    let id = iphone["id"].as_str().unwrap().to_string();
    let outlook = from_mail(&cfg, "02-outlook")["id"]
        .as_str()
        .unwrap()
        .to_string();

    // Verify: a KK is missing but a document of unknown kind is on file.
    sigap_at(&cfg, &["verify"]).expect_code(1);
    for app in [&id, &outlook] {
        let a = json(run(Some(&cfg), &["applications", "show", app, "--json"]));
        assert_eq!(a["state"], "REVIEW", "{a}");
        assert_eq!(
            a["reasons"],
            serde_json::json!(["UNCLASSIFIED_DOCUMENT"]),
            "{a}"
        );
    }

    // The queue shows the documents by id, stored name, size and type;
    // never the sender's file name.
    let list = run(Some(&cfg), &["review", "list"]).expect_code(0);
    assert!(
        list.stdout.contains("UNCLASSIFIED_DOCUMENT"),
        "{}",
        list.stdout
    );
    assert!(
        list.stdout.contains("bytes, jpg) kind unknown"),
        "{}",
        list.stdout
    );
    assert!(
        list.stdout.contains("bytes, dat) kind unknown"),
        "{}",
        list.stdout
    );
    assert!(!list.stdout.contains("IMG_2041"), "{}", list.stdout);
    assert!(
        list.stdout.contains("sigap review classify ID DOC KIND"),
        "{}",
        list.stdout
    );
    let queue = json(run(Some(&cfg), &["review", "list", "--json"]));
    let entry = queue
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == id.as_str())
        .unwrap()
        .clone();
    let docs = entry["unclassified_documents"].as_array().unwrap();
    assert_eq!(docs.len(), 1, "{entry}");
    let doc = docs[0]["id"].as_i64().unwrap().to_string();
    assert_eq!(docs[0]["type"], "jpg");
    let stored = docs[0]["stored_path"].as_str().unwrap();
    assert!(stored.starts_with(&format!("documents/{id}/")), "{stored}");
    let kept = dir.join("data").join(stored);
    let bytes = std::fs::read(&kept).unwrap();
    assert!(bytes.starts_with(b"\xff\xd8\xff"), "the photo as sent");
    assert_eq!(docs[0]["size"], bytes.len() as u64);
    assert_eq!(
        std::fs::metadata(&kept).unwrap().permissions().mode() & 0o777,
        0o600
    );

    // Nobody approves a document they have not classified.
    let refused = run(Some(&cfg), &["review", "approve", &id, "--by", "Siti Kasi"]);
    assert_ne!(refused.code, 0, "{}", refused.stdout);
    assert!(
        refused.stderr.contains("classify them first"),
        "{}",
        refused.stderr
    );
    // A kind the office does not have: the valid ones are listed.
    let wrong = run(
        Some(&cfg),
        &["review", "classify", &id, &doc, "foto", "--by", "Siti Kasi"],
    );
    assert_ne!(wrong.code, 0, "{}", wrong.stdout);
    assert!(
        wrong
            .stderr
            .contains("use one of: dokumen_pendukung, formulir_perubahan, kk, kk_lama, ktp_lama, surat_kehilangan"),
        "{}",
        wrong.stderr
    );
    // A document of another application is not this one's.
    let other_doc = queue
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == outlook.as_str())
        .unwrap()["unclassified_documents"][0]["id"]
        .as_i64()
        .unwrap()
        .to_string();
    let foreign = run(
        Some(&cfg),
        &[
            "review",
            "classify",
            &id,
            &other_doc,
            "kk",
            "--by",
            "Siti Kasi",
        ],
    );
    assert_ne!(foreign.code, 0, "{}", foreign.stdout);
    assert!(
        foreign.stderr.contains("no unclassified document"),
        "{}",
        foreign.stderr
    );
    let a = json(run(Some(&cfg), &["applications", "show", &id, "--json"]));
    assert_eq!(a["state"], "REVIEW", "refusals change nothing: {a}");

    // Classified as the KK: verified again at once, and all else is in order.
    let done = sigap_at(
        &cfg,
        &["review", "classify", &id, &doc, "kk", "--by", "Siti Kasi"],
    )
    .expect_code(0);
    assert!(
        done.stdout
            .contains(&format!("{id} verified again: VERIFIED")),
        "{}",
        done.stdout
    );
    let show = run(Some(&cfg), &["applications", "show", &id]).expect_code(0);
    assert!(
        show.stdout.contains(&format!(
            "operator:Siti Kasi  document {doc} classified as kk in review"
        )),
        "{}",
        show.stdout
    );
    let a = json(run(Some(&cfg), &["applications", "show", &id, "--json"]));
    assert_eq!(a["state"], "VERIFIED", "{a}");
    // The other one still waits, untouched by the re-verification.
    let list = run(Some(&cfg), &["review", "list"]).expect_code(0);
    assert!(list.stdout.contains(&outlook), "{}", list.stdout);
    assert!(!list.stdout.contains(&format!("{id} ")), "{}", list.stdout);
    assert!(
        list.stdout.contains("1 application(s) wait"),
        "{}",
        list.stdout
    );
}
