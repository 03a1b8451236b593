//! The print jobs over the store and the station: make tonight's batches,
//! put them in the hot folder, apply the station's results.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::config::Config;
use crate::domain::application::{Application, ApplicationId, Source};
use crate::domain::calendar::WorkingTime;
use crate::domain::quarantine::QuarantineReason;
use crate::domain::state::State;
use crate::domain::wilayah::Wilayah;
use crate::ports::{Dispatch, PopulationDb, PopulationError, Station, StationError};
use crate::store::NewQuarantine;
use crate::store::{BatchRecord, FileChannel, FileKey, NewAppliedFile, Store, StoreError};
use crate::verify::nik_key;

use super::{BatchFiles, BatchPlan, Candidate, CardFace, RejectedResult, parse_results};
use crate::domain::batch::CardResult;

const ACTOR_BATCH: &str = "sigap:batch";
const ACTOR_STATION: &str = "sigap:station";

/// A print job failure: the store or the station.
#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    /// The state store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The station's hot folder failed.
    #[error(transparent)]
    Station(#[from] StationError),
    /// The population database failed.
    #[error(transparent)]
    Population(#[from] PopulationError),
    /// Residents of a batch are gone from the population database since
    /// verification; the batch stays BATCHED.
    #[error("batch {batch}: no population record for {}; check them with `sigap applications show`, then run `sigap batch` again", ids.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "))]
    RecordsGone {
        /// The batch.
        batch: String,
        /// Applications without a record.
        ids: Vec<ApplicationId>,
    },
}

/// VERIFIED KTP-el applications as batch candidates.
pub fn candidates(store: &Store) -> Result<Vec<Candidate>, StoreError> {
    let complete = store.complete_times()?;
    Ok(store
        .applications(Some(State::Verified))?
        .into_iter()
        .filter(|a| a.submitted.service.is_ktp())
        .map(|a| Candidate {
            id: a.id,
            complete_at: complete.get(&a.id).copied().unwrap_or(a.state_since),
            kecamatan: a.submitted.kecamatan,
        })
        .collect())
}

/// What tonight's batching would do, without doing it.
pub fn plan_tonight(
    store: &Store,
    batch_size: u32,
    date: NaiveDate,
    wilayah: &Wilayah,
) -> Result<BatchPlan, StoreError> {
    let available = store.blanko_balance()?.available;
    Ok(super::plan(
        &candidates(store)?,
        available,
        batch_size,
        date,
        &store.batch_ids()?,
        wilayah,
    ))
}

/// Makes the planned batches, all in one transaction.
pub fn make_batches(
    store: &mut Store,
    plan: &BatchPlan,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    store.write(|tx| {
        for b in &plan.batches {
            tx.create_batch(b, ACTOR_BATCH, at)?;
        }
        Ok(())
    })
}

/// Batches made but not yet in the hot folder, with their applications in
/// print order.
pub fn undispatched(store: &Store) -> Result<Vec<(BatchRecord, Vec<Application>)>, StoreError> {
    let waiting: Vec<BatchRecord> = store
        .batches()?
        .into_iter()
        .filter(|b| b.dispatched_at.is_none())
        .collect();
    if waiting.is_empty() {
        return Ok(Vec::new());
    }
    // One read of every BATCHED application, not one per card.
    let mut batched: BTreeMap<ApplicationId, Application> = store
        .applications(Some(State::Batched))?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    let mut out = Vec::new();
    for b in waiting {
        let apps = store
            .batch_cards(&b.id)?
            .iter()
            .filter_map(|c| batched.remove(&c.application))
            .collect();
        out.push((b, apps));
    }
    Ok(out)
}

/// Writes one batch to the station and records it as DISPATCHED. The
/// folder is written first: a crash between the two leaves a folder the
/// next run recognises (same cards) and only records.
pub fn dispatch_batch(
    store: &mut Store,
    station: &dyn Station,
    files: &BatchFiles,
    cards: &[ApplicationId],
    at: DateTime<Utc>,
) -> Result<Dispatch, PrintError> {
    let done = station.dispatch(files)?;
    store.write(|tx| {
        tx.mark_dispatched(
            &files.manifest.batch_id,
            &files.manifest.cards_sha256,
            cards,
            ACTOR_BATCH,
            at,
        )
    })?;
    Ok(done)
}

/// A dispatched batch with cards the station has not answered after a full
/// office day of working time (see [`overdue_batches`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Overdue {
    /// Batch id.
    pub batch: String,
    /// When it went to the station (UTC).
    pub dispatched_at: DateTime<Utc>,
    /// Whole hours since then.
    pub hours: i64,
    /// Of those, whole working hours (opening hours of office days).
    pub working_hours: i64,
    /// Cards without a result.
    pub unanswered: u64,
    /// Cards in the batch.
    pub cards: u64,
}

