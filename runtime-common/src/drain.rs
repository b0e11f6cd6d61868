//! The drain rule, shared by every runtime.
//!
//! After each input a runtime drains the server's outputs until
//! [`Output::Timeout`]. Data for a connection is gathered over the whole
//! drain and handed to its writer in one message, so a frame fanned out to
//! many readers costs one channel operation and one `writev` per reader, not
//! one per packet. Datagrams are gathered too, and each run of them from
//! one socket leaves in one `sendmmsg` ([`udp_batch`](crate::udp_batch)). TLS connections are encrypted and
//! decrypted here, sans-IO: the runtime only ever moves ciphertext.

use onvif_rtsp_core::id_map::IdMap;
use std::sync::Arc;
use std::time::Instant;

use onvif_rtsp_core::media::MediaEvent;
use onvif_rtsp_core::server::{ConnId, Event, Input, Output, SendBuf, Server};

use crate::tls::TlsSession;
use crate::udp_batch::Datagram;

/// The socket side of a runtime, as the drain needs it.
pub trait Sockets {
    /// Writes or hands to the connection's writer everything one drain
    /// queued for `conn`, in order, and leaves `data` empty (its capacity
    /// may be kept for the next drain). Unknown connections are ignored.
    fn write(&mut self, conn: ConnId, data: &mut Vec<SendBuf>);
    /// Closes `conn` once what was handed to its writer is written.
    fn close(&mut self, conn: ConnId);
    /// Sends datagrams that all leave from `local_port`, in order, now; a
    /// failure costs datagrams, never the server.
    fn send_datagrams(&mut self, local_port: u16, datagrams: &[Datagram]);
    /// Carries out an event; returns the input that answers it, if any
    /// (fed to the server at once, within the same drain).
    fn event(&mut self, event: Event) -> Option<Input<'static>>;
    /// The bytes `write` wrote straight away, per connection, not yet
    /// reported: the drain reports them to the server as [`Input::Written`]
    /// and empties the list (what a writer task writes later is reported
    /// by the runtime itself).
    fn written(&mut self) -> &mut Vec<(ConnId, usize)>;
    /// The time at which an event's answer or a written report is fed:
    /// the clock, for a runtime; a simulation gives its own time.
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// Buffers of a connection's vector kept between drains: a 40 ms step of
/// a 1080p stream with a keyframe is about 120.
const KEPT_PER_CONNECTION: usize = 256;

/// What a runtime keeps per connection beside its sockets: the TLS session
/// of HTTPS connections, and the data gathered during the current drain.
#[derive(Default)]
pub struct Conns {
    tls: IdMap<ConnId, TlsSession>,
    /// Each connection's data of the current drain. The vectors stay (until
    /// the connection closes), so a steady state allocates nothing here.
    pending: IdMap<ConnId, Vec<SendBuf>>,
    /// The connections with data in `pending`, in the order they got it.
    pending_conns: Vec<ConnId>,
    /// The datagrams of the current drain (the vector is kept, so a steady
    /// state allocates nothing here).
    datagrams: Vec<Datagram>,
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
            sockets.write(conn, &mut vec![SendBuf::body_only(handshake.into())]);
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

    /// Carries out every output of the server (the drain rule), reports
    /// what was written straight away (which may make more to drain: a
    /// reader no longer congested) and drains again until nothing is left;
    /// returns the instant at which to feed [`Input::Timeout`].
    pub fn drain(&mut self, server: &mut Server, sockets: &mut impl Sockets) -> Instant {
        loop {
            let at = self.drain_outputs(server, sockets);
            let now = sockets.now();
            let written = sockets.written();
            if written.is_empty() {
                return at;
            }
            for (conn, bytes) in written.drain(..) {
                server.handle_input(now, Input::Written { conn, bytes });
            }
        }
    }

    /// Carries out the outputs up to [`Output::Timeout`], whose instant it
    /// returns.
    fn drain_outputs(&mut self, server: &mut Server, sockets: &mut impl Sockets) -> Instant {
        loop {
            match server.poll_output() {
                Output::Timeout(at) => {
                    self.flush_connections(sockets);
                    self.flush_datagrams(sockets);
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
                    self.queue(conn, data);
                }
                Output::SendTo {
                    local_port,
                    dst,
                    data,
                } => self.datagrams.push(Datagram::new(local_port, dst, data)),
                Output::Close { conn } => {
                    if let Some(session) = self.tls.get_mut(&conn) {
                        session.close();
                        let alert = session.outgoing();
                        self.queue(conn, SendBuf::body_only(alert.into()));
                    }
                    self.flush(conn, sockets);
                    sockets.close(conn);
                }
                Output::Event(event) => {
                    // An event may close the ports the gathered datagrams
                    // leave from.
                    self.flush_datagrams(sockets);
                    if let Some(answer) = sockets.event(event) {
                        server.handle_input(sockets.now(), answer);
                    }
                }
            }
        }
    }

    /// Sends the gathered datagrams in the order the server emitted them,
    /// each run of consecutive datagrams from the same port in one batch.
    ///
    /// The server emits a reader's packets of a frame one after another, so
    /// a run is a frame already; sorting by port would lengthen runs a
    /// little (a reader's audio between its video) for more than it saves.
    fn flush_datagrams(&mut self, sockets: &mut impl Sockets) {
        let mut rest = &self.datagrams[..];
        while let Some(first) = rest.first() {
            let run = rest
                .iter()
                .position(|d| d.local_port != first.local_port)
                .unwrap_or(rest.len());
            sockets.send_datagrams(first.local_port, &rest[..run]);
            rest = &rest[run..];
        }
        self.datagrams.clear();
    }

