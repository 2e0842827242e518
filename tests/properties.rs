//! Properties over random valid specs: every one compiles into scripts that parse as BigQuery SQL
//! (compile parses each one before returning), and compiling twice gives byte-identical output.

use bqflat::compiler::{compile, Inputs};
use bqflat::load::Overrides;
use proptest::prelude::*;
use serde_json::{json, Value};

const ITEMS: [&str; 3] = ["drop", "keep", "explode"];
const TYPES: &[&str] = &["string", "int64", "float64", "bool", "number", "any"];
const CLUSTERABLE: &[&str] = &[
    "user_pseudo_id",
    "event_name",
    "platform",
    "user_id",
    "geo.country",
    "event_date",
];

/// Param keys: printable ASCII plus the characters that break naive quoting.
fn key() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just('\''),
            Just('"'),
            Just('\\'),
            Just('`'),
            Just('\n'),
            Just(';'),
            Just('-'),
            Just('/'),
            Just('*'),
            proptest::char::range(' ', '~')
        ],
        1..16,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

fn params(prefix: &'static str) -> impl Strategy<Value = Vec<Value>> {
    proptest::collection::vec((key(), 0..TYPES.len()), 0..6).prop_map(move |ps| {
        ps.into_iter()
            .enumerate()
            .map(|(i, (key, ty))| json!({"key": key, "type": TYPES[ty], "as": format!("{prefix}{i}")}))
            .collect()
    })
}

prop_compose! {
    fn spec()(
        event in "[a-z][a-z0-9_]{0,20}",
        incremental in any::<bool>(),
        items in 0..3usize,
        event_params in params("p"),
        user_properties in params("u"),
        item_params in params("i"),
        cluster in proptest::sample::subsequence(CLUSTERABLE, 0..=4),
        lookback in prop_oneof![(1..72u32).prop_map(|h| format!("{h}h")), (1..6u32).prop_map(|d| format!("{d}d"))],
        timezone in proptest::option::of(prop_oneof![Just("UTC"), Just("Europe/Berlin"), Just("+05:30"), Just("America/Los_Angeles")]),
        intraday in any::<bool>(),
        key in proptest::option::of(prop_oneof![Just(json!("event_key")), Just(json!("user_pseudo_id")), Just(json!("ev_id")), Just(json!(["user_pseudo_id", "event_ts"]))]),
        keep_first in any::<bool>(),
        window in proptest::option::of((1..28u32, 0..30u32)),
        daily in any::<bool>(),
        partition_ts in any::<bool>(),
    ) -> Value {
        let mut spec = json!({
            "event": event,
            "mode": if incremental { "incremental" } else { "full" },
            "items": ITEMS[items],
            "params": event_params,
            "user_properties": user_properties,
            "cluster_by": cluster,
            "lookback": lookback,
            "intraday": if intraday { "include" } else { "exclude" },
            "partition_by": if partition_ts { "event_ts" } else { "event_date" },
            "dedupe": {"strategy": if keep_first { "keep_first" } else { "keep_latest" }},
        });
        if items == 2 {
            spec["item_params"] = json!(item_params);
        }
        if let Some(tz) = timezone {
            spec["timezone"] = json!(tz);
        }
        if let Some(key) = key {
            // A spec dedupes on a param it lists: `ev_id` comes with its param.
            if key == "ev_id" {
                spec["params"].as_array_mut().unwrap().push(json!({"key": "event_id", "as": "ev_id"}));
            }
            spec["dedupe"]["key"] = key;
        }
        if let Some((day, length)) = window {
            spec["window"] = json!({"start": format!("2025-06-{day:02}"), "end": format!("2025-{:02}-01", 7 + length / 10)});
            if daily {
                spec["batch"] = json!("daily");
            }
        }
        spec
    }
}

fn build(dir: &std::path::Path) -> Vec<(String, String)> {
    let inputs = Inputs {
        dir: camino::Utf8PathBuf::from_path_buf(dir.to_path_buf()).unwrap(),
        config: None,
        out: None,
        overrides: Overrides::default(),
    };
    match compile(&inputs) {
        Ok(compiled) => compiled
            .artifacts
            .into_iter()
            .map(|a| (a.path, a.contents))
            .collect(),
        Err(diagnostics) => panic!("a valid spec failed to compile:\n{diagnostics}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn random_valid_specs_compile_to_parseable_deterministic_sql(spec in spec()) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("bqflat.yaml"), "project: my-gcp-project\nsource_dataset: raw\ntarget_dataset: flat\n").unwrap();
        std::fs::create_dir_all(dir.path().join("events")).unwrap();
        std::fs::write(dir.path().join("events/spec.yaml"), serde_yaml::to_string(&spec).unwrap()).unwrap();
        let first = build(dir.path());
        let second = build(dir.path());
        // _setup.sql, _run.sql, run.sh, _checks.sql, the table's script and tables.md.
        prop_assert_eq!(first.len(), 6);
        prop_assert_eq!(&first, &second);
        // Every key is written as one string literal: its escaped form appears in the table's
        // script and in the run's shared scan.
        let file = |path: &str| first.iter().find(|(p, _)| p == path).map(|(_, c)| c.as_str()).unwrap_or_default();
        let script = first.iter().find(|(p, _)| p.starts_with("bigquery/") && !p.starts_with("bigquery/_") && p.ends_with(".sql")).map(|(_, c)| c.as_str()).unwrap();
        for p in spec["params"].as_array().unwrap() {
            let literal = bqflat::render::quote::string_literal(p["key"].as_str().unwrap());
            prop_assert!(script.contains(&format!("WHERE p.key = {literal} ORDER BY")), "{}", literal);
            prop_assert!(file("bigquery/_run.sql").contains(&format!("WHERE p.key = {literal} ORDER BY")), "{}", literal);
        }
    }
}
