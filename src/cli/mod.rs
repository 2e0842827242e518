//! The command line: what was typed (clap types) → one configuration → the command that runs it.
//! Errors are printed in exactly one place, here, and mapped to exit codes.

use std::io::IsTerminal;
use std::process::ExitCode;

use std::collections::BTreeSet;

use camino::Utf8PathBuf;
use clap::{Args, Parser, Subcommand, ValueEnum};

mod seed;

use crate::commands;
use crate::compiler::Inputs;
use crate::config::{self, Config};
use crate::load::Overrides;
use crate::report::style;
use crate::spec::Target;
use seed::SeedFlags;

#[derive(Debug, Parser)]
#[command(
    name = "bqflat",
    version,
    about = "Compile GA4 event specs into flattened, partitioned BigQuery tables"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    output: OutputArgs,
}

/// How much a command says, and in what colours; accepted before or after the command.
#[derive(Debug, Args)]
struct OutputArgs {
    /// Print errors only (and what the command was asked for: SQL, a plan, a report).
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,
    /// Say more: `build` also lists the files it left unchanged.
    #[arg(short, long, global = true)]
    verbose: bool,
    /// Colour errors, warnings and plans: `auto` in a terminal unless NO_COLOR is set.
    #[arg(
        long,
        value_enum,
        global = true,
        default_value = "auto",
        value_name = "WHEN"
    )]
    color: ColorArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ColorArg {
    Auto,
    Always,
    Never,
}

