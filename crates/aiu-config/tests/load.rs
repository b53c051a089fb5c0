//! Loading: every block kind, the load-time checks and their exact diagnostics, spans.

mod common;

use aiu_config::{IgnoreChanges, NodeId};
use aiu_model::{InstanceAddress, ResourceAddress};
use common::{check, load, render, render_in, summaries};

const ROLE: &str = r#"
resource "aws_iam_role" "app" {
  name               = "app"
  assume_role_policy = "{}"
}
"#;

#[test]
fn a_complete_configuration_loads_without_diagnostics() {
    let (config, diags) = check(&[(
        "main.tf",
        r#"
terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = { source = "hashicorp/aws", version = "~> 5.0" }
  }
  backend "s3" {
    bucket = "state"
    key    = "iam.tfstate"
  }
}

provider "aws" {
  region  = var.region
  profile = "dev"
  allowed_account_ids = ["123456789012"]
  endpoints {
    iam = "http://localhost:5000"
    sts = "http://localhost:5000"
  }
  default_tags {
    tags = { team = "platform" }
  }
}

variable "region" {
  type        = string
  default     = "eu-west-1"
  description = "AWS region"
}

variable "names" {
  type      = set(string)
  sensitive = true
  nullable  = false
  validation {
    condition     = length(var.names) > 0
    error_message = "At least one name."
  }
}

locals {
  prefix = "app-${var.region}"
}

data "aws_caller_identity" "me" {}

data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "app" {
  for_each           = var.names
  name               = "${local.prefix}-${each.key}"
  assume_role_policy = data.aws_iam_policy_document.trust.json
  tags               = { owner = data.aws_caller_identity.me.account_id }
  lifecycle {
    prevent_destroy = true
    ignore_changes  = [tags, description]
  }
}

resource "aws_iam_instance_profile" "app" {
  count       = 2
  name_prefix = "app-${count.index}"
  role        = aws_iam_role.app["a"].name
  depends_on  = [aws_iam_role.app]
  lifecycle {
    create_before_destroy = true
  }
}

import {
  to = aws_iam_role.app["a"]
  id = "app-a"
}

output "role_arns" {
  value       = [for r in aws_iam_role.app : r.arn]
  description = "ARNs"
  sensitive   = false
  depends_on  = [aws_iam_instance_profile.app]
}

check "reader" {
  assert_access {
    principal = aws_iam_role.app["a"].arn
    action    = ["s3:GetObject"]
    resource  = "arn:aws:s3:::bucket/key"
    expect    = "allow"
  }
}
"#,
    )]);
    assert_eq!(render(&config, &diags), "");
    assert_eq!(config.variables.len(), 2);
    let names = config.variable("names").unwrap();
    assert!(names.sensitive && !names.nullable);
    assert_eq!(
        names.ty,
        Some(aiu_config::TypeConstraint::Set(Box::new(
            aiu_config::TypeConstraint::String
        )))
    );
    assert_eq!(names.validations.len(), 1);
    assert!(config.is_sensitive_variable("names"));
    assert!(!config.is_sensitive_variable("region"));
    assert_eq!(
        config.variable("region").unwrap().description.as_deref(),
        Some("AWS region")
    );
    assert_eq!(config.locals.len(), 1);
    assert_eq!(config.resources.len(), 4);
    assert_eq!(config.managed_resources().count(), 2);
    assert_eq!(config.data_sources().count(), 2);

    let role = config
        .resource(&ResourceAddress::managed("aws_iam_role", "app"))
        .unwrap();
    assert!(role.for_each.is_some() && role.count.is_none());
    assert!(role.lifecycle.prevent_destroy);
    assert_eq!(
        role.lifecycle.ignore_changes,
        IgnoreChanges::Attributes(vec!["tags".into(), "description".into()])
    );
    assert!(role.lifecycle.ignore_changes.ignores("tags"));
    assert_eq!(
        role.body.attributes.keys().collect::<Vec<_>>(),
        ["assume_role_policy", "name", "tags"]
    );

    let profile = config
        .resource(&ResourceAddress::managed("aws_iam_instance_profile", "app"))
        .unwrap();
    assert!(profile.lifecycle.create_before_destroy);
    assert_eq!(
        profile
            .depends_on
            .iter()
            .map(|(n, _)| n.to_string())
            .collect::<Vec<_>>(),
        ["aws_iam_role.app"]
    );

    let doc = config
        .resource(&ResourceAddress::data("aws_iam_policy_document", "trust"))
        .unwrap();
    assert_eq!(doc.body.blocks.len(), 1);
    assert_eq!(doc.body.blocks[0].name, "statement");
    assert_eq!(doc.body.blocks[0].body.blocks[0].name, "principals");

    let provider = config.provider.as_ref().unwrap();
    assert!(provider.region.is_some() && provider.profile.is_some());
    assert_eq!(
        provider.endpoints.keys().collect::<Vec<_>>(),
        ["iam", "sts"]
    );
    assert!(provider.default_tags.is_some());

    let backend = config.backend.as_ref().unwrap();
    assert_eq!(backend.kind, "s3");
    assert_eq!(
        backend.body.attributes.keys().collect::<Vec<_>>(),
        ["bucket", "key"]
    );
    assert!(config.terraform.required_version.is_some());
    assert!(config.terraform.required_providers.contains_key("aws"));

    assert_eq!(config.imports.len(), 1);
    assert_eq!(
        config.imports[0].to,
        "aws_iam_role.app[\"a\"]"
            .parse::<InstanceAddress>()
            .unwrap()
    );

    let output = config.output("role_arns").unwrap();
    assert_eq!(output.description.as_deref(), Some("ARNs"));
    assert_eq!(output.depends_on.len(), 1);

    assert_eq!(config.checks.len(), 1);
    assert_eq!(config.checks[0].name, "reader");
    assert_eq!(config.checks[0].body.blocks[0].name, "assert_access");
    assert!(config.checks[0].body.blocks[0]
        .body
        .attributes
        .contains_key("principal"));
    assert_eq!(config.checks[0].access.len(), 1);
    assert_eq!(
        config.checks[0].access[0].role,
        Some(
            "aws_iam_role.app[\"a\"]"
                .parse::<InstanceAddress>()
                .unwrap()
        )
    );
}

