//! The IMAP adapter of the [`Mailbox`] port: the `[intake.imap]` account's
//! folder, read through async-imap on a tokio runtime of its own.
//!
//! - **What is fetched.** The store keeps the folder's UIDVALIDITY and the
//!   highest UID up to which every message is in ingest's ledger
//!   ([`Mark`], written in ingest's transaction). A run asks only for the
//!   UIDs above it (`UID FETCH n+1:*`, size and INTERNALDATE first, then
//!   each body with `BODY.PEEK[]`, which leaves `\Seen` as it was). A new
//!   UIDVALIDITY (the server renumbered the folder) reads the folder again
//!   from UID 1: the messages get new keys, and their Message-IDs make
//!   them "already known", never a second application.
//! - **Keys.** A message is keyed, and its source named, by its IMAP URL
//!   (RFC 5092): `imap://user@host/INBOX;UIDVALIDITY=v/;UID=n`. The same
//!   message fetched again has the same key, so the ledger knows it.
//! - **Nothing is deleted or moved.** Once a run is committed, the messages
//!   it took get the keyword `$SigapTaken` (best effort: a server that keeps
//!   no keywords only loses the marker), so a person in a mail client sees
//!   what sigap took.
//! - **A broken session** (the server restarted mid-fetch) is opened again
//!   once, and the fetch goes on if the folder kept its UIDVALIDITY; else the
//!   mailbox's part of the run fails, what was read stays read, and the next
//!   run goes on from the mark.
//! - **No password in clear.** `tls = "none"` logs in only when the config
//!   says `password_in_clear = true`; `imaps` and `starttls` verify the
//!   server's certificate against the system's roots and the office CA.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use async_imap::{Client, Session};
use futures_util::TryStreamExt;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use crate::config::{Config, ImapSettings, ImapTls, env};
use crate::ports::{Listed, Mailbox, MailboxError, Mark};

/// How long connecting (TCP, TLS, greeting, login, folder) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long one command (a listing, one message's body) may take.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);
/// The keyword a taken message gets.
pub const TAKEN_KEYWORD: &str = "$SigapTaken";

/// The byte stream under the IMAP client: plain TCP or TLS over it.
trait Stream: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug> Stream for T {}

type ImapSession = Session<Box<dyn Stream>>;

/// The `[intake.imap]` account as a [`Mailbox`].
pub struct Imap {
    settings: ImapSettings,
    password: Option<String>,
    ca_file: Option<PathBuf>,
    runtime: Option<tokio::runtime::Runtime>,
    session: Option<ImapSession>,
    /// Where the last committed run stopped.
    resumed: Option<Mark>,
    /// The folder's UIDVALIDITY in this run's listing.
    uidvalidity: Option<u32>,
    /// The UID below which this run's listing started (the mark, or 0).
    start: u32,
    /// This run's listing: key → UID, in UID order.
    listed: BTreeMap<String, u32>,
}

/// An error of one step, before it becomes a [`MailboxError`].
struct Failed {
    what: String,
    fix: String,
    /// The session broke (I/O, the server hung up): worth opening again.
    broken: bool,
}

impl Failed {
    fn new(what: impl Into<String>, fix: impl Into<String>) -> Failed {
        Failed {
            what: what.into(),
            fix: fix.into(),
            broken: false,
        }
    }

    fn broken(what: impl Into<String>) -> Failed {
        Failed {
            what: what.into(),
            fix: "nothing is half read: run ingest again once the server is back".into(),
            broken: true,
        }
    }
}

/// The account `[intake.imap]` names, if any, with its password and CA file
/// from `env` (a lookup such as `|k| std::env::var(k).ok()`).
pub fn open(config: &Config, env: impl Fn(&str) -> Option<String>) -> Option<Imap> {
    let settings = config.intake.imap.clone()?;
    let ca_file = env(env::IMAP_CA_FILE)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| settings.ca_file.as_deref().map(|p| config.resolve(p)));
    let password = env(env::IMAP_PASSWORD).filter(|v| !v.is_empty());
    Some(Imap::new(settings, password, ca_file))
}

