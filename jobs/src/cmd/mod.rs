//! Command implementations: glue between the CLI and the libraries.

mod applications;
mod archive;
mod daemon;
mod holidays;
mod ingest;
mod nightly;
mod nik;
mod notify;
mod office;
mod pickups;
mod print;
mod quarantine;
mod report;
mod review;
mod schedule;
mod status;
mod verify;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use pipeline::Config;
use pipeline::config::{ConfigError, env};
use pipeline::domain::outcome::Outcome;
use pipeline::job::{Done, Job, JobError, LockError, Ran, Runner};
use pipeline::store::Store;

use crate::cli::{
    ApplicationsAction, BlankoAction, Cli, Command, ConfigAction, HolidaysAction, JobsAction,
    NoticesAction, PickupsAction, QuarantineAction, ReportAction, ReviewAction, StationAction,
};

/// How a command ended, as the process exit code (listed in `sigap --help`
/// and the README, "Exit codes"). The daemon reads a job's end from this
/// code alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: done, nothing needs attention.
    Ok,
    /// 1: ran, but something needs a person (a failed check, quarantined input).
    Attention,
    /// 2: usage or configuration error.
    Usage,
    /// 3: failed: an error (a file, a server down) or a bug caught.
    Failed,
    /// 75 (`EX_TEMPFAIL`): another run of the job holds its lock.
    Locked,
}

impl Exit {
    /// Every exit.
    const ALL: [Exit; 5] = [
        Exit::Ok,
        Exit::Attention,
        Exit::Usage,
        Exit::Failed,
        Exit::Locked,
    ];

    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::Attention => 1,
            Exit::Usage => 2,
            Exit::Failed => 3,
            Exit::Locked => 75,
        }
    }

    /// The exit a process's exit code stands for, if it is one of sigap's.
    pub fn from_code(code: i32) -> Option<Exit> {
        Exit::ALL.into_iter().find(|e| i32::from(e.code()) == code)
    }

    /// The exit for a job run's outcome.
    pub fn of(outcome: Outcome) -> Exit {
        match outcome {
            Outcome::Ok => Exit::Ok,
            Outcome::Attention => Exit::Attention,
            Outcome::Locked => Exit::Locked,
            Outcome::Failed | Outcome::Interrupted | Outcome::Running => Exit::Failed,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e.code())
    }
}

/// Configuration errors (the file, a setting in the environment, a mail
/// server URL that cannot be used) exit 2;
/// another run holding the job's lock exits 75; anything else that failed
/// exits 3.
pub fn exit_for(e: &anyhow::Error) -> Exit {
    let bad_setting = |c: &(dyn std::error::Error + 'static)| {
        matches!(
            c.downcast_ref::<pipeline::intake::IntakeError>(),
            Some(pipeline::intake::IntakeError::BadSetting { .. })
        )
    };
    let held = |c: &(dyn std::error::Error + 'static)| {
        matches!(c.downcast_ref::<LockError>(), Some(LockError::Held { .. }))
    };
    let mail_setting = |c: &(dyn std::error::Error + 'static)| {
        c.downcast_ref::<pipeline::ports::MailError>()
            .is_some_and(|m| m.is_setting())
    };
    // A TLS setting (a CA file, sslmode) wherever it is wrapped.
    let tls_setting = |c: &(dyn std::error::Error + 'static)| {
        c.is::<pipeline::adapters::tls::TlsError>()
            || matches!(
                c.downcast_ref::<pipeline::ports::PopulationError>(),
                Some(pipeline::ports::PopulationError::Tls(_))
            )
    };
    if e.chain()
        .any(|c| c.is::<ConfigError>() || bad_setting(c) || mail_setting(c) || tls_setting(c))
    {
        Exit::Usage
    } else if e.chain().any(held) {
        Exit::Locked
    } else {
        Exit::Failed
    }
}

/// Logs go to stderr as plain lines; `SIGAP_LOG` sets the filter (default `info`).
/// They name application ids, never a NIK or a name.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("SIGAP_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .init();
}

