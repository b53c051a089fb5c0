//! Schemas of the supported resource types and data sources: which arguments exist, their
//! types, which are required, computed, or force a replacement when changed
//! (`../shared/docs/iam-facts.md` §1, Terraform's names on purpose).

use crate::address::ResourceMode;

/// The type of an attribute. `PolicyJson` is a string compared by policy semantics, never text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttrType {
    String,
    Number,
    Bool,
    ListOfString,
    SetOfString,
    MapOfString,
    PolicyJson,
}

impl AttrType {
    pub fn describe(self) -> &'static str {
        match self {
            AttrType::String => "string",
            AttrType::Number => "number",
            AttrType::Bool => "bool",
            AttrType::ListOfString => "list(string)",
            AttrType::SetOfString => "set(string)",
            AttrType::MapOfString => "map(string)",
            AttrType::PolicyJson => "string (JSON policy document)",
        }
    }
}

/// Who sets an attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Presence {
    /// The config must set it.
    Required,
    /// The config may set it.
    Optional,
    /// Only the provider sets it (known after apply).
    Computed,
    /// The config may set it; otherwise the provider does (e.g. `name` of a role).
    OptionalComputed,
}

/// A literal default applied when the config omits an optional attribute.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DefaultValue {
    Str(&'static str),
    Num(f64),
    Bool(bool),
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AttributeSchema {
    pub name: &'static str,
    pub ty: AttrType,
    pub presence: Presence,
    /// Changing it destroys and re-creates the object.
    pub force_new: bool,
    pub default: Option<DefaultValue>,
    /// Attributes that must not be set together with this one.
    pub conflicts_with: &'static [&'static str],
}

/// A nested block type (`statement { ... }` in `aws_iam_policy_document`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BlockSchema {
    pub name: &'static str,
    pub attributes: &'static [AttributeSchema],
    pub blocks: &'static [BlockSchema],
    /// At most one block of this type (e.g. `endpoints`), otherwise any number.
    pub single: bool,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ResourceSchema {
    pub mode: ResourceMode,
    pub type_name: &'static str,
    pub attributes: &'static [AttributeSchema],
    pub blocks: &'static [BlockSchema],
    /// The attribute that identifies the object in AWS (used for import and `id`).
    pub identity: &'static str,
}

impl ResourceSchema {
    pub fn attribute(&self, name: &str) -> Option<&AttributeSchema> {
        self.attributes.iter().find(|a| a.name == name)
    }

    pub fn block(&self, name: &str) -> Option<&BlockSchema> {
        self.blocks.iter().find(|b| b.name == name)
    }
}

impl BlockSchema {
    pub fn attribute(&self, name: &str) -> Option<&AttributeSchema> {
        self.attributes.iter().find(|a| a.name == name)
    }

    pub fn block(&self, name: &str) -> Option<&BlockSchema> {
        self.blocks.iter().find(|b| b.name == name)
    }
}

const fn attr(name: &'static str, ty: AttrType, presence: Presence) -> AttributeSchema {
    AttributeSchema {
        name,
        ty,
        presence,
        force_new: false,
        default: None,
        conflicts_with: &[],
    }
}

const fn replaces(a: AttributeSchema) -> AttributeSchema {
    AttributeSchema {
        force_new: true,
        ..a
    }
}

const fn defaults(a: AttributeSchema, d: DefaultValue) -> AttributeSchema {
    AttributeSchema {
        default: Some(d),
        ..a
    }
}

const fn conflicts(a: AttributeSchema, with: &'static [&'static str]) -> AttributeSchema {
    AttributeSchema {
        conflicts_with: with,
        ..a
    }
}

use AttrType as T;
use Presence as P;

const ROLE_ATTRS: &[AttributeSchema] = &[
    replaces(conflicts(
        attr("name", T::String, P::OptionalComputed),
        &["name_prefix"],
    )),
    replaces(conflicts(
        attr("name_prefix", T::String, P::Optional),
        &["name"],
    )),
    replaces(defaults(
        attr("path", T::String, P::Optional),
        DefaultValue::Str("/"),
    )),
    attr("assume_role_policy", T::PolicyJson, P::Required),
    defaults(
        attr("description", T::String, P::Optional),
        DefaultValue::Str(""),
    ),
    defaults(
        attr("max_session_duration", T::Number, P::Optional),
        DefaultValue::Num(3600.0),
    ),
    attr("permissions_boundary", T::String, P::Optional),
    defaults(
        attr("force_detach_policies", T::Bool, P::Optional),
        DefaultValue::Bool(false),
    ),
    attr("tags", T::MapOfString, P::Optional),
    attr("tags_all", T::MapOfString, P::Computed),
    attr("id", T::String, P::Computed),
    attr("arn", T::String, P::Computed),
    attr("unique_id", T::String, P::Computed),
    attr("create_date", T::String, P::Computed),
];

