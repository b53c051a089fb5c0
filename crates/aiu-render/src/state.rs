//! `show`-style rendering of the state and of output values.

use crate::plan::attr_type;
use crate::style::Style;
use crate::values::{key_repr, pad, Keys, Writer};
use crate::PolicyDiffStyle;
use aiu_model::{ResourceMode, Value};
use aiu_state::{OutputState, PendingOperationKind, State};
use std::collections::BTreeMap;

fn writer() -> Writer {
    Writer {
        style: Style { color: false },
        policy_diff: PolicyDiffStyle::Statements,
    }
}

/// Renders the state like `terraform show`: one `# address:` comment and block per instance
/// (sorted by address, null attributes left out, policies as `jsonencode(...)`), then the
/// outputs (sensitive ones hidden) and any pending operations.
pub fn render_state(state: &State) -> String {
    if state.is_empty() {
        return "The state is empty. No resources are represented.\n".to_owned();
    }
    let w = writer();
    let mut out = String::new();
    for (address, instance) in state.instances() {
        let r = &address.resource;
        let kind = if r.mode == ResourceMode::Data {
            "data"
        } else {
            "resource"
        };
        out.push_str(&format!(
            "# {address}:\n{kind} \"{}\" \"{}\" {{\n",
            r.type_name, r.name
        ));
        let attrs: Vec<(&String, Value)> = instance
            .attributes
            .iter()
            .map(|(k, v)| (k, Value::from_json(v)))
            .filter(|(_, v)| !v.is_null())
            .collect();
        let width = attrs
            .iter()
            .map(|(k, _)| k.chars().count())
            .max()
            .unwrap_or(0);
        for (k, v) in &attrs {
            let ty = attr_type(r.mode, &r.type_name, k);
            w.entry(
                &mut out,
                &pad(k, width),
                4,
                Some(v),
                Some(v),
                ty,
                Keys::Object,
                "",
            );
        }
        out.push_str("}\n\n");
    }
    if !state.outputs.is_empty() {
        out.push_str("Outputs:\n\n");
        out.push_str(&render_output_values(&state.outputs, false));
    }
    if !state.pending.is_empty() {
        out.push_str("\nPending operations (sent to AWS, result not recorded):\n");
        for p in &state.pending {
            let op = match p.operation {
                PendingOperationKind::Create => "create",
                PendingOperationKind::Update => "update",
                PendingOperationKind::Delete => "delete",
            };
            let name = p
                .intended_name
                .as_ref()
                .map(|n| format!(" (name {})", serde_json::Value::String(n.clone())))
                .unwrap_or_default();
            out.push_str(&format!(
                "  {op} {}{name}, started {}\n",
                p.address, p.started_at
            ));
        }
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// Renders the state's outputs as `name = value` lines, sensitive ones as `(sensitive value)`.
pub fn render_outputs(state: &State) -> String {
    render_output_values(&state.outputs, false)
}

/// Renders output values as `name = value` lines (sorted, values multi-line like Terraform).
/// Sensitive values are shown as `(sensitive value)` unless `reveal_sensitive`.
pub fn render_output_values(
    outputs: &BTreeMap<String, OutputState>,
    reveal_sensitive: bool,
) -> String {
    let w = writer();
    let mut out = String::new();
    for (name, o) in outputs {
        out.push_str(&key_repr(name, Keys::Object));
        out.push_str(" = ");
        if o.sensitive && !reveal_sensitive {
            out.push_str("(sensitive value)");
        } else {
            w.value(
                &mut out,
                &Value::from_json(&o.value),
                0,
                crate::values::Glyph::None,
                Keys::Object,
            );
        }
        out.push('\n');
    }
    out
}
