//! HCL expression evaluation with unknown values, Terraform's function library, type
//! constraints, and reference extraction.
//!
//! Architecture invariant: this crate evaluates expressions against a context of plain values;
//! it knows nothing about files, blocks, resources or state. Spans are attached by callers.
//!
//! Module map:
//! - [`eval`](crate::eval()) lives in `eval.rs` (expressions, traversals, splats, `for`),
//!   with operators in `operators.rs` and string templates in `template.rs`;
//! - the function library is under `functions/` (`FUNCTIONS` lists it);
//! - `types.rs` holds type constraints and conversions, `references.rs` reference extraction;
//! - `util.rs` has value helpers shared by all of them (ordering, string forms, suggestions).

use std::collections::BTreeMap;
use std::path::PathBuf;

pub use aiu_model::Value;

mod eval;
mod functions;
mod operators;
mod references;
mod template;
mod types;
mod util;

#[cfg(test)]
mod test_support;

pub use functions::{json_encode, FUNCTIONS};

/// The names visible to an expression: `var`, `local`, `data`, resource type names, `path`,
/// `count`, `each`, `self`... each mapped to its value (usually an object).
#[derive(Clone, Debug, Default)]
pub struct EvalContext {
    pub root: BTreeMap<String, Value>,
    /// Directory that relative paths in `file()`/`templatefile()`/`abspath()` resolve against.
    pub base_dir: PathBuf,
}

/// Why an expression could not be evaluated. `summary` is short and fixed ("Unsupported
/// attribute"); `detail` explains and suggests a fix.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{summary}: {detail}")]
pub struct EvalError {
    pub summary: String,
    pub detail: String,
}

impl EvalError {
    /// Builds an error from a fixed summary and an explaining detail.
    pub fn new(summary: impl Into<String>, detail: impl Into<String>) -> EvalError {
        EvalError {
            summary: summary.into(),
            detail: detail.into(),
        }
    }
}

/// A reference found in an expression: `aws_iam_role.x.arn` is root `aws_iam_role` with attrs
/// `["x", "arn"]`; `var.name` is root `var`, attrs `["name"]`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Reference {
    pub root: String,
    pub attrs: Vec<String>,
}

/// A variable's `type` constraint.
#[derive(Clone, Debug, PartialEq)]
pub enum TypeConstraint {
    Any,
    String,
    Number,
    Bool,
    List(Box<TypeConstraint>),
    Set(Box<TypeConstraint>),
    Map(Box<TypeConstraint>),
    Tuple(Vec<TypeConstraint>),
    /// Attributes with their type and, for `optional(T, default)`, whether optional and default.
    Object(BTreeMap<String, ObjectAttr>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct ObjectAttr {
    pub ty: TypeConstraint,
    pub optional: bool,
    pub default: Option<Value>,
}

/// Evaluates an expression. Unknown operands make the result unknown instead of failing.
pub fn eval(expr: &hcl::Expression, ctx: &EvalContext) -> Result<Value, EvalError> {
    eval::eval_root(expr, ctx)
}

/// Evaluates a template string (the contents of a template file, or of a quoted string
/// without its quotes) against a context.
pub fn eval_template_str(template: &str, ctx: &EvalContext) -> Result<Value, EvalError> {
    template::eval_template_str(template, ctx)
}

/// Every reference in an expression, skipping names bound by `for` expressions.
/// Deduplicated and sorted.
pub fn references(expr: &hcl::Expression) -> Vec<Reference> {
    references::references(expr)
}

/// Parses a `type = ...` expression.
pub fn parse_type(expr: &hcl::Expression) -> Result<TypeConstraint, String> {
    types::parse_type(expr)
}

/// Converts a value to a type constraint the way Terraform does ("3600" -> 3600 for number,
/// a list to a set, missing optional object attributes filled with defaults).
pub fn convert(value: Value, ty: &TypeConstraint) -> Result<Value, String> {
    types::convert(value, ty)
}
