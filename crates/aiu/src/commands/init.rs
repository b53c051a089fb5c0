//! `aiu init`: records which backend the configuration uses, and with `-migrate-state` moves the
//! state of every workspace from the previously recorded backend to the configured one (local
//! to S3 and back). The source is left in place; the destination must be empty or hold the
//! same lineage at a lower serial (`-force-copy` overwrites).

use std::path::Path;
use std::process::ExitCode;

use anyhow::{anyhow, bail, Result};

use crate::args::InitArgs;
use crate::backend::{configured, open, record, recorded, BackendChoice};
use crate::printer::Printer;
use crate::session::{take_lock, Reported};

pub fn run(dir: &Path, args: &InitArgs, printer: &Printer) -> Result<ExitCode> {
    let (config, diags) = aiu_config::load_dir(dir);
    printer.diagnostics(&diags, &config);
    if diags.has_errors() {
        return Err(Reported.into());
    }
    let wanted = configured(&config, &args.state)?;
    let previous = recorded(dir)?.unwrap_or(BackendChoice::Local);
    if previous != wanted && !args.reconfigure {
        if !args.migrate_state {
            let source = open(&previous, dir, "default")?;
            if source.read().map_err(|e| anyhow!("{e}"))?.is_some() {
                bail!(
                    "Backend configuration changed from {} to {}, and state exists in the old backend.\nRun `aiu init -migrate-state` to copy it to the new backend, or `aiu init -reconfigure` to start using the new backend without it.",
                    previous.describe(),
                    wanted.describe()
                );
            }
        } else {
            for workspace in workspaces(&previous, dir)? {
                migrate(&previous, &wanted, dir, &workspace, args, printer)?;
            }
        }
    }
    if let BackendChoice::S3 { settings } = &wanted {
        if let Ok(Some(warning)) = crate::backend::open_s3(settings)
            .and_then(|b| b.check_bucket().map_err(|e| anyhow!("{e}")))
        {
            printer.err(&format!("Warning: {warning}"));
        }
    }
    record(dir, &wanted)?;
    printer.out(&format!(
        "aiu has been successfully initialized! Backend: {}.",
        wanted.describe()
    ));
    Ok(ExitCode::SUCCESS)
}

/// Workspaces that have state in a backend.
fn workspaces(choice: &BackendChoice, dir: &Path) -> Result<Vec<String>> {
    match choice {
        BackendChoice::Local => Ok(crate::commands::workspace::local_workspaces(dir)),
        BackendChoice::S3 { settings } => crate::backend::open_s3(settings)?
            .workspaces()
            .map_err(|e| anyhow!("{e}")),
    }
}

fn migrate(
    from: &BackendChoice,
    to: &BackendChoice,
    dir: &Path,
    workspace: &str,
    args: &InitArgs,
    printer: &Printer,
) -> Result<()> {
    let source = open(from, dir, workspace)?;
    let destination = open(to, dir, workspace)?;
    let _source_lock = take_lock(source.as_ref(), &args.lock, "migrate")?;
    let _destination_lock = take_lock(destination.as_ref(), &args.lock, "migrate")?;
    let Some(mut state) = source.read().map_err(|e| anyhow!("{e}"))? else {
        return Ok(());
    };
    if let Some(existing) = destination.read().map_err(|e| anyhow!("{e}"))? {
        let same = existing.lineage == state.lineage && existing.serial <= state.serial;
        if !same && !args.force_copy {
            bail!(
                "{} already holds a state (lineage {}, serial {}) that is not an older copy of the one being migrated (lineage {}, serial {}). Nothing was copied. Use -force-copy to overwrite it.",
                destination.describe(),
                existing.lineage,
                existing.serial,
                state.lineage,
                state.serial
            );
        }
        if !same {
            state.lineage = existing.lineage.clone();
            state.serial = existing.serial + 1;
        }
    }
    destination.write(&mut state).map_err(|e| anyhow!("{e}"))?;
    printer.err(&format!(
        "Copied the state of workspace \"{workspace}\" from {} to {}.",
        source.describe(),
        destination.describe()
    ));
    Ok(())
}
