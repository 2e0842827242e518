//! From the files and flags a user gave to the resolved [`Build`]: defaults applied, names checked,
//! columns typed. Every problem is collected, each pointing at the file, line and column that caused
//! it (or at the flag), so one run reports them all.

use std::collections::BTreeMap;

use crate::diagnostics::{did_you_mean, Diagnostic, Diagnostics, Location};
use crate::ga4::{self, COMPUTED, DEFAULT_COLUMNS, DEFAULT_ITEM_FIELDS};
use crate::model::{
    self, Build, Column, IntervalUnit, Lookback, Metadata, Origin, Partition, PartitionType, Setup,
    Source, SqlType, Table,
};
use crate::names;
use crate::project::{Catalog, Loaded, Overrides, Project};
use crate::spec::{
    self, Batch, EventSpec, Intraday, Items, Mode, Param, ParamSelect, ParamType, Params,
    ProjectFile, Strategy, Target,
};

pub(crate) const DEFAULT_TABLE_TEMPLATE: &str = "event_{event}_flat";
pub(crate) const DEFAULT_SOURCE_TABLE: &str = "events_*";
pub(crate) const DEFAULT_LOOKBACK: &str = "3d";
pub(crate) const DEFAULT_PARTITION: &str = "event_date";
pub(crate) const DEFAULT_ORDER_BY: &str = "event_ts";
pub(crate) const DEFAULT_KEY: &str = "event_key";
pub(crate) const MAX_CLUSTER_COLUMNS: usize = 4;
const EVENT_NAME_HINT: &str = "use the event's GA4 name, e.g. `purchase` or `level_up`";

/// Checks the project and the flags together and resolves every table.
pub(crate) fn resolve(project: &Project, flags: &Overrides) -> Result<Build, Diagnostics> {
    let mut diagnostics = Diagnostics::default();
    let file = project.file.as_ref();
    let top = TopLevel::resolve(file, flags, true, &mut diagnostics);

    let mut specs: BTreeMap<String, &Loaded<EventSpec>> = BTreeMap::new();
    for spec in &project.specs {
        let name = &spec.value.event;
        if let Some(first) = specs.get(name) {
            diagnostics.push(
                spec.error_at(
                    "event",
                    format!("event `{name}` is already defined in {}", first.path),
                )
                .hint("keep one spec per event; merge the two files"),
            );
        } else {
            specs.insert(name.clone(), spec);
        }
    }

    // The events to build: the flag's list, else every spec plus the project file's `events:`.
    let listed: Vec<(String, Option<String>)> = match &flags.events {
        Some(events) => events.iter().map(|e| (e.clone(), None)).collect(),
        None => file
            .map(|f| {
                f.value
                    .events
                    .iter()
                    .enumerate()
                    .map(|(i, e)| (e.clone(), Some(format!("events[{i}]"))))
                    .collect()
            })
            .unwrap_or_default(),
    };
    let mut wanted: BTreeMap<String, Option<&Loaded<EventSpec>>> = BTreeMap::new();
    if flags.events.is_none() {
        wanted.extend(specs.iter().map(|(name, spec)| (name.clone(), Some(*spec))));
    }
    for (name, at) in &listed {
        if let Err(problem) = names::check_event(name) {
            diagnostics.push(match (at, file) {
                (Some(path), Some(file)) => file.error_at(path, problem).hint(EVENT_NAME_HINT),
                _ => Diagnostic::new(format!("{problem} (in --events)")).hint(EVENT_NAME_HINT),
            });
            continue;
        }
        wanted.insert(name.clone(), specs.get(name).copied());
    }
    if wanted.is_empty() {
        diagnostics.push(Diagnostic::new("no events to build").hint(
            "add a spec under events/, list names under `events:` in bqflat.yaml, or pass --events",
        ));
    }

    let mut tables: Vec<Table> = Vec::new();
    let mut warnings = Vec::new();
    if let Some(top) = &top {
        for (name, spec) in &wanted {
            let default_spec;
            let spec_value = match spec {
                Some(loaded) => &loaded.value,
                None => {
                    default_spec = EventSpec {
                        event: name.clone(),
                        ..EventSpec::default()
                    };
                    &default_spec
                }
            };
            let mut ctx = EventCtx {
                templates: project.templates.as_deref(),
                catalog: project.catalog.as_ref(),
                warnings: &mut warnings,
                spec: *spec,
                file,
                flags,
                diagnostics: &mut diagnostics,
            };
            let spec_file = spec.map(|s| project.relative(&s.path).to_string());
            if let Some(table) = ctx.resolve(top, spec_value, spec_file) {
                tables.push(table);
            }
        }
    }

    let mut by_name: BTreeMap<String, &Table> = BTreeMap::new();
    for table in &tables {
        let full = table.full_name().to_ascii_lowercase();
        if let Some(other) = by_name.get(&full) {
            let message = format!(
                "events `{}` and `{}` both write table `{}`",
                other.event,
                table.event,
                table.full_name()
            );
            let d = match specs.get(&table.event) {
                Some(spec) => spec.error_at("table", message),
                None => Diagnostic::new(message),
            };
            diagnostics.push(
                d.hint("give one of them its own `table:`, or use `{event}` in the table template"),
            );
        } else {
            by_name.insert(full, table);
        }
    }

    let diagnostics = diagnostics.sorted();
    let top = match top {
        Some(top) if diagnostics.is_empty() => top,
        _ => return Err(diagnostics),
    };
    tables.sort_by_key(Table::full_name);
    let mut datasets: Vec<String> = tables
        .iter()
        .map(|t| format!("{}.{}", t.project, t.dataset))
        .collect();
    datasets.push(format!("{}.{}", top.project, top.metadata.dataset));
    datasets.sort();
    datasets.dedup();
    let mut targets = match (&flags.targets, file) {
        (Some(targets), _) => targets.clone(),
        (None, Some(file)) if !file.value.targets.is_empty() => file.value.targets.clone(),
        _ => vec![Target::Bigquery],
    };
    targets.sort();
    targets.dedup();
    Ok(Build {
        targets,
        setup: Setup {
            datasets,
            metadata: top.metadata,
            location: top.location,
        },
        tables,
        warnings,
    })
}

