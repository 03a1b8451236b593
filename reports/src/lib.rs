//! sigap's documents, built from the pipeline's data: the rekap a courier
//! carries with each print batch, the SLA-compliance report for management,
//! and the monthly destruction bundles of surrendered old cards.
//!
//! It depends on `pipeline` and never the other way round. It renders
//! bytes and nothing else: documents are built from plain data and
//! returned as PDF/HTML/CSV/xlsx/zip bytes. Choosing what to render, reading
//! the store, the station or the population database, moving states and
//! writing the files (0600, atomic) are the pipeline stages' job
//! (`pipeline::archive`, `pipeline::print::rekap`, `pipeline::report_sla`),
//! which take the renderers here as parameters. The test
//! `reports_src_imports_no_port_adapter_station_or_store` holds this.

pub mod archive;
pub mod pdf;
pub mod rekap;
pub mod sla;
pub mod xlsx;

/// The renderers of one office, as the stages take them: it implements
/// `pipeline::archive::BundleRenderer` and
/// `pipeline::print::rekap::RekapRenderer`.
#[derive(Debug, Clone)]
pub struct Renderer {
    heading: rekap::OfficeHeading,
}

impl Renderer {
    /// The renderers for the office of `config` (its kop surat and place).
    pub fn new(config: &pipeline::Config) -> Renderer {
        Renderer {
            heading: rekap::OfficeHeading::from_config(config),
        }
    }
}

#[cfg(test)]
mod renders_only;
#[cfg(test)]
mod tests;
