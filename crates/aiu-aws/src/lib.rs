//! The AWS implementation of the Provider trait (the only crate that links the AWS SDK).
