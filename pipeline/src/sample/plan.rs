//! Deciding the applications before any file is written: who applies,
//! for what, through which channel, when, and which single defect (if
//! any) is planted, with the outcome verification must reach.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, Months, NaiveDate, NaiveDateTime, NaiveTime, Weekday};

use super::attachments;
use super::error::SampleError;
use super::names::{self, Region};
use super::population::{
    DistrictInfo, Generated, Resident, WINDOW_DAYS, age_on, birth_date_for_age,
};
use super::rng::Rng;
use crate::config::Config;
use crate::domain::nik::{Sex, compose_kk, compose_nik};
use crate::domain::reason::Reason;
use crate::domain::service::Service;
use crate::domain::state::State;
use crate::domain::wilayah::{Wilayah, undotted};

/// The intake channel of an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Channel {
    Form,
    App,
    Mail,
}

impl Channel {
    /// The manifest's code: `form`, `app`, `mail`.
    pub(crate) fn code(self) -> &'static str {
        match self {
            Channel::Form => "form",
            Channel::App => "app",
            Channel::Mail => "mail",
        }
    }
}

/// The one thing wrong with a planted application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Defect {
    MissingDocuments,
    NameTypo,
    KkMismatch,
    WrongBirthDate,
    UnknownNik,
    MalformedNik,
    Deceased,
    MovedOut,
    NotRecorded,
    Underage,
    DuplicateInFlight,
}

impl Defect {
    /// Every defect, in manifest order.
    pub(crate) const ALL: [Defect; 11] = [
        Defect::MissingDocuments,
        Defect::NameTypo,
        Defect::KkMismatch,
        Defect::WrongBirthDate,
        Defect::UnknownNik,
        Defect::MalformedNik,
        Defect::Deceased,
        Defect::MovedOut,
        Defect::NotRecorded,
        Defect::Underage,
        Defect::DuplicateInFlight,
    ];

    /// The manifest's code, e.g. `name_typo`.
    pub(crate) fn code(self) -> &'static str {
        match self {
            Defect::MissingDocuments => "missing_documents",
            Defect::NameTypo => "name_typo",
            Defect::KkMismatch => "kk_mismatch",
            Defect::WrongBirthDate => "wrong_birth_date",
            Defect::UnknownNik => "unknown_nik",
            Defect::MalformedNik => "malformed_nik",
            Defect::Deceased => "deceased",
            Defect::MovedOut => "moved_out",
            Defect::NotRecorded => "not_recorded",
            Defect::Underage => "underage",
            Defect::DuplicateInFlight => "duplicate_in_flight",
        }
    }

    /// Share of the applications, per mille.
    fn rate(self) -> u64 {
        match self {
            Defect::MissingDocuments => 60,
            Defect::NameTypo => 40,
            Defect::NotRecorded
            | Defect::KkMismatch
            | Defect::WrongBirthDate
            | Defect::UnknownNik
            | Defect::MalformedNik => 30,
            Defect::Deceased | Defect::MovedOut | Defect::Underage | Defect::DuplicateInFlight => {
                20
            }
        }
    }

    /// The state and reason verification must reach.
    pub(crate) fn expected(self) -> (State, Reason) {
        match self {
            Defect::MissingDocuments => (State::Incomplete, Reason::DocumentMissing),
            Defect::NameTypo => (State::Review, Reason::NameNearMatch),
            Defect::KkMismatch => (State::Review, Reason::KkMismatch),
            Defect::WrongBirthDate => (State::Rejected, Reason::BirthDateMismatch),
            Defect::UnknownNik => (State::Rejected, Reason::NikNotFound),
            Defect::MalformedNik => (State::Rejected, Reason::NikInvalid),
            Defect::Deceased => (State::Rejected, Reason::Deceased),
            Defect::MovedOut => (State::Rejected, Reason::MovedOut),
            Defect::NotRecorded => (State::NeedsRecording, Reason::NotRecorded),
            Defect::Underage => (State::Rejected, Reason::Underage),
            Defect::DuplicateInFlight => (State::Rejected, Reason::DuplicateInFlight),
        }
    }

    /// Only KTP-el services check age and perekaman.
    fn ktp_only(self) -> bool {
        matches!(self, Defect::NotRecorded | Defect::Underage)
    }
}

/// An input that is not an application and must be quarantined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NotApplication {
    /// A form row whose NIK a spreadsheet turned into `3.40215E+15`.
    ScientificNik,
    /// A service no office offers (`Paspor`).
    UnknownService,
    /// A form row without a NIK.
    EmptyNik,
    /// An email that asks a question instead of applying.
    QuestionEmail,
}

impl NotApplication {
    /// The manifest's code, e.g. `scientific_nik`.
    pub(crate) fn code(self) -> &'static str {
        match self {
            NotApplication::ScientificNik => "scientific_nik",
            NotApplication::UnknownService => "unknown_service",
            NotApplication::EmptyNik => "empty_nik",
            NotApplication::QuestionEmail => "non_application_email",
        }
    }
}

