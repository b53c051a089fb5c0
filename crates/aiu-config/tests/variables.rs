//! Input variables: precedence of sources, type conversion, required values, validation.

mod common;

use aiu_config::{resolve_variables, VarInputs};
use aiu_model::Value;
use common::{load, render_in};

fn resolve(
    files: &[(&str, &str)],
    inputs: VarInputs,
) -> (std::collections::BTreeMap<String, Value>, String) {
    let (dir, config, diags) = load(files);
    assert!(!diags.has_errors(), "{}", render_in(&diags, dir.path()));
    let inputs = VarInputs {
        var_files: inputs
            .var_files
            .iter()
            .map(|f| dir.path().join(f))
            .collect(),
        ..inputs
    };
    let (values, diags) = resolve_variables(&config, &inputs);
    (values, render_in(&diags, dir.path()))
}

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn cli(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

#[test]
fn later_sources_override_earlier_ones_like_terraform() {
    let decls: String = [
        "default", "env", "tfvars", "aiu", "auto", "file1", "file2", "cli",
    ]
    .iter()
    .map(|n| format!("variable \"{n}\" {{\n  default = \"default\"\n}}\n"))
    .collect();
    let (values, diags) = resolve(
        &[
            ("vars.tf", &decls),
            ("terraform.tfvars", "tfvars = \"terraform.tfvars\"\naiu = \"terraform.tfvars\"\nauto = \"terraform.tfvars\"\n"),
            ("aiu.tfvars", "aiu = \"aiu.tfvars\"\nauto = \"aiu.tfvars\"\n"),
            ("a.auto.tfvars", "auto = \"a.auto\"\nfile1 = \"a.auto\"\n"),
            ("b.auto.tfvars.json", r#"{"auto": "b.auto", "file1": "b.auto"}"#),
            ("one.tfvars", "file1 = \"one\"\nfile2 = \"one\"\ncli = \"one\"\n"),
            ("two.tfvars", "file2 = \"two\"\ncli = \"two\"\n"),
        ],
        VarInputs {
            cli_vars: cli(&["cli=first", "cli=second"]),
            var_files: vec!["one.tfvars".into(), "two.tfvars".into()],
            env: env(&[("TF_VAR_env", "tf-env"), ("AIU_VAR_env", "env"), ("TF_VAR_default", "tf-env"), ("AIU_VAR_tfvars", "env"), ("PATH", "/bin"), ("AIU_VAR_undeclared", "x")]),
            ..VarInputs::default()
        },
    );
    assert_eq!(diags, "");
    let got: Vec<(String, String)> = values
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("?").to_owned()))
        .collect();
    let want: Vec<(String, String)> = [
        ("aiu", "aiu.tfvars"),
        ("auto", "b.auto"),
        ("cli", "second"),
        ("default", "tf-env"),
        ("env", "env"),
        ("file1", "one"),
        ("file2", "two"),
        ("tfvars", "terraform.tfvars"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(got, want);
}

#[test]
fn values_are_converted_to_the_declared_type() {
    let (values, diags) = resolve(
        &[(
            "vars.tf",
            r#"variable "n" {
  type = number
}
variable "l" {
  type = list(string)
}
variable "b" {
  type = bool
}
variable "s" {
  type = string
}
variable "untyped" {}
variable "m" {
  type    = map(string)
  default = { a = 1 }
}
"#,
        )],
        VarInputs {
            cli_vars: cli(&["n=3", "l=[\"a\", 2]", "s=[1]", "untyped=x = y"]),
            env: env(&[("AIU_VAR_b", "true")]),
            ..VarInputs::default()
        },
    );
    assert_eq!(diags, "");
    assert_eq!(values["n"], Value::Number(3.0));
    assert_eq!(
        values["l"],
        Value::List(vec![Value::from("a"), Value::from("2")])
    );
    assert_eq!(values["b"], Value::Bool(true));
    assert_eq!(
        values["s"],
        Value::from("[1]"),
        "string variables take the raw text"
    );
    assert_eq!(values["untyped"], Value::from("x = y"));
    assert_eq!(values["m"], Value::object([("a", Value::from("1"))]));
}

#[test]
fn a_value_of_the_wrong_type_names_the_variable_and_its_source() {
    let (values, diags) = resolve(
        &[
            (
                "vars.tf",
                "variable \"n\" {\n  type = number\n}\nvariable \"f\" {\n  type = bool\n}\n",
            ),
            ("x.auto.tfvars", "f = \"maybe\"\n"),
        ],
        VarInputs {
            cli_vars: cli(&["n=\"abc\""]),
            ..VarInputs::default()
        },
    );
    let lines: Vec<&str> = diags.lines().collect();
    assert_eq!(lines.len(), 2, "{diags}");
    assert_eq!(
        lines[0],
        "vars.tf:1:1: Invalid value for input variable: The value for variable \"n\" from the option -var 'n=\"abc\"' \
         is not valid: a number is required, got string \"abc\"."
    );
    assert_eq!(
        lines[1],
        "x.auto.tfvars:1:5: Invalid value for input variable: The value for variable \"f\" from the file \
         x.auto.tfvars is not valid: a bool is required, got string \"maybe\"."
    );
    assert_eq!(values["n"], Value::Unknown);
}

#[test]
fn a_command_line_value_that_is_not_an_expression_says_how_to_write_one() {
    let (_, diags) = resolve(
        &[("vars.tf", "variable \"tags\" {\n  type = map(string)\n}\n")],
        VarInputs {
            cli_vars: cli(&["tags=notamap"]),
            ..VarInputs::default()
        },
    );
    assert!(
        diags.contains("from the option -var 'tags=notamap' is not a valid expression: "),
        "{diags}"
    );
    assert!(diags.contains("written in HCL syntax"), "{diags}");
    assert!(!diags.contains(".."), "a doubled full stop: {diags}");
}

#[test]
fn a_missing_required_variable_says_how_to_set_it() {
    let (_, diags) = resolve(
        &[("vars.tf", "\nvariable \"region\" {\n  type = string\n}\n")],
        VarInputs::default(),
    );
    assert_eq!(
        diags,
        "vars.tf:2:1: No value for required variable: The input variable \"region\" is not set, and has no default \
         value. Pass it with -var 'region=...', in a tfvars file (region = ... in aiu.tfvars, terraform.tfvars or a \
         *.auto.tfvars file), or with the environment variable AIU_VAR_region (or TF_VAR_region)."
    );
}

#[test]
fn values_for_undeclared_variables_warn_from_files_and_fail_from_the_command_line() {
    let (_, diags) = resolve(
        &[
            ("vars.tf", "variable \"region\" {\n  default = \"x\"\n}\n"),
            ("terraform.tfvars", "regoin = \"eu\"\n"),
        ],
        VarInputs {
            cli_vars: cli(&["regin=eu", "novalue"]),
            ..VarInputs::default()
        },
    );
    assert_eq!(
        diags,
        [
            "terraform.tfvars:1:10: warning: Value for undeclared variable: The file terraform.tfvars assigns \
             \"regoin\", but no variable \"regoin\" is declared. Did you mean \"region\"? Declare it with variable \
             \"regoin\" {} or remove the assignment.",
            "-: Value for undeclared variable: A variable named \"regin\" was assigned with -var, but no variable \
             \"regin\" is declared. Did you mean \"region\"? Declare it with variable \"regin\" {} in a .tf file, or \
             fix the name.",
            "-: Invalid -var option: The -var option takes name=value, got \"novalue\". Example: -var 'region=eu-west-1'.",
        ]
        .join("\n")
    );
}

#[test]
fn validation_rules_run_with_the_resolved_value() {
    let files = [(
        "vars.tf",
        r#"variable "env" {
  type = string
  validation {
    condition     = contains(["dev", "prod"], var.env)
    error_message = "env must be dev or prod, got ${var.env}."
  }
}
"#,
    )];
    let (_, diags) = resolve(
        &files,
        VarInputs {
            cli_vars: cli(&["env=dev"]),
            ..VarInputs::default()
        },
    );
    assert_eq!(diags, "");
    let (_, diags) = resolve(
        &files,
        VarInputs {
            cli_vars: cli(&["env=qa"]),
            ..VarInputs::default()
        },
    );
    assert_eq!(
        diags,
        "vars.tf:4:21: Invalid value for variable: env must be dev or prod, got qa.\n\nThis was checked by the \
         validation rule of variable \"env\"."
    );
}

