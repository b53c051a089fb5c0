//! The in-memory state model. Its serde shape is the current on-disk format (version 1).

use crate::error::StateError;
use crate::keys;
use aiu_model::{InstanceAddress, InstanceKey, ResourceAddress, ResourceMode};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Everything aiu knows about the infrastructure it manages.
///
/// Invariants kept by the methods (and restored by [`State::from_json_str`]): resources are
/// sorted by (mode, type, name) with no empty entries, instances by key, dependencies sorted
/// and deduplicated. The fields are public for readers; prefer the methods for changes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct State {
    /// The on-disk format version; always [`crate::CURRENT_FORMAT_VERSION`] in memory.
    pub format_version: u64,
    /// The aiu version that last wrote the state.
    pub aiu_version: String,
    /// A UUID fixed when the state is created; states with different lineages track
    /// different infrastructure and never overwrite each other.
    pub lineage: String,
    /// Incremented on every write that changes the content.
    pub serial: u64,
    pub resources: Vec<ResourceState>,
    pub outputs: BTreeMap<String, OutputState>,
    /// Operations started against AWS whose result was not recorded yet (crash recovery).
    pub pending: Vec<PendingOperation>,
}

/// All instances of one resource block.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceState {
    #[serde(with = "keys::mode")]
    pub mode: ResourceMode,
    #[serde(rename = "type")]
    pub type_name: String,
    pub name: String,
    pub instances: Vec<InstanceState>,
}

/// One resource instance: its key, the attributes last seen, and what it depended on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstanceState {
    /// `null`, a `count` index or a `for_each` key.
    #[serde(with = "keys::key")]
    pub index_key: InstanceKey,
    pub attributes: serde_json::Map<String, serde_json::Value>,
    /// Addresses (as strings, e.g. `aws_iam_policy.p`) this instance depended on when it was
    /// last applied; used to order destroys of resources no longer in the config.
    pub dependencies: Vec<String>,
}

/// A root module output value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputState {
    pub value: serde_json::Value,
    pub sensitive: bool,
}

/// What kind of change a pending operation was making.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PendingOperationKind {
    Create,
    Update,
    Delete,
}

/// An operation sent to AWS before its result was recorded in state. If aiu dies between
/// the API call and the state write, the next run finds this record and can look for the
/// object by `intended_name` instead of creating a duplicate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PendingOperation {
    #[serde(with = "keys::address")]
    pub address: InstanceAddress,
    pub operation: PendingOperationKind,
    /// The name (IAM name) of the object being created/changed/deleted, when known.
    pub intended_name: Option<String>,
    /// RFC 3339 UTC timestamp.
    pub started_at: String,
    /// The attributes the create was sent with, so a later run can look the object up and
    /// adopt it (optional: absent in files written before it existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub planned_attributes: Option<serde_json::Map<String, serde_json::Value>>,
    /// Dependencies to record if the object is adopted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<String>,
}

impl PendingOperation {
    /// A pending operation started now.
    pub fn started_now(
        address: InstanceAddress,
        operation: PendingOperationKind,
        intended_name: Option<String>,
    ) -> Self {
        let now = time::OffsetDateTime::now_utc()
            .replace_nanosecond(0)
            .unwrap_or_else(|_| time::OffsetDateTime::now_utc());
        let started_at = now
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_owned());
        PendingOperation {
            address,
            operation,
            intended_name,
            started_at,
            planned_attributes: None,
            dependencies: Vec::new(),
        }
    }

    /// Records what the operation sends, for adopting the object after a crash.
    pub fn with_planned(
        mut self,
        attributes: serde_json::Map<String, serde_json::Value>,
        dependencies: Vec<String>,
    ) -> Self {
        self.planned_attributes = Some(attributes);
        self.dependencies = dependencies;
        self
    }
}

impl InstanceState {
    /// The recorded attributes as a value.
    pub fn value(&self) -> aiu_model::Value {
        aiu_model::Value::from_json_object(&self.attributes)
    }
}

