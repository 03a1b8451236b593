//! Print batches end to end on the committed sample office: `sigap nightly`
//! makes batches in the hot folder and their rekaps, the station operator
//! confirms them (two spoiled cards), `sigap station results` applies that,
//! and the spoiled cards are printed in the next nightly. Rekap PDFs are read
//! back with poppler's `pdftotext`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde_json::Value;

use crate::support::{Run, copy_office, repo_root, sigap, tree};

fn office(tmp: &Path) -> PathBuf {
    let dir = tmp.join("office");
    copy_office(&repo_root().join("sample-data"), &dir);
    dir.join("sigap.toml")
}

fn sg(cfg: &Path, args: &[&str]) -> Run {
    let mut c = sigap();
    c.env("SIGAP_INGEST_SETTLE_MS", "0");
    c.arg("--config").arg(cfg).args(args);
    c.output().expect("sigap runs").into()
}

fn apps(cfg: &Path) -> Vec<Value> {
    let out = sg(cfg, &["applications", "list", "--json"]).expect_code(0);
    serde_json::from_str(&out.stdout).unwrap()
}

fn blanko(cfg: &Path) -> Value {
    let out = sg(cfg, &["blanko", "status", "--json"]).expect_code(0);
    serde_json::from_str(&out.stdout).unwrap()
}

/// Batch folders in spool/outgoing, by name.
fn batches(office: &Path) -> BTreeSet<String> {
    std::fs::read_dir(office.join("spool/outgoing"))
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| !n.starts_with('.'))
                .collect()
        })
        .unwrap_or_default()
}

/// (application id, nik, name) of each card of a batch, from its cards.csv.
fn cards(office: &Path, batch: &str) -> Vec<(String, String, String)> {
    let path = office.join("spool/outgoing").join(batch).join("cards.csv");
    let mut r = csv::Reader::from_path(&path).unwrap();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            (rec[0].to_string(), rec[1].to_string(), rec[2].to_string())
        })
        .collect()
}

fn pdftotext(pdf: &Path) -> String {
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", pdf.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext runs (./scripts/test installs poppler-utils)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Every file under `dir` with its content and modification time.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, (Vec<u8>, SystemTime)> {
    if !dir.exists() {
        return BTreeMap::new();
    }
    tree(dir)
        .into_iter()
        .map(|(rel, bytes)| {
            let modified = std::fs::metadata(dir.join(&rel))
                .unwrap()
                .modified()
                .unwrap();
            (rel, (bytes, modified))
        })
        .collect()
}

fn ktp_verified(all: &[Value]) -> usize {
    all.iter()
        .filter(|a| a["state"] == "VERIFIED" && a["service"].as_str().unwrap().starts_with("ktp"))
        .count()
}