/// Where the project's GA4 export is, from the project file and flags alone (no events needed):
/// what `discover-sql` reads.
pub(crate) fn resolve_source(project: &Project, flags: &Overrides) -> Result<Source, Diagnostics> {
    let mut diagnostics = Diagnostics::default();
    let top = TopLevel::resolve(project.file.as_ref(), flags, false, &mut diagnostics);
    match top {
        Some(top) if diagnostics.is_empty() => Ok(top.source),
        _ => Err(diagnostics.sorted()),
    }
}

/// Project-wide values: where data comes from and goes to.
struct TopLevel {
    location: Option<String>,
    project: String,
    target_dataset: String,
    source: Source,
    table_template: String,
    metadata: Metadata,
}

impl TopLevel {
    /// `need_target`: whether a target dataset is required (not for reading the source alone).
    fn resolve(
        file: Option<&Loaded<ProjectFile>>,
        flags: &Overrides,
        need_target: bool,
        diagnostics: &mut Diagnostics,
    ) -> Option<TopLevel> {
        let value = file.map(|f| &f.value);
        let mut pick = |key: &str,
                        flag: &str,
                        from_flag: &Option<String>,
                        from_file: Option<&String>,
                        required: bool,
                        check: fn(&str) -> Result<(), String>| {
            let (text, at) = match (from_flag, from_file) {
                (Some(v), _) => (v.clone(), None),
                (None, Some(v)) => (v.clone(), file),
                (None, None) => {
                    if required {
                        let d = Diagnostic::new(format!("no `{key}` given"));
                        let d = match file {
                            Some(file) => d.at(Location::file(file.path.clone())),
                            None => d,
                        };
                        diagnostics
                            .push(d.hint(format!("set `{key}:` in bqflat.yaml or pass {flag}")));
                    }
                    return None;
                }
            };
            match check(&text) {
                Ok(()) => Some(text),
                Err(problem) => {
                    let d = match at {
                        Some(file) => file.error_at(key, problem),
                        None => Diagnostic::new(format!("{problem} (in {flag})")),
                    };
                    let hint = match key {
                        "project" | "source_project" => "use the project id the Google Cloud console shows, e.g. `my-gcp-project`",
                        "source_table" => "use `events_*` for the GA4 export, or the name of one date-partitioned table",
                        "source_date_column" => "name the DATE column the source table is partitioned by",
                        _ => "BigQuery dataset and table names use letters, digits and underscores",
                    };
                    diagnostics.push(d.hint(hint));
                    None
                }
            }
        };
        let project = pick(
            "project",
            "--project",
            &flags.project,
            value.and_then(|v| v.project.as_ref()),
            true,
            names::check_project,
        );
        let source_project = pick(
            "source_project",
            "",
            &None,
            value.and_then(|v| v.source_project.as_ref()),
            false,
            names::check_project,
        );
        let source_dataset = pick(
            "source_dataset",
            "--source-dataset",
            &flags.source_dataset,
            value.and_then(|v| v.source_dataset.as_ref()),
            true,
            names::check_dataset,
        );
        let target_dataset = pick(
            "target_dataset",
            "--target-dataset",
            &flags.target_dataset,
            value.and_then(|v| v.target_dataset.as_ref()),
            need_target,
            names::check_dataset,
        );
        let source_table = pick(
            "source_table",
            "",
            &None,
            value.and_then(|v| v.source_table.as_ref()),
            false,
            names::check_source_table,
        )
        .unwrap_or_else(|| DEFAULT_SOURCE_TABLE.to_string());
        let date_column = pick(
            "source_date_column",
            "",
            &None,
            value.and_then(|v| v.source_date_column.as_ref()),
            false,
            names::check_column,
        );
        let location = pick(
            "location",
            "",
            &None,
            value.and_then(|v| v.location.as_ref()),
            false,
            names::check_location,
        );
        let table_template = flags
            .table_template
            .clone()
            .or_else(|| value.and_then(|v| v.table_template.clone()))
            .unwrap_or_else(|| DEFAULT_TABLE_TEMPLATE.to_string());
        let metadata_names = value.and_then(|v| v.metadata.clone());
        let watermarks = pick(
            "metadata.watermarks",
            "",
            &None,
            metadata_names.as_ref().and_then(|m| m.watermarks.as_ref()),
            false,
            names::check_table,
        )
        .unwrap_or_else(|| "_metadata".into());
        let runs = pick(
            "metadata.runs",
            "",
            &None,
            metadata_names.as_ref().and_then(|m| m.runs.as_ref()),
            false,
            names::check_table,
        )
        .unwrap_or_else(|| "_runs".into());

        let sharded = source_table.ends_with('*');
        if let (true, Some(file)) = (sharded, file) {
            if file.has("source_date_column") {
                diagnostics.push(
                    file.error_at(
                        "source_date_column",
                        "`source_date_column` applies to a partitioned source table only",
                    )
                    .hint(
                        "the sharded export is pruned by shard date; remove `source_date_column`",
                    ),
                );
            }
        }
        let target_dataset = match target_dataset {
            Some(dataset) => dataset,
            None if !need_target => String::new(),
            None => return None,
        };
        let (project, source_dataset) = (project?, source_dataset?);
        Some(TopLevel {
            source: Source {
                project: source_project.unwrap_or_else(|| project.clone()),
                dataset: source_dataset,
                table: source_table,
                sharded,
                intraday: false,
                date_column,
            },
            metadata: Metadata {
                project: project.clone(),
                dataset: target_dataset.clone(),
                watermarks,
                runs,
            },
            project,
            target_dataset,
            table_template,
            location,
        })
    }
}

