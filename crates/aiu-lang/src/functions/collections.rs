//! Collection functions: length, keys/values, lookup, merge, concat, contains, distinct,
//! flatten, coalesce, compact, sort, reverse, slice, element, one, alltrue/anytrue, range,
//! zipmap.

use std::collections::BTreeMap;

use aiu_model::Value;

use super::{take, Call};
use crate::util::{describe, primitive_string, to_set, values_equal};
use crate::EvalError;

/// `length(value)`: elements of a list, attributes of a map, characters of a string. Known
/// even when elements are unknown.
pub(super) fn length(call: &Call, args: Vec<Value>) -> Result<Value, EvalError> {
    let [value] = take(call, args)?;
    let n = match &value {
        Value::List(items) => items.len(),
        Value::Object(map) => map.len(),
        Value::String(s) => s.chars().count(),
        other => {
            return Err(call.arg_error(
                0,
                format!(
                    "a list, map or string is required, got {}.",
                    describe(other)
                ),
            ))
        }
    };
    Ok(Value::Number(n as f64))
}

/// `keys(map)`: the keys, sorted.
pub(super) fn keys(call: &Call, args: Vec<Value>) -> Result<Value, EvalError> {
    let [map] = take(call, args)?;
    Ok(Value::List(
        call.map(0, &map)?
            .keys()
            .map(|k| Value::from(k.as_str()))
            .collect(),
    ))
}

/// `values(map)`: the values, in key order.
pub(super) fn values(call: &Call, args: Vec<Value>) -> Result<Value, EvalError> {
    let [map] = take(call, args)?;
    Ok(Value::List(call.map(0, &map)?.values().cloned().collect()))
}

/// `lookup(map, key[, default])`: the value at `key`, else `default`.
pub(super) fn lookup(call: &Call, args: Vec<Value>) -> Result<Value, EvalError> {
    let map = call.map(0, &args[0])?;
    let key = call.string(1, &args[1])?;
    match (map.get(&key), args.get(2)) {
        (Some(v), _) => Ok(v.clone()),
        (None, Some(default)) => Ok(default.clone()),
        (None, None) => Err(call.arg_error(
            1,
            format!("the map has no key \"{key}\". Pass a default as the third argument to lookup() if the key may be missing."),
        )),
    }
}

/// `merge(maps...)`: later maps override earlier ones; null arguments are skipped.
pub(super) fn merge(call: &Call, args: Vec<Value>) -> Result<Value, EvalError> {
    let mut merged = BTreeMap::new();
    for (i, arg) in args.iter().enumerate() {
        if arg.is_null() {
            continue;
        }
        merged.extend(
            call.map(i, arg)?
                .iter()
                .map(|(k, v)| (k.clone(), v.clone())),
        );
    }
    Ok(Value::Object(merged))
}

/// `concat(lists...)`: one list with the elements of all of them.
pub(super) fn concat(call: &Call, args: Vec<Value>) -> Result<Value, EvalError> {
    let mut out = Vec::new();
    for (i, arg) in args.iter().enumerate() {
        out.extend_from_slice(call.list(i, arg)?);
    }
    Ok(Value::List(out))
}

/// Equality for `contains`: deep, but a string element matches the same number or bool
/// (Terraform converts the value to the element type).
fn loosely_equal(element: &Value, value: &Value) -> Option<bool> {
    let exact = values_equal(element, value)?;
    if exact {
        return Some(true);
    }
    match (element, value) {
        (Value::String(s), Value::Number(_) | Value::Bool(_)) => {
            Some(primitive_string(value).as_deref() == Some(s))
        }
        _ => Some(false),
    }
}

