//! BigQuery's limits on a whole table: checked here so that a script BigQuery would refuse is
//! refused at compile time, at the line that caused it, rather than halfway through a deploy.

use std::collections::BTreeMap;

use crate::names::{self, MAX_COLUMNS, MAX_LABELS, MAX_TABLE_DESCRIPTION_CHARS};

use super::event::EventCtx;
use super::project::TopLevel;

impl EventCtx<'_> {
    pub(super) fn column_count(&mut self, table: &str, count: usize) {
        if count > MAX_COLUMNS {
            // The params are where the count comes from; the standard columns are a few dozen.
            let at = if self.spec.is_some_and(|s| s.has("params")) {
                "params"
            } else {
                "user_properties"
            };
            self.error(
                at,
                format!("table `{table}` would have {count} columns; BigQuery allows at most {MAX_COLUMNS}"),
                "keep fewer params (a narrower `include:` glob, or `exclude:`), or split the event into two specs with their own `table:`",
            );
        }
    }

    pub(super) fn label_count(&mut self, labels: &BTreeMap<String, String>) {
        if labels.len() > MAX_LABELS {
            self.error(
                "labels",
                format!(
                    "{} labels (with bqflat's own `managed_by`); BigQuery allows at most {MAX_LABELS} on a table",
                    labels.len()
                ),
                format!("keep at most {} labels", MAX_LABELS - 1),
            );
        }
    }

    pub(super) fn description_length(&mut self, description: Option<&str>) {
        let length = description.map_or(0, |d| d.chars().count());
        if length > MAX_TABLE_DESCRIPTION_CHARS {
            self.error(
                "description",
                format!("the table description has {length} characters; BigQuery allows at most {MAX_TABLE_DESCRIPTION_CHARS}"),
                "shorten it, and link to longer documentation instead",
            );
        }
    }

    /// A flattened table named like one of bqflat's own tables would be dropped and recreated
    /// over the watermarks or the run log (or they over it).
    pub(super) fn not_a_metadata_table(&mut self, top: &TopLevel, path: &str, full: [&str; 3]) {
        let m = &top.metadata;
        let [project, dataset, name] = full;
        if project != m.project || !dataset.eq_ignore_ascii_case(&m.dataset) {
            return;
        }
        let role = if name.eq_ignore_ascii_case(&m.watermarks) {
            "watermarks"
        } else if name.eq_ignore_ascii_case(&m.runs) {
            "runs"
        } else {
            return;
        };
        self.error(
            path,
            format!(
                "table `{}` is bqflat's {role} table (`metadata.{role}`) in dataset `{dataset}`",
                names::prefix(name, 60)
            ),
            format!("give the table another name, or rename the {role} table under `metadata:` in bqflat.yaml"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{error, FILE};

    #[test]
    fn a_table_named_like_a_metadata_table_is_refused() {
        let d = error(FILE, "event: a\ntable: _metadata\n");
        assert!(d.message.contains("bqflat's watermarks table"), "{d:?}");
        assert_eq!(d.location.unwrap().line, 2);
        let d = error(
            &format!("{FILE}metadata: {{runs: log}}\n"),
            "event: a\ntable: flat.LOG\n",
        );
        assert!(d.message.contains("bqflat's runs table"), "{d:?}");
        // Another dataset is another table.
        super::super::test_support::table(FILE, "event: a\ntable: other._metadata\n");
    }

    #[test]
    fn too_many_labels_and_a_long_description_are_refused() {
        let labels: Vec<String> = (0..64).map(|i| format!("k{i}: v")).collect();
        let d = error(
            FILE,
            &format!("event: a\nlabels: {{{}}}\n", labels.join(", ")),
        );
        assert!(d.message.starts_with("65 labels"), "{d:?}");
        let long = "x".repeat(16_385);
        let d = error(FILE, &format!("event: a\ndescription: {long}\n"));
        assert!(d.message.contains("16385 characters"), "{d:?}");
        assert_eq!(d.location.unwrap().line, 2);
    }
}