impl Overdue {
    /// `B-20261123-SEWON-1: dispatched 3 days ago (2026-11-23 01:02 UTC), no station results for 5 of 5 card(s); …`
    pub fn line(&self) -> String {
        let age = if self.hours >= 48 {
            format!("{} days", self.hours / 24)
        } else {
            format!("{} hours", self.hours)
        };
        format!(
            "{}: dispatched {age} ago ({}, {} working hours), no station results for {} of {} card(s); check that the station printed it and that its results file reached spool/results/",
            self.batch,
            self.dispatched_at.format("%Y-%m-%d %H:%M UTC"),
            self.working_hours,
            self.unanswered,
            self.cards
        )
    }
}

/// The dispatched batches the station is late with, oldest first: those
/// with unanswered cards after the station has had a full office day
/// ([`WorkingTime::longest_day`]) of working time since the dispatch. The
/// station prints in office hours, so a batch of Friday night is not late
/// on Sunday or over a holiday, only once a working day has gone by.
pub fn overdue_batches(
    store: &Store,
    working: &WorkingTime,
    now: DateTime<Utc>,
) -> Result<Vec<Overdue>, StoreError> {
    let day = working.longest_day().max(1);
    let mut out: Vec<Overdue> = store
        .batches()?
        .into_iter()
        .filter(|b| b.pending() > 0)
        .filter_map(|b| {
            let at = b.dispatched_at?;
            let working_secs = working.seconds_between(at, now);
            (working_secs >= day).then(|| Overdue {
                batch: b.id.clone(),
                dispatched_at: at,
                hours: (now - at).num_hours(),
                working_hours: working_secs / 3600,
                unanswered: b.pending(),
                cards: b.card_count,
            })
        })
        .collect();
    out.sort_by(|a, b| (a.dispatched_at, &a.batch).cmp(&(b.dispatched_at, &b.batch)));
    Ok(out)
}

/// What `sigap batch` did (or, in a dry run, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchReport {
    /// Batches made now: id, kecamatan, cards.
    pub made: Vec<(String, String, usize)>,
    /// Batch folders written to the station.
    pub dispatched: Vec<String>,
    /// Batch folders that were already there (an earlier, interrupted run).
    pub already_there: Vec<String>,
    /// Verified applications left waiting, per reason.
    pub waiting: BTreeMap<super::WaitReason, usize>,
}

impl BatchReport {
    /// `batches 2 (37 cards), dispatched 2, waiting: NO_STOCK 5`.
    pub fn line(&self) -> String {
        let cards: usize = self.made.iter().map(|m| m.2).sum();
        let mut line = format!(
            "batches {} ({cards} cards), dispatched {}",
            self.made.len(),
            self.dispatched.len() + self.already_there.len()
        );
        if !self.waiting.is_empty() {
            let w: Vec<String> = self
                .waiting
                .iter()
                .map(|(r, n)| format!("{} {n}", r.code()))
                .collect();
            line.push_str(&format!(", waiting: {}", w.join(", ")));
        }
        line
    }
}

