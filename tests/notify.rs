//! Notices end to end against a real SMTP server (aiosmtpd, tests/smtp.rs):
//! what arrives is read back from its Maildir and counted per notice.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Datelike, Duration, Utc, Weekday};
use mail_parser::{MessageParser, MimeHeaders};
use serde_json::Value;

use crate::smtp::{Smtp, free_port};
use crate::support::{Run, copy_office, repo_root, sigap};

fn office(tmp: &Path) -> PathBuf {
    let dir = tmp.join("office");
    copy_office(&repo_root().join("sample-data"), &dir);
    dir.join("sigap.toml")
}

fn sg(cfg: &Path, smtp: Option<&str>, args: &[&str]) -> Run {
    let mut c = sigap();
    c.env("SIGAP_INGEST_SETTLE_MS", "0");
    if let Some(url) = smtp {
        c.env("SIGAP_SMTP_URL", url);
    }
    c.arg("--config").arg(cfg).args(args);
    c.output().expect("sigap runs").into()
}

fn json(cfg: &Path, args: &[&str]) -> Vec<Value> {
    let out = sg(cfg, None, args).expect_code(0);
    serde_json::from_str(&out.stdout).unwrap()
}

fn notices(cfg: &Path) -> Vec<Value> {
    json(cfg, &["notices", "list", "--json"])
}

/// Ingest and verify the sample office: notices for the incomplete,
/// needs-perekaman and rejected applications with an email.
fn verified_office(tmp: &Path) -> PathBuf {
    let cfg = office(tmp);
    sg(&cfg, None, &["ingest"]);
    sg(&cfg, None, &["verify"]);
    let n = notices(&cfg);
    assert!(n.len() > 10, "{} notices", n.len());
    cfg
}

/// Which notice each received message is, by its Message-ID, counted.
fn per_notice(smtp: &Smtp, cfg: &Path) -> BTreeMap<i64, usize> {
    let ids: BTreeMap<String, i64> = notices(cfg)
        .iter()
        .filter_map(|n| {
            let mid = n["message_id"].as_str()?;
            Some((mid.trim_matches(['<', '>']).to_string(), n["id"].as_i64()?))
        })
        .collect();
    let mut out = BTreeMap::new();
    for raw in smtp.messages() {
        let m = MessageParser::default().parse(&raw).unwrap();
        let mid = m.message_id().expect("every message has a Message-ID");
        let id = *ids
            .get(mid)
            .unwrap_or_else(|| panic!("message {mid} is no notice's"));
        *out.entry(id).or_insert(0) += 1;
    }
    out
}

/// Every notice arrived exactly once, and nothing else.
#[track_caller]
fn each_exactly_once(smtp: &Smtp, cfg: &Path) {
    let all = notices(cfg);
    let counts = per_notice(smtp, cfg);
    assert_eq!(smtp.messages().len(), all.len(), "{}", smtp.log());
    for n in &all {
        assert_eq!(n["state"], "SENT", "{n}");
        let id = n["id"].as_i64().unwrap();
        assert_eq!(counts.get(&id), Some(&1), "notice {id}: {counts:?}");
    }
}

/// Declares every weekday of the 7 days after today (office time) a local
/// holiday, so a card printed today waits across a weekend and holidays.
fn close_next_week(cfg: &Path) {
    let config = pipeline::Config::load(cfg, |_| None).unwrap();
    let today = config.office.timezone.today();
    let mut text = std::fs::read_to_string(cfg).unwrap();
    for d in 1..=7 {
        let day = today + Duration::days(d);
        let listed = config.holidays.iter().any(|h| h.day() == Some(day));
        if !listed && !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            text.push_str(&format!(
                "\n[[holidays]]\ndate = \"{day}\"\nkind = \"lokal\"\nname = \"Libur uji\"\n"
            ));
        }
    }
    std::fs::write(cfg, text).unwrap();
}