#[test]
fn files_are_read_in_name_order_and_sources_are_kept() {
    let (_dir, config, diags) = load(&[
        ("b.tf", "output \"b\" {\n  value = 2\n}\n"),
        ("a.hcl", "output \"a\" {\n  value = 1\n}\n"),
        ("notes.txt", "not hcl {"),
        (".hidden.tf", "not hcl {"),
    ]);
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(
        config
            .outputs
            .iter()
            .map(|o| o.name.as_str())
            .collect::<Vec<_>>(),
        ["a", "b"]
    );
    let a = config.dir.join("a.hcl");
    assert_eq!(config.source(&a), Some("output \"a\" {\n  value = 1\n}\n"));
    assert_eq!(config.source(&config.dir.join("notes.txt")), None);
}

#[test]
fn a_missing_directory_is_an_error() {
    let (config, diags) =
        aiu_config::load_dir(std::path::Path::new("/nonexistent/aiu-config-test"));
    assert!(config.resources.is_empty());
    assert_eq!(diags.0.len(), 1);
    assert_eq!(diags.0[0].summary, "Cannot read configuration directory");
    assert!(diags.0[0].detail.contains("/nonexistent/aiu-config-test"));
}

#[test]
fn syntax_errors_point_at_file_line_column_and_other_files_still_load() {
    let (config, diags) = check(&[
        ("a.tf", "output \"ok\" {\n  value = 1\n}\n"),
        ("b.tf", "resource \"aws_iam_role\" \"r\" {\n  name = \n}\n"),
        ("c.tf", "variable \"v\" {\n  default = [1, 2\n}\n"),
    ]);
    let s = summaries(&config, &diags);
    assert_eq!(s.len(), 2, "{}", render(&config, &diags));
    assert!(
        s[0].starts_with("b.tf:2:") && s[0].ends_with("Syntax error"),
        "{s:?}"
    );
    assert!(
        s[1].starts_with("c.tf:") && s[1].ends_with("Syntax error"),
        "{s:?}"
    );
    assert_eq!(config.outputs.len(), 1);
}

