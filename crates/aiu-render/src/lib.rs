//! Renders plans, state and diagnostics as human text and JSON.
