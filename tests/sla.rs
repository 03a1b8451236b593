//! The SLA report end to end: `sigap sample-data --weeks 8` writes a
//! history, `sigap report sla` reports on it, and this file recomputes the
//! figures a second, plain way — straight from the SQLite event log, working
//! time by walking minute by minute through the office's hours, percentiles
//! by sorting — and compares them with the report's CSV to the last digit.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Utc};

use crate::support::{Run, sigap};

fn sg(cfg: &Path, args: &[&str]) -> Run {
    let mut c = sigap();
    c.arg("--config").arg(cfg).args(args);
    c.output().expect("sigap runs").into()
}

/// A history office made once per test: 8 weeks, about 120 applications a week.
fn history_office(tmp: &Path) -> (PathBuf, serde_json::Value) {
    let dir = tmp.join("office");
    let out = crate::support::run(
        None,
        &[
            "sample-data",
            dir.to_str().unwrap(),
            "--population",
            "1500",
            "--applications",
            "120",
            "--seed",
            "7",
            "--weeks",
            "8",
        ],
    )
    .expect_code(0);
    assert!(out.stdout.contains("history: 8 weeks"), "{}", out.stdout);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    (dir.join("sigap.toml"), manifest)
}

/// CSV rows as maps of column → value.
fn csv_rows(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let headers: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            headers
                .iter()
                .cloned()
                .zip(rec.iter().map(String::from))
                .collect()
        })
        .collect()
}

/// The office's calendar, read from sigap.toml by hand.
struct Calendar {
    offset_min: i64,
    /// Opening and closing minute per weekday (Monday = 0).
    hours: [Option<(i64, i64)>; 7],
    holidays: BTreeSet<NaiveDate>,
    targets: BTreeMap<&'static str, i64>,
}

fn calendar(cfg: &Path) -> Calendar {
    let doc: toml::Table = std::fs::read_to_string(cfg).unwrap().parse().unwrap();
    let offset_min = match doc["office"]["timezone"].as_str().unwrap() {
        "WIB" => 7 * 60,
        "WITA" => 8 * 60,
        "WIT" => 9 * 60,
        other => panic!("timezone {other}"),
    };
    let mut hours = [None; 7];
    for (i, day) in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .iter()
        .enumerate()
    {
        if let Some(range) = doc["hours"].get(*day).and_then(|v| v.as_str()) {
            let (a, b) = range.split_once('-').unwrap();
            let m = |s: &str| {
                let t = NaiveTime::parse_from_str(s.trim(), "%H:%M").unwrap();
                i64::from(chrono::Timelike::num_seconds_from_midnight(&t)) / 60
            };
            hours[i] = Some((m(a), m(b)));
        }
    }
    let holidays = doc["holidays"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| NaiveDate::parse_from_str(h["date"].as_str().unwrap(), "%Y-%m-%d").unwrap())
        .collect();
    let sla = &doc["sla"];
    let t = |k: &str| {
        (sla[k]
            .as_float()
            .unwrap_or_else(|| sla[k].as_integer().unwrap() as f64)
            * 60.0)
            .round() as i64
    };
    let targets = BTreeMap::from([
        ("complete_to_printed", t("complete_to_printed_hours")),
        ("printed_to_ready", t("printed_to_ready_hours")),
        ("submitted_to_ready", t("submitted_to_ready_hours")),
    ]);
    Calendar {
        offset_min,
        hours,
        holidays,
        targets,
    }
}

impl Calendar {
    /// Working minutes in [from, to), one minute at a time.
    fn minutes(&self, from: i64, to: i64, cache: &mut HashMap<i64, Option<(i64, i64)>>) -> i64 {
        let mut n = 0;
        let mut m = from;
        while m < to {
            let local = m + self.offset_min;
            let day = local.div_euclid(1440);
            let open = *cache.entry(day).or_insert_with(|| {
                let date =
                    NaiveDate::from_ymd_opt(1970, 1, 1).unwrap() + chrono::Duration::days(day);
                if self.holidays.contains(&date) {
                    None
                } else {
                    self.hours[date.weekday().num_days_from_monday() as usize]
                }
            });
            let minute = local.rem_euclid(1440);
            if let Some((o, c)) = open
                && minute >= o
                && minute < c
            {
                n += 1;
            }
            m += 1;
        }
        n
    }

