//! Loading a directory: reading and parsing files, building the model, and the load-time checks
//! (schemas, duplicates, meta-arguments, references).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use aiu_lang::Reference;
use aiu_model::schema::{schema_for, type_names};
use aiu_model::{
    AttributeSchema, BlockSchema, Diagnostic, Diagnostics, InstanceAddress, Presence,
    ResourceAddress, ResourceMode, Span,
};
use hcl::edit::expr::Expression as EditExpr;
use hcl::edit::structure::{
    Attribute as EditAttr, Block as EditBlock, Body as EditBody, Structure,
};
use hcl::edit::Span as _;

use crate::model::*;
use crate::refs::{self, static_traversal, traversal_address, Step};
use crate::span::LineIndex;
use crate::suggest::did_you_mean;

/// Names that cannot be used for variables (reserved by Terraform for module calls and
/// meta-arguments).
const RESERVED_VARIABLE_NAMES: &[&str] = &[
    "source",
    "version",
    "providers",
    "count",
    "for_each",
    "lifecycle",
    "depends_on",
    "locals",
];

const TOP_LEVEL_BLOCKS: &[&str] = &[
    "resource",
    "data",
    "variable",
    "locals",
    "output",
    "provider",
    "terraform",
    "import",
    "check",
    "moved",
    "removed",
    "module",
];

/// Loads every `*.tf` and `*.hcl` file of `dir` (not recursive, sorted by name).
pub fn load_dir(dir: &Path) -> (Config, Diagnostics) {
    let mut config = Config {
        dir: dir.to_path_buf(),
        ..Config::default()
    };
    let mut diags = Diagnostics::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            diags.push(Diagnostic::error(
                "Cannot read configuration directory",
                format!(
                    "Could not read the directory {}: {e}. Check the path and its permissions.",
                    dir.display()
                ),
            ));
            return (config, diags);
        }
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|e| e.path().is_file())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| !n.starts_with('.') && (n.ends_with(".tf") || n.ends_with(".hcl")))
        .collect();
    names.sort();

    let mut texts: Vec<(PathBuf, String)> = Vec::new();
    for name in names {
        let full = dir.join(&name);
        let shown = if dir.as_os_str().is_empty() || dir == Path::new(".") {
            PathBuf::from(&name)
        } else {
            full.clone()
        };
        match std::fs::read(&full) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => texts.push((shown, text)),
                Err(_) => diags.push(
                    Diagnostic::error(
                        "Invalid file encoding",
                        format!(
                            "{} is not valid UTF-8. Configuration files must be UTF-8 text.",
                            shown.display()
                        ),
                    )
                    .with_span(Some(Span {
                        file: shown,
                        start: Default::default(),
                        end: Default::default(),
                    })),
                ),
            },
            Err(e) => diags.push(Diagnostic::error(
                "Cannot read configuration file",
                format!("Could not read {}: {e}.", full.display()),
            )),
        }
    }

    let mut loader = Loader {
        config: &mut config,
        diags: &mut diags,
        pending: Vec::new(),
        import_targets: Vec::new(),
        seen: Seen::default(),
    };
    for (path, text) in &texts {
        let idx = LineIndex::new(path.clone(), text);
        match hcl::edit::parser::parse_body(text) {
            Ok(body) => loader.file(&idx, &body),
            Err(e) => {
                let span = idx.span_at_line_col(e.location().line(), e.location().column());
                loader.diags.push(
                    Diagnostic::error("Syntax error", crate::span::syntax_error_message(&e))
                        .with_span(Some(span)),
                );
            }
        }
    }
    loader.finish();
    for (path, text) in texts {
        config.files.insert(path, text);
    }
    (config, diags)
}

/// Where a reference may appear: which extra names are bound there.
#[derive(Clone, Debug, Default)]
struct Scope {
    count: bool,
    each: bool,
    /// Names bound by `dynamic` block iterators.
    bound: Vec<String>,
    /// In a variable default: no references allowed at all.
    no_refs: Option<&'static str>,
}

struct PendingRef {
    reference: Reference,
    span: Span,
    scope: Scope,
}

#[derive(Default)]
struct Seen {
    resources: BTreeMap<ResourceAddress, Span>,
    variables: BTreeMap<String, Span>,
    locals: BTreeMap<String, Span>,
    outputs: BTreeMap<String, Span>,
    checks: BTreeMap<String, Span>,
    provider: Option<Span>,
    backend: Option<Span>,
}

struct Loader<'c> {
    config: &'c mut Config,
    diags: &'c mut Diagnostics,
    pending: Vec<PendingRef>,
    import_targets: Vec<(InstanceAddress, Span)>,
    seen: Seen,
}

fn err(summary: &str, detail: impl Into<String>, span: Span) -> Diagnostic {
    Diagnostic::error(summary, detail).with_span(Some(span))
}

fn quote_list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

fn literal_bool(e: &EditExpr) -> Option<bool> {
    match e {
        EditExpr::Bool(b) => Some(*b.value()),
        _ => None,
    }
}

fn literal_string(e: &EditExpr) -> Option<String> {
    match e {
        EditExpr::String(s) => Some(s.value().clone()),
        _ => None,
    }
}

fn where_of(span: &Span) -> String {
    span.to_string()
}

