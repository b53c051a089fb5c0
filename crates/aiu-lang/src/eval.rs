//! The expression evaluator: literals, collections, variables and traversals (attributes,
//! indexes, splats), conditionals and `for` expressions. Operators live in `operators.rs`,
//! templates in `template.rs`, function calls in `functions/`.

use std::collections::btree_map::Entry;
use std::collections::BTreeMap;

use aiu_model::Value;
use hcl::expr::{Conditional, ForExpr, ObjectKey, Traversal, TraversalOperator};
use hcl::Expression;

use crate::util::{as_index, did_you_mean, plural, primitive_string};
use crate::{functions, operators, template, EvalContext, EvalError};

/// The names an expression can see: the context's root names plus the names bound by
/// enclosing `for` expressions and template `for` directives (innermost first).
pub(crate) struct Scope<'a> {
    pub(crate) ctx: &'a EvalContext,
    bindings: Vec<(String, Value)>,
    parent: Option<&'a Scope<'a>>,
}

impl<'a> Scope<'a> {
    pub(crate) fn new(ctx: &'a EvalContext) -> Scope<'a> {
        Scope {
            ctx,
            bindings: Vec::new(),
            parent: None,
        }
    }

    /// A nested scope where `bindings` shadow every outer name.
    pub(crate) fn child(&'a self, bindings: Vec<(String, Value)>) -> Scope<'a> {
        Scope {
            ctx: self.ctx,
            bindings,
            parent: Some(self),
        }
    }

    fn lookup(&self, name: &str) -> Option<&Value> {
        if let Some((_, value)) = self.bindings.iter().find(|(n, _)| n == name) {
            return Some(value);
        }
        match self.parent {
            Some(parent) => parent.lookup(name),
            None => self.ctx.root.get(name),
        }
    }

    /// True when `name` is bound by an enclosing `for` rather than coming from the root.
    fn is_bound(&self, name: &str) -> bool {
        self.bindings.iter().any(|(n, _)| n == name)
            || self.parent.is_some_and(|p| p.is_bound(name))
    }

    fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.bindings.iter().map(|(n, _)| n.as_str()).collect();
        match self.parent {
            Some(parent) => names.extend(parent.names()),
            None => names.extend(self.ctx.root.keys().map(String::as_str)),
        }
        names
    }
}

/// Evaluates an expression against the root names of a context.
pub(crate) fn eval_root(expr: &Expression, ctx: &EvalContext) -> Result<Value, EvalError> {
    eval_expr(expr, &Scope::new(ctx))
}

/// Evaluates an expression in a scope.
pub(crate) fn eval_expr(expr: &Expression, scope: &Scope) -> Result<Value, EvalError> {
    match expr {
        Expression::Null => Ok(Value::Null),
        Expression::Bool(b) => Ok(Value::Bool(*b)),
        Expression::Number(n) => n.as_f64().map(Value::Number).ok_or_else(|| {
            EvalError::new("Invalid number", format!("The number {n} cannot be represented; use a smaller number."))
        }),
        Expression::String(s) => Ok(Value::String(s.clone())),
        Expression::Array(items) => {
            let values = items.iter().map(|item| eval_expr(item, scope)).collect::<Result<Vec<_>, _>>()?;
            Ok(Value::List(values))
        }
        Expression::Object(object) => eval_object(object.iter(), scope),
        Expression::TemplateExpr(t) => template::eval_template_expr(t, scope),
        Expression::Variable(v) => lookup_variable(v.as_str(), scope),
        Expression::Traversal(t) => eval_traversal(t, scope),
        Expression::FuncCall(call) => functions::call(call, scope),
        Expression::Parenthesis(inner) => eval_expr(inner, scope),
        Expression::Conditional(c) => eval_conditional(c, scope),
        Expression::Operation(op) => operators::eval_operation(op, scope),
        Expression::ForExpr(f) => eval_for(f, scope),
        // `hcl::Expression` is non-exhaustive.
        #[allow(unreachable_patterns)]
        _ => Err(EvalError::new(
            "Unsupported expression",
            "This kind of expression is not supported by aiu; rewrite it with literals, references, operators or function calls.",
        )),
    }
}

fn eval_object<'e>(
    entries: impl Iterator<Item = (&'e ObjectKey, &'e Expression)>,
    scope: &Scope,
) -> Result<Value, EvalError> {
    let mut map = BTreeMap::new();
    let mut unknown_key = false;
    for (key, value_expr) in entries {
        let key = match key {
            ObjectKey::Identifier(ident) => Value::String(ident.to_string()),
            // A bare name as a key is a literal, as in `{ name = 1 }`.
            ObjectKey::Expression(Expression::Variable(v)) => Value::String(v.to_string()),
            ObjectKey::Expression(expr) => eval_expr(expr, scope)?,
            #[allow(unreachable_patterns)]
            _ => {
                return Err(EvalError::new(
                    "Invalid object key",
                    "This object key form is not supported.",
                ))
            }
        };
        let value = eval_expr(value_expr, scope)?;
        match object_key(&key)? {
            Some(key) => {
                map.insert(key, value);
            }
            None => unknown_key = true,
        }
    }
    if unknown_key {
        return Ok(Value::Unknown);
    }
    Ok(Value::Object(map))
}