/// How many of each kind to plant.
#[derive(Debug, Clone)]
pub(crate) struct Counts {
    /// Applications per defect.
    pub defects: BTreeMap<Defect, usize>,
    /// Clean applications.
    pub none: usize,
    /// Form rows with a NIK in scientific notation.
    pub scientific_nik: usize,
    /// Form rows and app records asking for an unknown service.
    pub unknown_service: usize,
    /// Form rows without a NIK.
    pub empty_nik: usize,
    /// Emails that are questions.
    pub question_email: usize,
    /// Mail applications with an `.exe` attached.
    pub forbidden_attachment: usize,
}

impl Counts {
    /// The rates of the brief applied to `applications`; planted defects
    /// never exceed half, so every duplicate has a clean original.
    pub(crate) fn for_applications(applications: u64) -> Counts {
        let m = usize::try_from(applications).unwrap_or(usize::MAX);
        let mut defects: BTreeMap<Defect, usize> = Defect::ALL
            .iter()
            .map(|d| {
                (
                    *d,
                    usize::try_from((applications * d.rate() + 500) / 1000).unwrap_or(0),
                )
            })
            .collect();
        while defects.values().sum::<usize>() > m / 2 {
            let largest = defects
                .iter()
                .max_by_key(|(d, n)| (**n, std::cmp::Reverse(**d)))
                .map(|(d, _)| *d);
            if let Some(d) = largest {
                defects.entry(d).and_modify(|n| *n -= 1);
            }
        }
        let planted: usize = defects.values().sum();
        let some = |n: usize| if m == 0 { 0 } else { n.max(1) };
        Counts {
            none: m - planted,
            defects,
            scientific_nik: some(m / 100),
            unknown_service: some(m / 100),
            empty_nik: some(m / 200),
            question_email: some(m / 1000),
            forbidden_attachment: some(m / 1000),
        }
    }

    /// How many applications carry `d`.
    pub(crate) fn of(&self, d: Defect) -> usize {
        self.defects.get(&d).copied().unwrap_or(0)
    }

    /// Residents the clean pool must hold. The special pools' counts are
    /// added as slack: if a small population has too few deceased (say),
    /// clean applications take their place.
    pub(crate) fn clean_wanted(&self) -> usize {
        self.none
            + [
                Defect::MissingDocuments,
                Defect::NameTypo,
                Defect::KkMismatch,
                Defect::WrongBirthDate,
                Defect::MalformedNik,
                Defect::Deceased,
                Defect::MovedOut,
                Defect::NotRecorded,
                Defect::Underage,
            ]
            .iter()
            .map(|d| self.of(*d))
            .sum::<usize>()
            + self.scientific_nik
            + self.unknown_service
            + self.empty_nik
    }
}

/// What the applicant typed.
#[derive(Debug, Clone)]
pub(crate) struct Typed {
    /// NIK, possibly with separators.
    pub nik: String,
    /// KK number.
    pub kk: String,
    /// Full name, possibly with titles or odd case.
    pub name: String,
    /// Birth date.
    pub birth_date: NaiveDate,
    /// Email address.
    pub email: String,
    /// Phone number.
    pub phone: String,
}

/// How a mail body is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MailStyle {
    /// text/plain, UTF-8, 8bit.
    Plain,
    /// text/plain, ISO-8859-1, quoted-printable.
    Latin1,
    /// text/html only.
    Html,
}

/// One application as it will be written and as verification must judge it.
#[derive(Debug, Clone)]
pub(crate) struct Planned {
    /// Creation order, stable across sorting.
    pub key: usize,
    /// What the applicant typed.
    pub typed: Typed,
    /// The population NIK of the person it is about, if they exist.
    pub resident_nik: Option<String>,
    /// The name as the population has it.
    pub resident_name: String,
    /// The resident's religion (titles like `Hj.` are for Muslims).
    pub religion: &'static str,
    /// The resident's sex.
    pub sex: Sex,
    /// The service asked for.
    pub service: Service,
    /// Index into `config.kecamatan`.
    pub kecamatan: usize,
    /// The intake channel.
    pub channel: Channel,
    /// The planted defect (`None`: clean).
    pub defect: Option<Defect>,
    /// Document kinds provided, in the order they are written.
    pub documents: Vec<String>,
    /// Office-local time of submission.
    pub submitted_at: NaiveDateTime,
    /// Benign variations applied.
    pub variations: Vec<&'static str>,
    /// Detail of the plant, for the manifest.
    pub note: Option<String>,
    /// `key` of the application this one duplicates.
    pub duplicate_of: Option<usize>,
    /// Mail only: an `.exe` is attached too.
    pub forbidden_attachment: bool,
    /// Mail only: delivered to `new/` and `cur/`.
    pub delivered_twice: bool,
    /// Form only: the phone cell holds a newline.
    pub phone_newline: bool,
    /// Form only: NIK and KK cells start with `'`.
    pub apostrophe: bool,
    /// Mail only: how the body is encoded.
    pub mail_style: MailStyle,
    /// Filled by the writers: every place the application appears.
    pub sources: Vec<String>,
    /// Filled by the app writer.
    pub app_id: Option<String>,
    /// Filled by the mail writer.
    pub message_id: Option<String>,
    /// Filled by the mail writer for a forbidden attachment: its source.
    pub quarantined_attachment: Option<String>,
}

