//! The states of an application and the legal moves between them, written
//! once here (the flow is drawn in docs/ARCHITECTURE.md, "Bird's-eye view").

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::domain::service::Service;

/// Where an application is in the flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum State {
    /// Ingested, waiting for verification.
    Received,
    /// Documents the service needs are missing; waiting for the applicant.
    Incomplete,
    /// Biometrics (perekaman) not yet recorded centrally.
    NeedsRecording,
    /// Refused, with reasons. Final.
    Rejected,
    /// A person (Kasi) must decide.
    Review,
    /// Checks passed; waiting for a print batch (KTP-el) or the KK PDF.
    Verified,
    /// In a print batch, not yet handed to the station.
    Batched,
    /// The batch is in the station's hot folder.
    Dispatched,
    /// Card printed (KTP-el) or KK PDF issued.
    Printed,
    /// The courier has taken the batch to the kecamatan.
    InTransit,
    /// At the pickup office, waiting for the applicant.
    Ready,
    /// The applicant has the card.
    Collected,
    /// The surrendered old card is in a destruction bundle. Final.
    Archived,
}

impl State {
    /// Every state, in flow order.
    pub const ALL: [State; 13] = [
        State::Received,
        State::Incomplete,
        State::NeedsRecording,
        State::Rejected,
        State::Review,
        State::Verified,
        State::Batched,
        State::Dispatched,
        State::Printed,
        State::InTransit,
        State::Ready,
        State::Collected,
        State::Archived,
    ];

    /// The stable name used in the database, JSON and the CLI.
    pub fn code(self) -> &'static str {
        match self {
            State::Received => "RECEIVED",
            State::Incomplete => "INCOMPLETE",
            State::NeedsRecording => "NEEDS_RECORDING",
            State::Rejected => "REJECTED",
            State::Review => "REVIEW",
            State::Verified => "VERIFIED",
            State::Batched => "BATCHED",
            State::Dispatched => "DISPATCHED",
            State::Printed => "PRINTED",
            State::InTransit => "IN_TRANSIT",
            State::Ready => "READY",
            State::Collected => "COLLECTED",
            State::Archived => "ARCHIVED",
        }
    }

    /// True when nothing can follow.
    pub fn is_final(self) -> bool {
        matches!(self, State::Rejected | State::Archived)
    }

    /// Still being worked on by the office: not final and not yet with the
    /// applicant. At most one application per NIK may be in flight.
    pub fn in_flight(self) -> bool {
        !matches!(self, State::Rejected | State::Collected | State::Archived)
    }

    /// The states that may follow this one for this service. This table is
    /// the one place the flow is written down.
    pub fn next(self, service: Service) -> &'static [State] {
        use State::*;
        let ktp = service.is_ktp();
        match self {
            Received => &[Incomplete, NeedsRecording, Rejected, Review, Verified],
            // Missing documents arrived / perekaman done: verify again.
            Incomplete | NeedsRecording => &[Received],
            // RECEIVED: a person classified a document: verify again.
            Review => &[Verified, Rejected, Received],
            // REVIEW: the card cannot be printed after all (no population
            // record when its face is read); a person decides.
            Verified if ktp => &[Batched, Review],
            // A KK is not printed on a blank card: its "print" is the signed
            // KK PDF, issued straight from VERIFIED.
            Verified => &[Printed],
            Batched => &[Dispatched, Review],
            // Spoiled or failed at the station: back in the queue.
            Dispatched => &[Printed, Verified],
            // READY straight from PRINTED where the station is at the pickup
            // office itself (a kecamatan that prints, a dinas counter).
            Printed if ktp => &[InTransit, Ready],
            Printed => &[],
            InTransit => &[Ready],
            Ready => &[Collected],
            Collected => &[Archived],
            Rejected | Archived => &[],
        }
    }

    /// Checks one move. `Ok` only if the table above allows it.
    pub fn check_transition(self, to: State, service: Service) -> Result<(), IllegalTransition> {
        let kind = if self.next(service).contains(&to) {
            return Ok(());
        } else if self.is_final() {
            IllegalKind::FromFinalState
        } else if self == to {
            IllegalKind::SameState
        } else if self.next(other_kind(service)).contains(&to) {
            IllegalKind::WrongServiceKind
        } else if (to as u8) < (self as u8) {
            IllegalKind::Backwards
        } else {
            IllegalKind::SkipsSteps
        };
        Err(IllegalTransition {
            from: self,
            to,
            service,
            kind,
        })
    }
}

/// A service of the other kind (KTP-el ↔ KK), to tell "wrong kind of
/// service" apart from other illegal moves.
fn other_kind(service: Service) -> Service {
    if service.is_ktp() {
        Service::KkPerubahanData
    } else {
        Service::KtpBaru
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A state name that is not one of the states.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a state; use one of RECEIVED, INCOMPLETE, NEEDS_RECORDING, REJECTED, REVIEW, VERIFIED, BATCHED, DISPATCHED, PRINTED, IN_TRANSIT, READY, COLLECTED, ARCHIVED"
)]
pub struct UnknownState(pub String);

impl FromStr for State {
    type Err = UnknownState;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let want = s.trim().to_uppercase().replace(['-', ' '], "_");
        State::ALL
            .into_iter()
            .find(|st| st.code() == want)
            .ok_or_else(|| UnknownState(s.to_string()))
    }
}