/// `contains(list, value)`.
pub(super) fn contains(call: &Call, args: Vec<Value>) -> Result<Value, EvalError> {
    let [list, value] = take(call, args)?;
    let items = call.list(0, &list)?;
    if value.contains_unknown() {
        return Ok(Value::Unknown);
    }
    let mut undecided = false;
    for item in items {
        match loosely_equal(item, &value) {
            Some(true) => return Ok(Value::Bool(true)),
            Some(false) => {}
            None => undecided = true,
        }
    }
    Ok(if undecided {
        Value::Unknown
    } else {
        Value::Bool(false)
    })
}

/// `distinct(list)`: the first occurrence of every element, in order.
pub(super) fn distinct(call: &Call, args: Vec<Value>) -> Result<Value, EvalError> {
    let [list] = take(call, args)?;
    let items = call.list(0, &list)?;
    if list.contains_unknown() {
        return Ok(Value::Unknown);
    }
    let mut out: Vec<Value> = Vec::new();
    for item in items {
        if !out.contains(item) {
            out.push(item.clone());
        }
    }
    Ok(Value::List(out))
}

/// `flatten(list)`: nested lists replaced by their elements, recursively.
pub(super) fn flatten(call: &Call, args: Vec<Value>) -> Result<Value, EvalError> {
    fn walk(items: &[Value], out: &mut Vec<Value>) -> bool {
        for item in items {
            match item {
                Value::List(inner) => {
                    if !walk(inner, out) {
                        return false;
                    }
                }
                Value::Unknown => return false,
                other => out.push(other.clone()),
            }
        }
        true
    }
    let [list] = take(call, args)?;
    let items = call.list(0, &list)?;
    let mut out = Vec::new();
    if !walk(items, &mut out) {
        return Ok(Value::Unknown);
    }
    Ok(Value::List(out))
}

/// `coalesce(vals...)`: the first argument that is neither null nor an empty string.
pub(super) fn coalesce(call: &Call, args: Vec<Value>) -> Result<Value, EvalError> {
    for arg in args {
        match &arg {
            Value::Null => continue,
            Value::String(s) if s.is_empty() => continue,
            _ => return Ok(arg),
        }
    }
    Err(call.error("no non-null, non-empty-string arguments. Add a final fallback argument."))
}

/// `coalescelist(lists...)`: the first non-empty list.
pub(super) fn coalescelist(call: &Call, args: Vec<Value>) -> Result<Value, EvalError> {
    for (i, arg) in args.iter().enumerate() {
        if arg.is_null() {
            continue;
        }
        if !call.list(i, arg)?.is_empty() {
            return Ok(arg.clone());
        }
    }
    Err(call.error("no non-null, non-empty list arguments. Add a final fallback list."))
}

/// `compact(list)`: without null and empty-string elements.
pub(super) fn compact(call: &Call, args: Vec<Value>) -> Result<Value, EvalError> {
    let [list] = take(call, args)?;
    let mut out = Vec::new();
    for item in call.list(0, &list)? {
        match item {
            Value::Unknown => return Ok(Value::Unknown),
            Value::Null => {}
            Value::String(s) if s.is_empty() => {}
            other => out.push(Value::String(call.string(0, other)?)),
        }
    }
    Ok(Value::List(out))
}

/// `sort(list)`: the elements as strings, in lexical order.
pub(super) fn sort(call: &Call, args: Vec<Value>) -> Result<Value, EvalError> {
    let [list] = take(call, args)?;
    let items = call.list(0, &list)?;
    if list.contains_unknown() {
        return Ok(Value::Unknown);
    }
    let mut strings = items
        .iter()
        .map(|v| call.string(0, v))
        .collect::<Result<Vec<_>, _>>()?;
    strings.sort();
    Ok(Value::List(
        strings.into_iter().map(Value::String).collect(),
    ))
}

/// `reverse(list)`.
pub(super) fn reverse(call: &Call, args: Vec<Value>) -> Result<Value, EvalError> {
    let [list] = take(call, args)?;
    Ok(Value::List(
        call.list(0, &list)?.iter().rev().cloned().collect(),
    ))
}

