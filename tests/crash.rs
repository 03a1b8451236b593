//! The crash test: the real `sigap nightly` (ingest → verify → batch +
//! dispatch → rekap → notify, against a real aiosmtpd) and `sigap station
//! results` are killed with SIGKILL at random moments of every stage, many
//! times, on a generated office whose inbox arrives over several nights; the
//! test plays the printer station (it answers each batch folder with a
//! results file, spoiling and failing some cards). After each kill the job is
//! simply run again, as the next cron tick would. At the end everything runs
//! to completion and the invariants are checked: every input accounted for,
//! no card in two open batches, every printed card printed once, the blanko
//! ledger balanced, every notice received once (save the one window SMTP
//! leaves open, which the test measures), the event log replaying to the
//! current states, no half-written file left.
//!
//! The kill moments come from a seeded RNG (`SIGAP_CRASH_SEED`, default 9):
//! each attempt picks the stage with the fewest kills so far, waits for the
//! nightly to print that stage's `== stage` line, and kills it after a delay
//! drawn up to how long that stage last took. Run it with `--nocapture` to
//! see the figures (kills per stage, runs):
//!
//! ```sh
//! cargo test -p sigap --test crash -- --nocapture
//! ```

/// The commands after the night, and the daemon, under SIGKILL.
mod crash_desk;
#[allow(dead_code)]
mod smtp;
#[allow(dead_code)]
mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use mail_parser::MessageParser;
use pipeline::State;
use pipeline::domain::batch::CardResult;
use pipeline::domain::notice::{NoticeKind, NoticeState};
use pipeline::store::Store;
use serde_json::Value;

use smtp::{Smtp, free_port};
use support::{Run, sigap};

/// The nightly's steps, in order, and the station results job.
const STAGES: [&str; 6] = ["ingest", "verify", "batch", "rekap", "notify", "station"];
/// Killed attempts of the nightly before each night's run to completion.
const NIGHTLY_KILLS_PER_NIGHT: usize = 8;
/// Killed attempts of `sigap station results` after each station answer.
const STATION_KILLS_PER_NIGHT: usize = 3;

/// The crash tests run one at a time: their kill moments are milliseconds
/// apart, and a test beside them would move those moments.
static ALONE: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// splitmix64: small, seeded, the same sequence on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// How an attempt ended.
enum Ended {
    /// Killed (counted in `kills` by stage).
    Killed,
    /// Ran to the end.
    Completed(Run),
}

struct Harness {
    office: PathBuf,
    cfg: PathBuf,
    held: PathBuf,
    log: std::fs::File,
    smtp: Smtp,
    rng: Rng,
    kills: BTreeMap<&'static str, u32>,
    attempts: u32,
    completed: u32,
    /// How long each stage took when last seen from start to end.
    took: BTreeMap<&'static str, Duration>,
    /// The longest each stage has taken.
    longest: BTreeMap<&'static str, Duration>,
    /// Notices found at the server but not recorded as sent right after a
    /// kill (the window between the server's accept and sigap's commit):
    /// the most copies seen while unrecorded.
    unrecorded: BTreeMap<i64, usize>,
    /// Batches the station has answered, and every line it wrote.
    answered: BTreeSet<String>,
    station_lines: Vec<(String, String, CardResult)>,
    serial: u64,
    received_blanko: u64,
}

impl Harness {
    fn command(&self, args: &[&str]) -> std::process::Command {
        let mut c = sigap();
        c.env("SIGAP_INGEST_SETTLE_MS", "0")
            .env("SIGAP_SMTP_URL", self.smtp.url())
            .arg("--config")
            .arg(&self.cfg)
            .args(args);
        c
    }

    /// Runs a command that is not under test to completion.
    fn run(&mut self, args: &[&str]) -> Run {
        let out = self.command(args).output().expect("sigap runs");
        let run: Run = out.into();
        write!(self.log, "$ sigap {args:?}\n{}", run.stderr).unwrap();
        run
    }

