//! `aws_iam_policy_document` evaluated locally: the expected strings are what the Terraform AWS
//! provider stores in `json` / `minified_json` for the same arguments.

use aiu_model::Value;
use aiu_policy::{build_policy_document, build_policy_document_or_unknown, equivalent};

fn list(items: &[&str]) -> Value {
    Value::List(items.iter().map(|s| Value::from(*s)).collect())
}

fn principals(kind: &str, ids: &[&str]) -> Value {
    Value::object([("type", Value::from(kind)), ("identifiers", list(ids))])
}

fn condition(test: &str, variable: &str, values: &[&str]) -> Value {
    Value::object([
        ("test", Value::from(test)),
        ("variable", Value::from(variable)),
        ("values", list(values)),
    ])
}

fn doc(statements: Vec<Value>) -> Value {
    Value::object([("statement", Value::List(statements))])
}

#[test]
fn assume_role_policy_single_elements_are_strings() {
    let args = doc(vec![Value::object([
        ("actions", list(&["sts:AssumeRole"])),
        (
            "principals",
            Value::List(vec![principals("Service", &["ec2.amazonaws.com"])]),
        ),
    ])]);
    let built = build_policy_document(&args).unwrap();
    assert_eq!(
        built.json,
        r#"{
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
}"#
    );
    assert_eq!(
        built.minified_json,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"ec2.amazonaws.com"}}]}"#
    );
}

#[test]
fn sets_are_deduplicated_and_sorted_descending_in_provider_key_order() {
    let args = Value::object([
        ("policy_id", Value::from("my-policy")),
        (
            "statement",
            Value::List(vec![Value::object([
                ("sid", Value::from("Rw")),
                ("effect", Value::from("Deny")),
                (
                    "actions",
                    list(&[
                        "s3:GetObject",
                        "s3:PutObject",
                        "s3:GetObject",
                        "s3:DeleteObject",
                    ]),
                ),
                ("not_actions", list(&["iam:*"])),
                ("resources", list(&["arn:aws:s3:::a/*", "arn:aws:s3:::b/*"])),
                ("not_resources", list(&["arn:aws:s3:::c"])),
            ])]),
        ),
    ]);
    assert_eq!(
        build_policy_document(&args).unwrap().minified_json,
        r#"{"Version":"2012-10-17","Id":"my-policy","Statement":[{"Sid":"Rw","Effect":"Deny","Action":["s3:PutObject","s3:GetObject","s3:DeleteObject"],"NotAction":"iam:*","Resource":["arn:aws:s3:::b/*","arn:aws:s3:::a/*"],"NotResource":"arn:aws:s3:::c"}]}"#
    );
}

#[test]
fn principals_of_the_same_type_are_merged_and_types_sorted() {
    let args = doc(vec![Value::object([
        ("actions", list(&["sts:AssumeRole"])),
        (
            "principals",
            Value::List(vec![
                principals("Service", &["ec2.amazonaws.com"]),
                principals("AWS", &["arn:aws:iam::111111111111:root"]),
                principals(
                    "AWS",
                    &[
                        "arn:aws:iam::222222222222:role/a",
                        "arn:aws:iam::333333333333:role/b",
                    ],
                ),
            ]),
        ),
        (
            "not_principals",
            Value::List(vec![principals(
                "Federated",
                &["cognito-identity.amazonaws.com"],
            )]),
        ),
    ])]);
    assert_eq!(
        build_policy_document(&args).unwrap().json,
        r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": "sts:AssumeRole",
      "Principal": {
        "AWS": [
          "arn:aws:iam::111111111111:root",
          "arn:aws:iam::333333333333:role/b",
          "arn:aws:iam::222222222222:role/a"
        ],
        "Service": "ec2.amazonaws.com"
      },
      "NotPrincipal": {
        "Federated": "cognito-identity.amazonaws.com"
      }
    }
  ]
}"#
    );
}

#[test]
fn wildcard_principal_block_renders_as_star() {
    let args = doc(vec![Value::object([
        ("actions", list(&["s3:GetObject"])),
        ("resources", list(&["*"])),
        ("principals", Value::List(vec![principals("*", &["*"])])),
    ])]);
    assert_eq!(
        build_policy_document(&args).unwrap().minified_json,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Principal":"*"}]}"#
    );
}

