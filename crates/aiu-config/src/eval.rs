//! Evaluation helpers for the planner: a block body against its schema (with `dynamic`
//! blocks expanded) and the instances of a resource with `count` or `for_each`.

use std::collections::BTreeMap;

use aiu_lang::EvalContext;
use aiu_model::value::format_number;
use aiu_model::{
    AttrType, AttributeSchema, BlockSchema, DefaultValue, Diagnostic, Diagnostics, InstanceKey,
    Presence, Value,
};

use crate::model::{Body, DynamicBlock, Expr, ResourceBlock};

/// The per-instance values of `count.index` or `each.key` / `each.value`.
#[derive(Clone, Debug, PartialEq)]
pub enum EachOrCount {
    Count(i64),
    Each { key: String, value: Value },
}

impl EachOrCount {
    /// Binds `count` or `each` in an evaluation context (a clone of the resource's context).
    pub fn bind(&self, ctx: &mut EvalContext) {
        match self {
            EachOrCount::Count(i) => {
                ctx.root
                    .insert("count".into(), Value::object([("index", Value::from(*i))]));
            }
            EachOrCount::Each { key, value } => {
                ctx.root.insert(
                    "each".into(),
                    Value::object([("key", Value::from(key.as_str())), ("value", value.clone())]),
                );
            }
        }
    }
}

fn at(d: Diagnostic, e: &Expr) -> Diagnostic {
    d.with_span(Some(e.span.clone()))
}

#[allow(clippy::result_large_err)]
fn eval(e: &Expr, ctx: &EvalContext) -> Result<Value, Diagnostic> {
    aiu_lang::eval(&e.expr, ctx).map_err(|err| at(Diagnostic::error(err.summary, err.detail), e))
}

fn default_value(d: DefaultValue) -> Value {
    match d {
        DefaultValue::Str(s) => Value::from(s),
        DefaultValue::Num(n) => Value::Number(n),
        DefaultValue::Bool(b) => Value::Bool(b),
    }
}

fn to_string_value(v: Value) -> Result<Value, String> {
    match v {
        Value::String(_) | Value::Unknown | Value::Null => Ok(v),
        Value::Number(n) => Ok(Value::String(format_number(n))),
        Value::Bool(b) => Ok(Value::String(b.to_string())),
        other => Err(format!("got {}", other.type_name())),
    }
}

fn string_elements(items: Vec<Value>) -> Result<Vec<Value>, String> {
    items
        .into_iter()
        .map(|item| match item {
            Value::Null => Err("an element is null".to_owned()),
            item => to_string_value(item).map_err(|e| format!("an element is not a string ({e})")),
        })
        .collect()
}

/// Converts a value to an attribute type of the schema. Unknown values pass through.
pub fn convert_to_attr_type(v: Value, ty: AttrType) -> Result<Value, String> {
    if v.is_unknown() || v.is_null() {
        return Ok(v);
    }
    match ty {
        AttrType::String | AttrType::PolicyJson => to_string_value(v),
        AttrType::Number => match v {
            Value::Number(_) => Ok(v),
            Value::String(s) => s
                .trim()
                .parse::<f64>()
                .map(Value::Number)
                .map_err(|_| format!("\"{s}\" is not a number")),
            other => Err(format!("got {}", other.type_name())),
        },
        AttrType::Bool => match v {
            Value::Bool(_) => Ok(v),
            Value::String(s) if s == "true" || s == "false" => Ok(Value::Bool(s == "true")),
            Value::String(s) => Err(format!("\"{s}\" is not true or false")),
            other => Err(format!("got {}", other.type_name())),
        },
        AttrType::ListOfString => match v {
            Value::List(items) => string_elements(items).map(Value::List),
            other => Err(format!("got {}", other.type_name())),
        },
        AttrType::SetOfString => match v {
            Value::List(items) => {
                let mut items = string_elements(items)?;
                if !items.iter().any(Value::is_unknown) {
                    items.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
                    items.dedup();
                }
                Ok(Value::List(items))
            }
            other => Err(format!("got {}", other.type_name())),
        },
        AttrType::MapOfString => match v {
            Value::Object(map) => map
                .into_iter()
                .map(|(k, v)| match v {
                    Value::Null => Err(format!("the element \"{k}\" is null")),
                    v => to_string_value(v)
                        .map(|v| (k.clone(), v))
                        .map_err(|e| format!("the element \"{k}\" is not a string ({e})")),
                })
                .collect::<Result<BTreeMap<_, _>, _>>()
                .map(Value::Object),
            other => Err(format!("got {}", other.type_name())),
        },
    }
}

