//! The domain of a Disdukcapil back office: applications, services, states
//! and the reasons an application stops, NIK and KK numbers, region codes,
//! the office's working calendar and the SLA steps; and what the store and
//! the stages share: quarantine entries, notices and their retry policy,
//! print batches, card results and the blanko ledger.
//!
//! A module here imports no stage, no store, no adapter and no port: it is
//! the vocabulary every part shares, so it must not depend on any of them
//! (the `layers` tests read the sources and hold it).

pub mod application;
pub mod batch;
pub mod blanko;
pub mod calendar;
pub mod holidays;
pub mod nik;
pub mod notice;
pub mod outcome;
pub mod quarantine;
pub mod reason;
pub mod service;
pub mod sla;
pub mod state;
pub mod wilayah;

#[cfg(test)]
mod layers;
