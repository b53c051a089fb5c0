//! Remote state on S3 ([`S3Backend`], `backend "s3" { ... }`): state read and written with
//! conditional requests, locked with a lock object (Terraform's `use_lockfile` scheme).
//!
//! - **Read**: `GetObject`; the object's ETag is remembered. A missing object is "no state
//!   yet"; a corrupt, truncated, future-version or inconsistent object is an error naming the
//!   `s3://` URL.
//! - **Write**: the current object is read again and checked exactly like the local backend
//!   does (unreadable -> refused, other lineage -> refused, higher serial -> refused, same
//!   content -> nothing written, changed content -> `serial` bumped). If the object changed
//!   since this backend last read it, or if the `PutObject` — sent with `If-Match: <ETag last
//!   read>`, or `If-None-Match: *` when there was no object — is refused with 412, the error is
//!   [`StateError::ConcurrentWrite`] and nothing is overwritten. A write without an earlier
//!   read (`state push`, migration) is conditioned on the ETag it reads itself.
//! - **Lock**: `PutObject` of `<key>.tflock` with `If-None-Match: *` and the [`LockInfo`] JSON
//!   as body. 412 -> [`StateError::Locked`] naming the holder read from the lock object. The
//!   guard deletes the lock object when dropped (if it still holds our ID).
//!   [`S3Backend::force_unlock`] deletes it when the given ID matches.
//! - **Workspaces**: the default workspace uses `key`; workspace `w` uses
//!   `<workspace_key_prefix>/w/<key>` (Terraform's layout, prefix `env:` by default).
//! - **Versioning**: the bucket should have versioning enabled so every earlier state can be
//!   restored; [`S3Backend::check_bucket`] returns a warning when it is not.
//!
//! [`StateBackend`] is synchronous. All S3 requests run on a small runtime owned by the
//! backend (one worker thread), so the backend works from plain threads, from inside a
//! multi-thread tokio runtime (the caller's worker is released with `block_in_place`) and from
//! a current-thread runtime, and pooled connections are always driven by a running runtime.
//!
//! Credentials are handed to the SDK and never kept, printed or put in errors.

use std::fmt;
use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aiu_state::{LockGuard, LockInfo, State, StateBackend, StateError};
use aws_config::retry::RetryConfig;
use aws_config::Region;
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;

use crate::errors::error_chain;
use crate::settings::StaticCredentials;

/// Settings of `backend "s3" { ... }`. `Default` gives empty bucket/key (which
/// [`S3Backend::connect`] refuses), prefix `env:`, virtual-hosted addressing, the standard
/// credential chain and 5 attempts per request.
#[derive(Clone, Debug)]
pub struct S3BackendSettings {
    /// `bucket`: the bucket holding the state. It must exist (and should be versioned).
    pub bucket: String,
    /// `key`: the object key of the default workspace's state, e.g. `iam/terraform.tfstate`.
    pub key: String,
    /// `region`; otherwise `AWS_REGION` / the profile; otherwise `us-east-1`.
    pub region: Option<String>,
    /// `endpoint` (or `endpoints { s3 = ... }`); otherwise the SDK reads
    /// `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL`.
    pub endpoint: Option<String>,
    /// `profile`: a named profile of the shared config files; otherwise `AWS_PROFILE`.
    pub profile: Option<String>,
    /// `use_path_style`: `http://endpoint/bucket/key` instead of `http://bucket.endpoint/key`
    /// (needed for moto and most S3-compatible servers on loopback).
    pub use_path_style: bool,
    /// `workspace_key_prefix`: non-default workspaces live at `<prefix>/<name>/<key>`.
    pub workspace_key_prefix: String,
    /// Explicit credentials (tests, `access_key` / `secret_key`); `None` = the standard chain.
    pub credentials: Option<StaticCredentials>,
    /// Attempts per request for throttling / 5xx / connection errors (SDK standard retry).
    pub max_attempts: u32,
    /// First backoff of the SDK retry.
    pub initial_backoff: Duration,
    /// Connect timeout of one attempt.
    pub connect_timeout: Duration,
}

impl Default for S3BackendSettings {
    fn default() -> Self {
        S3BackendSettings {
            bucket: String::new(),
            key: String::new(),
            region: None,
            endpoint: None,
            profile: None,
            use_path_style: false,
            workspace_key_prefix: "env:".to_owned(),
            credentials: None,
            max_attempts: 5,
            initial_backoff: Duration::from_millis(200),
            connect_timeout: Duration::from_secs(10),
        }
    }
}

