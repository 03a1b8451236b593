//! Pickups end to end on the committed sample office: the night prints,
//! the station confirms, a courier takes a batch (`sigap handover`), it
//! arrives (`sigap arrived`), and the kecamatan's register is imported
//! (`sigap pickups import`): good rows make the cards COLLECTED, every
//! contradictory row is quarantined with its reason, and importing the
//! same register again — by name or from `inbox/pickups/` — changes nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{FixedOffset, Timelike, Utc};
use serde_json::Value;

use crate::support::{Run, copy_office, repo_root, sigap, write_register};

pub fn office(tmp: &Path) -> PathBuf {
    let dir = tmp.join("office");
    copy_office(&repo_root().join("sample-data"), &dir);
    dir.join("sigap.toml")
}

pub fn sg(cfg: &Path, args: &[&str]) -> Run {
    let mut c = sigap();
    c.env("SIGAP_INGEST_SETTLE_MS", "0");
    c.arg("--config").arg(cfg).args(args);
    c.output().expect("sigap runs").into()
}

pub fn apps(cfg: &Path) -> Vec<Value> {
    let out = sg(cfg, &["applications", "list", "--json"]).expect_code(0);
    serde_json::from_str(&out.stdout).unwrap()
}

pub fn state_of<'a>(all: &'a [Value], id: &str) -> &'a str {
    all.iter()
        .find(|a| a["id"] == id)
        .and_then(|a| a["state"].as_str())
        .unwrap()
}

/// Batch folders in spool/outgoing, by name.
pub fn batches(office: &Path) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(office.join("spool/outgoing"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    out.sort();
    out
}

/// (application id, nik, name) of each card of a batch.
pub fn cards(office: &Path, batch: &str) -> Vec<(String, String, String)> {
    let path = office.join("spool/outgoing").join(batch).join("cards.csv");
    let mut r = csv::Reader::from_path(&path).unwrap();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            (rec[0].to_string(), rec[1].to_string(), rec[2].to_string())
        })
        .collect()
}

/// The sample office through print: stock, the night, every batch
/// confirmed by the station and its results applied. Returns the batches.
pub fn printed_office(cfg: &Path) -> Vec<String> {
    let office = cfg.parent().unwrap();
    sg(cfg, &["blanko", "receive", "1000", "--ref", "BAST-1"]).expect_code(0);
    sg(cfg, &["nightly"]).expect_code(1);
    let made = batches(office);
    assert!(made.len() >= 2, "{made:?}");
    for b in &made {
        sg(cfg, &["station", "confirm", b]).expect_code(0);
    }
    sg(cfg, &["station", "results"]).expect_code(0);
    made
}

/// Now, to the minute, in the office's time (Bantul: WIB) as a register
/// writes it. The cards were printed before now, so a pickup "now" is
/// after printing.
pub fn register_now() -> String {
    let wib = FixedOffset::east_opt(7 * 3600).unwrap();
    let t = Utc::now().with_timezone(&wib);
    t.with_second(0)
        .unwrap()
        .format("%d/%m/%Y %H:%M")
        .to_string()
}

fn quarantine(cfg: &Path) -> Vec<Value> {
    let q = sg(cfg, &["quarantine", "list", "--json"]).expect_code(0);
    let all: Vec<Value> = serde_json::from_str(&q.stdout).unwrap();
    all.into_iter()
        .filter(|e| e["channel"] == "pickup")
        .collect()
}

/// Every application's state and event count: what an import may change.
fn states_and_logs(cfg: &Path) -> BTreeMap<String, (String, usize)> {
    apps(cfg)
        .iter()
        .map(|a| {
            let id = a["id"].as_str().unwrap().to_string();
            let show = sg(cfg, &["applications", "show", &id, "--json"]).expect_code(0);
            let v: Value = serde_json::from_str(&show.stdout).unwrap();
            (
                id,
                (
                    a["state"].as_str().unwrap().to_string(),
                    v["events"].as_array().unwrap().len(),
                ),
            )
        })
        .collect()
}

