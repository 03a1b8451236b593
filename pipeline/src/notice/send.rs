//! Sending the due notices: render, fix the Message-ID, send, record.
//!
//! Exactly-once as far as SMTP allows: the Message-ID is committed before
//! the first send and reused by every retry; SENT is committed right after
//! the server accepts, one notice per commit. The window left is between
//! the server's accept and that commit: a crash there sends the notice
//! again on the next run, with the same Message-ID, so mail clients that
//! deduplicate show it once.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::config::Config;
use crate::domain::application::Application;
use crate::ports::{Mail, MailError, Mailer};
use crate::store::{Alert, Store, StoreError};

use super::render::{TemplateError, Templates, context};
use crate::domain::notice::{Notice, NoticeState, message_id};

/// Sending stopped before the end for a reason that is not one notice's.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// The state database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A template is broken: every notice of its kind would fail.
    #[error(transparent)]
    Template(#[from] TemplateError),
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NotifyReport {
    /// Due when the run started.
    pub due: u64,
    /// Accepted by the server (or, in a dry run, would be sent).
    pub sent: u64,
    /// Refused for now; due again after the backoff.
    pub retry: u64,
    /// Given up on in this run.
    pub failed: u64,
    /// Not sent: the application moved on (see [`crate::domain::notice::superseded`]).
    pub superseded: u64,
    /// The server could not be reached: the run stopped here and the
    /// notices not sent stay due, uncharged.
    pub unreachable: Option<String>,
    /// A dry run's notices: (notice id, subject). Subjects name the service,
    /// the application number and the state, no personal data.
    pub planned: Vec<(i64, String)>,
}

impl NotifyReport {
    /// One line for people and the run history.
    pub fn line(&self) -> String {
        let mut s = format!(
            "{} due, {} sent, {} to retry, {} failed, {} superseded",
            self.due, self.sent, self.retry, self.failed, self.superseded
        );
        if let Some(why) = &self.unreachable {
            s.push_str(&format!(
                "; stopped: {why}; {} notice(s) stay due for the next run",
                self.due - self.sent - self.retry - self.failed - self.superseded
            ));
        }
        s
    }
}

/// What a due notice is about, loaded for rendering.
enum About {
    Application(Box<Application>),
    Alert(Alert),
}

/// The application number or alert number, for the log (no personal data).
impl std::fmt::Display for About {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            About::Application(app) => write!(f, "{}", app.id),
            About::Alert(alert) => write!(f, "alert-{}", alert.id),
        }
    }
}

/// The domain part of the sender, for Message-IDs.
fn domain(config: &Config) -> &str {
    config
        .smtp
        .from_address
        .rsplit_once('@')
        .map_or("sigap.invalid", |(_, d)| d)
}

/// Renders one notice of `app` into a mail (without sending); `None` when
/// the application has no email.
pub fn prepare(
    store: &Store,
    notice: &Notice,
    app: &Application,
    templates: &Templates,
    config: &Config,
    message_id: String,
    date: DateTime<Utc>,
) -> Result<Option<Mail>, NotifyError> {
    let Some(to) = app.submitted.email.clone().filter(|e| !e.trim().is_empty()) else {
        return Ok(None);
    };
    let on_file: BTreeSet<String> = store
        .documents(app.id)?
        .into_iter()
        .map(|d| d.kind)
        .collect();
    let rendered = templates.render(&context(notice, app, &on_file, config))?;
    Ok(Some(Mail {
        to,
        subject: rendered.subject,
        text: rendered.text,
        html: rendered.html,
        message_id,
        date,
    }))
}

