//! Errors from reading, checking and writing state. Every message names the file (or the
//! source the text came from) and says what the user can do about it.

use std::path::PathBuf;

/// Why state could not be read, checked or written.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The file could not be read, written, renamed, synced or locked.
    #[error("could not {action} state file {path}: {source}; check that the path exists and is accessible")]
    Io {
        path: PathBuf,
        /// What was being done, e.g. "read", "write the temporary file for", "back up".
        action: &'static str,
        #[source]
        source: std::io::Error,
    },

    /// The text is not JSON at all (or is truncated).
    #[error("state file {source_name} is not valid JSON: {message} at line {line}, column {column}; fix the file or restore it from a backup")]
    Syntax {
        source_name: String,
        line: usize,
        column: usize,
        message: String,
    },

    /// The JSON does not have the shape of a state file: a missing field, a wrong type, an
    /// unknown field.
    #[error("state file {source_name} is malformed: {message}{location}; fix the file or restore it from a backup")]
    Malformed {
        source_name: String,
        message: String,
        location: String,
    },

    /// The state file cannot be read, and the version before its last write is at hand.
    #[error("{cause}\nThe version before the last write is kept in {backup}: `aiu state list -state={backup}` lists it, and copying it over {path} restores it.")]
    UnreadableWithBackup {
        path: PathBuf,
        backup: PathBuf,
        cause: Box<StateError>,
    },

    /// Written by a newer aiu with a format this build cannot read.
    #[error("state file {source_name} has format_version {found} and was written by a newer aiu{written_by}; this aiu reads format versions up to {supported}; upgrade aiu")]
    NewerVersion {
        source_name: String,
        found: u64,
        supported: u64,
        written_by: String,
    },

    /// A format version that never existed (or whose reader was removed).
    #[error("state file {source_name} has unknown format_version {found}; this aiu reads format versions 1 to {supported}; the file may be damaged or from another tool")]
    UnknownVersion {
        source_name: String,
        found: String,
        supported: u64,
    },

    /// The state parsed but is inconsistent: duplicate addresses, unusable dependency
    /// addresses, mixed key kinds, ...
    #[error("state {source_name} is inconsistent:\n  - {}\nfix the file by hand or restore it from a backup", problems.join("\n  - "))]
    Integrity {
        source_name: String,
        problems: Vec<String>,
    },

    /// Refusing to overwrite a state file that tracks different infrastructure.
    #[error("state file {path} belongs to lineage {on_disk}, this state is lineage {ours}; refusing to overwrite; point aiu at the right state file or move the existing one away")]
    LineageMismatch {
        path: PathBuf,
        on_disk: String,
        ours: String,
    },

    /// The file on disk is newer than the state being written: someone else wrote it since
    /// it was read.
    #[error("state file {path} has serial {on_disk}, newer than the serial {ours} being written; another run changed it since it was read; refusing to overwrite; run the command again to start from the current state")]
    StaleSerial {
        path: PathBuf,
        on_disk: u64,
        ours: u64,
    },

    /// The file on disk cannot be read; it is never overwritten.
    #[error("{cause}\nrefusing to overwrite {path} because it could not be read; fix the file or move it away (the previous good version, if any, is at {backup})")]
    CorruptOnDisk {
        path: PathBuf,
        backup: PathBuf,
        cause: Box<StateError>,
    },

    /// Another run holds the lock on the state.
    #[error("Error acquiring the state lock: {what} is locked by another aiu run.\n  {}\nWait for that run to finish (or use -lock-timeout=30s to wait). If it died and left the lock behind, remove it with `aiu force-unlock <ID>`.", holder.as_ref().map_or_else(|| "The holder did not record who it is.".to_owned(), |h| format!("Lock Info:\n  {h}")))]
    Locked {
        what: String,
        holder: Option<crate::lock::LockInfo>,
    },

    /// `force-unlock` with an ID that does not match the current lock.
    #[error("cannot unlock {what}: {reason}")]
    Unlock { what: String, reason: String },

    /// A request to a remote state store (S3) failed: the network, credentials, permissions,
    /// a missing bucket... `what` names the call and the object (`s3:GetObject on s3://b/k`).
    #[error("{what} failed: {message}")]
    Remote { what: String, message: String },

    /// Another run wrote the remote state after this run read it (the conditional write was
    /// refused); nothing was overwritten.
    #[error("another aiu run wrote the state at {what} after this run read it; nothing was overwritten; run plan again to start from the current state")]
    ConcurrentWrite { what: String },

    /// The remote state object cannot be read; it is never overwritten.
    #[error("{cause}\nrefusing to overwrite {what} because it could not be read; fix the object, or restore an earlier version of it (the bucket's versioning keeps them)")]
    CorruptRemote {
        what: String,
        cause: Box<StateError>,
    },
}

impl StateError {
    pub(crate) fn io(
        path: impl Into<PathBuf>,
        action: &'static str,
        source: std::io::Error,
    ) -> Self {
        StateError::Io {
            path: path.into(),
            action,
            source,
        }
    }

    /// Builds a `Syntax` or `Malformed` error from a serde_json error, keeping its position.
    pub(crate) fn from_json(source_name: &str, err: serde_json::Error) -> Self {
        use serde_json::error::Category;
        // serde_json appends " at line L column C" to its Display; keep the bare message.
        let full = err.to_string();
        let message = match full.rfind(" at line ") {
            Some(i) => full[..i].to_owned(),
            None => full,
        };
        match err.classify() {
            Category::Syntax | Category::Eof | Category::Io => StateError::Syntax {
                source_name: source_name.to_owned(),
                line: err.line(),
                column: err.column(),
                message,
            },
            Category::Data => StateError::Malformed {
                source_name: source_name.to_owned(),
                message,
                location: if err.line() > 0 {
                    format!(" at line {}, column {}", err.line(), err.column())
                } else {
                    String::new()
                },
            },
        }
    }
}
