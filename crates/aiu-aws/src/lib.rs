//! The AWS implementation of the Provider trait (the only crate that links the AWS SDK).
//!
//! [`AwsProvider::connect`] builds IAM and STS clients from [`AwsSettings`] and the standard
//! AWS configuration chain; every provider method first checks the caller's account against
//! `allowed_account_ids` / `forbidden_account_ids` (one cached `sts:GetCallerIdentity`).
//!
//! - CRUD per resource type with the calls of iam-facts §1: [`role`], [`policy`],
//!   [`attachment`] (attachments and inline policies), [`profile`].
//! - [`refresh`]: per-resource reads or one account snapshot (GetAccountAuthorizationDetails);
//!   its module doc lists the call counts.
//! - Errors: [`errors`] maps SDK errors to `ErrorKind`s; throttling and 5xx are retried by the
//!   SDK (adaptive retry, `max_attempts`), IAM eventual-consistency errors by aiu for up to
//!   `eventual_consistency_timeout`.
//! - [`AwsProvider::call_counts`] counts every operation (`iam:GetRole`...) via an SDK
//!   interceptor on both clients.
//! - [`s3_backend`]: remote state on S3 ([`S3Backend`], an `aiu_state::StateBackend`) with
//!   conditional writes and a lock object.
//!
//! Credentials are given to the SDK and never kept in the provider, printed, or put in errors.

mod attachment;
mod client;
mod data;
pub mod errors;
mod policy;
mod profile;
mod refresh;
mod role;
pub mod s3_backend;
mod settings;
mod values;

pub use s3_backend::{S3Backend, S3BackendSettings, S3Lock};
pub use settings::{AwsSettings, StaticCredentials};

use aiu_model::Value;
use aiu_provider::{CallCounts, CallerIdentity, ErrorKind, Provider, ProviderError, RefreshItem};
use async_trait::async_trait;
use std::fmt;
use std::sync::{Arc, Mutex};

/// The AWS provider: IAM and STS clients, settings without credentials, and call counts.
pub struct AwsProvider {
    pub(crate) iam: aws_sdk_iam::Client,
    pub(crate) sts: aws_sdk_sts::Client,
    pub(crate) settings: AwsSettings,
    pub(crate) region: String,
    pub(crate) iam_endpoint: String,
    pub(crate) sts_endpoint: String,
    pub(crate) counts: Arc<Mutex<CallCounts>>,
    pub(crate) identity: tokio::sync::OnceCell<CallerIdentity>,
    /// The account-wide reads of the last snapshot refresh, for data sources read in the same
    /// run; forgotten at the first change this provider makes.
    pub(crate) snapshot: Mutex<Option<Arc<refresh::Snapshot>>>,
}

impl fmt::Debug for AwsProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsProvider")
            .field("region", &self.region)
            .field("iam_endpoint", &self.iam_endpoint)
            .field("sts_endpoint", &self.sts_endpoint)
            .field("allowed_account_ids", &self.settings.allowed_account_ids)
            .field(
                "forbidden_account_ids",
                &self.settings.forbidden_account_ids,
            )
            .finish_non_exhaustive()
    }
}

fn unsupported(call: &str, type_name: &str) -> ProviderError {
    ProviderError::new(
        ErrorKind::InvalidInput,
        call,
        format!("resource type {type_name} is not managed by the aws provider"),
    )
}

impl AwsProvider {
    /// The settings in use (credentials are never kept here).
    pub fn settings(&self) -> &AwsSettings {
        &self.settings
    }

    /// Where IAM requests go (for messages).
    pub fn iam_endpoint(&self) -> &str {
        &self.iam_endpoint
    }
}

#[async_trait]
impl Provider for AwsProvider {
    async fn caller_identity(&self) -> Result<CallerIdentity, ProviderError> {
        self.checked_identity().await.cloned()
    }

    fn region(&self) -> String {
        self.region.clone()
    }

    async fn read_data_source(
        &self,
        type_name: &str,
        args: &Value,
    ) -> Result<Value, ProviderError> {
        self.data_source(type_name, args).await
    }

    async fn refresh(
        &self,
        items: &[RefreshItem],
    ) -> Result<Vec<Result<Option<Value>, ProviderError>>, ProviderError> {
        self.refresh_items(items).await
    }

    async fn create(&self, type_name: &str, planned: &Value) -> Result<Value, ProviderError> {
        self.checked_identity().await?;
        self.forget_snapshot();
        match type_name {
            "aws_iam_role" => self.create_role(planned).await,
            "aws_iam_policy" => self.create_policy(planned).await,
            "aws_iam_role_policy_attachment" => self.create_attachment(planned).await,
            "aws_iam_role_policy" => self.create_inline(planned).await,
            "aws_iam_instance_profile" => self.create_profile(planned).await,
            other => Err(unsupported("aiu:create", other)),
        }
    }

    async fn update(
        &self,
        type_name: &str,
        prior: &Value,
        planned: &Value,
    ) -> Result<Value, ProviderError> {
        self.checked_identity().await?;
        self.forget_snapshot();
        match type_name {
            "aws_iam_role" => self.update_role(prior, planned).await,
            "aws_iam_policy" => self.update_policy(prior, planned).await,
            // Every argument forces replacement: nothing to change in place.
            "aws_iam_role_policy_attachment" => {
                let (role, arn) = self.attachment_keys(planned)?;
                Ok(attachment::attachment_value(role, arn))
            }
            "aws_iam_role_policy" => self.update_inline(prior, planned).await,
            "aws_iam_instance_profile" => self.update_profile(prior, planned).await,
            other => Err(unsupported("aiu:update", other)),
        }
    }

    async fn delete(&self, type_name: &str, prior: &Value) -> Result<(), ProviderError> {
        self.checked_identity().await?;
        self.forget_snapshot();
        match type_name {
            "aws_iam_role" => self.delete_role(prior).await,
            "aws_iam_policy" => self.delete_policy(prior).await,
            "aws_iam_role_policy_attachment" => self.delete_attachment(prior).await,
            "aws_iam_role_policy" => self.delete_inline(prior).await,
            "aws_iam_instance_profile" => self.delete_profile(prior).await,
            other => Err(unsupported("aiu:delete", other)),
        }
    }

    async fn import(&self, type_name: &str, id: &str) -> Result<Option<Value>, ProviderError> {
        self.import_by_id(type_name, id).await
    }

    async fn find_by_name(
        &self,
        type_name: &str,
        planned: &Value,
    ) -> Result<Option<Value>, ProviderError> {
        self.find_by_planned_name(type_name, planned).await
    }

    fn call_counts(&self) -> CallCounts {
        self.counts_snapshot()
    }
}
