//! `sigap`: the command line over the pipeline and reports libraries.

mod cli;
mod cmd;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    cmd::init_logging();
    cmd::quiet_broken_pipe();
    match cmd::run(cli) {
        Ok(exit) => exit.into(),
        Err(e) => {
            eprintln!("error: {e:#}");
            cmd::exit_for(&e).into()
        }
    }
}
