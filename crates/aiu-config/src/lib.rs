//! Loads a directory of HCL files into a checked, span-carrying configuration.
//!
//! - [`load_dir`] reads `*.tf` / `*.hcl`, keeps every expression with its [`Span`], and runs the
//!   load-time checks (schemas, duplicates, meta-arguments, undeclared references).
//! - [`Config::dependencies`] gives the graph edges of a node.
//! - [`resolve_variables`], [`evaluate_body`] and [`expand_instances`] are the evaluation helpers
//!   the planner calls while walking the graph.
//!
//! Architecture invariant: nothing here panics on user input; every problem is a
//! [`Diagnostic`] and loading continues so one run reports all of them.

mod eval;
mod load;
mod model;
mod refs;
mod span;
mod suggest;
mod variables;

use std::collections::BTreeMap;

pub use aiu_lang::{EvalContext, TypeConstraint};
pub use aiu_model::{Diagnostic, Diagnostics, Span, Value};
pub use eval::{
    convert_to_attr_type, evaluate_body, expand_instances, import_for_each, EachOrCount, ImportEach,
};
pub use load::load_dir;
pub use model::*;
pub use span::SourceFiles;
pub use variables::{resolve_variables, VarInputs, ENV_PREFIX, TF_ENV_PREFIX};

impl Config {
    /// Every expression that belongs to a node (for references).
    fn node_exprs(&self, node: &NodeId) -> (Vec<&Expr>, Vec<NodeId>, Vec<String>) {
        let mut exprs = Vec::new();
        let mut explicit = Vec::new();
        let mut bound = Vec::new();
        match node {
            NodeId::Variable(n) => {
                if let Some(v) = self.variable(n) {
                    exprs.extend(v.default.iter());
                    for val in &v.validations {
                        exprs.push(&val.condition);
                        exprs.push(&val.error_message);
                    }
                }
            }
            NodeId::Local(n) => exprs.extend(self.local(n).map(|l| &l.expr)),
            NodeId::Output(n) => {
                if let Some(o) = self.output(n) {
                    exprs.push(&o.value);
                    explicit.extend(o.depends_on.iter().map(|(d, _)| d.clone()));
                }
            }
            NodeId::Resource(a) => {
                if let Some(r) = self.resource(a) {
                    exprs.extend(r.count.iter());
                    exprs.extend(r.for_each.iter());
                    collect_body(&r.body, &mut exprs, &mut bound);
                    explicit.extend(r.depends_on.iter().map(|(d, _)| d.clone()));
                }
                // Import blocks into this resource are evaluated with it.
                for import in self.imports.iter().filter(|i| &i.to.resource == a) {
                    exprs.push(&import.id);
                    exprs.extend(import.to_key.iter());
                    exprs.extend(import.for_each.iter());
                }
            }
        }
        (exprs, explicit, bound)
    }

    /// The nodes `node` depends on: every declared variable, local, resource or data source its
    /// expressions reference, plus `depends_on`. Sorted, without duplicates, never itself.
    pub fn dependencies(&self, node: &NodeId) -> Vec<NodeId> {
        let (exprs, mut deps, bound) = self.node_exprs(node);
        for e in exprs {
            for r in aiu_lang::references(&e.expr) {
                if bound.contains(&r.root) {
                    continue;
                }
                if let Some(n) = refs::reference_node(&r) {
                    deps.push(n);
                }
            }
        }
        deps.retain(|d| d != node && self.contains(d));
        deps.sort();
        deps.dedup();
        deps
    }

    /// A base evaluation context: `var`, `path.module` / `path.root` / `path.cwd`,
    /// `terraform.workspace`, and the directory for `file()`. The planner adds `local`, `data`
    /// and resource values.
    pub fn eval_context(&self, vars: &BTreeMap<String, Value>) -> EvalContext {
        let dir = self.dir.display().to_string();
        let cwd = std::env::current_dir()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| ".".into());
        let mut root = BTreeMap::new();
        root.insert("var".to_owned(), Value::Object(vars.clone()));
        root.insert(
            "path".to_owned(),
            Value::object([
                ("module", Value::from(dir.as_str())),
                ("root", Value::from(dir.as_str())),
                ("cwd", Value::from(cwd)),
            ]),
        );
        root.insert(
            "terraform".to_owned(),
            Value::object([("workspace", Value::from("default"))]),
        );
        EvalContext {
            root,
            base_dir: self.dir.clone(),
        }
    }
}

fn collect_body<'a>(body: &'a Body, exprs: &mut Vec<&'a Expr>, bound: &mut Vec<String>) {
    exprs.extend(body.attributes.values());
    for b in &body.blocks {
        collect_body(&b.body, exprs, bound);
    }
    for d in &body.dynamic_blocks {
        exprs.push(&d.for_each);
        bound.push(d.iterator.clone());
        collect_body(&d.content, exprs, bound);
    }
}
