//! The AI Unlimited reference policies (/work/shared/reference/ai-unlimited/*.json) must parse,
//! be equivalent to their reformatted and reordered canonical form, and pass the structural
//! check as identity policies.
//!
//! The folder is read at test time; a missing folder is a failure, not a skip.

use std::path::PathBuf;

use aiu_policy::{
    canonical_json, check_structure, diff_policies, equivalent, json_line_diff, parse_policy,
    PolicyKind,
};

/// Files in the folder that are not policy documents.
const NOT_POLICIES: [&str; 1] = ["iam-model.json"];

fn reference_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference/ai-unlimited")
}

fn reference_policies() -> Vec<(String, String)> {
    let dir = reference_dir();
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| {
        panic!(
            "reference policies folder {} is missing or unreadable ({e}); these tests need the shared AI Unlimited reference files",
            dir.display()
        )
    });
    let mut out: Vec<(String, String)> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .filter(|p| !NOT_POLICIES.contains(&p.file_name().unwrap().to_str().unwrap()))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    assert!(
        out.len() >= 4,
        "expected at least 4 reference policies in {}, found {}",
        dir.display(),
        out.len()
    );
    out
}

/// Lower-cases every `Action` value and the `Effect`.
fn lowercase_actions(v: &serde_json::Value) -> serde_json::Value {
    let mut v = v.clone();
    if let Some(stmts) = v.get_mut("Statement").and_then(|s| s.as_array_mut()) {
        for s in stmts {
            let obj = s.as_object_mut().unwrap();
            for key in ["Action", "Effect"] {
                if let Some(a) = obj.get_mut(key) {
                    *a = match a.take() {
                        serde_json::Value::String(x) => serde_json::Value::String(x.to_lowercase()),
                        serde_json::Value::Array(xs) => serde_json::Value::Array(
                            xs.into_iter()
                                .map(|x| {
                                    serde_json::Value::String(x.as_str().unwrap().to_lowercase())
                                })
                                .collect(),
                        ),
                        other => other,
                    };
                }
            }
        }
    }
    v
}

/// Reverses statement order and every list, and writes scalars for one-element lists.
fn reorder(v: &serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Array(items) if items.len() == 1 => reorder(&items[0]),
        serde_json::Value::Array(items) => {
            serde_json::Value::Array(items.iter().rev().map(reorder).collect())
        }
        serde_json::Value::Object(m) => {
            serde_json::Value::Object(m.iter().map(|(k, v)| (k.clone(), reorder(v))).collect())
        }
        other => other.clone(),
    }
}

#[test]
fn reference_policies_parse_and_equal_their_canonical_and_reordered_forms() {
    for (name, text) in reference_policies() {
        let doc = parse_policy(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!doc.statements.is_empty(), "{name}: no statements");
        let canonical = canonical_json(&text).unwrap();
        assert!(
            equivalent(&text, &canonical),
            "{name}: not equivalent to its canonical JSON"
        );
        assert_eq!(
            canonical_json(&canonical).unwrap(),
            canonical,
            "{name}: canonical JSON is not a fixed point"
        );

        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        let reordered = serde_json::to_string(&reorder(&json)).unwrap();
        assert!(
            equivalent(&text, &reordered),
            "{name}: not equivalent to its reordered form:\n{reordered}"
        );
        assert!(
            diff_policies(&text, &reordered).is_empty(),
            "{name}: diff against reordered form is not empty"
        );

        let lowercased = serde_json::to_string(&lowercase_actions(&json)).unwrap();
        assert!(
            equivalent(&text, &lowercased),
            "{name}: action case must not matter"
        );
        assert_eq!(
            json_line_diff(&text, &lowercased),
            "",
            "{name}: case-only action changes must not show in line diffs"
        );
        assert!(
            !equivalent(&text, &text.replacen("\"Allow\"", "\"Deny\"", 1)),
            "{name}: effect change not seen"
        );

        let problems = check_structure(&doc, PolicyKind::Identity);
        assert!(problems.is_empty(), "{name}: {problems:?}");
    }
}

#[test]
fn workspaces_variant_differs_by_exactly_three_iam_actions() {
    let dir = reference_dir();
    let read = |f: &str| {
        std::fs::read_to_string(dir.join(f))
            .unwrap_or_else(|e| panic!("{}: {e}", dir.join(f).display()))
    };
    let full = read("ai-unlimited-workspaces.json");
    let reduced = read("ai-unlimited-workspaces-without-iam-role-permissions.json");
    let d = diff_policies(&full, &reduced);
    assert_eq!(d.statements_changed.len(), 1, "{d:?}");
    let c = &d.statements_changed[0];
    assert_eq!(
        c.actions_removed,
        vec!["iam:CreateRole", "iam:DeleteRole", "iam:DeleteRolePolicy"]
    );
    assert!(c.actions_added.is_empty());
    assert_eq!(c.unchanged_actions, 96);
    assert_eq!(
        aiu_policy::render_policy_diff(&d, ""),
        "~ statement #1 (Allow)\n    - action  \"iam:CreateRole\"\n    - action  \"iam:DeleteRole\"\n    - action  \"iam:DeleteRolePolicy\"\n      # 96 unchanged actions hidden\n      # 1 unchanged resource hidden\n"
    );
}