impl ResourceState {
    pub fn address(&self) -> ResourceAddress {
        ResourceAddress {
            mode: self.mode,
            type_name: self.type_name.clone(),
            name: self.name.clone(),
        }
    }

    fn sort_key(&self) -> (ResourceMode, &str, &str) {
        (self.mode, &self.type_name, &self.name)
    }
}

impl Default for State {
    fn default() -> Self {
        State::new()
    }
}

/// The largest `serial` a state may hold: 2^53, so that every JSON reader keeps it exactly
/// and adding one to it can never overflow.
pub const MAX_SERIAL: u64 = 1 << 53;

impl State {
    /// An empty state with a fresh random lineage and serial 0.
    pub fn new() -> Self {
        State {
            format_version: crate::CURRENT_FORMAT_VERSION,
            aiu_version: crate::AIU_VERSION.to_owned(),
            lineage: uuid::Uuid::new_v4().to_string(),
            serial: 0,
            resources: Vec::new(),
            outputs: BTreeMap::new(),
            pending: Vec::new(),
        }
    }

    /// True when there are no resources, outputs or pending operations.
    pub fn is_empty(&self) -> bool {
        self.resources.is_empty() && self.outputs.is_empty() && self.pending.is_empty()
    }

    fn resource_index(&self, addr: &ResourceAddress) -> Result<usize, usize> {
        self.resources.binary_search_by(|r| {
            r.sort_key()
                .cmp(&(addr.mode, addr.type_name.as_str(), addr.name.as_str()))
        })
    }

    /// The entry of one resource block, if any instance of it is in state.
    pub fn resource(&self, addr: &ResourceAddress) -> Option<&ResourceState> {
        self.resource_index(addr).ok().map(|i| &self.resources[i])
    }

    /// The state of one instance.
    pub fn instance(&self, addr: &InstanceAddress) -> Option<&InstanceState> {
        self.resource(&addr.resource)?
            .instances
            .iter()
            .find(|i| i.index_key == addr.key)
    }

    /// Records (or replaces) one instance. Creates the resource entry if missing and keeps
    /// resources and instances sorted; dependencies are sorted and deduplicated.
    pub fn set_instance(
        &mut self,
        addr: &InstanceAddress,
        attributes: serde_json::Map<String, serde_json::Value>,
        dependencies: Vec<String>,
    ) {
        let mut dependencies = dependencies;
        dependencies.sort();
        dependencies.dedup();
        let ri = match self.resource_index(&addr.resource) {
            Ok(i) => i,
            Err(i) => {
                self.resources.insert(
                    i,
                    ResourceState {
                        mode: addr.resource.mode,
                        type_name: addr.resource.type_name.clone(),
                        name: addr.resource.name.clone(),
                        instances: Vec::new(),
                    },
                );
                i
            }
        };
        let instances = &mut self.resources[ri].instances;
        let new = InstanceState {
            index_key: addr.key.clone(),
            attributes,
            dependencies,
        };
        match instances.binary_search_by(|i| i.index_key.cmp(&addr.key)) {
            Ok(i) => instances[i] = new,
            Err(i) => instances.insert(i, new),
        }
    }

    /// Forgets one instance; returns what was recorded. Drops the resource entry when its
    /// last instance goes.
    pub fn remove_instance(&mut self, addr: &InstanceAddress) -> Option<InstanceState> {
        let ri = self.resource_index(&addr.resource).ok()?;
        let instances = &mut self.resources[ri].instances;
        let ii = instances.iter().position(|i| i.index_key == addr.key)?;
        let removed = instances.remove(ii);
        if instances.is_empty() {
            self.resources.remove(ri);
        }
        Some(removed)
    }

    /// Every instance with its address, sorted by address.
    pub fn instances(&self) -> impl Iterator<Item = (InstanceAddress, &InstanceState)> {
        let mut all: Vec<(InstanceAddress, &InstanceState)> = self
            .resources
            .iter()
            .flat_map(|r| {
                let ra = r.address();
                r.instances
                    .iter()
                    .map(move |i| (ra.instance(i.index_key.clone()), i))
            })
            .collect();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        all.into_iter()
    }

