//! Documents kept with an unknown kind ([`crate::config::UNCLASSIFIED`]):
//! listed with their row id for the review queue, and given their kind by
//! a person.

use rusqlite::params;
use serde::Serialize;

use super::{Document, Sql, Store, StoreError, Tx};
use crate::config::UNCLASSIFIED;
use crate::domain::application::ApplicationId;

/// A document of unknown kind and its row id (what `sigap review classify`
/// names it by).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnclassifiedDocument {
    /// Row id of the document.
    pub id: i64,
    /// The document.
    pub document: Document,
}

impl Store {
    /// The documents of one application whose kind is not known, oldest first.
    pub fn unclassified_documents(
        &self,
        id: ApplicationId,
    ) -> Result<Vec<UnclassifiedDocument>, StoreError> {
        self.query_all(
            "SELECT id, kind, original_name, stored_path, sha256, size, source_ref
             FROM documents WHERE application_id = ?1 AND kind = ?2 ORDER BY id",
            params![id.0, UNCLASSIFIED],
            |r| {
                Ok(UnclassifiedDocument {
                    id: r.get(0)?,
                    document: Document {
                        application: id,
                        kind: r.get(1)?,
                        original_name: r.get(2)?,
                        stored_path: r.get(3)?,
                        sha256: r.get(4)?,
                        size: r.get::<_, i64>(5)? as u64,
                        source_ref: r.get(6)?,
                    },
                })
            },
        )
    }
}

impl Tx<'_> {
    /// Gives document `doc` of application `id` its kind, if it is one of
    /// that application's documents of unknown kind; returns whether it was.
    /// The stored file keeps its name (its path is recorded as it is).
    pub fn classify_document(
        &mut self,
        id: ApplicationId,
        doc: i64,
        kind: &str,
    ) -> Result<bool, StoreError> {
        let n = self.exec(
            "UPDATE documents SET kind = ?3 WHERE id = ?2 AND application_id = ?1 AND kind = ?4",
            params![id.0, doc, kind, UNCLASSIFIED],
        )?;
        Ok(n == 1)
    }
}
