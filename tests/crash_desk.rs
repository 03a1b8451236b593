//! The crash test's second half: the commands after the night. On a copy
//! of the committed sample office, printed through the station, the real
//! `sigap handover`, `sigap arrived`, `sigap pickups import`, `sigap
//! archive` and `sigap report sla` are each killed with SIGKILL at seeded
//! random moments (up to how long the command last took), and run again,
//! as the operator or the next cron tick would; `sigap daemon` is killed
//! together with the nightly it runs (the whole process group, as a power
//! cut, the OOM killer or systemd stopping the unit's processes would) and
//! started again. One archive is killed exactly between writing its zip and
//! recording it: the test holds the store's write lock from the moment the
//! zip appears, so the archive waits at its commit, and kills it there.
//! After each command runs to the end the invariants are checked: every
//! card moved once (one event per move), every register row a pickup or a
//! quarantine entry once, every surrendered card in exactly one bundle and
//! every zip in `out/archive/` a recorded bundle with the recorded SHA-256
//! and those cards, the report's files whole, no temp file, no run left
//! `running`, the event log replaying to the current states.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{Datelike, FixedOffset, Timelike, Utc};
use pipeline::State;
use pipeline::domain::outcome::Outcome;
use pipeline::job::{Job, JobLock};
use pipeline::store::Store;

use crate::Rng;
use crate::support::{Run, copy_office, repo_root, sigap, tree, write_register};

/// Killed attempts of each batch's handover and of its arrival, before
/// the run that goes to the end.
const KILLS_PER_BATCH: usize = 2;
/// Killed attempts of each pickups import.
const KILLS_PER_IMPORT: usize = 3;
/// Killed attempts of the archive and of the SLA report, which run once
/// each, so they get more.
const KILLS_ONCE: usize = 10;

/// Runs and kills `sigap` commands on one office.
struct Killer {
    cfg: PathBuf,
    log: File,
    rng: Rng,
    /// How long each command took when it last ran to the end.
    took: BTreeMap<&'static str, Duration>,
    /// SIGKILLs that landed, by command.
    kills: BTreeMap<&'static str, u32>,
    /// Attempts, by command.
    runs: BTreeMap<&'static str, u32>,
}

impl Killer {
    fn new(cfg: &Path, log: &Path, seed: u64) -> Killer {
        Killer {
            cfg: cfg.to_path_buf(),
            log: File::create(log).unwrap(),
            rng: Rng(seed),
            took: BTreeMap::new(),
            kills: BTreeMap::new(),
            runs: BTreeMap::new(),
        }
    }

    fn office(&self) -> PathBuf {
        self.cfg.parent().unwrap().to_path_buf()
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = sigap();
        c.env("SIGAP_INGEST_SETTLE_MS", "0")
            .arg("--config")
            .arg(&self.cfg)
            .args(args);
        c
    }

    fn store(&self) -> Store {
        Store::open(&self.office().join("data/sigap.db")).unwrap()
    }

    /// Runs `sigap ARGS` to the end; `name` keys its duration.
    fn run(&mut self, name: &'static str, args: &[&str]) -> Run {
        *self.runs.entry(name).or_default() += 1;
        let started = Instant::now();
        let run: Run = self.command(args).output().expect("sigap runs").into();
        self.took.insert(name, started.elapsed());
        use std::io::Write;
        write!(self.log, "$ sigap {args:?}\n{}{}", run.stdout, run.stderr).unwrap();
        run
    }

    /// Starts `sigap ARGS` and kills it with SIGKILL at a moment drawn up to
    /// how long `name` last took. True if the kill landed (it had not
    /// ended by itself first).
    fn kill(&mut self, name: &'static str, args: &[&str]) -> bool {
        *self.runs.entry(name).or_default() += 1;
        let span = self
            .took
            .get(name)
            .copied()
            .unwrap_or(Duration::from_millis(300))
            .max(Duration::from_millis(5));
        let delay = Duration::from_micros(self.rng.below(span.as_micros() as u64 + 1));
        let mut child = self
            .command(args)
            .stdout(Stdio::null())
            .stderr(self.log.try_clone().unwrap())
            .spawn()
            .expect("sigap starts");
        let started = Instant::now();
        while started.elapsed() < delay {
            if let Some(_ended) = child.try_wait().unwrap() {
                self.took.insert(name, started.elapsed());
                return false;
            }
            std::thread::sleep(Duration::from_micros(500));
        }
        // SIGKILL: no handler, no cleanup, as a power cut.
        child.kill().unwrap();
        let killed = child.wait().unwrap().code().is_none();
        if killed {
            *self.kills.entry(name).or_default() += 1;
        }
        killed
    }

