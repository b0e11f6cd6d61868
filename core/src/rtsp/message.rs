//! RTSP/1.0 messages (RFC 2326 section 6 and 7): requests, responses and
//! their headers, with a serializer.

use bytes::Bytes;

/// An RTSP method. Unknown extension methods are kept by name so the server
/// can answer them with `501 Not Implemented`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    /// `OPTIONS`
    Options,
    /// `DESCRIBE`
    Describe,
    /// `ANNOUNCE`
    Announce,
    /// `SETUP`
    Setup,
    /// `PLAY`
    Play,
    /// `PAUSE`
    Pause,
    /// `TEARDOWN`
    Teardown,
    /// `GET_PARAMETER`
    GetParameter,
    /// `SET_PARAMETER`
    SetParameter,
    /// `RECORD`
    Record,
    /// `REDIRECT`
    Redirect,
    /// Any other token.
    Extension(String),
}

impl Method {
    /// Parses a method token (case-sensitive, as RFC 2326 says).
    pub fn from_token(token: &str) -> Method {
        match token {
            "OPTIONS" => Method::Options,
            "DESCRIBE" => Method::Describe,
            "ANNOUNCE" => Method::Announce,
            "SETUP" => Method::Setup,
            "PLAY" => Method::Play,
            "PAUSE" => Method::Pause,
            "TEARDOWN" => Method::Teardown,
            "GET_PARAMETER" => Method::GetParameter,
            "SET_PARAMETER" => Method::SetParameter,
            "RECORD" => Method::Record,
            "REDIRECT" => Method::Redirect,
            other => Method::Extension(other.to_owned()),
        }
    }

    /// The method's token as it appears on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Method::Options => "OPTIONS",
            Method::Describe => "DESCRIBE",
            Method::Announce => "ANNOUNCE",
            Method::Setup => "SETUP",
            Method::Play => "PLAY",
            Method::Pause => "PAUSE",
            Method::Teardown => "TEARDOWN",
            Method::GetParameter => "GET_PARAMETER",
            Method::SetParameter => "SET_PARAMETER",
            Method::Record => "RECORD",
            Method::Redirect => "REDIRECT",
            Method::Extension(token) => token,
        }
    }
}

/// An ordered header list; names compare case-insensitively, repeated
/// headers are kept (WWW-Authenticate may appear several times).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Headers {
    entries: Vec<(String, String)>,
}

impl Headers {
    /// An empty list.
    pub fn new() -> Headers {
        Headers::default()
    }

    /// The first value of `name`, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `name`, in order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.entries
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Appends a header (does not replace an existing one).
    pub fn append(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.entries.push((name.into(), value.into()));
    }

    /// Iterates over `(name, value)` pairs in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// Number of header lines.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// `true` when there are no headers.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn write_to(&self, out: &mut Vec<u8>) {
        for (name, value) in &self.entries {
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
    }
}

/// An RTSP request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// The Request-URI exactly as sent (`*` for a server-wide OPTIONS).
    pub uri: String,
    /// The headers.
    pub headers: Headers,
    /// The body (`Content-Length` bytes).
    pub body: Bytes,
}

impl Request {
    /// The `CSeq` header value, if present.
    pub fn cseq(&self) -> Option<&str> {
        self.headers.get("CSeq").map(str::trim)
    }

    /// Serializes the request; `Content-Length` is added when there is a body.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.method.as_str().as_bytes());
        out.push(b' ');
        out.extend_from_slice(self.uri.as_bytes());
        out.extend_from_slice(b" RTSP/1.0\r\n");
        self.headers.write_to(out);
        write_body(&self.headers, &self.body, out);
    }
}

/// An RTSP response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: StatusCode,
    /// The reason phrase (as received, or the standard one).
    pub reason: String,
    /// The headers.
    pub headers: Headers,
    /// The body.
    pub body: Bytes,
}

