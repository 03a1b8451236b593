//! The SLA-compliance report: per step × service × kecamatan the count, the
//! share within target, the median and the 90th percentile in working
//! hours; open items already past target; a weekly trend; the funnel from
//! received to collected; rejection reasons; blanko use and spoilage.
//!
//! Steps and their start and end come from the event log
//! ([`pipeline::domain::sla`]); working time from the office's hours, closed days
//! and timezone ([`pipeline::domain::calendar::WorkingTime`]). A step counts in the
//! period when it *ended* in it (office dates, `from` and `to` included).
//! The aggregations run on a polars frame of the measured steps.
//!
//! **Percentiles** use the nearest-rank definition: the p-th percentile of
//! n sorted values is the value at rank ⌈p·n⌉ (1-based), so the median of
//! an even count is the lower middle value and every figure is one that was
//! really measured (polars' `Equiprobable` method). Hours are working
//! seconds / 3600 shown with two decimals; a share is within / count × 100
//! with one decimal.
//!
//! The report is computed as of a moment (`at`, normally the end of the
//! period or now, whichever is earlier): what happened later is not seen.

pub mod chart;
pub mod html;
pub mod pdf;
pub mod xlsx;

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use pipeline::Config;
use pipeline::domain::application::ApplicationId;
use pipeline::domain::blanko::{BlankoBalance, LedgerEntry, Movement};
use pipeline::domain::calendar::WorkingTime;
use pipeline::domain::sla::{AppHistory, Span, Step, spans};
use pipeline::domain::state::State;
use pipeline::report_sla::SlaFile;
use polars::prelude::*;

/// Computing the report failed (polars refused a frame: a defect, reported
/// with what was being computed).
#[derive(Debug, thiserror::Error)]
#[error("SLA report: {what}")]
pub struct SlaError {
    /// What was being computed.
    pub what: String,
    /// polars' error.
    #[source]
    pub source: PolarsError,
}

/// What the report is computed from, read from the state store.
#[derive(Debug, Clone, Default)]
pub struct SlaInput {
    /// Every application with its events.
    pub histories: Vec<AppHistory>,
    /// When each application's ready-for-pickup notice was first sent.
    pub notified: BTreeMap<ApplicationId, DateTime<Utc>>,
    /// The blanko ledger.
    pub ledger: Vec<LedgerEntry>,
}

/// The period and the moment the report describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// First office date.
    pub from: NaiveDate,
    /// Last office date (included).
    pub to: NaiveDate,
    /// The moment of the figures (open items are aged to it).
    pub at: DateTime<Utc>,
}

/// One table of the report: a CSV file and a table in the documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// File stem, e.g. `summary` (→ `…-summary.csv`).
    pub name: &'static str,
    /// Title in the documents (Bahasa Indonesia).
    pub title: String,
    /// CSV header (machine names).
    pub columns: Vec<&'static str>,
    /// Rows, values as written in the CSV.
    pub rows: Vec<Vec<String>>,
}

/// One headline figure of a step.
#[derive(Debug, Clone, PartialEq)]
pub struct Headline {
    /// The step.
    pub step: Step,
    /// Target in working hours, if any.
    pub target_hours: Option<f64>,
    /// Steps ended in the period.
    pub count: i64,
    /// Of them within target.
    pub within: i64,
    /// Median working seconds.
    pub median_secs: Option<i64>,
    /// 90th percentile working seconds.
    pub p90_secs: Option<i64>,
    /// Still open at the report's moment.
    pub open: i64,
    /// Open and already past target.
    pub open_past_target: i64,
}

impl Headline {
    /// Share within target, `within / count × 100` (`None` without a target or steps).
    pub fn pct(&self) -> Option<f64> {
        (self.target_hours.is_some() && self.count > 0)
            .then(|| self.within as f64 * 100.0 / self.count as f64)
    }
}

