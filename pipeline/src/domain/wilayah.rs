//! Kemendagri region codes (province, kabupaten, kecamatan, village).
//!
//! The tables are compiled in from `pipeline/data/wilayah/` (ODbL, licence
//! beside the files), so a NIK can be checked without any file at run time.

use std::collections::HashMap;
use std::sync::OnceLock;

const PROVINCES: &str = include_str!("../../data/wilayah/provinces.csv");
const REGENCIES: &str = include_str!("../../data/wilayah/regencies.csv");
const DISTRICTS: &str = include_str!("../../data/wilayah/districts.csv");
const VILLAGES: &str = include_str!("../../data/wilayah/villages-bantul-tabanan-kapuas.csv");

/// A kecamatan (district) with the names of the regions above it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct District {
    /// Dotted Kemendagri code, `PP.KK.CC`.
    pub code: String,
    /// Kecamatan name, e.g. `Sewon`.
    pub name: String,
    /// Dotted kabupaten/kota code, `PP.KK`.
    pub regency_code: String,
    /// Kabupaten/kota name, e.g. `Kabupaten Bantul`.
    pub regency: String,
    /// Province name, e.g. `Daerah Istimewa Yogyakarta`.
    pub province: String,
}

/// A desa or kelurahan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Village {
    /// Dotted Kemendagri code, `PP.KK.CC.DDDD`.
    pub code: String,
    /// Dotted code of its kecamatan.
    pub district_code: String,
    /// Village name.
    pub name: String,
}

/// The region tables, indexed for lookup.
#[derive(Debug)]
pub struct Wilayah {
    regencies: HashMap<String, String>,
    districts: HashMap<String, District>,
    villages: Vec<Village>,
}

/// Rows of a small, trusted, comma-separated table after its header.
/// Names in these tables never contain commas or quotes.
fn rows(text: &'static str) -> impl Iterator<Item = Vec<&'static str>> {
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.trim_end_matches('\r').splitn(3, ',').collect())
}

impl Wilayah {
    /// The compiled-in tables (parsed once per process).
    pub fn embedded() -> &'static Wilayah {
        static TABLES: OnceLock<Wilayah> = OnceLock::new();
        TABLES.get_or_init(Wilayah::parse)
    }

    fn parse() -> Wilayah {
        let provinces: HashMap<String, String> = rows(PROVINCES)
            .map(|r| (r[0].to_string(), r[1].to_string()))
            .collect();
        let regencies: HashMap<String, String> = rows(REGENCIES)
            .map(|r| (r[0].to_string(), r[2].to_string()))
            .collect();
        let districts = rows(DISTRICTS)
            .map(|r| {
                let regency_code = r[1].to_string();
                let province = provinces
                    .get(&regency_code[..2])
                    .cloned()
                    .unwrap_or_default();
                let regency = regencies.get(&regency_code).cloned().unwrap_or_default();
                let d = District {
                    code: r[0].to_string(),
                    name: r[2].to_string(),
                    regency_code,
                    regency,
                    province,
                };
                (undotted(r[0]), d)
            })
            .collect();
        let villages = rows(VILLAGES)
            .map(|r| Village {
                code: r[0].to_string(),
                district_code: r[1].to_string(),
                name: r[2].to_string(),
            })
            .collect();
        Wilayah {
            regencies,
            districts,
            villages,
        }
    }

    /// The kecamatan with this code, given as 6 digits (`340215`) or dotted (`34.02.15`).
    pub fn district(&self, code: &str) -> Option<&District> {
        self.districts.get(&undotted(code))
    }

    /// The kabupaten/kota name for a dotted (`34.02`) or 4-digit code.
    pub fn regency(&self, code: &str) -> Option<&str> {
        self.regencies
            .get(&dotted(&undotted(code)))
            .map(String::as_str)
    }

    /// Every kecamatan of a kabupaten (dotted `PP.KK`), in code order.
    pub fn districts_of(&self, regency_code: &str) -> Vec<&District> {
        let mut v: Vec<&District> = self
            .districts
            .values()
            .filter(|d| d.regency_code == regency_code)
            .collect();
        v.sort_by(|a, b| a.code.cmp(&b.code));
        v
    }

    /// Villages of a kecamatan (dotted `PP.KK.CC`), in code order. Only the
    /// three sample kabupaten have village rows.
    pub fn villages_of(&self, district_code: &str) -> Vec<&Village> {
        let mut v: Vec<&Village> = self
            .villages
            .iter()
            .filter(|v| v.district_code == district_code)
            .collect();
        v.sort_by(|a, b| a.code.cmp(&b.code));
        v
    }
}

/// `34.02.15` → `340215`.
pub fn undotted(code: &str) -> String {
    code.chars().filter(|c| *c != '.').collect()
}

/// `340215` → `34.02.15` (pairs of digits joined by dots; a village's last 4 stay together).
pub fn dotted(digits: &str) -> String {
    let d = undotted(digits);
    let mut parts = Vec::new();
    let mut i = 0;
    while i < d.len() && parts.len() < 3 {
        let end = (i + 2).min(d.len());
        parts.push(&d[i..end]);
        i = end;
    }
    if i < d.len() {
        parts.push(&d[i..]);
    }
    parts.join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_kecamatan_with_its_parents() {
        let w = Wilayah::embedded();
        let d = w.district("340215").unwrap();
        assert_eq!(d.name, "Sewon");
        assert_eq!(d.regency, "Kabupaten Bantul");
        assert_eq!(d.province, "Daerah Istimewa Yogyakarta");
        assert_eq!(w.district("34.02.15"), Some(d));
        assert!(w.district("349999").is_none());
    }

    #[test]
    fn lists_kecamatan_and_villages_of_the_sample_kabupaten() {
        let w = Wilayah::embedded();
        assert_eq!(w.districts_of("34.02").len(), 17);
        assert_eq!(w.districts_of("51.02").len(), 10);
        assert_eq!(w.districts_of("62.03").len(), 17);
        assert_eq!(w.villages_of("34.02.15").len(), 4);
        assert_eq!(w.regency("34.02"), Some("Kabupaten Bantul"));
    }

    #[test]
    fn dots_and_undots_codes() {
        assert_eq!(dotted("340215"), "34.02.15");
        assert_eq!(dotted("3402152001"), "34.02.15.2001");
        assert_eq!(undotted("34.02.15.2001"), "3402152001");
    }
}
