//! Access questions answered from a plan, offline: a role's effective policy set, the
//! `assert_access` blocks of `check` blocks, and the access diff of `aiu plan -access-diff`.
//!
//! A role's policies ([`gather`]): its trust policy, its inline policies (`aws_iam_role_policy`
//! whose `role` is the role's name), the managed policies attached to it
//! (`aws_iam_role_policy_attachment` -> the `aws_iam_policy` with that ARN), and its permissions
//! boundary when it is an `aws_iam_policy` of the configuration. Values known only after apply
//! (a new policy's ARN) are resolved through the dependencies the planner records. Policies that
//! cannot be known offline (AWS managed policies, policies outside the configuration, documents
//! known only after apply) are named in [`RolePolicies::gaps`] and left out.
//!
//! Assertions ([`check_assertions`]): each `assert_access` is evaluated with
//! `aiu_policy::eval` on the planned objects. A failed assertion is an error at the block; one
//! that cannot be decided because some of the role's documents are unknown before apply is a
//! warning (only an explicit deny by the known documents is final in that case).
//!
//! Access diff ([`access_diff`]): for each role whose policies change between the prior state
//! and the plan, every (action, resource) pair built from the actions of both versions (wildcards
//! expanded through `aiu_policy::catalog`, at most [`MAX_ACTIONS_PER_ROLE`]) and the resources
//! the configuration names (policy `Resource` entries and assertion resources of the same
//! service) is evaluated before and after; pairs whose answer changes are listed.

use std::collections::{BTreeMap, BTreeSet};

use aiu_config::{AccessAssertion, AccessExpect, CheckBlock};
use aiu_lang::EvalContext;
use aiu_model::{Diagnostic, Diagnostics, InstanceAddress, InstanceKey, ResourceMode, Span, Value};
use aiu_policy::eval::{evaluate_trust, Caller, Decision, Outcome, PolicySet, Request, Simulator};
use aiu_policy::{parse_policy, Catalog, PolicyDocument};
use aiu_state::State;

use crate::model::{Action, Plan};

/// At most this many actions are evaluated per role by [`access_diff`].
pub const MAX_ACTIONS_PER_ROLE: usize = 2_000;
/// At most this many (action, resource) evaluations per role and version by [`access_diff`].
pub const MAX_EVALUATIONS_PER_ROLE: usize = 200_000;

/// A problem that stops a question from being answered (no such role, a document that does
/// not parse).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct AccessError(pub String);

fn fail<T>(msg: impl Into<String>) -> Result<T, AccessError> {
    Err(AccessError(msg.into()))
}

// ------------------------------------------------------------------ objects

/// A resource instance as planned or recorded: its attributes and the resources it depends on.
#[derive(Clone, Debug, PartialEq)]
pub struct PlannedObject {
    pub address: InstanceAddress,
    pub attrs: Value,
    pub deps: Vec<String>,
}

/// The managed objects as they will be after apply.
pub fn after_objects(plan: &Plan) -> Vec<PlannedObject> {
    plan.changes
        .iter()
        .filter(|c| c.address.resource.mode == ResourceMode::Managed && c.action != Action::Delete)
        .filter_map(|c| {
            c.after.clone().map(|attrs| PlannedObject {
                address: c.address.clone(),
                attrs,
                deps: c.dependencies.clone(),
            })
        })
        .collect()
}

/// The managed objects as they are before apply (the prior, refreshed state the plan was
/// made against).
pub fn before_objects(plan: &Plan) -> Vec<PlannedObject> {
    plan.changes
        .iter()
        .filter(|c| c.address.resource.mode == ResourceMode::Managed)
        .filter_map(|c| {
            c.before.clone().map(|attrs| PlannedObject {
                address: c.address.clone(),
                attrs,
                deps: c.dependencies.clone(),
            })
        })
        .collect()
}

/// The managed objects recorded in a state.
pub fn state_objects(state: &State) -> Vec<PlannedObject> {
    state
        .instances()
        .filter(|(addr, _)| addr.resource.mode == ResourceMode::Managed)
        .map(|(address, inst)| PlannedObject {
            address,
            attrs: inst.value(),
            deps: inst.dependencies.clone(),
        })
        .collect()
}

// ------------------------------------------------------------------ gathering a role's policies

/// The policies of one role, gathered from the objects.
#[derive(Clone, Debug, PartialEq)]
pub struct RolePolicies {
    pub address: InstanceAddress,
    pub principal_arn: String,
    pub trust: Option<PolicyDocument>,
    pub set: PolicySet,
    /// Everything worth telling about the gathering (includes [`Self::gaps`]).
    pub warnings: Vec<String>,
    /// Identity policies or the boundary that could not be known: answers are partial.
    pub gaps: Vec<String>,
}

impl RolePolicies {
    /// Some identity policy or the boundary could not be evaluated.
    pub fn incomplete(&self) -> bool {
        !self.gaps.is_empty()
    }
}

