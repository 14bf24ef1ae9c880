//! `kanban-tui login` on a server that signs people in through the site's
//! OpenID Connect provider: the device authorization grant (RFC 8628), run by
//! the server as the provider's client. This shows where to go and the code to
//! type (and opens a browser where one is at hand), asks the server at the
//! provider's pace until the person has signed in there, and answers the board's
//! own token.

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde::Deserialize;

#[derive(Deserialize)]
struct Started {
    device_code: String,
    user_code: String,
    verification_uri: String,
    verification_uri_complete: Option<String>,
    expires_in: u64,
    interval: u64,
}

#[derive(Deserialize)]
struct Signed {
    token: String,
}

#[derive(Deserialize)]
struct Pending {
    #[serde(default)]
    slow_down: bool,
}

#[derive(Deserialize)]
struct Refusal {
    error: String,
}

/// Whether `server` signs people in through a provider.
pub async fn offered(http: &reqwest::Client, server: &str) -> anyhow::Result<bool> {
    let config: kanban_protocol::model::ClientConfig = http
        .get(format!("{server}/api/config"))
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .with_context(|| format!("{server} does not answer"))?
        .json()
        .await
        .with_context(|| format!("{server} is not a kanban server"))?;
    Ok(config.oidc)
}

/// An HTTP client for `server` (with `tls` for https).
pub fn client(tls: Option<Arc<rustls::ClientConfig>>) -> reqwest::Client {
    let mut builder = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        // The server asks the provider within 10 s.
        .timeout(Duration::from_secs(30));
    if let Some(config) = tls {
        builder = builder.use_preconfigured_tls((*config).clone());
    }
    builder.build().expect("an HTTP client builds")
}

/// Signs in at the provider; the board's token. `say` shows the person where
/// to go.
pub async fn sign_in(http: &reqwest::Client, server: &str, say: &mut impl Write) -> anyhow::Result<String> {
    let answer = http.post(format!("{server}/api/login/oidc/device")).send().await?;
    let started: Started = match answer.status().as_u16() {
        200 => answer.json().await?,
        _ => bail!("{}", refusal(answer).await),
    };
    writeln!(say, "To sign in, open {} and enter the code {}", started.verification_uri, started.user_code)?;
    if let Some(complete) = &started.verification_uri_complete {
        writeln!(say, "(or open {complete}, which holds the code)")?;
    }
    writeln!(say, "Waiting for the sign-in there…")?;
    say.flush()?;
    open_browser(started.verification_uri_complete.as_deref().unwrap_or(&started.verification_uri));
    let deadline = Instant::now() + Duration::from_secs(started.expires_in);
    let mut interval = Duration::from_secs(started.interval.max(1));
    let body = serde_json::json!({ "device_code": started.device_code });
    loop {
        if Instant::now() >= deadline {
            bail!("the code expired before the sign-in: run kanban-tui login again");
        }
        tokio::time::sleep(interval).await;
        let answer = http.post(format!("{server}/api/login/oidc/token")).json(&body).send().await?;
        match answer.status().as_u16() {
            200 => return Ok(answer.json::<Signed>().await?.token),
            202 => {
                if answer.json::<Pending>().await.is_ok_and(|p| p.slow_down) {
                    interval += Duration::from_secs(5);
                }
            }
            _ => bail!("{}", refusal(answer).await),
        }
    }
}

/// What a refused request said.
async fn refusal(answer: reqwest::Response) -> String {
    let status = answer.status();
    match answer.json::<Refusal>().await {
        Ok(r) => r.error,
        Err(_) => format!("the server answered {status}"),
    }
}

/// Opens `url` in a browser when this session has a display (never over plain
/// ssh, where the person opens it on their own machine); quietly does nothing
/// otherwise.
fn open_browser(url: &str) {
    let display = ["DISPLAY", "WAYLAND_DISPLAY"].iter().any(|v| std::env::var_os(v).is_some());
    let opener = std::env::var("BROWSER").ok().filter(|b| !b.is_empty());
    let program = match (opener, display) {
        (Some(browser), _) => browser,
        (None, true) if cfg!(target_os = "macos") => "open".into(),
        (None, true) => "xdg-open".into(),
        (None, false) if cfg!(target_os = "macos") => "open".into(),
        (None, false) => return,
    };
    let _ = std::process::Command::new(program)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
}
