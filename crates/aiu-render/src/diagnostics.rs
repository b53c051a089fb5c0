//! Diagnostics for people: Terraform's layout with a source snippet and an underlined span.

use crate::style::Style;
use aiu_model::{Diagnostic, Diagnostics, Severity, Span};
use std::path::Path;

const TAB_WIDTH: usize = 4;

/// Expands tabs; returns the display text and, for each character index, its display column.
fn expand(line: &str) -> (String, Vec<usize>) {
    let mut text = String::new();
    let mut cols = Vec::new();
    let mut col = 0;
    for ch in line.chars() {
        cols.push(col);
        if ch == '\t' {
            let n = TAB_WIDTH - col % TAB_WIDTH;
            text.push_str(&" ".repeat(n));
            col += n;
        } else {
            text.push(ch);
            col += 1;
        }
    }
    cols.push(col);
    (text, cols)
}

/// Display columns [from, to) of 1-based character columns [start, end) on a line.
fn display_range(cols: &[usize], start: usize, end: usize) -> (usize, usize) {
    let at = |c: usize| cols[c.saturating_sub(1).min(cols.len() - 1)];
    let from = at(start);
    let to = at(end).max(from + 1);
    (from, to)
}

fn snippet(out: &mut String, style: &Style, severity: Severity, span: &Span, source: &str) {
    let lines: Vec<&str> = source.lines().collect();
    let (first, last) = (span.start.line, span.end.line.max(span.start.line));
    if first == 0 || first > lines.len() {
        return;
    }
    let last = last.min(lines.len());
    let width = last.to_string().len();
    let paint = |s: &str| match severity {
        Severity::Error => style.red(s),
        Severity::Warning => style.yellow(s),
    };
    let mut shown: Vec<usize> = vec![first];
    if last > first {
        if last > first + 1 {
            shown.push(0); // an elision marker
        }
        shown.push(last);
    }
    for n in shown {
        if n == 0 {
            out.push_str(&format!("  {} |   ...\n", " ".repeat(width)));
            continue;
        }
        let (text, cols) = expand(lines[n - 1]);
        let len_chars = cols.len() - 1;
        let start = if n == first {
            span.start.column
        } else {
            lines[n - 1]
                .chars()
                .take_while(|c| c.is_whitespace())
                .count()
                + 1
        };
        let end = if n == last && (last > first || span.end.column > span.start.column) {
            span.end.column
        } else if n == last && last == first {
            span.start.column + 1
        } else {
            len_chars + 1
        };
        let (from, to) = display_range(&cols, start, end);
        out.push_str(&format!("  {n:>width$} | {}\n", text.trim_end()));
        out.push_str(&format!(
            "  {} | {}{}\n",
            " ".repeat(width),
            " ".repeat(from),
            paint(&"^".repeat(to - from))
        ));
    }
}

fn render_one(
    out: &mut String,
    style: &Style,
    d: &Diagnostic,
    sources: &dyn Fn(&Path) -> Option<String>,
) {
    out.push('\n');
    let label = match d.severity {
        Severity::Error => style.bold_red("Error:"),
        Severity::Warning => style.bold_yellow("Warning:"),
    };
    out.push_str(&format!("{label} {}\n", style.bold(&d.summary)));
    if let Some(span) = &d.span {
        out.push('\n');
        out.push_str(&format!(
            "  on {} line {} ({span}):\n",
            span.file.display(),
            span.start.line
        ));
        if let Some(source) = sources(&span.file) {
            snippet(out, style, d.severity, span, &source);
        }
    }
    if !d.detail.is_empty() {
        out.push('\n');
        out.push_str(d.detail.trim_end());
        out.push('\n');
    }
}

/// Renders diagnostics like Terraform: a blank line, `Error: summary` (or `Warning:`), then
/// `on FILE line L (FILE:L:C):` with the source line and the span underlined (`sources` reads
/// a file's text; without it the snippet is left out), then the detail.
pub fn render_diagnostics(
    diags: &Diagnostics,
    sources: &dyn Fn(&Path) -> Option<String>,
    color: bool,
) -> String {
    let style = Style { color };
    let mut out = String::new();
    for d in diags.iter() {
        render_one(&mut out, &style, d, sources);
    }
    out
}
