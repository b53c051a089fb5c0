//! Policy validation of a planned configuration: every policy document, name, path and limit
//! of the planned objects is checked with `aiu_policy::validate`, and every role is checked as
//! a whole (all its inline and attached policies together: privilege-escalation combinations,
//! the 10,240-character inline total).
//!
//! Findings become diagnostics at the span of the attribute they concern. ERROR findings are
//! errors (they stop plan and apply); the others are warnings. A finding can be suppressed for
//! one resource with a comment directly above its block:
//!
//! ```hcl
//! # aiu:allow PASS_ROLE_WITH_STAR_IN_RESOURCE -- the published policy requires it
//! resource "aws_iam_policy" "workspaces" { ... }
//! ```

use std::collections::{BTreeMap, BTreeSet};

use aiu_config::{Config, ResourceBlock};
use aiu_model::{
    Diagnostic, Diagnostics, InstanceAddress, ResourceMode, Severity as DiagSeverity, Span, Value,
};
use aiu_policy::validate::{
    validate_description, validate_max_session_duration, validate_path, validate_policy_name,
    validate_tags,
};
use aiu_policy::{
    validate_policy, validate_role, Finding, PolicyKind, RolePolicy, Severity, ValidateOptions,
};

use crate::model::{Action, Plan, ResourceChange};

/// One finding about one planned object.
#[derive(Clone, Debug, PartialEq)]
pub struct PolicyFinding {
    pub address: InstanceAddress,
    /// The attribute concerned (`policy`, `assume_role_policy`, `name`...).
    pub attribute: String,
    pub finding: Finding,
    pub span: Option<Span>,
}

impl PolicyFinding {
    /// As a diagnostic: ERROR findings are errors, the rest warnings.
    pub fn to_diagnostic(&self) -> Diagnostic {
        let severity = if self.finding.severity == Severity::Error {
            DiagSeverity::Error
        } else {
            DiagSeverity::Warning
        };
        let mut detail = format!(
            "{}.{}: {}",
            self.address, self.attribute, self.finding.message
        );
        if let Some(policy) = &self.finding.policy {
            detail.push_str(&format!(" (policy: {policy})"));
        }
        match (&self.finding.sid, self.finding.statement_index) {
            (Some(sid), _) => detail.push_str(&format!(" (statement \"{sid}\")")),
            (None, Some(i)) => detail.push_str(&format!(" (statement #{})", i + 1)),
            _ => {}
        }
        detail.push_str(&format!(
            "\nTo accept this finding for this resource, put `# aiu:allow {}` on the line above its block.",
            self.finding.code
        ));
        Diagnostic {
            severity,
            summary: format!("{} {}", self.finding.severity, self.finding.code),
            detail,
            span: self.span.clone(),
        }
    }
}

/// Validates every policy-bearing object the plan will create or keep.
pub fn validate_plan(plan: &Plan, config: &Config) -> Vec<PolicyFinding> {
    let opts = ValidateOptions::default();
    let planned: Vec<&ResourceChange> = plan
        .changes
        .iter()
        .filter(|c| {
            c.address.resource.mode == ResourceMode::Managed && !matches!(c.action, Action::Delete)
        })
        .collect();
    let mut out = Vec::new();
    let known = |c: &ResourceChange, attr: &str| -> Option<String> {
        c.after
            .as_ref()
            .and_then(|a| a.get(attr))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    for change in &planned {
        let block = config.resource(&change.address.resource);
        let mut push = |attribute: &str, findings: Vec<Finding>| {
            for finding in findings {
                out.push(PolicyFinding {
                    address: change.address.clone(),
                    attribute: attribute.to_owned(),
                    span: block.and_then(|b| attribute_span(b, attribute)),
                    finding,
                });
            }
        };
        let after = change.after.as_ref();
        match change.address.resource.type_name.as_str() {
            "aws_iam_role" => {
                // Trust and identity policies of a role are checked together below.
                if let Some(v) = after
                    .and_then(|a| a.get("max_session_duration"))
                    .and_then(Value::as_f64)
                {
                    push(
                        "max_session_duration",
                        validate_max_session_duration(v as i64),
                    );
                }
            }
            "aws_iam_role_policy" => {
                if let Some(text) = known(change, "policy") {
                    let inline = ValidateOptions {
                        identity_size_limit: INLINE_POLICY_SIZE_LIMIT,
                        privilege_escalation: false,
                        ..opts.clone()
                    };
                    push(
                        "policy",
                        validate_policy(text.as_str(), PolicyKind::Identity, &inline),
                    );
                }
                if let Some(name) = known(change, "name") {
                    push("name", validate_policy_name(&name));
                }
            }
            "aws_iam_policy" => {
                if let Some(text) = known(change, "policy") {
                    push(
                        "policy",
                        validate_policy(text.as_str(), PolicyKind::Identity, &opts),
                    );
                }
                if let Some(name) = known(change, "name") {
                    push("name", validate_policy_name(&name));
                }
            }
            _ => {}
        }
        if let Some(path) = known(change, "path") {
            push("path", validate_path(&path));
        }
        if let Some(description) = known(change, "description") {
            push("description", validate_description(&description));
        }
        if let Some(Value::Object(tags)) = after.and_then(|a| a.get("tags")) {
            let pairs: Vec<(&str, &str)> = tags
                .iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.as_str(), v)))
                .collect();
            push("tags", validate_tags(pairs));
        }
    }
    out.extend(validate_roles(&planned, config, &opts));
    suppress(out, config)
}

