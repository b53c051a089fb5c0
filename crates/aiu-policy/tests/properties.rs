//! Property tests of policy equivalence: a generated policy and any random rewrite that keeps
//! its meaning (shuffled statements and set elements, scalarised or listified one-element
//! lists, re-cased actions and Effect, duplicated entries and statements, account ids vs root
//! ARNs, booleans/numbers vs strings in conditions, empty Sids, Statement object vs array,
//! pretty vs compact, URL-encoding) stay equivalent; canonicalisation is idempotent; and a
//! change of meaning (one more action, a flipped Effect) is never equivalent.

use aiu_policy::{canonical_json, diff_policies, equivalent, AccessChange};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

// ---------------------------------------------------------------------------------------------
// Generated policies

/// Actions without wildcards, distinct ignoring case.
const ACTIONS: &[&str] = &[
    "s3:GetObject",
    "s3:PutObject",
    "s3:ListBucket",
    "s3:DeleteObject",
    "ec2:DescribeInstances",
    "ec2:RunInstances",
    "iam:PassRole",
    "iam:GetRole",
    "logs:PutLogEvents",
    "logs:CreateLogStream",
    "sqs:SendMessage",
    "kms:Decrypt",
    "secretsmanager:GetSecretValue",
    "sts:AssumeRole",
];

const RESOURCES: &[&str] = &[
    "*",
    "arn:aws:s3:::data",
    "arn:aws:s3:::data/*",
    "arn:aws:s3:::Logs/*",
    "arn:aws:iam::111111111111:role/app",
    "arn:aws:sqs:us-west-2:111111111111:queue",
    "arn:aws:kms:us-west-2:111111111111:key/abc",
];

const SERVICES: &[&str] = &[
    "ec2.amazonaws.com",
    "lambda.amazonaws.com",
    "ecs-tasks.amazonaws.com",
];
const AWS_PRINCIPALS: &[&str] = &[
    "111111111111",
    "222222222222",
    "arn:aws:iam::333333333333:role/ci",
    "arn:aws:iam::111111111111:user/Ops",
];

#[derive(Clone, Debug)]
enum CondValue {
    Str(String),
    Bool(bool),
    Num(u32),
}

#[derive(Clone, Debug)]
struct Cond {
    op: &'static str,
    key: &'static str,
    values: Vec<CondValue>,
}

#[derive(Clone, Debug)]
enum Principal {
    Star,
    Service(Vec<&'static str>),
    Aws(Vec<&'static str>),
}

#[derive(Clone, Debug)]
struct Stmt {
    sid: Option<String>,
    allow: bool,
    principal: Option<Principal>,
    not_action: bool,
    actions: Vec<&'static str>,
    not_resource: bool,
    resources: Option<Vec<&'static str>>,
    conditions: Vec<Cond>,
}

#[derive(Clone, Debug)]
struct Policy {
    statements: Vec<Stmt>,
}

fn subset<T: Clone + std::fmt::Debug + 'static>(
    pool: &'static [T],
    max: usize,
) -> impl Strategy<Value = Vec<T>> {
    proptest::sample::subsequence(pool.to_vec(), 1..=max)
}

fn cond() -> impl Strategy<Value = Cond> {
    prop_oneof![
        subset(&["vpc-1", "vpc-2", "vpc-3"], 3).prop_map(|v| Cond {
            op: "StringEquals",
            key: "aws:SourceVpc",
            values: v
                .into_iter()
                .map(|s| CondValue::Str(s.to_string()))
                .collect()
        }),
        any::<bool>().prop_map(|b| Cond {
            op: "Bool",
            key: "aws:SecureTransport",
            values: vec![CondValue::Bool(b)]
        }),
        (1u32..100000).prop_map(|n| Cond {
            op: "NumericLessThan",
            key: "aws:MultiFactorAuthAge",
            values: vec![CondValue::Num(n)]
        }),
        subset(&["home/*", "Shared/*"], 2).prop_map(|v| Cond {
            op: "StringLike",
            key: "s3:prefix",
            values: v
                .into_iter()
                .map(|s| CondValue::Str(s.to_string()))
                .collect()
        }),
    ]
}

fn principal() -> impl Strategy<Value = Principal> {
    prop_oneof![
        1 => Just(Principal::Star),
        3 => subset(SERVICES, 2).prop_map(Principal::Service),
        3 => subset(AWS_PRINCIPALS, 3).prop_map(Principal::Aws),
    ]
}

fn stmt() -> impl Strategy<Value = Stmt> {
    (
        any::<bool>(),
        proptest::option::weighted(0.3, principal()),
        proptest::bool::weighted(0.15),
        subset(ACTIONS, 6),
        proptest::bool::weighted(0.1),
        proptest::option::weighted(0.9, subset(RESOURCES, 3)),
        proptest::collection::vec(cond(), 0..=2),
    )
        .prop_map(
            |(allow, principal, not_action, actions, not_resource, resources, mut conditions)| {
                // One entry per (operator, key).
                conditions.sort_by_key(|c| (c.op, c.key));
                conditions.dedup_by_key(|c| (c.op, c.key));
                Stmt {
                    sid: None,
                    allow,
                    principal,
                    not_action,
                    actions,
                    not_resource,
                    resources,
                    conditions,
                }
            },
        )
}

fn policy() -> impl Strategy<Value = Policy> {
    (proptest::collection::vec((stmt(), any::<bool>()), 1..=4)).prop_map(|stmts| Policy {
        statements: stmts
            .into_iter()
            .enumerate()
            .map(|(i, (mut s, named))| {
                if named {
                    s.sid = Some(format!("S{i}"));
                }
                s
            })
            .collect(),
    })
}

// ---------------------------------------------------------------------------------------------
// Rendering with random meaning-preserving rewrites

/// A small deterministic RNG (xorshift64*), seeded by proptest.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.below(i + 1);
            v.swap(i, j);
        }
    }
}

