//! The days the office is closed besides weekends, year by year, with where
//! each one comes from.
//!
//! The national holidays and cuti bersama ship with sigap as data
//! (`pipeline/data/holidays/holidays-YYYY.csv`, provenance in the `.md`
//! beside each). The office adds its local days as `[[holidays]]` in
//! `sigap.toml` and may remove a built-in day its region works with
//! `[[holidays_removed]]` (a reason is required). A year with no list at all
//! is not silently treated as a year without holidays: [`HolidaySet::covers`]
//! says so, and `status` and `config check` warn ahead of time.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use crate::config::{Config, HolidayKind};

/// The built-in lists, one per year: (year, CSV text).
const BUILT_IN: [(i32, &str); 2] = [
    (2026, include_str!("../../data/holidays/holidays-2026.csv")),
    (2027, include_str!("../../data/holidays/holidays-2027.csv")),
];

/// Where a closed day comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Shipped with sigap (the national decree's list).
    BuiltIn,
    /// `[[holidays]]` in the office's `sigap.toml`.
    SigapToml,
}

impl Source {
    /// How `holidays list` names the source.
    pub fn label(self) -> &'static str {
        match self {
            Source::BuiltIn => "built in",
            Source::SigapToml => "sigap.toml",
        }
    }
}

/// One closed day.
#[derive(Debug, Clone, Serialize)]
pub struct ClosedDay {
    /// The date.
    pub date: NaiveDate,
    /// National holiday, cuti bersama or local.
    pub kind: HolidayKind,
    /// Its name, in Bahasa Indonesia.
    pub name: String,
    /// Where it comes from.
    pub source: Source,
    /// The date is computed from the lunar calendar, not yet decreed.
    pub estimated: bool,
}

/// A built-in day the office works, with the office's reason.
#[derive(Debug, Clone, Serialize)]
pub struct RemovedDay {
    /// The built-in day taken out.
    pub day: ClosedDay,
    /// Why the office works that day.
    pub reason: String,
}

/// The closed days in force for an office, and the years that have a list.
#[derive(Debug, Clone, Default)]
pub struct HolidaySet {
    days: BTreeMap<NaiveDate, ClosedDay>,
    removed: Vec<RemovedDay>,
    years: BTreeSet<i32>,
}

fn parse_kind(s: &str) -> Option<HolidayKind> {
    match s {
        "libur_nasional" => Some(HolidayKind::LiburNasional),
        "cuti_bersama" => Some(HolidayKind::CutiBersama),
        "lokal" => Some(HolidayKind::Lokal),
        _ => None,
    }
}

/// The built-in days of every shipped year. The lists are part of the
/// source tree and held by a test, so a malformed line is a build defect.
fn built_in() -> Vec<ClosedDay> {
    let mut out = Vec::new();
    for (year, text) in BUILT_IN {
        for (n, line) in text.lines().enumerate().skip(1) {
            let f: Vec<&str> = line.split(',').map(str::trim).collect();
            let (Some(date), Some(kind), Some(name)) = (
                f.first()
                    .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()),
                f.get(1).and_then(|k| parse_kind(k)),
                f.get(2),
            ) else {
                panic!("holidays-{year}.csv line {}: malformed", n + 1);
            };
            out.push(ClosedDay {
                date,
                kind,
                name: (*name).to_string(),
                source: Source::BuiltIn,
                estimated: f.get(3) == Some(&"ya"),
            });
        }
    }
    out
}

impl HolidaySet {
    /// The years sigap ships a national list for.
    pub fn built_in_years() -> impl Iterator<Item = i32> {
        BUILT_IN.iter().map(|(y, _)| *y)
    }

    /// Only the shipped national lists, before any office change.
    pub fn built_in_only() -> HolidaySet {
        let mut set = HolidaySet {
            years: Self::built_in_years().collect(),
            ..HolidaySet::default()
        };
        for d in built_in() {
            set.days.insert(d.date, d);
        }
        set
    }

