//! Runs the data-driven equivalence table `tests/data/equivalence.json`: pairs of documents that
//! must be equivalent (whitespace, forms, order, case, encodings, the rewrites AWS and
//! Terraform's `jsonencode` / `aws_iam_policy_document` produce, and the cases of the Terraform
//! AWS provider's perpetual-diff issues) and pairs that must not be.

use aiu_policy::{canonical_json, diff_policies, equivalent};
use serde_json::Value;

struct Case {
    name: String,
    a: String,
    b: String,
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn cases(kind: &str) -> Vec<Case> {
    let raw = include_str!("data/equivalence.json");
    let table: Value = serde_json::from_str(raw).expect("equivalence.json is JSON");
    table[kind]
        .as_array()
        .unwrap_or_else(|| panic!("no `{kind}` list"))
        .iter()
        .map(|c| Case {
            name: c["name"].as_str().expect("name").to_string(),
            a: text(&c["a"]),
            b: text(&c["b"]),
        })
        .collect()
}

#[test]
fn table_has_enough_cases_with_unique_names() {
    let (eq, ne) = (cases("equivalent"), cases("different"));
    assert!(eq.len() >= 60, "only {} equivalent pairs", eq.len());
    assert!(ne.len() >= 40, "only {} non-equivalent pairs", ne.len());
    let mut names: Vec<&str> = eq.iter().chain(&ne).map(|c| c.name.as_str()).collect();
    let total = names.len();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), total, "case names must be unique");
}

#[test]
fn equivalent_pairs_are_equivalent() {
    let mut failures = Vec::new();
    for c in cases("equivalent") {
        let ok = equivalent(&c.a, &c.b) && equivalent(&c.b, &c.a);
        let canon = match (canonical_json(&c.a), canonical_json(&c.b)) {
            (Ok(x), Ok(y)) => x.to_lowercase() == y.to_lowercase(),
            _ => false,
        };
        let diff = diff_policies(&c.a, &c.b);
        if !ok || !canon || !diff.is_empty() {
            failures.push(format!(
                "{}: equivalent={ok} same canonical JSON={canon} diff empty={}",
                c.name,
                diff.is_empty()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} equivalent pairs failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn different_pairs_are_different() {
    let mut failures = Vec::new();
    for c in cases("different") {
        if equivalent(&c.a, &c.b) || equivalent(&c.b, &c.a) {
            failures.push(format!("{}: compared equivalent", c.name));
            continue;
        }
        // Both parse (the table holds valid documents), and the statement diff sees a change.
        if canonical_json(&c.a).is_err() || canonical_json(&c.b).is_err() {
            failures.push(format!("{}: does not parse", c.name));
        } else if diff_policies(&c.a, &c.b).is_empty() {
            failures.push(format!("{}: statement diff is empty", c.name));
        }
    }
    assert!(
        failures.is_empty(),
        "{} non-equivalent pairs failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
