use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone, Utc};

use super::run::{
    apply_results, dispatch_batch, faces, make_batches, overdue_batches, plan_tonight, undispatched,
};
use super::*;
use crate::adapters::station::HotFolder;
use crate::digest::sha256_hex;
use crate::domain::application::{NewApplication, Source};
use crate::domain::blanko::{BlankoBalance, Movement};
use crate::domain::service::Service;
use crate::domain::state::State;
use crate::ports::{Dispatch, Station, StationError};
use crate::store::{Change, Store, StoreError};

fn at(min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 1, 0, 0).unwrap() + chrono::Duration::minutes(min as i64)
}

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()
}

fn wilayah() -> &'static Wilayah {
    Wilayah::embedded()
}

fn cand(id: i64, kec: Option<&str>, min: u32) -> Candidate {
    Candidate {
        id: ApplicationId(id),
        kecamatan: kec.map(String::from),
        complete_at: at(min),
    }
}

// 34.02.15 is Sewon and 34.02.16 Kasihan in the Kemendagri list.
const SEWON: &str = "34.02.15";
const KASIHAN: &str = "34.02.16";

#[test]
fn stock_goes_to_the_oldest_first_whatever_the_kecamatan() {
    let c = vec![
        cand(1, Some(SEWON), 30),
        cand(2, Some(KASIHAN), 10),
        cand(3, Some(SEWON), 20),
        cand(4, Some(KASIHAN), 40),
        cand(5, None, 0),
    ];
    let p = plan(&c, 2, 100, day(), &BTreeSet::new(), wilayah());
    let in_batches: Vec<Vec<i64>> = p
        .batches
        .iter()
        .map(|b| b.applications.iter().map(|a| a.0).collect())
        .collect();
    assert_eq!(in_batches, vec![vec![3], vec![2]], "{p:?}");
    assert_eq!(p.batches[0].id, "B-20261120-SEWON-1");
    assert_eq!(p.batches[1].id, "B-20261120-KASIHAN-1");
    assert_eq!(
        p.waiting,
        vec![
            (ApplicationId(5), WaitReason::NoPickupKecamatan),
            (ApplicationId(1), WaitReason::NoStock),
            (ApplicationId(4), WaitReason::NoStock),
        ]
    );
}

#[test]
fn batches_are_cut_at_the_size_and_numbers_continue() {
    let c: Vec<Candidate> = (1..=7).map(|i| cand(i, Some(SEWON), i as u32)).collect();
    let existing: BTreeSet<String> = ["B-20261120-SEWON-1".to_string()].into();
    let p = plan(&c, 100, 3, day(), &existing, wilayah());
    let sizes: Vec<usize> = p.batches.iter().map(|b| b.applications.len()).collect();
    assert_eq!(sizes, vec![3, 3, 1]);
    let ids: Vec<&str> = p.batches.iter().map(|b| b.id.as_str()).collect();
    assert_eq!(
        ids,
        vec![
            "B-20261120-SEWON-2",
            "B-20261120-SEWON-3",
            "B-20261120-SEWON-4"
        ]
    );
    assert_eq!(
        p.batches[0].applications[0],
        ApplicationId(1),
        "oldest first"
    );
    assert!(p.waiting.is_empty());
}

#[test]
fn the_balance_is_sums_of_movements() {
    let sums: BTreeMap<Movement, u64> = [
        (Movement::Received, 100),
        (Movement::Reserved, 30),
        (Movement::Used, 20),
        (Movement::Spoiled, 2),
        (Movement::Released, 1),
    ]
    .into();
    let b = BlankoBalance::from_sums(|m| sums.get(&m).copied().unwrap_or(0));
    assert_eq!(b.available, 71);
    assert_eq!(b.reserved, 7);
    assert!(b.balanced(), "{b:?}");
}