/// Evaluates a body against a schema: every configurable attribute (converted to its type,
/// defaults filled, absent ones `Null`; computed ones left out) and every nested block type as
/// a `List` of objects (possibly empty), `dynamic` blocks expanded in place.
pub fn evaluate_body(
    body: &Body,
    schema_attrs: &[AttributeSchema],
    schema_blocks: &[BlockSchema],
    ctx: &EvalContext,
) -> (Value, Diagnostics) {
    let mut diags = Diagnostics::new();
    let mut out = BTreeMap::new();
    for a in schema_attrs {
        if a.presence == Presence::Computed {
            continue;
        }
        let mut value = Value::Null;
        if let Some(e) = body.attributes.get(a.name) {
            match eval(e, ctx) {
                Ok(v) => match convert_to_attr_type(v, a.ty) {
                    Ok(v) => value = v,
                    Err(why) => diags.push(at(
                        Diagnostic::error(
                            "Incorrect attribute value type",
                            format!(
                                "Inappropriate value for attribute \"{}\": {} required, {why}.",
                                a.name,
                                a.ty.describe()
                            ),
                        ),
                        e,
                    )),
                },
                Err(d) => diags.push(d),
            }
            if value.is_null() && a.presence == Presence::Required && !diags.has_errors() {
                diags.push(at(
                    Diagnostic::error(
                        "Missing required argument",
                        format!(
                            "The argument \"{}\" is required, but its value is null.",
                            a.name
                        ),
                    ),
                    e,
                ));
            }
        }
        if value.is_null() {
            if let Some(d) = a.default {
                value = default_value(d);
            }
        }
        out.insert(a.name.to_owned(), value);
    }
    for b in schema_blocks {
        let mut items = Vec::new();
        let mut unknown = false;
        for i in 0..=body.blocks.len() {
            for d in body
                .dynamic_blocks
                .iter()
                .filter(|d| d.position == i && d.name == b.name)
            {
                match expand_dynamic(d, b, ctx, &mut diags) {
                    Some(generated) => items.extend(generated),
                    None => unknown = true,
                }
            }
            if let Some(nb) = body.blocks.get(i).filter(|nb| nb.name == b.name) {
                let (v, d) = evaluate_body(&nb.body, b.attributes, b.blocks, ctx);
                diags.extend(d);
                items.push(v);
            }
        }
        out.insert(
            b.name.to_owned(),
            if unknown {
                Value::Unknown
            } else {
                Value::List(items)
            },
        );
    }
    (Value::Object(out), diags)
}

/// The blocks generated by a `dynamic` block; `None` when its for_each is unknown.
fn expand_dynamic(
    d: &DynamicBlock,
    schema: &BlockSchema,
    ctx: &EvalContext,
    diags: &mut Diagnostics,
) -> Option<Vec<Value>> {
    let collection = match eval(&d.for_each, ctx) {
        Ok(v) => v,
        Err(e) => {
            diags.push(e);
            return Some(Vec::new());
        }
    };
    let pairs: Vec<(Value, Value)> = match collection {
        Value::Unknown => return None,
        Value::List(items) => items
            .into_iter()
            .enumerate()
            .map(|(i, v)| (Value::from(i as i64), v))
            .collect(),
        Value::Object(map) => map
            .into_iter()
            .map(|(k, v)| (Value::String(k), v))
            .collect(),
        other => {
            diags.push(at(
                Diagnostic::error(
                    "Invalid dynamic for_each value",
                    format!(
                        "Cannot use a {} value in for_each. A list, set or map is required.",
                        other.type_name()
                    ),
                ),
                &d.for_each,
            ));
            return Some(Vec::new());
        }
    };
    let mut out = Vec::new();
    for (key, value) in pairs {
        let mut child = ctx.clone();
        child.root.insert(
            d.iterator.clone(),
            Value::object([("key", key), ("value", value)]),
        );
        let (v, more) = evaluate_body(&d.content, schema.attributes, schema.blocks, &child);
        diags.extend(more);
        out.push(v);
    }
    Some(out)
}

