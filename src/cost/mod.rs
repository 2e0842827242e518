//! What a run will cost before it runs: the bytes BigQuery bills (on-demand) for each statement
//! of the generated scripts, from a profile of the export.
//!
//! | file | does |
//! |---|---|
//! | `profile.rs` | the export's profile: loaded and checked, built in (`default_profile.json`), or counted from rows with BigQuery's size rules |
//! | `inputs.rs` | what each table's runs read (export leaves, scan columns, days, how rows are written), recorded in the manifest |
//! | `table.rs` | one table's days, rows and bytes per day of what it reads and writes |
//! | `model.rs` | the statements of each script and their billed bytes |
//! | `estimate.rs` | sums per table, per way of running and per scenario |
//! | `queries.rs` | the script that measures a profile with free dry runs |

pub(crate) mod estimate;
pub(crate) mod inputs;
pub(crate) mod model;
pub(crate) mod profile;
pub(crate) mod queries;
pub(crate) mod table;

pub(crate) use inputs::TableReads;
pub(crate) use profile::Profile;