/// One input that is not an application.
#[derive(Debug, Clone)]
pub(crate) struct PlannedBad {
    /// What it is.
    pub kind: NotApplication,
    /// Where it arrives.
    pub channel: Channel,
    /// What the sender typed.
    pub typed: Typed,
    /// What the service field says.
    pub service_text: String,
    /// Index into `config.kecamatan`.
    pub kecamatan: usize,
    /// Office-local time of submission.
    pub submitted_at: NaiveDateTime,
    /// Filled by the writers.
    pub source: String,
    /// Filled by the mail writer.
    pub message_id: Option<String>,
}

/// Everything to write.
#[derive(Debug)]
pub(crate) struct Plan {
    /// The applications, in submission order.
    pub apps: Vec<Planned>,
    /// The non-applications, in submission order.
    pub bads: Vec<PlannedBad>,
    /// First day not in the first (earlier) export of forms and app.
    pub cutoff: NaiveDate,
}

/// What planning reads.
pub(crate) struct Context<'a> {
    /// The office's config.
    pub config: &'a Config,
    /// Its file, for error messages.
    pub config_path: &'a std::path::Path,
    /// The generation date.
    pub as_of: NaiveDate,
    /// Which names and places.
    pub region: Region,
    /// The kabupaten's kecamatan, indexed as in the serial book.
    pub districts: &'a [DistrictInfo],
    /// The seed.
    pub seed: u64,
    /// Applications asked for (for error messages).
    pub applications: u64,
    /// Residents asked for (for error messages).
    pub population: u64,
}

/// The first export is downloaded this many days before `as_of`.
const CUTOFF_DAYS: i64 = 3;

struct Planner<'a> {
    ctx: &'a Context<'a>,
    rng: Rng,
    offered: Vec<Service>,
    next_key: usize,
}

