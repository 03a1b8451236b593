//! The office's working-day calendar: which days the pickup counters are
//! open, and from which day a printed card can be collected.
//!
//! An office day is a weekday with opening hours in `[hours]` that is not
//! in `[[holidays]]` (national holidays, cuti bersama, local holidays). The
//! print date is taken in the office's timezone, not UTC: a card printed at
//! 23:30 WIB on Monday was printed on Monday.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};

use crate::config::Config;

/// True when the office is open on `day`: it has opening hours on that
/// weekday and the day is not a holiday or cuti bersama.
pub fn is_office_day(config: &Config, day: NaiveDate) -> bool {
    config.hours.on(day.weekday()).is_some()
        && !config.holidays.iter().any(|h| h.day() == Some(day))
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
    fn weekends_holidays_and_cuti_bersama_are_closed() {
        let c = bantul();
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
}
