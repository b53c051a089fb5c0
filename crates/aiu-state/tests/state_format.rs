//! Format tests: golden files, round trips, refusals, and the schema's top-level keys.

use aiu_model::{InstanceAddress, InstanceKey, ResourceAddress};
use aiu_state::{OutputState, PendingOperation, PendingOperationKind, State, StateError};
use serde_json::json;
use std::path::PathBuf;

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn golden_files() -> Vec<PathBuf> {
    let dir = repo_root().join("tests/state-golden");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name.starts_with("v1-") && name.ends_with(".json")
        })
        .collect();
    files.sort();
    assert!(
        files.len() >= 3,
        "expected at least 3 golden files, found {files:?}"
    );
    files
}

fn addr(s: &str) -> InstanceAddress {
    s.parse().unwrap()
}

fn attrs(v: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    v.as_object().unwrap().clone()
}

#[test]
fn golden_files_parse_and_reserialize_byte_identically() {
    for path in golden_files() {
        let text = std::fs::read_to_string(&path).unwrap();
        let state = State::from_json_str(&text, &path.display().to_string())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let again = state.to_json_string();
        assert_eq!(
            again,
            text,
            "{} does not re-serialize byte-identically",
            path.display()
        );
        assert_eq!(State::from_json_str(&again, "again").unwrap(), state);
    }
}

