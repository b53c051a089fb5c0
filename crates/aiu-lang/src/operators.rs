//! Unary and binary operators: arithmetic, comparison, logical and (deep) equality, with
//! Terraform's conversions (numeric strings work in arithmetic) and unknown propagation.

use aiu_model::Value;
use hcl::expr::{BinaryOperator, Operation, UnaryOperator};

use crate::eval::{eval_expr, Scope};
use crate::util::{describe, values_equal};
use crate::EvalError;

/// Evaluates a unary or binary operation.
pub(crate) fn eval_operation(op: &Operation, scope: &Scope) -> Result<Value, EvalError> {
    match op {
        Operation::Unary(u) => {
            let operand = eval_expr(&u.expr, scope)?;
            unary(u.operator, operand)
        }
        Operation::Binary(b) => {
            let lhs = eval_expr(&b.lhs_expr, scope)?;
            let rhs = eval_expr(&b.rhs_expr, scope)?;
            binary(b.operator, lhs, rhs)
        }
    }
}

/// `-x` and `!x`.
pub(crate) fn unary(op: UnaryOperator, operand: Value) -> Result<Value, EvalError> {
    match op {
        UnaryOperator::Neg => {
            Ok(number_operand(&operand, "-")?.map_or(Value::Unknown, |n| Value::Number(-n)))
        }
        UnaryOperator::Not => {
            Ok(bool_operand(&operand, "!")?.map_or(Value::Unknown, |b| Value::Bool(!b)))
        }
    }
}

/// `lhs <op> rhs`.
pub(crate) fn binary(op: BinaryOperator, lhs: Value, rhs: Value) -> Result<Value, EvalError> {
    let symbol = op.as_str();
    match op {
        BinaryOperator::Eq => Ok(values_equal(&lhs, &rhs).map_or(Value::Unknown, Value::Bool)),
        BinaryOperator::NotEq => {
            Ok(values_equal(&lhs, &rhs).map_or(Value::Unknown, |eq| Value::Bool(!eq)))
        }
        BinaryOperator::And | BinaryOperator::Or => {
            let l = bool_operand(&lhs, symbol)?;
            let r = bool_operand(&rhs, symbol)?;
            let is_and = matches!(op, BinaryOperator::And);
            // A known deciding side settles the result even when the other side is unknown.
            let decisive = !is_and;
            if l == Some(decisive) || r == Some(decisive) {
                return Ok(Value::Bool(decisive));
            }
            match (l, r) {
                (Some(a), Some(b)) => Ok(Value::Bool(if is_and { a && b } else { a || b })),
                _ => Ok(Value::Unknown),
            }
        }
        _ => {
            let l = number_operand(&lhs, symbol)?;
            let r = number_operand(&rhs, symbol)?;
            let (Some(a), Some(b)) = (l, r) else {
                return Ok(Value::Unknown);
            };
            arithmetic_or_comparison(op, a, b)
        }
    }
}

fn arithmetic_or_comparison(op: BinaryOperator, a: f64, b: f64) -> Result<Value, EvalError> {
    let value = match op {
        BinaryOperator::Plus => Value::Number(a + b),
        BinaryOperator::Minus => Value::Number(a - b),
        BinaryOperator::Mul => Value::Number(a * b),
        BinaryOperator::Div | BinaryOperator::Mod if b == 0.0 => {
            return Err(EvalError::new(
                "Division by zero",
                format!(
                    "The right-hand operand of \"{}\" is zero; division by zero is not defined.",
                    op.as_str()
                ),
            ))
        }
        BinaryOperator::Div => Value::Number(a / b),
        BinaryOperator::Mod => Value::Number(a % b),
        BinaryOperator::Less => Value::Bool(a < b),
        BinaryOperator::LessEq => Value::Bool(a <= b),
        BinaryOperator::Greater => Value::Bool(a > b),
        BinaryOperator::GreaterEq => Value::Bool(a >= b),
        _ => {
            return Err(EvalError::new(
                "Unsupported operator",
                format!("The operator \"{}\" is not supported.", op.as_str()),
            ))
        }
    };
    Ok(value)
}

