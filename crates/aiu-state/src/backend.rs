//! The local backend: one state file per workspace, replaced atomically, with a `.backup` of
//! the previous version, lineage/serial checks and an advisory lock file.

use crate::error::StateError;
use crate::lock::{LockGuard, LockInfo, StateBackend};
use crate::model::State;
use std::ffi::OsString;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// `<config_dir>/state/<workspace>.aiustate.json`.
pub fn default_state_path(config_dir: impl AsRef<Path>, workspace: &str) -> PathBuf {
    config_dir
        .as_ref()
        .join("state")
        .join(format!("{workspace}.aiustate.json"))
}

/// A state file on the local file system.
#[derive(Clone, Debug)]
pub struct LocalBackend {
    path: PathBuf,
    /// What this backend wrote last: when the file still holds exactly those bytes, the next
    /// write need not parse it (apply writes many times; a parse costs as much as a write).
    last_write: Arc<Mutex<Option<LastWrite>>>,
}

impl PartialEq for LocalBackend {
    fn eq(&self, other: &Self) -> bool {
        self.path == other.path
    }
}

impl Eq for LocalBackend {}

/// The file a write replaces: its bytes, lineage and serial, and the state parsed from it when
/// it is not this backend's own last write.
#[derive(Debug)]
struct LastWrite {
    bytes: Vec<u8>,
    lineage: String,
    serial: u64,
    /// `None` for this backend's own last write: its bytes are exactly what serialising the
    /// same content gives, so content is compared on bytes and no copy of the state is kept.
    parsed: Option<State>,
}

/// The part of a state file's text after its header (`format_version` .. `serial`): the
/// resources, outputs and pending operations. Two states with equal content serialise to
/// equal bodies.
fn body(bytes: &[u8]) -> Option<&[u8]> {
    let start = bytes
        .windows(BODY_START.len())
        .position(|w| w == BODY_START)?;
    Some(&bytes[start..])
}

/// Where the body of a state file written by [`State::to_json_string`] starts.
const BODY_START: &[u8] = b"\n  \"resources\":";

/// Holds the advisory lock on a state file; released when dropped (or when the process
/// exits, even if it crashes).
#[derive(Debug)]
pub struct StateLock {
    file: fs::File,
    lock_path: PathBuf,
    info: LockInfo,
}

impl StateLock {
    pub fn lock_path(&self) -> &Path {
        &self.lock_path
    }
}

impl LockGuard for StateLock {
    fn info(&self) -> &LockInfo {
        &self.info
    }
}

impl Drop for StateLock {
    fn drop(&mut self) {
        // Clear the holder's description first, so a stale file names nobody.
        let _ = self.file.set_len(0);
        let _ = fs4::FileExt::unlock(&self.file);
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s: OsString = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

impl LocalBackend {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        LocalBackend {
            path: path.into(),
            last_write: Arc::default(),
        }
    }

    /// The state file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `<path>.backup`: the previous version, written before every replace.
    pub fn backup_path(&self) -> PathBuf {
        with_suffix(&self.path, ".backup")
    }

    /// `<path>.lock`: the file locked by [`LocalBackend::lock`].
    pub fn lock_path(&self) -> PathBuf {
        with_suffix(&self.path, ".lock")
    }

    fn source_name(&self) -> String {
        self.path.display().to_string()
    }

    /// Takes the advisory lock on the state file without waiting, and records `info` in the
    /// lock file so a second run can name the holder. The OS releases the lock if the process
    /// dies, so a local lock is never left behind.
    pub fn lock_with_info(&self, mut info: LockInfo) -> Result<StateLock, StateError> {
        let lock_path = self.lock_path();
        fs::create_dir_all(parent_dir(&lock_path)).map_err(|e| {
            StateError::io(&lock_path, "create the directory of the lock file of", e)
        })?;
        let mut options = fs::OpenOptions::new();
        options.create(true).truncate(false).read(true).write(true);
        // Like the state itself: it names the user and host, for the owner's eyes only.
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options
            .open(&lock_path)
            .map_err(|e| StateError::io(&lock_path, "open the lock file of", e))?;
        match fs4::FileExt::try_lock(&file) {
            Ok(()) => {
                info.path = self.source_name();
                let text = serde_json::to_string_pretty(&info).unwrap_or_default();
                file.set_len(0)
                    .map_err(|e| StateError::io(&lock_path, "truncate", e))?;
                file.write_all(text.as_bytes())
                    .map_err(|e| StateError::io(&lock_path, "write", e))?;
                file.sync_all()
                    .map_err(|e| StateError::io(&lock_path, "sync", e))?;
                Ok(StateLock {
                    file,
                    lock_path,
                    info,
                })
            }
            Err(fs4::TryLockError::WouldBlock) => {
                // The holder writes its description right after taking the lock: a run that
                // starts at the same moment may find the file still empty, so look again for
                // a moment before saying the holder is unknown.
                let read_holder = || {
                    fs::read_to_string(&lock_path)
                        .ok()
                        .and_then(|t| serde_json::from_str::<LockInfo>(&t).ok())
                };
                let mut holder = read_holder();
                for _ in 0..20 {
                    if holder.is_some() {
                        break;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(25));
                    holder = read_holder();
                }
                Err(StateError::Locked {
                    what: format!("state file {}", self.source_name()),
                    holder,
                })
            }
            Err(fs4::TryLockError::Error(e)) => Err(StateError::io(&lock_path, "lock", e)),
        }
    }

    /// [`LocalBackend::lock_with_info`] for an unnamed operation.
    pub fn lock(&self) -> Result<StateLock, StateError> {
        self.lock_with_info(LockInfo::new("unknown"))
    }

    /// Reads the raw bytes, `None` if the file does not exist.
    fn read_raw(&self) -> Result<Option<Vec<u8>>, StateError> {
        match fs::read(&self.path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StateError::io(&self.path, "read", e)),
        }
    }

