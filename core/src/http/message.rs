//! HTTP/1.1 requests and responses (RFC 9110, RFC 9112): the decoded request,
//! the response a service builds, and the response serializer.

use bytes::Bytes;

use super::target::{Target, TargetError, parse_target};
use crate::rtsp::message::Headers;

/// The protocol version of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Version {
    /// `HTTP/1.0`: the connection closes after the response unless the
    /// request asked for `Connection: keep-alive`.
    Http10,
    /// `HTTP/1.1`: the connection stays open unless either side says
    /// `Connection: close`.
    Http11,
}

impl Version {
    /// The version as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Version::Http10 => "HTTP/1.0",
            Version::Http11 => "HTTP/1.1",
        }
    }
}

/// A whole HTTP request: head and de-chunked body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// The method token exactly as sent (`POST`, `GET`...); methods are
    /// case-sensitive.
    pub method: String,
    /// The request target exactly as sent (`/onvif/device_service`,
    /// `http://host/path?x=1`, `*`); see [`Request::target`].
    pub target: String,
    /// The protocol version.
    pub version: Version,
    /// The header fields in order (the trailer fields of a chunked body are
    /// dropped).
    pub headers: Headers,
    /// The body, after removing any chunked transfer coding.
    pub body: Bytes,
}

impl Request {
    /// Whether the connection may carry another request after this one:
    /// HTTP/1.1 unless `Connection: close`; HTTP/1.0 only with
    /// `Connection: keep-alive`.
    pub fn keep_alive(&self) -> bool {
        let mut close = false;
        let mut keep_alive = false;
        for value in self.headers.get_all("Connection") {
            for token in value.split(',').map(str::trim) {
                close |= token.eq_ignore_ascii_case("close");
                keep_alive |= token.eq_ignore_ascii_case("keep-alive");
            }
        }
        match self.version {
            _ if close => false,
            Version::Http11 => true,
            Version::Http10 => keep_alive,
        }
    }

    /// The `Host` header, trimmed, when present and non-empty.
    pub fn host(&self) -> Option<&str> {
        self.headers
            .get("Host")
            .map(str::trim)
            .filter(|h| !h.is_empty())
    }

    /// The request target split into path and query.
    pub fn target(&self) -> Result<Target<'_>, TargetError> {
        parse_target(&self.target)
    }

    /// How a response to this request must be framed.
    pub fn reply_to(&self) -> ReplyTo {
        ReplyTo {
            version: self.version,
            keep_alive: self.keep_alive(),
            head: self.method == "HEAD",
        }
    }
}

/// What the serializer needs to know about the request a response answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplyTo {
    /// The request's version; the status line echoes HTTP/1.0 to 1.0 clients.
    pub version: Version,
    /// Whether the connection stays open after the response.
    pub keep_alive: bool,
    /// A `HEAD` request: the body is not sent, its length is.
    pub head: bool,
}

impl ReplyTo {
    /// Framing for an answer sent before or instead of reading a request
    /// (decoding errors): HTTP/1.1, connection closed afterwards.
    pub fn closing() -> ReplyTo {
        ReplyTo {
            version: Version::Http11,
            keep_alive: false,
            head: false,
        }
    }
}

/// An HTTP status code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StatusCode(pub u16);

