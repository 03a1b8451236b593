//! When each job runs: cron expressions from `[schedule]`, read in the
//! office's timezone. The jobs themselves and their locks are in
//! [`crate::job`].
//!
//! Cron is read as crontab (Vixie cron, cronie) reads it, by one matcher
//! here rather than a crate's dialect: `min hour day month weekday`, each a
//! list of `*`, `N`, `A-B`, `*/S` or `A-B/S`; weekdays 0–7 (0 and 7 Sunday)
//! or `sun`–`sat`, months 1–12 or `jan`–`dec`, names in any case; `@hourly`,
//! `@daily` (`@midnight`), `@weekly`, `@monthly`, `@yearly` (`@annually`).
//! When both the day of the month and the weekday are restricted (neither
//! field starts with `*`) a day runs when either matches, as crontab does
//! (`0 9 1 * 1`: every Monday and every 1st). Six fields put seconds first.
//! What crontab refuses is refused, with what to write instead; so are the
//! extensions crontab lacks (`?`, `L`, `W`, `#`, `~`, `@reboot`, a year
//! field) and an expression that can never run.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveTime, Timelike, Utc};
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

/// A cron schedule as crontab reads it: the seconds, minutes, hours, days
/// of the month, months and weekdays it runs at, and how the day fields
/// combine. Made by [`parse_cron`]; [`Schedule::next_after`] says when it
/// runs next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    seconds: u64,
    minutes: u64,
    hours: u64,
    days: u64,
    months: u64,
    /// Bit 0 Sunday … bit 6 Saturday (a written 7 is folded into 0).
    weekdays: u64,
    /// Both day fields are restricted (neither starts with `*`): a day runs
    /// when either matches. Otherwise both must match, as in crontab.
    day_or: bool,
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
        let schedule = Schedule {
            seconds,
            minutes: parse_field(&MINUTE, minute).map_err(fail)?,
            hours: parse_field(&HOUR, hour).map_err(fail)?,
            days: parse_field(&DAY, day).map_err(fail)?,
            months: parse_field(&MONTH, month).map_err(fail)?,
            // 7 is Sunday too.
            weekdays: (weekdays | weekdays >> 7) & 0x7f,
            // cronie's DOM_STAR / DOW_STAR: a field starting with `*` (also
            // `*/2`) leaves the other one to decide.
            day_or: !day.starts_with('*') && !weekday.starts_with('*'),
        };
        if !schedule.day_or && !schedule.some_month_has_a_day() {
            return Err(fail(format!(
                "never runs: no month in `{month}` has a day `{day}`; check the day and month"
            )));
        }
        Ok(schedule)
    }
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

impl Schedule {
    /// Whether any month of the schedule has one of its days of the month
    /// (every date falls on every weekday in some year, so with the
    /// weekday ANDed in this is all that can stop it running).
    fn some_month_has_a_day(&self) -> bool {
        (1..=12).any(|m| {
            self.months & 1 << m != 0 && (1..=longest_month(m)).any(|d| self.days & 1 << d != 0)
        })
    }

    /// Whether the schedule runs on `date` (its month, day and weekday).
    fn runs_on(&self, date: NaiveDate) -> bool {
        let day = self.days & 1 << date.day() != 0;
        let weekday = self.weekdays & 1 << date.weekday().num_days_from_sunday() != 0;
        self.months & 1 << date.month() != 0
            && if self.day_or {
                day || weekday
            } else {
                day && weekday
            }
    }

    /// The first time of day at or after `from` the schedule runs at.
    fn first_time_from(&self, from: NaiveTime) -> Option<NaiveTime> {
        let (h0, m0, s0) = (from.hour(), from.minute(), from.second());
        for h in (h0..24).filter(|h| self.hours & 1 << h != 0) {
            let m_from = if h == h0 { m0 } else { 0 };
            for m in (m_from..60).filter(|m| self.minutes & 1 << m != 0) {
                let s_from = if h == h0 && m == m0 { s0 } else { 0 };
                if let Some(s) = (s_from..60).find(|s| self.seconds & 1 << s != 0) {
                    return NaiveTime::from_hms_opt(h, m, s);
                }
            }
        }
        None
    }

    /// The first time strictly after `after` the schedule runs at, in the
    /// office's timezone (a fixed offset, so every local time exists once).
    pub fn next_after(
        &self,
        after: DateTime<Utc>,
        tz: FixedOffset,
    ) -> Option<DateTime<FixedOffset>> {
        let local = after.with_timezone(&tz).naive_local();
        // Runs fall on whole seconds: the first candidate is the next one.
        let start = local.with_nanosecond(0)? + Duration::seconds(1);
        let mut date = start.date();
        let mut from = start.time();
        let last_year = date.year() + HORIZON_YEARS;
        while date.year() <= last_year {
            if self.months & 1 << date.month() == 0 {
                // Skip the rest of a month the schedule does not run in.
                let (y, m) = (date.year(), date.month());
                date = NaiveDate::from_ymd_opt(y + (m / 12) as i32, m % 12 + 1, 1)?;
                from = NaiveTime::MIN;
                continue;
            }
            if self.runs_on(date)
                && let Some(time) = self.first_time_from(from)
            {
                return date.and_time(time).and_local_timezone(tz).single();
            }
            date = date.succ_opt()?;
            from = NaiveTime::MIN;
        }
        None
    }
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
/// next time.
pub fn first_due(
    schedule: &Schedule,
    entry: &ScheduleEntry,
    last_run: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    tz: FixedOffset,
) -> Option<DateTime<Utc>> {
    let missed = last_run
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
            now,
            wib,
        );
        assert_eq!(
            once.unwrap().with_timezone(&wib).to_rfc3339(),
            "2026-11-27T01:00:00+07:00"
        );
        // Never ran: nothing to catch up.
        let never = first_due(&s, &entry("0 1 * * *", CatchUp::RunOnce, 0), None, now, wib);
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
