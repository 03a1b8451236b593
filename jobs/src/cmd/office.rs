//! `sigap init`, `sigap sample-data`, `sigap config check`.

use pipeline::domain::holidays::HolidaySet;
use std::path::Path;

use pipeline::config::{Problem, Severity};
use pipeline::domain::wilayah::Wilayah;
use pipeline::notice::render::Templates;

use super::{Exit, config_path, load_config};
use crate::cli::Profile;

pub fn init(dir: &Path, profile: Profile) -> anyhow::Result<Exit> {
    let config = pipeline::office::init(dir, profile.name())?;
    println!(
        "Made office {} from profile {}.",
        dir.display(),
        profile.name()
    );
    println!("  config: {}", config.display());
    println!(
        "  put form exports in {}/inbox/forms, app exports in inbox/app, mail in inbox/mail",
        dir.display()
    );
    println!(
        "  put the population snapshot at {}/population.parquet (or set SIGAP_POPULATION_URL)",
        dir.display()
    );
    println!("Next: sigap --config {} config check", config.display());
    Ok(Exit::Ok)
}

pub fn sample_data(dir: &Path, opts: &pipeline::sample::SampleOptions) -> anyhow::Result<Exit> {
    let started = std::time::Instant::now();
    let manifest = pipeline::sample::generate(dir, opts)?;
    let summary = serde_json::to_value(&manifest)?;
    println!(
        "Made sample office {} (profile {}, {} residents, {} applications, seed {}) in {:.1}s.",
        dir.display(),
        opts.profile,
        opts.population,
        opts.applications,
        opts.seed,
        started.elapsed().as_secs_f64()
    );
    if let Some(planted) = summary.get("planted") {
        println!("  planted: {planted}");
    }
    if let Some(h) = &manifest.history {
        println!(
            "  history: {} weeks, {} to {}: {} applications, {} batches, {} blanko received, {} spoiled, {} notices sent",
            h.weeks,
            h.from,
            h.to,
            h.applications,
            h.batches,
            h.blanko_received,
            h.blanko_spoiled,
            h.notices_sent
        );
        println!(
            "  try: sigap --config {} report sla --from {} --to {}",
            dir.join("sigap.toml").display(),
            h.from,
            h.to
        );
    }
    println!("  manifest: {}", dir.join("manifest.json").display());
    println!("  config:   {}", dir.join("sigap.toml").display());
    Ok(Exit::Ok)
}

pub fn check(given: Option<&Path>) -> anyhow::Result<Exit> {
    let config = load_config(given)?;
    let mut problems = config.problems(Wilayah::embedded());
    // The mail server URL as the mailer will read it (a password that
    // could go in clear included), before the night's notify finds it.
    if let Some(url) = &config.smtp.url
        && let Err(e) = pipeline::adapters::mail::check_url(url)
    {
        problems.push(Problem {
            key: "smtp.url".into(),
            message: e.to_string(),
            severity: Severity::Error,
        });
    }
    // The TLS settings as the adapters will read them: the population
    // URL's sslmode and sslrootcert, the SMTP server's CA file.
    if let pipeline::config::PopulationSource::Postgres { url: Some(url), .. } = &config.population
        && let Err(e) = pipeline::adapters::pg_tls::parse(url)
    {
        problems.push(Problem {
            key: "population.url".into(),
            message: e.to_string(),
            severity: Severity::Error,
        });
    }
    if let Some(path) = &config.smtp.ca_file
        && let Err(e) = pipeline::adapters::tls::read_ca_file(&config.resolve(path))
    {
        problems.push(Problem {
            key: "smtp.ca_file".into(),
            message: format!("{} {e}", pipeline::config::env::SMTP_CA_FILE),
            severity: Severity::Error,
        });
    }
    // A year the holiday lists do not reach, warned 60 days ahead.
    let today = pipeline::clock::now()?
        .with_timezone(&config.office.timezone.offset())
        .date_naive();
    if let Some(message) = HolidaySet::for_config(&config).warning(today) {
        problems.push(Problem {
            key: "holidays".into(),
            message,
            severity: Severity::Warning,
        });
    }
    let mut errors = problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .count();
    for p in &problems {
        println!("{}: {p}", config_path(given).display());
    }
    // The notice templates, with any office override, must render.
    let templates = Templates::load(&Templates::override_dir(&config))
        .map(|t| t.problems(&config))
        .unwrap_or_else(|e| vec![e]);
    for e in &templates {
        println!("error: {e}");
    }
    errors += templates.len();
    if errors > 0 {
        println!(
            "{errors} error(s): fix them in {} and run `sigap config check` again",
            config.source_file.display()
        );
        Ok(Exit::Usage)
    } else {
        println!(
            "config OK: {} ({}, {} services, {} pickup offices, {} closed days)",
            config.source_file.display(),
            config.office.name,
            config.services.len(),
            config.kecamatan.len(),
            HolidaySet::for_config(&config).days(None).count()
        );
        Ok(Exit::Ok)
    }
}