/// Plans the applications from the sampled residents.
pub(crate) fn plan(
    ctx: &Context<'_>,
    mut counts: Counts,
    generated: &mut Generated,
) -> Result<Plan, SampleError> {
    let offered: Vec<Service> = ctx.config.services.keys().copied().collect();
    if !offered.iter().any(|s| s.is_ktp()) {
        return Err(SampleError::NoKtpService {
            path: ctx.config_path.to_path_buf(),
        });
    }
    let mut p = Planner {
        ctx,
        rng: Rng::new(ctx.seed, 0x504c_414e),
        offered,
        next_key: 0,
    };
    if p.offered.iter().all(|s| p.required(*s).is_empty()) {
        // No service needs a document, so none can be missing.
        counts.none += counts.of(Defect::MissingDocuments);
        counts.defects.insert(Defect::MissingDocuments, 0);
    }
    let pools = &mut generated.pools;
    p.rng.shuffle(&mut pools.clean);
    for (defect, pool) in [
        (Defect::Deceased, &mut pools.deceased),
        (Defect::MovedOut, &mut pools.moved_out),
        (Defect::NotRecorded, &mut pools.not_recorded),
        (Defect::Underage, &mut pools.underage),
    ] {
        p.rng.shuffle(pool);
        let want = counts.of(defect);
        if pool.len() < want {
            counts.none += want - pool.len();
            counts.defects.insert(defect, pool.len());
        }
    }
    let young = pools
        .young_married
        .len()
        .min(if counts.none >= 20 { 2 } else { 0 });
    let needed = counts.clean_wanted()
        - young
        - [
            Defect::Deceased,
            Defect::MovedOut,
            Defect::NotRecorded,
            Defect::Underage,
        ]
        .iter()
        .map(|d| counts.of(*d))
        .sum::<usize>();
    if pools.clean.len() < needed {
        return Err(SampleError::PopulationTooSmall {
            path: ctx.config_path.to_path_buf(),
            population: ctx.population,
            applications: ctx.applications,
            eligible: pools.clean.len(),
            needed,
        });
    }
    let mut clean = std::mem::take(&mut pools.clean).into_iter();
    let mut apps = Vec::new();

    for r in pools.young_married.drain(..).take(young) {
        let mut a = p.application(&r, None);
        a.note = Some("under 17 and married: may apply".into());
        apps.push(a);
    }
    for _ in young..counts.none {
        let r = clean.next().expect("counted above");
        let mut a = p.application(&r, None);
        p.vary(&r, &mut a);
        apps.push(a);
    }
    for defect in [
        Defect::MissingDocuments,
        Defect::NameTypo,
        Defect::KkMismatch,
        Defect::WrongBirthDate,
        Defect::MalformedNik,
    ] {
        for k in 0..counts.of(defect) {
            let r = clean.next().expect("counted above");
            let mut a = p.application(&r, Some(defect));
            p.plant(&r, &mut a, k);
            apps.push(a);
        }
    }
    for (defect, pool) in [
        (Defect::Deceased, &mut pools.deceased),
        (Defect::MovedOut, &mut pools.moved_out),
        (Defect::NotRecorded, &mut pools.not_recorded),
        (Defect::Underage, &mut pools.underage),
    ] {
        for r in pool.drain(..).take(counts.of(defect)) {
            apps.push(p.application(&r, Some(defect)));
        }
    }
    for _ in 0..counts.of(Defect::UnknownNik) {
        let r = p.invented_resident(generated);
        let mut a = p.application(&r, Some(Defect::UnknownNik));
        a.resident_nik = None;
        apps.push(a);
    }
    p.duplicates(&mut apps, counts.of(Defect::DuplicateInFlight));
    p.specials(&mut apps, counts.forbidden_attachment);

    let mut bads = Vec::new();
    for _ in 0..counts.scientific_nik {
        let r = clean.next().expect("counted above");
        let mut b = p.bad(&r, NotApplication::ScientificNik, Channel::Form);
        b.typed.nik = format!("{}.{}E+15", &r.nik[..1], &r.nik[1..6]);
        bads.push(b);
    }
    for k in 0..counts.unknown_service {
        let r = clean.next().expect("counted above");
        let channel = if k % 2 == 0 {
            Channel::Form
        } else {
            Channel::App
        };
        let mut b = p.bad(&r, NotApplication::UnknownService, channel);
        let text = ["Paspor", "Akta Kelahiran", "Surat Pindah"][(k / 2) % 3];
        b.service_text = if channel == Channel::App {
            text.to_lowercase().replace(' ', "_")
        } else {
            text.to_string()
        };
        bads.push(b);
    }
    for _ in 0..counts.empty_nik {
        let r = clean.next().expect("counted above");
        let mut b = p.bad(&r, NotApplication::EmptyNik, Channel::Form);
        b.typed.nik = String::new();
        bads.push(b);
    }
    for _ in 0..counts.question_email {
        let r = p.invented_resident(generated);
        bads.push(p.bad(&r, NotApplication::QuestionEmail, Channel::Mail));
    }
    apps.sort_by_key(|a| (a.submitted_at, a.key));
    bads.sort_by_key(|b| b.submitted_at);
    Ok(Plan {
        apps,
        bads,
        cutoff: ctx.as_of - Duration::days(CUTOFF_DAYS),
    })
}

