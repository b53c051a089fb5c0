//! `aiu plan`: lock the state, recover interrupted creates, refresh (unless offline), plan, and
//! show the plan as text or JSON; `-out=FILE` saves it for `aiu apply FILE`.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use aiu_model::ResourceMode;
use aiu_plan::{DataSourceReader, Offline, Plan, PlanInput, SavedPlan};
use aiu_provider::Provider;
use aiu_render::{PolicyDiffStyle, RenderOptions};
use aiu_state::{LockGuard, State, StateBackend};
use anyhow::{anyhow, bail, Context, Result};

use crate::args::{PlanArgs, PolicyDiffArg};
use crate::printer::Printer;
use crate::session::{read_state, report, take_lock, Reported, Session};

/// Everything a plan run produced, for `plan` to show and `apply` to carry out.
pub struct PlanRun {
    pub session: Session,
    pub backend: Arc<dyn StateBackend>,
    /// Held until the run ends (None with `-lock=false`); released when dropped.
    #[allow(dead_code)]
    pub lock: Option<Box<dyn LockGuard>>,
    /// The prior state after recovery and refresh (what apply starts from).
    pub refreshed: State,
    pub plan: Plan,
    pub provider: Option<Arc<dyn Provider>>,
    pub account_id: Option<String>,
}

/// What the plan is for: decides the lock's operation name and whether recovered pending
/// records are saved.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Plan,
    Apply,
}

/// Loads, locks, recovers, refreshes and plans. Prints diagnostics; fails when any is an error.
pub async fn make_plan(
    dir: &Path,
    args: &PlanArgs,
    destroy: bool,
    purpose: Purpose,
    printer: &Printer,
) -> Result<PlanRun> {
    let session = Session::load(dir, &args.vars, printer)?;
    prepare(session, args, destroy, purpose, printer).await
}

/// [`make_plan`] for an already loaded session.
pub async fn prepare(
    session: Session,
    args: &PlanArgs,
    destroy: bool,
    purpose: Purpose,
    printer: &Printer,
) -> Result<PlanRun> {
    let backend = session.backend(&args.state)?;
    let operation = match (purpose, destroy) {
        (Purpose::Plan, _) => "plan",
        (Purpose::Apply, true) => "destroy",
        (Purpose::Apply, false) => "apply",
    };
    let lock = take_lock(backend.as_ref(), &args.lock, operation)?;
    let mut prior = read_state(backend.as_ref())?;
    let (provider, account_id) = if args.offline {
        (None, None)
    } else {
        let (p, account) = session.connect().await?;
        (Some(p), Some(account))
    };
    if let (Some(p), false) = (&provider, prior.pending.is_empty()) {
        let (resolved, done) = aiu_engine::resolve_pending(p.as_ref(), &prior)
            .await
            .map_err(|e| anyhow!(e))?;
        for r in &done {
            printer.err(&format!("Recovering an interrupted apply: {r}"));
        }
        prior = resolved;
        if purpose == Purpose::Apply {
            backend.write(&mut prior).map_err(|e| anyhow!("{e}"))?;
        }
    } else if !prior.pending.is_empty() {
        printer.err("Warning: the state records creates that an interrupted apply may have made; they are resolved on the next online run.");
    }
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
        Plan {
            drift,
            prior_lineage: refreshed.lineage.clone(),
            prior_serial: refreshed.serial,
            ..Plan::default()
        }
    } else {
        let reader = data_reader(provider.as_ref());
        let input = PlanInput {
            config: &session.config,
            variables: &session.variables,
            prior: &refreshed,
            reader: reader.as_ref(),
            destroy,
            default_tags: session.default_tags()?,
        };
        let (mut plan, mut diags) = aiu_plan::plan(&input);
        if !diags.has_errors() && !destroy {
            // ERROR findings stop the plan with their full explanation; the others are listed
            // in one line each after the diagnostics.
            let checks = aiu_plan::lint::check_plan(&plan, &session.config, account_id.as_deref());
            let errors: Vec<_> = checks
                .findings
                .iter()
                .filter(|f| f.finding.severity == aiu_policy::Severity::Error)
                .cloned()
                .collect();
            diags.extend(aiu_plan::lint::findings_to_diagnostics(&errors));
            diags.extend(checks.diagnostics);
            if let Some(summary) = aiu_plan::lint::summary(&checks.findings) {
                printer.err(&format!("\n{summary}"));
            }
        }
        if report(printer, &diags, &session.config) {
            return Err(Reported.into());
        }
        plan.drift = drift;
        plan
    };
    Ok(PlanRun {
        session,
        backend,
        lock,
        refreshed,
        plan,
        provider,
        account_id,
    })
}

