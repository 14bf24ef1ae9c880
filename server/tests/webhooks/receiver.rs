//! A webhook receiver the tests run: a real HTTP server on a loopback port that
//! checks each delivery's signature as the README's receiver does, keeps what it
//! took, and answers as the test says: taking it, refusing it (500), never
//! answering, or gone (its port closed, its connections cut).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use sha2::Sha256;
use tokio::net::TcpListener;
use tokio::task::JoinSet;

/// How the receiver answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Take,
    Refuse,
    /// Reads the request and never answers.
    Hang,
}

/// A delivery taken.
#[derive(Debug, Clone)]
pub struct Got {
    pub delivery: String,
    pub event: String,
    pub body: Value,
    pub raw: Vec<u8>,
}

#[derive(Default)]
struct State {
    mode: Option<Mode>,
    secret: String,
    took: Vec<Got>,
    /// Requests refused with 500 (or hung).
    refused: usize,
    /// Requests whose signature did not check out (answered 401).
    forged: usize,
}

pub struct Receiver {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
    serving: Option<tokio::task::JoinHandle<()>>,
}

/// Checks `X-Kanban-Signature` as the README's receiver does: the hex
/// HMAC-SHA256 of the raw body with the hook's secret, compared in constant time.
pub fn signature_checks(secret: &str, body: &[u8], header: &str) -> bool {
    let Some(Ok(sent)) = header.strip_prefix("sha256=").map(hex::decode) else { return false };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key");
    mac.update(body);
    mac.verify_slice(&sent).is_ok()
}

impl Receiver {
    pub async fn start(mode: Mode) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind a receiver");
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State { mode: Some(mode), ..State::default() }));
        let serving = Some(tokio::spawn(serve(listener, state.clone())));
        Receiver { addr, state, serving }
    }

    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    /// The hook's secret, as `webhook add` printed it.
    pub fn set_secret(&self, secret: &str) {
        self.state.lock().unwrap().secret = secret.to_string();
    }

    pub fn set_mode(&self, mode: Mode) {
        self.state.lock().unwrap().mode = Some(mode);
    }

    /// Gone: the port closed and every connection cut.
    pub fn down(&mut self) {
        if let Some(serving) = self.serving.take() {
            serving.abort();
        }
    }

    /// Back on the same port.
    pub async fn up(&mut self) {
        self.down();
        let listener = TcpListener::bind(self.addr).await.expect("bind the receiver's port again");
        self.serving = Some(tokio::spawn(serve(listener, self.state.clone())));
    }

    pub fn took(&self) -> Vec<Got> {
        self.state.lock().unwrap().took.clone()
    }

    pub fn refused(&self) -> usize {
        self.state.lock().unwrap().refused
    }

    pub fn forged(&self) -> usize {
        self.state.lock().unwrap().forged
    }

    /// Waits until what was taken satisfies `done`, for at most `within`.
    pub async fn wait_until(&self, within: Duration, what: &str, done: impl Fn(&[Got]) -> bool) {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            {
                let state = self.state.lock().unwrap();
                if done(&state.took) {
                    return;
                }
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "the receiver never got {what}: it took {} ({} refused, {} forged)",
                    state.took.len(),
                    state.refused,
                    state.forged
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until at least `n` requests were refused.
    pub async fn wait_refused(&self, n: usize) {
        let deadline = tokio::time::Instant::now() + crate::util::WAIT;
        while self.refused() < n {
            assert!(tokio::time::Instant::now() < deadline, "fewer than {n} requests came to be refused");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.down();
    }
}

/// Accepts until aborted; the connections are tasks of this one's, cut with it.
async fn serve(listener: TcpListener, state: Arc<Mutex<State>>) {
    let mut connections = JoinSet::new();
    loop {
        let Ok((tcp, _)) = listener.accept().await else { continue };
        let state = state.clone();
        connections.spawn(async move {
            let service = hyper::service::service_fn(move |req| answer(req, state.clone()));
            let _ =
                hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(tcp), service).await;
        });
        while connections.try_join_next().is_some() {}
    }
}

async fn answer(
    req: Request<Incoming>,
    state: Arc<Mutex<State>>,
) -> Result<Response<Full<Bytes>>, hyper::Error> {
    let header =
        |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let (signature, delivery, event) =
        (header("x-kanban-signature"), header("x-kanban-delivery"), header("x-kanban-event"));
    let raw = req.into_body().collect().await?.to_bytes().to_vec();
    let reply = |status: u16| Ok(Response::builder().status(status).body(Full::new(Bytes::new())).unwrap());
    let mode = {
        let mut state = state.lock().unwrap();
        if !signature_checks(&state.secret, &raw, &signature) {
            state.forged += 1;
            return reply(401);
        }
        let mode = state.mode.unwrap_or(Mode::Take);
        if mode == Mode::Take {
            let body = serde_json::from_slice(&raw).unwrap_or(Value::Null);
            state.took.push(Got { delivery, event, body, raw });
        } else {
            state.refused += 1;
        }
        mode
    };
    match mode {
        Mode::Take => reply(200),
        Mode::Refuse => reply(500),
        Mode::Hang => std::future::pending().await,
    }
}