/// The computed report.
#[derive(Debug, Clone)]
pub struct SlaReport {
    /// Period and moment.
    pub period: Period,
    /// Office name for the documents.
    pub office_name: String,
    /// Letterhead and place for the PDF.
    pub heading: crate::rekap::OfficeHeading,
    /// The office's UTC offset.
    pub offset: chrono::FixedOffset,
    /// Its timezone's name (WIB, WITA, WIT).
    pub timezone: String,
    /// One figure per step.
    pub headlines: Vec<Headline>,
    /// The funnel (KTP-el applications received in the period): stage → count.
    pub funnel: Vec<(&'static str, &'static str, i64)>,
    /// Weekly trend: week start, received, per targeted step (count, within).
    pub weekly: Vec<WeekRow>,
    /// Blanko balance of movements in the period.
    pub blanko: BlankoPeriod,
    /// Every table, as written to CSV.
    pub tables: Vec<Table>,
}

/// One week of the trend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeekRow {
    /// Monday of the week.
    pub week: NaiveDate,
    /// Applications received that week.
    pub received: i64,
    /// Per step (in [`Step::ALL`] order): steps ended and within target.
    pub steps: Vec<(i64, i64)>,
}

/// Blanko movements in the period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BlankoPeriod {
    /// Received.
    pub received: u64,
    /// Reserved by batches.
    pub reserved: u64,
    /// Used (cards printed).
    pub used: u64,
    /// Spoiled.
    pub spoiled: u64,
    /// Released back to stock.
    pub released: u64,
    /// Available at the end of the period.
    pub available_at_end: u64,
}

impl BlankoPeriod {
    /// Spoiled / (used + spoiled) × 100.
    pub fn spoilage_pct(&self) -> Option<f64> {
        let fed = self.used + self.spoiled;
        (fed > 0).then(|| self.spoiled as f64 * 100.0 / fed as f64)
    }
}

/// Working hours with two decimals.
pub fn hours(secs: i64) -> String {
    format!("{:.2}", secs as f64 / 3600.0)
}

/// A share with one decimal, empty when there is nothing to share.
pub fn pct(part: i64, whole: i64) -> String {
    if whole == 0 {
        String::new()
    } else {
        format!("{:.1}", part as f64 * 100.0 / whole as f64)
    }
}

fn target_text(t: Option<f64>) -> String {
    t.map(|t| format!("{t}")).unwrap_or_default()
}

/// The Monday of a date's week.
pub fn week_of(d: NaiveDate) -> NaiveDate {
    d - Duration::days(i64::from(d.weekday().num_days_from_monday()))
}

struct Measured {
    span: Span,
    service: &'static str,
    kecamatan: String,
    secs: i64,
}

