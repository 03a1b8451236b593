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

pub(crate) fn notices(cfg: &Path) -> Vec<Value> {
    json(cfg, &["notices", "list", "--json"])
}

/// Ingest and verify the sample office: notices for the incomplete,
/// needs-perekaman and rejected applications with an email.
pub(crate) fn verified_office(tmp: &Path) -> PathBuf {
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
pub(crate) fn each_exactly_once(smtp: &Smtp, cfg: &Path) {
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

/// The station prints the office's first batch: confirmed, results read.
fn print_first_batch(cfg: &Path) {
    let first = std::fs::read_dir(cfg.parent().unwrap().join("spool/outgoing"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("B-"))
        .min()
        .expect("a batch");
    sg(cfg, None, &["station", "confirm", &first]).expect_code(0);
    sg(cfg, None, &["station", "results"]).expect_code(0);
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
    print_first_batch(&cfg);
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
        "set SIGAP_SMTP_CA_FILE to that CA's PEM file",
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

/// Rewrites the office's form exports with two spaces after the first word
/// of every name (`ESTI  KUSUMAWATI`), as people type them; returns how
/// many names it changed.
fn double_space_form_names(office: &Path) -> usize {
    let mut changed = 0;
    for entry in std::fs::read_dir(office.join("inbox/forms")).unwrap() {
        let path = entry.unwrap().path();
        let mut r = csv::Reader::from_path(&path).unwrap();
        let headers = r.headers().unwrap().clone();
        let col = headers.iter().position(|h| h == "Nama Lengkap").unwrap();
        let mut w = csv::WriterBuilder::new()
            .quote_style(csv::QuoteStyle::Always)
            .from_writer(Vec::new());
        w.write_record(&headers).unwrap();
        for rec in r.records() {
            let rec = rec.unwrap();
            let row: Vec<String> = rec
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    if i == col && v.contains(' ') {
                        changed += 1;
                        v.replacen(' ', "  ", 1)
                    } else {
                        v.to_string()
                    }
                })
                .collect();
            w.write_record(&row).unwrap();
        }
        std::fs::write(&path, w.into_inner().unwrap()).unwrap();
    }
    changed
}

/// The numbers `tests/png_stats.py` prints for a screenshot: width,
/// height, colours, non-white pixels, then `count x0 y0 x1 y1` per colour.
fn png_stats(png: &Path, colours: &[&str]) -> Vec<Vec<i64>> {
    let out = std::process::Command::new("python3")
        .arg(repo_root().join("tests/png_stats.py"))
        .arg(png)
        .args(colours)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.split_whitespace().map(|n| n.parse().unwrap()).collect())
        .collect()
}

fn chromium(profile: &Path, args: &[&str]) {
    let out = std::process::Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .output()
        .expect("chromium runs (./scripts/test installs Debian's chromium)");
    assert!(
        out.status.success(),
        "chromium {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn each_notice_kind_reads_as_a_letter_from_the_office_in_chromium() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = office(tmp.path());
    let office_dir = cfg.parent().unwrap().to_path_buf();
    assert!(double_space_form_names(&office_dir) > 20);
    sg(&cfg, None, &["ingest"]);
    sg(&cfg, None, &["verify"]);
    sg(
        &cfg,
        None,
        &["blanko", "receive", "1000", "--ref", "BAST-1"],
    )
    .expect_code(0);
    sg(&cfg, None, &["nightly"]);
    print_first_batch(&cfg);
    let smtp = Smtp::start(tmp.path(), free_port());
    sg(&cfg, Some(&smtp.url()), &["notify"]).expect_code(0);

    let config = pipeline::Config::load(&cfg, |_| None).unwrap();
    let office_name = config.office.name.clone();
    let apps = json(&cfg, &["applications", "list", "--json"]);
    let sent = notices(&cfg);
    // The first message of each kind, as (text, html, the applicant's
    // record); and every greeting.
    let mut kinds: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut doubled_greeted = 0;
    for raw in smtp.messages() {
        let m = MessageParser::default().parse(&raw).unwrap();
        let mid = format!("<{}>", m.message_id().unwrap());
        let notice = sent
            .iter()
            .find(|n| n["message_id"].as_str() == Some(mid.as_str()))
            .unwrap();
        let app = apps
            .iter()
            .find(|a| a["id"] == notice["application"])
            .unwrap();
        let text = m.body_text(0).unwrap().into_owned();
        let html = m.body_html(0).unwrap().into_owned();
        // The name as typed stays in the record; the letter shows it with
        // single spaces, in both parts.
        let typed = app["name"].as_str().unwrap();
        let shown = typed.split_whitespace().collect::<Vec<_>>().join(" ");
        for part in [&text, &html] {
            let greeting = part
                .lines()
                .find(|l| l.contains("Yth. "))
                .unwrap_or_else(|| panic!("no greeting in\n{part}"));
            assert!(!greeting.contains("  "), "{greeting}");
        }
        assert!(text.contains(&format!("Yth. {shown},")), "{text}");
        if typed.contains("  ") {
            doubled_greeted += 1;
        }
        let kind = notice["kind"].as_str().unwrap().to_string();
        kinds.entry(kind).or_insert((text, html));
    }
    assert!(doubled_greeted > 0, "no notice went to a doubled name");
    assert_eq!(
        kinds.keys().map(String::as_str).collect::<Vec<_>>(),
        [
            "INCOMPLETE",
            "NEEDS_RECORDING",
            "READY_FOR_PICKUP",
            "REJECTED"
        ]
    );

    let profile = tmp.path().join("chromium");
    for (kind, (text, html)) in &kinds {
        // What mail clients keep: inline styles in tables, nothing fetched,
        // nothing run.
        for banned in [
            "<style",
            "<script",
            "<link",
            "src=\"http",
            "url(",
            "javascript:",
        ] {
            assert!(!html.contains(banned), "{kind}: {banned}");
        }
        assert!(html.contains("<table"), "{kind}: a table layout");
        let file = tmp.path().join(format!("{kind}.html"));
        std::fs::write(&file, html).unwrap();
        let url = format!("file://{}", file.display());

        // Printed by Chromium and read back: the office's name on top,
        // then the greeting, then the box with its place (and date).
        let pdf = tmp.path().join(format!("{kind}.pdf"));
        chromium(
            &profile,
            &[
                &format!("--print-to-pdf={}", pdf.display()),
                "--no-pdf-header-footer",
                "--print-to-pdf-no-header",
                &url,
            ],
        );
        let out = std::process::Command::new("pdftotext")
            .args([pdf.to_str().unwrap(), "-"])
            .output()
            .expect("pdftotext runs (./scripts/test installs poppler-utils)");
        assert!(out.status.success());
        // Lines as the print wrapped them, read as one run of words.
        let printed = String::from_utf8(out.stdout)
            .unwrap()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let kop = format!("{} {office_name} ", config.office.government);
        assert!(printed.starts_with(&kop), "{kind}:\n{printed}");
        let at = |needle: &str| {
            printed
                .find(needle)
                .unwrap_or_else(|| panic!("{kind}: {needle:?} not in\n{printed}"))
        };
        let (label, colour) = match kind.as_str() {
            "READY_FOR_PICKUP" => ("TEMPAT PENGAMBILAN", "eef8f1"),
            "INCOMPLETE" => ("DOKUMEN YANG BELUM KAMI TERIMA", "fff6e5"),
            "NEEDS_RECORDING" => ("TEMPAT PEREKAMAN", "eef3f9"),
            _ => ("ALASANNYA", "fdf0f0"),
        };
        assert!(at(&office_name) < at("Yth. "), "{kind}");
        assert!(at("Yth. ") < at(label), "{kind}");
        // The plain part says the same, in the same order.
        let in_text = |needle: &str| {
            text.find(needle)
                .unwrap_or_else(|| panic!("{kind}: {needle:?} not in the text part\n{text}"))
        };
        assert!(in_text(&office_name) < in_text("Yth. "));
        assert!(in_text("Yth. ") < in_text(label));
        if kind == "READY_FOR_PICKUP" {
            let date_line = text
                .lines()
                .skip_while(|l| !l.starts_with("DAPAT DIAMBIL MULAI"))
                .nth(1)
                .unwrap()
                .trim()
                .to_string();
            assert!(at("DAPAT DIAMBIL MULAI") < at(&date_line), "{printed}");
            assert!(at(label) < at("DAPAT DIAMBIL MULAI"), "{printed}");
        }

        // On screen: not blank, the letter a column in the middle, the box
        // inside it, below the letterhead.
        let shot = tmp.path().join(format!("{kind}.png"));
        chromium(
            &profile,
            &[
                &format!("--screenshot={}", shot.display()),
                "--window-size=800,1400",
                "--hide-scrollbars",
                &url,
            ],
        );
        let stats = png_stats(&shot, &["ffffff", colour, "1f3a5f"]);
        let (w, h, colours, non_white) = (stats[0][0], stats[0][1], stats[0][2], stats[0][3]);
        assert_eq!((w, h), (800, 1400));
        assert!(colours > 30, "{kind}: {colours} colours");
        assert!(
            non_white * 4 > w * h,
            "{kind}: a background around the letter"
        );
        let (white, boxed, navy) = (&stats[1], &stats[2], &stats[3]);
        // The white letter is at most 600 px wide (plus its border), centred.
        let letter_w = white[3] - white[1] + 1;
        assert!((560..=604).contains(&letter_w), "{kind}: letter {white:?}");
        assert!(
            (white[1] - (w - 1 - white[3])).abs() <= 4,
            "{kind}: letter centred {white:?}"
        );
        // The box: most of the letter's width, some lines high, inside it,
        // below the navy rule of the letterhead.
        let box_w = boxed[3] - boxed[1] + 1;
        let box_h = boxed[4] - boxed[2] + 1;
        assert!(boxed[0] > 10_000, "{kind}: box {boxed:?}");
        assert!(
            box_w > letter_w * 3 / 4 && box_h > 40,
            "{kind}: box {boxed:?}"
        );
        assert!(
            boxed[1] > white[1] && boxed[3] < white[3],
            "{kind}: box in the letter"
        );
        assert!(
            navy[0] > 1000 && navy[2] < boxed[2],
            "{kind}: letterhead first {navy:?}"
        );
    }
}
