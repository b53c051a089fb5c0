//! The `aws_iam_policy_document` data source, evaluated locally with the output of the
//! Terraform AWS provider (`internal/service/iam/data_source_policy_document.go` and
//! `iam_policy_model.go`), so that `json` / `minified_json` are byte-for-byte what Terraform
//! would store.
//!
//! What the provider does, and so what this module does:
//! - key order `Version`, `Id`, `Statement`; statement key order `Sid`, `Effect`, `Action`,
//!   `NotAction`, `Resource`, `NotResource`, `Principal`, `NotPrincipal`, `Condition`; empty
//!   elements are omitted; `Principal` and `Condition` keys are sorted (Go maps);
//! - `actions`, `not_actions`, `resources`, `not_resources` and principal `identifiers` are
//!   sets: de-duplicated, rendered as a scalar string when they hold one element, otherwise
//!   sorted in *descending* byte order (`sort.Reverse(sort.StringSlice)`);
//! - condition `values` is a list: order and duplicates kept, one element rendered as a string;
//!   condition blocks with the same `test` and `variable` have their values concatenated;
//! - principal blocks with the same `type` are merged into one list; a single principal block
//!   `{type = "*", identifiers = ["*"]}` renders as `"Principal": "*"`;
//! - `&{` is rewritten to `${` in resources, principal identifiers and condition values
//!   (an error with version `2008-10-17`);
//! - `source_policy_documents` are merged first (their Sids must be unique across all of them),
//!   then the `statement` blocks (same Sid replaces, no Sid appends), then each of
//!   `override_policy_documents` (same Sid replaces); a merged document adopts a non-empty `Id`
//!   and a greater `Version`;
//! - `json` is Go's `json.MarshalIndent(doc, "", "  ")`, `minified_json` is `json.Marshal`,
//!   including Go's escaping of `<`, `>`, `&`, U+2028 and U+2029 as `\u003c` etc.
//!
//! Source and override documents are read like the provider reads them: principal lists and
//! `Action`/`Resource` values are re-emitted as written except that principal lists are sorted
//! descending, condition values become strings and one-element condition lists become scalars,
//! and unknown keys are dropped.
//!
//! Known differences: Terraform orders `principals` and `condition` blocks by their set hash;
//! this module keeps configuration order (visible only when two blocks share a principal type or
//! a test/variable pair). Number condition values in source documents are kept as strings (the
//! provider silently drops them). A source document whose `Statement` is a single object is
//! accepted (the provider rejects it).

use serde_json::Value as Json;

use aiu_model::Value;

use crate::error::PolicyError;

/// The computed attributes of the data source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuiltPolicyDocument {
    /// Pretty-printed with a 2-space indent.
    pub json: String,
    /// Compact.
    pub minified_json: String,
}

