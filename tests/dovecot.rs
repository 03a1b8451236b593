//! A real IMAP server for the tests: Debian's Dovecot on a free loopback
//! port, with a private config, one account (`sigap`, password
//! [`PASSWORD`]) whose INBOX is a Maildir under the test's folder, stopped
//! when dropped.
//!
//! `./scripts/test` installs `dovecot-imapd` when it is missing. Dovecot's
//! mail processes run as `nobody`: the folder is made world-readable and
//! the Maildir is given to `nobody` (the tests run as root, as for the
//! PostgreSQL server).

use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The account's password.
pub const PASSWORD: &str = "rahasia-imap";
/// The account's user name.
pub const USER: &str = "sigap";

/// A running Dovecot.
pub struct Dovecot {
    child: Option<Child>,
    dir: PathBuf,
    /// The plain / STARTTLS port.
    pub port: u16,
    /// The implicit-TLS port, when started with a certificate.
    pub tls_port: Option<u16>,
    deliveries: u32,
}

/// The certificate and key Dovecot serves, PEM files.
pub struct ServerCert {
    /// The certificate (chain).
    pub cert: PathBuf,
    /// Its private key.
    pub key: PathBuf,
}

fn nobody() -> (u32, u32) {
    let id = |flag: &str| {
        let out = Command::new("id")
            .args([flag, "nobody"])
            .output()
            .expect("id runs");
        String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
    };
    (id("-u"), id("-g"))
}

fn chown_nobody(path: &Path) {
    let (uid, gid) = nobody();
    std::os::unix::fs::chown(path, Some(uid), Some(gid)).unwrap();
}

impl Dovecot {
    /// Starts Dovecot with IMAP on `port` and no TLS.
    pub fn start(dir: &Path, port: u16) -> Dovecot {
        Dovecot::launch(dir, port, None)
    }

    /// Starts Dovecot with IMAP + STARTTLS on `port` and IMAPS on
    /// `tls_port`, serving `cert`.
    pub fn start_tls(dir: &Path, port: u16, tls_port: u16, cert: &ServerCert) -> Dovecot {
        Dovecot::launch(dir, port, Some((tls_port, cert)))
    }

