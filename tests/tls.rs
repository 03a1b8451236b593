//! TLS to the office's own servers, with certificates from a test CA that
//! `openssl` makes here: a real PostgreSQL 15 that takes only `hostssl`
//! sessions (docs/operations.md, "Servers with the office's own CA").

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::pg::Postgres;
use crate::support::repo_root;
use crate::verify::{cases, expected, office, outcomes, run_env};

/// The files one test CA made: its certificate, and a server certificate
/// and key it signed for `127.0.0.1` (IP SAN only).
pub struct TestCa {
    /// The CA's certificate (PEM), what an office admin would be given.
    pub ca: PathBuf,
    /// The server's certificate (PEM).
    pub cert: PathBuf,
    /// The server's private key (PEM).
    pub key: PathBuf,
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("openssl runs (./scripts/test installs it)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA named `name` in `dir`, and a server certificate it signed for
/// `127.0.0.1` only (so `localhost` is a wrong host name).
pub fn make_ca(dir: &Path, name: &str) -> TestCa {
    make_ca_for(dir, name, "IP:127.0.0.1")
}

/// [`make_ca`] with the server certificate's subjectAltName, e.g.
/// `IP:127.0.0.1,DNS:localhost`.
pub fn make_ca_for(dir: &Path, name: &str, san: &str) -> TestCa {
    let d = dir.join(name);
    std::fs::create_dir_all(&d).unwrap();
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    let mut ca = vec!["req", "-x509"];
    ca.extend(ec);
    ca.extend(["-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj"]);
    let subject = format!("/CN={name}");
    ca.push(&subject);
    ca.extend([
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    openssl(&d, &ca);
    let mut csr = vec!["req"];
    csr.extend(ec);
    csr.extend([
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]);
    openssl(&d, &csr);
    std::fs::write(
        d.join("ext.cnf"),
        format!("subjectAltName={san}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"),
    )
    .unwrap();
    openssl(
        &d,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-set_serial",
            "1",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
            "-out",
            "server.crt",
        ],
    );
    TestCa {
        ca: d.join("ca.pem"),
        cert: d.join("server.crt"),
        key: d.join("server.key"),
    }
}

#[test]
fn postgres_verify_full_with_the_office_ca_works_and_each_wrong_setting_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let good = make_ca(tmp.path(), "office-ca");
    let other = make_ca(tmp.path(), "other-ca");
    let pg = Postgres::start_ssl(&good.cert, &good.key);
    // psql's default (prefer) takes TLS, which hostssl requires.
    pg.psql(&[
        "-f",
        repo_root()
            .join("pipeline/sql/population.sql")
            .to_str()
            .unwrap(),
    ]);
    let cases = cases();
    let dir = tmp.path().join("office");
    let config = office(&dir, &cases);
    pg.psql(&[
        "-c",
        &format!(
            "\\copy penduduk FROM '{}' CSV HEADER",
            dir.join("population.csv").display()
        ),
    ]);
    let before = outcomes(&config);
    let port = pg
        .url()
        .rsplit(':')
        .next()
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let ca = good.ca.display().to_string();
    let url =
        |host: &str, query: &str| format!("postgres://postgres@{host}:{port}/postgres?{query}");
    let verify = |url: &str, code: i32| {
        run_env(&config, &["verify"], &[("SIGAP_POPULATION_URL", url)]).expect_code(code)
    };

    // Each refusal names the cause and what to set, and changes nothing.
    for (url, said) in [
        (
            url("127.0.0.1", "sslmode=disable"),
            vec![
                "refuses a plain session",
                "sslmode=verify-full&sslrootcert=",
            ],
        ),
        (
            url(
                "127.0.0.1",
                &format!("sslmode=verify-full&sslrootcert={}", other.ca.display()),
            ),
            vec![
                "the server's certificate is not signed by a CA sigap trusts",
                "sslrootcert=",
            ],
        ),
        (
            // The certificate is for 127.0.0.1; the URL names localhost
            // (and connects to 127.0.0.1).
            url(
                "localhost",
                &format!("hostaddr=127.0.0.1&sslmode=verify-full&sslrootcert={ca}"),
            ),
            vec![
                "is for 127.0.0.1, not for the host name `localhost`",
                "SIGAP_POPULATION_URL",
            ],
        ),
    ] {
        let out = verify(&url, 3);
        for want in said {
            assert!(out.stderr.contains(want), "{want} not in\n{}", out.stderr);
        }
        assert_eq!(outcomes(&config), before, "{url}");
    }

    // A password with prefer (the default) could go in clear: a config
    // error, named by `config check` too.
    let with_password = format!("postgres://postgres:rahasia@127.0.0.1:{port}/postgres");
    let out = verify(&with_password, 2);
    assert!(
        out.stderr
            .contains("sslmode=verify-full&sslrootcert=/path/ca.pem"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("rahasia"), "{}", out.stderr);
    let check = run_env(
        &config,
        &["config", "check"],
        &[("SIGAP_POPULATION_URL", &with_password)],
    )
    .expect_code(2);
    assert!(check.stdout.contains("population.url"), "{}", check.stdout);
    assert_eq!(outcomes(&config), before);

    // verify-full with the office CA: the run decides every case.
    let out = verify(
        &url(
            "127.0.0.1",
            &format!("sslmode=verify-full&sslrootcert={ca}"),
        ),
        1,
    );
    assert!(
        out.stdout.contains("decided against PostgreSQL"),
        "{}",
        out.stdout
    );
    assert_eq!(outcomes(&config), expected(&cases));
}

/// `sigap notify` with the SMTP URL and, if given, the office CA file.
fn notify(cfg: &Path, url: &str, ca: Option<&Path>) -> crate::support::Run {
    let mut c = crate::support::sigap();
    c.env("SIGAP_SMTP_URL", url)
        .env_remove("SIGAP_SMTP_CA_FILE");
    if let Some(ca) = ca {
        c.env("SIGAP_SMTP_CA_FILE", ca);
    }
    c.arg("--config").arg(cfg).arg("notify");
    c.output().expect("sigap runs").into()
}

#[test]
fn smtp_with_the_office_ca_and_auth_sends_each_notice_once_after_a_wrong_password_or_untrusted_certificate()
 {
    for mode in ["starttls", "smtps"] {
        let tmp = tempfile::tempdir().unwrap();
        let cfg = crate::notify::verified_office(tmp.path());
        let ca = make_ca(tmp.path(), "mail-ca");
        let port = crate::smtp::free_port();
        let smtp = crate::smtp::Smtp::start_auth(
            tmp.path(),
            port,
            mode,
            (&ca.cert, &ca.key),
            ("sigap", "rahasia"),
        );
        let url = |password: &str| match mode {
            "starttls" => format!("smtp://sigap:{password}@127.0.0.1:{port}?tls=required"),
            _ => format!("smtps://sigap:{password}@127.0.0.1:{port}"),
        };
        let all_due = || {
            crate::notify::notices(&cfg)
                .iter()
                .all(|n| n["state"] == "DUE")
        };

        // A wrong password: the run fails, names the refused login, sends
        // and marks nothing.
        let out = notify(&cfg, &url("salah"), Some(&ca.ca));
        assert_eq!(out.code, 3, "{mode}: {}", out.stderr);
        assert!(out.stderr.contains("535"), "{mode}: {}", out.stderr);
        assert!(!out.stderr.contains("salah"), "{mode}: {}", out.stderr);
        assert!(smtp.messages().is_empty() && all_due(), "{mode}");

        // The right password without the office CA: the certificate is
        // named, with the setting that fixes it.
        let out = notify(&cfg, &url("rahasia"), None);
        assert_eq!(out.code, 3, "{mode}: {}", out.stderr);
        for want in [
            "the server's certificate is not signed by a CA sigap trusts",
            "set SIGAP_SMTP_CA_FILE to the office CA's PEM file",
        ] {
            assert!(
                out.stderr.contains(want),
                "{mode}: {want} not in\n{}",
                out.stderr
            );
        }
        assert!(smtp.messages().is_empty() && all_due(), "{mode}");

        // Both right: every notice arrives once; a second run sends none.
        notify(&cfg, &url("rahasia"), Some(&ca.ca)).expect_code(0);
        crate::notify::each_exactly_once(&smtp, &cfg);
        notify(&cfg, &url("rahasia"), Some(&ca.ca)).expect_code(0);
        crate::notify::each_exactly_once(&smtp, &cfg);
    }
}
