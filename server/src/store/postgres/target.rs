//! Where a PostgreSQL store is and how it is reached: the URL parsed once, with
//! libpq's words for TLS, into what every connection of the store (and `migrate`,
//! and `backup`'s `pg_dump`) uses.
//!
//! `sslmode=disable` or `prefer` (the default) connect in the clear, as before;
//! `require`, `verify-ca` and `verify-full` connect over TLS and always verify the
//! server's certificate and name, against the system's roots and the CA file of
//! `sslrootcert=FILE` when one is given (a managed database's CA bundle). A
//! connection that asks for TLS never falls back to the clear.

use std::path::PathBuf;
use std::sync::Arc;

use postgres::config::SslMode;
use postgres::{Client, Config, NoTls};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::store::{Result, StoreError};

/// A database's address and its TLS.
#[derive(Clone)]
pub struct Target {
    pub config: Config,
    /// The TLS connector, when the URL asks for TLS.
    tls: Option<MakeRustlsConnect>,
    /// `sslrootcert`: the CA file the server's certificate is checked against.
    pub ca: Option<PathBuf>,
}

impl Target {
    /// Parses `url`. Only its host part is ever said back: the rest may hold a
    /// password.
    pub fn parse(url: &str) -> Result<Target> {
        let (url, ca, verify) = take_tls_words(url);
        let mut config: Config =
            url.parse().map_err(|e| StoreError::Invalid(format!("the database URL: {e}")))?;
        if verify {
            config.ssl_mode(SslMode::Require);
        }
        let tls = match config.get_ssl_mode() {
            SslMode::Require => Some(connector(ca.as_deref())?),
            _ => None,
        };
        Ok(Target { config, tls, ca })
    }

    /// Whether connections go over TLS.
    pub fn tls(&self) -> bool {
        self.tls.is_some()
    }

    /// A new connection.
    pub fn connect(&self) -> Result<Client, postgres::Error> {
        match &self.tls {
            Some(tls) => self.config.connect(tls.clone()),
            None => self.config.connect(NoTls),
        }
    }
}

/// The URL without the libpq parameters the driver does not take (`sslrootcert`,
/// and `sslmode=verify-ca`/`verify-full`, which this store does at `require`),
/// the CA file, and whether verification was asked for by name.
fn take_tls_words(url: &str) -> (String, Option<PathBuf>, bool) {
    let Some((base, query)) = url.split_once('?') else { return (url.to_string(), None, false) };
    let (mut ca, mut verify, mut kept) = (None, false, Vec::new());
    for pair in query.split('&') {
        match pair.split_once('=') {
            Some(("sslrootcert", file)) => {
                ca = Some(PathBuf::from(
                    percent_encoding::percent_decode_str(file).decode_utf8_lossy().as_ref(),
                ))
            }
            Some(("sslmode", "verify-ca" | "verify-full")) => verify = true,
            _ => kept.push(pair),
        }
    }
    let url = if kept.is_empty() { base.to_string() } else { format!("{base}?{}", kept.join("&")) };
    (url, ca, verify)
}

/// A TLS connector trusting the system's roots and the certificates in `ca`.
fn connector(ca: Option<&std::path::Path>) -> Result<MakeRustlsConnect> {
    let mut roots = rustls::RootCertStore::empty();
    // Unreadable system certificates are skipped: the CA file may be all we need.
    roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
    if let Some(path) = ca {
        let unusable = |why: String| StoreError::Invalid(format!("sslrootcert {}: {why}", path.display()));
        let certs = CertificateDer::pem_file_iter(path)
            .map_err(|e| unusable(e.to_string()))?
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| unusable(e.to_string()))?;
        if certs.is_empty() {
            return Err(unusable("no certificate in it".into()));
        }
        for cert in certs {
            roots.add(cert).map_err(|e| unusable(e.to_string()))?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| StoreError::Invalid(format!("TLS: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libpq_words_for_tls_are_taken_and_the_rest_left() {
        let (url, ca, verify) = take_tls_words(
            "postgres://u@h/db?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem&application_name=x",
        );
        assert_eq!(
            (url.as_str(), ca, verify),
            ("postgres://u@h/db?application_name=x", Some("/etc/ca.pem".into()), true)
        );
        let (url, ca, verify) = take_tls_words("postgres://u@h/db?sslmode=require");
        assert_eq!((url.as_str(), ca, verify), ("postgres://u@h/db?sslmode=require", None, false));
        assert_eq!(take_tls_words("postgres://u@h/db").0, "postgres://u@h/db");
    }

    #[test]
    fn tls_is_asked_for_by_require_and_the_verify_modes_only() {
        for (url, tls) in [
            ("postgres://u@h/db", false),
            ("postgres://u@h/db?sslmode=disable", false),
            ("postgres://u@h/db?sslmode=prefer", false),
            ("postgres://u@h/db?sslmode=require", true),
            ("postgres://u@h/db?sslmode=verify-ca", true),
            ("postgres://u@h/db?sslmode=verify-full", true),
        ] {
            assert_eq!(Target::parse(url).unwrap().tls(), tls, "{url}");
        }
        let missing =
            Target::parse("postgres://u@h/db?sslmode=require&sslrootcert=/nowhere.pem").err().unwrap();
        assert!(missing.to_string().contains("sslrootcert /nowhere.pem"), "{missing}");
    }
}
