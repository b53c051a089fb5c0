//! Type constraints (`type = list(object({...}))`): parsing them from expressions and
//! converting values to them with Terraform's rules.

use std::collections::BTreeMap;

use aiu_model::value::format_number;
use aiu_model::Value;
use hcl::expr::{FuncCall, ObjectKey};
use hcl::Expression;

use crate::util::{describe, plural, to_set};
use crate::{eval, EvalContext, ObjectAttr, TypeConstraint};

const TYPE_HELP: &str =
    "Use string, number, bool, any, list(T), set(T), map(T), tuple([T, ...]) or object({name = T, ...}).";

/// Parses a `type = ...` expression.
pub(crate) fn parse_type(expr: &Expression) -> Result<TypeConstraint, String> {
    match expr {
        Expression::Variable(v) => match v.as_str() {
            "string" => Ok(TypeConstraint::String),
            "number" => Ok(TypeConstraint::Number),
            "bool" => Ok(TypeConstraint::Bool),
            "any" => Ok(TypeConstraint::Any),
            name @ ("list" | "set" | "map") => {
                Err(format!("The {name} type constructor requires one argument specifying the element type, e.g. {name}(string)."))
            }
            "tuple" => Err("The tuple type constructor requires a list of element types, e.g. tuple([string, number]).".to_owned()),
            "object" => Err("The object type constructor requires an object of attribute types, e.g. object({name = string}).".to_owned()),
            other => Err(format!("\"{other}\" is not a valid type. {TYPE_HELP}")),
        },
        Expression::FuncCall(call) => parse_type_call(call),
        Expression::Parenthesis(inner) => parse_type(inner),
        Expression::String(s) => Err(format!("Type constraints must not be quoted: write {s} instead of \"{s}\".")),
        Expression::TemplateExpr(t) => Err(format!("Type constraints must not be quoted: write {t} instead of \"{t}\".")),
        _ => Err(format!("This is not a type constraint. {TYPE_HELP}")),
    }
}

fn single_arg<'a>(call: &'a FuncCall, example: &str) -> Result<&'a Expression, String> {
    match call.args.as_slice() {
        [arg] => Ok(arg),
        args => Err(format!(
            "The {} type constructor requires exactly one argument, e.g. {example}, but {} {} given.",
            call.name.name,
            args.len(),
            if args.len() == 1 { "was" } else { "were" }
        )),
    }
}

fn parse_type_call(call: &FuncCall) -> Result<TypeConstraint, String> {
    let name = call.name.name.as_str();
    match name {
        "list" => Ok(TypeConstraint::List(Box::new(parse_type(single_arg(call, "list(string)")?)?))),
        "set" => Ok(TypeConstraint::Set(Box::new(parse_type(single_arg(call, "set(string)")?)?))),
        "map" => Ok(TypeConstraint::Map(Box::new(parse_type(single_arg(call, "map(string)")?)?))),
        "tuple" => match single_arg(call, "tuple([string, number])")? {
            Expression::Array(items) => Ok(TypeConstraint::Tuple(items.iter().map(parse_type).collect::<Result<_, _>>()?)),
            _ => Err("The tuple type constructor requires a list of element types, e.g. tuple([string, number]).".to_owned()),
        },
        "object" => match single_arg(call, "object({name = string})")? {
            Expression::Object(entries) => {
                let mut attrs = BTreeMap::new();
                for (key, value) in entries.iter() {
                    let key = object_type_key(key)?;
                    attrs.insert(key.clone(), parse_object_attr(&key, value)?);
                }
                Ok(TypeConstraint::Object(attrs))
            }
            _ => Err("The object type constructor requires an object of attribute types, e.g. object({name = string}).".to_owned()),
        },
        "optional" => Err("optional() can only be used for the attributes of an object type, e.g. object({size = optional(number, 1)}).".to_owned()),
        other => Err(format!("\"{other}\" is not a type constructor. {TYPE_HELP}")),
    }
}

