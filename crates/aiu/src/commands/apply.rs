//! `aiu apply` / `aiu destroy`: plan, show, ask (unless `-auto-approve`), then carry the plan
//! out, saving state after every completed change. Ctrl-C stops scheduling new changes,
//! lets in-flight calls finish, and saves.

use std::io::{BufRead, IsTerminal};
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use aiu_engine::{ApplyEvent, ApplyOptions, Persist};
use aiu_plan::{DataSourceReader, Offline, PlanInput};
use aiu_state::State;
use anyhow::{anyhow, bail, Result};

use crate::args::ApplyArgs;
use crate::commands::plan::{make_plan, render_options};
use crate::printer::Printer;

pub fn run(dir: &Path, args: &ApplyArgs, destroy: bool, printer: &Printer) -> Result<ExitCode> {
    if args.plan.offline {
        bail!("apply cannot run with --offline: it must call AWS. Use `aiu plan --offline` to preview instead.");
    }
    let rt = super::runtime()?;
    rt.block_on(apply_async(dir, args, destroy || args.plan.destroy, printer))
}

async fn apply_async(dir: &Path, args: &ApplyArgs, destroy: bool, printer: &Printer) -> Result<ExitCode> {
    let run = make_plan(dir, &args.plan, destroy, printer).await?;
    let _lock = run.backend.lock().map_err(|e| anyhow!("{e}"))?;
    printer.out(&aiu_render::render_plan(&run.plan, &render_options(&args.plan, printer)));

    if args.plan.refresh_only {
        if run.plan.drift.is_empty() {
            return Ok(ExitCode::SUCCESS);
        }
        confirm(args, printer, "Would you like to update the aiu state to reflect these detected changes?")?;
        let mut state = run.refreshed.clone();
        run.backend.write(&mut state).map_err(|e| anyhow!("{e}"))?;
        printer.out("\nApply complete! Resources: 0 added, 0 changed, 0 destroyed.");
        return Ok(ExitCode::SUCCESS);
    }
    let Some(provider) = run.provider.clone() else { bail!("apply needs the AWS provider") };
    if !run.plan.has_changes() {
        save_outputs(&run, run.refreshed.clone(), destroy, printer)?;
        return Ok(ExitCode::SUCCESS);
    }
    let question = if destroy { "Do you really want to destroy all resources?" } else { "Do you want to perform these actions?" };
    confirm(args, printer, question)?;

    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("\nInterrupt received. Finishing the calls in flight and saving state; no new changes will start.");
                stop.store(true, Ordering::SeqCst);
            }
        });
    }
    let backend = run.backend.clone();
    let persist: Persist = Arc::new(move |state: &mut State| backend.write(state).map_err(|e| e.to_string()));
    let color = printer.color;
    let on_event = Arc::new(move |event: ApplyEvent| {
        let line = match event {
            ApplyEvent::Started { address, verb } => format!("{address}: {}", verb.progress()),
            ApplyEvent::Completed { address, verb, elapsed, id } => {
                let id = id.map(|i| format!(" [id={i}]")).unwrap_or_default();
                format!("{address}: {} after {:.1}s{id}", verb.done(), elapsed.as_secs_f64())
            }
            ApplyEvent::Failed { address, error, .. } => {
                if color {
                    format!("\x1b[31m{address}: failed:\x1b[0m {error}")
                } else {
                    format!("{address}: failed: {error}")
                }
            }
        };
        eprintln!("{line}");
    });
    let session = &run.session;
    let default_tags = session.default_tags()?;
    let reader_provider = provider.clone();
    let mut replan = |state: &State| {
        let reader = aiu_engine::ProviderReader { provider: reader_provider.as_ref() };
        let input = PlanInput {
            config: &session.config,
            variables: &session.variables,
            prior: state,
            reader: &reader,
            destroy,
            default_tags: default_tags.clone(),
        };
        let (plan, diags) = aiu_plan::plan(&input);
        if diags.has_errors() {
            Err(diags.errors().map(ToString::to_string).collect::<Vec<_>>().join("\n"))
        } else {
            Ok(plan)
        }
    };
    let options = ApplyOptions { parallelism: args.plan.parallelism, stop };
    let (report, final_state) =
        aiu_engine::apply(provider, &run.plan, run.refreshed.clone(), persist, &mut replan, &options, on_event).await;

    if !report.failures.is_empty() || report.interrupted {
        let mut text = String::new();
        for f in &report.failures {
            text.push_str(&format!("\nError: {} failed\n\n  {}\n", f.address, f.error.replace('\n', "\n  ")));
        }
        if !report.not_run.is_empty() {
            text.push_str(&format!("\nNot run because of the errors above: {}\n", report.not_run.join(", ")));
        }
        if report.interrupted {
            text.push_str("\nApply was interrupted. Everything that completed is saved in state; run `aiu apply` again to finish.\n");
        }
        let c = report.counts;
        text.push_str(&format!(
            "\nApply failed. Completed before the failure (saved in state): {} added, {} changed, {} destroyed.",
            c.added, c.changed, c.destroyed
        ));
        printer.err(&text);
        return Ok(ExitCode::from(1));
    }
    save_outputs_after(&run, final_state, destroy, printer, report.counts)?;
    Ok(ExitCode::SUCCESS)
}

fn confirm(args: &ApplyArgs, printer: &Printer, question: &str) -> Result<()> {
    if args.auto_approve {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        bail!("no confirmation possible: standard input is not a terminal. Review the plan and run again with -auto-approve.");
    }
    printer.err(&format!("\n{question}\n  aiu will perform the actions described above.\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: "));
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if answer.trim() != "yes" {
        bail!("Apply cancelled.");
    }
    Ok(())
}

fn save_outputs(run: &crate::commands::plan::PlanRun, state: State, destroy: bool, printer: &Printer) -> Result<()> {
    save_outputs_after(run, state, destroy, printer, aiu_engine::ApplyCounts::default())
}

/// Re-evaluates outputs against the final state (values unknown at plan time are known now),
/// saves them, and prints the summary.
fn save_outputs_after(
    run: &crate::commands::plan::PlanRun,
    mut state: State,
    destroy: bool,
    printer: &Printer,
    counts: aiu_engine::ApplyCounts,
) -> Result<()> {
    let session = &run.session;
    let reader: Box<dyn DataSourceReader + '_> = match &run.provider {
        Some(p) => Box::new(aiu_engine::ProviderReader { provider: p.as_ref() }),
        None => Box::new(Offline),
    };
    let input = PlanInput {
        config: &session.config,
        variables: &session.variables,
        prior: &state,
        reader: reader.as_ref(),
        destroy,
        default_tags: session.default_tags()?,
    };
    let (plan, _) = aiu_plan::plan(&input);
    state.outputs.clear();
    for output in plan.outputs {
        if let Some(value) = output.after.filter(|v| !v.contains_unknown()) {
            state.outputs.insert(output.name, aiu_state::OutputState { value: value.to_json(), sensitive: output.sensitive });
        }
    }
    run.backend.write(&mut state).map_err(|e| anyhow!("{e}"))?;
    let verb = if destroy { "Destroy" } else { "Apply" };
    let import = if counts.imported > 0 { format!("{} imported, ", counts.imported) } else { String::new() };
    printer.out(&format!(
        "\n{verb} complete! Resources: {import}{} added, {} changed, {} destroyed.",
        counts.added, counts.changed, counts.destroyed
    ));
    if !state.outputs.is_empty() && !destroy {
        printer.out(&format!("\nOutputs:\n\n{}", aiu_render::render_outputs(&state)));
    }
    Ok(())
}