#[test]
fn nightly_batches_the_station_prints_spoiled_cards_come_back_and_the_ledger_balances() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = office(tmp.path());
    let office = cfg.parent().unwrap().to_path_buf();

    // Without stock nothing is batched, and status says why.
    sg(&cfg, &["ingest"]).expect_code(1);
    sg(&cfg, &["verify"]).expect_code(1);
    let waiting = ktp_verified(&apps(&cfg));
    assert!(waiting > 50, "{waiting} verified KTP-el applications");
    let status = sg(&cfg, &["status"]).expect_code(0);
    assert!(
        status
            .stdout
            .contains(&format!("waiting {waiting:>5}: no blanko stock")),
        "{}",
        status.stdout
    );

    let out = sg(
        &cfg,
        &["blanko", "receive", "1000", "--ref", "BAST-2026-11-01"],
    )
    .expect_code(0);
    assert!(out.stdout.contains("available 1000"), "{}", out.stdout);
    // The same delivery twice is refused, not counted twice.
    let again = sg(
        &cfg,
        &["blanko", "receive", "1000", "--ref", "BAST-2026-11-01"],
    )
    .expect_code(1);
    assert!(
        again.stdout.contains("already received"),
        "{}",
        again.stdout
    );
    assert_eq!(blanko(&cfg)["received"].as_u64(), Some(1000));

    // Ingest and verify ran above: the night only batches and writes rekaps.
    let night = sg(&cfg, &["nightly"]).expect_code(0);
    for step in ["== ingest", "== verify", "== batch", "== rekap"] {
        assert!(night.stdout.contains(step), "{}", night.stdout);
    }
    let made = batches(&office);
    assert!(!made.is_empty(), "{}", night.stdout);
    let all = apps(&cfg);
    let dispatched: Vec<&Value> = all.iter().filter(|a| a["state"] == "DISPATCHED").collect();
    assert_eq!(
        dispatched.len(),
        waiting,
        "every verified KTP-el card went out"
    );
    assert_eq!(ktp_verified(&all), 0);
    let b = blanko(&cfg);
    assert_eq!(
        (b["reserved"].as_u64(), b["available"].as_u64()),
        (Some(waiting as u64), Some(1000 - waiting as u64))
    );

    // One folder per batch with the manifest, and a rekap per batch that
    // lists every card by name, with totals and both signature labels.
    let mut card_count = 0;
    for batch in &made {
        let dir = office.join("spool/outgoing").join(batch);
        let manifest: Value =
            serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
        let cs = cards(&office, batch);
        assert_eq!(manifest["card_count"].as_u64(), Some(cs.len() as u64));
        card_count += cs.len();
        let kec = manifest["kecamatan"].as_str().unwrap();
        for (id, _, _) in &cs {
            let app = all.iter().find(|a| a["id"] == id.as_str()).unwrap();
            assert_eq!(app["batch"], batch.as_str());
            assert_eq!(app["kecamatan"], kec, "batches are per pickup kecamatan");
        }
        let text = pdftotext(&office.join(format!("out/rekap/rekap-{batch}.pdf")));
        for (_, _, name) in &cs {
            assert!(text.contains(name.as_str()), "{batch}: {name} missing");
        }
        assert!(
            text.contains(&format!("Jumlah seluruhnya: {} kartu", cs.len())),
            "{text}"
        );
        assert!(text.contains("Yang Menyerahkan") && text.contains("Yang Menerima"));
        assert!(office.join(format!("out/rekap/rekap-{batch}.csv")).exists());
    }
    assert_eq!(card_count, waiting);

    // Re-running nightly on the unchanged office writes nothing new.
    let spool_before = snapshot(&office.join("spool"));
    let out_before = snapshot(&office.join("out"));
    let again = sg(&cfg, &["nightly"]).expect_code(0);
    assert!(
        again
            .stdout
            .contains("batch: batches 0 (0 cards), dispatched 0"),
        "{}",
        again.stdout
    );
    assert_eq!(snapshot(&office.join("spool")), spool_before);
    assert_eq!(snapshot(&office.join("out")), out_before);

    // The station: list, then confirm every batch; two cards of the first
    // are spoiled.
    let list = sg(&cfg, &["station", "list"]).expect_code(0);
    let first = made.iter().next().unwrap().clone();
    assert!(list.stdout.contains(&first), "{}", list.stdout);
    let first_cards = cards(&office, &first);
    assert!(first_cards.len() >= 3);
    let spoiled: Vec<&(String, String, String)> = first_cards.iter().take(2).collect();
    let spec = format!(
        "{}:9000000001:pita macet,{}:9000000002:chip gagal",
        spoiled[0].1, spoiled[1].1
    );
    sg(&cfg, &["station", "confirm", &first, "--spoiled", &spec]).expect_code(0);
    for batch in made.iter().skip(1) {
        sg(&cfg, &["station", "confirm", batch]).expect_code(0);
    }
    let res = sg(&cfg, &["station", "results"]).expect_code(0);
    assert!(
        res.stdout.contains(&format!(
            "printed {}, spoiled 2, failed 0, rejected 0",
            waiting - 2
        )),
        "{}",
        res.stdout
    );
    let all = apps(&cfg);
    for (id, _, _) in &spoiled {
        let app = all.iter().find(|a| a["id"] == id.as_str()).unwrap();
        assert_eq!(app["state"], "VERIFIED", "{id} is queued again");
        assert_eq!(app["batch"], Value::Null);
    }
    assert_eq!(
        all.iter().filter(|a| a["state"] == "PRINTED").count(),
        waiting - 2
    );
    let b = blanko(&cfg);
    assert_eq!(b["used"].as_u64(), Some(waiting as u64 - 2));
    assert_eq!(b["spoiled"].as_u64(), Some(2));
    assert_eq!(b["reserved"].as_u64(), Some(0));
    assert_eq!(b["available"].as_u64(), Some(1000 - waiting as u64));
    // Applying the same results again changes nothing.
    let res = sg(&cfg, &["station", "results"]).expect_code(0);
    assert!(
        res.stdout.contains("printed 0, spoiled 0"),
        "{}",
        res.stdout
    );

    // The next nightly prints the two spoiled cards in a new batch.
    sg(&cfg, &["nightly"]).expect_code(0);
    let second: Vec<String> = batches(&office).difference(&made).cloned().collect();
    assert_eq!(second.len(), 1, "{second:?}");
    let ids: BTreeSet<String> = cards(&office, &second[0])
        .into_iter()
        .map(|c| c.0)
        .collect();
    let want: BTreeSet<String> = spoiled.iter().map(|c| c.0.clone()).collect();
    assert_eq!(ids, want);
    sg(&cfg, &["station", "confirm", &second[0]]).expect_code(0);
    sg(&cfg, &["station", "results"]).expect_code(0);
    let all = apps(&cfg);
    assert_eq!(
        all.iter().filter(|a| a["state"] == "PRINTED").count(),
        waiting
    );
    let b = blanko(&cfg);
    assert_eq!(b["used"].as_u64(), Some(waiting as u64));
    assert_eq!(b["spoiled"].as_u64(), Some(2));
    assert_eq!(b["reserved"].as_u64(), Some(0));
    assert_eq!(b["available"].as_u64(), Some(1000 - waiting as u64 - 2));
    assert_eq!(b["received"].as_u64(), Some(1000));

    // The day's Rekap Cetak KTP-el lists every printed card once.
    sg(&cfg, &["rekap"]).expect_code(0);
    let daily: Vec<PathBuf> = std::fs::read_dir(office.join("out/rekap"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            n.starts_with("rekap-cetak-") && n.ends_with(".pdf")
        })
        .collect();
    assert_eq!(daily.len(), 1, "{daily:?}");
    let text = pdftotext(&daily[0]);
    assert!(
        text.contains(&format!("Jumlah seluruhnya: {waiting} kartu")),
        "{text}"
    );
    assert!(text.contains("Blanko rusak (spoiled): 2 keping"), "{text}");
}

