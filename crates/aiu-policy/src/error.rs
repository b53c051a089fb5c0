//! `PolicyError`: a problem with a policy document, located by a JSON path.

use std::fmt;

/// A malformed policy document (or invalid `aws_iam_policy_document` arguments).
///
/// `path` is a JSON path in the document such as `Statement[1].Effect` (empty for the document
/// itself); `message` says what is wrong. Displayed as `path: message`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyError {
    pub path: String,
    pub message: String,
}

impl PolicyError {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> PolicyError {
        PolicyError {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for PolicyError {}
