//! `sigap sample-data`: a synthetic office with a population snapshot and
//! an inbox of applications in which defects are planted in known numbers.
//!
//! [`generate`] makes the office directory (as `sigap init` does), writes
//! `population.parquet`, the form, app and mail inputs, and
//! `manifest.json`, which says what every input is and what ingest and
//! verification must conclude about it. Everything is derived from the
//! options alone: the same options give byte-identical files (the
//! generator has its own PRNG, never reads the clock and only iterates
//! ordered collections).
//!
//! Files are written mode 0600: synthetic or not, they have the shape of
//! personal data and are handled like it.

mod attachments;
mod encode;
mod error;
mod history;
mod inbox;
mod mail;
mod names;
mod plan;
mod population;
mod rng;

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::config::{Config, PopulationSource};
use crate::domain::wilayah::Wilayah;
use crate::files::write_atomic_private;
use plan::{Channel, Defect, NotApplication, Plan};
use population::{DistrictInfo, PoolSizes};

pub use error::SampleError;
pub use history::HistorySummary;
pub use population::PopulationSummary;

/// The `as_of` date used when none is given: 2026-11-20, a Friday, so the
/// 7-day submission window before it holds a weekend.
pub fn default_as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 20).expect("valid date")
}

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SampleOptions {
    /// Office profile: `bantul`, `tabanan` or `kapuas`.
    pub profile: String,
    /// Residents in `population.parquet`.
    pub population: u64,
    /// Distinct applications in the inbox (non-applications and repeated
    /// deliveries come on top).
    pub applications: u64,
    /// Seed of every random choice.
    pub seed: u64,
    /// The day the office is generated for (the nightly run's date): ages
    /// are computed on it and submissions fall in the 7 days before it.
    /// Default [`default_as_of`].
    pub as_of: NaiveDate,
    /// Weeks of past activity to write into the state database (0: none):
    /// about `applications` a week, ending at midnight before `as_of`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub weeks: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Default for SampleOptions {
    fn default() -> Self {
        SampleOptions {
            profile: "bantul".into(),
            population: 2_000,
            applications: 200,
            seed: 1,
            as_of: default_as_of(),
            weeks: 0,
        }
    }
}

/// The office a sample was made for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestOffice {
    /// Profile code, e.g. `bantul`.
    pub code: String,
    /// Dotted kabupaten code, e.g. `34.02`.
    pub kabupaten_code: String,
    /// `WIB`, `WITA` or `WIT`.
    pub timezone: String,
    /// The UTC offset every local time in the inbox uses, e.g. `+07:00`.
    pub utc_offset: String,
}

/// A forms export and its data rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormsFile {
    /// Path relative to the inbox.
    pub file: String,
    /// Data rows (CSV records after the header).
    pub rows: u64,
}

/// An app export and its records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppFile {
    /// Path relative to the inbox.
    pub file: String,
    /// Records (JSON array elements or NDJSON lines).
    pub records: u64,
}

/// The mail channel's files.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailInputs {
    /// Message files in `mail/new/`.
    pub new: u64,
    /// Message files in `mail/cur/` (flagged seen, `:2,S`).
    pub cur: u64,
    /// Loose `mail/*.eml` files.
    pub loose: u64,
    /// All message files (`new + cur + loose`).
    pub messages: u64,
    /// PDF attachments (the forbidden ones not counted).
    pub attachments: u64,
}

/// Every input file of the inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inputs {
    /// Forms exports, earlier one first.
    pub forms: Vec<FormsFile>,
    /// App exports, earlier one first.
    pub app: Vec<AppFile>,
    /// Document files under `app/files/`.
    pub app_documents: u64,
    /// Mail.
    pub mail: MailInputs,
}

/// What one ingest run over the whole inbox must report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngestExpectation {
    /// Inputs read: form data rows of both exports, app records, message files.
    pub read: u64,
    /// Distinct applications recorded.
    pub new: u64,
    /// Inputs seen before (the cumulative export's repeats, the message delivered twice).
    pub already_known: u64,
    /// Inputs that are not applications.
    pub quarantined: u64,
}

/// What verification of every new application must conclude.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyExpectation {
    /// Applications per resulting state code.
    pub states: BTreeMap<String, u64>,
    /// Occurrences of each reason code.
    pub reasons: BTreeMap<String, u64>,
}

/// Expected totals of a run over the sample.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expected {
    /// Ingest's accounting.
    pub ingest: IngestExpectation,
    /// Attachments of a forbidden type set aside (their message is still an application).
    pub attachments_quarantined: u64,
    /// Verification outcomes.
    pub verify: VerifyExpectation,
}

