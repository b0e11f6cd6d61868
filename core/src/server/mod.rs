//! The RTSP server machine.
//!
//! [`Server`] owns every connection, session and source of one server (or,
//! in the thread-per-core runtime, of one shard). It is driven by
//! [`Input`]s and answers with [`Output`]s; see the crate docs for the drain
//! rule. Below it sit small private machines: one per connection (request
//! decoding and ordering), one per session (transport, playback cursor), one
//! per source (packetizers, live fan-out, the shared file cache).

mod clock;
mod connection;
mod onvif_http;
mod playback;
mod request;
mod select;
mod session;
mod source;
mod timers;
mod udp_ports;

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::config::{DEFAULT_FILE_CACHE_MB, DEFAULT_PACING_MS, RtspConfig};
use crate::id_map::IdMap;
use crate::media::{Frame, SourceError, SourceId, SourceKind, SourceSpec, TrackInfo};
use crate::rng::Rng;
use crate::rtp::RtpPayload;
use crate::rtsp::DecoderLimits;
use crate::rtsp::auth::NonceIssuer;

pub use onvif_http::{DISCOVERY_PORT, OnvifSetup};

use clock::WallClock;
use connection::Connection;
use onvif_http::{HttpConn, OnvifDevice};
use session::Session;
use source::Source;
use timers::{TimerKind, TimerQueue};
use udp_ports::UdpPorts;

/// A TCP connection, numbered by the runtime (unique for the server's life).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId(pub u64);

/// Which listener accepted a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Listener {
    /// Plain RTSP (`serverport`).
    Rtsp,
    /// The ONVIF HTTP port (`http_port` of `onvif.cfg`); `tls` when the
    /// runtime terminates HTTPS on it (`https_port`).
    Onvif {
        /// Whether the connection came in over TLS.
        tls: bool,
    },
}

/// Something that happened, fed to [`Server::handle_input`] with the time it
/// happened at.
#[derive(Debug)]
#[non_exhaustive]
pub enum Input<'a> {
    /// Time has advanced (a deadline from [`Output::Timeout`] was reached).
    Timeout,
    /// A listener accepted a connection.
    Accepted {
        /// The runtime's id for it.
        conn: ConnId,
        /// The client's address.
        peer: SocketAddr,
        /// Our address as the client reached it.
        local: SocketAddr,
        /// Which listener.
        listener: Listener,
    },
    /// Bytes read from a connection.
    TcpData {
        /// The connection.
        conn: ConnId,
        /// The bytes, in order.
        data: &'a [u8],
    },
    /// The runtime finished writing `bytes` of [`Output::Send`] data to the
    /// socket of `conn`. This is how the server knows a reader is slow.
    Written {
        /// The connection.
        conn: ConnId,
        /// How many bytes left the process.
        bytes: usize,
    },
    /// The peer closed the connection, or it failed.
    Closed {
        /// The connection.
        conn: ConnId,
    },
    /// A datagram arrived on one of the server's UDP ports.
    Datagram {
        /// The local port it arrived on.
        local_port: u16,
        /// The sender.
        src: SocketAddr,
        /// The datagram.
        data: &'a [u8],
    },
    /// The answer to [`Event::OpenUdp`].
    UdpOpened {
        /// The first port asked for.
        port: u16,
        /// `Err` with the reason when any port of the block could not be bound.
        result: Result<(), String>,
    },
    /// The media layer opened a source ([`Event::OpenSource`]).
    SourceReady {
        /// Which source.
        source: SourceId,
        /// Live or file.
        kind: SourceKind,
        /// Its tracks, in the order frames refer to them.
        tracks: Vec<TrackInfo>,
    },
    /// An encoded frame of an open source.
    Media {
        /// Which source.
        source: SourceId,
        /// The frame.
        frame: Frame,
    },
    /// The source has no more frames (end of file, or a live source that stopped).
    SourceEnded {
        /// Which source.
        source: SourceId,
    },
    /// The source could not be opened, or failed.
    SourceFailed {
        /// Which source.
        source: SourceId,
        /// Why.
        error: SourceError,
    },
}

/// What the server asks the runtime to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Nothing more to do until this instant (or until the next input).
    Timeout(Instant),
    /// Write bytes to a connection, in order.
    Send {
        /// The connection.
        conn: ConnId,
        /// What to write.
        data: SendBuf,
    },
    /// Send a datagram from one of the server's UDP ports.
    SendTo {
        /// The local port to send from.
        local_port: u16,
        /// The destination.
        dst: SocketAddr,
        /// The datagram.
        data: SendBuf,
    },
    /// Close a connection after writing what was queued for it.
    Close {
        /// The connection.
        conn: ConnId,
    },
    /// A request to the media layer or the socket layer.
    Event(Event),
}

