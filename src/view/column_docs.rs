//! What each column holds, in words: the docs of the tables, dbt's schema.yml and Dataform's
//! column descriptions.

use crate::model::{Origin, Table};

use super::table::ColumnDoc;

pub(super) fn column_docs(table: &Table) -> Vec<ColumnDoc> {
    table
        .columns
        .iter()
        .map(|c| {
            let description = match &c.origin {
                Origin::Computed { name } if name == "event_date" => match &table.timezone {
                    Some(zone) => format!("Date of the event in {zone}"),
                    None => "Date of the event (the export's event_date)".to_string(),
                },
                Origin::Computed { name } if name == "event_ts" => {
                    "Time of the event (event_timestamp)".to_string()
                }
                Origin::Computed { name } if name == "client_key" => {
                    "The browser or app instance: a hash of stream_id and user_pseudo_id"
                        .to_string()
                }
                Origin::Computed { name } if name == "session_key" => {
                    "The session: a hash of stream_id, user_pseudo_id and ga_session_id".to_string()
                }
                Origin::Computed { name } if name == "session_number" => {
                    "The user's session count (ga_session_number)".to_string()
                }
                Origin::Computed { name } if name == "session_engaged" => {
                    "Whether the session was engaged (session_engaged)".to_string()
                }
                Origin::Computed { name } if name == "page_host" => {
                    "Host of page_location, lowercased, without port".to_string()
                }
                Origin::Computed { name } if name == "page_path" => {
                    "Path of page_location, without query and fragment".to_string()
                }
                Origin::Computed { name } if name == "referrer_host" => {
                    "Host of page_referrer, lowercased, without port".to_string()
                }
                Origin::Computed { name } if name == "referrer_path" => {
                    "Path of page_referrer, without query and fragment".to_string()
                }
                Origin::Computed { name } if name == "property_id" => format!(
                    "Property of the source the row was read from ({})",
                    table.source.dataset
                ),
                Origin::Computed { .. } => {
                    "Hash of the export fields that identify one event".to_string()
                }
                Origin::Field { path } => format!("GA4 field {path}"),
                Origin::Param {
                    array,
                    key,
                    param_type,
                } if !table.stripped_params(array, key, *param_type).is_empty() => {
                    format!(
                        "{array} key {key:?} as {}, without the query parameters {}",
                        param_type.name(),
                        table.url_exclude_params.join(", ")
                    )
                }
                Origin::Param {
                    array,
                    key,
                    param_type,
                } => format!("{array} key {key:?} as {}", param_type.name()),
                Origin::UrlParam { url, key, .. } => {
                    format!("Query parameter {key:?} of {url}, decoded")
                }
                Origin::ItemField { field } => format!("items.{field} of the item"),
                Origin::ItemIndex => "Position of the item in items, from 0".to_string(),
                Origin::Items => "The event's items".to_string(),
            };
            ColumnDoc {
                name: c.name.clone(),
                ty: c.ty.to_string(),
                description,
            }
        })
        .collect()
}
