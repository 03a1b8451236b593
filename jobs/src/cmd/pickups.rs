//! `sigap pickups import`, `sigap handover`, `sigap arrived`: the cards'
//! way from the printer to the applicant.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::Utc;
use pipeline::Config;
use pipeline::domain::outcome::Outcome;
use pipeline::job::{Done, Job, JobError, JobLock, LockError};
use pipeline::pickup::inbox;
use pipeline::pickup::run::{LegReport, arrived as arrive, handover as hand, import as run_import};
use pipeline::store::Store;

use super::{Exit, job_error, open_store, operator, run_job};

/// `sigap pickups import [FILE…]`.
pub fn import(config: &Config, files: &[PathBuf]) -> anyhow::Result<Exit> {
    let mut store = open_store(config)?;
    let ran = run_job(config, Job::Pickups, false, &mut store, |store| {
        let (paths, waiting) = if files.is_empty() {
            let (found, waiting) = inbox::inbox_registers(config)?;
            if found.is_empty() && waiting == 0 {
                println!(
                    "pickups: no register in {}; nothing to do",
                    config.inbox_dir().join("pickups").display()
                );
            }
            (found, waiting)
        } else {
            (files.to_vec(), 0)
        };
        let registers = inbox::read_registers(config, &paths)?;
        let report = run_import(
            store,
            &registers,
            config.office.printing,
            config.office.timezone,
            Utc::now(),
        )?;
        for name in &report.already_imported {
            println!("{name}: imported before (same content); nothing read");
        }
        for name in &report.refused {
            println!(
                "{name}: refused whole (its header lacks the register's columns; see `sigap quarantine list`); read again by every run until it is fixed or removed"
            );
        }
        for r in &report.quarantined {
            println!(
                "quarantined {} {}: {}",
                r.source,
                r.reason.code(),
                r.message
            );
        }
        let mut line = report.line();
        if waiting > 0 {
            line.push_str(&format!(
                "; files still being written {waiting} (read by a later run)"
            ));
        }
        println!("pickups: {line}");
        if report.implied_moves > 0 {
            println!(
                "note: {} IN_TRANSIT/READY move(s) were recorded with the pickups (at the pickup time, or the card's last event if later) because no handover or arrival was recorded (`sigap handover`, `sigap arrived`)",
                report.implied_moves
            );
        }
        if report.still_waiting > 0 {
            println!(
                "note: {} row(s) quarantined before (not printed yet, or picked up before printing) are still not taken; their entries are in `sigap quarantine list`",
                report.still_waiting
            );
        }
        if !report.quarantined.is_empty() {
            println!("see them with `sigap quarantine list`");
        }
        let counters = BTreeMap::from([
            ("files".to_string(), report.files as i64),
            (
                "already_imported".to_string(),
                report.already_imported.len() as i64,
            ),
            ("rows".to_string(), report.rows as i64),
            ("collected".to_string(), report.collected as i64),
            ("surrendered".to_string(), report.surrendered as i64),
            ("already_known".to_string(), report.already_known as i64),
            ("still_waiting".to_string(), report.still_waiting as i64),
            ("quarantined".to_string(), report.quarantined_rows() as i64),
            ("refused_files".to_string(), report.refused.len() as i64),
            ("files_waiting".to_string(), waiting as i64),
        ]);
        anyhow::Ok(Done {
            outcome: Outcome::attention_if(
                !report.quarantined.is_empty() || !report.refused.is_empty(),
            ),
            counters,
            summary: line,
            value: (),
        })
    })?;
    Ok(Exit::of(ran.outcome))
}

/// The `pickups` job lock, so a handover or arrival never races an import
/// deciding rows from the same cards' states. An import takes seconds, so
/// an operator's command waits for it (up to a minute) instead of failing.
fn lock_pickups(config: &Config, store: &mut Store) -> anyhow::Result<JobLock> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let mut told = false;
    loop {
        match pipeline::job::hold::<std::convert::Infallible>(
            Job::Pickups,
            &config.data_dir(),
            store,
        ) {
            Ok(lock) => return Ok(lock),
            Err(e @ JobError::Lock(LockError::Held { .. }))
                if std::time::Instant::now() < deadline =>
            {
                if !told {
                    eprintln!("waiting for the running pickups import to finish ({e})");
                    told = true;
                }
                std::thread::sleep(std::time::Duration::from_millis(200));
            }
            Err(e) => return Err(job_error(e)),
        }
    }
}

fn print_leg(batch: &str, verb: &str, r: &LegReport) {
    println!(
        "{batch}: {} card(s) {verb}, {} already there or further, {} not printed yet",
        r.moved.len(),
        r.already,
        r.not_printed
    );
    if r.without_handover > 0 {
        println!(
            "note: {} of them had no handover recorded (PRINTED → READY)",
            r.without_handover
        );
    }
}

/// `sigap handover BATCH --by NAME`.
pub fn handover(config: &Config, batch: &str, by: &str) -> anyhow::Result<Exit> {
    let by = by.trim();
    anyhow::ensure!(!by.is_empty(), "handover: --by must name the courier");
    let mut store = open_store(config)?;
    let _lock = lock_pickups(config, &mut store)?;
    let r = hand(&mut store, batch.trim(), by, Utc::now())?;
    print_leg(batch.trim(), "in transit now", &r);
    if r.moved.is_empty() && r.already > 0 {
        println!("{}: already handed over; nothing to do", batch.trim());
    }
    Ok(Exit::Ok)
}

/// `sigap arrived BATCH [--by NAME]`.
pub fn arrived(config: &Config, batch: &str, by: Option<String>) -> anyhow::Result<Exit> {
    let by = operator(by)?;
    let mut store = open_store(config)?;
    let _lock = lock_pickups(config, &mut store)?;
    let r = arrive(&mut store, batch.trim(), &by, Utc::now())?;
    print_leg(batch.trim(), "ready for pickup now", &r);
    if r.moved.is_empty() && r.already > 0 {
        println!("{}: already arrived; nothing to do", batch.trim());
    }
    Ok(Exit::Ok)
}
