//! Operations over a configuration, a state and a provider: refresh, plan, apply.
//!
//! Architecture invariant: the engine decides nothing at apply time. Plans come from
//! `aiu-plan`; apply carries them out through the `Provider` trait, saving state after every
//! completed change. The engine never links the AWS SDK.

pub mod apply;
mod commit;
pub mod pending;
pub mod reader;
pub mod refresh;

pub use apply::{
    apply, ApplyCounts, ApplyEvent, ApplyFailure, ApplyOptions, ApplyReport, Op, Persist, Verb,
};
pub use pending::{resolve_pending, Resolution};
pub use reader::ProviderReader;
pub use refresh::{refresh, Refreshed};
