//! `aiu apply` / `aiu destroy`: plan, show, ask (unless `-auto-approve`), then carry the plan
//! out, saving state after every completed change. Ctrl-C stops scheduling new changes,
//! lets in-flight calls finish, and saves.

use std::io::{BufRead, IsTerminal};
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use aiu_engine::{ApplyEvent, ApplyOptions, Persist};
use aiu_plan::{PlanInput, SavedPlan};
use aiu_state::State;
use anyhow::{anyhow, bail, Context, Result};

use crate::args::{ApplyArgs, PlanArgs, RequireApproval};
use crate::commands::plan::{
    config_digest, data_reader, live_fingerprints, make_plan, render_options, PlanRun, Purpose,
};
use crate::printer::Printer;
use crate::session::{report, take_lock, Inputs, Reported, Session};

pub fn run(dir: &Path, args: &ApplyArgs, destroy: bool, printer: &Printer) -> Result<ExitCode> {
    if args.plan.offline {
        bail!("apply cannot run with --offline: it must call AWS. Use `aiu plan --offline` to preview instead.");
    }
    let rt = super::runtime()?;
    match &args.plan_file {
        Some(file) => rt.block_on(apply_saved(dir, args, file, printer)),
        None => rt.block_on(async {
            let destroy = destroy || args.plan.destroy;
            let run = make_plan(dir, &args.plan, destroy, Purpose::Apply, printer).await?;
            printer.out(&aiu_render::render_plan(
                &run.plan,
                &render_options(args.plan.policy_diff, printer),
            ));
            execute(run, args, destroy, args.auto_approve, printer).await
        }),
    }
}

/// `aiu apply FILE`: applies exactly the saved plan, refusing when anything it depends on moved.
async fn apply_saved(
    dir: &Path,
    args: &ApplyArgs,
    file: &Path,
    printer: &Printer,
) -> Result<ExitCode> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("reading the saved plan {}", file.display()))?;
    let saved =
        SavedPlan::from_json_str(&text, &file.display().to_string()).map_err(|e| anyhow!("{e}"))?;
    let stale = |why: String| {
        anyhow!("Saved plan is stale: {why}\nNothing was changed. Make a new plan with `aiu plan -out={}` and review it.", file.display())
    };
    let session = Session::load_with(dir, Inputs::Values(saved.variables.clone()), printer)?;
    if session.workspace != saved.workspace {
        bail!("the saved plan was made for workspace `{}`, but the current workspace is `{}`. Select it with `aiu workspace select {}`.", saved.workspace, session.workspace, saved.workspace);
    }
    if config_digest(&session) != saved.config_digest {
        return Err(stale(
            "the configuration files changed since the plan was made".into(),
        ));
    }
    let backend = session.backend(&args.plan.state)?;
    let lock = take_lock(backend.as_ref(), &args.plan.lock, "apply")?;
    let prior = match backend.read().map_err(|e| anyhow!("{e}"))? {
        Some(state) => state,
        None if saved.plan.prior_serial == 0 => State {
            lineage: saved.plan.prior_lineage.clone(),
            ..State::new()
        },
        None => {
            return Err(stale(format!(
                "the plan was made against serial {} of the state, which no longer exists",
                saved.plan.prior_serial
            )))
        }
    };
    if prior.lineage != saved.plan.prior_lineage {
        bail!(
            "the saved plan was made for state lineage {}, but {} has lineage {}: it belongs to another state. Make a new plan.",
            saved.plan.prior_lineage,
            backend.describe(),
            prior.lineage
        );
    }
    if prior.serial != saved.plan.prior_serial {
        return Err(stale(format!(
            "the state changed since the plan was made (serial {} then, {} now)",
            saved.plan.prior_serial, prior.serial
        )));
    }
    let (provider, account_id) = session.connect().await?;
    if account_id != saved.account_id {
        bail!("the saved plan was made for AWS account {}, but the credentials in use belong to account {account_id}. Nothing was changed.", saved.account_id);
    }
    let refreshed = aiu_engine::refresh(provider.as_ref(), &prior).await;
    if report(printer, &refreshed.diagnostics, &session.config) {
        return Err(Reported.into());
    }
    let now = live_fingerprints(&refreshed.state);
    let mut moved: Vec<String> = saved
        .live_fingerprints
        .iter()
        .filter(|(addr, fp)| now.get(*addr) != Some(*fp))
        .map(|(addr, _)| addr.clone())
        .chain(
            now.keys()
                .filter(|a| !saved.live_fingerprints.contains_key(*a))
                .cloned(),
        )
        .collect();
    moved.sort();
    moved.dedup();
    if !moved.is_empty() {
        return Err(stale(format!(
            "these objects changed in AWS since the plan was made: {}",
            moved.join(", ")
        )));
    }
    let destroy = saved.plan.destroy;
    let mut plan = saved.plan;
    plan.drift.clear();
    let run = PlanRun {
        session,
        backend,
        lock,
        refreshed: refreshed.state,
        plan,
        provider: Some(provider),
        account_id: Some(account_id),
    };
    let refresh_only_args;
    let args = if saved.refresh_only {
        refresh_only_args = ApplyArgs {
            plan_file: None,
            plan: PlanArgs {
                refresh_only: true,
                ..args.plan.clone()
            },
            auto_approve: true,
            require_approval: args.require_approval,
        };
        &refresh_only_args
    } else {
        args
    };
    execute(run, args, destroy, true, printer).await
}

