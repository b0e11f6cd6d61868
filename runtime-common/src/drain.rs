//! The drain rule, shared by every runtime.
//!
//! After each input a runtime drains the server's outputs until
//! [`Output::Timeout`]. Data for a connection is gathered over the whole
//! drain and handed to its writer in one message, so a frame fanned out to
//! many readers costs one channel operation and one `writev` per reader, not
//! one per packet. TLS connections are encrypted and decrypted here, sans-IO:
//! the runtime only ever moves ciphertext.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use onvif_rtsp_core::media::MediaEvent;
use onvif_rtsp_core::server::{ConnId, Event, Input, Output, SendBuf, Server};

use crate::tls::TlsSession;

/// The socket side of a runtime, as the drain needs it.
pub trait Sockets {
    /// Hands `data` (everything one drain queued for `conn`, in order) to
    /// the connection's writer. Unknown connections are ignored.
    fn write(&mut self, conn: ConnId, data: Vec<SendBuf>);
    /// Closes `conn` once what was handed to its writer is written.
    fn close(&mut self, conn: ConnId);
    /// Sends one datagram now; a failure costs that datagram only.
    fn send_to(&mut self, local_port: u16, dst: SocketAddr, data: &SendBuf);
    /// Carries out an event; returns the input that answers it, if any
    /// (fed to the server at once, within the same drain).
    fn event(&mut self, event: Event) -> Option<Input<'static>>;
}

/// What a runtime keeps per connection beside its sockets: the TLS session
/// of HTTPS connections, and the data gathered during the current drain.
#[derive(Default)]
pub struct Conns {
    tls: HashMap<ConnId, TlsSession>,
    pending: HashMap<ConnId, Vec<SendBuf>>,
}

impl Conns {
    /// No connections.
    pub fn new() -> Conns {
        Conns::default()
    }

    /// Starts TLS on a connection just accepted by a TLS listener.
    pub fn start_tls(
        &mut self,
        conn: ConnId,
        config: Arc<rustls::ServerConfig>,
    ) -> Result<(), rustls::Error> {
        self.tls.insert(conn, TlsSession::new(config)?);
        Ok(())
    }

    /// Bytes read from `conn`: decrypted when it is a TLS connection (the
    /// handshake answered through `sockets`), then fed to the server.
    pub fn on_data(
        &mut self,
        server: &mut Server,
        now: Instant,
        conn: ConnId,
        data: &[u8],
        sockets: &mut impl Sockets,
    ) {
        let Some(session) = self.tls.get_mut(&conn) else {
            return server.handle_input(now, Input::TcpData { conn, data });
        };
        let mut plaintext = Vec::new();
        let received = session.receive(data, &mut plaintext);
        let handshake = session.outgoing();
        if !handshake.is_empty() {
            sockets.write(conn, vec![SendBuf::body_only(handshake.into())]);
        }
        if let Err(e) = received {
            tracing::debug!(error = %e, "TLS failed; closing");
            sockets.close(conn);
            return;
        }
        if !plaintext.is_empty() {
            server.handle_input(
                now,
                Input::TcpData {
                    conn,
                    data: &plaintext,
                },
            );
        }
    }

    /// Forgets a connection that is gone (the runtime then tells the server).
    pub fn on_closed(&mut self, conn: ConnId) {
        self.tls.remove(&conn);
        self.pending.remove(&conn);
    }

    /// Carries out every output of the server (the drain rule) and returns
    /// the instant at which to feed [`Input::Timeout`].
    pub fn drain(&mut self, server: &mut Server, sockets: &mut impl Sockets) -> Instant {
        loop {
            match server.poll_output() {
                Output::Timeout(at) => {
                    for (conn, data) in self.pending.drain() {
                        sockets.write(conn, data);
                    }
                    return at;
                }
                Output::Send { conn, data } => {
                    let data = match self.tls.get_mut(&conn) {
                        None => data,
                        Some(session) => match session.send(&[data.head(), data.body()]) {
                            Ok(ciphertext) => SendBuf::body_only(ciphertext.into()),
                            Err(e) => {
                                tracing::debug!(error = %e, "TLS send failed; closing");
                                self.flush(conn, sockets);
                                sockets.close(conn);
                                continue;
                            }
                        },
                    };
                    self.pending.entry(conn).or_default().push(data);
                }
                Output::SendTo {
                    local_port,
                    dst,
                    data,
                } => sockets.send_to(local_port, dst, &data),
                Output::Close { conn } => {
                    if let Some(session) = self.tls.get_mut(&conn) {
                        session.close();
                        let alert = session.outgoing();
                        self.pending
                            .entry(conn)
                            .or_default()
                            .push(SendBuf::body_only(alert.into()));
                    }
                    self.flush(conn, sockets);
                    sockets.close(conn);
                }
                Output::Event(event) => {
                    if let Some(answer) = sockets.event(event) {
                        server.handle_input(Instant::now(), answer);
                    }
                }
            }
        }
    }

    /// Hands a connection's gathered data to its writer now (before a close).
    fn flush(&mut self, conn: ConnId, sockets: &mut impl Sockets) {
        if let Some(data) = self.pending.remove(&conn) {
            sockets.write(conn, data);
        }
    }
}

/// The server input for a media layer event.
pub fn media_input(event: MediaEvent) -> Input<'static> {
    match event {
        MediaEvent::Ready {
            source,
            kind,
            tracks,
        } => Input::SourceReady {
            source,
            kind,
            tracks,
        },
        MediaEvent::Frame { source, frame } => Input::Media { source, frame },
        MediaEvent::Ended { source } => Input::SourceEnded { source },
        MediaEvent::Failed { source, error } => Input::SourceFailed { source, error },
    }
}