#[test]
fn a_register_collects_cards_quarantines_contradictions_and_is_imported_once() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = office(tmp.path());
    let office = cfg.parent().unwrap().to_path_buf();
    let made = printed_office(&cfg);
    let (b1, b2) = (&made[0], &made[1]);
    let c1 = cards(&office, b1);
    let c2 = cards(&office, b2);
    assert!(c1.len() >= 6, "{b1}: {} cards", c1.len());

    // The courier leg of the first batch; a second handover moves nothing.
    let out = sg(&cfg, &["handover", b1, "--by", "Joko (kurir)"]).expect_code(0);
    assert!(
        out.stdout
            .contains(&format!("{b1}: {} card(s) in transit now", c1.len())),
        "{}",
        out.stdout
    );
    let out = sg(&cfg, &["handover", b1, "--by", "Joko (kurir)"]).expect_code(0);
    assert!(out.stdout.contains(": 0 card(s)"), "{}", out.stdout);
    assert_eq!(state_of(&apps(&cfg), &c1[0].0), "IN_TRANSIT");
    let out = sg(&cfg, &["arrived", b1, "--by", "Sri"]).expect_code(0);
    assert!(
        out.stdout
            .contains(&format!("{} card(s) ready for pickup now", c1.len())),
        "{}",
        out.stdout
    );
    assert_eq!(state_of(&apps(&cfg), &c1[0].0), "READY");
    let unknown = sg(&cfg, &["handover", "B-20000101-NOWHERE-1", "--by", "Joko"]).expect_code(3);
    assert!(
        unknown.stderr.contains("no batch B-20000101-NOWHERE-1"),
        "{}",
        unknown.stderr
    );

    // An application that never got a card (verification did not pass it).
    let all = apps(&cfg);
    let unprinted = all
        .iter()
        .find(|a| a["state"] == "REJECTED" && a["service"].as_str().unwrap().starts_with("ktp"))
        .unwrap();
    let unprinted_id = unprinted["id"].as_str().unwrap();

    let now = register_now();
    let rows = [
        // Good: id + NIK + batch, old card surrendered.
        format!("{},{},{b1},{now},Sri Wahyuni,ya", c1[0].0, c1[0].1),
        // Good: NIK only, no batch, old card kept.
        format!(",'{},,{now},Sri Wahyuni,tidak", c1[1].1),
        // Good: a card of the second batch, still PRINTED (no handover recorded).
        format!("{},,{b2},{now},Sri Wahyuni,Ya", c2[0].0),
        // Contradictions.
        format!("A-999999,,,{now},Sri Wahyuni,ya"),
        format!("{},{},,{now},Sri Wahyuni,ya", c1[2].0, c1[3].1),
        format!("{},,{b2},{now},Sri Wahyuni,ya", c1[4].0),
        format!("{},,,01/01/2020 10:00,Sri Wahyuni,ya", c1[5].0),
        format!("{unprinted_id},,,{now},Sri Wahyuni,ya"),
        format!("{},,,kemarin,Sri Wahyuni,ya", c1[3].0),
    ];
    let register = tmp.path().join("register-sewon.csv");
    write_register(&register, &rows);
    let reg = register.to_str().unwrap();
    let out = sg(&cfg, &["pickups", "import", reg]).expect_code(1);
    assert!(
        out.stdout.contains(
            "pickups: rows 9: collected 3 (old card surrendered 2), already known 0, quarantined 6"
        ),
        "{}",
        out.stdout
    );
    for (line, reason) in [
        (5, "UNKNOWN_APPLICATION"),
        (6, "PICKUP_NIK_MISMATCH"),
        (7, "WRONG_BATCH"),
        (8, "PICKED_UP_BEFORE_PRINTING"),
        (9, "NOT_PRINTED"),
        (10, "MALFORMED_PICKUP"),
    ] {
        let want = format!("quarantined {reg}:{line} {reason}");
        assert!(out.stdout.contains(&want), "{want}\n{}", out.stdout);
    }
    assert!(out.stdout.contains("field diambil_pada"), "{}", out.stdout);
    // No NIK in full in what is printed about the rows.
    for c in c1.iter().take(4) {
        assert!(!out.stdout.contains(&c.1), "{}", out.stdout);
    }
    let all = apps(&cfg);
    for id in [&c1[0].0, &c1[1].0, &c2[0].0] {
        assert_eq!(state_of(&all, id), "COLLECTED", "{id}");
    }
    for id in [&c1[2].0, &c1[4].0, &c1[5].0] {
        assert_eq!(state_of(&all, id), "READY", "{id} untouched");
    }
    // The PRINTED card went the whole way, at the pickup time.
    let show = sg(&cfg, &["applications", "show", &c2[0].0, "--json"]).expect_code(0);
    let v: Value = serde_json::from_str(&show.stdout).unwrap();
    let tail: Vec<(&str, &str)> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .take(3)
        .map(|e| (e["to"].as_str().unwrap(), e["detail"].as_str().unwrap()))
        .collect();
    assert_eq!(tail[0].0, "COLLECTED");
    assert!(tail[0].1.contains("old card surrendered: ya"), "{tail:?}");
    assert_eq!((tail[1].0, tail[2].0), ("READY", "IN_TRANSIT"));
    assert!(tail[1].1.starts_with("implied by the pickup"), "{tail:?}");
    let q = quarantine(&cfg);
    assert_eq!(q.len(), 6, "{q:?}");
    assert!(
        q.iter()
            .all(|e| e["source"].as_str().unwrap().starts_with(reg))
    );

    // The same file again: nothing read, nothing changed.
    let before = (states_and_logs(&cfg), quarantine(&cfg));
    let out = sg(&cfg, &["pickups", "import", reg]).expect_code(0);
    assert!(
        out.stdout
            .contains("imported before (same content); nothing read"),
        "{}",
        out.stdout
    );
    // From the inbox, under another name: the same content, still nothing.
    let inbox = office.join("inbox/pickups");
    std::fs::create_dir_all(&inbox).unwrap();
    std::fs::copy(&register, inbox.join("sewon-2026-11.csv")).unwrap();
    let out = sg(&cfg, &["pickups", "import"]).expect_code(0);
    assert!(
        out.stdout
            .contains("pickups/sewon-2026-11.csv: imported before"),
        "{}",
        out.stdout
    );
    assert_eq!((states_and_logs(&cfg), quarantine(&cfg)), before);

    // The next download of the register repeats every row and adds two:
    // a second pickup of a collected card with other data, and a good one.
    // Repeated rows are already known. The unprinted card's row and the
    // one before printing are decided again, since the facts may have
    // changed by now, but still fail and already have their entry: no
    // second one. An unreadable row is a new entry of this new file (its
    // key names the file's SHA-256 and line).
    let later = Utc::now()
        .with_timezone(&FixedOffset::east_opt(7 * 3600).unwrap())
        .format("%Y-%m-%d %H:%M")
        .to_string();
    let mut more = rows.to_vec();
    more.push(format!("{},,,{later},Sri Wahyuni,tidak", c1[0].0));
    more.push(format!("{},,,{now} WIB,Sri  wahyuni,tidak", c1[2].0));
    std::fs::write(
        inbox.join("sewon-2026-11-b.csv"),
        format!(
            "\u{feff}ID Permohonan;NIK;Batch;Diambil Pada;Petugas;KTP Lama Diserahkan\r\n{}\r\n",
            more.iter()
                .map(|r| r.replace(',', ";"))
                .collect::<Vec<_>>()
                .join("\r\n")
        ),
    )
    .unwrap();
    let out = sg(&cfg, &["pickups", "import"]).expect_code(1);
    assert!(
        out.stdout.contains(
            "pickups: rows 11: collected 1 (old card surrendered 0), already known 8, quarantined 2"
        ),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("pickups/sewon-2026-11-b.csv:11 CONFLICTING_PICKUP"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("pickups/sewon-2026-11-b.csv:10 MALFORMED_PICKUP"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("note: 2 row(s) quarantined before (not printed yet, or picked up before printing) are still not taken"),
        "{}",
        out.stdout
    );
    let q = quarantine(&cfg);
    for reason in ["NOT_PRINTED", "PICKED_UP_BEFORE_PRINTING"] {
        assert_eq!(
            q.iter().filter(|e| e["reason"] == reason).count(),
            1,
            "one entry per row: {q:?}"
        );
    }
    assert_eq!(state_of(&apps(&cfg), &c1[2].0), "COLLECTED");

    // A ready-for-pickup notice of a collected card is not sent any more.
    let notices = sg(&cfg, &["notices", "list", "--json"]).expect_code(0);
    let notices: Vec<Value> = serde_json::from_str(&notices.stdout).unwrap();
    let collected = [&c1[0].0, &c1[1].0, &c2[0].0, &c1[2].0];
    let due_of_collected = notices
        .iter()
        .filter(|n| {
            n["state"] == "DUE"
                && n["kind"] == "READY_FOR_PICKUP"
                && collected.iter().any(|id| n["application"] == id.as_str())
        })
        .count();
    assert!(due_of_collected > 0, "the sample's applicants have email");
    let mut c = sigap();
    c.env("SIGAP_SMTP_URL", "smtp://127.0.0.1:9")
        .arg("--config")
        .arg(&cfg)
        .args(["notify", "--dry-run"]);
    let out: Run = c.output().unwrap().into();
    let out = out.expect_code(0);
    assert!(
        out.stdout
            .contains(&format!("{due_of_collected} superseded")),
        "{due_of_collected}\n{}",
        out.stdout
    );
}

/// Review findings 3, 5 and 7 end to end: no full NIK printed about a
/// register, half-written and lock files in the inbox left alone, and
/// handover/arrived waiting for a running import.
#[test]
fn an_inbox_of_half_written_files_and_a_nik_in_the_wrong_column() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = office(tmp.path());
    let office = cfg.parent().unwrap().to_path_buf();
    let made = printed_office(&cfg);
    let b1 = &made[0];
    let c1 = cards(&office, b1);
    let now = register_now();
    let inbox = office.join("inbox/pickups");
    std::fs::create_dir_all(&inbox).unwrap();
    let header = "id_permohonan,nik,batch,diambil_pada,petugas,ktp_lama_diserahkan";
    // Skipped by name: they would be refused if read.
    for name in [
        "~$sewon.csv",
        ".sewon.csv",
        "sewon.csv.part",
        "sewon.csv~",
        "sewon.tmp",
    ] {
        std::fs::write(inbox.join(name), "garbage;\n").unwrap();
    }
    // NIKs in the wrong columns (finding 3).
    let (nik0, nik1) = (&c1[0].1, &c1[1].1);
    let rows = [
        format!("{nik0},,,{now},Sri,ya"),
        format!("'{nik1},,,{now},Sri,ya"),
        format!("{},,{nik0},{now},Sri,ya", c1[2].0),
        format!("{},,,{nik1},Sri,ya", c1[2].0),
        format!("{},,,{now},Sri,{nik0}", c1[2].0),
    ];
    std::fs::write(
        inbox.join("sewon.csv"),
        format!("{header}\n{}\n", rows.join("\n")),
    )
    .unwrap();
    // A file still being written while the import waits for it to settle
    // (finding 5): the import holds the pickups lock meanwhile, so an
    // `arrived` typed then waits for it (finding 7).
    let growing = inbox.join("kasihan.csv");
    std::fs::write(&growing, format!("{header}\n")).unwrap();
    let mut c = sigap();
    c.env("SIGAP_INGEST_SETTLE_MS", "3000")
        .arg("--config")
        .arg(&cfg)
        .args(["pickups", "import"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    loop {
        let mut l = String::new();
        let n = std::io::BufRead::read_line(&mut stderr, &mut l).unwrap();
        assert!(n > 0, "the import ended before waiting: {seen}");
        seen.push_str(&l);
        if l.contains("to settle") {
            break;
        }
    }
    // The import now sleeps holding the lock; the file keeps growing.
    let arrived = std::thread::spawn({
        let cfg = cfg.clone();
        let b1 = b1.clone();
        move || sg(&cfg, &["arrived", &b1, "--by", "Sri"])
    });
    let mut n = 0;
    while child.try_wait().unwrap().is_none() {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&growing)
            .unwrap();
        write!(f, "A").unwrap();
        n += 1;
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(n > 0);
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let printed = format!("{stdout}{seen}{rest}");
    assert_eq!(out.status.code(), Some(1), "{printed}");
    assert!(
        stdout.contains("rows 5: collected 0 (old card surrendered 0), already known 0, quarantined 5; files still being written 1"),
        "{printed}"
    );
    assert!(
        stdout.contains("looks like a NIK; put the application id A-000123 here"),
        "{printed}"
    );
    for c in &c1 {
        assert!(
            !printed.contains(&c.1),
            "full NIK of {} printed: {printed}",
            c.0
        );
    }
    for skipped in [
        "~$sewon.csv",
        ".sewon.csv",
        "sewon.csv.part",
        "sewon.csv~",
        "sewon.tmp",
    ] {
        assert!(!printed.contains(skipped), "{skipped}: {printed}");
    }
    let arrived = arrived.join().unwrap().expect_code(0);
    assert!(
        arrived
            .stderr
            .contains("waiting for the running pickups import"),
        "{}",
        arrived.stderr
    );
    assert!(
        arrived
            .stdout
            .contains(&format!("{} card(s) ready for pickup now", c1.len())),
        "{}",
        arrived.stdout
    );
    // A second arrival says so and succeeds.
    let again = sg(&cfg, &["arrived", b1, "--by", "Sri"]).expect_code(0);
    assert!(
        again
            .stdout
            .contains(&format!("{b1}: already arrived; nothing to do")),
        "{}",
        again.stdout
    );

    // The settled file is read by the next run.
    std::fs::write(&growing, format!("{header}\n{},,,{now},Sri,ya\n", c1[3].0)).unwrap();
    let out = sg(&cfg, &["pickups", "import"]).expect_code(0);
    assert!(
        out.stdout.contains("pickups/sewon.csv: imported before"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains(
            "rows 1: collected 1 (old card surrendered 1), already known 0, quarantined 0"
        ),
        "{}",
        out.stdout
    );
    assert_eq!(state_of(&apps(&cfg), &c1[3].0), "COLLECTED");
}
