//! `sigap quarantine list [--json] | show ID`.

use pipeline::Config;
use pipeline::domain::quarantine::{QuarantineId, printable};
use pipeline::store::QuarantineEntry;
use serde_json::{Value, json};

use super::{Exit, open_store};

fn to_json(q: &QuarantineEntry) -> Value {
    json!({
        "id": q.id.to_string(),
        "channel": q.channel.code(),
        "source": q.source,
        "message_id": q.message_id,
        "reason": q.reason.code(),
        "sentence": q.reason.sentence(),
        "detail": q.detail,
        "stored_path": q.stored_path,
        "sha256": q.sha256,
        "size": q.size,
        "received_at": q.received_at.to_rfc3339(),
    })
}

pub fn list(config: &Config, json: bool) -> anyhow::Result<Exit> {
    let store = open_store(config)?;
    let entries = store.quarantine()?;
    if json {
        let all: Vec<Value> = entries.iter().map(to_json).collect();
        println!("{}", serde_json::to_string_pretty(&all)?);
        return Ok(Exit::Ok);
    }
    println!("{:<9} {:<6} {:<22} source", "id", "from", "reason");
    for q in &entries {
        println!(
            "{:<9} {:<6} {:<22} {}",
            q.id.to_string(),
            q.channel.code(),
            q.reason.code(),
            printable(&q.source, 100)
        );
    }
    println!("{} quarantined", entries.len());
    Ok(Exit::Ok)
}

pub fn show(config: &Config, id: QuarantineId) -> anyhow::Result<Exit> {
    let store = open_store(config)?;
    let Some(q) = store.quarantine_entry(id)? else {
        anyhow::bail!("no quarantine entry {id}; list them with `sigap quarantine list`");
    };
    println!("{}  {}  ({})", q.id, q.reason.code(), q.channel.code());
    println!("  source      {}", printable(&q.source, 300));
    if let Some(m) = &q.message_id {
        println!("  message-id  {}", printable(m, 300));
    }
    println!(
        "  received    {}",
        q.received_at.format("%Y-%m-%d %H:%M:%S UTC")
    );
    println!("  alasan      {}", q.reason.sentence());
    println!("  detail      {}", printable(&q.detail, 2000));
    println!("  size        {} bytes", q.size);
    if let Some(p) = &q.stored_path {
        println!(
            "  kept as     {} (sha256 {})",
            config.data_dir().join(p).display(),
            q.sha256.as_deref().unwrap_or("-")
        );
    }
    if !q.raw.is_empty() {
        println!("Content:");
        match std::str::from_utf8(&q.raw) {
            Ok(text) => println!("{}", text.trim_end()),
            Err(_) => println!("{}", String::from_utf8_lossy(&q.raw).trim_end()),
        }
    }
    Ok(Exit::Ok)
}
