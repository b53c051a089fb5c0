//! Whether an attribute really changed: by meaning, not by text. Policy documents compare by
//! IAM policy equivalence, sets ignore order, and an absent optional value equals its empty form.

use aiu_model::{AttrType, Value};

/// True when `wanted` (from config) differs in meaning from `prior` (from state).
pub fn attribute_changed(ty: AttrType, prior: &Value, wanted: &Value) -> bool {
    if wanted.contains_unknown() {
        return true;
    }
    match ty {
        AttrType::PolicyJson => match (prior.as_str(), wanted.as_str()) {
            (Some(a), Some(b)) => !aiu_policy::equivalent(a, b),
            _ => !(is_empty(prior) && is_empty(wanted)),
        },
        AttrType::SetOfString => sorted_set(prior) != sorted_set(wanted),
        AttrType::Number => match (prior, wanted) {
            (Value::Number(a), Value::Number(b)) => a != b,
            _ => !(is_empty(prior) && is_empty(wanted)) && prior != wanted,
        },
        _ => {
            if is_empty(prior) && is_empty(wanted) {
                false
            } else {
                prior != wanted
            }
        }
    }
}

/// Null, "", [] and {} all mean "nothing set".
fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::List(l) => l.is_empty(),
        Value::Object(m) => m.is_empty(),
        _ => false,
    }
}

fn sorted_set(v: &Value) -> Vec<String> {
    let mut items: Vec<String> = match v {
        Value::List(items) => items
            .iter()
            .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
            .collect(),
        Value::String(s) => vec![s.clone()],
        _ => Vec::new(),
    };
    items.sort();
    items.dedup();
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equivalent_policies_are_unchanged() {
        let a = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
        let b = r#"{"Statement":{"Resource":["*"],"Action":["s3:getobject"],"Effect":"Allow"},"Version":"2012-10-17"}"#;
        assert!(!attribute_changed(
            AttrType::PolicyJson,
            &Value::from(a),
            &Value::from(b)
        ));
    }

    #[test]
    fn different_policies_are_changed() {
        let a = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
        let b = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:GetObject","Resource":"*"}]}"#;
        assert!(attribute_changed(
            AttrType::PolicyJson,
            &Value::from(a),
            &Value::from(b)
        ));
    }

    #[test]
    fn absent_and_empty_are_the_same() {
        assert!(!attribute_changed(
            AttrType::String,
            &Value::from(""),
            &Value::Null
        ));
        assert!(!attribute_changed(
            AttrType::MapOfString,
            &Value::Object(Default::default()),
            &Value::Null
        ));
        assert!(attribute_changed(
            AttrType::String,
            &Value::from("a"),
            &Value::Null
        ));
    }

    #[test]
    fn sets_ignore_order_and_duplicates() {
        let a = Value::List(vec![Value::from("b"), Value::from("a")]);
        let b = Value::List(vec![Value::from("a"), Value::from("b"), Value::from("a")]);
        assert!(!attribute_changed(AttrType::SetOfString, &a, &b));
    }

    #[test]
    fn unknown_is_always_a_change() {
        assert!(attribute_changed(
            AttrType::String,
            &Value::from("a"),
            &Value::Unknown
        ));
    }
}
