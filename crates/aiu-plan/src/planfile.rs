//! Saved plans (`aiu plan -out=FILE`, `aiu apply FILE`): a versioned JSON file holding the plan
//! and everything needed to refuse applying it when the world moved since it was made — the
//! prior state's lineage and serial, the account, a digest of the configuration, and a
//! fingerprint of every live object the plan read.
//!
//! Values are stored as JSON plus a mask of unknown leaves (like Terraform's `after_unknown`),
//! so "known after apply" survives the round trip.

use std::collections::BTreeMap;

use aiu_model::{Diagnostics, InstanceAddress, Value};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::model::{Action, ChangeReason, Drift, OutputChange, Plan, ResourceChange};

/// The plan file format this build writes and reads.
pub const PLAN_FILE_FORMAT_VERSION: u64 = 1;

/// Everything a saved plan records.
#[derive(Clone, Debug, PartialEq)]
pub struct SavedPlan {
    pub plan: Plan,
    /// SHA-256 of the configuration files (names and contents).
    pub config_digest: String,
    /// The AWS account the plan was made for.
    pub account_id: String,
    pub workspace: String,
    /// Input variable values used for the plan; apply uses exactly these.
    pub variables: BTreeMap<String, Value>,
    /// SHA-256 of each refreshed managed instance's attributes, by address.
    pub live_fingerprints: BTreeMap<String, String>,
    /// `plan -refresh-only`.
    pub refresh_only: bool,
}

/// Why a plan file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PlanFileError {
    #[error("{path} is not an aiu plan file ({detail}). Create one with `aiu plan -out={path}`.")]
    NotAPlan { path: String, detail: String },
    #[error("{path} was written by a newer aiu (plan format {found}, this aiu reads {PLAN_FILE_FORMAT_VERSION}). Upgrade aiu or make the plan again with this version.")]
    NewerFormat { path: String, found: u64 },
}

#[derive(Serialize, Deserialize)]
struct FileV1 {
    format: String,
    format_version: u64,
    aiu_version: String,
    config_digest: String,
    account_id: String,
    workspace: String,
    prior_lineage: String,
    prior_serial: u64,
    destroy: bool,
    refresh_only: bool,
    variables: MaskedValue,
    live_fingerprints: BTreeMap<String, String>,
    changes: Vec<ChangeV1>,
    outputs: Vec<OutputV1>,
    drift: Vec<DriftV1>,
    warnings: Vec<String>,
}

/// A value as JSON with unknown leaves marked in `unknown`.
#[derive(Serialize, Deserialize, Default)]
struct MaskedValue {
    value: Json,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    unknown: Option<Json>,
}

#[derive(Serialize, Deserialize)]
struct ChangeV1 {
    address: String,
    action: String,
    before: Option<MaskedValue>,
    after: Option<MaskedValue>,
    replace_paths: Vec<String>,
    reason: Option<String>,
    dependencies: Vec<String>,
    import_id: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct OutputV1 {
    name: String,
    action: String,
    before: Option<MaskedValue>,
    after: Option<MaskedValue>,
    sensitive: bool,
}

#[derive(Serialize, Deserialize)]
struct DriftV1 {
    address: String,
    before: MaskedValue,
    after: Option<MaskedValue>,
}

fn mask(v: &Value) -> MaskedValue {
    MaskedValue {
        value: v.to_json(),
        unknown: v.unknown_mask(),
    }
}

fn unmask(m: MaskedValue) -> Value {
    fn apply(value: Value, mask: Option<&Json>) -> Value {
        match (value, mask) {
            (_, Some(Json::Bool(true))) => Value::Unknown,
            (Value::Object(map), Some(Json::Object(m))) => Value::Object(
                map.into_iter()
                    .map(|(k, v)| {
                        let sub = m.get(&k);
                        (k, apply(v, sub))
                    })
                    .collect(),
            ),
            (Value::List(items), Some(Json::Array(m))) => Value::List(
                items
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| apply(v, m.get(i)))
                    .collect(),
            ),
            (value, _) => value,
        }
    }
    // Unknown object keys hold `null` in `value`; restore them from the mask.
    fn restore_keys(value: Value, mask: Option<&Json>) -> Value {
        match (value, mask) {
            (Value::Object(mut map), Some(Json::Object(m))) => {
                for (k, sub) in m {
                    let inner = map.remove(k).unwrap_or(Value::Null);
                    map.insert(k.clone(), restore_keys(inner, Some(sub)));
                }
                Value::Object(map)
            }
            (v, _) => v,
        }
    }
    let value = Value::from_json(&m.value);
    let value = restore_keys(value, m.unknown.as_ref());
    apply(value, m.unknown.as_ref())
}

fn action_name(a: Action) -> &'static str {
    match a {
        Action::NoOp => "no-op",
        Action::Read => "read",
        Action::Create => "create",
        Action::Update => "update",
        Action::Replace => "replace",
        Action::Delete => "delete",
        Action::Import => "import",
    }
}

