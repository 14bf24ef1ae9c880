//! The HMAC-SHA256 signatures of the Pusher protocol: channel auth strings and
//! HTTP API request signatures, made and checked in constant time.

use hmac::{Hmac, KeyInit, Mac};
use md5::{Digest, Md5};
use sha2::Sha256;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &str) -> HmacSha256 {
    // HMAC accepts keys of any length, so this cannot fail.
    HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length")
}

fn hex_hmac(secret: &str, message: &str) -> String {
    let mut m = mac(secret);
    m.update(message.as_bytes());
    hex::encode(m.finalize().into_bytes())
}

/// Checks `signature_hex` against HMAC(secret, message) without leaking where they differ.
fn verify_hex_hmac(secret: &str, message: &str, signature_hex: &str) -> bool {
    let Ok(signature) = hex::decode(signature_hex) else {
        return false;
    };
    let mut m = mac(secret);
    m.update(message.as_bytes());
    m.verify_slice(&signature).is_ok()
}

/// The text a channel auth signs: `socket_id:channel[:channel_data]`.
fn channel_message(socket_id: &str, channel: &str, channel_data: Option<&str>) -> String {
    match channel_data {
        Some(data) => format!("{socket_id}:{channel}:{data}"),
        None => format!("{socket_id}:{channel}"),
    }
}

/// The hex signature for subscribing `socket_id` to `channel`.
pub fn channel_signature(secret: &str, socket_id: &str, channel: &str, channel_data: Option<&str>) -> String {
    hex_hmac(secret, &channel_message(socket_id, channel, channel_data))
}

/// The `auth` field of a subscription: `"<app_key>:<hex signature>"`.
pub fn channel_auth(
    key: &str,
    secret: &str,
    socket_id: &str,
    channel: &str,
    channel_data: Option<&str>,
) -> String {
    format!("{key}:{}", channel_signature(secret, socket_id, channel, channel_data))
}

/// Whether `auth` authorizes `socket_id` on `channel` for this app.
pub fn verify_channel_auth(
    key: &str,
    secret: &str,
    auth: &str,
    socket_id: &str,
    channel: &str,
    channel_data: Option<&str>,
) -> bool {
    let Some((given_key, signature)) = auth.split_once(':') else {
        return false;
    };
    let key_ok: bool = given_key.as_bytes().ct_eq(key.as_bytes()).into();
    let sig_ok = verify_hex_hmac(secret, &channel_message(socket_id, channel, channel_data), signature);
    key_ok & sig_ok
}

/// The text a user's sign-in signs: `socket_id::user::user_data`.
fn user_message(socket_id: &str, user_data: &str) -> String {
    format!("{socket_id}::user::{user_data}")
}

/// The `auth` of a `pusher:signin`: `"<app_key>:<hex signature>"` of the user's
/// `user_data` for `socket_id`, as the Pusher SDKs' `authenticateUser` makes it.
pub fn user_auth(key: &str, secret: &str, socket_id: &str, user_data: &str) -> String {
    format!("{key}:{}", hex_hmac(secret, &user_message(socket_id, user_data)))
}

/// Whether `auth` signs `user_data` in on `socket_id` for this app.
pub fn verify_user_auth(key: &str, secret: &str, auth: &str, socket_id: &str, user_data: &str) -> bool {
    let Some((given_key, signature)) = auth.split_once(':') else {
        return false;
    };
    let key_ok: bool = given_key.as_bytes().ct_eq(key.as_bytes()).into();
    key_ok & verify_hex_hmac(secret, &user_message(socket_id, user_data), signature)
}

/// Whom the server authorized a board channel for: the bearer token that asked and
/// its user. A signature carries it so that the subscription itself can be checked
/// against the access in force at that moment: a signature fetched before a
/// revocation must be worth nothing after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant {
    pub token_id: i64,
    pub user_id: i64,
}

impl Grant {
    fn encode(self) -> String {
        format!("{}.{}", self.token_id, self.user_id)
    }

    fn parse(text: &str) -> Option<Self> {
        let (token, user) = text.split_once('.')?;
        let number = |s: &str| s.bytes().all(|b| b.is_ascii_digit()).then(|| s.parse().ok()).flatten();
        Some(Grant { token_id: number(token)?, user_id: number(user)? })
    }
}

/// The text a granted channel auth signs. Its prefix keeps it apart from every
/// plain channel auth text (those start with a socket id's digits), so neither
/// kind of signature can pass for the other.
fn granted_message(grant: Grant, socket_id: &str, channel: &str, channel_data: Option<&str>) -> String {
    format!("grant {}:{}", grant.encode(), channel_message(socket_id, channel, channel_data))
}

