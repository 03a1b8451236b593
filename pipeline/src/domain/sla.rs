//! SLA steps read off the event log: when each step of an application
//! started and ended, and how long it took in the office's working time.
//!
//! The steps (targets from `[sla]` of the profile):
//!
//! - **complete → printed**: from the application's last arrival in
//!   RECEIVED before it was printed (the moment it became complete: a
//!   resubmission restarts the clock, the applicant's wait while INCOMPLETE
//!   or NEEDS_RECORDING does not count) to its first PRINTED (the card, or
//!   the KK PDF issued);
//! - **printed → ready**: first PRINTED to first READY at the pickup office
//!   (KTP-el only: a KK has no pickup);
//! - **submitted → ready**: the applicant's submission time to first READY,
//!   end to end (KTP-el only);
//! - **ready → collected**: first READY to COLLECTED. This is the
//!   applicant's time, not the office's: it has no target and is shown for
//!   information.
//!
//! A step is *open* at the report's moment when it started and the
//! application is still in a state the office holds (RECEIVED, REVIEW,
//! VERIFIED, BATCHED, DISPATCHED for printing; PRINTED, IN_TRANSIT for
//! delivery); its age is the working time from its start to that moment.

use chrono::{DateTime, Utc};

use crate::config::SlaTargets;
use crate::domain::application::ApplicationId;
use crate::domain::service::Service;
use crate::domain::state::State;

/// One measured step of the flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    /// Complete (last RECEIVED) to PRINTED.
    CompleteToPrinted,
    /// PRINTED to READY at the kecamatan.
    PrintedToReady,
    /// Submitted to READY.
    SubmittedToReady,
    /// READY to COLLECTED: the applicant's time.
    ReadyToCollected,
}

impl Step {
    /// Every step, in report order.
    pub const ALL: [Step; 4] = [
        Step::CompleteToPrinted,
        Step::PrintedToReady,
        Step::SubmittedToReady,
        Step::ReadyToCollected,
    ];

    /// The stable code used in CSV files.
    pub fn code(self) -> &'static str {
        match self {
            Step::CompleteToPrinted => "complete_to_printed",
            Step::PrintedToReady => "printed_to_ready",
            Step::SubmittedToReady => "submitted_to_ready",
            Step::ReadyToCollected => "ready_to_collected",
        }
    }

    /// The step's name in the report (Bahasa Indonesia).
    pub fn label(self) -> &'static str {
        match self {
            Step::CompleteToPrinted => "Berkas lengkap → tercetak",
            Step::PrintedToReady => "Tercetak → siap diambil di kecamatan",
            Step::SubmittedToReady => "Diajukan → siap diambil",
            Step::ReadyToCollected => "Siap diambil → diambil (waktu pemohon)",
        }
    }

    /// The target in working hours, `None` for the applicant's own time.
    pub fn target_hours(self, targets: &SlaTargets) -> Option<f64> {
        match self {
            Step::CompleteToPrinted => Some(targets.complete_to_printed_hours),
            Step::PrintedToReady => Some(targets.printed_to_ready_hours),
            Step::SubmittedToReady => Some(targets.submitted_to_ready_hours),
            Step::ReadyToCollected => None,
        }
    }
}

/// What the steps are read from: one application and its event log.
#[derive(Debug, Clone, PartialEq)]
pub struct AppHistory {
    /// The application.
    pub id: ApplicationId,
    /// Its service.
    pub service: Service,
    /// Pickup kecamatan (dotted code), if given.
    pub kecamatan: Option<String>,
    /// When the applicant submitted it.
    pub submitted_at: DateTime<Utc>,
    /// Its events in log order: the state moved to and when.
    pub events: Vec<(State, DateTime<Utc>)>,
    /// Reason codes on record (the rejection's, once REJECTED).
    pub reasons: Vec<String>,
}

impl AppHistory {
    /// The events up to and including `until`.
    fn upto(&self, until: DateTime<Utc>) -> impl Iterator<Item = &(State, DateTime<Utc>)> {
        self.events.iter().filter(move |(_, at)| *at <= until)
    }

    /// The state at `until` (`None` before its first event).
    pub fn state_at(&self, until: DateTime<Utc>) -> Option<State> {
        self.upto(until).last().map(|(s, _)| *s)
    }

    /// The first time it entered `state` up to `until`.
    pub fn first(&self, state: State, until: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.upto(until)
            .find(|(s, _)| *s == state)
            .map(|(_, at)| *at)
    }

    /// When it was first recorded (its RECEIVED event from ingest).
    pub fn received_at(&self) -> Option<DateTime<Utc>> {
        self.events.first().map(|(_, at)| *at)
    }
}

/// One step of one application: ended (`end` set) or still open at the
/// report's moment.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    /// The application.
    pub application: ApplicationId,
    /// Which step.
    pub step: Step,
    /// Its start.
    pub start: DateTime<Utc>,
    /// Its end, `None` while open.
    pub end: Option<DateTime<Utc>>,
    /// The state at the report's moment (for open steps).
    pub state: State,
}

