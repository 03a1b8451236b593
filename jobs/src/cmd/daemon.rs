//! `sigap daemon`: runs the jobs of `[schedule]` at their times, each as a
//! child `sigap` process (so a job that hangs can be stopped at its
//! timeout, and each run records itself in the history as it does by hand).
//! How a child ended is read from its exit code alone: 0 or 1 it ran, 75
//! another process holds the job's lock (the skip is recorded as `locked`,
//! with no retry and no alert), anything else it failed. SIGTERM or SIGINT:
//! the job running now finishes, then the daemon records itself as
//! interrupted and exits 0. When it starts, runs a daemon killed with its
//! child left `running` are marked interrupted and count as missed
//! (`interrupt_killed_runs`), so `run_once` runs them again at once.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use pipeline::Config;
use pipeline::domain::outcome::Outcome;
use pipeline::job::{DAEMON_ALERT, Done, Job, JobError, LockError};
use pipeline::schedule::{Schedule, ScheduleEntry, after_run, first_due, parse_cron};
use pipeline::store::Store;
use tokio::signal::unix::{SignalKind, signal};

use super::{Exit, open_store, run_job};

/// How one child run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ended {
    /// Exit 0 or 1 (ran; 1: something needs a person).
    Ran,
    /// Exit 75: another process holds the job's lock.
    Locked,
    /// Any other exit, a signal, or the timeout.
    Failed,
}

impl Ended {
    /// What a child's exit code says (`None`: killed by a signal).
    fn of(code: Option<i32>) -> Ended {
        match code.and_then(Exit::from_code) {
            Some(Exit::Ok | Exit::Attention) => Ended::Ran,
            Some(Exit::Locked) => Ended::Locked,
            _ => Ended::Failed,
        }
    }
}

/// One job of the schedule and when it runs next.
struct Slot {
    job: Job,
    entry: ScheduleEntry,
    schedule: Schedule,
    next_at: Option<DateTime<Utc>>,
    attempt: u32,
}

pub fn run(config: &Config, config_path: &Path) -> anyhow::Result<Exit> {
    // Scheduled jobs act on real time; a pretended "now" is for tests of
    // the reporting commands only.
    if pipeline::clock::overridden() {
        anyhow::bail!(
            "{} is set: the daemon runs on the real clock only; unset it and start again",
            pipeline::clock::NOW_VAR
        );
    }
    let mut slots = Vec::new();
    for (name, entry) in &config.schedule {
        let job = Job::from_name(name)
            .filter(|j| j.schedulable())
            .with_context(|| {
                format!("schedule.{name}: not a job the daemon runs (see `sigap config check`)")
            })?;
        let schedule =
            parse_cron(&entry.cron).map_err(|e| anyhow::anyhow!("schedule.{name}.cron: {e}"))?;
        slots.push(Slot {
            job,
            entry: entry.clone(),
            schedule,
            next_at: None,
            attempt: 0,
        });
    }
    if slots.is_empty() {
        anyhow::bail!(
            "{}: [schedule] names no job; add e.g. [schedule.nightly] cron = \"0 1 * * *\"",
            config_path.display()
        );
    }
    let me = std::env::current_exe().context("finding the sigap executable")?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the daemon's runtime")?;
    let mut store = open_store(config)?;
    // One daemon per office: the runner refuses a second with the first's
    // process id, and marks a daemon killed before it could record its end
    // interrupted.
    run_job(config, Job::Daemon, false, &mut store, |store| {
        runtime.block_on(daemon(store, config, config_path, &me, slots))
    })?;
    Ok(Exit::Ok)
}