#[test]
fn conditions_keep_value_order_and_interpolate_policy_variables() {
    let args = doc(vec![Value::object([
        ("actions", list(&["s3:ListBucket"])),
        ("resources", list(&["arn:aws:s3:::home/&{aws:username}"])),
        (
            "condition",
            Value::List(vec![
                condition(
                    "StringLike",
                    "s3:prefix",
                    &["home/&{aws:username}/*", "", "home/"],
                ),
                condition("Bool", "aws:SecureTransport", &["true"]),
                condition("StringLike", "s3:prefix", &["public/"]),
            ]),
        ),
    ])]);
    assert_eq!(
        build_policy_document(&args).unwrap().json,
        r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": "s3:ListBucket",
      "Resource": "arn:aws:s3:::home/${aws:username}",
      "Condition": {
        "Bool": {
          "aws:SecureTransport": "true"
        },
        "StringLike": {
          "s3:prefix": [
            "home/${aws:username}/*",
            "",
            "home/",
            "public/"
          ]
        }
      }
    }
  ]
}"#
    );
}

#[test]
fn policy_variables_are_rejected_with_version_2008() {
    let args = Value::object([
        ("version", Value::from("2008-10-17")),
        (
            "statement",
            Value::List(vec![Value::object([(
                "resources",
                list(&["arn:aws:s3:::&{aws:username}"]),
            )])]),
        ),
    ]);
    let e = build_policy_document(&args).unwrap_err();
    assert_eq!(e.path, "statement[0].resources");
    assert!(
        e.message
            .contains("not supported in document version 2008-10-17"),
        "{e}"
    );
}

#[test]
fn source_documents_then_statements_then_overrides_merge_by_sid() {
    let source = r#"{"Version":"2012-10-17","Statement":[
        {"Sid":"Keep","Effect":"Allow","Action":["ec2:DescribeInstances","ec2:DescribeVpcs"],"Resource":"*"},
        {"Sid":"Replace","Effect":"Allow","Action":"s3:*","Resource":"*"},
        {"Effect":"Allow","Action":"logs:PutLogEvents","Resource":"*"}]}"#;
    let override_doc = r#"{"Id":"overridden","Statement":[{"Sid":"Keep","Effect":"Deny","Action":"ec2:*","Resource":"*","Principal":{"AWS":["b","a"]},"Condition":{"Bool":{"aws:SecureTransport":false},"StringEquals":{"k":["only"]}}}]}"#;
    let args = Value::object([
        ("source_policy_documents", list(&[source])),
        ("override_policy_documents", list(&[override_doc])),
        (
            "statement",
            Value::List(vec![
                Value::object([
                    ("sid", Value::from("Replace")),
                    ("actions", list(&["s3:GetObject"])),
                    ("resources", list(&["arn:aws:s3:::b/*"])),
                ]),
                Value::object([
                    ("sid", Value::from("New")),
                    ("actions", list(&["sqs:SendMessage"])),
                    ("resources", list(&["*"])),
                ]),
            ]),
        ),
    ]);
    assert_eq!(
        build_policy_document(&args).unwrap().json,
        r#"{
  "Version": "2012-10-17",
  "Id": "overridden",
  "Statement": [
    {
      "Sid": "Keep",
      "Effect": "Deny",
      "Action": "ec2:*",
      "Resource": "*",
      "Principal": {
        "AWS": [
          "b",
          "a"
        ]
      },
      "Condition": {
        "Bool": {
          "aws:SecureTransport": "false"
        },
        "StringEquals": {
          "k": "only"
        }
      }
    },
    {
      "Sid": "Replace",
      "Effect": "Allow",
      "Action": "s3:GetObject",
      "Resource": "arn:aws:s3:::b/*"
    },
    {
      "Effect": "Allow",
      "Action": "logs:PutLogEvents",
      "Resource": "*"
    },
    {
      "Sid": "New",
      "Effect": "Allow",
      "Action": "sqs:SendMessage",
      "Resource": "*"
    }
  ]
}"#
    );
}

