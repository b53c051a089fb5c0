//! Safety end-to-end tests of the real `aiu` binary against moto (IAM, STS and S3 on one port):
//! concurrent applies and the state lock (local and S3), saved plans and their staleness
//! checks, a kill -9 crash test, refusal of bad state files on S3 (and foreign lineages on both
//! backends), migration local <-> S3, `state pull/push`, and workspaces on S3.
//!
//! Every test uses names unique to it (`unique(..)`), so they share moto's account safely. The
//! configuration is `tests/fixtures/safety/many`: `n` roles, `n` policies and `n` attachments
//! named under `prefix` (both set in `aiu.tfvars`).

mod support;

use std::fs::File;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value as Json};
use support::moto::{aiu, endpoint, unique, venv, PY_LIST_ALL};
use support::{Out, Work};

const FIXTURE: &str = "safety/many";

/// A scratch copy of the fixture with `prefix` and `n` set in `aiu.tfvars`.
fn work(prefix: &str, n: usize) -> Work {
    let w = Work::fixture(FIXTURE);
    w.write("aiu.tfvars", &format!("prefix = \"{prefix}\"\nn = {n}\n"));
    w
}

#[track_caller]
fn apply_ok(w: &Work, args: &[&str]) -> Out {
    let mut all = vec!["apply", "-auto-approve"];
    all.extend_from_slice(args);
    let out = aiu(w, &all);
    out.assert_code(0);
    out
}

/// `aiu plan -detailed-exitcode` must say "no changes".
#[track_caller]
fn plan_clean(w: &Work) -> Out {
    let out = aiu(w, &["plan", "-detailed-exitcode"]);
    out.assert_code(0);
    out.assert_stdout_contains("No changes.");
    out
}

// ---------------------------------------------------------------------------------------------
// boto3 (IAM + S3) helpers

/// The Python server behind [`py`]: one process per test binary (starting Python with boto3
/// costs about a second on a loaded machine), reading one JSON-encoded script per line and
/// answering one JSON line `{ok, out, err}`. It ends when this process does (stdin closes).
const PY_SERVER: &str = r#"
import boto3, botocore.config, contextlib, io, json, sys, traceback
kw = dict(endpoint_url=sys.argv[1], region_name='us-east-1', aws_access_key_id='testing', aws_secret_access_key='testing')
iam = boto3.client('iam', **kw)
s3 = boto3.client('s3', config=botocore.config.Config(s3={'addressing_style': 'path'}), **kw)
for line in sys.stdin:
    buf = io.StringIO()
    try:
        with contextlib.redirect_stdout(buf):
            exec(json.loads(line), {'iam': iam, 's3': s3, 'json': json, 'sys': sys})
        resp = {'ok': True, 'out': buf.getvalue()}
    except Exception:
        resp = {'ok': False, 'out': buf.getvalue(), 'err': traceback.format_exc()}
    sys.__stdout__.write(json.dumps(resp) + '\n')
    sys.__stdout__.flush()
"#;

struct PyServer {
    stdin: std::process::ChildStdin,
    stdout: std::io::BufReader<std::process::ChildStdout>,
}

/// Runs a Python snippet with `iam` and `s3` (path style) bound to boto3 clients of the moto
/// server, `json` imported and `list_all` defined; returns what it printed, panics with the traceback on failure.
/// This is the separate client that changes things out of band and checks what moto holds.
#[track_caller]
fn py(script: &str) -> String {
    use std::io::{BufRead, Write};
    static SERVER: std::sync::OnceLock<std::sync::Mutex<PyServer>> = std::sync::OnceLock::new();
    let server = SERVER.get_or_init(|| {
        let mut child = Command::new(venv().join("bin/python"))
            .arg("-c")
            .arg(PY_SERVER)
            .arg(endpoint())
            .env_remove("AWS_PROFILE")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start python from the moto venv");
        let stdin = child.stdin.take().unwrap();
        let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        std::mem::forget(child); // ends with this process (its stdin closes)
        std::sync::Mutex::new(PyServer { stdin, stdout })
    });
    let response = {
        let mut s = server.lock().unwrap_or_else(|p| p.into_inner());
        let mut request = serde_json::to_string(&format!("{PY_LIST_ALL}{script}")).unwrap();
        request.push('\n');
        s.stdin
            .write_all(request.as_bytes())
            .expect("send a script to the python server");
        s.stdin.flush().unwrap();
        let mut line = String::new();
        s.stdout
            .read_line(&mut line)
            .expect("read the python server's answer");
        line
    };
    let r: Json = serde_json::from_str(&response)
        .unwrap_or_else(|e| panic!("python server answered {response:?}: {e}"));
    assert!(
        r["ok"] == json!(true),
        "boto3 script failed:\n{script}\n--- output\n{}\n--- error\n{}",
        r["out"].as_str().unwrap_or(""),
        r["err"].as_str().unwrap_or("")
    );
    r["out"].as_str().unwrap_or("").to_owned()
}

/// What moto holds under `prefix`: role names, policy names, attachments as `role|policy`, and
/// the number of versions of each policy.
fn live(prefix: &str) -> Json {
    let out = py(&format!(
        "p = {pfx:?} + '-'\n\
         roles = sorted(r['RoleName'] for r in list_all(iam.list_roles, 'Roles') if r['RoleName'].startswith(p))\n\
         pols = [x for x in list_all(iam.list_policies, 'Policies', Scope='Local') if x['PolicyName'].startswith(p)]\n\
         att = []\n\
         for r in roles:\n    att += [r + '|' + a['PolicyName'] for a in iam.list_attached_role_policies(RoleName=r)['AttachedPolicies']]\n\
         print(json.dumps({{'roles': roles, 'policies': sorted(x['PolicyName'] for x in pols), 'attachments': sorted(att)}}))",
        pfx = prefix
    ));
    serde_json::from_str(out.trim()).expect("live objects as JSON")
}

/// What moto should hold for `n` instances of the fixture under `prefix`.
fn expected(prefix: &str, n: usize) -> Json {
    let mut roles: Vec<String> = (0..n).map(|i| format!("{prefix}-r{i}")).collect();
    let mut policies: Vec<String> = (0..n).map(|i| format!("{prefix}-p{i}")).collect();
    let mut attachments: Vec<String> = (0..n)
        .map(|i| format!("{prefix}-r{i}|{prefix}-p{i}"))
        .collect();
    roles.sort();
    policies.sort();
    attachments.sort();
    json!({ "roles": roles, "policies": policies, "attachments": attachments })
}

#[track_caller]
fn assert_live(prefix: &str, n: usize) {
    assert_eq!(
        live(prefix),
        expected(prefix, n),
        "moto does not hold exactly the configured objects of {prefix}"
    );
}

