//! Print batches and cards, as the store and the stages share them: a batch
//! to create, and what the station says about one card.

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
