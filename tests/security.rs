//! No input can make sigap write outside the office directory: hostile
//! attachment names, a zip whose entries climb out (zip-slip), app exports
//! naming files outside the inbox, results files and command-line batch ids
//! with path parts. The whole nightly runs on such input; afterwards every
//! file under the test's root is inside the office, nothing appeared at the
//! absolute paths the input names, and every file jobs wrote is private.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::support::{Run, copy_office, repo_root, sigap, tree};

fn sg(cfg: &Path, args: &[&str]) -> Run {
    let mut c = sigap();
    c.env("SIGAP_INGEST_SETTLE_MS", "0");
    c.arg("--config").arg(cfg).args(args);
    c.output().expect("sigap runs").into()
}

/// A zip with entries that climb out of any folder it is unpacked into.
fn zip_slip(path: &Path, outside: &Path) {
    let script = format!(
        "import zipfile\nz = zipfile.ZipFile({:?}, 'w')\nz.writestr('../../../../escaped-by-zip.txt', 'x')\nz.writestr({:?}, 'x')\nz.close()\n",
        path.to_str().unwrap(),
        outside.join("absolute-by-zip.txt").to_str().unwrap(),
    );
    let out = std::process::Command::new("python3")
        .args(["-c", &script])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
}

fn mail_with(attachments: &[(&str, &str, &[u8])]) -> Vec<u8> {
    use std::fmt::Write;
    let mut m = String::from(
        "From: Budi <budi@example.org>\r\nTo: disdukcapil@bantulkab.go.id\r\nSubject: Permohonan KTP-el\r\nMessage-ID: <hostile-1@example.org>\r\nDate: Thu, 19 Nov 2026 08:01:00 +0700\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nNIK: 3402151708900001\r\nNama: Budi\r\nJenis Permohonan: KTP-el Baru\r\nKecamatan Pengambilan: Sewon\r\n",
    );
    for (name, ctype, bytes) in attachments {
        let _ = write!(
            m,
            "--b\r\nContent-Type: {ctype}; name=\"{name}\"\r\nContent-Disposition: attachment; filename=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n",
            base64(bytes)
        );
    }
    m.push_str("--b--\r\n");
    m.into_bytes()
}

fn base64(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in bytes.chunks(3) {
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= c.len() {
                out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn no_input_writes_outside_the_office_and_what_jobs_write_is_private() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let cfg_dir = root.join("office");
    copy_office(&repo_root().join("sample-data"), &cfg_dir);
    let cfg = cfg_dir.join("sigap.toml");
    // Absolute paths the input names, outside the office.
    let outside = root.join("outside");
    std::fs::create_dir_all(&outside).unwrap();

    let zip = root.join("slip.zip");
    zip_slip(&zip, &outside);
    let zip_bytes = std::fs::read(&zip).unwrap();
    std::fs::remove_file(&zip).unwrap();
    let abs = format!("{}/absolute.pdf", outside.display());
    std::fs::write(
        cfg_dir.join("inbox/mail/new/hostile.eml"),
        mail_with(&[
            ("../../../../escaped.pdf", "application/pdf", b"%PDF-1.4 kk"),
            (&abs, "application/pdf", b"%PDF-1.4 kk"),
            ("kk.zip", "application/zip", &zip_bytes),
            ("..\\..\\kk_windows.pdf", "application/pdf", b"%PDF-1.4 kk"),
        ]),
    )
    .unwrap();
    std::fs::write(
        cfg_dir.join("inbox/app/hostile.ndjson"),
        format!(
            "{{\"id\":\"H1\",\"submitted_at\":\"2026-11-17T08:00:00+07:00\",\"nik\":\"3402151708900001\",\"name\":\"SRI\",\"service\":\"ktp_hilang\",\"documents\":[{{\"kind\":\"kk\",\"file\":\"../../../sigap.toml\"}},{{\"kind\":\"kk\",\"file\":\"{}\"}}]}}\n",
            cfg.display()
        ),
    )
    .unwrap();
    // Station results whose names and contents try to climb out.
    let results = cfg_dir.join("spool/results");
    std::fs::create_dir_all(&results).unwrap();
    std::fs::write(
        results.join("..B-1.csv"),
        "application_id,nik,result,blanko_serial,reason\n../../x,1,PRINTED,1,\n",
    )
    .unwrap();
    std::fs::write(
        results.join("B-..%2f..%2fescape.csv"),
        "application_id,nik,result,blanko_serial,reason\n",
    )
    .unwrap();
    let before: Vec<PathBuf> = tree(root).into_iter().map(|(p, _)| p).collect();

    sg(&cfg, &["blanko", "receive", "500", "--ref", "SEC-1"]).expect_code(0);
    sg(&cfg, &["nightly"]).expect_code(1);
    sg(&cfg, &["station", "results"]);
    for bad in ["../../escape", "/tmp/escape", "B-1/../../x", ".."] {
        let out = sg(&cfg, &["station", "confirm", bad]);
        assert_ne!(out.code, 0, "confirm {bad}: {}", out.stdout);
    }
    sg(&cfg, &["nightly"]);

    // Every file is in the office (or was there before), and none at the
    // names the input gave.
    let after: Vec<PathBuf> = tree(root).into_iter().map(|(p, _)| p).collect();
    let new: Vec<&PathBuf> = after.iter().filter(|p| !before.contains(p)).collect();
    assert!(!new.is_empty());
    for p in &new {
        assert!(
            p.starts_with("office/"),
            "written outside the office: {p:?}"
        );
    }
    assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0);
    for name in [
        "escaped.pdf",
        "escaped-by-zip.txt",
        "kk_windows.pdf",
        "escape",
    ] {
        assert!(!root.join(name).exists() && !Path::new("/tmp").join(name).exists());
    }

    // The zip was quarantined as a file, never unpacked; the hostile names
    // are kept as data in the quarantine record.
    let q = sg(&cfg, &["quarantine", "list", "--json"]).expect_code(0);
    let q: Vec<serde_json::Value> = serde_json::from_str(&q.stdout).unwrap();
    let sources: Vec<&str> = q.iter().map(|e| e["source"].as_str().unwrap()).collect();
    assert!(
        q.iter().any(
            |e| e["source"] == "mail/new/hostile.eml#kk.zip" && e["reason"] == "FORBIDDEN_TYPE"
        ),
        "{sources:?}"
    );

    // What jobs wrote with personal data is the owner's only.
    for rel in new.iter().filter(|p| {
        ["office/data", "office/out", "office/spool/outgoing"]
            .iter()
            .any(|d| p.starts_with(d))
    }) {
        let mode = std::fs::metadata(root.join(rel))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "{}", rel.display());
    }
}
