//! Destruction bundles end to end: cards printed, collected with their old
//! card surrendered, `sigap archive --month` writes a zip per kecamatan
//! that `unzip -t` accepts, whose `SHA256SUMS` checks with `sha256sum -c`,
//! whose Berita Acara (read back with `pdftotext`) lists the cards and the
//! witnesses' signature labels; an encrypted one (SIGAP_ARCHIVE_PASSPHRASE)
//! opens with 7-Zip with the passphrase and not without; re-running the
//! month changes nothing; the retention rule deletes scans only after
//! their bundle has been read back and checked, never from a damaged one.

use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use chrono::{FixedOffset, Utc};

use crate::pickups::{apps, cards, office, printed_office, register_now, sg, state_of};
use crate::support::{Run, sigap, write_register};

const PASSPHRASE: &str = "rahasia-dinas-2026";

fn sg_with(cfg: &Path, env: &[(&str, &str)], args: &[&str]) -> Run {
    let mut c = sigap();
    for (k, v) in env {
        c.env(k, v);
    }
    c.arg("--config").arg(cfg).args(args);
    c.output().expect("sigap runs").into()
}

fn tool(program: &str, args: &[&str], dir: &Path) -> std::process::Output {
    Command::new(program)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{program} runs (./scripts/test installs it): {e}"))
}

