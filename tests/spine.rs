//! The spine: init, config check, nik, sample-data, status, applications.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use chrono::{FixedOffset, NaiveDate, TimeZone, Utc};
use pipeline::store::Store;
use pipeline::{NewApplication, Service, Source};
use serde_json::Value;

use crate::support::{copy_office, repo_root, run, tree, written_by_jobs};

#[test]
fn every_profile_makes_an_office_that_config_check_accepts() {
    let tmp = tempfile::tempdir().unwrap();
    for profile in ["bantul", "tabanan", "kapuas"] {
        let dir = tmp.path().join(profile);
        let out = run(None, &["init", dir.to_str().unwrap(), "--profile", profile]).expect_code(0);
        assert!(out.stdout.contains("sigap.toml"), "{}", out.stdout);
        for folder in [
            "inbox/forms",
            "inbox/app",
            "inbox/mail/new",
            "inbox/pickups",
            "spool/outgoing",
            "spool/results",
            "data",
            "out",
        ] {
            assert!(dir.join(folder).is_dir(), "{profile}: {folder}");
        }
        let cfg = dir.join("sigap.toml");
        let check = run(Some(&cfg), &["config", "check"]).expect_code(0);
        assert!(
            check.stdout.contains("config OK"),
            "{profile}: {}",
            check.stdout
        );
        // The population snapshot is not there yet: a warning, not an error.
        assert!(
            check.stdout.contains("warning: population.path"),
            "{}",
            check.stdout
        );
    }
    // init never overwrites an office.
    let again = run(
        None,
        &[
            "init",
            tmp.path().join("bantul").to_str().unwrap(),
            "--profile",
            "bantul",
        ],
    )
    .expect_code(3);
    assert!(again.stderr.contains("already exists"), "{}", again.stderr);
}

#[test]
fn config_check_names_a_misspelt_key_and_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("office");
    run(
        None,
        &["init", dir.to_str().unwrap(), "--profile", "tabanan"],
    )
    .expect_code(0);
    let cfg = dir.join("sigap.toml");
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(
        &cfg,
        text.replace("batch_size", "bacth_size")
            .replace("inbox = \"inbox\"", "inbxo = \"inbox\""),
    )
    .unwrap();
    let out = run(Some(&cfg), &["config", "check"]).expect_code(2);
    assert!(out.stderr.contains("station.bacth_size"), "{}", out.stderr);
    assert!(out.stderr.contains("paths.inbxo"), "{}", out.stderr);
    assert!(out.stderr.contains(cfg.to_str().unwrap()), "{}", out.stderr);
}

#[test]
fn config_check_reports_every_problem_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("office");
    run(
        None,
        &["init", dir.to_str().unwrap(), "--profile", "bantul"],
    )
    .expect_code(0);
    let cfg = dir.join("sigap.toml");
    let text = std::fs::read_to_string(&cfg)
        .unwrap()
        .replace("kabupaten_code = \"34.02\"", "kabupaten_code = \"34.99\"")
        .replace("mon = \"08:00-15:30\"", "mon = \"8 pagi\"")
        .replace(
            "documents = [\"surat_kehilangan\"]",
            "documents = [\"surat_polisi\"]",
        );
    std::fs::write(&cfg, text).unwrap();
    let out = run(Some(&cfg), &["config", "check"]).expect_code(2);
    for key in [
        "office.kabupaten_code",
        "hours.mon",
        "services.ktp_hilang.documents[0]",
    ] {
        assert!(out.stdout.contains(key), "{key} missing:\n{}", out.stdout);
    }
}

#[test]
fn nik_prints_region_birth_date_and_sex() {
    let out = run(None, &["nik", "3402 1557 0890 0002"]).expect_code(0);
    for want in [
        "Daerah Istimewa Yogyakarta",
        "Kabupaten Bantul",
        "Sewon",
        "17-08-1990",
        "P (Perempuan)",
        "NIK is valid",
    ] {
        assert!(out.stdout.contains(want), "{want}:\n{}", out.stdout);
    }
    let kk = run(None, &["nik", "--kk", "3402150512150003"]).expect_code(0);
    assert!(kk.stdout.contains("05-12-2015"), "{}", kk.stdout);
}