impl Planner<'_> {
    fn config(&self) -> &Config {
        self.ctx.config
    }

    /// Whether a Google Form of this office can carry every document the
    /// service needs (one upload column per kind).
    fn form_can_carry(&self, service: Service) -> bool {
        let uploads = &self.config().forms.uploads;
        self.required(service)
            .iter()
            .all(|kind| uploads.values().any(|k| k == kind))
    }

    fn required(&self, service: Service) -> Vec<String> {
        self.config()
            .services
            .get(&service)
            .map(|r| r.documents.clone())
            .unwrap_or_default()
    }

    fn service_for(&mut self, r: &Resident, defect: Option<Defect>) -> Service {
        let weights: Vec<u32> = self
            .offered
            .iter()
            .map(|s| {
                let w = match s {
                    Service::KtpBaru if !r.has_card => 60,
                    Service::KtpBaru => 4,
                    Service::KtpHilang => 30,
                    Service::KtpRusak => 18,
                    Service::KtpPerubahanData => 16,
                    Service::KkPerubahanData => 8,
                    Service::KkHilang => 4,
                    Service::KkRusak => 3,
                };
                let allowed = match defect {
                    Some(d) if d.ktp_only() => s.is_ktp(),
                    Some(Defect::MissingDocuments) => !self.required(*s).is_empty(),
                    _ => true,
                };
                if allowed { w } else { 0 }
            })
            .collect();
        if weights.iter().all(|w| *w == 0) {
            // Only possible if no service needs a document; fall back to a KTP-el one.
            return *self
                .offered
                .iter()
                .find(|s| s.is_ktp())
                .expect("checked in plan");
        }
        self.offered[self.rng.weighted(&weights)]
    }

    fn channel_for(&mut self, service: Service, not: Option<Channel>) -> Channel {
        let form_ok = self.form_can_carry(service);
        let documents = &self.config().documents;
        let mail_ok = self
            .required(service)
            .iter()
            .all(|k| attachments::can_name(k, documents));
        let weights = [Channel::Form, Channel::App, Channel::Mail].map(|c| {
            let w = match c {
                Channel::Form => 40,
                Channel::App => 35,
                Channel::Mail => 25,
            };
            let possible = match c {
                Channel::Form => form_ok,
                Channel::Mail => mail_ok,
                Channel::App => true,
            };
            if Some(c) == not || !possible { 0 } else { w }
        });
        if weights.iter().all(|w| *w == 0) {
            // Nothing else can carry this service: the app always can.
            return Channel::App;
        }
        [Channel::Form, Channel::App, Channel::Mail][self.rng.weighted(&weights)]
    }

    fn kecamatan_for(&mut self, district_code: &str) -> usize {
        let offices = &self.config().kecamatan;
        match offices.iter().position(|k| k.code == district_code) {
            Some(i) => i,
            None => self.rng.index(offices.len()),
        }
    }

    /// A time in the window, mostly in office hours on working days.
    fn time(&mut self, first_day: i64) -> NaiveDateTime {
        let start = self.ctx.as_of - Duration::days(WINDOW_DAYS);
        let days: Vec<NaiveDate> = (first_day..WINDOW_DAYS)
            .map(|d| start + Duration::days(d))
            .collect();
        let weights: Vec<u32> = days
            .iter()
            .map(|d| {
                if matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
                    1
                } else {
                    3
                }
            })
            .collect();
        let day = days[self.rng.weighted(&weights)];
        let weekend = matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
        let seconds = if !weekend && self.rng.chance(8_500) {
            self.rng.range(7 * 3600 + 1800, 16 * 3600 - 1)
        } else {
            self.rng.range(5 * 3600, 23 * 3600 - 1)
        };
        let t =
            NaiveTime::from_num_seconds_from_midnight_opt(u32::try_from(seconds).unwrap_or(0), 0)
                .unwrap_or(NaiveTime::MIN);
        day.and_time(t)
    }

    fn exact(&mut self, r: &Resident) -> Typed {
        Typed {
            nik: r.nik.clone(),
            kk: r.kk.clone(),
            name: r.name.clone(),
            birth_date: r.birth_date,
            email: names::email_for(&r.name, r.birth_date.year(), &mut self.rng),
            phone: names::phone(&mut self.rng),
        }
    }

    /// Documents the applicant sends: what the service needs (less the
    /// planted missing one) and now and then one it does not need.
    fn documents(
        &mut self,
        service: Service,
        channel: Channel,
        missing: Option<&str>,
    ) -> Vec<String> {
        let mut docs: Vec<String> = self
            .required(service)
            .into_iter()
            .filter(|k| Some(k.as_str()) != missing)
            .collect();
        if self.rng.chance(800) {
            let extras: Vec<String> = self
                .config()
                .documents
                .keys()
                .filter(|k| !docs.contains(k) && Some(k.as_str()) != missing)
                .filter(|k| match channel {
                    Channel::Form => self.config().forms.uploads.values().any(|v| v == *k),
                    Channel::Mail => attachments::can_name(k, &self.config().documents),
                    Channel::App => true,
                })
                .cloned()
                .collect();
            if !extras.is_empty() {
                let extra = self.rng.pick(&extras).clone();
                docs.push(extra);
            }
        }
        docs
    }

    fn mail_style(&mut self) -> MailStyle {
        [MailStyle::Plain, MailStyle::Latin1, MailStyle::Html][self.rng.weighted(&[70, 15, 15])]
    }

    /// A faithful application by `r`, with `defect` to be planted by the caller.
    fn application(&mut self, r: &Resident, defect: Option<Defect>) -> Planned {
        let service = self.service_for(r, defect);
        let channel = self.channel_for(service, None);
        let missing = if defect == Some(Defect::MissingDocuments) {
            let required = self.required(service);
            Some(self.rng.pick(&required).clone())
        } else {
            None
        };
        let documents = self.documents(service, channel, missing.as_deref());
        let kecamatan = self.kecamatan_for(&r.district_code);
        let submitted_at = self.time(0);
        let typed = self.exact(r);
        let mail_style = self.mail_style();
        let key = self.next_key;
        self.next_key += 1;
        Planned {
            key,
            typed,
            resident_nik: Some(r.nik.clone()),
            resident_name: r.name.clone(),
            religion: r.religion,
            sex: r.sex,
            service,
            kecamatan,
            channel,
            defect,
            documents,
            submitted_at,
            variations: Vec::new(),
            note: missing.map(|m| format!("missing document: {m}")),
            duplicate_of: None,
            forbidden_attachment: false,
            delivered_twice: false,
            phone_newline: false,
            apostrophe: false,
            mail_style,
            sources: Vec::new(),
            app_id: None,
            message_id: None,
            quarantined_attachment: None,
        }
    }

    /// Benign differences that must still match: case, spacing, titles,
    /// separators in the NIK.
    fn vary(&mut self, r: &Resident, a: &mut Planned) {
        let rng = &mut self.rng;
        if rng.chance(3_500) {
            let title = names::title_case(&r.name);
            match rng.weighted(&[30, 15, 20, if r.age >= 25 { 35 } else { 0 }]) {
                0 => {
                    a.typed.name = title;
                    a.variations.push("name_title_case");
                }
                1 => {
                    a.typed.name = r.name.to_lowercase();
                    a.variations.push("name_lower_case");
                }
                2 => {
                    a.typed.name = format!(" {} ", r.name.replace(' ', "  "));
                    a.variations.push("name_extra_spaces");
                }
                _ => {
                    let (name, label) = names::honorific(&title, r.sex, r.religion, rng);
                    a.typed.name = name;
                    a.variations.push(label);
                }
            }
        }
        if rng.chance(2_000) {
            let n = &r.nik;
            let (nik, label) = match rng.weighted(&[40, 30, 30]) {
                0 => (
                    format!("{} {} {} {}", &n[..4], &n[4..8], &n[8..12], &n[12..]),
                    "nik_spaces",
                ),
                1 => (
                    format!("{}.{}.{}.{}", &n[..4], &n[4..8], &n[8..12], &n[12..]),
                    "nik_dots",
                ),
                _ => (
                    format!("{}-{}-{}-{}", &n[..2], &n[2..6], &n[6..12], &n[12..]),
                    "nik_dashes",
                ),
            };
            a.typed.nik = nik;
            a.variations.push(label);
        }
        if a.channel == Channel::Form && rng.chance(1_200) {
            a.apostrophe = true;
            a.variations.push("leading_apostrophe");
        }
    }

    /// Changes what was typed so that exactly `defect` is wrong.
    fn plant(&mut self, r: &Resident, a: &mut Planned, k: usize) {
        let as_of = self.ctx.as_of;
        match a.defect {
            Some(Defect::NameTypo) => {
                let (name, op) = typo(&r.name, &mut self.rng);
                a.typed.name = name;
                a.note = Some(format!("one edit: {op}"));
            }
            Some(Defect::KkMismatch) => {
                let serial = (u32::from(r.kk_serial) + self.rng.range(1, 40) as u32 - 1) % 9999 + 1;
                let serial = u16::try_from(serial).unwrap_or(1);
                a.typed.kk = compose_kk(&r.district_code, r.kk_registered, serial);
            }
            Some(Defect::WrongBirthDate) => {
                a.typed.birth_date = wrong_date(r.birth_date, as_of, &mut self.rng);
            }
            Some(Defect::MalformedNik) => {
                let (nik, rule) =
                    malformed(&r.nik, r.sex, k, &self.ctx.config.office.kabupaten_code);
                a.typed.nik = nik;
                a.note = Some(format!("breaks: {rule}"));
            }
            _ => {}
        }
    }

    /// Someone who is not in the snapshot: numbers from the serial book's
    /// free range, so they are valid but certainly unknown.
    fn invented_resident(&mut self, generated: &mut Generated) -> Resident {
        invented_resident(self.ctx, &mut self.rng, generated)
    }

    /// Second applications for the same NIK and service through another
    /// channel, submitted later: the later one must be refused.
    fn duplicates(&mut self, apps: &mut Vec<Planned>, count: usize) {
        let end = self.ctx.as_of.and_time(NaiveTime::MIN);
        let mut originals: Vec<usize> = apps
            .iter()
            .enumerate()
            .filter(|(_, a)| a.defect.is_none() && a.note.is_none())
            .map(|(i, _)| i)
            .collect();
        self.rng.shuffle(&mut originals);
        for &i in originals.iter().take(count) {
            let first = apps[i].clone();
            let channel = self.channel_for(first.service, Some(first.channel));
            let gap = self.rng.range(1800, 36 * 3600);
            let mut at = first.submitted_at + Duration::seconds(gap);
            if at >= end {
                let half = (end - first.submitted_at).num_seconds() / 2;
                at = first.submitted_at + Duration::seconds(half.max(1));
            }
            let documents = self.documents(first.service, channel, None);
            let mail_style = self.mail_style();
            let key = self.next_key;
            self.next_key += 1;
            // Typed exactly as the population has it, so the duplicate is
            // the only thing wrong with it.
            let typed = Typed {
                nik: first.resident_nik.clone().unwrap_or_default(),
                name: first.resident_name.clone(),
                ..first.typed.clone()
            };
            apps.push(Planned {
                key,
                typed,
                channel,
                defect: Some(Defect::DuplicateInFlight),
                documents,
                submitted_at: at,
                variations: Vec::new(),
                note: None,
                duplicate_of: Some(first.key),
                apostrophe: false,
                mail_style,
                ..first
            });
        }
    }

    /// The rows that exercise the parsers: an embedded newline, a name
    /// with a comma, a message delivered twice, a forbidden attachment.
    fn specials(&mut self, apps: &mut [Planned], forbidden: usize) {
        let originals: std::collections::BTreeSet<usize> =
            apps.iter().filter_map(|a| a.duplicate_of).collect();
        let plain =
            |a: &Planned| a.defect.is_none() && a.note.is_none() && !originals.contains(&a.key);
        let mut forms: Vec<usize> = (0..apps.len())
            .filter(|&i| apps[i].channel == Channel::Form && plain(&apps[i]))
            .collect();
        let cutoff = self.ctx.as_of - Duration::days(CUTOFF_DAYS);
        // Prefer rows in both exports, so the line shift shows in both.
        forms.sort_by_key(|&i| (apps[i].submitted_at.date() >= cutoff, apps[i].key));
        if let Some(&i) = forms.first() {
            let a = &mut apps[i];
            a.variations.clear();
            a.apostrophe = false;
            a.typed.nik = a.resident_nik.clone().unwrap_or_default();
            a.typed.name = a.resident_name.clone();
            a.phone_newline = true;
            a.variations.push("phone_embedded_newline");
        }
        if let Some(&i) = forms.get(1) {
            let a = &mut apps[i];
            let base = names::title_case(&a.resident_name);
            let muslim_woman = a.sex == Sex::P && a.religion == names::ISLAM;
            a.typed.name = if muslim_woman {
                format!("Hj. {base}, S.Pd")
            } else {
                format!("{base}, S.Pd")
            };
            a.variations
                .retain(|v| v.starts_with("nik_") || *v == "leading_apostrophe");
            a.variations.push("name_with_comma");
        }
        let mut mails: Vec<usize> = (0..apps.len())
            .filter(|&i| apps[i].channel == Channel::Mail && plain(&apps[i]))
            .collect();
        mails.sort_by_key(|&i| apps[i].key);
        if let Some(&i) = mails.first() {
            apps[i].delivered_twice = true;
        }
        for &i in mails.iter().skip(1).take(forbidden) {
            apps[i].forbidden_attachment = true;
        }
    }

    fn bad(&mut self, r: &Resident, kind: NotApplication, channel: Channel) -> PlannedBad {
        let service = self.service_for(r, None);
        // Only in the later form export: a row the office never saw
        // twice, so "quarantined" stays unambiguous.
        let first_day = if channel == Channel::Form {
            WINDOW_DAYS - CUTOFF_DAYS
        } else {
            0
        };
        let submitted_at = self.time(first_day);
        PlannedBad {
            kind,
            channel,
            typed: self.exact(r),
            service_text: service.label().to_string(),
            kecamatan: self.kecamatan_for(&r.district_code),
            submitted_at,
            source: String::new(),
            message_id: None,
        }
    }
}