/// Resolving one event, with error reporting that points at whichever place set the faulty value.
struct EventCtx<'a> {
    /// The project's template folder, when it has one.
    templates: Option<&'a camino::Utf8Path>,
    catalog: Option<&'a Catalog>,
    warnings: &'a mut Vec<Diagnostic>,
    spec: Option<&'a Loaded<EventSpec>>,
    file: Option<&'a Loaded<ProjectFile>>,
    flags: &'a Overrides,
    diagnostics: &'a mut Diagnostics,
}

impl EventCtx<'_> {
    /// Reports a problem with the setting at `path` (`cluster_by[4]`), located in the most specific
    /// place that set it: the flag, the event spec, or the project file.
    fn error(&mut self, path: &str, message: impl Into<String>, hint: impl Into<String>) {
        let diagnostic = self.diagnostic(path, message.into(), hint.into());
        self.diagnostics.push(diagnostic);
    }

    /// A problem that does not stop the build, located like an error.
    fn warn(&mut self, path: &str, message: String, hint: String) {
        let diagnostic = self.diagnostic(path, message, hint);
        self.warnings.push(diagnostic);
    }

    fn diagnostic(&self, path: &str, message: String, hint: String) -> Diagnostic {
        let setting = path.split(['.', '[']).next().unwrap_or(path);
        let diagnostic = if let Some(flag) = self.flags.flag_for(setting) {
            Diagnostic::new(format!("{message} (in {flag})"))
        } else if let Some(spec) = self.spec.filter(|s| s.has(setting)) {
            spec.error_at(path, message)
        } else if let Some(file) = self.file.filter(|f| f.has(setting)) {
            file.error_at(path, message)
        } else if let Some(spec) = self.spec {
            spec.error_at(path, message)
        } else {
            Diagnostic::new(message)
        };
        if hint.is_empty() {
            diagnostic
        } else {
            diagnostic.hint(hint)
        }
    }

    fn resolve(
        &mut self,
        top: &TopLevel,
        spec: &EventSpec,
        spec_file: Option<String>,
    ) -> Option<Table> {
        let before = self.diagnostics.0.len();
        let settings = self
            .flags
            .settings
            .clone()
            .over(spec.settings())
            .over(self.file.map(|f| f.value.settings()).unwrap_or_default());
        let event = spec.event.clone();
        if let Err(problem) = names::check_event(&event) {
            // Every other name derives from the event's: one error is enough.
            self.error("event", problem, EVENT_NAME_HINT);
            return None;
        }
        let version = spec.version.unwrap_or(1);
        if version == 0 {
            self.error("version", "`version` starts at 1", "write `version: 1`");
        }

        let (project, dataset, name) = self.table_name(top, spec, &event, version);
        let mode = settings.mode.unwrap_or(Mode::Full);
        let window = self.window(&settings.window);
        let lookback = self.lookback(settings.lookback.as_deref().unwrap_or(DEFAULT_LOOKBACK));
        let timezone = settings.timezone.clone();
        if let Some(tz) = &timezone {
            if let Err(problem) = names::check_timezone(tz) {
                self.error(
                    "timezone",
                    problem,
                    "use an IANA name such as `Europe/Berlin` or an offset such as `+05:30`",
                );
            }
        }
        if settings.batch == Some(Batch::Daily) && window.start.is_none() {
            self.error(
                "batch",
                "`batch: daily` needs `window.start`",
                "set the first day to process, e.g. `window: {start: 2025-01-01}`",
            );
        }
        let mut source = top.source.clone();
        source.intraday = settings.intraday == Some(Intraday::Include);
        if source.intraday && !source.sharded {
            self.error(
                "intraday",
                "`intraday: include` applies to the sharded export (`events_*`) only",
                "remove `intraday`",
            );
        }

        let items = settings.items.unwrap_or(Items::Drop);
        let mut columns = Columns::default();
        self.standard_columns(&settings.columns, &mut columns);
        self.params(
            "params",
            "event_params",
            &spec.params,
            &spec.event,
            &mut columns,
        );
        self.params(
            "user_properties",
            "user_properties",
            &spec.user_properties,
            &spec.event,
            &mut columns,
        );
        self.items(
            items,
            &settings.item_fields,
            &spec.item_params,
            &spec.event,
            &mut columns,
        );

        let partition = self.partition(&settings, &mut columns);
        let cluster_by = self.cluster_by(&settings, &mut columns);
        let dedupe = self.dedupe(&settings, items, &mut columns);
        // The watermark is the greatest `event_ts` written.
        self.require_column("event_ts", &mut columns);

        let mut labels = BTreeMap::from([("managed_by".to_string(), "bqflat".to_string())]);
        for (key, value) in settings.labels.clone().unwrap_or_default() {
            if let Err(problem) = names::check_label(&key, &value) {
                self.error(&format!("labels.{key}"), problem, "label keys start with a lowercase letter; keys and values use a-z, 0-9, `_` and `-`, at most 63 characters");
            }
            labels.insert(key, value);
        }
        let template = match settings.template.clone() {
            Some(t) => {
                if let Err(problem) = names::check_template_name(&t) {
                    self.error("template", problem, "name a file in the project's templates/bigquery/ folder, e.g. `purchase.sql`");
                } else if !self.template_exists(&t) {
                    self.error(
                        "template",
                        format!("template `{t}` not found"),
                        "add it as templates/bigquery/<name> in the project",
                    );
                }
                t
            }
            None => match mode {
                Mode::Full => "full.sql".into(),
                Mode::Incremental => "incremental.sql".into(),
            },
        };

        if self.diagnostics.0.len() > before {
            return None;
        }
        Some(Table {
            event,
            spec_file,
            version,
            project,
            dataset,
            name,
            description: spec.description.clone(),
            mode,
            source,
            window,
            lookback,
            timezone,
            columns: columns.list,
            partition,
            cluster_by,
            dedupe,
            explode_items: items == Items::Explode,
            labels,
            daily_batches: settings.batch == Some(Batch::Daily),
            template,
            metadata: top.metadata.clone(),
        })
    }

    fn template_exists(&self, name: &str) -> bool {
        let builtin = format!("bigquery/{name}");
        crate::render::BUILTIN.iter().any(|(n, _)| *n == builtin)
            || self
                .templates
                .is_some_and(|dir| dir.join("bigquery").join(name).is_file())
    }

    fn table_name(
        &mut self,
        top: &TopLevel,
        spec: &EventSpec,
        event: &str,
        version: u32,
    ) -> (String, String, String) {
        let (path, raw) = match &spec.table {
            Some(t) => ("table", t.clone()),
            None => ("table_template", top.table_template.clone()),
        };
        let expanded = match names::expand_table_template(&raw, event, &top.target_dataset, version)
        {
            Ok(e) => e,
            Err(problem) => {
                self.error(
                    path,
                    problem,
                    "placeholders are {event}, {dataset} and {version}",
                );
                return (
                    top.project.clone(),
                    top.target_dataset.clone(),
                    String::new(),
                );
            }
        };
        let parts: Vec<&str> = expanded.split('.').collect();
        let (project, dataset, name) = match parts.as_slice() {
            [name] => (
                top.project.clone(),
                top.target_dataset.clone(),
                name.to_string(),
            ),
            [dataset, name] => (top.project.clone(), dataset.to_string(), name.to_string()),
            [project, dataset, name] => {
                (project.to_string(), dataset.to_string(), name.to_string())
            }
            _ => {
                self.error(
                    path,
                    format!("table name `{expanded}` has too many dots"),
                    "write `table`, `dataset.table` or `project.dataset.table`",
                );
                return (
                    top.project.clone(),
                    top.target_dataset.clone(),
                    String::new(),
                );
            }
        };
        let checks = [
            names::check_project(&project),
            names::check_dataset(&dataset),
            names::check_table(&name),
        ];
        for problem in checks.into_iter().filter_map(Result::err) {
            self.error(
                path,
                format!("table name `{expanded}`: {problem}"),
                "table names use letters, digits and underscores; `{event}`, `{dataset}` and `{version}` are replaced",
            );
        }
        (project, dataset, name)
    }

    fn window(&mut self, window: &Option<spec::Window>) -> model::Window {
        let window = window.clone().unwrap_or_default();
        for (field, value) in [("start", &window.start), ("end", &window.end)] {
            if let Some(date) = value {
                if let Err(problem) = names::check_date(date) {
                    self.error(
                        &format!("window.{field}"),
                        problem,
                        "write dates as YYYY-MM-DD, e.g. 2025-07-01",
                    );
                }
            }
        }
        if let (Some(start), Some(end)) = (&window.start, &window.end) {
            if end < start && names::check_date(start).is_ok() && names::check_date(end).is_ok() {
                self.error(
                    "window.end",
                    format!("window ends ({end}) before it starts ({start})"),
                    "swap `start` and `end`",
                );
            }
        }
        model::Window {
            start: window.start,
            end: window.end,
        }
    }

    fn lookback(&mut self, text: &str) -> Lookback {
        match names::parse_lookback(text) {
            Ok((amount, unit)) => Lookback {
                amount,
                unit,
                text: text.to_string(),
            },
            Err(problem) => {
                self.error(
                    "lookback",
                    problem,
                    "write a number and a unit: `90m`, `6h` or `3d`",
                );
                Lookback {
                    amount: 0,
                    unit: IntervalUnit::Day,
                    text: text.to_string(),
                }
            }
        }
    }

    fn standard_columns(&mut self, wanted: &Option<Vec<spec::Column>>, columns: &mut Columns) {
        let default: Vec<spec::Column> = DEFAULT_COLUMNS
            .iter()
            .map(|c| spec::Column::Name(c.to_string()))
            .collect();
        for (i, column) in wanted.as_ref().unwrap_or(&default).iter().enumerate() {
            let (field, alias) = match column {
                spec::Column::Name(n) => (n.as_str(), None),
                spec::Column::Renamed { field, alias } => (field.as_str(), Some(alias.as_str())),
            };
            let path = format!("columns[{i}]");
            match standard_column(field) {
                Some(mut column) => {
                    if let Some(alias) = alias {
                        column.name = alias.to_string();
                    }
                    self.add(columns, column, &path, format!("column `{field}`"));
                }
                None => {
                    let hint = match did_you_mean(field, ga4::catalog().column_paths()) {
                        Some(close) => format!("did you mean `{close}`?"),
                        None => "name a GA4 export field (`device.category`) or event_date, event_ts, event_key; params go under `params:`".into(),
                    };
                    self.error(&path, format!("unknown column `{field}`"), hint);
                }
            }
        }
    }

    fn params(
        &mut self,
        setting: &str,
        array: &str,
        params: &Params,
        event: &str,
        columns: &mut Columns,
    ) {
        match params {
            Params::List(list) => self.listed_params(setting, array, list, columns),
            Params::Select(select) => {
                let typed = format!("{setting}.typed");
                self.listed_params(&typed, array, &select.typed, columns);
                self.select_params(setting, array, select, event, columns);
            }
        }
    }

    /// Params listed one by one; `at` is where the list is (`params`, `params.typed`).
    fn listed_params(&mut self, at: &str, array: &str, params: &[Param], columns: &mut Columns) {
        for (i, param) in params.iter().enumerate() {
            let path = format!("{at}[{i}]");
            if param.key.is_empty() {
                self.error(
                    &format!("{path}.key"),
                    "a param `key` cannot be empty",
                    "write the key exactly as in the export",
                );
                continue;
            }
            let name = param
                .alias
                .clone()
                .unwrap_or_else(|| names::column_from_key(&param.key));
            let column = Column {
                name,
                ty: param_sql_type(param.ty.unwrap_or(ParamType::String)),
                origin: Origin::Param {
                    array: array.into(),
                    key: param.key.clone(),
                    param_type: param.ty.unwrap_or(ParamType::String),
                },
            };
            let alias_path = if param.alias.is_some() {
                format!("{path}.as")
            } else {
                format!("{path}.key")
            };
            self.add(
                columns,
                column,
                &alias_path,
                format!("{at} key `{}`", param.key),
            );
        }
    }

    /// The keys of the catalog that `select` chooses, typed by the values the catalog saw.
    fn select_params(
        &mut self,
        setting: &str,
        array: &str,
        select: &ParamSelect,
        event: &str,
        columns: &mut Columns,
    ) {
        let Some(catalog) = self.catalog else {
            self.error(
                setting,
                format!("`{setting}` chooses keys by glob, but the project has no catalog"),
                "print the discovery query with `bqflat discover-sql`, run it with `bq query --format=json` and save the result as catalog.json in the project",
            );
            return;
        };
        let mut globs = |list: &[String], part: &str| -> Vec<globset::GlobMatcher> {
            let mut matchers = Vec::new();
            for (i, pattern) in list.iter().enumerate() {
                match globset::Glob::new(pattern) {
                    Ok(glob) => matchers.push(glob.compile_matcher()),
                    Err(e) => self.error(
                        &format!("{setting}.{part}[{i}]"),
                        format!("invalid glob {pattern:?}: {}", e.kind()),
                        "use `*` for any run of characters, `?` for one, `[abc]` for a set",
                    ),
                }
            }
            matchers
        };
        let include = globs(&select.include, "include");
        let exclude = globs(&select.exclude, "exclude");
        if include.len() + exclude.len() < select.include.len() + select.exclude.len() {
            // An invalid glob is reported; what the others match would only add noise.
            return;
        }
        let keys = catalog.keys(event, array);
        if keys.is_empty() {
            self.error(
                setting,
                format!("the catalog {} lists no {array} keys for event `{event}`", catalog.path),
                "check the event name, or run the discovery query again over a window in which the event occurs",
            );
            return;
        }
        let at = format!("{setting}.include");
        let chosen: Vec<&crate::project::catalog::Key> = keys
            .iter()
            .filter(|k| include.iter().any(|g| g.is_match(&k.key)))
            .filter(|k| !exclude.iter().any(|g| g.is_match(&k.key)))
            .filter(|k| !select.typed.iter().any(|p| p.key == k.key))
            .collect();
        if chosen.is_empty() {
            let known: Vec<&str> = keys.iter().take(10).map(|k| k.key.as_str()).collect();
            self.error(
                &at,
                format!("no {array} key of event `{event}` in the catalog matches these globs"),
                format!("the catalog has: {}", known.join(", ")),
            );
        }
        for key in chosen {
            let (param_type, mixed) = key.param_type();
            if mixed {
                let kinds: Vec<&str> = [
                    (key.string_values, "string"),
                    (key.int_values, "int"),
                    (key.float_values, "float"),
                    (key.double_values, "double"),
                ]
                .iter()
                .filter(|(n, _)| *n > 0)
                .map(|(_, kind)| *kind)
                .collect();
                let ty = serde_json::to_value(param_type).unwrap_or_default();
                self.warn(
                    &at,
                    format!(
                        "event `{event}`: {array} key `{}` was seen with {} values; typed {}",
                        key.key,
                        kinds.join(" and "),
                        ty.as_str().unwrap_or_default()
                    ),
                    format!(
                        "to choose the type, list the key under `{setting}.typed` with a `type`"
                    ),
                );
            }
            let column = Column {
                name: names::column_from_key(&key.key),
                ty: param_sql_type(param_type),
                origin: Origin::Param {
                    array: array.into(),
                    key: key.key.clone(),
                    param_type,
                },
            };
            self.add(columns, column, &at, format!("{array} key `{}`", key.key));
        }
    }

    fn items(
        &mut self,
        items: Items,
        fields: &Option<Vec<String>>,
        params: &Params,
        event: &str,
        columns: &mut Columns,
    ) {
        if items != Items::Explode {
            if fields.is_some() {
                self.error(
                    "item_fields",
                    "`item_fields` needs `items: explode`",
                    "add `items: explode` or remove `item_fields`",
                );
            }
            if !params.is_empty() {
                self.error(
                    "item_params",
                    "`item_params` needs `items: explode`",
                    "add `items: explode` or remove `item_params`",
                );
            }
            if items == Items::Keep {
                let column = Column {
                    name: "items".into(),
                    ty: ga4::catalog().items_type.clone(),
                    origin: Origin::Items,
                };
                self.add(columns, column, "items", "the `items` array".into());
            }
            return;
        }
        let index = Column {
            name: "item_index".into(),
            ty: SqlType::Int64,
            origin: Origin::ItemIndex,
        };
        self.add(columns, index, "items", "the item position".into());
        let default: Vec<String> = DEFAULT_ITEM_FIELDS.iter().map(|s| s.to_string()).collect();
        for (i, field) in fields.as_ref().unwrap_or(&default).iter().enumerate() {
            let path = format!("item_fields[{i}]");
            match ga4::catalog().item_field(field) {
                Some(f) => {
                    let name = if field.starts_with("item_") {
                        field.clone()
                    } else {
                        format!("item_{field}")
                    };
                    let column = Column {
                        name,
                        ty: f.ty.clone(),
                        origin: Origin::ItemField {
                            field: field.clone(),
                        },
                    };
                    self.add(columns, column, &path, format!("item field `{field}`"));
                }
                None => {
                    let known = ga4::catalog().item_fields.iter().map(|f| f.path.as_str());
                    let hint = match did_you_mean(field, known) {
                        Some(close) => format!("did you mean `{close}`?"),
                        None => {
                            "name a field of the export's `items` records, e.g. `item_id`, `price`"
                                .into()
                        }
                    };
                    self.error(&path, format!("unknown item field `{field}`"), hint);
                }
            }
        }
        self.params("item_params", "item_params", params, event, columns);
    }

    fn partition(&mut self, settings: &spec::Settings, columns: &mut Columns) -> Partition {
        let column = settings
            .partition_by
            .clone()
            .unwrap_or_else(|| DEFAULT_PARTITION.into());
        let ty = match self.require_column(&column, columns) {
            Some(Column {
                ty: SqlType::Date, ..
            }) => PartitionType::Date,
            Some(Column {
                ty: SqlType::Timestamp,
                ..
            }) => PartitionType::Timestamp,
            Some(c) => {
                let ty = c.ty.clone();
                self.error(
                    "partition_by",
                    format!("cannot partition by `{column}`: it is {ty}, not DATE or TIMESTAMP"),
                    "partition by `event_date` or `event_ts`",
                );
                PartitionType::Date
            }
            None => {
                self.error(
                    "partition_by",
                    format!("cannot partition by `{column}`: no such output column"),
                    missing_column_hint(&column, columns),
                );
                PartitionType::Date
            }
        };
        if settings.partition_expiration_days == Some(0) {
            self.error(
                "partition_expiration_days",
                "`partition_expiration_days` must be at least 1",
                "remove it to keep partitions forever",
            );
        }
        Partition {
            column: columns.canonical(&column),
            ty,
            expiration_days: settings.partition_expiration_days,
            require_filter: settings.require_partition_filter.unwrap_or(false),
        }
    }

    fn cluster_by(&mut self, settings: &spec::Settings, columns: &mut Columns) -> Vec<String> {
        let wanted = settings
            .cluster_by
            .as_ref()
            .map(spec::Names::to_vec)
            .unwrap_or_default();
        if wanted.len() > MAX_CLUSTER_COLUMNS {
            self.error(
                &format!("cluster_by[{MAX_CLUSTER_COLUMNS}]"),
                format!(
                    "cluster_by has {} columns; BigQuery allows at most {MAX_CLUSTER_COLUMNS}",
                    wanted.len()
                ),
                "keep the 4 columns queries filter on most, most selective first",
            );
        }
        let mut out: Vec<String> = Vec::new();
        for (i, name) in wanted.iter().enumerate() {
            let path = format!("cluster_by[{i}]");
            match self.require_column(name, columns).map(|c| c.ty.clone()) {
                Some(ty) if is_clusterable(&ty) => {
                    let canonical = columns.canonical(name);
                    if out.contains(&canonical) {
                        self.error(
                            &path,
                            format!("`{name}` appears twice in cluster_by"),
                            "remove the second one",
                        );
                    }
                    out.push(canonical);
                }
                Some(ty) => self.error(
                    &path,
                    format!("cannot cluster by `{name}`: BigQuery cannot cluster on {ty} columns"),
                    "cluster by STRING, INT64, BOOL, DATE or TIMESTAMP columns",
                ),
                None => self.error(
                    &path,
                    format!("cannot cluster by `{name}`: no such output column"),
                    missing_column_hint(name, columns),
                ),
            }
        }
        out
    }

    fn dedupe(
        &mut self,
        settings: &spec::Settings,
        items: Items,
        columns: &mut Columns,
    ) -> model::Dedupe {
        let dedupe = settings.dedupe.clone().unwrap_or_default();
        let mut key = Vec::new();
        let names = dedupe
            .key
            .as_ref()
            .map(spec::Names::to_vec)
            .unwrap_or_else(|| vec![DEFAULT_KEY.into()]);
        if names.is_empty() {
            self.error(
                "dedupe.key",
                "`dedupe.key` is empty",
                "name at least one column, or remove `key` for the default",
            );
        }
        for (i, name) in names.iter().enumerate() {
            let path = if matches!(dedupe.key, Some(spec::Names::Many(_))) {
                format!("dedupe.key[{i}]")
            } else {
                "dedupe.key".into()
            };
            if self.require_column(name, columns).is_none() {
                // Not a column: the seed's `--dedupe-key event_id` names an event param. Only a
                // name that is also a valid column is taken that way; anything else is a typo or
                // a key that needs `params:` with `as:`.
                match names::check_column(name) {
                    Ok(()) => {
                        let column = Column {
                            name: name.clone(),
                            ty: SqlType::String,
                            origin: Origin::Param {
                                array: "event_params".into(),
                                key: name.clone(),
                                param_type: ParamType::Any,
                            },
                        };
                        self.add(columns, column, &path, format!("dedupe key param `{name}`"));
                    }
                    Err(problem) => {
                        self.error(
                            &path,
                            format!("dedupe key `{name}` is not an output column ({problem})"),
                            "name an output column, or declare the param under `params:` with `as:` and use that name",
                        );
                        continue;
                    }
                }
            }
            key.push(columns.canonical(name));
        }
        // A chosen key can be NULL (a param the event lacks, a user_id not set): a row with a NULL
        // in it falls back to the event's identity rather than collapsing with others.
        let nullable = if dedupe.key.is_some() && key != [DEFAULT_KEY] {
            self.require_column(DEFAULT_KEY, columns);
            key.clone()
        } else {
            Vec::new()
        };
        // Exploded rows of one event share its key; the item position tells them apart.
        if items == Items::Explode && !key.iter().any(|k| k == "item_index") {
            key.push("item_index".into());
        }
        let order_by = dedupe
            .order_by
            .clone()
            .unwrap_or_else(|| DEFAULT_ORDER_BY.into());
        // `event_timestamp` (the seed's word) orders exactly like `event_ts`.
        let order_by = if order_by == "event_timestamp" && columns.get("event_timestamp").is_none()
        {
            "event_ts".to_string()
        } else {
            order_by
        };
        match self
            .require_column(&order_by, columns)
            .map(|c| c.ty.clone())
        {
            Some(ty) if is_scalar(&ty) => {}
            Some(ty) => self.error(
                "dedupe.order_by",
                format!("cannot order by `{order_by}`: it is {ty}"),
                "order by a scalar column such as `event_ts`",
            ),
            None => self.error(
                "dedupe.order_by",
                format!("cannot order by `{order_by}`: no such output column"),
                missing_column_hint(&order_by, columns),
            ),
        }
        model::Dedupe {
            key,
            nullable,
            strategy: dedupe.strategy.unwrap_or(Strategy::KeepLatest),
            order_by: columns.canonical(&order_by),
        }
    }

    /// The output column `name`, adding the standard column of that name when the spec did not
    /// list it (a partition, cluster or key column the user named but did not select).
    fn require_column<'c>(&mut self, name: &str, columns: &'c mut Columns) -> Option<&'c Column> {
        if columns.get(name).is_none() {
            let column = standard_column(name)?;
            columns.list.push(column);
        }
        columns.get(name)
    }

    /// Adds a column; a name already taken is an error naming both columns.
    fn add(&mut self, columns: &mut Columns, column: Column, path: &str, what: String) {
        if let Err(problem) = names::check_column(&column.name) {
            self.error(
                path,
                format!("{what}: {problem}"),
                "set another name with `as:`",
            );
            return;
        }
        if let Some(other) = columns.what.get(&column.name.to_ascii_lowercase()) {
            self.error(
                path,
                format!("{what} and {other} both become column `{}`", column.name),
                "give one of them another name with `as:`",
            );
            return;
        }
        columns.what.insert(column.name.to_ascii_lowercase(), what);
        columns.list.push(column);
    }
}

