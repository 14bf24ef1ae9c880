//! Single sign-on through the site's OpenID Connect provider (`--oidc-issuer`):
//! the device authorization grant (RFC 8628) run by the server for a terminal
//! that asks (`kanban-tui login`), the ID token it ends with verified by
//! openidconnect (issuer, audience, expiry, the signature against the provider's
//! keys, fetched and kept, fetched again when a token names a key not kept: the
//! provider rotated them), and the person it names made known here
//! ([`signin`]), with the roles the site's groups give them.
//!
//! The server is the provider's client (with its secret, when it has one): the
//! terminal only ever holds the device code of its own sign-in and, at the end,
//! the board's own token.

pub mod options;
pub mod refresh;
pub mod signin;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use openidconnect::core::{
    CoreGenderClaim, CoreJsonWebKey, CoreJsonWebKeySet, CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
};
use openidconnect::{
    AdditionalClaims, ClaimsVerificationError, ClientId, ClientSecret, IdToken, IdTokenVerifier, IssuerUrl,
    Nonce,
};
use serde::{Deserialize, Serialize};

pub use options::{GroupRole, OidcOptions, OidcUsers};

/// Requests to the provider a second that people's sign-ins may make (with a
/// burst of five seconds' worth): asking needs no token, so that nobody can make
/// this server flood the site's provider.
const PROVIDER_RATE: u32 = 20;
/// How long one request to the provider may take: a provider that is down says
/// so in this long, never hangs a sign-in.
const TIMEOUT: Duration = Duration::from_secs(10);
/// The least time between two fetches of the provider's keys for tokens naming
/// a key not kept (so that forged key ids cannot make the server hammer it).
const REFETCH_GAP: Duration = Duration::from_secs(10);

/// The claims of an ID token beyond the standard ones (the groups, a username
/// claim of the site's own).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Extra(pub HashMap<String, serde_json::Value>);

impl AdditionalClaims for Extra {}

type Token = IdToken<Extra, CoreGenderClaim, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm>;

/// What the provider said of whom, once verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// `sub`: who they are at the provider, for good.
    pub subject: String,
    /// The user name here, from `--oidc-username-claim`.
    pub username: String,
    pub groups: Vec<String>,
}

/// Why a sign-in did not go through, in the words its person reads.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    /// The provider cannot be reached or answers nonsense.
    #[error("the sign-in provider {0}")]
    Down(String),
    /// The person said no, or took too long.
    #[error("{0}")]
    Refused(String),
    /// The ID token does not verify.
    #[error("the provider's ID token is not good: {0}")]
    Invalid(String),
}

/// The provider's endpoints and keys, as discovered.
struct Discovered {
    device_authorization: String,
    token: String,
    jwks_uri: String,
    keys: Arc<CoreJsonWebKeySet>,
    /// When the keys were last fetched again for a token naming a key not
    /// kept (not at discovery: the first such token after it is always heard).
    refetched: Option<Instant>,
}

/// The site's provider, as this server uses it.
pub struct Oidc {
    pub options: OidcOptions,
    http: reqwest::Client,
    discovered: Mutex<Option<Arc<Discovered>>>,
    budget: Mutex<crate::hub::rate_limit::TokenBucket>,
}

/// The provider's answer to a device authorization request, passed on.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeviceStart {
    pub device_code: String,
    pub user_code: String,
    pub verification_uri: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification_uri_complete: Option<String>,
    pub expires_in: u64,
    #[serde(default = "five")]
    pub interval: u64,
}

/// RFC 8628's default polling interval.
fn five() -> u64 {
    5
}

/// Where a device sign-in stands.
pub enum Poll {
    /// Not yet: ask again after the interval (`slow_down`: a longer one).
    Pending {
        slow_down: bool,
    },
    Signed(Signed),
}

