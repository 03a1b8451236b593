//! `sigap nightly [--dry-run]`: ingest → verify → batch (+ dispatch) → rekap → notify,
//! in that order, each step recorded in the run history by itself. A step
//! that fails (the population database down, say) is reported and the later
//! steps still run on what is already there: batches are made from what was
//! verified before, rekaps from what was dispatched. A step whose lock
//! another process holds (an admin running it by hand) is skipped: that
//! process does its work.

use std::collections::BTreeMap;

use pipeline::Config;
use pipeline::domain::outcome::Outcome;
use pipeline::job::{Done, Job};

use super::{Exit, exit_for, ingest, job_store, notify, print, run_job, verify};

type Step = fn(&Config, bool) -> anyhow::Result<Exit>;

/// The command that runs one of [`Job::NIGHTLY_STEPS`].
fn step(job: Job) -> Option<Step> {
    match job {
        Job::Ingest => Some(ingest::run),
        Job::Verify => Some(verify::run),
        Job::Batch => Some(print::batch),
        Job::Rekap => Some(print::rekap),
        Job::Notify => Some(notify::nightly_step),
        _ => None,
    }
}

pub fn run(config: &Config, dry_run: bool) -> anyhow::Result<Exit> {
    let mut store = job_store(config, dry_run)?;
    // The runner records the nightly's start first, so it shows as running
    // in `sigap status` while it works.
    let ran = run_job(config, Job::Nightly, dry_run, &mut store, |_| {
        let mut outcome = Outcome::Ok;
        let mut counters = BTreeMap::new();
        let mut failed = Vec::new();
        let mut locked = Vec::new();
        for job in Job::NIGHTLY_STEPS {
            let Some(step) = step(job) else {
                anyhow::bail!("the nightly has no command for its step {job}");
            };
            println!("== {job}");
            let exit = match step(config, dry_run) {
                Ok(exit) => exit,
                Err(e) => {
                    let exit = exit_for(&e);
                    if exit == Exit::Locked {
                        println!("{job} skipped: {e:#}");
                        locked.push(job.name());
                    } else {
                        println!("{job} failed: {e:#}");
                        tracing::error!("nightly: {job} failed");
                        failed.push(job.name());
                    }
                    exit
                }
            };
            counters.insert(job.name().to_string(), i64::from(exit.code()));
            if exit != Exit::Ok && outcome == Outcome::Ok {
                outcome = Outcome::Attention;
            }
        }
        let steps: Vec<&str> = Job::NIGHTLY_STEPS.iter().map(|j| j.name()).collect();
        let mut message = if failed.is_empty() {
            format!(
                "steps {} done{}",
                steps.join(", "),
                if outcome == Outcome::Ok {
                    ""
                } else {
                    "; some need attention"
                }
            )
        } else {
            outcome = Outcome::Failed;
            format!("failed: {}", failed.join(", "))
        };
        if !locked.is_empty() {
            message.push_str(&format!(
                "; skipped, another process runs them: {}",
                locked.join(", ")
            ));
        }
        println!("nightly: {message}");
        println!(
            "outputs: batches in {}, rekap in {}",
            config.spool_dir().join("outgoing").display(),
            pipeline::print::rekap::rekap_dir(config).display()
        );
        Ok(Done {
            outcome,
            counters,
            summary: message,
            value: (),
        })
    })?;
    Ok(Exit::of(ran.outcome))
}
