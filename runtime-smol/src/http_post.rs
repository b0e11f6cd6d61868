//! A minimal HTTP/1.1 client for WS-BaseNotification `Notify` pushes.

use std::io;
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use smol::Async;
use smol::io::{AsyncReadExt, AsyncWriteExt};

/// How long one push may take, connection included.
const TIMEOUT: Duration = Duration::from_secs(10);

/// POSTs `body` to an `http://` URL and returns the response status.
pub(crate) async fn post(url: &str, content_type: &str, body: &str) -> io::Result<u16> {
    let fut = post_inner(url, content_type, body);
    smol::future::or(fut, async {
        smol::Timer::after(TIMEOUT).await;
        Err(io::Error::new(io::ErrorKind::TimedOut, "no answer in time"))
    })
    .await
}

async fn post_inner(url: &str, content_type: &str, body: &str) -> io::Result<u16> {
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
    let with_port = if authority
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
    {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    let addr = smol::unblock(move || with_port.to_socket_addrs().map(|mut a| a.next()))
        .await?
        .ok_or_else(|| {
            io::Error::new(io::ErrorKind::NotFound, "consumer address does not resolve")
        })?;
    let mut stream = Async::<TcpStream>::connect(addr).await?;
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await?;
    let mut head = [0u8; 64];
    let n = stream.read(&mut head).await?;
    let status = std::str::from_utf8(&head[..n])
        .ok()
        .and_then(|t| t.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no HTTP status line"))?;
    Ok(status)
}
