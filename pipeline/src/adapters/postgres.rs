//! The PostgreSQL adapter: the batch's NIKs are copied into a temporary
//! table (`COPY … FROM STDIN`), the join with the population table runs on
//! the server, and the matching rows stream back. A national-size table
//! never leaves the database. `pipeline/sql/population.sql` creates the
//! table this expects.
//!
//! The client is async (tokio-postgres); a current-thread runtime owned by
//! the adapter drives it, so callers stay synchronous.

use std::io::Cursor;
use std::pin::pin;
use std::time::Duration;

use chrono::NaiveDate;
use futures_util::{SinkExt, TryStreamExt};
use tokio::runtime::Runtime;
use tokio_postgres::Client;
use tokio_postgres::config::Host;

use super::nik_number;
use crate::ports::{CARD_COLUMNS, COLUMNS, CardDetails, Person, PopulationDb, PopulationError};

/// NIKs per COPY message: big enough for few round trips, small enough to
/// keep the buffer modest.
const COPY_CHUNK: usize = 4096;

/// A connection to a PostgreSQL database holding the population table.
pub struct PostgresDb {
    runtime: Runtime,
    client: Client,
    table: String,
    target: String,
}

/// `host:port/dbname` of a URL, without user or password, for messages.
fn redacted(config: &tokio_postgres::Config) -> String {
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(h)) => h.clone(),
        Some(Host::Unix(p)) => p.display().to_string(),
        None => "localhost".into(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!(
        "postgres://{host}:{port}/{}",
        config.get_dbname().unwrap_or("")
    )
}

/// Quotes a table name, `schema.table` allowed; anything else is refused
/// (it goes into SQL text, since COPY and identifiers take no parameters).
fn quoted_table(table: &str) -> Result<String, PopulationError> {
    let parts: Vec<&str> = table.split('.').collect();
    let ok = parts.len() <= 2
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !p.starts_with(|c: char| c.is_ascii_digit())
        });
    if !ok {
        return Err(PopulationError::BadTable(table.to_string()));
    }
    Ok(parts
        .iter()
        .map(|p| format!("\"{p}\""))
        .collect::<Vec<_>>()
        .join("."))
}

impl PostgresDb {
    /// Connects to `url` (`postgres://user[:password]@host[:port]/db`) and
    /// reads `table` on each lookup.
    pub fn connect(url: &str, table: &str) -> Result<PostgresDb, PopulationError> {
        let table = quoted_table(table)?;
        let tls = super::pg_tls::parse(url)?;
        let mut config: tokio_postgres::Config =
            tls.url
                .parse()
                .map_err(|source: tokio_postgres::Error| PopulationError::Connect {
                    // An unparsable URL is not echoed: it may hold a password.
                    target: "SIGAP_POPULATION_URL (not a valid postgres:// URL)".into(),
                    source: source.into(),
                })?;
        config.ssl_mode(super::pg_tls::driver_mode(tls.mode));
        if config.get_connect_timeout().is_none() {
            // A server that is down should fail the job, not hang the night.
            config.connect_timeout(Duration::from_secs(10));
        }
        let target = redacted(&config);
        let host = match config.get_hosts().first() {
            Some(Host::Tcp(h)) => h.clone(),
            _ => "localhost".into(),
        };
        let connector = super::pg_tls::connector(&tls)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(PopulationError::Runtime)?;
        let (client, connection) = runtime
            .block_on(config.connect(connector))
            .map_err(|e| connect_error(e, &target, &host))?;
        // The connection does the socket I/O; it runs whenever the runtime
        // is driven by a `block_on` below.
        runtime.spawn(async move {
            if let Err(e) = connection.await {
                tracing::warn!("population database connection closed: {e}");
            }
        });
        Ok(PostgresDb {
            runtime,
            client,
            table,
            target,
        })
    }
}