#[test]
fn notices_arrive_once_each_with_headers_both_parts_a_masked_nik_and_the_pickup_date() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = office(tmp.path());
    close_next_week(&cfg);
    sg(&cfg, None, &["ingest"]);
    sg(&cfg, None, &["verify"]);
    sg(
        &cfg,
        None,
        &["blanko", "receive", "1000", "--ref", "BAST-1"],
    )
    .expect_code(0);
    // No mail server configured: the nightly's notify step leaves them due.
    let night = sg(&cfg, None, &["nightly"]);
    assert!(
        night.stdout.contains("no mail server configured"),
        "{}",
        night.stdout
    );
    let outgoing = cfg.parent().unwrap().join("spool/outgoing");
    let first = std::fs::read_dir(&outgoing)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("B-"))
        .min()
        .expect("a batch");
    sg(&cfg, None, &["station", "confirm", &first]).expect_code(0);
    sg(&cfg, None, &["station", "results"]).expect_code(0);
    let all = notices(&cfg);
    let ready: Vec<&Value> = all
        .iter()
        .filter(|n| n["kind"] == "READY_FOR_PICKUP")
        .collect();
    assert!(!ready.is_empty(), "{all:?}");
    assert!(all.iter().all(|n| n["state"] == "DUE"));

    let smtp = Smtp::start(tmp.path(), free_port());
    let out = sg(&cfg, Some(&smtp.url()), &["notify"]).expect_code(0);
    assert!(
        out.stdout.contains(&format!("{} sent", all.len())),
        "{}",
        out.stdout
    );
    each_exactly_once(&smtp, &cfg);

    // The first pickup day: after the weekend and the closed weekdays.
    let config = pipeline::Config::load(&cfg, |_| None).unwrap();
    let printed: DateTime<Utc> = ready[0]["created_at"].as_str().unwrap().parse().unwrap();
    let pickup =
        pipeline::domain::calendar::pickup_date(printed, config.sla.courier_lead_days, &config);
    let printed_day = printed
        .with_timezone(&config.office.timezone.offset())
        .date_naive();
    assert!(pickup > printed_day + Duration::days(7), "{pickup}");
    let pickup_text = pipeline::notice::render::tanggal(pickup);

    let apps = json(&cfg, &["applications", "list", "--json"]);
    let sent = notices(&cfg);
    let mut kinds_seen = BTreeMap::new();
    for raw in smtp.messages() {
        let m = MessageParser::default().parse(&raw).unwrap();
        let mid = m.message_id().unwrap();
        let notice = sent
            .iter()
            .find(|n| n["message_id"].as_str() == Some(&format!("<{mid}>")))
            .unwrap();
        let app = apps
            .iter()
            .find(|a| a["id"] == notice["application"])
            .unwrap();
        let nik = app["nik"].as_str().unwrap();
        let text = m.body_text(0).unwrap().into_owned();
        let html = m.body_html(0).unwrap().into_owned();
        let raw = String::from_utf8_lossy(&raw);
        // The whole NIK is nowhere, the masked one in both parts.
        assert!(!raw.contains(nik) && !text.contains(nik) && !html.contains(nik));
        let masked = pipeline::domain::nik::mask(nik);
        assert!(text.contains(&masked) && html.contains(&masked), "{text}");
        // Headers.
        let from = m.from().unwrap().first().unwrap();
        assert_eq!(from.name(), Some("Disdukcapil Kabupaten Bantul"));
        assert_eq!(from.address(), Some("noreply@bantulkab.go.id"));
        assert_eq!(
            m.reply_to().unwrap().first().unwrap().address(),
            Some("disdukcapil@bantulkab.go.id")
        );
        let to = m.to().unwrap().first().unwrap().address().unwrap();
        assert_eq!(Some(to), app["email"].as_str());
        assert!(m.date().is_some());
        let service = pipeline::Service::ALL
            .into_iter()
            .find(|s| s.code() == app["service"].as_str().unwrap())
            .unwrap();
        let subject = m.subject().unwrap();
        assert!(subject.contains(service.label()), "{subject}");
        assert!(subject.contains(app["id"].as_str().unwrap()), "{subject}");
        // Both parts, as alternatives.
        let root = m.root_part().content_type().unwrap();
        assert_eq!(
            (root.ctype(), root.subtype()),
            ("multipart", Some("alternative"))
        );
        let kind = notice["kind"].as_str().unwrap().to_string();
        match kind.as_str() {
            "READY_FOR_PICKUP" => {
                assert!(subject.contains("siap diambil"), "{subject}");
                if notice["created_at"] == ready[0]["created_at"] {
                    assert!(text.contains(&pickup_text), "{pickup_text}\n{text}");
                    assert!(html.contains(&pickup_text), "{pickup_text}\n{html}");
                }
            }
            "REJECTED" => assert!(subject.contains("ditolak")),
            "INCOMPLETE" => assert!(text.contains("belum kami terima"), "{text}"),
            "NEEDS_RECORDING" => assert!(text.contains("perekaman"), "{text}"),
            other => panic!("unexpected kind {other}"),
        }
        *kinds_seen.entry(kind).or_insert(0) += 1;
    }
    assert!(kinds_seen.len() >= 3, "{kinds_seen:?}");

    // A second run finds nothing due and sends nothing.
    let again = sg(&cfg, Some(&smtp.url()), &["notify"]).expect_code(0);
    assert!(again.stdout.contains("0 due, 0 sent"), "{}", again.stdout);
    each_exactly_once(&smtp, &cfg);
}