impl Imap {
    /// The account with its password and the office CA's PEM file.
    /// Nothing is connected until [`Mailbox::messages`].
    pub fn new(settings: ImapSettings, password: Option<String>, ca_file: Option<PathBuf>) -> Imap {
        Imap {
            settings,
            password,
            ca_file,
            runtime: None,
            session: None,
            resumed: None,
            uidvalidity: None,
            start: 0,
            listed: BTreeMap::new(),
        }
    }

    /// `imap://user@host/folder`: the store's name for the folder's mark,
    /// and the start of every key.
    fn folder_url(&self) -> String {
        let s = &self.settings;
        format!("imap://{}@{}/{}", s.user, s.host, s.folder)
    }

    fn error(&self, f: Failed) -> MailboxError {
        MailboxError::Server {
            mailbox: self.describe(),
            what: f.what,
            fix: f.fix,
        }
    }

    /// Opens a session and selects the folder: its UIDVALIDITY and UIDNEXT.
    fn connect(&mut self) -> Result<(u32, Option<u32>), Failed> {
        self.session = None;
        let s = &self.settings;
        if let Some((key, message)) = s.problems().into_iter().next() {
            return Err(Failed::new(
                format!("intake.imap.{key} {message}"),
                "fix it in sigap.toml (`sigap config check` lists every problem)",
            ));
        }
        let password = self.password.clone().ok_or_else(|| {
            Failed::new(
                format!("{} is not set", env::IMAP_PASSWORD),
                format!(
                    "set {} to the password of {} in sigap's environment (never in sigap.toml)",
                    env::IMAP_PASSWORD,
                    s.user
                ),
            )
        })?;
        if self.runtime.is_none() {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| {
                    Failed::new(
                        format!("cannot start the IMAP client's runtime: {e}"),
                        "check the machine's limits (threads, open files)",
                    )
                })?;
            self.runtime = Some(rt);
        }
        let runtime = self.runtime.as_ref().expect("started above");
        let settings = s.clone();
        let ca_file = self.ca_file.clone();
        let (session, mailbox) = runtime.block_on(async {
            tokio::time::timeout(
                CONNECT_TIMEOUT,
                open_session(&settings, &password, ca_file.as_deref()),
            )
            .await
            .unwrap_or_else(|_| {
                Err(Failed::broken(format!(
                    "no answer within {} s while connecting to {}:{}",
                    CONNECT_TIMEOUT.as_secs(),
                    settings.host,
                    settings.port()
                )))
            })
        })?;
        self.session = Some(session);
        let uidvalidity = mailbox.uid_validity.ok_or_else(|| {
            Failed::new(
                format!("the server gave no UIDVALIDITY for folder {}", self.settings.folder),
                "use an IMAP server that keeps UIDs (RFC 3501); sigap cannot tell which messages it has fetched otherwise",
            )
        })?;
        Ok((uidvalidity, mailbox.uid_next))
    }

    /// Runs `f` on the session within [`COMMAND_TIMEOUT`].
    fn command<T>(
        &mut self,
        what: &str,
        f: impl AsyncFnOnce(&mut ImapSession) -> async_imap::error::Result<T>,
    ) -> Result<T, Failed> {
        let (Some(runtime), Some(session)) = (self.runtime.as_ref(), self.session.as_mut()) else {
            return Err(Failed::broken(format!("{what}: no session")));
        };
        let out =
            runtime.block_on(async { tokio::time::timeout(COMMAND_TIMEOUT, f(session)).await });
        match out {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => {
                let broken = matches!(
                    e,
                    async_imap::error::Error::Io(_) | async_imap::error::Error::ConnectionLost
                );
                if broken {
                    self.session = None;
                    Err(Failed::broken(format!(
                        "the connection was lost during {what} ({e})"
                    )))
                } else {
                    Err(Failed::new(
                        format!("{what} failed: {e}"),
                        "check the folder on the server; the next run tries again",
                    ))
                }
            }
            Err(_) => {
                self.session = None;
                Err(Failed::broken(format!(
                    "no answer within {} s during {what}",
                    COMMAND_TIMEOUT.as_secs()
                )))
            }
        }
    }

    /// The listing above `start`: UID, size and INTERNALDATE of each.
    fn list(&mut self, start: u32) -> Result<Vec<(u32, u32, i64)>, Failed> {
        let fetched = self.command("the listing (UID FETCH)", async |s| {
            s.uid_fetch(format!("{}:*", start + 1), "(UID RFC822.SIZE INTERNALDATE)")
                .await?
                .map_ok(|f| {
                    let at = f
                        .internal_date()
                        .and_then(|d| d.timestamp_nanos_opt())
                        .unwrap_or(0);
                    (f.uid, f.size, at)
                })
                .try_collect::<Vec<_>>()
                .await
        })?;
        let mut out: Vec<(u32, u32, i64)> = fetched
            .into_iter()
            .filter_map(|(uid, size, at)| Some((uid?, size.unwrap_or(0), at)))
            // `n:*` answers the last message even when its UID is below n.
            .filter(|(uid, ..)| *uid > start)
            .collect();
        out.sort_unstable();
        out.dedup_by_key(|m| m.0);
        Ok(out)
    }

    /// One message's bytes, `None` when the folder no longer has it.
    fn body(&mut self, uid: u32) -> Result<Option<Vec<u8>>, Failed> {
        let what = format!("the fetch of UID {uid}");
        let fetched = self.command(&what, async |s| {
            s.uid_fetch(uid.to_string(), "(UID BODY.PEEK[])")
                .await?
                .try_collect::<Vec<_>>()
                .await
        })?;
        Ok(fetched
            .iter()
            .find(|f| f.uid == Some(uid))
            .and_then(|f| f.body())
            .map(<[u8]>::to_vec))
    }
}

