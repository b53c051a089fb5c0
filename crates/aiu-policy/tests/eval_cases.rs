//! The data-driven evaluation suite (`tests/data/eval-cases.json`) and the AI Unlimited
//! questions of issue 9, against the reference policies in `../shared/reference/ai-unlimited`.
//!
//! Each case gives the document(s), the request, its context, the expected decision and `why`:
//! the AWS documentation rule that justifies the expectation.

use std::collections::BTreeMap;
use std::path::PathBuf;

use aiu_policy::eval::{evaluate, evaluate_trust, Caller, Outcome, PolicySet, Request};
use aiu_policy::{parse_policy, PolicyDocument};
use serde_json::Value as Json;

fn to_doc(json: &Json) -> PolicyDocument {
    PolicyDocument::from_json(json).unwrap_or_else(|e| panic!("bad document {json}: {e}"))
}

fn context(json: Option<&Json>) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    if let Some(Json::Object(map)) = json {
        for (k, v) in map {
            let vals = match v {
                Json::Array(items) => items
                    .iter()
                    .map(|i| i.as_str().expect("context values are strings").to_owned())
                    .collect(),
                Json::String(s) => vec![s.clone()],
                other => panic!("context value {other} for {k}"),
            };
            out.insert(k.clone(), vals);
        }
    }
    out
}

fn outcome(name: &str) -> Outcome {
    match name {
        "allow" => Outcome::Allowed,
        "implicit_deny" => Outcome::ImplicitDeny,
        "explicit_deny" => Outcome::ExplicitDeny,
        other => panic!("unknown expectation {other}"),
    }
}

