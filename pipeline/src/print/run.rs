//! The print jobs over the store and the station: make tonight's batches,
//! put them in the hot folder, apply the station's results.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::config::Config;
use crate::domain::application::{Application, ApplicationId, Source};
use crate::domain::calendar::WorkingTime;
use crate::domain::quarantine::QuarantineReason;
use crate::domain::reason::Reason;
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
    /// A card of a batch about to go out has no face, though every card
    /// without a population record was sent to review first; nothing of the
    /// batch went out, and it stays BATCHED for the next run.
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
    /// Cards sent to REVIEW because the population database has no record
    /// for them any more (their blanks not reserved, or released).
    pub to_review: Vec<ApplicationId>,
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
        if !self.to_review.is_empty() {
            line.push_str(&format!(
                ", to review: {} {}",
                Reason::NotInPopulationAtBatch.code(),
                self.to_review.len()
            ));
        }
        line
    }
}

/// `sigap batch`: plans tonight's batches within stock, reads the card
/// faces from the population database (one lookup, and one more for each
/// card that moves up in the queue), records the batches and puts every
/// batch not yet at the station into its hot folder. A card whose resident
/// is no longer in the database (died, moved, a replica behind) is not
/// printed: it goes to REVIEW with [`Reason::NotInPopulationAtBatch`] in
/// the same transaction that records the batches, so it never reserves a
/// blank, its place goes to the next card in the queue, and the rest of the
/// batch goes out. A card of a batch made earlier and not yet dispatched
/// (a crash, or a version that stopped at such a card) leaves its batch
/// the same way and its blank is released. The database is opened
/// (`open_db`) only when a card goes out, so a night with nothing to print
/// does not need it. A dry run plans and reports, and writes nothing.
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
    if dry_run {
        let plan = plan_tonight(store, config.station.batch_size, today, wilayah)?;
        return Ok(BatchReport {
            made: made(&plan),
            waiting: plan.waiting_counts(),
            ..BatchReport::default()
        });
    }
    let mut lookup = FaceLookup {
        open_db,
        db: None,
        wilayah,
        records: BTreeMap::new(),
        asked: BTreeSet::new(),
    };
    // Batches of an earlier run that never reached the station.
    let pending = undispatched(store)?;
    lookup.fetch(
        pending
            .iter()
            .flat_map(|(_, apps)| apps.iter().filter_map(nik_key)),
    )?;
    let mut taken_out: Vec<(String, ApplicationId)> = Vec::new();
    for (batch, apps) in &pending {
        let (_, missing) = faces(apps, &lookup.records);
        taken_out.extend(missing.into_iter().map(|id| (batch.id.clone(), id)));
    }

    // Tonight's plan, without the cards that cannot be printed: planning
    // again gives their stock to the next in the queue, whose faces are
    // then read too.
    let verified: BTreeMap<ApplicationId, Application> = store
        .applications(Some(State::Verified))?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    let mut queue = candidates(store)?;
    let available = store.blanko_balance()?.available;
    let existing = store.batch_ids()?;
    let mut held: Vec<ApplicationId> = Vec::new();
    let plan = loop {
        let plan = super::plan(
            &queue,
            available,
            config.station.batch_size,
            today,
            &existing,
            wilayah,
        );
        let apps: Vec<Application> = plan
            .batches
            .iter()
            .flat_map(|b| b.applications.iter())
            .filter_map(|id| verified.get(id).cloned())
            .collect();
        lookup.fetch(apps.iter().filter_map(nik_key))?;
        let (_, missing) = faces(&apps, &lookup.records);
        if missing.is_empty() {
            break plan;
        }
        queue.retain(|c| !missing.contains(&c.id));
        held.extend(missing);
    };
    let reasons = [Reason::NotInPopulationAtBatch.code().to_string()];
    store.write(|tx| {
        for id in &held {
            tx.hold_for_review(*id, None, &reasons, ACTOR_BATCH, at)?;
        }
        for (batch, id) in &taken_out {
            tx.hold_for_review(*id, Some(batch), &reasons, ACTOR_BATCH, at)?;
        }
        for b in &plan.batches {
            tx.create_batch(b, ACTOR_BATCH, at)?;
        }
        Ok(())
    })?;
    if !held.is_empty() || !taken_out.is_empty() {
        let ids: Vec<String> = held
            .iter()
            .chain(taken_out.iter().map(|(_, id)| id))
            .map(ToString::to_string)
            .collect();
        tracing::warn!(
            applications = %ids.join(","),
            "batch: no population record for these cards; sent to review"
        );
    }
    let mut report = BatchReport {
        made: made(&plan),
        waiting: plan.waiting_counts(),
        to_review: held
            .iter()
            .copied()
            .chain(taken_out.iter().map(|(_, id)| *id))
            .collect(),
        ..BatchReport::default()
    };

    for (batch, apps) in undispatched(store)? {
        let id = batch.id.clone();
        let (cards, missing) = faces(&apps, &lookup.records);
        if !missing.is_empty() {
            // Every card was looked up and the unprintable ones held above.
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

/// Batches of a plan as the report lists them: id, kecamatan, cards.
fn made(plan: &BatchPlan) -> Vec<(String, String, usize)> {
    plan.batches
        .iter()
        .map(|b| (b.id.clone(), b.kecamatan.clone(), b.applications.len()))
        .collect()
}

/// The card faces read so far, keyed by NIK; the database is opened on the
/// first NIK asked for, and each NIK is asked for once.
struct FaceLookup<'a> {
    open_db: &'a mut dyn FnMut() -> Result<Box<dyn PopulationDb>, PopulationError>,
    db: Option<Box<dyn PopulationDb>>,
    wilayah: &'a Wilayah,
    records: BTreeMap<u64, CardFace>,
    asked: BTreeSet<u64>,
}

impl FaceLookup<'_> {
    fn fetch(&mut self, niks: impl Iterator<Item = u64>) -> Result<(), PopulationError> {
        let new: BTreeSet<u64> = niks.filter(|n| !self.asked.contains(n)).collect();
        if new.is_empty() {
            return Ok(());
        }
        let mut db = match self.db.take() {
            Some(db) => db,
            None => (self.open_db)()?,
        };
        let niks: Vec<u64> = new.iter().copied().collect();
        for d in db.card_details(&niks)? {
            self.records
                .insert(d.nik, CardFace::from_details(&d, self.wilayah));
        }
        self.db = Some(db);
        self.asked.extend(new);
        Ok(())
    }
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
