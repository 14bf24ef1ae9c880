//! HTTPS and WSS: a listener that completes TLS handshakes (rustls, ring) beside
//! the accept loop, so that one slow handshake never holds up the others, with a
//! certificate that can be read again while serving.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use crate::api::access_log::Proxies;
use crate::serve::Prepared;

/// Loads a PEM certificate chain and private key into a TLS configuration.
pub fn load(cert: &Path, key: &Path) -> anyhow::Result<Arc<ServerConfig>> {
    Certificates::load(cert, key)?.server_config()
}

/// The certificate a server presents, read from its files again on demand
/// (SIGHUP), so that a renewed certificate is served without a restart: new
/// handshakes get the new one, connections made before keep theirs.
#[derive(Debug)]
pub struct Certificates {
    cert: PathBuf,
    key: PathBuf,
    current: RwLock<Arc<CertifiedKey>>,
}

impl Certificates {
    /// Reads the PEM certificate chain `cert` and its private key `key`.
    pub fn load(cert: &Path, key: &Path) -> anyhow::Result<Arc<Certificates>> {
        let current = RwLock::new(read(cert, key)?);
        Ok(Arc::new(Certificates { cert: cert.to_owned(), key: key.to_owned(), current }))
    }

    /// Reads the files again; on any failure the certificate served stays the one
    /// before.
    pub fn reload(&self) -> anyhow::Result<()> {
        let fresh = read(&self.cert, &self.key)?;
        *self.current.write().unwrap_or_else(std::sync::PoisonError::into_inner) = fresh;
        Ok(())
    }

    /// A server configuration that presents whatever is current.
    pub fn server_config(self: &Arc<Self>) -> anyhow::Result<Arc<ServerConfig>> {
        let mut config = ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_cert_resolver(self.clone());
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }
}

impl ResolvesServerCert for Certificates {
    fn resolve(&self, _: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone())
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A certificate chain and the key that goes with it, checked to fit together.
fn read(cert: &Path, key: &Path) -> anyhow::Result<Arc<CertifiedKey>> {
    use anyhow::Context;
    let chain = CertificateDer::pem_file_iter(cert)
        .with_context(|| format!("reading {}", cert.display()))?
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("parsing {}", cert.display()))?;
    anyhow::ensure!(!chain.is_empty(), "{} holds no certificate", cert.display());
    let key =
        PrivateKeyDer::from_pem_file(key).with_context(|| format!("reading the key {}", key.display()))?;
    let certified = CertifiedKey::from_der(chain, key, &provider())
        .context("the certificate and key do not fit together")?;
    Ok(Arc::new(certified))
}

/// A listener whose connections come out with TLS established (after their
/// PROXY header, where `proxies` says one comes first).
pub type TlsListener = Prepared<TlsStream<TcpStream>>;

/// Starts accepting on `tcp` with TLS by `config`; handshakes run in their own
/// tasks.
pub fn listener(
    tcp: TcpListener,
    config: Arc<ServerConfig>,
    proxies: Option<Proxies>,
) -> io::Result<TlsListener> {
    let acceptor = TlsAcceptor::from(config);
    Prepared::new(tcp, move |mut stream, mut peer| {
        let (acceptor, proxies) = (acceptor.clone(), proxies.clone());
        async move {
            if let Some(proxies) = &proxies {
                peer = crate::proxy_protocol::read_header(&mut stream, peer, proxies).await?;
            }
            Ok((acceptor.accept(stream).await?, peer))
        }
    })
}