#[test]
fn station_results_that_do_not_fit_are_rejected_with_file_line_and_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = office(tmp.path());
    let office = cfg.parent().unwrap().to_path_buf();
    sg(&cfg, &["blanko", "receive", "1000", "--ref", "BAST-1"]).expect_code(0);
    sg(&cfg, &["nightly"]).expect_code(1);
    let made = batches(&office);
    let first = made.iter().next().unwrap();
    let cs = cards(&office, first);
    let results = office.join("spool/results");
    std::fs::create_dir_all(&results).unwrap();
    let mut text = String::from("application_id,nik,result,blanko_serial,reason\n");
    text += &format!("{},{},PRINTED,0000000001,\n", cs[0].0, cs[0].1);
    text += &format!("{},{},PRINTED,0000000002,\n", cs[0].0, cs[0].1);
    text += &format!("A-999999,{},PRINTED,0000000003,\n", cs[1].1);
    text += &format!("{},{},BURNT,0000000004,\n", cs[1].0, cs[1].1);
    std::fs::write(results.join(format!("{first}.csv")), text).unwrap();
    std::fs::write(
        results.join("B-20000101-NOWHERE-1.csv"),
        "application_id,nik,result,blanko_serial,reason\n",
    )
    .unwrap();
    let out = sg(&cfg, &["station", "results"]).expect_code(1);
    for want in [
        format!("rejected {first}.csv:3 DUPLICATE_RESULT"),
        format!("rejected {first}.csv:4 UNKNOWN_CARD"),
        format!("rejected {first}.csv:5 MALFORMED_RESULT"),
        "rejected B-20000101-NOWHERE-1.csv:0 UNKNOWN_BATCH".to_string(),
        "printed 1,".to_string(),
    ] {
        assert!(out.stdout.contains(&want), "{want}\n{}", out.stdout);
    }
    // No NIK in what is printed about the rejects.
    assert!(!out.stdout.contains(&cs[1].1), "{}", out.stdout);
    let q = sg(&cfg, &["quarantine", "list", "--json"]).expect_code(0);
    let q: Vec<Value> = serde_json::from_str(&q.stdout).unwrap();
    let station: Vec<&Value> = q.iter().filter(|e| e["channel"] == "station").collect();
    assert_eq!(station.len(), 4, "{q:?}");
}

