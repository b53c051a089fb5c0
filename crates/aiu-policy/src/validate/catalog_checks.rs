//! Checks against the action catalog: unknown services and actions (with did-you-mean),
//! wildcards matching nothing, resource ARNs that cannot match the statement's actions (and
//! actions no resource applies to), condition keys not supported by the statement's actions,
//! operator/key type mismatches, and `ForAllValues:`/`ForAnyValue:` with single-valued keys.

use std::collections::HashSet;

use super::grammar::{arn_syntax_problem, parse_operator, OpType};
use super::{arn_pattern_can_match, elem_path, split_arn, stmt_path, Finding, Severity};
use crate::catalog::{has_wildcard, Action, Catalog, SOURCE};
use crate::document::{Effect, PolicyDocument};

/// How many action names a message lists before "and N more".
const LIST_MAX: usize = 8;

/// Severity calibration of the catalog checks (issue 5: "policies written by AWS itself produce
/// no ERROR finding"). The catalog is a snapshot ([`SOURCE`]) and lags AWS: new services and
/// actions appear every month, and retired ones (deeplens, deepracer, elastic-inference, zocalo,
/// iot1click, ...) stay in AWS's own managed policies, which IAM accepts (IAM does not check
/// action names at all). So an action, service or wildcard the catalog does not know is an
/// ERROR only when it is a likely typo: [`Catalog::typo_match`] finds a close correction (a
/// case/spacing slip or an edit distance <= 2; see there for the exact rule). With no close
/// match it is a WARNING (`UNKNOWN_SERVICE`, `UNKNOWN_ACTION`,
/// `ACTION_WILDCARD_MATCHES_NO_KNOWN_ACTION`) that names the catalog and its date: a new or
/// retired action, or a typo we cannot tell from one. Separate codes (rather than one code with
/// two severities) let `# aiu:allow UNKNOWN_ACTION` accept actions newer than the catalog
/// without also accepting typos.
fn not_in_catalog(cat: &Catalog, what: &str, a: &str) -> String {
    let nearest = match cat.suggest(a) {
        Some(s) => format!("; nearest known: \"{s}\""),
        None => String::new(),
    };
    format!(
        "{what} is not in the action catalog ({SOURCE}): a new or retired {}, or a typo (nothing in the catalog is close enough to be a likely misspelling{nearest})",
        if what.starts_with("service") { "service" } else { "action" }
    )
}

pub(crate) fn list_names(names: &[String]) -> String {
    if names.len() <= LIST_MAX {
        names.join(", ")
    } else {
        format!(
            "{} and {} more",
            names[..LIST_MAX].join(", "),
            names.len() - LIST_MAX
        )
    }
}

/// Whether an operator type fits a condition key type from the catalog.
fn compatible(op: OpType, key_type: &str) -> bool {
    let base = key_type
        .strip_prefix("ArrayOf")
        .unwrap_or(key_type)
        .to_ascii_lowercase();
    match op {
        OpType::String | OpType::Arn => matches!(base.as_str(), "string" | "arn"),
        OpType::Numeric => matches!(base.as_str(), "numeric" | "long" | "integer"),
        OpType::Date => matches!(base.as_str(), "date" | "numeric"),
        OpType::Bool => matches!(base.as_str(), "bool" | "boolean"),
        OpType::Ip => matches!(base.as_str(), "ipaddress" | "ip"),
        OpType::Binary => base == "binary",
        OpType::Null => true,
    }
}