const POLICY_ATTRS: &[AttributeSchema] = &[
    replaces(conflicts(
        attr("name", T::String, P::OptionalComputed),
        &["name_prefix"],
    )),
    replaces(conflicts(
        attr("name_prefix", T::String, P::Optional),
        &["name"],
    )),
    replaces(defaults(
        attr("path", T::String, P::Optional),
        DefaultValue::Str("/"),
    )),
    replaces(defaults(
        attr("description", T::String, P::Optional),
        DefaultValue::Str(""),
    )),
    attr("policy", T::PolicyJson, P::Required),
    attr("tags", T::MapOfString, P::Optional),
    attr("tags_all", T::MapOfString, P::Computed),
    attr("id", T::String, P::Computed),
    attr("arn", T::String, P::Computed),
    attr("policy_id", T::String, P::Computed),
    attr("attachment_count", T::Number, P::Computed),
];

const ATTACHMENT_ATTRS: &[AttributeSchema] = &[
    replaces(attr("role", T::String, P::Required)),
    replaces(attr("policy_arn", T::String, P::Required)),
    attr("id", T::String, P::Computed),
];

const ROLE_POLICY_ATTRS: &[AttributeSchema] = &[
    replaces(conflicts(
        attr("name", T::String, P::OptionalComputed),
        &["name_prefix"],
    )),
    replaces(conflicts(
        attr("name_prefix", T::String, P::Optional),
        &["name"],
    )),
    replaces(attr("role", T::String, P::Required)),
    attr("policy", T::PolicyJson, P::Required),
    attr("id", T::String, P::Computed),
];

const INSTANCE_PROFILE_ATTRS: &[AttributeSchema] = &[
    replaces(conflicts(
        attr("name", T::String, P::OptionalComputed),
        &["name_prefix"],
    )),
    replaces(conflicts(
        attr("name_prefix", T::String, P::Optional),
        &["name"],
    )),
    replaces(defaults(
        attr("path", T::String, P::Optional),
        DefaultValue::Str("/"),
    )),
    attr("role", T::String, P::Optional),
    attr("tags", T::MapOfString, P::Optional),
    attr("tags_all", T::MapOfString, P::Computed),
    attr("id", T::String, P::Computed),
    attr("arn", T::String, P::Computed),
    attr("unique_id", T::String, P::Computed),
    attr("create_date", T::String, P::Computed),
];

const PRINCIPALS_BLOCK: BlockSchema = BlockSchema {
    name: "principals",
    attributes: &[
        attr("type", T::String, P::Required),
        attr("identifiers", T::SetOfString, P::Required),
    ],
    blocks: &[],
    single: false,
};

const NOT_PRINCIPALS_BLOCK: BlockSchema = BlockSchema {
    name: "not_principals",
    ..PRINCIPALS_BLOCK
};

const CONDITION_BLOCK: BlockSchema = BlockSchema {
    name: "condition",
    attributes: &[
        attr("test", T::String, P::Required),
        attr("variable", T::String, P::Required),
        attr("values", T::ListOfString, P::Required),
    ],
    blocks: &[],
    single: false,
};

const STATEMENT_BLOCK: BlockSchema = BlockSchema {
    name: "statement",
    attributes: &[
        attr("sid", T::String, P::Optional),
        defaults(
            attr("effect", T::String, P::Optional),
            DefaultValue::Str("Allow"),
        ),
        attr("actions", T::SetOfString, P::Optional),
        attr("not_actions", T::SetOfString, P::Optional),
        attr("resources", T::SetOfString, P::Optional),
        attr("not_resources", T::SetOfString, P::Optional),
    ],
    blocks: &[PRINCIPALS_BLOCK, NOT_PRINCIPALS_BLOCK, CONDITION_BLOCK],
    single: false,
};

const POLICY_DOCUMENT_ATTRS: &[AttributeSchema] = &[
    attr("version", T::String, P::Optional),
    attr("policy_id", T::String, P::Optional),
    attr("source_policy_documents", T::ListOfString, P::Optional),
    attr("override_policy_documents", T::ListOfString, P::Optional),
    attr("json", T::PolicyJson, P::Computed),
    attr("minified_json", T::PolicyJson, P::Computed),
    attr("id", T::String, P::Computed),
];

const CALLER_IDENTITY_ATTRS: &[AttributeSchema] = &[
    attr("account_id", T::String, P::Computed),
    attr("arn", T::String, P::Computed),
    attr("user_id", T::String, P::Computed),
    attr("id", T::String, P::Computed),
];

const REGION_ATTRS: &[AttributeSchema] = &[
    attr("name", T::String, P::OptionalComputed),
    attr("region", T::String, P::OptionalComputed),
    attr("id", T::String, P::Computed),
];

