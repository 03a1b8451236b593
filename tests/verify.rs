//! Verification and the review queue, through the real binary, against both
//! population adapters: a Parquet snapshot written here with polars and a
//! real PostgreSQL loaded with the shipped `pipeline/sql/population.sql`.
//! One fixture set covers every check; both adapters must give exactly the
//! expected outcomes.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone, Utc};
use pipeline::domain::nik::{Sex, compose_nik};
use pipeline::store::{Change, Document, Store};
use pipeline::{NewApplication, Service, Source, State};
use polars::prelude::{Column, DataFrame, DataType, ParquetWriter};
use serde_json::Value;

use crate::pg::Postgres;
use crate::support::{Run, copy_office, repo_root, run, sigap};

/// A population row (the columns verification reads; the rest are filled in).
#[derive(Clone)]
pub(crate) struct Row {
    pub(crate) nik: String,
    kk: String,
    name: String,
    birth: NaiveDate,
    sex: &'static str,
    district: String,
    marital: &'static str,
    recorded: bool,
    status: &'static str,
}

/// One fixture: a resident (or none), what was submitted, the documents on
/// file, and the outcome both adapters must reach.
pub(crate) struct Case {
    label: &'static str,
    row: Option<Row>,
    app: NewApplication,
    documents: Vec<&'static str>,
    /// Moved to this state before verify runs (an application in flight).
    before: Option<State>,
    state: &'static str,
    reasons: Vec<&'static str>,
}

pub(crate) fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn at(minute: u32) -> DateTime<FixedOffset> {
    FixedOffset::east_opt(7 * 3600)
        .unwrap()
        .with_ymd_and_hms(2026, 11, 19, 9, minute, 0)
        .unwrap()
}

const KK: &str = "3402150512150003";

pub(crate) fn resident(serial: u16, birth: NaiveDate, sex: Sex) -> Row {
    Row {
        nik: compose_nik("34.02.15", birth, sex, serial),
        kk: KK.into(),
        name: if sex == Sex::L {
            "BUDI SANTOSO".into()
        } else {
            "SITI AMINAH".into()
        },
        birth,
        sex: sex.code(),
        district: "34.02.15".into(),
        marital: "KAWIN",
        recorded: true,
        status: "AKTIF",
    }
}

fn application(label: &str, row: &Row, minute: u32) -> NewApplication {
    NewApplication {
        source: Source::App,
        source_ref: label.into(),
        nik: row.nik.clone(),
        kk_number: Some(row.kk.clone()),
        name: title_case(&row.name),
        birth_date: Some(row.birth),
        service: Service::KtpHilang,
        kecamatan: Some("34.02.15".into()),
        email: Some("warga@example.org".into()),
        phone: None,
        submitted_at: at(minute),
    }
}

