//! Evaluation helpers: bodies against schemas (types, defaults, nested and dynamic blocks) and
//! instance expansion with count / for_each.

mod common;

use std::collections::BTreeMap;

use aiu_config::{evaluate_body, expand_instances, EachOrCount, EvalContext, ResourceBlock};
use aiu_model::{InstanceKey, Value};
use common::{check, render_in};

fn ctx_with_vars(vars: &[(&str, Value)]) -> EvalContext {
    let mut root = BTreeMap::new();
    root.insert(
        "var".to_owned(),
        Value::object(vars.iter().map(|(k, v)| (*k, v.clone()))),
    );
    EvalContext {
        root,
        base_dir: ".".into(),
    }
}

fn one_resource(text: &str) -> ResourceBlock {
    let (config, diags) = check(&[("main.tf", text)]);
    assert!(!diags.has_errors(), "{}", render_in(&diags, &config.dir));
    config.resources.into_iter().next().expect("one resource")
}

fn eval_one(text: &str, ctx: &EvalContext) -> (Value, String) {
    let r = one_resource(text);
    let (v, diags) = evaluate_body(&r.body, r.schema.attributes, r.schema.blocks, ctx);
    (v, render_in(&diags, r.span.file.parent().unwrap()))
}

fn strs(items: &[&str]) -> Value {
    Value::List(items.iter().map(|s| Value::from(*s)).collect())
}

#[test]
fn attributes_are_converted_to_schema_types_with_defaults_and_without_computed_ones() {
    let (v, diags) = eval_one(
        r#"variable "n" {}
resource "aws_iam_role" "r" {
  name                 = "app"
  assume_role_policy   = "{}"
  max_session_duration = "7200"
  force_detach_policies = "true"
  tags                 = { count = 1, on = true }
  permissions_boundary = var.n
}
"#,
        &ctx_with_vars(&[("n", Value::Unknown)]),
    );
    assert_eq!(diags, "");
    let expected = Value::object([
        ("name", Value::from("app")),
        ("name_prefix", Value::Null),
        ("path", Value::from("/")),
        ("assume_role_policy", Value::from("{}")),
        ("description", Value::from("")),
        ("max_session_duration", Value::Number(7200.0)),
        ("permissions_boundary", Value::Unknown),
        ("force_detach_policies", Value::Bool(true)),
        (
            "tags",
            Value::object([("count", Value::from("1")), ("on", Value::from("true"))]),
        ),
    ]);
    assert_eq!(v, expected);
}

#[test]
fn wrong_types_are_reported_at_the_value_with_expected_and_actual_type() {
    let (_, diags) = eval_one(
        r#"variable "n" {}
resource "aws_iam_role" "r" {
  assume_role_policy   = "{}"
  tags                 = ["a"]
  max_session_duration = "long"
  description          = var.n
}
"#,
        &ctx_with_vars(&[]),
    );
    let lines: Vec<&str> = diags.lines().collect();
    assert_eq!(lines.len(), 3, "{diags}");
    assert!(lines[0].starts_with("main.tf:6:26: "), "{diags}");
    assert_eq!(
        lines[1],
        "main.tf:5:26: Incorrect attribute value type: Inappropriate value for attribute \"max_session_duration\": \
         number required, \"long\" is not a number."
    );
    assert_eq!(
        lines[2],
        "main.tf:4:26: Incorrect attribute value type: Inappropriate value for attribute \"tags\": map(string) \
         required, got list."
    );
}

#[test]
fn nested_and_dynamic_blocks_become_lists_in_source_order() {
    let (v, diags) = eval_one(
        r#"variable "buckets" {}
data "aws_iam_policy_document" "d" {
  statement {
    sid     = "first"
    actions = ["s3:PutObject", "s3:GetObject", "s3:GetObject"]
  }
  dynamic "statement" {
    for_each = var.buckets
    iterator = b
    content {
      sid       = "b${b.key}"
      resources = ["arn:aws:s3:::${b.value}"]
      principals {
        type        = "AWS"
        identifiers = ["*"]
      }
    }
  }
  statement {
    sid = "last"
  }
}
"#,
        &ctx_with_vars(&[("buckets", strs(&["x", "y"]))]),
    );
    assert_eq!(diags, "");
    let statements = v
        .get("statement")
        .and_then(Value::as_list)
        .expect("statement list");
    let sids: Vec<&str> = statements
        .iter()
        .map(|s| s.get("sid").and_then(Value::as_str).unwrap())
        .collect();
    assert_eq!(sids, ["first", "b0", "b1", "last"]);
    assert_eq!(
        statements[0].get("actions"),
        Some(&strs(&["s3:GetObject", "s3:PutObject"]))
    );
    assert_eq!(statements[0].get("effect"), Some(&Value::from("Allow")));
    assert_eq!(statements[0].get("principals"), Some(&Value::List(vec![])));
    assert_eq!(
        statements[2].get("resources"),
        Some(&strs(&["arn:aws:s3:::y"]))
    );
    assert_eq!(
        statements[1].get("principals"),
        Some(&Value::List(vec![Value::object([
            ("type", Value::from("AWS")),
            ("identifiers", strs(&["*"]))
        ])]))
    );
    assert_eq!(
        v.get("json"),
        None,
        "computed attributes are left to the planner"
    );
    assert_eq!(v.get("version"), Some(&Value::Null));
}

