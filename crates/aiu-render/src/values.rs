//! Terraform-style rendering of attribute values and of their changes, shared by plans and
//! `show`.
//!
//! Layout rule (the one Terraform follows): every item of a block sits at a "name column";
//! its glyph (`+`, `-`, `~`) sits two columns to the left. The children of an item are at the
//! name column + 4, and its closing bracket at the item's own name column.

use crate::policy;
use crate::style::Style;
use crate::PolicyDiffStyle;
use aiu_model::value::format_number;
use aiu_model::{AttrType, Value};

/// The marker in front of one line of a diff.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Glyph {
    Add,
    Remove,
    Change,
    /// No marker (unchanged lines, `show` output).
    None,
}

/// How object keys are written: maps quote every key, objects only keys that are not
/// identifiers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Keys {
    Map,
    Object,
}

/// Renders values and changes into text.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Writer {
    pub style: Style,
    pub policy_diff: PolicyDiffStyle,
}

pub(crate) fn spaces(n: usize) -> String {
    " ".repeat(n)
}

/// True for keys that may stay unquoted (`Statement`, `Version`, `tags_all`).
fn is_identifier(key: &str) -> bool {
    let mut chars = key.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

pub(crate) fn key_repr(key: &str, keys: Keys) -> String {
    if keys == Keys::Object && is_identifier(key) {
        key.to_owned()
    } else {
        serde_json::Value::String(key.to_owned()).to_string()
    }
}

/// The JSON inside a policy attribute, when the value is a string holding a JSON document.
pub(crate) fn policy_json(v: &Value, ty: Option<AttrType>) -> Option<Value> {
    if ty != Some(AttrType::PolicyJson) {
        return None;
    }
    let text = v.as_str()?;
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(json @ (serde_json::Value::Object(_) | serde_json::Value::Array(_))) => {
            Some(Value::from_json(&json))
        }
        _ => None,
    }
}

fn is_present(v: Option<&Value>) -> Option<&Value> {
    v.filter(|v| !v.is_null())
}

/// Above this many table cells (the product of the lengths of the differing middles), lists
/// are not aligned element by element: the table would need gigabytes.
const MAX_LCS_CELLS: usize = 4_000_000;

