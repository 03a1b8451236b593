//! The pickup jobs over the store: import registers (→ COLLECTED), and
//! the courier's legs of a batch (PRINTED → IN_TRANSIT → READY).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{RegisterRow, hex, normalise_officer, parse_register};
use crate::application::{Application, ApplicationId, Source};
use crate::config::{PrintingAt, Timezone};
use crate::intake::quarantine::QuarantineReason;
use crate::nik::mask;
use crate::state::State;
use crate::store::{Change, NewQuarantine, Pickup, Seen, Store, StoreError};

const ACTOR: &str = "sigap:pickups";

/// A pickup job failure: only the store (or an unknown batch named on the
/// command line) fails; a bad row is quarantined, not an error.
#[derive(Debug, thiserror::Error)]
pub enum PickupError {
    /// The state store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No batch with this id.
    #[error(
        "no batch {0} was made by this office; see the batch ids on the rekap or `sigap station list`"
    )]
    UnknownBatch(String),
}

/// One register to import: its name (for sources and messages) and bytes.
#[derive(Debug, Clone)]
pub struct RegisterFile {
    /// `pickups/sewon-2026-11.csv` (inbox) or the file name given.
    pub name: String,
    /// The file's content.
    pub bytes: Vec<u8>,
}

/// A row that was not taken, kept in the quarantine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejected {
    /// `file:line`.
    pub source: String,
    /// Why.
    pub reason: QuarantineReason,
    /// What is wrong (file, line, field) and what to do; no NIK in full.
    pub message: String,
    /// The row as read.
    #[serde(skip)]
    pub raw: String,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// Registers given.
    pub files: usize,
    /// Registers imported before (same SHA-256): nothing read.
    pub already_imported: Vec<String>,
    /// Rows read (collected + already known + quarantined).
    pub rows: usize,
    /// Cards moved to COLLECTED now.
    pub collected: usize,
    /// Of those, with the old card surrendered.
    pub surrendered: usize,
    /// Rows that were seen before or repeat a recorded pickup.
    pub already_known: usize,
    /// IN_TRANSIT / READY moves the pickups implied (no handover or
    /// arrival was recorded for those cards).
    pub implied_moves: usize,
    /// Rows quarantined now, with their reason.
    pub quarantined: Vec<Rejected>,
}

impl ImportReport {
    /// `rows 12: collected 10 (old card surrendered 7), already known 1, quarantined 1`.
    pub fn line(&self) -> String {
        format!(
            "rows {}: collected {} (old card surrendered {}), already known {}, quarantined {}",
            self.rows,
            self.collected,
            self.surrendered,
            self.already_known,
            self.quarantined.len()
        )
    }
}

enum Decision {
    /// Move along `path` to COLLECTED and record the pickup.
    Collect(Box<Application>, Vec<State>),
    /// The same pickup is already recorded.
    Known(ApplicationId),
    /// Not taken; `remember` is false where a later import may succeed
    /// (the card is not printed yet).
    Quarantine {
        reason: QuarantineReason,
        message: String,
        remember: bool,
    },
}

fn quarantine(reason: QuarantineReason, message: String) -> Decision {
    Decision::Quarantine {
        reason,
        message,
        remember: true,
    }
}

/// The moves from a pickable state to COLLECTED.
fn path_to_collected(from: State, printing: PrintingAt) -> Vec<State> {
    match (from, printing) {
        (State::Printed, PrintingAt::Dinas) => {
            vec![State::InTransit, State::Ready, State::Collected]
        }
        (State::Printed, PrintingAt::Kecamatan) => vec![State::Ready, State::Collected],
        (State::InTransit, _) => vec![State::Ready, State::Collected],
        _ => vec![State::Collected],
    }
}

fn same_pickup(p: &Pickup, row: &RegisterRow) -> bool {
    p.picked_up_at == row.picked_up_at
        && p.old_card_surrendered == row.old_card_surrendered
        && normalise_officer(&p.officer) == normalise_officer(&row.officer)
}

fn to_the_minute(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(t.timestamp().div_euclid(60) * 60, 0).unwrap_or(t)
}

/// When the card was printed: the last move to PRINTED in its log.
fn printed_at(store: &Store, id: ApplicationId) -> Result<Option<DateTime<Utc>>, StoreError> {
    Ok(store
        .events(id)?
        .into_iter()
        .rev()
        .find(|e| e.to == State::Printed)
        .map(|e| e.at))
}

