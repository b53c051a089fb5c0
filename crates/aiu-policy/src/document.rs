//! Typed model of IAM policy documents (identity, trust and resource policies) and [`parse_policy`].
//!
//! The model keeps what was written: a `Statement` object stays an object, a scalar `Action`
//! stays a scalar ([`OneOrMany`]), and unknown keys are kept in `extra` maps instead of being
//! dropped, so a document can be re-serialized without losing anything. Semantic comparison
//! lives in [`crate::canonical`].
//!
//! Parsing is strict about the grammar (types of each element, `Effect` is Allow or Deny in any
//! case, principal types are `AWS`, `Service`, `Federated`, `CanonicalUser`) and every error
//! carries the JSON path of the problem, e.g. `Statement[1].Effect`.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use percent_encoding::percent_decode_str;
use serde_json::Value as Json;

use crate::error::PolicyError;

/// A single value or a list, as written (`"Action": "s3:GetObject"` vs `["s3:GetObject"]`).
#[derive(Clone, Debug, PartialEq)]
pub enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    pub fn as_slice(&self) -> &[T] {
        match self {
            OneOrMany::One(v) => std::slice::from_ref(v),
            OneOrMany::Many(v) => v,
        }
    }

    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.as_slice().iter()
    }

    pub fn len(&self) -> usize {
        self.as_slice().len()
    }

    pub fn is_empty(&self) -> bool {
        self.as_slice().is_empty()
    }

    /// True when written as a scalar rather than a list.
    pub fn is_scalar(&self) -> bool {
        matches!(self, OneOrMany::One(_))
    }
}

/// `Allow` or `Deny`. Parsed case-insensitively; always written in this spelling.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum Effect {
    Allow,
    Deny,
}

impl Effect {
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        }
    }
}

impl fmt::Display for Effect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The principal types IAM accepts in a `Principal` / `NotPrincipal` map.
pub const PRINCIPAL_TYPES: [&str; 4] = ["AWS", "CanonicalUser", "Federated", "Service"];

/// `Principal` / `NotPrincipal`: `"*"` or a map of principal type to one or more identifiers.
#[derive(Clone, Debug, PartialEq)]
pub enum Principal {
    Wildcard,
    Map(BTreeMap<String, OneOrMany<String>>),
}

/// One value of a condition: IAM accepts strings, booleans and numbers.
#[derive(Clone, Debug, PartialEq)]
pub enum ConditionValue {
    String(String),
    Bool(bool),
    Number(serde_json::Number),
}

impl ConditionValue {
    /// The string form IAM compares (`true`, `10`, the string itself).
    pub fn to_string_form(&self) -> String {
        match self {
            ConditionValue::String(s) => s.clone(),
            ConditionValue::Bool(b) => b.to_string(),
            ConditionValue::Number(n) => n.to_string(),
        }
    }

    fn to_json(&self) -> Json {
        match self {
            ConditionValue::String(s) => Json::String(s.clone()),
            ConditionValue::Bool(b) => Json::Bool(*b),
            ConditionValue::Number(n) => Json::Number(n.clone()),
        }
    }
}

/// `Condition`: operator (e.g. `StringEquals`) -> condition key -> value(s).
pub type Conditions = BTreeMap<String, BTreeMap<String, OneOrMany<ConditionValue>>>;

/// One statement of a policy document.
#[derive(Clone, Debug, PartialEq)]
pub struct Statement {
    pub sid: Option<String>,
    pub effect: Effect,
    pub principal: Option<Principal>,
    pub not_principal: Option<Principal>,
    pub action: Option<OneOrMany<String>>,
    pub not_action: Option<OneOrMany<String>>,
    pub resource: Option<OneOrMany<String>>,
    pub not_resource: Option<OneOrMany<String>>,
    pub condition: Option<Conditions>,
    /// Statement keys IAM's grammar does not define, kept as written.
    pub extra: BTreeMap<String, Json>,
}

