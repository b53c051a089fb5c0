//! Serde helpers for the `aiu_model` types that appear in state files (aiu-model itself has no
//! serde derives): resource modes, instance keys and instance addresses.

use aiu_model::{InstanceAddress, InstanceKey, ResourceMode};
use serde::de::{self, Deserializer, Visitor};
use serde::Serializer;
use std::fmt;

/// `"managed"` / `"data"`.
pub mod mode {
    use super::*;

    pub fn serialize<S: Serializer>(mode: &ResourceMode, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(match mode {
            ResourceMode::Managed => "managed",
            ResourceMode::Data => "data",
        })
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<ResourceMode, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = ResourceMode;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("\"managed\" or \"data\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ResourceMode, E> {
                match v {
                    "managed" => Ok(ResourceMode::Managed),
                    "data" => Ok(ResourceMode::Data),
                    other => Err(E::invalid_value(de::Unexpected::Str(other), &self)),
                }
            }
        }
        d.deserialize_str(V)
    }
}

/// `null` (no `count`/`for_each`), an integer (`count`), or a string (`for_each`).
pub mod key {
    use super::*;

    pub fn serialize<S: Serializer>(key: &InstanceKey, s: S) -> Result<S::Ok, S::Error> {
        match key {
            InstanceKey::None => s.serialize_none(),
            InstanceKey::Int(i) => s.serialize_i64(*i),
            InstanceKey::Str(k) => s.serialize_str(k),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<InstanceKey, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = InstanceKey;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("null, a non-negative integer (count) or a string (for_each)")
            }
            fn visit_unit<E: de::Error>(self) -> Result<InstanceKey, E> {
                Ok(InstanceKey::None)
            }
            fn visit_none<E: de::Error>(self) -> Result<InstanceKey, E> {
                Ok(InstanceKey::None)
            }
            fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<InstanceKey, D2::Error> {
                d.deserialize_any(V)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<InstanceKey, E> {
                Ok(InstanceKey::Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<InstanceKey, E> {
                i64::try_from(v)
                    .map(InstanceKey::Int)
                    .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<InstanceKey, E> {
                Ok(InstanceKey::Str(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<InstanceKey, E> {
                Ok(InstanceKey::Str(v))
            }
        }
        d.deserialize_any(V)
    }
}

/// An instance address as its display string: `aws_iam_role.r["api"]`.
pub mod address {
    use super::*;

    pub fn serialize<S: Serializer>(addr: &InstanceAddress, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(addr)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<InstanceAddress, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = InstanceAddress;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a resource instance address such as \"aws_iam_role.r[0]\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<InstanceAddress, E> {
                v.parse().map_err(E::custom)
            }
        }
        d.deserialize_str(V)
    }
}
