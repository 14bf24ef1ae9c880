//! Properties of the wire code over generated inputs: parsers never panic and
//! refuse what they must, signatures verify exactly what was signed, order keys
//! always fit between their neighbours.

use kanban_protocol::channel::{self, ChannelNameError};
use kanban_protocol::model::Board;
use kanban_protocol::pusher::{self, ClientFrame, SubscribeData};
use kanban_protocol::request::{MoveTask, NewStatus, NewTask, StatusPatch, TaskPatch};
use kanban_protocol::{order, sign};
use proptest::prelude::*;

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(serde_json::Value::from),
        ".{0,20}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::from),
            prop::collection::btree_map("[a-z_]{1,12}", inner, 0..6)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn frames_of_any_text_parse_or_fail_without_panic(text in ".{0,300}") {
        if let Ok(frame) = ClientFrame::parse(&text) {
            let _ = pusher::parse_data::<SubscribeData>(frame.data);
        }
    }

    #[test]
    fn frames_of_any_json_parse_or_fail_without_panic(value in json_value()) {
        let text = value.to_string();
        if let Ok(frame) = ClientFrame::parse(&text) {
            prop_assert!(value.get("event").and_then(|e| e.as_str()).is_some(), "a frame has a string event");
            let _ = pusher::parse_data::<SubscribeData>(frame.data);
        }
    }

    #[test]
    fn request_bodies_of_any_json_parse_or_fail_without_panic(value in json_value()) {
        let _ = serde_json::from_value::<NewTask>(value.clone());
        let _ = serde_json::from_value::<TaskPatch>(value.clone());
        let _ = serde_json::from_value::<MoveTask>(value.clone());
        let _ = serde_json::from_value::<NewStatus>(value.clone());
        let _ = serde_json::from_value::<StatusPatch>(value.clone());
        let _ = serde_json::from_value::<Board>(value);
    }

    #[test]
    fn channel_names_follow_the_alphabet(name in "[A-Za-z0-9_=@,.;-]{1,200}") {
        prop_assert!(channel::validate_name(&name).is_ok());
    }

    #[test]
    fn channel_names_outside_it_are_refused(prefix in "[a-z]{0,10}", bad in "[ !#$%&'()*+/:<>?\\[\\]^`{|}~\"\\\\é]", suffix in "[a-z]{0,10}") {
        let name = format!("{prefix}{bad}{suffix}");
        prop_assert_eq!(channel::validate_name(&name), Err(ChannelNameError::BadCharacter));
    }

    #[test]
    fn a_channel_signature_verifies_only_what_was_signed(
        socket in "[0-9]{1,10}\\.[0-9]{1,10}",
        name in "private-[a-z0-9-]{1,40}",
        secret in "[a-f0-9]{8,40}",
        flip in 0usize..64,
    ) {
        let auth = sign::channel_auth("key", &secret, &socket, &name, None);
        prop_assert!(sign::verify_channel_auth("key", &secret, &auth, &socket, &name, None));
        // Any one changed hex digit of the signature is refused.
        let mut bytes = auth.into_bytes();
        let at = 4 + flip;
        bytes[at] = if bytes[at] == b'0' { b'1' } else { b'0' };
        let forged = String::from_utf8(bytes).unwrap();
        prop_assert!(!sign::verify_channel_auth("key", &secret, &forged, &socket, &name, None));
        prop_assert!(!sign::verify_channel_auth("key", &secret, &forged[..forged.len() - 1], &socket, &name, None));
    }

    #[test]
    fn http_signatures_ignore_parameter_order(
        mut params in prop::collection::btree_map("[a-z_]{1,10}", "[ -~]{0,20}", 1..6),
        seed in any::<u64>(),
    ) {
        params.remove("auth_signature");
        let pairs: Vec<(String, String)> = params.into_iter().collect();
        let sig = sign::http_signature("s", "GET", "/apps/1/channels", pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let mut shuffled = pairs.clone();
        let n = shuffled.len();
        shuffled.rotate_left((seed as usize) % n);
        prop_assert!(sign::verify_http_signature("s", "GET", "/apps/1/channels", shuffled.iter().map(|(k, v)| (k.as_str(), v.as_str())), &sig));
    }

    #[test]
    fn an_order_key_fits_between_any_two(a in "[0-9A-Za-z]{0,8}[1-9A-Za-z]", b in "[0-9A-Za-z]{0,8}[1-9A-Za-z]") {
        prop_assume!(a != b);
        let (lo, hi) = if a < b { (a, b) } else { (b, a) };
        let k = order::between(Some(&lo), Some(&hi));
        prop_assert!(order::is_valid(&k), "{k:?}");
        prop_assert!(lo < k && k < hi, "{lo:?} < {k:?} < {hi:?}");
        let before = order::between(None, Some(&lo));
        prop_assert!(order::is_valid(&before) && before < lo);
        let after = order::between(Some(&hi), None);
        prop_assert!(order::is_valid(&after) && after > hi);
    }

    #[test]
    fn keys_spread_between_any_two_fit_between_them(
        a in "[0-9A-Za-z]{0,20}[1-9A-Za-z]",
        b in "[0-9A-Za-z]{0,20}[1-9A-Za-z]",
        count in 1usize..500,
    ) {
        prop_assume!(a != b);
        let (lo, hi) = if a < b { (a, b) } else { (b, a) };
        if let Some(keys) = order::spread_between(Some(&lo), Some(&hi), count, 16) {
            prop_assert_eq!(keys.len(), count);
            prop_assert!(keys.iter().all(|k| order::is_valid(k) && k.len() <= 16));
            prop_assert!(lo < keys[0] && keys[count - 1] < hi, "{lo:?} {keys:?} {hi:?}");
            prop_assert!(keys.windows(2).all(|w| w[0] < w[1]));
        }
    }
}
