//! Incremental RTSP/1.0 decoder.
//!
//! One byte stream carries requests, responses and `$`-interleaved binary
//! frames (RFC 2326 section 10.12) in any order, possibly split or pipelined
//! across reads. The decoder buffers what it is given and yields whole
//! messages. Every dimension an attacker controls is limited
//! ([`DecoderLimits`]); once an error is returned the decoder stays failed,
//! because a byte stream cannot be resynchronized after a framing error.

use bytes::{Buf, Bytes, BytesMut};

use super::message::{Headers, Method, Request, Response, StatusCode};

/// Limits on what a peer may send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecoderLimits {
    /// Longest request, status or header line.
    pub max_line: usize,
    /// Most header lines in one message.
    pub max_headers: usize,
    /// Largest header block (start line and headers, terminators included).
    pub max_head: usize,
    /// Largest `Content-Length` body.
    pub max_body: usize,
}

impl Default for DecoderLimits {
    fn default() -> Self {
        DecoderLimits {
            max_line: 8 * 1024,
            max_headers: 64,
            max_head: 32 * 1024,
            max_body: 64 * 1024,
        }
    }
}

/// One item of the byte stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    /// An RTSP request.
    Request(Request),
    /// An RTSP response.
    Response(Response),
    /// A `$`-framed binary packet (RTP or RTCP) on an interleaved channel.
    Interleaved {
        /// The channel byte.
        channel: u8,
        /// The packet.
        data: Bytes,
    },
}

/// Why the byte stream could not be decoded. The status says how a server
/// should answer before closing the connection.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// A line longer than [`DecoderLimits::max_line`].
    LineTooLong {
        /// Byte offset of the line in the message.
        at: usize,
    },
    /// More header lines than [`DecoderLimits::max_headers`].
    TooManyHeaders,
    /// A header block larger than [`DecoderLimits::max_head`].
    HeadTooLarge,
    /// A body larger than [`DecoderLimits::max_body`].
    BodyTooLarge {
        /// The announced `Content-Length`.
        length: usize,
    },
    /// A line that is not valid RTSP.
    Malformed {
        /// What was wrong.
        what: &'static str,
        /// 1-based line number within the message.
        line: usize,
    },
    /// A protocol version other than RTSP/1.0 (or 1.x).
    UnsupportedVersion,
}

impl DecodeError {
    /// The status a server answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            DecodeError::BodyTooLarge { .. } => StatusCode::REQUEST_ENTITY_TOO_LARGE,
            DecodeError::UnsupportedVersion => StatusCode::VERSION_NOT_SUPPORTED,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::LineTooLong { at } => write!(f, "line too long at byte {at}"),
            DecodeError::TooManyHeaders => write!(f, "too many header lines"),
            DecodeError::HeadTooLarge => write!(f, "header block too large"),
            DecodeError::BodyTooLarge { length } => write!(f, "body of {length} bytes too large"),
            DecodeError::Malformed { what, line } => write!(f, "malformed {what} on line {line}"),
            DecodeError::UnsupportedVersion => write!(f, "unsupported RTSP version"),
        }
    }
}

impl std::error::Error for DecodeError {}

/// The incremental decoder.
#[derive(Debug)]
pub struct Decoder {
    limits: DecoderLimits,
    buf: BytesMut,
    /// How far the search for the end of the header block has got, so a head
    /// that arrives a byte at a time is scanned once, not quadratically.
    scanned: usize,
    failed: Option<DecodeError>,
}

impl Decoder {
    /// A decoder with the given limits.
    pub fn new(limits: DecoderLimits) -> Decoder {
        Decoder {
            limits,
            buf: BytesMut::new(),
            scanned: 0,
            failed: None,
        }
    }

    /// Appends received bytes.
    pub fn push(&mut self, data: &[u8]) {
        if self.failed.is_none() {
            self.buf.extend_from_slice(data);
        }
    }

    /// Bytes buffered but not yet decoded.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// The next whole message, `Ok(None)` when more bytes are needed.
    pub fn next_message(&mut self) -> Result<Option<Message>, DecodeError> {
        if let Some(err) = &self.failed {
            return Err(err.clone());
        }
        match self.decode() {
            Ok(m) => Ok(m),
            Err(err) => {
                self.failed = Some(err.clone());
                self.buf = BytesMut::new();
                Err(err)
            }
        }
    }

    fn decode(&mut self) -> Result<Option<Message>, DecodeError> {
        // Tolerate stray line breaks between messages (some clients send a
        // CRLF keepalive, RFC 2326 section 10.12 allows it).
        while matches!(self.buf.first(), Some(b'\r' | b'\n')) {
            self.buf.advance(1);
            self.scanned = 0;
        }
        match self.buf.first() {
            None => Ok(None),
            Some(b'$') => Ok(self.decode_interleaved()),
            Some(_) => self.decode_text(),
        }
    }