impl Loader<'_> {
    fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    fn expr(&mut self, idx: &LineIndex, e: &EditExpr, scope: &Scope) -> Expr {
        let span = idx.span_opt(e.span());
        let expr: hcl::Expression = e.clone().into();
        let found = refs::traversals(e);
        let mut used = Vec::new();
        for reference in aiu_lang::references(&expr) {
            let span = refs::locate(&reference, &found, &mut used)
                .map_or_else(|| span.clone(), |r| idx.span(r));
            self.pending.push(PendingRef {
                reference,
                span,
                scope: scope.clone(),
            });
        }
        Expr { expr, span }
    }

    fn attr_span(idx: &LineIndex, a: &EditAttr) -> Span {
        idx.span_opt(a.span().or_else(|| a.key.span()))
    }

    /// `resource "t" "n"` up to (not including) the opening brace.
    fn header_span(idx: &LineIndex, b: &EditBlock) -> Span {
        let Some(range) = b.span() else {
            return idx.span(0..0);
        };
        let text = idx.text();
        let from = b
            .labels
            .last()
            .and_then(|l| l.span())
            .map_or(range.start, |r| r.end);
        let end = text[from.min(text.len())..range.end.min(text.len())]
            .find('{')
            .map_or(range.end, |i| from + i);
        let end = range.start + text[range.start..end].trim_end().len();
        idx.span(range.start..end)
    }

    fn labels(b: &EditBlock) -> Vec<String> {
        b.labels.iter().map(|l| l.as_str().to_owned()).collect()
    }

    fn expect_labels(
        &mut self,
        idx: &LineIndex,
        b: &EditBlock,
        names: &[&str],
    ) -> Option<Vec<String>> {
        let labels = Self::labels(b);
        if labels.len() == names.len() {
            return Some(labels);
        }
        let kind = b.ident.as_str();
        let detail = if names.is_empty() {
            format!(
                "A \"{kind}\" block takes no labels; remove {}.",
                quote_list(&labels.iter().map(String::as_str).collect::<Vec<_>>())
            )
        } else {
            format!(
                "A \"{kind}\" block needs {} label(s): {}, e.g. {kind} {} {{ ... }}.",
                names.len(),
                names.join(" and "),
                names
                    .iter()
                    .map(|n| format!("\"{n}\""))
                    .collect::<Vec<_>>()
                    .join(" ")
            )
        };
        let summary = if labels.len() < names.len() {
            "Missing block label"
        } else {
            "Extraneous block label"
        };
        self.push(err(summary, detail, Self::header_span(idx, b)));
        None
    }

    fn file(&mut self, idx: &LineIndex, body: &EditBody) {
        for structure in body.iter() {
            match structure {
                Structure::Attribute(a) => self.push(err(
                    "Unsupported argument",
                    format!(
                        "An argument named \"{}\" is not expected at the top level. Top-level content must be blocks: {}.",
                        a.key.as_str(),
                        TOP_LEVEL_BLOCKS.join(", ")
                    ),
                    Self::attr_span(idx, a),
                )),
                Structure::Block(b) => self.top_block(idx, b),
            }
        }
    }

    fn top_block(&mut self, idx: &LineIndex, b: &EditBlock) {
        let header = Self::header_span(idx, b);
        match b.ident.as_str() {
            "resource" => self.resource(idx, b, ResourceMode::Managed),
            "data" => self.resource(idx, b, ResourceMode::Data),
            "variable" => self.variable(idx, b),
            "locals" => self.locals(idx, b),
            "output" => self.output(idx, b),
            "provider" => self.provider(idx, b),
            "terraform" => self.terraform(idx, b),
            "import" => self.import(idx, b),
            "check" => self.check(idx, b),
            kind @ ("moved" | "removed") => self.push(err(
                "Unsupported block type",
                format!(
                    "\"{kind}\" blocks are not supported yet by aiu. Remove the block; a renamed resource is planned as \
                     a destroy and a create, and a resource to forget must be removed from the state by hand."
                ),
                header,
            )),
            "module" => self.push(err(
                "Unsupported block type",
                "Modules are not supported: aiu manages the resources of a single directory. Move the module's \
                 resources into this directory.",
                header,
            )),
            other => self.push(err(
                "Unsupported block type",
                format!(
                    "Blocks of type \"{other}\" are not expected here.{} Supported top-level blocks: {}.",
                    did_you_mean(other, TOP_LEVEL_BLOCKS),
                    TOP_LEVEL_BLOCKS.join(", ")
                ),
                header,
            )),
        }
    }

    // ----- resources and data sources -------------------------------------------------------

    fn resource(&mut self, idx: &LineIndex, b: &EditBlock, mode: ResourceMode) {
        let kind = b.ident.as_str();
        let Some(labels) = self.expect_labels(idx, b, &["type", "name"]) else {
            return;
        };
        let header = Self::header_span(idx, b);
        let (type_name, name) = (labels[0].clone(), labels[1].clone());
        let what = if mode == ResourceMode::Data {
            "data source"
        } else {
            "resource type"
        };
        let Some(schema) = schema_for(mode, &type_name) else {
            let names = type_names(mode);
            let other_mode = if mode == ResourceMode::Data {
                ResourceMode::Managed
            } else {
                ResourceMode::Data
            };
            let hint = if schema_for(other_mode, &type_name).is_some() {
                format!(
                    " \"{type_name}\" exists as a {}; use a \"{}\" block for it.",
                    if other_mode == ResourceMode::Data {
                        "data source"
                    } else {
                        "managed resource"
                    },
                    if other_mode == ResourceMode::Data {
                        "data"
                    } else {
                        "resource"
                    }
                )
            } else {
                did_you_mean(&type_name, &names)
            };
            self.push(err(
                if mode == ResourceMode::Data {
                    "Invalid data source"
                } else {
                    "Invalid resource type"
                },
                format!(
                    "The {what} \"{type_name}\" is not supported by aiu.{hint} Supported: {}.",
                    names.join(", ")
                ),
                header,
            ));
            return;
        };
        if !is_identifier(&name) {
            self.push(err(
                "Invalid resource name",
                format!("\"{name}\" is not a valid name: use letters, digits, underscores and dashes, not starting with a digit."),
                header.clone(),
            ));
        }
        let addr = if mode == ResourceMode::Data {
            ResourceAddress::data(&type_name, &name)
        } else {
            ResourceAddress::managed(&type_name, &name)
        };
        if let Some(first) = self.seen.resources.get(&addr) {
            let d = if mode == ResourceMode::Data {
                format!("A data source \"{type_name}\" \"{name}\" was already declared at {}. Data source names must be unique per type; rename one of them.", where_of(first))
            } else {
                format!("A resource \"{type_name}\" \"{name}\" was already declared at {}. Resource names must be unique per type; rename one of them.", where_of(first))
            };
            self.push(err(
                if mode == ResourceMode::Data {
                    "Duplicate data source"
                } else {
                    "Duplicate resource"
                },
                d,
                header.clone(),
            ));
            return;
        }
        self.seen.resources.insert(addr.clone(), header.clone());

        // Meta-arguments first, so the body's scope knows about count/for_each.
        let has_count = b.body.get_attribute("count").is_some();
        let has_for_each = b.body.get_attribute("for_each").is_some();
        let scope = Scope {
            count: has_count,
            each: has_for_each,
            ..Scope::default()
        };
        let mut count = None;
        let mut for_each = None;
        let mut depends_on = Vec::new();
        let mut provider_ref = None;
        let mut lifecycle = Lifecycle::default();
        let mut cbd_span = None;
        for s in b.body.iter() {
            match s {
                Structure::Attribute(a) => match a.key.as_str() {
                    "count" => count = Some(self.expr(idx, &a.value, &Scope::default())),
                    "for_each" => for_each = Some(self.expr(idx, &a.value, &Scope::default())),
                    "depends_on" => depends_on = self.depends_on(idx, a),
                    "provider" => provider_ref = self.provider_ref(idx, a),
                    _ => {}
                },
                Structure::Block(lb) if lb.ident.as_str() == "lifecycle" => {
                    if mode == ResourceMode::Data {
                        self.push(err(
                            "Unsupported block type",
                            "Data sources take no \"lifecycle\" block: they are only read, never created or destroyed. Remove it.",
                            Self::header_span(idx, lb),
                        ));
                        continue;
                    }
                    cbd_span = self.lifecycle(idx, lb, schema, &mut lifecycle);
                }
                _ => {}
            }
        }
        if let (Some(c), Some(f)) = (&count, &for_each) {
            let later = if c.span.start > f.span.start {
                c.span.clone()
            } else {
                f.span.clone()
            };
            self.push(err(
                "Invalid combination of \"count\" and \"for_each\"",
                "The \"count\" and \"for_each\" meta-arguments are mutually exclusive, only one should be used to \
                 create multiple instances. Use for_each for named instances or count for numbered ones.",
                later,
            ));
        }
        let meta: &[&str] = &["count", "for_each", "depends_on", "provider", "lifecycle"];
        let body = self.body_with_schema(
            idx,
            &b.body,
            schema.attributes,
            schema.blocks,
            &scope,
            meta,
            &header,
            &format!("{kind} \"{type_name}\""),
        );

        if lifecycle.create_before_destroy && body.attributes.contains_key("name") {
            self.push(err(
                "Invalid create_before_destroy",
                format!(
                    "{addr} sets a fixed \"name\", and IAM names are unique: the new object cannot be created \
                     before the old one is destroyed. Use name_prefix instead of name, or remove create_before_destroy."
                ),
                cbd_span.unwrap_or_else(|| header.clone()),
            ));
        }
        self.config.resources.push(ResourceBlock {
            addr,
            schema,
            count,
            for_each,
            body,
            depends_on,
            lifecycle,
            provider_ref,
            span: header,
        });
    }

    fn depends_on(&mut self, idx: &LineIndex, a: &EditAttr) -> Vec<(NodeId, Span)> {
        let mut out = Vec::new();
        let EditExpr::Array(items) = &a.value else {
            self.push(err(
                "Invalid depends_on",
                "depends_on must be a list of resource references, e.g. depends_on = [aws_iam_role.r].",
                idx.span_opt(a.value.span()),
            ));
            return out;
        };
        for item in items.iter() {
            let span = idx.span_opt(item.span());
            match traversal_address(item) {
                Some(InstanceAddress { resource, key: aiu_model::InstanceKey::None }) => {
                    let reference = if resource.mode == ResourceMode::Data {
                        Reference { root: "data".into(), attrs: vec![resource.type_name.clone(), resource.name.clone()] }
                    } else {
                        Reference { root: resource.type_name.clone(), attrs: vec![resource.name.clone()] }
                    };
                    if !matches!(reference.root.as_str(), "var" | "local" | "count" | "each" | "path" | "self" | "terraform" | "module") {
                        self.pending.push(PendingRef { reference, span: span.clone(), scope: Scope::default() });
                        out.push((NodeId::Resource(resource), span));
                        continue;
                    }
                    self.push(err(
                        "Invalid depends_on reference",
                        "depends_on may only name whole resources or data sources, e.g. aws_iam_role.r or data.aws_iam_role.r.",
                        span,
                    ));
                }
                _ => self.push(err(
                    "Invalid depends_on reference",
                    "depends_on may only name whole resources or data sources (no instance keys, attributes or \
                     expressions), e.g. aws_iam_role.r or data.aws_iam_role.r.",
                    span,
                )),
            }
        }
        out
    }

    fn provider_ref(&mut self, idx: &LineIndex, a: &EditAttr) -> Option<String> {
        match static_traversal(&a.value) {
            Some((root, steps)) if root == "aws" && steps.is_empty() => Some("aws".into()),
            Some((root, steps)) if root == "aws" && steps.len() == 1 => {
                let alias = match &steps[0] {
                    Step::Attr(a) => a.clone(),
                    Step::Key(k) => k.to_string(),
                };
                self.push(err(
                    "Provider aliases are not supported",
                    format!(
                        "provider = aws.{alias} names an aliased provider configuration; aiu supports only the default \
                         aws provider. Remove the provider argument."
                    ),
                    idx.span_opt(a.value.span()),
                ));
                Some(format!("aws.{alias}"))
            }
            _ => {
                self.push(err(
                    "Invalid provider reference",
                    "provider must name the provider configuration, e.g. provider = aws.",
                    idx.span_opt(a.value.span()),
                ));
                None
            }
        }
    }

    /// Parses `lifecycle { ... }`; returns the span of `create_before_destroy` when set.
    fn lifecycle(
        &mut self,
        idx: &LineIndex,
        b: &EditBlock,
        schema: &'static aiu_model::ResourceSchema,
        out: &mut Lifecycle,
    ) -> Option<Span> {
        let mut cbd_span = None;
        for s in b.body.iter() {
            match s {
                Structure::Attribute(a) => {
                    let vspan = idx.span_opt(a.value.span());
                    match a.key.as_str() {
                        key @ ("prevent_destroy" | "create_before_destroy") => match literal_bool(&a.value) {
                            Some(v) => {
                                if key == "prevent_destroy" {
                                    out.prevent_destroy = v;
                                } else {
                                    out.create_before_destroy = v;
                                    cbd_span = Some(Self::attr_span(idx, a));
                                }
                            }
                            None => self.push(err(
                                "Invalid lifecycle argument",
                                format!("{key} must be a literal true or false: lifecycle settings are read before any expression is evaluated."),
                                vspan,
                            )),
                        },
                        "ignore_changes" => out.ignore_changes = self.ignore_changes(idx, &a.value, schema),
                        "replace_triggered_by" => self.push(err(
                            "Unsupported lifecycle argument",
                            "replace_triggered_by is not supported yet by aiu. Remove it.",
                            Self::attr_span(idx, a),
                        )),
                        other => self.push(err(
                            "Unsupported argument",
                            format!(
                                "An argument named \"{other}\" is not expected in a lifecycle block.{} Supported: prevent_destroy, create_before_destroy, ignore_changes.",
                                did_you_mean(other, ["prevent_destroy", "create_before_destroy", "ignore_changes"])
                            ),
                            Self::attr_span(idx, a),
                        )),
                    }
                }
                Structure::Block(nb) => {
                    let kind = nb.ident.as_str();
                    let detail = if matches!(kind, "precondition" | "postcondition") {
                        format!("\"{kind}\" blocks are not supported yet by aiu. Use a variable validation or a check block instead.")
                    } else {
                        format!("Blocks of type \"{kind}\" are not expected in a lifecycle block.")
                    };
                    self.push(err(
                        "Unsupported block type",
                        detail,
                        Self::header_span(idx, nb),
                    ));
                }
            }
        }
        cbd_span
    }

    fn ignore_changes(
        &mut self,
        idx: &LineIndex,
        e: &EditExpr,
        schema: &'static aiu_model::ResourceSchema,
    ) -> IgnoreChanges {
        if let Some((root, steps)) = static_traversal(e) {
            if root == "all" && steps.is_empty() {
                return IgnoreChanges::All;
            }
        }
        if literal_string(e).as_deref() == Some("*") {
            return IgnoreChanges::All;
        }
        let EditExpr::Array(items) = e else {
            self.push(err(
                "Invalid ignore_changes",
                "ignore_changes must be `all` or a list of argument names, e.g. ignore_changes = [tags].",
                idx.span_opt(e.span()),
            ));
            return IgnoreChanges::None;
        };
        let configurable: Vec<&str> = schema
            .attributes
            .iter()
            .filter(|a| a.presence != Presence::Computed)
            .map(|a| a.name)
            .collect();
        let mut names = Vec::new();
        for item in items.iter() {
            let span = idx.span_opt(item.span());
            let name = match static_traversal(item) {
                Some((root, _)) => Some(root),
                None => literal_string(item),
            };
            let Some(name) = name else {
                self.push(err(
                    "Invalid ignore_changes",
                    "Each ignore_changes entry must be an argument name, e.g. tags.",
                    span,
                ));
                continue;
            };
            match schema.attribute(&name) {
                Some(a) if a.presence == Presence::Computed => self.push(
                    Diagnostic::warning(
                        "Redundant ignore_changes element",
                        format!("\"{name}\" is set by AWS, not by the configuration, so there is nothing to ignore. Remove it."),
                    )
                    .with_span(Some(span)),
                ),
                Some(_) => names.push(name),
                None => self.push(err(
                    "Unsupported attribute in ignore_changes",
                    format!(
                        "{} has no argument \"{name}\".{} Arguments: {}.",
                        schema.type_name,
                        did_you_mean(&name, &configurable),
                        configurable.join(", ")
                    ),
                    span,
                )),
            }
        }
        IgnoreChanges::Attributes(names)
    }

    /// Converts a body checked against a schema. `skip` names meta-arguments handled by the caller.
    #[allow(clippy::too_many_arguments)]
    fn body_with_schema(
        &mut self,
        idx: &LineIndex,
        eb: &EditBody,
        attrs: &'static [AttributeSchema],
        blocks: &'static [BlockSchema],
        scope: &Scope,
        skip: &[&str],
        header: &Span,
        what: &str,
    ) -> Body {
        let mut body = Body::default();
        let configurable: Vec<&str> = attrs
            .iter()
            .filter(|a| a.presence != Presence::Computed)
            .map(|a| a.name)
            .collect();
        let block_names: Vec<&str> = blocks.iter().map(|b| b.name).collect();
        let mut block_counts: BTreeMap<&str, (usize, Span)> = BTreeMap::new();
        for s in eb.iter() {
            match s {
                Structure::Attribute(a) => {
                    let name = a.key.as_str();
                    if skip.contains(&name) {
                        continue;
                    }
                    let aspan = Self::attr_span(idx, a);
                    if let Some(first) = body.attribute_spans.get(name) {
                        self.push(err(
                            "Attribute redefined",
                            format!("The argument \"{name}\" was already set at {}. Each argument may be set only once.", where_of(first)),
                            aspan,
                        ));
                        continue;
                    }
                    match attrs.iter().find(|s| s.name == name) {
                        Some(sch) if sch.presence == Presence::Computed => self.push(err(
                            "Value for unconfigurable attribute",
                            format!(
                                "Can't configure a value for \"{name}\" of {what}: its value is decided by AWS when the \
                                 object is created. Remove the argument; read it as a reference instead."
                            ),
                            aspan,
                        )),
                        Some(_) => {
                            let e = self.expr(idx, &a.value, scope);
                            body.attribute_spans.insert(name.to_owned(), aspan);
                            body.attributes.insert(name.to_owned(), e);
                        }
                        None if block_names.contains(&name) => self.push(err(
                            "Unsupported argument",
                            format!(
                                "An argument named \"{name}\" is not expected here. Did you mean to define a block of \
                                 type \"{name}\"? Write it as {name} {{ ... }} (without =), or use a dynamic \"{name}\" block for a list."
                            ),
                            aspan,
                        )),
                        None => self.push(err(
                            "Unsupported argument",
                            format!(
                                "An argument named \"{name}\" is not expected in {what}.{}{}",
                                did_you_mean(name, configurable.iter().chain(skip.iter())),
                                if configurable.is_empty() { String::new() } else { format!(" Arguments: {}.", configurable.join(", ")) }
                            ),
                            aspan,
                        )),
                    }
                }
                Structure::Block(nb) => {
                    let name = nb.ident.as_str();
                    if skip.contains(&name) {
                        continue;
                    }
                    let nspan = Self::header_span(idx, nb);
                    if name == "dynamic" && !blocks.is_empty() {
                        if let Some(d) = self.dynamic(idx, nb, blocks, scope, body.blocks.len()) {
                            body.dynamic_blocks.push(d);
                        }
                        continue;
                    }
                    match blocks.iter().find(|b| b.name == name) {
                        Some(sch) => {
                            if !nb.labels.is_empty() {
                                self.push(err(
                                    "Extraneous label",
                                    format!("A \"{name}\" block takes no labels; remove them."),
                                    nspan.clone(),
                                ));
                            }
                            let inner = self.body_with_schema(
                                idx,
                                &nb.body,
                                sch.attributes,
                                sch.blocks,
                                scope,
                                &[],
                                &nspan,
                                &format!("a \"{name}\" block"),
                            );
                            let entry = block_counts.entry(sch.name).or_insert((0, nspan.clone()));
                            entry.0 += 1;
                            if sch.single && entry.0 == 2 {
                                self.push(err(
                                    "Too many blocks",
                                    format!("At most one \"{name}\" block is allowed here; merge them into one."),
                                    nspan.clone(),
                                ));
                            }
                            body.blocks.push(NestedBlock { name: name.to_owned(), labels: Self::labels(nb), body: inner, span: nspan });
                        }
                        None if configurable.contains(&name) => self.push(err(
                            "Unsupported block type",
                            format!(
                                "Blocks of type \"{name}\" are not expected here. Did you mean to define argument \
                                 \"{name}\"? If so, use the equals sign to assign it a value: {name} = {{ ... }}."
                            ),
                            nspan,
                        )),
                        None => self.push(err(
                            "Unsupported block type",
                            format!(
                                "Blocks of type \"{name}\" are not expected in {what}.{}{}",
                                did_you_mean(name, &block_names),
                                if block_names.is_empty() {
                                    " It takes no nested blocks.".to_owned()
                                } else {
                                    format!(" Blocks: {}.", block_names.join(", "))
                                }
                            ),
                            nspan,
                        )),
                    }
                }
            }
        }
        for a in attrs {
            if a.presence == Presence::Required && !body.attributes.contains_key(a.name) {
                self.push(err(
                    "Missing required argument",
                    format!("The argument \"{}\" is required in {what}, but no definition was found. Add {} = ...", a.name, a.name),
                    header.clone(),
                ));
            }
            if body.attributes.contains_key(a.name) {
                for other in a.conflicts_with {
                    // Report each pair once, at the argument written later.
                    if let (Some(mine), Some(theirs)) = (
                        body.attribute_spans.get(a.name),
                        body.attribute_spans.get(*other),
                    ) {
                        if mine.start > theirs.start {
                            self.push(err(
                                "Conflicting configuration arguments",
                                format!(
                                    "\"{}\": conflicts with {other} (set at {}). Set only one of them: {other} gives a fixed \
                                     name, name_prefix lets AWS append a unique suffix.",
                                    a.name,
                                    where_of(theirs)
                                ),
                                mine.clone(),
                            ));
                        }
                    }
                }
            }
        }
        body
    }

    fn dynamic(
        &mut self,
        idx: &LineIndex,
        b: &EditBlock,
        blocks: &'static [BlockSchema],
        scope: &Scope,
        position: usize,
    ) -> Option<DynamicBlock> {
        let span = Self::header_span(idx, b);
        let labels = self.expect_labels(idx, b, &["block type"])?;
        let name = labels[0].clone();
        let Some(sch) = blocks.iter().find(|s| s.name == name) else {
            let names: Vec<&str> = blocks.iter().map(|b| b.name).collect();
            self.push(err(
                "Unsupported block type",
                format!(
                    "A dynamic block cannot generate \"{name}\" blocks here.{} Blocks: {}.",
                    did_you_mean(&name, &names),
                    names.join(", ")
                ),
                span,
            ));
            return None;
        };
        let mut for_each = None;
        let mut iterator = name.clone();
        let mut content = None;
        for s in b.body.iter() {
            match s {
                Structure::Attribute(a) => match a.key.as_str() {
                    "for_each" => for_each = Some(self.expr(idx, &a.value, scope)),
                    "iterator" => match static_traversal(&a.value) {
                        Some((root, steps)) if steps.is_empty() => iterator = root,
                        _ => self.push(err(
                            "Invalid dynamic iterator",
                            "iterator must be a bare name, e.g. iterator = s.",
                            idx.span_opt(a.value.span()),
                        )),
                    },
                    "labels" => self.push(err(
                        "Unsupported argument",
                        format!("\"{name}\" blocks take no labels; remove the labels argument."),
                        Self::attr_span(idx, a),
                    )),
                    other => self.push(err(
                        "Unsupported argument",
                        format!("An argument named \"{other}\" is not expected in a dynamic block. Arguments: for_each, iterator."),
                        Self::attr_span(idx, a),
                    )),
                },
                Structure::Block(cb) if cb.ident.as_str() == "content" => {
                    if content.is_some() {
                        self.push(err("Too many blocks", "A dynamic block takes exactly one content block.", Self::header_span(idx, cb)));
                        continue;
                    }
                    let mut inner_scope = scope.clone();
                    inner_scope.bound.push(iterator.clone());
                    let cspan = Self::header_span(idx, cb);
                    content = Some(self.body_with_schema(
                        idx,
                        &cb.body,
                        sch.attributes,
                        sch.blocks,
                        &inner_scope,
                        &[],
                        &cspan,
                        &format!("a \"{name}\" block"),
                    ));
                }
                Structure::Block(cb) => self.push(err(
                    "Unsupported block type",
                    format!("Blocks of type \"{}\" are not expected in a dynamic block; put the generated block's body in content {{ ... }}.", cb.ident.as_str()),
                    Self::header_span(idx, cb),
                )),
            }
        }
        let Some(for_each) = for_each else {
            self.push(err(
                "Missing required argument",
                "A dynamic block needs for_each = <list, set or map>.",
                span,
            ));
            return None;
        };
        let Some(content) = content else {
            self.push(err(
                "Missing required block",
                "A dynamic block needs a content { ... } block with the generated block's body.",
                span,
            ));
            return None;
        };
        Some(DynamicBlock {
            name,
            for_each,
            iterator,
            content,
            position,
            span,
        })
    }

    // ----- variables, locals, outputs -------------------------------------------------------

    fn variable(&mut self, idx: &LineIndex, b: &EditBlock) {
        let Some(labels) = self.expect_labels(idx, b, &["name"]) else {
            return;
        };
        let header = Self::header_span(idx, b);
        let name = labels[0].clone();
        if !is_identifier(&name) || RESERVED_VARIABLE_NAMES.contains(&name.as_str()) {
            let why = if is_identifier(&name) {
                format!(
                    "\"{name}\" is reserved by the language ({}).",
                    RESERVED_VARIABLE_NAMES.join(", ")
                )
            } else {
                format!("\"{name}\" is not a valid identifier: use letters, digits, underscores and dashes, not starting with a digit.")
            };
            self.push(err(
                "Invalid variable name",
                format!("{why} Choose another name."),
                header.clone(),
            ));
        }
        if let Some(first) = self.seen.variables.get(&name) {
            self.push(err(
                "Duplicate variable declaration",
                format!("A variable named \"{name}\" was already declared at {}. Variable names must be unique; remove or rename one.", where_of(first)),
                header,
            ));
            return;
        }
        self.seen.variables.insert(name.clone(), header.clone());
        let mut v = Variable {
            name: name.clone(),
            ty: None,
            default: None,
            description: None,
            sensitive: false,
            nullable: true,
            validations: Vec::new(),
            span: header.clone(),
        };
        let no_refs = Scope {
            no_refs: Some("a variable default"),
            ..Scope::default()
        };
        const ARGS: &[&str] = &["type", "default", "description", "sensitive", "nullable"];
        for s in b.body.iter() {
            match s {
                Structure::Attribute(a) => {
                    let vspan = idx.span_opt(a.value.span());
                    match a.key.as_str() {
                        "type" => {
                            let expr: hcl::Expression = a.value.clone().into();
                            match aiu_lang::parse_type(&expr) {
                                Ok(t) => v.ty = Some(t),
                                Err(e) => self.push(err(
                                    "Invalid type specification",
                                    format!("{e}. Use a type such as string, number, bool, list(string), map(string) or object({{...}})."),
                                    vspan,
                                )),
                            }
                        }
                        "default" => v.default = Some(self.expr(idx, &a.value, &no_refs)),
                        "description" => match literal_string(&a.value) {
                            Some(d) => v.description = Some(d),
                            None => self.push(err("Invalid description", "description must be a literal string.", vspan)),
                        },
                        key @ ("sensitive" | "nullable") => match literal_bool(&a.value) {
                            Some(x) if key == "sensitive" => v.sensitive = x,
                            Some(x) => v.nullable = x,
                            None => self.push(err("Invalid argument value", format!("{key} must be a literal true or false."), vspan)),
                        },
                        other => self.push(err(
                            "Unsupported argument",
                            format!("An argument named \"{other}\" is not expected in a variable block.{} Arguments: {}.", did_you_mean(other, ARGS), ARGS.join(", ")),
                            Self::attr_span(idx, a),
                        )),
                    }
                }
                Structure::Block(vb) if vb.ident.as_str() == "validation" => {
                    let vspan = Self::header_span(idx, vb);
                    let mut condition = None;
                    let mut message = None;
                    for vs in vb.body.iter() {
                        match vs {
                            Structure::Attribute(a) if a.key.as_str() == "condition" => condition = Some(self.expr(idx, &a.value, &Scope::default())),
                            Structure::Attribute(a) if a.key.as_str() == "error_message" => message = Some(self.expr(idx, &a.value, &Scope::default())),
                            other => self.push(err(
                                "Unsupported argument",
                                "A validation block takes exactly two arguments: condition and error_message.",
                                idx.span_opt(other.span()),
                            )),
                        }
                    }
                    match (condition, message) {
                        (Some(condition), Some(error_message)) => v.validations.push(Validation { condition, error_message }),
                        (c, _) => self.push(err(
                            "Missing required argument",
                            format!("The argument \"{}\" is required in a validation block.", if c.is_none() { "condition" } else { "error_message" }),
                            vspan,
                        )),
                    }
                }
                Structure::Block(vb) => self.push(err(
                    "Unsupported block type",
                    format!("Blocks of type \"{}\" are not expected in a variable block; only validation blocks are.", vb.ident.as_str()),
                    Self::header_span(idx, vb),
                )),
            }
        }
        self.config.variables.push(v);
    }

    fn locals(&mut self, idx: &LineIndex, b: &EditBlock) {
        if self.expect_labels(idx, b, &[]).is_none() {
            return;
        }
        for s in b.body.iter() {
            match s {
                Structure::Attribute(a) => {
                    let name = a.key.as_str().to_owned();
                    let aspan = Self::attr_span(idx, a);
                    if let Some(first) = self.seen.locals.get(&name) {
                        self.push(err(
                            "Duplicate local value definition",
                            format!("A local value named \"{name}\" was already defined at {}. Local value names must be unique.", where_of(first)),
                            aspan,
                        ));
                        continue;
                    }
                    self.seen.locals.insert(name.clone(), aspan);
                    let expr = self.expr(idx, &a.value, &Scope::default());
                    self.config.locals.push(Local { name, expr });
                }
                Structure::Block(lb) => self.push(err(
                    "Unsupported block type",
                    "A locals block contains only arguments (name = expression).",
                    Self::header_span(idx, lb),
                )),
            }
        }
    }

    fn output(&mut self, idx: &LineIndex, b: &EditBlock) {
        let Some(labels) = self.expect_labels(idx, b, &["name"]) else {
            return;
        };
        let header = Self::header_span(idx, b);
        let name = labels[0].clone();
        if !is_identifier(&name) {
            self.push(err(
                "Invalid output name",
                format!("\"{name}\" is not a valid identifier."),
                header.clone(),
            ));
        }
        if let Some(first) = self.seen.outputs.get(&name) {
            self.push(err(
                "Duplicate output definition",
                format!("An output named \"{name}\" was already defined at {}. Output names must be unique.", where_of(first)),
                header,
            ));
            return;
        }
        self.seen.outputs.insert(name.clone(), header.clone());
        let mut value = None;
        let mut description = None;
        let mut sensitive = false;
        let mut depends_on = Vec::new();
        const ARGS: &[&str] = &["value", "description", "sensitive", "depends_on"];
        for s in b.body.iter() {
            match s {
                Structure::Attribute(a) => {
                    let vspan = idx.span_opt(a.value.span());
                    match a.key.as_str() {
                        "value" => value = Some(self.expr(idx, &a.value, &Scope::default())),
                        "description" => match literal_string(&a.value) {
                            Some(d) => description = Some(d),
                            None => self.push(err("Invalid description", "description must be a literal string.", vspan)),
                        },
                        "sensitive" => match literal_bool(&a.value) {
                            Some(x) => sensitive = x,
                            None => self.push(err("Invalid argument value", "sensitive must be a literal true or false.", vspan)),
                        },
                        "depends_on" => depends_on = self.depends_on(idx, a),
                        other => self.push(err(
                            "Unsupported argument",
                            format!("An argument named \"{other}\" is not expected in an output block.{} Arguments: {}.", did_you_mean(other, ARGS), ARGS.join(", ")),
                            Self::attr_span(idx, a),
                        )),
                    }
                }
                Structure::Block(ob) => {
                    let kind = ob.ident.as_str();
                    let detail = if kind == "precondition" {
                        "precondition blocks are not supported yet by aiu; use a check block instead.".to_owned()
                    } else {
                        format!("Blocks of type \"{kind}\" are not expected in an output block.")
                    };
                    self.push(err(
                        "Unsupported block type",
                        detail,
                        Self::header_span(idx, ob),
                    ));
                }
            }
        }
        match value {
            Some(value) => self.config.outputs.push(Output { name, value, description, sensitive, depends_on, span: header }),
            None => self.push(err(
                "Missing required argument",
                format!("The argument \"value\" is required in output \"{name}\", but no definition was found. Add value = <expression>."),
                header,
            )),
        }
    }

    // ----- provider, terraform, import, check ------------------------------------------------

    fn provider(&mut self, idx: &LineIndex, b: &EditBlock) {
        let Some(labels) = self.expect_labels(idx, b, &["name"]) else {
            return;
        };
        let header = Self::header_span(idx, b);
        if labels[0] != "aws" {
            self.push(err(
                "Unsupported provider",
                format!("aiu only speaks to AWS; provider \"{}\" is not supported. Use provider \"aws\" {{ ... }}.", labels[0]),
                header,
            ));
            return;
        }
        if let Some(first) = &self.seen.provider {
            self.push(err(
                "Duplicate provider configuration",
                format!("A provider \"aws\" block was already given at {}. aiu supports one provider configuration (no aliases); merge them.", where_of(first)),
                header,
            ));
            return;
        }
        self.seen.provider = Some(header.clone());
        let mut p = ProviderBlock {
            span: Some(header),
            ..ProviderBlock::default()
        };
        const ARGS: &[&str] = &[
            "region",
            "profile",
            "access_key",
            "secret_key",
            "allowed_account_ids",
            "forbidden_account_ids",
        ];
        const BLOCKS: &[&str] = &["endpoints", "default_tags"];
        let scope = Scope::default();
        for s in b.body.iter() {
            match s {
                Structure::Attribute(a) => {
                    let slot = match a.key.as_str() {
                        "region" => &mut p.region,
                        "profile" => &mut p.profile,
                        "access_key" => &mut p.access_key,
                        "secret_key" => &mut p.secret_key,
                        "allowed_account_ids" => &mut p.allowed_account_ids,
                        "forbidden_account_ids" => &mut p.forbidden_account_ids,
                        other => {
                            let detail = if other == "alias" {
                                "Provider aliases are not supported: aiu uses a single AWS provider configuration.".to_owned()
                            } else {
                                format!(
                                    "An argument named \"{other}\" is not expected in provider \"aws\".{} Arguments: {}; blocks: {}.",
                                    did_you_mean(other, ARGS.iter().chain(BLOCKS)),
                                    ARGS.join(", "),
                                    BLOCKS.join(", ")
                                )
                            };
                            self.push(err("Unsupported argument", detail, Self::attr_span(idx, a)));
                            continue;
                        }
                    };
                    *slot = Some(self.expr(idx, &a.value, &scope));
                }
                Structure::Block(pb) => {
                    let bspan = Self::header_span(idx, pb);
                    match pb.ident.as_str() {
                        "endpoints" => {
                            for es in pb.body.iter() {
                                match es {
                                    Structure::Attribute(a) if matches!(a.key.as_str(), "iam" | "sts" | "s3" | "dynamodb") => {
                                        let e = self.expr(idx, &a.value, &scope);
                                        p.endpoints.insert(a.key.as_str().to_owned(), e);
                                    }
                                    other => self.push(err(
                                        "Unsupported argument",
                                        "The endpoints block accepts iam, sts, s3 and dynamodb (URLs of the service endpoints).",
                                        idx.span_opt(other.span()),
                                    )),
                                }
                            }
                        }
                        "default_tags" => {
                            for es in pb.body.iter() {
                                match es {
                                    Structure::Attribute(a) if a.key.as_str() == "tags" => {
                                        p.default_tags = Some(self.expr(idx, &a.value, &scope));
                                    }
                                    other => self.push(err(
                                        "Unsupported argument",
                                        "The default_tags block accepts only tags = { ... }.",
                                        idx.span_opt(other.span()),
                                    )),
                                }
                            }
                        }
                        other => self.push(err(
                            "Unsupported block type",
                            format!(
                                "Blocks of type \"{other}\" are not expected in provider \"aws\".{} Blocks: {}.",
                                did_you_mean(other, BLOCKS),
                                BLOCKS.join(", ")
                            ),
                            bspan,
                        )),
                    }
                }
            }
        }
        self.config.provider = Some(p);
    }

    fn terraform(&mut self, idx: &LineIndex, b: &EditBlock) {
        if self.expect_labels(idx, b, &[]).is_none() {
            return;
        }
        for s in b.body.iter() {
            match s {
                Structure::Attribute(a) if a.key.as_str() == "required_version" => {
                    let e = self.expr(idx, &a.value, &Scope::default());
                    self.config.terraform.required_version = Some(e);
                }
                Structure::Attribute(a) => self.push(err(
                    "Unsupported argument",
                    format!("An argument named \"{}\" is not expected in a terraform block. Arguments: required_version; blocks: required_providers, backend.", a.key.as_str()),
                    Self::attr_span(idx, a),
                )),
                Structure::Block(tb) => {
                    let tspan = Self::header_span(idx, tb);
                    match tb.ident.as_str() {
                        "required_providers" => {
                            for rs in tb.body.iter() {
                                match rs {
                                    Structure::Attribute(a) => {
                                        let e = self.expr(idx, &a.value, &Scope::default());
                                        self.config.terraform.required_providers.insert(a.key.as_str().to_owned(), e);
                                    }
                                    Structure::Block(x) => self.push(err(
                                        "Unsupported block type",
                                        "required_providers contains arguments only, e.g. aws = { source = \"hashicorp/aws\" }.",
                                        Self::header_span(idx, x),
                                    )),
                                }
                            }
                        }
                        "backend" => {
                            let Some(labels) = self.expect_labels(idx, tb, &["type"]) else { continue };
                            if !matches!(labels[0].as_str(), "s3" | "local") {
                                self.push(err(
                                    "Unsupported backend type",
                                    format!("The backend \"{}\" is not supported by aiu. Supported: \"s3\", \"local\".", labels[0]),
                                    tspan,
                                ));
                                continue;
                            }
                            if let Some(first) = &self.seen.backend {
                                self.push(err(
                                    "Duplicate backend configuration",
                                    format!("A backend was already configured at {}. Only one backend is allowed.", where_of(first)),
                                    tspan,
                                ));
                                continue;
                            }
                            self.seen.backend = Some(tspan.clone());
                            let body = self.generic_body(idx, &tb.body);
                            self.config.backend = Some(BackendBlock { kind: labels[0].clone(), body, span: tspan });
                        }
                        "cloud" => self.push(err(
                            "Unsupported block type",
                            "HCP Terraform (cloud block) is not supported by aiu. Use backend \"s3\" or \"local\".",
                            tspan,
                        )),
                        other => self.push(err(
                            "Unsupported block type",
                            format!("Blocks of type \"{other}\" are not expected in a terraform block. Blocks: required_providers, backend."),
                            tspan,
                        )),
                    }
                }
            }
        }
    }

    /// A body without schema (backend settings, check blocks): no checks, no references.
    fn generic_body(&mut self, idx: &LineIndex, eb: &EditBody) -> Body {
        let mut body = Body::default();
        for s in eb.iter() {
            match s {
                Structure::Attribute(a) => {
                    let span = idx.span_opt(a.value.span());
                    body.attribute_spans
                        .insert(a.key.as_str().to_owned(), Self::attr_span(idx, a));
                    body.attributes.insert(
                        a.key.as_str().to_owned(),
                        Expr {
                            expr: a.value.clone().into(),
                            span,
                        },
                    );
                }
                Structure::Block(nb) => {
                    let inner = self.generic_body(idx, &nb.body);
                    body.blocks.push(NestedBlock {
                        name: nb.ident.as_str().to_owned(),
                        labels: Self::labels(nb),
                        body: inner,
                        span: Self::header_span(idx, nb),
                    });
                }
            }
        }
        body
    }

    fn import(&mut self, idx: &LineIndex, b: &EditBlock) {
        if self.expect_labels(idx, b, &[]).is_none() {
            return;
        }
        let header = Self::header_span(idx, b);
        // `each` is visible in `to` and `id` only when the block has a for_each.
        let has_for_each = b.body.get_attribute("for_each").is_some();
        let scope = Scope {
            each: has_for_each,
            ..Scope::default()
        };
        let mut to = None;
        let mut to_key = None;
        let mut id = None;
        let mut for_each = None;
        for s in b.body.iter() {
            match s {
                Structure::Attribute(a) => match a.key.as_str() {
                    "to" => {
                        let span = idx.span_opt(a.value.span());
                        if let Some(addr) = traversal_address(&a.value).filter(|a| a.resource.mode == ResourceMode::Managed) {
                            self.import_targets.push((addr.clone(), span));
                            to = Some(addr);
                        } else if let Some((resource, key)) = refs::dynamic_import_target(&a.value).filter(|_| has_for_each) {
                            let addr = InstanceAddress::single(resource);
                            self.import_targets.push((addr.clone(), span));
                            to_key = Some(self.expr(idx, &key, &scope));
                            to = Some(addr);
                        } else {
                            let fix = if has_for_each {
                                "to must be the address of a managed resource instance, e.g. to = aws_iam_role.r[each.key]."
                            } else {
                                "to must be the address of a managed resource, e.g. to = aws_iam_role.r or to = aws_iam_role.r[\"key\"]; \
                                 an instance key computed from each.key or each.value needs for_each in the import block."
                            };
                            self.push(err("Invalid import address", fix, span));
                        }
                    }
                    "id" => id = Some(self.expr(idx, &a.value, &scope)),
                    "for_each" => for_each = Some(self.expr(idx, &a.value, &Scope::default())),
                    "provider" => {
                        self.provider_ref(idx, a);
                    }
                    other => self.push(err(
                        "Unsupported argument",
                        format!("An argument named \"{other}\" is not expected in an import block. Arguments: to, id, for_each, provider."),
                        Self::attr_span(idx, a),
                    )),
                },
                Structure::Block(ib) => self.push(err(
                    "Unsupported block type",
                    "An import block takes only the arguments to, id, for_each and provider.",
                    Self::header_span(idx, ib),
                )),
            }
        }
        match (to, id) {
            (Some(to), Some(id)) => self.config.imports.push(ImportBlock {
                to,
                to_key,
                id,
                for_each,
                span: header,
            }),
            (to, id) => {
                let has_to = to.is_some() || b.body.get_attribute("to").is_some();
                for (missing, what) in [(!has_to, "to"), (id.is_none(), "id")] {
                    if missing {
                        self.push(err(
                            "Missing required argument",
                            format!("The argument \"{what}\" is required in an import block."),
                            header.clone(),
                        ));
                    }
                }
            }
        }
    }

    fn check(&mut self, idx: &LineIndex, b: &EditBlock) {
        let Some(labels) = self.expect_labels(idx, b, &["name"]) else {
            return;
        };
        let header = Self::header_span(idx, b);
        let name = labels[0].clone();
        if let Some(first) = self.seen.checks.get(&name) {
            self.push(err(
                "Duplicate check block",
                format!("A check named \"{name}\" was already defined at {}. Check names must be unique.", where_of(first)),
                header,
            ));
            return;
        }
        self.seen.checks.insert(name.clone(), header.clone());
        let body = self.generic_body(idx, &b.body);
        let mut access = Vec::new();
        for s in b.body.iter() {
            if let Structure::Block(nb) = s {
                if nb.ident.as_str() == "assert_access" {
                    access.extend(self.assert_access(idx, nb));
                }
            }
        }
        self.config.checks.push(CheckBlock {
            name,
            body,
            span: header,
            access,
        });
    }

    /// `assert_access { principal, action, resource | caller, context, expect }`: every
    /// expression is checked for references like any other; `expect` must be "allow" or "deny".
    fn assert_access(&mut self, idx: &LineIndex, b: &EditBlock) -> Option<AccessAssertion> {
        const ARGS: &[&str] = &[
            "principal",
            "action",
            "resource",
            "caller",
            "context",
            "expect",
        ];
        self.expect_labels(idx, b, &[])?;
        let header = Self::header_span(idx, b);
        let scope = Scope::default();
        let mut exprs: BTreeMap<&'static str, (Expr, &EditExpr)> = BTreeMap::new();
        let mut ok = true;
        for s in b.body.iter() {
            match s {
                Structure::Attribute(a) => match ARGS.iter().find(|n| **n == a.key.as_str()) {
                    Some(n) => {
                        let e = self.expr(idx, &a.value, &scope);
                        exprs.insert(n, (e, &a.value));
                    }
                    None => {
                        ok = false;
                        let hint = did_you_mean(a.key.as_str(), ARGS.iter().copied());
                        self.push(err(
                            "Unsupported argument",
                            format!(
                                "An argument named \"{}\" is not expected in an assert_access block.{hint} Arguments: {}.",
                                a.key.as_str(),
                                ARGS.join(", ")
                            ),
                            Self::attr_span(idx, a),
                        ));
                    }
                },
                Structure::Block(nb) => {
                    ok = false;
                    self.push(err(
                        "Unsupported block type",
                        "An assert_access block takes only arguments: principal, action, resource (or caller), context, expect.",
                        Self::header_span(idx, nb),
                    ));
                }
            }
        }
        let missing = |this: &mut Self, what: &str, why: &str| {
            this.push(err(
                "Missing required argument",
                format!("The argument \"{what}\" is required in an assert_access block{why}."),
                header.clone(),
            ));
        };
        for required in ["principal", "action", "expect"] {
            if !exprs.contains_key(required) {
                ok = false;
                let why = match required {
                    "principal" => {
                        ": the role whose access is asserted, e.g. principal = aws_iam_role.engine"
                    }
                    "action" => ", e.g. action = \"secretsmanager:GetSecretValue\"",
                    _ => ": expect = \"allow\" or expect = \"deny\"",
                };
                missing(self, required, why);
            }
        }
        if !exprs.contains_key("resource") && !exprs.contains_key("caller") {
            ok = false;
            missing(
                self,
                "resource",
                " (the ARN the action is performed on), unless caller = \"PRINCIPAL\" is given to check the role's trust policy",
            );
        }
        if exprs.contains_key("resource") && exprs.contains_key("caller") {
            ok = false;
            self.push(err(
                "Conflicting arguments",
                "An assert_access block takes either resource (the role's permissions on a resource) or caller (who may assume the role), not both.",
                header.clone(),
            ));
        }
        let expect = match exprs.get("expect") {
            Some((e, raw)) => {
                let literal = match raw {
                    EditExpr::String(s) => Some(s.value().to_ascii_lowercase()),
                    _ => None,
                };
                match literal.as_deref() {
                    Some("allow") => Some(AccessExpect::Allow),
                    Some("deny") => Some(AccessExpect::Deny),
                    _ => {
                        ok = false;
                        let text = idx
                            .text()
                            .get(e.span.start.byte..e.span.end.byte)
                            .unwrap_or("")
                            .to_owned();
                        self.push(err(
                            "Invalid expect value",
                            format!("expect must be the string \"allow\" or \"deny\", not {text}."),
                            e.span.clone(),
                        ));
                        None
                    }
                }
            }
            None => None,
        };
        let role = match exprs.get("principal") {
            Some((e, raw)) => match refs::principal_address(raw) {
                Some(addr) if addr.resource.type_name != "aws_iam_role" => {
                    ok = false;
                    self.push(err(
                        "Invalid principal",
                        format!(
                            "principal must refer to an aws_iam_role resource, e.g. principal = aws_iam_role.engine; {} is a {}.",
                            addr.resource, addr.resource.type_name
                        ),
                        e.span.clone(),
                    ));
                    None
                }
                other => other,
            },
            None => None,
        };
        if !ok {
            return None;
        }
        let mut take = |k: &str| exprs.remove(k).map(|(e, _)| e);
        Some(AccessAssertion {
            principal: take("principal")?,
            role,
            action: take("action")?,
            resource: take("resource"),
            caller: take("caller"),
            context: take("context"),
            expect: expect?,
            span: header,
        })
    }

    // ----- references --------------------------------------------------------------------

    fn finish(&mut self) {
        for (to, span) in std::mem::take(&mut self.import_targets) {
            if self.config.resource(&to.resource).is_none() {
                let declared: Vec<String> = self
                    .config
                    .managed_resources()
                    .map(|d| d.addr.to_string())
                    .collect();
                self.push(err(
                    "Import target not declared",
                    format!(
                        "The configuration has no resource {} to import into.{} Add a resource \"{}\" \"{}\" block, \
                         then run the plan again.",
                        to.resource,
                        did_you_mean(&to.resource.to_string(), &declared),
                        to.resource.type_name,
                        to.resource.name
                    ),
                    span,
                ));
            }
        }
        let mut pending = std::mem::take(&mut self.pending);
        // Report in source order, whatever order the references were extracted in.
        pending.sort_by(|a, b| {
            (&a.span.file, a.span.start.byte).cmp(&(&b.span.file, b.span.start.byte))
        });
        for p in pending {
            if let Some(d) = self.check_reference(&p) {
                self.push(d.with_span(Some(p.span)));
            }
        }
    }

    fn check_reference(&self, p: &PendingRef) -> Option<Diagnostic> {
        let r = &p.reference;
        if p.scope.bound.contains(&r.root) {
            return None;
        }
        if let Some(place) = p.scope.no_refs {
            return Some(Diagnostic::error(
                "Variables not allowed",
                format!("References are not allowed in {place}: it must be a literal value. Move the expression into a local value."),
            ));
        }
        let first = r.attrs.first();
        match r.root.as_str() {
            "var" => {
                let name = first?;
                if self.config.variable(name).is_some() {
                    return None;
                }
                let names = self.config.variables.iter().map(|v| v.name.as_str());
                Some(Diagnostic::error(
                    "Reference to undeclared input variable",
                    format!(
                        "An input variable with the name \"{name}\" has not been declared.{} Declare it with variable \"{name}\" {{}}.",
                        did_you_mean(name, names)
                    ),
                ))
            }
            "local" => {
                let name = first?;
                if self.config.local(name).is_some() {
                    return None;
                }
                let names = self.config.locals.iter().map(|l| l.name.as_str());
                Some(Diagnostic::error(
                    "Reference to undeclared local value",
                    format!(
                        "A local value with the name \"{name}\" has not been declared.{} Define it in a locals {{ ... }} block.",
                        did_you_mean(name, names)
                    ),
                ))
            }
            "data" => {
                let (Some(t), Some(n)) = (first, r.attrs.get(1)) else {
                    return Some(Diagnostic::error(
                        "Invalid reference",
                        "A reference to a data source must name its type and name, e.g. data.aws_iam_role.r.",
                    ));
                };
                let addr = ResourceAddress::data(t, n);
                if self.config.resource(&addr).is_some() {
                    return None;
                }
                let declared: Vec<String> = self.config.data_sources().map(|d| d.addr.to_string()).collect();
                Some(Diagnostic::error(
                    "Reference to undeclared resource",
                    format!(
                        "A data source \"{t}\" \"{n}\" has not been declared in this configuration.{}",
                        did_you_mean(&addr.to_string(), &declared)
                    ),
                ))
            }
            "count" if !p.scope.count => Some(Diagnostic::error(
                "Reference to \"count\" in non-counted context",
                "The \"count\" object can only be used in resource and data blocks that set the \"count\" argument.",
            )),
            "each" if !p.scope.each => Some(Diagnostic::error(
                "Reference to \"each\" in context without for_each",
                "The \"each\" object can only be used in resource, data and import blocks that set the \"for_each\" argument.",
            )),
            "count" | "each" | "path" | "terraform" | "self" => None,
            "module" => Some(Diagnostic::error("Unsupported reference", "Modules are not supported by aiu.")),
            root => {
                let Some(name) = first else {
                    let hint = did_you_mean(root, ["var", "local", "data", "count", "each", "path"]);
                    return Some(Diagnostic::error(
                        "Invalid reference",
                        format!(
                            "\"{root}\" is not a known name.{hint} References look like var.name, local.name, \
                             aws_iam_role.name.arn or data.aws_iam_policy_document.name.json."
                        ),
                    ));
                };
                let addr = ResourceAddress::managed(root, name);
                if self.config.resource(&addr).is_some() {
                    return None;
                }
                let declared: Vec<String> = self.config.managed_resources().map(|d| d.addr.to_string()).collect();
                let mut hint = did_you_mean(&addr.to_string(), &declared);
                if hint.is_empty() && schema_for(ResourceMode::Managed, root).is_none() && schema_for(ResourceMode::Data, root).is_some() {
                    hint = format!(" \"{root}\" is a data source: write data.{root}.{name}.");
                } else if hint.is_empty() && schema_for(ResourceMode::Managed, root).is_none() {
                    hint = did_you_mean(root, type_names(ResourceMode::Managed));
                }
                Some(Diagnostic::error(
                    "Reference to undeclared resource",
                    format!("A managed resource \"{root}\" \"{name}\" has not been declared in this configuration.{hint}"),
                ))
            }
        }
    }
}

pub(crate) fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
        && !s.starts_with(|c: char| c.is_ascii_digit() || c == '-')
}