#[test]
fn a_dynamic_block_over_an_unknown_collection_makes_the_block_list_unknown() {
    let (v, diags) = eval_one(
        r#"variable "buckets" {}
data "aws_iam_policy_document" "d" {
  dynamic "statement" {
    for_each = var.buckets
    content {
      resources = [statement.value]
    }
  }
}
"#,
        &ctx_with_vars(&[("buckets", Value::Unknown)]),
    );
    assert_eq!(diags, "");
    assert_eq!(v.get("statement"), Some(&Value::Unknown));
}

fn instances(
    text: &str,
    vars: &[(&str, Value)],
) -> Result<Vec<(InstanceKey, Option<EachOrCount>)>, String> {
    let r = one_resource(text);
    expand_instances(&r, &ctx_with_vars(vars)).map_err(|d| {
        let s = d
            .span
            .as_ref()
            .map(|s| format!("{}:{}", s.start.line, s.start.column))
            .unwrap_or_default();
        format!("{s}: {}: {}", d.summary, d.detail)
    })
}

const VAR_AND: &str = "variable \"v\" {}\n";

fn policy_with(meta: &str) -> String {
    format!("{VAR_AND}resource \"aws_iam_policy\" \"p\" {{\n  {meta}\n  policy = \"{{}}\"\n}}\n")
}

#[test]
fn without_count_or_for_each_there_is_one_unkeyed_instance() {
    assert_eq!(
        instances(&policy_with(""), &[]),
        Ok(vec![(InstanceKey::None, None)])
    );
}

#[test]
fn count_gives_numbered_instances() {
    assert_eq!(
        instances(&policy_with("count = var.v"), &[("v", Value::Number(2.0))]),
        Ok(vec![
            (InstanceKey::Int(0), Some(EachOrCount::Count(0))),
            (InstanceKey::Int(1), Some(EachOrCount::Count(1)))
        ])
    );
    assert_eq!(instances(&policy_with("count = 0"), &[]), Ok(vec![]));
}

#[test]
fn count_must_be_a_known_non_negative_whole_number() {
    let err = instances(&policy_with("count = var.v"), &[("v", Value::Number(-1.0))]).unwrap_err();
    assert!(err.starts_with("3:11: Invalid count argument: "), "{err}");
    assert!(err.contains("non-negative whole number, got -1"), "{err}");
    let err = instances(&policy_with("count = var.v"), &[("v", Value::Number(1.5))]).unwrap_err();
    assert!(err.contains("got 1.5"), "{err}");
    let err = instances(&policy_with("count = var.v"), &[("v", Value::Unknown)]).unwrap_err();
    assert!(err.contains("cannot be determined until apply"), "{err}");
}

#[test]
fn a_count_beyond_any_iam_quota_is_an_error_not_an_allocation() {
    for huge in [1e9, 1e300] {
        let err =
            instances(&policy_with("count = var.v"), &[("v", Value::Number(huge))]).unwrap_err();
        assert!(err.starts_with("3:11: Invalid count argument: "), "{err}");
        assert!(err.contains("more than the 100000 instances"), "{err}");
    }
    let at_limit = instances(&policy_with("count = 100000"), &[]).unwrap();
    assert_eq!(at_limit.len(), 100_000);
}

#[test]
fn for_each_over_a_map_binds_key_and_value() {
    let m = Value::object([("b", Value::from(2i64)), ("a", Value::from(1i64))]);
    assert_eq!(
        instances(&policy_with("for_each = var.v"), &[("v", m)]),
        Ok(vec![
            (
                InstanceKey::Str("a".into()),
                Some(EachOrCount::Each {
                    key: "a".into(),
                    value: Value::Number(1.0)
                })
            ),
            (
                InstanceKey::Str("b".into()),
                Some(EachOrCount::Each {
                    key: "b".into(),
                    value: Value::Number(2.0)
                })
            ),
        ])
    );
}