/// One distinct application and what must become of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpectedApplication {
    /// `form`, `app` or `mail`.
    pub channel: String,
    /// Every place it appears, relative to the inbox: `forms/<file>.csv:LINE`
    /// (the CSV record's first line, header = line 1), `app/<file>#<id>`,
    /// `mail/new/<file>`, `mail/cur/<file>:2,S` or `mail/<file>.eml`.
    pub sources: Vec<String>,
    /// The app record's id (app channel).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    /// The Message-ID (mail channel).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// Submission time, RFC 3339 with the office's offset.
    pub submitted_at: String,
    /// The NIK as typed (with the spreadsheet apostrophe when the CSV cell has one).
    pub nik: String,
    /// The NIK of the resident it is about, when that person is in the population.
    pub resident_nik: Option<String>,
    /// The name as typed.
    pub name: String,
    /// The KK number as typed.
    pub kk_number: String,
    /// The birth date as typed, `YYYY-MM-DD`.
    pub birth_date: String,
    /// Service code, e.g. `ktp_hilang`.
    pub service: String,
    /// Pickup kecamatan, dotted code.
    pub kecamatan: String,
    /// Document kinds provided.
    pub documents: Vec<String>,
    /// The planted defect, or `null` for a clean application.
    pub planted: Option<String>,
    /// Benign differences from the population record that must still match.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variations: Vec<String>,
    /// Detail of the plant (which rule, which document, which edit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// For a duplicate: the first source of the application it repeats.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicate_of: Option<String>,
    /// The state verification must reach.
    pub expected_state: String,
    /// The reason codes it must give (empty for VERIFIED).
    pub expected_reasons: Vec<String>,
}

/// One input that is not an application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuarantineEntry {
    /// `form`, `app` or `mail`.
    pub channel: String,
    /// Where it is, in the form of [`ExpectedApplication::sources`].
    pub source: String,
    /// The Message-ID (mail).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// What was planted: `scientific_nik`, `unknown_service`, `empty_nik`, `non_application_email`.
    pub planted: String,
}

/// An attachment ingest must set aside while recording its message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuarantinedAttachment {
    /// `<message source>#<file name>`.
    pub source: String,
    /// The message's Message-ID.
    pub message_id: String,
    /// The attachment's file name.
    pub file: String,
}

/// `manifest.json`: what was generated and what a run over it must find.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The options it was generated with.
    pub options: SampleOptions,
    /// The office.
    pub office: ManifestOffice,
    /// The snapshot's counts.
    pub population: PopulationSummary,
    /// The inbox files.
    pub inputs: Inputs,
    /// Counts per planted kind: `none`, each defect, each kind of
    /// non-application, `forbidden_attachment`, and the already-known
    /// kinds `form_export_repeat` and `mail_delivered_twice`.
    pub planted: BTreeMap<String, u64>,
    /// Expected totals.
    pub expected: Expected,
    /// Every distinct application, in submission order.
    pub applications: Vec<ExpectedApplication>,
    /// Every input that is not an application.
    pub quarantine: Vec<QuarantineEntry>,
    /// Attachments of forbidden types.
    pub quarantined_attachments: Vec<QuarantinedAttachment>,
    /// The history written into the state database (`--weeks`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<HistorySummary>,
}