    /// Epoch minute of local midnight starting `d`.
    fn midnight(&self, d: NaiveDate) -> i64 {
        (d - NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()).num_days() * 1440 - self.offset_min
    }
}

/// An RFC 3339 time as epoch minutes; every time of the history is a whole minute.
fn minute(s: &str) -> i64 {
    let t = DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
    assert_eq!(t.timestamp() % 60, 0, "{s} is not a whole minute");
    assert_eq!(t.timestamp_subsec_nanos(), 0, "{s}");
    t.timestamp() / 60
}

struct App {
    id: i64,
    service: String,
    kecamatan: String,
    submitted: i64,
    /// (state, epoch minute) in log order.
    events: Vec<(String, i64)>,
}

fn read_db(db: &Path) -> (Vec<App>, BTreeMap<i64, i64>) {
    let c = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .unwrap();
    let mut apps: BTreeMap<i64, App> = BTreeMap::new();
    let mut st = c
        .prepare("SELECT id, service, COALESCE(kecamatan, '-'), submitted_at FROM applications")
        .unwrap();
    for row in st
        .query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ))
        })
        .unwrap()
    {
        let (id, service, kecamatan, submitted) = row.unwrap();
        apps.insert(
            id,
            App {
                id,
                service,
                kecamatan,
                submitted: minute(&submitted),
                events: Vec::new(),
            },
        );
    }
    let mut st = c
        .prepare("SELECT application_id, to_state, at FROM events ORDER BY seq")
        .unwrap();
    for row in st
        .query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })
        .unwrap()
    {
        let (id, to, at) = row.unwrap();
        apps.get_mut(&id).unwrap().events.push((to, minute(&at)));
    }
    let mut notified = BTreeMap::new();
    let mut st = c
        .prepare(
            "SELECT n.application_id, e.at FROM notices n JOIN notice_events e ON e.notice_id = n.id
             WHERE n.kind = 'READY_FOR_PICKUP' AND e.event = 'SENT'",
        )
        .unwrap();
    for row in st
        .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
        .unwrap()
    {
        let (id, at) = row.unwrap();
        let m = minute(&at);
        let e = notified.entry(id).or_insert(m);
        *e = (*e).min(m);
    }
    (apps.into_values().collect(), notified)
}

fn first(app: &App, state: &str) -> Option<i64> {
    app.events.iter().find(|(s, _)| s == state).map(|(_, m)| *m)
}

/// Nearest rank: the value at rank ceil(p·n), 1-based, with p = num/den.
fn rank(sorted: &[i64], num: usize, den: usize) -> i64 {
    let n = sorted.len();
    let r = (num * n).div_ceil(den).max(1);
    sorted[r - 1]
}

fn hours(min: i64) -> String {
    format!("{:.2}", min as f64 / 60.0)
}

fn pct(a: usize, b: usize) -> String {
    if b == 0 {
        String::new()
    } else {
        format!("{:.1}", a as f64 * 100.0 / b as f64)
    }
}