/// Computes the report.
pub fn compute(config: &Config, input: &SlaInput, period: Period) -> Result<SlaReport, SlaError> {
    let wt = WorkingTime::new(config);
    let offset = wt.offset();
    let local_midnight = |d: NaiveDate| {
        offset
            .from_local_datetime(&d.and_time(NaiveTime::MIN))
            .single()
            .expect("a fixed offset has one local time")
            .with_timezone(&Utc)
    };
    let start = local_midnight(period.from);
    let end = local_midnight(period.to + Duration::days(1)).min(period.at);
    let in_period = |t: DateTime<Utc>| t >= start && t < end;
    let local_date = |t: DateTime<Utc>| t.with_timezone(&offset).date_naive();
    let target_secs = |s: Step| {
        s.target_hours(&config.sla)
            .map(|h| (h * 3600.0).round() as i64)
    };
    let kec_name: BTreeMap<&str, &str> = config
        .kecamatan
        .iter()
        .map(|k| (k.code.as_str(), k.name.as_str()))
        .collect();

    // Every step measured: the ended ones in the period, the open ones at the moment.
    let mut ended = Vec::new();
    let mut open = Vec::new();
    for app in &input.histories {
        for span in spans(app, end) {
            let kecamatan = app.kecamatan.clone().unwrap_or_else(|| "-".into());
            let service = app.service.code();
            match span.end {
                Some(e) if in_period(e) => {
                    let secs = wt.seconds_between(span.start, e);
                    ended.push(Measured {
                        span,
                        service,
                        kecamatan,
                        secs,
                    });
                }
                Some(_) => {}
                None => {
                    let secs = wt.seconds_between(span.start, end);
                    open.push(Measured {
                        span,
                        service,
                        kecamatan,
                        secs,
                    });
                }
            }
        }
    }

    let frame = steps_frame(&ended, &target_secs, &local_date)?;
    let err = |what: &str| {
        let what = what.to_string();
        move |source| SlaError { what, source }
    };
    let summary = aggregate(&frame, &["step_no"]).map_err(err("steps per step"))?;
    let by_kec =
        aggregate(&frame, &["step_no", "kecamatan"]).map_err(err("steps per kecamatan"))?;
    let detail = aggregate(&frame, &["step_no", "service", "kecamatan"])
        .map_err(err("steps per service and kecamatan"))?;
    let weekly_agg = aggregate(&frame, &["step_no", "week"]).map_err(err("steps per week"))?;

    // Headlines and the summary table.
    let mut headlines = Vec::new();
    for (no, step) in Step::ALL.iter().enumerate() {
        let row = summary.iter().find(|r| r.keys[0] == no.to_string());
        let open_here: Vec<&Measured> = open.iter().filter(|m| m.span.step == *step).collect();
        let past = target_secs(*step).map_or(0, |t| {
            open_here.iter().filter(|m| m.secs > t).count() as i64
        });
        headlines.push(Headline {
            step: *step,
            target_hours: step.target_hours(&config.sla),
            count: row.map_or(0, |r| r.count),
            within: row.map_or(0, |r| r.within),
            median_secs: row.map(|r| r.median),
            p90_secs: row.map(|r| r.p90),
            open: open_here.len() as i64,
            open_past_target: past,
        });
    }
    let step_of = |no: &str| Step::ALL[no.parse::<usize>().expect("step numbers are ours")];
    let has_target = |s: Step| s.target_hours(&config.sla).is_some();
    let mut tables = Vec::new();
    tables.push(Table {
        name: "summary",
        title: "Ringkasan per tahap".into(),
        columns: vec![
            "step",
            "target_hours",
            "count",
            "within_target",
            "within_target_pct",
            "median_hours",
            "p90_hours",
            "open",
            "open_past_target",
        ],
        rows: headlines
            .iter()
            .map(|h| {
                vec![
                    h.step.code().to_string(),
                    target_text(h.target_hours),
                    h.count.to_string(),
                    if h.target_hours.is_some() {
                        h.within.to_string()
                    } else {
                        String::new()
                    },
                    if h.target_hours.is_some() {
                        pct(h.within, h.count)
                    } else {
                        String::new()
                    },
                    h.median_secs.map(hours).unwrap_or_default(),
                    h.p90_secs.map(hours).unwrap_or_default(),
                    h.open.to_string(),
                    if h.target_hours.is_some() {
                        h.open_past_target.to_string()
                    } else {
                        String::new()
                    },
                ]
            })
            .collect(),
    });
    let stat_cells = |r: &AggRow, step: Step| {
        let t = has_target(step);
        vec![
            r.count.to_string(),
            if t {
                r.within.to_string()
            } else {
                String::new()
            },
            if t {
                pct(r.within, r.count)
            } else {
                String::new()
            },
            hours(r.median),
            hours(r.p90),
        ]
    };
    tables.push(Table {
        name: "by-kecamatan",
        title: "Per kecamatan".into(),
        columns: vec![
            "step",
            "kecamatan",
            "kecamatan_name",
            "count",
            "within_target",
            "within_target_pct",
            "median_hours",
            "p90_hours",
        ],
        rows: by_kec
            .iter()
            .map(|r| {
                let step = step_of(&r.keys[0]);
                let mut row = vec![
                    step.code().to_string(),
                    r.keys[1].clone(),
                    kec_name.get(r.keys[1].as_str()).unwrap_or(&"").to_string(),
                ];
                row.extend(stat_cells(r, step));
                row
            })
            .collect(),
    });
    tables.push(Table {
        name: "detail",
        title: "Per tahap, layanan dan kecamatan".into(),
        columns: vec![
            "step",
            "service",
            "kecamatan",
            "kecamatan_name",
            "count",
            "within_target",
            "within_target_pct",
            "median_hours",
            "p90_hours",
        ],
        rows: detail
            .iter()
            .map(|r| {
                let step = step_of(&r.keys[0]);
                let mut row = vec![
                    step.code().to_string(),
                    r.keys[1].clone(),
                    r.keys[2].clone(),
                    kec_name.get(r.keys[2].as_str()).unwrap_or(&"").to_string(),
                ];
                row.extend(stat_cells(r, step));
                row
            })
            .collect(),
    });

    // The aging list: open steps with a target, past it, longest over first.
    let mut aging: Vec<(&Measured, i64)> = open
        .iter()
        .filter_map(|m| {
            let t = target_secs(m.span.step)?;
            (m.secs > t).then_some((m, t))
        })
        .collect();
    aging.sort_by(|a, b| {
        (b.0.secs - b.1)
            .cmp(&(a.0.secs - a.1))
            .then(a.0.span.application.cmp(&b.0.span.application))
            .then(a.0.span.step.cmp(&b.0.span.step))
    });
    tables.push(Table {
        name: "open-past-target",
        title: "Belum selesai dan melewati target".into(),
        columns: vec![
            "application",
            "step",
            "service",
            "kecamatan",
            "state",
            "since",
            "working_hours",
            "target_hours",
            "over_hours",
        ],
        rows: aging
            .iter()
            .map(|(m, t)| {
                vec![
                    m.span.application.to_string(),
                    m.span.step.code().to_string(),
                    m.service.to_string(),
                    m.kecamatan.clone(),
                    m.span.state.code().to_string(),
                    m.span
                        .start
                        .with_timezone(&offset)
                        .format("%Y-%m-%d %H:%M")
                        .to_string(),
                    hours(m.secs),
                    target_text(m.span.step.target_hours(&config.sla)),
                    hours(m.secs - t),
                ]
            })
            .collect(),
    });

    // Weekly trend, every week of the period (Monday first).
    let mut received_per_week: BTreeMap<NaiveDate, i64> = BTreeMap::new();
    for app in &input.histories {
        if let Some(r) = app.received_at().filter(|r| in_period(*r)) {
            *received_per_week.entry(week_of(local_date(r))).or_insert(0) += 1;
        }
    }
    let mut weekly = Vec::new();
    let mut w = week_of(period.from);
    while w <= period.to {
        let key = w.to_string();
        let steps = (0..Step::ALL.len())
            .map(|no| {
                weekly_agg
                    .iter()
                    .find(|r| r.keys[0] == no.to_string() && r.keys[1] == key)
                    .map_or((0, 0), |r| (r.count, r.within))
            })
            .collect();
        weekly.push(WeekRow {
            week: w,
            received: received_per_week.get(&w).copied().unwrap_or(0),
            steps,
        });
        w += Duration::days(7);
    }
    let mut weekly_cols = vec!["week_start", "received"];
    for s in Step::ALL {
        weekly_cols.push(match s {
            Step::CompleteToPrinted => "complete_to_printed_count",
            Step::PrintedToReady => "printed_to_ready_count",
            Step::SubmittedToReady => "submitted_to_ready_count",
            Step::ReadyToCollected => "ready_to_collected_count",
        });
        if has_target(s) {
            weekly_cols.push(match s {
                Step::CompleteToPrinted => "complete_to_printed_pct",
                Step::PrintedToReady => "printed_to_ready_pct",
                Step::SubmittedToReady => "submitted_to_ready_pct",
                Step::ReadyToCollected => "ready_to_collected_pct",
            });
        }
    }
    tables.push(Table {
        name: "weekly",
        title: "Tren mingguan".into(),
        columns: weekly_cols,
        rows: weekly
            .iter()
            .map(|wr| {
                let mut row = vec![wr.week.to_string(), wr.received.to_string()];
                for (s, (n, within)) in Step::ALL.iter().zip(&wr.steps) {
                    row.push(n.to_string());
                    if has_target(*s) {
                        row.push(pct(*within, *n));
                    }
                }
                row
            })
            .collect(),
    });

    // The funnel of KTP-el applications received in the period.
    let mut f = [0i64; 5];
    for app in input.histories.iter().filter(|a| a.service.is_ktp()) {
        if !app.received_at().is_some_and(in_period) {
            continue;
        }
        f[0] += 1;
        f[1] += i64::from(app.first(State::Verified, end).is_some());
        f[2] += i64::from(app.first(State::Printed, end).is_some());
        f[3] += i64::from(input.notified.get(&app.id).is_some_and(|t| *t < end));
        f[4] += i64::from(app.first(State::Collected, end).is_some());
    }
    let funnel = vec![
        ("received", "Diterima", f[0]),
        ("verified", "Terverifikasi", f[1]),
        ("printed", "Tercetak", f[2]),
        ("notified", "Diberi tahu (email terkirim)", f[3]),
        ("collected", "Diambil pemohon", f[4]),
    ];
    tables.push(Table {
        name: "funnel",
        title: "Alur permohonan KTP-el yang diterima dalam periode".into(),
        columns: vec!["stage", "applications", "pct_of_received"],
        rows: funnel
            .iter()
            .map(|(code, _, n)| vec![code.to_string(), n.to_string(), pct(*n, f[0])])
            .collect(),
    });

    // Rejection reasons of applications rejected in the period.
    let mut reasons: BTreeMap<&str, i64> = BTreeMap::new();
    let mut rejected = 0;
    for app in &input.histories {
        if app.first(State::Rejected, end).is_some_and(in_period) {
            rejected += 1;
            for r in &app.reasons {
                *reasons.entry(r.as_str()).or_insert(0) += 1;
            }
        }
    }
    let mut reason_rows: Vec<(&str, i64)> = reasons.into_iter().collect();
    reason_rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let mut rows: Vec<Vec<String>> = reason_rows
        .iter()
        .map(|(r, n)| vec![r.to_string(), n.to_string(), pct(*n, rejected)])
        .collect();
    rows.push(vec![
        "ALL_REJECTED".into(),
        rejected.to_string(),
        pct(rejected, rejected),
    ]);
    tables.push(Table {
        name: "rejections",
        title: "Alasan penolakan".into(),
        columns: vec!["reason", "applications", "pct_of_rejected"],
        rows,
    });

    // Blanko movements in the period, and the stock at its end.
    let mut b = BlankoPeriod::default();
    let mut upto: BTreeMap<Movement, u64> = BTreeMap::new();
    for e in &input.ledger {
        let Some(at) = DateTime::parse_from_rfc3339(&e.at)
            .ok()
            .map(|t| t.with_timezone(&Utc))
        else {
            continue;
        };
        if at >= end {
            continue;
        }
        *upto.entry(e.movement).or_insert(0) += e.quantity;
        if at < start {
            continue;
        }
        match e.movement {
            Movement::Received => b.received += e.quantity,
            Movement::Reserved => b.reserved += e.quantity,
            Movement::Used => b.used += e.quantity,
            Movement::Spoiled => b.spoiled += e.quantity,
            Movement::Released => b.released += e.quantity,
        }
    }
    b.available_at_end = BlankoBalance::from_sums(|m| upto.get(&m).copied().unwrap_or(0)).available;
    tables.push(Table {
        name: "blanko",
        title: "Blanko KTP-el".into(),
        columns: vec!["item", "value"],
        rows: vec![
            vec!["received".into(), b.received.to_string()],
            vec!["reserved".into(), b.reserved.to_string()],
            vec!["used".into(), b.used.to_string()],
            vec!["spoiled".into(), b.spoiled.to_string()],
            vec!["released".into(), b.released.to_string()],
            vec![
                "spoilage_pct".into(),
                pct(b.spoiled as i64, (b.used + b.spoiled) as i64),
            ],
            vec!["available_at_end".into(), b.available_at_end.to_string()],
        ],
    });

    Ok(SlaReport {
        period: Period { at: end, ..period },
        office_name: config.office.name.clone(),
        heading: crate::rekap::OfficeHeading::from_config(config),
        offset,
        timezone: format!("{:?}", config.office.timezone),
        headlines,
        funnel,
        weekly,
        blanko: b,
        tables,
    })
}

