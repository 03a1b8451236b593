//! When each job runs: cron expressions from `[schedule]`, read in the
//! office's timezone. The jobs themselves and their locks are in
//! [`crate::job`].
//!
//! Cron is read as crontab (Vixie cron, cronie) reads it: `min hour day
//! month weekday`, each a list of `*`, `N`, `A-B`, `*/S` or `A-B/S`;
//! weekdays 0–7 (0 and 7 Sunday) or `sun`–`sat`, months 1–12 or
//! `jan`–`dec`, names in any case; `@hourly`, `@daily` (`@midnight`),
//! `@weekly`, `@monthly`, `@yearly` (`@annually`). When both the day of the
//! month and the weekday are restricted (neither field starts with `*`) a
//! day runs when either matches, as crontab does (`0 9 1 * 1`: every Monday
//! and every 1st). Six fields put seconds first. What crontab refuses is
//! refused, with what to write instead; so are the extensions crontab lacks
//! (`?`, `L`, `W`, `#`, `~`, `@reboot`, a year field) and an expression that
//! can never run.
//!
//! This module reads the expression into plain numeric sets; the `cron`
//! crate finds the next runs. Its dialect differs from crontab's (seconds
//! first, weekdays 1–7 from Sunday, day fields always ANDed, years only
//! 1970–2100), so it is only given explicit numeric lists, two schedules
//! where crontab ORs the day fields, and, outside its years, a year with
//! the same calendar.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use crate::job::Job;

/// What to do about runs missed while sigap was not running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CatchUp {
    /// Wait for the next scheduled time.
    #[default]
    Skip,
    /// Run once now for all the missed times, then keep the schedule.
    RunOnce,
}

/// One job's entry of `[schedule]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleEntry {
    /// Cron expression, e.g. `"0 1 * * *"` (01:00 every day, office time).
    pub cron: String,
    /// After downtime: `skip` (default) or `run_once`.
    #[serde(default)]
    pub catch_up: CatchUp,
    /// Retries after a failed run (default 0).
    #[serde(default)]
    pub retries: u32,
    /// Seconds between a failure and its retry (default 300).
    #[serde(default = "default_retry_delay")]
    pub retry_delay_secs: u64,
    /// A run taking longer than this many seconds is stopped and counted as
    /// failed (default: no limit).
    #[serde(default)]
    pub timeout_secs: Option<u64>,
}

fn default_retry_delay() -> u64 {
    300
}

/// A cron schedule as crontab reads it, held as the `cron` crate's
/// schedules: one, or two when crontab ORs the day fields (the day of the
/// month with any weekday, and the weekday with any day of the month). Made
/// by [`parse_cron`]; [`Schedule::next_after`] says when it runs next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// A time is a run when any of these has it.
    runs: Vec<cron::Schedule>,
}

/// A cron expression sigap cannot follow: the expression, and why, with
/// what to write instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{expr}` {reason}")]
pub struct CronError {
    /// The expression as written in `sigap.toml`.
    pub expr: String,
    /// What is wrong and what to write instead.
    pub reason: String,
}

/// Reads a cron expression (5 fields, 6 with seconds first, or an
/// `@daily`-style macro) as crontab does, or says what is wrong.
pub fn parse_cron(expr: &str) -> Result<Schedule, CronError> {
    expr.parse()
}

impl FromStr for Schedule {
    type Err = CronError;

