//! `sigap review list | approve ID | reject ID --reason R`.

use std::collections::HashMap;

use chrono::Utc;
use pipeline::adapters;
use pipeline::domain::nik::{clean_digits, mask};
use pipeline::ports::Person;
use pipeline::verify::review;
use pipeline::{Application, ApplicationId, Config};
use serde_json::{Value, json};

use super::{Exit, open_store, operator};

/// The record of an application's NIK, if it was found.
fn record<'a>(records: &'a HashMap<u64, Person>, a: &Application) -> Option<&'a Person> {
    let digits = clean_digits(&a.submitted.nik).ok()?;
    records.get(&adapters::nik_number(&digits)?)
}

pub fn list(config: &Config, json: bool) -> anyhow::Result<Exit> {
    let store = open_store(config)?;
    let queue = review::queue(&store)?;
    // The names on record come from the population database; without it
    // the queue is still worth seeing.
    let records = if queue.is_empty() {
        HashMap::new()
    } else {
        match adapters::open(config).and_then(|mut db| review::records(db.as_mut(), &queue)) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("warning: {e}; the names on record are not shown");
                HashMap::new()
            }
        }
    };
    if json {
        let all: Vec<Value> = queue
            .iter()
            .map(|a| {
                let r = record(&records, a);
                json!({
                    "id": a.id.to_string(),
                    "nik": a.submitted.nik,
                    "service": a.submitted.service.code(),
                    "submitted_at": a.submitted.submitted_at.to_rfc3339(),
                    "reasons": a.reasons,
                    "name": a.submitted.name,
                    "record_name": r.map(|p| p.name.clone()),
                    "kk_number": a.submitted.kk_number,
                    "record_kk_number": r.map(|p| p.kk_number.clone()),
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&all)?);
        return Ok(Exit::Ok);
    }
    if queue.is_empty() {
        println!("The review queue is empty.");
        return Ok(Exit::Ok);
    }
    println!(
        "{:<9} {:<17} {:<20} {:<27} typed / on record",
        "id", "nik", "service", "reasons"
    );
    for a in &queue {
        let s = &a.submitted;
        let r = record(&records, a);
        let on_record = |f: fn(&Person) -> &str| r.map_or("?", f).to_string();
        println!(
            "{:<9} {:<17} {:<20} {:<27} name: {} / {}",
            a.id.to_string(),
            mask(&s.nik),
            s.service.code(),
            a.reasons.join(","),
            s.name,
            on_record(|p| &p.name),
        );
        if a.reasons.iter().any(|c| c == "KK_MISMATCH") {
            println!(
                "{:<76} KK:   {} / {}",
                "",
                s.kk_number.as_deref().unwrap_or("-"),
                on_record(|p| &p.kk_number),
            );
        }
    }
    println!(
        "{} application(s) wait: sigap review approve ID | reject ID --reason R",
        queue.len()
    );
    Ok(Exit::Ok)
}

pub fn approve(config: &Config, id: ApplicationId, by: Option<String>) -> anyhow::Result<Exit> {
    let who = operator(by)?;
    let mut store = open_store(config)?;
    review::approve(&mut store, id, &who, Utc::now())?;
    println!("{id} approved by {who}: VERIFIED");
    Ok(Exit::Ok)
}

pub fn reject(
    config: &Config,
    id: ApplicationId,
    reason: &str,
    by: Option<String>,
) -> anyhow::Result<Exit> {
    let who = operator(by)?;
    let mut store = open_store(config)?;
    let code = review::reject(&mut store, id, &who, reason, Utc::now())?;
    println!("{id} rejected by {who}: {code}");
    Ok(Exit::Ok)
}
