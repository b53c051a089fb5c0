//! Resource addresses: `aws_iam_role.r`, `aws_iam_role.r[0]`, `data.aws_iam_role.r["api"]`.

use std::fmt;
use std::str::FromStr;

/// Managed resources are created by aiu; data sources are only read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ResourceMode {
    Managed,
    Data,
}

/// A resource block's address, without instance key: `aws_iam_role.r`, `data.aws_iam_role.r`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ResourceAddress {
    pub mode: ResourceMode,
    pub type_name: String,
    pub name: String,
}

/// The key of one instance of a resource with `count` (`Int`) or `for_each` (`Str`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum InstanceKey {
    None,
    Int(i64),
    Str(String),
}

/// One instance of a resource: `aws_iam_role.r["api"]`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InstanceAddress {
    pub resource: ResourceAddress,
    pub key: InstanceKey,
}

impl ResourceAddress {
    pub fn managed(type_name: impl Into<String>, name: impl Into<String>) -> Self {
        ResourceAddress {
            mode: ResourceMode::Managed,
            type_name: type_name.into(),
            name: name.into(),
        }
    }

    pub fn data(type_name: impl Into<String>, name: impl Into<String>) -> Self {
        ResourceAddress {
            mode: ResourceMode::Data,
            type_name: type_name.into(),
            name: name.into(),
        }
    }

    pub fn instance(&self, key: InstanceKey) -> InstanceAddress {
        InstanceAddress {
            resource: self.clone(),
            key,
        }
    }
}

impl InstanceAddress {
    pub fn single(resource: ResourceAddress) -> Self {
        InstanceAddress {
            resource,
            key: InstanceKey::None,
        }
    }
}

impl fmt::Display for ResourceAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mode == ResourceMode::Data {
            f.write_str("data.")?;
        }
        write!(f, "{}.{}", self.type_name, self.name)
    }
}

impl fmt::Display for InstanceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InstanceKey::None => Ok(()),
            InstanceKey::Int(i) => write!(f, "[{i}]"),
            InstanceKey::Str(s) => write!(f, "[{}]", serde_json::Value::String(s.clone())),
        }
    }
}

impl fmt::Display for InstanceAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.resource, self.key)
    }
}

/// Why an address could not be parsed.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("invalid resource address `{input}`: {reason} (expected e.g. `aws_iam_role.name`, `aws_iam_role.name[0]` or `aws_iam_role.name[\"key\"]`)")]
pub struct AddressParseError {
    pub input: String,
    pub reason: &'static str,
}

impl FromStr for InstanceAddress {
    type Err = AddressParseError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let err = |reason| AddressParseError {
            input: input.to_owned(),
            reason,
        };
        let (head, key) = match input.find('[') {
            Some(open) => {
                let inner = input[open..]
                    .strip_prefix('[')
                    .and_then(|s| s.strip_suffix(']'))
                    .ok_or_else(|| err("unbalanced brackets"))?;
                let key = if inner.starts_with('"') {
                    let s: String =
                        serde_json::from_str(inner).map_err(|_| err("bad string key"))?;
                    InstanceKey::Str(s)
                } else {
                    InstanceKey::Int(inner.parse().map_err(|_| err("index is not an integer"))?)
                };
                (&input[..open], key)
            }
            None => (input, InstanceKey::None),
        };
        let parts: Vec<&str> = head.split('.').collect();
        let (mode, type_name, name) = match parts.as_slice() {
            ["data", t, n] => (ResourceMode::Data, *t, *n),
            [t, n] => (ResourceMode::Managed, *t, *n),
            _ => return Err(err("wrong number of dot-separated parts")),
        };
        let ident = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                && !s.starts_with(|c: char| c.is_ascii_digit())
        };
        if !ident(type_name) || !ident(name) {
            return Err(err("type and name must be identifiers"));
        }
        Ok(InstanceAddress {
            resource: ResourceAddress {
                mode,
                type_name: type_name.to_owned(),
                name: name.to_owned(),
            },
            key,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_round_trip_through_display_and_parse() {
        for text in [
            "aws_iam_role.r",
            "aws_iam_role.r[0]",
            "data.aws_iam_role.r[\"api\"]",
        ] {
            let addr: InstanceAddress = text.parse().unwrap();
            assert_eq!(addr.to_string(), text);
        }
    }

    #[test]
    fn malformed_addresses_are_rejected_with_a_reason() {
        assert!("aws_iam_role".parse::<InstanceAddress>().is_err());
        assert!("aws_iam_role.r[x".parse::<InstanceAddress>().is_err());
        assert!("aws_iam_role.r[abc]".parse::<InstanceAddress>().is_err());
    }

    #[test]
    fn instances_sort_by_type_name_then_key() {
        let mut v: Vec<InstanceAddress> =
            ["aws_iam_role.b", "aws_iam_role.a[1]", "aws_iam_role.a[0]"]
                .iter()
                .map(|s| s.parse().unwrap())
                .collect();
        v.sort();
        let shown: Vec<String> = v.iter().map(|a| a.to_string()).collect();
        assert_eq!(
            shown,
            ["aws_iam_role.a[0]", "aws_iam_role.a[1]", "aws_iam_role.b"]
        );
    }
}
