//! Print batches and the blanko ledger in the state store (migration 4).
//! Cards, their batch and their blanks move in the same transaction as the
//! application's state, so the ledger always matches the flow.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use rusqlite::params;
use serde::Serialize;

use super::{Change, Sql, Store, StoreError, Tx, parse_ts, ts};
use crate::domain::application::ApplicationId;
use crate::domain::batch::{CardResult, PlannedBatch};
use crate::domain::blanko::{BlankoBalance, LedgerEntry, Movement};
use crate::domain::state::State;

/// Batches, their cards, the blanko ledger (append-only) and the station
/// results files already applied.
pub(super) const MIGRATION: &str = r#"
    CREATE TABLE batches (
        id             TEXT PRIMARY KEY,
        kecamatan      TEXT NOT NULL,
        created_at     TEXT NOT NULL,
        card_count     INTEGER NOT NULL,
        dispatched_at  TEXT,
        cards_sha256   TEXT
    );
    CREATE TABLE batch_cards (
        batch_id        TEXT NOT NULL REFERENCES batches(id),
        application_id  INTEGER NOT NULL REFERENCES applications(id),
        seq             INTEGER NOT NULL,
        result          TEXT,
        blanko_serial   TEXT,
        reason          TEXT,
        result_at       TEXT,
        PRIMARY KEY (batch_id, application_id)
    );
    CREATE INDEX batch_cards_application ON batch_cards(application_id);
    CREATE TABLE blanko_ledger (
        seq        INTEGER PRIMARY KEY AUTOINCREMENT,
        at         TEXT NOT NULL,
        movement   TEXT NOT NULL,
        quantity   INTEGER NOT NULL CHECK (quantity > 0),
        reference  TEXT NOT NULL,
        actor      TEXT NOT NULL,
        detail     TEXT NOT NULL DEFAULT ''
    );
    CREATE TRIGGER blanko_append_only_update BEFORE UPDATE ON blanko_ledger
        BEGIN SELECT RAISE(ABORT, 'the blanko ledger is append-only'); END;
    CREATE TRIGGER blanko_append_only_delete BEFORE DELETE ON blanko_ledger
        BEGIN SELECT RAISE(ABORT, 'the blanko ledger is append-only'); END;
    CREATE TABLE station_results_applied (
        sha256      TEXT PRIMARY KEY,
        name        TEXT NOT NULL,
        applied_at  TEXT NOT NULL,
        summary     TEXT NOT NULL
    );
"#;

/// A station results file is known by its name and its content together
/// (migration 9; migration 4 keyed it by content alone, so a batch whose file was
/// byte-identical to an earlier batch's was never applied). Rows are kept;
/// migration 10 moves them into `applied_files`.
pub(super) const MIGRATION_RESULTS_BY_NAME: &str = r#"
    CREATE TABLE station_results_applied_v2 (
        name        TEXT NOT NULL,
        sha256      TEXT NOT NULL,
        applied_at  TEXT NOT NULL,
        summary     TEXT NOT NULL,
        PRIMARY KEY (name, sha256)
    );
    INSERT INTO station_results_applied_v2 (name, sha256, applied_at, summary)
        SELECT name, sha256, applied_at, summary FROM station_results_applied;
    DROP TABLE station_results_applied;
    ALTER TABLE station_results_applied_v2 RENAME TO station_results_applied;
"#;

/// A batch as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BatchRecord {
    /// Batch id.
    pub id: String,
    /// Pickup kecamatan (dotted code).
    pub kecamatan: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it went to the station, once dispatched.
    pub dispatched_at: Option<DateTime<Utc>>,
    /// Cards in it.
    pub card_count: u64,
    /// Cards with a PRINTED result.
    pub printed: u64,
    /// Cards spoiled or failed (re-queued).
    pub requeued: u64,
}

impl BatchRecord {
    /// Cards the station has not answered for yet.
    pub fn pending(&self) -> u64 {
        self.card_count - self.printed - self.requeued
    }
}

/// One card of a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BatchCard {
    /// The application.
    pub application: ApplicationId,
    /// Position in the batch (1-based).
    pub seq: u64,
    /// The station's result, once known.
    pub result: Option<CardResult>,
    /// Blanko serial used.
    pub blanko_serial: Option<String>,
    /// Spoil or failure reason.
    pub reason: Option<String>,
    /// When the result was applied.
    pub result_at: Option<DateTime<Utc>>,
}

fn card_result(s: &str) -> Option<CardResult> {
    [CardResult::Printed, CardResult::Spoiled, CardResult::Failed]
        .into_iter()
        .find(|r| r.code() == s)
}

