//! `aws_iam_policy` (managed): CreatePolicy / GetPolicy + GetPolicyVersion / document changes
//! by reusing an equivalent version (SetDefaultPolicyVersion) or pruning at 5 and
//! CreatePolicyVersion(SetAsDefault), Tag/UntagPolicy / DeletePolicy after its non-default
//! versions.

use aiu_model::Value;
use aiu_provider::{ErrorKind, ProviderError};
use std::collections::BTreeMap;
use std::time::Duration;

use crate::client::transient;
use crate::values::*;
use crate::AwsProvider;

const T: &str = "aws_iam_policy";

/// A managed policy as read from IAM.
pub(crate) struct LivePolicy {
    pub name: String,
    pub path: String,
    pub arn: String,
    pub policy_id: String,
    pub description: String,
    pub attachment_count: i32,
    pub document: String,
    /// `None` when the read did not include tags (batch refresh of an untagged policy).
    pub tags: Option<BTreeMap<String, String>>,
}

impl LivePolicy {
    pub(crate) fn from_sdk(p: &aws_sdk_iam::types::Policy, document: String) -> LivePolicy {
        LivePolicy {
            name: p.policy_name().unwrap_or_default().to_owned(),
            path: p.path().unwrap_or("/").to_owned(),
            arn: p.arn().unwrap_or_default().to_owned(),
            policy_id: p.policy_id().unwrap_or_default().to_owned(),
            description: p.description().unwrap_or_default().to_owned(),
            attachment_count: p.attachment_count().unwrap_or(0),
            document,
            tags: Some(tag_map(p.tags())),
        }
    }
}

impl AwsProvider {
    pub(crate) fn policy_value(&self, p: LivePolicy, prior: Option<&Value>) -> Value {
        let tags_all = p
            .tags
            .unwrap_or_else(|| prior.map(|v| tags_attr(v, "tags_all")).unwrap_or_default());
        Value::object([
            ("name", Value::from(p.name)),
            ("name_prefix", carry(prior, "name_prefix", Value::Null)),
            ("path", Value::from(p.path)),
            ("description", Value::from(p.description)),
            ("policy", prefer_prior_document(p.document, prior, "policy")),
            (
                "tags",
                config_tags(&tags_all, &self.settings.default_tags, prior),
            ),
            ("tags_all", map_value(&tags_all)),
            ("id", Value::from(p.arn.clone())),
            ("arn", Value::from(p.arn)),
            ("policy_id", Value::from(p.policy_id)),
            (
                "attachment_count",
                Value::Number(f64::from(p.attachment_count)),
            ),
        ])
    }

