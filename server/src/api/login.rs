//! Signing in through the site's OpenID Connect provider, for a terminal:
//! `POST /api/login/oidc/device` starts a device sign-in (the code its person
//! types at the provider, and where), `POST /api/login/oidc/token` asks whether
//! it went through (202 while it has not) and answers the board's own token when
//! it has. No token is needed to ask: the provider says who.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::error::{ApiError, ApiResult};
use super::extract::Json;
use crate::oidc::signin::{self, SignInError};
use crate::oidc::{DeviceStart, Oidc, OidcError, Poll};
use crate::state::Core;

/// The provider, with one request to it taken from the sign-ins' budget (429
/// past it).
fn provider(state: &Core) -> ApiResult<&Oidc> {
    let oidc = state
        .oidc
        .as_deref()
        .ok_or_else(|| ApiError::not_found("this server has no single sign-on (--oidc-issuer)"))?;
    if let Err(wait) = oidc.spend() {
        let mut refused =
            ApiError::new(StatusCode::TOO_MANY_REQUESTS, "too many sign-ins at once: try again shortly");
        refused.retry_after = Some(wait.as_secs().saturating_add(1));
        return Err(refused);
    }
    Ok(oidc)
}

fn refused(e: OidcError) -> ApiError {
    match &e {
        OidcError::Down(_) => {
            tracing::warn!(error = %e, "a sign-in through the provider failed");
            ApiError::new(StatusCode::BAD_GATEWAY, e.to_string())
        }
        OidcError::Refused(_) => ApiError::forbidden(e.to_string()),
        OidcError::Invalid(_) => {
            tracing::warn!(error = %e, "an ID token refused");
            ApiError::unauthorized(e.to_string())
        }
    }
}

pub async fn device(State(state): State<Core>) -> ApiResult<axum::Json<DeviceStart>> {
    provider(&state)?.start().await.map(axum::Json).map_err(refused)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Asked {
    device_code: String,
}

pub async fn token(State(state): State<Core>, Json(asked): Json<Asked>) -> ApiResult<Response> {
    let oidc = provider(&state)?;
    let signed = match oidc.poll(&asked.device_code).await.map_err(refused)? {
        Poll::Pending { slow_down } => {
            let body = serde_json::json!({ "pending": true, "slow_down": slow_down });
            return Ok((StatusCode::ACCEPTED, axum::Json(body)).into_response());
        }
        Poll::Signed(signed) => signed,
    };
    match signin::sign_in(state.store.as_ref(), oidc, signed).await {
        Ok((user, token)) => {
            Ok(axum::Json(serde_json::json!({ "token": token, "user": user })).into_response())
        }
        Err(SignInError::NotAUser(why)) => Err(ApiError::forbidden(why)),
        Err(SignInError::Store(e)) => Err(e.into()),
    }
}