#[test]
fn unknown_and_unsupported_top_level_blocks() {
    let (config, diags) = check(&[(
        "main.tf",
        r#"resourse "aws_iam_role" "r" {}
moved {
  from = aws_iam_role.a
  to   = aws_iam_role.b
}
removed {
  from = aws_iam_role.c
}
module "m" {
  source = "./m"
}
stray = 1
"#,
    )]);
    assert_eq!(
        summaries(&config, &diags),
        [
            "main.tf:1:1: Unsupported block type",
            "main.tf:2:1: Unsupported block type",
            "main.tf:6:1: Unsupported block type",
            "main.tf:9:1: Unsupported block type",
            "main.tf:12:1: Unsupported argument",
        ]
    );
    let text = render(&config, &diags);
    assert!(text.contains("Did you mean \"resource\"?"), "{text}");
    assert!(
        text.contains("\"moved\" blocks are not supported yet by aiu"),
        "{text}"
    );
    assert!(
        text.contains("\"removed\" blocks are not supported yet by aiu"),
        "{text}"
    );
    assert!(text.contains("Modules are not supported"), "{text}");
}

#[test]
fn unknown_resource_types_and_data_sources_suggest_the_closest_supported_one() {
    let (config, diags) = check(&[(
        "main.tf",
        r#"resource "aws_iam_rol" "r" {
  name = "x"
}
data "aws_iam_polcy_document" "d" {}
resource "aws_iam_policy_document" "p" {}
"#,
    )]);
    insta::assert_snapshot!("unknown_types", render(&config, &diags));
    assert!(config.resources.is_empty());
}

#[test]
fn argument_checks_against_the_schema() {
    let (config, diags) = check(&[(
        "main.tf",
        r#"resource "aws_iam_role" "r" {
  nme                = "x"
  arn                = "arn:aws:iam::1:role/x"
  name               = "a"
  name_prefix        = "b"
  path               = "/"
  inline_policy {
  }
  tags {
    a = "b"
  }
}

data "aws_iam_policy_document" "d" {
  statement = []
  statement {
    effect = "Allow"
    principals {
      identifiers = ["*"]
    }
    condition "x" {
      test     = "StringEquals"
      variable = "aws:username"
      values   = ["a"]
    }
  }
}
"#,
    )]);
    insta::assert_snapshot!("argument_checks", render(&config, &diags));
}

#[test]
fn a_redefined_argument_is_a_syntax_error_of_its_file() {
    let (config, diags) = check(&[("main.tf", "locals {\n  a = 1\n  a = 2\n}\n")]);
    assert_eq!(
        render(&config, &diags),
        "main.tf:3:3: Syntax error: invalid attribute; expected unique attribute key; found redefined attribute. \
         The line reads: a = 2"
    );
}

#[test]
fn a_syntax_error_on_a_long_line_quotes_only_the_part_around_the_error() {
    let deep = format!(
        "locals {{\n  x = {}{}\n}}\n",
        "[".repeat(5000),
        "]".repeat(5000)
    );
    let (config, diags) = check(&[("main.tf", deep.as_str())]);
    let text = render(&config, &diags);
    assert!(text.starts_with("main.tf:2:"), "{text}");
    assert!(text.contains("invalid nesting depth"), "{text}");
    let quoted = text
        .split("The line reads: ")
        .nth(1)
        .expect("the line is quoted");
    assert!(
        quoted.chars().count() <= 126,
        "quoted {} characters",
        quoted.chars().count()
    );
    assert!(
        quoted.contains("[[[") && quoted.ends_with("..."),
        "{quoted}"
    );
}