/// Someone who is not in the snapshot: numbers from the serial book's
/// free range, so they are valid but certainly unknown.
pub(crate) fn invented_resident(
    ctx: &Context<'_>,
    rng: &mut Rng,
    generated: &mut Generated,
) -> Resident {
    let idx = rng.index(ctx.districts.len());
    let sex = if rng.chance(5_000) { Sex::L } else { Sex::P };
    let age = rng.range(20, 70) as u32;
    let mut birth = birth_date_for_age(ctx.as_of, age, rng);
    let serial = loop {
        match generated.serials.next_nik(idx, birth, sex) {
            Some(s) => break s,
            None => birth = birth.succ_opt().unwrap_or(birth),
        }
    };
    let code = &ctx.districts[idx].code;
    let start = NaiveDate::from_ymd_opt(2006, 1, 1).expect("valid date");
    let mut registered = start + Duration::days(rng.range(0, (ctx.as_of - start).num_days() - 60));
    let kk_serial = loop {
        match generated.serials.next_kk(idx, registered) {
            Some(s) => break s,
            None => registered = registered.pred_opt().unwrap_or(registered),
        }
    };
    let (culture, religion) = names::household_culture(ctx.region, rng);
    let family = names::family_name(culture, rng);
    let order = rng.range(1, 4) as u32;
    Resident {
        nik: compose_nik(code, birth, sex, serial),
        kk: compose_kk(code, registered, kk_serial),
        kk_registered: registered,
        kk_serial,
        name: names::person_name(culture, religion, sex, birth.year(), order, family, rng),
        sex,
        birth_date: birth,
        district_code: code.clone(),
        religion,
        age: age_on(birth, ctx.as_of),
        has_card: true,
    }
}

