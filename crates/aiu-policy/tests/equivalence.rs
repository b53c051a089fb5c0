//! Specification of policy equivalence: one test per rule of iam-facts §4 (pairs that must be
//! equal) and per difference that must never be hidden (pairs that must differ).

use aiu_policy::{canonical_json, equivalent};

fn same(a: &str, b: &str) {
    assert!(equivalent(a, b), "expected equivalent:\n{a}\n---\n{b}");
    assert!(
        equivalent(b, a),
        "equivalence must be symmetric:\n{b}\n---\n{a}"
    );
    assert_eq!(
        canonical_json(a).unwrap().to_lowercase(),
        canonical_json(b).unwrap().to_lowercase()
    );
}

fn different(a: &str, b: &str) {
    assert!(!equivalent(a, b), "expected different:\n{a}\n---\n{b}");
    assert!(
        !equivalent(b, a),
        "difference must be symmetric:\n{b}\n---\n{a}"
    );
}

const BASE: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#;

// ----- equivalent ------------------------------------------------------------------------------

#[test]
fn whitespace_and_key_order_do_not_matter() {
    same(
        BASE,
        "{\n  \"Statement\" : [ {\n\t\"Resource\": \"arn:aws:s3:::b/*\",\n  \"Action\": \"s3:GetObject\", \"Effect\": \"Allow\" } ],\n  \"Version\": \"2012-10-17\"\n}\n",
    );
}

#[test]
fn statement_object_equals_one_element_array() {
    same(
        BASE,
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}"#,
    );
}

