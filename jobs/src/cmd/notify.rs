//! `sigap notify [--dry-run]` and `sigap notices list [--state S] [--json]`.

use std::collections::BTreeMap;

use chrono::Utc;
use pipeline::Config;
use pipeline::adapters::mail::SmtpMailer;
use pipeline::domain::notice::{Notice, NoticeState};
use pipeline::domain::outcome::Outcome;
use pipeline::job::{Done, Job};
use pipeline::notice::render::Templates;
use pipeline::notice::send::send_due;
use serde_json::{Value, json};

use super::{Exit, open_store, run_job};

pub fn run(config: &Config, dry_run: bool) -> anyhow::Result<Exit> {
    let mut store = open_store(config)?;
    let templates = Templates::load(&Templates::override_dir(config))?;
    let mut mailer = SmtpMailer::from_config(config)?;
    // The notify lock: two runs at once would both send the same due notices.
    let ran = run_job(config, Job::Notify, dry_run, &mut store, |store| {
        let report = send_due(store, &mut mailer, &templates, config, &Utc::now, dry_run)?;
        let line = report.line();
        if dry_run {
            for (id, subject) in &report.planned {
                println!("would send notice {id}: {subject}");
            }
            println!("notify (dry run, nothing sent or written): {line}");
        } else {
            println!("notify: {line}");
        }
        let failed_total = store
            .notice_counts()?
            .get(&NoticeState::Failed)
            .copied()
            .unwrap_or(0);
        if failed_total > 0 {
            println!("{failed_total} notice(s) FAILED in all: sigap notices list --state FAILED");
        }
        let outcome = if report.unreachable.is_some() {
            Outcome::Failed
        } else {
            Outcome::attention_if(report.failed > 0 || report.retry > 0)
        };
        let counters = BTreeMap::from([
            ("due".to_string(), report.due as i64),
            ("sent".to_string(), report.sent as i64),
            ("retry".to_string(), report.retry as i64),
            ("failed".to_string(), report.failed as i64),
        ]);
        anyhow::Ok(Done {
            outcome,
            counters,
            summary: line,
            value: report,
        })
    })?;
    if let Some(why) = &ran.value.unreachable {
        anyhow::bail!("notify stopped: {why}; the notices not sent stay due for the next run");
    }
    Ok(Exit::of(ran.outcome))
}

/// The nightly's last step: notify, or, in an office that has no mail
/// server configured yet, a note that the notices wait (they stay DUE).
pub fn nightly_step(config: &Config, dry_run: bool) -> anyhow::Result<Exit> {
    if config.smtp.url.is_some() {
        return run(config, dry_run);
    }
    let due = open_store(config)?
        .notice_counts()?
        .get(&NoticeState::Due)
        .copied()
        .unwrap_or(0);
    println!(
        "notify: no mail server configured (set {}); {due} notice(s) wait, nothing lost",
        pipeline::config::env::SMTP_URL
    );
    Ok(Exit::Ok)
}

/// The application number, or `alert-N` for an admin alert.
fn about(n: &Notice) -> String {
    match (n.application, n.alert) {
        (Some(a), _) => a.to_string(),
        (None, Some(alert)) => format!("alert-{alert}"),
        (None, None) => "-".into(),
    }
}

fn to_json(n: &Notice) -> Value {
    json!({
        "id": n.id,
        "application": n.application.map(|a| a.to_string()),
        "alert": n.alert,
        "kind": n.kind.code(),
        "state": n.state.code(),
        "attempts": n.attempts,
        "next_attempt_at": n.next_attempt_at.to_rfc3339(),
        "message_id": n.message_id,
        "created_at": n.created_at.to_rfc3339(),
        "sent_at": n.sent_at.map(|t| t.to_rfc3339()),
        "last_error": n.last_error,
    })
}

pub fn list(config: &Config, state: Option<NoticeState>, json: bool) -> anyhow::Result<Exit> {
    let store = open_store(config)?;
    let notices = store.notices(state)?;
    if json {
        let all: Vec<Value> = notices.iter().map(to_json).collect();
        println!("{}", serde_json::to_string_pretty(&all)?);
        return Ok(Exit::Ok);
    }
    println!(
        "{:<7} {:<9} {:<17} {:<7} {:>3}  {:<20} last error",
        "id", "app", "kind", "state", "try", "next attempt (UTC)"
    );
    for n in &notices {
        println!(
            "{:<7} {:<9} {:<17} {:<7} {:>3}  {:<20} {}",
            n.id,
            about(n),
            n.kind.code(),
            n.state.code(),
            n.attempts,
            n.next_attempt_at.format("%Y-%m-%d %H:%M"),
            n.last_error
        );
    }
    println!("{} notice(s)", notices.len());
    Ok(Exit::Ok)
}
