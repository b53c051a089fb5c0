//! IAM policy documents: parse, canonical form, equivalence, statement diff, aws_iam_policy_document.
//!
//! - [`document`]: a typed model of policy documents and [`parse_policy`] (URL-decoding, JSON
//!   paths in errors, unknown keys kept).
//! - [`canonical`]: the canonical form, [`equivalent`] (the check that prevents perpetual diffs,
//!   iam-facts §4) and [`canonical_json`] for display.
//! - [`diff`]: statement-level diffs of two documents and their rendering.
//! - [`broadening`]: whether a change grants more (broadening), less (narrowing) or neither.
//! - [`policy_document`]: the `aws_iam_policy_document` data source, evaluated locally with the
//!   Terraform AWS provider's output format.
//! - [`structure`]: [`PolicyKind`] and a minimal structural check.

pub mod broadening;
pub mod canonical;
pub mod catalog;
pub mod diff;
pub mod document;
pub mod error;
pub mod eval;
pub mod policy_document;
pub mod structure;
mod text;
pub mod validate;

pub use broadening::AccessChange;
pub use canonical::{
    canonical_json, canonicalize, equivalent, CanonicalPolicy, CanonicalStatement,
};
pub use catalog::Catalog;
pub use diff::{diff_policies, json_line_diff, render_policy_diff, PolicyDiff, StatementChange};
pub use document::{
    parse_policy, ConditionValue, Conditions, Effect, OneOrMany, PolicyDocument, Principal,
    Statement,
};
pub use error::PolicyError;
pub use eval::{
    evaluate, evaluate_trust, Caller, Decision, Outcome, PolicyRole, PolicySet, Request, Simulator,
    StatementTrace,
};
pub use policy_document::{
    build_policy_document, build_policy_document_or_unknown, BuiltPolicyDocument,
};
pub use structure::{check_structure, PolicyKind, StructuralProblem};
pub use validate::{
    validate_policy, validate_role, Finding, RolePolicy, Severity, ValidateOptions,
};
