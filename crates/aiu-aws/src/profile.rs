//! `aws_iam_instance_profile`: CreateInstanceProfile + AddRoleToInstanceProfile /
//! GetInstanceProfile / role swap (Remove + Add), Tag/UntagInstanceProfile /
//! RemoveRoleFromInstanceProfile + DeleteInstanceProfile.

use aiu_model::Value;
use aiu_provider::{ErrorKind, ProviderError};
use std::collections::BTreeMap;

use crate::client::transient;
use crate::values::*;
use crate::AwsProvider;

const T: &str = "aws_iam_instance_profile";

/// An instance profile as read from IAM.
pub(crate) struct LiveProfile {
    pub name: String,
    pub path: String,
    pub arn: String,
    pub unique_id: String,
    pub create_date: String,
    pub roles: Vec<String>,
    /// `None` when the read did not include tags.
    pub tags: Option<BTreeMap<String, String>>,
}

impl LiveProfile {
    pub(crate) fn from_sdk(
        p: &aws_sdk_iam::types::InstanceProfile,
        with_tags: bool,
    ) -> LiveProfile {
        LiveProfile {
            name: p.instance_profile_name().to_owned(),
            path: p.path().to_owned(),
            arn: p.arn().to_owned(),
            unique_id: p.instance_profile_id().to_owned(),
            create_date: fmt_date(p.create_date()),
            roles: p.roles().iter().map(|r| r.role_name().to_owned()).collect(),
            tags: with_tags.then(|| tag_map(p.tags())),
        }
    }
}

impl AwsProvider {
    pub(crate) fn profile_value(&self, p: LiveProfile, prior: Option<&Value>) -> Value {
        let tags_all = p
            .tags
            .unwrap_or_else(|| prior.map(|v| tags_attr(v, "tags_all")).unwrap_or_default());
        Value::object([
            ("name", Value::from(p.name.clone())),
            ("name_prefix", carry(prior, "name_prefix", Value::Null)),
            ("path", Value::from(p.path)),
            (
                "role",
                p.roles
                    .first()
                    .map_or(Value::Null, |r| Value::from(r.as_str())),
            ),
            (
                "tags",
                config_tags(&tags_all, &self.settings.default_tags, prior),
            ),
            ("tags_all", map_value(&tags_all)),
            ("id", Value::from(p.name)),
            ("arn", Value::from(p.arn)),
            ("unique_id", Value::from(p.unique_id)),
            ("create_date", Value::from(p.create_date)),
        ])
    }

