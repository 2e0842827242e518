//! The page URL settings: query parameters of `page_location` taken as columns, and those
//! removed from the stored URLs.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A query parameter of `page_location` taken as a column: its name (`utm_source`), or a
/// mapping with its type and column name.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum UrlParam {
    Name(String),
    Typed(UrlParamSpec),
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UrlParamSpec {
    /// The parameter's name as it appears in the query string, decoded (`utm_source`).
    pub key: String,
    /// Value type. Default `string`; a value that is not of the type becomes NULL.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub ty: Option<UrlParamType>,
    /// Output column name. Default `url_<key>`.
    #[serde(default, rename = "as", skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
}

impl UrlParam {
    pub fn key(&self) -> &str {
        match self {
            UrlParam::Name(key) => key,
            UrlParam::Typed(spec) => &spec.key,
        }
    }
}

/// The type a query parameter's decoded text is read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum UrlParamType {
    /// The decoded text.
    String,
    /// Digits with an optional sign (`42`, `-7`), inside INT64's range.
    Int64,
    /// A decimal number with an optional exponent (`1.5`, `2e3`).
    Float64,
    /// `true`/`1`/`yes` or `false`/`0`/`no`, in any case.
    Bool,
}

// By hand rather than `untagged`, so a mistake inside the mapping keeps its own message and
// position instead of "did not match any variant".
impl<'de> Deserialize<'de> for UrlParam {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = UrlParam;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a query parameter name, or a mapping with `key`, `type` and `as`")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<UrlParam, E> {
                Ok(UrlParam::Name(v.to_string()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<UrlParam, A::Error> {
                Deserialize::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(UrlParam::Typed)
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}
