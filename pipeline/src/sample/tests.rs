use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::path::{Path, PathBuf};

use chrono::{Datelike, Duration, NaiveDate};
use polars::prelude::{ParquetReader, SerReader};

use super::*;
use crate::domain::nik::{NumberError, clean_digits, parse_kk, parse_nik};

fn opts(profile: &str, population: u64, applications: u64, seed: u64) -> SampleOptions {
    SampleOptions {
        profile: profile.into(),
        population,
        applications,
        seed,
        as_of: default_as_of(),
        weeks: 0,
    }
}

/// Every file under `root`, relative, in order.
fn tree(root: &Path) -> Vec<PathBuf> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<_> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.push(p.strip_prefix(root).unwrap().to_path_buf());
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out
}

#[test]
fn the_same_options_give_byte_identical_offices() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let o = opts("bantul", 2_000, 200, 1);
    let ma = generate(a.path(), &o).unwrap();
    let mb = generate(b.path(), &o).unwrap();
    assert_eq!(ma, mb);
    let files = tree(a.path());
    assert_eq!(files, tree(b.path()));
    assert!(files.len() > 100, "{} files", files.len());
    for f in &files {
        assert_eq!(
            fs::read(a.path().join(f)).unwrap(),
            fs::read(b.path().join(f)).unwrap(),
            "{}",
            f.display()
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(a.path().join(f)).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", f.display());
        }
    }
    let c = tempfile::tempdir().unwrap();
    let mc = generate(c.path(), &opts("bantul", 2_000, 200, 2)).unwrap();
    assert_ne!(
        ma.applications, mc.applications,
        "another seed, another office"
    );
}

/// One row of the snapshot, as the checks need it.
#[derive(Debug, Clone)]
struct Row {
    kk: String,
    name: String,
    birth_date: NaiveDate,
    sex: String,
    district: String,
    marital: String,
    recorded: bool,
    status: String,
}

fn read_population(path: &Path) -> (polars::prelude::DataFrame, HashMap<String, Row>) {
    let df = ParquetReader::new(fs::File::open(path).unwrap())
        .finish()
        .unwrap();
    let names: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(
        names,
        [
            "nik",
            "kk_number",
            "name",
            "birth_place",
            "birth_date",
            "sex",
            "address",
            "rt",
            "rw",
            "village_code",
            "district_code",
            "religion",
            "occupation",
            "marital_status",
            "biometric_recorded",
            "status",
            "last_card_printed_at"
        ]
    );
    let s = |c: &str| df.column(c).unwrap().str().unwrap().clone();
    let (nik, kk, name, sex, district, marital, status) = (
        s("nik"),
        s("kk_number"),
        s("name"),
        s("sex"),
        s("district_code"),
        s("marital_status"),
        s("status"),
    );
    let birth = df
        .column("birth_date")
        .unwrap()
        .date()
        .unwrap()
        .physical()
        .clone();
    let recorded = df
        .column("biometric_recorded")
        .unwrap()
        .bool()
        .unwrap()
        .clone();
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
    let mut rows = HashMap::new();
    for i in 0..df.height() {
        let row = Row {
            kk: kk.get(i).unwrap().to_string(),
            name: name.get(i).unwrap().to_string(),
            birth_date: epoch + Duration::days(i64::from(birth.get(i).unwrap())),
            sex: sex.get(i).unwrap().to_string(),
            district: district.get(i).unwrap().to_string(),
            marital: marital.get(i).unwrap().to_string(),
            recorded: recorded.get(i).unwrap(),
            status: status.get(i).unwrap().to_string(),
        };
        assert!(
            rows.insert(nik.get(i).unwrap().to_string(), row).is_none(),
            "NIKs are unique"
        );
    }
    (df, rows)
}

