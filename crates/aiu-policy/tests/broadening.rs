//! Broadening classification of policy changes: each case names the change and the expected
//! class (see `aiu_policy::broadening` for the rules).

use aiu_policy::{diff_policies, AccessChange};

use AccessChange::{Broadening, Narrowing, Neutral};

fn doc(statements: &str) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#)
}

#[track_caller]
fn check(name: &str, before: &str, after: &str, expected: AccessChange) {
    let d = diff_policies(&doc(before), &doc(after));
    assert_eq!(
        d.access, expected,
        "{name}: expected {expected}, got {} (broadening: {:?}, narrowing: {:?})",
        d.access, d.broadening, d.narrowing
    );
}

const S3_READ: &str = r#"{"Sid":"S3","Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":"arn:aws:s3:::b/*"}"#;

#[test]
fn actions() {
    let add = r#"{"Sid":"S3","Effect":"Allow","Action":["s3:GetObject","s3:ListBucket","s3:PutObject"],"Resource":"arn:aws:s3:::b/*"}"#;
    check("new action", S3_READ, add, Broadening);
    check("removed action", add, S3_READ, Narrowing);
    let wild = r#"{"Sid":"S3","Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/*"}"#;
    check("actions -> service wildcard", S3_READ, wild, Broadening);
    check("service wildcard -> actions", wild, S3_READ, Narrowing);
    let get_star = r#"{"Sid":"S3","Effect":"Allow","Action":["s3:Get*","s3:ListBucket"],"Resource":"arn:aws:s3:::b/*"}"#;
    check("action -> prefix wildcard", S3_READ, get_star, Broadening);
    check(
        "prefix wildcard -> covered action",
        get_star,
        S3_READ,
        Narrowing,
    );
    let star = r#"{"Sid":"S3","Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/*"}"#;
    check("full wildcard", S3_READ, star, Broadening);
    let swap = r#"{"Sid":"S3","Effect":"Allow","Action":["s3:GetObject","s3:DeleteObject"],"Resource":"arn:aws:s3:::b/*"}"#;
    check(
        "one action swapped for another (both directions)",
        S3_READ,
        swap,
        Broadening,
    );
    let recased = r#"{"Sid":"S3","Effect":"allow","Action":["S3:GETOBJECT","s3:listbucket"],"Resource":"arn:aws:s3:::b/*"}"#;
    check("re-cased actions are no change", S3_READ, recased, Neutral);
}

#[test]
fn a_statement_replaced_by_one_it_covers_is_a_narrowing() {
    // Actions and resources change at once, so the statement diff shows a removed and an
    // added statement; the added one grants a subset of the removed one.
    let wide = r#"{"Effect":"Allow","Action":"logs:*","Resource":"*"}"#;
    let narrow = r#"{"Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"arn:aws:logs:us-east-1:123456789012:log-group:app:*"}"#;
    check("wide -> narrow", wide, narrow, Narrowing);
    check("narrow -> wide", narrow, wide, Broadening);
    // Not covered in one part (another service): still a new grant.
    let other = r#"{"Effect":"Allow","Action":["s3:GetObject","logs:PutLogEvents"],"Resource":"arn:aws:logs:us-east-1:123456789012:log-group:app:*"}"#;
    check("replaced by one reaching further", wide, other, Broadening);
    // A Deny replaced by a narrower Deny takes a denial away.
    let deny_wide = r#"{"Effect":"Deny","Action":"s3:*","Resource":"*"}"#;
    let deny_narrow = r#"{"Effect":"Deny","Action":"s3:DeleteBucket","Resource":"arn:aws:s3:::b"}"#;
    check("deny narrowed", deny_wide, deny_narrow, Broadening);
}

#[test]
fn resources() {
    let more = r#"{"Sid":"S3","Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::b/*","arn:aws:s3:::c/*"]}"#;
    check("new resource", S3_READ, more, Broadening);
    check("removed resource", more, S3_READ, Narrowing);
    let any =
        r#"{"Sid":"S3","Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":"*"}"#;
    check("resource -> *", S3_READ, any, Broadening);
    check("* -> resource", any, S3_READ, Narrowing);
    let sub = r#"{"Sid":"S3","Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":"arn:aws:s3:::b/logs/*"}"#;
    check("narrower prefix", S3_READ, sub, Narrowing);
    check("wider prefix", sub, S3_READ, Broadening);
    let case = r#"{"Sid":"S3","Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":"arn:aws:s3:::B/*"}"#;
    check(
        "ARN case is a different resource",
        S3_READ,
        case,
        Broadening,
    );
}

