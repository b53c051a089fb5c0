//! Snapshot tests of every renderer, on plans and states built by hand.

use aiu_model::{Diagnostic, Diagnostics, InstanceAddress, Position, Span, Value};
use aiu_plan::{Action, ChangeReason, Drift, OutputChange, Plan, ResourceChange};
use aiu_render::{
    plan_json, plan_json_with_configuration, render_diagnostics, render_output_values,
    render_outputs, render_plan, render_state, PolicyDiffStyle, RenderOptions,
};
use std::path::{Path, PathBuf};

fn addr(s: &str) -> InstanceAddress {
    s.parse().unwrap()
}

fn obj(pairs: &[(&str, Value)]) -> Value {
    Value::object(pairs.iter().map(|(k, v)| (k.to_string(), v.clone())))
}

fn s(text: &str) -> Value {
    Value::from(text)
}

fn strings(items: &[&str]) -> Value {
    Value::List(items.iter().map(|i| s(i)).collect())
}

fn change(
    address: &str,
    action: Action,
    before: Option<Value>,
    after: Option<Value>,
) -> ResourceChange {
    ResourceChange {
        address: addr(address),
        action,
        before,
        after,
        replace_paths: vec![],
        reason: None,
        dependencies: vec![],
        import_id: None,
    }
}

const PLAIN: RenderOptions = RenderOptions {
    color: false,
    policy_diff: PolicyDiffStyle::Statements,
};

const TRUST_EC2: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": "sts:AssumeRole",
      "Principal": {
        "Service": "ec2.amazonaws.com"
      }
    }
  ]
}"#;

const POLICY_V1: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Objects",
      "Effect": "Allow",
      "Action": ["s3:GetObject", "s3:PutObject"],
      "Resource": "arn:aws:s3:::data/*"
    },
    {
      "Effect": "Allow",
      "Action": "secretsmanager:GetSecretValue",
      "Resource": "arn:aws:secretsmanager:us-west-2:111111111111:secret:compute-engine/*"
    }
  ]
}"#;

const POLICY_V2: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Objects",
      "Effect": "Allow",
      "Action": ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
      "Resource": "arn:aws:s3:::data/*"
    },
    {
      "Effect": "Allow",
      "Action": "secretsmanager:GetSecretValue",
      "Resource": "arn:aws:secretsmanager:us-west-2:111111111111:secret:compute-engine/*"
    },
    {
      "Effect": "Allow",
      "Action": "route53:GetChange",
      "Resource": "*"
    }
  ]
}"#;

const ROLE_ARN: &str = "arn:aws:iam::111111111111:role/ai-unlimited-manager";

fn role_state(name: &str, description: &str) -> Value {
    obj(&[
        ("arn", s(&format!("arn:aws:iam::111111111111:role/{name}"))),
        ("assume_role_policy", s(TRUST_EC2)),
        ("create_date", s("2025-01-02T03:04:05Z")),
        ("description", s(description)),
        ("force_detach_policies", Value::Bool(false)),
        ("id", s(name)),
        ("max_session_duration", Value::Number(3600.0)),
        ("name", s(name)),
        ("name_prefix", Value::Null),
        ("path", s("/")),
        ("permissions_boundary", Value::Null),
        ("tags", obj(&[("Project", s("ai-unlimited"))])),
        ("tags_all", obj(&[("Project", s("ai-unlimited"))])),
        ("unique_id", s("AROAEXAMPLE")),
    ])
}

fn policy_state(policy: &str) -> Value {
    obj(&[
        (
            "arn",
            s("arn:aws:iam::111111111111:policy/ai-unlimited-workspaces"),
        ),
        ("attachment_count", Value::Number(1.0)),
        ("description", s("")),
        (
            "id",
            s("arn:aws:iam::111111111111:policy/ai-unlimited-workspaces"),
        ),
        ("name", s("ai-unlimited-workspaces")),
        ("path", s("/")),
        ("policy", s(policy)),
        ("policy_id", s("ANPAEXAMPLE")),
        ("tags", obj(&[])),
        ("tags_all", obj(&[])),
    ])
}

