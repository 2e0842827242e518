//! One module per subcommand.

pub(crate) mod build;
pub(crate) mod check;
pub(crate) mod cost;
pub(crate) mod discover;
pub(crate) mod init;
pub(crate) mod plan;
pub(crate) mod schema;

use std::process::ExitCode;

use crate::config::Config;
use crate::diagnostics::Diagnostics;

/// Runs one command and returns the process exit code; `command` is the command line's
/// definition, for shell completions.
pub(crate) fn run(config: &Config, command: impl Fn() -> clap::Command) -> ExitCode {
    let result: Result<ExitCode, Diagnostics> = match &config {
        Config::Build(c) => build::run(c).map(|()| ExitCode::SUCCESS),
        Config::Plan(c) => plan::run(c).map(|changes| {
            if changes && c.detailed_exitcode {
                ExitCode::from(plan::CHANGES_EXIT_CODE)
            } else {
                ExitCode::SUCCESS
            }
        }),
        Config::Check(c) => Ok(check::run(c)),
        Config::Cost(c) => cost::run(c).map(|()| ExitCode::SUCCESS),
        Config::DiscoverSql(inputs) => discover::run(inputs).map(|()| ExitCode::SUCCESS),
        Config::Init(c) => init::run(c).map(|()| ExitCode::SUCCESS),
        Config::Schema(c) => schema::run(c).map(|()| ExitCode::SUCCESS),
        Config::Completions(shell) => {
            let mut command = command();
            clap_complete::generate(*shell, &mut command, "bqflat", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
    };
    match result {
        Ok(code) => code,
        Err(diagnostics) => {
            eprintln!("{diagnostics}");
            ExitCode::FAILURE
        }
    }
}