#[test]
fn for_each_over_a_set_of_strings_uses_each_element_as_key_and_value() {
    assert_eq!(
        instances(&policy_with("for_each = toset([\"b\", \"a\", \"b\"])"), &[]),
        Ok(vec![
            (
                InstanceKey::Str("a".into()),
                Some(EachOrCount::Each {
                    key: "a".into(),
                    value: Value::from("a")
                })
            ),
            (
                InstanceKey::Str("b".into()),
                Some(EachOrCount::Each {
                    key: "b".into(),
                    value: Value::from("b")
                })
            ),
        ])
    );
}

#[test]
fn for_each_over_a_list_is_rejected_with_the_toset_fix() {
    let err = instances(&policy_with("for_each = [\"a\", \"b\"]"), &[]).unwrap_err();
    assert!(
        err.starts_with("3:14: Invalid for_each argument: "),
        "{err}"
    );
    assert!(err.contains("must be a map, or set of strings"), "{err}");
    assert!(err.contains("toset("), "{err}");
    // A list value that cannot be a set (unsorted) is rejected too.
    let err = instances(
        &policy_with("for_each = var.v"),
        &[("v", strs(&["b", "a"]))],
    )
    .unwrap_err();
    assert!(err.contains("toset("), "{err}");
}

#[test]
fn for_each_with_unknown_keys_cannot_be_planned() {
    for v in [
        Value::Unknown,
        Value::List(vec![Value::from("a"), Value::Unknown]),
    ] {
        let err = instances(&policy_with("for_each = var.v"), &[("v", v)]).unwrap_err();
        assert!(
            err.starts_with("3:14: Invalid for_each argument: "),
            "{err}"
        );
        assert!(err.contains("cannot be determined until apply"), "{err}");
    }
    let err = instances(&policy_with("for_each = var.v"), &[("v", Value::Null)]).unwrap_err();
    assert!(err.contains("null"), "{err}");
}

#[test]
fn each_or_count_binds_into_a_context() {
    let mut ctx = EvalContext::default();
    EachOrCount::Each {
        key: "k".into(),
        value: Value::from(1i64),
    }
    .bind(&mut ctx);
    EachOrCount::Count(3).bind(&mut ctx);
    assert_eq!(
        ctx.root["each"],
        Value::object([("key", Value::from("k")), ("value", Value::from(1i64))])
    );
    assert_eq!(
        ctx.root["count"],
        Value::object([("index", Value::from(3i64))])
    );
}

/// `each` bindings of the import block in `text` (a role resource plus one import with for_each).
fn import_elements(for_each: &str, vars: &[(&str, Value)]) -> Vec<(Value, Value)> {
    let text = format!(
        "variable \"names\" {{}}\nresource \"aws_iam_role\" \"r\" {{\n  assume_role_policy = \"{{}}\"\n}}\nimport {{\n  for_each = {for_each}\n  to       = aws_iam_role.r[each.key]\n  id       = \"x\"\n}}\n"
    );
    let (config, diags) = check(&[("main.tf", &text)]);
    assert!(!diags.has_errors(), "{}", render_in(&diags, &config.dir));
    let e = config.imports[0].for_each.as_ref().expect("for_each");
    aiu_config::import_for_each(e, &ctx_with_vars(vars))
        .expect("for_each evaluates")
        .into_iter()
        .map(|each| (each.key, each.value))
        .collect()
}

#[test]
fn import_for_each_iterates_like_terraform() {
    let s = |v: &str| Value::from(v);
    // A map: its keys and values.
    assert_eq!(
        import_elements("{ api = \"svc-api\", web = \"svc-web\" }", &[]),
        [(s("api"), s("svc-api")), (s("web"), s("svc-web"))]
    );
    // A set of strings: each element is key and value.
    assert_eq!(
        import_elements("toset([\"b\", \"a\", \"b\"])", &[]),
        [(s("a"), s("a")), (s("b"), s("b"))]
    );
    assert_eq!(
        import_elements("var.names", &[("names", strs(&["a", "b"]))]),
        [(s("a"), s("a")), (s("b"), s("b"))]
    );
    // A list or tuple: the index is the key, the element (of any type) the value.
    assert_eq!(
        import_elements("[\"a\", \"b\"]", &[]),
        [(Value::from(0i64), s("a")), (Value::from(1i64), s("b"))]
    );
    let objects = import_elements("[{ name = \"a\", id = \"x\" }]", &[]);
    assert_eq!(
        objects,
        [(
            Value::from(0i64),
            Value::object([("id", s("x")), ("name", s("a"))])
        )]
    );
    // A list that is not set-shaped (order, duplicates) is a list wherever it came from.
    assert_eq!(
        import_elements("var.names", &[("names", strs(&["b", "a"]))]),
        [(Value::from(0i64), s("b")), (Value::from(1i64), s("a"))]
    );
}
