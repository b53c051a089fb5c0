//! Reader for state format version 1.
//!
//! Version 1 is also the current in-memory model, so this reader deserializes straight into
//! [`State`]. When format version 2 is introduced, freeze the version 1 shape here (private
//! structs mirroring this file format) and add an `upgrade` step that turns it into the
//! version 2 model; `State::from_json_str` then chains readers oldest to newest.

use crate::error::StateError;
use crate::model::State;

/// The format version this module reads.
pub const FORMAT_VERSION: u64 = 1;

/// Parses the text of a version 1 state file. Positions in errors come from serde_json.
/// Does not check integrity; [`State::from_json_str`] does that after any upgrades.
pub fn read(text: &str, source_name: &str) -> Result<State, StateError> {
    let state: State =
        serde_json::from_str(text).map_err(|e| StateError::from_json(source_name, e))?;
    debug_assert_eq!(state.format_version, FORMAT_VERSION);
    Ok(state)
}
