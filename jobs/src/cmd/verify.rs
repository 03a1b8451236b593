//! `sigap verify [--dry-run]`.

use chrono::Utc;
use pipeline::adapters;
use pipeline::domain::wilayah::Wilayah;
use pipeline::verify;
use pipeline::{Config, Reason, State};

use super::{Exit, lock_job, open_store};

/// The outcomes in the order they are printed: the common one first.
const OUTCOMES: [State; 5] = [
    State::Verified,
    State::Incomplete,
    State::NeedsRecording,
    State::Review,
    State::Rejected,
];

pub fn run(config: &Config, dry_run: bool) -> anyhow::Result<Exit> {
    // A dry run changes nothing, so it needs no lock (and creates none).
    let _lock = (!dry_run).then(|| lock_job(config, "verify")).transpose()?;
    let mut store = open_store(config)?;
    let report = verify::run(
        &mut store,
        config,
        Wilayah::embedded(),
        || adapters::open(config),
        &Utc::now,
        dry_run,
    )?;
    let Some(population) = &report.population else {
        println!("verify: no RECEIVED applications; nothing to do");
        return Ok(Exit::Ok);
    };
    println!(
        "verify: {} application(s) decided against {population}",
        report.decisions.len()
    );
    for s in OUTCOMES {
        println!("  {:<20} {:>7}", s.code(), report.counts.state(s));
    }
    println!("reasons:");
    for r in Reason::ALL {
        if let Some(n) = report.counts.reasons.get(&r) {
            println!("  {:<20} {:>7}", r.code(), n);
        }
    }
    if dry_run {
        println!("dry run: nothing was written");
    }
    if report.needs_attention() {
        println!(
            "{} application(s) wait for a person: sigap review list",
            report.counts.state(State::Review)
        );
        return Ok(Exit::Attention);
    }
    Ok(Exit::Ok)
}
