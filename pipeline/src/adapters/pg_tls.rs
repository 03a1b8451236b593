//! TLS to PostgreSQL: libpq's `sslmode` and `sslrootcert` read from
//! `SIGAP_POPULATION_URL` (tokio-postgres knows only disable, prefer and
//! require, and no `sslrootcert`), and the rustls connector for each mode.
//!
//! | sslmode | encrypted | certificate checked |
//! |---|---|---|
//! | `disable` | no | — |
//! | `prefer` (libpq's default) | if the server offers it, else plain | no |
//! | `require` | yes | no (as `verify-ca` when `sslrootcert` is given, as libpq does) |
//! | `verify-ca` | yes | signed by a trusted CA |
//! | `verify-full` | yes | signed by a trusted CA and for the URL's host |
//!
//! A URL with a password and no `sslmode`, or `sslmode=prefer`, is refused:
//! prefer falls back to a plain session, where the password would go in
//! clear. `sslmode=disable` says so on purpose.

use std::path::PathBuf;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

use super::tls::{self, TlsError};
use crate::config::env::POPULATION_URL;

/// libpq's `sslmode` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    /// Plain only.
    Disable,
    /// TLS when offered, else plain; the certificate is not checked.
    Prefer,
    /// TLS, the certificate not checked.
    Require,
    /// TLS, the certificate's chain checked.
    VerifyCa,
    /// TLS, the chain and the host name checked.
    VerifyFull,
}

/// The TLS settings of a population URL, and the URL without them (as
/// tokio-postgres reads it).
#[derive(Debug, Clone)]
pub struct PgTls {
    /// The mode; `Prefer` when the URL gives none, as libpq.
    pub mode: SslMode,
    /// `sslrootcert`: the office CA's PEM file.
    pub rootcert: Option<PathBuf>,
    /// The URL without `sslmode` and `sslrootcert`.
    pub url: String,
}

/// What to write instead of a URL that could send the password in clear.
const SAFE_EXAMPLE: &str = "add sslmode=verify-full&sslrootcert=/path/ca.pem (the office CA's PEM file) to the URL, or sslmode=disable to send the password in the clear on purpose";

fn setting(message: String) -> TlsError {
    TlsError::Setting {
        setting: POPULATION_URL,
        message,
    }
}

/// Reads `sslmode` and `sslrootcert` out of a `postgres://` URL and checks
/// them: a known mode, a readable CA file, no password that prefer could
/// send in clear. `sigap config check` and the adapter both call it.
pub fn parse(url: &str) -> Result<PgTls, TlsError> {
    let mut parsed = url::Url::parse(url).map_err(|_| {
        setting("not a valid postgres:// URL (it is not shown: it may hold a password)".into())
    })?;
    let mut mode = None;
    let mut rootcert = None;
    let mut rest = Vec::new();
    for (k, v) in parsed.query_pairs() {
        match k.as_ref() {
            "sslmode" => {
                mode = Some(match v.as_ref() {
                    "disable" => SslMode::Disable,
                    "prefer" => SslMode::Prefer,
                    "require" => SslMode::Require,
                    "verify-ca" => SslMode::VerifyCa,
                    "verify-full" => SslMode::VerifyFull,
                    other => {
                        return Err(setting(format!(
                            "sslmode=`{other}` is not one of disable, prefer, require, verify-ca, verify-full"
                        )));
                    }
                })
            }
            "sslrootcert" => rootcert = Some(PathBuf::from(v.as_ref())),
            _ => rest.push((k.into_owned(), v.into_owned())),
        }
    }
    if parsed.password().is_some() && matches!(mode, None | Some(SslMode::Prefer)) {
        let why = if mode.is_none() {
            "no sslmode (libpq's default, prefer)"
        } else {
            "sslmode=prefer"
        };
        return Err(setting(format!(
            "the URL has a password and {why} falls back to a plain session, where the password would go in clear; {SAFE_EXAMPLE}"
        )));
    }
    let mode = mode.unwrap_or(SslMode::Prefer);
    if mode == SslMode::Disable && rootcert.is_some() {
        return Err(setting(
            "sslrootcert is given with sslmode=disable, which never uses it; set sslmode=verify-full to check the server with that CA".into(),
        ));
    }
    if let Some(path) = &rootcert {
        tls::read_ca_file(path)?;
    }
    if rest.is_empty() {
        parsed.set_query(None);
    } else {
        parsed.query_pairs_mut().clear().extend_pairs(rest);
    }
    Ok(PgTls {
        mode,
        rootcert,
        url: parsed.into(),
    })
}

