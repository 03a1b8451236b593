//! Print batches and cards, as the store, the stages and the station port
//! share them: a batch to create, the files of a batch folder, and what the
//! station says about one card.

use serde::{Deserialize, Serialize};

use crate::domain::application::ApplicationId;

/// One batch to create: cards for one kecamatan, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedBatch {
    /// Batch id, `B-YYYYMMDD-<KECAMATAN>-<n>`.
    pub id: String,
    /// Pickup kecamatan (dotted code).
    pub kecamatan: String,
    /// The applications, in print order.
    pub applications: Vec<ApplicationId>,
}

/// What the station says about one card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CardResult {
    /// Encoded and printed on the blank with the given serial.
    Printed,
    /// The blank was ruined; the card goes back to the queue.
    Spoiled,
    /// Not printed and the blank not used (e.g. the chip would not encode
    /// before the card was fed); back to the queue.
    Failed,
}

impl CardResult {
    /// The code in a results file.
    pub fn code(self) -> &'static str {
        match self {
            CardResult::Printed => "PRINTED",
            CardResult::Spoiled => "SPOILED",
            CardResult::Failed => "FAILED",
        }
    }

    /// Reads a code from a results file (case and surrounding spaces do
    /// not matter).
    pub fn parse(s: &str) -> Option<CardResult> {
        [CardResult::Printed, CardResult::Spoiled, CardResult::Failed]
            .into_iter()
            .find(|r| r.code().eq_ignore_ascii_case(s.trim()))
    }
}

/// A batch's `manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchManifest {
    /// Batch id.
    pub batch_id: String,
    /// Office code (profile).
    pub office: String,
    /// Office name.
    pub office_name: String,
    /// Pickup kecamatan (dotted code).
    pub kecamatan: String,
    /// Pickup kecamatan name.
    pub kecamatan_name: String,
    /// When the batch was made (UTC, RFC 3339).
    pub created_at: String,
    /// Cards in `cards.csv`.
    pub card_count: usize,
    /// SHA-256 of `cards.csv`, lower-case hex.
    pub cards_sha256: String,
}

/// The two files of a batch folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchFiles {
    /// `manifest.json`.
    pub manifest: BatchManifest,
    /// `cards.csv` bytes.
    pub cards_csv: Vec<u8>,
}

impl BatchFiles {
    /// `manifest.json` bytes (pretty, newline-terminated).
    pub fn manifest_json(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec_pretty(&self.manifest).expect("manifest serialises");
        out.push(b'\n');
        out
    }
}