/// The `aws_iam_role` instance `addr` names (`aws_iam_role.x` also finds the only instance
/// `aws_iam_role.x[0]`). `source` names where the objects come from, for the error.
pub fn find_role<'o>(
    objects: &'o [PlannedObject],
    addr: &str,
    source: &str,
) -> Result<&'o PlannedObject, AccessError> {
    let parsed: InstanceAddress = addr.parse().map_err(|e| AccessError(format!("{e}")))?;
    find_role_address(objects, &parsed, source)
}

/// [`find_role`] for a parsed address.
pub fn find_role_address<'o>(
    objects: &'o [PlannedObject],
    parsed: &InstanceAddress,
    source: &str,
) -> Result<&'o PlannedObject, AccessError> {
    if parsed.resource.type_name != "aws_iam_role" || parsed.resource.mode != ResourceMode::Managed
    {
        return fail(format!("`{parsed}` is not an aws_iam_role resource"));
    }
    let roles: Vec<&PlannedObject> = objects
        .iter()
        .filter(|o| o.address.resource.type_name == "aws_iam_role")
        .collect();
    if let Some(o) = roles.iter().find(|o| o.address == *parsed) {
        return Ok(o);
    }
    let same: Vec<&&PlannedObject> = roles
        .iter()
        .filter(|o| o.address.resource == parsed.resource)
        .collect();
    if parsed.key == InstanceKey::None && same.len() == 1 {
        return Ok(same[0]);
    }
    let known: Vec<String> = roles.iter().map(|o| o.address.to_string()).collect();
    fail(format!(
        "no role `{parsed}` in the {source}; roles: {}",
        if known.is_empty() {
            "none".to_owned()
        } else {
            known.join(", ")
        }
    ))
}

enum Attr<'v> {
    Known(&'v str),
    Unknown,
    Absent,
}

fn string_attr<'v>(v: &'v Value, key: &str) -> Attr<'v> {
    match v.get(key) {
        Some(Value::String(s)) => Attr::Known(s),
        Some(Value::Unknown) => Attr::Unknown,
        _ => Attr::Absent,
    }
}

/// Does `obj`'s `role` argument name the role? By value when both are known, otherwise by the
/// dependency the planner recorded.
fn refers_to_role(obj: &PlannedObject, role: &PlannedObject, role_name: Option<&str>) -> bool {
    match (string_attr(&obj.attrs, "role"), role_name) {
        (Attr::Known(r), Some(name)) => r == name,
        (Attr::Absent, _) => false,
        _ => depends_on(obj, &role.address),
    }
}

fn depends_on(obj: &PlannedObject, target: &InstanceAddress) -> bool {
    let resource = target.resource.to_string();
    let instance = target.to_string();
    obj.deps.iter().any(|d| *d == resource || *d == instance)
}

/// The managed policy an ARN (or, when the ARN is unknown, a dependency) points at.
fn managed_policy<'o>(
    objects: &'o [PlannedObject],
    arn: Attr<'_>,
    dependent: &PlannedObject,
) -> Result<&'o PlannedObject, String> {
    let policies = || {
        objects
            .iter()
            .filter(|o| o.address.resource.type_name == "aws_iam_policy")
    };
    match arn {
        Attr::Known(arn) => policies()
            .find(|p| matches!(string_attr(&p.attrs, "arn"), Attr::Known(a) if a == arn))
            .ok_or_else(|| format!("`{arn}` is not a policy of this configuration (AWS managed or external): not evaluated")),
        Attr::Unknown => {
            let deps: Vec<&PlannedObject> = policies().filter(|p| depends_on(dependent, &p.address)).collect();
            match deps.as_slice() {
                [one] => Ok(one),
                [] => Err("its policy ARN is known only after apply and no aws_iam_policy of the configuration provides it: not evaluated".into()),
                many => Err(format!(
                    "its policy ARN is known only after apply and it depends on several policies ({}): not evaluated",
                    many.iter().map(|p| p.address.to_string()).collect::<Vec<_>>().join(", ")
                )),
            }
        }
        Attr::Absent => Err("no policy ARN".into()),
    }
}

fn policy_document(obj: &PlannedObject, attr: &str) -> Result<Option<PolicyDocument>, AccessError> {
    match string_attr(&obj.attrs, attr) {
        Attr::Known(text) => parse_policy(text).map(Some).map_err(|e| {
            AccessError(format!(
                "{}.{attr}: the policy document does not parse: {e}",
                obj.address
            ))
        }),
        _ => Ok(None),
    }
}

fn hint(account: Option<&str>) -> &'static str {
    if account.is_none() {
        " (if it depends on data.aws_caller_identity, give the account id, e.g. `aiu simulate --account ID`)"
    } else {
        ""
    }
}