/// `sigap batch`: plans tonight's batches within stock, records them and
/// puts every batch not yet at the station into its hot folder, with the
/// card faces from the population database (one lookup per batch). The
/// database is opened (`open_db`) only when a card goes out, so a night with
/// nothing to print does not need it. A dry run plans and reports, and
/// writes nothing.
pub fn batch_and_dispatch(
    store: &mut Store,
    config: &Config,
    open_db: &mut dyn FnMut() -> Result<Box<dyn PopulationDb>, PopulationError>,
    station: &dyn Station,
    at: DateTime<Utc>,
    dry_run: bool,
) -> Result<BatchReport, PrintError> {
    let wilayah = Wilayah::embedded();
    let today = at
        .with_timezone(&config.office.timezone.offset())
        .date_naive();
    let plan = plan_tonight(store, config.station.batch_size, today, wilayah)?;
    let mut report = BatchReport {
        made: plan
            .batches
            .iter()
            .map(|b| (b.id.clone(), b.kecamatan.clone(), b.applications.len()))
            .collect(),
        waiting: plan.waiting_counts(),
        ..BatchReport::default()
    };
    if dry_run {
        return Ok(report);
    }
    make_batches(store, &plan, at)?;
    let pending = undispatched(store)?;
    // One population lookup for every card going out tonight.
    let niks: Vec<u64> = pending
        .iter()
        .flat_map(|(_, apps)| apps.iter().filter_map(nik_key))
        .collect();
    let records: BTreeMap<u64, CardFace> = if niks.is_empty() {
        BTreeMap::new()
    } else {
        open_db()?
            .card_details(&niks)?
            .iter()
            .map(|d| (d.nik, CardFace::from_details(d, wilayah)))
            .collect()
    };
    for (batch, apps) in pending {
        let id = batch.id.clone();
        let (cards, missing) = faces(&apps, &records);
        if !missing.is_empty() {
            return Err(PrintError::RecordsGone {
                batch: id,
                ids: missing,
            });
        }
        let kec_name = wilayah
            .district(&batch.kecamatan)
            .map_or_else(|| batch.kecamatan.clone(), |d| d.name.clone());
        let files = BatchFiles::new(
            &id,
            (&config.office.code, &config.office.name),
            (&batch.kecamatan, &kec_name),
            batch.created_at,
            &cards,
        );
        let ids: Vec<ApplicationId> = apps.iter().map(|a| a.id).collect();
        match dispatch_batch(store, station, &files, &ids, at)? {
            Dispatch::Written => report.dispatched.push(id),
            Dispatch::AlreadyThere => report.already_there.push(id),
        }
    }
    Ok(report)
}

/// The card faces of a batch from population records keyed by NIK; a card
/// whose record is gone since verification is left out and reported.
pub fn faces(
    apps: &[Application],
    records: &BTreeMap<u64, CardFace>,
) -> (Vec<CardFace>, Vec<ApplicationId>) {
    let mut out = Vec::new();
    let mut missing = Vec::new();
    for a in apps {
        match nik_key(a).and_then(|n| records.get(&n)) {
            Some(f) => out.push(CardFace {
                application_id: a.id.to_string(),
                ..f.clone()
            }),
            None => missing.push(a.id),
        }
    }
    (out, missing)
}

/// What applying the station's results did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ResultsReport {
    /// Results files read.
    pub files: usize,
    /// Files seen before (same content): nothing done.
    pub already_applied: usize,
    /// Cards PRINTED.
    pub printed: usize,
    /// Cards spoiled (blank ruined), back in the queue.
    pub spoiled: usize,
    /// Cards failed (blank released), back in the queue.
    pub failed: usize,
    /// Lines or files that could not be applied, kept with the reason.
    pub rejected: Vec<RejectedResult>,
}

impl ResultsReport {
    /// `files 2 (1 already applied), printed 48, spoiled 2, failed 0, rejected 1`.
    pub fn line(&self) -> String {
        format!(
            "files {} ({} already applied), printed {}, spoiled {}, failed {}, rejected {}",
            self.files,
            self.already_applied,
            self.printed,
            self.spoiled,
            self.failed,
            self.rejected.len()
        )
    }
}