#[test]
fn a_dry_run_nightly_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = office(tmp.path());
    let office = cfg.parent().unwrap().to_path_buf();
    sg(&cfg, &["blanko", "receive", "1000", "--ref", "BAST-1"]).expect_code(0);
    sg(&cfg, &["ingest"]).expect_code(1);
    sg(&cfg, &["verify"]).expect_code(1);
    let before = apps(&cfg);
    let out = sg(&cfg, &["nightly", "--dry-run"]).expect_code(0);
    assert!(out.stdout.contains("would make B-"), "{}", out.stdout);
    assert!(
        out.stdout.contains("dry run: nothing was written"),
        "{}",
        out.stdout
    );
    assert_eq!(apps(&cfg), before);
    assert!(batches(&office).is_empty());
    assert!(!office.join("out/rekap").exists());
}

/// Rewrites the office's population snapshot without the resident `nik`:
/// they died, moved away, or the replica is behind.
fn leave_population(office: &Path, nik: &str) {
    use polars::prelude::{
        BooleanChunked, NewChunkedArray, ParquetReader, ParquetWriter, SerReader,
    };
    let path = office.join("population.parquet");
    let df = ParquetReader::new(std::fs::File::open(&path).unwrap())
        .finish()
        .unwrap();
    let col = df.column("nik").unwrap();
    let keep: Vec<bool> = (0..df.height())
        .map(|i| {
            let v = col.get(i).unwrap();
            let text = match v {
                polars::prelude::AnyValue::String(s) => s.to_string(),
                other => other.to_string().trim_matches('"').to_string(),
            };
            text != nik
        })
        .collect();
    assert_eq!(keep.iter().filter(|k| !**k).count(), 1, "{nik} was there");
    let mut left = df
        .filter(&BooleanChunked::from_slice("keep".into(), &keep))
        .unwrap();
    ParquetWriter::new(std::fs::File::create(&path).unwrap())
        .finish(&mut left)
        .unwrap();
}

