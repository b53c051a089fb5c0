//! Validator tests: the AI Unlimited reference policies (no ERROR; the workspaces policies give
//! PassRole-on-star and privilege escalation as one role's policies) and one test per check.

use std::path::PathBuf;

use aiu_policy::validate::{
    policy_size, validate_policy, validate_role, Finding, RolePolicy, Severity, ValidateOptions,
    CODES,
};
use aiu_policy::{parse_policy, PolicyKind};

fn reference(name: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/reference/ai-unlimited")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()))
}

fn codes(f: &[Finding]) -> Vec<&'static str> {
    f.iter().map(|f| f.code).collect()
}

fn identity(text: &str) -> Vec<Finding> {
    validate_policy(text, PolicyKind::Identity, &ValidateOptions::default())
}

fn has(f: &[Finding], code: &str) -> bool {
    f.iter().any(|x| x.code == code)
}

const TRUST_EC2: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

#[test]
fn ai_unlimited_reference_policies_have_no_errors() {
    for name in [
        "ai-unlimited-engine.json",
        "ai-unlimited-workspaces.json",
        "ai-unlimited-workspaces-without-iam-role-permissions.json",
        "session-manager.json",
    ] {
        let f = identity(&reference(name));
        let errors: Vec<String> = f
            .iter()
            .filter(|x| x.severity == Severity::Error)
            .map(|x| x.to_string())
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:#?}");
    }
}

#[test]
fn ai_unlimited_workspaces_as_one_role() {
    for name in [
        "ai-unlimited-workspaces.json",
        "ai-unlimited-workspaces-without-iam-role-permissions.json",
    ] {
        let text = reference(name);
        let session = reference("session-manager.json");
        let policies = [
            RolePolicy::inline("workspaces", &text),
            RolePolicy::inline("session-manager", &session),
        ];
        let f = validate_role(
            "ai-unlimited-manager",
            TRUST_EC2,
            &policies,
            &ValidateOptions::default(),
        );
        assert!(
            !f.iter().any(|x| x.severity == Severity::Error),
            "{name}: {f:#?}"
        );
        let pass = f
            .iter()
            .find(|x| x.code == "PASS_ROLE_WITH_STAR_IN_RESOURCE")
            .unwrap_or_else(|| panic!("{name}: {f:#?}"));
        assert_eq!(pass.policy.as_deref(), Some("workspaces"));
        let esc: Vec<&Finding> = f
            .iter()
            .filter(|x| x.code == "PRIVILEGE_ESCALATION")
            .collect();
        assert!(
            esc.iter()
                .any(|x| x.message.contains("iam:PassRole")
                    && x.message.contains("ec2:RunInstances")),
            "{name}: {esc:#?}"
        );
        assert!(
            esc.iter().any(|x| x.message.contains("(PutRolePolicy)")),
            "{name}: {esc:#?}"
        );
        assert!(
            esc.iter()
                .any(|x| x.message.contains("cloudformation:CreateStack")),
            "{name}: {esc:#?}"
        );
    }
}

