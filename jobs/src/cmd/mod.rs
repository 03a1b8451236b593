//! Command implementations: glue between the CLI and the libraries.

mod applications;
mod archive;
mod daemon;
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
use pipeline::store::Store;

use crate::cli::{
    ApplicationsAction, BlankoAction, Cli, Command, ConfigAction, JobsAction, NoticesAction,
    PickupsAction, QuarantineAction, ReportAction, ReviewAction, StationAction,
};

/// How a command ended, as the process exit code (the table in README.md, "Exit codes").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Done, nothing needs attention.
    Ok,
    /// Ran, but something needs a person (a failed check, quarantined input).
    Attention,
    /// Usage or configuration error.
    Usage,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(match e {
            Exit::Ok => 0,
            Exit::Attention => 1,
            Exit::Usage => 2,
        })
    }
}

/// Configuration errors (the file or a setting in the environment) exit 2;
/// anything else that failed exits 1.
pub fn exit_for(e: &anyhow::Error) -> Exit {
    let bad_setting = |c: &(dyn std::error::Error + 'static)| {
        matches!(
            c.downcast_ref::<pipeline::intake::IntakeError>(),
            Some(pipeline::intake::IntakeError::BadSetting { .. })
        )
    };
    if e.chain().any(|c| c.is::<ConfigError>() || bad_setting(c)) {
        Exit::Usage
    } else {
        Exit::Attention
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
/// forbidden here.
pub fn quiet_broken_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
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

/// Takes the job's lock for the rest of the command, so two runs of one job
/// (a daemon and an admin, or two daemons) never overlap; the second is
/// refused with the holder's process id.
pub fn lock_job(config: &Config, job: &str) -> anyhow::Result<pipeline::schedule::JobLock> {
    pipeline::files::create_private_dir(&config.data_dir())?;
    let lock = pipeline::schedule::JobLock::acquire(&config.data_dir(), job)?;
    // With the lock held, a run of this job still "running" in the history
    // is one whose process died before it could record how it ended.
    let stale = open_store(config)?.interrupt_stale_runs(job)?;
    if stale > 0 {
        tracing::warn!(
            job,
            runs = stale,
            "earlier runs ended without recording how; marked interrupted"
        );
    }
    Ok(lock)
}

/// Records a job run that failed, with the error as its message.
pub fn record_failure(
    store: &mut Store,
    run: i64,
    e: &dyn std::fmt::Display,
) -> anyhow::Result<()> {
    store.finish_run(
        run,
        pipeline::store::Outcome::Failed,
        &std::collections::BTreeMap::new(),
        &e.to_string(),
        chrono::Utc::now(),
    )?;
    Ok(())
}
