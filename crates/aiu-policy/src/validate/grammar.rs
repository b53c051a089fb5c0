//! Grammar checks: JSON syntax, required elements, element combinations, Sids, Version, action
//! and ARN syntax, condition operators and condition value types, plus the structural checks of
//! [`crate::structure::check_structure`].

use serde_json::Value as Json;

use super::{elem_path, policy_size, stmt_path, Finding, Severity};
use crate::document::{decode_to_json, ConditionValue, OneOrMany, PolicyDocument};
use crate::structure::{check_structure, PolicyKind};

/// Parses text for validation: the document and its size, or the syntax findings.
/// Syntax findings that did not stop validation (a repaired trailing comma) come third.
pub(crate) fn parse_for_validation(
    text: &str,
) -> Result<(PolicyDocument, usize, Vec<Finding>), Vec<Finding>> {
    let mut out = Vec::new();
    let json = match decode_to_json(text) {
        Ok(json) => json,
        Err(e) => {
            // Trailing commas are the commonest hand-editing slip: report it as the ERROR it is
            // (IAM rejects it) and go on validating the repaired document.
            let repaired = strip_trailing_commas(text).and_then(|t| decode_to_json(&t).ok());
            match repaired {
                Some(json) => {
                    out.push(Finding::new(
                        "JSON_SYNTAX_ERROR",
                        Severity::Error,
                        "",
                        format!("{}: trailing comma before a closing bracket (IAM rejects it; the rest of the document was validated as if it were absent)", e.message),
                    ));
                    json
                }
                None => {
                    return Err(vec![Finding::new(
                        "JSON_SYNTAX_ERROR",
                        Severity::Error,
                        e.path,
                        e.message,
                    )])
                }
            }
        }
    };
    let syntax_errors = out.len();
    if let Some(obj) = json.as_object() {
        match obj.get("Statement") {
            None => out.push(Finding::new(
                "MISSING_STATEMENT",
                Severity::Error,
                "",
                "the policy has no Statement",
            )),
            Some(Json::Array(items)) => {
                for (i, s) in items.iter().enumerate() {
                    check_effect(s, &format!("Statement[{i}]"), i, &mut out);
                }
            }
            Some(s @ Json::Object(_)) => check_effect(s, "Statement", 0, &mut out),
            Some(_) => {}
        }
    }
    if out.len() > syntax_errors {
        return Err(out);
    }
    let doc = PolicyDocument::from_json(&json).map_err(|e| {
        let mut f = Finding::new(
            "POLICY_SYNTAX_ERROR",
            Severity::Error,
            e.path.clone(),
            e.message,
        );
        f.statement_index = statement_index_of(&e.path);
        let mut all = out.clone();
        all.push(f);
        all
    })?;
    Ok((doc, policy_size(text), out))
}

/// The text without commas that directly precede `]` or `}` (outside strings), URL-decoded
/// first when needed; `None` when there is none.
fn strip_trailing_commas(text: &str) -> Option<String> {
    let t = text.trim();
    let decoded;
    let t = if t.starts_with('{') {
        t
    } else {
        decoded = percent_encoding::percent_decode_str(t)
            .decode_utf8()
            .ok()?
            .into_owned();
        decoded.as_str()
    };
    let mut out = String::with_capacity(t.len());
    let mut in_string = false;
    let mut escaped = false;
    let mut removed = false;
    let chars: Vec<char> = t.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
        } else if c == ',' {
            let next = chars[i + 1..].iter().find(|c| !c.is_whitespace());
            if matches!(next, Some(']') | Some('}')) {
                removed = true;
                continue;
            }
        }
        out.push(c);
    }
    removed.then_some(out)
}

