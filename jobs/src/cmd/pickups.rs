//! `sigap pickups import`, `sigap handover`, `sigap arrived`: the cards'
//! way from the printer to the applicant.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::Utc;
use pipeline::Config;
use pipeline::pickup::run::{
    LegReport, RegisterFile, arrived as arrive, handover as hand, import as run_import,
};
use pipeline::store::Outcome;

use super::{Exit, lock_job, open_store, operator, record_failure};

/// Register files in `inbox/pickups/`, by name; dotfiles and names of
/// files still being written are left for a later run.
fn inbox_registers(config: &Config) -> anyhow::Result<Vec<PathBuf>> {
    let dir = config.inbox_dir().join("pickups");
    let rd = match std::fs::read_dir(&dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("reading {}", dir.display())),
    };
    let mut out: Vec<PathBuf> = rd
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.path())
        .filter(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().to_lowercase())
                .unwrap_or_default();
            !name.starts_with('.') && name.ends_with(".csv")
        })
        .collect();
    out.sort();
    Ok(out)
}

/// The name a register goes by in sources: `pickups/<file>` inside the
/// inbox, else the file name as given.
fn register_name(config: &Config, path: &Path) -> String {
    match path.strip_prefix(config.inbox_dir()) {
        Ok(rel) => rel.display().to_string(),
        Err(_) => path.display().to_string(),
    }
}

/// `sigap pickups import [FILE…]`.
pub fn import(config: &Config, files: &[PathBuf]) -> anyhow::Result<Exit> {
    let _lock = lock_job(config, "pickups")?;
    let paths = if files.is_empty() {
        let found = inbox_registers(config)?;
        if found.is_empty() {
            println!(
                "pickups: no register in {}; nothing to do",
                config.inbox_dir().join("pickups").display()
            );
        }
        found
    } else {
        files.to_vec()
    };
    let mut registers = Vec::new();
    for p in &paths {
        let bytes = std::fs::read(p)
            .with_context(|| format!("cannot read the pickup register {}", p.display()))?;
        registers.push(RegisterFile {
            name: register_name(config, p),
            bytes,
        });
    }
    let mut store = open_store(config)?;
    let now = Utc::now();
    let run = store.start_run("pickups", now)?;
    let report = match run_import(
        &mut store,
        &registers,
        config.office.printing,
        config.office.timezone,
        now,
    ) {
        Ok(r) => r,
        Err(e) => {
            record_failure(&mut store, run, &e)?;
            return Err(e.into());
        }
    };
    for name in &report.already_imported {
        println!("{name}: imported before (same content); nothing read");
    }
    for r in &report.quarantined {
        println!(
            "quarantined {} {}: {}",
            r.source,
            r.reason.code(),
            r.message
        );
    }
    let line = report.line();
    println!("pickups: {line}");
    if report.implied_moves > 0 {
        println!(
            "note: {} IN_TRANSIT/READY move(s) were recorded at the pickup time because no handover or arrival was recorded (`sigap handover`, `sigap arrived`)",
            report.implied_moves
        );
    }
    if !report.quarantined.is_empty() {
        println!("see them with `sigap quarantine list`");
    }
    let counters = BTreeMap::from([
        ("files".to_string(), report.files as i64),
        (
            "already_imported".to_string(),
            report.already_imported.len() as i64,
        ),
        ("rows".to_string(), report.rows as i64),
        ("collected".to_string(), report.collected as i64),
        ("surrendered".to_string(), report.surrendered as i64),
        ("already_known".to_string(), report.already_known as i64),
        ("quarantined".to_string(), report.quarantined.len() as i64),
    ]);
    let (outcome, exit) = if report.quarantined.is_empty() {
        (Outcome::Ok, Exit::Ok)
    } else {
        (Outcome::Attention, Exit::Attention)
    };
    store.finish_run(run, outcome, &counters, &line, Utc::now())?;
    Ok(exit)
}

fn print_leg(batch: &str, verb: &str, r: &LegReport) {
    println!(
        "{batch}: {} card(s) {verb}, {} already there or further, {} not printed yet",
        r.moved.len(),
        r.already,
        r.not_printed
    );
    if r.without_handover > 0 {
        println!(
            "note: {} of them had no handover recorded (PRINTED → READY)",
            r.without_handover
        );
    }
}

/// `sigap handover BATCH --by NAME`.
pub fn handover(config: &Config, batch: &str, by: &str) -> anyhow::Result<Exit> {
    let by = by.trim();
    anyhow::ensure!(!by.is_empty(), "handover: --by must name the courier");
    let mut store = open_store(config)?;
    let r = hand(&mut store, batch.trim(), by, Utc::now())?;
    print_leg(batch.trim(), "in transit now", &r);
    Ok(Exit::Ok)
}

/// `sigap arrived BATCH [--by NAME]`.
pub fn arrived(config: &Config, batch: &str, by: Option<String>) -> anyhow::Result<Exit> {
    let by = operator(by)?;
    let mut store = open_store(config)?;
    let r = arrive(&mut store, batch.trim(), &by, Utc::now())?;
    print_leg(batch.trim(), "ready for pickup now", &r);
    Ok(Exit::Ok)
}
