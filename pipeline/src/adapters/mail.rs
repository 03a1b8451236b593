//! The SMTP adapter of the [`Mailer`] port: mail through lettre
//! ([`SmtpMailer`]), configured by a lettre URL
//! (`SIGAP_SMTP_URL`): `smtp://host:25` (plain), `smtp://user:pass@host:587?tls=required`
//! (STARTTLS), `smtps://user:pass@host:465` (TLS).
//!
//! A login only goes over a session that is sure to be encrypted
//! (`smtps://` or `tls=required`); anything else with a password is refused
//! before connecting ([`check_url`]) unless the URL says
//! `auth_in_clear=yes`. A refused server certificate is named from rustls'
//! finding (issuer, host name, dates), not as an unreachable server.
//!
//! `smtp://` sessions are opened here, on a socket with TCP_NODELAY, and
//! driven with lettre's connection: lettre writes the end-of-data dot as its
//! own small write, which Nagle's algorithm would hold until the server's
//! delayed ACK (~40 ms) — time in which a killed sigap still gets its
//! message accepted without recording it sent (docs/notices.md, "Exactly
//! once, as far as SMTP allows").

use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{AsyncSmtpConnection, Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::{SMTP_PORT, SUBMISSION_PORT};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::tls;
use crate::config::Config;
use crate::ports::{Mail, MailError, Mailer};

/// How long one whole send (connect, TLS, login, message, QUIT) may take.
const TIMEOUT: Duration = Duration::from_secs(60);

/// SMTP through lettre.
pub struct SmtpMailer {
    route: Route,
    runtime: tokio::runtime::Runtime,
    from: Mailbox,
    reply_to: Mailbox,
    server: String,
    /// The URL's host: the name the server's certificate must be for.
    host: String,
}

/// How a message reaches the server.
enum Route {
    /// `smtp://`: a session opened here, with TCP_NODELAY.
    Session(Session),
    /// `smtps://`: lettre's transport. Implicit TLS wraps the socket before
    /// the first byte, and `connect_with_transport` takes a stream lettre
    /// treats as plain TCP, so doing this here would mean a TLS setup of our
    /// own (tokio-rustls, roots, certificate checks) beside lettre's; this
    /// route keeps Nagle's ~40 ms on the final dot.
    Transport(AsyncSmtpTransport<Tokio1Executor>),
}

/// A plain or STARTTLS session as lettre's `from_url` reads an `smtp://`
/// URL (lettre 0.11.23, `transport/smtp/connection_url.rs`).
#[derive(Debug, Clone)]
struct Session {
    /// The URL's host, as `Url::host_str` gives it.
    host: String,
    /// The URL's port, else 25 (no `tls`) or 587 (`tls=…`).
    port: u16,
    /// `Tls::None`, `Tls::Opportunistic` or `Tls::Required`.
    tls: Tls,
    /// The URL's path without slashes, else lettre's default (the hostname).
    hello: ClientId,
    /// Percent-decoded user and password, only when a password is given.
    credentials: Option<Credentials>,
    /// `auth_in_clear=yes`: the URL allows the login on a plain session.
    auth_in_clear: bool,
}

/// The query parameters of an SMTP URL: lettre's `tls`, sigap's
/// `auth_in_clear`. lettre ignores any other, so a misspelt `tls` would
/// silently mean a plain session: refused instead.
const PARAMETERS: [&str; 2] = ["tls", "auth_in_clear"];

/// Checks an SMTP URL before any connection: lettre reads it, its query
/// has only [`PARAMETERS`], and a password goes only over a session that is
/// sure to be encrypted (`smtps://`, `tls=required`) unless
/// `auth_in_clear=yes` says otherwise. `sigap config check` and the mailer
/// both call it.
pub fn check_url(url: &str) -> Result<(), MailError> {
    let bad = |message: String| MailError::BadUrl { message };
    AsyncSmtpTransport::<Tokio1Executor>::from_url(url).map_err(|e| bad(e.to_string()))?;
    let parsed = url::Url::parse(url).map_err(|e| bad(e.to_string()))?;
    let mut tls = None;
    let mut auth_in_clear = false;
    for (key, value) in parsed.query_pairs() {
        match key.as_ref() {
            "tls" => tls = Some(value.into_owned()),
            "auth_in_clear" if value == "yes" => auth_in_clear = true,
            "auth_in_clear" => {
                return Err(bad(format!(
                    "auth_in_clear=`{value}`: the only value is `yes`; leave it out to keep the password off plain sessions"
                )));
            }
            other => {
                return Err(bad(format!(
                    "unknown parameter `{other}`; the parameters are {}",
                    PARAMETERS.join(" and ")
                )));
            }
        }
    }
    let why = match (parsed.scheme(), tls.as_deref()) {
        ("smtps", _) | (_, Some("required")) => return Ok(()),
        (_, Some("opportunistic")) => {
            "tls=opportunistic stays plain when the server does not offer STARTTLS"
        }
        _ => "no tls= in the URL: a plain session",
    };
    if parsed.password().is_none() || auth_in_clear {
        return Ok(());
    }
    let server = redact(url);
    let example = match tls.as_deref() {
        Some(_) => server.replace("tls=opportunistic", "tls=required"),
        None if server.contains('?') => format!("{server}&tls=required"),
        None => format!("{server}?tls=required"),
    };
    Err(MailError::PasswordInClear {
        server,
        why,
        example,
    })
}

/// Reads an `smtp://` URL the way lettre's `from_url` does; `None` for
/// other schemes (left to lettre, which also names what is wrong).
fn session(
    url: &str,
    roots: &[lettre::transport::smtp::client::Certificate],
) -> Result<Option<Session>, String> {
    let url = url::Url::parse(url).map_err(|e| e.to_string())?;
    if url.scheme() != "smtp" {
        return Ok(None);
    }
    let host = url.host_str().ok_or("smtp host undefined")?.to_string();
    let tls = url
        .query_pairs()
        .find(|(k, _)| k == "tls")
        .map(|(_, v)| v.to_string());
    let tls_for = |host: &str| tls_parameters(host, roots).map_err(|e| e.to_string());
    let (port, tls) = match tls.as_deref() {
        None => (url.port().unwrap_or(SMTP_PORT), Tls::None),
        Some("required") => (
            url.port().unwrap_or(SUBMISSION_PORT),
            Tls::Required(tls_for(&host)?),
        ),
        Some("opportunistic") => (
            url.port().unwrap_or(SUBMISSION_PORT),
            Tls::Opportunistic(tls_for(&host)?),
        ),
        Some(other) => return Err(format!("unknown tls parameter `{other}`")),
    };
    let hello = if url.path().len() > 1 {
        ClientId::Domain(url.path().trim_matches('/').to_owned())
    } else {
        ClientId::default()
    };
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8()
            .map(|s| s.into_owned())
            .map_err(|e| e.to_string())
    };
    let credentials = match url.password() {
        Some(password) => Some(Credentials::new(decode(url.username())?, decode(password)?)),
        None => None,
    };
    let auth_in_clear = url
        .query_pairs()
        .any(|(k, v)| k == "auth_in_clear" && v == "yes");
    Ok(Some(Session {
        host,
        port,
        tls,
        hello,
        credentials,
        auth_in_clear,
    }))
}

