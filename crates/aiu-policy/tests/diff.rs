//! Statement-level diffs: pairing by Sid and by best match, field deltas, unchanged counts,
//! exact rendering, JSON serialization and the canonical line diff.

use aiu_policy::{diff_policies, json_line_diff, render_policy_diff};

const BEFORE: &str = r#"{"Version":"2012-10-17","Statement":[
  {"Sid":"AllowSecrets","Effect":"Allow","Action":["secretsmanager:GetSecretValue","secretsmanager:ListSecrets"],"Resource":"arn:aws:secretsmanager:*:*:secret:*"},
  {"Sid":"Old","Effect":"Deny","Action":"iam:*","Resource":"*"},
  {"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::b/*"}]}"#;

const AFTER: &str = r#"{"Version":"2012-10-17","Statement":[
  {"Sid":"AllowSecrets","Effect":"Allow","Action":["secretsmanager:GetSecretValue","secretsmanager:ListSecrets","secretsmanager:DescribeSecret"],"Resource":"arn:aws:secretsmanager:us-west-2:111111111111:secret:compute-engine/*"},
  {"Effect":"Allow","Action":["s3:GetObject","s3:DeleteObject"],"Resource":"arn:aws:s3:::b/*"},
  {"Effect":"Allow","Action":"ec2:DescribeInstances","Resource":"*"}]}"#;

#[test]
fn equivalent_documents_have_an_empty_diff() {
    let a = r#"{"Version":"2012-10-17","Statement":{"Effect":"allow","Action":"S3:GetObject","Resource":"*"}}"#;
    let b = r#"{"Version":"2012-10-17","Statement":[{"Resource":["*"],"Action":["s3:getobject"],"Effect":"Allow","Sid":""}]}"#;
    let d = diff_policies(a, b);
    assert!(d.is_empty(), "{d:?}");
    assert_eq!(d.unchanged_statements, 1);
    assert_eq!(render_policy_diff(&d, "  "), "");
    assert_eq!(json_line_diff(a, b), "");
}

#[test]
fn statement_with_the_same_sid_is_a_change() {
    let d = diff_policies(BEFORE, AFTER);
    let c = d
        .statements_changed
        .iter()
        .find(|c| c.sid.as_deref() == Some("AllowSecrets"))
        .unwrap();
    assert_eq!(c.actions_added, vec!["secretsmanager:DescribeSecret"]);
    assert!(c.actions_removed.is_empty());
    assert_eq!(
        c.resources_removed,
        vec!["arn:aws:secretsmanager:*:*:secret:*"]
    );
    assert_eq!(
        c.resources_added,
        vec!["arn:aws:secretsmanager:us-west-2:111111111111:secret:compute-engine/*"]
    );
    assert_eq!(c.unchanged_actions, 2);
    assert_eq!(c.unchanged_resources, 0);
}

#[test]
fn statements_without_sid_are_paired_by_best_match() {
    let d = diff_policies(BEFORE, AFTER);
    let c = d
        .statements_changed
        .iter()
        .find(|c| c.sid.is_none())
        .unwrap();
    assert_eq!((c.index_before, c.index_after), (3, 2));
    assert_eq!(c.actions_added, vec!["s3:DeleteObject"]);
    assert_eq!(c.actions_removed, vec!["s3:PutObject"]);
    assert_eq!(c.unchanged_actions, 1);
    assert_eq!(c.unchanged_resources, 1);
}

#[test]
fn unmatched_statements_are_added_and_removed() {
    let d = diff_policies(BEFORE, AFTER);
    assert_eq!(d.statements_added.len(), 1);
    assert_eq!(d.statements_added[0].index, 3);
    assert_eq!(d.statements_added[0].actions, vec!["ec2:DescribeInstances"]);
    assert_eq!(d.statements_removed.len(), 1);
    assert_eq!(d.statements_removed[0].sid.as_deref(), Some("Old"));
}