#[test]
fn statements_and_effects() {
    let deny = r#"{"Sid":"NoDelete","Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}"#;
    check(
        "new Allow statement",
        S3_READ,
        &format!(
            "{S3_READ},{{\"Effect\":\"Allow\",\"Action\":\"sqs:SendMessage\",\"Resource\":\"*\"}}"
        ),
        Broadening,
    );
    check(
        "removed Allow statement",
        &format!(
            "{S3_READ},{{\"Effect\":\"Allow\",\"Action\":\"sqs:SendMessage\",\"Resource\":\"*\"}}"
        ),
        S3_READ,
        Narrowing,
    );
    check(
        "new Deny statement",
        S3_READ,
        &format!("{S3_READ},{deny}"),
        Narrowing,
    );
    check(
        "removed Deny statement",
        &format!("{S3_READ},{deny}"),
        S3_READ,
        Broadening,
    );
    let allow = deny.replace("Deny\"", "Allow\"");
    check(
        "Deny -> Allow",
        &format!("{S3_READ},{deny}"),
        &format!("{S3_READ},{allow}"),
        Broadening,
    );
    check(
        "Allow -> Deny",
        &format!("{S3_READ},{allow}"),
        &format!("{S3_READ},{deny}"),
        Narrowing,
    );
    let more_deny = r#"{"Sid":"NoDelete","Effect":"Deny","Action":["s3:DeleteObject","s3:PutObject"],"Resource":"*"}"#;
    check(
        "Deny gains an action",
        &format!("{S3_READ},{deny}"),
        &format!("{S3_READ},{more_deny}"),
        Narrowing,
    );
    check(
        "Deny loses an action",
        &format!("{S3_READ},{more_deny}"),
        &format!("{S3_READ},{deny}"),
        Broadening,
    );
    let sid_only = S3_READ.replace("\"S3\"", "\"S3Read\"");
    check("Sid rename only", S3_READ, &sid_only, Neutral);
    let renamed_and_more =
        sid_only.replace("\"s3:ListBucket\"", "\"s3:ListBucket\",\"s3:PutObject\"");
    check(
        "Sid rename plus an action",
        S3_READ,
        &renamed_and_more,
        Broadening,
    );
    let reordered = format!("{deny},{S3_READ}");
    check(
        "reordered statements",
        &format!("{S3_READ},{deny}"),
        &reordered,
        Neutral,
    );
}

#[test]
fn not_elements() {
    let na = r#"{"Sid":"X","Effect":"Allow","NotAction":["iam:*"],"Resource":"*"}"#;
    let na2 = r#"{"Sid":"X","Effect":"Allow","NotAction":["iam:*","sts:*"],"Resource":"*"}"#;
    check("Allow NotAction gains an exclusion", na, na2, Narrowing);
    check("Allow NotAction loses an exclusion", na2, na, Broadening);
    let a = r#"{"Sid":"X","Effect":"Allow","Action":["iam:*"],"Resource":"*"}"#;
    check("Action -> NotAction in an Allow", a, na, Broadening);
    let dna = r#"{"Sid":"X","Effect":"Deny","NotAction":["iam:*"],"Resource":"*"}"#;
    let dna2 = r#"{"Sid":"X","Effect":"Deny","NotAction":["iam:*","sts:*"],"Resource":"*"}"#;
    check("Deny NotAction gains an exclusion", dna, dna2, Broadening);
    let nr =
        r#"{"Sid":"X","Effect":"Allow","Action":"s3:*","NotResource":["arn:aws:s3:::secret/*"]}"#;
    let nr_gone = r#"{"Sid":"X","Effect":"Allow","Action":"s3:*","NotResource":["arn:aws:s3:::secret/*","arn:aws:s3:::other/*"]}"#;
    check(
        "Allow NotResource gains an exclusion",
        nr,
        nr_gone,
        Narrowing,
    );
    check(
        "Allow NotResource loses an exclusion",
        nr_gone,
        nr,
        Broadening,
    );
}