    /// `kills` killed attempts of `sigap ARGS`, then one to the end.
    fn under_fire(&mut self, name: &'static str, kills: usize, args: &[&str]) -> Run {
        for _ in 0..kills {
            self.kill(name, args);
        }
        self.run(name, args)
    }
}

/// (application id, nik) of each card of a batch folder.
fn cards(office: &Path, batch: &str) -> Vec<(String, String)> {
    let path = office.join("spool/outgoing").join(batch).join("cards.csv");
    let mut r = csv::Reader::from_path(&path).unwrap();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            (rec[0].to_string(), rec[1].to_string())
        })
        .collect()
}

/// Batch folders in spool/outgoing, by name.
fn batches(office: &Path) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(office.join("spool/outgoing"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    out.sort();
    out
}

/// Temp files and partial folders anywhere jobs write.
fn litter(office: &Path) -> Vec<PathBuf> {
    ["data", "out", "spool"]
        .iter()
        .filter(|d| office.join(d).is_dir())
        .flat_map(|d| {
            tree(&office.join(d))
                .into_iter()
                .map(move |(p, _)| Path::new(d).join(p))
        })
        .filter(|p| {
            p.components().any(|c| {
                let c = c.as_os_str().to_string_lossy();
                c.contains(".tmp") || c.ends_with(".partial")
            })
        })
        .collect()
}

/// The invariants every command keeps after any number of kills.
fn check_common(store: &Store, office: &Path) {
    let running: Vec<_> = store
        .runs(None, 100_000)
        .unwrap()
        .into_iter()
        .filter(|r| r.outcome == Outcome::Running)
        .map(|r| (r.id, r.job))
        .collect();
    assert!(running.is_empty(), "left running: {running:?}");
    let problems = store.check_consistency().unwrap();
    assert!(problems.is_empty(), "{problems:#?}");
    let litter = litter(office);
    assert!(litter.is_empty(), "left behind: {litter:?}");
}

/// Moves into `to` per application: (application, count of events into `to`).
fn moves_into(store: &Store, to: State) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for e in store.all_events().unwrap() {
        if e.to == to {
            *out.entry(e.application.to_string()).or_default() += 1;
        }
    }
    out
}

/// Zips in `out/archive/`, by name.
fn zips(office: &Path) -> BTreeSet<String> {
    let Ok(rd) = std::fs::read_dir(office.join("out/archive")) else {
        return BTreeSet::new();
    };
    rd.filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".zip") && !n.starts_with('.'))
        .collect()
}

/// The application ids a bundle's `manifest.csv` lists (read with unzip).
fn bundle_cards(zip: &Path) -> Vec<String> {
    let out = Command::new("unzip")
        .arg("-p")
        .arg(zip)
        .arg(pipeline::archive::MANIFEST)
        .output()
        .expect("unzip runs");
    assert!(out.status.success(), "unzip -p {}: {out:?}", zip.display());
    let mut r = csv::Reader::from_reader(&out.stdout[..]);
    r.records().map(|rec| rec.unwrap()[1].to_string()).collect()
}

