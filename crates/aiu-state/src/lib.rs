//! The aiu state model, its versioned on-disk format, and the local backend.
