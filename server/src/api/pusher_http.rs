//! The Pusher HTTP API under `/apps/{app_id}/`: trigger events, and query channels
//! and presence users. Every request is signed with the app secret; its query
//! (app, key, timestamp) is checked before its body is read.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{Method, Uri};
use kanban_protocol::channel::{self, ChannelKind};
use kanban_protocol::{pusher, sign};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use subtle::ConstantTimeEq;

use super::error::{ApiError, ApiResult};
use crate::state::Core;

/// How far `auth_timestamp` may be from now: older requests count as replays.
const TIMESTAMP_WINDOW_SECS: u64 = 600;
/// Channels one event may go to, and events one batch may hold (Pusher's limits).
const MAX_CHANNELS_PER_EVENT: usize = 100;
const MAX_BATCH: usize = 10;
const MAX_EVENT_NAME: usize = 200;

/// A request's query, checked before its body is read: the app id, the key, a
/// timestamp within the window and the version. A request that fails here is
/// answered at once, its body never read.
struct Signed {
    pairs: Vec<(String, String)>,
    params: BTreeMap<String, String>,
}

fn check_query(state: &Core, app_id: &str, query: Option<&str>) -> ApiResult<Signed> {
    let app = state.hub.app();
    if !bool::from(app_id.as_bytes().ct_eq(app.id.as_bytes())) {
        return Err(ApiError::not_found("unknown app id"));
    }
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.unwrap_or(""))
        .map_err(|e| ApiError::bad_request(format!("bad query string: {e}")))?;
    let params: BTreeMap<String, String> = pairs.iter().cloned().collect();
    let get = |k: &str| params.get(k).map(String::as_str);
    let key = get("auth_key").ok_or_else(|| ApiError::unauthorized("missing auth_key"))?;
    if !bool::from(key.as_bytes().ct_eq(app.key.as_bytes())) {
        return Err(ApiError::unauthorized("unknown auth_key"));
    }
    let timestamp: u64 = get("auth_timestamp")
        .and_then(|t| t.parse().ok())
        .ok_or_else(|| ApiError::unauthorized("missing or bad auth_timestamp"))?;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    if now.abs_diff(timestamp) > TIMESTAMP_WINDOW_SECS {
        return Err(ApiError::unauthorized(format!(
            "auth_timestamp is more than {TIMESTAMP_WINDOW_SECS} s from the server's clock"
        )));
    }
    if get("auth_version").is_some_and(|v| v != "1.0") {
        return Err(ApiError::unauthorized("auth_version must be 1.0"));
    }
    if get("auth_signature").is_none() {
        return Err(ApiError::unauthorized("missing auth_signature"));
    }
    Ok(Signed { pairs, params })
}

impl Signed {
    /// Checks the body's digest and the signature over the whole request;
    /// returns the decoded query parameters.
    fn verify(
        self,
        state: &Core,
        method: &Method,
        uri: &Uri,
        body: &[u8],
    ) -> ApiResult<BTreeMap<String, String>> {
        let get = |k: &str| self.params.get(k).map(String::as_str);
        if !body.is_empty() {
            let md5 = get("body_md5").ok_or_else(|| ApiError::unauthorized("missing body_md5"))?;
            if !bool::from(md5.as_bytes().ct_eq(sign::body_md5(body).as_bytes())) {
                return Err(ApiError::unauthorized("body_md5 does not match the body"));
            }
        }
        let signature = get("auth_signature").unwrap_or_default();
        let signed = self.pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        if !sign::verify_http_signature(
            &state.hub.app().secret,
            method.as_str(),
            uri.path(),
            signed,
            signature,
        ) {
            return Err(ApiError::unauthorized("invalid signature"));
        }
        Ok(self.params)
    }
}

/// Checks a request without a body.
fn authenticate(
    state: &Core,
    app_id: &str,
    method: &Method,
    uri: &Uri,
    query: Option<&str>,
) -> ApiResult<BTreeMap<String, String>> {
    check_query(state, app_id, query)?.verify(state, method, uri, &[])
}

/// Checks the query of a request with a body, then reads the body (on its clock,
/// within the body limit) and checks it and the signature.
async fn authenticated_body(state: &Core, app_id: &str, request: Request) -> ApiResult<Bytes> {
    let (parts, body) = request.into_parts();
    let signed = check_query(state, app_id, parts.uri.query())?;
    let body = super::body::read(body, state.hub.limits().max_body_bytes).await?;
    signed.verify(state, &parts.method, &parts.uri, &body)?;
    Ok(body)
}

