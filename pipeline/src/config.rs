//! `sigap.toml`: the office's configuration, as a documented struct.
//!
//! Loading reads the file, collects every key the struct does not know
//! (all of them, not just the first), applies the environment overrides and
//! resolves paths against the file's folder. [`Config::problems`] then
//! checks the meaning of the values and reports every problem at once.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use chrono::{FixedOffset, NaiveDate, NaiveTime, Weekday};
use serde::{Deserialize, Serialize};

use crate::domain::service::Service;
use crate::domain::wilayah::Wilayah;

/// Names of the environment variables that override the file.
pub mod env {
    /// Path of the config file (else `./sigap.toml`).
    pub const CONFIG: &str = "SIGAP_CONFIG";
    /// SMTP server, lettre's URL form, e.g. `smtp://user:pass@host:587?tls=required`.
    pub const SMTP_URL: &str = "SIGAP_SMTP_URL";
    /// PEM file of the CA that signed the SMTP server's certificate (the
    /// office's own), trusted beside the public and system roots.
    pub const SMTP_CA_FILE: &str = "SIGAP_SMTP_CA_FILE";
    /// `postgres://…` for the PostgreSQL adapter, or a Parquet snapshot path.
    pub const POPULATION_URL: &str = "SIGAP_POPULATION_URL";
    /// Encrypts destruction bundles when set.
    pub const ARCHIVE_PASSPHRASE: &str = "SIGAP_ARCHIVE_PASSPHRASE";
    /// The password of the `[intake.imap]` account.
    pub const IMAP_PASSWORD: &str = "SIGAP_IMAP_PASSWORD";
    /// The office CA's PEM file the IMAP server's certificate may be signed
    /// by (beside the system's roots); overrides `intake.imap.ca_file`.
    pub const IMAP_CA_FILE: &str = "SIGAP_IMAP_CA_FILE";
}

/// The whole configuration of one office.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Config {
    /// Who the office is.
    pub office: Office,
    /// Where the working folders are (relative to the config file).
    #[serde(default)]
    pub paths: Paths,
    /// The population database used by verification.
    pub population: PopulationSource,
    /// Outgoing mail.
    pub smtp: Smtp,
    /// The card-printer station.
    #[serde(default)]
    pub station: Station,
    /// Destruction bundles and the retention of requirement scans.
    #[serde(default)]
    pub archive: ArchiveSettings,
    /// Opening hours per weekday; a day left out is closed.
    pub hours: OfficeHours,
    /// Days the office is closed besides weekends: national holidays, cuti
    /// bersama and local holidays.
    #[serde(default)]
    pub holidays: Vec<Holiday>,
    /// Built-in national days the office works (its region does), each with
    /// the reason; see `domain::holidays`.
    #[serde(default)]
    pub holidays_removed: Vec<RemovedHoliday>,
    /// The kecamatan offices where applicants pick up their cards.
    pub kecamatan: Vec<PickupOffice>,
    /// Document kinds the services ask for, by code.
    pub documents: BTreeMap<String, DocumentKind>,
    /// The services this office offers and what each needs.
    pub services: BTreeMap<Service, ServiceRule>,
    /// SOP step targets.
    pub sla: SlaTargets,
    /// How Google Forms export columns map to application fields.
    #[serde(default)]
    pub forms: FormColumns,
    /// Mail from a server besides the inbox's Maildir (`[intake.imap]`).
    #[serde(default)]
    pub intake: IntakeSettings,
    /// When each job runs under `sigap daemon`: job name → cron (office time).
    #[serde(default)]
    pub schedule: BTreeMap<String, crate::schedule::ScheduleEntry>,
    /// Folder of the config file; relative paths are resolved against it.
    #[serde(skip)]
    pub base_dir: PathBuf,
    /// The file it was read from.
    #[serde(skip)]
    pub source_file: PathBuf,
    /// Keys whose URL in the file (not the environment) holds a password.
    #[serde(skip)]
    pub secrets_in_file: Vec<String>,
}

