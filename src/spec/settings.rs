//! The per-event settings, listed once: a setting added to `per_event_settings!` appears in
//! `bqflat.yaml`, in event specs, in [`Settings`] and in its merge, and in the JSON schemas.

use std::collections::BTreeMap;

use super::{
    Batch, Column, Consent, Dedupe, Intraday, Items, Mode, Names, ShardKind, UrlParam, Window,
};

/// Every per-event setting, once: its doc, name and type. A setting added here appears in
/// `bqflat.yaml`, in event specs, in [`Settings`] and in its merge, and in the JSON schemas.
/// `$then` is the macro that receives the list (after the tokens in braces).
macro_rules! per_event_settings {
    ($then:ident { $($pass:tt)* }) => {
        $then! { { $($pass)* }
            /// `full` rebuilds the table from the window; `incremental` merges new rows after the
            /// watermark (minus `lookback`). Default: `full`.
            mode: Mode,
            /// Dates (YYYY-MM-DD, in the export's shard dates) that bound the rows read. Both optional:
            /// no start means the first shard, no end means today.
            window: Window,
            /// How far before the watermark an incremental run reads again, to pick up late events:
            /// a number and a unit (`m`, `h`, `d`), e.g. `6h`, `3d`. Default `3d` (GA4 rewrites daily
            /// tables for up to 72 hours).
            lookback: String,
            /// IANA time zone (e.g. `Europe/Berlin`) for the computed `event_date`. Without it,
            /// `event_date` is the export's own `event_date` (the property's time zone).
            timezone: String,
            /// Whether the intraday shards (`events_intraday_YYYYMMDD`) are read too, for days without
            /// a daily shard. Default `exclude`. `include` is `shards: [daily, intraday]`.
            intraday: Intraday,
            /// Which shards a day is read from, in order of preference: each day is read from the
            /// first kind that exists for it (`daily`, `intraday`, GA4 360's `fresh`), never from
            /// two. Default `[daily]`; `[intraday]` for a streaming export without daily tables.
            shards: Vec<ShardKind>,
            /// Output column (DATE or TIMESTAMP) the table is partitioned by. Default `event_date`.
            partition_by: String,
            /// Partitions older than this many days are deleted by BigQuery.
            partition_expiration_days: u32,
            /// Queries on the table must filter on the partition column.
            require_partition_filter: bool,
            /// Up to 4 output columns to cluster by, as a list or a comma-separated string.
            cluster_by: Names,
            /// How duplicate rows are removed.
            dedupe: Dedupe,
            /// Standard columns to keep: GA4 fields by path (`device.category` becomes
            /// `device_category`) or computed columns (`event_date`, `event_ts`, `event_key`).
            /// Replaces the default set.
            columns: Vec<Column>,
            /// What happens to the `items` array: `drop` it (default), `keep` it as an array column,
            /// or `explode` it into one row per item.
            items: Items,
            /// Item fields kept as columns when `items: explode` (`price` becomes `item_price`).
            item_fields: Vec<String>,
            /// Labels on the table (keys and values: lowercase letters, digits, `_`, `-`).
            labels: BTreeMap<String, String>,
            /// `daily` processes the window one day at a time (a loop in the script), for
            /// predictable slot usage on backfills. Default `none`.
            batch: Batch,
            /// Events sent without analytics consent: `keep` them (default), or `drop_denied`:
            /// leave out those with `privacy_info.analytics_storage` = `No` and the cookieless
            /// pings without a `user_pseudo_id` (consent mode).
            consent: Consent,
            /// Query parameters of `page_location` taken as columns (`url_<key>`), decoded:
            /// names (`[utm_source, gclid]`) or `{key, type, as}` (types `string`, `int64`,
            /// `float64`, `bool`). The first occurrence of a repeated parameter wins; an absent
            /// one is NULL.
            url_params: Vec<UrlParam>,
            /// Query parameters removed (every occurrence) from the stored `page_location` and
            /// `page_referrer` params, e.g. `[email, token]`: the rest of the URL is kept as it is.
            url_exclude_params: Vec<String>,
            /// Name of the template that renders this table, instead of `full.sql` / `incremental.sql`.
            /// Looked up in the project's `templates/bigquery/` first.
            template: String,
        }
    };
}

/// Declares a file type whose fields are its own plus every per-event setting, and a `settings()`
/// accessor. The project file and the event spec both carry the settings at the top level (the seed's
/// config does), and serde cannot combine `flatten` with `deny_unknown_fields` while keeping error
/// positions, so the shared fields are spliced in here instead of flattened.
macro_rules! with_settings {
    (
        { $(#[$meta:meta])* pub struct $name:ident { $($(#[$fmeta:meta])* pub $field:ident : $ty:ty,)* } }
        $($(#[$smeta:meta])* $setting:ident : $sty:ty,)*
    ) => {
        $(#[$meta])*
        pub struct $name {
            $($(#[$fmeta])* pub $field: $ty,)*
            $(
                $(#[$smeta])*
                #[serde(default, skip_serializing_if = "Option::is_none")]
                pub $setting: Option<$sty>,
            )*
        }

        impl $name {
            /// The per-event settings this file carries.
            pub fn settings(&self) -> Settings {
                Settings { $($setting: self.$setting.clone(),)* }
            }
        }
    };
}

/// Declares [`Settings`] and its merge from the list.
macro_rules! settings_struct {
    ({} $($(#[$smeta:meta])* $setting:ident : $sty:ty,)*) => {
        /// The per-event settings, as given in one place (event spec, project file or flags).
        /// Every field is optional: the most specific place that sets it wins.
        #[derive(Debug, Clone, Default, PartialEq)]
        pub struct Settings {
            $($(#[$smeta])* pub $setting: Option<$sty>,)*
        }

        impl Settings {
            /// Fields set in `self` win; the rest come from `base`.
            pub fn over(self, base: Settings) -> Settings {
                Settings { $($setting: Layer::over(self.$setting, base.$setting),)* }
            }
        }
    };
}

per_event_settings!(settings_struct {});

/// How a setting given in a more specific place combines with a less specific one: it replaces
/// it, unless it is a group whose fields are set one by one (`window`, `dedupe`).
trait Layer: Sized {
    fn over(top: Option<Self>, base: Option<Self>) -> Option<Self> {
        top.or(base)
    }
}

impl Layer for Mode {}
impl Layer for String {}
impl Layer for Intraday {}
impl Layer for u32 {}
impl Layer for bool {}
impl Layer for Names {}
impl Layer for Vec<Column> {}
impl Layer for Items {}
impl Layer for Vec<String> {}
impl Layer for BTreeMap<String, String> {}
impl Layer for Batch {}
impl Layer for Consent {}
impl Layer for Vec<ShardKind> {}
impl Layer for Vec<UrlParam> {}

impl Layer for Window {
    fn over(top: Option<Self>, base: Option<Self>) -> Option<Self> {
        match (top, base) {
            (Some(top), Some(base)) => Some(Window {
                start: top.start.or(base.start),
                end: top.end.or(base.end),
            }),
            (top, base) => top.or(base),
        }
    }
}

impl Layer for Dedupe {
    fn over(top: Option<Self>, base: Option<Self>) -> Option<Self> {
        match (top, base) {
            (Some(top), Some(base)) => Some(Dedupe {
                key: top.key.or(base.key),
                strategy: top.strategy.or(base.strategy),
                order_by: top.order_by.or(base.order_by),
            }),
            (top, base) => top.or(base),
        }
    }
}
