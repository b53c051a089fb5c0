//! [`PolicyKind`] and a minimal structural check of a parsed document.
//!
//! This is deliberately small (the full validator is separate work): trust policies need a
//! Principal and have no Resource; identity policies have no Principal; resource policies need
//! a Principal; Version should be present and known; Sids match `[A-Za-z0-9]*` and are unique.

use std::collections::BTreeMap;

use crate::document::PolicyDocument;

/// What a document is used as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum PolicyKind {
    /// Attached to a role/user/group (inline or managed): no Principal.
    Identity,
    /// A role's assume-role policy: Principal required, no Resource.
    Trust,
    /// Attached to a resource (bucket, key, secret...): Principal required.
    Resource,
}

/// One structural problem, located by JSON path.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct StructuralProblem {
    /// JSON path, e.g. `Statement[0].Principal`; empty for the document.
    pub path: String,
    /// Stable code, e.g. `MISSING_VERSION`, `TRUST_POLICY_WITHOUT_PRINCIPAL`.
    pub code: &'static str,
    pub message: String,
}

fn problem(path: String, code: &'static str, message: impl Into<String>) -> StructuralProblem {
    StructuralProblem {
        path,
        code,
        message: message.into(),
    }
}

/// Checks the structure of `doc` used as `kind`. Problem codes: `MISSING_VERSION`,
/// `UNKNOWN_VERSION`, `INVALID_SID`, `DUPLICATE_SID`, `TRUST_POLICY_WITHOUT_PRINCIPAL`,
/// `TRUST_POLICY_WITH_RESOURCE`, `IDENTITY_POLICY_WITH_PRINCIPAL`,
/// `RESOURCE_POLICY_WITHOUT_PRINCIPAL`.
pub fn check_structure(doc: &PolicyDocument, kind: PolicyKind) -> Vec<StructuralProblem> {
    let mut out = Vec::new();
    match doc.version.as_deref() {
        None => out.push(problem(
            String::new(),
            "MISSING_VERSION",
            "no Version: policy variables are treated as literal text; add \"Version\": \"2012-10-17\"",
        )),
        Some("2012-10-17") | Some("2008-10-17") => {}
        Some(v) => out.push(problem(
            "Version".into(),
            "UNKNOWN_VERSION",
            format!("unknown Version \"{v}\" (expected \"2012-10-17\" or \"2008-10-17\")"),
        )),
    }
    let mut seen_sids: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, s) in doc.statements.iter().enumerate() {
        let path = if doc.statement_is_object {
            "Statement".to_string()
        } else {
            format!("Statement[{i}]")
        };
        if let Some(sid) = s.sid.as_deref() {
            if !sid.bytes().all(|b| b.is_ascii_alphanumeric()) {
                out.push(problem(
                    format!("{path}.Sid"),
                    "INVALID_SID",
                    format!("Sid \"{sid}\" may contain only letters and digits ([A-Za-z0-9])"),
                ));
            }
            if !sid.is_empty() {
                if let Some(first) = seen_sids.insert(sid, i) {
                    out.push(problem(
                        format!("{path}.Sid"),
                        "DUPLICATE_SID",
                        format!("Sid \"{sid}\" is already used by Statement[{first}]"),
                    ));
                    seen_sids.insert(sid, first);
                }
            }
        }
        let has_principal = s.principal.is_some() || s.not_principal.is_some();
        match kind {
            PolicyKind::Trust => {
                if !has_principal {
                    out.push(problem(
                        path.clone(),
                        "TRUST_POLICY_WITHOUT_PRINCIPAL",
                        "a trust policy statement needs a Principal",
                    ));
                }
                if s.resource.is_some() || s.not_resource.is_some() {
                    let key = if s.resource.is_some() {
                        "Resource"
                    } else {
                        "NotResource"
                    };
                    out.push(problem(
                        format!("{path}.{key}"),
                        "TRUST_POLICY_WITH_RESOURCE",
                        format!("a trust policy statement must not have {key} (the role is the resource)"),
                    ));
                }
            }
            PolicyKind::Identity => {
                if has_principal {
                    let key = if s.principal.is_some() {
                        "Principal"
                    } else {
                        "NotPrincipal"
                    };
                    out.push(problem(
                        format!("{path}.{key}"),
                        "IDENTITY_POLICY_WITH_PRINCIPAL",
                        format!("an identity policy must not have {key} (it applies to the identity it is attached to)"),
                    ));
                }
            }
            PolicyKind::Resource => {
                if !has_principal {
                    out.push(problem(
                        path.clone(),
                        "RESOURCE_POLICY_WITHOUT_PRINCIPAL",
                        "a resource policy statement needs a Principal",
                    ));
                }
            }
        }
    }
    out
}
