//! Classification of a policy change as narrowing, broadening or neutral.
//!
//! [`crate::diff_policies`] pairs the statements of both documents; this module looks at each
//! pair (and at added and removed statements) and records every part of the change that widens
//! or narrows what the document grants, with a one-line reason. A change is
//! [`AccessChange::Broadening`] when at least one part broadens (even if others narrow: a
//! reviewer must look at it), [`AccessChange::Narrowing`] when parts only narrow, and
//! [`AccessChange::Neutral`] when nothing that decides access changed (a Sid, Version, Id or an
//! unknown key).
//!
//! The rules, for an `Allow` statement (a `Deny` statement reverses every one of them, since
//! widening what a Deny reaches narrows access):
//! - an added statement broadens, a removed one narrows;
//! - a new action, resource or principal broadens unless a pattern already in that element
//!   covers it (`s3:*` covers `s3:GetObject`; `arn:aws:iam::1:root` covers the account's roles;
//!   `"*"` covers everything); a removed one narrows unless a remaining pattern covers it. So
//!   `s3:GetObject` -> `s3:Get*` broadens and `s3:*` -> `s3:GetObject` narrows;
//! - `NotAction` / `NotResource` / `NotPrincipal` work the other way round: a new exclusion
//!   narrows, a dropped one broadens; switching from `Action` to `NotAction` (and alike)
//!   broadens;
//! - a condition that disappears broadens, a new one narrows; inside a condition, a new value
//!   broadens for positive operators (`StringEquals`, `ArnLike`, `IpAddress`, ...: the values
//!   are alternatives) and narrows for negated ones (`StringNotEquals`, `NotIpAddress`, ...);
//!   a changed value (one removed, another added) therefore counts both ways, i.e. broadening;
//! - `Deny` -> `Allow` broadens, `Allow` -> `Deny` narrows; renaming a Sid is neutral.
//!
//! The analysis is per statement and deliberately conservative: moving an action from one
//! statement to another counts as broadening (one statement gains it), and a change whose
//! direction cannot be told (a numeric condition bound that moves) counts as broadening.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::canonical::{CanonicalPrincipal, CanonicalStatement};
use crate::document::Effect;

/// How a change of a policy document affects the access it grants.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AccessChange {
    /// Nothing that decides access changed (or the documents are equivalent).
    #[default]
    Neutral,
    /// Only narrowing parts.
    Narrowing,
    /// At least one part grants more than before.
    Broadening,
}

impl AccessChange {
    pub fn as_str(self) -> &'static str {
        match self {
            AccessChange::Neutral => "neutral",
            AccessChange::Narrowing => "narrowing",
            AccessChange::Broadening => "broadening",
        }
    }
}

impl std::fmt::Display for AccessChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The reasons found for each direction.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Reasons {
    pub broadening: Vec<String>,
    pub narrowing: Vec<String>,
}

impl Reasons {
    pub fn access(&self) -> AccessChange {
        if !self.broadening.is_empty() {
            AccessChange::Broadening
        } else if !self.narrowing.is_empty() {
            AccessChange::Narrowing
        } else {
            AccessChange::Neutral
        }
    }

    /// The statement's reach grows: more access for Allow, less for Deny.
    fn widen(&mut self, effect: Effect, text: String) {
        match effect {
            Effect::Allow => self.broadening.push(text),
            Effect::Deny => self.narrowing.push(text),
        }
    }

    /// The statement's reach shrinks.
    fn shrink(&mut self, effect: Effect, text: String) {
        match effect {
            Effect::Allow => self.narrowing.push(text),
            Effect::Deny => self.broadening.push(text),
        }
    }
}