fn parse_action(s: &str) -> Option<Action> {
    Some(match s {
        "no-op" => Action::NoOp,
        "read" => Action::Read,
        "create" => Action::Create,
        "update" => Action::Update,
        "replace" => Action::Replace,
        "delete" => Action::Delete,
        "import" => Action::Import,
        _ => return None,
    })
}

fn reason_name(r: &ChangeReason) -> &'static str {
    match r {
        ChangeReason::NotInConfig => "not_in_config",
        ChangeReason::KeyNotInConfig => "key_not_in_config",
        ChangeReason::DeletedOutside => "deleted_outside",
        ChangeReason::ReadDeferred => "read_deferred",
        ChangeReason::DestroyRequested => "destroy_requested",
        ChangeReason::ReplaceAttributes => "replace_attributes",
    }
}

fn parse_reason(s: &str) -> Option<ChangeReason> {
    Some(match s {
        "not_in_config" => ChangeReason::NotInConfig,
        "key_not_in_config" => ChangeReason::KeyNotInConfig,
        "deleted_outside" => ChangeReason::DeletedOutside,
        "read_deferred" => ChangeReason::ReadDeferred,
        "destroy_requested" => ChangeReason::DestroyRequested,
        "replace_attributes" => ChangeReason::ReplaceAttributes,
        _ => return None,
    })
}

impl SavedPlan {
    /// The plan file's text.
    pub fn to_json_string(&self) -> String {
        let p = &self.plan;
        let file = FileV1 {
            format: "aiu-plan".into(),
            format_version: PLAN_FILE_FORMAT_VERSION,
            aiu_version: env!("CARGO_PKG_VERSION").into(),
            config_digest: self.config_digest.clone(),
            account_id: self.account_id.clone(),
            workspace: self.workspace.clone(),
            prior_lineage: p.prior_lineage.clone(),
            prior_serial: p.prior_serial,
            destroy: p.destroy,
            refresh_only: self.refresh_only,
            variables: mask(&Value::Object(self.variables.clone())),
            live_fingerprints: self.live_fingerprints.clone(),
            changes: p
                .changes
                .iter()
                .map(|c| ChangeV1 {
                    address: c.address.to_string(),
                    action: action_name(c.action).into(),
                    before: c.before.as_ref().map(mask),
                    after: c.after.as_ref().map(mask),
                    replace_paths: c.replace_paths.clone(),
                    reason: c.reason.as_ref().map(|r| reason_name(r).into()),
                    dependencies: c.dependencies.clone(),
                    import_id: c.import_id.clone(),
                })
                .collect(),
            outputs: p
                .outputs
                .iter()
                .map(|o| OutputV1 {
                    name: o.name.clone(),
                    action: action_name(o.action).into(),
                    before: o.before.as_ref().map(mask),
                    after: o.after.as_ref().map(mask),
                    sensitive: o.sensitive,
                })
                .collect(),
            drift: p
                .drift
                .iter()
                .map(|d| DriftV1 {
                    address: d.address.to_string(),
                    before: mask(&d.before),
                    after: d.after.as_ref().map(mask),
                })
                .collect(),
            warnings: p.diagnostics.iter().map(ToString::to_string).collect(),
        };
        let mut text = serde_json::to_string_pretty(&file).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Reads a plan file's text; `path` names it in errors.
    pub fn from_json_str(text: &str, path: &str) -> Result<SavedPlan, PlanFileError> {
        let not_a_plan = |detail: String| PlanFileError::NotAPlan {
            path: path.to_owned(),
            detail,
        };
        let header: Json =
            serde_json::from_str(text).map_err(|e| not_a_plan(format!("invalid JSON: {e}")))?;
        if header.get("format").and_then(Json::as_str) != Some("aiu-plan") {
            return Err(not_a_plan("no `\"format\": \"aiu-plan\"` header".into()));
        }
        let version = header
            .get("format_version")
            .and_then(Json::as_u64)
            .unwrap_or(0);
        if version > PLAN_FILE_FORMAT_VERSION {
            return Err(PlanFileError::NewerFormat {
                path: path.to_owned(),
                found: version,
            });
        }
        let file: FileV1 = serde_json::from_value(header).map_err(|e| not_a_plan(e.to_string()))?;
        let address = |s: &str| {
            s.parse::<InstanceAddress>()
                .map_err(|e| not_a_plan(e.to_string()))
        };
        let mut changes = Vec::with_capacity(file.changes.len());
        for c in file.changes {
            changes.push(ResourceChange {
                address: address(&c.address)?,
                action: parse_action(&c.action)
                    .ok_or_else(|| not_a_plan(format!("unknown action `{}`", c.action)))?,
                before: c.before.map(unmask),
                after: c.after.map(unmask),
                replace_paths: c.replace_paths,
                reason: c.reason.as_deref().and_then(parse_reason),
                dependencies: c.dependencies,
                import_id: c.import_id,
            });
        }
        let mut outputs = Vec::with_capacity(file.outputs.len());
        for o in file.outputs {
            outputs.push(OutputChange {
                name: o.name,
                action: parse_action(&o.action)
                    .ok_or_else(|| not_a_plan(format!("unknown action `{}`", o.action)))?,
                before: o.before.map(unmask),
                after: o.after.map(unmask),
                sensitive: o.sensitive,
            });
        }
        let mut drift = Vec::with_capacity(file.drift.len());
        for d in file.drift {
            drift.push(Drift {
                address: address(&d.address)?,
                before: unmask(d.before),
                after: d.after.map(unmask),
            });
        }
        let variables = match unmask(file.variables) {
            Value::Object(map) => map,
            _ => BTreeMap::new(),
        };
        Ok(SavedPlan {
            plan: Plan {
                changes,
                outputs,
                drift,
                diagnostics: Diagnostics::new(),
                prior_lineage: file.prior_lineage,
                prior_serial: file.prior_serial,
                destroy: file.destroy,
                access_assertions: Vec::new(),
            },
            config_digest: file.config_digest,
            account_id: file.account_id,
            workspace: file.workspace,
            variables,
            live_fingerprints: file.live_fingerprints,
            refresh_only: file.refresh_only,
        })
    }
}

/// SHA-256 of a configuration's files (sorted by path, names and contents).
pub fn config_digest<'a>(
    files: impl IntoIterator<Item = (&'a std::path::Path, &'a str)>,
) -> String {
    use sha2::{Digest, Sha256};
    let mut files: Vec<(&std::path::Path, &str)> = files.into_iter().collect();
    files.sort();
    let mut hasher = Sha256::new();
    for (path, text) in files {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        hasher.update(name.as_bytes());
        hasher.update([0]);
        hasher.update(text.as_bytes());
        hasher.update([0]);
    }
    hex(&hasher.finalize())
}

