//! Quarantine: what ingest read but could not take as an application or
//! a document. Each entry keeps the input whole, where it came from, a
//! stable reason code and a sentence in Bahasa Indonesia for the officer.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The office-wide number of a quarantine entry, shown as `Q-000012`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct QuarantineId(pub i64);

impl fmt::Display for QuarantineId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Q-{:06}", self.0)
    }
}

impl From<QuarantineId> for String {
    fn from(id: QuarantineId) -> String {
        id.to_string()
    }
}

/// Text that is not a quarantine id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a quarantine id; ids look like Q-000012 (or just 12)")]
pub struct BadQuarantineId(pub String);

impl FromStr for QuarantineId {
    type Err = BadQuarantineId;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let digits = t
            .strip_prefix("Q-")
            .or_else(|| t.strip_prefix("q-"))
            .unwrap_or(t);
        digits
            .parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
            .map(QuarantineId)
            .ok_or_else(|| BadQuarantineId(s.to_string()))
    }
}

impl TryFrom<String> for QuarantineId {
    type Error = BadQuarantineId;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

/// Why an input was quarantined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum QuarantineReason {
    /// No NIK at all.
    EmptyNik,
    /// A spreadsheet turned the NIK into `3.40201E+15`; its digits are gone.
    ScientificNik,
    /// The service asked for is not one of the seven.
    UnknownService,
    /// A known service this office does not offer.
    ServiceNotOffered,
    /// A field every application needs (name) is empty.
    MissingField,
    /// The submission time cannot be read.
    BadTimestamp,
    /// An email that holds no application (a question, a reply).
    NotAnApplication,
    /// The row, record, message or file cannot be read at all.
    Unreadable,
    /// A form export without the columns sigap needs.
    MissingColumns,
    /// An attachment whose kind cannot be told from its name.
    UnknownDocumentKind,
    /// An executable, script or archive.
    ForbiddenType,
    /// Bigger than the configured limit.
    TooLarge,
    /// An app record names a document file that is not there (or is
    /// outside the app export folder).
    DocumentFileMissing,
    /// Station results for a batch this office never made.
    UnknownBatch,
    /// Station results for a batch, or a card, not at the station.
    NotDispatched,
    /// A station result for a card that is not in the batch.
    UnknownCard,
    /// A second result for the same card.
    DuplicateResult,
    /// A station result whose NIK is not the card's.
    NikMismatch,
    /// A station results line or file that cannot be read.
    MalformedResult,
    /// A pickup register row or file that cannot be read (a field is
    /// missing or malformed, or the file lacks a column).
    MalformedPickup,
    /// A pickup for an application id or NIK with no card at this office.
    UnknownApplication,
    /// A pickup row whose NIK is not the NIK of its application id.
    PickupNikMismatch,
    /// A pickup row naming a batch the card is not in.
    WrongBatch,
    /// A pickup of a card that is not printed (yet), or not a card at all.
    NotPrinted,
    /// A pickup time before the card was printed.
    PickedUpBeforePrinting,
    /// A pickup time later than the import.
    PickupInFuture,
    /// A second pickup of a card already collected, with other data.
    ConflictingPickup,
}