/// The string form of an object key; `None` when it is unknown.
fn object_key(key: &Value) -> Result<Option<String>, EvalError> {
    match key {
        Value::Unknown => Ok(None),
        Value::Null => Err(EvalError::new(
            "Invalid object key",
            "An object key is null; object keys must be strings. Make sure the key expression always has a value.",
        )),
        other => primitive_string(other).map(Some).ok_or_else(|| {
            EvalError::new(
                "Invalid object key",
                format!("An object key must be a string, but this key is a {}.", other.type_name()),
            )
        }),
    }
}

fn lookup_variable(name: &str, scope: &Scope) -> Result<Value, EvalError> {
    match scope.lookup(name) {
        Some(value) => Ok(value.clone()),
        None => {
            let hint = did_you_mean(name, scope.names());
            Err(EvalError::new(
                "Unknown variable",
                format!("There is no variable named \"{name}\" in this scope.{hint}"),
            ))
        }
    }
}

fn eval_traversal(traversal: &Traversal, scope: &Scope) -> Result<Value, EvalError> {
    if let Some(value) = borrowed_traversal(traversal, scope) {
        return value;
    }
    if let Expression::Variable(root) = &traversal.expr {
        let name = root.as_str();
        if scope.lookup(name).is_none() {
            if let Some(TraversalOperator::GetAttr(attr)) = traversal.operators.first() {
                return Err(undeclared_root(name, attr.as_str(), scope));
            }
        }
    }
    let base = eval_expr(&traversal.expr, scope)?;
    if let Expression::Variable(root) = &traversal.expr {
        if let (Some(TraversalOperator::GetAttr(attr)), false) =
            (traversal.operators.first(), scope.is_bound(root.as_str()))
        {
            if let Some(err) = undeclared_member(root.as_str(), attr.as_str(), &base) {
                return Err(err);
            }
        }
    }
    apply_operators(base, &traversal.operators, scope)
}

/// The fast path of a traversal from a variable (`aws_iam_role.r[count.index].name`): walks
/// the leading attribute and index steps by reference, so only the value reached is copied,
/// not the whole table it is found in (which made each instance of a large `count` copy every
/// instance). Returns `None` to take the general path, which also produces the error messages.
fn borrowed_traversal(traversal: &Traversal, scope: &Scope) -> Option<Result<Value, EvalError>> {
    let Expression::Variable(root) = &traversal.expr else {
        return None;
    };
    let mut current = scope.lookup(root.as_str())?;
    let mut steps = 0;
    for op in &traversal.operators {
        let next = match (op, current) {
            (TraversalOperator::GetAttr(name), Value::Object(map)) => map.get(name.as_str()),
            (TraversalOperator::Index(key_expr), Value::List(items)) => {
                match eval_expr(key_expr, scope) {
                    Ok(Value::Number(n)) if n >= 0.0 && n.fract() == 0.0 => items.get(n as usize),
                    _ => None,
                }
            }
            (TraversalOperator::Index(key_expr), Value::Object(map)) => {
                match eval_expr(key_expr, scope) {
                    Ok(Value::String(key)) => map.get(&key),
                    _ => None,
                }
            }
            (TraversalOperator::LegacyIndex(n), Value::List(items)) => items.get(*n as usize),
            _ => None,
        };
        match next {
            Some(value) => current = value,
            None => break,
        }
        steps += 1;
    }
    if steps == 0 {
        return None;
    }
    Some(apply_operators(
        current.clone(),
        &traversal.operators[steps..],
        scope,
    ))
}

