//! [`AwsSettings`]: how to reach AWS (region, profile, endpoints, credentials) and the account
//! guard rails and retry bounds, as given by `provider "aws" { ... }` and the environment.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

/// Static credentials for tests and explicit configuration. Used only when set; otherwise the
/// standard credential chain applies. `Debug` never prints the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct StaticCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

impl StaticCredentials {
    pub fn new(access_key_id: impl Into<String>, secret_access_key: impl Into<String>) -> Self {
        StaticCredentials {
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
            session_token: None,
        }
    }
}

impl fmt::Debug for StaticCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaticCredentials")
            .field("access_key_id", &"** redacted **")
            .field("secret_access_key", &"** redacted **")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "** redacted **"),
            )
            .finish()
    }
}

/// Settings of the AWS provider. `Default` gives the standard chain, 2 minutes of
/// eventual-consistency retries and 10 attempts per call for throttling / 5xx.
#[derive(Clone, Debug)]
pub struct AwsSettings {
    /// `provider "aws" { region }`; otherwise `AWS_REGION` / the profile; otherwise `us-east-1`
    /// (IAM is global).
    pub region: Option<String>,
    /// A named profile of the shared config files (`--profile`); otherwise `AWS_PROFILE`.
    pub profile: Option<String>,
    /// `endpoints { iam = ... }`; otherwise the SDK reads `AWS_ENDPOINT_URL_IAM` /
    /// `AWS_ENDPOINT_URL` itself.
    pub iam_endpoint: Option<String>,
    /// `endpoints { sts = ... }`; otherwise `AWS_ENDPOINT_URL_STS` / `AWS_ENDPOINT_URL`.
    pub sts_endpoint: Option<String>,
    /// When non-empty, the caller's account must be one of these.
    pub allowed_account_ids: Vec<String>,
    /// The caller's account must not be one of these.
    pub forbidden_account_ids: Vec<String>,
    /// `default_tags { tags = ... }`: merged into every taggable object (`tags_all`).
    pub default_tags: BTreeMap<String, String>,
    /// How long eventual-consistency errors (iam-facts §3) are retried.
    pub eventual_consistency_timeout: Duration,
    /// Attempts per call for throttling and 5xx / connection errors (SDK adaptive retry).
    pub max_attempts: u32,
    /// First backoff of the SDK retry (exponential with jitter from there).
    pub initial_backoff: Duration,
    /// Connect timeout of one attempt.
    pub connect_timeout: Duration,
    /// Explicit credentials (tests); `None` = the standard credential chain.
    pub credentials: Option<StaticCredentials>,
    /// Refresh reads the whole account (GetAccountAuthorizationDetails) when the items to
    /// refresh hold more than this many roles + managed policies.
    pub batch_refresh_threshold: usize,
    /// `MaxItems` of paginated list calls (1..=1000).
    pub page_size: i32,
}

impl Default for AwsSettings {
    fn default() -> Self {
        AwsSettings {
            region: None,
            profile: None,
            iam_endpoint: None,
            sts_endpoint: None,
            allowed_account_ids: Vec::new(),
            forbidden_account_ids: Vec::new(),
            default_tags: BTreeMap::new(),
            eventual_consistency_timeout: Duration::from_secs(120),
            max_attempts: 10,
            initial_backoff: Duration::from_millis(100),
            connect_timeout: Duration::from_secs(10),
            credentials: None,
            batch_refresh_threshold: 5,
            page_size: 1000,
        }
    }
}
