//! `sigap jobs list | history`: the schedule and the run history.

use chrono::Utc;
use pipeline::Config;
use pipeline::job::Job;
use pipeline::schedule::{next_runs, parse_cron};
use serde_json::json;

use super::{Exit, open_store};

/// `sigap jobs list [--json]`: each schedulable job, its cron and next runs
/// in the office's timezone.
pub fn list(config: &Config, json: bool) -> anyhow::Result<Exit> {
    let tz = config.office.timezone.offset();
    let now = Utc::now();
    let mut rows = Vec::new();
    for job in Job::scheduled().map(Job::name) {
        let entry = config.schedule.get(job);
        let next: Vec<String> = match entry.map(|e| parse_cron(&e.cron)) {
            Some(Ok(s)) => next_runs(&s, now, tz, 3)
                .iter()
                .map(|t| t.format("%Y-%m-%d %H:%M %:z").to_string())
                .collect(),
            Some(Err(e)) => anyhow::bail!("schedule.{job}.cron: {e} (see `sigap config check`)"),
            None => Vec::new(),
        };
        rows.push((job, entry, next));
    }
    if json {
        let out: Vec<_> = rows
            .iter()
            .map(|(job, entry, next)| json!({"job": job, "schedule": entry, "next_runs": next}))
            .collect();
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(Exit::Ok);
    }
    for (job, entry, next) in rows {
        match entry {
            Some(e) => println!("{job:<16} {:<16} next {}", e.cron, next.join(", ")),
            None => println!("{job:<16} {:<16} (not scheduled; run it by hand)", "-"),
        }
    }
    Ok(Exit::Ok)
}

/// `sigap jobs history [--job J] [--limit N] [--json]`: runs, newest first.
pub fn history(
    config: &Config,
    job: Option<&str>,
    limit: usize,
    json: bool,
) -> anyhow::Result<Exit> {
    let store = open_store(config)?;
    let runs = store.runs(job, limit)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&runs)?);
        return Ok(Exit::Ok);
    }
    if runs.is_empty() {
        println!("no runs yet");
    }
    for r in runs {
        let end = r
            .finished_at
            .map_or_else(|| "-".to_string(), |t| t.format("%H:%M:%S").to_string());
        let counters: Vec<String> = r.counters.iter().map(|(k, v)| format!("{k}={v}")).collect();
        println!(
            "#{:<5} {:<16} {:<11} {} → {}  {}  {}",
            r.id,
            r.job,
            format!("{:?}", r.outcome).to_lowercase(),
            r.started_at.format("%Y-%m-%d %H:%M:%S UTC"),
            end,
            counters.join(" "),
            r.message
        );
    }
    Ok(Exit::Ok)
}
