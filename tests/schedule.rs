//! The schedule: `[schedule]` checked by `sigap config check`, `sigap jobs
//! list | history`, and the per-job lock between two real processes.

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{copy_office, repo_root, sigap};

fn office(tmp: &std::path::Path) -> std::path::PathBuf {
    let dir = tmp.join("office");
    copy_office(&repo_root().join("sample-data"), &dir);
    dir.join("sigap.toml")
}

/// Waits, at most two minutes, until `done()` holds; else fails saying
/// `why()`. The daemon tests poll its history this way.
fn wait_for(mut done: impl FnMut() -> bool, why: impl Fn() -> String) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < Duration::from_secs(120), "{}", why());
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Starts `sigap daemon` on the office at `cfg`, its log in `tmp/daemon.log`.
fn start_daemon(tmp: &std::path::Path, cfg: &std::path::Path) -> std::process::Child {
    sigap()
        .env("SIGAP_INGEST_SETTLE_MS", "0")
        .args(["--config", cfg.to_str().unwrap(), "daemon"])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(tmp.join("daemon.log")).unwrap())
        .spawn()
        .unwrap()
}

/// Sends SIGTERM to a daemon and returns its exit code.
fn stop(mut daemon: std::process::Child) -> Option<i32> {
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &daemon.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    daemon.wait().unwrap().code()
}

#[test]
fn a_second_process_is_refused_while_the_first_holds_the_job() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = office(tmp.path());
    let office = cfg.parent().unwrap().to_path_buf();
    // The first nightly holds its lock while ingest waits for the inbox
    // files to settle.
    let mut first = sigap()
        .env("SIGAP_INGEST_SETTLE_MS", "4000")
        .arg("--config")
        .arg(&cfg)
        .arg("nightly")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lock = office.join("data/locks/nightly.lock");
    let pid = first.id().to_string();
    let started = Instant::now();
    while std::fs::read_to_string(&lock)
        .map(|s| s.trim().to_string())
        .ok()
        != Some(pid.clone())
    {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the first nightly never took its lock"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let second = sigap()
        .arg("--config")
        .arg(&cfg)
        .arg("nightly")
        .output()
        .unwrap();
    assert_eq!(second.status.code(), Some(75));
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(
        err.contains(&format!("`nightly` is already running (process {pid}")),
        "{err}"
    );
    // The first finishes its night (exit 1: the sample's planted quarantine).
    assert_eq!(first.wait().unwrap().code(), Some(1));
    // Once it is done the job runs again, and the refused run left no trace.
    let third = sigap()
        .env("SIGAP_INGEST_SETTLE_MS", "0")
        .arg("--config")
        .arg(&cfg)
        .arg("nightly")
        .output()
        .unwrap();
    assert_eq!(
        third.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&third.stdout)
    );
    let history = sigap()
        .args([
            "--config",
            cfg.to_str().unwrap(),
            "jobs",
            "history",
            "--job",
            "nightly",
            "--json",
        ])
        .output()
        .unwrap();
    let runs: Vec<Value> = serde_json::from_slice(&history.stdout).unwrap();
    let outcomes: Vec<&str> = runs
        .iter()
        .map(|r| r["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, vec!["ok", "attention"]);
}

#[test]
fn a_bad_cron_is_named_by_config_check_and_jobs_list_shows_next_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = office(tmp.path());
    let list = sigap()
        .args(["--config", cfg.to_str().unwrap(), "jobs", "list", "--json"])
        .output()
        .unwrap();
    assert!(list.status.success());
    let jobs: Vec<Value> = serde_json::from_slice(&list.stdout).unwrap();
    let nightly = jobs.iter().find(|j| j["job"] == "nightly").unwrap();
    assert_eq!(nightly["next_runs"].as_array().unwrap().len(), 3);
    // 01:00 in the office's timezone (WIB).
    assert!(
        nightly["next_runs"][0]
            .as_str()
            .unwrap()
            .ends_with("01:00 +07:00"),
        "{nightly}"
    );

    let text = std::fs::read_to_string(&cfg).unwrap();
    let broken = text.replace(
        "[schedule.ingest]\ncron = \"*/15 * * * *\"",
        "[schedule.ingest]\ncron = \"*/15 * * *\"",
    );
    assert_ne!(broken, text);
    std::fs::write(&cfg, broken).unwrap();
    let check = sigap()
        .args(["--config", cfg.to_str().unwrap(), "config", "check"])
        .output()
        .unwrap();
    assert_eq!(check.status.code(), Some(2));
    let out = String::from_utf8_lossy(&check.stdout).to_string()
        + &String::from_utf8_lossy(&check.stderr);
    assert!(out.contains("schedule.ingest.cron"), "{out}");
    assert!(out.contains("4 fields"), "{out}");
}

