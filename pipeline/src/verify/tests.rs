use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone, Utc};

use super::*;
use crate::adapters::ParquetDb;
use crate::config::profiles;
use crate::domain::application::{NewApplication, Source};
use crate::domain::service::Service;
use crate::sample::{Manifest, SampleOptions, generate};

fn bantul() -> Config {
    Config::from_toml(
        profiles::text("bantul").unwrap(),
        Path::new("/office/sigap.toml"),
    )
    .unwrap()
}

fn wib(d: u32, h: u32) -> DateTime<FixedOffset> {
    FixedOffset::east_opt(7 * 3600)
        .unwrap()
        .with_ymd_and_hms(2026, 11, d, h, 0, 0)
        .unwrap()
}

fn person(nik: &str) -> Person {
    Person {
        nik: nik.parse().unwrap(),
        kk_number: "3402151203150004".into(),
        name: "BUDI SANTOSO".into(),
        birth_date: NaiveDate::from_ymd_opt(1990, 8, 17),
        sex: "L".into(),
        district_code: "34.02.15".into(),
        marital_status: "KAWIN".into(),
        biometric_recorded: true,
        status: "AKTIF".into(),
    }
}

const NIK: &str = "3402151708900001";

fn app(id: i64, nik: &str, service: Service, at: DateTime<FixedOffset>) -> Application {
    Application {
        id: ApplicationId(id),
        submitted: NewApplication {
            source: Source::App,
            source_ref: format!("app#{id}"),
            nik: nik.into(),
            kk_number: Some("3402151203150004".into()),
            name: "Budi Santoso".into(),
            birth_date: NaiveDate::from_ymd_opt(1990, 8, 17),
            service,
            kecamatan: Some("34.02.15".into()),
            email: None,
            phone: None,
            submitted_at: at,
        },
        state: State::Received,
        state_since: Utc.with_ymd_and_hms(2026, 11, 19, 0, 0, 0).unwrap(),
        reasons: Vec::new(),
        batch: None,
    }
}

fn docs(ids: &[i64], kinds: &[&str]) -> BTreeMap<ApplicationId, BTreeSet<String>> {
    ids.iter()
        .map(|id| {
            (
                ApplicationId(*id),
                kinds.iter().map(|k| k.to_string()).collect(),
            )
        })
        .collect()
}

#[test]
fn outcomes_follow_the_precedence() {
    let set = |rs: &[Reason]| rs.iter().copied().collect::<BTreeSet<_>>();
    assert_eq!(outcome(&set(&[])), (State::Verified, vec![]));
    assert_eq!(
        outcome(&set(&[Reason::KkMismatch, Reason::NameNearMatch])),
        (
            State::Review,
            vec![Reason::NameNearMatch, Reason::KkMismatch]
        )
    );
    assert_eq!(
        outcome(&set(&[Reason::NotRecorded, Reason::KkMismatch])),
        (State::NeedsRecording, vec![Reason::NotRecorded])
    );
    assert_eq!(
        outcome(&set(&[
            Reason::NotRecorded,
            Reason::DocumentMissing,
            Reason::NameNearMatch
        ])),
        (
            State::Incomplete,
            vec![Reason::NotRecorded, Reason::DocumentMissing]
        )
    );
    assert_eq!(
        outcome(&set(&[
            Reason::DocumentMissing,
            Reason::Deceased,
            Reason::Underage,
            Reason::KkMismatch
        ])),
        (State::Rejected, vec![Reason::Deceased, Reason::Underage])
    );
}

#[test]
fn the_older_application_keeps_the_nik() {
    let config = bantul();
    let w = Wilayah::embedded();
    let people = [person(NIK)];
    // A later one for the same NIK, with separators typed, and one already
    // in flight elsewhere for another NIK.
    let mut in_flight = app(9, "3402151708900002", Service::KkHilang, wib(10, 9));
    in_flight.state = State::Verified;
    let apps = vec![
        app(2, "3402 1517 0890 0001", Service::KtpHilang, wib(19, 10)),
        app(1, NIK, Service::KtpHilang, wib(19, 9)),
        app(3, "3402151708900002", Service::KtpHilang, wib(19, 11)),
        in_flight,
    ];
    let documents = docs(&[1, 2, 3], &["surat_kehilangan"]);
    let d = decide(&apps, &people, &documents, &config, w);
    assert_eq!(d.len(), 3, "only RECEIVED ones are decided");
    assert_eq!((d[0].id, d[0].state), (ApplicationId(1), State::Verified));
    assert_eq!(
        (d[1].id, d[1].state, &d[1].reasons),
        (
            ApplicationId(2),
            State::Rejected,
            &vec![Reason::DuplicateInFlight]
        )
    );
    assert_eq!(
        d[2].reasons,
        [Reason::NikNotFound, Reason::DuplicateInFlight]
    );
    assert_eq!(d[1].detail, "DUPLICATE_IN_FLIGHT; NIK held by A-000001");
    assert_eq!(
        d[2].detail,
        "NIK_NOT_FOUND; DUPLICATE_IN_FLIGHT; NIK held by A-000009"
    );
    // A rejected older one does not block a later, valid one.
    let mut older = app(1, NIK, Service::KtpHilang, wib(19, 9));
    older.submitted.birth_date = None;
    let apps = vec![older, app(2, NIK, Service::KtpHilang, wib(19, 10))];
    let d = decide(&apps, &people, &documents, &config, w);
    assert_eq!(d[0].reasons, [Reason::BirthDateMismatch]);
    assert_eq!(d[1].state, State::Verified);
}

