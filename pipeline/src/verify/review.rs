//! The review queue: applications verification sent to a person (REVIEW),
//! and the operator's decision, recorded with their name in the event log.
//! A document of unknown kind is classified here ([`classify`]), which
//! sends the application back to RECEIVED to be verified again.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::niks;
use crate::config::{Config, UNCLASSIFIED};
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

/// A review decision that cannot be made as asked. Nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    /// The state store failed, or the application is not in REVIEW.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The kind given is not one of the office's document kinds.
    #[error("`{kind}` is not a document kind of this office; use one of: {valid}")]
    UnknownKind {
        /// What was given.
        kind: String,
        /// The office's kinds, comma-separated.
        valid: String,
    },
    /// The application has no document of unknown kind with that id.
    #[error("{id} has no unclassified document {doc}; see `sigap review list` for its documents")]
    NoSuchDocument {
        /// The application.
        id: ApplicationId,
        /// The document id given.
        doc: i64,
    },
    /// Approving would pass a document nobody has looked at.
    #[error(
        "{id} still has {count} unclassified document(s); classify them first: sigap review classify {id} DOC KIND"
    )]
    Unclassified {
        /// The application.
        id: ApplicationId,
        /// How many.
        count: usize,
    },
}

/// Approves a REVIEW application: VERIFIED, reasons cleared. Refused while
/// it waits for a document of unknown kind to be classified
/// (UNCLASSIFIED_DOCUMENT: [`classify`] it first).
pub fn approve(
    store: &mut Store,
    id: ApplicationId,
    operator: &str,
    at: DateTime<Utc>,
) -> Result<(), ReviewError> {
    // Only where the document may be the missing one: an extra file of
    // unknown kind beside a complete set does not hold up the decision.
    let waits = store.application(id)?.is_some_and(|a| {
        a.reasons
            .iter()
            .any(|r| r == Reason::UnclassifiedDocument.code())
    });
    let count = store.unclassified_documents(id)?.len();
    if waits && count > 0 {
        return Err(ReviewError::Unclassified { id, count });
    }
    let actor = actor(operator);
    Ok(store.write(|tx| {
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
    })?)
}

/// Classifies document `doc` of REVIEW application `id` as `kind` (a key of
/// the office's `[documents]`) and moves the application back to RECEIVED
/// with the event, in one transaction, so that verification decides it
/// again (`sigap review classify` runs [`super::run_one`] at once).
pub fn classify(
    store: &mut Store,
    config: &Config,
    id: ApplicationId,
    doc: i64,
    kind: &str,
    operator: &str,
    at: DateTime<Utc>,
) -> Result<(), ReviewError> {
    let kind = kind.trim();
    if kind == UNCLASSIFIED || !config.documents.contains_key(kind) {
        return Err(ReviewError::UnknownKind {
            kind: kind.to_string(),
            valid: config
                .documents
                .keys()
                .map(String::as_str)
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    let actor = actor(operator);
    let detail = format!("document {doc} classified as {kind} in review");
    store.transaction(true, |tx| {
        if !tx.classify_document(id, doc, kind)? {
            return Err(ReviewError::NoSuchDocument { id, doc });
        }
        tx.transition(
            id,
            State::Review,
            State::Received,
            &Change {
                actor: &actor,
                detail: &detail,
                reasons: Some(&[]),
                batch: None,
            },
            at,
        )?;
        Ok(())
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
