//! Notice texts from templates: plain text with an HTML alternative, in
//! Bahasa Indonesia, rendered with minijinja.
//!
//! The defaults are embedded (pipeline/templates/). An office changes a
//! text by putting a file of the same name in `templates/` beside
//! sigap.toml; that file is used instead of the embedded one.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Datelike, NaiveDate, Utc, Weekday};
use serde::Serialize;

use crate::config::Config;
use crate::domain::application::{Application, shown_name};
use crate::domain::calendar;
use crate::domain::nik;
use crate::domain::reason::Reason;

use crate::domain::notice::{Notice, NoticeKind};

/// The embedded default templates, by file name.
pub const DEFAULTS: [(&str, &str); 9] = [
    ("subject.txt", include_str!("../../templates/subject.txt")),
    (
        "ready_for_pickup.txt",
        include_str!("../../templates/ready_for_pickup.txt"),
    ),
    (
        "ready_for_pickup.html",
        include_str!("../../templates/ready_for_pickup.html"),
    ),
    (
        "incomplete.txt",
        include_str!("../../templates/incomplete.txt"),
    ),
    (
        "incomplete.html",
        include_str!("../../templates/incomplete.html"),
    ),
    (
        "needs_recording.txt",
        include_str!("../../templates/needs_recording.txt"),
    ),
    (
        "needs_recording.html",
        include_str!("../../templates/needs_recording.html"),
    ),
    ("rejected.txt", include_str!("../../templates/rejected.txt")),
    (
        "rejected.html",
        include_str!("../../templates/rejected.html"),
    ),
];

/// A template could not be read or rendered.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// An override file exists but cannot be read.
    #[error("cannot read notice template {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The template has a syntax error or uses something undefined.
    #[error(
        "notice template {origin}: {message}; fix the file or delete it to use the embedded default"
    )]
    Render {
        /// The override file, or `embedded:<name>`.
        origin: String,
        /// minijinja's message, with the line.
        message: String,
    },
}

/// The templates in use: each embedded default, or the office's file.
#[derive(Debug, Clone)]
pub struct Templates {
    sources: Vec<(&'static str, String, String)>,
}

/// A rendered notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// HTML alternative.
    pub html: String,
}

impl Templates {
    /// The office's override folder: `templates/` beside sigap.toml.
    pub fn override_dir(config: &Config) -> PathBuf {
        config.base_dir.join("templates")
    }

    /// The embedded defaults, with any file from `dir` in place of its default.
    pub fn load(dir: &Path) -> Result<Templates, TemplateError> {
        let mut sources = Vec::new();
        for (name, text) in DEFAULTS {
            let path = dir.join(name);
            let (origin, text) = match std::fs::read_to_string(&path) {
                Ok(t) => (path.display().to_string(), t),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    (format!("embedded:{name}"), text.to_string())
                }
                Err(source) => return Err(TemplateError::Read { path, source }),
            };
            sources.push((name, origin, text));
        }
        Ok(Templates { sources })
    }

    /// The embedded defaults only.
    pub fn embedded() -> Templates {
        Templates {
            sources: DEFAULTS
                .iter()
                .map(|(n, t)| (*n, format!("embedded:{n}"), t.to_string()))
                .collect(),
        }
    }

    fn render_one(&self, name: &str, ctx: &Context) -> Result<String, TemplateError> {
        let (_, origin, text) = self
            .sources
            .iter()
            .find(|(n, _, _)| *n == name)
            .expect("every template name has a default");
        let wrap = |e: minijinja::Error| TemplateError::Render {
            origin: origin.clone(),
            message: format!("{e:#}"),
        };
        let mut env = minijinja::Environment::new();
        // A missing variable is a mistake in the template, not an empty line.
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        // The name's `.html` turns on HTML escaping for that template.
        let template = env.template_from_named_str(name, text).map_err(wrap)?;
        template.render(ctx).map_err(wrap)
    }

    /// Renders a notice: subject, text and HTML.
    pub fn render(&self, ctx: &Context) -> Result<Rendered, TemplateError> {
        let base = ctx.kind.template();
        Ok(Rendered {
            subject: self
                .render_one("subject.txt", ctx)?
                .lines()
                .next()
                .unwrap_or_default()
                .trim()
                .to_string(),
            text: self.render_one(&format!("{base}.txt"), ctx)?,
            html: self.render_one(&format!("{base}.html"), ctx)?,
        })
    }
}

