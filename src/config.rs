//! What a command runs with, resolved: plain values built from the command line in one place
//! (`cli.rs`), so commands and the pipeline never see clap types and can be driven without a
//! command line.

use camino::Utf8PathBuf;

pub(crate) use crate::compiler::Inputs;

/// One command and everything it needs.
#[derive(Debug, Clone)]
pub enum Config {
    Build(Build),
    Plan(Plan),
    Check(Check),
    Cost(Cost),
    DiscoverSql(Inputs),
    Init(Init),
    Schema(Schema),
    Completions(clap_complete::Shell),
}

#[derive(Debug, Clone)]
pub struct Check {
    pub project: Inputs,
    pub format: CheckFormat,
}

/// How `check` reports: for people, for GitHub Actions, for tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckFormat {
    Text,
    Github,
    Json,
}

#[derive(Debug, Clone)]
pub struct Build {
    pub project: Inputs,
    /// Print the SQL instead of writing it.
    pub dry_run: bool,
    /// Overwrite hand edits and render every table again.
    pub force: bool,
    pub allow_breaking: bool,
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub project: Inputs,
    pub format: PlanFormat,
    pub detailed_exitcode: bool,
    /// Lines added and removed per file instead of the diffs.
    pub stat: bool,
    /// A git revision to compare with instead of the output folder on disk.
    pub against: Option<String>,
    pub allow_breaking: bool,
    /// The export's profile for the cost estimates; none: the built-in one.
    pub profile: Option<Utf8PathBuf>,
    /// Whether text output may use ANSI colours (a terminal, and no `NO_COLOR`).
    pub color: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanFormat {
    Text,
    Markdown,
    Json,
}

#[derive(Debug, Clone)]
pub struct Cost {
    pub project: Inputs,
    /// The export's profile; none: the built-in generic one.
    pub profile: Option<Utf8PathBuf>,
    pub json: bool,
    /// US dollars per TiB billed.
    pub price_per_tib: f64,
    pub action: CostAction,
}

#[derive(Debug, Clone)]
pub enum CostAction {
    /// The estimate.
    Estimate,
    /// The script that measures the export's profile; `day` is its default shard.
    ProfileQueries { day: Option<String> },
    /// The profile counted from export rows (JSON lines).
    ProfileFromRows(Utf8PathBuf),
}

#[derive(Debug, Clone)]
pub struct Init {
    pub dir: Utf8PathBuf,
    pub catalog: Option<Utf8PathBuf>,
}

#[derive(Debug, Clone)]
pub struct Schema {
    pub out: Option<Utf8PathBuf>,
}
