//! Canonical form of policy documents, semantic equivalence, and canonical JSON for display.
//!
//! Two documents are [`equivalent`] when their [`CanonicalPolicy`] values are equal. The
//! canonical form erases exactly the differences iam-facts §4 lists as meaningless:
//! - whitespace and key order (the model has no order), URL-encoding (decoded by the parser);
//! - `Statement` object vs one-element array; statement order; duplicate identical statements;
//! - a string vs a one-element list, order and duplicates in `Action`, `NotAction`, `Resource`,
//!   `NotResource`, principal identifiers and condition values (all become sets);
//! - action name case (`s3:getobject` = `s3:GetObject`), compared case-insensitively; resources
//!   and ARNs stay case-sensitive;
//! - `Effect` case (the parser accepts any case);
//! - booleans and numbers vs their string forms in condition values (`true` = `"true"`,
//!   `10` = `"10"`);
//! - `"AWS": "123456789012"` vs `"AWS": "arn:aws:iam::123456789012:root"` (the account-id form
//!   is rewritten to the `aws` partition root ARN);
//! - an absent vs an empty `Sid`; an absent vs an empty `Condition` object.
//!
//! Deliberate choices:
//! - **`Version` is significant.** An absent `Version` is *not* equal to `"2012-10-17"`: without
//!   it IAM treats `${aws:username}`-style policy variables as literal text, so the two documents
//!   can grant different things. (Terraform users rarely hit this: `jsonencode` documents and
//!   `aws_iam_policy_document` always carry a Version.)
//! - `Id` is significant, and so are unknown keys (compared by value).
//! - `"Principal": "*"` is not equal to `{"AWS": "*"}` (IAM treats them differently for roles).
//! - Condition operators and condition key names are compared as written (case-sensitive).
//! - An absent element is not equal to an empty list (`"Action": []`).
//!
//! [`canonical_json`] renders the canonical form as pretty JSON with sorted keys, every set as a
//! sorted array, `Statement` always an array and statements sorted: stable text for display and
//! line diffs. Action spellings are kept for display: when one set holds the same action in
//! several cases, the byte-wise smallest spelling (usually the CamelCase one) is shown.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as Json;

use crate::document::{parse_policy, Effect, OneOrMany, PolicyDocument, Principal, Statement};
use crate::error::PolicyError;

/// An action name (`service:Action`) that compares case-insensitively but keeps a spelling.
#[derive(Clone, Debug)]
pub struct ActionName(String);

impl ActionName {
    pub fn new(s: impl Into<String>) -> ActionName {
        ActionName(s.into())
    }

    /// The spelling kept for display.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The comparison key (lower case).
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }

    fn cmp_key(&self, other: &Self) -> Ordering {
        let a = self.0.bytes().map(|b| b.to_ascii_lowercase());
        let b = other.0.bytes().map(|b| b.to_ascii_lowercase());
        a.cmp(b)
    }
}

impl PartialEq for ActionName {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }
}
impl Eq for ActionName {}
impl PartialOrd for ActionName {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for ActionName {
    fn cmp(&self, other: &Self) -> Ordering {
        self.cmp_key(other)
    }
}

/// A principal in canonical form: identifiers as sets, account ids as root ARNs.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum CanonicalPrincipal {
    Wildcard,
    Map(BTreeMap<String, BTreeSet<String>>),
}

/// A statement in canonical form.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct CanonicalStatement {
    /// `None` for an absent or empty Sid.
    pub sid: Option<String>,
    pub effect: Effect,
    pub principal: Option<CanonicalPrincipal>,
    pub not_principal: Option<CanonicalPrincipal>,
    pub action: Option<BTreeSet<ActionName>>,
    pub not_action: Option<BTreeSet<ActionName>>,
    pub resource: Option<BTreeSet<String>>,
    pub not_resource: Option<BTreeSet<String>>,
    /// operator -> key -> string forms of the values. Empty when there is no condition.
    pub condition: BTreeMap<String, BTreeMap<String, BTreeSet<String>>>,
    /// Unknown statement keys: key -> compact JSON with sorted keys.
    pub extra: BTreeMap<String, String>,
}