/// `slice(list, start, end)`: elements from `start` up to but excluding `end`.
pub(super) fn slice(call: &Call, args: Vec<Value>) -> Result<Value, EvalError> {
    let [list, start, end] = take(call, args)?;
    let items = call.list(0, &list)?;
    let start = call.integer(1, &start)?;
    let end = call.integer(2, &end)?;
    let len = items.len() as i64;
    if start < 0 || start > len {
        return Err(call.arg_error(
            1,
            format!("the start index {start} is outside the list of {len} elements."),
        ));
    }
    if end < start || end > len {
        return Err(call.arg_error(2, format!("the end index {end} must be between the start index {start} and the list length {len}.")));
    }
    Ok(Value::List(items[start as usize..end as usize].to_vec()))
}

/// `element(list, index)`: the element at `index`, wrapping around past the end.
pub(super) fn element(call: &Call, args: Vec<Value>) -> Result<Value, EvalError> {
    let [list, index] = take(call, args)?;
    let items = call.list(0, &list)?;
    let index = call.integer(1, &index)?;
    if items.is_empty() {
        return Err(call.arg_error(0, "cannot use element() with an empty list."));
    }
    if index < 0 {
        return Err(call.arg_error(1, format!("the index must not be negative, got {index}.")));
    }
    let i = (index as u64 % items.len() as u64) as usize;
    Ok(items.get(i).cloned().unwrap_or(Value::Null))
}

/// `one(list)`: null for an empty list, the element of a one-element list, else an error.
pub(super) fn one(call: &Call, args: Vec<Value>) -> Result<Value, EvalError> {
    let [list] = take(call, args)?;
    if list.is_null() {
        return Ok(Value::Null);
    }
    match call.list(0, &list)? {
        [] => Ok(Value::Null),
        [single] => Ok(single.clone()),
        many => Err(call.arg_error(
            0,
            format!(
                "must be a list with no more than one element, got {} elements.",
                many.len()
            ),
        )),
    }
}

fn all_or_any(call: &Call, args: Vec<Value>, all: bool) -> Result<Value, EvalError> {
    let [list] = take(call, args)?;
    let mut unknown = false;
    for item in call.list(0, &list)? {
        if item.is_unknown() {
            unknown = true;
            continue;
        }
        if call.boolean(0, item)? != all {
            return Ok(Value::Bool(!all));
        }
    }
    Ok(if unknown {
        Value::Unknown
    } else {
        Value::Bool(all)
    })
}

/// `alltrue(list)`: true when every element is true (and for an empty list).
pub(super) fn alltrue(call: &Call, args: Vec<Value>) -> Result<Value, EvalError> {
    all_or_any(call, args, true)
}

/// `anytrue(list)`: true when some element is true.
pub(super) fn anytrue(call: &Call, args: Vec<Value>) -> Result<Value, EvalError> {
    all_or_any(call, args, false)
}

/// The most elements `range()` produces.
const RANGE_LIMIT: usize = 1024 * 1024;

/// `range(limit)`, `range(start, limit)`, `range(start, limit, step)`.
pub(super) fn range(call: &Call, args: Vec<Value>) -> Result<Value, EvalError> {
    let numbers = args
        .iter()
        .enumerate()
        .map(|(i, v)| call.number(i, v))
        .collect::<Result<Vec<_>, _>>()?;
    let (start, limit, step) = match numbers.as_slice() {
        [limit] => (0.0, *limit, 1.0),
        [start, limit] => (*start, *limit, if limit >= start { 1.0 } else { -1.0 }),
        [start, limit, step] => (*start, *limit, *step),
        _ => return Err(call.error("expects 1 to 3 arguments.")),
    };
    if step == 0.0 {
        return Err(call.arg_error(2, "the step must not be zero."));
    }
    if (step > 0.0 && limit < start) || (step < 0.0 && limit > start) {
        return Err(call.arg_error(
            2,
            format!("a step of {step} never reaches the limit {limit} from {start}."),
        ));
    }
    let mut out = Vec::new();
    let mut n = start;
    while (step > 0.0 && n < limit) || (step < 0.0 && n > limit) {
        if out.len() >= RANGE_LIMIT {
            return Err(call.error(format!(
                "the range would have more than {RANGE_LIMIT} elements."
            )));
        }
        out.push(Value::Number(n));
        n += step;
    }
    Ok(Value::List(out))
}