impl Statement {
    /// A statement with only an effect.
    pub fn new(effect: Effect) -> Statement {
        Statement {
            sid: None,
            effect,
            principal: None,
            not_principal: None,
            action: None,
            not_action: None,
            resource: None,
            not_resource: None,
            condition: None,
            extra: BTreeMap::new(),
        }
    }

    /// The statement as JSON (keys sorted; scalars and lists kept as written).
    pub fn to_json(&self) -> Json {
        let mut m = serde_json::Map::new();
        for (k, v) in &self.extra {
            m.insert(k.clone(), v.clone());
        }
        if let Some(sid) = &self.sid {
            m.insert("Sid".into(), Json::String(sid.clone()));
        }
        m.insert("Effect".into(), Json::String(self.effect.as_str().into()));
        let strings = |v: &OneOrMany<String>| match v {
            OneOrMany::One(s) => Json::String(s.clone()),
            OneOrMany::Many(items) => {
                Json::Array(items.iter().cloned().map(Json::String).collect())
            }
        };
        let principal = |p: &Principal| match p {
            Principal::Wildcard => Json::String("*".into()),
            Principal::Map(map) => {
                Json::Object(map.iter().map(|(k, v)| (k.clone(), strings(v))).collect())
            }
        };
        if let Some(p) = &self.principal {
            m.insert("Principal".into(), principal(p));
        }
        if let Some(p) = &self.not_principal {
            m.insert("NotPrincipal".into(), principal(p));
        }
        for (key, val) in [
            ("Action", &self.action),
            ("NotAction", &self.not_action),
            ("Resource", &self.resource),
            ("NotResource", &self.not_resource),
        ] {
            if let Some(v) = val {
                m.insert(key.into(), strings(v));
            }
        }
        if let Some(cond) = &self.condition {
            let obj = cond
                .iter()
                .map(|(op, keys)| {
                    let inner = keys
                        .iter()
                        .map(|(k, v)| {
                            let json = match v {
                                OneOrMany::One(x) => x.to_json(),
                                OneOrMany::Many(xs) => {
                                    Json::Array(xs.iter().map(ConditionValue::to_json).collect())
                                }
                            };
                            (k.clone(), json)
                        })
                        .collect();
                    (op.clone(), Json::Object(inner))
                })
                .collect();
            m.insert("Condition".into(), Json::Object(obj));
        }
        Json::Object(m)
    }
}

/// A whole policy document.
#[derive(Clone, Debug, PartialEq)]
pub struct PolicyDocument {
    /// `Version`; `None` when absent (policy variables are then literal text).
    pub version: Option<String>,
    pub id: Option<String>,
    pub statements: Vec<Statement>,
    /// True when `Statement` was written as a single object rather than an array.
    pub statement_is_object: bool,
    /// Top-level keys IAM's grammar does not define, kept as written.
    pub extra: BTreeMap<String, Json>,
}

impl PolicyDocument {
    /// The document as JSON (keys sorted; forms kept as written).
    pub fn to_json(&self) -> Json {
        let mut m = serde_json::Map::new();
        for (k, v) in &self.extra {
            m.insert(k.clone(), v.clone());
        }
        if let Some(v) = &self.version {
            m.insert("Version".into(), Json::String(v.clone()));
        }
        if let Some(id) = &self.id {
            m.insert("Id".into(), Json::String(id.clone()));
        }
        let stmts: Vec<Json> = self.statements.iter().map(Statement::to_json).collect();
        if self.statement_is_object && stmts.len() == 1 {
            m.insert(
                "Statement".into(),
                stmts.into_iter().next().unwrap_or(Json::Null),
            );
        } else {
            m.insert("Statement".into(), Json::Array(stmts));
        }
        Json::Object(m)
    }

