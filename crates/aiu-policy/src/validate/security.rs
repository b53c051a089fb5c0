//! Security checks (iam:PassRole on `*`, `*` and `service:*` on `*`, NotAction / NotResource /
//! NotPrincipal with Allow, trust policies anyone can assume, MFA condition pattern) and
//! redundancy suggestions.

use super::{elem_path, split_arn, stmt_path, Finding, Severity};
use crate::catalog::{has_wildcard, wildcard_match, Catalog};
use crate::document::{ConditionValue, Effect, OneOrMany, PolicyDocument, Principal};
use crate::structure::PolicyKind;

/// A resource that stands for every role: `*`, `arn:...:*`, `arn:aws:iam::123:role/*`.
fn any_role(r: &str) -> bool {
    r == "*" || split_arn(r).is_some_and(|a| matches!(a.resource, "*" | "role/*" | "role*"))
}

pub(crate) fn check_document(doc: &PolicyDocument, kind: PolicyKind, out: &mut Vec<Finding>) {
    for (i, s) in doc.statements.iter().enumerate() {
        let sp = stmt_path(doc, i);
        let sid = s.sid.as_deref();
        let mut push = |code: &'static str, sev: Severity, path: String, msg: String| {
            out.push(Finding::new(code, sev, path, msg).at(i, sid))
        };
        if s.effect == Effect::Allow {
            if s.not_action.is_some() {
                push("ALLOW_WITH_NOT_ACTION", Severity::SecurityWarning, format!("{sp}.NotAction"), "Allow with NotAction grants every action not listed, including future ones; list the actions instead".into());
            }
            if s.not_resource.is_some() {
                push("ALLOW_WITH_NOT_RESOURCE", Severity::SecurityWarning, format!("{sp}.NotResource"), "Allow with NotResource grants every resource not listed; list the resources instead".into());
            }
            if s.not_principal.is_some() {
                push("ALLOW_WITH_NOT_PRINCIPAL", Severity::SecurityWarning, format!("{sp}.NotPrincipal"), "Allow with NotPrincipal grants every principal not listed, including anonymous users".into());
            }
            let star = s
                .resource
                .as_ref()
                .is_some_and(|r| r.iter().any(|x| x == "*"));
            if let Some(actions) = &s.action {
                if star {
                    if actions.iter().any(|a| a == "*") {
                        push(
                            "STAR_ACTION_ON_STAR_RESOURCE",
                            Severity::SecurityWarning,
                            format!("{sp}.Action"),
                            "Action \"*\" on Resource \"*\" grants full administrator access"
                                .into(),
                        );
                    }
                    let services: Vec<&str> = actions
                        .iter()
                        .filter_map(|a| a.strip_suffix(":*"))
                        .filter(|p| !p.is_empty())
                        .collect();
                    if !services.is_empty() {
                        push(
                            "SERVICE_WILDCARD_ON_STAR_RESOURCE",
                            Severity::SecurityWarning,
                            format!("{sp}.Action"),
                            format!("{} on Resource \"*\" grants every action of the service on every resource", services.iter().map(|p| format!("\"{p}:*\"")).collect::<Vec<_>>().join(", ")),
                        );
                    }
                }
            }
            if kind == PolicyKind::Identity {
                let passrole = match (&s.action, &s.not_action) {
                    (Some(a), _) => a.iter().any(|p| wildcard_match(p, "iam:PassRole")),
                    (None, Some(na)) => !na.iter().any(|p| wildcard_match(p, "iam:PassRole")),
                    _ => false,
                };
                if passrole {
                    let wide = s
                        .resource
                        .as_ref()
                        .and_then(|r| r.iter().find(|x| any_role(x)).cloned());
                    if let Some(r) = wide {
                        push(
                            "PASS_ROLE_WITH_STAR_IN_RESOURCE",
                            Severity::SecurityWarning,
                            format!("{sp}.Resource"),
                            format!("iam:PassRole on \"{r}\" lets this identity pass any role, including more privileged ones, to a service; list the role ARNs"),
                        );
                    } else if s.not_resource.is_some() {
                        push(
                            "PASS_ROLE_WITH_STAR_IN_RESOURCE",
                            Severity::SecurityWarning,
                            format!("{sp}.NotResource"),
                            "iam:PassRole with NotResource lets this identity pass every role not listed; list the role ARNs".into(),
                        );
                    }
                }
            }
            if let Some(cond) = &s.condition {
                for (op, keys) in cond {
                    if op != "Bool" {
                        continue;
                    }
                    for (key, values) in keys {
                        let is_false =
                            |v: &ConditionValue| v.to_string_form().eq_ignore_ascii_case("false");
                        let any_false = match values {
                            OneOrMany::One(v) => is_false(v),
                            OneOrMany::Many(vs) => vs.iter().any(is_false),
                        };
                        if key.eq_ignore_ascii_case("aws:MultiFactorAuthPresent") && any_false {
                            push(
                                "BAD_PATTERN_FOR_MFA",
                                Severity::Warning,
                                format!("{sp}.Condition.{op}.{key}"),
                                "aws:MultiFactorAuthPresent is absent (not \"false\") for requests without MFA made with long-term keys, so this Allow does not match them; use BoolIfExists or Null".into(),
                            );
                        }
                    }
                }
            }
        }
        if kind == PolicyKind::Trust
            && s.effect == Effect::Allow
            && s.condition.as_ref().is_none_or(|c| c.is_empty())
        {
            let anyone = match &s.principal {
                Some(Principal::Wildcard) => true,
                Some(Principal::Map(m)) => m
                    .iter()
                    .any(|(t, ids)| t == "AWS" && ids.iter().any(|x| x == "*")),
                None => false,
            };
            if anyone {
                push(
                    "TRUST_POLICY_ANY_PRINCIPAL",
                    Severity::SecurityWarning,
                    format!("{sp}.Principal"),
                    "any AWS principal, in any account, can assume this role: name the principals or add a Condition (e.g. aws:PrincipalOrgID, sts:ExternalId)".into(),
                );
            }
        }
    }
}