#[test]
fn the_report_matches_a_second_count_from_the_event_log() {
    let tmp = tempfile::tempdir().unwrap();
    let (cfg, manifest) = history_office(tmp.path());
    let history = &manifest["history"];
    let last: NaiveDate = history["to"].as_str().unwrap().parse().unwrap();
    let first_day: NaiveDate = history["from"].as_str().unwrap().parse().unwrap();
    // Not the whole history: steps that started before the period and ended in it count.
    let from = first_day + chrono::Duration::days(10);
    let to = last;
    let out = sg(
        &cfg,
        &[
            "report",
            "sla",
            "--from",
            &from.to_string(),
            "--to",
            &to.to_string(),
            "--format",
            "csv",
        ],
    )
    .expect_code(0);
    // A period given backwards is a usage error.
    let backwards = sg(
        &cfg,
        &[
            "report",
            "sla",
            "--from",
            &to.to_string(),
            "--to",
            &from.to_string(),
        ],
    )
    .expect_code(2);
    assert!(
        backwards.stderr.contains("is after --to"),
        "{}",
        backwards.stderr
    );
    let office = cfg.parent().unwrap();
    let csv = |name: &str| {
        csv_rows(
            &office
                .join("out/reports")
                .join(format!("sla-{from}_{to}-{name}.csv")),
        )
    };

    let cal = calendar(&cfg);
    let (apps, notified) = read_db(&office.join("data/sigap.db"));
    let start = cal.midnight(from);
    let end = cal.midnight(to + chrono::Duration::days(1));
    let in_period = |m: i64| m >= start && m < end;
    let mut cache = HashMap::new();

    // Every ended step: (step, service, kecamatan) → working minutes.
    let mut groups: BTreeMap<(String, String, String), Vec<i64>> = BTreeMap::new();
    let mut open_past: BTreeSet<(String, String)> = BTreeSet::new();
    for a in &apps {
        let ktp = a.service.starts_with("ktp_");
        let printed = first(a, "PRINTED");
        let ready = first(a, "READY");
        let collected = first(a, "COLLECTED");
        let last_received_before = |limit: i64| {
            a.events
                .iter()
                .filter(|(s, m)| s == "RECEIVED" && *m <= limit)
                .map(|(_, m)| *m)
                .next_back()
        };
        let state = a.events.last().unwrap().0.as_str();
        let mut ended = Vec::new();
        let mut open = Vec::new();
        let holds_print =
            ["RECEIVED", "REVIEW", "VERIFIED", "BATCHED", "DISPATCHED"].contains(&state);
        let holds_delivery = ["PRINTED", "IN_TRANSIT"].contains(&state);
        match printed {
            Some(p) => ended.push(("complete_to_printed", last_received_before(p).unwrap(), p)),
            None if holds_print => {
                open.push(("complete_to_printed", last_received_before(end).unwrap()))
            }
            None => {}
        }
        if ktp {
            match (printed, ready) {
                (Some(p), Some(r)) => ended.push(("printed_to_ready", p, r)),
                (Some(p), None) if holds_delivery => open.push(("printed_to_ready", p)),
                _ => {}
            }
            match ready {
                Some(r) => ended.push(("submitted_to_ready", a.submitted, r)),
                None if holds_print || holds_delivery => {
                    open.push(("submitted_to_ready", a.submitted))
                }
                None => {}
            }
            if let (Some(r), Some(c)) = (ready, collected) {
                ended.push(("ready_to_collected", r, c));
            }
        }
        for (step, s, e) in ended {
            if in_period(e) {
                groups
                    .entry((step.to_string(), a.service.clone(), a.kecamatan.clone()))
                    .or_default()
                    .push(cal.minutes(s, e, &mut cache));
            }
        }
        for (step, s) in open {
            if cal.minutes(s, end, &mut cache) > cal.targets[step] {
                open_past.insert((format!("A-{:06}", a.id), step.to_string()));
            }
        }
    }

    // The detail table, row for row.
    let stats = |step: &str, mins: &mut Vec<i64>| {
        mins.sort();
        let target = cal.targets.get(step);
        let within = target.map(|t| mins.iter().filter(|m| **m <= *t).count());
        vec![
            mins.len().to_string(),
            within.map(|w| w.to_string()).unwrap_or_default(),
            within.map(|w| pct(w, mins.len())).unwrap_or_default(),
            hours(rank(mins, 1, 2)),
            hours(rank(mins, 9, 10)),
        ]
    };
    let mut expected: BTreeMap<(String, String, String), Vec<String>> = BTreeMap::new();
    let mut per_step: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for ((step, service, kec), mins) in &groups {
        per_step.entry(step.clone()).or_default().extend(mins);
        let mut m = mins.clone();
        expected.insert(
            (step.clone(), service.clone(), kec.clone()),
            stats(step, &mut m),
        );
    }
    let got: BTreeMap<(String, String, String), Vec<String>> = csv("detail")
        .into_iter()
        .map(|r| {
            (
                (
                    r["step"].clone(),
                    r["service"].clone(),
                    r["kecamatan"].clone(),
                ),
                [
                    "count",
                    "within_target",
                    "within_target_pct",
                    "median_hours",
                    "p90_hours",
                ]
                .iter()
                .map(|c| r[*c].clone())
                .collect(),
            )
        })
        .collect();
    assert!(
        expected.len() > 50,
        "a real spread of groups: {}",
        expected.len()
    );
    assert_eq!(got.len(), expected.len());
    for (k, v) in &expected {
        assert_eq!(got.get(k), Some(v), "detail row {k:?}");
    }

    // The summary per step, and the headline it gives.
    let summary = csv("summary");
    for row in &summary {
        let step = &row["step"];
        let mut mins = per_step.get(step).cloned().unwrap_or_default();
        let want = stats(step, &mut mins);
        let have: Vec<String> = [
            "count",
            "within_target",
            "within_target_pct",
            "median_hours",
            "p90_hours",
        ]
        .iter()
        .map(|c| row[*c].clone())
        .collect();
        assert_eq!(have, want, "summary {step}");
        let past = open_past.iter().filter(|(_, s)| s == step).count();
        if cal.targets.contains_key(step.as_str()) {
            assert_eq!(row["open_past_target"], past.to_string(), "{step}");
            assert!(
                out.stdout
                    .contains(&format!("{}% within", row["within_target_pct"])),
                "{}",
                out.stdout
            );
        }
    }
    let c2p = &summary[0];
    assert_eq!(c2p["step"], "complete_to_printed");
    let share: f64 = c2p["within_target_pct"].parse().unwrap();
    assert!(
        share > 20.0 && share < 100.0,
        "some breaches, mostly on time: {share}"
    );

    // The aging list names exactly the open steps past target.
    let aging: BTreeSet<(String, String)> = csv("open-past-target")
        .into_iter()
        .map(|r| (r["application"].clone(), r["step"].clone()))
        .collect();
    assert_eq!(aging, open_past);
    assert!(
        !aging.is_empty(),
        "the history leaves some items past target"
    );

    // The funnel of KTP-el applications received in the period.
    let mut funnel = [0usize; 5];
    for a in apps.iter().filter(|a| a.service.starts_with("ktp_")) {
        if !in_period(a.events[0].1) {
            continue;
        }
        funnel[0] += 1;
        funnel[1] += usize::from(first(a, "VERIFIED").is_some());
        funnel[2] += usize::from(first(a, "PRINTED").is_some());
        funnel[3] += usize::from(notified.get(&a.id).is_some_and(|m| *m < end));
        funnel[4] += usize::from(first(a, "COLLECTED").is_some());
    }
    let got: Vec<String> = csv("funnel")
        .iter()
        .map(|r| r["applications"].clone())
        .collect();
    let want: Vec<String> = funnel.iter().map(|n| n.to_string()).collect();
    assert_eq!(got, want);
    assert!(funnel[0] > funnel[4] && funnel[4] > 0, "{funnel:?}");
}

