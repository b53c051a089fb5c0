//! AWS policy evaluation for one account (AWS "Policy evaluation logic"; iam-facts §5).
//!
//! [`evaluate`] answers "may this principal perform this action on this resource?" from the
//! principal's identity policies (managed and inline) and its permissions boundary:
//!
//! 1. a matching `Deny` statement in any of them is an explicit deny, which always wins;
//! 2. otherwise the request is allowed when an identity policy has a matching `Allow` and, if
//!    a permissions boundary is set, the boundary has one too (the effective permissions are
//!    the intersection);
//! 3. otherwise it is implicitly denied.
//!
//! [`evaluate_trust`] does the same for a role's trust policy and the principal calling
//! `sts:AssumeRole*`. Every [`Decision`] lists every statement with whether it matched and why
//! (or why not): the first element that failed (principal, action, resource or condition).
//!
//! Matching rules (submodules): actions are compared case-insensitively with `*` and `?`;
//! resources field by field when both are ARNs (`glob`); conditions per AWS's operator
//! semantics (`condition`); policy variables in `Resource` / `NotResource` and condition values
//! when `Version` is `2012-10-17` (`vars`); principals of trust policies (`principal`).
//!
//! Out of scope: resource-based policies, SCPs / RCPs, session policies, cross-account
//! access (the caller's own identity policies are not consulted by [`evaluate_trust`]).

pub mod condition;
pub mod glob;
pub mod principal;
pub mod vars;

use std::collections::BTreeMap;
use std::fmt;
use std::fmt::Write as _;
use std::sync::Arc;

use crate::document::{Effect, OneOrMany, PolicyDocument, Statement};
use glob::{action_matches, arn_matches_str, arn_matches_toks, ArnCase, ArnMatch};
pub use principal::{Caller, PrincipalMatch};

/// One question: may `principal_arn` perform `action` on `resource`, given `context`?
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Request {
    pub principal_arn: String,
    pub action: String,
    pub resource: String,
    /// Condition keys (case-insensitive) and their values; a single-valued key has one value.
    pub context: BTreeMap<String, Vec<String>>,
}

impl Request {
    pub fn new(
        principal_arn: impl Into<String>,
        action: impl Into<String>,
        resource: impl Into<String>,
    ) -> Request {
        Request {
            principal_arn: principal_arn.into(),
            action: action.into(),
            resource: resource.into(),
            context: BTreeMap::new(),
        }
    }

    /// Adds one value to a context key.
    pub fn with(mut self, key: impl Into<String>, value: impl Into<String>) -> Request {
        self.context
            .entry(key.into())
            .or_default()
            .push(value.into());
        self
    }
}

/// The policies that decide a request made by one principal.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct PolicySet {
    /// Identity policies: attached managed policies and inline policies, with a label each
    /// (shown in explanations).
    pub identity: Vec<(String, PolicyDocument)>,
    /// The permissions boundary, when one is set.
    pub boundary: Option<(String, PolicyDocument)>,
}

/// The answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Outcome {
    Allowed,
    ImplicitDeny,
    ExplicitDeny,
}

impl Outcome {
    /// `ALLOWED`, `DENIED (implicit)`, `DENIED (explicit)`.
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Allowed => "ALLOWED",
            Outcome::ImplicitDeny => "DENIED (implicit)",
            Outcome::ExplicitDeny => "DENIED (explicit)",
        }
    }

    pub fn is_allowed(self) -> bool {
        self == Outcome::Allowed
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Which kind of policy a statement belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum PolicyRole {
    Identity,
    Boundary,
    Trust,
}

/// What happened to one statement.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct StatementTrace {
    /// The label of the policy (as given in the [`PolicySet`]); shared by its statements.
    #[serde(serialize_with = "ser_arc")]
    pub policy: Arc<str>,
    pub role: PolicyRole,
    /// Index in the policy's `Statement` list.
    pub index: usize,
    #[serde(serialize_with = "ser_opt_arc")]
    pub sid: Option<Arc<str>>,
    pub effect: Effect,
    /// True when the statement applies to the request.
    pub matched: bool,
    /// Why it applies, or the first element that does not.
    pub reason: String,
}

fn ser_arc<S: serde::Serializer>(v: &Arc<str>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(v)
}

fn ser_opt_arc<S: serde::Serializer>(v: &Option<Arc<str>>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.serialize_some(&**v),
        None => s.serialize_none(),
    }
}

impl StatementTrace {
    /// `policy statement 2 (Sid "X")`.
    pub fn name(&self) -> String {
        match &self.sid {
            Some(sid) if !sid.is_empty() => {
                format!("{} statement {} (Sid \"{}\")", self.policy, self.index, sid)
            }
            _ => format!("{} statement {}", self.policy, self.index),
        }
    }
}