/// REDUNDANT_ACTION: an action covered by a wildcard, or repeated, in the same statement.
pub(crate) fn suggestions(doc: &PolicyDocument, out: &mut Vec<Finding>) {
    let cat = Catalog::get();
    for (i, s) in doc.statements.iter().enumerate() {
        let sp = stmt_path(doc, i);
        for (key, list) in [("Action", &s.action), ("NotAction", &s.not_action)] {
            let Some(list) = list else { continue };
            let items = list.as_slice();
            if items.len() < 2 {
                continue;
            }
            // covers(b, a): every action a can stand for is matched by b.
            let covers = |b: &str, a: &str| -> bool {
                if b == "*" {
                    return true;
                }
                if !has_wildcard(b) {
                    return false;
                }
                if !has_wildcard(a) {
                    return wildcard_match(b, a);
                }
                // Quick reject: the literal heads (before the first wildcard) must be compatible.
                let head =
                    |x: &str| x[..x.find(['*', '?']).unwrap_or(x.len())].to_ascii_lowercase();
                let (ha, hb) = (head(a), head(b));
                if !ha.starts_with(&hb) && !hb.starts_with(&ha) {
                    return false;
                }
                let ea = cat.expand(a);
                !ea.is_empty() && ea.iter().all(|x| wildcard_match(b, &x.full_name()))
            };
            for (j, a) in items.iter().enumerate() {
                let by = items.iter().enumerate().find(|(k, b)| {
                    *k != j
                        && if b.eq_ignore_ascii_case(a) {
                            *k < j
                        } else {
                            covers(b, a) && !(covers(a, b) && *k > j)
                        }
                });
                if let Some((_, b)) = by {
                    let msg = if b.eq_ignore_ascii_case(a) {
                        format!("\"{a}\" is listed more than once in {key}")
                    } else {
                        format!("\"{a}\" is already covered by \"{b}\" in the same statement")
                    };
                    out.push(
                        Finding::new(
                            "REDUNDANT_ACTION",
                            Severity::Suggestion,
                            elem_path(&sp, key, list.is_scalar(), j),
                            msg,
                        )
                        .at(i, s.sid.as_deref()),
                    );
                }
            }
        }
    }
}
