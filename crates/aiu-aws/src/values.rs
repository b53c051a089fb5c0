//! Helpers between `aiu_model::Value` attributes and IAM: attribute access, tags, generated
//! names, policy-document decoding and comparison, timestamps.

use aiu_model::Value;
use aiu_provider::ProviderError;
use aws_smithy_types::date_time::Format;
use aws_smithy_types::DateTime;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::SystemTime;

use crate::errors::invalid;

/// A known string attribute (`None` when absent, null, unknown or not a string).
pub(crate) fn str_attr<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// A known, non-empty string attribute.
pub(crate) fn nonempty_attr<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    str_attr(v, key).filter(|s| !s.is_empty())
}

pub(crate) fn required<'a>(
    v: &'a Value,
    key: &str,
    type_name: &str,
    call: &str,
) -> Result<&'a str, ProviderError> {
    str_attr(v, key).ok_or_else(|| {
        invalid(
            call,
            format!("{type_name}: attribute `{key}` must be a known string"),
        )
    })
}

pub(crate) fn num_attr(v: &Value, key: &str) -> Option<f64> {
    v.get(key).and_then(Value::as_f64)
}

pub(crate) fn bool_attr(v: &Value, key: &str) -> Option<bool> {
    v.get(key).and_then(Value::as_bool)
}

/// A `map(string)` attribute (absent / null = empty).
pub(crate) fn tags_attr(v: &Value, key: &str) -> BTreeMap<String, String> {
    match v.get(key) {
        Some(Value::Object(m)) => m
            .iter()
            .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_owned())))
            .collect(),
        _ => BTreeMap::new(),
    }
}

