//! End-to-end tests of the real `aiu` binary that need no network: offline plans of every
//! example, CLI flag spellings, variables, every configuration error with its rendered
//! diagnostic, graph, validate, state refusal, state inspection commands, help and version.
//!
//! Every test works on a copy of its configuration in a temporary directory, with a clean
//! environment (no AWS_* / AIU_* from the caller, NO_COLOR=1, HOME = the temporary directory).

mod support;

use support::{example_names, fixture_path, Out, Work};

/// Snapshot of a run, with the scratch directory replaced by `[WORK]`.
macro_rules! snap {
    ($name:expr, $out:expr) => {
        insta::assert_snapshot!($name, $out.snapshot())
    };
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

// ---------------------------------------------------------------------------------------------
// plan --offline of every example

#[test]
fn every_example_plans_offline_with_detailed_exitcode_2() {
    let names = example_names();
    assert!(
        names.len() >= 3,
        "expected at least three examples, found {names:?}"
    );
    for name in names {
        let w = Work::example(&name);
        let out = w.aiu(["plan", "--offline", "-detailed-exitcode"]).run();
        out.assert_code(2);
        out.assert_stdout_contains("Plan: ");
        out.assert_stdout_contains(" to add, 0 to change, 0 to destroy.");
        snap!(format!("plan_offline_{name}"), out);
        // Planning never writes state.
        assert!(
            !w.state_path().exists(),
            "{name}: plan --offline wrote a state file"
        );
    }
}

#[test]
fn ai_unlimited_plan_lists_roles_policies_attachments_and_instance_profile() {
    let w = Work::example("ai-unlimited");
    let out = w.aiu(["plan", "--offline"]).run();
    out.assert_code(0);
    for kind in [
        "resource \"aws_iam_role\"",
        "resource \"aws_iam_policy\"",
        "resource \"aws_iam_role_policy_attachment\"",
        "resource \"aws_iam_instance_profile\"",
    ] {
        out.assert_stdout_contains(kind);
    }
}

#[test]
fn plan_json_has_format_version_and_actions() {
    for name in example_names() {
        let w = Work::example(&name);
        let out = w.aiu(["plan", "--offline", "-json"]).run();
        out.assert_code(0);
        let doc = json(&out.stdout);
        assert!(
            doc["format_version"].is_string(),
            "{name}: format_version missing: {doc:#}"
        );
        let changes = doc["resource_changes"]
            .as_array()
            .unwrap_or_else(|| panic!("{name}: resource_changes missing"));
        assert!(!changes.is_empty(), "{name}: no resource_changes");
        for c in changes {
            let address = c["address"].as_str().expect("address");
            let actions = c["change"]["actions"]
                .as_array()
                .unwrap_or_else(|| panic!("{address}: change.actions missing"));
            if c["mode"] == "data" {
                continue;
            }
            assert_eq!(
                actions,
                &vec![serde_json::json!("create")],
                "{name}: {address}"
            );
            assert!(
                c["change"].get("before").is_some(),
                "{address}: change.before missing"
            );
            assert!(
                c["change"]["after"].is_object(),
                "{address}: change.after missing"
            );
            assert!(
                c["change"]["after_unknown"].is_object(),
                "{address}: change.after_unknown missing"
            );
            assert!(
                c["type"].as_str().unwrap().starts_with("aws_iam_"),
                "{address}"
            );
        }
    }
}

#[test]
fn plan_json_marks_unknown_values_and_replace_paths() {
    let w = Work::example("single-role");
    w.install_state("single-role.json");
    let out = w
        .aiu(["plan", "--offline", "-json", "-var", "name=renamed-app"])
        .run();
    out.assert_code(0);
    let doc = json(&out.stdout);
    let changes = doc["resource_changes"].as_array().unwrap();
    let role = changes
        .iter()
        .find(|c| c["address"] == "aws_iam_role.app")
        .expect("role change");
    assert_eq!(
        role["change"]["actions"],
        serde_json::json!(["delete", "create"]),
        "{role:#}"
    );
    assert_eq!(
        role["change"]["after_unknown"]["arn"],
        serde_json::json!(true),
        "{role:#}"
    );
    let paths = role["change"]["replace_paths"].to_string();
    assert!(
        paths.contains("\"name\""),
        "replace_paths should name `name`: {paths}"
    );
}

// ---------------------------------------------------------------------------------------------
// plan against a state: no changes / update / replace / destroy

#[test]
fn plan_against_matching_state_exits_0_and_leaves_state_unchanged() {
    let w = Work::example("single-role");
    w.install_state("single-role.json");
    let before = std::fs::read(w.state_path()).unwrap();
    let out = w.aiu(["plan", "--offline", "-detailed-exitcode"]).run();
    out.assert_code(0);
    out.assert_stdout_contains("No changes. Your infrastructure matches the configuration.");
    assert_eq!(
        std::fs::read(w.state_path()).unwrap(),
        before,
        "plan changed the state file"
    );
    assert!(
        !w.join("state/default.aiustate.json.backup").exists(),
        "plan wrote a backup"
    );
    snap!("plan_matching_state", out);
}

#[test]
fn plan_in_place_update_when_description_changes() {
    let w = Work::example("single-role");
    w.install_state("single-role.json");
    let edited = w.read("main.tf").replace(
        "\"Application instances of ${var.name}\"",
        "\"App role of ${var.name}\"",
    );
    w.write("main.tf", &edited);
    let out = w.aiu(["plan", "--offline", "-detailed-exitcode"]).run();
    out.assert_code(2);
    out.assert_stdout_contains("# aws_iam_role.app will be updated in-place");
    out.assert_stdout_contains("Plan: 0 to add, 1 to change, 0 to destroy.");
    snap!("plan_update_description", out);
}

#[test]
fn plan_replacement_when_name_changes() {
    let w = Work::example("single-role");
    w.install_state("single-role.json");
    let out = w
        .aiu([
            "plan",
            "--offline",
            "-detailed-exitcode",
            "-var",
            "name=renamed-app",
        ])
        .run();
    out.assert_code(2);
    out.assert_stdout_contains("# aws_iam_role.app must be replaced");
    out.assert_stdout_contains("# forces replacement");
    snap!("plan_replace_on_rename", out);
}

#[test]
fn plan_destroy_against_state() {
    let w = Work::example("single-role");
    w.install_state("single-role.json");
    let out = w
        .aiu(["plan", "--offline", "-destroy", "-detailed-exitcode"])
        .run();
    out.assert_code(2);
    out.assert_stdout_contains("Plan: 0 to add, 0 to change, 5 to destroy.");
    snap!("plan_destroy", out);
}

#[test]
fn plan_deletes_resources_removed_from_config() {
    let w = Work::example("single-role");
    w.install_state("single-role.json");
    // Drop the instance profile and its output from the configuration.
    let text = w.read("main.tf");
    let start = text.find("resource \"aws_iam_instance_profile\"").unwrap();
    let end = text[start..].find("\n}\n").unwrap() + start + 3;
    let mut text = format!("{}{}", &text[..start], &text[end..]);
    let start = text.find("output \"instance_profile_name\"").unwrap();
    let end = text[start..].find("\n}\n").unwrap() + start + 3;
    text = format!("{}{}", &text[..start], &text[end..]);
    w.write("main.tf", &text);
    let out = w.aiu(["plan", "--offline", "-detailed-exitcode"]).run();
    out.assert_code(2);
    out.assert_stdout_contains("# aws_iam_instance_profile.app will be destroyed");
    out.assert_stdout_contains("Plan: 0 to add, 0 to change, 1 to destroy.");
}

// ---------------------------------------------------------------------------------------------
// flag spellings

#[test]
fn chdir_terraform_and_gnu_spellings_agree() {
    let w = Work::example("single-role");
    let elsewhere = Work::empty();
    let dir = w.path().to_str().unwrap().to_owned();
    let a = elsewhere
        .aiu([format!("-chdir={dir}").as_str(), "plan", "--offline"])
        .run();
    let b = elsewhere.aiu(["--chdir", &dir, "plan", "--offline"]).run();
    let c = elsewhere
        .aiu([format!("--chdir={dir}").as_str(), "plan", "--offline"])
        .run();
    let d = elsewhere.aiu(["--dir", &dir, "plan", "--offline"]).run();
    let here = w.aiu(["plan", "--offline"]).run();
    here.assert_code(0);
    for (spelling, out) in [
        ("-chdir=", &a),
        ("--chdir DIR", &b),
        ("--chdir=DIR", &c),
        ("--dir DIR", &d),
    ] {
        assert_eq!(out.code, 0, "{spelling}: {}", out.snapshot());
        assert_eq!(out.stdout, here.stdout, "{spelling} planned something else");
    }
    // The state default is relative to the configuration directory, not the working directory.
    assert!(!elsewhere.join("state").exists());
}

#[test]
fn var_flag_spellings_agree() {
    let w = Work::fixture("vars");
    let spellings: [&[&str]; 4] = [
        &["-var", "name=flag-role"],
        &["--var", "name=flag-role"],
        &["--var=name=flag-role"],
        &["-var=name=flag-role"],
    ];
    for args in spellings {
        let out = w.aiu(["plan", "--offline"]).args(args).run();
        out.assert_code(0);
        out.assert_stdout_contains("+ name                  = \"flag-role\"");
    }
}

#[test]
fn var_file_spellings_agree() {
    let w = Work::fixture("vars");
    for args in [
        &["-var-file=custom.tfvars"][..],
        &["--var-file", "custom.tfvars"],
        &["-var-file", "custom.tfvars"],
    ] {
        let out = w.aiu(["plan", "--offline"]).args(args).run();
        out.assert_code(0);
        out.assert_stdout_contains("\"from-var-file\"");
        out.assert_stdout_contains("\"from var file\"");
    }
}

#[test]
fn detailed_exitcode_and_out_spellings_agree() {
    let w = Work::example("single-role");
    for flag in ["-detailed-exitcode", "--detailed-exitcode"] {
        w.aiu(["plan", "--offline", flag]).run().assert_code(2);
    }
    // A saved plan records live objects, so -out needs AWS: both spellings are refused offline
    // with the same message, and no file is written.
    let a = w.aiu(["plan", "--offline", "-out=a.json"]).run();
    a.assert_code(1);
    a.assert_stderr_contains("-out cannot be combined with --offline");
    let b = w.aiu(["plan", "--offline", "--out", "b.json"]).run();
    b.assert_code(1);
    b.assert_stderr_contains("-out cannot be combined with --offline");
    assert!(!w.path().join("a.json").exists() && !w.path().join("b.json").exists());
    // -refresh takes a value in both spellings (offline ignores it).
    w.aiu(["plan", "--offline", "-refresh=false"])
        .run()
        .assert_code(0);
    w.aiu(["plan", "--offline", "--refresh", "false"])
        .run()
        .assert_code(0);
}

#[test]
fn unknown_flag_is_an_error() {
    let w = Work::example("single-role");
    let out = w.aiu(["plan", "--offline", "-no-such-flag"]).run();
    out.assert_code(1);
    out.assert_stderr_contains("--no-such-flag");
}

// ---------------------------------------------------------------------------------------------
// variables

/// `aiu plan --offline` with these environment variables set.
fn plan_offline_with_env(w: &Work, vars: &[(&str, &str)]) -> Out {
    vars.iter()
        .fold(w.aiu(["plan", "--offline"]), |run, (k, v)| run.env(k, v))
        .run()
}

#[test]
fn variable_from_aiu_var_env() {
    let w = Work::fixture("vars");
    let out = plan_offline_with_env(&w, &[("AIU_VAR_name", "env-role")]);
    out.assert_code(0);
    out.assert_stdout_contains("\"env-role\"");
    out.assert_stdout_contains("\"from default\"");
}

#[test]
fn variable_from_terraform_tf_var_env_and_aiu_var_wins_over_it() {
    let w = Work::fixture("vars");
    let out = plan_offline_with_env(&w, &[("TF_VAR_name", "tf-env-role")]);
    out.assert_code(0);
    out.assert_stdout_contains("\"tf-env-role\"");
    let both = [("TF_VAR_name", "tf-env-role"), ("AIU_VAR_name", "env-role")];
    let out = plan_offline_with_env(&w, &both);
    out.assert_code(0);
    out.assert_stdout_contains("\"env-role\"");
    out.assert_not_contains("tf-env-role");
}

#[test]
fn terraform_scripts_input_false_is_accepted() {
    let w = Work::example("single-role");
    let out = w.aiu(["plan", "--offline", "-input=false"]).run();
    out.assert_code(0);
    out.assert_stdout_contains("Plan: 5 to add");
}

#[test]
fn variable_precedence_env_then_tfvars_then_var_file_then_var() {
    let w = Work::fixture("vars");
    // aiu.tfvars beats the environment.
    w.write("aiu.tfvars", "name = \"from-aiu-tfvars\"\n");
    let out = plan_offline_with_env(&w, &[("AIU_VAR_name", "env-role")]);
    out.assert_code(0);
    out.assert_stdout_contains("\"from-aiu-tfvars\"");
    // *.auto.tfvars beats aiu.tfvars.
    w.write("x.auto.tfvars", "name = \"from-auto-tfvars\"\n");
    let out = plan_offline_with_env(&w, &[("AIU_VAR_name", "env-role")]);
    out.assert_stdout_contains("\"from-auto-tfvars\"");
    // -var-file beats *.auto.tfvars.
    let out = w
        .aiu(["plan", "--offline", "-var-file=custom.tfvars"])
        .env("AIU_VAR_name", "env-role")
        .run();
    out.assert_stdout_contains("\"from-var-file\"");
    // -var beats everything.
    let out = w
        .aiu([
            "plan",
            "--offline",
            "-var-file=custom.tfvars",
            "-var",
            "name=from-flag",
        ])
        .env("AIU_VAR_name", "env-role")
        .run();
    out.assert_code(0);
    out.assert_stdout_contains("\"from-flag\"");
    out.assert_not_contains("from-var-file\"\n");
    // The description from the var file stays: precedence is per variable.
    out.assert_stdout_contains("\"from var file\"");
}

#[test]
fn missing_required_variable_is_an_error_naming_it() {
    let w = Work::fixture("vars");
    let out = w.aiu(["plan", "--offline"]).run();
    out.assert_code(1);
    out.assert_stderr_contains("\"name\"");
    assert!(
        out.stdout.is_empty(),
        "nothing on stdout when planning failed: {}",
        out.stdout
    );
    snap!("missing_required_variable", out);
    // -detailed-exitcode does not turn the error into 0 or 2.
    w.aiu(["plan", "--offline", "-detailed-exitcode"])
        .run()
        .assert_code(1);
}

#[test]
fn undeclared_variable_on_command_line_is_reported() {
    let w = Work::fixture("vars");
    let out = w
        .aiu(["plan", "--offline", "-var", "name=x", "-var", "nmae=y"])
        .run();
    // Terraform treats this as an error; whatever aiu decides, it must name the variable.
    out.assert_contains("nmae");
}

// ---------------------------------------------------------------------------------------------
// configuration errors: each kind with its rendered diagnostic

fn config_error(kind: &str) -> Out {
    let w = Work::fixture(&format!("errors/{kind}"));
    let validate = w.aiu(["validate"]).run();
    validate.assert_code(1);
    assert!(
        validate.stderr.contains("Error: "),
        "{kind}: no error on stderr:\n{}",
        validate.snapshot()
    );
    assert!(
        !validate.stdout.contains("Success"),
        "{kind}: validate claimed success"
    );
    let plan = w.aiu(["plan", "--offline", "-detailed-exitcode"]).run();
    plan.assert_code(1);
    assert_eq!(
        plan.stderr, validate.stderr,
        "{kind}: plan and validate report different problems"
    );
    assert!(!w.state_path().exists());
    validate
}

#[test]
fn error_unknown_resource_type() {
    let out = config_error("unknown-resource-type");
    out.assert_stderr_contains("main.tf:1:1");
    out.assert_stderr_contains("aws_iam_rol");
    out.assert_stderr_contains("Did you mean \"aws_iam_role\"");
    snap!("error_unknown_resource_type", out);
}

#[test]
fn error_unsupported_argument() {
    let out = config_error("unsupported-argument");
    out.assert_stderr_contains("Unsupported argument");
    out.assert_stderr_contains("\"colour\"");
    snap!("error_unsupported_argument", out);
}

#[test]
fn error_missing_required_argument() {
    let out = config_error("missing-argument");
    out.assert_stderr_contains("Missing required argument");
    out.assert_stderr_contains("assume_role_policy");
    snap!("error_missing_required_argument", out);
}

#[test]
fn error_undeclared_reference() {
    let out = config_error("undeclared-reference");
    out.assert_stderr_contains("role_name");
    out.assert_stderr_contains("aws_iam_policy.logs");
    snap!("error_undeclared_reference", out);
}

#[test]
fn error_wrong_type() {
    let out = config_error("wrong-type");
    out.assert_stderr_contains("max_session_duration");
    out.assert_stderr_contains("tags");
    snap!("error_wrong_type", out);
}

#[test]
fn error_wrong_variable_type() {
    let out = config_error("wrong-variable-type");
    out.assert_stderr_contains("max_session");
    snap!("error_wrong_variable_type", out);
}

#[test]
fn error_duplicate_resource() {
    let out = config_error("duplicate-resource");
    out.assert_stderr_contains("Duplicate resource");
    out.assert_stderr_contains("main.tf:1:1");
    snap!("error_duplicate_resource", out);
}

#[test]
fn error_unknown_function() {
    let out = config_error("unknown-function");
    out.assert_stderr_contains("frobnicate");
    out.assert_stderr_contains("jsonencode");
    snap!("error_unknown_function", out);
}

#[test]
fn error_count_and_for_each() {
    let out = config_error("count-and-for-each");
    out.assert_stderr_contains("count");
    out.assert_stderr_contains("for_each");
    snap!("error_count_and_for_each", out);
}

#[test]
fn error_create_before_destroy_with_fixed_name() {
    let out = config_error("create-before-destroy-fixed-name");
    out.assert_stderr_contains("create_before_destroy");
    out.assert_stderr_contains("name_prefix");
    snap!("error_create_before_destroy_fixed_name", out);
}

#[test]
fn error_three_node_cycle_names_every_address() {
    let out = config_error("cycle");
    for addr in ["aws_iam_role.a", "aws_iam_role.b", "aws_iam_role.c"] {
        out.assert_stderr_contains(addr);
    }
    snap!("error_cycle", out);
    let w = Work::fixture("errors/cycle");
    let graph = w.aiu(["graph"]).run();
    graph.assert_code(1);
    for addr in ["aws_iam_role.a", "aws_iam_role.b", "aws_iam_role.c"] {
        graph.assert_stderr_contains(addr);
    }
    assert!(graph.stdout.is_empty());
}

#[test]
fn several_errors_in_one_run() {
    let out = config_error("several");
    out.assert_stderr_contains("aws_iam_rol\"");
    out.assert_stderr_contains("\"colour\"");
    out.assert_stderr_contains("Missing required argument");
    out.assert_stderr_contains("Duplicate resource");
    out.assert_stderr_contains("not_declared");
    out.assert_stderr_contains("more.tf:1:1");
    let errors = out.stderr.matches("Error: ").count();
    assert!(
        errors >= 5,
        "expected at least 5 errors, got {errors}:\n{}",
        out.stderr
    );
    snap!("error_several", out);
}

#[test]
fn validate_json_reports_every_error_with_ranges() {
    // (With load-time errors, e.g. errors/several, `validate -json` prints no JSON at all:
    // reported as a bug, not part of this suite.)
    let w = Work::fixture("errors/wrong-type");
    let out = w.aiu(["validate", "-json"]).run();
    out.assert_code(1);
    let doc = json(&out.stdout);
    assert_eq!(doc["valid"], false);
    let diags = doc["diagnostics"].as_array().unwrap();
    assert_eq!(doc["error_count"].as_u64().unwrap() as usize, diags.len());
    assert_eq!(diags.len(), 2);
    for d in diags {
        assert_eq!(d["severity"], "error");
        assert!(d["range"]["filename"].is_string(), "{d:#}");
        assert!(d["range"]["start"]["line"].as_u64().unwrap() >= 1, "{d:#}");
    }
}

// ---------------------------------------------------------------------------------------------
// validate / graph

#[test]
fn validate_succeeds_on_every_example() {
    for name in example_names() {
        let w = Work::example(&name);
        let out = w.aiu(["validate"]).run();
        out.assert_code(0);
        out.assert_stdout_contains("Success! The configuration is valid.");
        let out = w.aiu(["validate", "-json"]).run();
        out.assert_code(0);
        let doc = json(&out.stdout);
        assert_eq!(doc["valid"], true, "{name}");
        assert_eq!(doc["error_count"], 0, "{name}");
        assert!(!w.state_path().exists());
    }
}

#[test]
fn graph_dot_and_mermaid() {
    let w = Work::example("single-role");
    let dot = w.aiu(["graph"]).run();
    dot.assert_code(0);
    assert!(dot.stdout.starts_with("digraph"), "{}", dot.stdout);
    dot.assert_stdout_contains(
        "\"aws_iam_role_policy_attachment.logs\" -> \"aws_iam_policy.logs\"",
    );
    dot.assert_stdout_contains("\"aws_iam_role_policy_attachment.logs\" -> \"aws_iam_role.app\"");
    snap!("graph_single_role_dot", dot);
    let explicit = w.aiu(["graph", "--format", "dot"]).run();
    assert_eq!(explicit.stdout, dot.stdout);
    let mermaid = w.aiu(["graph", "--format", "mermaid"]).run();
    mermaid.assert_code(0);
    assert!(
        mermaid.stdout.starts_with("flowchart"),
        "{}",
        mermaid.stdout
    );
    snap!("graph_single_role_mermaid", mermaid);
    let tf_spelling = w.aiu(["graph", "-format=mermaid"]).run();
    assert_eq!(tf_spelling.stdout, mermaid.stdout);
}

#[test]
fn graph_of_for_each_example() {
    let w = Work::example("for-each-roles");
    let out = w.aiu(["graph"]).run();
    out.assert_code(0);
    snap!("graph_for_each_roles_dot", out);
}

#[test]
fn graph_needs_no_variable_values() {
    let w = Work::fixture("vars");
    let out = w.aiu(["graph"]).run();
    out.assert_code(0);
    out.assert_stdout_contains("\"aws_iam_role.app\" -> \"var.name\"");
}

// ---------------------------------------------------------------------------------------------
// state refusal: corrupt, newer format, another lineage

/// Runs every state-reading command against a bad state file and checks each refuses with
/// exit 1, a message naming the file, and leaves the bytes untouched.
fn assert_state_refused(bytes: &[u8], expect: &[&str]) -> Out {
    let w = Work::example("single-role");
    w.write("state/default.aiustate.json", "");
    std::fs::write(w.state_path(), bytes).unwrap();
    let mut first = None;
    for args in [
        &["plan", "--offline"][..],
        &["plan", "--offline", "-detailed-exitcode"],
        &["show"],
        &["state", "list"],
        &["state", "pull"],
        &["output"],
    ] {
        let out = w.aiu(args).run();
        assert_eq!(out.code, 1, "{args:?}: {}", out.snapshot());
        assert!(
            out.stderr.contains("default.aiustate.json"),
            "{args:?} should name the file: {}",
            out.snapshot()
        );
        for e in expect {
            assert!(
                out.stderr.contains(e),
                "{args:?} should say {e:?}: {}",
                out.snapshot()
            );
        }
        assert_eq!(
            std::fs::read(w.state_path()).unwrap(),
            bytes,
            "{args:?} changed the state file"
        );
        assert!(
            !w.join("state/default.aiustate.json.backup").exists(),
            "{args:?} wrote a backup"
        );
        first.get_or_insert(out);
    }
    first.unwrap()
}

#[test]
fn corrupt_state_is_refused_and_kept() {
    let good = std::fs::read_to_string(fixture_path("states/single-role.json")).unwrap();
    let truncated = &good.as_bytes()[..good.len() / 2];
    let out = assert_state_refused(truncated, &["not valid JSON"]);
    snap!("state_refused_corrupt", out);
    assert_state_refused(b"\xff\xfe not utf-8", &["UTF-8"]);
    assert_state_refused(b"[1, 2, 3]\n", &["malformed"]);
}

#[test]
fn newer_state_format_is_refused_and_kept() {
    let good = std::fs::read_to_string(fixture_path("states/single-role.json")).unwrap();
    let newer = good.replacen("\"format_version\": 1", "\"format_version\": 99", 1);
    assert_ne!(newer, good);
    let out = assert_state_refused(newer.as_bytes(), &["format_version 99", "upgrade aiu"]);
    snap!("state_refused_newer_format", out);
}

#[test]
fn inconsistent_state_is_refused_and_kept() {
    let good = std::fs::read_to_string(fixture_path("states/single-role.json")).unwrap();
    let no_lineage = good.replacen(
        "\"lineage\": \"0b5c6a2e-1f3d-4c8e-9a7b-5d4e3f2a1b0c\"",
        "\"lineage\": \"\"",
        1,
    );
    assert_ne!(no_lineage, good);
    assert_state_refused(no_lineage.as_bytes(), &["lineage"]);
}

#[test]
fn state_flag_points_at_another_file() {
    let w = Work::example("single-role");
    let other = Work::empty();
    let text = std::fs::read_to_string(fixture_path("states/single-role.json")).unwrap();
    other.write("elsewhere.json", &text);
    let path = other.join("elsewhere.json");
    let out = w
        .aiu([
            "plan",
            "--offline",
            "-detailed-exitcode",
            &format!("-state={}", path.display()),
        ])
        .run();
    out.assert_code(0);
    let out = w
        .aiu([
            "plan",
            "--offline",
            "-detailed-exitcode",
            "--state",
            path.to_str().unwrap(),
        ])
        .run();
    out.assert_code(0);
    // Without it, the (absent) default state means everything is created.
    w.aiu(["plan", "--offline", "-detailed-exitcode"])
        .run()
        .assert_code(2);
}

/// The state lock is checked before any AWS call, so this runs offline: `aiu import` against
/// a state whose lock another process holds is refused.
#[test]
fn locked_state_is_refused() {
    if std::process::Command::new("flock")
        .arg("--version")
        .output()
        .is_err()
    {
        panic!("the `flock` utility (util-linux) is needed by this test");
    }
    let w = Work::example("single-role");
    w.install_state("single-role.json");
    let lock = w.join("state/default.aiustate.json.lock");
    let ready = w.join("locked");
    let mut holder = std::process::Command::new("flock")
        .arg(&lock)
        .arg("-c")
        .arg(format!("touch '{}'; sleep 30", ready.display()))
        .spawn()
        .expect("spawn flock");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !ready.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "flock did not take the lock"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let before = std::fs::read(w.state_path()).unwrap();
    let out = w
        .aiu(["import", "aws_iam_role.app", "aiu-example-app"])
        .run();
    let _ = holder.kill();
    let _ = holder.wait();
    out.assert_code(1);
    out.assert_stderr_contains("is locked by another aiu run");
    assert_eq!(std::fs::read(w.state_path()).unwrap(), before);
}

// ---------------------------------------------------------------------------------------------
// show / state list / output on hand-written states

fn golden_state_work() -> Work {
    let w = Work::empty();
    let text = std::fs::read_to_string(
        support::repo_root().join("tests/state-golden/v1-roles-policies-attachments.json"),
    )
    .unwrap();
    w.write("state/default.aiustate.json", &text);
    w
}

#[test]
fn show_state_list_and_output_on_hand_written_state() {
    let w = Work::example("single-role");
    w.install_state("single-role.json");
    let before = std::fs::read(w.state_path()).unwrap();

    let show = w.aiu(["show"]).run();
    show.assert_code(0);
    show.assert_stdout_contains("# aws_iam_role.app:");
    snap!("show_single_role_state", show);

    let list = w.aiu(["state", "list"]).run();
    list.assert_code(0);
    assert_eq!(
        list.stdout,
        "aws_iam_instance_profile.app\naws_iam_policy.logs\naws_iam_role.app\naws_iam_role_policy.read_data\naws_iam_role_policy_attachment.logs\n"
    );
    let filtered = w.aiu(["state", "list", "aws_iam_role"]).run();
    filtered.assert_code(0);
    assert_eq!(
        filtered.stdout,
        "aws_iam_role.app\naws_iam_role_policy.read_data\naws_iam_role_policy_attachment.logs\n"
    );

    let outputs = w.aiu(["output"]).run();
    outputs.assert_code(0);
    assert_eq!(
        outputs.stdout,
        "instance_profile_name = \"aiu-example-app\"\nrole_arn = \"arn:aws:iam::123456789012:role/aiu-example-app\"\n"
    );
    let one = w.aiu(["output", "role_arn"]).run();
    one.assert_code(0);
    assert_eq!(
        one.stdout,
        "\"arn:aws:iam::123456789012:role/aiu-example-app\"\n"
    );
    let raw = w.aiu(["output", "-raw", "role_arn"]).run();
    raw.assert_code(0);
    assert_eq!(
        raw.stdout.trim_end(),
        "arn:aws:iam::123456789012:role/aiu-example-app"
    );
    let js = w.aiu(["output", "-json"]).run();
    js.assert_code(0);
    assert_eq!(
        json(&js.stdout)["role_arn"]["value"],
        "arn:aws:iam::123456789012:role/aiu-example-app"
    );
    let missing = w.aiu(["output", "no_such_output"]).run();
    missing.assert_code(1);
    missing.assert_stderr_contains("no_such_output");

    let show_json = w.aiu(["show", "-json"]).run();
    show_json.assert_code(0);
    json(&show_json.stdout);
    let pull = w.aiu(["state", "pull"]).run();
    pull.assert_code(0);
    assert_eq!(
        json(&pull.stdout),
        json(std::str::from_utf8(&before).unwrap())
    );

    assert_eq!(
        std::fs::read(w.state_path()).unwrap(),
        before,
        "read-only commands changed the state"
    );
}

#[test]
fn show_and_list_golden_state_with_indexed_instances() {
    let w = golden_state_work();
    let list = w.aiu(["state", "list"]).run();
    list.assert_code(0);
    snap!("state_list_golden", list);
    let show = w.aiu(["show"]).run();
    show.assert_code(0);
    snap!("show_golden", show);
    let out = w.aiu(["output"]).run();
    out.assert_code(0);
}

#[test]
fn commands_on_missing_state() {
    let w = Work::example("single-role");
    let list = w.aiu(["state", "list"]).run();
    list.assert_code(0);
    assert_eq!(list.stdout, "");
    let show = w.aiu(["show"]).run();
    show.assert_code(0);
    assert!(!w.state_path().exists(), "show created a state file");
}

// ---------------------------------------------------------------------------------------------
// version, help, apply refusals

#[test]
fn version() {
    let w = Work::empty();
    let out = w.aiu(["version"]).run();
    out.assert_code(0);
    assert_eq!(out.stdout, format!("aiu v{}\n", env!("CARGO_PKG_VERSION")));
    // Like Terraform, every spelling prints the same line.
    for flag in ["--version", "-version"] {
        let out = w.aiu([flag]).run();
        out.assert_code(0);
        assert_eq!(out.stdout, format!("aiu v{}\n", env!("CARGO_PKG_VERSION")));
    }
}

#[test]
fn help_lists_commands_and_plan_flags() {
    let w = Work::empty();
    let top = w.aiu(["--help"]).run();
    top.assert_code(0);
    for cmd in [
        "validate", "plan", "apply", "destroy", "graph", "show", "state", "output", "import",
        "version",
    ] {
        assert!(
            top.stdout.lines().any(|l| l.trim_start().starts_with(cmd)),
            "--help should list {cmd}:\n{}",
            top.stdout
        );
    }
    for spelling in [
        &["plan", "--help"][..],
        &["plan", "-help"],
        &["plan", "-h"],
        &["help", "plan"],
    ] {
        let out = w.aiu(spelling).run();
        out.assert_code(0);
        for flag in [
            "--var ",
            "--var-file",
            "--state",
            "--offline",
            "--refresh",
            "--refresh-only",
            "--destroy",
            "--detailed-exitcode",
            "--json",
            "--out",
            "--parallelism",
            "--chdir",
        ] {
            assert!(
                out.stdout.contains(flag),
                "{spelling:?} should list {flag}:\n{}",
                out.stdout
            );
        }
    }
    let apply = w.aiu(["apply", "--help"]).run();
    apply.assert_code(0);
    apply.assert_stdout_contains("--auto-approve");
    for cmd in ["validate", "graph", "show", "output", "import", "destroy"] {
        w.aiu([cmd, "--help"]).run().assert_code(0);
    }
    w.aiu(["state", "list", "--help"]).run().assert_code(0);
}

#[test]
fn apply_and_destroy_refuse_offline() {
    let w = Work::example("single-role");
    for cmd in ["apply", "destroy"] {
        let out = w.aiu([cmd, "--offline", "-auto-approve"]).run();
        out.assert_code(1);
        out.assert_stderr_contains("--offline");
        assert!(!w.state_path().exists());
    }
    let out = w.aiu(["apply", "-offline"]).run();
    out.assert_code(1);
    snap!("apply_offline_refused", out);
}

#[test]
fn import_needs_a_declared_resource() {
    let w = Work::example("single-role");
    let out = w.aiu(["import", "aws_iam_role.nope", "some-role"]).run();
    out.assert_code(1);
    out.assert_stderr_contains("aws_iam_role.nope");
    out.assert_stderr_contains("not declared");
    let out = w
        .aiu(["import", "data.aws_iam_policy_document.trust", "x"])
        .run();
    out.assert_code(1);
    out.assert_stderr_contains("data source");
    assert!(!w.state_path().exists());
}

#[test]
fn no_color_output_has_no_escape_codes() {
    let w = Work::example("for-each-roles");
    let out = w.aiu(["plan", "--offline"]).run();
    assert!(!out.all().contains('\x1b'));
    let out = w
        .aiu(["plan", "--offline", "-no-color"])
        .env("NO_COLOR", "")
        .run();
    assert!(!out.all().contains('\x1b'));
}

/// Holds the OS lock on `lock_file` from another process (flock from util-linux) for
/// `seconds`, and returns once it is held.
fn hold_lock(w: &Work, lock_file: &str, seconds: u32) -> std::process::Child {
    let ready = w.join("locked");
    let _ = std::fs::remove_file(&ready);
    // -o: the command does not inherit the lock, so killing flock releases it.
    let holder = std::process::Command::new("flock")
        .arg("-o")
        .arg(w.join(lock_file))
        .arg("-c")
        .arg(format!("touch '{}'; sleep {seconds}", ready.display()))
        .spawn()
        .expect("spawn flock (util-linux)");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !ready.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "flock did not take the lock"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    holder
}

/// The single-role example with a second workspace `dev`, the default one selected.
fn example_with_dev_workspace() -> Work {
    let w = Work::example("single-role");
    w.aiu(["workspace", "new", "dev"]).run().assert_code(0);
    w.aiu(["workspace", "select", "default"])
        .run()
        .assert_code(0);
    w
}

/// `workspace delete` takes the workspace's state lock: a run still using the workspace keeps
/// it (regression: it used to delete the state under a running apply).
#[test]
fn workspace_delete_refuses_a_locked_workspace() {
    let w = example_with_dev_workspace();
    let mut holder = hold_lock(&w, "state/dev.aiustate.json.lock", 30);
    let out = w.aiu(["workspace", "delete", "-force", "dev"]).run();
    let _ = holder.kill();
    let _ = holder.wait();
    out.assert_code(1);
    out.assert_stderr_contains("is locked by another aiu run");
    assert!(
        w.join("state/dev.aiustate.json").exists(),
        "the locked workspace's state must survive"
    );
    // Once released, the delete goes through.
    w.aiu(["workspace", "delete", "-force", "dev"])
        .run()
        .assert_code(0);
    assert!(!w.join("state/dev.aiustate.json").exists());
}

/// Like Terraform, the commands that write state besides plan and apply take `-lock-timeout`
/// (wait for the holder) and `-lock=false`.
#[test]
fn workspace_and_state_push_commands_wait_with_lock_timeout() {
    let w = example_with_dev_workspace();
    let mut holder = hold_lock(&w, "state/dev.aiustate.json.lock", 1);
    let out = w
        .aiu(["workspace", "delete", "-force", "-lock-timeout=20s", "dev"])
        .run();
    let _ = holder.wait();
    out.assert_code(0);
    assert!(!w.join("state/dev.aiustate.json").exists());

    w.aiu(["workspace", "new", "-lock=false", "dev"])
        .run()
        .assert_code(0);
    let pushed = w.read("state/dev.aiustate.json");
    w.write("copy.json", &pushed);
    let mut holder = hold_lock(&w, "state/dev.aiustate.json.lock", 1);
    let out = w
        .aiu(["state", "push", "-lock-timeout=20s", "copy.json"])
        .run();
    let _ = holder.wait();
    out.assert_code(0);
}

const TWO_ROLES: &str = r#"
locals {
  names = toset(["a"])
}
resource "aws_iam_role" "r" {
  for_each           = local.names
  name               = each.key
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [] })
}
"#;

