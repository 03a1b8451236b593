//! An application (permohonan) as sigap holds it.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::domain::service::Service;
use crate::domain::state::State;

/// The office-wide number of an application, shown as `A-000123`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct ApplicationId(pub i64);

impl fmt::Display for ApplicationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "A-{:06}", self.0)
    }
}

impl From<ApplicationId> for String {
    fn from(id: ApplicationId) -> String {
        id.to_string()
    }
}

/// Text that is not an application id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an application id; ids look like A-000123 (or just 123)")]
pub struct BadApplicationId(pub String);

impl FromStr for ApplicationId {
    type Err = BadApplicationId;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let digits = t
            .strip_prefix("A-")
            .or_else(|| t.strip_prefix("a-"))
            .unwrap_or(t);
        digits
            .parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
            .map(ApplicationId)
            .ok_or_else(|| BadApplicationId(s.to_string()))
    }
}

impl TryFrom<String> for ApplicationId {
    type Error = BadApplicationId;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

/// The intake channel an application came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// A Google Forms responses export (`inbox/forms/*.csv`).
    Form,
    /// The office app's export (`inbox/app/*.json`, `*.ndjson`).
    App,
    /// An email (`inbox/mail/`).
    Mail,
    /// The printer station's results (`spool/results/`): only ever the
    /// channel of a quarantine entry, never an application's source.
    Station,
    /// A kecamatan's pickup register (`sigap pickups import`): only ever
    /// the channel of a quarantine entry.
    Pickup,
}

impl Source {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            Source::Form => "form",
            Source::App => "app",
            Source::Mail => "mail",
            Source::Station => "station",
            Source::Pickup => "pickup",
        }
    }
}

impl FromStr for Source {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "form" => Ok(Source::Form),
            "app" => Ok(Source::App),
            "mail" => Ok(Source::Mail),
            "station" => Ok(Source::Station),
            "pickup" => Ok(Source::Pickup),
            other => Err(format!("unknown source `{other}`")),
        }
    }
}

/// What an applicant submitted, before sigap has an id for it. Fields are
/// kept as given: checking them is verification's job, and a malformed NIK
/// is a reason to reject, not to lose the application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewApplication {
    /// Intake channel.
    pub source: Source,
    /// Where exactly it came from, unique per submission: `file:line`, the
    /// app's id or the Message-ID. Seeing it again means "already known".
    pub source_ref: String,
    /// NIK as typed (cleaned of separators where possible).
    pub nik: String,
    /// KK number as typed.
    pub kk_number: Option<String>,
    /// Name as typed.
    pub name: String,
    /// Birth date as given, if it could be read.
    pub birth_date: Option<NaiveDate>,
    /// The service asked for.
    pub service: Service,
    /// Pickup kecamatan, dotted Kemendagri code.
    pub kecamatan: Option<String>,
    /// Applicant's email for notices.
    pub email: Option<String>,
    /// Applicant's phone.
    pub phone: Option<String>,
    /// When the applicant submitted it, with the offset it was given in.
    pub submitted_at: DateTime<FixedOffset>,
}

/// An application with its id and where it is in the flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Application {
    /// Office-wide id.
    pub id: ApplicationId,
    /// What was submitted.
    #[serde(flatten)]
    pub submitted: NewApplication,
    /// Current state.
    pub state: State,
    /// Since when (UTC).
    pub state_since: DateTime<chrono::Utc>,
    /// Reason codes of the last verification (empty when none).
    pub reasons: Vec<String>,
    /// Print batch, once batched.
    pub batch: Option<String>,
}

/// A person's name as a document, a card or an email shows it: a run of
/// whitespace (two spaces typed, a tab, a line break from a form) becomes
/// one space, none at either end (`ESTI  KUSUMAWATI` → `ESTI KUSUMAWATI`).
/// Only for showing: what was submitted stays as given, and verification
/// compares names through its own normalisation (`verify::name`), which
/// already ignores spacing on both sides.
pub fn shown_name(name: &str) -> String {
    name.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shown_name_has_single_spaces() {
        assert_eq!(shown_name("ESTI  KUSUMAWATI"), "ESTI KUSUMAWATI");
        assert_eq!(shown_name(" Siti\tAminah \n S.Pd. "), "Siti Aminah S.Pd.");
        assert_eq!(shown_name("MA'RUF AL-HADI"), "MA'RUF AL-HADI");
    }

    #[test]
    fn ids_print_and_parse() {
        assert_eq!(ApplicationId(123).to_string(), "A-000123");
        assert_eq!("A-000123".parse::<ApplicationId>(), Ok(ApplicationId(123)));
        assert_eq!("123".parse::<ApplicationId>(), Ok(ApplicationId(123)));
        assert!("B-1".parse::<ApplicationId>().is_err());
        assert!("0".parse::<ApplicationId>().is_err());
    }
}
