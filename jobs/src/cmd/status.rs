//! `sigap status [--json]`: counts per state, last runs, inbox, where things are.

use std::collections::BTreeMap;
use std::path::Path;

use pipeline::domain::notice::NoticeState;
use pipeline::{Config, State};
use serde_json::json;

use super::{Exit, open_store};

/// Files waiting in each inbox folder, by channel.
fn inbox_files(config: &Config) -> BTreeMap<&'static str, usize> {
    let inbox = config.inbox_dir();
    let count = |dir: &Path, exts: &[&str]| -> usize {
        std::fs::read_dir(dir)
            .map(|rd| {
                rd.filter_map(Result::ok)
                    .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                    .filter(|e| {
                        let name = e.file_name().to_string_lossy().to_lowercase();
                        exts.is_empty() || exts.iter().any(|x| name.ends_with(x))
                    })
                    .count()
            })
            .unwrap_or(0)
    };
    let mail = inbox.join("mail");
    BTreeMap::from([
        ("forms", count(&inbox.join("forms"), &[".csv"])),
        ("app", count(&inbox.join("app"), &[".json", ".ndjson"])),
        (
            "mail",
            count(&mail.join("new"), &[]) + count(&mail.join("cur"), &[]) + count(&mail, &[".eml"]),
        ),
        ("pickups", count(&inbox.join("pickups"), &[".csv"])),
    ])
}

pub fn show(config: &Config, json: bool) -> anyhow::Result<Exit> {
    let store = open_store(config)?;
    let counts = store.counts_by_state()?;
    let runs = store.runs_latest_per_job()?;
    let inbox = inbox_files(config);
    let total: u64 = counts.values().sum();
    // What tonight's batch would leave waiting, and why.
    let now = pipeline::clock::now()?;
    let today = now
        .with_timezone(&config.office.timezone.offset())
        .date_naive();
    let plan = pipeline::print::run::plan_tonight(
        &store,
        config.station.batch_size,
        today,
        pipeline::domain::wilayah::Wilayah::embedded(),
    )?;
    let blanko = store.blanko_balance()?;
    let overdue = pipeline::print::run::overdue_batches(
        &store,
        &pipeline::domain::calendar::WorkingTime::new(config),
        now,
    )?;
    let holiday_warning = pipeline::domain::holidays::HolidaySet::for_config(config).warning(today);
    let notices = store.notice_counts()?;
    let notice_count = |s: NoticeState| notices.get(&s).copied().unwrap_or(0);
    let old_cards_waiting = store.surrendered_waiting()?;
    let bundles = store.bundles()?.len();
    let scans_deleted = store.scans_deleted()?;
    let paths = [
        ("config", config.source_file.clone()),
        ("state_database", config.database_path()),
        ("inbox", config.inbox_dir()),
        ("station_outgoing", config.spool_dir().join("outgoing")),
        ("station_results", config.spool_dir().join("results")),
        ("out", config.out_dir()),
    ];
    if json {
        let states: BTreeMap<&str, u64> = State::ALL
            .iter()
            .map(|s| (s.code(), counts.get(s).copied().unwrap_or(0)))
            .collect();
        let out = json!({
            "office": config.office.name,
            "profile": config.office.code,
            "states": states,
            "total": total,
            "last_runs": runs,
            "inbox_files": inbox,
            "print_queue": {
                "next_batch_cards": plan.cards(),
                "waiting": plan.waiting_counts().iter().map(|(r, n)| (r.code(), *n)).collect::<BTreeMap<_, _>>(),
            },
            "blanko": blanko,
            "archive": {
                "old_cards_waiting": old_cards_waiting,
                "bundles": bundles,
                "scans_deleted": scans_deleted,
            },
            "station_results_overdue": overdue,
            "holidays_warning": holiday_warning,
            "notices": NoticeState::ALL.iter().map(|s| (s.code(), notice_count(*s))).collect::<BTreeMap<_, _>>(),
            "paths": paths.iter().map(|(k, p)| (k.to_string(), p.display().to_string())).collect::<BTreeMap<_, _>>(),
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(Exit::Ok);
    }
    println!("{} ({})", config.office.name, config.office.code);
    println!();
    println!("Applications per state:");
    for s in State::ALL {
        println!(
            "  {:<16} {:>7}",
            s.code(),
            counts.get(&s).copied().unwrap_or(0)
        );
    }
    println!("  {:<16} {:>7}", "total", total);
    println!();
    println!(
        "Print queue: {} card(s) for the next batch; blanko available {} (reserved {})",
        plan.cards(),
        blanko.available,
        blanko.reserved
    );
    for (reason, n) in plan.waiting_counts() {
        println!("  waiting {n:>5}: {}", reason.describe());
    }
    if !overdue.is_empty() {
        println!(
            "Station: {} batch(es) without results for more than a day:",
            overdue.len()
        );
        for o in &overdue {
            println!("  warning: {}", o.line());
        }
    }
    println!();
    println!(
        "Notices: {} due, {} sent, {} superseded, {} FAILED{}",
        notice_count(NoticeState::Due),
        notice_count(NoticeState::Sent),
        notice_count(NoticeState::Superseded),
        notice_count(NoticeState::Failed),
        if notice_count(NoticeState::Failed) > 0 {
            " (sigap notices list --state FAILED)"
        } else {
            ""
        }
    );
    println!(
        "Old cards: {old_cards_waiting} surrendered, waiting for a destruction bundle (sigap archive --month YYYY-MM); {bundles} bundle(s) made; {scans_deleted} scan(s) deleted by retention"
    );
    println!();
    println!("Last runs:");
    if runs.is_empty() {
        println!("  none yet");
    }
    for r in &runs {
        let counters: Vec<String> = r.counters.iter().map(|(k, v)| format!("{k}={v}")).collect();
        println!(
            "  {:<10} {:<11} started {}  {}  {}",
            r.job,
            format!("{:?}", r.outcome).to_lowercase(),
            r.started_at.format("%Y-%m-%d %H:%M:%S UTC"),
            counters.join(" "),
            r.message
        );
    }
    println!();
    println!(
        "Inbox: {} form export(s), {} app export(s), {} mail message(s), {} pickup register(s)",
        inbox["forms"], inbox["app"], inbox["mail"], inbox["pickups"]
    );
    if let Some(w) = &holiday_warning {
        println!();
        println!("warning: holidays: {w}");
    }
    println!();
    println!("Where things are:");
    for (k, p) in paths {
        println!("  {:<17} {}", k.replace('_', " "), p.display());
    }
    Ok(Exit::Ok)
}