#[test]
fn rendered_diff_is_exact() {
    let d = diff_policies(BEFORE, AFTER);
    let expected = r#"~ statement "AllowSecrets" (Allow)
    + action  "secretsmanager:DescribeSecret"
    - resource "arn:aws:secretsmanager:*:*:secret:*"
    + resource "arn:aws:secretsmanager:us-west-2:111111111111:secret:compute-engine/*"
      # 2 unchanged actions hidden
~ statement #2 (Allow)
    - action  "s3:PutObject"
    + action  "s3:DeleteObject"
      # 1 unchanged action hidden
      # 1 unchanged resource hidden
+ statement #3 (Allow) { actions = ["ec2:DescribeInstances"], resources = ["*"] }
- statement "Old" (Deny)
"#;
    assert_eq!(render_policy_diff(&d, ""), expected);
}

#[test]
fn rendering_honours_the_indent() {
    let d = diff_policies(BEFORE, AFTER);
    let out = render_policy_diff(&d, ">>");
    assert!(out.lines().all(|l| l.starts_with(">>")), "{out}");
    assert!(
        out.contains(">>    + action  \"secretsmanager:DescribeSecret\"\n"),
        "{out}"
    );
}

#[test]
fn principal_condition_and_effect_changes_are_rendered() {
    let before = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Trust","Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"111111111111"}}}]}"#;
    let after = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Trust","Effect":"Deny","Principal":{"Service":["ec2.amazonaws.com","lambda.amazonaws.com"],"AWS":"222222222222"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"333333333333"}}}]}"#;
    let expected = r#"~ statement "Trust" (Allow -> Deny)
    + principal AWS "arn:aws:iam::222222222222:root"
    + principal Service "lambda.amazonaws.com"
    + action  "sts:AssumeRole"
    - condition StringEquals "aws:SourceAccount" = "111111111111"
    + condition StringEquals "aws:SourceAccount" = "333333333333"
      # 1 unchanged action hidden
"#;
    let out = render_policy_diff(&diff_policies(before, after), "");
    // "+ action" must not appear: the action is unchanged.
    assert_eq!(
        out,
        expected.replace("    + action  \"sts:AssumeRole\"\n", "")
    );
}

#[test]
fn action_to_not_action_is_shown_as_both_fields() {
    let before = r#"{"Version":"2012-10-17","Statement":[{"Sid":"S","Effect":"Deny","Action":"iam:*","Resource":"*"}]}"#;
    let after = r#"{"Version":"2012-10-17","Statement":[{"Sid":"S","Effect":"Deny","NotAction":"iam:*","Resource":"*"}]}"#;
    let d = diff_policies(before, after);
    let c = &d.statements_changed[0];
    assert_eq!(c.actions_removed, vec!["iam:*"]);
    assert_eq!(c.not_actions_added, vec!["iam:*"]);
    assert_eq!(
        render_policy_diff(&d, ""),
        "~ statement \"S\" (Deny)\n    - action  \"iam:*\"\n    + not_action \"iam:*\"\n      # 1 unchanged resource hidden\n"
    );
}

#[test]
fn statements_with_different_sids_are_not_paired() {
    let before = r#"{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
    let after = r#"{"Version":"2012-10-17","Statement":[{"Sid":"B","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
    let d = diff_policies(before, after);
    assert!(d.statements_changed.is_empty());
    assert_eq!(render_policy_diff(&d, ""), "+ statement \"B\" (Allow) { actions = [\"s3:GetObject\"], resources = [\"*\"] }\n- statement \"A\" (Allow)\n");
}

#[test]
fn adding_a_sid_pairs_by_best_match_and_shows_the_sid_change() {
    let before = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
    let after = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
    assert_eq!(
        render_policy_diff(&diff_policies(before, after), ""),
        "~ statement \"Read\" (Allow)\n    ~ sid (absent) -> \"Read\"\n      # 1 unchanged action hidden\n      # 1 unchanged resource hidden\n"
    );
}

#[test]
fn unrelated_statements_sharing_only_the_wildcard_resource_are_not_paired() {
    let before = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:GetDocument","Resource":"*"}]}"#;
    let after = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2messages:GetEndpoint","Resource":"*"}]}"#;
    let d = diff_policies(before, after);
    assert!(d.statements_changed.is_empty());
    assert_eq!(
        render_policy_diff(&d, ""),
        "+ statement #1 (Allow) { actions = [\"ec2messages:GetEndpoint\"], resources = [\"*\"] }\n- statement #1 (Allow) { actions = [\"ssm:GetDocument\"], resources = [\"*\"] }\n"
    );
}