/// `zipmap(keys, values)`: a map from each key to the value at the same position.
pub(super) fn zipmap(call: &Call, args: Vec<Value>) -> Result<Value, EvalError> {
    let [keys, values] = take(call, args)?;
    let keys = call.list(0, &keys)?;
    let values = call.list(1, &values)?;
    if keys.len() != values.len() {
        return Err(call.error(format!(
            "the number of keys ({}) and values ({}) must be the same.",
            keys.len(),
            values.len()
        )));
    }
    let mut map = BTreeMap::new();
    for (k, v) in keys.iter().zip(values) {
        if k.is_unknown() {
            return Ok(Value::Unknown);
        }
        map.insert(call.string(0, k)?, v.clone());
    }
    Ok(Value::Object(map))
}

fn set_args<'v>(call: &Call, args: &'v [Value]) -> Result<Option<Vec<&'v [Value]>>, EvalError> {
    if args.iter().any(Value::contains_unknown) {
        return Ok(None);
    }
    args.iter()
        .enumerate()
        .map(|(i, a)| call.list(i, a))
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// `setunion(sets...)`: every element of any set.
pub(super) fn setunion(call: &Call, args: Vec<Value>) -> Result<Value, EvalError> {
    let Some(sets) = set_args(call, &args)? else {
        return Ok(Value::Unknown);
    };
    Ok(Value::List(to_set(
        sets.into_iter().flatten().cloned().collect(),
    )))
}

/// `setintersection(sets...)`: the elements in every set.
pub(super) fn setintersection(call: &Call, args: Vec<Value>) -> Result<Value, EvalError> {
    let Some(sets) = set_args(call, &args)? else {
        return Ok(Value::Unknown);
    };
    let Some((first, rest)) = sets.split_first() else {
        return Ok(Value::List(Vec::new()));
    };
    let common = first
        .iter()
        .filter(|v| rest.iter().all(|s| s.contains(v)))
        .cloned()
        .collect();
    Ok(Value::List(to_set(common)))
}

/// `setsubtract(a, b)`: the elements of `a` that are not in `b`.
pub(super) fn setsubtract(call: &Call, args: Vec<Value>) -> Result<Value, EvalError> {
    let Some(sets) = set_args(call, &args)? else {
        return Ok(Value::Unknown);
    };
    let [a, b] = sets.as_slice() else {
        return Err(call.error("expects exactly 2 sets."));
    };
    Ok(Value::List(to_set(
        a.iter().filter(|v| !b.contains(v)).cloned().collect(),
    )))
}

/// `setproduct(sets...)`: every combination taking one element from each set, in order.
pub(super) fn setproduct(call: &Call, args: Vec<Value>) -> Result<Value, EvalError> {
    let Some(sets) = set_args(call, &args)? else {
        return Ok(Value::Unknown);
    };
    let total = sets
        .iter()
        .try_fold(1usize, |total, set| total.checked_mul(set.len()));
    if total.is_none_or(|total| total > RANGE_LIMIT) {
        return Err(call.error(format!(
            "the product would have more than {RANGE_LIMIT} elements."
        )));
    }
    let mut rows: Vec<Vec<Value>> = vec![Vec::new()];
    for set in sets {
        rows = rows
            .into_iter()
            .flat_map(|row| {
                set.iter().map(move |v| {
                    let mut next = row.clone();
                    next.push(v.clone());
                    next
                })
            })
            .collect();
    }
    Ok(Value::List(rows.into_iter().map(Value::List).collect()))
}

