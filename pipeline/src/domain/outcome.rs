//! How a job run ended: what the run history records and the exit code a
//! command gives.

use serde::Serialize;

/// How a job run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Started, not finished (or the process died).
    Running,
    /// Finished, nothing needs attention.
    Ok,
    /// Finished, but something needs a person (quarantine, failed sends).
    Attention,
    /// Failed.
    Failed,
    /// Stopped by a signal before the end.
    Interrupted,
    /// Did not run: another process held the job's lock (and runs it).
    Locked,
}

impl Outcome {
    /// Every outcome.
    pub const ALL: [Outcome; 6] = [
        Outcome::Running,
        Outcome::Ok,
        Outcome::Attention,
        Outcome::Failed,
        Outcome::Interrupted,
        Outcome::Locked,
    ];

    /// The outcome's name in the history (`ok`, `attention`, …).
    pub fn code(self) -> &'static str {
        match self {
            Outcome::Running => "running",
            Outcome::Ok => "ok",
            Outcome::Attention => "attention",
            Outcome::Failed => "failed",
            Outcome::Interrupted => "interrupted",
            Outcome::Locked => "locked",
        }
    }

    /// The outcome named `code`, if any.
    pub fn parse(code: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.code() == code)
    }

    /// `Attention` when something needs a person, else `Ok`.
    pub fn attention_if(needs_a_person: bool) -> Outcome {
        if needs_a_person {
            Outcome::Attention
        } else {
            Outcome::Ok
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_outcome_reads_back_from_its_code() {
        for o in Outcome::ALL {
            assert_eq!(Outcome::parse(o.code()), Some(o));
        }
        assert_eq!(Outcome::parse("skipped"), None);
    }
}
