//! Policy validation: grammar and limits, catalog checks, security checks, privilege escalation
//! per role, and redundancy suggestions, in the manner of IAM Access Analyzer's policy
//! validation and parliament, offline.
//!
//! - [`validate_policy`]: one document (text or parsed) used as a [`PolicyKind`].
//! - [`validate_role`]: a role's trust policy and all its inline and managed policies together,
//!   adding the 10,240-character inline total and privilege-escalation combinations across
//!   policies (each finding names the actions and the policies that combine).
//! - [`validate_role_name`], [`validate_policy_name`], [`validate_path`],
//!   [`validate_max_session_duration`], [`validate_tags`], [`validate_description`].
//!
//! Finding codes follow Access Analyzer's issue codes where one exists (`MISSING_VERSION`,
//! `INVALID_ACTION`, `PASS_ROLE_WITH_STAR_IN_RESOURCE`, `REDUNDANT_ACTION`, ...); [`CODES`]
//! lists every code with its severity. [`Severity::Error`] is used only for what IAM rejects or
//! what cannot work (grammar, invalid ARN or operator, sizes, and an unknown service, action or
//! wildcard that is a likely typo of a known one). An unknown name with no close match is a
//! WARNING (`UNKNOWN_SERVICE`, `UNKNOWN_ACTION`, `ACTION_WILDCARD_MATCHES_NO_KNOWN_ACTION`):
//! the catalog lags AWS, and AWS's own managed policies name services and actions it does not
//! have yet or no longer has (see `validate/catalog_checks.rs`). The AWS managed policies moto
//! ships produce no ERROR (`tests/validate_aws_managed.rs`).

mod arn;
mod catalog_checks;
mod grammar;
mod names;
mod privesc;
mod security;

use std::fmt;

use crate::document::PolicyDocument;
use crate::structure::PolicyKind;

pub use arn::{arn_pattern_can_match, split_arn, Arn};
pub use names::{
    validate_description, validate_max_session_duration, validate_path, validate_policy_name,
    validate_role_name, validate_tags,
};
pub use privesc::{EscalationMethod, ESCALATION_METHODS};

/// How serious a finding is (Access Analyzer's finding types).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Severity {
    /// IAM rejects the policy, or the policy cannot work as written.
    Error,
    /// The policy grants more than it probably should.
    SecurityWarning,
    /// Probably a mistake, but IAM accepts it.
    Warning,
    /// A simplification.
    Suggestion,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "ERROR",
            Severity::SecurityWarning => "SECURITY_WARNING",
            Severity::Warning => "WARNING",
            Severity::Suggestion => "SUGGESTION",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One validation finding.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    /// Stable code, e.g. `INVALID_ACTION` (see [`CODES`]).
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    /// Index of the statement in `Statement` (0 when `Statement` is a single object).
    pub statement_index: Option<usize>,
    pub sid: Option<String>,
    /// JSON path in the document, e.g. `Statement[1].Action[0]`; empty for the whole document.
    pub path: String,
    /// The policy's label when validated as part of a role ([`validate_role`]), else `None`.
    pub policy: Option<String>,
}

impl Finding {
    pub(crate) fn new(
        code: &'static str,
        severity: Severity,
        path: impl Into<String>,
        message: impl Into<String>,
    ) -> Finding {
        Finding {
            code,
            severity,
            message: message.into(),
            statement_index: None,
            sid: None,
            path: path.into(),
            policy: None,
        }
    }

