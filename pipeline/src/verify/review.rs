//! The review queue: applications verification sent to a person (REVIEW),
//! and the operator's decision, recorded with their name in the event log.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::niks;
use crate::domain::application::{Application, ApplicationId};
use crate::domain::reason::Reason;
use crate::domain::state::State;
use crate::ports::{Person, PopulationDb, PopulationError};
use crate::store::{Change, Store, StoreError};

/// The actor of an operator's decision: `operator:<name>`.
pub fn actor(operator: &str) -> String {
    format!("operator:{}", operator.trim())
}

/// The applications waiting for a decision, oldest first.
pub fn queue(store: &Store) -> Result<Vec<Application>, StoreError> {
    store.applications(Some(State::Review))
}

/// The population records of the queued applications, by NIK, in one
/// lookup: what the operator compares the typed name and KK with.
pub fn records(
    db: &mut dyn PopulationDb,
    apps: &[Application],
) -> Result<HashMap<u64, Person>, PopulationError> {
    let people = db.lookup(&niks(apps))?;
    Ok(people.into_iter().map(|p| (p.nik, p)).collect())
}

/// Approves a REVIEW application: VERIFIED, reasons cleared.
pub fn approve(
    store: &mut Store,
    id: ApplicationId,
    operator: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let actor = actor(operator);
    store.write(|tx| {
        tx.transition(
            id,
            State::Review,
            State::Verified,
            &Change {
                actor: &actor,
                detail: "approved in review",
                reasons: Some(&[]),
                batch: None,
            },
            at,
        )
    })
}

/// Rejects a REVIEW application. `reason` is a reason code (any case, e.g.
/// `NAME_MISMATCH`), stored as given; any other text is stored as
/// OPERATOR_REJECTED with the text in the event's detail. Returns the
/// reason recorded.
pub fn reject(
    store: &mut Store,
    id: ApplicationId,
    operator: &str,
    reason: &str,
    at: DateTime<Utc>,
) -> Result<Reason, StoreError> {
    let actor = actor(operator);
    let text = reason.trim();
    let (code, detail) = match text
        .to_uppercase()
        .replace(['-', ' '], "_")
        .parse::<Reason>()
    {
        Ok(code) => (code, format!("rejected in review: {}", code.code())),
        Err(_) => (
            Reason::OperatorRejected,
            format!("rejected in review: {text}"),
        ),
    };
    let codes = [code.code().to_string()];
    store.write(|tx| {
        tx.transition(
            id,
            State::Review,
            State::Rejected,
            &Change {
                actor: &actor,
                detail: &detail,
                reasons: Some(&codes),
                batch: None,
            },
            at,
        )
    })?;
    Ok(code)
}
