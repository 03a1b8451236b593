//! The jobs sigap runs, and the one runner every job goes through.
//!
//! [`Job`] is the only list of jobs: its name (in the run history, in
//! `[schedule]` and in its lock file), its `sigap` command, and whether the
//! daemon may schedule it. [`Runner::run`] is how a job runs: it takes the
//! job's OS lock ([`JobLock`]), marks runs of the job that a killed process
//! left `running` as interrupted, records the start, runs the stage, and
//! records how it ended (outcome, counters, summary) once. A dry run takes
//! no lock and writes no history.

use std::collections::BTreeMap;
use std::fmt;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use chrono::{DateTime, Utc};

use crate::domain::outcome::Outcome;
use crate::files::{FileError, create_private_dir, set_private};
use crate::store::{Store, StoreError};

/// A job: something sigap runs by itself (by hand, from cron or from the
/// daemon) and records in the run history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Job {
    /// ingest → verify → batch → rekap → notify, in that order.
    Nightly,
    /// The inbox becomes applications or quarantine.
    Ingest,
    /// RECEIVED applications decided against the population database.
    Verify,
    /// Print batches made and dispatched to the station.
    Batch,
    /// Rekap files of dispatched batches.
    Rekap,
    /// The station's results files applied.
    StationResults,
    /// Due notices sent.
    Notify,
    /// Kecamatan pickup registers imported.
    Pickups,
    /// The SLA report of a period.
    ReportSla,
    /// A month's destruction bundles and the scans' retention.
    Archive,
    /// The scheduler itself.
    Daemon,
}

/// What the daemon records when it raises an alert (a history entry, not
/// a job: it has no lock and no command).
pub const DAEMON_ALERT: &str = "daemon-alert";

impl Job {
    /// Every job.
    pub const ALL: [Job; 11] = [
        Job::Nightly,
        Job::Ingest,
        Job::Verify,
        Job::Batch,
        Job::Rekap,
        Job::StationResults,
        Job::Notify,
        Job::Pickups,
        Job::ReportSla,
        Job::Archive,
        Job::Daemon,
    ];

    /// The nightly's steps, in the order it runs them.
    pub const NIGHTLY_STEPS: [Job; 5] = [
        Job::Ingest,
        Job::Verify,
        Job::Batch,
        Job::Rekap,
        Job::Notify,
    ];

    /// The job's name in the run history and in `[schedule]`.
    pub fn name(self) -> &'static str {
        match self {
            Job::Nightly => "nightly",
            Job::Ingest => "ingest",
            Job::Verify => "verify",
            Job::Batch => "batch",
            Job::Rekap => "rekap",
            Job::StationResults => "station-results",
            Job::Notify => "notify",
            Job::Pickups => "pickups",
            Job::ReportSla => "report-sla",
            Job::Archive => "archive",
            Job::Daemon => "daemon",
        }
    }

    /// The job named `name`, if any.
    pub fn from_name(name: &str) -> Option<Job> {
        Job::ALL.into_iter().find(|j| j.name() == name)
    }

    /// The lock the job takes, `data/locks/<lock>.lock`. Each job has its
    /// own; `sigap handover` and `sigap arrived` take the pickups one.
    pub fn lock(self) -> &'static str {
        self.name()
    }

    /// The `sigap` arguments that run the job (what the daemon runs, and
    /// what an alert tells the admin to run). The SLA report and the
    /// archive need a period or a month after these.
    pub fn command(self) -> &'static [&'static str] {
        match self {
            Job::Nightly => &["nightly"],
            Job::Ingest => &["ingest"],
            Job::Verify => &["verify"],
            Job::Batch => &["batch"],
            Job::Rekap => &["rekap"],
            Job::StationResults => &["station", "results"],
            Job::Notify => &["notify"],
            Job::Pickups => &["pickups", "import"],
            Job::ReportSla => &["report", "sla"],
            Job::Archive => &["archive"],
            Job::Daemon => &["daemon"],
        }
    }

    /// Whether `[schedule]` may name the job: the ones that need no
    /// argument and are not the daemon itself.
    pub fn schedulable(self) -> bool {
        !matches!(self, Job::ReportSla | Job::Archive | Job::Daemon)
    }

    /// The jobs `[schedule]` may name, in [`Job::ALL`] order.
    pub fn scheduled() -> impl Iterator<Item = Job> {
        Job::ALL.into_iter().filter(|j| j.schedulable())
    }
}