    fn decode_interleaved(&mut self) -> Option<Message> {
        if self.buf.len() < 4 {
            return None;
        }
        let channel = self.buf[1];
        let len = usize::from(u16::from_be_bytes([self.buf[2], self.buf[3]]));
        if self.buf.len() < 4 + len {
            self.buf.reserve(4 + len - self.buf.len());
            return None;
        }
        self.buf.advance(4);
        let data = self.buf.split_to(len).freeze();
        Some(Message::Interleaved { channel, data })
    }

    fn decode_text(&mut self) -> Result<Option<Message>, DecodeError> {
        let Some(head_len) = self.find_head_end()? else {
            return Ok(None);
        };
        let (start, headers) = parse_head(&self.buf[..head_len], &self.limits)?;
        let body_len = match headers.get("Content-Length") {
            None => 0,
            Some(v) => v
                .trim()
                .parse::<usize>()
                .map_err(|_| DecodeError::Malformed {
                    what: "Content-Length",
                    line: 0,
                })?,
        };
        if body_len > self.limits.max_body {
            return Err(DecodeError::BodyTooLarge { length: body_len });
        }
        if self.buf.len() < head_len + body_len {
            return Ok(None);
        }
        self.buf.advance(head_len);
        let body = self.buf.split_to(body_len).freeze();
        self.scanned = 0;
        Ok(Some(match start {
            StartLine::Request { method, uri } => Message::Request(Request {
                method,
                uri,
                headers,
                body,
            }),
            StartLine::Response { status, reason } => Message::Response(Response {
                status,
                reason,
                headers,
                body,
            }),
        }))
    }

    /// Length of the header block including its blank line, once complete.
    fn find_head_end(&mut self) -> Result<Option<usize>, DecodeError> {
        let buf = &self.buf[..];
        let mut line_start = buf[..self.scanned]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
        let mut i = self.scanned;
        while i < buf.len() {
            if buf[i] == b'\n' {
                let line = &buf[line_start..i];
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                if line.is_empty() {
                    return Ok(Some(i + 1));
                }
                line_start = i + 1;
            } else if i - line_start >= self.limits.max_line {
                return Err(DecodeError::LineTooLong { at: line_start });
            }
            if i >= self.limits.max_head {
                return Err(DecodeError::HeadTooLarge);
            }
            i += 1;
        }
        self.scanned = i;
        Ok(None)
    }
}

enum StartLine {
    Request { method: Method, uri: String },
    Response { status: StatusCode, reason: String },
}

fn parse_head(head: &[u8], limits: &DecoderLimits) -> Result<(StartLine, Headers), DecodeError> {
    let text = std::str::from_utf8(head).map_err(|_| DecodeError::Malformed {
        what: "non-UTF-8 header block",
        line: 0,
    })?;
    let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let first = lines.next().unwrap_or_default();
    let start = parse_start_line(first)?;
    let mut headers = Headers::new();
    for (n, line) in lines.enumerate() {
        if line.is_empty() {
            break;
        }
        let line_no = n + 2;
        if line.starts_with([' ', '\t']) {
            return Err(DecodeError::Malformed {
                what: "folded header line",
                line: line_no,
            });
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(DecodeError::Malformed {
                what: "header line without ':'",
                line: line_no,
            });
        };
        if name.is_empty() || !name.bytes().all(is_token_byte) {
            return Err(DecodeError::Malformed {
                what: "header name",
                line: line_no,
            });
        }
        if headers.len() >= limits.max_headers {
            return Err(DecodeError::TooManyHeaders);
        }
        headers.append(name, value.trim());
    }
    Ok((start, headers))
}

fn parse_start_line(line: &str) -> Result<StartLine, DecodeError> {
    let malformed = |what| DecodeError::Malformed { what, line: 1 };
    if let Some(rest) = line.strip_prefix("RTSP/") {
        let (version, rest) = rest.split_once(' ').ok_or(malformed("status line"))?;
        check_version(version)?;
        let (code, reason) = rest.split_once(' ').unwrap_or((rest, ""));
        let code: u16 = code.parse().map_err(|_| malformed("status code"))?;
        if !(100..1000).contains(&code) {
            return Err(malformed("status code"));
        }
        return Ok(StartLine::Response {
            status: StatusCode(code),
            reason: reason.to_owned(),
        });
    }
    let mut parts = line.split(' ').filter(|p| !p.is_empty());
    let (Some(method), Some(uri), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed("request line"));
    };
    if !method.bytes().all(is_token_byte) {
        return Err(malformed("method"));
    }
    let version = version.strip_prefix("RTSP/").ok_or(malformed("protocol"))?;
    check_version(version)?;
    Ok(StartLine::Request {
        method: Method::from_token(method),
        uri: uri.to_owned(),
    })
}