/// Why a move is not allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IllegalKind {
    /// REJECTED and ARCHIVED have no way out.
    FromFinalState,
    /// Moving to the state it is already in.
    SameState,
    /// Allowed for the other kind of service only (e.g. a KTP-el straight from VERIFIED to PRINTED).
    WrongServiceKind,
    /// Back to an earlier state the flow does not return to.
    Backwards,
    /// Forward past a step that must happen first.
    SkipsSteps,
}

/// A move the flow does not allow. Never applied; the caller gets this error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("illegal transition {from} -> {to} for {service}: {}", describe(*.kind))]
pub struct IllegalTransition {
    /// Current state.
    pub from: State,
    /// Requested state.
    pub to: State,
    /// The application's service.
    pub service: Service,
    /// Which class of illegal move.
    pub kind: IllegalKind,
}

fn describe(kind: IllegalKind) -> &'static str {
    match kind {
        IllegalKind::FromFinalState => "the application is in a final state",
        IllegalKind::SameState => "it is already in that state",
        IllegalKind::WrongServiceKind => {
            "that move is for the other kind of service (KTP-el vs KK)"
        }
        IllegalKind::Backwards => "the flow does not go back there",
        IllegalKind::SkipsSteps => "it would skip a step of the flow",
    }
}

/// The start of the detail of an IN_TRANSIT or READY move that no one
/// recorded, logged because a register shows the card handed out (the SLA
/// report leaves these out of the office's steps: the arrival time is not
/// known).
pub const IMPLIED_BY_PICKUP: &str = "implied by the pickup in";

#[cfg(test)]
mod tests {
    use super::*;
    use State::*;

    const KTP: Service = Service::KtpBaru;
    const KK: Service = Service::KkHilang;

    fn kind(from: State, to: State, s: Service) -> IllegalKind {
        from.check_transition(to, s).unwrap_err().kind
    }

    #[test]
    fn the_happy_path_of_a_card_is_legal() {
        let path = [
            Received, Verified, Batched, Dispatched, Printed, InTransit, Ready, Collected, Archived,
        ];
        for w in path.windows(2) {
            assert_eq!(w[0].check_transition(w[1], KTP), Ok(()), "{:?}", w);
        }
    }

    #[test]
    fn side_paths_are_legal() {
        for (from, to) in [
            (Received, Incomplete),
            (Incomplete, Received),
            (Received, NeedsRecording),
            (NeedsRecording, Received),
            (Received, Review),
            (Review, Verified),
            (Review, Rejected),
            (Review, Received),
            (Received, Rejected),
            (Dispatched, Verified),
            (Printed, Ready),
            (Verified, Review),
            (Batched, Review),
        ] {
            assert_eq!(from.check_transition(to, KTP), Ok(()), "{from}->{to}");
        }
        assert_eq!(Verified.check_transition(Printed, KK), Ok(()));
    }

    #[test]
    fn nothing_leaves_a_final_state() {
        for to in State::ALL {
            assert_eq!(kind(Rejected, to, KTP), IllegalKind::FromFinalState);
            assert_eq!(kind(Archived, to, KTP), IllegalKind::FromFinalState);
        }
    }

    #[test]
    fn staying_put_is_not_a_transition() {
        for s in State::ALL.into_iter().filter(|s| !s.is_final()) {
            assert_eq!(kind(s, s, KTP), IllegalKind::SameState, "{s}");
        }
    }

    #[test]
    fn skipping_steps_is_refused() {
        for (from, to) in [
            (Received, Batched),
            (Received, Printed),
            (Verified, Dispatched),
            (Batched, Printed),
            (InTransit, Collected),
            (Ready, Archived),
            (Incomplete, Verified),
        ] {
            assert_eq!(kind(from, to, KTP), IllegalKind::SkipsSteps, "{from}->{to}");
        }
    }

    #[test]
    fn going_back_is_refused() {
        for (from, to) in [
            (Printed, Received),
            (Collected, Ready),
            (Batched, Verified),
            (Verified, Received),
            (Ready, InTransit),
        ] {
            assert_eq!(kind(from, to, KTP), IllegalKind::Backwards, "{from}->{to}");
        }
    }

    #[test]
    fn card_and_kk_moves_do_not_mix() {
        assert_eq!(kind(Verified, Printed, KTP), IllegalKind::WrongServiceKind);
        assert_eq!(kind(Verified, Batched, KK), IllegalKind::WrongServiceKind);
        assert_eq!(kind(Printed, InTransit, KK), IllegalKind::WrongServiceKind);
    }

    #[test]
    fn every_pair_is_either_in_the_table_or_refused() {
        for s in Service::ALL {
            for from in State::ALL {
                for to in State::ALL {
                    let ok = from.check_transition(to, s).is_ok();
                    assert_eq!(ok, from.next(s).contains(&to));
                }
            }
        }
    }

    #[test]
    fn states_parse_from_their_codes() {
        for s in State::ALL {
            assert_eq!(s.code().parse::<State>(), Ok(s));
        }
        assert_eq!("needs-recording".parse::<State>(), Ok(NeedsRecording));
        assert!("DONE".parse::<State>().is_err());
    }
}