#[test]
fn count_and_for_each_are_mutually_exclusive() {
    let (config, diags) = check(&[(
        "main.tf",
        r#"resource "aws_iam_policy" "p" {
  count    = 2
  for_each = toset(["a"])
  policy   = "{}"
}
"#,
    )]);
    assert_eq!(
        summaries(&config, &diags),
        ["main.tf:3:14: Invalid combination of \"count\" and \"for_each\""]
    );
}

#[test]
fn duplicates_point_at_both_places() {
    let (config, diags) = check(&[
        ("a.tf", &format!("{ROLE}\nvariable \"v\" {{}}\noutput \"o\" {{\n  value = 1\n}}\nlocals {{\n  l = 1\n}}\ndata \"aws_region\" \"cur\" {{}}\n")),
        ("b.tf", &format!("{ROLE}\nvariable \"v\" {{}}\noutput \"o\" {{\n  value = 2\n}}\nlocals {{\n  l = 2\n}}\ndata \"aws_region\" \"cur\" {{}}\n")),
    ]);
    insta::assert_snapshot!("duplicates", render(&config, &diags));
    assert_eq!(config.resources.len(), 2);
    assert_eq!(config.variables.len(), 1);
    assert_eq!(config.outputs.len(), 1);
    assert_eq!(config.locals.len(), 1);
}

#[test]
fn create_before_destroy_with_a_fixed_name_is_rejected() {
    let (config, diags) = check(&[(
        "main.tf",
        r#"resource "aws_iam_role" "fixed" {
  name               = "fixed"
  assume_role_policy = "{}"
  lifecycle {
    create_before_destroy = true
  }
}
resource "aws_iam_role" "prefixed" {
  name_prefix        = "p-"
  assume_role_policy = "{}"
  lifecycle {
    create_before_destroy = true
  }
}
"#,
    )]);
    assert_eq!(
        render(&config, &diags),
        "main.tf:5:5: Invalid create_before_destroy: aws_iam_role.fixed sets a fixed \"name\", and IAM names are \
         unique: the new object cannot be created before the old one is destroyed. Use name_prefix instead of name, \
         or remove create_before_destroy."
    );
}

#[test]
fn lifecycle_and_meta_argument_checks() {
    let (config, diags) = check(&[(
        "main.tf",
        r#"resource "aws_iam_role" "r" {
  assume_role_policy = "{}"
  depends_on         = [aws_iam_role.r.arn, var.x]
  lifecycle {
    ignore_changes  = [tagz, arn, tags]
    prevent_destroy = var.protect
    replace_triggered_by = [aws_iam_role.r]
    precondition {
      condition     = true
      error_message = "x"
    }
  }
}
resource "aws_iam_role" "all" {
  assume_role_policy = "{}"
  lifecycle {
    ignore_changes = all
  }
}
data "aws_region" "cur" {
  lifecycle {
    prevent_destroy = true
  }
}
"#,
    )]);
    insta::assert_snapshot!("lifecycle_checks", render(&config, &diags));
    let all = config
        .resource(&ResourceAddress::managed("aws_iam_role", "all"))
        .unwrap();
    assert_eq!(all.lifecycle.ignore_changes, IgnoreChanges::All);
}

#[test]
fn meta_arguments_are_not_references() {
    // `ignore_changes = [tags]`, `type = map(string)` and `depends_on` must not be reported as
    // references to undeclared things.
    let (config, diags) = check(&[(
        "main.tf",
        r#"variable "tags" {
  type = map(string)
}
resource "aws_iam_role" "a" {
  assume_role_policy = "{}"
  lifecycle {
    ignore_changes = [tags, description]
  }
}
resource "aws_iam_role" "b" {
  assume_role_policy = "{}"
  depends_on         = [aws_iam_role.a]
  provider           = aws
}
"#,
    )]);
    assert_eq!(render(&config, &diags), "");
    let b = config
        .resource(&ResourceAddress::managed("aws_iam_role", "b"))
        .unwrap();
    assert_eq!(b.provider_ref.as_deref(), Some("aws"));
}