fn quote(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// True when every string the pattern `q` matches is matched by the pattern `p` (IAM globs:
/// `*` any run of characters, `?` one character). Sound but not complete: a literal in `p`
/// never covers a wildcard in `q`.
pub fn pattern_covers(p: &str, q: &str) -> bool {
    let (p, q) = (p.as_bytes(), q.as_bytes());
    let (mut pi, mut qi) = (0usize, 0usize);
    let mut star: Option<usize> = None;
    let mut mark = 0usize;
    while qi < q.len() {
        let q_wild = q[qi] == b'*' || q[qi] == b'?';
        if pi < p.len()
            && p[pi] != b'*'
            && ((p[pi] == b'?' && q[qi] != b'*') || (p[pi] == q[qi] && !q_wild))
        {
            pi += 1;
            qi += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some(pi);
            mark = qi;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            qi = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == b'*' {
        pi += 1;
    }
    pi == p.len()
}

/// One element of a set: the comparison key and the spelling shown in reasons.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Item {
    key: String,
    shown: String,
}

/// Which form a statement uses for one dimension (actions, resources, principals).
enum Dim {
    Absent,
    Pos(Vec<Item>),
    Neg(Vec<Item>),
}

type Covers = fn(&Item, &Item) -> bool;

fn covers_glob(p: &Item, q: &Item) -> bool {
    p.key == q.key || pattern_covers(&p.key, &q.key)
}

/// `kind\u{0}value`; the wildcard principal is `*\u{0}*`.
fn covers_principal(p: &Item, q: &Item) -> bool {
    let split = |i: &Item| -> (String, String) {
        let mut parts = i.key.splitn(2, '\u{0}');
        (
            parts.next().unwrap_or("").to_string(),
            parts.next().unwrap_or("").to_string(),
        )
    };
    let ((pk, pv), (qk, qv)) = (split(p), split(q));
    if pk == "*" {
        return true;
    }
    if pk != qk {
        return false;
    }
    if pv == "*" || pv == qv || pattern_covers(&pv, &qv) {
        return true;
    }
    // arn:aws:iam::ACCOUNT:root covers the account's principals (ARNs of that account).
    if pk == "AWS" {
        if let Some(account) = root_account(&pv) {
            return arn_account(&qv) == Some(account);
        }
    }
    false
}

fn root_account(arn: &str) -> Option<&str> {
    let parts: Vec<&str> = arn.split(':').collect();
    (parts.len() == 6 && parts[0] == "arn" && parts[2] == "iam" && parts[5] == "root")
        .then(|| parts[4])
}

fn arn_account(arn: &str) -> Option<&str> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    (parts.len() == 6 && parts[0] == "arn" && !parts[4].is_empty()).then(|| parts[4])
}

fn action_dim(s: &CanonicalStatement) -> Dim {
    let items = |set: &BTreeSet<crate::canonical::ActionName>| {
        set.iter()
            .map(|a| Item {
                key: a.key(),
                shown: a.as_str().to_string(),
            })
            .collect()
    };
    match (&s.action, &s.not_action) {
        (Some(a), _) => Dim::Pos(items(a)),
        (None, Some(n)) => Dim::Neg(items(n)),
        (None, None) => Dim::Absent,
    }
}

fn resource_dim(s: &CanonicalStatement) -> Dim {
    let items = |set: &BTreeSet<String>| {
        set.iter()
            .map(|r| Item {
                key: r.clone(),
                shown: r.clone(),
            })
            .collect()
    };
    match (&s.resource, &s.not_resource) {
        (Some(r), _) => Dim::Pos(items(r)),
        (None, Some(n)) => Dim::Neg(items(n)),
        (None, None) => Dim::Absent,
    }
}

fn principal_items(p: &CanonicalPrincipal) -> Vec<Item> {
    match p {
        CanonicalPrincipal::Wildcard => vec![Item {
            key: "*\u{0}*".into(),
            shown: "\"*\"".into(),
        }],
        CanonicalPrincipal::Map(map) => map
            .iter()
            .flat_map(|(kind, ids)| {
                ids.iter().map(move |id| Item {
                    key: format!("{kind}\u{0}{id}"),
                    shown: format!("{kind} {}", quote(id)),
                })
            })
            .collect(),
    }
}

fn principal_dim(s: &CanonicalStatement) -> Dim {
    match (&s.principal, &s.not_principal) {
        (Some(p), _) => Dim::Pos(principal_items(p)),
        (None, Some(n)) => Dim::Neg(principal_items(n)),
        (None, None) => Dim::Absent,
    }
}

fn covered(item: &Item, by: &[Item], covers: Covers) -> bool {
    by.iter().any(|p| covers(p, item))
}

fn shown(item: &Item, quoted: bool) -> String {
    if quoted {
        quote(&item.shown)
    } else {
        item.shown.clone()
    }
}

/// Compares one dimension of a statement pair. `name` is the element (`action`), `not_name`
/// its negated form (`not_action`).
#[allow(clippy::too_many_arguments)]
fn compare_dim(
    out: &mut Reasons,
    effect: Effect,
    label: &str,
    name: &str,
    not_name: &str,
    before: Dim,
    after: Dim,
    covers: Covers,
    quoted: bool,
) {
    match (before, after) {
        (Dim::Absent, Dim::Absent) => {}
        (Dim::Pos(b), Dim::Pos(a)) => {
            for x in a
                .iter()
                .filter(|x| !b.contains(x) && !covered(x, &b, covers))
            {
                out.widen(effect, format!("{label}: adds {name} {}", shown(x, quoted)));
            }
            for x in b
                .iter()
                .filter(|x| !a.contains(x) && !covered(x, &a, covers))
            {
                out.shrink(
                    effect,
                    format!("{label}: removes {name} {}", shown(x, quoted)),
                );
            }
        }
        (Dim::Neg(b), Dim::Neg(a)) => {
            for x in a
                .iter()
                .filter(|x| !b.contains(x) && !covered(x, &b, covers))
            {
                out.shrink(
                    effect,
                    format!("{label}: adds {not_name} {}", shown(x, quoted)),
                );
            }
            for x in b
                .iter()
                .filter(|x| !a.contains(x) && !covered(x, &a, covers))
            {
                out.widen(
                    effect,
                    format!("{label}: removes {not_name} {}", shown(x, quoted)),
                );
            }
        }
        (Dim::Pos(_), Dim::Neg(_)) => {
            out.widen(
                effect,
                format!("{label}: switches from {name} to {not_name}"),
            );
        }
        (Dim::Neg(b), Dim::Pos(a)) => {
            out.shrink(
                effect,
                format!("{label}: switches from {not_name} to {name}"),
            );
            for x in a.iter().filter(|x| covered(x, &b, covers)) {
                out.widen(
                    effect,
                    format!(
                        "{label}: adds formerly excluded {name} {}",
                        shown(x, quoted)
                    ),
                );
            }
        }
        (Dim::Absent, _) => out.shrink(effect, format!("{label}: adds a {name} element")),
        (_, Dim::Absent) => out.widen(effect, format!("{label}: removes its {name} element")),
    }
}

/// operator -> key -> values.
type CondMap<'a> = BTreeMap<(&'a str, &'a str), &'a BTreeSet<String>>;

fn conditions(s: &CanonicalStatement) -> CondMap<'_> {
    s.condition
        .iter()
        .flat_map(|(op, keys)| {
            keys.iter()
                .map(move |(k, vals)| ((op.as_str(), k.as_str()), vals))
        })
        .collect()
}

