//! Holidays as data: the built-in national lists for 2026 and 2027, the
//! office's own days and removals in `sigap.toml`, `sigap holidays list`,
//! and the warning of `status` and `config check` before the lists run out
//! (the clock moved with `SIGAP_NOW`).

use serde_json::Value;

use crate::support::{Run, copy_office, repo_root, sigap};

fn office(tmp: &std::path::Path, extra: &str) -> std::path::PathBuf {
    let dir = tmp.join("office");
    copy_office(&repo_root().join("sample-data"), &dir);
    let cfg = dir.join("sigap.toml");
    let mut text = std::fs::read_to_string(&cfg).unwrap();
    text.push_str(extra);
    std::fs::write(&cfg, text).unwrap();
    cfg
}

fn at(cfg: &std::path::Path, now: Option<&str>, args: &[&str]) -> Run {
    let mut c = sigap();
    c.arg("--config").arg(cfg).args(args);
    match now {
        Some(t) => c.env("SIGAP_NOW", t),
        None => c.env_remove("SIGAP_NOW"),
    };
    c.output().expect("sigap runs").into()
}

fn listed(cfg: &std::path::Path, year: &str) -> Value {
    let run = at(cfg, None, &["holidays", "list", "--year", year, "--json"]).expect_code(0);
    serde_json::from_str(&run.stdout).unwrap()
}

#[test]
fn holidays_list_shows_the_built_in_2027_days_and_the_offices_local_day_with_their_source() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = office(
        tmp.path(),
        "\n[[holidays]]\ndate = \"2027-07-20\"\nkind = \"lokal\"\nname = \"Hari Jadi Kabupaten\"\n",
    );
    let v = listed(&cfg, "2027");
    let days = v["days"].as_array().unwrap();
    assert_eq!(days.len(), 27, "26 national days and one local: {v}");
    let day = |d: &str| days.iter().find(|x| x["date"] == d).cloned().unwrap();
    assert_eq!(day("2027-03-10")["source"], "built_in");
    assert_eq!(
        day("2027-03-10")["estimated"],
        true,
        "Idul Fitri is estimated"
    );
    assert_eq!(day("2027-08-17")["estimated"], false);
    assert_eq!(day("2027-07-20")["source"], "sigap_toml");
    assert_eq!(day("2027-07-20")["kind"], "lokal");
    assert_eq!(v["years"], serde_json::json!([2026, 2027]));
    // The 2026 days the profile lists in sigap.toml are the built-in days:
    // they show once, as built in.
    let v = listed(&cfg, "2026");
    let days = v["days"].as_array().unwrap();
    assert_eq!(days.len(), 25, "{v}");
    assert!(days.iter().all(|d| d["source"] == "built_in"), "{v}");
    // The plain listing names the source and marks estimated days.
    let text = at(&cfg, None, &["holidays", "list", "--year", "2027"]).expect_code(0);
    assert!(
        text.stdout.lines().any(|l| l.contains("2027-05-17")
            && l.contains("built in")
            && l.contains("(estimated)")),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout
            .lines()
            .any(|l| l.contains("2027-07-20") && l.contains("sigap.toml")),
        "{}",
        text.stdout
    );
    // A year without a list says so instead of an empty list.
    let none = at(&cfg, None, &["holidays", "list", "--year", "2028"]).expect_code(0);
    assert!(
        none.stdout.contains("2028: no holiday list"),
        "{}",
        none.stdout
    );
}

#[test]
fn an_office_removes_a_built_in_day_only_with_a_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = office(
        tmp.path(),
        "\n[[holidays_removed]]\ndate = \"2027-03-15\"\n",
    );
    let check = at(&cfg, None, &["config", "check"]).expect_code(2);
    assert!(
        check.stdout.contains("holidays_removed[0].reason"),
        "{}",
        check.stdout
    );
    let cfg = office(
        &tmp.path().join("b"),
        "\n[[holidays_removed]]\ndate = \"2027-03-16\"\nreason = \"x\"\n",
    );
    let check = at(&cfg, None, &["config", "check"]).expect_code(2);
    assert!(
        check.stdout.contains("holidays_removed[0].date")
            && check.stdout.contains("not a built-in holiday"),
        "{}",
        check.stdout
    );
    let cfg = office(
        &tmp.path().join("c"),
        "\n[[holidays_removed]]\ndate = \"2027-03-15\"\nreason = \"Pelayanan tetap buka (SE Bupati)\"\n",
    );
    at(&cfg, None, &["config", "check"]).expect_code(0);
    let v = listed(&cfg, "2027");
    let days = v["days"].as_array().unwrap();
    assert!(days.iter().all(|d| d["date"] != "2027-03-15"), "{v}");
    assert_eq!(v["removed"][0]["day"]["date"], "2027-03-15");
    assert_eq!(
        v["removed"][0]["reason"],
        "Pelayanan tetap buka (SE Bupati)"
    );
}

#[test]
fn status_and_config_check_warn_from_60_days_before_the_lists_run_out() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = office(tmp.path(), "");
    let warned = |r: &Run| r.stdout.contains("no holiday list for 2028");
    // 1 November 2027 in Bantul (WIB): 61 days left, no warning yet.
    let before = "2027-11-01T09:00:00+07:00";
    assert!(!warned(
        &at(&cfg, Some(before), &["config", "check"]).expect_code(0)
    ));
    assert!(!warned(&at(&cfg, Some(before), &["status"]).expect_code(0)));
    // 2 November 2027: both warn, name the year and how to add it.
    let from = "2027-11-02T09:00:00+07:00";
    let check = at(&cfg, Some(from), &["config", "check"]).expect_code(0);
    assert!(warned(&check), "{}", check.stdout);
    assert!(check.stdout.contains("[[holidays]]"), "{}", check.stdout);
    let status = at(&cfg, Some(from), &["status"]).expect_code(0);
    assert!(warned(&status), "{}", status.stdout);
    let json = at(&cfg, Some(from), &["status", "--json"]).expect_code(0);
    let v: Value = serde_json::from_str(&json.stdout).unwrap();
    assert!(
        v["holidays_warning"]
            .as_str()
            .is_some_and(|w| w.contains("2028")),
        "{v}"
    );
    // Still in 2028 itself.
    assert!(warned(
        &at(&cfg, Some("2028-03-01T09:00:00+07:00"), &["status"]).expect_code(0)
    ));
}

#[test]
fn a_bad_clock_override_is_named_and_the_daemon_refuses_any_override() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = office(tmp.path(), "");
    let bad = at(&cfg, Some("next tuesday"), &["status"]);
    assert_ne!(bad.code, 0);
    assert!(
        bad.stderr.contains("SIGAP_NOW") && bad.stderr.contains("RFC 3339"),
        "{}",
        bad.stderr
    );
    let daemon = at(&cfg, Some("2027-11-02T09:00:00+07:00"), &["daemon"]);
    assert_ne!(daemon.code, 0);
    assert!(
        daemon.stderr.contains("SIGAP_NOW") && daemon.stderr.contains("real clock"),
        "{}",
        daemon.stderr
    );
}