#[test]
fn with_the_server_down_nothing_is_lost_and_the_next_run_sends_each_once() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = verified_office(tmp.path());
    let port = free_port();
    let url = format!("smtp://127.0.0.1:{port}");
    // A dry run renders them all and sends and writes nothing.
    let dry = sg(&cfg, Some(&url), &["notify", "--dry-run"]).expect_code(0);
    let total = notices(&cfg).len();
    assert_eq!(
        dry.stdout.matches("would send notice").count(),
        total,
        "{}",
        dry.stdout
    );
    assert!(notices(&cfg).iter().all(|n| n["message_id"].is_null()));
    let down = sg(&cfg, Some(&url), &["notify"]).expect_code(3);
    assert!(
        down.stderr.contains("cannot send through smtp://127.0.0.1")
            && down.stderr.contains("stay due for the next run"),
        "{}",
        down.stderr
    );
    for n in notices(&cfg) {
        assert_eq!(
            (&n["state"], &n["attempts"]),
            (&Value::from("DUE"), &Value::from(0)),
            "{n}"
        );
    }
    let status = sg(&cfg, None, &["status", "--json"]).expect_code(0);
    let status: Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(status["notices"]["FAILED"], 0);

    let smtp = Smtp::start(tmp.path(), port);
    sg(&cfg, Some(&url), &["notify"]).expect_code(0);
    each_exactly_once(&smtp, &cfg);
    // The application shows its notice, sent.
    let first = &notices(&cfg)[0];
    let app = first["application"].as_str().unwrap();
    let show = sg(&cfg, None, &["applications", "show", app, "--json"]).expect_code(0);
    let show: Value = serde_json::from_str(&show.stdout).unwrap();
    assert_eq!(show["notices"][0]["state"], "SENT", "{show}");
}

#[test]
fn killing_notify_mid_run_and_running_it_again_sends_no_notice_twice() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = verified_office(tmp.path());
    let total = notices(&cfg).len();
    let gate = tmp.path().join("gate");
    std::fs::write(&gate, "").unwrap();
    let smtp = Smtp::start_gated(tmp.path(), free_port(), &gate);

    let mut child = sigap();
    child
        .env("SIGAP_SMTP_URL", smtp.url())
        .arg("--config")
        .arg(&cfg)
        .arg("notify")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut child = child.spawn().unwrap();
    // Wait until the first notice is at the server and recorded SENT; the
    // second then waits at the gate, and the run is killed there.
    let mut polls = 0;
    loop {
        let sent = notices(&cfg)
            .iter()
            .filter(|n| n["state"] == "SENT")
            .count();
        if smtp.messages().len() == 1 && sent == 1 {
            break;
        }
        assert!(child.try_wait().unwrap().is_none(), "notify ended early");
        polls += 1;
        assert!(polls < 5000, "no first message: {}", smtp.log());
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // Meanwhile a second run is refused: it would send the same notices.
    let second = sg(&cfg, Some(&smtp.url()), &["notify"]).expect_code(75);
    assert!(
        second.stderr.contains("`notify` is already running"),
        "{}",
        second.stderr
    );
    child.kill().unwrap();
    child.wait().unwrap();
    std::fs::remove_file(&gate).unwrap();
    assert_eq!(smtp.messages().len(), 1);
    let due = notices(&cfg).iter().filter(|n| n["state"] == "DUE").count();
    assert_eq!(due, total - 1);

    sg(&cfg, Some(&smtp.url()), &["notify"]).expect_code(0);
    each_exactly_once(&smtp, &cfg);
}