/// True for operators whose values are exclusions (`StringNotEquals`, `NotIpAddress`, ...):
/// more values match fewer requests.
fn negated_operator(op: &str) -> bool {
    let base = op
        .strip_prefix("ForAllValues:")
        .or_else(|| op.strip_prefix("ForAnyValue:"))
        .unwrap_or(op);
    let base = base.strip_suffix("IfExists").unwrap_or(base);
    base.starts_with("Not") || base.contains("Not")
}

fn compare_conditions(
    out: &mut Reasons,
    effect: Effect,
    label: &str,
    before: &CanonicalStatement,
    after: &CanonicalStatement,
) {
    let (b, a) = (conditions(before), conditions(after));
    for ((op, key), _) in b.iter().filter(|(k, _)| !a.contains_key(*k)) {
        out.widen(
            effect,
            format!("{label}: removes condition {op} {}", quote(key)),
        );
    }
    for ((op, key), _) in a.iter().filter(|(k, _)| !b.contains_key(*k)) {
        out.shrink(
            effect,
            format!("{label}: adds condition {op} {}", quote(key)),
        );
    }
    for (&(op, key), bv) in &b {
        let Some(av) = a.get(&(op, key)) else {
            continue;
        };
        let negated = negated_operator(op);
        for v in av.difference(bv) {
            if negated {
                out.shrink(
                    effect,
                    format!("{label}: condition {op} {} adds {}", quote(key), quote(v)),
                );
            } else {
                out.widen(
                    effect,
                    format!(
                        "{label}: condition {op} {} accepts {}",
                        quote(key),
                        quote(v)
                    ),
                );
            }
        }
        for v in bv.difference(av) {
            if negated {
                out.widen(
                    effect,
                    format!("{label}: condition {op} {} drops {}", quote(key), quote(v)),
                );
            } else {
                out.shrink(
                    effect,
                    format!(
                        "{label}: condition {op} {} no longer accepts {}",
                        quote(key),
                        quote(v)
                    ),
                );
            }
        }
    }
}