/// The frame of ended steps: one row per step of an application.
fn steps_frame(
    ended: &[Measured],
    target_secs: &dyn Fn(Step) -> Option<i64>,
    local_date: &dyn Fn(DateTime<Utc>) -> NaiveDate,
) -> Result<DataFrame, SlaError> {
    let step_no: Vec<String> = ended
        .iter()
        .map(|m| {
            Step::ALL
                .iter()
                .position(|s| *s == m.span.step)
                .expect("every step is in ALL")
                .to_string()
        })
        .collect();
    let service: Vec<&str> = ended.iter().map(|m| m.service).collect();
    let kecamatan: Vec<&str> = ended.iter().map(|m| m.kecamatan.as_str()).collect();
    let week: Vec<String> = ended
        .iter()
        .map(|m| week_of(local_date(m.span.end.expect("ended"))).to_string())
        .collect();
    let secs: Vec<i64> = ended.iter().map(|m| m.secs).collect();
    let within: Vec<i64> = ended
        .iter()
        .map(|m| i64::from(target_secs(m.span.step).is_some_and(|t| m.secs <= t)))
        .collect();
    df!(
        "step_no" => step_no,
        "service" => service,
        "kecamatan" => kecamatan,
        "week" => week,
        "secs" => secs,
        "within" => within,
    )
    .map_err(|source| SlaError {
        what: "the frame of measured steps".into(),
        source,
    })
}

