//! `aiu validate`: load, check and evaluate the configuration offline, with no state and no
//! AWS call, and report every problem.

use std::path::Path;
use std::process::ExitCode;

use aiu_plan::{Offline, PlanInput};
use aiu_state::State;
use anyhow::Result;

use crate::args::ValidateArgs;
use crate::printer::Printer;
use crate::session::{report, Reported, Session};

pub fn run(dir: &Path, args: &ValidateArgs, printer: &Printer) -> Result<ExitCode> {
    let session = Session::load(dir, &args.vars, printer)?;
    let empty = State::new();
    let input = PlanInput {
        config: &session.config,
        variables: &session.variables,
        prior: &empty,
        reader: &Offline,
        destroy: false,
        default_tags: session.default_tags()?,
    };
    let (_, diags) = aiu_plan::plan(&input);
    // The offline warning about unread data sources is expected here: validate never calls AWS.
    let diags = aiu_model::Diagnostics(diags.into_iter().filter(|d| d.is_error()).collect());
    if args.json {
        let list: Vec<serde_json::Value> = diags
            .iter()
            .map(|d| {
                serde_json::json!({
                    "severity": if d.is_error() { "error" } else { "warning" },
                    "summary": d.summary,
                    "detail": d.detail,
                    "range": d.span.as_ref().map(|s| serde_json::json!({"filename": s.file, "start": {"line": s.start.line, "column": s.start.column}, "end": {"line": s.end.line, "column": s.end.column}})),
                })
            })
            .collect();
        let doc = serde_json::json!({"valid": !diags.has_errors(), "error_count": diags.errors().count(), "diagnostics": list});
        printer.out(&serde_json::to_string_pretty(&doc)?);
        return Ok(if diags.has_errors() { ExitCode::from(1) } else { ExitCode::SUCCESS });
    }
    if report(printer, &diags, &session.config) {
        return Err(Reported.into());
    }
    printer.out("Success! The configuration is valid.");
    Ok(ExitCode::SUCCESS)
}
