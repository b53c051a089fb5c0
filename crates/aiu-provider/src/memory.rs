//! An in-memory IAM account implementing [`Provider`], with fault injection (fail the Nth
//! mutating call, throttle, delay). For unit and lifecycle tests of the engine only: end-to-end
//! tests use the real AWS provider against moto.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::time::Duration;

use aiu_model::Value;
use async_trait::async_trait;

use crate::{CallCounts, CallerIdentity, ErrorKind, Provider, ProviderError, RefreshItem};

const ACCOUNT: &str = "123456789012";

#[derive(Clone, Debug, Default)]
struct Account {
    /// Objects by type name, then by id (`id` attribute).
    objects: BTreeMap<String, BTreeMap<String, Value>>,
    next_unique: u64,
}

/// Faults to inject into mutating calls (create/update/delete).
#[derive(Clone, Debug, Default)]
pub struct Faults {
    /// Fail these mutating calls (1-based count of mutating calls) with `fail_kind`.
    pub fail_calls: BTreeSet<u64>,
    pub fail_kind: Option<ErrorKind>,
    /// Delay every mutating call by this long.
    pub delay: Option<Duration>,
    /// Panic-free "crash": after this many successful mutating calls, every further call fails
    /// with `ErrorKind::Unreachable` (simulates a process dying mid-apply).
    pub stop_after: Option<u64>,
}

/// An in-memory IAM account.
#[derive(Default)]
pub struct MemoryIam {
    account: Mutex<Account>,
    faults: Mutex<Faults>,
    mutating_calls: Mutex<u64>,
    counts: Mutex<CallCounts>,
}

impl MemoryIam {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn set_faults(&self, faults: Faults) {
        *lock(&self.faults) = faults;
        *lock(&self.mutating_calls) = 0;
    }

    /// Every object of a type, by id (for test assertions).
    pub fn objects(&self, type_name: &str) -> BTreeMap<String, Value> {
        lock(&self.account)
            .objects
            .get(type_name)
            .cloned()
            .unwrap_or_default()
    }

    /// Changes an object behind aiu's back (drift), by type and id.
    pub fn edit_out_of_band(
        &self,
        type_name: &str,
        id: &str,
        attribute: &str,
        value: Value,
    ) -> bool {
        let mut account = lock(&self.account);
        let Some(Value::Object(obj)) = account
            .objects
            .get_mut(type_name)
            .and_then(|m| m.get_mut(id))
        else {
            return false;
        };
        obj.insert(attribute.to_owned(), value);
        true
    }

    /// Deletes an object behind aiu's back.
    pub fn delete_out_of_band(&self, type_name: &str, id: &str) -> bool {
        lock(&self.account)
            .objects
            .get_mut(type_name)
            .and_then(|m| m.remove(id))
            .is_some()
    }

    fn count(&self, call: &str) {
        *lock(&self.counts).entry(call.to_owned()).or_default() += 1;
    }

    async fn mutating(&self, call: &str) -> Result<(), ProviderError> {
        self.count(call);
        let faults = lock(&self.faults).clone();
        if let Some(delay) = faults.delay {
            tokio::time::sleep(delay).await;
        }
        let n = {
            let mut calls = lock(&self.mutating_calls);
            *calls += 1;
            *calls
        };
        if faults.stop_after.is_some_and(|limit| n > limit) {
            return Err(ProviderError::new(
                ErrorKind::Unreachable,
                call,
                "connection refused (injected crash)",
            ));
        }
        if faults.fail_calls.contains(&n) {
            let kind = faults.fail_kind.unwrap_or(ErrorKind::Other);
            return Err(ProviderError::new(
                kind,
                call,
                format!("injected failure of mutating call #{n}"),
            ));
        }
        Ok(())
    }

    fn id_of(type_name: &str, v: &Value) -> Result<String, ProviderError> {
        let get = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
        let id = match type_name {
            "aws_iam_policy" => get("name").map(|n| {
                format!(
                    "arn:aws:iam::{ACCOUNT}:policy{}{n}",
                    get("path").unwrap_or("/".into())
                )
            }),
            "aws_iam_role_policy_attachment" => get("role")
                .zip(get("policy_arn"))
                .map(|(r, p)| format!("{r}/{p}")),
            "aws_iam_role_policy" => get("role")
                .zip(get("name"))
                .map(|(r, n)| format!("{r}:{n}")),
            _ => get("name"),
        };
        id.ok_or_else(|| {
            ProviderError::new(
                ErrorKind::InvalidInput,
                format!("create {type_name}"),
                "required identifying attributes are missing",
            )
        })
    }

