//! Privilege-escalation combinations (the Rhino Security Labs list, as cloudsplaining and
//! parliament use it): sets of actions that, granted together to one identity, let it gain
//! more privileges. Checked within one policy and across all the policies of a role.

use super::{stmt_path, Finding, Severity};
use crate::catalog::wildcard_match;
use crate::document::{Effect, PolicyDocument, Statement};

/// One escalation method: a name, the actions that together enable it, and how.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EscalationMethod {
    pub name: &'static str,
    pub actions: &'static [&'static str],
    pub description: &'static str,
}

const fn m(
    name: &'static str,
    actions: &'static [&'static str],
    description: &'static str,
) -> EscalationMethod {
    EscalationMethod {
        name,
        actions,
        description,
    }
}

/// The methods checked (Rhino Security Labs, "AWS IAM Privilege Escalation – Methods and Mitigation").
pub const ESCALATION_METHODS: &[EscalationMethod] = &[
    m(
        "CreateNewPolicyVersion",
        &["iam:CreatePolicyVersion"],
        "create a new default version of a managed policy with any permissions",
    ),
    m(
        "SetExistingDefaultPolicyVersion",
        &["iam:SetDefaultPolicyVersion"],
        "make an older, more permissive policy version the default",
    ),
    m(
        "CreateEC2WithExistingInstanceProfile",
        &["iam:PassRole", "ec2:RunInstances"],
        "launch an instance with a more privileged role and use its credentials",
    ),
    m(
        "CreateAccessKey",
        &["iam:CreateAccessKey"],
        "create access keys for another, more privileged user",
    ),
    m(
        "CreateLoginProfile",
        &["iam:CreateLoginProfile"],
        "set a console password for a user that has none",
    ),
    m(
        "UpdateLoginProfile",
        &["iam:UpdateLoginProfile"],
        "change another user's console password",
    ),
    m(
        "AttachUserPolicy",
        &["iam:AttachUserPolicy"],
        "attach any managed policy (e.g. AdministratorAccess) to a user",
    ),
    m(
        "AttachGroupPolicy",
        &["iam:AttachGroupPolicy"],
        "attach any managed policy to a group",
    ),
    m(
        "AttachRolePolicy",
        &["iam:AttachRolePolicy"],
        "attach any managed policy to a role, including this one",
    ),
    m(
        "PutUserPolicy",
        &["iam:PutUserPolicy"],
        "write an inline policy with any permissions on a user",
    ),
    m(
        "PutGroupPolicy",
        &["iam:PutGroupPolicy"],
        "write an inline policy with any permissions on a group",
    ),
    m(
        "PutRolePolicy",
        &["iam:PutRolePolicy"],
        "write an inline policy with any permissions on a role, including this one",
    ),
    m(
        "AddUserToGroup",
        &["iam:AddUserToGroup"],
        "add a user to a more privileged group",
    ),
    m(
        "UpdateRolePolicyToAssumeIt",
        &["iam:UpdateAssumeRolePolicy", "sts:AssumeRole"],
        "rewrite a privileged role's trust policy, then assume it",
    ),
    m(
        "PassExistingRoleToNewLambdaThenInvoke",
        &[
            "iam:PassRole",
            "lambda:CreateFunction",
            "lambda:InvokeFunction",
        ],
        "create a function with a more privileged role and invoke it",
    ),
    m(
        "PassExistingRoleToNewLambdaThenTriggerWithExistingDynamo",
        &[
            "iam:PassRole",
            "lambda:CreateFunction",
            "lambda:CreateEventSourceMapping",
        ],
        "create a function with a more privileged role and trigger it from an event source",
    ),
    m(
        "PassExistingRoleToNewLambdaThenAddPermission",
        &[
            "iam:PassRole",
            "lambda:CreateFunction",
            "lambda:AddPermission",
        ],
        "create a function with a more privileged role and let another account invoke it",
    ),
    m(
        "PassExistingRoleToNewGlueDevEndpoint",
        &["iam:PassRole", "glue:CreateDevEndpoint"],
        "create a Glue development endpoint with a more privileged role and log in to it",
    ),
    m(
        "UpdateExistingGlueDevEndpoint",
        &["glue:UpdateDevEndpoint"],
        "add an SSH key to an existing Glue development endpoint and use its role",
    ),
    m(
        "PassExistingRoleToCloudFormation",
        &["iam:PassRole", "cloudformation:CreateStack"],
        "create a stack that runs with a more privileged role",
    ),
    m(
        "PassExistingRoleToNewDataPipeline",
        &["iam:PassRole", "datapipeline:CreatePipeline"],
        "create a pipeline that runs commands with a more privileged role",
    ),
    m(
        "EditExistingLambdaFunctionWithRole",
        &["lambda:UpdateFunctionCode"],
        "replace the code of a function that has a more privileged role",
    ),
    m(
        "PassExistingRoleToNewCodeStarProject",
        &["iam:PassRole", "codestar:CreateProject"],
        "create a CodeStar project with a more privileged role",
    ),
    m(
        "CreateCodeStarProjectFromTemplate",
        &["codestar:CreateProjectFromTemplate"],
        "create a CodeStar project from a template that grants more privileges",
    ),
];

/// How a statement matches `action`: `Some(pattern)` (or `Some("NotAction")`) when it does.
fn statement_matches(s: &Statement, action: &str) -> Option<String> {
    if let Some(list) = &s.action {
        return list.iter().find(|p| wildcard_match(p, action)).cloned();
    }
    if let Some(list) = &s.not_action {
        if !list.iter().any(|p| wildcard_match(p, action)) {
            return Some(format!(
                "NotAction {}",
                list.iter().cloned().collect::<Vec<_>>().join(",")
            ));
        }
    }
    None
}