/// A listing piped into a reader that stops early (`sigap applications
/// list | head`) ends quietly with 141, as a process killed by SIGPIPE
/// would, instead of a panic message: Rust ignores SIGPIPE, so `println!`
/// panics on the closed pipe, and `unsafe` (to restore the signal) is
/// forbidden here. A panic a parser guard catches
/// ([`pipeline::guard::quiet`]) prints nothing: the guard logs one line.
pub fn quiet_broken_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        // A parser's panic on one input: the guard logs it in one line.
        if pipeline::guard::quiet(info) {
            return;
        }
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(141);
        }
        default(info)
    }));
}

/// Runs one command.
pub fn run(cli: Cli) -> anyhow::Result<Exit> {
    let config = cli.config.as_deref();
    match cli.command {
        Command::Init { dir, profile } => office::init(&dir, profile),
        Command::SampleData {
            dir,
            profile,
            population,
            applications,
            seed,
            as_of,
            weeks,
        } => office::sample_data(
            &dir,
            &pipeline::sample::SampleOptions {
                profile: profile.name().to_string(),
                population,
                applications,
                seed,
                as_of,
                weeks,
            },
        ),
        Command::Config {
            action: ConfigAction::Check,
        } => office::check(config),
        Command::Nik { number, kk } => nik::check(&number, kk, config),
        Command::Holidays {
            action: HolidaysAction::List { year, json },
        } => holidays::list(&load_config(config)?, year, json),
        Command::Status { json } => status::show(&load_config(config)?, json),
        Command::Applications { action } => {
            let config = load_config(config)?;
            match action {
                ApplicationsAction::List { state, json } => {
                    applications::list(&config, state, json)
                }
                ApplicationsAction::Show { id, json } => applications::show(&config, id, json),
            }
        }
        Command::Ingest { dry_run } => ingest::run(&load_config(config)?, dry_run),
        Command::Quarantine { action } => {
            let config = load_config(config)?;
            match action {
                QuarantineAction::List { json } => quarantine::list(&config, json),
                QuarantineAction::Show { id } => quarantine::show(&config, id),
            }
        }
        Command::Verify { dry_run } => verify::run(&load_config(config)?, dry_run),
        Command::Review { action } => {
            let config = load_config(config)?;
            match action {
                ReviewAction::List { json } => review::list(&config, json),
                ReviewAction::Approve { id, by } => review::approve(&config, id, by),
                ReviewAction::Reject { id, reason, by } => review::reject(&config, id, &reason, by),
                ReviewAction::Classify { id, doc, kind, by } => {
                    review::classify(&config, id, doc, &kind, by)
                }
            }
        }
        Command::Nightly { dry_run } => nightly::run(&load_config(config)?, dry_run),
        Command::Notify { dry_run } => notify::run(&load_config(config)?, dry_run),
        Command::Notices {
            action: NoticesAction::List { state, json },
        } => notify::list(&load_config(config)?, state, json),
        Command::Batch { dry_run } => print::batch(&load_config(config)?, dry_run),
        Command::Rekap { dry_run } => print::rekap(&load_config(config)?, dry_run),
        Command::Daemon => {
            let path = config_path(config);
            daemon::run(&load_config(config)?, &path)
        }
        Command::Jobs { action } => {
            let config = load_config(config)?;
            match action {
                JobsAction::List { json } => schedule::list(&config, json),
                JobsAction::History { job, limit, json } => {
                    schedule::history(&config, job.as_deref(), limit, json)
                }
            }
        }
        Command::Blanko { action } => {
            let config = load_config(config)?;
            match action {
                BlankoAction::Receive {
                    quantity,
                    reference,
                    by,
                } => print::receive(&config, quantity, &reference, by.as_deref()),
                BlankoAction::Status { json } => print::status(&config, json),
            }
        }
        Command::Station { action } => {
            let config = load_config(config)?;
            match action {
                StationAction::Results => print::results(&config),
                StationAction::List => print::list(&config),
                StationAction::Confirm {
                    batch,
                    spoiled,
                    first_serial,
                } => print::confirm(&config, &batch, &spoiled, first_serial),
            }
        }
        Command::Report {
            action: ReportAction::Sla { from, to, format },
        } => report::sla(&load_config(config)?, from, to, &format),
        Command::Pickups {
            action: PickupsAction::Import { files },
        } => pickups::import(&load_config(config)?, &files),
        Command::Handover { batch, by } => pickups::handover(&load_config(config)?, &batch, &by),
        Command::Arrived { batch, by } => pickups::arrived(&load_config(config)?, &batch, by),
        Command::Archive { month } => archive::run(&load_config(config)?, month),
    }
}