    fn finish(
        &self,
        type_name: &str,
        planned: &Value,
        account: &mut Account,
    ) -> Result<Value, ProviderError> {
        let mut map = planned.as_object().cloned().unwrap_or_default();
        if map
            .get("name")
            .is_none_or(|n| n.is_null() || n.is_unknown())
            && type_name != "aws_iam_role_policy_attachment"
        {
            account.next_unique += 1;
            let prefix = map
                .get("name_prefix")
                .and_then(Value::as_str)
                .unwrap_or("aiu-")
                .to_owned();
            map.insert(
                "name".into(),
                Value::from(format!("{prefix}{:026}", account.next_unique)),
            );
        }
        let id = Self::id_of(type_name, &Value::Object(map.clone()))?;
        account.next_unique += 1;
        let unique = format!("AROA{:016}", account.next_unique);
        for (k, v) in map.clone() {
            if v.is_unknown() {
                let filled = match k.as_str() {
                    "id" => Value::from(id.clone()),
                    "arn" => Value::from(match type_name {
                        "aws_iam_policy" => id.clone(),
                        "aws_iam_instance_profile" => {
                            format!("arn:aws:iam::{ACCOUNT}:instance-profile/{id}")
                        }
                        _ => format!("arn:aws:iam::{ACCOUNT}:role/{id}"),
                    }),
                    "unique_id" | "policy_id" => Value::from(unique.clone()),
                    "create_date" => Value::from("2026-01-01T00:00:00Z"),
                    "attachment_count" => Value::Number(0.0),
                    "tags_all" => map.get("tags").cloned().unwrap_or(Value::Null),
                    _ => Value::Null,
                };
                map.insert(k, filled);
            }
        }
        map.insert("id".into(), Value::from(id));
        Ok(Value::Object(map))
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[async_trait]
impl Provider for MemoryIam {
    async fn caller_identity(&self) -> Result<CallerIdentity, ProviderError> {
        self.count("sts:GetCallerIdentity");
        Ok(CallerIdentity {
            account_id: ACCOUNT.into(),
            arn: format!("arn:aws:iam::{ACCOUNT}:user/test"),
            user_id: "AIDATEST".into(),
        })
    }

    fn region(&self) -> String {
        "us-east-1".into()
    }

    async fn read_data_source(
        &self,
        type_name: &str,
        args: &Value,
    ) -> Result<Value, ProviderError> {
        let mut map = args.as_object().cloned().unwrap_or_default();
        match type_name {
            "aws_caller_identity" => {
                let id = self.caller_identity().await?;
                map.insert("account_id".into(), Value::from(id.account_id.clone()));
                map.insert("arn".into(), Value::from(id.arn));
                map.insert("user_id".into(), Value::from(id.user_id));
                map.insert("id".into(), Value::from(id.account_id));
                Ok(Value::Object(map))
            }
            "aws_region" => {
                for k in ["name", "region", "id"] {
                    map.insert(k.into(), Value::from(self.region()));
                }
                Ok(Value::Object(map))
            }
            "aws_iam_role" | "aws_iam_policy" => {
                self.count("iam:Get");
                let key = args
                    .get("name")
                    .or_else(|| args.get("arn"))
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let account = lock(&self.account);
                let found = account
                    .objects
                    .get(type_name)
                    .and_then(|m| {
                        m.values().find(|v| {
                            v.get("name").and_then(Value::as_str) == Some(key)
                                || v.get("arn").and_then(Value::as_str) == Some(key)
                        })
                    })
                    .cloned();
                found.ok_or_else(|| {
                    ProviderError::new(
                        ErrorKind::NotFound,
                        "iam:Get",
                        format!("{type_name} `{key}` does not exist"),
                    )
                })
            }
            other => Err(ProviderError::new(
                ErrorKind::InvalidInput,
                "read",
                format!("unsupported data source {other}"),
            )),
        }
    }

    async fn refresh(
        &self,
        items: &[RefreshItem],
    ) -> Result<Vec<Result<Option<Value>, ProviderError>>, ProviderError> {
        self.count("iam:GetAccountAuthorizationDetails");
        let account = lock(&self.account);
        Ok(items
            .iter()
            .map(|item| {
                let id = item
                    .state
                    .get("id")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                Ok(account
                    .objects
                    .get(&item.type_name)
                    .and_then(|m| m.get(id))
                    .cloned())
            })
            .collect())
    }

    async fn create(&self, type_name: &str, planned: &Value) -> Result<Value, ProviderError> {
        let call = format!("create {type_name}");
        self.mutating(&call).await?;
        let mut account = lock(&self.account);
        let value = self.finish(type_name, planned, &mut account)?;
        let id = value
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let table = account.objects.entry(type_name.to_owned()).or_default();
        if table.contains_key(&id) {
            return Err(ProviderError::new(
                ErrorKind::AlreadyExists,
                call,
                format!("{type_name} `{id}` already exists"),
            ));
        }
        table.insert(id, value.clone());
        Ok(value)
    }

    async fn update(
        &self,
        type_name: &str,
        prior: &Value,
        planned: &Value,
    ) -> Result<Value, ProviderError> {
        let call = format!("update {type_name}");
        self.mutating(&call).await?;
        let id = prior
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let mut account = lock(&self.account);
        let Some(current) = account
            .objects
            .get_mut(type_name)
            .and_then(|m| m.get_mut(&id))
        else {
            return Err(ProviderError::new(
                ErrorKind::NotFound,
                call,
                format!("{type_name} `{id}` does not exist"),
            ));
        };
        let mut merged = current.as_object().cloned().unwrap_or_default();
        for (k, v) in planned.as_object().cloned().unwrap_or_default() {
            if !v.is_unknown() {
                merged.insert(k, v);
            }
        }
        *current = Value::Object(merged);
        Ok(current.clone())
    }

    async fn delete(&self, type_name: &str, prior: &Value) -> Result<(), ProviderError> {
        let call = format!("delete {type_name}");
        self.mutating(&call).await?;
        let id = prior.get("id").and_then(Value::as_str).unwrap_or_default();
        let mut account = lock(&self.account);
        if type_name == "aws_iam_role" {
            let attached = account
                .objects
                .get("aws_iam_role_policy_attachment")
                .is_some_and(|m| {
                    m.values()
                        .any(|a| a.get("role").and_then(Value::as_str) == Some(id))
                });
            if attached {
                return Err(ProviderError::new(
                    ErrorKind::Conflict,
                    call,
                    format!("role `{id}` still has attached policies"),
                ));
            }
        }
        match account
            .objects
            .get_mut(type_name)
            .and_then(|m| m.remove(id))
        {
            Some(_) => Ok(()),
            None => Err(ProviderError::new(
                ErrorKind::NotFound,
                call,
                format!("{type_name} `{id}` does not exist"),
            )),
        }
    }

    async fn import(&self, type_name: &str, id: &str) -> Result<Option<Value>, ProviderError> {
        self.count("import");
        Ok(lock(&self.account)
            .objects
            .get(type_name)
            .and_then(|m| m.get(id))
            .cloned())
    }

    async fn find_by_name(
        &self,
        type_name: &str,
        planned: &Value,
    ) -> Result<Option<Value>, ProviderError> {
        let Ok(id) = Self::id_of(type_name, planned) else {
            return Ok(None);
        };
        self.import(type_name, &id).await
    }

    fn call_counts(&self) -> CallCounts {
        lock(&self.counts).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(name: &str) -> Value {
        Value::object([
            ("name", Value::from(name)),
            ("assume_role_policy", Value::from("{}")),
            ("arn", Value::Unknown),
            ("id", Value::Unknown),
        ])
    }

    #[tokio::test]
    async fn create_fills_computed_attributes_and_refuses_duplicates() {
        let iam = MemoryIam::new();
        let created = iam.create("aws_iam_role", &role("r")).await.unwrap();
        assert_eq!(
            created.get("arn"),
            Some(&Value::from("arn:aws:iam::123456789012:role/r"))
        );
        let again = iam.create("aws_iam_role", &role("r")).await.unwrap_err();
        assert_eq!(again.kind, ErrorKind::AlreadyExists);
    }

    #[tokio::test]
    async fn injected_failure_hits_the_nth_mutating_call_only() {
        let iam = MemoryIam::new();
        iam.set_faults(Faults {
            fail_calls: [2].into(),
            fail_kind: Some(ErrorKind::Throttled),
            ..Faults::default()
        });
        assert!(iam.create("aws_iam_role", &role("a")).await.is_ok());
        assert_eq!(
            iam.create("aws_iam_role", &role("b"))
                .await
                .unwrap_err()
                .kind,
            ErrorKind::Throttled
        );
        assert!(iam.create("aws_iam_role", &role("c")).await.is_ok());
    }

    #[tokio::test]
    async fn deleting_a_role_with_attachments_conflicts() {
        let iam = MemoryIam::new();
        iam.create("aws_iam_role", &role("r")).await.unwrap();
        let att = Value::object([
            ("role", Value::from("r")),
            ("policy_arn", Value::from("arn:aws:iam::aws:policy/X")),
            ("id", Value::Unknown),
        ]);
        iam.create("aws_iam_role_policy_attachment", &att)
            .await
            .unwrap();
        let prior = Value::object([("id", Value::from("r"))]);
        assert_eq!(
            iam.delete("aws_iam_role", &prior).await.unwrap_err().kind,
            ErrorKind::Conflict
        );
    }
}