impl Templates {
    /// Renders every template for an example application of this office
    /// (each kind, the first service and pickup office) and returns what
    /// fails, so `sigap config check` finds a broken override before the night.
    pub fn problems(&self, config: &Config) -> Vec<TemplateError> {
        use crate::domain::application::{ApplicationId, NewApplication, Source};
        let at = DateTime::<Utc>::UNIX_EPOCH;
        let service = config
            .services
            .keys()
            .next()
            .copied()
            .unwrap_or(crate::domain::service::Service::KtpBaru);
        let app = Application {
            id: ApplicationId(1),
            submitted: NewApplication {
                source: Source::Form,
                source_ref: "contoh".into(),
                nik: "0000000000000000".into(),
                kk_number: None,
                name: "Contoh Pemohon".into(),
                birth_date: None,
                service,
                kecamatan: config.kecamatan.first().map(|k| k.code.clone()),
                email: Some("pemohon@example.org".into()),
                phone: None,
                submitted_at: at.fixed_offset(),
            },
            state: crate::domain::state::State::Received,
            state_since: at,
            reasons: vec![Reason::DocumentMissing.code().to_string()],
            batch: None,
        };
        let mut out = Vec::new();
        for kind in NoticeKind::TO_APPLICANTS {
            let notice = Notice {
                id: 1,
                application: Some(app.id),
                alert: None,
                kind,
                state: crate::domain::notice::NoticeState::Due,
                attempts: 0,
                next_attempt_at: at,
                message_id: None,
                created_at: at,
                sent_at: None,
                last_error: String::new(),
            };
            let ctx = context(&notice, &app, &BTreeSet::new(), config);
            for name in [
                "subject.txt".to_string(),
                format!("{}.txt", kind.template()),
                format!("{}.html", kind.template()),
            ] {
                if let Err(e) = self.render_one(&name, &ctx) {
                    let seen = |x: &TemplateError| x.to_string() == e.to_string();
                    if !out.iter().any(seen) {
                        out.push(e);
                    }
                }
            }
        }
        out
    }
}

/// The office, as templates see it.
#[derive(Debug, Clone, Serialize)]
pub struct OfficeCtx {
    /// Parent government line of the letterhead, e.g. `PEMERINTAH KABUPATEN BANTUL`.
    pub government: String,
    /// Full name.
    pub name: String,
    /// Short name.
    pub short_name: String,
    /// Postal address.
    pub address: String,
    /// Telephone (may be empty).
    pub phone: String,
    /// Contact email.
    pub email: String,
    /// Where to complain, as the SOP lists them.
    pub complaint_channels: Vec<String>,
}

/// A place the applicant goes to.
#[derive(Debug, Clone, Serialize)]
pub struct PlaceCtx {
    /// Office name.
    pub office: String,
    /// Its address.
    pub address: String,
}

/// Where and from when a card can be collected.
#[derive(Debug, Clone, Serialize)]
pub struct PickupCtx {
    /// Office name.
    pub office: String,
    /// Its address.
    pub address: String,
    /// The first pickup day, in Indonesian (`Senin, 28 Desember 2026`).
    pub date: String,
}

/// Everything a template can use. The NIK is masked here, once.
#[derive(Debug, Clone, Serialize)]
pub struct Context {
    /// Which notice.
    pub kind: NoticeKind,
    /// The office.
    pub office: OfficeCtx,
    /// The application number, e.g. `A-000123`.
    pub number: String,
    /// Service label, e.g. `KTP-el Rusak`.
    pub service: String,
    /// The state in the applicant's words.
    pub state: String,
    /// The NIK, masked (`3402**********01`).
    pub nik: String,
    /// The applicant's name as they wrote it, spacing tidied ([`shown_name`]).
    pub name: String,
    /// Where replies go.
    pub reply_to: String,
    /// Opening hours, one line per run of days with the same hours.
    pub hours: Vec<String>,
    /// The applicant's kecamatan office (or the dinas when it has none).
    pub place: PlaceCtx,
    /// Ready for pickup only: where and from when.
    pub pickup: Option<PickupCtx>,
    /// What to bring at pickup for this service.
    pub bring: Vec<String>,
    /// Incomplete only: labels of the documents still missing.
    pub missing: Vec<String>,
    /// Rejected: the reasons, as sentences.
    pub reasons: Vec<String>,
    /// Perekaman is missing too (an incomplete notice says both).
    pub needs_recording: bool,
}