/// Evaluates the data source. `args` is an Object with the data source's arguments (see the
/// module doc); absent or null arguments take their defaults. Fails on invalid arguments and on
/// unknown values (use [`build_policy_document_or_unknown`] during planning).
pub fn build_policy_document(args: &Value) -> Result<BuiltPolicyDocument, PolicyError> {
    let obj = args.as_object().ok_or_else(|| {
        PolicyError::new(
            "",
            format!("expected an object of arguments, got {}", args.type_name()),
        )
    })?;
    for key in obj.keys() {
        if !KNOWN_ARGS.contains(&key.as_str()) {
            return Err(PolicyError::new(key.as_str(), "unsupported argument"));
        }
    }
    for key in ["source_json", "override_json"] {
        if let Some(v) = opt(args, key, key)? {
            if !string_of(v, key)?.is_empty() {
                return Err(PolicyError::new(
                    key,
                    "no longer supported (must be empty): use source_policy_documents / override_policy_documents",
                ));
            }
        }
    }
    let version = match opt(args, "version", "version")? {
        None => "2012-10-17".to_string(),
        Some(v) => string_of(v, "version")?,
    };
    if version != "2012-10-17" && version != "2008-10-17" {
        return Err(PolicyError::new(
            "version",
            format!("expected \"2012-10-17\" or \"2008-10-17\", got \"{version}\""),
        ));
    }

    let mut merged = Doc::default();
    let mut source_sids: Vec<String> = Vec::new();
    for (i, text) in string_list_arg(args, "source_policy_documents")?
        .into_iter()
        .enumerate()
    {
        let path = format!("source_policy_documents[{i}]");
        let Some(text) = text else { continue };
        let doc = Doc::from_json_text(&text, &path)?;
        for (si, s) in doc.statements.iter().enumerate() {
            if !s.sid.is_empty() {
                if source_sids.contains(&s.sid) {
                    return Err(PolicyError::new(
                        format!("{path}.Statement[{si}].Sid"),
                        format!(
                            "duplicate Sid ({}) in source_policy_documents. Remove the Sid or ensure Sids are unique.",
                            s.sid
                        ),
                    ));
                }
                source_sids.push(s.sid.clone());
            }
        }
        merged.merge(doc);
    }

    let mut current = Doc {
        version: version.clone(),
        id: String::new(),
        statements: Vec::new(),
    };
    if let Some(id) = opt(args, "policy_id", "policy_id")? {
        current.id = string_of(id, "policy_id")?;
    }
    if let Some(stmts) = opt(args, "statement", "statement")? {
        let items = stmts.as_list().ok_or_else(|| {
            PolicyError::new(
                "statement",
                format!("expected a list of blocks, got {}", stmts.type_name()),
            )
        })?;
        let mut sids: Vec<String> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let stmt = statement_from_config(item, &format!("statement[{i}]"), &version)?;
            if !stmt.sid.is_empty() {
                if sids.contains(&stmt.sid) {
                    return Err(PolicyError::new(
                        format!("statement[{i}].sid"),
                        format!(
                            "duplicate Sid ({}). Remove the Sid or ensure the Sid is unique.",
                            stmt.sid
                        ),
                    ));
                }
                sids.push(stmt.sid.clone());
            }
            current.statements.push(stmt);
        }
    }
    merged.merge(current);

    for (i, text) in string_list_arg(args, "override_policy_documents")?
        .into_iter()
        .enumerate()
    {
        let Some(text) = text else { continue };
        merged.merge(Doc::from_json_text(
            &text,
            &format!("override_policy_documents[{i}]"),
        )?);
    }

    let json = merged.to_go_json();
    let mut pretty = String::new();
    json.write(&mut pretty, Some(0));
    let mut minified = String::new();
    json.write(&mut minified, None);
    Ok(BuiltPolicyDocument {
        json: pretty,
        minified_json: minified,
    })
}

/// Like [`build_policy_document`], but `Ok(None)` when any argument is (or contains) an unknown
/// value: the document is then known only after apply. Computed attributes present in `args`
/// (`id`, `json`, `minified_json`) are ignored.
pub fn build_policy_document_or_unknown(
    args: &Value,
) -> Result<Option<BuiltPolicyDocument>, PolicyError> {
    let inputs_unknown = match args.as_object() {
        Some(map) => map
            .iter()
            .any(|(k, v)| INPUT_ARGS.contains(&k.as_str()) && v.contains_unknown()),
        None => args.contains_unknown(),
    };
    if inputs_unknown {
        return Ok(None);
    }
    build_policy_document(args).map(Some)
}

/// Arguments of the data source.
const INPUT_ARGS: [&str; 7] = [
    "version",
    "policy_id",
    "source_policy_documents",
    "override_policy_documents",
    "statement",
    "source_json",
    "override_json",
];

/// Accepted keys: the arguments plus the computed attributes (ignored when present).
const KNOWN_ARGS: [&str; 10] = [
    "version",
    "policy_id",
    "source_policy_documents",
    "override_policy_documents",
    "statement",
    "source_json",
    "override_json",
    "id",
    "json",
    "minified_json",
];

// ---------------------------------------------------------------------------------------------
// The provider's in-memory model

