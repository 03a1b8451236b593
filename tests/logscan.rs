//! No NIK and no name in any log line: a whole night on the committed
//! sample office (ingest, verify, review, batch + dispatch, station
//! results, rekap, notify against a real aiosmtpd, handover, arrival,
//! pickups, the SLA report, and the operator's listings) with the most
//! verbose log filter, then every NIK and every name of the sample
//! population and of the applications is looked for in what was logged.
//!
//! What counts as a log: everything on stderr (tracing's lines, errors),
//! and the stdout of the jobs that run unattended (ingest, verify, batch,
//! rekap, notify, nightly, station results, pickups import, handover,
//! arrived, report), since cron and the daemon send that to the journal.
//! The stdout of the commands an operator runs to look at applications
//! (`applications list/show`, `review list`, `quarantine list/show`,
//! `notices list`, `station list`) shows personal data on purpose, on the
//! operator's terminal, and is not scanned; its stderr is.

use std::collections::BTreeSet;
use std::path::Path;

use polars::prelude::SerReader;
use serde_json::Value;

use crate::smtp::{Smtp, free_port};
use crate::support::{Run, copy_office, repo_root, sigap, write_register};

/// What was said, and whether its stdout is a log.
struct Said {
    command: String,
    stdout_is_log: bool,
    run: Run,
}

struct Night {
    cfg: std::path::PathBuf,
    smtp_url: String,
    said: Vec<Said>,
}

impl Night {
    fn sg(&mut self, args: &[&str], stdout_is_log: bool) -> &Run {
        let mut c = sigap();
        c.env("SIGAP_INGEST_SETTLE_MS", "0")
            // The most verbose filter, for sigap and every library it uses.
            .env("SIGAP_LOG", "trace")
            .env("RUST_LOG", "trace")
            .env("SIGAP_SMTP_URL", &self.smtp_url)
            .arg("--config")
            .arg(&self.cfg)
            .args(args);
        let run: Run = c.output().expect("sigap runs").into();
        assert!(
            run.code == 0 || run.code == 1,
            "sigap {args:?}: exit {}\n{}\n{}",
            run.code,
            run.stdout,
            run.stderr
        );
        self.said.push(Said {
            command: args.join(" "),
            stdout_is_log,
            run,
        });
        &self.said.last().unwrap().run
    }

    fn json(&mut self, args: &[&str]) -> Value {
        let out = self.sg(args, false).stdout.clone();
        serde_json::from_str(&out).unwrap()
    }
}

/// Every NIK and name of the sample: the population and what applicants typed.
fn personal_data(office: &Path, apps: &Value) -> (BTreeSet<String>, BTreeSet<String>) {
    let file = std::fs::File::open(office.join("population.parquet")).unwrap();
    let df = polars::prelude::ParquetReader::new(file).finish().unwrap();
    let mut niks = BTreeSet::new();
    let mut names = BTreeSet::new();
    let nik = df.column("nik").unwrap();
    let name = df.column("name").unwrap();
    for i in 0..df.height() {
        let text = |v: polars::prelude::AnyValue| match v {
            polars::prelude::AnyValue::String(s) => s.to_string(),
            other => other.to_string().trim_matches('"').to_string(),
        };
        niks.insert(text(nik.get(i).unwrap()));
        names.insert(text(name.get(i).unwrap()).to_uppercase());
    }
    for a in apps.as_array().unwrap() {
        let typed = a["nik"].as_str().unwrap().to_string();
        if typed.len() == 16 {
            niks.insert(typed);
        }
        names.insert(a["name"].as_str().unwrap().to_uppercase());
    }
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(office.join("manifest.json")).unwrap()).unwrap();
    for m in manifest["applications"].as_array().unwrap() {
        names.insert(m["name"].as_str().unwrap().to_uppercase());
        let digits: String = m["nik"]
            .as_str()
            .unwrap()
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        if digits.len() == 16 {
            niks.insert(digits);
        }
    }
    names.retain(|n| !n.trim().is_empty());
    (niks, names)
}

/// Whether `needle` occurs in `hay` as whole words: `EKA` (a name) is not
/// in `REKAP`, nor `BAMBANG` in `BAMBANGLIPURO` (a kecamatan).
fn contains_words(hay: &str, needle: &str) -> bool {
    let word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    hay.match_indices(needle).any(|(at, m)| {
        !word(hay[..at].chars().next_back()) && !word(hay[at + m.len()..].chars().next())
    })
}