    /// Starts `sigap ARGS`; when `kill` names a stage, kills it with SIGKILL
    /// once it is `delay` into that stage (if it gets there).
    fn attempt(&mut self, args: &[&str], kill: Option<(&'static str, Duration)>) -> Ended {
        self.attempts += 1;
        let stderr = self.log.try_clone().unwrap();
        let mut child = self
            .command(args)
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("sigap starts");
        let started = Instant::now();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel::<(Instant, String)>();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send((Instant::now(), line)).is_err() {
                    break;
                }
            }
        });
        // `station results` is one stage from its start; the nightly says
        // where it is with `== step` lines.
        let mut stage: Option<(&'static str, Instant)> =
            (args[0] == "station").then_some(("station", started));
        let mut deadline = match (kill, stage) {
            (Some((s, d)), Some((now, at))) if s == now => Some(at + d),
            _ => None,
        };
        let mut out = String::new();
        let mut killed = None;
        loop {
            let wait = deadline.map_or(Duration::from_secs(120), |d| {
                d.saturating_duration_since(Instant::now())
            });
            match rx.recv_timeout(wait) {
                Ok((at, line)) => {
                    if let Some(name) = line.strip_prefix("== ")
                        && let Some(next) = STAGES.iter().find(|s| **s == name)
                    {
                        if let Some((prev, since)) = stage {
                            self.saw(prev, at - since);
                        }
                        stage = Some((next, at));
                        if let Some((target, delay)) = kill
                            && target == *next
                        {
                            deadline = Some(at + delay);
                        }
                    }
                    out.push_str(&line);
                    out.push('\n');
                }
                Err(mpsc::RecvTimeoutError::Timeout) if deadline.is_some() => {
                    // SIGKILL: no handler, no cleanup, as a power cut.
                    child.kill().unwrap();
                    killed = Some(stage.map(|s| s.0).unwrap_or("ingest"));
                    break;
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    panic!("sigap {args:?} ran for 2 minutes:\n{out}")
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        let status = child.wait().unwrap();
        reader.join().unwrap();
        if let Some(stage) = killed
            && status.code().is_none()
        {
            *self.kills.entry(stage).or_default() += 1;
            self.after_kill();
            return Ended::Killed;
        }
        // It ended by itself just before the kill, or was never to be killed.
        if let Some((last, since)) = stage {
            self.saw(last, Instant::now() - since);
        }
        self.completed += 1;
        Ended::Completed(Run {
            code: status.code().unwrap_or(-1),
            stdout: out,
            stderr: String::new(),
        })
    }

    fn saw(&mut self, stage: &'static str, took: Duration) {
        self.took.insert(stage, took);
        let longest = self.longest.entry(stage).or_default();
        *longest = (*longest).max(took);
    }

    /// A kill moment for `stage`: up to how long it took last time, or (every
    /// other draw) up to the longest it ever took, when it had the most work.
    fn delay(&mut self, stage: &'static str) -> Duration {
        let floor = Duration::from_millis(5);
        let last = self
            .took
            .get(stage)
            .copied()
            .unwrap_or(Duration::from_millis(200));
        let longest = self.longest.get(stage).copied().unwrap_or(last);
        let span = if self.rng.below(2) == 0 {
            last
        } else {
            longest
        }
        .max(floor);
        Duration::from_micros(self.rng.below(span.as_micros() as u64 + 1))
    }

    /// The nightly stage to aim at: the one killed least so far.
    fn target(&mut self) -> &'static str {
        let nightly = &STAGES[..5];
        let least = nightly
            .iter()
            .map(|s| self.kills.get(s).copied().unwrap_or(0))
            .min()
            .unwrap();
        let fewest: Vec<&'static str> = nightly
            .iter()
            .copied()
            .filter(|s| self.kills.get(s).copied().unwrap_or(0) == least)
            .collect();
        fewest[self.rng.below(fewest.len() as u64) as usize]
    }

    /// After a kill: which notices did the server take that sigap has not
    /// recorded as sent? Those are in SMTP's window and may arrive twice.
    fn after_kill(&mut self) {
        self.server_settled();
        let received = self.received();
        let store = self.store();
        for n in store.notices(None).unwrap() {
            let Some(mid) = &n.message_id else { continue };
            let copies = received.get(mid.trim_matches(['<', '>'])).copied();
            if let Some(copies) = copies
                && n.state != NoticeState::Sent
            {
                let seen = self.unrecorded.entry(n.id).or_default();
                *seen = (*seen).max(copies);
            }
        }
    }

    /// Waits until the server has dealt with what the killed process sent:
    /// a NOOP on a new session is answered after the data already read.
    fn server_settled(&self) {
        let mut s = TcpStream::connect(self.smtp.url().trim_start_matches("smtp://")).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut buf = [0u8; 512];
        let _greeting = s.read(&mut buf).unwrap();
        s.write_all(b"NOOP\r\n").unwrap();
        let _noop = s.read(&mut buf).unwrap();
        s.write_all(b"QUIT\r\n").unwrap();
        let _ = s.read(&mut buf);
    }

    /// Message-ID (without brackets) → copies at the server.
    fn received(&self) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        for raw in self.smtp.messages() {
            let m = MessageParser::default().parse(&raw).unwrap();
            let mid = m.message_id().expect("every message has a Message-ID");
            *out.entry(mid.to_string()).or_insert(0) += 1;
        }
        out
    }

    fn store(&self) -> Store {
        Store::open(&self.office.join("data/sigap.db")).unwrap()
    }

    /// Moves held inbox files (relative to the inbox) into the inbox.
    fn deliver(&self, files: &[PathBuf]) {
        for rel in files {
            let to = self.office.join("inbox").join(rel);
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::rename(self.held.join(rel), to).unwrap();
        }
    }

    fn receive_blanko(&mut self, n: u64) {
        let reference = format!("BAST-{}", self.received_blanko);
        let n_text = n.to_string();
        self.run(&["blanko", "receive", &n_text, "--ref", &reference])
            .expect_code(0);
        self.received_blanko += n;
    }

    /// The station: answers every batch folder it has not answered yet with
    /// a results file (written aside, then renamed in), spoiling and failing
    /// some cards unless `clean`.
    fn station_prints(&mut self, clean: bool) {
        let outgoing = self.office.join("spool/outgoing");
        let results = self.office.join("spool/results");
        std::fs::create_dir_all(&results).unwrap();
        let Ok(rd) = std::fs::read_dir(&outgoing) else {
            return;
        };
        let mut batches: Vec<String> = rd
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| !n.starts_with('.'))
            .collect();
        batches.sort();
        for batch in batches {
            if self.answered.contains(&batch) {
                continue;
            }
            let cards = outgoing.join(&batch).join("cards.csv");
            let mut r = csv::Reader::from_path(&cards).unwrap();
            let mut lines = Vec::new();
            for rec in r.records() {
                let rec = rec.unwrap();
                let (id, nik) = (rec[0].to_string(), rec[1].to_string());
                let roll = if clean { 99 } else { self.rng.below(100) };
                let result = match roll {
                    0..=7 => CardResult::Spoiled,
                    8..=11 => CardResult::Failed,
                    _ => CardResult::Printed,
                };
                let serial = if result == CardResult::Failed {
                    String::new()
                } else {
                    self.serial += 1;
                    format!("{:010}", self.serial)
                };
                let reason = match result {
                    CardResult::Printed => "",
                    CardResult::Spoiled => "pita macet",
                    CardResult::Failed => "printer tidak merespons",
                };
                self.station_lines.push((id.clone(), batch.clone(), result));
                lines.push((id, nik, result, serial, reason.to_string()));
            }
            let tmp = results.join(format!(".{batch}.csv.tmp"));
            std::fs::write(&tmp, pipeline::print::results_csv(&lines)).unwrap();
            std::fs::rename(&tmp, results.join(format!("{batch}.csv"))).unwrap();
            self.answered.insert(batch);
        }
    }

    /// One night: some killed nightly attempts, then one to the end; the
    /// station answers; some killed `station results`, then one to the end.
    fn night(&mut self, nightly_kills: usize, station_kills: usize, clean_station: bool) {
        for _ in 0..nightly_kills {
            let stage = self.target();
            let delay = self.delay(stage);
            self.attempt(&["nightly"], Some((stage, delay)));
        }
        match self.attempt(&["nightly"], None) {
            Ended::Completed(run) => {
                assert!(
                    run.code == 0 || run.code == 1,
                    "nightly exit {}:\n{}",
                    run.code,
                    run.stdout
                );
                assert!(
                    !run.stdout.contains(" failed:"),
                    "a step failed after the crashes:\n{}",
                    run.stdout
                );
            }
            Ended::Killed => unreachable!("not aimed at"),
        }
        self.station_prints(clean_station);
        for _ in 0..station_kills {
            let delay = self.delay("station");
            self.attempt(&["station", "results"], Some(("station", delay)));
        }
        match self.attempt(&["station", "results"], None) {
            Ended::Completed(run) => assert_eq!(run.code, 0, "{}", run.stdout),
            Ended::Killed => unreachable!("not aimed at"),
        }
    }
}