/// The dinas (or kecamatan) running sigap.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Office {
    /// Short machine name of the profile, e.g. `bantul`.
    pub code: String,
    /// Full name, as on the letterhead.
    pub name: String,
    /// Short name for email senders and page headers.
    pub short_name: String,
    /// Parent government line of the letterhead, e.g. `PEMERINTAH KABUPATEN BANTUL`.
    pub government: String,
    /// Kabupaten whose residents this office serves, dotted (`34.02`).
    pub kabupaten_code: String,
    /// Office timezone: WIB (UTC+7), WITA (UTC+8) or WIT (UTC+9).
    pub timezone: Timezone,
    /// Postal address, as on the letterhead.
    pub address: String,
    /// Telephone.
    #[serde(default)]
    pub phone: String,
    /// Contact email (also Reply-To of notices unless `smtp.reply_to` is set).
    pub email: String,
    /// Where cards are printed: `dinas` or `kecamatan`.
    pub printing: PrintingAt,
    /// Intake channels in use (informational): any of `form`, `app`, `mail`.
    #[serde(default)]
    pub intake: Vec<String>,
    /// Whether surrendered old cards are collected for monthly destruction.
    #[serde(default)]
    pub archive_old_cards: bool,
    /// Where applicants can complain, as the SOP lists them; each line goes
    /// into rejection notices as written.
    #[serde(default)]
    pub complaint_channels: Vec<String>,
}

/// Office timezones of Indonesia (no daylight saving).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Timezone {
    /// Waktu Indonesia Barat, UTC+7.
    WIB,
    /// Waktu Indonesia Tengah, UTC+8.
    WITA,
    /// Waktu Indonesia Timur, UTC+9.
    WIT,
}

impl Timezone {
    /// The fixed UTC offset.
    pub fn offset(self) -> FixedOffset {
        let hours = match self {
            Timezone::WIB => 7,
            Timezone::WITA => 8,
            Timezone::WIT => 9,
        };
        FixedOffset::east_opt(hours * 3600).expect("valid offset")
    }

    /// Today's date in this timezone.
    pub fn today(self) -> NaiveDate {
        chrono::Utc::now()
            .with_timezone(&self.offset())
            .date_naive()
    }
}

/// Where the print station is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrintingAt {
    /// At the dinas; couriers take batches to the kecamatan.
    Dinas,
    /// At the kecamatan itself; no courier leg.
    Kecamatan,
}

/// Working folders. Relative paths are resolved against the config file's folder.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Paths {
    /// Incoming forms, app exports, mail and pickup registers.
    pub inbox: PathBuf,
    /// The station's hot folder (`outgoing/`, `results/`).
    pub spool: PathBuf,
    /// State database, documents, quarantine (personal data, mode 0600).
    pub data: PathBuf,
    /// Rekap, reports, destruction bundles.
    pub out: PathBuf,
}

impl Default for Paths {
    fn default() -> Self {
        Paths {
            inbox: "inbox".into(),
            spool: "spool".into(),
            data: "data".into(),
            out: "out".into(),
        }
    }
}

/// Which population database to verify against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
// Internally tagged enums hide unknown keys from serde_ignored, so this
// one section refuses them itself (one at a time).
#[serde(tag = "adapter", rename_all = "snake_case", deny_unknown_fields)]
pub enum PopulationSource {
    /// A Parquet snapshot (SIAK export) read with polars.
    Parquet {
        /// The snapshot file.
        path: PathBuf,
    },
    /// A PostgreSQL table or view with the snapshot's columns.
    Postgres {
        /// Connection URL; better given as `SIGAP_POPULATION_URL` (it holds a password).
        #[serde(default)]
        url: Option<String>,
        /// Table or view name.
        #[serde(default = "default_population_table")]
        table: String,
    },
}

fn default_population_table() -> String {
    "penduduk".into()
}

/// Outgoing mail settings. The server URL normally comes from `SIGAP_SMTP_URL`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Smtp {
    /// Sender display name, e.g. `Disdukcapil Kabupaten Bantul`.
    pub from_name: String,
    /// Sender address.
    pub from_address: String,
    /// Reply-To; the office email when empty.
    #[serde(default)]
    pub reply_to: Option<String>,
    /// Server URL (lettre form). Leave out of the file when it holds a password.
    #[serde(default)]
    pub url: Option<String>,
    /// PEM file of the office's own CA that signed the server's
    /// certificate (relative to the config file); `SIGAP_SMTP_CA_FILE`
    /// overrides it.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// The admin address that `sigap daemon`'s alerts go to (a job that failed
    /// after every retry). Without it alerts are kept in the outbox as FAILED
    /// and in the run history only.
    #[serde(default)]
    pub alert_to: Option<String>,
}

/// `[intake]`: where mail comes from besides `inbox/mail/`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct IntakeSettings {
    /// An IMAP account ingest fetches from; the Maildir is read as well.
    pub imap: Option<ImapSettings>,
}