/// The `auth` field of a board channel subscription: `"<app_key>:<grant>:<hex
/// signature>"`. Clients pass it on untouched, as they do any auth string.
pub fn granted_channel_auth(
    key: &str,
    secret: &str,
    grant: Grant,
    socket_id: &str,
    channel: &str,
    channel_data: Option<&str>,
) -> String {
    let signature = hex_hmac(secret, &granted_message(grant, socket_id, channel, channel_data));
    format!("{key}:{}:{signature}", grant.encode())
}

/// The grant of `auth` when it authorizes `socket_id` on `channel` for this app.
pub fn verify_granted_channel_auth(
    key: &str,
    secret: &str,
    auth: &str,
    socket_id: &str,
    channel: &str,
    channel_data: Option<&str>,
) -> Option<Grant> {
    let mut parts = auth.rsplitn(3, ':');
    let (signature, grant, given_key) = (parts.next()?, parts.next()?, parts.next()?);
    let grant = Grant::parse(grant)?;
    let key_ok: bool = given_key.as_bytes().ct_eq(key.as_bytes()).into();
    let sig_ok =
        verify_hex_hmac(secret, &granted_message(grant, socket_id, channel, channel_data), signature);
    (key_ok & sig_ok).then_some(grant)
}

/// The `auth` of a `pusher:signin` the board's own endpoint makes: `"<app_key>:
/// <grant>:<hex signature>"`, naming the token that asked, so that the sign-in
/// ends with the token.
pub fn granted_user_auth(key: &str, secret: &str, grant: Grant, socket_id: &str, user_data: &str) -> String {
    let message = format!("grant {}:{}", grant.encode(), user_message(socket_id, user_data));
    format!("{key}:{}:{}", grant.encode(), hex_hmac(secret, &message))
}

/// The grant of `auth` when it signs `user_data` in on `socket_id` for this app.
pub fn verify_granted_user_auth(
    key: &str,
    secret: &str,
    auth: &str,
    socket_id: &str,
    user_data: &str,
) -> Option<Grant> {
    let mut parts = auth.rsplitn(3, ':');
    let (signature, grant, given_key) = (parts.next()?, parts.next()?, parts.next()?);
    let grant = Grant::parse(grant)?;
    let key_ok: bool = given_key.as_bytes().ct_eq(key.as_bytes()).into();
    let message = format!("grant {}:{}", grant.encode(), user_message(socket_id, user_data));
    (key_ok & verify_hex_hmac(secret, &message, signature)).then_some(grant)
}

/// Lower-case hex MD5 of an HTTP API request body (`body_md5`).
pub fn body_md5(body: &[u8]) -> String {
    hex::encode(Md5::digest(body))
}

/// The text an HTTP API request signs: method, path, and the query parameters other
/// than `auth_signature`, keys lower-cased and sorted, values as given (not escaped).
pub fn http_string_to_sign<'a>(
    method: &str,
    path: &str,
    params: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> String {
    let mut pairs: Vec<(String, &str)> = params
        .into_iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v))
        .filter(|(k, _)| k != "auth_signature")
        .collect();
    pairs.sort();
    let query = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&");
    format!("{}\n{path}\n{query}", method.to_ascii_uppercase())
}

/// The `auth_signature` of an HTTP API request.
pub fn http_signature<'a>(
    secret: &str,
    method: &str,
    path: &str,
    params: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> String {
    hex_hmac(secret, &http_string_to_sign(method, path, params))
}

/// Whether `signature` signs this HTTP API request.
pub fn verify_http_signature<'a>(
    secret: &str,
    method: &str,
    path: &str,
    params: impl IntoIterator<Item = (&'a str, &'a str)>,
    signature: &str,
) -> bool {
    verify_hex_hmac(secret, &http_string_to_sign(method, path, params), signature)
}

#[cfg(test)]
mod tests {
    //! The worked examples of the Pusher documentation.
    use super::*;

    const KEY: &str = "278d425bdf160c739803";
    const SECRET: &str = "7ad3773142a6692b25b8";

    #[test]
    fn private_channel_vector() {
        let sig = channel_signature(SECRET, "1234.1234", "private-foobar", None);
        assert_eq!(sig, "58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4");
        let auth = channel_auth(KEY, SECRET, "1234.1234", "private-foobar", None);
        assert!(verify_channel_auth(KEY, SECRET, &auth, "1234.1234", "private-foobar", None));
    }