/// Classifies the change of a paired statement.
pub(crate) fn statement_changed(
    out: &mut Reasons,
    label: &str,
    before: &CanonicalStatement,
    after: &CanonicalStatement,
) {
    if before.effect != after.effect {
        let text = format!(
            "{label}: changes Effect from {} to {}",
            before.effect, after.effect
        );
        match after.effect {
            Effect::Allow => out.broadening.push(text),
            Effect::Deny => out.narrowing.push(text),
        }
        return;
    }
    let effect = after.effect;
    compare_dim(
        out,
        effect,
        label,
        "principal",
        "not_principal",
        principal_dim(before),
        principal_dim(after),
        covers_principal,
        false,
    );
    compare_dim(
        out,
        effect,
        label,
        "action",
        "not_action",
        action_dim(before),
        action_dim(after),
        covers_glob,
        true,
    );
    compare_dim(
        out,
        effect,
        label,
        "resource",
        "not_resource",
        resource_dim(before),
        resource_dim(after),
        covers_glob,
        true,
    );
    compare_conditions(out, effect, label, before, after);
}

/// Classifies the unpaired statements: an added statement identical to a removed one but for
/// its Sid is a rename (no access change); an added statement that a removed one of the same
/// effect covers (the diff could not pair them because several of its parts changed at once)
/// is compared with it like a paired statement, so `logs:*` on `*` replaced by two actions on
/// one ARN is a narrowing, not a new grant; the others are added / removed.
pub(crate) fn unpaired(
    out: &mut Reasons,
    added: &[(String, &CanonicalStatement)],
    removed: &[(String, &CanonicalStatement)],
) {
    let without_sid = |s: &CanonicalStatement| CanonicalStatement {
        sid: None,
        ..s.clone()
    };
    let mut removed_left: Vec<Option<CanonicalStatement>> =
        removed.iter().map(|(_, s)| Some(without_sid(s))).collect();
    // Removed statements that an added one renamed or replaced: not reported as removed.
    let mut consumed = vec![false; removed.len()];
    for (label, s) in added {
        let key = without_sid(s);
        if let Some(i) = removed_left.iter().position(|r| r.as_ref() == Some(&key)) {
            removed_left[i] = None;
            consumed[i] = true;
            continue;
        }
        let covering = (0..removed.len()).find(|&i| {
            let before = removed[i].1;
            if consumed[i] || before.effect != s.effect {
                return false;
            }
            let mut probe = Reasons::default();
            statement_changed(&mut probe, label, before, s);
            probe.broadening.is_empty()
        });
        match covering {
            Some(i) => {
                removed_left[i] = None;
                consumed[i] = true;
                statement_changed(out, label, removed[i].1, s);
            }
            None => statement_added(out, label, s),
        }
    }
    for ((label, s), consumed) in removed.iter().zip(consumed) {
        if !consumed {
            statement_removed(out, label, s);
        }
    }
}

/// Classifies a statement present only after the change.
pub(crate) fn statement_added(out: &mut Reasons, label: &str, s: &CanonicalStatement) {
    match s.effect {
        Effect::Allow => out.broadening.push(format!("{label}: new Allow statement")),
        Effect::Deny => out.narrowing.push(format!("{label}: new Deny statement")),
    }
}

/// Classifies a statement present only before the change.
pub(crate) fn statement_removed(out: &mut Reasons, label: &str, s: &CanonicalStatement) {
    match s.effect {
        Effect::Allow => out
            .narrowing
            .push(format!("{label}: Allow statement removed")),
        Effect::Deny => out
            .broadening
            .push(format!("{label}: Deny statement removed")),
    }
}

#[cfg(test)]
mod tests {
    use super::pattern_covers;

    #[test]
    fn globs_cover_what_they_match() {
        assert!(pattern_covers("s3:*", "s3:getobject"));
        assert!(pattern_covers("s3:get*", "s3:getobject*"));
        assert!(pattern_covers("*", "anything*"));
        assert!(pattern_covers("s3:getobjec?", "s3:getobject"));
        assert!(!pattern_covers("s3:getobject", "s3:get*"));
        assert!(!pattern_covers("s3:getobjec?", "s3:getobjec*"));
        assert!(!pattern_covers("s3:get*", "s3:*"));
        assert!(pattern_covers("arn:aws:s3:::b/*", "arn:aws:s3:::b/x/*"));
        assert!(!pattern_covers("arn:aws:s3:::b/*", "arn:aws:s3:::b"));
    }
}
