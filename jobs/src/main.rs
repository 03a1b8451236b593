//! `sigap`: the command line over the pipeline and reports libraries.

mod cli;
mod cmd;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    cmd::init_logging();
    cmd::quiet_broken_pipe();
    // A bug's panic prints its message (the default hook) and exits as
    // failed, so the daemon and cron see 3 like any other failure.
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| cmd::run(cli))) {
        Ok(Ok(exit)) => exit.into(),
        Ok(Err(e)) => {
            eprintln!("error: {e:#}");
            cmd::exit_for(&e).into()
        }
        Err(_) => cmd::Exit::Failed.into(),
    }
}
