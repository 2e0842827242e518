//! The date window to process and the lookback re-read on every incremental run.

use crate::model::{self, IntervalUnit, Lookback};
use crate::names;
use crate::spec;

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
}