impl fmt::Display for Job {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is not a job.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a job")]
pub struct UnknownJob(pub String);

impl FromStr for Job {
    type Err = UnknownJob;

    fn from_str(s: &str) -> Result<Job, UnknownJob> {
        Job::from_name(s).ok_or_else(|| UnknownJob(s.to_string()))
    }
}

/// Another process runs the job, or its lock file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// The lock is held.
    #[error(
        "`{job}` is already running (process {holder}, lock {}); wait for it to finish",
        path.display()
    )]
    Held {
        /// The job whose lock it is.
        job: Job,
        /// The holder's process id, as it wrote it.
        holder: String,
        /// The lock file.
        path: PathBuf,
    },
    /// The lock file could not be opened.
    #[error(transparent)]
    File(#[from] FileError),
}

/// An exclusive OS lock on `data/locks/<job>.lock`, held until dropped. The
/// operating system releases it when the process ends, however it ends, so
/// a crash never leaves a stale lock behind.
#[derive(Debug)]
pub struct JobLock {
    _file: File,
}

impl JobLock {
    /// Takes the job's lock, or says which process holds it.
    pub fn acquire(data_dir: &Path, job: Job) -> Result<JobLock, LockError> {
        let dir = data_dir.join("locks");
        create_private_dir(&dir)?;
        let path = dir.join(format!("{}.lock", job.lock()));
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| FileError::new(&path, e))?;
        set_private(&path)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                return Err(LockError::Held {
                    job,
                    holder: holder.trim().to_string(),
                    path,
                });
            }
            Err(TryLockError::Error(e)) => return Err(FileError::new(&path, e).into()),
        }
        // Who holds it, for the message the next process prints.
        file.set_len(0)
            .and_then(|_| file.seek(SeekFrom::Start(0)))
            .and_then(|_| writeln!(file, "{}", std::process::id()))
            .and_then(|_| file.flush())
            .map_err(|e| FileError::new(&path, e))?;
        Ok(JobLock { _file: file })
    }
}

/// What a stage hands the runner when it has done its work.
#[derive(Debug, Clone, PartialEq)]
pub struct Done<T> {
    /// What the stage returns to its caller (a report to print).
    pub value: T,
    /// `Ok`, `Attention` (a person must look), or `Failed` when the stage
    /// ended early but has counters to record (the mail server went down).
    pub outcome: Outcome,
    /// What it counted, for the history.
    pub counters: BTreeMap<String, i64>,
    /// A line for people, for the history.
    pub summary: String,
}

/// A run that went through: the outcome recorded and the stage's value.
#[derive(Debug, Clone, PartialEq)]
pub struct Ran<T> {
    /// How it ended (as recorded, unless a dry run).
    pub outcome: Outcome,
    /// What the stage returned.
    pub value: T,
}

/// A run that did not go through.
#[derive(Debug, thiserror::Error)]
pub enum JobError<E> {
    /// The lock is held by another run (nothing ran, nothing recorded), or
    /// its file could not be used.
    #[error(transparent)]
    Lock(#[from] LockError),
    /// The run history could not be written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The stage failed; recorded as failed with this error as its message.
    #[error(transparent)]
    Stage(E),
    /// The stage panicked (a bug); recorded as failed.
    #[error("`{job}` stopped on an internal error (a bug; please report it): {message}")]
    Panicked {
        /// The job.
        job: Job,
        /// The panic's message.
        message: String,
    },
}

impl<E> JobError<E> {
    /// `Locked` when another run holds the lock, else `Failed`.
    pub fn outcome(&self) -> Outcome {
        match self {
            JobError::Lock(LockError::Held { .. }) => Outcome::Locked,
            _ => Outcome::Failed,
        }
    }
}

/// Runs one job: see the module's documentation.
pub struct Runner<'a> {
    job: Job,
    data_dir: PathBuf,
    dry_run: bool,
    clock: &'a dyn Fn() -> DateTime<Utc>,
}