#[test]
fn variable_and_output_checks() {
    let (config, diags) = check(&[(
        "main.tf",
        r#"variable "count" {}
variable "1st" {}
variable "ok" {
  typ       = string
  sensitive = "yes"
  default   = var.other
}
output "empty" {
  description = "no value"
}
"#,
    )]);
    assert_eq!(
        render(&config, &diags),
        [
            "main.tf:1:1: Invalid variable name: \"count\" is reserved by the language (source, version, providers, \
             count, for_each, lifecycle, depends_on, locals). Choose another name.",
            "main.tf:2:1: Invalid variable name: \"1st\" is not a valid identifier: use letters, digits, underscores \
             and dashes, not starting with a digit. Choose another name.",
            "main.tf:4:3: Unsupported argument: An argument named \"typ\" is not expected in a variable block. Did you \
             mean \"type\"? Arguments: type, default, description, sensitive, nullable.",
            "main.tf:5:15: Invalid argument value: sensitive must be a literal true or false.",
            "main.tf:8:1: Missing required argument: The argument \"value\" is required in output \"empty\", but no \
             definition was found. Add value = <expression>.",
            "main.tf:6:15: Variables not allowed: References are not allowed in a variable default: it must be a \
             literal value. Move the expression into a local value.",
        ]
        .join("\n")
    );
}

#[test]
fn provider_terraform_and_import_checks() {
    let (config, diags) = check(&[(
        "main.tf",
        r#"provider "aws" {
  regoin = "x"
  alias  = "west"
  assume_role {
  }
}
provider "aws" {}
provider "google" {}
terraform {
  backend "consul" {}
  cloud {}
}
import {
  to = aws_iam_role.nope
  id = "nope"
}
resource "aws_iam_role" "r" {
  assume_role_policy = "{}"
  provider           = aws.west
}
import {
  id = "x"
}
"#,
    )]);
    insta::assert_snapshot!("provider_terraform_import_checks", render(&config, &diags));
}

#[test]
fn references_to_undeclared_things_are_reported_at_the_reference() {
    let (config, diags) = check(&[(
        "main.tf",
        r#"variable "region" {}
locals {
  prefix = "p"
}
data "aws_iam_policy_document" "trust" {}
resource "aws_iam_role" "app" {
  assume_role_policy = data.aws_iam_policy_document.trst.json
  name               = "${local.prefx}-${var.regin}"
  description        = aws_iam_role.ap.arn
  tags               = { a = count.index, b = each.key }
}
output "o" {
  value = [for r in ["a"] : r]
}
"#,
    )]);
    assert_eq!(
        render(&config, &diags),
        [
            "main.tf:7:24: Reference to undeclared resource: A data source \"aws_iam_policy_document\" \"trst\" has \
             not been declared in this configuration. Did you mean \"data.aws_iam_policy_document.trust\"?",
            "main.tf:8:27: Reference to undeclared local value: A local value with the name \"prefx\" has not been \
             declared. Did you mean \"prefix\"? Define it in a locals { ... } block.",
            "main.tf:8:42: Reference to undeclared input variable: An input variable with the name \"regin\" has not \
             been declared. Did you mean \"region\"? Declare it with variable \"regin\" {}.",
            "main.tf:9:24: Reference to undeclared resource: A managed resource \"aws_iam_role\" \"ap\" has not been \
             declared in this configuration. Did you mean \"aws_iam_role.app\"?",
            "main.tf:10:30: Reference to \"count\" in non-counted context: The \"count\" object can only be used in \
             resource and data blocks that set the \"count\" argument.",
            "main.tf:10:47: Reference to \"each\" in context without for_each: The \"each\" object can only be used \
             in resource, data and import blocks that set the \"for_each\" argument.",
        ]
        .join("\n")
    );
}

