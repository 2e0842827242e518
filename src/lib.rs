//! bqflat compiles declarative GA4 event specs into flattened, partitioned, clustered BigQuery
//! tables. The stages, in the order a build runs them:
//!
//! | stage | where | hands on |
//! |---|---|---|
//! | load | `load/` (`mod.rs` finds the files, `yaml.rs` reads them with positions, `every.rs` keeps reading past an error, `suggest.rs` says what was meant, `catalog.rs`), `spec.rs` | the YAML files as typed specs, with positions |
//! | resolve | `resolve/` (one file per concern, `reporter.rs` blames the file or flag) | one `model::Build`: every table's columns, types, keys, windows |
//! | model | `model.rs`, `ga4.rs`, `reads.rs` (the export columns each table reads, and the scans shared by tables of one source) | the resolved build (no SQL text) |
//! | view | `view/` | the template context: typed, documented, versioned |
//! | render | `render/`, `templates/` | the files of each target (BigQuery, dbt, Dataform) |
//! | verify | `verify.rs` | every BigQuery script parsed before anything is written |
//! | plan | `plan/` (`compare.rs`, `change.rs`, `migrate.rs`, `previous.rs`) | changes against the previous build and their policy |
//! | emit | `emit/` (`manifest.rs`, `swap.rs`) | the output folder, swapped in at once |
//! | cost | `cost/` (`profile.rs`, `inputs.rs`, `table.rs`, `model.rs`, `estimate.rs`, `queries.rs`) | the bytes each statement of a run is billed, for `bqflat cost` and `plan` |
//!
//! `pipeline.rs` runs the stages for `build`, `check` and `plan`; `reuse.rs` decides what is kept
//! from the previous build; `select.rs` leaves alone what `--events`/`--target` did not select;
//! `report/` formats what a command prints; `cli.rs` turns arguments into a `config::Config` and
//! `commands/` runs it; `diagnostics.rs` is the one error type, with file and position.

pub mod cli;
pub(crate) mod commands;
pub mod compiler;
pub(crate) mod config;
pub(crate) mod cost;
pub(crate) mod diagnostics;
pub(crate) mod emit;
pub(crate) mod ga4;
pub mod load;
pub(crate) mod model;
pub(crate) mod names;
pub(crate) mod parallel;
pub(crate) mod pipeline;
pub(crate) mod plan;
pub(crate) mod reads;
pub mod render;
pub(crate) mod report;
pub(crate) mod resolve;
pub(crate) mod reuse;
pub(crate) mod schema;
pub(crate) mod select;
pub(crate) mod spec;
pub(crate) mod verify;
pub mod view;

/// The version every generated file and manifest is stamped with; part of every reuse digest,
/// so a new bqflat renders everything again.
pub const BQFLAT_VERSION: &str = env!("CARGO_PKG_VERSION");
