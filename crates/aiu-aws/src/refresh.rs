//! Refresh: per-resource reads for small sets, one account snapshot for larger ones.
//!
//! Call counts (measured against moto, asserted in `tests/refresh.rs`), in addition to the one
//! `sts:GetCallerIdentity` a provider makes in its lifetime:
//!
//! - per resource (at most `batch_refresh_threshold` = 5 roles + managed policies):
//!   role = 1 `GetRole`; managed policy = `GetPolicy` + `GetPolicyVersion` (2);
//!   attachments = 1 `ListAttachedRolePolicies` per distinct role (shared by all attachments
//!   of that role); inline policy = 1 `GetRolePolicy`; instance profile = 1 `GetInstanceProfile`.
//! - snapshot (more than 5 roles + policies): `GetAccountAuthorizationDetails` pages
//!   (filter `Role` and/or `LocalManagedPolicy`, only what the items need) + `ListRoles` pages
//!   (Description and MaxSessionDuration, which GAAD lacks; only when roles are refreshed)
//!   + `ListInstanceProfiles` pages (only when instance profiles are refreshed)
//!   + 1 `ListPolicyTags` per managed policy whose state has tags
//!   + 1 `ListInstanceProfileTags` per instance profile whose state has tags.
//!
//! Measured (`tests/refresh.rs`, pages of 1000): 20 roles + 20 policies (4 of them tagged) +
//! 20 attachments + 20 inline policies = 1 GAAD + 1 ListRoles + 4 ListPolicyTags = 6 calls,
//! where per-resource reads would take 100 (20 + 40 + 20 + 20). With pages of 7, ListRoles
//! takes one call per 7 roles of the account (moto answers GAAD in one page whatever
//! MaxItems says; the Marker loop is exercised against AWS).
//!
//! The snapshot is kept for the rest of the run: `data "aws_iam_role"` reads are answered from
//! it (no `GetRole`) when it holds every role of the account, until this provider makes its
//! first change. A role it does not hold is asked for.
//!
//! Limitation of the snapshot: tags added out of band to a policy or instance profile whose
//! state has no tags are not seen (GAAD and ListInstanceProfiles carry no tags for them).

use aiu_model::Value;
use aiu_provider::{ErrorKind, ProviderError, RefreshItem};
use aws_sdk_iam::types::{EntityType, InstanceProfile, ManagedPolicyDetail, Role, RoleDetail};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::attachment::{attachment_value, inline_value};
use crate::policy::LivePolicy;
use crate::profile::LiveProfile;
use crate::role::LiveRole;
use crate::values::*;
use crate::AwsProvider;

pub(crate) type ItemResult = Result<Option<Value>, ProviderError>;

/// What the account-wide reads of one snapshot refresh returned.
#[derive(Default)]
pub(crate) struct Snapshot {
    roles: HashMap<String, RoleDetail>,
    listed_roles: HashMap<String, Role>,
    policies: HashMap<String, ManagedPolicyDetail>,
    profiles: HashMap<String, InstanceProfile>,
    /// Both role reads ran (GAAD with `Role`, and `ListRoles`): `roles` and `listed_roles`
    /// hold every role of the account.
    all_roles: bool,
}

fn is_role_or_policy(t: &str) -> bool {
    t == "aws_iam_role" || t == "aws_iam_policy"
}

fn unsupported(type_name: &str) -> ProviderError {
    ProviderError::new(
        ErrorKind::InvalidInput,
        "aiu:refresh",
        format!("resource type {type_name} is not supported by the aws provider"),
    )
}

impl AwsProvider {
    pub(crate) async fn refresh_items(
        &self,
        items: &[RefreshItem],
    ) -> Result<Vec<ItemResult>, ProviderError> {
        self.checked_identity().await?;
        self.forget_snapshot();
        let heavy = items
            .iter()
            .filter(|i| is_role_or_policy(&i.type_name))
            .count();
        if heavy > self.settings.batch_refresh_threshold {
            self.refresh_snapshot(items).await
        } else {
            Ok(self.refresh_each(items).await)
        }
    }