/// An error for `root.attr` when `root` itself is not declared.
fn undeclared_root(root: &str, attr: &str, scope: &Scope) -> EvalError {
    let hint = did_you_mean(root, scope.names());
    match root {
        "var" => EvalError::new(
            "Reference to undeclared input variable",
            format!("An input variable with the name \"{attr}\" has not been declared. Declare it with a variable \"{attr}\" {{}} block."),
        ),
        "local" => EvalError::new(
            "Reference to undeclared local value",
            format!("A local value with the name \"{attr}\" has not been declared. Declare it in a locals {{}} block."),
        ),
        "data" => EvalError::new(
            "Reference to undeclared data source",
            "No data source has been declared in this module. Declare it with a data block.".to_owned(),
        ),
        _ if root.contains('_') => EvalError::new(
            "Reference to undeclared resource",
            format!("A managed resource \"{root}\" \"{attr}\" has not been declared in this module.{hint}"),
        ),
        _ => EvalError::new("Unknown variable", format!("There is no variable named \"{root}\" in this scope.{hint}")),
    }
}

/// A friendlier error than "Unsupported attribute" for `var.x`, `local.x` and `<type>.<name>`
/// when the member is missing.
fn undeclared_member(root: &str, attr: &str, base: &Value) -> Option<EvalError> {
    let map = base.as_object()?;
    if map.contains_key(attr) {
        return None;
    }
    let hint = did_you_mean(attr, map.keys().map(String::as_str));
    match root {
        "var" => Some(EvalError::new(
            "Reference to undeclared input variable",
            format!("An input variable with the name \"{attr}\" has not been declared.{hint} Otherwise declare it with a variable \"{attr}\" {{}} block."),
        )),
        "local" => Some(EvalError::new(
            "Reference to undeclared local value",
            format!("A local value with the name \"{attr}\" has not been declared.{hint} Otherwise declare it in a locals {{}} block."),
        )),
        "data" => Some(EvalError::new(
            "Reference to undeclared data source",
            format!("No data source of type \"{attr}\" has been declared in this module.{hint}"),
        )),
        _ if root.contains('_') => Some(EvalError::new(
            "Reference to undeclared resource",
            format!("A managed resource \"{root}\" \"{attr}\" has not been declared in this module.{hint}"),
        )),
        _ => None,
    }
}

/// Applies traversal operators left to right. A splat applies the operators after it to every
/// element: `.*` takes the following attribute accesses, `[*]` takes all the rest.
pub(crate) fn apply_operators(
    mut current: Value,
    operators: &[TraversalOperator],
    scope: &Scope,
) -> Result<Value, EvalError> {
    let mut i = 0;
    while i < operators.len() {
        match &operators[i] {
            TraversalOperator::GetAttr(name) => current = get_attr(current, name.as_str())?,
            TraversalOperator::Index(key_expr) => {
                let key = eval_expr(key_expr, scope)?;
                current = index(current, &key)?;
            }
            TraversalOperator::LegacyIndex(n) => {
                current = index(current, &Value::Number(*n as f64))?
            }
            TraversalOperator::AttrSplat | TraversalOperator::FullSplat => {
                let full = matches!(operators[i], TraversalOperator::FullSplat);
                let mut end = i + 1;
                while end < operators.len()
                    && (full
                        || matches!(
                            operators[end],
                            TraversalOperator::GetAttr(_) | TraversalOperator::LegacyIndex(_)
                        ))
                {
                    end += 1;
                }
                current = splat(current, &operators[i + 1..end], scope)?;
                i = end;
                continue;
            }
            #[allow(unreachable_patterns)]
            _ => {
                return Err(EvalError::new(
                    "Unsupported traversal",
                    "This kind of attribute or index access is not supported by aiu.",
                ))
            }
        }
        i += 1;
    }
    Ok(current)
}