#[test]
fn trust_policy_principals() {
    let ec2 = r#"{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}"#;
    let both = r#"{"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com","lambda.amazonaws.com"]},"Action":"sts:AssumeRole"}"#;
    check("new service principal", ec2, both, Broadening);
    check("removed service principal", both, ec2, Narrowing);
    let role = r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:role/ci"},"Action":"sts:AssumeRole"}"#;
    let root = r#"{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"sts:AssumeRole"}"#;
    check("role -> account root", role, root, Broadening);
    check(
        "account root -> role of that account",
        root,
        role,
        Narrowing,
    );
    let other = r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:role/ci"},"Action":"sts:AssumeRole"}"#;
    check("role of another account", role, other, Broadening);
    let anyone = r#"{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}"#;
    check("principal -> *", ec2, anyone, Broadening);
    check("* -> principal", anyone, ec2, Narrowing);
}

#[test]
fn conditions() {
    let base = r#"{"Sid":"S3","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}"#;
    let vpc1 = r#"{"Sid":"S3","Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpc":"vpc-1"}}}"#;
    let vpc12 = r#"{"Sid":"S3","Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpc":["vpc-1","vpc-2"]}}}"#;
    let vpc2 = r#"{"Sid":"S3","Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpc":"vpc-2"}}}"#;
    check("condition removed", vpc1, base, Broadening);
    check("condition added", base, vpc1, Narrowing);
    check("condition value added", vpc1, vpc12, Broadening);
    check("condition value removed", vpc12, vpc1, Narrowing);
    check("condition value changed", vpc1, vpc2, Broadening);
    let not1 = vpc1.replace("StringEquals", "StringNotEquals");
    let not12 = vpc12.replace("StringEquals", "StringNotEquals");
    check("negated condition gains a value", &not1, &not12, Narrowing);
    check("negated condition loses a value", &not12, &not1, Broadening);
    let deny = r#"{"Sid":"TLS","Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}"#;
    let deny_all = r#"{"Sid":"TLS","Effect":"Deny","Action":"s3:*","Resource":"*"}"#;
    check(
        "Deny loses its condition (denies more)",
        deny,
        deny_all,
        Narrowing,
    );
    check(
        "Deny gains a condition (denies less)",
        deny_all,
        deny,
        Broadening,
    );
    let mfa = r#"{"Sid":"S3","Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"}}}"#;
    let mfa2 = mfa.replace("3600", "86400");
    check(
        "numeric bound moved (direction unknown)",
        mfa,
        &mfa2,
        Broadening,
    );
}

#[test]
fn mixed_and_metadata_changes() {
    let mixed = r#"{"Sid":"S3","Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::b/*","arn:aws:s3:::c/*"]}"#;
    check(
        "one action removed, one resource added",
        S3_READ,
        mixed,
        Broadening,
    );
    let a = r#"{"Version":"2012-10-17","Id":"one","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
    let b = r#"{"Version":"2012-10-17","Id":"two","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
    let d = diff_policies(a, b);
    assert!(!d.is_empty());
    assert_eq!(d.access, Neutral, "{d:?}");
    assert_eq!(diff_policies(a, a).access, Neutral);
}

#[test]
fn reasons_name_the_change() {
    let add = r#"{"Sid":"S3","Effect":"Allow","Action":["s3:GetObject","s3:ListBucket","s3:PutObject"],"Resource":"arn:aws:s3:::b/*"}"#;
    let d = diff_policies(&doc(S3_READ), &doc(add));
    assert_eq!(
        d.broadening,
        vec![r#"statement "S3": adds action "s3:PutObject""#.to_string()]
    );
    assert!(d.narrowing.is_empty());
    let json = serde_json::to_value(&d).unwrap();
    assert_eq!(json["access"], "broadening");
    assert_eq!(
        json["broadening"][0],
        r#"statement "S3": adds action "s3:PutObject""#
    );
}

#[test]
fn a_new_document_broadens_and_a_deleted_one_narrows() {
    assert_eq!(diff_policies("", &doc(S3_READ)).access, Broadening);
    assert_eq!(diff_policies(&doc(S3_READ), "").access, Narrowing);
}