/// The body as a JSON object of type `T`; any failure is a 400, as Pusher answers.
fn json_object<T: serde::de::DeserializeOwned>(body: &[u8]) -> ApiResult<T> {
    super::extract::parse_object(body)
        .map_err(|e| ApiError::bad_request(format!("invalid body: {}", e.message)))
}

/// One event as the HTTP API takes it.
#[derive(Debug, Deserialize)]
struct EventBody {
    name: String,
    /// A string as the SDKs send it; other JSON is passed on as its text.
    data: Value,
    #[serde(default)]
    channels: Option<Vec<String>>,
    #[serde(default)]
    channel: Option<String>,
    #[serde(default)]
    socket_id: Option<String>,
    #[serde(default)]
    info: Option<String>,
}

/// Checks an event and returns its channels and data text.
fn validate_event(state: &Core, event: &EventBody) -> ApiResult<(Vec<String>, String)> {
    if event.name.is_empty() || event.name.len() > MAX_EVENT_NAME {
        return Err(ApiError::bad_request(format!("event name must be 1 to {MAX_EVENT_NAME} characters")));
    }
    let channels: Vec<String> =
        event.channel.iter().cloned().chain(event.channels.iter().flatten().cloned()).collect();
    if channels.is_empty() {
        return Err(ApiError::bad_request("an event needs channel or channels"));
    }
    if channels.len() > MAX_CHANNELS_PER_EVENT {
        return Err(ApiError::bad_request(format!("at most {MAX_CHANNELS_PER_EVENT} channels per event")));
    }
    for c in &channels {
        // A signed-in user's own channel (the SDKs' sendToUser) beside the others.
        if channel::server_to_user_of(c).is_none() {
            channel::validate_name(c).map_err(|e| ApiError::bad_request(format!("{c:?}: {e}")))?;
        }
    }
    if event.socket_id.as_deref().is_some_and(|s| !pusher::is_socket_id(s)) {
        return Err(ApiError::bad_request("socket_id must look like 1234.5678"));
    }
    let data = match &event.data {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let max = state.hub.limits().max_event_bytes;
    if data.len() > max {
        return Err(ApiError::too_large(format!("event data is larger than {max} bytes")));
    }
    if channels.iter().any(|c| channel::is_encrypted(c)) {
        // As Pusher: each encrypted channel has its own key, so an event for one
        // goes to it alone, sealed as the SDKs seal it; the text never reaches
        // the server.
        if channels.len() > 1 {
            return Err(ApiError::bad_request("an event to an encrypted channel goes to that channel alone"));
        }
        if !crate::encryption::looks_encrypted(&data) {
            return Err(ApiError::bad_request(
                "an encrypted channel takes data encrypted as the Pusher SDKs encrypt it \
                 ({\"nonce\", \"ciphertext\"}, base64): set the SDK's encryptionMasterKeyBase64",
            ));
        }
    }
    Ok((channels, data))
}

/// The `info` attributes of channels, for answers that ask for them.
fn channel_attributes(state: &Core, name: &str, info: &str) -> Value {
    let counts = state.hub.adapter().channel_info(name).unwrap_or_default();
    let mut out = Map::new();
    for attribute in info.split(',').map(str::trim) {
        match attribute {
            "subscription_count" => {
                out.insert(attribute.into(), counts.subscription_count.into());
            }
            "user_count" if ChannelKind::of(name) == ChannelKind::Presence => {
                out.insert(attribute.into(), counts.user_count.into());
            }
            _ => {}
        }
    }
    Value::Object(out)
}

fn publish(state: &Core, channels: &[String], event: &EventBody, data: &str) {
    for c in channels {
        state.hub.publish(c, &event.name, data, event.socket_id.as_deref());
    }
}

pub async fn events(
    State(state): State<Core>,
    Path(app_id): Path<String>,
    request: Request,
) -> ApiResult<axum::Json<Value>> {
    let body = authenticated_body(&state, &app_id, request).await?;
    let event: EventBody = json_object(&body)?;
    let (channels, data) = validate_event(&state, &event)?;
    publish(&state, &channels, &event, &data);
    let answer = match &event.info {
        Some(info) => {
            let map: Map<String, Value> =
                channels.iter().map(|c| (c.clone(), channel_attributes(&state, c, info))).collect();
            json!({ "channels": map })
        }
        None => json!({}),
    };
    Ok(axum::Json(answer))
}

/// `POST /apps/{app_id}/users/{user_id}/terminate_connections`: every
/// connection signed in as the user, on every node, closes (4009).
pub async fn terminate_connections(
    State(state): State<Core>,
    Path((app_id, user_id)): Path<(String, String)>,
    request: Request,
) -> ApiResult<axum::Json<Value>> {
    authenticated_body(&state, &app_id, request).await?;
    channel::validate_name(&user_id).map_err(|e| ApiError::bad_request(format!("user id: {e}")))?;
    let here = state.hub.adapter().terminate_user(&user_id);
    tracing::info!(user = %user_id, connections_here = here, "a user's connections terminated by the app");
    Ok(axum::Json(json!({})))
}

#[derive(Debug, Deserialize)]
struct Batch {
    batch: Vec<EventBody>,
}

pub async fn batch_events(
    State(state): State<Core>,
    Path(app_id): Path<String>,
    request: Request,
) -> ApiResult<axum::Json<Value>> {
    let body = authenticated_body(&state, &app_id, request).await?;
    let batch: Batch = json_object(&body)?;
    if batch.batch.len() > MAX_BATCH {
        return Err(ApiError::bad_request(format!("at most {MAX_BATCH} events per batch")));
    }
    // All or nothing: validate every event before publishing any.
    let checked = batch.batch.iter().map(|e| validate_event(&state, e)).collect::<ApiResult<Vec<_>>>()?;
    for (event, (channels, data)) in batch.batch.iter().zip(&checked) {
        publish(&state, channels, event, data);
    }
    let any_info = batch.batch.iter().any(|e| e.info.is_some());
    if !any_info {
        return Ok(axum::Json(json!({})));
    }
    let infos: Vec<Value> = batch
        .batch
        .iter()
        .zip(&checked)
        .map(|(e, (channels, _))| match &e.info {
            Some(info) => channel_attributes(&state, &channels[0], info),
            None => json!({}),
        })
        .collect();
    Ok(axum::Json(json!({ "batch": infos })))
}

pub async fn channels(
    State(state): State<Core>,
    Path(app_id): Path<String>,
    method: Method,
    uri: Uri,
    RawQuery(query): RawQuery,
) -> ApiResult<axum::Json<Value>> {
    let params = authenticate(&state, &app_id, &method, &uri, query.as_deref())?;
    let prefix = params.get("filter_by_prefix").map(String::as_str).unwrap_or("");
    let info = params.get("info").map(String::as_str).unwrap_or("");
    let wants_users = info.split(',').any(|a| a.trim() == "user_count");
    if wants_users && !prefix.starts_with("presence-") {
        return Err(ApiError::bad_request("info=user_count needs filter_by_prefix=presence-"));
    }
    let map: Map<String, Value> = state
        .hub
        .adapter()
        .channels(prefix)
        .into_iter()
        // The server's own (`presence-#online-<user>`: who is signed in) are not the app's.
        .filter(|(name, _)| !name.contains('#'))
        .map(|(name, counts)| {
            let attrs = if wants_users { json!({ "user_count": counts.user_count }) } else { json!({}) };
            (name, attrs)
        })
        .collect();
    Ok(axum::Json(json!({ "channels": map })))
}

pub async fn channel(
    State(state): State<Core>,
    Path((app_id, name)): Path<(String, String)>,
    method: Method,
    uri: Uri,
    RawQuery(query): RawQuery,
) -> ApiResult<axum::Json<Value>> {
    let params = authenticate(&state, &app_id, &method, &uri, query.as_deref())?;
    channel::validate_name(&name).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let info = params.get("info").map(String::as_str).unwrap_or("");
    if info.split(',').any(|a| a.trim() == "user_count") && ChannelKind::of(&name) != ChannelKind::Presence {
        return Err(ApiError::bad_request("user_count is only available for presence channels"));
    }
    let counts = state.hub.adapter().channel_info(&name);
    let mut answer = Map::new();
    answer.insert("occupied".into(), counts.is_some().into());
    if let Value::Object(attrs) = channel_attributes(&state, &name, info) {
        answer.extend(attrs);
    }
    Ok(axum::Json(Value::Object(answer)))
}

pub async fn users(
    State(state): State<Core>,
    Path((app_id, name)): Path<(String, String)>,
    method: Method,
    uri: Uri,
    RawQuery(query): RawQuery,
) -> ApiResult<axum::Json<Value>> {
    authenticate(&state, &app_id, &method, &uri, query.as_deref())?;
    if ChannelKind::of(&name) != ChannelKind::Presence {
        return Err(ApiError::bad_request("users are only listed for presence channels"));
    }
    let users: Vec<Value> =
        state.hub.adapter().members(&name).into_iter().map(|id| json!({ "id": id })).collect();
    Ok(axum::Json(json!({ "users": users })))
}
