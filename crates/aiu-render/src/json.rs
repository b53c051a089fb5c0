//! The machine-readable plan, shaped like `terraform show -json` of a saved plan.

use crate::plan::attr_type;
use crate::policy;
use aiu_model::{AttrType, InstanceAddress, InstanceKey, ResourceMode, Value};
use aiu_plan::{Action, ChangeReason, Plan, ResourceChange};
use serde_json::{json, Map, Value as Json};

/// The `format_version` of the JSON plan (Terraform's current plan format).
pub const PLAN_FORMAT_VERSION: &str = "1.2";

/// The provider every supported resource type belongs to.
const PROVIDER_NAME: &str = "registry.terraform.io/hashicorp/aws";

fn value_json(v: Option<&Value>) -> Json {
    v.map_or(Json::Null, Value::to_json)
}

fn unknown_json(v: Option<&Value>) -> Json {
    match v {
        Some(v) => v.unknown_mask().unwrap_or_else(|| {
            if matches!(v, Value::Object(_)) {
                json!({})
            } else {
                json!(false)
            }
        }),
        None => json!({}),
    }
}

/// `address`, `mode`, `type`, `name`, `index` (absent without a key), `provider_name`.
fn address_fields(address: &InstanceAddress) -> Map<String, Json> {
    let r = &address.resource;
    let mut m = Map::new();
    m.insert("address".into(), json!(address.to_string()));
    m.insert(
        "mode".into(),
        json!(if r.mode == ResourceMode::Data {
            "data"
        } else {
            "managed"
        }),
    );
    m.insert("type".into(), json!(r.type_name));
    m.insert("name".into(), json!(r.name));
    match &address.key {
        InstanceKey::None => {}
        InstanceKey::Int(i) => {
            m.insert("index".into(), json!(i));
        }
        InstanceKey::Str(s) => {
            m.insert("index".into(), json!(s));
        }
    }
    m.insert("provider_name".into(), json!(PROVIDER_NAME));
    m
}

fn change_object(
    actions: &[&str],
    before: Option<&Value>,
    after: Option<&Value>,
) -> Map<String, Json> {
    let mut m = Map::new();
    m.insert("actions".into(), json!(actions));
    m.insert("before".into(), value_json(before));
    m.insert("after".into(), value_json(after));
    m.insert("after_unknown".into(), unknown_json(after));
    m.insert("before_sensitive".into(), json!(false));
    m.insert("after_sensitive".into(), json!(false));
    m
}

/// Terraform's `action_reason` values, plus `create_because_deleted_outside` for aiu's own.
fn action_reason(c: &ResourceChange) -> Option<&'static str> {
    Some(match c.reason.as_ref()? {
        ChangeReason::NotInConfig => "delete_because_no_resource_config",
        ChangeReason::KeyNotInConfig => match c.address.key {
            InstanceKey::Int(_) => "delete_because_count_index",
            InstanceKey::Str(_) => "delete_because_each_key",
            InstanceKey::None => "delete_because_no_resource_config",
        },
        ChangeReason::DeletedOutside => "create_because_deleted_outside",
        ChangeReason::ReadDeferred => "read_because_config_unknown",
        ChangeReason::DestroyRequested => return None,
        ChangeReason::ReplaceAttributes => "replace_because_cannot_update",
    })
}

fn object_differs(
    before: Option<&Value>,
    after: Option<&Value>,
    address: &InstanceAddress,
) -> bool {
    let empty = std::collections::BTreeMap::new();
    let b = before.and_then(Value::as_object).unwrap_or(&empty);
    let a = after.and_then(Value::as_object).unwrap_or(&empty);
    let keys: std::collections::BTreeSet<&String> = b.keys().chain(a.keys()).collect();
    let differs = keys.into_iter().any(|k| {
        let (x, y) = (
            b.get(k).filter(|v| !v.is_null()),
            a.get(k).filter(|v| !v.is_null()),
        );
        match (x, y) {
            (None, None) => false,
            (Some(Value::String(x)), Some(Value::String(y)))
                if attr_type(address.resource.mode, &address.resource.type_name, k)
                    == Some(AttrType::PolicyJson) =>
            {
                !policy::equivalent(x, y)
            }
            (x, y) => x != y,
        }
    });
    differs
}

fn resource_change_json(c: &ResourceChange) -> Json {
    let mut m = address_fields(&c.address);
    let actions: Vec<&str> = match c.action {
        Action::Import if object_differs(c.before.as_ref(), c.after.as_ref(), &c.address) => {
            vec!["update"]
        }
        a => a.json_actions().to_vec(),
    };
    let mut change = change_object(&actions, c.before.as_ref(), c.after.as_ref());
    if !c.replace_paths.is_empty() {
        let paths: Vec<Json> = c.replace_paths.iter().map(|p| json!([p])).collect();
        change.insert("replace_paths".into(), Json::Array(paths));
    }
    if let Some(id) = &c.import_id {
        change.insert("importing".into(), json!({ "id": id }));
    }
    m.insert("change".into(), Json::Object(change));
    if let Some(reason) = action_reason(c) {
        m.insert("action_reason".into(), json!(reason));
    }
    Json::Object(m)
}