#[test]
fn eval_cases() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/eval-cases.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let data: Json = serde_json::from_str(&text).unwrap();
    let cases = data["cases"].as_array().unwrap();
    assert!(cases.len() >= 150, "only {} cases", cases.len());
    let mut failures = Vec::new();
    let mut names = std::collections::BTreeSet::new();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        assert!(names.insert(name.to_owned()), "duplicate case name {name}");
        let why = case["why"].as_str().unwrap_or_default();
        assert!(
            why.contains("AWS"),
            "case {name}: `why` must cite the AWS documentation"
        );
        let req = &case["request"];
        let ctx = context(req.get("context"));
        let expected = outcome(case["expect"].as_str().unwrap());
        let decision = if let Some(trust) = case.get("trust") {
            let caller = Caller::parse(case["caller"].as_str().unwrap());
            evaluate_trust(
                &to_doc(trust),
                &caller,
                req["action"].as_str().unwrap(),
                &ctx,
            )
        } else {
            let identity = case["identity"]
                .as_array()
                .unwrap()
                .iter()
                .enumerate()
                .map(|(i, d)| (format!("policy{i}"), to_doc(d)))
                .collect();
            let boundary = case
                .get("boundary")
                .map(|b| ("boundary".to_owned(), to_doc(b)));
            let set = PolicySet { identity, boundary };
            let request = Request {
                principal_arn: req["principal"].as_str().unwrap().to_owned(),
                action: req["action"].as_str().unwrap().to_owned(),
                resource: req["resource"].as_str().unwrap().to_owned(),
                context: ctx,
            };
            evaluate(&set, &request)
        };
        // Every statement is explained.
        assert!(
            decision.explanation.iter().all(|t| !t.reason.is_empty()),
            "case {name}: empty reason"
        );
        if decision.outcome != expected {
            failures.push(format!(
                "{name}: expected {expected}, got {}\n  why: {why}\n{}",
                decision.outcome,
                decision.render()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

// ------------------------------------------------------------------ AI Unlimited (issue 9)

fn reference_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference/ai-unlimited")
}

fn reference(name: &str) -> String {
    let path = reference_dir().join(name);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reference policy {} is required: {e}", path.display()))
}

const ENGINE_ROLE: &str = "arn:aws:iam::111111111111:role/ai-unlimited-engine";
const MANAGER_ROLE: &str = "arn:aws:iam::111111111111:role/ai-unlimited-manager";
const SECRET: &str =
    "arn:aws:secretsmanager:us-west-2:111111111111:secret:compute-engine/c1/db-AbCdEf";

fn engine_policy() -> PolicyDocument {
    let text = reference("ai-unlimited-engine.json")
        .replace("<REGION>", "us-west-2")
        .replace("<ACCOUNT_ID>", "111111111111");
    parse_policy(&text).unwrap()
}

fn single(label: &str, doc: PolicyDocument) -> PolicySet {
    PolicySet {
        identity: vec![(label.to_owned(), doc)],
        boundary: None,
    }
}

#[test]
fn ai_unlimited_engine_reads_its_secrets() {
    let set = single("ai-unlimited-engine.json", engine_policy());
    let d = evaluate(
        &set,
        &Request::new(ENGINE_ROLE, "secretsmanager:GetSecretValue", SECRET),
    );
    assert_eq!(d.outcome, Outcome::Allowed, "{}", d.render());
    assert!(
        d.summary.contains("ai-unlimited-engine.json statement 0"),
        "{}",
        d.summary
    );
}

#[test]
fn ai_unlimited_engine_denied_outside_compute_engine() {
    let set = single("ai-unlimited-engine.json", engine_policy());
    for resource in [
        "arn:aws:secretsmanager:us-west-2:111111111111:secret:prod/db-AbCdEf",
        "arn:aws:secretsmanager:us-west-2:111111111111:secret:Compute-Engine/c1/db-AbCdEf",
        "arn:aws:secretsmanager:us-east-1:111111111111:secret:compute-engine/c1/db-AbCdEf",
        "arn:aws:secretsmanager:us-west-2:222222222222:secret:compute-engine/c1/db-AbCdEf",
    ] {
        let d = evaluate(
            &set,
            &Request::new(ENGINE_ROLE, "secretsmanager:GetSecretValue", resource),
        );
        assert_eq!(
            d.outcome,
            Outcome::ImplicitDeny,
            "{resource}\n{}",
            d.render()
        );
    }
    // Only GetSecretValue.
    let d = evaluate(
        &set,
        &Request::new(ENGINE_ROLE, "secretsmanager:PutSecretValue", SECRET),
    );
    assert_eq!(d.outcome, Outcome::ImplicitDeny);
}

#[test]
fn ai_unlimited_unsubstituted_placeholders_match_nothing() {
    let set = single(
        "raw",
        parse_policy(&reference("ai-unlimited-engine.json")).unwrap(),
    );
    let d = evaluate(
        &set,
        &Request::new(ENGINE_ROLE, "secretsmanager:GetSecretValue", SECRET),
    );
    assert_eq!(d.outcome, Outcome::ImplicitDeny, "{}", d.render());
}

#[test]
fn ai_unlimited_documented_exact_arn_denies_real_secret() {
    // The docs' runtime policy: ...:secret:compute-engine/CLUSTER_NAME/SECRET_NAME, filled in.
    let exact = parse_policy(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue",
            "Resource":["arn:aws:secretsmanager:us-west-2:111111111111:secret:compute-engine/c1/db"]}]}"#,
    )
    .unwrap();
    let d = evaluate(
        &single("documented exact ARN", exact),
        &Request::new(ENGINE_ROLE, "secretsmanager:GetSecretValue", SECRET),
    );
    assert_eq!(d.outcome, Outcome::ImplicitDeny, "{}", d.render());
    assert!(
        d.explanation[0].reason.contains("is not in Resource"),
        "{}",
        d.render()
    );
    // The `-??????` form matches exactly the real suffix.
    let suffixed = parse_policy(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue",
            "Resource":["arn:aws:secretsmanager:us-west-2:111111111111:secret:compute-engine/c1/db-??????"]}]}"#,
    )
    .unwrap();
    let d = evaluate(
        &single("suffixed", suffixed),
        &Request::new(ENGINE_ROLE, "secretsmanager:GetSecretValue", SECRET),
    );
    assert_eq!(d.outcome, Outcome::Allowed, "{}", d.render());
}