/// `[intake.imap]`: the account ingest fetches new messages from. The
/// password is `SIGAP_IMAP_PASSWORD`, never in the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImapSettings {
    /// The server's host name (what its certificate is for) or address.
    pub host: String,
    /// The port; 993 for `imaps`, 143 otherwise.
    #[serde(default)]
    pub port: Option<u16>,
    /// How the connection is encrypted.
    #[serde(default)]
    pub tls: ImapTls,
    /// The account's login name.
    pub user: String,
    /// The folder the applications arrive in.
    #[serde(default = "default_imap_folder")]
    pub folder: String,
    /// With `tls = "none"`: the password may go over the plain connection
    /// (only on a network the office trusts). Refused without it.
    #[serde(default)]
    pub password_in_clear: bool,
    /// The office CA's PEM file, when the server's certificate is signed by
    /// the office's own CA (`SIGAP_IMAP_CA_FILE` overrides it).
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
}

fn default_imap_folder() -> String {
    "INBOX".into()
}

/// How the IMAP connection is encrypted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImapTls {
    /// TLS from the first byte (port 993).
    #[default]
    Imaps,
    /// A plain connection upgraded with STARTTLS before the login (port 143).
    Starttls,
    /// No encryption at all.
    None,
}

impl ImapTls {
    /// The port a server of this kind listens on unless told otherwise.
    pub fn default_port(self) -> u16 {
        match self {
            ImapTls::Imaps => 993,
            ImapTls::Starttls | ImapTls::None => 143,
        }
    }
}

impl ImapSettings {
    /// The port to connect to.
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(self.tls.default_port())
    }

    /// What is wrong with the settings, as (key under `intake.imap`,
    /// message). A password over a plain connection is refused here unless
    /// `password_in_clear = true` says so.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        for (key, value) in [
            ("host", &self.host),
            ("user", &self.user),
            ("folder", &self.folder),
        ] {
            if value.trim().is_empty() {
                out.push((key, "is empty; give the account's value".to_string()));
            } else if value.contains(['\r', '\n']) {
                out.push((key, "holds a line break; write it on one line".to_string()));
            }
        }
        if self.tls == ImapTls::None && !self.password_in_clear {
            out.push((
                "tls",
                format!(
                    "\"none\" would send {} unencrypted; use tls = \"imaps\" (port 993) or \"starttls\" (port 143), or, only on a network the office trusts, add password_in_clear = true",
                    env::IMAP_PASSWORD
                ),
            ));
        }
        out
    }
}

/// The card-printer station.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Station {
    /// Most cards in one print batch.
    pub batch_size: u32,
}

impl Default for Station {
    fn default() -> Self {
        Station { batch_size: 100 }
    }
}

/// Destruction bundles (`sigap archive`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ArchiveSettings {
    /// Days after receipt when a requirement scan of an archived
    /// application is deleted from `data/documents/`, only once its bundle
    /// has been read back and its sums checked. 0 keeps scans (the default).
    pub scan_retention_days: u32,
}

/// Opening hours, `"HH:MM-HH:MM"` per weekday; a missing day is closed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct OfficeHours {
    /// Monday.
    pub mon: Option<String>,
    /// Tuesday.
    pub tue: Option<String>,
    /// Wednesday.
    pub wed: Option<String>,
    /// Thursday.
    pub thu: Option<String>,
    /// Friday.
    pub fri: Option<String>,
    /// Saturday.
    pub sat: Option<String>,
    /// Sunday.
    pub sun: Option<String>,
}

impl OfficeHours {
    fn raw(&self, day: Weekday) -> Option<&str> {
        match day {
            Weekday::Mon => self.mon.as_deref(),
            Weekday::Tue => self.tue.as_deref(),
            Weekday::Wed => self.wed.as_deref(),
            Weekday::Thu => self.thu.as_deref(),
            Weekday::Fri => self.fri.as_deref(),
            Weekday::Sat => self.sat.as_deref(),
            Weekday::Sun => self.sun.as_deref(),
        }
    }

    /// Opening and closing time on a weekday, or `None` when closed (or the
    /// entry is malformed, which `config check` reports).
    pub fn on(&self, day: Weekday) -> Option<(NaiveTime, NaiveTime)> {
        self.raw(day).and_then(|s| parse_time_range(s).ok())
    }
}

