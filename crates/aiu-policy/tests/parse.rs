//! Parsing: the typed model, URL-decoding, unknown keys, and errors located by JSON path.

use aiu_policy::{parse_policy, ConditionValue, Effect, OneOrMany, PolicyError, Principal};

fn err(text: &str) -> PolicyError {
    parse_policy(text).expect_err("expected a parse error")
}

#[test]
fn parses_every_element_of_the_grammar() {
    let doc = parse_policy(
        r#"{"Version":"2012-10-17","Id":"p1","Statement":[
            {"Sid":"One","Effect":"Allow","Principal":{"AWS":["111111111111","arn:aws:iam::2:role/r"],"Service":"ec2.amazonaws.com"},
             "Action":"sts:AssumeRole","Condition":{"Bool":{"aws:SecureTransport":true},"NumericLessThan":{"k":[1,2]}}},
            {"Effect":"Deny","NotPrincipal":"*","NotAction":["iam:*"],"NotResource":"arn:aws:s3:::b"}]}"#,
    )
    .unwrap();
    assert_eq!(doc.version.as_deref(), Some("2012-10-17"));
    assert_eq!(doc.id.as_deref(), Some("p1"));
    assert!(!doc.statement_is_object);
    let s0 = &doc.statements[0];
    assert_eq!(s0.sid.as_deref(), Some("One"));
    assert_eq!(s0.effect, Effect::Allow);
    assert_eq!(s0.action, Some(OneOrMany::One("sts:AssumeRole".into())));
    let Some(Principal::Map(p)) = &s0.principal else {
        panic!("principal map expected")
    };
    assert_eq!(p["AWS"].len(), 2);
    assert!(p["Service"].is_scalar());
    let cond = s0.condition.as_ref().unwrap();
    assert_eq!(
        cond["Bool"]["aws:SecureTransport"],
        OneOrMany::One(ConditionValue::Bool(true))
    );
    assert_eq!(cond["NumericLessThan"]["k"].len(), 2);
    let s1 = &doc.statements[1];
    assert_eq!(s1.effect, Effect::Deny);
    assert_eq!(s1.not_principal, Some(Principal::Wildcard));
    assert_eq!(s1.not_action, Some(OneOrMany::Many(vec!["iam:*".into()])));
    assert_eq!(
        s1.not_resource,
        Some(OneOrMany::One("arn:aws:s3:::b".into()))
    );
}

#[test]
fn statement_object_is_remembered() {
    let doc = parse_policy(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"a:b","Resource":"*"}}"#,
    )
    .unwrap();
    assert!(doc.statement_is_object);
    assert_eq!(doc.statements.len(), 1);
    assert!(doc.to_json()["Statement"].is_object());
}

#[test]
fn url_encoded_text_is_decoded_first() {
    let doc =
        parse_policy("%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D").unwrap();
    assert_eq!(doc.version.as_deref(), Some("2012-10-17"));
    // A plus sign is not a space in RFC 3986.
    let doc = parse_policy("%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Resource%22%3A%22a+b%22%7D%5D%7D").unwrap();
    assert_eq!(
        doc.statements[0].resource,
        Some(OneOrMany::One("a+b".into()))
    );
}

#[test]
fn raw_json_is_not_decoded() {
    // A literal %2F inside raw JSON must stay as written.
    let doc = parse_policy(r#"  {"Statement":[{"Effect":"Allow","Resource":"a%2Fb"}]}"#).unwrap();
    assert_eq!(
        doc.statements[0].resource,
        Some(OneOrMany::One("a%2Fb".into()))
    );
}

#[test]
fn unknown_keys_are_kept() {
    let doc = parse_policy(
        r#"{"Version":"2012-10-17","Comment":"x","Statement":[{"Effect":"Allow","Note":{"a":1}}]}"#,
    )
    .unwrap();
    assert_eq!(doc.extra["Comment"], serde_json::json!("x"));
    assert_eq!(doc.statements[0].extra["Note"], serde_json::json!({"a": 1}));
    let round = doc.to_json();
    assert_eq!(round["Comment"], serde_json::json!("x"));
    assert_eq!(round["Statement"][0]["Note"], serde_json::json!({"a": 1}));
}

#[test]
fn misspelled_effect_is_reported_with_its_path() {
    let e = err(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow"},{"Effect":"Alow"}]}"#);
    assert_eq!(e.path, "Statement[1].Effect");
    assert_eq!(
        e.to_string(),
        r#"Statement[1].Effect: expected "Allow" or "Deny", got "Alow""#
    );
}

#[test]
fn missing_effect_is_reported_on_the_statement() {
    let e = err(r#"{"Statement":[{"Action":"a:b"}]}"#);
    assert_eq!(
        e.to_string(),
        r#"Statement[0]: missing required key "Effect""#
    );
}

#[test]
fn statement_object_paths_have_no_index() {
    let e = err(r#"{"Statement":{"Effect":"Allow","Action":5}}"#);
    assert_eq!(
        e.to_string(),
        "Statement.Action: expected a string or an array of strings, got a number"
    );
}

#[test]
fn list_elements_are_located_by_index() {
    let e = err(r#"{"Statement":[{"Effect":"Allow","Action":["a:b",null]}]}"#);
    assert_eq!(
        e.to_string(),
        "Statement[0].Action[1]: expected a string, got null"
    );
}

#[test]
fn principal_errors_name_the_principal_type() {
    let e = err(r#"{"Statement":[{"Effect":"Allow","Principal":{"Aws":"1"}}]}"#);
    assert_eq!(e.path, "Statement[0].Principal.Aws");
    assert!(e.message.contains("unknown principal type \"Aws\""), "{e}");
    let e = err(r#"{"Statement":[{"Effect":"Allow","Principal":"ec2.amazonaws.com"}]}"#);
    assert_eq!(e.path, "Statement[0].Principal");
}

#[test]
fn condition_errors_name_operator_and_key() {
    let e = err(
        r#"{"Statement":[{"Effect":"Allow","Condition":{"StringEquals":{"aws:SourceVpc":[{"x":1}]}}}]}"#,
    );
    assert_eq!(
        e.to_string(),
        "Statement[0].Condition.StringEquals.aws:SourceVpc[0]: expected a string, boolean or number, got an object"
    );
    let e = err(r#"{"Statement":[{"Effect":"Allow","Condition":{"StringEquals":"x"}}]}"#);
    assert_eq!(e.path, "Statement[0].Condition.StringEquals");
}

#[test]
fn document_level_errors() {
    assert_eq!(
        err("[]").to_string(),
        "expected a JSON object, got an array"
    );
    assert_eq!(
        err(r#"{"Version":"2012-10-17"}"#).to_string(),
        "missing required key \"Statement\""
    );
    assert_eq!(
        err(r#"{"Version":2012,"Statement":[]}"#).to_string(),
        "Version: expected a string, got a number"
    );
    assert_eq!(err(r#"{"Statement":"x"}"#).path, "Statement");
    assert_eq!(err("   ").to_string(), "empty policy document");
    let e = err(r#"{"Statement": [ }"#);
    assert_eq!(e.path, "");
    assert!(e.message.starts_with("invalid JSON:"), "{e}");
}

#[test]
fn sid_must_be_a_string() {
    assert_eq!(
        err(r#"{"Statement":[{"Sid":1,"Effect":"Allow"}]}"#).path,
        "Statement[0].Sid"
    );
}
