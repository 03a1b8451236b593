//! The one TLS setup of every adapter that talks to a server (SMTP,
//! PostgreSQL, IMAP): which CAs sigap trusts ([`client_config`],
//! [`extra_roots`]), reading the office's own CA file ([`read_ca_file`]),
//! and naming a refused server certificate with what to set
//! ([`certificate_problem`], [`describe`]).
//!
//! Trusted are the Mozilla root list compiled into sigap (webpki-roots,
//! what lettre trusted alone before), the system's store
//! (`/etc/ssl/certs`, through rustls-native-certs) and, when configured,
//! the office CA's PEM file. The crypto is rustls' ring provider, the one
//! already in the tree (no aws-lc).

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, UnixTime};

pub use crate::ports::TlsError;

/// rustls' refusal of a configuration, as the port's error.
pub fn setup_error(e: rustls::Error) -> TlsError {
    TlsError::Setup(e.to_string())
}

/// What to do about a CA file that cannot be used.
const CA_FIX: &str = "give the PEM file of the CA that signed the server's certificate (a file with -----BEGIN CERTIFICATE----- blocks, e.g. ca.pem)";

/// The certificates of a PEM file, for a trust store: every
/// `CERTIFICATE` block; other blocks (keys, parameters) are skipped.
/// The error names the file and what is wrong with it.
pub fn read_ca_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let bad = |reason: String| TlsError::CaFile {
        path: path.to_path_buf(),
        reason,
        fix: CA_FIX,
    };
    let bytes = std::fs::read(path).map_err(|e| bad(format!("cannot be read ({e})")))?;
    let mut certs = Vec::new();
    for cert in CertificateDer::pem_slice_iter(&bytes) {
        certs.push(cert.map_err(|e| bad(format!("is not valid PEM ({e})")))?);
    }
    if certs.is_empty() {
        return Err(bad(
            "holds no certificate (no -----BEGIN CERTIFICATE----- block; a DER file or a key is not a CA certificate)".into(),
        ));
    }
    // What rustls would refuse at the first connection is refused here,
    // naming the file.
    let mut store = rustls::RootCertStore::empty();
    for cert in &certs {
        store.add(cert.clone()).map_err(|e| {
            bad(format!(
                "holds a certificate that is not usable as a CA ({e})"
            ))
        })?;
    }
    Ok(certs)
}

/// The trusted certificates beside the compiled-in Mozilla list: the
/// system's store and the office CA file. lettre takes these as extra root
/// certificates over its own webpki-roots.
pub fn extra_roots(extra_ca: Option<&Path>) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    // A machine without a readable store still has the Mozilla list and
    // the office CA: the store's errors do not stop the connection.
    let mut roots = rustls_native_certs::load_native_certs().certs;
    if let Some(path) = extra_ca {
        roots.extend(read_ca_file(path)?);
    }
    Ok(roots)
}

/// The ring provider, the one crypto provider sigap uses.
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The roots sigap trusts: the Mozilla list, the system's store and
/// `extra_ca` (the office CA's PEM file).
pub fn root_store(extra_ca: Option<&Path>) -> Result<rustls::RootCertStore, TlsError> {
    let mut store = rustls::RootCertStore::empty();
    store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    // A system certificate rustls cannot parse is skipped, as lettre does;
    // the office's were checked by read_ca_file.
    store.add_parsable_certificates(extra_roots(None)?);
    if let Some(path) = extra_ca {
        for cert in read_ca_file(path)? {
            store.add(cert).map_err(setup_error)?;
        }
    }
    Ok(store)
}

/// A rustls client configuration trusting the Mozilla list, the system's
/// store and `extra_ca` (the office CA's PEM file), with the ring provider.
pub fn client_config(extra_ca: Option<&Path>) -> Result<rustls::ClientConfig, TlsError> {
    Ok(rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(setup_error)?
        .with_root_certificates(root_store(extra_ca)?)
        .with_no_client_auth())
}