/// Which rewrites are switched on; `None` renders the policy plainly.
struct Rewrites<'a> {
    rng: Option<&'a mut Rng>,
}

impl Rewrites<'_> {
    fn on(&mut self, percent: u64) -> bool {
        self.rng.as_deref_mut().is_some_and(|r| r.chance(percent))
    }

    /// A set of strings as JSON: shuffled, with duplicates, scalarised when it has one element.
    fn set(&mut self, items: &[String]) -> Value {
        let mut items = items.to_vec();
        if let Some(rng) = self.rng.as_deref_mut() {
            if !items.is_empty() && rng.chance(30) {
                let dup = items[rng.below(items.len())].clone();
                items.push(dup);
            }
            rng.shuffle(&mut items);
        }
        if items.len() == 1 && !self.on(50) {
            Value::String(items.remove(0))
        } else {
            Value::Array(items.into_iter().map(Value::String).collect())
        }
    }

    fn action(&mut self, a: &str) -> String {
        match self.rng.as_deref_mut().map(|r| r.below(4)) {
            Some(1) => a.to_lowercase(),
            Some(2) => a.to_uppercase(),
            Some(3) => {
                let (svc, name) = a.split_once(':').unwrap();
                format!("{}:{name}", svc.to_uppercase())
            }
            _ => a.to_string(),
        }
    }

    fn aws_principal(&mut self, p: &str) -> String {
        if p.len() == 12 && self.on(50) {
            format!("arn:aws:iam::{p}:root")
        } else {
            p.to_string()
        }
    }

    fn cond_value(&mut self, v: &CondValue) -> Value {
        let native = self.on(50);
        match v {
            CondValue::Str(s) => json!(s),
            CondValue::Bool(b) if native => json!(b),
            CondValue::Bool(b) => json!(b.to_string()),
            CondValue::Num(n) if native => json!(n),
            CondValue::Num(n) => json!(n.to_string()),
        }
    }

    fn statement(&mut self, s: &Stmt, extra_action: Option<&str>, flip: bool) -> Value {
        let mut m = Map::new();
        match &s.sid {
            Some(sid) => {
                m.insert("Sid".into(), json!(sid));
            }
            None if self.on(20) => {
                m.insert("Sid".into(), json!(""));
            }
            None => {}
        }
        let allow = s.allow != flip;
        let effect = if allow { "Allow" } else { "Deny" };
        let effect = match self.rng.as_deref_mut().map(|r| r.below(3)) {
            Some(1) => effect.to_lowercase(),
            Some(2) => effect.to_uppercase(),
            _ => effect.to_string(),
        };
        m.insert("Effect".into(), json!(effect));
        if let Some(p) = &s.principal {
            let value = match p {
                Principal::Star => json!("*"),
                Principal::Service(ids) => {
                    let ids: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
                    json!({ "Service": self.set(&ids) })
                }
                Principal::Aws(ids) => {
                    let ids: Vec<String> = ids.iter().map(|p| self.aws_principal(p)).collect();
                    json!({ "AWS": self.set(&ids) })
                }
            };
            m.insert("Principal".into(), value);
        }
        let mut actions: Vec<String> = s.actions.iter().map(|a| self.action(a)).collect();
        if let Some(extra) = extra_action {
            actions.push(extra.to_string());
        }
        let key = if s.not_action { "NotAction" } else { "Action" };
        m.insert(key.into(), self.set(&actions));
        if let Some(resources) = &s.resources {
            let resources: Vec<String> = resources.iter().map(|r| r.to_string()).collect();
            let key = if s.not_resource {
                "NotResource"
            } else {
                "Resource"
            };
            m.insert(key.into(), self.set(&resources));
        }
        if !s.conditions.is_empty() {
            let mut ops = Map::new();
            for c in &s.conditions {
                let values: Vec<Value> = c.values.iter().map(|v| self.cond_value(v)).collect();
                let mut values = values;
                if let Some(rng) = self.rng.as_deref_mut() {
                    rng.shuffle(&mut values);
                }
                let value = if values.len() == 1 && !self.on(50) {
                    values.remove(0)
                } else {
                    Value::Array(values)
                };
                let entry = ops.entry(c.op.to_string()).or_insert_with(|| json!({}));
                entry
                    .as_object_mut()
                    .unwrap()
                    .insert(c.key.to_string(), value);
            }
            m.insert("Condition".into(), Value::Object(ops));
        } else if self.on(10) {
            m.insert("Condition".into(), json!({}));
        }
        Value::Object(m)
    }
}