#[test]
fn a_card_whose_resident_left_the_population_goes_to_review_and_the_rest_go_out() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = office(tmp.path());
    let office = cfg.parent().unwrap().to_path_buf();
    sg(&cfg, &["blanko", "receive", "1000", "--ref", "BAST-1"]).expect_code(0);
    sg(&cfg, &["ingest"]).expect_code(1);
    sg(&cfg, &["verify"]).expect_code(1);
    let all = apps(&cfg);
    let waiting = ktp_verified(&all);
    let gone = all
        .iter()
        .find(|a| a["state"] == "VERIFIED" && a["service"].as_str().unwrap().starts_with("ktp"))
        .unwrap();
    let gone_id = gone["id"].as_str().unwrap().to_string();
    // Between verify and batch the resident leaves the population database.
    let nik: String = gone["nik"]
        .as_str()
        .unwrap()
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    leave_population(&office, &nik);

    // The night goes on: the batch goes out without that card, which waits
    // for a person in the review queue (exit 1, not a failed step).
    let night = sg(&cfg, &["nightly"]).expect_code(1);
    assert!(
        night
            .stdout
            .contains("to review: NOT_IN_POPULATION_AT_BATCH 1"),
        "{}",
        night.stdout
    );
    assert!(
        night.stdout.contains(&format!("warning: {gone_id}")),
        "{}",
        night.stdout
    );
    let all = apps(&cfg);
    let app = all.iter().find(|a| a["id"] == gone_id.as_str()).unwrap();
    assert_eq!(app["state"], "REVIEW");
    assert_eq!(
        app["reasons"],
        serde_json::json!(["NOT_IN_POPULATION_AT_BATCH"])
    );
    assert_eq!(app["batch"], Value::Null);
    assert_eq!(
        all.iter().filter(|a| a["state"] == "DISPATCHED").count(),
        waiting - 1,
        "every other verified card went out"
    );
    let mut printed_ids = BTreeSet::new();
    for batch in batches(&office) {
        for (id, _, _) in cards(&office, &batch) {
            printed_ids.insert(id);
        }
        assert!(office.join(format!("out/rekap/rekap-{batch}.pdf")).exists());
    }
    assert_eq!(printed_ids.len(), waiting - 1);
    assert!(!printed_ids.contains(&gone_id));
    let b = blanko(&cfg);
    assert_eq!(
        (b["reserved"].as_u64(), b["available"].as_u64()),
        (Some(waiting as u64 - 1), Some(1001 - waiting as u64)),
        "{b}"
    );
    let review = sg(&cfg, &["review", "list"]);
    assert!(review.stdout.contains(&gone_id), "{}", review.stdout);

    // The next night does not fail either, and nothing is left BATCHED.
    let again = sg(&cfg, &["nightly"]);
    assert!(again.code == 0 || again.code == 1, "{}", again.stdout);
    assert!(
        again
            .stdout
            .contains("batch: batches 0 (0 cards), dispatched 0"),
        "{}",
        again.stdout
    );
    assert!(apps(&cfg).iter().all(|a| a["state"] != "BATCHED"));
}

#[test]
fn a_history_office_runs_every_job() {
    // Two weeks of history (small, for CI time) before the inbox's week.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("office");
    crate::support::run(
        None,
        &[
            "sample-data",
            dir.to_str().unwrap(),
            "--as-of",
            "2026-11-20",
            "--weeks",
            "2",
        ],
    )
    .expect_code(0);
    let cfg = dir.join("sigap.toml");
    // The history's batches are in the hot folder as a night leaves them.
    let made = batches(&dir);
    assert!(!made.is_empty());
    for batch in &made {
        assert!(!cards(&dir, batch).is_empty(), "{batch}");
    }
    // Those the station answered have their results file (the last nights'
    // batches are still at the station).
    let answered = made
        .iter()
        .filter(|b| dir.join("spool/results").join(format!("{b}.csv")).exists())
        .count();
    assert!(answered > 0, "{made:?}");
    sg(&cfg, &["blanko", "receive", "1000", "--ref", "BAST-E2E"]).expect_code(0);
    let never_failed = |args: &[&str]| {
        let run = sg(&cfg, args);
        assert!(
            run.code == 0 || run.code == 1,
            "{args:?} exited {}; stdout:\n{}\nstderr:\n{}",
            run.code,
            run.stdout,
            run.stderr
        );
        run
    };
    let night = never_failed(&["nightly"]);
    for step in ["== batch", "== rekap"] {
        assert!(night.stdout.contains(step), "{}", night.stdout);
    }
    assert!(
        apps(&cfg).iter().all(|a| a["state"] != "BATCHED"),
        "{}",
        night.stdout
    );
    let results = never_failed(&["station", "results"]);
    assert!(results.stdout.contains("rejected 0"), "{}", results.stdout);
    never_failed(&["pickups", "import"]);
    // The history's pickups surrendered old cards: the month has bundles.
    let archive = never_failed(&["archive", "--month", "2026-11"]);
    let written: usize = archive
        .stdout
        .split("bundles written ")
        .nth(1)
        .and_then(|r| r.split(',').next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no bundle count in:\n{}", archive.stdout));
    assert!(written > 0, "{}", archive.stdout);
    never_failed(&[
        "report",
        "sla",
        "--from",
        "2026-11-06",
        "--to",
        "2026-11-19",
    ]);
    // And the next night too.
    never_failed(&["nightly"]);
}
