//! sigap's documents, built from the pipeline's data: the rekap a courier
//! carries with each print batch, the SLA-compliance report for management,
//! and the monthly destruction bundles of surrendered old cards.
//!
//! It depends on `pipeline` and never the other way round. Documents are
//! built from plain data and rendered to bytes; writing them (0600, atomic)
//! is the caller's job.

pub mod archive;
pub mod pdf;
pub mod rekap;
pub mod rekap_files;
pub mod sla;

#[cfg(test)]
mod tests;
