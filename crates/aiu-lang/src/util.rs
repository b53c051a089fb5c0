//! Value helpers shared by the evaluator, the functions and the type conversions: string forms
//! of primitives, a total order for sets, deep equality and "did you mean" suggestions.

use std::cmp::Ordering;

use aiu_model::value::format_number;
use aiu_model::Value;

/// The string form of a primitive (`5` -> "5", `true` -> "true"); `None` for null, unknown,
/// lists and objects.
pub(crate) fn primitive_string(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(format_number(*n)),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Describes a value for an error message: `string "abc"`, `number 5`, `list`, `object`, `null`.
pub(crate) fn describe(value: &Value) -> String {
    match value {
        Value::String(s) => {
            let shown: String = s.chars().take(60).collect();
            let ellipsis = if shown.len() < s.len() { "..." } else { "" };
            format!("string {}{ellipsis}", serde_json::Value::String(shown))
        }
        Value::Number(n) => format!("number {}", format_number(*n)),
        Value::Bool(b) => format!("bool {b}"),
        Value::List(items) => format!("list of {} element{}", items.len(), plural(items.len())),
        Value::Object(map) => format!("object with {} attribute{}", map.len(), plural(map.len())),
        Value::Null => "null".to_owned(),
        Value::Unknown => "an unknown value".to_owned(),
    }
}

/// "s" unless `n` is one.
pub(crate) fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Deep equality. `None` when either side contains an unknown value.
pub(crate) fn values_equal(a: &Value, b: &Value) -> Option<bool> {
    if a.contains_unknown() || b.contains_unknown() {
        return None;
    }
    Some(a == b)
}

fn type_rank(value: &Value) -> u8 {
    match value {
        Value::Null => 0,
        Value::Bool(_) => 1,
        Value::Number(_) => 2,
        Value::String(_) => 3,
        Value::List(_) => 4,
        Value::Object(_) => 5,
        Value::Unknown => 6,
    }
}

/// A total order over values, used for sets: by type, then numbers numerically, strings
/// lexically, lists and objects element by element. Unknown values sort last.
pub(crate) fn compare_values(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Number(x), Value::Number(y)) => x.total_cmp(y),
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::List(x), Value::List(y)) => {
            for (l, r) in x.iter().zip(y.iter()) {
                let ord = compare_values(l, r);
                if ord != Ordering::Equal {
                    return ord;
                }
            }
            x.len().cmp(&y.len())
        }
        (Value::Object(x), Value::Object(y)) => {
            for ((lk, lv), (rk, rv)) in x.iter().zip(y.iter()) {
                let ord = lk.cmp(rk).then_with(|| compare_values(lv, rv));
                if ord != Ordering::Equal {
                    return ord;
                }
            }
            x.len().cmp(&y.len())
        }
        _ => type_rank(a).cmp(&type_rank(b)),
    }
}

/// When a list mixes strings with numbers or bools, Terraform unifies the element type to
/// string; this does the same so `toset(["a", 1])` is `["1", "a"]`.
pub(crate) fn unify_primitives(items: Vec<Value>) -> Vec<Value> {
    let has_string = items.iter().any(|v| matches!(v, Value::String(_)));
    let has_other = items
        .iter()
        .any(|v| matches!(v, Value::Number(_) | Value::Bool(_)));
    if !(has_string && has_other) {
        return items;
    }
    items
        .into_iter()
        .map(|v| match &v {
            Value::Number(_) | Value::Bool(_) => {
                primitive_string(&v).map(Value::String).unwrap_or(v)
            }
            _ => v,
        })
        .collect()
}

/// A set: elements sorted by [`compare_values`] with duplicates removed.
pub(crate) fn to_set(items: Vec<Value>) -> Vec<Value> {
    let mut items = unify_primitives(items);
    items.sort_by(compare_values);
    items.dedup_by(|a, b| !a.contains_unknown() && a == b);
    items
}

/// Edit distance between two strings, counted in characters.
pub(crate) fn levenshtein(a: &str, b: &str) -> usize {
    let b_chars: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b_chars.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b_chars.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            let insertion = current[j] + 1;
            let deletion = previous[j + 1] + 1;
            current.push(substitution.min(insertion).min(deletion));
        }
        previous = current;
    }
    previous.last().copied().unwrap_or(0)
}

/// The candidate closest to `name`, if it is close enough to be a likely typo.
pub(crate) fn suggest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).clamp(1, 3);
    candidates
        .into_iter()
        .map(|c| (levenshtein(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// ` Did you mean "x"?` or nothing.
pub(crate) fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> String {
    match suggest(name, candidates) {
        Some(s) => format!(" Did you mean \"{s}\"?"),
        None => String::new(),
    }
}

/// Converts an integral number to an index; `None` for fractions, negatives and huge values.
pub(crate) fn as_index(n: f64) -> Option<usize> {
    if n.fract() == 0.0 && (0.0..9.0e15).contains(&n) {
        Some(n as usize)
    } else {
        None
    }
}

/// Converts an integral number to an `i64`; `None` for fractions and huge values.
pub(crate) fn as_integer(n: f64) -> Option<i64> {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        Some(n as i64)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_get_a_suggestion_and_unrelated_names_do_not() {
        assert_eq!(
            suggest("jsonencod", ["jsonencode", "join"]),
            Some("jsonencode")
        );
        assert_eq!(suggest("frobnicate", ["jsonencode", "join"]), None);
    }

    #[test]
    fn sets_are_sorted_and_deduplicated_with_mixed_types_unified_to_strings() {
        let set = to_set(vec![
            Value::from("b"),
            Value::from(1i64),
            Value::from("a"),
            Value::from("b"),
        ]);
        assert_eq!(
            set,
            vec![Value::from("1"), Value::from("a"), Value::from("b")]
        );
    }

    #[test]
    fn equality_with_an_unknown_side_is_undecided() {
        assert_eq!(values_equal(&Value::Unknown, &Value::Null), None);
        assert_eq!(
            values_equal(&Value::from(1i64), &Value::Number(1.0)),
            Some(true)
        );
    }
}