    /// GetPolicy + GetPolicyVersion (default version); `None` when the policy does not exist.
    pub(crate) async fn get_policy(&self, arn: &str) -> Result<Option<LivePolicy>, ProviderError> {
        let req = self.iam.get_policy().policy_arn(arn);
        let out = match self.iam_call("iam:GetPolicy", || req.clone().send()).await {
            Ok(out) => out,
            Err(e) if e.kind == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let Some(policy) = out.policy() else {
            return Ok(None);
        };
        let version = policy.default_version_id().unwrap_or("v1").to_owned();
        let req = self
            .iam
            .get_policy_version()
            .policy_arn(arn)
            .version_id(&version);
        let doc = match self
            .iam_call("iam:GetPolicyVersion", || req.clone().send())
            .await
        {
            Ok(out) => out
                .policy_version()
                .and_then(|v| v.document())
                .map(decode_document)
                .unwrap_or_default(),
            Err(e) if e.kind == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        Ok(Some(LivePolicy::from_sdk(policy, doc)))
    }

    pub(crate) async fn read_policy(&self, prior: &Value) -> Result<Option<Value>, ProviderError> {
        let arn = str_attr(prior, "arn")
            .or_else(|| str_attr(prior, "id"))
            .ok_or_else(|| {
                crate::errors::invalid("iam:GetPolicy", "aws_iam_policy in state has no arn")
            })?;
        Ok(self
            .get_policy(arn)
            .await?
            .map(|p| self.policy_value(p, Some(prior))))
    }

    pub(crate) async fn create_policy(&self, planned: &Value) -> Result<Value, ProviderError> {
        let call = "iam:CreatePolicy";
        let name = planned_name(planned);
        let doc = required(planned, "policy", T, call)?;
        let tags = tags_attr(planned, "tags");
        let all = merged_tags(&self.settings.default_tags, &tags);
        let mut req = self
            .iam
            .create_policy()
            .policy_name(&name)
            .path(str_attr(planned, "path").unwrap_or("/"))
            .policy_document(doc);
        if let Some(d) = nonempty_attr(planned, "description") {
            req = req.description(d);
        }
        if !all.is_empty() {
            req = req.set_tags(Some(sdk_tags(&all)));
        }
        let out = self
            .iam_call_ec(call, transient::concurrent, None, || req.clone().send())
            .await?;
        let policy = out.policy().ok_or_else(|| {
            ProviderError::new(ErrorKind::Other, call, "CreatePolicy returned no policy")
        })?;
        let mut live = LivePolicy::from_sdk(policy, doc.to_owned());
        live.tags = Some(all);
        live.description = str_attr(planned, "description").unwrap_or("").to_owned();
        Ok(self.policy_value(live, Some(planned)))
    }

    pub(crate) async fn update_policy(
        &self,
        prior: &Value,
        planned: &Value,
    ) -> Result<Value, ProviderError> {
        let arn = required(prior, "arn", T, "iam:CreatePolicyVersion")?.to_owned();
        let mut result = prior.as_object().cloned().unwrap_or_default();
        let doc = required(planned, "policy", T, "iam:CreatePolicyVersion")?;
        if !str_attr(prior, "policy").is_some_and(|old| documents_equivalent(old, doc)) {
            self.set_policy_document(&arn, doc).await?;
        }
        result.insert("policy".into(), Value::from(doc));

        let tags = tags_attr(planned, "tags");
        let all = merged_tags(&self.settings.default_tags, &tags);
        let (set, remove) = tag_changes(&tags_attr(prior, "tags_all"), &all);
        if !remove.is_empty() {
            let req = self
                .iam
                .untag_policy()
                .policy_arn(&arn)
                .set_tag_keys(Some(remove));
            self.iam_call_ec("iam:UntagPolicy", transient::concurrent, None, || {
                req.clone().send()
            })
            .await?;
        }
        if !set.is_empty() {
            let req = self
                .iam
                .tag_policy()
                .policy_arn(&arn)
                .set_tags(Some(sdk_tags(&set)));
            self.iam_call_ec("iam:TagPolicy", transient::concurrent, None, || {
                req.clone().send()
            })
            .await?;
        }
        result.insert(
            "tags".into(),
            planned.get("tags").cloned().unwrap_or(Value::Null),
        );
        result.insert("tags_all".into(), map_value(&all));
        Ok(Value::Object(result))
    }

    /// Makes `doc` the default version: reuse an existing equivalent version, else prune the
    /// oldest non-default version when 5 exist and create a new default version.
    pub(crate) async fn set_policy_document(
        &self,
        arn: &str,
        doc: &str,
    ) -> Result<(), ProviderError> {
        let versions = self.policy_versions(arn).await?;
        for v in versions.iter().filter(|v| !v.is_default_version()) {
            let Some(id) = v.version_id() else { continue };
            let req = self.iam.get_policy_version().policy_arn(arn).version_id(id);
            let out = self
                .iam_call("iam:GetPolicyVersion", || req.clone().send())
                .await?;
            let existing = out
                .policy_version()
                .and_then(|p| p.document())
                .map(decode_document)
                .unwrap_or_default();
            if documents_equivalent(&existing, doc) {
                let req = self
                    .iam
                    .set_default_policy_version()
                    .policy_arn(arn)
                    .version_id(id);
                self.iam_call_ec(
                    "iam:SetDefaultPolicyVersion",
                    transient::concurrent,
                    None,
                    || req.clone().send(),
                )
                .await?;
                return Ok(());
            }
        }
        if versions.len() >= 5 {
            let oldest = versions
                .iter()
                .filter(|v| !v.is_default_version())
                .min_by_key(|v| {
                    (
                        v.create_date().map(|d| (d.secs(), d.subsec_nanos())),
                        v.version_id()
                            .and_then(|id| id.trim_start_matches('v').parse::<u64>().ok()),
                    )
                })
                .and_then(|v| v.version_id())
                .map(str::to_owned);
            if let Some(id) = oldest {
                let req = self
                    .iam
                    .delete_policy_version()
                    .policy_arn(arn)
                    .version_id(&id);
                self.iam_call_ec(
                    "iam:DeletePolicyVersion",
                    transient::concurrent,
                    None,
                    || req.clone().send(),
                )
                .await?;
            }
        }
        let req = self
            .iam
            .create_policy_version()
            .policy_arn(arn)
            .policy_document(doc)
            .set_as_default(true);
        self.iam_call_ec(
            "iam:CreatePolicyVersion",
            transient::concurrent,
            None,
            || req.clone().send(),
        )
        .await?;
        Ok(())
    }

    pub(crate) async fn policy_versions(
        &self,
        arn: &str,
    ) -> Result<Vec<aws_sdk_iam::types::PolicyVersion>, ProviderError> {
        let mut all = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let req = self
                .iam
                .list_policy_versions()
                .policy_arn(arn)
                .max_items(self.settings.page_size)
                .set_marker(marker.clone());
            let out = self
                .iam_call("iam:ListPolicyVersions", || req.clone().send())
                .await?;
            all.extend(out.versions().iter().cloned());
            match out.marker().filter(|_| out.is_truncated()) {
                Some(m) => marker = Some(m.to_owned()),
                None => return Ok(all),
            }
        }
    }

    pub(crate) async fn delete_policy(&self, prior: &Value) -> Result<(), ProviderError> {
        let arn = required(prior, "arn", T, "iam:DeletePolicy")?.to_owned();
        let versions = match self.policy_versions(&arn).await {
            Ok(v) => v,
            Err(e) if e.kind == ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        for v in versions.iter().filter(|v| !v.is_default_version()) {
            let Some(id) = v.version_id() else { continue };
            let req = self
                .iam
                .delete_policy_version()
                .policy_arn(&arn)
                .version_id(id);
            match self
                .iam_call_ec(
                    "iam:DeletePolicyVersion",
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
        let req = self.iam.delete_policy().policy_arn(&arn);
        match self
            .iam_call("iam:DeletePolicy", || req.clone().send())
            .await
        {
            Ok(_) => return Ok(()),
            Err(e) if e.kind == ErrorKind::NotFound => return Ok(()),
            Err(e) if e.kind == ErrorKind::Conflict => {
                let users = self.policy_entities(&arn).await?;
                if !users.is_empty() {
                    return Err(ProviderError::new(
                        ErrorKind::Conflict,
                        "iam:DeletePolicy",
                        format!("policy {arn} is still attached to {}", users.join(", ")),
                    )
                    .with_hint(
                        "detach it from those entities first, or manage the attachments in aiu",
                    ));
                }
            }
            Err(e) => return Err(e),
        }
        // Attachments just removed may not be visible yet.
        match self
            .iam_call_ec(
                "iam:DeletePolicy",
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

    /// "role X", "user Y", "group Z" for every entity the policy is attached to.
    async fn policy_entities(&self, arn: &str) -> Result<Vec<String>, ProviderError> {
        let mut names = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let req = self
                .iam
                .list_entities_for_policy()
                .policy_arn(arn)
                .max_items(self.settings.page_size)
                .set_marker(marker.clone());
            let out = self
                .iam_call("iam:ListEntitiesForPolicy", || req.clone().send())
                .await?;
            names.extend(
                out.policy_roles()
                    .iter()
                    .filter_map(|r| r.role_name())
                    .map(|n| format!("role {n}")),
            );
            names.extend(
                out.policy_users()
                    .iter()
                    .filter_map(|r| r.user_name())
                    .map(|n| format!("user {n}")),
            );
            names.extend(
                out.policy_groups()
                    .iter()
                    .filter_map(|r| r.group_name())
                    .map(|n| format!("group {n}")),
            );
            match out.marker().filter(|_| out.is_truncated()) {
                Some(m) => marker = Some(m.to_owned()),
                None => return Ok(names),
            }
        }
    }

    /// The ARN a policy of this name and path has in the caller's account.
    pub(crate) fn policy_arn_for(&self, name: &str, path: &str) -> String {
        format!(
            "arn:{}:iam::{}:policy{}{}",
            self.partition(),
            self.account_id(),
            path,
            name
        )
    }
}
