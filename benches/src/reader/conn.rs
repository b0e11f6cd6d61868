//! The RTSP connection of one reader: requests, responses (with an
//! authentication challenge answered once) and the framed receive buffer.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::io;
use std::net::TcpStream;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use onvif_rtsp_core::rtsp::auth::{Challenge, parse_challenge};
use onvif_rtsp_core::rtsp::{Decoder, DecoderLimits, Message, Response, StatusCode};
use smol::io::{AsyncReadExt, AsyncWriteExt};
use smol::{Async, Timer};

use super::ReaderLive;
use super::media::MediaStats;
use crate::framing::{FrameParser, Item};

/// A failure with the step it happened in.
#[derive(Debug)]
pub(super) struct StepError {
    step: &'static str,
    what: String,
}

impl fmt::Display for StepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.step, self.what)
    }
}

pub(super) fn step_err(step: &'static str, what: impl fmt::Display) -> StepError {
    StepError {
        step,
        what: what.to_string(),
    }
}

/// Text messages longer than this end the connection.
pub(super) const MAX_TEXT: usize = 256 * 1024;

/// The RTSP connection of one reader.
pub(super) struct Conn {
    pub(super) stream: Async<TcpStream>,
    pub(super) buf: Vec<u8>,
    pub(super) filled: usize,
    pub(super) parser: FrameParser,
    /// Raw text messages not yet looked at.
    pub(super) pending: VecDeque<Vec<u8>>,
    pub(super) media: Rc<RefCell<MediaStats>>,
    pub(super) live: Arc<ReaderLive>,
    pub(super) cseq: u32,
    pub(super) session: Option<String>,
    pub(super) session_timeout: Duration,
    pub(super) credentials: Option<(String, String)>,
    pub(super) challenge: Option<Challenge>,
    pub(super) timeout: Duration,
}