fn title_case(name: &str) -> String {
    name.split(' ')
        .map(|w| {
            let (first, rest) = w.split_at(1);
            format!("{first}{}", rest.to_lowercase())
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Every check of verification (docs/verification.md), passing and failing.
pub(crate) fn cases() -> Vec<Case> {
    let adult = date(1990, 8, 17);
    let mut cases = Vec::new();
    let mut serial = 0u16;
    let mut add = |label: &'static str,
                   change_row: &dyn Fn(&mut Row),
                   change_app: &dyn Fn(&mut NewApplication),
                   state: &'static str,
                   reasons: &[&'static str]| {
        serial += 1;
        let mut row = resident(serial, adult, Sex::L);
        change_row(&mut row);
        let mut app = application(label, &row, serial as u32);
        change_app(&mut app);
        cases.push(Case {
            label,
            row: Some(row),
            app,
            documents: vec!["surat_kehilangan"],
            before: None,
            state,
            reasons: reasons.to_vec(),
        });
    };
    let none = &|_: &mut Row| {};
    let same = &|_: &mut NewApplication| {};
    add("clean", none, same, "VERIFIED", &[]);
    add(
        "titles-case-separators",
        none,
        &|a| {
            a.name = "h. budi  santoso, S.Pd., M.M.".into();
            a.nik = format!("'{} {}", &a.nik[..8], &a.nik[8..]);
        },
        "VERIFIED",
        &[],
    );
    add(
        "nik-invalid",
        none,
        &|a| a.nik.replace_range(8..10, "13"),
        "REJECTED",
        &["NIK_INVALID"],
    );
    add(
        "nik-not-found",
        none,
        &|a| a.nik.replace_range(12..16, "0999"),
        "REJECTED",
        &["NIK_NOT_FOUND"],
    );
    add(
        "deceased",
        &|r| r.status = "MENINGGAL",
        same,
        "REJECTED",
        &["DECEASED"],
    );
    add(
        "moved-out",
        &|r| r.status = "PINDAH",
        same,
        "REJECTED",
        &["MOVED_OUT"],
    );
    add(
        "not-resident",
        &|r| r.district = "34.71.01".into(),
        same,
        "REJECTED",
        &["NOT_RESIDENT"],
    );
    add(
        "name-mismatch",
        none,
        &|a| a.name = "Agus Salim".into(),
        "REJECTED",
        &["NAME_MISMATCH"],
    );
    add(
        "name-near-match",
        none,
        &|a| a.name = "Budi Santosa".into(),
        "REVIEW",
        &["NAME_NEAR_MATCH"],
    );
    add(
        "birth-date-mismatch",
        none,
        &|a| a.birth_date = Some(date(1990, 7, 17)),
        "REJECTED",
        &["BIRTH_DATE_MISMATCH"],
    );
    add(
        "birth-date-missing",
        none,
        &|a| a.birth_date = None,
        "REJECTED",
        &["BIRTH_DATE_MISMATCH"],
    );
    add(
        "kk-mismatch",
        none,
        &|a| a.kk_number = Some("3402150512150004".into()),
        "REVIEW",
        &["KK_MISMATCH"],
    );
    add(
        "kk-unreadable",
        none,
        &|a| a.kk_number = Some("34021505".into()),
        "REVIEW",
        &["KK_MISMATCH"],
    );
    add(
        "kk-not-given",
        none,
        &|a| a.kk_number = None,
        "VERIFIED",
        &[],
    );
    add(
        "sex-mismatch",
        &|r| r.sex = "P",
        same,
        "REJECTED",
        &["SEX_MISMATCH"],
    );
    add(
        "not-recorded",
        &|r| r.recorded = false,
        same,
        "NEEDS_RECORDING",
        &["NOT_RECORDED"],
    );
    add(
        "several-rejections",
        &|r| r.status = "MENINGGAL",
        &|a| a.name = "Agus Salim".into(),
        "REJECTED",
        &["DECEASED", "NAME_MISMATCH"],
    );
    // 17 on 20 November 2026: the day after the submission.
    let sixteen = date(2009, 11, 20);
    serial += 1;
    let mut young = resident(serial, sixteen, Sex::P);
    young.marital = "BELUM KAWIN";
    let mut app = application("underage", &young, 40);
    app.service = Service::KtpBaru;
    cases.push(Case {
        label: "underage",
        row: Some(young.clone()),
        app,
        documents: vec!["kk"],
        before: None,
        state: "REJECTED",
        reasons: vec!["UNDERAGE"],
    });
    // The same age, married: may have a KTP-el.
    serial += 1;
    let mut married = resident(serial, sixteen, Sex::P);
    married.marital = "KAWIN";
    let mut app = application("young-married", &married, 41);
    app.service = Service::KtpBaru;
    cases.push(Case {
        label: "young-married",
        row: Some(married),
        app,
        documents: vec!["kk"],
        before: None,
        state: "VERIFIED",
        reasons: vec![],
    });
    // Age and perekaman are not KK matters.
    serial += 1;
    let mut child = resident(serial, sixteen, Sex::P);
    child.marital = "BELUM KAWIN";
    child.recorded = false;
    let mut app = application("underage-kk-service", &child, 42);
    app.service = Service::KkHilang;
    cases.push(Case {
        label: "underage-kk-service",
        row: Some(child),
        app,
        documents: vec!["surat_kehilangan"],
        before: None,
        state: "VERIFIED",
        reasons: vec![],
    });
    // Documents.
    serial += 1;
    let row = resident(serial, adult, Sex::P);
    cases.push(Case {
        label: "document-missing",
        row: Some(row.clone()),
        app: application("document-missing", &row, 43),
        documents: vec!["kk"],
        before: None,
        state: "INCOMPLETE",
        reasons: vec!["DOCUMENT_MISSING"],
    });
    serial += 1;
    let mut row = resident(serial, adult, Sex::P);
    row.recorded = false;
    cases.push(Case {
        label: "document-missing-not-recorded",
        row: Some(row.clone()),
        app: application("document-missing-not-recorded", &row, 44),
        documents: vec![],
        before: None,
        state: "INCOMPLETE",
        reasons: vec!["NOT_RECORDED", "DOCUMENT_MISSING"],
    });
    // Duplicates: a later application for the NIK of "clean" (another
    // service), and one for a NIK already VERIFIED before this run.
    let clean = cases[0].row.clone().unwrap();
    let mut app = application("duplicate-in-batch", &clean, 50);
    app.service = Service::KkHilang;
    cases.push(Case {
        label: "duplicate-in-batch",
        row: None,
        app,
        documents: vec!["surat_kehilangan"],
        before: None,
        state: "REJECTED",
        reasons: vec!["DUPLICATE_IN_FLIGHT"],
    });
    serial += 1;
    let row = resident(serial, adult, Sex::P);
    let mut first = application("in-flight", &row, 0);
    first.submitted_at = at(0) - chrono::Duration::days(20);
    cases.push(Case {
        label: "in-flight",
        row: Some(row.clone()),
        app: first,
        documents: vec!["surat_kehilangan"],
        before: Some(State::Verified),
        state: "VERIFIED",
        reasons: vec![],
    });
    cases.push(Case {
        label: "duplicate-of-in-flight",
        row: None,
        app: application("duplicate-of-in-flight", &row, 51),
        documents: vec!["surat_kehilangan"],
        before: None,
        state: "REJECTED",
        reasons: vec!["DUPLICATE_IN_FLIGHT"],
    });
    cases
}

/// The population rows of the fixtures, as polars writes the snapshot.
pub(crate) fn population_frame(rows: &[&Row]) -> DataFrame {
    let text = |name: &str, f: &dyn Fn(&Row) -> String| {
        Column::new(name.into(), rows.iter().map(|r| f(r)).collect::<Vec<_>>())
    };
    let epoch = date(1970, 1, 1);
    let columns = vec![
        text("nik", &|r| r.nik.clone()),
        text("kk_number", &|r| r.kk.clone()),
        text("name", &|r| r.name.clone()),
        text("birth_place", &|_| "BANTUL".into()),
        Column::new(
            "birth_date".into(),
            rows.iter()
                .map(|r| (r.birth - epoch).num_days() as i32)
                .collect::<Vec<_>>(),
        )
        .cast(&DataType::Date)
        .unwrap(),
        text("sex", &|r| r.sex.into()),
        text("address", &|_| "JL. PARANGTRITIS KM 5".into()),
        text("rt", &|_| "003".into()),
        text("rw", &|_| "011".into()),
        text("village_code", &|r| format!("{}.2001", r.district)),
        text("district_code", &|r| r.district.clone()),
        text("religion", &|_| "ISLAM".into()),
        text("occupation", &|_| "WIRASWASTA".into()),
        text("marital_status", &|r| r.marital.into()),
        Column::new(
            "biometric_recorded".into(),
            rows.iter().map(|r| r.recorded).collect::<Vec<_>>(),
        ),
        text("status", &|r| r.status.into()),
        Column::new(
            "last_card_printed_at".into(),
            rows.iter().map(|_| None::<i32>).collect::<Vec<_>>(),
        )
        .cast(&DataType::Date)
        .unwrap(),
    ];
    DataFrame::new(rows.len(), columns).unwrap()
}

/// The same rows as CSV for `\copy penduduk FROM … CSV HEADER`.
pub(crate) fn population_csv(df: &DataFrame) -> String {
    let names: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut out = names.join(",") + "\n";
    for i in 0..df.height() {
        let cells: Vec<String> = df
            .columns()
            .iter()
            .map(|c| match c.get(i).unwrap() {
                polars::prelude::AnyValue::Null => String::new(),
                polars::prelude::AnyValue::String(s) => format!("\"{s}\""),
                polars::prelude::AnyValue::Date(d) => {
                    (date(1970, 1, 1) + chrono::Duration::days(d.into())).to_string()
                }
                other => other.to_string(),
            })
            .collect();
        out += &(cells.join(",") + "\n");
    }
    out
}

/// A Bantul office with the fixtures RECEIVED (or moved on, for the one
/// in flight) and the population snapshot written. Returns the config.
pub(crate) fn office(dir: &Path, cases: &[Case]) -> std::path::PathBuf {
    run(
        None,
        &["init", dir.to_str().unwrap(), "--profile", "bantul"],
    )
    .expect_code(0);
    let rows: Vec<&Row> = cases.iter().filter_map(|c| c.row.as_ref()).collect();
    let mut df = population_frame(&rows);
    let file = std::fs::File::create(dir.join("population.parquet")).unwrap();
    ParquetWriter::new(file).finish(&mut df).unwrap();
    std::fs::write(dir.join("population.csv"), population_csv(&df)).unwrap();
    let mut store = Store::open(&dir.join("data/sigap.db")).unwrap();
    let t = Utc.with_ymd_and_hms(2026, 11, 19, 3, 0, 0).unwrap();
    store
        .write(|tx| {
            for c in cases {
                let id = tx.insert_application(&c.app, "sigap:ingest", t)?;
                for (i, kind) in c.documents.iter().enumerate() {
                    tx.add_document(
                        &Document {
                            application: id,
                            kind: kind.to_string(),
                            original_name: format!("{kind}.pdf"),
                            stored_path: format!("documents/{}-{i}.pdf", id.0),
                            sha256: format!("{:064x}", id.0 * 100 + i as i64),
                            size: 1000,
                            source_ref: c.label.into(),
                        },
                        t,
                    )?;
                }
                if let Some(to) = c.before {
                    let change = Change {
                        actor: "test",
                        ..Change::default()
                    };
                    tx.transition(id, State::Received, to, &change, t)?;
                }
            }
            Ok(())
        })
        .unwrap();
    dir.join("sigap.toml")
}

/// `sigap ARGS` with extra environment.
pub(crate) fn run_env(config: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut c = sigap();
    c.arg("--config").arg(config).args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap().into()
}

/// source_ref → (state, reasons) of every application.
pub(crate) fn outcomes(config: &Path) -> BTreeMap<String, (String, Vec<String>)> {
    let out = run(Some(config), &["applications", "list", "--json"]).expect_code(0);
    let all: Vec<Value> = serde_json::from_str(&out.stdout).unwrap();
    all.iter()
        .map(|a| {
            (
                a["source_ref"].as_str().unwrap().to_string(),
                (
                    a["state"].as_str().unwrap().to_string(),
                    a["reasons"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|r| r.as_str().unwrap().to_string())
                        .collect(),
                ),
            )
        })
        .collect()
}

pub(crate) fn expected(cases: &[Case]) -> BTreeMap<String, (String, Vec<String>)> {
    cases
        .iter()
        .map(|c| {
            (
                c.label.to_string(),
                (
                    c.state.to_string(),
                    c.reasons.iter().map(|r| r.to_string()).collect(),
                ),
            )
        })
        .collect()
}

fn id_of(config: &Path, label: &str) -> String {
    let out = run(Some(config), &["applications", "list", "--json"]).expect_code(0);
    let all: Vec<Value> = serde_json::from_str(&out.stdout).unwrap();
    all.iter()
        .find(|a| a["source_ref"] == label)
        .map(|a| a["id"].as_str().unwrap().to_string())
        .unwrap()
}

#[test]
fn both_adapters_reach_the_expected_outcome_for_every_check() {
    let cases = cases();
    let tmp = tempfile::tempdir().unwrap();
    let parquet_office = tmp.path().join("parquet");
    let config = office(&parquet_office, &cases);
    let pg_office = tmp.path().join("postgres");
    copy_office(&parquet_office, &pg_office);
    std::fs::create_dir_all(pg_office.join("data")).unwrap();
    std::fs::copy(
        parquet_office.join("data/sigap.db"),
        pg_office.join("data/sigap.db"),
    )
    .unwrap();

    // Parquet: REVIEW cases need a person, so exit 1.
    let out = run(Some(&config), &["verify"]).expect_code(1);
    assert!(
        out.stdout.contains("decided against Parquet snapshot"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("REVIEW"), "{}", out.stdout);
    let via_parquet = outcomes(&config);
    assert_eq!(via_parquet, expected(&cases));

    // PostgreSQL, loaded with the shipped SQL, through SIGAP_POPULATION_URL.
    let pg = Postgres::start();
    let sql = repo_root().join("pipeline/sql/population.sql");
    pg.psql(&["-f", sql.to_str().unwrap()]);
    let csv = pg_office.join("population.csv");
    pg.psql(&[
        "-c",
        &format!("\\copy penduduk FROM '{}' CSV HEADER", csv.display()),
    ]);
    let pg_config = pg_office.join("sigap.toml");
    let out = run_env(
        &pg_config,
        &["verify"],
        &[("SIGAP_POPULATION_URL", &pg.url())],
    )
    .expect_code(1);
    assert!(
        out.stdout.contains("decided against PostgreSQL"),
        "{}",
        out.stdout
    );
    assert_eq!(outcomes(&pg_config), via_parquet);

    // A second run finds nothing RECEIVED and changes nothing.
    let again = run_env(
        &pg_config,
        &["verify"],
        &[("SIGAP_POPULATION_URL", &pg.url())],
    )
    .expect_code(0);
    assert!(again.stdout.contains("nothing to do"), "{}", again.stdout);
    assert_eq!(outcomes(&pg_config), via_parquet);

    // The card faces of a print batch come through the same adapter: the
    // cards.csv written through either database is the same, byte for byte.
    let url = pg.url();
    for (cfg, env) in [
        (&config, vec![]),
        (&pg_config, vec![("SIGAP_POPULATION_URL", url.as_str())]),
    ] {
        run_env(cfg, &["blanko", "receive", "100", "--ref", "T-1"], &env).expect_code(0);
        let out = run_env(cfg, &["batch"], &env).expect_code(0);
        assert!(out.stdout.contains("dispatched"), "{}", out.stdout);
    }
    let cards = |office: &Path| -> BTreeMap<String, String> {
        std::fs::read_dir(office.join("spool/outgoing"))
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let csv = std::fs::read_to_string(e.path().join("cards.csv")).unwrap();
                (e.file_name().to_string_lossy().into_owned(), csv)
            })
            .collect()
    };
    let via_parquet = cards(&parquet_office);
    assert!(!via_parquet.is_empty());
    assert_eq!(cards(&pg_office), via_parquet);
    let all: String = via_parquet.values().cloned().collect();
    assert!(
        all.contains("LAKI-LAKI") && all.contains("003/011"),
        "{all}"
    );
    assert!(all.contains("JL. PARANGTRITIS KM 5"), "{all}");
}

#[test]
fn a_dry_run_writes_nothing() {
    let cases = cases();
    let tmp = tempfile::tempdir().unwrap();
    let config = office(tmp.path(), &cases);
    let before = outcomes(&config);
    let out = run(Some(&config), &["verify", "--dry-run"]).expect_code(1);
    assert!(
        out.stdout.contains("dry run: nothing was written"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("VERIFIED"), "{}", out.stdout);
    assert_eq!(outcomes(&config), before);
    let status = run(Some(&config), &["status", "--json"]).expect_code(0);
    let status: Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(status["last_runs"], serde_json::json!([]));
    let id = id_of(&config, "clean");
    let show = run(Some(&config), &["applications", "show", &id, "--json"]).expect_code(0);
    let show: Value = serde_json::from_str(&show.stdout).unwrap();
    assert_eq!(show["events"].as_array().unwrap().len(), 1);
}

#[test]
fn an_unreachable_database_or_missing_snapshot_fails_clearly_and_changes_nothing() {
    let cases = cases();
    let tmp = tempfile::tempdir().unwrap();
    let config = office(tmp.path(), &cases);
    let before = outcomes(&config);

    // Nothing listens on port 1 of loopback.
    let out = run_env(
        &config,
        &["verify"],
        &[(
            "SIGAP_POPULATION_URL",
            // sslmode=disable: a password in the URL needs one written.
            "postgres://kasi:rahasia@127.0.0.1:1/siak?sslmode=disable",
        )],
    )
    .expect_code(3);
    assert!(
        out.stderr
            .contains("cannot connect to the population database at postgres://127.0.0.1:1/siak"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("rahasia"), "{}", out.stderr);
    assert_eq!(outcomes(&config), before);
    // The failed run is in the history for the admin.
    let status = run(Some(&config), &["status", "--json"]).expect_code(0);
    let status: Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(status["last_runs"][0]["job"], "verify");
    assert_eq!(status["last_runs"][0]["outcome"], "failed");

    std::fs::remove_file(tmp.path().join("population.parquet")).unwrap();
    let out = run(Some(&config), &["verify"]).expect_code(3);
    assert!(
        out.stderr.contains("population snapshot")
            && out.stderr.contains("population.parquet does not exist"),
        "{}",
        out.stderr
    );
    assert_eq!(outcomes(&config), before);
}

#[test]
fn review_decisions_are_recorded_with_the_operator() {
    let cases = cases();
    let tmp = tempfile::tempdir().unwrap();
    let config = office(tmp.path(), &cases);
    run(Some(&config), &["verify"]).expect_code(1);

    let list = run(Some(&config), &["review", "list"]).expect_code(0);
    let near = id_of(&config, "name-near-match");
    let kk = id_of(&config, "kk-mismatch");
    let unreadable = id_of(&config, "kk-unreadable");
    assert!(list.stdout.contains(&near), "{}", list.stdout);
    assert!(
        list.stdout.contains("name: Budi Santosa / BUDI SANTOSO"),
        "{}",
        list.stdout
    );
    assert!(
        list.stdout
            .contains("KK:   3402150512150004 / 3402150512150003")
    );
    assert!(list.stdout.contains("NAME_NEAR_MATCH"), "{}", list.stdout);
    // NIKs are masked in the listing.
    let near_nik = cases.iter().find(|c| c.label == "name-near-match").unwrap();
    assert!(!list.stdout.contains(&near_nik.app.nik), "{}", list.stdout);
    assert!(
        list.stdout.contains("3 application(s) wait"),
        "{}",
        list.stdout
    );

    run(
        Some(&config),
        &["review", "approve", &near, "--by", "Siti Kasi"],
    )
    .expect_code(0);
    let show = run(Some(&config), &["applications", "show", &near]).expect_code(0);
    assert!(show.stdout.contains("VERIFIED"), "{}", show.stdout);
    assert!(
        show.stdout
            .contains("operator:Siti Kasi  approved in review"),
        "{}",
        show.stdout
    );

    // Without --by, the login user decides.
    let out = run_env(
        &config,
        &["review", "reject", &kk, "--reason", "name_mismatch"],
        &[("USER", "kabid")],
    )
    .expect_code(0);
    assert!(out.stdout.contains("NAME_MISMATCH"), "{}", out.stdout);
    let show = run(Some(&config), &["applications", "show", &kk]).expect_code(0);
    assert!(
        show.stdout
            .contains("operator:kabid  rejected in review: NAME_MISMATCH"),
        "{}",
        show.stdout
    );

    run(
        Some(&config),
        &[
            "review",
            "reject",
            &unreadable,
            "--reason",
            "KK fotokopi tidak terbaca",
            "--by",
            "Siti Kasi",
        ],
    )
    .expect_code(0);
    let after = outcomes(&config);
    assert_eq!(after["name-near-match"], ("VERIFIED".into(), vec![]));
    assert_eq!(
        after["kk-mismatch"],
        ("REJECTED".into(), vec!["NAME_MISMATCH".to_string()])
    );
    assert_eq!(
        after["kk-unreadable"],
        ("REJECTED".into(), vec!["OPERATOR_REJECTED".to_string()])
    );
    let show = run(Some(&config), &["applications", "show", &unreadable]).expect_code(0);
    assert!(
        show.stdout
            .contains("rejected in review: KK fotokopi tidak terbaca"),
        "{}",
        show.stdout
    );

    // Deciding twice, or something not in review, changes nothing.
    let out = run(Some(&config), &["review", "approve", &near, "--by", "x"]).expect_code(3);
    assert!(
        out.stderr.contains("not REVIEW as expected"),
        "{}",
        out.stderr
    );
    let empty = run(Some(&config), &["review", "list"]).expect_code(0);
    assert!(empty.stdout.contains("queue is empty"), "{}", empty.stdout);
}
