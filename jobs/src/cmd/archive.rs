//! `sigap archive --month YYYY-MM`: the month's destruction bundles, then
//! the retention of requirement scans.

use std::collections::BTreeMap;

use anyhow::bail;
use chrono::{NaiveDate, Utc};
use pipeline::Config;
use pipeline::archive::{ArchiveError, make_bundles};
use pipeline::config::env;
use pipeline::domain::outcome::Outcome;
use pipeline::job::{Done, Job};
use reports::archive::bulan;

use super::{Exit, open_store, run_job};

pub fn run(config: &Config, month: NaiveDate) -> anyhow::Result<Exit> {
    if !config.office.archive_old_cards {
        println!(
            "archive: office.archive_old_cards is false in {}: this office keeps no old cards for destruction; nothing to do",
            config.source_file.display()
        );
        return Ok(Exit::Ok);
    }
    let today = config.office.timezone.today();
    if month > today {
        bail!(
            "archive --month {}: that month has not begun (today is {today} in office time)",
            month.format("%Y-%m")
        );
    }
    // Read once; never printed or logged.
    let passphrase = std::env::var(env::ARCHIVE_PASSPHRASE)
        .ok()
        .filter(|p| !p.is_empty());
    let mut store = open_store(config)?;
    let ran = run_job(config, Job::Archive, false, &mut store, |store| {
        let now = Utc::now();
        let report = pipeline::adapters::open(config)
            .map_err(ArchiveError::from)
            .and_then(|mut db| {
                make_bundles(
                    config,
                    store,
                    db.as_mut(),
                    &reports::Renderer::new(config),
                    month,
                    passphrase.as_deref(),
                    now,
                )
            })?;
        for (path, cards, scans) in &report.written {
            println!(
                "wrote {} ({cards} card(s), {scans} scan(s){})",
                path.display(),
                if passphrase.is_some() {
                    ", AES-256 encrypted"
                } else {
                    ""
                }
            );
        }
        for (file, why) in &report.failed_checks {
            println!("{file} does not check out: {why}; its scans are kept");
        }
        let line = format!(
            "archive {}: bundles written {}, bundles made before {}, cards already archived {}, scans deleted {}",
            bulan(month),
            report.written.len(),
            report.existing,
            report.already_archived,
            report.scans_deleted
        );
        println!("{line}");
        let counters = BTreeMap::from([
            ("bundles".to_string(), report.written.len() as i64),
            (
                "cards".to_string(),
                report.written.iter().map(|w| w.1 as i64).sum(),
            ),
            ("scans_deleted".to_string(), report.scans_deleted as i64),
            (
                "failed_checks".to_string(),
                report.failed_checks.len() as i64,
            ),
        ]);
        Ok::<_, ArchiveError>(Done {
            outcome: Outcome::attention_if(!report.failed_checks.is_empty()),
            counters,
            summary: line,
            value: (),
        })
    })?;
    Ok(Exit::of(ran.outcome))
}