    /// Records an operation about to be sent to AWS (replacing any earlier one for the same
    /// address).
    pub fn add_pending(&mut self, op: PendingOperation) {
        self.pending.retain(|p| p.address != op.address);
        self.pending.push(op);
        self.pending.sort_by(|a, b| a.address.cmp(&b.address));
    }

    /// Clears the pending record of an address once its result is in state.
    pub fn clear_pending(&mut self, addr: &InstanceAddress) -> Option<PendingOperation> {
        let i = self.pending.iter().position(|p| &p.address == addr)?;
        Some(self.pending.remove(i))
    }

    /// True when both states hold the same content, ignoring `serial` and `aiu_version`.
    pub fn same_content_as(&self, other: &State) -> bool {
        self.format_version == other.format_version
            && self.lineage == other.lineage
            && self.resources == other.resources
            && self.outputs == other.outputs
            && self.pending == other.pending
    }

    /// Restores the ordering invariants (sorted resources/instances/dependencies/pending,
    /// no empty resource entries). Does not merge duplicates; [`State::check_integrity`]
    /// reports those.
    pub fn normalize(&mut self) {
        self.resources.retain(|r| !r.instances.is_empty());
        for r in &mut self.resources {
            r.instances.sort_by(|a, b| a.index_key.cmp(&b.index_key));
            for i in &mut r.instances {
                i.dependencies.sort();
                i.dependencies.dedup();
            }
        }
        self.resources
            .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        self.pending.sort_by(|a, b| a.address.cmp(&b.address));
    }

    /// Checks what the types cannot: unique addresses, parseable dependency addresses,
    /// consistent key kinds within each resource, valid names and timestamps.
    pub fn check_integrity(&self) -> Result<(), StateError> {
        self.check_integrity_of("(in memory)")
    }