fn create_plan() -> Plan {
    let role = obj(&[
        ("arn", Value::Unknown),
        ("assume_role_policy", s(TRUST_EC2)),
        ("create_date", Value::Unknown),
        ("description", s("AI Unlimited manager")),
        ("force_detach_policies", Value::Bool(false)),
        ("id", Value::Unknown),
        ("max_session_duration", Value::Number(3600.0)),
        ("name", s("ai-unlimited-manager")),
        ("name_prefix", Value::Unknown),
        ("path", s("/")),
        ("permissions_boundary", Value::Null),
        (
            "tags",
            obj(&[("Project", s("ai-unlimited")), ("team name", s("data"))]),
        ),
        ("tags_all", Value::Unknown),
        ("unique_id", Value::Unknown),
    ]);
    let policy = obj(&[
        ("arn", Value::Unknown),
        ("attachment_count", Value::Unknown),
        ("description", s("")),
        ("id", Value::Unknown),
        ("name", s("ai-unlimited-workspaces")),
        ("path", s("/")),
        ("policy", s(POLICY_V1)),
        ("policy_id", Value::Unknown),
        ("tags_all", Value::Unknown),
    ]);
    let attachment = obj(&[
        ("id", Value::Unknown),
        ("policy_arn", Value::Unknown),
        ("role", s("ai-unlimited-manager")),
    ]);
    let profile = obj(&[
        ("arn", Value::Unknown),
        ("id", Value::Unknown),
        ("name", s("ai-unlimited-manager")),
        ("path", s("/")),
        ("role", s("ai-unlimited-manager")),
        ("tags_all", Value::Unknown),
        ("unique_id", Value::Unknown),
    ]);
    let doc = obj(&[("id", s("123")), ("json", s(TRUST_EC2))]);
    Plan {
        changes: vec![
            change("aws_iam_role.manager", Action::Create, None, Some(role)),
            change(
                "aws_iam_policy.workspaces",
                Action::Create,
                None,
                Some(policy),
            ),
            change(
                "aws_iam_role_policy_attachment.workspaces",
                Action::Create,
                None,
                Some(attachment),
            ),
            change(
                "aws_iam_instance_profile.manager",
                Action::Create,
                None,
                Some(profile),
            ),
            change(
                "data.aws_iam_policy_document.trust",
                Action::NoOp,
                Some(doc.clone()),
                Some(doc),
            ),
        ],
        outputs: vec![
            OutputChange {
                name: "manager_role_arn".into(),
                action: Action::Create,
                before: None,
                after: Some(Value::Unknown),
                sensitive: false,
            },
            OutputChange {
                name: "instance_profile_name".into(),
                action: Action::Create,
                before: None,
                after: Some(s("ai-unlimited-manager")),
                sensitive: false,
            },
        ],
        ..Plan::default()
    }
}

fn update_plan() -> Plan {
    let mut role_after = role_state("ai-unlimited-manager", "AI Unlimited manager (v2)");
    if let Value::Object(m) = &mut role_after {
        m.insert(
            "tags".into(),
            obj(&[("Project", s("ai-unlimited")), ("Owner", s("platform"))]),
        );
        m.insert("tags_all".into(), Value::Unknown);
    }
    Plan {
        changes: vec![
            change(
                "aws_iam_policy.workspaces",
                Action::Update,
                Some(policy_state(POLICY_V1)),
                Some(policy_state(POLICY_V2)),
            ),
            change(
                "aws_iam_role.manager",
                Action::Update,
                Some(role_state("ai-unlimited-manager", "AI Unlimited manager")),
                Some(role_after),
            ),
        ],
        outputs: vec![OutputChange {
            name: "manager_role_arn".into(),
            action: Action::NoOp,
            before: Some(s(ROLE_ARN)),
            after: Some(s(ROLE_ARN)),
            sensitive: false,
        }],
        ..Plan::default()
    }
}

fn replace_plan() -> Plan {
    let before = role_state("engine", "AI Unlimited engine");
    let mut after = role_state("ai-unlimited-engine", "AI Unlimited engine");
    if let Value::Object(m) = &mut after {
        for k in ["arn", "create_date", "id", "unique_id"] {
            m.insert(k.into(), Value::Unknown);
        }
    }
    let mut c = change(
        "aws_iam_role.engine",
        Action::Replace,
        Some(before),
        Some(after),
    );
    c.replace_paths = vec!["name".into()];
    c.reason = Some(ChangeReason::ReplaceAttributes);
    Plan {
        changes: vec![c],
        ..Plan::default()
    }
}

