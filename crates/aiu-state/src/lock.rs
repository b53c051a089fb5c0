//! State backends and their locks: the [`StateBackend`] trait every store of state implements
//! (the local file here, S3 in `aiu-aws`), and [`LockInfo`], which names who holds a lock so a
//! second run can say whom it is waiting for.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::error::StateError;
use crate::model::State;

/// Who holds a lock, for what, since when. Stored with the lock (the local lock file's content,
/// or the S3 lock object).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    #[serde(rename = "ID")]
    pub id: String,
    #[serde(rename = "Operation")]
    pub operation: String,
    #[serde(rename = "Who")]
    pub who: String,
    #[serde(rename = "Version")]
    pub version: String,
    /// RFC 3339 UTC.
    #[serde(rename = "Created")]
    pub created: String,
    /// The state the lock protects.
    #[serde(rename = "Path")]
    pub path: String,
}

impl LockInfo {
    /// A new lock request for `operation` (e.g. `apply`) with a fresh random ID.
    pub fn new(operation: &str) -> LockInfo {
        let user = std::env::var("USER")
            .or_else(|_| std::env::var("USERNAME"))
            .unwrap_or_else(|_| "unknown".into());
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_owned())
            .or_else(|_| std::env::var("HOSTNAME"))
            .unwrap_or_else(|_| "localhost".into());
        let created = time::OffsetDateTime::now_utc()
            .replace_nanosecond(0)
            .unwrap_or_else(|_| time::OffsetDateTime::now_utc())
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        LockInfo {
            id: uuid::Uuid::new_v4().to_string(),
            operation: operation.to_owned(),
            who: format!("{user}@{host} (pid {})", std::process::id()),
            version: crate::AIU_VERSION.to_owned(),
            created,
            path: String::new(),
        }
    }
}

impl std::fmt::Display for LockInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ID: {}\n  Path: {}\n  Operation: {}\n  Who: {}\n  Version: {}\n  Created: {}",
            self.id, self.path, self.operation, self.who, self.version, self.created
        )
    }
}

/// A held lock; released when dropped.
pub trait LockGuard: Send {
    fn info(&self) -> &LockInfo;
}

/// A place state is kept. Every command that writes state holds the backend's lock from its
/// read to its last write.
pub trait StateBackend: Send + Sync {
    /// Where the state is, for messages (`state/default.aiustate.json`, `s3://bucket/key`).
    fn describe(&self) -> String;

    /// The stored state, `None` when there is none yet. A corrupt, future-version or
    /// unreadable state is an error, never `None`.
    fn read(&self) -> Result<Option<State>, StateError>;

    /// Stores the state. Refuses another lineage, a lower serial, or (for remote state) a
    /// concurrent writer; bumps `serial` when content changed.
    fn write(&self, state: &mut State) -> Result<(), StateError>;

    /// Takes the lock without waiting; `StateError::Locked` names the holder when it is taken.
    fn lock(&self, info: LockInfo) -> Result<Box<dyn LockGuard>, StateError>;

    /// Removes a lock left behind by a run that died, if its ID matches.
    fn force_unlock(&self, id: &str) -> Result<(), StateError>;
}

/// Takes the lock, retrying with backoff while another run holds it, for up to `timeout`
/// (`-lock-timeout`; zero means one try).
pub fn lock_with_timeout(
    backend: &dyn StateBackend,
    info: LockInfo,
    timeout: Duration,
) -> Result<Box<dyn LockGuard>, StateError> {
    // A timeout beyond what the clock can represent waits as long as it takes.
    let deadline = Instant::now().checked_add(timeout);
    let mut delay = Duration::from_millis(100);
    loop {
        let may_wait = deadline.is_none_or(|deadline| Instant::now() + delay <= deadline);
        match backend.lock(info.clone()) {
            Err(StateError::Locked { .. }) if may_wait => {
                std::thread::sleep(delay);
                delay = (delay * 2).min(Duration::from_secs(2));
            }
            other => return other,
        }
    }
}