/// Archive invariants: every zip is a recorded bundle with the recorded
/// SHA-256 (so no orphan and no second bundle), each surrendered card of
/// the month is ARCHIVED and in exactly one bundle, and each bundle holds
/// exactly the cards recorded as archived into it.
fn check_archive(store: &Store, office: &Path, surrendered: &BTreeSet<String>) {
    let bundles = store.bundles().unwrap();
    let recorded: BTreeSet<String> = bundles.iter().map(|b| b.file.clone()).collect();
    assert_eq!(zips(office), recorded, "zips on disk vs bundles recorded");
    let mut in_bundles: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for b in &bundles {
        let path = office.join("out/archive").join(&b.file);
        assert_eq!(
            pipeline::files::file_sha256(&path).unwrap(),
            b.sha256,
            "{}",
            b.file
        );
        let cards = bundle_cards(&path);
        assert_eq!(cards.len() as u64, b.cards, "{}", b.file);
        for c in cards {
            in_bundles.entry(c).or_default().push(b.file.clone());
        }
    }
    for (card, files) in &in_bundles {
        assert_eq!(files.len(), 1, "{card} is in {files:?}");
    }
    assert_eq!(
        in_bundles.keys().cloned().collect::<BTreeSet<_>>(),
        *surrendered
    );
    let archived = moves_into(store, State::Archived);
    for card in surrendered {
        assert_eq!(archived.get(card), Some(&1), "{card} archived once");
    }
    assert_eq!(archived.len(), surrendered.len());
}

/// Now, to the minute, in office time (WIB) as a register writes it.
fn register_now() -> String {
    let wib = FixedOffset::east_opt(7 * 3600).unwrap();
    Utc::now()
        .with_timezone(&wib)
        .with_second(0)
        .unwrap()
        .format("%d/%m/%Y %H:%M")
        .to_string()
}

/// Kills `sigap archive` once between writing a zip and recording it: from
/// the moment the archive's run is recorded the test holds the store's
/// write lock, so the archive writes its first zip and waits at the
/// commit; the test sees the zip and kills it there. Returns the zip it
/// left, or `None` when the race was lost (the zip was committed before
/// the test got the lock: an ordinary kill then).
fn kill_between_zip_and_commit(k: &mut Killer, month: &str) -> Option<String> {
    let office = k.office();
    let db = office.join("data/sigap.db");
    let before = zips(&office);
    let lock = rusqlite::Connection::open(&db).unwrap();
    lock.busy_timeout(Duration::from_secs(30)).unwrap();
    *k.runs.entry("archive").or_default() += 1;
    let mut child = k
        .command(&["archive", "--month", month])
        .stdout(Stdio::null())
        .stderr(k.log.try_clone().unwrap())
        .spawn()
        .expect("sigap starts");
    let started = Instant::now();
    let running = || -> bool {
        lock.query_row(
            "SELECT count(*) FROM job_runs WHERE job = 'archive' AND outcome = 'running'",
            [],
            |r| r.get::<_, i64>(0),
        )
        .unwrap()
            > 0
    };
    while !running() {
        assert!(child.try_wait().unwrap().is_none(), "archive ended early");
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no archive run"
        );
        std::thread::sleep(Duration::from_micros(200));
    }
    lock.execute_batch("BEGIN IMMEDIATE").unwrap();
    let new_zip = loop {
        if let Some(z) = zips(&office).difference(&before).next() {
            break z.clone();
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "archive ended without writing a zip"
        );
        assert!(started.elapsed() < Duration::from_secs(60), "no zip");
        std::thread::sleep(Duration::from_micros(200));
    };
    // Its commit now waits for the lock (SQLite's busy wait).
    std::thread::sleep(Duration::from_millis(50));
    child.kill().unwrap();
    assert!(child.wait().unwrap().code().is_none(), "killed");
    lock.execute_batch("ROLLBACK").unwrap();
    drop(lock);
    *k.kills.entry("archive").or_default() += 1;
    let recorded = k
        .store()
        .bundles()
        .unwrap()
        .iter()
        .any(|b| b.file == new_zip);
    (!recorded).then_some(new_zip)
}