/// One group of an aggregation.
struct AggRow {
    keys: Vec<String>,
    count: i64,
    within: i64,
    median: i64,
    p90: i64,
}

/// Count, within target, nearest-rank median and 90th percentile per group,
/// sorted by the keys.
fn aggregate(frame: &DataFrame, keys: &[&str]) -> PolarsResult<Vec<AggRow>> {
    let by: Vec<Expr> = keys.iter().map(|k| col(*k)).collect();
    let out = frame
        .clone()
        .lazy()
        .group_by(by)
        .agg([
            len().cast(DataType::Int64).alias("count"),
            col("within").sum().cast(DataType::Int64).alias("within"),
            col("secs")
                .quantile(lit(0.5), QuantileMethod::Equiprobable)
                .cast(DataType::Int64)
                .alias("median"),
            col("secs")
                .quantile(lit(0.9), QuantileMethod::Equiprobable)
                .cast(DataType::Int64)
                .alias("p90"),
        ])
        .sort(keys.to_vec(), SortMultipleOptions::default())
        .collect()?;
    let key_cols: Vec<&StringChunked> = keys
        .iter()
        .map(|k| out.column(k).and_then(|c| c.str()))
        .collect::<PolarsResult<_>>()?;
    let count = out.column("count")?.i64()?;
    let within = out.column("within")?.i64()?;
    let median = out.column("median")?.i64()?;
    let p90 = out.column("p90")?.i64()?;
    Ok((0..out.height())
        .map(|i| AggRow {
            keys: key_cols
                .iter()
                .map(|c| c.get(i).unwrap_or("").to_string())
                .collect(),
            count: count.get(i).unwrap_or(0),
            within: within.get(i).unwrap_or(0),
            median: median.get(i).unwrap_or(0),
            p90: p90.get(i).unwrap_or(0),
        })
        .collect())
}