/// The policies of the role `addr` among `objects`.
pub fn gather(
    objects: &[PlannedObject],
    addr: &str,
    source: &str,
    account: Option<&str>,
) -> Result<RolePolicies, AccessError> {
    let role = find_role(objects, addr, source)?;
    gather_role(objects, role, account)
}

/// The policies of `role` (one of `objects`).
pub fn gather_role(
    objects: &[PlannedObject],
    role: &PlannedObject,
    account: Option<&str>,
) -> Result<RolePolicies, AccessError> {
    let mut warnings = Vec::new();
    let mut gaps = Vec::new();
    let role_name = match string_attr(&role.attrs, "name") {
        Attr::Known(n) => Some(n.to_owned()),
        _ => None,
    };
    let principal_arn = match (string_attr(&role.attrs, "arn"), &role_name) {
        (Attr::Known(arn), _) => arn.to_owned(),
        (_, name) => {
            let path = match string_attr(&role.attrs, "path") {
                Attr::Known(p) => p.to_owned(),
                _ => "/".to_owned(),
            };
            let arn = format!(
                "arn:aws:iam::{}:role{path}{}",
                account.unwrap_or("000000000000"),
                name.as_deref().unwrap_or("UNKNOWN")
            );
            warnings.push(format!(
                "the role's ARN is known only after apply; requests use `{arn}` as the principal"
            ));
            arn
        }
    };
    let trust = policy_document(role, "assume_role_policy")?;
    if trust.is_none() {
        warnings.push("the trust policy is not known offline".into());
    }

    let mut identity = Vec::new();
    let mut gap = |warnings: &mut Vec<String>, text: String| {
        warnings.push(text.clone());
        gaps.push(text);
    };
    for obj in objects
        .iter()
        .filter(|o| o.address.resource.type_name == "aws_iam_role_policy")
    {
        if !refers_to_role(obj, role, role_name.as_deref()) {
            continue;
        }
        match policy_document(obj, "policy")? {
            Some(doc) => identity.push((format!("{} (inline)", obj.address), doc)),
            None => gap(
                &mut warnings,
                format!(
                    "inline policy {}: its document is not known offline: not evaluated{}",
                    obj.address,
                    hint(account)
                ),
            ),
        }
    }
    let mut attached = BTreeSet::new();
    for obj in objects
        .iter()
        .filter(|o| o.address.resource.type_name == "aws_iam_role_policy_attachment")
    {
        if !refers_to_role(obj, role, role_name.as_deref()) {
            continue;
        }
        match managed_policy(objects, string_attr(&obj.attrs, "policy_arn"), obj) {
            Ok(policy) => match policy_document(policy, "policy")? {
                Some(doc) => {
                    if attached.insert(policy.address.clone()) {
                        identity.push((
                            format!("{} (attached by {})", policy.address, obj.address),
                            doc,
                        ));
                    }
                }
                None => gap(
                    &mut warnings,
                    format!(
                        "{}: its document is not known offline: not evaluated{}",
                        policy.address,
                        hint(account)
                    ),
                ),
            },
            Err(why) => gap(&mut warnings, format!("attachment {}: {why}", obj.address)),
        }
    }

    let boundary = match string_attr(&role.attrs, "permissions_boundary") {
        Attr::Absent | Attr::Known("") => None,
        arn => match managed_policy(objects, arn, role) {
            Ok(policy) => match policy_document(policy, "policy")? {
                Some(doc) => Some((format!("{} (permissions boundary)", policy.address), doc)),
                None => {
                    gap(
                        &mut warnings,
                        format!(
                            "permissions boundary {}: its document is not known offline; evaluated WITHOUT the boundary (answers may be ALLOWED where AWS denies)",
                            policy.address
                        ),
                    );
                    None
                }
            },
            Err(why) => {
                gap(
                    &mut warnings,
                    format!("permissions boundary: {why}; evaluated WITHOUT the boundary (answers may be ALLOWED where AWS denies)"),
                );
                None
            }
        },
    };
    Ok(RolePolicies {
        address: role.address.clone(),
        principal_arn,
        trust,
        set: PolicySet { identity, boundary },
        warnings,
        gaps,
    })
}

// ------------------------------------------------------------------ assertions

/// The role an assertion's `principal` designates.
#[derive(Clone, Debug, PartialEq)]
pub enum PrincipalRef {
    /// Written as a reference to the role.
    Address(InstanceAddress),
    /// Evaluated to a role name (or a role ARN, reduced to its name).
    Name(String),
    /// Known only after apply.
    Unknown,
}

/// An `assert_access` block with its arguments evaluated by the planner.
#[derive(Clone, Debug, PartialEq)]
pub struct PlannedAssertion {
    /// The `check` block's name.
    pub check: String,
    pub span: Span,
    pub principal: PrincipalRef,
    /// The principal as written (for messages).
    pub principal_text: String,
    /// `None` when known only after apply.
    pub actions: Option<Vec<String>>,
    /// `Some(None)` when given but known only after apply.
    pub resource: Option<Option<String>>,
    pub caller: Option<Option<String>>,
    /// `None` when some value is known only after apply.
    pub context: Option<BTreeMap<String, Vec<String>>>,
    pub expect: AccessExpect,
}