    pub(crate) fn at(mut self, index: usize, sid: Option<&str>) -> Finding {
        self.statement_index = Some(index);
        self.sid = sid.filter(|s| !s.is_empty()).map(str::to_string);
        self
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.severity, self.code)?;
        if let Some(p) = &self.policy {
            write!(f, " [{p}]")?;
        }
        if !self.path.is_empty() {
            write!(f, " at {}", self.path)?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Every finding code with its severity and a one-line description.
pub const CODES: &[(&str, Severity, &str)] = &[
    ("JSON_SYNTAX_ERROR", Severity::Error, "the document is not valid JSON"),
    ("POLICY_SYNTAX_ERROR", Severity::Error, "an element has the wrong JSON type or form"),
    ("MISSING_STATEMENT", Severity::Error, "no Statement"),
    ("MISSING_EFFECT", Severity::Error, "a statement has no Effect"),
    ("INVALID_EFFECT", Severity::Error, "Effect is not Allow or Deny"),
    ("MISSING_VERSION", Severity::Warning, "no Version: policy variables are literal text"),
    ("INVALID_VERSION", Severity::Error, "Version is not 2012-10-17 or 2008-10-17"),
    ("INVALID_POLICY_ELEMENT", Severity::Error, "a key IAM's grammar does not define"),
    ("INVALID_SID", Severity::Error, "Sid with characters other than [A-Za-z0-9]"),
    ("DUPLICATE_SID", Severity::Error, "two statements with the same Sid"),
    ("MISSING_ACTION", Severity::Error, "a statement without Action or NotAction"),
    ("MISSING_RESOURCE", Severity::Error, "an identity/resource policy statement without Resource or NotResource"),
    ("MISSING_PRINCIPAL", Severity::Error, "a resource policy statement without Principal"),
    ("UNSUPPORTED_ELEMENT_COMBINATION", Severity::Error, "Action with NotAction, Resource with NotResource, Principal with NotPrincipal"),
    ("IDENTITY_POLICY_WITH_PRINCIPAL", Severity::Error, "Principal in an identity policy"),
    ("TRUST_POLICY_WITHOUT_PRINCIPAL", Severity::Error, "a trust policy statement without Principal"),
    ("TRUST_POLICY_WITH_RESOURCE", Severity::Error, "Resource in a trust policy"),
    ("INVALID_ACTION", Severity::Error, "malformed action, or an unknown one that is a likely typo of a known action (did you mean)"),
    ("INVALID_SERVICE", Severity::Error, "unknown service prefix that is a likely typo of a known one (did you mean)"),
    ("ACTION_WILDCARD_MATCHES_NOTHING", Severity::Error, "an action wildcard that matches no action and is a likely typo (did you mean)"),
    ("UNKNOWN_SERVICE", Severity::Warning, "service prefix not in the action catalog and not close to a known one: new, retired, or a typo"),
    ("UNKNOWN_ACTION", Severity::Warning, "action not in the action catalog and not close to a known one: new, retired, or a typo"),
    ("ACTION_WILDCARD_MATCHES_NO_KNOWN_ACTION", Severity::Warning, "an action wildcard that matches no action of the catalog and is not close to one"),
    ("INVALID_ARN", Severity::Error, "a resource that is neither `*` nor arn:partition:service:region:account:resource"),
    ("INVALID_CONDITION_OPERATOR", Severity::Error, "unknown condition operator"),
    ("NULL_WITH_IF_EXISTS", Severity::Error, "the Null operator with an IfExists suffix"),
    ("DATA_TYPE_MISMATCH", Severity::Error, "a condition value that does not fit the operator's type (date, number, boolean, IP)"),
    ("POLICY_SIZE_EXCEEDED", Severity::Error, "document larger than the limit for its type (whitespace not counted)"),
    ("ROLE_INLINE_POLICIES_SIZE_EXCEEDED", Severity::Error, "a role's inline policies exceed 10,240 characters together"),
    ("TOO_MANY_MANAGED_POLICIES", Severity::Warning, "more than 10 managed policies on a role (the default quota)"),
    ("INVALID_ROLE_NAME", Severity::Error, "role name not [\\w+=,.@-]{1,64}"),
    ("INVALID_POLICY_NAME", Severity::Error, "policy name not [\\w+=,.@-]{1,128}"),
    ("INVALID_PATH", Severity::Error, "path not `/` or `/x/y/` of printable ASCII, up to 512"),
    ("INVALID_DESCRIPTION", Severity::Error, "description longer than 1,000 characters"),
    ("INVALID_MAX_SESSION_DURATION", Severity::Error, "max session duration outside 3,600..43,200 seconds"),
    ("TOO_MANY_TAGS", Severity::Error, "more than 50 tags"),
    ("INVALID_TAG", Severity::Error, "tag key/value too long, empty key, invalid characters or reserved aws: prefix"),
    ("OPERATOR_CASE", Severity::Warning, "condition operator spelled with different case"),
    ("INVALID_CONDITION_KEY", Severity::Warning, "condition key that is neither global nor defined by its service"),
    ("CONDITION_KEY_NOT_SUPPORTED_BY_ACTIONS", Severity::Warning, "condition key not supported by any action in the statement"),
    ("CONDITION_TYPE_MISMATCH", Severity::Warning, "operator type does not fit the condition key's type"),
    ("RESOURCE_MATCHES_NO_ACTION", Severity::Warning, "a resource ARN that cannot match any resource type of the statement's actions"),
    ("ACTION_MATCHES_NO_RESOURCE", Severity::Warning, "actions that no Resource of the (Allow) statement can apply to"),
    ("FORANYVALUE_WITH_SINGLE_VALUED_KEY", Severity::Warning, "ForAnyValue: with a single-valued key"),
    ("BAD_PATTERN_FOR_MFA", Severity::Warning, "Allow on aws:MultiFactorAuthPresent = false (the key is absent, not false, without MFA)"),
    ("PASS_ROLE_WITH_STAR_IN_RESOURCE", Severity::SecurityWarning, "iam:PassRole on any role"),
    ("STAR_ACTION_ON_STAR_RESOURCE", Severity::SecurityWarning, "Allow Action `*` on Resource `*` (full administrator)"),
    ("SERVICE_WILDCARD_ON_STAR_RESOURCE", Severity::SecurityWarning, "Allow `service:*` on Resource `*`"),
    ("ALLOW_WITH_NOT_ACTION", Severity::SecurityWarning, "Allow with NotAction grants every other action"),
    ("ALLOW_WITH_NOT_RESOURCE", Severity::SecurityWarning, "Allow with NotResource grants every other resource"),
    ("ALLOW_WITH_NOT_PRINCIPAL", Severity::SecurityWarning, "Allow with NotPrincipal grants every other principal"),
    ("TRUST_POLICY_ANY_PRINCIPAL", Severity::SecurityWarning, "a trust policy any principal can assume, without a Condition"),
    ("FORALLVALUES_WITH_SINGLE_VALUED_KEY", Severity::SecurityWarning, "ForAllValues: with a single-valued key is true when the key is absent"),
    ("PRIVILEGE_ESCALATION", Severity::SecurityWarning, "actions that together let the role escalate its privileges"),
    ("REDUNDANT_ACTION", Severity::Suggestion, "an action covered by a wildcard (or repeated) in the same statement"),
];

/// Options for [`validate_policy`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidateOptions {
    /// Size limit for identity policies: 6,144 (managed, the default); 10,240 for an inline policy.
    pub identity_size_limit: usize,
    /// Size limit for trust policies: 2,048 (quota adjustable up to 4,096).
    pub trust_size_limit: usize,
    /// Size limit for resource policies (service-specific; `None` = not checked).
    pub resource_size_limit: Option<usize>,
    /// Checks against the action catalog (unknown actions, resources, condition keys).
    pub catalog_checks: bool,
    /// Security warnings.
    pub security_checks: bool,
    /// Privilege-escalation combinations within the document (identity policies).
    pub privilege_escalation: bool,
    /// Suggestions (redundant actions).
    pub suggestions: bool,
}

impl Default for ValidateOptions {
    fn default() -> Self {
        ValidateOptions {
            identity_size_limit: MANAGED_POLICY_LIMIT,
            trust_size_limit: TRUST_POLICY_LIMIT,
            resource_size_limit: None,
            catalog_checks: true,
            security_checks: true,
            privilege_escalation: true,
            suggestions: true,
        }
    }
}

/// Managed policy size limit (characters, whitespace not counted).
pub const MANAGED_POLICY_LIMIT: usize = 6_144;
/// All inline policies of one role together.
pub const ROLE_INLINE_POLICIES_LIMIT: usize = 10_240;
/// Trust policy default limit.
pub const TRUST_POLICY_LIMIT: usize = 2_048;
/// Default quota of managed policies per role.
pub const MANAGED_POLICIES_PER_ROLE: usize = 10;

/// A document to validate: JSON text (possibly URL-encoded) or an already parsed document.
#[derive(Clone, Copy, Debug)]
pub enum PolicyInput<'a> {
    Text(&'a str),
    Document(&'a PolicyDocument),
}

impl<'a> From<&'a str> for PolicyInput<'a> {
    fn from(t: &'a str) -> Self {
        PolicyInput::Text(t)
    }
}

impl<'a> From<&'a String> for PolicyInput<'a> {
    fn from(t: &'a String) -> Self {
        PolicyInput::Text(t)
    }
}

