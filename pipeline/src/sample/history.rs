//! `sigap sample-data --weeks W`: a past for the office to report on.
//!
//! A day-by-day simulation of the office over the W weeks before `as_of`,
//! written into the state database through the store's own API
//! (`Tx::insert_application`, `Tx::transition`, `Tx::create_batch`,
//! `Tx::mark_dispatched`, `Tx::apply_card_result`, `Tx::blanko_move`), with
//! the times passed in, so the event log and the blanko ledger are legal by
//! construction. Batches are planned by the real [`crate::print::plan`].
//!
//! Each night at 01:00 (office time) verification decides what arrived,
//! batching cuts the verified cards into batches within blanko stock, and
//! the notices queued by the day's changes are sent. By day the station
//! prints (spoiling a few blanks), the courier carries the printed cards to
//! the kecamatan (now and then late), applicants collect their cards after
//! a few days, and blanko deliveries arrive every two weeks — one of them a
//! week late, so stock runs out and cards wait: the breaches the report
//! should show. Applicants are residents of the population snapshot that
//! no inbox application uses (the history pool), so the jobs that read the
//! population later — batch, archive — find them. Each batch the history
//! dispatched is in the station's hot folder (`cards.csv` with the faces
//! read from the snapshot, `manifest.json`), and each results file the
//! station answered with is in its results folder and recorded as applied,
//! as a real night and `sigap station results` leave them. Every time is a
//! whole minute.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};

use chrono::{
    DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc,
    Weekday,
};
use serde::{Deserialize, Serialize};

use super::error::SampleError;
use super::names;
use super::plan::Context;
use super::population::Generated;
use super::rng::Rng;
use crate::config::PrintingAt;
use crate::domain::application::{ApplicationId, NewApplication, Source};
use crate::domain::batch::BatchFiles;
use crate::domain::batch::{CardResult, PlannedBatch};
use crate::domain::blanko::Movement;
use crate::domain::calendar::WorkingTime;
use crate::domain::service::Service;
use crate::domain::state::State;
use crate::domain::wilayah::Wilayah;
use crate::ports::{PopulationDb, Station};
use crate::print::{Candidate, CardFace};
use crate::store::{Change, Pickup, Store, StoreError, Tx};
use crate::store::{FileChannel, NewAppliedFile};

/// What the history holds, for `manifest.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistorySummary {
    /// Weeks simulated.
    pub weeks: u64,
    /// First day of the history (office date).
    pub from: NaiveDate,
    /// Last day of the history (office date); it ends at midnight after it.
    pub to: NaiveDate,
    /// Applications recorded.
    pub applications: u64,
    /// Applications per state at the end.
    pub states: BTreeMap<String, u64>,
    /// Print batches made.
    pub batches: u64,
    /// Blanks delivered.
    pub blanko_received: u64,
    /// Blanks spoiled at the station.
    pub blanko_spoiled: u64,
    /// Nights batching found no stock for some verified card.
    pub nights_out_of_stock: u64,
    /// Notices sent.
    pub notices_sent: u64,
    /// Old cards surrendered at pickup, for the destruction bundles.
    #[serde(default)]
    pub old_cards_surrendered: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Action {
    Arrive(usize),
    Resubmit(usize),
    Decide(usize, bool),
    Results(usize),
    CourierTakes(usize),
    CourierArrives(usize),
    Collect(usize),
    IssueKk(usize),
    Delivery(u64, bool),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    Verified,
    Rejected,
    Incomplete,
    NeedsRecording,
    Review,
}

struct SimApp {
    id: Option<ApplicationId>,
    new: NewApplication,
    state: State,
    fate: Fate,
    complete_at: DateTime<Utc>,
}

struct SimBatch {
    id: String,
    cards: Vec<usize>,
    printed: Vec<usize>,
}

