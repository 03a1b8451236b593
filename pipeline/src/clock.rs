//! The one clock seam: "now" for the commands that report against today
//! (`status`, `config check`, `holidays list`). `SIGAP_NOW` (RFC 3339)
//! overrides it so the year-end warnings can be tested before the year
//! ends; `sigap daemon` refuses to start while it is set, so a scheduled
//! job never runs on a pretended date.

use chrono::{DateTime, Utc};

/// The clock override variable.
pub const NOW_VAR: &str = "SIGAP_NOW";

/// `SIGAP_NOW` is set but is not an RFC 3339 instant.
#[derive(Debug, thiserror::Error)]
#[error(
    "{NOW_VAR}=`{value}` is not an RFC 3339 time (e.g. 2027-11-02T09:00:00+07:00): {source}; fix or unset it"
)]
pub struct BadNow {
    /// The value as given.
    pub value: String,
    /// Why it does not parse.
    pub source: chrono::ParseError,
}

/// The current instant: `SIGAP_NOW` when set, else the system clock.
pub fn now() -> Result<DateTime<Utc>, BadNow> {
    match std::env::var(NOW_VAR) {
        Ok(value) => DateTime::parse_from_rfc3339(value.trim())
            .map(|t| t.with_timezone(&Utc))
            .map_err(|source| BadNow { value, source }),
        Err(_) => Ok(Utc::now()),
    }
}

/// True when the clock is overridden.
pub fn overridden() -> bool {
    std::env::var_os(NOW_VAR).is_some()
}
