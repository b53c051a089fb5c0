//! In-memory IAM double (placeholder until written).