#[test]
fn source_documents_keep_their_action_lists_as_written() {
    let source = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:PutObject"],"Resource":["b","a"]}]}"#;
    let args = Value::object([("source_policy_documents", list(&[source]))]);
    assert_eq!(
        build_policy_document(&args).unwrap().minified_json,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:PutObject"],"Resource":["b","a"]}]}"#
    );
}

#[test]
fn duplicate_sids_across_source_documents_are_an_error() {
    let a = r#"{"Statement":[{"Sid":"X","Effect":"Allow","Action":"a:b","Resource":"*"}]}"#;
    let args = Value::object([("source_policy_documents", list(&[a, a]))]);
    let e = build_policy_document(&args).unwrap_err();
    assert_eq!(e.path, "source_policy_documents[1].Statement[0].Sid");
    assert!(e.message.starts_with("duplicate Sid (X)"), "{e}");
}

#[test]
fn duplicate_sids_in_statements_are_an_error() {
    let s = Value::object([("sid", Value::from("A")), ("actions", list(&["a:b"]))]);
    let e = build_policy_document(&doc(vec![s.clone(), s])).unwrap_err();
    assert_eq!(
        e.to_string(),
        "statement[1].sid: duplicate Sid (A). Remove the Sid or ensure the Sid is unique."
    );
}

#[test]
fn invalid_effect_and_version_are_errors() {
    let e = build_policy_document(&doc(vec![Value::object([(
        "effect",
        Value::from("allow"),
    )])]))
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        r#"statement[0].effect: expected "Allow" or "Deny", got "allow""#
    );
    let e = build_policy_document(&Value::object([("version", Value::from("2020-01-01"))]))
        .unwrap_err();
    assert_eq!(e.path, "version");
}

#[test]
fn no_statements_gives_a_version_only_document() {
    let built = build_policy_document(&Value::object(Vec::<(&str, Value)>::new())).unwrap();
    assert_eq!(built.minified_json, r#"{"Version":"2012-10-17"}"#);
    assert_eq!(built.json, "{\n  \"Version\": \"2012-10-17\"\n}");
}

#[test]
fn html_characters_are_escaped_like_go() {
    let args = doc(vec![Value::object([
        ("actions", list(&["secretsmanager:GetSecretValue"])),
        (
            "resources",
            list(&["arn:aws:secretsmanager:<REGION>:<ACCOUNT_ID>:secret:a&b/*"]),
        ),
    ])]);
    let built = build_policy_document(&args).unwrap();
    assert!(
        built.minified_json.contains(r#""Resource":"arn:aws:secretsmanager:\u003cREGION\u003e:\u003cACCOUNT_ID\u003e:secret:a\u0026b/*""#),
        "{}",
        built.minified_json
    );
    // Still the same policy once parsed.
    assert!(equivalent(
        &built.json,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:<REGION>:<ACCOUNT_ID>:secret:a&b/*"}]}"#
    ));
}

#[test]
fn unknown_arguments_make_the_document_unknown() {
    let args = doc(vec![Value::object([
        ("actions", list(&["s3:GetObject"])),
        ("resources", Value::List(vec![Value::Unknown])),
    ])]);
    assert_eq!(build_policy_document_or_unknown(&args).unwrap(), None);
    assert!(build_policy_document(&args).is_err());
    // Computed attributes that are still unknown do not count.
    let mut known = doc(vec![Value::object([("actions", list(&["s3:GetObject"]))])]);
    if let Value::Object(m) = &mut known {
        m.insert("json".into(), Value::Unknown);
    }
    assert!(build_policy_document_or_unknown(&known).unwrap().is_some());
}

#[test]
fn built_documents_parse_and_round_trip_through_equivalence() {
    let args = doc(vec![Value::object([
        ("actions", list(&["s3:GetObject", "s3:PutObject"])),
        ("resources", list(&["*"])),
        (
            "condition",
            Value::List(vec![condition("Bool", "aws:SecureTransport", &["true"])]),
        ),
    ])]);
    let built = build_policy_document(&args).unwrap();
    assert!(equivalent(&built.json, &built.minified_json));
    assert!(equivalent(
        &built.json,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"*","Condition":{"Bool":{"aws:SecureTransport":true}}}]}"#
    ));
}
