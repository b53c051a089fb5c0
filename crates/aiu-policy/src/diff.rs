//! Statement-level diff of two policy documents, its access classification (broadening,
//! narrowing or neutral; see [`crate::broadening`]), its rendering for plans, and a line diff of
//! canonical JSON.
//!
//! [`diff_policies`] compares canonical forms (so equivalent documents give an empty diff) and
//! pairs statements in three passes:
//! 1. statements identical in both documents are unchanged (only counted);
//! 2. statements with the same non-empty Sid are paired;
//! 3. the rest are paired greedily by best match: same effect, same principal, overlap of
//!    actions and resources. A pair needs a shared action, a shared resource other than `*`, or
//!    the same (non-absent) principal; two statements with different non-empty Sids are never
//!    paired.
//!
//! Unpaired statements are added or removed. Statement numbers (`#3`) are 1-based positions in
//! their own document (after for added and changed, before for removed).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::Serialize;
use similar::{ChangeTag, TextDiff};

use crate::broadening::{self, AccessChange, Reasons};
use crate::canonical::{
    canonicalize, canonicalize_statement, ActionName, CanonicalPolicy, CanonicalPrincipal,
    CanonicalStatement,
};
use crate::document::{parse_policy, Effect, PolicyDocument};

/// A change of a scalar (Version, Id, Sid); `None` means absent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ValueChange {
    pub before: Option<String>,
    pub after: Option<String>,
}

/// One principal identifier: `kind` is `AWS`, `Service`, ... or `*` for the wildcard principal.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct PrincipalEntry {
    pub kind: String,
    pub value: String,
}

/// One condition value: `operator` / `key` / `value` (string form).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ConditionEntry {
    pub operator: String,
    pub key: String,
    pub value: String,
}

/// A whole statement that was added or removed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StatementSummary {
    /// 1-based position in its document.
    pub index: usize,
    pub sid: Option<String>,
    pub effect: Effect,
    pub principals: Vec<PrincipalEntry>,
    pub not_principals: Vec<PrincipalEntry>,
    pub actions: Vec<String>,
    pub not_actions: Vec<String>,
    pub resources: Vec<String>,
    pub not_resources: Vec<String>,
    pub conditions: Vec<ConditionEntry>,
}

/// A statement present on both sides with differences.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StatementChange {
    /// The Sid after the change (or before, when it was removed).
    pub sid: Option<String>,
    /// 1-based positions in the before and after documents.
    pub index_before: usize,
    pub index_after: usize,
    /// The effect after the change.
    pub effect: Effect,
    pub effect_change: Option<EffectChange>,
    pub sid_change: Option<ValueChange>,
    pub principals_added: Vec<PrincipalEntry>,
    pub principals_removed: Vec<PrincipalEntry>,
    pub not_principals_added: Vec<PrincipalEntry>,
    pub not_principals_removed: Vec<PrincipalEntry>,
    pub actions_added: Vec<String>,
    pub actions_removed: Vec<String>,
    pub not_actions_added: Vec<String>,
    pub not_actions_removed: Vec<String>,
    pub resources_added: Vec<String>,
    pub resources_removed: Vec<String>,
    pub not_resources_added: Vec<String>,
    pub not_resources_removed: Vec<String>,
    pub conditions_added: Vec<ConditionEntry>,
    pub conditions_removed: Vec<ConditionEntry>,
    /// Unknown statement keys whose value changed (or that appeared / disappeared).
    pub other_keys_changed: Vec<String>,
    pub unchanged_actions: usize,
    pub unchanged_resources: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct EffectChange {
    pub before: Effect,
    pub after: Effect,
}

/// The difference between two policy documents.
#[derive(Clone, Debug, PartialEq, Default, Serialize)]
pub struct PolicyDiff {
    pub version_change: Option<ValueChange>,
    pub id_change: Option<ValueChange>,
    pub statements_added: Vec<StatementSummary>,
    pub statements_removed: Vec<StatementSummary>,
    pub statements_changed: Vec<StatementChange>,
    /// Statements identical on both sides.
    pub unchanged_statements: usize,
    /// Unknown top-level keys whose value changed.
    pub other_keys_changed: Vec<String>,
    /// Set when a side could not be parsed; the statement lists are then empty and callers
    /// should fall back to [`json_line_diff`].
    pub parse_error: Option<String>,
    /// Whether the change grants more (`broadening`), less (`narrowing`) or neither
    /// (`neutral`); see [`crate::broadening`]. Neutral when a side cannot be parsed.
    pub access: AccessChange,
    /// One line per part of the change that grants more, e.g.
    /// `statement "Objects": adds action "s3:DeleteObject"`.
    pub broadening: Vec<String>,
    /// One line per part of the change that grants less.
    pub narrowing: Vec<String>,
}