struct Context<'a> {
    store: &'a Store,
    printing: PrintingAt,
    now: DateTime<Utc>,
    /// Pickups accepted earlier in this import (not yet in the store).
    taken: &'a BTreeMap<ApplicationId, Pickup>,
}

fn decide(cx: &Context<'_>, file: &str, row: &RegisterRow) -> Result<Decision, StoreError> {
    let at = format!("{file} line {}", row.line);
    // The application the row is about.
    let app = match (row.application, &row.nik) {
        (Some(id), nik) => match cx.store.application(id)? {
            None => {
                return Ok(quarantine(
                    QuarantineReason::UnknownApplication,
                    format!("{at}: field id_permohonan: {id} is not an application of this office"),
                ));
            }
            Some(a) if nik.as_ref().is_some_and(|n| *n != a.submitted.nik) => {
                return Ok(quarantine(
                    QuarantineReason::PickupNikMismatch,
                    format!(
                        "{at}: field nik: {} is not the NIK of {id}; check which card was handed over",
                        mask(nik.as_deref().unwrap_or(""))
                    ),
                ));
            }
            Some(a) => a,
        },
        (None, Some(nik)) => {
            let apps: Vec<Application> = cx
                .store
                .applications_by_nik(nik)?
                .into_iter()
                .filter(|a| a.submitted.service.is_ktp())
                .collect();
            // The card waiting at the kecamatan, else the latest collected
            // one (a repeat of its pickup), else the latest at all.
            let pick = apps
                .iter()
                .rev()
                .find(|a| {
                    matches!(a.state, State::Printed | State::InTransit | State::Ready)
                        && !cx.taken.contains_key(&a.id)
                })
                .or_else(|| {
                    apps.iter().rev().find(|a| {
                        matches!(a.state, State::Collected | State::Archived)
                            || cx.taken.contains_key(&a.id)
                    })
                })
                .or(apps.last());
            match pick {
                Some(a) => a.clone(),
                None => {
                    return Ok(quarantine(
                        QuarantineReason::UnknownApplication,
                        format!(
                            "{at}: field nik: no KTP-el application of this office has NIK {}",
                            mask(nik)
                        ),
                    ));
                }
            }
        }
        (None, None) => unreachable!("parse_register refuses rows without id and NIK"),
    };
    let id = app.id;
    if !app.submitted.service.is_ktp() {
        return Ok(quarantine(
            QuarantineReason::NotPrinted,
            format!(
                "{at}: {id} is a {} application; a KK is issued as a PDF, not picked up as a card",
                app.submitted.service
            ),
        ));
    }
    if let Some(b) = &row.batch
        && app.batch.as_deref() != Some(b.as_str())
    {
        return Ok(quarantine(
            QuarantineReason::WrongBatch,
            format!(
                "{at}: field batch: {id} is not in batch {b} (it is in {}); check the rekap",
                app.batch.as_deref().unwrap_or("no batch")
            ),
        ));
    }
    // Already collected: in this import, or before.
    let earlier = match cx.taken.get(&id) {
        Some(p) => Some(p.clone()),
        None => cx.store.pickup(id)?,
    };
    if let Some(p) = earlier {
        return Ok(if same_pickup(&p, row) {
            Decision::Known(id)
        } else {
            quarantine(
                QuarantineReason::ConflictingPickup,
                format!(
                    "{at}: {id} was already collected at {} (old card surrendered: {}, {}); this row says {} ({}); correct the register or the earlier one",
                    p.picked_up_at.to_rfc3339(),
                    if p.old_card_surrendered {
                        "ya"
                    } else {
                        "tidak"
                    },
                    p.source,
                    row.picked_up_at.to_rfc3339(),
                    if row.old_card_surrendered {
                        "ya"
                    } else {
                        "tidak"
                    },
                ),
            )
        });
    }
    if !matches!(app.state, State::Printed | State::InTransit | State::Ready) {
        return Ok(Decision::Quarantine {
            reason: QuarantineReason::NotPrinted,
            message: format!(
                "{at}: {id} is {}, not yet printed; import the register again once the station's results are applied",
                app.state
            ),
            // A later import may find it printed.
            remember: false,
        });
    }
    // A register is written to the minute: a card printed at 10:15:40 may
    // be handed over "at 10:15" in it.
    if row.picked_up_at > cx.now + Duration::minutes(1) {
        return Ok(quarantine(
            QuarantineReason::PickupInFuture,
            format!(
                "{at}: field diambil_pada: {} is after now; check the date and time",
                row.picked_up_at.to_rfc3339()
            ),
        ));
    }
    if let Some(printed) = printed_at(cx.store, id)?
        && row.picked_up_at < to_the_minute(printed)
    {
        return Ok(quarantine(
            QuarantineReason::PickedUpBeforePrinting,
            format!(
                "{at}: field diambil_pada: {} is before {id} was printed ({}); check the date and time",
                row.picked_up_at.to_rfc3339(),
                printed.to_rfc3339()
            ),
        ));
    }
    let path = path_to_collected(app.state, cx.printing);
    Ok(Decision::Collect(Box::new(app), path))
}