/// What rustls found wrong with the server's certificate, anywhere in the
/// error's source chain (tokio-rustls hands it over inside an
/// `io::Error`, whose `source` skips it, so that one is opened by hand).
pub fn certificate_problem(
    e: &(dyn std::error::Error + 'static),
) -> Option<rustls::CertificateError> {
    let found = |e: &(dyn std::error::Error + 'static)| match e.downcast_ref::<rustls::Error>() {
        Some(rustls::Error::InvalidCertificate(c)) => Some(c.clone()),
        _ => None,
    };
    let mut next = Some(e);
    while let Some(e) = next {
        if let Some(c) = found(e) {
            return Some(c);
        }
        if let Some(inner) = e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            && let Some(c) = found(inner)
        {
            return Some(c);
        }
        next = e.source();
    }
    None
}

/// The server a certificate was refused for, and the settings that fix it,
/// for [`describe`].
#[derive(Debug, Clone, Copy)]
pub struct Peer<'a> {
    /// The host name the connection asked for (the URL's host).
    pub host: &'a str,
    /// What the server is, for messages: "mail server", "database server".
    pub kind: &'a str,
    /// The setting holding the URL, e.g. `SIGAP_SMTP_URL`.
    pub url_setting: &'a str,
    /// The setting naming the office CA's PEM file, e.g. `SIGAP_SMTP_CA_FILE`.
    pub ca_setting: &'a str,
}

/// A refused certificate in words: what is wrong, and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Described {
    /// Completes "the server's certificate …".
    pub problem: String,
    /// What to set or change.
    pub fix: String,
}

/// A name the certificate is for, as webpki writes it (`DnsName("x")`,
/// `IpAddress(1.2.3.4)`), without the wrapping.
fn presented_name(p: &str) -> &str {
    p.strip_prefix("DnsName(\"")
        .and_then(|r| r.strip_suffix("\")"))
        .or_else(|| {
            p.strip_prefix("IpAddress(")
                .and_then(|r| r.strip_suffix(')'))
        })
        .unwrap_or(p)
}

/// The day a certificate's time is, for messages.
fn day(t: UnixTime) -> String {
    i64::try_from(t.as_secs())
        .ok()
        .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| format!("{} (UNIX)", t.as_secs()))
}