/// The steps of one application as known at `until`: each ended step, and
/// each step still open in a state the office holds.
pub fn spans(app: &AppHistory, until: DateTime<Utc>) -> Vec<Span> {
    use State::*;
    let Some(state) = app.state_at(until) else {
        return Vec::new();
    };
    let ktp = app.service.is_ktp();
    let mut out = Vec::new();
    let mut push = |step, start, end| {
        out.push(Span {
            application: app.id,
            step,
            start,
            end,
            state,
        })
    };
    let printed = app.first(Printed, until);
    let ready = app.first(Ready, until);
    let holding_for_print = matches!(state, Received | Review | Verified | Batched | Dispatched);
    // The last arrival in RECEIVED before the print (or before now).
    let complete = app
        .upto(printed.unwrap_or(until))
        .filter(|(s, _)| *s == Received)
        .last()
        .map(|(_, at)| *at);
    match (complete, printed) {
        (Some(c), Some(p)) => push(Step::CompleteToPrinted, c, Some(p)),
        (Some(c), None) if holding_for_print => push(Step::CompleteToPrinted, c, None),
        _ => {}
    }
    if ktp {
        match (printed, ready) {
            (Some(p), Some(r)) => push(Step::PrintedToReady, p, Some(r)),
            (Some(p), None) if matches!(state, Printed | InTransit) => {
                push(Step::PrintedToReady, p, None)
            }
            _ => {}
        }
        match ready {
            Some(r) => push(Step::SubmittedToReady, app.submitted_at, Some(r)),
            None if holding_for_print || matches!(state, Printed | InTransit) => {
                push(Step::SubmittedToReady, app.submitted_at, None)
            }
            None => {}
        }
        if let Some(r) = ready {
            match app.first(Collected, until) {
                Some(c) => push(Step::ReadyToCollected, r, Some(c)),
                None if state == Ready => push(Step::ReadyToCollected, r, None),
                None => {}
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, d, h, 0, 0).unwrap()
    }

    fn app(service: Service, events: &[(State, DateTime<Utc>)]) -> AppHistory {
        AppHistory {
            id: ApplicationId(1),
            service,
            kecamatan: Some("34.02.15".into()),
            submitted_at: t(2, 1),
            events: events.to_vec(),
            reasons: Vec::new(),
        }
    }

    #[test]
    fn a_card_collected_has_all_four_steps() {
        use State::*;
        let a = app(
            Service::KtpBaru,
            &[
                (Received, t(2, 2)),
                (Incomplete, t(3, 18)),
                (Received, t(5, 3)),
                (Verified, t(5, 18)),
                (Batched, t(5, 18)),
                (Dispatched, t(5, 18)),
                (Printed, t(6, 2)),
                (InTransit, t(6, 7)),
                (Ready, t(9, 2)),
                (Collected, t(10, 3)),
            ],
        );
        let s = spans(&a, t(30, 0));
        let got: Vec<_> = s.iter().map(|s| (s.step, s.start, s.end)).collect();
        assert_eq!(
            got,
            vec![
                // The clock starts at the resubmission, not the first arrival.
                (Step::CompleteToPrinted, t(5, 3), Some(t(6, 2))),
                (Step::PrintedToReady, t(6, 2), Some(t(9, 2))),
                (Step::SubmittedToReady, t(2, 1), Some(t(9, 2))),
                (Step::ReadyToCollected, t(9, 2), Some(t(10, 3))),
            ]
        );
    }

    #[test]
    fn open_steps_are_those_the_office_holds() {
        use State::*;
        let a = app(
            Service::KtpBaru,
            &[
                (Received, t(2, 2)),
                (Verified, t(2, 18)),
                (Batched, t(2, 18)),
                (Dispatched, t(2, 18)),
                (Printed, t(3, 2)),
            ],
        );
        // Before the print: printing is open.
        let before = spans(&a, t(2, 20));
        assert_eq!(before[0].step, Step::CompleteToPrinted);
        assert_eq!(before[0].end, None);
        // After: printed → ready and submitted → ready are open.
        let after: Vec<_> = spans(&a, t(4, 0))
            .into_iter()
            .map(|s| (s.step, s.end))
            .collect();
        assert_eq!(
            after,
            vec![
                (Step::CompleteToPrinted, Some(t(3, 2))),
                (Step::PrintedToReady, None),
                (Step::SubmittedToReady, None),
            ]
        );
        // Waiting for the applicant's documents is not open for the office.
        let waiting = app(
            Service::KtpBaru,
            &[(Received, t(2, 2)), (Incomplete, t(2, 18))],
        );
        assert!(spans(&waiting, t(9, 0)).is_empty());
    }

    #[test]
    fn a_kk_is_measured_to_its_print_only() {
        use State::*;
        let a = app(
            Service::KkHilang,
            &[
                (Received, t(2, 2)),
                (Verified, t(2, 18)),
                (Printed, t(3, 4)),
            ],
        );
        let s = spans(&a, t(9, 0));
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].step, Step::CompleteToPrinted);
    }
}
