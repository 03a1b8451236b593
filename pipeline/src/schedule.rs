//! When each job runs: cron expressions from `[schedule]`, read in the
//! office's timezone. The jobs themselves and their locks are in
//! [`crate::job`].
//!
//! Cron is written the common 5-field way (`min hour day month weekday`,
//! weekday 0–7 with 0 and 7 Sunday, or names). The `cron` crate wants
//! seconds first and counts weekdays 1–7 from Sunday, so a 5-field
//! expression gets `0` seconds and its numeric weekdays shifted; 6- and
//! 7-field expressions are taken as the crate reads them.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};

use crate::job::Job;

/// A parsed cron schedule (the `cron` crate's).
pub use cron::Schedule;

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

/// Reads a cron expression (5, 6 or 7 fields), or says what is wrong.
pub fn parse_cron(expr: &str) -> Result<cron::Schedule, String> {
    let fields: Vec<&str> = expr.split_whitespace().collect();
    let full = match fields.len() {
        5 => {
            let weekday = shift_weekdays(fields[4])?;
            format!(
                "0 {} {} {} {} {}",
                fields[0], fields[1], fields[2], fields[3], weekday
            )
        }
        6 | 7 => fields.join(" "),
        n => {
            return Err(format!(
                "`{expr}` has {n} fields; write minute hour day month weekday, e.g. \"0 1 * * *\""
            ));
        }
    };
    cron::Schedule::from_str(&full).map_err(|e| format!("`{expr}` is not a cron expression: {e}"))
}

/// Common cron weekdays (0–7, Sunday 0 and 7) as the `cron` crate's (1–7,
/// Sunday 1). Names and `*` pass unchanged.
fn shift_weekdays(field: &str) -> Result<String, String> {
    let day = |s: &str| -> Result<Option<u32>, String> {
        if s.chars().all(|c| c.is_ascii_digit()) && !s.is_empty() {
            let n: u32 = s.parse().map_err(|_| format!("weekday `{s}`"))?;
            if n > 7 {
                return Err(format!("weekday `{s}` is not 0–7 (0 and 7 are Sunday)"));
            }
            Ok(Some(n % 7 + 1))
        } else {
            Ok(None)
        }
    };
    let mut parts = Vec::new();
    for part in field.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (r, Some(s)),
            None => (part, None),
        };
        let shifted = match range.split_once('-') {
            Some((a, b)) => match (day(a)?, day(b)?) {
                // `5-7` (Friday to Sunday) ends on Sunday, which is 1 here.
                (Some(x), Some(1)) if x > 1 => format!("{x}-7,1"),
                (Some(x), Some(y)) => format!("{x}-{y}"),
                _ => range.to_string(),
            },
            None => match day(range)? {
                Some(x) => x.to_string(),
                None => range.to_string(),
            },
        };
        parts.push(match step {
            Some(s) => format!("{shifted}/{s}"),
            None => shifted,
        });
    }
    Ok(parts.join(","))
}

/// The next `n` times after `after`, in the office's timezone.
pub fn next_runs(
    schedule: &cron::Schedule,
    after: DateTime<Utc>,
    tz: FixedOffset,
    n: usize,
) -> Vec<DateTime<FixedOffset>> {
    schedule.after(&after.with_timezone(&tz)).take(n).collect()
}

/// When a job first comes due after the daemon starts. `last_run` is when
/// it last ran (from the history). If a scheduled time passed since then
/// (the daemon was down), `run_once` runs it now and `skip` waits for the
/// next time.
pub fn first_due(
    schedule: &cron::Schedule,
    entry: &ScheduleEntry,
    last_run: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    tz: FixedOffset,
) -> Option<DateTime<Utc>> {
    let missed = last_run
        .and_then(|l| schedule.after(&l.with_timezone(&tz)).next())
        .is_some_and(|t| t.with_timezone(&Utc) <= now);
    if missed && entry.catch_up == CatchUp::RunOnce {
        return Some(now);
    }
    schedule
        .after(&now.with_timezone(&tz))
        .next()
        .map(|t| t.with_timezone(&Utc))
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
    schedule: &cron::Schedule,
    entry: &ScheduleEntry,
    failed: bool,
    attempt: u32,
    ended: DateTime<Utc>,
    tz: FixedOffset,
) -> AfterRun {
    let next_scheduled = schedule
        .after(&ended.with_timezone(&tz))
        .next()
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
            out.push((format!("schedule.{job}.cron"), e));
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
        assert!(parse_cron("*/15 * * *").unwrap_err().contains("4 fields"));
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
}
