//! TLS: the server on HTTPS and WSS with a certificate of its own private CA, and
//! the client trusting that CA (`--ca`), end to end; a client that does not trust
//! it is refused.

use std::path::Path;

use crate::util::pki::pki;
use crate::util::{ServerProcess, WAIT};
use kanban_server::{AppOverrides, Limits, Server};
use kanban_tui::app::{App, Connection};
use kanban_tui::client::Client;
use kanban_tui::net::api::Api;

fn tls_client(url: &str, token: &str, ca: Option<&Path>) -> Api {
    let config = kanban_tui::net::tls::client_config(ca).unwrap();
    Api::with_tls(url, token, Some(config))
}

#[tokio::test]
async fn the_client_works_over_https_and_wss() {
    let pki = pki();
    let data = tempfile::tempdir().unwrap();
    let server = Server::open(data.path(), &AppOverrides::default(), Limits::default()).await.unwrap();
    let token = kanban_server::admin::user_add(server.store().as_ref(), "ann", None).await.unwrap();
    kanban_server::admin::project_add(server.store().as_ref(), "secure", &["ann".to_string()]).await.unwrap();
    let tls = kanban_server::tls::load(&pki.cert, &pki.key).unwrap();
    let running = server.spawn_with("127.0.0.1:0".parse().unwrap(), Some(tls)).await.unwrap();
    let url = format!("https://localhost:{}", running.addr.port());

    // Trusting the CA: REST and the WebSocket both work.
    let api = tls_client(&url, &token, Some(&pki.ca));
    assert_eq!(api.me().await.unwrap().name, "ann");
    let mut client = Client::start(api, App::new(60, None));
    let deadline = tokio::time::Instant::now() + WAIT;
    while !(client.app.board.is_some() && client.app.connection == Connection::Online) {
        tokio::time::timeout_at(deadline, client.step()).await.expect("the board over TLS in time");
    }
    assert_eq!(client.app.board.as_ref().unwrap().project.name, "secure");

    // Not trusting it: refused, and said so.
    let stranger = tls_client(&url, &token, None);
    let err = stranger.me().await.unwrap_err().to_string();
    assert!(err.contains("cannot reach"), "{err}");
    // Plain HTTP to the TLS port gets nowhere either.
    let plain = Api::new(&format!("http://127.0.0.1:{}", running.addr.port()), &token);
    assert!(plain.me().await.is_err());
    running.stop().await.unwrap();
}

#[tokio::test]
async fn the_binary_serves_tls_from_its_flags() {
    let pki = pki();
    let data = tempfile::tempdir().unwrap();
    let token = crate::util::admin(data.path(), &["user", "add", "ann"]);
    let cert = pki.cert.to_str().unwrap();
    let key = pki.key.to_str().unwrap();
    let server =
        ServerProcess::start(data.path(), "127.0.0.1:0", &["--tls-cert", cert, "--tls-key", key], &[]);
    assert!(server.log.lock().unwrap().contains("scheme=https"));
    let url = server.url.replace("http://127.0.0.1", "https://localhost");
    let api = tls_client(&url, &token, Some(&pki.ca));
    assert_eq!(api.me().await.unwrap().name, "ann");
    // A key that does not fit the certificate is refused at start.
    let other = rcgen::KeyPair::generate().unwrap().serialize_pem();
    let wrong = data.path().join("wrong.pem");
    std::fs::write(&wrong, other).unwrap();
    let out = std::process::Command::new(crate::util::server_bin())
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data.path())
        .args(["--tls-cert", cert, "--tls-key"])
        .arg(&wrong)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("do not fit"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A renewed certificate put in place of the files and SIGHUP: new connections
/// get it, without a restart; files that cannot be read keep the one before.
#[tokio::test]
async fn sighup_serves_a_renewed_certificate_without_a_restart() {
    let (first, renewed) = (pki(), pki());
    let data = tempfile::tempdir().unwrap();
    let token = crate::util::admin(data.path(), &["user", "add", "ann"]);
    let (cert, key) = (data.path().join("cert.pem"), data.path().join("key.pem"));
    std::fs::copy(&first.cert, &cert).unwrap();
    std::fs::copy(&first.key, &key).unwrap();
    let server = ServerProcess::start(
        data.path(),
        "127.0.0.1:0",
        &["--tls-cert", cert.to_str().unwrap(), "--tls-key", key.to_str().unwrap()],
        &[],
    );
    let url = server.url.replace("http://127.0.0.1", "https://localhost");
    let me = |ca: &Path| tls_client(&url, &token, Some(ca));
    assert_eq!(me(&first.ca).me().await.unwrap().name, "ann");
    assert!(me(&renewed.ca).me().await.is_err(), "the renewed CA does not vouch for the first");

    std::fs::copy(&renewed.cert, &cert).unwrap();
    std::fs::copy(&renewed.key, &key).unwrap();
    server.signal("HUP");
    server.wait_for_log("read again");
    assert_eq!(me(&renewed.ca).me().await.unwrap().name, "ann", "the renewed certificate, served");
    assert!(me(&first.ca).me().await.is_err(), "the first one is no more");

    // A key that does not fit: said, and the renewed certificate stays.
    std::fs::write(&key, rcgen::KeyPair::generate().unwrap().serialize_pem()).unwrap();
    server.signal("HUP");
    server.wait_for_log("stays the one before");
    assert_eq!(me(&renewed.ca).me().await.unwrap().name, "ann");
}
