//! Why verification did not simply pass an application: a stable code for
//! scripts and reports, and an Indonesian sentence for the notice.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// One finding of verification. The code is stable; the sentence is what
/// the applicant reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Reason {
    /// The NIK breaks a structural rule (length, region, date, serial).
    NikInvalid,
    /// No such NIK in the population database.
    NikNotFound,
    /// The person is recorded as deceased.
    Deceased,
    /// The person has moved out (PINDAH).
    MovedOut,
    /// Current domicile is outside this kabupaten.
    NotResident,
    /// The name does not match the record, even after normalisation.
    NameMismatch,
    /// The name is one edit away from the record: a person decides.
    NameNearMatch,
    /// The birth date does not match the record.
    BirthDateMismatch,
    /// The KK number differs from the record while everything else matches: a person decides.
    KkMismatch,
    /// Under 17 and not married on the application date.
    Underage,
    /// Biometrics (perekaman) not recorded.
    NotRecorded,
    /// The sex encoded in the NIK disagrees with the record.
    SexMismatch,
    /// A document the service needs is missing.
    DocumentMissing,
    /// Another application for the same NIK is still being processed.
    DuplicateInFlight,
    /// A document the service needs is not on file, but a document whose
    /// kind is not known yet is: a person classifies it.
    UnclassifiedDocument,
    /// Refused by an operator in the review queue.
    OperatorRejected,
    /// Verified, but the population database had no record for the NIK
    /// when the card's face was read for printing (died, moved, or a
    /// replica behind): a person decides.
    NotInPopulationAtBatch,
}

impl Reason {
    /// Every reason.
    pub const ALL: [Reason; 17] = [
        Reason::NikInvalid,
        Reason::NikNotFound,
        Reason::Deceased,
        Reason::MovedOut,
        Reason::NotResident,
        Reason::NameMismatch,
        Reason::NameNearMatch,
        Reason::BirthDateMismatch,
        Reason::KkMismatch,
        Reason::Underage,
        Reason::NotRecorded,
        Reason::SexMismatch,
        Reason::DocumentMissing,
        Reason::DuplicateInFlight,
        Reason::UnclassifiedDocument,
        Reason::OperatorRejected,
        Reason::NotInPopulationAtBatch,
    ];

    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            Reason::NikInvalid => "NIK_INVALID",
            Reason::NikNotFound => "NIK_NOT_FOUND",
            Reason::Deceased => "DECEASED",
            Reason::MovedOut => "MOVED_OUT",
            Reason::NotResident => "NOT_RESIDENT",
            Reason::NameMismatch => "NAME_MISMATCH",
            Reason::NameNearMatch => "NAME_NEAR_MATCH",
            Reason::BirthDateMismatch => "BIRTH_DATE_MISMATCH",
            Reason::KkMismatch => "KK_MISMATCH",
            Reason::Underage => "UNDERAGE",
            Reason::NotRecorded => "NOT_RECORDED",
            Reason::SexMismatch => "SEX_MISMATCH",
            Reason::DocumentMissing => "DOCUMENT_MISSING",
            Reason::DuplicateInFlight => "DUPLICATE_IN_FLIGHT",
            Reason::UnclassifiedDocument => "UNCLASSIFIED_DOCUMENT",
            Reason::OperatorRejected => "OPERATOR_REJECTED",
            Reason::NotInPopulationAtBatch => "NOT_IN_POPULATION_AT_BATCH",
        }
    }

    /// The sentence for the applicant's notice, in Bahasa Indonesia.
    pub fn sentence(self) -> &'static str {
        match self {
            Reason::NikInvalid => {
                "NIK yang Anda tuliskan tidak sesuai format NIK (16 angka dengan kode wilayah dan tanggal lahir yang benar)."
            }
            Reason::NikNotFound => {
                "NIK Anda tidak ditemukan dalam database kependudukan kabupaten ini."
            }
            Reason::Deceased => {
                "Menurut database kependudukan, pemilik NIK ini telah meninggal dunia."
            }
            Reason::MovedOut => {
                "Menurut database kependudukan, pemilik NIK ini telah pindah ke luar daerah; permohonan diajukan di daerah tempat tinggal yang baru."
            }
            Reason::NotResident => {
                "Alamat domisili Anda tercatat di luar kabupaten ini; permohonan diajukan di Disdukcapil tempat domisili Anda."
            }
            Reason::NameMismatch => {
                "Nama yang Anda tuliskan tidak sama dengan nama pada Kartu Keluarga."
            }
            Reason::NameNearMatch => {
                "Nama yang Anda tuliskan sedikit berbeda dengan nama pada Kartu Keluarga dan sedang diperiksa petugas."
            }
            Reason::BirthDateMismatch => {
                "Tanggal lahir yang Anda tuliskan tidak sama dengan tanggal lahir pada database kependudukan."
            }
            Reason::KkMismatch => {
                "Nomor KK yang Anda tuliskan berbeda dengan nomor KK pada database kependudukan dan sedang diperiksa petugas."
            }
            Reason::Underage => {
                "Anda belum berusia 17 tahun dan belum/tidak pernah kawin, sehingga belum wajib memiliki KTP-el."
            }
            Reason::NotRecorded => {
                "Data perekaman (foto, sidik jari, iris mata) Anda belum ada; Anda perlu melakukan perekaman KTP-el terlebih dahulu."
            }
            Reason::SexMismatch => {
                "Jenis kelamin pada NIK tidak sama dengan data pada database kependudukan."
            }
            Reason::DocumentMissing => "Dokumen persyaratan untuk layanan ini belum lengkap.",
            Reason::DuplicateInFlight => {
                "Masih ada permohonan lain dengan NIK yang sama yang sedang diproses."
            }
            Reason::UnclassifiedDocument => {
                "Jenis salah satu dokumen yang Anda kirim belum dapat dikenali dari nama filenya dan sedang diperiksa petugas."
            }
            Reason::OperatorRejected => "Permohonan ditolak oleh petugas setelah pemeriksaan.",
            Reason::NotInPopulationAtBatch => {
                "Data Anda tidak ditemukan dalam database kependudukan saat kartu akan dicetak; permohonan sedang diperiksa kembali oleh petugas."
            }
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Reason {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Reason::ALL
            .into_iter()
            .find(|r| r.code() == s)
            .ok_or_else(|| format!("`{s}` is not a reason code"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_parse_back() {
        let mut seen = std::collections::HashSet::new();
        for r in Reason::ALL {
            assert!(seen.insert(r.code()));
            assert_eq!(r.code().parse::<Reason>(), Ok(r));
            assert!(!r.sentence().is_empty());
        }
    }
}
