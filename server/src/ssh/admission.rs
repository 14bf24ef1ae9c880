//! Who gets in at the SSH door, and for how long they may stand in it. A
//! connection that has not yet signed in with a key is a *startup*: startups are
//! capped in all and per source address (as OpenSSH's `MaxStartups` and
//! `PerSourceMaxStartups`), and each has a deadline to sign in (`LoginGraceTime`),
//! past which its socket is cut whatever russh is doing with it. Only a signed-in
//! connection takes one of the `--ssh-max-sessions` slots, so silent or slow
//! connections can neither hold the sessions' slots nor stay.

use std::collections::HashMap;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Sleep;

/// The door's counts, shared by every connection.
pub struct Door {
    max_startups: usize,
    per_source: usize,
    max_sessions: usize,
    startups: Mutex<HashMap<IpAddr, usize>>,
    sessions: Arc<Semaphore>,
}

/// Why a connection was not let in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// As many connections as [`Door::max_startups`] are signing in.
    Startups,
    /// As many from this source.
    Source,
}

impl Door {
    pub fn new(max_startups: usize, per_source: usize, max_sessions: usize) -> Door {
        Door {
            max_startups: max_startups.max(1),
            per_source: per_source.max(1),
            max_sessions,
            startups: Mutex::new(HashMap::new()),
            sessions: Arc::new(Semaphore::new(max_sessions)),
        }
    }

    /// Lets a new connection from `peer` start signing in, if there is room.
    pub fn enter(self: &Arc<Door>, peer: IpAddr) -> Result<Startup, Refused> {
        let source = source(peer);
        let mut startups = self.startups.lock().unwrap_or_else(PoisonError::into_inner);
        let total: usize = startups.values().sum();
        if total >= self.max_startups {
            return Err(Refused::Startups);
        }
        let from_here = startups.entry(source).or_default();
        if *from_here >= self.per_source {
            return Err(Refused::Source);
        }
        *from_here += 1;
        Ok(Startup { door: self.clone(), source })
    }

    /// Signed-in sessions now.
    pub fn sessions(&self) -> usize {
        self.max_sessions.saturating_sub(self.sessions.available_permits())
    }

    /// A session's slot for a connection that signed in, if one is free.
    pub fn session(&self) -> Option<OwnedSemaphorePermit> {
        self.sessions.clone().try_acquire_owned().ok()
    }

    /// Connections signing in now.
    #[cfg(test)]
    fn startups(&self) -> usize {
        self.startups.lock().unwrap_or_else(PoisonError::into_inner).values().sum()
    }
}

/// Where a connection comes from, for the per-source cap: its IPv4 address, or
/// its IPv6 /64 (a host holds a whole /64 and may use any address in it).
fn source(peer: IpAddr) -> IpAddr {
    match peer {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let net = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(net.into())
            }
        },
        v4 => v4,
    }
}

/// A connection signing in: counted until it signs in or goes.
pub struct Startup {
    door: Arc<Door>,
    source: IpAddr,
}

impl Drop for Startup {
    fn drop(&mut self) {
        let mut startups = self.door.startups.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(n) = startups.get_mut(&self.source) {
            *n -= 1;
            if *n == 0 {
                startups.remove(&self.source);
            }
        }
    }
}

/// Set once the connection has signed in: its deadline no longer holds.
#[derive(Debug, Clone, Default)]
pub struct SignedIn(Arc<AtomicBool>);

impl SignedIn {
    pub fn set(&self) {
        self.0.store(true, Ordering::Release);
    }

    fn get(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

/// A connection's socket with a deadline to sign in: past it, unless signed in,
/// every read and write fails, which ends the connection wherever it was (the
/// version exchange, the key exchange, authentication).
pub struct Deadline<S> {
    inner: S,
    deadline: Pin<Box<Sleep>>,
    signed_in: SignedIn,
}

impl<S> Deadline<S> {
    pub fn new(inner: S, grace: Duration, signed_in: SignedIn) -> Self {
        Deadline { inner, deadline: Box::pin(tokio::time::sleep(grace)), signed_in }
    }

    /// An error once the deadline has passed without a sign-in; registers for
    /// the deadline's wake-up otherwise.
    fn check(&mut self, cx: &mut Context<'_>) -> std::io::Result<()> {
        if self.signed_in.get() || self.deadline.as_mut().poll(cx).is_pending() {
            return Ok(());
        }
        Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "no sign-in within the grace time"))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Deadline<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        if let Err(e) = self.check(cx) {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Deadline<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        if let Err(e) = self.check(cx) {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn startups_are_capped_in_all_and_per_source() {
        let door = Arc::new(Door::new(5, 2, 10));
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let first = door.enter(a).unwrap();
        let _second = door.enter(a).unwrap();
        assert_eq!(door.enter(a).err(), Some(Refused::Source));
        let others: Vec<_> = (0..3).map(|_| door.enter(b)).collect();
        assert_eq!(others.iter().filter(|o| o.is_ok()).count(), 2);
        let c: IpAddr = "10.0.0.3".parse().unwrap();
        let _c = door.enter(c).unwrap();
        assert_eq!(door.enter("10.0.0.4".parse().unwrap()).err(), Some(Refused::Startups));
        drop(first);
        assert_eq!(door.startups(), 4);
        assert!(door.enter(a).is_ok(), "a startup that went leaves room");
    }

    #[test]
    fn an_ipv6_host_is_one_source_and_a_mapped_ipv4_its_address() {
        let one: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let same: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(source(one), source(same));
        assert_ne!(source(one), source(other));
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
        assert_eq!(source(mapped), "10.0.0.1".parse::<IpAddr>().unwrap());
    }

    // The clock is the test's: it moves only when everything waits.
    #[tokio::test(start_paused = true)]
    async fn a_socket_past_its_deadline_fails_unless_signed_in() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let (ours, mut theirs) = tokio::io::duplex(64);
        let mut late = Deadline::new(ours, Duration::from_millis(20), SignedIn::default());
        // Nothing comes: the read fails at the deadline rather than waiting on.
        let err = late.read(&mut [0; 8]).await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
        assert!(late.write_all(b"x").await.is_err());

        let (ours, mut other) = tokio::io::duplex(64);
        let signed_in = SignedIn::default();
        let mut on_time = Deadline::new(ours, Duration::from_millis(20), signed_in.clone());
        signed_in.set();
        tokio::time::advance(Duration::from_millis(40)).await;
        other.write_all(b"hi").await.unwrap();
        let mut got = [0; 2];
        on_time.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"hi");
        theirs.shutdown().await.unwrap();
    }
}
