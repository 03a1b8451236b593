//! `sigap verify [--dry-run]`.

use chrono::Utc;
use pipeline::adapters;
use pipeline::domain::outcome::Outcome;
use pipeline::domain::wilayah::Wilayah;
use pipeline::job::{Done, Job};
use pipeline::verify;
use pipeline::{Config, Reason, State};

use super::{Exit, open_store, run_job};

/// The outcomes in the order they are printed: the common one first.
const OUTCOMES: [State; 5] = [
    State::Verified,
    State::Incomplete,
    State::NeedsRecording,
    State::Review,
    State::Rejected,
];

pub fn run(config: &Config, dry_run: bool) -> anyhow::Result<Exit> {
    let mut store = open_store(config)?;
    let ran = run_job(config, Job::Verify, dry_run, &mut store, |store| {
        verify::run(
            store,
            config,
            Wilayah::embedded(),
            || adapters::open(config),
            &Utc::now,
            dry_run,
        )
        .map(|report| Done {
            outcome: Outcome::attention_if(report.needs_attention()),
            counters: report.counters(),
            summary: report.summary(),
            value: report,
        })
    })?;
    let report = ran.value;
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
    }
    Ok(Exit::of(ran.outcome))
}
