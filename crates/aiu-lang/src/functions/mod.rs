//! Terraform's function library: the call dispatcher (arity checks, `f(args...)` expansion,
//! unknown propagation, the lazy `try`/`can`) and the shared argument helpers. The functions
//! themselves are grouped by theme in the sibling modules.

use std::collections::BTreeMap;
use std::fmt::Display;

use aiu_model::Value;
use hcl::expr::FuncCall;

use crate::eval::{eval_expr, Scope};
use crate::util::{describe, did_you_mean, primitive_string};
use crate::{EvalContext, EvalError};

pub use encoding::json_encode;

mod collections;
mod conversion;
mod encoding;
mod filesystem;
mod format;
mod numeric;
mod strings;

/// Names of every supported function, sorted.
pub const FUNCTIONS: &[&str] = &[
    "abs",
    "abspath",
    "alltrue",
    "anytrue",
    "base64decode",
    "base64encode",
    "can",
    "ceil",
    "chomp",
    "coalesce",
    "coalescelist",
    "compact",
    "concat",
    "contains",
    "distinct",
    "element",
    "endswith",
    "file",
    "flatten",
    "floor",
    "format",
    "formatlist",
    "indent",
    "join",
    "jsondecode",
    "jsonencode",
    "keys",
    "length",
    "lookup",
    "lower",
    "max",
    "merge",
    "min",
    "one",
    "range",
    "regex",
    "regexall",
    "replace",
    "reverse",
    "setintersection",
    "setproduct",
    "setsubtract",
    "setunion",
    "slice",
    "sort",
    "split",
    "startswith",
    "strrev",
    "substr",
    "sum",
    "templatefile",
    "title",
    "tobool",
    "tolist",
    "tomap",
    "tonumber",
    "toset",
    "tostring",
    "trim",
    "trimprefix",
    "trimspace",
    "trimsuffix",
    "try",
    "upper",
    "values",
    "zipmap",
];

type Impl = fn(&Call, Vec<Value>) -> Result<Value, EvalError>;

/// One function: its parameter names (the last repeats for variadic functions), how many
/// arguments it takes, and its implementation.
struct Spec {
    name: &'static str,
    params: &'static [&'static str],
    min: usize,
    /// `None` for variadic functions.
    max: Option<usize>,
    run: Impl,
}

const fn fixed(name: &'static str, params: &'static [&'static str], run: Impl) -> Spec {
    ranged(name, params, params.len(), run)
}

const fn ranged(
    name: &'static str,
    params: &'static [&'static str],
    min: usize,
    run: Impl,
) -> Spec {
    Spec {
        name,
        params,
        min,
        max: Some(params.len()),
        run,
    }
}

const fn variadic(
    name: &'static str,
    params: &'static [&'static str],
    min: usize,
    run: Impl,
) -> Spec {
    Spec {
        name,
        params,
        min,
        max: None,
        run,
    }
}

