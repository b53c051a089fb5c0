//! `Value`: the dynamic value of an HCL expression, a resource attribute or a state entry.
//!
//! Values are JSON-like, plus `Unknown`: a value that only apply can tell (a role's `arn` before
//! the role exists). Unknown propagates: any operation with an unknown operand is unknown.
//! Objects are `BTreeMap`s so every rendering is deterministic (sorted keys, like Terraform's
//! `jsonencode`).

use std::collections::BTreeMap;
use std::fmt;

/// A dynamic value. Sets are represented as sorted, de-duplicated lists.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Value {
    #[default]
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    List(Vec<Value>),
    Object(BTreeMap<String, Value>),
    /// Known only after apply.
    Unknown,
}

impl Value {
    pub fn string(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    pub fn object<K: Into<String>>(entries: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::Object(entries.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown)
    }

    /// True when this value or anything inside it is unknown.
    pub fn contains_unknown(&self) -> bool {
        match self {
            Value::Unknown => true,
            Value::List(items) => items.iter().any(Value::contains_unknown),
            Value::Object(map) => map.values().any(Value::contains_unknown),
            _ => false,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(*n),
            _ => None,
        }
    }

    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&BTreeMap<String, Value>> {
        match self {
            Value::Object(map) => Some(map),
            _ => None,
        }
    }

    /// Attribute lookup on an object; `None` for anything else or a missing key.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.as_object().and_then(|m| m.get(key))
    }

    /// A short name of the value's type, for error messages ("string", "list", ...).
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::List(_) => "list",
            Value::Object(_) => "object",
            Value::Unknown => "unknown",
        }
    }

    /// Converts to JSON. Unknown values become `null`; callers that must not lose them check
    /// [`Value::contains_unknown`] first.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null | Value::Unknown => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Number(n) => number_to_json(*n),
            Value::String(s) => serde_json::Value::String(s.clone()),
            Value::List(items) => {
                serde_json::Value::Array(items.iter().map(Value::to_json).collect())
            }
            Value::Object(map) => serde_json::Value::Object(
                map.iter().map(|(k, v)| (k.clone(), v.to_json())).collect(),
            ),
        }
    }

    /// A JSON mirror of this value where every unknown leaf is `true` and every known leaf is
    /// absent, like Terraform's `after_unknown`. Returns `None` when nothing is unknown.
    pub fn unknown_mask(&self) -> Option<serde_json::Value> {
        match self {
            Value::Unknown => Some(serde_json::Value::Bool(true)),
            Value::List(items) => {
                if !self.contains_unknown() {
                    return None;
                }
                Some(serde_json::Value::Array(
                    items
                        .iter()
                        .map(|v| v.unknown_mask().unwrap_or(serde_json::Value::Bool(false)))
                        .collect(),
                ))
            }
            Value::Object(map) => {
                let masked: serde_json::Map<String, serde_json::Value> = map
                    .iter()
                    .filter_map(|(k, v)| v.unknown_mask().map(|m| (k.clone(), m)))
                    .collect();
                if masked.is_empty() {
                    None
                } else {
                    Some(serde_json::Value::Object(masked))
                }
            }
            _ => None,
        }
    }

    /// An object from a JSON map (state attributes), without copying the map first.
    pub fn from_json_object(map: &serde_json::Map<String, serde_json::Value>) -> Value {
        Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), Value::from_json(v)))
                .collect(),
        )
    }

    pub fn from_json(json: &serde_json::Value) -> Value {
        match json {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => Value::Number(n.as_f64().unwrap_or(f64::NAN)),
            serde_json::Value::String(s) => Value::String(s.clone()),
            serde_json::Value::Array(items) => {
                Value::List(items.iter().map(Value::from_json).collect())
            }
            serde_json::Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), Value::from_json(v)))
                    .collect(),
            ),
        }
    }
}

/// Integral numbers are written without a fraction (`3600`, not `3600.0`).
pub fn number_to_json(n: f64) -> serde_json::Value {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        serde_json::Value::Number((n as i64).into())
    } else {
        serde_json::Number::from_f64(n).map_or(serde_json::Value::Null, serde_json::Value::Number)
    }
}

/// Formats a number the way Terraform prints it: integers without a fraction.
pub fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<f64> for Value {
    fn from(n: f64) -> Self {
        Value::Number(n)
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Self {
        Value::Number(n as f64)
    }
}

/// HCL-like rendering used in plans: strings quoted, lists in brackets, unknown as
/// `(known after apply)`.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Number(n) => f.write_str(&format_number(*n)),
            Value::String(s) => write!(f, "{}", serde_json::Value::String(s.clone())),
            Value::Unknown => f.write_str("(known after apply)"),
            Value::List(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Value::Object(map) => {
                f.write_str("{")?;
                for (i, (k, v)) in map.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k} = {v}")?;
                }
                f.write_str("}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_propagates_into_contains_unknown() {
        let v = Value::object([("a", Value::List(vec![Value::Unknown]))]);
        assert!(v.contains_unknown());
        assert!(!Value::object([("a", Value::from("x"))]).contains_unknown());
    }

    #[test]
    fn unknown_mask_marks_only_unknown_leaves() {
        let v = Value::object([("arn", Value::Unknown), ("name", Value::from("r"))]);
        assert_eq!(v.unknown_mask(), Some(serde_json::json!({"arn": true})));
    }

    #[test]
    fn integral_numbers_render_without_fraction() {
        assert_eq!(Value::Number(3600.0).to_string(), "3600");
        assert_eq!(Value::Number(1.5).to_string(), "1.5");
        assert_eq!(Value::Number(3600.0).to_json(), serde_json::json!(3600));
    }

    #[test]
    fn json_round_trip_keeps_known_values() {
        let json = serde_json::json!({"a": [1, "x", true, null], "b": {"c": 2.5}});
        assert_eq!(Value::from_json(&json).to_json(), json);
    }
}
