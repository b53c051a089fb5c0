//! Building the SDK clients (credential chain, region, endpoints, retry), counting calls with
//! an interceptor, the account guard, and the eventual-consistency retry loop.

use aiu_provider::{CallCounts, CallerIdentity, ErrorKind, ProviderError};
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_iam::error::ProvideErrorMetadata;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::{HttpResponse, Metadata};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::errors::{invalid, map_sdk_error};
use crate::settings::AwsSettings;
use crate::AwsProvider;

/// Counts every operation (not every retry attempt) as `service:Operation`.
#[derive(Debug, Clone)]
struct CallCounter {
    service: &'static str,
    counts: Arc<Mutex<CallCounts>>,
}

impl Intercept for CallCounter {
    fn name(&self) -> &'static str {
        "aiu-call-counter"
    }

    // Once per operation (not per attempt); `Metadata` is in the bag only after the
    // operation's config is applied, i.e. from this hook on.
    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let op = cfg
            .load::<Metadata>()
            .map_or_else(|| "Unknown".to_owned(), |m| m.name().to_owned());
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        *counts.entry(format!("{}:{op}", self.service)).or_default() += 1;
        Ok(())
    }
}

fn endpoint_description(explicit: Option<&str>, service_env: &str, default: &str) -> String {
    explicit
        .map(str::to_owned)
        .or_else(|| std::env::var(service_env).ok().filter(|s| !s.is_empty()))
        .or_else(|| {
            std::env::var("AWS_ENDPOINT_URL")
                .ok()
                .filter(|s| !s.is_empty())
        })
        .unwrap_or_else(|| default.to_owned())
}

fn check_endpoint(name: &str, url: &Option<String>) -> Result<(), ProviderError> {
    if let Some(u) = url {
        if !(u.starts_with("http://") || u.starts_with("https://")) {
            return Err(invalid(
                "aiu:configure",
                format!("endpoints.{name} = {u:?} is not an http:// or https:// URL"),
            ));
        }
    }
    Ok(())
}

/// What every aiu SDK client (IAM, STS, S3) is configured from.
pub(crate) struct SdkOptions<'a> {
    pub retry: RetryConfig,
    pub connect_timeout: Duration,
    pub profile: Option<&'a str>,
    pub region: Option<&'a str>,
    pub credentials: Option<crate::StaticCredentials>,
}

/// The shared SDK configuration: the standard credential chain (or static credentials), the
/// profile, the region, retries and timeouts.
pub(crate) async fn load_sdk_config(options: SdkOptions<'_>) -> aws_config::SdkConfig {
    let timeout = TimeoutConfig::builder()
        .connect_timeout(options.connect_timeout)
        .operation_attempt_timeout(Duration::from_secs(60))
        .build();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(options.retry)
        .timeout_config(timeout);
    if let Some(p) = options.profile {
        loader = loader.profile_name(p);
    }
    if let Some(r) = options.region.filter(|r| !r.is_empty()) {
        loader = loader.region(Region::new(r.to_owned()));
    }
    if let Some(c) = options.credentials {
        loader = loader.credentials_provider(aws_sdk_iam::config::Credentials::new(
            c.access_key_id,
            c.secret_access_key,
            c.session_token,
            None,
            "aiu-settings",
        ));
    }
    loader.load().await
}

