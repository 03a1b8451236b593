//! NIK (Nomor Induk Kependudukan) and KK (Kartu Keluarga) numbers.
//!
//! A NIK is `PPKKCC DDMMYY SSSS`: the kecamatan where it was issued, the
//! birth date (day + 40 for women) and a serial. A KK number is
//! `PPKKCC DDMMYY SSSS` with the registration date instead of a birth date.
//! Both are read from what people actually type: spaces, dots and dashes
//! between groups, and the leading apostrophe spreadsheets use to keep a
//! number as text. A number a spreadsheet has already turned into scientific
//! notation (`3.40201E+15`) has lost digits; that is its own error, and no
//! digits are ever guessed.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::domain::wilayah::{District, Wilayah};

/// Sex as recorded on the KTP: `L` (laki-laki) or `P` (perempuan).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Sex {
    /// Laki-laki (male).
    L,
    /// Perempuan (female).
    P,
}

impl Sex {
    /// The letter used in the population database.
    pub fn code(self) -> &'static str {
        match self {
            Sex::L => "L",
            Sex::P => "P",
        }
    }

    /// The Indonesian word, for documents.
    pub fn label(self) -> &'static str {
        match self {
            Sex::L => "Laki-laki",
            Sex::P => "Perempuan",
        }
    }
}

/// Which rule a NIK or KK number broke. Each variant is one rule, so a
/// caller can say exactly what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumberError {
    /// Nothing was given.
    #[error("empty: no digits were given")]
    Empty,
    /// A spreadsheet turned the number into scientific notation, losing digits.
    #[error(
        "`{input}` is in scientific notation: a spreadsheet stored the number as a float and dropped digits; re-export the column as text"
    )]
    ScientificNotation {
        /// What was given.
        input: String,
    },
    /// A character that is not a digit (after removing separators).
    #[error("character `{found}` at position {position} is not a digit")]
    NotADigit {
        /// The offending character.
        found: char,
        /// 1-based position in the cleaned number.
        position: usize,
    },
    /// Not 16 digits.
    #[error("has {len} digits; a NIK or KK number has exactly 16")]
    WrongLength {
        /// How many digits there were.
        len: usize,
    },
    /// The first six digits are not a kecamatan in the Kemendagri list.
    #[error("region code {code} is not a kecamatan in the Kemendagri list")]
    UnknownRegion {
        /// The 6-digit code.
        code: String,
    },
    /// Day is not 01–31 (men) or 41–71 (women).
    #[error("day {day:02} is out of range: 01-31 for men, 41-71 for women")]
    DayOutOfRange {
        /// The two digits as a number.
        day: u32,
    },
    /// Day of a KK registration date is not 01–31.
    #[error("day {day:02} of the registration date is out of range 01-31")]
    KkDayOutOfRange {
        /// The two digits as a number.
        day: u32,
    },
    /// Month is not 01–12.
    #[error("month {month:02} is out of range 01-12")]
    MonthOutOfRange {
        /// The two digits as a number.
        month: u32,
    },
    /// Day and month are in range but the date does not exist.
    #[error("{day:02}-{month:02}-{year} is not a real date")]
    NoSuchDate {
        /// Day of month (women's +40 removed).
        day: u32,
        /// Month.
        month: u32,
        /// Four-digit year after the century was chosen.
        year: i32,
    },
    /// The last four digits are 0000.
    #[error("serial number 0000 is never issued")]
    SerialZero,
}

impl NumberError {
    /// A stable code for the rule, for machine-readable output.
    pub fn code(&self) -> &'static str {
        match self {
            NumberError::Empty => "EMPTY",
            NumberError::ScientificNotation { .. } => "SCIENTIFIC_NOTATION",
            NumberError::NotADigit { .. } => "NOT_A_DIGIT",
            NumberError::WrongLength { .. } => "WRONG_LENGTH",
            NumberError::UnknownRegion { .. } => "UNKNOWN_REGION",
            NumberError::DayOutOfRange { .. } | NumberError::KkDayOutOfRange { .. } => {
                "DAY_OUT_OF_RANGE"
            }
            NumberError::MonthOutOfRange { .. } => "MONTH_OUT_OF_RANGE",
            NumberError::NoSuchDate { .. } => "NO_SUCH_DATE",
            NumberError::SerialZero => "SERIAL_ZERO",
        }
    }
}

/// A NIK that passed every structural rule.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Nik(String);

impl Nik {
    /// The 16 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form that may appear in notices and logs: `3402**********01`.
    pub fn masked(&self) -> String {
        mask(&self.0)
    }
}