/// The eager functions (`try` and `can` are handled before arguments are evaluated).
const SPECS: &[Spec] = &[
    fixed("abs", &["num"], numeric::abs),
    fixed("abspath", &["path"], filesystem::abspath),
    fixed("alltrue", &["list"], collections::alltrue),
    fixed("anytrue", &["list"], collections::anytrue),
    fixed("base64decode", &["str"], encoding::base64decode),
    fixed("base64encode", &["str"], encoding::base64encode),
    fixed("ceil", &["num"], numeric::ceil),
    fixed("chomp", &["str"], strings::chomp),
    variadic("coalesce", &["vals"], 1, collections::coalesce),
    variadic("coalescelist", &["vals"], 1, collections::coalescelist),
    fixed("compact", &["list"], collections::compact),
    variadic("concat", &["seqs"], 0, collections::concat),
    fixed("contains", &["list", "value"], collections::contains),
    fixed("distinct", &["list"], collections::distinct),
    fixed("element", &["list", "index"], collections::element),
    fixed("endswith", &["str", "suffix"], strings::endswith),
    fixed("file", &["path"], filesystem::file),
    fixed("flatten", &["list"], collections::flatten),
    fixed("floor", &["num"], numeric::floor),
    variadic("format", &["format", "args"], 1, format::format),
    variadic("formatlist", &["format", "args"], 1, format::formatlist),
    fixed("indent", &["spaces", "str"], strings::indent),
    variadic("join", &["separator", "lists"], 2, strings::join),
    fixed("jsondecode", &["str"], encoding::jsondecode),
    fixed("jsonencode", &["val"], encoding::jsonencode),
    fixed("keys", &["inputMap"], collections::keys),
    fixed("length", &["value"], collections::length),
    ranged(
        "lookup",
        &["inputMap", "key", "default"],
        2,
        collections::lookup,
    ),
    fixed("lower", &["str"], strings::lower),
    variadic("max", &["numbers"], 1, numeric::max),
    variadic("merge", &["maps"], 0, collections::merge),
    variadic("min", &["numbers"], 1, numeric::min),
    fixed("one", &["list"], collections::one),
    ranged("range", &["start", "limit", "step"], 1, collections::range),
    fixed("regex", &["pattern", "string"], strings::regex),
    fixed("regexall", &["pattern", "string"], strings::regexall),
    fixed("replace", &["str", "substr", "replace"], strings::replace),
    fixed("reverse", &["list"], collections::reverse),
    variadic(
        "setintersection",
        &["sets"],
        1,
        collections::setintersection,
    ),
    variadic("setproduct", &["sets"], 1, collections::setproduct),
    fixed("setsubtract", &["a", "b"], collections::setsubtract),
    variadic("setunion", &["sets"], 1, collections::setunion),
    fixed(
        "slice",
        &["list", "start_index", "end_index"],
        collections::slice,
    ),
    fixed("sort", &["list"], collections::sort),
    fixed("split", &["separator", "str"], strings::split),
    fixed("startswith", &["str", "prefix"], strings::startswith),
    fixed("strrev", &["str"], strings::strrev),
    fixed("substr", &["str", "offset", "length"], strings::substr),
    fixed("sum", &["list"], numeric::sum),
    fixed("templatefile", &["path", "vars"], filesystem::templatefile),
    fixed("title", &["str"], strings::title),
    fixed("tobool", &["v"], conversion::tobool),
    fixed("tolist", &["v"], conversion::tolist),
    fixed("tomap", &["v"], conversion::tomap),
    fixed("tonumber", &["v"], conversion::tonumber),
    fixed("toset", &["v"], conversion::toset),
    fixed("tostring", &["v"], conversion::tostring),
    fixed("trim", &["str", "cutset"], strings::trim),
    fixed("trimprefix", &["str", "prefix"], strings::trimprefix),
    fixed("trimspace", &["str"], strings::trimspace),
    fixed("trimsuffix", &["str", "suffix"], strings::trimsuffix),
    fixed("upper", &["str"], strings::upper),
    fixed("values", &["mapping"], collections::values),
    fixed("zipmap", &["keys", "values"], collections::zipmap),
];

/// Evaluates a function call.
pub(crate) fn call(fc: &FuncCall, scope: &Scope) -> Result<Value, EvalError> {
    let name = fc.name.name.as_str();
    if fc.name.is_namespaced() || !FUNCTIONS.contains(&name) {
        let full: Vec<&str> = fc
            .name
            .namespace
            .iter()
            .map(|n| n.as_str())
            .chain([name])
            .collect();
        return Err(unknown_function(&full.join("::")));
    }
    match name {
        "try" => return eval_try(fc, scope),
        "can" => return eval_can(fc, scope),
        _ => {}
    }
    let Some(spec) = SPECS.iter().find(|s| s.name == name) else {
        return Err(unknown_function(name));
    };
    let Some(args) = eval_args(fc, scope)? else {
        return Ok(Value::Unknown);
    };
    let call = Call {
        name: spec.name,
        params: spec.params,
        ctx: scope.ctx,
    };
    check_arity(spec, args.len())?;
    if args.iter().any(Value::is_unknown) {
        return Ok(Value::Unknown);
    }
    (spec.run)(&call, args)
}

/// Evaluates the arguments, expanding a final `list...`. `Ok(None)` when the expanded list is
/// unknown (so the argument count is unknown).
fn eval_args(fc: &FuncCall, scope: &Scope) -> Result<Option<Vec<Value>>, EvalError> {
    let mut args = fc
        .args
        .iter()
        .map(|a| eval_expr(a, scope))
        .collect::<Result<Vec<_>, _>>()?;
    if fc.expand_final {
        match args.pop() {
            Some(Value::List(items)) => args.extend(items),
            Some(Value::Unknown) => return Ok(None),
            Some(other) => {
                return Err(EvalError::new(
                    "Invalid expanding argument value",
                    format!(
                        "The expanding argument (indicated by ...) must be a list, but it is {}.",
                        describe(&other)
                    ),
                ))
            }
            None => {}
        }
    }
    Ok(Some(args))
}