    /// Parses an already-decoded JSON value.
    pub fn from_json(json: &Json) -> Result<PolicyDocument, PolicyError> {
        let obj = json.as_object().ok_or_else(|| {
            PolicyError::new(
                "",
                format!("expected a JSON object, got {}", json_type(json)),
            )
        })?;
        let mut doc = PolicyDocument {
            version: None,
            id: None,
            statements: Vec::new(),
            statement_is_object: false,
            extra: BTreeMap::new(),
        };
        let mut saw_statement = false;
        for (key, value) in obj {
            match key.as_str() {
                "Version" => doc.version = Some(expect_string(value, "Version")?),
                "Id" => doc.id = Some(expect_string(value, "Id")?),
                "Statement" => {
                    saw_statement = true;
                    match value {
                        Json::Array(items) => {
                            for (i, item) in items.iter().enumerate() {
                                doc.statements
                                    .push(parse_statement(item, &format!("Statement[{i}]"))?);
                            }
                        }
                        Json::Object(_) => {
                            doc.statement_is_object = true;
                            doc.statements.push(parse_statement(value, "Statement")?);
                        }
                        other => {
                            return Err(PolicyError::new(
                                "Statement",
                                format!(
                                    "expected an object or an array of objects, got {}",
                                    json_type(other)
                                ),
                            ))
                        }
                    }
                }
                _ => {
                    doc.extra.insert(key.clone(), value.clone());
                }
            }
        }
        if !saw_statement {
            return Err(PolicyError::new("", "missing required key \"Statement\""));
        }
        Ok(doc)
    }
}

/// Parses a policy document. Text that does not start with `{` (after trimming) is first
/// percent-decoded (IAM returns documents RFC 3986 URL-encoded).
pub fn parse_policy(text: &str) -> Result<PolicyDocument, PolicyError> {
    let json = decode_to_json(text)?;
    PolicyDocument::from_json(&json)
}

/// URL-decodes when needed and parses the JSON syntax.
pub(crate) fn decode_to_json(text: &str) -> Result<Json, PolicyError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(PolicyError::new("", "empty policy document"));
    }
    let decoded: Cow<'_, str> = if trimmed.starts_with('{') {
        Cow::Borrowed(trimmed)
    } else {
        percent_decode_str(trimmed)
            .decode_utf8()
            .map_err(|e| PolicyError::new("", format!("URL-decoded document is not UTF-8: {e}")))?
    };
    serde_json::from_str(decoded.trim())
        .map_err(|e| PolicyError::new("", format!("invalid JSON: {e}")))
}

pub(crate) fn json_type(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

fn expect_string(v: &Json, path: &str) -> Result<String, PolicyError> {
    match v {
        Json::String(s) => Ok(s.clone()),
        other => Err(PolicyError::new(
            path,
            format!("expected a string, got {}", json_type(other)),
        )),
    }
}

fn parse_string_or_list(v: &Json, path: &str) -> Result<OneOrMany<String>, PolicyError> {
    match v {
        Json::String(s) => Ok(OneOrMany::One(s.clone())),
        Json::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| expect_string(item, &format!("{path}[{i}]")))
            .collect::<Result<Vec<_>, _>>()
            .map(OneOrMany::Many),
        other => Err(PolicyError::new(
            path,
            format!(
                "expected a string or an array of strings, got {}",
                json_type(other)
            ),
        )),
    }
}

fn parse_principal(v: &Json, path: &str) -> Result<Principal, PolicyError> {
    match v {
        Json::String(s) if s == "*" => Ok(Principal::Wildcard),
        Json::String(s) => Err(PolicyError::new(
            path,
            format!("expected \"*\" or an object of principal types, got \"{s}\""),
        )),
        Json::Object(map) => {
            let mut out = BTreeMap::new();
            for (kind, ids) in map {
                let p = format!("{path}.{kind}");
                if !PRINCIPAL_TYPES.contains(&kind.as_str()) {
                    return Err(PolicyError::new(
                        p,
                        format!("unknown principal type \"{kind}\" (expected AWS, Service, Federated or CanonicalUser)"),
                    ));
                }
                out.insert(kind.clone(), parse_string_or_list(ids, &p)?);
            }
            Ok(Principal::Map(out))
        }
        other => Err(PolicyError::new(
            path,
            format!(
                "expected \"*\" or an object of principal types, got {}",
                json_type(other)
            ),
        )),
    }
}