/// An outcome and its explanation.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Decision {
    pub outcome: Outcome,
    /// One sentence: the deciding statement(s), or what is missing.
    pub summary: String,
    /// Every statement of every policy, in order: identity policies, then the boundary (or the
    /// trust policy).
    pub explanation: Vec<StatementTrace>,
}

impl Decision {
    /// The traces of the statements that matched.
    pub fn matched(&self) -> impl Iterator<Item = &StatementTrace> {
        self.explanation.iter().filter(|t| t.matched)
    }

    /// Human-readable text: the outcome, the summary, then one line per statement.
    pub fn render(&self) -> String {
        let mut out = format!("{}: {}\n", self.outcome.label(), self.summary);
        for t in &self.explanation {
            let mark = if t.matched { "+" } else { "-" };
            out.push_str(&format!(
                "  {mark} [{}] {}: {}\n",
                t.effect,
                t.name(),
                t.reason
            ));
        }
        out
    }
}

/// The request context with keys looked up case-insensitively, plus keys derived from the
/// principal ARN when the caller did not give them: `aws:PrincipalArn`, `aws:PrincipalAccount`
/// and, for IAM users, `aws:username`.
pub struct Context<'a> {
    explicit: &'a BTreeMap<String, Vec<String>>,
    derived: Vec<(&'static str, Vec<String>)>,
}

impl<'a> Context<'a> {
    pub fn new(explicit: &'a BTreeMap<String, Vec<String>>, principal_arn: &str) -> Context<'a> {
        let mut derived = Vec::new();
        if !principal_arn.is_empty() {
            derived.push(("aws:PrincipalArn", vec![principal_arn.to_owned()]));
            let fields: Vec<&str> = principal_arn.splitn(6, ':').collect();
            if fields.len() == 6 {
                if !fields[4].is_empty() {
                    derived.push(("aws:PrincipalAccount", vec![fields[4].to_owned()]));
                }
                if fields[2] == "iam" {
                    if let Some(user) = fields[5].strip_prefix("user/") {
                        derived.push((
                            "aws:username",
                            vec![user.rsplit('/').next().unwrap_or(user).to_owned()],
                        ));
                    }
                }
            }
        }
        Context { explicit, derived }
    }

    /// The values of a key (case-insensitive); `None` when absent.
    pub fn get(&self, key: &str) -> Option<&[String]> {
        if let Some(v) = self.explicit.get(key) {
            return Some(v);
        }
        if let Some((_, v)) = self
            .explicit
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
        {
            return Some(v);
        }
        self.derived
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_slice())
    }
}

/// True when the document's policy variables are substituted (`Version` 2012-10-17).
pub fn substitutes_variables(doc: &PolicyDocument) -> bool {
    doc.version.as_deref() == Some("2012-10-17")
}

/// Evaluates an identity-based request against the principal's policies.
///
/// For many requests against the same policies, [`Simulator`] prepares them once.
pub fn evaluate(set: &PolicySet, request: &Request) -> Decision {
    Simulator::new(set).evaluate(request)
}

struct PreparedPolicy<'a> {
    label: Arc<str>,
    role: PolicyRole,
    doc: &'a PolicyDocument,
    sids: Vec<Option<Arc<str>>>,
    substitute: bool,
}

/// A [`PolicySet`] prepared for many evaluations (labels and Sids shared by the traces).
pub struct Simulator<'a> {
    set: &'a PolicySet,
    policies: Vec<PreparedPolicy<'a>>,
    statements: usize,
}

impl<'a> Simulator<'a> {
    pub fn new(set: &'a PolicySet) -> Simulator<'a> {
        let prepare = |label: &str, doc: &'a PolicyDocument, role: PolicyRole| PreparedPolicy {
            label: Arc::from(label),
            role,
            doc,
            sids: doc
                .statements
                .iter()
                .map(|s| s.sid.as_deref().map(Arc::from))
                .collect(),
            substitute: substitutes_variables(doc),
        };
        let mut policies: Vec<PreparedPolicy<'a>> = set
            .identity
            .iter()
            .map(|(l, d)| prepare(l, d, PolicyRole::Identity))
            .collect();
        if let Some((l, d)) = &set.boundary {
            policies.push(prepare(l, d, PolicyRole::Boundary));
        }
        let statements = policies.iter().map(|p| p.doc.statements.len()).sum();
        Simulator {
            set,
            policies,
            statements,
        }
    }