impl PolicyDiff {
    /// True when the documents are equivalent.
    pub fn is_empty(&self) -> bool {
        self.version_change.is_none()
            && self.id_change.is_none()
            && self.statements_added.is_empty()
            && self.statements_removed.is_empty()
            && self.statements_changed.is_empty()
            && self.other_keys_changed.is_empty()
            && self.parse_error.is_none()
    }
}

/// A canonical statement with its 1-based position in its document.
struct Indexed {
    index: usize,
    stmt: CanonicalStatement,
}

fn indexed_statements(doc: &PolicyDocument) -> Vec<Indexed> {
    let mut out: Vec<Indexed> = Vec::new();
    for (i, s) in doc.statements.iter().enumerate() {
        let stmt = canonicalize_statement(s);
        if !out.iter().any(|o| o.stmt == stmt) {
            out.push(Indexed { index: i + 1, stmt });
        }
    }
    out
}

fn parse_side(text: &str) -> Result<PolicyDocument, String> {
    if text.trim().is_empty() {
        return Ok(PolicyDocument {
            version: None,
            id: None,
            statements: Vec::new(),
            statement_is_object: false,
            extra: BTreeMap::new(),
        });
    }
    parse_policy(text).map_err(|e| e.to_string())
}

fn value_change(before: &Option<String>, after: &Option<String>) -> Option<ValueChange> {
    (before != after).then(|| ValueChange {
        before: before.clone(),
        after: after.clone(),
    })
}

/// Statement-level diff of two policy texts. An empty or blank text counts as "no document":
/// every statement of the other side is added (or removed), and Version/Id are not compared.
pub fn diff_policies(before: &str, after: &str) -> PolicyDiff {
    let (b, a) = match (parse_side(before), parse_side(after)) {
        (Ok(b), Ok(a)) => (b, a),
        (Err(e), _) => {
            return PolicyDiff {
                parse_error: Some(format!("before: {e}")),
                ..PolicyDiff::default()
            }
        }
        (_, Err(e)) => {
            return PolicyDiff {
                parse_error: Some(format!("after: {e}")),
                ..PolicyDiff::default()
            }
        }
    };
    // A blank side is "no document": its missing Version/Id are not changes.
    let both_present = !before.trim().is_empty() && !after.trim().is_empty();
    let mut diff = PolicyDiff {
        version_change: value_change(&b.version, &a.version).filter(|_| both_present),
        id_change: value_change(&b.id, &a.id).filter(|_| both_present),
        ..PolicyDiff::default()
    };
    let keys: BTreeSet<&String> = b.extra.keys().chain(a.extra.keys()).collect();
    diff.other_keys_changed = keys
        .into_iter()
        .filter(|k| b.extra.get(*k) != a.extra.get(*k))
        .cloned()
        .collect();

    let before_stmts = indexed_statements(&b);
    let after_stmts = indexed_statements(&a);
    let pairing = pair_statements(
        &before_stmts.iter().map(|x| &x.stmt).collect::<Vec<_>>(),
        &after_stmts.iter().map(|x| &x.stmt).collect::<Vec<_>>(),
    );
    diff.unchanged_statements = pairing.identical.len();
    let mut b_used = vec![false; before_stmts.len()];
    let mut a_used = vec![false; after_stmts.len()];
    for &(bi, ai) in pairing.identical.iter().chain(&pairing.changed) {
        b_used[bi] = true;
        a_used[ai] = true;
    }
    let mut pairs = pairing.changed;
    pairs.sort_by_key(|&(_, ai)| after_stmts[ai].index);
    diff.statements_changed = pairs
        .iter()
        .map(|&(bi, ai)| statement_change(&before_stmts[bi], &after_stmts[ai]))
        .collect();
    diff.statements_added = after_stmts
        .iter()
        .zip(&a_used)
        .filter(|(_, used)| !**used)
        .map(|(x, _)| summary(x))
        .collect();
    diff.statements_removed = before_stmts
        .iter()
        .zip(&b_used)
        .filter(|(_, used)| !**used)
        .map(|(x, _)| summary(x))
        .collect();

    let mut reasons = Reasons::default();
    for &(bi, ai) in &pairs {
        let (b, a) = (&before_stmts[bi], &after_stmts[ai]);
        let sid = a.stmt.sid.clone().or_else(|| b.stmt.sid.clone());
        broadening::statement_changed(
            &mut reasons,
            &statement_title(&sid, a.index),
            &b.stmt,
            &a.stmt,
        );
    }
    fn unpaired<'a>(stmts: &'a [Indexed], used: &[bool]) -> Vec<(String, &'a CanonicalStatement)> {
        stmts
            .iter()
            .zip(used)
            .filter(|(_, used)| !**used)
            .map(|(x, _)| (statement_title(&x.stmt.sid, x.index), &x.stmt))
            .collect()
    }
    broadening::unpaired(
        &mut reasons,
        &unpaired(&after_stmts, &a_used),
        &unpaired(&before_stmts, &b_used),
    );
    diff.access = reasons.access();
    diff.broadening = reasons.broadening;
    diff.narrowing = reasons.narrowing;
    diff
}

