//! `check` blocks with `assert_access`: what loads, and every malformed assertion reported at
//! its span.

mod common;

use aiu_config::AccessExpect;
use aiu_model::InstanceAddress;
use common::{check, summaries};

const ROLE: &str = r#"
variable "account" {
  default = "111111111111"
}

resource "aws_iam_role" "engine" {
  name               = "engine"
  assume_role_policy = "{}"
}

resource "aws_iam_policy" "p" {
  name   = "p"
  policy = "{}"
}
"#;

fn with_check(check_text: &str) -> (aiu_config::Config, aiu_config::Diagnostics) {
    check(&[("main.tf", ROLE), ("checks.tf", check_text)])
}

#[test]
fn well_formed_assertions_load_with_their_role_and_expectation() {
    let (config, diags) = with_check(
        r#"
check "engine" {
  assert_access {
    principal = aws_iam_role.engine
    action    = "secretsmanager:GetSecretValue"
    resource  = "arn:aws:secretsmanager:us-west-2:${var.account}:secret:compute-engine/c1/db-AbCdEf"
    context   = { "aws:SourceIp" = "10.0.0.1" }
    expect    = "allow"
  }
  assert_access {
    principal = aws_iam_role.engine.name
    action    = "sts:AssumeRole"
    caller    = "ec2.amazonaws.com"
    expect    = "DENY"
  }
}
"#,
    );
    assert!(diags.is_empty(), "{diags:?}");
    let access = &config.checks[0].access;
    assert_eq!(access.len(), 2);
    let engine: InstanceAddress = "aws_iam_role.engine".parse().unwrap();
    assert_eq!(access[0].role.as_ref(), Some(&engine));
    assert_eq!(access[0].expect, AccessExpect::Allow);
    assert!(access[0].context.is_some() && access[0].caller.is_none());
    assert_eq!(access[1].role.as_ref(), Some(&engine));
    assert_eq!(access[1].expect, AccessExpect::Deny);
    assert!(access[1].resource.is_none() && access[1].caller.is_some());
}

#[test]
fn missing_action_and_bad_expect_are_reported_at_their_spans() {
    let (config, diags) = with_check(
        r#"check "bad" {
  assert_access {
    principal = aws_iam_role.engine
    resource  = "*"
    expect    = "maybe"
  }
}
"#,
    );
    assert_eq!(
        summaries(&config, &diags),
        [
            "checks.tf:2:3: Missing required argument",
            "checks.tf:5:17: Invalid expect value"
        ],
        "{diags:?}"
    );
    assert!(
        diags.0[0].detail.contains("\"action\""),
        "{}",
        diags.0[0].detail
    );
    assert!(
        diags.0[1].detail.contains("\"allow\" or \"deny\""),
        "{}",
        diags.0[1].detail
    );
    assert!(config.checks[0].access.is_empty());
}

#[test]
fn expect_must_be_a_literal_and_principal_a_role() {
    let (config, diags) = with_check(
        r#"check "bad" {
  assert_access {
    principal = aws_iam_policy.p
    action    = "iam:PassRole"
    resource  = "*"
    expect    = var.account
  }
}
"#,
    );
    assert_eq!(
        summaries(&config, &diags),
        [
            "checks.tf:6:17: Invalid expect value",
            "checks.tf:3:17: Invalid principal"
        ],
        "{diags:?}"
    );
}

#[test]
fn missing_principal_expect_and_resource_each_reported() {
    let (config, diags) = with_check(
        r#"check "bad" {
  assert_access {
    action = "s3:GetObject"
  }
}
"#,
    );
    let s = summaries(&config, &diags);
    assert_eq!(
        s, ["checks.tf:2:3: Missing required argument"; 3],
        "{diags:?}"
    );
    let details: Vec<&str> = diags.iter().map(|d| d.detail.as_str()).collect();
    assert!(details[0].contains("\"principal\""), "{details:?}");
    assert!(details[1].contains("\"expect\""), "{details:?}");
    assert!(
        details[2].contains("\"resource\"") && details[2].contains("caller"),
        "{details:?}"
    );
}

#[test]
fn unknown_arguments_nested_blocks_and_both_resource_and_caller_are_errors() {
    let (config, diags) = with_check(
        r#"check "bad" {
  assert_access {
    principal = aws_iam_role.engine
    actions   = ["s3:GetObject"]
    action    = "s3:GetObject"
    resource  = "*"
    caller    = "ec2.amazonaws.com"
    expect    = "allow"
    context {
    }
  }
}
"#,
    );
    assert_eq!(
        summaries(&config, &diags),
        [
            "checks.tf:4:5: Unsupported argument",
            "checks.tf:9:5: Unsupported block type",
            "checks.tf:2:3: Conflicting arguments"
        ],
        "{diags:?}"
    );
    assert!(
        diags
            .iter()
            .any(|d| d.detail.contains("Did you mean \"action\"")),
        "{diags:?}"
    );
}

#[test]
fn references_in_assertions_are_checked_like_any_other() {
    let (config, diags) = with_check(
        r#"check "refs" {
  assert_access {
    principal = aws_iam_role.engin
    action    = "s3:GetObject"
    resource  = "arn:aws:s3:::${var.bucket}/*"
    expect    = "allow"
  }
}
"#,
    );
    assert_eq!(
        summaries(&config, &diags),
        [
            "checks.tf:3:17: Reference to undeclared resource",
            "checks.tf:5:33: Reference to undeclared input variable"
        ],
        "{diags:?}"
    );
}
