//! Numeric functions: abs, ceil, floor, min, max, sum.

use aiu_model::Value;

use super::{take, Call};
use crate::EvalError;

fn map_number(call: &Call, args: Vec<Value>, f: fn(f64) -> f64) -> Result<Value, EvalError> {
    let [n] = take(call, args)?;
    Ok(Value::Number(f(call.number(0, &n)?)))
}

/// `abs(num)`.
pub(super) fn abs(call: &Call, args: Vec<Value>) -> Result<Value, EvalError> {
    map_number(call, args, f64::abs)
}

/// `ceil(num)`: the closest whole number not less than `num`.
pub(super) fn ceil(call: &Call, args: Vec<Value>) -> Result<Value, EvalError> {
    map_number(call, args, f64::ceil)
}

/// `floor(num)`: the closest whole number not greater than `num`.
pub(super) fn floor(call: &Call, args: Vec<Value>) -> Result<Value, EvalError> {
    map_number(call, args, f64::floor)
}

fn numbers(call: &Call, args: &[Value]) -> Result<Vec<f64>, EvalError> {
    args.iter()
        .enumerate()
        .map(|(i, v)| call.number(i, v))
        .collect()
}

/// `min(numbers...)`.
pub(super) fn min(call: &Call, args: Vec<Value>) -> Result<Value, EvalError> {
    Ok(Value::Number(
        numbers(call, &args)?
            .into_iter()
            .fold(f64::INFINITY, f64::min),
    ))
}

/// `max(numbers...)`.
pub(super) fn max(call: &Call, args: Vec<Value>) -> Result<Value, EvalError> {
    Ok(Value::Number(
        numbers(call, &args)?
            .into_iter()
            .fold(f64::NEG_INFINITY, f64::max),
    ))
}

/// `sum(list)`: the total of a non-empty list of numbers.
pub(super) fn sum(call: &Call, args: Vec<Value>) -> Result<Value, EvalError> {
    let [list] = take(call, args)?;
    let items = call.list(0, &list)?;
    if items.is_empty() {
        return Err(call.arg_error(0, "cannot sum an empty list."));
    }
    if list.contains_unknown() {
        return Ok(Value::Unknown);
    }
    let mut total = 0.0;
    for item in items {
        total += call.number(0, item)?;
    }
    Ok(Value::Number(total))
}

#[cfg(test)]
mod tests {
    use crate::test_support::{err_str, eval_str};
    use aiu_model::Value;

    #[test]
    fn abs_ceil_floor() {
        assert_eq!(eval_str("abs(-2.5)"), Value::Number(2.5));
        assert_eq!(eval_str("ceil(1.2)"), Value::from(2i64));
        assert_eq!(eval_str("floor(-1.2)"), Value::from(-2i64));
        assert!(err_str("abs(\"x\")")
            .detail
            .contains("a number is required, got string \"x\""));
    }

    #[test]
    fn min_max_and_sum() {
        assert_eq!(eval_str("min(3, 1, 2)"), Value::from(1i64));
        assert_eq!(eval_str("max(3, 1, \"7\")"), Value::from(7i64));
        assert_eq!(eval_str("sum([1, 2, 3.5])"), Value::Number(6.5));
        assert!(err_str("sum([])").detail.contains("empty list"));
        assert_eq!(err_str("max()").summary, "Not enough function arguments");
    }
}
