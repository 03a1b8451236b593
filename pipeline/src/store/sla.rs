//! Read-only queries for the SLA report: every application with its event
//! log, and when each applicant was told their card is ready.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::{Store, StoreError, parse_ts};
use crate::application::ApplicationId;
use crate::sla::AppHistory;

impl Store {
    /// Every application with its events, in id order; two queries, read
    /// in one pass each.
    pub fn sla_histories(&self) -> Result<Vec<AppHistory>, StoreError> {
        let mut apps: Vec<AppHistory> = Vec::new();
        {
            let mut stmt = self
                .conn
                .prepare(
                    "SELECT id, service, kecamatan, submitted_at, reasons FROM applications ORDER BY id",
                )
                .map_err(|e| self.err(e))?;
            let rows = stmt
                .query_map([], |r| {
                    <(i64, String, Option<String>, String, String)>::try_from(r)
                })
                .map_err(|e| self.err(e))?;
            for row in rows {
                let (id, service, kecamatan, submitted, reasons) = row.map_err(|e| self.err(e))?;
                apps.push(AppHistory {
                    id: ApplicationId(id),
                    service: service
                        .parse()
                        .map_err(|_| self.corrupt("applications.service", service.clone()))?,
                    kecamatan: kecamatan.filter(|k| !k.is_empty()),
                    submitted_at: parse_ts(&submitted)
                        .ok_or_else(|| self.corrupt("applications.submitted_at", submitted))?,
                    events: Vec::new(),
                    reasons: serde_json::from_str(&reasons)
                        .map_err(|_| self.corrupt("applications.reasons", reasons))?,
                });
            }
        }
        let index: BTreeMap<ApplicationId, usize> =
            apps.iter().enumerate().map(|(i, a)| (a.id, i)).collect();
        let mut stmt = self
            .conn
            .prepare("SELECT application_id, to_state, at FROM events ORDER BY application_id, seq")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| <(i64, String, String)>::try_from(r))
            .map_err(|e| self.err(e))?;
        for row in rows {
            let (app, to, at) = row.map_err(|e| self.err(e))?;
            let Some(&i) = index.get(&ApplicationId(app)) else {
                continue;
            };
            let state = to
                .parse()
                .map_err(|_| self.corrupt("events.to_state", to.clone()))?;
            let at = parse_ts(&at).ok_or_else(|| self.corrupt("events.at", at.clone()))?;
            apps[i].events.push((state, at));
        }
        Ok(apps)
    }

    /// When each application's first ready-for-pickup notice was sent
    /// (accepted by the mail server), from the notices' own log.
    pub fn ready_notices_sent(&self) -> Result<BTreeMap<ApplicationId, DateTime<Utc>>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT n.application_id, MIN(e.at) FROM notices n
                 JOIN notice_events e ON e.notice_id = n.id
                 WHERE n.kind = 'READY_FOR_PICKUP' AND e.event = 'SENT'
                 GROUP BY n.application_id",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| <(i64, String)>::try_from(r))
            .map_err(|e| self.err(e))?;
        let mut out = BTreeMap::new();
        for row in rows {
            let (app, at) = row.map_err(|e| self.err(e))?;
            let at = parse_ts(&at).ok_or_else(|| self.corrupt("notice_events.at", at.clone()))?;
            out.insert(ApplicationId(app), at);
        }
        Ok(out)
    }
}