    fn parse(&self, bytes: &[u8]) -> Result<State, StateError> {
        let text = std::str::from_utf8(bytes).map_err(|e| StateError::Malformed {
            source_name: self.source_name(),
            message: format!("the file is not UTF-8 text ({e})"),
            location: String::new(),
        })?;
        State::from_json_str(text, &self.source_name())
    }

    /// The stored state, or `None` if the file does not exist. When it cannot be read, the
    /// error names the backup if there is one (not for a file of a newer aiu: upgrading aiu
    /// is the fix there, and the backup is older).
    pub fn read(&self) -> Result<Option<State>, StateError> {
        match self.read_raw()? {
            None => Ok(None),
            Some(bytes) => self.parse(&bytes).map(Some).map_err(|cause| {
                let backup = self.backup_path();
                if backup.is_file() && !matches!(cause, StateError::NewerVersion { .. }) {
                    StateError::UnreadableWithBackup {
                        path: self.path.clone(),
                        backup,
                        cause: Box::new(cause),
                    }
                } else {
                    cause
                }
            }),
        }
    }

    /// Stores `state`, replacing the file atomically.
    ///
    /// Refuses when the state is inconsistent, when the file on disk cannot be read (it is
    /// never overwritten), belongs to another lineage, or has a higher serial. When the
    /// content differs from the file, `state.serial` is bumped past the file's serial
    /// (a first write gets at least serial 1); when nothing changed, nothing is written.
    /// The previous file becomes [`LocalBackend::backup_path`] first (a hard link, or a copy).
    pub fn write(&self, state: &mut State) -> Result<(), StateError> {
        state.normalize();
        state.check_integrity_of(&format!("being written to {}", self.source_name()))?;

        let mut last_write = self
            .last_write
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let previous = match self.read_raw()? {
            None => None,
            Some(bytes) => match last_write.take().filter(|w| w.bytes == bytes) {
                Some(ours) => Some(ours),
                None => {
                    let state = self
                        .parse(&bytes)
                        .map_err(|cause| StateError::CorruptOnDisk {
                            path: self.path.clone(),
                            backup: self.backup_path(),
                            cause: Box::new(cause),
                        })?;
                    Some(LastWrite {
                        bytes,
                        lineage: state.lineage.clone(),
                        serial: state.serial,
                        parsed: Some(state),
                    })
                }
            },
        };

        // The serial this write gets if its content differs from the file's.
        let new_serial = match &previous {
            None => state.serial.max(1),
            Some(on_disk) => {
                if on_disk.lineage != state.lineage {
                    return Err(StateError::LineageMismatch {
                        path: self.path.clone(),
                        on_disk: on_disk.lineage.clone(),
                        ours: state.lineage.clone(),
                    });
                }
                if on_disk.serial > state.serial {
                    return Err(StateError::StaleSerial {
                        path: self.path.clone(),
                        on_disk: on_disk.serial,
                        ours: state.serial,
                    });
                }
                if state.serial == on_disk.serial {
                    on_disk.serial + 1
                } else {
                    state.serial
                }
            }
        };

        let old_serial = state.serial;
        let old_version = std::mem::replace(&mut state.aiu_version, crate::AIU_VERSION.to_owned());
        state.serial = new_serial;
        let bytes = state.to_json_string().into_bytes();
        if let Some(on_disk) = &previous {
            let same = match &on_disk.parsed {
                Some(parsed) => parsed.same_content_as(state),
                None => body(&on_disk.bytes).is_some_and(|b| body(&bytes) == Some(b)),
            };
            if same && old_serial == on_disk.serial {
                // Nothing changed: nothing is written and the state keeps its serial.
                state.serial = old_serial;
                state.aiu_version = old_version;
                *last_write = previous;
                return Ok(());
            }
        }
        let result = (|| {
            if let Some(previous) = &previous {
                back_up(&self.path, &self.backup_path(), &previous.bytes)?;
            }
            write_atomically(&self.path, &bytes, "write")
        })();
        match &result {
            Ok(()) => {
                *last_write = Some(LastWrite {
                    bytes,
                    lineage: state.lineage.clone(),
                    serial: state.serial,
                    parsed: None,
                })
            }
            Err(_) => {
                state.serial = old_serial;
                state.aiu_version = old_version;
            }
        }
        result
    }
}

