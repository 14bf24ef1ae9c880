//! The hot paths, measured (criterion): frames encoded and decoded, signatures
//! checked, one frame fanned out to N in-process subscribers, and a change to a
//! card its watchers are told of (SQLite, in a temporary directory). Guards
//! against regressions; `cargo bench -p kanban-server`.

use std::collections::VecDeque;
use std::hint::black_box;
use std::sync::Arc;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use kanban_protocol::pusher::{self, ClientFrame, SubscribeData};
use kanban_protocol::sign;
use kanban_server::hub::{Adapter, Frame, LocalAdapter, Outbox, Subscriber};
use serde_json::value::RawValue;

fn frames(c: &mut Criterion) {
    let data = format!("{{\"rev\":12,\"by\":3,\"task\":{{\"title\":\"{}\"}}}}", "x".repeat(60));
    c.bench_function("encode server event", |b| {
        b.iter(|| pusher::encode_event(black_box("task-moved"), Some("private-project-1"), black_box(&data)))
    });
    let cursor = RawValue::from_string(r#"{"status_id":3,"task_id":17}"#.into()).unwrap();
    c.bench_function("encode client event", |b| {
        b.iter(|| {
            pusher::client_event("client-cursor-move", "presence-project-1", black_box(&cursor), Some("42"))
        })
    });
    let incoming = r#"{"event":"client-cursor-move","channel":"presence-project-1","data":{"status_id":3,"task_id":17}}"#;
    c.bench_function("decode client frame", |b| b.iter(|| ClientFrame::parse(black_box(incoming)).unwrap()));
    let subscribe = r#"{"event":"pusher:subscribe","data":{"channel":"presence-project-1","auth":"k:0123","channel_data":"{\"user_id\":\"1\"}"}}"#;
    c.bench_function("decode subscribe", |b| {
        b.iter(|| {
            let f = ClientFrame::parse(black_box(subscribe)).unwrap();
            pusher::parse_data::<SubscribeData>(f.data).unwrap()
        })
    });
}

fn signatures(c: &mut Criterion) {
    let data = r##"{"user_id":"10","user_info":{"name":"Ann","color":"#e06c75"}}"##;
    let auth = sign::channel_auth("key", "secret", "1234.5678", "presence-project-1", Some(data));
    c.bench_function("verify presence auth", |b| {
        b.iter(|| {
            sign::verify_channel_auth(
                "key",
                "secret",
                black_box(&auth),
                "1234.5678",
                "presence-project-1",
                Some(data),
            )
        })
    });
    let params = [
        ("auth_key", "key"),
        ("auth_timestamp", "1353088179"),
        ("auth_version", "1.0"),
        ("body_md5", "ec365a775a4cd0599faeb73354201b6f"),
    ];
    let sig = sign::http_signature("secret", "POST", "/apps/3/events", params);
    c.bench_function("verify HTTP API signature", |b| {
        b.iter(|| sign::verify_http_signature("secret", "POST", "/apps/3/events", params, black_box(&sig)))
    });
}

fn fan_out(c: &mut Criterion) {
    let mut group = c.benchmark_group("fan-out one frame");
    for n in [10usize, 100, 1_000] {
        let adapter = LocalAdapter::new(10_000);
        let mut queues = Vec::with_capacity(n);
        for i in 0..n {
            let outbox = Outbox::new(64);
            let sub = Subscriber {
                conn_id: i as u64,
                socket_id: Arc::from(format!("{i}.1")),
                outbox: outbox.clone(),
            };
            adapter.subscribe("private-bench", sub, None, None).unwrap();
            queues.push(outbox);
        }
        // Drain the success frames so that the queues start empty.
        let mut taken = VecDeque::new();
        for outbox in &queues {
            outbox.try_take(&mut taken);
            taken.clear();
        }
        let frame = Frame::from(pusher::encode_event("e", Some("private-bench"), &"x".repeat(100)));
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| {
                let queued = adapter.publish("private-bench", frame.clone(), None);
                // The connections' side: take the frames off again.
                for outbox in &queues {
                    outbox.try_take(&mut taken);
                    taken.clear();
                }
                queued
            })
        });
    }
    group.finish();
}