/// Longest common subsequence of two slices, as (before index, after index) pairs in order.
/// The common head and tail pair up directly; of the middles, only those small enough for the
/// table are aligned (larger ones show as removed and added elements).
fn lcs_pairs(a: &[Value], b: &[Value]) -> Vec<(usize, usize)> {
    let head = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let tail = a[head..]
        .iter()
        .rev()
        .zip(b[head..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (mid_a, mid_b) = (&a[head..a.len() - tail], &b[head..b.len() - tail]);
    let mut pairs: Vec<(usize, usize)> = (0..head).map(|i| (i, i)).collect();
    if mid_a.len().saturating_mul(mid_b.len()) <= MAX_LCS_CELLS {
        pairs.extend(
            lcs_table_pairs(mid_a, mid_b)
                .into_iter()
                .map(|(i, j)| (head + i, head + j)),
        );
    }
    pairs.extend((0..tail).map(|k| (a.len() - tail + k, b.len() - tail + k)));
    pairs
}

/// The textbook LCS table over two (small) slices.
fn lcs_table_pairs(a: &[Value], b: &[Value]) -> Vec<(usize, usize)> {
    let (n, m) = (a.len(), b.len());
    let mut table = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            table[i][j] = if a[i] == b[j] {
                table[i + 1][j + 1] + 1
            } else {
                table[i + 1][j].max(table[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut pairs = Vec::new();
    while i < n && j < m {
        if a[i] == b[j] {
            pairs.push((i, j));
            i += 1;
            j += 1;
        } else if table[i + 1][j] >= table[i][j + 1] {
            i += 1;
        } else {
            j += 1;
        }
    }
    pairs
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

impl Writer {
    pub fn glyph(&self, g: Glyph) -> String {
        match g {
            Glyph::Add => self.style.green("+"),
            Glyph::Remove => self.style.red("-"),
            Glyph::Change => self.style.yellow("~"),
            Glyph::None => " ".to_owned(),
        }
    }

    /// The start of a line whose item has its name at `col`.
    pub fn prefix(&self, col: usize, g: Glyph) -> String {
        match g {
            Glyph::None => spaces(col),
            _ => format!("{}{} ", spaces(col.saturating_sub(2)), self.glyph(g)),
        }
    }

    /// A `# (N unchanged ... hidden)` line at `col`.
    pub fn hidden(&self, out: &mut String, col: usize, n: usize, one: &str, many: &str) {
        if n > 0 {
            out.push_str(&spaces(col));
            out.push_str(&format!(
                "# ({} hidden)\n",
                plural(n, &format!("unchanged {one}"), &format!("unchanged {many}"))
            ));
        }
    }

    /// Writes a value starting mid-line (after `= `); nested lines carry glyph `g`. Does not end
    /// with a newline.
    pub fn value(&self, out: &mut String, v: &Value, col: usize, g: Glyph, keys: Keys) {
        match v {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(&b.to_string()),
            Value::Number(n) => out.push_str(&format_number(*n)),
            Value::Unknown => out.push_str("(known after apply)"),
            Value::String(s) if s.contains('\n') => {
                out.push_str("<<-EOT\n");
                let body = s.strip_suffix('\n').unwrap_or(s);
                for line in body.split('\n') {
                    if line.is_empty() {
                        out.push('\n');
                    } else {
                        out.push_str(&spaces(col + 4));
                        out.push_str(line);
                        out.push('\n');
                    }
                }
                out.push_str(&spaces(col));
                out.push_str("EOT");
            }
            Value::String(s) => out.push_str(&serde_json::Value::String(s.clone()).to_string()),
            Value::List(items) if items.is_empty() => out.push_str("[]"),
            Value::List(items) => {
                out.push_str("[\n");
                for item in items {
                    out.push_str(&self.prefix(col + 4, g));
                    self.value(out, item, col + 4, g, keys);
                    out.push_str(",\n");
                }
                out.push_str(&spaces(col));
                out.push(']');
            }
            Value::Object(map) if map.values().all(Value::is_null) => out.push_str("{}"),
            Value::Object(map) => {
                // Null attributes are left out, as Terraform does.
                let present: Vec<(&String, &Value)> =
                    map.iter().filter(|(_, v)| !v.is_null()).collect();
                out.push_str("{\n");
                let width = present
                    .iter()
                    .map(|(k, _)| key_repr(k, keys).chars().count())
                    .max()
                    .unwrap_or(0);
                for (k, item) in present {
                    out.push_str(&self.prefix(col + 4, g));
                    out.push_str(&pad(&key_repr(k, keys), width));
                    out.push_str(" = ");
                    self.value(out, item, col + 4, g, keys);
                    out.push('\n');
                }
                out.push_str(&spaces(col));
                out.push('}');
            }
        }
    }

    /// Writes a top-level attribute value: policies as `jsonencode(...)`, maps with quoted keys.
    pub fn attr_value(
        &self,
        out: &mut String,
        v: &Value,
        col: usize,
        g: Glyph,
        ty: Option<AttrType>,
    ) {
        if let Some(json) = policy_json(v, ty) {
            out.push_str("jsonencode(\n");
            out.push_str(&spaces(col + 4));
            self.value(out, &json, col + 4, g, Keys::Object);
            out.push('\n');
            out.push_str(&spaces(col));
            out.push(')');
        } else {
            let keys = if ty == Some(AttrType::MapOfString) {
                Keys::Map
            } else {
                Keys::Object
            };
            self.value(out, v, col, g, keys);
        }
    }

    /// Writes one whole line (or block of lines) for an entry that is new, removed, unchanged
    /// or changed. `key` is already padded. `suffix` (e.g. ` # forces replacement`) goes at the
    /// end of the entry's last line.
    #[allow(clippy::too_many_arguments)]
    pub fn entry(
        &self,
        out: &mut String,
        key: &str,
        col: usize,
        before: Option<&Value>,
        after: Option<&Value>,
        ty: Option<AttrType>,
        keys: Keys,
        suffix: &str,
    ) {
        let (before, after) = (is_present(before), is_present(after));
        match (before, after) {
            (None, None) => {}
            (None, Some(a)) => {
                out.push_str(&self.prefix(col, Glyph::Add));
                out.push_str(key);
                out.push_str(" = ");
                self.typed_value(out, a, col, Glyph::Add, ty, keys);
                out.push_str(suffix);
                out.push('\n');
            }
            (Some(b), None) => {
                out.push_str(&self.prefix(col, Glyph::Remove));
                out.push_str(key);
                out.push_str(" = ");
                self.typed_value(out, b, col, Glyph::Remove, ty, keys);
                out.push_str(" -> null");
                out.push_str(suffix);
                out.push('\n');
            }
            (Some(b), Some(a)) if self.same(b, a, ty) => {
                out.push_str(&self.prefix(col, Glyph::None));
                out.push_str(key);
                out.push_str(" = ");
                self.typed_value(out, a, col, Glyph::None, ty, keys);
                out.push_str(suffix);
                out.push('\n');
            }
            (Some(b), Some(a)) => {
                out.push_str(&self.prefix(col, Glyph::Change));
                out.push_str(key);
                out.push_str(" = ");
                self.change(out, b, a, col, ty, keys);
                out.push_str(suffix);
                out.push('\n');
            }
        }
    }

    fn typed_value(
        &self,
        out: &mut String,
        v: &Value,
        col: usize,
        g: Glyph,
        ty: Option<AttrType>,
        keys: Keys,
    ) {
        if ty.is_some() {
            self.attr_value(out, v, col, g, ty);
        } else {
            self.value(out, v, col, g, keys);
        }
    }

    /// Equal, or (for policies) equivalent documents.
    pub fn same(&self, before: &Value, after: &Value, ty: Option<AttrType>) -> bool {
        if before == after {
            return true;
        }
        if ty == Some(AttrType::PolicyJson) {
            if let (Some(b), Some(a)) = (before.as_str(), after.as_str()) {
                return policy::equivalent(b, a);
            }
        }
        false
    }

    /// Writes the changed value (mid-line) of an entry whose before and after are both present.
    fn change(
        &self,
        out: &mut String,
        before: &Value,
        after: &Value,
        col: usize,
        ty: Option<AttrType>,
        keys: Keys,
    ) {
        if ty == Some(AttrType::PolicyJson) {
            if let (Some(b), Some(a)) = (before.as_str(), after.as_str()) {
                if self.policy_change(out, b, a, col) {
                    return;
                }
            }
        }
        let keys = if ty == Some(AttrType::MapOfString) {
            Keys::Map
        } else {
            keys
        };
        match (before, after) {
            (Value::Object(bm), Value::Object(am)) => {
                out.push_str("{\n");
                let changed: Vec<&String> = bm
                    .keys()
                    .chain(am.keys().filter(|k| !bm.contains_key(*k)))
                    .filter(|k| {
                        let (b, a) = (is_present(bm.get(*k)), is_present(am.get(*k)));
                        match (b, a) {
                            (Some(b), Some(a)) => b != a,
                            (None, None) => false,
                            _ => true,
                        }
                    })
                    .collect();
                let mut changed = changed;
                changed.sort();
                let width = changed
                    .iter()
                    .map(|k| key_repr(k, keys).chars().count())
                    .max()
                    .unwrap_or(0);
                for k in &changed {
                    let key = pad(&key_repr(k, keys), width);
                    self.entry(out, &key, col + 4, bm.get(*k), am.get(*k), None, keys, "");
                }
                let unchanged = am
                    .iter()
                    .filter(|(k, v)| !v.is_null() && bm.get(*k) == Some(*v))
                    .count();
                let (one, many) = if keys == Keys::Map {
                    ("element", "elements")
                } else {
                    ("attribute", "attributes")
                };
                self.hidden(out, col + 4, unchanged, one, many);
                out.push_str(&spaces(col));
                out.push('}');
            }
            (Value::List(bl), Value::List(al)) => {
                out.push_str("[\n");
                let pairs = lcs_pairs(bl, al);
                let (mut i, mut j) = (0, 0);
                let mut run = 0;
                let flush = |out: &mut String, run: &mut usize| {
                    self.hidden(out, col + 4, *run, "element", "elements");
                    *run = 0;
                };
                for &(pi, pj) in pairs.iter().chain(std::iter::once(&(bl.len(), al.len()))) {
                    if (i < pi || j < pj) && run > 0 {
                        flush(out, &mut run);
                    }
                    while i < pi {
                        out.push_str(&self.prefix(col + 4, Glyph::Remove));
                        self.value(out, &bl[i], col + 4, Glyph::Remove, keys);
                        out.push_str(",\n");
                        i += 1;
                    }
                    while j < pj {
                        out.push_str(&self.prefix(col + 4, Glyph::Add));
                        self.value(out, &al[j], col + 4, Glyph::Add, keys);
                        out.push_str(",\n");
                        j += 1;
                    }
                    if pi < bl.len() {
                        run += 1;
                        i += 1;
                        j += 1;
                    }
                }
                flush(out, &mut run);
                out.push_str(&spaces(col));
                out.push(']');
            }
            _ => {
                self.attr_value(out, before, col, Glyph::Remove, ty);
                out.push_str(" -> ");
                self.attr_value(out, after, col, Glyph::Add, ty);
            }
        }
    }

    /// Writes a policy document change, mid-line; false when the documents cannot be parsed
    /// (the caller then falls back to the plain value change). A change that grants more
    /// access gets `# broadens access` on its first line.
    fn policy_change(&self, out: &mut String, before: &str, after: &str, col: usize) -> bool {
        let (title, body) = match self.policy_diff {
            PolicyDiffStyle::Statements => match policy::statement_diff(before, after, col + 2) {
                Some(text) => ("(policy statements changed)", text),
                None => return false,
            },
            PolicyDiffStyle::Json => {
                let text = policy::json_diff(before, after);
                let indented: String = text
                    .lines()
                    .map(|l| format!("{}{l}\n", spaces(col + 2)))
                    .collect();
                ("(canonical policy JSON changed)", indented)
            }
        };
        out.push_str(title);
        out.push_str(" {");
        if policy::broadens(before, after) {
            out.push_str(" # broadens access");
        }
        out.push('\n');
        for line in body.lines() {
            let line = line.trim_end();
            if line.is_empty() {
                out.push('\n');
                continue;
            }
            out.push_str(&self.color_diff_line(line));
            out.push('\n');
        }
        out.push_str(&spaces(col));
        out.push('}');
        true
    }

    /// Colors the first non-blank `+`/`-`/`~` of a diff line.
    fn color_diff_line(&self, line: &str) -> String {
        if !self.style.color {
            return line.to_owned();
        }
        let trimmed = line.trim_start();
        let lead = &line[..line.len() - trimmed.len()];
        let mut chars = trimmed.chars();
        let painted = match chars.next() {
            Some('+') => self.style.green("+"),
            Some('-') => self.style.red("-"),
            Some('~') => self.style.yellow("~"),
            _ => return line.to_owned(),
        };
        format!("{lead}{painted}{}", chars.as_str())
    }
}

/// Pads `text` with spaces to `width` characters.
pub(crate) fn pad(text: &str, width: usize) -> String {
    let n = text.chars().count();
    if n >= width {
        text.to_owned()
    } else {
        format!("{text}{}", spaces(width - n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers(xs: &[i64]) -> Vec<Value> {
        xs.iter().map(|x| Value::from(*x)).collect()
    }

    #[test]
    fn lists_align_on_their_longest_common_subsequence() {
        let (a, b) = (numbers(&[1, 2, 3, 4, 5]), numbers(&[1, 3, 9, 4, 5]));
        assert_eq!(lcs_pairs(&a, &b), vec![(0, 0), (2, 1), (3, 3), (4, 4)]);
        let (a, b) = (numbers(&[7]), numbers(&[7, 7]));
        assert_eq!(lcs_pairs(&a, &b), vec![(0, 0)]);
        assert_eq!(lcs_pairs(&[], &numbers(&[1])), vec![]);
    }

    #[test]
    fn long_lists_pair_their_common_ends_without_a_quadratic_table() {
        // 100,000 x 100,000 differing middles would need a 40 GB table.
        let a: Vec<Value> = (0..100_002).map(Value::from).collect();
        let mut b: Vec<Value> = (0..100_002).map(|x| Value::from(-x)).collect();
        b[0] = Value::from(0);
        b[100_001] = Value::from(100_001);
        assert_eq!(lcs_pairs(&a, &b), vec![(0, 0), (100_001, 100_001)]);
    }
}
