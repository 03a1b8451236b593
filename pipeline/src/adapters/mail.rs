//! Outgoing mail behind one trait, [`Mailer`], with one real adapter: SMTP
//! through lettre ([`SmtpMailer`]), configured by a lettre URL
//! (`SIGAP_SMTP_URL`): `smtp://host:25` (plain), `smtp://user:pass@host:587?tls=required`
//! (STARTTLS), `smtps://user:pass@host:465` (TLS).

use chrono::{DateTime, Utc};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::{Config, env};

/// One message, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// Recipient address.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// HTML alternative.
    pub html: String,
    /// The Message-ID, with its angle brackets.
    pub message_id: String,
    /// The Date header.
    pub date: DateTime<Utc>,
}

/// Why a send failed, in the three ways that need different handling.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The server refused this message for now (4xx): try again later.
    #[error("the mail server refused the message for now: {0}")]
    Transient(String),
    /// The server refused this message for good (5xx) or it cannot be built
    /// (a malformed address): retrying will not help.
    #[error("the mail server refused the message: {0}")]
    Permanent(String),
    /// The server could not be reached or the session broke (connection,
    /// TLS, login, timeout): nothing is the message's fault.
    #[error(
        "cannot send through {server}: {message}; check that the server is up and {} is right",
        env::SMTP_URL
    )]
    Unreachable {
        /// The server, without password.
        server: String,
        /// What went wrong.
        message: String,
    },
    /// No server is configured.
    #[error(
        "no mail server configured; set {} (e.g. smtp://mail.example.go.id:587?tls=required)",
        env::SMTP_URL
    )]
    NoUrl,
    /// The URL cannot be read.
    #[error(
        "{} is not a mail server URL lettre understands ({message}); use smtp://[user:pass@]host[:port][?tls=required] or smtps://…",
        env::SMTP_URL
    )]
    BadUrl {
        /// lettre's message.
        message: String,
    },
    /// The sender configured in `[smtp]` is not an address.
    #[error("smtp.{key} `{value}` is not an email address; fix it in sigap.toml")]
    BadSender {
        /// `from_address` or `reply_to`.
        key: &'static str,
        /// The value.
        value: String,
    },
    /// The async runtime could not start.
    #[error("cannot start the runtime for the SMTP client")]
    Runtime(#[source] std::io::Error),
}

/// Sends mail: one message at a time, accepted by the server or not.
pub trait Mailer {
    /// Sends one message. `Ok` means the server accepted it.
    fn send(&mut self, mail: &Mail) -> Result<(), MailError>;

    /// Which server this is, for messages (never a password).
    fn describe(&self) -> String;
}

/// SMTP through lettre.
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    runtime: tokio::runtime::Runtime,
    from: Mailbox,
    reply_to: Mailbox,
    server: String,
}

/// A URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, tail) = rest.split_at(rest.find(['/', '?']).unwrap_or(rest.len()));
            match authority.rsplit_once('@') {
                Some((user, host)) => {
                    let user = user.split(':').next().unwrap_or("");
                    format!("{scheme}://{user}:***@{host}{tail}")
                }
                None => url.to_string(),
            }
        }
        None => url.to_string(),
    }
}

impl SmtpMailer {
    /// The mailer the config names (`smtp.url`, or `SIGAP_SMTP_URL` over it),
    /// sending as `smtp.from_name <smtp.from_address>`. No connection is
    /// made yet.
    pub fn from_config(config: &Config) -> Result<SmtpMailer, MailError> {
        let url = config.smtp.url.as_deref().ok_or(MailError::NoUrl)?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| MailError::BadUrl {
                message: e.to_string(),
            })?
            .timeout(Some(std::time::Duration::from_secs(60)))
            .build();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(MailError::Runtime)?;
        let address = |key: &'static str, value: &str| {
            value.parse().map_err(|_| MailError::BadSender {
                key,
                value: value.to_string(),
            })
        };
        let from = Mailbox::new(
            Some(config.smtp.from_name.clone()),
            address("from_address", &config.smtp.from_address)?,
        );
        let reply = config
            .smtp
            .reply_to
            .clone()
            .unwrap_or_else(|| config.office.email.clone());
        let reply_to = Mailbox::new(
            Some(config.office.short_name.clone()),
            address("reply_to", &reply)?,
        );
        Ok(SmtpMailer {
            transport,
            runtime,
            from,
            reply_to,
            server: redact(url),
        })
    }

    /// The message as it goes on the wire: headers and a
    /// multipart/alternative body (text first, HTML preferred by readers).
    pub fn build(&self, mail: &Mail) -> Result<Message, MailError> {
        let to: Mailbox = mail
            .to
            .trim()
            .parse()
            .map_err(|e| MailError::Permanent(format!("recipient is not an address: {e}")))?;
        Message::builder()
            .from(self.from.clone())
            .reply_to(self.reply_to.clone())
            .to(to)
            .subject(mail.subject.clone())
            .date(mail.date.into())
            .message_id(Some(mail.message_id.clone()))
            .multipart(MultiPart::alternative_plain_html(
                mail.text.clone(),
                mail.html.clone(),
            ))
            .map_err(|e| MailError::Permanent(e.to_string()))
    }
}

