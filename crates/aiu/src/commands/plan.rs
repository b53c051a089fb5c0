//! `aiu plan`: refresh (unless offline), plan, and show the plan as text or JSON.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use aiu_plan::{DataSourceReader, Offline, Plan, PlanInput};
use aiu_provider::Provider;
use aiu_render::{PolicyDiffStyle, RenderOptions};
use aiu_state::{LocalBackend, State};
use anyhow::{Context, Result};

use crate::args::{PlanArgs, PolicyDiffArg};
use crate::printer::Printer;
use crate::session::{read_state, report, state_path, Reported, Session};

/// Everything a plan run produced, for `plan` to show and `apply` to carry out.
pub struct PlanRun {
    pub session: Session,
    pub backend: LocalBackend,
    /// The prior state after refresh (what apply starts from).
    pub refreshed: State,
    pub plan: Plan,
    pub provider: Option<Arc<dyn Provider>>,
}

/// Loads, refreshes and plans. Prints diagnostics; fails when any is an error.
pub async fn make_plan(dir: &Path, args: &PlanArgs, destroy: bool, printer: &Printer) -> Result<PlanRun> {
    let session = Session::load(dir, &args.vars, printer)?;
    let backend = LocalBackend::new(state_path(dir, &args.state));
    let prior = read_state(&backend)?;
    let provider = if args.offline { None } else { Some(session.connect().await?) };
    let (refreshed, drift) = match &provider {
        Some(p) if args.refresh || args.refresh_only => {
            let r = aiu_engine::refresh(p.as_ref(), &prior).await;
            if report(printer, &r.diagnostics, &session.config) {
                return Err(Reported.into());
            }
            (r.state, r.drift)
        }
        _ => (prior, Vec::new()),
    };
    let plan = if args.refresh_only {
        Plan { drift, prior_lineage: refreshed.lineage.clone(), prior_serial: refreshed.serial, ..Plan::default() }
    } else {
        let reader: Box<dyn DataSourceReader + '_> = match &provider {
            Some(p) => Box::new(aiu_engine::ProviderReader { provider: p.as_ref() }),
            None => Box::new(Offline),
        };
        let input = PlanInput {
            config: &session.config,
            variables: &session.variables,
            prior: &refreshed,
            reader: reader.as_ref(),
            destroy,
            default_tags: session.default_tags()?,
        };
        let (mut plan, diags) = aiu_plan::plan(&input);
        if report(printer, &diags, &session.config) {
            return Err(Reported.into());
        }
        plan.drift = drift;
        plan
    };
    Ok(PlanRun { session, backend, refreshed, plan, provider })
}

pub fn render_options(args: &PlanArgs, printer: &Printer) -> RenderOptions {
    RenderOptions {
        color: printer.color,
        policy_diff: match args.policy_diff {
            PolicyDiffArg::Statements => PolicyDiffStyle::Statements,
            PolicyDiffArg::Json => PolicyDiffStyle::Json,
        },
    }
}

pub fn run(dir: &Path, args: &PlanArgs, printer: &Printer) -> Result<ExitCode> {
    let rt = super::runtime()?;
    let run = rt.block_on(make_plan(dir, args, args.destroy, printer))?;
    let plan = &run.plan;
    if args.json {
        printer.out(&serde_json::to_string_pretty(&aiu_render::plan_json(plan))?);
    } else {
        printer.out(&aiu_render::render_plan(plan, &render_options(args, printer)));
    }
    if let Some(out) = &args.out {
        let json = serde_json::to_string_pretty(&aiu_render::plan_json(plan))?;
        std::fs::write(out, json).with_context(|| format!("writing the plan to {}", out.display()))?;
        printer.err(&format!("\nSaved the plan to: {}", out.display()));
    }
    let changed = plan.has_changes() || (args.refresh_only && !plan.drift.is_empty());
    Ok(if args.detailed_exitcode && changed { ExitCode::from(2) } else { ExitCode::SUCCESS })
}