/// What is shared by the backends of every workspace: the runtime and the client.
struct Shared {
    runtime: Option<tokio::runtime::Runtime>,
    client: aws_sdk_s3::Client,
    bucket: String,
    key: String,
    workspace_key_prefix: String,
    region: String,
    endpoint: String,
}

impl Drop for Shared {
    fn drop(&mut self) {
        // Dropping a runtime blocks, which panics inside an async context; this does not.
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

impl Shared {
    /// Runs `fut` on the backend's runtime and waits for it, from any kind of thread.
    fn run<F>(&self, fut: F) -> F::Output
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        run_on(
            self.runtime
                .as_ref()
                .expect("the runtime lives as long as the backend"),
            fut,
        )
    }
}

fn run_on<F>(rt: &tokio::runtime::Runtime, fut: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    rt.spawn(async move {
        let _ = tx.send(fut.await);
    });
    let wait = move || rx.recv().expect("the S3 request task finished");
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(wait)
        }
        // Plain threads and current-thread runtimes: block this thread; the request runs on
        // the backend's own worker, so nothing waits for this thread.
        _ => wait(),
    }
}

/// What this backend last saw of its state object; the precondition of its next write.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Seen {
    /// Not read yet: a write is conditioned on what it reads itself.
    Unknown,
    /// Read, and there was no object.
    Absent,
    /// Read (or written) with this ETag.
    ETag(String),
}

/// State in one S3 object (one workspace). Cheap to derive other workspaces from with
/// [`S3Backend::for_workspace`]; they share the client.
pub struct S3Backend {
    shared: Arc<Shared>,
    key: String,
    workspace: String,
    seen: Mutex<Seen>,
}

impl fmt::Debug for S3Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Backend")
            .field("bucket", &self.shared.bucket)
            .field("key", &self.key)
            .field("workspace", &self.workspace)
            .field("region", &self.shared.region)
            .field("endpoint", &self.shared.endpoint)
            .finish_non_exhaustive()
    }
}

fn invalid(message: impl Into<String>) -> StateError {
    StateError::Remote {
        what: "configuring the s3 backend".to_owned(),
        message: message.into(),
    }
}

/// The key of `workspace`'s state: `key` for `default`, else `<prefix>/<workspace>/<key>`.
pub fn workspace_key(prefix: &str, key: &str, workspace: &str) -> String {
    if workspace == "default" {
        key.to_owned()
    } else {
        format!("{prefix}/{workspace}/{key}")
    }
}

