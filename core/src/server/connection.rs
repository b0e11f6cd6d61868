//! One RTSP connection: decoding, request ordering, write backlog.
//!
//! Requests on a connection are answered strictly in order. When a request
//! has to wait (for a source to open, for UDP ports to be bound) the
//! connection parks it and decodes nothing further until it is answered, so
//! pipelined requests never overtake each other.

use std::net::SocketAddr;
use std::time::Instant;

use bytes::Bytes;

use super::request::SetupPlan;
use super::timers::TimerKind;
use super::{ConnId, Output, SendBuf, Server};
use crate::media::SourceId;
use crate::rtsp::{Decoder, DecoderLimits, Message, Request, Response};

/// Why a request is parked.
#[derive(Debug)]
pub(crate) enum Pending {
    /// Waiting for a source to become ready (or to load far enough); the
    /// request is handled again from the start when it is.
    Source { request: Request, source: SourceId },
    /// A SETUP over UDP waiting for its ports to be bound.
    Udp { plan: Box<SetupPlan>, port: u16 },
}

#[derive(Debug)]
pub(crate) struct Connection {
    pub(crate) peer: SocketAddr,
    pub(crate) local: SocketAddr,
    decoder: Decoder,
    pub(crate) pending: Option<Pending>,
    /// Bumped whenever a request is parked, so a stale deadline is ignored.
    pub(crate) pending_generation: u32,
    /// Bytes handed to the runtime and not yet reported written.
    pub(crate) backlog: usize,
    /// Set when the backlog went over the limit; cleared only when it has
    /// drained to half of it, so a slow reader resumes with room for a
    /// whole keyframe instead of flapping at the limit.
    pub(crate) congested_since: Option<Instant>,
    /// When the runtime last reported bytes written.
    pub(crate) last_progress: Instant,
    /// Sessions created on this connection (their TCP tracks die with it).
    pub(crate) sessions: Vec<u64>,
    /// Interleaved channels already used on this connection.
    pub(crate) used_channels: Vec<u8>,
    pub(crate) auth_failures: u32,
    pub(crate) closing: bool,
}

impl Connection {
    pub(crate) fn new(
        peer: SocketAddr,
        local: SocketAddr,
        limits: DecoderLimits,
        now: Instant,
    ) -> Connection {
        Connection {
            peer,
            local,
            decoder: Decoder::new(limits),
            pending: None,
            pending_generation: 0,
            backlog: 0,
            congested_since: None,
            last_progress: now,
            sessions: Vec::new(),
            used_channels: Vec::new(),
            auth_failures: 0,
            closing: false,
        }
    }

    /// The lowest even channel pair not yet used.
    pub(crate) fn free_channel_pair(&self) -> Option<u8> {
        (0..=254u8)
            .step_by(2)
            .find(|c| !self.used_channels.contains(c) && !self.used_channels.contains(&(c + 1)))
    }
}

impl Server {
    pub(super) fn on_tcp_data(&mut self, conn: ConnId, data: &[u8]) {
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        if c.closing {
            return;
        }
        c.decoder.push(data);
        self.process_connection(conn);
    }

    /// Handles buffered messages until one has to wait or the buffer is empty.
    pub(super) fn process_connection(&mut self, conn: ConnId) {
        loop {
            let Some(c) = self.conns.get_mut(&conn) else {
                return;
            };
            if c.pending.is_some() || c.closing {
                return;
            }
            match c.decoder.next_message() {
                Ok(None) => return,
                Ok(Some(Message::Request(req))) => self.handle_request(conn, req),
                Ok(Some(Message::Interleaved { channel, data })) => {
                    self.on_interleaved(conn, channel, data)
                }
                // Answers to requests we never send; ignore.
                Ok(Some(Message::Response(_))) => {}
                Err(err) => {
                    let mut resp = Response::new(err.status());
                    resp.headers.append("Connection", "close");
                    resp.body = Bytes::from(format!("{err}\r\n"));
                    resp.headers.append("Content-Type", "text/plain");
                    self.send_response(conn, &resp);
                    self.close_connection(conn);
                    return;
                }
            }
        }
    }

    /// Serializes and queues a response.
    pub(super) fn send_response(&mut self, conn: ConnId, resp: &Response) {
        let mut buf = Vec::with_capacity(256 + resp.body.len());
        resp.write_to(&mut buf);
        self.send_tcp(conn, SendBuf::body_only(Bytes::from(buf)));
    }

    /// Queues bytes for a connection and accounts for them in its backlog.
    pub(super) fn send_tcp(&mut self, conn: ConnId, data: SendBuf) {
        if let Some(c) = self.conns.get_mut(&conn) {
            c.backlog += data.len();
            self.out.push_back(Output::Send { conn, data });
        }
    }

    pub(super) fn on_written(&mut self, conn: ConnId, bytes: usize) {
        let limit = self.cfg.queue_limit_bytes;
        if let Some(c) = self.conns.get_mut(&conn) {
            c.backlog = c.backlog.saturating_sub(bytes);
            c.last_progress = self.now;
            if c.backlog <= limit / 2 {
                c.congested_since = None;
            }
        }
    }

    /// Closes a congested connection whose reader made no progress for the
    /// stall timeout; a slow but moving reader only loses frames.
    pub(super) fn on_stall_timer(&mut self, conn: ConnId) {
        let Some(c) = self.conns.get(&conn) else {
            return;
        };
        if c.congested_since.is_none() {
            return;
        }
        let deadline = c.last_progress + self.cfg.stall_timeout;
        if self.now >= deadline {
            tracing::warn!(peer = %c.peer, backlog = c.backlog, "closing stalled reader");
            self.close_connection(conn);
        } else {
            self.timers.schedule(deadline, TimerKind::Stall { conn });
        }
    }

    /// Parks the connection's current request.
    pub(super) fn park(&mut self, conn: ConnId, pending: Pending) {
        let deadline = self.now + self.cfg.source_open_timeout;
        if let Some(c) = self.conns.get_mut(&conn) {
            c.pending = Some(pending);
            c.pending_generation = c.pending_generation.wrapping_add(1);
            let generation = c.pending_generation;
            self.timers
                .schedule(deadline, TimerKind::PendingDeadline { conn, generation });
        }
    }

    /// Closes a connection: queued bytes are still written, then the socket closes.
    pub(super) fn close_connection(&mut self, conn: ConnId) {
        if let Some(c) = self.conns.get_mut(&conn) {
            if !c.closing {
                c.closing = true;
                self.out.push_back(Output::Close { conn });
            }
        }
        self.drop_connection(conn);
    }

    /// Forgets a connection and ends the sessions that depend on it.
    pub(super) fn drop_connection(&mut self, conn: ConnId) {
        let Some(c) = self.conns.remove(&conn) else {
            return;
        };
        if let Some(Pending::Source { source, .. }) = &c.pending {
            self.release_source_waiter(*source, conn);
        }
        if let Some(Pending::Udp { plan, .. }) = c.pending {
            self.abandon_setup_plan(*plan);
        }
        for key in c.sessions {
            let uses_tcp = self.sessions.get(&key).is_some_and(|s| s.uses_tcp());
            if uses_tcp {
                self.end_session(key, false);
            } else if let Some(s) = self.sessions.get_mut(&key) {
                // UDP sessions outlive their control connection (RFC 2326),
                // until TEARDOWN or timeout.
                s.conn = None;
            }
        }
    }
}