#[test]
fn dynamic_blocks_are_kept_with_their_iterator_and_position() {
    let (config, diags) = check(&[(
        "main.tf",
        r#"variable "buckets" {
  type = list(string)
}
data "aws_iam_policy_document" "d" {
  statement {
    sid = "first"
  }
  dynamic "statement" {
    for_each = var.buckets
    iterator = b
    content {
      actions   = ["s3:GetObject"]
      resources = ["arn:aws:s3:::${b.value}/*"]
    }
  }
  statement {
    sid = "last"
  }
  dynamic "statment" {
    for_each = []
    content {}
  }
}
"#,
    )]);
    assert_eq!(
        summaries(&config, &diags),
        ["main.tf:19:3: Unsupported block type"]
    );
    let d = &config.resources[0];
    assert_eq!(d.body.blocks.len(), 2);
    assert_eq!(d.body.dynamic_blocks.len(), 1);
    let dynamic = &d.body.dynamic_blocks[0];
    assert_eq!(
        (
            dynamic.name.as_str(),
            dynamic.iterator.as_str(),
            dynamic.position
        ),
        ("statement", "b", 1)
    );
    assert!(dynamic.content.attributes.contains_key("resources"));
}

#[test]
fn spans_have_one_based_lines_and_columns() {
    let (config, diags) = check(&[(
        "main.tf",
        "\n\n  resource \"aws_iam_policy\" \"p\"   {\n    policy = jsonencode({})\n  }\n",
    )]);
    assert!(diags.is_empty(), "{diags:?}");
    let p = &config.resources[0];
    assert_eq!((p.span.start.line, p.span.start.column), (3, 3));
    assert_eq!((p.span.end.line, p.span.end.column), (3, 32));
    let policy = &p.body.attributes["policy"];
    assert_eq!(
        (
            policy.span.start.line,
            policy.span.start.column,
            policy.span.start.byte
        ),
        (4, 14, 51)
    );
    assert_eq!((policy.span.end.line, policy.span.end.column), (4, 28));
    assert_eq!(p.span.file, config.dir.join("main.tf"));
}

#[test]
fn columns_count_characters_not_bytes() {
    let (config, diags) = check(&[("main.tf", "locals {\n  é = \"ü\" \n  x = bogus(\n}\n")]);
    let s = summaries(&config, &diags);
    assert_eq!(s.len(), 1, "{s:?}");
    assert!(
        s[0].starts_with("main.tf:3:") || s[0].starts_with("main.tf:4:"),
        "{s:?}"
    );
}