#[derive(Default)]
struct Columns {
    list: Vec<Column>,
    /// Lowercased name → what produced it, for collision messages (BigQuery names are case-insensitive).
    what: BTreeMap<String, String>,
}

impl Columns {
    /// The column called `name`, or the one a GA4 field path (`device.language`) produces.
    fn get(&self, name: &str) -> Option<&Column> {
        let find = |n: &str| self.list.iter().find(|c| c.name.eq_ignore_ascii_case(n));
        find(name).or_else(|| standard_column(name).and_then(|c| find(&c.name)))
    }

    /// The column's name as declared (case may differ from a reference to it).
    fn canonical(&self, name: &str) -> String {
        self.get(name)
            .map(|c| c.name.clone())
            .unwrap_or_else(|| name.to_string())
    }
}

/// A computed column or export field, by name or dotted path.
fn standard_column(name: &str) -> Option<Column> {
    if let Some((computed, ty)) = COMPUTED.iter().find(|(n, _)| *n == name) {
        return Some(Column {
            name: computed.to_string(),
            ty: ty.clone(),
            origin: Origin::Computed {
                name: computed.to_string(),
            },
        });
    }
    let catalog = ga4::catalog();
    let field = catalog
        .field(name)
        .or_else(|| catalog.fields.iter().find(|f| f.column_name() == name))?;
    Some(Column {
        name: field.column_name(),
        ty: field.ty.clone(),
        origin: Origin::Field {
            path: field.path.clone(),
        },
    })
}