fn source_text(ctx_text: Option<&str>, span: &Span) -> String {
    ctx_text
        .and_then(|t| t.get(span.start.byte..span.end.byte))
        .unwrap_or("principal")
        .to_owned()
}

/// Evaluates the arguments of one assertion (called by the planner with the values of every
/// node). Type errors become error diagnostics at the argument.
pub(crate) fn plan_assertion(
    check: &CheckBlock,
    a: &AccessAssertion,
    ctx: &EvalContext,
    source: Option<&str>,
    diags: &mut Diagnostics,
) -> Option<PlannedAssertion> {
    let mut ok = true;
    let mut eval = |e: &aiu_config::Expr| match aiu_lang::eval(&e.expr, ctx) {
        Ok(v) => Some(v),
        Err(err) => {
            diags.push(Diagnostic::error(err.summary, err.detail).with_span(Some(e.span.clone())));
            None
        }
    };
    let principal_value = if a.role.is_none() {
        eval(&a.principal)
    } else {
        None
    };
    let action_value = eval(&a.action);
    let resource_value = a.resource.as_ref().map(&mut eval);
    let caller_value = a.caller.as_ref().map(&mut eval);
    let context_value = a.context.as_ref().map(&mut eval);
    let mut type_error = |e: &aiu_config::Expr, what: String| {
        diags.push(
            Diagnostic::error("Invalid assert_access argument", what)
                .with_span(Some(e.span.clone())),
        );
    };

    let principal = match (&a.role, principal_value) {
        (Some(addr), _) => PrincipalRef::Address(addr.clone()),
        (None, Some(v)) => match role_name_of(&v) {
            Ok(Some(name)) => PrincipalRef::Name(name),
            Ok(None) => PrincipalRef::Unknown,
            Err(why) => {
                type_error(&a.principal, why);
                ok = false;
                PrincipalRef::Unknown
            }
        },
        (None, None) => {
            ok = false;
            PrincipalRef::Unknown
        }
    };
    let actions = match action_value {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(vec![s]),
        Some(Value::List(items)) if !items.is_empty() => {
            if items.iter().any(Value::is_unknown) {
                None
            } else if items
                .iter()
                .all(|i| matches!(i, Value::String(s) if !s.trim().is_empty()))
            {
                Some(
                    items
                        .iter()
                        .filter_map(|i| i.as_str().map(str::to_owned))
                        .collect(),
                )
            } else {
                type_error(
                    &a.action,
                    "action must be a non-empty string (service:Action) or a list of them.".into(),
                );
                ok = false;
                None
            }
        }
        Some(Value::Unknown) => None,
        Some(other) => {
            type_error(
                &a.action,
                format!(
                    "action must be a non-empty string (service:Action) or a list of them, not {}.",
                    describe(&other)
                ),
            );
            ok = false;
            None
        }
        None => {
            ok = false;
            None
        }
    };
    let mut string_arg = |e: Option<&aiu_config::Expr>,
                          v: Option<Option<Value>>,
                          name: &str|
     -> Option<Option<String>> {
        match (e, v) {
            (Some(e), Some(v)) => match v {
                Some(Value::String(s)) => Some(Some(s)),
                Some(Value::Unknown) => Some(None),
                Some(other) => {
                    type_error(
                        e,
                        format!("{name} must be a string, not {}.", describe(&other)),
                    );
                    ok = false;
                    Some(None)
                }
                None => {
                    ok = false;
                    Some(None)
                }
            },
            _ => None,
        }
    };
    let resource = string_arg(a.resource.as_ref(), resource_value, "resource");
    let caller = string_arg(a.caller.as_ref(), caller_value, "caller");
    let context = match (a.context.as_ref(), context_value) {
        (None, _) => Some(BTreeMap::new()),
        (Some(_), Some(None)) | (Some(_), None) => {
            ok = false;
            None
        }
        (Some(e), Some(Some(v))) => match context_map(&v) {
            Ok(map) => map,
            Err(why) => {
                type_error(e, why);
                ok = false;
                None
            }
        },
    };
    if !ok {
        return None;
    }
    Some(PlannedAssertion {
        check: check.name.clone(),
        span: a.span.clone(),
        principal,
        principal_text: match &a.role {
            Some(addr) => addr.to_string(),
            None => source_text(source, &a.principal.span),
        },
        actions,
        resource,
        caller,
        context,
        expect: a.expect,
    })
}

fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        other => format!("a {}", other.type_name()),
    }
}