fn splat(value: Value, operators: &[TraversalOperator], scope: &Scope) -> Result<Value, EvalError> {
    match value {
        Value::Unknown => Ok(Value::Unknown),
        Value::Null => Ok(Value::List(Vec::new())),
        Value::List(items) => {
            let mapped = items
                .into_iter()
                .map(|item| apply_operators(item, operators, scope))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Value::List(mapped))
        }
        single => Ok(Value::List(vec![apply_operators(
            single, operators, scope,
        )?])),
    }
}

/// `value.name`.
pub(crate) fn get_attr(value: Value, name: &str) -> Result<Value, EvalError> {
    match value {
        Value::Unknown => Ok(Value::Unknown),
        Value::Object(mut map) => match map.remove(name) {
            Some(v) => Ok(v),
            None => {
                let hint = did_you_mean(name, map.keys().map(String::as_str));
                Err(EvalError::new(
                    "Unsupported attribute",
                    format!("This object does not have an attribute named \"{name}\".{hint}"),
                ))
            }
        },
        Value::Null => Err(EvalError::new(
            "Attempt to get attribute from null value",
            format!("This value is null, so it does not have an attribute named \"{name}\". Check that it is set before using it, e.g. with a conditional or try()."),
        )),
        Value::List(items) => Err(EvalError::new(
            "Unsupported attribute",
            format!(
                "This value is a list of {} element{}, which has no attribute \"{name}\". Use an index such as [0] to pick one element, or a splat such as [*].{name} to get \"{name}\" from every element.",
                items.len(),
                plural(items.len())
            ),
        )),
        other => Err(EvalError::new(
            "Unsupported attribute",
            format!("A {} value does not have attributes, so \".{name}\" cannot be applied to it.", other.type_name()),
        )),
    }
}

/// `value[key]`: a number indexes a list, a string indexes an object.
pub(crate) fn index(value: Value, key: &Value) -> Result<Value, EvalError> {
    if key.is_null() {
        return Err(EvalError::new(
            "Invalid index",
            "The index is null; an index must be a number or a string.",
        ));
    }
    match value {
        Value::Unknown => Ok(Value::Unknown),
        _ if key.is_unknown() => Ok(Value::Unknown),
        Value::List(mut items) => {
            let n = match key {
                Value::Number(n) => Some(*n),
                Value::String(s) => s.trim().parse::<f64>().ok(),
                _ => None,
            };
            let Some(n) = n else {
                return Err(EvalError::new(
                    "Invalid index",
                    format!("A list can only be indexed by a number, but the index is a {}.", key.type_name()),
                ));
            };
            let len = items.len();
            match as_index(n) {
                Some(i) if i < len => Ok(items.swap_remove(i)),
                _ if len == 0 => Err(EvalError::new(
                    "Invalid index",
                    format!("The index {} is out of range: the list is empty.", Value::Number(n)),
                )),
                _ => Err(EvalError::new(
                    "Invalid index",
                    format!(
                        "The index {} is out of range for a list of {len} element{}; valid indexes are whole numbers from 0 to {}.",
                        Value::Number(n),
                        plural(len),
                        len - 1
                    ),
                )),
            }
        }
        Value::Object(mut map) => {
            let Some(k) = primitive_string(key) else {
                return Err(EvalError::new(
                    "Invalid index",
                    format!("An object or map can only be indexed by a string, but the index is a {}.", key.type_name()),
                ));
            };
            match map.remove(&k) {
                Some(v) => Ok(v),
                None => {
                    let hint = did_you_mean(&k, map.keys().map(String::as_str));
                    Err(EvalError::new(
                        "Invalid index",
                        format!("The given key \"{k}\" does not identify an element in this collection value.{hint}"),
                    ))
                }
            }
        }
        Value::Null => Err(EvalError::new(
            "Attempt to index null value",
            "This value is null, so it does not have any elements. Check that it is set before indexing it.",
        )),
        other => Err(EvalError::new(
            "Invalid index",
            format!("A {} value cannot be indexed; only lists, maps and objects can.", other.type_name()),
        )),
    }
}