#[test]
fn action_string_equals_one_element_list() {
    same(
        BASE,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":"arn:aws:s3:::b/*"}]}"#,
    );
}

#[test]
fn not_action_string_equals_one_element_list() {
    same(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotAction":"iam:*","Resource":"*"}]}"#,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotAction":["iam:*"],"Resource":"*"}]}"#,
    );
}

#[test]
fn resource_string_equals_one_element_list() {
    same(
        BASE,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":["arn:aws:s3:::b/*"]}]}"#,
    );
}

#[test]
fn not_resource_string_equals_one_element_list() {
    same(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","NotResource":"arn:aws:s3:::b"}]}"#,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","NotResource":["arn:aws:s3:::b"]}]}"#,
    );
}

#[test]
fn principal_value_string_equals_one_element_list() {
    same(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com"]},"Action":["sts:AssumeRole"]}]}"#,
    );
}

#[test]
fn condition_value_string_equals_one_element_list() {
    same(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalAccount":"111111111111"}}}]}"#,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalAccount":["111111111111"]}}}]}"#,
    );
}

#[test]
fn order_and_duplicates_inside_sets_do_not_matter() {
    same(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::1:role/a","arn:aws:iam::1:role/b"]},"Action":["s3:GetObject","s3:PutObject"],"Resource":["arn:aws:s3:::a","arn:aws:s3:::b"],"Condition":{"StringEquals":{"aws:SourceVpc":["vpc-1","vpc-2"]}}}]}"#,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::1:role/b","arn:aws:iam::1:role/a","arn:aws:iam::1:role/b"]},"Action":["s3:PutObject","s3:GetObject","s3:PutObject"],"Resource":["arn:aws:s3:::b","arn:aws:s3:::a","arn:aws:s3:::a"],"Condition":{"StringEquals":{"aws:SourceVpc":["vpc-2","vpc-1","vpc-2"]}}}]}"#,
    );
}

#[test]
fn statement_order_does_not_matter() {
    same(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"},{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}]}"#,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"},{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#,
    );
}

#[test]
fn duplicate_identical_statements_do_not_matter() {
    same(
        BASE,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},{"Effect":"Allow","Action":["s3:GetObject"],"Resource":"arn:aws:s3:::b/*"}]}"#,
    );
}

#[test]
fn action_name_case_does_not_matter() {
    same(
        BASE,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:getobject","Resource":"arn:aws:s3:::b/*"}]}"#,
    );
    same(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotAction":"IAM:*","Resource":"*"}]}"#,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotAction":"iam:*","Resource":"*"}]}"#,
    );
}

#[test]
fn effect_case_does_not_matter() {
    same(
        BASE,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#,
    );
}

#[test]
fn condition_booleans_and_numbers_equal_their_string_forms() {
    same(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":false},"NumericLessThan":{"s3:TlsVersion":1.2},"NumericGreaterThan":{"aws:MultiFactorAuthAge":3600}}}]}"#,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"},"NumericLessThan":{"s3:TlsVersion":["1.2"]},"NumericGreaterThan":{"aws:MultiFactorAuthAge":"3600"}}}]}"#,
    );
}

#[test]
fn aws_account_id_equals_account_root_arn() {
    same(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole"}]}"#,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}"#,
    );
}

#[test]
fn absent_sid_equals_empty_sid() {
    same(
        BASE,
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#,
    );
}

#[test]
fn url_encoded_document_equals_its_decoded_form() {
    // What GetRolePolicy returns for BASE (RFC 3986 percent-encoding).
    let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3AGetObject%22%2C%22Resource%22%3A%22arn%3Aaws%3As3%3A%3A%3Ab%2F%2A%22%7D%5D%7D";
    same(BASE, encoded);
}

#[test]
fn empty_condition_object_equals_no_condition() {
    same(
        BASE,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{}}]}"#,
    );
}

#[test]
fn all_rules_at_once() {
    same(
        r#"{"Version":"2012-10-17","Statement":[
            {"Sid":"","Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":true}}},
            {"Effect":"Deny","Action":["s3:DeleteBucket","S3:DELETEBUCKET"],"Resource":"*"}]}"#,
        r#"{"Statement":[{"Resource":["*"],"Action":"s3:DeleteBucket","Effect":"deny"},
            {"Condition":{"Bool":{"aws:MultiFactorAuthPresent":["true"]}},"Action":["sts:assumerole"],"Principal":{"AWS":["arn:aws:iam::111111111111:root"]},"Effect":"Allow"}],
            "Version":"2012-10-17"}"#,
    );
}

// ----- different -------------------------------------------------------------------------------

#[test]
fn resource_arn_case_matters() {
    different(
        BASE,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::B/*"}]}"#,
    );
}

#[test]
fn principal_arn_case_matters() {
    different(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::1:role/Admin"},"Action":"sts:AssumeRole"}]}"#,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::1:role/admin"},"Action":"sts:AssumeRole"}]}"#,
    );
}

#[test]
fn condition_values_matter() {
    different(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpc":"vpc-1"}}}]}"#,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpc":"vpc-2"}}}]}"#,
    );
    // Condition value case matters too (StringEquals is case-sensitive).
    different(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpc":"vpc-a"}}}]}"#,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpc":"VPC-A"}}}]}"#,
    );
}

#[test]
fn condition_operator_matters() {
    different(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpc":"vpc-1"}}}]}"#,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringNotEquals":{"aws:SourceVpc":"vpc-1"}}}]}"#,
    );
}

#[test]
fn deny_is_not_allow() {
    different(BASE, &BASE.replace("Allow", "Deny"));
}

#[test]
fn not_action_is_not_action() {
    different(BASE, &BASE.replace("\"Action\"", "\"NotAction\""));
}

#[test]
fn not_resource_is_not_resource() {
    different(BASE, &BASE.replace("\"Resource\"", "\"NotResource\""));
}

#[test]
fn different_principals_differ() {
    different(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
    );
    different(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole"}]}"#,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"210987654321"},"Action":"sts:AssumeRole"}]}"#,
    );
}

#[test]
fn wildcard_principal_is_not_aws_wildcard() {
    different(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}"#,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:GetObject","Resource":"*"}]}"#,
    );
}

#[test]
fn absent_version_is_not_2012_10_17() {
    // Without a Version, ${aws:username} is literal text: a different policy.
    different(
        BASE,
        r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#,
    );
}

#[test]
fn different_sids_differ() {
    different(
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#,
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"B","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#,
    );
}

#[test]
fn extra_action_differs() {
    different(
        BASE,
        &BASE.replace("\"s3:GetObject\"", "[\"s3:GetObject\",\"s3:PutObject\"]"),
    );
}

#[test]
fn unparsable_texts_compare_trimmed() {
    assert!(equivalent("  not json ", "not json"));
    assert!(!equivalent("not json", BASE));
}

// ----- canonical JSON --------------------------------------------------------------------------

#[test]
fn canonical_json_is_sorted_pretty_and_always_uses_arrays() {
    let text = r#"{"Version":"2012-10-17","Statement":{"Sid":"","Effect":"allow","Resource":"*","Action":["s3:PutObject","s3:getObject","s3:GetObject"],"Principal":{"AWS":"123456789012"},"Condition":{"Bool":{"aws:SecureTransport":true}}}}"#;
    let expected = r#"{
  "Statement": [
    {
      "Action": [
        "s3:GetObject",
        "s3:PutObject"
      ],
      "Condition": {
        "Bool": {
          "aws:SecureTransport": [
            "true"
          ]
        }
      },
      "Effect": "Allow",
      "Principal": {
        "AWS": [
          "arn:aws:iam::123456789012:root"
        ]
      },
      "Resource": [
        "*"
      ]
    }
  ],
  "Version": "2012-10-17"
}"#;
    assert_eq!(canonical_json(text).unwrap(), expected);
}

#[test]
fn canonical_json_sorts_statements() {
    let a = canonical_json(
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"B","Effect":"Allow","Action":"a:b","Resource":"*"},{"Sid":"A","Effect":"Allow","Action":"a:b","Resource":"*"}]}"#,
    )
    .unwrap();
    assert!(
        a.find("\"Sid\": \"A\"").unwrap() < a.find("\"Sid\": \"B\"").unwrap(),
        "{a}"
    );
}

#[test]
fn unknown_keys_are_kept_and_significant() {
    let a = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"a:b","Resource":"*","Extra":1}]}"#;
    let b = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"a:b","Resource":"*","Extra":2}]}"#;
    different(a, b);
    assert!(canonical_json(a).unwrap().contains("\"Extra\": 1"));
}
