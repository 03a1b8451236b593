//! `sigap blanko …` and `sigap station …`: blank-card stock, and the printer
//! station's hot folder from both sides (sigap's results, the operator's
//! list and confirm).

use std::collections::BTreeMap;

use anyhow::bail;
use chrono::Utc;
use pipeline::Config;
use pipeline::adapters::station;
use pipeline::domain::batch::CardResult;
use pipeline::domain::blanko::Movement;
use pipeline::domain::outcome::Outcome;
use pipeline::job::{Done, Job};
use pipeline::print::confirm;
use pipeline::print::results_csv;
use pipeline::print::run::{apply_results, batch_and_dispatch};

use super::{Exit, open_store, operator, run_job};

/// `sigap blanko receive N --ref R`.
pub fn receive(
    config: &Config,
    quantity: u64,
    reference: &str,
    by: Option<&str>,
) -> anyhow::Result<Exit> {
    if quantity == 0 {
        bail!("blanko receive: N must be at least 1");
    }
    if reference.trim().is_empty() {
        bail!("blanko receive: --ref must name the delivery (e.g. the BAST or SPB number)");
    }
    let mut store = open_store(config)?;
    // A delivery is received once: the same reference again is a mistake
    // (or a script run twice), never more stock.
    if let Some((at, n)) = store.blanko_delivery(reference.trim())? {
        println!(
            "delivery {} was already received at {at} ({n} blanko); nothing added. Use the reference of the new delivery.",
            reference.trim()
        );
        return Ok(Exit::Attention);
    }
    let actor = format!("operator:{}", operator(by.map(str::to_string))?);
    store.write(|tx| {
        tx.blanko_move(
            Movement::Received,
            quantity,
            reference.trim(),
            &actor,
            "",
            Utc::now(),
        )
    })?;
    let b = store.blanko_balance()?;
    println!(
        "received {quantity} blanko (ref {}); available {}",
        reference.trim(),
        b.available
    );
    Ok(Exit::Ok)
}

/// `sigap blanko status [--json]`.
pub fn status(config: &Config, json: bool) -> anyhow::Result<Exit> {
    let store = open_store(config)?;
    let b = store.blanko_balance()?;
    if json {
        println!("{}", serde_json::to_string_pretty(&b)?);
    } else {
        println!("received   {:>8}", b.received);
        println!("reserved   {:>8}   (by batches at the station)", b.reserved);
        println!("used       {:>8}   (cards printed)", b.used);
        println!("spoiled    {:>8}", b.spoiled);
        println!("available  {:>8}", b.available);
        if !b.balanced() {
            println!(
                "warning: the ledger does not balance; run `sigap blanko status --json` and report it"
            );
            return Ok(Exit::Attention);
        }
    }
    Ok(Exit::Ok)
}

/// `sigap station list`: batches at the station without results yet.
pub fn list(config: &Config) -> anyhow::Result<Exit> {
    let station = station::open(config);
    let incoming = station.incoming()?;
    if incoming.is_empty() {
        println!("no batches waiting at the station");
    }
    for b in incoming {
        let m = &b.manifest;
        println!(
            "{}  {:>4} cards  kecamatan {}  made {}",
            m.batch_id, m.card_count, m.kecamatan_name, m.created_at
        );
    }
    Ok(Exit::Ok)
}

/// `sigap station confirm BATCH [--spoiled NIK:serial:reason,...] [--first-serial N]`:
/// the operator printed a batch; write its results file. Printed cards get
/// consecutive blanko serials from `--first-serial` (default: after the
/// highest serial sigap has seen), skipping the spoiled blanks' serials.
pub fn confirm(
    config: &Config,
    batch: &str,
    spoiled: &[String],
    first_serial: Option<u64>,
) -> anyhow::Result<Exit> {
    let station = station::open(config);
    let (rows, spoiled) = confirm::batch_cards(&*station, batch, spoiled)?;
    let store = open_store(config)?;
    let lines = confirm::allocate_serials(rows, &spoiled, &store.blanko_serials()?, first_serial);
    let printed = lines.iter().filter(|l| l.2 == CardResult::Printed).count();
    let path = station.write_results(batch, &results_csv(&lines))?;
    println!(
        "{batch}: {printed} printed, {} spoiled; results written to {}",
        spoiled.len(),
        path.display()
    );
    Ok(Exit::Ok)
}

/// `sigap station results`: apply the station's results files.
pub fn results(config: &Config) -> anyhow::Result<Exit> {
    let mut store = open_store(config)?;
    let station = station::open(config);
    let ran = run_job(config, Job::StationResults, false, &mut store, |store| {
        let report = apply_results(store, &*station, Utc::now())?;
        for r in &report.rejected {
            println!("rejected {} {}: {}", r.source, r.reason.code(), r.message);
        }
        println!("station results: {}", report.line());
        let overdue = warn_overdue(config, store)?;
        let counters = BTreeMap::from([
            ("files".to_string(), report.files as i64),
            ("already_applied".to_string(), report.already_applied as i64),
            ("printed".to_string(), report.printed as i64),
            ("spoiled".to_string(), report.spoiled as i64),
            ("failed".to_string(), report.failed as i64),
            ("rejected".to_string(), report.rejected.len() as i64),
            ("results_overdue".to_string(), overdue as i64),
        ]);
        anyhow::Ok(Done {
            outcome: Outcome::attention_if(!report.rejected.is_empty() || overdue > 0),
            counters,
            summary: report.line(),
            value: (),
        })
    })?;
    Ok(Exit::of(ran.outcome))
}