/// Sends every notice due at `now()`, oldest first. A dry run renders them
/// and writes nothing. `now` is read per notice so Date headers and
/// backoffs are those of the moment of sending.
pub fn send_due(
    store: &mut Store,
    mailer: &mut dyn Mailer,
    templates: &Templates,
    config: &Config,
    now: &dyn Fn() -> DateTime<Utc>,
    dry_run: bool,
) -> Result<NotifyReport, NotifyError> {
    let due = store.due_notices(now())?;
    let mut report = NotifyReport {
        due: due.len() as u64,
        ..NotifyReport::default()
    };
    for notice in due {
        let about = match (notice.application, notice.alert) {
            (Some(id), _) => {
                // What the notice says must still be true when it goes out.
                let Some(app) = store.application(id)? else {
                    return Err(StoreError::NotFound(id).into());
                };
                let newer = store.notices_of(id)?.iter().any(|n| n.id > notice.id);
                if let Some(why) = crate::domain::notice::superseded(notice.kind, app.state, newer)
                {
                    if !dry_run {
                        store.notice_superseded(notice.id, &why, now())?;
                    }
                    report.superseded += 1;
                    continue;
                }
                About::Application(Box::new(app))
            }
            (None, Some(alert)) => About::Alert(store.alert(alert)?),
            (None, None) => continue,
        };
        let wanted = message_id(&notice, domain(config));
        let render = |store: &Store, id: String| -> Result<Option<Mail>, NotifyError> {
            match &about {
                About::Application(app) => {
                    prepare(store, &notice, app, templates, config, id, now())
                }
                About::Alert(alert) => Ok(super::alert::mail(alert, config, id, now())),
            }
        };
        if dry_run {
            let id = notice.message_id.clone().unwrap_or(wanted);
            if let Some(mail) = render(store, id)? {
                report.planned.push((notice.id, mail.subject));
                report.sent += 1;
            }
            continue;
        }
        // Committed before the send: a retry after a crash reuses it.
        let id = store.fix_message_id(notice.id, &wanted)?;
        let Some(mail) = render(store, id)? else {
            let why = match about {
                About::Application(_) => "the application has no email",
                About::Alert(_) => "no admin address: set smtp.alert_to in sigap.toml",
            };
            store.notice_attempt_failed(notice.id, why, true, now())?;
            report.failed += 1;
            continue;
        };
        match mailer.send(&mail) {
            Ok(()) => {
                store.notice_sent(notice.id, now())?;
                tracing::info!(notice = notice.id, about = %about, kind = %notice.kind, "notice sent");
                report.sent += 1;
            }
            Err(e @ (MailError::Transient(_) | MailError::Permanent(_))) => {
                let permanent = matches!(e, MailError::Permanent(_));
                let state =
                    store.notice_attempt_failed(notice.id, &e.to_string(), permanent, now())?;
                // The server's text often quotes the recipient's address:
                // it goes to the notice's record, not to the log.
                tracing::warn!(notice = notice.id, about = %about, permanent, "notice refused by the mail server");
                match state {
                    NoticeState::Failed => report.failed += 1,
                    _ => report.retry += 1,
                }
            }
            Err(e) => {
                tracing::error!(notice = notice.id, "mail server unreachable");
                report.unreachable = Some(e.to_string());
                break;
            }
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use chrono::TimeZone;

    use super::*;
    use crate::config::profiles;
    use crate::domain::application::{NewApplication, Source};
    use crate::domain::service::Service;
    use crate::domain::state::State;
    use crate::store::Change;

    /// Records what it is given; answers from a script, then accepts.
    struct Scripted {
        answers: Vec<Result<(), MailError>>,
        sent: Vec<Mail>,
    }

    impl Mailer for Scripted {
        fn send(&mut self, mail: &Mail) -> Result<(), MailError> {
            let answer = if self.answers.is_empty() {
                Ok(())
            } else {
                self.answers.remove(0)
            };
            if answer.is_ok() {
                self.sent.push(mail.clone());
            }
            answer
        }
        fn describe(&self) -> String {
            "scripted".into()
        }
    }

    fn at(min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 20, 1, min, 0).unwrap()
    }

    fn setup(n: usize) -> (Store, Config) {
        let config = Config::from_toml(
            profiles::text("bantul").unwrap(),
            Path::new("/o/sigap.toml"),
        )
        .unwrap();
        let mut store = Store::open_in_memory().unwrap();
        for i in 0..n {
            let new = NewApplication {
                source: Source::Form,
                source_ref: format!("f:{i}"),
                nik: "3402151708900001".into(),
                kk_number: None,
                name: "Budi".into(),
                birth_date: None,
                service: Service::KtpBaru,
                kecamatan: Some("34.02.15".into()),
                email: Some(format!("a{i}@example.org")),
                phone: None,
                submitted_at: at(0).fixed_offset(),
            };
            store
                .write(|tx| {
                    let id = tx.insert_application(&new, "sigap:test", at(0))?;
                    tx.transition(
                        id,
                        State::Received,
                        State::Rejected,
                        &Change {
                            actor: "sigap:test",
                            ..Change::default()
                        },
                        at(0),
                    )
                })
                .unwrap();
        }
        (store, config)
    }

    #[test]
    fn each_due_notice_is_sent_once_with_its_message_id() {
        let (mut store, config) = setup(2);
        let mut m = Scripted {
            answers: vec![],
            sent: vec![],
        };
        let t = Templates::embedded();
        let r = send_due(&mut store, &mut m, &t, &config, &|| at(1), false).unwrap();
        assert_eq!((r.due, r.sent), (2, 2));
        assert_eq!(m.sent[0].message_id, "<notice-1.A-000001@bantulkab.go.id>");
        assert_eq!(m.sent[1].to, "a1@example.org");
        let r = send_due(&mut store, &mut m, &t, &config, &|| at(2), false).unwrap();
        assert_eq!((r.due, r.sent), (0, 0));
        assert_eq!(m.sent.len(), 2);
    }

    #[test]
    fn unreachable_stops_the_run_and_charges_nothing() {
        let (mut store, config) = setup(2);
        let down = || MailError::Unreachable {
            server: "smtp://x".into(),
            message: "connection refused".into(),
        };
        let mut m = Scripted {
            answers: vec![Err(down())],
            sent: vec![],
        };
        let t = Templates::embedded();
        let r = send_due(&mut store, &mut m, &t, &config, &|| at(1), false).unwrap();
        assert_eq!((r.sent, r.retry, r.failed), (0, 0, 0));
        assert!(r.line().contains("2 notice(s) stay due"), "{}", r.line());
        let due = store.due_notices(at(1)).unwrap();
        assert_eq!(due.len(), 2);
        assert!(due.iter().all(|n| n.attempts == 0));
        let r = send_due(&mut store, &mut m, &t, &config, &|| at(2), false).unwrap();
        assert_eq!(r.sent, 2);
    }

    #[test]
    fn refusals_retry_or_fail() {
        let (mut store, config) = setup(2);
        let mut m = Scripted {
            answers: vec![
                Err(MailError::Transient("451 try later".into())),
                Err(MailError::Permanent("550 no such user".into())),
            ],
            sent: vec![],
        };
        let t = Templates::embedded();
        let r = send_due(&mut store, &mut m, &t, &config, &|| at(1), false).unwrap();
        assert_eq!((r.sent, r.retry, r.failed), (0, 1, 1));
        assert_eq!(store.notices(Some(NoticeState::Failed)).unwrap().len(), 1);
        // The retry waits 5 minutes, then goes out with the same Message-ID.
        let r = send_due(&mut store, &mut m, &t, &config, &|| at(3), false).unwrap();
        assert_eq!(r.due, 0);
        let r = send_due(&mut store, &mut m, &t, &config, &|| at(6), false).unwrap();
        assert_eq!(r.sent, 1);
        assert_eq!(m.sent[0].message_id, "<notice-1.A-000001@bantulkab.go.id>");
    }

    #[test]
    fn a_notice_the_application_moved_past_is_not_sent() {
        let (mut store, config) = setup(0);
        let new = NewApplication {
            source: Source::Form,
            source_ref: "f:1".into(),
            nik: "3402151708900001".into(),
            kk_number: None,
            name: "Budi".into(),
            birth_date: None,
            service: Service::KtpBaru,
            kecamatan: Some("34.02.15".into()),
            email: Some("budi@example.org".into()),
            phone: None,
            submitted_at: at(0).fixed_offset(),
        };
        let change = Change {
            actor: "sigap:test",
            ..Change::default()
        };
        store
            .write(|tx| {
                let id = tx.insert_application(&new, "sigap:test", at(0))?;
                // Incomplete, documents came, incomplete again: two notices,
                // only the newer is true; then it is resubmitted once more.
                tx.transition(id, State::Received, State::Incomplete, &change, at(0))?;
                tx.transition(id, State::Incomplete, State::Received, &change, at(1))?;
                tx.transition(id, State::Received, State::Incomplete, &change, at(2))
            })
            .unwrap();
        let mut m = Scripted {
            answers: vec![],
            sent: vec![],
        };
        let t = Templates::embedded();
        let r = send_due(&mut store, &mut m, &t, &config, &|| at(3), false).unwrap();
        assert_eq!((r.sent, r.superseded), (1, 1));
        assert_eq!(m.sent[0].message_id, "<notice-2.A-000001@bantulkab.go.id>");
        let first = store.notice(1).unwrap().unwrap();
        assert_eq!(first.state, NoticeState::Superseded);
        assert_eq!(first.last_error, "a newer notice replaces it");
    }

    #[test]
    fn a_dry_run_writes_nothing() {
        let (mut store, config) = setup(1);
        let mut m = Scripted {
            answers: vec![],
            sent: vec![],
        };
        let r = send_due(
            &mut store,
            &mut m,
            &Templates::embedded(),
            &config,
            &|| at(1),
            true,
        )
        .unwrap();
        assert_eq!(r.sent, 1);
        assert_eq!(r.planned[0].0, 1);
        assert!(
            r.planned[0].1.contains("A-000001: ditolak"),
            "{:?}",
            r.planned
        );
        assert!(m.sent.is_empty());
        let n = store.due_notices(at(1)).unwrap();
        assert_eq!(n[0].message_id, None);
    }

    #[test]
    fn an_alert_goes_to_the_admin_address_or_fails_without_one() {
        let (mut store, mut config) = setup(0);
        let mut m = Scripted {
            answers: vec![],
            sent: vec![],
        };
        let t = Templates::embedded();
        let n = store
            .raise_alert("verify", "verify failed after 3 attempt(s)", at(1))
            .unwrap();
        let r = send_due(&mut store, &mut m, &t, &config, &|| at(2), false).unwrap();
        assert_eq!(r.sent, 1);
        let mail = &m.sent[0];
        assert_eq!(mail.to, "admin-sigap@bantulkab.go.id");
        assert_eq!(
            mail.message_id,
            format!("<notice-{n}.alert-1@bantulkab.go.id>")
        );
        assert!(mail.subject.contains("`verify` gagal"), "{}", mail.subject);
        assert!(
            mail.text.contains("verify failed after 3 attempt(s)"),
            "{}",
            mail.text
        );
        assert!(
            mail.text.contains("20 November 2026 pukul 08:01 WIB"),
            "{}",
            mail.text
        );
        assert_eq!(store.notice(n).unwrap().unwrap().state, NoticeState::Sent);

        config.smtp.alert_to = None;
        let n = store.raise_alert("ingest", "x", at(3)).unwrap();
        let r = send_due(&mut store, &mut m, &t, &config, &|| at(4), false).unwrap();
        assert_eq!((r.sent, r.failed), (0, 1));
        let failed = store.notice(n).unwrap().unwrap();
        assert_eq!(failed.state, NoticeState::Failed);
        assert!(
            failed.last_error.contains("smtp.alert_to"),
            "{}",
            failed.last_error
        );
    }
}
