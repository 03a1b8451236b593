//! `sigap station confirm`: the operator printed a batch and sigap writes
//! its results file for them. Printed cards get consecutive blanko serials
//! from a first serial (default: after the highest serial sigap has seen),
//! skipping the spoiled blanks' serials.

use crate::domain::batch::CardResult;
use crate::domain::nik::mask;
use crate::ports::{Station, StationError};

/// A card of a batch: its application id and NIK, as in `cards.csv`.
pub type BatchRow = (String, String);

/// One spoiled blank: the card's NIK, the blank's serial, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spoiled {
    /// The card's 16-digit NIK.
    pub nik: String,
    /// The spoiled blank's serial.
    pub serial: String,
    /// Why (default `rusak`).
    pub reason: String,
}

/// A confirm that cannot be written.
#[derive(Debug, thiserror::Error)]
pub enum ConfirmError {
    /// A `--spoiled` entry is not `NIK:serial:reason`.
    #[error("--spoiled {spec}: write NIK:serial:reason, e.g. 3402...:0000000123:pita macet")]
    SpoiledFormat {
        /// The entry, NIK masked.
        spec: String,
    },
    /// A `--spoiled` entry lacks a 16-digit NIK or a serial.
    #[error(
        "--spoiled {nik}: write NIK:serial:reason with the card's 16-digit NIK and the spoiled blank's serial"
    )]
    SpoiledFields {
        /// The NIK as given, masked.
        nik: String,
    },
    /// The station has no such batch.
    #[error("no batch folder {batch} at the station (see `sigap station list`)")]
    NoBatch {
        /// The batch.
        batch: String,
    },
    /// The batch's `cards.csv` cannot be read.
    #[error("reading {batch}/cards.csv")]
    Cards {
        /// The batch.
        batch: String,
        /// The csv reader's error.
        #[source]
        source: csv::Error,
    },
    /// A spoiled card is not in the batch.
    #[error("--spoiled {nik}: no card with this NIK in batch {batch}")]
    NotInBatch {
        /// The NIK, masked.
        nik: String,
        /// The batch.
        batch: String,
    },
    /// The station could not be read or written.
    #[error(transparent)]
    Station(#[from] StationError),
}

impl Spoiled {
    /// Reads one `--spoiled NIK:serial:reason` entry.
    pub fn parse(spec: &str) -> Result<Spoiled, ConfirmError> {
        let mut parts = spec.splitn(3, ':');
        let (Some(nik), Some(serial)) = (parts.next(), parts.next()) else {
            return Err(ConfirmError::SpoiledFormat { spec: mask(spec) });
        };
        let reason = parts.next().unwrap_or("").trim();
        if nik.trim().len() != 16 || serial.trim().is_empty() {
            return Err(ConfirmError::SpoiledFields { nik: mask(nik) });
        }
        Ok(Spoiled {
            nik: nik.trim().to_string(),
            serial: serial.trim().to_string(),
            reason: if reason.is_empty() {
                "rusak".to_string()
            } else {
                reason.to_string()
            },
        })
    }
}

/// The cards of a batch at the station, `(application id, NIK)` in batch
/// order, and the `--spoiled` entries read from `specs`, checked to be
/// cards of the batch.
pub fn batch_cards(
    station: &dyn Station,
    batch: &str,
    specs: &[String],
) -> Result<(Vec<BatchRow>, Vec<Spoiled>), ConfirmError> {
    let cards = station.cards(batch)?.ok_or_else(|| ConfirmError::NoBatch {
        batch: batch.to_string(),
    })?;
    let spoiled: Vec<Spoiled> = specs
        .iter()
        .map(|s| Spoiled::parse(s))
        .collect::<Result<_, _>>()?;
    let mut reader = csv::Reader::from_reader(cards.as_slice());
    let mut rows = Vec::new();
    for r in reader.records() {
        let r = r.map_err(|source| ConfirmError::Cards {
            batch: batch.to_string(),
            source,
        })?;
        rows.push((r[0].to_string(), r[1].to_string()));
    }
    for s in &spoiled {
        if !rows.iter().any(|(_, nik)| *nik == s.nik) {
            return Err(ConfirmError::NotInBatch {
                nik: mask(&s.nik),
                batch: batch.to_string(),
            });
        }
    }
    Ok((rows, spoiled))
}

/// The results lines of a confirmed batch: spoiled cards with their
/// blank's serial and reason, printed ones with the next free serial from
/// `first_serial` (default: after the highest of `seen` and the spoiled
/// serials), never a spoiled blank's serial. Lines are `(application id,
/// NIK, result, serial, reason)`, as [`crate::print::results_csv`] takes.
pub fn allocate_serials(
    rows: Vec<BatchRow>,
    spoiled: &[Spoiled],
    seen: &[String],
    first_serial: Option<u64>,
) -> Vec<(String, String, CardResult, String, String)> {
    let used: Vec<u64> = seen
        .iter()
        .chain(spoiled.iter().map(|s| &s.serial))
        .filter_map(|s| s.parse().ok())
        .collect();
    let mut next = first_serial.unwrap_or_else(|| used.iter().max().map_or(1, |m| m + 1));
    let taken: Vec<&str> = spoiled.iter().map(|s| s.serial.as_str()).collect();
    let mut lines = Vec::new();
    for (id, nik) in rows {
        if let Some(s) = spoiled.iter().find(|s| s.nik == nik) {
            lines.push((
                id,
                nik,
                CardResult::Spoiled,
                s.serial.clone(),
                s.reason.clone(),
            ));
            continue;
        }
        let mut serial = format!("{next:010}");
        while taken.contains(&serial.as_str()) {
            next += 1;
            serial = format!("{next:010}");
        }
        next += 1;
        lines.push((id, nik, CardResult::Printed, serial, String::new()));
    }
    lines
}