/// Replies that are about the session, not the message: the server is
/// closing (421), wants STARTTLS or a login (530), or refuses the login
/// (534, 535, 538). Every message would get them, so they stop the run
/// like an unreachable server instead of failing each notice.
fn server_wide(code: u16) -> bool {
    matches!(code, 421 | 530 | 534 | 535 | 538)
}

impl Mailer for SmtpMailer {
    fn send(&mut self, mail: &Mail) -> Result<(), MailError> {
        let message = self.build(mail)?;
        let result = self.runtime.block_on(self.transport.send(message));
        match result {
            Ok(_) => Ok(()),
            Err(e) if e.status().map(u16::from).is_some_and(server_wide) => {
                Err(MailError::Unreachable {
                    server: self.server.clone(),
                    message: e.to_string(),
                })
            }
            Err(e) if e.is_permanent() => Err(MailError::Permanent(e.to_string())),
            Err(e) if e.is_transient() => Err(MailError::Transient(e.to_string())),
            Err(e) => Err(MailError::Unreachable {
                server: self.server.clone(),
                message: format!("{e}"),
            }),
        }
    }

    fn describe(&self) -> String {
        self.server.clone()
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::profiles;

    #[test]
    fn session_replies_stop_the_run_and_message_replies_do_not() {
        assert!(server_wide(530) && server_wide(535) && server_wide(421));
        assert!(!server_wide(550) && !server_wide(451) && !server_wide(552));
    }

    #[test]
    fn passwords_are_hidden_from_messages() {
        assert_eq!(
            redact("smtp://u:secret@mail.x:587?tls=required"),
            "smtp://u:***@mail.x:587?tls=required"
        );
        assert_eq!(redact("smtp://127.0.0.1:2525"), "smtp://127.0.0.1:2525");
    }

    #[test]
    fn the_message_has_the_headers_and_both_parts() {
        let mut c = Config::from_toml(
            profiles::text("bantul").unwrap(),
            Path::new("/o/sigap.toml"),
        )
        .unwrap();
        c.smtp.url = Some("smtp://127.0.0.1:2525".into());
        let m = SmtpMailer::from_config(&c).unwrap();
        let mail = Mail {
            to: "budi@example.org".into(),
            subject: "KTP-el Baru A-000001: ditolak".into(),
            text: "teks".into(),
            html: "<p>html</p>".into(),
            message_id: "<notice-1.A-000001@bantulkab.go.id>".into(),
            date: chrono::DateTime::parse_from_rfc3339("2026-11-20T01:00:00Z")
                .unwrap()
                .to_utc(),
        };
        let raw = String::from_utf8(m.build(&mail).unwrap().formatted()).unwrap();
        for want in [
            "From: \"Disdukcapil Kabupaten Bantul\" <noreply@bantulkab.go.id>",
            "Reply-To:",
            "disdukcapil@bantulkab.go.id",
            "Message-ID: <notice-1.A-000001@bantulkab.go.id>",
            "Date: Fri, 20 Nov 2026 01:00:00 +0000",
            "multipart/alternative",
            "text/plain",
            "text/html",
        ] {
            assert!(raw.contains(want), "{want} not in\n{raw}");
        }
        let bad = Mail {
            to: "not an address".into(),
            ..mail
        };
        assert!(matches!(m.build(&bad), Err(MailError::Permanent(_))));
    }

    #[test]
    fn a_missing_or_bad_url_is_named() {
        let mut c = Config::from_toml(
            profiles::text("bantul").unwrap(),
            Path::new("/o/sigap.toml"),
        )
        .unwrap();
        c.smtp.url = None;
        assert!(matches!(SmtpMailer::from_config(&c), Err(MailError::NoUrl)));
        c.smtp.url = Some("ftp://x".into());
        let e = SmtpMailer::from_config(&c).err().unwrap().to_string();
        assert!(e.contains("SIGAP_SMTP_URL"), "{e}");
    }
}
