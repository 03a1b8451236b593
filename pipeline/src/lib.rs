//! sigap's pipeline: the domain of a Disdukcapil back office (applications,
//! services, states, NIK and KK numbers, region codes), its configuration,
//! the state store, and the stages that move applications through the flow.
//!
//! Stages are plain functions over domain types; a rejected application is
//! data, not an `Err`. Only I/O fails.

pub mod adapters;
pub mod archive;
pub mod clock;
pub mod config;
pub mod digest;
pub mod domain;
pub mod files;
pub mod guard;
pub mod inbox;
pub mod intake;
pub mod job;
pub mod notice;
pub mod office;
pub mod pickup;
pub mod ports;
pub mod print;
pub mod report_sla;
pub mod sample;
pub mod schedule;
pub mod store;
pub mod text;
pub mod verify;

#[cfg(test)]
mod fuzz;

pub use config::Config;
pub use domain::application::{Application, ApplicationId, NewApplication, Source};
pub use domain::reason::Reason;
pub use domain::service::Service;
pub use domain::state::State;
