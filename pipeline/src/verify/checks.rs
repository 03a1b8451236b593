//! The checks of one application against its population record, each
//! giving [`Reason`]s. Which outcome the reasons lead to is decided in
//! [`super::outcome`].

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate};

use super::name::{NameMatch, compare};
use crate::domain::application::Application;
use crate::domain::nik::{NikInfo, parse_kk};
use crate::domain::reason::Reason;
use crate::domain::wilayah::Wilayah;
use crate::ports::Person;

/// Status values of the population database.
const MENINGGAL: &str = "MENINGGAL";
const PINDAH: &str = "PINDAH";
/// Marital status of someone never married.
const BELUM_KAWIN: &str = "BELUM KAWIN";

/// Age in whole years on `on` (a birthday on 29 February counts from 1 March
/// in other years).
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> i32 {
    let mut years = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    years
}

/// What the checks need to know besides the application and the record.
pub struct Context<'a> {
    /// Dotted code of this office's kabupaten (`34.02`).
    pub kabupaten_code: &'a str,
    /// Region codes, for reading the KK number.
    pub wilayah: &'a Wilayah,
    /// The submission date in the office's timezone.
    pub submitted_on: NaiveDate,
}

/// Findings about the person on record: status, residence, name, birth
/// date, sex, KK number, and for KTP-el services age and perekaman.
pub fn against_record(
    app: &Application,
    nik: &NikInfo,
    person: &Person,
    ctx: &Context<'_>,
    found: &mut BTreeSet<Reason>,
) {
    let s = &app.submitted;
    match person.status.trim() {
        MENINGGAL => {
            found.insert(Reason::Deceased);
        }
        PINDAH => {
            found.insert(Reason::MovedOut);
        }
        _ => {}
    }
    let district = person.district_code.trim();
    let in_kabupaten = district
        .strip_prefix(ctx.kabupaten_code)
        .is_some_and(|rest| rest.starts_with('.'));
    if !in_kabupaten {
        found.insert(Reason::NotResident);
    }
    match compare(&s.name, &person.name) {
        NameMatch::Same => {}
        NameMatch::Near => {
            found.insert(Reason::NameNearMatch);
        }
        NameMatch::Different => {
            found.insert(Reason::NameMismatch);
        }
    }
    // No birth date given cannot be confirmed: the same as a wrong one.
    if s.birth_date.is_none() || s.birth_date != person.birth_date {
        found.insert(Reason::BirthDateMismatch);
    }
    if person.sex.trim() != nik.sex.code() {
        found.insert(Reason::SexMismatch);
    }
    if let Some(kk) = s.kk_number.as_deref().filter(|k| !k.trim().is_empty()) {
        // An unreadable KK number cannot be matched either: a person looks.
        let same = parse_kk(kk, ctx.wilayah, ctx.submitted_on)
            .is_ok_and(|info| info.number.as_str() == person.kk_number.trim());
        if !same {
            found.insert(Reason::KkMismatch);
        }
    }
    if s.service.is_ktp() {
        // The record's birth date decides; the NIK's is the fallback.
        let birth = person.birth_date.unwrap_or(nik.birth_date);
        let married =
            !person.marital_status.trim().is_empty() && person.marital_status.trim() != BELUM_KAWIN;
        if age_on(birth, ctx.submitted_on) < 17 && !married {
            found.insert(Reason::Underage);
        }
        if !person.biometric_recorded {
            found.insert(Reason::NotRecorded);
        }
    }
}

/// The document kinds the service needs that are not on file.
pub fn missing_documents<'a>(
    required: &'a [String],
    on_file: Option<&BTreeSet<String>>,
) -> Vec<&'a str> {
    required
        .iter()
        .filter(|k| on_file.is_none_or(|have| !have.contains(*k)))
        .map(String::as_str)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn age_counts_whole_years_on_the_day() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(age_on(d(2009, 11, 20), d(2026, 11, 19)), 16);
        assert_eq!(age_on(d(2009, 11, 20), d(2026, 11, 20)), 17);
        assert_eq!(age_on(d(2008, 2, 29), d(2025, 2, 28)), 16);
        assert_eq!(age_on(d(2008, 2, 29), d(2025, 3, 1)), 17);
    }

    #[test]
    fn missing_documents_are_the_required_ones_not_on_file() {
        let required = vec!["kk".to_string(), "surat_kehilangan".to_string()];
        let have = BTreeSet::from(["kk".to_string(), "foto".to_string()]);
        assert_eq!(
            missing_documents(&required, Some(&have)),
            ["surat_kehilangan"]
        );
        assert_eq!(missing_documents(&required, None).len(), 2);
        assert!(missing_documents(&[], None).is_empty());
    }
}
