//! Bounded concurrent walks over a [`Dag`]: each node runs once, after everything it waits
//! for succeeded; failures skip what waits on them; a stop flag ends scheduling.

use crate::dag::{CycleError, Dag};
use futures_util::stream::{FuturesUnordered, StreamExt};
use petgraph::graph::NodeIndex;
use petgraph::Direction;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// How to walk.
#[derive(Clone, Debug)]
pub struct WalkOptions {
    /// At most this many node functions run at the same time (0 is treated as 1).
    pub parallelism: usize,
    /// Dependents first (destroy order): a node runs after everything that depends on it.
    pub reverse: bool,
    /// When set to true, no further nodes are started; running ones finish and the rest are
    /// reported as [`NotRunReason::Stopped`].
    pub stop: Option<Arc<AtomicBool>>,
}

impl Default for WalkOptions {
    /// Parallelism 10 (like Terraform), forward, no stop flag.
    fn default() -> Self {
        WalkOptions {
            parallelism: 10,
            reverse: false,
            stop: None,
        }
    }
}

impl WalkOptions {
    pub fn new(parallelism: usize) -> Self {
        WalkOptions {
            parallelism,
            ..Default::default()
        }
    }

    pub fn reverse(mut self, reverse: bool) -> Self {
        self.reverse = reverse;
        self
    }

    pub fn stop_flag(mut self, stop: Arc<AtomicBool>) -> Self {
        self.stop = Some(stop);
        self
    }
}

/// Why a node's function was not called although no dependency failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotRunReason {
    /// The stop flag was set before the node could start.
    Stopped,
    /// The graph has a cycle, so nothing was run.
    Cycle,
}

/// What happened to one node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NodeOutcome<N, E> {
    Succeeded,
    Failed(E),
    /// Not run because something it waits for (directly or not) failed; `failed` lists those
    /// failed nodes, sorted.
    Skipped {
        failed: Vec<N>,
    },
    NotRun(NotRunReason),
}

/// The result of a walk: one outcome per node.
#[derive(Clone, Debug)]
pub struct WalkReport<N, E> {
    pub outcomes: BTreeMap<N, NodeOutcome<N, E>>,
    /// Nodes whose function finished (succeeded or failed), in completion order.
    pub completed: Vec<N>,
    /// True when the stop flag ended the walk with nodes left unscheduled.
    pub stopped: bool,
    /// Set when the graph had cycles (and nothing was run).
    pub cycle: Option<CycleError<N>>,
}

impl<N: Ord, E> WalkReport<N, E> {
    /// True when every node succeeded.
    pub fn is_success(&self) -> bool {
        self.outcomes
            .values()
            .all(|o| matches!(o, NodeOutcome::Succeeded))
    }

    pub fn outcome(&self, n: &N) -> Option<&NodeOutcome<N, E>> {
        self.outcomes.get(n)
    }

    /// Succeeded nodes, sorted.
    pub fn succeeded(&self) -> Vec<&N> {
        self.outcomes
            .iter()
            .filter(|(_, o)| matches!(o, NodeOutcome::Succeeded))
            .map(|(n, _)| n)
            .collect()
    }

    /// Failed nodes with their errors, sorted by node.
    pub fn failed(&self) -> Vec<(&N, &E)> {
        self.outcomes
            .iter()
            .filter_map(|(n, o)| match o {
                NodeOutcome::Failed(e) => Some((n, e)),
                _ => None,
            })
            .collect()
    }

    /// Nodes skipped because a dependency failed, sorted.
    pub fn skipped(&self) -> Vec<&N> {
        self.outcomes
            .iter()
            .filter(|(_, o)| matches!(o, NodeOutcome::Skipped { .. }))
            .map(|(n, _)| n)
            .collect()
    }

    /// Nodes not run because of the stop flag or a cycle, sorted.
    pub fn not_run(&self) -> Vec<&N> {
        self.outcomes
            .iter()
            .filter(|(_, o)| matches!(o, NodeOutcome::NotRun(_)))
            .map(|(n, _)| n)
            .collect()
    }
}

impl<N: Clone + Ord + fmt::Display> Dag<N> {
    /// Runs `f` for every node after all of its dependencies succeeded, at most
    /// `parallelism` at a time. See [`Dag::walk_with`].
    pub async fn walk<F, Fut, E>(&self, parallelism: usize, f: F) -> WalkReport<N, E>
    where
        F: Fn(N) -> Fut,
        Fut: Future<Output = Result<(), E>>,
    {
        self.walk_with(WalkOptions::new(parallelism), f).await
    }

