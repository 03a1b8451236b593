//! IMAP intake: `sigap ingest` fetching from a real Dovecot
//! (tests/dovecot.rs) loaded with the intake test emails
//! (tests/mailgen.py): every message accounted for, a second run takes
//! nothing, a restart mid-fetch, a new UIDVALIDITY, a message in both the
//! Maildir and the account, a wrong password, an unreachable server and a
//! password that would go in clear.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;

use crate::dovecot::{Dovecot, PASSWORD, USER};
use crate::smtp::free_port;
use crate::support::{Run, copy_office, repo_root, run, sigap};

/// What tests/mailgen.py writes: 9 messages, 8 applications and a question.
const MAILS: usize = 9;
const ALL_IN: &str = "read 9, new 8, already known 0, quarantined 1";

/// A fresh Bantul office whose `[intake.imap]` is the account on `port`
/// (`tls = "none"`, allowed in clear: loopback).
fn office(tmp: &Path, port: u16) -> PathBuf {
    let dir = tmp.join("office");
    run(
        None,
        &["init", dir.to_str().unwrap(), "--profile", "bantul"],
    )
    .expect_code(0);
    let cfg = dir.join("sigap.toml");
    set_imap(&cfg, port, "tls = \"none\"\npassword_in_clear = true");
    cfg
}

/// Writes `[intake.imap]` at the end of the config (replacing an earlier one).
fn set_imap(cfg: &Path, port: u16, tls: &str) {
    let text = std::fs::read_to_string(cfg).unwrap();
    let text = match text.find("\n[intake.imap]") {
        Some(i) => text[..i].to_string(),
        None => text,
    };
    let section =
        format!("\n[intake.imap]\nhost = \"127.0.0.1\"\nport = {port}\nuser = \"{USER}\"\n{tls}\n");
    std::fs::write(cfg, text + &section).unwrap();
}

/// `sigap ingest` with `password` as the account's and no settle wait.
fn ingest(cfg: &Path, password: &str) -> Run {
    ingest_env(cfg, password, &[])
}

/// [`ingest`] with more environment.
fn ingest_env(cfg: &Path, password: &str, env: &[(&str, &Path)]) -> Run {
    let mut c = sigap();
    c.env("SIGAP_INGEST_SETTLE_MS", "0")
        .env("SIGAP_IMAP_PASSWORD", password);
    for (k, v) in env {
        c.env(k, v);
    }
    c.arg("--config").arg(cfg).arg("ingest");
    c.output().expect("sigap runs").into()
}

/// The intake test emails, written by Python's `email` package.
fn mails(into: &Path) -> PathBuf {
    let out = std::process::Command::new("python3")
        .arg(repo_root().join("tests/mailgen.py"))
        .arg(into)
        .output()
        .expect("python3 runs (scripts/test installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    into.to_path_buf()
}

fn json(run: Run) -> Value {
    serde_json::from_str(&run.expect_code(0).stdout).unwrap()
}

fn applications(cfg: &Path) -> Vec<Value> {
    json(run(Some(cfg), &["applications", "list", "--json"]))
        .as_array()
        .unwrap()
        .clone()
}

fn quarantined(cfg: &Path) -> Vec<Value> {
    json(run(Some(cfg), &["quarantine", "list", "--json"]))
        .as_array()
        .unwrap()
        .clone()
}

/// The store's place in the account's INBOX: (UIDVALIDITY, last UID).
fn mark(cfg: &Path) -> Option<(u32, u32)> {
    let db = pipeline::store::Store::open(&cfg.parent().unwrap().join("data/sigap.db")).unwrap();
    db.mailbox_state(&format!("imap://{USER}@127.0.0.1/INBOX"))
        .unwrap()
        .map(|m| (m.uidvalidity, m.last_uid))
}

#[test]
fn every_message_is_accounted_for_once_and_a_second_run_takes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let mut server = Dovecot::start(tmp.path(), free_port());
    let cfg = office(tmp.path(), server.port);
    let eml = mails(&tmp.path().join("mails"));
    assert_eq!(server.deliver_all(&eml), MAILS);

    let first = ingest(&cfg, PASSWORD).expect_code(1);
    assert!(first.stdout.contains(ALL_IN), "{}", first.stdout);
    let apps = applications(&cfg);
    assert_eq!(apps.len(), 8);
    let source = format!("imap://{USER}@127.0.0.1/INBOX;UIDVALIDITY=");
    for a in &apps {
        assert_eq!(a["source"], "mail");
        assert!(
            a["source_ref"].as_str().unwrap().starts_with(&source),
            "{a}"
        );
    }
    // The same parser as for the Maildir: the Latin-1 name, the question.
    assert!(
        apps.iter().any(|a| a["name"] == "André Prätama"),
        "{apps:?}"
    );
    let q = quarantined(&cfg);
    // The question, and the one forbidden document (the documents whose
    // names give no kind stay with their applications, unclassified).
    assert_eq!(q.len(), 2, "{q:?}");
    let question: Vec<&Value> = q
        .iter()
        .filter(|e| e["reason"] == "NOT_AN_APPLICATION")
        .collect();
    assert_eq!(question.len(), 1, "{q:?}");
    assert!(question[0]["source"].as_str().unwrap().starts_with(&source));
    for e in &q {
        assert!(e["source"].as_str().unwrap().starts_with(&source), "{e}");
    }
    let validity = server.uidvalidity();
    assert_eq!(mark(&cfg), Some((validity, MAILS as u32)));
    // Nothing deleted or moved; each message taken carries the keyword.
    assert_eq!(
        server.with_keyword("$SigapTaken"),
        (1..=9).collect::<Vec<_>>()
    );

    let second = ingest(&cfg, PASSWORD).expect_code(0);
    assert!(
        second
            .stdout
            .contains("read 0, new 0, already known 0, quarantined 0"),
        "{}",
        second.stdout
    );

    // A new message: only it is fetched.
    let one = std::fs::read(eml.join("01-multipart.eml")).unwrap();
    let text = String::from_utf8(one).unwrap();
    let fresh = text
        .replacen("Message-ID: <", "Message-ID: <again-", 1)
        .replacen("3402", "3403", 1);
    server.deliver(fresh.as_bytes());
    let third = ingest(&cfg, PASSWORD);
    assert!(
        third
            .stdout
            .contains("read 1, new 1, already known 0, quarantined 0"),
        "{}\n{}",
        third.stdout,
        third.stderr
    );
    assert_eq!(mark(&cfg), Some((validity, 10)));
}

