//! The one path to the terminal: data to stdout, messages and diagnostics to stderr, colour
//! only on a terminal and never with NO_COLOR or `-no-color`.

use std::io::{IsTerminal, Write};

use aiu_config::Config;
use aiu_model::Diagnostics;

pub struct Printer {
    pub color: bool,
}

impl Printer {
    pub fn new(no_color: bool) -> Self {
        let color =
            !no_color && std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal();
        Printer { color }
    }

    /// Writes data (plans, state, outputs) to stdout.
    pub fn out(&self, text: &str) {
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(text.as_bytes());
        if !text.ends_with('\n') {
            let _ = stdout.write_all(b"\n");
        }
        let _ = stdout.flush();
    }

    /// Writes a message (progress, prompts, errors) to stderr.
    pub fn err(&self, text: &str) {
        let mut stderr = std::io::stderr().lock();
        let _ = stderr.write_all(text.as_bytes());
        if !text.ends_with('\n') {
            let _ = stderr.write_all(b"\n");
        }
        let _ = stderr.flush();
    }

    pub fn diagnostics(&self, diags: &Diagnostics, config: &Config) {
        if diags.is_empty() {
            return;
        }
        let sources = |path: &std::path::Path| config.source(path).map(str::to_owned);
        self.err(&aiu_render::render_diagnostics(diags, &sources, self.color));
    }
}
