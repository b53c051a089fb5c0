//! The human-readable plan, laid out like Terraform's.

use crate::style::Style;
use crate::values::{key_repr, pad, Glyph, Keys, Writer};
use crate::RenderOptions;
use aiu_model::schema::schema_for;
use aiu_model::{AttrType, InstanceAddress, InstanceKey, ResourceMode, Value};
use aiu_plan::{Action, ChangeReason, Drift, OutputChange, Plan, ResourceChange};
use std::collections::BTreeMap;

/// Attributes shown even when unchanged, so a reader can tell which object a block is about.
const IDENTIFYING: &[&str] = &["id", "name"];

/// The column of attribute names inside a resource block.
const ATTR_COL: usize = 8;

const RULE: &str = "─────────────────────────────────────────────────────────────────────────────";

/// The type of one attribute of a resource type, from its schema.
pub(crate) fn attr_type(mode: ResourceMode, type_name: &str, attr: &str) -> Option<AttrType> {
    schema_for(mode, type_name)
        .and_then(|s| s.attribute(attr))
        .map(|a| a.ty)
}

/// Changes shown in the plan: no-ops never, data sources only when read during apply.
fn visible(plan: &Plan) -> Vec<&ResourceChange> {
    let mut v: Vec<&ResourceChange> = plan
        .changes
        .iter()
        .filter(|c| match c.address.resource.mode {
            ResourceMode::Data => c.action == Action::Read,
            ResourceMode::Managed => c.action != Action::NoOp && c.action != Action::Read,
        })
        .collect();
    v.sort_by(|a, b| a.address.cmp(&b.address));
    v
}

fn object(v: Option<&Value>) -> BTreeMap<String, Value> {
    v.and_then(Value::as_object).cloned().unwrap_or_default()
}

/// An import whose object also changes is shown (and counted) as an update.
fn import_changes(c: &ResourceChange) -> bool {
    c.action == Action::Import && c.before.is_some() && c.after.is_some() && !same_attributes(c)
}

fn same_attributes(c: &ResourceChange) -> bool {
    let (b, a) = (object(c.before.as_ref()), object(c.after.as_ref()));
    let w = Writer {
        style: Style { color: false },
        policy_diff: crate::PolicyDiffStyle::Statements,
    };
    let keys: std::collections::BTreeSet<&String> = b.keys().chain(a.keys()).collect();
    let same = keys.into_iter().all(|k| {
        let ty = attr_type(c.address.resource.mode, &c.address.resource.type_name, k);
        match (
            b.get(k).filter(|v| !v.is_null()),
            a.get(k).filter(|v| !v.is_null()),
        ) {
            (None, None) => true,
            (Some(x), Some(y)) => w.same(x, y, ty),
            _ => false,
        }
    });
    same
}

/// The symbol in front of a resource block, three columns wide.
fn block_symbol(style: &Style, action: Action, import_update: bool) -> String {
    match action {
        Action::Create => format!("  {}", style.green("+")),
        Action::Update => format!("  {}", style.yellow("~")),
        Action::Import if import_update => format!("  {}", style.yellow("~")),
        Action::Import | Action::NoOp => "   ".to_owned(),
        Action::Replace => format!("{}/{}", style.red("-"), style.green("+")),
        Action::Delete => format!("  {}", style.red("-")),
        Action::Read => format!(" {}", style.cyan("<=")),
    }
}

fn block_opener(address: &InstanceAddress) -> String {
    let r = &address.resource;
    let kind = if r.mode == ResourceMode::Data {
        "data"
    } else {
        "resource"
    };
    format!("{kind} \"{}\" \"{}\" {{", r.type_name, r.name)
}