/// A policy document in canonical form; `==` is semantic equivalence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CanonicalPolicy {
    pub version: Option<String>,
    pub id: Option<String>,
    /// Sorted, without duplicates.
    pub statements: Vec<CanonicalStatement>,
    /// Unknown top-level keys: key -> compact JSON with sorted keys.
    pub extra: BTreeMap<String, String>,
}

/// `123456789012` -> `arn:aws:iam::123456789012:root`; anything else unchanged.
pub fn normalize_aws_principal(id: &str) -> String {
    if id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()) {
        format!("arn:aws:iam::{id}:root")
    } else {
        id.to_string()
    }
}

fn action_set(v: &OneOrMany<String>) -> BTreeSet<ActionName> {
    let mut out: BTreeSet<ActionName> = BTreeSet::new();
    for a in v.iter() {
        let name = ActionName::new(a.clone());
        match out.get(&name) {
            Some(existing) if existing.0.as_str() <= a.as_str() => {}
            _ => {
                out.replace(name);
            }
        }
    }
    out
}

fn string_set(v: &OneOrMany<String>) -> BTreeSet<String> {
    v.iter().cloned().collect()
}

fn canonical_principal(p: &Principal) -> CanonicalPrincipal {
    match p {
        Principal::Wildcard => CanonicalPrincipal::Wildcard,
        Principal::Map(map) => CanonicalPrincipal::Map(
            map.iter()
                .map(|(kind, ids)| {
                    let set = if kind == "AWS" {
                        ids.iter().map(|id| normalize_aws_principal(id)).collect()
                    } else {
                        string_set(ids)
                    };
                    (kind.clone(), set)
                })
                .collect(),
        ),
    }
}

fn extra_map(extra: &BTreeMap<String, Json>) -> BTreeMap<String, String> {
    extra
        .iter()
        .map(|(k, v)| (k.clone(), v.to_string()))
        .collect()
}

/// Canonical form of one statement.
pub fn canonicalize_statement(s: &Statement) -> CanonicalStatement {
    let mut condition = BTreeMap::new();
    if let Some(cond) = &s.condition {
        for (op, keys) in cond {
            if keys.is_empty() {
                continue;
            }
            let keys: BTreeMap<String, BTreeSet<String>> = keys
                .iter()
                .map(|(k, vals)| (k.clone(), vals.iter().map(|v| v.to_string_form()).collect()))
                .collect();
            condition.insert(op.clone(), keys);
        }
    }
    CanonicalStatement {
        sid: s.sid.clone().filter(|sid| !sid.is_empty()),
        effect: s.effect,
        principal: s.principal.as_ref().map(canonical_principal),
        not_principal: s.not_principal.as_ref().map(canonical_principal),
        action: s.action.as_ref().map(action_set),
        not_action: s.not_action.as_ref().map(action_set),
        resource: s.resource.as_ref().map(string_set),
        not_resource: s.not_resource.as_ref().map(string_set),
        condition,
        extra: extra_map(&s.extra),
    }
}

/// The canonical form of a parsed document.
pub fn canonicalize(doc: &PolicyDocument) -> CanonicalPolicy {
    let statements: BTreeSet<CanonicalStatement> =
        doc.statements.iter().map(canonicalize_statement).collect();
    CanonicalPolicy {
        version: doc.version.clone(),
        id: doc.id.clone(),
        statements: statements.into_iter().collect(),
        extra: extra_map(&doc.extra),
    }
}

/// True when both texts are the same policy (see the module doc for the rules). When either
/// text does not parse, falls back to comparing the trimmed texts.
pub fn equivalent(a: &str, b: &str) -> bool {
    match (parse_policy(a), parse_policy(b)) {
        (Ok(da), Ok(db)) => canonicalize(&da) == canonicalize(&db),
        _ => a.trim() == b.trim(),
    }
}

fn principal_json(p: &CanonicalPrincipal) -> Json {
    match p {
        CanonicalPrincipal::Wildcard => Json::String("*".into()),
        CanonicalPrincipal::Map(map) => Json::Object(
            map.iter()
                .map(|(k, ids)| {
                    (
                        k.clone(),
                        Json::Array(ids.iter().cloned().map(Json::String).collect()),
                    )
                })
                .collect(),
        ),
    }
}