impl<'a> From<&'a PolicyDocument> for PolicyInput<'a> {
    fn from(d: &'a PolicyDocument) -> Self {
        PolicyInput::Document(d)
    }
}

/// Validates one policy document used as `kind`. Findings are sorted by statement, then path,
/// then code. Text that is not JSON, or not a policy's shape, yields only the syntax findings.
pub fn validate_policy<'a>(
    input: impl Into<PolicyInput<'a>>,
    kind: PolicyKind,
    opts: &ValidateOptions,
) -> Vec<Finding> {
    let (doc, mut out, size) = match input.into() {
        PolicyInput::Text(text) => match grammar::parse_for_validation(text) {
            Ok((doc, size, syntax)) => (doc, syntax, size),
            Err(findings) => return findings,
        },
        PolicyInput::Document(doc) => {
            let size = policy_size(&doc.to_json().to_string());
            (doc.clone(), Vec::new(), size)
        }
    };
    let limit = match kind {
        PolicyKind::Identity => Some(opts.identity_size_limit),
        PolicyKind::Trust => Some(opts.trust_size_limit),
        PolicyKind::Resource => opts.resource_size_limit,
    };
    if let Some(limit) = limit {
        if size > limit {
            out.push(Finding::new(
                "POLICY_SIZE_EXCEEDED",
                Severity::Error,
                "",
                format!("the policy has {size} characters (whitespace not counted); the limit for this policy type is {limit}"),
            ));
        }
    }
    validate_document(&doc, kind, opts, &mut out);
    if opts.privilege_escalation && kind == PolicyKind::Identity {
        out.extend(privesc::privilege_escalations(&[(None, &doc)]));
    }
    sort_findings(&mut out);
    out
}