#[test]
fn dependencies_come_from_references_and_depends_on() {
    let (config, diags) = check(&[(
        "main.tf",
        r#"variable "env" {}
locals {
  name = "app-${var.env}"
  tags = { env = var.env }
}
data "aws_iam_policy_document" "trust" {
  dynamic "statement" {
    for_each = local.tags
    content {
      sid = statement.key
    }
  }
}
resource "aws_iam_role" "app" {
  name               = local.name
  assume_role_policy = data.aws_iam_policy_document.trust.json
  tags               = local.tags
}
resource "aws_iam_policy" "p" {
  count  = length(var.env)
  policy = "{}"
  depends_on = [aws_iam_role.app]
}
resource "aws_iam_role_policy_attachment" "a" {
  role       = aws_iam_role.app.name
  policy_arn = aws_iam_policy.p[0].arn
}
output "arn" {
  value = aws_iam_role.app.arn
  depends_on = [aws_iam_role_policy_attachment.a]
}
"#,
    )]);
    assert_eq!(render(&config, &diags), "");
    let deps = |n: NodeId| {
        config
            .dependencies(&n)
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(deps(NodeId::Variable("env".into())), Vec::<String>::new());
    assert_eq!(deps(NodeId::Local("name".into())), ["var.env"]);
    assert_eq!(
        deps(NodeId::Resource(ResourceAddress::data(
            "aws_iam_policy_document",
            "trust"
        ))),
        ["local.tags"]
    );
    assert_eq!(
        deps(NodeId::Resource(ResourceAddress::managed(
            "aws_iam_role",
            "app"
        ))),
        [
            "local.name",
            "local.tags",
            "data.aws_iam_policy_document.trust"
        ]
    );
    assert_eq!(
        deps(NodeId::Resource(ResourceAddress::managed(
            "aws_iam_policy",
            "p"
        ))),
        ["var.env", "aws_iam_role.app"]
    );
    assert_eq!(
        deps(NodeId::Resource(ResourceAddress::managed(
            "aws_iam_role_policy_attachment",
            "a"
        ))),
        ["aws_iam_policy.p", "aws_iam_role.app"]
    );
    assert_eq!(
        deps(NodeId::Output("arn".into())),
        ["aws_iam_role.app", "aws_iam_role_policy_attachment.a"]
    );
    assert_eq!(config.nodes().len(), 8);
}

#[test]
fn node_ids_display_like_terraform_addresses() {
    assert_eq!(NodeId::Variable("x".into()).to_string(), "var.x");
    assert_eq!(NodeId::Local("x".into()).to_string(), "local.x");
    assert_eq!(
        NodeId::Resource(ResourceAddress::managed("aws_iam_role", "r")).to_string(),
        "aws_iam_role.r"
    );
    assert_eq!(
        NodeId::Resource(ResourceAddress::data("aws_iam_role", "r")).to_string(),
        "data.aws_iam_role.r"
    );
    assert_eq!(NodeId::Output("x".into()).to_string(), "output.x");
    assert!(NodeId::Variable("z".into()) < NodeId::Local("a".into()));
}

#[test]
fn render_in_strips_the_directory() {
    let (dir, _config, diags) = load(&[("main.tf", "bogus {}\n")]);
    assert!(render_in(&diags, dir.path()).starts_with("main.tf:1:1: Unsupported block type"));
}

#[test]
fn import_blocks_with_for_each_load_and_their_references_are_dependencies_of_the_target() {
    let (config, diags) = check(&[(
        "main.tf",
        r#"
locals {
  names = { api = "svc-api" }
}
variable "prefix" {
  default = "svc"
}
import {
  for_each = local.names
  to       = aws_iam_role.r[each.key]
  id       = "${var.prefix}-${each.key}"
}
resource "aws_iam_role" "r" {
  for_each           = toset(["api"])
  name               = "svc-api"
  assume_role_policy = "{}"
}
"#,
    )]);
    assert_eq!(render(&config, &diags), "");
    let import = &config.imports[0];
    assert_eq!(
        import.to,
        InstanceAddress::single(ResourceAddress::managed("aws_iam_role", "r"))
    );
    assert!(import.to_key.is_some() && import.for_each.is_some());
    let deps = config.dependencies(&NodeId::Resource(ResourceAddress::managed(
        "aws_iam_role",
        "r",
    )));
    assert_eq!(
        deps,
        [
            NodeId::Variable("prefix".into()),
            NodeId::Local("names".into())
        ]
    );
}

#[test]
fn import_instance_keys_from_each_need_for_each() {
    let (config, diags) = check(&[(
        "main.tf",
        &format!(
            r#"{ROLE}
import {{
  to = aws_iam_role.app[each.key]
  id = each.value
}}
import {{
  for_each = ["a"]
  to       = aws_iam_role.app[each.key].arn
  id       = each.value
}}
"#
        ),
    )]);
    assert_eq!(
        summaries(&config, &diags),
        [
            "main.tf:8:8: Invalid import address",
            "main.tf:13:14: Invalid import address",
            // References are checked after every block is read.
            "main.tf:9:8: Reference to \"each\" in context without for_each",
        ]
    );
}
