//! The `aiu` command line.
fn main() {}