#[test]
fn golden_files_have_exactly_the_schema_top_level_keys() {
    let schema_path = repo_root().join("state/schema.json");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&schema_path).unwrap()).unwrap();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    let mut properties: Vec<String> = schema["properties"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    properties.sort();
    let mut required: Vec<String> = schema["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    required.sort();
    assert_eq!(
        properties, required,
        "schema: every top-level property is required"
    );
    for path in golden_files() {
        let golden: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let mut keys: Vec<String> = golden.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        assert_eq!(keys, properties, "{}", path.display());
    }
    // The in-memory model writes the same keys.
    let written: serde_json::Value = serde_json::from_str(&State::new().to_json_string()).unwrap();
    let mut keys: Vec<String> = written.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    assert_eq!(keys, properties);
}

#[test]
fn golden_roles_file_has_count_and_for_each_instances() {
    let path = repo_root().join("tests/state-golden/v1-roles-policies-attachments.json");
    let state = State::from_json_str(&std::fs::read_to_string(&path).unwrap(), "golden").unwrap();
    let role = state
        .instance(&addr("aws_iam_role.service[\"api\"]"))
        .unwrap();
    assert_eq!(role.attributes["name"], "service-api");
    let att = state
        .instance(&addr("aws_iam_role_policy_attachment.read_logs[1]"))
        .unwrap();
    assert_eq!(
        att.dependencies,
        ["aws_iam_policy.read_logs", "aws_iam_role.service"]
    );
    assert!(state
        .instance(&addr("data.aws_iam_policy_document.assume_ecs"))
        .is_some());
    let listed: Vec<String> = state.instances().map(|(a, _)| a.to_string()).collect();
    assert_eq!(
        listed,
        [
            "aws_iam_policy.read_logs",
            "aws_iam_role.service[\"api\"]",
            "aws_iam_role.service[\"worker\"]",
            "aws_iam_role_policy_attachment.read_logs[0]",
            "aws_iam_role_policy_attachment.read_logs[1]",
            "data.aws_iam_policy_document.assume_ecs",
        ]
    );
}

fn sample_state() -> State {
    let mut s = State::new();
    s.set_instance(
        &addr("aws_iam_role.r[\"b\"]"),
        attrs(json!({"name": "b"})),
        vec![],
    );
    s.set_instance(
        &addr("aws_iam_role.r[\"a\"]"),
        attrs(json!({"name": "a", "n": 1.5})),
        vec![],
    );
    s.set_instance(
        &addr("aws_iam_role_policy_attachment.x[1]"),
        attrs(json!({"role": "b"})),
        vec![
            "aws_iam_role.r".into(),
            "aws_iam_policy.p".into(),
            "aws_iam_role.r".into(),
        ],
    );
    s.set_instance(
        &addr("aws_iam_role_policy_attachment.x[0]"),
        attrs(json!({"role": "a"})),
        vec![],
    );
    s.set_instance(
        &addr("data.aws_caller_identity.me"),
        attrs(json!({"account_id": "1"})),
        vec![],
    );
    s.set_instance(
        &addr("aws_iam_policy.p"),
        attrs(json!({"policy": "{}", "tags": {"k": "v"}})),
        vec![],
    );
    s.outputs.insert(
        "arn".into(),
        OutputState {
            value: json!(["x", null, 2]),
            sensitive: true,
        },
    );
    s.add_pending(PendingOperation::started_now(
        addr("aws_iam_role.r[\"c\"]"),
        PendingOperationKind::Create,
        Some("c".into()),
    ));
    s
}

#[test]
fn set_instance_keeps_resources_and_instances_sorted() {
    let s = sample_state();
    let order: Vec<String> = s
        .resources
        .iter()
        .map(|r| r.address().to_string())
        .collect();
    assert_eq!(
        order,
        [
            "aws_iam_policy.p",
            "aws_iam_role.r",
            "aws_iam_role_policy_attachment.x",
            "data.aws_caller_identity.me"
        ]
    );
    let keys: Vec<InstanceKey> = s.resources[1]
        .instances
        .iter()
        .map(|i| i.index_key.clone())
        .collect();
    assert_eq!(
        keys,
        [InstanceKey::Str("a".into()), InstanceKey::Str("b".into())]
    );
    let att = s
        .instance(&addr("aws_iam_role_policy_attachment.x[1]"))
        .unwrap();
    assert_eq!(att.dependencies, ["aws_iam_policy.p", "aws_iam_role.r"]);
    s.check_integrity().unwrap();
}

#[test]
fn set_instance_replaces_and_remove_instance_drops_empty_resources() {
    let mut s = sample_state();
    s.set_instance(
        &addr("aws_iam_policy.p"),
        attrs(json!({"policy": "new"})),
        vec![],
    );
    assert_eq!(
        s.instance(&addr("aws_iam_policy.p")).unwrap().attributes["policy"],
        "new"
    );
    assert_eq!(
        s.resource(&ResourceAddress::managed("aws_iam_policy", "p"))
            .unwrap()
            .instances
            .len(),
        1
    );

    assert!(s.remove_instance(&addr("aws_iam_role.r[\"a\"]")).is_some());
    assert!(s
        .resource(&ResourceAddress::managed("aws_iam_role", "r"))
        .is_some());
    assert!(s.remove_instance(&addr("aws_iam_role.r[\"b\"]")).is_some());
    assert!(s
        .resource(&ResourceAddress::managed("aws_iam_role", "r"))
        .is_none());
    assert!(s.remove_instance(&addr("aws_iam_role.r[\"b\"]")).is_none());
}

#[test]
fn round_trip_is_lossless() {
    let s = sample_state();
    let text = s.to_json_string();
    assert!(text.ends_with("}\n"));
    let back = State::from_json_str(&text, "memory").unwrap();
    assert_eq!(back, s);
    assert_eq!(back.to_json_string(), text);

    let empty = State::new();
    assert_eq!(
        State::from_json_str(&empty.to_json_string(), "memory").unwrap(),
        empty
    );
}

#[test]
fn new_states_have_distinct_uuid_lineages() {
    let a = State::new();
    let b = State::new();
    assert_ne!(a.lineage, b.lineage);
    assert_eq!(a.serial, 0);
    assert_eq!(
        uuid::Uuid::parse_str(&a.lineage).unwrap().get_version_num(),
        4
    );
}

fn golden_text() -> String {
    std::fs::read_to_string(
        repo_root().join("tests/state-golden/v1-roles-policies-attachments.json"),
    )
    .unwrap()
}

#[test]
fn invalid_json_is_refused_with_line_and_column() {
    let err =
        State::from_json_str("{\n  \"format_version\": 1,\n  oops\n}", "broken.json").unwrap_err();
    match &err {
        StateError::Syntax { line, column, .. } => assert_eq!((*line, *column), (3, 3)),
        other => panic!("unexpected {other:?}"),
    }
    let msg = err.to_string();
    assert!(
        msg.contains("broken.json") && msg.contains("line 3, column 3"),
        "{msg}"
    );

    let truncated = &golden_text()[..200];
    assert!(matches!(
        State::from_json_str(truncated, "t.json"),
        Err(StateError::Syntax { .. })
    ));
}

#[test]
fn missing_and_unknown_fields_are_refused() {
    let mut v: serde_json::Value = serde_json::from_str(&golden_text()).unwrap();
    v.as_object_mut().unwrap().remove("lineage");
    let err = State::from_json_str(&v.to_string(), "s.json").unwrap_err();
    assert!(matches!(err, StateError::Malformed { .. }), "{err:?}");
    assert!(err.to_string().contains("missing field `lineage`"), "{err}");

    let mut v: serde_json::Value = serde_json::from_str(&golden_text()).unwrap();
    v["resources"][0]["instances"][0]
        .as_object_mut()
        .unwrap()
        .remove("attributes");
    let err = State::from_json_str(&v.to_string(), "s.json").unwrap_err();
    assert!(
        err.to_string().contains("missing field `attributes`"),
        "{err}"
    );

    let mut v: serde_json::Value = serde_json::from_str(&golden_text()).unwrap();
    v["surprise"] = json!(true);
    let err = State::from_json_str(&v.to_string(), "s.json").unwrap_err();
    assert!(
        err.to_string().contains("unknown field `surprise`"),
        "{err}"
    );

    let err = State::from_json_str("{}", "s.json").unwrap_err();
    assert!(err.to_string().contains("format_version"), "{err}");
    let err = State::from_json_str("[]", "s.json").unwrap_err();
    assert!(
        err.to_string().contains("an array instead of an object"),
        "{err}"
    );

    let mut v: serde_json::Value = serde_json::from_str(&golden_text()).unwrap();
    v["resources"][0]["mode"] = json!("weird");
    let err = State::from_json_str(&v.to_string(), "s.json").unwrap_err();
    assert!(err.to_string().contains("\"managed\" or \"data\""), "{err}");

    let mut v: serde_json::Value = serde_json::from_str(&golden_text()).unwrap();
    v["resources"][0]["instances"][0]["index_key"] = json!(1.5);
    assert!(State::from_json_str(&v.to_string(), "s.json").is_err());
}

#[test]
fn a_terraform_state_file_is_named_as_such() {
    let tfstate = r#"{"version": 4, "terraform_version": "1.11.4", "serial": 1, "lineage": "x", "outputs": {}, "resources": []}"#;
    let err = State::from_json_str(tfstate, "terraform.tfstate").unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("this is a Terraform state file"), "{msg}");
    assert!(msg.contains("aiu import"), "{msg}");
}

