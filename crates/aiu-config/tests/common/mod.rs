//! Test helpers: write files into a temporary directory, load it, render diagnostics as text.
#![allow(dead_code)]

use std::path::Path;

use aiu_config::{load_dir, Config, Diagnostics};
use aiu_model::Severity;

/// Writes `files` into a fresh directory and loads it. The directory lives as long as the
/// returned guard.
pub fn load(files: &[(&str, &str)]) -> (tempfile::TempDir, Config, Diagnostics) {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).expect("write");
    }
    let (config, diags) = load_dir(dir.path());
    (dir, config, diags)
}

/// Loads files and returns the config and diagnostics (the directory is gone afterwards).
pub fn check(files: &[(&str, &str)]) -> (Config, Diagnostics) {
    let (_dir, config, diags) = load(files);
    (config, diags)
}

/// One line per diagnostic: `file:line:col: summary: detail` (paths relative to `dir`;
/// warnings prefixed with `warning: `).
pub fn render_in(diags: &Diagnostics, dir: &Path) -> String {
    diags
        .iter()
        .map(|d| {
            let at = match &d.span {
                Some(s) => {
                    let file = s.file.strip_prefix(dir).unwrap_or(&s.file);
                    format!("{}:{}:{}", file.display(), s.start.line, s.start.column)
                }
                None => "-".to_owned(),
            };
            let level = if d.severity == Severity::Warning {
                "warning: "
            } else {
                ""
            };
            // Details may name other places (duplicates): strip the directory there too.
            let prefix = format!("{}/", dir.display());
            format!(
                "{at}: {level}{}: {}",
                d.summary,
                d.detail.replace(&prefix, "")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Renders diagnostics of a config loaded by [`check`].
pub fn render(config: &Config, diags: &Diagnostics) -> String {
    render_in(diags, &config.dir)
}

/// Only the `file:line:col: summary` part of each diagnostic, for compact asserts.
pub fn summaries(config: &Config, diags: &Diagnostics) -> Vec<String> {
    diags
        .iter()
        .map(|d| {
            let single = Diagnostics(vec![aiu_model::Diagnostic {
                detail: String::new(),
                ..d.clone()
            }]);
            render_in(&single, &config.dir)
                .trim_end_matches(": ")
                .to_owned()
        })
        .collect()
}
