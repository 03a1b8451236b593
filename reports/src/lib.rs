//! sigap's documents, built from the pipeline's data: the rekap a courier
//! carries with each print batch, the SLA-compliance report for management,
//! and the monthly destruction bundles of surrendered old cards.
//!
//! It depends on `pipeline` and never the other way round. The documents
//! themselves arrive with the issues that need them (print batches, then
//! management reports); until then this crate holds no code.
