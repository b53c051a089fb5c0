//! The Provider trait between the engine and a cloud, its error kinds, and an in-memory IAM double.