/// Files under `dir`, relative, sorted.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = support::tree(dir).into_iter().map(|(p, _)| p).collect();
    out.sort();
    out
}

#[test]
fn sigkill_anywhere_in_the_night_loses_nothing_and_does_nothing_twice() {
    let _alone = ALONE.lock().unwrap_or_else(|e| e.into_inner());
    let seed: u64 = std::env::var("SIGAP_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(9);
    let clock = Instant::now();
    let tmp = tempfile::tempdir().unwrap();
    let office = tmp.path().join("office");
    support::run(
        None,
        &[
            "sample-data",
            office.to_str().unwrap(),
            "--profile",
            "bantul",
            "--population",
            "600",
            "--applications",
            "80",
            "--seed",
            "9",
        ],
    )
    .expect_code(0);
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(office.join("manifest.json")).unwrap()).unwrap();

    // The inbox arrives over several nights: hold it all back first. App
    // documents stay where the exports name them.
    let held = tmp.path().join("held");
    let inbox = office.join("inbox");
    let mut inputs: Vec<PathBuf> = files_under(&inbox)
        .into_iter()
        .filter(|p| !p.starts_with("app/files") && !p.starts_with("pickups"))
        .collect();
    for rel in &inputs {
        let to = held.join(rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::rename(inbox.join(rel), to).unwrap();
    }
    // Deliveries: the first form export, the first app export, the mail in
    // two halves, the cumulative second form export, the second app export.
    let take = |inputs: &mut Vec<PathBuf>, f: &dyn Fn(&Path) -> bool| -> Vec<PathBuf> {
        let (yes, no): (Vec<PathBuf>, Vec<PathBuf>) = inputs.drain(..).partition(|p| f(p));
        *inputs = no;
        yes
    };
    let forms_1 = take(&mut inputs, &|p| p.ends_with("responses-2026-11-17.csv"));
    let app_1 = take(&mut inputs, &|p| p.ends_with("export-2026-11-17.json"));
    let forms_2 = take(&mut inputs, &|p| p.starts_with("forms"));
    let app_2 = take(&mut inputs, &|p| p.starts_with("app"));
    let mut mail = take(&mut inputs, &|p| p.starts_with("mail"));
    assert!(inputs.is_empty(), "{inputs:?}");
    let mail_2 = mail.split_off(mail.len() / 2);
    let deliveries = [forms_1, app_1, mail, mail_2, forms_2, app_2];
    assert!(deliveries.iter().all(|d| !d.is_empty()));

    let smtp = Smtp::start(tmp.path(), free_port());
    let mut h = Harness {
        cfg: office.join("sigap.toml"),
        office: office.clone(),
        held,
        log: std::fs::File::create(tmp.path().join("sigap.log")).unwrap(),
        smtp,
        rng: Rng(seed),
        kills: BTreeMap::new(),
        attempts: 0,
        completed: 0,
        took: BTreeMap::new(),
        longest: BTreeMap::new(),
        unrecorded: BTreeMap::new(),
        answered: BTreeSet::new(),
        station_lines: Vec::new(),
        serial: 0,
        received_blanko: 0,
    };

    for delivery in &deliveries {
        h.deliver(delivery);
        h.receive_blanko(10);
        h.night(NIGHTLY_KILLS_PER_NIGHT, STATION_KILLS_PER_NIGHT, false);
    }
    // Two more nights print what was spoiled and send the last notices,
    // still under fire; then the station prints cleanly until all is done.
    h.receive_blanko(200);
    for _ in 0..2 {
        h.night(NIGHTLY_KILLS_PER_NIGHT, STATION_KILLS_PER_NIGHT, false);
    }
    let mut settle = 0;
    loop {
        h.night(0, 0, true);
        settle += 1;
        let store = h.store();
        let waiting = store
            .applications(Some(State::Verified))
            .unwrap()
            .iter()
            .any(|a| a.submitted.service.code().starts_with("ktp"));
        let open = store.batches().unwrap().iter().any(|b| b.pending() > 0);
        let due_notices = store.notices(Some(NoticeState::Due)).unwrap();
        let due = !due_notices.is_empty();
        if !(waiting || open || due) {
            break;
        }
        assert!(
            settle < 5,
            "still not settled after {settle} clean nights: KTP-el waiting to print {waiting}, \
             batches open {:?}, notices due {due_notices:?}, blanko {:?}",
            store
                .batches()
                .unwrap()
                .iter()
                .filter(|b| b.pending() > 0)
                .map(|b| &b.id)
                .collect::<Vec<_>>(),
            store.blanko_balance().ok()
        );
    }

    // ---- The invariants. ----
    let store = h.store();
    let apps = store.applications(None).unwrap();
    let expected = &manifest["expected"];

    // Every input accounted for: each application of the manifest is one
    // application (found by where it came from), each planted quarantine
    // input one quarantine entry, and nothing else; so applications +
    // quarantined + already known = the inputs the manifest lists.
    let mut by_source: BTreeMap<&str, usize> = BTreeMap::new();
    for a in &apps {
        *by_source
            .entry(a.submitted.source_ref.as_str())
            .or_default() += 1;
    }
    let listed = manifest["applications"].as_array().unwrap();
    for m in listed {
        let found: usize = m["sources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| by_source.get(s.as_str().unwrap()).copied().unwrap_or(0))
            .sum();
        assert_eq!(found, 1, "manifest application {m}");
    }
    assert_eq!(apps.len(), listed.len());
    assert_eq!(
        apps.len() as u64,
        expected["ingest"]["new"].as_u64().unwrap()
    );
    let quarantine = store.quarantine().unwrap();
    let intake_q: Vec<_> = quarantine
        .iter()
        .filter(|q| q.channel != pipeline::Source::Station)
        .collect();
    let planted_q = manifest["quarantine"].as_array().unwrap();
    let planted_docs = manifest["quarantined_attachments"].as_array().unwrap();
    assert_eq!(
        intake_q.len(),
        planted_q.len() + planted_docs.len(),
        "{intake_q:#?}"
    );
    for q in planted_q {
        let source = q["source"].as_str().unwrap();
        assert_eq!(
            intake_q.iter().filter(|e| e.source == source).count(),
            1,
            "{source}"
        );
    }
    assert_eq!(
        quarantine.len(),
        intake_q.len(),
        "the station wrote only good lines: {quarantine:#?}"
    );
    let read = expected["ingest"]["read"].as_u64().unwrap();
    let already_known = read - apps.len() as u64 - planted_q.len() as u64;
    assert_eq!(
        already_known,
        expected["ingest"]["already_known"].as_u64().unwrap()
    );
    // Each application was decided once, as the manifest says.
    let events = store.all_events().unwrap();
    let mut decided: BTreeMap<String, u64> = BTreeMap::new();
    for e in &events {
        if e.from == Some(State::Received) {
            *decided.entry(e.to.to_string()).or_default() += 1;
        }
    }
    let want: BTreeMap<String, u64> = expected["verify"]["states"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
        .collect();
    assert_eq!(decided, want);

    // No application in two batches at once: a card is in a later batch
    // only if every earlier batch spoiled or failed it.
    let batches = store.batches().unwrap();
    let mut cards_of: BTreeMap<pipeline::ApplicationId, Vec<(String, Option<CardResult>)>> =
        BTreeMap::new();
    for b in &batches {
        assert!(b.dispatched_at.is_some(), "{} never dispatched", b.id);
        for c in store.batch_cards(&b.id).unwrap() {
            cards_of
                .entry(c.application)
                .or_default()
                .push((b.id.clone(), c.result));
        }
    }
    for (app, cards) in &cards_of {
        let open_or_printed = cards
            .iter()
            .filter(|(_, r)| !matches!(r, Some(CardResult::Spoiled | CardResult::Failed)))
            .count();
        assert!(open_or_printed <= 1, "{app} in {cards:?}");
    }

    // Every PRINTED card printed once: by the station's own lines, and
    // the store agrees card by card.
    let mut printed_by_station: BTreeMap<String, usize> = BTreeMap::new();
    for (id, _, r) in &h.station_lines {
        if *r == CardResult::Printed {
            *printed_by_station.entry(id.clone()).or_default() += 1;
        }
    }
    let printed: BTreeSet<String> = apps
        .iter()
        .filter(|a| a.state == State::Printed)
        .map(|a| a.id.to_string())
        .collect();
    assert!(
        printed_by_station.values().all(|n| *n == 1),
        "{printed_by_station:?}"
    );
    assert_eq!(
        printed,
        printed_by_station.keys().cloned().collect::<BTreeSet<_>>()
    );
    let mut results_in_store: BTreeMap<(String, String), CardResult> = BTreeMap::new();
    for (app, cards) in &cards_of {
        for (batch, r) in cards {
            results_in_store.insert((app.to_string(), batch.clone()), r.expect("answered"));
        }
    }
    let station: BTreeMap<(String, String), CardResult> = h
        .station_lines
        .iter()
        .map(|(id, batch, r)| ((id.clone(), batch.clone()), *r))
        .collect();
    assert_eq!(results_in_store, station);
    assert!(
        !apps
            .iter()
            .any(|a| a.state == State::Verified && a.submitted.service.code().starts_with("ktp")),
        "every verified card got printed in the end"
    );

    // The blanko ledger balances, and matches the station's lines.
    let balance = store.blanko_balance().unwrap();
    let count = |r: CardResult| h.station_lines.iter().filter(|l| l.2 == r).count() as u64;
    assert!(balance.balanced(), "{balance:?}");
    assert_eq!(balance.received, h.received_blanko, "{balance:?}");
    assert_eq!(balance.used, count(CardResult::Printed), "{balance:?}");
    assert_eq!(balance.spoiled, count(CardResult::Spoiled), "{balance:?}");
    assert_eq!(balance.reserved, 0, "{balance:?}");

    // Every notice received exactly once — or, for a notice a kill caught
    // between the server's accept and sigap's commit, once more with the
    // same Message-ID (SMTP cannot close that window); and nothing else.
    h.server_settled();
    let received = h.received();
    let notices = store.notices(None).unwrap();
    let mut ids = BTreeSet::new();
    let mut twice = 0;
    for n in &notices {
        assert_eq!(n.state, NoticeState::Sent, "{n:?}");
        let mid = n.message_id.clone().unwrap();
        assert!(ids.insert(mid.clone()), "Message-ID {mid} given twice");
        let copies = received
            .get(mid.trim_matches(['<', '>']))
            .copied()
            .unwrap_or(0);
        let window = h.unrecorded.get(&n.id).copied().unwrap_or(0);
        assert_eq!(copies, 1 + window, "notice {} ({mid})", n.id);
        twice += window;
    }
    assert_eq!(
        received.len(),
        notices.len(),
        "messages that are no notice's"
    );
    // One pickup notice per printed card with an email, one decision notice
    // per application with an email that was not verified or sent to review.
    for a in &apps {
        let of: Vec<NoticeKind> = notices
            .iter()
            .filter(|n| n.application == Some(a.id))
            .map(|n| n.kind)
            .collect();
        let ready = of
            .iter()
            .filter(|k| **k == NoticeKind::ReadyForPickup)
            .count();
        let wants_ready = a.state == State::Printed && a.submitted.email.is_some();
        assert_eq!(ready, usize::from(wants_ready), "{}: {of:?}", a.id);
    }

    // No run is left "running" in the history: each killed run was marked
    // interrupted by the next run of its job.
    let runs = store.runs(None, 100_000).unwrap();
    let interrupted = runs
        .iter()
        .filter(|r| r.outcome == pipeline::domain::outcome::Outcome::Interrupted)
        .count();
    let running: Vec<_> = runs
        .iter()
        .filter(|r| r.outcome == pipeline::domain::outcome::Outcome::Running)
        .map(|r| (r.id, r.job.clone()))
        .collect();
    assert!(running.is_empty(), "left running: {running:?}");

    // The event log replays to the current states.
    let problems = store.check_consistency().unwrap();
    assert!(problems.is_empty(), "{problems:#?}");

    // No half-written file anywhere: no temp file, no partial batch folder;
    // every dispatched batch has its rekap.
    let litter: Vec<PathBuf> = ["data", "out", "spool"]
        .iter()
        .flat_map(|d| {
            files_under(&office.join(d))
                .into_iter()
                .map(move |p| Path::new(d).join(p))
        })
        .filter(|p| {
            p.components().any(|c| {
                let c = c.as_os_str().to_string_lossy();
                c.contains(".tmp") || c.ends_with(".partial")
            })
        })
        .collect();
    assert!(litter.is_empty(), "left behind: {litter:?}");
    for b in &batches {
        for ext in ["pdf", "csv"] {
            let f = office.join(format!("out/rekap/rekap-{}.{ext}", b.id));
            assert!(f.is_file(), "{} missing", f.display());
        }
    }

    // The figures.
    let total: u32 = h.kills.values().sum();
    println!(
        "crash test (seed {seed}): {total} SIGKILLs survived in {} runs ({} ran to the end)",
        h.attempts, h.completed
    );
    for s in STAGES {
        println!(
            "  killed in {s:<7} {:>3}",
            h.kills.get(s).copied().unwrap_or(0)
        );
    }
    println!(
        "  office: {} applications, {} batches, {} cards printed ({} spoiled, {} failed and re-queued), {} notices",
        apps.len(),
        batches.len(),
        count(CardResult::Printed),
        count(CardResult::Spoiled),
        count(CardResult::Failed),
        notices.len()
    );
    println!(
        "  notices received twice with the same Message-ID (killed between the server's accept and the commit): {twice}"
    );
    println!("  job runs in the history marked interrupted by the next run: {interrupted}");
    println!("  wall time {:.0?}", clock.elapsed());
    assert!(total >= 50, "only {total} kills");
    for s in STAGES {
        assert!(
            h.kills.get(s).copied().unwrap_or(0) >= 5,
            "{s}: {:?}",
            h.kills
        );
    }
}