    /// Evaluates one request; the same as [`evaluate`].
    pub fn evaluate(&self, request: &Request) -> Decision {
        let ctx = Context::new(&request.context, &request.principal_arn);
        let mut explanation = Vec::with_capacity(self.statements);
        for p in &self.policies {
            for (index, stmt) in p.doc.statements.iter().enumerate() {
                let (matched, reason) = statement_applies(stmt, request, &ctx, p.substitute, None);
                explanation.push(StatementTrace {
                    policy: p.label.clone(),
                    role: p.role,
                    index,
                    sid: p.sids[index].clone(),
                    effect: stmt.effect,
                    matched,
                    reason,
                });
            }
        }
        decide(self.set, explanation)
    }
}

fn decide(set: &PolicySet, explanation: Vec<StatementTrace>) -> Decision {
    let find = |role: PolicyRole, effect: Effect| {
        explanation
            .iter()
            .filter(move |t| t.matched && t.role == role && t.effect == effect)
    };
    let names = |it: &mut dyn Iterator<Item = &StatementTrace>| {
        it.map(StatementTrace::name).collect::<Vec<_>>().join(", ")
    };
    let denies: Vec<&StatementTrace> = explanation
        .iter()
        .filter(|t| t.matched && t.effect == Effect::Deny)
        .collect();
    let (outcome, summary) = if !denies.is_empty() {
        let who = denies
            .iter()
            .map(|t| t.name())
            .collect::<Vec<_>>()
            .join(", ");
        (
            Outcome::ExplicitDeny,
            format!("explicitly denied by {who}; an explicit Deny overrides every Allow"),
        )
    } else {
        let identity_allows = names(&mut find(PolicyRole::Identity, Effect::Allow));
        let boundary_allows = names(&mut find(PolicyRole::Boundary, Effect::Allow));
        match (&set.boundary, identity_allows.is_empty(), boundary_allows.is_empty()) {
            (_, true, _) if set.identity.is_empty() => {
                (Outcome::ImplicitDeny, "the principal has no identity policy: nothing allows it (implicit deny)".to_owned())
            }
            (_, true, _) => (Outcome::ImplicitDeny, "no identity policy statement allows it (implicit deny)".to_owned()),
            (None, false, _) => (Outcome::Allowed, format!("allowed by {identity_allows}")),
            (Some((label, _)), false, true) => (
                Outcome::ImplicitDeny,
                format!(
                    "allowed by {identity_allows}, but the permissions boundary {label} does not allow it (effective permissions are the intersection)"
                ),
            ),
            (Some(_), false, false) => {
                (Outcome::Allowed, format!("allowed by {identity_allows} and within the permissions boundary ({boundary_allows})"))
            }
        }
    };
    Decision {
        outcome,
        summary,
        explanation,
    }
}

/// Evaluates a role's trust policy for `caller` performing `action` (normally `sts:AssumeRole`,
/// `sts:AssumeRoleWithWebIdentity`, `sts:AssumeRoleWithSAML`, `sts:TagSession`...).
pub fn evaluate_trust(
    trust: &PolicyDocument,
    caller: &Caller,
    action: &str,
    context: &BTreeMap<String, Vec<String>>,
) -> Decision {
    let principal_arn = match caller {
        Caller::Aws(arn) if arn.starts_with("arn:") => arn.as_str(),
        _ => "",
    };
    let mut ctx = Context::new(context, principal_arn);
    if let Caller::Service(s) = caller {
        ctx.derived
            .push(("aws:PrincipalServiceName", vec![s.clone()]));
    }
    if !ctx
        .derived
        .iter()
        .any(|(k, _)| *k == "aws:PrincipalAccount")
    {
        if let Some(acct) = caller.account() {
            ctx.derived
                .push(("aws:PrincipalAccount", vec![acct.to_owned()]));
        }
    }
    let request = Request {
        principal_arn: principal_arn.to_owned(),
        action: action.to_owned(),
        resource: String::new(),
        context: BTreeMap::new(),
    };
    let substitute = substitutes_variables(trust);
    let mut explanation = Vec::new();
    let mut via_account = false;
    let label: Arc<str> = Arc::from("trust policy");
    for (index, stmt) in trust.statements.iter().enumerate() {
        let mut how = None;
        let (matched, reason) =
            statement_applies(stmt, &request, &ctx, substitute, Some((caller, &mut how)));
        if matched
            && stmt.effect == Effect::Allow
            && matches!(how, Some(PrincipalMatch::Account(_)))
        {
            via_account = true;
        }
        explanation.push(StatementTrace {
            policy: label.clone(),
            role: PolicyRole::Trust,
            index,
            sid: stmt.sid.as_deref().map(Arc::from),
            effect: stmt.effect,
            matched,
            reason,
        });
    }
    let denies: Vec<String> = explanation
        .iter()
        .filter(|t| t.matched && t.effect == Effect::Deny)
        .map(StatementTrace::name)
        .collect();
    let allows: Vec<String> = explanation
        .iter()
        .filter(|t| t.matched && t.effect == Effect::Allow)
        .map(StatementTrace::name)
        .collect();
    let (outcome, summary) = if !denies.is_empty() {
        (
            Outcome::ExplicitDeny,
            format!("explicitly denied by {}", denies.join(", ")),
        )
    } else if !allows.is_empty() {
        let mut s = format!(
            "the trust policy lets {} {} `{}` ({})",
            caller.kind(),
            caller.id(),
            action,
            allows.join(", ")
        );
        if via_account {
            s.push_str("; the trust names the caller's account, so the caller also needs an identity policy allowing this action on the role");
        }
        (Outcome::Allowed, s)
    } else {
        (
            Outcome::ImplicitDeny,
            format!(
                "no trust policy statement lets {} {} `{}` (implicit deny)",
                caller.kind(),
                caller.id(),
                action
            ),
        )
    };
    Decision {
        outcome,
        summary,
        explanation,
    }
}

