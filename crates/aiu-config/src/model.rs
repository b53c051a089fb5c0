//! The configuration model: blocks of a loaded directory, each expression kept with its span.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use aiu_lang::TypeConstraint;
use aiu_model::{InstanceAddress, ResourceAddress, ResourceMode, ResourceSchema, Span};

use crate::span::SourceFiles;

/// An expression ready for evaluation, with the span of its source text.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub expr: hcl::Expression,
    pub span: Span,
}

/// A block body: arguments by name, nested blocks in source order, and `dynamic` blocks.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Body {
    pub attributes: BTreeMap<String, Expr>,
    /// Span of each attribute as a whole (`name = value`), for "unsupported argument" errors.
    pub attribute_spans: BTreeMap<String, Span>,
    pub blocks: Vec<NestedBlock>,
    pub dynamic_blocks: Vec<DynamicBlock>,
}

/// A literal nested block (`statement { ... }`).
#[derive(Clone, Debug, PartialEq)]
pub struct NestedBlock {
    pub name: String,
    pub labels: Vec<String>,
    pub body: Body,
    pub span: Span,
}

/// `dynamic "statement" { for_each = ..., iterator = s, content { ... } }`, expanded by
/// [`crate::evaluate_body`]. The generated blocks go before `blocks[position]` (after every
/// literal block when `position == blocks.len()`), so source order is kept.
#[derive(Clone, Debug, PartialEq)]
pub struct DynamicBlock {
    pub name: String,
    pub for_each: Expr,
    /// Name of the iteration object in `content` (defaults to the block name).
    pub iterator: String,
    pub content: Body,
    pub position: usize,
    pub span: Span,
}

/// `variable "name" { ... }`.
#[derive(Clone, Debug, PartialEq)]
pub struct Variable {
    pub name: String,
    pub ty: Option<TypeConstraint>,
    pub default: Option<Expr>,
    pub description: Option<String>,
    pub sensitive: bool,
    pub nullable: bool,
    pub validations: Vec<Validation>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Validation {
    pub condition: Expr,
    pub error_message: Expr,
}

/// One entry of a `locals { ... }` block.
#[derive(Clone, Debug, PartialEq)]
pub struct Local {
    pub name: String,
    pub expr: Expr,
}

/// `output "name" { value = ... }`.
#[derive(Clone, Debug, PartialEq)]
pub struct Output {
    pub name: String,
    pub value: Expr,
    pub description: Option<String>,
    pub sensitive: bool,
    pub depends_on: Vec<(NodeId, Span)>,
    pub span: Span,
}

/// `ignore_changes` of a `lifecycle` block.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum IgnoreChanges {
    #[default]
    None,
    All,
    Attributes(Vec<String>),
}

impl IgnoreChanges {
    /// Whether changes of this attribute are ignored.
    pub fn ignores(&self, attribute: &str) -> bool {
        match self {
            IgnoreChanges::None => false,
            IgnoreChanges::All => true,
            IgnoreChanges::Attributes(names) => names.iter().any(|n| n == attribute),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Lifecycle {
    pub prevent_destroy: bool,
    pub ignore_changes: IgnoreChanges,
    pub create_before_destroy: bool,
}

/// A `resource` or `data` block.
#[derive(Clone, Debug, PartialEq)]
pub struct ResourceBlock {
    pub addr: ResourceAddress,
    pub schema: &'static ResourceSchema,
    pub count: Option<Expr>,
    pub for_each: Option<Expr>,
    pub body: Body,
    pub depends_on: Vec<(NodeId, Span)>,
    pub lifecycle: Lifecycle,
    /// `provider = aws.alias`, as written.
    pub provider_ref: Option<String>,
    /// Span of the block header (`resource "aws_iam_role" "r"`).
    pub span: Span,
}

/// `provider "aws" { ... }`. Every argument is kept unevaluated.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProviderBlock {
    pub region: Option<Expr>,
    pub profile: Option<Expr>,
    pub access_key: Option<Expr>,
    pub secret_key: Option<Expr>,
    pub allowed_account_ids: Option<Expr>,
    pub forbidden_account_ids: Option<Expr>,
    /// `endpoints { iam = ..., sts = ..., s3 = ..., dynamodb = ... }` by service name.
    pub endpoints: BTreeMap<String, Expr>,
    /// `default_tags { tags = ... }`.
    pub default_tags: Option<Expr>,
    pub span: Option<Span>,
}

/// `terraform { backend "s3" { ... } }`.
#[derive(Clone, Debug, PartialEq)]
pub struct BackendBlock {
    /// `s3` or `local`.
    pub kind: String,
    pub body: Body,
    pub span: Span,
}

/// `import { to = aws_iam_role.r  id = "r" }`, or with `for_each`:
/// `import { for_each = local.names  to = aws_iam_role.r[each.key]  id = each.value }`.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportBlock {
    /// The target. With `to_key`, only its resource counts: the instance key is `to_key`
    /// evaluated for each element of `for_each`.
    pub to: InstanceAddress,
    pub to_key: Option<Expr>,
    pub id: Expr,
    /// A map (`each.key`, `each.value`) or a set or list of strings (both the element).
    pub for_each: Option<Expr>,
    pub span: Span,
}

/// `check "name" { ... }`: kept as a generic body, plus its `assert_access` blocks read and
/// checked at load time (evaluated by the planner, decided by `aiu_plan::access`).
#[derive(Clone, Debug, PartialEq)]
pub struct CheckBlock {
    pub name: String,
    pub body: Body,
    pub span: Span,
    pub access: Vec<AccessAssertion>,
}

/// The answer an `assert_access` block expects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AccessExpect {
    Allow,
    Deny,
}

