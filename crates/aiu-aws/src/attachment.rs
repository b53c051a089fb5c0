//! `aws_iam_role_policy_attachment` (AttachRolePolicy / ListAttachedRolePolicies /
//! DetachRolePolicy, id `role/policy_arn`) and `aws_iam_role_policy` (inline: PutRolePolicy /
//! GetRolePolicy / DeleteRolePolicy, id `role:name`).

use aiu_model::Value;
use aiu_provider::{ErrorKind, ProviderError};
use std::time::Duration;

use crate::client::transient;
use crate::values::*;
use crate::AwsProvider;

const ATT: &str = "aws_iam_role_policy_attachment";
const INLINE: &str = "aws_iam_role_policy";

/// How long a call naming a just-created role or policy retries NoSuchEntity.
const REFERENCE_SETTLE: Duration = Duration::from_secs(15);

pub(crate) fn attachment_value(role: &str, arn: &str) -> Value {
    Value::object([
        ("role", Value::from(role)),
        ("policy_arn", Value::from(arn)),
        ("id", Value::from(format!("{role}/{arn}"))),
    ])
}

/// Splits an attachment import id `role/arn`.
pub(crate) fn split_attachment_id(id: &str) -> Option<(&str, &str)> {
    id.split_once('/')
        .filter(|(r, a)| !r.is_empty() && a.starts_with("arn:"))
}

/// Splits an inline policy id `role:name`.
pub(crate) fn split_inline_id(id: &str) -> Option<(&str, &str)> {
    id.split_once(':')
        .filter(|(r, n)| !r.is_empty() && !n.is_empty())
}

pub(crate) fn inline_value(
    role: &str,
    name: &str,
    document: Value,
    prior: Option<&Value>,
) -> Value {
    Value::object([
        ("name", Value::from(name)),
        ("name_prefix", carry(prior, "name_prefix", Value::Null)),
        ("role", Value::from(role)),
        ("policy", document),
        ("id", Value::from(format!("{role}:{name}"))),
    ])
}

impl AwsProvider {
    pub(crate) fn attachment_keys<'a>(
        &self,
        v: &'a Value,
    ) -> Result<(&'a str, &'a str), ProviderError> {
        match (str_attr(v, "role"), str_attr(v, "policy_arn")) {
            (Some(r), Some(a)) => Ok((r, a)),
            _ => str_attr(v, "id")
                .and_then(split_attachment_id)
                .ok_or_else(|| {
                    crate::errors::invalid(
                        "iam:ListAttachedRolePolicies",
                        format!("{ATT}: needs role and policy_arn"),
                    )
                }),
        }
    }

    pub(crate) async fn create_attachment(&self, planned: &Value) -> Result<Value, ProviderError> {
        let (role, arn) = self.attachment_keys(planned)?;
        let req = self
            .iam
            .attach_role_policy()
            .role_name(role)
            .policy_arn(arn);
        self.iam_call_ec(
            "iam:AttachRolePolicy",
            transient::not_found,
            Some(REFERENCE_SETTLE),
            || req.clone().send(),
        )
        .await?;
        Ok(attachment_value(role, arn))
    }

    /// `None` when the role does not exist or the policy is not attached to it.
    pub(crate) async fn read_attachment(
        &self,
        prior: &Value,
    ) -> Result<Option<Value>, ProviderError> {
        let (role, arn) = self.attachment_keys(prior)?;
        match self.attached_policy_arns(role).await {
            Ok(arns) if arns.iter().any(|a| a == arn) => Ok(Some(attachment_value(role, arn))),
            Ok(_) => Ok(None),
            Err(e) if e.kind == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub(crate) async fn delete_attachment(&self, prior: &Value) -> Result<(), ProviderError> {
        let (role, arn) = self.attachment_keys(prior)?;
        let req = self
            .iam
            .detach_role_policy()
            .role_name(role)
            .policy_arn(arn);
        match self
            .iam_call_ec("iam:DetachRolePolicy", transient::concurrent, None, || {
                req.clone().send()
            })
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.kind == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }

    pub(crate) fn inline_keys<'a>(
        &self,
        v: &'a Value,
    ) -> Result<(&'a str, &'a str), ProviderError> {
        match (str_attr(v, "role"), str_attr(v, "name")) {
            (Some(r), Some(n)) => Ok((r, n)),
            _ => str_attr(v, "id").and_then(split_inline_id).ok_or_else(|| {
                crate::errors::invalid(
                    "iam:GetRolePolicy",
                    format!("{INLINE}: needs role and name"),
                )
            }),
        }
    }

    pub(crate) async fn put_inline(
        &self,
        planned: &Value,
        name: &str,
    ) -> Result<Value, ProviderError> {
        let role = required(planned, "role", INLINE, "iam:PutRolePolicy")?;
        let doc = required(planned, "policy", INLINE, "iam:PutRolePolicy")?;
        let req = self
            .iam
            .put_role_policy()
            .role_name(role)
            .policy_name(name)
            .policy_document(doc);
        self.iam_call_ec(
            "iam:PutRolePolicy",
            transient::not_found,
            Some(REFERENCE_SETTLE),
            || req.clone().send(),
        )
        .await?;
        Ok(inline_value(role, name, Value::from(doc), Some(planned)))
    }

    pub(crate) async fn create_inline(&self, planned: &Value) -> Result<Value, ProviderError> {
        let name = planned_name(planned);
        self.put_inline(planned, &name).await
    }

    pub(crate) async fn update_inline(
        &self,
        prior: &Value,
        planned: &Value,
    ) -> Result<Value, ProviderError> {
        let (_, name) = self.inline_keys(prior)?;
        let name = name.to_owned();
        self.put_inline(planned, &name).await
    }

    pub(crate) async fn get_inline(
        &self,
        role: &str,
        name: &str,
        prior: Option<&Value>,
    ) -> Result<Option<Value>, ProviderError> {
        let req = self.iam.get_role_policy().role_name(role).policy_name(name);
        match self
            .iam_call("iam:GetRolePolicy", || req.clone().send())
            .await
        {
            Ok(out) => {
                let doc = decode_document(out.policy_document());
                Ok(Some(inline_value(
                    role,
                    name,
                    prefer_prior_document(doc, prior, "policy"),
                    prior,
                )))
            }
            Err(e) if e.kind == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub(crate) async fn read_inline(&self, prior: &Value) -> Result<Option<Value>, ProviderError> {
        let (role, name) = self.inline_keys(prior)?;
        self.get_inline(role, name, Some(prior)).await
    }

    pub(crate) async fn delete_inline(&self, prior: &Value) -> Result<(), ProviderError> {
        let (role, name) = self.inline_keys(prior)?;
        let req = self
            .iam
            .delete_role_policy()
            .role_name(role)
            .policy_name(name);
        match self
            .iam_call_ec("iam:DeleteRolePolicy", transient::concurrent, None, || {
                req.clone().send()
            })
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.kind == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }
}