impl QuarantineReason {
    /// Every reason.
    pub const ALL: [QuarantineReason; 27] = [
        QuarantineReason::EmptyNik,
        QuarantineReason::ScientificNik,
        QuarantineReason::UnknownService,
        QuarantineReason::ServiceNotOffered,
        QuarantineReason::MissingField,
        QuarantineReason::BadTimestamp,
        QuarantineReason::NotAnApplication,
        QuarantineReason::Unreadable,
        QuarantineReason::MissingColumns,
        QuarantineReason::UnknownDocumentKind,
        QuarantineReason::ForbiddenType,
        QuarantineReason::TooLarge,
        QuarantineReason::DocumentFileMissing,
        QuarantineReason::UnknownBatch,
        QuarantineReason::NotDispatched,
        QuarantineReason::UnknownCard,
        QuarantineReason::DuplicateResult,
        QuarantineReason::NikMismatch,
        QuarantineReason::MalformedResult,
        QuarantineReason::MalformedPickup,
        QuarantineReason::UnknownApplication,
        QuarantineReason::PickupNikMismatch,
        QuarantineReason::WrongBatch,
        QuarantineReason::NotPrinted,
        QuarantineReason::PickedUpBeforePrinting,
        QuarantineReason::PickupInFuture,
        QuarantineReason::ConflictingPickup,
    ];

    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            QuarantineReason::EmptyNik => "EMPTY_NIK",
            QuarantineReason::ScientificNik => "SCIENTIFIC_NIK",
            QuarantineReason::UnknownService => "UNKNOWN_SERVICE",
            QuarantineReason::ServiceNotOffered => "SERVICE_NOT_OFFERED",
            QuarantineReason::MissingField => "MISSING_FIELD",
            QuarantineReason::BadTimestamp => "BAD_TIMESTAMP",
            QuarantineReason::NotAnApplication => "NOT_AN_APPLICATION",
            QuarantineReason::Unreadable => "UNREADABLE",
            QuarantineReason::MissingColumns => "MISSING_COLUMNS",
            QuarantineReason::UnknownDocumentKind => "UNKNOWN_DOCUMENT_KIND",
            QuarantineReason::ForbiddenType => "FORBIDDEN_TYPE",
            QuarantineReason::TooLarge => "TOO_LARGE",
            QuarantineReason::DocumentFileMissing => "DOCUMENT_FILE_MISSING",
            QuarantineReason::UnknownBatch => "UNKNOWN_BATCH",
            QuarantineReason::NotDispatched => "NOT_DISPATCHED",
            QuarantineReason::UnknownCard => "UNKNOWN_CARD",
            QuarantineReason::DuplicateResult => "DUPLICATE_RESULT",
            QuarantineReason::NikMismatch => "NIK_MISMATCH",
            QuarantineReason::MalformedResult => "MALFORMED_RESULT",
            QuarantineReason::MalformedPickup => "MALFORMED_PICKUP",
            QuarantineReason::UnknownApplication => "UNKNOWN_APPLICATION",
            QuarantineReason::PickupNikMismatch => "PICKUP_NIK_MISMATCH",
            QuarantineReason::WrongBatch => "WRONG_BATCH",
            QuarantineReason::NotPrinted => "NOT_PRINTED",
            QuarantineReason::PickedUpBeforePrinting => "PICKED_UP_BEFORE_PRINTING",
            QuarantineReason::PickupInFuture => "PICKUP_IN_FUTURE",
            QuarantineReason::ConflictingPickup => "CONFLICTING_PICKUP",
        }
    }

    /// What an officer reads, in Bahasa Indonesia.
    pub fn sentence(self) -> &'static str {
        match self {
            QuarantineReason::EmptyNik => {
                "NIK tidak diisi, sehingga permohonan tidak dapat dicatat."
            }
            QuarantineReason::ScientificNik => {
                "NIK tertulis dalam format angka ilmiah (misalnya 3.40201E+15) sehingga sebagian angkanya hilang; ekspor ulang kolom NIK sebagai teks."
            }
            QuarantineReason::UnknownService => {
                "Jenis permohonan tidak dikenal; yang dilayani hanya KTP-el (baru, hilang, rusak, perubahan data) dan KK (perubahan data, hilang, rusak)."
            }
            QuarantineReason::ServiceNotOffered => {
                "Jenis permohonan ini tidak dilayani oleh kantor ini."
            }
            QuarantineReason::MissingField => "Data wajib (nama pemohon) tidak diisi.",
            QuarantineReason::BadTimestamp => "Waktu pengajuan tidak dapat dibaca.",
            QuarantineReason::NotAnApplication => {
                "Email ini bukan permohonan (tidak berisi NIK dan jenis permohonan); mungkin pertanyaan yang perlu dijawab petugas."
            }
            QuarantineReason::Unreadable => {
                "Data tidak dapat dibaca (format rusak atau tidak dikenal)."
            }
            QuarantineReason::MissingColumns => {
                "Berkas ekspor formulir tidak memiliki kolom yang diperlukan (Cap waktu/Timestamp, NIK, Jenis Permohonan)."
            }
            QuarantineReason::UnknownDocumentKind => {
                "Jenis dokumen lampiran tidak dapat dikenali dari nama berkasnya."
            }
            QuarantineReason::ForbiddenType => {
                "Lampiran berupa program, skrip, atau arsip (zip/rar/docx) yang tidak diterima; kirim dokumen sebagai PDF atau foto."
            }
            QuarantineReason::TooLarge => "Ukuran lampiran melebihi batas yang diizinkan.",
            QuarantineReason::DocumentFileMissing => {
                "Berkas dokumen yang disebut dalam data aplikasi tidak ditemukan."
            }
            QuarantineReason::UnknownBatch => {
                "Hasil cetak untuk batch yang tidak pernah dibuat kantor ini; nama berkas hasil harus sama dengan nama folder batch."
            }
            QuarantineReason::NotDispatched => {
                "Hasil cetak untuk batch atau kartu yang belum dikirim ke mesin cetak."
            }
            QuarantineReason::UnknownCard => {
                "Hasil cetak untuk kartu yang tidak termasuk dalam batch ini."
            }
            QuarantineReason::DuplicateResult => {
                "Kartu ini sudah memiliki hasil cetak; hasil kedua tidak diterapkan."
            }
            QuarantineReason::NikMismatch => {
                "NIK pada hasil cetak tidak sama dengan NIK kartu; periksa kartu tersebut."
            }
            QuarantineReason::MalformedResult => {
                "Baris atau berkas hasil cetak tidak dapat dibaca; format yang benar: application_id,nik,result,blanko_serial,reason."
            }
            QuarantineReason::MalformedPickup => {
                "Baris register pengambilan tidak dapat dibaca; kolomnya: id_permohonan,nik,batch,diambil_pada,petugas,ktp_lama_diserahkan."
            }
            QuarantineReason::UnknownApplication => {
                "Nomor permohonan atau NIK pada register pengambilan tidak dikenal di kantor ini."
            }
            QuarantineReason::PickupNikMismatch => {
                "NIK pada register pengambilan tidak sama dengan NIK permohonan tersebut; periksa register."
            }
            QuarantineReason::WrongBatch => {
                "Kartu ini tidak termasuk dalam batch yang ditulis pada register pengambilan."
            }
            QuarantineReason::NotPrinted => {
                "Kartu ini belum dicetak (atau bukan KTP-el), sehingga belum dapat diambil."
            }
            QuarantineReason::PickedUpBeforePrinting => {
                "Waktu pengambilan pada register lebih awal dari waktu kartu dicetak; periksa tanggal dan jam."
            }
            QuarantineReason::PickupInFuture => {
                "Waktu pengambilan pada register belum terjadi; periksa tanggal dan jam."
            }
            QuarantineReason::ConflictingPickup => {
                "Kartu ini sudah tercatat diambil dengan data yang berbeda; periksa kedua catatan."
            }
        }
    }
}

impl fmt::Display for QuarantineReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for QuarantineReason {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        QuarantineReason::ALL
            .into_iter()
            .find(|r| r.code() == s)
            .ok_or_else(|| format!("`{s}` is not a quarantine reason"))
    }
}

/// A name or source as it is safe to print: control characters escaped
/// and very long text shortened (the stored value is untouched).
pub fn printable(s: &str, max_chars: usize) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i == max_chars {
            out.push_str(&format!("…({} chars)", s.chars().count()));
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}
