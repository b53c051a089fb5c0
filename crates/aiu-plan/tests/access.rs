//! `aiu_plan::access` on real offline plans: assert_access blocks that pass, fail, or cannot be
//! decided before apply; the access diff between a prior state and a changed configuration.

use std::collections::BTreeMap;
use std::path::Path;

use aiu_model::{Severity, Value};
use aiu_plan::access::{access_diff, assertion_diagnostics, check_assertions, AssertionStatus};
use aiu_plan::{Offline, Plan, PlanInput};
use aiu_state::State;

/// Plans `dir` offline against `prior`; panics on configuration errors (these are test inputs).
fn plan_dir(dir: &Path, prior: &State) -> (Plan, aiu_model::Diagnostics) {
    let (config, diags) = aiu_config::load_dir(dir);
    assert!(!diags.has_errors(), "{diags:?}");
    let (variables, diags) =
        aiu_config::resolve_variables(&config, &aiu_config::VarInputs::default());
    assert!(!diags.has_errors(), "{diags:?}");
    let input = PlanInput {
        config: &config,
        variables: &variables,
        prior,
        reader: &Offline,
        destroy: false,
        default_tags: BTreeMap::new(),
    };
    aiu_plan::plan(&input)
}

fn plan_text(files: &[(&str, &str)], prior: &State) -> (Plan, aiu_model::Diagnostics) {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    plan_dir(dir.path(), prior)
}

/// The state apply would leave, with values known only after apply made up (ARNs from names).
fn applied(plan: &Plan) -> State {
    let mut state = State::new();
    for c in plan
        .changes
        .iter()
        .filter(|c| c.address.resource.mode == aiu_model::ResourceMode::Managed)
    {
        let Some(Value::Object(after)) = &c.after else {
            continue;
        };
        let name = after
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("x")
            .to_owned();
        let mut attrs = serde_json::Map::new();
        for (k, v) in after {
            let v = match (k.as_str(), v) {
                ("arn", Value::Unknown) => {
                    let kind = if c.address.resource.type_name == "aws_iam_policy" {
                        "policy"
                    } else {
                        "role"
                    };
                    Value::from(format!("arn:aws:iam::111111111111:{kind}/{name}"))
                }
                ("policy_arn", Value::Unknown) => {
                    Value::from(format!("arn:aws:iam::111111111111:policy/{name}"))
                }
                (_, Value::Unknown) => Value::from("x"),
                (_, v) => v.clone(),
            };
            attrs.insert(k.clone(), v.to_json());
        }
        state.set_instance(&c.address, attrs, c.dependencies.clone());
    }
    state
}

const ROLE: &str = r#"
resource "aws_iam_role" "engine" {
  name = "engine"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ec2.amazonaws.com" } }]
  })
}
"#;

fn inline(actions: &str, resource: &str) -> String {
    format!(
        r#"
resource "aws_iam_role_policy" "secrets" {{
  name = "secrets"
  role = aws_iam_role.engine.name
  policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Action = {actions}, Resource = "{resource}" }}]
  }})
}}
"#
    )
}

const SECRET: &str =
    "arn:aws:secretsmanager:us-west-2:111111111111:secret:compute-engine/c1/db-AbCdEf";
const PREFIX: &str = "arn:aws:secretsmanager:us-west-2:111111111111:secret:compute-engine/*";

#[test]
fn the_ai_unlimited_fixture_passes_every_assertion() {
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/access/ai-unlimited");
    let (plan, diags) = plan_dir(&dir, &State::new());
    assert!(!diags.has_errors(), "{diags:?}");
    let results = check_assertions(&plan, None);
    assert_eq!(results.len(), 8, "{results:#?}");
    for r in &results {
        assert_eq!(r.status, AssertionStatus::Passed, "{r:#?}");
    }
    // The documented exact ARN denies the real one; the trailing * allows it.
    let exact = results
        .iter()
        .find(|r| r.check == "exact_secret_arn_matches_no_real_secret")
        .unwrap();
    assert_eq!(
        exact.decision.as_ref().unwrap().outcome,
        aiu_policy::Outcome::ImplicitDeny
    );
    let engine = results
        .iter()
        .find(|r| r.check == "engine_reads_its_secrets")
        .unwrap();
    assert_eq!(engine.target, SECRET);
    assert!(engine.decision.as_ref().unwrap().outcome.is_allowed());
    assert!(assertion_diagnostics(&plan, None).is_empty());
}

