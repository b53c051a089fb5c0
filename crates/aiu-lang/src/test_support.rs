//! Helpers for the unit tests: parse an expression from source text and evaluate it.

use std::collections::BTreeMap;

use aiu_model::Value;

use crate::{eval, EvalContext, EvalError};

/// Parses `text` as one HCL expression; panics (test only) when it does not parse.
pub(crate) fn parse(text: &str) -> hcl::Expression {
    let body: hcl::Body = hcl::from_str(&format!("x = {text}\n")).expect("test expression parses");
    body.attributes()
        .next()
        .expect("one attribute")
        .expr()
        .clone()
}

/// An object value from pairs.
pub(crate) fn obj<const N: usize>(entries: [(&str, Value); N]) -> Value {
    Value::object(entries)
}

/// A list of strings.
pub(crate) fn strs(items: &[&str]) -> Value {
    Value::List(items.iter().map(|s| Value::from(*s)).collect())
}

/// A context whose root holds `entries`.
pub(crate) fn ctx<const N: usize>(entries: [(&str, Value); N]) -> EvalContext {
    EvalContext {
        root: entries
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect::<BTreeMap<_, _>>(),
        base_dir: std::env::temp_dir(),
    }
}

/// Evaluates an expression with an empty context, panicking on error.
pub(crate) fn eval_str(text: &str) -> Value {
    eval(&parse(text), &ctx([])).unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// Evaluates an expression with the given root names, panicking on error.
pub(crate) fn eval_with<const N: usize>(text: &str, root: [(&str, Value); N]) -> Value {
    eval(&parse(text), &ctx(root)).unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// Evaluates an expression that must fail, returning the error.
pub(crate) fn err_str(text: &str) -> EvalError {
    match eval(&parse(text), &ctx([])) {
        Ok(v) => panic!("{text}: expected an error, got {v}"),
        Err(e) => e,
    }
}

/// Like [`err_str`] with root names.
pub(crate) fn err_with<const N: usize>(text: &str, root: [(&str, Value); N]) -> EvalError {
    match eval(&parse(text), &ctx(root)) {
        Ok(v) => panic!("{text}: expected an error, got {v}"),
        Err(e) => e,
    }
}