/// A failed connection in words: a refused certificate names what is
/// wrong with it, a server that takes only TLS says which sslmode to set.
fn connect_error(e: tokio_postgres::Error, target: &str, host: &str) -> PopulationError {
    if let Some(problem) = super::tls::certificate_problem(&e) {
        let peer = super::tls::Peer {
            host,
            kind: "database server",
            url_setting: crate::config::env::POPULATION_URL,
            ca_setting: "sslrootcert= in SIGAP_POPULATION_URL",
        };
        let super::tls::Described { problem, fix } = super::tls::describe(&problem, &peer);
        return PopulationError::Certificate {
            target: target.to_string(),
            problem,
            fix,
        };
    }
    // pg_hba.conf has no entry for a plain session (hostssl only): 28000,
    // "… no encryption".
    if let Some(db) = e.as_db_error()
        && db.code().code() == "28000"
        && db.message().contains("no encryption")
    {
        return PopulationError::NeedsTls {
            target: target.to_string(),
        };
    }
    PopulationError::Connect {
        target: target.to_string(),
        source: e.into(),
    }
}

/// Whether an error means the session is gone rather than the statement
/// wrong: the connection closed, a connection exception (SQLSTATE class 08)
/// or operator intervention (57P01–57P05: shutdown, terminated backend).
fn connection_lost(e: &tokio_postgres::Error) -> bool {
    e.is_closed()
        || e.code().is_some_and(|c| {
            let code = c.code();
            code.starts_with("08") || code.starts_with("57P")
        })
}