/// The name with exactly one letter edit (substitution, deletion,
/// insertion or transposition of adjacent letters), never one that old
/// spelling rules would undo (OE/U, DJ/J, TJ/C ...).
pub(crate) fn typo(name: &str, rng: &mut Rng) -> (String, &'static str) {
    const VOWELS: &[u8] = b"AEIOU";
    const CONSONANTS: &[u8] = b"BCDFGHKLMNPRSTWY";
    const OLD_SPELLING: [&str; 6] = ["OE", "DJ", "TJ", "SJ", "NJ", "CH"];
    let words: Vec<&str> = name.split(' ').collect();
    let mut candidates: Vec<usize> = (0..words.len()).filter(|&i| words[i].len() >= 4).collect();
    if candidates.is_empty() {
        candidates = (0..words.len()).filter(|&i| words[i].len() >= 2).collect();
    }
    if candidates.is_empty() {
        return (format!("{name}A"), "insertion");
    }
    for _ in 0..32 {
        let w = *rng.pick(&candidates);
        let word = words[w].as_bytes();
        let len = word.len();
        let (new, op): (Vec<u8>, &'static str) = match rng.weighted(&[35, 20, 25, 20]) {
            0 => {
                let pos = rng.index(len);
                let pool = if VOWELS.contains(&word[pos]) {
                    VOWELS
                } else {
                    CONSONANTS
                };
                let c = *rng.pick(pool);
                if c == word[pos] {
                    continue;
                }
                let mut v = word.to_vec();
                v[pos] = c;
                (v, "substitution")
            }
            1 if len >= 4 => {
                let pos = 1 + rng.index(len - 1);
                let mut v = word.to_vec();
                v.remove(pos);
                (v, "deletion")
            }
            2 => {
                let pos = 1 + rng.index(len);
                let c = if rng.chance(5_000) {
                    word[pos - 1]
                } else {
                    *rng.pick(VOWELS)
                };
                let mut v = word.to_vec();
                v.insert(pos, c);
                (v, "insertion")
            }
            3 => {
                let pos = rng.index(len - 1);
                if word[pos] == word[pos + 1] {
                    continue;
                }
                let mut v = word.to_vec();
                v.swap(pos, pos + 1);
                (v, "transposition")
            }
            _ => continue,
        };
        let new = String::from_utf8(new).unwrap_or_default();
        if OLD_SPELLING
            .iter()
            .any(|d| new.contains(d) && !words[w].contains(d))
        {
            continue;
        }
        let mut out: Vec<String> = words.iter().map(|s| s.to_string()).collect();
        out[w] = new;
        return (out.join(" "), op);
    }
    (format!("{name}A"), "insertion")
}

