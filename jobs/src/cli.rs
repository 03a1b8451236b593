//! The command line: one enum of commands, documented for `--help`.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Parser, Subcommand, ValueEnum};
use pipeline::State;

/// sigap: the batch back office of a Disdukcapil — ingest applications,
/// verify them against the population database, print batches, notices and
/// reports.
#[derive(Debug, Parser)]
#[command(
    name = "sigap",
    version,
    propagate_version = true,
    after_help = EXIT_CODES
)]
pub struct Cli {
    /// The office's config file [default: ./sigap.toml]
    #[arg(long, global = true, env = "SIGAP_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The exit codes, for `--help` (the README lists the same).
const EXIT_CODES: &str = "\
Exit codes:
  0   done; nothing needs attention
  1   ran, but something needs a person (quarantine, review queue, refused sends)
  2   usage or configuration error
  3   failed: an error (a file, a server down) or a bug
  75  another run of the same job holds its lock (EX_TEMPFAIL); try again later";

/// Office profiles built from the SOPs in shared/seeds.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Profile {
    /// Disdukcapil Kabupaten Bantul: dinas prints, pickup at the kecamatan after a 1-day courier run.
    Bantul,
    /// Kantor Camat Selemadeg Timur, Tabanan: the kecamatan prints; Google Form intake; email notice.
    Tabanan,
    /// Disdukcapil Kabupaten Kapuas: dinas counter, 10-minute service standard.
    Kapuas,
}

impl Profile {
    /// The profile's name as the library knows it.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Bantul => "bantul",
            Profile::Tabanan => "tabanan",
            Profile::Kapuas => "kapuas",
        }
    }
}