/// Requests from the server to the rest of the process.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// Open a media source; answer with [`Input::SourceReady`] then
    /// [`Input::Media`], or [`Input::SourceFailed`].
    OpenSource {
        /// The id to use in answers.
        source: SourceId,
        /// What to open.
        spec: SourceSpec,
    },
    /// Stop a source; no answer is expected and later inputs for it are ignored.
    CloseSource {
        /// Which source.
        source: SourceId,
    },
    /// Bind the `count` consecutive UDP ports from `port` (a session's
    /// block: RTP/RTCP pairs for video, audio, metadata and back channel), all
    /// or none; answer with [`Input::UdpOpened`].
    OpenUdp {
        /// The first port.
        port: u16,
        /// How many ports.
        count: u16,
    },
    /// Write `onvifrun.cfg` with this text, atomically (temporary file and
    /// rename), before carrying out any later output: the change it records
    /// is acknowledged by the response that follows.
    PersistOnvifState {
        /// The whole file.
        text: String,
    },
    /// An ONVIF client asked the device to reboot (SystemReboot); the
    /// response has been queued before this.
    Reboot,
    /// POST a WS-BaseNotification `Notify` to an event consumer. Best
    /// effort: no answer is expected, a failure is only logged.
    HttpPost {
        /// The consumer's address.
        url: String,
        /// The request's `Content-Type`.
        content_type: String,
        /// The SOAP envelope.
        body: String,
    },
    /// Close the ports opened by [`Event::OpenUdp`] with the same `port`.
    CloseUdp {
        /// The first port.
        port: u16,
        /// How many ports.
        count: u16,
    },
}

/// Bytes to send: a small per-recipient head (interleave prefix, RTP header)
/// followed by a shared body. Runtimes write both with one vectored call, so
/// the body, shared by every reader of a stream, is never copied.
#[derive(Clone, PartialEq, Eq)]
pub struct SendBuf {
    head: [u8; SendBuf::MAX_HEAD],
    head_len: u8,
    body: Bytes,
}

impl SendBuf {
    /// The largest head: a 4-byte interleave prefix, a 12-byte RTP header
    /// and up to 4 bytes of payload prefix (FU headers), with room to spare.
    pub const MAX_HEAD: usize = 24;

    /// A buffer that is only a body.
    pub fn body_only(body: Bytes) -> SendBuf {
        SendBuf {
            head: [0; Self::MAX_HEAD],
            head_len: 0,
            body,
        }
    }

    /// A head followed by a body; `parts` are concatenated into the head.
    ///
    /// # Panics
    ///
    /// When `parts` add up to more than [`SendBuf::MAX_HEAD`] bytes (heads
    /// are built by the server from fixed-size headers, never from input).
    pub fn with_head(parts: &[&[u8]], body: Bytes) -> SendBuf {
        let mut head = [0; Self::MAX_HEAD];
        let mut len = 0;
        for part in parts {
            head[len..len + part.len()].copy_from_slice(part);
            len += part.len();
        }
        SendBuf {
            head,
            head_len: len as u8,
            body,
        }
    }

    /// The per-recipient head.
    pub fn head(&self) -> &[u8] {
        &self.head[..usize::from(self.head_len)]
    }

    /// The shared body.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// Total length.
    pub fn len(&self) -> usize {
        usize::from(self.head_len) + self.body.len()
    }

    /// `true` when there is nothing to send.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Head and body as one contiguous vector (for tests and TLS).
    pub fn to_vec(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.len());
        v.extend_from_slice(self.head());
        v.extend_from_slice(&self.body);
        v
    }
}

impl std::fmt::Debug for SendBuf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SendBuf({} + {} bytes)", self.head_len, self.body.len())
    }
}

/// A share of the UDP port blocks, for servers (thread-per-core shards)
/// that serve one `udp_base_port` side by side: share `index` of `count`
/// takes blocks `index`, `index + count`, `index + 2 * count`, ... so no two
/// shards ever bind the same port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortShare {
    /// This server's share, `0..count`.
    pub index: u16,
    /// How many servers share the blocks.
    pub count: u16,
}

impl PortShare {
    /// Every block: the only server on its ports.
    pub const WHOLE: PortShare = PortShare { index: 0, count: 1 };
}