#[test]
fn a_failed_assertion_is_an_error_at_the_assert_block_with_the_decision() {
    let check = r#"
check "outside" {
  assert_access {
    principal = aws_iam_role.engine
    action    = "secretsmanager:GetSecretValue"
    resource  = "arn:aws:secretsmanager:us-west-2:111111111111:secret:other/db-AbCdEf"
    expect    = "allow"
  }
}
"#;
    let main = format!(
        "{ROLE}{}",
        inline("\"secretsmanager:GetSecretValue\"", PREFIX)
    );
    let (plan, diags) = plan_text(&[("main.tf", &main), ("checks.tf", check)], &State::new());
    assert!(!diags.has_errors(), "{diags:?}");
    let d = assertion_diagnostics(&plan, None);
    assert_eq!(d.0.len(), 1, "{d:?}");
    let d = &d.0[0];
    assert_eq!(d.severity, Severity::Error);
    assert_eq!(d.summary, "Access assertion failed");
    assert!(
        d.detail.contains("check \"outside\": aws_iam_role.engine secretsmanager:GetSecretValue on arn:aws:secretsmanager"),
        "{}",
        d.detail
    );
    assert!(
        d.detail.contains("expected allow, got DENIED (implicit)"),
        "{}",
        d.detail
    );
    let span = d.span.as_ref().unwrap();
    assert!(span.file.ends_with("checks.tf"));
    assert_eq!((span.start.line, span.start.column), (3, 3));
}

#[test]
fn an_assertion_on_documents_unknown_before_apply_is_a_warning_not_a_pass() {
    let config = format!(
        r#"{ROLE}
data "aws_caller_identity" "current" {{}}

{}
check "reads" {{
  assert_access {{
    principal = aws_iam_role.engine
    action    = "secretsmanager:GetSecretValue"
    resource  = "{SECRET}"
    expect    = "allow"
  }}
}}
"#,
        inline(
            "\"secretsmanager:GetSecretValue\"",
            "arn:aws:secretsmanager:us-west-2:${data.aws_caller_identity.current.account_id}:secret:compute-engine/*"
        )
    );
    let (plan, diags) = plan_text(&[("main.tf", &config)], &State::new());
    assert!(!diags.has_errors(), "{diags:?}");
    let results = check_assertions(&plan, None);
    assert!(
        matches!(&results[0].status, AssertionStatus::Unknown(why) if why.contains("aws_iam_role_policy.secrets")),
        "{results:#?}"
    );
    let d = assertion_diagnostics(&plan, None);
    assert_eq!(d.0.len(), 1);
    assert_eq!(d.0[0].severity, Severity::Warning);
    assert_eq!(d.0[0].summary, "Access assertion not evaluated");
}

#[test]
fn an_explicit_deny_is_final_even_when_other_documents_are_unknown() {
    let config = format!(
        r#"{ROLE}
data "aws_caller_identity" "current" {{}}

{}
resource "aws_iam_role_policy" "deny" {{
  name = "deny"
  role = aws_iam_role.engine.name
  policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Deny", Action = "secretsmanager:DeleteSecret", Resource = "*" }}]
  }})
}}

check "no_delete" {{
  assert_access {{
    principal = aws_iam_role.engine
    action    = "secretsmanager:DeleteSecret"
    resource  = "{SECRET}"
    expect    = "deny"
  }}
}}
"#,
        inline("\"secretsmanager:*\"", "arn:aws:secretsmanager:us-west-2:${data.aws_caller_identity.current.account_id}:secret:*")
    );
    let (plan, _) = plan_text(&[("main.tf", &config)], &State::new());
    let results = check_assertions(&plan, None);
    assert_eq!(results[0].status, AssertionStatus::Passed, "{results:#?}");
}

#[test]
fn principals_by_name_and_trust_policy_callers() {
    let check = r#"
locals {
  engine_name = "engine"
}

check "trust" {
  assert_access {
    principal = local.engine_name
    action    = "sts:AssumeRole"
    caller    = "ec2.amazonaws.com"
    expect    = "allow"
  }
  assert_access {
    principal = aws_iam_role.engine.arn
    action    = "sts:AssumeRole"
    caller    = "lambda.amazonaws.com"
    expect    = "deny"
  }
  assert_access {
    principal = aws_iam_role.engine
    action    = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    resource  = "arn:aws:secretsmanager:us-west-2:111111111111:secret:compute-engine/c1/db-AbCdEf"
    context   = { "aws:SourceIp" = "10.0.0.1", "aws:TagKeys" = ["a", "b"] }
    expect    = "allow"
  }
}
"#;
    let main = format!(
        "{ROLE}{}",
        inline("[\"secretsmanager:GetSecretValue\"]", PREFIX)
    );
    let (plan, diags) = plan_text(&[("main.tf", &main), ("checks.tf", check)], &State::new());
    assert!(!diags.has_errors(), "{diags:?}");
    let results = check_assertions(&plan, None);
    let statuses: Vec<(&str, &AssertionStatus)> = results
        .iter()
        .map(|r| (r.action.as_str(), &r.status))
        .collect();
    assert_eq!(
        statuses,
        [
            ("sts:AssumeRole", &AssertionStatus::Passed),
            ("sts:AssumeRole", &AssertionStatus::Passed),
            ("secretsmanager:GetSecretValue", &AssertionStatus::Passed),
            ("secretsmanager:DescribeSecret", &AssertionStatus::Failed),
        ]
    );
    assert_eq!(results[0].role, "aws_iam_role.engine");
    let d = assertion_diagnostics(&plan, None);
    assert_eq!(d.0.len(), 1);
    assert!(
        d.0[0].detail.contains("secretsmanager:DescribeSecret"),
        "{}",
        d.0[0].detail
    );
}

