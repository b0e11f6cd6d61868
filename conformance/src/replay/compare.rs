//! Comparing what the replayed server sent with what the real server sent
//! in the capture, modulo what legitimately differs between two runs:
//! session ids, dates, nonces, SSRCs, RTP sequence numbers and timestamps,
//! server ports, and the values (not the names) of SDP `fmtp` parameters
//! and of ONVIF SOAP elements, which come from the media and the host.
//!
//! RTSP: responses are paired in order; each pair must agree on the status
//! line and on every header in order (`Date` ignored; `Session`,
//! `Transport`, `RTP-Info`, `WWW-Authenticate` and an SDP's
//! `Content-Length` compared by shape), and SDP bodies line by line (the
//! origin's session id and `fmtp` values ignored), other bodies exactly.
//! HTTP: responses are paired in order; each pair must agree on the status
//! line and the header names, on `Content-Type`, and on the outline of the
//! XML body: every element's local name at its depth.

use std::fmt::Write as _;

use onvif_rtsp_core::rtsp::message::Response;
use onvif_rtsp_core::rtsp::parse::{Decoder, DecoderLimits, Message};

use super::driver::{Protocol, ReplayedConversation};

/// What the comparison of one conversation found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConversationCheck {
    /// Index of the conversation in the capture.
    pub index: usize,
    /// Responses compared.
    pub compared: usize,
    /// Requests the replay answered but the capture shows no answer to,
    /// because the client closed the connection first (ffmpeg sends its
    /// TEARDOWN and closes at once).
    pub unanswered_in_capture: usize,
    /// Every difference found.
    pub mismatches: Vec<String>,
}

/// Compares one replayed conversation with its capture.
pub fn check(conv: &ReplayedConversation) -> ConversationCheck {
    let mut out = ConversationCheck {
        index: conv.index,
        ..ConversationCheck::default()
    };
    match conv.protocol {
        Protocol::Rtsp => check_rtsp(conv, &mut out),
        Protocol::Http => check_http(conv, &mut out),
        Protocol::Other => {}
    }
    if conv.protocol != Protocol::Other && conv.captured.to_client.hole {
        out.mismatches
            .push("the captured server stream has a hole: compared up to it only".to_owned());
    }
    out
}

/// Pairs captured and replayed answers; `labels[i]` names the request the
/// i-th captured answer answered.
fn pair<T>(
    captured: &[T],
    replayed: &[T],
    client_closed: bool,
    label: impl Fn(usize) -> String,
    mut compare: impl FnMut(&T, &T, &mut Vec<String>),
    out: &mut ConversationCheck,
) {
    for (i, (c, r)) in captured.iter().zip(replayed).enumerate() {
        let mut diffs = Vec::new();
        compare(c, r, &mut diffs);
        out.compared += 1;
        for d in diffs {
            out.mismatches.push(format!("{}: {d}", label(i)));
        }
    }
    if captured.len() > replayed.len() {
        for i in replayed.len()..captured.len() {
            out.mismatches
                .push(format!("{}: the replay sent no answer", label(i)));
        }
    } else if replayed.len() > captured.len() {
        let extra = replayed.len() - captured.len();
        if client_closed {
            out.unanswered_in_capture = extra;
        } else {
            out.mismatches.push(format!(
                "the replay sent {extra} answer(s) more than the capture holds"
            ));
        }
    }
}

// ---- RTSP ----

fn rtsp_messages(bytes: &[u8], what: &str, problems: &mut Vec<String>) -> Vec<Message> {
    let mut decoder = Decoder::new(DecoderLimits {
        max_body: 1024 * 1024,
        ..DecoderLimits::default()
    });
    decoder.push(bytes);
    let mut messages = Vec::new();
    loop {
        match decoder.next_message() {
            Ok(Some(Message::Interleaved { .. })) => {}
            Ok(Some(m)) => messages.push(m),
            Ok(None) => break,
            Err(e) => {
                problems.push(format!("{what}: undecodable RTSP: {e}"));
                break;
            }
        }
    }
    messages
}