#[cfg(test)]
mod tests {
    use crate::test_support::{err_str, eval_str, eval_with, obj, strs};
    use aiu_model::Value;

    fn nums(items: &[f64]) -> Value {
        Value::List(items.iter().map(|n| Value::Number(*n)).collect())
    }

    #[test]
    fn length_counts_lists_maps_and_characters() {
        assert_eq!(eval_str("length([1, 2, 3])"), Value::from(3i64));
        assert_eq!(eval_str("length({a = 1})"), Value::from(1i64));
        assert_eq!(eval_str("length(\"héllo\")"), Value::from(5i64));
        assert_eq!(err_str("length(null)").summary, "Invalid function argument");
    }

    #[test]
    fn keys_are_sorted_and_values_follow_key_order() {
        assert_eq!(eval_str("keys({b = 1, a = 2})"), strs(&["a", "b"]));
        assert_eq!(eval_str("values({b = 1, a = 2})"), nums(&[2.0, 1.0]));
    }

    #[test]
    fn lookup_uses_the_default_only_when_the_key_is_missing() {
        assert_eq!(eval_str("lookup({a = 1}, \"a\", 2)"), Value::from(1i64));
        assert_eq!(eval_str("lookup({a = 1}, \"b\", 2)"), Value::from(2i64));
        assert!(err_str("lookup({a = 1}, \"b\")")
            .detail
            .contains("no key \"b\""));
    }

    #[test]
    fn merge_lets_later_maps_win_and_skips_nulls() {
        assert_eq!(
            eval_str("merge({a = 1, b = 1}, null, {b = 2})"),
            obj([("a", Value::from(1i64)), ("b", Value::from(2i64))])
        );
    }

    #[test]
    fn concat_appends_lists() {
        assert_eq!(
            eval_str("concat([\"a\"], [], [\"b\", \"c\"])"),
            strs(&["a", "b", "c"])
        );
    }

    #[test]
    fn contains_compares_deeply() {
        assert_eq!(
            eval_str("contains([\"a\", \"b\"], \"b\")"),
            Value::Bool(true)
        );
        assert_eq!(eval_str("contains([[1]], [1])"), Value::Bool(true));
        assert_eq!(eval_str("contains([\"1\"], 1)"), Value::Bool(true));
        assert_eq!(eval_str("contains([], 1)"), Value::Bool(false));
    }

    #[test]
    fn contains_with_unknown_elements_is_unknown_unless_found() {
        let root = [("u", obj([("x", Value::Unknown)]))];
        assert_eq!(
            eval_with("contains([u.x, \"a\"], \"a\")", root.clone()),
            Value::Bool(true)
        );
        assert_eq!(eval_with("contains([u.x], \"a\")", root), Value::Unknown);
    }

    #[test]
    fn distinct_keeps_first_occurrences_in_order() {
        assert_eq!(
            eval_str("distinct([\"b\", \"a\", \"b\"])"),
            strs(&["b", "a"])
        );
    }

    #[test]
    fn flatten_removes_all_nesting() {
        assert_eq!(
            eval_str("flatten([[\"a\"], [[\"b\"], []], \"c\"])"),
            strs(&["a", "b", "c"])
        );
        let root = [("u", obj([("x", Value::Unknown)]))];
        assert_eq!(eval_with("flatten([[\"a\"], u.x])", root), Value::Unknown);
    }

    #[test]
    fn coalesce_skips_nulls_and_empty_strings() {
        assert_eq!(eval_str("coalesce(null, \"\", \"b\")"), Value::from("b"));
        assert_eq!(
            err_str("coalesce(null, \"\")").summary,
            "Error in function call"
        );
        assert_eq!(eval_str("coalescelist([], [\"a\"])"), strs(&["a"]));
    }