async fn daemon(
    store: &mut Store,
    config: &Config,
    config_path: &Path,
    me: &Path,
    mut slots: Vec<Slot>,
) -> anyhow::Result<Done<()>> {
    let tz = config.office.timezone.offset();
    for slot in &slots {
        interrupt_killed_runs(store, config, slot.job)?;
    }
    let now = Utc::now();
    for slot in &mut slots {
        let last = store.runs(Some(slot.job.name()), 1)?;
        let last = last.first();
        slot.next_at = first_due(
            &slot.schedule,
            &slot.entry,
            last.map(|r| r.started_at),
            last.is_some_and(|r| r.outcome == Outcome::Interrupted),
            now,
            tz,
        );
        tracing::info!(job = %slot.job, next = ?slot.next_at, "daemon: scheduled");
    }
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let mut counters: BTreeMap<String, i64> = BTreeMap::new();
    let mut stopping = false;
    while !stopping {
        let Some((i, due)) = slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.next_at.map(|t| (i, t)))
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
        let slot = &mut slots[i];
        let job = slot.job;
        tracing::info!(job = %job, attempt = slot.attempt, "daemon: starting");
        // The child's stderr may quote input; the exit code says how it
        // ended, and its own history record says why.
        let mut child = tokio::process::Command::new(me)
            .arg("--config")
            .arg(config_path)
            .args(job.command())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting `sigap {}`", job.command().join(" ")))?;
        let timeout = slot.entry.timeout_secs.map(Duration::from_secs);
        // A signal now lets the job finish; the daemon stops after it.
        let finished = async {
            match timeout {
                Some(t) => tokio::time::timeout(t, child.wait()).await.ok(),
                None => Some(child.wait().await),
            }
        };
        tokio::pin!(finished);
        let status = loop {
            tokio::select! {
                r = &mut finished => break r,
                _ = term.recv() => stopping = true,
                _ = int.recv() => stopping = true,
            }
        };
        let (ended, how) = match status {
            None => {
                tracing::error!(job = %job, "daemon: timed out; stopped");
                (
                    Ended::Failed,
                    format!(
                        "stopped at its timeout ({} s)",
                        slot.entry.timeout_secs.unwrap_or_default()
                    ),
                )
            }
            Some(Ok(status)) => {
                let how = match status.code() {
                    Some(code) => format!("exit code {code}"),
                    None => "killed by a signal".to_string(),
                };
                (Ended::of(status.code()), how)
            }
            Some(Err(e)) => {
                tracing::error!(job = %job, "daemon: waiting for the job failed: {e}");
                (Ended::Failed, format!("could not be waited for: {e}"))
            }
        };
        *counters
            .entry(format!("{}_{:?}", job.name(), ended).to_lowercase())
            .or_default() += 1;
        let now = Utc::now();
        if ended == Ended::Locked {
            // Someone else runs it: recorded, and the next time kept.
            tracing::info!(job = %job, "daemon: skipped, another process holds the job's lock");
            store.record_run(
                job.name(),
                now,
                Outcome::Locked,
                &BTreeMap::new(),
                "skipped by the daemon: another process holds the job's lock",
                now,
            )?;
        }
        let step = after_run(
            &slot.schedule,
            &slot.entry,
            ended == Ended::Failed,
            slot.attempt,
            now,
            tz,
        );
        if step.final_failure {
            tracing::error!(job = %job, "daemon: failed after every retry");
            alert(store, config, config_path, me, job, &slot.entry, &how, now).await?;
        }
        slot.next_at = step.next_at;
        slot.attempt = step.attempt;
    }
    tracing::info!("daemon: stopped");
    Ok(Done {
        outcome: if stopping {
            Outcome::Interrupted
        } else {
            Outcome::Ok
        },
        counters,
        summary: "daemon stopped".into(),
        value: (),
    })
}

/// A daemon killed together with its child (a power cut, the OOM killer,
/// systemd stopping the unit's processes) left the child's run, and for a
/// nightly the run of the step it was in, `running`. Taking each job's lock
/// marks them interrupted (a lock still held means the job really runs:
/// started by hand, or a child that outlived its daemon, and is left
/// alone), so `first_due` sees the interrupted run and `run_once` runs the
/// job again now instead of at its next time.
fn interrupt_killed_runs(store: &mut Store, config: &Config, job: Job) -> anyhow::Result<()> {
    let steps: &[Job] = if job == Job::Nightly {
        &Job::NIGHTLY_STEPS
    } else {
        &[]
    };
    for &j in std::iter::once(&job).chain(steps) {
        match pipeline::job::hold::<std::convert::Infallible>(j, &config.data_dir(), store) {
            Ok(_lock) => {}
            Err(JobError::Lock(LockError::Held { holder, .. })) => {
                tracing::info!(job = %j, holder, "daemon: the job is running in another process");
            }
            Err(e) => return Err(super::job_error(e)),
        }
    }
    Ok(())
}

/// A job failed after every retry: one alert for the admin goes into the
/// notice outbox and is sent at once by a `sigap notify` run (it stays due
/// for the next notify when the mail server is down), and the history
/// records it as a `daemon-alert` run.
#[allow(clippy::too_many_arguments)]
async fn alert(
    store: &mut Store,
    config: &Config,
    config_path: &Path,
    me: &Path,
    job: Job,
    entry: &ScheduleEntry,
    how: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    // The job's own record says what went wrong, without personal data;
    // its stderr may quote input, so it stays out of the mail.
    let last = store
        .runs(Some(job.name()), 1)?
        .first()
        .map(|r| r.message.clone())
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| "(the run recorded no message)".into());
    let message = format!(
        "{job} failed after {} attempt(s); the last one ended with {how}: {last}",
        entry.retries + 1
    );
    let notice = store.raise_alert(job.name(), &message, now)?;
    let to = match &config.smtp.alert_to {
        Some(to) => format!("alert notice {notice} queued for {to}"),
        None => format!("alert notice {notice} queued; no smtp.alert_to, it cannot be sent"),
    };
    store.record_run(
        DAEMON_ALERT,
        now,
        Outcome::Failed,
        &BTreeMap::new(),
        &format!("{message} ({to})"),
        now,
    )?;
    if config.smtp.url.is_none() || job == Job::Notify {
        // Nothing to send with, or the sender is what failed: the alert
        // waits in the outbox for the next notify run.
        return Ok(());
    }
    let status = tokio::time::timeout(
        Duration::from_secs(300),
        tokio::process::Command::new(me)
            .arg("--config")
            .arg(config_path)
            .args(Job::Notify.command())
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