impl Response {
    /// A response with the standard reason phrase and no headers.
    pub fn new(status: StatusCode) -> Response {
        Response {
            status,
            reason: status.reason().to_owned(),
            headers: Headers::new(),
            body: Bytes::new(),
        }
    }

    /// Serializes the response; `Content-Length` is added when there is a body.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"RTSP/1.0 ");
        out.extend_from_slice(self.status.0.to_string().as_bytes());
        out.push(b' ');
        out.extend_from_slice(self.reason.as_bytes());
        out.extend_from_slice(b"\r\n");
        self.headers.write_to(out);
        write_body(&self.headers, &self.body, out);
    }
}

fn write_body(headers: &Headers, body: &[u8], out: &mut Vec<u8>) {
    if !body.is_empty() && headers.get("Content-Length").is_none() {
        out.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
}

/// An RTSP status code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StatusCode(pub u16);

impl StatusCode {
    /// 200 OK
    pub const OK: StatusCode = StatusCode(200);
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
    /// 413 Request Entity Too Large
    pub const REQUEST_ENTITY_TOO_LARGE: StatusCode = StatusCode(413);
    /// 415 Unsupported Media Type
    pub const UNSUPPORTED_MEDIA_TYPE: StatusCode = StatusCode(415);
    /// 453 Not Enough Bandwidth
    pub const NOT_ENOUGH_BANDWIDTH: StatusCode = StatusCode(453);
    /// 454 Session Not Found
    pub const SESSION_NOT_FOUND: StatusCode = StatusCode(454);
    /// 455 Method Not Valid in This State
    pub const METHOD_NOT_VALID_IN_THIS_STATE: StatusCode = StatusCode(455);
    /// 457 Invalid Range
    pub const INVALID_RANGE: StatusCode = StatusCode(457);
    /// 459 Aggregate Operation Not Allowed
    pub const AGGREGATE_OPERATION_NOT_ALLOWED: StatusCode = StatusCode(459);
    /// 460 Only Aggregate Operation Allowed
    pub const ONLY_AGGREGATE_OPERATION_ALLOWED: StatusCode = StatusCode(460);
    /// 461 Unsupported Transport
    pub const UNSUPPORTED_TRANSPORT: StatusCode = StatusCode(461);
    /// 500 Internal Server Error
    pub const INTERNAL_SERVER_ERROR: StatusCode = StatusCode(500);
    /// 501 Not Implemented
    pub const NOT_IMPLEMENTED: StatusCode = StatusCode(501);
    /// 503 Service Unavailable
    pub const SERVICE_UNAVAILABLE: StatusCode = StatusCode(503);
    /// 504 Gateway Time-out
    pub const GATEWAY_TIMEOUT: StatusCode = StatusCode(504);
    /// 505 RTSP Version Not Supported
    pub const VERSION_NOT_SUPPORTED: StatusCode = StatusCode(505);
    /// 551 Option not supported
    pub const OPTION_NOT_SUPPORTED: StatusCode = StatusCode(551);

    /// The standard reason phrase.
    pub fn reason(self) -> &'static str {
        match self.0 {
            200 => "OK",
            400 => "Bad Request",
            401 => "Unauthorized",
            403 => "Forbidden",
            404 => "Not Found",
            405 => "Method Not Allowed",
            413 => "Request Entity Too Large",
            415 => "Unsupported Media Type",
            453 => "Not Enough Bandwidth",
            454 => "Session Not Found",
            455 => "Method Not Valid in This State",
            457 => "Invalid Range",
            459 => "Aggregate Operation Not Allowed",
            460 => "Only Aggregate Operation Allowed",
            461 => "Unsupported Transport",
            500 => "Internal Server Error",
            501 => "Not Implemented",
            503 => "Service Unavailable",
            504 => "Gateway Time-out",
            505 => "RTSP Version Not Supported",
            551 => "Option not supported",
            _ => "Unknown",
        }
    }

    /// `true` for 2xx codes.
    pub fn is_success(self) -> bool {
        (200..300).contains(&self.0)
    }
}