impl<'a> Runner<'a> {
    /// A run of `job` in the office whose data folder (where `locks/` is)
    /// is `data_dir`, for real, on the system clock.
    pub fn new(job: Job, data_dir: impl Into<PathBuf>) -> Runner<'a> {
        Runner {
            job,
            data_dir: data_dir.into(),
            dry_run: false,
            clock: &Utc::now,
        }
    }

    /// A dry run changes nothing, so it takes no lock (and creates none)
    /// and writes no history.
    pub fn dry_run(mut self, dry_run: bool) -> Runner<'a> {
        self.dry_run = dry_run;
        self
    }

    /// The clock the history's times come from.
    pub fn clock(mut self, clock: &'a dyn Fn() -> DateTime<Utc>) -> Runner<'a> {
        self.clock = clock;
        self
    }

    /// Takes the lock, marks stale runs interrupted, records the start,
    /// runs `stage` on `store` and records how it ended. The start is
    /// recorded first so that `sigap status` shows the job running while
    /// it works, and a run killed half-way is found by the next one.
    pub fn run<T, E: fmt::Display>(
        self,
        store: &mut Store,
        stage: impl FnOnce(&mut Store) -> Result<Done<T>, E>,
    ) -> Result<Ran<T>, JobError<E>> {
        let job = self.job;
        if self.dry_run {
            let done = catch(job, || stage(store))?.map_err(JobError::Stage)?;
            return Ok(Ran {
                outcome: done.outcome,
                value: done.value,
            });
        }
        let _lock = hold(job, &self.data_dir, store)?;
        let run = store.start_run(job.name(), (self.clock)())?;
        let failed = |store: &mut Store, message: &str| {
            let recorded = store.finish_run(
                run,
                Outcome::Failed,
                &BTreeMap::new(),
                message,
                (self.clock)(),
            );
            // The stage's error is the one to report; this one is logged.
            if let Err(e) = recorded {
                tracing::error!(job = job.name(), "recording the failed run: {e}");
            }
        };
        match catch(job, || stage(store)) {
            Ok(Ok(done)) => {
                store.finish_run(
                    run,
                    done.outcome,
                    &done.counters,
                    &done.summary,
                    (self.clock)(),
                )?;
                Ok(Ran {
                    outcome: done.outcome,
                    value: done.value,
                })
            }
            Ok(Err(e)) => {
                failed(store, &e.to_string());
                Err(JobError::Stage(e))
            }
            Err(panicked) => {
                failed(store, &panicked.to_string());
                Err(panicked)
            }
        }
    }
}

/// Takes `job`'s lock and marks the runs of it still recorded as running
/// interrupted: the runner's first step, and what a command that is no job
/// but takes a job's lock does (`sigap handover` and `sigap arrived` take
/// the pickups lock, so they never race an import).
pub fn hold<E>(job: Job, data_dir: &Path, store: &mut Store) -> Result<JobLock, JobError<E>> {
    let lock = JobLock::acquire(data_dir, job)?;
    // With the lock held no other process runs this job, so a run of it
    // still "running" is one whose process died before it could record how
    // it ended.
    let stale = store.interrupt_stale_runs(job.name())?;
    if stale > 0 {
        tracing::warn!(
            job = job.name(),
            runs = stale,
            "earlier runs ended without recording how; marked interrupted"
        );
    }
    Ok(lock)
}

