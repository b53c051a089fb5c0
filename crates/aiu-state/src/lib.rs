//! The aiu state model, its versioned on-disk format, and the local backend.
//!
//! * [`State`] is what aiu knows about the real infrastructure it manages: one entry per
//!   resource instance with the attributes last read from AWS, plus outputs and operations
//!   that were started but not yet recorded ([`PendingOperation`]).
//! * The on-disk format is versioned (`format_version`). Each version has a reader module
//!   ([`v1`]); reading an older version runs it through the upgrade steps to the current
//!   in-memory model. A file written by a newer aiu is refused, never guessed at.
//! * [`LocalBackend`] stores the state in one JSON file with atomic replace, a `.backup` of
//!   the previous version, lineage and serial checks, and an advisory lock.
//!
//! See `state/README.md` in the repository for the format description.

mod backend;
mod error;
mod keys;
mod lock;
mod model;
pub mod v1;

pub use backend::{default_state_path, LocalBackend, StateLock};
pub use error::StateError;
pub use lock::{lock_with_timeout, LockGuard, LockInfo, StateBackend};
pub use model::{
    InstanceState, OutputState, PendingOperation, PendingOperationKind, ResourceState, State,
};

/// The format version this aiu writes. Readers exist for every version up to this one.
pub const CURRENT_FORMAT_VERSION: u64 = 1;

/// The aiu version recorded in files this build writes.
pub const AIU_VERSION: &str = env!("CARGO_PKG_VERSION");
