//! Data sources (`aws_caller_identity`, `aws_region`, `aws_iam_role`, `aws_iam_policy`), import
//! by id and lookup by planned name.

use aiu_model::Value;
use aiu_provider::{ErrorKind, ProviderError};

use crate::attachment::split_attachment_id;
use crate::attachment::split_inline_id;
use crate::errors::invalid;
use crate::policy::LivePolicy;
use crate::profile::LiveProfile;
use crate::role::LiveRole;
use crate::values::*;
use crate::AwsProvider;

impl AwsProvider {
    pub(crate) async fn data_source(
        &self,
        type_name: &str,
        args: &Value,
    ) -> Result<Value, ProviderError> {
        match type_name {
            "aws_region" => {
                let name = str_attr(args, "name")
                    .or_else(|| str_attr(args, "region"))
                    .unwrap_or(&self.region)
                    .to_owned();
                Ok(Value::object([
                    ("name", Value::from(name.clone())),
                    ("region", Value::from(name.clone())),
                    ("id", Value::from(name)),
                ]))
            }
            "aws_caller_identity" => {
                let id = self.checked_identity().await?;
                Ok(Value::object([
                    ("account_id", Value::from(id.account_id.clone())),
                    ("arn", Value::from(id.arn.clone())),
                    ("user_id", Value::from(id.user_id.clone())),
                    ("id", Value::from(id.account_id.clone())),
                ]))
            }
            "aws_iam_role" => {
                self.checked_identity().await?;
                let name = required(args, "name", "data.aws_iam_role", "iam:GetRole")?;
                // Batched with refresh: a snapshot of this run already holds every role.
                let r = match self.role_from_snapshot(name) {
                    Some(r) => r,
                    None => {
                        let role = self.get_role(name).await?.ok_or_else(|| {
                            ProviderError::new(
                                ErrorKind::NotFound,
                                "iam:GetRole",
                                format!("no IAM role named {name:?} exists in the account"),
                            )
                        })?;
                        LiveRole::from_sdk(&role)
                    }
                };
                Ok(Value::object([
                    ("name", Value::from(r.name.clone())),
                    ("arn", Value::from(r.arn)),
                    ("assume_role_policy", Value::from(r.trust)),
                    (
                        "description",
                        Value::from(r.description.unwrap_or_default()),
                    ),
                    (
                        "max_session_duration",
                        Value::Number(f64::from(r.max_session_duration.unwrap_or(3600))),
                    ),
                    ("path", Value::from(r.path)),
                    (
                        "permissions_boundary",
                        Value::from(r.boundary.unwrap_or_default()),
                    ),
                    ("unique_id", Value::from(r.unique_id)),
                    ("create_date", r.create_date),
                    ("tags", map_value(&r.tags)),
                    ("id", Value::from(r.name)),
                ]))
            }
            "aws_iam_policy" => {
                self.checked_identity().await?;
                let p = self.find_policy_for_data(args).await?;
                Ok(Value::object([
                    ("arn", Value::from(p.arn.clone())),
                    ("name", Value::from(p.name)),
                    (
                        "path_prefix",
                        args.get("path_prefix").cloned().unwrap_or(Value::Null),
                    ),
                    ("path", Value::from(p.path)),
                    ("description", Value::from(p.description)),
                    ("policy", Value::from(p.document)),
                    ("policy_id", Value::from(p.policy_id)),
                    (
                        "attachment_count",
                        Value::Number(f64::from(p.attachment_count)),
                    ),
                    ("tags", map_value(&p.tags.unwrap_or_default())),
                    ("id", Value::from(p.arn)),
                ]))
            }
            other => Err(invalid(
                "aiu:read_data_source",
                format!("data source {other} is not read by the aws provider"),
            )),
        }
    }

