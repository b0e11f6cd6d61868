//! The incremental HTTP/1.1 request decoder.
//!
//! Bytes go in with [`RequestDecoder::push`] in whatever pieces the socket
//! delivered (a byte at a time works, and so do several pipelined requests
//! in one read); whole requests come out of [`RequestDecoder::next`]. The
//! head is parsed by `httparse` once it is complete; the end of the head is
//! searched incrementally, so a head trickling in byte by byte is scanned
//! once, not quadratically.
//!
//! Every dimension a peer controls is limited ([`DecoderLimits`]) and each
//! violation maps to the status RFC 9110 names for it ([`HttpError::status`]):
//! 414 for a long request line, 431 for a large or crowded header block,
//! 413 for a large body, 501 for a transfer coding other than `chunked`,
//! 505 for a version other than 1.0/1.1, 417 for an unknown expectation and
//! 400 for the rest. Errors are sticky: a byte stream cannot be
//! resynchronized after a framing error, so the connection must answer and
//! close.

use bytes::{Buf, Bytes, BytesMut};

use super::message::{Request, StatusCode, Version};
use crate::rtsp::message::Headers;

/// Limits on what a peer may send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecoderLimits {
    /// Longest request line (method, target, version), in bytes.
    pub max_request_line: usize,
    /// Largest header block (request line and fields), and also the
    /// largest trailer block of a chunked body.
    pub max_head: usize,
    /// Most header fields in one request.
    pub max_headers: usize,
    /// Largest body, after de-chunking.
    pub max_body: usize,
}

impl Default for DecoderLimits {
    /// 8 KiB request line, 32 KiB head, 64 fields, 1 MiB body: a SOAP
    /// request with a WS-Security header is a few KiB.
    fn default() -> Self {
        DecoderLimits {
            max_request_line: 8 * 1024,
            max_head: 32 * 1024,
            max_headers: 64,
            max_body: 1024 * 1024,
        }
    }
}

impl DecoderLimits {
    /// Most bytes the decoder buffers before refusing more: one whole
    /// request plus slack for pipelined ones.
    pub fn max_buffered(&self) -> usize {
        self.max_head
            .saturating_add(self.max_body)
            .saturating_add(64 * 1024)
    }
}

/// Longest chunk-size line (size, extensions, CRLF) accepted.
const MAX_CHUNK_LINE: usize = 1024;

/// One thing the decoder produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decoded {
    /// The request being read carries `Expect: 100-continue`, its head is
    /// acceptable and no body byte has arrived yet: write
    /// [`super::CONTINUE_100`] now, then keep feeding bytes.
    Continue,
    /// A whole request.
    Request(Request),
}

/// Why the byte stream could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HttpError {
    /// The request line is longer than [`DecoderLimits::max_request_line`].
    RequestLineTooLong,
    /// The header (or trailer) block is larger than [`DecoderLimits::max_head`].
    HeadTooLarge,
    /// More fields than [`DecoderLimits::max_headers`].
    TooManyHeaders,
    /// The body is larger than [`DecoderLimits::max_body`].
    BodyTooLarge {
        /// The announced `Content-Length`, when there was one.
        length: Option<u64>,
    },
    /// Something that is not valid HTTP/1.1.
    Malformed {
        /// What was wrong.
        what: &'static str,
        /// Offset in the connection's byte stream of the request it is in.
        at: u64,
    },
    /// A version other than HTTP/1.0 and HTTP/1.1.
    UnsupportedVersion,
    /// A transfer coding other than `chunked`.
    UnsupportedTransferCoding {
        /// The whole `Transfer-Encoding` value.
        coding: String,
    },
    /// An `Expect` other than `100-continue`.
    ExpectationFailed,
    /// The peer pipelined more than [`DecoderLimits::max_buffered`] bytes
    /// while a request was being answered (reported by [`super::ServerConn`]).
    BufferOverflow,
}