/// A string or a list of strings (Go `interface{}` holding `string` or `[]string`).
#[derive(Clone, Debug, PartialEq)]
enum Strs {
    One(String),
    Many(Vec<String>),
}

#[derive(Clone, Debug, PartialEq)]
struct PrincipalEntry {
    kind: String,
    ids: Strs,
}

#[derive(Clone, Debug, PartialEq)]
struct ConditionEntry {
    test: String,
    variable: String,
    values: Strs,
}

#[derive(Clone, Debug, Default, PartialEq)]
struct Stmt {
    sid: String,
    effect: String,
    actions: Option<GoJson>,
    not_actions: Option<GoJson>,
    resources: Option<GoJson>,
    not_resources: Option<GoJson>,
    principals: Vec<PrincipalEntry>,
    not_principals: Vec<PrincipalEntry>,
    conditions: Vec<ConditionEntry>,
}

#[derive(Clone, Debug, Default, PartialEq)]
struct Doc {
    version: String,
    id: String,
    statements: Vec<Stmt>,
}

impl Doc {
    /// `IAMPolicyDoc.Merge`.
    fn merge(&mut self, new: Doc) {
        if !new.id.is_empty() {
            self.id = new.id;
        }
        if new.version > self.version {
            self.version = new.version;
        }
        for stmt in new.statements {
            if stmt.sid.is_empty() {
                self.statements.push(stmt);
                continue;
            }
            match self.statements.iter_mut().find(|s| s.sid == stmt.sid) {
                Some(existing) => *existing = stmt,
                None => self.statements.push(stmt),
            }
        }
    }

    fn to_go_json(&self) -> GoJson {
        let mut fields = Vec::new();
        if !self.version.is_empty() {
            fields.push(("Version".to_string(), GoJson::Str(self.version.clone())));
        }
        if !self.id.is_empty() {
            fields.push(("Id".to_string(), GoJson::Str(self.id.clone())));
        }
        if !self.statements.is_empty() {
            fields.push((
                "Statement".to_string(),
                GoJson::Arr(self.statements.iter().map(Stmt::to_go_json).collect()),
            ));
        }
        GoJson::Obj(fields)
    }

    /// `json.Unmarshal` of a source/override document into `IAMPolicyDoc`.
    fn from_json_text(text: &str, path: &str) -> Result<Doc, PolicyError> {
        let json: Json = serde_json::from_str(text)
            .map_err(|e| PolicyError::new(path, format!("invalid JSON: {e}")))?;
        let obj = json
            .as_object()
            .ok_or_else(|| PolicyError::new(path, "expected a JSON object"))?;
        let mut doc = Doc::default();
        if let Some(v) = field(obj, "Version") {
            doc.version = go_string(v, &format!("{path}.Version"))?;
        }
        if let Some(v) = field(obj, "Id") {
            doc.id = go_string(v, &format!("{path}.Id"))?;
        }
        match field(obj, "Statement") {
            None | Some(Json::Null) => {}
            Some(Json::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    doc.statements
                        .push(stmt_from_json(item, &format!("{path}.Statement[{i}]"))?);
                }
            }
            Some(item @ Json::Object(_)) => doc
                .statements
                .push(stmt_from_json(item, &format!("{path}.Statement"))?),
            Some(_) => {
                return Err(PolicyError::new(
                    format!("{path}.Statement"),
                    "expected an array of statements",
                ))
            }
        }
        Ok(doc)
    }
}

impl Stmt {
    fn to_go_json(&self) -> GoJson {
        let mut f = Vec::new();
        if !self.sid.is_empty() {
            f.push(("Sid".to_string(), GoJson::Str(self.sid.clone())));
        }
        if !self.effect.is_empty() {
            f.push(("Effect".to_string(), GoJson::Str(self.effect.clone())));
        }
        for (key, v) in [
            ("Action", &self.actions),
            ("NotAction", &self.not_actions),
            ("Resource", &self.resources),
            ("NotResource", &self.not_resources),
        ] {
            if let Some(v) = v {
                f.push((key.to_string(), v.clone()));
            }
        }
        if !self.principals.is_empty() {
            f.push(("Principal".to_string(), principals_json(&self.principals)));
        }
        if !self.not_principals.is_empty() {
            f.push((
                "NotPrincipal".to_string(),
                principals_json(&self.not_principals),
            ));
        }
        if !self.conditions.is_empty() {
            f.push(("Condition".to_string(), conditions_json(&self.conditions)));
        }
        GoJson::Obj(f)
    }
}