/// The provider's yes: whom it vouches for, and how to ask it again.
pub struct Signed {
    pub identity: Identity,
    pub refresh_token: Option<String>,
    /// How long its access token lasts: how soon to ask again.
    pub expires_in: Option<u64>,
}

/// The provider's answer to a refresh.
pub struct Renewed {
    /// Whom a new ID token names, when it sent one (verified, the same subject).
    pub identity: Option<Identity>,
    /// A new refresh token, when it rotates them.
    pub refresh_token: Option<String>,
    pub expires_in: Option<u64>,
}

#[derive(Deserialize)]
struct Metadata {
    issuer: String,
    device_authorization_endpoint: Option<String>,
    token_endpoint: String,
    jwks_uri: String,
}

#[derive(Deserialize)]
struct TokenAnswer {
    id_token: Option<String>,
    refresh_token: Option<String>,
    expires_in: Option<u64>,
    error: Option<String>,
    error_description: Option<String>,
}

impl Oidc {
    pub fn new(options: OidcOptions) -> Self {
        Oidc {
            options,
            http: crate::webhooks::client_with(TIMEOUT),
            discovered: Mutex::new(None),
            budget: Mutex::new(crate::hub::rate_limit::TokenBucket::with_burst(
                PROVIDER_RATE,
                PROVIDER_RATE * 5,
            )),
        }
    }

    /// Takes one request to the provider from the budget of sign-ins, or says
    /// how long until there is one.
    pub fn spend(&self) -> Result<(), Duration> {
        self.budget.lock().unwrap_or_else(PoisonError::into_inner).take()
    }

    fn down(&self, e: impl std::fmt::Display) -> OidcError {
        OidcError::Down(format!("at {} cannot be reached: {e}", self.options.issuer))
    }