struct Grant<'a> {
    policy: Option<&'a str>,
    index: usize,
    path: String,
    sid: Option<&'a str>,
    via: String,
}

/// Escalation findings for the policies of one identity (label `None` for a lone document).
pub(crate) fn privilege_escalations(policies: &[(Option<&str>, &PolicyDocument)]) -> Vec<Finding> {
    let grants_of = |action: &str| -> Vec<Grant<'_>> {
        // An unconditional Deny on Resource "*" anywhere cancels the action.
        let denied = policies.iter().any(|(_, d)| {
            d.statements.iter().any(|s| {
                s.effect == Effect::Deny
                    && s.condition.as_ref().is_none_or(|c| c.is_empty())
                    && s.resource
                        .as_ref()
                        .is_some_and(|r| r.iter().any(|x| x == "*"))
                    && statement_matches(s, action).is_some()
            })
        });
        if denied {
            return Vec::new();
        }
        let mut out = Vec::new();
        for (label, d) in policies {
            for (i, s) in d.statements.iter().enumerate() {
                if s.effect != Effect::Allow {
                    continue;
                }
                // Granted only on named resources (a role ARN, a prefix) is not an escalation
                // path: the identity cannot reach an arbitrary, more privileged target.
                let broad = match &s.resource {
                    Some(resources) => resources.iter().any(|r| is_broad_resource(r)),
                    None => true,
                };
                if !broad {
                    continue;
                }
                if let Some(via) = statement_matches(s, action) {
                    out.push(Grant {
                        policy: *label,
                        index: i,
                        path: stmt_path(d, i),
                        sid: s.sid.as_deref(),
                        via,
                    });
                }
            }
        }
        out
    };
    let mut cache: std::collections::HashMap<&str, Vec<Grant<'_>>> =
        std::collections::HashMap::new();
    let mut findings = Vec::new();
    for method in ESCALATION_METHODS {
        for a in method.actions {
            cache.entry(a).or_insert_with(|| grants_of(a));
        }
        if method.actions.iter().any(|a| cache[a].is_empty()) {
            continue;
        }
        let parts: Vec<String> = method
            .actions
            .iter()
            .map(|a| {
                let g = &cache[a][0];
                let mut where_ = match g.policy {
                    Some(l) => format!("policy \"{l}\" {}", g.path),
                    None => g.path.clone(),
                };
                if !g.via.eq_ignore_ascii_case(a) {
                    where_ = format!("{where_} via {}", g.via);
                }
                let more = cache[a].len() - 1;
                if more > 0 {
                    where_ = format!("{where_} (+{more} more)");
                }
                format!("{a} [{where_}]")
            })
            .collect();
        let mut labels: Vec<&str> = method
            .actions
            .iter()
            .filter_map(|a| cache[a][0].policy)
            .collect();
        labels.sort_unstable();
        labels.dedup();
        let first = &cache[method.actions[0]][0];
        let mut f = Finding::new(
            "PRIVILEGE_ESCALATION",
            Severity::SecurityWarning,
            first.path.clone(),
            format!(
                "privilege escalation ({}): {} lets this identity {}{}",
                method.name,
                parts.join(" + "),
                method.description,
                if labels.len() > 1 {
                    format!(
                        "; combines policies {}",
                        labels
                            .iter()
                            .map(|l| format!("\"{l}\""))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                } else {
                    String::new()
                }
            ),
        )
        .at(first.index, first.sid);
        f.policy = first.policy.map(str::to_string);
        findings.push(f);
    }
    if findings.len() == ESCALATION_METHODS.len() && findings.len() > 1 {
        // Every method: one finding instead of a screenful (typically Action "*" or NotAction).
        let mut f = findings.swap_remove(
            ESCALATION_METHODS
                .iter()
                .position(|m| m.name == "PutRolePolicy")
                .unwrap_or(0),
        );
        f.message = format!(
            "privilege escalation: all {} known methods are possible, e.g. {}; this identity effectively has administrator access",
            ESCALATION_METHODS.len(),
            f.message.trim_start_matches("privilege escalation ")
        );
        return vec![f];
    }
    findings
}

/// Whether a resource pattern reaches arbitrary objects of its type: `*`, or an ARN whose
/// resource part is `*` or `type/*` (e.g. `arn:aws:iam::123456789012:role/*`). A name, a
/// prefix (`role/engine-*`) or a path (`role/team/*`) is narrow.
fn is_broad_resource(resource: &str) -> bool {
    if resource == "*" {
        return true;
    }
    let Some(tail) = resource.splitn(6, ':').nth(5) else {
        return false;
    };
    if tail == "*" {
        return true;
    }
    match tail.split_once('/') {
        Some((kind, rest)) => !kind.contains('*') && rest == "*",
        None => false,
    }
}

#[cfg(test)]
mod broad_resource_tests {
    use super::is_broad_resource;

    #[test]
    fn wildcards_over_a_whole_type_are_broad_names_and_prefixes_are_not() {
        assert!(is_broad_resource("*"));
        assert!(is_broad_resource("arn:aws:iam::123456789012:role/*"));
        assert!(is_broad_resource("arn:aws:iam::*:*"));
        assert!(!is_broad_resource("arn:aws:iam::123456789012:role/engine"));
        assert!(!is_broad_resource(
            "arn:aws:iam::123456789012:role/engine-*"
        ));
        assert!(!is_broad_resource("arn:aws:iam::123456789012:role/team/*"));
    }
}