/// TCP, then TLS as the settings say, the greeting, the login and the
/// folder.
async fn open_session(
    s: &ImapSettings,
    password: &str,
    ca_file: Option<&Path>,
) -> Result<(ImapSession, async_imap::types::Mailbox), Failed> {
    let port = s.port();
    let tcp = TcpStream::connect((s.host.as_str(), port))
        .await
        .map_err(|e| {
            Failed::new(
                format!("cannot connect to {}:{port} ({e})", s.host),
                "check that the server is up and intake.imap.host and port in sigap.toml are right",
            )
        })?;
    // Commands are small writes answered one at a time.
    tcp.set_nodelay(true).ok();
    let stream: Box<dyn Stream> = match s.tls {
        ImapTls::Imaps => tls::wrap(Box::new(tcp), &s.host, ca_file).await?,
        ImapTls::None | ImapTls::Starttls => Box::new(tcp),
    };
    let mut client = Client::new(stream);
    let greeting = client
        .read_response()
        .await
        .map_err(|e| Failed::broken(format!("no IMAP greeting from {}:{port} ({e})", s.host)))?;
    if greeting.is_none() {
        return Err(Failed::new(
            format!("{}:{port} closed the connection before greeting", s.host),
            match s.tls {
                ImapTls::Imaps => "check the port: imaps is usually 993",
                _ => "check the port: IMAP is usually 143 (993 needs tls = \"imaps\")",
            },
        ));
    }
    if s.tls == ImapTls::Starttls {
        client
            .run_command_and_check_ok("STARTTLS", None)
            .await
            .map_err(|e| {
                Failed::new(
                    format!("the server refused STARTTLS ({})", server_words(&e)),
                    "use tls = \"imaps\" (port 993) if the server offers it; the password is not sent without encryption",
                )
            })?;
        // Whatever the server sent before the TLS handshake is dropped with
        // the old client: nothing plain is read as if it were encrypted.
        let plain = client.into_inner();
        client = Client::new(tls::wrap(plain, &s.host, ca_file).await?);
    }
    let mut session = client.login(&s.user, password).await.map_err(|(e, _)| {
        Failed::new(
            format!(
                "the server refused the login of {} ({})",
                s.user,
                server_words(&e)
            ),
            format!(
                "check intake.imap.user in sigap.toml and {} in sigap's environment",
                env::IMAP_PASSWORD
            ),
        )
    })?;
    let mailbox = session.select(&s.folder).await.map_err(|e| {
        Failed::new(
            format!("cannot open folder {} ({})", s.folder, server_words(&e)),
            "check intake.imap.folder in sigap.toml (INBOX, or the folder's full name on the server)",
        )
    })?;
    Ok((session, mailbox))
}