fn desc_sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort_by(|a, b| b.cmp(a));
    v
}

/// `IAMPolicyStatementPrincipalSet.MarshalJSON`.
fn principals_json(ps: &[PrincipalEntry]) -> GoJson {
    if let [p] = ps {
        if p.kind == "*" {
            match &p.ids {
                Strs::One(s) if s == "*" => return GoJson::Str("*".into()),
                Strs::Many(v) if v.len() == 1 && v[0] == "*" => return GoJson::Str("*".into()),
                _ => {}
            }
        }
    }
    let mut raw: std::collections::BTreeMap<String, Strs> = std::collections::BTreeMap::new();
    for p in ps {
        let entry = raw.remove(&p.kind);
        let merged = match (&p.ids, entry) {
            (Strs::Many(ids), None) => Strs::Many(desc_sorted(ids.clone())),
            (Strs::Many(ids), Some(Strs::One(prev))) => {
                let mut v = vec![prev];
                v.extend(desc_sorted(ids.clone()));
                Strs::Many(v)
            }
            (Strs::Many(ids), Some(Strs::Many(mut prev))) => {
                prev.extend(desc_sorted(ids.clone()));
                Strs::Many(prev)
            }
            (Strs::One(id), None) => Strs::One(id.clone()),
            (Strs::One(id), Some(Strs::One(prev))) => Strs::Many(vec![prev, id.clone()]),
            (Strs::One(id), Some(Strs::Many(mut prev))) => {
                prev.push(id.clone());
                Strs::Many(prev)
            }
        };
        raw.insert(p.kind.clone(), merged);
    }
    GoJson::Obj(raw.into_iter().map(|(k, v)| (k, strs_json(&v))).collect())
}

/// `IAMPolicyStatementConditionSet.MarshalJSON`.
fn conditions_json(cs: &[ConditionEntry]) -> GoJson {
    use std::collections::BTreeMap;
    let mut raw: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    for c in cs {
        let values = raw
            .entry(c.test.clone())
            .or_default()
            .entry(c.variable.clone())
            .or_default();
        match &c.values {
            Strs::One(s) => values.push(s.clone()),
            Strs::Many(v) => values.extend(v.iter().cloned()),
        }
    }
    GoJson::Obj(
        raw.into_iter()
            .map(|(test, vars)| {
                let inner = vars
                    .into_iter()
                    .map(|(var, mut vals)| {
                        let v = if vals.len() == 1 {
                            Strs::One(vals.remove(0))
                        } else {
                            Strs::Many(vals)
                        };
                        (var, strs_json(&v))
                    })
                    .collect();
                (test, GoJson::Obj(inner))
            })
            .collect(),
    )
}

fn strs_json(s: &Strs) -> GoJson {
    match s {
        Strs::One(v) => GoJson::Str(v.clone()),
        Strs::Many(v) => GoJson::Arr(v.iter().cloned().map(GoJson::Str).collect()),
    }
}

// ---------------------------------------------------------------------------------------------
// Reading source / override documents like Go's json.Unmarshal