    /// By `arn`: GetPolicy + GetPolicyVersion. By `name`: the account's own policies
    /// (ListPolicies Scope=Local, under `path_prefix`), then the AWS managed policy of that name.
    async fn find_policy_for_data(&self, args: &Value) -> Result<LivePolicy, ProviderError> {
        if let Some(arn) = str_attr(args, "arn") {
            return self.get_policy(arn).await?.ok_or_else(|| {
                ProviderError::new(
                    ErrorKind::NotFound,
                    "iam:GetPolicy",
                    format!("no IAM policy with ARN {arn}"),
                )
            });
        }
        let name = str_attr(args, "name").ok_or_else(|| {
            invalid(
                "iam:ListPolicies",
                "data.aws_iam_policy needs `arn` or `name`",
            )
        })?;
        let prefix = str_attr(args, "path_prefix").unwrap_or("/");
        let mut marker: Option<String> = None;
        let mut found: Option<String> = None;
        loop {
            let req = self
                .iam
                .list_policies()
                .scope(aws_sdk_iam::types::PolicyScopeType::Local)
                .path_prefix(prefix)
                .max_items(self.settings.page_size)
                .set_marker(marker.clone());
            let out = self
                .iam_call("iam:ListPolicies", || req.clone().send())
                .await?;
            if let Some(p) = out
                .policies()
                .iter()
                .find(|p| p.policy_name() == Some(name))
            {
                found = p.arn().map(str::to_owned);
                break;
            }
            match out.marker().filter(|_| out.is_truncated()) {
                Some(m) => marker = Some(m.to_owned()),
                None => break,
            }
        }
        let arn = found.unwrap_or_else(|| {
            format!("arn:{}:iam::aws:policy{}{}", self.partition(), prefix, name)
        });
        self.get_policy(&arn).await?.ok_or_else(|| {
            ProviderError::new(
                ErrorKind::NotFound,
                "iam:ListPolicies",
                format!("no IAM policy named {name:?} under path {prefix:?} in the account or among AWS managed policies"),
            )
        })
    }

    pub(crate) async fn import_by_id(
        &self,
        type_name: &str,
        id: &str,
    ) -> Result<Option<Value>, ProviderError> {
        self.checked_identity().await?;
        match type_name {
            "aws_iam_role" => Ok(self
                .get_role(id)
                .await?
                .map(|r| self.role_value(LiveRole::from_sdk(&r), None))),
            "aws_iam_policy" => {
                if !id.starts_with("arn:") {
                    return Err(invalid(
                        "iam:GetPolicy",
                        format!("aws_iam_policy is imported by ARN, not {id:?}"),
                    ));
                }
                Ok(self
                    .get_policy(id)
                    .await?
                    .map(|p| self.policy_value(p, None)))
            }
            "aws_iam_role_policy_attachment" => {
                let (role, arn) = split_attachment_id(id).ok_or_else(|| {
                    invalid(
                        "iam:ListAttachedRolePolicies",
                        format!("attachment import id must be ROLE/POLICY_ARN, got {id:?}"),
                    )
                })?;
                self.read_attachment(&Value::object([
                    ("role", Value::from(role)),
                    ("policy_arn", Value::from(arn)),
                ]))
                .await
            }
            "aws_iam_role_policy" => {
                let (role, name) = split_inline_id(id).ok_or_else(|| {
                    invalid(
                        "iam:GetRolePolicy",
                        format!("inline policy import id must be ROLE:NAME, got {id:?}"),
                    )
                })?;
                self.get_inline(role, name, None).await
            }
            "aws_iam_instance_profile" => Ok(self
                .get_profile(id)
                .await?
                .map(|p| self.profile_value(LiveProfile::from_sdk(&p, true), None))),
            other => Err(invalid(
                "aiu:import",
                format!("resource type {other} cannot be imported by the aws provider"),
            )),
        }
    }

    pub(crate) async fn find_by_planned_name(
        &self,
        type_name: &str,
        planned: &Value,
    ) -> Result<Option<Value>, ProviderError> {
        self.checked_identity().await?;
        match type_name {
            "aws_iam_role" => match str_attr(planned, "name") {
                Some(n) => Ok(self
                    .get_role(n)
                    .await?
                    .map(|r| self.role_value(LiveRole::from_sdk(&r), Some(planned)))),
                None => Ok(None),
            },
            "aws_iam_policy" => match str_attr(planned, "name") {
                Some(n) => {
                    let arn = self.policy_arn_for(n, str_attr(planned, "path").unwrap_or("/"));
                    Ok(self
                        .get_policy(&arn)
                        .await?
                        .map(|p| self.policy_value(p, Some(planned))))
                }
                None => Ok(None),
            },
            "aws_iam_role_policy_attachment" => self.read_attachment(planned).await,
            "aws_iam_role_policy" => match (str_attr(planned, "role"), str_attr(planned, "name")) {
                (Some(r), Some(n)) => self.get_inline(r, n, Some(planned)).await,
                _ => Ok(None),
            },
            "aws_iam_instance_profile" => match str_attr(planned, "name") {
                Some(n) => Ok(self
                    .get_profile(n)
                    .await?
                    .map(|p| self.profile_value(LiveProfile::from_sdk(&p, true), Some(planned)))),
                None => Ok(None),
            },
            other => Err(invalid(
                "aiu:find_by_name",
                format!("resource type {other} is not managed by the aws provider"),
            )),
        }
    }
}