/// Every sigap command.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Make a working office directory (sigap.toml, inbox/, spool/, data/, out/).
    Init {
        /// The folder to create.
        dir: PathBuf,
        /// Which office profile to start from.
        #[arg(long, value_enum)]
        profile: Profile,
    },
    /// Make a synthetic office: population snapshot, inbox files with planted defects, manifest.
    SampleData {
        /// The folder to create (must not hold a sigap.toml yet).
        dir: PathBuf,
        /// Which office profile to start from.
        #[arg(long, value_enum, default_value = "bantul")]
        profile: Profile,
        /// Residents in the population snapshot.
        #[arg(long, default_value_t = 2000)]
        population: u64,
        /// Applications in the inbox.
        #[arg(long, default_value_t = 200)]
        applications: u64,
        /// Random seed; the same seed gives byte-identical files.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The day the sample is "made" (applications fall in the week before).
        #[arg(long, value_name = "YYYY-MM-DD", default_value = "2026-11-20")]
        as_of: NaiveDate,
        /// Also write W weeks of past activity (about --applications a week,
        /// ending the day before --as-of) into the state database, for
        /// `sigap report sla`.
        #[arg(long, value_name = "W", default_value_t = 0)]
        weeks: u64,
    },
    /// Check the configuration.
    Config {
        /// What to do with it.
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Parse and check one NIK (or KK number with --kk): region, birth date, sex.
    Nik {
        /// The number, as typed (spaces, dots and dashes are fine).
        number: String,
        /// Check a KK number instead of a NIK.
        #[arg(long)]
        kk: bool,
    },
    /// The holidays in force (built in, sigap.toml) and the years they cover.
    Holidays {
        /// What to do.
        #[command(subcommand)]
        action: HolidaysAction,
    },
    /// Applications per state, the last run of each job, and where things are.
    Status {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// List or show applications.
    Applications {
        /// What to do.
        #[command(subcommand)]
        action: ApplicationsAction,
    },
    /// Read the inbox (forms, app exports, mail): new applications become RECEIVED,
    /// what is not an application goes to quarantine. Exit 1 when anything was quarantined.
    ///
    /// SIGAP_INGEST_SETTLE_MS (default 1000) is how long a file must stay unchanged
    /// before it is read; SIGAP_MAX_DOCUMENT_BYTES (default 10 MiB) is the largest
    /// document kept. Files are never moved: what was read is remembered in the
    /// state database.
    Ingest {
        /// Count what would happen; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// List or show what ingest quarantined.
    Quarantine {
        /// What to do.
        #[command(subcommand)]
        action: QuarantineAction,
    },
    /// Decide every RECEIVED application against the population database and
    /// the SOP (exit 1 when some wait for review).
    Verify {
        /// Decide and print the counts, but write nothing (not even the run history).
        #[arg(long)]
        dry_run: bool,
    },
    /// The review queue: applications a person must decide.
    Review {
        /// What to do.
        #[command(subcommand)]
        action: ReviewAction,
    },
    /// The whole night in order: ingest, verify, batch (+ dispatch), rekap, notify. Each step is
    /// recorded in the run history; a failed step does not stop the later ones.
    Nightly {
        /// Every step reports what it would do and writes nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Send the due notices by email (SIGAP_SMTP_URL), retrying refused ones with backoff.
    /// Exit 1 when the server is unreachable (notices stay due) or some were refused.
    Notify {
        /// Render the due notices and report; send and write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// The notice outbox.
    Notices {
        /// What to do.
        #[command(subcommand)]
        action: NoticesAction,
    },
    /// Group VERIFIED KTP-el applications into print batches per pickup kecamatan,
    /// within blanko stock, and put them in the station's hot folder (spool/outgoing/).
    Batch {
        /// Plan and report; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Write the rekap (PDF + CSV) of every dispatched batch and the daily Rekap Cetak KTP-el under out/rekap/.
    Rekap {
        /// Report what would be written; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Run the jobs of [schedule] at their times until SIGTERM/SIGINT (the running job finishes first).
    Daemon,
    /// The schedule and the run history of the jobs.
    Jobs {
        /// What to do.
        #[command(subcommand)]
        action: JobsAction,
    },
    /// Blank-card (blanko) stock: receive deliveries, see the ledger's totals.
    Blanko {
        /// What to do.
        #[command(subcommand)]
        action: BlankoAction,
    },
    /// The printer station's hot folder: apply results, or act as the station operator.
    Station {
        /// What to do.
        #[command(subcommand)]
        action: StationAction,
    },
    /// Kecamatan pickup registers: cards handed to their applicants.
    Pickups {
        /// What to do.
        #[command(subcommand)]
        action: PickupsAction,
    },
    /// The courier took a printed batch (with its rekap): its PRINTED cards become IN_TRANSIT.
    Handover {
        /// Batch id, as on the rekap.
        batch: String,
        /// The courier who took it.
        #[arg(long, value_name = "NAME")]
        by: String,
    },
    /// The batch arrived at the kecamatan: its IN_TRANSIT cards (and PRINTED ones
    /// without a recorded handover) become READY for pickup.
    Arrived {
        /// Batch id, as on the rekap.
        batch: String,
        /// Who received it [default: the login user].
        #[arg(long, value_name = "NAME")]
        by: Option<String>,
    },
    /// Destruction bundles: per kecamatan, a zip of the old cards surrendered in MONTH
    /// (manifest.csv, Berita Acara PDF, requirement scans, SHA256SUMS) under out/archive/;
    /// AES-256 encrypted when SIGAP_ARCHIVE_PASSPHRASE is set. The cards become ARCHIVED.
    /// Then scans past archive.scan_retention_days are deleted once their bundle checks out.
    Archive {
        /// The month of the pickups, in office time.
        #[arg(long, value_name = "YYYY-MM", value_parser = parse_month)]
        month: chrono::NaiveDate,
    },
    /// Management reports.
    Report {
        /// Which report.
        #[command(subcommand)]
        action: ReportAction,
    },
}

/// `2026-11` as the first day of the month.
fn parse_month(s: &str) -> Result<chrono::NaiveDate, String> {
    chrono::NaiveDate::parse_from_str(&format!("{}-01", s.trim()), "%Y-%m-%d")
        .map_err(|_| format!("`{s}` is not a month; write YYYY-MM, e.g. 2026-11"))
}

/// `sigap pickups …`
#[derive(Debug, Subcommand)]
pub enum PickupsAction {
    /// Import pickup registers (CSV: id_permohonan,nik,batch,diambil_pada,petugas,
    /// ktp_lama_diserahkan): the cards become COLLECTED; rows that do not fit are
    /// quarantined (exit 1). Without FILE, every *.csv in inbox/pickups/ is read. A
    /// register imported before (same content) is skipped.
    Import {
        /// Register files [default: inbox/pickups/*.csv].
        files: Vec<PathBuf>,
    },
}

/// `sigap report …`
#[derive(Debug, Subcommand)]
pub enum ReportAction {
    /// SLA compliance of a period (office dates, both included), in working
    /// hours: PDF, HTML and CSV under out/reports/.
    Sla {
        /// First day of the period.
        #[arg(long, value_name = "YYYY-MM-DD")]
        from: NaiveDate,
        /// Last day of the period (included).
        #[arg(long, value_name = "YYYY-MM-DD")]
        to: NaiveDate,
        /// Which files to write, comma-separated.
        #[arg(
            long,
            value_enum,
            value_delimiter = ',',
            default_value = "pdf,html,csv,xlsx"
        )]
        format: Vec<ReportFormat>,
    },
}

/// A report file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// A4 PDF for management.
    Pdf,
    /// One self-contained HTML page with charts.
    Html,
    /// One CSV file per table.
    Csv,
    /// One Excel workbook, a worksheet per table.
    Xlsx,
}

/// `sigap blanko …`
#[derive(Debug, Subcommand)]
pub enum BlankoAction {
    /// Record a delivery of N blank cards.
    Receive {
        /// Number of blanks delivered.
        quantity: u64,
        /// The delivery's reference (BAST / SPB number).
        #[arg(long = "ref", value_name = "R")]
        reference: String,
        /// Who received them [default: the login name].
        #[arg(long)]
        by: Option<String>,
    },
    /// Received, reserved, used, spoiled and available blanks.
    Status {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
}

/// `sigap station …`
#[derive(Debug, Subcommand)]
pub enum StationAction {
    /// Apply the station's results files (spool/results/): PRINTED, or back in the queue.
    Results,
    /// Station operator: batches waiting to be printed.
    List,
    /// Station operator: record that a batch was printed (writes its results file).
    Confirm {
        /// Batch id, as in `sigap station list`.
        batch: String,
        /// Cards whose blank was spoiled: NIK:serial:reason, comma-separated.
        #[arg(long, value_delimiter = ',', value_name = "NIK:SERIAL:REASON")]
        spoiled: Vec<String>,
        /// Serial of the first blank used [default: after the highest serial seen].
        #[arg(long, value_name = "N")]
        first_serial: Option<u64>,
    },
}

/// `sigap review …`
#[derive(Debug, Subcommand)]
pub enum ReviewAction {
    /// Applications waiting for a decision: id, masked NIK, reasons, and what
    /// was typed beside what the population database records.
    List {
        /// Machine-readable output (full NIKs, for the office's own tools).
        #[arg(long)]
        json: bool,
    },
    /// Approve: the application becomes VERIFIED.
    Approve {
        /// Application id, e.g. A-000123.
        id: pipeline::ApplicationId,
        /// The operator deciding [default: the login user].
        #[arg(long, value_name = "NAME")]
        by: Option<String>,
    },
    /// Reject: the application becomes REJECTED with the reason.
    Reject {
        /// Application id, e.g. A-000123.
        id: pipeline::ApplicationId,
        /// A reason code (e.g. NAME_MISMATCH), or free text, stored as OPERATOR_REJECTED.
        #[arg(long, value_name = "R")]
        reason: String,
        /// The operator deciding [default: the login user].
        #[arg(long, value_name = "NAME")]
        by: Option<String>,
    },
    /// Classify a document of unknown kind (doc id from `review list`) and verify the
    /// application again at once.
    Classify {
        /// Application id, e.g. A-000123.
        id: pipeline::ApplicationId,
        /// Document id, as `review list` shows it.
        doc: i64,
        /// Document kind, a key of the profile's [documents] (e.g. kk).
        kind: String,
        /// The operator deciding [default: the login user].
        #[arg(long, value_name = "NAME")]
        by: Option<String>,
    },
}

/// `sigap config …`
#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Report every problem of the config at once (exit 2 if any is an error).
    Check,
}

/// `sigap holidays …`
#[derive(Debug, Subcommand)]
pub enum HolidaysAction {
    /// The closed days in force with their source, and the built-in days the
    /// office works; warns when a year has no list.
    List {
        /// Only this year.
        #[arg(long, value_name = "Y")]
        year: Option<i32>,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
}

/// `sigap applications …`
#[derive(Debug, Subcommand)]
pub enum ApplicationsAction {
    /// One line per application, oldest first.
    List {
        /// Only applications in this state (e.g. VERIFIED).
        #[arg(long)]
        state: Option<State>,
        /// One JSON object per application (id, nik, source, service, state, kecamatan, email, reasons, batch, …).
        #[arg(long)]
        json: bool,
    },
    /// One application with its event log.
    Show {
        /// Application id, e.g. A-000123.
        id: pipeline::ApplicationId,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
}

/// `sigap quarantine …`
#[derive(Debug, Subcommand)]
pub enum QuarantineAction {
    /// One line per entry, oldest first.
    List {
        /// One JSON object per entry (id, channel, source, message_id, reason, sentence, detail, …).
        #[arg(long)]
        json: bool,
    },
    /// One entry with its source, reason and the kept content.
    Show {
        /// Quarantine id, e.g. Q-000001.
        id: pipeline::domain::quarantine::QuarantineId,
    },
}

/// `sigap notices …`
#[derive(Debug, Subcommand)]
pub enum NoticesAction {
    /// One line per notice, oldest first.
    List {
        /// Only notices in this state: DUE, SENT, FAILED or SUPERSEDED.
        #[arg(long)]
        state: Option<pipeline::domain::notice::NoticeState>,
        /// One JSON object per notice (id, application, kind, state, attempts, message_id, …).
        #[arg(long)]
        json: bool,
    },
}

/// `sigap jobs …`
#[derive(Debug, Subcommand)]
pub enum JobsAction {
    /// Each job's cron from [schedule] and its next runs, in office time.
    List {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Job runs, newest first: start, end, outcome, counters.
    History {
        /// Only this job (e.g. nightly, ingest).
        #[arg(long)]
        job: Option<String>,
        /// How many runs at most.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
}