const PREVIEW: usize = 4;

/// Appends `[`a`, `b`, ... N more]` (the first few values of a list).
fn preview(out: &mut String, items: &OneOrMany<String>) {
    let all = items.as_slice();
    out.push('[');
    for (i, s) in all.iter().take(PREVIEW).enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push('`');
        out.push_str(s);
        out.push('`');
    }
    if all.len() > PREVIEW {
        let _ = write!(out, ", ... {} more", all.len() - PREVIEW);
    }
    out.push(']');
}

/// Starts a new part of a reason.
fn part(out: &mut String) -> &mut String {
    if !out.is_empty() {
        out.push_str("; ");
    }
    out
}

/// Decides whether one statement applies: principal (trust only), action, resource (identity
/// only), condition, in that order; the reason names the first element that fails, or what
/// matched.
fn statement_applies(
    stmt: &Statement,
    request: &Request,
    ctx: &Context,
    substitute: bool,
    trust: Option<(&Caller, &mut Option<PrincipalMatch>)>,
) -> (bool, String) {
    let mut parts = String::with_capacity(96);
    let is_trust = trust.is_some();
    if let Some((caller, how)) = trust {
        match (&stmt.principal, &stmt.not_principal) {
            (Some(p), _) => match principal::principal_matches(p, caller) {
                Some(m) => {
                    let text = match &m {
                        PrincipalMatch::Direct(id) => format!(
                            "principal {} `{}` is named (`{id}`)",
                            caller.kind(),
                            caller.id()
                        ),
                        PrincipalMatch::Account(id) => {
                            format!("principal's account is named (`{id}`)")
                        }
                    };
                    part(&mut parts).push_str(&text);
                    *how = Some(m);
                }
                None => {
                    return (
                        false,
                        format!(
                            "principal {} `{}` is not named in Principal",
                            caller.kind(),
                            caller.id()
                        ),
                    );
                }
            },
            (None, Some(np)) => {
                if principal::principal_matches(np, caller).is_some() {
                    return (
                        false,
                        format!(
                            "principal {} `{}` is excluded by NotPrincipal",
                            caller.kind(),
                            caller.id()
                        ),
                    );
                }
                part(&mut parts).push_str("principal not in NotPrincipal");
            }
            (None, None) => {
                return (
                    false,
                    "a trust policy statement needs a Principal or NotPrincipal".to_owned(),
                )
            }
        }
    }

    // Action / NotAction.
    let action = request.action.as_str();
    match (&stmt.action, &stmt.not_action) {
        (Some(list), _) => match list.iter().find(|p| action_matches(p, action)) {
            Some(p) => {
                let _ = write!(part(&mut parts), "action matches `{p}`");
            }
            None => {
                parts.clear();
                let _ = write!(parts, "action `{action}` is not in Action ");
                preview(&mut parts, list);
                return (false, parts);
            }
        },
        (None, Some(list)) => {
            if let Some(p) = list.iter().find(|p| action_matches(p, action)) {
                return (
                    false,
                    format!("action `{action}` is excluded by NotAction `{p}`"),
                );
            }
            part(&mut parts).push_str("action is not in NotAction ");
            preview(&mut parts, list);
        }
        (None, None) => {
            return (
                false,
                "the statement has neither Action nor NotAction".to_owned(),
            )
        }
    }

    // Resource / NotResource (not checked for trust policies: the resource is the role).
    if !is_trust {
        let resource = request.resource.as_str();
        match (&stmt.resource, &stmt.not_resource) {
            (Some(list), _) => match find_resource(list, resource, ctx, substitute) {
                (Some(p), _) => {
                    let _ = write!(part(&mut parts), "resource matches `{p}`");
                }
                (None, notes) => {
                    let mut why = format!("resource `{resource}` is not in Resource ");
                    preview(&mut why, list);
                    why.push_str(&notes);
                    return (false, why);
                }
            },
            (None, Some(list)) => match find_resource(list, resource, ctx, substitute) {
                (Some(p), _) => {
                    return (
                        false,
                        format!("resource `{resource}` is excluded by NotResource `{p}`"),
                    )
                }
                (None, notes) => {
                    part(&mut parts).push_str("resource is not in NotResource ");
                    preview(&mut parts, list);
                    parts.push_str(&notes);
                }
            },
            (None, None) => {
                return (
                    false,
                    "the statement has neither Resource nor NotResource".to_owned(),
                )
            }
        }
    }

    if let Some(cond) = &stmt.condition {
        let result = condition::evaluate(cond, ctx, substitute);
        if !result.holds {
            return (false, result.reason);
        }
        part(&mut parts).push_str(&result.reason);
    }
    (true, parts)
}

