//! `sigap report sla`: the SLA-compliance report of a period.

use chrono::{NaiveDate, Utc};
use pipeline::Config;
use reports::sla::{Period, SlaInput, hours, pct};

use std::collections::BTreeMap;

use pipeline::domain::outcome::Outcome;
use pipeline::job::{Done, Job};
use pipeline::store::Store;

use super::{Exit, open_store, run_job};
use crate::cli::ReportFormat;

pub fn sla(
    config: &Config,
    from: NaiveDate,
    to: NaiveDate,
    formats: &[ReportFormat],
) -> anyhow::Result<Exit> {
    if from > to {
        eprintln!("error: --from {from} is after --to {to}; give the first day, then the last");
        return Ok(Exit::Usage);
    }
    let started = std::time::Instant::now();
    // The lock also lets a report killed half-way be marked interrupted.
    let mut store = open_store(config)?;
    let ran = run_job(config, Job::ReportSla, false, &mut store, |store| {
        let (counters, summary) = write(config, store, from, to, formats, started)?;
        anyhow::Ok(Done {
            outcome: Outcome::Ok,
            counters,
            summary,
            value: (),
        })
    })?;
    Ok(Exit::of(ran.outcome))
}

/// Computes the report and writes its files; returns the run's counters.
fn write(
    config: &Config,
    store: &Store,
    from: NaiveDate,
    to: NaiveDate,
    formats: &[ReportFormat],
    started: std::time::Instant,
) -> anyhow::Result<(BTreeMap<String, i64>, String)> {
    let input = SlaInput {
        histories: store.sla_histories()?,
        notified: store.ready_notices_sent()?,
        ledger: store.blanko_ledger()?,
    };
    let read = started.elapsed();
    // The figures are as of the end of the period, or now when it has not ended.
    let report = reports::sla::compute(
        config,
        &input,
        Period {
            from,
            to,
            at: Utc::now(),
        },
    )?;
    let computed = started.elapsed();
    let files = reports::sla::files(
        &report,
        formats.contains(&ReportFormat::Pdf),
        formats.contains(&ReportFormat::Html),
        formats.contains(&ReportFormat::Csv),
        formats.contains(&ReportFormat::Xlsx),
    );
    let written = pipeline::report_sla::write_files(config, from, to, &files)?;
    println!(
        "SLA report {from} to {to} (figures as of {}), {} applications read:",
        report
            .period
            .at
            .with_timezone(&config.office.timezone.offset())
            .format("%Y-%m-%d %H:%M"),
        input.histories.len()
    );
    for h in &report.headlines {
        let target = match h.target_hours {
            Some(t) => format!(
                "{}% within {t} working hours",
                pct(h.within, h.count).if_empty("-")
            ),
            None => "the applicant's time, no target".to_string(),
        };
        println!(
            "  {:<20} {:>6} ended, {target}, median {} h, p90 {} h; open {}{}",
            h.step.code(),
            h.count,
            h.median_secs.map(hours).unwrap_or_else(|| "-".into()),
            h.p90_secs.map(hours).unwrap_or_else(|| "-".into()),
            h.open,
            if h.target_hours.is_some() {
                format!(", {} past target", h.open_past_target)
            } else {
                String::new()
            }
        );
    }
    for p in &written {
        println!("  wrote {}", p.display());
    }
    tracing::info!(
        read_ms = read.as_millis() as u64,
        compute_ms = (computed - read).as_millis() as u64,
        total_ms = started.elapsed().as_millis() as u64,
        "report sla done"
    );
    let past: i64 = report.headlines.iter().map(|h| h.open_past_target).sum();
    let counters = BTreeMap::from([
        ("applications".to_string(), input.histories.len() as i64),
        ("open_past_target".to_string(), past),
        ("files".to_string(), written.len() as i64),
    ]);
    Ok((counters, format!("SLA report {from} to {to}")))
}

trait IfEmpty {
    fn if_empty(self, other: &str) -> String;
}

impl IfEmpty for String {
    fn if_empty(self, other: &str) -> String {
        if self.is_empty() {
            other.to_string()
        } else {
            self
        }
    }
}
