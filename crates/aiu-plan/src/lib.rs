//! Pure planning: configuration x prior (refreshed) state x data-source answers -> a [`Plan`].
//!
//! Architecture invariant: planning has no side effects. Data sources that need the cloud are
//! read through the [`DataSourceReader`] the caller passes in; nothing else leaves the process.

pub mod access;
pub mod compare;
pub mod lint;
pub mod model;
pub mod planfile;
pub mod planner;

pub use model::{Action, ChangeCounts, ChangeReason, Drift, OutputChange, Plan, ResourceChange};
pub use planfile::{config_digest, fingerprint, PlanFileError, SavedPlan};
pub use planner::{
    dependency_graph, plan, with_unknown_computed, DataSourceReader, Offline, PlanInput,
};
