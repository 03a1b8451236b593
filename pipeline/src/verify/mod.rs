//! `sigap verify`: every RECEIVED application decided in one batch against
//! the population database and the office's SOP.
//!
//! [`decide`] is pure: applications, the residents found for their NIKs,
//! the documents on file and the config in; one [`Decision`] per RECEIVED
//! application out. [`run`] does the I/O around it: one population lookup
//! for the whole batch ([`batch_niks`]), then [`apply`] writes every
//! decision in one transaction.
//!
//! Outcomes, strongest first:
//! 1. REJECTED, listing every rejection reason found: NIK_INVALID,
//!    NIK_NOT_FOUND, DECEASED, MOVED_OUT, NOT_RESIDENT, NAME_MISMATCH,
//!    BIRTH_DATE_MISMATCH, UNDERAGE, SEX_MISMATCH, DUPLICATE_IN_FLIGHT;
//! 2. REVIEW (UNCLASSIFIED_DOCUMENT, with NAME_NEAR_MATCH / KK_MISMATCH if
//!    found): a document is missing but one of unknown kind is on file; a
//!    person classifies it (`sigap review classify`) and it is verified again;
//! 3. INCOMPLETE (DOCUMENT_MISSING, with NOT_RECORDED too if perekaman is
//!    also missing, so the notice can say both);
//! 4. NEEDS_RECORDING (NOT_RECORDED);
//! 5. REVIEW (NAME_NEAR_MATCH, KK_MISMATCH): a person decides;
//! 6. VERIFIED.

pub mod checks;
pub mod name;
pub mod review;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};

use crate::adapters::nik_number;
use crate::config::{Config, UNCLASSIFIED};
use crate::domain::application::{Application, ApplicationId};
use crate::domain::nik::{clean_digits, parse_nik};
use crate::domain::reason::Reason;
use crate::domain::state::State;
use crate::domain::wilayah::Wilayah;
use crate::ports::{Person, PopulationDb, PopulationError};
use crate::store::{Change, Store, StoreError};

/// The actor verification writes into the event log.
pub const ACTOR: &str = "sigap:verify";

/// What verification concluded about one application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The application.
    pub id: ApplicationId,
    /// The state it moves to from RECEIVED.
    pub state: State,
    /// The reasons (empty for VERIFIED), in [`Reason`] order.
    pub reasons: Vec<Reason>,
    /// For the event log: the reasons, which documents are missing and
    /// which NIK rule failed. Never a NIK or a name.
    pub detail: String,
}

/// Reasons that refuse an application outright.
fn rejects(r: Reason) -> bool {
    matches!(
        r,
        Reason::NikInvalid
            | Reason::NikNotFound
            | Reason::Deceased
            | Reason::MovedOut
            | Reason::NotResident
            | Reason::NameMismatch
            | Reason::BirthDateMismatch
            | Reason::Underage
            | Reason::SexMismatch
            | Reason::DuplicateInFlight
            | Reason::OperatorRejected
    )
}

/// The outcome the findings lead to, with the reasons it lists.
pub fn outcome(found: &BTreeSet<Reason>) -> (State, Vec<Reason>) {
    let reject: Vec<Reason> = found.iter().copied().filter(|r| rejects(*r)).collect();
    if !reject.is_empty() {
        return (State::Rejected, reject);
    }
    let has = |r| found.contains(&r);
    let review: Vec<Reason> = [Reason::NameNearMatch, Reason::KkMismatch]
        .into_iter()
        .filter(|r| has(*r))
        .collect();
    if has(Reason::UnclassifiedDocument) {
        // Before INCOMPLETE and NEEDS_RECORDING: the document may be the
        // missing one, and only a person can say; verified again after.
        let mut reasons = vec![Reason::UnclassifiedDocument];
        reasons.extend(&review);
        reasons.sort();
        return (State::Review, reasons);
    }
    if has(Reason::DocumentMissing) {
        let mut reasons = vec![Reason::DocumentMissing];
        if has(Reason::NotRecorded) {
            reasons.push(Reason::NotRecorded);
        }
        reasons.sort();
        return (State::Incomplete, reasons);
    }
    if has(Reason::NotRecorded) {
        return (State::NeedsRecording, vec![Reason::NotRecorded]);
    }
    if !review.is_empty() {
        return (State::Review, review);
    }
    (State::Verified, Vec::new())
}