impl HttpError {
    /// The status a server answers with before closing the connection.
    pub fn status(&self) -> StatusCode {
        match self {
            HttpError::RequestLineTooLong => StatusCode::URI_TOO_LONG,
            HttpError::HeadTooLarge | HttpError::TooManyHeaders => {
                StatusCode::HEADER_FIELDS_TOO_LARGE
            }
            HttpError::BodyTooLarge { .. } => StatusCode::CONTENT_TOO_LARGE,
            HttpError::UnsupportedVersion => StatusCode::VERSION_NOT_SUPPORTED,
            HttpError::UnsupportedTransferCoding { .. } => StatusCode::NOT_IMPLEMENTED,
            HttpError::ExpectationFailed => StatusCode::EXPECTATION_FAILED,
            HttpError::Malformed { .. } | HttpError::BufferOverflow => StatusCode::BAD_REQUEST,
        }
    }

    /// The plain-text response announcing the error; the connection closes
    /// after it.
    pub fn response(&self) -> super::Response {
        super::Response::plain(self.status(), &self.to_string()).header("Connection", "close")
    }
}

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HttpError::RequestLineTooLong => f.write_str("request line too long"),
            HttpError::HeadTooLarge => f.write_str("header block too large"),
            HttpError::TooManyHeaders => f.write_str("too many header fields"),
            HttpError::BodyTooLarge { length: Some(n) } => {
                write!(f, "body of {n} bytes too large")
            }
            HttpError::BodyTooLarge { length: None } => f.write_str("body too large"),
            HttpError::Malformed { what, at } => {
                write!(f, "malformed request at byte {at}: {what}")
            }
            HttpError::UnsupportedVersion => f.write_str("HTTP version not supported"),
            HttpError::UnsupportedTransferCoding { coding } => {
                write!(f, "transfer coding {coding:?} not supported")
            }
            HttpError::ExpectationFailed => f.write_str("unsupported expectation"),
            HttpError::BufferOverflow => f.write_str("too much unanswered data"),
        }
    }
}

impl std::error::Error for HttpError {}

/// A parsed head waiting for its body.
#[derive(Debug)]
struct Head {
    method: String,
    target: String,
    version: Version,
    headers: Headers,
}

#[derive(Debug)]
enum ChunkPhase {
    /// Expecting a chunk-size line.
    Size,
    /// Inside chunk data.
    Data { remaining: usize },
    /// Expecting the CRLF after chunk data.
    DataEnd,
    /// After the last chunk: trailer fields until an empty line.
    Trailers { bytes: usize },
}

#[derive(Debug)]
enum State {
    /// Waiting for a request head.
    Head,
    /// Reading a `Content-Length` body.
    Body { head: Head, length: usize },
    /// Reading a chunked body.
    Chunked {
        head: Head,
        body: Vec<u8>,
        phase: ChunkPhase,
    },
    /// The last request said the connection closes: nothing more is read.
    Done,
}

/// How a request's body is delimited.
enum Framing {
    Length(usize),
    Chunked,
}

/// The incremental request decoder of one connection.
#[derive(Debug)]
pub struct RequestDecoder {
    limits: DecoderLimits,
    buf: BytesMut,
    /// Stream offset of `buf[0]`.
    offset: u64,
    /// How far the search for the end of the head has got.
    scanned: usize,
    /// Whether the request line of the head being read was found short enough.
    line_checked: bool,
    state: State,
    failed: Option<HttpError>,
}

impl RequestDecoder {
    /// A decoder with the given limits.
    pub fn new(limits: DecoderLimits) -> RequestDecoder {
        RequestDecoder {
            limits,
            buf: BytesMut::new(),
            offset: 0,
            scanned: 0,
            line_checked: false,
            state: State::Head,
            failed: None,
        }
    }

    /// The limits in force.
    pub fn limits(&self) -> &DecoderLimits {
        &self.limits
    }

    /// Appends received bytes. Bytes after a failure or after a request
    /// that closes the connection are dropped. Memory stays bounded as long
    /// as the caller drains [`RequestDecoder::next`] after each push: what
    /// remains buffered is then at most one partial request, which the
    /// limits bound. A caller that must stop draining (a request is being
    /// answered) bounds the buffer itself, as [`super::ServerConn`] does with
    /// [`DecoderLimits::max_buffered`].
    pub fn push(&mut self, data: &[u8]) {
        if self.failed.is_some() || matches!(self.state, State::Done) {
            return;
        }
        self.buf.extend_from_slice(data);
    }