/// Reads data sources through the provider, or nothing offline.
pub fn data_reader(provider: Option<&Arc<dyn Provider>>) -> Box<dyn DataSourceReader + '_> {
    match provider {
        Some(p) => Box::new(aiu_engine::ProviderReader {
            provider: p.as_ref(),
        }),
        None => Box::new(Offline),
    }
}

pub fn render_options(style: PolicyDiffArg, printer: &Printer) -> RenderOptions {
    RenderOptions {
        color: printer.color,
        policy_diff: match style {
            PolicyDiffArg::Statements => PolicyDiffStyle::Statements,
            PolicyDiffArg::Json => PolicyDiffStyle::Json,
        },
    }
}

/// The fingerprint of every managed instance the plan read, by address.
pub fn live_fingerprints(state: &State) -> BTreeMap<String, String> {
    state
        .instances()
        .filter(|(a, _)| a.resource.mode == ResourceMode::Managed)
        .map(|(a, i)| (a.to_string(), aiu_plan::fingerprint(&i.value())))
        .collect()
}

/// The digest of the configuration files, recorded in saved plans.
pub fn config_digest(session: &Session) -> String {
    let files = &session.config.files;
    aiu_plan::config_digest(files.paths().filter_map(|p| files.get(p).map(|t| (p, t))))
}

pub fn run(dir: &Path, args: &PlanArgs, printer: &Printer) -> Result<ExitCode> {
    if args.out.is_some() && args.offline {
        bail!("-out cannot be combined with --offline: a saved plan records the live objects it was made against, so it needs the AWS API.");
    }
    let rt = super::runtime()?;
    let run = rt.block_on(make_plan(dir, args, args.destroy, Purpose::Plan, printer))?;
    let plan = &run.plan;
    if args.json {
        let mut doc = aiu_render::plan_json(plan);
        if args.access_diff {
            doc["access_changes"] = aiu_plan::access::access_diff_json(
                &aiu_plan::access::access_diff(plan, run.account_id.as_deref()),
            );
        }
        printer.out(&serde_json::to_string_pretty(&doc)?);
    } else {
        printer.out(&aiu_render::render_plan(
            plan,
            &render_options(args.policy_diff, printer),
        ));
        if args.access_diff {
            printer.out(&aiu_plan::access::render_access_diff(
                &aiu_plan::access::access_diff(plan, run.account_id.as_deref()),
            ));
        }
    }
    if let Some(out) = &args.out {
        let saved = SavedPlan {
            plan: plan.clone(),
            config_digest: config_digest(&run.session),
            account_id: run.account_id.clone().unwrap_or_default(),
            workspace: run.session.workspace.clone(),
            variables: run.session.variables.clone(),
            live_fingerprints: live_fingerprints(&run.refreshed),
            refresh_only: args.refresh_only,
        };
        std::fs::write(out, saved.to_json_string())
            .with_context(|| format!("writing the plan to {}", out.display()))?;
        printer.err(&format!(
            "\nSaved the plan to: {0}\n\nTo perform exactly these actions, run:\n    aiu apply {0}",
            out.display()
        ));
    }
    let changed = plan.has_changes() || (args.refresh_only && !plan.drift.is_empty());
    Ok(if args.detailed_exitcode && changed {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}
