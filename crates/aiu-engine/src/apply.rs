//! Apply: carry out a plan's changes through a provider, dependencies first, with at most
//! `parallelism` calls in flight, saving state after every completed change (concurrent
//! changes share writes, see `commit`).
//!
//! Changes whose planned values are all known run in the first wave. Values known only after
//! apply (a new role's `arn` used by an attachment) are filled by re-planning against the state
//! the first wave produced; each re-planned change must be consistent with the reviewed plan
//! (same action, same known values), otherwise apply stops. Apply never decides new changes.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aiu_graph::{Dag, WalkOptions};
use aiu_model::{InstanceAddress, Presence, Value};
use aiu_plan::{Action, Plan, ResourceChange};
use aiu_provider::{Provider, ProviderError};
use aiu_state::{PendingOperation, PendingOperationKind, State};

use crate::commit::Committer;

/// One step of apply: delete an object, or create/update/import-record it; or a barrier that
/// does nothing but wait.
///
/// Dependencies name resources, not instances: every instance of a dependent waits for every
/// instance of its dependency (as in Terraform). A barrier per resource keeps that graph
/// linear in size: N attachments on N roles are 2N edges through `WritesOf`, not N^2.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Op {
    Delete(InstanceAddress),
    Write(InstanceAddress),
    /// Done when every write of the resource (by address) in this wave is done.
    WritesOf(String),
    /// Done when every dependent of the resource has gone or let go of it; its deletes wait.
    DependentsOf(String),
}

impl Op {
    /// The instance a real operation works on; `None` for a barrier.
    pub fn address(&self) -> Option<&InstanceAddress> {
        match self {
            Op::Delete(a) | Op::Write(a) => Some(a),
            Op::WritesOf(_) | Op::DependentsOf(_) => None,
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::Delete(a) => write!(f, "{a} (destroy)"),
            Op::Write(a) => write!(f, "{a}"),
            Op::WritesOf(r) => write!(f, "{r} (all writes)"),
            Op::DependentsOf(r) => write!(f, "{r} (its dependents)"),
        }
    }
}

/// Progress of apply, for the printer.
#[derive(Clone, Debug)]
pub enum ApplyEvent {
    Started {
        address: InstanceAddress,
        verb: Verb,
    },
    Completed {
        address: InstanceAddress,
        verb: Verb,
        elapsed: Duration,
        id: Option<String>,
    },
    Failed {
        address: InstanceAddress,
        verb: Verb,
        error: String,
    },
}

/// What an operation does, in Terraform's words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verb {
    Creating,
    Modifying,
    Destroying,
    Importing,
}

impl Verb {
    pub fn progress(self) -> &'static str {
        match self {
            Verb::Creating => "Creating...",
            Verb::Modifying => "Modifying...",
            Verb::Destroying => "Destroying...",
            Verb::Importing => "Importing...",
        }
    }

    pub fn done(self) -> &'static str {
        match self {
            Verb::Creating => "Creation complete",
            Verb::Modifying => "Modifications complete",
            Verb::Destroying => "Destruction complete",
            Verb::Importing => "Import complete",
        }
    }
}

/// Options of one apply.
pub struct ApplyOptions {
    pub parallelism: usize,
    /// Set to stop scheduling new operations (Ctrl-C); in-flight calls finish and are saved.
    pub stop: Arc<AtomicBool>,
}

/// Totals for `Apply complete! Resources: N added, N changed, N destroyed.`
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ApplyCounts {
    pub added: usize,
    pub changed: usize,
    pub destroyed: usize,
    pub imported: usize,
}

/// A failed operation, or a failure of apply as a whole (`address` is `None`).
#[derive(Clone, Debug)]
pub struct ApplyFailure {
    pub address: Option<InstanceAddress>,
    pub error: String,
}

/// The outcome of apply. State has been saved after each completed change.
#[derive(Debug, Default)]
pub struct ApplyReport {
    pub counts: ApplyCounts,
    pub failures: Vec<ApplyFailure>,
    /// Operations not run because a dependency failed or apply was interrupted.
    pub not_run: Vec<String>,
    pub interrupted: bool,
}

/// Saves state. Apply calls it through a [`Committer`]: a change goes on only once a write
/// containing it succeeded, and concurrent changes share writes.
pub type Persist = Arc<dyn Fn(&mut State) -> Result<(), String> + Send + Sync>;

/// Re-plans against the state so far (pure, no side effects besides data-source reads).
pub type Replan<'a> = &'a mut dyn FnMut(&State) -> Result<Plan, String>;

