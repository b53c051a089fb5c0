//! `aiu validate`: load, check and evaluate the configuration offline (no state, no AWS call;
//! required variables without a value count as unknown), then validate every policy, name and
//! limit of the planned objects. `aiu validate-policy FILE` checks one JSON policy file.
//! Output as text, JSON, or SARIF 2.1.0 for code-review tools.

use std::path::Path;
use std::process::ExitCode;

use aiu_model::{Diagnostic, Diagnostics};
use aiu_plan::lint::{check_plan, findings_to_diagnostics};
use aiu_policy::{validate_policy, PolicyKind, ValidateOptions};
use anyhow::{Context, Result};

use crate::args::{PolicyKindArg, ValidateArgs, ValidateFormat, ValidatePolicyArgs};
use crate::printer::Printer;
use crate::session::{merge_new, Inputs, Session};

/// Everything `validate` found, in config order of discovery.
pub fn check(dir: &Path, args: &ValidateArgs) -> (Session, Diagnostics) {
    let (config, diags) = aiu_config::load_dir(dir);
    let (session, mut diags) =
        Session::from_config(dir, config, diags, Inputs::ArgsMissingAsUnknown(&args.vars));
    let (plan, plan_diags) = session.offline_evaluation();
    // The warning about data sources not read offline is expected: validate never calls AWS.
    merge_new(
        &mut diags,
        plan_diags.into_iter().filter(Diagnostic::is_error),
    );
    if !diags.has_errors() {
        let checks = check_plan(&plan, &session.config, None);
        diags.extend(findings_to_diagnostics(&checks.findings));
        diags.extend(checks.diagnostics);
    }
    (session, diags)
}

pub fn run(dir: &Path, args: &ValidateArgs, printer: &Printer) -> Result<ExitCode> {
    let (session, diags) = check(dir, args);
    let code = if diags.has_errors() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    };
    match args.format() {
        ValidateFormat::Json => printer.out(&serde_json::to_string_pretty(&json_report(&diags))?),
        ValidateFormat::Sarif => printer.out(&serde_json::to_string_pretty(&sarif_report(&diags))?),
        ValidateFormat::Text => {
            printer.diagnostics(&diags, &session.config);
            if !diags.has_errors() {
                printer.out("Success! The configuration is valid.");
            }
        }
    }
    Ok(code)
}

fn json_report(diags: &Diagnostics) -> serde_json::Value {
    let list: Vec<serde_json::Value> = diags
        .iter()
        .map(|d| {
            serde_json::json!({
                "severity": if d.is_error() { "error" } else { "warning" },
                "summary": d.summary,
                "detail": d.detail,
                "range": d.span.as_ref().map(|s| serde_json::json!({
                    "filename": s.file,
                    "start": {"line": s.start.line, "column": s.start.column, "byte": s.start.byte},
                    "end": {"line": s.end.line, "column": s.end.column, "byte": s.end.byte},
                })),
            })
        })
        .collect();
    serde_json::json!({
        "format_version": "1.0",
        "valid": !diags.has_errors(),
        "error_count": diags.errors().count(),
        "warning_count": diags.iter().filter(|d| !d.is_error()).count(),
        "diagnostics": list,
    })
}

/// SARIF 2.1.0: one result per diagnostic; the rule id is the finding code (or the summary).
fn sarif_report(diags: &Diagnostics) -> serde_json::Value {
    let results: Vec<serde_json::Value> = diags
        .iter()
        .map(|d| {
            let rule = rule_id(&d.summary);
            let mut result = serde_json::json!({
                "ruleId": rule,
                "level": if d.is_error() { "error" } else { "warning" },
                "message": {"text": format!("{}: {}", d.summary, d.detail)},
            });
            if let Some(s) = &d.span {
                result["locations"] = serde_json::json!([{
                    "physicalLocation": {
                        "artifactLocation": {"uri": s.file.display().to_string()},
                        "region": {"startLine": s.start.line, "startColumn": s.start.column, "endLine": s.end.line, "endColumn": s.end.column},
                    }
                }]);
            }
            result
        })
        .collect();
    serde_json::json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "aiu", "version": env!("CARGO_PKG_VERSION"), "informationUri": "https://example.invalid/aiu"}},
            "results": results,
        }],
    })
}

/// A SARIF rule id: the finding code of a policy finding ("SECURITY_WARNING PASS_ROLE_..."),
/// otherwise the summary in the same style ("Policies not validated yet" ->
/// `POLICIES_NOT_VALIDATED_YET`).
fn rule_id(summary: &str) -> String {
    let is_code = |w: &str| {
        w.len() > 3
            && w.chars()
                .all(|c| c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit())
    };
    let words: Vec<&str> = summary.split_whitespace().collect();
    match words.as_slice() {
        [_, code] if is_code(code) => (*code).to_owned(),
        _ => summary
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_uppercase()
                } else {
                    '_'
                }
            })
            .collect::<String>()
            .split('_')
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join("_"),
    }
}

/// `aiu validate-policy FILE [--type identity|trust|resource]`.
pub fn run_policy(args: &ValidatePolicyArgs, printer: &Printer) -> Result<ExitCode> {
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("reading {}", args.file.display()))?;
    let kind = match args.kind {
        PolicyKindArg::Identity => PolicyKind::Identity,
        PolicyKindArg::Trust => PolicyKind::Trust,
        PolicyKindArg::Resource => PolicyKind::Resource,
    };
    let findings = validate_policy(text.as_str(), kind, &ValidateOptions::default());
    if args.json {
        printer.out(&serde_json::to_string_pretty(&findings)?);
    } else if findings.is_empty() {
        printer.out(&format!("{}: no findings.", args.file.display()));
    } else {
        let lines: Vec<String> = findings
            .iter()
            .map(|f| format!("{}: {f}", args.file.display()))
            .collect();
        printer.out(&lines.join("\n"));
    }
    let errors = findings
        .iter()
        .any(|f| f.severity == aiu_policy::Severity::Error);
    Ok(if errors {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
