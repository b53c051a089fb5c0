//! Dependency graphs on petgraph: cycles, order, DOT and Mermaid, bounded concurrent walks.
//!
//! A [`Dag`] holds nodes and "waits for" edges: `add_edge(dependent, dependency)` means
//! `dependent` runs after `dependency`. Everything that returns several nodes returns them in
//! a deterministic order (sorted by the node's `Ord`), so plans, graphs and error messages are
//! stable from run to run.
//!
//! [`Dag::walk`] runs an async function for every node, each after all of its dependencies
//! succeeded, at most `parallelism` at a time; [`Dag::walk_reverse`] does the same in destroy
//! order (dependents first) and [`Dag::walk_with`] adds a stop flag.

mod dag;
mod render;
mod walk;

pub use dag::{CycleError, Dag};
pub use walk::{NodeOutcome, NotRunReason, WalkOptions, WalkReport};