/// lettre's TLS parameters for `host`: its Mozilla roots plus `roots`
/// (the system's store and the office CA, from [`tls::extra_roots`]).
fn tls_parameters(
    host: &str,
    roots: &[lettre::transport::smtp::client::Certificate],
) -> Result<TlsParameters, lettre::transport::smtp::Error> {
    roots
        .iter()
        .fold(TlsParameters::builder(host.into()), |b, c| {
            b.add_root_certificate(c.clone())
        })
        .build()
}

/// The trusted roots beside lettre's own, in lettre's form.
fn lettre_roots(
    ca_file: Option<&std::path::Path>,
) -> Result<Vec<lettre::transport::smtp::client::Certificate>, MailError> {
    tls::extra_roots(ca_file)?
        .into_iter()
        // A system certificate lettre cannot take is skipped, as it skips
        // them itself; the office CA was checked by read_ca_file.
        .filter_map(|c| lettre::transport::smtp::client::Certificate::from_der(c.to_vec()).ok())
        .map(Ok)
        .collect()
}

/// Why a session failed: lettre's error, or ours around it.
#[derive(Debug)]
enum SessionError {
    /// From lettre's connection: classified like the transport's.
    Smtp(lettre::transport::smtp::Error),
    /// The TCP connection could not be opened.
    Connect(std::io::Error),
    /// The whole send took longer than [`TIMEOUT`].
    TimedOut,
    /// The session is plain and the URL does not allow a login on it (a
    /// `tls=opportunistic` server that offered no STARTTLS): the password
    /// was not sent.
    PlainLogin,
}

