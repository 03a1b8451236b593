//! Outages of what the night depends on, one test each: the mail server
//! down, PostgreSQL down or cutting the connection mid-query, the station
//! silent for days, the disk full while a rekap is written. Each time the
//! job that needs it fails clearly, the other steps run, nothing is lost or
//! half done, and the next run recovers.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::pg::Postgres;
use crate::smtp::{Smtp, free_port};
use crate::support::{Run, copy_office, repo_root, sigap};

fn office(tmp: &Path, name: &str) -> PathBuf {
    let dir = tmp.join(name);
    copy_office(&repo_root().join("sample-data"), &dir);
    dir.join("sigap.toml")
}

fn sg(cfg: &Path, env: &[(&str, &str)], args: &[&str]) -> Run {
    let mut c = sigap();
    c.env("SIGAP_INGEST_SETTLE_MS", "0");
    for (k, v) in env {
        c.env(k, v);
    }
    c.arg("--config").arg(cfg).args(args);
    c.output().expect("sigap runs").into()
}

fn json(cfg: &Path, args: &[&str]) -> Value {
    let out = sg(cfg, &[], args).expect_code(0);
    serde_json::from_str(&out.stdout).unwrap()
}

/// Application id → state.
fn states(cfg: &Path) -> BTreeMap<String, String> {
    json(cfg, &["applications", "list", "--json"])
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["id"].as_str().unwrap().to_string(),
                a["state"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The latest recorded run of a job.
fn last_run(cfg: &Path, job: &str) -> Value {
    json(cfg, &["jobs", "history", "--job", job, "--json"])[0].clone()
}

#[test]
fn smtp_down_fails_notify_alone_and_the_next_night_sends_each_notice_once() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = office(tmp.path(), "office");
    sg(&cfg, &[], &["ingest"]).expect_code(1);
    sg(&cfg, &[], &["verify"]).expect_code(1);
    sg(&cfg, &[], &["blanko", "receive", "1000", "--ref", "BAST-1"]).expect_code(0);
    // Nothing listens on the port: the server is down.
    let port = free_port();
    let url = format!("smtp://127.0.0.1:{port}");
    let env = [("SIGAP_SMTP_URL", url.as_str())];
    let due_before = json(&cfg, &["notices", "list", "--json"]);
    let due_before = due_before.as_array().unwrap();
    assert!(due_before.len() > 10, "{due_before:?}");

    let night = sg(&cfg, &env, &["nightly"]).expect_code(3);
    // notify failed, naming the server and what happened…
    assert!(
        night.stdout.contains("notify") && night.stdout.contains(&format!("127.0.0.1:{port}")),
        "{}",
        night.stdout
    );
    assert!(
        night.stdout.contains("nightly: failed: notify"),
        "{}",
        night.stdout
    );
    println!(
        "smtp down: {}",
        night
            .stdout
            .lines()
            .find(|l| l.contains("notify failed"))
            .unwrap_or("")
    );
    // …and the other steps ran: batches went out, their rekaps were written.
    let outgoing = cfg.parent().unwrap().join("spool/outgoing");
    let batches = std::fs::read_dir(&outgoing).unwrap().count();
    assert!(batches > 0, "{}", night.stdout);
    let rekaps = std::fs::read_dir(cfg.parent().unwrap().join("out/rekap"))
        .unwrap()
        .count();
    // PDF, CSV and xlsx per batch.
    assert_eq!(rekaps, 3 * batches, "{}", night.stdout);
    // Every notice still due, none charged an attempt.
    let after = json(&cfg, &["notices", "list", "--json"]);
    let after = after.as_array().unwrap();
    assert_eq!(after.len(), due_before.len());
    for n in after {
        assert_eq!(n["state"], "DUE", "{n}");
        assert_eq!(n["attempts"], 0, "{n}");
    }
    assert_eq!(last_run(&cfg, "notify")["outcome"], "failed");

    // The server is back: the next night sends each notice once.
    let smtp = Smtp::start(tmp.path(), port);
    let night = sg(&cfg, &env, &["nightly"]);
    assert!(night.stdout.contains("nightly: steps"), "{}", night.stdout);
    let sent = json(&cfg, &["notices", "list", "--json"]);
    let sent = sent.as_array().unwrap();
    let mut ids = BTreeMap::new();
    for raw in smtp.messages() {
        let m = mail_parser::MessageParser::default().parse(&raw).unwrap();
        *ids.entry(format!("<{}>", m.message_id().unwrap()))
            .or_insert(0) += 1;
    }
    assert_eq!(ids.len(), sent.len(), "{}", smtp.log());
    for n in sent {
        assert_eq!(n["state"], "SENT", "{n}");
        assert_eq!(ids.get(n["message_id"].as_str().unwrap()), Some(&1), "{n}");
    }
}

/// Loads the sample's population snapshot into `pg` with the shipped SQL.
fn load_population(pg: &Postgres, tmp: &Path) {
    let sql = repo_root().join("pipeline/sql/population.sql");
    pg.psql(&["-f", sql.to_str().unwrap()]);
    let parquet = std::fs::File::open(repo_root().join("sample-data/population.parquet")).unwrap();
    use polars::prelude::SerReader;
    let df = polars::prelude::ParquetReader::new(parquet)
        .finish()
        .unwrap();
    let csv = tmp.join("population.csv");
    std::fs::write(&csv, crate::verify::population_csv(&df)).unwrap();
    let columns: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|c| c.to_string())
        .collect();
    // World-readable: under root the server side runs as `postgres`, but
    // \copy reads the file in psql, as us.
    pg.psql(&[
        "-c",
        &format!(
            "\\copy penduduk ({}) FROM '{}' CSV HEADER",
            columns.join(", "),
            csv.display()
        ),
    ]);
}