#[test]
fn newer_and_unknown_versions_are_refused() {
    let mut v: serde_json::Value = serde_json::from_str(&golden_text()).unwrap();
    v["format_version"] = json!(2);
    v["aiu_version"] = json!("0.9.0");
    let err = State::from_json_str(&v.to_string(), "future.json").unwrap_err();
    assert!(
        matches!(err, StateError::NewerVersion { found: 2, .. }),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("was written by a newer aiu") && msg.contains("upgrade aiu"),
        "{msg}"
    );
    assert!(
        msg.contains("future.json") && msg.contains("0.9.0"),
        "{msg}"
    );

    for bad in [json!(0), json!("1"), json!(-1), json!(1.5)] {
        v["format_version"] = bad.clone();
        let err = State::from_json_str(&v.to_string(), "old.json").unwrap_err();
        assert!(
            matches!(err, StateError::UnknownVersion { .. }),
            "{bad}: {err:?}"
        );
    }
}

#[test]
fn integrity_failures_are_refused() {
    // Duplicate address: the same instance key twice.
    let mut v: serde_json::Value = serde_json::from_str(&golden_text()).unwrap();
    let first = v["resources"][1]["instances"][0].clone();
    v["resources"][1]["instances"]
        .as_array_mut()
        .unwrap()
        .push(first);
    let err = State::from_json_str(&v.to_string(), "dup.json").unwrap_err();
    assert!(matches!(err, StateError::Integrity { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("duplicate address aws_iam_role.service[\"api\"]"),
        "{err}"
    );
    assert!(err.to_string().contains("dup.json"), "{err}");

    // Duplicate resource entry.
    let mut v: serde_json::Value = serde_json::from_str(&golden_text()).unwrap();
    let first = v["resources"][0].clone();
    v["resources"].as_array_mut().unwrap().push(first);
    let err = State::from_json_str(&v.to_string(), "dup.json").unwrap_err();
    assert!(err.to_string().contains("appears more than once"), "{err}");

    // Mixed key kinds.
    let mut v: serde_json::Value = serde_json::from_str(&golden_text()).unwrap();
    v["resources"][1]["instances"][0]["index_key"] = json!(0);
    let err = State::from_json_str(&v.to_string(), "mixed.json").unwrap_err();
    assert!(
        err.to_string().contains("mixes instance key kinds"),
        "{err}"
    );

    // A dependency that is not an address.
    let mut v: serde_json::Value = serde_json::from_str(&golden_text()).unwrap();
    v["resources"][2]["instances"][0]["dependencies"] = json!(["not an address"]);
    let err = State::from_json_str(&v.to_string(), "deps.json").unwrap_err();
    assert!(err.to_string().contains("\"not an address\""), "{err}");

    // Bad resource name, bad timestamp, empty lineage.
    let mut v: serde_json::Value = serde_json::from_str(&golden_text()).unwrap();
    v["resources"][0]["name"] = json!("has space");
    v["lineage"] = json!("");
    let err = State::from_json_str(&v.to_string(), "n.json").unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("not a valid resource address") && msg.contains("lineage is empty"),
        "{msg}"
    );

    // A serial no counter reaches (adding one to it would overflow).
    let mut v: serde_json::Value = serde_json::from_str(&golden_text()).unwrap();
    v["serial"] = json!(u64::MAX);
    let err = State::from_json_str(&v.to_string(), "serial.json").unwrap_err();
    assert!(
        err.to_string()
            .contains("serial is 18446744073709551615, beyond 9007199254740992"),
        "{err}"
    );

    let mut s = sample_state();
    s.pending[0].started_at = "yesterday".into();
    assert!(s
        .check_integrity()
        .unwrap_err()
        .to_string()
        .contains("RFC 3339"));
}

#[test]
fn reading_normalizes_order() {
    let mut v: serde_json::Value = serde_json::from_str(&golden_text()).unwrap();
    v["resources"].as_array_mut().unwrap().reverse();
    v["resources"][2]["instances"]
        .as_array_mut()
        .unwrap()
        .reverse();
    let s = State::from_json_str(&v.to_string(), "r.json").unwrap();
    assert_eq!(s.to_json_string(), golden_text());
}
