//! A minimal HTTP/1.1 client for WS-BaseNotification `Notify` pushes.
//!
//! Pushes are rare (an event for a subscriber) and best effort, so the
//! client is blocking with time limits: a runtime runs it on a helper
//! thread (`smol::unblock`, a plain thread) and never on its event loop.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

/// How long one push may take, connection included.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// Where and what to POST, parsed from an `http://` URL.
#[derive(Debug, PartialEq, Eq)]
pub struct PostRequest {
    /// `host:port` to connect to (port 80 when the URL has none).
    pub connect_to: String,
    /// The whole request, head and body.
    pub bytes: Vec<u8>,
}

impl PostRequest {
    /// Builds the request for `body` to `url`; only `http://` is supported.
    pub fn new(url: &str, content_type: &str, body: &str) -> io::Result<PostRequest> {
        let rest = url.strip_prefix("http://").ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::Unsupported,
                "only http:// consumers are supported",
            )
        })?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let connect_to = if authority
            .rsplit_once(':')
            .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
        {
            authority.to_owned()
        } else {
            format!("{authority}:80")
        };
        let bytes = format!(
            "POST {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes();
        Ok(PostRequest { connect_to, bytes })
    }
}

/// The status code of an HTTP response's first bytes.
pub fn parse_status(head: &[u8]) -> io::Result<u16> {
    std::str::from_utf8(head)
        .ok()
        .and_then(|t| t.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no HTTP status line"))
}

/// POSTs `body` to an `http://` URL and returns the response status,
/// blocking for at most [`TIMEOUT`] in all.
pub fn post_blocking(url: &str, content_type: &str, body: &str) -> io::Result<u16> {
    let request = PostRequest::new(url, content_type, body)?;
    let deadline = Instant::now() + TIMEOUT;
    let addr: SocketAddr = request
        .connect_to
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| {
            io::Error::new(io::ErrorKind::NotFound, "consumer address does not resolve")
        })?;
    let left = |deadline: Instant| {
        let d = deadline.saturating_duration_since(Instant::now());
        if d.is_zero() {
            Err(io::Error::new(io::ErrorKind::TimedOut, "no answer in time"))
        } else {
            Ok(d)
        }
    };
    let mut stream = TcpStream::connect_timeout(&addr, left(deadline)?)?;
    stream.set_write_timeout(Some(left(deadline)?))?;
    stream.write_all(&request.bytes)?;
    stream.set_read_timeout(Some(left(deadline)?))?;
    let mut head = [0u8; 64];
    let n = stream.read(&mut head)?;
    parse_status(&head[..n])
}

/// Posts a Notify, best effort, and logs a refusal or a failure.
pub fn post_and_log(url: &str, content_type: &str, body: &str) {
    match post_blocking(url, content_type, body) {
        Ok(status) if (200..300).contains(&status) => {}
        Ok(status) => tracing::debug!(%url, status, "event consumer refused a Notify"),
        Err(e) => tracing::debug!(%url, error = %e, "cannot deliver a Notify"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_the_request_and_reads_the_status() {
        let r = PostRequest::new("http://10.0.0.1/events", "application/soap+xml", "<x/>").unwrap();
        assert_eq!(r.connect_to, "10.0.0.1:80");
        let text = String::from_utf8(r.bytes).unwrap();
        assert!(text.starts_with("POST /events HTTP/1.1\r\nHost: 10.0.0.1\r\n"));
        assert!(text.ends_with("Content-Length: 4\r\nConnection: close\r\n\r\n<x/>"));
        assert_eq!(
            PostRequest::new("http://h:8080", "t", "")
                .unwrap()
                .connect_to,
            "h:8080"
        );
        assert!(PostRequest::new("https://h/", "t", "").is_err());
        assert_eq!(parse_status(b"HTTP/1.1 202 Accepted\r\n").unwrap(), 202);
        assert!(parse_status(b"garbage").is_err());
    }

    #[test]
    fn posts_to_a_local_consumer() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut buf = vec![0u8; 4096];
            let n = s.read(&mut buf).unwrap();
            s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                .unwrap();
            String::from_utf8_lossy(&buf[..n]).into_owned()
        });
        let status = post_blocking(&format!("http://{addr}/n"), "text/xml", "hi").unwrap();
        assert_eq!(status, 200);
        assert!(server.join().unwrap().ends_with("\r\n\r\nhi"));
    }
}
