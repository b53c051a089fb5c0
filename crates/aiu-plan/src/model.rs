//! The plan: what apply will do, decided entirely at plan time, with the reason for each change.

use aiu_model::{Diagnostics, InstanceAddress, Value};

/// What happens to one resource instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    NoOp,
    /// A data source read at apply time (its arguments are not known during plan).
    Read,
    Create,
    Update,
    /// Destroy, then create (IAM names are unique, so never create-before-destroy).
    Replace,
    Delete,
    /// An existing object is adopted into state (`import` block), possibly then updated.
    Import,
}

impl Action {
    /// Terraform's `actions` array for `-json` plans.
    pub fn json_actions(self) -> &'static [&'static str] {
        match self {
            Action::NoOp | Action::Import => &["no-op"],
            Action::Read => &["read"],
            Action::Create => &["create"],
            Action::Update => &["update"],
            Action::Replace => &["delete", "create"],
            Action::Delete => &["delete"],
        }
    }
}

/// Why an action was chosen, when it is not obvious from the attributes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChangeReason {
    /// The instance is in state but no longer in the configuration.
    NotInConfig,
    /// The instance's `count`/`for_each` key is no longer produced.
    KeyNotInConfig,
    /// The object was deleted outside aiu and will be re-created.
    DeletedOutside,
    /// The data source depends on values known only after apply.
    ReadDeferred,
    /// `aiu plan -destroy`.
    DestroyRequested,
    /// Attributes that force a replacement changed (listed in `replace_paths`).
    ReplaceAttributes,
}

/// The planned change of one resource instance.
#[derive(Clone, Debug, PartialEq)]
pub struct ResourceChange {
    pub address: InstanceAddress,
    pub action: Action,
    /// Attributes before (from the refreshed prior state), `None` when creating.
    pub before: Option<Value>,
    /// Attributes after (unknowns marked), `None` when deleting.
    pub after: Option<Value>,
    /// Attribute names whose change forces the replacement.
    pub replace_paths: Vec<String>,
    pub reason: Option<ChangeReason>,
    /// Addresses (as text) of the resources this one depends on, for the apply graph.
    pub dependencies: Vec<String>,
    /// For `import` blocks: the id looked up.
    pub import_id: Option<String>,
}

/// A change of an object made outside aiu, found by refresh.
#[derive(Clone, Debug, PartialEq)]
pub struct Drift {
    pub address: InstanceAddress,
    /// Recorded in state.
    pub before: Value,
    /// Live, `None` when deleted outside aiu.
    pub after: Option<Value>,
}

/// The planned change of one output value.
#[derive(Clone, Debug, PartialEq)]
pub struct OutputChange {
    pub name: String,
    pub action: Action,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub sensitive: bool,
}

/// Everything apply needs, and everything a reviewer reads.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Plan {
    /// Every managed and data instance, sorted by address, including no-ops.
    pub changes: Vec<ResourceChange>,
    pub outputs: Vec<OutputChange>,
    /// Objects changed outside aiu (from refresh).
    pub drift: Vec<Drift>,
    /// Warnings worth showing with the plan.
    pub diagnostics: Diagnostics,
    /// The prior state this plan was made against.
    pub prior_lineage: String,
    pub prior_serial: u64,
    /// `plan -destroy`.
    pub destroy: bool,
    /// The `assert_access` blocks of `check` blocks, evaluated (decided by
    /// [`crate::access::check_assertions`]). Not saved in plan files.
    pub access_assertions: Vec<crate::access::PlannedAssertion>,
}

/// The counts in `Plan: N to add, N to change, N to destroy.`
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ChangeCounts {
    pub add: usize,
    pub change: usize,
    pub destroy: usize,
    pub import: usize,
}

impl Plan {
    pub fn counts(&self) -> ChangeCounts {
        let mut c = ChangeCounts::default();
        for change in &self.changes {
            if change.address.resource.mode == aiu_model::ResourceMode::Data {
                continue;
            }
            match change.action {
                Action::Create => c.add += 1,
                Action::Update => c.change += 1,
                Action::Replace => {
                    c.add += 1;
                    c.destroy += 1
                }
                Action::Delete => c.destroy += 1,
                Action::Import => c.import += 1,
                Action::NoOp | Action::Read => {}
            }
        }
        c
    }

    /// True when apply would change anything in the account (outputs alone don't count).
    pub fn has_changes(&self) -> bool {
        let c = self.counts();
        c.add + c.change + c.destroy + c.import > 0
    }

    pub fn change(&self, address: &InstanceAddress) -> Option<&ResourceChange> {
        self.changes.iter().find(|c| &c.address == address)
    }
}