/// The NIK of an application as a number, when it is 16 digits after the
/// separators people type are removed.
/// The application's NIK as typed, cleaned, as the number the population
/// database is searched by (None when it is not 16 digits).
pub fn nik_key(app: &Application) -> Option<u64> {
    clean_digits(&app.submitted.nik)
        .ok()
        .and_then(|d| nik_number(&d))
}

/// The NIKs to look up for the RECEIVED applications among `apps`: sorted,
/// each once.
pub fn batch_niks(apps: &[Application]) -> Vec<u64> {
    niks(apps.iter().filter(|a| a.state == State::Received))
}

/// The NIKs of `apps` that can be looked up: sorted, each once.
pub fn niks<'a>(apps: impl IntoIterator<Item = &'a Application>) -> Vec<u64> {
    let mut niks: Vec<u64> = apps.into_iter().filter_map(nik_key).collect();
    niks.sort_unstable();
    niks.dedup();
    niks
}

/// Decides every RECEIVED application in `apps`. The other applications
/// in `apps` count for DUPLICATE_IN_FLIGHT when they are still in flight.
/// Within the batch the older application (by submission time, then id)
/// keeps the NIK unless it is itself rejected. Decisions come in id order.
pub fn decide(
    apps: &[Application],
    people: &[Person],
    documents: &BTreeMap<ApplicationId, BTreeSet<String>>,
    config: &Config,
    wilayah: &Wilayah,
) -> Vec<Decision> {
    // Reversed so that the first row of a NIK listed twice wins.
    let people: HashMap<u64, &Person> = people.iter().rev().map(|p| (p.nik, p)).collect();
    // Which application holds each NIK in flight.
    let mut taken: HashMap<u64, ApplicationId> = apps
        .iter()
        .filter(|a| a.state != State::Received && a.state.in_flight())
        .filter_map(|a| nik_key(a).map(|n| (n, a.id)))
        .collect();
    let mut batch: Vec<&Application> = apps.iter().filter(|a| a.state == State::Received).collect();
    batch.sort_by_key(|a| (a.submitted.submitted_at, a.id));
    let offset = config.office.timezone.offset();
    let no_documents = Vec::new();
    let mut out = Vec::with_capacity(batch.len());
    for app in batch {
        let s = &app.submitted;
        let ctx = checks::Context {
            kabupaten_code: &config.office.kabupaten_code,
            wilayah,
            submitted_on: s.submitted_at.with_timezone(&offset).date_naive(),
        };
        let mut found = BTreeSet::new();
        let mut notes = Vec::new();
        let mut nik = None;
        match parse_nik(&s.nik, wilayah, ctx.submitted_on) {
            Err(e) => {
                found.insert(Reason::NikInvalid);
                notes.push(format!("NIK rule {}", e.code()));
            }
            Ok(info) => {
                let n = nik_number(info.nik.as_str()).expect("a parsed NIK is 16 digits");
                nik = Some(n);
                match people.get(&n) {
                    None => {
                        found.insert(Reason::NikNotFound);
                    }
                    Some(person) => checks::against_record(app, &info, person, &ctx, &mut found),
                }
                if let Some(holder) = taken.get(&n) {
                    found.insert(Reason::DuplicateInFlight);
                    notes.push(format!("NIK held by {holder}"));
                }
            }
        }
        let required = config
            .services
            .get(&s.service)
            .map_or(&no_documents, |rule| &rule.documents);
        let on_file = documents.get(&app.id);
        let missing = checks::missing_documents(required, on_file);
        let unclassified = on_file.is_some_and(|kinds| kinds.contains(UNCLASSIFIED));
        if !missing.is_empty() {
            found.insert(if unclassified {
                Reason::UnclassifiedDocument
            } else {
                Reason::DocumentMissing
            });
        }
        let (state, reasons) = outcome(&found);
        if state != State::Rejected
            && let Some(n) = nik
        {
            taken.entry(n).or_insert(app.id);
        }
        let mut detail: Vec<String> = reasons.iter().map(|r| r.code().to_string()).collect();
        if reasons.contains(&Reason::DocumentMissing)
            || reasons.contains(&Reason::UnclassifiedDocument)
        {
            notes.push(format!("missing {}", missing.join(", ")));
        }
        detail.append(&mut notes);
        out.push(Decision {
            id: app.id,
            state,
            reasons,
            detail: detail.join("; "),
        });
    }
    out.sort_by_key(|d| d.id);
    out
}

