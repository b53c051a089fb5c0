//! Snapshot tests of policy document changes in plans, as a reviewer reads them without color:
//! statement-level diffs, the canonical JSON line diff, the `# broadens access` mark, and
//! `broadening_changes` / `policy_changes` for the same plans.

use aiu_model::{InstanceAddress, Value};
use aiu_plan::{Action, Drift, Plan, ResourceChange};
use aiu_render::{broadening_changes, plan_json, render_plan, PolicyDiffStyle, RenderOptions};

fn addr(s: &str) -> InstanceAddress {
    s.parse().unwrap()
}

fn obj(pairs: &[(&str, &str)]) -> Value {
    Value::object(pairs.iter().map(|(k, v)| (k.to_string(), Value::from(*v))))
}

fn update(address: &str, before: Value, after: Value) -> ResourceChange {
    ResourceChange {
        address: addr(address),
        action: Action::Update,
        before: Some(before),
        after: Some(after),
        replace_paths: vec![],
        reason: None,
        dependencies: vec![],
        import_id: None,
    }
}

fn role(name: &str, trust: &str) -> Value {
    obj(&[("name", name), ("id", name), ("assume_role_policy", trust)])
}

fn inline(name: &str, policy: &str) -> Value {
    obj(&[
        ("name", name),
        ("id", &format!("app:{name}")),
        ("role", "app"),
        ("policy", policy),
    ])
}

const PLAIN: RenderOptions = RenderOptions {
    color: false,
    policy_diff: PolicyDiffStyle::Statements,
};
const JSON_DIFF: RenderOptions = RenderOptions {
    color: false,
    policy_diff: PolicyDiffStyle::Json,
};

const TRUST_V1: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
// Same trust, written another way, plus a second principal.
const TRUST_V2: &str = r#"{"Statement":{"Action":["sts:AssumeRole"],"Effect":"Allow","Principal":{"Service":["lambda.amazonaws.com","ec2.amazonaws.com"]}},"Version":"2012-10-17"}"#;

const GUARDED_V1: &str = r#"{"Version":"2012-10-17","Statement":[
  {"Sid":"Read","Effect":"Allow","Action":["s3:GetObject","s3:ListBucket","s3:GetObjectVersion"],"Resource":["arn:aws:s3:::data","arn:aws:s3:::data/*"]},
  {"Sid":"TlsOnly","Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}},
  {"Sid":"Tagged","Effect":"Allow","Action":"ec2:StartInstances","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"data"}}}
]}"#;
// Read loses an action (narrowing); the TLS Deny is gone (broadening); Tagged accepts a second
// team (broadening).
const GUARDED_V2: &str = r#"{"Version":"2012-10-17","Statement":[
  {"Sid":"Tagged","Effect":"Allow","Action":"ec2:StartInstances","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":["data","ml"]}}},
  {"Sid":"Read","Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::data","arn:aws:s3:::data/*"]}
]}"#;

const WIDE: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Logs","Effect":"Allow","Action":"logs:*","Resource":"*"}]}"#;
const NARROW: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Logs","Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"arn:aws:logs:*:111111111111:log-group:/app/*"}]}"#;

fn review_plan() -> Plan {
    Plan {
        changes: vec![
            update(
                "aws_iam_role.app",
                role("app", TRUST_V1),
                role("app", TRUST_V2),
            ),
            update(
                "aws_iam_role_policy.guarded",
                inline("guarded", GUARDED_V1),
                inline("guarded", GUARDED_V2),
            ),
            update(
                "aws_iam_role_policy.logs",
                inline("logs", WIDE),
                inline("logs", NARROW),
            ),
        ],
        ..Plan::default()
    }
}

#[test]
fn statement_diffs_mark_broadening_changes_only() {
    let text = render_plan(&review_plan(), &PLAIN);
    let marked: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("# broadens access"))
        .collect();
    assert_eq!(marked.len(), 2, "{text}");
    assert!(
        marked[0].contains("assume_role_policy") && marked[1].contains("policy"),
        "{text}"
    );
    insta::assert_snapshot!(text);
}

#[test]
fn json_line_diffs_carry_the_same_marks() {
    let text = render_plan(&review_plan(), &JSON_DIFF);
    assert_eq!(text.matches("# broadens access").count(), 2, "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn broadening_changes_names_the_attributes() {
    assert_eq!(
        broadening_changes(&review_plan()),
        vec![
            "aws_iam_role.app.assume_role_policy".to_string(),
            "aws_iam_role_policy.guarded.policy".to_string()
        ]
    );
    // A plan with only a narrowing change, or only a create, has none.
    let narrowing = Plan {
        changes: vec![update(
            "aws_iam_role_policy.logs",
            inline("logs", WIDE),
            inline("logs", NARROW),
        )],
        ..Plan::default()
    };
    assert!(broadening_changes(&narrowing).is_empty());
    let mut create = update(
        "aws_iam_role_policy.logs",
        inline("logs", WIDE),
        inline("logs", WIDE),
    );
    create.action = Action::Create;
    create.before = None;
    assert!(broadening_changes(&Plan {
        changes: vec![create],
        ..Plan::default()
    })
    .is_empty());
}

#[test]
fn policy_changes_in_json_plans_carry_the_classification() {
    let json = plan_json(&review_plan());
    let changes = json["policy_changes"].as_array().unwrap();
    let summary: Vec<(String, String, String)> = changes
        .iter()
        .map(|c| {
            (
                c["address"].as_str().unwrap().to_string(),
                c["attribute"].as_str().unwrap().to_string(),
                c["access"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expect = |a: &str, b: &str, c: &str| (a.to_string(), b.to_string(), c.to_string());
    assert_eq!(
        summary,
        vec![
            expect("aws_iam_role.app", "assume_role_policy", "broadening"),
            expect("aws_iam_role_policy.guarded", "policy", "broadening"),
            expect("aws_iam_role_policy.logs", "policy", "narrowing"),
        ]
    );
    let reasons = |i: usize, key: &str| -> Vec<String> {
        changes[i]["diff"][key]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    };
    insta::assert_snapshot!(format!(
        "trust broadening: {:#?}\nguarded broadening: {:#?}\nguarded narrowing: {:#?}\nlogs narrowing: {:#?}",
        reasons(0, "broadening"),
        reasons(1, "broadening"),
        reasons(1, "narrowing"),
        reasons(2, "narrowing")
    ));
}

#[test]
fn drift_that_broadened_a_policy_is_marked() {
    let plan = Plan {
        drift: vec![Drift {
            address: addr("aws_iam_role_policy.logs"),
            before: inline("logs", NARROW),
            after: Some(inline("logs", WIDE)),
        }],
        ..Plan::default()
    };
    let text = render_plan(&plan, &PLAIN);
    assert!(
        text.contains("~ policy = (policy statements changed) { # broadens access"),
        "{text}"
    );
    insta::assert_snapshot!(text);
}
