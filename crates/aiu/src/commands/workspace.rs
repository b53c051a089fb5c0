//! `aiu workspace list|show|new|select|delete`: several states for one configuration (dev,
//! prod, ...). The selection is kept in `.aiu/environment` in the configuration directory;
//! `AIU_WORKSPACE` overrides it. Each workspace's local state is `state/<name>.aiustate.json`.

use std::path::Path;
use std::process::ExitCode;

use aiu_state::{State, StateBackend};
use anyhow::{anyhow, bail, Context, Result};

use crate::args::{StateArgs, WorkspaceCommand};
use crate::printer::Printer;
use crate::session::{current_workspace, open_backend, take_lock, workspace_file};

const SUFFIX: &str = ".aiustate.json";

fn valid_name(name: &str) -> Result<()> {
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        bail!("invalid workspace name `{name}`: use letters, digits, `-` and `_`");
    }
    Ok(())
}

/// Workspaces with a local state file, plus `default`, sorted.
pub fn local_workspaces(dir: &Path) -> Vec<String> {
    let mut names = vec!["default".to_owned()];
    if let Ok(entries) = std::fs::read_dir(dir.join("state")) {
        for entry in entries.flatten() {
            let file = entry.file_name().to_string_lossy().into_owned();
            if let Some(name) = file.strip_suffix(SUFFIX) {
                names.push(name.to_owned());
            }
        }
    }
    names.sort();
    names.dedup();
    names
}

/// Workspaces of the configured backend.
fn existing(dir: &Path) -> Result<Vec<String>> {
    let (config, _) = aiu_config::load_dir(dir);
    match crate::backend::configured(&config, &no_override())? {
        crate::backend::BackendChoice::Local => Ok(local_workspaces(dir)),
        crate::backend::BackendChoice::S3 { settings } => crate::backend::open_s3(&settings)?
            .workspaces()
            .map_err(|e| anyhow!("{e}")),
    }
}

fn no_override() -> StateArgs {
    StateArgs {
        state: None,
        backend_config: Vec::new(),
    }
}

fn select(dir: &Path, name: &str) -> Result<()> {
    let file = workspace_file(dir);
    std::fs::create_dir_all(file.parent().unwrap_or(dir))
        .with_context(|| format!("creating {}", file.display()))?;
    std::fs::write(&file, format!("{name}\n"))
        .with_context(|| format!("writing {}", file.display()))
}

fn backend(dir: &Path, name: &str) -> Result<std::sync::Arc<dyn StateBackend>> {
    open_backend(dir, &no_override(), name)
}

pub fn run(dir: &Path, command: &WorkspaceCommand, printer: &Printer) -> Result<ExitCode> {
    let current = current_workspace(dir);
    match command {
        WorkspaceCommand::List => {
            let lines: Vec<String> = existing(dir)?
                .into_iter()
                .map(|n| {
                    if n == current {
                        format!("* {n}")
                    } else {
                        format!("  {n}")
                    }
                })
                .collect();
            printer.out(&lines.join("\n"));
        }
        WorkspaceCommand::Show => printer.out(&current),
        WorkspaceCommand::New { name, lock } => {
            valid_name(name)?;
            if existing(dir)?.contains(name) {
                bail!("Workspace `{name}` already exists. Select it with `aiu workspace select {name}`.");
            }
            let mut state = State::new();
            let target = backend(dir, name)?;
            let _lock = take_lock(target.as_ref(), lock, "workspace new")?;
            target.write(&mut state).map_err(|e| anyhow!("{e}"))?;
            select(dir, name)?;
            printer.out(&format!("Created and switched to workspace \"{name}\"!\n\nYou're now on a new, empty workspace. Its state is separate from the other workspaces."));
        }
        WorkspaceCommand::Select { name } => {
            valid_name(name)?;
            if !existing(dir)?.contains(name) {
                bail!(
                    "Workspace `{name}` doesn't exist. Create it with `aiu workspace new {name}`."
                );
            }
            select(dir, name)?;
            printer.out(&format!("Switched to workspace \"{name}\"."));
        }
        WorkspaceCommand::Delete { name, force, lock } => {
            valid_name(name)?;
            if name == "default" {
                bail!("The default workspace cannot be deleted.");
            }
            if *name == current {
                bail!("Workspace `{name}` is the current workspace; select another one first (`aiu workspace select default`).");
            }
            if !existing(dir)?.contains(name) {
                bail!("Workspace `{name}` doesn't exist.");
            }
            let target = backend(dir, name)?;
            // Held until the state is gone: a run still using the workspace keeps it.
            let _lock = take_lock(target.as_ref(), lock, "workspace delete")?;
            let state = target
                .read()
                .map_err(|e| anyhow!("{e}"))?
                .unwrap_or_default();
            if !state.resources.is_empty() && !force {
                bail!(
                    "Workspace `{name}` is not empty: its state manages {} resource(s). Destroy them first (`aiu workspace select {name}` then `aiu destroy`), or use -force to forget them (they stay in AWS).",
                    state.resources.len()
                );
            }
            let (config, _) = aiu_config::load_dir(dir);
            match crate::backend::configured(&config, &no_override())? {
                crate::backend::BackendChoice::Local => {
                    let path = aiu_state::default_state_path(dir, name);
                    std::fs::remove_file(&path)
                        .with_context(|| format!("removing {}", path.display()))?;
                    let _ = std::fs::remove_file(format!("{}.backup", path.display()));
                }
                crate::backend::BackendChoice::S3 { settings } => {
                    crate::backend::open_s3(&settings)?
                        .for_workspace(name)
                        .and_then(|b| b.delete_state())
                        .map_err(|e| anyhow!("{e}"))?;
                }
            }
            printer.out(&format!("Deleted workspace \"{name}\"!"));
        }
    }
    Ok(ExitCode::SUCCESS)
}