impl S3Backend {
    /// Builds the S3 client from `settings` and the standard AWS configuration chain, for the
    /// default workspace. Makes no request (see [`S3Backend::check_bucket`]). Refuses an empty
    /// bucket or key, a key ending in `/`, and an endpoint that is not an http(s) URL.
    pub fn connect(mut settings: S3BackendSettings) -> Result<S3Backend, StateError> {
        if settings.bucket.trim().is_empty() {
            return Err(invalid("`bucket` is required"));
        }
        if settings.key.trim().is_empty() {
            return Err(invalid(
                "`key` is required (the object key of the state, e.g. \"iam/terraform.tfstate\")",
            ));
        }
        if settings.key.starts_with('/') || settings.key.ends_with('/') {
            return Err(invalid(format!(
                "`key` = {:?} must not start or end with \"/\"",
                settings.key
            )));
        }
        if settings.workspace_key_prefix.starts_with('/')
            || settings.workspace_key_prefix.ends_with('/')
        {
            return Err(invalid(format!(
                "`workspace_key_prefix` = {:?} must not start or end with \"/\"",
                settings.workspace_key_prefix
            )));
        }
        if let Some(u) = &settings.endpoint {
            if !(u.starts_with("http://") || u.starts_with("https://")) {
                return Err(invalid(format!(
                    "`endpoint` = {u:?} is not an http:// or https:// URL"
                )));
            }
        }
        if settings.max_attempts == 0 {
            return Err(invalid("max_attempts must be at least 1"));
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("aiu-s3-backend")
            .enable_all()
            .build()
            .map_err(|e| invalid(format!("could not start the runtime for S3 requests: {e}")))?;

        let credentials = settings.credentials.take();
        let s = settings.clone();
        let client = run_on(&runtime, async move {
            let retry = RetryConfig::standard()
                .with_max_attempts(s.max_attempts)
                .with_initial_backoff(s.initial_backoff)
                .with_max_backoff(Duration::from_secs(20));
            let sdk = crate::client::load_sdk_config(crate::client::SdkOptions {
                retry,
                connect_timeout: s.connect_timeout,
                profile: s.profile.as_deref(),
                region: s.region.as_deref(),
                credentials,
            })
            .await;
            let region = sdk
                .region()
                .map_or_else(|| "us-east-1".to_owned(), |r| r.to_string());
            let mut conf = aws_sdk_s3::config::Builder::from(&sdk)
                .region(Region::new(region.clone()))
                .force_path_style(s.use_path_style);
            if let Some(e) = &s.endpoint {
                conf = conf.endpoint_url(e);
            }
            (aws_sdk_s3::Client::from_conf(conf.build()), region)
        });
        let (client, region) = client;
        let endpoint = settings
            .endpoint
            .clone()
            .or_else(|| {
                std::env::var("AWS_ENDPOINT_URL_S3")
                    .ok()
                    .filter(|s| !s.is_empty())
            })
            .or_else(|| {
                std::env::var("AWS_ENDPOINT_URL")
                    .ok()
                    .filter(|s| !s.is_empty())
            })
            .unwrap_or_else(|| format!("https://s3.{region}.amazonaws.com"));
        let shared = Arc::new(Shared {
            runtime: Some(runtime),
            client,
            bucket: settings.bucket.clone(),
            key: settings.key.clone(),
            workspace_key_prefix: settings.workspace_key_prefix.clone(),
            region,
            endpoint,
        });
        Ok(S3Backend {
            key: settings.key,
            shared,
            workspace: "default".to_owned(),
            seen: Mutex::new(Seen::Unknown),
        })
    }

    /// The backend of workspace `name` in the same bucket (`default` = the configured key,
    /// else `<workspace_key_prefix>/<name>/<key>`). Refuses names that would escape the
    /// layout (empty, containing `/`).
    pub fn for_workspace(&self, name: &str) -> Result<S3Backend, StateError> {
        if name.is_empty() || name.contains('/') {
            return Err(invalid(format!(
                "workspace name {name:?} must be non-empty and contain no \"/\""
            )));
        }
        Ok(S3Backend {
            shared: self.shared.clone(),
            key: workspace_key(&self.shared.workspace_key_prefix, &self.shared.key, name),
            workspace: name.to_owned(),
            seen: Mutex::new(Seen::Unknown),
        })
    }

    pub fn bucket(&self) -> &str {
        &self.shared.bucket
    }

    /// The object key of this workspace's state.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The object key of this workspace's lock: `<key>.tflock`.
    pub fn lock_key(&self) -> String {
        format!("{}.tflock", self.key)
    }

    pub fn workspace(&self) -> &str {
        &self.workspace
    }

    /// The region requests are signed for.
    pub fn region(&self) -> &str {
        &self.shared.region
    }

    /// Where requests go (for messages).
    pub fn endpoint(&self) -> &str {
        &self.shared.endpoint
    }

    /// `s3://bucket/key`.
    pub fn url(&self) -> String {
        format!("s3://{}/{}", self.shared.bucket, self.key)
    }

    fn lock_url(&self) -> String {
        format!("s3://{}/{}", self.shared.bucket, self.lock_key())
    }

    fn remote_error<E>(&self, call: &str, url: &str, err: SdkError<E, HttpResponse>) -> StateError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        remote_error(call, url, &self.shared.endpoint, &self.shared.bucket, err)
    }