    /// The provider's endpoints and keys: discovered once, then kept.
    async fn discovered(&self) -> Result<Arc<Discovered>, OidcError> {
        if let Some(d) = self.discovered.lock().unwrap_or_else(PoisonError::into_inner).clone() {
            return Ok(d);
        }
        let url = format!("{}/.well-known/openid-configuration", self.options.issuer.trim_end_matches('/'));
        let metadata: Metadata = self.get_json(&url).await?;
        if metadata.issuer.trim_end_matches('/') != self.options.issuer.trim_end_matches('/') {
            return Err(OidcError::Down(format!(
                "at {} names itself {}: give that as --oidc-issuer",
                self.options.issuer, metadata.issuer
            )));
        }
        let device_authorization = metadata.device_authorization_endpoint.ok_or_else(|| {
            OidcError::Down(format!("at {} offers no device authorization (RFC 8628)", self.options.issuer))
        })?;
        let keys = self.get_json(&metadata.jwks_uri).await?;
        let d = Arc::new(Discovered {
            device_authorization,
            token: metadata.token_endpoint,
            jwks_uri: metadata.jwks_uri,
            keys: Arc::new(keys),
            refetched: None,
        });
        *self.discovered.lock().unwrap_or_else(PoisonError::into_inner) = Some(d.clone());
        Ok(d)
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, OidcError> {
        let answer = self.http.get(url).send().await.map_err(|e| self.down(e.without_url()))?;
        if !answer.status().is_success() {
            return Err(self.down(format!("{url} answered {}", answer.status())));
        }
        answer.json().await.map_err(|e| self.down(format!("{url}: {}", e.without_url())))
    }

    /// A form POST to the provider as its client (the secret, if any, in Basic,
    /// each part form-urlencoded first as RFC 6749 section 2.3.1 asks, so that
    /// a secret holding `:` or `%` reaches the provider as it is).
    async fn post(&self, url: &str, form: &[(&str, &str)]) -> Result<reqwest::Response, OidcError> {
        let mut request = self.http.post(url).form(form);
        request = match &self.options.client_secret {
            Some(secret) => {
                request.basic_auth(form_encoded(&self.options.client_id), Some(form_encoded(secret)))
            }
            None => request,
        };
        request.send().await.map_err(|e| self.down(e.without_url()))
    }

    /// Starts a device sign-in: the code the person types at the provider, and
    /// where.
    pub async fn start(&self) -> Result<DeviceStart, OidcError> {
        let d = self.discovered().await?;
        let scope = self.options.scopes.join(" ");
        let form = [("client_id", self.options.client_id.as_str()), ("scope", scope.as_str())];
        let answer = self.post(&d.device_authorization, &form).await?;
        let status = answer.status();
        if !status.is_success() {
            let said = answer.text().await.unwrap_or_default();
            return Err(self.down(format!("refused the device authorization ({status}): {said}")));
        }
        answer.json().await.map_err(|e| self.down(e.without_url()))
    }

    /// Asks the provider once whether the device sign-in of `device_code` went
    /// through; its ID token verified when it did.
    pub async fn poll(&self, device_code: &str) -> Result<Poll, OidcError> {
        let d = self.discovered().await?;
        let form = [
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("device_code", device_code),
            ("client_id", self.options.client_id.as_str()),
        ];
        let answer = self.post(&d.token, &form).await?;
        let status = answer.status();
        let body: TokenAnswer = answer.json().await.map_err(|e| self.down(e.without_url()))?;
        match (body.id_token, body.error.as_deref()) {
            (Some(id_token), _) if status.is_success() => Ok(Poll::Signed(Signed {
                identity: self.verify(&id_token).await?,
                refresh_token: body.refresh_token,
                expires_in: body.expires_in,
            })),
            (None, None) if status.is_success() => Err(OidcError::Invalid(
                "the provider gave no ID token: is openid among --oidc-scopes?".into(),
            )),
            (_, Some("authorization_pending")) => Ok(Poll::Pending { slow_down: false }),
            (_, Some("slow_down")) => Ok(Poll::Pending { slow_down: true }),
            (_, Some("access_denied")) => {
                Err(OidcError::Refused("the sign-in was declined at the provider".into()))
            }
            (_, Some("expired_token")) => {
                Err(OidcError::Refused("the code expired before it was entered: sign in again".into()))
            }
            (_, error) => Err(OidcError::Refused(format!(
                "the provider refused the sign-in ({status}{}{})",
                error.map(|e| format!(": {e}")).unwrap_or_default(),
                body.error_description.map(|e| format!(": {e}")).unwrap_or_default()
            ))),
        }
    }

    /// Asks the provider whether a session it vouched for still stands, with the
    /// refresh token it gave. `Refused`: it said no (the refresh token revoked or
    /// expired, the person disabled); `Down`: it could not be asked.
    pub async fn refresh(&self, refresh_token: &str) -> Result<Renewed, OidcError> {
        let d = self.discovered().await?;
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", self.options.client_id.as_str()),
        ];
        let answer = self.post(&d.token, &form).await?;
        let status = answer.status();
        if status.is_server_error() {
            return Err(self.down(format!("answered {status}")));
        }
        let body: TokenAnswer = answer.json().await.map_err(|e| self.down(e.without_url()))?;
        if !status.is_success() {
            return Err(OidcError::Refused(format!(
                "the provider refused the session ({status}{}{})",
                body.error.map(|e| format!(": {e}")).unwrap_or_default(),
                body.error_description.map(|e| format!(": {e}")).unwrap_or_default()
            )));
        }
        let identity = match body.id_token {
            Some(id_token) => Some(self.verify(&id_token).await?),
            None => None,
        };
        Ok(Renewed { identity, refresh_token: body.refresh_token, expires_in: body.expires_in })
    }

