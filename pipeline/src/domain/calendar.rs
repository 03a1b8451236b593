//! The office's working-day calendar: which days the pickup counters are
//! open, and from which day a printed card can be collected.
//!
//! An office day is a weekday with opening hours in `[hours]` that is not a
//! closed day of the office's [`HolidaySet`] (the built-in national lists,
//! the office's `[[holidays]]` and `[[holidays_removed]]`). The
//! print date is taken in the office's timezone, not UTC: a card printed at
//! 23:30 WIB on Monday was printed on Monday.
//!
//! [`WorkingTime`] measures SLA steps in working time: only the seconds
//! inside the opening hours of office days count, read in the office's
//! timezone.

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, Utc, Weekday};

use crate::config::Config;
use crate::domain::holidays::HolidaySet;

/// True when the office is open on `day`: it has opening hours on that
/// weekday and the day is not a holiday or cuti bersama.
pub fn is_office_day(config: &Config, holidays: &HolidaySet, day: NaiveDate) -> bool {
    config.hours.on(day.weekday()).is_some() && !holidays.is_closed(day)
}

/// The first day a card printed at `printed_at` can be collected: the print
/// date in the office timezone plus `lead_days` office days (the courier's
/// lead time). With no lead time it is the print date itself when that is an
/// office day, else the next office day.
///
/// A configuration without any office day (which `config check` refuses)
/// gives the print date plus `lead_days` calendar days rather than looping.
pub fn pickup_date(printed_at: DateTime<Utc>, lead_days: u32, config: &Config) -> NaiveDate {
    let printed = printed_at
        .with_timezone(&config.office.timezone.offset())
        .date_naive();
    let holidays = HolidaySet::for_config(config);
    let is_office_day = |_: &Config, day| is_office_day(config, &holidays, day);
    // Two years of closed days in a row is no calendar at all.
    const GIVE_UP: i64 = 730;
    let mut day = printed;
    let mut left = lead_days;
    if left == 0 {
        for _ in 0..GIVE_UP {
            if is_office_day(config, day) {
                return day;
            }
            day += Duration::days(1);
        }
        return printed;
    }
    for _ in 0..GIVE_UP * i64::from(lead_days) {
        day += Duration::days(1);
        if is_office_day(config, day) {
            left -= 1;
            if left == 0 {
                return day;
            }
        }
    }
    printed + Duration::days(i64::from(lead_days))
}

/// The office's working time: opening hours per weekday, closed days and
/// the timezone, ready for counting working seconds between two instants.
#[derive(Debug, Clone)]
pub struct WorkingTime {
    offset: FixedOffset,
    /// Opening and closing second of the day, Monday first; `None` closed.
    hours: [Option<(i64, i64)>; 7],
    holidays: HolidaySet,
}

impl WorkingTime {
    /// From the configuration: `[hours]`, the office's holidays and the
    /// timezone.
    pub fn new(config: &Config) -> WorkingTime {
        let secs =
            |t: chrono::NaiveTime| i64::from(chrono::Timelike::num_seconds_from_midnight(&t));
        let mut hours = [None; 7];
        for (i, day) in [
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
            Weekday::Sat,
            Weekday::Sun,
        ]
        .into_iter()
        .enumerate()
        {
            hours[i] = config.hours.on(day).map(|(o, c)| (secs(o), secs(c)));
        }
        WorkingTime {
            offset: config.office.timezone.offset(),
            hours,
            holidays: HolidaySet::for_config(config),
        }
    }

    /// The office's UTC offset.
    pub fn offset(&self) -> FixedOffset {
        self.offset
    }

    /// The closed days counted, and the years they cover.
    pub fn holidays(&self) -> &HolidaySet {
        &self.holidays
    }

    /// The longest opening of any weekday, in seconds: "a full office day".
    pub fn longest_day(&self) -> i64 {
        self.hours
            .iter()
            .flatten()
            .map(|(open, close)| close - open)
            .max()
            .unwrap_or(0)
    }

    /// Opening hours of a date as seconds of the day, `None` when the
    /// office is closed (a weekday without hours, a holiday, cuti bersama).
    pub fn open_on(&self, day: NaiveDate) -> Option<(i64, i64)> {
        if self.holidays.is_closed(day) {
            return None;
        }
        self.hours[day.weekday().num_days_from_monday() as usize]
    }

    /// Working seconds from `from` to `to`: the parts of the interval that
    /// fall inside opening hours of office days, in office time. Zero when
    /// `to` is not after `from`.
    pub fn seconds_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
        if to <= from {
            return 0;
        }
        let a = from.with_timezone(&self.offset).naive_local();
        let b = to.with_timezone(&self.offset).naive_local();
        let mut total = 0;
        let mut day = a.date();
        while day <= b.date() {
            if let Some((open, close)) = self.open_on(day) {
                let midnight = day.and_time(chrono::NaiveTime::MIN);
                let start = midnight + Duration::seconds(open);
                let end = midnight + Duration::seconds(close);
                let lo = start.max(a);
                let hi = end.min(b);
                if hi > lo {
                    total += (hi - lo).num_seconds();
                }
            }
            day += Duration::days(1);
        }
        total
    }
}

/// Month names in Bahasa Indonesia.
pub const MONTHS: [&str; 12] = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
];