fn reparse(text: &str) -> Json {
    serde_json::from_str(text).unwrap_or(Json::Null)
}

impl CanonicalStatement {
    /// JSON with sorted keys and every set as a sorted array.
    pub fn to_json(&self) -> Json {
        let mut m = serde_json::Map::new();
        for (k, v) in &self.extra {
            m.insert(k.clone(), reparse(v));
        }
        if let Some(sid) = &self.sid {
            m.insert("Sid".into(), Json::String(sid.clone()));
        }
        m.insert("Effect".into(), Json::String(self.effect.as_str().into()));
        if let Some(p) = &self.principal {
            m.insert("Principal".into(), principal_json(p));
        }
        if let Some(p) = &self.not_principal {
            m.insert("NotPrincipal".into(), principal_json(p));
        }
        let actions = |set: &BTreeSet<ActionName>| {
            Json::Array(set.iter().map(|a| Json::String(a.0.clone())).collect())
        };
        let strings =
            |set: &BTreeSet<String>| Json::Array(set.iter().cloned().map(Json::String).collect());
        if let Some(a) = &self.action {
            m.insert("Action".into(), actions(a));
        }
        if let Some(a) = &self.not_action {
            m.insert("NotAction".into(), actions(a));
        }
        if let Some(r) = &self.resource {
            m.insert("Resource".into(), strings(r));
        }
        if let Some(r) = &self.not_resource {
            m.insert("NotResource".into(), strings(r));
        }
        if !self.condition.is_empty() {
            let cond = self
                .condition
                .iter()
                .map(|(op, keys)| {
                    (
                        op.clone(),
                        Json::Object(
                            keys.iter()
                                .map(|(k, vals)| (k.clone(), strings(vals)))
                                .collect(),
                        ),
                    )
                })
                .collect();
            m.insert("Condition".into(), Json::Object(cond));
        }
        Json::Object(m)
    }
}

impl CanonicalPolicy {
    /// JSON with sorted keys, `Statement` always an array, statements sorted.
    pub fn to_json(&self) -> Json {
        let mut m = serde_json::Map::new();
        for (k, v) in &self.extra {
            m.insert(k.clone(), reparse(v));
        }
        if let Some(v) = &self.version {
            m.insert("Version".into(), Json::String(v.clone()));
        }
        if let Some(id) = &self.id {
            m.insert("Id".into(), Json::String(id.clone()));
        }
        m.insert(
            "Statement".into(),
            Json::Array(
                self.statements
                    .iter()
                    .map(CanonicalStatement::to_json)
                    .collect(),
            ),
        );
        Json::Object(m)
    }

    /// Pretty-printed canonical JSON (2-space indent).
    pub fn to_pretty_json(&self) -> String {
        serde_json::to_string_pretty(&self.to_json()).unwrap_or_default()
    }

    /// Rewrites action spellings to the ones `reference` uses for the same action (compared
    /// case-insensitively), so that two renderings differ only where the policies differ.
    pub fn adopt_action_spellings(&mut self, reference: &CanonicalPolicy) {
        let mut spellings: BTreeMap<String, String> = BTreeMap::new();
        for s in &reference.statements {
            for set in [&s.action, &s.not_action].into_iter().flatten() {
                for a in set {
                    spellings.entry(a.key()).or_insert_with(|| a.0.clone());
                }
            }
        }
        for s in &mut self.statements {
            for set in [&mut s.action, &mut s.not_action].into_iter().flatten() {
                *set = set
                    .iter()
                    .map(|a| {
                        ActionName(
                            spellings
                                .get(&a.key())
                                .cloned()
                                .unwrap_or_else(|| a.0.clone()),
                        )
                    })
                    .collect();
            }
        }
    }
}

/// Pretty-printed, deterministic canonical JSON of a policy text (see the module doc).
pub fn canonical_json(text: &str) -> Result<String, PolicyError> {
    Ok(canonicalize(&parse_policy(text)?).to_pretty_json())
}