    /// The closed days for `config`: the built-in lists, minus the office's
    /// `[[holidays_removed]]`, plus its `[[holidays]]`. A `[[holidays]]`
    /// entry on a built-in date keeps the built-in entry (the profiles of
    /// 2026 list the national days; they are the same days).
    pub fn for_config(config: &Config) -> HolidaySet {
        let mut set = Self::built_in_only();
        for r in &config.holidays_removed {
            if let Some(day) = r.day().and_then(|d| set.days.remove(&d)) {
                set.removed.push(RemovedDay {
                    day,
                    reason: r.reason.clone(),
                });
            }
        }
        let removed: BTreeSet<NaiveDate> = set.removed.iter().map(|r| r.day.date).collect();
        for h in &config.holidays {
            let Some(date) = h.day() else { continue };
            if removed.contains(&date) {
                continue;
            }
            set.days.entry(date).or_insert_with(|| ClosedDay {
                date,
                kind: h.kind,
                name: h.name.clone(),
                source: Source::SigapToml,
                estimated: false,
            });
        }
        set
    }

    /// True when `day` is a holiday or cuti bersama.
    pub fn is_closed(&self, day: NaiveDate) -> bool {
        self.days.contains_key(&day)
    }

    /// True when `year` has a holiday list (built in); a year without one
    /// counts only weekends as closed.
    pub fn covers(&self, year: i32) -> bool {
        self.years.contains(&year)
    }

    /// The last year with a list.
    pub fn last_year(&self) -> Option<i32> {
        self.years.last().copied()
    }

    /// The years with a list.
    pub fn years(&self) -> impl Iterator<Item = i32> + '_ {
        self.years.iter().copied()
    }

    /// The closed days in force, in date order; only `year`'s when given.
    pub fn days(&self, year: Option<i32>) -> impl Iterator<Item = &ClosedDay> {
        self.days
            .values()
            .filter(move |d| year.is_none_or(|y| d.date.year() == y))
    }

    /// The built-in days the office works, with its reasons.
    pub fn removed(&self, year: Option<i32>) -> impl Iterator<Item = &RemovedDay> {
        self.removed
            .iter()
            .filter(move |r| year.is_none_or(|y| r.day.date.year() == y))
    }

    /// The years from `from` to `to` (inclusive) without a list, in order.
    pub fn uncovered_between(&self, from: NaiveDate, to: NaiveDate) -> Vec<i32> {
        (from.year()..=to.year())
            .filter(|y| !self.covers(*y))
            .collect()
    }

    /// The warning `status` and `config check` give from 60 days before the
    /// last listed year ends (and every day after): which year has no list
    /// and how to add one. `None` while the lists reach far enough.
    pub fn warning(&self, today: NaiveDate) -> Option<String> {
        let missing = (today + chrono::Duration::days(60)).year();
        let next = (today.year()..=missing).find(|y| !self.covers(*y))?;
        Some(format!(
            "no holiday list for {next}: from 1 January {next} pickup dates, SLA \
             working hours and office days count only weekends as closed; add {next}'s \
             national holidays and cuti bersama as [[holidays]] in sigap.toml \
             (see `sigap holidays list`)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_lists_parse_and_mark_estimated_days() {
        let all = built_in();
        assert_eq!(all.iter().filter(|d| d.date.year() == 2026).count(), 25);
        assert_eq!(all.iter().filter(|d| d.date.year() == 2027).count(), 26);
        let est: Vec<_> = all.iter().filter(|d| d.estimated).map(|d| d.date).collect();
        assert!(est.contains(&NaiveDate::from_ymd_opt(2027, 3, 10).unwrap()));
        assert!(est.contains(&NaiveDate::from_ymd_opt(2027, 5, 17).unwrap()));
        assert!(est.iter().all(|d| d.year() == 2027));
    }
}
