//! Reference extraction helpers: spans of traversals in the source, traversals read as
//! addresses (`depends_on`, `import.to`, `ignore_changes`), and dependency mapping.

use std::ops::Range;

use aiu_lang::Reference;
use aiu_model::{InstanceAddress, InstanceKey, ResourceAddress};
use hcl::edit::expr::{Expression as EditExpr, Traversal, TraversalOperator};
use hcl::edit::visit::{self, Visit};
use hcl::edit::Span as _;

use crate::model::NodeId;

/// A traversal as written: its root name, its first attribute name and its byte range.
#[derive(Debug)]
pub(crate) struct FoundTraversal {
    pub root: String,
    pub first_attr: Option<String>,
    pub range: Option<Range<usize>>,
}

#[derive(Default)]
struct Collector {
    found: Vec<FoundTraversal>,
}

impl Visit for Collector {
    fn visit_expr(&mut self, node: &EditExpr) {
        if let EditExpr::Variable(v) = node {
            self.found.push(FoundTraversal {
                root: v.as_str().to_owned(),
                first_attr: None,
                range: v.span(),
            });
        } else {
            visit::visit_expr(self, node);
        }
    }

    fn visit_traversal(&mut self, node: &Traversal) {
        if let EditExpr::Variable(v) = &node.expr {
            let first_attr = node.operators.first().and_then(|op| match op.value() {
                TraversalOperator::GetAttr(id) => Some(id.as_str().to_owned()),
                _ => None,
            });
            self.found.push(FoundTraversal {
                root: v.as_str().to_owned(),
                first_attr,
                range: node.span(),
            });
            for op in &node.operators {
                self.visit_traversal_operator(op);
            }
        } else {
            visit::visit_traversal(self, node);
        }
    }
}

/// Every traversal of an expression (including names bound by `for`; callers match them
/// against `aiu_lang::references`, which skips those).
pub(crate) fn traversals(expr: &EditExpr) -> Vec<FoundTraversal> {
    let mut c = Collector::default();
    c.visit_expr(expr);
    c.found
}

/// The byte range of the traversal that produced `reference`, if found.
pub(crate) fn locate(
    reference: &Reference,
    found: &[FoundTraversal],
    used: &mut Vec<bool>,
) -> Option<Range<usize>> {
    let matches = |f: &FoundTraversal| {
        f.root == reference.root
            && (f.first_attr.is_none()
                || f.first_attr.as_deref() == reference.attrs.first().map(String::as_str))
    };
    used.resize(found.len(), false);
    let pick = found
        .iter()
        .enumerate()
        .find(|(i, f)| !used[*i] && matches(f))
        .or_else(|| found.iter().enumerate().find(|(_, f)| matches(f)));
    pick.and_then(|(i, f)| {
        used[i] = true;
        f.range.clone()
    })
}

/// One step of a static traversal.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Step {
    Attr(String),
    Key(InstanceKey),
}

/// Reads `a.b["k"][0]` as a root name and steps; `None` for anything that is not a static
/// traversal.
pub(crate) fn static_traversal(expr: &EditExpr) -> Option<(String, Vec<Step>)> {
    match expr {
        EditExpr::Variable(v) => Some((v.as_str().to_owned(), Vec::new())),
        EditExpr::Traversal(t) => {
            let (root, mut steps) = static_traversal(&t.expr)?;
            for op in &t.operators {
                steps.push(match op.value() {
                    TraversalOperator::GetAttr(id) => Step::Attr(id.as_str().to_owned()),
                    TraversalOperator::Index(EditExpr::String(s)) => {
                        Step::Key(InstanceKey::Str(s.value().clone()))
                    }
                    TraversalOperator::Index(EditExpr::Number(n)) => {
                        Step::Key(InstanceKey::Int(n.value().as_i64()?))
                    }
                    TraversalOperator::LegacyIndex(u) => {
                        Step::Key(InstanceKey::Int(i64::try_from(*u.value()).ok()?))
                    }
                    _ => return None,
                });
            }
            Some((root, steps))
        }
        _ => None,
    }
}

/// An import target whose instance key is an expression, `aws_iam_role.r[each.key]`: the
/// resource and the key expression. `None` for anything else.
pub(crate) fn dynamic_import_target(expr: &EditExpr) -> Option<(ResourceAddress, EditExpr)> {
    let EditExpr::Traversal(t) = expr else {
        return None;
    };
    let EditExpr::Variable(root) = &t.expr else {
        return None;
    };
    if matches!(
        root.as_str(),
        "data" | "var" | "local" | "path" | "terraform" | "count" | "each" | "self" | "module"
    ) {
        return None;
    }
    match t
        .operators
        .iter()
        .map(|op| op.value())
        .collect::<Vec<_>>()
        .as_slice()
    {
        [TraversalOperator::GetAttr(name), TraversalOperator::Index(key)] => Some((
            ResourceAddress::managed(root.as_str(), name.as_str()),
            key.clone(),
        )),
        _ => None,
    }
}

/// `aws_iam_role.r`, `data.aws_iam_role.r`, optionally with an instance key.
pub(crate) fn traversal_address(expr: &EditExpr) -> Option<InstanceAddress> {
    let (root, steps) = static_traversal(expr)?;
    let attr = |s: Option<&Step>| match s {
        Some(Step::Attr(a)) => Some(a.clone()),
        _ => None,
    };
    let (resource, rest) = if root == "data" {
        (
            ResourceAddress::data(attr(steps.first())?, attr(steps.get(1))?),
            &steps[2..],
        )
    } else {
        (
            ResourceAddress::managed(root, attr(steps.first())?),
            &steps[1..],
        )
    };
    match rest {
        [] => Some(InstanceAddress::single(resource)),
        [Step::Key(k)] => Some(resource.instance(k.clone())),
        _ => None,
    }
}

/// The instance a principal reference names: `aws_iam_role.r`, `aws_iam_role.r["k"]`,
/// `aws_iam_role.r[0]`, with attributes after it (`.arn`, `.name`) ignored.
pub(crate) fn principal_address(expr: &EditExpr) -> Option<InstanceAddress> {
    let (root, steps) = static_traversal(expr)?;
    if matches!(
        root.as_str(),
        "data" | "var" | "local" | "path" | "terraform" | "count" | "each" | "self" | "module"
    ) {
        return None;
    }
    let Some(Step::Attr(name)) = steps.first() else {
        return None;
    };
    let resource = ResourceAddress::managed(root, name.clone());
    match steps.get(1) {
        Some(Step::Key(k)) => steps[2..]
            .iter()
            .all(|s| matches!(s, Step::Attr(_)))
            .then(|| resource.instance(k.clone())),
        _ => steps[1..]
            .iter()
            .all(|s| matches!(s, Step::Attr(_)))
            .then(|| InstanceAddress::single(resource)),
    }
}

/// The graph node a reference points at, if it is one (`count`, `each`, `path`, ... are not).
pub(crate) fn reference_node(reference: &Reference) -> Option<NodeId> {
    let first = reference.attrs.first();
    match reference.root.as_str() {
        "var" => first.map(|n| NodeId::Variable(n.clone())),
        "local" => first.map(|n| NodeId::Local(n.clone())),
        "data" => match (first, reference.attrs.get(1)) {
            (Some(t), Some(n)) => Some(NodeId::Resource(ResourceAddress::data(
                t.clone(),
                n.clone(),
            ))),
            _ => None,
        },
        "count" | "each" | "path" | "self" | "terraform" | "module" => None,
        root => first.map(|n| NodeId::Resource(ResourceAddress::managed(root, n.clone()))),
    }
}