/// Interprets a condition value: bools, and the strings "true"/"false" like Terraform.
/// `Ok(None)` when unknown.
pub(crate) fn condition_value(value: &Value, what: &str) -> Result<Option<bool>, EvalError> {
    match value {
        Value::Bool(b) => Ok(Some(*b)),
        Value::Unknown => Ok(None),
        Value::String(s) if s == "true" => Ok(Some(true)),
        Value::String(s) if s == "false" => Ok(Some(false)),
        Value::Null => Err(EvalError::new(
            "Invalid condition",
            format!("The {what} is null; it must be true or false."),
        )),
        other => Err(EvalError::new(
            "Invalid condition",
            format!(
                "The {what} must be a bool, but it is a {}.",
                crate::util::describe(other)
            ),
        )),
    }
}

fn eval_conditional(c: &Conditional, scope: &Scope) -> Result<Value, EvalError> {
    let cond = eval_expr(&c.cond_expr, scope)?;
    match condition_value(&cond, "condition of this conditional expression")? {
        Some(true) => eval_expr(&c.true_expr, scope),
        Some(false) => eval_expr(&c.false_expr, scope),
        None => {
            // Still surface errors in either branch: they would fail once the condition is known.
            eval_expr(&c.true_expr, scope)?;
            eval_expr(&c.false_expr, scope)?;
            Ok(Value::Unknown)
        }
    }
}

/// The (key, value) pairs a `for` iterates: lists give (index, element), objects give
/// (key, value) in sorted key order. `Ok(None)` when the collection is unknown.
pub(crate) fn iteration_pairs(collection: Value) -> Result<Option<Vec<(Value, Value)>>, EvalError> {
    match collection {
        Value::Unknown => Ok(None),
        Value::List(items) => {
            Ok(Some(items.into_iter().enumerate().map(|(i, v)| (Value::Number(i as f64), v)).collect()))
        }
        Value::Object(map) => Ok(Some(map.into_iter().map(|(k, v)| (Value::String(k), v)).collect())),
        Value::Null => Err(EvalError::new(
            "Iteration over null value",
            "A null value cannot be used as the collection of a 'for'. Use a list, set, map or object, e.g. coalesce(x, []).",
        )),
        other => Err(EvalError::new(
            "Iteration over non-iterable value",
            format!("A 'for' can only iterate over lists, sets, maps and objects, but this is a {}.", crate::util::describe(&other)),
        )),
    }
}

/// The bindings of one `for` iteration: the value name, and the key name if given.
pub(crate) fn iteration_bindings(
    key_var: Option<&hcl::Identifier>,
    value_var: &hcl::Identifier,
    key: Value,
    value: Value,
) -> Vec<(String, Value)> {
    let mut bindings = vec![(value_var.to_string(), value)];
    if let Some(k) = key_var {
        bindings.push((k.to_string(), key));
    }
    bindings
}

fn eval_for(f: &ForExpr, scope: &Scope) -> Result<Value, EvalError> {
    let collection = eval_expr(&f.collection_expr, scope)?;
    let Some(pairs) = iteration_pairs(collection)? else {
        return Ok(Value::Unknown);
    };
    let mut unknown = false;
    let mut list = Vec::new();
    let mut object: BTreeMap<String, Value> = BTreeMap::new();
    let mut groups: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for (key, value) in pairs {
        let child = scope.child(iteration_bindings(
            f.key_var.as_ref(),
            &f.value_var,
            key,
            value,
        ));
        if let Some(cond_expr) = &f.cond_expr {
            let cond = eval_expr(cond_expr, &child)?;
            match condition_value(&cond, "'if' condition of this 'for' expression")? {
                Some(true) => {}
                Some(false) => continue,
                None => {
                    unknown = true;
                    continue;
                }
            }
        }
        match &f.key_expr {
            None => list.push(eval_expr(&f.value_expr, &child)?),
            Some(key_expr) => {
                let key = eval_expr(key_expr, &child)?;
                let value = eval_expr(&f.value_expr, &child)?;
                let Some(key) = object_key(&key)? else {
                    unknown = true;
                    continue;
                };
                if f.grouping {
                    groups.entry(key).or_default().push(value);
                    continue;
                }
                match object.entry(key) {
                    Entry::Vacant(slot) => {
                        slot.insert(value);
                    }
                    Entry::Occupied(slot) => {
                        return Err(EvalError::new(
                            "Duplicate object key",
                            format!("Two elements produced the key \"{}\" in this 'for' expression. If duplicates are expected, add an ellipsis (...) after the value expression to group the values by key.", slot.key()),
                        ));
                    }
                }
            }
        }
    }
    if unknown {
        return Ok(Value::Unknown);
    }
    Ok(match (&f.key_expr, f.grouping) {
        (None, _) => Value::List(list),
        (Some(_), true) => Value::Object(
            groups
                .into_iter()
                .map(|(k, v)| (k, Value::List(v)))
                .collect(),
        ),
        (Some(_), false) => Value::Object(object),
    })
}

