//! What a webhook receiver gets: the JSON body of a delivery, its id (the same on
//! every try, so that a receiver can drop one it already took), and the
//! signature over the body's exact bytes, `sha256=` and the hex HMAC-SHA256 with
//! the hook's secret.

use hmac::{Hmac, KeyInit, Mac};
use serde::Serialize;
use serde_json::value::RawValue;
use sha2::Sha256;

use crate::store::webhook::{Claim, HookEvent};

/// The header of the signature.
pub const SIGNATURE: &str = "X-Kanban-Signature";
/// The header naming the event.
pub const EVENT: &str = "X-Kanban-Event";
/// The header of the delivery's id.
pub const DELIVERY: &str = "X-Kanban-Delivery";

/// `sha256=<hex HMAC-SHA256(secret, body)>`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// A delivery's id: its hook, board and revision, and the history's epoch (a
/// database restored from an older copy numbers its changes again).
pub fn delivery_id(epoch: u64, hook_id: i64, project_id: i64, rev: u64) -> String {
    format!("{hook_id}-{project_id}-{rev}-{epoch:016x}")
}

#[derive(Serialize)]
struct Named<'a> {
    id: i64,
    name: &'a str,
}

#[derive(Serialize)]
struct Body<'a> {
    id: &'a str,
    event: &'a str,
    project: Option<Named<'a>>,
    rev: u64,
    by: Option<Named<'a>>,
    at: &'a str,
    data: &'a RawValue,
}

/// The body of the delivery of `event` to the hook of `claim`.
pub fn body(id: &str, claim: &Claim, project_id: i64, event: &HookEvent) -> Vec<u8> {
    // The history holds what the board's channel carried: JSON.
    let data: Box<RawValue> = RawValue::from_string(event.data.clone())
        .unwrap_or_else(|_| RawValue::from_string("null".into()).expect("null is JSON"));
    let body = Body {
        id,
        event: &event.name,
        project: Some(Named { id: project_id, name: &claim.project_name }),
        rev: event.rev,
        by: event.by.as_ref().map(|(id, name)| Named { id: *id, name }),
        at: &event.at,
        data: &data,
    };
    serde_json::to_vec(&body).expect("a delivery encodes")
}

/// The body of `webhook test`: event `ping`, revision 0, its data the hook.
pub fn ping(id: &str, hook_id: i64, project: Option<(i64, &str)>, at: &str) -> Vec<u8> {
    let data = serde_json::json!({ "hook_id": hook_id });
    let data = RawValue::from_string(data.to_string()).expect("JSON");
    let body = Body {
        id,
        event: "ping",
        project: project.map(|(id, name)| Named { id, name }),
        rev: 0,
        by: None,
        at,
        data: &data,
    };
    serde_json::to_vec(&body).expect("a ping encodes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_the_hex_hmac_of_the_body() {
        // RFC 4231, test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