/// A role name from a principal's value: the role object (its `name`), a role ARN or a name.
/// `Ok(None)` when unknown.
fn role_name_of(v: &Value) -> Result<Option<String>, String> {
    match v {
        Value::Unknown => Ok(None),
        Value::Object(map) => match map.get("name") {
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Unknown) => Ok(None),
            _ => Err("principal must be an aws_iam_role (e.g. aws_iam_role.engine), its ARN or its name.".into()),
        },
        Value::String(s) if s.starts_with("arn:") => match s.split_once(":role/") {
            Some((_, rest)) => Ok(Some(rest.rsplit('/').next().unwrap_or(rest).to_owned())),
            None => Err(format!("principal `{s}` is not a role ARN.")),
        },
        Value::String(s) if !s.is_empty() => Ok(Some(s.clone())),
        other => Err(format!("principal must be an aws_iam_role (e.g. aws_iam_role.engine), its ARN or its name, not {}.", describe(other))),
    }
}

/// `{ "aws:SourceIp" = "10.0.0.1", "aws:TagKeys" = ["a", "b"] }` -> key -> values.
/// `Ok(None)` when some value is unknown.
fn context_map(v: &Value) -> Result<Option<BTreeMap<String, Vec<String>>>, String> {
    let scalar = |v: &Value| -> Result<Option<String>, String> {
        match v {
            Value::String(s) => Ok(Some(s.clone())),
            Value::Bool(b) => Ok(Some(b.to_string())),
            Value::Number(n) => Ok(Some(aiu_model::value::format_number(*n))),
            Value::Unknown => Ok(None),
            other => Err(format!(
                "context values must be strings, numbers, booleans or lists of them, not {}.",
                describe(other)
            )),
        }
    };
    let map = match v {
        Value::Object(map) => map,
        Value::Unknown => return Ok(None),
        other => return Err(format!("context must be an object of condition keys, e.g. {{ \"aws:SourceIp\" = \"10.0.0.1\" }}, not {}.", describe(other))),
    };
    let mut out = BTreeMap::new();
    for (k, v) in map {
        let values = match v {
            Value::List(items) => {
                let mut vals = Vec::new();
                for i in items {
                    match scalar(i)? {
                        Some(s) => vals.push(s),
                        None => return Ok(None),
                    }
                }
                vals
            }
            other => match scalar(other)? {
                Some(s) => vec![s],
                None => return Ok(None),
            },
        };
        out.insert(k.clone(), values);
    }
    Ok(Some(out))
}

/// How an assertion came out.
#[derive(Clone, Debug, PartialEq)]
pub enum AssertionStatus {
    Passed,
    Failed,
    /// Cannot be decided before apply; why.
    Unknown(String),
    /// Cannot be evaluated at all (no such role, a document that does not parse).
    Error(String),
}

/// One assertion (one action of an `assert_access` block) and its answer.
#[derive(Clone, Debug, PartialEq)]
pub struct AssertionResult {
    pub check: String,
    pub span: Span,
    /// The role's address (or the principal as written when it was not found).
    pub role: String,
    pub action: String,
    /// `resource` or `caller PRINCIPAL`.
    pub target: String,
    pub expect: AccessExpect,
    pub status: AssertionStatus,
    pub decision: Option<Decision>,
}

impl AssertionResult {
    fn describe(&self) -> String {
        match self.target.strip_prefix("caller ") {
            Some(caller) => format!(
                "check \"{}\": {} trust policy: {caller} calling {}",
                self.check, self.role, self.action
            ),
            None => format!(
                "check \"{}\": {} {} on {}",
                self.check, self.role, self.action, self.target
            ),
        }
    }

    /// An error for a failed or unevaluable assertion, a warning for an undecided one.
    pub fn to_diagnostic(&self) -> Option<Diagnostic> {
        let d = match &self.status {
            AssertionStatus::Passed => return None,
            AssertionStatus::Failed => {
                let (outcome, summary) = match &self.decision {
                    Some(d) => (d.outcome.label(), d.summary.as_str()),
                    None => ("?", ""),
                };
                Diagnostic::error(
                    "Access assertion failed",
                    format!("{}: expected {}, got {outcome}: {summary}", self.describe(), self.expect.as_str()),
                )
            }
            AssertionStatus::Unknown(why) => Diagnostic::warning(
                "Access assertion not evaluated",
                format!("{}: cannot be decided before apply: {why}. It is checked again by the next plan.", self.describe()),
            ),
            AssertionStatus::Error(why) => {
                Diagnostic::error("Access assertion cannot be evaluated", format!("{}: {why}", self.describe()))
            }
        };
        Some(d.with_span(Some(self.span.clone())))
    }
}