    /// Like [`Dag::walk`] in destroy order: a node runs after all of its dependents
    /// succeeded; a failure skips the node's dependencies.
    pub async fn walk_reverse<F, Fut, E>(&self, parallelism: usize, f: F) -> WalkReport<N, E>
    where
        F: Fn(N) -> Fut,
        Fut: Future<Output = Result<(), E>>,
    {
        self.walk_with(WalkOptions::new(parallelism).reverse(true), f)
            .await
    }

    /// The general walk.
    ///
    /// The node futures are polled concurrently on the calling task (no spawning, so neither
    /// `f` nor the futures need to be `Send` or `'static`); they overlap while they await I/O.
    /// Spawn inside `f` for CPU-bound work. Among ready nodes the smallest starts first.
    /// A failed node's (transitive) waiters are reported as skipped and never run; unrelated
    /// branches continue. A graph with cycles runs nothing.
    pub async fn walk_with<F, Fut, E>(&self, options: WalkOptions, f: F) -> WalkReport<N, E>
    where
        F: Fn(N) -> Fut,
        Fut: Future<Output = Result<(), E>>,
    {
        let mut report = WalkReport {
            outcomes: BTreeMap::new(),
            completed: Vec::new(),
            stopped: false,
            cycle: None,
        };
        let cycles = self.cycles();
        if !cycles.is_empty() {
            for n in self.nodes() {
                report
                    .outcomes
                    .insert(n.clone(), NodeOutcome::NotRun(NotRunReason::Cycle));
            }
            report.cycle = Some(CycleError { cycles });
            return report;
        }

        let (wait_dir, release_dir) = if options.reverse {
            (Direction::Incoming, Direction::Outgoing)
        } else {
            (Direction::Outgoing, Direction::Incoming)
        };
        let parallelism = options.parallelism.max(1);
        let stop_requested = || {
            options
                .stop
                .as_ref()
                .is_some_and(|s| s.load(Ordering::SeqCst))
        };

        let mut remaining: BTreeMap<NodeIndex, usize> = BTreeMap::new();
        let mut ready: BTreeSet<(N, NodeIndex)> = BTreeSet::new();
        for (n, &i) in &self.index {
            let count = self.graph.neighbors_directed(i, wait_dir).count();
            if count == 0 {
                ready.insert((n.clone(), i));
            }
            remaining.insert(i, count);
        }
        let mut skipped: BTreeMap<NodeIndex, BTreeSet<N>> = BTreeMap::new();

        let run = |n: N, i: NodeIndex| {
            let fut = f(n.clone());
            async move { (n, i, fut.await) }
        };
        let mut in_flight = FuturesUnordered::new();

        loop {
            while in_flight.len() < parallelism && !ready.is_empty() {
                if stop_requested() {
                    break;
                }
                let (n, i) = ready.pop_first().expect("ready is not empty");
                in_flight.push(run(n, i));
            }
            let Some((n, i, result)) = in_flight.next().await else {
                break;
            };
            report.completed.push(n.clone());
            match result {
                Ok(()) => {
                    for j in self.graph.neighbors_directed(i, release_dir) {
                        let c = remaining.get_mut(&j).expect("every node is counted");
                        *c -= 1;
                        if *c == 0 && !skipped.contains_key(&j) {
                            ready.insert((self.graph[j].clone(), j));
                        }
                    }
                    report.outcomes.insert(n, NodeOutcome::Succeeded);
                }
                Err(e) => {
                    let mut stack: Vec<NodeIndex> =
                        self.graph.neighbors_directed(i, release_dir).collect();
                    let mut seen: BTreeSet<NodeIndex> = BTreeSet::new();
                    while let Some(j) = stack.pop() {
                        if seen.insert(j) {
                            skipped.entry(j).or_default().insert(n.clone());
                            stack.extend(self.graph.neighbors_directed(j, release_dir));
                        }
                    }
                    report.outcomes.insert(n, NodeOutcome::Failed(e));
                }
            }
        }

        for (j, failed) in skipped {
            report.outcomes.insert(
                self.graph[j].clone(),
                NodeOutcome::Skipped {
                    failed: failed.into_iter().collect(),
                },
            );
        }
        for n in self.nodes() {
            if !report.outcomes.contains_key(n) {
                report.stopped = true;
                report
                    .outcomes
                    .insert(n.clone(), NodeOutcome::NotRun(NotRunReason::Stopped));
            }
        }
        report
    }
}