#[cfg(test)]
mod tests {
    use crate::test_support::{err_str, err_with, eval_str, eval_with, obj, strs};
    use aiu_model::Value;

    fn roles() -> Value {
        obj([
            (
                "single",
                obj([
                    ("arn", Value::from("arn:single")),
                    ("name", Value::from("single")),
                ]),
            ),
            (
                "counted",
                Value::List(vec![
                    obj([("arn", Value::from("arn:0"))]),
                    obj([("arn", Value::from("arn:1"))]),
                ]),
            ),
            (
                "keyed",
                obj([
                    ("b", obj([("arn", Value::from("arn:b"))])),
                    ("a", obj([("arn", Value::from("arn:a"))])),
                ]),
            ),
            (
                "pending",
                obj([("arn", Value::Unknown), ("name", Value::from("p"))]),
            ),
        ])
    }

    #[test]
    fn literals_collections_and_parentheses() {
        assert_eq!(eval_str("null"), Value::Null);
        assert_eq!(eval_str("true"), Value::Bool(true));
        assert_eq!(eval_str("1.5"), Value::Number(1.5));
        assert_eq!(eval_str("\"s\""), Value::from("s"));
        assert_eq!(eval_str("[\"a\", (\"b\")]"), strs(&["a", "b"]));
        assert_eq!(
            eval_str("{a = 1, \"b\" = 2}"),
            obj([("a", Value::from(1i64)), ("b", Value::from(2i64))])
        );
    }

    #[test]
    fn object_keys_may_be_expressions() {
        let root = [("var", obj([("k", Value::from("dyn"))]))];
        assert_eq!(
            eval_with("{(var.k) = 1, \"${var.k}2\" = 2}", root),
            obj([("dyn", Value::from(1i64)), ("dyn2", Value::from(2i64))])
        );
        assert_eq!(err_str("{(null) = 1}").summary, "Invalid object key");
        let unknown = [("u", obj([("x", Value::Unknown)]))];
        assert_eq!(eval_with("{(u.x) = 1}", unknown), Value::Unknown);
    }

    #[test]
    fn variables_and_attributes_resolve_through_the_root() {
        let root = [
            ("var", obj([("name", Value::from("r"))])),
            ("aws_iam_role", roles()),
            ("count", obj([("index", Value::from(2i64))])),
        ];
        assert_eq!(eval_with("var.name", root.clone()), Value::from("r"));
        assert_eq!(
            eval_with("aws_iam_role.single.arn", root.clone()),
            Value::from("arn:single")
        );
        assert_eq!(
            eval_with("aws_iam_role.counted[1].arn", root.clone()),
            Value::from("arn:1")
        );
        assert_eq!(
            eval_with("aws_iam_role.counted.0.arn", root.clone()),
            Value::from("arn:0")
        );
        assert_eq!(
            eval_with("aws_iam_role.keyed[\"a\"].arn", root.clone()),
            Value::from("arn:a")
        );
        assert_eq!(eval_with("count.index", root), Value::from(2i64));
    }