fn object_type_key(key: &ObjectKey) -> Result<String, String> {
    match key {
        ObjectKey::Identifier(ident) => Ok(ident.to_string()),
        ObjectKey::Expression(Expression::String(s)) => Ok(s.clone()),
        ObjectKey::Expression(Expression::Variable(v)) => Ok(v.to_string()),
        _ => Err(
            "Object type attribute names must be plain names, e.g. object({name = string})."
                .to_owned(),
        ),
    }
}

fn parse_object_attr(name: &str, expr: &Expression) -> Result<ObjectAttr, String> {
    let Expression::FuncCall(call) = expr else {
        return Ok(ObjectAttr {
            ty: parse_type(expr)?,
            optional: false,
            default: None,
        });
    };
    if call.name.name.as_str() != "optional" {
        return Ok(ObjectAttr {
            ty: parse_type(expr)?,
            optional: false,
            default: None,
        });
    }
    match call.args.as_slice() {
        [ty] => Ok(ObjectAttr { ty: parse_type(ty)?, optional: true, default: None }),
        [ty, default] => {
            let ty = parse_type(ty)?;
            let value = eval(default, &EvalContext::default())
                .map_err(|e| format!("The default of attribute \"{name}\" must be a constant value: {}", e.detail))?;
            let value = convert(value, &ty).map_err(|e| format!("The default of attribute \"{name}\" does not match its type: {e}"))?;
            Ok(ObjectAttr { ty, optional: true, default: Some(value) })
        }
        _ => Err(format!("optional() for attribute \"{name}\" takes a type and an optional default, e.g. optional(number, 1).")),
    }
}

/// Converts a value to a type constraint the way Terraform does. Null and unknown values
/// pass any type.
pub(crate) fn convert(value: Value, ty: &TypeConstraint) -> Result<Value, String> {
    if value.is_null() || value.is_unknown() {
        return Ok(value);
    }
    match ty {
        TypeConstraint::Any => Ok(value),
        TypeConstraint::String => match value {
            Value::String(_) => Ok(value),
            Value::Number(n) => Ok(Value::String(format_number(n))),
            Value::Bool(b) => Ok(Value::String(b.to_string())),
            other => Err(required("a string", &other)),
        },
        TypeConstraint::Number => match &value {
            Value::Number(_) => Ok(value),
            Value::String(s) => parse_number(s)
                .map(Value::Number)
                .ok_or_else(|| required("a number", &value)),
            other => Err(required("a number", other)),
        },
        TypeConstraint::Bool => match &value {
            Value::Bool(_) => Ok(value),
            Value::String(s) if s == "true" => Ok(Value::Bool(true)),
            Value::String(s) if s == "false" => Ok(Value::Bool(false)),
            other => Err(required("a bool", other)),
        },
        TypeConstraint::List(elem) => match value {
            Value::List(items) => Ok(Value::List(convert_elements(items, elem)?)),
            other => Err(required("a list", &other)),
        },
        TypeConstraint::Set(elem) => match value {
            Value::List(items) => Ok(Value::List(to_set(convert_elements(items, elem)?))),
            other => Err(required("a set", &other)),
        },
        TypeConstraint::Map(elem) => match value {
            Value::Object(map) => {
                let mut out = BTreeMap::new();
                for (k, v) in map {
                    let converted =
                        convert(v, elem).map_err(|e| format!("element \"{k}\": {e}"))?;
                    out.insert(k, converted);
                }
                Ok(Value::Object(out))
            }
            other => Err(required("a map", &other)),
        },
        TypeConstraint::Tuple(types) => match value {
            Value::List(items) if items.len() == types.len() => {
                let converted = items
                    .into_iter()
                    .zip(types)
                    .enumerate()
                    .map(|(i, (v, t))| convert(v, t).map_err(|e| format!("element {i}: {e}")))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Value::List(converted))
            }
            Value::List(items) => Err(format!(
                "a tuple of {} element{} is required, got a list of {} element{}",
                types.len(),
                plural(types.len()),
                items.len(),
                plural(items.len())
            )),
            other => Err(required("a tuple", &other)),
        },
        TypeConstraint::Object(attrs) => match value {
            Value::Object(map) => convert_object(map, attrs),
            other => Err(required("an object", &other)),
        },
    }
}