impl OutputArgs {
    fn style(&self) -> style::Style {
        let color = |terminal: bool| match self.color {
            ColorArg::Always => true,
            ColorArg::Never => false,
            ColorArg::Auto => terminal && std::env::var_os("NO_COLOR").is_none(),
        };
        style::Style {
            verbosity: match (self.quiet, self.verbose) {
                (true, _) => style::Verbosity::Quiet,
                (_, true) => style::Verbosity::Verbose,
                _ => style::Verbosity::Normal,
            },
            stdout_color: color(std::io::stdout().is_terminal()),
            stderr_color: color(std::io::stderr().is_terminal()),
        }
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Compile a project into SQL scripts and a manifest in the output folder.
    Build(Box<BuildArgs>),
    /// Show what `build` would change, against the previous build, without writing anything.
    Plan(Box<PlanArgs>),
    /// Exit 1 when the specs are invalid, the output folder is stale, or an output file was edited
    /// by hand; for CI and pre-commit hooks.
    Check(Box<CheckArgs>),
    /// Estimate the bytes BigQuery bills for a typical run and a first run, per table and in
    /// total, for the per-table scripts and for `_run.sql` (see README, "What a run is billed").
    Cost(Box<CostArgs>),
    /// Print the query that lists every event and param key of the export, with value types and
    /// counts (window: --start-date/--end-date, default the last 30 days).
    DiscoverSql(Box<DiscoverArgs>),
    /// Create a working project to start from.
    Init(InitArgs),
    /// Print the shell completion script (e.g. `bqflat completions bash > ~/.local/share/bash-completion/completions/bqflat`).
    Completions(CompletionsArgs),
    /// Print (or write) the JSON schemas of bqflat.yaml and the event specs.
    Schema(SchemaArgs),
}

/// Which project to compile, and how: shared by every command that compiles.
#[derive(Debug, Args)]
pub struct ProjectArgs {
    /// Project directory (holds bqflat.yaml and events/). Default: the --config file's folder, else `.`.
    dir: Option<Utf8PathBuf>,
    /// Output folder. Default: `output:` in bqflat.yaml, else DIR/build.
    #[arg(long, value_parser = not_empty_path)]
    out: Option<Utf8PathBuf>,
    /// The project file to use instead of DIR/bqflat.yaml (the seed's YAML config works as is).
    #[arg(long, value_parser = not_empty_path)]
    config: Option<Utf8PathBuf>,
    /// What to generate (repeatable): bigquery, dbt, dataform. Default: `targets:` in
    /// bqflat.yaml, else bigquery.
    #[arg(long = "target", value_enum, value_delimiter = ',')]
    targets: Vec<TargetArg>,
    #[command(flatten)]
    seed: SeedFlags,
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    #[command(flatten)]
    pub project: ProjectArgs,
    /// Print the SQL instead of writing files.
    #[arg(long)]
    pub dry_run: bool,
    /// Overwrite output files edited by hand since the last build.
    #[arg(long)]
    pub force: bool,
    /// Accept breaking changes to existing incremental tables: emit a one-off full-rebuild
    /// migration instead of refusing.
    #[arg(long)]
    pub allow_breaking: bool,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub project: ProjectArgs,
    #[arg(long, value_enum, default_value = "text")]
    pub format: PlanFormat,
    /// Exit 0 when nothing would change, 2 when something would, 1 on errors.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Per changed file, the lines added and removed instead of its diff (text and markdown).
    #[arg(long)]
    pub stat: bool,
    /// Compare with the output folder as committed at this git revision instead of as on disk.
    #[arg(long, value_name = "REV")]
    pub against: Option<String>,
    /// Plan as `build --allow-breaking` would build.
    #[arg(long)]
    pub allow_breaking: bool,
    /// The export's profile for the estimated bytes per run (see `bqflat cost`); default: a
    /// built-in generic GA4 web property.
    #[arg(long, value_name = "FILE", value_parser = not_empty_path)]
    pub profile: Option<Utf8PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    /// A summary, per-table changes and unified diffs (coloured in a terminal).
    Text,
    /// A pull-request comment: a table of changes and collapsible diffs.
    Markdown,
    /// A stable document for tools (see README).
    Json,
}

#[derive(Debug, Args)]
pub struct CostArgs {
    #[command(flatten)]
    pub project: ProjectArgs,
    /// The export's profile (JSON, see README); default: a built-in generic GA4 web property.
    #[arg(long, value_name = "FILE", value_parser = not_empty_path)]
    pub profile: Option<Utf8PathBuf>,
    #[arg(long, value_enum, default_value = "text")]
    pub format: CostFormat,
    /// On-demand price in US dollars per TiB billed.
    #[arg(long, value_name = "USD", default_value_t = 6.25, value_parser = price)]
    pub price_per_tib: f64,
    /// Print a shell script that measures the profile of the project's export with free dry
    /// runs (and one query billed for the event_name column of one shard).
    #[arg(long, conflicts_with_all = ["profile", "profile_from_rows"])]
    pub profile_queries: bool,
    /// The daily shard (YYYYMMDD) the profile script measures by default (default: yesterday).
    #[arg(long, value_name = "YYYYMMDD", requires = "profile_queries", value_parser = shard_day)]
    pub day: Option<String>,
    /// Print the profile counted from export rows (a JSON object per line) by BigQuery's size
    /// rules, instead of an estimate.
    #[arg(long, value_name = "FILE", value_parser = not_empty_path, conflicts_with = "profile")]
    pub profile_from_rows: Option<Utf8PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CostFormat {
    /// A table per way of running.
    Text,
    /// Every statement and what it reads (see README).
    Json,
}

fn price(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(format!(
            "{text:?} is not a price; write US dollars per TiB, e.g. `6.25`"
        )),
    }
}

fn shard_day(text: &str) -> Result<String, String> {
    if text.len() == 8 && text.bytes().all(|b| b.is_ascii_digit()) {
        Ok(text.to_string())
    } else {
        Err(format!(
            "{text:?} is not a shard day; write YYYYMMDD, e.g. `20250101`"
        ))
    }
}

/// `discover-sql` reads only where the export is and which days to list; the flags that shape
/// tables would mean nothing to it, so it does not take them.
#[derive(Debug, Args)]
pub struct DiscoverArgs {
    /// Project directory (holds bqflat.yaml). Default: the --config file's folder, else `.`.
    dir: Option<Utf8PathBuf>,
    /// The project file to use instead of DIR/bqflat.yaml.
    #[arg(long, value_parser = not_empty_path)]
    config: Option<Utf8PathBuf>,
    /// GCP project id of the export.
    #[arg(long)]
    project: Option<String>,
    /// Dataset of the GA4 export.
    #[arg(long)]
    source_dataset: Option<String>,
    /// First shard date listed, YYYY-MM-DD.
    #[arg(long)]
    start_date: Option<String>,
    /// Last shard date listed, YYYY-MM-DD.
    #[arg(long)]
    end_date: Option<String>,
}

impl DiscoverArgs {
    fn inputs(&self) -> Inputs {
        let window =
            (self.start_date.is_some() || self.end_date.is_some()).then(|| crate::spec::Window {
                start: self.start_date.clone(),
                end: self.end_date.clone(),
            });
        let mut flags = BTreeSet::new();
        if window.is_some() {
            flags.insert(("window", "--start-date/--end-date"));
        }
        Inputs {
            dir: project_dir(self.dir.as_ref(), self.config.as_ref()),
            config: self.config.clone(),
            out: None,
            overrides: Overrides {
                project: self.project.clone(),
                source_dataset: self.source_dataset.clone(),
                settings: crate::spec::Settings {
                    window,
                    ..Default::default()
                },
                flags,
                ..Overrides::default()
            },
        }
    }
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub project: ProjectArgs,
    /// `github`: workflow annotations (`::error file=…,line=…::`) on stdout; `json`: one
    /// document for tools (see README).
    #[arg(long, value_enum, default_value = "text")]
    pub format: CheckFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    /// Errors and warnings for people, on stderr.
    Text,
    /// GitHub Actions workflow commands, on stdout.
    Github,
    /// `{ok, errors, warnings}` with file, line and column, on stdout.
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum TargetArg {
    Bigquery,
    Dbt,
    Dataform,
}

impl From<TargetArg> for Target {
    fn from(arg: TargetArg) -> Target {
        match arg {
            TargetArg::Bigquery => Target::Bigquery,
            TargetArg::Dbt => Target::Dbt,
            TargetArg::Dataform => Target::Dataform,
        }
    }
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Folder to create the project in. Default: `.`.
    pub dir: Option<Utf8PathBuf>,
    /// Scaffold one spec per event of this catalog (the saved result of `bqflat discover-sql`),
    /// with every key typed; the catalog is copied into the project.
    #[arg(long, value_name = "FILE")]
    pub catalog: Option<Utf8PathBuf>,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Write the schema files into this folder instead of printing them.
    #[arg(long, value_parser = not_empty_path)]
    pub out: Option<Utf8PathBuf>,
}

/// An empty path would be read as the current folder's "" and fail late, at an internal path,
/// without naming the flag; clap's message names it.
fn not_empty_path(text: &str) -> Result<Utf8PathBuf, String> {
    if text.trim().is_empty() {
        Err("the path is empty; name a folder or file, e.g. `--out build`".into())
    } else {
        Ok(text.into())
    }
}

impl ProjectArgs {
    pub fn inputs(&self) -> Inputs {
        Inputs {
            dir: project_dir(self.dir.as_ref(), self.config.as_ref()),
            config: self.config.clone(),
            out: self.out.clone(),
            overrides: Overrides {
                targets: (!self.targets.is_empty())
                    .then(|| self.targets.iter().map(|t| Target::from(*t)).collect()),
                ..self.seed.overrides()
            },
        }
    }
}

/// The project directory: DIR, else the --config file's folder, else the nearest one that holds
/// bqflat.yaml.
fn project_dir(dir: Option<&Utf8PathBuf>, config: Option<&Utf8PathBuf>) -> Utf8PathBuf {
    match (dir, config) {
        (Some(dir), _) => dir.clone(),
        (None, Some(config)) => config
            .parent()
            .filter(|p| !p.as_str().is_empty())
            .unwrap_or(".".into())
            .to_owned(),
        (None, None) => project_above(),
    }
}

/// The nearest folder from the working folder up that holds bqflat.yaml, as a relative path (`.`,
/// `..`, `../..`) so errors name files as the user sees them from where they are; `.` when none
/// does (the seed's flags need no project).
fn project_above() -> Utf8PathBuf {
    let Ok(here) = std::env::current_dir() else {
        return ".".into();
    };
    let up = here
        .ancestors()
        .position(|dir| dir.join(crate::load::PROJECT_FILE).is_file())
        .unwrap_or(0);
    match up {
        0 => ".".into(),
        n => vec![".."; n].join("/").into(),
    }
}

impl Cli {
    /// The configuration the command line asks for: every default and environment lookup is
    /// settled here.
    pub fn config(&self) -> Config {
        match &self.command {
            Command::Build(args) => Config::Build(config::Build {
                project: args.project.inputs(),
                dry_run: args.dry_run,
                force: args.force,
                allow_breaking: args.allow_breaking,
            }),
            Command::Plan(args) => Config::Plan(config::Plan {
                project: args.project.inputs(),
                format: match args.format {
                    PlanFormat::Text => config::PlanFormat::Text,
                    PlanFormat::Markdown => config::PlanFormat::Markdown,
                    PlanFormat::Json => config::PlanFormat::Json,
                },
                detailed_exitcode: args.detailed_exitcode,
                stat: args.stat,
                against: args.against.clone(),
                allow_breaking: args.allow_breaking,
                profile: args.profile.clone(),
                color: self.output.style().stdout_color,
            }),
            Command::Check(args) => Config::Check(config::Check {
                project: args.project.inputs(),
                format: match args.format {
                    CheckFormat::Text => config::CheckFormat::Text,
                    CheckFormat::Github => config::CheckFormat::Github,
                    CheckFormat::Json => config::CheckFormat::Json,
                },
            }),
            Command::Cost(args) => Config::Cost(config::Cost {
                project: args.project.inputs(),
                profile: args.profile.clone(),
                json: args.format == CostFormat::Json,
                price_per_tib: args.price_per_tib,
                action: match (&args.profile_from_rows, args.profile_queries) {
                    (Some(rows), _) => config::CostAction::ProfileFromRows(rows.clone()),
                    (None, true) => config::CostAction::ProfileQueries {
                        day: args.day.clone(),
                    },
                    (None, false) => config::CostAction::Estimate,
                },
            }),
            Command::DiscoverSql(args) => Config::DiscoverSql(args.inputs()),
            Command::Init(args) => Config::Init(config::Init {
                dir: args.dir.clone().unwrap_or_else(|| Utf8PathBuf::from(".")),
                catalog: args.catalog.clone(),
            }),
            Command::Schema(args) => Config::Schema(config::Schema {
                out: args.out.clone(),
            }),
            Command::Completions(args) => Config::Completions(args.shell),
        }
    }
}

/// Runs the command line and returns the process exit code.
pub fn run() -> ExitCode {
    // Usage errors exit 1 like every other error (clap's own code, 2, is `plan
    // --detailed-exitcode`'s "changes"); `--help` and `--version` exit 0.
    let config = match Cli::try_parse() {
        Ok(cli) => {
            style::set(cli.output.style());
            cli.config()
        }
        Err(err) => {
            let _ = err.print();
            return if err.exit_code() == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            };
        }
    };
    commands::run(&config, <Cli as clap::CommandFactory>::command)
}