    /// Bytes buffered and not yet decoded.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Whether the decoder will produce nothing more: it failed, or the last
    /// request closes the connection.
    pub fn is_finished(&self) -> bool {
        self.failed.is_some() || matches!(self.state, State::Done)
    }

    /// The next decoded item, `Ok(None)` when more bytes are needed (or the
    /// connection is done). Once an error is returned, every later call
    /// returns it again.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<Decoded>, HttpError> {
        if let Some(err) = &self.failed {
            return Err(err.clone());
        }
        self.step().inspect_err(|err| self.fail(err.clone()))
    }

    fn fail(&mut self, err: HttpError) {
        self.failed = Some(err);
        self.buf = BytesMut::new();
        self.state = State::Done;
    }

    fn consume(&mut self, n: usize) {
        self.buf.advance(n);
        self.offset += n as u64;
    }

    fn step(&mut self) -> Result<Option<Decoded>, HttpError> {
        loop {
            match &mut self.state {
                State::Done => return Ok(None),
                State::Head => {
                    let Some(head) = self.read_head()? else {
                        return Ok(None);
                    };
                    let framing = framing(&head, &self.limits, self.offset)?;
                    let continue_expected = expects_continue(&head)?;
                    match framing {
                        Framing::Length(0) => return Ok(Some(self.finish(head, Bytes::new()))),
                        Framing::Length(length) => {
                            self.buf.reserve(length.saturating_sub(self.buf.len()));
                            self.state = State::Body { head, length };
                        }
                        Framing::Chunked => {
                            self.state = State::Chunked {
                                head,
                                body: Vec::new(),
                                phase: ChunkPhase::Size,
                            }
                        }
                    }
                    if continue_expected && self.buf.is_empty() {
                        return Ok(Some(Decoded::Continue));
                    }
                }
                State::Body { length, .. } => {
                    let length = *length;
                    if self.buf.len() < length {
                        return Ok(None);
                    }
                    let body = self.buf.split_to(length).freeze();
                    self.offset += length as u64;
                    let State::Body { head, .. } = std::mem::replace(&mut self.state, State::Head)
                    else {
                        return Ok(None);
                    };
                    return Ok(Some(self.finish(head, body)));
                }
                State::Chunked { .. } => {
                    if !self.read_chunks()? {
                        return Ok(None);
                    }
                    let State::Chunked { head, body, .. } =
                        std::mem::replace(&mut self.state, State::Head)
                    else {
                        return Ok(None);
                    };
                    return Ok(Some(self.finish(head, Bytes::from(body))));
                }
            }
        }
    }

    /// Turns a head and body into a request and gets ready for the next.
    fn finish(&mut self, head: Head, body: Bytes) -> Decoded {
        let request = Request {
            method: head.method,
            target: head.target,
            version: head.version,
            headers: head.headers,
            body,
        };
        if request.keep_alive() {
            self.state = State::Head;
        } else {
            self.state = State::Done;
            self.buf = BytesMut::new();
        }
        Decoded::Request(request)
    }

    /// Finds and parses a complete head; `None` when more bytes are needed.
    fn read_head(&mut self) -> Result<Option<Head>, HttpError> {
        // RFC 9112 section 2.2: ignore empty lines before a request line.
        if self.scanned == 0 {
            let blank = self
                .buf
                .iter()
                .take_while(|&&b| b == b'\r' || b == b'\n')
                .count();
            self.consume(blank);
        }
        let Some(end) = self.find_head_end()? else {
            return Ok(None);
        };
        let at = self.offset;
        let mut fields = vec![httparse::EMPTY_HEADER; self.limits.max_headers];
        let mut parsed = httparse::Request::new(&mut fields);
        match parsed.parse(&self.buf[..end]) {
            Ok(httparse::Status::Complete(_)) => {}
            Ok(httparse::Status::Partial) => {
                return Err(HttpError::Malformed {
                    what: "incomplete header block",
                    at,
                });
            }
            Err(httparse::Error::TooManyHeaders) => return Err(HttpError::TooManyHeaders),
            Err(httparse::Error::Version) => return Err(HttpError::UnsupportedVersion),
            Err(e) => {
                return Err(HttpError::Malformed {
                    what: httparse_problem(e),
                    at,
                });
            }
        }
        let version = match parsed.version {
            Some(0) => Version::Http10,
            Some(1) => Version::Http11,
            _ => return Err(HttpError::UnsupportedVersion),
        };
        let (Some(method), Some(target)) = (parsed.method, parsed.path) else {
            return Err(HttpError::Malformed {
                what: "request line",
                at,
            });
        };
        let mut headers = Headers::new();
        for field in parsed.headers.iter() {
            headers.append(
                field.name,
                String::from_utf8_lossy(field.value).into_owned(),
            );
        }
        let head = Head {
            method: method.to_owned(),
            target: target.to_owned(),
            version,
            headers,
        };
        self.consume(end);
        self.scanned = 0;
        self.line_checked = false;
        Ok(Some(head))
    }

    /// The length of the head (through its blank line) once it is all
    /// buffered; enforces the request-line and head limits on the way.
    fn find_head_end(&mut self) -> Result<Option<usize>, HttpError> {
        let buf = &self.buf[..];
        let mut i = self.scanned;
        while let Some(rel) = buf[i..].iter().position(|&b| b == b'\n') {
            let nl = i + rel;
            if !self.line_checked {
                if nl > self.limits.max_request_line {
                    return Err(HttpError::RequestLineTooLong);
                }
                self.line_checked = true;
            }
            match (buf.get(nl + 1), buf.get(nl + 2)) {
                (Some(b'\n'), _) => return self.head_fits(nl + 2),
                (Some(b'\r'), Some(b'\n')) => return self.head_fits(nl + 3),
                (None, _) | (Some(b'\r'), None) => {
                    i = nl;
                    break;
                }
                _ => i = nl + 1,
            }
        }
        if !buf[i..].contains(&b'\n') {
            i = buf.len();
        }
        self.scanned = i;
        if !self.line_checked && buf.len() > self.limits.max_request_line {
            return Err(HttpError::RequestLineTooLong);
        }
        if buf.len() > self.limits.max_head {
            return Err(HttpError::HeadTooLarge);
        }
        Ok(None)
    }

    fn head_fits(&self, end: usize) -> Result<Option<usize>, HttpError> {
        if end > self.limits.max_head {
            Err(HttpError::HeadTooLarge)
        } else {
            Ok(Some(end))
        }
    }

    /// Advances through a chunked body; `true` once it is complete
    /// (trailers consumed and dropped).
    fn read_chunks(&mut self) -> Result<bool, HttpError> {
        let at = self.offset;
        let RequestDecoder {
            limits,
            buf,
            offset,
            state,
            ..
        } = self;
        let State::Chunked { body, phase, .. } = state else {
            return Ok(false);
        };
        let malformed = |what| HttpError::Malformed { what, at };
        loop {
            match phase {
                ChunkPhase::Size => {
                    let Some(nl) = buf.iter().position(|&b| b == b'\n') else {
                        if buf.len() > MAX_CHUNK_LINE {
                            return Err(malformed("chunk size line too long"));
                        }
                        return Ok(false);
                    };
                    if nl > MAX_CHUNK_LINE {
                        return Err(malformed("chunk size line too long"));
                    }
                    let line = &buf[..nl];
                    let line = line.strip_suffix(b"\r").unwrap_or(line);
                    let size_part = line.split(|&b| b == b';').next().unwrap_or(&[]);
                    let size = parse_chunk_size(size_part).ok_or(malformed("chunk size"))?;
                    if size > limits.max_body.saturating_sub(body.len()) {
                        return Err(HttpError::BodyTooLarge { length: None });
                    }
                    buf.advance(nl + 1);
                    *offset += (nl + 1) as u64;
                    *phase = if size == 0 {
                        ChunkPhase::Trailers { bytes: 0 }
                    } else {
                        body.reserve(size);
                        ChunkPhase::Data { remaining: size }
                    };
                }
                ChunkPhase::Data { remaining } => {
                    if buf.is_empty() {
                        return Ok(false);
                    }
                    let n = (*remaining).min(buf.len());
                    body.extend_from_slice(&buf[..n]);
                    buf.advance(n);
                    *offset += n as u64;
                    *remaining -= n;
                    if *remaining == 0 {
                        *phase = ChunkPhase::DataEnd;
                    }
                }
                ChunkPhase::DataEnd => {
                    let n = match (buf.first(), buf.get(1)) {
                        (Some(b'\n'), _) => 1,
                        (Some(b'\r'), Some(b'\n')) => 2,
                        (None, _) | (Some(b'\r'), None) => return Ok(false),
                        _ => return Err(malformed("missing CRLF after chunk data")),
                    };
                    buf.advance(n);
                    *offset += n as u64;
                    *phase = ChunkPhase::Size;
                }
                ChunkPhase::Trailers { bytes } => {
                    let Some(nl) = buf.iter().position(|&b| b == b'\n') else {
                        if bytes.saturating_add(buf.len()) > limits.max_head {
                            return Err(HttpError::HeadTooLarge);
                        }
                        return Ok(false);
                    };
                    let empty = nl == 0 || (nl == 1 && buf[0] == b'\r');
                    buf.advance(nl + 1);
                    *offset += (nl + 1) as u64;
                    *bytes += nl + 1;
                    if *bytes > limits.max_head {
                        return Err(HttpError::HeadTooLarge);
                    }
                    if empty {
                        return Ok(true);
                    }
                }
            }
        }
    }
}