fn required(what: &str, got: &Value) -> String {
    format!("{what} is required, got {}", describe(got))
}

/// Parses a number the way Terraform converts strings: decimal notation only.
fn parse_number(s: &str) -> Option<f64> {
    let looks_numeric = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'))
        && s.chars().any(|c| c.is_ascii_digit());
    if !looks_numeric {
        return None;
    }
    s.parse::<f64>().ok().filter(|n| n.is_finite())
}

fn convert_elements(items: Vec<Value>, elem: &TypeConstraint) -> Result<Vec<Value>, String> {
    items
        .into_iter()
        .enumerate()
        .map(|(i, v)| convert(v, elem).map_err(|e| format!("element {i}: {e}")))
        .collect()
}

fn convert_object(
    mut map: BTreeMap<String, Value>,
    attrs: &BTreeMap<String, ObjectAttr>,
) -> Result<Value, String> {
    let mut out = BTreeMap::new();
    for (name, attr) in attrs {
        let value = match map.remove(name) {
            Some(Value::Null) | None if attr.optional => {
                attr.default.clone().unwrap_or(Value::Null)
            }
            Some(v) => convert(v, &attr.ty).map_err(|e| format!("attribute \"{name}\": {e}"))?,
            None => return Err(format!("attribute \"{name}\" is required")),
        };
        out.insert(name.clone(), value);
    }
    Ok(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{obj, parse, strs};

    fn ty(text: &str) -> TypeConstraint {
        parse_type(&parse(text)).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn primitive_and_collection_types_parse() {
        assert_eq!(ty("string"), TypeConstraint::String);
        assert_eq!(ty("any"), TypeConstraint::Any);
        assert_eq!(
            ty("list(number)"),
            TypeConstraint::List(Box::new(TypeConstraint::Number))
        );
        assert_eq!(
            ty("set(string)"),
            TypeConstraint::Set(Box::new(TypeConstraint::String))
        );
        assert_eq!(
            ty("map(list(bool))"),
            TypeConstraint::Map(Box::new(TypeConstraint::List(Box::new(
                TypeConstraint::Bool
            ))))
        );
        assert_eq!(
            ty("tuple([string, number])"),
            TypeConstraint::Tuple(vec![TypeConstraint::String, TypeConstraint::Number])
        );
    }

    #[test]
    fn object_types_parse_optional_attributes_with_defaults() {
        let TypeConstraint::Object(attrs) =
            ty("object({a = string, b = optional(number, \"5\"), c = optional(bool)})")
        else {
            panic!("not an object type");
        };
        assert_eq!(
            attrs["a"],
            ObjectAttr {
                ty: TypeConstraint::String,
                optional: false,
                default: None
            }
        );
        assert_eq!(
            attrs["b"],
            ObjectAttr {
                ty: TypeConstraint::Number,
                optional: true,
                default: Some(Value::Number(5.0))
            }
        );
        assert_eq!(
            attrs["c"],
            ObjectAttr {
                ty: TypeConstraint::Bool,
                optional: true,
                default: None
            }
        );
    }

    #[test]
    fn bad_types_are_rejected_with_a_hint() {
        assert!(parse_type(&parse("strin"))
            .unwrap_err()
            .contains("not a valid type"));
        assert!(parse_type(&parse("list"))
            .unwrap_err()
            .contains("list(string)"));
        assert!(parse_type(&parse("\"string\""))
            .unwrap_err()
            .contains("must not be quoted"));
        assert!(parse_type(&parse("list(string, number)"))
            .unwrap_err()
            .contains("exactly one argument"));
        assert!(parse_type(&parse("optional(string)"))
            .unwrap_err()
            .contains("object"));
        assert!(parse_type(&parse("object({a = optional(number, \"x\")})"))
            .unwrap_err()
            .contains("\"a\""));
    }

    #[test]
    fn primitives_convert_between_strings_numbers_and_bools() {
        assert_eq!(
            convert(Value::from("3600"), &TypeConstraint::Number),
            Ok(Value::Number(3600.0))
        );
        assert_eq!(
            convert(Value::Number(5.0), &TypeConstraint::String),
            Ok(Value::from("5"))
        );
        assert_eq!(
            convert(Value::from("true"), &TypeConstraint::Bool),
            Ok(Value::Bool(true))
        );
        assert_eq!(
            convert(Value::Bool(false), &TypeConstraint::String),
            Ok(Value::from("false"))
        );
    }

    #[test]
    fn conversion_errors_are_sentences_naming_the_value() {
        assert_eq!(
            convert(Value::from("abc"), &TypeConstraint::Number),
            Err("a number is required, got string \"abc\"".to_owned())
        );
        assert_eq!(
            convert(Value::from("yes"), &TypeConstraint::Bool),
            Err("a bool is required, got string \"yes\"".to_owned())
        );
        assert!(convert(strs(&["a"]), &TypeConstraint::String)
            .unwrap_err()
            .contains("a string is required, got list"));
        assert_eq!(
            convert(Value::List(vec![Value::from("x")]), &ty("list(number)")),
            Err("element 0: a number is required, got string \"x\"".to_owned())
        );
    }

    #[test]
    fn null_and_unknown_pass_any_type() {
        assert_eq!(
            convert(Value::Null, &TypeConstraint::Number),
            Ok(Value::Null)
        );
        assert_eq!(
            convert(Value::Unknown, &ty("object({a = string})")),
            Ok(Value::Unknown)
        );
    }

    #[test]
    fn lists_sets_and_tuples_convert() {
        assert_eq!(
            convert(strs(&["b", "a", "b"]), &ty("set(string)")),
            Ok(strs(&["a", "b"]))
        );
        assert_eq!(
            convert(
                Value::List(vec![Value::from(1i64), Value::from("x")]),
                &ty("list(string)")
            ),
            Ok(strs(&["1", "x"]))
        );
        assert!(convert(strs(&["a"]), &ty("tuple([string, string])"))
            .unwrap_err()
            .contains("tuple of 2 elements"));
        assert!(convert(obj([]), &ty("list(string)"))
            .unwrap_err()
            .contains("a list is required"));
    }

    #[test]
    fn objects_convert_to_maps_with_every_value_converted() {
        let v = obj([("a", Value::from(1i64)), ("b", Value::Bool(true))]);
        assert_eq!(
            convert(v, &ty("map(string)")),
            Ok(obj([("a", Value::from("1")), ("b", Value::from("true"))]))
        );
        let bad = obj([("a", strs(&[]))]);
        assert!(convert(bad, &ty("map(string)"))
            .unwrap_err()
            .starts_with("element \"a\": a string is required"));
    }

    #[test]
    fn object_attributes_are_checked_filled_and_trimmed() {
        let t =
            ty("object({name = string, size = optional(number, 5), tags = optional(map(string))})");
        let v = obj([("name", Value::from("x")), ("extra", Value::Bool(true))]);
        assert_eq!(
            convert(v, &t),
            Ok(obj([
                ("name", Value::from("x")),
                ("size", Value::from(5i64)),
                ("tags", Value::Null)
            ]))
        );
        assert_eq!(
            convert(obj([("size", Value::from("7"))]), &t),
            Err("attribute \"name\" is required".to_owned())
        );
        assert_eq!(
            convert(
                obj([("name", Value::from("x")), ("size", Value::from("big"))]),
                &t
            ),
            Err("attribute \"size\": a number is required, got string \"big\"".to_owned())
        );
    }
}