struct Sim<'a> {
    rng: Rng,
    offset: FixedOffset,
    wt: WorkingTime,
    printing: PrintingAt,
    /// Whether a courier carries cards to the pickup office (a lead time).
    courier: bool,
    batch_size: u32,
    wilayah: &'a Wilayah,
    apps: Vec<SimApp>,
    batches: Vec<SimBatch>,
    batch_ids: BTreeSet<String>,
    queue: BinaryHeap<Reverse<(NaiveDateTime, u64, Action)>>,
    seq: u64,
    serial: u64,
    deliveries: u64,
    /// Blanks available (received − reserved; nothing is released here).
    stock: u64,
    summary: HistorySummary,
    /// KTP-el cards verified per office date, to size the next delivery.
    verified_per_day: BTreeMap<NaiveDate, u64>,
    /// The card faces of the history's applicants, by NIK.
    faces: BTreeMap<u64, CardFace>,
    /// Office code and name, for the batch manifests.
    office: (String, String),
    /// Batch folders to put in the hot folder, in order.
    dispatched: Vec<BatchFiles>,
    /// Results files to put in the results folder: batch, bytes.
    answered: Vec<(String, Vec<u8>)>,
}

fn at_min(day: NaiveDate, minutes: i64) -> NaiveDateTime {
    day.and_time(NaiveTime::MIN) + Duration::minutes(minutes)
}