/// Imports pickup registers. A register imported before (same SHA-256,
/// any name) is skipped whole; each new one is decided row by row and
/// written in one transaction: its pickups (with the moves to COLLECTED,
/// at the pickup time), its quarantined rows, and the file itself.
pub fn import(
    store: &mut Store,
    files: &[RegisterFile],
    printing: PrintingAt,
    tz: Timezone,
    now: DateTime<Utc>,
) -> Result<ImportReport, StoreError> {
    let mut report = ImportReport::default();
    for file in files {
        report.files += 1;
        let sha = hex(&Sha256::digest(&file.bytes));
        if store.pickup_file(&sha)?.is_some() {
            report.already_imported.push(file.name.clone());
            continue;
        }
        let (rows, bad) = parse_register(&file.bytes, tz);
        let mut taken: BTreeMap<ApplicationId, Pickup> = BTreeMap::new();
        let mut moves: Vec<(Box<Application>, Vec<State>, RegisterRow)> = Vec::new();
        let mut known: Vec<(String, ApplicationId, String)> = Vec::new();
        let mut rejected: Vec<(Rejected, Option<String>)> = Vec::new();
        let mut file_report = ImportReport::default();
        for b in &bad {
            file_report.rows += 1;
            if store.seen_key(&b.key())?.is_some() {
                file_report.already_known += 1;
                continue;
            }
            rejected.push((
                Rejected {
                    source: format!("{}:{}", file.name, b.line),
                    reason: b.reason,
                    message: format!("{} {}", file.name, b.message),
                    raw: b.raw.clone(),
                },
                Some(b.key()),
            ));
        }
        for row in &rows {
            file_report.rows += 1;
            let key = row.key();
            if store.seen_key(&key)?.is_some() {
                file_report.already_known += 1;
                continue;
            }
            let source = format!("{}:{}", file.name, row.line);
            let cx = Context {
                store,
                printing,
                now,
                taken: &taken,
            };
            match decide(&cx, &file.name, row)? {
                Decision::Known(id) => {
                    file_report.already_known += 1;
                    known.push((key, id, source));
                }
                Decision::Quarantine {
                    reason,
                    message,
                    remember,
                } => rejected.push((
                    Rejected {
                        source,
                        reason,
                        message,
                        raw: row.raw.clone(),
                    },
                    remember.then_some(key),
                )),
                Decision::Collect(app, path) => {
                    taken.insert(
                        app.id,
                        Pickup {
                            application: app.id,
                            picked_up_at: row.picked_up_at,
                            officer: row.officer.clone(),
                            old_card_surrendered: row.old_card_surrendered,
                            batch: row.batch.clone(),
                            source,
                        },
                    );
                    file_report.collected += 1;
                    file_report.surrendered += usize::from(row.old_card_surrendered);
                    file_report.implied_moves += path.len() - 1;
                    moves.push((app, path, row.clone()));
                }
            }
        }
        let summary = serde_json::json!({
            "rows": file_report.rows,
            "collected": file_report.collected,
            "already_known": file_report.already_known,
            "quarantined": rejected.len(),
        })
        .to_string();
        store.write(|tx| {
            for (app, path, row) in &moves {
                let pickup = &taken[&app.id];
                tx.record_pickup(pickup, now)?;
                let mut from = app.state;
                for &to in path {
                    let detail = if to == State::Collected {
                        format!(
                            "picked up; old card surrendered: {}; {}",
                            if pickup.old_card_surrendered {
                                "ya"
                            } else {
                                "tidak"
                            },
                            pickup.source
                        )
                    } else {
                        // Reports can tell these from a recorded handover
                        // or arrival by this detail.
                        format!("implied by the pickup in {}", pickup.source)
                    };
                    tx.transition(
                        app.id,
                        from,
                        to,
                        &Change {
                            actor: ACTOR,
                            detail: &detail,
                            ..Change::default()
                        },
                        row.picked_up_at,
                    )?;
                    from = to;
                }
                tx.remember(&row.key(), Seen::Application(app.id), &pickup.source, now)?;
            }
            for (key, id, source) in &known {
                tx.remember(key, Seen::Application(*id), source, now)?;
            }
            for (r, key) in &rejected {
                let q = tx.add_quarantine(
                    &NewQuarantine {
                        channel: Source::Pickup,
                        source: &r.source,
                        message_id: None,
                        reason: r.reason,
                        detail: &r.message,
                        raw: r.raw.as_bytes(),
                        stored_path: None,
                        sha256: None,
                        size: r.raw.len() as u64,
                    },
                    now,
                )?;
                if let Some(key) = key {
                    tx.remember(key, Seen::Quarantine(q), &r.source, now)?;
                }
            }
            tx.remember_pickup_file(&sha, &file.name, &summary, now)
        })?;
        for (app, _, _) in &moves {
            tracing::info!("{}: collected", app.id);
        }
        report.rows += file_report.rows;
        report.collected += file_report.collected;
        report.surrendered += file_report.surrendered;
        report.already_known += file_report.already_known;
        report.implied_moves += file_report.implied_moves;
        report
            .quarantined
            .extend(rejected.into_iter().map(|(r, _)| r));
    }
    Ok(report)
}

