//! Local backend tests: atomic writes with backups, serial and lineage rules, refusals.

use aiu_model::InstanceAddress;
use aiu_state::{default_state_path, LocalBackend, State, StateError};
use serde_json::json;
use std::path::Path;

fn addr(s: &str) -> InstanceAddress {
    s.parse().unwrap()
}

fn with_role(mut s: State, name: &str) -> State {
    s.set_instance(
        &addr(&format!("aws_iam_role.{name}")),
        json!({"name": name}).as_object().unwrap().clone(),
        vec![],
    );
    s
}

fn tmp_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn default_path_is_under_config_dir() {
    assert_eq!(
        default_state_path("/home/u/.config/aiu", "default"),
        Path::new("/home/u/.config/aiu/state/default.aiustate.json")
    );
}

#[test]
fn read_of_missing_file_is_none_and_write_creates_parent_dirs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a/b/dev.aiustate.json");
    let backend = LocalBackend::new(&path);
    assert!(backend.read().unwrap().is_none());

    let mut s = with_role(State::new(), "r");
    backend.write(&mut s).unwrap();
    assert_eq!(s.serial, 1, "a first write gets serial 1");
    let back = backend.read().unwrap().unwrap();
    assert_eq!(back, s);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), s.to_json_string());
    assert!(
        !backend.backup_path().exists(),
        "nothing to back up on the first write"
    );
    assert_eq!(
        tmp_files(path.parent().unwrap()),
        ["dev.aiustate.json"],
        "no temp files left behind"
    );
}

#[test]
fn changed_content_bumps_serial_and_leaves_a_backup() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.json");
    let backend = LocalBackend::new(&path);

    let mut s = with_role(State::new(), "a");
    backend.write(&mut s).unwrap();
    let first_text = std::fs::read_to_string(&path).unwrap();

    // Unchanged content: no write, no bump, no backup.
    backend.write(&mut s).unwrap();
    assert_eq!(s.serial, 1);
    assert!(!backend.backup_path().exists());

    let mut s = with_role(s, "b");
    backend.write(&mut s).unwrap();
    assert_eq!(s.serial, 2);
    assert_eq!(
        std::fs::read_to_string(backend.backup_path()).unwrap(),
        first_text
    );
    assert_eq!(backend.read().unwrap().unwrap(), s);
    assert_eq!(tmp_files(dir.path()), ["s.json", "s.json.backup"]);

    // A state read back, changed and written again continues the sequence.
    let mut again = backend.read().unwrap().unwrap();
    again.remove_instance(&addr("aws_iam_role.a"));
    backend.write(&mut again).unwrap();
    assert_eq!(again.serial, 3);
}

#[cfg(unix)]
#[test]
fn state_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let backend = LocalBackend::new(dir.path().join("s.json"));
    let mut s = with_role(State::new(), "a");
    backend.write(&mut s).unwrap();
    let _lock = backend.lock().unwrap();
    for file in [backend.path().to_path_buf(), backend.lock_path()] {
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "{}: mode {mode:o}", file.display());
    }
}