const DAYS: [(Weekday, &str); 7] = [
    (Weekday::Mon, "Senin"),
    (Weekday::Tue, "Selasa"),
    (Weekday::Wed, "Rabu"),
    (Weekday::Thu, "Kamis"),
    (Weekday::Fri, "Jumat"),
    (Weekday::Sat, "Sabtu"),
    (Weekday::Sun, "Minggu"),
];

/// A date in Indonesian: `Senin, 28 Desember 2026`.
pub fn tanggal(d: NaiveDate) -> String {
    let day = DAYS[d.weekday().num_days_from_monday() as usize].1;
    format!("{day}, {}", crate::domain::calendar::date_id(d))
}

/// Opening hours as lines, consecutive days with the same hours joined:
/// `Senin–Kamis 08:00–15:30 WIB`.
pub fn hours_lines(config: &Config) -> Vec<String> {
    let tz = format!("{:?}", config.office.timezone);
    // (first day, last day, index of the last day, hours)
    type Run = (
        &'static str,
        &'static str,
        usize,
        (chrono::NaiveTime, chrono::NaiveTime),
    );
    let mut runs: Vec<Run> = Vec::new();
    for (i, (day, name)) in DAYS.into_iter().enumerate() {
        let Some(hours) = config.hours.on(day) else {
            continue;
        };
        match runs.last_mut() {
            Some((_, last, at, h)) if *h == hours && *at + 1 == i => {
                *last = name;
                *at = i;
            }
            _ => runs.push((name, name, i, hours)),
        }
    }
    runs.into_iter()
        .map(|(first, last, _, (open, close))| {
            let days = if first == last {
                first.to_string()
            } else {
                format!("{first}–{last}")
            };
            format!(
                "{days} {}–{} {tz}",
                open.format("%H:%M"),
                close.format("%H:%M")
            )
        })
        .collect()
}

/// Builds the template context for a notice. `on_file` are the document
/// kinds the application has now (the missing ones are what its service
/// needs beyond them); a ready-for-pickup date counts from the moment the
/// notice was created, which is when the card was printed.
pub fn context(
    notice: &Notice,
    app: &Application,
    on_file: &BTreeSet<String>,
    config: &Config,
) -> Context {
    let sub = &app.submitted;
    let office = &config.office;
    let kecamatan = sub
        .kecamatan
        .as_deref()
        .and_then(|code| config.kecamatan.iter().find(|k| k.code == code));
    let place = match kecamatan {
        Some(k) => PlaceCtx {
            office: k.office.clone(),
            address: k.address.clone(),
        },
        None => PlaceCtx {
            office: office.name.clone(),
            address: office.address.clone(),
        },
    };
    let rule = config.services.get(&sub.service);
    let pickup = (notice.kind == NoticeKind::ReadyForPickup).then(|| PickupCtx {
        office: place.office.clone(),
        address: place.address.clone(),
        date: tanggal(pickup_day(notice.created_at, config)),
    });
    let missing = match (notice.kind, rule) {
        (NoticeKind::Incomplete, Some(rule)) => rule
            .documents
            .iter()
            .filter(|d| !on_file.contains(*d))
            .map(|d| {
                config
                    .documents
                    .get(d)
                    .map_or_else(|| d.clone(), |k| k.label.clone())
            })
            .collect(),
        _ => Vec::new(),
    };
    Context {
        kind: notice.kind,
        office: OfficeCtx {
            government: office.government.clone(),
            name: office.name.clone(),
            short_name: office.short_name.clone(),
            address: office.address.clone(),
            phone: office.phone.clone(),
            email: office.email.clone(),
            complaint_channels: office.complaint_channels.clone(),
        },
        number: app.id.to_string(),
        service: sub.service.label().to_string(),
        state: notice.kind.subject_state().to_string(),
        nik: nik::mask(&sub.nik),
        name: shown_name(&sub.name),
        reply_to: config
            .smtp
            .reply_to
            .clone()
            .unwrap_or_else(|| office.email.clone()),
        hours: hours_lines(config),
        place,
        pickup,
        bring: rule.map(|r| r.bring_at_pickup.clone()).unwrap_or_default(),
        missing,
        needs_recording: app.reasons.iter().any(|r| r == Reason::NotRecorded.code()),
        reasons: app
            .reasons
            .iter()
            .filter_map(|code| code.parse::<Reason>().ok())
            .map(|r| r.sentence().to_string())
            .collect(),
    }
}