/// The policy attributes an update, replacement or import really changes (both documents
/// known and not equivalent): (attribute name, before text, after text).
fn changed_policies(c: &ResourceChange) -> Vec<(&String, &str, &str)> {
    if !matches!(c.action, Action::Update | Action::Replace | Action::Import) {
        return Vec::new();
    }
    let (Some(Value::Object(b)), Some(Value::Object(a))) = (&c.before, &c.after) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (name, after) in a {
        if attr_type(c.address.resource.mode, &c.address.resource.type_name, name)
            != Some(AttrType::PolicyJson)
        {
            continue;
        }
        let (Some(Value::String(before)), Value::String(after)) = (b.get(name), after) else {
            continue;
        };
        if policy::equivalent(before, after) {
            continue;
        }
        out.push((name, before.as_str(), after.as_str()));
    }
    out
}

/// Statement-level diffs of every policy attribute an update, replacement or import changes,
/// with the access classification (`access`: broadening, narrowing or neutral).
fn policy_changes(c: &ResourceChange) -> Vec<Json> {
    changed_policies(c)
        .into_iter()
        .map(|(name, before, after)| {
            let diff = policy::diff_json(before, after);
            json!({
                "address": c.address.to_string(),
                "attribute": name,
                "access": diff.get("access").cloned().unwrap_or(Json::Null),
                "diff": diff,
            })
        })
        .collect()
}

/// The policy attributes whose change in this plan grants more access, as
/// `address.attribute` (e.g. `aws_iam_policy.app.policy`), sorted. Only documents known at plan
/// time and present on both sides are classified: creating a policy is not counted.
pub fn broadening_changes(plan: &Plan) -> Vec<String> {
    let mut out: Vec<String> = plan
        .changes
        .iter()
        .filter(|c| c.address.resource.mode == ResourceMode::Managed)
        .flat_map(|c| {
            changed_policies(c)
                .into_iter()
                .filter(|(_, before, after)| policy::broadens(before, after))
                .map(|(name, _, _)| format!("{}.{name}", c.address))
                .collect::<Vec<_>>()
        })
        .collect();
    out.sort();
    out
}

/// The plan as JSON, like `terraform show -json plan`: `format_version`, `aiu_version`,
/// `resource_drift`, `resource_changes` (managed instances including no-ops, data sources
/// only when read during apply), `output_changes`, plus aiu's `policy_changes` (statement
/// diffs of changed policy attributes). Keys are sorted and lists ordered by address, so
/// equal plans give equal JSON.
pub fn plan_json(plan: &Plan) -> Json {
    plan_json_with_configuration(plan, None)
}

/// [`plan_json`] plus a `configuration` member (a summary of the configuration, included as
/// given) when `configuration` is `Some`.
pub fn plan_json_with_configuration(plan: &Plan, configuration: Option<&Json>) -> Json {
    let mut changes: Vec<&ResourceChange> = plan
        .changes
        .iter()
        .filter(|c| c.address.resource.mode == ResourceMode::Managed || c.action == Action::Read)
        .collect();
    changes.sort_by(|a, b| a.address.cmp(&b.address));

    let mut drift: Vec<&aiu_plan::Drift> = plan.drift.iter().collect();
    drift.sort_by(|a, b| a.address.cmp(&b.address));
    let resource_drift: Vec<Json> = drift
        .iter()
        .map(|d| {
            let mut m = address_fields(&d.address);
            let actions: &[&str] = if d.after.is_some() {
                &["update"]
            } else {
                &["delete"]
            };
            m.insert(
                "change".into(),
                Json::Object(change_object(actions, Some(&d.before), d.after.as_ref())),
            );
            Json::Object(m)
        })
        .collect();

    let mut outputs = Map::new();
    for o in &plan.outputs {
        let mut m = Map::new();
        let actions = o.action.json_actions();
        m.insert("actions".into(), json!(actions));
        m.insert("before".into(), value_json(o.before.as_ref()));
        m.insert("after".into(), value_json(o.after.as_ref()));
        m.insert(
            "after_unknown".into(),
            o.after
                .as_ref()
                .and_then(Value::unknown_mask)
                .unwrap_or(json!(false)),
        );
        m.insert("before_sensitive".into(), json!(o.sensitive));
        m.insert("after_sensitive".into(), json!(o.sensitive));
        outputs.insert(o.name.clone(), Json::Object(m));
    }

    let has_output_changes = plan.outputs.iter().any(|o| o.action != Action::NoOp);
    let mut root = Map::new();
    root.insert("format_version".into(), json!(PLAN_FORMAT_VERSION));
    root.insert("aiu_version".into(), json!(crate::AIU_VERSION));
    root.insert(
        "applyable".into(),
        json!(plan.has_changes() || has_output_changes),
    );
    root.insert("complete".into(), json!(true));
    root.insert("errored".into(), json!(false));
    root.insert("destroy".into(), json!(plan.destroy));
    root.insert("prior_lineage".into(), json!(plan.prior_lineage));
    root.insert("prior_serial".into(), json!(plan.prior_serial));
    root.insert("resource_drift".into(), Json::Array(resource_drift));
    root.insert(
        "resource_changes".into(),
        Json::Array(changes.iter().map(|c| resource_change_json(c)).collect()),
    );
    root.insert("output_changes".into(), Json::Object(outputs));
    root.insert(
        "policy_changes".into(),
        Json::Array(changes.iter().flat_map(|c| policy_changes(c)).collect()),
    );
    if let Some(config) = configuration {
        root.insert("configuration".into(), config.clone());
    }
    Json::Object(root)
}