fn check_effect(stmt: &Json, path: &str, i: usize, out: &mut Vec<Finding>) {
    let Some(obj) = stmt.as_object() else { return };
    let sid = obj.get("Sid").and_then(Json::as_str);
    match obj.get("Effect") {
        None => out.push(
            Finding::new(
                "MISSING_EFFECT",
                Severity::Error,
                path,
                "the statement has no Effect",
            )
            .at(i, sid),
        ),
        Some(Json::String(s))
            if s.eq_ignore_ascii_case("allow") || s.eq_ignore_ascii_case("deny") => {}
        Some(other) => out.push(
            Finding::new(
                "INVALID_EFFECT",
                Severity::Error,
                format!("{path}.Effect"),
                format!("Effect must be \"Allow\" or \"Deny\", not {other}"),
            )
            .at(i, sid),
        ),
    }
}

/// `Statement[3].Action` -> 3; `Statement.Sid` -> 0.
fn statement_index_of(path: &str) -> Option<usize> {
    let rest = path.strip_prefix("Statement")?;
    if let Some(r) = rest.strip_prefix('[') {
        r.split(']').next()?.parse().ok()
    } else {
        Some(0)
    }
}

/// The type family of a condition operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OpType {
    String,
    Numeric,
    Date,
    Bool,
    Binary,
    Ip,
    Arn,
    Null,
}

/// A parsed condition operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Operator {
    pub op_type: OpType,
    /// `Some(true)` for `ForAllValues:`, `Some(false)` for `ForAnyValue:`.
    pub for_all: Option<bool>,
    pub if_exists: bool,
    /// Spelled exactly as IAM documents it.
    pub exact_case: bool,
}

const OPERATORS: &[(&str, OpType)] = &[
    ("StringEquals", OpType::String),
    ("StringNotEquals", OpType::String),
    ("StringEqualsIgnoreCase", OpType::String),
    ("StringNotEqualsIgnoreCase", OpType::String),
    ("StringLike", OpType::String),
    ("StringNotLike", OpType::String),
    ("NumericEquals", OpType::Numeric),
    ("NumericNotEquals", OpType::Numeric),
    ("NumericLessThan", OpType::Numeric),
    ("NumericLessThanEquals", OpType::Numeric),
    ("NumericGreaterThan", OpType::Numeric),
    ("NumericGreaterThanEquals", OpType::Numeric),
    ("DateEquals", OpType::Date),
    ("DateNotEquals", OpType::Date),
    ("DateLessThan", OpType::Date),
    ("DateLessThanEquals", OpType::Date),
    ("DateGreaterThan", OpType::Date),
    ("DateGreaterThanEquals", OpType::Date),
    ("Bool", OpType::Bool),
    ("BinaryEquals", OpType::Binary),
    ("IpAddress", OpType::Ip),
    ("NotIpAddress", OpType::Ip),
    ("ArnEquals", OpType::Arn),
    ("ArnLike", OpType::Arn),
    ("ArnNotEquals", OpType::Arn),
    ("ArnNotLike", OpType::Arn),
    ("Null", OpType::Null),
];

/// Parses `ForAllValues:StringLikeIfExists` and the like; `None` for unknown operators.
pub(crate) fn parse_operator(op: &str) -> Option<Operator> {
    let mut exact = true;
    let mut rest = op;
    let mut for_all = None;
    for (prefix, all) in [("ForAllValues:", true), ("ForAnyValue:", false)] {
        if rest.len() >= prefix.len()
            && rest.is_char_boundary(prefix.len())
            && rest[..prefix.len()].eq_ignore_ascii_case(prefix)
        {
            exact &= rest.starts_with(prefix);
            for_all = Some(all);
            rest = &rest[prefix.len()..];
            break;
        }
    }
    let mut if_exists = false;
    if rest.len() > 8
        && rest.is_char_boundary(rest.len() - 8)
        && rest[rest.len() - 8..].eq_ignore_ascii_case("IfExists")
    {
        exact &= rest.ends_with("IfExists");
        if_exists = true;
        rest = &rest[..rest.len() - 8];
    }
    let (name, op_type) = OPERATORS
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(rest))?;
    exact &= *name == rest;
    Some(Operator {
        op_type: *op_type,
        for_all,
        if_exists,
        exact_case: exact,
    })
}