#[test]
fn a_recipient_refused_for_good_is_failed_listed_and_counted_in_status() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = verified_office(tmp.path());
    let all = notices(&cfg);
    let apps = json(&cfg, &["applications", "list", "--json"]);
    let victim = &all[0];
    let email = apps
        .iter()
        .find(|a| a["id"] == victim["application"])
        .and_then(|a| a["email"].as_str())
        .unwrap()
        .to_string();
    // Every notice to that address is refused (one applicant may have several).
    let refused: Vec<i64> = all
        .iter()
        .filter(|n| {
            apps.iter()
                .any(|a| a["id"] == n["application"] && a["email"].as_str() == Some(&email))
        })
        .map(|n| n["id"].as_i64().unwrap())
        .collect();
    let smtp = Smtp::start_refusing(tmp.path(), free_port(), &email);
    let out = sg(&cfg, Some(&smtp.url()), &["notify"]).expect_code(1);
    assert!(
        out.stdout.contains(&format!("{} failed", refused.len())),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("sigap notices list --state FAILED"));
    let failed = json(&cfg, &["notices", "list", "--state", "FAILED", "--json"]);
    let ids: Vec<i64> = failed.iter().map(|n| n["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, refused);
    assert!(
        failed[0]["last_error"].as_str().unwrap().contains("550"),
        "{failed:?}"
    );
    assert_eq!(smtp.messages().len(), all.len() - refused.len());
    let status = sg(&cfg, None, &["status"]).expect_code(0);
    assert!(
        status.stdout.contains(&format!(
            "{} FAILED (sigap notices list --state FAILED)",
            refused.len()
        )),
        "{}",
        status.stdout
    );
    // A FAILED notice is not retried.
    sg(&cfg, Some(&smtp.url()), &["notify"]).expect_code(0);
    assert_eq!(smtp.messages().len(), all.len() - refused.len());
}

#[test]
fn an_office_template_is_used_and_a_broken_one_is_named_by_config_check() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = verified_office(tmp.path());
    let templates = cfg.parent().unwrap().join("templates");
    std::fs::create_dir_all(&templates).unwrap();
    std::fs::write(
        templates.join("subject.txt"),
        "Kabar permohonan {{ number }}",
    )
    .unwrap();
    sg(&cfg, None, &["config", "check"]).expect_code(0);
    std::fs::write(templates.join("rejected.html"), "<p>\n{{ alasan }}</p>").unwrap();
    let check = sg(&cfg, None, &["config", "check"]).expect_code(2);
    assert!(
        check.stdout.contains("rejected.html:2") && check.stdout.contains("templates"),
        "{}",
        check.stdout
    );
    let smtp = Smtp::start(tmp.path(), free_port());
    let broken = sg(&cfg, Some(&smtp.url()), &["notify"]).expect_code(3);
    assert!(
        broken.stderr.contains("rejected.html:2"),
        "{}",
        broken.stderr
    );
    std::fs::remove_file(templates.join("rejected.html")).unwrap();
    sg(&cfg, Some(&smtp.url()), &["notify"]).expect_code(0);
    each_exactly_once(&smtp, &cfg);
    for raw in smtp.messages() {
        let m = MessageParser::default().parse(&raw).unwrap();
        assert!(m.subject().unwrap().starts_with("Kabar permohonan A-"));
    }
}

#[test]
fn a_starttls_server_gets_nothing_in_clear_and_no_notice_is_charged_for_it() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = verified_office(tmp.path());
    let smtp = Smtp::start_starttls(tmp.path(), free_port());
    // Without TLS the server answers 530 to every message: a setting to
    // fix, so the run stops and no notice is charged or FAILED.
    let plain = sg(&cfg, Some(&smtp.url()), &["notify"]).expect_code(3);
    assert!(plain.stderr.contains("530"), "{}", plain.stderr);
    assert!(
        notices(&cfg)
            .iter()
            .all(|n| n["state"] == "DUE" && n["attempts"] == 0)
    );
    let url = format!("{}?tls=required", smtp.url());
    let out = sg(&cfg, Some(&url), &["notify"]).expect_code(3);
    assert!(
        out.stderr.contains("cannot send through") && out.stderr.contains("certificate"),
        "{}",
        out.stderr
    );
    assert!(smtp.messages().is_empty());
    assert!(
        notices(&cfg)
            .iter()
            .all(|n| n["state"] == "DUE" && n["attempts"] == 0)
    );
}

