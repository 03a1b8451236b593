//! `sigap ingest [--dry-run]`: the inbox becomes applications or quarantine.

use chrono::Utc;
use pipeline::Config;
use pipeline::adapters;
use pipeline::intake::{self, Options};
use pipeline::job::{Done, Job};
use pipeline::ports::Mailbox;

use super::{Exit, job_store, run_job};

pub fn run(config: &Config, dry_run: bool) -> anyhow::Result<Exit> {
    let options = Options::from_env(dry_run, |k| std::env::var(k).ok())?;
    let mut store = job_store(config, dry_run)?;
    let mut opened = adapters::mailboxes(config, |k| std::env::var(k).ok());
    // Each `&mut dyn Mailbox` shortens its box's `'static`, or the list
    // would have to outlive the boxes.
    let mut mailboxes: Vec<&mut dyn Mailbox> = opened
        .iter_mut()
        .map(|m| -> &mut dyn Mailbox { m.as_mut() })
        .collect();
    let ran = run_job(config, Job::Ingest, dry_run, &mut store, |store| {
        intake::ingest(config, store, &mut mailboxes, &options, Utc::now()).map(|counts| Done {
            outcome: counts.outcome(),
            counters: counts.counters(),
            summary: counts.summary(),
            value: counts,
        })
    })?;
    let counts = ran.value;
    // The rest came in; the mail part's failure is the run's outcome.
    for e in &counts.mailbox_errors {
        eprintln!("error: the mail part of ingest failed: {e}");
    }
    if dry_run {
        println!("{} (dry run: nothing was written)", counts.line());
        return Ok(Exit::of(ran.outcome));
    }
    println!("{}", counts.line());
    println!(
        "documents stored {}, documents quarantined {}, resubmissions continued {}, files read {}, files still being written {}",
        counts.documents_stored,
        counts.documents_quarantined,
        counts.continued,
        counts.files_read,
        counts.files_waiting
    );
    if counts.needs_attention() {
        println!("see them with `sigap quarantine list`");
    }
    Ok(Exit::of(ran.outcome))
}