impl Store {
    /// Totals of the blanko ledger.
    pub fn blanko_balance(&self) -> Result<BlankoBalance, StoreError> {
        let sums = self.blanko_sums()?;
        Ok(BlankoBalance::from_sums(|m| {
            sums.get(&m).copied().unwrap_or(0)
        }))
    }

    fn blanko_sums(&self) -> Result<BTreeMap<Movement, u64>, StoreError> {
        let rows = self.query_all(
            "SELECT movement, SUM(quantity) FROM blanko_ledger GROUP BY movement",
            [],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)),
        )?;
        let mut out = BTreeMap::new();
        for (m, n) in rows {
            let m = Movement::parse(&m).ok_or_else(|| self.corrupt("blanko_ledger.movement", m))?;
            out.insert(m, n as u64);
        }
        Ok(out)
    }

    /// The ledger, oldest first.
    pub fn blanko_ledger(&self) -> Result<Vec<LedgerEntry>, StoreError> {
        let rows = self.query_all(
            "SELECT seq, at, movement, quantity, reference, actor, detail
             FROM blanko_ledger ORDER BY seq",
            [],
            |r| <(i64, String, String, i64, String, String, String)>::try_from(r),
        )?;
        let mut out = Vec::new();
        for (seq, at, m, quantity, reference, actor, detail) in rows {
            out.push(LedgerEntry {
                seq,
                at,
                movement: Movement::parse(&m)
                    .ok_or_else(|| self.corrupt("blanko_ledger.movement", m))?,
                quantity: quantity as u64,
                reference,
                actor,
                detail,
            });
        }
        Ok(out)
    }

    /// Ids of all batches ever made.
    pub fn batch_ids(&self) -> Result<BTreeSet<String>, StoreError> {
        let rows = self.query_all("SELECT id FROM batches", [], |r| r.get::<_, String>(0))?;
        Ok(rows.into_iter().collect())
    }

    /// Batches, oldest first, with their result counts.
    pub fn batches(&self) -> Result<Vec<BatchRecord>, StoreError> {
        self.query_batches("WHERE ?1 IS NULL", None)
    }

    /// One batch.
    pub fn batch(&self, id: &str) -> Result<Option<BatchRecord>, StoreError> {
        Ok(self.query_batches("WHERE b.id = ?1", Some(id))?.pop())
    }

    fn query_batches(
        &self,
        filter: &str,
        arg: Option<&str>,
    ) -> Result<Vec<BatchRecord>, StoreError> {
        let sql = format!(
            "SELECT b.id, b.kecamatan, b.created_at, b.dispatched_at, b.card_count,
                    COUNT(CASE WHEN c.result = 'PRINTED' THEN 1 END),
                    COUNT(CASE WHEN c.result IN ('SPOILED', 'FAILED') THEN 1 END)
             FROM batches b LEFT JOIN batch_cards c ON c.batch_id = b.id
             {filter} GROUP BY b.id ORDER BY b.created_at, b.id"
        );
        let rows = self.query_all(&sql, [arg], |r| {
            <(String, String, String, Option<String>, i64, i64, i64)>::try_from(r)
        })?;
        let mut out = Vec::new();
        for (id, kecamatan, created, dispatched, count, printed, requeued) in rows {
            out.push(BatchRecord {
                id,
                kecamatan,
                created_at: self.ts_col("batches.created_at", created)?,
                dispatched_at: self.opt_ts_col("batches.dispatched_at", dispatched)?,
                card_count: count as u64,
                printed: printed as u64,
                requeued: requeued as u64,
            });
        }
        Ok(out)
    }

    /// The cards of a batch, in print order.
    pub fn batch_cards(&self, batch_id: &str) -> Result<Vec<BatchCard>, StoreError> {
        let rows = self.query_all(
            "SELECT application_id, seq, result, blanko_serial, reason, result_at
             FROM batch_cards WHERE batch_id = ?1 ORDER BY seq",
            [batch_id],
            |r| {
                <(
                    i64,
                    i64,
                    Option<String>,
                    Option<String>,
                    Option<String>,
                    Option<String>,
                )>::try_from(r)
            },
        )?;
        let mut out = Vec::new();
        for (app, seq, result, serial, reason, at) in rows {
            out.push(BatchCard {
                application: ApplicationId(app),
                seq: seq as u64,
                result: match result {
                    None => None,
                    Some(r) => {
                        Some(card_result(&r).ok_or_else(|| self.corrupt("batch_cards.result", r))?)
                    }
                },
                blanko_serial: serial,
                reason,
                result_at: at.as_deref().and_then(parse_ts),
            });
        }
        Ok(out)
    }

    /// When each VERIFIED application last arrived in RECEIVED: the moment
    /// it became complete, which orders the print queue. Only the queue is
    /// read, not the whole history.
    pub fn complete_times(&self) -> Result<BTreeMap<ApplicationId, DateTime<Utc>>, StoreError> {
        let rows = self.query_all(
            "SELECT e.application_id, MAX(e.at) FROM events e
             JOIN applications a ON a.id = e.application_id AND a.state = 'VERIFIED'
             WHERE e.to_state = 'RECEIVED' GROUP BY e.application_id",
            [],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)),
        )?;
        let mut out = BTreeMap::new();
        for (id, at) in rows {
            let at = self.ts_col("events.at", at)?;
            out.insert(ApplicationId(id), at);
        }
        Ok(out)
    }

    /// Every card result the station has reported, oldest first.
    pub fn card_results(&self) -> Result<Vec<(String, BatchCard)>, StoreError> {
        let mut out = Vec::new();
        for b in self.batches()? {
            for c in self.batch_cards(&b.id)? {
                if c.result.is_some() {
                    out.push((b.id.clone(), c));
                }
            }
        }
        out.sort_by(|a, b| (a.1.result_at, &a.0, a.1.seq).cmp(&(b.1.result_at, &b.0, b.1.seq)));
        Ok(out)
    }

    /// The SHA-256 of a batch's cards.csv as dispatched.
    pub fn batch_sha256(&self, id: &str) -> Result<Option<String>, StoreError> {
        self.query_opt(
            "SELECT cards_sha256 FROM batches WHERE id = ?1",
            [id],
            |r| r.get::<_, Option<String>>(0),
        )
        .map(Option::flatten)
    }

    /// The delivery recorded under this reference, if any: (when, how many).
    pub fn blanko_delivery(&self, reference: &str) -> Result<Option<(String, u64)>, StoreError> {
        self.query_opt(
            "SELECT at, quantity FROM blanko_ledger WHERE movement = 'RECEIVED' AND reference = ?1",
            [reference],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64)),
        )
    }

    /// Every blanko serial the station has reported (printed or spoiled).
    pub fn blanko_serials(&self) -> Result<Vec<String>, StoreError> {
        self.query_all(
            "SELECT blanko_serial FROM batch_cards WHERE blanko_serial IS NOT NULL AND blanko_serial != ''",
            [],
            |r| r.get(0),
        )
    }
}