impl Sim<'_> {
    fn utc(&self, t: NaiveDateTime) -> DateTime<Utc> {
        self.offset
            .from_local_datetime(&t)
            .single()
            .expect("a fixed offset has one local time")
            .with_timezone(&Utc)
    }

    fn local(&self, t: DateTime<Utc>) -> NaiveDateTime {
        t.with_timezone(&self.offset).naive_local()
    }

    fn schedule(&mut self, t: NaiveDateTime, a: Action) {
        self.seq += 1;
        self.queue.push(Reverse((t, self.seq, a)));
    }

    /// The first office day on or after `day`.
    fn office_day_from(&self, mut day: NaiveDate) -> NaiveDate {
        for _ in 0..60 {
            if self.wt.open_on(day).is_some() {
                return day;
            }
            day += Duration::days(1);
        }
        day
    }

    /// `n` office days after `day`.
    fn office_days_after(&self, day: NaiveDate, n: u32) -> NaiveDate {
        let mut d = day;
        for _ in 0..n {
            d = self.office_day_from(d + Duration::days(1));
        }
        d
    }

    /// A minute of `day` between `from` and `to` minutes after opening,
    /// kept before closing.
    fn during(&mut self, day: NaiveDate, from: i64, to: i64) -> NaiveDateTime {
        let (open, close) = self.wt.open_on(day).unwrap_or((8 * 3600, 15 * 3600));
        let (open, close) = (open / 60, close / 60);
        let lo = (open + from).min(close - 1);
        let hi = (open + to).min(close - 1).max(lo);
        at_min(day, self.rng.range(lo, hi))
    }

    fn pick_service(&mut self, offered: &[Service]) -> Service {
        let weights: Vec<u32> = offered
            .iter()
            .map(|s| match s {
                Service::KtpBaru => 35,
                Service::KtpHilang => 15,
                Service::KtpRusak => 14,
                Service::KtpPerubahanData => 14,
                _ => 7,
            })
            .collect();
        offered[self.rng.weighted(&weights)]
    }

    fn fate(&mut self, service: Service) -> Fate {
        let r = self.rng.below(10_000);
        match (r, service.is_ktp()) {
            (0..600, _) => Fate::Rejected,
            (600..1400, _) => Fate::Incomplete,
            (1400..1700, true) => Fate::NeedsRecording,
            (1700..2200, _) => Fate::Review,
            _ => Fate::Verified,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn transition(
        &mut self,
        tx: &mut Tx<'_>,
        i: usize,
        to: State,
        actor: &str,
        reasons: Option<&[String]>,
        detail: &str,
        at: NaiveDateTime,
    ) -> Result<(), StoreError> {
        let app = &self.apps[i];
        let id = app.id.expect("recorded before it moves");
        let from = app.state;
        tx.transition(
            id,
            from,
            to,
            &Change {
                actor,
                detail,
                reasons,
                batch: None,
            },
            self.utc(at),
        )?;
        self.apps[i].state = to;
        Ok(())
    }

    /// One night at 01:00: verify, batch + dispatch.
    fn nightly(&mut self, tx: &mut Tx<'_>, day: NaiveDate) -> Result<(), StoreError> {
        let verify_at = at_min(day, 60 + 2);
        let received: Vec<usize> = (0..self.apps.len())
            .filter(|&i| self.apps[i].id.is_some() && self.apps[i].state == State::Received)
            .collect();
        for i in received {
            let fate = self.apps[i].fate;
            // A second look after the missing part arrived passes.
            self.apps[i].fate = Fate::Verified;
            let (to, reasons): (State, Vec<&str>) = match fate {
                Fate::Verified => (State::Verified, vec![]),
                Fate::Rejected => {
                    let pool: &[(&str, u32)] = &[
                        ("NIK_NOT_FOUND", 30),
                        ("NAME_MISMATCH", 25),
                        ("BIRTH_DATE_MISMATCH", 15),
                        ("DUPLICATE_IN_FLIGHT", 15),
                        ("NOT_RESIDENT", 10),
                        ("DECEASED", 5),
                    ];
                    let w: Vec<u32> = pool.iter().map(|p| p.1).collect();
                    (State::Rejected, vec![pool[self.rng.weighted(&w)].0])
                }
                Fate::Incomplete => (State::Incomplete, vec!["DOCUMENT_MISSING"]),
                Fate::NeedsRecording => (State::NeedsRecording, vec!["NOT_RECORDED"]),
                Fate::Review => {
                    let r = if self.rng.chance(6_000) {
                        "NAME_NEAR_MATCH"
                    } else {
                        "KK_MISMATCH"
                    };
                    (State::Review, vec![r])
                }
            };
            let reasons: Vec<String> = reasons.into_iter().map(String::from).collect();
            let detail = if reasons.is_empty() {
                "verified".to_string()
            } else {
                format!("reasons: {}", reasons.join(", "))
            };
            self.transition(
                tx,
                i,
                to,
                "sigap:verify",
                Some(&reasons),
                &detail,
                verify_at,
            )?;
            self.after_decision(i, to, day)?;
        }
        self.batch(tx, day)
    }

    /// What follows a decision made on `day` (at night or by the Kasi).
    fn after_decision(&mut self, i: usize, to: State, day: NaiveDate) -> Result<(), StoreError> {
        match to {
            State::Incomplete if self.rng.chance(7_500) => {
                let d = day + Duration::days(self.rng.range(1, 6));
                let t = at_min(d, self.rng.range(6 * 60, 22 * 60));
                self.schedule(t, Action::Resubmit(i));
            }
            State::NeedsRecording if self.rng.chance(7_000) => {
                let d = {
                    let n = self.rng.range(2, 8) as u32;
                    self.office_days_after(day, n)
                };
                let t = self.during(d, 30, 400);
                self.schedule(t, Action::Resubmit(i));
            }
            State::Review => {
                let d = {
                    let n = self.rng.range(0, 2) as u32;
                    self.office_days_after(day, n)
                };
                let d = self.office_day_from(d);
                let t = self.during(d, 60, 360);
                let approve = self.rng.chance(8_500);
                self.schedule(t, Action::Decide(i, approve));
            }
            State::Verified if !self.apps[i].new.service.is_ktp() => {
                // The KK PDF is issued on an office day, now and then late.
                let d = self.office_day_from(day);
                let d = if self.rng.chance(1_000) {
                    {
                        let n = self.rng.range(2, 4) as u32;
                        self.office_days_after(d, n)
                    }
                } else {
                    d
                };
                let t = self.during(d, 30, 420);
                self.schedule(t, Action::IssueKk(i));
            }
            State::Verified => {
                let d = self.local(self.apps[i].complete_at).date();
                *self.verified_per_day.entry(d).or_insert(0) += 1;
            }
            _ => {}
        }
        Ok(())
    }

    /// Tonight's batches, by the real planner, within blanko stock.
    fn batch(&mut self, tx: &mut Tx<'_>, day: NaiveDate) -> Result<(), StoreError> {
        let at = at_min(day, 60 + 5);
        let candidates: Vec<Candidate> = self
            .apps
            .iter()
            .filter(|a| a.id.is_some() && a.state == State::Verified && a.new.service.is_ktp())
            .map(|a| Candidate {
                id: a.id.expect("recorded"),
                kecamatan: a.new.kecamatan.clone(),
                complete_at: a.complete_at,
            })
            .collect();
        if candidates.is_empty() {
            return Ok(());
        }
        let available = self.stock;
        let plan = crate::print::plan(
            &candidates,
            available,
            self.batch_size,
            day,
            &self.batch_ids,
            self.wilayah,
        );
        if !plan.waiting.is_empty() {
            self.summary.nights_out_of_stock += 1;
        }
        let by_id: BTreeMap<ApplicationId, usize> = self
            .apps
            .iter()
            .enumerate()
            .filter_map(|(i, a)| a.id.map(|id| (id, i)))
            .collect();
        for b in plan.batches {
            self.create(tx, &b, &by_id, at)?;
        }
        Ok(())
    }

    fn create(
        &mut self,
        tx: &mut Tx<'_>,
        b: &PlannedBatch,
        by_id: &BTreeMap<ApplicationId, usize>,
        at: NaiveDateTime,
    ) -> Result<(), StoreError> {
        tx.create_batch(b, "sigap:batch", self.utc(at))?;
        self.stock -= b.applications.len() as u64;
        let cards: Vec<usize> = b.applications.iter().map(|id| by_id[id]).collect();
        // The folder as `sigap batch` writes it; every applicant is in the
        // snapshot, so every card has its face.
        let card_faces: Vec<CardFace> = cards
            .iter()
            .filter_map(|&i| {
                let a = &self.apps[i];
                let nik = a.new.nik.parse::<u64>().ok()?;
                self.faces.get(&nik).map(|f| CardFace {
                    application_id: a.id.expect("recorded").to_string(),
                    ..f.clone()
                })
            })
            .collect();
        let kec_name = self
            .wilayah
            .district(&b.kecamatan)
            .map_or_else(|| b.kecamatan.clone(), |d| d.name.clone());
        let files = BatchFiles::new(
            &b.id,
            (&self.office.0, &self.office.1),
            (&b.kecamatan, &kec_name),
            self.utc(at),
            &card_faces,
        );
        tx.mark_dispatched(
            &b.id,
            &files.manifest.cards_sha256,
            &b.applications,
            "sigap:batch",
            self.utc(at),
        )?;
        self.dispatched.push(files);
        for &i in &cards {
            self.apps[i].state = State::Dispatched;
        }
        self.batch_ids.insert(b.id.clone());
        self.summary.batches += 1;
        let n = self.batches.len();
        self.batches.push(SimBatch {
            id: b.id.clone(),
            cards,
            printed: Vec::new(),
        });
        // The station prints on the next office day; now and then it is down.
        let mut d = self.office_day_from(at.date());
        if self.rng.chance(300) {
            d = {
                let n = self.rng.range(1, 3) as u32;
                self.office_days_after(d, n)
            };
        }
        let t = self.during(d, 15, 120);
        self.schedule(t, Action::Results(n));
        Ok(())
    }

    fn act(&mut self, tx: &mut Tx<'_>, t: NaiveDateTime, a: Action) -> Result<(), StoreError> {
        match a {
            Action::Arrive(i) => {
                let id = tx.insert_application(&self.apps[i].new, "sigap:ingest", self.utc(t))?;
                self.apps[i].id = Some(id);
                self.apps[i].state = State::Received;
                self.apps[i].complete_at = self.utc(t);
                self.summary.applications += 1;
            }
            Action::Resubmit(i) => {
                let detail = "continued by a new submission";
                self.transition(tx, i, State::Received, "sigap:ingest", None, detail, t)?;
                self.apps[i].complete_at = self.utc(t);
            }
            Action::Decide(i, approve) => {
                let (to, reasons, detail) = if approve {
                    (State::Verified, vec![], "approved")
                } else {
                    (
                        State::Rejected,
                        vec!["NAME_MISMATCH".to_string()],
                        "rejected: NAME_MISMATCH",
                    )
                };
                let actor = "operator:Kasi Pelayanan";
                self.transition(tx, i, to, actor, Some(&reasons), detail, t)?;
                self.after_decision(i, to, t.date())?;
            }
            Action::IssueKk(i) => {
                let actor = "operator:Petugas KK";
                self.transition(tx, i, State::Printed, actor, None, "KK PDF issued", t)?;
            }
            Action::Results(b) => self.results(tx, b, t)?,
            Action::CourierTakes(b) => {
                let detail = format!("courier took batch {}", self.batches[b].id);
                for i in self.batches[b].printed.clone() {
                    let actor = "operator:Kurir Dinas";
                    self.transition(tx, i, State::InTransit, actor, None, &detail, t)?;
                }
                let mut d = self.office_days_after(t.date(), 1);
                if self.rng.chance(700) {
                    d = {
                        let n = self.rng.range(1, 3) as u32;
                        self.office_days_after(d, n)
                    };
                }
                let t2 = self.during(d, 15, 90);
                self.schedule(t2, Action::CourierArrives(b));
            }
            Action::CourierArrives(b) => {
                let detail = format!("batch {} at the kecamatan", self.batches[b].id);
                for i in self.batches[b].printed.clone() {
                    let actor = "operator:Petugas Kecamatan";
                    self.transition(tx, i, State::Ready, actor, None, &detail, t)?;
                    self.schedule_pickup(i, t.date());
                }
            }
            Action::Collect(i) => {
                let actor = "operator:Petugas Kecamatan";
                self.transition(tx, i, State::Collected, actor, None, "collected", t)?;
                self.record_pickup(tx, i, t)?;
            }
            Action::Delivery(n, late) => {
                self.deliveries += 1;
                let reference = format!("BAST-{}-{:03}", t.date().year(), self.deliveries);
                let detail = if late {
                    "delivery from the Kemendagri stock, a week late"
                } else {
                    "delivery from the Kemendagri stock"
                };
                let actor = "operator:Pengelola Blanko";
                tx.blanko_move(
                    Movement::Received,
                    n,
                    &reference,
                    actor,
                    detail,
                    self.utc(t),
                )?;
                self.summary.blanko_received += n;
                self.stock += n;
            }
        }
        Ok(())
    }

    /// Applies every scheduled action before `until`, in time order.
    fn run_until(&mut self, tx: &mut Tx<'_>, until: NaiveDateTime) -> Result<(), StoreError> {
        while let Some(Reverse((t, _, _))) = self.queue.peek() {
            if *t >= until {
                break;
            }
            let Reverse((t, _, a)) = self.queue.pop().expect("peeked");
            self.act(tx, t, a)?;
        }
        Ok(())
    }

    fn results(&mut self, tx: &mut Tx<'_>, b: usize, t: NaiveDateTime) -> Result<(), StoreError> {
        let id = self.batches[b].id.clone();
        let at = self.utc(t);
        let mut printed = Vec::new();
        let mut lines = Vec::new();
        for i in self.batches[b].cards.clone() {
            self.serial += 1;
            let serial = format!("{:010}", self.serial);
            let app = self.apps[i].id.expect("recorded");
            let nik = self.apps[i].new.nik.clone();
            if self.rng.chance(250) {
                let reasons = ["pita macet", "chip gagal ditulis", "cetakan buram"];
                let reason = *self.rng.pick(&reasons);
                let r = CardResult::Spoiled;
                tx.apply_card_result(&id, app, r, &serial, reason, "sigap:station", at)?;
                self.apps[i].state = State::Verified;
                self.summary.blanko_spoiled += 1;
                lines.push((app.to_string(), nik, r, serial, reason.to_string()));
            } else {
                let r = CardResult::Printed;
                tx.apply_card_result(&id, app, r, &serial, "", "sigap:station", at)?;
                self.apps[i].state = State::Printed;
                printed.push(i);
                lines.push((app.to_string(), nik, r, serial, String::new()));
            }
        }
        // The station's results file, applied: the next `station results`
        // knows it, as after a real run.
        let bytes = crate::print::results_csv(&lines);
        let summary = serde_json::json!({ "applied": lines.len(), "quarantined": 0 }).to_string();
        tx.remember_applied_file(
            &NewAppliedFile {
                channel: FileChannel::StationResults,
                name: &format!("{id}.csv"),
                sha256: &crate::digest::sha256_hex(&bytes),
                summary: &summary,
                stat: None,
            },
            at,
        )?;
        self.answered.push((id.clone(), bytes));
        self.batches[b].printed = printed.clone();
        match self.printing {
            // A dinas with its own pickup counter (no courier lead) hands out
            // where it prints, like a kecamatan that prints.
            PrintingAt::Dinas if self.courier => {
                // The courier leaves with the morning's batches after lunch.
                let d = if self.wt.open_on(t.date()).is_some() && t.time().hour_min() < 12 * 60 {
                    t.date()
                } else {
                    self.office_days_after(t.date(), 1)
                };
                let (_, close) = self.wt.open_on(d).unwrap_or((0, 15 * 3600));
                let leave = (close / 60 - 150).max(t.time().hour_min() + 30);
                let t2 = at_min(d, self.rng.range(leave - 30, leave));
                self.schedule(t2, Action::CourierTakes(b));
            }
            _ => {
                // Printed at the pickup office: ready as soon as it is sorted.
                let t2 = t + Duration::minutes(self.rng.range(10, 40));
                let detail = format!("batch {id} at the pickup counter");
                for i in printed {
                    let actor = "operator:Petugas Kecamatan";
                    self.transition(tx, i, State::Ready, actor, None, &detail, t2)?;
                    self.schedule_pickup(i, t2.date());
                }
            }
        }
        Ok(())
    }

    /// The pickup row a kecamatan's register would have given, so the
    /// destruction bundles find the old cards: a damaged card or one with
    /// changed data is surrendered (19 in 20), a lost one cannot be.
    fn record_pickup(
        &mut self,
        tx: &mut Tx<'_>,
        i: usize,
        t: NaiveDateTime,
    ) -> Result<(), StoreError> {
        let app = &self.apps[i];
        let id = app.id.expect("recorded before it is collected");
        let has_old_card = matches!(
            app.new.service,
            Service::KtpRusak | Service::KtpPerubahanData
        );
        let batch = self
            .batches
            .iter()
            .find(|b| b.printed.contains(&i))
            .map(|b| b.id.clone());
        // One in twenty keeps the old card, by id rather than by the RNG so
        // the rest of the history is the same as before pickups were rows.
        let surrendered = has_old_card && id.0 % 20 != 0;
        let pickup = Pickup {
            application: id,
            picked_up_at: self.utc(t),
            officer: "Petugas Kecamatan".into(),
            old_card_surrendered: surrendered,
            batch,
            source: "sample-data --weeks".into(),
        };
        tx.record_pickup(&pickup, self.utc(t))?;
        self.summary.old_cards_surrendered += u64::from(surrendered);
        Ok(())
    }

    /// The applicant comes some office days after the card is ready; a few
    /// not within the history.
    fn schedule_pickup(&mut self, i: usize, day: NaiveDate) {
        let r = self.rng.below(100);
        let days = match r {
            0..30 => self.rng.range(0, 1),
            30..80 => self.rng.range(2, 7),
            80..95 => self.rng.range(8, 20),
            _ => return,
        };
        let d = self.office_days_after(day, days as u32);
        let d = self.office_day_from(d);
        let t = self.during(d, 10, 440);
        self.schedule(t, Action::Collect(i));
    }
}

trait HourMin {
    fn hour_min(&self) -> i64;
}

impl HourMin for NaiveTime {
    fn hour_min(&self) -> i64 {
        i64::from(chrono::Timelike::num_seconds_from_midnight(self)) / 60
    }
}

/// Writes `weeks` weeks of history ending at midnight before `ctx.as_of`,
/// about `per_week` applications a week, into the office's state database.
pub(crate) fn write(
    ctx: &Context<'_>,
    generated: &mut Generated,
    population: &std::path::Path,
    weeks: u64,
    per_week: u64,
) -> Result<HistorySummary, SampleError> {
    let config = ctx.config;
    let pool = std::mem::take(&mut generated.pools.history);
    if pool.is_empty() {
        return Err(SampleError::PopulationTooSmall {
            path: ctx.config_path.to_path_buf(),
            population: ctx.population,
            applications: ctx.applications,
            eligible: 0,
            needed: 1,
        });
    }
    // The faces of every card the history may print, read from the
    // snapshot through the adapter `sigap batch` uses: one lookup.
    let niks: Vec<u64> = pool.iter().filter_map(|r| r.nik.parse().ok()).collect();
    let faces: BTreeMap<u64, CardFace> = crate::adapters::ParquetDb::new(population.to_path_buf())
        .card_details(&niks)?
        .iter()
        .map(|d| (d.nik, CardFace::from_details(d, Wilayah::embedded())))
        .collect();
    let db = config.database_path();
    let mut store = Store::open(&db).map_err(|source| SampleError::Store {
        path: db.clone(),
        source,
    })?;
    let wilayah = Wilayah::embedded();
    let first = ctx.as_of - Duration::days(7 * weeks as i64);
    let last = ctx.as_of - Duration::days(1);
    let mut sim = Sim {
        rng: Rng::new(ctx.seed, 0x4849_5354),
        offset: config.office.timezone.offset(),
        wt: WorkingTime::new(config),
        printing: config.office.printing,
        courier: config.sla.courier_lead_days > 0,
        batch_size: config.station.batch_size,
        wilayah,
        apps: Vec::new(),
        batches: Vec::new(),
        batch_ids: BTreeSet::new(),
        queue: BinaryHeap::new(),
        seq: 0,
        serial: 100_000,
        deliveries: 0,
        stock: 0,
        summary: HistorySummary {
            weeks,
            from: first,
            to: last,
            ..HistorySummary::default()
        },
        verified_per_day: BTreeMap::new(),
        faces,
        office: (config.office.code.clone(), config.office.name.clone()),
        dispatched: Vec::new(),
        answered: Vec::new(),
    };
    let offered: Vec<Service> = config.services.keys().copied().collect();

    // Arrivals: busiest on Monday, a trickle at weekends (the app never closes).
    let weights = |d: Weekday| match d {
        Weekday::Mon => 26,
        Weekday::Tue | Weekday::Wed => 21,
        Weekday::Thu => 19,
        Weekday::Fri => 14,
        Weekday::Sat | Weekday::Sun => 4,
    };
    let total_weight: u64 = 26 + 21 + 21 + 19 + 14 + 4 + 4;
    let mut day = first;
    while day <= last {
        let mean = per_week * weights(day.weekday()) / total_weight;
        let spread = (mean / 4).max(1) as i64;
        let n = (mean as i64 + sim.rng.range(-spread, spread)).max(0);
        for _ in 0..n {
            let weekend = matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
            let minute = if !weekend && sim.rng.chance(8_500) {
                sim.rng.range(7 * 60 + 30, 16 * 60 - 1)
            } else {
                sim.rng.range(5 * 60, 23 * 60 - 1)
            };
            let submitted = at_min(day, minute);
            // Ingest runs every 15 minutes.
            let received = at_min(day, (minute / 15 + 1) * 15);
            // A resident may apply more than once over the weeks.
            let r = pool[sim.rng.index(pool.len())].clone();
            let service = sim.pick_service(&offered);
            let fate = sim.fate(service);
            let k = sim.rng.index(config.kecamatan.len());
            let email = sim
                .rng
                .chance(9_500)
                .then(|| names::email_for(&r.name, r.birth_date.year(), &mut sim.rng));
            let n = sim.apps.len();
            let new = NewApplication {
                source: Source::App,
                source_ref: format!("history|H-{:06}", n + 1),
                nik: r.nik.clone(),
                kk_number: Some(r.kk.clone()),
                name: r.name.clone(),
                birth_date: Some(r.birth_date),
                service,
                kecamatan: Some(config.kecamatan[k].code.clone()),
                email,
                phone: Some(names::phone(&mut sim.rng)),
                submitted_at: sim
                    .offset
                    .from_local_datetime(&submitted)
                    .single()
                    .expect("fixed offset"),
            };
            sim.apps.push(SimApp {
                id: None,
                new,
                state: State::Received,
                fate,
                complete_at: DateTime::<Utc>::MIN_UTC,
            });
            sim.schedule(received, Action::Arrive(n));
        }
        day += Duration::days(1);
    }

    // Blanko: an opening stock the day before, then a delivery every two
    // weeks sized on demand; the one in the middle of the history comes a
    // week late.
    let expected_cards = per_week * 2 * 7 / 10;
    let opening = expected_cards.div_ceil(50) * 50 + 50;
    let t = at_min(first - Duration::days(1), 10 * 60);
    sim.schedule(t, Action::Delivery(opening.max(50), false));
    let late_at = first + Duration::days(7 * (weeks as i64 / 2));
    let mut delivery_days = Vec::new();
    let mut d = first + Duration::days(14);
    while d <= last {
        delivery_days.push(d);
        d += Duration::days(14);
    }

    let cutoff = at_min(ctx.as_of, 0);
    let store_err = |source| SampleError::Store {
        path: db.clone(),
        source,
    };
    let mut day = first;
    let mut pending_deliveries = delivery_days.into_iter().peekable();
    while day <= last {
        // Deliveries due this day are sized now, on what was used so far.
        while let Some(&dd) = pending_deliveries.peek() {
            if dd > day {
                break;
            }
            pending_deliveries.next();
            let used: u64 = sim
                .verified_per_day
                .range(dd - Duration::days(14)..dd)
                .map(|(_, n)| *n)
                .sum();
            // The order covers the last two weeks' demand and the cards
            // already waiting, so a late delivery's backlog clears.
            let waiting = sim
                .apps
                .iter()
                .filter(|a| a.id.is_some() && a.state == State::Verified && a.new.service.is_ktp())
                .count() as u64;
            let want = (used + used / 10 + waiting).saturating_sub(sim.stock);
            let qty = want.div_ceil(50).max(1) * 50;
            let late = weeks >= 3 && dd >= late_at && dd < late_at + Duration::days(14);
            let arrive = if late { dd + Duration::days(7) } else { dd };
            let arrive = sim.office_day_from(arrive);
            sim.schedule(at_min(arrive, 10 * 60), Action::Delivery(qty, late));
        }
        // What happened before tonight's run, then the run: verify, batch.
        let night = at_min(day, 60);
        store
            .write(|tx| {
                sim.run_until(tx, night)?;
                sim.nightly(tx, day)
            })
            .map_err(store_err)?;
        // The notify step of the nightly sends what the day queued.
        let send_at = sim.utc(at_min(day, 60 + 10));
        let due = store.due_notices(send_at).map_err(store_err)?;
        let mut failed = Vec::new();
        store
            .write(|tx| {
                for n in &due {
                    if sim.rng.chance(100) {
                        failed.push(n.id);
                    } else {
                        tx.notice_sent(n.id, send_at)?;
                        sim.summary.notices_sent += 1;
                    }
                }
                Ok(())
            })
            .map_err(store_err)?;
        for id in failed {
            store
                .notice_attempt_failed(id, "550 5.1.1 mailbox unavailable", true, send_at)
                .map_err(store_err)?;
        }
        // The day itself, up to the next night or the end of the history.
        let until = at_min(day + Duration::days(1), 60).min(cutoff);
        store
            .write(|tx| sim.run_until(tx, until))
            .map_err(store_err)?;
        day += Duration::days(1);
    }
    // The station's folders as the history's nights and days left them.
    let station = crate::adapters::station::HotFolder::new(&config.spool_dir());
    for files in &sim.dispatched {
        station.dispatch(files)?;
    }
    for (batch, bytes) in &sim.answered {
        station.write_results(batch, bytes)?;
    }
    let mut summary = sim.summary;
    for (s, n) in store.counts_by_state().map_err(store_err)? {
        summary.states.insert(s.code().to_string(), n);
    }
    Ok(summary)
}