fn reason_line(c: &ResourceChange) -> Option<String> {
    let text = match c.reason.as_ref()? {
        ChangeReason::NotInConfig => format!("because {} is not in configuration", c.address),
        ChangeReason::KeyNotInConfig => match &c.address.key {
            InstanceKey::Int(_) => {
                format!("because index {} is out of range for count", c.address.key)
            }
            InstanceKey::Str(_) => format!("because key {} is not in for_each map", c.address.key),
            InstanceKey::None => format!("because {} is not in configuration", c.address),
        },
        ChangeReason::DeletedOutside => "because the object was deleted outside aiu".to_owned(),
        ChangeReason::ReadDeferred => "config refers to values not yet known".to_owned(),
        ChangeReason::DestroyRequested => "because aiu plan -destroy was requested".to_owned(),
        ChangeReason::ReplaceAttributes => return None,
    };
    Some(format!("  # ({text})"))
}

/// The attribute lines of a block whose object goes from `before` to `after`.
///
/// `show_all_unchanged` lists every unchanged attribute (pure imports); otherwise only the
/// identifying ones are shown and the rest counted. `replace_paths` get `# forces replacement`.
fn attribute_lines(
    w: &Writer,
    out: &mut String,
    address: &InstanceAddress,
    before: Option<&Value>,
    after: Option<&Value>,
    replace_paths: &[String],
    show_all_unchanged: bool,
) {
    let (b, a) = (object(before), object(after));
    let mode = address.resource.mode;
    let type_name = &address.resource.type_name;
    let mut names: Vec<&String> = b.keys().chain(a.keys()).collect();
    names.sort();
    names.dedup();
    let only_after = before.is_none();
    let only_before = after.is_none();
    let mut shown: Vec<(&String, bool)> = Vec::new(); // (name, changed)
    let mut hidden = 0;
    for name in names {
        let ty = attr_type(mode, type_name, name);
        let (bv, av) = (
            b.get(name).filter(|v| !v.is_null()),
            a.get(name).filter(|v| !v.is_null()),
        );
        let changed = match (bv, av) {
            (None, None) => continue,
            (Some(x), Some(y)) => !w.same(x, y, ty),
            _ => true,
        };
        if changed
            || only_after
            || only_before
            || show_all_unchanged
            || IDENTIFYING.contains(&name.as_str())
        {
            shown.push((name, changed));
        } else {
            hidden += 1;
        }
    }
    let width = shown
        .iter()
        .map(|(n, _)| n.chars().count())
        .max()
        .unwrap_or(0);
    for (name, _) in &shown {
        let ty = attr_type(mode, type_name, name);
        let suffix = if replace_paths.iter().any(|p| p == *name) {
            " # forces replacement"
        } else {
            ""
        };
        let key = pad(name, width);
        w.entry(
            out,
            &key,
            ATTR_COL,
            b.get(*name),
            a.get(*name),
            ty,
            Keys::Object,
            suffix,
        );
    }
    w.hidden(out, ATTR_COL, hidden, "attribute", "attributes");
}

fn render_change(w: &Writer, out: &mut String, c: &ResourceChange) {
    let style = &w.style;
    let addr = style.bold(&c.address.to_string());
    let import_update = import_changes(c);
    let what = match c.action {
        Action::Create => "will be created",
        Action::Update => "will be updated in-place",
        Action::Replace => "must be replaced",
        Action::Delete => "will be destroyed",
        Action::Read => "will be read during apply",
        Action::Import if import_update => "will be updated in-place",
        Action::Import => "will be imported",
        Action::NoOp => "has no changes",
    };
    out.push_str(&format!("  # {addr} {what}\n"));
    if c.action == Action::Import {
        if let Some(id) = &c.import_id {
            if import_update {
                out.push_str(&format!(
                    "  # (imported from {})\n",
                    serde_json::Value::String(id.clone())
                ));
            }
        }
    }
    if let Some(line) = reason_line(c) {
        out.push_str(&line);
        out.push('\n');
    }
    out.push_str(&format!(
        "{} {}\n",
        block_symbol(style, c.action, import_update),
        block_opener(&c.address)
    ));
    let (before, after) = match c.action {
        Action::Create | Action::Read => (None, c.after.as_ref()),
        Action::Delete => (c.before.as_ref(), None),
        _ => (c.before.as_ref(), c.after.as_ref()),
    };
    let pure_import = c.action == Action::Import && !import_update;
    attribute_lines(
        w,
        out,
        &c.address,
        before,
        after,
        &c.replace_paths,
        pure_import,
    );
    out.push_str("    }\n");
}