/// Decisions counted per outcome and per reason.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// Applications per resulting state.
    pub states: BTreeMap<State, u64>,
    /// Occurrences of each reason.
    pub reasons: BTreeMap<Reason, u64>,
}

impl Counts {
    /// Counts `decisions`.
    pub fn of(decisions: &[Decision]) -> Counts {
        let mut c = Counts::default();
        for d in decisions {
            *c.states.entry(d.state).or_default() += 1;
            for r in &d.reasons {
                *c.reasons.entry(*r).or_default() += 1;
            }
        }
        c
    }

    /// Applications that went to `state`.
    pub fn state(&self, state: State) -> u64 {
        self.states.get(&state).copied().unwrap_or(0)
    }

    /// As job-run counters: `decided`, then one per state and reason code.
    pub fn counters(&self) -> BTreeMap<String, i64> {
        let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        let mut out = BTreeMap::from([("decided".to_string(), n(self.states.values().sum()))]);
        for (s, v) in &self.states {
            out.insert(s.code().to_lowercase(), n(*v));
        }
        for (r, v) in &self.reasons {
            out.insert(r.code().to_string(), n(*v));
        }
        out
    }
}

/// Writes every decision (RECEIVED → its state, with reasons and the event)
/// in one transaction: all of them or, on any error, none.
pub fn apply(
    store: &mut Store,
    decisions: &[Decision],
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    store.write(|tx| {
        for d in decisions {
            let codes: Vec<String> = d.reasons.iter().map(|r| r.code().to_string()).collect();
            tx.transition(
                d.id,
                State::Received,
                d.state,
                &Change {
                    actor: ACTOR,
                    detail: &d.detail,
                    reasons: Some(&codes),
                    batch: None,
                },
                at,
            )?;
        }
        Ok(())
    })
}

/// Verification failed: the store or the population database. Nothing
/// was changed.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The state store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The population database failed.
    #[error(transparent)]
    Population(#[from] PopulationError),
}

/// What a run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Every decision (written unless a dry run).
    pub decisions: Vec<Decision>,
    /// Their counts.
    pub counts: Counts,
    /// The population database used (`None` when there was nothing to verify).
    pub population: Option<String>,
    /// Nothing was written.
    pub dry_run: bool,
}

impl Report {
    /// True when an application waits for a person (REVIEW).
    pub fn needs_attention(&self) -> bool {
        self.counts.state(State::Review) > 0
    }

    /// The run's counters for the history.
    pub fn counters(&self) -> BTreeMap<String, i64> {
        self.counts.counters()
    }

    /// The run's line for the history: how many wait for review, if any.
    pub fn summary(&self) -> String {
        if self.needs_attention() {
            format!(
                "{} application(s) wait in the review queue",
                self.counts.state(State::Review)
            )
        } else {
            String::new()
        }
    }
}