/// The most instances one resource's `count` may ask for: far above any IAM account quota,
/// low enough that a wrong expression is an error instead of running out of memory.
pub const MAX_COUNT: i64 = 100_000;

/// Functions whose result is a list or tuple, never a set.
const LIST_FUNCTIONS: &[&str] = &[
    "concat",
    "split",
    "keys",
    "values",
    "tolist",
    "flatten",
    "range",
    "sort",
    "slice",
    "reverse",
    "compact",
    "distinct",
    "chunklist",
    "formatlist",
    "regexall",
    "list",
];

/// Whether an expression syntactically produces a list or tuple (Terraform rejects those in
/// `for_each`; values carry no set/list distinction here, so this looks at the expression).
fn produces_list(e: &hcl::Expression) -> bool {
    match e {
        hcl::Expression::Array(_) => true,
        hcl::Expression::ForExpr(f) => f.key_expr.is_none(),
        hcl::Expression::Parenthesis(inner) => produces_list(inner),
        hcl::Expression::FuncCall(f) => {
            f.name.namespace.is_empty() && LIST_FUNCTIONS.contains(&f.name.name.as_str())
        }
        _ => false,
    }
}

fn unknown_for_each(e: &Expr) -> Diagnostic {
    at(
        Diagnostic::error(
            "Invalid for_each argument",
            "The \"for_each\" set includes values derived from resource attributes that cannot be determined until \
             apply, and so aiu cannot determine the full set of keys that will identify the instances of this \
             resource. Define the keys statically in the configuration (e.g. from variables or literal names) and \
             place apply-time results only in the map values.",
        ),
        e,
    )
}

/// The instances of a resource: one `InstanceKey::None` without count/for_each, else one per
/// index or key with the values to bind for `count.index` or `each.key`/`each.value`.
#[allow(clippy::result_large_err)]
pub fn expand_instances(
    block: &ResourceBlock,
    ctx: &EvalContext,
) -> Result<Vec<(InstanceKey, Option<EachOrCount>)>, Diagnostic> {
    if let Some(e) = &block.count {
        let n = match eval(e, ctx)? {
            Value::Unknown => {
                return Err(at(
                    Diagnostic::error(
                        "Invalid count argument",
                        "The \"count\" value depends on resource attributes that cannot be determined until apply, so \
                         aiu cannot predict how many instances will be created. Compute count from variables or \
                         other values known at plan time.",
                    ),
                    e,
                ))
            }
            Value::Null => {
                return Err(at(Diagnostic::error("Invalid count argument", "The given \"count\" argument value is null. A whole number is required."), e))
            }
            Value::Number(n) => n,
            Value::String(s) if s.trim().parse::<f64>().is_ok() => s.trim().parse::<f64>().unwrap_or_default(),
            other => {
                return Err(at(
                    Diagnostic::error(
                        "Invalid count argument",
                        format!("The given \"count\" argument value is unsuitable: a number is required, got {}.", other.type_name()),
                    ),
                    e,
                ))
            }
        };
        if n < 0.0 || n.fract() != 0.0 || !n.is_finite() {
            return Err(at(
                Diagnostic::error(
                    "Invalid count argument",
                    format!("The given \"count\" argument value is unsuitable: must be a non-negative whole number, got {}.", format_number(n)),
                ),
                e,
            ));
        }
        if n > MAX_COUNT as f64 {
            return Err(at(
                Diagnostic::error(
                    "Invalid count argument",
                    format!("The given \"count\" argument value is {}, more than the {MAX_COUNT} instances aiu plans for one resource. IAM's account quotas allow a few thousand roles or policies; check the expression.", format_number(n)),
                ),
                e,
            ));
        }
        return Ok((0..n as i64)
            .map(|i| (InstanceKey::Int(i), Some(EachOrCount::Count(i))))
            .collect());
    }
    let Some(e) = &block.for_each else {
        return Ok(vec![(InstanceKey::None, None)]);
    };
    let unsuitable = |what: &str, fix: &str| {
        at(
            Diagnostic::error(
                "Invalid for_each argument",
                format!(
                    "The given \"for_each\" argument value is unsuitable: the \"for_each\" argument must be a map, or \
                     set of strings, and you have provided a value of type {what}.{fix}"
                ),
            ),
            e,
        )
    };
    match eval(e, ctx)? {
        Value::Unknown => Err(unknown_for_each(e)),
        Value::Null => Err(at(
            Diagnostic::error("Invalid for_each argument", "The given \"for_each\" argument value is null. A map, or set of strings, is allowed."),
            e,
        )),
        Value::Object(map) => Ok(map
            .into_iter()
            .map(|(k, v)| (InstanceKey::Str(k.clone()), Some(EachOrCount::Each { key: k, value: v })))
            .collect()),
        Value::List(items) => {
            let to_set = " Convert it with toset(), e.g. for_each = toset(<list>), or build a map with a for expression.";
            if produces_list(&e.expr) {
                return Err(unsuitable("list (tuple)", to_set));
            }
            let mut keys = Vec::new();
            for item in &items {
                match item {
                    Value::String(s) => keys.push(s.clone()),
                    Value::Unknown => return Err(unknown_for_each(e)),
                    Value::Null => {
                        return Err(at(
                            Diagnostic::error("Invalid for_each set argument", "The given \"for_each\" set contains a null value; remove it."),
                            e,
                        ))
                    }
                    other => return Err(unsuitable(&format!("set of {}", other.type_name()), " Only strings can be instance keys; convert elements with tostring().")),
                }
            }
            // A set is sorted and free of duplicates; anything else came from a list.
            if keys.windows(2).any(|w| w[0] >= w[1]) {
                return Err(unsuitable("list", to_set));
            }
            Ok(keys
                .into_iter()
                .map(|k| (InstanceKey::Str(k.clone()), Some(EachOrCount::Each { key: k.clone(), value: Value::String(k) })))
                .collect())
        }
        other => Err(unsuitable(other.type_name(), "")),
    }
}

