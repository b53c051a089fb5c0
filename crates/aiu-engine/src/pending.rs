//! Crash recovery: creates that were sent to AWS but never recorded.
//!
//! Apply saves a pending-operation record (with the planned attributes) before every create
//! and replaces it with the resource after success. If the process died in between, the next
//! run finds the record here and looks the object up: it is adopted into state if it exists,
//! and the record is dropped if it does not, so nothing is created twice or left orphaned.

use aiu_model::Value;
use aiu_provider::Provider;
use aiu_state::{PendingOperationKind, State};

/// What happened to one pending record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolution {
    /// The object exists: it is now in state.
    Adopted(String),
    /// The object was never created: the record is dropped.
    Dropped(String),
}

impl std::fmt::Display for Resolution {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Resolution::Adopted(a) => write!(
                f,
                "{a}: found the object an interrupted apply created; it is now recorded in state"
            ),
            Resolution::Dropped(a) => write!(
                f,
                "{a}: an interrupted apply had not created it; the pending record is dropped"
            ),
        }
    }
}

/// Resolves every pending record of `state` by looking the objects up. Returns the changed
/// state (without pending records, except those that could not be resolved) and what was done.
pub async fn resolve_pending(
    provider: &dyn Provider,
    state: &State,
) -> Result<(State, Vec<Resolution>), String> {
    let mut resolved = state.clone();
    let mut done = Vec::new();
    for op in &state.pending {
        let address = op.address.clone();
        if op.operation != PendingOperationKind::Create {
            // Updates and deletes are idempotent: refresh shows where they got to.
            resolved.clear_pending(&address);
            continue;
        }
        let planned = op
            .planned_attributes
            .as_ref()
            .map_or(Value::Null, Value::from_json_object);
        let found = provider
            .find_by_name(&address.resource.type_name, &planned)
            .await
            .map_err(|e| {
                format!("{address}: could not check whether an interrupted create happened: {e}")
            })?;
        resolved.clear_pending(&address);
        match found {
            Some(live) if resolved.instance(&address).is_none() => {
                if let serde_json::Value::Object(mut attrs) = live.to_json() {
                    // Config-only arguments are not readable from AWS: keep what was planned.
                    for key in aiu_model::schema::CONFIG_ONLY_ATTRIBUTES {
                        if let Some(v) = op.planned_attributes.as_ref().and_then(|p| p.get(*key)) {
                            attrs.insert((*key).to_owned(), v.clone());
                        }
                    }
                    resolved.set_instance(&address, attrs, op.dependencies.clone());
                }
                done.push(Resolution::Adopted(address.to_string()));
            }
            Some(_) => done.push(Resolution::Adopted(address.to_string())),
            None => done.push(Resolution::Dropped(address.to_string())),
        }
    }
    Ok((resolved, done))
}