/// Parses a chunk size: 1 to 16 hex digits, optional trailing whitespace.
fn parse_chunk_size(s: &[u8]) -> Option<usize> {
    let s = s.trim_ascii_end();
    if s.is_empty() || s.len() > 16 {
        return None;
    }
    let mut n: u64 = 0;
    for &b in s {
        let d = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            b'A'..=b'F' => b - b'A' + 10,
            _ => return None,
        };
        n = n << 4 | u64::from(d);
    }
    Some(usize::try_from(n).unwrap_or(usize::MAX))
}

/// Decides how the body is delimited (RFC 9112 section 6.3) and checks the
/// fields whose duplication would let two parsers disagree.
fn framing(head: &Head, limits: &DecoderLimits, at: u64) -> Result<Framing, HttpError> {
    let malformed = |what| HttpError::Malformed { what, at };
    if head.headers.get_all("Host").count() > 1 {
        return Err(malformed("more than one Host field"));
    }
    let codings: Vec<&str> = head.headers.get_all("Transfer-Encoding").collect();
    let lengths: Vec<&str> = head.headers.get_all("Content-Length").collect();
    if !codings.is_empty() {
        if head.version == Version::Http10 {
            return Err(malformed("Transfer-Encoding in an HTTP/1.0 request"));
        }
        if !lengths.is_empty() {
            return Err(malformed("both Transfer-Encoding and Content-Length"));
        }
        let tokens: Vec<String> = codings
            .iter()
            .flat_map(|v| v.split(','))
            .map(|t| {
                t.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            })
            .filter(|t| !t.is_empty() && t != "identity")
            .collect();
        return match tokens.as_slice() {
            [] => Ok(Framing::Length(0)),
            [only] if only == "chunked" => Ok(Framing::Chunked),
            _ => Err(HttpError::UnsupportedTransferCoding {
                coding: codings.join(", "),
            }),
        };
    }
    let mut length: Option<u64> = None;
    for value in lengths.iter().flat_map(|v| v.split(',')).map(str::trim) {
        if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
            return Err(malformed("Content-Length"));
        }
        let n = value
            .parse::<u64>()
            .map_err(|_| HttpError::BodyTooLarge { length: None })?;
        if length.is_some_and(|l| l != n) {
            return Err(malformed("conflicting Content-Length values"));
        }
        length = Some(n);
    }
    match length {
        None => Ok(Framing::Length(0)),
        Some(n) if n > limits.max_body as u64 => Err(HttpError::BodyTooLarge { length: Some(n) }),
        Some(n) => Ok(Framing::Length(n as usize)),
    }
}