/// tokio-postgres' own mode for ours: whether to ask for TLS, and whether
/// a plain session is acceptable.
pub fn driver_mode(mode: SslMode) -> tokio_postgres::config::SslMode {
    use tokio_postgres::config::SslMode as D;
    match mode {
        SslMode::Disable => D::Disable,
        SslMode::Prefer => D::Prefer,
        SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => D::Require,
    }
}

/// The rustls connector for the settings.
pub fn connector(settings: &PgTls) -> Result<tokio_postgres_rustls::MakeRustlsConnect, TlsError> {
    let provider = tls::provider();
    let roots = Arc::new(tls::root_store(settings.rootcert.as_deref())?);
    let base = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(tls::setup_error)?;
    let mode = match (settings.mode, &settings.rootcert) {
        // libpq: require with a root certificate checks it as verify-ca.
        (SslMode::Require, Some(_)) => SslMode::VerifyCa,
        (mode, _) => mode,
    };
    let config = match mode {
        SslMode::VerifyFull => base.with_root_certificates(roots).with_no_client_auth(),
        SslMode::VerifyCa | SslMode::Require | SslMode::Prefer | SslMode::Disable => {
            let inner = rustls::client::WebPkiServerVerifier::builder_with_provider(
                roots,
                provider.clone(),
            )
            .build()
            .map_err(|e| setting(format!("cannot use the trusted CAs ({e})")))?;
            base.dangerous()
                .with_custom_certificate_verifier(Arc::new(Verifier {
                    inner,
                    provider,
                    chain: mode == SslMode::VerifyCa,
                }))
                .with_no_client_auth()
        }
    };
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

/// libpq's require and verify-ca: the handshake's signatures are always
/// checked; the chain only for verify-ca, the host name never.
#[derive(Debug)]
struct Verifier {
    inner: Arc<rustls::client::WebPkiServerVerifier>,
    provider: Arc<rustls::crypto::CryptoProvider>,
    chain: bool,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if !self.chain {
            return Ok(ServerCertVerified::assertion());
        }
        // webpki checks the chain before the name: a name error means the
        // chain was good.
        match self
            .inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidForName
                | rustls::CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sslmode_and_sslrootcert_are_taken_out_of_the_url() {
        let t = parse("postgres://kasi@db.x:5433/siak?sslmode=require&connect_timeout=5").unwrap();
        assert_eq!(t.mode, SslMode::Require);
        assert_eq!(t.url, "postgres://kasi@db.x:5433/siak?connect_timeout=5");
        let t = parse("postgres://kasi@db.x/siak").unwrap();
        assert_eq!(
            (t.mode, t.url.as_str()),
            (SslMode::Prefer, "postgres://kasi@db.x/siak")
        );
        let e = parse("postgres://kasi@db.x/siak?sslmode=allow")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("SIGAP_POPULATION_URL") && e.contains("sslmode=`allow`"),
            "{e}"
        );
    }

    #[test]
    fn a_password_that_prefer_could_send_in_clear_is_refused() {
        for url in [
            "postgres://kasi:rahasia@db.x/siak",
            "postgres://kasi:rahasia@db.x/siak?sslmode=prefer",
        ] {
            let e = parse(url).unwrap_err().to_string();
            assert!(
                e.contains("sslmode=verify-full&sslrootcert=/path/ca.pem"),
                "{e}"
            );
            assert!(e.contains("sslmode=disable"), "{e}");
            assert!(!e.contains("rahasia"), "{e}");
        }
        assert_eq!(
            parse("postgres://kasi:rahasia@db.x/siak?sslmode=disable")
                .unwrap()
                .mode,
            SslMode::Disable
        );
        assert_eq!(
            parse("postgres://kasi:rahasia@db.x/siak?sslmode=require")
                .unwrap()
                .mode,
            SslMode::Require
        );
    }

    #[test]
    fn a_missing_root_certificate_is_named() {
        let e =
            parse("postgres://kasi@db.x/siak?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem")
                .unwrap_err()
                .to_string();
        assert!(
            e.contains("/nonexistent/ca.pem") && e.contains("cannot be read"),
            "{e}"
        );
    }
}