/// What a handover or arrival did to a batch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LegReport {
    /// Cards moved now.
    pub moved: Vec<ApplicationId>,
    /// Of those, cards that went PRINTED → READY without a handover.
    pub without_handover: usize,
    /// Cards already at this step or past it.
    pub already: usize,
    /// Cards of the batch not printed yet (still at the station).
    pub not_printed: usize,
}

fn leg(
    store: &mut Store,
    batch: &str,
    moves: &[(State, State)],
    actor: &str,
    detail: &str,
    at: DateTime<Utc>,
) -> Result<LegReport, PickupError> {
    if store.batch(batch)?.is_none() {
        return Err(PickupError::UnknownBatch(batch.to_string()));
    }
    let apps = store.applications_in_batch(batch)?;
    let mut report = LegReport::default();
    let mut todo = Vec::new();
    let target = moves[0].1;
    for a in &apps {
        match moves.iter().find(|(from, _)| *from == a.state) {
            Some(&(from, to)) => {
                if from == State::Printed && to == State::Ready {
                    report.without_handover += 1;
                }
                todo.push((a.id, from, to));
            }
            None if a.state >= target => report.already += 1,
            None => report.not_printed += 1,
        }
    }
    store.write(|tx| {
        for &(id, from, to) in &todo {
            tx.transition(
                id,
                from,
                to,
                &Change {
                    actor,
                    detail,
                    ..Change::default()
                },
                at,
            )?;
        }
        Ok(())
    })?;
    report.moved = todo.into_iter().map(|t| t.0).collect();
    Ok(report)
}

/// `sigap handover BATCH --by NAME`: the courier took the batch; every
/// PRINTED card of it becomes IN_TRANSIT.
pub fn handover(
    store: &mut Store,
    batch: &str,
    courier: &str,
    at: DateTime<Utc>,
) -> Result<LegReport, PickupError> {
    leg(
        store,
        batch,
        &[(State::Printed, State::InTransit)],
        &format!("courier:{courier}"),
        &format!("batch {batch} handed to the courier"),
        at,
    )
}

/// `sigap arrived BATCH [--by NAME]`: the batch is at the kecamatan; its
/// IN_TRANSIT cards (and PRINTED ones whose handover was not recorded, or
/// where the kecamatan prints) become READY.
pub fn arrived(
    store: &mut Store,
    batch: &str,
    by: &str,
    at: DateTime<Utc>,
) -> Result<LegReport, PickupError> {
    leg(
        store,
        batch,
        &[
            (State::InTransit, State::Ready),
            (State::Printed, State::Ready),
        ],
        &format!("operator:{by}"),
        &format!("batch {batch} arrived at the kecamatan"),
        at,
    )
}