/// Runs of `job` in the history, oldest first: (outcome, message).
fn history(cfg: &std::path::Path, job: &str) -> Vec<(String, String)> {
    let out = sigap()
        .args([
            "--config",
            cfg.to_str().unwrap(),
            "jobs",
            "history",
            "--job",
            job,
            "--json",
        ])
        .output()
        .unwrap();
    let runs: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    runs.iter()
        .rev()
        .map(|r| {
            (
                r["outcome"].as_str().unwrap().to_string(),
                r["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn the_daemon_runs_the_schedule_and_stops_cleanly_on_sigterm() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = office(tmp.path());
    // Ingest every two seconds (6 fields: seconds first); nothing else due.
    let text = std::fs::read_to_string(&cfg).unwrap();
    let text = text
        .replace(
            "[schedule.ingest]\ncron = \"*/15 * * * *\"",
            "[schedule.ingest]\ncron = \"*/2 * * * * *\"",
        )
        .replace(
            "[schedule.nightly]\ncron = \"0 1 * * *\"",
            "[schedule.nightly]\ncron = \"0 0 1 1 *\"",
        );
    assert!(text.contains("*/2 * * * * *") && text.contains("0 0 1 1 *"));
    std::fs::write(&cfg, text).unwrap();
    let daemon = start_daemon(tmp.path(), &cfg);
    // Wait (bounded) until the daemon has run ingest at least twice.
    wait_for(
        || history(&cfg, "ingest").len() >= 2,
        || {
            format!(
                "no ingest runs from the daemon: {:?} {}",
                history(&cfg, "ingest"),
                std::fs::read_to_string(tmp.path().join("daemon.log")).unwrap_or_default()
            )
        },
    );
    // A second daemon on the same office is refused, naming the first.
    let second = sigap()
        .args(["--config", cfg.to_str().unwrap(), "daemon"])
        .output()
        .unwrap();
    assert_eq!(second.status.code(), Some(75));
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(
        err.contains("`daemon` is already running")
            && err.contains(&format!("process {}", daemon.id())),
        "{err}"
    );
    assert_eq!(stop(daemon), Some(0), "the daemon exits cleanly");
    let ingests = history(&cfg, "ingest");
    // The first run read the sample inbox; later ones found nothing new.
    assert!(ingests[0].1.starts_with("read 245, new 200"), "{ingests:?}");
    assert!(
        ingests[1..]
            .iter()
            .all(|(_, m)| m.starts_with("read 0, new 0")),
        "{ingests:?}"
    );
    // Nothing is left half-done: no run still "running", all 200 applications recorded.
    assert!(ingests.iter().all(|(o, _)| o != "running"), "{ingests:?}");
    let daemon_runs = history(&cfg, "daemon");
    assert_eq!(daemon_runs.len(), 1);
    assert_eq!(daemon_runs[0].0, "interrupted");
    let apps = sigap()
        .args([
            "--config",
            cfg.to_str().unwrap(),
            "applications",
            "list",
            "--json",
        ])
        .output()
        .unwrap();
    let apps: Vec<Value> = serde_json::from_slice(&apps.stdout).unwrap();
    assert_eq!(apps.len(), 200);
}

#[test]
fn a_job_that_fails_every_retry_sends_exactly_one_alert_through_the_outbox() {
    use crate::smtp::{Smtp, free_port};
    use chrono::{Datelike, Timelike};

    let tmp = tempfile::tempdir().unwrap();
    let cfg = office(tmp.path());
    let smtp = Smtp::start(tmp.path(), free_port());
    // Verify cannot reach its population database: every attempt fails.
    let env = [
        ("SIGAP_INGEST_SETTLE_MS", "0".to_string()),
        (
            "SIGAP_POPULATION_URL",
            "/nonexistent/penduduk.parquet".into(),
        ),
        ("SIGAP_SMTP_URL", smtp.url()),
    ];
    let sg = |args: &[&str]| {
        let mut c = sigap();
        c.envs(env.iter().map(|(k, v)| (*k, v.as_str())));
        c.arg("--config").arg(&cfg).args(args);
        c
    };
    // 200 applications to verify, and one failed verify by hand: the
    // daemon catches up (run_once) if it starts after the scheduled second.
    assert_eq!(sg(&["ingest"]).output().unwrap().status.code(), Some(1));
    let by_hand = sg(&["verify"]).output().unwrap();
    assert!(
        String::from_utf8_lossy(&by_hand.stderr).contains("error:"),
        "{by_hand:?}"
    );
    // Verify once, three seconds from now (office time, WIB), with two
    // retries a second apart; the other jobs not before next year.
    let at = chrono::Utc::now() + chrono::Duration::seconds(3);
    let at = at.with_timezone(&chrono::FixedOffset::east_opt(7 * 3600).unwrap());
    let once = format!(
        "{} {} {} {} {} *",
        at.second(),
        at.minute(),
        at.hour(),
        at.day(),
        at.month()
    );
    let text = std::fs::read_to_string(&cfg).unwrap();
    let text = text
        .replace("cron = \"*/15 * * * *\"", "cron = \"0 0 1 1 *\"")
        .replace("cron = \"0 1 * * *\"", "cron = \"0 0 1 1 *\"")
        .replace(
            "[station]",
            &format!(
                "[schedule.verify]\ncron = \"{once}\"\ncatch_up = \"run_once\"\nretries = 2\nretry_delay_secs = 1\n\n[station]"
            ),
        );
    std::fs::write(&cfg, text).unwrap();
    let daemon = sg(&["daemon"])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(tmp.path().join("daemon.log")).unwrap())
        .spawn()
        .unwrap();
    // Bounded wait for the alert's run record and its mail.
    wait_for(
        || !history(&cfg, "daemon-alert").is_empty() && !smtp.messages().is_empty(),
        || {
            format!(
                "no alert: verify runs {:?}; daemon log {}",
                history(&cfg, "verify"),
                std::fs::read_to_string(tmp.path().join("daemon.log")).unwrap_or_default()
            )
        },
    );
    // Time for a second alert, if there were to be one.
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(stop(daemon), Some(0));

    // The scheduled run and its two retries failed; the one by hand before.
    let verify = history(&cfg, "verify");
    assert_eq!(verify.len(), 4, "{verify:?}");
    assert!(verify.iter().all(|(o, _)| o == "failed"), "{verify:?}");
    let alerts = history(&cfg, "daemon-alert");
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert!(
        alerts[0].1.starts_with("verify failed after 3 attempt(s)"),
        "{alerts:?}"
    );
    // Exactly one mail reached the server: to the admin, from the outbox.
    let mails = smtp.messages();
    assert_eq!(mails.len(), 1);
    let mail = mail_parser::MessageParser::default()
        .parse(&mails[0])
        .unwrap();
    let to = mail.to().unwrap().first().unwrap().address().unwrap();
    assert_eq!(to, "admin-sigap@bantulkab.go.id");
    let subject = mail.subject().unwrap();
    assert!(subject.contains("`verify` gagal"), "{subject}");
    let body = mail.body_text(0).unwrap();
    assert!(body.contains("sigap jobs history --job verify"), "{body}");
    let notices = sg(&["notices", "list", "--json"]).output().unwrap();
    let notices: Vec<Value> = serde_json::from_slice(&notices.stdout).unwrap();
    assert_eq!(notices.len(), 1);
    assert_eq!(notices[0]["kind"], "ADMIN_ALERT");
    assert_eq!(notices[0]["state"], "SENT");
    assert_eq!(
        mail.message_id().unwrap(),
        notices[0]["message_id"]
            .as_str()
            .unwrap()
            .trim_matches(['<', '>'])
    );
}

/// Holds `job`'s lock in this process, as a run of it by hand would.
fn hold(cfg: &std::path::Path, job: pipeline::job::Job) -> pipeline::job::JobLock {
    let data = cfg.parent().unwrap().join("data");
    pipeline::job::JobLock::acquire(&data, job).unwrap()
}

#[test]
fn the_daemon_records_a_job_whose_lock_is_held_as_locked_not_failed() {
    use pipeline::job::Job;

    let tmp = tempfile::tempdir().unwrap();
    let cfg = office(tmp.path());
    // Ingest and station results every two seconds; a failure of either
    // would be retried (station results) or alerted at once (ingest, no
    // retries); the other jobs not before next year.
    let text = std::fs::read_to_string(&cfg).unwrap();
    let text = text
        .replace(
            "[schedule.ingest]\ncron = \"*/15 * * * *\"",
            "[schedule.ingest]\ncron = \"*/2 * * * * *\"",
        )
        .replace(
            "[schedule.station-results]\ncron = \"*/15 * * * *\"",
            "[schedule.station-results]\ncron = \"*/2 * * * * *\"\nretries = 2\nretry_delay_secs = 1",
        )
        .replace("cron = \"0 1 * * *\"", "cron = \"0 0 1 1 *\"")
        .replace("cron = \"5 * * * *\"", "cron = \"0 0 1 1 *\"");
    assert_eq!(text.matches("*/2 * * * * *").count(), 2, "{text}");
    std::fs::write(&cfg, text).unwrap();
    // Someone runs both by hand, for as long as the test holds the locks.
    let ingest_lock = hold(&cfg, Job::Ingest);
    let station_lock = hold(&cfg, Job::StationResults);
    let daemon = start_daemon(tmp.path(), &cfg);
    let log = || std::fs::read_to_string(tmp.path().join("daemon.log")).unwrap_or_default();
    wait_for(
        || history(&cfg, "ingest").len() >= 2 && history(&cfg, "station-results").len() >= 2,
        || {
            format!(
                "no skips recorded: {:?} {:?}\n{}",
                history(&cfg, "ingest"),
                history(&cfg, "station-results"),
                log()
            )
        },
    );
    for job in ["ingest", "station-results"] {
        let runs = history(&cfg, job);
        assert!(
            runs.iter().all(|(o, m)| o == "locked"
                && m == "skipped by the daemon: another process holds the job's lock"),
            "{job}: {runs:?}"
        );
    }
    // The hand run ends: the next scheduled ingest runs for real.
    drop(ingest_lock);
    wait_for(
        || history(&cfg, "ingest").iter().any(|(o, _)| o != "locked"),
        || format!("ingest never ran: {:?}\n{}", history(&cfg, "ingest"), log()),
    );
    assert_eq!(stop(daemon), Some(0), "{}", log());
    drop(station_lock);

    let ingests = history(&cfg, "ingest");
    let ran: Vec<&(String, String)> = ingests.iter().filter(|(o, _)| o != "locked").collect();
    assert!(
        ran.iter().all(|(o, _)| o == "attention" || o == "ok"),
        "{ingests:?}"
    );
    assert!(
        ran.first()
            .is_some_and(|(_, m)| m.starts_with("read 245, new 200")),
        "{ingests:?}"
    );
    assert!(
        history(&cfg, "station-results")
            .iter()
            .all(|(o, _)| o == "locked")
    );
    // No failure, so no retry and no alert: the daemon counted skips only.
    assert!(history(&cfg, "daemon-alert").is_empty());
    let out = sigap()
        .args([
            "--config",
            cfg.to_str().unwrap(),
            "jobs",
            "history",
            "--job",
            "daemon",
            "--json",
        ])
        .output()
        .unwrap();
    let runs: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let counters = runs[0]["counters"].as_object().unwrap();
    assert!(
        counters.keys().all(|k| !k.ends_with("_failed")),
        "{counters:?}"
    );
    assert!(
        counters["ingest_locked"].as_i64().unwrap() >= 2,
        "{counters:?}"
    );
    assert!(
        counters["station-results_locked"].as_i64().unwrap() >= 2,
        "{counters:?}"
    );
    let notices = sigap()
        .args([
            "--config",
            cfg.to_str().unwrap(),
            "notices",
            "list",
            "--json",
        ])
        .output()
        .unwrap();
    let notices: Vec<Value> = serde_json::from_slice(&notices.stdout).unwrap();
    assert!(
        notices.iter().all(|n| n["kind"] != "ADMIN_ALERT"),
        "{notices:?}"
    );
}

/// The Python that has croniter: scripts/test installs it beside aiosmtpd
/// and names that venv's Python in `SIGAP_TEST_SMTP_PYTHON`.
fn croniter_python() -> String {
    std::env::var("SIGAP_TEST_SMTP_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// Expressions whose reading differs between cron dialects: weekday 0–7,
/// steps over weekdays, names in any case, the day-of-month/weekday OR
/// rule, month ends, leap days, macros, seconds first.
const TRICKY_CRON: &[&str] = &[
    "0 9 1 * 1",
    "0 0 * * 0-7",
    "0 0 * * 1-7",
    "0 0 * * 0-6",
    "0 0 * * 5-7",
    "0 0 * * 7",
    "0 0 * * 0",
    "0 0 * * 0,7",
    "0 0 * * */2",
    "0 0 * * 1-7/2",
    "0 0 * * 0-7/3",
    "0 0 * * */7",
    "0 0 * * mon-fri",
    "0 0 * * MON-Fri",
    "0 0 * * 1-fri",
    "0 0 * * sun",
    "0 12 * * SAT,sun",
    "0 0 1 * *",
    "0 0 31 * *",
    "0 0 30 * *",
    "0 0 29 2 *",
    "0 0 29 2 1",
    "0 0 29 2 */7",
    "0 0 30 * 5",
    "0 0 */2 * 1",
    "0 0 1-7 * 1",
    "0 0 1-7 * */7",
    "30 6 13 * 5",
    "0 0 13 * fri",
    "0 0 * jan-mar *",
    "0 0 1 JAN,jul *",
    "0 0 15 feb mon",
    "0 0 31 1,3,5,7,8,10,12 7",
    "0 0 2-30/7 * 3",
    "0 0 */10 * *",
    "*/15 * * * *",
    "5 * * * *",
    "0 */6 * * *",
    "0 1 * * *",
    "59 23 31 12 *",
    "59 23 28-31 * *",
    "0 0 1 1 *",
    "1-5/2,40-59/7 */5 * * *",
    "0 8-17 * * 1-5",
    "0 0 * * 6,0",
    "*/90 * * * *",
    "05 07 * * *",
    "0 0 31 2 1",
    "@daily",
    "@hourly",
    "@weekly",
    "@monthly",
    "@yearly",
    "@annually",
    "*/2 * * * * *",
    "30 0 0 1 * *",
    "0 0 0 * * 0-7",
    "15,45 */5 9 * * mon",
    "59 59 23 29 2 *",
];

/// A small seeded generator (xorshift64*): the same expressions every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u32) -> u32 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        ((self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) % u64::from(n)) as u32
    }
}

/// One random field over all of crontab's forms: `*`, `*/S`, `N`, `A-B`,
/// `A-B/S` and lists of them, with names in random case where the field
/// has names.
fn random_field(rng: &mut Rng, min: u32, max: u32, names: &[&str], star_odds: u32) -> String {
    if rng.below(100) < star_odds {
        return "*".into();
    }
    let value = |rng: &mut Rng, v: u32| -> String {
        let i = (v - min) as usize;
        if i < names.len() && rng.below(3) == 0 {
            names[i]
                .chars()
                .map(|c| {
                    if rng.below(2) == 0 {
                        c.to_ascii_uppercase()
                    } else {
                        c
                    }
                })
                .collect()
        } else {
            v.to_string()
        }
    };
    let span = max - min + 1;
    let items = 1 + rng.below(3);
    (0..items)
        .map(|_| {
            // A range's ends differ: croniter 7 reads `3-3` as the whole
            // field where crontab reads 3 (`schedule.rs` tests that one).
            let a = min + rng.below(span - 1);
            let b = a + 1 + rng.below(max - a);
            let step = 1 + rng.below(span.min(12));
            match rng.below(5) {
                0 => format!("*/{step}"),
                1 | 2 => {
                    let v = min + rng.below(span);
                    value(rng, v)
                }
                3 => format!("{}-{}", value(rng, a), value(rng, b)),
                _ => format!("{}-{}/{step}", value(rng, a), value(rng, b)),
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// A random expression: 5 fields, or 6 with seconds first (`seconds`).
fn random_cron(rng: &mut Rng, seconds: bool) -> String {
    const MONTHS: &[&str] = &[
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    const WEEKDAYS: &[&str] = &["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
    let mut fields = Vec::new();
    if seconds {
        fields.push(random_field(rng, 0, 59, &[], 30));
    }
    // Few minutes and hours, so that 20 runs reach over many days and the
    // day fields decide.
    fields.push(random_field(rng, 0, 59, &[], 5));
    fields.push(random_field(rng, 0, 23, &[], 15));
    fields.push(random_field(rng, 1, 31, &[], 40));
    fields.push(random_field(rng, 1, 12, MONTHS, 50));
    fields.push(random_field(rng, 0, 7, WEEKDAYS, 40));
    fields.join(" ")
}

#[test]
fn next_runs_agree_with_croniter_on_hundreds_of_expressions() {
    use chrono::{DateTime, FixedOffset, TimeZone, Utc};
    use pipeline::schedule::{next_runs, parse_cron};

    let wita = FixedOffset::east_opt(8 * 3600).unwrap();
    let starts: Vec<DateTime<Utc>> = vec![
        // 23:59:30 on 31 January in WITA: a month end, mid-minute.
        Utc.with_ymd_and_hms(2026, 1, 31, 15, 59, 30).unwrap(),
        // Noon on the leap day 29 February 2028.
        Utc.with_ymd_and_hms(2028, 2, 29, 4, 0, 0).unwrap(),
        // Midnight of New Year exactly (a run at the start is not "next").
        Utc.with_ymd_and_hms(2026, 12, 31, 16, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(2027, 6, 15, 0, 7, 13).unwrap(),
    ];
    let mut rng = Rng(0x5167_a916);
    let mut exprs: Vec<String> = TRICKY_CRON.iter().map(|s| s.to_string()).collect();
    exprs.extend((0..320).map(|_| random_cron(&mut rng, false)));
    exprs.extend((0..40).map(|_| random_cron(&mut rng, true)));

    // What sigap reads, and for croniter the same questions; an expression
    // sigap refuses as never running must find no run in croniter either.
    let mut cases = Vec::new();
    let mut ours: Vec<Result<Vec<String>, String>> = Vec::new();
    for expr in &exprs {
        match parse_cron(expr) {
            Ok(schedule) => {
                for start in &starts {
                    cases.push(serde_json::json!({
                        "expr": expr,
                        "start": start.with_timezone(&wita).to_rfc3339(),
                        "count": 20,
                    }));
                    ours.push(Ok(next_runs(&schedule, *start, wita, 20)
                        .iter()
                        .map(|t| t.to_rfc3339())
                        .collect()));
                }
            }
            Err(e) => {
                let e = e.to_string();
                assert!(e.contains("never runs"), "sigap refuses crontab's {e}");
                cases.push(serde_json::json!({
                    "expr": expr,
                    "start": starts[0].with_timezone(&wita).to_rfc3339(),
                    "count": 1,
                }));
                ours.push(Err(e));
            }
        }
    }

    let mut python = std::process::Command::new(croniter_python())
        .arg(repo_root().join("tests/cron_oracle.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python runs (scripts/test installs croniter)");
    let input = serde_json::to_vec(&cases).unwrap();
    let mut stdin = python.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        stdin.write_all(&input).unwrap();
    });
    let out = python.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(
        out.status.success(),
        "croniter (run ./scripts/test once to install it): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let theirs: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(theirs.len(), cases.len());

    let mut differ = Vec::new();
    for ((case, ours), theirs) in cases.iter().zip(&ours).zip(&theirs) {
        let agree = match ours {
            Ok(runs) => theirs.as_array().is_some_and(|t| {
                t.iter()
                    .map(|v| v.as_str().unwrap_or(""))
                    .eq(runs.iter().map(String::as_str))
            }),
            Err(_) => theirs.get("error").is_some(),
        };
        if !agree {
            differ.push(format!(
                "`{}` from {}:\n  sigap    {ours:?}\n  croniter {theirs}",
                case["expr"].as_str().unwrap(),
                case["start"].as_str().unwrap()
            ));
        }
    }
    let compared = ours.iter().filter(|o| o.is_ok()).count();
    assert!(
        compared >= 1200,
        "only {compared} comparisons: the generator lost its expressions"
    );
    let exprs: std::collections::BTreeSet<&str> =
        differ.iter().filter_map(|d| d.split('`').nth(1)).collect();
    assert!(
        differ.is_empty(),
        "{} of {} cases differ from croniter, of {exprs:?}; the first:\n{}",
        differ.len(),
        cases.len(),
        differ[..differ.len().min(8)].join("\n")
    );
}

#[test]
fn config_check_refuses_what_crontab_refuses_and_says_what_to_write() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = office(tmp.path());
    let text = std::fs::read_to_string(&cfg).unwrap();
    let broken = text
        .replace(
            "[schedule.nightly]\ncron = \"0 1 * * *\"",
            "[schedule.nightly]\ncron = \"@reboot\"",
        )
        .replace(
            "[schedule.pickups]\ncron = \"5 * * * *\"",
            "[schedule.pickups]\ncron = \"5 * * * sat-sun\"",
        );
    assert_ne!(broken, text);
    std::fs::write(&cfg, broken).unwrap();
    let check = sigap()
        .args(["--config", cfg.to_str().unwrap(), "config", "check"])
        .output()
        .unwrap();
    assert_eq!(check.status.code(), Some(2));
    let out = String::from_utf8_lossy(&check.stdout).to_string()
        + &String::from_utf8_lossy(&check.stderr);
    assert!(out.contains("schedule.nightly.cron"), "{out}");
    assert!(out.contains("run_once"), "{out}");
    assert!(out.contains("schedule.pickups.cron"), "{out}");
    assert!(out.contains("write `6-7`"), "{out}");
}
