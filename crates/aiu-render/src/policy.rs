//! The few calls into `aiu-policy` the renderers make, in one place.

/// True when both texts are policy documents with the same meaning.
pub(crate) fn equivalent(a: &str, b: &str) -> bool {
    aiu_policy::equivalent(a, b)
}

/// The statement-level diff rendered with its lines starting at `indent` columns, followed by
/// a hidden-statements note; `None` when a side cannot be parsed.
pub(crate) fn statement_diff(before: &str, after: &str, indent: usize) -> Option<String> {
    let diff = aiu_policy::diff_policies(before, after);
    if diff.parse_error.is_some() {
        return None;
    }
    let mut text = aiu_policy::render_policy_diff(&diff, &" ".repeat(indent));
    let n = diff.unchanged_statements;
    if n > 0 {
        let noun = if n == 1 { "statement" } else { "statements" };
        text.push_str(&format!(
            "{}# ({n} unchanged {noun} hidden)\n",
            " ".repeat(indent + 2)
        ));
    }
    Some(text)
}

/// True when the change from `before` to `after` grants more access (see
/// `aiu_policy::broadening`).
pub(crate) fn broadens(before: &str, after: &str) -> bool {
    aiu_policy::diff_policies(before, after).access == aiu_policy::AccessChange::Broadening
}

/// The line diff of the canonical JSON of both documents (`- `, `+ `, `  ` prefixes).
pub(crate) fn json_diff(before: &str, after: &str) -> String {
    aiu_policy::json_line_diff(before, after)
}

/// The statement diff as JSON, for `policy_changes` in `plan_json`.
pub(crate) fn diff_json(before: &str, after: &str) -> serde_json::Value {
    serde_json::to_value(aiu_policy::diff_policies(before, after))
        .unwrap_or(serde_json::Value::Null)
}