fn parse_condition_value(v: &Json, path: &str) -> Result<ConditionValue, PolicyError> {
    match v {
        Json::String(s) => Ok(ConditionValue::String(s.clone())),
        Json::Bool(b) => Ok(ConditionValue::Bool(*b)),
        Json::Number(n) => Ok(ConditionValue::Number(n.clone())),
        other => Err(PolicyError::new(
            path,
            format!(
                "expected a string, boolean or number, got {}",
                json_type(other)
            ),
        )),
    }
}

fn parse_conditions(v: &Json, path: &str) -> Result<Conditions, PolicyError> {
    let ops = v.as_object().ok_or_else(|| {
        PolicyError::new(
            path,
            format!(
                "expected an object of condition operators, got {}",
                json_type(v)
            ),
        )
    })?;
    let mut out = Conditions::new();
    for (op, keys) in ops {
        let op_path = format!("{path}.{op}");
        let keys = keys.as_object().ok_or_else(|| {
            PolicyError::new(
                &op_path,
                format!(
                    "expected an object of condition keys, got {}",
                    json_type(keys)
                ),
            )
        })?;
        let mut parsed = BTreeMap::new();
        for (key, values) in keys {
            let key_path = format!("{op_path}.{key}");
            let vals = match values {
                Json::Array(items) => OneOrMany::Many(
                    items
                        .iter()
                        .enumerate()
                        .map(|(i, item)| parse_condition_value(item, &format!("{key_path}[{i}]")))
                        .collect::<Result<Vec<_>, _>>()?,
                ),
                other => OneOrMany::One(parse_condition_value(other, &key_path)?),
            };
            parsed.insert(key.clone(), vals);
        }
        out.insert(op.clone(), parsed);
    }
    Ok(out)
}

fn parse_statement(v: &Json, path: &str) -> Result<Statement, PolicyError> {
    let obj = v.as_object().ok_or_else(|| {
        PolicyError::new(
            path,
            format!("expected a statement object, got {}", json_type(v)),
        )
    })?;
    let mut stmt = Statement::new(Effect::Allow);
    let mut effect = None;
    for (key, value) in obj {
        let p = format!("{path}.{key}");
        match key.as_str() {
            "Sid" => stmt.sid = Some(expect_string(value, &p)?),
            "Effect" => {
                effect = Some(match value {
                    Json::String(s) if s.eq_ignore_ascii_case("allow") => Effect::Allow,
                    Json::String(s) if s.eq_ignore_ascii_case("deny") => Effect::Deny,
                    Json::String(s) => {
                        return Err(PolicyError::new(
                            p,
                            format!("expected \"Allow\" or \"Deny\", got \"{s}\""),
                        ))
                    }
                    other => {
                        return Err(PolicyError::new(
                            p,
                            format!("expected \"Allow\" or \"Deny\", got {}", json_type(other)),
                        ))
                    }
                })
            }
            "Principal" => stmt.principal = Some(parse_principal(value, &p)?),
            "NotPrincipal" => stmt.not_principal = Some(parse_principal(value, &p)?),
            "Action" => stmt.action = Some(parse_string_or_list(value, &p)?),
            "NotAction" => stmt.not_action = Some(parse_string_or_list(value, &p)?),
            "Resource" => stmt.resource = Some(parse_string_or_list(value, &p)?),
            "NotResource" => stmt.not_resource = Some(parse_string_or_list(value, &p)?),
            "Condition" => stmt.condition = Some(parse_conditions(value, &p)?),
            _ => {
                stmt.extra.insert(key.clone(), value.clone());
            }
        }
    }
    stmt.effect =
        effect.ok_or_else(|| PolicyError::new(path, "missing required key \"Effect\""))?;
    Ok(stmt)
}
