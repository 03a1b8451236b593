//! `sigap nightly [--dry-run]`: ingest → verify → batch (+ dispatch) → rekap → notify,
//! in that order, each step recorded in the run history by itself. A step
//! that fails (the population database down, say) is reported and the later
//! steps still run on what is already there: batches are made from what was
//! verified before, rekaps from what was dispatched.

use std::collections::BTreeMap;

use chrono::Utc;
use pipeline::Config;
use pipeline::store::Outcome;

use super::{Exit, ingest, lock_job, notify, open_store, print, verify};

type Step = fn(&Config, bool) -> anyhow::Result<Exit>;

/// The steps, in order.
const STEPS: [(&str, Step); 5] = [
    ("ingest", ingest::run),
    ("verify", verify::run),
    ("batch", print::batch),
    ("rekap", print::rekap),
    ("notify", notify::nightly_step),
];

pub fn run(config: &Config, dry_run: bool) -> anyhow::Result<Exit> {
    // A dry run changes nothing, so it needs no lock (and creates none).
    let _lock = (!dry_run)
        .then(|| lock_job(config, "nightly"))
        .transpose()?;
    // The nightly run shows as running in `sigap status` while it works.
    let mut history = if dry_run {
        None
    } else {
        let mut store = open_store(config)?;
        let run = store.start_run("nightly", Utc::now())?;
        Some((store, run))
    };
    let mut worst = Exit::Ok;
    let mut counters = BTreeMap::new();
    let mut failed = Vec::new();
    for (name, step) in STEPS {
        println!("== {name}");
        let code = match step(config, dry_run) {
            Ok(exit) => exit,
            Err(e) => {
                println!("{name} failed: {e:#}");
                tracing::error!("nightly: {name} failed");
                failed.push(name);
                Exit::Attention
            }
        };
        counters.insert(
            name.to_string(),
            match code {
                Exit::Ok => 0,
                Exit::Attention => 1,
                Exit::Usage => 2,
            },
        );
        if code != Exit::Ok && worst == Exit::Ok {
            worst = code;
        }
    }
    let message = if failed.is_empty() {
        format!(
            "steps ingest, verify, batch, rekap, notify done{}",
            if worst == Exit::Ok {
                ""
            } else {
                "; some need attention"
            }
        )
    } else {
        format!("failed: {}", failed.join(", "))
    };
    println!("nightly: {message}");
    println!(
        "outputs: batches in {}, rekap in {}",
        config.spool_dir().join("outgoing").display(),
        pipeline::print::rekap::rekap_dir(config).display()
    );
    if let Some((store, run)) = &mut history {
        let outcome = match (failed.is_empty(), worst) {
            (false, _) => Outcome::Failed,
            (true, Exit::Ok) => Outcome::Ok,
            (true, _) => Outcome::Attention,
        };
        store.finish_run(*run, outcome, &counters, &message, Utc::now())?;
    }
    Ok(worst)
}
