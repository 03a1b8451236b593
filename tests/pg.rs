//! A real PostgreSQL 15 for the tests: `initdb` and `pg_ctl` on a temporary
//! directory, listening on a free loopback port, stopped when dropped.
//!
//! The server refuses to run as root, so under root (containers, CI) it
//! runs as the `postgres` user that Debian's package creates, on a
//! directory handed to that user. Missing binaries fail the test with what
//! to do: these tests are never skipped.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where Debian's postgresql-15 puts the server binaries.
const BIN: &str = "/usr/lib/postgresql/15/bin";

/// A running PostgreSQL server.
pub struct Postgres {
    dir: tempfile::TempDir,
    port: u16,
    as_postgres: bool,
}

fn bin(name: &str) -> PathBuf {
    let p = Path::new(BIN).join(name);
    assert!(
        p.is_file(),
        "{} is missing: PostgreSQL 15 is needed for these tests; run ./scripts/test, which installs postgresql-15 with apt",
        p.display()
    );
    p
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

impl Postgres {
    /// Creates a cluster and starts it; panics with the server log if it fails.
    pub fn start() -> Postgres {
        Postgres::start_with(None)
    }

    /// A server with `ssl = on`, the given certificate and key, and a
    /// pg_hba.conf that allows TCP sessions only over TLS (`hostssl`).
    pub fn start_ssl(cert: &Path, key: &Path) -> Postgres {
        Postgres::start_with(Some((cert, key)))
    }

    fn start_with(ssl: Option<(&Path, &Path)>) -> Postgres {
        let as_postgres = is_root();
        let mut builder = tempfile::Builder::new();
        builder.prefix("sigap-pg-");
        // The postgres user must reach the directory: under root, /tmp
        // rather than a $TMPDIR that may sit in root's private home.
        let dir = if as_postgres {
            builder.tempdir_in("/tmp")
        } else {
            builder.tempdir()
        }
        .unwrap();
        if as_postgres {
            let ok = Command::new("chown")
                .args(["postgres:postgres"])
                .arg(dir.path())
                .status()
                .unwrap()
                .success();
            assert!(ok, "chown of the PostgreSQL directory to postgres failed");
        }
        let pg = Postgres {
            dir,
            port: 0,
            as_postgres,
        };
        let data = pg.dir.path().join("data");
        pg.server_command("initdb")
            .arg("-D")
            .arg(&data)
            .args(["-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"])
            .output()
            .map(|o| {
                assert!(
                    o.status.success(),
                    "initdb failed: {}",
                    String::from_utf8_lossy(&o.stderr)
                )
            })
            .unwrap();
        if let Some((cert, key)) = ssl {
            std::fs::copy(cert, data.join("server.crt")).unwrap();
            std::fs::copy(key, data.join("server.key")).unwrap();
            std::fs::write(
                data.join("pg_hba.conf"),
                "local all all trust\nhostssl all all 127.0.0.1/32 trust\n",
            )
            .unwrap();
            let mut conf = std::fs::read_to_string(data.join("postgresql.conf")).unwrap();
            conf.push_str("\nssl = on\n");
            std::fs::write(data.join("postgresql.conf"), conf).unwrap();
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(
                data.join("server.key"),
                std::fs::Permissions::from_mode(0o600),
            )
            .unwrap();
            if as_postgres {
                let ok = Command::new("chown")
                    .args(["-R", "postgres:postgres"])
                    .arg(&data)
                    .status()
                    .unwrap()
                    .success();
                assert!(ok, "chown of the PostgreSQL data to postgres failed");
            }
        }
        let mut pg = pg;
        // The port is free when chosen; another process may take it before
        // the server binds, so try a few.
        for _ in 0..5 {
            pg.port = free_port();
            if pg.pg_ctl_start() {
                return pg;
            }
        }
        panic!(
            "PostgreSQL did not start; its log:\n{}",
            std::fs::read_to_string(pg.dir.path().join("server.log")).unwrap_or_default()
        );
    }

    fn pg_ctl_start(&self) -> bool {
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        self.server_command("pg_ctl")
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .args(["-w", "-l"])
            .arg(self.dir.path().join("server.log"))
            .args(["-o", &opts, "start"])
            .output()
            .unwrap()
            .status
            .success()
    }

    /// Stops the server at once, every connection cut, as a crash would
    /// (`pg_ctl stop -m immediate`).
    pub fn stop_immediately(&self) {
        let out = self
            .server_command("pg_ctl")
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .args(["-m", "immediate", "-w", "stop"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "pg_ctl stop failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Starts a stopped server again, on the same port and data.
    pub fn restart(&self) {
        assert!(
            self.pg_ctl_start(),
            "PostgreSQL did not start again; its log:\n{}",
            std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
        );
    }

    /// `psql` on the server's database, quiet, stopping at the first error,
    /// for the caller to add arguments or a session on stdin.
    pub fn psql_command(&self) -> Command {
        let mut c = Command::new(bin("psql"));
        c.args(["-v", "ON_ERROR_STOP=1", "-q", "-X", "-d", &self.url()]);
        c
    }

    /// A server binary, run as `postgres` when we are root.
    fn server_command(&self, name: &str) -> Command {
        let program = bin(name);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        }
    }

    /// The connection URL of the `postgres` database.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Runs `psql` with `args` against the server; panics on failure.
    pub fn psql(&self, args: &[&str]) {
        let out = Command::new(bin("psql"))
            .args(["-v", "ON_ERROR_STOP=1", "-q", "-d", &self.url()])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "psql {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if self.port != 0 {
            let _ = self
                .server_command("pg_ctl")
                .arg("-D")
                .arg(self.dir.path().join("data"))
                .args(["-m", "fast", "-w", "stop"])
                .output();
        }
    }
}