/// Applies `plan` to `state`. Returns the report and the final state.
pub async fn apply(
    provider: Arc<dyn Provider>,
    plan: &Plan,
    state: State,
    persist: Persist,
    replan: Replan<'_>,
    options: &ApplyOptions,
    on_event: Arc<dyn Fn(ApplyEvent) + Send + Sync>,
) -> (ApplyReport, State) {
    let reviewed = plan.clone();
    let state = Arc::new(Committer::new(state, persist));
    let mut report = ApplyReport::default();
    let mut current = plan.clone();
    let mut done: BTreeSet<Op> = BTreeSet::new();
    loop {
        let ops = ready_ops(&current, &done);
        if ops.is_empty() {
            if current.has_changes() {
                report.failures.push(ApplyFailure {
                    address: current.changes.iter().find(|c| is_change(c.action)).map(|c| c.address.clone()),
                    error: "apply could not make progress: the remaining changes depend on values that never became known".into(),
                });
            }
            break;
        }
        let wave_failed = run_wave(
            &provider,
            &current,
            &ops,
            &state,
            options,
            &on_event,
            &mut report,
        )
        .await;
        done.extend(ops.nodes().cloned());
        if wave_failed || options.stop.load(Ordering::SeqCst) {
            report.interrupted = options.stop.load(Ordering::SeqCst);
            break;
        }
        let snapshot = state.snapshot();
        match replan(&snapshot) {
            Ok(next) => {
                if let Err(e) = check_consistent(&reviewed, &next) {
                    report.failures.push(e);
                    break;
                }
                if !next.has_changes() {
                    break;
                }
                current = next;
            }
            Err(e) => {
                report.failures.push(ApplyFailure {
                    address: None,
                    error: format!("re-planning during apply failed: {e}"),
                });
                break;
            }
        }
    }
    let final_state = state.snapshot();
    (report, final_state)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn is_change(action: Action) -> bool {
    matches!(
        action,
        Action::Create | Action::Update | Action::Replace | Action::Delete | Action::Import
    )
}

/// The operations of a plan that can run now, as a graph (dependent -> dependency): every
/// delete, and every write whose planned values are known and whose dependencies are either
/// unchanged or also in this wave.
pub fn ready_ops(plan: &Plan, done: &BTreeSet<Op>) -> Dag<Op> {
    let changes: Vec<&ResourceChange> = plan
        .changes
        .iter()
        .filter(|c| {
            c.address.resource.mode == aiu_model::ResourceMode::Managed && is_change(c.action)
        })
        .collect();
    // Ops per resource (not instance), since dependencies name resources.
    let mut writes_of: HashMap<String, Vec<Op>> = HashMap::new();
    let mut deletes_of: HashMap<String, Vec<Op>> = HashMap::new();
    let mut candidate: BTreeSet<Op> = BTreeSet::new();
    let mut blocked: BTreeSet<Op> = BTreeSet::new();
    for change in &changes {
        let res = change.address.resource.to_string();
        if matches!(change.action, Action::Delete | Action::Replace) {
            let op = Op::Delete(change.address.clone());
            if !done.contains(&op) {
                deletes_of.entry(res.clone()).or_default().push(op.clone());
                candidate.insert(op);
            }
        }
        if matches!(
            change.action,
            Action::Create | Action::Update | Action::Replace | Action::Import
        ) {
            let op = Op::Write(change.address.clone());
            writes_of.entry(res).or_default().push(op.clone());
            if !arguments_known(change) {
                blocked.insert(op.clone());
            }
            candidate.insert(op);
        }
    }
    // Edges (dependent, dependency), per the rules in ARCHITECTURE.md ("Apply ordering").
    let mut edges: Vec<(Op, Op)> = Vec::new();
    let mut barriers: BTreeSet<Op> = BTreeSet::new();
    for change in &changes {
        let me = &change.address;
        let my_delete = Op::Delete(me.clone());
        let my_write = Op::Write(me.clone());
        if candidate.contains(&my_delete) && candidate.contains(&my_write) {
            edges.push((my_write.clone(), my_delete.clone()));
        }
        for dep in &change.dependencies {
            let dep_writes = writes_of.get(dep).map_or(0, Vec::len);
            if dep_writes > 0 && candidate.contains(&my_write) {
                let barrier = Op::WritesOf(dep.clone());
                edges.push((my_write.clone(), barrier.clone()));
                barriers.insert(barrier);
            }
            let dep_deletes = deletes_of.get(dep).map_or(0, Vec::len);
            if dep_deletes > 0 && (dep_writes == 0 || candidate.contains(&my_delete)) {
                // The dependency is going away: its dependents go (or let go) first.
                let first = if candidate.contains(&my_delete) {
                    my_delete.clone()
                } else {
                    my_write.clone()
                };
                if candidate.contains(&first) {
                    let barrier = Op::DependentsOf(dep.clone());
                    edges.push((barrier.clone(), first));
                    barriers.insert(barrier);
                }
            }
        }
    }
    for barrier in &barriers {
        match barrier {
            Op::WritesOf(r) => {
                for write in writes_of.get(r).into_iter().flatten() {
                    edges.push((barrier.clone(), write.clone()));
                }
            }
            Op::DependentsOf(r) => {
                for delete in deletes_of.get(r).into_iter().flatten() {
                    edges.push((delete.clone(), barrier.clone()));
                }
            }
            Op::Delete(_) | Op::Write(_) => {}
        }
    }
    candidate.extend(barriers);
    // Anything that waits on a blocked op is blocked too.
    loop {
        let newly: Vec<Op> = edges
            .iter()
            .filter(|(from, to)| blocked.contains(to) && !blocked.contains(from))
            .map(|(from, _)| from.clone())
            .collect();
        if newly.is_empty() {
            break;
        }
        blocked.extend(newly);
    }
    let mut dag = Dag::new();
    for op in candidate.iter().filter(|op| !blocked.contains(op)) {
        dag.add_node(op.clone());
    }
    for (from, to) in edges {
        if dag.contains(&from) && dag.contains(&to) {
            dag.add_edge(from, to);
        }
    }
    dag
}

#[allow(clippy::too_many_arguments)]
async fn run_wave(
    provider: &Arc<dyn Provider>,
    plan: &Plan,
    ops: &Dag<Op>,
    state: &Arc<Committer>,
    options: &ApplyOptions,
    on_event: &Arc<dyn Fn(ApplyEvent) + Send + Sync>,
    report: &mut ApplyReport,
) -> bool {
    let changes: Arc<HashMap<InstanceAddress, ResourceChange>> = Arc::new(
        plan.changes
            .iter()
            .map(|c| (c.address.clone(), c.clone()))
            .collect(),
    );
    let counts = Arc::new(Mutex::new(ApplyCounts::default()));
    let walk_options = WalkOptions::new(options.parallelism.max(1)).stop_flag(options.stop.clone());
    let run = {
        let provider = provider.clone();
        let state = state.clone();
        let on_event = on_event.clone();
        let counts = counts.clone();
        move |op: Op| {
            let provider = provider.clone();
            let state = state.clone();
            let on_event = on_event.clone();
            let counts = counts.clone();
            let changes = changes.clone();
            async move {
                run_op(
                    provider.as_ref(),
                    &changes,
                    op,
                    &state,
                    on_event.as_ref(),
                    &counts,
                )
                .await
            }
        }
    };
    let outcome = ops.walk_with(walk_options, run).await;
    let c = *lock(&counts);
    report.counts.added += c.added;
    report.counts.changed += c.changed;
    report.counts.destroyed += c.destroyed;
    report.counts.imported += c.imported;
    for (op, error) in outcome.failed() {
        report.failures.push(ApplyFailure {
            address: op.address().cloned(),
            error: error.clone(),
        });
    }
    report.not_run.extend(
        outcome
            .skipped()
            .into_iter()
            .chain(outcome.not_run())
            .filter(|op| op.address().is_some())
            .map(ToString::to_string),
    );
    !outcome.is_success()
}

async fn run_op(
    provider: &dyn Provider,
    changes: &HashMap<InstanceAddress, ResourceChange>,
    op: Op,
    state: &Committer,
    on_event: &(dyn Fn(ApplyEvent) + Send + Sync),
    counts: &Mutex<ApplyCounts>,
) -> Result<(), String> {
    let Some(address) = op.address().cloned() else {
        return Ok(()); // a barrier: nothing to do
    };
    let Some(change) = changes.get(&address) else {
        return Err(format!("{address} is not in the plan"));
    };
    let type_name = address.resource.type_name.clone();
    let verb = match (&op, change.action) {
        (Op::Delete(_), _) => Verb::Destroying,
        (_, Action::Update) => Verb::Modifying,
        (_, Action::Import) => Verb::Importing,
        _ => Verb::Creating,
    };
    on_event(ApplyEvent::Started {
        address: address.clone(),
        verb,
    });
    let started = Instant::now();
    let deps = change.dependencies.clone();
    let result: Result<Option<Value>, ProviderError> = match (&op, change.action) {
        (Op::Delete(_), _) => {
            let prior = change.before.clone().unwrap_or_default();
            provider.delete(&type_name, &prior).await.map(|()| None)
        }
        (_, Action::Import) => Ok(change.before.clone()),
        (_, Action::Update) => {
            let prior = change.before.clone().unwrap_or_default();
            let planned = change.after.clone().unwrap_or_default();
            provider
                .update(&type_name, &prior, &planned)
                .await
                .map(Some)
        }
        _ => {
            let planned = change.after.clone().unwrap_or_default();
            let intended = planned
                .get("name")
                .and_then(Value::as_str)
                .map(str::to_owned);
            let attrs = match planned.to_json() {
                serde_json::Value::Object(map) => map,
                _ => serde_json::Map::new(),
            };
            let record = PendingOperation::started_now(
                address.clone(),
                PendingOperationKind::Create,
                intended,
            )
            .with_planned(attrs, deps.clone());
            if let Err(e) = state.commit(|st| st.add_pending(record)).await {
                // The create does not run; take the unsaved record back (best effort).
                let _ = state
                    .commit(|st| {
                        st.clear_pending(&address);
                    })
                    .await;
                return Err(format!(
                    "could not save state before creating {address}: {e}"
                ));
            }
            provider.create(&type_name, &planned).await.map(Some)
        }
    };
    match result {
        Ok(value) => {
            let id = value
                .as_ref()
                .and_then(|v| v.get("id"))
                .and_then(Value::as_str)
                .map(str::to_owned);
            let attrs = value.map(|v| v.to_json());
            state
                .commit(|st| {
                    st.clear_pending(&address);
                    match attrs {
                        Some(serde_json::Value::Object(attrs)) => {
                            st.set_instance(&address, attrs, deps)
                        }
                        Some(_) => {}
                        None => {
                            st.remove_instance(&address);
                        }
                    }
                })
                .await
                .map_err(|e| {
                    format!("{address} was changed in AWS but state could not be saved: {e}")
                })?;
            {
                let mut c = lock(counts);
                match verb {
                    Verb::Creating => c.added += 1,
                    Verb::Modifying => c.changed += 1,
                    Verb::Destroying => c.destroyed += 1,
                    Verb::Importing => c.imported += 1,
                }
            }
            on_event(ApplyEvent::Completed {
                address,
                verb,
                elapsed: started.elapsed(),
                id,
            });
            Ok(())
        }
        Err(e) => {
            if verb == Verb::Creating {
                // Best effort: a record left behind is resolved by the next run.
                let _ = state
                    .commit(|st| {
                        st.clear_pending(&address);
                    })
                    .await;
            }
            let error = e.to_string();
            on_event(ApplyEvent::Failed {
                address,
                verb,
                error: error.clone(),
            });
            Err(error)
        }
    }
}

/// Whether every argument the provider needs is known. Computed attributes (and generated
/// names) are unknown until the provider answers; that does not block a write.
fn arguments_known(change: &ResourceChange) -> bool {
    let Some(after) = &change.after else {
        return true;
    };
    let Some(schema) = aiu_model::schema::schema_for(
        change.address.resource.mode,
        &change.address.resource.type_name,
    ) else {
        return !after.contains_unknown();
    };
    schema
        .attributes
        .iter()
        .filter(|a| matches!(a.presence, Presence::Required | Presence::Optional))
        .all(|a| !after.get(a.name).is_some_and(Value::contains_unknown))
}

/// Every change of a re-plan must be one the reviewed plan announced, with the same known
/// values: apply carries out the reviewed plan and nothing else.
fn check_consistent(reviewed: &Plan, next: &Plan) -> Result<(), ApplyFailure> {
    for change in next.changes.iter().filter(|c| is_change(c.action)) {
        let Some(planned) = reviewed.change(&change.address) else {
            return Err(ApplyFailure {
                address: Some(change.address.clone()),
                error: "a change appeared during apply that the reviewed plan did not contain; nothing more was applied. Run `aiu plan` again".into(),
            });
        };
        let action_ok = planned.action == change.action
            || (planned.action == Action::Replace && change.action == Action::Create);
        let values_ok = match (&planned.after, &change.after) {
            (Some(p), Some(n)) => consistent(p, n),
            (None, None) => true,
            _ => false,
        };
        if !action_ok || !values_ok {
            return Err(ApplyFailure {
                address: Some(change.address.clone()),
                error: format!(
                    "the change planned during apply ({:?}) is inconsistent with the reviewed plan ({:?}); nothing more was applied. Run `aiu plan` again",
                    change.action, planned.action
                ),
            });
        }
    }
    Ok(())
}

/// `actual` agrees with `planned` wherever `planned` was known.
fn consistent(planned: &Value, actual: &Value) -> bool {
    match (planned, actual) {
        (Value::Unknown, _) => true,
        (Value::Object(p), Value::Object(a)) => p
            .iter()
            .all(|(k, pv)| a.get(k).is_some_and(|av| consistent(pv, av))),
        (Value::List(p), Value::List(a)) => {
            p.len() == a.len() && p.iter().zip(a).all(|(pv, av)| consistent(pv, av))
        }
        _ => planned == actual,
    }
}