#[test]
fn nik_names_the_rule_that_failed() {
    for (nik, rule) in [
        ("3402152902970001", "NO_SUCH_DATE"),
        ("3402153508900001", "DAY_OUT_OF_RANGE"),
        ("3402151713900001", "MONTH_OUT_OF_RANGE"),
        ("3402151708900000", "SERIAL_ZERO"),
        ("3402991708900001", "UNKNOWN_REGION"),
        ("3.40215E+15", "SCIENTIFIC_NOTATION"),
        ("34021517089", "WRONG_LENGTH"),
    ] {
        let out = run(None, &["nik", nik]).expect_code(1);
        assert!(out.stdout.contains(rule), "{nik}: {}", out.stdout);
    }
}

/// Files of a generated office that the generator writes (not the job outputs).
fn generated_files(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    tree(dir)
        .into_iter()
        .filter(|(p, _)| !written_by_jobs(p))
        .collect()
}

#[test]
fn sample_data_is_byte_identical_for_the_same_seed() {
    let tmp = tempfile::tempdir().unwrap();
    let args = |d: &Path| {
        vec![
            "sample-data".to_string(),
            d.to_str().unwrap().to_string(),
            "--profile".into(),
            "kapuas".into(),
            "--population".into(),
            "600".into(),
            "--applications".into(),
            "60".into(),
            "--seed".into(),
            "7".into(),
        ]
    };
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    for d in [&a, &b] {
        let argv = args(d);
        let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
        run(None, &argv).expect_code(0);
    }
    let (ta, tb) = (generated_files(&a), generated_files(&b));
    assert!(ta.len() > 10, "a real office has many files: {}", ta.len());
    assert_eq!(ta.len(), tb.len());
    for ((pa, ba), (pb, bb)) in ta.iter().zip(&tb) {
        assert_eq!(pa, pb);
        assert!(
            ba == bb,
            "{} differs between two runs with the same seed",
            pa.display()
        );
    }
    // A different seed gives a different office.
    let c = tmp.path().join("c");
    let mut argv = args(&c);
    *argv.last_mut().unwrap() = "8".into();
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    run(None, &argv).expect_code(0);
    let pa = generated_files(&a)
        .into_iter()
        .find(|(p, _)| p.ends_with("population.parquet"))
        .unwrap();
    let pc = generated_files(&c)
        .into_iter()
        .find(|(p, _)| p.ends_with("population.parquet"))
        .unwrap();
    assert_ne!(pa.1, pc.1);
}

#[test]
fn the_committed_sample_office_is_what_the_generator_makes() {
    let committed = repo_root().join("sample-data");
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(committed.join("manifest.json")).unwrap()).unwrap();
    let o = &manifest["options"];
    let tmp = tempfile::tempdir().unwrap();
    let fresh = tmp.path().join("office");
    let (pop, apps, seed) = (
        o["population"].to_string(),
        o["applications"].to_string(),
        o["seed"].to_string(),
    );
    let as_of = o["as_of"].as_str().unwrap();
    run(
        None,
        &[
            "sample-data",
            fresh.to_str().unwrap(),
            "--profile",
            o["profile"].as_str().unwrap(),
            "--population",
            &pop,
            "--applications",
            &apps,
            "--seed",
            &seed,
            "--as-of",
            as_of,
        ],
    )
    .expect_code(0);
    let (want, got) = (generated_files(&fresh), generated_files(&committed));
    let names =
        |t: &[(std::path::PathBuf, Vec<u8>)]| t.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>();
    assert_eq!(
        names(&got),
        names(&want),
        "regenerate with scripts/regen-sample-data"
    );
    for ((p, a), (_, b)) in want.iter().zip(&got) {
        assert!(
            a == b,
            "{} differs from the generator's output: run scripts/regen-sample-data",
            p.display()
        );
    }
    assert_eq!(o["population"], 2000);
    assert_eq!(o["applications"], 200);
}