    /// Checks that the bucket is reachable, and returns a warning when its versioning is not
    /// enabled (without versioning an overwritten or deleted state cannot be restored).
    pub fn check_bucket(&self) -> Result<Option<String>, StateError> {
        let client = self.shared.client.clone();
        let bucket = self.shared.bucket.clone();
        let out = self
            .shared
            .run(async move { client.get_bucket_versioning().bucket(bucket).send().await });
        let status = match out {
            Ok(v) => v.status().map(|s| s.as_str().to_owned()),
            // moto answers 200 with a `GetBucketVersioningResponse` root the SDK does not
            // parse; read the `Status` element from the body ourselves.
            Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 200) => {
                let body = e
                    .raw_response()
                    .and_then(|r| r.body().bytes())
                    .map(|b| String::from_utf8_lossy(b).into_owned());
                body.as_deref().and_then(|b| {
                    let start = b.find("<Status>")? + "<Status>".len();
                    let len = b[start..].find("</Status>")?;
                    Some(b[start..start + len].trim().to_owned())
                })
            }
            Err(e) => {
                return Err(self.remote_error(
                    "s3:GetBucketVersioning",
                    &format!("s3://{}", self.shared.bucket),
                    e,
                ))
            }
        };
        if status.as_deref() == Some("Enabled") {
            return Ok(None);
        }
        let state = if status.as_deref() == Some("Suspended") {
            "suspended"
        } else {
            "not enabled"
        };
        let bucket = &self.shared.bucket;
        Ok(Some(format!(
            "versioning is {state} on S3 bucket {bucket}, which holds the state; enable it (aws s3api put-bucket-versioning --bucket {bucket} --versioning-configuration Status=Enabled) so earlier versions of the state can be restored"
        )))
    }

    /// The bytes and ETag of `key`, `None` when there is no such object.
    fn get_raw(&self, key: &str, url: &str) -> Result<Option<(Vec<u8>, String)>, StateError> {
        let client = self.shared.client.clone();
        let bucket = self.shared.bucket.clone();
        let key = key.to_owned();
        let out = self.shared.run(async move {
            let out = client.get_object().bucket(bucket).key(key).send().await?;
            let etag = out.e_tag().unwrap_or_default().to_owned();
            let body = out.body.collect().await.map(|b| b.into_bytes().to_vec());
            Ok::<_, SdkError<aws_sdk_s3::operation::get_object::GetObjectError, HttpResponse>>((
                body, etag,
            ))
        });
        match out {
            Ok((Ok(bytes), etag)) => Ok(Some((bytes, etag))),
            Ok((Err(e), _)) => Err(StateError::Remote {
                what: format!("s3:GetObject on {url}"),
                message: format!("reading the object's content failed: {}", error_chain(&e)),
            }),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_no_such_key() || s.code() == Some("NoSuchKey")) =>
            {
                Ok(None)
            }
            Err(e) => Err(self.remote_error("s3:GetObject", url, e)),
        }
    }

    /// `PutObject` with a precondition: `Some(etag)` = `If-Match`, `None` = `If-None-Match: *`.
    /// `Ok(Err(()))` when the precondition failed (412, or 409 for a concurrent conditional
    /// request).
    fn put_conditional(
        &self,
        key: &str,
        url: &str,
        body: Vec<u8>,
        if_match: Option<String>,
    ) -> Result<Result<String, ()>, StateError> {
        let client = self.shared.client.clone();
        let bucket = self.shared.bucket.clone();
        let key = key.to_owned();
        let out = self.shared.run(async move {
            let req = client
                .put_object()
                .bucket(bucket)
                .key(key)
                .content_type("application/json")
                .body(ByteStream::from(body));
            let req = match if_match {
                Some(etag) => req.if_match(etag),
                None => req.if_none_match("*"),
            };
            req.send().await
        });
        match out {
            Ok(o) => Ok(Ok(o.e_tag().unwrap_or_default().to_owned())),
            Err(e) if precondition_failed(&e) => Ok(Err(())),
            Err(e) => Err(self.remote_error("s3:PutObject", url, e)),
        }
    }

    fn delete_raw(&self, key: &str, url: &str) -> Result<(), StateError> {
        let client = self.shared.client.clone();
        let bucket = self.shared.bucket.clone();
        let key = key.to_owned();
        self.shared
            .run(async move { client.delete_object().bucket(bucket).key(key).send().await })
            .map(|_| ())
            .map_err(|e| self.remote_error("s3:DeleteObject", url, e))
    }

    fn parse(&self, bytes: &[u8]) -> Result<State, StateError> {
        let url = self.url();
        let text = std::str::from_utf8(bytes).map_err(|e| StateError::Malformed {
            source_name: url.clone(),
            message: format!("the object is not UTF-8 text ({e})"),
            location: String::new(),
        })?;
        State::from_json_str(text, &url)
    }

    fn seen(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.seen.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The stored state, `None` when the object does not exist. Remembers the object's ETag
    /// as the precondition of the next [`S3Backend::write`].
    pub fn read(&self) -> Result<Option<State>, StateError> {
        let mut seen = self.seen();
        match self.get_raw(&self.key, &self.url())? {
            None => {
                *seen = Seen::Absent;
                Ok(None)
            }
            Some((bytes, etag)) => {
                let state = self.parse(&bytes)?;
                *seen = Seen::ETag(etag);
                Ok(Some(state))
            }
        }
    }

    /// Stores `state` with the same rules as the local backend (see the module doc), refusing
    /// a concurrent writer with [`StateError::ConcurrentWrite`].
    pub fn write(&self, state: &mut State) -> Result<(), StateError> {
        self.write_checked(state, false)
    }

    /// `state push -force`: stores `state` as it is, without the lineage and serial checks (an
    /// unreadable object is still refused, and so is a concurrent writer).
    pub fn write_force(&self, state: &mut State) -> Result<(), StateError> {
        self.write_checked(state, true)
    }

    fn write_checked(&self, state: &mut State, force: bool) -> Result<(), StateError> {
        let url = self.url();
        state.normalize();
        state.check_integrity().map_err(|e| match e {
            StateError::Integrity { problems, .. } => StateError::Integrity {
                source_name: format!("being written to {url}"),
                problems,
            },
            other => other,
        })?;

        let mut seen = self.seen();
        let current = self.get_raw(&self.key, &url)?;
        // The object must still be the one this backend last saw.
        let precondition = match (&*seen, &current) {
            (Seen::Unknown, None) | (Seen::Absent, None) => None,
            (Seen::Unknown, Some((_, etag))) => Some(etag.clone()),
            (Seen::ETag(ours), Some((_, etag))) if ours == etag => Some(etag.clone()),
            _ => return Err(StateError::ConcurrentWrite { what: url }),
        };

        let previous = match &current {
            None => None,
            Some((bytes, _)) => {
                Some(
                    self.parse(bytes)
                        .map_err(|cause| StateError::CorruptRemote {
                            what: url.clone(),
                            cause: Box::new(cause),
                        })?,
                )
            }
        };

        let new_serial = match &previous {
            None => state.serial.max(1),
            Some(_) if force => state.serial.max(1),
            Some(remote) => {
                if remote.lineage != state.lineage {
                    return Err(StateError::LineageMismatch {
                        path: PathBuf::from(&url),
                        on_disk: remote.lineage.clone(),
                        ours: state.lineage.clone(),
                    });
                }
                if remote.serial > state.serial {
                    return Err(StateError::StaleSerial {
                        path: PathBuf::from(&url),
                        on_disk: remote.serial,
                        ours: state.serial,
                    });
                }
                let same = remote.same_content_as(state);
                if same && remote.serial == state.serial {
                    if let Some(etag) = precondition {
                        *seen = Seen::ETag(etag);
                    }
                    return Ok(());
                }
                if !same && state.serial == remote.serial {
                    remote.serial + 1
                } else {
                    state.serial
                }
            }
        };

        let old_serial = state.serial;
        let old_version =
            std::mem::replace(&mut state.aiu_version, aiu_state::AIU_VERSION.to_owned());
        state.serial = new_serial;
        let body = state.to_json_string().into_bytes();
        let result = match self.put_conditional(&self.key, &url, body.clone(), precondition) {
            Ok(Ok(etag)) => Ok(etag),
            Ok(Err(())) => {
                // A retried request whose first attempt succeeded also fails its precondition:
                // if the object holds exactly what we wrote, the write went through.
                match self.get_raw(&self.key, &url) {
                    Ok(Some((bytes, etag))) if bytes == body => Ok(etag),
                    _ => Err(StateError::ConcurrentWrite { what: url.clone() }),
                }
            }
            Err(e) => Err(e),
        };
        match result {
            Ok(etag) => {
                *seen = Seen::ETag(etag);
                Ok(())
            }
            Err(e) => {
                state.serial = old_serial;
                state.aiu_version = old_version;
                Err(e)
            }
        }
    }

    /// The lock object's content, `None` when there is no lock. `Err(text)` when it is not
    /// lock info.
    fn read_lock(&self) -> Result<Option<Result<LockInfo, String>>, StateError> {
        Ok(self
            .get_raw(&self.lock_key(), &self.lock_url())?
            .map(|(bytes, _)| {
                serde_json::from_slice::<LockInfo>(&bytes).map_err(|e| format!("{e}"))
            }))
    }

    /// Creates the lock object `<key>.tflock` (`If-None-Match: *`); `StateError::Locked`
    /// names the holder when it exists.
    pub fn lock_with_info(&self, mut info: LockInfo) -> Result<S3Lock, StateError> {
        info.path = self.url();
        let body = serde_json::to_vec_pretty(&info).unwrap_or_default();
        let lock_key = self.lock_key();
        let locked = |holder| StateError::Locked {
            what: format!("state {}", self.url()),
            holder,
        };
        match self.put_conditional(&lock_key, &self.lock_url(), body, None)? {
            Ok(_) => Ok(S3Lock {
                shared: self.shared.clone(),
                key: lock_key,
                url: self.lock_url(),
                info,
            }),
            Err(()) => match self.read_lock()? {
                // Our own request, retried after a first attempt that succeeded.
                Some(Ok(holder)) if holder.id == info.id => Ok(S3Lock {
                    shared: self.shared.clone(),
                    key: lock_key,
                    url: self.lock_url(),
                    info,
                }),
                Some(Ok(holder)) => Err(locked(Some(holder))),
                _ => Err(locked(None)),
            },
        }
    }

    /// Deletes the lock object if its ID is `id`.
    pub fn force_unlock(&self, id: &str) -> Result<(), StateError> {
        let what = format!("state {}", self.url());
        match self.read_lock()? {
            None => Err(StateError::Unlock {
                what,
                reason: format!("it is not locked (there is no lock object {})", self.lock_url()),
            }),
            Some(Ok(holder)) if holder.id == id => self.delete_raw(&self.lock_key(), &self.lock_url()),
            Some(Ok(holder)) => Err(StateError::Unlock {
                what,
                reason: format!("the current lock has ID {}, not {id} (held by {}, since {})", holder.id, holder.who, holder.created),
            }),
            Some(Err(e)) => Err(StateError::Unlock {
                what,
                reason: format!(
                    "the lock object {} does not hold lock info ({e}); make sure no aiu run is using this state, then delete the object by hand",
                    self.lock_url()
                ),
            }),
        }
    }

    /// The workspaces that have a state object: `default` always, then every `<name>` with an
    /// object `<workspace_key_prefix>/<name>/<key>`, sorted.
    pub fn workspaces(&self) -> Result<Vec<String>, StateError> {
        let client = self.shared.client.clone();
        let bucket = self.shared.bucket.clone();
        let prefix = format!("{}/", self.shared.workspace_key_prefix);
        let p = prefix.clone();
        let keys = self.shared.run(async move {
            let mut keys = Vec::new();
            let mut pages = client
                .list_objects_v2()
                .bucket(bucket)
                .prefix(p)
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                let page = page?;
                keys.extend(
                    page.contents()
                        .iter()
                        .filter_map(|o| o.key().map(str::to_owned)),
                );
            }
            Ok::<
                _,
                SdkError<aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Error, HttpResponse>,
            >(keys)
        });
        let keys = keys.map_err(|e| {
            self.remote_error(
                "s3:ListObjectsV2",
                &format!("s3://{}/{prefix}", self.shared.bucket),
                e,
            )
        })?;
        let suffix = format!("/{}", self.shared.key);
        let mut names: Vec<String> = keys
            .iter()
            .filter_map(|k| {
                k.strip_prefix(&prefix)?
                    .strip_suffix(&suffix)
                    .map(str::to_owned)
            })
            .filter(|n| !n.is_empty() && !n.contains('/') && n != "default")
            .collect();
        names.sort();
        names.dedup();
        names.insert(0, "default".to_owned());
        Ok(names)
    }

    /// Deletes this workspace's state object (`workspace delete`). The caller checks that the
    /// state is empty (or that `-force` was given) and holds the lock.
    pub fn delete_state(&self) -> Result<(), StateError> {
        let mut seen = self.seen();
        self.delete_raw(&self.key, &self.url())?;
        *seen = Seen::Absent;
        Ok(())
    }
}

