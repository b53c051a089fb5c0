//! End to end on moto: policy documents written one way and then another way plan no changes;
//! one added action in a 30-action policy is shown as exactly that action (statement diff, JSON
//! line diff, `policy_changes` in `-json`), marked `# broadens access`, and
//! `-require-approval=broadening` (flag or `locals { aiu_require_approval }`) refuses to
//! auto-approve it.

mod support;

use support::moto::{aiu, apply, boto, unique};
use support::{Out, Work};

#[track_caller]
fn plan(w: &Work, extra: &[&str], code: i32) -> Out {
    let mut all = vec!["plan", "-detailed-exitcode"];
    all.extend_from_slice(extra);
    let out = aiu(w, &all);
    assert_eq!(
        out.code, code,
        "plan exit code\n--- stdout\n{}\n--- stderr\n{}",
        out.stdout, out.stderr
    );
    if code == 0 {
        out.assert_stdout_contains("No changes. Your infrastructure matches the configuration.");
        out.assert_not_contains("Objects have changed outside of aiu");
    }
    out
}

/// The 30 actions of the `Describe` statement.
const ACTIONS: [&str; 30] = [
    "ec2:DescribeAccountAttributes",
    "ec2:DescribeAddresses",
    "ec2:DescribeAvailabilityZones",
    "ec2:DescribeDhcpOptions",
    "ec2:DescribeHosts",
    "ec2:DescribeImageAttribute",
    "ec2:DescribeImages",
    "ec2:DescribeInstanceStatus",
    "ec2:DescribeInstanceTypes",
    "ec2:DescribeInstances",
    "ec2:DescribeInternetGateways",
    "ec2:DescribeKeyPairs",
    "ec2:DescribeLaunchTemplateVersions",
    "ec2:DescribeLaunchTemplates",
    "ec2:DescribeNatGateways",
    "ec2:DescribeNetworkAcls",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribePlacementGroups",
    "ec2:DescribePrefixLists",
    "ec2:DescribeRegions",
    "ec2:DescribeRouteTables",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSnapshots",
    "ec2:DescribeSpotPriceHistory",
    "ec2:DescribeSubnets",
    "ec2:DescribeTags",
    "ec2:DescribeVolumeStatus",
    "ec2:DescribeVolumes",
    "ec2:DescribeVpcEndpoints",
    "ec2:DescribeVpcs",
];

const ADDED: &str = "ec2:DescribeFleets";

fn hcl_list(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|a| format!("\"{a}\"")).collect();
    format!("[{}]", quoted.join(", "))
}

/// Spelling 1: `jsonencode` everywhere, every element a list, statements in one order.
fn config_jsonencode(describe: &[&str]) -> String {
    format!(
        r#"variable "name" {{
  type = string
}}

resource "aws_iam_role" "app" {{
  name = var.name
  assume_role_policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Effect    = "Allow"
      Action    = ["sts:AssumeRole"]
      Principal = {{ Service = ["ec2.amazonaws.com", "lambda.amazonaws.com"] }}
    }}]
  }})
}}