#[test]
fn age_and_perekaman_count_for_ktp_el_only_and_age_on_the_submission_day() {
    let config = bantul();
    let w = Wilayah::embedded();
    let nik = "3402152011090001";
    let mut p = person(nik);
    p.birth_date = NaiveDate::from_ymd_opt(2009, 11, 20);
    p.marital_status = "BELUM KAWIN".into();
    p.biometric_recorded = false;
    let young = |id, service, at| {
        let mut a = app(id, nik, service, at);
        a.submitted.birth_date = p.birth_date;
        a
    };
    // 17 on 20 November in Yogyakarta (WIB): 19 Nov 23:30 WIB is still 16,
    // although it is 20 Nov in WIT.
    let late_19th = FixedOffset::east_opt(9 * 3600)
        .unwrap()
        .with_ymd_and_hms(2026, 11, 20, 1, 30, 0)
        .unwrap();
    let apps = vec![
        young(1, Service::KtpBaru, late_19th),
        young(2, Service::KkHilang, wib(20, 9)),
    ];
    let documents = BTreeMap::from([
        (ApplicationId(1), BTreeSet::from(["kk".to_string()])),
        (
            ApplicationId(2),
            BTreeSet::from(["surat_kehilangan".to_string()]),
        ),
    ]);
    let d = decide(&apps, std::slice::from_ref(&p), &documents, &config, w);
    assert_eq!(d[0].reasons, [Reason::Underage]);
    assert_eq!(d[1].state, State::Verified, "{:?}", d[1]);
    let apps = vec![young(1, Service::KtpBaru, wib(20, 8))];
    let d = decide(&apps, std::slice::from_ref(&p), &documents, &config, w);
    assert_eq!(
        (d[0].state, &d[0].reasons),
        (State::NeedsRecording, &vec![Reason::NotRecorded])
    );
}