fn render_drift(w: &Writer, out: &mut String, d: &Drift) {
    let style = &w.style;
    let addr = style.bold(&d.address.to_string());
    match &d.after {
        Some(after) => {
            out.push_str(&format!("  # {addr} has changed\n"));
            out.push_str(&format!(
                "  {} {}\n",
                style.yellow("~"),
                block_opener(&d.address)
            ));
            attribute_lines(w, out, &d.address, Some(&d.before), Some(after), &[], false);
        }
        None => {
            out.push_str(&format!("  # {addr} has been deleted\n"));
            out.push_str(&format!(
                "  {} {}\n",
                style.red("-"),
                block_opener(&d.address)
            ));
            // Only the identifying attributes: the rest is gone with the object.
            let before = object(Some(&d.before));
            let ids: Vec<(&String, &Value)> = before
                .iter()
                .filter(|(k, v)| {
                    !v.is_null() && (IDENTIFYING.contains(&k.as_str()) || k.as_str() == "arn")
                })
                .collect();
            let width = ids
                .iter()
                .map(|(k, _)| k.chars().count())
                .max()
                .unwrap_or(0);
            for (k, v) in &ids {
                w.entry(
                    out,
                    &pad(k, width),
                    ATTR_COL,
                    Some(v),
                    None,
                    None,
                    Keys::Object,
                    "",
                );
            }
            let rest = before.values().filter(|v| !v.is_null()).count() - ids.len();
            if rest > 0 {
                let noun = if rest == 1 { "attribute" } else { "attributes" };
                out.push_str(&format!(
                    "{}# ({rest} more {noun} hidden)\n",
                    " ".repeat(ATTR_COL)
                ));
            }
        }
    }
    out.push_str("    }\n");
}

fn render_outputs_section(w: &Writer, out: &mut String, outputs: &[&OutputChange]) {
    out.push_str(&format!("{}\n", w.style.bold("Changes to Outputs:")));
    let mut outputs = outputs.to_vec();
    outputs.sort_by(|a, b| a.name.cmp(&b.name));
    let width = outputs
        .iter()
        .map(|o| key_repr(&o.name, Keys::Object).chars().count())
        .max()
        .unwrap_or(0);
    let sensitive = Value::String("(sensitive value)".into());
    for o in outputs {
        let key = pad(&key_repr(&o.name, Keys::Object), width);
        let mut line = String::new();
        let (before, after) = match o.action {
            Action::Create => (None, o.after.as_ref()),
            Action::Delete => (o.before.as_ref(), None),
            _ => (o.before.as_ref(), o.after.as_ref()),
        };
        let mask = |v: Option<&Value>| v.filter(|v| !v.is_null()).map(|_| &sensitive);
        let (before, after) = if o.sensitive {
            (mask(before), mask(after))
        } else {
            (before, after)
        };
        // An update whose both sides render alike (e.g. a sensitive value) still shows `~`.
        if before.is_some() && after.is_some() && before == after && o.action == Action::Update {
            line.push_str(&format!(
                "  {} {key} = (sensitive value)\n",
                w.glyph(Glyph::Change)
            ));
        } else {
            w.entry(&mut line, &key, 4, before, after, None, Keys::Object, "");
        }
        // Sensitive placeholders are not strings to the reader.
        out.push_str(&line.replace("\"(sensitive value)\"", "(sensitive value)"));
    }
}