impl AwsProvider {
    /// Builds the IAM and STS clients from `settings` and the standard AWS configuration chain
    /// (environment, shared config / credentials files, profile, SSO, web identity, IMDS).
    /// Makes no call: the account is checked by the first call of any provider method.
    pub async fn connect(mut settings: AwsSettings) -> Result<AwsProvider, ProviderError> {
        check_endpoint("iam", &settings.iam_endpoint)?;
        check_endpoint("sts", &settings.sts_endpoint)?;
        if let Some(n) = std::env::var("AWS_MAX_ATTEMPTS")
            .ok()
            .and_then(|v| v.trim().parse::<u32>().ok())
        {
            settings.max_attempts = n;
        }
        if settings.max_attempts == 0 {
            return Err(invalid("aiu:configure", "max_attempts must be at least 1"));
        }
        // Adaptive mode: the SDK's client-side rate limiter is shared by every call of the
        // client and slows sending down when IAM answers `Throttling`. Back-off starts short
        // and stays under 5 s: IAM throttles per second, and long sleeps only add wall time.
        let retry = RetryConfig::adaptive()
            .with_max_attempts(settings.max_attempts)
            .with_initial_backoff(settings.initial_backoff)
            .with_max_backoff(Duration::from_secs(5));
        let sdk = load_sdk_config(SdkOptions {
            retry,
            connect_timeout: settings.connect_timeout,
            profile: settings.profile.as_deref(),
            region: settings.region.as_deref(),
            // Static credentials are handed to the SDK and then dropped from the settings we keep.
            credentials: settings.credentials.take(),
        })
        .await;
        let region = sdk
            .region()
            .map_or_else(|| "us-east-1".to_owned(), |r| r.to_string());
        let counts: Arc<Mutex<CallCounts>> = Arc::default();

        let mut iam_conf = aws_sdk_iam::config::Builder::from(&sdk)
            .region(Region::new(region.clone()))
            .interceptor(CallCounter {
                service: "iam",
                counts: counts.clone(),
            });
        if let Some(e) = &settings.iam_endpoint {
            iam_conf = iam_conf.endpoint_url(e);
        }
        // sts:GetCallerIdentity is the first call of every run and is never throttled in
        // practice: few quick retries, so a wrong or unreachable endpoint is reported in
        // seconds instead of after the IAM client's long throttling back-off.
        let sts_retry = RetryConfig::standard()
            .with_max_attempts(settings.max_attempts.min(3))
            .with_initial_backoff(Duration::from_millis(200));
        let mut sts_conf = aws_sdk_sts::config::Builder::from(&sdk)
            .retry_config(sts_retry)
            .region(Region::new(region.clone()))
            .interceptor(CallCounter {
                service: "sts",
                counts: counts.clone(),
            });
        if let Some(e) = &settings.sts_endpoint {
            sts_conf = sts_conf.endpoint_url(e);
        }
        let iam_endpoint = endpoint_description(
            settings.iam_endpoint.as_deref(),
            "AWS_ENDPOINT_URL_IAM",
            "https://iam.amazonaws.com",
        );
        let sts_endpoint = endpoint_description(
            settings.sts_endpoint.as_deref(),
            "AWS_ENDPOINT_URL_STS",
            &format!("https://sts.{region}.amazonaws.com"),
        );
        Ok(AwsProvider {
            iam: aws_sdk_iam::Client::from_conf(iam_conf.build()),
            sts: aws_sdk_sts::Client::from_conf(sts_conf.build()),
            settings,
            region,
            iam_endpoint,
            sts_endpoint,
            counts,
            identity: tokio::sync::OnceCell::new(),
            snapshot: Mutex::default(),
        })
    }

    /// The caller identity (one sts:GetCallerIdentity per provider), after checking
    /// `allowed_account_ids` / `forbidden_account_ids`. Every provider method calls this first.
    pub(crate) async fn checked_identity(&self) -> Result<&CallerIdentity, ProviderError> {
        let id =
            self.identity
                .get_or_try_init(|| async {
                    let out = self.sts.get_caller_identity().send().await.map_err(|e| {
                        map_sdk_error("sts:GetCallerIdentity", &self.sts_endpoint, e)
                    })?;
                    Ok::<_, ProviderError>(CallerIdentity {
                        account_id: out.account().unwrap_or_default().to_owned(),
                        arn: out.arn().unwrap_or_default().to_owned(),
                        user_id: out.user_id().unwrap_or_default().to_owned(),
                    })
                })
                .await?;
        check_account(&self.settings, id)?;
        Ok(id)
    }