pub(crate) fn map_value(m: &BTreeMap<String, String>) -> Value {
    Value::Object(
        m.iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}

/// The attribute as it was, or `default` when absent.
pub(crate) fn carry(prior: Option<&Value>, key: &str, default: Value) -> Value {
    match prior.and_then(|p| p.get(key)) {
        Some(v) if !v.is_unknown() => v.clone(),
        _ => default,
    }
}

/// `tags_all` for configured `tags`: default tags overridden by the resource's own.
pub(crate) fn merged_tags(
    default_tags: &BTreeMap<String, String>,
    tags: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut all = default_tags.clone();
    all.extend(tags.iter().map(|(k, v)| (k.clone(), v.clone())));
    all
}

/// The `tags` attribute for live tags: live tags minus those that only come from
/// `default_tags` (same key and value, key not configured on the resource), as Terraform does.
/// `prior` is the state / config view; null stays null when nothing remains.
pub(crate) fn config_tags(
    live: &BTreeMap<String, String>,
    default_tags: &BTreeMap<String, String>,
    prior: Option<&Value>,
) -> Value {
    let prior_tags = prior.map(|p| tags_attr(p, "tags")).unwrap_or_default();
    let own: BTreeMap<String, String> = live
        .iter()
        .filter(|(k, v)| prior_tags.contains_key(*k) || default_tags.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let prior_null = !matches!(prior.and_then(|p| p.get("tags")), Some(Value::Object(_)));
    if own.is_empty() && prior_null {
        Value::Null
    } else {
        map_value(&own)
    }
}

pub(crate) fn tag_map(tags: &[aws_sdk_iam::types::Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect()
}

pub(crate) fn sdk_tags(tags: &BTreeMap<String, String>) -> Vec<aws_sdk_iam::types::Tag> {
    tags.iter()
        .map(|(k, v)| {
            aws_sdk_iam::types::Tag::builder()
                .key(k)
                .value(v)
                .build()
                .expect("key and value are set")
        })
        .collect()
}

/// Which tags to add/change and which keys to remove to go from `old` to `new`.
pub(crate) fn tag_changes(
    old: &BTreeMap<String, String>,
    new: &BTreeMap<String, String>,
) -> (BTreeMap<String, String>, Vec<String>) {
    let set: BTreeMap<String, String> = new
        .iter()
        .filter(|(k, v)| old.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let remove: Vec<String> = old
        .keys()
        .filter(|k| !new.contains_key(*k))
        .cloned()
        .collect();
    (set, remove)
}

static NAME_COUNTER: AtomicU32 = AtomicU32::new(0);

/// A 26-character unique suffix like Terraform's `PrefixedUniqueId`: UTC timestamp to
/// 1/10000 s (18 digits) and an 8-digit hex counter.
pub(crate) fn unique_suffix() -> String {
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    let stamp = DateTime::from_secs(now.as_secs() as i64)
        .fmt(Format::DateTime)
        .unwrap_or_default();
    let digits: String = stamp
        .chars()
        .filter(char::is_ascii_digit)
        .take(14)
        .collect();
    let counter = NAME_COUNTER.fetch_add(1, Ordering::Relaxed);
    format!(
        "{digits:0<14}{:04}{counter:08x}",
        now.subsec_nanos() / 100_000
    )
}

/// The name a create uses: `name`, else `name_prefix` + unique suffix, else `aiu-` + suffix.
pub(crate) fn planned_name(planned: &Value) -> String {
    if let Some(n) = str_attr(planned, "name") {
        return n.to_owned();
    }
    let prefix = str_attr(planned, "name_prefix").unwrap_or("aiu-");
    format!("{prefix}{}", unique_suffix())
}

/// Decodes a policy document as IAM returns it: URL-encoded (RFC 3986) unless it already is
/// raw JSON (moto's GetPolicyVersion).
pub(crate) fn decode_document(doc: &str) -> String {
    let trimmed = doc.trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        return doc.to_owned();
    }
    let decoded = percent_encoding::percent_decode_str(doc)
        .decode_utf8_lossy()
        .into_owned();
    if serde_json::from_str::<serde_json::Value>(&decoded).is_err() && doc.contains('+') {
        // form encoding (`+` for space)
        let plus = doc.replace('+', "%20");
        let alt = percent_encoding::percent_decode_str(&plus)
            .decode_utf8_lossy()
            .into_owned();
        if serde_json::from_str::<serde_json::Value>(&alt).is_ok() {
            return alt;
        }
    }
    decoded
}

/// True when two policy documents are the same policy (iam-facts §4, `aiu_policy::equivalent`).
pub(crate) fn documents_equivalent(a: &str, b: &str) -> bool {
    a == b || aiu_policy::equivalent(a, b)
}

/// The live document, or the prior one when equivalent (keeps the text the config wrote, so
/// equivalent rewrites by IAM never show as changes).
pub(crate) fn prefer_prior_document(live: String, prior: Option<&Value>, key: &str) -> Value {
    match prior.and_then(|p| str_attr(p, key)) {
        Some(p) if documents_equivalent(p, &live) => Value::from(p),
        _ => Value::from(live),
    }
}

pub(crate) fn fmt_date(d: &DateTime) -> String {
    d.fmt(Format::DateTime).unwrap_or_default()
}

pub(crate) fn opt_date(d: Option<&DateTime>) -> Value {
    d.map_or(Value::Null, |d| Value::from(fmt_date(d)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffix_is_26_chars_and_unique() {
        let a = unique_suffix();
        let b = unique_suffix();
        assert_eq!(a.len(), 26, "{a}");
        assert_ne!(a, b);
        assert!(
            planned_name(&Value::object([("name_prefix", Value::from("app-"))]))
                .starts_with("app-")
        );
        assert!(planned_name(&Value::object([("name", Value::Unknown)])).starts_with("aiu-"));
    }

    #[test]
    fn documents_decode_only_when_encoded() {
        let raw = r#"{"Version":"2012-10-17","Statement":[]}"#;
        assert_eq!(decode_document(raw), raw);
        let enc = "%7B%22Version%22%3A%20%222012-10-17%22%7D";
        assert_eq!(decode_document(enc), r#"{"Version": "2012-10-17"}"#);
        let plus = "%7B%22Version%22%3A+%222012-10-17%22%7D";
        assert_eq!(decode_document(plus), r#"{"Version": "2012-10-17"}"#);
    }

    #[test]
    fn default_tags_are_not_config_tags() {
        let live: BTreeMap<String, String> =
            [("env".into(), "prod".into()), ("team".into(), "a".into())].into();
        let defaults: BTreeMap<String, String> = [("env".into(), "prod".into())].into();
        assert_eq!(
            config_tags(&live, &defaults, None),
            Value::object([("team", Value::from("a"))])
        );
        let (set, remove) = tag_changes(&live, &defaults);
        assert!(set.is_empty());
        assert_eq!(remove, vec!["team".to_owned()]);
    }

    #[test]
    fn equivalence_is_semantic() {
        let a = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}"#;
        let b = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:getobject"],"Resource":["*"]}]}"#;
        assert!(documents_equivalent(a, b));
        assert!(!documents_equivalent(
            a,
            &a.replace("GetObject", "PutObject")
        ));
    }
}