fn valid_action_syntax(a: &str) -> bool {
    if a == "*" {
        return true;
    }
    let Some((prefix, name)) = a.split_once(':') else {
        return false;
    };
    !prefix.is_empty()
        && !name.is_empty()
        && prefix
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'*' | b'?' | b'_' | b'.'))
        && name.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'*' | b'?' | b'_' | b'.' | b':')
        })
}

/// Problem with a resource ARN's syntax, if any.
pub(crate) fn arn_syntax_problem(r: &str) -> Option<String> {
    if r == "*" {
        return None;
    }
    let normalized = super::arn::normalize_arn(r);
    let Some(arn) = normalized.as_deref().and_then(super::split_arn) else {
        return Some(format!(
            "\"{r}\" is not `*` nor an ARN of the form arn:partition:service:region:account:resource"
        ));
    };
    let wild = |s: &str| s.contains('*') || s.contains('?') || s.contains("${");
    let any_wild =
        wild(arn.partition) || wild(arn.service) || wild(arn.region) || wild(arn.account);
    if arn.partition.is_empty() || !(arn.partition.starts_with("aws") || wild(arn.partition)) {
        return Some(format!(
            "\"{r}\" has an invalid partition \"{}\" (aws, aws-cn, aws-us-gov, ...)",
            arn.partition
        ));
    }
    if arn.service.is_empty() {
        return Some(format!("\"{r}\" has no service"));
    }
    if arn.resource.is_empty() && !any_wild {
        return Some(format!("\"{r}\" has no resource part"));
    }
    if r.chars().any(char::is_whitespace) && !r.contains("${") {
        return Some(format!("\"{r}\" contains whitespace"));
    }
    None
}

/// Problem with a condition value for an operator type, if any (policy variables are skipped).
fn value_problem(op: OpType, v: &ConditionValue) -> Option<&'static str> {
    let s = v.to_string_form();
    if s.contains("${") {
        return None;
    }
    let ok = match op {
        OpType::Numeric => s.trim().parse::<f64>().is_ok(),
        OpType::Date => is_date(&s),
        OpType::Bool | OpType::Null => {
            s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false")
        }
        OpType::Ip => is_ip_or_cidr(&s),
        OpType::String | OpType::Binary | OpType::Arn => true,
    };
    if ok {
        None
    } else {
        Some(match op {
            OpType::Numeric => "a number",
            OpType::Date => "a date (ISO 8601 such as 2024-01-31T12:00:00Z, or epoch seconds)",
            OpType::Bool | OpType::Null => "true or false",
            OpType::Ip => "an IP address or CIDR block",
            _ => "a value of the operator's type",
        })
    }
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if !b.is_empty() && b.iter().all(u8::is_ascii_digit) {
        return true;
    }
    b.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b'-'
        && b[8..10].iter().all(u8::is_ascii_digit)
        && (b.len() == 10 || b[10] == b'T' || b[10] == b't' || b[10] == b' ')
}

fn is_ip_or_cidr(s: &str) -> bool {
    let (addr, bits) = match s.split_once('/') {
        Some((a, b)) => (a, Some(b)),
        None => (s, None),
    };
    let Ok(ip) = addr.parse::<std::net::IpAddr>() else {
        return false;
    };
    match bits {
        None => true,
        Some(b) => b
            .parse::<u8>()
            .is_ok_and(|n| n <= if ip.is_ipv4() { 32 } else { 128 }),
    }
}

fn structural_code(code: &'static str) -> (&'static str, Severity) {
    match code {
        "MISSING_VERSION" => ("MISSING_VERSION", Severity::Warning),
        "UNKNOWN_VERSION" => ("INVALID_VERSION", Severity::Error),
        "RESOURCE_POLICY_WITHOUT_PRINCIPAL" => ("MISSING_PRINCIPAL", Severity::Error),
        other => (other, Severity::Error),
    }
}