#[test]
fn results_files_are_read_line_by_line_with_reasons() {
    let text = "application_id,nik,result,blanko_serial,reason\r\n\
                A-000001,3402151708900001,PRINTED,0000000001,\r\n\
                A-000002,3402151708900002,spoiled,0000000002,pita macet\r\n\
                A-000003,3402151708900003,FAILED,,chip\r\n\
                A-000004,3402151708900004,LOST,1,\r\n\
                A-000005,3402151708900005,PRINTED,,\r\n\
                x,1,PRINTED,1,\r\n\
                A-000006,1\r\n";
    let (good, bad) = parse_results("B-1.csv", text.as_bytes());
    assert_eq!(good.len(), 3);
    assert_eq!(good[1].result, CardResult::Spoiled);
    assert_eq!(good[1].reason, "pita macet");
    let lines: Vec<usize> = good.iter().map(|l| l.line).collect();
    assert_eq!(lines, vec![2, 3, 4], "{bad:?}");
    let sources: Vec<&str> = bad.iter().map(|r| r.source.as_str()).collect();
    assert_eq!(
        sources,
        vec!["B-1.csv:5", "B-1.csv:6", "B-1.csv:7", "B-1.csv:8"]
    );
    assert!(
        bad[0].message.contains("field result"),
        "{}",
        bad[0].message
    );
    assert!(bad[1].message.contains("field blanko_serial"));
    assert!(bad[2].message.contains("field application_id"));
    assert!(bad[3].message.contains("2 fields"));

    let (good, bad) = parse_results("B-1.csv", b"id;result\n1;PRINTED\n");
    assert!(good.is_empty());
    assert_eq!(bad.len(), 1);
    assert_eq!(bad[0].reason.code(), "MALFORMED_RESULT");
    assert!(bad[0].message.contains("header"));
}

/// A results file saved by Excel reads like a form export: one decoder
/// (`crate::text::decode`) for every CSV people send.
#[test]
fn station_results_in_windows_1252_or_utf8_with_bom_read_like_forms() {
    let utf8 = "application_id,nik,result,blanko_serial,reason\r\n\
                A-000002,3402151708900002,SPOILED,0000000002,pita macet – café\r\n";
    let mut bom = b"\xef\xbb\xbf".to_vec();
    bom.extend_from_slice(utf8.as_bytes());
    let cp1252 = b"application_id,nik,result,blanko_serial,reason\r\n\
                   A-000002,3402151708900002,SPOILED,0000000002,pita macet \x96 caf\xe9\r\n";
    for bytes in [bom.as_slice(), cp1252.as_slice()] {
        let (good, bad) = parse_results("B-1.csv", bytes);
        assert!(bad.is_empty(), "{bad:?}");
        assert_eq!(good.len(), 1);
        assert_eq!(good[0].application.to_string(), "A-000002");
        assert_eq!(good[0].reason, "pita macet – café");
        assert_eq!(
            good[0].reason,
            crate::text::decode(b"pita macet \x96 caf\xe9")
        );
    }
}

struct Office {
    _dir: tempfile::TempDir,
    spool: std::path::PathBuf,
    store: Store,
    station: HotFolder,
}

fn office(apps: &[(&str, &str)]) -> Office {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("sigap.db")).unwrap();
    let tz = FixedOffset::east_opt(7 * 3600).unwrap();
    store
        .write(|tx| {
            for (i, (nik, kec)) in apps.iter().enumerate() {
                let new = NewApplication {
                    source: Source::App,
                    source_ref: format!("app|{i}"),
                    nik: nik.to_string(),
                    kk_number: None,
                    name: format!("WARGA {i}"),
                    birth_date: None,
                    service: Service::KtpBaru,
                    kecamatan: Some(kec.to_string()),
                    email: None,
                    phone: None,
                    submitted_at: tz.with_ymd_and_hms(2026, 11, 19, 8, i as u32, 0).unwrap(),
                };
                let id = tx.insert_application(&new, "sigap:test", at(i as u32))?;
                tx.transition(
                    id,
                    State::Received,
                    State::Verified,
                    &Change {
                        actor: "sigap:test",
                        ..Change::default()
                    },
                    at(100),
                )?;
            }
            Ok(())
        })
        .unwrap();
    let station = HotFolder::new(&dir.path().join("spool"));
    Office {
        spool: dir.path().join("spool"),
        _dir: dir,
        store,
        station,
    }
}

