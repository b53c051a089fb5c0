//! `aiu validate` and `aiu validate-policy` driven through the real binary (issue 5): exit codes,
//! the text output (did-you-mean, file:line:col), `# aiu:allow CODE` suppression, `--format json`
//! and `--format sarif` (SARIF 2.1.0 shape), and the AI Unlimited reference policies.
//!
//! Every run uses its own temporary directory and `NO_COLOR=1`; nothing talks to AWS.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn aiu(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_aiu"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("TF_LOG")
        // No credentials and no network are needed: validate is offline.
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .expect("running aiu")
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exit code")
}

/// A temporary configuration directory holding `main.tf`.
fn config(main_tf: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("main.tf"), main_tf).expect("write main.tf");
    dir
}

/// A standalone customer managed policy with the given actions and resource.
fn policy_tf(header_comment: &str, actions: &str, resource: &str) -> String {
    format!(
        r#"{header_comment}resource "aws_iam_policy" "app" {{
  name = "app"
  policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Effect   = "Allow"
      Action   = [{actions}]
      Resource = "{resource}"
    }}]
  }})
}}
"#
    )
}

fn misspelled() -> String {
    policy_tf("", r#""s3:GetObjekt""#, "arn:aws:s3:::bucket/*")
}

fn pass_role(header_comment: &str) -> String {
    policy_tf(header_comment, r#""iam:PassRole""#, "*")
}

#[test]
fn misspelled_action_is_an_error_with_did_you_mean_and_location() {
    let dir = config(&misspelled());
    let o = aiu(dir.path(), &["validate"]);
    let (out, err) = text(&o);
    let all = format!("{out}{err}");
    assert_eq!(code(&o), 1, "stdout:\n{out}\nstderr:\n{err}");
    assert!(all.contains("ERROR INVALID_ACTION"), "{all}");
    assert!(all.contains(r#"did you mean "s3:GetObject"?"#), "{all}");
    // The span of the `policy` attribute: line 3, column 3.
    assert!(all.contains("main.tf:3:3"), "{all}");
    assert!(all.contains("aws_iam_policy.app.policy"), "{all}");
    assert!(!out.contains("Success!"), "{out}");
}

#[test]
fn pass_role_on_star_is_a_listed_security_warning() {
    let dir = config(&pass_role(""));
    let o = aiu(dir.path(), &["validate"]);
    let (out, err) = text(&o);
    assert_eq!(code(&o), 0, "stdout:\n{out}\nstderr:\n{err}");
    assert!(
        err.contains("SECURITY_WARNING PASS_ROLE_WITH_STAR_IN_RESOURCE"),
        "{err}"
    );
    assert!(err.contains("main.tf:3:3"), "{err}");
    assert!(
        err.contains("# aiu:allow PASS_ROLE_WITH_STAR_IN_RESOURCE"),
        "the message says how to accept it: {err}"
    );
    assert!(out.contains("Success!"), "{out}");
}

#[test]
fn aiu_allow_comment_suppresses_the_finding() {
    let dir = config(&pass_role(
        "# aiu:allow PASS_ROLE_WITH_STAR_IN_RESOURCE -- the service must pass any of its roles\n",
    ));
    let o = aiu(dir.path(), &["validate"]);
    let (out, err) = text(&o);
    assert_eq!(code(&o), 0, "stdout:\n{out}\nstderr:\n{err}");
    assert!(!err.contains("PASS_ROLE_WITH_STAR_IN_RESOURCE"), "{err}");
    assert!(out.contains("Success!"), "{out}");
    // The allow names one code: an ERROR of another code still stops validate.
    let dir = config(&policy_tf(
        "# aiu:allow PASS_ROLE_WITH_STAR_IN_RESOURCE\n",
        r#""iam:PassRole", "s3:GetObjekt""#,
        "*",
    ));
    let o = aiu(dir.path(), &["validate"]);
    let (out, err) = text(&o);
    assert_eq!(code(&o), 1, "stdout:\n{out}\nstderr:\n{err}");
    assert!(
        err.contains("ERROR INVALID_ACTION") && !err.contains("PASS_ROLE_WITH_STAR_IN_RESOURCE"),
        "{err}"
    );
    // And an ERROR can be accepted explicitly too.
    let dir = config(&policy_tf(
        "# aiu:allow INVALID_ACTION\n",
        r#""s3:GetObjekt""#,
        "arn:aws:s3:::bucket/*",
    ));
    let o = aiu(dir.path(), &["validate"]);
    assert_eq!(code(&o), 0, "{:?}", text(&o));
}

#[test]
fn action_newer_than_the_catalog_is_a_warning_not_an_error() {
    // Not in the catalog and not close to a known action: WARNING UNKNOWN_ACTION, exit 0.
    let dir = config(&policy_tf("", r#""resiliencehub:ListSystems""#, "*"));
    let o = aiu(dir.path(), &["validate"]);
    let (out, err) = text(&o);
    assert_eq!(code(&o), 0, "stdout:\n{out}\nstderr:\n{err}");
    assert!(err.contains("WARNING UNKNOWN_ACTION"), "{err}");
    assert!(
        err.contains(aiu_policy::catalog::SOURCE),
        "names the catalog and its date: {err}"
    );
}

fn sarif(dir: &Path) -> (i32, Value) {
    let o = aiu(dir, &["validate", "--format", "sarif"]);
    let (out, err) = text(&o);
    let v: Value = serde_json::from_str(&out)
        .unwrap_or_else(|e| panic!("SARIF is not JSON ({e}):\n{out}\nstderr:\n{err}"));
    (code(&o), v)
}

/// The SARIF 2.1.0 shape every result must have.
fn check_sarif_shape(v: &Value) -> &Vec<Value> {
    assert_eq!(v["version"], "2.1.0", "{v:#}");
    assert!(
        v["$schema"]
            .as_str()
            .is_some_and(|s| s.contains("sarif-2.1.0")),
        "{v:#}"
    );
    let runs = v["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0]["tool"]["driver"]["name"], "aiu", "{v:#}");
    let results = runs[0]["results"].as_array().expect("runs[0].results");
    for r in results {
        assert!(r["ruleId"].as_str().is_some_and(|s| !s.is_empty()), "{r:#}");
        assert!(
            matches!(
                r["level"].as_str(),
                Some("error" | "warning" | "note" | "none")
            ),
            "{r:#}"
        );
        assert!(
            r["message"]["text"].as_str().is_some_and(|s| !s.is_empty()),
            "{r:#}"
        );
    }
    results
}

fn location(r: &Value) -> (String, u64, u64) {
    let pl = &r["locations"][0]["physicalLocation"];
    (
        pl["artifactLocation"]["uri"]
            .as_str()
            .unwrap_or_else(|| panic!("no artifactLocation.uri: {r:#}"))
            .to_string(),
        pl["region"]["startLine"]
            .as_u64()
            .unwrap_or_else(|| panic!("no region.startLine: {r:#}")),
        pl["region"]["startColumn"]
            .as_u64()
            .unwrap_or_else(|| panic!("no region.startColumn: {r:#}")),
    )
}

#[test]
fn sarif_output_has_the_2_1_0_shape() {
    let dir = config(&misspelled());
    let (code, v) = sarif(dir.path());
    assert_eq!(code, 1);
    let results = check_sarif_shape(&v);
    let r = results
        .iter()
        .find(|r| r["ruleId"] == "INVALID_ACTION")
        .unwrap_or_else(|| panic!("{v:#}"));
    assert_eq!(r["level"], "error");
    assert!(
        r["message"]["text"]
            .as_str()
            .unwrap()
            .contains(r#"did you mean "s3:GetObject"?"#),
        "{r:#}"
    );
    let (uri, line, col) = location(r);
    assert!(uri.ends_with("main.tf"), "{uri}");
    assert_eq!((line, col), (3, 3));

    let dir = config(&pass_role(""));
    let (code, v) = sarif(dir.path());
    assert_eq!(code, 0);
    let results = check_sarif_shape(&v);
    let r = results
        .iter()
        .find(|r| r["ruleId"] == "PASS_ROLE_WITH_STAR_IN_RESOURCE")
        .unwrap_or_else(|| panic!("{v:#}"));
    assert_eq!(r["level"], "warning");
    assert_eq!(location(r).1, 3);

    // Nothing to report: still a valid SARIF log, with an empty result list.
    let dir = config(&pass_role("# aiu:allow PASS_ROLE_WITH_STAR_IN_RESOURCE\n"));
    let (code, v) = sarif(dir.path());
    assert_eq!(code, 0);
    assert!(check_sarif_shape(&v).is_empty(), "{v:#}");
}

#[test]
fn json_output_lists_diagnostics_with_ranges() {
    for args in [
        &["validate", "--format", "json"][..],
        &["validate", "--json"][..],
    ] {
        let dir = config(&misspelled());
        let o = aiu(dir.path(), args);
        let (out, err) = text(&o);
        assert_eq!(code(&o), 1, "{args:?}: {out}\n{err}");
        let v: Value = serde_json::from_str(&out)
            .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {out}"));
        assert_eq!(v["valid"], false);
        assert!(v["error_count"].as_u64().unwrap() >= 1, "{v:#}");
        let d = v["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["summary"] == "ERROR INVALID_ACTION")
            .unwrap_or_else(|| panic!("{v:#}"));
        assert_eq!(d["severity"], "error");
        assert!(
            d["detail"]
                .as_str()
                .unwrap()
                .contains(r#"did you mean "s3:GetObject"?"#),
            "{d:#}"
        );
        assert!(
            d["range"]["filename"]
                .as_str()
                .unwrap()
                .ends_with("main.tf"),
            "{d:#}"
        );
        assert_eq!(d["range"]["start"]["line"], 3);
        assert_eq!(d["range"]["start"]["column"], 3);
    }
    let dir = config(&pass_role(""));
    let o = aiu(dir.path(), &["validate", "--format", "json"]);
    assert_eq!(code(&o), 0);
    let v: Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(v["valid"], true);
    assert_eq!(v["error_count"], 0);
    assert!(
        v["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .any(
                |d| d["summary"] == "SECURITY_WARNING PASS_ROLE_WITH_STAR_IN_RESOURCE"
                    && d["severity"] == "warning"
            ),
        "{v:#}"
    );
}

fn reference_dir() -> PathBuf {
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference/ai-unlimited");
    assert!(
        dir.is_dir(),
        "reference policies folder {} is missing",
        dir.display()
    );
    dir
}

#[test]
fn validate_policy_on_the_ai_unlimited_reference_policies() {
    let dir = reference_dir();
    for (name, pass_role_star) in [
        ("ai-unlimited-engine.json", false),
        ("ai-unlimited-workspaces.json", true),
        (
            "ai-unlimited-workspaces-without-iam-role-permissions.json",
            true,
        ),
        ("session-manager.json", false),
    ] {
        let file = dir.join(name);
        let o = aiu(&dir, &["validate-policy", file.to_str().unwrap()]);
        let (out, err) = text(&o);
        assert_eq!(code(&o), 0, "{name}: stdout:\n{out}\nstderr:\n{err}");
        assert!(!out.contains("ERROR"), "{name}: {out}");
        assert_eq!(
            out.contains("SECURITY_WARNING PASS_ROLE_WITH_STAR_IN_RESOURCE"),
            pass_role_star,
            "{name}: {out}"
        );
        if pass_role_star {
            assert!(out.contains("PRIVILEGE_ESCALATION"), "{name}: {out}");
        }

        let o = aiu(
            &dir,
            &[
                "validate-policy",
                file.to_str().unwrap(),
                "--type",
                "identity",
                "--json",
            ],
        );
        assert_eq!(code(&o), 0, "{name} --json: {:?}", text(&o));
        let findings: Value =
            serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{name} --json: {e}"));
        let findings = findings.as_array().expect("a JSON array of findings");
        assert!(
            findings.iter().all(|f| f["severity"] != "ERROR"),
            "{name}: {findings:#?}"
        );
        assert_eq!(
            findings
                .iter()
                .any(|f| f["code"] == "PASS_ROLE_WITH_STAR_IN_RESOURCE"),
            pass_role_star,
            "{name}"
        );
    }
}

#[test]
fn validate_policy_trust_type() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, body: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, body).unwrap();
        p.to_str().unwrap().to_string()
    };
    let ec2 = write(
        "trust.json",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
    );
    let o = aiu(dir.path(), &["validate-policy", &ec2, "--type", "trust"]);
    let (out, err) = text(&o);
    assert_eq!(code(&o), 0, "{out}\n{err}");
    assert!(out.contains("no findings"), "{out}");
    // The same document as an identity policy: Principal does not belong there.
    let o = aiu(dir.path(), &["validate-policy", &ec2]);
    assert_eq!(code(&o), 1, "{:?}", text(&o));
    assert!(
        text(&o).0.contains("IDENTITY_POLICY_WITH_PRINCIPAL"),
        "{:?}",
        text(&o)
    );

    let with_resource = write(
        "with-resource.json",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole","Resource":"*"}]}"#,
    );
    let o = aiu(
        dir.path(),
        &["validate-policy", &with_resource, "--type", "trust"],
    );
    assert_eq!(code(&o), 1, "{:?}", text(&o));
    assert!(
        text(&o).0.contains("ERROR TRUST_POLICY_WITH_RESOURCE"),
        "{:?}",
        text(&o)
    );

    let anyone = write(
        "anyone.json",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}"#,
    );
    let o = aiu(
        dir.path(),
        &["validate-policy", &anyone, "--type", "trust", "--json"],
    );
    assert_eq!(code(&o), 0, "{:?}", text(&o));
    let findings: Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert!(
        findings
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "TRUST_POLICY_ANY_PRINCIPAL"
                && f["severity"] == "SECURITY_WARNING"),
        "{findings:#}"
    );
}

// Regression tests for defects found in the plan's policy validation.

const ROLE_TF: &str = r#"resource "aws_iam_role" "app" {
  name = "app"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "ec2.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}
"#;

/// A managed policy's findings are reported once, at the policy (not again at each role it is
/// attached to), so `# aiu:allow` above the policy's block accepts them.
#[test]
fn aiu_allow_above_an_attached_policy_suppresses_it_everywhere() {
    let tf = format!(
        "{}{ROLE_TF}\nresource \"aws_iam_role_policy_attachment\" \"app\" {{\n  role       = aws_iam_role.app.name\n  policy_arn = aws_iam_policy.app.arn\n}}\n",
        pass_role("# aiu:allow PASS_ROLE_WITH_STAR_IN_RESOURCE\n")
    );
    let dir = config(&tf);
    let o = aiu(dir.path(), &["validate"]);
    let (_, err) = text(&o);
    assert!(!err.contains("PASS_ROLE_WITH_STAR_IN_RESOURCE"), "{err}");
}

/// An inline policy whose `role` is `aws_iam_role.x.id` (the usual Terraform idiom; unknown
/// before the first apply) is validated like any other document.
#[test]
fn inline_policy_attached_by_role_id_is_validated() {
    let tf = format!(
        "{ROLE_TF}\nresource \"aws_iam_role_policy\" \"app\" {{\n  name = \"app\"\n  role = aws_iam_role.app.id\n  policy = jsonencode({{\n    Version = \"2012-10-17\"\n    Statement = [{{ Effect = \"Allow\", Action = \"s3:GetObjekt\", Resource = \"*\" }}]\n  }})\n}}\n"
    );
    let dir = config(&tf);
    let o = aiu(dir.path(), &["validate"]);
    let (out, err) = text(&o);
    assert!(
        code(&o) == 1 || err.contains("not validated"),
        "stdout:\n{out}\nstderr:\n{err}"
    );
}

/// SARIF `ruleId`s are codes, also for diagnostics that are not policy findings (e.g.
/// "Policies not validated yet").
#[test]
fn sarif_rule_ids_are_codes() {
    let tf = format!(
        "{ROLE_TF}\nresource \"aws_iam_policy\" \"pass\" {{\n  name = \"pass\"\n  policy = jsonencode({{\n    Version = \"2012-10-17\"\n    Statement = [{{ Effect = \"Allow\", Action = \"iam:PassRole\", Resource = aws_iam_role.app.arn }}]\n  }})\n}}\n"
    );
    let dir = config(&tf);
    let (_, v) = sarif(dir.path());
    for r in check_sarif_shape(&v) {
        let id = r["ruleId"].as_str().unwrap();
        assert!(
            id.chars()
                .all(|c| c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit())
                && id.len() > 3,
            "ruleId {id:?}: {r:#}"
        );
    }
}

/// Runs `aiu validate` in `dir`, failing the test instead of hanging if it takes a minute.
fn validate_within_a_minute(dir: &Path) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_aiu"))
        .arg("validate")
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("running aiu");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while child.try_wait().expect("waiting for aiu").is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("aiu validate did not finish within a minute");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.wait_with_output().expect("aiu output")
}

#[test]
fn odd_policy_text_gives_findings_never_a_crash_or_a_hang() {
    // A tag key with a multi-byte character where `aws:` would end, resources with an
    // unclosed `${` (after a multi-byte character; in an ARN of too few fields), and a
    // resource of 200,000 characters.
    let long = format!("arn:aws:s3:::b/{}", "x".repeat(200_000));
    let dir = config(&format!(
        r#"resource "aws_iam_policy" "app" {{
  name = "app"
  tags = {{ "abcé" = "x", "日本" = "y" }}
  policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Effect   = "Allow"
      Action   = ["s3:GetObject"]
      Resource = ["arn:aws:s3:::$${{é", "arn:$${{*", "{long}"]
    }}]
  }})
}}
"#
    ));
    let out = validate_within_a_minute(dir.path());
    let (stdout, stderr) = text(&out);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(code(&out), 1, "{stdout}\n{stderr}");
    let all = format!("{stdout}{stderr}");
    assert!(all.contains("POLICY_SIZE_EXCEEDED"), "{all}");
}
