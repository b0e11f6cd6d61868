//! RTSP/1.0: messages, the incremental decoder, typed headers and URLs.

pub mod auth;
pub mod message;
pub mod parse;
pub mod range;
pub mod transport;
pub mod url;

pub use message::{Headers, Method, Request, Response, StatusCode};
pub use parse::{DecodeError, Decoder, DecoderLimits, Message};