/// Whether an interim `100 Continue` is expected; fails on any other
/// expectation (HTTP/1.0 requests' `Expect` is ignored, RFC 9110 10.1.1).
fn expects_continue(head: &Head) -> Result<bool, HttpError> {
    if head.version == Version::Http10 {
        return Ok(false);
    }
    let mut continue_expected = false;
    for value in head.headers.get_all("Expect") {
        for token in value.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            if token.eq_ignore_ascii_case("100-continue") {
                continue_expected = true;
            } else {
                return Err(HttpError::ExpectationFailed);
            }
        }
    }
    Ok(continue_expected)
}

fn httparse_problem(e: httparse::Error) -> &'static str {
    match e {
        httparse::Error::HeaderName => "invalid header field name",
        httparse::Error::HeaderValue => "invalid header field value",
        httparse::Error::NewLine => "invalid line ending",
        httparse::Error::Token => "invalid method or request target",
        httparse::Error::Status => "invalid status",
        httparse::Error::TooManyHeaders => "too many header fields",
        httparse::Error::Version => "invalid version",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoder() -> RequestDecoder {
        RequestDecoder::new(DecoderLimits::default())
    }

    fn all(d: &mut RequestDecoder) -> Result<Vec<Decoded>, HttpError> {
        let mut out = Vec::new();
        while let Some(x) = d.next()? {
            out.push(x);
        }
        Ok(out)
    }

    fn request(d: Decoded) -> Request {
        match d {
            Decoded::Request(r) => r,
            Decoded::Continue => panic!("expected a request"),
        }
    }

    const SOAP_POST: &[u8] = b"POST /onvif/device_service HTTP/1.1\r\nHost: 10.0.0.2:8000\r\nContent-Type: application/soap+xml; charset=utf-8\r\nContent-Length: 5\r\n\r\nhello";

    #[test]
    fn content_length_body() {
        let mut d = decoder();
        d.push(SOAP_POST);
        let got = all(&mut d).unwrap();
        assert_eq!(got.len(), 1);
        let r = request(got[0].clone());
        assert_eq!(r.method, "POST");
        assert_eq!(r.target, "/onvif/device_service");
        assert_eq!(r.version, Version::Http11);
        assert_eq!(r.host(), Some("10.0.0.2:8000"));
        assert_eq!(&r.body[..], b"hello");
        assert!(r.keep_alive());
        assert_eq!(d.buffered(), 0);
    }

    #[test]
    fn byte_at_a_time_equals_all_at_once() {
        let stream = [
            SOAP_POST,
            b"\r\nPOST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n0\r\nX-Trailer: y\r\n\r\n",
            b"GET /snapshot?token=1 HTTP/1.0\r\n\r\n",
            b"GET /never HTTP/1.1\r\n\r\n",
        ]
        .concat();
        let mut whole = decoder();
        whole.push(&stream);
        let expected = all(&mut whole).unwrap();
        assert_eq!(expected.len(), 3, "{expected:?}");
        let mut d = decoder();
        let mut got = Vec::new();
        for b in &stream {
            d.push(std::slice::from_ref(b));
            got.extend(all(&mut d).unwrap());
        }
        assert_eq!(got, expected);
        assert_eq!(&request(got[1].clone()).body[..], b"abc");
        assert!(d.is_finished());
    }

    #[test]
    fn pipelined_requests_and_bare_lf() {
        let mut d = decoder();
        d.push(b"GET /a HTTP/1.1\nHost: h\n\nGET /b HTTP/1.1\r\nHost: h\r\n\r\nGET /c HTT");
        let got = all(&mut d).unwrap();
        let targets: Vec<_> = got.into_iter().map(|x| request(x).target).collect();
        assert_eq!(targets, ["/a", "/b"]);
        d.push(b"P/1.1\r\nConnection: close\r\n\r\nGET /d HTTP/1.1\r\n\r\n");
        let got = all(&mut d).unwrap();
        assert_eq!(got.len(), 1);
        assert!(!request(got[0].clone()).keep_alive());
        assert!(d.is_finished());
    }

    #[test]
    fn expect_100_continue() {
        let mut d = decoder();
        d.push(b"POST /x HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n");
        assert_eq!(d.next().unwrap(), Some(Decoded::Continue));
        assert_eq!(d.next().unwrap(), None);
        d.push(b"abc");
        assert_eq!(&request(d.next().unwrap().unwrap()).body[..], b"abc");
        // Body already there: no interim response needed.
        d.push(b"POST /x HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nz");
        assert!(matches!(d.next().unwrap(), Some(Decoded::Request(_))));
        // Too large: refused before the client sends it.
        d.push(b"POST /x HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 99999999\r\n\r\n");
        let e = d.next().unwrap_err();
        assert_eq!(e.status(), StatusCode::CONTENT_TOO_LARGE);
        let mut d = decoder();
        d.push(b"POST /x HTTP/1.1\r\nExpect: something-else\r\n\r\n");
        assert_eq!(d.next().unwrap_err(), HttpError::ExpectationFailed);
        let mut d = decoder();
        d.push(b"POST /x HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n");
        assert_eq!(d.next().unwrap(), None);
    }

    fn status_of(input: &[u8]) -> u16 {
        let mut d = decoder();
        d.push(input);
        let err = d.next().unwrap_err();
        // Sticky.
        assert_eq!(d.next().unwrap_err(), err);
        d.push(b"GET / HTTP/1.1\r\n\r\n");
        assert_eq!(d.next().unwrap_err(), err);
        err.status().0
    }

    #[test]
    fn limits_map_to_statuses() {
        let long_target = format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(9000));
        assert_eq!(status_of(long_target.as_bytes()), 414);
        // Even before the line ends.
        assert_eq!(status_of(&vec![b'A'; 9000]), 414);
        let big_head = format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "b".repeat(40_000));
        assert_eq!(status_of(big_head.as_bytes()), 431);
        let many = format!("GET / HTTP/1.1\r\n{}\r\n", "X: 1\r\n".repeat(65));
        assert_eq!(status_of(many.as_bytes()), 431);
        assert_eq!(
            status_of(b"POST / HTTP/1.1\r\nContent-Length: 1048577\r\n\r\n"),
            413
        );
        assert_eq!(
            status_of(b"POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n"),
            413
        );
        assert_eq!(
            status_of(b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"),
            501
        );
        assert_eq!(status_of(b"GET / HTTP/2.0\r\n\r\n"), 505);
        assert_eq!(status_of(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), 505);
    }

    #[test]
    fn malformed_input_is_400() {
        for input in [
            &b"GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"[..],
            b"GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
            b"GET / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
            b"GET / HTTP/1.1\r\nBad Header: x\r\n\r\n",
            b"GET / HTTP/1.1\r\n folded: x\r\n\r\n",
            b"G\0T / HTTP/1.1\r\n\r\n",
            b"GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            b"GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n",
            b"GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n11111111111111111\r\n",
        ] {
            assert_eq!(
                status_of(input),
                400,
                "{:?}",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn chunked_limits() {
        let mut d = RequestDecoder::new(DecoderLimits {
            max_body: 10,
            ..DecoderLimits::default()
        });
        d.push(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n");
        assert_eq!(d.next().unwrap_err().status().0, 413);
        let mut d = decoder();
        d.push(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
        d.push(&[b'1'; 2000]);
        assert_eq!(d.next().unwrap_err().status().0, 400);
        let mut d = decoder();
        d.push(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n");
        for _ in 0..2000 {
            d.push(b"X-T: aaaaaaaaaaaaaaaaaaaa\r\n");
        }
        assert_eq!(d.next().unwrap_err().status().0, 431);
        let mut d = decoder();
        d.push(b"POST / HTTP/1.1\r\nTransfer-Encoding: Identity\r\n\r\n");
        assert_eq!(request(d.next().unwrap().unwrap()).body.len(), 0);
    }

    #[test]
    fn large_pushes_are_decoded_whole() {
        let mut d = decoder();
        let body = vec![b'x'; 1024 * 1024];
        let mut wire = b"POST / HTTP/1.1\r\nContent-Length: 1048576\r\n\r\n".to_vec();
        wire.extend_from_slice(&body);
        wire.extend_from_slice(&wire.clone());
        d.push(&wire);
        let got = all(&mut d).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(d.buffered(), 0);
    }

    #[test]
    fn never_panics_on_random_bytes() {
        let mut rng = crate::rng::Rng::new(3);
        for _ in 0..2000 {
            let len = rng.below(200) as usize;
            let mut input: Vec<u8> = b"POST / HTTP/1.1\r\n".to_vec();
            let alphabet = b"\r\n:; 0123456789abcdefXTE-chunkedContent-Length\x00\xff";
            for _ in 0..len {
                input.push(alphabet[rng.below(alphabet.len() as u64) as usize]);
            }
            let mut d = decoder();
            for piece in input.chunks(1 + rng.below(7) as usize) {
                d.push(piece);
                let _ = all(&mut d);
            }
        }
    }
}
