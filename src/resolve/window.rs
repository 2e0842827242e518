//! The date window to process and the lookback re-read on every incremental run.

use crate::model::{self, IntervalUnit, Lookback, ShardKind};
use crate::names;
use crate::spec::{self, Intraday};

use super::event::EventCtx;

impl EventCtx<'_> {
    pub(super) fn window(&mut self, window: &Option<spec::Window>) -> model::Window {
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

    pub(super) fn lookback(&mut self, text: &str) -> Lookback {
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
}

impl EventCtx<'_> {
    /// The shard kinds a day is read from, in order of preference: `shards`, or the older
    /// `intraday` switch.
    pub(super) fn shards(
        &mut self,
        shards: &Option<Vec<ShardKind>>,
        intraday: Option<Intraday>,
        sharded: bool,
    ) -> Vec<ShardKind> {
        let kinds = match (shards, intraday) {
            (Some(_), Some(_)) => {
                self.error(
                    "intraday",
                    "`intraday` and `shards` both say which shards are read",
                    "keep `shards` (`intraday: include` is `shards: [daily, intraday]`)",
                );
                return vec![ShardKind::Daily];
            }
            (Some(kinds), None) => kinds.clone(),
            (None, Some(Intraday::Include)) => vec![ShardKind::Daily, ShardKind::Intraday],
            (None, _) => vec![ShardKind::Daily],
        };
        if kinds.is_empty() {
            self.error(
                "shards",
                "`shards` is empty: no day could be read",
                "list at least one kind, e.g. `shards: [daily]`",
            );
            return vec![ShardKind::Daily];
        }
        for (i, kind) in kinds.iter().enumerate() {
            if kinds[..i].contains(kind) {
                self.error(
                    &format!("shards[{i}]"),
                    format!("`{}` is listed twice", kind.name()),
                    "list each kind once, in order of preference",
                );
            }
        }
        if !sharded && kinds != [ShardKind::Daily] {
            let path = if shards.is_some() {
                "shards"
            } else {
                "intraday"
            };
            self.error(
                path,
                "only the sharded export (`events_*`) has intraday and fresh shards",
                format!("remove `{path}`"),
            );
        }
        kinds
    }

    /// GA4 rewrites a day's daily table for up to 72 hours after the day: a shorter lookback
    /// misses late events.
    pub(super) fn short_lookback(&mut self, lookback: &Lookback) {
        let minutes = lookback.amount * lookback.unit.minutes();
        if minutes > 0 && minutes < 3 * 24 * 60 {
            self.warn(
                "lookback",
                format!(
                    "lookback `{}` reprocesses {} whole day(s); GA4 keeps changing a day's export for up to 72 hours",
                    lookback.text,
                    minutes.div_ceil(24 * 60)
                ),
                "use `lookback: 3d` or more unless late events do not matter".to_string(),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{error, table, FILE};
    use crate::model::{IntervalUnit, Lookback};

    #[test]
    fn lookbacks_keep_their_unit() {
        let t = table(FILE, "event: a\nlookback: 90m\n");
        let expected = Lookback {
            amount: 90,
            unit: IntervalUnit::Minute,
            text: "90m".into(),
        };
        assert_eq!(t.lookback, expected);
        let t = table(FILE, "event: a\nlookback: 6h\n");
        assert_eq!(
            (t.lookback.amount, t.lookback.unit),
            (6, IntervalUnit::Hour)
        );
        let d = error(FILE, "event: a\nlookback: 3w\n");
        assert_eq!(
            d.hint.as_deref(),
            Some("write a number and a unit: `90m`, `6h` or `3d`")
        );
    }

    #[test]
    fn a_window_that_ends_before_it_starts_is_an_error() {
        let t = table(
            FILE,
            "event: a\nwindow: {start: 2025-01-01, end: 2025-02-01}\n",
        );
        assert_eq!(t.window.start.as_deref(), Some("2025-01-01"));
        assert_eq!(t.window.end.as_deref(), Some("2025-02-01"));
        let d = error(
            FILE,
            "event: a\nwindow: {start: 2025-02-01, end: 2025-01-01}\n",
        );
        assert_eq!(
            d.message,
            "window ends (2025-01-01) before it starts (2025-02-01)"
        );
    }

    #[test]
    fn shards_come_from_the_most_specific_layer_that_says_which() {
        use crate::load::Overrides;
        use crate::model::ShardKind::{Daily, Intraday};
        use crate::resolve::resolve;
        use crate::resolve::test_support::project;
        let p = project(
            &format!("{FILE}intraday: include\n"),
            &["event: a\nshards: [intraday]\n", "event: b\n"],
        );
        let build = resolve(&p, &Overrides::default()).unwrap();
        assert_eq!(build.tables[0].source.shards, [Intraday]);
        assert_eq!(build.tables[1].source.shards, [Daily, Intraday]);
        let d = error(FILE, "event: a\nintraday: include\nshards: [daily]\n");
        assert_eq!(
            d.message,
            "`intraday` and `shards` both say which shards are read"
        );
        let d = error(FILE, "event: a\nshards: [daily, daily]\n");
        assert_eq!(d.message, "`daily` is listed twice");
    }
}