fn check_rtsp(conv: &ReplayedConversation, out: &mut ConversationCheck) {
    let responses = |messages: Vec<Message>| -> Vec<Response> {
        messages
            .into_iter()
            .filter_map(|m| match m {
                Message::Response(r) => Some(r),
                _ => None,
            })
            .collect()
    };
    let mut problems = Vec::new();
    let captured = responses(rtsp_messages(
        conv.captured.to_client.bytes(),
        "captured server stream",
        &mut problems,
    ));
    let replayed = responses(rtsp_messages(
        &conv.replayed,
        "replayed server stream",
        &mut problems,
    ));
    let requests: Vec<(String, String)> = rtsp_messages(
        conv.captured.to_server.bytes(),
        "captured client stream",
        &mut problems,
    )
    .into_iter()
    .filter_map(|m| match m {
        Message::Request(r) => Some((
            r.cseq().unwrap_or_default().to_owned(),
            r.method.as_str().to_owned(),
        )),
        _ => None,
    })
    .collect();
    out.mismatches.append(&mut problems);
    let label = |i: usize| {
        let cseq = captured
            .get(i)
            .and_then(|r| r.headers.get("CSeq"))
            .unwrap_or("?")
            .trim();
        let method = requests
            .iter()
            .find(|(c, _)| c == cseq)
            .map_or("?", |(_, m)| m.as_str());
        format!("answer to {method} (CSeq {cseq})")
    };
    pair(
        &captured,
        &replayed,
        conv.captured.to_server.closed_at.is_some(),
        label,
        compare_rtsp_response,
        out,
    );
}

fn compare_rtsp_response(c: &Response, r: &Response, diffs: &mut Vec<String>) {
    if (c.status, &c.reason) != (r.status, &r.reason) {
        diffs.push(format!(
            "status {} {} in the capture, {} {} replayed",
            c.status.0, c.reason, r.status.0, r.reason
        ));
    }
    let sdp = |resp: &Response| {
        resp.headers
            .get("Content-Type")
            .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/sdp"))
    };
    let headers = |resp: &Response| -> Vec<(String, String)> {
        resp.headers
            .iter()
            .map(|(n, v)| {
                let name = n.to_ascii_lowercase();
                let value = normalize_rtsp_header(&name, v.trim(), sdp(resp));
                (name, value)
            })
            .collect()
    };
    compare_lists("header", &headers(c), &headers(r), diffs);
    if sdp(c) && sdp(r) {
        let lines = |b: &[u8]| -> Vec<String> {
            String::from_utf8_lossy(b)
                .lines()
                .map(|l| normalize_sdp_line(l.trim_end()))
                .collect()
        };
        compare_lists("SDP line", &lines(&c.body), &lines(&r.body), diffs);
    } else if c.body != r.body {
        diffs.push(format!(
            "bodies differ: {:?} in the capture, {:?} replayed",
            String::from_utf8_lossy(&c.body),
            String::from_utf8_lossy(&r.body)
        ));
    }
}

/// Differences between two ordered lists, each named by position.
fn compare_lists<T: PartialEq + std::fmt::Debug>(
    what: &str,
    c: &[T],
    r: &[T],
    diffs: &mut Vec<String>,
) {
    for (i, (a, b)) in c.iter().zip(r).enumerate() {
        if a != b {
            diffs.push(format!("{what} {i}: {a:?} in the capture, {b:?} replayed"));
        }
    }
    if c.len() != r.len() {
        let (longer, who) = if c.len() > r.len() {
            (&c[r.len()..], "only in the capture")
        } else {
            (&r[c.len()..], "only replayed")
        };
        diffs.push(format!("{what}s {who}: {longer:?}"));
    }
}

/// Replaces every run of ASCII digits with `#` (numbers that differ between
/// runs, where the shape is what matters).
fn digits_to_hash(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_number = false;
    for ch in s.chars() {
        if ch.is_ascii_digit() {
            if !in_number {
                out.push('#');
            }
            in_number = true;
        } else {
            out.push(ch);
            in_number = false;
        }
    }
    out
}

/// Maps `;`-separated `name=value` parameters, keeping the rest.
fn map_params(value: &str, f: impl Fn(&str, &str) -> Option<String>) -> String {
    value
        .split(';')
        .map(|p| match p.split_once('=') {
            Some((k, v)) => match f(k.trim(), v.trim()) {
                Some(v) => format!("{}={v}", k.trim()),
                None => p.trim().to_owned(),
            },
            None => p.trim().to_owned(),
        })
        .collect::<Vec<_>>()
        .join(";")
}

