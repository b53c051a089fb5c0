//! Renders plans, state and diagnostics as human text and JSON.
//!
//! Every function here is pure: data in, text (or JSON) out. The binary does the printing.
//!
//! - [`render_plan`]: the `aiu plan` text, laid out like `terraform plan`.
//! - [`plan_json`]: the plan as JSON, shaped like `terraform show -json`.
//! - [`broadening_changes`]: the policy attributes whose change grants more access.
//! - [`render_diagnostics`]: errors and warnings with a source snippet.
//! - [`render_state`] / [`render_outputs`] / [`render_output_values`]: `aiu show`, `aiu output`.

mod diagnostics;
mod json;
mod plan;
mod policy;
mod state;
mod style;
mod values;

pub use diagnostics::render_diagnostics;
pub use json::{broadening_changes, plan_json, plan_json_with_configuration, PLAN_FORMAT_VERSION};
pub use plan::render_plan;
pub use state::{render_output_values, render_outputs, render_state};

/// The aiu version written into JSON output.
pub const AIU_VERSION: &str = env!("CARGO_PKG_VERSION");

/// How changed policy documents are shown in a plan.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PolicyDiffStyle {
    /// Statement by statement: added/removed statements, actions, resources (the default).
    #[default]
    Statements,
    /// A line diff of the canonical pretty JSON of both documents.
    Json,
}

/// Options of [`render_plan`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RenderOptions {
    /// ANSI colors (green `+`, yellow `~`, red `-`, bold headings). Off: no escape codes at all.
    pub color: bool,
    pub policy_diff: PolicyDiffStyle,
}