impl fmt::Display for Nik {
    // Display masks on purpose: a NIK formatted into a message by accident
    // must not leak. Use `as_str` where the whole number is needed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

/// Masks any NIK-like string to its first 4 and last 2 characters.
pub fn mask(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= 6 {
        return "*".repeat(chars.len());
    }
    let mut out: String = chars[..4].iter().collect();
    out.push_str(&"*".repeat(chars.len() - 6));
    out.extend(&chars[chars.len() - 2..]);
    out
}

/// What a valid NIK says about its holder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NikInfo {
    /// The number itself.
    pub nik: Nik,
    /// The kecamatan that issued it.
    pub district: District,
    /// Birth date, century chosen so it is not in the future.
    pub birth_date: NaiveDate,
    /// Sex, from the day (+40 for women).
    pub sex: Sex,
    /// The last four digits.
    pub serial: u16,
}

/// A KK number that passed every structural rule.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct KkNumber(String);

impl KkNumber {
    /// The 16 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a valid KK number says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KkInfo {
    /// The number itself.
    pub number: KkNumber,
    /// The kecamatan that issued it.
    pub district: District,
    /// The date the family card was registered.
    pub registered_on: NaiveDate,
    /// The last four digits.
    pub serial: u16,
}

/// Removes what people type between digit groups: surrounding space, a
/// leading spreadsheet apostrophe, inner spaces (also non-breaking), dots,
/// dashes. Scientific notation is reported, never "repaired".
pub fn clean_digits(input: &str) -> Result<String, NumberError> {
    let trimmed = input
        .trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
        .trim_start_matches(['\'', '`', '\u{2019}']);
    if trimmed.is_empty() {
        return Err(NumberError::Empty);
    }
    if looks_scientific(trimmed) {
        return Err(NumberError::ScientificNotation {
            input: trimmed.to_string(),
        });
    }
    let cleaned: String = trimmed
        .chars()
        .filter(|c| !(c.is_whitespace() || matches!(c, '.' | '-' | '\u{2013}' | '/')))
        .collect();
    if let Some((i, c)) = cleaned.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        let position = cleaned[..i].chars().count() + 1;
        return Err(NumberError::NotADigit { found: c, position });
    }
    if cleaned.len() != 16 {
        return Err(NumberError::WrongLength { len: cleaned.len() });
    }
    Ok(cleaned)
}

/// `3.40201E+15`, `3,40201e15`, `3E+15`: mantissa, optional decimal part
/// (dot or the Indonesian decimal comma), `E`, optional sign, exponent.
fn looks_scientific(s: &str) -> bool {
    let Some(e) = s.find(['e', 'E']) else {
        return false;
    };
    let (mantissa, exponent) = (&s[..e], &s[e + 1..]);
    let exponent = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
    let mut parts = mantissa.splitn(2, ['.', ',']);
    let int = parts.next().unwrap_or("");
    let frac = parts.next().unwrap_or("0");
    !int.is_empty()
        && int.chars().all(|c| c.is_ascii_digit())
        && frac.chars().all(|c| c.is_ascii_digit())
        && !exponent.is_empty()
        && exponent.chars().all(|c| c.is_ascii_digit())
}

fn two(d: &str, at: usize) -> u32 {
    d[at..at + 2].parse().expect("checked digits")
}

/// Picks 20yy unless that would put the date after `today`, then 19yy.
fn choose_year(yy: u32, month: u32, day: u32, today: NaiveDate) -> i32 {
    let modern = 2000 + yy as i32;
    let in_future = (modern, month, day) > (today.year(), today.month(), today.day());
    if in_future { modern - 100 } else { modern }
}

fn region<'w>(digits: &str, wilayah: &'w Wilayah) -> Result<&'w District, NumberError> {
    wilayah
        .district(&digits[..6])
        .ok_or_else(|| NumberError::UnknownRegion {
            code: digits[..6].to_string(),
        })
}

fn serial(digits: &str) -> Result<u16, NumberError> {
    let serial: u16 = digits[12..16].parse().expect("checked digits");
    if serial == 0 {
        Err(NumberError::SerialZero)
    } else {
        Ok(serial)
    }
}

fn date(day: u32, month: u32, yy: u32, today: NaiveDate) -> Result<NaiveDate, NumberError> {
    if !(1..=12).contains(&month) {
        return Err(NumberError::MonthOutOfRange { month });
    }
    let year = choose_year(yy, month, day, today);
    NaiveDate::from_ymd_opt(year, month, day).ok_or(NumberError::NoSuchDate { day, month, year })
}

