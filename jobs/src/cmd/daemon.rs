//! `sigap daemon`: runs the jobs of `[schedule]` at their times, each as a
//! child `sigap` process (so a job that hangs can be stopped at its
//! timeout, and each run records itself in the history as it does by hand).
//! A job whose lock is held (an admin running it) is skipped and the skip
//! recorded. SIGTERM or SIGINT: the job running now finishes, then the
//! daemon records itself as interrupted and exits 0.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use pipeline::Config;
use pipeline::schedule::{Schedule, ScheduleEntry, after_run, first_due, parse_cron};
use pipeline::store::Outcome;
use tokio::signal::unix::{SignalKind, signal};

use super::{Exit, open_store};

/// How one child run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ended {
    /// Exit 0, or exit 1 without an error (ran; something needs a person).
    Ran,
    /// Another process holds the job's lock.
    Locked,
    /// An error, a configuration problem, a crash or the timeout.
    Failed,
}

struct Job {
    name: String,
    entry: ScheduleEntry,
    schedule: Schedule,
    next_at: Option<DateTime<Utc>>,
    attempt: u32,
}

pub fn run(config: &Config, config_path: &Path) -> anyhow::Result<Exit> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the daemon's runtime")?;
    runtime.block_on(daemon(config, config_path))
}

async fn daemon(config: &Config, config_path: &Path) -> anyhow::Result<Exit> {
    // One daemon per office; a second is refused with the first's process
    // id, and a daemon killed before it could record its end is marked
    // interrupted by the next.
    let _lock = super::lock_job(config, "daemon")?;
    let tz = config.office.timezone.offset();
    let mut store = open_store(config)?;
    let now = Utc::now();
    let mut jobs = Vec::new();
    for (name, entry) in &config.schedule {
        let schedule =
            parse_cron(&entry.cron).map_err(|e| anyhow::anyhow!("schedule.{name}.cron: {e}"))?;
        let last = store.runs(Some(name), 1)?.first().map(|r| r.started_at);
        let next_at = first_due(&schedule, entry, last, now, tz);
        tracing::info!(job = %name, next = ?next_at, "daemon: scheduled");
        jobs.push(Job {
            name: name.clone(),
            entry: entry.clone(),
            schedule,
            next_at,
            attempt: 0,
        });
    }
    if jobs.is_empty() {
        anyhow::bail!(
            "{}: [schedule] names no job; add e.g. [schedule.nightly] cron = \"0 1 * * *\"",
            config_path.display()
        );
    }
    let me = std::env::current_exe().context("finding the sigap executable")?;
    let run_id = store.start_run("daemon", now)?;
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let mut counters: BTreeMap<String, i64> = BTreeMap::new();
    let mut stopping = false;
    while !stopping {
        let Some((i, due)) = jobs
            .iter()
            .enumerate()
            .filter_map(|(i, j)| j.next_at.map(|t| (i, t)))
            .min_by_key(|(_, t)| *t)
        else {
            break;
        };
        let wait = (due - Utc::now()).to_std().unwrap_or(Duration::ZERO);
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = term.recv() => { stopping = true; continue; }
            _ = int.recv() => { stopping = true; continue; }
        }
        let job = &mut jobs[i];
        tracing::info!(job = %job.name, attempt = job.attempt, "daemon: starting");
        let mut child = tokio::process::Command::new(&me)
            .arg("--config")
            .arg(config_path)
            .args(pipeline::schedule::command(&job.name))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting `sigap {}`", job.name))?;
        let mut stderr = child.stderr.take();
        let read_err = async {
            let mut buf = String::new();
            if let Some(e) = stderr.as_mut() {
                use tokio::io::AsyncReadExt;
                let _ = e.read_to_string(&mut buf).await;
            }
            buf
        };
        let timeout = job.entry.timeout_secs.map(Duration::from_secs);
        let wait_child = async {
            let (status, err) = tokio::join!(child.wait(), read_err);
            (status, err)
        };
        // A signal now lets the job finish; the daemon stops after it.
        let finished = async {
            match timeout {
                Some(t) => tokio::time::timeout(t, wait_child).await.ok(),
                None => Some(wait_child.await),
            }
        };
        tokio::pin!(finished);
        let outcome = loop {
            tokio::select! {
                r = &mut finished => break r,
                _ = term.recv() => stopping = true,
                _ = int.recv() => stopping = true,
            }
        };
        let (ended, how) = match outcome {
            None => {
                tracing::error!(job = %job.name, "daemon: timed out; stopped");
                (
                    Ended::Failed,
                    format!(
                        "stopped at its timeout ({} s)",
                        job.entry.timeout_secs.unwrap_or_default()
                    ),
                )
            }
            Some((Ok(status), err)) => {
                let how = match status.code() {
                    Some(code) => format!("exit code {code}"),
                    None => "killed by a signal".to_string(),
                };
                if err.contains("is already running") {
                    (Ended::Locked, how)
                } else if status.code() == Some(0)
                    || (status.code() == Some(1) && !err.contains("error:"))
                {
                    (Ended::Ran, how)
                } else {
                    (Ended::Failed, how)
                }
            }
            Some((Err(e), _)) => {
                tracing::error!(job = %job.name, "daemon: waiting for the job failed: {e}");
                (Ended::Failed, format!("could not be waited for: {e}"))
            }
        };
        *counters
            .entry(format!("{}_{:?}", job.name, ended).to_lowercase())
            .or_default() += 1;
        let now = Utc::now();
        if ended == Ended::Locked {
            // Someone else runs it: recorded, and the next time kept.
            store.record_run(
                &job.name,
                now,
                Outcome::Attention,
                &BTreeMap::new(),
                "skipped by the daemon: another process holds the job's lock",
                now,
            )?;
        }
        let step = after_run(
            &job.schedule,
            &job.entry,
            ended == Ended::Failed,
            job.attempt,
            now,
            tz,
        );
        if step.final_failure {
            tracing::error!(job = %job.name, "daemon: failed after every retry");
            alert(
                &mut store,
                config,
                config_path,
                &me,
                &job.name,
                &job.entry,
                &how,
                now,
            )
            .await?;
        }
        job.next_at = step.next_at;
        job.attempt = step.attempt;
    }
    let outcome = if stopping {
        Outcome::Interrupted
    } else {
        Outcome::Ok
    };
    store.finish_run(run_id, outcome, &counters, "daemon stopped", Utc::now())?;
    tracing::info!("daemon: stopped");
    Ok(Exit::Ok)
}