/// The config file to read: `--config`, `SIGAP_CONFIG` (both via clap), or `./sigap.toml`.
fn config_path(given: Option<&Path>) -> PathBuf {
    given
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("sigap.toml"))
}

/// Loads the config with the environment overrides.
pub fn load_config(given: Option<&Path>) -> anyhow::Result<Config> {
    let path = config_path(given);
    let config = Config::load(&path, |k| std::env::var(k).ok())?;
    // Never echo SIGAP_* secrets; just note which overrides are in force.
    for var in [env::POPULATION_URL, env::SMTP_URL] {
        if std::env::var_os(var).is_some() {
            tracing::debug!("{var} overrides the config file");
        }
    }
    Ok(config)
}

/// Opens the office's state database.
pub fn open_store(config: &Config) -> anyhow::Result<Store> {
    let path = config.database_path();
    // A fresh clone has no data/ (git keeps no empty folders): make it, private.
    pipeline::files::create_private_dir(&config.data_dir())?;
    Store::open(&path).with_context(|| format!("opening the state database {}", path.display()))
}

/// Who is at the keyboard: `--by`, else the login user ($USER, $LOGNAME, `id -un`).
pub fn operator(by: Option<String>) -> anyhow::Result<String> {
    let login = || {
        ["USER", "LOGNAME"]
            .iter()
            .find_map(|v| std::env::var(v).ok())
            .or_else(|| {
                std::process::Command::new("id")
                    .arg("-un")
                    .output()
                    .ok()
                    .filter(|o| o.status.success())
                    .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            })
    };
    by.or_else(login)
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
        .context("cannot tell who you are: pass --by NAME")
}

/// The store a job runs on: the office's, or for a dry run in an office
/// that has none yet an empty one in memory (a dry run writes nothing, not
/// even an empty database).
pub fn job_store(config: &Config, dry_run: bool) -> anyhow::Result<Store> {
    if dry_run && !config.database_path().exists() {
        Ok(Store::open_in_memory()?)
    } else {
        open_store(config)
    }
}

/// Runs `job` through the library's runner (its lock, the stale runs, one
/// record of the run) on `store`. A run that did not go through comes back
/// as the error that stopped it, for [`exit_for`].
pub fn run_job<T, E>(
    config: &Config,
    job: Job,
    dry_run: bool,
    store: &mut Store,
    stage: impl FnOnce(&mut Store) -> Result<Done<T>, E>,
) -> anyhow::Result<Ran<T>>
where
    E: Into<anyhow::Error> + std::fmt::Display,
{
    Runner::new(job, config.data_dir())
        .dry_run(dry_run)
        .run(store, stage)
        .map_err(job_error)
}

/// The error inside a [`JobError`], so that `exit_for` finds it.
pub fn job_error<E>(e: JobError<E>) -> anyhow::Error
where
    E: Into<anyhow::Error> + std::fmt::Display,
{
    match e {
        JobError::Lock(e) => e.into(),
        JobError::Store(e) => e.into(),
        JobError::Stage(e) => e.into(),
        panicked @ JobError::Panicked { .. } => anyhow::anyhow!("{panicked}"),
    }
}
