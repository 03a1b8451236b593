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

/// A word of `pdftotext -bbox-layout`: its text and box (pt, y down).
#[derive(Debug, Clone)]
struct Word {
    text: String,
    x0: f32,
    y0: f32,
    x1: f32,
    y1: f32,
}

/// Every word of the PDF, per page, as poppler places them.
fn words(pdf: &[u8]) -> Vec<Vec<Word>> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sla.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .arg("-bbox-layout")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext runs (./scripts/test installs poppler-utils)");
    assert!(out.status.success());
    let xml = String::from_utf8(out.stdout).unwrap();
    let attr = |tag: &str, name: &str| -> f32 {
        let key = format!("{name}=\"");
        let at = tag.find(&key).unwrap() + key.len();
        tag[at..at + tag[at..].find('"').unwrap()].parse().unwrap()
    };
    let mut pages: Vec<Vec<Word>> = Vec::new();
    for line in xml.lines() {
        let line = line.trim();
        if line.starts_with("<page ") {
            pages.push(Vec::new());
        } else if let Some(rest) = line.strip_prefix("<word ") {
            let (tag, text) = rest.split_once('>').unwrap();
            let text = text.trim_end_matches("</word>");
            pages.last_mut().unwrap().push(Word {
                text: text
                    .replace("&amp;", "&")
                    .replace("&lt;", "<")
                    .replace("&gt;", ">"),
                x0: attr(tag, "xMin"),
                y0: attr(tag, "yMin"),
                x1: attr(tag, "xMax"),
                y1: attr(tag, "yMax"),
            });
        }
    }
    pages
}

/// The header row of the table whose first two headers are `headers[0]`
/// and `headers[1]`: each header's words, taken left to right from the
/// words between the row's top and the table's first cell.
fn header_row(pages: &[Vec<Word>], headers: &[&str]) -> Vec<Vec<Word>> {
    let first = headers[0].split_whitespace().next().unwrap();
    let second = headers[1].split_whitespace().next().unwrap();
    for page in pages {
        for start in page.iter().filter(|w| w.text == first) {
            // On the same baseline (the bottom of a word's box), at any size.
            let same_line = |w: &Word| (w.y1 - start.y1).abs() < 1.0 && w.x0 > start.x1;
            if !page.iter().any(|w| same_line(w) && w.text == second) {
                continue;
            }
            // The first cell below the header sits where the first header starts.
            let end = page
                .iter()
                .filter(|w| (w.x0 - start.x0).abs() < 1.0 && w.y0 > start.y0 + 1.0)
                .map(|w| w.y0)
                .fold(f32::INFINITY, f32::min);
            let mut band: Vec<Word> = page
                .iter()
                .filter(|w| w.y0 > start.y0 - 1.0 && w.y0 < end - 1.0)
                .cloned()
                .collect();
            let mut row = Vec::new();
            for h in headers {
                let mut mine = Vec::new();
                for token in h.split_whitespace() {
                    let pick = band
                        .iter()
                        .enumerate()
                        .filter(|(_, w)| w.text == token)
                        .min_by(|a, b| a.1.x0.total_cmp(&b.1.x0))
                        .map(|(i, _)| i)
                        .unwrap_or_else(|| {
                            panic!("header word {token:?} of {h:?} not found alone in {band:?}")
                        });
                    mine.push(band.remove(pick));
                }
                row.push(mine);
            }
            return row;
        }
    }
    panic!("no header row starting {first} {second}");
}

#[test]
fn column_headers_wrap_within_their_columns() {
    let r = report((1..=5).map(|i| card(i, wib(24, 9, i as u32))).collect());
    let pages = words(&pdf::render(&r));
    let tables: [&[&str]; 3] = [
        &[
            "step",
            "target_hours",
            "count",
            "within_target_pct",
            "median_hours",
            "p90_hours",
            "open",
            "open_past_target",
        ],
        &[
            "step",
            "kecamatan_name",
            "count",
            "within_target_pct",
            "median_hours",
            "p90_hours",
        ],
        &[
            "application",
            "step",
            "service",
            "state",
            "since",
            "working_hours",
            "over_hours",
        ],
    ];
    let open = report(vec![AppHistory {
        events: vec![
            (State::Received, wib(23, 9, 0)),
            (State::Verified, wib(24, 1, 0)),
        ],
        ..card(7, wib(23, 10, 0))
    }]);
    let open_pages = words(&pdf::render(&open));
    for (i, columns) in tables.iter().enumerate() {
        let headers: Vec<&str> = columns.iter().map(|c| html::heading(c)).collect();
        let pages = if i == 2 { &open_pages } else { &pages };
        let row = header_row(pages, &headers);
        for (k, pair) in row.windows(2).enumerate() {
            let right_edge = pair[0].iter().map(|w| w.x1).fold(f32::MIN, f32::max);
            let next_left = pair[1].iter().map(|w| w.x0).fold(f32::MAX, f32::min);
            assert!(
                right_edge + 1.0 < next_left,
                "{:?} runs into {:?}: {right_edge} ≥ {next_left}",
                headers[k],
                headers[k + 1]
            );
        }
        // Wrapped, not shrunk: every header word as tall as the first.
        let height = row[0][0].y1 - row[0][0].y0;
        for w in row.iter().flatten() {
            assert!(
                (w.y1 - w.y0 - height).abs() < 0.05,
                "{:?} is shrunk: {} pt high, not {height}",
                w.text,
                w.y1 - w.y0
            );
        }
    }
}