/// Parses and checks a NIK. `today` (in the office's timezone) decides the
/// century of the birth year.
pub fn parse_nik(input: &str, wilayah: &Wilayah, today: NaiveDate) -> Result<NikInfo, NumberError> {
    let d = clean_digits(input)?;
    let district = region(&d, wilayah)?;
    let raw_day = two(&d, 6);
    let (day, sex) = match raw_day {
        1..=31 => (raw_day, Sex::L),
        41..=71 => (raw_day - 40, Sex::P),
        _ => return Err(NumberError::DayOutOfRange { day: raw_day }),
    };
    let birth_date = date(day, two(&d, 8), two(&d, 10), today)?;
    let serial = serial(&d)?;
    Ok(NikInfo {
        nik: Nik(d),
        district: district.clone(),
        birth_date,
        sex,
        serial,
    })
}

/// Parses and checks a KK number. `today` decides the century of the
/// registration year.
pub fn parse_kk(input: &str, wilayah: &Wilayah, today: NaiveDate) -> Result<KkInfo, NumberError> {
    let d = clean_digits(input)?;
    let district = region(&d, wilayah)?;
    let day = two(&d, 6);
    if !(1..=31).contains(&day) {
        return Err(NumberError::KkDayOutOfRange { day });
    }
    let registered_on = date(day, two(&d, 8), two(&d, 10), today)?;
    let serial = serial(&d)?;
    Ok(KkInfo {
        number: KkNumber(d),
        district: district.clone(),
        registered_on,
        serial,
    })
}

/// Builds the 16 digits of a NIK from its parts (for sample data and tests).
pub fn compose_nik(district_code: &str, birth_date: NaiveDate, sex: Sex, serial: u16) -> String {
    let day = birth_date.day() + if sex == Sex::P { 40 } else { 0 };
    format!(
        "{}{:02}{:02}{:02}{:04}",
        crate::domain::wilayah::undotted(district_code),
        day,
        birth_date.month(),
        birth_date.year().rem_euclid(100),
        serial
    )
}