    fn from_str(expr: &str) -> Result<Schedule, CronError> {
        let fail = |reason: String| CronError {
            expr: expr.to_string(),
            reason,
        };
        let fields: Vec<&str> = expr.split_whitespace().collect();
        let macro_fields;
        let fields: &[&str] = match fields.as_slice() {
            [one] if one.starts_with('@') => {
                macro_fields = expand_macro(one).map_err(fail)?;
                &macro_fields
            }
            [first, ..] if first.starts_with('@') => {
                return Err(fail(format!(
                    "is a macro with more after it; write `{first}` alone"
                )));
            }
            f => f,
        };
        let (seconds, rest) = match fields.len() {
            5 => (1, fields),
            6 => (parse_field(&SECOND, fields[0]).map_err(fail)?, &fields[1..]),
            7 => {
                return Err(fail(
                    "has 7 fields: a year field is not crontab's and is not read; write 5 \
                     fields (minute hour day month weekday), or 6 with seconds first"
                        .into(),
                ));
            }
            n => {
                return Err(fail(format!(
                    "has {n} fields; write minute hour day month weekday, e.g. \"0 1 * * *\""
                )));
            }
        };
        let [minute, hour, day, month, weekday] = [rest[0], rest[1], rest[2], rest[3], rest[4]];
        let weekdays = parse_field(&WEEKDAY, weekday).map_err(fail)?;
        let days = parse_field(&DAY, day).map_err(fail)?;
        let months = parse_field(&MONTH, month).map_err(fail)?;
        let set = FieldSets {
            seconds,
            minutes: parse_field(&MINUTE, minute).map_err(fail)?,
            hours: parse_field(&HOUR, hour).map_err(fail)?,
            days,
            months,
            // 7 is Sunday too.
            weekdays: (weekdays | weekdays >> 7) & 0x7f,
        };
        // cronie's DOM_STAR / DOW_STAR: a field starting with `*` (also
        // `*/2`) leaves the other one to decide; otherwise either decides.
        let day_or = !day.starts_with('*') && !weekday.starts_with('*');
        let sets = if day_or {
            vec![
                FieldSets {
                    weekdays: ALL_WEEKDAYS,
                    ..set
                },
                FieldSets {
                    days: ALL_DAYS,
                    ..set
                },
            ]
        } else {
            if !some_month_has_a_day(months, days) {
                return Err(fail(format!(
                    "never runs: no month in `{month}` has a day `{day}`; check the day and month"
                )));
            }
            vec![set]
        };
        let runs = sets
            .iter()
            .map(|s| {
                let expr = s.crate_expr();
                expr.parse::<cron::Schedule>().map_err(|e| {
                    fail(format!(
                        "could not be handed to the cron crate as `{expr}` ({e}); \
                         please report this expression"
                    ))
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Schedule { runs })
    }
}

/// One expression's values, field by field, as bits (bit `n` for value
/// `n`; weekdays 0–6 from Sunday).
#[derive(Debug, Clone, Copy)]
struct FieldSets {
    seconds: u64,
    minutes: u64,
    hours: u64,
    days: u64,
    months: u64,
    weekdays: u64,
}

/// Days 1–31 and weekdays 0–6: a field left open.
const ALL_DAYS: u64 = ((1 << 32) - 1) & !1;
const ALL_WEEKDAYS: u64 = (1 << 7) - 1;

impl FieldSets {
    /// The `cron` crate's expression for exactly these values: seconds
    /// first, every field an explicit list, weekdays 1–7 from Sunday.
    fn crate_expr(&self) -> String {
        let list = |bits: u64, shift: u32| -> String {
            (0..64)
                .filter(|v| bits & 1 << v != 0)
                .map(|v| (v + shift).to_string())
                .collect::<Vec<_>>()
                .join(",")
        };
        format!(
            "{} {} {} {} {} {}",
            list(self.seconds, 0),
            list(self.minutes, 0),
            list(self.hours, 0),
            list(self.days, 0),
            list(self.months, 0),
            list(self.weekdays, 1)
        )
    }
}

/// Whether any month of `months` has one of `days` (every date falls on
/// every weekday in some year, so with the weekday ANDed in this is all
/// that can stop a schedule running).
fn some_month_has_a_day(months: u64, days: u64) -> bool {
    (1..=12).any(|m| months & 1 << m != 0 && (1..=longest_month(m)).any(|d| days & 1 << d != 0))
}

/// crontab's macros as the five fields cronie gives them.
fn expand_macro(word: &str) -> Result<[&'static str; 5], String> {
    Ok(match word {
        "@yearly" | "@annually" => ["0", "0", "1", "1", "*"],
        "@monthly" => ["0", "0", "1", "*", "*"],
        "@weekly" => ["0", "0", "*", "*", "0"],
        "@daily" | "@midnight" => ["0", "0", "*", "*", "*"],
        "@hourly" => ["0", "*", "*", "*", "*"],
        "@reboot" => {
            return Err(
                "is refused: the daemon has no boot to run at; give a time (e.g. \
                        `@daily`) and `catch_up = \"run_once\"`, which runs the job once \
                        after the daemon was down"
                    .into(),
            );
        }
        _ => {
            return Err(
                "is not a macro crontab knows; write one of @hourly, @daily, \
                        @midnight, @weekly, @monthly, @yearly, @annually (lower case), or \
                        5 fields"
                    .into(),
            );
        }
    })
}

/// One field of a cron expression: its values and names.
struct Field {
    what: &'static str,
    min: u32,
    max: u32,
    /// Names of the values from `min` up, matched in any case.
    names: &'static [&'static str],
    /// How the values are written, for the error.
    values: &'static str,
}

const SECOND: Field = Field {
    what: "second",
    min: 0,
    max: 59,
    names: &[],
    values: "0–59",
};
const MINUTE: Field = Field {
    what: "minute",
    min: 0,
    max: 59,
    names: &[],
    values: "0–59",
};
const HOUR: Field = Field {
    what: "hour",
    min: 0,
    max: 23,
    names: &[],
    values: "0–23",
};
const DAY: Field = Field {
    what: "day of the month",
    min: 1,
    max: 31,
    names: &[],
    values: "1–31",
};
const MONTH: Field = Field {
    what: "month",
    min: 1,
    max: 12,
    names: &[
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ],
    values: "1–12 or jan–dec",
};
const WEEKDAY: Field = Field {
    what: "weekday",
    min: 0,
    max: 7,
    names: &["sun", "mon", "tue", "wed", "thu", "fri", "sat"],
    values: "0–7 (0 and 7 Sunday) or sun–sat",
};

impl Field {
    /// One value: a number in range, or a name.
    fn value(&self, s: &str) -> Result<u32, String> {
        let what = self.what;
        if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
            return s
                .parse::<u32>()
                .ok()
                .filter(|n| (self.min..=self.max).contains(n))
                .ok_or_else(|| format!("`{s}` is not a {what} ({})", self.values));
        }
        if !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphabetic()) {
            if self.names.is_empty() {
                return Err(format!(
                    "`{s}` is not a {what} ({}); only months and weekdays have names, and \
                     Quartz's `L` and `W` are not crontab's",
                    self.values
                ));
            }
            let lower = s.to_ascii_lowercase();
            return self
                .names
                .iter()
                .position(|n| *n == lower)
                .map(|i| self.min + i as u32)
                .ok_or_else(|| format!("`{s}` is not a {what} ({})", self.values));
        }
        let why = match s {
            "" => "a value is missing".to_string(),
            _ if s.contains('?') => "`?` is Quartz's, not crontab's: write `*`".to_string(),
            _ if s.contains('#') => "`#` (the nth weekday of a month) is Quartz's, not \
                                     crontab's: schedule the weekday and let the job decide"
                .to_string(),
            _ if s.contains('~') => "`~` (a random time) is not read: write the time".to_string(),
            "*" => "`*` cannot be one end of a range".to_string(),
            _ => format!("`{s}` is not a {what} ({})", self.values),
        };
        Err(why)
    }