/// Pairs of (before index, after index).
struct Pairing {
    identical: Vec<(usize, usize)>,
    changed: Vec<(usize, usize)>,
}

/// The three pairing passes described in the module doc.
fn pair_statements(before: &[&CanonicalStatement], after: &[&CanonicalStatement]) -> Pairing {
    let mut b_used = vec![false; before.len()];
    let mut a_used = vec![false; after.len()];
    let mut identical = Vec::new();
    let mut changed = Vec::new();
    // 1. identical statements
    for (ai, x) in after.iter().enumerate() {
        if let Some(bi) = (0..before.len()).find(|&bi| !b_used[bi] && before[bi] == *x) {
            b_used[bi] = true;
            a_used[ai] = true;
            identical.push((bi, ai));
        }
    }
    // 2. same Sid
    for (ai, x) in after.iter().enumerate() {
        if a_used[ai] || x.sid.is_none() {
            continue;
        }
        if let Some(bi) = (0..before.len()).find(|&bi| !b_used[bi] && before[bi].sid == x.sid) {
            b_used[bi] = true;
            a_used[ai] = true;
            changed.push((bi, ai));
        }
    }
    // 3. best match
    let mut candidates: Vec<(f64, usize, usize)> = Vec::new();
    for (bi, y) in before.iter().enumerate() {
        if b_used[bi] {
            continue;
        }
        for (ai, x) in after.iter().enumerate() {
            if a_used[ai] {
                continue;
            }
            if let Some(score) = match_score(y, x) {
                candidates.push((score, bi, ai));
            }
        }
    }
    candidates.sort_by(|p, q| q.0.total_cmp(&p.0).then(p.2.cmp(&q.2)).then(p.1.cmp(&q.1)));
    for (_, bi, ai) in candidates {
        if !b_used[bi] && !a_used[ai] {
            b_used[bi] = true;
            a_used[ai] = true;
            changed.push((bi, ai));
        }
    }
    Pairing { identical, changed }
}

fn actions_of(s: &CanonicalStatement) -> BTreeSet<String> {
    s.action
        .iter()
        .chain(s.not_action.iter())
        .flatten()
        .map(ActionName::key)
        .collect()
}

fn resources_of(s: &CanonicalStatement) -> BTreeSet<&String> {
    s.resource
        .iter()
        .chain(s.not_resource.iter())
        .flatten()
        .collect()
}

fn jaccard<T: Ord>(a: &BTreeSet<T>, b: &BTreeSet<T>) -> (usize, f64) {
    let shared = a.intersection(b).count();
    let union = a.len() + b.len() - shared;
    (
        shared,
        if union == 0 {
            0.0
        } else {
            shared as f64 / union as f64
        },
    )
}

