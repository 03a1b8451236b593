//! A real SMTP server for the tests: aiosmtpd on a free loopback port,
//! storing every message it accepts in a Maildir, stopped when dropped.
//!
//! `./scripts/test` installs aiosmtpd when it is missing and names the
//! Python that has it in `SIGAP_TEST_SMTP_PYTHON`; without that, `python3`
//! must have it. The tests are never skipped.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// A running aiosmtpd.
pub struct Smtp {
    child: Child,
    port: u16,
    maildir: PathBuf,
    log: PathBuf,
}

/// A loopback port nothing listens on (right now).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn python() -> String {
    std::env::var("SIGAP_TEST_SMTP_PYTHON").unwrap_or_else(|_| "python3".into())
}

impl Smtp {
    /// Starts aiosmtpd's Mailbox handler on `port`, writing to `dir/maildir`.
    pub fn start(dir: &Path, port: u16) -> Smtp {
        Smtp::launch(dir, port, "aiosmtpd.handlers.Mailbox", &[])
    }

    /// Starts the gated handler (tests/smtp_gate.py): from the second
    /// message on, RCPT waits while `gate` exists.
    pub fn start_gated(dir: &Path, port: u16, gate: &Path) -> Smtp {
        Smtp::launch(dir, port, "smtp_gate.GatedMailbox", &[gate.as_os_str()])
    }

    /// Starts a server that refuses mail to `address` for good (550).
    pub fn start_refusing(dir: &Path, port: u16, address: &str) -> Smtp {
        let gate = dir.join("no-gate");
        Smtp::launch(
            dir,
            port,
            "smtp_gate.GatedMailbox",
            &[gate.as_os_str(), address.as_ref()],
        )
    }

    /// Starts the Mailbox handler logging every connection and command
    /// (`-d`), for [`Smtp::connections`] and [`Smtp::commands`].
    pub fn start_watched(dir: &Path, port: u16) -> Smtp {
        let smtp = Smtp::launch_with(
            dir,
            port,
            "aiosmtpd.handlers.Mailbox",
            &[],
            &["-d".as_ref()],
        );
        smtp.logged_the_probe();
        smtp
    }

    /// Waits (boundedly) for the log line of the start's readiness probe,
    /// so [`Smtp::connections`] counts from 1.
    fn logged_the_probe(&self) {
        for _ in 0..500 {
            if self.connections() >= 1 {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        panic!("aiosmtpd -d logged no connection: {}", self.log());
    }

    /// Starts the Mailbox handler with STARTTLS required, on a self-signed
    /// certificate made with openssl (which no client trusts); it logs its
    /// connections and commands like [`Smtp::start_watched`].
    pub fn start_starttls(dir: &Path, port: u16) -> Smtp {
        let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
        let made = Command::new("openssl")
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            ])
            .args(["-subj", "/CN=127.0.0.1", "-keyout"])
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("openssl runs (./scripts/test installs it)");
        assert!(made.success(), "openssl could not make a certificate");
        let smtp = Smtp::launch_with(
            dir,
            port,
            "aiosmtpd.handlers.Mailbox",
            &[],
            &[
                "-d".as_ref(),
                "--tlscert".as_ref(),
                cert.as_os_str(),
                "--tlskey".as_ref(),
                key.as_os_str(),
            ],
        );
        smtp.logged_the_probe();
        smtp
    }

    /// Starts tests/smtp_auth.py: `mode` `starttls` (STARTTLS required)
    /// or `smtps` (implicit TLS) on `cert`/`key`, AUTH PLAIN/LOGIN for
    /// `user`/`password` only.
    pub fn start_auth(
        dir: &Path,
        port: u16,
        mode: &str,
        (cert, key): (&Path, &Path),
        (user, password): (&str, &str),
    ) -> Smtp {
        let maildir = dir.join("maildir");
        let log = dir.join(format!("aiosmtpd-{port}.log"));
        let out = std::fs::File::create(&log).unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/smtp_auth.py");
        let mut c = Command::new(python());
        c.arg(script)
            .args([mode, &port.to_string()])
            .arg(&maildir)
            .args([cert, key])
            .args([user, password])
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out);
        Smtp::ready(c, port, maildir, log)
    }

    fn launch(dir: &Path, port: u16, handler: &str, extra: &[&std::ffi::OsStr]) -> Smtp {
        Smtp::launch_with(dir, port, handler, extra, &[])
    }

    fn launch_with(
        dir: &Path,
        port: u16,
        handler: &str,
        extra: &[&std::ffi::OsStr],
        options: &[&std::ffi::OsStr],
    ) -> Smtp {
        let maildir = dir.join("maildir");
        let log = dir.join(format!("aiosmtpd-{port}.log"));
        // The daemon writes to a file, never to a pipe the test would read.
        let out = std::fs::File::create(&log).unwrap();
        let tests = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests");
        let mut c = Command::new(python());
        c.args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(options)
            .args(["-c", handler])
            .arg(&maildir)
            .args(extra)
            .env("PYTHONPATH", &tests)
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out);
        Smtp::ready(c, port, maildir, log)
    }

    /// Spawns the daemon and waits until it accepts a connection.
    fn ready(mut c: Command, port: u16, maildir: PathBuf, log: PathBuf) -> Smtp {
        let mut child = c.spawn().unwrap_or_else(|e| {
            panic!(
                "cannot start {}: {e}; run ./scripts/test, which installs aiosmtpd",
                python()
            )
        });
        // Ready when it accepts a connection; a daemon that exited shows its log.
        loop {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            if let Some(status) = child.try_wait().unwrap() {
                panic!(
                    "aiosmtpd exited ({status}): {}\nrun ./scripts/test, which installs aiosmtpd",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        Smtp {
            child,
            port,
            maildir,
            log,
        }
    }

    /// The URL for `SIGAP_SMTP_URL`.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received so far, raw.
    pub fn messages(&self) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        for sub in ["new", "cur"] {
            let Ok(rd) = std::fs::read_dir(self.maildir.join(sub)) else {
                continue;
            };
            for e in rd {
                out.push(std::fs::read(e.unwrap().path()).unwrap());
            }
        }
        out
    }

    /// How many connections a watched server has seen (its `Peer:` lines;
    /// the readiness probe of the start is one).
    pub fn connections(&self) -> usize {
        self.log().matches("Peer: ").count()
    }

    /// The commands a watched server has read, as it logs them
    /// (`>> b'EHLO …'`), verbs upper-cased.
    pub fn commands(&self) -> Vec<String> {
        self.log()
            .lines()
            .filter_map(|l| l.split_once(">> b'").map(|(_, c)| c.to_ascii_uppercase()))
            .collect()
    }

    /// The daemon's log, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Stops the daemon (also done when dropped).
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        self.stop();
    }
}