#[test]
fn a_password_without_tls_is_refused_by_config_check_and_notify_before_any_connection() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = verified_office(tmp.path());
    let smtp = Smtp::start_watched(tmp.path(), free_port());
    // The start's readiness probe.
    let probes = smtp.connections();
    let port = smtp.url().rsplit(':').next().unwrap().to_string();
    for url in [
        format!("smtp://sigap:rahasia@127.0.0.1:{port}"),
        format!("smtp://sigap:rahasia@127.0.0.1:{port}?tls=opportunistic"),
    ] {
        let check = sg(&cfg, Some(&url), &["config", "check"]).expect_code(2);
        let notify = sg(&cfg, Some(&url), &["notify"]).expect_code(2);
        for said in [&check.stdout, &notify.stderr] {
            for want in [
                "smtp.url",
                "would send the SMTP password unencrypted",
                "tls=required",
                "smtps://",
                "auth_in_clear=yes",
            ] {
                if said == &notify.stderr && want == "smtp.url" {
                    continue;
                }
                assert!(said.contains(want), "{url}: {want} not in\n{said}");
            }
            assert!(!said.contains("rahasia"), "{said}");
        }
    }
    // Refused before connecting: the server saw no one, so no AUTH either.
    assert_eq!(smtp.connections(), probes, "{}", smtp.log());
    assert!(!smtp.commands().iter().any(|c| c.starts_with("AUTH")));
    assert!(
        notices(&cfg)
            .iter()
            .all(|n| n["state"] == "DUE" && n["attempts"] == 0)
    );
    // Said explicitly, the URL passes the check.
    let allowed = format!("smtp://sigap:rahasia@127.0.0.1:{port}?auth_in_clear=yes");
    let check = sg(&cfg, Some(&allowed), &["config", "check"]);
    assert!(!check.stdout.contains("smtp.url"), "{}", check.stdout);
    // Without a password the same server is used, and watched: it logs
    // the sessions it gets.
    sg(&cfg, Some(&smtp.url()), &["notify"]).expect_code(0);
    assert!(smtp.connections() > probes, "{}", smtp.log());
    each_exactly_once(&smtp, &cfg);
}

#[test]
fn an_untrusted_certificate_is_named_once_with_what_to_set_instead() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = verified_office(tmp.path());
    let smtp = Smtp::start_starttls(tmp.path(), free_port());
    let port = smtp.url().rsplit(':').next().unwrap().to_string();
    let url = format!("smtp://sigap:rahasia@127.0.0.1:{port}?tls=required");
    let out = sg(&cfg, Some(&url), &["notify"]).expect_code(3);
    let said = &out.stderr;
    for want in [
        "cannot send through smtp://sigap:***@127.0.0.1",
        "the server's certificate is a CA's certificate, not a server's: it is self-signed",
        "a certificate from a public CA",
        "stay due for the next run",
    ] {
        assert!(said.contains(want), "{want} not in\n{said}");
    }
    assert_eq!(
        said.matches("the server's certificate").count(),
        1,
        "{said}"
    );
    assert!(!said.contains("Connection error"), "{said}");
    assert!(!said.contains("check that the server is up"), "{said}");
    assert!(!said.contains("rahasia"), "{said}");
    // The session stopped at the handshake: no login, no message.
    let commands = smtp.commands();
    assert!(
        commands.iter().any(|c| c.starts_with("STARTTLS")),
        "{}",
        smtp.log()
    );
    assert!(
        !commands
            .iter()
            .any(|c| c.starts_with("AUTH") || c.starts_with("MAIL")),
        "{commands:?}"
    );
    assert!(smtp.messages().is_empty());
    assert!(
        notices(&cfg)
            .iter()
            .all(|n| n["state"] == "DUE" && n["attempts"] == 0)
    );
}