/// Similarity of two unpaired statements, or `None` when they must not be paired.
fn match_score(before: &CanonicalStatement, after: &CanonicalStatement) -> Option<f64> {
    if let (Some(x), Some(y)) = (&before.sid, &after.sid) {
        if x != y {
            return None;
        }
    }
    let (shared_actions, action_sim) = jaccard(&actions_of(before), &actions_of(after));
    let rb = resources_of(before);
    let ra = resources_of(after);
    let (_, resource_sim) = jaccard(&rb, &ra);
    let shared_specific_resource = rb.intersection(&ra).any(|r| r.as_str() != "*");
    let same_principal = before.principal.is_some() && before.principal == after.principal;
    if shared_actions == 0 && !shared_specific_resource && !same_principal {
        return None;
    }
    let mut score = action_sim * 2.0 + resource_sim;
    if before.effect == after.effect {
        score += 1.0;
    }
    if before.principal == after.principal {
        score += 1.0;
    }
    if before.not_principal == after.not_principal {
        score += 0.5;
    }
    Some(score)
}

fn principal_entries(p: &Option<CanonicalPrincipal>) -> BTreeSet<PrincipalEntry> {
    match p {
        None => BTreeSet::new(),
        Some(CanonicalPrincipal::Wildcard) => [PrincipalEntry {
            kind: "*".into(),
            value: "*".into(),
        }]
        .into_iter()
        .collect(),
        Some(CanonicalPrincipal::Map(map)) => map
            .iter()
            .flat_map(|(k, ids)| {
                ids.iter().map(move |v| PrincipalEntry {
                    kind: k.clone(),
                    value: v.clone(),
                })
            })
            .collect(),
    }
}

fn condition_entries(s: &CanonicalStatement) -> BTreeSet<ConditionEntry> {
    s.condition
        .iter()
        .flat_map(|(op, keys)| {
            keys.iter().flat_map(move |(k, vals)| {
                vals.iter().map(move |v| ConditionEntry {
                    operator: op.clone(),
                    key: k.clone(),
                    value: v.clone(),
                })
            })
        })
        .collect()
}

fn action_list(set: &Option<BTreeSet<ActionName>>) -> Vec<String> {
    set.iter()
        .flatten()
        .map(|a| a.as_str().to_string())
        .collect()
}

fn string_list(set: &Option<BTreeSet<String>>) -> Vec<String> {
    set.iter().flatten().cloned().collect()
}

fn summary(x: &Indexed) -> StatementSummary {
    let s = &x.stmt;
    StatementSummary {
        index: x.index,
        sid: s.sid.clone(),
        effect: s.effect,
        principals: principal_entries(&s.principal).into_iter().collect(),
        not_principals: principal_entries(&s.not_principal).into_iter().collect(),
        actions: action_list(&s.action),
        not_actions: action_list(&s.not_action),
        resources: string_list(&s.resource),
        not_resources: string_list(&s.not_resource),
        conditions: condition_entries(s).into_iter().collect(),
    }
}

/// (added, removed, unchanged count) of two action sets, compared case-insensitively.
fn action_delta(
    before: &Option<BTreeSet<ActionName>>,
    after: &Option<BTreeSet<ActionName>>,
) -> (Vec<String>, Vec<String>, usize) {
    let empty = BTreeSet::new();
    let b = before.as_ref().unwrap_or(&empty);
    let a = after.as_ref().unwrap_or(&empty);
    (
        a.difference(b).map(|x| x.as_str().to_string()).collect(),
        b.difference(a).map(|x| x.as_str().to_string()).collect(),
        a.intersection(b).count(),
    )
}

fn set_delta<T: Ord + Clone>(b: &BTreeSet<T>, a: &BTreeSet<T>) -> (Vec<T>, Vec<T>, usize) {
    (
        a.difference(b).cloned().collect(),
        b.difference(a).cloned().collect(),
        a.intersection(b).count(),
    )
}