/// Go matches struct fields exactly first, then case-insensitively.
fn field<'a>(obj: &'a serde_json::Map<String, Json>, name: &str) -> Option<&'a Json> {
    obj.get(name).or_else(|| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

fn go_string(v: &Json, path: &str) -> Result<String, PolicyError> {
    match v {
        Json::String(s) => Ok(s.clone()),
        Json::Null => Ok(String::new()),
        other => Err(PolicyError::new(
            path,
            format!(
                "expected a string, got {}",
                crate::document::json_type(other)
            ),
        )),
    }
}

fn string_items(items: &[Json], path: &str) -> Result<Vec<String>, PolicyError> {
    items
        .iter()
        .enumerate()
        .map(|(i, v)| match v {
            Json::String(s) => Ok(s.clone()),
            other => Err(PolicyError::new(
                format!("{path}[{i}]"),
                format!(
                    "expected a string, got {}",
                    crate::document::json_type(other)
                ),
            )),
        })
        .collect()
}

fn principals_from_json(v: &Json, path: &str) -> Result<Vec<PrincipalEntry>, PolicyError> {
    match v {
        Json::Null => Ok(Vec::new()),
        Json::String(_) => Ok(vec![PrincipalEntry {
            kind: "*".into(),
            ids: Strs::Many(vec!["*".into()]),
        }]),
        Json::Object(map) => map
            .iter()
            .map(|(kind, ids)| {
                let p = format!("{path}.{kind}");
                let ids = match ids {
                    Json::String(s) => Strs::One(s.clone()),
                    Json::Array(items) => {
                        let mut v = string_items(items, &p)?;
                        v.sort();
                        Strs::Many(v)
                    }
                    other => {
                        return Err(PolicyError::new(
                            p,
                            format!(
                                "expected a string or an array of strings, got {}",
                                crate::document::json_type(other)
                            ),
                        ))
                    }
                };
                Ok(PrincipalEntry {
                    kind: kind.clone(),
                    ids,
                })
            })
            .collect(),
        other => Err(PolicyError::new(
            path,
            format!(
                "expected \"*\" or an object of principal types, got {}",
                crate::document::json_type(other)
            ),
        )),
    }
}

fn scalar_string(v: &Json) -> Option<String> {
    match v {
        Json::String(s) => Some(s.clone()),
        Json::Bool(b) => Some(b.to_string()),
        Json::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn conditions_from_json(v: &Json, path: &str) -> Result<Vec<ConditionEntry>, PolicyError> {
    let mut out = Vec::new();
    let ops = match v {
        Json::Null => return Ok(out),
        Json::Object(ops) => ops,
        other => {
            return Err(PolicyError::new(
                path,
                format!(
                    "expected an object, got {}",
                    crate::document::json_type(other)
                ),
            ))
        }
    };
    for (test, vars) in ops {
        let tp = format!("{path}.{test}");
        let vars = vars
            .as_object()
            .ok_or_else(|| PolicyError::new(&tp, "expected an object of condition keys"))?;
        for (variable, values) in vars {
            let vp = format!("{tp}.{variable}");
            let values = match values {
                Json::Array(items) => Strs::Many(
                    items
                        .iter()
                        .enumerate()
                        .map(|(i, x)| {
                            scalar_string(x).ok_or_else(|| {
                                PolicyError::new(
                                    format!("{vp}[{i}]"),
                                    "expected a string, boolean or number",
                                )
                            })
                        })
                        .collect::<Result<_, _>>()?,
                ),
                other => Strs::One(scalar_string(other).ok_or_else(|| {
                    PolicyError::new(&vp, "expected a string, boolean or number")
                })?),
            };
            out.push(ConditionEntry {
                test: test.clone(),
                variable: variable.clone(),
                values,
            });
        }
    }
    Ok(out)
}

fn stmt_from_json(v: &Json, path: &str) -> Result<Stmt, PolicyError> {
    let obj = v
        .as_object()
        .ok_or_else(|| PolicyError::new(path, "expected a statement object"))?;
    let mut s = Stmt::default();
    let p = |k: &str| format!("{path}.{k}");
    if let Some(x) = field(obj, "Sid") {
        s.sid = go_string(x, &p("Sid"))?;
    }
    if let Some(x) = field(obj, "Effect") {
        s.effect = go_string(x, &p("Effect"))?;
    }
    let any = |k: &str| {
        field(obj, k)
            .filter(|x| !x.is_null())
            .map(GoJson::from_json)
    };
    s.actions = any("Action");
    s.not_actions = any("NotAction");
    s.resources = any("Resource");
    s.not_resources = any("NotResource");
    if let Some(x) = field(obj, "Principal") {
        s.principals = principals_from_json(x, &p("Principal"))?;
    }
    if let Some(x) = field(obj, "NotPrincipal") {
        s.not_principals = principals_from_json(x, &p("NotPrincipal"))?;
    }
    if let Some(x) = field(obj, "Condition") {
        s.conditions = conditions_from_json(x, &p("Condition"))?;
    }
    Ok(s)
}

// ---------------------------------------------------------------------------------------------
// Reading the configuration

fn opt<'a>(obj: &'a Value, key: &str, path: &str) -> Result<Option<&'a Value>, PolicyError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Unknown) => Err(PolicyError::new(path, "value is not known until apply")),
        Some(v) => Ok(Some(v)),
    }
}

