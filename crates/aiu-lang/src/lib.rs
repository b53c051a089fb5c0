//! HCL expression evaluation with unknown values, Terraform's function library, type
//! constraints, and reference extraction.
//!
//! Architecture invariant: this crate evaluates expressions against a context of plain values;
//! it knows nothing about files, blocks, resources or state. Spans are attached by callers.

use std::collections::BTreeMap;
use std::path::PathBuf;

pub use aiu_model::Value;

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

/// Evaluates an expression.
pub fn eval(_expr: &hcl::Expression, _ctx: &EvalContext) -> Result<Value, EvalError> {
    Err(EvalError { summary: "Not implemented".into(), detail: "aiu-lang is being written".into() })
}

/// Every reference in an expression, skipping names bound by `for` expressions.
pub fn references(_expr: &hcl::Expression) -> Vec<Reference> {
    Vec::new()
}

/// Parses a `type = ...` expression.
pub fn parse_type(_expr: &hcl::Expression) -> Result<TypeConstraint, String> {
    Ok(TypeConstraint::Any)
}

/// Converts a value to a type constraint the way Terraform does ("3600" -> 3600 for number,
/// a list to a set, missing optional object attributes filled with defaults).
pub fn convert(value: Value, _ty: &TypeConstraint) -> Result<Value, String> {
    Ok(value)
}

/// Names of every supported function, sorted.
pub const FUNCTIONS: &[&str] = &[];