fn parse_time_range(s: &str) -> Result<(NaiveTime, NaiveTime), String> {
    let (a, b) = s
        .split_once('-')
        .ok_or_else(|| format!("`{s}` is not HH:MM-HH:MM"))?;
    let t = |x: &str| {
        NaiveTime::parse_from_str(x.trim(), "%H:%M")
            .map_err(|_| format!("`{}` is not HH:MM", x.trim()))
    };
    let (open, close) = (t(a)?, t(b)?);
    if open >= close {
        return Err(format!("`{s}` closes before it opens"));
    }
    Ok((open, close))
}

/// A day the office is closed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Holiday {
    /// The date, `YYYY-MM-DD`.
    pub date: String,
    /// `libur_nasional`, `cuti_bersama` or `lokal`.
    pub kind: HolidayKind,
    /// Its name.
    pub name: String,
}

impl Holiday {
    /// The parsed date (`None` if malformed; `config check` reports it).
    pub fn day(&self) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(&self.date, "%Y-%m-%d").ok()
    }
}

/// A built-in holiday the office works.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RemovedHoliday {
    /// The date, `YYYY-MM-DD`, of a built-in holiday.
    pub date: String,
    /// Why the office is open that day (required: it is on the record).
    #[serde(default)]
    pub reason: String,
}

impl RemovedHoliday {
    /// The parsed date (`None` if malformed; `config check` reports it).
    pub fn day(&self) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(&self.date, "%Y-%m-%d").ok()
    }
}

/// Kinds of closed days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HolidayKind {
    /// National holiday.
    LiburNasional,
    /// Joint leave day set with the national holidays.
    CutiBersama,
    /// A local holiday (e.g. Galungan in Bali).
    Lokal,
}

/// A pickup office.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PickupOffice {
    /// Dotted Kemendagri code of the kecamatan, e.g. `34.02.15`.
    pub code: String,
    /// Kecamatan name.
    pub name: String,
    /// The office's name, e.g. `Kantor Kecamatan Sewon`.
    pub office: String,
    /// Its address.
    pub address: String,
}

/// The kind of a kept document whose kind is not known yet (its file name
/// matches no keyword): a person classifies it in the review queue. Not a
/// key an office may define in `[documents]`.
pub const UNCLASSIFIED: &str = "unclassified";

/// A kind of document an application can carry.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DocumentKind {
    /// Name applicants understand, used in notices.
    pub label: String,
    /// Words in an attachment's file name that mark it as this kind (lower case).
    #[serde(default)]
    pub keywords: Vec<String>,
}

/// What one service needs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServiceRule {
    /// Document kinds (codes of `[documents]`) that must be attached.
    pub documents: Vec<String>,
    /// What to bring when collecting, for the ready-for-pickup notice.
    #[serde(default)]
    pub bring_at_pickup: Vec<String>,
}

/// SOP step targets, in working hours of the office.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SlaTargets {
    /// From complete (all documents, verified) to printed.
    pub complete_to_printed_hours: f64,
    /// From printed to ready at the pickup office.
    pub printed_to_ready_hours: f64,
    /// From submitted to ready, end to end.
    pub submitted_to_ready_hours: f64,
    /// Working days the courier needs from print to pickup (0 where the
    /// station is at the pickup office).
    pub courier_lead_days: u32,
    /// The SOP's counter service standard in minutes, where it states one.
    #[serde(default)]
    pub counter_service_minutes: Option<u32>,
}

/// Google Forms header text for each field; the first header found wins.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct FormColumns {
    /// Response time (`Timestamp`, or `Cap waktu` on an Indonesian form).
    pub timestamp: Vec<String>,
    /// Respondent email.
    pub email: Vec<String>,
    /// NIK.
    pub nik: Vec<String>,
    /// KK number.
    pub kk_number: Vec<String>,
    /// Full name.
    pub name: Vec<String>,
    /// Birth date.
    pub birth_date: Vec<String>,
    /// Service (`Jenis Permohonan`).
    pub service: Vec<String>,
    /// Pickup kecamatan.
    pub kecamatan: Vec<String>,
    /// Phone.
    pub phone: Vec<String>,
    /// File-upload column header → document kind code.
    pub uploads: BTreeMap<String, String>,
}

impl Default for FormColumns {
    fn default() -> Self {
        let v = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect();
        FormColumns {
            timestamp: v(&["Timestamp", "Cap waktu"]),
            email: v(&["Email Address", "Email address", "Alamat email"]),
            nik: v(&["NIK"]),
            kk_number: v(&["Nomor KK", "No KK"]),
            name: v(&["Nama Lengkap", "Nama"]),
            birth_date: v(&["Tanggal Lahir"]),
            service: v(&["Jenis Permohonan"]),
            kecamatan: v(&["Kecamatan Pengambilan", "Kecamatan"]),
            phone: v(&["Nomor HP", "No HP"]),
            uploads: [
                ("Foto Kartu Keluarga", "kk"),
                ("Surat Keterangan Kehilangan", "surat_kehilangan"),
                ("Foto KTP-el Lama", "ktp_lama"),
                ("Dokumen Pendukung", "dokumen_pendukung"),
            ]
            .into_iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect(),
        }
    }
}