impl Conn {
    /// Reads once and frames what arrived. `Ok(0)` is end of stream.
    pub(super) async fn read_once(&mut self) -> io::Result<usize> {
        if self.filled == self.buf.len() {
            // Only a text message can fill the buffer; let it grow to the limit.
            let grown = (self.buf.len() * 2).min(MAX_TEXT + 1);
            if grown <= self.buf.len() {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "RTSP message too long",
                ));
            }
            self.buf.resize(grown, 0);
        }
        let n = self.stream.read(&mut self.buf[self.filled..]).await?;
        if n == 0 {
            return Ok(0);
        }
        self.live.bytes.fetch_add(n as u64, Ordering::Relaxed);
        let total = self.filled + n;
        let Conn {
            buf,
            parser,
            pending,
            media,
            ..
        } = self;
        let mut media = media.borrow_mut();
        let used = parser
            .parse(&buf[..total], |item| match item {
                Item::Frame { channel, len, head } => media.on_frame(channel, len, head),
                Item::Text(t) => pending.push_back(t.to_vec()),
            })
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        buf.copy_within(used..total, 0);
        self.filled = total - used;
        Ok(n)
    }

    /// Sends a request (answering an authentication challenge once) and
    /// waits for its response.
    pub(super) async fn request(
        &mut self,
        step: &'static str,
        method: &str,
        uri: &str,
        extra: &[(&str, &str)],
    ) -> Result<Response, StepError> {
        let mut answered_challenge = false;
        loop {
            let cseq = self
                .send(method, uri, extra)
                .await
                .map_err(|e| step_err(step, e))?;
            let resp = self.response(cseq).await.map_err(|e| step_err(step, e))?;
            if resp.status == StatusCode::UNAUTHORIZED
                && !answered_challenge
                && self.credentials.is_some()
            {
                let challenges: Vec<Challenge> = resp
                    .headers
                    .get_all("WWW-Authenticate")
                    .filter_map(parse_challenge)
                    .collect();
                let best = challenges
                    .iter()
                    .find(|c| matches!(c, Challenge::Digest { .. }))
                    .or(challenges.first());
                if let Some(c) = best {
                    self.challenge = Some(c.clone());
                    answered_challenge = true;
                    continue;
                }
            }
            if !resp.status.is_success() {
                return Err(step_err(step, format!("{} {}", resp.status.0, resp.reason)));
            }
            return Ok(resp);
        }
    }

    /// Writes a request; returns its CSeq.
    pub(super) async fn send(
        &mut self,
        method: &str,
        uri: &str,
        extra: &[(&str, &str)],
    ) -> io::Result<u32> {
        self.cseq += 1;
        let mut req = format!(
            "{method} {uri} RTSP/1.0\r\nCSeq: {}\r\nUser-Agent: rtsp-load\r\n",
            self.cseq
        );
        if let Some(s) = &self.session {
            req.push_str(&format!("Session: {s}\r\n"));
        }
        if let (Some(c), Some((user, pass))) = (&self.challenge, &self.credentials) {
            let cnonce = format!("{:08x}", self.cseq.wrapping_mul(0x9e37_79b9));
            req.push_str(&format!(
                "Authorization: {}\r\n",
                c.respond(user, pass, method, uri, &cnonce)
            ));
        }
        for (name, value) in extra {
            req.push_str(&format!("{name}: {value}\r\n"));
        }
        req.push_str("\r\n");
        let timeout = self.timeout;
        with_timeout(timeout, self.stream.write_all(req.as_bytes())).await?;
        Ok(self.cseq)
    }

    /// Waits for the response with this CSeq; frames arriving meanwhile are
    /// counted, other text messages ignored.
    pub(super) async fn response(&mut self, cseq: u32) -> io::Result<Response> {
        let deadline = Instant::now() + self.timeout;
        loop {
            while let Some(raw) = self.pending.pop_front() {
                if let Some(resp) = parse_response(&raw)?
                    && resp
                        .headers
                        .get("CSeq")
                        .and_then(|v| v.trim().parse::<u32>().ok())
                        == Some(cseq)
                {
                    return Ok(resp);
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if with_timeout(left, self.read_once()).await? == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "server closed the connection",
                ));
            }
        }
    }

    pub(super) fn take_session(&mut self, resp: &Response) {
        if let Some(v) = resp.headers.get("Session") {
            let mut parts = v.split(';');
            let id = parts.next().unwrap_or_default().trim();
            if !id.is_empty() {
                self.session = Some(id.to_owned());
            }
            for p in parts {
                if let Some((k, val)) = p.split_once('=')
                    && k.trim().eq_ignore_ascii_case("timeout")
                    && let Ok(secs) = val.trim().parse::<u64>()
                    && secs > 0
                {
                    self.session_timeout = Duration::from_secs(secs);
                }
            }
        }
    }

    /// How often to send a keepalive: half the session timeout, at least 1 s.
    pub(super) fn keepalive_interval(&self) -> Duration {
        (self.session_timeout / 2).max(Duration::from_secs(1))
    }
}

/// Parses one framed text message; `None` for a request from the server.
fn parse_response(raw: &[u8]) -> io::Result<Option<Response>> {
    let mut d = Decoder::new(DecoderLimits {
        max_body: MAX_TEXT,
        max_head: MAX_TEXT,
        ..DecoderLimits::default()
    });
    d.push(raw);
    match d.next_message() {
        Ok(Some(Message::Response(r))) => Ok(Some(r)),
        Ok(_) => Ok(None),
        Err(e) => Err(io::Error::new(io::ErrorKind::InvalidData, e.to_string())),
    }
}

/// Runs `fut`, failing with `TimedOut` after `d`.
pub(super) async fn with_timeout<T>(
    d: Duration,
    fut: impl Future<Output = io::Result<T>>,
) -> io::Result<T> {
    smol::future::or(fut, async {
        Timer::after(d).await;
        Err(io::Error::new(io::ErrorKind::TimedOut, "timed out"))
    })
    .await
}