/// True for a refused precondition: 412, or 409 (S3's answer to a conditional request racing
/// another one on the same key).
fn precondition_failed<E: ProvideErrorMetadata>(e: &SdkError<E, HttpResponse>) -> bool {
    let status = e.raw_response().map(|r| r.status().as_u16());
    let code = e.as_service_error().and_then(|s| s.code());
    status == Some(412)
        || status == Some(409)
        || matches!(
            code,
            Some("PreconditionFailed") | Some("ConditionalRequestConflict")
        )
}

fn remote_error<E>(
    call: &str,
    url: &str,
    endpoint: &str,
    bucket: &str,
    err: SdkError<E, HttpResponse>,
) -> StateError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let chain = error_chain(&err);
    let status = err.raw_response().map(|r| r.status().as_u16());
    let (code, msg) = match err.as_service_error() {
        Some(s) => (s.code().map(str::to_owned), s.message().map(str::to_owned)),
        None => (None, None),
    };
    let said = match (&code, &msg) {
        (Some(c), Some(m)) => format!("{c}: {m}"),
        (Some(c), None) => c.clone(),
        (None, Some(m)) => m.clone(),
        (None, None) => match status {
            Some(s) => format!("HTTP {s} from {endpoint}: {chain}"),
            None => format!("request to {endpoint} failed: {chain}"),
        },
    };
    let hint = match code.as_deref() {
        Some("NoSuchBucket") => Some(format!("the bucket {bucket} does not exist (or is in another region/endpoint); create it, with versioning enabled, before using it for state")),
        Some("AccessDenied") | Some("AllAccessDisabled") => Some(format!(
            "the caller needs s3:ListBucket on the bucket and s3:GetObject, s3:PutObject, s3:DeleteObject on the state and its .tflock object (`{call}` was denied)"
        )),
        Some("InvalidAccessKeyId") | Some("SignatureDoesNotMatch") | Some("ExpiredToken") | Some("InvalidToken") => Some(
            "check the AWS credentials: environment (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN), AWS_PROFILE or the backend's profile".to_owned(),
        ),
        Some("PermanentRedirect") | Some("AuthorizationHeaderMalformed") | Some("IllegalLocationConstraintException") => {
            Some(format!("the bucket {bucket} is in another region; set `region` in the backend \"s3\" block"))
        }
        _ => match &err {
            SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => Some(format!(
                "could not reach {endpoint}: check `endpoint` / AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL, `use_path_style`, and the network"
            )),
            SdkError::ConstructionFailure(_) if chain.to_ascii_lowercase().contains("credential") => {
                Some("no usable AWS credentials: set them in the environment, a profile, or the backend block".to_owned())
            }
            _ => None,
        },
    };
    StateError::Remote {
        what: format!("{call} on {url}"),
        message: match hint {
            Some(h) => format!("{said}\n  hint: {h}"),
            None => said,
        },
    }
}

