//! Cost of one state write at scale, by phase: `cargo bench -p aiu-state --bench state_write`
//! (optionally `-- 25000` for the number of instances; default 25,000, the 5,000-role estate).
//!
//! Builds a state shaped like the benchmark estate (five `count` resources: roles, policies,
//! attachments, inline policies, instance profiles, with the attributes aiu records), writes
//! it once, then changes one instance and writes again, several times. Prints the median of
//! the whole `LocalBackend::write` and of operations timed on their own: a clone of the state
//! (apply's group commit takes one per write), normalize, the integrity check, a content
//! comparison of two states, serialisation. Figures in BENCHMARKS.md.

use std::time::{Duration, Instant};

use aiu_model::{InstanceAddress, InstanceKey, ResourceAddress};
use aiu_state::{LocalBackend, State};
use serde_json::{json, Map, Value};

const RUNS: usize = 7;

fn attributes(kind: &str, i: usize) -> Map<String, Value> {
    let trust = r#"{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"}}],"Version":"2012-10-17"}"#;
    let value = match kind {
        "aws_iam_role" => json!({
            "arn": format!("arn:aws:iam::123456789012:role/bench-role-{i}"),
            "assume_role_policy": trust, "create_date": "2026-11-28T13:19:36.408934Z",
            "description": null, "force_detach_policies": false, "id": format!("bench-role-{i}"),
            "max_session_duration": 3600, "name": format!("bench-role-{i}"), "name_prefix": null,
            "path": "/", "permissions_boundary": null, "tags": null, "tags_all": {},
            "unique_id": format!("AROARZPUZDIKORDE{i:05}"),
        }),
        "aws_iam_policy" => json!({
            "arn": format!("arn:aws:iam::123456789012:policy/bench-policy-{i}"),
            "attachment_count": 0, "description": format!("bench policy {i}"),
            "id": format!("arn:aws:iam::123456789012:policy/bench-policy-{i}"),
            "name": format!("bench-policy-{i}"), "name_prefix": null, "path": "/",
            "policy": format!(r#"{{"Statement":[{{"Action":["s3:GetObject","s3:ListBucket"],"Effect":"Allow","Resource":["arn:aws:s3:::bench-bucket-{i}","arn:aws:s3:::bench-bucket-{i}/*"]}}],"Version":"2012-10-17"}}"#),
            "policy_id": format!("AW99OJIT1TU4B6U{i:05}"), "tags": null, "tags_all": {},
        }),
        _ => json!({
            "id": format!("bench-{kind}-{i}"), "name": format!("bench-{kind}-{i}"),
            "role": format!("bench-role-{i}"),
            "policy_arn": format!("arn:aws:iam::123456789012:policy/bench-policy-{i}"),
        }),
    };
    match value {
        Value::Object(map) => map,
        _ => unreachable!("every arm builds an object"),
    }
}

fn address(kind: &str, i: usize) -> InstanceAddress {
    ResourceAddress::managed(kind, "r").instance(InstanceKey::Int(i as i64))
}

const KINDS: [&str; 5] = [
    "aws_iam_instance_profile",
    "aws_iam_policy",
    "aws_iam_role",
    "aws_iam_role_policy",
    "aws_iam_role_policy_attachment",
];

fn estate(instances: usize) -> State {
    let mut state = State::new();
    for i in 0..instances / KINDS.len() {
        for kind in KINDS {
            state.set_instance(&address(kind, i), attributes(kind, i), vec![]);
        }
    }
    state
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn time_it(mut f: impl FnMut()) -> Duration {
    median(
        (0..RUNS)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .collect(),
    )
}

fn main() {
    let instances: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(25_000);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let backend = LocalBackend::new(dir.path().join("s.json"));
    let mut state = estate(instances);
    backend.write(&mut state).expect("first write");
    let bytes = std::fs::metadata(backend.path())
        .map(|m| m.len())
        .unwrap_or(0);

    let mut round = 0;
    let write = time_it(|| {
        round += 1;
        let mut attrs = attributes("aws_iam_role", 0);
        attrs.insert("description".into(), json!(format!("round {round}")));
        state.set_instance(&address("aws_iam_role", 0), attrs, vec![]);
        backend.write(&mut state).expect("write");
    });
    let clone = time_it(|| drop(std::hint::black_box(state.clone())));
    let mut copy = state.clone();
    let normalize = time_it(|| copy.normalize());
    let integrity = time_it(|| state.check_integrity().expect("a valid state"));
    let other = state.clone();
    let compare = time_it(|| assert!(state.same_content_as(&other)));
    let serialise = time_it(|| drop(std::hint::black_box(state.to_json_string())));
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{instances} instances, {:.1} MB: write {:.0} ms (median of {RUNS}); alone: clone {:.0} ms, normalize {:.0} ms, integrity {:.0} ms, compare {:.0} ms, serialise {:.0} ms",
        bytes as f64 / 1e6,
        ms(write),
        ms(clone),
        ms(normalize),
        ms(integrity),
        ms(compare),
        ms(serialise),
    );
}