fn check_arity(spec: &Spec, given: usize) -> Result<(), EvalError> {
    let expectation = match spec.max {
        Some(max) if max == spec.min => format!("exactly {max}"),
        Some(max) => format!("{} to {max}", spec.min),
        None => format!("at least {}", spec.min),
    };
    let plural_args = if spec.max == Some(1) {
        "argument"
    } else {
        "arguments"
    };
    let usage = format!("{}({})", spec.name, spec.params.join(", "));
    if given < spec.min {
        return Err(EvalError::new(
            "Not enough function arguments",
            format!("Function \"{}\" expects {expectation} {plural_args}, but {given} {} given. Usage: {usage}.", spec.name, was(given)),
        ));
    }
    if spec.max.is_some_and(|max| given > max) {
        return Err(EvalError::new(
            "Too many function arguments",
            format!("Function \"{}\" expects {expectation} {plural_args}, but {given} {} given. Usage: {usage}.", spec.name, was(given)),
        ));
    }
    Ok(())
}

fn was(n: usize) -> &'static str {
    if n == 1 {
        "was"
    } else {
        "were"
    }
}

fn unknown_function(name: &str) -> EvalError {
    let hint = did_you_mean(name, FUNCTIONS.iter().copied());
    EvalError::new(
        "Call to unknown function",
        format!(
            "There is no function named \"{name}\".{hint} Supported functions are: {}.",
            FUNCTIONS.join(", ")
        ),
    )
}

/// `try(a, b, ...)`: the first argument that evaluates without an error. Arguments are
/// evaluated lazily, in order. A result that is not yet wholly known makes the result unknown,
/// because it might still fail once known.
fn eval_try(fc: &FuncCall, scope: &Scope) -> Result<Value, EvalError> {
    if fc.args.is_empty() {
        return Err(EvalError::new(
            "Not enough function arguments",
            "Function \"try\" expects at least 1 argument, but 0 were given. Usage: try(expr, fallback...).",
        ));
    }
    let mut failures = Vec::new();
    for arg in &fc.args {
        match eval_expr(arg, scope) {
            Ok(value) if value.contains_unknown() => return Ok(Value::Unknown),
            Ok(value) => return Ok(value),
            Err(e) => failures.push(format!("- {}: {}", e.summary, e.detail)),
        }
    }
    Err(EvalError::new(
        "No expression succeeded",
        format!(
            "Every argument of try() failed. Add a fallback value as the last argument, e.g. try(expr, null). The errors were:\n{}",
            failures.join("\n")
        ),
    ))
}

/// `can(expr)`: whether the argument evaluates without an error (lazily evaluated).
fn eval_can(fc: &FuncCall, scope: &Scope) -> Result<Value, EvalError> {
    let [arg] = fc.args.as_slice() else {
        let summary = if fc.args.is_empty() {
            "Not enough function arguments"
        } else {
            "Too many function arguments"
        };
        return Err(EvalError::new(
            summary,
            format!(
                "Function \"can\" expects exactly 1 argument, but {} {} given. Usage: can(expr).",
                fc.args.len(),
                was(fc.args.len())
            ),
        ));
    };
    match eval_expr(arg, scope) {
        Ok(value) if value.contains_unknown() => Ok(Value::Unknown),
        Ok(_) => Ok(Value::Bool(true)),
        Err(_) => Ok(Value::Bool(false)),
    }
}

/// The function being called, for argument checks and error messages.
pub(crate) struct Call<'a> {
    pub(crate) name: &'static str,
    params: &'static [&'static str],
    pub(crate) ctx: &'a EvalContext,
}