/// Warns about every dispatched batch the station is late with (on stdout
/// for the operator, by batch id in the log) and returns how many there are.
fn warn_overdue(config: &Config, store: &pipeline::store::Store) -> anyhow::Result<usize> {
    let overdue = pipeline::print::run::overdue_batches(
        store,
        &pipeline::domain::calendar::WorkingTime::new(config),
        Utc::now(),
    )?;
    for o in &overdue {
        println!("warning: {}", o.line());
        tracing::warn!(batch = %o.batch, hours = o.hours, "no station results");
    }
    Ok(overdue.len())
}

/// `sigap batch [--dry-run]`: tonight's print batches, into the station's hot folder.
pub fn batch(config: &Config, dry_run: bool) -> anyhow::Result<Exit> {
    let mut store = open_store(config)?;
    let station = station::open(config);
    let ran = run_job(config, Job::Batch, dry_run, &mut store, |store| {
        let report = batch_and_dispatch(
            store,
            config,
            &mut || pipeline::adapters::open(config),
            &*station,
            Utc::now(),
            dry_run,
        )?;
        for (id, kec, n) in &report.made {
            println!(
                "{}{id}: {n} card(s) for kecamatan {kec}",
                if dry_run { "would make " } else { "" }
            );
        }
        for id in &report.dispatched {
            println!("dispatched {}", station.batch_location(id));
        }
        for (reason, n) in &report.waiting {
            println!("waiting {n}: {}", reason.describe());
        }
        for id in &report.to_review {
            println!(
                "warning: {id}: no population record for its NIK any more, so no card was printed; it is in the review queue (`sigap review list`: approve it once the record is back, or reject it)"
            );
        }
        let line = report.line();
        println!(
            "batch: {line}{}",
            if dry_run {
                " (dry run: nothing was written)"
            } else {
                ""
            }
        );
        // The station being late blocks nothing here, but a person must look.
        let overdue = warn_overdue(config, store)?;
        let mut counters = BTreeMap::from([
            ("batches".to_string(), report.made.len() as i64),
            (
                "cards".to_string(),
                report.made.iter().map(|m| m.2 as i64).sum(),
            ),
            ("dispatched".to_string(), report.dispatched.len() as i64),
        ]);
        for (reason, n) in &report.waiting {
            counters.insert(
                format!("waiting_{}", reason.code().to_lowercase()),
                *n as i64,
            );
        }
        if overdue > 0 {
            counters.insert("results_overdue".to_string(), overdue as i64);
        }
        if !report.to_review.is_empty() {
            counters.insert("to_review".to_string(), report.to_review.len() as i64);
        }
        anyhow::Ok(Done {
            outcome: Outcome::attention_if(overdue > 0 || !report.to_review.is_empty()),
            counters,
            summary: line,
            value: (),
        })
    })?;
    Ok(Exit::of(ran.outcome))
}

/// `sigap rekap [--dry-run]`: write every missing or changed rekap under out/rekap/.
pub fn rekap(config: &Config, dry_run: bool) -> anyhow::Result<Exit> {
    let mut store = open_store(config)?;
    let ran = run_job(config, Job::Rekap, dry_run, &mut store, |store| {
        let report = write_rekaps(config, store, dry_run)?;
        let line = if dry_run {
            for p in &report.written {
                println!("would write {}", p.display());
            }
            format!(
                "rekap: {} to write, {} unchanged (dry run: nothing was written)",
                report.written.len(),
                report.unchanged
            )
        } else {
            for p in &report.written {
                println!("wrote {}", p.display());
            }
            format!(
                "rekap: {} written, {} unchanged, in {}",
                report.written.len(),
                report.unchanged,
                pipeline::print::rekap::rekap_dir(config).display()
            )
        };
        println!("{line}");
        let counters = BTreeMap::from([
            ("written".to_string(), report.written.len() as i64),
            ("unchanged".to_string(), report.unchanged as i64),
        ]);
        anyhow::Ok(Done {
            outcome: Outcome::Ok,
            counters,
            summary: line,
            value: (),
        })
    })?;
    Ok(Exit::of(ran.outcome))
}

/// The rekap stage with the station and the renderers of this office.
fn write_rekaps(
    config: &Config,
    store: &pipeline::store::Store,
    dry_run: bool,
) -> Result<pipeline::print::rekap::RekapReport, pipeline::print::rekap::RekapError> {
    pipeline::print::rekap::write_rekaps(
        config,
        store,
        &*station::open(config),
        &reports::Renderer::new(config),
        dry_run,
    )
}