/// The S3 lock: deletes `<key>.tflock` when dropped if it still holds this lock's ID.
pub struct S3Lock {
    shared: Arc<Shared>,
    key: String,
    url: String,
    info: LockInfo,
}

impl fmt::Debug for S3Lock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Lock")
            .field("url", &self.url)
            .field("info", &self.info)
            .finish()
    }
}

impl S3Lock {
    /// `s3://bucket/key.tflock`.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl LockGuard for S3Lock {
    fn info(&self) -> &LockInfo {
        &self.info
    }
}

impl Drop for S3Lock {
    fn drop(&mut self) {
        // Best effort: a lock left behind is reported with its holder and removed with
        // `aiu force-unlock <ID>`.
        let client = self.shared.client.clone();
        let bucket = self.shared.bucket.clone();
        let key = self.key.clone();
        let id = self.info.id.clone();
        let _ = self.shared.run(async move {
            let out = client
                .get_object()
                .bucket(&bucket)
                .key(&key)
                .send()
                .await
                .ok()?;
            let bytes = out.body.collect().await.ok()?.into_bytes();
            let holder: LockInfo = serde_json::from_slice(&bytes).ok()?;
            if holder.id != id {
                return None;
            }
            client
                .delete_object()
                .bucket(&bucket)
                .key(&key)
                .send()
                .await
                .ok()
        });
    }
}

impl StateBackend for S3Backend {
    fn describe(&self) -> String {
        self.url()
    }

    fn read(&self) -> Result<Option<State>, StateError> {
        S3Backend::read(self)
    }

    fn write(&self, state: &mut State) -> Result<(), StateError> {
        S3Backend::write(self, state)
    }

    fn lock(&self, info: LockInfo) -> Result<Box<dyn LockGuard>, StateError> {
        Ok(Box::new(self.lock_with_info(info)?))
    }

    fn force_unlock(&self, id: &str) -> Result<(), StateError> {
        S3Backend::force_unlock(self, id)
    }
}