fn validate_document(
    doc: &PolicyDocument,
    kind: PolicyKind,
    opts: &ValidateOptions,
    out: &mut Vec<Finding>,
) {
    grammar::check_document(doc, kind, out);
    if opts.catalog_checks {
        catalog_checks::check_document(doc, out);
    }
    if opts.security_checks {
        security::check_document(doc, kind, out);
    }
    if opts.suggestions {
        security::suggestions(doc, out);
    }
}

fn sort_findings(out: &mut [Finding]) {
    out.sort_by(|a, b| {
        (
            a.policy.as_deref(),
            a.statement_index.map_or(0, |i| i + 1),
            &a.path,
            a.code,
            &a.message,
        )
            .cmp(&(
                b.policy.as_deref(),
                b.statement_index.map_or(0, |i| i + 1),
                &b.path,
                b.code,
                &b.message,
            ))
    });
}

/// A policy of a role, for [`validate_role`].
#[derive(Clone, Copy, Debug)]
pub struct RolePolicy<'a> {
    /// How findings name the policy (e.g. the config address or the policy name).
    pub label: &'a str,
    pub text: &'a str,
    /// Inline (`aws_iam_role_policy`) rather than a managed policy attachment.
    pub inline: bool,
}

impl<'a> RolePolicy<'a> {
    pub fn inline(label: &'a str, text: &'a str) -> Self {
        RolePolicy {
            label,
            text,
            inline: true,
        }
    }

    pub fn managed(label: &'a str, text: &'a str) -> Self {
        RolePolicy {
            label,
            text,
            inline: false,
        }
    }
}

impl<'a> From<(&'a str, &'a str)> for RolePolicy<'a> {
    /// A `(label, text)` pair is an inline policy.
    fn from((label, text): (&'a str, &'a str)) -> Self {
        RolePolicy::inline(label, text)
    }
}