impl StatusCode {
    /// 100 Continue
    pub const CONTINUE: StatusCode = StatusCode(100);
    /// 200 OK
    pub const OK: StatusCode = StatusCode(200);
    /// 202 Accepted
    pub const ACCEPTED: StatusCode = StatusCode(202);
    /// 204 No Content
    pub const NO_CONTENT: StatusCode = StatusCode(204);
    /// 400 Bad Request
    pub const BAD_REQUEST: StatusCode = StatusCode(400);
    /// 401 Unauthorized
    pub const UNAUTHORIZED: StatusCode = StatusCode(401);
    /// 403 Forbidden
    pub const FORBIDDEN: StatusCode = StatusCode(403);
    /// 404 Not Found
    pub const NOT_FOUND: StatusCode = StatusCode(404);
    /// 405 Method Not Allowed
    pub const METHOD_NOT_ALLOWED: StatusCode = StatusCode(405);
    /// 408 Request Timeout
    pub const REQUEST_TIMEOUT: StatusCode = StatusCode(408);
    /// 413 Content Too Large
    pub const CONTENT_TOO_LARGE: StatusCode = StatusCode(413);
    /// 414 URI Too Long
    pub const URI_TOO_LONG: StatusCode = StatusCode(414);
    /// 415 Unsupported Media Type
    pub const UNSUPPORTED_MEDIA_TYPE: StatusCode = StatusCode(415);
    /// 417 Expectation Failed
    pub const EXPECTATION_FAILED: StatusCode = StatusCode(417);
    /// 429 Too Many Requests
    pub const TOO_MANY_REQUESTS: StatusCode = StatusCode(429);
    /// 431 Request Header Fields Too Large
    pub const HEADER_FIELDS_TOO_LARGE: StatusCode = StatusCode(431);
    /// 500 Internal Server Error
    pub const INTERNAL_SERVER_ERROR: StatusCode = StatusCode(500);
    /// 501 Not Implemented
    pub const NOT_IMPLEMENTED: StatusCode = StatusCode(501);
    /// 503 Service Unavailable
    pub const SERVICE_UNAVAILABLE: StatusCode = StatusCode(503);
    /// 505 HTTP Version Not Supported
    pub const VERSION_NOT_SUPPORTED: StatusCode = StatusCode(505);

    /// The standard reason phrase (RFC 9110 section 15).
    pub fn reason(self) -> &'static str {
        match self.0 {
            100 => "Continue",
            200 => "OK",
            201 => "Created",
            202 => "Accepted",
            204 => "No Content",
            301 => "Moved Permanently",
            302 => "Found",
            304 => "Not Modified",
            400 => "Bad Request",
            401 => "Unauthorized",
            403 => "Forbidden",
            404 => "Not Found",
            405 => "Method Not Allowed",
            408 => "Request Timeout",
            411 => "Length Required",
            413 => "Content Too Large",
            414 => "URI Too Long",
            415 => "Unsupported Media Type",
            417 => "Expectation Failed",
            429 => "Too Many Requests",
            431 => "Request Header Fields Too Large",
            500 => "Internal Server Error",
            501 => "Not Implemented",
            503 => "Service Unavailable",
            505 => "HTTP Version Not Supported",
            _ => "Unknown",
        }
    }

    /// Whether a response with this status never has a body (1xx, 204, 304).
    pub fn forbids_body(self) -> bool {
        self.0 < 200 || self.0 == 204 || self.0 == 304
    }
}

/// An HTTP response as a service builds it. The serializer adds
/// `Content-Length` and `Connection`; do not set them yourself (a
/// `Connection: close` set here is honoured, though).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: StatusCode,
    /// Header fields other than `Content-Length`, `Transfer-Encoding`.
    pub headers: Headers,
    /// The body.
    pub body: Bytes,
}

impl Response {
    /// A response with no headers and no body.
    pub fn new(status: StatusCode) -> Response {
        Response {
            status,
            headers: Headers::new(),
            body: Bytes::new(),
        }
    }

    /// A response with a body of the given media type.
    pub fn with_body(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Response {
        let mut r = Response::new(status);
        r.headers.append("Content-Type", content_type);
        r.body = body.into();
        r
    }

    /// A short `text/plain` response, for HTTP-level errors outside SOAP.
    pub fn plain(status: StatusCode, text: &str) -> Response {
        Response::with_body(
            status,
            "text/plain; charset=utf-8",
            Bytes::from(format!("{text}\r\n")),
        )
    }

    /// Appends a header field (builder style).
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Response {
        self.headers.append(name, value);
        self
    }

    /// Whether the connection must close after this response is sent.
    pub fn closes(&self, to: &ReplyTo) -> bool {
        !to.keep_alive
            || self
                .headers
                .get_all("Connection")
                .any(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case("close")))
    }