fn statement_change(before: &Indexed, after: &Indexed) -> StatementChange {
    let (b, a) = (&before.stmt, &after.stmt);
    let empty = BTreeSet::new();
    let (actions_added, actions_removed, unchanged_a) = action_delta(&b.action, &a.action);
    let (not_actions_added, not_actions_removed, unchanged_na) =
        action_delta(&b.not_action, &a.not_action);
    let (resources_added, resources_removed, unchanged_r) = set_delta(
        b.resource.as_ref().unwrap_or(&empty),
        a.resource.as_ref().unwrap_or(&empty),
    );
    let (not_resources_added, not_resources_removed, unchanged_nr) = set_delta(
        b.not_resource.as_ref().unwrap_or(&empty),
        a.not_resource.as_ref().unwrap_or(&empty),
    );
    let (principals_added, principals_removed, _) = set_delta(
        &principal_entries(&b.principal),
        &principal_entries(&a.principal),
    );
    let (not_principals_added, not_principals_removed, _) = set_delta(
        &principal_entries(&b.not_principal),
        &principal_entries(&a.not_principal),
    );
    let (conditions_added, conditions_removed, _) =
        set_delta(&condition_entries(b), &condition_entries(a));
    let keys: BTreeSet<&String> = b.extra.keys().chain(a.extra.keys()).collect();
    StatementChange {
        sid: a.sid.clone().or_else(|| b.sid.clone()),
        index_before: before.index,
        index_after: after.index,
        effect: a.effect,
        effect_change: (a.effect != b.effect).then_some(EffectChange {
            before: b.effect,
            after: a.effect,
        }),
        sid_change: value_change(&b.sid, &a.sid),
        principals_added,
        principals_removed,
        not_principals_added,
        not_principals_removed,
        actions_added,
        actions_removed,
        not_actions_added,
        not_actions_removed,
        resources_added,
        resources_removed,
        not_resources_added,
        not_resources_removed,
        conditions_added,
        conditions_removed,
        other_keys_changed: keys
            .into_iter()
            .filter(|k| b.extra.get(*k) != a.extra.get(*k))
            .cloned()
            .collect(),
        unchanged_actions: unchanged_a + unchanged_na,
        unchanged_resources: unchanged_r + unchanged_nr,
    }
}

// ---------------------------------------------------------------------------------------------
// Rendering