#[test]
fn status_shows_states_inbox_and_where_things_are() {
    let tmp = tempfile::tempdir().unwrap();
    let office = tmp.path().join("office");
    copy_office(&repo_root().join("sample-data"), &office);
    let cfg = office.join("sigap.toml");
    let out = run(Some(&cfg), &["status"]).expect_code(0);
    for want in [
        "RECEIVED",
        "ARCHIVED",
        "Inbox:",
        "state database",
        "sigap.db",
        "out",
    ] {
        assert!(out.stdout.contains(want), "{want}:\n{}", out.stdout);
    }
    let json: Value =
        serde_json::from_str(&run(Some(&cfg), &["status", "--json"]).expect_code(0).stdout)
            .unwrap();
    assert_eq!(json["total"], 0);
    assert_eq!(json["states"].as_object().unwrap().len(), 13);
    assert!(json["inbox_files"]["forms"].as_u64().unwrap() >= 2);
    assert!(json["inbox_files"]["mail"].as_u64().unwrap() >= 1);
    let db = office.join("data/sigap.db");
    assert_eq!(
        std::fs::metadata(&db).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

#[test]
fn applications_list_and_show_read_the_store() {
    let tmp = tempfile::tempdir().unwrap();
    let office = tmp.path().join("office");
    run(
        None,
        &["init", office.to_str().unwrap(), "--profile", "bantul"],
    )
    .expect_code(0);
    let mut store = Store::open(&office.join("data/sigap.db")).unwrap();
    let app = NewApplication {
        source: Source::App,
        source_ref: "app/export.json#SB-1".into(),
        nik: "3402155708900002".into(),
        kk_number: Some("3402150512150003".into()),
        name: "Sri Wahyuni".into(),
        birth_date: NaiveDate::from_ymd_opt(1990, 8, 17),
        service: Service::KtpHilang,
        kecamatan: Some("34.02.15".into()),
        email: Some("sri@example.org".into()),
        phone: None,
        submitted_at: FixedOffset::east_opt(7 * 3600)
            .unwrap()
            .with_ymd_and_hms(2026, 11, 19, 9, 0, 0)
            .unwrap(),
    };
    let id = store
        .write(|tx| tx.insert_application(&app, "sigap:test", Utc::now()))
        .unwrap();
    drop(store);
    let cfg = office.join("sigap.toml");

    let list: Value = serde_json::from_str(
        &run(Some(&cfg), &["applications", "list", "--json"])
            .expect_code(0)
            .stdout,
    )
    .unwrap();
    let first = &list.as_array().unwrap()[0];
    assert_eq!(first["id"], id.to_string());
    assert_eq!(first["nik"], "3402155708900002");
    assert_eq!(first["service"], "ktp_hilang");
    assert_eq!(first["state"], "RECEIVED");
    assert_eq!(first["source"], "app");
    assert_eq!(first["kecamatan"], "34.02.15");
    assert_eq!(first["reasons"], Value::Array(vec![]));
    assert_eq!(first["batch"], Value::Null);

    let text = run(Some(&cfg), &["applications", "list"])
        .expect_code(0)
        .stdout;
    assert!(
        text.contains("3402**********02") && !text.contains("3402155708900002"),
        "text listings mask the NIK:\n{text}"
    );
    let none: Value = serde_json::from_str(
        &run(
            Some(&cfg),
            &["applications", "list", "--state", "VERIFIED", "--json"],
        )
        .expect_code(0)
        .stdout,
    )
    .unwrap();
    assert_eq!(none.as_array().unwrap().len(), 0);

    let show = run(Some(&cfg), &["applications", "show", &id.to_string()])
        .expect_code(0)
        .stdout;
    assert!(
        show.contains("RECEIVED") && show.contains("sigap:test"),
        "{show}"
    );
    let missing = run(Some(&cfg), &["applications", "show", "A-999999"]).expect_code(3);
    assert!(
        missing.stderr.contains("no application A-999999"),
        "{}",
        missing.stderr
    );
}

#[test]
fn a_missing_config_says_how_to_make_one() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run(Some(&tmp.path().join("nope.toml")), &["status"]).expect_code(2);
    assert!(out.stderr.contains("sigap init"), "{}", out.stderr);
}

#[test]
fn files_with_personal_data_are_private() {
    let tmp = tempfile::tempdir().unwrap();
    let office = tmp.path().join("office");
    run(
        None,
        &[
            "sample-data",
            office.to_str().unwrap(),
            "--population",
            "300",
            "--applications",
            "30",
        ],
    )
    .expect_code(0);
    for (rel, _) in tree(&office) {
        let mode = std::fs::metadata(office.join(&rel))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "{}", rel.display());
    }
}

#[test]
fn a_listing_into_a_closed_pipe_ends_quietly() {
    let tmp = tempfile::tempdir().unwrap();
    let office = tmp.path().join("office");
    copy_office(&repo_root().join("sample-data"), &office);
    // The reader is gone before sigap writes its first line.
    let mut child = crate::support::sigap()
        .arg("--config")
        .arg(office.join("sigap.toml"))
        .args(["jobs", "list"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(141), "{stderr}");
}
