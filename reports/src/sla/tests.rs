//! The report on a hand-made history whose figures are known.

use std::path::Path;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use pipeline::config::profiles;
use pipeline::domain::application::ApplicationId;
use pipeline::domain::sla::{AppHistory, Step};
use pipeline::{Config, Service, State};

use super::*;

fn bantul() -> Config {
    Config::from_toml(
        profiles::text("bantul").unwrap(),
        Path::new("/o/sigap.toml"),
    )
    .unwrap()
}

/// A time in WIB.
fn wib(d: u32, h: u32, m: u32) -> DateTime<Utc> {
    chrono::FixedOffset::east_opt(7 * 3600)
        .unwrap()
        .with_ymd_and_hms(2026, 11, d, h, m, 0)
        .unwrap()
        .with_timezone(&Utc)
}

/// A card received Monday 23 Nov 09:00 WIB and printed `printed` later.
fn card(id: i64, printed: DateTime<Utc>) -> AppHistory {
    AppHistory {
        id: ApplicationId(id),
        service: Service::KtpBaru,
        kecamatan: Some("34.02.15".into()),
        submitted_at: wib(23, 9, 0),
        events: vec![
            (State::Received, wib(23, 9, 0)),
            (State::Verified, wib(24, 1, 0)),
            (State::Batched, wib(24, 1, 5)),
            (State::Dispatched, wib(24, 1, 5)),
            (State::Printed, printed),
        ],
        reasons: Vec::new(),
    }
}

fn report(histories: Vec<AppHistory>) -> SlaReport {
    let input = SlaInput {
        histories,
        ..SlaInput::default()
    };
    let period = Period {
        from: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
        to: NaiveDate::from_ymd_opt(2026, 11, 27).unwrap(),
        at: wib(30, 0, 0),
    };
    compute(&bantul(), &input, period).unwrap()
}

#[test]
fn working_hours_targets_and_nearest_rank_percentiles() {
    // Printed after 1, 3, 7, 8 and 10 working hours (and a minute more):
    // Bantul is open 08:00-15:30 Monday to Thursday.
    let r = report(vec![
        card(1, wib(23, 10, 0)),  // 1 h
        card(2, wib(23, 12, 0)),  // 3 h
        card(3, wib(24, 8, 30)),  // 6.5 + 0.5 = 7 h
        card(4, wib(24, 9, 30)),  // 8 h: on target
        card(5, wib(24, 11, 30)), // 10 h: late
        card(6, wib(24, 11, 31)), // 10 h 1 min
    ]);
    let h = &r.headlines[0];
    assert_eq!(h.step, Step::CompleteToPrinted);
    assert_eq!((h.count, h.within), (6, 4));
    // Nearest rank: median = 3rd of 6 (7 h), p90 = 6th of 6.
    assert_eq!(h.median_secs, Some(7 * 3600));
    assert_eq!(h.p90_secs, Some(10 * 3600 + 60));
    let summary = &r.tables[0];
    assert_eq!(summary.name, "summary");
    assert_eq!(
        summary.rows[0],
        [
            "complete_to_printed",
            "8",
            "6",
            "4",
            "66.7",
            "7.00",
            "10.02",
            "0",
            "0"
        ]
    );
    // Still at the station: open, and past the 24 h end to end by Friday.
    let open = report(vec![AppHistory {
        events: vec![
            (State::Received, wib(23, 9, 0)),
            (State::Verified, wib(24, 1, 0)),
        ],
        ..card(7, wib(23, 10, 0))
    }]);
    assert_eq!(open.headlines[0].open_past_target, 1);
    let aging = open
        .tables
        .iter()
        .find(|t| t.name == "open-past-target")
        .unwrap();
    assert_eq!(aging.rows[0][0], "A-000007");
    // Monday 09:00 to Friday's close (14:30) is 6.5 + 3 × 7.5 + 6.5 = 35.5 h.
    assert_eq!(aging.rows[0][6], "35.50");
}

#[test]
fn the_documents_are_self_contained_and_stable() {
    let r = report((1..=5).map(|i| card(i, wib(24, 9, i as u32))).collect());
    let html = html::render(&r);
    assert!(html.contains("<svg") && !html.contains("<script") && !html.contains("<link"));
    assert!(
        html.contains("100,0%"),
        "the headline share with a decimal comma"
    );
    let a = pdf::render(&r);
    assert!(a.starts_with(b"%PDF"));
    assert_eq!(a, pdf::render(&r), "same report, same bytes");
}