/// The first pattern of `list` matching the resource, and notes on patterns that could not be
/// used (malformed ARN, unresolvable variable).
fn find_resource<'l>(
    list: &'l OneOrMany<String>,
    resource: &str,
    ctx: &Context,
    substitute: bool,
) -> (Option<&'l str>, String) {
    let mut notes = String::new();
    for p in list.iter() {
        let m = if substitute && vars::has_variable(p) {
            match vars::substitute(p, ctx) {
                Ok(toks) => arn_matches_toks(&toks, resource, ArnCase::ResourceElement),
                Err(u) => {
                    notes.push_str(&format!(
                        "; `{p}` matches nothing: variable ${{{}}} {}",
                        u.variable, u.why
                    ));
                    continue;
                }
            }
        } else {
            arn_matches_str(p, resource, ArnCase::ResourceElement)
        };
        match m {
            ArnMatch::Match => return (Some(p), notes),
            ArnMatch::NoMatch => {}
            ArnMatch::MalformedPattern => {
                notes.push_str(&format!(
                    "; `{p}` is not a six-field ARN and matches nothing"
                ));
            }
        }
    }
    (None, notes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::parse_policy;

    fn doc(s: &str) -> PolicyDocument {
        parse_policy(s).unwrap()
    }

    #[test]
    fn allow_deny_boundary() {
        let id = doc(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"no","Effect":"Deny","Action":"s3:DeleteBucket","Resource":"*"}]}"#,
        );
        let b = doc(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}]}"#,
        );
        let set = PolicySet {
            identity: vec![("id".into(), id)],
            boundary: None,
        };
        let r = |a: &str| Request::new("arn:aws:iam::111111111111:role/r", a, "arn:aws:s3:::b");
        assert_eq!(evaluate(&set, &r("s3:GetObject")).outcome, Outcome::Allowed);
        let d = evaluate(&set, &r("s3:DeleteBucket"));
        assert_eq!(d.outcome, Outcome::ExplicitDeny, "{}", d.render());
        assert_eq!(
            evaluate(&set, &r("ec2:RunInstances")).outcome,
            Outcome::ImplicitDeny
        );
        let set = PolicySet {
            boundary: Some(("b".into(), b)),
            ..set
        };
        assert_eq!(evaluate(&set, &r("s3:GetObject")).outcome, Outcome::Allowed);
        let d = evaluate(&set, &r("s3:PutObject"));
        assert_eq!(d.outcome, Outcome::ImplicitDeny);
        assert!(d.summary.contains("boundary"), "{}", d.render());
    }

    #[test]
    fn trust() {
        let t = doc(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
        );
        let ctx = BTreeMap::new();
        assert_eq!(
            evaluate_trust(
                &t,
                &Caller::parse("ec2.amazonaws.com"),
                "sts:AssumeRole",
                &ctx
            )
            .outcome,
            Outcome::Allowed
        );
        assert_eq!(
            evaluate_trust(
                &t,
                &Caller::parse("lambda.amazonaws.com"),
                "sts:AssumeRole",
                &ctx
            )
            .outcome,
            Outcome::ImplicitDeny
        );
        assert_eq!(
            evaluate_trust(
                &t,
                &Caller::parse("arn:aws:iam::111111111111:role/x"),
                "sts:AssumeRole",
                &ctx
            )
            .outcome,
            Outcome::ImplicitDeny
        );
    }
}