#[test]
fn the_event_detail_names_rules_and_documents_not_people() {
    let config = bantul();
    let w = Wilayah::embedded();
    let apps = vec![
        app(1, "3402151713900001", Service::KtpHilang, wib(19, 9)),
        app(2, NIK, Service::KtpHilang, wib(19, 9)),
    ];
    let d = decide(&apps, &[person(NIK)], &BTreeMap::new(), &config, w);
    assert_eq!(d[0].detail, "NIK_INVALID; NIK rule MONTH_OUT_OF_RANGE");
    assert_eq!(d[1].detail, "DOCUMENT_MISSING; missing surat_kehilangan");
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The manifest's applications as intake records them, RECEIVED, with
/// their documents.
fn applications_of(m: &Manifest) -> (Vec<Application>, BTreeMap<ApplicationId, BTreeSet<String>>) {
    let mut apps = Vec::new();
    let mut documents = BTreeMap::new();
    for (i, a) in m.applications.iter().enumerate() {
        let id = ApplicationId(i as i64 + 1);
        apps.push(Application {
            id,
            submitted: NewApplication {
                source: a.channel.parse().unwrap(),
                source_ref: a.sources[0].clone(),
                nik: a.nik.clone(),
                kk_number: Some(a.kk_number.clone()),
                name: a.name.clone(),
                birth_date: Some(a.birth_date.parse().unwrap()),
                service: a.service.parse().unwrap(),
                kecamatan: Some(a.kecamatan.clone()),
                email: None,
                phone: None,
                submitted_at: DateTime::parse_from_rfc3339(&a.submitted_at).unwrap(),
            },
            state: State::Received,
            state_since: Utc::now(),
            reasons: Vec::new(),
            batch: None,
        });
        documents.insert(id, a.documents.iter().cloned().collect());
    }
    (apps, documents)
}

/// Decides every application of the office in `dir` against its
/// population snapshot and checks each against the manifest.
fn decide_office(dir: &Path, m: &Manifest) -> Counts {
    let config = Config::load(&dir.join("sigap.toml"), |_| None).unwrap();
    let (apps, documents) = applications_of(m);
    let mut db = ParquetDb::new(dir.join("population.parquet"));
    let people = db.lookup(&batch_niks(&apps)).unwrap();
    let decisions = decide(&apps, &people, &documents, &config, Wilayah::embedded());
    assert_eq!(decisions.len(), m.applications.len());
    for (d, a) in decisions.iter().zip(&m.applications) {
        let reasons: Vec<&str> = d.reasons.iter().map(|r| r.code()).collect();
        assert_eq!(
            (d.state.code(), reasons),
            (
                a.expected_state.as_str(),
                a.expected_reasons.iter().map(String::as_str).collect()
            ),
            "{} ({:?}, {:?})",
            a.sources[0],
            a.planted,
            a.note
        );
    }
    let counts = Counts::of(&decisions);
    let states: BTreeMap<String, u64> = counts
        .states
        .iter()
        .map(|(s, n)| (s.code().to_string(), *n))
        .collect();
    let reasons: BTreeMap<String, u64> = counts
        .reasons
        .iter()
        .map(|(r, n)| (r.code().to_string(), *n))
        .collect();
    assert_eq!(states, m.expected.verify.states);
    assert_eq!(reasons, m.expected.verify.reasons);
    counts
}

#[test]
fn the_committed_sample_office_verifies_as_its_manifest_says() {
    let dir = repo().join("sample-data");
    let m: Manifest =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    let counts = decide_office(&dir, &m);
    let states: Vec<(State, u64)> = counts.states.into_iter().collect();
    assert_eq!(
        states,
        [
            (State::Incomplete, 12),
            (State::NeedsRecording, 6),
            (State::Rejected, 34),
            (State::Review, 14),
            (State::Verified, 134),
        ]
    );
    let reasons: Vec<(&str, u64)> = counts
        .reasons
        .into_iter()
        .map(|(r, n)| (r.code(), n))
        .collect();
    assert_eq!(
        reasons,
        [
            ("NIK_INVALID", 6),
            ("NIK_NOT_FOUND", 6),
            ("DECEASED", 4),
            ("MOVED_OUT", 4),
            ("NAME_NEAR_MATCH", 8),
            ("BIRTH_DATE_MISMATCH", 6),
            ("KK_MISMATCH", 6),
            ("UNDERAGE", 4),
            ("NOT_RECORDED", 6),
            ("DOCUMENT_MISSING", 12),
            ("DUPLICATE_IN_FLIGHT", 4),
        ]
    );
}

#[test]
fn larger_generated_offices_verify_as_their_manifests_say() {
    // Bantul with seed 7 at this size picks a resident who turns 17 inside
    // the submission window: the manifest must judge age on the submission
    // day as verification does. The other profiles for their own rules.
    for (profile, population, applications, seed) in [
        ("bantul", 12_000, 3_000, 7),
        ("tabanan", 6_000, 600, 3),
        ("kapuas", 6_000, 600, 5),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let opts = SampleOptions {
            profile: profile.into(),
            population,
            applications,
            seed,
            ..SampleOptions::default()
        };
        let m = generate(dir.path(), &opts).unwrap();
        decide_office(dir.path(), &m);
    }
}

#[test]
fn a_document_of_unknown_kind_sends_an_incomplete_application_to_review() {
    let config = bantul();
    let w = Wilayah::embedded();
    let apps = vec![
        app(1, NIK, Service::KtpHilang, wib(19, 9)),
        app(2, "3402151708900002", Service::KtpHilang, wib(19, 9)),
    ];
    let people = [person(NIK), person("3402151708900002")];
    // 1: the surat is missing, an unclassified photo may be it. 2: nothing
    // missing, so an extra unclassified file changes nothing.
    let documents = BTreeMap::from([
        (
            ApplicationId(1),
            BTreeSet::from(["unclassified".to_string()]),
        ),
        (
            ApplicationId(2),
            BTreeSet::from(["surat_kehilangan".to_string(), "unclassified".to_string()]),
        ),
    ]);
    let d = decide(&apps, &people, &documents, &config, w);
    assert_eq!(
        (d[0].state, &d[0].reasons),
        (State::Review, &vec![Reason::UnclassifiedDocument])
    );
    assert_eq!(
        d[0].detail,
        "UNCLASSIFIED_DOCUMENT; missing surat_kehilangan"
    );
    assert_eq!(d[1].state, State::Verified, "{:?}", d[1]);
    // Before perekaman and missing documents, after rejections.
    let set = |rs: &[Reason]| rs.iter().copied().collect::<BTreeSet<_>>();
    assert_eq!(
        outcome(&set(&[
            Reason::UnclassifiedDocument,
            Reason::NotRecorded,
            Reason::KkMismatch
        ])),
        (
            State::Review,
            vec![Reason::KkMismatch, Reason::UnclassifiedDocument]
        )
    );
    assert_eq!(
        outcome(&set(&[Reason::UnclassifiedDocument, Reason::Deceased])),
        (State::Rejected, vec![Reason::Deceased])
    );
}