/// What is wrong with a refused certificate, and what to set, for a
/// server reached as `peer.host`.
pub fn describe(c: &rustls::CertificateError, peer: &Peer) -> Described {
    use rustls::CertificateError as C;
    let Peer {
        host,
        kind,
        url_setting,
        ca_setting,
    } = *peer;
    let untrusted_fix = format!(
        "set {ca_setting} to the office CA's PEM file (sigap trusts the Mozilla list of root CAs, the system's store and that file)"
    );
    let name_fix = format!(
        "write the host name the certificate is for in {url_setting} (not an IP address or another alias), or give the {kind} a certificate for `{host}`"
    );
    let renew = format!("renew the {kind}'s certificate");
    let clock = format!("check this machine's clock, and the dates of the {kind}'s certificate");
    let (problem, fix) = match c {
        C::UnknownIssuer => (
            "is not signed by a CA sigap trusts (it is self-signed, or from a CA of the office's own)".into(),
            untrusted_fix,
        ),
        C::NotValidForName => (format!("is not for the host name `{host}`"), name_fix),
        C::NotValidForNameContext { presented, .. } => (
            format!(
                "is for {}, not for the host name `{host}`",
                if presented.is_empty() {
                    "no host name".to_string()
                } else {
                    presented
                        .iter()
                        .map(|p| presented_name(p))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            ),
            name_fix,
        ),
        C::Expired => ("has expired".into(), renew),
        C::ExpiredContext { not_after, .. } => {
            (format!("expired on {}", day(*not_after)), renew)
        }
        C::NotValidYet => ("is not valid yet".into(), clock),
        C::NotValidYetContext { not_before, .. } => {
            (format!("is only valid from {}", day(*not_before)), clock)
        }
        C::Revoked => (
            "has been revoked by its CA".into(),
            format!("give the {kind} a new certificate"),
        ),
        // webpki's findings rustls has no variant for.
        C::Other(other) => match other.0.downcast_ref::<webpki::Error>() {
            Some(webpki::Error::CaUsedAsEndEntity) => (
                "is a CA's certificate, not a server's: it is self-signed (as `openssl req -x509` makes one), and no CA sigap trusts signed it".into(),
                format!("give the {kind} a certificate signed by a CA, and set {ca_setting} to that CA's PEM file"),
            ),
            Some(e) => (format!("is refused ({e:?})"), untrusted_fix),
            None => (format!("is refused ({})", other.0), untrusted_fix),
        },
        other => (format!("is refused ({other})"), untrusted_fix),
    };
    Described { problem, fix }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEER: Peer<'static> = Peer {
        host: "mail.x",
        kind: "mail server",
        url_setting: "SIGAP_SMTP_URL",
        ca_setting: "SIGAP_SMTP_CA_FILE",
    };

    /// A CA certificate made once with
    /// `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=test-ca -days 36500`.
    const CA_PEM: &str = "-----BEGIN CERTIFICATE-----
MIIBfTCCASOgAwIBAgIUDPBSbq9akbzVpMYu3hSKrjDVFGkwCgYIKoZIzj0EAwIw
EjEQMA4GA1UEAwwHdGVzdC1jYTAgFw0yNjEyMDIxMzQ5NDVaGA8yMTI2MTEwODEz
NDk0NVowEjEQMA4GA1UEAwwHdGVzdC1jYTBZMBMGByqGSM49AgEGCCqGSM49AwEH
A0IABLv0
-----END CERTIFICATE-----
";

    #[test]
    fn an_unknown_issuer_says_to_set_the_ca_file() {
        let d = describe(&rustls::CertificateError::UnknownIssuer, &PEER);
        assert!(
            d.problem.contains("not signed by a CA sigap trusts"),
            "{d:?}"
        );
        assert!(d.fix.contains("set SIGAP_SMTP_CA_FILE"), "{d:?}");
    }

    #[test]
    fn a_wrong_name_says_which_names_the_certificate_has() {
        let d = describe(
            &rustls::CertificateError::NotValidForNameContext {
                expected: rustls::pki_types::ServerName::try_from("mail.x")
                    .unwrap()
                    .to_owned(),
                presented: vec![
                    "DnsName(\"localhost\")".into(),
                    "IpAddress(127.0.0.1)".into(),
                ],
            },
            &PEER,
        );
        assert_eq!(
            d.problem,
            "is for localhost, 127.0.0.1, not for the host name `mail.x`"
        );
        assert!(d.fix.contains("SIGAP_SMTP_URL"), "{d:?}");
    }

    #[test]
    fn dates_and_self_signed_certificates_are_named() {
        let d = describe(
            &rustls::CertificateError::ExpiredContext {
                time: UnixTime::since_unix_epoch(std::time::Duration::from_secs(1_800_000_000)),
                not_after: UnixTime::since_unix_epoch(std::time::Duration::from_secs(
                    1_700_000_000,
                )),
            },
            &PEER,
        );
        assert_eq!(d.problem, "expired on 2023-11-14");
        assert!(d.fix.contains("renew the mail server's"), "{d:?}");
        let d = describe(
            &rustls::CertificateError::Other(rustls::OtherError(Arc::new(
                webpki::Error::CaUsedAsEndEntity,
            ))),
            &PEER,
        );
        assert!(d.problem.contains("self-signed"), "{d:?}");
        assert!(d.fix.contains("SIGAP_SMTP_CA_FILE"), "{d:?}");
    }

    /// An error with a source, as lettre wraps tokio-rustls' `io::Error`.
    #[derive(Debug)]
    struct Wrapped(std::io::Error);
    impl std::fmt::Display for Wrapped {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("wrapped")
        }
    }
    impl std::error::Error for Wrapped {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn the_certificate_is_found_inside_the_io_error_that_carries_it() {
        let io = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer),
        );
        assert_eq!(
            certificate_problem(&Wrapped(io)),
            Some(rustls::CertificateError::UnknownIssuer)
        );
        let other = std::io::Error::other("connection reset");
        assert!(certificate_problem(&Wrapped(other)).is_none());
    }

    #[test]
    fn a_ca_file_that_cannot_be_used_is_named_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.pem");
        let e = read_ca_file(&missing).unwrap_err().to_string();
        assert!(
            e.contains("nope.pem") && e.contains("cannot be read"),
            "{e}"
        );
        let key = dir.path().join("key.pem");
        std::fs::write(
            &key,
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        )
        .unwrap();
        let e = read_ca_file(&key).unwrap_err().to_string();
        assert!(
            e.contains("key.pem") && e.contains("holds no certificate"),
            "{e}"
        );
        let broken = dir.path().join("broken.pem");
        std::fs::write(&broken, CA_PEM).unwrap();
        let e = read_ca_file(&broken).unwrap_err().to_string();
        assert!(
            e.contains("broken.pem") && e.contains("not usable as a CA"),
            "{e}"
        );
    }

    #[test]
    fn a_good_ca_file_is_trusted_beside_the_built_in_roots() {
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca.pem");
        let out = std::process::Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
            ])
            .args(["-nodes", "-subj", "/CN=unit-test-ca", "-days", "2"])
            .arg("-keyout")
            .arg(dir.path().join("ca.key"))
            .arg("-out")
            .arg(&ca)
            .output()
            .expect("openssl runs");
        assert!(out.status.success(), "{out:?}");
        assert_eq!(read_ca_file(&ca).unwrap().len(), 1);
        assert!(!extra_roots(Some(&ca)).unwrap().is_empty());
        client_config(Some(&ca)).unwrap();
        client_config(None).unwrap();
    }
}