/// The server's own words in a refusal: async-imap writes a NO as
/// `code: …, info: Some("[AUTHENTICATIONFAILED] Authentication failed.")`.
fn server_words(e: &async_imap::error::Error) -> String {
    use async_imap::error::Error;
    match e {
        Error::No(text) | Error::Bad(text) => text
            .split_once("info: Some(\"")
            .and_then(|(_, rest)| rest.strip_suffix("\")"))
            .unwrap_or(text)
            .to_string(),
        other => other.to_string(),
    }
}

/// TLS over a connection, through the one TLS setup
/// ([`crate::adapters::tls`]): the Mozilla roots, the system's store and the
/// office CA; a refused certificate is named with what to set.
mod tls {
    use std::sync::Arc;

    use super::*;
    use crate::adapters::tls as setup;

    /// Wraps `stream` in TLS for `host`, the server's certificate checked.
    pub(super) async fn wrap(
        stream: Box<dyn Stream>,
        host: &str,
        ca_file: Option<&Path>,
    ) -> Result<Box<dyn Stream>, Failed> {
        let config = setup::client_config(ca_file).map_err(|e| {
            Failed::new(
                e.to_string(),
                format!("fix {} or intake.imap.ca_file", env::IMAP_CA_FILE),
            )
        })?;
        let name = rustls::pki_types::ServerName::try_from(host.to_string()).map_err(|e| {
            Failed::new(
                format!("`{host}` is not a host name TLS can check ({e})"),
                "write the server's host name in intake.imap.host",
            )
        })?;
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        match connector.connect(name, stream).await {
            Ok(tls) => Ok(Box::new(tls)),
            Err(e) => Err(match setup::certificate_problem(&e) {
                Some(c) => {
                    let described = setup::describe(
                        &c,
                        &setup::Peer {
                            host,
                            kind: "IMAP server",
                            url_setting: "intake.imap.host",
                            ca_setting: env::IMAP_CA_FILE,
                        },
                    );
                    Failed::new(
                        format!(
                            "the server's certificate {}; nothing was sent",
                            described.problem
                        ),
                        described.fix,
                    )
                }
                None => Failed::new(
                    format!("the TLS handshake with {host} failed ({e})"),
                    "check that the port speaks TLS (imaps is usually 993; 143 needs tls = \"starttls\")",
                ),
            }),
        }
    }
}

impl Mailbox for Imap {
    fn messages(&mut self) -> Result<Vec<Listed>, MailboxError> {
        self.listed.clear();
        self.uidvalidity = None;
        let (uidvalidity, uid_next) = self.connect().map_err(|f| self.error(f))?;
        let start = match self.resumed {
            Some(m) if m.uidvalidity == uidvalidity => m.last_uid,
            Some(m) => {
                tracing::warn!(
                    "{}: UIDVALIDITY changed from {} to {uidvalidity}: the folder is read again; messages read before are already known by their Message-ID",
                    self.describe(),
                    m.uidvalidity
                );
                0
            }
            None => 0,
        };
        self.uidvalidity = Some(uidvalidity);
        self.start = start;
        // UIDNEXT says whether anything is above the mark, without a fetch.
        let found = if uid_next.is_some_and(|next| next <= start + 1) {
            Vec::new()
        } else {
            self.list(start).map_err(|f| self.error(f))?
        };
        let base = self.folder_url();
        let mut out = Vec::with_capacity(found.len());
        for (uid, size, at) in found {
            let key = format!("{base};UIDVALIDITY={uidvalidity}/;UID={uid}");
            self.listed.insert(key.clone(), uid);
            out.push(Listed {
                source: key.clone(),
                key,
                size: u64::from(size),
                modified_ns: at,
            });
        }
        tracing::info!(
            "{}: {} message(s) above UID {start}",
            self.describe(),
            out.len()
        );
        Ok(out)
    }