#[test]
fn a_message_in_the_maildir_and_in_the_account_is_one_input() {
    let tmp = tempfile::tempdir().unwrap();
    let mut server = Dovecot::start(tmp.path(), free_port());
    let cfg = office(tmp.path(), server.port);
    let maildir = cfg.parent().unwrap().join("inbox/mail");
    let eml = mails(&maildir);
    // Read from the Maildir first, with the server down.
    server.stop();
    let first = ingest(&cfg, PASSWORD).expect_code(3);
    assert!(first.stdout.contains(ALL_IN), "{}", first.stdout);
    server.restart();
    assert_eq!(server.deliver_all(&eml), MAILS);
    // The Maildir is still read (nothing new there); the account's copies
    // are known by their Message-IDs.
    let second = ingest(&cfg, PASSWORD).expect_code(0);
    assert!(
        second
            .stdout
            .contains("read 9, new 0, already known 9, quarantined 0"),
        "{}",
        second.stdout
    );
    assert_eq!(applications(&cfg).len(), 8);
    assert_eq!(quarantined(&cfg).len(), 2);
}

#[test]
fn a_server_restart_mid_fetch_loses_nothing_and_duplicates_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let mut server = Dovecot::start(tmp.path(), free_port());
    let cfg = office(tmp.path(), server.port);
    server.deliver_all(&mails(&tmp.path().join("mails")));

    // The listing is done, the bodies are fetched after the settle wait:
    // the server restarts in between, and the session with it.
    let log = tmp.path().join("ingest.log");
    let ingest_in_background = |log: &Path| {
        sigap()
            .env("SIGAP_INGEST_SETTLE_MS", "3000")
            .env("SIGAP_IMAP_PASSWORD", PASSWORD)
            .arg("--config")
            .arg(&cfg)
            .arg("ingest")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(log).unwrap())
            .spawn()
            .unwrap()
    };
    let wait_for_listing = |log: &Path| {
        for _ in 0..1500 {
            if std::fs::read_to_string(log)
                .unwrap_or_default()
                .contains("message(s) above UID")
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("no listing: {}", std::fs::read_to_string(log).unwrap());
    };
    let child = ingest_in_background(&log);
    wait_for_listing(&log);
    let logins = server.logins();
    server.restart();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = std::fs::read_to_string(&log).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stdout.contains(ALL_IN), "{stdout}\n{stderr}");
    assert!(stderr.contains("connecting again"), "{stderr}");
    // The restarted server saw the second login.
    assert!(server.logins() > logins, "{}", server.log());
    assert_eq!(applications(&cfg).len(), 8);

    // Stopped for good mid-fetch: the mail part fails, nothing half read.
    let cfg2 = {
        let other = tmp.path().join("other");
        std::fs::create_dir_all(&other).unwrap();
        office(&other, server.port)
    };
    let log2 = tmp.path().join("ingest2.log");
    let child = sigap()
        .env("SIGAP_INGEST_SETTLE_MS", "3000")
        .env("SIGAP_IMAP_PASSWORD", PASSWORD)
        .arg("--config")
        .arg(&cfg2)
        .arg("ingest")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log2).unwrap())
        .spawn()
        .unwrap();
    wait_for_listing(&log2);
    server.stop();
    let out = child.wait_with_output().unwrap();
    let stderr = std::fs::read_to_string(&log2).unwrap();
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "error: the mail part of ingest failed: mailbox imap://{USER}@127.0.0.1:{}/INBOX",
            server.port
        )),
        "{stderr}"
    );
    assert!(stderr.contains("cannot connect to 127.0.0.1"), "{stderr}");
    assert_eq!(mark(&cfg2).map(|m| m.1), Some(0));
    server.restart();
    let again = ingest(&cfg2, PASSWORD).expect_code(1);
    assert!(again.stdout.contains(ALL_IN), "{}", again.stdout);
    let last = ingest(&cfg2, PASSWORD).expect_code(0);
    assert!(last.stdout.contains("read 0, "), "{}", last.stdout);
    assert_eq!(applications(&cfg2).len(), 8);
}