    async fn refresh_each(&self, items: &[RefreshItem]) -> Vec<ItemResult> {
        let mut attached: HashMap<String, Result<Vec<String>, ProviderError>> = HashMap::new();
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let r = match item.type_name.as_str() {
                "aws_iam_role" => self.read_role(&item.state).await,
                "aws_iam_policy" => self.read_policy(&item.state).await,
                "aws_iam_role_policy" => self.read_inline(&item.state).await,
                "aws_iam_instance_profile" => self.read_profile(&item.state).await,
                "aws_iam_role_policy_attachment" => match self.attachment_keys(&item.state) {
                    Err(e) => Err(e),
                    Ok((role, arn)) => {
                        if !attached.contains_key(role) {
                            let arns = self.attached_policy_arns(role).await;
                            attached.insert(role.to_owned(), arns);
                        }
                        match &attached[role] {
                            Ok(arns) => Ok(arns
                                .iter()
                                .any(|a| a == arn)
                                .then(|| attachment_value(role, arn))),
                            Err(e) if e.kind == ErrorKind::NotFound => Ok(None),
                            Err(e) => Err(e.clone()),
                        }
                    }
                },
                other => Err(unsupported(other)),
            };
            out.push(r);
        }
        out
    }

    async fn refresh_snapshot(
        &self,
        items: &[RefreshItem],
    ) -> Result<Vec<ItemResult>, ProviderError> {
        let has = |t: &str| items.iter().any(|i| i.type_name == t);
        let need_roles = has("aws_iam_role")
            || has("aws_iam_role_policy_attachment")
            || has("aws_iam_role_policy");
        let need_policies = has("aws_iam_policy");
        let mut filter = Vec::new();
        if need_roles {
            filter.push(EntityType::Role);
        }
        if need_policies {
            filter.push(EntityType::LocalManagedPolicy);
        }
        // The three account-wide reads are independent: run them at the same time.
        let details = async {
            let mut roles = HashMap::new();
            let mut policies = HashMap::new();
            if filter.is_empty() {
                return Ok((roles, policies));
            }
            let mut marker: Option<String> = None;
            loop {
                let req = self
                    .iam
                    .get_account_authorization_details()
                    .set_filter(Some(filter.clone()))
                    .max_items(self.settings.page_size)
                    .set_marker(marker.clone());
                let out = self
                    .iam_call("iam:GetAccountAuthorizationDetails", || req.clone().send())
                    .await?;
                for r in out.role_detail_list() {
                    if let Some(n) = r.role_name() {
                        roles.insert(n.to_owned(), r.clone());
                    }
                }
                for p in out.policies() {
                    if let Some(a) = p.arn() {
                        policies.insert(a.to_owned(), p.clone());
                    }
                }
                match out.marker().filter(|_| out.is_truncated()) {
                    Some(m) => marker = Some(m.to_owned()),
                    None => return Ok::<_, ProviderError>((roles, policies)),
                }
            }
        };
        let listed_roles = async {
            let mut listed = HashMap::new();
            if !has("aws_iam_role") {
                return Ok(listed);
            }
            let mut marker: Option<String> = None;
            loop {
                let req = self
                    .iam
                    .list_roles()
                    .max_items(self.settings.page_size)
                    .set_marker(marker.clone());
                let out = self
                    .iam_call("iam:ListRoles", || req.clone().send())
                    .await?;
                for r in out.roles() {
                    listed.insert(r.role_name().to_owned(), r.clone());
                }
                match out.marker().filter(|_| out.is_truncated()) {
                    Some(m) => marker = Some(m.to_owned()),
                    None => return Ok::<_, ProviderError>(listed),
                }
            }
        };
        let profiles = async {
            let mut profiles = HashMap::new();
            if !has("aws_iam_instance_profile") {
                return Ok(profiles);
            }
            let mut marker: Option<String> = None;
            loop {
                let req = self
                    .iam
                    .list_instance_profiles()
                    .max_items(self.settings.page_size)
                    .set_marker(marker.clone());
                let out = self
                    .iam_call("iam:ListInstanceProfiles", || req.clone().send())
                    .await?;
                for p in out.instance_profiles() {
                    profiles.insert(p.instance_profile_name().to_owned(), p.clone());
                }
                match out.marker().filter(|_| out.is_truncated()) {
                    Some(m) => marker = Some(m.to_owned()),
                    None => return Ok::<_, ProviderError>(profiles),
                }
            }
        };
        let ((roles, policies), listed_roles, profiles) =
            tokio::try_join!(details, listed_roles, profiles)?;
        let all_roles = filter.contains(&EntityType::Role) && has("aws_iam_role");
        let snap = Arc::new(Snapshot {
            roles,
            policies,
            listed_roles,
            profiles,
            all_roles,
        });
        *self
            .snapshot
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(snap.clone());

        let mut results = Vec::with_capacity(items.len());
        for item in items {
            let r = match item.type_name.as_str() {
                "aws_iam_role" => Ok(self.snapshot_role(&snap, &item.state)),
                "aws_iam_policy" => self.snapshot_policy(&snap, &item.state).await,
                "aws_iam_role_policy_attachment" => {
                    self.attachment_keys(&item.state).map(|(role, arn)| {
                        snap.roles
                            .get(role)
                            .filter(|r| {
                                r.attached_managed_policies()
                                    .iter()
                                    .any(|p| p.policy_arn() == Some(arn))
                            })
                            .map(|_| attachment_value(role, arn))
                    })
                }
                "aws_iam_role_policy" => self.inline_keys(&item.state).map(|(role, name)| {
                    snap.roles.get(role).and_then(|r| {
                        r.role_policy_list()
                            .iter()
                            .find(|p| p.policy_name() == Some(name))
                            .map(|p| {
                                let doc = decode_document(p.policy_document().unwrap_or_default());
                                inline_value(
                                    role,
                                    name,
                                    prefer_prior_document(doc, Some(&item.state), "policy"),
                                    Some(&item.state),
                                )
                            })
                    })
                }),
                "aws_iam_instance_profile" => self.snapshot_profile(&snap, &item.state).await,
                other => Err(unsupported(other)),
            };
            results.push(r);
        }
        Ok(results)
    }

    fn snapshot_role(&self, snap: &Snapshot, prior: &Value) -> Option<Value> {
        let name = str_attr(prior, "name").or_else(|| str_attr(prior, "id"))?;
        Some(self.role_value(live_role(snap, name)?, Some(prior)))
    }

    /// A role as the last snapshot refresh of this run saw it, if that snapshot read every
    /// role of the account and nothing was changed since; `None` means "ask IAM".
    pub(crate) fn role_from_snapshot(&self, name: &str) -> Option<LiveRole> {
        let snap = self
            .snapshot
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()?;
        // The two role reads ran concurrently: a role made in between is in only one of them.
        if !snap.all_roles || !snap.listed_roles.contains_key(name) {
            return None;
        }
        live_role(&snap, name)
    }

    pub(crate) fn forget_snapshot(&self) {
        *self
            .snapshot
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    }

    async fn snapshot_policy(&self, snap: &Snapshot, prior: &Value) -> ItemResult {
        let Some(arn) = str_attr(prior, "arn").or_else(|| str_attr(prior, "id")) else {
            return Ok(None);
        };
        let Some(d) = snap.policies.get(arn) else {
            return Ok(None);
        };
        let doc = d
            .policy_version_list()
            .iter()
            .find(|v| v.is_default_version())
            .and_then(|v| v.document())
            .map(decode_document)
            .unwrap_or_default();
        let tags = if tags_attr(prior, "tags_all").is_empty() {
            None
        } else {
            Some(self.policy_tags(arn).await?)
        };
        let live = LivePolicy {
            // moto's GAAD omits PolicyName and PolicyId (AWS sends them): fall back to the
            // ARN's last segment and the id in state.
            name: d.policy_name().map_or_else(
                || arn.rsplit('/').next().unwrap_or_default().to_owned(),
                str::to_owned,
            ),
            path: d.path().unwrap_or("/").to_owned(),
            arn: arn.to_owned(),
            policy_id: d
                .policy_id()
                .map(str::to_owned)
                .or_else(|| str_attr(prior, "policy_id").map(str::to_owned))
                .unwrap_or_default(),
            description: d.description().unwrap_or_default().to_owned(),
            attachment_count: d.attachment_count().unwrap_or(0),
            document: doc,
            tags,
        };
        Ok(Some(self.policy_value(live, Some(prior))))
    }

    async fn snapshot_profile(&self, snap: &Snapshot, prior: &Value) -> ItemResult {
        let Some(name) = str_attr(prior, "name").or_else(|| str_attr(prior, "id")) else {
            return Ok(None);
        };
        let Some(p) = snap.profiles.get(name) else {
            return Ok(None);
        };
        let mut live = LiveProfile::from_sdk(p, false);
        if !tags_attr(prior, "tags_all").is_empty() {
            live.tags = Some(self.profile_tags(name).await?);
        }
        Ok(Some(self.profile_value(live, Some(prior))))
    }

    async fn policy_tags(&self, arn: &str) -> Result<BTreeMap<String, String>, ProviderError> {
        let mut tags = BTreeMap::new();
        let mut marker: Option<String> = None;
        loop {
            let req = self
                .iam
                .list_policy_tags()
                .policy_arn(arn)
                .max_items(self.settings.page_size)
                .set_marker(marker.clone());
            let out = self
                .iam_call("iam:ListPolicyTags", || req.clone().send())
                .await?;
            tags.extend(tag_map(out.tags()));
            match out.marker().filter(|_| out.is_truncated()) {
                Some(m) => marker = Some(m.to_owned()),
                None => return Ok(tags),
            }
        }
    }

    async fn profile_tags(&self, name: &str) -> Result<BTreeMap<String, String>, ProviderError> {
        let mut tags = BTreeMap::new();
        let mut marker: Option<String> = None;
        loop {
            let req = self
                .iam
                .list_instance_profile_tags()
                .instance_profile_name(name)
                .max_items(self.settings.page_size)
                .set_marker(marker.clone());
            let out = self
                .iam_call("iam:ListInstanceProfileTags", || req.clone().send())
                .await?;
            tags.extend(tag_map(out.tags()));
            match out.marker().filter(|_| out.is_truncated()) {
                Some(m) => marker = Some(m.to_owned()),
                None => return Ok(tags),
            }
        }
    }
}

/// The role `name` from a snapshot: GAAD's details plus what only `ListRoles` returns
/// (description, maximum session duration).
fn live_role(snap: &Snapshot, name: &str) -> Option<LiveRole> {
    let d = snap.roles.get(name)?;
    let listed = snap.listed_roles.get(name);
    Some(LiveRole {
        name: name.to_owned(),
        path: d.path().unwrap_or("/").to_owned(),
        arn: d.arn().unwrap_or_default().to_owned(),
        unique_id: d.role_id().unwrap_or_default().to_owned(),
        create_date: opt_date(d.create_date()),
        trust: d
            .assume_role_policy_document()
            .map(decode_document)
            .unwrap_or_default(),
        description: listed.and_then(|r| r.description()).map(str::to_owned),
        max_session_duration: listed.and_then(|r| r.max_session_duration()),
        boundary: d
            .permissions_boundary()
            .and_then(|b| b.permissions_boundary_arn())
            .map(str::to_owned),
        tags: tag_map(d.tags()),
    })
}