    /// Writes the status line and header block, blank line included.
    pub fn encode_head(&self, to: &ReplyTo, out: &mut Vec<u8>) {
        out.extend_from_slice(to.version.as_str().as_bytes());
        out.push(b' ');
        out.extend_from_slice(self.status.0.to_string().as_bytes());
        out.push(b' ');
        out.extend_from_slice(self.status.reason().as_bytes());
        out.extend_from_slice(b"\r\n");
        for (name, value) in self.headers.iter() {
            if name.eq_ignore_ascii_case("Content-Length")
                || name.eq_ignore_ascii_case("Transfer-Encoding")
                || name.eq_ignore_ascii_case("Connection")
            {
                continue;
            }
            write_field(out, name, value);
        }
        if !self.status.forbids_body() {
            write_field(out, "Content-Length", &self.body.len().to_string());
        }
        if self.closes(to) {
            write_field(out, "Connection", "close");
        } else if to.version == Version::Http10 {
            write_field(out, "Connection", "keep-alive");
        }
        out.extend_from_slice(b"\r\n");
    }

    /// The whole response on the wire: head, then the body unless the
    /// request was `HEAD` or the status forbids one.
    pub fn encode(&self, to: &ReplyTo) -> Bytes {
        let mut out = Vec::with_capacity(160 + self.headers.len() * 40 + self.body.len());
        self.encode_head(to, &mut out);
        if !to.head && !self.status.forbids_body() {
            out.extend_from_slice(&self.body);
        }
        Bytes::from(out)
    }
}

/// Writes one header field, replacing CR and LF in either part so a value a
/// peer influenced can never split the header block.
fn write_field(out: &mut Vec<u8>, name: &str, value: &str) {
    let clean = |b: u8| if b == b'\r' || b == b'\n' { b' ' } else { b };
    out.extend(name.bytes().map(clean));
    out.extend_from_slice(b": ");
    out.extend(value.bytes().map(clean));
    out.extend_from_slice(b"\r\n");
}

/// The interim `100 Continue` response (RFC 9110 section 15.2.1).
pub const CONTINUE_100: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";

#[cfg(test)]
mod tests {
    use super::*;

    fn req(version: Version, connection: Option<&str>) -> Request {
        let mut headers = Headers::new();
        if let Some(c) = connection {
            headers.append("Connection", c);
        }
        Request {
            method: "POST".into(),
            target: "/".into(),
            version,
            headers,
            body: Bytes::new(),
        }
    }

    #[test]
    fn keep_alive_rules() {
        assert!(req(Version::Http11, None).keep_alive());
        assert!(!req(Version::Http11, Some("close")).keep_alive());
        assert!(!req(Version::Http11, Some("Keep-Alive, Close")).keep_alive());
        assert!(!req(Version::Http10, None).keep_alive());
        assert!(req(Version::Http10, Some("keep-alive")).keep_alive());
    }

    #[test]
    fn serializes_with_length_and_connection() {
        let r = Response::with_body(StatusCode::OK, "text/plain", "hi")
            .header("X-Evil", "a\r\nInjected: 1")
            .header("Content-Length", "999");
        let to = req(Version::Http11, None).reply_to();
        let bytes = r.encode(&to);
        assert_eq!(
            &bytes[..],
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Evil: a  Injected: 1\r\nContent-Length: 2\r\n\r\nhi"
        );
        let to = req(Version::Http10, Some("keep-alive")).reply_to();
        let bytes = r.encode(&to);
        assert!(bytes.starts_with(b"HTTP/1.0 200 OK\r\n"));
        assert!(bytes.ends_with(b"Connection: keep-alive\r\n\r\nhi"));
        let closing = Response::new(StatusCode::NO_CONTENT).header("Connection", "close");
        let to = req(Version::Http11, None).reply_to();
        assert!(closing.closes(&to));
        assert_eq!(
            &closing.encode(&to)[..],
            b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n"
        );
        let mut head = req(Version::Http11, None);
        head.method = "HEAD".into();
        let bytes = r.encode(&head.reply_to());
        assert!(bytes.ends_with(b"Content-Length: 2\r\n\r\n"));
    }
}
