//! The PROXY protocol (HAProxy's `send-proxy`, v1 text or v2 binary): a TCP load
//! balancer that cannot add `X-Forwarded-For` (it does not read HTTP, or the
//! connection is TLS to the end) says at the start of each connection whom it is
//! forwarding. With `--proxy-protocol`, every connection on the HTTP port must
//! begin with such a header and come from a `--trusted-proxy` network; the
//! address it names is the client's from then on (the access log's `peer`). A
//! connection without one, or from elsewhere, is closed.
//!
//! The header is read to its last byte and no further, so that what follows (a
//! TLS handshake, an HTTP request) is the stream's as the client sent it.

use std::io;
use std::net::SocketAddr;

use ppp::{HeaderResult, v1, v2};
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

use crate::api::access_log::Proxies;

/// The v2 header's first twelve bytes.
const V2_SIGNATURE: &[u8; 12] = b"\r\n\r\n\0\r\nQUIT\n";
/// The longest v1 header, its line break included.
const V1_MAX: usize = 107;

/// Reads the PROXY header of a connection from `peer`; answers the client it
/// names (the peer itself for a balancer's own health check, `LOCAL`/`UNKNOWN`).
pub async fn read_header(
    stream: &mut TcpStream,
    peer: SocketAddr,
    proxies: &Proxies,
) -> io::Result<SocketAddr> {
    if !proxies.trusts(peer.ip()) {
        return Err(refused(format!("a PROXY header from {peer}, which is no --trusted-proxy")));
    }
    let mut header = vec![0u8; 16];
    stream.read_exact(&mut header).await?;
    if header.starts_with(V2_SIGNATURE) {
        let length = u16::from_be_bytes([header[14], header[15]]) as usize;
        header.resize(16 + length, 0);
        stream.read_exact(&mut header[16..]).await?;
    } else {
        // Text: to its line break, a byte at a time (it is short).
        while !header.ends_with(b"\r\n") {
            if header.len() >= V1_MAX {
                return Err(refused("no PROXY header".into()));
            }
            header.push(stream.read_u8().await?);
        }
    }
    match HeaderResult::parse(&header) {
        HeaderResult::V1(Ok(h)) => Ok(match h.addresses {
            v1::Addresses::Tcp4(a) => SocketAddr::from((a.source_address, a.source_port)),
            v1::Addresses::Tcp6(a) => SocketAddr::from((a.source_address, a.source_port)),
            v1::Addresses::Unknown => peer,
        }),
        HeaderResult::V2(Ok(h)) => Ok(match h.addresses {
            v2::Addresses::IPv4(a) => SocketAddr::from((a.source_address, a.source_port)),
            v2::Addresses::IPv6(a) => SocketAddr::from((a.source_address, a.source_port)),
            _ => peer,
        }),
        _ => Err(refused("no PROXY header".into())),
    }
}

fn refused(why: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, why)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    async fn through(header: &[u8], peer_trusted: bool) -> (io::Result<SocketAddr>, Vec<u8>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut sent = header.to_vec();
        sent.extend_from_slice(b"GET / HTTP/1.1\r\n");
        let client = tokio::spawn(async move {
            let mut c = TcpStream::connect(addr).await.unwrap();
            c.write_all(&sent).await.unwrap();
            c
        });
        let (mut stream, peer) = listener.accept().await.unwrap();
        let _client = client.await.unwrap();
        let nets = if peer_trusted { vec!["127.0.0.0/8".parse().unwrap()] } else { vec![] };
        let client = read_header(&mut stream, peer, &Proxies::new(nets)).await;
        let mut rest = vec![0u8; 16];
        let n = if client.is_ok() { stream.read(&mut rest).await.unwrap() } else { 0 };
        rest.truncate(n);
        (client, rest)
    }

    #[tokio::test]
    async fn a_header_names_the_client_and_leaves_the_request_whole() {
        let (client, rest) = through(b"PROXY TCP4 203.0.113.7 10.0.0.1 51000 7878\r\n", true).await;
        assert_eq!(client.unwrap(), "203.0.113.7:51000".parse().unwrap());
        assert_eq!(rest, b"GET / HTTP/1.1\r\n");
        let v2 = v2::Builder::with_addresses(
            v2::Version::Two | v2::Command::Proxy,
            v2::Protocol::Stream,
            (
                "[2001:db8::7]:51000".parse::<SocketAddr>().unwrap(),
                "[2001:db8::1]:7878".parse::<SocketAddr>().unwrap(),
            ),
        )
        .build()
        .unwrap();
        let (client, rest) = through(&v2, true).await;
        assert_eq!(client.unwrap(), "[2001:db8::7]:51000".parse().unwrap());
        assert_eq!(rest, b"GET / HTTP/1.1\r\n");
    }

    #[tokio::test]
    async fn no_header_or_an_untrusted_sender_is_refused() {
        assert!(through(b"", true).await.0.is_err(), "a plain request");
        assert!(through(b"PROXY TCP4 203.0.113.7 10.0.0.1 51000 7878\r\n", false).await.0.is_err());
    }
}