/// One verification run: reads the RECEIVED applications and what is on
/// file, opens the population database (only when there is something to
/// verify) and looks the whole batch up at once, decides, and unless
/// `dry_run` writes the decisions. The job runner
/// ([`crate::job::Runner`]) holds the verify lock and records the run
/// (see [`Report::counters`] and [`Report::summary`]). `clock` gives the
/// times recorded (the stage never reads the clock itself).
pub fn run(
    store: &mut Store,
    config: &Config,
    wilayah: &Wilayah,
    open: impl FnOnce() -> Result<Box<dyn PopulationDb>, PopulationError>,
    clock: &dyn Fn() -> DateTime<Utc>,
    dry_run: bool,
) -> Result<Report, VerifyError> {
    run_for(store, config, wilayah, open, clock, dry_run, None)
}

/// [`run`] for one application only (the others RECEIVED wait for the next
/// run; those further on still count for DUPLICATE_IN_FLIGHT): what
/// `sigap review classify` runs at once after a document is classified.
pub fn run_one(
    store: &mut Store,
    config: &Config,
    wilayah: &Wilayah,
    open: impl FnOnce() -> Result<Box<dyn PopulationDb>, PopulationError>,
    clock: &dyn Fn() -> DateTime<Utc>,
    id: ApplicationId,
) -> Result<Report, VerifyError> {
    run_for(store, config, wilayah, open, clock, false, Some(id))
}

fn run_for(
    store: &mut Store,
    config: &Config,
    wilayah: &Wilayah,
    open: impl FnOnce() -> Result<Box<dyn PopulationDb>, PopulationError>,
    clock: &dyn Fn() -> DateTime<Utc>,
    dry_run: bool,
    only: Option<ApplicationId>,
) -> Result<Report, VerifyError> {
    let (decisions, population) = decide_all(store, config, wilayah, open, only)?;
    if !dry_run {
        tracing::info!(decisions = decisions.len(), "verify: writing the decisions");
        apply(store, &decisions, clock())?;
    }
    let counts = Counts::of(&decisions);
    let report = Report {
        decisions,
        counts,
        population,
        dry_run,
    };
    tracing::info!(
        decided = report.decisions.len(),
        verified = report.counts.state(State::Verified),
        review = report.counts.state(State::Review),
        rejected = report.counts.state(State::Rejected),
        incomplete = report.counts.state(State::Incomplete),
        needs_recording = report.counts.state(State::NeedsRecording),
        dry_run,
        "verify: done"
    );
    Ok(report)
}

fn decide_all(
    store: &Store,
    config: &Config,
    wilayah: &Wilayah,
    open: impl FnOnce() -> Result<Box<dyn PopulationDb>, PopulationError>,
    only: Option<ApplicationId>,
) -> Result<(Vec<Decision>, Option<String>), VerifyError> {
    // RECEIVED and every other state still in flight (for duplicates); the
    // office's finished history is not read.
    let mut apps = Vec::new();
    for state in State::ALL.into_iter().filter(|s| s.in_flight()) {
        apps.extend(store.applications(Some(state))?);
    }
    if let Some(id) = only {
        apps.retain(|a| a.id == id || a.state != State::Received);
    }
    let niks = batch_niks(&apps);
    if !apps.iter().any(|a| a.state == State::Received) {
        return Ok((Vec::new(), None));
    }
    let mut db = open()?;
    tracing::info!(
        niks = niks.len(),
        population = %db.describe(),
        "verify: looking the batch up"
    );
    let people = db.lookup(&niks)?;
    tracing::info!(found = people.len(), "verify: batch looked up; deciding");
    let documents = store.document_kinds()?;
    let decisions = decide(&apps, &people, &documents, config, wilayah);
    for d in &decisions {
        tracing::debug!(application = %d.id, state = d.state.code(), detail = %d.detail, "verify: decided");
    }
    Ok((decisions, Some(db.describe())))
}

#[cfg(test)]
mod tests;
