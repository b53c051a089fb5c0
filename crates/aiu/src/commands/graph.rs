//! `aiu graph`: the configuration's dependency graph as DOT or Mermaid.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;

use crate::args::{GraphArgs, GraphFormat};
use crate::printer::Printer;
use crate::session::Reported;

/// The graph needs no variable values, so missing required variables do not stop it.
pub fn run(dir: &Path, args: &GraphArgs, printer: &Printer) -> Result<ExitCode> {
    let (config, diags) = aiu_config::load_dir(dir);
    printer.diagnostics(&diags, &config);
    if diags.has_errors() {
        return Err(Reported.into());
    }
    let dag = aiu_plan::dependency_graph(&config);
    if let Err(e) = dag.topological_order() {
        printer.err(&format!(
            "\nError: Dependency cycle\n\n{e}\nBreak the cycle by removing one of the references."
        ));
        return Err(Reported.into());
    }
    printer.out(&match args.format {
        GraphFormat::Dot => dag.to_dot(),
        GraphFormat::Mermaid => dag.to_mermaid(),
    });
    Ok(ExitCode::SUCCESS)
}
