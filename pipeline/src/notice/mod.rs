//! Notices by email: rendering them from the office's templates, sending
//! the due ones, and the admin alert. What a notice is and how often a send
//! is retried is domain ([`crate::domain::notice`]).
//!
//! A notice is created by the state store in the same transaction as the
//! state change that calls for it ([`crate::domain::notice::kind_for`]), so a change is never
//! committed without its notice nor a notice without its change. `sigap
//! notify` sends the due ones later (the outbox pattern).

pub mod alert;
pub mod render;
pub mod send;
