//! `sources:`: several GA4 export datasets (properties or streams, in one GCP project or several)
//! read into the same tables.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One export dataset: its name (`analytics_287163560`, or `project.analytics_287163560` in
/// another GCP project), or a mapping that also names its `property_id`.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum SourceEntry {
    Name(String),
    Spec(SourceSpec),
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SourceSpec {
    /// GCP project id of the export. Default `source_project`, else `project`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// Dataset of the export (`analytics_287163560`).
    pub dataset: String,
    /// The `property_id` column's value for this source's rows, and the suffix of its table
    /// (`<table>__<property_id>`): letters, digits and underscores. Default: the digits of an
    /// `analytics_<digits>` dataset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub property_id: Option<String>,
}

impl SourceEntry {
    /// The project (when written), the dataset and the property id (when written).
    pub fn parts(&self) -> (Option<&str>, &str, Option<&str>) {
        match self {
            SourceEntry::Name(name) => match name.split_once('.') {
                Some((project, dataset)) => (Some(project), dataset, None),
                None => (None, name, None),
            },
            SourceEntry::Spec(s) => (s.project.as_deref(), &s.dataset, s.property_id.as_deref()),
        }
    }
}

// By hand rather than `untagged`, so a mistake inside the mapping keeps its own message and
// position instead of "did not match any variant".
impl<'de> Deserialize<'de> for SourceEntry {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = SourceEntry;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(
                    "an export dataset name, or a mapping with `project`, `dataset` and `property_id`",
                )
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<SourceEntry, E> {
                Ok(SourceEntry::Name(v.to_string()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<SourceEntry, A::Error> {
                Deserialize::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(SourceEntry::Spec)
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}