/// Builds the 16 digits of a KK number from its parts.
pub fn compose_kk(district_code: &str, registered_on: NaiveDate, serial: u16) -> String {
    format!(
        "{}{}{:04}",
        crate::domain::wilayah::undotted(district_code),
        registered_on.format("%d%m%y"),
        serial
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }
    fn nik(s: &str) -> Result<NikInfo, NumberError> {
        parse_nik(s, Wilayah::embedded(), today())
    }
    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn a_mans_nik_gives_region_birth_date_and_sex() {
        let info = nik("3402151708900001").unwrap();
        assert_eq!(info.district.name, "Sewon");
        assert_eq!(info.birth_date, ymd(1990, 8, 17));
        assert_eq!(info.sex, Sex::L);
        assert_eq!(info.serial, 1);
    }

    #[test]
    fn a_womans_day_has_forty_added() {
        let info = nik("3402155708900002").unwrap();
        assert_eq!(info.birth_date, ymd(1990, 8, 17));
        assert_eq!(info.sex, Sex::P);
        assert_eq!(nik("3402154108900002").unwrap().birth_date, ymd(1990, 8, 1));
        assert_eq!(
            nik("3402157101900002").unwrap().birth_date,
            ymd(1990, 1, 31)
        );
    }

    #[test]
    fn days_outside_both_ranges_are_refused() {
        for day in ["00", "32", "40", "72", "99"] {
            let s = format!("340215{day}0890 0001");
            assert!(
                matches!(nik(&s), Err(NumberError::DayOutOfRange { .. })),
                "{s}"
            );
        }
    }

    #[test]
    fn month_must_be_1_to_12() {
        assert_eq!(
            nik("3402151700900001"),
            Err(NumberError::MonthOutOfRange { month: 0 })
        );
        assert_eq!(
            nik("3402151713900001"),
            Err(NumberError::MonthOutOfRange { month: 13 })
        );
    }

    #[test]
    fn the_29th_of_february_only_in_leap_years() {
        assert_eq!(
            nik("3402152902960001").unwrap().birth_date,
            ymd(1996, 2, 29)
        );
        // 2000 was a leap year (divisible by 400).
        assert_eq!(
            nik("3402152902000001").unwrap().birth_date,
            ymd(2000, 2, 29)
        );
        // A woman born 29 Feb 2004.
        assert_eq!(
            nik("3402156902040001").unwrap().birth_date,
            ymd(2004, 2, 29)
        );
        assert_eq!(
            nik("3402152902970001"),
            Err(NumberError::NoSuchDate {
                day: 29,
                month: 2,
                year: 1997
            })
        );
        assert_eq!(
            nik("3402153104900001"),
            Err(NumberError::NoSuchDate {
                day: 31,
                month: 4,
                year: 1990
            })
        );
    }

    #[test]
    fn the_century_keeps_the_birth_date_out_of_the_future() {
        assert_eq!(nik("3402150101050001").unwrap().birth_date, ymd(2005, 1, 1));
        assert_eq!(
            nik("3402152311260001").unwrap().birth_date,
            ymd(2026, 11, 23)
        );
        // Tomorrow in 2026 would be in the future: it is 1926.
        assert_eq!(
            nik("3402152411260001").unwrap().birth_date,
            ymd(1926, 11, 24)
        );
        assert_eq!(nik("3402150101300001").unwrap().birth_date, ymd(1930, 1, 1));
        // 29 Feb 1900 did not exist; 2000's did, and it is not in the future.
        assert_eq!(nik("3402152902000001").unwrap().birth_date.year(), 2000);
    }

    #[test]
    fn serial_0000_is_refused() {
        assert_eq!(nik("3402151708900000"), Err(NumberError::SerialZero));
    }

    #[test]
    fn an_unknown_region_is_refused() {
        assert_eq!(
            nik("3402991708900001"),
            Err(NumberError::UnknownRegion {
                code: "340299".into()
            })
        );
        assert_eq!(
            nik("9999991708900001"),
            Err(NumberError::UnknownRegion {
                code: "999999".into()
            })
        );
    }

    #[test]
    fn what_people_type_is_cleaned() {
        for s in [
            "3402151708900001",
            " 3402 1517 0890 0001 ",
            "3402.1517.0890.0001",
            "3402-1517-0890-0001",
            "'3402151708900001",
            "34 02 15 170890 0001",
            "3402\u{a0}1517\u{a0}0890\u{a0}0001",
        ] {
            assert_eq!(nik(s).unwrap().nik.as_str(), "3402151708900001", "{s:?}");
        }
    }

    #[test]
    fn scientific_notation_is_its_own_error() {
        for s in [
            "3.40201E+15",
            "3,40215E+15",
            "3.402151708900E15",
            "3E+15",
            "3.40201e+15",
        ] {
            assert!(
                matches!(nik(s), Err(NumberError::ScientificNotation { .. })),
                "{s}"
            );
        }
    }

    #[test]
    fn length_and_characters_are_checked() {
        assert_eq!(nik(""), Err(NumberError::Empty));
        assert_eq!(nik("  '  "), Err(NumberError::Empty));
        assert_eq!(
            nik("340215170890001"),
            Err(NumberError::WrongLength { len: 15 })
        );
        assert_eq!(
            nik("34021517089000011"),
            Err(NumberError::WrongLength { len: 17 })
        );
        assert_eq!(
            nik("34021517O8900001"),
            Err(NumberError::NotADigit {
                found: 'O',
                position: 9
            })
        );
    }

    #[test]
    fn masks_keep_four_and_two() {
        assert_eq!(
            nik("3402151708900001").unwrap().nik.masked(),
            "3402**********01"
        );
        assert_eq!(
            format!("{}", nik("3402151708900001").unwrap().nik),
            "3402**********01"
        );
        assert_eq!(mask("12345"), "*****");
    }

    #[test]
    fn kk_numbers_carry_a_registration_date() {
        let w = Wilayah::embedded();
        let kk = parse_kk("3402150512150003", w, today()).unwrap();
        assert_eq!(kk.registered_on, ymd(2015, 12, 5));
        assert_eq!(kk.district.name, "Sewon");
        // No +40 for a KK: day 45 is out of range.
        assert_eq!(
            parse_kk("3402154512150003", w, today()),
            Err(NumberError::KkDayOutOfRange { day: 45 })
        );
        assert_eq!(
            parse_kk("3402150512150000", w, today()),
            Err(NumberError::SerialZero)
        );
        assert!(matches!(
            parse_kk("3402153002150003", w, today()),
            Err(NumberError::NoSuchDate { .. })
        ));
    }

    #[test]
    fn compose_round_trips() {
        let s = compose_nik("34.02.15", ymd(1988, 3, 9), Sex::P, 12);
        assert_eq!(s, "3402154903880012");
        let info = nik(&s).unwrap();
        assert_eq!((info.birth_date, info.sex), (ymd(1988, 3, 9), Sex::P));
        assert_eq!(
            compose_kk("34.02.15", ymd(2015, 12, 5), 3),
            "3402150512150003"
        );
    }
}