/// Descriptions of the roles `<prefix>-r0..n`.
fn role_descriptions(prefix: &str, n: usize) -> Vec<String> {
    let out = py(&format!(
        "print(json.dumps([iam.get_role(RoleName={prefix:?} + '-r' + str(i))['Role'].get('Description', '') for i in range({n})]))"
    ));
    serde_json::from_str(out.trim()).unwrap()
}

/// A new bucket with versioning enabled.
fn bucket() -> String {
    let b = unique("safety").to_lowercase();
    py(&format!(
        "s3.create_bucket(Bucket={b:?})\n\
         s3.put_bucket_versioning(Bucket={b:?}, VersioningConfiguration={{'Status': 'Enabled'}})"
    ));
    b
}

/// The `terraform { backend "s3" }` block for `bucket`/`key` on moto.
fn backend_tf(bucket: &str, key: &str) -> String {
    format!(
        "terraform {{\n  backend \"s3\" {{\n    bucket         = \"{bucket}\"\n    key            = \"{key}\"\n    region         = \"us-east-1\"\n    endpoint       = \"{ep}\"\n    use_path_style = true\n  }}\n}}\n",
        ep = endpoint()
    )
}

/// A scratch copy of the fixture using the S3 backend at `bucket`/`key`, initialised.
fn s3_work(prefix: &str, n: usize, bucket: &str, key: &str) -> Work {
    let w = work(prefix, n);
    w.write("backend.tf", &backend_tf(bucket, key));
    let out = aiu(&w, &["init"]);
    out.assert_code(0);
    out.assert_stdout_contains("successfully initialized");
    w
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Vec<u8> {
    let t = text.trim();
    (0..t.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&t[i..i + 2], 16).unwrap())
        .collect()
}

/// The object's bytes, `None` when it does not exist.
fn s3_get(bucket: &str, key: &str) -> Option<Vec<u8>> {
    let out = py(&format!(
        "try:\n    print(s3.get_object(Bucket={bucket:?}, Key={key:?})['Body'].read().hex())\n\
         except s3.exceptions.NoSuchKey:\n    print('MISSING')"
    ));
    if out.trim() == "MISSING" {
        None
    } else {
        Some(unhex(&out))
    }
}

fn s3_put(bucket: &str, key: &str, bytes: &[u8]) {
    py(&format!(
        "s3.put_object(Bucket={bucket:?}, Key={key:?}, Body=bytes.fromhex({:?}))",
        hex(bytes)
    ));
}