#[test]
fn import_ids_may_use_locals_and_for_each_imports_plan_one_import_per_element() {
    let w = Work::empty();
    w.write(
        "main.tf",
        &format!(
            "{TWO_ROLES}\nimport {{\n  for_each = local.names\n  to       = aws_iam_role.r[each.key]\n  id       = \"${{local.prefix}}${{each.value}}\"\n}}\n\nlocals {{\n  prefix = \"\"\n}}\n"
        ),
    );
    let out = w.aiu(["plan", "--offline"]).run();
    out.assert_code(0);
    out.assert_stdout_contains("# aws_iam_role.r[\"a\"] will be imported");
    out.assert_stdout_contains("Plan: 1 to import, 0 to add, 0 to change, 0 to destroy.");
}

#[test]
fn import_into_an_undeclared_instance_or_twice_into_one_is_an_error_at_the_import_block() {
    let w = Work::empty();
    w.write(
        "main.tf",
        &format!(
            "{TWO_ROLES}\nimport {{\n  for_each = toset([\"a\", \"b\"])\n  to       = aws_iam_role.r[each.key]\n  id       = each.value\n}}\n\nimport {{\n  to = aws_iam_role.r[\"a\"]\n  id = \"other\"\n}}\n"
        ),
    );
    let out = w.aiu(["plan", "--offline"]).run();
    out.assert_code(1);
    out.assert_stderr_contains("Error: Configuration for import target does not exist");
    out.assert_stderr_contains("main.tf:11:1");
    out.assert_stderr_contains(
        "no instance aws_iam_role.r[\"b\"] to import into; it declares aws_iam_role.r[\"a\"]",
    );
    out.assert_stderr_contains("Error: Duplicate import configuration");
    out.assert_stderr_contains("main.tf:17:1");
    out.assert_stderr_contains(
        "aws_iam_role.r[\"a\"] is imported more than once (ids `a` and `other`)",
    );
}

/// Arguments and environment variables that are not UTF-8: a clear error for an argument,
/// and an unrelated variable of another program does not stop aiu.
#[cfg(unix)]
#[test]
fn arguments_and_environment_that_are_not_utf8() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let w = Work::example("single-role");
    let out = w
        .aiu([
            OsStr::new("plan"),
            OsStr::new("--offline"),
            OsStr::from_bytes(b"-var-file=caf\xe9.tfvars"),
        ])
        .run();
    out.assert_code(1);
    out.assert_stderr_contains("is not valid UTF-8 text");
    let out = w
        .aiu(["plan", "--offline"])
        .env("SOME_OTHER_TOOL", OsStr::from_bytes(b"\xff\xfe"))
        .run();
    out.assert_code(0);
}