/// SHA-256 of one object's attributes, for detecting out-of-band changes between plan and apply.
pub fn fingerprint(attributes: &Value) -> String {
    use sha2::{Digest, Sha256};
    hex(&Sha256::digest(attributes.to_json().to_string().as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> SavedPlan {
        let after = Value::object([
            ("name", Value::from("r")),
            ("arn", Value::Unknown),
            ("tags", Value::object([("a", Value::Unknown)])),
        ]);
        SavedPlan {
            plan: Plan {
                changes: vec![ResourceChange {
                    address: "aws_iam_role.r[\"x\"]".parse().unwrap(),
                    action: Action::Create,
                    before: None,
                    after: Some(after),
                    replace_paths: vec![],
                    reason: None,
                    dependencies: vec!["aws_iam_policy.p".into()],
                    import_id: None,
                }],
                outputs: vec![OutputChange {
                    name: "o".into(),
                    action: Action::Create,
                    before: None,
                    after: Some(Value::Unknown),
                    sensitive: true,
                }],
                drift: vec![],
                diagnostics: Diagnostics::new(),
                prior_lineage: "L".into(),
                prior_serial: 4,
                destroy: false,
                access_assertions: Vec::new(),
            },
            config_digest: "d".into(),
            account_id: "123456789012".into(),
            workspace: "default".into(),
            variables: BTreeMap::from([("n".to_owned(), Value::from(3.0))]),
            live_fingerprints: BTreeMap::from([("aws_iam_role.old".to_owned(), "f".to_owned())]),
            refresh_only: false,
        }
    }

    #[test]
    fn a_saved_plan_round_trips_with_its_unknown_values() {
        let saved = sample();
        let text = saved.to_json_string();
        assert_eq!(SavedPlan::from_json_str(&text, "p").unwrap(), saved);
    }

    #[test]
    fn other_files_and_newer_formats_are_refused() {
        assert!(matches!(
            SavedPlan::from_json_str("{}", "p"),
            Err(PlanFileError::NotAPlan { .. })
        ));
        assert!(matches!(
            SavedPlan::from_json_str("not json", "p"),
            Err(PlanFileError::NotAPlan { .. })
        ));
        let newer = sample()
            .to_json_string()
            .replace("\"format_version\": 1", "\"format_version\": 9");
        assert!(matches!(
            SavedPlan::from_json_str(&newer, "p"),
            Err(PlanFileError::NewerFormat { found: 9, .. })
        ));
    }

    #[test]
    fn config_digest_depends_on_names_and_contents_not_order() {
        use std::path::Path;
        let a = config_digest([(Path::new("a.tf"), "x"), (Path::new("b.tf"), "y")]);
        let b = config_digest([(Path::new("b.tf"), "y"), (Path::new("a.tf"), "x")]);
        let c = config_digest([(Path::new("a.tf"), "x"), (Path::new("b.tf"), "z")]);
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}
