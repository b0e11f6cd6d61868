//! A minimal blocking RTSP client over a real socket, for black-box tests
//! that need to see exact status codes and interleaved packets. It reuses
//! the core's decoder to read what the server sends.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use bytes::Bytes;
use onvif_rtsp_core::rtsp::{Decoder, DecoderLimits, Message, Response};

/// A raw RTSP connection.
pub struct RawClient {
    stream: TcpStream,
    decoder: Decoder,
    cseq: u32,
    /// Interleaved packets received while waiting for responses.
    pub packets: Vec<(u8, Bytes)>,
}

impl RawClient {
    /// Connects to the server.
    pub fn connect(addr: SocketAddr) -> RawClient {
        let stream = TcpStream::connect(addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_millis(100)))
            .expect("timeout");
        RawClient::from_stream(stream)
    }

    /// Connects with a receive buffer of about `bytes` (set before the
    /// handshake, so the TCP window stays that small): a reader whose
    /// socket fills at once when it stops reading.
    pub fn connect_with_receive_buffer(addr: SocketAddr, bytes: usize) -> RawClient {
        let socket = socket2::Socket::new(
            socket2::Domain::for_address(addr),
            socket2::Type::STREAM,
            Some(socket2::Protocol::TCP),
        )
        .expect("socket");
        socket.set_recv_buffer_size(bytes).expect("SO_RCVBUF");
        socket.connect(&addr.into()).expect("connect");
        let stream: TcpStream = socket.into();
        stream
            .set_read_timeout(Some(Duration::from_millis(100)))
            .expect("timeout");
        RawClient::from_stream(stream)
    }

    fn from_stream(stream: TcpStream) -> RawClient {
        RawClient {
            stream,
            decoder: Decoder::new(DecoderLimits {
                max_body: 1 << 20,
                ..DecoderLimits::default()
            }),
            cseq: 0,
            packets: Vec::new(),
        }
    }

    /// Reads at most `chunk` bytes every `pause` for `d`, collecting the
    /// interleaved packets: a reader slower than the stream.
    pub fn collect_slowly(&mut self, d: Duration, chunk: usize, pause: Duration) -> usize {
        let before = self.packets.len();
        let deadline = Instant::now() + d;
        let mut buf = vec![0u8; chunk];
        while Instant::now() < deadline {
            match self.stream.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => self.decoder.push(&buf[..n]),
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(_) => break,
            }
            loop {
                match self.decoder.next_message() {
                    Ok(Some(Message::Interleaved { channel, data })) => {
                        self.packets.push((channel, data))
                    }
                    Ok(Some(_)) => {}
                    Ok(None) => break,
                    Err(e) => panic!("server sent undecodable bytes: {e}"),
                }
            }
            std::thread::sleep(pause);
        }
        self.packets.len() - before
    }

    /// Sends raw bytes.
    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("write");
    }

    /// Sends a request with the next CSeq and extra header lines, and waits
    /// for its response.
    pub fn request(&mut self, method: &str, url: &str, headers: &[(&str, &str)]) -> Response {
        self.cseq += 1;
        let mut text = format!("{method} {url} RTSP/1.0\r\nCSeq: {}\r\n", self.cseq);
        for (n, v) in headers {
            text.push_str(&format!("{n}: {v}\r\n"));
        }
        text.push_str("\r\n");
        self.send_raw(text.as_bytes());
        self.read_response(Duration::from_secs(20))
            .unwrap_or_else(|| panic!("no response to {method} {url}"))
    }

    /// Reads until a response arrives, collecting interleaved packets.
    pub fn read_response(&mut self, limit: Duration) -> Option<Response> {
        let deadline = Instant::now() + limit;
        loop {
            match self.decoder.next_message() {
                Ok(Some(Message::Response(r))) => return Some(r),
                Ok(Some(Message::Interleaved { channel, data })) => {
                    self.packets.push((channel, data))
                }
                Ok(Some(Message::Request(_))) => {}
                Ok(None) => {
                    if Instant::now() > deadline || !self.fill() {
                        return None;
                    }
                }
                Err(e) => panic!("server sent undecodable bytes: {e}"),
            }
        }
    }

    /// Collects interleaved packets for `d`.
    pub fn collect_for(&mut self, d: Duration) -> usize {
        let before = self.packets.len();
        let deadline = Instant::now() + d;
        while Instant::now() < deadline {
            match self.decoder.next_message() {
                Ok(Some(Message::Interleaved { channel, data })) => {
                    self.packets.push((channel, data))
                }
                Ok(Some(_)) => {}
                Ok(None) => {
                    if !self.fill() {
                        break;
                    }
                }
                Err(e) => panic!("server sent undecodable bytes: {e}"),
            }
        }
        self.packets.len() - before
    }

    /// Reads what is available; `false` when the server closed the connection.
    fn fill(&mut self) -> bool {
        let mut buf = [0u8; 65536];
        match self.stream.read(&mut buf) {
            Ok(0) => false,
            Ok(n) => {
                self.decoder.push(&buf[..n]);
                true
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                true
            }
            Err(_) => false,
        }
    }

    /// Whether the server has closed the connection (reads EOF within `d`).
    pub fn closed_within(&mut self, d: Duration) -> bool {
        let deadline = Instant::now() + d;
        while Instant::now() < deadline {
            if !self.fill() {
                return true;
            }
        }
        false
    }
}

/// The `Session` id of a response.
pub fn session_of(r: &Response) -> String {
    r.headers
        .get("Session")
        .and_then(|v| v.split(';').next())
        .expect("Session header")
        .trim()
        .to_owned()
}