impl Tx<'_> {
    /// Adds one movement to the blanko ledger. A reservation larger than
    /// the stock is refused and changes nothing.
    pub fn blanko_move(
        &mut self,
        movement: Movement,
        quantity: u64,
        reference: &str,
        actor: &str,
        detail: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        if movement == Movement::Reserved {
            let available = self.blanko_available()?;
            if quantity > available {
                return Err(StoreError::NoStock {
                    wanted: quantity,
                    available,
                });
            }
        }
        self.exec(
            "INSERT INTO blanko_ledger (at, movement, quantity, reference, actor, detail)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                ts(at),
                movement.code(),
                quantity as i64,
                reference,
                actor,
                detail
            ],
        )?;
        Ok(())
    }

    fn blanko_available(&self) -> Result<u64, StoreError> {
        let (received, reserved, released): (i64, i64, i64) = self.query_one(
            "SELECT COALESCE(SUM(CASE WHEN movement = 'RECEIVED' THEN quantity END), 0),
                    COALESCE(SUM(CASE WHEN movement = 'RESERVED' THEN quantity END), 0),
                    COALESCE(SUM(CASE WHEN movement = 'RELEASED' THEN quantity END), 0)
             FROM blanko_ledger",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        Ok((received + released - reserved).max(0) as u64)
    }

    /// Records a planned batch: the batch and its cards, the blanks it
    /// reserves, and each application VERIFIED → BATCHED.
    pub fn create_batch(
        &mut self,
        batch: &PlannedBatch,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let n = batch.applications.len() as u64;
        self.blanko_move(Movement::Reserved, n, &batch.id, actor, "", at)?;
        self.exec(
            "INSERT INTO batches (id, kecamatan, created_at, card_count) VALUES (?1, ?2, ?3, ?4)",
            params![batch.id, batch.kecamatan, ts(at), n as i64],
        )?;
        for (i, id) in batch.applications.iter().enumerate() {
            self.exec(
                "INSERT INTO batch_cards (batch_id, application_id, seq) VALUES (?1, ?2, ?3)",
                params![batch.id, id.0, (i + 1) as i64],
            )?;
            let detail = format!("batch {}", batch.id);
            self.transition(
                *id,
                State::Verified,
                State::Batched,
                &Change {
                    actor,
                    detail: &detail,
                    reasons: None,
                    batch: Some(Some(&batch.id)),
                },
                at,
            )?;
        }
        Ok(())
    }

    /// Sends a card that cannot be printed back to a person: REVIEW with
    /// `reasons`. A VERIFIED card (`batch` is `None`) reserved no blank. A
    /// card of a batch not yet at the station (`Some(batch)`) leaves the
    /// batch, and the blank it reserved goes back to stock (RELEASED), so
    /// the ledger balances and the rest of the batch can go out.
    pub fn hold_for_review(
        &mut self,
        id: ApplicationId,
        batch: Option<&str>,
        reasons: &[String],
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let why = reasons.join(", ");
        let (from, detail) = match batch {
            None => (State::Verified, format!("not printable: {why}")),
            Some(b) => {
                // Only a batch the station has not got may lose a card.
                let left = self.exec(
                    "DELETE FROM batch_cards WHERE batch_id = ?1 AND application_id = ?2
                     AND result IS NULL
                     AND EXISTS (SELECT 1 FROM batches WHERE id = ?1 AND dispatched_at IS NULL)",
                    params![b, id.0],
                )?;
                if left == 1 {
                    self.exec(
                        "UPDATE batches SET card_count = card_count - 1 WHERE id = ?1",
                        params![b],
                    )?;
                    let ledger_detail = format!("{id} {why}");
                    self.blanko_move(Movement::Released, 1, b, actor, &ledger_detail, at)?;
                }
                (
                    State::Batched,
                    format!("taken out of batch {b}, not printable: {why}"),
                )
            }
        };
        self.transition(
            id,
            from,
            State::Review,
            &Change {
                actor,
                detail: &detail,
                reasons: Some(reasons),
                batch: Some(None),
            },
            at,
        )
    }

    /// Records that a batch's folder is at the station: BATCHED → DISPATCHED.
    pub fn mark_dispatched(
        &mut self,
        batch_id: &str,
        cards_sha256: &str,
        cards: &[ApplicationId],
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.exec(
            "UPDATE batches SET dispatched_at = ?2, cards_sha256 = ?3 WHERE id = ?1",
            params![batch_id, ts(at), cards_sha256],
        )?;
        let detail = format!("batch {batch_id} to the station");
        for id in cards {
            self.transition(
                *id,
                State::Batched,
                State::Dispatched,
                &Change {
                    actor,
                    detail: &detail,
                    ..Change::default()
                },
                at,
            )?;
        }
        Ok(())
    }

    /// Applies the station's word on one card: PRINTED (a blank used), or
    /// back to VERIFIED for the next batch (a blank spoiled, or released
    /// when the card failed before one was fed).
    #[allow(clippy::too_many_arguments)]
    pub fn apply_card_result(
        &mut self,
        batch_id: &str,
        id: ApplicationId,
        result: CardResult,
        serial: &str,
        reason: &str,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.exec(
            "UPDATE batch_cards SET result = ?3, blanko_serial = ?4, reason = ?5, result_at = ?6
             WHERE batch_id = ?1 AND application_id = ?2 AND result IS NULL",
            params![batch_id, id.0, result.code(), serial, reason, ts(at)],
        )?;
        let (movement, to, detail) = match result {
            CardResult::Printed => (
                Movement::Used,
                State::Printed,
                format!("printed in batch {batch_id} on blanko {serial}"),
            ),
            CardResult::Spoiled => (
                Movement::Spoiled,
                State::Verified,
                format!("spoiled in batch {batch_id} (blanko {serial}): {reason}; queued again"),
            ),
            CardResult::Failed => (
                Movement::Released,
                State::Verified,
                format!("failed in batch {batch_id}: {reason}; queued again"),
            ),
        };
        let ledger_detail = format!("{id} {serial} {reason}");
        self.blanko_move(movement, 1, batch_id, actor, ledger_detail.trim(), at)?;
        let batch = if to == State::Verified {
            Some(None)
        } else {
            None
        };
        self.transition(
            id,
            State::Dispatched,
            to,
            &Change {
                actor,
                detail: &detail,
                reasons: None,
                batch,
            },
            at,
        )
    }
}