impl AccessExpect {
    /// `allow` / `deny`.
    pub fn as_str(self) -> &'static str {
        match self {
            AccessExpect::Allow => "allow",
            AccessExpect::Deny => "deny",
        }
    }
}

/// `assert_access { principal = aws_iam_role.r, action = "...", resource = "...", expect = "allow" }`
/// (or `caller = "ec2.amazonaws.com"` instead of `resource`, to check the role's trust policy).
#[derive(Clone, Debug, PartialEq)]
pub struct AccessAssertion {
    pub principal: Expr,
    /// The role, when `principal` is written as a reference to an `aws_iam_role`
    /// (`aws_iam_role.engine`, `aws_iam_role.m[0]`, optionally followed by `.arn` / `.name`).
    pub role: Option<InstanceAddress>,
    /// A string, or a list of strings (each asserted).
    pub action: Expr,
    pub resource: Option<Expr>,
    pub caller: Option<Expr>,
    /// An object of condition keys to a value or a list of values.
    pub context: Option<Expr>,
    pub expect: AccessExpect,
    /// The `assert_access` block header.
    pub span: Span,
}

/// `terraform { required_version = ..., required_providers { ... } }`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TerraformSettings {
    pub required_version: Option<Expr>,
    pub required_providers: BTreeMap<String, Expr>,
}

/// A node of the dependency graph.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NodeId {
    Variable(String),
    Local(String),
    Resource(ResourceAddress),
    Output(String),
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NodeId::Variable(n) => write!(f, "var.{n}"),
            NodeId::Local(n) => write!(f, "local.{n}"),
            NodeId::Resource(a) => write!(f, "{a}"),
            NodeId::Output(n) => write!(f, "output.{n}"),
        }
    }
}

/// A loaded directory.
#[derive(Clone, Debug, Default)]
pub struct Config {
    pub dir: PathBuf,
    pub variables: Vec<Variable>,
    pub locals: Vec<Local>,
    /// Managed resources and data sources, in source order.
    pub resources: Vec<ResourceBlock>,
    pub outputs: Vec<Output>,
    pub provider: Option<ProviderBlock>,
    pub terraform: TerraformSettings,
    pub imports: Vec<ImportBlock>,
    pub backend: Option<BackendBlock>,
    pub checks: Vec<CheckBlock>,
    pub files: SourceFiles,
    /// Index of `resources` by address, built on first lookup (configs can hold thousands).
    pub(crate) resource_index:
        std::sync::OnceLock<std::collections::HashMap<ResourceAddress, usize>>,
}

impl Config {
    /// The text of a loaded file (by the path used in spans).
    pub fn source(&self, path: &Path) -> Option<&str> {
        self.files.get(path)
    }

    pub fn variable(&self, name: &str) -> Option<&Variable> {
        self.variables.iter().find(|v| v.name == name)
    }

    pub fn local(&self, name: &str) -> Option<&Local> {
        self.locals.iter().find(|l| l.name == name)
    }

    pub fn output(&self, name: &str) -> Option<&Output> {
        self.outputs.iter().find(|o| o.name == name)
    }

    pub fn resource(&self, addr: &ResourceAddress) -> Option<&ResourceBlock> {
        let index = self.resource_index.get_or_init(|| {
            let mut index = std::collections::HashMap::with_capacity(self.resources.len());
            for (i, r) in self.resources.iter().enumerate() {
                // The first block wins, as duplicates are reported at load time.
                index.entry(r.addr.clone()).or_insert(i);
            }
            index
        });
        index.get(addr).map(|&i| &self.resources[i])
    }

    pub fn managed_resources(&self) -> impl Iterator<Item = &ResourceBlock> {
        self.resources
            .iter()
            .filter(|r| r.addr.mode == ResourceMode::Managed)
    }

    pub fn data_sources(&self) -> impl Iterator<Item = &ResourceBlock> {
        self.resources
            .iter()
            .filter(|r| r.addr.mode == ResourceMode::Data)
    }

    pub fn is_sensitive_variable(&self, name: &str) -> bool {
        self.variable(name).is_some_and(|v| v.sensitive)
    }

    /// Whether a node is declared in this configuration.
    pub fn contains(&self, node: &NodeId) -> bool {
        match node {
            NodeId::Variable(n) => self.variable(n).is_some(),
            NodeId::Local(n) => self.local(n).is_some(),
            NodeId::Resource(a) => self.resource(a).is_some(),
            NodeId::Output(n) => self.output(n).is_some(),
        }
    }

    /// Every node of the configuration, sorted.
    pub fn nodes(&self) -> Vec<NodeId> {
        let mut nodes: Vec<NodeId> = self
            .variables
            .iter()
            .map(|v| NodeId::Variable(v.name.clone()))
            .chain(self.locals.iter().map(|l| NodeId::Local(l.name.clone())))
            .chain(
                self.resources
                    .iter()
                    .map(|r| NodeId::Resource(r.addr.clone())),
            )
            .chain(self.outputs.iter().map(|o| NodeId::Output(o.name.clone())))
            .collect();
        nodes.sort();
        nodes.dedup();
        nodes
    }
}