/// A header value with what differs between runs replaced by its shape.
pub fn normalize_rtsp_header(name: &str, value: &str, sdp_body: bool) -> String {
    match name {
        "date" => "<date>".into(),
        "content-length" if sdp_body => "<length>".into(),
        "session" => {
            let (_, params) = value.split_once(';').unwrap_or((value, ""));
            if params.is_empty() {
                "<id>".into()
            } else {
                format!("<id>;{params}")
            }
        }
        "transport" => value
            .split(',')
            .map(|t| {
                map_params(t, |k, v| match k {
                    "ssrc" => Some("<ssrc>".into()),
                    "server_port" => Some(digits_to_hash(v)),
                    _ => None,
                })
            })
            .collect::<Vec<_>>()
            .join(","),
        "rtp-info" => value
            .split(',')
            .map(|t| {
                map_params(t, |k, v| match k {
                    "seq" | "rtptime" => Some(digits_to_hash(v)),
                    _ => None,
                })
            })
            .collect::<Vec<_>>()
            .join(","),
        "www-authenticate" => value
            .split(',')
            .map(|p| match p.split_once('=') {
                Some((k, _)) if ["nonce", "opaque"].contains(&k.trim()) => {
                    format!("{}=<{}>", k.trim(), k.trim())
                }
                _ => p.trim().to_owned(),
            })
            .collect::<Vec<_>>()
            .join(","),
        _ => value.to_owned(),
    }
}

/// An SDP line with what differs between runs (and media files) replaced:
/// the origin's session id and version, and `fmtp` parameter values.
pub fn normalize_sdp_line(line: &str) -> String {
    if let Some(origin) = line.strip_prefix("o=") {
        let mut fields: Vec<&str> = origin.split(' ').collect();
        for f in fields.iter_mut().skip(1).take(2) {
            *f = "<n>";
        }
        return format!("o={}", fields.join(" "));
    }
    if let Some(fmtp) = line.strip_prefix("a=fmtp:") {
        let (pt, params) = fmtp.split_once(' ').unwrap_or((fmtp, ""));
        let mut names: Vec<&str> = params
            .split(';')
            .map(|p| p.split_once('=').map_or(p, |(k, _)| k).trim())
            .filter(|k| !k.is_empty())
            .collect();
        names.sort_unstable();
        return format!("a=fmtp:{pt} {}", names.join(";"));
    }
    line.to_owned()
}

// ---- HTTP ----

/// An HTTP response taken from a byte stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Reason phrase.
    pub reason: String,
    /// Headers in order, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The body (de-chunked).
    pub body: Vec<u8>,
}

impl HttpResponse {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Largest HTTP body accepted from a capture.
const MAX_HTTP_BODY: usize = 16 * 1024 * 1024;

/// Splits a server's byte stream into HTTP responses. Stops at the first
/// thing that is not one (reported), or at an incomplete last response.
pub fn http_responses(mut bytes: &[u8]) -> (Vec<HttpResponse>, Option<String>) {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let Some(head_end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") else {
            return (out, None);
        };
        let head = String::from_utf8_lossy(&bytes[..head_end]);
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or_default();
        let mut parts = status_line.splitn(3, ' ');
        let (Some(version), Some(code)) = (parts.next(), parts.next()) else {
            return (out, Some(format!("bad status line {status_line:?}")));
        };
        let Ok(status) = code.parse::<u16>() else {
            return (out, Some(format!("bad status line {status_line:?}")));
        };
        if !version.starts_with("HTTP/1.") {
            return (out, Some(format!("bad status line {status_line:?}")));
        }
        let reason = parts.next().unwrap_or_default().to_owned();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let mut rest = &bytes[head_end + 4..];
        let mut resp = HttpResponse {
            status,
            reason,
            headers,
            body: Vec::new(),
        };
        let chunked = resp
            .header("transfer-encoding")
            .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
        if chunked {
            loop {
                let Some(line_end) = rest.windows(2).position(|w| w == b"\r\n") else {
                    return (out, None);
                };
                let size_text = String::from_utf8_lossy(&rest[..line_end]);
                let size_text = size_text.split(';').next().unwrap_or_default().trim();
                let Ok(size) = usize::from_str_radix(size_text, 16) else {
                    return (out, Some(format!("bad chunk size {size_text:?}")));
                };
                if resp.body.len() + size > MAX_HTTP_BODY {
                    return (out, Some("body too large".into()));
                }
                let start = line_end + 2;
                let Some(chunk) = rest.get(start..start + size) else {
                    return (out, None);
                };
                resp.body.extend_from_slice(chunk);
                rest = rest.get(start + size + 2..).unwrap_or_default();
                if size == 0 {
                    break;
                }
            }
        } else {
            let len = match resp.header("content-length").map(str::parse::<usize>) {
                Some(Ok(n)) => n,
                Some(Err(_)) => return (out, Some("bad Content-Length".into())),
                None if status == 204 || status == 304 || (100..200).contains(&status) => 0,
                // Until the connection closes.
                None => rest.len(),
            };
            if len > MAX_HTTP_BODY {
                return (out, Some("body too large".into()));
            }
            let Some(body) = rest.get(..len) else {
                return (out, None);
            };
            resp.body = body.to_vec();
            rest = &rest[len..];
        }
        out.push(resp);
        bytes = rest;
    }
    (out, None)
}

