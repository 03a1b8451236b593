//! `sigap applications list | show`.

use pipeline::domain::nik::mask;
use pipeline::{Application, ApplicationId, Config, State};
use serde_json::{Value, json};

use super::{Exit, open_store};

/// The JSON form scripts and tests outside the project read: the full NIK is
/// here on purpose, for the office's own tools; text output masks it.
fn to_json(a: &Application) -> Value {
    let s = &a.submitted;
    json!({
        "id": a.id.to_string(),
        "nik": s.nik,
        "name": s.name,
        "source": s.source.code(),
        "source_ref": s.source_ref,
        "service": s.service.code(),
        "state": a.state.code(),
        "state_since": a.state_since.to_rfc3339(),
        "kecamatan": s.kecamatan,
        "email": s.email,
        "reasons": a.reasons,
        "batch": a.batch,
        "submitted_at": s.submitted_at.to_rfc3339(),
    })
}

pub fn list(config: &Config, state: Option<State>, json: bool) -> anyhow::Result<Exit> {
    let store = open_store(config)?;
    let apps = store.applications(state)?;
    if json {
        let all: Vec<Value> = apps.iter().map(to_json).collect();
        println!("{}", serde_json::to_string_pretty(&all)?);
        return Ok(Exit::Ok);
    }
    println!(
        "{:<9} {:<16} {:<19} {:<6} {:<17} {:<10} reasons",
        "id", "state", "service", "source", "nik", "kecamatan"
    );
    for a in &apps {
        let s = &a.submitted;
        println!(
            "{:<9} {:<16} {:<19} {:<6} {:<17} {:<10} {}",
            a.id.to_string(),
            a.state.code(),
            s.service.code(),
            s.source.code(),
            mask(&s.nik),
            s.kecamatan.as_deref().unwrap_or("-"),
            a.reasons.join(",")
        );
    }
    println!("{} application(s)", apps.len());
    Ok(Exit::Ok)
}

pub fn show(config: &Config, id: ApplicationId, json: bool) -> anyhow::Result<Exit> {
    let store = open_store(config)?;
    let Some(a) = store.application(id)? else {
        anyhow::bail!("no application {id}; list them with `sigap applications list`");
    };
    let events = store.events(id)?;
    let notices = store.notices_of(id)?;
    if json {
        let mut v = to_json(&a);
        v["events"] = serde_json::to_value(&events)?;
        v["notices"] = serde_json::to_value(&notices)?;
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(Exit::Ok);
    }
    let s = &a.submitted;
    println!("{}  {}  ({})", a.id, a.state.code(), s.service.label());
    println!("  NIK         {}", s.nik);
    println!("  name        {}", s.name);
    println!(
        "  birth date  {}",
        s.birth_date
            .map(|d| d.to_string())
            .unwrap_or_else(|| "-".into())
    );
    println!("  KK number   {}", s.kk_number.as_deref().unwrap_or("-"));
    println!("  kecamatan   {}", s.kecamatan.as_deref().unwrap_or("-"));
    println!("  email       {}", s.email.as_deref().unwrap_or("-"));
    println!("  source      {} {}", s.source.code(), s.source_ref);
    println!("  submitted   {}", s.submitted_at.to_rfc3339());
    println!(
        "  reasons     {}",
        if a.reasons.is_empty() {
            "-".into()
        } else {
            a.reasons.join(", ")
        }
    );
    println!("  batch       {}", a.batch.as_deref().unwrap_or("-"));
    println!("Events:");
    for e in events {
        println!(
            "  {}  {:<16} -> {:<16} {}  {}",
            e.at.format("%Y-%m-%d %H:%M:%S UTC"),
            e.from.map(State::code).unwrap_or("-"),
            e.to.code(),
            e.actor,
            e.detail
        );
    }
    if !notices.is_empty() {
        println!("Notices:");
    }
    for n in notices {
        println!(
            "  {}  {:<17} {:<6} attempts {}  {}",
            n.created_at.format("%Y-%m-%d %H:%M:%S UTC"),
            n.kind.code(),
            n.state.code(),
            n.attempts,
            n.sent_at
                .map(|t| format!("sent {}", t.format("%Y-%m-%d %H:%M:%S UTC")))
                .unwrap_or(n.last_error)
        );
    }
    Ok(Exit::Ok)
}
