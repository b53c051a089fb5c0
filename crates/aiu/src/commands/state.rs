//! Commands that only read the state: `show`, `state list`, `state pull`, `output`.

use std::path::Path;
use std::process::ExitCode;

use std::sync::Arc;

use aiu_state::StateBackend;
use anyhow::{anyhow, bail, Context, Result};

use crate::args::{ForceUnlockArgs, OutputArgs, ShowArgs, StateArgs, StateListArgs, StatePushArgs};
use crate::printer::Printer;
use crate::session::{current_workspace, open_backend, read_state};

fn backend(dir: &Path, args: &StateArgs) -> Result<Arc<dyn StateBackend>> {
    open_backend(dir, args, &current_workspace(dir))
}

pub fn show(dir: &Path, args: &ShowArgs, printer: &Printer) -> Result<ExitCode> {
    if let Some(file) = &args.file {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("reading the saved plan {}", file.display()))?;
        let saved = aiu_plan::SavedPlan::from_json_str(&text, &file.display().to_string())
            .map_err(|e| anyhow!("{e}"))?;
        if args.json {
            printer.out(&serde_json::to_string_pretty(&aiu_render::plan_json(
                &saved.plan,
            ))?);
        } else {
            printer.out(&aiu_render::render_plan(
                &saved.plan,
                &crate::commands::plan::render_options(args.policy_diff, printer),
            ));
        }
        return Ok(ExitCode::SUCCESS);
    }
    let state = read_state(backend(dir, &args.state)?.as_ref())?;
    if args.json {
        printer.out(&state.to_json_string());
    } else if state.resources.is_empty() && state.outputs.is_empty() {
        printer.out("The state file is empty. No resources are represented.");
    } else {
        printer.out(&aiu_render::render_state(&state));
    }
    Ok(ExitCode::SUCCESS)
}

pub fn list(dir: &Path, args: &StateListArgs, printer: &Printer) -> Result<ExitCode> {
    let state = read_state(backend(dir, &args.state)?.as_ref())?;
    let lines: Vec<String> = state
        .instances()
        .map(|(addr, _)| addr.to_string())
        .filter(|a| {
            args.filters.is_empty() || args.filters.iter().any(|f| a.starts_with(f.as_str()))
        })
        .collect();
    if !lines.is_empty() {
        printer.out(&lines.join("\n"));
    }
    Ok(ExitCode::SUCCESS)
}

pub fn pull(dir: &Path, args: &StateArgs, printer: &Printer) -> Result<ExitCode> {
    let state = read_state(backend(dir, args)?.as_ref())?;
    printer.out(&state.to_json_string());
    Ok(ExitCode::SUCCESS)
}

pub fn output(dir: &Path, args: &OutputArgs, printer: &Printer) -> Result<ExitCode> {
    let state = read_state(backend(dir, &args.state)?.as_ref())?;
    match &args.name {
        Some(name) => {
            let Some(output) = state.outputs.get(name) else {
                bail!("Output `{name}` not found. The state holds: {}. Run `aiu apply` if it was added to the configuration since.",
                    if state.outputs.is_empty() { "no outputs".to_owned() } else { state.outputs.keys().cloned().collect::<Vec<_>>().join(", ") });
            };
            if args.json {
                printer.out(&serde_json::to_string_pretty(&output.value)?);
            } else if args.raw {
                match &output.value {
                    serde_json::Value::String(s) => printer.out(s),
                    serde_json::Value::Number(_) | serde_json::Value::Bool(_) => printer.out(&output.value.to_string()),
                    _ => bail!("Output `{name}` is not a string, number or bool, so -raw cannot print it; use -json."),
                }
            } else {
                printer.out(&aiu_model::Value::from_json(&output.value).to_string());
            }
        }
        None => {
            if args.json {
                let all: serde_json::Map<String, serde_json::Value> = state
                    .outputs
                    .iter()
                    .map(|(k, o)| {
                        (
                            k.clone(),
                            serde_json::json!({"value": o.value, "sensitive": o.sensitive}),
                        )
                    })
                    .collect();
                printer.out(&serde_json::to_string_pretty(&all)?);
            } else if state.outputs.is_empty() {
                printer.err("Warning: No outputs found in the state. Add `output` blocks and run `aiu apply`.");
            } else {
                printer.out(&aiu_render::render_outputs(&state));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn force_unlock(dir: &Path, args: &ForceUnlockArgs, printer: &Printer) -> Result<ExitCode> {
    let backend = backend(dir, &args.state)?;
    backend.force_unlock(&args.id).map_err(|e| anyhow!("{e}"))?;
    printer.out(&format!(
        "aiu state has been successfully unlocked! ({})",
        backend.describe()
    ));
    Ok(ExitCode::SUCCESS)
}

pub fn push(dir: &Path, args: &StatePushArgs, printer: &Printer) -> Result<ExitCode> {
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("reading {}", args.file.display()))?;
    let mut state = aiu_state::State::from_json_str(&text, &args.file.display().to_string())
        .map_err(|e| anyhow!("{e}"))?;
    let target = backend(dir, &args.state)?;
    let _lock = crate::session::take_lock(target.as_ref(), &args.lock, "state push")?;
    if let Some(current) = target.read().map_err(|e| anyhow!("{e}"))? {
        if current.lineage != state.lineage && !args.force {
            bail!(
                "Refusing to push: {} holds lineage {}, the file has lineage {}. They are different states; use -force to replace it anyway.",
                target.describe(), current.lineage, state.lineage
            );
        }
        if current.serial > state.serial && !args.force {
            bail!(
                "Refusing to push: {} is at serial {}, the file at serial {} (older). Pull the current state first, or use -force to replace it anyway.",
                target.describe(), current.serial, state.serial
            );
        }
        if args.force {
            // Take over the destination's lineage and move past its serial, so the write is
            // accepted; the destination's previous content is kept as its backup/version.
            state.lineage = current.lineage;
            state.serial = state.serial.max(current.serial) + 1;
        }
    }
    target.write(&mut state).map_err(|e| anyhow!("{e}"))?;
    printer.out(&format!(
        "Pushed {} to {} (serial {}).",
        args.file.display(),
        target.describe(),
        state.serial
    ));
    Ok(ExitCode::SUCCESS)
}