    /// Writes each connection's gathered data, one `write` per connection
    /// in the order they first got data.
    fn flush_connections(&mut self, sockets: &mut impl Sockets) {
        let conns = std::mem::take(&mut self.pending_conns);
        for &conn in &conns {
            self.flush(conn, sockets);
        }
        // Kept, so a steady state allocates nothing.
        self.pending_conns = conns;
        self.pending_conns.clear();
    }

    /// Gathers `data` for `conn` until the end of the drain.
    fn queue(&mut self, conn: ConnId, data: SendBuf) {
        let pending = self.pending.entry(conn).or_default();
        if pending.is_empty() {
            self.pending_conns.push(conn);
        }
        pending.push(data);
    }

    /// Writes a connection's gathered data now (at the end of the drain, or
    /// before a close).
    fn flush(&mut self, conn: ConnId, sockets: &mut impl Sockets) {
        if let Some(data) = self.pending.get_mut(&conn) {
            if !data.is_empty() {
                sockets.write(conn, data);
                // A runtime that does not empty it: its data goes, rather
                // than being sent twice.
                data.clear();
                // One unusually large drain (a long pacing step, a big
                // keyframe) does not pin its vector for the connection's life.
                data.shrink_to(KEPT_PER_CONNECTION);
            }
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

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use std::net::SocketAddr;

    /// One `send_datagrams` call: the port and each datagram's
    /// destination and bytes.
    type Batch = (u16, Vec<(SocketAddr, Vec<u8>)>);

    /// Records what the drain hands to the sockets.
    #[derive(Default)]
    struct Recorder {
        batches: Vec<Batch>,
        /// Each `write`: the connection and its bytes.
        writes: Vec<(ConnId, Vec<u8>)>,
        written: Vec<(ConnId, usize)>,
    }

    impl Sockets for Recorder {
        fn write(&mut self, conn: ConnId, data: &mut Vec<SendBuf>) {
            self.writes
                .push((conn, data.iter().flat_map(SendBuf::to_vec).collect()));
            data.clear();
        }
        fn close(&mut self, _: ConnId) {}
        fn send_datagrams(&mut self, local_port: u16, datagrams: &[Datagram]) {
            let batch = datagrams
                .iter()
                .map(|d| {
                    assert_eq!(d.local_port, local_port);
                    (d.dst, d.data.to_vec())
                })
                .collect();
            self.batches.push((local_port, batch));
        }
        fn event(&mut self, _: Event) -> Option<Input<'static>> {
            None
        }
        fn written(&mut self) -> &mut Vec<(ConnId, usize)> {
            &mut self.written
        }
    }

    #[test]
    fn a_drain_writes_each_connection_once_in_order_and_keeps_its_vectors() {
        let (one, two) = (ConnId(1), ConnId(2));
        let buf = |b: &'static [u8]| SendBuf::body_only(Bytes::from_static(b));
        let mut conns = Conns::new();
        let mut sockets = Recorder::default();
        conns.queue(one, buf(b"a"));
        conns.queue(two, buf(b"b"));
        conns.queue(one, buf(b"c"));
        conns.flush_connections(&mut sockets);
        assert_eq!(
            sockets.writes,
            vec![(one, b"ac".to_vec()), (two, b"b".to_vec())]
        );
        // The next drain: only the connection with data is written, and
        // both vectors are still there, empty, for later drains.
        conns.queue(two, buf(b"d"));
        conns.flush_connections(&mut sockets);
        assert_eq!(sockets.writes[2..], [(two, b"d".to_vec())]);
        assert!(
            conns
                .pending
                .values()
                .all(|v| v.is_empty() && v.capacity() > 0)
        );
        assert!(conns.pending_conns.is_empty());
        // One huge drain does not pin its vector's size.
        for _ in 0..10 * KEPT_PER_CONNECTION {
            conns.queue(two, buf(b"e"));
        }
        conns.flush_connections(&mut sockets);
        assert!(conns.pending[&two].capacity() <= KEPT_PER_CONNECTION);
        // A closed connection's vector goes.
        conns.on_closed(one);
        assert_eq!(conns.pending.len(), 1);
    }

    #[test]
    fn each_run_of_datagrams_from_one_port_leaves_in_one_batch_in_order() {
        let a: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let b: SocketAddr = "127.0.0.1:6000".parse().unwrap();
        let mut conns = Conns::new();
        // As a fan-out emits them: reader b's packets of a frame, then
        // reader a's, then b's audio, ...
        for (i, (port, dst)) in [(40002, b), (40002, b), (40000, a), (40000, a), (40002, b)]
            .into_iter()
            .enumerate()
        {
            let data = SendBuf::body_only(Bytes::from(vec![i as u8]));
            conns.datagrams.push(Datagram::new(port, dst, data));
        }
        let mut sockets = Recorder::default();
        conns.flush_datagrams(&mut sockets);
        assert_eq!(
            sockets.batches,
            vec![
                (40002, vec![(b, vec![0]), (b, vec![1])]),
                (40000, vec![(a, vec![2]), (a, vec![3])]),
                (40002, vec![(b, vec![4])]),
            ]
        );
        assert!(conns.datagrams.is_empty());
    }
}