fn find_role_for<'o>(
    objects: &'o [PlannedObject],
    principal: &PrincipalRef,
) -> Result<Option<&'o PlannedObject>, AccessError> {
    match principal {
        PrincipalRef::Address(addr) => {
            find_role_address(objects, addr, "planned configuration").map(Some)
        }
        PrincipalRef::Name(name) => {
            let found = objects
                .iter()
                .filter(|o| o.address.resource.type_name == "aws_iam_role")
                .find(|o| matches!(string_attr(&o.attrs, "name"), Attr::Known(n) if n == name));
            match found {
                Some(o) => Ok(Some(o)),
                None => fail(format!(
                    "no aws_iam_role named `{name}` in the planned configuration"
                )),
            }
        }
        PrincipalRef::Unknown => Ok(None),
    }
}

/// Decides every `assert_access` of the plan against the planned objects. `account`: the
/// account id, when known (used in the role's ARN when it is known only after apply).
pub fn check_assertions(plan: &Plan, account: Option<&str>) -> Vec<AssertionResult> {
    let objects = after_objects(plan);
    let mut cache: BTreeMap<InstanceAddress, Result<RolePolicies, AccessError>> = BTreeMap::new();
    let mut out = Vec::new();
    for a in &plan.access_assertions {
        let target = match (&a.resource, &a.caller) {
            (_, Some(c)) => format!("caller {}", c.as_deref().unwrap_or("(known after apply)")),
            (Some(r), _) => r.as_deref().unwrap_or("(known after apply)").to_owned(),
            (None, None) => "*".to_owned(),
        };
        let role = find_role_for(&objects, &a.principal);
        let role_label = match &role {
            Ok(Some(r)) => r.address.to_string(),
            _ => a.principal_text.clone(),
        };
        let actions = a
            .actions
            .clone()
            .unwrap_or_else(|| vec!["(known after apply)".to_owned()]);
        for action in actions {
            let mut result = AssertionResult {
                check: a.check.clone(),
                span: a.span.clone(),
                role: role_label.clone(),
                action: action.clone(),
                target: target.clone(),
                expect: a.expect,
                status: AssertionStatus::Passed,
                decision: None,
            };
            let policies = match &role {
                Err(e) => Err(e.clone()),
                Ok(None) => {
                    result.status =
                        AssertionStatus::Unknown("the principal is known only after apply".into());
                    out.push(result);
                    continue;
                }
                Ok(Some(r)) => cache
                    .entry(r.address.clone())
                    .or_insert_with(|| gather_role(&objects, r, account))
                    .clone(),
            };
            let policies = match policies {
                Ok(p) => p,
                Err(e) => {
                    result.status = AssertionStatus::Error(e.0);
                    out.push(result);
                    continue;
                }
            };
            decide_assertion(a, &action, &policies, &mut result);
            out.push(result);
        }
    }
    out
}

fn decide_assertion(
    a: &PlannedAssertion,
    action: &str,
    policies: &RolePolicies,
    result: &mut AssertionResult,
) {
    let unknown =
        |what: &str| AssertionStatus::Unknown(format!("{what} is known only after apply"));
    if a.actions.is_none() {
        result.status = unknown("the action");
        return;
    }
    let Some(context) = &a.context else {
        result.status = unknown("the context");
        return;
    };
    let (decision, gaps) = match &a.caller {
        Some(caller) => {
            let Some(caller) = caller else {
                result.status = unknown("the caller");
                return;
            };
            let Some(trust) = &policies.trust else {
                result.status = unknown("the role's trust policy");
                return;
            };
            (
                evaluate_trust(trust, &Caller::parse(caller), action, context),
                Vec::new(),
            )
        }
        None => {
            let resource = match &a.resource {
                Some(Some(r)) => r.clone(),
                Some(None) => {
                    result.status = unknown("the resource");
                    return;
                }
                None => "*".to_owned(),
            };
            let request = Request {
                principal_arn: policies.principal_arn.clone(),
                action: action.to_owned(),
                resource,
                context: context.clone(),
            };
            (
                Simulator::new(&policies.set).evaluate(&request),
                policies.gaps.clone(),
            )
        }
    };
    let holds = decision.outcome.is_allowed() == (a.expect == AccessExpect::Allow);
    // With documents missing, only an explicit deny by the known ones is final.
    result.status = if gaps.is_empty() || decision.outcome == Outcome::ExplicitDeny {
        if holds {
            AssertionStatus::Passed
        } else {
            AssertionStatus::Failed
        }
    } else {
        AssertionStatus::Unknown(format!(
            "the known policies give {} ({}), but {}",
            decision.outcome.label(),
            decision.summary,
            gaps.join("; ")
        ))
    };
    result.decision = Some(decision);
}

/// The diagnostics of [`check_assertions`]: errors for failed assertions, warnings for those
/// that cannot be decided before apply.
pub fn assertion_diagnostics(plan: &Plan, account: Option<&str>) -> Diagnostics {
    Diagnostics(
        check_assertions(plan, account)
            .iter()
            .filter_map(AssertionResult::to_diagnostic)
            .collect(),
    )
}

// ------------------------------------------------------------------ access diff

/// One (action, resource) pair whose answer changes.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct AccessPair {
    pub action: String,
    pub resource: String,
}