    pub(crate) fn check_integrity_of(&self, source_name: &str) -> Result<(), StateError> {
        let mut problems = Vec::new();
        if self.format_version != crate::CURRENT_FORMAT_VERSION {
            problems.push(format!(
                "format_version is {} but in-memory states are always version {}",
                self.format_version,
                crate::CURRENT_FORMAT_VERSION
            ));
        }
        if self.lineage.trim().is_empty() {
            problems.push("lineage is empty; it must be a UUID".to_owned());
        }
        if self.serial > MAX_SERIAL {
            problems.push(format!(
                "serial is {}, beyond {MAX_SERIAL} (2^53, the largest integer every JSON reader keeps exactly); it counts the writes of this state",
                self.serial
            ));
        }
        let mut seen_resources = BTreeSet::new();
        let mut seen_instances = BTreeSet::new();
        for r in &self.resources {
            let ra = r.address();
            let parsed: Option<InstanceAddress> = ra.to_string().parse().ok();
            if parsed.as_ref().map(|p| &p.resource) != Some(&ra) {
                problems.push(format!(
                    "resource type {:?} / name {:?} is not a valid resource address",
                    r.type_name, r.name
                ));
                continue;
            }
            if !seen_resources.insert(ra.clone()) {
                problems.push(format!(
                    "resource {ra} appears more than once in \"resources\""
                ));
            }
            if r.instances.is_empty() {
                problems.push(format!("resource {ra} has no instances"));
            }
            let kind = |k: &InstanceKey| match k {
                InstanceKey::None => "no key",
                InstanceKey::Int(_) => "count index",
                InstanceKey::Str(_) => "for_each key",
            };
            if let Some(first) = r.instances.first() {
                let first_kind = kind(&first.index_key);
                if r.instances.iter().any(|i| kind(&i.index_key) != first_kind) {
                    let kinds: BTreeSet<&str> =
                        r.instances.iter().map(|i| kind(&i.index_key)).collect();
                    problems.push(format!(
                        "resource {ra} mixes instance key kinds ({}); a resource uses either no key, count or for_each",
                        kinds.into_iter().collect::<Vec<_>>().join(", ")
                    ));
                }
            }
            for i in &r.instances {
                let ia = ra.instance(i.index_key.clone());
                if let InstanceKey::Int(n) = i.index_key {
                    if n < 0 {
                        problems.push(format!("instance {ia} has a negative count index"));
                    }
                }
                if !seen_instances.insert(ia.clone()) {
                    problems.push(format!("duplicate address {ia}"));
                }
                for dep in &i.dependencies {
                    if dep.parse::<InstanceAddress>().is_err() {
                        problems.push(format!(
                            "instance {ia} has dependency {dep:?}, which is not a resource address"
                        ));
                    }
                }
            }
        }
        for name in self.outputs.keys() {
            if name.is_empty() {
                problems.push("an output has an empty name".to_owned());
            }
        }
        let mut seen_pending = BTreeSet::new();
        for p in &self.pending {
            if !seen_pending.insert(&p.address) {
                problems.push(format!("more than one pending operation for {}", p.address));
            }
            if time::OffsetDateTime::parse(
                &p.started_at,
                &time::format_description::well_known::Rfc3339,
            )
            .is_err()
            {
                problems.push(format!(
                    "pending operation on {} has started_at {:?}, which is not an RFC 3339 timestamp",
                    p.address, p.started_at
                ));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(StateError::Integrity {
                source_name: source_name.to_owned(),
                problems,
            })
        }
    }

    /// Parses a state file's text. `source_name` (usually the path) appears in errors.
    ///
    /// Refuses invalid JSON, missing or unknown fields, a newer or unknown `format_version`,
    /// and integrity failures. Older versions are upgraded through the per-version readers.
    pub fn from_json_str(text: &str, source_name: &str) -> Result<State, StateError> {
        let probe: serde_json::Value =
            serde_json::from_str(text).map_err(|e| StateError::from_json(source_name, e))?;
        let Some(obj) = probe.as_object() else {
            return Err(StateError::Malformed {
                source_name: source_name.to_owned(),
                message: format!(
                    "the top level is {} instead of an object",
                    json_kind(&probe)
                ),
                location: String::new(),
            });
        };
        let version = match obj.get("format_version") {
            None if obj.contains_key("terraform_version") => {
                return Err(StateError::Malformed {
                    source_name: source_name.to_owned(),
                    message: "this is a Terraform state file (it has `terraform_version`), not an aiu state; aiu keeps its own state. To manage the objects it lists, adopt them with `import` blocks or `aiu import ADDR ID` into a new aiu state".to_owned(),
                    location: String::new(),
                })
            }
            None => {
                return Err(StateError::Malformed {
                    source_name: source_name.to_owned(),
                    message: "missing field `format_version`".to_owned(),
                    location: String::new(),
                })
            }
            Some(v) => v,
        };
        let mut state = match version.as_u64() {
            Some(1) => crate::v1::read(text, source_name)?,
            Some(n) if n > crate::CURRENT_FORMAT_VERSION => {
                let written_by = obj
                    .get("aiu_version")
                    .and_then(|v| v.as_str())
                    .map(|v| format!(" ({v})"))
                    .unwrap_or_default();
                return Err(StateError::NewerVersion {
                    source_name: source_name.to_owned(),
                    found: n,
                    supported: crate::CURRENT_FORMAT_VERSION,
                    written_by,
                });
            }
            _ => {
                return Err(StateError::UnknownVersion {
                    source_name: source_name.to_owned(),
                    found: version.to_string(),
                    supported: crate::CURRENT_FORMAT_VERSION,
                })
            }
        };
        state.normalize();
        state.check_integrity_of(source_name)?;
        Ok(state)
    }

    /// The current on-disk format: pretty JSON with a stable key order and a trailing newline.
    pub fn to_json_string(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("state serializes to JSON");
        text.push('\n');
        text
    }
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}
