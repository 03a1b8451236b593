//! Read-only queries for the SLA report: every application with its event
//! log, and when each applicant was told their card is ready.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::{Sql, Store, StoreError};
use crate::domain::application::ApplicationId;
use crate::domain::sla::AppHistory;

impl Store {
    /// Every application with its events, in id order; two queries, read
    /// in one pass each.
    pub fn sla_histories(&self) -> Result<Vec<AppHistory>, StoreError> {
        let mut apps: Vec<AppHistory> = Vec::new();
        {
            let rows = self.query_all("SELECT id, service, kecamatan, submitted_at, reasons FROM applications ORDER BY id", [], |r| {
                    <(i64, String, Option<String>, String, String)>::try_from(r)
                })?;
            for (id, service, kecamatan, submitted, reasons) in rows {
                apps.push(AppHistory {
                    id: ApplicationId(id),
                    service: service
                        .parse()
                        .map_err(|_| self.corrupt("applications.service", service.clone()))?,
                    kecamatan: kecamatan.filter(|k| !k.is_empty()),
                    submitted_at: self.ts_col("applications.submitted_at", submitted)?,
                    events: Vec::new(),
                    reasons: serde_json::from_str(&reasons)
                        .map_err(|_| self.corrupt("applications.reasons", reasons))?,
                });
            }
        }
        let index: BTreeMap<ApplicationId, usize> =
            apps.iter().enumerate().map(|(i, a)| (a.id, i)).collect();
        // Moves a pickup register implied (nobody recorded the handover
        // or the arrival) say nothing of when they happened: left out,
        // so the card counts in no arrival step rather than in a wrong one.
        // The whole log streams through: not collected first.
        self.query_each(
            "SELECT application_id, to_state, at FROM events
             WHERE detail NOT LIKE ?1 || '%' ORDER BY application_id, seq",
            [crate::domain::state::IMPLIED_BY_PICKUP],
            |r| <(i64, String, String)>::try_from(r),
            |(app, to, at)| {
                let Some(&i) = index.get(&ApplicationId(app)) else {
                    return Ok(());
                };
                let state = to
                    .parse()
                    .map_err(|_| self.corrupt("events.to_state", to.clone()))?;
                let at = self.ts_col("events.at", at)?;
                apps[i].events.push((state, at));
                Ok(())
            },
        )?;
        Ok(apps)
    }

    /// When each application's first ready-for-pickup notice was sent
    /// (accepted by the mail server), from the notices' own log.
    pub fn ready_notices_sent(&self) -> Result<BTreeMap<ApplicationId, DateTime<Utc>>, StoreError> {
        let rows = self.query_all(
            "SELECT n.application_id, MIN(e.at) FROM notices n
             JOIN notice_events e ON e.notice_id = n.id
             WHERE n.kind = 'READY_FOR_PICKUP' AND e.event = 'SENT'
             GROUP BY n.application_id",
            [],
            |r| <(i64, String)>::try_from(r),
        )?;
        let mut out = BTreeMap::new();
        for (app, at) in rows {
            let at = self.ts_col("notice_events.at", at)?;
            out.insert(ApplicationId(app), at);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::domain::application::{NewApplication, Source};
    use crate::domain::service::Service;
    use crate::domain::state::State;
    use crate::store::Change;

    #[test]
    fn moves_a_pickup_implied_are_left_out_of_the_history() {
        let at = |h: u32| Utc.with_ymd_and_hms(2026, 11, 20, h, 0, 0).unwrap();
        let mut s = Store::open_in_memory().unwrap();
        let new = NewApplication {
            source: Source::Form,
            source_ref: "f:1".into(),
            nik: "3402151708900001".into(),
            kk_number: None,
            name: "Budi".into(),
            birth_date: None,
            service: Service::KtpBaru,
            kecamatan: Some("34.02.15".into()),
            email: None,
            phone: None,
            submitted_at: at(0).fixed_offset(),
        };
        let implied = format!("{} register.csv:2", crate::domain::state::IMPLIED_BY_PICKUP);
        s.write(|tx| {
            let id = tx.insert_application(&new, "sigap:test", at(0))?;
            let mut step = |from, to, detail: &str, h| {
                tx.transition(
                    id,
                    from,
                    to,
                    &Change {
                        actor: "sigap:test",
                        detail,
                        ..Change::default()
                    },
                    at(h),
                )
            };
            step(State::Received, State::Verified, "", 1)?;
            step(State::Verified, State::Batched, "", 2)?;
            step(State::Batched, State::Dispatched, "", 3)?;
            step(State::Dispatched, State::Printed, "", 4)?;
            step(State::Printed, State::InTransit, &implied, 9)?;
            step(State::InTransit, State::Ready, &implied, 9)?;
            step(State::Ready, State::Collected, "picked up", 9)
        })
        .unwrap();
        let h = &s.sla_histories().unwrap()[0];
        let states: Vec<State> = h.events.iter().map(|(s, _)| *s).collect();
        assert_eq!(
            states,
            [
                State::Received,
                State::Verified,
                State::Batched,
                State::Dispatched,
                State::Printed,
                State::Collected
            ]
        );
        // So the card is in no arrival step, rather than in one that ends
        // when the applicant came.
        let steps: Vec<crate::domain::sla::Step> = crate::domain::sla::spans(h, at(10))
            .iter()
            .map(|s| s.step)
            .collect();
        assert_eq!(steps, [crate::domain::sla::Step::CompleteToPrinted]);
    }
}