fn missing_column_hint(name: &str, columns: &Columns) -> String {
    let names: Vec<&str> = columns.list.iter().map(|c| c.name.as_str()).collect();
    match did_you_mean(name, names.iter().copied()) {
        Some(close) => format!("did you mean `{close}`?"),
        None => format!("output columns are: {}", names.join(", ")),
    }
}

fn is_clusterable(ty: &SqlType) -> bool {
    matches!(
        ty,
        SqlType::String | SqlType::Int64 | SqlType::Bool | SqlType::Date | SqlType::Timestamp
    )
}

fn is_scalar(ty: &SqlType) -> bool {
    !matches!(ty, SqlType::Array(_) | SqlType::Struct(_))
}

pub(crate) fn param_sql_type(ty: ParamType) -> SqlType {
    match ty {
        ParamType::String | ParamType::Any => SqlType::String,
        ParamType::Int64 => SqlType::Int64,
        ParamType::Float64 | ParamType::Number => SqlType::Float64,
        ParamType::Bool => SqlType::Bool,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::load::parse_yaml;
    use camino::Utf8Path;

    fn project(file: &str, specs: &[&str]) -> Project {
        let file = parse_yaml(
            Utf8Path::new("bqflat.yaml"),
            file.to_string(),
            Some(ProjectFile::default()),
            "",
        )
        .unwrap();
        let specs = specs
            .iter()
            .enumerate()
            .map(|(i, s)| {
                parse_yaml(
                    Utf8Path::new(&format!("events/{i}.yaml")),
                    s.to_string(),
                    None,
                    "",
                )
                .unwrap()
            })
            .collect();
        Project {
            dir: ".".into(),
            file: Some(file),
            specs,
            templates: None,
            catalog: None,
        }
    }

    const FILE: &str = "project: my-gcp-project\nsource_dataset: raw\ntarget_dataset: flat\n";

    #[test]
    fn defaults_resolve_to_a_full_build_partitioned_by_event_date() {
        let build = resolve(
            &project(FILE, &["event: purchase\n"]),
            &Overrides::default(),
        )
        .unwrap();
        let t = &build.tables[0];
        assert_eq!(t.full_name(), "my-gcp-project.flat.event_purchase_flat");
        assert_eq!(t.mode, Mode::Full);
        assert_eq!(
            (t.partition.column.as_str(), t.partition.ty),
            ("event_date", PartitionType::Date)
        );
        assert_eq!(t.dedupe.key, ["event_key"]);
        assert!(t.dedupe.nullable.is_empty());
        assert_eq!(
            t.lookback,
            Lookback {
                amount: 3,
                unit: IntervalUnit::Day,
                text: "3d".into()
            }
        );
        assert_eq!(t.source.table, "events_*");
        assert!(t.source.sharded && !t.source.intraday);
        let names: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names.len(), DEFAULT_COLUMNS.len());
        assert_eq!(build.setup.datasets, ["my-gcp-project.flat"]);
    }

    #[test]
    fn spec_beats_project_file_and_flags_beat_both() {
        let p = project(
            &format!("{FILE}mode: incremental\ncluster_by: [platform]\n"),
            &["event: a\ncluster_by: [user_id]\n", "event: b\n"],
        );
        let build = resolve(&p, &Overrides::default()).unwrap();
        assert_eq!(build.tables[0].cluster_by, ["user_id"]);
        assert_eq!(build.tables[1].cluster_by, ["platform"]);
        assert!(build.tables.iter().all(|t| t.mode == Mode::Incremental));
        let flags = Overrides {
            settings: spec::Settings {
                cluster_by: Some(spec::Names::One("event_name".into())),
                ..Default::default()
            },
            ..Overrides::default()
        };
        let build = resolve(&p, &flags).unwrap();
        assert!(build.tables.iter().all(|t| t.cluster_by == ["event_name"]));
    }

    #[test]
    fn referenced_standard_columns_are_added() {
        let p = project(FILE, &["event: a\ncolumns: [event_date]\ncluster_by: [device.language]\ndedupe: {order_by: event_timestamp}\n"]);
        let t = &resolve(&p, &Overrides::default()).unwrap().tables[0];
        let names: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            ["event_date", "device_language", "event_key", "event_ts"]
        );
        assert_eq!(t.cluster_by, ["device_language"]);
        assert_eq!(t.dedupe.order_by, "event_ts");
    }

    #[test]
    fn a_param_key_becomes_a_nullable_dedupe_key() {
        let p = project(
            FILE,
            &["event: a\nitems: explode\ndedupe: {key: event_id}\n"],
        );
        let t = &resolve(&p, &Overrides::default()).unwrap().tables[0];
        assert_eq!(t.dedupe.key, ["event_id", "item_index"]);
        assert_eq!(t.dedupe.nullable, ["event_id"]);
        let event_id = t.column("event_id").unwrap();
        assert_eq!(
            event_id.origin,
            Origin::Param {
                array: "event_params".into(),
                key: "event_id".into(),
                param_type: ParamType::Any
            }
        );
    }

    #[test]
    fn events_listed_without_specs_get_the_defaults() {
        let p = project(
            &format!("{FILE}events: [purchase, refund]\n"),
            &["event: purchase\nmode: incremental\n"],
        );
        let build = resolve(&p, &Overrides::default()).unwrap();
        let modes: Vec<(&str, Mode)> = build
            .tables
            .iter()
            .map(|t| (t.event.as_str(), t.mode))
            .collect();
        assert_eq!(
            modes,
            [("purchase", Mode::Incremental), ("refund", Mode::Full)]
        );
        assert_eq!(build.tables[1].spec_file, None);
    }

    #[test]
    fn column_names_collide_case_insensitively() {
        let p = project(FILE, &["event: a\nparams: [{key: Value}, {key: value}]\n"]);
        let errors = resolve(&p, &Overrides::default()).unwrap_err();
        assert_eq!(errors.0.len(), 1);
        assert!(
            errors.0[0].message.contains("both become column `value`"),
            "{}",
            errors.0[0].message
        );
    }
}