#[test]
fn non_nullable_variables_fall_back_to_their_default_or_fail() {
    let (values, diags) = resolve(
        &[
            (
                "vars.tf",
                "variable \"a\" {\n  nullable = false\n  default  = \"d\"\n}\nvariable \"b\" {\n  nullable = false\n}\nvariable \"c\" {\n  default = \"d\"\n}\n",
            ),
            ("terraform.tfvars", "a = null\nb = null\nc = null\n"),
        ],
        VarInputs::default(),
    );
    assert_eq!(values["a"], Value::from("d"));
    assert_eq!(values["c"], Value::Null);
    assert_eq!(
        diags,
        "terraform.tfvars:2:5: Invalid value for input variable: The variable \"b\" is not nullable, but the value from \
         the file terraform.tfvars is null. Give it a non-null value."
    );
}

#[test]
fn a_missing_var_file_is_an_error() {
    let (_, diags) = resolve(
        &[("vars.tf", "variable \"a\" {\n  default = 1\n}\n")],
        VarInputs {
            var_files: vec!["nope.tfvars".into()],
            ..VarInputs::default()
        },
    );
    assert!(
        diags.starts_with("-: Failed to read variables file: Could not read "),
        "{diags}"
    );
}

#[test]
fn sensitive_variables_are_recorded() {
    let (_dir, config, _) = load(&[(
        "vars.tf",
        "variable \"secret\" {\n  sensitive = true\n  default = \"x\"\n}\n",
    )]);
    assert!(config.is_sensitive_variable("secret"));
    assert!(!config.is_sensitive_variable("other"));
}

#[test]
fn missing_required_variables_can_be_treated_as_unknown_for_validate() {
    let files = [("main.tf", "variable \"region\" {\n  type = string\n}\n")];
    let (_, diags) = resolve(&files, VarInputs::default());
    assert!(diags.contains("No value for required variable"), "{diags}");
    let (values, diags) = resolve(
        &files,
        VarInputs {
            missing_as_unknown: true,
            ..VarInputs::default()
        },
    );
    assert_eq!(diags, "");
    assert_eq!(values["region"], Value::Unknown);
}
