//! Notices: what the applicant is told (the kinds), where a notice is in
//! the outbox, which state change calls for which notice, when a due notice
//! no longer holds, and the retry policy of a refused send.
//!
//! The store writes a notice in the same transaction as the state change
//! that calls for it ([`kind_for`]) and records a refused send by
//! [`after_refused_send`]; the notice stage renders and sends them.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::domain::application::ApplicationId;
use crate::domain::service::Service;
use crate::domain::state::State;

/// What a notice tells the applicant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NoticeKind {
    /// The card is printed: where and from when to collect it.
    ReadyForPickup,
    /// Documents are missing: which, and how to send them.
    Incomplete,
    /// Perekaman (biometrics) is needed: where and when to come.
    NeedsRecording,
    /// The application is refused: why, and whom to contact.
    Rejected,
    /// Not for an applicant: tells the office's admin that a scheduled job
    /// failed after every retry.
    AdminAlert,
}

impl NoticeKind {
    /// Every kind.
    pub const ALL: [NoticeKind; 5] = [
        NoticeKind::ReadyForPickup,
        NoticeKind::Incomplete,
        NoticeKind::NeedsRecording,
        NoticeKind::Rejected,
        NoticeKind::AdminAlert,
    ];

    /// The kinds an applicant receives, rendered from the office's templates.
    pub const TO_APPLICANTS: [NoticeKind; 4] = [
        NoticeKind::ReadyForPickup,
        NoticeKind::Incomplete,
        NoticeKind::NeedsRecording,
        NoticeKind::Rejected,
    ];

    /// The stable code used in the database, JSON and the CLI.
    pub fn code(self) -> &'static str {
        match self {
            NoticeKind::ReadyForPickup => "READY_FOR_PICKUP",
            NoticeKind::Incomplete => "INCOMPLETE",
            NoticeKind::NeedsRecording => "NEEDS_RECORDING",
            NoticeKind::Rejected => "REJECTED",
            NoticeKind::AdminAlert => "ADMIN_ALERT",
        }
    }

    /// The template's base name (`<name>.txt`, `<name>.html`).
    pub fn template(self) -> &'static str {
        match self {
            NoticeKind::ReadyForPickup => "ready_for_pickup",
            NoticeKind::Incomplete => "incomplete",
            NoticeKind::NeedsRecording => "needs_recording",
            NoticeKind::Rejected => "rejected",
            NoticeKind::AdminAlert => "admin_alert",
        }
    }

    /// The state, in the applicant's words, for the subject line.
    pub fn subject_state(self) -> &'static str {
        match self {
            NoticeKind::ReadyForPickup => "siap diambil",
            NoticeKind::Incomplete => "dokumen belum lengkap",
            NoticeKind::NeedsRecording => "perlu perekaman",
            NoticeKind::Rejected => "ditolak",
            NoticeKind::AdminAlert => "gagal",
        }
    }
}

impl fmt::Display for NoticeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for NoticeKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        NoticeKind::ALL
            .into_iter()
            .find(|k| k.code().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("`{s}` is not a notice kind"))
    }
}

/// Where a notice is in the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NoticeState {
    /// Waiting to be sent (or to be retried at `next_attempt_at`).
    Due,
    /// The mail server accepted it.
    Sent,
    /// Given up on: the server refused it for good, or every retry failed.
    Failed,
    /// Not sent because the application moved on before it could be: a
    /// newer notice replaces it, or what it says is no longer true (the
    /// documents came, the card was collected).
    Superseded,
}

impl NoticeState {
    /// Every state.
    pub const ALL: [NoticeState; 4] = [
        NoticeState::Due,
        NoticeState::Sent,
        NoticeState::Failed,
        NoticeState::Superseded,
    ];

    /// The stable code used in the database, JSON and the CLI.
    pub fn code(self) -> &'static str {
        match self {
            NoticeState::Due => "DUE",
            NoticeState::Sent => "SENT",
            NoticeState::Failed => "FAILED",
            NoticeState::Superseded => "SUPERSEDED",
        }
    }
}

impl fmt::Display for NoticeState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for NoticeState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        NoticeState::ALL
            .into_iter()
            .find(|k| k.code().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                format!("`{s}` is not a notice state; use DUE, SENT, FAILED or SUPERSEDED")
            })
    }
}

/// The notice a move to `to` calls for, if any. Ready for pickup is sent
/// when a KTP-el card is printed (a KK's "print" is the PDF, sent otherwise).
pub fn kind_for(to: State, service: Service) -> Option<NoticeKind> {
    match to {
        State::Incomplete => Some(NoticeKind::Incomplete),
        State::NeedsRecording => Some(NoticeKind::NeedsRecording),
        State::Rejected => Some(NoticeKind::Rejected),
        State::Printed if service.is_ktp() => Some(NoticeKind::ReadyForPickup),
        _ => None,
    }
}

/// Whether a due notice still says something true of the application:
/// `None` if so, else why not. `newer` tells whether a later notice exists
/// for the same application (it says what is true now).
pub fn superseded(kind: NoticeKind, now: State, newer: bool) -> Option<String> {
    if newer {
        return Some("a newer notice replaces it".into());
    }
    let still = match kind {
        NoticeKind::Incomplete => now == State::Incomplete,
        NoticeKind::NeedsRecording => now == State::NeedsRecording,
        NoticeKind::Rejected | NoticeKind::AdminAlert => true,
        NoticeKind::ReadyForPickup => !matches!(now, State::Collected | State::Archived),
    };
    (!still).then(|| format!("the application is {now} now"))
}

