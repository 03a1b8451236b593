//! The pickup jobs over the store: import registers (→ COLLECTED), and
//! the courier's legs of a batch (PRINTED → IN_TRANSIT → READY).
//!
//! Times. The `pickups` table keeps the register's pickup time: that is
//! when the applicant got the card, and what the destruction bundles use.
//! The event log never goes backwards: the move to COLLECTED (and the
//! IN_TRANSIT/READY moves a pickup implies) is logged at the later of the
//! pickup time and the application's last event. They differ when an
//! arrival was recorded after the real pickup (`sigap arrived` typed the
//! next morning), or when a register written to the minute says "10:15"
//! for a card whose results were applied at 10:15:40; the COLLECTED
//! event's detail then names the register's time.
//!
//! A pickup can only be refused as before printing when it is before the
//! card could exist: before its batch went to the printer
//! (`dispatched_at`). The PRINTED event is when `sigap station results`
//! applied the results file, which is later than the real print (an
//! over-the-counter card is handed over minutes after printing). Like
//! NOT_PRINTED, that reason is not remembered: a corrected register, or
//! the same row once the facts change, is tried again.

use std::collections::BTreeMap;

use crate::digest::sha256_hex;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::{BadRow, RegisterRow, normalise_officer, parse_register};
use crate::config::{PrintingAt, Timezone};
use crate::domain::application::{Application, ApplicationId, Source};
use crate::domain::nik::mask;
use crate::domain::quarantine::QuarantineReason;
use crate::domain::state::{IMPLIED_BY_PICKUP, State};
use crate::store::{
    Change, FileChannel, FileKey, NewAppliedFile, NewQuarantine, Pickup, Seen, Store, StoreError,
};

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
    /// Register rows this entry stands for (every data line of a file
    /// refused whole, else 1).
    pub rows: usize,
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
    /// Of `already_known`: rows quarantined before as NOT_PRINTED or
    /// PICKED_UP_BEFORE_PRINTING, decided again and still not taken (their
    /// entry is in the quarantine already, so no new one is added).
    pub still_waiting: usize,
    /// IN_TRANSIT / READY moves the pickups implied (no handover or
    /// arrival was recorded for those cards).
    pub implied_moves: usize,
    /// Rows quarantined now, with their reason.
    pub quarantined: Vec<Rejected>,
    /// Registers refused whole (their header lacks the columns), now or
    /// before: not recorded as read, so every run reads them again and
    /// says so until they are fixed or removed.
    pub refused: Vec<String>,
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
            self.quarantined_rows()
        )
    }

    /// Register rows quarantined now (an entry for a file refused whole
    /// stands for all its rows).
    pub fn quarantined_rows(&self) -> usize {
        self.quarantined.iter().map(|r| r.rows).sum()
    }
}