/// The CSV bytes of a table.
pub fn table_csv(table: &Table) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    // Writing to memory cannot fail.
    w.write_record(&table.columns).expect("in memory");
    for row in &table.rows {
        w.write_record(row).expect("in memory");
    }
    w.into_inner().expect("in memory")
}

#[cfg(test)]
mod tests;

/// The report's files, rendered: the PDF, the HTML page, one CSV per
/// table and the workbook of all tables, as asked, named by their suffix (`pipeline::report_sla` names
/// and writes them).
pub fn files(report: &SlaReport, pdf: bool, html: bool, csv: bool, xlsx: bool) -> Vec<SlaFile> {
    let mut out = Vec::new();
    if pdf {
        out.push(SlaFile {
            suffix: ".pdf".to_string(),
            bytes: self::pdf::render(report),
        });
    }
    if html {
        out.push(SlaFile {
            suffix: ".html".to_string(),
            bytes: self::html::render(report).into_bytes(),
        });
    }
    if xlsx {
        out.push(SlaFile {
            suffix: ".xlsx".to_string(),
            bytes: self::xlsx::render(report),
        });
    }
    if csv {
        for t in &report.tables {
            out.push(SlaFile {
                suffix: format!("-{}.csv", t.name),
                bytes: table_csv(t),
            });
        }
    }
    out
}
