//! The shared vocabulary of aiu: values that may be unknown until apply, resource addresses,
//! the schemas of the supported resource types and data sources, and diagnostics with spans.
//!
//! Architecture invariant: this crate knows nothing about HCL parsing, state files, plans or AWS.
//! Every other crate speaks these types at its boundary.

pub mod address;
pub mod diagnostic;
pub mod schema;
pub mod value;

pub use address::{AddressParseError, InstanceAddress, InstanceKey, ResourceAddress, ResourceMode};
pub use diagnostic::{Diagnostic, Diagnostics, Position, Severity, Span};
pub use schema::{AttrType, AttributeSchema, BlockSchema, DefaultValue, Presence, ResourceSchema};
pub use value::Value;
