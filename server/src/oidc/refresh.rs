//! Keeps the tokens the site's provider vouched for as the provider says: each is
//! asked about again, with the refresh token the provider gave, as often as its
//! access tokens expire. A yes renews the token for `--oidc-session-days` and
//! sets the roles the groups now give (a group left takes its board away, live);
//! a no ends the token and its open boards; a provider that cannot be asked is
//! asked again later while the token lasts. Tokens past their time are ended
//! here too, so that their open connections close.
//!
//! Of the servers sharing a database, one asks about each session: it moves the
//! session's time forward by one row update before it asks.

use std::sync::Arc;
use std::time::Duration;

use super::{Oidc, OidcError};
use crate::metrics::Metrics;
use crate::store::Store;
use crate::store::sign_in::ProviderSession;

/// How often the sessions due are looked for.
const EVERY: Duration = Duration::from_secs(1);
/// Sessions asked about at once, at most, per look.
const BATCH: u32 = 32;
/// How long a node holds a session while it asks (longer than a request may take).
const HOLD: i64 = 60;
/// Bounds on the time between two asks: not more often than this, whatever the
/// provider's access tokens say...
const SOONEST: u64 = 2;
/// ...and at least daily.
const LATEST: u64 = 86_400;
/// When the provider gives no expiry.
const DEFAULT: u64 = 3_600;
/// The longest wait after asks that did not reach the provider.
const MOST_BACKOFF: i64 = 3_600;

/// Seconds until the provider is asked again, from how long its access token lasts.
pub fn ask_again_in(expires_in: Option<u64>) -> i64 {
    expires_in.unwrap_or(DEFAULT).clamp(SOONEST, LATEST) as i64
}

/// Runs until aborted, counting what the provider said in `metrics`.
pub async fn run(store: Arc<dyn Store>, oidc: Arc<Oidc>, metrics: Arc<Metrics>) {
    let mut every = tokio::time::interval(EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        let now = jiff::Timestamp::now().as_second();
        match store.expire_tokens(now).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(tokens = n, "tokens from the sign-in provider expired"),
            Err(e) => tracing::warn!(error = %e, "cannot end expired tokens"),
        }
        let due = match store.provider_sessions_due(now, BATCH).await {
            Ok(due) => due,
            Err(e) => {
                tracing::warn!(error = %e, "cannot look for sign-in sessions to renew");
                continue;
            }
        };
        let mut asks = tokio::task::JoinSet::new();
        for session in due {
            match store.claim_provider_session(session.token_id, session.refresh_at, now + HOLD).await {
                Ok(true) => {
                    asks.spawn(renew(store.clone(), oidc.clone(), metrics.clone(), session));
                }
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, "cannot take a sign-in session to renew"),
            }
        }
        while asks.join_next().await.is_some() {}
    }
}

/// Asks the provider about one session and does as it says.
async fn renew(store: Arc<dyn Store>, oidc: Arc<Oidc>, metrics: Arc<Metrics>, session: ProviderSession) {
    let now = jiff::Timestamp::now().as_second();
    let answer = oidc.refresh(&session.refresh_token).await;
    let outcome = match answer {
        Ok(renewed) => match &renewed.identity {
            Some(identity) if identity.subject != session.subject => {
                Err(format!("the provider's new ID token names another subject ({})", identity.subject))
            }
            Some(identity) => match store.user_by_name(&identity.username).await {
                Ok(user) if user.id == session.user_id => {
                    super::signin::apply_roles(store.as_ref(), &oidc, &user, &identity.groups).await;
                    Ok(renewed)
                }
                Ok(_) | Err(crate::store::StoreError::NotFound(_)) => {
                    Err(format!("the provider now names {:?}, not this token's user", identity.username))
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot look up the user of a renewed sign-in");
                    Metrics::add(&metrics.oidc_unanswered, 1);
                    return failed(&store, &session, now).await;
                }
            },
            None => Ok(renewed),
        },
        Err(OidcError::Down(why)) => {
            tracing::warn!(token = session.token_id, "cannot renew a sign-in: the provider {why}");
            Metrics::add(&metrics.oidc_unanswered, 1);
            return failed(&store, &session, now).await;
        }
        Err(e @ (OidcError::Refused(_) | OidcError::Invalid(_))) => Err(e.to_string()),
    };
    match outcome {
        Ok(renewed) => {
            Metrics::add(&metrics.oidc_renewed, 1);
            let expires_at = now.saturating_add(oidc.options.session.as_secs() as i64);
            let refresh_at = now + ask_again_in(renewed.expires_in);
            if let Err(e) = store
                .provider_session_renewed(session.token_id, renewed.refresh_token, refresh_at, expires_at)
                .await
            {
                tracing::warn!(error = %e, "cannot record a renewed sign-in");
            }
        }
        Err(why) => {
            tracing::info!(token = session.token_id, subject = %session.subject, "a sign-in ended: {why}");
            Metrics::add(&metrics.oidc_ended, 1);
            if let Err(e) = store.end_token(session.token_id).await {
                tracing::warn!(error = %e, "cannot end a token the provider no longer vouches for");
            }
        }
    }
}

/// The provider could not be asked: again later, backing off, while the token
/// lasts (it ends at its time all the same).
async fn failed(store: &Arc<dyn Store>, session: &ProviderSession, now: i64) {
    let failures = session.failures.saturating_add(1);
    let wait = (SOONEST as i64).saturating_mul(1 << failures.min(20)).min(MOST_BACKOFF);
    if let Err(e) = store.provider_session_failed(session.token_id, now + wait, failures).await {
        tracing::warn!(error = %e, "cannot record a sign-in's failed renewal");
    }
}
