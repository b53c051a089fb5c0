//! End-to-end tests of access assertions and the access diff with the real `aiu` binary,
//! offline: `check` blocks with `assert_access` evaluated by `aiu plan` and `aiu validate`,
//! `aiu plan -access-diff` (text and `-json`), and the AI Unlimited engine-secrets case.

mod support;

use support::Work;

const FIXTURE: &str = "access/ai-unlimited";

/// An assertion the AI Unlimited fixture does not satisfy: the engine may not read secrets
/// outside compute-engine/.
const FAILING: &str = r#"
check "engine_reads_everything" {
  assert_access {
    principal = aws_iam_role.engine
    action    = "secretsmanager:GetSecretValue"
    resource  = "arn:aws:secretsmanager:${var.region}:${var.account_id}:secret:billing/db-AbCdEf"
    expect    = "allow"
  }
}
"#;

#[test]
fn the_ai_unlimited_assertions_hold_in_validate_and_plan() {
    let w = Work::fixture(FIXTURE);
    let out = w.aiu(["validate"]).run();
    out.assert_code(0);
    out.assert_stdout_contains("Success!");
    out.assert_not_contains("Access assertion");

    let out = w
        .aiu([
            "plan",
            "--offline",
            "-var",
            "account_id=222222222222",
            "-var",
            "region=eu-west-1",
        ])
        .run();
    out.assert_code(0);
    out.assert_stdout_contains("Plan: 7 to add");
    out.assert_not_contains("Access assertion");
}

#[test]
fn plan_fails_on_a_failed_assertion_with_the_decision() {
    let w = Work::fixture(FIXTURE);
    w.write("failing.tf", FAILING);
    let out = w.aiu(["plan", "--offline"]).run();
    out.assert_code(1);
    out.assert_stderr_contains("Error: Access assertion failed");
    out.assert_stderr_contains("failing.tf line 3");
    out.assert_stderr_contains(
        "check \"engine_reads_everything\": aws_iam_role.engine secretsmanager:GetSecretValue on arn:aws:secretsmanager:us-west-2:111111111111:secret:billing/db-AbCdEf: expected allow, got DENIED (implicit)",
    );
    out.assert_not_contains("Plan: ");
}

#[test]
fn validate_fails_on_a_failed_assertion() {
    let w = Work::fixture(FIXTURE);
    w.write("failing.tf", FAILING);
    let out = w.aiu(["validate"]).run();
    out.assert_code(1);
    out.assert_contains("Access assertion failed");
    out.assert_contains("got DENIED (implicit)");
    out.assert_not_contains("Success!");

    let out = w.aiu(["validate", "-json"]).run();
    out.assert_code(1);
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).expect("validate -json");
    let d = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["summary"] == "Access assertion failed")
        .expect("diagnostic");
    assert_eq!(d["severity"], "error");
    assert_eq!(d["range"]["start"]["line"], 3);
}

#[test]
fn an_exact_compute_engine_arn_is_shown_to_deny_the_real_secret() {
    let w = Work::fixture(FIXTURE);
    // Turn the fixture's assertion around: expecting the exact ARN to work fails.
    let text = w.read("checks.tf").replace(
        "expect    = \"deny\"\n  }\n}\n\ncheck \"manager_passes_only_the_engine_role\"",
        "expect    = \"allow\"\n  }\n}\n\ncheck \"manager_passes_only_the_engine_role\"",
    );
    w.write("checks.tf", &text);
    let out = w.aiu(["validate"]).run();
    out.assert_code(1);
    out.assert_contains("check \"exact_secret_arn_matches_no_real_secret\": aws_iam_role.engine_exact secretsmanager:GetSecretValue on arn:aws:secretsmanager:us-west-2:111111111111:secret:compute-engine/c1/db-AbCdEf: expected allow, got DENIED (implicit)");
}

#[test]
fn bad_assert_access_blocks_are_configuration_errors() {
    let w = Work::fixture(FIXTURE);
    w.write(
        "bad.tf",
        "check \"bad\" {\n  assert_access {\n    principal = aws_iam_role.engine\n    resource  = \"*\"\n    expect    = \"perhaps\"\n  }\n}\n",
    );
    let out = w.aiu(["validate"]).run();
    out.assert_code(1);
    out.assert_contains("Missing required argument");
    out.assert_contains("The argument \"action\" is required in an assert_access block");
    out.assert_contains("Invalid expect value");
    out.assert_contains("bad.tf line 5");
}

