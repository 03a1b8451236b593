//! The services an applicant can ask for (`Jenis Permohonan`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What the applicant asks for. KTP-el services end in a printed card; KK
/// services end in a KK PDF delivered to the applicant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Service {
    /// First KTP-el (after perekaman).
    KtpBaru,
    /// Replacement for a lost KTP-el.
    KtpHilang,
    /// Replacement for a damaged KTP-el.
    KtpRusak,
    /// New KTP-el after a change of data (also "salah data").
    KtpPerubahanData,
    /// New KK after a change of data.
    KkPerubahanData,
    /// Replacement for a lost KK.
    KkHilang,
    /// Replacement for a damaged KK.
    KkRusak,
}

impl Service {
    /// Every service, in display order.
    pub const ALL: [Service; 7] = [
        Service::KtpBaru,
        Service::KtpHilang,
        Service::KtpRusak,
        Service::KtpPerubahanData,
        Service::KkPerubahanData,
        Service::KkHilang,
        Service::KkRusak,
    ];

    /// The stable code used in config, JSON and the database.
    pub fn code(self) -> &'static str {
        match self {
            Service::KtpBaru => "ktp_baru",
            Service::KtpHilang => "ktp_hilang",
            Service::KtpRusak => "ktp_rusak",
            Service::KtpPerubahanData => "ktp_perubahan_data",
            Service::KkPerubahanData => "kk_perubahan_data",
            Service::KkHilang => "kk_hilang",
            Service::KkRusak => "kk_rusak",
        }
    }

    /// The label applicants see (the Google Form's `Jenis Permohonan` value).
    pub fn label(self) -> &'static str {
        match self {
            Service::KtpBaru => "KTP-el Baru",
            Service::KtpHilang => "KTP-el Hilang",
            Service::KtpRusak => "KTP-el Rusak",
            Service::KtpPerubahanData => "KTP-el Perubahan Data",
            Service::KkPerubahanData => "KK Perubahan Data",
            Service::KkHilang => "KK Hilang",
            Service::KkRusak => "KK Rusak",
        }
    }

    /// True for the KTP-el services, whose output is a printed card.
    pub fn is_ktp(self) -> bool {
        matches!(
            self,
            Service::KtpBaru | Service::KtpHilang | Service::KtpRusak | Service::KtpPerubahanData
        )
    }

    /// Reads a code or a label as people write it: case, spacing, `-`/`_`
    /// and "KTP" for "KTP-el" do not matter; "salah data" means perubahan data.
    pub fn parse_label(input: &str) -> Option<Service> {
        let key: String = input
            .to_lowercase()
            .replace("ktp-el", "ktp")
            .replace("ktpel", "ktp")
            .replace("e-ktp", "ktp")
            .replace("kartu keluarga", "kk")
            .replace("salah data", "perubahan data")
            .chars()
            .filter(|c| c.is_alphanumeric())
            .collect();
        Service::ALL.into_iter().find(|s| {
            let code: String = s.code().chars().filter(|c| *c != '_').collect();
            code == key
        })
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A service name that matches none of the seven services.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a service; use one of: KTP-el Baru, KTP-el Hilang, KTP-el Rusak, KTP-el Perubahan Data, KK Perubahan Data, KK Hilang, KK Rusak"
)]
pub struct UnknownService(pub String);

impl FromStr for Service {
    type Err = UnknownService;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // The stored code first: the database is read a whole batch at a time.
        Service::ALL
            .into_iter()
            .find(|svc| svc.code() == s)
            .or_else(|| Service::parse_label(s))
            .ok_or_else(|| UnknownService(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_match_regardless_of_case_and_spacing() {
        assert_eq!(Service::parse_label("KTP-el Baru"), Some(Service::KtpBaru));
        assert_eq!(
            Service::parse_label("  ktp-EL   hilang "),
            Some(Service::KtpHilang)
        );
        assert_eq!(Service::parse_label("KTP Rusak"), Some(Service::KtpRusak));
        assert_eq!(
            Service::parse_label("KTP-el Salah Data"),
            Some(Service::KtpPerubahanData)
        );
        assert_eq!(
            Service::parse_label("kk_perubahan_data"),
            Some(Service::KkPerubahanData)
        );
        assert_eq!(
            Service::parse_label("Kartu Keluarga Hilang"),
            Some(Service::KkHilang)
        );
        assert_eq!(Service::parse_label("paspor"), None);
        for s in Service::ALL {
            assert_eq!(Service::parse_label(s.label()), Some(s));
            assert_eq!(s.code().parse::<Service>(), Ok(s));
        }
    }
}