impl Call<'_> {
    /// The name of parameter `index` (variadic parameters repeat the last name).
    pub(crate) fn param(&self, index: usize) -> &'static str {
        self.params
            .get(index)
            .or(self.params.last())
            .copied()
            .unwrap_or("argument")
    }

    /// "Invalid value for "list" parameter of join(): ..."
    pub(crate) fn arg_error(&self, index: usize, message: impl Display) -> EvalError {
        EvalError::new(
            "Invalid function argument",
            format!(
                "Invalid value for \"{}\" parameter of function {}: {message}",
                self.param(index),
                self.name
            ),
        )
    }

    /// A general failure of the function, not tied to one argument.
    pub(crate) fn error(&self, message: impl Display) -> EvalError {
        EvalError::new(
            "Error in function call",
            format!("Call to function \"{}\" failed: {message}", self.name),
        )
    }

    fn required(&self, index: usize, what: &str, got: &Value) -> EvalError {
        self.arg_error(index, format!("{what} is required, got {}.", describe(got)))
    }

    /// A string argument; numbers and bools convert like in Terraform.
    pub(crate) fn string(&self, index: usize, value: &Value) -> Result<String, EvalError> {
        primitive_string(value).ok_or_else(|| self.required(index, "a string", value))
    }

    /// A number argument; numeric strings convert.
    pub(crate) fn number(&self, index: usize, value: &Value) -> Result<f64, EvalError> {
        match value {
            Value::Number(n) => Ok(*n),
            Value::String(s) => match s.trim().parse::<f64>() {
                Ok(n) if n.is_finite() => Ok(n),
                _ => Err(self.required(index, "a number", value)),
            },
            other => Err(self.required(index, "a number", other)),
        }
    }

    /// A whole-number argument.
    pub(crate) fn integer(&self, index: usize, value: &Value) -> Result<i64, EvalError> {
        let n = self.number(index, value)?;
        crate::util::as_integer(n)
            .ok_or_else(|| self.arg_error(index, format!("a whole number is required, got {n}.")))
    }

    /// A bool argument; "true"/"false" convert.
    pub(crate) fn boolean(&self, index: usize, value: &Value) -> Result<bool, EvalError> {
        match value {
            Value::Bool(b) => Ok(*b),
            Value::String(s) if s == "true" => Ok(true),
            Value::String(s) if s == "false" => Ok(false),
            other => Err(self.required(index, "a bool", other)),
        }
    }

    /// A list (or set, or tuple) argument.
    pub(crate) fn list<'v>(
        &self,
        index: usize,
        value: &'v Value,
    ) -> Result<&'v [Value], EvalError> {
        value
            .as_list()
            .ok_or_else(|| self.required(index, "a list", value))
    }

    /// A map (or object) argument.
    pub(crate) fn map<'v>(
        &self,
        index: usize,
        value: &'v Value,
    ) -> Result<&'v BTreeMap<String, Value>, EvalError> {
        value
            .as_object()
            .ok_or_else(|| self.required(index, "a map", value))
    }
}