/// Sends the batch's NIKs to the server (COPY into a temporary table), joins
/// there and streams back `columns` of each match, read by `read` (whose
/// first column is the NIK text).
async fn join_batch<T>(
    client: &mut Client,
    table: &str,
    target: &str,
    niks: &[u64],
    columns: &[&str],
    read: impl Fn(&tokio_postgres::Row) -> Result<T, tokio_postgres::Error>,
) -> Result<Vec<(u64, T)>, PopulationError> {
    let target = target.to_string();
    let step_err = |step: &'static str| {
        let target = target.clone();
        move |source: tokio_postgres::Error| {
            if connection_lost(&source) {
                PopulationError::ConnectionLost {
                    target: target.clone(),
                    step,
                    source: source.into(),
                }
            } else {
                PopulationError::Query {
                    target: target.clone(),
                    step,
                    source: source.into(),
                }
            }
        }
    };
    let tx = client.transaction().await.map_err(step_err("BEGIN"))?;
    tx.batch_execute("CREATE TEMPORARY TABLE tmp_batch (nik text PRIMARY KEY) ON COMMIT DROP")
        .await
        .map_err(step_err("creating the temporary batch table"))?;
    {
        let sink = tx
            .copy_in::<_, Cursor<Vec<u8>>>("COPY tmp_batch (nik) FROM STDIN")
            .await
            .map_err(step_err("COPY of the batch's NIKs"))?;
        let mut sink = pin!(sink);
        for chunk in niks.chunks(COPY_CHUNK) {
            let mut buf = Vec::with_capacity(chunk.len() * 17);
            for n in chunk {
                buf.extend_from_slice(format!("{n:016}\n").as_bytes());
            }
            sink.send(Cursor::new(buf))
                .await
                .map_err(step_err("COPY of the batch's NIKs"))?;
        }
        sink.as_mut()
            .finish()
            .await
            .map_err(step_err("COPY of the batch's NIKs"))?;
    }
    // Fresh statistics let the planner choose the join for the batch's size.
    tx.batch_execute("ANALYZE tmp_batch")
        .await
        .map_err(step_err("ANALYZE of the batch table"))?;
    let columns = columns
        .iter()
        .map(|c| format!("p.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!("SELECT {columns} FROM {table} p JOIN tmp_batch b ON p.nik = b.nik");
    let rows = tx
        .query_raw(sql.as_str(), Vec::<String>::new())
        .await
        .map_err(step_err("the join with the batch"))?;
    let mut rows = pin!(rows);
    let mut out = Vec::with_capacity(niks.len());
    while let Some(row) = rows
        .try_next()
        .await
        .map_err(step_err("reading the joined rows"))?
    {
        let nik: String = row
            .try_get::<_, Option<String>>(0)
            .map_err(step_err("reading the joined rows"))?
            .unwrap_or_default();
        let value = read(&row).map_err(step_err("reading the joined rows"))?;
        let nik = nik_number(nik.trim()).ok_or_else(|| PopulationError::BadNik {
            source_name: target.clone(),
            value: nik.clone(),
        })?;
        out.push((nik, value));
    }
    tx.commit().await.map_err(step_err("COMMIT"))?;
    Ok(out)
}

fn text(row: &tokio_postgres::Row, i: usize) -> Result<String, tokio_postgres::Error> {
    Ok(row.try_get::<_, Option<String>>(i)?.unwrap_or_default())
}

fn person(row: &tokio_postgres::Row) -> Result<Person, tokio_postgres::Error> {
    Ok(Person {
        nik: 0,
        kk_number: text(row, 1)?,
        name: text(row, 2)?,
        birth_date: row.try_get::<_, Option<NaiveDate>>(3)?,
        sex: text(row, 4)?,
        district_code: text(row, 5)?,
        marital_status: text(row, 6)?,
        biometric_recorded: row.try_get::<_, Option<bool>>(7)?.unwrap_or(false),
        status: text(row, 8)?,
    })
}

fn card(row: &tokio_postgres::Row) -> Result<CardDetails, tokio_postgres::Error> {
    Ok(CardDetails {
        nik: 0,
        name: text(row, 1)?,
        birth_place: text(row, 2)?,
        birth_date: row.try_get::<_, Option<NaiveDate>>(3)?,
        sex: text(row, 4)?,
        address: text(row, 5)?,
        rt: text(row, 6)?,
        rw: text(row, 7)?,
        village_code: text(row, 8)?,
        district_code: text(row, 9)?,
        religion: text(row, 10)?,
        occupation: text(row, 11)?,
        marital_status: text(row, 12)?,
    })
}

impl PostgresDb {
    fn unique(niks: &[u64]) -> Vec<u64> {
        let mut unique = niks.to_vec();
        unique.sort_unstable();
        unique.dedup();
        unique
    }
}

impl PopulationDb for PostgresDb {
    fn lookup(&mut self, niks: &[u64]) -> Result<Vec<Person>, PopulationError> {
        let rows = self.runtime.block_on(join_batch(
            &mut self.client,
            &self.table,
            &self.target,
            &Self::unique(niks),
            &COLUMNS,
            person,
        ))?;
        Ok(rows
            .into_iter()
            .map(|(nik, p)| Person { nik, ..p })
            .collect())
    }

    fn card_details(&mut self, niks: &[u64]) -> Result<Vec<CardDetails>, PopulationError> {
        let rows = self.runtime.block_on(join_batch(
            &mut self.client,
            &self.table,
            &self.target,
            &Self::unique(niks),
            &CARD_COLUMNS,
            card,
        ))?;
        Ok(rows
            .into_iter()
            .map(|(nik, c)| CardDetails { nik, ..c })
            .collect())
    }

    fn describe(&self) -> String {
        format!("PostgreSQL {} (table {})", self.target, self.table)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_are_quoted_or_refused() {
        assert_eq!(quoted_table("penduduk").unwrap(), "\"penduduk\"");
        assert_eq!(
            quoted_table("siak.penduduk").unwrap(),
            "\"siak\".\"penduduk\""
        );
        for bad in ["", "a;drop", "a.b.c", "1abc", "pen duduk", "x\""] {
            assert!(quoted_table(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn messages_never_show_the_password() {
        let c: tokio_postgres::Config = "postgres://kasi:rahasia@db.example:5433/siak"
            .parse()
            .unwrap();
        assert_eq!(redacted(&c), "postgres://db.example:5433/siak");
    }
}
