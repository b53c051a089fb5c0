//! Operations: validate, refresh, plan, apply, import, destroy.