/// Takes the arguments of a fixed-arity function as an array (arity is checked before).
pub(crate) fn take<const N: usize>(call: &Call, args: Vec<Value>) -> Result<[Value; N], EvalError> {
    args.try_into()
        .map_err(|_: Vec<Value>| call.error(format!("expected {N} arguments.")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{err_str, err_with, eval_str, eval_with, obj};

    #[test]
    fn functions_is_sorted_unique_and_matches_the_implementations() {
        let mut sorted = FUNCTIONS.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted, FUNCTIONS);
        let mut implemented: Vec<&str> =
            SPECS.iter().map(|s| s.name).chain(["try", "can"]).collect();
        implemented.sort_unstable();
        assert_eq!(implemented, FUNCTIONS);
    }

    #[test]
    fn unknown_functions_suggest_the_closest_name_and_list_all() {
        let e = err_str("jsonencod({})");
        assert_eq!(e.summary, "Call to unknown function");
        assert!(e.detail.contains("\"jsonencod\""), "{}", e.detail);
        assert!(
            e.detail.contains("Did you mean \"jsonencode\"?"),
            "{}",
            e.detail
        );
        assert!(e.detail.contains("abs, abspath, alltrue"), "{}", e.detail);
        assert!(!err_str("frobnicate(1)").detail.contains("Did you mean"));
    }

    #[test]
    fn wrong_arity_names_the_function_and_its_usage() {
        let e = err_str("upper()");
        assert_eq!(e.summary, "Not enough function arguments");
        assert!(
            e.detail
                .contains("\"upper\" expects exactly 1 argument, but 0 were given"),
            "{}",
            e.detail
        );
        let e = err_str("lookup({}, \"a\", 1, 2)");
        assert_eq!(e.summary, "Too many function arguments");
        assert!(
            e.detail.contains("lookup(inputMap, key, default)"),
            "{}",
            e.detail
        );
    }

    #[test]
    fn wrong_argument_types_name_the_function_and_parameter() {
        let e = err_str("keys(\"abc\")");
        assert_eq!(e.summary, "Invalid function argument");
        assert!(
            e.detail.contains("\"inputMap\" parameter of function keys"),
            "{}",
            e.detail
        );
        assert!(
            e.detail.contains("a map is required, got string \"abc\""),
            "{}",
            e.detail
        );
    }

    #[test]
    fn a_final_ellipsis_expands_a_list_into_arguments() {
        assert_eq!(eval_str("min([3, 1, 2]...)"), Value::from(1i64));
        let root = [("u", obj([("x", Value::Unknown)]))];
        assert_eq!(eval_with("min(u.x...)", root), Value::Unknown);
    }

    #[test]
    fn unknown_arguments_make_unknown_results() {
        let root = [("u", obj([("x", Value::Unknown)]))];
        assert_eq!(eval_with("upper(u.x)", root.clone()), Value::Unknown);
        assert_eq!(
            eval_with("join(\",\", [\"a\", u.x])", root.clone()),
            Value::Unknown
        );
        assert_eq!(eval_with("length([u.x, 1])", root), Value::from(2i64));
    }

    #[test]
    fn try_returns_the_first_argument_that_succeeds_without_evaluating_the_rest() {
        let root = [("var", obj([("m", obj([("a", Value::from("x"))]))]))];
        assert_eq!(
            eval_with("try(var.m.b, var.m.a, nosuchfn())", root.clone()),
            Value::from("x")
        );
        assert_eq!(
            eval_with("try(var.m.a, nosuchfn())", root.clone()),
            Value::from("x")
        );
        let e = err_with("try(var.m.b, var.m.c)", root);
        assert_eq!(e.summary, "No expression succeeded");
        assert!(e.detail.contains("\"b\""), "{}", e.detail);
    }

    #[test]
    fn try_and_can_are_unknown_when_the_result_is_not_yet_known() {
        let root = [("u", obj([("x", Value::Unknown)]))];
        assert_eq!(eval_with("try(u.x, \"d\")", root.clone()), Value::Unknown);
        assert_eq!(eval_with("can(u.x)", root), Value::Unknown);
    }

    #[test]
    fn can_reports_whether_its_argument_evaluates() {
        let root = [("var", obj([("m", obj([("a", Value::from("x"))]))]))];
        assert_eq!(eval_with("can(var.m.a)", root.clone()), Value::Bool(true));
        assert_eq!(eval_with("can(var.m.b)", root.clone()), Value::Bool(false));
        assert_eq!(eval_with("can(regexnope(\"x\"))", root), Value::Bool(false));
        assert_eq!(err_str("can()").summary, "Not enough function arguments");
    }
}

#[cfg(test)]
mod robustness {
    use crate::test_support::{ctx, parse};

    #[test]
    fn odd_inputs_give_errors_or_values_never_panics() {
        let inputs = [
            "format(\"%\")",
            "format(\"%[0]s\", 1)",
            "format(\"%[9]s\", 1)",
            "format(\"%99999s\", 1)",
            "format(\"%z\", 1)",
            "substr(\"abc\", 1e300, 1)",
            "substr(\"\", 0, 0)",
            "range(1e300)",
            "range(0, 1, -1)",
            "element([1], 1e15)",
            "indent(-1, \"a\")",
            "\"%{for x in 5}%{endfor}\"",
            "slice([], 0, 0)",
            "split(\"\", \"ab\")",
            "base64decode(\"a\")",
            "base64decode(\"====\")",
            "replace(\"a\", \"/\", \"b\")",
            "zipmap([null], [1])",
            "lookup({}, null, 1)",
            "jsondecode(\"1e999\")",
            "tonumber(\"1e999\")",
            "abs(-0)",
            "[1][1e300]",
            "setproduct(range(1000), range(1000), range(1000))",
            // 2^64 combinations: the size overflows usize before any limit check.
            &format!("setproduct({})", vec!["[\"a\", \"b\"]"; 64].join(", ")),
            "regex(\"(\", \"a\")",
            "keys(null)",
            "merge()",
        ];
        for text in inputs {
            let _ = crate::eval(&parse(text), &ctx([]));
        }
    }
}
