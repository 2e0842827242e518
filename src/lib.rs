//! bqflat compiles declarative GA4 event specs into flattened, partitioned, clustered BigQuery
//! tables: load → validate → model → render → verify → emit.

pub mod cli;
pub mod commands;
pub mod compiler;
pub mod diagnostics;
pub mod ga4;
pub mod model;
pub mod names;
pub mod output;
pub mod parallel;
pub mod project;
pub mod render;
pub mod schema;
pub mod spec;
pub mod validate;
pub mod verify;
pub mod view;