/// Server settings beyond the configuration file.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// The `rtsp.cfg` settings.
    pub rtsp: RtspConfig,
    /// Seed of every random choice (session ids, SSRCs, sequence numbers, nonces).
    pub rng_seed: u64,
    /// Unix time at the `Instant` given to [`Server::new`].
    pub unix_time_at_start: Duration,
    /// `Server:` header value.
    pub server_name: String,
    /// Digest/Basic realm.
    pub realm: String,
    /// Stream name of the built-in live test source.
    pub test_pattern_stream: String,
    /// Inactivity timeout of UDP sessions (advertised in `Session: ;timeout=`).
    pub session_timeout: Duration,
    /// Largest RTP payload (the MTU budget minus IP, UDP and RTP headers).
    pub max_payload: usize,
    /// Unwritten bytes a connection may have before its session drops frames.
    pub queue_limit_bytes: usize,
    /// How long a connection may stay over the limit without progress before it is closed.
    pub stall_timeout: Duration,
    /// How long a request may wait for a source to open.
    pub source_open_timeout: Duration,
    /// How long an unused live source stays open (so that a probe then a play reuse it).
    pub live_linger: Duration,
    /// How long an unused file's frame cache is kept.
    pub file_linger: Duration,
    /// Most encoded bytes cached for one file (`<file_cache_mb>`).
    pub file_cache_limit_bytes: usize,
    /// Pacing granularity of file playback (`<pacing_ms>`): send times are
    /// rounded up to a multiple of it, so a reader's audio and video frames,
    /// and sessions with frames due at nearby instants, share one wake-up
    /// and one write (at most this much jitter, far below any client's
    /// jitter buffer). Zero sends each frame at its own time.
    pub pace_slack: Duration,
    /// Interval of RTCP sender reports.
    pub rtcp_interval: Duration,
    /// Most UDP port blocks (sessions over UDP) at once, over all the
    /// servers that share `udp_base_port` (see `udp_share`).
    pub max_udp_sessions: u16,
    /// Which of the UDP port blocks this server may use: all of them, or
    /// one shard's share when several servers share `udp_base_port`.
    pub udp_share: PortShare,
    /// RTSP decoder limits.
    pub decoder_limits: DecoderLimits,
}

impl ServerConfig {
    /// Settings with our defaults around an `rtsp.cfg`.
    pub fn new(rtsp: RtspConfig) -> ServerConfig {
        let pacing_ms = rtsp.pacing_ms.unwrap_or(DEFAULT_PACING_MS);
        let cache_mb = rtsp.file_cache_mb.unwrap_or(DEFAULT_FILE_CACHE_MB);
        ServerConfig {
            rtsp,
            rng_seed: 0,
            unix_time_at_start: Duration::ZERO,
            server_name: format!("onvif-rtsp-server/{}", env!("CARGO_PKG_VERSION")),
            realm: "onvif-rtsp-server".into(),
            test_pattern_stream: "testsrc".into(),
            session_timeout: Duration::from_secs(60),
            max_payload: 1400 - 12,
            queue_limit_bytes: 4 * 1024 * 1024,
            stall_timeout: Duration::from_secs(10),
            source_open_timeout: Duration::from_secs(20),
            live_linger: Duration::from_secs(5),
            file_linger: Duration::from_secs(30),
            file_cache_limit_bytes: (cache_mb as usize).saturating_mul(1 << 20),
            pace_slack: Duration::from_millis(u64::from(pacing_ms)),
            rtcp_interval: Duration::from_secs(5),
            max_udp_sessions: 1000,
            udp_share: PortShare::WHOLE,
            decoder_limits: DecoderLimits::default(),
        }
    }
}

/// The RTSP server state machine.
pub struct Server {
    cfg: ServerConfig,
    rng: Rng,
    clock: WallClock,
    started_at: Instant,
    nonces: NonceIssuer,
    now: Instant,
    conns: IdMap<ConnId, Connection>,
    http_conns: IdMap<ConnId, HttpConn>,
    onvif: Option<Box<OnvifDevice>>,
    sessions: IdMap<u64, Session>,
    session_keys: HashMap<String, u64>,
    next_session_key: u64,
    sources: IdMap<SourceId, Source>,
    source_by_spec: HashMap<SourceSpec, SourceId>,
    next_source_id: u64,
    udp: UdpPorts,
    timers: TimerQueue,
    out: VecDeque<Output>,
    /// Reused buffer for packetizer output, so packetizing allocates no vector per frame.
    scratch: Vec<RtpPayload>,
}

impl Server {
    /// A server whose clock starts at `now`.
    pub fn new(cfg: ServerConfig, now: Instant) -> Server {
        let mut rng = Rng::new(cfg.rng_seed);
        let mut secret = [0u8; 16];
        secret[..8].copy_from_slice(&rng.next_u64().to_le_bytes());
        secret[8..].copy_from_slice(&rng.next_u64().to_le_bytes());
        let udp = UdpPorts::new(cfg.rtsp.udp_base_port, cfg.max_udp_sessions, cfg.udp_share);
        Server {
            clock: WallClock::new(now, cfg.unix_time_at_start),
            started_at: now,
            nonces: NonceIssuer::new(secret, 300),
            rng,
            now,
            conns: IdMap::default(),
            http_conns: IdMap::default(),
            onvif: None,
            sessions: IdMap::default(),
            session_keys: HashMap::new(),
            next_session_key: 1,
            sources: IdMap::default(),
            source_by_spec: HashMap::new(),
            next_source_id: 1,
            udp,
            timers: TimerQueue::default(),
            out: VecDeque::new(),
            scratch: Vec::new(),
            cfg,
        }
    }