    pub(crate) async fn get_profile(
        &self,
        name: &str,
    ) -> Result<Option<aws_sdk_iam::types::InstanceProfile>, ProviderError> {
        let req = self.iam.get_instance_profile().instance_profile_name(name);
        match self
            .iam_call("iam:GetInstanceProfile", || req.clone().send())
            .await
        {
            Ok(out) => Ok(out.instance_profile().cloned()),
            Err(e) if e.kind == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub(crate) async fn read_profile(&self, prior: &Value) -> Result<Option<Value>, ProviderError> {
        let name = str_attr(prior, "name")
            .or_else(|| str_attr(prior, "id"))
            .ok_or_else(|| {
                crate::errors::invalid(
                    "iam:GetInstanceProfile",
                    "aws_iam_instance_profile in state has no name",
                )
            })?;
        Ok(self
            .get_profile(name)
            .await?
            .map(|p| self.profile_value(LiveProfile::from_sdk(&p, true), Some(prior))))
    }

    async fn add_role(&self, profile: &str, role: &str) -> Result<(), ProviderError> {
        let req = self
            .iam
            .add_role_to_instance_profile()
            .instance_profile_name(profile)
            .role_name(role);
        self.iam_call_ec(
            "iam:AddRoleToInstanceProfile",
            transient::add_role_to_profile,
            None,
            || req.clone().send(),
        )
        .await?;
        Ok(())
    }

    /// Removes `role` from `profile`; already gone counts as done.
    pub(crate) async fn remove_role(&self, profile: &str, role: &str) -> Result<(), ProviderError> {
        let req = self
            .iam
            .remove_role_from_instance_profile()
            .instance_profile_name(profile)
            .role_name(role);
        match self
            .iam_call_ec(
                "iam:RemoveRoleFromInstanceProfile",
                transient::concurrent,
                None,
                || req.clone().send(),
            )
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.kind == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }

    pub(crate) async fn create_profile(&self, planned: &Value) -> Result<Value, ProviderError> {
        let call = "iam:CreateInstanceProfile";
        let name = planned_name(planned);
        let all = merged_tags(&self.settings.default_tags, &tags_attr(planned, "tags"));
        let mut req = self
            .iam
            .create_instance_profile()
            .instance_profile_name(&name)
            .path(str_attr(planned, "path").unwrap_or("/"));
        if !all.is_empty() {
            req = req.set_tags(Some(sdk_tags(&all)));
        }
        let out = self
            .iam_call_ec(call, transient::concurrent, None, || req.clone().send())
            .await?;
        let profile = out.instance_profile().ok_or_else(|| {
            ProviderError::new(
                ErrorKind::Other,
                call,
                "CreateInstanceProfile returned no profile",
            )
        })?;
        let mut live = LiveProfile::from_sdk(profile, false);
        live.tags = Some(all);
        if let Some(role) = nonempty_attr(planned, "role") {
            self.add_role(&name, role).await?;
            live.roles = vec![role.to_owned()];
        }
        Ok(self.profile_value(live, Some(planned)))
    }

    pub(crate) async fn update_profile(
        &self,
        prior: &Value,
        planned: &Value,
    ) -> Result<Value, ProviderError> {
        let name = required(prior, "name", T, "iam:AddRoleToInstanceProfile")?.to_owned();
        let mut result = prior.as_object().cloned().unwrap_or_default();
        let old_role = nonempty_attr(prior, "role");
        let new_role = nonempty_attr(planned, "role");
        if old_role != new_role {
            if let Some(r) = old_role {
                self.remove_role(&name, r).await?;
            }
            if let Some(r) = new_role {
                self.add_role(&name, r).await?;
            }
        }
        result.insert("role".into(), new_role.map_or(Value::Null, Value::from));

        let all = merged_tags(&self.settings.default_tags, &tags_attr(planned, "tags"));
        let (set, remove) = tag_changes(&tags_attr(prior, "tags_all"), &all);
        if !remove.is_empty() {
            let req = self
                .iam
                .untag_instance_profile()
                .instance_profile_name(&name)
                .set_tag_keys(Some(remove));
            self.iam_call_ec(
                "iam:UntagInstanceProfile",
                transient::concurrent,
                None,
                || req.clone().send(),
            )
            .await?;
        }
        if !set.is_empty() {
            let req = self
                .iam
                .tag_instance_profile()
                .instance_profile_name(&name)
                .set_tags(Some(sdk_tags(&set)));
            self.iam_call_ec(
                "iam:TagInstanceProfile",
                transient::concurrent,
                None,
                || req.clone().send(),
            )
            .await?;
        }
        result.insert(
            "tags".into(),
            planned.get("tags").cloned().unwrap_or(Value::Null),
        );
        result.insert("tags_all".into(), map_value(&all));
        Ok(Value::Object(result))
    }

    pub(crate) async fn delete_profile(&self, prior: &Value) -> Result<(), ProviderError> {
        let name = required(prior, "name", T, "iam:DeleteInstanceProfile")?.to_owned();
        let Some(live) = self.get_profile(&name).await? else {
            return Ok(());
        };
        for role in live.roles() {
            self.remove_role(&name, role.role_name()).await?;
        }
        let req = self
            .iam
            .delete_instance_profile()
            .instance_profile_name(&name);
        match self
            .iam_call_ec(
                "iam:DeleteInstanceProfile",
                transient::delete_conflict,
                None,
                || req.clone().send(),
            )
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.kind == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }
}