fn delete_plan() -> Plan {
    let mut gone = change(
        "aws_iam_role.legacy",
        Action::Delete,
        Some(role_state("legacy", "old")),
        None,
    );
    gone.reason = Some(ChangeReason::NotInConfig);
    let mut key_gone = change(
        "aws_iam_role.service[\"batch\"]",
        Action::Delete,
        Some(role_state("svc-batch", "batch service")),
        None,
    );
    key_gone.reason = Some(ChangeReason::KeyNotInConfig);
    let mut index_gone = change(
        "aws_iam_role_policy_attachment.extra[1]",
        Action::Delete,
        Some(obj(&[
            ("id", s("svc-batch-20250101")),
            ("policy_arn", s("arn:aws:iam::aws:policy/ReadOnlyAccess")),
            ("role", s("svc-batch")),
        ])),
        None,
    );
    index_gone.reason = Some(ChangeReason::KeyNotInConfig);
    Plan {
        changes: vec![gone, key_gone, index_gone],
        outputs: vec![OutputChange {
            name: "legacy_arn".into(),
            action: Action::Delete,
            before: Some(s("arn:aws:iam::111111111111:role/legacy")),
            after: None,
            sensitive: false,
        }],
        ..Plan::default()
    }
}

fn drift_plan() -> Plan {
    let recorded = role_state("ai-unlimited-manager", "AI Unlimited manager");
    let live = role_state("ai-unlimited-manager", "changed in the console");
    let deleted = obj(&[
        (
            "arn",
            s("arn:aws:iam::111111111111:instance-profile/ai-unlimited-manager"),
        ),
        ("id", s("ai-unlimited-manager")),
        ("name", s("ai-unlimited-manager")),
        ("path", s("/")),
        ("role", s("ai-unlimited-manager")),
        ("unique_id", s("AIPAEXAMPLE")),
    ]);
    let mut recreate_after = deleted.clone();
    if let Value::Object(m) = &mut recreate_after {
        for k in ["arn", "id", "unique_id"] {
            m.insert(k.into(), Value::Unknown);
        }
    }
    let mut recreate = change(
        "aws_iam_instance_profile.manager",
        Action::Create,
        None,
        Some(recreate_after),
    );
    recreate.reason = Some(ChangeReason::DeletedOutside);
    let undo = change(
        "aws_iam_role.manager",
        Action::Update,
        Some(live.clone()),
        Some(recorded.clone()),
    );
    Plan {
        changes: vec![recreate, undo],
        drift: vec![
            Drift {
                address: addr("aws_iam_role.manager"),
                before: recorded,
                after: Some(live),
            },
            Drift {
                address: addr("aws_iam_instance_profile.manager"),
                before: deleted,
                after: None,
            },
        ],
        ..Plan::default()
    }
}

fn no_changes_plan() -> Plan {
    let role = role_state("ai-unlimited-manager", "AI Unlimited manager");
    Plan {
        changes: vec![change(
            "aws_iam_role.manager",
            Action::NoOp,
            Some(role.clone()),
            Some(role),
        )],
        outputs: vec![OutputChange {
            name: "manager_role_arn".into(),
            action: Action::NoOp,
            before: Some(s(ROLE_ARN)),
            after: Some(s(ROLE_ARN)),
            sensitive: false,
        }],
        ..Plan::default()
    }
}

fn outputs_only_plan() -> Plan {
    let role = role_state("ai-unlimited-manager", "AI Unlimited manager");
    Plan {
        changes: vec![change(
            "aws_iam_role.manager",
            Action::NoOp,
            Some(role.clone()),
            Some(role),
        )],
        outputs: vec![
            OutputChange {
                name: "role_names".into(),
                action: Action::Create,
                before: None,
                after: Some(strings(&["ai-unlimited-manager", "ai-unlimited-engine"])),
                sensitive: false,
            },
            OutputChange {
                name: "manager_role_arn".into(),
                action: Action::Update,
                before: Some(s("arn:aws:iam::111111111111:role/old")),
                after: Some(s(ROLE_ARN)),
                sensitive: false,
            },
            OutputChange {
                name: "token".into(),
                action: Action::Update,
                before: Some(s("a")),
                after: Some(s("b")),
                sensitive: true,
            },
            OutputChange {
                name: "removed".into(),
                action: Action::Delete,
                before: Some(s("x")),
                after: None,
                sensitive: false,
            },
        ],
        ..Plan::default()
    }
}