    #[test]
    fn presence_channel_vector() {
        let data = r#"{"user_id":10,"user_info":{"name":"Mr. Channels"}}"#;
        let sig = channel_signature(SECRET, "1234.1234", "presence-foobar", Some(data));
        assert_eq!(sig, "31935e7d86dba64c2a90aed31fdc61869f9b22ba9d8863bba239c03ca481bc80");
    }

    #[test]
    fn channel_auth_rejects_tampering() {
        let auth = channel_auth(KEY, SECRET, "1.2", "private-a", None);
        assert!(!verify_channel_auth(KEY, SECRET, &auth, "1.3", "private-a", None));
        assert!(!verify_channel_auth(KEY, SECRET, &auth, "1.2", "private-b", None));
        assert!(!verify_channel_auth("other", SECRET, &auth, "1.2", "private-a", None));
        assert!(!verify_channel_auth(KEY, "wrong", &auth, "1.2", "private-a", None));
        assert!(!verify_channel_auth(KEY, SECRET, "nocolon", "1.2", "private-a", None));
        assert!(!verify_channel_auth(KEY, SECRET, &format!("{KEY}:zz"), "1.2", "private-a", None));
        let presence = channel_auth(KEY, SECRET, "1.2", "presence-a", Some("{}"));
        assert!(!verify_channel_auth(KEY, SECRET, &presence, "1.2", "presence-a", Some("{ }")));
    }

    #[test]
    fn granted_auth_names_its_grant_and_refuses_tampering() {
        let grant = Grant { token_id: 12, user_id: 3 };
        let auth = granted_channel_auth(KEY, SECRET, grant, "1.2", "private-project-1", None);
        assert_eq!(
            verify_granted_channel_auth(KEY, SECRET, &auth, "1.2", "private-project-1", None),
            Some(grant)
        );
        let other = auth.replacen(":12.3:", ":12.4:", 1);
        assert_eq!(verify_granted_channel_auth(KEY, SECRET, &other, "1.2", "private-project-1", None), None);
        assert_eq!(verify_granted_channel_auth(KEY, SECRET, &auth, "1.3", "private-project-1", None), None);
        assert_eq!(verify_granted_channel_auth(KEY, "wrong", &auth, "1.2", "private-project-1", None), None);
        // Neither kind of signature passes for the other.
        assert!(!verify_channel_auth(KEY, SECRET, &auth, "1.2", "private-project-1", None));
        let plain = channel_auth(KEY, SECRET, "1.2", "private-project-1", None);
        assert_eq!(verify_granted_channel_auth(KEY, SECRET, &plain, "1.2", "private-project-1", None), None);
        for bad in ["", "a:b", "a:b:c", &format!("{KEY}:1.x:00"), &format!("{KEY}:-1.2:00")] {
            assert_eq!(verify_granted_channel_auth(KEY, SECRET, bad, "1.2", "private-project-1", None), None);
        }
        let data = r#"{"user_id":"3"}"#;
        let presence = granted_channel_auth(KEY, SECRET, grant, "1.2", "presence-project-1", Some(data));
        let ok = verify_granted_channel_auth(KEY, SECRET, &presence, "1.2", "presence-project-1", Some(data));
        assert_eq!(ok, Some(grant));
        let changed = r#"{"user_id":"4"}"#;
        let bad =
            verify_granted_channel_auth(KEY, SECRET, &presence, "1.2", "presence-project-1", Some(changed));
        assert_eq!(bad, None);
    }

    #[test]
    fn http_api_vector() {
        let body = r#"{"name":"foo","channels":["project-3"],"data":"{\"some\":\"data\"}"}"#;
        let md5 = body_md5(body.as_bytes());
        assert_eq!(md5, "ec365a775a4cd0599faeb73354201b6f");
        let params = [
            ("auth_key", KEY),
            ("auth_timestamp", "1353088179"),
            ("auth_version", "1.0"),
            ("body_md5", md5.as_str()),
        ];
        let sig = http_signature(SECRET, "POST", "/apps/3/events", params);
        assert_eq!(sig, "da454824c97ba181a32ccc17a72625ba02771f50b50e1e7430e47a1f3f457e6c");
        // Order and case of the keys do not matter; auth_signature itself is left out.
        let shuffled = [
            ("BODY_MD5", md5.as_str()),
            ("auth_signature", "ignored"),
            ("auth_version", "1.0"),
            ("auth_timestamp", "1353088179"),
            ("auth_key", KEY),
        ];
        assert!(verify_http_signature(SECRET, "post", "/apps/3/events", shuffled, &sig));
        assert!(!verify_http_signature(SECRET, "GET", "/apps/3/events", params, &sig));
    }
}