/// Grammar checks of a parsed document.
pub(crate) fn check_document(doc: &PolicyDocument, kind: PolicyKind, out: &mut Vec<Finding>) {
    for p in check_structure(doc, kind) {
        let (code, severity) = structural_code(p.code);
        let mut f = Finding::new(code, severity, p.path.clone(), p.message);
        if let Some(i) = statement_index_of(&p.path) {
            f = f.at(i, doc.statements.get(i).and_then(|s| s.sid.as_deref()));
        }
        out.push(f);
    }
    for key in doc.extra.keys() {
        out.push(Finding::new(
            "INVALID_POLICY_ELEMENT",
            Severity::Error,
            key.clone(),
            format!("\"{key}\" is not a policy element (Version, Id, Statement)"),
        ));
    }
    for (i, s) in doc.statements.iter().enumerate() {
        let sp = stmt_path(doc, i);
        let sid = s.sid.as_deref();
        let mut push = |code: &'static str, sev: Severity, path: String, msg: String| {
            out.push(Finding::new(code, sev, path, msg).at(i, sid))
        };
        for key in s.extra.keys() {
            push(
                "INVALID_POLICY_ELEMENT",
                Severity::Error,
                format!("{sp}.{key}"),
                format!("\"{key}\" is not a statement element (Sid, Effect, Principal, NotPrincipal, Action, NotAction, Resource, NotResource, Condition)"),
            );
        }
        for (a, b) in [
            ("Action", "NotAction"),
            ("Resource", "NotResource"),
            ("Principal", "NotPrincipal"),
        ] {
            let (has_a, has_b) = match a {
                "Action" => (s.action.is_some(), s.not_action.is_some()),
                "Resource" => (s.resource.is_some(), s.not_resource.is_some()),
                _ => (s.principal.is_some(), s.not_principal.is_some()),
            };
            if has_a && has_b {
                push(
                    "UNSUPPORTED_ELEMENT_COMBINATION",
                    Severity::Error,
                    sp.clone(),
                    format!("a statement cannot have both {a} and {b}"),
                );
            }
        }
        if s.action.is_none() && s.not_action.is_none() {
            push(
                "MISSING_ACTION",
                Severity::Error,
                sp.clone(),
                "the statement has no Action or NotAction".into(),
            );
        }
        if kind != PolicyKind::Trust && s.resource.is_none() && s.not_resource.is_none() {
            push(
                "MISSING_RESOURCE",
                Severity::Error,
                sp.clone(),
                "the statement has no Resource or NotResource".into(),
            );
        }
        for (key, list) in [("Action", &s.action), ("NotAction", &s.not_action)] {
            let Some(list) = list else { continue };
            if list.is_empty() {
                push(
                    "POLICY_SYNTAX_ERROR",
                    Severity::Error,
                    format!("{sp}.{key}"),
                    format!("{key} is an empty list"),
                );
            }
            for (j, a) in list.iter().enumerate() {
                if !valid_action_syntax(a) {
                    push(
                        "INVALID_ACTION",
                        Severity::Error,
                        elem_path(&sp, key, list.is_scalar(), j),
                        format!("\"{a}\" is not an action: expected `*` or service:ActionName"),
                    );
                }
            }
        }
        for (key, list) in [("Resource", &s.resource), ("NotResource", &s.not_resource)] {
            let Some(list) = list else { continue };
            if list.is_empty() {
                push(
                    "POLICY_SYNTAX_ERROR",
                    Severity::Error,
                    format!("{sp}.{key}"),
                    format!("{key} is an empty list"),
                );
            }
            for (j, r) in list.iter().enumerate() {
                if let Some(msg) = arn_syntax_problem(r) {
                    push(
                        "INVALID_ARN",
                        Severity::Error,
                        elem_path(&sp, key, list.is_scalar(), j),
                        msg,
                    );
                }
            }
        }
        let Some(cond) = &s.condition else { continue };
        for (op, keys) in cond {
            let op_path = format!("{sp}.Condition.{op}");
            let Some(parsed) = parse_operator(op) else {
                push(
                    "INVALID_CONDITION_OPERATOR",
                    Severity::Error,
                    op_path,
                    format!("\"{op}\" is not a condition operator"),
                );
                continue;
            };
            if !parsed.exact_case {
                push(
                    "OPERATOR_CASE",
                    Severity::Warning,
                    op_path.clone(),
                    format!("condition operator \"{op}\" is not spelled as IAM documents it"),
                );
            }
            if parsed.op_type == OpType::Null && parsed.if_exists {
                push(
                    "NULL_WITH_IF_EXISTS",
                    Severity::Error,
                    op_path.clone(),
                    "the Null operator cannot have the IfExists suffix".into(),
                );
            }
            for (key, values) in keys {
                let values: &[ConditionValue] = match values {
                    OneOrMany::One(v) => std::slice::from_ref(v),
                    OneOrMany::Many(v) => v,
                };
                for v in values {
                    if let Some(expected) = value_problem(parsed.op_type, v) {
                        push(
                            "DATA_TYPE_MISMATCH",
                            Severity::Error,
                            format!("{op_path}.{key}"),
                            format!(
                                "\"{}\" is not {expected}, as {op} requires",
                                v.to_string_form()
                            ),
                        );
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operators() {
        let o = parse_operator("ForAllValues:StringLikeIfExists").unwrap();
        assert_eq!(
            (o.op_type, o.for_all, o.if_exists, o.exact_case),
            (OpType::String, Some(true), true, true)
        );
        assert_eq!(
            parse_operator("ForAnyValue:ArnLike").unwrap().for_all,
            Some(false)
        );
        assert_eq!(
            parse_operator("DateGreaterThan").unwrap().op_type,
            OpType::Date
        );
        assert!(!parse_operator("stringequals").unwrap().exact_case);
        assert!(parse_operator("NullIfExists").unwrap().if_exists);
        assert!(parse_operator("bad").is_none());
        assert!(parse_operator("StringEqual").is_none());
        assert!(parse_operator("IfExists").is_none());
        assert!(parse_operator("ForAllValues:").is_none());
    }

    #[test]
    fn values() {
        let s = |x: &str| ConditionValue::String(x.into());
        assert!(value_problem(OpType::Date, &s("2019-07-16T12:00:00Z")).is_none());
        assert!(value_problem(OpType::Date, &s("1563278400")).is_none());
        assert!(value_problem(OpType::Date, &s("bad")).is_some());
        assert!(value_problem(OpType::Numeric, &s("28800")).is_none());
        assert!(value_problem(OpType::Numeric, &s("x")).is_some());
        assert!(value_problem(OpType::Bool, &ConditionValue::Bool(true)).is_none());
        assert!(value_problem(OpType::Bool, &s("yes")).is_some());
        assert!(value_problem(OpType::Ip, &s("10.0.0.0/8")).is_none());
        assert!(value_problem(OpType::Ip, &s("2001:db8::/32")).is_none());
        assert!(value_problem(OpType::Ip, &s("10.0.0.0/33")).is_some());
        assert!(value_problem(OpType::Numeric, &s("${aws:x}")).is_none());
    }

    #[test]
    fn arns() {
        assert!(arn_syntax_problem("*").is_none());
        assert!(arn_syntax_problem("arn:aws:s3:::b/*").is_none());
        assert!(arn_syntax_problem("arn:aws:iam::*:mfa/${aws:username}").is_none());
        assert!(arn_syntax_problem("s3").is_some());
        assert!(arn_syntax_problem("arn:aws:s3:::").is_some());
        assert!(arn_syntax_problem("arn::s3:::b").is_some());
        assert!(arn_syntax_problem("arn:foo:s3:::b").is_some());
        assert!(arn_syntax_problem("arn:aws::::b").is_some());
        assert!(arn_syntax_problem("arn:aws:codepipeline:*").is_none());
        assert!(arn_syntax_problem("arn:aws:organizations::*:").is_none());
        assert!(arn_syntax_problem("arn:aws:codepipeline").is_some());
    }
}