/// Makes a sample office in `dir`: `sigap init`'s layout and config for
/// `opts.profile`, `population.parquet`, the inbox, and `manifest.json`.
/// Refuses a folder that already has a `sigap.toml`. Logs one line per
/// stage (counts only), since a national-size population takes a while.
pub fn generate(dir: &Path, opts: &SampleOptions) -> Result<Manifest, SampleError> {
    let config_path = crate::office::init(dir, &opts.profile)?;
    let config = Config::load(&config_path, |_| None)?;
    let unusable = |reason: &str| SampleError::Unusable {
        path: config_path.clone(),
        reason: reason.to_string(),
    };
    let wilayah = Wilayah::embedded();
    let districts: Vec<DistrictInfo> = wilayah
        .districts_of(&config.office.kabupaten_code)
        .into_iter()
        .map(|d| DistrictInfo {
            code: d.code.clone(),
            villages: wilayah
                .villages_of(&d.code)
                .into_iter()
                .map(|v| (v.code.clone(), v.name.clone()))
                .collect(),
        })
        .filter(|d| !d.villages.is_empty())
        .collect();
    if districts.is_empty() {
        return Err(unusable(
            "the kabupaten has no kecamatan with village rows in the region tables",
        ));
    }
    if config.kecamatan.is_empty() {
        return Err(unusable("the profile lists no pickup kecamatan"));
    }
    let kabupaten_name = wilayah
        .regency(&config.office.kabupaten_code)
        .unwrap_or("")
        .to_string();
    let region = names::Region::of_kabupaten(&config.office.kabupaten_code);
    let offset = config.office.timezone.offset();

    let counts = plan::Counts::for_applications(opts.applications);
    let sizes = PoolSizes {
        clean: counts.clean_wanted(),
        young_married: 2,
        underage: counts.of(Defect::Underage),
        deceased: counts.of(Defect::Deceased),
        moved_out: counts.of(Defect::MovedOut),
        not_recorded: counts.of(Defect::NotRecorded),
        // One resident per history application, as the history draws them.
        history: usize::try_from(opts.weeks.saturating_mul(opts.applications).min(1 << 20))
            .unwrap_or(0),
    };
    let population_path = match &config.population {
        PopulationSource::Parquet { path } => config.resolve(path),
        PopulationSource::Postgres { .. } => dir.join("population.parquet"),
    };
    tracing::info!(
        residents = opts.population,
        "sample-data: writing the population snapshot"
    );
    let mut generated = population::write(
        &population_path,
        &districts,
        region,
        opts.as_of,
        opts.population,
        opts.seed,
        sizes,
    )?;
    generated.summary.file = population_path
        .strip_prefix(dir)
        .unwrap_or(&population_path)
        .display()
        .to_string();
    let ctx = plan::Context {
        config: &config,
        config_path: &config_path,
        as_of: opts.as_of,
        region,
        districts: &districts,
        seed: opts.seed,
        applications: opts.applications,
        population: opts.population,
    };
    let mut plan = plan::plan(&ctx, counts, &mut generated)?;
    let history = if opts.weeks > 0 {
        tracing::info!(weeks = opts.weeks, "sample-data: writing the history");
        Some(history::write(
            &ctx,
            &mut generated,
            &population_path,
            opts.weeks,
            opts.applications,
        )?)
    } else {
        None
    };
    let summary = std::mem::take(&mut generated.summary);
    drop(generated);

    tracing::info!(
        families = summary.families,
        applications = opts.applications,
        "sample-data: population written; writing the inbox"
    );
    let inbox = config.inbox_dir();
    let inbox_ctx = inbox::InboxContext {
        config: &config,
        offset,
        as_of: opts.as_of,
    };
    let forms = inbox::write_forms(
        &inbox,
        &inbox_ctx,
        &mut plan,
        &mut rng::Rng::new(opts.seed, 0x464f_524d),
    )?;
    let (app, app_documents) = inbox::write_app(&inbox, &inbox_ctx, &mut plan)?;
    let mail_ctx = mail::MailContext {
        config: &config,
        offset,
        kabupaten: &kabupaten_name,
    };
    let mail = mail::write(
        &inbox,
        &mail_ctx,
        &mut plan,
        &mut rng::Rng::new(opts.seed, 0x4d41_494c),
    )?;

    let mut manifest = manifest(
        opts,
        &config,
        summary,
        &plan,
        &forms,
        &app,
        app_documents,
        mail,
    );
    manifest.history = history;
    let path = dir.join("manifest.json");
    let mut json = serde_json::to_vec_pretty(&manifest).map_err(|source| SampleError::Json {
        path: path.clone(),
        source,
    })?;
    json.push(b'\n');
    write_atomic_private(&path, &json)?;
    // The population's region and village codes come from the Kemendagri
    // list (ODbL): its licence goes beside every database derived from it.
    write_atomic_private(&dir.join("WILAYAH-LICENSE.md"), WILAYAH_LICENSE.as_bytes())?;
    Ok(manifest)
}

/// The ODbL licence of the region codes, shipped with every generated office.
const WILAYAH_LICENSE: &str = include_str!("../../data/wilayah/LICENSE.md");