/// A plausible mistyped birth date: another day, month or year, or day and
/// month swapped; still an adult's, still a real date.
fn wrong_date(birth: NaiveDate, as_of: NaiveDate, rng: &mut Rng) -> NaiveDate {
    for _ in 0..64 {
        let candidate = match rng.weighted(&[35, 25, 25, 15]) {
            0 => Some(
                birth + Duration::days(rng.range(1, 27) * if rng.chance(5_000) { 1 } else { -1 }),
            ),
            1 => {
                let m = Months::new(rng.range(1, 11) as u32);
                if rng.chance(5_000) {
                    birth.checked_add_months(m)
                } else {
                    birth.checked_sub_months(m)
                }
            }
            2 => {
                let m = Months::new(12 * rng.range(1, 5) as u32);
                if rng.chance(5_000) {
                    birth.checked_add_months(m)
                } else {
                    birth.checked_sub_months(m)
                }
            }
            _ => NaiveDate::from_ymd_opt(birth.year(), birth.day(), birth.month()),
        };
        if let Some(d) = candidate
            && d != birth
            && age_on(d, as_of) >= 17
            && d.year() >= 1936
        {
            return d;
        }
    }
    birth - Duration::days(1)
}

/// The resident's NIK with exactly one structural rule broken, cycling
/// through the rules by `k`.
fn malformed(nik: &str, sex: Sex, k: usize, kabupaten: &str) -> (String, &'static str) {
    let mut d = nik.to_string();
    match k % 6 {
        0 => {
            if k.is_multiple_of(12) {
                d.pop();
            } else {
                d.push('7');
            }
            (d, "wrong_length")
        }
        1 => {
            d.replace_range(6..8, "35");
            (d, "day_35")
        }
        2 => {
            d.replace_range(8..10, "13");
            (d, "month_13")
        }
        3 => {
            d.replace_range(12..16, "0000");
            (d, "serial_0000")
        }
        4 => {
            let w = Wilayah::embedded();
            let prefix = undotted(kabupaten);
            let code = (80..100)
                .rev()
                .map(|n| format!("{prefix}{n:02}"))
                .chain(["999999".to_string()])
                .find(|c| w.district(c).is_none())
                .unwrap_or_else(|| "999999".into());
            d.replace_range(0..6, &code);
            (d, "unknown_region")
        }
        _ => {
            d.replace_range(6..8, if sex == Sex::P { "70" } else { "30" });
            d.replace_range(8..10, "02");
            (d, "30_february")
        }
    }
}
