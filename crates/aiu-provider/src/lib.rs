//! The seam between the engine and a cloud: the [`Provider`] trait, in model types, with error
//! kinds that retry and reporting decisions are made on (never message strings).
//!
//! Architecture invariant: nothing here knows the AWS SDK. `aiu-aws` implements the trait for
//! real IAM; [`memory::MemoryIam`] implements it in memory for lifecycle tests.

use aiu_model::{InstanceAddress, Value};
use async_trait::async_trait;
use std::fmt;

pub mod memory;

/// What kind of failure a provider call met. Decides retries and how errors are explained.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The object does not exist (NoSuchEntity).
    NotFound,
    /// A name is already taken (EntityAlreadyExists).
    AlreadyExists,
    /// The account's request rate was exceeded (Throttling); retryable.
    Throttled,
    /// A 5xx answer, a dropped connection or a timeout; retryable.
    Transient,
    /// Credentials missing, expired or invalid.
    Credentials,
    /// The caller may not perform the call.
    AccessDenied,
    /// The request was rejected as invalid (MalformedPolicyDocument, ValidationError...).
    InvalidInput,
    /// The object is in use (DeleteConflict) or being changed (ConcurrentModification).
    Conflict,
    /// A quota was reached (LimitExceeded).
    LimitExceeded,
    /// The endpoint could not be reached at all.
    Unreachable,
    /// The account is not one this configuration may touch.
    AccountNotAllowed,
    /// Anything else.
    Other,
}

/// A failed provider call: which call, what the service said, and what to do about it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ProviderError {
    pub kind: ErrorKind,
    /// The API call that failed, e.g. `iam:CreateRole`.
    pub call: String,
    /// What the service (or the transport) said.
    pub message: String,
    /// A hint for the user, when there is a useful one.
    pub hint: Option<String>,
}

impl ProviderError {
    pub fn new(kind: ErrorKind, call: impl Into<String>, message: impl Into<String>) -> Self {
        ProviderError {
            kind,
            call: call.into(),
            message: message.into(),
            hint: None,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn is_retryable(&self) -> bool {
        matches!(self.kind, ErrorKind::Throttled | ErrorKind::Transient)
    }
}

impl fmt::Display for ProviderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} failed ({:?}): {}",
            self.call, self.kind, self.message
        )?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  {hint}")?;
        }
        Ok(())
    }
}

/// The identity of the caller, from sts:GetCallerIdentity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallerIdentity {
    pub account_id: String,
    pub arn: String,
    pub user_id: String,
}

/// One instance to refresh: its address, type and the attributes recorded in state.
#[derive(Clone, Debug, PartialEq)]
pub struct RefreshItem {
    pub address: InstanceAddress,
    pub type_name: String,
    pub state: Value,
}

/// Counts of API calls made so far, by action name (e.g. `iam:GetRole`), for call-count
/// reports and tests.
pub type CallCounts = std::collections::BTreeMap<String, u64>;

/// A cloud that can read and change the resource types of `aiu_model::schema`.
///
/// Attribute values are `Value::Object`s shaped by the type's schema: every argument and every
/// computed attribute. Policy documents are JSON strings (URL-decoded).
#[async_trait]
pub trait Provider: Send + Sync {
    /// Who is calling, and in which account. Also checks `allowed_account_ids`.
    async fn caller_identity(&self) -> Result<CallerIdentity, ProviderError>;

    /// The region calls go to (for `data "aws_region"`).
    fn region(&self) -> String;

    /// Reads a data source (`aws_caller_identity`, `aws_region`, `aws_iam_role`, `aws_iam_policy`)
    /// given its evaluated arguments; returns arguments plus computed attributes.
    async fn read_data_source(&self, type_name: &str, args: &Value)
        -> Result<Value, ProviderError>;

    /// Reads the live attributes of many instances. The outer error is a failure of the whole
    /// read (e.g. credentials); each inner result is one item: `Ok(None)` when the object was
    /// deleted outside aiu. Implementations should batch (one account-wide read for many items).
    async fn refresh(
        &self,
        items: &[RefreshItem],
    ) -> Result<Vec<Result<Option<Value>, ProviderError>>, ProviderError>;

    /// Creates an object from planned attributes (computed ones are `Value::Unknown`) and
    /// returns every attribute as created.
    async fn create(&self, type_name: &str, planned: &Value) -> Result<Value, ProviderError>;

    /// Changes an object in place from `prior` to `planned` and returns every attribute.
    async fn update(
        &self,
        type_name: &str,
        prior: &Value,
        planned: &Value,
    ) -> Result<Value, ProviderError>;

    /// Deletes an object (and what must go first for IAM to allow it).
    async fn delete(&self, type_name: &str, prior: &Value) -> Result<(), ProviderError>;

    /// Looks an existing object up by its import id (role name, policy ARN, `role/arn`,
    /// `role:name`, profile name); `Ok(None)` when it does not exist.
    async fn import(&self, type_name: &str, id: &str) -> Result<Option<Value>, ProviderError>;

    /// Looks up an object by the name a create would give it, to resolve a pending create
    /// after a crash. Default: the same as `import` by that name.
    async fn find_by_name(
        &self,
        type_name: &str,
        planned: &Value,
    ) -> Result<Option<Value>, ProviderError>;

    /// API calls made so far, by action.
    fn call_counts(&self) -> CallCounts;
}