    /// The single-value pieces `A-B` (backwards) can be written as.
    fn two_pieces(&self, a: u32, b: u32) -> String {
        // Weekdays wrap through Sunday, which is both 7 and 0.
        let (top, bottom) = if self.max == 7 {
            (7, 1)
        } else {
            (self.max, self.min)
        };
        let high = if a == top {
            a.to_string()
        } else {
            format!("{a}-{top}")
        };
        let low = match b {
            0 if self.max == 7 => return high,
            b if b == bottom => b.to_string(),
            b => format!("{bottom}-{b}"),
        };
        format!("{high},{low}")
    }
}

/// A field's values as bits (bit `n` for value `n`), or why crontab would
/// refuse it.
fn parse_field(f: &Field, text: &str) -> Result<u64, String> {
    let field_err = |why: String| format!("has a bad {} field `{text}`: {why}", f.what);
    let mut bits = 0u64;
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((range, step)) => {
                let n = step
                    .parse::<u32>()
                    .ok()
                    .filter(|_| step.bytes().all(|b| b.is_ascii_digit()))
                    .ok_or_else(|| field_err(format!("the step `/{step}` is not a number")))?;
                if n == 0 {
                    return Err(field_err(
                        "a step of 0 never moves on; write 1 or more".into(),
                    ));
                }
                (range, Some(n))
            }
            None => (part, None),
        };
        let (lo, hi) = if range == "*" {
            (f.min, f.max)
        } else if let Some((a, b)) = range.split_once('-') {
            let (a, b) = (
                f.value(a).map_err(field_err)?,
                f.value(b).map_err(field_err)?,
            );
            if a > b {
                let instead = match step {
                    None => format!("write `{}`", f.two_pieces(a, b)),
                    Some(_) => "write the range from its smaller end".to_string(),
                };
                return Err(field_err(format!(
                    "the range `{range}` runs backwards, which crontab refuses; {instead}"
                )));
            }
            (a, b)
        } else {
            let a = f.value(range).map_err(field_err)?;
            if let Some(s) = step {
                return Err(field_err(format!(
                    "crontab steps only a range or `*`; write `{range}-{}/{s}`",
                    f.max
                )));
            }
            (a, a)
        };
        let mut v = lo;
        while v <= hi {
            bits |= 1 << v;
            v = v.saturating_add(step.unwrap_or(1));
        }
    }
    Ok(bits)
}