#[test]
fn ai_unlimited_manager_passes_any_role() {
    for file in [
        "ai-unlimited-workspaces.json",
        "ai-unlimited-workspaces-without-iam-role-permissions.json",
    ] {
        let set = single(file, parse_policy(&reference(file)).unwrap());
        for role in [
            ENGINE_ROLE,
            "arn:aws:iam::111111111111:role/Admin",
            "arn:aws:iam::111111111111:role/any/path/whatever",
        ] {
            let d = evaluate(&set, &Request::new(MANAGER_ROLE, "iam:PassRole", role));
            assert_eq!(d.outcome, Outcome::Allowed, "{file} {role}\n{}", d.render());
        }
        // PutRolePolicy on its own role: the escalation path NOTES.md §6 describes.
        let d = evaluate(
            &set,
            &Request::new(MANAGER_ROLE, "iam:PutRolePolicy", MANAGER_ROLE),
        );
        assert_eq!(d.outcome, Outcome::Allowed, "{file}\n{}", d.render());
    }
    // CreateRole only with the full policy.
    let full = single(
        "w",
        parse_policy(&reference("ai-unlimited-workspaces.json")).unwrap(),
    );
    let reduced = single(
        "w",
        parse_policy(&reference(
            "ai-unlimited-workspaces-without-iam-role-permissions.json",
        ))
        .unwrap(),
    );
    let req = Request::new(
        MANAGER_ROLE,
        "iam:CreateRole",
        "arn:aws:iam::111111111111:role/engine-x",
    );
    assert_eq!(evaluate(&full, &req).outcome, Outcome::Allowed);
    assert_eq!(evaluate(&reduced, &req).outcome, Outcome::ImplicitDeny);
}

#[test]
fn ai_unlimited_least_privilege_pass_role_only_engine() {
    let mut doc = parse_policy(&reference("ai-unlimited-workspaces.json")).unwrap();
    // Least-privilege variant: iam:PassRole split out, scoped to the engine role and EC2.
    for stmt in &mut doc.statements {
        if let Some(actions) = &mut stmt.action {
            let kept: Vec<String> = actions
                .iter()
                .filter(|a| *a != "iam:PassRole")
                .cloned()
                .collect();
            *actions = aiu_policy::OneOrMany::Many(kept);
        }
    }
    let pass = parse_policy(&format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"PassEngineRole","Effect":"Allow","Action":"iam:PassRole",
            "Resource":"{ENGINE_ROLE}","Condition":{{"StringEquals":{{"iam:PassedToService":"ec2.amazonaws.com"}}}}}}]}}"#
    ))
    .unwrap();
    let set = PolicySet {
        identity: vec![("manager".into(), doc), ("pass-engine".into(), pass)],
        boundary: None,
    };
    let req = |role: &str| {
        Request::new(MANAGER_ROLE, "iam:PassRole", role)
            .with("iam:PassedToService", "ec2.amazonaws.com")
    };
    assert_eq!(evaluate(&set, &req(ENGINE_ROLE)).outcome, Outcome::Allowed);
    let d = evaluate(&set, &req("arn:aws:iam::111111111111:role/Admin"));
    assert_eq!(d.outcome, Outcome::ImplicitDeny, "{}", d.render());
}

#[test]
fn ai_unlimited_trust_ec2() {
    let trust = parse_policy(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
    )
    .unwrap();
    let ctx = BTreeMap::new();
    assert_eq!(
        evaluate_trust(
            &trust,
            &Caller::parse("ec2.amazonaws.com"),
            "sts:AssumeRole",
            &ctx
        )
        .outcome,
        Outcome::Allowed
    );
    assert_eq!(
        evaluate_trust(&trust, &Caller::parse(MANAGER_ROLE), "sts:AssumeRole", &ctx).outcome,
        Outcome::ImplicitDeny
    );
}