/// One element of an import block's `for_each`: what `each.key` and `each.value` are.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportEach {
    pub key: Value,
    pub value: Value,
}

impl ImportEach {
    /// Binds `each` in an evaluation context.
    pub fn bind(&self, ctx: &mut EvalContext) {
        ctx.root.insert(
            "each".into(),
            Value::object([("key", self.key.clone()), ("value", self.value.clone())]),
        );
    }
}

/// The elements of an import block's `for_each`, as Terraform iterates them: a map gives its
/// keys and values; a set of strings gives each string as both; a list or tuple gives the
/// index as `each.key` and the element (of any type) as `each.value`.
///
/// aiu has no set type at run time: a list that is written as a list (`[...]`, a `for`
/// expression, a list function) is a list; any other list of strings that is sorted and free
/// of duplicates is what `toset()` or a `set(string)` variable produce, and counts as a set.
#[allow(clippy::result_large_err)]
pub fn import_for_each(e: &Expr, ctx: &EvalContext) -> Result<Vec<ImportEach>, Diagnostic> {
    let unsuitable = |what: &str| {
        at(
            Diagnostic::error(
                "Invalid for_each argument",
                format!("The \"for_each\" of an import block must be a map, a set of strings or a list; you have provided a value of type {what}."),
            ),
            e,
        )
    };
    match eval(e, ctx)? {
        Value::Unknown => Err(at(
            Diagnostic::error(
                "Invalid for_each argument",
                "The \"for_each\" of an import block depends on values known only after apply. Imports are planned \
                 before anything is applied: build it from variables, locals or literal names.",
            ),
            e,
        )),
        Value::Null => Err(at(
            Diagnostic::error("Invalid for_each argument", "The \"for_each\" of an import block is null. A map, a set of strings or a list is allowed."),
            e,
        )),
        Value::Object(map) => Ok(map.into_iter().map(|(key, value)| ImportEach { key: Value::String(key), value }).collect()),
        Value::List(items) => {
            let strings: Option<Vec<&str>> = items.iter().map(Value::as_str).collect();
            let is_set = !produces_list(&e.expr) && strings.is_some_and(|s| s.windows(2).all(|w| w[0] < w[1]));
            if is_set {
                return Ok(items.into_iter().map(|item| ImportEach { key: item.clone(), value: item }).collect());
            }
            Ok(items.into_iter().enumerate().map(|(i, value)| ImportEach { key: Value::from(i as i64), value }).collect())
        }
        other => Err(unsuitable(other.type_name())),
    }
}