#[test]
fn bad_argument_values_and_unknown_roles_are_errors() {
    let check = r#"
check "bad" {
  assert_access {
    principal = aws_iam_role.engine
    action    = 5
    resource  = "*"
    expect    = "allow"
  }
  assert_access {
    principal = "nobody"
    action    = "s3:GetObject"
    resource  = "*"
    expect    = "deny"
  }
}
"#;
    let (plan, diags) = plan_text(&[("main.tf", ROLE), ("checks.tf", check)], &State::new());
    let errors: Vec<&str> = diags.errors().map(|d| d.summary.as_str()).collect();
    assert_eq!(errors, ["Invalid assert_access argument"], "{diags:?}");
    let d = assertion_diagnostics(&plan, None);
    assert_eq!(d.0.len(), 1, "{d:?}");
    assert_eq!(d.0[0].summary, "Access assertion cannot be evaluated");
    assert!(
        d.0[0].detail.contains("no aws_iam_role named `nobody`"),
        "{}",
        d.0[0].detail
    );
}

#[test]
fn access_diff_lists_actions_gained_and_lost_on_named_resources() {
    let v1 = format!(
        "{ROLE}{}",
        inline(
            "[\"secretsmanager:GetSecretValue\", \"secretsmanager:DeleteSecret\"]",
            PREFIX
        )
    );
    let (plan1, diags) = plan_text(&[("main.tf", &v1)], &State::new());
    assert!(!diags.has_errors(), "{diags:?}");
    // A new role: everything it may do is new.
    let created = access_diff(&plan1, None);
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].change, "create");
    assert_eq!(created[0].newly_allowed.len(), 2);

    let state = applied(&plan1);
    let (same, _) = plan_text(&[("main.tf", &v1)], &state);
    assert!(
        access_diff(&same, None).is_empty(),
        "{:#?}",
        access_diff(&same, None)
    );

    let v2 = format!(
        "{ROLE}{}",
        inline(
            "[\"secretsmanager:GetSecretValue\", \"secretsmanager:DescribeSecret\"]",
            PREFIX
        )
    );
    let (plan2, _) = plan_text(&[("main.tf", &v2)], &state);
    let diff = access_diff(&plan2, None);
    assert_eq!(diff.len(), 1, "{diff:#?}");
    let d = &diff[0];
    assert_eq!(
        (d.role.as_str(), d.change),
        ("aws_iam_role.engine", "update")
    );
    let gained: Vec<(&str, &str)> = d
        .newly_allowed
        .iter()
        .map(|p| (p.action.as_str(), p.resource.as_str()))
        .collect();
    let lost: Vec<(&str, &str)> = d
        .no_longer_allowed
        .iter()
        .map(|p| (p.action.as_str(), p.resource.as_str()))
        .collect();
    assert_eq!(gained, [("secretsmanager:DescribeSecret", PREFIX)]);
    assert_eq!(lost, [("secretsmanager:DeleteSecret", PREFIX)]);
    let text = aiu_plan::access::render_access_diff(&diff);
    assert!(
        text.contains("+ allow secretsmanager:DescribeSecret on arn:aws:secretsmanager"),
        "{text}"
    );
    assert!(
        text.contains("- allow secretsmanager:DeleteSecret on arn:aws:secretsmanager"),
        "{text}"
    );
}

#[test]
fn access_diff_expands_wildcards_through_the_catalog() {
    let v1 = format!(
        "{ROLE}{}",
        inline("\"secretsmanager:GetSecretValue\"", PREFIX)
    );
    let (plan1, _) = plan_text(&[("main.tf", &v1)], &State::new());
    let state = applied(&plan1);
    let v2 = format!("{ROLE}{}", inline("\"secretsmanager:Get*\"", PREFIX));
    let (plan2, _) = plan_text(&[("main.tf", &v2)], &state);
    let diff = access_diff(&plan2, None);
    assert_eq!(diff.len(), 1);
    let gained: Vec<&str> = diff[0]
        .newly_allowed
        .iter()
        .map(|p| p.action.as_str())
        .collect();
    assert!(
        gained.contains(&"secretsmanager:GetResourcePolicy"),
        "{gained:?}"
    );
    assert!(
        !gained.contains(&"secretsmanager:GetSecretValue"),
        "{gained:?}"
    );
    assert!(
        gained.iter().all(|a| a.starts_with("secretsmanager:Get")),
        "{gained:?}"
    );
    assert!(diff[0].no_longer_allowed.is_empty());
}