/// Each element's local name, indented by its depth; text and attributes
/// left out.
pub fn xml_outline(body: &[u8]) -> Result<Vec<String>, String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_reader(body);
    let mut buf = Vec::new();
    let mut depth = 0usize;
    let mut out = Vec::new();
    let name = |local: &[u8], depth: usize| {
        let mut s = "  ".repeat(depth);
        s.push_str(&String::from_utf8_lossy(local));
        s
    };
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) => {
                out.push(name(e.local_name().as_ref(), depth));
                depth += 1;
            }
            Ok(Event::Empty(e)) => out.push(name(e.local_name().as_ref(), depth)),
            Ok(Event::End(_)) => depth = depth.saturating_sub(1),
            Ok(Event::Eof) => return Ok(out),
            Ok(_) => {}
            Err(e) => {
                let mut msg = String::new();
                let _ = write!(msg, "bad XML at byte {}: {e}", reader.buffer_position());
                return Err(msg);
            }
        }
        buf.clear();
    }
}

/// The operation a SOAP request calls: the first element inside `Body`.
fn soap_operation(body: &[u8]) -> Option<String> {
    let outline = xml_outline(body).ok()?;
    let at = outline.iter().position(|l| l.trim() == "Body")?;
    outline.get(at + 1).map(|l| l.trim().to_owned())
}

fn check_http(conv: &ReplayedConversation, out: &mut ConversationCheck) {
    let (captured, err) = http_responses(conv.captured.to_client.bytes());
    if let Some(e) = err {
        out.mismatches.push(format!("captured server stream: {e}"));
    }
    let (replayed, err) = http_responses(&conv.replayed);
    if let Some(e) = err {
        out.mismatches.push(format!("replayed server stream: {e}"));
    }
    let requests = http_requests(conv.captured.to_server.bytes());
    let label = |i: usize| match requests.get(i) {
        Some((line, Some(op))) => format!("answer to {line} ({op})"),
        Some((line, None)) => format!("answer to {line}"),
        None => format!("answer {i}"),
    };
    pair(
        &captured,
        &replayed,
        conv.captured.to_server.closed_at.is_some(),
        label,
        compare_http_response,
        out,
    );
}

/// The request lines of a client's HTTP stream, with the SOAP operation.
fn http_requests(mut bytes: &[u8]) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    while let Some(head_end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
        let head = String::from_utf8_lossy(&bytes[..head_end]).into_owned();
        let line = head.lines().next().unwrap_or_default().to_owned();
        let len = head
            .lines()
            .filter_map(|l| l.split_once(':'))
            .find(|(n, _)| n.trim().eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.trim().parse::<usize>().ok())
            .unwrap_or(0);
        let body = bytes
            .get(head_end + 4..head_end + 4 + len)
            .unwrap_or_default();
        out.push((line, soap_operation(body)));
        bytes = bytes.get(head_end + 4 + len..).unwrap_or_default();
    }
    out
}