#[test]
fn undecidable_assertions_are_warnings() {
    let w = Work::fixture(FIXTURE);
    // The engine's policy now depends on the account read from AWS: unknown offline.
    let main = w.read("main.tf").replace(
        "engine_secrets_arn_prefix = \"arn:aws:secretsmanager:${var.region}:${var.account_id}:secret:compute-engine/\"",
        "engine_secrets_arn_prefix = \"arn:aws:secretsmanager:${var.region}:${data.aws_caller_identity.current.account_id}:secret:compute-engine/\"",
    );
    w.write(
        "main.tf",
        &format!("{main}\ndata \"aws_caller_identity\" \"current\" {{}}\n"),
    );
    let out = w.aiu(["validate"]).run();
    out.assert_code(0);
    out.assert_contains("Warning: Access assertion not evaluated");
    out.assert_contains("cannot be decided before apply");
}

fn write_diff_state(w: &Work) {
    let trust = r#"{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"}}],"Version":"2012-10-17"}"#;
    let policy = r#"{"Statement":[{"Action":["secretsmanager:GetSecretValue"],"Effect":"Allow","Resource":"arn:aws:secretsmanager:us-west-2:111111111111:secret:app/*"}],"Version":"2012-10-17"}"#;
    let state = serde_json::json!({
        "format_version": 1,
        "aiu_version": "0.1.0",
        "lineage": "6f1c1c0e-0000-4000-8000-000000000001",
        "serial": 1,
        "resources": [
            {
                "mode": "managed", "type": "aws_iam_role", "name": "app",
                "instances": [{ "index_key": null, "dependencies": [], "attributes": {
                    "arn": "arn:aws:iam::111111111111:role/app", "assume_role_policy": trust, "create_date": "2024-06-01T12:00:00Z",
                    "description": null, "force_detach_policies": false, "id": "app", "max_session_duration": 3600, "name": "app",
                    "name_prefix": null, "path": "/", "permissions_boundary": null, "tags": {}, "tags_all": {}, "unique_id": "AROAEXAMPLE"
                }}]
            },
            {
                "mode": "managed", "type": "aws_iam_role_policy", "name": "secrets",
                "instances": [{ "index_key": null, "dependencies": ["aws_iam_role.app"], "attributes": {
                    "id": "app:secrets", "name": "secrets", "name_prefix": null, "policy": policy, "role": "app"
                }}]
            }
        ],
        "outputs": {},
        "pending": []
    });
    w.write(
        "state/default.aiustate.json",
        &serde_json::to_string_pretty(&state).unwrap(),
    );
}

#[test]
fn access_diff_lists_an_action_a_policy_gains() {
    let w = Work::fixture("access/diff");
    write_diff_state(&w);
    let out = w.aiu(["plan", "--offline", "-access-diff"]).run();
    out.assert_code(0);
    out.assert_stdout_contains("Plan: 0 to add, 1 to change, 0 to destroy.");
    out.assert_stdout_contains("Access changes");
    out.assert_stdout_contains("aws_iam_role.app (policies change");
    out.assert_stdout_contains("+ allow secretsmanager:DescribeSecret on arn:aws:secretsmanager:us-west-2:111111111111:secret:app/*");
    out.assert_not_contains("+ allow secretsmanager:GetSecretValue");
    // The section comes after the plan.
    let plan_at = out.stdout.find("Plan: ").unwrap();
    assert!(
        out.stdout.find("Access changes").unwrap() > plan_at,
        "{}",
        out.stdout
    );

    let out = w.aiu(["plan", "--offline", "-access-diff", "-json"]).run();
    out.assert_code(0);
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).expect("plan -json");
    let changes = doc["access_changes"].as_array().expect("access_changes");
    assert_eq!(changes.len(), 1, "{changes:#?}");
    assert_eq!(changes[0]["role"], "aws_iam_role.app");
    assert_eq!(changes[0]["change"], "update");
    assert_eq!(
        changes[0]["newly_allowed"],
        serde_json::json!([{"action": "secretsmanager:DescribeSecret", "resource": "arn:aws:secretsmanager:us-west-2:111111111111:secret:app/*"}])
    );
    assert_eq!(changes[0]["no_longer_allowed"], serde_json::json!([]));

    // Without the flag: no section, no key.
    let out = w.aiu(["plan", "--offline", "-json"]).run();
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).expect("plan -json");
    assert!(doc.get("access_changes").is_none());
}
