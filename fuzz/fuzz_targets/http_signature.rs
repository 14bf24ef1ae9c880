//! Fuzzes the checks of signed requests: an HTTP API query string and a channel
//! auth string, verified against a fixed secret. Nothing forged may pass.
#![no_main]

use kanban_protocol::sign;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (query, rest) = text.split_once('\n').unwrap_or((text, ""));
    if let Ok(pairs) = serde_urlencoded::from_str::<Vec<(String, String)>>(query) {
        let signature =
            pairs.iter().find(|(k, _)| k == "auth_signature").map(|(_, v)| v.as_str()).unwrap_or("");
        let params = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        // A random signature matching is a forgery: it must never happen.
        assert!(!sign::verify_http_signature("fuzz-secret", "POST", "/apps/1/events", params, signature));
    }
    let (socket_id, auth) = rest.split_once('\n').unwrap_or((rest, ""));
    assert!(!sign::verify_channel_auth("key", "fuzz-secret", auth, socket_id, "private-x", None));
    let granted =
        sign::verify_granted_channel_auth("key", "fuzz-secret", auth, socket_id, "private-project-1", None);
    assert!(granted.is_none());
    let _ = sign::body_md5(data);
});