/// Every key in the bucket.
fn s3_keys(bucket: &str) -> Vec<String> {
    let out = py(&format!(
        "r = s3.list_objects_v2(Bucket={bucket:?})\nprint(json.dumps(sorted(o['Key'] for o in r.get('Contents', []))))"
    ));
    serde_json::from_str(out.trim()).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Background runs of the binary (for concurrency and kill -9)

/// A running `aiu` whose stdout/stderr go to files (so nothing blocks on a full pipe).
struct Bg {
    child: Child,
    stdout: PathBuf,
    stderr: PathBuf,
    started: Instant,
}

impl Bg {
    fn stderr_text(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    fn stdout_text(&self) -> String {
        std::fs::read_to_string(&self.stdout).unwrap_or_default()
    }

    /// Waits until stderr contains `needle` (panics after `timeout`, or if the process ends
    /// first without printing it).
    fn wait_for_stderr(&mut self, needle: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            if self.stderr_text().contains(needle) {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                if self.stderr_text().contains(needle) {
                    return;
                }
                panic!(
                    "aiu ended ({status}) before printing {needle:?}:\n{}\n{}",
                    self.stdout_text(),
                    self.stderr_text()
                );
            }
            assert!(
                Instant::now() < deadline,
                "aiu did not print {needle:?} within {timeout:?}:\n{}",
                self.stderr_text()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn wait(mut self) -> (ExitStatus, Duration, String, String) {
        let status = self.child.wait().expect("wait for aiu");
        let elapsed = self.started.elapsed();
        (status, elapsed, self.stdout_text(), self.stderr_text())
    }
}

/// Starts `aiu ARGS` in `w` with the same clean environment as [`support::Run`], against moto.
fn spawn(w: &Work, args: &[&str], tag: &str) -> Bg {
    let logs = w.join(".runs");
    std::fs::create_dir_all(&logs).unwrap();
    let stdout = logs.join(format!("{tag}.stdout"));
    let stderr = logs.join(format!("{tag}.stderr"));
    let mut cmd = support::aiu_command(w.path());
    cmd.env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL", endpoint())
        .args(args)
        .stdout(File::create(&stdout).unwrap())
        .stderr(File::create(&stderr).unwrap());
    let started = Instant::now();
    let child = cmd.spawn().expect("spawn the aiu binary");
    Bg {
        child,
        stdout,
        stderr,
        started,
    }
}

// ---------------------------------------------------------------------------------------------
// 1. Concurrent applies on the same state

/// The lock holder named in a refused run's stderr.
#[track_caller]
fn assert_names_holder(stderr: &str, holder_pid: u32) {
    for needle in [
        "is locked by another aiu run",
        "Lock Info:",
        "ID: ",
        "Operation: apply",
        "Who: ",
        &format!("(pid {holder_pid})"),
    ] {
        assert!(
            stderr.contains(needle),
            "the refused run should say {needle:?}:\n{stderr}"
        );
    }
}

/// Two `aiu apply -auto-approve -parallelism=1` of 36 resources started at the same moment on
/// the same state: exactly one proceeds and creates everything once, the other exits 1 naming
/// the holder (by its pid).
fn concurrent_applies(w: &Work, prefix: &str, n: usize) {
    let args = ["apply", "-auto-approve", "-parallelism=1"];
    let a = spawn(w, &args, "a");
    let b = spawn(w, &args, "b");
    let (a_pid, b_pid) = (a.child.id(), b.child.id());
    let (a_status, _, a_out, a_err) = a.wait();
    let (b_status, _, b_out, b_err) = b.wait();
    let codes = (a_status.code(), b_status.code());
    let (winner_out, loser_err, winner_pid) = match codes {
        (Some(0), Some(1)) => (a_out, b_err, a_pid),
        (Some(1), Some(0)) => (b_out, a_err, b_pid),
        _ => panic!("expected one run to succeed and one to exit 1, got {codes:?}\n--- a\n{a_out}\n{a_err}\n--- b\n{b_out}\n{b_err}"),
    };
    assert!(
        winner_out.contains(&format!(
            "Apply complete! Resources: {} added, 0 changed, 0 destroyed.",
            3 * n
        )),
        "the winner should create everything:\n{winner_out}"
    );
    assert_names_holder(&loser_err, winner_pid);
    assert!(
        !loser_err.contains("Creating..."),
        "the refused run must not change anything:\n{loser_err}"
    );
    assert_live(prefix, n);
    plan_clean(w);
}

/// With `-lock-timeout=60s` a second apply started while the first holds the lock waits for
/// it, then succeeds with nothing left to do.
fn waiting_apply(w: &Work, prefix: &str, n: usize) {
    let mut a = spawn(w, &["apply", "-auto-approve", "-parallelism=1"], "first");
    a.wait_for_stderr("Creating...", Duration::from_secs(60));
    let b = spawn(
        w,
        &["apply", "-auto-approve", "-lock-timeout=60s"],
        "second",
    );
    let (a_status, _, a_out, a_err) = a.wait();
    let a_done = Instant::now();
    let (b_status, _, b_out, b_err) = b.wait();
    assert_eq!(a_status.code(), Some(0), "first apply:\n{a_out}\n{a_err}");
    assert_eq!(
        b_status.code(),
        Some(0),
        "the waiting apply should succeed:\n{b_out}\n{b_err}"
    );
    assert!(a_done.elapsed() < Duration::from_secs(60));
    assert!(
        a_out.contains(&format!("Resources: {} added", 3 * n)),
        "{a_out}"
    );
    assert!(
        b_out.contains("Apply complete! Resources: 0 added, 0 changed, 0 destroyed."),
        "the waiting apply should find everything done:\n{b_out}\n{b_err}"
    );
    assert!(!b_err.contains("Creating..."), "{b_err}");
    assert_live(prefix, n);
    plan_clean(w);
}

#[test]
fn concurrent_applies_local_one_proceeds_other_names_holder() {
    let prefix = unique("lk");
    let w = work(&prefix, 12);
    concurrent_applies(&w, &prefix, 12);
    let lock = w.join("state/default.aiustate.json.lock");
    // The OS lock is gone with the process: the lock file may remain, and carries no holder.
    if lock.exists() {
        let text = std::fs::read_to_string(&lock).unwrap();
        assert!(
            !text.contains("\"ID\""),
            "lock info left behind after a successful run: {text}"
        );
    }
}

#[test]
fn lock_timeout_local_waits_then_succeeds() {
    let prefix = unique("lw");
    let w = work(&prefix, 12);
    waiting_apply(&w, &prefix, 12);
}

#[test]
fn concurrent_applies_s3_one_proceeds_other_names_holder() {
    let prefix = unique("lks");
    let b = bucket();
    let key = "team/iam.aiustate.json";
    let w = s3_work(&prefix, 12, &b, key);
    concurrent_applies(&w, &prefix, 12);
    assert!(
        !w.join("state").exists(),
        "the S3 backend must not write local state"
    );
    let keys = s3_keys(&b);
    assert_eq!(
        keys,
        vec![key.to_owned()],
        "the lock object must be gone after both runs"
    );
}

#[test]
fn lock_timeout_s3_waits_then_succeeds() {
    let prefix = unique("lws");
    let b = bucket();
    let key = "iam.aiustate.json";
    let w = s3_work(&prefix, 12, &b, key);
    waiting_apply(&w, &prefix, 12);
    assert_eq!(s3_keys(&b), vec![key.to_owned()]);
}

// ---------------------------------------------------------------------------------------------
// 2. Saved plans

fn state_bytes(w: &Work) -> Vec<u8> {
    std::fs::read(w.state_path()).expect("state file")
}

#[track_caller]
fn assert_stale(out: &Out, why: &str) {
    out.assert_code(1);
    out.assert_stderr_contains("Saved plan is stale");
    out.assert_stderr_contains(why);
    out.assert_stderr_contains("Nothing was changed");
    out.assert_not_contains("Modifying...");
    out.assert_not_contains("Creating...");
    out.assert_not_contains("Destroying...");
}

#[test]
fn saved_plan_applies_without_prompt_then_plan_is_clean() {
    let prefix = unique("sp");
    let w = work(&prefix, 2);
    let out = aiu(&w, &["plan", "-out=p0"]);
    out.assert_code(0);
    out.assert_stdout_contains("Plan: 6 to add, 0 to change, 0 to destroy.");
    out.assert_stderr_contains("aiu apply p0");
    assert!(
        live(&prefix) == expected(&prefix, 0),
        "plan -out must not change anything"
    );

    let show = aiu(&w, &["show", "p0"]);
    show.assert_code(0);
    show.assert_stdout_contains("# aws_iam_role.r[0] will be created");
    show.assert_stdout_contains("# aws_iam_role_policy_attachment.a[1] will be created");
    show.assert_stdout_contains("Plan: 6 to add, 0 to change, 0 to destroy.");
    let show_json = aiu(&w, &["show", "-json", "p0"]);
    show_json.assert_code(0);
    let j: Json =
        serde_json::from_str(&show_json.stdout).expect("show -json of a saved plan is JSON");
    let changes = j["resource_changes"].as_array().expect("resource_changes");
    assert_eq!(changes.len(), 6, "{j:#}");
    for c in changes {
        assert_eq!(c["change"]["actions"], json!(["create"]), "{c:#}");
    }

    // stdin is /dev/null: a saved plan is applied without asking.
    let applied = aiu(&w, &["apply", "p0"]);
    applied.assert_code(0);
    applied.assert_stdout_contains("Apply complete! Resources: 6 added, 0 changed, 0 destroyed.");
    assert_live(&prefix, 2);
    plan_clean(&w);

    // The same plan again: the state moved on (it is what the plan made).
    let before = state_bytes(&w);
    assert_stale(
        &aiu(&w, &["apply", "p0"]),
        "the state changed since the plan was made",
    );
    assert_eq!(state_bytes(&w), before);
    assert_live(&prefix, 2);

    // A saved destroy plan applies, and removes everything.
    let d = aiu(&w, &["plan", "-destroy", "-out=d"]);
    d.assert_code(0);
    d.assert_stdout_contains("Plan: 0 to add, 0 to change, 6 to destroy.");
    let show = aiu(&w, &["show", "d"]);
    show.assert_code(0);
    show.assert_stdout_contains("# aws_iam_role.r[0] will be destroyed");
    show.assert_stdout_contains("Plan: 0 to add, 0 to change, 6 to destroy.");
    let destroyed = aiu(&w, &["apply", "d"]);
    destroyed.assert_code(0);
    destroyed.assert_stdout_contains("Resources: 0 added, 0 changed, 6 destroyed.");
    assert_live(&prefix, 0);
    let list = aiu(&w, &["state", "list"]);
    list.assert_code(0);
    assert_eq!(
        list.stdout.trim(),
        "",
        "state should be empty after the destroy plan"
    );
}

#[test]
fn saved_plan_refused_after_another_apply_changed_state() {
    let prefix = unique("sps");
    let w = work(&prefix, 2);
    apply_ok(&w, &[]);
    let p = aiu(&w, &["plan", "-out=p1", "-var", "description=one"]);
    p.assert_code(0);
    p.assert_stdout_contains("Plan: 0 to add, 2 to change, 0 to destroy.");
    // Someone else applies in between.
    apply_ok(&w, &["-var", "description=two"])
        .assert_stdout_contains("Resources: 0 added, 2 changed, 0 destroyed.");
    let before = state_bytes(&w);
    assert_stale(
        &aiu(&w, &["apply", "p1"]),
        "the state changed since the plan was made",
    );
    assert_eq!(
        state_bytes(&w),
        before,
        "a refused saved plan must not write state"
    );
    assert_eq!(
        role_descriptions(&prefix, 2),
        ["two", "two"],
        "a refused saved plan must not change anything in AWS"
    );
    assert_live(&prefix, 2);
}

#[test]
fn saved_plan_refused_after_out_of_band_change() {
    let prefix = unique("spo");
    let w = work(&prefix, 2);
    apply_ok(&w, &[]);
    let p = aiu(&w, &["plan", "-out=p2", "-var", "description=three"]);
    p.assert_code(0);
    p.assert_stdout_contains("Plan: 0 to add, 2 to change, 0 to destroy.");
    py(&format!(
        "iam.update_role(RoleName='{prefix}-r1', Description='changed outside')"
    ));
    let before = state_bytes(&w);
    let out = aiu(&w, &["apply", "p2"]);
    assert_stale(&out, "these objects changed in AWS since the plan was made");
    out.assert_stderr_contains("aws_iam_role.r[1]");
    out.assert_not_contains("aws_iam_role.r[0]");
    assert_eq!(state_bytes(&w), before);
    assert_eq!(
        role_descriptions(&prefix, 2),
        ["aiu safety test", "changed outside"]
    );

    // An out-of-band change to an object the plan does not change but read: a new default
    // version of a policy.
    let p = aiu(&w, &["plan", "-out=p3", "-var", "description=three"]);
    p.assert_code(0);
    p.assert_stdout_contains("Plan: 0 to add, 2 to change, 0 to destroy.");
    py(&format!(
        "arn = 'arn:aws:iam::123456789012:policy/{prefix}-p0'\n\
         doc = json.dumps({{'Version': '2012-10-17', 'Statement': [{{'Effect': 'Allow', 'Action': 's3:*', 'Resource': '*'}}]}})\n\
         iam.create_policy_version(PolicyArn=arn, PolicyDocument=doc, SetAsDefault=True)"
    ));
    let out = aiu(&w, &["apply", "p3"]);
    assert_stale(&out, "these objects changed in AWS since the plan was made");
    out.assert_stderr_contains("aws_iam_policy.p[0]");
    assert_eq!(state_bytes(&w), before);
    assert_eq!(
        role_descriptions(&prefix, 2),
        ["aiu safety test", "changed outside"]
    );
}

#[test]
fn saved_plan_refused_after_config_edit_and_accepted_when_reverted() {
    let prefix = unique("spc");
    let w = work(&prefix, 2);
    apply_ok(&w, &[]);
    let p = aiu(&w, &["plan", "-out=p4", "-var", "description=four"]);
    p.assert_code(0);
    let show = aiu(&w, &["show", "p4"]);
    show.assert_code(0);
    show.assert_stdout_contains("# aws_iam_role.r[0] will be updated in-place");
    show.assert_stdout_contains("~ description");
    show.assert_stdout_contains("\"four\"");
    show.assert_stdout_contains("Plan: 0 to add, 2 to change, 0 to destroy.");
    let show_json = aiu(&w, &["show", "-json", "p4"]);
    show_json.assert_code(0);
    let j: Json = serde_json::from_str(&show_json.stdout).expect("JSON");
    let updates: Vec<&str> = j["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["change"]["actions"] == json!(["update"]))
        .map(|c| c["address"].as_str().unwrap())
        .collect();
    assert_eq!(updates, ["aws_iam_role.r[0]", "aws_iam_role.r[1]"], "{j:#}");

    let original = w.read("main.tf");
    w.write(
        "main.tf",
        &format!("{original}\noutput \"extra\" {{\n  value = var.prefix\n}}\n"),
    );
    let before = state_bytes(&w);
    assert_stale(
        &aiu(&w, &["apply", "p4"]),
        "the configuration files changed since the plan was made",
    );
    assert_eq!(state_bytes(&w), before);
    assert_eq!(
        role_descriptions(&prefix, 2),
        ["aiu safety test", "aiu safety test"]
    );

    // Back to the reviewed configuration: the plan is exactly applicable again.
    w.write("main.tf", &original);
    let out = aiu(&w, &["apply", "p4"]);
    out.assert_code(0);
    out.assert_stdout_contains("Apply complete! Resources: 0 added, 2 changed, 0 destroyed.");
    assert_eq!(role_descriptions(&prefix, 2), ["four", "four"]);
    let clean = aiu(
        &w,
        &["plan", "-detailed-exitcode", "-var", "description=four"],
    );
    clean.assert_code(0);
}

// ---------------------------------------------------------------------------------------------
// 3. Crash test: kill -9 at random moments of an apply

/// A 64-bit LCG (Knuth's MMIX constants): reproducible delays without a dependency.
struct Lcg(u64);

impl Lcg {
    fn next_u32(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 32) as u32
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        f64::from(self.next_u32()) / 4_294_967_296.0
    }
}

const CRASH_N: usize = 20; // 20 roles + 20 policies + 20 attachments = 60 resources
const CRASH_TRIALS: usize = 20;
const CRASH_APPLY: [&str; 3] = ["apply", "-auto-approve", "-parallelism=10"];

/// What one trial saw.
struct Trial {
    delay: Duration,
    /// The apply had already ended when the kill came.
    finished_first: bool,
    /// When it ended, then.
    finished_at: Option<Duration>,
    /// Creates completed before the kill (from its progress lines).
    created_before_kill: usize,
    /// Pending records in the state the killed run left.
    pending_after_kill: usize,
    /// Lines "Recovering an interrupted apply" of the following apply.
    recovered: usize,
}

macro_rules! ensure {
    ($cond:expr, $($fmt:tt)+) => {
        if !$cond {
            return Err(format!($($fmt)+));
        }
    };
}

fn run_ok(w: &Work, args: &[&str], what: &str) -> Result<Out, String> {
    let out = aiu(w, args);
    ensure!(
        out.code == 0,
        "{what}: `aiu {}` exited {}:\n{}",
        args.join(" "),
        out.code,
        out.snapshot()
    );
    Ok(out)
}

/// The state file (if any) parses as JSON and through `aiu state list`; returns the number of
/// pending records and the listed addresses.
fn check_state_file(w: &Work, what: &str) -> Result<(usize, Vec<String>), String> {
    let pending = match std::fs::read(w.state_path()) {
        Ok(bytes) => {
            let j: Json = serde_json::from_slice(&bytes)
                .map_err(|e| format!("{what}: the state file is not JSON: {e}"))?;
            j["pending"].as_array().map_or(0, Vec::len)
        }
        Err(_) => 0,
    };
    let list = run_ok(w, &["state", "list"], what)?;
    Ok((pending, list.stdout.lines().map(str::to_owned).collect()))
}

fn crash_trial(i: usize, prefix: &str, delay: Duration) -> Result<Trial, String> {
    let w = work(prefix, CRASH_N);
    let mut bg = spawn(&w, &CRASH_APPLY, "killed");
    let deadline = bg.started + delay;
    let mut finished_at = None;
    while Instant::now() < deadline {
        if bg.child.try_wait().map_err(|e| e.to_string())?.is_some() {
            finished_at = Some(bg.started.elapsed());
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let finished_first = finished_at.is_some();
    // std's Child::kill sends SIGKILL.
    let _ = bg.child.kill();
    let (status, _, _, killed_err) = bg.wait();
    ensure!(
        finished_first || status.code().is_none() || status.code() == Some(0),
        "trial {i}: killed apply exited {status}: {killed_err}"
    );
    let created_before_kill = killed_err.matches("Creation complete").count();

    let (pending_after_kill, _) =
        check_state_file(&w, &format!("trial {i}, right after the kill"))?;

    let again = run_ok(
        &w,
        &["apply", "-auto-approve"],
        &format!("trial {i}: apply after the kill"),
    )?;
    let recovered = again
        .stderr
        .matches("Recovering an interrupted apply")
        .count();
    ensure!(
        again.stdout.contains("Apply complete!"),
        "trial {i}: {}",
        again.snapshot()
    );
    let plan = aiu(&w, &["plan", "-detailed-exitcode"]);
    ensure!(
        plan.code == 0,
        "trial {i}: plan after the recovery apply exited {} (want 0):\n{}",
        plan.code,
        plan.snapshot()
    );
    let got = live(prefix);
    ensure!(
        got == expected(prefix, CRASH_N),
        "trial {i}: moto does not hold exactly the configured objects:\n{got:#}"
    );
    let (pending, addresses) =
        check_state_file(&w, &format!("trial {i}, after the recovery apply"))?;
    ensure!(
        pending == 0,
        "trial {i}: {pending} pending records left after a successful apply"
    );
    ensure!(
        addresses.len() == 3 * CRASH_N,
        "trial {i}: state lists {} addresses, want {}: {addresses:?}",
        addresses.len(),
        3 * CRASH_N
    );

    let destroy = run_ok(
        &w,
        &["destroy", "-auto-approve", "-parallelism=10"],
        &format!("trial {i}: destroy"),
    )?;
    ensure!(
        destroy.stdout.contains(&format!(
            "Resources: 0 added, 0 changed, {} destroyed.",
            3 * CRASH_N
        )),
        "trial {i}: {}",
        destroy.snapshot()
    );
    let left = live(prefix);
    ensure!(
        left == expected(prefix, 0),
        "trial {i}: left after destroy:\n{left:#}"
    );
    let (_, addresses) = check_state_file(&w, &format!("trial {i}, after destroy"))?;
    ensure!(
        addresses.is_empty(),
        "trial {i}: state still lists {addresses:?} after destroy"
    );
    Ok(Trial {
        delay,
        finished_first,
        finished_at,
        created_before_kill,
        pending_after_kill,
        recovered,
    })
}

#[test]
fn crash_test_kill_9_during_apply_then_apply_recovers() {
    let seed: u64 = std::env::var("AIU_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5afe_0006);
    let mut rng = Lcg(seed);
    let base = unique("cr");
    let started = Instant::now();

    // Measure an uninterrupted apply of the same configuration first.
    let cal_prefix = format!("{base}-cal");
    let cal = work(&cal_prefix, CRASH_N);
    let bg = spawn(&cal, &CRASH_APPLY, "calibration");
    let (status, mut apply_time, out, err) = bg.wait();
    assert_eq!(status.code(), Some(0), "calibration apply:\n{out}\n{err}");
    assert_live(&cal_prefix, CRASH_N);
    let destroyed = aiu(&cal, &["destroy", "-auto-approve", "-parallelism=10"]);
    destroyed.assert_code(0);
    assert_live(&cal_prefix, 0);

    // Stratified: trial i is killed at a random moment of the i-th twentieth of the apply.
    let calibration = apply_time;
    let mut results = Vec::new();
    for i in 0..CRASH_TRIALS {
        let frac = (i as f64 + rng.unit()) / CRASH_TRIALS as f64;
        let delay = apply_time.mul_f64(frac);
        let prefix = format!("{base}-t{i}");
        let result = crash_trial(i, &prefix, delay);
        match &result {
            Ok(t) => eprintln!(
                "crash trial {i:2}: kill after {:5} ms{} | {:2} creates done before the kill, {:2} pending records, {:2} recovered: passed",
                t.delay.as_millis(),
                if t.finished_first { " (apply had finished)" } else { "" },
                t.created_before_kill,
                t.pending_after_kill,
                t.recovered
            ),
            Err(e) => eprintln!("crash trial {i:2}: kill after {} ms: FAILED: {e}", delay.as_millis()),
        }
        // The calibration may have run on a busier machine: when an apply ends before its kill,
        // later delays are spread over that (shorter) duration instead.
        if let Ok(Trial {
            finished_at: Some(f),
            ..
        }) = &result
        {
            if *f < apply_time {
                eprintln!(
                    "crash test: an apply took {} ms; later delays are spread over that",
                    f.as_millis()
                );
                apply_time = *f;
            }
        }
        results.push(result);
    }
    let passed: Vec<&Trial> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    let mid_apply = passed
        .iter()
        .filter(|t| !t.finished_first && t.created_before_kill > 0)
        .count();
    let with_pending = passed.iter().filter(|t| t.pending_after_kill > 0).count();
    eprintln!(
        "crash test: {} trials run, {} passed; seed {seed:#x}; uninterrupted apply of {} resources took {} ms (calibration), {} ms (shortest seen); \
         {mid_apply} kills landed mid-create, {with_pending} left pending records; total {:.1}s",
        results.len(),
        passed.len(),
        3 * CRASH_N,
        calibration.as_millis(),
        apply_time.as_millis(),
        started.elapsed().as_secs_f64()
    );
    let failures: Vec<String> = results.into_iter().filter_map(Result::err).collect();
    assert!(
        failures.is_empty(),
        "{} of {CRASH_TRIALS} crash trials failed:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    assert!(mid_apply >= CRASH_TRIALS / 4, "too few kills landed while creates were running ({mid_apply}): the delays do not cover the apply");
}

// ---------------------------------------------------------------------------------------------
// 4. Bad state files: corrupt, truncated, future-version, foreign lineage
//
// The local backend's corrupt / truncated / non-UTF-8 / newer-format / inconsistent files are
// covered offline by tests/cli_offline.rs (`*_state_is_refused_and_kept`). Here: the same on S3,
// and foreign lineages (local and S3), which need a live run.

/// The object's bytes, how many versions the bucket keeps of it, and every key in the bucket,
/// in one boto3 call.
fn s3_snapshot(bucket: &str, key: &str) -> (Option<Vec<u8>>, usize, Vec<String>) {
    let out = py(&format!(
        "try:\n    body = s3.get_object(Bucket={bucket:?}, Key={key:?})['Body'].read().hex()\n\
         except s3.exceptions.NoSuchKey:\n    body = None\n\
         v = s3.list_object_versions(Bucket={bucket:?}).get('Versions', [])\n\
         keys = sorted(o['Key'] for o in s3.list_objects_v2(Bucket={bucket:?}).get('Contents', []))\n\
         print(json.dumps([body, len([x for x in v if x['Key'] == {key:?}]), keys]))"
    ));
    let j: Json = serde_json::from_str(out.trim()).unwrap();
    (
        j[0].as_str().map(unhex),
        j[1].as_u64().unwrap() as usize,
        j[2].as_array()
            .unwrap()
            .iter()
            .map(|k| k.as_str().unwrap().to_owned())
            .collect(),
    )
}

/// A copy of `state` (JSON text) that belongs to another lineage and tracks nothing.
fn foreign_state(state: &[u8], serial: u64) -> Vec<u8> {
    let mut j: Json = serde_json::from_slice(state).expect("state JSON");
    j["lineage"] = json!("0f0f0f0f-aaaa-4bbb-8ccc-123456789abc");
    j["serial"] = json!(serial);
    j["resources"] = json!([]);
    j["outputs"] = json!({});
    j["pending"] = json!([]);
    let mut text = serde_json::to_string_pretty(&j).unwrap();
    text.push('\n');
    text.into_bytes()
}

#[test]
fn bad_state_objects_on_s3_are_refused_and_left_untouched() {
    let prefix = unique("bs");
    let b = bucket();
    let key = "bad/iam.aiustate.json";
    let w = s3_work(&prefix, 1, &b, key);
    apply_ok(&w, &[]);
    let (good, _, _) = s3_snapshot(&b, key);
    let good = good.expect("state object after apply");
    let good_text = String::from_utf8(good.clone()).unwrap();
    let newer = good_text.replacen("\"format_version\": 1", "\"format_version\": 99", 1);
    assert_ne!(newer, good_text);
    let url = format!("s3://{b}/{key}");
    let variants: [(&str, Vec<u8>, &[&str]); 5] = [
        (
            "corrupt",
            b"{ this is not a state \x01".to_vec(),
            &["not valid JSON"],
        ),
        (
            "truncated",
            good[..good.len() / 2].to_vec(),
            &["not valid JSON"],
        ),
        ("not UTF-8", b"\xff\xfe\x00garbage".to_vec(), &["UTF-8"]),
        (
            "newer format",
            newer.into_bytes(),
            &["format_version 99", "upgrade aiu"],
        ),
        ("wrong shape", b"[1, 2, 3]\n".to_vec(), &["malformed"]),
    ];
    for (what, bytes, expect) in &variants {
        s3_put(&b, key, bytes);
        let before = s3_snapshot(&b, key);
        assert_eq!(before.0.as_deref(), Some(&bytes[..]));
        for args in [
            &["plan"][..],
            &["plan", "-detailed-exitcode"],
            &["apply", "-auto-approve"],
            &["state", "list"],
            &["state", "pull"],
            &["show"],
        ] {
            let out = aiu(&w, args);
            let ctx = format!("{what} state object, `aiu {}`", args.join(" "));
            assert_eq!(out.code, 1, "{ctx}: exit code\n{}", out.snapshot());
            assert!(
                out.stderr.contains(&url),
                "{ctx}: the error should name {url}:\n{}",
                out.snapshot()
            );
            for e in *expect {
                assert!(
                    out.stderr.contains(e),
                    "{ctx}: the error should say {e:?}:\n{}",
                    out.snapshot()
                );
            }
            out.assert_not_contains("Creating...");
            assert_eq!(
                s3_snapshot(&b, key),
                before,
                "{ctx}: the object, its versions or the bucket's keys changed"
            );
        }
        // state push does not overwrite an object it cannot read, even with -force.
        w.write("good.json", &good_text);
        for args in [
            &["state", "push", "good.json"][..],
            &["state", "push", "-force", "good.json"],
        ] {
            let out = aiu(&w, args);
            assert_eq!(
                out.code,
                1,
                "{what}: `aiu {}` should refuse:\n{}",
                args.join(" "),
                out.snapshot()
            );
            assert!(out.stderr.contains(&url), "{}", out.snapshot());
            assert_eq!(
                s3_snapshot(&b, key),
                before,
                "{what}: `aiu {}` changed the bucket",
                args.join(" ")
            );
        }
    }
    // Restoring the good object (what bucket versioning is for) makes everything work again.
    s3_put(&b, key, &good);
    plan_clean(&w);
    assert_live(&prefix, 1);
}

/// An out-of-band writer puts a state of another lineage while an apply runs: the apply's next
/// conditional write is refused, the foreign object is kept, and the apply exits 1.
#[test]
fn foreign_lineage_written_to_s3_during_apply_is_not_overwritten() {
    let prefix = unique("fls");
    let b = bucket();
    let key = "swap/iam.aiustate.json";
    let w = s3_work(&prefix, 12, &b, key);
    let mut bg = spawn(&w, &["apply", "-auto-approve", "-parallelism=1"], "swapped");
    bg.wait_for_stderr("Creation complete", Duration::from_secs(60));
    let (current, _, _) = s3_snapshot(&b, key);
    let foreign = foreign_state(&current.expect("the apply has written state"), 1000);
    s3_put(&b, key, &foreign);
    let after_put = s3_snapshot(&b, key);
    let (status, _, out, err) = bg.wait();
    assert_eq!(
        status.code(),
        Some(1),
        "the apply must fail once its state was replaced:\n{out}\n{err}"
    );
    assert!(
        err.contains("another aiu run wrote the state at") || err.contains("belongs to lineage"),
        "the error should say the state was replaced by someone else:\n{err}"
    );
    assert!(
        err.contains("nothing was overwritten") || err.contains("refusing to overwrite"),
        "{err}"
    );
    let after = s3_snapshot(&b, key);
    assert_eq!(
        after.0.as_deref(),
        Some(&foreign[..]),
        "the foreign state must be left as it was"
    );
    assert_eq!(
        after.1, after_put.1,
        "no new version may be written over the foreign state"
    );
    assert_eq!(
        after.2,
        vec![key.to_owned()],
        "the lock object must be released"
    );
}

/// Saved plans and `state push` refuse a state of another lineage; the state is untouched.
fn foreign_lineage_refusals(w: &Work, read: &dyn Fn() -> Vec<u8>, write: &dyn Fn(&[u8])) {
    let p = aiu(w, &["plan", "-out=p", "-var", "description=planned"]);
    p.assert_code(0);
    p.assert_stdout_contains("Plan: 0 to add, 2 to change, 0 to destroy.");
    let original = read();
    let foreign = foreign_state(&original, 3);
    write(&foreign);
    let out = aiu(w, &["apply", "p"]);
    out.assert_code(1);
    out.assert_stderr_contains("lineage");
    out.assert_stderr_contains("it belongs to another state");
    out.assert_not_contains("Modifying...");
    assert_eq!(
        read(),
        foreign,
        "a refused saved plan must leave the state as it is"
    );

    // Pushing the original over the foreign one is refused without -force.
    write(&foreign);
    w.write("original.json", std::str::from_utf8(&original).unwrap());
    let out = aiu(w, &["state", "push", "original.json"]);
    out.assert_code(1);
    out.assert_stderr_contains("Refusing to push");
    out.assert_stderr_contains("lineage");
    assert_eq!(read(), foreign);
    write(&original);
}

#[test]
fn foreign_lineage_refused_local() {
    let prefix = unique("fll");
    let w = work(&prefix, 2);
    apply_ok(&w, &[]);
    let path = w.state_path();
    let p2 = path.clone();
    foreign_lineage_refusals(&w, &|| std::fs::read(&path).unwrap(), &|bytes| {
        std::fs::write(&p2, bytes).unwrap()
    });
    plan_clean(&w);
    assert_eq!(
        role_descriptions(&prefix, 2),
        ["aiu safety test", "aiu safety test"]
    );
}

#[test]
fn foreign_lineage_refused_s3() {
    let prefix = unique("flb");
    let b = bucket();
    let key = "fl/iam.aiustate.json";
    let w = s3_work(&prefix, 2, &b, key);
    apply_ok(&w, &[]);
    let (b1, b2) = (b.clone(), b.clone());
    foreign_lineage_refusals(&w, &move || s3_get(&b1, key).unwrap(), &move |bytes| {
        s3_put(&b2, key, bytes)
    });
    plan_clean(&w);
    assert_eq!(
        role_descriptions(&prefix, 2),
        ["aiu safety test", "aiu safety test"]
    );
}

// ---------------------------------------------------------------------------------------------
// 5. Migration local <-> S3, state pull / push, workspaces on S3

fn json_of(bytes: &[u8]) -> Json {
    serde_json::from_slice(bytes).expect("state JSON")
}

#[test]
fn migrate_local_to_s3_and_back_with_pull_push_and_workspaces() {
    let prefix = unique("mg");
    let b = bucket();
    let key = "mig/iam.aiustate.json";
    let w = work(&prefix, 2);
    apply_ok(&w, &[]).assert_stdout_contains("Resources: 6 added");
    let local = json_of(&state_bytes(&w));

    // The configuration now names S3: nothing runs until `aiu init` says where the state is.
    w.write("backend.tf", &backend_tf(&b, key));
    let out = aiu(&w, &["plan"]);
    out.assert_code(1);
    out.assert_stderr_contains("aiu init -migrate-state");
    let out = aiu(&w, &["init"]);
    out.assert_code(1);
    out.assert_stderr_contains("state exists in the old backend");
    assert_eq!(s3_get(&b, key), None, "a refused init must not write to S3");

    let out = aiu(&w, &["init", "-migrate-state"]);
    out.assert_code(0);
    out.assert_stderr_contains("Copied the state of workspace \"default\"");
    out.assert_stdout_contains(&format!("s3://{b}/{key}"));
    let object = s3_get(&b, key).expect("the migrated state object");
    let remote = json_of(&object);
    assert_eq!(
        remote["lineage"], local["lineage"],
        "migration keeps the lineage"
    );
    assert_eq!(
        remote["resources"], local["resources"],
        "migration keeps the resources"
    );
    plan_clean(&w);
    apply_ok(&w, &[]).assert_stdout_contains("Resources: 0 added, 0 changed, 0 destroyed.");

    // state pull prints exactly the S3 object.
    let object = s3_get(&b, key).unwrap();
    let pulled = aiu(&w, &["state", "pull"]);
    pulled.assert_code(0);
    assert_eq!(
        json_of(pulled.stdout.as_bytes()),
        json_of(&object),
        "state pull differs from the S3 object"
    );
    assert_eq!(
        pulled.stdout.trim_end(),
        String::from_utf8(object.clone()).unwrap().trim_end(),
        "state pull should print the object as stored"
    );

    // state push: a lower serial and another lineage are refused without -force.
    let current = json_of(&object);
    let serial = current["serial"].as_u64().unwrap();
    let mut lower = current.clone();
    lower["serial"] = json!(serial - 1);
    w.write("lower.json", &serde_json::to_string_pretty(&lower).unwrap());
    w.write(
        "foreign.json",
        std::str::from_utf8(&foreign_state(&object, serial + 10)).unwrap(),
    );
    let before = s3_snapshot(&b, key);
    let out = aiu(&w, &["state", "push", "lower.json"]);
    out.assert_code(1);
    out.assert_stderr_contains("Refusing to push");
    out.assert_stderr_contains(&format!("serial {}", serial - 1));
    assert_eq!(
        s3_snapshot(&b, key),
        before,
        "a refused push changed the bucket"
    );
    let out = aiu(&w, &["state", "push", "foreign.json"]);
    out.assert_code(1);
    out.assert_stderr_contains("Refusing to push");
    out.assert_stderr_contains("lineage");
    assert_eq!(
        s3_snapshot(&b, key),
        before,
        "a refused push changed the bucket"
    );
    // A newer serial of the same lineage is accepted as it is.
    let mut newer = current.clone();
    newer["serial"] = json!(serial + 1);
    w.write("newer.json", &serde_json::to_string_pretty(&newer).unwrap());
    aiu(&w, &["state", "push", "newer.json"]).assert_code(0);
    assert_eq!(
        json_of(&s3_get(&b, key).unwrap())["serial"],
        json!(serial + 1)
    );
    // -force pushes the older copy over it (as a new serial of the stored lineage).
    let out = aiu(&w, &["state", "push", "-force", "lower.json"]);
    out.assert_code(0);
    let forced = json_of(&s3_get(&b, key).unwrap());
    assert_eq!(forced["lineage"], current["lineage"]);
    assert!(
        forced["serial"].as_u64().unwrap() > serial + 1,
        "serial must stay monotonic: {}",
        forced["serial"]
    );
    assert_eq!(
        s3_snapshot(&b, key).1,
        before.1 + 2,
        "each accepted push is one new object version"
    );
    plan_clean(&w);

    // Workspaces on S3: a new workspace has its own, empty state.
    let out = aiu(&w, &["workspace", "new", "dev"]);
    out.assert_code(0);
    let out = aiu(&w, &["plan", "-detailed-exitcode"]);
    out.assert_code(2);
    out.assert_stdout_contains("Plan: 6 to add, 0 to change, 0 to destroy.");
    let dev_prefix = format!("{prefix}-dev");
    apply_ok(&w, &["-var", &format!("prefix={dev_prefix}")])
        .assert_stdout_contains("Resources: 6 added");
    assert_live(&dev_prefix, 2);
    aiu(
        &w,
        &[
            "plan",
            "-detailed-exitcode",
            "-var",
            &format!("prefix={dev_prefix}"),
        ],
    )
    .assert_code(0);
    let keys = s3_keys(&b);
    assert!(
        keys.contains(&format!("env:/dev/{key}")),
        "dev's state should be at env:/dev/{key}: {keys:?}"
    );
    let list = aiu(&w, &["workspace", "list"]);
    list.assert_code(0);
    list.assert_stdout_contains("* dev");
    list.assert_stdout_contains("  default");
    aiu(&w, &["workspace", "select", "default"]).assert_code(0);
    plan_clean(&w);
    assert_eq!(
        json_of(&s3_get(&b, key).unwrap())["serial"],
        forced["serial"],
        "planning default must not touch its state"
    );

    // Back to local: remove the backend block, migrate.
    std::fs::remove_file(w.join("backend.tf")).unwrap();
    let out = aiu(&w, &["plan"]);
    out.assert_code(1);
    out.assert_stderr_contains("Backend configuration changed");
    let out = aiu(&w, &["init", "-migrate-state"]);
    out.assert_code(0);
    out.assert_stderr_contains("Copied the state of workspace \"default\"");
    out.assert_stderr_contains("Copied the state of workspace \"dev\"");
    let back = json_of(&state_bytes(&w));
    assert_eq!(back["lineage"], local["lineage"]);
    assert_eq!(back["resources"], forced["resources"]);
    assert!(back["serial"].as_u64().unwrap() >= forced["serial"].as_u64().unwrap());
    plan_clean(&w);
    apply_ok(&w, &[]).assert_stdout_contains("Resources: 0 added, 0 changed, 0 destroyed.");
    aiu(&w, &["workspace", "select", "dev"]).assert_code(0);
    aiu(
        &w,
        &[
            "plan",
            "-detailed-exitcode",
            "-var",
            &format!("prefix={dev_prefix}"),
        ],
    )
    .assert_code(0);
    assert!(w.join("state/dev.aiustate.json").exists());
    // The S3 objects are left in place (the source of a migration is never removed).
    assert!(s3_get(&b, key).is_some());
}

// ---------------------------------------------------------------------------------------------
// Leftover locks after kill -9 (S3 lock objects outlive the process), and what is refused
// while a lock is held.

/// The `ID: ...` line of a "state is locked" error.
fn lock_id(stderr: &str) -> String {
    stderr
        .lines()
        .find_map(|l| l.trim().strip_prefix("ID: "))
        .unwrap_or_else(|| panic!("no lock ID in:\n{stderr}"))
        .trim()
        .to_owned()
}

#[test]
fn s3_apply_killed_leaves_lock_named_then_force_unlock_and_apply_recover() {
    let prefix = unique("ku");
    let b = bucket();
    let key = "ku/iam.aiustate.json";
    let w = s3_work(&prefix, 12, &b, key);
    let mut bg = spawn(&w, &["apply", "-auto-approve", "-parallelism=1"], "killed");
    let pid = bg.child.id();
    bg.wait_for_stderr("Creation complete", Duration::from_secs(60));
    let _ = bg.child.kill();
    let _ = bg.wait();
    let lock_key = format!("{key}.tflock");
    assert!(
        s3_keys(&b).contains(&lock_key),
        "a killed run cannot remove its S3 lock object"
    );

    let out = aiu(&w, &["apply", "-auto-approve"]);
    out.assert_code(1);
    assert_names_holder(&out.stderr, pid);
    out.assert_stderr_contains("aiu force-unlock");
    out.assert_not_contains("Creating...");
    let id = lock_id(&out.stderr);

    let wrong = aiu(
        &w,
        &["force-unlock", "00000000-0000-4000-8000-000000000000"],
    );
    wrong.assert_code(1);
    assert!(
        s3_keys(&b).contains(&lock_key),
        "force-unlock with another ID must keep the lock"
    );
    let unlocked = aiu(&w, &["force-unlock", &id]);
    unlocked.assert_code(0);
    unlocked.assert_stdout_contains("successfully unlocked");
    assert_eq!(s3_keys(&b), vec![key.to_owned()]);

    let out = apply_ok(&w, &[]);
    out.assert_stdout_contains("Apply complete!");
    assert_live(&prefix, 12);
    plan_clean(&w);
}

/// While an apply holds the lock, a saved plan, `state push`, `import` and `plan` (all of
/// which read or write state under the lock) are refused naming the holder.
#[test]
fn commands_refused_while_lock_held_local() {
    let prefix = unique("lh");
    let w = work(&prefix, 12);
    apply_ok(&w, &["-var", "description=first"]);
    let p = aiu(&w, &["plan", "-out=p"]);
    p.assert_code(0);
    let pulled = aiu(&w, &["state", "pull"]);
    pulled.assert_code(0);
    w.write("pulled.json", &pulled.stdout);

    let mut bg = spawn(
        &w,
        &[
            "apply",
            "-auto-approve",
            "-parallelism=1",
            "-var",
            "description=second",
        ],
        "holder",
    );
    let pid = bg.child.id();
    bg.wait_for_stderr("Modifying...", Duration::from_secs(60));
    for args in [
        &["apply", "p"][..],
        &["state", "push", "pulled.json"],
        &["plan"],
        &["import", "aws_iam_role.r[0]", "x"],
    ] {
        let out = aiu(&w, args);
        assert_eq!(
            out.code,
            1,
            "`aiu {}` while the state is locked:\n{}",
            args.join(" "),
            out.snapshot()
        );
        assert!(
            out.stderr.contains("is locked by another aiu run"),
            "`aiu {}`:\n{}",
            args.join(" "),
            out.snapshot()
        );
        assert!(
            out.stderr.contains(&format!("(pid {pid})")),
            "`aiu {}`:\n{}",
            args.join(" "),
            out.snapshot()
        );
    }
    let (status, _, out, err) = bg.wait();
    assert_eq!(status.code(), Some(0), "{out}\n{err}");
    assert_eq!(role_descriptions(&prefix, 12), vec!["second"; 12]);
    aiu(
        &w,
        &["plan", "-detailed-exitcode", "-var", "description=second"],
    )
    .assert_code(0);
}