    #[test]
    fn compact_removes_nulls_and_empty_strings() {
        assert_eq!(
            eval_str("compact([\"a\", \"\", null, \"b\"])"),
            strs(&["a", "b"])
        );
    }

    #[test]
    fn sort_orders_lexically_and_reverse_reverses() {
        assert_eq!(
            eval_str("sort([\"b\", \"a\", \"c\"])"),
            strs(&["a", "b", "c"])
        );
        assert_eq!(eval_str("sort([10, 9])"), strs(&["10", "9"]));
        assert_eq!(eval_str("reverse([1, 2])"), nums(&[2.0, 1.0]));
    }

    #[test]
    fn slice_takes_a_half_open_range() {
        assert_eq!(
            eval_str("slice([\"a\", \"b\", \"c\"], 1, 3)"),
            strs(&["b", "c"])
        );
        assert_eq!(
            err_str("slice([\"a\"], 0, 2)").summary,
            "Invalid function argument"
        );
    }

    #[test]
    fn element_wraps_around() {
        assert_eq!(eval_str("element([\"a\", \"b\"], 3)"), Value::from("b"));
        assert!(err_str("element([], 0)").detail.contains("empty list"));
    }

    #[test]
    fn one_returns_null_the_element_or_fails() {
        assert_eq!(eval_str("one([])"), Value::Null);
        assert_eq!(eval_str("one([\"a\"])"), Value::from("a"));
        assert!(err_str("one([1, 2])")
            .detail
            .contains("no more than one element"));
    }

    #[test]
    fn alltrue_and_anytrue() {
        assert_eq!(eval_str("alltrue([true, true])"), Value::Bool(true));
        assert_eq!(eval_str("alltrue([])"), Value::Bool(true));
        assert_eq!(eval_str("anytrue([false, true])"), Value::Bool(true));
        assert_eq!(eval_str("anytrue([])"), Value::Bool(false));
        let root = [("u", obj([("x", Value::Unknown)]))];
        assert_eq!(
            eval_with("alltrue([u.x, false])", root.clone()),
            Value::Bool(false)
        );
        assert_eq!(eval_with("alltrue([u.x, true])", root), Value::Unknown);
    }

    #[test]
    fn range_supports_one_two_and_three_arguments() {
        assert_eq!(eval_str("range(3)"), nums(&[0.0, 1.0, 2.0]));
        assert_eq!(eval_str("range(1, 3)"), nums(&[1.0, 2.0]));
        assert_eq!(eval_str("range(3, 0)"), nums(&[3.0, 2.0, 1.0]));
        assert_eq!(eval_str("range(0, 10, 4)"), nums(&[0.0, 4.0, 8.0]));
        assert_eq!(
            err_str("range(0, 1, 0)").summary,
            "Invalid function argument"
        );
        assert_eq!(
            err_str("range(0, 1, 2, 3)").summary,
            "Too many function arguments"
        );
    }

    #[test]
    fn set_functions_combine_sets() {
        assert_eq!(
            eval_str("setunion([\"b\"], [\"a\", \"b\"])"),
            strs(&["a", "b"])
        );
        assert_eq!(
            eval_str("setintersection([\"a\", \"b\"], [\"b\", \"c\"])"),
            strs(&["b"])
        );
        assert_eq!(
            eval_str("setsubtract([\"a\", \"b\"], [\"b\"])"),
            strs(&["a"])
        );
        assert_eq!(
            eval_str("setproduct([\"a\", \"b\"], [\"x\"])"),
            Value::List(vec![strs(&["a", "x"]), strs(&["b", "x"])])
        );
    }

    #[test]
    fn zipmap_pairs_keys_with_values() {
        assert_eq!(
            eval_str("zipmap([\"a\", \"b\"], [1, 2])"),
            obj([("a", Value::from(1i64)), ("b", Value::from(2i64))])
        );
        assert!(err_str("zipmap([\"a\"], [])")
            .detail
            .contains("must be the same"));
    }
}