fn compare_http_response(c: &HttpResponse, r: &HttpResponse, diffs: &mut Vec<String>) {
    if (c.status, &c.reason) != (r.status, &r.reason) {
        diffs.push(format!(
            "status {} {} in the capture, {} {} replayed",
            c.status, c.reason, r.status, r.reason
        ));
    }
    let names =
        |h: &HttpResponse| -> Vec<String> { h.headers.iter().map(|(n, _)| n.clone()).collect() };
    compare_lists("header", &names(c), &names(r), diffs);
    if c.header("content-type") != r.header("content-type") {
        diffs.push(format!(
            "Content-Type {:?} in the capture, {:?} replayed",
            c.header("content-type"),
            r.header("content-type")
        ));
    }
    let xml = |h: &HttpResponse| h.header("content-type").is_some_and(|t| t.contains("xml"));
    if xml(c) || xml(r) {
        match (xml_outline(&c.body), xml_outline(&r.body)) {
            (Ok(a), Ok(b)) => compare_lists("element", &a, &b, diffs),
            (a, b) => diffs.push(format!("XML bodies: capture {a:?}, replay {b:?}")),
        }
    } else if c.body != r.body {
        diffs.push("bodies differ".into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_of_headers_that_differ_between_runs() {
        assert_eq!(
            normalize_rtsp_header(
                "transport",
                "RTP/AVP;unicast;client_port=5000-5001;server_port=47000-47001;ssrc=1A2B3C4D",
                false
            ),
            "RTP/AVP;unicast;client_port=5000-5001;server_port=#-#;ssrc=<ssrc>"
        );
        assert_eq!(
            normalize_rtsp_header("session", "83F91CA7864A7135;timeout=60", false),
            "<id>;timeout=60"
        );
        assert_eq!(
            normalize_rtsp_header(
                "rtp-info",
                "url=rtsp://h/a/trackID=0;seq=5701;rtptime=42,url=rtsp://h/a/trackID=1;seq=1;rtptime=2",
                false
            ),
            "url=rtsp://h/a/trackID=0;seq=#;rtptime=#,url=rtsp://h/a/trackID=1;seq=#;rtptime=#"
        );
        assert_eq!(
            normalize_rtsp_header(
                "www-authenticate",
                "Digest realm=\"r\", nonce=\"abc\", algorithm=MD5",
                false
            ),
            "Digest realm=\"r\",nonce=<nonce>,algorithm=MD5"
        );
        assert_eq!(
            normalize_sdp_line("o=- 7036458801432265024 1 IN IP4 127.0.0.1"),
            "o=- <n> <n> IN IP4 127.0.0.1"
        );
        assert_eq!(
            normalize_sdp_line("a=fmtp:96 profile-level-id=42c01e;packetization-mode=1"),
            "a=fmtp:96 packetization-mode;profile-level-id"
        );
    }

    #[test]
    fn http_responses_with_length_chunks_and_a_partial_tail() {
        let stream = b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 4\r\n\r\n<a/>\
HTTP/1.1 500 Internal Server Error\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n<b\r\n2\r\n/>\r\n0\r\n\r\n\
HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc";
        let (r, err) = http_responses(stream);
        assert_eq!(err, None);
        assert_eq!(r.len(), 2);
        assert_eq!((r[0].status, &r[0].body[..]), (200, &b"<a/>"[..]));
        assert_eq!((r[1].status, &r[1].body[..]), (500, &b"<b/>"[..]));
        let (r, err) = http_responses(b"garbage\r\n\r\n");
        assert!(r.is_empty() && err.is_some());
    }

    #[test]
    fn xml_outline_keeps_names_and_depth_only() {
        let a = xml_outline(
            b"<s:Envelope xmlns:s=\"x\"><s:Body><t:GetProfilesResponse><t:Profiles token=\"1\"><t:Name>A</t:Name></t:Profiles><t:Empty/></t:GetProfilesResponse></s:Body></s:Envelope>",
        )
        .unwrap();
        assert_eq!(
            a,
            [
                "Envelope",
                "  Body",
                "    GetProfilesResponse",
                "      Profiles",
                "        Name",
                "      Empty"
            ]
        );
        assert!(xml_outline(b"<a><b></a>").is_err());
    }
}