impl From<lettre::transport::smtp::Error> for SessionError {
    fn from(e: lettre::transport::smtp::Error) -> Self {
        SessionError::Smtp(e)
    }
}

/// A TCP connection with TCP_NODELAY: every write leaves at once, the
/// final dot included.
async fn connect_nodelay(host: &str, port: u16) -> std::io::Result<tokio::net::TcpStream> {
    let stream = tokio::net::TcpStream::connect((host, port)).await?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// One message through one session, as lettre's transport does it.
async fn send_in_session(session: &Session, message: &Message) -> Result<(), SessionError> {
    let stream = connect_nodelay(&session.host, session.port)
        .await
        .map_err(SessionError::Connect)?;
    let mut conn =
        AsyncSmtpConnection::connect_with_transport(Box::new(stream), &session.hello).await?;
    match &session.tls {
        Tls::Opportunistic(tls) if conn.can_starttls() => {
            conn.starttls(tls.clone(), &session.hello).await?
        }
        // Fails when the server does not offer STARTTLS: never send in clear.
        Tls::Required(tls) => conn.starttls(tls.clone(), &session.hello).await?,
        _ => {}
    }
    if let Some(credentials) = &session.credentials {
        // check_url refuses such a URL already; this holds the rule where
        // the password would leave.
        if !conn.is_encrypted() && !session.auth_in_clear {
            conn.abort().await;
            return Err(SessionError::PlainLogin);
        }
        conn.auth(DEFAULT_MECHANISMS, credentials).await?;
    }
    conn.send(message.envelope(), &message.formatted()).await?;
    // The server has the message: a failing QUIT must not make it look
    // unsent (lettre's transport ends the same way).
    conn.abort().await;
    Ok(())
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
        let bad = |message: String| MailError::BadUrl { message };
        // lettre reads the URL first, so a bad one gets lettre's message;
        // a password that could go in clear is refused before any socket.
        check_url(url)?;
        let ca_file = config.smtp.ca_file.as_deref().map(|p| config.resolve(p));
        let roots = lettre_roots(ca_file.as_deref())?;
        let mut transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| bad(e.to_string()))?
            .timeout(Some(TIMEOUT));
        if url.starts_with("smtps://") {
            let host = url::Url::parse(url)
                .ok()
                .and_then(|u| u.host_str().map(str::to_string))
                .unwrap_or_default();
            let params = tls_parameters(&host, &roots).map_err(|e| bad(e.to_string()))?;
            transport = transport.tls(Tls::Wrapper(params));
        }
        let transport = transport.build();
        let route = match session(url, &roots).map_err(bad)? {
            Some(session) => Route::Session(session),
            None => Route::Transport(transport),
        };
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
        let host = url::Url::parse(url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_default();
        Ok(SmtpMailer {
            route,
            runtime,
            from,
            reply_to,
            server: redact(url),
            host,
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

/// The innermost lettre error of a chain of them (lettre wraps a failed
/// TLS upgrade in a second connection error).
fn innermost(e: &lettre::transport::smtp::Error) -> &lettre::transport::smtp::Error {
    let mut e = e;
    while let Some(inner) = std::error::Error::source(e)
        .and_then(|s| s.downcast_ref::<lettre::transport::smtp::Error>())
    {
        e = inner;
    }
    e
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
        let result = match &self.route {
            Route::Session(session) => self.runtime.block_on(async {
                tokio::time::timeout(TIMEOUT, send_in_session(session, &message))
                    .await
                    .unwrap_or(Err(SessionError::TimedOut))
            }),
            Route::Transport(transport) => self
                .runtime
                .block_on(transport.send(message))
                .map(|_| ())
                .map_err(SessionError::Smtp),
        };
        let e = match result {
            Ok(()) => return Ok(()),
            // Worded as lettre words its own connection errors.
            Err(SessionError::Connect(e)) => {
                return Err(MailError::Unreachable {
                    server: self.server.clone(),
                    message: format!("Connection error: {e}"),
                });
            }
            Err(SessionError::TimedOut) => {
                return Err(MailError::Unreachable {
                    server: self.server.clone(),
                    message: format!("no answer within {} s", TIMEOUT.as_secs()),
                });
            }
            Err(SessionError::PlainLogin) => {
                return Err(MailError::Unreachable {
                    server: self.server.clone(),
                    message: "the server offered no STARTTLS, and the password is not sent over a plain session (set tls=required, or auth_in_clear=yes where a plain login is meant)".into(),
                });
            }
            Err(SessionError::Smtp(e)) => e,
        };
        if let Some(problem) = tls::certificate_problem(&e) {
            let peer = tls::Peer {
                host: &self.host,
                kind: "mail server",
                url_setting: crate::config::env::SMTP_URL,
                ca_setting: crate::config::env::SMTP_CA_FILE,
            };
            let tls::Described { problem, fix } = tls::describe(&problem, &peer);
            return Err(MailError::Certificate {
                server: self.server.clone(),
                problem,
                fix,
            });
        }
        // lettre wraps its own errors (a failed STARTTLS is a connection
        // error around a connection error): the innermost one says it once.
        let e = innermost(&e);
        match e {
            e if e.status().map(u16::from).is_some_and(server_wide) => {
                Err(MailError::Unreachable {
                    server: self.server.clone(),
                    message: e.to_string(),
                })
            }
            e if e.is_permanent() => Err(MailError::Permanent(e.to_string())),
            e if e.is_transient() => Err(MailError::Transient(e.to_string())),
            e => Err(MailError::Unreachable {
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

    /// lettre's reading of the URL, from its transport's Debug (its fields
    /// are private), next to ours in the same words.
    fn lettre_reads(url: &str) -> String {
        format!(
            "{:?}",
            AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                .unwrap()
                .build::<Tokio1Executor>()
        )
    }

    #[test]
    fn smtp_urls_are_read_as_lettre_reads_them() {
        for (url, port, tls, user_password) in [
            ("smtp://127.0.0.1:2525", 2525, "None", None),
            ("smtp://mail.example.go.id", 25, "None", None),
            (
                "smtp://u:p@mail.example.go.id?tls=required",
                587,
                "Required",
                Some(("u", "p")),
            ),
            (
                "smtp://u:p@mail.example.go.id:2587?tls=opportunistic",
                2587,
                "Opportunistic",
                Some(("u", "p")),
            ),
            (
                "smtp://us%40er:p%3Ass%20w@mail.example.go.id:25/sigap.example?tls=required",
                25,
                "Required",
                Some(("us@er", "p:ss w")),
            ),
            // A user without a password is no login, for lettre too.
            ("smtp://onlyuser@mail.example.go.id", 25, "None", None),
        ] {
            let s = session(url, &[]).unwrap().unwrap();
            assert_eq!(
                (s.port, format!("{:?}", s.tls).as_str()),
                (port, tls),
                "{url}"
            );
            assert_eq!(
                s.credentials,
                user_password.map(|(u, p)| Credentials::new(u.into(), p.into())),
                "{url}"
            );
            let ours = format!(
                "hello_name: {:?}, server: {:?}, port: {}, tls: {:?}, authentication: [Plain, Login], credentials: {:?}",
                s.hello, s.host, s.port, s.tls, s.credentials
            );
            let theirs = lettre_reads(url);
            assert!(
                theirs.contains(&ours),
                "{url}:\n ours   {ours}\n lettre {theirs}"
            );
        }
        assert!(matches!(
            session("smtp://u:p@mail.example.go.id/sigap.example", &[]).unwrap().unwrap().hello,
            ClientId::Domain(d) if d == "sigap.example"
        ));
        // smtps:// stays on lettre's transport.
        assert!(
            session("smtps://u:p@mail.example.go.id", &[])
                .unwrap()
                .is_none()
        );
        // What lettre refuses, this refuses.
        for bad in [
            "smtp://mail.example.go.id?tls=sometimes",
            "smtp:///nohost",
            "smtp://u:%ff@h",
        ] {
            assert!(session(bad, &[]).is_err(), "{bad}");
            assert!(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(bad).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_session_socket_has_tcp_nodelay() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let port = listener.local_addr().unwrap().port();
            let stream = connect_nodelay("127.0.0.1", port).await.unwrap();
            assert!(stream.nodelay().unwrap());
            // A plain connect has it off: the option is this code's doing.
            let plain = tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .unwrap();
            assert!(!plain.nodelay().unwrap());
        });
    }

    /// A small SMTP server on loopback for one session: offers AUTH (no
    /// STARTTLS), accepts everything, and returns what the client said.
    fn tiny_server() -> (u16, std::thread::JoinHandle<Vec<String>>) {
        use std::io::{BufRead, BufReader, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let handle = std::thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut w = stream;
            let mut seen = Vec::new();
            w.write_all(b"220 tiny ESMTP\r\n").unwrap();
            let mut line = String::new();
            loop {
                line.clear();
                if reader.read_line(&mut line).unwrap() == 0 {
                    break;
                }
                let said = line.trim_end().to_string();
                let verb = said.split(' ').next().unwrap_or("").to_ascii_uppercase();
                seen.push(said);
                let reply: &[u8] = match verb.as_str() {
                    "EHLO" => b"250-tiny\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n",
                    "AUTH" => b"235 2.7.0 accepted\r\n",
                    "DATA" => {
                        w.write_all(b"354 go on\r\n").unwrap();
                        let mut body = String::new();
                        while !body.ends_with("\r\n.\r\n") {
                            assert!(reader.read_line(&mut body).unwrap() > 0, "{body}");
                        }
                        seen.push(body);
                        b"250 2.0.0 queued\r\n"
                    }
                    "QUIT" => {
                        w.write_all(b"221 bye\r\n").unwrap();
                        break;
                    }
                    _ => b"250 ok\r\n",
                };
                w.write_all(reply).unwrap();
            }
            seen
        });
        (port, handle)
    }

    fn mailer_for(url: String) -> SmtpMailer {
        let mut c = Config::from_toml(
            profiles::text("bantul").unwrap(),
            Path::new("/o/sigap.toml"),
        )
        .unwrap();
        c.smtp.url = Some(url);
        SmtpMailer::from_config(&c).unwrap()
    }

    fn a_mail() -> Mail {
        Mail {
            to: "budi@example.org".into(),
            subject: "KTP-el Baru A-000001: ditolak".into(),
            text: "teks".into(),
            html: "<p>html</p>".into(),
            message_id: "<notice-1.A-000001@bantulkab.go.id>".into(),
            date: chrono::DateTime::parse_from_rfc3339("2026-11-20T01:00:00Z")
                .unwrap()
                .to_utc(),
        }
    }

    #[test]
    fn a_session_logs_in_sends_and_quits() {
        let (port, server) = tiny_server();
        // A login on a plain session only as the URL allows it.
        let mut m = mailer_for(format!(
            "smtp://us%40er:p%3Ass%20w@127.0.0.1:{port}/sigap.example?tls=opportunistic&auth_in_clear=yes"
        ));
        assert!(matches!(m.route, Route::Session(_)));
        m.send(&a_mail()).unwrap();
        let seen = server.join().unwrap();
        assert_eq!(seen[0], "EHLO sigap.example");
        // PLAIN, percent-decoded: "\0us@er\0p:ss w"; no STARTTLS offered, so
        // opportunistic stays plain.
        assert_eq!(seen[1], "AUTH PLAIN AHVzQGVyAHA6c3Mgdw==");
        assert_eq!(seen[2], "MAIL FROM:<noreply@bantulkab.go.id>");
        assert_eq!(seen[3], "RCPT TO:<budi@example.org>");
        assert_eq!(seen[4], "DATA");
        assert!(
            seen[5].contains("Message-ID: <notice-1.A-000001@bantulkab.go.id>"),
            "{}",
            seen[5]
        );
        assert_eq!(seen[6], "QUIT");
        assert_eq!(seen.len(), 7, "{seen:?}");
    }

    #[test]
    fn a_password_goes_only_where_the_session_is_sure_to_be_encrypted() {
        for ok in [
            "smtp://u:secret@mail.x:587?tls=required",
            "smtps://u:secret@mail.x",
            "smtp://u:secret@mail.x:25?auth_in_clear=yes",
            "smtp://u:secret@mail.x?tls=opportunistic&auth_in_clear=yes",
            // No password, no login: a plain session is the URL's to choose.
            "smtp://127.0.0.1:2525",
            "smtp://onlyuser@mail.x",
            "smtp://mail.x?tls=opportunistic",
        ] {
            assert!(check_url(ok).is_ok(), "{ok}: {:?}", check_url(ok));
        }
        for (url, why, example) in [
            (
                "smtp://u:secret@mail.x:25",
                "no tls=",
                "smtp://u:***@mail.x:25?tls=required",
            ),
            (
                "smtp://u:secret@mail.x:587/sigap.example?tls=opportunistic",
                "tls=opportunistic",
                "smtp://u:***@mail.x:587/sigap.example?tls=required",
            ),
        ] {
            let e = check_url(url).unwrap_err();
            assert!(matches!(e, MailError::PasswordInClear { .. }), "{e:?}");
            assert!(e.is_setting());
            let e = e.to_string();
            for want in [
                "SIGAP_SMTP_URL",
                "would send the SMTP password unencrypted",
                why,
                example,
                "smtps://",
                "auth_in_clear=yes",
                "nothing was sent",
            ] {
                assert!(e.contains(want), "{want} not in {e}");
            }
            assert!(!e.contains("secret"), "{e}");
        }
        // A misspelt parameter would mean a plain session to lettre.
        for (bad, want) in [
            ("smtp://mail.x?tsl=required", "unknown parameter `tsl`"),
            (
                "smtp://u:p@mail.x?auth_in_clear=true",
                "the only value is `yes`",
            ),
            ("smtp://mail.x?tls=sometimes", "tls"),
        ] {
            let e = check_url(bad).unwrap_err();
            assert!(matches!(e, MailError::BadUrl { .. }), "{bad}: {e:?}");
            assert!(e.to_string().contains(want), "{bad}: {e}");
        }
        // The mailer is never made from such a URL.
        let mut c = Config::from_toml(
            profiles::text("bantul").unwrap(),
            Path::new("/o/sigap.toml"),
        )
        .unwrap();
        c.smtp.url = Some("smtp://u:secret@127.0.0.1:2525".into());
        assert!(matches!(
            SmtpMailer::from_config(&c),
            Err(MailError::PasswordInClear { .. })
        ));
    }

    #[test]
    fn a_plain_session_gets_no_password_even_past_the_url_check() {
        let (port, server) = tiny_server();
        let mut m = mailer_for(format!(
            "smtp://u:p@127.0.0.1:{port}?tls=opportunistic&auth_in_clear=yes"
        ));
        // As if the URL had not allowed it: the session holds the rule too.
        match &mut m.route {
            Route::Session(s) => s.auth_in_clear = false,
            Route::Transport(_) => unreachable!("smtp:// is a session"),
        }
        let e = m.send(&a_mail()).unwrap_err().to_string();
        assert!(e.contains("offered no STARTTLS"), "{e}");
        let seen = server.join().unwrap();
        assert!(seen[0].starts_with("EHLO "), "{seen:?}");
        assert!(!seen.iter().any(|s| s.starts_with("AUTH")), "{seen:?}");
    }

    #[test]
    fn required_starttls_sends_nothing_to_a_server_without_it() {
        let (port, server) = tiny_server();
        let mut m = mailer_for(format!("smtp://u:p@127.0.0.1:{port}?tls=required"));
        let e = m.send(&a_mail()).unwrap_err();
        assert!(
            matches!(&e, MailError::Unreachable { message, .. } if message.contains("STARTTLS")),
            "{e}"
        );
        let seen = server.join().unwrap();
        assert!(seen[0].starts_with("EHLO "), "{seen:?}");
        assert!(
            !seen
                .iter()
                .any(|s| s.starts_with("AUTH") || s.starts_with("MAIL")),
            "{seen:?}"
        );
    }

    #[test]
    fn an_unreachable_server_is_named_as_before() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut m = mailer_for(format!("smtp://127.0.0.1:{port}"));
        let e = m.send(&a_mail()).unwrap_err().to_string();
        assert!(
            e.contains(&format!(
                "cannot send through smtp://127.0.0.1:{port}: Connection error: Connection refused"
            )),
            "{e}"
        );
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