#[test]
fn a_new_uidvalidity_reads_the_folder_again_without_a_second_application() {
    let tmp = tempfile::tempdir().unwrap();
    let mut server = Dovecot::start(tmp.path(), free_port());
    let cfg = office(tmp.path(), server.port);
    server.deliver_all(&mails(&tmp.path().join("mails")));
    let first = ingest(&cfg, PASSWORD).expect_code(1);
    assert!(first.stdout.contains(ALL_IN), "{}", first.stdout);
    let old = server.uidvalidity();
    assert_eq!(mark(&cfg), Some((old, 9)));

    let new = server.renumber();
    assert_ne!(new, old);
    let again = ingest(&cfg, PASSWORD).expect_code(0);
    assert!(
        again
            .stdout
            .contains("read 9, new 0, already known 9, quarantined 0"),
        "{}",
        again.stdout
    );
    assert!(
        again
            .stderr
            .contains(&format!("UIDVALIDITY changed from {old} to {new}")),
        "{}",
        again.stderr
    );
    assert_eq!(mark(&cfg), Some((new, 9)));
    assert_eq!(applications(&cfg).len(), 8);
    assert_eq!(quarantined(&cfg).len(), 2);
    let last = ingest(&cfg, PASSWORD).expect_code(0);
    assert!(last.stdout.contains("read 0, "), "{}", last.stdout);
}

#[test]
fn a_wrong_password_or_no_server_fails_the_mail_part_and_forms_and_app_exports_still_come_in() {
    let tmp = tempfile::tempdir().unwrap();
    let mut server = Dovecot::start(tmp.path(), free_port());
    // The sample office: its forms, app exports and Maildir, plus the account.
    let dir = tmp.path().join("office");
    copy_office(&repo_root().join("sample-data"), &dir);
    let cfg = dir.join("sigap.toml");
    set_imap(
        &cfg,
        server.port,
        "tls = \"none\"\npassword_in_clear = true",
    );
    server.deliver_all(&mails(&tmp.path().join("mails")));
    let mailbox = format!("mailbox imap://{USER}@127.0.0.1:{}/INBOX", server.port);

    let wrong = ingest(&cfg, "not-the-password").expect_code(3);
    // The sample's inbox came in whole (its manifest's counts).
    assert!(
        wrong
            .stdout
            .contains("read 245, new 200, already known 39, quarantined 6"),
        "{}",
        wrong.stdout
    );
    assert!(
        wrong.stderr.contains(&format!(
            "error: the mail part of ingest failed: {mailbox}: the server refused the login of {USER}"
        )),
        "{}",
        wrong.stderr
    );
    assert!(
        wrong.stderr.contains("SIGAP_IMAP_PASSWORD"),
        "{}",
        wrong.stderr
    );
    assert!(
        !wrong.stderr.contains("not-the-password"),
        "{}",
        wrong.stderr
    );
    let history = run(
        Some(&cfg),
        &["jobs", "history", "--job", "ingest", "--json"],
    )
    .expect_code(0);
    let runs: Value = serde_json::from_str(&history.stdout).unwrap();
    let last = &runs.as_array().unwrap()[0];
    assert_eq!(last["outcome"], "failed", "{last}");
    assert_eq!(last["counters"]["mailboxes_failed"], 1, "{last}");
    assert!(
        last["message"]
            .as_str()
            .unwrap()
            .contains("the mail part failed"),
        "{last}"
    );

    // No server at all.
    server.stop();
    let down = ingest(&cfg, PASSWORD).expect_code(3);
    assert!(
        down.stderr.contains(&format!(
            "{mailbox}: cannot connect to 127.0.0.1:{}",
            server.port
        )),
        "{}",
        down.stderr
    );
    assert!(down.stderr.contains("intake.imap.host"), "{}", down.stderr);

    // Back, with the right password: the mail comes in, once.
    server.restart();
    let right = ingest(&cfg, PASSWORD).expect_code(1);
    assert!(right.stdout.contains(ALL_IN), "{}", right.stdout);
    assert_eq!(applications(&cfg).len(), 208);
}