/// A date as Indonesian documents write it: `26 November 2026`.
pub fn date_id(d: NaiveDate) -> String {
    format!("{} {} {}", d.day(), MONTHS[d.month0() as usize], d.year())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use chrono::TimeZone;

    use super::*;
    use crate::config::profiles;

    fn bantul() -> Config {
        Config::from_toml(
            profiles::text("bantul").unwrap(),
            Path::new("/o/sigap.toml"),
        )
        .unwrap()
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
    }

    #[test]
    fn working_time_counts_only_opening_hours_of_office_days() {
        let c = bantul();
        let w = WorkingTime::new(&c);
        // Bantul: Mon-Thu 08:00-15:30, Fri 08:00-14:30 WIB (UTC+7).
        // Monday 23 Nov 2026 09:00 WIB to 11:30 WIB: 2.5 h.
        assert_eq!(
            w.seconds_between(utc(2026, 11, 23, 2, 0), utc(2026, 11, 23, 4, 30)),
            9000
        );
        // Before opening to after closing on Monday: the whole 7.5 h day.
        assert_eq!(
            w.seconds_between(utc(2026, 11, 22, 20, 0), utc(2026, 11, 23, 12, 0)),
            27_000
        );
        // Friday 14:00 WIB to Monday 09:00 WIB: 0.5 h Friday + 1 h Monday.
        assert_eq!(
            w.seconds_between(utc(2026, 11, 27, 7, 0), utc(2026, 11, 30, 2, 0)),
            5400
        );
        // Wednesday 23 Dec 15:00 WIB to Monday 28 Dec 08:30 WIB: cuti bersama,
        // Natal and the weekend between count nothing: 0.5 h + 0.5 h.
        assert_eq!(
            w.seconds_between(utc(2026, 12, 23, 8, 0), utc(2026, 12, 28, 1, 30)),
            3600
        );
        assert_eq!(
            w.seconds_between(utc(2026, 11, 23, 4, 0), utc(2026, 11, 23, 2, 0)),
            0
        );
    }

    #[test]
    fn working_time_is_read_in_the_office_timezone() {
        let mut c = bantul();
        // 00:30 UTC Monday is 07:30 WIB (closed) but 09:30 WIT (open).
        let from = utc(2026, 11, 23, 0, 30);
        let to = utc(2026, 11, 23, 1, 30);
        assert_eq!(WorkingTime::new(&c).seconds_between(from, to), 1800);
        c.office.timezone = crate::config::Timezone::WIT;
        assert_eq!(WorkingTime::new(&c).seconds_between(from, to), 3600);
    }

    #[test]
    fn weekends_holidays_and_cuti_bersama_are_closed() {
        let c = bantul();
        let h = HolidaySet::for_config(&c);
        let is_office_day = |c: &Config, d| is_office_day(c, &h, d);
        assert!(is_office_day(&c, date(2026, 12, 23)), "Wednesday");
        assert!(!is_office_day(&c, date(2026, 12, 24)), "cuti bersama Natal");
        assert!(!is_office_day(&c, date(2026, 12, 25)), "Natal");
        assert!(!is_office_day(&c, date(2026, 12, 26)), "Saturday");
        assert!(!is_office_day(&c, date(2026, 12, 27)), "Sunday");
        assert!(is_office_day(&c, date(2026, 12, 28)), "Monday");
    }

    #[test]
    fn the_lead_time_skips_a_holiday_and_a_weekend() {
        let c = bantul();
        // Wednesday 23 Dec 2026, 10:00 WIB; one courier day.
        let printed = utc(2026, 12, 23, 3, 0);
        assert_eq!(pickup_date(printed, 1, &c), date(2026, 12, 28));
        assert_eq!(pickup_date(printed, 2, &c), date(2026, 12, 29));
        // Tuesday 22 Dec: Wednesday is an office day.
        assert_eq!(
            pickup_date(utc(2026, 12, 22, 3, 0), 1, &c),
            date(2026, 12, 23)
        );
    }

    #[test]
    fn the_lead_time_skips_a_plain_weekend() {
        let c = bantul();
        // Friday 20 Nov 2026 → Monday 23 Nov.
        assert_eq!(
            pickup_date(utc(2026, 11, 20, 3, 0), 1, &c),
            date(2026, 11, 23)
        );
        assert_eq!(
            pickup_date(utc(2026, 11, 20, 3, 0), 3, &c),
            date(2026, 11, 25)
        );
    }

    #[test]
    fn the_print_date_is_the_office_date_not_utc() {
        let c = bantul();
        // 18:00 UTC Monday 23 Nov is 01:00 WIB Tuesday 24 Nov.
        assert_eq!(
            pickup_date(utc(2026, 11, 23, 18, 0), 1, &c),
            date(2026, 11, 25)
        );
        assert_eq!(
            pickup_date(utc(2026, 11, 23, 16, 0), 1, &c),
            date(2026, 11, 24)
        );
    }

    #[test]
    fn without_lead_time_a_closed_print_day_moves_to_the_next_office_day() {
        let c = bantul();
        assert_eq!(
            pickup_date(utc(2026, 11, 24, 3, 0), 0, &c),
            date(2026, 11, 24)
        );
        // Printed on Christmas Day: Monday 28 Dec.
        assert_eq!(
            pickup_date(utc(2026, 12, 25, 3, 0), 0, &c),
            date(2026, 12, 28)
        );
    }

    #[test]
    fn the_2027_national_days_close_the_office_without_any_config_entry() {
        let mut c = bantul();
        c.holidays.clear();
        // Tuesday 9 Mar 2027 10:00 WIB, one courier day: 9-12 and 15 Mar
        // are Idul Fitri and its cuti bersama, 13-14 the weekend.
        assert_eq!(pickup_date(utc(2027, 3, 9, 3, 0), 1, &c), date(2027, 3, 16));
        // The office works Idul Fitri's second day: it says so and why.
        c.holidays_removed.push(crate::config::RemovedHoliday {
            date: "2027-03-11".into(),
            reason: "contoh".into(),
        });
        assert_eq!(pickup_date(utc(2027, 3, 9, 3, 0), 1, &c), date(2027, 3, 11));
    }
}