/// Builds the manifest from the plan as written: every count is taken
/// from the same records the files were made from.
#[allow(clippy::too_many_arguments)]
fn manifest(
    opts: &SampleOptions,
    config: &Config,
    population: PopulationSummary,
    plan: &Plan,
    forms: &[inbox::Written],
    app: &[inbox::Written],
    app_documents: usize,
    mail: mail::MailCounts,
) -> Manifest {
    let offset = config.office.timezone.offset();
    let count = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
    let first_source: BTreeMap<usize, String> = plan
        .apps
        .iter()
        .map(|a| (a.key, a.sources.first().cloned().unwrap_or_default()))
        .collect();

    let mut planted: BTreeMap<String, u64> = std::iter::once("none")
        .chain(Defect::ALL.iter().map(|d| d.code()))
        .chain(
            [
                NotApplication::ScientificNik,
                NotApplication::UnknownService,
                NotApplication::EmptyNik,
                NotApplication::QuestionEmail,
            ]
            .iter()
            .map(|k| k.code()),
        )
        .chain([
            "forbidden_attachment",
            "form_export_repeat",
            "mail_delivered_twice",
        ])
        .map(|k| (k.to_string(), 0))
        .collect();
    let mut bump = |k: &str, n: u64| *planted.entry(k.to_string()).or_insert(0) += n;

    let mut verify = VerifyExpectation::default();
    let mut applications = Vec::with_capacity(plan.apps.len());
    let mut already_known = 0;
    let mut quarantined_attachments = Vec::new();
    for a in &plan.apps {
        bump(a.defect.map_or("none", Defect::code), 1);
        let repeats = count(a.sources.len().saturating_sub(1));
        already_known += repeats;
        match a.channel {
            Channel::Form => bump("form_export_repeat", repeats),
            Channel::Mail => bump("mail_delivered_twice", repeats),
            Channel::App => {}
        }
        if let Some(source) = &a.quarantined_attachment {
            bump("forbidden_attachment", 1);
            quarantined_attachments.push(QuarantinedAttachment {
                source: source.clone(),
                message_id: a.message_id.clone().unwrap_or_default(),
                file: mail::FORBIDDEN_FILE.to_string(),
            });
        }
        let (state, reasons) = match a.defect {
            None => (crate::domain::state::State::Verified.code(), Vec::new()),
            Some(d) => {
                let (state, reason) = d.expected();
                (state.code(), vec![reason.code().to_string()])
            }
        };
        *verify.states.entry(state.to_string()).or_insert(0) += 1;
        for r in &reasons {
            *verify.reasons.entry(r.clone()).or_insert(0) += 1;
        }
        applications.push(ExpectedApplication {
            channel: a.channel.code().to_string(),
            sources: a.sources.clone(),
            app_id: a.app_id.clone(),
            message_id: a.message_id.clone(),
            submitted_at: inbox::local(a.submitted_at, offset)
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
            nik: if a.apostrophe {
                format!("'{}", a.typed.nik)
            } else {
                a.typed.nik.clone()
            },
            resident_nik: a.resident_nik.clone(),
            name: a.typed.name.clone(),
            kk_number: a.typed.kk.clone(),
            birth_date: a.typed.birth_date.to_string(),
            service: a.service.code().to_string(),
            kecamatan: config.kecamatan[a.kecamatan].code.clone(),
            documents: a.documents.clone(),
            planted: a.defect.map(|d| d.code().to_string()),
            variations: a.variations.iter().map(|v| v.to_string()).collect(),
            note: a.note.clone(),
            duplicate_of: a.duplicate_of.and_then(|k| first_source.get(&k).cloned()),
            expected_state: state.to_string(),
            expected_reasons: reasons,
        });
    }
    let quarantine: Vec<QuarantineEntry> = plan
        .bads
        .iter()
        .map(|b| {
            bump(b.kind.code(), 1);
            QuarantineEntry {
                channel: b.channel.code().to_string(),
                source: b.source.clone(),
                message_id: b.message_id.clone(),
                planted: b.kind.code().to_string(),
            }
        })
        .collect();

    let mail_inputs = MailInputs {
        new: count(mail.new),
        cur: count(mail.cur),
        loose: count(mail.loose),
        messages: count(mail.new + mail.cur + mail.loose),
        attachments: count(mail.attachments),
    };
    let read = forms.iter().map(|f| count(f.count)).sum::<u64>()
        + app.iter().map(|f| count(f.count)).sum::<u64>()
        + mail_inputs.messages;
    let ingest = IngestExpectation {
        read,
        new: count(applications.len()),
        already_known,
        quarantined: count(quarantine.len()),
    };
    debug_assert_eq!(
        ingest.read,
        ingest.new + ingest.already_known + ingest.quarantined
    );
    Manifest {
        options: opts.clone(),
        office: ManifestOffice {
            code: config.office.code.clone(),
            kabupaten_code: config.office.kabupaten_code.clone(),
            timezone: format!("{:?}", config.office.timezone),
            utc_offset: offset.to_string(),
        },
        population,
        inputs: Inputs {
            forms: forms
                .iter()
                .map(|f| FormsFile {
                    file: f.file.clone(),
                    rows: count(f.count),
                })
                .collect(),
            app: app
                .iter()
                .map(|f| AppFile {
                    file: f.file.clone(),
                    records: count(f.count),
                })
                .collect(),
            app_documents: count(app_documents),
            mail: mail_inputs,
        },
        planted,
        expected: Expected {
            ingest,
            attachments_quarantined: count(quarantined_attachments.len()),
            verify,
        },
        applications,
        quarantine,
        quarantined_attachments,
        history: None,
    }
}

#[cfg(test)]
mod tests;