    /// `aws`, `aws-cn`, `aws-us-gov`... from the caller's ARN.
    pub(crate) fn partition(&self) -> String {
        self.identity
            .get()
            .and_then(|id| id.arn.split(':').nth(1).map(str::to_owned))
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| "aws".to_owned())
    }

    pub(crate) fn account_id(&self) -> String {
        self.identity
            .get()
            .map(|i| i.account_id.clone())
            .unwrap_or_default()
    }

    /// One IAM call, errors mapped (throttling / 5xx are retried inside the SDK).
    pub(crate) async fn iam_call<T, E, F, Fut>(&self, call: &str, f: F) -> Result<T, ProviderError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        f().await
            .map_err(|e| map_sdk_error(call, &self.iam_endpoint, e))
    }

    /// One IAM call retried while `transient` says the error is IAM eventual consistency
    /// (iam-facts §3), with backoff, for at most `limit` (capped by the configured timeout).
    pub(crate) async fn iam_call_ec<T, E, F, Fut>(
        &self,
        call: &str,
        transient: fn(&ProviderError) -> bool,
        limit: Option<Duration>,
        f: F,
    ) -> Result<T, ProviderError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let budget = limit.map_or(self.settings.eventual_consistency_timeout, |l| {
            l.min(self.settings.eventual_consistency_timeout)
        });
        let start = Instant::now();
        let mut delay = Duration::from_millis(200);
        loop {
            match self.iam_call(call, &f).await {
                Ok(v) => return Ok(v),
                Err(e) if transient(&e) => {
                    let elapsed = start.elapsed();
                    if elapsed + delay > budget {
                        let mut e = e;
                        if !budget.is_zero() {
                            e.message = format!(
                                "{} (still failing after {:.1}s of retries)",
                                e.message,
                                elapsed.as_secs_f64()
                            );
                        }
                        return Err(e);
                    }
                    tokio::time::sleep(delay).await;
                    delay = (delay * 3 / 2).min(Duration::from_secs(5));
                }
                Err(e) => return Err(e),
            }
        }
    }

    pub(crate) fn counts_snapshot(&self) -> CallCounts {
        self.counts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

/// Enforces `allowed_account_ids` / `forbidden_account_ids`.
pub(crate) fn check_account(
    settings: &AwsSettings,
    id: &CallerIdentity,
) -> Result<(), ProviderError> {
    if !settings.allowed_account_ids.is_empty()
        && !settings
            .allowed_account_ids
            .iter()
            .any(|a| a == &id.account_id)
    {
        return Err(ProviderError::new(
            ErrorKind::AccountNotAllowed,
            "sts:GetCallerIdentity",
            format!(
                "the credentials are for account {} ({}), which is not in allowed_account_ids [{}]",
                id.account_id,
                id.arn,
                settings.allowed_account_ids.join(", ")
            ),
        )
        .with_hint("use credentials / a profile for an allowed account, or change allowed_account_ids in the provider \"aws\" block"));
    }
    if settings
        .forbidden_account_ids
        .iter()
        .any(|a| a == &id.account_id)
    {
        return Err(ProviderError::new(
            ErrorKind::AccountNotAllowed,
            "sts:GetCallerIdentity",
            format!(
                "the credentials are for account {} ({}), which is in forbidden_account_ids [{}]",
                id.account_id,
                id.arn,
                settings.forbidden_account_ids.join(", ")
            ),
        )
        .with_hint("use credentials / a profile for another account"));
    }
    Ok(())
}

/// Eventual-consistency predicates (iam-facts §3).
pub(crate) mod transient {
    use aiu_provider::{ErrorKind, ProviderError};

    pub(crate) fn concurrent(e: &ProviderError) -> bool {
        e.kind == ErrorKind::Conflict && e.message.contains("ConcurrentModification")
    }

    /// CreateRole / UpdateAssumeRolePolicy naming a principal created moments ago.
    pub(crate) fn invalid_principal(e: &ProviderError) -> bool {
        concurrent(e)
            || (e.kind == ErrorKind::InvalidInput
                && e.message.contains("Invalid principal in policy"))
    }

    /// Read-after-create and calls naming an object created moments ago.
    pub(crate) fn not_found(e: &ProviderError) -> bool {
        concurrent(e) || e.kind == ErrorKind::NotFound
    }

    /// AddRoleToInstanceProfile right after the role or profile was created.
    pub(crate) fn add_role_to_profile(e: &ProviderError) -> bool {
        concurrent(e)
            || e.kind == ErrorKind::NotFound
            || (e.kind == ErrorKind::InvalidInput
                && e.message.contains("Invalid IAM Instance Profile name"))
    }

    /// DeleteConflict during teardown (a detach not yet visible).
    pub(crate) fn delete_conflict(e: &ProviderError) -> bool {
        e.kind == ErrorKind::Conflict
    }
}
