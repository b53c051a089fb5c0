//! Source files kept in memory, conversion of byte ranges to 1-based line/column spans, and
//! the message of a syntax error quoting (part of) its line.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use aiu_model::{Position, Span};

/// Every loaded source file, path -> text, so renderers can show snippets.
#[derive(Clone, Debug, Default)]
pub struct SourceFiles {
    files: BTreeMap<PathBuf, String>,
}

impl SourceFiles {
    pub fn insert(&mut self, path: PathBuf, text: String) {
        self.files.insert(path, text);
    }

    pub fn get(&self, path: &Path) -> Option<&str> {
        self.files.get(path).map(String::as_str)
    }

    pub fn paths(&self) -> impl Iterator<Item = &Path> {
        self.files.keys().map(PathBuf::as_path)
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

/// Maps byte offsets of one file to positions.
#[derive(Clone, Debug)]
pub(crate) struct LineIndex<'a> {
    pub file: PathBuf,
    text: &'a str,
    line_starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(file: PathBuf, text: &'a str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex {
            file,
            text,
            line_starts,
        }
    }

    pub fn text(&self) -> &'a str {
        self.text
    }

    pub fn position(&self, byte: usize) -> Position {
        let byte = byte.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= byte).max(1);
        let start = self.line_starts[line - 1];
        let column = self
            .text
            .get(start..byte)
            .map_or(byte - start, |s| s.chars().count())
            + 1;
        Position { line, column, byte }
    }

    pub fn span(&self, range: Range<usize>) -> Span {
        Span {
            file: self.file.clone(),
            start: self.position(range.start),
            end: self.position(range.end),
        }
    }

    pub fn span_opt(&self, range: Option<Range<usize>>) -> Span {
        self.span(range.unwrap_or(0..0))
    }

    /// A span from a 1-based line and column (as parse errors report them).
    pub fn span_at_line_col(&self, line: usize, column: usize) -> Span {
        let start = self
            .line_starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(self.text.len());
        let line_text = &self.text[start..];
        let line_text = line_text.split('\n').next().unwrap_or("");
        // hcl-edit reports columns in characters; convert to a byte offset.
        let byte = start
            + line_text
                .char_indices()
                .nth(column.saturating_sub(1))
                .map_or(line_text.len(), |(i, _)| i);
        let pos = self.position(byte);
        Span {
            file: self.file.clone(),
            start: pos,
            end: pos,
        }
    }
}

/// Longest excerpt of the offending line a syntax error quotes; the snippet under the
/// diagnostic shows the place too.
const MAX_QUOTED_LINE: usize = 120;

/// The message of an HCL syntax error with the line it is on, cut around the error's column
/// when the line is long (a generated or minified line may be megabytes).
pub(crate) fn syntax_error_message(e: &hcl::edit::parser::Error) -> String {
    let message = e.message().trim_end_matches('.');
    let line = e.line().trim_end();
    let chars: Vec<char> = line.chars().collect();
    let quoted = if chars.len() <= MAX_QUOTED_LINE {
        line.trim_start().to_owned()
    } else {
        let column = e.location().column().saturating_sub(1).min(chars.len());
        let start = column.saturating_sub(MAX_QUOTED_LINE / 2);
        let end = (start + MAX_QUOTED_LINE).min(chars.len());
        let head = if start > 0 { "..." } else { "" };
        let tail = if end < chars.len() { "..." } else { "" };
        format!(
            "{head}{}{tail}",
            chars[start..end].iter().collect::<String>()
        )
    };
    format!("{message}. The line reads: {quoted}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_count_characters() {
        let idx = LineIndex::new("f.tf".into(), "ab\né = 1\n");
        assert_eq!(
            idx.position(0),
            Position {
                line: 1,
                column: 1,
                byte: 0
            }
        );
        assert_eq!(
            idx.position(3),
            Position {
                line: 2,
                column: 1,
                byte: 3
            }
        );
        // 'é' is two bytes; '=' is the third character on line 2.
        assert_eq!(
            idx.position(6),
            Position {
                line: 2,
                column: 3,
                byte: 6
            }
        );
        assert_eq!(idx.span_at_line_col(2, 3).start.byte, 6);
    }
}