fn import_plan() -> Plan {
    let role = role_state("ai-unlimited-manager", "AI Unlimited manager");
    let mut pure = change(
        "aws_iam_role.manager",
        Action::Import,
        Some(role.clone()),
        Some(role.clone()),
    );
    pure.import_id = Some("ai-unlimited-manager".into());
    let engine_before = role_state("ai-unlimited-engine", "engine");
    let mut engine_after = engine_before.clone();
    if let Value::Object(m) = &mut engine_after {
        m.insert("max_session_duration".into(), Value::Number(7200.0));
    }
    let mut updated = change(
        "aws_iam_role.engine",
        Action::Import,
        Some(engine_before),
        Some(engine_after),
    );
    updated.import_id = Some("ai-unlimited-engine".into());
    let read = change(
        "data.aws_iam_policy_document.engine",
        Action::Read,
        None,
        Some(obj(&[
            ("id", Value::Unknown),
            ("json", Value::Unknown),
            ("minified_json", Value::Unknown),
        ])),
    );
    let mut read = read;
    read.reason = Some(ChangeReason::ReadDeferred);
    Plan {
        changes: vec![pure, updated, read],
        ..Plan::default()
    }
}

#[test]
fn create_plan_text() {
    insta::assert_snapshot!(render_plan(&create_plan(), &PLAIN));
}

#[test]
fn update_plan_with_statement_diff() {
    insta::assert_snapshot!(render_plan(&update_plan(), &PLAIN));
}

#[test]
fn update_plan_with_json_line_diff() {
    let opts = RenderOptions {
        color: false,
        policy_diff: PolicyDiffStyle::Json,
    };
    insta::assert_snapshot!(render_plan(&update_plan(), &opts));
}

#[test]
fn replace_plan_marks_forcing_attribute() {
    let text = render_plan(&replace_plan(), &PLAIN);
    assert!(text.contains("# forces replacement"));
    insta::assert_snapshot!(text);
}

#[test]
fn delete_plan_with_reasons() {
    insta::assert_snapshot!(render_plan(&delete_plan(), &PLAIN));
}

#[test]
fn drift_then_changes() {
    insta::assert_snapshot!(render_plan(&drift_plan(), &PLAIN));
}

#[test]
fn no_changes() {
    insta::assert_snapshot!(render_plan(&no_changes_plan(), &PLAIN));
}

#[test]
fn outputs_only() {
    insta::assert_snapshot!(render_plan(&outputs_only_plan(), &PLAIN));
}

#[test]
fn imports_and_deferred_reads() {
    insta::assert_snapshot!(render_plan(&import_plan(), &PLAIN));
}

#[test]
fn color_only_when_asked() {
    for plan in [
        create_plan(),
        update_plan(),
        replace_plan(),
        delete_plan(),
        drift_plan(),
        no_changes_plan(),
    ] {
        let plain = render_plan(&plan, &PLAIN);
        assert!(
            !plain.contains('\x1b'),
            "escape code without color:\n{plain}"
        );
        let colored = render_plan(
            &plan,
            &RenderOptions {
                color: true,
                policy_diff: PolicyDiffStyle::Statements,
            },
        );
        assert!(colored.contains("\x1b["));
        let stripped = regex_free_strip(&colored);
        assert_eq!(stripped, plain, "color must only add escape codes");
    }
}