enum Decision {
    /// Move along `path` to COLLECTED, logged at `log_at` (never before
    /// the application's last event), and record the pickup.
    Collect(Box<Application>, Vec<State>, DateTime<Utc>),
    /// The same pickup is already recorded.
    Known(ApplicationId),
    /// Not taken; `remember` is false where a later import may succeed
    /// (the card is not printed yet, or the facts may change).
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

/// The earliest time the card can exist: when its batch went to the
/// printer (else, for a batch never dispatched, when it was made).
fn printable_from(store: &Store, app: &Application) -> Result<Option<DateTime<Utc>>, StoreError> {
    let Some(batch) = app.batch.as_deref() else {
        return Ok(None);
    };
    Ok(store
        .batch(batch)?
        .map(|b| b.dispatched_at.unwrap_or(b.created_at)))
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
                "{at}: field batch: {id} is not in batch `{}` (it is in {}); check the rekap",
                super::echo(b),
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
    if let Some(from) = printable_from(cx.store, &app)?
        && row.picked_up_at < to_the_minute(from)
    {
        return Ok(Decision::Quarantine {
            reason: QuarantineReason::PickedUpBeforePrinting,
            message: format!(
                "{at}: field diambil_pada: {} is before {id}'s batch went to the printer ({}); check the date and time",
                row.picked_up_at.to_rfc3339(),
                from.to_rfc3339()
            ),
            // A corrected register repeating the row is tried again.
            remember: false,
        });
    }
    let path = path_to_collected(app.state, cx.printing);
    // The log never goes backwards (see the module doc).
    let last = cx.store.events(id)?.iter().map(|e| e.at).max();
    let log_at = last.map_or(row.picked_up_at, |l| l.max(row.picked_up_at));
    Ok(Decision::Collect(Box::new(app), path, log_at))
}

/// A pickup to write: the application, its moves, when they are logged,
/// and the row.
type Move = (Box<Application>, Vec<State>, DateTime<Utc>, RegisterRow);

/// Imports pickup registers. A register imported before (same SHA-256,
/// any name) is skipped whole; each new one is decided row by row and
/// written in one transaction: its pickups (with the moves to COLLECTED),
/// its quarantined rows, and the file itself. A register refused whole
/// (its header lacks the columns) is quarantined once and not recorded as
/// read: every run reads it again and reports it in
/// [`ImportReport::refused`] until it is fixed or removed.
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
        let sha = sha256_hex(&file.bytes);
        let key = FileKey::Content {
            name: &file.name,
            sha256: &sha,
        };
        if store.applied_file(FileChannel::Pickups, key)?.is_some() {
            report.already_imported.push(file.name.clone());
            continue;
        }
        let (rows, bad) = crate::guard::parse(&file.name, || parse_register(&file.bytes, tz))
            .unwrap_or_else(|p| (Vec::new(), vec![BadRow::unreadable(&file.bytes, &p)]));
        let refused = bad.iter().any(|b| b.whole_file);
        let mut taken: BTreeMap<ApplicationId, Pickup> = BTreeMap::new();
        let mut moves: Vec<Move> = Vec::new();
        let mut known: Vec<(String, ApplicationId, String)> = Vec::new();
        let mut rejected: Vec<(Rejected, Option<String>)> = Vec::new();
        let mut file_report = ImportReport::default();
        for b in &bad {
            file_report.rows += b.rows;
            let key = b.key(&sha);
            if store.seen_key(&key)?.is_some() {
                file_report.already_known += b.rows;
                continue;
            }
            rejected.push((
                Rejected {
                    source: format!("{}:{}", file.name, b.line),
                    reason: b.reason,
                    message: format!("{} {}", file.name, b.message),
                    raw: b.raw.clone(),
                    rows: b.rows,
                },
                Some(key),
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
                } => {
                    // A row that may succeed later is decided again by every
                    // import, but has one quarantine entry per reason: the
                    // next cumulative download does not add another.
                    let key = if remember {
                        key
                    } else {
                        let open = format!("pickup-open|{}|{key}", reason.code());
                        if store.seen_key(&open)?.is_some() {
                            file_report.already_known += 1;
                            file_report.still_waiting += 1;
                            continue;
                        }
                        open
                    };
                    rejected.push((
                        Rejected {
                            source,
                            reason,
                            message,
                            raw: row.raw.clone(),
                            rows: 1,
                        },
                        Some(key),
                    ))
                }
                Decision::Collect(app, path, log_at) => {
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
                    moves.push((app, path, log_at, row.clone()));
                }
            }
        }
        let summary = serde_json::json!({
            "rows": file_report.rows,
            "collected": file_report.collected,
            "already_known": file_report.already_known,
            "quarantined": rejected.iter().map(|(r, _)| r.rows).sum::<usize>(),
        })
        .to_string();
        if !(moves.is_empty() && known.is_empty() && rejected.is_empty() && refused) {
            store.write(|tx| {
                for (app, path, log_at, row) in &moves {
                    let pickup = &taken[&app.id];
                    tx.record_pickup(pickup, now)?;
                    let mut from = app.state;
                    for &to in path {
                        let detail = if to == State::Collected {
                            let when = if *log_at == pickup.picked_up_at {
                                String::new()
                            } else {
                                // The log keeps its order; the register's
                                // time is in the pickups table and here.
                                format!(
                                    "; picked up at {} by the register",
                                    pickup.picked_up_at.to_rfc3339()
                                )
                            };
                            format!(
                                "picked up; old card surrendered: {}; {}{when}",
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
                            format!("{} {}", IMPLIED_BY_PICKUP, pickup.source)
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
                            *log_at,
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
                // A file refused whole is not recorded: it stays visible
                // (read and reported again) until fixed or removed.
                if refused {
                    Ok(())
                } else {
                    let applied = NewAppliedFile {
                        channel: FileChannel::Pickups,
                        name: &file.name,
                        sha256: &sha,
                        summary: &summary,
                        stat: None,
                    };
                    tx.remember_applied_file(&applied, now)
                }
            })?;
        }
        for (app, _, _, _) in &moves {
            tracing::info!("{}: collected", app.id);
        }
        if refused {
            report.refused.push(file.name.clone());
        }
        report.rows += file_report.rows;
        report.collected += file_report.collected;
        report.surrendered += file_report.surrendered;
        report.already_known += file_report.already_known;
        report.still_waiting += file_report.still_waiting;
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

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::domain::application::NewApplication;
    use crate::domain::batch::PlannedBatch;
    use crate::domain::blanko::Movement;
    use crate::domain::service::Service;

    const BATCH: &str = "B-20261123-SEWON-1";

    /// Monday 23 November 2026, `h:m` in WIB.
    fn wib(d: u32, h: u32, m: u32) -> DateTime<Utc> {
        chrono::FixedOffset::east_opt(7 * 3600)
            .unwrap()
            .with_ymd_and_hms(2026, 11, d, h, m, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    /// Two KTP-el cards, batched and dispatched Monday 01:00, whose
    /// results are applied (PRINTED) at Monday 11:00 WIB.
    fn office() -> Store {
        let mut store = Store::open_in_memory().unwrap();
        store
            .write(|tx| {
                tx.blanko_move(Movement::Received, 10, "BAST-1", "test", "", wib(22, 8, 0))?;
                let mut ids = Vec::new();
                for i in 1..=2u32 {
                    let id = tx.insert_application(
                        &NewApplication {
                            source: Source::App,
                            source_ref: format!("app|{i}"),
                            nik: format!("340215170890000{i}"),
                            kk_number: None,
                            name: format!("WARGA {i}"),
                            birth_date: None,
                            service: Service::KtpBaru,
                            kecamatan: Some("34.02.15".into()),
                            email: None,
                            phone: None,
                            submitted_at: wib(22, 9, i).into(),
                        },
                        "test",
                        wib(22, 9, i),
                    )?;
                    let change = Change {
                        actor: "test",
                        ..Change::default()
                    };
                    tx.transition(
                        id,
                        State::Received,
                        State::Verified,
                        &change,
                        wib(22, 10, 0),
                    )?;
                    ids.push(id);
                }
                tx.create_batch(
                    &PlannedBatch {
                        id: BATCH.into(),
                        kecamatan: "34.02.15".into(),
                        applications: ids.clone(),
                    },
                    "test",
                    wib(23, 0, 50),
                )?;
                tx.mark_dispatched(BATCH, "sha", &ids, "test", wib(23, 1, 0))?;
                for &id in &ids {
                    let change = Change {
                        actor: "test",
                        ..Change::default()
                    };
                    tx.transition(
                        id,
                        State::Dispatched,
                        State::Printed,
                        &change,
                        wib(23, 11, 0),
                    )?;
                }
                Ok(())
            })
            .unwrap();
        store
    }

    fn register(name: &str, body: &str) -> RegisterFile {
        RegisterFile {
            name: name.into(),
            bytes: format!("id_permohonan,diambil_pada,petugas,ktp_lama_diserahkan\n{body}")
                .into_bytes(),
        }
    }

    fn import_at(store: &mut Store, files: &[RegisterFile]) -> ImportReport {
        import(
            store,
            files,
            PrintingAt::Dinas,
            Timezone::WIB,
            wib(26, 12, 0),
        )
        .unwrap()
    }

    fn log(store: &Store, id: i64) -> Vec<(State, DateTime<Utc>)> {
        store
            .events(ApplicationId(id))
            .unwrap()
            .into_iter()
            .map(|e| (e.to, e.at))
            .collect()
    }

    #[test]
    fn a_card_handed_over_before_the_results_were_applied_is_taken() {
        // Over the counter: printed and handed over at 10:05, results
        // applied at 11:00. Before the batch went to the printer is refused,
        // and not remembered: the corrected register takes the row.
        let mut store = office();
        let r = import_at(
            &mut store,
            &[register(
                "a.csv",
                "A-000001,23/11/2026 10:05,Sri,ya\nA-000002,23/11/2026 00:30,Sri,ya\n",
            )],
        );
        assert_eq!((r.collected, r.quarantined.len()), (1, 1), "{r:?}");
        assert_eq!(
            r.quarantined[0].reason,
            QuarantineReason::PickedUpBeforePrinting
        );
        assert!(r.quarantined[0].message.contains("went to the printer"));
        let r = import_at(
            &mut store,
            &[register(
                "b.csv",
                "A-000001,23/11/2026 10:05,Sri,ya\nA-000002,23/11/2026 00:30,Sri,ya\nA-000002,23/11/2026 10:30,Sri,ya\n",
            )],
        );
        assert_eq!(
            (
                r.collected,
                r.already_known,
                r.still_waiting,
                r.quarantined.len()
            ),
            (1, 2, 1, 0),
            "the refused row is tried again, without a second entry: {r:?}"
        );
        assert_eq!(store.quarantine().unwrap().len(), 1);
        assert_eq!(
            store.application(ApplicationId(2)).unwrap().unwrap().state,
            State::Collected
        );
        // The log does not go backwards: COLLECTED (and the implied moves)
        // at the PRINTED time; the pickups table keeps 10:05.
        let events = log(&store, 1);
        assert!(events.windows(2).all(|w| w[0].1 <= w[1].1), "{events:?}");
        assert_eq!(
            events[events.len() - 3..],
            [
                (State::InTransit, wib(23, 11, 0)),
                (State::Ready, wib(23, 11, 0)),
                (State::Collected, wib(23, 11, 0)),
            ]
        );
        let last = store.events(ApplicationId(1)).unwrap().pop().unwrap();
        assert!(
            last.detail
                .contains("picked up at 2026-11-23T03:05:00+00:00"),
            "{}",
            last.detail
        );
        let p = store.pickup(ApplicationId(1)).unwrap().unwrap();
        assert_eq!(p.picked_up_at, wib(23, 10, 5));
    }

    #[test]
    fn an_arrival_recorded_after_the_pickup_keeps_the_log_in_order() {
        let mut store = office();
        // Collected Monday 14:00; `sigap arrived` typed Tuesday 09:00.
        arrived(&mut store, BATCH, "Sri", wib(24, 9, 0)).unwrap();
        let r = import_at(
            &mut store,
            &[register("a.csv", "A-000001,23/11/2026 14:00,Sri,tidak\n")],
        );
        assert_eq!(r.collected, 1, "{r:?}");
        let events = log(&store, 1);
        assert!(events.windows(2).all(|w| w[0].1 <= w[1].1), "{events:?}");
        assert_eq!(events.last(), Some(&(State::Collected, wib(24, 9, 0))));
        assert_eq!(
            store
                .pickup(ApplicationId(1))
                .unwrap()
                .unwrap()
                .picked_up_at,
            wib(23, 14, 0)
        );
        // A pickup after the last event is logged at its own time.
        let r = import_at(
            &mut store,
            &[register("b.csv", "A-000002,24/11/2026 10:00,Sri,tidak\n")],
        );
        assert_eq!(r.collected, 1, "{r:?}");
        assert_eq!(
            log(&store, 2).last(),
            Some(&(State::Collected, wib(24, 10, 0)))
        );
    }

    /// A register whose parser panics (the guard's test seam) is one
    /// UNREADABLE entry with the panic's message; the next register is
    /// imported, and neither is taken again.
    #[test]
    fn a_register_whose_parser_panics_is_quarantined_and_the_next_imported() {
        let mut store = office();
        let files = [
            register("a.csv", "A-000002,23/11/2026 12:00,Sri,ya\n"),
            register("b.csv", "A-000001,23/11/2026 12:00,Sri,ya\n"),
        ];
        crate::guard::inject_panic(&["a.csv"]);
        let r = import_at(&mut store, &files);
        crate::guard::inject_panic(&[]);
        assert_eq!((r.collected, r.quarantined.len()), (1, 1), "{r:?}");
        assert_eq!(r.quarantined[0].source, "a.csv:1");
        assert_eq!(r.quarantined[0].reason, QuarantineReason::Unreadable);
        assert!(
            r.quarantined[0].message.contains("injected parser panic"),
            "{}",
            r.quarantined[0].message
        );
        assert_eq!(
            store.application(ApplicationId(1)).unwrap().unwrap().state,
            State::Collected
        );
        let again = import_at(&mut store, &files);
        assert!(again.quarantined.is_empty(), "{again:?}");
        assert_eq!(store.quarantine().unwrap().len(), 1);
    }

    #[test]
    fn a_second_register_with_the_same_bad_header_is_quarantined_too() {
        let mut store = office();
        let header = "id_permohonan,tanggal ambil,petugas,ktp_lama\n";
        let nov = RegisterFile {
            name: "sewon-11.csv".into(),
            bytes: format!(
                "{header}A-000001,23/11/2026 12:00,Sri,ya\n,,,\nA-000002,23/11/2026 12:05,Sri,ya\n"
            )
            .into_bytes(),
        };
        let dec = RegisterFile {
            name: "sewon-12.csv".into(),
            bytes: format!("{header}A-000002,01/12/2026 12:00,Sri,ya\n").into_bytes(),
        };
        let r = import_at(&mut store, std::slice::from_ref(&nov));
        assert_eq!(
            r.line(),
            "rows 2: collected 0 (old card surrendered 0), already known 0, quarantined 2"
        );
        assert_eq!(r.refused, ["sewon-11.csv"]);
        assert_eq!(r.quarantined.len(), 1);
        let r = import_at(&mut store, std::slice::from_ref(&dec));
        assert_eq!(
            r.line(),
            "rows 1: collected 0 (old card surrendered 0), already known 0, quarantined 1"
        );
        assert_eq!(r.quarantined[0].source, "sewon-12.csv:1");
        // Neither is recorded as read: both stay visible, without a new entry.
        let r = import_at(&mut store, &[nov.clone(), dec.clone()]);
        assert!(r.already_imported.is_empty(), "{r:?}");
        assert_eq!(r.refused, ["sewon-11.csv", "sewon-12.csv"]);
        assert_eq!((r.rows, r.already_known, r.quarantined.len()), (3, 3, 0));
        assert_eq!(store.quarantine().unwrap().len(), 2);
    }
}
