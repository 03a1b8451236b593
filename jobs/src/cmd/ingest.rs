//! `sigap ingest [--dry-run]`: the inbox becomes applications or quarantine.

use chrono::Utc;
use pipeline::Config;
use pipeline::intake::{self, IntakeError, Options};
use pipeline::store::{Outcome, Store};

use super::{Exit, open_store};

pub fn run(config: &Config, dry_run: bool) -> anyhow::Result<Exit> {
    let options = Options::from_env(dry_run, |k| std::env::var(k).ok())?;
    let mut store = if dry_run && !config.database_path().exists() {
        // A dry run writes nothing, not even an empty database.
        Store::open_in_memory()?
    } else {
        open_store(config)?
    };
    let at = Utc::now();
    let result = intake::ingest(config, &mut store, &options, at);
    if dry_run {
        let counts = result?;
        println!("{} (dry run: nothing was written)", counts.line());
        return Ok(if counts.needs_attention() {
            Exit::Attention
        } else {
            Exit::Ok
        });
    }
    // Ingest records its run in one write after its work (record_run), so
    // no run of it is ever "running"; one still so was left by an older
    // sigap that wrote the start and the end apart and was killed between.
    if !matches!(result, Err(IntakeError::Locked { .. })) {
        store.interrupt_stale_runs("ingest")?;
    }
    match result {
        Ok(counts) => {
            let line = counts.line();
            let outcome = if counts.needs_attention() {
                Outcome::Attention
            } else {
                Outcome::Ok
            };
            store.record_run("ingest", at, outcome, &counts.counters(), &line, Utc::now())?;
            println!("{line}");
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
                return Ok(Exit::Attention);
            }
            Ok(Exit::Ok)
        }
        // Another run holds the lock: it is not this run's failure to record.
        Err(e @ IntakeError::Locked { .. }) => Err(e.into()),
        Err(e) => {
            store.record_run(
                "ingest",
                at,
                Outcome::Failed,
                &Default::default(),
                &e.to_string(),
                Utc::now(),
            )?;
            Err(e.into())
        }
    }
}
