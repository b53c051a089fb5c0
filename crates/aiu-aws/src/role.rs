//! `aws_iam_role`: CreateRole / GetRole / UpdateAssumeRolePolicy, UpdateRole,
//! Put/DeleteRolePermissionsBoundary, Tag/UntagRole / DeleteRole (after removing the role
//! from instance profiles and, with `force_detach_policies`, its policies).

use aiu_model::Value;
use aiu_provider::{ErrorKind, ProviderError};
use std::collections::BTreeMap;
use std::time::Duration;

use crate::client::transient;
use crate::values::*;
use crate::AwsProvider;

const T: &str = "aws_iam_role";

/// A role as read from IAM (GetRole, or GAAD + ListRoles).
pub(crate) struct LiveRole {
    pub name: String,
    pub path: String,
    pub arn: String,
    pub unique_id: String,
    pub create_date: Value,
    pub trust: String,
    pub description: Option<String>,
    pub max_session_duration: Option<i32>,
    pub boundary: Option<String>,
    pub tags: BTreeMap<String, String>,
}

impl LiveRole {
    pub(crate) fn from_sdk(r: &aws_sdk_iam::types::Role) -> LiveRole {
        LiveRole {
            name: r.role_name().to_owned(),
            path: r.path().to_owned(),
            arn: r.arn().to_owned(),
            unique_id: r.role_id().to_owned(),
            create_date: Value::from(fmt_date(r.create_date())),
            trust: r
                .assume_role_policy_document()
                .map(decode_document)
                .unwrap_or_default(),
            description: r.description().map(str::to_owned),
            max_session_duration: r.max_session_duration(),
            boundary: r
                .permissions_boundary()
                .and_then(|b| b.permissions_boundary_arn())
                .map(str::to_owned),
            tags: tag_map(r.tags()),
        }
    }
}

impl AwsProvider {
    /// Every attribute of the role schema. `prior` supplies what IAM does not hold
    /// (`name_prefix`, `force_detach_policies`, the config view of `tags`).
    pub(crate) fn role_value(&self, r: LiveRole, prior: Option<&Value>) -> Value {
        Value::object([
            ("name", Value::from(r.name.clone())),
            ("name_prefix", carry(prior, "name_prefix", Value::Null)),
            ("path", Value::from(r.path)),
            (
                "assume_role_policy",
                prefer_prior_document(r.trust, prior, "assume_role_policy"),
            ),
            (
                "description",
                Value::from(r.description.unwrap_or_default()),
            ),
            (
                "max_session_duration",
                Value::Number(f64::from(r.max_session_duration.unwrap_or(3600))),
            ),
            (
                "permissions_boundary",
                r.boundary.map_or(Value::Null, Value::from),
            ),
            (
                "force_detach_policies",
                carry(prior, "force_detach_policies", Value::Bool(false)),
            ),
            (
                "tags",
                config_tags(&r.tags, &self.settings.default_tags, prior),
            ),
            ("tags_all", map_value(&r.tags)),
            ("id", Value::from(r.name)),
            ("arn", Value::from(r.arn)),
            ("unique_id", Value::from(r.unique_id)),
            ("create_date", r.create_date),
        ])
    }