fn face(nik: &str) -> CardFace {
    CardFace {
        application_id: String::new(),
        nik: nik.to_string(),
        name: format!("NAMA {nik}"),
        birth_place: "BANTUL".into(),
        birth_date: "17-08-1990".into(),
        sex: "LAKI-LAKI".into(),
        address: "JL. MAWAR 1".into(),
        rt_rw: "003/004".into(),
        village: "TIMBULHARJO".into(),
        kecamatan: "SEWON".into(),
        religion: "ISLAM".into(),
        marital_status: "KAWIN".into(),
        occupation: "PETANI".into(),
        photo_ref: String::new(),
    }
}

fn dispatch_all(o: &mut Office, min: u32) -> Vec<Dispatch> {
    let mut done = Vec::new();
    for (b, apps) in undispatched(&o.store).unwrap() {
        let id = b.id.clone();
        let records: BTreeMap<u64, CardFace> = apps
            .iter()
            .map(|a| (a.submitted.nik.parse().unwrap(), face(&a.submitted.nik)))
            .collect();
        let (cards, missing) = faces(&apps, &records);
        assert!(missing.is_empty());
        let files = BatchFiles::new(
            &id,
            ("bantul", "Disdukcapil Bantul"),
            (&b.kecamatan, "Sewon"),
            b.created_at,
            &cards,
        );
        let ids: Vec<ApplicationId> = apps.iter().map(|a| a.id).collect();
        done.push(dispatch_batch(&mut o.store, &o.station, &files, &ids, at(min)).unwrap());
    }
    done
}

const NIKS: [&str; 5] = [
    "3402151708900001",
    "3402151708900002",
    "3402151708900003",
    "3402151708900004",
    "3402151708900005",
];