/// HCL converts numbers and booleans to strings where a string is expected.
fn string_of(v: &Value, path: &str) -> Result<String, PolicyError> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(aiu_model::value::format_number(*n)),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Unknown => Err(PolicyError::new(path, "value is not known until apply")),
        other => Err(PolicyError::new(
            path,
            format!("expected a string, got {}", other.type_name()),
        )),
    }
}

/// A list of strings whose null elements are kept as `None`.
fn string_list_arg(obj: &Value, key: &str) -> Result<Vec<Option<String>>, PolicyError> {
    let Some(v) = opt(obj, key, key)? else {
        return Ok(Vec::new());
    };
    let items = v.as_list().ok_or_else(|| {
        PolicyError::new(
            key,
            format!("expected a list of strings, got {}", v.type_name()),
        )
    })?;
    items
        .iter()
        .enumerate()
        .map(|(i, x)| {
            if x.is_null() {
                Ok(None)
            } else {
                string_of(x, &format!("{key}[{i}]")).map(Some)
            }
        })
        .collect()
}

/// A list of strings without nulls.
fn strings(obj: &Value, key: &str, path: &str) -> Result<Option<Vec<String>>, PolicyError> {
    let p = format!("{path}.{key}");
    let Some(v) = opt(obj, key, &p)? else {
        return Ok(None);
    };
    let items = v.as_list().ok_or_else(|| {
        PolicyError::new(
            &p,
            format!("expected a list of strings, got {}", v.type_name()),
        )
    })?;
    items
        .iter()
        .enumerate()
        .map(|(i, x)| {
            if x.is_null() {
                Err(PolicyError::new(
                    format!("{p}[{i}]"),
                    "null value in a list of strings",
                ))
            } else {
                string_of(x, &format!("{p}[{i}]"))
            }
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// A schema set of strings through `policyDecodeConfigStringList`: de-duplicated, one element
/// as a string, otherwise sorted descending. `None` when empty.
fn decode_set(values: Vec<String>) -> Option<Strs> {
    let mut v = values;
    v.sort();
    v.dedup();
    match v.len() {
        0 => None,
        1 => Some(Strs::One(v.remove(0))),
        _ => Some(Strs::Many(desc_sorted(v))),
    }
}

fn replace_vars(s: &str, version: &str, path: &str) -> Result<String, PolicyError> {
    if version == "2008-10-17" && s.contains("&{") {
        return Err(PolicyError::new(
            path,
            format!("found &{{ sequence in ({s}), which is not supported in document version 2008-10-17"),
        ));
    }
    Ok(s.replace("&{", "${"))
}

fn replace_vars_strs(s: Strs, version: &str, path: &str) -> Result<Strs, PolicyError> {
    Ok(match s {
        Strs::One(v) => Strs::One(replace_vars(&v, version, path)?),
        Strs::Many(v) => Strs::Many(
            v.iter()
                .map(|x| replace_vars(x, version, path))
                .collect::<Result<_, _>>()?,
        ),
    })
}

fn blocks<'a>(
    obj: &'a Value,
    key: &str,
    path: &str,
) -> Result<Vec<(String, &'a Value)>, PolicyError> {
    let p = format!("{path}.{key}");
    let Some(v) = opt(obj, key, &p)? else {
        return Ok(Vec::new());
    };
    let items = match v {
        Value::List(items) => items.iter().collect::<Vec<_>>(),
        Value::Object(_) => vec![v],
        other => {
            return Err(PolicyError::new(
                &p,
                format!("expected a list of blocks, got {}", other.type_name()),
            ))
        }
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, b)| {
            let bp = format!("{p}[{i}]");
            if b.as_object().is_none() {
                return Err(PolicyError::new(
                    &bp,
                    format!("expected a block, got {}", b.type_name()),
                ));
            }
            Ok((bp, b))
        })
        .collect()
}

fn principals_from_config(
    stmt: &Value,
    key: &str,
    path: &str,
    version: &str,
) -> Result<Vec<PrincipalEntry>, PolicyError> {
    let mut out = Vec::new();
    for (bp, block) in blocks(stmt, key, path)? {
        let kind = match opt(block, "type", &format!("{bp}.type"))? {
            Some(v) => string_of(v, &format!("{bp}.type"))?,
            None => return Err(PolicyError::new(&bp, "missing required argument \"type\"")),
        };
        let Some(ids) = strings(block, "identifiers", &bp)? else {
            return Err(PolicyError::new(
                &bp,
                "missing required argument \"identifiers\"",
            ));
        };
        let ids = decode_set(ids).unwrap_or(Strs::Many(Vec::new()));
        out.push(PrincipalEntry {
            kind,
            ids: replace_vars_strs(ids, version, &format!("{bp}.identifiers"))?,
        });
    }
    Ok(out)
}

fn conditions_from_config(
    stmt: &Value,
    path: &str,
    version: &str,
) -> Result<Vec<ConditionEntry>, PolicyError> {
    let mut out = Vec::new();
    for (bp, block) in blocks(stmt, "condition", path)? {
        let req = |k: &str| -> Result<String, PolicyError> {
            match opt(block, k, &format!("{bp}.{k}"))? {
                Some(v) => string_of(v, &format!("{bp}.{k}")),
                None => Err(PolicyError::new(
                    &bp,
                    format!("missing required argument \"{k}\""),
                )),
            }
        };
        let test = req("test")?;
        let variable = req("variable")?;
        let Some(values) = strings(block, "values", &bp)? else {
            return Err(PolicyError::new(
                &bp,
                "missing required argument \"values\"",
            ));
        };
        let vp = format!("{bp}.values");
        let mut values: Vec<String> = values
            .iter()
            .map(|v| replace_vars(v, version, &vp))
            .collect::<Result<_, _>>()?;
        let values = if values.len() == 1 {
            Strs::One(values.remove(0))
        } else {
            Strs::Many(values)
        };
        out.push(ConditionEntry {
            test,
            variable,
            values,
        });
    }
    Ok(out)
}

const STATEMENT_ARGS: [&str; 10] = [
    "sid",
    "effect",
    "actions",
    "not_actions",
    "resources",
    "not_resources",
    "principals",
    "not_principals",
    "condition",
    "id",
];

fn statement_from_config(v: &Value, path: &str, version: &str) -> Result<Stmt, PolicyError> {
    let obj = v.as_object().ok_or_else(|| {
        PolicyError::new(
            path,
            format!("expected a statement block, got {}", v.type_name()),
        )
    })?;
    for key in obj.keys() {
        if !STATEMENT_ARGS.contains(&key.as_str()) {
            return Err(PolicyError::new(
                format!("{path}.{key}"),
                "unsupported argument",
            ));
        }
    }
    let mut s = Stmt {
        effect: "Allow".into(),
        ..Stmt::default()
    };
    if let Some(sid) = opt(v, "sid", &format!("{path}.sid"))? {
        s.sid = string_of(sid, &format!("{path}.sid"))?;
    }
    if let Some(e) = opt(v, "effect", &format!("{path}.effect"))? {
        s.effect = string_of(e, &format!("{path}.effect"))?;
        if s.effect != "Allow" && s.effect != "Deny" {
            return Err(PolicyError::new(
                format!("{path}.effect"),
                format!("expected \"Allow\" or \"Deny\", got \"{}\"", s.effect),
            ));
        }
    }
    let set = |key: &str, vars: bool| -> Result<Option<GoJson>, PolicyError> {
        let Some(values) = strings(v, key, path)? else {
            return Ok(None);
        };
        let Some(decoded) = decode_set(values) else {
            return Ok(None);
        };
        let decoded = if vars {
            replace_vars_strs(decoded, version, &format!("{path}.{key}"))?
        } else {
            decoded
        };
        Ok(Some(strs_json(&decoded)))
    };
    s.actions = set("actions", false)?;
    s.not_actions = set("not_actions", false)?;
    s.resources = set("resources", true)?;
    s.not_resources = set("not_resources", true)?;
    s.principals = principals_from_config(v, "principals", path, version)?;
    s.not_principals = principals_from_config(v, "not_principals", path, version)?;
    s.conditions = conditions_from_config(v, path, version)?;
    Ok(s)
}

// ---------------------------------------------------------------------------------------------
// Go-compatible JSON output

/// JSON with object keys in insertion order, written like Go's encoding/json.
#[derive(Clone, Debug, PartialEq)]
enum GoJson {
    Null,
    Bool(bool),
    Number(String),
    Str(String),
    Arr(Vec<GoJson>),
    Obj(Vec<(String, GoJson)>),
}

impl GoJson {
    /// A value decoded into Go's `interface{}` (objects become maps: sorted keys; numbers
    /// float64).
    fn from_json(v: &Json) -> GoJson {
        match v {
            Json::Null => GoJson::Null,
            Json::Bool(b) => GoJson::Bool(*b),
            Json::Number(n) => GoJson::Number(match n.as_f64() {
                Some(f) if f.fract() == 0.0 && f.abs() < 1e21 => format!("{f:.0}"),
                Some(f) => format!("{f}"),
                None => n.to_string(),
            }),
            Json::String(s) => GoJson::Str(s.clone()),
            Json::Array(items) => GoJson::Arr(items.iter().map(GoJson::from_json).collect()),
            Json::Object(map) => GoJson::Obj(
                map.iter()
                    .map(|(k, v)| (k.clone(), GoJson::from_json(v)))
                    .collect(),
            ),
        }
    }

    /// `level` = `Some(depth)` for MarshalIndent with two spaces, `None` for compact Marshal.
    fn write(&self, out: &mut String, level: Option<usize>) {
        let newline = |out: &mut String, depth: usize| {
            out.push('\n');
            for _ in 0..depth {
                out.push_str("  ");
            }
        };
        match self {
            GoJson::Null => out.push_str("null"),
            GoJson::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            GoJson::Number(n) => out.push_str(n),
            GoJson::Str(s) => write_go_string(out, s),
            GoJson::Arr(items) => {
                if items.is_empty() {
                    out.push_str("[]");
                    return;
                }
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    if let Some(d) = level {
                        newline(out, d + 1);
                    }
                    item.write(out, level.map(|d| d + 1));
                }
                if let Some(d) = level {
                    newline(out, d);
                }
                out.push(']');
            }
            GoJson::Obj(fields) => {
                if fields.is_empty() {
                    out.push_str("{}");
                    return;
                }
                out.push('{');
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    if let Some(d) = level {
                        newline(out, d + 1);
                    }
                    write_go_string(out, k);
                    out.push(':');
                    if level.is_some() {
                        out.push(' ');
                    }
                    v.write(out, level.map(|d| d + 1));
                }
                if let Some(d) = level {
                    newline(out, d);
                }
                out.push('}');
            }
        }
    }
}

/// Go's string encoding with HTML escaping (the default of `json.Marshal`).
fn write_go_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = std::fmt::Write::write_fmt(out, format_args!("\\u{:04x}", c as u32));
            }
            c if (c as u32) < 0x20 => {
                let _ = std::fmt::Write::write_fmt(out, format_args!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}