/// Applies every new results file in the station's results folder. A file
/// applied before (same name and SHA-256) changes nothing; each file's good lines
/// are applied in one transaction, its bad lines rejected with a reason.
pub fn apply_results(
    store: &mut Store,
    station: &dyn Station,
    at: DateTime<Utc>,
) -> Result<ResultsReport, PrintError> {
    let mut report = ResultsReport::default();
    for file in station.results()? {
        report.files += 1;
        let key = FileKey::Content {
            name: &file.name,
            sha256: &file.sha256,
        };
        if store
            .applied_file(FileChannel::StationResults, key)?
            .is_some()
        {
            report.already_applied += 1;
            continue;
        }
        let batch_id = file.batch_id().to_string();
        let reject_file = |reason: QuarantineReason, message: String| RejectedResult {
            source: format!("{}:0", file.name),
            reason,
            message,
            raw: crate::text::decode(&file.bytes).into_owned(),
        };
        let mut rejected = Vec::new();
        let mut good = Vec::new();
        match store.batch(&batch_id)? {
            None => rejected.push(reject_file(
                QuarantineReason::UnknownBatch,
                format!(
                    "{}: no batch {batch_id} was made by this office; a results file is named after its batch folder (<batch>.csv)",
                    file.name
                ),
            )),
            Some(b) if b.dispatched_at.is_none() => rejected.push(reject_file(
                QuarantineReason::NotDispatched,
                format!("{}: batch {batch_id} has not been dispatched yet", file.name),
            )),
            Some(_) => {
                let (lines, bad) =
                    crate::guard::parse(&file.name, || parse_results(&file.name, &file.bytes))
                        .unwrap_or_else(|p| {
                            let why = format!("{}: cannot be read: {p}", file.name);
                            (Vec::new(), vec![reject_file(QuarantineReason::Unreadable, why)])
                        });
                rejected.extend(bad);
                let cards: BTreeMap<ApplicationId, Option<CardResult>> = store
                    .batch_cards(&batch_id)?
                    .into_iter()
                    .map(|c| (c.application, c.result))
                    .collect();
                let mut seen = std::collections::BTreeSet::new();
                for l in lines {
                    let source = format!("{}:{}", file.name, l.line);
                    let raw = format!(
                        "{},{},{},{},{}",
                        l.application,
                        l.nik,
                        l.result.code(),
                        l.blanko_serial,
                        l.reason
                    );
                    let problem = match cards.get(&l.application) {
                        None => Some((
                            QuarantineReason::UnknownCard,
                            format!("{} is not a card of batch {batch_id}", l.application),
                        )),
                        Some(Some(r)) => Some((
                            QuarantineReason::DuplicateResult,
                            format!(
                                "{} already has the result {} in batch {batch_id}",
                                l.application,
                                r.code()
                            ),
                        )),
                        Some(None) if !seen.insert(l.application) => Some((
                            QuarantineReason::DuplicateResult,
                            format!("{} appears twice in this file", l.application),
                        )),
                        Some(None) => {
                            let app = store.application(l.application)?;
                            match app {
                                Some(a) if a.submitted.nik != l.nik => Some((
                                    QuarantineReason::NikMismatch,
                                    format!(
                                        "field nik: the NIK does not match {}'s; check the card",
                                        l.application
                                    ),
                                )),
                                Some(a) if a.state != State::Dispatched => Some((
                                    QuarantineReason::NotDispatched,
                                    format!("{} is {}, not DISPATCHED", l.application, a.state),
                                )),
                                _ => None,
                            }
                        }
                    };
                    match problem {
                        Some((reason, message)) => rejected.push(RejectedResult {
                            source,
                            reason,
                            message: format!("{} line {}: {message}", file.name, l.line),
                            raw,
                        }),
                        None => good.push(l),
                    }
                }
            }
        }
        let summary = serde_json::json!({
            "applied": good.len(),
            "quarantined": rejected.len(),
        })
        .to_string();
        store.write(|tx| {
            for l in &good {
                tx.apply_card_result(
                    &batch_id,
                    l.application,
                    l.result,
                    &l.blanko_serial,
                    &l.reason,
                    ACTOR_STATION,
                    at,
                )?;
            }
            // Kept whole in the quarantine, with the file and line.
            for r in &rejected {
                tx.add_quarantine(
                    &NewQuarantine {
                        channel: Source::Station,
                        source: &format!("results/{}", r.source),
                        message_id: None,
                        reason: r.reason,
                        detail: &r.message,
                        raw: r.raw.as_bytes(),
                        stored_path: None,
                        sha256: None,
                        size: r.raw.len() as u64,
                    },
                    at,
                )?;
            }
            let applied = NewAppliedFile {
                channel: FileChannel::StationResults,
                name: &file.name,
                sha256: &file.sha256,
                summary: &summary,
                stat: None,
            };
            tx.remember_applied_file(&applied, at)
        })?;
        for l in &good {
            match l.result {
                CardResult::Printed => report.printed += 1,
                CardResult::Spoiled => report.spoiled += 1,
                CardResult::Failed => report.failed += 1,
            }
        }
        report.rejected.extend(rejected);
    }
    Ok(report)
}
