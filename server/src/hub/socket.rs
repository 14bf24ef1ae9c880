//! The server's side of one WebSocket (RFC 6455) on an upgraded HTTP connection,
//! made for the many connections that sit idle and the few frames that are large.
//!
//! tungstenite's `WebSocket` keeps a read buffer for the connection's whole life
//! (1 KiB here, a fifth of an idle connection) and a write buffer that keeps the
//! capacity of the largest frame it ever wrote: in a presence channel of 2,000
//! members every subscriber was sent a snapshot of ~100 KB, and kept its room.
//! Here a read goes into a buffer on the stack of the poll that makes it, and only
//! the bytes of a frame not yet whole stay (on the heap, until it is); frames are
//! written straight from their shared bytes by vectored writes, so nothing is
//! copied and nothing grows. tungstenite still parses and formats frame headers.
//!
//! Every method is a `poll_*` with no state of its own beyond the struct's: an
//! `async fn` holding a buffer across an `.await` would make every connection's
//! task that much larger, since a task is as large as its largest state.

use std::collections::VecDeque;
use std::io::{self, Cursor, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tungstenite::protocol::frame::FrameHeader;
use tungstenite::protocol::frame::coding::{Control, Data, OpCode};

use super::Frame;

/// The stream under a WebSocket the server accepted.
pub type Upgraded = TokioIo<hyper::upgrade::Upgraded>;

/// Bytes read per poll, into the poll's own stack.
const READ_CHUNK: usize = 4096;
/// Frames per vectored write (a header and a payload slice each).
const FRAMES_PER_WRITE: usize = 32;
/// The longest header of a frame the server writes (unmasked): 2 + 8 bytes.
const MAX_HEAD: usize = 10;
/// The longest payload of a control frame (RFC 6455, 5.5).
const MAX_CONTROL: u64 = 125;

/// A whole message (or control frame) from the client.
#[derive(Debug, PartialEq, Eq)]
pub enum Incoming {
    Text(String),
    Binary,
    Ping(Vec<u8>),
    Pong,
    /// The client closes, with its status code if it gave one.
    Close(Option<u16>),
}

/// Why reading stopped; past any of these the stream cannot be trusted.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error(transparent)]
    Io(#[from] io::Error),
    #[error("the peer closed the connection")]
    Eof,
    #[error("protocol error: {0}")]
    Protocol(&'static str),
    #[error("message larger than {0} bytes")]
    TooBig(usize),
    #[error("text message is not UTF-8")]
    NotUtf8,
}

impl ReadError {
    /// The close frame the server answers with, where one is owed.
    pub fn close(&self) -> Option<(u16, &'static str)> {
        match self {
            ReadError::Io(_) | ReadError::Eof => None,
            ReadError::Protocol(why) => Some((1002, why)),
            ReadError::TooBig(_) => Some((1009, "Message too big")),
            ReadError::NotUtf8 => Some((1007, "Text message is not UTF-8")),
        }
    }
}

/// One WebSocket, server side. See the module documentation.
pub struct Socket<S> {
    io: S,
    /// Bytes received and not yet taken as frames: empty, with no allocation,
    /// between frames.
    pending: Vec<u8>,
    /// A fragmented message so far, and whether it is text.
    message: Option<(Vec<u8>, bool)>,
    /// Bytes of the first frame of the batch being written already written.
    sent: usize,
    /// The longest frame and message taken from the client.
    max_message: usize,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Socket<S> {
    /// A WebSocket over `io`, taking client messages of at most `max_message` bytes.
    pub fn new(io: S, max_message: usize) -> Self {
        Socket { io, pending: Vec::new(), message: None, sent: 0, max_message }
    }

    /// Reads the next message. Cancel-safe: what was read stays for the next call.
    pub fn poll_read(&mut self, cx: &mut Context<'_>) -> Poll<Result<Incoming, ReadError>> {
        loop {
            if let Some(incoming) = self.take_frame()? {
                return Poll::Ready(Ok(incoming));
            }
            let mut chunk = [0u8; READ_CHUNK];
            let mut buf = ReadBuf::new(&mut chunk);
            ready!(Pin::new(&mut self.io).poll_read(cx, &mut buf))?;
            if buf.filled().is_empty() {
                return Poll::Ready(Err(ReadError::Eof));
            }
            self.pending.extend_from_slice(buf.filled());
        }
    }

    /// Takes the first whole frame of `pending`, if there is one, and answers the
    /// message it completes.
    fn take_frame(&mut self) -> Result<Option<Incoming>, ReadError> {
        loop {
            let mut cursor = Cursor::new(self.pending.as_slice());
            let parsed =
                FrameHeader::parse(&mut cursor).map_err(|_| ReadError::Protocol("Bad frame header"))?;
            let Some((header, len)) = parsed else { return Ok(None) };
            let head = cursor.position() as usize;
            if header.rsv1 || header.rsv2 || header.rsv3 {
                return Err(ReadError::Protocol("Reserved bits set without an extension"));
            }
            let Some(mask) = header.mask else {
                return Err(ReadError::Protocol("Client frames must be masked"));
            };
            let control = matches!(header.opcode, OpCode::Control(_));
            if control && (!header.is_final || len > MAX_CONTROL) {
                return Err(ReadError::Protocol("Control frames must be whole and at most 125 bytes"));
            }
            if len > self.max_message as u64 {
                return Err(ReadError::TooBig(self.max_message));
            }
            let end = head + len as usize;
            if self.pending.len() < end {
                // Room for the rest of the frame once, not once per read.
                self.pending.reserve(end - self.pending.len());
                return Ok(None);
            }
            let mut payload = self.pending[head..end].to_vec();
            unmask(&mut payload, mask);
            if end == self.pending.len() {
                self.pending = Vec::new();
            } else {
                self.pending.drain(..end);
            }
            match header.opcode {
                OpCode::Control(Control::Ping) => return Ok(Some(Incoming::Ping(payload))),
                OpCode::Control(Control::Pong) => return Ok(Some(Incoming::Pong)),
                OpCode::Control(Control::Close) => return close_of(&payload).map(Some),
                OpCode::Data(data @ (Data::Text | Data::Binary)) => {
                    if self.message.is_some() {
                        return Err(ReadError::Protocol("A new message began inside a fragmented one"));
                    }
                    let text = data == Data::Text;
                    if header.is_final {
                        return finish(payload, text).map(Some);
                    }
                    self.message = Some((payload, text));
                }
                OpCode::Data(Data::Continue) => {
                    let Some((so_far, _)) = &mut self.message else {
                        return Err(ReadError::Protocol("A continuation frame with no message to continue"));
                    };
                    if so_far.len() + payload.len() > self.max_message {
                        return Err(ReadError::TooBig(self.max_message));
                    }
                    so_far.extend_from_slice(&payload);
                    if header.is_final {
                        let (whole, text) = self.message.take().expect("a message is being assembled");
                        return finish(whole, text).map(Some);
                    }
                }
                // FrameHeader::parse refuses reserved opcodes.
                OpCode::Data(Data::Reserved(_)) | OpCode::Control(Control::Reserved(_)) => {
                    return Err(ReadError::Protocol("Reserved opcode"));
                }
            }
        }
    }

    /// Writes `frames` (text messages) from the front, removing each once it is
    /// written, then flushes. Cancel-safe in that a cancelled write leaves the
    /// stream mid-frame: the connection is to be dropped then, as after an error.
    pub fn poll_write(&mut self, cx: &mut Context<'_>, frames: &mut VecDeque<Frame>) -> Poll<io::Result<()>> {
        while !frames.is_empty() {
            let count = frames.len().min(FRAMES_PER_WRITE);
            let mut heads = [[0u8; MAX_HEAD]; FRAMES_PER_WRITE];
            let mut head_lens = [0usize; FRAMES_PER_WRITE];
            for (i, frame) in frames.iter().take(count).enumerate() {
                head_lens[i] = text_head(frame.len(), &mut heads[i]);
            }
            let mut slices = [IoSlice::new(&[]); 2 * FRAMES_PER_WRITE];
            let mut used = 0;
            let mut skip = self.sent;
            for (i, frame) in frames.iter().take(count).enumerate() {
                for part in [&heads[i][..head_lens[i]], frame.as_bytes()] {
                    if skip >= part.len() {
                        skip -= part.len();
                        continue;
                    }
                    slices[used] = IoSlice::new(&part[skip..]);
                    skip = 0;
                    used += 1;
                }
            }
            let wrote = ready!(Pin::new(&mut self.io).poll_write_vectored(cx, &slices[..used]))?;
            if wrote == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            let mut done = self.sent + wrote;
            while let Some(frame) = frames.front() {
                let whole = TEXT.len(frame.len() as u64) + frame.len();
                if done < whole {
                    break;
                }
                done -= whole;
                frames.pop_front();
            }
            self.sent = done;
        }
        Pin::new(&mut self.io).poll_flush(cx)
    }

    /// Whether a write stopped in the middle of a frame (the first of its batch,
    /// which then is still there): only that frame's rest may follow on the stream.
    pub fn mid_frame(&self) -> bool {
        self.sent > 0
    }

    /// Writes one control frame (a pong, a close) and flushes. For the rare frames
    /// only: its future holds the frame. Not while [`Socket::mid_frame`].
    pub async fn write_control(&mut self, control: Control, payload: &[u8]) -> io::Result<()> {
        if self.mid_frame() {
            return Err(io::Error::other("a frame is half written"));
        }
        let payload = &payload[..payload.len().min(MAX_CONTROL as usize)];
        let header = FrameHeader { opcode: OpCode::Control(control), ..FrameHeader::default() };
        let mut frame = Vec::with_capacity(2 + payload.len());
        header.format(payload.len() as u64, &mut frame).map_err(io::Error::other)?;
        frame.extend_from_slice(payload);
        self.io.write_all(&frame).await?;
        self.io.flush().await
    }

    /// Writes a close frame with `code` and `reason`.
    pub async fn write_close(&mut self, code: u16, reason: &str) -> io::Result<()> {
        let mut payload = code.to_be_bytes().to_vec();
        payload.extend_from_slice(reason.as_bytes());
        self.write_control(Control::Close, &payload).await
    }
}

/// The header of every frame the server writes: final, unmasked text.
const TEXT: FrameHeader = FrameHeader {
    is_final: true,
    rsv1: false,
    rsv2: false,
    rsv3: false,
    opcode: OpCode::Data(Data::Text),
    mask: None,
};

/// Writes the header of a text frame of `len` bytes into `out`; answers its length.
fn text_head(len: usize, out: &mut [u8; MAX_HEAD]) -> usize {
    let mut rest = &mut out[..];
    TEXT.format(len as u64, &mut rest).expect("a header fits in ten bytes");
    MAX_HEAD - rest.len()
}

fn unmask(payload: &mut [u8], mask: [u8; 4]) {
    for (i, byte) in payload.iter_mut().enumerate() {
        *byte ^= mask[i & 3];
    }
}

fn finish(payload: Vec<u8>, text: bool) -> Result<Incoming, ReadError> {
    if !text {
        return Ok(Incoming::Binary);
    }
    String::from_utf8(payload).map(Incoming::Text).map_err(|_| ReadError::NotUtf8)
}

/// A close frame's status code; its payload is empty or a code and a UTF-8 reason.
fn close_of(payload: &[u8]) -> Result<Incoming, ReadError> {
    match payload {
        [] => Ok(Incoming::Close(None)),
        [_] => Err(ReadError::Protocol("A close frame's code takes two bytes")),
        [a, b, reason @ ..] => {
            std::str::from_utf8(reason).map_err(|_| ReadError::NotUtf8)?;
            Ok(Incoming::Close(Some(u16::from_be_bytes([*a, *b]))))
        }
    }
}

#[cfg(test)]
mod tests {
    use std::future::poll_fn;

    use tokio::io::{AsyncReadExt, DuplexStream, duplex};

    use super::*;

    /// A client's frame: masked, as RFC 6455 requires of clients.
    fn client_frame(opcode: OpCode, is_final: bool, payload: &[u8]) -> Vec<u8> {
        let mask = [0x12, 0x34, 0x56, 0x78];
        let header = FrameHeader { is_final, opcode, mask: Some(mask), ..FrameHeader::default() };
        let mut out = Vec::new();
        header.format(payload.len() as u64, &mut out).unwrap();
        let mut body = payload.to_vec();
        unmask(&mut body, mask);
        out.extend_from_slice(&body);
        out
    }

    fn pair(max: usize) -> (Socket<DuplexStream>, DuplexStream) {
        let (server, client) = duplex(1 << 20);
        (Socket::new(server, max), client)
    }

    async fn read(socket: &mut Socket<DuplexStream>) -> Result<Incoming, ReadError> {
        poll_fn(|cx| socket.poll_read(cx)).await
    }

    #[tokio::test]
    async fn messages_arrive_whole_whether_split_across_reads_or_fragmented() {
        let (mut socket, mut client) = pair(1024);
        let text = OpCode::Data(Data::Text);
        let mut bytes = client_frame(text, true, "first".as_bytes());
        bytes.extend(client_frame(text, false, "sec".as_bytes()));
        bytes.extend(client_frame(OpCode::Control(Control::Ping), true, b"p"));
        bytes.extend(client_frame(OpCode::Data(Data::Continue), true, "ond ✓".as_bytes()));
        // One byte at a time: every frame boundary falls inside a read.
        let writer = tokio::spawn(async move {
            for b in bytes {
                client.write_all(&[b]).await.unwrap();
                tokio::task::yield_now().await;
            }
            client
        });
        assert_eq!(read(&mut socket).await.unwrap(), Incoming::Text("first".into()));
        assert_eq!(
            read(&mut socket).await.unwrap(),
            Incoming::Ping(b"p".to_vec()),
            "a ping between fragments"
        );
        assert_eq!(read(&mut socket).await.unwrap(), Incoming::Text("second ✓".into()));
        assert!(socket.pending.capacity() == 0 && socket.message.is_none(), "nothing kept between messages");
        drop(writer.await.unwrap());
        assert!(matches!(read(&mut socket).await, Err(ReadError::Eof)));
    }

    #[tokio::test]
    async fn bad_frames_are_refused_with_their_close_codes() {
        let text = OpCode::Data(Data::Text);
        let unmasked = {
            let mut out = Vec::new();
            FrameHeader { opcode: text, ..FrameHeader::default() }.format(2, &mut out).unwrap();
            out.extend_from_slice(b"hi");
            out
        };
        let mut rsv = client_frame(text, true, b"x");
        rsv[0] |= 0x40;
        let cases: Vec<(Vec<u8>, u16)> = vec![
            (unmasked, 1002),
            (rsv, 1002),
            (client_frame(OpCode::Data(Data::Continue), true, b"x"), 1002),
            (client_frame(OpCode::Control(Control::Ping), false, b"x"), 1002),
            (client_frame(OpCode::Control(Control::Ping), true, &[0; 126]), 1002),
            (client_frame(text, true, &[0xff, 0xfe]), 1007),
            (client_frame(text, true, &[b'a'; 65]), 1009),
            (
                [
                    client_frame(text, false, &[b'a'; 40]),
                    client_frame(OpCode::Data(Data::Continue), true, &[b'a'; 40]),
                ]
                .concat(),
                1009,
            ),
            ([client_frame(text, false, b"a"), client_frame(text, true, b"b")].concat(), 1002),
            (client_frame(OpCode::Control(Control::Close), true, b"x"), 1002),
            (vec![0x83, 0x80, 0, 0, 0, 0], 1002),
        ];
        for (bytes, code) in cases {
            let (mut socket, mut client) = pair(64);
            client.write_all(&bytes).await.unwrap();
            let error = read(&mut socket).await.expect_err("refused");
            assert_eq!(error.close().map(|(c, _)| c), Some(code), "{bytes:02x?}: {error}");
        }
    }

    #[tokio::test]
    async fn a_close_gives_its_code() {
        let (mut socket, mut client) = pair(64);
        let close = OpCode::Control(Control::Close);
        client.write_all(&client_frame(close, true, &[0x03, 0xe8, b'b', b'y', b'e'])).await.unwrap();
        client.write_all(&client_frame(close, true, &[])).await.unwrap();
        assert_eq!(read(&mut socket).await.unwrap(), Incoming::Close(Some(1000)));
        assert_eq!(read(&mut socket).await.unwrap(), Incoming::Close(None));
    }

    /// Reads server frames (unmasked) off `client` until `n` texts have come.
    async fn texts(client: &mut DuplexStream, n: usize) -> Vec<String> {
        let mut bytes = Vec::new();
        let mut out = Vec::new();
        while out.len() < n {
            let mut chunk = [0u8; 8192];
            let got = client.read(&mut chunk).await.unwrap();
            assert!(got > 0, "the server's side ended early");
            bytes.extend_from_slice(&chunk[..got]);
            loop {
                let mut cursor = Cursor::new(bytes.as_slice());
                let Some((header, len)) = FrameHeader::parse(&mut cursor).unwrap() else { break };
                let head = cursor.position() as usize;
                if bytes.len() < head + len as usize {
                    break;
                }
                assert!(header.mask.is_none() && header.is_final);
                assert_eq!(header.opcode, OpCode::Data(Data::Text));
                out.push(String::from_utf8(bytes[head..head + len as usize].to_vec()).unwrap());
                bytes.drain(..head + len as usize);
            }
        }
        out
    }

    #[tokio::test]
    async fn a_batch_goes_out_in_order_through_short_writes_and_leaves_nothing_behind() {
        // A pipe smaller than the batch: writes are short and resume mid-frame.
        let (server, mut client) = duplex(1000);
        let mut socket = Socket::new(server, 64);
        let mut sizes: Vec<usize> = vec![0, 1, 125, 126, 65_535, 65_536, 200_000];
        sizes.extend((0..70).map(|i| 10 + i));
        let sent: Vec<String> =
            sizes.iter().enumerate().map(|(i, n)| format!("{i}:{}", "x".repeat(*n))).collect();
        let mut frames: VecDeque<Frame> = sent.iter().cloned().map(Frame::from).collect();
        let reader = tokio::spawn({
            let n = sent.len();
            async move { texts(&mut client, n).await }
        });
        poll_fn(|cx| socket.poll_write(cx, &mut frames)).await.unwrap();
        assert!(frames.is_empty());
        assert_eq!(socket.sent, 0);
        assert_eq!(reader.await.unwrap(), sent);
    }

    /// A message as a client may send it: its payload, in how many fragments.
    #[derive(Debug, Clone)]
    struct Sent {
        text: String,
        fragments: usize,
        ping_inside: bool,
    }

    fn sent() -> impl proptest::strategy::Strategy<Value = Sent> {
        use proptest::prelude::*;
        ("\\PC{0,300}", 1usize..4, any::<bool>()).prop_map(|(text, fragments, ping_inside)| Sent {
            text,
            fragments,
            ping_inside,
        })
    }

    /// The bytes of `message` as frames: split into fragments at character
    /// boundaries, with a ping after the first when asked.
    fn frames_of(message: &Sent) -> Vec<u8> {
        let chars: Vec<char> = message.text.chars().collect();
        let per = chars.len().div_ceil(message.fragments).max(1);
        let parts: Vec<String> = chars.chunks(per).map(|c| c.iter().collect()).collect();
        let parts = if parts.is_empty() { vec![String::new()] } else { parts };
        let mut out = Vec::new();
        for (i, part) in parts.iter().enumerate() {
            let opcode = if i == 0 { OpCode::Data(Data::Text) } else { OpCode::Data(Data::Continue) };
            out.extend(client_frame(opcode, i + 1 == parts.len(), part.as_bytes()));
            if i == 0 && message.ping_inside && parts.len() > 1 {
                out.extend(client_frame(OpCode::Control(Control::Ping), true, b"!"));
            }
        }
        out
    }

    proptest::proptest! {
        /// Whatever the messages and however the stream is cut into reads, they
        /// arrive whole, in order, each ping where it was.
        #[test]
        fn any_messages_cut_anywhere_arrive_whole(
            messages in proptest::collection::vec(sent(), 1..8),
            cuts in proptest::collection::vec(1usize..64, 1..32),
        ) {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async {
                let (mut socket, mut client) = pair(4096);
                let bytes: Vec<u8> = messages.iter().flat_map(frames_of).collect();
                let writer = tokio::spawn(async move {
                    let mut at = 0;
                    for cut in cuts.iter().cycle() {
                        if at >= bytes.len() {
                            break;
                        }
                        let end = (at + cut).min(bytes.len());
                        client.write_all(&bytes[at..end]).await.unwrap();
                        at = end;
                        tokio::task::yield_now().await;
                    }
                    client
                });
                for message in &messages {
                    if message.ping_inside && message.text.chars().count() > 1 && message.fragments > 1 {
                        assert_eq!(read(&mut socket).await.unwrap(), Incoming::Ping(b"!".to_vec()));
                    }
                    assert_eq!(read(&mut socket).await.unwrap(), Incoming::Text(message.text.clone()));
                }
                drop(writer.await.unwrap());
                assert!(matches!(read(&mut socket).await, Err(ReadError::Eof)));
            });
        }

        /// Any bytes at all: the reader answers messages or an error, never a panic,
        /// and keeps no more than one frame's worth.
        #[test]
        fn any_bytes_end_in_messages_or_an_error(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2048)) {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async {
                let (mut socket, mut client) = pair(512);
                client.write_all(&bytes).await.unwrap();
                drop(client);
                for _ in 0..=bytes.len() {
                    match read(&mut socket).await {
                        Ok(_) => assert!(socket.pending.len() <= bytes.len()),
                        Err(_) => return,
                    }
                }
                panic!("more messages than bytes");
            });
        }
    }
}