fn check_version(version: &str) -> Result<(), DecodeError> {
    match version.split_once('.') {
        Some(("1", minor)) if minor.bytes().all(|b| b.is_ascii_digit()) => Ok(()),
        Some((major, _)) if major.bytes().all(|b| b.is_ascii_digit()) => {
            Err(DecodeError::UnsupportedVersion)
        }
        _ => Err(DecodeError::Malformed {
            what: "version",
            line: 1,
        }),
    }
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(input: &[u8]) -> Vec<Result<Message, DecodeError>> {
        let mut d = Decoder::new(DecoderLimits::default());
        d.push(input);
        let mut out = Vec::new();
        loop {
            match d.next_message() {
                Ok(Some(m)) => out.push(Ok(m)),
                Ok(None) => break,
                Err(e) => {
                    out.push(Err(e));
                    break;
                }
            }
        }
        out
    }

    #[test]
    fn pipelined_requests_and_interleaved_frames() {
        let input = b"OPTIONS rtsp://h/p RTSP/1.0\r\nCSeq: 1\r\n\r\n$\x01\x00\x03abcGET_PARAMETER rtsp://h/p RTSP/1.0\r\nCSeq: 2\r\nContent-Length: 4\r\n\r\nbody";
        let msgs = decode_all(input);
        assert_eq!(msgs.len(), 3);
        let Ok(Message::Request(r)) = &msgs[0] else {
            panic!()
        };
        assert_eq!(r.method, Method::Options);
        assert_eq!(r.cseq(), Some("1"));
        assert_eq!(
            msgs[1],
            Ok(Message::Interleaved {
                channel: 1,
                data: Bytes::from_static(b"abc")
            })
        );
        let Ok(Message::Request(r)) = &msgs[2] else {
            panic!()
        };
        assert_eq!(r.method, Method::GetParameter);
        assert_eq!(&r.body[..], b"body");
    }

    #[test]
    fn byte_at_a_time_gives_the_same_messages() {
        let input: &[u8] = b"DESCRIBE rtsp://h/p RTSP/1.0\nCSeq: 7\nAccept: application/sdp\n\n$\x00\x00\x02hiRTSP/1.0 200 OK\r\nCSeq: 7\r\n\r\n";
        let whole = decode_all(input);
        let mut d = Decoder::new(DecoderLimits::default());
        let mut pieces = Vec::new();
        for b in input {
            d.push(std::slice::from_ref(b));
            while let Some(m) = d.next_message().unwrap() {
                pieces.push(Ok(m));
            }
        }
        assert_eq!(whole, pieces);
        assert_eq!(whole.len(), 3);
    }

    #[test]
    fn limits_are_enforced() {
        let limits = DecoderLimits::default();
        let long = format!(
            "OPTIONS rtsp://h/{} RTSP/1.0\r\n\r\n",
            "a".repeat(limits.max_line)
        );
        assert!(matches!(
            decode_all(long.as_bytes())[0],
            Err(DecodeError::LineTooLong { .. })
        ));
        let mut many = String::from("OPTIONS * RTSP/1.0\r\n");
        for i in 0..=limits.max_headers {
            many.push_str(&format!("X-{i}: v\r\n"));
        }
        many.push_str("\r\n");
        assert_eq!(
            decode_all(many.as_bytes())[0],
            Err(DecodeError::TooManyHeaders)
        );
        let big = "SET_PARAMETER * RTSP/1.0\r\nContent-Length: 99999999\r\n\r\n";
        let err = decode_all(big.as_bytes()).remove(0).unwrap_err();
        assert_eq!(err.status(), StatusCode::REQUEST_ENTITY_TOO_LARGE);
    }

    #[test]
    fn errors_are_sticky_and_never_panic() {
        let mut d = Decoder::new(DecoderLimits::default());
        d.push(b"GARBAGE\r\n\r\nOPTIONS * RTSP/1.0\r\n\r\n");
        assert!(d.next_message().is_err());
        assert!(d.next_message().is_err());
        for input in [
            &b"OPTIONS * HTTP/1.1\r\n\r\n"[..],
            b"OPTIONS * RTSP/2.0\r\n\r\n",
            b"RTSP/1.0 abc OK\r\n\r\n",
            b"OPTIONS * RTSP/1.0\r\nno colon\r\n\r\n",
            b"OPTIONS * RTSP/1.0\r\nContent-Length: -1\r\n\r\n",
            b"\xff\xfe * RTSP/1.0\r\n\r\n",
        ] {
            assert!(decode_all(input)[0].is_err(), "{input:?}");
        }
        assert_eq!(
            decode_all(b"OPTIONS * RTSP/2.0\r\n\r\n")[0],
            Err(DecodeError::UnsupportedVersion)
        );
    }

    #[test]
    fn serializer_round_trips() {
        let mut resp = Response::new(StatusCode::OK);
        resp.headers.append("CSeq", "3");
        resp.body = Bytes::from_static(b"v=0\r\n");
        let mut out = Vec::new();
        resp.write_to(&mut out);
        assert_eq!(
            out,
            b"RTSP/1.0 200 OK\r\nCSeq: 3\r\nContent-Length: 5\r\n\r\nv=0\r\n"
        );
        let msgs = decode_all(&out);
        resp.headers.append("Content-Length", "5");
        assert_eq!(msgs, vec![Ok(Message::Response(resp))]);
    }
}