#[test]
fn lineage_mismatch_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let backend = LocalBackend::new(dir.path().join("s.json"));
    let mut mine = with_role(State::new(), "a");
    backend.write(&mut mine).unwrap();
    let before = std::fs::read_to_string(backend.path()).unwrap();

    let mut other = with_role(State::new(), "b");
    other.serial = 10;
    let err = backend.write(&mut other).unwrap_err();
    assert!(matches!(err, StateError::LineageMismatch { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains(&format!(
            "belongs to lineage {}, this state is lineage {}",
            mine.lineage, other.lineage
        )),
        "{msg}"
    );
    assert!(
        msg.contains("refusing to overwrite") && msg.contains("s.json"),
        "{msg}"
    );
    assert_eq!(std::fs::read_to_string(backend.path()).unwrap(), before);
    assert_eq!(other.serial, 10);
}

#[test]
fn lower_serial_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let backend = LocalBackend::new(dir.path().join("s.json"));
    let mut s = with_role(State::new(), "a");
    backend.write(&mut s).unwrap();
    let stale = s.clone();
    let mut s = with_role(s, "b");
    backend.write(&mut s).unwrap();
    assert_eq!(s.serial, 2);

    let mut stale = with_role(stale, "c");
    let err = backend.write(&mut stale).unwrap_err();
    assert!(
        matches!(
            err,
            StateError::StaleSerial {
                on_disk: 2,
                ours: 1,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("serial 2"), "{err}");
    assert_eq!(backend.read().unwrap().unwrap(), s);
}

#[test]
fn higher_serial_from_caller_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let backend = LocalBackend::new(dir.path().join("s.json"));
    let mut s = with_role(State::new(), "a");
    s.serial = 5;
    backend.write(&mut s).unwrap();
    assert_eq!(s.serial, 5);
    let mut s = with_role(s, "b");
    s.serial = 9;
    backend.write(&mut s).unwrap();
    assert_eq!(backend.read().unwrap().unwrap().serial, 9);
}

#[test]
fn corrupt_file_is_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.json");
    std::fs::write(&path, "{\"format_version\": 1, \"lin").unwrap();
    let backend = LocalBackend::new(&path);

    let err = backend.read().unwrap_err();
    assert!(matches!(err, StateError::Syntax { .. }), "{err:?}");

    let mut s = with_role(State::new(), "a");
    let err = backend.write(&mut s).unwrap_err();
    assert!(matches!(err, StateError::CorruptOnDisk { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("fix the file or move it away"), "{msg}");
    assert!(msg.contains("s.json.backup"), "{msg}");
    assert!(msg.contains("not valid JSON"), "{msg}");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "{\"format_version\": 1, \"lin"
    );
    assert!(!backend.backup_path().exists());

    std::fs::write(&path, [0xff, 0xfe, 0x00]).unwrap();
    let err = backend.write(&mut s).unwrap_err();
    assert!(err.to_string().contains("not UTF-8"), "{err}");
}

#[test]
fn an_unreadable_file_with_a_backup_says_where_the_previous_version_is() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.json");
    let backend = LocalBackend::new(&path);
    let mut s = with_role(State::new(), "a");
    backend.write(&mut s).unwrap();
    let mut s = with_role(s, "b");
    backend.write(&mut s).unwrap();
    assert!(backend.backup_path().is_file());
    std::fs::write(&path, "{\"format_version\": 1, \"lin").unwrap();

    let err = backend.read().unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("not valid JSON"), "{msg}");
    assert!(
        msg.contains("s.json.backup: `aiu state list -state="),
        "{msg}"
    );
    assert!(msg.contains("copying it over"), "{msg}");
}

#[test]
fn newer_file_on_disk_is_not_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.json");
    let mut s = with_role(State::new(), "a");
    let mut v: serde_json::Value = serde_json::from_str(&s.to_json_string()).unwrap();
    v["format_version"] = json!(7);
    std::fs::write(&path, v.to_string()).unwrap();
    let err = LocalBackend::new(&path).write(&mut s).unwrap_err();
    assert!(err.to_string().contains("upgrade aiu"), "{err}");
    assert!(err.to_string().contains("refusing to overwrite"), "{err}");
}

#[test]
fn inconsistent_state_is_not_written() {
    let dir = tempfile::tempdir().unwrap();
    let backend = LocalBackend::new(dir.path().join("s.json"));
    let mut s = with_role(State::new(), "a");
    s.resources[0].instances[0]
        .dependencies
        .push("nonsense!".into());
    let err = backend.write(&mut s).unwrap_err();
    assert!(matches!(err, StateError::Integrity { .. }), "{err:?}");
    assert!(!backend.path().exists());
}

#[test]
fn lock_is_exclusive_and_released_on_drop() {
    let dir = tempfile::tempdir().unwrap();
    let backend = LocalBackend::new(dir.path().join("nested/s.json"));
    let guard = backend
        .lock_with_info(aiu_state::LockInfo::new("apply"))
        .unwrap();
    assert_eq!(guard.lock_path(), backend.lock_path());
    let err = backend.lock().unwrap_err();
    assert!(matches!(err, StateError::Locked { .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains("is locked by another aiu run"),
        "{message}"
    );
    assert!(
        message.contains("Operation: apply"),
        "the holder is named: {message}"
    );
    assert!(
        message.contains(&format!("pid {}", std::process::id())),
        "{message}"
    );
    drop(guard);
    backend.lock().unwrap();
}

#[test]
fn lock_timeout_gives_up_after_the_timeout_and_names_the_holder() {
    use aiu_state::{lock_with_timeout, LockInfo, StateBackend};
    let dir = tempfile::tempdir().unwrap();
    let backend = LocalBackend::new(dir.path().join("s.json"));
    let _held = backend.lock_with_info(LockInfo::new("apply")).unwrap();
    let err = lock_with_timeout(
        &backend as &dyn StateBackend,
        LockInfo::new("plan"),
        std::time::Duration::from_millis(300),
    )
    .err()
    .unwrap();
    assert!(err.to_string().contains("Operation: apply"), "{err}");
}

/// Another holder releases the lock after 200 ms while `lock_with_timeout(timeout)` waits.
fn lock_released_meanwhile(
    timeout: std::time::Duration,
) -> Result<Box<dyn aiu_state::LockGuard>, aiu_state::StateError> {
    use aiu_state::{lock_with_timeout, LockInfo, StateBackend};
    let dir = tempfile::tempdir().unwrap();
    let backend = LocalBackend::new(dir.path().join("s.json"));
    let held = backend.lock_with_info(LockInfo::new("apply")).unwrap();
    let releaser = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(200));
        drop(held);
    });
    let got = lock_with_timeout(
        &backend as &dyn StateBackend,
        LockInfo::new("plan"),
        timeout,
    );
    releaser.join().unwrap();
    got
}

