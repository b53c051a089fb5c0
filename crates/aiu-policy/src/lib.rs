//! IAM policy documents: parse, canonical form, equivalence, statement diff, aws_iam_policy_document.
