//! Type conversion functions: tostring, tonumber, tobool, tolist, toset, tomap. Null converts
//! to null.

use aiu_model::Value;

use super::{take, Call};
use crate::types::convert;
use crate::util::{to_set, unify_primitives};
use crate::{EvalError, TypeConstraint};

fn convert_arg(call: &Call, args: Vec<Value>, ty: TypeConstraint) -> Result<Value, EvalError> {
    let [value] = take(call, args)?;
    convert(value, &ty).map_err(|message| call.arg_error(0, message))
}

/// `tostring(v)`.
pub(super) fn tostring(call: &Call, args: Vec<Value>) -> Result<Value, EvalError> {
    convert_arg(call, args, TypeConstraint::String)
}

/// `tonumber(v)`.
pub(super) fn tonumber(call: &Call, args: Vec<Value>) -> Result<Value, EvalError> {
    convert_arg(call, args, TypeConstraint::Number)
}

/// `tobool(v)`.
pub(super) fn tobool(call: &Call, args: Vec<Value>) -> Result<Value, EvalError> {
    convert_arg(call, args, TypeConstraint::Bool)
}

/// `tolist(v)`: a list; mixed strings and numbers become strings.
pub(super) fn tolist(call: &Call, args: Vec<Value>) -> Result<Value, EvalError> {
    let [value] = take(call, args)?;
    match value {
        Value::Null => Ok(Value::Null),
        Value::List(items) => Ok(Value::List(unify_primitives(items))),
        other => Err(call.arg_error(
            0,
            format!("cannot convert {} to a list.", other.type_name()),
        )),
    }
}

/// `toset(v)`: sorted and de-duplicated.
pub(super) fn toset(call: &Call, args: Vec<Value>) -> Result<Value, EvalError> {
    let [value] = take(call, args)?;
    match value {
        Value::Null => Ok(Value::Null),
        Value::List(items) => Ok(Value::List(to_set(items))),
        other => Err(call.arg_error(0, format!("cannot convert {} to a set.", other.type_name()))),
    }
}

/// `tomap(v)`: an object as a map; mixed strings and numbers become strings.
pub(super) fn tomap(call: &Call, args: Vec<Value>) -> Result<Value, EvalError> {
    let [value] = take(call, args)?;
    match value {
        Value::Null => Ok(Value::Null),
        Value::Object(map) => {
            let (keys, values): (Vec<String>, Vec<Value>) = map.into_iter().unzip();
            Ok(Value::Object(
                keys.into_iter().zip(unify_primitives(values)).collect(),
            ))
        }
        other => Err(call.arg_error(0, format!("cannot convert {} to a map.", other.type_name()))),
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::{err_str, eval_str, obj, strs};
    use aiu_model::Value;

    #[test]
    fn tostring_tonumber_tobool_convert_primitives() {
        assert_eq!(eval_str("tostring(5)"), Value::from("5"));
        assert_eq!(eval_str("tostring(true)"), Value::from("true"));
        assert_eq!(eval_str("tostring(null)"), Value::Null);
        assert_eq!(eval_str("tonumber(\"3600\")"), Value::from(3600i64));
        assert_eq!(eval_str("tobool(\"false\")"), Value::Bool(false));
        assert!(err_str("tonumber(\"abc\")")
            .detail
            .contains("a number is required, got string \"abc\""));
        assert_eq!(err_str("tostring([])").summary, "Invalid function argument");
    }

    #[test]
    fn tolist_toset_tomap() {
        assert_eq!(eval_str("tolist([\"a\", 1])"), strs(&["a", "1"]));
        assert_eq!(eval_str("toset([\"b\", \"a\", \"b\"])"), strs(&["a", "b"]));
        assert_eq!(
            eval_str("tomap({a = 1, b = \"x\"})"),
            obj([("a", Value::from("1")), ("b", Value::from("x"))])
        );
        assert!(err_str("toset(\"a\")")
            .detail
            .contains("cannot convert string to a set"));
    }
}