fn ok(out: &std::process::Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The bundles in out/archive/, by name.
fn bundles(office: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(office.join("out/archive"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "zip"))
        .collect();
    out.sort();
    out
}

/// Scan files kept for an application under data/documents/.
fn scan_files(office: &Path, id: &str) -> Vec<PathBuf> {
    std::fs::read_dir(office.join("data/documents").join(id))
        .map(|rd| rd.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default()
}

/// Extracts a bundle into a fresh folder and checks its sums there.
fn extract_and_check(zip: &Path, into: &Path, passphrase: Option<&str>) -> String {
    std::fs::create_dir_all(into).unwrap();
    let out = match passphrase {
        None => tool("unzip", &["-q", zip.to_str().unwrap()], into),
        Some(p) => tool("7z", &["x", &format!("-p{p}"), zip.to_str().unwrap()], into),
    };
    ok(&out, "extract");
    ok(
        &tool("sha256sum", &["--strict", "-c", "SHA256SUMS"], into),
        "sha256sum -c",
    )
}

fn pdftotext(pdf: &Path) -> String {
    let out = Command::new("pdftotext")
        .args(["-layout", pdf.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext runs (./scripts/test installs poppler-utils)");
    ok(&out, "pdftotext")
}

/// Sets a time in the past on the scans (as if received long ago), in the
/// state database, with Python's sqlite3.
fn age_scans(office: &Path) {
    let db = office.join("data/sigap.db");
    let script = "import sqlite3,sys\n\
        c=sqlite3.connect(sys.argv[1])\n\
        c.execute(\"UPDATE documents SET received_at='2025-01-01T00:00:00.000000Z'\")\n\
        c.execute(\"UPDATE archive_scans SET received_at='2025-01-01T00:00:00.000000Z'\")\n\
        c.commit()\n";
    let out = Command::new("python3")
        .args(["-c", script, db.to_str().unwrap()])
        .output()
        .expect("python3 runs");
    ok(&out, "age the scans");
}

fn register(tmp: &Path, name: &str, rows: &[String]) -> PathBuf {
    let p = tmp.join(name);
    write_register(&p, rows);
    p
}

#[test]
fn destruction_bundles_check_out_open_with_the_passphrase_and_guard_the_retention() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = office(tmp.path());
    let office = cfg.parent().unwrap().to_path_buf();
    let made = printed_office(&cfg);
    let (b1, b2) = (&made[0], &made[1]);
    let (c1, c2) = (cards(&office, b1), cards(&office, b2));
    let kec = |b: &str| {
        let m: serde_json::Value = serde_json::from_slice(
            &std::fs::read(office.join("spool/outgoing").join(b).join("manifest.json")).unwrap(),
        )
        .unwrap();
        m["kecamatan"].as_str().unwrap().replace('.', "")
    };
    assert_ne!(kec(b1), kec(b2), "batches are per kecamatan");
    // Cards of the first batch that came with stored scans (app and mail
    // applications; a form's uploads are Drive links, not files).
    let with_scans: Vec<&(String, String, String)> = c1
        .iter()
        .filter(|c| !scan_files(&office, &c.0).is_empty())
        .collect();
    assert!(
        with_scans.len() >= 3,
        "{} cards with scans",
        with_scans.len()
    );
    let now = register_now();
    let month = Utc::now()
        .with_timezone(&FixedOffset::east_opt(7 * 3600).unwrap())
        .format("%Y-%m")
        .to_string();

    // First register: three surrendered old cards in kecamatan 1, one in
    // kecamatan 2, and one card whose old card was kept.
    let first = [
        &with_scans[0].0,
        &with_scans[1].0,
        &with_scans[2].0,
        &c2[0].0,
    ];
    let mut rows: Vec<String> = first
        .iter()
        .map(|id| format!("{id},,,{now},Sri Wahyuni,ya"))
        .collect();
    let kept = c1.iter().find(|c| !first.contains(&&c.0)).unwrap();
    rows.push(format!("{},,,{now},Sri Wahyuni,tidak", kept.0));
    let reg = register(tmp.path(), "register-1.csv", &rows);
    sg(&cfg, &["pickups", "import", reg.to_str().unwrap()]).expect_code(0);

    let out = sg(&cfg, &["archive", "--month", &month]).expect_code(0);
    assert!(out.stdout.contains("bundles written 2"), "{}", out.stdout);
    let zips = bundles(&office);
    assert_eq!(zips.len(), 2, "{zips:?}");
    let z1 = office
        .join("out/archive")
        .join(format!("pemusnahan-{month}-{}-1.zip", kec(b1)));
    assert!(zips.contains(&z1), "{zips:?}");
    for z in &zips {
        let mode = std::fs::metadata(z).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", z.display());
        ok(
            &tool("unzip", &["-t", z.to_str().unwrap()], &office),
            "unzip -t",
        );
    }
    let all = apps(&cfg);
    for id in first {
        assert_eq!(state_of(&all, id), "ARCHIVED", "{id}");
    }
    assert_eq!(
        state_of(&all, &kept.0),
        "COLLECTED",
        "its old card was kept"
    );

    // The first kecamatan's bundle: sums, manifest, Berita Acara, scans.
    let x1 = tmp.path().join("x1");
    let checked = extract_and_check(&z1, &x1, None);
    assert!(checked.contains("manifest.csv: OK"), "{checked}");
    assert!(
        checked.contains("berita-acara-pemusnahan.pdf: OK"),
        "{checked}"
    );
    let manifest = std::fs::read_to_string(x1.join("manifest.csv")).unwrap();
    assert!(
        manifest.starts_with("no,id_permohonan,nama,alamat,kecamatan,tanggal_diambil,layanan"),
        "{manifest}"
    );
    let text = pdftotext(&x1.join("berita-acara-pemusnahan.pdf"));
    for label in [
        "BERITA ACARA PEMUSNAHAN",
        "Satpol PP",
        "Polri",
        "Inspektorat",
        "Saksi",
    ] {
        assert!(text.contains(label), "{label}\n{text}");
    }
    for c in with_scans.iter().take(3) {
        let (id, name) = (&c.0, &c.2);
        assert!(
            manifest.contains(id.as_str()) && manifest.contains(name.as_str()),
            "{id}"
        );
        assert!(text.contains(id.as_str()), "{id}\n{text}");
        assert!(text.contains(name.as_str()), "{name}\n{text}");
        // Every scan of the card is in the bundle, byte for byte, under a
        // generated name.
        let originals: BTreeSet<Vec<u8>> = scan_files(&office, id)
            .iter()
            .map(|p| std::fs::read(p).unwrap())
            .collect();
        let bundled: BTreeSet<Vec<u8>> = std::fs::read_dir(x1.join("persyaratan"))
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with(&format!("{id}-"))
            })
            .map(|e| std::fs::read(e.path()).unwrap())
            .collect();
        assert_eq!(bundled, originals, "{id}");
    }
    assert!(
        text.contains("Jumlah KTP-el lama yang dimusnahkan: 3 keping"),
        "{text}"
    );
    // The address is the population database's (street, RT/RW, village).
    let address = manifest.lines().nth(1).unwrap();
    assert!(address.contains("RT/RW"), "{address}");

    // The same month again: nothing written, nothing changed.
    let before: Vec<(Vec<u8>, std::time::SystemTime)> = zips
        .iter()
        .map(|z| {
            (
                std::fs::read(z).unwrap(),
                std::fs::metadata(z).unwrap().modified().unwrap(),
            )
        })
        .collect();
    let out = sg(&cfg, &["archive", "--month", &month]).expect_code(0);
    assert!(
        out.stdout
            .contains("bundles written 0, bundles made before 2, cards already archived 4"),
        "{}",
        out.stdout
    );
    let after: Vec<(Vec<u8>, std::time::SystemTime)> = bundles(&office)
        .iter()
        .map(|z| {
            (
                std::fs::read(z).unwrap(),
                std::fs::metadata(z).unwrap().modified().unwrap(),
            )
        })
        .collect();
    assert_eq!(after, before);

    // A later register of the same month: a second, encrypted bundle for
    // kecamatan 1 (part 2).
    let late = with_scans[3].0.clone();
    let reg = register(
        tmp.path(),
        "register-2.csv",
        &[format!("{late},,,{now},Sri Wahyuni,ya")],
    );
    sg(&cfg, &["pickups", "import", reg.to_str().unwrap()]).expect_code(0);
    let out = sg_with(
        &cfg,
        &[("SIGAP_ARCHIVE_PASSPHRASE", PASSPHRASE)],
        &["archive", "--month", &month],
    )
    .expect_code(0);
    assert!(out.stdout.contains("AES-256 encrypted"), "{}", out.stdout);
    assert!(!out.stdout.contains(PASSPHRASE) && !out.stderr.contains(PASSPHRASE));
    let z2 = office
        .join("out/archive")
        .join(format!("pemusnahan-{month}-{}-2.zip", kec(b1)));
    assert!(z2.exists(), "{:?}", bundles(&office));
    // Opens with the passphrase, and its sums check …
    ok(
        &tool(
            "7z",
            &["t", &format!("-p{PASSPHRASE}"), z2.to_str().unwrap()],
            &office,
        ),
        "7z t with the passphrase",
    );
    let x2 = tmp.path().join("x2");
    let checked = extract_and_check(&z2, &x2, Some(PASSPHRASE));
    assert!(
        checked.contains(&format!("persyaratan/{late}-1-")),
        "{checked}"
    );
    let manifest = std::fs::read_to_string(x2.join("manifest.csv")).unwrap();
    assert!(manifest.contains(&late), "{manifest}");
    // … and not without it, nor with a wrong one.
    for args in [
        vec!["t", "-pwrong-passphrase", z2.to_str().unwrap()],
        vec!["t", z2.to_str().unwrap()],
    ] {
        let out = tool("7z", &args, &office);
        assert!(!out.status.success(), "7z {args:?} opened it");
    }
    let out = tool(
        "unzip",
        &["-p", "-P", "", z2.to_str().unwrap(), "manifest.csv"],
        &office,
    );
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains(&late),
        "the manifest reads without the passphrase"
    );

    // Retention: the scans are now "old". Kecamatan 1's first bundle is
    // damaged on disk: its scans stay. Without the passphrase the encrypted
    // bundle cannot be read back: its scans stay too.
    let config = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(
        &cfg,
        config.replace("scan_retention_days = 0", "scan_retention_days = 30"),
    )
    .unwrap();
    age_scans(&office);
    let good = std::fs::read(&z1).unwrap();
    let mut bad = good.clone();
    let mid = bad.len() / 2;
    bad[mid] ^= 0xff;
    std::fs::write(&z1, &bad).unwrap();
    let scans_of =
        |ids: &[&String]| -> usize { ids.iter().map(|id| scan_files(&office, id).len()).sum() };
    let k1_first: Vec<&String> = first[..3].to_vec();
    let k1_scans = scans_of(&k1_first);
    let late_scans = scans_of(&[&late]);
    let kept_scans = scans_of(&[&kept.0]);
    let scans_of_c2 = scans_of(&[&c2[0].0]) as u64;
    assert!(k1_scans > 0 && late_scans > 0);
    let out = sg(&cfg, &["archive", "--month", &month]).expect_code(1);
    assert!(
        out.stdout.contains(&format!(
            "{} does not check out",
            z1.file_name().unwrap().to_string_lossy()
        )),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("SIGAP_ARCHIVE_PASSPHRASE"),
        "{}",
        out.stdout
    );
    assert_eq!(
        scans_of(&k1_first),
        k1_scans,
        "a damaged bundle deletes nothing"
    );
    assert_eq!(
        scans_of(&[&late]),
        late_scans,
        "an unread bundle deletes nothing"
    );
    // Kecamatan 2's bundle checks out: its old scans went in the same run.
    assert_eq!(scans_of(&[&c2[0].0]), 0);

    // The bundle restored, with the passphrase: everything checks out and
    // the old scans go; a re-run deletes nothing more.
    std::fs::write(&z1, &good).unwrap();
    let out = sg_with(
        &cfg,
        &[("SIGAP_ARCHIVE_PASSPHRASE", PASSPHRASE)],
        &["archive", "--month", &month],
    )
    .expect_code(0);
    let deleted = k1_scans + late_scans;
    assert!(
        out.stdout.contains(&format!("scans deleted {deleted}")),
        "{deleted}\n{}",
        out.stdout
    );
    assert_eq!(scans_of(&k1_first) + scans_of(&[&late]), 0);
    // The scans of a card not archived (old card kept) are untouched.
    assert_eq!(scans_of(&[&kept.0]), kept_scans);
    let out = sg_with(
        &cfg,
        &[("SIGAP_ARCHIVE_PASSPHRASE", PASSPHRASE)],
        &["archive", "--month", &month],
    )
    .expect_code(0);
    assert!(out.stdout.contains("scans deleted 0"), "{}", out.stdout);
    // The bundles still hold them.
    let x3 = tmp.path().join("x3");
    extract_and_check(&z1, &x3, None);
    let status = sg(&cfg, &["status", "--json"]).expect_code(0);
    let status: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(status["archive"]["bundles"], 3);
    assert_eq!(status["archive"]["old_cards_waiting"], 0);
    assert_eq!(
        status["archive"]["scans_deleted"].as_u64(),
        Some(deleted as u64 + scans_of_c2)
    );
}
