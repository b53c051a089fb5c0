//! The 66 parliament test cases (`../shared/corpus/parliament-cases.jsonl`) run through
//! `validate_policy`, compared with parliament's expected findings through the code mapping in
//! `tests/data/parliament-mapping.json`. Asserts an agreement rate of at least 90% over the
//! (case, code) pairs that have a counterpart, and that every disagreement (missed or extra)
//! is listed in the mapping file with a reason. `AIU_PARLIAMENT_VERBOSE=1` prints every case's
//! findings.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use aiu_policy::validate::{validate_policy, ValidateOptions};
use aiu_policy::PolicyKind;
use serde_json::Value;

fn corpus_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/parliament-cases.jsonl")
}

fn kind_of(policy: &str) -> PolicyKind {
    match serde_json::from_str::<Value>(policy.trim()) {
        Ok(v) => {
            let stmts: Vec<&Value> = match v.get("Statement") {
                Some(Value::Array(a)) => a.iter().collect(),
                Some(s) => vec![s],
                None => vec![],
            };
            if stmts
                .iter()
                .any(|s| s.get("Principal").is_some() || s.get("NotPrincipal").is_some())
            {
                PolicyKind::Resource
            } else {
                PolicyKind::Identity
            }
        }
        // Not JSON (e.g. a trailing comma): decide from the text.
        Err(_) if policy.contains("Principal\"") => PolicyKind::Resource,
        Err(_) => PolicyKind::Identity,
    }
}

#[test]
fn parliament_cases_agreement() {
    let path = corpus_path();
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mapping: Value =
        serde_json::from_str(include_str!("data/parliament-mapping.json")).expect("mapping JSON");
    let map: BTreeMap<String, Option<Vec<String>>> = mapping["mapping"]
        .as_object()
        .expect("mapping object")
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                v.as_array()
                    .map(|a| a.iter().map(|x| x.as_str().unwrap().to_string()).collect()),
            )
        })
        .collect();
    let community: BTreeSet<String> = mapping["community_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect();
    let listed: BTreeMap<(usize, String, String), String> = mapping["disagreements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let reason = d["reason"].as_str().unwrap_or("").to_string();
            assert!(
                !reason.trim().is_empty(),
                "disagreement without a reason: {d}"
            );
            (
                (
                    d["case"].as_u64().unwrap() as usize,
                    d["kind"].as_str().unwrap().to_string(),
                    d["code"].as_str().unwrap().to_string(),
                ),
                reason,
            )
        })
        .collect();
    // Our code -> the parliament codes it is a counterpart of.
    let mut reverse: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (p, ours) in &map {
        for o in ours.iter().flatten() {
            reverse.entry(o.as_str()).or_default().push(p.as_str());
        }
    }

    let opts = ValidateOptions::default();
    let (mut pairs, mut agreed) = (0usize, 0usize);
    let (mut occurrences, mut occurrences_in_agreed) = (0usize, 0usize);
    let mut found: BTreeSet<(usize, String, String)> = BTreeSet::new();
    let mut cases = 0;
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        cases += 1;
        let case: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("case {n}: {e}"));
        let policy = case["policy"].as_str().unwrap();
        let with_community = case["include_community_auditors"]
            .as_bool()
            .unwrap_or(false);
        let mut expected: BTreeMap<String, usize> = BTreeMap::new();
        for f in case["findings"].as_array().unwrap() {
            *expected.entry(f.as_str().unwrap().to_string()).or_default() += 1;
        }
        let findings = validate_policy(policy, kind_of(policy), &opts);
        if std::env::var_os("AIU_PARLIAMENT_VERBOSE").is_some() {
            println!("case {n}: parliament {expected:?}");
            for f in &findings {
                println!("    {f}");
            }
        }
        let ours: BTreeSet<&str> = findings.iter().map(|f| f.code).collect();
        for (code, count) in &expected {
            let counterpart = map.get(code).unwrap_or_else(|| {
                panic!("case {n}: parliament code {code} missing from the mapping")
            });
            let Some(counterpart) = counterpart else {
                continue;
            };
            pairs += 1;
            occurrences += count;
            if counterpart.iter().any(|c| ours.contains(c.as_str())) {
                agreed += 1;
                occurrences_in_agreed += count;
            } else {
                found.insert((n, "missed".into(), code.clone()));
            }
        }
        for code in &ours {
            let Some(parl) = reverse.get(code) else {
                continue;
            };
            let explained = parl.iter().any(|p| expected.contains_key(*p))
                || parl
                    .iter()
                    .all(|p| community.contains(*p) && !with_community);
            if !explained {
                found.insert((n, "extra".into(), code.to_string()));
            }
        }
    }
    assert_eq!(cases, 66, "the corpus should hold 66 cases");
    let rate = agreed as f64 / pairs as f64;
    println!(
        "parliament agreement: {agreed}/{pairs} (case, code) pairs with a counterpart = {:.1}%; these pairs carry {occurrences_in_agreed}/{occurrences} of parliament's mapped finding occurrences",
        rate * 100.0
    );
    let mut unlisted = Vec::new();
    for d in &found {
        match listed.get(d) {
            Some(reason) => println!(
                "  known disagreement: case {} {} {}: {reason}",
                d.0, d.1, d.2
            ),
            None => unlisted.push(format!("case {} {} {}", d.0, d.1, d.2)),
        }
    }
    let stale: Vec<_> = listed.keys().filter(|k| !found.contains(*k)).collect();
    assert!(
        unlisted.is_empty(),
        "disagreements not listed in parliament-mapping.json: {unlisted:#?}"
    );
    assert!(
        stale.is_empty(),
        "listed disagreements that no longer occur: {stale:?}"
    );
    assert!(rate >= 0.90, "agreement {:.1}% < 90%", rate * 100.0);
}
