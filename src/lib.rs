//! bqflat compiles declarative GA4 event specs into flattened, partitioned, clustered BigQuery
//! tables: load → validate → model → render → verify → emit.

pub mod cli;
pub mod commands;
pub mod compiler;
pub mod config;
pub mod diagnostics;
pub mod emit;
pub mod ga4;
pub mod model;
pub mod names;
pub mod parallel;
pub(crate) mod pipeline;
pub(crate) mod plan;
pub mod project;
pub mod render;
pub(crate) mod report;
pub(crate) mod resolve;
pub(crate) mod reuse;
pub mod schema;
pub mod spec;
pub mod verify;
pub mod view;

/// The version every generated file and manifest is stamped with; part of every reuse digest,
/// so a new bqflat renders everything again.
pub const BQFLAT_VERSION: &str = env!("CARGO_PKG_VERSION");