resource "aws_iam_policy" "ops" {{
  name = "${{var.name}}-ops"
  policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [
      {{
        Sid      = "Describe"
        Effect   = "Allow"
        Action   = {describe}
        Resource = ["*"]
      }},
      {{
        Sid      = "Logs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = ["arn:aws:logs:*:*:log-group:/app/*"]
      }},
      {{
        Sid      = "NoIam"
        Effect   = "Deny"
        Action   = ["iam:*"]
        Resource = ["*"]
      }},
    ]
  }})
}}

resource "aws_iam_role_policy" "inline" {{
  name = "${{var.name}}-inline"
  role = aws_iam_role.app.id
  policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Effect   = "Allow"
      Action   = ["s3:GetObject", "s3:ListBucket"]
      Resource = ["arn:aws:s3:::data", "arn:aws:s3:::data/*"]
    }}]
  }})
}}

resource "aws_iam_role_policy_attachment" "ops" {{
  role       = aws_iam_role.app.name
  policy_arn = aws_iam_policy.ops.arn
}}
"#,
        describe = hcl_list(describe)
    )
}

/// Spelling 2, the same policies: `aws_iam_policy_document` for the trust and managed
/// policies (statements reordered, actions shuffled and re-cased, scalars), a heredoc with a
/// lone Statement object and scalars for the inline policy.
fn config_other_spelling() -> String {
    let mut shuffled: Vec<String> = ACTIONS.iter().rev().map(|a| a.to_string()).collect();
    shuffled[3] = shuffled[3].to_lowercase();
    shuffled.swap(0, 17);
    let shuffled: Vec<&str> = shuffled.iter().map(String::as_str).collect();
    format!(
        r#"variable "name" {{
  type = string
}}

data "aws_iam_policy_document" "trust" {{
  statement {{
    actions = ["sts:AssumeRole"]
    principals {{
      type        = "Service"
      identifiers = ["lambda.amazonaws.com", "ec2.amazonaws.com"]
    }}
  }}
}}

resource "aws_iam_role" "app" {{
  name               = var.name
  assume_role_policy = data.aws_iam_policy_document.trust.json
}}

data "aws_iam_policy_document" "ops" {{
  statement {{
    sid       = "NoIam"
    effect    = "Deny"
    actions   = ["IAM:*"]
    resources = ["*"]
  }}
  statement {{
    sid       = "Logs"
    actions   = ["logs:PutLogEvents", "logs:CreateLogStream"]
    resources = ["arn:aws:logs:*:*:log-group:/app/*"]
  }}
  statement {{
    sid       = "Describe"
    actions   = {describe}
    resources = ["*"]
  }}
}}

resource "aws_iam_policy" "ops" {{
  name   = "${{var.name}}-ops"
  policy = data.aws_iam_policy_document.ops.json
}}

resource "aws_iam_role_policy" "inline" {{
  name   = "${{var.name}}-inline"
  role   = aws_iam_role.app.id
  policy = <<-EOT
    {{
      "Statement": {{
        "Resource": ["arn:aws:s3:::data/*", "arn:aws:s3:::data"],
        "Action": ["s3:ListBucket", "s3:GetObject", "s3:ListBucket"],
        "Effect": "allow"
      }},
      "Version": "2012-10-17"
    }}
  EOT
}}

resource "aws_iam_role_policy_attachment" "ops" {{
  role       = aws_iam_role.app.name
  policy_arn = aws_iam_policy.ops.arn
}}
"#,
        describe = hcl_list(&shuffled)
    )
}

/// The lines of the block opened by the line containing `opener`, up to its closing `}`.
fn block_lines(text: &str, opener: &str) -> (String, Vec<String>) {
    let mut lines = text.lines();
    let head = lines
        .by_ref()
        .find(|l| l.contains(opener))
        .unwrap_or_else(|| panic!("no line with {opener:?} in\n{text}"));
    let indent = head.len() - head.trim_start().len() + 2; // the closing brace is under the attribute name
    let body: Vec<String> = lines
        .take_while(|l| !(l.trim() == "}" && l.len() - l.trim_start().len() == indent))
        .map(|l| l.trim_end().to_string())
        .collect();
    (head.to_string(), body)
}

fn live_ops_policy(name: &str) -> String {
    boto(&format!(
        "import json\n\
         arn = 'arn:aws:iam::123456789012:policy/{name}-ops'\n\
         v = iam.get_policy(PolicyArn=arn)['Policy']['DefaultVersionId']\n\
         doc = iam.get_policy_version(PolicyArn=arn, VersionId=v)['PolicyVersion']['Document']\n\
         print(doc if isinstance(doc, str) else json.dumps(doc))"
    ))
}

#[test]
fn equivalent_spellings_plan_no_changes_and_one_added_action_is_all_the_plan_shows() {
    let name = unique("e2e-pdiff");
    let w = Work::empty();
    w.write("aiu.tfvars", &format!("name = \"{name}\"\n"));
    w.write("main.tf", &config_jsonencode(&ACTIONS));
    apply(&w, &[]).assert_stdout_contains("Resources: 4 added, 0 changed, 0 destroyed.");
    plan(&w, &[], 0);

    // The same policies spelled differently: no change.
    w.write("main.tf", &config_other_spelling());
    plan(&w, &[], 0);
    // And back.
    w.write("main.tf", &config_jsonencode(&ACTIONS));
    plan(&w, &[], 0);

    // One more action in the 30-action statement.
    let mut more: Vec<&str> = ACTIONS.to_vec();
    more.insert(7, ADDED);
    w.write("main.tf", &config_jsonencode(&more));
    let out = plan(&w, &[], 2);
    out.assert_stdout_contains("# aws_iam_policy.ops will be updated in-place");
    out.assert_stdout_contains("Plan: 0 to add, 1 to change, 0 to destroy.");
    let (head, body) = block_lines(&out.stdout, "policy ");
    assert!(head.trim_start().starts_with("~ policy"), "{head}");
    assert!(
        head.ends_with("(policy statements changed) { # broadens access"),
        "{head}"
    );
    let body: Vec<&str> = body.iter().map(|l| l.trim()).collect();
    assert_eq!(
        body,
        vec![
            "~ statement \"Describe\" (Allow)",
            &format!("+ action  \"{ADDED}\""),
            "# 30 unchanged actions hidden",
            "# 1 unchanged resource hidden",
            "# (2 unchanged statements hidden)",
        ],
        "plan:\n{}",
        out.stdout
    );
    // Nothing of the document's other actions or statements is printed.
    for a in ACTIONS {
        out.assert_not_contains(&format!("\"{a}\""));
    }
    out.assert_not_contains("logs:PutLogEvents");

    // -policy-diff=json: a line diff of the canonical JSON, one added line.
    let out = plan(&w, &["-policy-diff=json"], 2);
    let (head, body) = block_lines(&out.stdout, "policy ");
    assert!(
        head.ends_with("(canonical policy JSON changed) { # broadens access"),
        "{head}"
    );
    let changed: Vec<&String> = body
        .iter()
        .filter(|l| l.trim_start().starts_with("+ ") || l.trim_start().starts_with("- "))
        .collect();
    assert_eq!(changed.len(), 1, "{}", out.stdout);
    assert!(
        changed[0].trim_start().starts_with('+') && changed[0].contains(&format!("\"{ADDED}\",")),
        "{}",
        changed[0]
    );
    assert!(
        body.iter()
            .any(|l| l.contains("\"ec2:DescribeDhcpOptions\"")),
        "context lines around the change: {}",
        out.stdout
    );

    // -json: policy_changes names the attribute, the added action and the classification.
    let out = aiu(&w, &["plan", "-json"]);
    out.assert_code(0);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).expect("plan -json is JSON");
    let changes = json["policy_changes"].as_array().expect("policy_changes");
    assert_eq!(changes.len(), 1, "{changes:#?}");
    let c = &changes[0];
    assert_eq!(c["address"], "aws_iam_policy.ops");
    assert_eq!(c["attribute"], "policy");
    assert_eq!(c["access"], "broadening");
    let diff = &c["diff"];
    assert_eq!(diff["statements_changed"].as_array().unwrap().len(), 1);
    assert_eq!(diff["statements_changed"][0]["sid"], "Describe");
    assert_eq!(
        diff["statements_changed"][0]["actions_added"],
        serde_json::json!([ADDED])
    );
    assert_eq!(
        diff["statements_changed"][0]["actions_removed"],
        serde_json::json!([])
    );
    assert_eq!(diff["statements_changed"][0]["unchanged_actions"], 30);
    assert!(
        diff["statements_added"].as_array().unwrap().is_empty()
            && diff["statements_removed"].as_array().unwrap().is_empty()
    );
    assert_eq!(
        diff["broadening"],
        serde_json::json!([format!("statement \"Describe\": adds action \"{ADDED}\"")])
    );

    // -require-approval=broadening: -auto-approve is refused, naming the attribute.
    let out = aiu(
        &w,
        &["apply", "-auto-approve", "-require-approval=broadening"],
    );
    out.assert_code(1);
    out.assert_stderr_contains("broadens access (aws_iam_policy.ops.policy)");
    out.assert_stderr_contains("-require-approval=never");
    out.assert_not_contains("Apply complete!");
    assert!(
        !live_ops_policy(&name).contains(ADDED),
        "the refused apply changed AWS"
    );

    // The same from the configuration; the flag overrides it.
    w.write(
        "approval.tf",
        "locals {\n  aiu_require_approval = \"broadening\"\n}\n",
    );
    let out = aiu(&w, &["apply", "-auto-approve"]);
    out.assert_code(1);
    out.assert_stderr_contains("broadens access (aws_iam_policy.ops.policy)");
    apply(&w, &["-require-approval=never"])
        .assert_stdout_contains("Resources: 0 added, 1 changed, 0 destroyed.");
    assert!(live_ops_policy(&name).contains(ADDED));
    plan(&w, &[], 0);

    // A narrowing change (an action removed) is auto-approved under the same setting.
    let mut fewer: Vec<&str> = ACTIONS.to_vec();
    fewer.retain(|a| *a != "ec2:DescribeTags");
    w.write("main.tf", &config_jsonencode(&fewer));
    let out = plan(&w, &[], 2);
    out.assert_stdout_contains("- action  \"ec2:DescribeTags\"");
    out.assert_not_contains("# broadens access");
    apply(&w, &[]).assert_stdout_contains("Resources: 0 added, 1 changed, 0 destroyed.");
    plan(&w, &[], 0);

    // A trust policy gaining a principal broadens access too.
    w.write(
        "main.tf",
        &config_jsonencode(&fewer).replace(
            r#"Service = ["ec2.amazonaws.com", "lambda.amazonaws.com"]"#,
            r#"Service = ["ec2.amazonaws.com", "lambda.amazonaws.com", "ecs-tasks.amazonaws.com"]"#,
        ),
    );
    let out = plan(&w, &[], 2);
    out.assert_stdout_contains(
        "assume_role_policy = (policy statements changed) { # broadens access",
    );
    out.assert_stdout_contains("+ principal Service \"ecs-tasks.amazonaws.com\"");
    aiu(&w, &["apply", "-auto-approve"])
        .assert_code(1)
        .assert_stderr_contains("aws_iam_role.app.assume_role_policy");

    w.write("approval.tf", "");
    aiu(&w, &["destroy", "-auto-approve"]).assert_code(0);
}