/// Sends tried per notice before it is FAILED.
pub const MAX_ATTEMPTS: u32 = 6;

/// The wait after the `attempts`-th failed send: 5 minutes, doubling
/// (5, 10, 20, 40, 80 minutes).
pub fn backoff(attempts: u32) -> Duration {
    Duration::minutes(5 * (1i64 << attempts.saturating_sub(1).min(20)))
}

/// What a refused send does to its notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    /// Sends tried so far, the refused one included.
    pub attempts: u32,
    /// FAILED when the refusal is for good or this was the last allowed
    /// attempt, else DUE (to be retried).
    pub state: NoticeState,
    /// Not tried again before this time: the refusal's time plus the
    /// [`backoff`].
    pub next_attempt_at: DateTime<Utc>,
}

/// The retry policy for a send refused at `at`, after `attempts` earlier
/// sends: `permanent` when the server refused it for good.
pub fn after_refused_send(attempts: u32, permanent: bool, at: DateTime<Utc>) -> Refusal {
    let attempts = attempts + 1;
    let state = if permanent || attempts >= MAX_ATTEMPTS {
        NoticeState::Failed
    } else {
        NoticeState::Due
    };
    Refusal {
        attempts,
        state,
        next_attempt_at: at + backoff(attempts),
    }
}

/// One notice in the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notice {
    /// Its number.
    pub id: i64,
    /// The application it is about; `None` for an admin alert.
    pub application: Option<ApplicationId>,
    /// The number of the admin alert it carries (the store's alert row);
    /// `None` for
    /// an applicant's notice.
    pub alert: Option<i64>,
    /// What it says.
    pub kind: NoticeKind,
    /// Where it is in the outbox.
    pub state: NoticeState,
    /// Sends tried so far.
    pub attempts: u32,
    /// Not sent before this time (UTC).
    pub next_attempt_at: DateTime<Utc>,
    /// The Message-ID, fixed before the first send and reused by every retry.
    pub message_id: Option<String>,
    /// When the state change that called for it happened (UTC).
    pub created_at: DateTime<Utc>,
    /// When the server accepted it (UTC).
    pub sent_at: Option<DateTime<Utc>>,
    /// The last send error, empty if none.
    pub last_error: String,
}

/// The Message-ID of a notice: stable, unique per notice and office.
pub fn message_id(notice: &Notice, domain: &str) -> String {
    let id = notice.id;
    match (notice.application, notice.alert) {
        (Some(application), _) => format!("<notice-{id}.{application}@{domain}>"),
        (None, Some(alert)) => format!("<notice-{id}.alert-{alert}@{domain}>"),
        (None, None) => format!("<notice-{id}@{domain}>"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_states_that_call_for_a_notice() {
        assert_eq!(
            kind_for(State::Printed, Service::KtpRusak),
            Some(NoticeKind::ReadyForPickup)
        );
        assert_eq!(kind_for(State::Printed, Service::KkRusak), None);
        assert_eq!(
            kind_for(State::Incomplete, Service::KkHilang),
            Some(NoticeKind::Incomplete)
        );
        assert_eq!(kind_for(State::Verified, Service::KtpBaru), None);
        assert_eq!(
            kind_for(State::Rejected, Service::KtpBaru),
            Some(NoticeKind::Rejected)
        );
    }

    #[test]
    fn a_notice_the_application_moved_past_is_superseded() {
        use NoticeKind::*;
        assert_eq!(superseded(Incomplete, State::Incomplete, false), None);
        assert!(superseded(Incomplete, State::Verified, false).is_some());
        assert!(superseded(Incomplete, State::Incomplete, true).is_some());
        assert_eq!(
            superseded(NeedsRecording, State::NeedsRecording, false),
            None
        );
        assert_eq!(superseded(Rejected, State::Rejected, false), None);
        assert_eq!(superseded(ReadyForPickup, State::Ready, false), None);
        assert!(superseded(ReadyForPickup, State::Collected, false).is_some());
    }

    #[test]
    fn backoff_doubles_from_five_minutes() {
        let mins: Vec<i64> = (1..=5).map(|a| backoff(a).num_minutes()).collect();
        assert_eq!(mins, [5, 10, 20, 40, 80]);
    }

    #[test]
    fn a_refused_send_is_retried_until_the_last_attempt() {
        let at = DateTime::<Utc>::UNIX_EPOCH;
        let first = after_refused_send(0, false, at);
        assert_eq!(
            (first.attempts, first.state, first.next_attempt_at),
            (1, NoticeState::Due, at + Duration::minutes(5))
        );
        assert_eq!(
            after_refused_send(MAX_ATTEMPTS - 1, false, at).state,
            NoticeState::Failed
        );
        assert_eq!(after_refused_send(0, true, at).state, NoticeState::Failed);
    }

    #[test]
    fn codes_round_trip() {
        for k in NoticeKind::ALL {
            assert_eq!(k.code().parse::<NoticeKind>(), Ok(k));
        }
        for s in NoticeState::ALL {
            assert_eq!(s.code().parse::<NoticeState>(), Ok(s));
        }
        assert!("sent".parse::<NoticeState>().is_ok());
    }
}