/// A number operand, converting numeric strings. `Ok(None)` when unknown.
fn number_operand(value: &Value, symbol: &str) -> Result<Option<f64>, EvalError> {
    match value {
        Value::Number(n) => Ok(Some(*n)),
        Value::Unknown => Ok(None),
        Value::String(s) => match s.trim().parse::<f64>() {
            Ok(n) if n.is_finite() => Ok(Some(n)),
            _ => Err(operand_error(symbol, "a number", value)),
        },
        other => Err(operand_error(symbol, "a number", other)),
    }
}

/// A bool operand, converting "true"/"false". `Ok(None)` when unknown.
fn bool_operand(value: &Value, symbol: &str) -> Result<Option<bool>, EvalError> {
    match value {
        Value::Bool(b) => Ok(Some(*b)),
        Value::Unknown => Ok(None),
        Value::String(s) if s == "true" => Ok(Some(true)),
        Value::String(s) if s == "false" => Ok(Some(false)),
        other => Err(operand_error(symbol, "a bool", other)),
    }
}

fn operand_error(symbol: &str, required: &str, got: &Value) -> EvalError {
    EvalError::new(
        "Invalid operand",
        format!(
            "The operator \"{symbol}\" requires {required}, but an operand is {}.",
            describe(got)
        ),
    )
}

#[cfg(test)]
mod tests {
    use crate::test_support::{err_str, eval_str, eval_with, obj};
    use aiu_model::Value;

    #[test]
    fn arithmetic_follows_precedence_and_converts_numeric_strings() {
        assert_eq!(eval_str("1 + 2 * 3"), Value::from(7i64));
        assert_eq!(eval_str("(1 + 2) * 3"), Value::from(9i64));
        assert_eq!(eval_str("\"5\" + 1"), Value::from(6i64));
        assert_eq!(eval_str("7 % 3"), Value::from(1i64));
        assert_eq!(eval_str("7 / 2"), Value::Number(3.5));
        assert_eq!(eval_str("-(2 - 5)"), Value::from(3i64));
    }

    #[test]
    fn arithmetic_on_non_numbers_and_division_by_zero_are_errors() {
        assert_eq!(err_str("1 + true").summary, "Invalid operand");
        assert!(err_str("\"abc\" * 2").detail.contains("string \"abc\""));
        assert_eq!(err_str("1 / 0").summary, "Division by zero");
    }

    #[test]
    fn comparisons_compare_numbers() {
        assert_eq!(eval_str("1 < 2"), Value::Bool(true));
        assert_eq!(eval_str("2 <= 2"), Value::Bool(true));
        assert_eq!(eval_str("3 > 4"), Value::Bool(false));
        assert_eq!(eval_str("4 >= 5"), Value::Bool(false));
    }

    #[test]
    fn equality_is_deep_and_type_sensitive() {
        assert_eq!(
            eval_str("[1, {a = \"x\"}] == [1, {a = \"x\"}]"),
            Value::Bool(true)
        );
        assert_eq!(eval_str("{a = 1} != {a = 2}"), Value::Bool(true));
        assert_eq!(eval_str("\"1\" == 1"), Value::Bool(false));
        assert_eq!(eval_str("null == null"), Value::Bool(true));
    }

    #[test]
    fn logical_operators_and_negation() {
        assert_eq!(eval_str("true && false"), Value::Bool(false));
        assert_eq!(eval_str("true || false"), Value::Bool(true));
        assert_eq!(eval_str("!true"), Value::Bool(false));
        assert_eq!(err_str("!1").summary, "Invalid operand");
    }

    #[test]
    fn unknown_operands_make_unknown_results_unless_the_other_side_decides() {
        let root = [("u", obj([("x", Value::Unknown)]))];
        assert_eq!(eval_with("u.x + 1", root.clone()), Value::Unknown);
        assert_eq!(eval_with("u.x == 1", root.clone()), Value::Unknown);
        assert_eq!(eval_with("[u.x] == [1]", root.clone()), Value::Unknown);
        assert_eq!(eval_with("!u.x", root.clone()), Value::Unknown);
        assert_eq!(eval_with("u.x && true", root.clone()), Value::Unknown);
        assert_eq!(eval_with("false && u.x", root.clone()), Value::Bool(false));
        assert_eq!(eval_with("u.x || true", root), Value::Bool(true));
    }
}
