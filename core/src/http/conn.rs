//! The server side of one HTTP/1.1 connection: a [`RequestDecoder`] plus the
//! rules that keep answers in order.
//!
//! Requests are answered strictly in the order they arrived (RFC 9112
//! section 9.3.2). While a request is being answered, and that may take a
//! while (an ONVIF `PullMessages` long poll), the connection decodes nothing
//! further: pipelined requests wait in the decoder's bounded buffer. After
//! a response that closes the connection, or after a decoding error has been
//! answered, nothing more is produced.

use bytes::Bytes;

use super::decoder::{Decoded, DecoderLimits, HttpError, RequestDecoder};
use super::message::{CONTINUE_100, ReplyTo, Request, Response};

/// What the connection wants from its runtime.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConnEvent {
    /// Write these bytes (the interim `100 Continue`) and keep reading.
    Send(Bytes),
    /// A request to answer with [`ServerConn::respond`]. No other request is
    /// produced until then.
    Request(Request),
    /// Write these bytes (an error response), then close the connection.
    SendAndClose(Bytes),
}

/// Bytes to write for a response, and whether to close afterwards.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outgoing {
    /// The encoded response.
    pub bytes: Bytes,
    /// Close the connection once `bytes` are written.
    pub close: bool,
}

/// [`ServerConn::respond`] was called with no request awaiting an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NoRequestInFlight;

impl std::fmt::Display for NoRequestInFlight {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("no request awaits a response on this connection")
    }
}

impl std::error::Error for NoRequestInFlight {}

/// One server-side HTTP connection.
#[derive(Debug)]
pub struct ServerConn {
    decoder: RequestDecoder,
    in_flight: Option<ReplyTo>,
    closed: bool,
    /// The peer pipelined too much while a request was in flight.
    overflow: bool,
}

impl ServerConn {
    /// A new connection with the given limits.
    pub fn new(limits: DecoderLimits) -> ServerConn {
        ServerConn {
            decoder: RequestDecoder::new(limits),
            in_flight: None,
            closed: false,
            overflow: false,
        }
    }

    /// Feeds bytes read from the socket. While a request is in flight,
    /// pipelined bytes are buffered up to [`DecoderLimits::max_buffered`];
    /// beyond that the connection is refused once the answer is out.
    pub fn push(&mut self, data: &[u8]) {
        if self.closed || self.overflow {
            return;
        }
        let limit = self.decoder.limits().max_buffered();
        if self.in_flight.is_some() && self.decoder.buffered().saturating_add(data.len()) > limit {
            self.overflow = true;
            return;
        }
        self.decoder.push(data);
    }

    /// The next thing to do; `None` when more bytes are needed, a request
    /// is awaiting its answer, or the connection is done.
    pub fn poll(&mut self) -> Option<ConnEvent> {
        if self.closed || self.in_flight.is_some() {
            return None;
        }
        if self.overflow {
            self.closed = true;
            let response = HttpError::BufferOverflow.response();
            return Some(ConnEvent::SendAndClose(
                response.encode(&ReplyTo::closing()),
            ));
        }
        match self.decoder.next() {
            Ok(None) => None,
            Ok(Some(Decoded::Continue)) => Some(ConnEvent::Send(Bytes::from_static(CONTINUE_100))),
            Ok(Some(Decoded::Request(request))) => {
                self.in_flight = Some(request.reply_to());
                Some(ConnEvent::Request(request))
            }
            Err(err) => {
                tracing::debug!(%err, "HTTP request refused");
                self.closed = true;
                Some(ConnEvent::SendAndClose(
                    err.response().encode(&ReplyTo::closing()),
                ))
            }
        }
    }

    /// Encodes the answer to the request in flight. Then [`ServerConn::poll`]
    /// goes on with pipelined requests, unless `close` is set.
    pub fn respond(&mut self, response: &Response) -> Result<Outgoing, NoRequestInFlight> {
        let to = self.in_flight.take().ok_or(NoRequestInFlight)?;
        let close = response.closes(&to);
        if close {
            self.closed = true;
        }
        Ok(Outgoing {
            bytes: response.encode(&to),
            close,
        })
    }

    /// Whether a request is awaiting its answer.
    pub fn awaiting_response(&self) -> bool {
        self.in_flight.is_some()
    }

    /// Whether the connection is done: the runtime closes it once pending
    /// writes are flushed.
    pub fn is_closed(&self) -> bool {
        self.closed || (self.in_flight.is_none() && self.decoder.is_finished())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::StatusCode;

    #[test]
    fn answers_in_order_and_closes() {
        let mut c = ServerConn::new(DecoderLimits::default());
        c.push(b"POST /a HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
        assert_eq!(
            c.poll(),
            Some(ConnEvent::Send(Bytes::from_static(CONTINUE_100)))
        );
        assert_eq!(c.poll(), None);
        c.push(b"hiGET /b HTTP/1.1\r\n\r\nGET /c HTTP/1.1\r\nConnection: close\r\n\r\nGET /d HTTP/1.1\r\n\r\n");
        let Some(ConnEvent::Request(a)) = c.poll() else {
            panic!()
        };
        assert_eq!(a.target, "/a");
        // /b waits until /a is answered.
        assert_eq!(c.poll(), None);
        assert!(c.awaiting_response());
        let out = c.respond(&Response::new(StatusCode::OK)).unwrap();
        assert!(!out.close);
        assert_eq!(
            &out.bytes[..],
            b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
        );
        let Some(ConnEvent::Request(b)) = c.poll() else {
            panic!()
        };
        assert_eq!(b.target, "/b");
        c.respond(&Response::new(StatusCode::OK)).unwrap();
        let Some(ConnEvent::Request(cc)) = c.poll() else {
            panic!()
        };
        assert_eq!(cc.target, "/c");
        let out = c.respond(&Response::new(StatusCode::OK)).unwrap();
        assert!(out.close);
        assert!(out.bytes.ends_with(b"Connection: close\r\n\r\n"));
        assert_eq!(c.poll(), None);
        assert!(c.is_closed());
        assert_eq!(
            c.respond(&Response::new(StatusCode::OK)),
            Err(NoRequestInFlight)
        );
    }

    #[test]
    fn pipelining_behind_a_slow_answer_is_bounded() {
        let limits = DecoderLimits {
            max_body: 1000,
            max_head: 1000,
            ..DecoderLimits::default()
        };
        let mut c = ServerConn::new(limits);
        c.push(b"GET /slow HTTP/1.1\r\n\r\n");
        assert!(matches!(c.poll(), Some(ConnEvent::Request(_))));
        for _ in 0..100 {
            c.push(&[b'G'; 1000]);
        }
        assert_eq!(c.poll(), None);
        c.respond(&Response::new(StatusCode::OK)).unwrap();
        let Some(ConnEvent::SendAndClose(bytes)) = c.poll() else {
            panic!()
        };
        assert!(bytes.starts_with(b"HTTP/1.1 400 "));
        assert!(c.is_closed());
    }

    #[test]
    fn error_is_answered_once_then_closed() {
        let mut c = ServerConn::new(DecoderLimits::default());
        c.push(b"GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n");
        let Some(ConnEvent::SendAndClose(bytes)) = c.poll() else {
            panic!()
        };
        assert!(bytes.starts_with(b"HTTP/1.1 400 Bad Request\r\n"));
        assert!(bytes.windows(19).any(|w| w == b"Connection: close\r\n"));
        assert_eq!(c.poll(), None);
        assert!(c.is_closed());
    }
}