/// Removes `ESC [ ... m` sequences.
fn regex_free_strip(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for d in chars.by_ref() {
                if d == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn json_plan_create() {
    let json = plan_json(&create_plan());
    insta::assert_snapshot!(serde_json::to_string_pretty(&json).unwrap());
}

#[test]
fn json_plan_update_replace_delete_drift() {
    let mut plan = update_plan();
    plan.changes.extend(replace_plan().changes);
    plan.changes.extend(delete_plan().changes);
    plan.changes.extend(
        import_plan()
            .changes
            .into_iter()
            .filter(|c| c.address.to_string() != "aws_iam_role.manager"),
    );
    plan.drift = drift_plan().drift;
    let json = plan_json_with_configuration(&plan, Some(&serde_json::json!({"root_module": {}})));
    assert_eq!(
        json,
        plan_json_with_configuration(&plan, Some(&serde_json::json!({"root_module": {}}))),
        "deterministic"
    );
    insta::assert_snapshot!(serde_json::to_string_pretty(&json).unwrap());
}

const SOURCE: &str = "resource \"aws_iam_role\" \"manager\" {\n  nme                = \"ai-unlimited-manager\"\n  assume_role_policy = data.aws_iam_policy_document.trust.json\n}\n";

fn span(line: usize, col: usize, end_line: usize, end_col: usize) -> Option<Span> {
    Some(Span {
        file: PathBuf::from("main.tf"),
        start: Position {
            line,
            column: col,
            byte: 0,
        },
        end: Position {
            line: end_line,
            column: end_col,
            byte: 0,
        },
    })
}

#[test]
fn diagnostics_with_snippets() {
    let mut diags = Diagnostics::new();
    diags.push(
        Diagnostic::error(
            "Unsupported argument",
            "An argument named \"nme\" is not expected here. Did you mean \"name\"?",
        )
        .with_span(span(2, 3, 2, 6)),
    );
    diags.push(
        Diagnostic::warning(
            "Deprecated attribute",
            "Blocks spanning lines are underlined on their first and last line.",
        )
        .with_span(span(1, 1, 4, 2)),
    );
    diags.push(Diagnostic::error(
        "No configuration files",
        "The directory has no .tf files.",
    ));
    diags.push(
        Diagnostic::error(
            "Missing file",
            "The snippet is left out when the source cannot be read.",
        )
        .with_span(Some(Span {
            file: PathBuf::from("gone.tf"),
            start: Position {
                line: 3,
                column: 1,
                byte: 0,
            },
            end: Position {
                line: 3,
                column: 4,
                byte: 0,
            },
        })),
    );
    let sources = |p: &Path| (p == Path::new("main.tf")).then(|| SOURCE.to_string());
    let text = render_diagnostics(&diags, &sources, false);
    assert!(text.contains("main.tf:2:3"));
    assert!(!text.contains('\x1b'));
    assert!(render_diagnostics(&diags, &sources, true).contains('\x1b'));
    insta::assert_snapshot!(text);
}

fn sample_state() -> aiu_state::State {
    let mut state = aiu_state::State::new();
    state.lineage = "00000000-0000-4000-8000-000000000000".into();
    let to_map = |v: &Value| v.to_json().as_object().unwrap().clone();
    state.set_instance(
        &addr("aws_iam_role.manager"),
        to_map(&role_state("ai-unlimited-manager", "AI Unlimited manager")),
        vec![],
    );
    state.set_instance(
        &addr("aws_iam_policy.workspaces"),
        to_map(&policy_state(POLICY_V1)),
        vec![],
    );
    state.set_instance(
        &addr("data.aws_caller_identity.current"),
        to_map(&obj(&[
            ("account_id", s("111111111111")),
            ("arn", s("arn:aws:iam::111111111111:user/ci")),
            ("id", s("111111111111")),
            ("user_id", s("AIDAEXAMPLE")),
        ])),
        vec![],
    );
    state.outputs.insert(
        "manager_role_arn".into(),
        aiu_state::OutputState {
            value: serde_json::json!(ROLE_ARN),
            sensitive: false,
        },
    );
    state.outputs.insert(
        "role_names".into(),
        aiu_state::OutputState {
            value: serde_json::json!(["ai-unlimited-manager", "ai-unlimited-engine"]),
            sensitive: false,
        },
    );
    state.outputs.insert(
        "secret".into(),
        aiu_state::OutputState {
            value: serde_json::json!("hunter2"),
            sensitive: true,
        },
    );
    state
}

#[test]
fn state_like_terraform_show() {
    insta::assert_snapshot!(render_state(&sample_state()));
}

#[test]
fn empty_state() {
    assert_eq!(
        render_state(&aiu_state::State::new()),
        "The state is empty. No resources are represented.\n"
    );
}

#[test]
fn outputs_hide_sensitive_values_unless_revealed() {
    let state = sample_state();
    let hidden = render_outputs(&state);
    assert_eq!(hidden, render_output_values(&state.outputs, false));
    assert!(hidden.contains("secret = (sensitive value)"));
    assert!(!hidden.contains("hunter2"));
    assert!(render_output_values(&state.outputs, true).contains("secret = \"hunter2\""));
    insta::assert_snapshot!(hidden);
}