/// Carries out a plan run: confirms, applies, saves outputs, prints the summary.
async fn execute(
    run: PlanRun,
    args: &ApplyArgs,
    destroy: bool,
    approved: bool,
    printer: &Printer,
) -> Result<ExitCode> {
    if args.plan.refresh_only {
        if run.plan.drift.is_empty() {
            return Ok(ExitCode::SUCCESS);
        }
        if !approved {
            confirm(
                printer,
                args.plan.input,
                "Would you like to update the aiu state to reflect these detected changes?",
            )?;
        }
        let mut state = run.refreshed.clone();
        run.backend.write(&mut state).map_err(|e| anyhow!("{e}"))?;
        printer.out("\nApply complete! Resources: 0 added, 0 changed, 0 destroyed.");
        return Ok(ExitCode::SUCCESS);
    }
    let Some(provider) = run.provider.clone() else {
        bail!("apply needs the AWS provider")
    };
    if !run.plan.has_changes() {
        save_outputs_after(
            &run,
            run.refreshed.clone(),
            destroy,
            printer,
            aiu_engine::ApplyCounts::default(),
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    let broadening = broadening_needing_approval(&run, args)?;
    if !broadening.is_empty() {
        if approved {
            bail!(
                "this plan broadens access ({}) and -require-approval=broadening is in effect, so it cannot be approved automatically. Nothing was changed.\nRun `aiu apply` without -auto-approve (and without a saved plan) to review and approve it interactively, or pass -require-approval=never.",
                broadening.join(", ")
            );
        }
        printer.err(&format!(
            "\nThese changes broaden access: {}",
            broadening.join(", ")
        ));
    }
    if !approved {
        let question = if destroy {
            "Do you really want to destroy all resources?"
        } else {
            "Do you want to perform these actions?"
        };
        confirm(printer, args.plan.input, question)?;
    }

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
    let persist: Persist =
        Arc::new(move |state: &mut State| backend.write(state).map_err(|e| e.to_string()));
    let color = printer.color;
    let on_event = Arc::new(move |event: ApplyEvent| {
        let line = match event {
            ApplyEvent::Started { address, verb } => format!("{address}: {}", verb.progress()),
            ApplyEvent::Completed {
                address,
                verb,
                elapsed,
                id,
            } => {
                let id = id.map(|i| format!(" [id={i}]")).unwrap_or_default();
                format!(
                    "{address}: {} after {:.1}s{id}",
                    verb.done(),
                    elapsed.as_secs_f64()
                )
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
        let reader = aiu_engine::ProviderReader {
            provider: reader_provider.as_ref(),
        };
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
            Err(diags
                .errors()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n"))
        } else {
            Ok(plan)
        }
    };
    let options = ApplyOptions {
        parallelism: args.plan.parallelism,
        stop,
    };
    let (report, final_state) = aiu_engine::apply(
        provider,
        &run.plan,
        run.refreshed.clone(),
        persist,
        &mut replan,
        &options,
        on_event,
    )
    .await;

    if !report.failures.is_empty() || report.interrupted {
        let mut text = String::new();
        for f in &report.failures {
            let what = f
                .address
                .as_ref()
                .map_or_else(|| "Apply".to_owned(), ToString::to_string);
            text.push_str(&format!(
                "\nError: {what} failed\n\n  {}\n",
                f.error.replace('\n', "\n  ")
            ));
        }
        if !report.not_run.is_empty() {
            text.push_str(&format!(
                "\nNot run because of the errors above: {}\n",
                report.not_run.join(", ")
            ));
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

/// The policy attributes (`address.attribute`) whose change broadens access, when
/// `-require-approval=broadening` (or `locals { aiu_require_approval = "broadening" }`) asks for
/// them to be approved interactively; empty otherwise.
fn broadening_needing_approval(run: &PlanRun, args: &ApplyArgs) -> Result<Vec<String>> {
    let setting = match args.require_approval {
        Some(r) => r,
        None => match run.session.config.local("aiu_require_approval") {
            None => RequireApproval::Never,
            Some(local) => {
                let mut root = std::collections::BTreeMap::new();
                root.insert(
                    "var".to_owned(),
                    aiu_model::Value::Object(run.session.variables.clone()),
                );
                let ctx = aiu_lang::EvalContext {
                    root,
                    base_dir: run.session.config.dir.clone(),
                };
                let value = aiu_lang::eval(&local.expr.expr, &ctx).map_err(|e| {
                    anyhow!(
                        "{}: local.aiu_require_approval: {}: {}",
                        local.expr.span,
                        e.summary,
                        e.detail
                    )
                })?;
                match value.as_str() {
                    Some("never") => RequireApproval::Never,
                    Some("broadening") => RequireApproval::Broadening,
                    _ => bail!(
                        "{}: local.aiu_require_approval must be \"never\" or \"broadening\"",
                        local.expr.span
                    ),
                }
            }
        },
    };
    Ok(match setting {
        RequireApproval::Never => Vec::new(),
        RequireApproval::Broadening => aiu_render::broadening_changes(&run.plan),
    })
}

fn confirm(printer: &Printer, may_ask: bool, question: &str) -> Result<()> {
    if !may_ask {
        bail!("-input=false: no confirmation is asked. Review the plan and run again with -auto-approve.");
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

/// Re-evaluates outputs against the final state (values unknown at plan time are known now),
/// saves them, and prints the summary.
fn save_outputs_after(
    run: &PlanRun,
    mut state: State,
    destroy: bool,
    printer: &Printer,
    counts: aiu_engine::ApplyCounts,
) -> Result<()> {
    let session = &run.session;
    let reader = data_reader(run.provider.as_ref());
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
            state.outputs.insert(
                output.name,
                aiu_state::OutputState {
                    value: value.to_json(),
                    sensitive: output.sensitive,
                },
            );
        }
    }
    run.backend.write(&mut state).map_err(|e| anyhow!("{e}"))?;
    let verb = if destroy { "Destroy" } else { "Apply" };
    let import = if counts.imported > 0 {
        format!("{} imported, ", counts.imported)
    } else {
        String::new()
    };
    printer.out(&format!(
        "\n{verb} complete! Resources: {import}{} added, {} changed, {} destroyed.",
        counts.added, counts.changed, counts.destroyed
    ));
    if !state.outputs.is_empty() && !destroy {
        printer.out(&format!(
            "\nOutputs:\n\n{}",
            aiu_render::render_outputs(&state)
        ));
    }
    Ok(())
}