#[test]
fn a_password_is_never_sent_in_clear_unless_the_config_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let mut server = Dovecot::start(tmp.path(), free_port());
    let cfg = office(tmp.path(), server.port);
    server.deliver_all(&mails(&tmp.path().join("mails")));
    set_imap(&cfg, server.port, "tls = \"none\"");

    let check = run(Some(&cfg), &["config", "check"]);
    assert_ne!(check.code, 0, "{}", check.stdout);
    let text = format!("{}{}", check.stdout, check.stderr);
    assert!(text.contains("intake.imap.tls"), "{text}");
    assert!(text.contains("password_in_clear = true"), "{text}");

    let refused = ingest(&cfg, PASSWORD).expect_code(3);
    assert!(
        refused
            .stderr
            .contains("would send SIGAP_IMAP_PASSWORD unencrypted"),
        "{}",
        refused.stderr
    );
    // Refused before connecting: the server saw no login.
    assert_eq!(server.logins(), 0, "{}", server.log());

    // No password in the environment: named, nothing sent.
    set_imap(
        &cfg,
        server.port,
        "tls = \"none\"\npassword_in_clear = true",
    );
    let mut c = sigap();
    c.env("SIGAP_INGEST_SETTLE_MS", "0")
        .arg("--config")
        .arg(&cfg)
        .arg("ingest");
    let none: Run = c.output().unwrap().into();
    assert_eq!(none.code, 3, "{}", none.stderr);
    assert!(
        none.stderr.contains("SIGAP_IMAP_PASSWORD is not set"),
        "{}",
        none.stderr
    );
    assert_eq!(server.logins(), 0);

    // STARTTLS asked of a server without TLS: refused, no login sent.
    set_imap(&cfg, server.port, "tls = \"starttls\"");
    let plain = ingest(&cfg, PASSWORD).expect_code(3);
    assert!(
        plain.stderr.contains("the server refused STARTTLS"),
        "{}",
        plain.stderr
    );
    assert_eq!(server.logins(), 0, "{}", server.log());
}

#[test]
fn imaps_and_starttls_trust_the_office_ca_and_send_nothing_to_a_server_they_cannot_trust() {
    let tmp = tempfile::tempdir().unwrap();
    let (ca, cert) = crate::dovecot::test_ca(&tmp.path().join("ca"));
    let mut server = Dovecot::start_tls(tmp.path(), free_port(), free_port(), &cert);
    let tls_port = server.tls_port.unwrap();
    let cfg = office(tmp.path(), server.port);
    server.deliver_all(&mails(&tmp.path().join("mails")));

    // The office CA is not among the system's roots: refused before the login.
    set_imap(&cfg, tls_port, "tls = \"imaps\"");
    let untrusted = ingest(&cfg, PASSWORD).expect_code(3);
    assert!(
        untrusted.stderr.contains("SIGAP_IMAP_CA_FILE"),
        "{}",
        untrusted.stderr
    );
    assert!(
        untrusted
            .stderr
            .contains(&format!("mailbox imap://{USER}@127.0.0.1:{tls_port}/INBOX")),
        "{}",
        untrusted.stderr
    );
    assert_eq!(server.logins(), 0, "{}", server.log());

    // With the office CA: imaps takes everything.
    let with_ca = [("SIGAP_IMAP_CA_FILE", ca.as_path())];
    let first = ingest_env(&cfg, PASSWORD, &with_ca).expect_code(1);
    assert!(first.stdout.contains(ALL_IN), "{}", first.stdout);
    assert_eq!(server.logins(), 1);

    // STARTTLS on the plain port, the CA from the config: the same
    // account, every message already taken.
    set_imap(
        &cfg,
        server.port,
        &format!("tls = \"starttls\"\nca_file = \"{}\"", ca.display()),
    );
    let check = run(Some(&cfg), &["config", "check"]);
    assert!(!check.stdout.contains("intake.imap"), "{}", check.stdout);
    let again = ingest(&cfg, PASSWORD).expect_code(0);
    assert!(again.stdout.contains("read 0, "), "{}", again.stdout);
    assert_eq!(server.logins(), 2);
    assert_eq!(applications(&cfg).len(), 8);
    // Dovecot saw the logins over TLS.
    assert!(server.log().contains("TLS"), "{}", server.log());
}