#[test]
fn escalation_across_policies_names_both() {
    let a = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::123456789012:role/*"}]}"#;
    let b = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:Run*","Resource":"*"}]}"#;
    let f = validate_role(
        "r",
        TRUST_EC2,
        &[RolePolicy::inline("a", a), RolePolicy::managed("b", b)],
        &ValidateOptions::default(),
    );
    let esc = f
        .iter()
        .find(|x| x.code == "PRIVILEGE_ESCALATION")
        .expect("escalation");
    // Passing only one named role reaches no more privileged role: not an escalation path.
    let one_role = a.replace("role/*", "role/app");
    let f_one = validate_role(
        "r",
        TRUST_EC2,
        &[
            RolePolicy::inline("a", &one_role),
            RolePolicy::managed("b", b),
        ],
        &ValidateOptions::default(),
    );
    assert!(!has(&f_one, "PRIVILEGE_ESCALATION"), "{f_one:#?}");
    assert!(
        esc.message.contains("policy \"a\"") && esc.message.contains("policy \"b\""),
        "{}",
        esc.message
    );
    assert!(esc.message.contains("via ec2:Run*"), "{}", esc.message);
    // Each alone is not an escalation.
    assert!(!has(&identity(a), "PRIVILEGE_ESCALATION"));
    assert!(!has(&identity(b), "PRIVILEGE_ESCALATION"));
    // An unconditional Deny in another policy cancels it.
    let deny = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iam:PassRole","Resource":"*"}]}"#;
    let f = validate_role(
        "r",
        TRUST_EC2,
        &[("a", a).into(), ("b", b).into(), ("deny", deny).into()],
        &ValidateOptions::default(),
    );
    assert!(!has(&f, "PRIVILEGE_ESCALATION"), "{f:#?}");
    // NotAction with Allow grants everything not listed.
    let na = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"s3:*","Resource":"*"}]}"#;
    let f = identity(na);
    assert_eq!(
        f.iter()
            .filter(|x| x.code == "PRIVILEGE_ESCALATION")
            .count(),
        1,
        "{f:#?}"
    );
    assert!(has(&f, "ALLOW_WITH_NOT_ACTION") && has(&f, "PASS_ROLE_WITH_STAR_IN_RESOURCE"));
}

#[test]
fn role_limits() {
    let stmt = |n: usize| {
        let res: Vec<String> = (0..n)
            .map(|i| format!("\"arn:aws:s3:::bucket-number-{i:04}/*\""))
            .collect();
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:GetObject","Resource":[{}]}}]}}"#,
            res.join(",")
        )
    };
    let p1 = stmt(130); // ~4,800 characters each
    let p2 = stmt(130);
    assert!(
        policy_size(&p1) > 4_500 && policy_size(&p1) < 5_120,
        "{}",
        policy_size(&p1)
    );
    let f = validate_role(
        "r",
        TRUST_EC2,
        &[RolePolicy::inline("p1", &p1), RolePolicy::inline("p2", &p2)],
        &ValidateOptions::default(),
    );
    assert!(!has(&f, "ROLE_INLINE_POLICIES_SIZE_EXCEEDED"));
    let p3 = stmt(30);
    let f = validate_role(
        "r",
        TRUST_EC2,
        &[
            ("p1", p1.as_str()).into(),
            ("p2", p2.as_str()).into(),
            ("p3", p3.as_str()).into(),
        ],
        &ValidateOptions::default(),
    );
    assert!(has(&f, "ROLE_INLINE_POLICIES_SIZE_EXCEEDED"), "{f:#?}");
    let f = validate_role("bad name", TRUST_EC2, &[], &ValidateOptions::default());
    assert_eq!(codes(&f), vec!["INVALID_ROLE_NAME"]);
    let managed: Vec<RolePolicy> = (0..11)
        .map(|_| RolePolicy::managed("m", TRUST_EC2))
        .collect();
    let f = validate_role("r", TRUST_EC2, &managed, &ValidateOptions::default());
    assert!(has(&f, "TOO_MANY_MANAGED_POLICIES"));
}

#[test]
fn size_limits() {
    let res: Vec<String> = (0..200)
        .map(|i| format!("\"arn:aws:s3:::bucket-number-{i:04}/*\""))
        .collect();
    let text = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:GetObject","Resource":[{}]}}]}}"#,
        res.join(",\n    ")
    );
    let f = identity(&text);
    assert_eq!(
        f.iter()
            .filter(|x| x.code == "POLICY_SIZE_EXCEEDED")
            .count(),
        1
    );
    let mut inline = ValidateOptions::default();
    inline.identity_size_limit = 10_240;
    assert!(!has(
        &validate_policy(text.as_str(), PolicyKind::Identity, &inline),
        "POLICY_SIZE_EXCEEDED"
    ));
    // Whitespace outside strings is not counted.
    assert_eq!(policy_size("{ \"a\" : \"b c\" }"), 11);
    let principals: Vec<String> = (0..60)
        .map(|i| format!("\"arn:aws:iam::{:012}:root\"", i))
        .collect();
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":[{}]}},"Action":"sts:AssumeRole"}}]}}"#,
        principals.join(",")
    );
    assert!(has(
        &validate_policy(
            trust.as_str(),
            PolicyKind::Trust,
            &ValidateOptions::default()
        ),
        "POLICY_SIZE_EXCEEDED"
    ));
}

#[test]
fn grammar_checks() {
    assert_eq!(codes(&identity("nope")), vec!["JSON_SYNTAX_ERROR"]);
    assert_eq!(
        codes(&identity(r#"{"Version":"2012-10-17"}"#)),
        vec!["MISSING_STATEMENT"]
    );
    assert_eq!(
        codes(&identity(
            r#"{"Statement":{"Action":"s3:GetObject","Resource":"*"}}"#
        )),
        vec!["MISSING_EFFECT"]
    );
    assert_eq!(
        codes(&identity(
            r#"{"Statement":{"Effect":"Permit","Action":"s3:GetObject","Resource":"*"}}"#
        )),
        vec!["INVALID_EFFECT"]
    );
    assert_eq!(
        codes(&identity(
            r#"{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}"#
        )),
        vec!["MISSING_VERSION"]
    );
    let f = identity(
        r#"{"Version":"2012-10-18","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}"#,
    );
    assert_eq!(codes(&f), vec!["INVALID_VERSION"]);
    let f = identity(
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"a-b","Effect":"Allow","Action":"s3:GetObject","Resource":"*"},{"Sid":"a-b","Effect":"Allow","Action":"s3:PutObject","Resource":"*"}]}"#,
    );
    assert!(has(&f, "INVALID_SID") && has(&f, "DUPLICATE_SID"));
    let dup = f.iter().find(|x| x.code == "DUPLICATE_SID").unwrap();
    assert_eq!(
        (dup.statement_index, dup.sid.as_deref(), dup.path.as_str()),
        (Some(1), Some("a-b"), "Statement[1].Sid")
    );
    let f = identity(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}}"#,
    );
    assert_eq!(codes(&f), vec!["IDENTITY_POLICY_WITH_PRINCIPAL"]);
    let trust = |t: &str| validate_policy(t, PolicyKind::Trust, &ValidateOptions::default());
    assert_eq!(
        codes(&trust(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:AssumeRole"}}"#
        )),
        vec!["TRUST_POLICY_WITHOUT_PRINCIPAL"]
    );
    let f = trust(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole","Resource":"*"}}"#,
    );
    assert!(has(&f, "TRUST_POLICY_WITH_RESOURCE"));
    assert!(trust(TRUST_EC2).is_empty(), "{:#?}", trust(TRUST_EC2));
    let f = identity(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","NotAction":"s3:PutObject","Resource":"*"}}"#,
    );
    assert!(has(&f, "UNSUPPORTED_ELEMENT_COMBINATION"));
    let f = identity(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Resource":"*"}}"#);
    assert_eq!(codes(&f), vec!["MISSING_ACTION"]);
    let f = identity(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject"}}"#,
    );
    assert_eq!(codes(&f), vec!["MISSING_RESOURCE"]);
    let f = identity(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","action":"s3:GetObject","Resource":"*"}}"#,
    );
    assert!(has(&f, "INVALID_POLICY_ELEMENT"));
    let f = identity(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3GetObject","Resource":"*"}}"#,
    );
    assert_eq!(codes(&f), vec!["INVALID_ACTION"]);
    let f = identity(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":["arn:aws:s3:::b/*","bucket"]}}"#,
    );
    let arn = f
        .iter()
        .find(|x| x.code == "INVALID_ARN")
        .expect("INVALID_ARN");
    assert_eq!(arn.path, "Statement.Resource[1]");
    assert_eq!(arn.severity, Severity::Error);
    let f = identity(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEqualz":{"aws:username":"a"}}}}"#,
    );
    assert_eq!(codes(&f), vec!["INVALID_CONDITION_OPERATOR"]);
    for op in [
        "ForAllValues:StringLikeIfExists",
        "ForAnyValue:StringEquals",
        "StringEqualsIgnoreCase",
        "ArnLikeIfExists",
        "Null",
    ] {
        let key = if op.starts_with("For") {
            "aws:TagKeys"
        } else if op.starts_with("Arn") {
            "aws:SourceArn"
        } else {
            "aws:username"
        };
        let value = if op == "Null" {
            "true"
        } else if op.starts_with("Arn") {
            "arn:aws:sns:*:*:t"
        } else {
            "a"
        };
        let t = format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{{"{op}":{{"{key}":"{value}"}}}}}}}}"#
        );
        assert!(identity(&t).is_empty(), "{op}: {:#?}", identity(&t));
    }
    let f = identity(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"NullIfExists":{"aws:username":"true"}}}}"#,
    );
    assert!(has(&f, "NULL_WITH_IF_EXISTS"));
    let f = identity(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.300"}}}}"#,
    );
    assert_eq!(codes(&f), vec!["DATA_TYPE_MISMATCH"]);
    // Trailing comma: an ERROR, and the rest is still validated.
    let f = identity("{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"iam:PassRole\",],\"Resource\":\"*\"}]}");
    assert!(
        has(&f, "JSON_SYNTAX_ERROR") && has(&f, "PASS_ROLE_WITH_STAR_IN_RESOURCE"),
        "{f:#?}"
    );
    // URL-encoded documents are decoded.
    let f = identity("%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3AGetObject%22%2C%22Resource%22%3A%22%2A%22%7D%7D");
    assert!(f.is_empty(), "{f:#?}");
}

#[test]
fn catalog_checks() {
    let f = identity(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["s3:GetObjekt","s4:GetObject","s3:GteObj*"],"Resource":"*"}}"#,
    );
    let a = f
        .iter()
        .find(|x| x.code == "INVALID_ACTION")
        .expect("INVALID_ACTION");
    assert!(
        a.message.contains("did you mean \"s3:GetObject\""),
        "{}",
        a.message
    );
    assert_eq!(a.path, "Statement.Action[0]");
    let s = f
        .iter()
        .find(|x| x.code == "INVALID_SERVICE")
        .expect("INVALID_SERVICE");
    assert!(s.message.contains("s3:GetObject"), "{}", s.message);
    let w = f
        .iter()
        .find(|x| x.code == "ACTION_WILDCARD_MATCHES_NOTHING")
        .expect("ACTION_WILDCARD_MATCHES_NOTHING");
    assert!(
        w.message.contains("did you mean \"s3:GetObj*\""),
        "{}",
        w.message
    );
    assert!(f.iter().all(|x| x.severity == Severity::Error));
    // Action names are case-insensitive.
    assert!(identity(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"S3:getobject","Resource":"arn:aws:s3:::b/*"}}"#).is_empty());
    // A resource of another service, and a bucket ARN for an object action.
    let f = identity(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":["arn:aws:sqs:us-east-1:123456789012:q","arn:aws:s3:::bucket"]}}"#,
    );
    let r: Vec<&Finding> = f
        .iter()
        .filter(|x| x.code == "RESOURCE_MATCHES_NO_ACTION")
        .collect();
    assert_eq!(r.len(), 2, "{f:#?}");
    assert!(r[0].message.contains("service \"sqs\""), "{}", r[0].message);
    assert!(r[1].message.contains("object"), "{}", r[1].message);
    assert!(has(&f, "ACTION_MATCHES_NO_RESOURCE"));
    // An action that only works on "*".
    let f = identity(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"arn:aws:s3:::b"}}"#,
    );
    assert!(
        f.iter()
            .any(|x| x.code == "ACTION_MATCHES_NO_RESOURCE" && x.message.contains("needs \"*\"")),
        "{f:#?}"
    );
    // Condition keys.
    let cond = |op: &str, key: &str, v: &str| {
        identity(&format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b","Condition":{{"{op}":{{"{key}":"{v}"}}}}}}}}"#
        ))
    };
    assert!(cond("StringLike", "s3:prefix", "home/").is_empty());
    assert!(cond("StringEquals", "aws:PrincipalTag/team", "x").is_empty());
    assert!(cond("StringEquals", "aws:ResourceTag/team", "x").is_empty());
    assert_eq!(
        codes(&cond("StringEquals", "s3:x-amz-acl", "private")),
        vec!["CONDITION_KEY_NOT_SUPPORTED_BY_ACTIONS"]
    );
    assert_eq!(
        codes(&cond("StringEquals", "s3:nope", "x")),
        vec!["INVALID_CONDITION_KEY"]
    );
    assert_eq!(
        codes(&cond("StringEquals", "aws:nope", "x")),
        vec!["INVALID_CONDITION_KEY"]
    );
    assert_eq!(
        codes(&cond("NumericLessThan", "s3:prefix", "1")),
        vec!["CONDITION_TYPE_MISMATCH"]
    );
    assert_eq!(
        codes(&cond("ForAllValues:StringEquals", "aws:ResourceTag/x", "y")),
        vec!["FORALLVALUES_WITH_SINGLE_VALUED_KEY"]
    );
    assert_eq!(
        codes(&cond("ForAnyValue:StringEquals", "aws:username", "y")),
        vec!["FORANYVALUE_WITH_SINGLE_VALUED_KEY"]
    );
    assert!(cond("ForAllValues:StringEquals", "aws:TagKeys", "y").is_empty());
    // Federated identity provider keys are not catalog keys.
    let t = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringLike":{"token.actions.githubusercontent.com:sub":"repo:o/r:*"}}}}"#;
    let f = validate_policy(t, PolicyKind::Trust, &ValidateOptions::default());
    assert!(f.is_empty(), "{f:#?}");
    // Catalog checks can be turned off.
    let mut o = ValidateOptions::default();
    o.catalog_checks = false;
    assert!(validate_policy(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:Nope","Resource":"arn:aws:s3:::b"}}"#, PolicyKind::Identity, &o).is_empty());
}

#[test]
fn security_checks() {
    let f = identity(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:PassRole","Resource":"*"}}"#,
    );
    assert_eq!(codes(&f), vec!["PASS_ROLE_WITH_STAR_IN_RESOURCE"]);
    assert_eq!(f[0].severity, Severity::SecurityWarning);
    assert!(has(
        &identity(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:*","Resource":"arn:aws:iam::123456789012:role/*"}}"#
        ),
        "PASS_ROLE_WITH_STAR_IN_RESOURCE"
    ));
    assert!(!has(
        &identity(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::123456789012:role/app"}}"#
        ),
        "PASS_ROLE_WITH_STAR_IN_RESOURCE"
    ));
    let f = identity(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
    );
    assert!(has(&f, "STAR_ACTION_ON_STAR_RESOURCE"));
    assert_eq!(
        f.iter()
            .filter(|x| x.code == "PRIVILEGE_ESCALATION")
            .count(),
        1,
        "collapsed: {f:#?}"
    );
    assert!(has(
        &identity(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#
        ),
        "SERVICE_WILDCARD_ON_STAR_RESOURCE"
    ));
    assert!(identity(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*"}}"#
    )
    .is_empty());
    assert!(has(
        &identity(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","NotResource":"arn:aws:s3:::b/*"}}"#
        ),
        "ALLOW_WITH_NOT_RESOURCE"
    ));
    let res = |t: &str| validate_policy(t, PolicyKind::Resource, &ValidateOptions::default());
    assert!(has(
        &res(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}"#
        ),
        "ALLOW_WITH_NOT_PRINCIPAL"
    ));
    let trust = |t: &str| validate_policy(t, PolicyKind::Trust, &ValidateOptions::default());
    assert_eq!(
        codes(&trust(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}}"#
        )),
        vec!["TRUST_POLICY_ANY_PRINCIPAL"]
    );
    assert_eq!(
        codes(&trust(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}}"#
        )),
        vec!["TRUST_POLICY_ANY_PRINCIPAL"]
    );
    assert!(trust(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-123"}}}}"#).is_empty());
    assert!(has(
        &identity(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"false"}}}}"#
        ),
        "BAD_PATTERN_FOR_MFA"
    ));
    let mut o = ValidateOptions::default();
    o.security_checks = false;
    o.privilege_escalation = false;
    assert!(validate_policy(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
        PolicyKind::Identity,
        &o
    )
    .is_empty());
}

#[test]
fn redundant_actions() {
    let f = identity(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["s3:GetObject","s3:Get*","s3:getobject","s3:GetObjectAcl","s3:*"],"Resource":"arn:aws:s3:::b/*"}}"#,
    );
    let r: Vec<&str> = f
        .iter()
        .filter(|x| x.code == "REDUNDANT_ACTION")
        .map(|x| x.path.as_str())
        .collect();
    assert_eq!(
        r,
        vec![
            "Statement.Action[0]",
            "Statement.Action[1]",
            "Statement.Action[2]",
            "Statement.Action[3]"
        ],
        "{f:#?}"
    );
    assert!(f
        .iter()
        .filter(|x| x.code == "REDUNDANT_ACTION")
        .all(|x| x.severity == Severity::Suggestion));
    assert!(!has(
        &identity(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::b/*"}}"#
        ),
        "REDUNDANT_ACTION"
    ));
}

#[test]
fn parsed_documents_and_codes_table() {
    let doc = parse_policy(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:PassRole","Resource":"*"}}"#).unwrap();
    let f = validate_policy(&doc, PolicyKind::Identity, &ValidateOptions::default());
    assert_eq!(codes(&f), vec!["PASS_ROLE_WITH_STAR_IN_RESOURCE"]);
    // Every emitted code is in CODES with the severity it is emitted with.
    for x in f {
        assert!(CODES
            .iter()
            .any(|(c, s, _)| *c == x.code && *s == x.severity));
    }
    let mut seen = std::collections::BTreeSet::new();
    for (c, _, d) in CODES {
        assert!(seen.insert(*c), "duplicate code {c}");
        assert!(!d.is_empty());
    }
}

/// Severity calibration: an unknown service, action or wildcard is an ERROR only when it is a
/// likely typo of a known one; otherwise a WARNING naming the catalog (it lags AWS).
#[test]
fn unknown_names_error_only_when_likely_typos() {
    let sev = |action: &str| -> Vec<(&'static str, Severity, String)> {
        let t = format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"{action}","Resource":"*"}}}}"#
        );
        identity(&t)
            .into_iter()
            .filter(|x| {
                x.code != "SERVICE_WILDCARD_ON_STAR_RESOURCE"
                    && x.code != "PASS_ROLE_WITH_STAR_IN_RESOURCE"
            })
            .map(|x| (x.code, x.severity, x.message))
            .collect()
    };
    // Likely typos: ERROR with the correction.
    for (action, code, fix) in [
        ("s3:GetObjekt", "INVALID_ACTION", "s3:GetObject"),
        ("s3:GetObjcet", "INVALID_ACTION", "s3:GetObject"),
        ("s3:getobjekt", "INVALID_ACTION", "s3:GetObject"),
        ("S3:GETOBJEKT", "INVALID_ACTION", "s3:GetObject"),
        ("iam:PasRole", "INVALID_ACTION", "iam:PassRole"),
        ("iam:pass_role", "INVALID_ACTION", "iam:PassRole"),
        ("ec2:RunInstance", "INVALID_ACTION", "ec2:RunInstances"),
        ("ec3:RunInstances", "INVALID_SERVICE", "ec2:RunInstances"),
        ("s4:GetObject", "INVALID_SERVICE", "s3:GetObject"),
        (
            "lamda:InvokeFunction",
            "INVALID_SERVICE",
            "lambda:InvokeFunction",
        ),
        (
            "s3outposts:GetAccessPoint",
            "INVALID_SERVICE",
            "s3-outposts:GetAccessPoint",
        ),
        ("ec3:Describe*", "INVALID_SERVICE", "ec2:Describe*"),
        ("s3:Gte*", "ACTION_WILDCARD_MATCHES_NOTHING", "s3:Get*"),
        (
            "ec2:Descrbe*",
            "ACTION_WILDCARD_MATCHES_NOTHING",
            "ec2:Describe*",
        ),
    ] {
        let f = sev(action);
        assert_eq!(f.len(), 1, "{action}: {f:#?}");
        assert_eq!(
            (f[0].0, f[0].1),
            (code, Severity::Error),
            "{action}: {f:#?}"
        );
        assert!(
            f[0].2.contains(&format!("did you mean \"{fix}\"")),
            "{action}: {}",
            f[0].2
        );
    }
    // Not in the catalog and not close to anything in it: new or retired. WARNING naming the
    // catalog and its date.
    for (action, code) in [
        ("deeplens:ListProjects", "UNKNOWN_SERVICE"),
        ("s3files:GetFileSystem", "UNKNOWN_SERVICE"),
        ("elastic-inference:TagResource", "UNKNOWN_SERVICE"),
        ("resiliencehub:ListSystems", "UNKNOWN_ACTION"),
        // Differs from ValidateResource by a whole CamelCase word, not by a slip (3 edits with case).
        ("healthlake:ValidateSource", "UNKNOWN_ACTION"),
        // AWS ships both CreateConnector and CreateConnectorV2.
        ("securityhub:CreateConnector", "UNKNOWN_ACTION"),
        (
            "emr-serverless:*Session*",
            "ACTION_WILDCARD_MATCHES_NO_KNOWN_ACTION",
        ),
        ("s3:Nothing*", "ACTION_WILDCARD_MATCHES_NO_KNOWN_ACTION"),
    ] {
        let f = sev(action);
        assert_eq!(f.len(), 1, "{action}: {f:#?}");
        assert_eq!(
            (f[0].0, f[0].1),
            (code, Severity::Warning),
            "{action}: {f:#?}"
        );
        assert!(
            f[0].2.contains(aiu_policy::catalog::SOURCE),
            "{action}: {}",
            f[0].2
        );
        assert!(f[0].2.contains("new or retired"), "{action}: {}", f[0].2);
    }
    // Each code has one severity in CODES.
    for code in [
        "UNKNOWN_SERVICE",
        "UNKNOWN_ACTION",
        "ACTION_WILDCARD_MATCHES_NO_KNOWN_ACTION",
    ] {
        assert!(
            CODES
                .iter()
                .any(|(c, s, _)| *c == code && *s == Severity::Warning),
            "{code}"
        );
    }
    // Malformed actions stay grammar ERRORs.
    assert!(sev("s3GetObject")
        .iter()
        .any(|x| x.0 == "INVALID_ACTION" && x.1 == Severity::Error));
}