/// Runs `f`, turning a panic into [`JobError::Panicked`] so that the run is
/// recorded as failed and the command exits as failed.
fn catch<R, E>(job: Job, f: impl FnOnce() -> R) -> Result<R, JobError<E>> {
    crate::guard::catch(f).map_err(|message| JobError::Panicked { job, message })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_job_has_one_name_and_reads_back_from_it() {
        for job in Job::ALL {
            assert_eq!(job.name().parse::<Job>(), Ok(job));
            assert_eq!(job.to_string(), job.name());
        }
        let names: std::collections::BTreeSet<&str> = Job::ALL.iter().map(|j| j.name()).collect();
        assert_eq!(names.len(), Job::ALL.len());
        assert!("verfy".parse::<Job>().is_err());
        let scheduled: Vec<&str> = Job::scheduled().map(Job::name).collect();
        assert_eq!(
            scheduled,
            [
                "nightly",
                "ingest",
                "verify",
                "batch",
                "rekap",
                "station-results",
                "notify",
                "pickups"
            ]
        );
        assert_eq!(Job::StationResults.command(), ["station", "results"]);
        assert_eq!(Job::Pickups.command(), ["pickups", "import"]);
        assert!(Job::NIGHTLY_STEPS.iter().all(|j| j.schedulable()));
    }

    #[test]
    fn a_job_lock_is_exclusive_and_names_its_holder() {
        let dir = tempfile::tempdir().unwrap();
        let held = JobLock::acquire(dir.path(), Job::Nightly).unwrap();
        let err = JobLock::acquire(dir.path(), Job::Nightly).unwrap_err();
        assert!(
            err.to_string()
                .contains(&format!("process {}", std::process::id())),
            "{err}"
        );
        // Another job is not blocked.
        let _other = JobLock::acquire(dir.path(), Job::Verify).unwrap();
        drop(held);
        JobLock::acquire(dir.path(), Job::Nightly).unwrap();
    }

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + s, 0).unwrap()
    }

    fn done(outcome: Outcome) -> Result<Done<u32>, StoreError> {
        Ok(Done {
            value: 7,
            outcome,
            counters: BTreeMap::from([("read".to_string(), 3)]),
            summary: "read 3".into(),
        })
    }

    #[test]
    fn the_runner_records_each_run_once_and_marks_stale_ones() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open_in_memory().unwrap();
        let clock = || at(5);
        let dead = store.start_run("ingest", at(0)).unwrap();
        let ran = Runner::new(Job::Ingest, dir.path())
            .clock(&clock)
            .run(&mut store, |s| {
                // The run shows as running while the stage works.
                assert_eq!(
                    s.runs(Some("ingest"), 1).unwrap()[0].outcome,
                    Outcome::Running
                );
                done(Outcome::Attention)
            })
            .unwrap();
        assert_eq!((ran.outcome, ran.value), (Outcome::Attention, 7));
        let runs = store.runs(Some("ingest"), 10).unwrap();
        assert_eq!(runs.len(), 2);
        assert_eq!(runs[0].outcome, Outcome::Attention);
        assert_eq!(runs[0].counters["read"], 3);
        assert_eq!(runs[0].message, "read 3");
        assert_eq!(runs[0].finished_at, Some(at(5)));
        assert_eq!((runs[1].id, runs[1].outcome), (dead, Outcome::Interrupted));

        // A failing stage is recorded failed with its error.
        let err = Runner::new(Job::Ingest, dir.path())
            .run(&mut store, |_| -> Result<Done<u32>, String> {
                Err("the inbox is gone".into())
            })
            .unwrap_err();
        assert_eq!(err.outcome(), Outcome::Failed);
        let last = &store.runs(Some("ingest"), 1).unwrap()[0];
        assert_eq!(
            (last.outcome, last.message.as_str()),
            (Outcome::Failed, "the inbox is gone")
        );

        // A panic too, and the command can still say so.
        let err = Runner::new(Job::Ingest, dir.path())
            .run(&mut store, |_| -> Result<Done<u32>, String> {
                panic!("a bug")
            })
            .unwrap_err();
        assert!(err.to_string().contains("a bug"), "{err}");
        assert_eq!(
            store.runs(Some("ingest"), 1).unwrap()[0].outcome,
            Outcome::Failed
        );
    }

    #[test]
    fn a_held_lock_gives_locked_and_records_nothing_and_a_dry_run_takes_no_lock() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open_in_memory().unwrap();
        let _held = JobLock::acquire(dir.path(), Job::Verify).unwrap();
        let err = Runner::new(Job::Verify, dir.path())
            .run(&mut store, |_| done(Outcome::Ok))
            .unwrap_err();
        assert_eq!(err.outcome(), Outcome::Locked);
        assert!(
            err.to_string().contains("`verify` is already running"),
            "{err}"
        );
        assert!(store.runs(None, 10).unwrap().is_empty());

        let fresh = tempfile::tempdir().unwrap();
        let ran = Runner::new(Job::Verify, fresh.path().join("data"))
            .dry_run(true)
            .run(&mut store, |_| done(Outcome::Ok))
            .unwrap();
        assert_eq!(ran.outcome, Outcome::Ok);
        assert!(store.runs(None, 10).unwrap().is_empty());
        assert!(!fresh.path().join("data").exists());
    }
}