/// Reading the config failed: the file is missing, unreadable, not TOML,
/// or has keys or values the struct does not accept.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config {} (make an office with `sigap init DIR --profile bantul|tabanan|kapuas`, or pass --config FILE)", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// TOML syntax or a value of the wrong type.
    #[error("{}: {message}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// toml's message, with line and column.
        message: String,
    },
    /// Keys the configuration does not have (all of them).
    #[error("{}: unknown key{} {}; check the spelling against the profile written by `sigap init`", path.display(), if keys.len() > 1 { "s" } else { "" }, keys.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", "))]
    UnknownKeys {
        /// The file.
        path: PathBuf,
        /// Dotted paths of the unknown keys.
        keys: Vec<String>,
    },
}

/// One thing wrong with a configuration's values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Dotted key path, e.g. `services.ktp_baru.documents`.
    pub key: String,
    /// What is wrong and what to do.
    pub message: String,
    /// Warnings do not stop jobs; errors do.
    pub severity: Severity,
}

/// How bad a [`Problem`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The office cannot run with this.
    Error,
    /// Worth fixing; jobs still run.
    Warning,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tag = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{tag}: {}: {}", self.key, self.message)
    }
}

/// The embedded office profiles, as complete `sigap.toml` files.
pub mod profiles {
    /// Profile names accepted by `sigap init --profile`.
    pub const NAMES: [&str; 3] = ["bantul", "tabanan", "kapuas"];

    /// The `sigap.toml` text of a profile.
    pub fn text(name: &str) -> Option<&'static str> {
        match name {
            "bantul" => Some(include_str!("../profiles/bantul.toml")),
            "tabanan" => Some(include_str!("../profiles/tabanan.toml")),
            "kapuas" => Some(include_str!("../profiles/kapuas.toml")),
            _ => None,
        }
    }
}

impl Config {
    /// Reads a config file, applying `env` (a lookup such as
    /// `|k| std::env::var(k).ok()`) for the overrides.
    pub fn load(path: &Path, env: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let mut config = Config::from_toml(&text, path)?;
        config.apply_env(env);
        Ok(config)
    }

