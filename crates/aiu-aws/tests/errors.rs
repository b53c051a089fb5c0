//! Faults against moto: account guard, unreachable endpoint, IAM rejecting input, and that
//! credentials never show in Debug output or errors.

mod support;

use aiu_aws::{AwsProvider, AwsSettings, StaticCredentials};
use aiu_provider::{ErrorKind, Provider};
use std::time::{Duration, Instant};
use support::*;

#[tokio::test]
async fn allowed_account_ids_mismatch_stops_before_any_iam_call() {
    let p = provider_with(|s| {
        s.allowed_account_ids = vec!["111111111111".into(), "222222222222".into()]
    })
    .await;
    let err = p
        .create("aws_iam_role", &planned_role(&unique("never"), &[]))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::AccountNotAllowed, "{err}");
    assert!(err.message.contains(ACCOUNT), "{err}");
    assert!(err.message.contains("111111111111, 222222222222"), "{err}");
    let err = p.refresh(&[]).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::AccountNotAllowed);
    let err = p.import("aws_iam_role", "whatever").await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::AccountNotAllowed);
    let counts = p.call_counts();
    assert!(
        counts.keys().all(|k| k.starts_with("sts:")),
        "no IAM call: {counts:?}"
    );
    assert_eq!(
        counts.get("sts:GetCallerIdentity"),
        Some(&1),
        "identity is cached: {counts:?}"
    );

    let p = provider_with(|s| s.forbidden_account_ids = vec![ACCOUNT.into()]).await;
    let err = p.caller_identity().await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::AccountNotAllowed);
    assert!(err.message.contains("forbidden_account_ids"), "{err}");

    let p = provider_with(|s| s.allowed_account_ids = vec![ACCOUNT.into()]).await;
    assert_eq!(p.caller_identity().await.unwrap().account_id, ACCOUNT);
}

#[tokio::test]
async fn unreachable_endpoint_is_a_clear_error_with_a_hint() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let endpoint = format!("http://127.0.0.1:{port}");
    let p = AwsProvider::connect(AwsSettings {
        iam_endpoint: Some(endpoint.clone()),
        sts_endpoint: Some(endpoint.clone()),
        credentials: Some(StaticCredentials::new("testing", "testing")),
        max_attempts: 2,
        initial_backoff: Duration::from_millis(10),
        ..AwsSettings::default()
    })
    .await
    .unwrap();
    let start = Instant::now();
    let err = p.caller_identity().await.unwrap_err();
    assert!(
        matches!(err.kind, ErrorKind::Unreachable | ErrorKind::Transient),
        "{err}"
    );
    assert_eq!(err.call, "sts:GetCallerIdentity");
    let hint = err.hint.clone().unwrap_or_default();
    assert!(
        hint.contains(&endpoint) && hint.contains("endpoint"),
        "{err}"
    );
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "bounded retry: {:?}",
        start.elapsed()
    );
    let err = p
        .create("aws_iam_role", &planned_role("never", &[]))
        .await
        .unwrap_err();
    assert!(
        matches!(err.kind, ErrorKind::Unreachable | ErrorKind::Transient),
        "{err}"
    );
}

#[tokio::test]
async fn iam_rejections_map_to_kinds_with_the_call_and_message() {
    let p = provider().await;
    let err = p
        .create(
            "aws_iam_policy",
            &planned_policy(
                &unique("bad"),
                r#"{"Version":"2012-10-17","Statement":[]}"#,
                &[],
            ),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidInput, "{err}");
    assert_eq!(err.call, "iam:CreatePolicy");
    assert!(err.message.contains("MalformedPolicyDocument"), "{err}");

    let err = p
        .create(
            "aws_iam_role_policy_attachment",
            &obj(&[
                ("role", s(&unique("missing"))),
                ("policy_arn", s("arn:aws:iam::123456789012:policy/missing")),
                ("id", aiu_model::Value::Unknown),
            ]),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound, "{err}");
    assert_eq!(err.call, "iam:AttachRolePolicy");
    // NoSuchEntity right after a create may be eventual consistency: retried, but bounded.
    assert!(err.message.contains("still failing after"), "{err}");
    assert!(p.call_counts()["iam:AttachRolePolicy"] > 1);
}

#[tokio::test]
async fn credentials_never_show_in_debug_output() {
    let mut settings = settings();
    settings.credentials = Some(StaticCredentials {
        access_key_id: "AKIAEXAMPLEKEYID0001".into(),
        secret_access_key: "very-secret-access-key-value".into(),
        session_token: Some("session-token-value".into()),
    });
    let text = format!("{settings:?}");
    for secret in [
        "AKIAEXAMPLEKEYID0001",
        "very-secret-access-key-value",
        "session-token-value",
    ] {
        assert!(!text.contains(secret), "{text}");
    }
    let p = AwsProvider::connect(settings).await.unwrap();
    assert!(
        p.settings().credentials.is_none(),
        "credentials are not kept"
    );
    let text = format!("{p:?}");
    assert!(
        !text.contains("very-secret") && !text.contains("AKIAEXAMPLE"),
        "{text}"
    );
    let err = p.import("aws_iam_policy", "not-an-arn").await.unwrap_err();
    assert!(!format!("{err:?}").contains("very-secret"));
}

#[tokio::test]
async fn missing_credentials_are_a_credentials_error_with_a_hint() {
    // Without static credentials the standard chain runs; a profile that does not exist and
    // (in this test environment) no credential variables leave it with nothing.
    let p = provider_with(|s| {
        s.credentials = None;
        s.profile = Some("aiu-test-no-such-profile".into());
        s.max_attempts = 1;
    })
    .await;
    match p.caller_identity().await {
        Err(err) => {
            assert_eq!(err.kind, ErrorKind::Credentials, "{err}");
            assert_eq!(err.call, "sts:GetCallerIdentity");
            assert!(
                err.hint.as_deref().unwrap_or("").contains("AWS_PROFILE"),
                "{err}"
            );
        }
        Ok(id) => assert!(
            std::env::var_os("AWS_ACCESS_KEY_ID").is_some(),
            "credentials came from nowhere: {id:?}"
        ),
    }
}
