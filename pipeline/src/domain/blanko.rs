//! The blanko (blank card) ledger: every movement of stock is a row with a
//! reason, and the balances are sums over the rows, never a number that is
//! overwritten.
//!
//! - RECEIVED: a delivery arrived (`sigap blanko receive N --ref R`).
//! - RESERVED: a batch set blanks aside for its cards.
//! - USED: a card was printed on one of them.
//! - SPOILED: a blank was ruined at the station.
//! - RELEASED: a reserved blank went back to stock (the card failed before
//!   a blank was fed).
//!
//! USED, SPOILED and RELEASED each settle one reserved blank, so
//! `available = received − reserved + released` and stock can only go
//! down through a reservation, which the store checks against `available`.

use serde::{Deserialize, Serialize};

/// One kind of stock movement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Movement {
    /// A delivery arrived.
    Received,
    /// Set aside by a batch.
    Reserved,
    /// A card printed on a reserved blank.
    Used,
    /// A reserved blank ruined.
    Spoiled,
    /// A reserved blank returned to stock.
    Released,
}

impl Movement {
    /// Every movement kind.
    pub const ALL: [Movement; 5] = [
        Movement::Received,
        Movement::Reserved,
        Movement::Used,
        Movement::Spoiled,
        Movement::Released,
    ];

    /// The stable code stored in the ledger.
    pub fn code(self) -> &'static str {
        match self {
            Movement::Received => "RECEIVED",
            Movement::Reserved => "RESERVED",
            Movement::Used => "USED",
            Movement::Spoiled => "SPOILED",
            Movement::Released => "RELEASED",
        }
    }

    /// Reads a stored code.
    pub fn parse(s: &str) -> Option<Movement> {
        Movement::ALL.into_iter().find(|m| m.code() == s)
    }
}

/// Totals of the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct BlankoBalance {
    /// Blanks ever received.
    pub received: u64,
    /// Blanks reserved by batches and not yet used, spoiled or released.
    pub reserved: u64,
    /// Cards printed.
    pub used: u64,
    /// Blanks spoiled.
    pub spoiled: u64,
    /// Blanks in stock and free for a new batch.
    pub available: u64,
}

impl BlankoBalance {
    /// The balance from the sum of each movement kind.
    pub fn from_sums(sum: impl Fn(Movement) -> u64) -> BlankoBalance {
        let received = sum(Movement::Received);
        let reserved_total = sum(Movement::Reserved);
        let used = sum(Movement::Used);
        let spoiled = sum(Movement::Spoiled);
        let released = sum(Movement::Released);
        let reserved = reserved_total.saturating_sub(used + spoiled + released);
        BlankoBalance {
            received,
            reserved,
            used,
            spoiled,
            available: (received + released).saturating_sub(reserved_total),
        }
    }

    /// Whether the books balance: every blank received is in stock,
    /// reserved, used or spoiled.
    pub fn balanced(&self) -> bool {
        self.received == self.available + self.reserved + self.used + self.spoiled
    }
}

/// One row of the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LedgerEntry {
    /// Position in the ledger.
    pub seq: i64,
    /// When (UTC, RFC 3339).
    pub at: String,
    /// Movement kind.
    pub movement: Movement,
    /// Number of blanks.
    pub quantity: u64,
    /// Delivery reference or batch id.
    pub reference: String,
    /// Who: `sigap:<job>` or `operator:<name>`.
    pub actor: String,
    /// Why (spoil reason, blanko serial).
    pub detail: String,
}
