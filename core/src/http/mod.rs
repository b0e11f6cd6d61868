//! HTTP/1.1 on the server side, sans I/O: the transport of the ONVIF SOAP
//! services and of snapshot downloads.
//!
//! - [`RequestDecoder`] turns bytes into [`Request`]s: keep-alive
//!   (HTTP/1.1 by default, `Connection: close`, HTTP/1.0 with
//!   `Connection: keep-alive`), `Content-Length` and chunked bodies,
//!   `Expect: 100-continue`, pipelining, limits answered with the right 4xx,
//!   sticky errors. It never panics on any input.
//! - [`ServerConn`] wraps a decoder with the ordering rules of one
//!   connection: one request in flight at a time, answers in order,
//!   close after `Connection: close` or an error.
//! - [`Response`] is what a service returns; its serializer adds
//!   `Content-Length` and `Connection`.
//! - [`parse_target`] splits a request target into path and query.
//!
//! A runtime drives a connection like this:
//!
//! ```
//! use onvif_rtsp_core::http::{ConnEvent, DecoderLimits, Response, ServerConn, StatusCode};
//!
//! let mut conn = ServerConn::new(DecoderLimits::default());
//! conn.push(b"GET /ping HTTP/1.1\r\nHost: cam\r\n\r\n");
//! let mut wire = Vec::new();
//! while let Some(event) = conn.poll() {
//!     match event {
//!         ConnEvent::Send(bytes) => wire.extend_from_slice(&bytes),
//!         ConnEvent::Request(request) => {
//!             assert_eq!(request.target().unwrap().path, "/ping");
//!             let out = conn.respond(&Response::plain(StatusCode::OK, "pong")).unwrap();
//!             wire.extend_from_slice(&out.bytes);
//!         }
//!         ConnEvent::SendAndClose(bytes) => wire.extend_from_slice(&bytes),
//!     }
//! }
//! assert!(wire.starts_with(b"HTTP/1.1 200 OK\r\n"));
//! ```

mod conn;
mod decoder;
mod message;
mod target;

pub use conn::{ConnEvent, NoRequestInFlight, Outgoing, ServerConn};
pub use decoder::{Decoded, DecoderLimits, HttpError, RequestDecoder};
pub use message::{CONTINUE_100, ReplyTo, Request, Response, StatusCode, Version};
pub use target::{Target, TargetError, parse_target, percent_decode, query_pairs};

/// The header list type shared with RTSP: ordered, case-insensitive names,
/// repeated fields kept.
pub use crate::rtsp::message::Headers;