#[test]
fn sigkill_in_handover_arrived_pickups_archive_and_report_loses_nothing_and_does_nothing_twice() {
    let _alone = crate::ALONE.lock().unwrap_or_else(|e| e.into_inner());
    let seed: u64 = std::env::var("SIGAP_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(9);
    let clock = Instant::now();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("office");
    copy_office(&repo_root().join("sample-data"), &dir);
    let cfg = dir.join("sigap.toml");
    let mut k = Killer::new(&cfg, &tmp.path().join("sigap.log"), seed);
    let office = k.office();

    // The sample office printed: stock, the night, every batch confirmed
    // by the station and its results applied.
    k.run("blanko", &["blanko", "receive", "1000", "--ref", "BAST-1"])
        .expect_code(0);
    k.run("nightly", &["nightly"]).expect_code(1);
    let made = batches(&office);
    assert!(made.len() >= 3, "{made:?}");
    for b in &made {
        k.run("confirm", &["station", "confirm", b]).expect_code(0);
    }
    k.run("station", &["station", "results"]).expect_code(0);
    let printed: BTreeSet<String> = made
        .iter()
        .flat_map(|b| cards(&office, b))
        .map(|c| c.0)
        .collect();

    // Handover, then arrival, of every batch, each under fire.
    for b in &made {
        k.under_fire(
            "handover",
            KILLS_PER_BATCH,
            &["handover", b, "--by", "Pak Kurir"],
        )
        .expect_code(0);
    }
    for b in &made {
        k.under_fire(
            "arrived",
            KILLS_PER_BATCH,
            &["arrived", b, "--by", "Bu Siti"],
        )
        .expect_code(0);
    }
    let store = k.store();
    check_common(&store, &office);
    let in_transit = moves_into(&store, State::InTransit);
    let ready = moves_into(&store, State::Ready);
    for card in &printed {
        assert_eq!(in_transit.get(card), Some(&1), "{card} handed over once");
        assert_eq!(ready.get(card), Some(&1), "{card} arrived once");
    }
    assert_eq!(
        (in_transit.len(), ready.len()),
        (printed.len(), printed.len())
    );
    drop(store);

    // Registers: every batch's cards but one collected (old card
    // surrendered but for every fifth), plus a row for no card; imported
    // from inbox/pickups under fire, two registers at a time.
    let now = register_now();
    let inbox = office.join("inbox/pickups");
    std::fs::create_dir_all(&inbox).unwrap();
    let mut collected = BTreeSet::new();
    let mut surrendered = BTreeSet::new();
    let mut registers = Vec::new();
    for (i, b) in made.iter().enumerate() {
        let mut rows = Vec::new();
        for (n, (id, _nik)) in cards(&office, b).iter().enumerate().skip(1) {
            let keep = n % 5 == 0;
            rows.push(format!(
                "{id},,,{now},Sri Wahyuni,{}",
                if keep { "tidak" } else { "ya" }
            ));
            collected.insert(id.clone());
            if !keep {
                surrendered.insert(id.clone());
            }
        }
        rows.push(format!("A-9{i:05},,,{now},Sri Wahyuni,ya"));
        registers.push((format!("register-{b}.csv"), rows));
    }
    for pair in registers.chunks(2) {
        for (name, rows) in pair {
            write_register(&inbox.join(name), rows);
        }
        let run = k.under_fire("pickups", KILLS_PER_IMPORT, &["pickups", "import"]);
        assert!(run.code == 0 || run.code == 1, "{run:?}");
    }
    let again = k.run("pickups", &["pickups", "import"]).expect_code(0);
    let store = k.store();
    check_common(&store, &office);
    let into_collected = moves_into(&store, State::Collected);
    for card in &collected {
        assert_eq!(into_collected.get(card), Some(&1), "{card} collected once");
        let p = store.pickup(card.parse().unwrap()).unwrap();
        assert_eq!(
            p.map(|p| p.old_card_surrendered),
            Some(surrendered.contains(card)),
            "{card}"
        );
    }
    assert_eq!(into_collected.len(), collected.len());
    let pickup_q: Vec<_> = store
        .quarantine()
        .unwrap()
        .into_iter()
        .filter(|q| q.channel == pipeline::Source::Pickup)
        .collect();
    assert_eq!(
        pickup_q.len(),
        registers.len(),
        "one entry per row for no card: {pickup_q:#?}"
    );
    for (name, _) in &registers {
        assert_eq!(
            pickup_q
                .iter()
                .filter(|q| q.source.contains(name.as_str()))
                .count(),
            1,
            "{name}: {pickup_q:#?}"
        );
        assert!(
            again.stdout.contains(&format!("{name}: imported before")),
            "{name}: {}",
            again.stdout
        );
    }
    drop(store);

    // The month's destruction bundles: first a kill exactly between a
    // zip and its commit, then kills at random moments, then to the end.
    let month = Utc::now()
        .with_timezone(&FixedOffset::east_opt(7 * 3600).unwrap())
        .format("%Y-%m")
        .to_string();
    let mut window_kills = 0;
    let mut orphans = Vec::new();
    for _ in 0..3 {
        if let Some(zip) = kill_between_zip_and_commit(&mut k, &month) {
            window_kills += 1;
            orphans.push(zip);
            break;
        }
    }
    assert_eq!(
        window_kills, 1,
        "the archive was never caught between zip and commit"
    );
    let run = k.under_fire("archive", KILLS_ONCE, &["archive", "--month", &month]);
    run.expect_code(0);
    let store = k.store();
    check_common(&store, &office);
    check_archive(&store, &office, &surrendered);
    // The zip the window kill left is a recorded bundle now (written
    // again, with the same cards, under the same name).
    for z in &orphans {
        assert!(store.bundles().unwrap().iter().any(|b| &b.file == z), "{z}");
    }
    let again = k
        .run("archive", &["archive", "--month", &month])
        .expect_code(0);
    assert!(
        again.stdout.contains("bundles written 0"),
        "{}",
        again.stdout
    );
    check_archive(&k.store(), &office, &surrendered);

    // The SLA report of the month so far, under fire; then the same again
    // by a run never killed, into a fresh copy: the files are the same.
    let wib = FixedOffset::east_opt(7 * 3600).unwrap();
    let today = Utc::now().with_timezone(&wib).date_naive();
    let first = today.with_day(1).unwrap();
    let (from, to) = (first.to_string(), today.to_string());
    let sla = ["report", "sla", "--from", &from, "--to", &to];
    k.under_fire("report-sla", KILLS_ONCE, &sla).expect_code(0);
    let store = k.store();
    check_common(&store, &office);
    let reports: Vec<(PathBuf, Vec<u8>)> = tree(&office.join("out"))
        .into_iter()
        .filter(|(p, _)| p.starts_with("reports"))
        .collect();
    let names: BTreeSet<String> = reports
        .iter()
        .map(|(p, _)| p.extension().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        ["csv", "html", "pdf", "xlsx"]
            .map(String::from)
            .into_iter()
            .collect(),
        "{reports:?}"
    );
    for (p, bytes) in &reports {
        match p.extension().unwrap().to_str().unwrap() {
            "pdf" => assert!(
                bytes.ends_with(b"%%EOF\n") || bytes.ends_with(b"%%EOF"),
                "{p:?}"
            ),
            "html" => assert!(
                String::from_utf8_lossy(bytes)
                    .trim_end()
                    .ends_with("</html>"),
                "{p:?}"
            ),
            // A whole zip ends with its end-of-central-directory record.
            "xlsx" => assert!(
                bytes.len() >= 22 && bytes[bytes.len() - 22..].starts_with(b"PK\x05\x06"),
                "{p:?}"
            ),
            _ => assert!(bytes.ends_with(b"\n"), "{p:?}"),
        }
    }
    // Each killed report recorded interrupted (by the next one), each
    // other one ok: none failed on what a killed one left.
    let sla_runs = store.runs(Some("report-sla"), 100).unwrap();
    let count = |o: Outcome| sla_runs.iter().filter(|r| r.outcome == o).count() as u32;
    let landed = k.kills.get("report-sla").copied().unwrap_or(0);
    // (A kill before the run was recorded leaves no run to mark.)
    assert!(count(Outcome::Interrupted) <= landed, "{sla_runs:?}");
    assert_eq!(
        count(Outcome::Ok),
        k.runs["report-sla"] - landed,
        "{sla_runs:?}"
    );

    // The figures.
    let total: u32 = k.kills.values().sum();
    println!(
        "crash test, the desk (seed {seed}): {total} SIGKILLs survived in {} runs",
        k.runs.values().sum::<u32>()
    );
    for name in ["handover", "arrived", "pickups", "archive", "report-sla"] {
        println!(
            "  killed in {name:<10} {:>3} of {} runs",
            k.kills.get(name).copied().unwrap_or(0),
            k.runs.get(name).copied().unwrap_or(0)
        );
    }
    println!(
        "  office: {} batches, {} cards handed over and arrived, {} collected ({} old cards surrendered), {} bundles",
        made.len(),
        printed.len(),
        collected.len(),
        surrendered.len(),
        store.bundles().unwrap().len()
    );
    println!(
        "  archive killed between its zip and its commit: {window_kills} (the zip written again under the same name by the next run)"
    );
    println!("  wall time {:.0?}", clock.elapsed());
}

/// `sigap jobs history`-like view: (job, outcome) of every run, oldest first.
fn history(store: &Store) -> Vec<(String, Outcome)> {
    let mut runs = store.runs(None, 100_000).unwrap();
    runs.reverse();
    runs.into_iter().map(|r| (r.job, r.outcome)).collect()
}

#[test]
fn sigkill_of_the_daemon_with_its_nightly_runs_the_nightly_again_when_it_restarts() {
    let _alone = crate::ALONE.lock().unwrap_or_else(|e| e.into_inner());
    let seed: u64 = std::env::var("SIGAP_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(9);
    let clock = Instant::now();
    let mut rng = Rng(seed);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("office");
    copy_office(&repo_root().join("sample-data"), &dir);
    let cfg = dir.join("sigap.toml");
    // The nightly once, two seconds from now (office time), catching up a
    // missed or interrupted run once; the other jobs not before next year.
    let sample = std::fs::read_to_string(&cfg).unwrap();
    assert!(sample.contains("cron = \"0 1 * * *\"\ncatch_up = \"run_once\""));
    let schedule_once = || {
        let at = Utc::now() + chrono::Duration::seconds(2);
        let at = at.with_timezone(&FixedOffset::east_opt(7 * 3600).unwrap());
        let once = format!(
            "{} {} {} {} {} *",
            at.second(),
            at.minute(),
            at.hour(),
            at.day(),
            at.month()
        );
        let text = sample
            .replace("cron = \"0 1 * * *\"", &format!("cron = \"{once}\""))
            .replace("cron = \"*/15 * * * *\"", "cron = \"0 0 1 1 *\"")
            .replace("cron = \"5 * * * *\"", "cron = \"0 0 1 1 *\"");
        std::fs::write(&cfg, text).unwrap();
    };
    let store = || Store::open(&dir.join("data/sigap.db")).unwrap();
    let log = tmp.path().join("daemon.log");
    let start = || {
        let mut c = sigap();
        c.env("SIGAP_INGEST_SETTLE_MS", "0")
            .arg("--config")
            .arg(&cfg)
            .arg("daemon")
            .stdout(Stdio::null())
            .stderr(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&log)
                    .unwrap(),
            )
            // Its own process group: the kill takes the daemon and its
            // children at once, as a power cut or the unit's stop would.
            .process_group(0);
        c.spawn().expect("sigap daemon starts")
    };
    let nightly_runs = || -> Vec<Outcome> {
        if !dir.join("data/sigap.db").exists() {
            return Vec::new();
        }
        let mut r: Vec<Outcome> = store()
            .runs(Some("nightly"), 1000)
            .unwrap()
            .into_iter()
            .map(|r| r.outcome)
            .collect();
        r.reverse();
        r
    };
    let wait = |what: &str, done: &dyn Fn() -> bool| {
        let started = Instant::now();
        while !done() {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "{what}; nightly runs {:?}; daemon log:\n{}",
                nightly_runs(),
                std::fs::read_to_string(&log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    };

    // Each time: the daemon starts (and, after a kill, must run the
    // interrupted nightly again at once), the nightly reaches a step drawn
    // from a seeded RNG, and a moment later the daemon's process group is
    // killed with SIGKILL. A nightly that ended before the kill landed
    // (its last steps can take milliseconds) is not run again, rightly:
    // the next attempt schedules one.
    const DAEMON_KILLS: usize = 3;
    let steps = ["ingest", "verify", "batch", "rekap"];
    let mut killed_in = Vec::new();
    let mut starts = 0;
    while killed_in.len() < DAEMON_KILLS {
        starts += 1;
        assert!(starts <= 3 * DAEMON_KILLS, "kills landed: {killed_in:?}");
        let before = nightly_runs();
        if before.last() != Some(&Outcome::Running) {
            schedule_once();
        }
        let mut daemon = start();
        wait(
            &format!("the daemon (start {starts}) did not run the nightly"),
            &|| nightly_runs().len() == before.len() + 1,
        );
        let nightly = store().runs(Some("nightly"), 1).unwrap()[0].id;
        let step = steps[rng.below(steps.len() as u64) as usize];
        wait(&format!("the nightly never reached {step}"), &|| {
            store()
                .runs(Some(step), 1)
                .unwrap()
                .first()
                .is_some_and(|r| r.id > nightly)
        });
        std::thread::sleep(Duration::from_millis(rng.below(20)));
        let status = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", daemon.id())])
            .status()
            .unwrap();
        assert!(status.success());
        daemon.wait().unwrap();
        // The whole group is gone once no lock of it is held (a process
        // killed inside an fsync dies when the fsync returns).
        let data = dir.join("data");
        for job in std::iter::once(Job::Nightly).chain(Job::NIGHTLY_STEPS) {
            wait("a killed process still holds its job's lock", &|| {
                JobLock::acquire(&data, job).is_ok()
            });
        }
        if nightly_runs().last() == Some(&Outcome::Running) {
            killed_in.push(step);
        }
    }
    // The last start: it marks the killed runs interrupted, runs the
    // nightly again to the end and is stopped with SIGTERM.
    let all = nightly_runs().len() + 1;
    let daemon = start();
    wait("the restarted daemon did not finish the nightly", &|| {
        let runs = nightly_runs();
        runs.len() == all
            && runs
                .last()
                .is_some_and(|o| *o == Outcome::Attention || *o == Outcome::Ok)
    });
    let stopped = Command::new("kill")
        .args(["-TERM", &daemon.id().to_string()])
        .status()
        .unwrap();
    assert!(stopped.success());
    let mut daemon = daemon;
    assert_eq!(daemon.wait().unwrap().code(), Some(0));

    // The history: each killed nightly interrupted (marked by the next
    // daemon through the job's lock), then one that ran; each killed
    // daemon interrupted too, and the last one stopped by SIGTERM; nothing
    // left running.
    let s = store();
    let runs = nightly_runs();
    let count = |o: Outcome| runs.iter().filter(|r| **r == o).count();
    assert_eq!(count(Outcome::Interrupted), DAEMON_KILLS, "{runs:?}");
    assert_eq!(
        count(Outcome::Interrupted) + count(Outcome::Attention) + count(Outcome::Ok),
        runs.len(),
        "{runs:?}"
    );
    let daemons: Vec<Outcome> = history(&s)
        .into_iter()
        .filter(|(j, _)| j == "daemon")
        .map(|(_, o)| o)
        .collect();
    assert_eq!(daemons, vec![Outcome::Interrupted; starts + 1]);
    let running: Vec<_> = history(&s)
        .into_iter()
        .filter(|(_, o)| *o == Outcome::Running)
        .collect();
    assert!(running.is_empty(), "left running: {running:?}");
    // What the killed nightlies did is done once: every application
    // ingested once, the event log replaying, no temp file.
    let apps = s.applications(None).unwrap();
    let sources: BTreeSet<&str> = apps
        .iter()
        .map(|a| a.submitted.source_ref.as_str())
        .collect();
    assert_eq!(
        sources.len(),
        apps.len(),
        "an input became two applications"
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(
        apps.len() as u64,
        manifest["expected"]["ingest"]["new"].as_u64().unwrap()
    );
    let received = moves_into(&s, State::Received);
    assert!(received.values().all(|n| *n == 1), "{received:?}");
    check_common(&s, &dir);
    println!(
        "crash test, the daemon (seed {seed}): {starts} SIGKILLs of the daemon's process group, {DAEMON_KILLS} with its nightly running (in {killed_in:?}; the others just after it ended), each killed nightly run again at once by the restarted daemon; wall time {:.0?}",
        clock.elapsed()
    );
}