pub(crate) fn check_document(doc: &PolicyDocument, out: &mut Vec<Finding>) {
    let cat = Catalog::get();
    for (i, s) in doc.statements.iter().enumerate() {
        let sp = stmt_path(doc, i);
        let sid = s.sid.as_deref();
        let mut push = |code: &'static str, sev: Severity, path: String, msg: String| {
            out.push(Finding::new(code, sev, path, msg).at(i, sid))
        };
        let mut expanded: Vec<&Action> = Vec::new();
        // All of Action resolved against the catalog, no `*`, no NotAction.
        let mut complete = s.not_action.is_none() && s.action.is_some();
        for (key, list) in [("Action", &s.action), ("NotAction", &s.not_action)] {
            let Some(list) = list else { continue };
            for (j, a) in list.iter().enumerate() {
                let path = elem_path(&sp, key, list.is_scalar(), j);
                if a == "*" {
                    complete = false;
                    continue;
                }
                let Some((prefix, name)) = a.split_once(':') else {
                    complete = false;
                    continue;
                };
                if prefix.is_empty() || name.is_empty() {
                    complete = false;
                    continue;
                }
                if !has_wildcard(prefix) && cat.service(prefix).is_none() {
                    match cat.typo_match(a) {
                        Some(s) => push(
                            "INVALID_SERVICE",
                            Severity::Error,
                            path,
                            format!("\"{prefix}\" in \"{a}\" is not a known service prefix; did you mean \"{s}\"?"),
                        ),
                        None => push(
                            "UNKNOWN_SERVICE",
                            Severity::Warning,
                            path,
                            not_in_catalog(cat, &format!("service prefix \"{prefix}\" (in \"{a}\")"), a),
                        ),
                    }
                    complete = false;
                    continue;
                }
                if has_wildcard(a) {
                    let m = cat.expand(a);
                    if m.is_empty() {
                        match cat.typo_match(a) {
                            Some(s) => push(
                                "ACTION_WILDCARD_MATCHES_NOTHING",
                                Severity::Error,
                                path,
                                format!("\"{a}\" matches no action; did you mean \"{s}\"?"),
                            ),
                            None => push(
                                "ACTION_WILDCARD_MATCHES_NO_KNOWN_ACTION",
                                Severity::Warning,
                                path,
                                not_in_catalog(cat, &format!("no action matching \"{a}\""), a),
                            ),
                        }
                        complete = false;
                    } else if key == "Action" {
                        expanded.extend(m);
                    }
                } else {
                    match cat.action(a) {
                        Some(act) => {
                            if key == "Action" {
                                expanded.push(act);
                            }
                        }
                        None => {
                            match cat.typo_match(a) {
                                Some(s) => push(
                                    "INVALID_ACTION",
                                    Severity::Error,
                                    path,
                                    format!("\"{a}\" is not an action of {prefix}; did you mean \"{s}\"?"),
                                ),
                                None => push("UNKNOWN_ACTION", Severity::Warning, path, not_in_catalog(cat, &format!("\"{a}\""), a)),
                            }
                            complete = false;
                        }
                    }
                }
            }
        }
        expanded.sort_by_key(|a| (a.service, a.name));
        expanded.dedup_by(|a, b| std::ptr::eq(*a, *b));

        // Resources.
        if complete && !expanded.is_empty() {
            if let Some(resources) = &s.resource {
                let has_star = resources.iter().any(|r| r == "*");
                let valid: Vec<bool> = resources
                    .iter()
                    .map(|r| arn_syntax_problem(r).is_none())
                    .collect();
                let all_valid = valid.iter().all(|v| *v);
                // Distinct (service, resource type index) of the actions.
                let mut rtypes: Vec<(&str, usize)> = expanded
                    .iter()
                    .flat_map(|a| a.resource_types.iter().map(move |r| (a.service, r.index)))
                    .collect();
                rtypes.sort_unstable();
                rtypes.dedup();
                let mut matched: HashSet<(&str, usize)> = HashSet::new();
                for (j, r) in resources.iter().enumerate() {
                    if r == "*" || !valid[j] {
                        continue;
                    }
                    let mut any = false;
                    for &(svc, idx) in &rtypes {
                        let rt = &cat.service(svc).expect("catalog service").resources[idx];
                        if arn_pattern_can_match(rt.arn, r) {
                            matched.insert((svc, idx));
                            any = true;
                        }
                    }
                    if !any {
                        let normalized = super::arn::normalize_arn(r);
                        let arn_svc = normalized
                            .as_deref()
                            .and_then(split_arn)
                            .map(|a| a.service)
                            .unwrap_or("");
                        let mut services: Vec<&str> = expanded.iter().map(|a| a.service).collect();
                        services.dedup();
                        let svc_known = has_wildcard(arn_svc)
                            || services.iter().any(|s| s.eq_ignore_ascii_case(arn_svc));
                        let msg = if !svc_known {
                            format!("\"{r}\" is an ARN of service \"{arn_svc}\", but the statement's actions are of {}", services.join(", "))
                        } else if rtypes.is_empty() {
                            format!(
                                "\"{r}\" cannot match: the statement's actions work only on \"*\""
                            )
                        } else {
                            let names: Vec<String> = rtypes
                                .iter()
                                .map(|&(svc, idx)| {
                                    let rt =
                                        &cat.service(svc).expect("catalog service").resources[idx];
                                    format!("{} ({})", rt.name, rt.arn)
                                })
                                .collect();
                            format!("\"{r}\" cannot match any resource type of the statement's actions: {}", list_names(&names))
                        };
                        push(
                            "RESOURCE_MATCHES_NO_ACTION",
                            Severity::Warning,
                            elem_path(&sp, "Resource", resources.is_scalar(), j),
                            msg,
                        );
                    }
                }
                if s.effect == Effect::Allow && !has_star && all_valid {
                    let unmatched: Vec<String> = expanded
                        .iter()
                        .filter(|a| {
                            !a.resource_types
                                .iter()
                                .any(|r| matched.contains(&(a.service, r.index)))
                        })
                        .map(|a| {
                            if a.resource_types.is_empty() {
                                format!("{} (needs \"*\")", a.full_name())
                            } else {
                                a.full_name()
                            }
                        })
                        .collect();
                    if !unmatched.is_empty() {
                        push(
                            "ACTION_MATCHES_NO_RESOURCE",
                            Severity::Warning,
                            format!("{sp}.Resource"),
                            format!(
                                "{} of the statement's actions cannot apply to any of its resources, so they grant nothing here: {}",
                                unmatched.len(),
                                list_names(&unmatched)
                            ),
                        );
                    }
                }
            }
        }

        // Condition keys.
        let Some(cond) = &s.condition else { continue };
        for (op, keys) in cond {
            let Some(parsed) = parse_operator(op) else {
                continue;
            };
            for key in keys.keys() {
                let path = format!("{sp}.Condition.{op}.{key}");
                let prefix = key.split_once(':').map(|(p, _)| p).unwrap_or("");
                // Web identity / SAML provider keys (accounts.google.com:aud, oidc.eks...:sub).
                if prefix.contains('.') || prefix.contains('/') {
                    continue;
                }
                let def = cat.condition_key(key);
                let global = cat.is_global_condition_key(key);
                let supported = || {
                    !expanded.is_empty() && expanded.iter().any(|a| cat.action_supports_key(a, key))
                };
                if global {
                    // Global keys work with every action.
                } else if def.is_none() && !supported() {
                    push(
                        "INVALID_CONDITION_KEY",
                        Severity::Warning,
                        path.clone(),
                        format!("\"{key}\" is neither a global condition key nor a condition key of a known service"),
                    );
                } else if def.is_some() && complete && !expanded.is_empty() && !supported() {
                    let names: Vec<String> = expanded.iter().map(|a| a.full_name()).collect();
                    push(
                        "CONDITION_KEY_NOT_SUPPORTED_BY_ACTIONS",
                        Severity::Warning,
                        path.clone(),
                        format!(
                            "no action of the statement supports condition key \"{key}\" ({})",
                            list_names(&names)
                        ),
                    );
                }
                let Some(def) = def else { continue };
                if !compatible(parsed.op_type, def.key_type) {
                    push(
                        "CONDITION_TYPE_MISMATCH",
                        Severity::Warning,
                        path.clone(),
                        format!(
                            "\"{key}\" is of type {}, which operator {op} does not compare",
                            def.key_type
                        ),
                    );
                }
                match parsed.for_all {
                    Some(true) if !def.is_multivalued() => push(
                        "FORALLVALUES_WITH_SINGLE_VALUED_KEY",
                        Severity::SecurityWarning,
                        path.clone(),
                        format!("ForAllValues: with the single-valued key \"{key}\" is also true when the key is absent from the request; drop ForAllValues:"),
                    ),
                    Some(false) if !def.is_multivalued() => push(
                        "FORANYVALUE_WITH_SINGLE_VALUED_KEY",
                        Severity::Warning,
                        path.clone(),
                        format!("ForAnyValue: is for multivalued keys; \"{key}\" is single-valued: drop ForAnyValue:"),
                    ),
                    _ => {}
                }
            }
        }
    }
}