#[test]
fn a_batch_reserves_stock_goes_to_the_hot_folder_and_results_settle_the_ledger() {
    let mut o = office(&NIKS.iter().map(|n| (*n, SEWON)).collect::<Vec<_>>());
    o.store
        .write(|tx| tx.blanko_move(Movement::Received, 4, "SPB-01", "operator:test", "", at(0)))
        .unwrap();
    let p = plan_tonight(&o.store, 100, day(), wilayah()).unwrap();
    assert_eq!(p.cards(), 4);
    assert_eq!(p.waiting_counts()[&WaitReason::NoStock], 1);
    make_batches(&mut o.store, &p, at(200)).unwrap();
    let bal = o.store.blanko_balance().unwrap();
    assert_eq!((bal.available, bal.reserved), (0, 4));

    assert_eq!(dispatch_all(&mut o, 201), vec![Dispatch::Written]);
    let batch_id = p.batches[0].id.clone();
    let dir = o.station.batch_dir(&batch_id);
    let manifest: BatchManifest =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    let csv = std::fs::read(dir.join("cards.csv")).unwrap();
    assert_eq!(manifest.card_count, 4);
    assert_eq!(manifest.cards_sha256, sha256_hex(&csv));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(dir.join("cards.csv"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    assert!(
        String::from_utf8(csv)
            .unwrap()
            .starts_with("application_id,nik,name,birth_place")
    );
    // Nothing left to dispatch; the operator sees the batch.
    assert!(dispatch_all(&mut o, 202).is_empty());
    let incoming = o.station.incoming().unwrap();
    assert_eq!(incoming.len(), 1);
    assert_eq!(incoming[0].manifest.batch_id, batch_id);

    let results = results_csv(&[
        (
            "A-000001".into(),
            NIKS[0].into(),
            CardResult::Printed,
            "0000000101".into(),
            String::new(),
        ),
        (
            "A-000002".into(),
            NIKS[1].into(),
            CardResult::Printed,
            "0000000102".into(),
            String::new(),
        ),
        (
            "A-000003".into(),
            NIKS[2].into(),
            CardResult::Spoiled,
            "0000000103".into(),
            "pita macet".into(),
        ),
        (
            "A-000004".into(),
            NIKS[3].into(),
            CardResult::Failed,
            String::new(),
            "chip".into(),
        ),
    ]);
    o.station.write_results(&batch_id, &results).unwrap();
    assert!(
        o.station.incoming().unwrap().is_empty(),
        "answered batches leave the list"
    );
    let r = apply_results(&mut o.store, &o.station, at(300)).unwrap();
    assert_eq!((r.printed, r.spoiled, r.failed), (2, 1, 1), "{r:?}");
    assert!(r.rejected.is_empty(), "{:?}", r.rejected);
    let state = |id: i64| o.store.application(ApplicationId(id)).unwrap().unwrap();
    assert_eq!(state(1).state, State::Printed);
    assert_eq!(state(3).state, State::Verified);
    assert_eq!(state(3).batch, None);
    assert_eq!(state(4).state, State::Verified);
    let bal = o.store.blanko_balance().unwrap();
    assert_eq!(
        (
            bal.received,
            bal.used,
            bal.spoiled,
            bal.reserved,
            bal.available
        ),
        (4, 2, 1, 0, 1)
    );
    assert!(bal.balanced());

    // The same file again changes nothing.
    let again = apply_results(&mut o.store, &o.station, at(301)).unwrap();
    assert_eq!(
        (again.files, again.already_applied, again.printed),
        (1, 1, 0)
    );
    assert_eq!(o.store.blanko_balance().unwrap(), bal);

    // Spoiled and failed cards come first in the next batch (they keep
    // their place), then the one that had no stock.
    let p2 = plan_tonight(&o.store, 100, day(), wilayah()).unwrap();
    assert_eq!(p2.batches.len(), 1);
    assert_eq!(p2.batches[0].applications, vec![ApplicationId(3)]);
    assert_eq!(
        p2.batches[0].id,
        format!("{}", batch_id.replace("-1", "-2"))
    );
    let waiting: Vec<ApplicationId> = p2.waiting.iter().map(|w| w.0).collect();
    assert_eq!(waiting, vec![ApplicationId(4), ApplicationId(5)]);
}

#[test]
fn bad_results_are_rejected_with_source_and_reason_and_change_nothing() {
    let mut o = office(&NIKS[..2].iter().map(|n| (*n, SEWON)).collect::<Vec<_>>());
    o.store
        .write(|tx| tx.blanko_move(Movement::Received, 2, "SPB-01", "operator:test", "", at(0)))
        .unwrap();
    let p = plan_tonight(&o.store, 100, day(), wilayah()).unwrap();
    make_batches(&mut o.store, &p, at(200)).unwrap();
    dispatch_all(&mut o, 201);
    let batch_id = p.batches[0].id.clone();
    o.station
        .write_results(
            "B-19990101-NOWHERE-1",
            b"application_id,nik,result,blanko_serial,reason\n",
        )
        .unwrap();
    let results = results_csv(&[
        (
            "A-000001".into(),
            NIKS[0].into(),
            CardResult::Printed,
            "1".into(),
            String::new(),
        ),
        (
            "A-000001".into(),
            NIKS[0].into(),
            CardResult::Printed,
            "2".into(),
            String::new(),
        ),
        (
            "A-000002".into(),
            "3402151708909999".into(),
            CardResult::Printed,
            "3".into(),
            String::new(),
        ),
        (
            "A-000999".into(),
            NIKS[1].into(),
            CardResult::Printed,
            "4".into(),
            String::new(),
        ),
    ]);
    o.station.write_results(&batch_id, &results).unwrap();
    // A file still being written is not read.
    std::fs::write(o.spool.join("results/.B-2.csv.tmp-1"), b"junk").unwrap();
    let r = apply_results(&mut o.store, &o.station, at(300)).unwrap();
    assert_eq!(r.files, 2);
    assert_eq!(r.printed, 1);
    let codes: Vec<(String, &str)> = r
        .rejected
        .iter()
        .map(|x| (x.source.clone(), x.reason.code()))
        .collect();
    let expected: Vec<(String, &str)> = vec![
        ("B-19990101-NOWHERE-1.csv:0".to_string(), "UNKNOWN_BATCH"),
        (format!("{batch_id}.csv:3"), "DUPLICATE_RESULT"),
        (format!("{batch_id}.csv:4"), "NIK_MISMATCH"),
        (format!("{batch_id}.csv:5"), "UNKNOWN_CARD"),
    ];
    assert_eq!(codes, expected);
    assert!(r.rejected[2].message.contains("field nik"));
    // The NIK never appears in a message.
    assert!(
        r.rejected
            .iter()
            .all(|x| !x.message.contains("3402151708909999"))
    );
    assert_eq!(
        o.store
            .application(ApplicationId(2))
            .unwrap()
            .unwrap()
            .state,
        State::Dispatched
    );
}

/// A results file whose parser panics (the guard's test seam) is rejected
/// whole as UNREADABLE with the panic's message; the next file is applied.
#[test]
fn a_results_file_whose_parser_panics_is_rejected_and_the_next_applied() {
    let mut o = office(&NIKS[..2].iter().map(|n| (*n, SEWON)).collect::<Vec<_>>());
    o.store
        .write(|tx| tx.blanko_move(Movement::Received, 2, "SPB-01", "operator:test", "", at(0)))
        .unwrap();
    let p = plan_tonight(&o.store, 1, day(), wilayah()).unwrap();
    make_batches(&mut o.store, &p, at(200)).unwrap();
    dispatch_all(&mut o, 201);
    assert_eq!(p.batches.len(), 2);
    for (b, (app, nik)) in p
        .batches
        .iter()
        .zip([("A-000001", NIKS[0]), ("A-000002", NIKS[1])])
    {
        let results = results_csv(&[(
            app.into(),
            nik.into(),
            CardResult::Printed,
            "1".into(),
            String::new(),
        )]);
        o.station.write_results(&b.id, &results).unwrap();
    }
    let first = p.batches[0].id.clone();
    crate::guard::inject_panic(&[first.as_str()]);
    let r = apply_results(&mut o.store, &o.station, at(300));
    crate::guard::inject_panic(&[]);
    let r = r.unwrap();
    assert_eq!((r.files, r.printed), (2, 1), "{r:?}");
    assert_eq!(r.rejected.len(), 1, "{r:?}");
    assert_eq!(r.rejected[0].source, format!("{first}.csv:0"));
    assert_eq!(r.rejected[0].reason, QuarantineReason::Unreadable);
    assert!(r.rejected[0].message.contains("injected parser panic"));
}

#[test]
fn stock_never_goes_negative_and_the_ledger_is_append_only() {
    let mut o = office(&[(NIKS[0], SEWON)]);
    let err = o
        .store
        .write(|tx| tx.blanko_move(Movement::Reserved, 1, "B-x", "sigap:test", "", at(0)))
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::NoStock {
                wanted: 1,
                available: 0
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("sigap blanko receive"));
    assert!(o.store.blanko_ledger().unwrap().is_empty());
    // A planned batch beyond stock (plan made, stock gone since) is refused whole.
    let p = BatchPlan {
        batches: vec![PlannedBatch {
            id: "B-20261120-SEWON-1".into(),
            kecamatan: SEWON.into(),
            applications: vec![ApplicationId(1)],
        }],
        waiting: vec![],
    };
    assert!(make_batches(&mut o.store, &p, at(1)).is_err());
    assert_eq!(
        o.store
            .application(ApplicationId(1))
            .unwrap()
            .unwrap()
            .state,
        State::Verified
    );
    assert!(o.store.batches().unwrap().is_empty());
}

#[test]
fn a_different_batch_under_an_existing_folder_name_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let station = HotFolder::new(dir.path());
    let one = BatchFiles::new("B-1", ("o", "O"), ("k", "K"), at(0), &[face(NIKS[0])]);
    let two = BatchFiles::new("B-1", ("o", "O"), ("k", "K"), at(0), &[face(NIKS[1])]);
    assert_eq!(station.dispatch(&one).unwrap(), Dispatch::Written);
    assert_eq!(station.dispatch(&one).unwrap(), Dispatch::AlreadyThere);
    let err = station.dispatch(&two).unwrap_err();
    assert!(matches!(err, StationError::Conflict { .. }));
    assert!(err.to_string().contains("move the folder away"));
    // A leftover half-written folder of a crashed run is not a batch.
    std::fs::create_dir_all(dir.path().join("outgoing/.B-2.partial")).unwrap();
    assert_eq!(station.incoming().unwrap().len(), 1);
}

#[test]
fn a_card_failing_twice_alike_is_settled_in_both_batches() {
    // The same card fails in two batches with the same reason: the two
    // results files are byte-identical and only their names differ.
    let mut o = office(&[(NIKS[0], SEWON)]);
    o.store
        .write(|tx| tx.blanko_move(Movement::Received, 2, "SPB-01", "operator:test", "", at(0)))
        .unwrap();
    let failed = results_csv(&[(
        "A-000001".into(),
        NIKS[0].into(),
        CardResult::Failed,
        String::new(),
        "printer tidak merespons".into(),
    )]);
    let mut batches = Vec::new();
    for round in 0..2u32 {
        let p = plan_tonight(&o.store, 100, day(), wilayah()).unwrap();
        assert_eq!(p.cards(), 1, "round {round}");
        make_batches(&mut o.store, &p, at(200 + round * 10)).unwrap();
        dispatch_all(&mut o, 201 + round * 10);
        let id = p.batches[0].id.clone();
        o.station.write_results(&id, &failed).unwrap();
        let r = apply_results(&mut o.store, &o.station, at(202 + round * 10)).unwrap();
        assert_eq!(r.failed, 1, "round {round}: {r:?}");
        batches.push(id);
    }
    assert_ne!(batches[0], batches[1]);
    let app = o.store.application(ApplicationId(1)).unwrap().unwrap();
    assert_eq!((app.state, app.batch), (State::Verified, None));
    let bal = o.store.blanko_balance().unwrap();
    assert_eq!((bal.reserved, bal.available), (0, 2));
    assert!(o.store.batches().unwrap().iter().all(|b| b.pending() == 0));
}

#[test]
fn a_batch_is_late_only_after_a_full_office_day() {
    let config = crate::config::Config::from_toml(
        crate::config::profiles::text("bantul").unwrap(),
        std::path::Path::new("/o/sigap.toml"),
    )
    .unwrap();
    let working = crate::domain::calendar::WorkingTime::new(&config);
    let mut o = office(&[(NIKS[0], SEWON)]);
    o.store
        .write(|tx| tx.blanko_move(Movement::Received, 1, "SPB-01", "operator:test", "", at(0)))
        .unwrap();
    let p = plan_tonight(&o.store, 100, day(), wilayah()).unwrap();
    make_batches(&mut o.store, &p, at(0)).unwrap();
    // Dispatched on Friday 27 November 2026 at 01:00 WIB.
    let friday = Utc.with_ymd_and_hms(2026, 11, 26, 18, 0, 0).unwrap();
    for (b, apps) in undispatched(&o.store).unwrap() {
        let records: BTreeMap<u64, CardFace> = apps
            .iter()
            .map(|a| (a.submitted.nik.parse().unwrap(), face(&a.submitted.nik)))
            .collect();
        let (cards, _) = faces(&apps, &records);
        let files = BatchFiles::new(
            &b.id,
            ("bantul", "x"),
            (&b.kecamatan, "Sewon"),
            b.created_at,
            &cards,
        );
        let ids: Vec<ApplicationId> = apps.iter().map(|a| a.id).collect();
        dispatch_batch(&mut o.store, &o.station, &files, &ids, friday).unwrap();
    }
    let late = |t| overdue_batches(&o.store, &working, t).unwrap();
    // Friday's 6.5 opening hours and the weekend are not a full day (7.5 h).
    let sunday_night = Utc.with_ymd_and_hms(2026, 11, 29, 18, 0, 0).unwrap();
    assert!(late(sunday_night).is_empty());
    // By Monday 09:00 WIB the station has had 7.5 working hours.
    let monday = Utc.with_ymd_and_hms(2026, 11, 30, 2, 0, 0).unwrap();
    let l = late(monday);
    assert_eq!(l.len(), 1);
    assert_eq!((l[0].hours, l[0].working_hours), (80, 7));
    assert!(
        l[0].line().contains("dispatched 3 days ago"),
        "{}",
        l[0].line()
    );
}

#[test]
fn the_station_skips_half_written_results_files() {
    let dir = tempfile::tempdir().unwrap();
    let station = HotFolder::new(dir.path());
    let results = dir.path().join("results");
    std::fs::create_dir_all(&results).unwrap();
    for name in ["~$x.csv", "x.csv.crdownload", "B-1.csv"] {
        std::fs::write(results.join(name), b"x").unwrap();
    }
    let names: Vec<String> = station
        .results()
        .unwrap()
        .into_iter()
        .map(|f| f.name)
        .collect();
    assert_eq!(names, ["B-1.csv"]);
}

/// A population database holding the residents of `present` only.
struct Residents {
    present: Vec<&'static str>,
    asked: std::rc::Rc<std::cell::RefCell<Vec<Vec<u64>>>>,
}

impl crate::ports::PopulationDb for Residents {
    fn lookup(
        &mut self,
        _: &[u64],
    ) -> Result<Vec<crate::ports::Person>, crate::ports::PopulationError> {
        Ok(Vec::new())
    }

    fn card_details(
        &mut self,
        niks: &[u64],
    ) -> Result<Vec<crate::ports::CardDetails>, crate::ports::PopulationError> {
        self.asked.borrow_mut().push(niks.to_vec());
        Ok(self
            .present
            .iter()
            .map(|n| n.parse::<u64>().unwrap())
            .filter(|n| niks.contains(n))
            .map(|nik| crate::ports::CardDetails {
                nik,
                name: format!("NAMA {nik}"),
                district_code: SEWON.into(),
                ..Default::default()
            })
            .collect())
    }

    fn describe(&self) -> String {
        "test residents".into()
    }
}

fn bantul() -> crate::config::Config {
    crate::config::Config::from_toml(
        crate::config::profiles::text("bantul").unwrap(),
        std::path::Path::new("/office/sigap.toml"),
    )
    .unwrap()
}

/// Runs `sigap batch` against a database holding `present`; the NIK lists
/// it was asked for come back with the report.
fn batch_with(
    o: &mut Office,
    present: &[&'static str],
    min: u32,
) -> (super::run::BatchReport, Vec<Vec<u64>>) {
    let asked = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let db = Residents {
        present: present.to_vec(),
        asked: asked.clone(),
    };
    let mut db = Some(db);
    let mut open =
        || -> Result<Box<dyn crate::ports::PopulationDb>, crate::ports::PopulationError> {
            Ok(Box::new(db.take().expect("opened once")))
        };
    let report = super::run::batch_and_dispatch(
        &mut o.store,
        &bantul(),
        &mut open,
        &o.station,
        at(min),
        false,
    )
    .unwrap();
    let asked = asked.borrow().clone();
    (report, asked)
}

#[test]
fn a_card_without_a_population_record_goes_to_review_and_the_rest_of_the_batch_goes_out() {
    // Four verified cards, stock for three; the second resident has left
    // the population database since verification.
    let mut o = office(&NIKS[..4].iter().map(|n| (*n, SEWON)).collect::<Vec<_>>());
    o.store
        .write(|tx| tx.blanko_move(Movement::Received, 3, "SPB-01", "operator:test", "", at(0)))
        .unwrap();
    let (report, asked) = batch_with(&mut o, &[NIKS[0], NIKS[2], NIKS[3]], 200);
    assert_eq!(report.to_review, vec![ApplicationId(2)]);
    assert_eq!(report.dispatched.len(), 1, "{report:?}");
    assert!(
        report
            .line()
            .contains("to review: NOT_IN_POPULATION_AT_BATCH 1")
    );
    // The held card's blank went to the next in the queue, whose face was
    // read in a second lookup of that one NIK.
    assert_eq!(asked.len(), 2, "{asked:?}");
    assert_eq!(asked[1], vec![NIKS[3].parse::<u64>().unwrap()]);
    let batch = &report.dispatched[0];
    let ids: Vec<ApplicationId> = o
        .store
        .batch_cards(batch)
        .unwrap()
        .iter()
        .map(|c| c.application)
        .collect();
    assert_eq!(
        ids,
        vec![ApplicationId(1), ApplicationId(3), ApplicationId(4)]
    );
    let held = o.store.application(ApplicationId(2)).unwrap().unwrap();
    assert_eq!(held.state, State::Review);
    assert_eq!(held.reasons, vec!["NOT_IN_POPULATION_AT_BATCH".to_string()]);
    assert_eq!(held.batch, None);
    let bal = o.store.blanko_balance().unwrap();
    assert_eq!((bal.reserved, bal.available), (3, 0));
    assert!(bal.balanced());
    let csv =
        String::from_utf8(std::fs::read(o.station.batch_dir(batch).join("cards.csv")).unwrap())
            .unwrap();
    assert!(!csv.contains(NIKS[1]), "{csv}");
    assert_eq!(csv.lines().count(), 4, "{csv}");
}

#[test]
fn a_batch_stranded_by_a_card_without_a_record_loses_that_card_and_its_blank_and_goes_out() {
    // A batch recorded but never dispatched, as a run that stopped at such
    // a card left it.
    let mut o = office(&NIKS[..3].iter().map(|n| (*n, SEWON)).collect::<Vec<_>>());
    o.store
        .write(|tx| tx.blanko_move(Movement::Received, 3, "SPB-01", "operator:test", "", at(0)))
        .unwrap();
    let p = plan_tonight(&o.store, 100, day(), wilayah()).unwrap();
    make_batches(&mut o.store, &p, at(200)).unwrap();
    let batch = p.batches[0].id.clone();

    let (report, _) = batch_with(&mut o, &[NIKS[0], NIKS[2]], 300);
    assert_eq!(report.to_review, vec![ApplicationId(2)]);
    assert_eq!(report.dispatched, vec![batch.clone()]);
    let rec = o.store.batch(&batch).unwrap().unwrap();
    assert_eq!(rec.card_count, 2);
    assert!(rec.dispatched_at.is_some());
    let held = o.store.application(ApplicationId(2)).unwrap().unwrap();
    assert_eq!((held.state, held.batch), (State::Review, None));
    for id in [1, 3] {
        let a = o.store.application(ApplicationId(id)).unwrap().unwrap();
        assert_eq!(a.state, State::Dispatched);
    }
    // Its blank was released: reserved 3, released 1.
    let bal = o.store.blanko_balance().unwrap();
    assert_eq!((bal.reserved, bal.available), (2, 1));
    assert!(bal.balanced());
    let released: Vec<_> = o
        .store
        .blanko_ledger()
        .unwrap()
        .into_iter()
        .filter(|e| e.movement == Movement::Released)
        .collect();
    assert_eq!(released.len(), 1);
    assert_eq!(released[0].reference, batch);
    assert!(
        released[0].detail.starts_with("A-000002"),
        "{:?}",
        released[0]
    );
    // The next run finds nothing to do and does not fail.
    let (again, asked) = batch_with(&mut o, &[NIKS[0], NIKS[2]], 400);
    assert!(again.to_review.is_empty() && again.dispatched.is_empty());
    assert!(asked.is_empty(), "nothing to print, no lookup");
}