/// A headline share as the documents print it: `68,8%`.
fn shown_pct(csv_value: &str) -> String {
    format!("{}%", csv_value.replace('.', ","))
}

fn chromium(args: &[&str], profile: &Path) -> std::process::Output {
    std::process::Command::new("chromium")
        .args(["--headless", "--no-sandbox", "--disable-gpu"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .output()
        .expect("chromium runs (./scripts/test installs Debian's chromium)")
}

#[test]
fn the_pdf_and_the_html_page_show_the_headline_figures() {
    let tmp = tempfile::tempdir().unwrap();
    let (cfg, manifest) = history_office(tmp.path());
    let (from, to) = (
        manifest["history"]["from"].as_str().unwrap().to_string(),
        manifest["history"]["to"].as_str().unwrap().to_string(),
    );
    sg(&cfg, &["report", "sla", "--from", &from, "--to", &to]).expect_code(0);
    let reports = cfg.parent().unwrap().join("out/reports");
    let stem = format!("sla-{from}_{to}");
    let summary = csv_rows(&reports.join(format!("{stem}-summary.csv")));
    let funnel = csv_rows(&reports.join(format!("{stem}-funnel.csv")));
    // The headline figures: each step's share within target and count, and
    // the share of received cards collected.
    let mut headline: Vec<String> = Vec::new();
    for row in summary.iter().filter(|r| !r["target_hours"].is_empty()) {
        headline.push(shown_pct(&row["within_target_pct"]));
        headline.push(row["count"].clone());
    }
    headline.push(shown_pct(&funnel[4]["pct_of_received"]));
    assert_eq!(headline.len(), 7);

    // The PDF, read back with poppler.
    let pdf = reports.join(format!("{stem}.pdf"));
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", pdf.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext runs (./scripts/test installs poppler-utils)");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for figure in &headline {
        assert!(
            text.contains(figure.as_str()),
            "PDF lacks {figure}:\n{text}"
        );
    }
    for words in [
        "LAPORAN KEPATUHAN SLA PELAYANAN",
        "Berkas lengkap – tercetak",
        "Persentase tepat waktu per minggu",
        "Belum selesai dan melewati target",
        "Halaman 1 dari",
    ] {
        assert!(text.contains(words), "PDF lacks {words}");
    }
    // The charts are vector drawings: filled paths in the content, no image.
    let bytes = std::fs::read(&pdf).unwrap();
    assert!(!bytes.windows(6).any(|w| w == b"/Image"), "no raster image");

    // The HTML page, opened from the file by headless Chromium.
    let html = reports.join(format!("{stem}.html"));
    let page = std::fs::read_to_string(&html).unwrap();
    for external in ["<script", "<link", "src=\"http", "url("] {
        assert!(!page.contains(external), "self-contained: {external}");
    }
    assert_eq!(page.matches("<svg").count(), 3, "three inline charts");
    let url = format!("file://{}", html.display());
    let profile = tmp.path().join("chromium");
    let dom = chromium(&["--dump-dom", &url], &profile);
    assert!(
        dom.status.success(),
        "{}",
        String::from_utf8_lossy(&dom.stderr)
    );
    let dom = String::from_utf8(dom.stdout).unwrap();
    for figure in &headline {
        assert!(dom.contains(figure.as_str()), "page lacks {figure}");
    }
    assert!(dom.contains("Laporan Kepatuhan SLA Pelayanan"));
    let shot = tmp.path().join("shot.png");
    let out = chromium(
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1200,1600",
            &url,
        ],
        &profile,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stats = std::process::Command::new("python3")
        .arg(crate::support::repo_root().join("tests/png_stats.py"))
        .arg(&shot)
        .output()
        .expect("python3 runs");
    assert!(
        stats.status.success(),
        "{}",
        String::from_utf8_lossy(&stats.stderr)
    );
    let nums: Vec<u64> = String::from_utf8(stats.stdout)
        .unwrap()
        .split_whitespace()
        .map(|n| n.parse().unwrap())
        .collect();
    let (w, h, colours, non_white) = (nums[0], nums[1], nums[2], nums[3]);
    assert_eq!((w, h), (1200, 1600));
    // Text, cards and three charts: many colours, and far from all white.
    assert!(colours > 50, "{colours} colours");
    assert!(
        non_white * 20 > w * h,
        "{non_white} of {} pixels not white",
        w * h
    );
}