/// How one role's effective permissions change.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct RoleAccessChange {
    pub role: String,
    /// `create`, `update` or `delete` (of the role's effective policy set).
    pub change: &'static str,
    pub newly_allowed: Vec<AccessPair>,
    pub no_longer_allowed: Vec<AccessPair>,
    /// Number of actions and resources evaluated.
    pub actions_evaluated: usize,
    pub resources_evaluated: usize,
    /// Limits hit, documents not known before apply.
    pub notes: Vec<String>,
}

/// A comparable fingerprint of a policy set: canonical documents, sorted.
fn set_fingerprint(p: &RolePolicies) -> (Vec<String>, Option<String>) {
    let canon = |d: &PolicyDocument| aiu_policy::canonicalize(d).to_pretty_json();
    let mut identity: Vec<String> = p.set.identity.iter().map(|(_, d)| canon(d)).collect();
    identity.sort();
    (identity, p.set.boundary.as_ref().map(|(_, d)| canon(d)))
}

fn service_of(action: &str) -> String {
    action
        .split_once(':')
        .map_or(String::new(), |(s, _)| s.to_ascii_lowercase())
}

/// The service field of an ARN (`arn:aws:SERVICE:...`); `None` for `*` and non-ARNs.
fn arn_service(resource: &str) -> Option<String> {
    let mut parts = resource.splitn(4, ':');
    (parts.next() == Some("arn")).then_some(())?;
    parts.next()?;
    parts.next().map(str::to_ascii_lowercase)
}

/// The identity policies and permissions boundaries of the roles' policy sets.
fn permission_documents<'a>(
    sets: &'a [&'a RolePolicies],
) -> impl Iterator<Item = &'a PolicyDocument> + 'a {
    sets.iter()
        .flat_map(|p| p.set.identity.iter().chain(p.set.boundary.iter()))
        .map(|(_, d)| d)
}

/// Actions of the documents, wildcards expanded through the catalog, in order, deduplicated
/// case-insensitively. Returns the actions and whether the cap was hit.
fn collect_actions(sets: &[&RolePolicies]) -> (Vec<String>, bool) {
    let catalog = Catalog::get();
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    let mut truncated = false;
    let mut add = |a: String, out: &mut Vec<String>| {
        if out.len() >= MAX_ACTIONS_PER_ROLE {
            truncated = true;
            return;
        }
        if seen.insert(a.to_ascii_lowercase()) {
            out.push(a);
        }
    };
    for d in permission_documents(sets) {
        for s in &d.statements {
            for pattern in s.action.iter().flat_map(|a| a.iter()) {
                if aiu_policy::catalog::has_wildcard(pattern) {
                    for a in catalog.expand(pattern) {
                        add(a.full_name(), &mut out);
                    }
                } else {
                    add(pattern.clone(), &mut out);
                }
            }
        }
    }
    (out, truncated)
}

/// Resources named by the documents and by the assertions on the role.
fn collect_resources(sets: &[&RolePolicies], assertions: &[String]) -> Vec<String> {
    let mut out = BTreeSet::new();
    for d in permission_documents(sets) {
        for s in &d.statements {
            out.extend(s.resource.iter().flat_map(|r| r.iter()).cloned());
        }
    }
    out.extend(assertions.iter().cloned());
    out.into_iter().collect()
}