fn quote(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

fn opt_quote(s: &Option<String>) -> String {
    s.as_deref().map_or_else(|| "(absent)".to_string(), quote)
}

fn statement_title(sid: &Option<String>, index: usize) -> String {
    match sid {
        Some(sid) => format!("statement {}", quote(sid)),
        None => format!("statement #{index}"),
    }
}

fn principal_text(p: &PrincipalEntry) -> String {
    if p.kind == "*" {
        quote("*")
    } else {
        format!("{} {}", p.kind, quote(&p.value))
    }
}

fn condition_text(c: &ConditionEntry) -> String {
    format!("{} {} = {}", c.operator, quote(&c.key), quote(&c.value))
}

fn item_line(out: &mut String, indent: &str, sign: char, label: &str, value: &str) {
    let _ = writeln!(out, "{indent}{sign} {label:<7} {value}");
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Each field of a summary as (label, rendered values).
fn summary_fields(s: &StatementSummary) -> Vec<(&'static str, &'static str, Vec<String>)> {
    let q = |v: &Vec<String>| v.iter().map(|x| quote(x)).collect::<Vec<_>>();
    vec![
        (
            "principals",
            "principal",
            s.principals.iter().map(principal_text).collect(),
        ),
        (
            "not_principals",
            "not_principal",
            s.not_principals.iter().map(principal_text).collect(),
        ),
        ("actions", "action", q(&s.actions)),
        ("not_actions", "not_action", q(&s.not_actions)),
        ("resources", "resource", q(&s.resources)),
        ("not_resources", "not_resource", q(&s.not_resources)),
        (
            "conditions",
            "condition",
            s.conditions.iter().map(condition_text).collect(),
        ),
    ]
}

/// `{ actions = ["a", "b"], resources = ["*"] }`
fn one_line_summary(s: &StatementSummary) -> String {
    let parts: Vec<String> = summary_fields(s)
        .into_iter()
        .filter(|(_, _, v)| !v.is_empty())
        .map(|(plural_label, _, v)| format!("{plural_label} = [{}]", v.join(", ")))
        .collect();
    if parts.is_empty() {
        "{ }".to_string()
    } else {
        format!("{{ {} }}", parts.join(", "))
    }
}

/// `{ 99 actions, 1 resource }`
fn count_summary(s: &StatementSummary) -> String {
    let parts: Vec<String> = summary_fields(s)
        .into_iter()
        .filter(|(_, _, v)| !v.is_empty())
        .map(|(plural_label, one, v)| plural(v.len(), one, plural_label))
        .collect();
    format!("{{ {} }}", parts.join(", "))
}

/// Longest one-line rendering of an added/removed statement; longer ones are broken up.
const MAX_ONE_LINE: usize = 120;

/// Renders a diff for a plan, one line per change, every line prefixed with `indent`:
///
/// ```text
/// ~ statement "AllowSecrets" (Allow)
///     + action  "secretsmanager:DescribeSecret"
///     - resource "arn:aws:secretsmanager:*:*:secret:*"
///       # 12 unchanged actions hidden
/// + statement #3 (Allow) { actions = ["s3:GetObject"], resources = ["*"] }
/// - statement "Old" (Deny)
/// ```
///
/// Order: Version/Id changes, changed statements, added, removed. Inside a changed statement:
/// Sid, principals, not_principals, actions, not_actions, resources, not_resources,
/// conditions, each field's removals before its additions, then the unchanged counts.
/// An added statement is one line when that line fits in 120 characters, otherwise a header
/// followed by one `+` line per element. A removed statement with a Sid is named only; one
/// without a Sid gets a one-line summary of its content (or of its element counts when long).
pub fn render_policy_diff(diff: &PolicyDiff, indent: &str) -> String {
    let mut out = String::new();
    let inner = format!("{indent}    ");
    if let Some(e) = &diff.parse_error {
        let _ = writeln!(out, "{indent}# could not parse the policy document ({e})");
        return out;
    }
    if let Some(v) = &diff.version_change {
        let _ = writeln!(
            out,
            "{indent}~ Version {} -> {}",
            opt_quote(&v.before),
            opt_quote(&v.after)
        );
    }
    if let Some(v) = &diff.id_change {
        let _ = writeln!(
            out,
            "{indent}~ Id {} -> {}",
            opt_quote(&v.before),
            opt_quote(&v.after)
        );
    }
    for key in &diff.other_keys_changed {
        let _ = writeln!(out, "{indent}~ {} changed", quote(key));
    }
    for c in &diff.statements_changed {
        let effect = match c.effect_change {
            Some(e) => format!("{} -> {}", e.before, e.after),
            None => c.effect.to_string(),
        };
        let _ = writeln!(
            out,
            "{indent}~ {} ({effect})",
            statement_title(&c.sid, c.index_after)
        );
        if let Some(s) = &c.sid_change {
            let _ = writeln!(
                out,
                "{inner}~ sid {} -> {}",
                opt_quote(&s.before),
                opt_quote(&s.after)
            );
        }
        let q = |v: &Vec<String>| v.iter().map(|x| quote(x)).collect::<Vec<_>>();
        let fields: Vec<(&str, Vec<String>, Vec<String>)> = vec![
            (
                "principal",
                c.principals_removed.iter().map(principal_text).collect(),
                c.principals_added.iter().map(principal_text).collect(),
            ),
            (
                "not_principal",
                c.not_principals_removed
                    .iter()
                    .map(principal_text)
                    .collect(),
                c.not_principals_added.iter().map(principal_text).collect(),
            ),
            ("action", q(&c.actions_removed), q(&c.actions_added)),
            (
                "not_action",
                q(&c.not_actions_removed),
                q(&c.not_actions_added),
            ),
            ("resource", q(&c.resources_removed), q(&c.resources_added)),
            (
                "not_resource",
                q(&c.not_resources_removed),
                q(&c.not_resources_added),
            ),
            (
                "condition",
                c.conditions_removed.iter().map(condition_text).collect(),
                c.conditions_added.iter().map(condition_text).collect(),
            ),
        ];
        for (label, removed, added) in fields {
            for v in removed {
                item_line(&mut out, &inner, '-', label, &v);
            }
            for v in added {
                item_line(&mut out, &inner, '+', label, &v);
            }
        }
        for key in &c.other_keys_changed {
            let _ = writeln!(out, "{inner}~ {} changed", quote(key));
        }
        if c.unchanged_actions > 0 {
            let _ = writeln!(
                out,
                "{inner}  # {} hidden",
                plural(c.unchanged_actions, "unchanged action", "unchanged actions")
            );
        }
        if c.unchanged_resources > 0 {
            let _ = writeln!(
                out,
                "{inner}  # {} hidden",
                plural(
                    c.unchanged_resources,
                    "unchanged resource",
                    "unchanged resources"
                )
            );
        }
    }
    for s in &diff.statements_added {
        let head = format!("+ {} ({})", statement_title(&s.sid, s.index), s.effect);
        let line = format!("{head} {}", one_line_summary(s));
        if line.chars().count() <= MAX_ONE_LINE {
            let _ = writeln!(out, "{indent}{line}");
        } else {
            let _ = writeln!(out, "{indent}{head}");
            for (_, label, values) in summary_fields(s) {
                for v in values {
                    item_line(&mut out, &inner, '+', label, &v);
                }
            }
        }
    }
    for s in &diff.statements_removed {
        let head = format!("- {} ({})", statement_title(&s.sid, s.index), s.effect);
        if s.sid.is_some() {
            let _ = writeln!(out, "{indent}{head}");
        } else {
            let line = format!("{head} {}", one_line_summary(s));
            if line.chars().count() <= MAX_ONE_LINE {
                let _ = writeln!(out, "{indent}{line}");
            } else {
                let _ = writeln!(out, "{indent}{head} {}", count_summary(s));
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Line diff of canonical JSON

fn canonical_or_raw(text: &str) -> (Option<CanonicalPolicy>, String) {
    if text.trim().is_empty() {
        return (None, String::new());
    }
    match parse_policy(text) {
        Ok(doc) => (Some(canonicalize(&doc)), String::new()),
        Err(_) => (None, text.trim().to_string()),
    }
}

/// Reorders `after`'s statements so that each one paired with a `before` statement takes its
/// partner's position; unpaired ones follow in canonical order. Keeps line diffs local.
fn align_statements(after: &mut CanonicalPolicy, before: &CanonicalPolicy) {
    let pairing = pair_statements(
        &before.statements.iter().collect::<Vec<_>>(),
        &after.statements.iter().collect::<Vec<_>>(),
    );
    let mut rank: Vec<(usize, usize)> = Vec::new(); // (sort key, after index)
    let mut paired = vec![false; after.statements.len()];
    for &(bi, ai) in pairing.identical.iter().chain(&pairing.changed) {
        rank.push((bi, ai));
        paired[ai] = true;
    }
    for (ai, p) in paired.iter().enumerate() {
        if !p {
            rank.push((before.statements.len() + ai, ai));
        }
    }
    rank.sort();
    let old = std::mem::take(&mut after.statements);
    after.statements = rank.into_iter().map(|(_, ai)| old[ai].clone()).collect();
}

/// Line diff of the canonical pretty JSON of both texts (texts that do not parse are diffed as
/// written): `- ` removed, `+ ` added, `  ` context lines (3 around each change), `  ...`
/// between distant hunks. Empty when the canonical forms are identical. Action spellings in
/// `after` are aligned with `before` so case-only differences produce no lines.
pub fn json_line_diff(before: &str, after: &str) -> String {
    let (cb, raw_b) = canonical_or_raw(before);
    let (ca, raw_a) = canonical_or_raw(after);
    let left = cb.as_ref().map_or(raw_b, |c| c.to_pretty_json());
    let right = match (ca, &cb) {
        (Some(mut a), Some(b)) => {
            a.adopt_action_spellings(b);
            align_statements(&mut a, b);
            a.to_pretty_json()
        }
        (Some(a), None) => a.to_pretty_json(),
        (None, _) => raw_a,
    };
    if left == right {
        return String::new();
    }
    let left = if left.is_empty() { left } else { left + "\n" };
    let right = if right.is_empty() {
        right
    } else {
        right + "\n"
    };
    let diff = TextDiff::from_lines(&left, &right);
    let mut out = String::new();
    for (i, group) in diff.grouped_ops(3).iter().enumerate() {
        if i > 0 {
            out.push_str("  ...\n");
        }
        for op in group {
            for change in diff.iter_changes(op) {
                let sign = match change.tag() {
                    ChangeTag::Delete => "- ",
                    ChangeTag::Insert => "+ ",
                    ChangeTag::Equal => "  ",
                };
                out.push_str(sign);
                out.push_str(change.value().trim_end_matches('\n'));
                out.push('\n');
            }
        }
    }
    out
}