fn counts_line(style: &Style, changes: &[&ResourceChange]) -> String {
    let (mut import, mut add, mut change, mut destroy) = (0, 0, 0, 0);
    for c in changes {
        match c.action {
            Action::Create => add += 1,
            Action::Update => change += 1,
            Action::Replace => {
                add += 1;
                destroy += 1;
            }
            Action::Delete => destroy += 1,
            Action::Import => {
                import += 1;
                if import_changes(c) {
                    change += 1;
                }
            }
            Action::Read | Action::NoOp => {}
        }
    }
    let head = style.bold("Plan:");
    if import > 0 {
        format!(
            "{head} {import} to import, {add} to add, {change} to change, {destroy} to destroy."
        )
    } else {
        format!("{head} {add} to add, {change} to change, {destroy} to destroy.")
    }
}

/// Renders a plan for people, like `terraform plan`: drift, legend, one block per change,
/// the `Plan:` summary and output changes. Without `opts.color` the text has no escape codes.
pub fn render_plan(plan: &Plan, opts: &RenderOptions) -> String {
    let style = Style { color: opts.color };
    let w = Writer {
        style,
        policy_diff: opts.policy_diff,
    };
    let mut out = String::new();

    if !plan.drift.is_empty() {
        let mut drift: Vec<&Drift> = plan.drift.iter().collect();
        drift.sort_by(|a, b| a.address.cmp(&b.address));
        out.push('\n');
        out.push_str(&format!(
            "{}\n\n",
            style.bold("Note: Objects have changed outside of aiu")
        ));
        out.push_str(
            "aiu detected the following changes made outside of aiu since the last \"aiu apply\" which may have affected this plan:\n\n",
        );
        for d in drift {
            render_drift(&w, &mut out, d);
            out.push('\n');
        }
        out.push_str(
            "Unless you have made equivalent changes to your configuration, the following plan may include actions to undo or respond to these changes.\n\n",
        );
        out.push_str(RULE);
        out.push_str("\n\n");
    }

    let changes = visible(plan);
    let outputs: Vec<&OutputChange> = plan
        .outputs
        .iter()
        .filter(|o| o.action != Action::NoOp)
        .collect();

    if changes.is_empty() {
        if outputs.is_empty() {
            out.push_str(&format!(
                "{} {}\n\n",
                style.bold_green("No changes."),
                style.bold("Your infrastructure matches the configuration.")
            ));
            out.push_str(
                "aiu has compared your real infrastructure against your configuration and found no differences, so no changes are needed.\n",
            );
        } else {
            render_outputs_section(&w, &mut out, &outputs);
            out.push_str(
                "\nYou can apply this plan to save these new output values to the aiu state, without changing any real infrastructure.\n",
            );
        }
        return out;
    }

    out.push_str(
        "aiu used the selected providers to generate the following execution plan. Resource actions are indicated with the following symbols:\n",
    );
    let has = |f: &dyn Fn(&ResourceChange) -> bool| changes.iter().any(|c| f(c));
    if has(&|c| c.action == Action::Create) {
        out.push_str(&format!("  {} create\n", style.green("+")));
    }
    if has(&|c| c.action == Action::Delete) {
        out.push_str(&format!("  {} destroy\n", style.red("-")));
    }
    if has(&|c| c.action == Action::Update || import_changes(c)) {
        out.push_str(&format!("  {} update in-place\n", style.yellow("~")));
    }
    if has(&|c| c.action == Action::Replace) {
        out.push_str(&format!(
            "{}/{} destroy and then create replacement\n",
            style.red("-"),
            style.green("+")
        ));
    }
    if has(&|c| c.action == Action::Read) {
        out.push_str(&format!(" {} read (data resources)\n", style.cyan("<=")));
    }
    out.push('\n');
    out.push_str("aiu will perform the following actions:\n\n");
    for c in &changes {
        render_change(&w, &mut out, c);
        out.push('\n');
    }
    out.push_str(&counts_line(&style, &changes));
    out.push('\n');
    if !outputs.is_empty() {
        out.push('\n');
        render_outputs_section(&w, &mut out, &outputs);
    }
    out
}