/// A job failed after every retry: one alert for the admin goes into the
/// notice outbox and is sent at once by a `sigap notify` run (it stays due
/// for the next notify when the mail server is down), and the history
/// records it as a `daemon-alert` run.
#[allow(clippy::too_many_arguments)]
async fn alert(
    store: &mut pipeline::store::Store,
    config: &Config,
    config_path: &Path,
    me: &Path,
    job: &str,
    entry: &ScheduleEntry,
    how: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    // The job's own record says what went wrong, without personal data;
    // its stderr may quote input, so it stays out of the mail.
    let last = store
        .runs(Some(job), 1)?
        .first()
        .map(|r| r.message.clone())
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| "(the run recorded no message)".into());
    let message = format!(
        "{job} failed after {} attempt(s); the last one ended with {how}: {last}",
        entry.retries + 1
    );
    let notice = store.raise_alert(job, &message, now)?;
    let to = match &config.smtp.alert_to {
        Some(to) => format!("alert notice {notice} queued for {to}"),
        None => format!("alert notice {notice} queued; no smtp.alert_to, it cannot be sent"),
    };
    store.record_run(
        "daemon-alert",
        now,
        Outcome::Failed,
        &BTreeMap::new(),
        &format!("{message} ({to})"),
        now,
    )?;
    if config.smtp.url.is_none() || job == "notify" {
        // Nothing to send with, or the sender is what failed: the alert
        // waits in the outbox for the next notify run.
        return Ok(());
    }
    let status = tokio::time::timeout(
        Duration::from_secs(300),
        tokio::process::Command::new(me)
            .arg("--config")
            .arg(config_path)
            .arg("notify")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .status(),
    )
    .await;
    match status {
        Ok(Ok(s)) if s.success() => tracing::info!(notice, "daemon: alert sent"),
        _ => tracing::warn!(
            notice,
            "daemon: alert not sent now; it stays due for the next notify"
        ),
    }
    Ok(())
}
