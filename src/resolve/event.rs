//! One event: its settings merged (flags over spec over project file) and resolved into a table.

use std::collections::BTreeMap;

use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::load::{Catalog, Loaded, Overrides};
use crate::model::Table;
use crate::names;
use crate::spec::{Batch, EventSpec, Items, Mode, ProjectFile};

use super::columns::Columns;
use super::project::TopLevel;
use super::{DEFAULT_LOOKBACK, EVENT_NAME_HINT};

/// Resolving one event, with error reporting that points at whichever place set the faulty value.
pub(super) struct EventCtx<'a> {
    /// The project's template folder, when it has one.
    pub(super) templates: Option<&'a camino::Utf8Path>,
    pub(super) catalog: Option<&'a Catalog>,
    pub(super) warnings: &'a mut Vec<Diagnostic>,
    pub(super) spec: Option<&'a Loaded<EventSpec>>,
    pub(super) file: Option<&'a Loaded<ProjectFile>>,
    pub(super) flags: &'a Overrides,
    pub(super) diagnostics: &'a mut Diagnostics,
    /// The event being resolved: a flag's problem names it, since the flag applies to every one.
    pub(super) event: &'a str,
    /// Resolving the project file's params for every event: problems are located there.
    pub(super) shared: bool,
}

impl EventCtx<'_> {
    pub(super) fn resolve(
        &mut self,
        top: &TopLevel,
        spec: &EventSpec,
        spec_file: Option<String>,
    ) -> Option<Table> {
        let before = self.diagnostics.0.len();
        let layers = [
            self.flags.settings.clone(),
            spec.settings(),
            self.file.map(|f| f.value.settings()).unwrap_or_default(),
        ];
        // `shards` and the older `intraday` say one thing: the most specific layer that sets
        // either decides.
        let (shards, intraday) = layers
            .iter()
            .find(|l| l.shards.is_some() || l.intraday.is_some())
            .map(|l| (l.shards.clone(), l.intraday))
            .unwrap_or_default();
        let [flags, spec_settings, file] = layers;
        let settings = flags.over(spec_settings).over(file);
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
        source.shards = self.shards(&shards, intraday, source.sharded);
        if mode == Mode::Incremental {
            self.short_lookback(&lookback);
        }

        let items = settings.items.unwrap_or(Items::Drop);
        let mut columns = Columns::default();
        self.standard_columns(&settings.columns, &mut columns);
        self.property_column(top, &mut columns);
        for (setting, array, own) in [
            ("params", "event_params", &spec.params),
            ("user_properties", "user_properties", &spec.user_properties),
        ] {
            self.shared_params(setting, array, own, &spec.event, &mut columns);
            self.params(setting, array, own, &spec.event, &mut columns);
        }
        let url_exclude_params = self.url_settings(&settings, &mut columns);
        self.items(
            items,
            &settings.item_fields,
            &spec.item_params,
            &spec.event,
            &mut columns,
        );

        let partition = self.partition(&settings, &mut columns);
        let cluster_by = self.cluster_by(&settings, &mut columns);
        let dedupe = self.dedupe(&event, &settings, items, &mut columns);
        // The watermark is the greatest `event_ts` written.
        self.require_column("event_ts", &mut columns);

        let mut labels = BTreeMap::from([("managed_by".to_string(), "bqflat".to_string())]);
        for (key, value) in settings.labels.clone().unwrap_or_default() {
            if let Err(problem) = names::check_label(&key, &value) {
                self.error(&format!("labels.{key}"), problem, "label keys start with a lowercase letter; keys and values use a-z, 0-9, `_` and `-`, at most 63 characters");
            }
            labels.insert(key, value);
        }
        self.label_count(&labels);
        self.description_length(spec.description.as_deref());
        self.column_count(&format!("{project}.{dataset}.{name}"), columns.list.len());
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
            property_id: None,
            window,
            lookback,
            timezone,
            required: columns.required,
            columns: columns.list,
            partition,
            cluster_by,
            dedupe,
            explode_items: items == Items::Explode,
            labels,
            daily_batches: settings.batch == Some(Batch::Daily),
            drop_denied: settings.consent == Some(crate::spec::Consent::DropDenied),
            url_exclude_params,
            reads: None,
            template,
            metadata: top.metadata.clone(),
        })
    }

    pub(super) fn template_exists(&self, name: &str) -> bool {
        let builtin = format!("bigquery/{name}");
        crate::render::BUILTIN.iter().any(|(n, _)| *n == builtin)
            || self
                .templates
                .is_some_and(|dir| dir.join("bigquery").join(name).is_file())
    }
}

#[cfg(test)]
mod tests {
    use super::super::resolve;
    use super::super::test_support::error;
    use super::super::test_support::{project, FILE};
    use crate::load::Overrides;
    use crate::spec::{self, Mode};

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
    fn a_template_must_exist_and_daily_batches_need_a_start() {
        let d = error(FILE, "event: a\ntemplate: missing.sql\n");
        assert_eq!(d.message, "template `missing.sql` not found");
        let d = error(FILE, "event: a\nbatch: daily\n");
        assert_eq!(d.message, "`batch: daily` needs `window.start`");
        let d = error(FILE, "event: a\nversion: 0\n");
        assert_eq!(d.message, "`version` starts at 1");
    }
}