/// The first pickup day for a card printed at `printed_at`.
pub fn pickup_day(printed_at: DateTime<Utc>, config: &Config) -> NaiveDate {
    calendar::pickup_date(printed_at, config.sla.courier_lead_days, config)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use chrono::TimeZone;

    use super::*;
    use crate::config::profiles;
    use crate::domain::application::{ApplicationId, NewApplication, Source};
    use crate::domain::notice::NoticeState;
    use crate::domain::service::Service;
    use crate::domain::state::State;

    fn bantul() -> Config {
        Config::from_toml(
            profiles::text("bantul").unwrap(),
            Path::new("/o/sigap.toml"),
        )
        .unwrap()
    }

    fn app(service: Service, reasons: &[&str]) -> Application {
        Application {
            id: ApplicationId(123),
            submitted: NewApplication {
                source: Source::Form,
                source_ref: "f:1".into(),
                nik: "3402151708900001".into(),
                kk_number: None,
                name: "Budi <Santoso>".into(),
                birth_date: None,
                service,
                kecamatan: Some("34.02.15".into()),
                email: Some("budi@example.org".into()),
                phone: None,
                submitted_at: Utc
                    .with_ymd_and_hms(2026, 12, 1, 1, 0, 0)
                    .unwrap()
                    .fixed_offset(),
            },
            state: State::Received,
            state_since: Utc.with_ymd_and_hms(2026, 12, 1, 1, 0, 0).unwrap(),
            reasons: reasons.iter().map(|s| s.to_string()).collect(),
            batch: None,
        }
    }

    fn notice(kind: NoticeKind) -> Notice {
        Notice {
            id: 7,
            application: Some(ApplicationId(123)),
            alert: None,
            kind,
            state: NoticeState::Due,
            attempts: 0,
            // Wednesday 23 Dec 2026, 10:00 WIB.
            next_attempt_at: Utc.with_ymd_and_hms(2026, 12, 23, 3, 0, 0).unwrap(),
            message_id: None,
            created_at: Utc.with_ymd_and_hms(2026, 12, 23, 3, 0, 0).unwrap(),
            sent_at: None,
            last_error: String::new(),
        }
    }

    fn render(kind: NoticeKind, a: &Application, on_file: &[&str]) -> Rendered {
        let c = bantul();
        let on_file = on_file.iter().map(|s| s.to_string()).collect();
        Templates::embedded()
            .render(&context(&notice(kind), a, &on_file, &c))
            .unwrap()
    }

    fn no_whole_nik(r: &Rendered) {
        for part in [&r.subject, &r.text, &r.html] {
            assert!(!part.contains("3402151708900001"), "{part}");
        }
        assert!(r.text.contains("3402**********01"), "{}", r.text);
        assert!(r.html.contains("3402**********01"), "{}", r.html);
    }

    #[test]
    fn ready_for_pickup_says_where_from_when_and_what_to_bring() {
        let r = render(
            NoticeKind::ReadyForPickup,
            &app(Service::KtpRusak, &[]),
            &[],
        );
        assert_eq!(
            r.subject,
            "KTP-el Rusak A-000123: siap diambil (Disdukcapil Kabupaten Bantul)"
        );
        let c = bantul();
        let sewon = c.kecamatan.iter().find(|k| k.code == "34.02.15").unwrap();
        for part in [&r.text, &r.html] {
            // Printed Wednesday before Christmas: 24 Dec cuti bersama, 25 Natal, weekend.
            assert!(part.contains("Senin, 28 Desember 2026"), "{part}");
            assert!(
                part.contains(&sewon.office) && part.contains(&sewon.address),
                "{part}"
            );
            assert!(part.contains("KTP-el yang rusak"), "{part}");
            assert!(part.contains("Senin–Kamis 08:00–15:30 WIB"), "{part}");
            assert!(part.contains("Jumat 08:00–14:30 WIB"), "{part}");
        }
        // The name is escaped in HTML, as written in text.
        assert!(r.html.contains("Budi &lt;Santoso&gt;"), "{}", r.html);
        assert!(r.text.contains("Budi <Santoso>"));
        no_whole_nik(&r);
    }

    #[test]
    fn incomplete_names_each_missing_document_and_how_to_send_it() {
        let r = render(
            NoticeKind::Incomplete,
            &app(Service::KkPerubahanData, &["DOCUMENT_MISSING"]),
            &["formulir_perubahan"],
        );
        let c = bantul();
        let missing = &c.documents["dokumen_pendukung"].label;
        let there = &c.documents["formulir_perubahan"].label;
        let escaped = |s: &str| s.replace('/', "&#x2f;");
        for (part, missing, there) in [
            (&r.text, missing.clone(), there.clone()),
            (&r.html, escaped(missing), escaped(there)),
        ] {
            assert!(part.contains(&missing), "{part}");
            assert!(!part.contains(&there), "{part}");
            assert!(part.contains("disdukcapil@bantulkab.go.id"), "{part}");
            assert!(part.contains("NIK yang sama"), "{part}");
            assert!(!part.contains("perekaman"), "{part}");
        }
        // Perekaman missing too: one notice says both.
        let r = render(
            NoticeKind::Incomplete,
            &app(Service::KtpBaru, &["DOCUMENT_MISSING", "NOT_RECORDED"]),
            &[],
        );
        for part in [&r.text, &r.html] {
            assert!(part.contains(&c.documents["kk"].label), "{part}");
            assert!(
                part.contains("perekaman") && part.contains("Kantor Kecamatan Sewon"),
                "{part}"
            );
        }
        assert!(r.subject.contains("dokumen belum lengkap"));
        no_whole_nik(&r);
    }

    #[test]
    fn needs_recording_says_where_and_when() {
        let r = render(
            NoticeKind::NeedsRecording,
            &app(Service::KtpBaru, &["NOT_RECORDED"]),
            &[],
        );
        let c = bantul();
        let sewon = c.kecamatan.iter().find(|k| k.code == "34.02.15").unwrap();
        for part in [&r.text, &r.html] {
            assert!(part.contains(&sewon.office), "{part}");
            assert!(part.contains("Senin–Kamis 08:00–15:30 WIB"), "{part}");
            assert!(part.contains("perekaman"), "{part}");
        }
        no_whole_nik(&r);
    }

    #[test]
    fn rejected_says_why_and_whom_to_contact() {
        let r = render(
            NoticeKind::Rejected,
            &app(Service::KtpBaru, &["NOT_RESIDENT", "UNDERAGE"]),
            &[],
        );
        for part in [&r.text, &r.html] {
            assert!(
                part.contains("Alamat domisili Anda tercatat di luar kabupaten ini"),
                "{part}"
            );
            assert!(part.contains("belum berusia 17 tahun"), "{part}");
            assert!(part.contains("LAPOR!"), "{part}");
        }
        assert!(r.subject.contains("ditolak"));
        no_whole_nik(&r);
    }

    #[test]
    fn an_office_file_replaces_the_default_and_its_errors_name_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("subject.txt"), "Kabar {{ number }}").unwrap();
        let t = Templates::load(dir.path()).unwrap();
        let c = bantul();
        let ctx = context(
            &notice(NoticeKind::Rejected),
            &app(Service::KtpBaru, &[]),
            &BTreeSet::new(),
            &c,
        );
        assert_eq!(t.render(&ctx).unwrap().subject, "Kabar A-000123");
        assert!(t.problems(&c).is_empty());
        std::fs::write(dir.path().join("rejected.txt"), "a\n{{ nomor }}").unwrap();
        let problems = Templates::load(dir.path()).unwrap().problems(&c);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].to_string().contains("rejected.txt:2"));
        let e = Templates::load(dir.path())
            .unwrap()
            .render(&ctx)
            .unwrap_err()
            .to_string();
        assert!(e.contains("rejected.txt:2"), "{e}");
    }
}