#[test]
fn a_lock_can_be_taken_again_once_released_within_the_timeout() {
    let got = lock_released_meanwhile(std::time::Duration::from_secs(5));
    assert!(got.is_ok(), "{:?}", got.err());
}

#[test]
fn a_timeout_beyond_the_clock_waits_until_the_lock_is_free() {
    let got = lock_released_meanwhile(std::time::Duration::MAX);
    assert!(got.is_ok(), "{:?}", got.err());
}

#[test]
fn a_file_replaced_by_someone_else_since_our_last_write_is_read_and_checked_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.json");
    let backend = LocalBackend::new(&path);
    let mut mine = with_role(State::new(), "a");
    backend.write(&mut mine).unwrap();

    // Another writer (a second backend on the same file, e.g. another process) replaces it.
    let mut theirs = with_role(State::new(), "b");
    theirs.serial = 5;
    std::fs::remove_file(&path).unwrap();
    LocalBackend::new(&path).write(&mut theirs).unwrap();
    let theirs_text = std::fs::read_to_string(&path).unwrap();

    let mut mine = with_role(mine, "c");
    let err = backend.write(&mut mine).unwrap_err();
    assert!(
        matches!(err, StateError::LineageMismatch { .. }),
        "what this backend wrote last must not stand in for the file: {err:?}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), theirs_text);
}

#[test]
fn a_file_edited_in_place_since_our_last_write_is_read_and_checked_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.json");
    let backend = LocalBackend::new(&path);
    let mut s = with_role(State::new(), "a");
    backend.write(&mut s).unwrap();

    // Someone raises the serial by editing the file in place (same inode).
    let edited = std::fs::read_to_string(&path)
        .unwrap()
        .replace("\"serial\": 1,", "\"serial\": 7,");
    assert_ne!(
        edited,
        std::fs::read_to_string(&path).unwrap(),
        "the edit changes the file"
    );
    std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(&path)
        .unwrap();
    std::fs::write(&path, &edited).unwrap();

    let mut s = with_role(s, "b");
    let err = backend.write(&mut s).unwrap_err();
    assert!(
        matches!(
            err,
            StateError::StaleSerial {
                on_disk: 7,
                ours: 1,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn every_write_backs_up_the_version_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let backend = LocalBackend::new(dir.path().join("s.json"));
    let mut s = State::new();
    let mut texts = Vec::new();
    for name in ["a", "b", "c", "d"] {
        s = with_role(s, name);
        backend.write(&mut s).unwrap();
        texts.push(std::fs::read_to_string(backend.path()).unwrap());
        if texts.len() > 1 {
            assert_eq!(
                std::fs::read_to_string(backend.backup_path()).unwrap(),
                texts[texts.len() - 2]
            );
        }
    }
    assert_eq!(
        tmp_files(dir.path()),
        ["s.json", "s.json.backup"],
        "no link or temp files left behind"
    );
    // The backup is a file of its own: changing the state again leaves it as it was.
    s = with_role(s, "e");
    backend.write(&mut s).unwrap();
    assert_eq!(
        std::fs::read_to_string(backend.backup_path()).unwrap(),
        texts[3]
    );
}

#[test]
fn the_backup_is_copied_where_it_cannot_be_linked() {
    let dir = tempfile::tempdir().unwrap();
    let backend = LocalBackend::new(dir.path().join("s.json"));
    let mut s = with_role(State::new(), "a");
    backend.write(&mut s).unwrap();
    let first = std::fs::read_to_string(backend.path()).unwrap();
    // A directory where the link would go: neither removed nor replaced by a link.
    std::fs::create_dir(dir.path().join("s.json.backup.link")).unwrap();

    let mut s = with_role(s, "b");
    backend.write(&mut s).unwrap();
    assert_eq!(
        std::fs::read_to_string(backend.backup_path()).unwrap(),
        first
    );
    assert_eq!(backend.read().unwrap().unwrap(), s);
}