    pub(crate) async fn get_role(
        &self,
        name: &str,
    ) -> Result<Option<aws_sdk_iam::types::Role>, ProviderError> {
        let req = self.iam.get_role().role_name(name);
        match self.iam_call("iam:GetRole", || req.clone().send()).await {
            Ok(out) => Ok(out.role().cloned()),
            Err(e) if e.kind == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub(crate) async fn read_role(&self, prior: &Value) -> Result<Option<Value>, ProviderError> {
        let name = str_attr(prior, "name")
            .or_else(|| str_attr(prior, "id"))
            .ok_or_else(|| {
                crate::errors::invalid("iam:GetRole", "aws_iam_role in state has no name")
            })?;
        Ok(self
            .get_role(name)
            .await?
            .map(|r| self.role_value(LiveRole::from_sdk(&r), Some(prior))))
    }

    pub(crate) async fn create_role(&self, planned: &Value) -> Result<Value, ProviderError> {
        let call = "iam:CreateRole";
        let name = planned_name(planned);
        let trust = required(planned, "assume_role_policy", T, call)?;
        let tags = tags_attr(planned, "tags");
        let all = merged_tags(&self.settings.default_tags, &tags);
        let mut req = self
            .iam
            .create_role()
            .role_name(&name)
            .path(str_attr(planned, "path").unwrap_or("/"))
            .assume_role_policy_document(trust);
        if let Some(d) = nonempty_attr(planned, "description") {
            req = req.description(d);
        }
        if let Some(m) = num_attr(planned, "max_session_duration") {
            req = req.max_session_duration(m as i32);
        }
        if let Some(b) = nonempty_attr(planned, "permissions_boundary") {
            req = req.permissions_boundary(b);
        }
        if !all.is_empty() {
            req = req.set_tags(Some(sdk_tags(&all)));
        }
        let out = self
            .iam_call_ec(call, transient::invalid_principal, None, || {
                req.clone().send()
            })
            .await?;
        let role = out.role().ok_or_else(|| {
            ProviderError::new(ErrorKind::Other, call, "CreateRole returned no role")
        })?;
        let mut live = LiveRole::from_sdk(role);
        // What was sent is what exists (CreateRole's answer may omit optional fields).
        live.trust = trust.to_owned();
        live.tags = all;
        live.description = Some(str_attr(planned, "description").unwrap_or("").to_owned());
        live.max_session_duration = num_attr(planned, "max_session_duration")
            .map(|m| m as i32)
            .or(live.max_session_duration);
        live.boundary = nonempty_attr(planned, "permissions_boundary").map(str::to_owned);
        Ok(self.role_value(live, Some(planned)))
    }

    pub(crate) async fn update_role(
        &self,
        prior: &Value,
        planned: &Value,
    ) -> Result<Value, ProviderError> {
        let name = required(prior, "name", T, "iam:UpdateRole")?.to_owned();
        let mut result = prior.as_object().cloned().unwrap_or_default();

        let new_trust = required(
            planned,
            "assume_role_policy",
            T,
            "iam:UpdateAssumeRolePolicy",
        )?;
        if !str_attr(prior, "assume_role_policy")
            .is_some_and(|old| documents_equivalent(old, new_trust))
        {
            let req = self
                .iam
                .update_assume_role_policy()
                .role_name(&name)
                .policy_document(new_trust);
            self.iam_call_ec(
                "iam:UpdateAssumeRolePolicy",
                transient::invalid_principal,
                None,
                || req.clone().send(),
            )
            .await?;
        }
        result.insert("assume_role_policy".into(), Value::from(new_trust));

        let desc = str_attr(planned, "description").unwrap_or("");
        let max = num_attr(planned, "max_session_duration").unwrap_or(3600.0);
        if str_attr(prior, "description").unwrap_or("") != desc
            || num_attr(prior, "max_session_duration").unwrap_or(3600.0) != max
        {
            let req = self
                .iam
                .update_role()
                .role_name(&name)
                .description(desc)
                .max_session_duration(max as i32);
            self.iam_call_ec("iam:UpdateRole", transient::concurrent, None, || {
                req.clone().send()
            })
            .await?;
        }
        result.insert("description".into(), Value::from(desc));
        result.insert("max_session_duration".into(), Value::Number(max));

        let old_b = nonempty_attr(prior, "permissions_boundary");
        let new_b = nonempty_attr(planned, "permissions_boundary");
        if old_b != new_b {
            match new_b {
                Some(b) => {
                    let req = self
                        .iam
                        .put_role_permissions_boundary()
                        .role_name(&name)
                        .permissions_boundary(b);
                    self.iam_call_ec(
                        "iam:PutRolePermissionsBoundary",
                        transient::concurrent,
                        None,
                        || req.clone().send(),
                    )
                    .await?;
                }
                None => {
                    let req = self.iam.delete_role_permissions_boundary().role_name(&name);
                    match self
                        .iam_call_ec(
                            "iam:DeleteRolePermissionsBoundary",
                            transient::concurrent,
                            None,
                            || req.clone().send(),
                        )
                        .await
                    {
                        Ok(_) => {}
                        Err(e) if e.kind == ErrorKind::NotFound => {}
                        Err(e) => return Err(e),
                    }
                }
            }
        }
        result.insert(
            "permissions_boundary".into(),
            new_b.map_or(Value::Null, Value::from),
        );

        let tags = tags_attr(planned, "tags");
        let all = merged_tags(&self.settings.default_tags, &tags);
        let (set, remove) = tag_changes(&tags_attr(prior, "tags_all"), &all);
        if !remove.is_empty() {
            let req = self
                .iam
                .untag_role()
                .role_name(&name)
                .set_tag_keys(Some(remove));
            self.iam_call_ec("iam:UntagRole", transient::concurrent, None, || {
                req.clone().send()
            })
            .await?;
        }
        if !set.is_empty() {
            let req = self
                .iam
                .tag_role()
                .role_name(&name)
                .set_tags(Some(sdk_tags(&set)));
            self.iam_call_ec("iam:TagRole", transient::concurrent, None, || {
                req.clone().send()
            })
            .await?;
        }
        result.insert(
            "tags".into(),
            planned.get("tags").cloned().unwrap_or(Value::Null),
        );
        result.insert("tags_all".into(), map_value(&all));
        result.insert(
            "force_detach_policies".into(),
            carry(Some(planned), "force_detach_policies", Value::Bool(false)),
        );
        Ok(Value::Object(result))
    }

    pub(crate) async fn delete_role(&self, prior: &Value) -> Result<(), ProviderError> {
        let name = required(prior, "name", T, "iam:DeleteRole")?.to_owned();
        let force = bool_attr(prior, "force_detach_policies").unwrap_or(false);

        let listed = async {
            Ok::<_, ProviderError>((
                self.role_instance_profiles(&name).await?,
                self.attached_policy_arns(&name).await?,
                self.inline_policy_names(&name).await?,
            ))
        };
        let (profiles, attached, inline) = match listed.await {
            Ok(l) => l,
            Err(e) if e.kind == ErrorKind::NotFound => return Ok(()), // already gone
            Err(e) => return Err(e),
        };
        if !force && (!attached.is_empty() || !inline.is_empty()) {
            let mut what = Vec::new();
            if !attached.is_empty() {
                what.push(format!(
                    "attached managed policies: {}",
                    attached.join(", ")
                ));
            }
            if !inline.is_empty() {
                what.push(format!("inline policies: {}", inline.join(", ")));
            }
            return Err(ProviderError::new(
                ErrorKind::Conflict,
                "iam:DeleteRole",
                format!("role {name} still has policies that aiu does not manage ({})", what.join("; ")),
            )
            .with_hint(
                "set force_detach_policies = true on the role to detach and delete them, or manage them in aiu \
                 (aws_iam_role_policy_attachment / aws_iam_role_policy) so they are removed first",
            ));
        }
        for profile in &profiles {
            self.remove_role(profile, &name).await?;
        }
        for arn in &attached {
            let req = self
                .iam
                .detach_role_policy()
                .role_name(&name)
                .policy_arn(arn);
            match self
                .iam_call_ec("iam:DetachRolePolicy", transient::concurrent, None, || {
                    req.clone().send()
                })
                .await
            {
                Ok(_) => {}
                Err(e) if e.kind == ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        for policy in &inline {
            let req = self
                .iam
                .delete_role_policy()
                .role_name(&name)
                .policy_name(policy);
            match self
                .iam_call_ec("iam:DeleteRolePolicy", transient::concurrent, None, || {
                    req.clone().send()
                })
                .await
            {
                Ok(_) => {}
                Err(e) if e.kind == ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        let req = self.iam.delete_role().role_name(&name);
        match self
            .iam_call_ec(
                "iam:DeleteRole",
                transient::delete_conflict,
                Some(Duration::from_secs(30)),
                || req.clone().send(),
            )
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.kind == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Names of the instance profiles holding the role (ListInstanceProfilesForRole, paged).
    pub(crate) async fn role_instance_profiles(
        &self,
        role: &str,
    ) -> Result<Vec<String>, ProviderError> {
        let mut names = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let req = self
                .iam
                .list_instance_profiles_for_role()
                .role_name(role)
                .max_items(self.settings.page_size)
                .set_marker(marker.clone());
            let out = self
                .iam_call("iam:ListInstanceProfilesForRole", || req.clone().send())
                .await?;
            names.extend(
                out.instance_profiles()
                    .iter()
                    .map(|p| p.instance_profile_name().to_owned()),
            );
            match out.marker().filter(|_| out.is_truncated()) {
                Some(m) => marker = Some(m.to_owned()),
                None => return Ok(names),
            }
        }
    }

    /// ARNs of the managed policies attached to the role (ListAttachedRolePolicies, paged).
    pub(crate) async fn attached_policy_arns(
        &self,
        role: &str,
    ) -> Result<Vec<String>, ProviderError> {
        let mut arns = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let req = self
                .iam
                .list_attached_role_policies()
                .role_name(role)
                .max_items(self.settings.page_size)
                .set_marker(marker.clone());
            let out = self
                .iam_call("iam:ListAttachedRolePolicies", || req.clone().send())
                .await?;
            arns.extend(
                out.attached_policies()
                    .iter()
                    .filter_map(|p| p.policy_arn().map(str::to_owned)),
            );
            match out.marker().filter(|_| out.is_truncated()) {
                Some(m) => marker = Some(m.to_owned()),
                None => return Ok(arns),
            }
        }
    }

    /// Names of the role's inline policies (ListRolePolicies, paged).
    pub(crate) async fn inline_policy_names(
        &self,
        role: &str,
    ) -> Result<Vec<String>, ProviderError> {
        let mut names = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let req = self
                .iam
                .list_role_policies()
                .role_name(role)
                .max_items(self.settings.page_size)
                .set_marker(marker.clone());
            let out = self
                .iam_call("iam:ListRolePolicies", || req.clone().send())
                .await?;
            names.extend(out.policy_names().iter().cloned());
            match out.marker().filter(|_| out.is_truncated()) {
                Some(m) => marker = Some(m.to_owned()),
                None => return Ok(names),
            }
        }
    }
}
