//! The `aiu` command line: parses arguments, runs one command, maps the outcome to an exit code.
//! Each command lives in `commands/`; the work itself is done by the library crates.

mod args;
mod backend;
mod commands;
mod printer;
mod session;

use std::process::ExitCode;

/// mimalloc: planning allocates many small values; it keeps large plans fast and compact
/// (see BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser;

use crate::args::{Cli, Command, StateCommand};
use crate::printer::Printer;
use crate::session::Reported;

fn main() -> ExitCode {
    let mut words = Vec::new();
    for word in std::env::args_os() {
        match word.into_string() {
            Ok(word) => words.push(word),
            Err(word) => {
                eprintln!(
                    "Error: the argument {} is not valid UTF-8 text; aiu reads its arguments as UTF-8 (rename the file or directory, or pass it through a UTF-8 path).",
                    word.to_string_lossy()
                );
                return ExitCode::from(1);
            }
        }
    }
    let cli = match Cli::try_parse_from(args::normalize(words)) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let printer = Printer::new(cli.no_color);
    let dir = cli
        .chdir
        .clone()
        .unwrap_or_else(|| std::path::PathBuf::from("."));
    let result = match cli.command {
        Command::Validate(a) => commands::validate::run(&dir, &a, &printer),
        Command::ValidatePolicy(a) => commands::validate::run_policy(&a, &printer),
        Command::Plan(a) => commands::plan::run(&dir, &a, &printer),
        Command::Apply(a) => commands::apply::run(&dir, &a, false, &printer),
        Command::Destroy(a) => commands::apply::run(&dir, &a, true, &printer),
        Command::Graph(a) => commands::graph::run(&dir, &a, &printer),
        Command::Show(a) => commands::state::show(&dir, &a, &printer),
        Command::State(StateCommand::List(a)) => commands::state::list(&dir, &a, &printer),
        Command::State(StateCommand::Pull(a)) => commands::state::pull(&dir, &a, &printer),
        Command::State(StateCommand::Push(a)) => commands::state::push(&dir, &a, &printer),
        Command::Init(a) => commands::init::run(&dir, &a, &printer),
        Command::Output(a) => commands::state::output(&dir, &a, &printer),
        Command::Import(a) => commands::import::run(&dir, &a, &printer),
        Command::Simulate(a) => commands::simulate::run(&dir, &a, &printer),
        Command::ForceUnlock(a) => commands::state::force_unlock(&dir, &a, &printer),
        Command::Workspace(c) => commands::workspace::run(&dir, &c, &printer),
        Command::Version => {
            printer.out(&format!("aiu v{}", env!("CARGO_PKG_VERSION")));
            Ok(ExitCode::SUCCESS)
        }
    };
    match result {
        Ok(code) => code,
        Err(e) if e.is::<Reported>() => ExitCode::from(1),
        Err(e) => {
            printer.err(&format!("\nError: {e:#}\n"));
            ExitCode::from(1)
        }
    }
}