/// Label used for the trust policy's findings in [`validate_role`].
pub const TRUST_POLICY_LABEL: &str = "assume_role_policy";

/// Validates a role as a whole: its name, its trust policy (labelled [`TRUST_POLICY_LABEL`]),
/// each policy (labelled with its label), the inline total (10,240), the managed-policy count,
/// and privilege-escalation combinations across all its policies. An explicit unconditional
/// `Deny` on `Resource: "*"` in any of the role's policies cancels the actions it matches.
pub fn validate_role(
    role_name: &str,
    trust: &str,
    policies: &[RolePolicy<'_>],
    opts: &ValidateOptions,
) -> Vec<Finding> {
    let mut out = validate_role_name(role_name);
    let label = |mut f: Finding, l: &str| {
        f.policy = Some(l.to_string());
        f
    };
    out.extend(
        validate_policy(trust, PolicyKind::Trust, opts)
            .into_iter()
            .map(|f| label(f, TRUST_POLICY_LABEL)),
    );
    let mut docs: Vec<(Option<&str>, PolicyDocument)> = Vec::new();
    let mut inline_total = 0;
    let mut managed = 0;
    for p in policies {
        let mut o = opts.clone();
        o.privilege_escalation = false;
        if p.inline {
            o.identity_size_limit = ROLE_INLINE_POLICIES_LIMIT;
        } else {
            managed += 1;
        }
        out.extend(
            validate_policy(p.text, PolicyKind::Identity, &o)
                .into_iter()
                .map(|f| label(f, p.label)),
        );
        if let Ok((doc, size, _)) = grammar::parse_for_validation(p.text) {
            if p.inline {
                inline_total += size;
            }
            docs.push((Some(p.label), doc));
        }
    }
    if inline_total > ROLE_INLINE_POLICIES_LIMIT {
        out.push(Finding::new(
            "ROLE_INLINE_POLICIES_SIZE_EXCEEDED",
            Severity::Error,
            "",
            format!(
                "the inline policies of role \"{role_name}\" have {inline_total} characters together (whitespace not counted); the limit is {ROLE_INLINE_POLICIES_LIMIT}"
            ),
        ));
    }
    if managed > MANAGED_POLICIES_PER_ROLE {
        out.push(Finding::new(
            "TOO_MANY_MANAGED_POLICIES",
            Severity::Warning,
            "",
            format!("role \"{role_name}\" has {managed} managed policies; the default quota is {MANAGED_POLICIES_PER_ROLE} (adjustable up to 20)"),
        ));
    }
    if opts.privilege_escalation {
        let refs: Vec<(Option<&str>, &PolicyDocument)> =
            docs.iter().map(|(l, d)| (*l, d)).collect();
        out.extend(privesc::privilege_escalations(&refs));
    }
    sort_findings(&mut out);
    out
}

/// A policy's size as IAM counts it: characters, not counting whitespace outside strings.
/// URL-encoded text is decoded first.
pub fn policy_size(text: &str) -> usize {
    let decoded;
    let text = match text.trim_start().starts_with('{') {
        true => text,
        false => {
            decoded = percent_encoding::percent_decode_str(text.trim())
                .decode_utf8_lossy()
                .into_owned();
            decoded.as_str()
        }
    };
    let mut n = 0;
    let mut in_string = false;
    let mut escaped = false;
    for c in text.chars() {
        if in_string {
            n += 1;
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if !c.is_whitespace() {
            n += 1;
            if c == '"' {
                in_string = true;
            }
        }
    }
    n
}

/// True when any finding is an ERROR.
pub fn has_errors(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.severity == Severity::Error)
}

pub(crate) fn stmt_path(doc: &PolicyDocument, i: usize) -> String {
    if doc.statement_is_object {
        "Statement".to_string()
    } else {
        format!("Statement[{i}]")
    }
}

/// Path of the `j`-th element of a statement's list-or-scalar key (`Statement[0].Action[2]`).
pub(crate) fn elem_path(stmt: &str, key: &str, scalar: bool, j: usize) -> String {
    if scalar {
        format!("{stmt}.{key}")
    } else {
        format!("{stmt}.{key}[{j}]")
    }
}
