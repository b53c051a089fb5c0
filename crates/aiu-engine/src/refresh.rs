//! Refresh: read every managed object recorded in state from the provider (in one batched
//! call), record what changed outside aiu as [`Drift`], and return the refreshed state.

use aiu_model::schema::schema_for;
use aiu_model::{Diagnostic, Diagnostics, InstanceAddress, ResourceMode, Value};
use aiu_plan::compare::attribute_changed;
use aiu_plan::Drift;
use aiu_provider::{Provider, RefreshItem};
use aiu_state::State;

/// The result of a refresh: the state as it is live, and what differs from the recorded one.
pub struct Refreshed {
    pub state: State,
    pub drift: Vec<Drift>,
    pub diagnostics: Diagnostics,
}

/// Reads every managed instance of `state` and returns the refreshed copy.
pub async fn refresh(provider: &dyn Provider, state: &State) -> Refreshed {
    let items: Vec<RefreshItem> = state
        .instances()
        .filter(|(addr, _)| addr.resource.mode == ResourceMode::Managed)
        .map(|(address, inst)| RefreshItem {
            type_name: address.resource.type_name.clone(),
            address,
            state: inst.value(),
        })
        .collect();
    let mut refreshed = state.clone();
    let mut drift = Vec::new();
    let mut diagnostics = Diagnostics::new();
    if items.is_empty() {
        return Refreshed {
            state: refreshed,
            drift,
            diagnostics,
        };
    }
    let answers = match provider.refresh(&items).await {
        Ok(answers) => answers,
        Err(e) => {
            diagnostics.push(Diagnostic::error("Refresh failed", e.to_string()));
            return Refreshed {
                state: refreshed,
                drift,
                diagnostics,
            };
        }
    };
    for (item, answer) in items.into_iter().zip(answers) {
        match answer {
            Ok(Some(live)) => {
                let live = keep_config_only_attributes(&item.state, live);
                if differs(&item.address, &item.state, &live, Scope::AllAttributes) {
                    if differs(&item.address, &item.state, &live, Scope::Arguments) {
                        drift.push(Drift {
                            address: item.address.clone(),
                            before: item.state.clone(),
                            after: Some(live.clone()),
                        });
                    }
                    // Equivalent policy documents keep their recorded text; only real changes
                    // replace what state holds. Computed-only changes (`attachment_count`) are
                    // recorded silently: they are not drift anyone acts on.
                    let merged = merge_equivalent(&item.address, &item.state, live);
                    let deps = state
                        .instance(&item.address)
                        .map(|i| i.dependencies.clone())
                        .unwrap_or_default();
                    if let serde_json::Value::Object(attrs) = merged.to_json() {
                        refreshed.set_instance(&item.address, attrs, deps);
                    }
                }
            }
            Ok(None) => {
                drift.push(Drift {
                    address: item.address.clone(),
                    before: item.state.clone(),
                    after: None,
                });
                refreshed.remove_instance(&item.address);
            }
            Err(e) => diagnostics.push(Diagnostic::error(
                "Refresh failed",
                format!("{}: {e}", item.address),
            )),
        }
    }
    Refreshed {
        state: refreshed,
        drift,
        diagnostics,
    }
}

/// Attributes that exist only in configuration (`CONFIG_ONLY_ATTRIBUTES`) are
/// not readable from AWS; keep what state recorded.
fn keep_config_only_attributes(recorded: &Value, live: Value) -> Value {
    let Value::Object(mut live) = live else {
        return live;
    };
    for key in aiu_model::schema::CONFIG_ONLY_ATTRIBUTES {
        if let Some(v) = recorded.get(key) {
            live.insert((*key).to_owned(), v.clone());
        }
    }
    Value::Object(live)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Scope {
    AllAttributes,
    /// Only what configuration can set (not computed-only attributes).
    Arguments,
}

/// Whether any attribute in scope differs in meaning between the recorded and live object.
fn differs(address: &InstanceAddress, recorded: &Value, live: &Value, scope: Scope) -> bool {
    let Some(schema) = schema_for(address.resource.mode, &address.resource.type_name) else {
        return recorded != live;
    };
    let in_scope = |attr: &&aiu_model::AttributeSchema| {
        scope == Scope::AllAttributes || attr.presence != aiu_model::Presence::Computed
    };
    schema.attributes.iter().filter(in_scope).any(|attr| {
        let a = recorded.get(attr.name).cloned().unwrap_or(Value::Null);
        let b = live.get(attr.name).cloned().unwrap_or(Value::Null);
        attribute_changed(attr.ty, &a, &b)
    })
}

/// The live object, with each attribute that is equivalent to the recorded one kept as recorded.
fn merge_equivalent(address: &InstanceAddress, recorded: &Value, live: Value) -> Value {
    let Some(schema) = schema_for(address.resource.mode, &address.resource.type_name) else {
        return live;
    };
    let Value::Object(mut live) = live else {
        return live;
    };
    for attr in schema.attributes {
        let before = recorded.get(attr.name).cloned().unwrap_or(Value::Null);
        let after = live.get(attr.name).cloned().unwrap_or(Value::Null);
        if !attribute_changed(attr.ty, &before, &after) {
            live.insert(attr.name.to_owned(), before);
        }
    }
    Value::Object(live)
}