    fn unchanged(&mut self, _message: &Listed) -> Result<bool, MailboxError> {
        // A message on an IMAP server is whole once it is listed.
        Ok(true)
    }

    fn read(&mut self, message: &Listed) -> Result<Vec<u8>, MailboxError> {
        let Some(&uid) = self.listed.get(&message.key) else {
            return Err(self.error(Failed::new(
                format!("{} was not in this run's listing", message.key),
                "run ingest again",
            )));
        };
        let body = match self.body(uid) {
            Err(f) if f.broken => {
                // Once more on a new session, if the folder kept its UIDs.
                tracing::warn!("{}: {}; connecting again", self.describe(), f.what);
                let (uidvalidity, _) = self.connect().map_err(|f| self.error(f))?;
                if Some(uidvalidity) != self.uidvalidity {
                    return Err(self.error(Failed::new(
                        format!(
                            "the folder's UIDVALIDITY changed during the run ({} to {uidvalidity})",
                            self.uidvalidity.unwrap_or_default()
                        ),
                        "run ingest again: it reads the renumbered folder from the start",
                    )));
                }
                self.body(uid)
            }
            other => other,
        };
        match body.map_err(|f| self.error(f))? {
            Some(bytes) => Ok(bytes),
            None => Err(self.error(Failed::new(
                format!("UID {uid} is no longer in folder {}", self.settings.folder),
                "someone moved or deleted it on the server after the listing; the next run lists the folder again",
            ))),
        }
    }

    fn taken(&mut self, messages: &[Listed]) -> Result<(), MailboxError> {
        let uids: Vec<u32> = messages
            .iter()
            .filter_map(|m| self.listed.get(&m.key).copied())
            .collect();
        for chunk in uids.chunks(500) {
            let set = chunk
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(",");
            let query = format!("+FLAGS.SILENT ({TAKEN_KEYWORD})");
            self.command("marking the messages taken (UID STORE)", async |s| {
                s.uid_store(&set, &query)
                    .await?
                    .try_collect::<Vec<_>>()
                    .await
            })
            .map_err(|f| self.error(f))?;
        }
        Ok(())
    }

    fn describe(&self) -> String {
        let s = &self.settings;
        format!("imap://{}@{}:{}/{}", s.user, s.host, s.port(), s.folder)
    }

    fn mark_name(&self) -> Option<String> {
        Some(self.folder_url())
    }

    fn resume(&mut self, mark: Option<Mark>) {
        self.resumed = mark;
    }

    fn mark(&self, held: &[Listed]) -> Option<Mark> {
        let uidvalidity = self.uidvalidity?;
        let held: BTreeSet<&str> = held.iter().map(|m| m.key.as_str()).collect();
        let mut by_uid: Vec<(u32, &str)> = self
            .listed
            .iter()
            .map(|(k, &uid)| (uid, k.as_str()))
            .collect();
        by_uid.sort_unstable();
        // Up to the first message not held: the next run starts there.
        let last_uid = by_uid
            .iter()
            .take_while(|(_, key)| held.contains(key))
            .last()
            .map_or(self.start, |(uid, _)| *uid);
        Some(Mark {
            uidvalidity,
            last_uid,
        })
    }
}