/// Days in `month` at most (29 for February).
fn longest_month(month: u32) -> u32 {
    match month {
        2 => 29,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// How far ahead a next run is looked for: 400 years hold every date on
/// every weekday (29 February on a Monday can be 40 years apart).
const HORIZON_YEARS: i32 = 400;

/// The years the `cron` crate searches (its `Years` field).
const CRATE_YEARS: std::ops::RangeInclusive<i32> = 1970..=2100;

impl Schedule {
    /// The first time strictly after `after` the schedule runs at, in the
    /// office's timezone (a fixed offset, so every local time exists once).
    pub fn next_after(
        &self,
        after: DateTime<Utc>,
        tz: FixedOffset,
    ) -> Option<DateTime<FixedOffset>> {
        let mut from = after.with_timezone(&tz).naive_local();
        let mut year = from.year();
        let last_year = year + HORIZON_YEARS;
        while year <= last_year {
            if CRATE_YEARS.contains(&year) {
                if let Some(run) = self.crate_next(from, tz) {
                    return Some(run);
                }
                year = *CRATE_YEARS.end() + 1;
            } else {
                // A year the crate does not search: ask it about a year
                // with the same calendar (leap or not, same weekday on
                // 1 January), and take only a run in that year.
                let twin = same_calendar_year(year)?;
                let shift = twin - year;
                let twin_from = from.with_year(from.year() + shift)?;
                if let Some(run) = self.crate_next(twin_from, tz)
                    && run.year() == twin
                {
                    let local = run.naive_local().with_year(year)?;
                    return local.and_local_timezone(tz).single();
                }
                year += 1;
            }
            // Strictly after the last second of the year before.
            from = NaiveDate::from_ymd_opt(year, 1, 1)?.and_time(NaiveTime::MIN)
                - Duration::seconds(1);
        }
        None
    }

    /// The earliest run the crate finds strictly after local time `from`.
    fn crate_next(&self, from: NaiveDateTime, tz: FixedOffset) -> Option<DateTime<FixedOffset>> {
        let from = from.and_local_timezone(tz).single()?;
        self.runs.iter().filter_map(|s| s.after(&from).next()).min()
    }
}

/// A year the `cron` crate searches whose calendar is `year`'s: leap if
/// `year` is, and 1 January on the same weekday (the crate's first year
/// is left out, so that the year before a twin is one it reads too).
fn same_calendar_year(year: i32) -> Option<i32> {
    let calendar = |y: i32| {
        Some((
            NaiveDate::from_ymd_opt(y, 2, 29).is_some(),
            NaiveDate::from_ymd_opt(y, 1, 1)?.weekday(),
        ))
    };
    let want = calendar(year)?;
    (CRATE_YEARS.start() + 1..=*CRATE_YEARS.end()).find(|&y| calendar(y) == Some(want))
}

/// The next `n` times after `after`, in the office's timezone.
pub fn next_runs(
    schedule: &Schedule,
    after: DateTime<Utc>,
    tz: FixedOffset,
    n: usize,
) -> Vec<DateTime<FixedOffset>> {
    std::iter::successors(schedule.next_after(after, tz), |t| {
        schedule.next_after(t.with_timezone(&Utc), tz)
    })
    .take(n)
    .collect()
}

/// When a job first comes due after the daemon starts. `last_run` is when
/// it last ran (from the history). If a scheduled time passed since then
/// (the daemon was down), `run_once` runs it now and `skip` waits for the
/// next time. A last run that was `interrupted` (killed with the daemon)
/// did not do its work, so its time counts as missed too.
pub fn first_due(
    schedule: &Schedule,
    entry: &ScheduleEntry,
    last_run: Option<DateTime<Utc>>,
    last_interrupted: bool,
    now: DateTime<Utc>,
    tz: FixedOffset,
) -> Option<DateTime<Utc>> {
    let missed = last_interrupted
        || last_run
            .and_then(|l| schedule.next_after(l, tz))
            .is_some_and(|t| t.with_timezone(&Utc) <= now);
    if missed && entry.catch_up == CatchUp::RunOnce {
        return Some(now);
    }
    schedule.next_after(now, tz).map(|t| t.with_timezone(&Utc))
}

/// What the daemon does after a run ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AfterRun {
    /// When the job runs next (a retry, or its next scheduled time).
    pub next_at: Option<DateTime<Utc>>,
    /// Retries already made for the current scheduled run.
    pub attempt: u32,
    /// The run failed and no retry is left: alert the admin, once.
    pub final_failure: bool,
}

/// The next step after a run that ended at `ended`: a retry after
/// `retry_delay_secs` while retries are left, else the next scheduled time
/// (and, after a failure, the one alert).
pub fn after_run(
    schedule: &Schedule,
    entry: &ScheduleEntry,
    failed: bool,
    attempt: u32,
    ended: DateTime<Utc>,
    tz: FixedOffset,
) -> AfterRun {
    let next_scheduled = schedule
        .next_after(ended, tz)
        .map(|t| t.with_timezone(&Utc));
    if !failed {
        return AfterRun {
            next_at: next_scheduled,
            attempt: 0,
            final_failure: false,
        };
    }
    if attempt < entry.retries {
        return AfterRun {
            next_at: Some(ended + chrono::Duration::seconds(entry.retry_delay_secs as i64)),
            attempt: attempt + 1,
            final_failure: false,
        };
    }
    AfterRun {
        next_at: next_scheduled,
        attempt: 0,
        final_failure: true,
    }
}

/// Problems of a `[schedule]` table: unknown jobs, jobs the daemon does
/// not run, and bad expressions, each with its key.
pub fn problems(schedule: &BTreeMap<String, ScheduleEntry>) -> Vec<(String, String)> {
    let names = || {
        Job::scheduled()
            .map(Job::name)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut out = Vec::new();
    for (job, entry) in schedule {
        match Job::from_name(job) {
            Some(j) if j.schedulable() => {}
            Some(_) => out.push((
                format!("schedule.{job}"),
                format!(
                    "`{job}` is run by hand, not by the daemon; schedule one of {}",
                    names()
                ),
            )),
            None => out.push((
                format!("schedule.{job}"),
                format!("`{job}` is not a job; use one of {}", names()),
            )),
        }
        if let Err(e) = parse_cron(&entry.cron) {
            out.push((format!("schedule.{job}.cron"), e.to_string()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use chrono::{Datelike, TimeZone, Timelike, Weekday};

    use super::*;

    fn wita() -> FixedOffset {
        FixedOffset::east_opt(8 * 3600).unwrap()
    }

    #[test]
    fn five_fields_run_in_office_time_across_a_month_end() {
        let s = parse_cron("30 1 * * *").unwrap();
        // 2026-11-30 18:00 UTC is 02:00 on 1 December in WITA: the next
        // 01:30 WITA is on 2 December.
        let after = Utc.with_ymd_and_hms(2026, 11, 30, 18, 0, 0).unwrap();
        let next = next_runs(&s, after, wita(), 3);
        assert_eq!(next[0].to_rfc3339(), "2026-12-02T01:30:00+08:00");
        assert_eq!(next[1].to_rfc3339(), "2026-12-03T01:30:00+08:00");
        // Just before midnight UTC on 30 November it is already 1 December in WITA.
        let after = Utc.with_ymd_and_hms(2026, 11, 30, 17, 0, 0).unwrap();
        assert_eq!(
            next_runs(&s, after, wita(), 1)[0].to_rfc3339(),
            "2026-12-01T01:30:00+08:00"
        );
    }

    #[test]
    fn weekday_numbers_are_the_common_ones() {
        // 1-5 is Monday to Friday, 0 and 7 are Sunday.
        let s = parse_cron("0 6 * * 1-5").unwrap();
        let after = Utc.with_ymd_and_hms(2026, 11, 27, 0, 0, 0).unwrap(); // a Friday
        let days: Vec<Weekday> = next_runs(&s, after, wita(), 5)
            .iter()
            .map(|d| d.weekday())
            .collect();
        assert_eq!(
            days,
            vec![
                Weekday::Mon,
                Weekday::Tue,
                Weekday::Wed,
                Weekday::Thu,
                Weekday::Fri
            ]
        );
        for sunday in ["0 6 * * 0", "0 6 * * 7", "0 6 * * Sun"] {
            let next = next_runs(&parse_cron(sunday).unwrap(), after, wita(), 1);
            assert_eq!(next[0].weekday(), Weekday::Sun, "{sunday}");
        }
        let weekend = parse_cron("0 6 * * 5-7").unwrap();
        let thursday = Utc.with_ymd_and_hms(2026, 11, 26, 0, 0, 0).unwrap();
        let days: Vec<Weekday> = next_runs(&weekend, thursday, wita(), 3)
            .iter()
            .map(|d| d.weekday())
            .collect();
        assert_eq!(days, vec![Weekday::Fri, Weekday::Sat, Weekday::Sun]);
        let every = parse_cron("*/15 * * * *").unwrap();
        let next = next_runs(&every, after, wita(), 2);
        assert_eq!((next[0].minute(), next[1].minute()), (15, 30));
    }

    #[test]
    fn bad_expressions_and_unknown_jobs_are_named() {
        let entry = |cron: &str| ScheduleEntry {
            cron: cron.into(),
            catch_up: CatchUp::Skip,
            retries: 0,
            retry_delay_secs: 300,
            timeout_secs: None,
        };
        let schedule = BTreeMap::from([
            ("nightly".to_string(), entry("0 25 * * *")),
            ("ingest".to_string(), entry("*/15 * * *")),
            ("verfy".to_string(), entry("0 1 * * *")),
            ("batch".to_string(), entry("0 2 * * 9")),
        ]);
        let keys: Vec<String> = problems(&schedule).into_iter().map(|p| p.0).collect();
        assert_eq!(
            keys,
            vec![
                "schedule.batch.cron",
                "schedule.ingest.cron",
                "schedule.nightly.cron",
                "schedule.verfy"
            ]
        );
        assert!(
            parse_cron("*/15 * * *")
                .unwrap_err()
                .to_string()
                .contains("4 fields")
        );
    }

    fn entry(cron: &str, catch_up: CatchUp, retries: u32) -> ScheduleEntry {
        ScheduleEntry {
            cron: cron.into(),
            catch_up,
            retries,
            retry_delay_secs: 600,
            timeout_secs: None,
        }
    }

    #[test]
    fn after_downtime_skip_waits_and_run_once_runs_now() {
        let s = parse_cron("0 1 * * *").unwrap();
        let wib = FixedOffset::east_opt(7 * 3600).unwrap();
        // Last ran at 01:00 WIB on 24 November; the daemon comes back at
        // 09:00 WIB on 26 November, having missed two nights.
        let last = Utc.with_ymd_and_hms(2026, 11, 23, 18, 0, 0).unwrap();
        let now = Utc.with_ymd_and_hms(2026, 11, 26, 2, 0, 0).unwrap();
        let skip = first_due(
            &s,
            &entry("0 1 * * *", CatchUp::Skip, 0),
            Some(last),
            false,
            now,
            wib,
        );
        assert_eq!(
            skip.unwrap().with_timezone(&wib).to_rfc3339(),
            "2026-11-27T01:00:00+07:00"
        );
        let once = first_due(
            &s,
            &entry("0 1 * * *", CatchUp::RunOnce, 0),
            Some(last),
            false,
            now,
            wib,
        );
        assert_eq!(once, Some(now), "one run for all the missed nights");
        // Nothing missed: both wait for the next time.
        let recent = Utc.with_ymd_and_hms(2026, 11, 25, 18, 0, 0).unwrap();
        let once = first_due(
            &s,
            &entry("0 1 * * *", CatchUp::RunOnce, 0),
            Some(recent),
            false,
            now,
            wib,
        );
        assert_eq!(
            once.unwrap().with_timezone(&wib).to_rfc3339(),
            "2026-11-27T01:00:00+07:00"
        );
        // The same recent run, but killed half-way: its night was missed.
        let killed = |catch_up| {
            first_due(
                &s,
                &entry("0 1 * * *", catch_up, 0),
                Some(recent),
                true,
                now,
                wib,
            )
        };
        assert_eq!(killed(CatchUp::RunOnce), Some(now));
        assert_ne!(killed(CatchUp::Skip), Some(now));
        // Never ran: nothing to catch up.
        let never = first_due(
            &s,
            &entry("0 1 * * *", CatchUp::RunOnce, 0),
            None,
            false,
            now,
            wib,
        );
        assert_ne!(never, Some(now));
    }

    #[test]
    fn retries_then_one_final_failure() {
        let s = parse_cron("0 1 * * *").unwrap();
        let wib = FixedOffset::east_opt(7 * 3600).unwrap();
        let e = entry("0 1 * * *", CatchUp::Skip, 2);
        let mut t = Utc.with_ymd_and_hms(2026, 11, 25, 18, 5, 0).unwrap();
        let mut attempt = 0;
        let mut alerts = 0;
        let mut retries_at = Vec::new();
        for _ in 0..3 {
            let step = after_run(&s, &e, true, attempt, t, wib);
            if step.final_failure {
                alerts += 1;
                assert_eq!(
                    step.next_at.unwrap().with_timezone(&wib).to_rfc3339(),
                    "2026-11-27T01:00:00+07:00"
                );
            } else {
                retries_at.push(step.next_at.unwrap());
                t = step.next_at.unwrap() + chrono::Duration::seconds(30);
            }
            attempt = step.attempt;
        }
        assert_eq!(alerts, 1, "one alert, after the last retry");
        assert_eq!(retries_at.len(), 2);
        assert_eq!(
            retries_at[0] - Utc.with_ymd_and_hms(2026, 11, 25, 18, 5, 0).unwrap(),
            chrono::Duration::seconds(600)
        );
        // A success resets the count.
        let ok = after_run(&s, &e, false, 1, t, wib);
        assert_eq!((ok.attempt, ok.final_failure), (0, false));
    }
    /// The weekdays and dates of the next `n` runs of `expr` after `after`
    /// (UTC), in WITA.
    fn runs(expr: &str, after: DateTime<Utc>, n: usize) -> Vec<String> {
        let s = parse_cron(expr).unwrap_or_else(|e| panic!("{e}"));
        next_runs(&s, after, wita(), n)
            .iter()
            .map(|t| t.format("%a %Y-%m-%d %H:%M:%S").to_string())
            .collect()
    }

    #[test]
    fn a_weekday_range_through_7_is_every_day_and_steps_count_from_sunday() {
        let thursday = Utc.with_ymd_and_hms(2026, 11, 25, 23, 0, 0).unwrap(); // 07:00 WITA
        let days = |expr: &str| -> Vec<String> {
            runs(expr, thursday, 7)
                .iter()
                .map(|r| r[..3].to_string())
                .collect()
        };
        let week = ["Fri", "Sat", "Sun", "Mon", "Tue", "Wed", "Thu"];
        assert_eq!(days("0 6 * * 0-7"), week, "0-7 is every day, as in crontab");
        assert_eq!(days("0 6 * * 0-6"), week);
        assert_eq!(days("0 6 * * 1-7"), week);
        assert_eq!(days("0 6 * * */2")[..4], ["Sat", "Sun", "Tue", "Thu"]);
        assert_eq!(days("0 6 * * 1-7/2")[..4], ["Fri", "Sun", "Mon", "Wed"]);
        assert_eq!(days("0 6 * * 5-7")[..3], ["Fri", "Sat", "Sun"]);
        assert_eq!(
            days("0 6 * * mon-FRI")[..5],
            ["Fri", "Mon", "Tue", "Wed", "Thu"]
        );
        assert_eq!(days("0 6 * * Sun,7,0")[..2], ["Sun", "Sun"]);
        assert_eq!(days("0 6 * * sat,SUN")[..3], ["Sat", "Sun", "Sat"]);
        // A range of one value is that value (croniter 7 reads it as `*`).
        assert_eq!(days("0 6 * * sun-0")[..2], ["Sun", "Sun"]);
        assert_eq!(days("0 6 * * Wed-3")[..2], ["Wed", "Wed"]);
        assert_eq!(
            runs("0 3-3 * * *", thursday, 2),
            ["Fri 2026-11-27 03:00:00", "Sat 2026-11-28 03:00:00"]
        );
    }

    #[test]
    fn a_day_of_month_and_a_weekday_both_restricted_run_when_either_matches() {
        // Wednesday 25 November 2026: the next Mondays and first days.
        let after = Utc.with_ymd_and_hms(2026, 11, 25, 0, 0, 0).unwrap();
        assert_eq!(
            runs("0 9 1 * 1", after, 4),
            [
                "Mon 2026-11-30 09:00:00",
                "Tue 2026-12-01 09:00:00",
                "Mon 2026-12-07 09:00:00",
                "Mon 2026-12-14 09:00:00"
            ]
        );
        // A field that starts with `*` (even `*/2`) is not a restriction:
        // then both must match, as cronie does. Odd days that are Mondays:
        assert_eq!(
            runs("0 9 */2 * mon", after, 3),
            [
                "Mon 2026-12-07 09:00:00",
                "Mon 2026-12-21 09:00:00",
                "Mon 2027-01-11 09:00:00"
            ]
        );
        assert_eq!(runs("0 9 1 * *", after, 1), ["Tue 2026-12-01 09:00:00"]);
        assert_eq!(runs("0 9 * * 1", after, 1), ["Mon 2026-11-30 09:00:00"]);
        // The month still has to match: Mondays of March and each 13th.
        assert_eq!(
            runs("0 0 13 mar 1", after, 3),
            [
                "Mon 2027-03-01 00:00:00",
                "Mon 2027-03-08 00:00:00",
                "Sat 2027-03-13 00:00:00"
            ]
        );
    }

    #[test]
    fn macros_are_crontabs_and_reboot_is_refused() {
        let after = Utc.with_ymd_and_hms(2028, 2, 29, 4, 30, 0).unwrap(); // 12:30 WITA
        for (mac, first) in [
            ("@hourly", "Tue 2028-02-29 13:00:00"),
            ("@daily", "Wed 2028-03-01 00:00:00"),
            ("@midnight", "Wed 2028-03-01 00:00:00"),
            ("@weekly", "Sun 2028-03-05 00:00:00"),
            ("@monthly", "Wed 2028-03-01 00:00:00"),
            ("@yearly", "Mon 2029-01-01 00:00:00"),
            ("@annually", "Mon 2029-01-01 00:00:00"),
        ] {
            assert_eq!(runs(mac, after, 1), [first], "{mac}");
        }
        let err = parse_cron("@reboot").unwrap_err().to_string();
        assert!(err.contains("run_once"), "{err}");
        assert!(
            parse_cron("@Daily").is_err(),
            "crontab's macros are lower case"
        );
        assert!(parse_cron("@daily 5").is_err());
    }

    #[test]
    fn six_fields_put_seconds_first() {
        let after = Utc.with_ymd_and_hms(2026, 11, 30, 15, 59, 59).unwrap();
        assert_eq!(
            runs("*/20 * * * * *", after, 3),
            [
                "Tue 2026-12-01 00:00:00",
                "Tue 2026-12-01 00:00:20",
                "Tue 2026-12-01 00:00:40"
            ]
        );
        // A time between seconds still moves to the next whole second.
        let s = parse_cron("* * * * * *").unwrap();
        let half = after + Duration::milliseconds(500);
        assert_eq!(
            s.next_after(half, wita()).unwrap().to_rfc3339(),
            "2026-12-01T00:00:00+08:00"
        );
    }

    #[test]
    fn a_leap_day_and_month_ends_come_as_the_calendar_has_them() {
        let after = Utc.with_ymd_and_hms(2026, 1, 31, 0, 0, 0).unwrap();
        assert_eq!(
            runs("0 0 29 2 *", after, 2),
            ["Tue 2028-02-29 00:00:00", "Sun 2032-02-29 00:00:00"]
        );
        assert_eq!(
            runs("0 0 31 * *", after, 3),
            [
                "Tue 2026-03-31 00:00:00",
                "Sun 2026-05-31 00:00:00",
                "Fri 2026-07-31 00:00:00"
            ]
        );
        // 29 February on a Sunday (`*/7` is 0 and 7, and starting with `*`
        // it is ANDed): 2088, then 40 years on, as 2100 is no leap year.
        assert_eq!(
            runs(
                "0 0 29 2 */7",
                Utc.with_ymd_and_hms(2061, 1, 1, 0, 0, 0).unwrap(),
                2
            ),
            ["Sun 2088-02-29 00:00:00", "Sun 2128-02-29 00:00:00"]
        );
    }

    #[test]
    fn runs_past_the_cron_crates_last_year_keep_the_calendar() {
        // The crate searches 1970–2100; later years are asked of a year
        // with the same calendar and put back.
        let new_year = Utc.with_ymd_and_hms(2100, 12, 30, 16, 0, 0).unwrap(); // 31 Dec WITA
        assert_eq!(
            runs("0 9 * * mon", new_year, 3),
            [
                "Mon 2101-01-03 09:00:00",
                "Mon 2101-01-10 09:00:00",
                "Mon 2101-01-17 09:00:00"
            ]
        );
        assert_eq!(
            runs("0 0 * * *", new_year, 2),
            ["Sat 2101-01-01 00:00:00", "Sun 2101-01-02 00:00:00"]
        );
        // 2200 is no leap year: 28 February, then 1 March.
        let feb = Utc.with_ymd_and_hms(2200, 2, 27, 16, 0, 0).unwrap(); // 28 Feb WITA
        assert_eq!(
            runs("30 23 28-29 2,3 *", feb, 2),
            ["Fri 2200-02-28 23:30:00", "Fri 2200-03-28 23:30:00"]
        );
    }

    #[test]
    fn what_crontab_refuses_is_refused_saying_what_to_write() {
        for (expr, says) in [
            ("0 0 * * 7-1", "write `7,1`"),
            ("0 0 * * sat-sun", "write `6-7`"),
            ("0 0 * * fri-tue", "write `5-7,1-2`"),
            ("0 22-2 * * *", "write `22-23,0-2`"),
            ("5/10 * * * *", "write `5-59/10`"),
            ("*/0 * * * *", "a step of 0"),
            ("0 0 * * 8", "not a weekday (0–7"),
            ("0 0 0 * *", "not a day of the month (1–31)"),
            ("0 0 * 13 *", "not a month"),
            ("0 0 * * monday", "not a weekday"),
            ("0 0 * * mon#2", "Quartz"),
            ("0 0 ? * mon", "write `*`"),
            ("0 0 L * *", "not crontab's"),
            ("0 0 1W * *", "not a day of the month"),
            ("0 ~ * * *", "random"),
            ("0 0 1,,2 * *", "missing"),
            ("*-5 * * * *", "range"),
            ("0 0 30 2 *", "never runs"),
            ("0 0 31 4,6,9,11 *", "never runs"),
            ("0 0 0 1 1 * 2027", "year"),
            ("0 0 1 1", "4 fields"),
            ("@fortnightly", "@hourly"),
        ] {
            let err = parse_cron(expr).expect_err(expr).to_string();
            assert!(err.starts_with(&format!("`{expr}` ")), "{err}");
            assert!(err.contains(says), "{expr}: {err}");
        }
        // What crontab accepts that looks odd: a step past the range's end,
        // leading zeros, one end a name.
        for ok in ["*/90 * * * *", "05 07 * * *", "0 0 * * 1-fri", "0 0 31 2 1"] {
            assert!(parse_cron(ok).is_ok(), "{ok}");
        }
    }
}