    #[test]
    fn undeclared_names_get_specific_errors_with_suggestions() {
        let root = [
            ("var", obj([("name", Value::from("r"))])),
            ("aws_iam_role", roles()),
        ];
        let e = err_with("var.nme", root.clone());
        assert_eq!(e.summary, "Reference to undeclared input variable");
        assert!(e.detail.contains("Did you mean \"name\"?"), "{}", e.detail);
        let e = err_with("aws_iam_role.singel.arn", root.clone());
        assert_eq!(e.summary, "Reference to undeclared resource");
        assert!(e.detail.contains("\"single\""), "{}", e.detail);
        assert_eq!(
            err_with("local.x", root.clone()).summary,
            "Reference to undeclared local value"
        );
        assert_eq!(
            err_with("nothing", root.clone()).summary,
            "Unknown variable"
        );
        let e = err_with("aws_iam_role.single.arm", root);
        assert_eq!(e.summary, "Unsupported attribute");
        assert!(
            e.detail.contains("\"arm\"") && e.detail.contains("Did you mean \"arn\"?"),
            "{}",
            e.detail
        );
    }

    #[test]
    fn missing_attributes_of_for_bound_names_are_plain_unsupported_attributes() {
        let e = err_str("[for my_role in [{name = \"a\"}] : my_role.arn]");
        assert_eq!(e.summary, "Unsupported attribute");
    }

    #[test]
    fn attribute_access_on_lists_and_null_explains_the_fix() {
        let root = [
            ("aws_iam_role", roles()),
            ("var", obj([("n", Value::Null)])),
        ];
        let e = err_with("aws_iam_role.counted.arn", root.clone());
        assert!(e.detail.contains("[*].arn"), "{}", e.detail);
        assert_eq!(
            err_with("var.n.x", root.clone()).summary,
            "Attempt to get attribute from null value"
        );
        assert_eq!(
            err_with("var.n[0]", root).summary,
            "Attempt to index null value"
        );
    }

    #[test]
    fn out_of_range_indexes_and_missing_keys_are_clear_errors() {
        let e = err_str("[\"a\", \"b\"][2]");
        assert_eq!(e.summary, "Invalid index");
        assert!(
            e.detail.contains("out of range for a list of 2 elements"),
            "{}",
            e.detail
        );
        assert!(err_str("[][0]").detail.contains("empty"));
        assert!(err_str("[\"a\"][-1]").detail.contains("out of range"));
        assert!(err_str("[\"a\"][0.5]").detail.contains("out of range"));
        assert!(err_str("{a = 1}[\"b\"]")
            .detail
            .contains("\"b\" does not identify an element"));
        assert!(err_str("\"abc\"[0]").detail.contains("cannot be indexed"));
        assert_eq!(eval_str("[\"a\", \"b\"][\"1\"]"), Value::from("b"));
    }

    #[test]
    fn splats_apply_the_following_accesses_to_every_element() {
        let root = [
            ("aws_iam_role", roles()),
            (
                "var",
                obj([
                    ("n", Value::Null),
                    ("nested", Value::List(vec![obj([("l", strs(&["x", "y"]))])])),
                ]),
            ),
        ];
        assert_eq!(
            eval_with("aws_iam_role.counted[*].arn", root.clone()),
            strs(&["arn:0", "arn:1"])
        );
        assert_eq!(
            eval_with("aws_iam_role.counted.*.arn", root.clone()),
            strs(&["arn:0", "arn:1"])
        );
        // `.*` stops at an index, which then applies to the resulting list; `[*]` does not.
        assert_eq!(
            eval_with("aws_iam_role.counted.*.arn[1]", root.clone()),
            Value::from("arn:1")
        );
        assert_eq!(eval_with("var.nested[*].l[1]", root.clone()), strs(&["y"]));
        assert_eq!(eval_with("var.n[*]", root.clone()), Value::List(vec![]));
        assert_eq!(
            eval_with("aws_iam_role.single[*].arn", root),
            strs(&["arn:single"])
        );
    }

    #[test]
    fn unknown_values_propagate_through_traversals() {
        let root = [
            ("aws_iam_role", roles()),
            ("u", obj([("x", Value::Unknown)])),
        ];
        assert_eq!(
            eval_with("aws_iam_role.pending.arn", root.clone()),
            Value::Unknown
        );
        assert_eq!(eval_with("u.x.anything[0]", root.clone()), Value::Unknown);
        assert_eq!(eval_with("[\"a\"][u.x]", root.clone()), Value::Unknown);
        assert_eq!(eval_with("u.x[*].arn", root.clone()), Value::Unknown);
        assert_eq!(
            eval_with("[aws_iam_role.pending.arn, \"b\"]", root),
            Value::List(vec![Value::Unknown, Value::from("b")])
        );
    }

