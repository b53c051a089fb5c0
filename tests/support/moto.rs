//! One moto server (IAM/STS double) per test binary.
//!
//! `AIU_MOTO_ENDPOINT`, when set, names a running server to use. Otherwise moto is installed
//! into `.venv/moto` by `scripts/moto.sh install` (cached) and `moto_server` is started here on a
//! free loopback port. Statics are never dropped, so a small watcher shell process kills the
//! server when this test process exits. Nothing is skipped: a server that cannot be installed
//! or started fails the test with the reason.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use super::repo_root;

/// moto's default account.
pub const ACCOUNT: &str = "123456789012";

pub fn venv() -> PathBuf {
    match std::env::var_os("AIU_MOTO_VENV") {
        Some(v) if !v.is_empty() => PathBuf::from(v),
        _ => repo_root().join(".venv/moto"),
    }
}

/// The endpoint (`http://127.0.0.1:PORT`) of the server shared by this test binary.
pub fn endpoint() -> &'static str {
    static ENDPOINT: OnceLock<String> = OnceLock::new();
    ENDPOINT.get_or_init(|| {
        if let Ok(e) = std::env::var("AIU_MOTO_ENDPOINT") {
            if !e.trim().is_empty() {
                return e.trim().trim_end_matches('/').to_owned();
            }
        }
        install();
        start()
    })
}

fn install() {
    let out = Command::new(repo_root().join("scripts/moto.sh"))
        .arg("install")
        .stdin(Stdio::null())
        .output()
        .expect("run scripts/moto.sh install");
    assert!(
        out.status.success(),
        "moto could not be installed (scripts/moto.sh install failed; the moto end-to-end tests need python3 and network access to PyPI once):\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind a free port")
        .local_addr()
        .unwrap()
        .port()
}

/// True when `GET /moto-api/` answers with an HTTP status line.
fn answers(port: u16) -> bool {
    let Ok(mut s) =
        TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(300))
    else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(b"GET /moto-api/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut buf = [0u8; 12];
    matches!(s.read(&mut buf), Ok(n) if n > 0 && buf.starts_with(b"HTTP/"))
}

fn start() -> String {
    let server = venv().join("bin/moto_server");
    assert!(
        server.exists(),
        "{} missing after scripts/moto.sh install",
        server.display()
    );
    let log_dir = repo_root().join("target/moto");
    std::fs::create_dir_all(&log_dir).unwrap();
    let mut last_log = PathBuf::new();
    for _attempt in 0..3 {
        let port = free_port();
        let log_path = log_dir.join(format!("e2e-moto-{port}.log"));
        let log = std::fs::File::create(&log_path).unwrap();
        let mut child = Command::new(&server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", server.display()));
        let pid = child.id();
        // Kill the server when this test process ends (statics are never dropped).
        let me = std::process::id();
        let _ = Command::new("sh")
            .arg("-c")
            .arg(format!("(while kill -0 {me} 2>/dev/null; do sleep 1; done; kill {pid} 2>/dev/null) >/dev/null 2>&1 &"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                break; // died (port taken?): try another port
            }
            if answers(port) {
                // The Child handle is forgotten on purpose: the watcher stops the server.
                std::mem::forget(child);
                return format!("http://127.0.0.1:{port}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = child.kill();
        let _ = child.wait();
        last_log = log_path;
    }
    let log = std::fs::read_to_string(&last_log).unwrap_or_default();
    panic!(
        "moto_server did not start in 3 attempts; last log {}:\n{log}",
        last_log.display()
    );
}

/// A name unique to this process and call, safe as an IAM name (letters, digits, `-`).
pub fn unique(base: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{base}-{}-{:x}-{}",
        std::process::id() % 100_000,
        nanos % 0xfffff,
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Python's `list_all(call, key, **kw)`: every entry of an IAM list call, read as one page.
/// moto's pagination markers name the next entry; when a concurrent test deletes that entry
/// between two pages, moto silently ends the listing early. One page of up to 1,000 entries
/// (IAM's maximum) has no marker, and a truncated answer fails loudly instead.
pub const PY_LIST_ALL: &str = "def list_all(call, key, **kw):\n    \
    r = call(MaxItems=1000, **kw)\n    \
    assert not r.get('IsTruncated'), 'more than 1000 entries in moto: list_all reads one page'\n    \
    return r[key]\n";

/// Runs a Python snippet with boto3 from moto's venv, with `iam` bound to a client of the
/// moto server, and returns its stdout. Panics with stderr when the script fails. This is the
/// "separate client" that changes things out of band.
#[track_caller]
pub fn boto(script: &str) -> String {
    let prelude = format!(
        "import boto3, json, sys\n\
         iam = boto3.client('iam', endpoint_url={ep:?}, region_name='us-east-1', aws_access_key_id='testing', aws_secret_access_key='testing')\n\
         {LIST_ALL}",
        ep = endpoint(),
        LIST_ALL = PY_LIST_ALL
    );
    let out = Command::new(venv().join("bin/python"))
        .arg("-c")
        .arg(format!("{prelude}{script}"))
        .env_remove("AWS_PROFILE")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .stdin(Stdio::null())
        .output()
        .expect("run python from the moto venv");
    assert!(
        out.status.success(),
        "boto3 script failed:\n{script}\n--- stderr\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Names of every role in the moto account.
pub fn role_names() -> Vec<String> {
    let out = boto(
        "names = []\n\
         names += [r['RoleName'] for r in list_all(iam.list_roles, 'Roles')]\n\
         print(json.dumps(names))",
    );
    serde_json::from_str(out.trim()).expect("role names as JSON")
}

/// Names of every customer managed policy in the moto account.
pub fn policy_names() -> Vec<String> {
    let out = boto(
        "names = []\n\
         names += [p['PolicyName'] for p in list_all(iam.list_policies, 'Policies', Scope='Local')]\n\
         print(json.dumps(names))",
    );
    serde_json::from_str(out.trim()).expect("policy names as JSON")
}

/// Names of every instance profile in the moto account.
pub fn instance_profile_names() -> Vec<String> {
    let out = boto(
        "names = []\n\
         names += [p['InstanceProfileName'] for p in list_all(iam.list_instance_profiles, 'InstanceProfiles')]\n\
         print(json.dumps(names))",
    );
    serde_json::from_str(out.trim()).expect("instance profile names as JSON")
}

/// Runs `aiu ARGS` in `w` against the shared moto server.
pub fn aiu(w: &super::Work, args: &[&str]) -> super::Out {
    w.aiu(args).aws(endpoint()).run()
}

/// `aiu apply -auto-approve ARGS` against moto; asserts it completed.
#[track_caller]
pub fn apply(w: &super::Work, args: &[&str]) -> super::Out {
    let mut all = vec!["apply", "-auto-approve"];
    all.extend_from_slice(args);
    let out = aiu(w, &all);
    out.assert_code(0);
    out.assert_stdout_contains("Apply complete! Resources: ");
    out
}