/// Every application RECEIVED, and no decision in the event log.
#[track_caller]
fn nothing_decided(cfg: &Path, before: &BTreeMap<String, String>) {
    let now = states(cfg);
    assert_eq!(&now, before);
    assert!(now.values().all(|s| s == "RECEIVED"), "{now:?}");
    // The event log has each application's arrival and nothing after it.
    let db = cfg.parent().unwrap().join("data/sigap.db");
    let events = pipeline::store::Store::open(&db)
        .unwrap()
        .all_events()
        .unwrap();
    assert_eq!(events.len(), now.len());
    assert!(events.iter().all(|e| e.from.is_none()), "{events:?}");
}

#[test]
fn postgres_down_or_cutting_the_connection_mid_query_decides_nothing_and_the_next_run_recovers() {
    let tmp = tempfile::tempdir().unwrap();
    let pg = Postgres::start();
    load_population(&pg, tmp.path());
    let url = pg.url();
    let env = [("SIGAP_POPULATION_URL", url.as_str())];
    let server = format!("postgres://127.0.0.1:{}", url.split(':').nth(2).unwrap());
    let server = server.split('/').take(3).collect::<Vec<_>>().join("/");

    // 1. The server is down for the whole night.
    let cfg = office(tmp.path(), "down");
    sg(&cfg, &[], &["ingest"]).expect_code(1);
    let received = states(&cfg);
    pg.stop_immediately();
    let night = sg(&cfg, &env, &["nightly"]).expect_code(3);
    assert!(night.stdout.contains("verify failed:"), "{}", night.stdout);
    println!(
        "postgres down: {}",
        night
            .stdout
            .lines()
            .find(|l| l.contains("verify failed"))
            .unwrap()
    );
    assert!(night.stdout.contains(&server), "{}", night.stdout);
    for step in [
        "== batch",
        "== rekap",
        "== notify",
        "nightly: failed: verify\n",
    ] {
        assert!(night.stdout.contains(step), "{}", night.stdout);
    }
    nothing_decided(&cfg, &received);
    assert_eq!(last_run(&cfg, "verify")["outcome"], "failed");
    // Back up: the next run decides every application, as the manifest says.
    pg.restart();
    let out = sg(&cfg, &env, &["verify"]).expect_code(1);
    assert!(
        out.stdout.contains("decided against PostgreSQL"),
        "{}",
        out.stdout
    );
    let counts = decided_counts(&cfg);
    let manifest: Value = serde_json::from_slice(
        &std::fs::read(repo_root().join("sample-data/manifest.json")).unwrap(),
    )
    .unwrap();
    let want: BTreeMap<String, u64> = manifest["expected"]["verify"]["states"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
        .collect();
    assert_eq!(counts, want);

    // 2. The connection is cut while the lookup runs: a second session
    // locks the table so the lookup waits, then terminates its backend.
    let cfg = office(tmp.path(), "cut");
    sg(&cfg, &[], &["ingest"]).expect_code(1);
    let received = states(&cfg);
    let mut locker = pg
        .psql_command()
        .arg("-At")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut to_locker = locker.stdin.take().unwrap();
    writeln!(
        to_locker,
        "BEGIN; LOCK TABLE penduduk IN ACCESS EXCLUSIVE MODE; SELECT 'locked';"
    )
    .unwrap();
    let mut from_locker = BufReader::new(locker.stdout.take().unwrap());
    let mut line = String::new();
    from_locker.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "locked");
    let mut verify = sigap();
    verify
        .env("SIGAP_POPULATION_URL", &url)
        .arg("--config")
        .arg(&cfg)
        .arg("verify")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let verify = verify.spawn().unwrap();
    // Wait until its query waits on the lock, then cut it.
    let started = Instant::now();
    let waiting = "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()";
    loop {
        let out = pg
            .psql_command()
            .args(["-At", "-c", waiting])
            .output()
            .unwrap();
        let pid = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if !pid.is_empty() {
            let kill = format!("SELECT pg_terminate_backend({pid})");
            pg.psql(&["-At", "-c", &kill]);
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "sigap verify never queried the locked table"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let out: Run = verify.wait_with_output().unwrap().into();
    let out = out.expect_code(3);
    let said = format!("{}{}", out.stdout, out.stderr);
    assert!(said.contains(&server), "{said}");
    assert!(said.contains("the connection was lost"), "{said}");
    assert!(!said.contains("the table needs the columns"), "{said}");
    println!("connection cut: {}", said.trim());
    writeln!(to_locker, "ROLLBACK;").unwrap();
    drop(to_locker);
    locker.wait().unwrap();
    nothing_decided(&cfg, &received);
    assert_eq!(last_run(&cfg, "verify")["outcome"], "failed");
    sg(&cfg, &env, &["verify"]).expect_code(1);
    assert_eq!(decided_counts(&cfg), want);
}

/// How many applications each decision moved out of RECEIVED to.
fn decided_counts(cfg: &Path) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for (_, s) in states(cfg) {
        *out.entry(s).or_default() += 1;
    }
    out
}

/// A tmpfs of `size` mounted on `dir` for the rest of this process, in a
/// private mount namespace (see `in_mount_namespace`).
fn mount_tmpfs(dir: &Path, size: &str) {
    std::fs::create_dir_all(dir).unwrap();
    let out = Command::new("mount")
        .args([
            "-t",
            "tmpfs",
            "-o",
            &format!("size={size},mode=0700"),
            "tmpfs",
        ])
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "mount tmpfs: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs the calling test again, alone, in a private mount namespace
/// (`unshare --mount`, with `--user --map-root-user` when not root), so it
/// can mount a small tmpfs without touching the machine's mounts. Returns
/// true inside the namespace (go on), false outside once the inner run
/// passed.
fn in_mount_namespace(test: &str) -> bool {
    const INSIDE: &str = "SIGAP_TEST_MOUNT_NS";
    if std::env::var_os(INSIDE).is_some() {
        return true;
    }
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    let mut c = Command::new("unshare");
    if !root {
        c.args(["--user", "--map-root-user"]);
    }
    c.args(["--mount", "--propagation", "private"])
        .arg(std::env::current_exe().unwrap())
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(INSIDE, "1");
    let out = c.output().expect("unshare runs (util-linux)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "in the mount namespace:\n{text}");
    assert!(text.contains("1 passed"), "the test did not run:\n{text}");
    false
}

#[test]
fn disk_full_fails_the_rekap_naming_the_file_leaves_no_partial_file_and_the_next_run_writes_it() {
    if !in_mount_namespace(
        "outages::disk_full_fails_the_rekap_naming_the_file_leaves_no_partial_file_and_the_next_run_writes_it",
    ) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let cfg = office(tmp.path(), "office");
    let office = cfg.parent().unwrap().to_path_buf();
    sg(&cfg, &[], &["ingest"]).expect_code(1);
    sg(&cfg, &[], &["verify"]).expect_code(1);
    sg(&cfg, &[], &["blanko", "receive", "1000", "--ref", "BAST-1"]).expect_code(0);
    // out/ on a 1 MiB tmpfs, filled up but for 64 KiB: a few rekaps fit.
    let out_dir = office.join("out");
    mount_tmpfs(&out_dir, "1m");
    let filler = out_dir.join("filler");
    let status = Command::new("dd")
        .args(["if=/dev/zero", "bs=4096"])
        .arg(format!("of={}", filler.display()))
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(!status.success(), "dd stops when the disk is full");
    let full = std::fs::metadata(&filler).unwrap().len();
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(&filler)
        .unwrap();
    f.set_len(full - 64 * 1024).unwrap();
    drop(f);

    let night = sg(&cfg, &[], &["nightly"]).expect_code(3);
    assert!(
        night.stdout.contains("nightly: failed: rekap"),
        "{}",
        night.stdout
    );
    let failed = night
        .stdout
        .lines()
        .find(|l| l.starts_with("rekap failed:"))
        .unwrap_or_else(|| panic!("{}", night.stdout));
    assert!(failed.contains("out/rekap/rekap-"), "{failed}");
    println!("disk full: {failed}");
    assert!(failed.contains("No space left on device"), "{failed}");
    assert!(failed.contains("run `sigap rekap` again"), "{failed}");
    // The other steps ran: batches went out, notify ran after the rekap.
    assert!(
        night.stdout.contains("spool/outgoing/B-"),
        "{}",
        night.stdout
    );
    assert!(
        night.stdout.contains("== notify\nnotify:"),
        "{}",
        night.stdout
    );
    assert_eq!(last_run(&cfg, "rekap")["outcome"], "failed");
    // What was written is whole; nothing else is there, no temp file.
    let rekap_dir = out_dir.join("rekap");
    let written: BTreeMap<String, Vec<u8>> = std::fs::read_dir(&rekap_dir)
        .unwrap()
        .map(|e| e.unwrap())
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    assert!(
        written.keys().all(|n| !n.starts_with('.')),
        "{:?}",
        written.keys()
    );
    let batches: Vec<String> = std::fs::read_dir(office.join("spool/outgoing"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        written.len() < 3 * batches.len(),
        "the disk did not fill up"
    );

    // Space is freed: the next run writes the rest, and what was there
    // before is the same bytes (so it was whole).
    std::fs::remove_file(&filler).unwrap();
    let night = sg(&cfg, &[], &["nightly"]);
    assert!(night.stdout.contains("nightly: steps"), "{}", night.stdout);
    for b in &batches {
        for ext in ["pdf", "csv", "xlsx"] {
            assert!(
                rekap_dir.join(format!("rekap-{b}.{ext}")).is_file(),
                "rekap-{b}.{ext}"
            );
        }
    }
    for (name, bytes) in &written {
        assert_eq!(
            &std::fs::read(rekap_dir.join(name)).unwrap(),
            bytes,
            "{name}"
        );
    }
    assert_eq!(last_run(&cfg, "rekap")["outcome"], "ok");
}

#[test]
fn station_silent_for_days_is_named_with_each_batch_and_its_age_and_blocks_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = office(tmp.path(), "office");
    let office = cfg.parent().unwrap().to_path_buf();
    sg(&cfg, &[], &["ingest"]).expect_code(1);
    sg(&cfg, &[], &["verify"]).expect_code(1);
    sg(&cfg, &[], &["blanko", "receive", "40", "--ref", "BAST-1"]).expect_code(0);
    sg(&cfg, &[], &["nightly"]).expect_code(0);
    let silent: Vec<String> = std::fs::read_dir(office.join("spool/outgoing"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!silent.is_empty());

    // Ten days pass without a results file (whatever weekday the test runs
    // on, that holds full office days): the batches went out then.
    let ten_days_ago = chrono::Utc::now() - chrono::Duration::hours(241);
    let db = rusqlite::Connection::open(office.join("data/sigap.db")).unwrap();
    db.execute(
        "UPDATE batches SET dispatched_at = ?1",
        [ten_days_ago.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)],
    )
    .unwrap();
    drop(db);

    // The nightly names each silent batch with its age, exits 1 (a person
    // must look), and everything else still runs: with new stock, the
    // cards that waited go out in new batches, their rekaps are written.
    sg(&cfg, &[], &["blanko", "receive", "1000", "--ref", "BAST-2"]).expect_code(0);
    let night = sg(&cfg, &[], &["nightly"]).expect_code(1);
    for b in &silent {
        assert!(
            night
                .stdout
                .contains(&format!("warning: {b}: dispatched 10 days ago (")),
            "{b}:\n{}",
            night.stdout
        );
    }
    println!(
        "station silent: {}",
        night
            .stdout
            .lines()
            .find(|l| l.starts_with("warning: B-"))
            .unwrap()
    );
    assert!(night.stdout.contains("nightly: steps"), "{}", night.stdout);
    let now_out: Vec<String> = std::fs::read_dir(office.join("spool/outgoing"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(now_out.len() > silent.len(), "{}", night.stdout);
    for b in &now_out {
        assert!(
            office.join(format!("out/rekap/rekap-{b}.pdf")).is_file(),
            "{b}"
        );
    }
    assert_eq!(last_run(&cfg, "batch")["outcome"], "attention");
    // status says it, in text and JSON; station results says it too.
    let status = sg(&cfg, &[], &["status"]).expect_code(0);
    assert!(
        status.stdout.contains(&format!(
            "Station: {} batch(es) without results for more than a day",
            silent.len()
        )),
        "{}",
        status.stdout
    );
    let overdue = json(&cfg, &["status", "--json"])["station_results_overdue"].clone();
    let named: Vec<&str> = overdue
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["batch"].as_str().unwrap())
        .collect();
    let mut want: Vec<&str> = silent.iter().map(String::as_str).collect();
    want.sort();
    let mut got = named.clone();
    got.sort();
    assert_eq!(got, want);
    let results = sg(&cfg, &[], &["station", "results"]).expect_code(1);
    assert!(results.stdout.contains("warning: B-"), "{}", results.stdout);
    // Their cards wait, DISPATCHED, nothing lost.
    let apps = json(&cfg, &["applications", "list", "--json"]);
    for b in &silent {
        let cards = apps
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["batch"].as_str() == Some(b.as_str()))
            .inspect(|a| assert_eq!(a["state"], "DISPATCHED", "{a}"))
            .count();
        assert!(cards > 0, "{b}");
    }

    // The station answers at last: the warnings go.
    for b in &now_out {
        sg(&cfg, &[], &["station", "confirm", b]).expect_code(0);
    }
    sg(&cfg, &[], &["station", "results"]).expect_code(0);
    let status = sg(&cfg, &[], &["status"]).expect_code(0);
    assert!(!status.stdout.contains("Station:"), "{}", status.stdout);
    let night = sg(&cfg, &[], &["nightly"]).expect_code(0);
    assert!(!night.stdout.contains("warning"), "{}", night.stdout);
}
