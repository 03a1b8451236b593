//! sigap's pipeline: the domain of a Disdukcapil back office (applications,
//! services, states, NIK and KK numbers, region codes), its configuration,
//! the state store, and the stages that move applications through the flow.
//!
//! Stages are plain functions over domain types; a rejected application is
//! data, not an `Err`. Only I/O fails.

pub mod adapters;
pub mod application;
pub mod archive;
pub mod calendar;
pub mod config;
pub mod domain;
pub mod files;
pub mod intake;
pub mod job;
pub mod nik;
pub mod notice;
pub mod office;
pub mod pickup;
pub mod print;
pub mod reason;
pub mod report_sla;
pub mod sample;
pub mod schedule;
pub mod service;
pub mod sla;
pub mod state;
pub mod store;
pub mod text;
pub mod verify;
pub mod wilayah;

#[cfg(test)]
mod fuzz;

pub use application::{Application, ApplicationId, NewApplication, Source};
pub use config::Config;
pub use reason::Reason;
pub use service::Service;
pub use state::State;