impl Drop for Imap {
    fn drop(&mut self) {
        // A polite LOGOUT; a server that is gone is no matter.
        if let (Some(runtime), Some(mut session)) = (self.runtime.as_ref(), self.session.take()) {
            runtime.block_on(async {
                tokio::time::timeout(Duration::from_secs(5), session.logout())
                    .await
                    .ok();
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(tls: ImapTls, port: u16) -> ImapSettings {
        ImapSettings {
            host: "127.0.0.1".into(),
            port: Some(port),
            tls,
            user: "sigap".into(),
            folder: "INBOX".into(),
            password_in_clear: false,
            ca_file: None,
        }
    }

    fn listed(key: &str) -> Listed {
        Listed {
            key: key.into(),
            source: key.into(),
            size: 1,
            modified_ns: 1,
        }
    }

    #[test]
    fn a_refusal_is_named_in_the_server_s_words() {
        use async_imap::error::Error;
        let no = Error::No(
            "code: None, info: Some(\"[AUTHENTICATIONFAILED] Authentication failed.\")".into(),
        );
        assert_eq!(
            server_words(&no),
            "[AUTHENTICATIONFAILED] Authentication failed."
        );
        assert_eq!(server_words(&Error::Bad("outcome: x".into())), "outcome: x");
        assert_eq!(server_words(&Error::ConnectionLost), "connection lost");
    }

    #[test]
    fn the_mark_stops_before_the_first_message_not_taken() {
        let mut imap = Imap::new(settings(ImapTls::Imaps, 993), None, None);
        // Nothing listed (the listing failed): no mark to store.
        assert_eq!(imap.mark(&[]), None);
        imap.uidvalidity = Some(42);
        imap.start = 10;
        for uid in [11, 12, 14, 15] {
            imap.listed.insert(format!("k{uid}"), uid);
        }
        let mark = |held: &[&str]| {
            let held: Vec<Listed> = held.iter().map(|k| listed(k)).collect();
            imap.mark(&held).map(|m| (m.uidvalidity, m.last_uid))
        };
        assert_eq!(mark(&[]), Some((42, 10)));
        assert_eq!(mark(&["k11", "k12"]), Some((42, 12)));
        // UID 12 not taken (its read failed): the next run starts at 11.
        assert_eq!(mark(&["k11", "k14", "k15"]), Some((42, 11)));
        assert_eq!(mark(&["k15", "k14", "k12", "k11"]), Some((42, 15)));
    }

    #[test]
    fn the_account_comes_from_the_config_with_its_secrets_from_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let mut text = crate::config::profiles::text("bantul").unwrap().to_string();
        let path = dir.path().join("sigap.toml");
        let config = Config::from_toml(&text, &path).unwrap();
        assert!(open(&config, |_| None).is_none());
        text.push_str("\n[intake.imap]\nhost = \"mail.kantor\"\nuser = \"permohonan\"\nca_file = \"ca.pem\"\n");
        let config = Config::from_toml(&text, &path).unwrap();
        let imap = open(&config, |_| None).unwrap();
        assert_eq!(imap.describe(), "imap://permohonan@mail.kantor:993/INBOX");
        assert_eq!(
            imap.mark_name().unwrap(),
            "imap://permohonan@mail.kantor/INBOX"
        );
        assert_eq!(imap.ca_file, Some(dir.path().join("ca.pem")));
        assert_eq!(imap.password, None);
        let env = |k: &str| match k {
            env::IMAP_PASSWORD => Some("s3cret".to_string()),
            env::IMAP_CA_FILE => Some("/etc/sigap/ca.pem".to_string()),
            _ => None,
        };
        let imap = open(&config, env).unwrap();
        assert_eq!(imap.password.as_deref(), Some("s3cret"));
        assert_eq!(imap.ca_file, Some(PathBuf::from("/etc/sigap/ca.pem")));
        assert!(!imap.describe().contains("s3cret"));
    }

    #[test]
    fn a_password_over_a_plain_connection_is_refused_before_connecting() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut imap = Imap::new(settings(ImapTls::None, port), Some("pw".into()), None);
        let err = imap.messages().unwrap_err().to_string();
        assert!(
            err.starts_with(&format!("mailbox imap://sigap@127.0.0.1:{port}/INBOX: intake.imap.tls \"none\" would send SIGAP_IMAP_PASSWORD unencrypted")),
            "{err}"
        );
        assert!(err.contains("password_in_clear = true"), "{err}");
        // Nobody knocked.
        assert_eq!(
            listener.accept().unwrap_err().kind(),
            std::io::ErrorKind::WouldBlock
        );
        // Without a password nothing is tried either, and the message says what to set.
        let mut imap = Imap::new(settings(ImapTls::Imaps, port), None, None);
        let err = imap.messages().unwrap_err().to_string();
        assert!(
            err.contains("SIGAP_IMAP_PASSWORD is not set; set SIGAP_IMAP_PASSWORD"),
            "{err}"
        );
        assert_eq!(
            listener.accept().unwrap_err().kind(),
            std::io::ErrorKind::WouldBlock
        );
    }
}
