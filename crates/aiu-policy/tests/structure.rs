//! The minimal structural check per policy kind.

use aiu_policy::{check_structure, parse_policy, PolicyKind};

fn codes(text: &str, kind: PolicyKind) -> Vec<(String, &'static str)> {
    check_structure(&parse_policy(text).unwrap(), kind)
        .into_iter()
        .map(|p| (p.path, p.code))
        .collect()
}

#[test]
fn valid_trust_policy_has_no_problems() {
    let t = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    assert!(codes(t, PolicyKind::Trust).is_empty());
}

#[test]
fn trust_policy_without_principal_or_with_resource() {
    let t = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}"#;
    assert_eq!(
        codes(t, PolicyKind::Trust),
        vec![
            ("Statement[0]".to_string(), "TRUST_POLICY_WITHOUT_PRINCIPAL"),
            (
                "Statement[0].Resource".to_string(),
                "TRUST_POLICY_WITH_RESOURCE"
            ),
        ]
    );
}

#[test]
fn identity_policy_with_principal() {
    let t = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}}"#;
    assert_eq!(
        codes(t, PolicyKind::Identity),
        vec![(
            "Statement.Principal".to_string(),
            "IDENTITY_POLICY_WITH_PRINCIPAL"
        )]
    );
}

#[test]
fn resource_policy_needs_a_principal() {
    let t = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;
    assert_eq!(
        codes(t, PolicyKind::Resource),
        vec![(
            "Statement[0]".to_string(),
            "RESOURCE_POLICY_WITHOUT_PRINCIPAL"
        )]
    );
}

#[test]
fn missing_and_unknown_version() {
    let t = r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;
    assert_eq!(
        codes(t, PolicyKind::Identity),
        vec![(String::new(), "MISSING_VERSION")]
    );
    let t = r#"{"Version":"2012-10-18","Statement":[]}"#;
    assert_eq!(
        codes(t, PolicyKind::Identity),
        vec![("Version".to_string(), "UNKNOWN_VERSION")]
    );
}

#[test]
fn invalid_and_duplicate_sids() {
    let t = r#"{"Version":"2012-10-17","Statement":[
        {"Sid":"Read-Only","Effect":"Allow","Action":"s3:Get*","Resource":"*"},
        {"Sid":"A","Effect":"Allow","Action":"s3:Put*","Resource":"*"},
        {"Sid":"A","Effect":"Deny","Action":"s3:Delete*","Resource":"*"},
        {"Sid":"","Effect":"Allow","Action":"s3:List*","Resource":"*"},
        {"Sid":"","Effect":"Allow","Action":"s3:Head*","Resource":"*"}]}"#;
    let problems = check_structure(&parse_policy(t).unwrap(), PolicyKind::Identity);
    let got: Vec<_> = problems.iter().map(|p| (p.path.as_str(), p.code)).collect();
    assert_eq!(
        got,
        vec![
            ("Statement[0].Sid", "INVALID_SID"),
            ("Statement[2].Sid", "DUPLICATE_SID")
        ]
    );
    assert_eq!(
        problems[1].message,
        "Sid \"A\" is already used by Statement[1]"
    );
}