    /// Runs the ONVIF device on the connections accepted by
    /// [`Listener::Onvif`] listeners.
    pub fn enable_onvif(&mut self, setup: OnvifSetup) -> Result<(), String> {
        let mut secret = [0u8; 16];
        secret[..8].copy_from_slice(&self.rng.next_u64().to_le_bytes());
        secret[8..].copy_from_slice(&self.rng.next_u64().to_le_bytes());
        let rng = self.rng.fork();
        let unix_now = self.clock.unix(self.now);
        let device = OnvifDevice::new(setup, secret, rng, self.now, unix_now)?;
        self.onvif = Some(Box::new(device));
        // Written at once, not only after a first change: the discovery
        // endpoint reference chosen on the first start must survive restarts.
        self.persist_onvif_state();
        self.announce();
        self.onvif_housekeeping();
        Ok(())
    }

    /// Feeds one input that happened at `now` (monotonic, never earlier than
    /// the previous input's). Drain [`Server::poll_output`] afterwards.
    pub fn handle_input(&mut self, now: Instant, input: Input<'_>) {
        if now > self.now {
            self.now = now;
        }
        match input {
            Input::Timeout => {}
            Input::Accepted {
                conn,
                peer,
                local,
                listener: Listener::Onvif { tls },
            } => self.accept_http(conn, peer, local, tls),
            Input::Accepted {
                conn,
                peer,
                local,
                listener: Listener::Rtsp,
            } => {
                self.conns.insert(
                    conn,
                    Connection::new(peer, local, self.cfg.decoder_limits, now),
                );
            }
            Input::TcpData { conn, data } if self.http_conns.contains_key(&conn) => {
                self.on_http_data(conn, data)
            }
            Input::TcpData { conn, data } => self.on_tcp_data(conn, data),
            Input::Written { conn, bytes } => self.on_written(conn, bytes),
            Input::Closed { conn } => {
                self.drop_http(conn);
                self.drop_connection(conn);
            }
            Input::Datagram {
                local_port: DISCOVERY_PORT,
                src,
                data,
            } if self.onvif.is_some() => self.on_discovery_datagram(src, data),
            Input::Datagram {
                local_port,
                src,
                data,
            } => self.on_datagram(local_port, src, data),
            Input::UdpOpened { port, result } => self.on_udp_opened(port, result),
            Input::SourceReady {
                source,
                kind,
                tracks,
            } => self.on_source_ready(source, kind, tracks),
            Input::Media { source, frame } => self.on_media(source, frame),
            Input::SourceEnded { source } => self.on_source_ended(source),
            Input::SourceFailed { source, error } => self.on_source_failed(source, error),
        }
        self.run_timers();
        self.onvif_housekeeping();
    }

    /// The next thing to do; [`Output::Timeout`] when drained.
    pub fn poll_output(&mut self) -> Output {
        if let Some(o) = self.out.pop_front() {
            return o;
        }
        let next = self
            .timers
            .next_deadline()
            .unwrap_or(self.now + Duration::from_secs(3600));
        Output::Timeout(next)
    }

    /// Number of RTSP sessions.
    pub fn session_count(&self) -> usize {
        self.sessions.len()
    }

    /// Number of open connections.
    pub fn connection_count(&self) -> usize {
        self.conns.len()
    }

    /// Number of open sources.
    pub fn source_count(&self) -> usize {
        self.sources.len()
    }

    fn run_timers(&mut self) {
        while let Some(kind) = self.timers.pop_due(self.now) {
            self.on_timer(kind);
        }
    }

    fn on_timer(&mut self, kind: TimerKind) {
        match kind {
            TimerKind::Pace {
                session,
                generation,
            } => self.on_pace(session, generation),
            TimerKind::Rtcp { session } => self.on_rtcp_timer(session),
            TimerKind::SessionTimeout { session } => self.on_session_timeout(session),
            TimerKind::Stall { conn } => self.on_stall_timer(conn),
            TimerKind::PendingDeadline { conn, generation } => {
                self.on_pending_deadline(conn, generation)
            }
            TimerKind::SourceLinger { source } => self.on_source_linger(source),
            TimerKind::HttpDeadline { conn, generation } => self.on_http_deadline(conn, generation),
            TimerKind::OnvifHousekeeping => self.on_onvif_timer(),
        }
    }
}