/// Optimal string alignment distance (an adjacent transposition is one edit).
fn osa(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

fn age_on(birth: NaiveDate, on: NaiveDate) -> i32 {
    on.year() - birth.year() - i32::from((on.month(), on.day()) < (birth.month(), birth.day()))
}

/// Re-reads everything in `dir` and checks it against the manifest.
fn check_office(dir: &Path, m: &Manifest) {
    let on_disk: Manifest =
        serde_json::from_slice(&fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(&on_disk, m);
    let config = Config::load(&dir.join("sigap.toml"), |_| None).unwrap();
    let w = Wilayah::embedded();
    let as_of = m.options.as_of;
    let inbox = dir.join("inbox");

    // The snapshot.
    let (df, pop) = read_population(&dir.join(&m.population.file));
    let p = &m.population;
    assert_eq!(df.height() as u64, p.residents);
    assert_eq!(p.residents, m.options.population);
    let count = |f: &dyn Fn(&Row) -> bool| pop.values().filter(|r| f(r)).count() as u64;
    assert_eq!(count(&|r| r.status == "MENINGGAL"), p.deceased);
    assert_eq!(count(&|r| r.status == "PINDAH"), p.moved_out);
    assert_eq!(count(&|r| !r.recorded), p.not_recorded);
    assert_eq!(
        count(&|r| age_on(r.birth_date, as_of) < 17 && r.marital == "BELUM KAWIN"),
        p.under_17_unmarried
    );
    assert_eq!(
        count(&|r| age_on(r.birth_date, as_of) < 17 && r.marital != "BELUM KAWIN"),
        p.under_17_married
    );
    let families: BTreeSet<&str> = pop.values().map(|r| r.kk.as_str()).collect();
    assert_eq!(families.len() as u64, p.families);
    if p.residents >= 1_000 {
        let share = |n: u64| n * 1000 / p.residents;
        for (what, n) in [
            ("deceased", p.deceased),
            ("moved out", p.moved_out),
            ("not recorded", p.not_recorded),
            ("under 17", p.under_17_unmarried),
        ] {
            assert!(
                (5..=120).contains(&share(n)),
                "{what}: {n} of {}",
                p.residents
            );
        }
        assert!(p.under_17_married >= 1);
    }
    for (nik, r) in &pop {
        let info = parse_nik(nik, w, as_of).unwrap_or_else(|e| panic!("{nik}: {e}"));
        assert_eq!(info.birth_date, r.birth_date, "{nik}");
        assert_eq!(info.sex.code(), r.sex, "{nik}");
        assert_eq!(
            info.district.regency_code, config.office.kabupaten_code,
            "{nik}"
        );
        let kk = parse_kk(&r.kk, w, as_of).unwrap_or_else(|e| panic!("{}: {e}", r.kk));
        assert_eq!(kk.district.code, r.district);
        assert_eq!(r.name, r.name.to_uppercase());
    }

    // Forms: both exports, cumulative, with the lines the manifest names.
    let mut records_at: BTreeMap<String, csv::StringRecord> = BTreeMap::new();
    let mut form_rows = 0;
    let mut exports: Vec<Vec<Vec<String>>> = Vec::new();
    for (n, f) in m.inputs.forms.iter().enumerate() {
        let bytes = fs::read(inbox.join(&f.file)).unwrap();
        let body = match bytes.strip_prefix("\u{feff}".as_bytes()) {
            Some(rest) => {
                assert_eq!(n, 0, "only the English export has a BOM");
                assert!(String::from_utf8_lossy(rest).contains("\r\n"));
                rest
            }
            None => {
                assert_eq!(n, 1);
                assert!(!String::from_utf8_lossy(&bytes).contains('\r'));
                &bytes[..]
            }
        };
        assert!(body.starts_with(if n == 0 {
            b"\"Timestamp\""
        } else {
            b"\"Cap waktu\""
        }));
        let mut reader = csv::Reader::from_reader(body);
        let mut rows = Vec::new();
        for rec in reader.records() {
            let rec = rec.unwrap();
            // csv 1.4 ends a record at the `\r` of a CRLF and starts the
            // next at its `\n`, so `Position::line` runs one short in CRLF
            // files: skip the terminator and count lines from the bytes.
            let mut byte = usize::try_from(rec.position().unwrap().byte()).unwrap();
            while matches!(body.get(byte), Some(b'\r' | b'\n')) {
                byte += 1;
            }
            let line = 1 + body[..byte].iter().filter(|b| **b == b'\n').count();
            rows.push(rec.iter().skip(1).map(str::to_string).collect::<Vec<_>>());
            records_at.insert(format!("{}:{line}", f.file), rec);
        }
        assert_eq!(rows.len() as u64, f.rows, "{}", f.file);
        form_rows += f.rows;
        exports.push(rows);
    }
    assert_eq!(exports.len(), 2);
    assert!(exports[0].len() <= exports[1].len());
    assert_eq!(
        exports[0][..],
        exports[1][..exports[0].len()],
        "the later export repeats the earlier"
    );
    let first_stamp = records_at
        .iter()
        .find(|(k, _)| k.contains(&m.inputs.forms[0].file))
        .map(|(_, r)| r[0].to_string());
    if let Some(stamp) = first_stamp {
        let gmt = format!("GMT{}", &m.office.utc_offset[..1]);
        assert!(
            stamp.contains(&gmt) && (stamp.contains(" AM ") || stamp.contains(" PM ")),
            "{stamp}"
        );
    }

    // App exports and their files.
    let mut app_records: BTreeMap<String, serde_json::Value> = BTreeMap::new();
    for f in &m.inputs.app {
        let text = fs::read_to_string(inbox.join(&f.file)).unwrap();
        let values: Vec<serde_json::Value> = if f.file.ends_with(".json") {
            serde_json::from_str(&text).unwrap()
        } else {
            text.lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect()
        };
        assert_eq!(values.len() as u64, f.records, "{}", f.file);
        for v in values {
            for d in v["documents"].as_array().unwrap() {
                let file = inbox.join("app").join(d["file"].as_str().unwrap());
                assert!(
                    fs::read(&file).unwrap().starts_with(b"%PDF-1.4"),
                    "{}",
                    file.display()
                );
            }
            let id = v["id"].as_str().unwrap().to_string();
            chrono::DateTime::parse_from_rfc3339(v["submitted_at"].as_str().unwrap()).unwrap();
            app_records.insert(format!("{}#{id}", f.file), v);
        }
    }

    // Mail: count the files and read their Message-IDs.
    let mut messages: BTreeMap<String, String> = BTreeMap::new();
    let (mut new, mut cur, mut loose) = (0, 0, 0);
    for p in tree(&inbox.join("mail")) {
        let rel = format!("mail/{}", p.display());
        let text = String::from_utf8_lossy(&fs::read(inbox.join(&rel)).unwrap()).to_string();
        assert!(
            !text.replace("\r\n", "").contains('\n'),
            "{rel} has bare LF"
        );
        let id = text
            .lines()
            .find_map(|l| l.strip_prefix("Message-ID: "))
            .unwrap_or_else(|| panic!("{rel} has no Message-ID"))
            .to_string();
        assert!(text.lines().any(|l| l.starts_with("Date: ")));
        assert!(text.lines().all(|l| l.len() <= 998));
        if rel.starts_with("mail/new/") {
            new += 1;
        } else if rel.starts_with("mail/cur/") {
            assert!(rel.ends_with(":2,S"));
            cur += 1;
        } else {
            assert!(rel.ends_with(".eml"));
            loose += 1;
        }
        messages.insert(rel, id);
    }
    let mi = &m.inputs.mail;
    assert_eq!((new, cur, loose), (mi.new, mi.cur, mi.loose));
    assert_eq!(mi.messages, new + cur + loose);

    // Every source names a real record holding what the manifest says.
    let mut seen_sources = BTreeSet::new();
    for a in &m.applications {
        assert!(!a.sources.is_empty());
        for s in &a.sources {
            assert!(seen_sources.insert(s.clone()), "{s} used twice");
            match a.channel.as_str() {
                "form" => {
                    let rec = records_at
                        .get(s)
                        .unwrap_or_else(|| panic!("no record at {s}"));
                    assert_eq!(&rec[2], a.nik, "{s}");
                }
                "app" => {
                    let v = app_records
                        .get(s)
                        .unwrap_or_else(|| panic!("no record {s}"));
                    assert_eq!(v["nik"], a.nik.as_str());
                    assert_eq!(v["service"], a.service.as_str());
                }
                _ => assert_eq!(messages.get(s), a.message_id.as_ref(), "{s}"),
            }
        }
    }
    for q in &m.quarantine {
        assert!(
            seen_sources.insert(q.source.clone()),
            "{} used twice",
            q.source
        );
        assert!(
            records_at.contains_key(&q.source)
                || app_records.contains_key(&q.source)
                || messages.contains_key(&q.source),
            "{}",
            q.source
        );
    }

    // The accounting adds up, from the files' own counts.
    let e = &m.expected.ingest;
    let app_count: u64 = m.inputs.app.iter().map(|f| f.records).sum();
    assert_eq!(e.read, form_rows + app_count + mi.messages);
    assert_eq!(e.read, e.new + e.already_known + e.quarantined);
    assert_eq!(e.new, m.applications.len() as u64);
    assert_eq!(e.new, m.options.applications);
    assert_eq!(e.quarantined, m.quarantine.len() as u64);
    assert_eq!(seen_sources.len() as u64, e.read);
    assert_eq!(m.expected.verify.states.values().sum::<u64>(), e.new);
    let mut planted: BTreeMap<String, u64> = BTreeMap::new();
    for a in &m.applications {
        *planted
            .entry(a.planted.clone().unwrap_or_else(|| "none".into()))
            .or_default() += 1;
    }
    for q in &m.quarantine {
        *planted.entry(q.planted.clone()).or_default() += 1;
    }
    for (k, v) in &planted {
        assert_eq!(m.planted[k], *v, "{k}");
    }
    assert_eq!(
        m.planted["form_export_repeat"] + m.planted["mail_delivered_twice"],
        e.already_known
    );
    assert_eq!(
        m.planted["forbidden_attachment"],
        m.expected.attachments_quarantined
    );
    for qa in &m.quarantined_attachments {
        let message = qa.source.split('#').next().unwrap();
        let text = fs::read_to_string(inbox.join(message)).unwrap();
        assert!(text.contains(&format!("filename=\"{}\"", qa.file)));
    }

    // Each application is what it claims to be.
    let mut used: BTreeMap<String, u32> = BTreeMap::new();
    let originals: BTreeSet<&str> = m
        .applications
        .iter()
        .filter_map(|a| a.duplicate_of.as_deref())
        .collect();
    for a in &m.applications {
        let service: crate::Service = a.service.parse().unwrap();
        // Verification judges age on the day the application was submitted.
        let submitted_on = chrono::DateTime::parse_from_rfc3339(&a.submitted_at)
            .unwrap()
            .date_naive();
        let required = &config.services[&service].documents;
        let missing = required.iter().filter(|k| !a.documents.contains(k)).count();
        assert_eq!(
            missing > 0,
            a.planted.as_deref() == Some("missing_documents"),
            "{a:?}"
        );
        if let Some(r) = &a.resident_nik {
            *used.entry(r.clone()).or_default() += 1;
        }
        let row = a.resident_nik.as_ref().map(|n| {
            pop.get(n)
                .unwrap_or_else(|| panic!("{n} not in population"))
        });
        let typed = clean_digits(&a.nik);
        match a.planted.as_deref() {
            None | Some("missing_documents" | "duplicate_in_flight") => {
                let row = row.unwrap();
                assert_eq!(typed.as_deref(), Ok(a.resident_nik.as_deref().unwrap()));
                assert_eq!(row.status, "AKTIF");
                assert!(row.recorded);
                assert!(age_on(row.birth_date, submitted_on) >= 17 || row.marital == "KAWIN");
                if a.variations.iter().all(|v| {
                    v.starts_with("nik_")
                        || v == "leading_apostrophe"
                        || v == "phone_embedded_newline"
                }) {
                    assert_eq!(a.name, row.name, "{a:?}");
                } else {
                    assert_ne!(a.name, row.name);
                    let plain: String = a
                        .name
                        .to_uppercase()
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" ");
                    assert!(plain.contains(&row.name), "{} vs {}", a.name, row.name);
                }
                if a.planted.is_none()
                    && !originals.is_empty()
                    && originals.contains(a.sources[0].as_str())
                {
                    assert!(a.expected_state == "VERIFIED");
                }
            }
            Some("name_typo") => assert_eq!(
                osa(&a.name, &row.unwrap().name),
                1,
                "{} / {}",
                a.name,
                row.unwrap().name
            ),
            Some("kk_mismatch") => {
                let row = row.unwrap();
                let kk = app_kk(a, &records_at, &app_records, &inbox);
                assert!(parse_kk(&kk, w, as_of).is_ok(), "{kk}");
                assert_ne!(kk, row.kk);
            }
            Some("wrong_birth_date") => assert!(typed.is_ok()),
            Some("unknown_nik") => {
                assert!(parse_nik(&a.nik, w, as_of).is_ok());
                assert!(!pop.contains_key(&a.nik));
            }
            Some("malformed_nik") => {
                let err = parse_nik(&a.nik, w, as_of).unwrap_err();
                assert!(
                    !matches!(
                        err,
                        NumberError::Empty | NumberError::ScientificNotation { .. }
                    ),
                    "{err:?}"
                );
            }
            Some("deceased") => assert_eq!(row.unwrap().status, "MENINGGAL"),
            Some("moved_out") => assert_eq!(row.unwrap().status, "PINDAH"),
            Some("not_recorded") => {
                let row = row.unwrap();
                assert!(
                    !row.recorded
                        && row.status == "AKTIF"
                        && age_on(row.birth_date, submitted_on) >= 17
                );
                assert!(service.is_ktp());
            }
            Some("underage") => {
                let row = row.unwrap();
                assert!(row.recorded && row.status == "AKTIF" && row.marital == "BELUM KAWIN");
                assert!(age_on(row.birth_date, submitted_on) < 17);
                assert!(service.is_ktp());
            }
            Some(other) => panic!("unexpected plant {other}"),
        }
        if let Some(orig) = &a.duplicate_of {
            let first = m
                .applications
                .iter()
                .find(|o| &o.sources[0] == orig)
                .unwrap();
            assert_eq!(first.resident_nik, a.resident_nik);
            assert_eq!(first.service, a.service);
            assert_ne!(first.channel, a.channel);
            assert!(
                first.submitted_at < a.submitted_at || {
                    let t = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap();
                    t(&first.submitted_at) < t(&a.submitted_at)
                }
            );
        }
    }
    for (nik, n) in used {
        let dups = m
            .applications
            .iter()
            .filter(|a| a.resident_nik.as_deref() == Some(&nik) && a.duplicate_of.is_some())
            .count() as u32;
        assert_eq!(n, 1 + dups, "{nik} used by {n} applications");
    }
}

/// The KK number as written in the application's first source.
fn app_kk(
    a: &ExpectedApplication,
    forms: &BTreeMap<String, csv::StringRecord>,
    apps: &BTreeMap<String, serde_json::Value>,
    inbox: &Path,
) -> String {
    let s = &a.sources[0];
    match a.channel.as_str() {
        "form" => forms[s][3].trim_start_matches('\'').to_string(),
        "app" => apps[s]["kk_number"].as_str().unwrap().to_string(),
        _ => {
            let raw = fs::read(inbox.join(s)).unwrap();
            let text = String::from_utf8_lossy(&raw).replace("=\r\n", "");
            text.lines()
                .find_map(|l| {
                    l.strip_prefix("No KK: ")
                        .or_else(|| l.strip_prefix("Nomor KK: "))
                })
                .map(|v| v.trim_end_matches("<br>").to_string())
                .unwrap()
        }
    }
}

#[test]
fn the_manifest_matches_the_files_for_every_profile() {
    for (profile, population, applications) in [
        ("bantul", 2_000, 200),
        ("tabanan", 1_200, 120),
        ("kapuas", 1_200, 120),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let m = generate(dir.path(), &opts(profile, population, applications, 7)).unwrap();
        check_office(dir.path(), &m);
        for k in [
            "none",
            "missing_documents",
            "name_typo",
            "kk_mismatch",
            "wrong_birth_date",
            "unknown_nik",
            "malformed_nik",
            "deceased",
            "moved_out",
            "not_recorded",
            "underage",
            "duplicate_in_flight",
            "scientific_nik",
            "unknown_service",
            "empty_nik",
            "non_application_email",
            "forbidden_attachment",
            "form_export_repeat",
            "mail_delivered_twice",
        ] {
            assert!(m.planted[k] > 0, "{profile}: nothing planted for {k}");
        }
        for ch in ["form", "app", "mail"] {
            assert!(
                m.applications.iter().any(|a| a.channel == ch),
                "{profile}: no {ch}"
            );
        }
    }
}

#[test]
fn names_and_timezones_follow_the_region() {
    let dir = tempfile::tempdir().unwrap();
    let m = generate(dir.path(), &opts("tabanan", 800, 40, 3)).unwrap();
    let (_, pop) = read_population(&dir.path().join("population.parquet"));
    let balinese = pop
        .values()
        .filter(|r| r.name.starts_with("I ") || r.name.starts_with("NI "))
        .count();
    assert!(balinese * 10 > pop.len() * 7, "{balinese} of {}", pop.len());
    assert_eq!(m.office.utc_offset, "+08:00");
    let export =
        fs::read_to_string(dir.path().join("inbox").join(&m.inputs.forms[0].file)).unwrap();
    assert!(export.contains(" GMT+8\""), "WITA forms say GMT+8");
    assert!(
        m.applications
            .iter()
            .all(|a| a.submitted_at.ends_with("+08:00"))
    );

    let dir = tempfile::tempdir().unwrap();
    generate(dir.path(), &opts("kapuas", 800, 40, 3)).unwrap();
    let (_, pop) = read_population(&dir.path().join("population.parquet"));
    let banjar = pop
        .values()
        .filter(|r| {
            r.name.starts_with("MUHAMMAD ")
                || r.name.starts_with("SITI ")
                || r.name.starts_with("AHMAD ")
        })
        .count();
    let dayak = pop
        .values()
        .filter(|r| {
            ["SABRAN", "BUNGAI", "LIBER", "TAMBUN", "MIHING", "NAHAN"]
                .iter()
                .any(|n| r.name.contains(n))
        })
        .count();
    assert!(banjar > 0 && dayak > 0, "banjar {banjar}, dayak {dayak}");
}

#[test]
fn special_rows_are_where_the_parsers_will_meet_them() {
    let dir = tempfile::tempdir().unwrap();
    let m = generate(dir.path(), &opts("bantul", 2_000, 200, 11)).unwrap();
    let inbox = dir.path().join("inbox");
    let later = fs::read_to_string(inbox.join(&m.inputs.forms[1].file)).unwrap();
    assert!(later.contains("\n(WA)\""), "a phone cell with a newline");
    assert!(
        m.applications
            .iter()
            .any(|a| a.channel == "form" && a.name.contains(", S.Pd"))
    );
    assert!(later.contains("E+15\""), "a NIK in scientific notation");
    assert!(later.contains("\"Paspor\""));
    let twice: Vec<_> = m
        .applications
        .iter()
        .filter(|a| a.channel == "mail" && a.sources.len() == 2)
        .collect();
    assert_eq!(twice.len(), 1);
    let (x, y) = (
        fs::read(inbox.join(&twice[0].sources[0])).unwrap(),
        fs::read(inbox.join(&twice[0].sources[1])).unwrap(),
    );
    assert_eq!(x, y, "the same message delivered twice");
    let mails: Vec<String> = tree(&inbox.join("mail"))
        .iter()
        .map(|p| fs::read_to_string(inbox.join("mail").join(p)).unwrap())
        .collect();
    assert!(mails.iter().any(|t| t.contains("charset=ISO-8859-1")
        && t.contains("quoted-printable")
        && t.contains("=B7")));
    assert!(
        mails
            .iter()
            .any(|t| t.contains("Content-Type: text/html") && !t.contains("text/plain"))
    );
    assert!(
        mails
            .iter()
            .any(|t| t.contains("Content-Type: application/pdf") && t.contains("base64"))
    );
}

#[test]
fn attachment_names_read_as_their_kind() {
    for profile in crate::config::profiles::NAMES {
        let config = Config::from_toml(
            crate::config::profiles::text(profile).unwrap(),
            Path::new("/x/sigap.toml"),
        )
        .unwrap();
        let mut r = rng::Rng::new(5, 5);
        for rule in config.services.values() {
            for kind in &rule.documents {
                for word in ["santoso", "sudarsana", "kkk"] {
                    let file = attachments::attachment_name(kind, word, &config.documents, &mut r)
                        .unwrap();
                    assert_eq!(
                        attachments::kind_of(&file, &config.documents).as_deref(),
                        Some(kind.as_str()),
                        "{profile}: {file}"
                    );
                }
            }
        }
    }
}

#[test]
fn typos_are_exactly_one_edit() {
    let mut r = rng::Rng::new(9, 9);
    for name in [
        "BUDI SANTOSO",
        "I WAYAN SUDARSANA",
        "NI MADE ARIANI",
        "SRI WAHYUNI",
        "MUHAMMAD RAHMADI",
        "LIBER",
        "ANNA",
    ] {
        for _ in 0..200 {
            let (t, _) = plan::typo(name, &mut r);
            assert_eq!(osa(&t, name), 1, "{name} -> {t}");
        }
    }
}

#[test]
fn refuses_an_existing_office_and_a_population_too_small() {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path(), &opts("kapuas", 300, 20, 1)).unwrap();
    assert!(matches!(
        generate(dir.path(), &opts("kapuas", 300, 20, 1)),
        Err(SampleError::Init(_))
    ));
    let dir = tempfile::tempdir().unwrap();
    let err = generate(dir.path(), &opts("bantul", 100, 500, 1)).unwrap_err();
    assert!(
        matches!(err, SampleError::PopulationTooSmall { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("--population"));
    let dir = tempfile::tempdir().unwrap();
    let m = generate(dir.path(), &opts("bantul", 50, 0, 1)).unwrap();
    assert_eq!(m.expected.ingest, IngestExpectation::default());
    assert_eq!(m.population.residents, 50);
}

#[test]
fn a_history_is_a_legal_log_and_the_same_for_the_same_seed() {
    let make = || {
        let dir = tempfile::tempdir().unwrap();
        let opts = SampleOptions {
            weeks: 4,
            applications: 60,
            population: 800,
            ..SampleOptions::default()
        };
        let m = generate(dir.path(), &opts).unwrap();
        let store = crate::store::Store::open(&dir.path().join("data/sigap.db")).unwrap();
        assert_eq!(store.check_consistency().unwrap(), Vec::<String>::new());
        assert!(store.blanko_balance().unwrap().balanced());
        let events: Vec<_> = store
            .all_events()
            .unwrap()
            .into_iter()
            .map(|e| (e.application, e.from, e.to, e.at, e.actor))
            .collect();
        (m.history.unwrap(), events)
    };
    let (h, events) = make();
    assert_eq!(h.weeks, 4);
    assert_eq!(h.to, default_as_of() - chrono::Duration::days(1));
    assert!(h.applications > 150, "{h:?}");
    for state in ["COLLECTED", "READY", "REJECTED", "INCOMPLETE"] {
        assert!(
            h.states.get(state).copied().unwrap_or(0) > 0,
            "{state}: {h:?}"
        );
    }
    assert!(h.blanko_spoiled > 0 && h.notices_sent > 0, "{h:?}");
    // Every time is a whole minute, inside the history.
    let end = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, 19, 17, 0, 0).unwrap();
    assert!(
        events
            .iter()
            .all(|e| e.3.timestamp() % 60 == 0 && e.3 < end)
    );
    assert_eq!(make(), (h, events));
}