/// A meaning change to apply while rendering.
#[derive(Clone, Copy)]
enum Mutation {
    None,
    /// One more action (not yet in the set) in statement `i`.
    AddAction(usize),
    /// Allow <-> Deny in statement `i`.
    FlipEffect(usize),
}

fn render(p: &Policy, rng: Option<&mut Rng>, mutation: Mutation) -> String {
    let mut rw = Rewrites { rng };
    let mut stmts: Vec<Value> = Vec::new();
    for (i, s) in p.statements.iter().enumerate() {
        let extra = match mutation {
            Mutation::AddAction(j) if j == i => {
                ACTIONS.iter().copied().find(|a| !s.actions.contains(a))
            }
            _ => None,
        };
        let flip = matches!(mutation, Mutation::FlipEffect(j) if j == i);
        stmts.push(rw.statement(s, extra, flip));
        if rw.on(15) {
            stmts.push(rw.statement(s, extra, flip)); // duplicate statement, written differently
        }
    }
    if let Some(rng) = rw.rng.as_deref_mut() {
        rng.shuffle(&mut stmts);
    }
    let statement = if stmts.len() == 1 && rw.on(50) {
        stmts.remove(0)
    } else {
        Value::Array(stmts)
    };
    let doc = json!({ "Version": "2012-10-17", "Statement": statement });
    let text = if rw.on(50) {
        serde_json::to_string_pretty(&doc).unwrap()
    } else {
        doc.to_string()
    };
    if rw.on(30) {
        percent_encode(&text)
    } else {
        text
    }
}

/// RFC 3986 percent-encoding, as IAM returns documents.
fn percent_encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Properties

proptest! {
    #![proptest_config(config())]

    #[test]
    fn meaning_preserving_rewrites_stay_equivalent(p in policy(), seed in 1u64.., seed2 in 1u64..) {
        let plain = render(&p, None, Mutation::None);
        let a = render(&p, Some(&mut Rng(seed)), Mutation::None);
        let b = render(&p, Some(&mut Rng(seed2)), Mutation::None);
        prop_assert!(equivalent(&plain, &a), "plain vs rewrite:\n{plain}\n---\n{a}");
        prop_assert!(equivalent(&a, &b), "two rewrites:\n{a}\n---\n{b}");
        prop_assert!(equivalent(&b, &a));
        prop_assert_eq!(
            canonical_json(&a).unwrap().to_lowercase(),
            canonical_json(&plain).unwrap().to_lowercase()
        );
        let d = diff_policies(&plain, &a);
        prop_assert!(d.is_empty(), "equivalent documents must have an empty diff: {:?}", d);
        prop_assert_eq!(d.access, AccessChange::Neutral);
    }

    #[test]
    fn canonicalisation_is_idempotent(p in policy(), seed in 1u64..) {
        let text = render(&p, Some(&mut Rng(seed)), Mutation::None);
        let once = canonical_json(&text).unwrap();
        let twice = canonical_json(&once).unwrap();
        prop_assert_eq!(&once, &twice);
        prop_assert!(equivalent(&text, &once));
    }

    #[test]
    fn one_more_action_is_a_change(p in policy(), seed in 1u64.., pick in any::<prop::sample::Index>()) {
        let i = pick.index(p.statements.len());
        prop_assume!(p.statements[i].actions.len() < ACTIONS.len());
        let before = render(&p, Some(&mut Rng(seed)), Mutation::None);
        let after = render(&p, Some(&mut Rng(seed ^ 0x5555)), Mutation::AddAction(i));
        prop_assert!(!equivalent(&before, &after), "added action not seen:\n{before}\n---\n{after}");
        let d = diff_policies(&before, &after);
        prop_assert!(!d.is_empty());
        // Adding to Action grows the statement's reach; to NotAction shrinks it. Statements
        // identical after the change collapse, so only unique statements are classified.
        let s = &p.statements[i];
        let content = |t: &Stmt| format!("{:?}", Stmt { sid: None, ..t.clone() });
        let unique = p.statements.iter().enumerate().all(|(j, t)| j == i || content(t) != content(s));
        if unique && d.statements_added.is_empty() && d.statements_removed.is_empty() {
            let expected = if s.allow != s.not_action { AccessChange::Broadening } else { AccessChange::Narrowing };
            prop_assert_eq!(d.access, expected, "{:?}", d);
        }
    }

    #[test]
    fn a_flipped_effect_is_a_change(p in policy(), seed in 1u64.., pick in any::<prop::sample::Index>()) {
        let i = pick.index(p.statements.len());
        let before = render(&p, Some(&mut Rng(seed)), Mutation::None);
        let after = render(&p, Some(&mut Rng(seed.rotate_left(7) | 1)), Mutation::FlipEffect(i));
        prop_assert!(!equivalent(&before, &after), "flipped effect not seen:\n{before}\n---\n{after}");
        prop_assert!(!diff_policies(&before, &after).is_empty());
    }
}