    fn launch(dir: &Path, port: u16, tls: Option<(u16, &ServerCert)>) -> Dovecot {
        let dir = dir.join("dovecot");
        for sub in ["run", "state", "mail"] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
        }
        // Dovecot's processes (as nobody) walk down from the test folder.
        let mut up = Some(dir.as_path());
        while let Some(p) = up {
            if p == Path::new("/") || p == std::env::temp_dir() {
                break;
            }
            let mode = std::fs::metadata(p).unwrap().permissions().mode();
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode | 0o755)).unwrap();
            up = p.parent();
        }
        chown_nobody(&dir.join("mail"));
        let passwd = dir.join("passwd");
        std::fs::write(&passwd, format!("{USER}:{{PLAIN}}{PASSWORD}\n")).unwrap();
        std::fs::set_permissions(&passwd, std::fs::Permissions::from_mode(0o644)).unwrap();
        let d = dir.display();
        let (ssl, imaps) = match tls {
            None => ("ssl = no".to_string(), "port = 0".to_string()),
            Some((tls_port, cert)) => (
                format!(
                    "ssl = yes\nssl_cert = <{}\nssl_key = <{}",
                    cert.cert.display(),
                    cert.key.display()
                ),
                format!("address = 127.0.0.1\n    port = {tls_port}"),
            ),
        };
        let conf = format!(
            r#"protocols = imap
listen = 127.0.0.1
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
info_log_path = {d}/dovecot.log
{ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{d}/mail/%u
default_internal_user = nobody
default_internal_group = nogroup
default_login_user = nobody
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/passwd
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={d}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    {imaps}
  }}
}}
service anvil {{
  chroot =
}}
"#
        );
        std::fs::write(dir.join("dovecot.conf"), conf).unwrap();
        let mut dovecot = Dovecot {
            child: None,
            dir,
            port,
            tls_port: tls.map(|(p, _)| p),
            deliveries: 0,
        };
        dovecot.run();
        dovecot
    }

    /// Starts the server on its config and waits until it accepts.
    fn run(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("dovecot.out"))
            .unwrap();
        let child = Command::new("dovecot")
            .arg("-F")
            .arg("-c")
            .arg(self.dir.join("dovecot.conf"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            // A group of its own: stopping it stops the processes serving
            // open sessions too (they outlive a master stopped alone).
            .process_group(0)
            .spawn()
            .expect("dovecot runs (./scripts/test installs dovecot-imapd)");
        self.child = Some(child);
        for _ in 0..500 {
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("dovecot did not start: {}", self.log());
    }

    /// Stops the server and every session it serves, as a crash or a
    /// reboot does (KILL to its process group); its mail stays.
    pub fn stop(&mut self) {
        assert!(self.halt(), "dovecot did not stop: {}", self.log());
    }

    /// Stops the server; whether its port refuses afterwards.
    fn halt(&mut self) -> bool {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .arg("-KILL")
                .arg("--")
                .arg(format!("-{}", child.id()))
                .status();
            let _ = child.wait();
        }
        // Its processes are gone once the port refuses.
        for _ in 0..500 {
            if TcpStream::connect(("127.0.0.1", self.port)).is_err() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// Stops and starts the server on the same ports and mail.
    pub fn restart(&mut self) {
        self.stop();
        self.run();
    }

    /// Delivers a message into the INBOX, as a delivery agent does
    /// (`new/`, owned by the mail user).
    pub fn deliver(&mut self, bytes: &[u8]) {
        let new = self.maildir().join("new");
        let tmp = self.maildir().join("tmp");
        for d in [
            self.maildir(),
            new.clone(),
            tmp.clone(),
            self.maildir().join("cur"),
        ] {
            if !d.exists() {
                std::fs::create_dir_all(&d).unwrap();
                chown_nobody(&d);
            }
        }
        self.deliveries += 1;
        let name = format!("17646500{:02}.M{}P1.test", self.deliveries, self.deliveries);
        std::fs::write(tmp.join(&name), bytes).unwrap();
        chown_nobody(&tmp.join(&name));
        std::fs::rename(tmp.join(&name), new.join(&name)).unwrap();
    }

    /// Delivers every file of `dir`, by name.
    pub fn deliver_all(&mut self, dir: &Path) -> usize {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        for f in &files {
            self.deliver(&std::fs::read(f).unwrap());
        }
        files.len()
    }

    /// The account's INBOX Maildir.
    fn maildir(&self) -> PathBuf {
        self.dir.join("mail").join(USER)
    }

    /// The INBOX's UIDVALIDITY (Dovecot's `dovecot-uidlist` header).
    pub fn uidvalidity(&self) -> u32 {
        let list = std::fs::read_to_string(self.maildir().join("dovecot-uidlist")).unwrap();
        let header = list.lines().next().unwrap();
        header
            .split(' ')
            .find_map(|f| f.strip_prefix('V'))
            .unwrap()
            .parse()
            .unwrap()
    }

    /// Renumbers the INBOX with a new UIDVALIDITY, as a restored or
    /// rebuilt mailbox is: stopped, its UID list and indexes rewritten,
    /// started again. The messages stay.
    pub fn renumber(&mut self) -> u32 {
        self.stop();
        let old = self.uidvalidity();
        let new = old + 1000;
        let path = self.maildir().join("dovecot-uidlist");
        let list = std::fs::read_to_string(&path).unwrap();
        let (header, rest) = list.split_once('\n').unwrap();
        let header = header.replace(&format!("V{old}"), &format!("V{new}"));
        std::fs::write(&path, format!("{header}\n{rest}")).unwrap();
        for e in std::fs::read_dir(self.maildir()).unwrap() {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if name.starts_with("dovecot.index") || name.starts_with("dovecot-uidvalidity") {
                std::fs::remove_file(p).unwrap();
            }
        }
        self.run();
        new
    }

    /// How many logins the server's log records.
    pub fn logins(&self) -> usize {
        self.log().matches("Login: user=<").count()
    }

    /// The messages' UIDs with `keyword`, asked of the server with Python's
    /// imaplib (a client that is not sigap).
    pub fn with_keyword(&self, keyword: &str) -> Vec<u32> {
        let script = format!(
            "import imaplib\nm = imaplib.IMAP4('127.0.0.1', {})\nm.login('{USER}', '{PASSWORD}')\nm.select('INBOX')\nprint(m.uid('SEARCH', 'KEYWORD', '{keyword}')[1][0].decode())\nm.logout()\n",
            self.port
        );
        let out = Command::new("python3")
            .arg("-c")
            .arg(script)
            .output()
            .expect("python3 runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .map(|u| u.parse().unwrap())
            .collect()
    }

    /// The server's log.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("dovecot.log")).unwrap_or_default()
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        // No panic while a failed test unwinds.
        self.halt();
    }
}

/// A test CA and a server certificate it signed for `127.0.0.1` and
/// `localhost`, made with openssl in `dir` by the TLS tests' one maker:
/// (the CA's PEM file, the server's certificate and key).
pub fn test_ca(dir: &Path) -> (PathBuf, ServerCert) {
    let made = crate::tls::make_ca_for(dir, "dovecot-ca", "IP:127.0.0.1,DNS:localhost");
    (
        made.ca,
        ServerCert {
            cert: made.cert,
            key: made.key,
        },
    )
}