/// The cluster's hot message, a committed change's frame for every node, in its
/// hand-made codec and as the same fields in JSON through serde (what deriving a
/// codec with the crates already in the tree would give): the measurement
/// `cluster/wire.rs` states its reason by.
fn cluster_wire(c: &mut Criterion) {
    use kanban_server::cluster::wire::{Envelope, Message};

    #[derive(serde::Serialize, serde::Deserialize)]
    struct Derived {
        version: u8,
        cluster: u64,
        node: u64,
        project: i64,
        rev: u64,
        channel: String,
        frame: String,
    }

    let data = format!(
        r#"{{"rev":4242,"by":7,"task":{{"id":99,"title":"Fix the login page","description":"{}","status_id":3,"position":"a0V","version":5}}}}"#,
        "x".repeat(200)
    );
    let frame = pusher::encode_event("task-updated", Some("presence-project-12"), &data);
    let envelope = Envelope {
        cluster: 0x1234_5678,
        node: 42,
        message: Message::Board {
            project: 12,
            rev: 4242,
            channel: "presence-project-12".into(),
            frame: frame.clone(),
        },
    };
    let derived = Derived {
        version: 16,
        cluster: 0x1234_5678,
        node: 42,
        project: 12,
        rev: 4242,
        channel: "presence-project-12".into(),
        frame,
    };
    let hand = envelope.encode();
    let json = serde_json::to_vec(&derived).unwrap();
    println!(
        "cluster wire, a {}-byte frame: hand codec {} bytes, serde_json {} bytes",
        derived.frame.len(),
        hand.len(),
        json.len()
    );
    let mut group = c.benchmark_group("cluster wire");
    group.bench_function("hand codec encode", |b| b.iter(|| black_box(&envelope).encode()));
    group.bench_function("hand codec decode", |b| b.iter(|| Envelope::decode(black_box(&hand)).unwrap()));
    group
        .bench_function("serde_json encode", |b| b.iter(|| serde_json::to_vec(black_box(&derived)).unwrap()));
    group.bench_function("serde_json decode", |b| {
        b.iter(|| serde_json::from_slice::<Derived>(black_box(&json)).unwrap())
    });
    group.finish();
}

/// One change to a card, committed: with nobody else watching, and with 2,000
/// watchers, each told in the change's own transaction.
fn watchers(c: &mut Criterion) {
    use kanban_protocol::model::Role;
    use kanban_protocol::request::{Change, NewTask, TaskPatch};
    use kanban_server::board::Write;

    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = rt
        .block_on(kanban_server::open_database_with(
            &kanban_server::Database::Sqlite(dir.path().to_owned()),
            kanban_server::store::schema::Migrations::Apply,
        ))
        .unwrap();
    let mut group = c.benchmark_group("change a card watched by");
    for watchers in [0usize, 2_000] {
        let (task, by) = rt.block_on(async {
            let (ann, _) = store.add_user(&format!("ann{watchers}"), "#e06c75").await.unwrap();
            let pid = store.add_project(&format!("p{watchers}"), &[(ann.id, Role::Owner)]).await.unwrap();
            let new = NewTask { title: "Watched".into(), ..Default::default() };
            let write = Write { by: ann.id, change: Change::CreateTask { project_id: pid, new }, key: None };
            let made = store.apply(vec![write]).await.unwrap().pop().unwrap().unwrap();
            let data: kanban_protocol::model::EventData = serde_json::from_str(&made.data).unwrap();
            let task = data.task.unwrap().id;
            for i in 0..watchers {
                let (user, _) = store.add_user(&format!("w{watchers}-{i}"), "#61afef").await.unwrap();
                store.grant(pid, user.id, Role::Viewer).await.unwrap();
                store.set_watch(task, user.id, true).await.unwrap();
            }
            (task, ann.id)
        });
        let mut n = 0u64;
        group.bench_function(BenchmarkId::from_parameter(watchers), |b| {
            b.iter(|| {
                n += 1;
                let patch = TaskPatch { title: Some(format!("Watched {n}")), ..Default::default() };
                let write = Write { by, change: Change::UpdateTask { task_id: task, patch }, key: None };
                let made = rt.block_on(store.apply(vec![write])).unwrap().pop().unwrap().unwrap();
                assert_eq!(made.notices.len(), watchers);
            })
        });
    }
    group.finish();
}

criterion_group!(benches, frames, signatures, fan_out, cluster_wire, watchers);
criterion_main!(benches);