    /// Verifies an ID token from the provider: issuer, audience (this client),
    /// expiry and signature; the keys fetched again, once, when it names one
    /// not kept.
    pub async fn verify(&self, id_token: &str) -> Result<Identity, OidcError> {
        let token: Token = id_token.parse().map_err(|e| OidcError::Invalid(format!("{e}")))?;
        let d = self.discovered().await?;
        match self.verify_with(&token, &d.keys) {
            Err(ClaimsVerificationError::SignatureVerification(_))
                if d.refetched.is_none_or(|at| at.elapsed() >= REFETCH_GAP) =>
            {
                let keys: CoreJsonWebKeySet = self.get_json(&d.jwks_uri).await?;
                tracing::info!(issuer = %self.options.issuer, "the sign-in provider's keys fetched again");
                let renewed = Arc::new(Discovered {
                    device_authorization: d.device_authorization.clone(),
                    token: d.token.clone(),
                    jwks_uri: d.jwks_uri.clone(),
                    keys: Arc::new(keys),
                    refetched: Some(Instant::now()),
                });
                *self.discovered.lock().unwrap_or_else(PoisonError::into_inner) = Some(renewed.clone());
                self.verify_with(&token, &renewed.keys)
            }
            other => other,
        }
        .map_err(|e| OidcError::Invalid(e.to_string()))
    }

    fn verify_with(
        &self,
        token: &Token,
        keys: &CoreJsonWebKeySet,
    ) -> Result<Identity, ClaimsVerificationError> {
        let issuer = IssuerUrl::new(self.options.issuer.clone())
            .map_err(|e| ClaimsVerificationError::Other(format!("--oidc-issuer: {e}")))?;
        let client = ClientId::new(self.options.client_id.clone());
        let verifier: IdTokenVerifier<CoreJsonWebKey> = match &self.options.client_secret {
            Some(secret) => IdTokenVerifier::new_confidential_client(
                client,
                ClientSecret::new(secret.clone()),
                issuer,
                keys.clone(),
            ),
            None => IdTokenVerifier::new_public_client(client, issuer, keys.clone()),
        }
        // The providers' usual keys, RSA, elliptic curves and Ed25519 (RS256
        // alone otherwise); never `none`, nor the client secret as a key.
        .set_allowed_algs([
            CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
            CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
            CoreJwsSigningAlgorithm::RsaSsaPssSha256,
            CoreJwsSigningAlgorithm::RsaSsaPssSha384,
            CoreJwsSigningAlgorithm::RsaSsaPssSha512,
            CoreJwsSigningAlgorithm::EcdsaP256Sha256,
            CoreJwsSigningAlgorithm::EcdsaP384Sha384,
            CoreJwsSigningAlgorithm::EdDsa,
        ]);
        // The device grant has no nonce: the token comes straight from the
        // provider's token endpoint to this server.
        let claims = token.claims(&verifier, |_: Option<&Nonce>| Ok(()))?;
        let extra = &claims.additional_claims().0;
        let claim = self.options.username_claim.as_str();
        let username = match claim {
            "preferred_username" => claims.preferred_username().map(|u| u.to_string()),
            "email" => claims.email().map(|e| e.to_string()),
            "sub" => Some(claims.subject().to_string()),
            other => extra.get(other).and_then(|v| v.as_str()).map(str::to_string),
        }
        .ok_or_else(|| ClaimsVerificationError::Other(format!("the ID token has no {claim} claim")))?;
        let groups = match extra.get("groups") {
            Some(serde_json::Value::Array(groups)) => {
                groups.iter().filter_map(|g| g.as_str()).map(str::to_string).collect()
            }
            _ => Vec::new(),
        };
        Ok(Identity { subject: claims.subject().to_string(), username, groups })
    }
}

/// `text` as `application/x-www-form-urlencoded` encodes it (`%20` for a space,
/// which decodes the same as `+`).
fn form_encoded(text: &str) -> String {
    use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
    const FORM: &percent_encoding::AsciiSet =
        &NON_ALPHANUMERIC.remove(b'*').remove(b'-').remove(b'.').remove(b'_');
    utf8_percent_encode(text, FORM).to_string()
}
