//! `sigap review list | approve ID | reject ID --reason R | classify ID DOC KIND`.

use std::collections::HashMap;

use chrono::Utc;
use pipeline::adapters;
use pipeline::domain::nik::{clean_digits, mask};
use pipeline::domain::outcome::Outcome;
use pipeline::domain::wilayah::Wilayah;
use pipeline::job::{Done, Job};
use pipeline::ports::Person;
use pipeline::store::{Store, UnclassifiedDocument};
use pipeline::verify;
use pipeline::verify::review;
use pipeline::{Application, ApplicationId, Config};
use serde_json::{Value, json};

use super::{Exit, open_store, operator, run_job};

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
    let mut unclassified = HashMap::new();
    for a in &queue {
        unclassified.insert(a.id, store.unclassified_documents(a.id)?);
    }
    if json {
        let all: Vec<Value> = queue
            .iter()
            .map(|a| {
                let r = record(&records, a);
                let docs: Vec<Value> = unclassified[&a.id].iter().map(doc_json).collect();
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
                    "unclassified_documents": docs,
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
        for d in &unclassified[&a.id] {
            println!(
                "{:<76} doc {}: {} ({} bytes, {}) kind unknown",
                "",
                d.id,
                d.document.stored_path,
                d.document.size,
                file_type(&d.document.stored_path),
            );
        }
    }
    println!(
        "{} application(s) wait: sigap review approve ID | reject ID --reason R",
        queue.len()
    );
    if unclassified.values().any(|d| !d.is_empty()) {
        let kinds: Vec<&str> = config.documents.keys().map(String::as_str).collect();
        println!(
            "documents of unknown kind: sigap review classify ID DOC KIND (KIND one of: {})",
            kinds.join(", ")
        );
    }
    Ok(Exit::Ok)
}

/// The type of a stored document, from the extension sigap gave it
/// (by content for PDF and images).
fn file_type(stored_path: &str) -> &str {
    stored_path.rsplit_once('.').map_or("?", |(_, ext)| ext)
}

fn doc_json(d: &UnclassifiedDocument) -> Value {
    json!({
        "id": d.id,
        "stored_path": d.document.stored_path,
        "size": d.document.size,
        "type": file_type(&d.document.stored_path),
    })
}

/// Classifies a document and verifies its application again at once,
/// through the job runner like `sigap verify`.
pub fn classify(
    config: &Config,
    id: ApplicationId,
    doc: i64,
    kind: &str,
    by: Option<String>,
) -> anyhow::Result<Exit> {
    let who = operator(by)?;
    let mut store = open_store(config)?;
    review::classify(&mut store, config, id, doc, kind, &who, Utc::now())?;
    println!(
        "{id}: document {doc} classified as {} by {who}",
        kind.trim()
    );
    reverify(config, &mut store, id)
}

fn reverify(config: &Config, store: &mut Store, id: ApplicationId) -> anyhow::Result<Exit> {
    let ran = run_job(config, Job::Verify, false, store, |store| {
        verify::run_one(
            store,
            config,
            Wilayah::embedded(),
            || adapters::open(config),
            &Utc::now,
            id,
        )
        .map(|report| Done {
            outcome: Outcome::attention_if(report.needs_attention()),
            counters: report.counters(),
            summary: report.summary(),
            value: report,
        })
    });
    let ran = match ran {
        Ok(ran) => ran,
        Err(e) => {
            // The classification is written; the application is RECEIVED.
            eprintln!("{id} is RECEIVED; the next `sigap verify` decides it");
            return Err(e);
        }
    };
    match ran.value.decisions.iter().find(|d| d.id == id) {
        Some(d) if d.reasons.is_empty() => println!("{id} verified again: {}", d.state),
        Some(d) => println!(
            "{id} verified again: {} ({})",
            d.state,
            d.reasons
                .iter()
                .map(|r| r.code())
                .collect::<Vec<_>>()
                .join(",")
        ),
        None => println!(
            "{id} was decided by another verify run meanwhile: sigap applications show {id}"
        ),
    }
    Ok(Exit::of(ran.outcome))
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