    #[test]
    fn conditionals_pick_one_branch() {
        assert_eq!(eval_str("true ? \"a\" : \"b\""), Value::from("a"));
        assert_eq!(eval_str("1 > 2 ? \"a\" : \"b\""), Value::from("b"));
        // The branch not taken is not evaluated, so it may fail.
        assert_eq!(
            eval_str("length([]) > 0 ? [][0] : \"none\""),
            Value::from("none")
        );
        assert_eq!(err_str("null ? 1 : 2").summary, "Invalid condition");
        assert_eq!(err_str("5 ? 1 : 2").summary, "Invalid condition");
    }

    #[test]
    fn a_conditional_with_an_unknown_condition_is_unknown() {
        let root = [("u", obj([("x", Value::Unknown)]))];
        assert_eq!(eval_with("u.x ? \"a\" : \"b\"", root), Value::Unknown);
    }

    #[test]
    fn for_expressions_build_lists_and_objects() {
        assert_eq!(
            eval_str("[for s in [\"a\", \"b\"] : upper(s)]"),
            strs(&["A", "B"])
        );
        assert_eq!(
            eval_str("[for i, s in [\"a\", \"b\"] : \"${i}${s}\"]"),
            strs(&["0a", "1b"])
        );
        assert_eq!(
            eval_str("[for k, v in {b = 2, a = 1} : k]"),
            strs(&["a", "b"])
        );
        assert_eq!(
            eval_str("[for v in {b = 2, a = 1} : v]"),
            Value::List(vec![Value::from(1i64), Value::from(2i64)])
        );
        assert_eq!(
            eval_str("{for s in [\"a\", \"b\"] : s => upper(s)}"),
            obj([("a", Value::from("A")), ("b", Value::from("B"))])
        );
        assert_eq!(
            eval_str("[for n in [1, 2, 3, 4] : n if n % 2 == 0]"),
            Value::List(vec![Value::from(2i64), Value::from(4i64)])
        );
    }

    #[test]
    fn for_expressions_group_duplicate_keys_with_an_ellipsis() {
        assert_eq!(
            eval_str("{for s in [\"ab\", \"ac\", \"b\"] : substr(s, 0, 1) => s...}"),
            obj([("a", strs(&["ab", "ac"])), ("b", strs(&["b"]))])
        );
        let e = err_str("{for s in [\"ab\", \"ac\"] : substr(s, 0, 1) => s}");
        assert_eq!(e.summary, "Duplicate object key");
        assert!(e.detail.contains("(...)"), "{}", e.detail);
    }

    #[test]
    fn for_expressions_reject_non_collections() {
        assert_eq!(
            err_str("[for x in null : x]").summary,
            "Iteration over null value"
        );
        assert_eq!(
            err_str("[for x in \"abc\" : x]").summary,
            "Iteration over non-iterable value"
        );
    }

    #[test]
    fn for_expressions_over_or_filtering_by_unknowns_are_unknown() {
        let root = [("u", obj([("x", Value::Unknown)]))];
        assert_eq!(
            eval_with("[for v in u.x : v]", root.clone()),
            Value::Unknown
        );
        assert_eq!(
            eval_with("[for v in [1, 2] : v if u.x]", root.clone()),
            Value::Unknown
        );
        assert_eq!(
            eval_with("{for v in [1] : u.x => v}", root.clone()),
            Value::Unknown
        );
        assert_eq!(
            eval_with("[for v in [1, 2] : u.x]", root),
            Value::List(vec![Value::Unknown, Value::Unknown])
        );
    }

    #[test]
    fn for_bindings_shadow_root_names_only_inside_the_for() {
        let root = [("x", Value::from("outer"))];
        assert_eq!(
            eval_with("[[for x in [\"inner\"] : x], x]", root),
            Value::List(vec![strs(&["inner"]), Value::from("outer")])
        );
    }
}