const DATA_ROLE_ATTRS: &[AttributeSchema] = &[
    attr("name", T::String, P::Required),
    attr("arn", T::String, P::Computed),
    attr("assume_role_policy", T::PolicyJson, P::Computed),
    attr("description", T::String, P::Computed),
    attr("max_session_duration", T::Number, P::Computed),
    attr("path", T::String, P::Computed),
    attr("permissions_boundary", T::String, P::Computed),
    attr("unique_id", T::String, P::Computed),
    attr("create_date", T::String, P::Computed),
    attr("tags", T::MapOfString, P::Computed),
    attr("id", T::String, P::Computed),
];

const DATA_POLICY_ATTRS: &[AttributeSchema] = &[
    attr("arn", T::String, P::OptionalComputed),
    attr("name", T::String, P::OptionalComputed),
    attr("path_prefix", T::String, P::Optional),
    attr("path", T::String, P::Computed),
    attr("description", T::String, P::Computed),
    attr("policy", T::PolicyJson, P::Computed),
    attr("policy_id", T::String, P::Computed),
    attr("attachment_count", T::Number, P::Computed),
    attr("tags", T::MapOfString, P::Computed),
    attr("id", T::String, P::Computed),
];

/// Arguments that exist only in configuration and state: AWS cannot report them, so reads keep
/// the recorded (or planned) value.
pub const CONFIG_ONLY_ATTRIBUTES: &[&str] = &["force_detach_policies", "name_prefix"];

/// Every supported resource type and data source.
pub const SCHEMAS: &[ResourceSchema] = &[
    ResourceSchema {
        mode: ResourceMode::Managed,
        type_name: "aws_iam_role",
        attributes: ROLE_ATTRS,
        blocks: &[],
        identity: "name",
    },
    ResourceSchema {
        mode: ResourceMode::Managed,
        type_name: "aws_iam_policy",
        attributes: POLICY_ATTRS,
        blocks: &[],
        identity: "arn",
    },
    ResourceSchema {
        mode: ResourceMode::Managed,
        type_name: "aws_iam_role_policy_attachment",
        attributes: ATTACHMENT_ATTRS,
        blocks: &[],
        identity: "id",
    },
    ResourceSchema {
        mode: ResourceMode::Managed,
        type_name: "aws_iam_role_policy",
        attributes: ROLE_POLICY_ATTRS,
        blocks: &[],
        identity: "id",
    },
    ResourceSchema {
        mode: ResourceMode::Managed,
        type_name: "aws_iam_instance_profile",
        attributes: INSTANCE_PROFILE_ATTRS,
        blocks: &[],
        identity: "name",
    },
    ResourceSchema {
        mode: ResourceMode::Data,
        type_name: "aws_iam_policy_document",
        attributes: POLICY_DOCUMENT_ATTRS,
        blocks: &[STATEMENT_BLOCK],
        identity: "id",
    },
    ResourceSchema {
        mode: ResourceMode::Data,
        type_name: "aws_caller_identity",
        attributes: CALLER_IDENTITY_ATTRS,
        blocks: &[],
        identity: "id",
    },
    ResourceSchema {
        mode: ResourceMode::Data,
        type_name: "aws_region",
        attributes: REGION_ATTRS,
        blocks: &[],
        identity: "id",
    },
    ResourceSchema {
        mode: ResourceMode::Data,
        type_name: "aws_iam_role",
        attributes: DATA_ROLE_ATTRS,
        blocks: &[],
        identity: "name",
    },
    ResourceSchema {
        mode: ResourceMode::Data,
        type_name: "aws_iam_policy",
        attributes: DATA_POLICY_ATTRS,
        blocks: &[],
        identity: "arn",
    },
];

/// Looks up a schema by mode and type name.
pub fn schema_for(mode: ResourceMode, type_name: &str) -> Option<&'static ResourceSchema> {
    SCHEMAS
        .iter()
        .find(|s| s.mode == mode && s.type_name == type_name)
}

/// The type names of one mode, for "did you mean" and "supported types are" messages.
pub fn type_names(mode: ResourceMode) -> Vec<&'static str> {
    SCHEMAS
        .iter()
        .filter(|s| s.mode == mode)
        .map(|s| s.type_name)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_conflict_names_an_existing_attribute() {
        for schema in SCHEMAS {
            for a in schema.attributes {
                for other in a.conflicts_with {
                    assert!(
                        schema.attribute(other).is_some(),
                        "{}.{} conflicts with unknown {other}",
                        schema.type_name,
                        a.name
                    );
                }
            }
        }
    }

    #[test]
    fn named_iam_objects_are_replaced_when_renamed() {
        for t in [
            "aws_iam_role",
            "aws_iam_policy",
            "aws_iam_instance_profile",
            "aws_iam_role_policy",
        ] {
            let s = schema_for(ResourceMode::Managed, t).unwrap();
            assert!(s.attribute("name").unwrap().force_new, "{t}");
        }
        let policy = schema_for(ResourceMode::Managed, "aws_iam_policy").unwrap();
        assert!(policy.attribute("description").unwrap().force_new);
        let role = schema_for(ResourceMode::Managed, "aws_iam_role").unwrap();
        assert!(!role.attribute("description").unwrap().force_new);
    }
}
