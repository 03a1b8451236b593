//! `sigap holidays list [--year Y] [--json]`: the closed days in force, each
//! with its source, the built-in days the office works, and a warning when
//! the lists run out.

use chrono::Datelike;
use pipeline::Config;
use pipeline::config::HolidayKind;
use pipeline::domain::holidays::HolidaySet;
use serde_json::json;

use super::Exit;

fn kind(k: HolidayKind) -> &'static str {
    match k {
        HolidayKind::LiburNasional => "libur_nasional",
        HolidayKind::CutiBersama => "cuti_bersama",
        HolidayKind::Lokal => "lokal",
    }
}

pub fn list(config: &Config, year: Option<i32>, as_json: bool) -> anyhow::Result<Exit> {
    let set = HolidaySet::for_config(config);
    let today = pipeline::clock::now()?
        .with_timezone(&config.office.timezone.offset())
        .date_naive();
    let warning = set.warning(today);
    let uncovered = year.filter(|y| !set.covers(*y));
    if as_json {
        let days: Vec<_> = set.days(year).collect();
        let removed: Vec<_> = set.removed(year).collect();
        let out = json!({
            "years": set.years().collect::<Vec<_>>(),
            "days": days,
            "removed": removed,
            "warning": warning,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(Exit::Ok);
    }
    let years: Vec<String> = set.years().map(|y| y.to_string()).collect();
    println!("holiday lists: {}", years.join(", "));
    if let Some(y) = uncovered {
        println!(
            "{y}: no holiday list; only weekends count as closed. Add {y}'s days as \
             [[holidays]] in {}",
            config.source_file.display()
        );
    }
    let mut shown_year = None;
    for d in set.days(year) {
        if shown_year != Some(d.date.year()) {
            shown_year = Some(d.date.year());
            println!("{}:", d.date.year());
        }
        println!(
            "  {}  {:<14}  {:<10}  {}{}",
            d.date,
            kind(d.kind),
            d.source.label(),
            d.name,
            if d.estimated { "  (estimated)" } else { "" }
        );
    }
    for r in set.removed(year) {
        println!(
            "  {}  worked (holidays_removed): {} — {}",
            r.day.date, r.day.name, r.reason
        );
    }
    if let Some(w) = warning {
        println!("warning: holidays: {w}");
    }
    Ok(Exit::Ok)
}