    /// Parses config text; `path` is used for messages and relative paths.
    pub fn from_toml(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let mut unknown = Vec::new();
        let de = toml::Deserializer::parse(text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        let mut config: Config = serde_ignored::deserialize(de, |p| unknown.push(p.to_string()))
            .map_err(|e: toml::de::Error| ConfigError::Parse {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?;
        if !unknown.is_empty() {
            return Err(ConfigError::UnknownKeys {
                path: path.to_path_buf(),
                keys: unknown,
            });
        }
        config.source_file = path.to_path_buf();
        // Checked before the environment overrides apply: only what is
        // written in the file is a leak.
        let population_url = match &config.population {
            PopulationSource::Postgres { url, .. } => url.as_deref(),
            PopulationSource::Parquet { .. } => None,
        };
        config.secrets_in_file = [
            ("smtp.url", config.smtp.url.as_deref()),
            ("population.url", population_url),
        ]
        .into_iter()
        .filter(|(_, url)| url.is_some_and(url_has_password))
        .map(|(key, _)| key.to_string())
        .collect();
        config.base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Ok(config)
    }

    /// Environment overrides: `SIGAP_POPULATION_URL`, `SIGAP_SMTP_URL`,
    /// `SIGAP_SMTP_CA_FILE`.
    pub fn apply_env(&mut self, env: impl Fn(&str) -> Option<String>) {
        if let Some(url) = env(env::POPULATION_URL).filter(|s| !s.is_empty()) {
            self.population = if url.starts_with("postgres://") || url.starts_with("postgresql://")
            {
                let table = match &self.population {
                    PopulationSource::Postgres { table, .. } => table.clone(),
                    PopulationSource::Parquet { .. } => default_population_table(),
                };
                PopulationSource::Postgres {
                    url: Some(url),
                    table,
                }
            } else {
                PopulationSource::Parquet { path: url.into() }
            };
        }
        if let Some(url) = env(env::SMTP_URL).filter(|s| !s.is_empty()) {
            self.smtp.url = Some(url);
        }
        if let Some(path) = env(env::SMTP_CA_FILE).filter(|s| !s.is_empty()) {
            self.smtp.ca_file = Some(path.into());
        }
    }

    /// A path from the config, resolved against the config file's folder.
    pub fn resolve(&self, p: &Path) -> PathBuf {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.base_dir.join(p)
        }
    }

    /// The inbox folder.
    pub fn inbox_dir(&self) -> PathBuf {
        self.resolve(&self.paths.inbox)
    }
    /// The station spool folder.
    pub fn spool_dir(&self) -> PathBuf {
        self.resolve(&self.paths.spool)
    }
    /// The data folder (state database, documents, quarantine).
    pub fn data_dir(&self) -> PathBuf {
        self.resolve(&self.paths.data)
    }
    /// The output folder.
    pub fn out_dir(&self) -> PathBuf {
        self.resolve(&self.paths.out)
    }
    /// The state database file.
    pub fn database_path(&self) -> PathBuf {
        self.data_dir().join("sigap.db")
    }

    /// Checks what the types cannot: codes exist, references resolve, hours
    /// and dates parse, targets make sense. Returns every problem found.
    pub fn problems(&self, wilayah: &Wilayah) -> Vec<Problem> {
        let mut out = Vec::new();
        let mut err = |key: String, message: String| {
            out.push(Problem {
                key,
                message,
                severity: Severity::Error,
            })
        };
        let office = &self.office;
        if wilayah.regency(&office.kabupaten_code).is_none() {
            err(
                "office.kabupaten_code".into(),
                format!(
                    "`{}` is not a kabupaten/kota in the Kemendagri list (write it dotted, e.g. 34.02)",
                    office.kabupaten_code
                ),
            );
        }
        for (i, ch) in office.intake.iter().enumerate() {
            if !["form", "app", "mail"].contains(&ch.as_str()) {
                err(
                    format!("office.intake[{i}]"),
                    format!("`{ch}` is not an intake channel; use form, app or mail"),
                );
            }
        }
        for (key, message) in crate::schedule::problems(&self.schedule) {
            err(key, message);
        }
        if !office.email.contains('@') {
            err(
                "office.email".into(),
                format!("`{}` is not an email address", office.email),
            );
        }
        if !self.smtp.from_address.contains('@') {
            err(
                "smtp.from_address".into(),
                format!("`{}` is not an email address", self.smtp.from_address),
            );
        }
        if let Some(to) = &self.smtp.alert_to
            && !to.contains('@')
        {
            err(
                "smtp.alert_to".into(),
                format!("`{to}` is not an email address"),
            );
        }
        for key in &self.secrets_in_file {
            let var = if key == "smtp.url" {
                env::SMTP_URL
            } else {
                env::POPULATION_URL
            };
            err(
                key.clone(),
                format!(
                    "holds a password; remove it from the file and set {var} in the environment"
                ),
            );
        }
        if let Some(imap) = &self.intake.imap {
            for (key, message) in imap.problems() {
                err(format!("intake.imap.{key}"), message);
            }
        }
        if self.station.batch_size == 0 {
            err("station.batch_size".into(), "must be at least 1".into());
        }
        let days = [
            ("mon", &self.hours.mon),
            ("tue", &self.hours.tue),
            ("wed", &self.hours.wed),
            ("thu", &self.hours.thu),
            ("fri", &self.hours.fri),
            ("sat", &self.hours.sat),
            ("sun", &self.hours.sun),
        ];
        if days.iter().all(|(_, v)| v.is_none()) {
            err(
                "hours".into(),
                "no opening hours at all; give e.g. mon = \"08:00-15:00\"".into(),
            );
        }
        for (day, value) in days {
            if let Some(Err(e)) = value.as_deref().map(parse_time_range) {
                err(format!("hours.{day}"), e);
            }
        }
        let mut seen = std::collections::HashSet::new();
        for (i, h) in self.holidays.iter().enumerate() {
            match h.day() {
                None => err(
                    format!("holidays[{i}].date"),
                    format!("`{}` is not a date; write YYYY-MM-DD", h.date),
                ),
                Some(d) if !seen.insert(d) => err(
                    format!("holidays[{i}].date"),
                    format!("{d} is listed twice"),
                ),
                Some(_) => {}
            }
        }
        let built_in = crate::domain::holidays::HolidaySet::built_in_only();
        for (i, r) in self.holidays_removed.iter().enumerate() {
            match r.day() {
                None => err(
                    format!("holidays_removed[{i}].date"),
                    format!("`{}` is not a date; write YYYY-MM-DD", r.date),
                ),
                Some(d) if !built_in.is_closed(d) => err(
                    format!("holidays_removed[{i}].date"),
                    format!(
                        "{d} is not a built-in holiday; see `sigap holidays list --year {}`",
                        chrono::Datelike::year(&d)
                    ),
                ),
                Some(_) => {}
            }
            if r.reason.trim().is_empty() {
                err(
                    format!("holidays_removed[{i}].reason"),
                    "say why the office works that day, e.g. reason = \"...\"".into(),
                );
            }
        }
        if self.kecamatan.is_empty() {
            err(
                "kecamatan".into(),
                "no pickup office; add at least one [[kecamatan]]".into(),
            );
        }
        for (i, k) in self.kecamatan.iter().enumerate() {
            match wilayah.district(&k.code) {
                None => err(
                    format!("kecamatan[{i}].code"),
                    format!("`{}` is not a kecamatan in the Kemendagri list", k.code),
                ),
                Some(d) if d.regency_code != office.kabupaten_code => err(
                    format!("kecamatan[{i}].code"),
                    format!(
                        "`{}` ({}) is not in kabupaten {}",
                        k.code, d.name, office.kabupaten_code
                    ),
                ),
                Some(_) => {}
            }
        }
        if self.services.is_empty() {
            err(
                "services".into(),
                "no service offered; add at least one [services.*]".into(),
            );
        }
        if self.documents.contains_key(UNCLASSIFIED) {
            err(
                format!("documents.{UNCLASSIFIED}"),
                format!(
                    "`{UNCLASSIFIED}` is reserved for documents not classified yet; rename the kind"
                ),
            );
        }
        for (service, rule) in &self.services {
            for (i, doc) in rule.documents.iter().enumerate() {
                if !self.documents.contains_key(doc) {
                    err(
                        format!("services.{}.documents[{i}]", service.code()),
                        format!(
                            "`{doc}` is not a document kind; define [documents.{doc}] or fix the name"
                        ),
                    );
                }
            }
        }
        for (column, kind) in &self.forms.uploads {
            if !self.documents.contains_key(kind) {
                err(
                    format!("forms.uploads.\"{column}\""),
                    format!(
                        "`{kind}` is not a document kind; define [documents.{kind}] or fix the name"
                    ),
                );
            }
        }
        let sla = &self.sla;
        for (key, v) in [
            (
                "sla.complete_to_printed_hours",
                sla.complete_to_printed_hours,
            ),
            ("sla.printed_to_ready_hours", sla.printed_to_ready_hours),
            ("sla.submitted_to_ready_hours", sla.submitted_to_ready_hours),
        ] {
            if !(v.is_finite() && v > 0.0) {
                err(
                    key.into(),
                    format!("{v} is not a positive number of working hours"),
                );
            }
        }
        if !self.schedule.is_empty() && self.smtp.alert_to.is_none() {
            out.push(Problem {
                key: "smtp.alert_to".into(),
                message: "not set: when a scheduled job fails after every retry, `sigap daemon` can only record it in the run history; set the admin's address".into(),
                severity: Severity::Warning,
            });
        }
        if let PopulationSource::Parquet { path } = &self.population {
            let full = self.resolve(path);
            if !full.exists() {
                out.push(Problem {
                    key: "population.path".into(),
                    message: format!(
                        "{} does not exist yet; put the SIAK snapshot there or set SIGAP_POPULATION_URL (verify needs it)",
                        full.display()
                    ),
                    severity: Severity::Warning,
                });
            }
        }
        out
    }
}

fn url_has_password(url: &str) -> bool {
    url.split_once("://")
        .map(|(_, rest)| rest.split('/').next().unwrap_or(""))
        .and_then(|authority| authority.rsplit_once('@'))
        .is_some_and(|(userinfo, _)| userinfo.contains(':'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(name: &str) -> Config {
        Config::from_toml(
            profiles::text(name).unwrap(),
            Path::new("/office/sigap.toml"),
        )
        .unwrap()
    }

    #[test]
    fn every_profile_loads_and_has_no_errors() {
        for name in profiles::NAMES {
            let c = load(name);
            let errors: Vec<_> = c
                .problems(Wilayah::embedded())
                .into_iter()
                .filter(|p| p.severity == Severity::Error)
                .collect();
            assert!(errors.is_empty(), "{name}: {errors:?}");
            assert_eq!(c.office.code, name);
            assert!(c.holidays.len() >= 25, "{name} has the 2026 holidays");
        }
    }

    #[test]
    fn unknown_keys_are_all_named() {
        let text = profiles::text("bantul")
            .unwrap()
            .replace("batch_size =", "batch_sise =")
            .replace("[sla]", "[sla]\nmystery = 1");
        let e = Config::from_toml(&text, Path::new("/x/sigap.toml")).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("station.batch_sise"), "{msg}");
        assert!(msg.contains("sla.mystery"), "{msg}");
        assert!(msg.contains("/x/sigap.toml"), "{msg}");

        let text = profiles::text("bantul").unwrap().replace(
            "adapter = \"parquet\"",
            "adapter = \"parquet\"\nfile = \"x\"",
        );
        let msg = Config::from_toml(&text, Path::new("/x/sigap.toml"))
            .unwrap_err()
            .to_string();
        assert!(msg.contains("`file`") && msg.contains("line"), "{msg}");
    }

    #[test]
    fn problems_are_reported_together() {
        let mut c = load("bantul");
        c.office.kabupaten_code = "99.99".into();
        c.hours.mon = Some("16:00-08:00".into());
        c.kecamatan[0].code = "51.02.01".into();
        c.services
            .get_mut(&Service::KtpHilang)
            .unwrap()
            .documents
            .push("surat_sakti".into());
        c.secrets_in_file.push("smtp.url".into());
        let kk = c.documents["kk"].clone();
        c.documents.insert(UNCLASSIFIED.into(), kk);
        let keys: Vec<String> = c
            .problems(Wilayah::embedded())
            .into_iter()
            .filter(|p| p.severity == Severity::Error)
            .map(|p| p.key)
            .collect();
        for want in [
            "office.kabupaten_code",
            "hours.mon",
            "kecamatan[0].code",
            "services.ktp_hilang.documents[1]",
            "smtp.url",
            "documents.unclassified",
        ] {
            assert!(
                keys.iter().any(|k| k == want),
                "{want} missing from {keys:?}"
            );
        }
    }

    #[test]
    fn environment_overrides_the_file() {
        let mut c = load("bantul");
        c.apply_env(|k| match k {
            env::POPULATION_URL => Some("postgres://sigap@127.0.0.1:5433/siak".into()),
            env::SMTP_URL => Some("smtp://127.0.0.1:2525".into()),
            _ => None,
        });
        assert_eq!(
            c.population,
            PopulationSource::Postgres {
                url: Some("postgres://sigap@127.0.0.1:5433/siak".into()),
                table: "penduduk".into()
            }
        );
        assert_eq!(c.smtp.url.as_deref(), Some("smtp://127.0.0.1:2525"));
        c.apply_env(|k| (k == env::POPULATION_URL).then(|| "/snap/p.parquet".to_string()));
        assert_eq!(
            c.population,
            PopulationSource::Parquet {
                path: "/snap/p.parquet".into()
            }
        );
    }

    #[test]
    fn relative_paths_resolve_against_the_file() {
        let c = load("tabanan");
        assert_eq!(c.database_path(), PathBuf::from("/office/data/sigap.db"));
        assert_eq!(c.hours.on(Weekday::Sat), None);
        assert!(c.hours.on(Weekday::Mon).is_some());
        assert_eq!(c.office.timezone, Timezone::WITA);
    }

    #[test]
    fn a_password_in_the_file_is_an_error_but_not_in_the_environment() {
        let text = profiles::text("bantul").unwrap().replace(
            "reply_to =",
            "url = \"smtp://u:secret@mail.example:587\"\nreply_to =",
        );
        let c = Config::from_toml(&text, Path::new("/x/sigap.toml")).unwrap();
        assert!(
            c.problems(Wilayah::embedded())
                .iter()
                .any(|p| p.key == "smtp.url")
        );
        let mut c = load("bantul");
        c.apply_env(|k| {
            (k == env::SMTP_URL).then(|| "smtp://u:secret@mail.example:587".to_string())
        });
        assert!(
            !c.problems(Wilayah::embedded())
                .iter()
                .any(|p| p.key == "smtp.url")
        );
    }

    #[test]
    fn passwords_in_urls_are_spotted() {
        assert!(url_has_password("smtp://u:p@h:587"));
        assert!(!url_has_password("smtp://u@h:587"));
        assert!(!url_has_password("smtp://127.0.0.1:2525"));
    }
}
