//! Test support: a moto server (from `AIU_MOTO_ENDPOINT`, or started here through
//! `scripts/moto.sh` and stopped when the test binary exits), provider settings with fake
//! credentials, a raw IAM client for out-of-band changes, and unique names.
#![allow(dead_code)]

use aiu_aws::{AwsProvider, AwsSettings, StaticCredentials};
use aiu_model::Value;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

/// moto's default account.
pub const ACCOUNT: &str = "123456789012";

pub const TRUST_EC2: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
pub const TRUST_LAMBDA: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

pub fn doc(action: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"{action}","Resource":"*"}}]}}"#
    )
}

/// A moto server started by this process; killed on drop.
pub struct MotoServer {
    pub endpoint: String,
    pid: u32,
}

impl MotoServer {
    pub fn start() -> MotoServer {
        let script = repo_root().join("scripts/moto.sh");
        let out = Command::new(&script)
            .arg("start")
            .output()
            .expect("run scripts/moto.sh start");
        assert!(
            out.status.success(),
            "scripts/moto.sh start failed: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        let mut parts = text.split_whitespace();
        let port: u16 = parts
            .next()
            .and_then(|p| p.parse().ok())
            .expect("moto.sh prints PORT PID");
        let pid: u32 = parts
            .next()
            .and_then(|p| p.parse().ok())
            .expect("moto.sh prints PORT PID");
        MotoServer {
            endpoint: format!("http://127.0.0.1:{port}"),
            pid,
        }
    }

    /// Stops the server when this test process ends (statics are never dropped).
    fn stop_with_process(&self) {
        let me = std::process::id();
        let _ = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "(while kill -0 {me} 2>/dev/null; do sleep 1; done; kill {pid} 2>/dev/null) >/dev/null 2>&1 &",
                pid = self.pid
            ))
            .status();
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        let _ = Command::new(repo_root().join("scripts/moto.sh"))
            .arg("stop")
            .arg(self.pid.to_string())
            .status();
    }
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repo root")
}

/// The endpoint of the moto server shared by this test binary. Never skips: without
/// `AIU_MOTO_ENDPOINT` it installs moto (cached) and starts a server.
pub fn endpoint() -> &'static str {
    static SERVER: OnceLock<String> = OnceLock::new();
    SERVER.get_or_init(|| {
        if let Ok(e) = std::env::var("AIU_MOTO_ENDPOINT") {
            if !e.is_empty() {
                return e;
            }
        }
        let server = MotoServer::start();
        server.stop_with_process();
        let endpoint = server.endpoint.clone();
        std::mem::forget(server); // stopped by the watcher when the process exits
        endpoint
    })
}

pub fn settings() -> AwsSettings {
    let e = endpoint().to_owned();
    AwsSettings {
        region: Some("us-east-1".into()),
        iam_endpoint: Some(e.clone()),
        sts_endpoint: Some(e),
        credentials: Some(StaticCredentials::new("testing", "testing")),
        eventual_consistency_timeout: Duration::from_secs(3),
        max_attempts: 3,
        initial_backoff: Duration::from_millis(50),
        ..AwsSettings::default()
    }
}

pub async fn provider() -> AwsProvider {
    AwsProvider::connect(settings()).await.expect("connect")
}

pub async fn provider_with(f: impl FnOnce(&mut AwsSettings)) -> AwsProvider {
    let mut s = settings();
    f(&mut s);
    AwsProvider::connect(s).await.expect("connect")
}

/// A raw IAM client to change things out of band.
pub async fn raw_iam() -> aws_sdk_iam::Client {
    let conf = aws_sdk_iam::config::Builder::new()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(endpoint())
        .credentials_provider(aws_sdk_iam::config::Credentials::new(
            "testing", "testing", None, None, "test",
        ))
        .build();
    aws_sdk_iam::Client::from_conf(conf)
}

/// A name unique to this test run.
pub fn unique(base: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{base}-{}-{:x}-{}",
        std::process::id(),
        nanos,
        N.fetch_add(1, Ordering::Relaxed)
    )
}

pub fn obj(entries: &[(&str, Value)]) -> Value {
    Value::Object(
        entries
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
    )
}

pub fn s(v: &str) -> Value {
    Value::from(v)
}

pub fn tags(entries: &[(&str, &str)]) -> Value {
    Value::Object(
        entries
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Value::from(*v)))
            .collect(),
    )
}

/// Planned attributes of a role: the given arguments plus unknown computed ones.
pub fn planned_role(name: &str, extra: &[(&str, Value)]) -> Value {
    let mut v = obj(&[
        ("name", s(name)),
        ("name_prefix", Value::Null),
        ("path", s("/")),
        ("assume_role_policy", s(TRUST_EC2)),
        ("description", s("")),
        ("max_session_duration", Value::Number(3600.0)),
        ("permissions_boundary", Value::Null),
        ("force_detach_policies", Value::Bool(false)),
        ("tags", Value::Null),
        ("tags_all", Value::Unknown),
        ("id", Value::Unknown),
        ("arn", Value::Unknown),
        ("unique_id", Value::Unknown),
        ("create_date", Value::Unknown),
    ]);
    set(&mut v, extra);
    v
}

pub fn planned_policy(name: &str, document: &str, extra: &[(&str, Value)]) -> Value {
    let mut v = obj(&[
        ("name", s(name)),
        ("name_prefix", Value::Null),
        ("path", s("/")),
        ("description", s("")),
        ("policy", s(document)),
        ("tags", Value::Null),
        ("tags_all", Value::Unknown),
        ("id", Value::Unknown),
        ("arn", Value::Unknown),
        ("policy_id", Value::Unknown),
        ("attachment_count", Value::Unknown),
    ]);
    set(&mut v, extra);
    v
}

pub fn set(v: &mut Value, extra: &[(&str, Value)]) {
    if let Value::Object(m) = v {
        for (k, x) in extra {
            m.insert((*k).to_owned(), x.clone());
        }
    }
}

pub fn with(v: &Value, extra: &[(&str, Value)]) -> Value {
    let mut v = v.clone();
    set(&mut v, extra);
    v
}

pub fn get<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{k} missing in {v}"))
}

pub fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).expect("valid JSON")
}