#[test]
fn a_whole_night_at_trace_level_logs_no_nik_and_no_name() {
    let tmp = tempfile::tempdir().unwrap();
    let office = tmp.path().join("office");
    copy_office(&repo_root().join("sample-data"), &office);
    let smtp = Smtp::start(tmp.path(), free_port());
    let mut night = Night {
        cfg: office.join("sigap.toml"),
        smtp_url: smtp.url(),
        said: Vec::new(),
    };

    night.sg(&["blanko", "receive", "1000", "--ref", "BAST-1"], true);
    night.sg(&["nightly"], true);
    // The operator's side: the queues, a decision each way.
    night.sg(&["review", "list"], false);
    let review = night.json(&["review", "list", "--json"]);
    let ids: Vec<String> = review
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    assert!(ids.len() >= 2, "{review}");
    night.sg(
        &["review", "approve", &ids[0], "--by", "petugas-loket"],
        true,
    );
    night.sg(
        &[
            "review",
            "reject",
            &ids[1],
            "--reason",
            "KK_MISMATCH",
            "--by",
            "petugas-loket",
        ],
        true,
    );
    night.sg(&["quarantine", "list"], false);
    night.sg(&["quarantine", "show", "Q-000001"], false);
    night.sg(&["station", "list"], false);
    // The station prints every batch, spoiling one card.
    let outgoing = office.join("spool/outgoing");
    let mut batches: Vec<String> = std::fs::read_dir(&outgoing)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    batches.sort();
    assert!(!batches.is_empty());
    let first_cards = csv::Reader::from_path(outgoing.join(&batches[0]).join("cards.csv"))
        .unwrap()
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].to_string(), r[1].to_string())
        })
        .collect::<Vec<_>>();
    let spoiled = format!("{}:0009990001:pita macet", first_cards[0].1);
    night.sg(
        &["station", "confirm", &batches[0], "--spoiled", &spoiled],
        true,
    );
    for b in &batches[1..] {
        night.sg(&["station", "confirm", b], true);
    }
    night.sg(&["station", "results"], true);
    // A second results file for the first batch: a line with another
    // applicant's NIK and one for a card in no batch, both quarantined, and
    // said so without the NIK.
    std::fs::write(
        office.join("spool/results").join(format!("{}.csv", batches[0])),
        format!(
            "application_id,nik,result,blanko_serial,reason\n{},{},PRINTED,0009990002,\nA-000999,{},PRINTED,0009990003,\n",
            first_cards[1].0, first_cards[2].1, first_cards[2].1
        ),
    )
    .unwrap();
    let applied = night.sg(&["station", "results"], true).stdout.clone();
    assert_eq!(
        applied
            .lines()
            .filter(|l| l.starts_with("rejected "))
            .count(),
        2,
        "{applied}"
    );
    night.sg(&["nightly"], true);
    // The card goes to the kecamatan and is collected; one register row
    // names a card with another applicant's NIK (quarantined).
    let b = batches[1].clone();
    night.sg(&["handover", &b, "--by", "kurir-dinas"], true);
    night.sg(&["arrived", &b, "--by", "petugas-kecamatan"], true);
    let cards = csv::Reader::from_path(outgoing.join(&b).join("cards.csv"))
        .unwrap()
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].to_string(), r[1].to_string())
        })
        .collect::<Vec<_>>();
    let now = crate::pickups::register_now();
    let mut rows = vec![format!(
        "{},{},{b},{now},petugas-kecamatan,ya",
        cards[0].0, cards[0].1
    )];
    if cards.len() > 1 {
        rows.push(format!(
            "{},{},{b},{now},petugas-kecamatan,ya",
            cards[1].0, first_cards[1].1
        ));
    }
    let register = tmp.path().join("register.csv");
    write_register(&register, &rows);
    night.sg(&["pickups", "import", register.to_str().unwrap()], true);
    night.sg(&["nightly"], true);
    let today = chrono::Utc::now().date_naive().to_string();
    night.sg(
        &["report", "sla", "--from", "2026-11-01", "--to", &today],
        true,
    );
    night.sg(&["status"], true);
    night.sg(&["jobs", "history"], true);
    night.sg(&["blanko", "status"], true);
    night.sg(&["notices", "list"], false);
    night.sg(&["applications", "list"], false);
    let apps = night.json(&["applications", "list", "--json"]);
    night.sg(
        &["applications", "show", apps[0]["id"].as_str().unwrap()],
        false,
    );
    assert!(smtp.messages().len() > 50, "the notices went out");

    let (niks, names) = personal_data(&office, &apps);
    assert!(
        niks.len() >= 2000 && names.len() >= 1000,
        "{} {}",
        niks.len(),
        names.len()
    );
    let mut lines = 0usize;
    let mut bytes = 0usize;
    let mut found = Vec::new();
    for s in &night.said {
        let mut logged = s.run.stderr.clone();
        if s.stdout_is_log {
            logged.push_str(&s.run.stdout);
        }
        lines += logged.lines().count();
        bytes += logged.len();
        let upper = logged.to_uppercase();
        for nik in &niks {
            if logged.contains(nik.as_str()) {
                found.push(format!("sigap {}: NIK {nik}", s.command));
            }
        }
        for name in &names {
            if contains_words(&upper, name) {
                found.push(format!("sigap {}: name {name}", s.command));
            }
        }
    }
    // Make sure the scan itself works: the operator's listings do show them.
    let shown: String = night
        .said
        .iter()
        .filter(|s| !s.stdout_is_log)
        .map(|s| s.run.stdout.to_uppercase())
        .collect();
    assert!(niks.iter().any(|n| shown.contains(n.as_str())));
    assert!(names.iter().any(|n| contains_words(&shown, n)));
    println!(
        "log scan: {} commands, {lines} log lines ({bytes} bytes) at trace level, {} NIKs and {} names looked for, {} found",
        night.said.len(),
        niks.len(),
        names.len(),
        found.len()
    );
    assert!(
        found.is_empty(),
        "personal data in the logs:\n{}",
        found.join("\n")
    );
}