/// The access diff of the plan: every role whose effective policy set changes, with the
/// (action, resource) pairs newly allowed and no longer allowed. Requests carry no context
/// (statements with conditions on absent keys do not apply).
pub fn access_diff(plan: &Plan, account: Option<&str>) -> Vec<RoleAccessChange> {
    let before = before_objects(plan);
    let after = after_objects(plan);
    let roles: BTreeSet<InstanceAddress> = before
        .iter()
        .chain(after.iter())
        .filter(|o| o.address.resource.type_name == "aws_iam_role")
        .map(|o| o.address.clone())
        .collect();
    let mut out = Vec::new();
    for addr in roles {
        let gather_in = |objects: &[PlannedObject]| -> Option<Result<RolePolicies, AccessError>> {
            let role = objects.iter().find(|o| o.address == addr)?;
            Some(gather_role(objects, role, account))
        };
        let (b, a) = (gather_in(&before), gather_in(&after));
        let mut notes = Vec::new();
        let mut take = |r: Option<Result<RolePolicies, AccessError>>, when: &str| match r {
            None => None,
            Some(Ok(p)) => Some(p),
            Some(Err(e)) => {
                notes.push(format!("{when}: {e}"));
                None
            }
        };
        let (b, a) = (take(b, "before"), take(a, "after"));
        let change = match (&b, &a) {
            (None, None) if notes.is_empty() => continue,
            (None, None) => "update",
            (None, Some(_)) => "create",
            (Some(_), None) => "delete",
            (Some(b), Some(a)) => {
                if set_fingerprint(b) == set_fingerprint(a) && b.gaps == a.gaps {
                    continue;
                }
                "update"
            }
        };
        for (p, when) in [(&b, "before"), (&a, "after")] {
            if let Some(p) = p {
                for g in &p.gaps {
                    notes.push(format!("{when}: {g}"));
                }
            }
        }
        let sets: Vec<&RolePolicies> = b.iter().chain(a.iter()).collect();
        let role_name = after
            .iter()
            .chain(before.iter())
            .find(|o| o.address == addr)
            .and_then(|o| o.attrs.get("name"))
            .and_then(Value::as_str);
        let asserted: Vec<String> = plan
            .access_assertions
            .iter()
            .filter(|x| x.caller.is_none())
            .filter(|x| match &x.principal {
                PrincipalRef::Address(p) => {
                    p.resource == addr.resource && (p.key == addr.key || p.key == InstanceKey::None)
                }
                PrincipalRef::Name(n) => Some(n.as_str()) == role_name,
                PrincipalRef::Unknown => false,
            })
            .filter_map(|x| x.resource.clone().flatten())
            .collect();
        let (actions, truncated) = collect_actions(&sets);
        if truncated {
            notes.push(format!("more than {MAX_ACTIONS_PER_ROLE} actions after wildcard expansion: only the first {MAX_ACTIONS_PER_ROLE} were evaluated"));
        }
        let resources = collect_resources(&sets, &asserted);
        let empty = PolicySet::default();
        let sim_b = Simulator::new(b.as_ref().map_or(&empty, |p| &p.set));
        let sim_a = Simulator::new(a.as_ref().map_or(&empty, |p| &p.set));
        let principal = a
            .as_ref()
            .or(b.as_ref())
            .map(|p| p.principal_arn.clone())
            .unwrap_or_default();
        let mut newly_allowed = Vec::new();
        let mut no_longer_allowed = Vec::new();
        let mut evaluations = 0usize;
        'outer: for action in &actions {
            let service = service_of(action);
            for resource in &resources {
                // Only resources of the action's service (or `*` / non-ARN patterns).
                if arn_service(resource)
                    .is_some_and(|s| s != service && !aiu_policy::catalog::has_wildcard(&s))
                {
                    continue;
                }
                if evaluations >= MAX_EVALUATIONS_PER_ROLE {
                    notes.push(format!("more than {MAX_EVALUATIONS_PER_ROLE} (action, resource) pairs: the rest were not evaluated"));
                    break 'outer;
                }
                evaluations += 1;
                let request = Request {
                    principal_arn: principal.clone(),
                    action: action.clone(),
                    resource: resource.clone(),
                    context: BTreeMap::new(),
                };
                let was = b.is_some() && sim_b.evaluate(&request).outcome.is_allowed();
                let is = a.is_some() && sim_a.evaluate(&request).outcome.is_allowed();
                let pair = || AccessPair {
                    action: action.clone(),
                    resource: resource.clone(),
                };
                match (was, is) {
                    (false, true) => newly_allowed.push(pair()),
                    (true, false) => no_longer_allowed.push(pair()),
                    _ => {}
                }
            }
        }
        newly_allowed.sort();
        no_longer_allowed.sort();
        out.push(RoleAccessChange {
            role: addr.to_string(),
            change,
            newly_allowed,
            no_longer_allowed,
            actions_evaluated: actions.len(),
            resources_evaluated: resources.len(),
            notes,
        });
    }
    out
}

/// The `-access-diff` section of `aiu plan`.
pub fn render_access_diff(changes: &[RoleAccessChange]) -> String {
    let mut text = String::from("Access changes (effective permissions of roles whose policies change; requests without context):\n");
    if changes.is_empty() {
        text.push_str("\n  No role's effective permissions change.\n");
        return text;
    }
    for c in changes {
        let what = match c.change {
            "create" => "new role",
            "delete" => "role destroyed",
            _ => "policies change",
        };
        text.push_str(&format!(
            "\n  {} ({what}; {} action(s) x {} resource(s) evaluated)\n",
            c.role, c.actions_evaluated, c.resources_evaluated
        ));
        if c.newly_allowed.is_empty() && c.no_longer_allowed.is_empty() {
            text.push_str("    no change on the resources the configuration names\n");
        }
        for p in &c.newly_allowed {
            text.push_str(&format!("    + allow {} on {}\n", p.action, p.resource));
        }
        for p in &c.no_longer_allowed {
            text.push_str(&format!("    - allow {} on {}\n", p.action, p.resource));
        }
        for n in &c.notes {
            text.push_str(&format!("    note: {n}\n"));
        }
    }
    text
}

/// `access_changes` of `aiu plan -json -access-diff`.
pub fn access_diff_json(changes: &[RoleAccessChange]) -> serde_json::Value {
    serde_json::to_value(changes).unwrap_or(serde_json::Value::Null)
}