/// Makes `backup` hold `bytes`, the current content of `path`: a hard link to the file (no
/// copy; aiu replaces the state file by a rename, never changes it in place), or a copy where
/// links are not possible. Atomic either way.
fn back_up(path: &Path, backup: &Path, bytes: &[u8]) -> Result<(), StateError> {
    // One fixed name: a link left by a crash between the two steps is replaced next time.
    let link = with_suffix(backup, ".link");
    let _ = fs::remove_file(&link);
    if fs::hard_link(path, &link).is_ok() {
        fs::rename(&link, backup).map_err(|e| {
            let _ = fs::remove_file(&link);
            StateError::io(backup, "replace", e)
        })?;
        return sync_dir(parent_dir(backup))
            .map_err(|e| StateError::io(backup, "sync the directory of", e));
    }
    write_atomically(backup, bytes, "back up")
}

/// Writes `bytes` to a temporary file next to `path`, syncs it, renames it over `path` and
/// syncs the directory, so `path` holds either the old or the new content, never a mix.
fn write_atomically(path: &Path, bytes: &[u8], action: &'static str) -> Result<(), StateError> {
    let dir = parent_dir(path);
    fs::create_dir_all(dir).map_err(|e| StateError::io(path, "create the directory of", e))?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{file_name}."))
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| StateError::io(path, "create a temporary file next to", e))?;
    tmp.write_all(bytes)
        .map_err(|e| StateError::io(path, action, e))?;
    tmp.as_file()
        .sync_all()
        .map_err(|e| StateError::io(path, "sync the temporary file of", e))?;
    tmp.persist(path)
        .map_err(|e| StateError::io(path, "replace", e.error))?;
    sync_dir(dir).map_err(|e| StateError::io(path, "sync the directory of", e))?;
    Ok(())
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    fs::File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> std::io::Result<()> {
    Ok(())
}

impl StateBackend for LocalBackend {
    fn describe(&self) -> String {
        format!("local state file {}", self.path.display())
    }

    fn read(&self) -> Result<Option<State>, StateError> {
        LocalBackend::read(self)
    }

    fn write(&self, state: &mut State) -> Result<(), StateError> {
        LocalBackend::write(self, state)
    }

    fn lock(&self, info: LockInfo) -> Result<Box<dyn LockGuard>, StateError> {
        Ok(Box::new(self.lock_with_info(info)?))
    }

    fn force_unlock(&self, id: &str) -> Result<(), StateError> {
        let holder = fs::read_to_string(self.lock_path())
            .ok()
            .and_then(|t| serde_json::from_str::<LockInfo>(&t).ok());
        let reason = match holder {
            Some(h) if h.id == id => format!(
                "the lock {id} is held by a running process ({}); a local lock is released by the operating system when that process exits, so stop that process instead",
                h.who
            ),
            Some(h) => format!("the current lock has ID {}, not {id}", h.id),
            None => "it is not locked (local locks are released automatically when the process that held them exits)".to_owned(),
        };
        Err(StateError::Unlock {
            what: self.describe(),
            reason,
        })
    }
}