#[test]
fn long_added_statements_get_one_line_per_element() {
    let actions: Vec<String> = (0..12)
        .map(|i| format!("\"ec2:DescribeThing{i:02}\""))
        .collect();
    let after = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":[{}],"Resource":"*"}}]}}"#,
        actions.join(",")
    );
    let out = render_policy_diff(&diff_policies("", &after), "");
    let mut expected = String::from("+ statement #1 (Allow)\n");
    for i in 0..12 {
        expected.push_str(&format!("    + action  \"ec2:DescribeThing{i:02}\"\n"));
    }
    expected.push_str("    + resource \"*\"\n");
    assert_eq!(out, expected);
    // Removing it summarises counts.
    let out = render_policy_diff(
        &diff_policies(&after, r#"{"Version":"2012-10-17","Statement":[]}"#),
        "",
    );
    assert_eq!(out, "- statement #1 (Allow) { 12 actions, 1 resource }\n");
}

#[test]
fn version_change_is_reported() {
    let a = r#"{"Version":"2008-10-17","Statement":[]}"#;
    let b = r#"{"Version":"2012-10-17","Statement":[]}"#;
    assert_eq!(
        render_policy_diff(&diff_policies(a, b), "  "),
        "  ~ Version \"2008-10-17\" -> \"2012-10-17\"\n"
    );
    let c = r#"{"Statement":[]}"#;
    assert_eq!(
        render_policy_diff(&diff_policies(c, b), ""),
        "~ Version (absent) -> \"2012-10-17\"\n"
    );
}

#[test]
fn unparsable_side_is_reported() {
    let d = diff_policies("{oops", BEFORE);
    assert!(!d.is_empty());
    assert!(
        d.parse_error
            .as_deref()
            .unwrap()
            .starts_with("before: invalid JSON"),
        "{d:?}"
    );
    assert!(render_policy_diff(&d, "")
        .starts_with("# could not parse the policy document (before: invalid JSON"));
}

#[test]
fn serializes_for_machine_readable_plans() {
    let v = serde_json::to_value(diff_policies(BEFORE, AFTER)).unwrap();
    assert_eq!(
        v["statements_added"][0]["actions"],
        serde_json::json!(["ec2:DescribeInstances"])
    );
    assert_eq!(v["statements_removed"][0]["sid"], "Old");
    let changed = &v["statements_changed"][0];
    assert_eq!(changed["sid"], "AllowSecrets");
    assert_eq!(
        changed["actions_added"],
        serde_json::json!(["secretsmanager:DescribeSecret"])
    );
    assert_eq!(
        changed["resources_removed"],
        serde_json::json!(["arn:aws:secretsmanager:*:*:secret:*"])
    );
    assert_eq!(changed["unchanged_actions"], 2);
    let cond = serde_json::to_value(diff_policies(
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"S","Effect":"Allow","Action":"a:b","Resource":"*"}]}"#,
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"S","Effect":"Allow","Action":"a:b","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":true}}}]}"#,
    ))
    .unwrap();
    assert_eq!(
        cond["statements_changed"][0]["conditions_added"],
        serde_json::json!([{"operator": "Bool", "key": "aws:SecureTransport", "value": "true"}])
    );
}

#[test]
fn json_line_diff_shows_only_changed_lines_with_context() {
    let a = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":"*"}]}"#;
    // The action case change alone must not show up.
    let b = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:getobject","s3:ListBucket","s3:PutObject"],"Resource":"*"}]}"#;
    let expected = r#"      {
        "Action": [
          "s3:GetObject",
-         "s3:ListBucket"
+         "s3:ListBucket",
+         "s3:PutObject"
        ],
        "Effect": "Allow",
        "Resource": [
"#;
    assert_eq!(json_line_diff(a, b), expected);
}

#[test]
fn json_line_diff_falls_back_to_text_for_unparsable_documents() {
    assert_eq!(
        json_line_diff("not json", "still not json"),
        "- not json\n+ still not json\n"
    );
}