/// Each role with everything attached to it: trust policy, inline policies, managed policies
/// (documents from the plan, matched by ARN or by a name the plan knows).
fn validate_roles(
    planned: &[&ResourceChange],
    config: &Config,
    opts: &ValidateOptions,
) -> Vec<PolicyFinding> {
    let str_attr = |c: &ResourceChange, a: &str| {
        c.after
            .as_ref()
            .and_then(|v| v.get(a))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    // Managed policy documents by ARN (known after the first apply) and by address.
    let mut managed_by_arn: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut managed_by_address: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for c in planned
        .iter()
        .filter(|c| c.address.resource.type_name == "aws_iam_policy")
    {
        if let Some(doc) = str_attr(c, "policy") {
            let label = c.address.to_string();
            if let Some(arn) = str_attr(c, "arn") {
                managed_by_arn.insert(arn, (label.clone(), doc.clone()));
            }
            managed_by_address
                .entry(c.address.resource.to_string())
                .or_default()
                .push((label, doc));
        }
    }
    // Inline policies and attachments by the role they name (known name, or unknown).
    let mut by_role_name: BTreeMap<&str, Vec<&ResourceChange>> = BTreeMap::new();
    let mut unknown_role: Vec<&ResourceChange> = Vec::new();
    for c in planned.iter().copied().filter(|c| {
        matches!(
            c.address.resource.type_name.as_str(),
            "aws_iam_role_policy" | "aws_iam_role_policy_attachment"
        )
    }) {
        match c.after.as_ref().and_then(|v| v.get("role")) {
            Some(Value::String(r)) => by_role_name.entry(r.as_str()).or_default().push(c),
            Some(v) if v.contains_unknown() => unknown_role.push(c),
            _ => {}
        }
    }
    let mut role_instances: BTreeMap<&aiu_model::ResourceAddress, usize> = BTreeMap::new();
    for c in planned
        .iter()
        .filter(|c| c.address.resource.type_name == "aws_iam_role")
    {
        *role_instances.entry(&c.address.resource).or_default() += 1;
    }
    let mut out = Vec::new();
    for role in planned
        .iter()
        .filter(|c| c.address.resource.type_name == "aws_iam_role")
    {
        let (Some(name), Some(trust)) =
            (str_attr(role, "name"), str_attr(role, "assume_role_policy"))
        else {
            continue;
        };
        let mut texts: Vec<(String, String, bool)> = Vec::new();
        let mut seen = BTreeSet::new();
        // Dependencies name resources, not instances: they identify the role only when it
        // has a single instance.
        let role_resource = (role_instances.get(&role.address.resource) == Some(&1))
            .then(|| role.address.resource.to_string());
        // A policy names its role; before the first apply the name may be unknown
        // (`role = aws_iam_role.x.id`), then the dependency tells.
        let by_dependency = unknown_role.iter().copied().filter(|c| {
            role_resource
                .as_ref()
                .is_some_and(|r| c.dependencies.contains(r))
        });
        let members: Vec<&ResourceChange> = by_role_name
            .get(name.as_str())
            .into_iter()
            .flatten()
            .copied()
            .chain(by_dependency)
            .collect();
        for c in members {
            match c.address.resource.type_name.as_str() {
                "aws_iam_role_policy" => {
                    if let Some(doc) = str_attr(c, "policy") {
                        texts.push((c.address.to_string(), doc, true));
                    }
                }
                "aws_iam_role_policy_attachment" => {
                    let by_arn =
                        str_attr(c, "policy_arn").and_then(|arn| managed_by_arn.get(&arn).cloned());
                    // Before the first apply the ARN is unknown: use the attachment's dependency.
                    // Dependencies name resources, not instances: a dependency identifies the
                    // policy only when that resource has a single instance.
                    let by_dep = || {
                        c.dependencies.iter().find_map(|d| {
                            match managed_by_address.get(d).map(Vec::as_slice) {
                                Some([only]) => Some(only.clone()),
                                _ => None,
                            }
                        })
                    };
                    if let Some((label, doc)) = by_arn.or_else(by_dep) {
                        if seen.insert(label.clone()) {
                            texts.push((label, doc, false));
                        }
                    }
                }
                _ => {}
            }
        }
        let policies: Vec<RolePolicy<'_>> = texts
            .iter()
            .map(|(label, doc, inline)| {
                if *inline {
                    RolePolicy::inline(label, doc)
                } else {
                    RolePolicy::managed(label, doc)
                }
            })
            .collect();
        let block = config.resource(&role.address.resource);
        // Each policy document is validated on its own above; from the role check keep what
        // concerns the role as a whole, so nothing is reported twice.
        for finding in validate_role(&name, &trust, &policies, opts)
            .into_iter()
            .filter(is_role_level)
        {
            let attribute =
                if finding.policy.as_deref() == Some(aiu_policy::validate::TRUST_POLICY_LABEL) {
                    "assume_role_policy"
                } else {
                    "name"
                };
            out.push(PolicyFinding {
                address: role.address.clone(),
                attribute: attribute.to_owned(),
                span: block.and_then(|b| attribute_span(b, attribute)),
                finding,
            });
        }
    }
    out
}

/// Findings about a role as a whole: its name, its trust policy, the combination of its
/// policies (privilege escalation, inline total, managed-policy count).
fn is_role_level(f: &Finding) -> bool {
    f.policy.as_deref() == Some(aiu_policy::validate::TRUST_POLICY_LABEL)
        || matches!(
            f.code,
            "PRIVILEGE_ESCALATION"
                | "ROLE_INLINE_POLICIES_SIZE_EXCEEDED"
                | "TOO_MANY_MANAGED_POLICIES"
                | "INVALID_ROLE_NAME"
        )
}

/// IAM's limit for one inline policy is the role's total, 10,240 characters.
const INLINE_POLICY_SIZE_LIMIT: usize = 10_240;

fn attribute_span(block: &ResourceBlock, attribute: &str) -> Option<Span> {
    block
        .body
        .attribute_spans
        .get(attribute)
        .cloned()
        .or_else(|| Some(block.span.clone()))
}

/// Drops findings whose code is allowed by a `# aiu:allow CODE` comment right above the block
/// of the object reported, or of the policy the finding names (a role's privilege escalation
/// found through an attached policy can be accepted above that policy).
fn suppress(findings: Vec<PolicyFinding>, config: &Config) -> Vec<PolicyFinding> {
    let allowed_at = |address: &InstanceAddress, code: &str| {
        config
            .resource(&address.resource)
            .is_some_and(|block| allowed_codes(config, block).iter().any(|c| c == code))
    };
    findings
        .into_iter()
        .filter(|f| {
            let via_policy = f
                .finding
                .policy
                .as_deref()
                .and_then(|p| p.parse::<InstanceAddress>().ok());
            !allowed_at(&f.address, f.finding.code)
                && !via_policy.is_some_and(|p| allowed_at(&p, f.finding.code))
        })
        .collect()
}

/// Codes named by `# aiu:allow CODE[, CODE...]` comments in the comment lines directly above
/// a block's header.
pub fn allowed_codes(config: &Config, block: &ResourceBlock) -> Vec<String> {
    let Some(text) = config.source(&block.span.file) else {
        return Vec::new();
    };
    let lines: Vec<&str> = text.lines().collect();
    let mut codes = Vec::new();
    let mut line = block.span.start.line.saturating_sub(1);
    while line > 0 {
        let current = lines.get(line - 1).map(|l| l.trim()).unwrap_or("");
        let Some(comment) = current
            .strip_prefix('#')
            .or_else(|| current.strip_prefix("//"))
        else {
            break;
        };
        if let Some(rest) = comment.trim().strip_prefix("aiu:allow") {
            let list = rest.split("--").next().unwrap_or("");
            codes.extend(
                list.split([',', ' '])
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .map(str::to_owned),
            );
        }
        line -= 1;
    }
    codes
}

/// Findings as diagnostics, sorted by address.
pub fn findings_to_diagnostics(findings: &[PolicyFinding]) -> Diagnostics {
    let mut sorted: Vec<&PolicyFinding> = findings.iter().collect();
    sorted.sort_by(|a, b| {
        a.address
            .cmp(&b.address)
            .then(a.finding.code.cmp(b.finding.code))
    });
    Diagnostics(
        sorted
            .into_iter()
            .map(PolicyFinding::to_diagnostic)
            .collect(),
    )
}

/// A compact summary of non-error findings for `aiu plan`: one line per finding
/// (`aiu validate` shows each in full, with its source snippet).
pub fn summary(findings: &[PolicyFinding]) -> Option<String> {
    let mut lines: Vec<String> = findings
        .iter()
        .filter(|f| f.finding.severity != Severity::Error)
        .map(|f| {
            let at = match (&f.finding.sid, f.finding.statement_index) {
                (Some(sid), _) => format!(" (statement \"{sid}\")"),
                (None, Some(i)) => format!(" (statement #{})", i + 1),
                _ => String::new(),
            };
            let policy = f
                .finding
                .policy
                .as_ref()
                .map(|p| format!(" via {p}"))
                .unwrap_or_default();
            format!(
                "  {} {}: {}.{}{policy}{at}",
                f.finding.severity, f.finding.code, f.address, f.attribute
            )
        })
        .collect();
    lines.sort();
    lines.dedup();
    if lines.is_empty() {
        return None;
    }
    Some(format!(
        "Policy validation: {} finding(s); run `aiu validate` for the explanation of each.\n{}",
        lines.len(),
        lines.join("\n")
    ))
}

/// Policy documents of the plan that cannot be validated yet because they depend on values
/// known only after apply (e.g. a role ARN in a Resource), as `address.attribute`.
pub fn unchecked_policies(plan: &Plan) -> Vec<String> {
    let mut out = Vec::new();
    for c in plan
        .changes
        .iter()
        .filter(|c| c.address.resource.mode == ResourceMode::Managed && c.action != Action::Delete)
    {
        let Some(after) = &c.after else { continue };
        for attr in ["policy", "assume_role_policy"] {
            if after.get(attr).is_some_and(Value::contains_unknown) {
                out.push(format!("{}.{attr}", c.address));
            }
        }
    }
    out
}

/// A warning naming the documents [`unchecked_policies`] found, if any.
pub fn unchecked_warning(plan: &Plan) -> Option<Diagnostic> {
    let unchecked = unchecked_policies(plan);
    (!unchecked.is_empty()).then(|| {
        Diagnostic::warning(
            "Policies not validated yet",
            format!(
                "These documents depend on values known only after apply, so they could not be checked now: {}. They are validated by the first plan after those values exist (for example after the objects they refer to are created).",
                unchecked.join(", ")
            ),
        )
    })
}

/// Everything checked on a finished plan, shared by `aiu plan` and `aiu validate`.
pub struct PlanChecks {
    /// Policy findings (`aiu plan` shows the errors in full and lists the rest in one line each;
    /// `aiu validate` shows all in full).
    pub findings: Vec<PolicyFinding>,
    /// Other diagnostics: documents that cannot be checked before apply, and `check` blocks'
    /// access assertions (failures are errors, undecidable ones warnings).
    pub diagnostics: Diagnostics,
}

/// Runs the policy validation and the access assertions of a plan. `account_id` fills in the
/// caller's account for assertions when it is known.
pub fn check_plan(plan: &Plan, config: &Config, account_id: Option<&str>) -> PlanChecks {
    let mut diagnostics = Diagnostics(unchecked_warning(plan).into_iter().collect());
    diagnostics.extend(crate::access::assertion_diagnostics(plan, account_id));
    PlanChecks {
        findings: validate_plan(plan, config),
        diagnostics,
    }
}
