//! A deterministic network simulator that runs the core [`Server`] against
//! many core [`Client`]s.
//!
//! Nothing here reads a clock or a socket. Simulated time is a `Duration`
//! since the start of the run; the machines get `base + now` as their
//! `Instant`, `base` being taken once when the simulation is built. Every
//! happening (a byte chunk arriving, a datagram, a timer, a media frame) is
//! an event in one queue ordered by (simulated time, insertion number), and
//! every random choice (loss, jitter, frame sizes, the server's and the
//! clients' seeds) comes from the run's seed. So a run is exactly
//! reproducible: same seed, same bytes, same report.
//!
//! The pieces:
//! - TCP: each client's RTSP connection is two in-order byte pipes with a
//!   latency and, towards the client, a bandwidth (and optionally a time
//!   at which the client stops reading). The server learns that bytes were
//!   written ([`Input::Written`]) when the pipe takes them, so a slow
//!   reader builds up a backlog in the server exactly as a full socket
//!   buffer would.
//! - UDP: per-datagram delay with uniform jitter, loss and extra reordering
//!   delay, per client, both ways.
//! - Media: a fake media layer answering [`Event::OpenSource`] with
//!   synthetic H.264 and audio tracks ([`media`]); live sources are paced
//!   by simulated time, files are handed over all at once.
//! - UDP binds ([`Event::OpenUdp`]) succeed unless the port is taken.
//!
//! [`Simulation::run`] returns a [`SimReport`]: per client the frames it
//! received (checked byte for byte against what the source produced), its
//! sequence gaps, bytes, times, errors and the server's write backlog
//! towards it; plus a hash of every byte the server sent.

pub mod media;
mod net;
pub mod report;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use bytes::Bytes;
use onvif_rtsp_core::client::{
    Client, ClientConfig, ClientEvent, ClientInput, ClientOutput, ClientTransport, TrackTransport,
    UdpPorts,
};
use onvif_rtsp_core::config::RtspConfig;
use onvif_rtsp_core::media::{Frame, SourceError, SourceId, SourceKind, SourceLocation};
use onvif_rtsp_core::rng::Rng;
use onvif_rtsp_core::rtp::header::RtpHeader;
use onvif_rtsp_core::server::{
    ConnId, Event, Input, Listener, Output, SendBuf, Server, ServerConfig,
};

pub use media::{AudioKind, MediaConfig, SyntheticStream};
pub use net::{LinkProfile, UdpProfile};
pub use report::{
    ClientReport, DroppedPacket, ReceivedFrame, SimReport, SourceFrameInfo, StreamReport,
    TrackReport,
};

use net::{EventQueue, Pipe};
use report::{FxBuild, OutputHash};

/// The server's address in the simulated network.
pub const SERVER_IP: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
/// The server's RTSP port.
pub const RTSP_PORT: u16 = 8554;
/// First local UDP port of every client (each client has its own address).
pub const CLIENT_UDP_BASE: u16 = 5000;
/// At most this many anomalies are described in the report (all are counted).
const MAX_ANOMALIES: usize = 50;

/// How a simulated client asks for media.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SimTransport {
    /// Interleaved in the RTSP connection.
    Tcp,
    /// UDP.
    Udp,
}

/// One simulated client.
#[derive(Clone, Debug)]
pub struct ClientSpec {
    /// The stream name (the URL path).
    pub stream: String,
    /// TCP or UDP.
    pub transport: SimTransport,
    /// When it connects.
    pub start_at: Duration,
    /// Credentials for Digest/Basic.
    pub credentials: Option<(String, String)>,
    /// Its RTSP connection.
    pub link: LinkProfile,
    /// Its UDP paths.
    pub udp: UdpProfile,
    /// When it sends TEARDOWN, if ever.
    pub teardown_at: Option<Duration>,
    /// When it sends PAUSE, and when PLAY again.
    pub pause: Option<(Duration, Duration)>,
    /// When its host vanishes: the connection drops and it sends nothing
    /// more (no TEARDOWN, no RTCP), as a crashed or unplugged client.
    pub vanish_at: Option<Duration>,
    /// `Range:` of its PLAY.
    pub play_range: Option<String>,
    /// Keepalive interval.
    pub keepalive: Duration,
    /// Receiver report interval.
    pub rtcp_interval: Duration,
}

impl ClientSpec {
    /// A client of `stream` over `transport` with a clean network.
    pub fn new(stream: &str, transport: SimTransport) -> ClientSpec {
        ClientSpec {
            stream: stream.to_owned(),
            transport,
            start_at: Duration::ZERO,
            credentials: None,
            link: LinkProfile::default(),
            udp: UdpProfile::default(),
            teardown_at: None,
            pause: None,
            vanish_at: None,
            play_range: Some("npt=0.000-".into()),
            keepalive: Duration::from_secs(2),
            rtcp_interval: Duration::from_secs(1),
        }
    }
}

/// A whole run.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// The seed of everything random (the server's and clients' seeds are
    /// derived from it, overriding `server.rng_seed`).
    pub seed: u64,
    /// Simulated length of the run.
    pub duration: Duration,
    /// The server's settings.
    pub server: ServerConfig,
    /// The fake media.
    pub media: MediaConfig,
    /// The clients.
    pub clients: Vec<ClientSpec>,
    /// UDP ports of the server host that other programs hold: binding them fails.
    pub busy_udp_ports: Vec<u16>,
}

impl SimConfig {
    /// A run of 5 simulated seconds with default settings and no clients.
    pub fn new(seed: u64) -> SimConfig {
        let mut server = ServerConfig::new(RtspConfig::default());
        server.unix_time_at_start = Duration::from_secs(1_700_000_000);
        SimConfig {
            seed,
            duration: Duration::from_secs(5),
            server,
            media: MediaConfig::default(),
            clients: Vec::new(),
            busy_udp_ports: Vec::new(),
        }
    }
}

/// A value of the run's seed for one purpose.
fn derive(seed: u64, purpose: u64) -> u64 {
    Rng::new(seed ^ purpose.wrapping_mul(0xd6e8_feb8_6659_fd93)).next_u64()
}

/// FNV-1a of a name, to seed its stream.
fn name_hash(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[derive(Debug)]
enum Ev {
    ServerTimer,
    ClientStart(usize),
    ClientTimer(usize),
    ClientTeardown(usize),
    ClientPause(usize),
    ClientResume(usize),
    ClientVanish(usize),
    TcpTransmit {
        client: usize,
        to_client: bool,
    },
    TcpDeliver {
        client: usize,
        to_client: bool,
    },
    ClientSeesClose(usize),
    ServerSeesClose(usize),
    UdpToClient {
        client: usize,
        local_port: u16,
        src: SocketAddr,
        data: SendBuf,
    },
    UdpToServer {
        local_port: u16,
        src: SocketAddr,
        data: Bytes,
    },
    UdpBound {
        port: u16,
        result: Result<(), String>,
    },
    SourceOpen(SourceId),
    LiveFrame {
        source: SourceId,
        track: usize,
        index: u64,
    },
}

/// A cheap fingerprint of a frame: track, length, first and last bytes.
type FrameKey = (usize, usize, [u8; 16], [u8; 16]);

/// The frames a stream produced, for byte-exact checks.
#[derive(Debug)]
struct Catalog {
    stream: SyntheticStream,
    tracks: Vec<Vec<Frame>>,
    /// (track, length, first bytes, last bytes) -> frame indices.
    index: HashMap<FrameKey, Vec<usize>, FxBuild>,
    opens: u32,
}

fn frame_key(track: usize, data: &[u8]) -> FrameKey {
    let mut head = [0u8; 16];
    let mut tail = [0u8; 16];
    let n = data.len().min(16);
    head[..n].copy_from_slice(&data[..n]);
    tail[..n].copy_from_slice(&data[data.len() - n..]);
    (track, data.len(), head, tail)
}

impl Catalog {
    fn new(stream: SyntheticStream) -> Catalog {
        let tracks = vec![Vec::new(); stream.track_count()];
        Catalog {
            stream,
            tracks,
            index: HashMap::default(),
            opens: 0,
        }
    }

    /// Frame `index` of `track`, generated once.
    fn frame(&mut self, track: usize, index: u64) -> Frame {
        let i = index as usize;
        while self.tracks[track].len() <= i {
            let n = self.tracks[track].len();
            let f = self.stream.frame(track, n as u64);
            self.index
                .entry(frame_key(track, &f.data))
                .or_default()
                .push(n);
            self.tracks[track].push(f);
        }
        self.tracks[track][i].clone()
    }

    /// The index of the frame of `track` with these bytes, trying `hint`
    /// (the frame after the last one a client got) before the index.
    fn lookup(&self, track: usize, data: &[u8], hint: usize) -> Option<usize> {
        let frames = self.tracks.get(track)?;
        if frames.get(hint).is_some_and(|f| f.data[..] == *data) {
            return Some(hint);
        }
        let candidates = self.index.get(&frame_key(track, data))?;
        candidates.iter().copied().find(|&i| {
            self.tracks[track]
                .get(i)
                .is_some_and(|f| f.data[..] == *data)
        })
    }
}

#[derive(Debug)]
struct SimSource {
    name: String,
    live: bool,
    opened_at: Duration,
    closed: bool,
}

struct SimClient {
    spec: ClientSpec,
    ip: IpAddr,
    client: Option<Client>,
    timer_at: Option<Duration>,
    to_client: Pipe,
    to_server: Pipe,
    /// The client side closed its socket.
    gone: bool,
    /// The server side closed (or forgot) the connection.
    server_closed: bool,
    report: ClientReport,
}

/// The simulator. Build it with [`Simulation::new`], then [`Simulation::run`].
pub struct Simulation {
    seed: u64,
    duration: Duration,
    media: MediaConfig,
    test_pattern: String,
    base: Instant,
    now: Duration,
    queue: EventQueue<Ev>,
    server: Server,
    server_timer_at: Option<Duration>,
    clients: Vec<SimClient>,
    /// Reused between drains, so that draining allocates nothing.
    server_outputs: Vec<Output>,
    client_outputs: Vec<ClientOutput>,
    /// Reused for bytes handed to a machine.
    scratch: Vec<u8>,
    sources: BTreeMap<SourceId, SimSource>,
    catalogs: BTreeMap<String, Catalog>,
    open_udp: BTreeSet<u16>,
    busy_udp: BTreeSet<u16>,
    rng: Rng,
    hash: OutputHash,
    server_bytes: u64,
    anomalies: Vec<String>,
    anomaly_count: u64,
    events: u64,
}

impl Simulation {
    /// Sets up a run; nothing happens until [`Simulation::run`].
    pub fn new(cfg: SimConfig) -> Simulation {
        Self::with_base(cfg, Instant::now())
    }

    /// Like [`Simulation::new`] with the `Instant` that simulated time 0 maps to.
    pub fn with_base(cfg: SimConfig, base: Instant) -> Simulation {
        let seed = cfg.seed;
        let busy_udp_ports = cfg.busy_udp_ports.clone();
        let mut server_cfg = cfg.server.clone();
        server_cfg.rng_seed = derive(seed, 1);
        let test_pattern = server_cfg.test_pattern_stream.clone();
        let server = Server::new(server_cfg, base);
        let mut queue = EventQueue::new();
        let mut clients = Vec::new();
        for (i, spec) in cfg.clients.into_iter().enumerate() {
            let ip = client_ip(i);
            queue.push(spec.start_at, Ev::ClientStart(i));
            if let Some(t) = spec.teardown_at {
                queue.push(t, Ev::ClientTeardown(i));
            }
            if let Some((pause, resume)) = spec.pause {
                queue.push(pause, Ev::ClientPause(i));
                queue.push(resume, Ev::ClientResume(i));
            }
            if let Some(t) = spec.vanish_at {
                queue.push(t, Ev::ClientVanish(i));
            }
            clients.push(SimClient {
                to_client: Pipe::new(spec.link.latency, spec.link.bandwidth, spec.link.freeze_at),
                to_server: Pipe::new(spec.link.latency, None, None),
                report: ClientReport {
                    index: i,
                    stream: spec.stream.clone(),
                    tcp: spec.transport == SimTransport::Tcp,
                    started_at: spec.start_at,
                    ..ClientReport::default()
                },
                spec,
                ip,
                client: None,
                timer_at: None,
                gone: false,
                server_closed: false,
            });
        }
        Simulation {
            seed,
            duration: cfg.duration,
            media: cfg.media,
            test_pattern,
            base,
            now: Duration::ZERO,
            queue,
            server,
            server_timer_at: None,
            clients,
            server_outputs: Vec::new(),
            client_outputs: Vec::new(),
            scratch: Vec::new(),
            sources: BTreeMap::new(),
            catalogs: BTreeMap::new(),
            open_udp: BTreeSet::new(),
            busy_udp: busy_udp_ports.into_iter().collect(),
            rng: Rng::new(derive(seed, 2)),
            hash: OutputHash::new(),
            server_bytes: 0,
            anomalies: Vec::new(),
            anomaly_count: 0,
            events: 0,
        }
    }

    /// Runs every event up to the configured duration and reports.
    pub fn run(mut self) -> SimReport {
        while let Some((at, ev)) = self.queue.pop() {
            if at > self.duration {
                break;
            }
            self.now = at;
            self.events += 1;
            self.dispatch(ev);
        }
        self.now = self.duration;
        self.report()
    }

    fn instant(&self) -> Instant {
        self.base + self.now
    }

    fn anomaly(&mut self, what: String) {
        self.anomaly_count += 1;
        if self.anomalies.len() < MAX_ANOMALIES {
            self.anomalies.push(format!("at {:?}: {what}", self.now));
        }
    }

    fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && ((self.rng.next_u64() >> 11) as f64) / ((1u64 << 53) as f64) < p
    }

    fn dispatch(&mut self, ev: Ev) {
        match ev {
            Ev::ServerTimer => {
                if self.server_timer_at == Some(self.now) {
                    self.server_timer_at = None;
                    self.server_input(Input::Timeout);
                }
            }
            Ev::ClientStart(i) => self.start_client(i),
            Ev::ClientTimer(i) => {
                if self.clients[i].timer_at == Some(self.now) {
                    self.clients[i].timer_at = None;
                    self.client_input(i, ClientInput::Timeout);
                }
            }
            Ev::ClientTeardown(i) => self.client_call(i, |c, now| c.teardown(now)),
            Ev::ClientPause(i) => self.client_call(i, |c, now| c.pause(now)),
            Ev::ClientResume(i) => self.client_call(i, |c, now| c.play(now, None)),
            Ev::ClientVanish(i) => {
                self.clients[i].report.vanished = true;
                self.close_client_side(i);
            }
            Ev::TcpTransmit { client, to_client } => self.on_transmit(client, to_client),
            Ev::TcpDeliver { client, to_client } => self.on_deliver(client, to_client),
            Ev::ClientSeesClose(i) => {
                if !self.clients[i].gone {
                    self.clients[i].report.closed_at = Some(self.now);
                    self.client_input(i, ClientInput::Closed);
                }
            }
            Ev::ServerSeesClose(i) => {
                if !self.clients[i].server_closed {
                    self.clients[i].server_closed = true;
                    self.server_input(Input::Closed { conn: conn_of(i) });
                }
            }
            Ev::UdpToClient {
                client,
                local_port,
                src,
                data,
            } => {
                if !self.clients[client].gone {
                    let mut bytes = std::mem::take(&mut self.scratch);
                    bytes.clear();
                    bytes.extend_from_slice(data.head());
                    bytes.extend_from_slice(data.body());
                    self.client_input(
                        client,
                        ClientInput::Datagram {
                            local_port,
                            src,
                            data: &bytes,
                        },
                    );
                    self.scratch = bytes;
                }
            }
            Ev::UdpToServer {
                local_port,
                src,
                data,
            } => {
                if self.open_udp.contains(&local_port) {
                    self.server_input(Input::Datagram {
                        local_port,
                        src,
                        data: &data,
                    });
                }
            }
            Ev::UdpBound { port, result } => self.server_input(Input::UdpOpened { port, result }),
            Ev::SourceOpen(id) => self.open_source(id),
            Ev::LiveFrame {
                source,
                track,
                index,
            } => self.live_frame(source, track, index),
        }
    }

    // ---- the server side ----

    fn server_input(&mut self, input: Input<'_>) {
        let now = self.instant();
        self.server.handle_input(now, input);
        self.drain_server();
    }

    fn drain_server(&mut self) {
        let mut outputs = std::mem::take(&mut self.server_outputs);
        let deadline = loop {
            match self.server.poll_output() {
                Output::Timeout(at) => break at,
                o => outputs.push(o),
            }
        };
        for o in outputs.drain(..) {
            match o {
                Output::Send { conn, data } => self.server_send(conn, &data),
                Output::SendTo {
                    local_port,
                    dst,
                    data,
                } => self.server_send_to(local_port, dst, data),
                Output::Close { conn } => self.server_close(conn),
                Output::Event(e) => self.server_event(e),
                Output::Timeout(_) => {}
            }
        }
        self.server_outputs = outputs;
        self.schedule_server_timer(deadline);
    }

    fn schedule_server_timer(&mut self, at: Instant) {
        let mut t = at.saturating_duration_since(self.base);
        if t <= self.now {
            self.anomaly(format!(
                "server deadline {t:?} not after the input that produced it"
            ));
            t = self.now + Duration::from_millis(1);
        }
        if t > self.duration || self.server_timer_at == Some(t) {
            return;
        }
        self.server_timer_at = Some(t);
        self.queue.push(t, Ev::ServerTimer);
    }

    fn server_send(&mut self, conn: ConnId, data: &SendBuf) {
        self.hash.write(&[1]);
        self.hash.write(&conn.0.to_le_bytes());
        self.hash.write_buf(data);
        self.server_bytes += data.len() as u64;
        let Some(i) = client_of(conn, self.clients.len()) else {
            return self.anomaly(format!("send on unknown connection {conn:?}"));
        };
        let now = self.now;
        let c = &mut self.clients[i];
        c.report.tcp_bytes_from_server += data.len() as u64;
        if c.server_closed {
            return self.anomaly(format!("send on connection {} after closing it", conn.0));
        }
        let event = c.to_client.push(now, &[data.head(), data.body()]);
        c.report.max_server_backlog = c.to_client.max_backlog;
        if let Some(at) = event {
            self.queue.push(
                at,
                Ev::TcpTransmit {
                    client: i,
                    to_client: true,
                },
            );
        }
    }

    fn server_send_to(&mut self, local_port: u16, dst: SocketAddr, data: SendBuf) {
        self.hash.write(&[2]);
        self.hash.write(&local_port.to_le_bytes());
        match dst.ip() {
            IpAddr::V4(ip) => self.hash.write(&ip.octets()),
            IpAddr::V6(ip) => self.hash.write(&ip.octets()),
        }
        self.hash.write(&dst.port().to_le_bytes());
        self.hash.write_buf(&data);
        self.server_bytes += data.len() as u64;
        if !self.open_udp.contains(&local_port) {
            self.anomaly(format!("datagram from unbound port {local_port} to {dst}"));
        }
        let Some(i) = client_at(dst.ip(), self.clients.len()) else {
            return self.anomaly(format!("datagram to unknown address {dst}"));
        };
        let profile = self.clients[i].spec.udp;
        if self.chance(profile.loss) {
            self.record_drop(i, dst.port(), &data);
            return;
        }
        let delay = self.udp_delay(&profile);
        self.queue.push(
            self.now + delay,
            Ev::UdpToClient {
                client: i,
                local_port: dst.port(),
                src: SocketAddr::new(SERVER_IP, local_port),
                data,
            },
        );
    }

    fn udp_delay(&mut self, p: &UdpProfile) -> Duration {
        let spread = p.max_delay.saturating_sub(p.min_delay).as_micros() as u64;
        let mut d = p.min_delay + Duration::from_micros(self.rng.below(spread + 1));
        if self.chance(p.reorder) {
            d += p.reorder_delay;
        }
        d
    }

    /// Notes a dropped RTP packet against the client track it was for.
    fn record_drop(&mut self, i: usize, port: u16, data: &SendBuf) {
        let now = self.now;
        let c = &mut self.clients[i];
        let Some(client) = c.client.as_ref() else {
            return;
        };
        let track = client.tracks().iter().position(|t| {
            matches!(t.transport, Some(TrackTransport::Udp { local_rtp, .. }) if local_rtp == port)
        });
        // The RTP header is the head, or starts the body.
        let mut header = [0u8; 2 * SendBuf::MAX_HEAD];
        let head = data.head();
        let body = &data.body()[..data.body().len().min(SendBuf::MAX_HEAD)];
        header[..head.len()].copy_from_slice(head);
        header[head.len()..head.len() + body.len()].copy_from_slice(body);
        let header = &header[..head.len() + body.len()];
        let (Some(track), Some((h, _))) = (track, RtpHeader::parse(header)) else {
            return;
        };
        if c.report.tracks.len() <= track {
            c.report.tracks.resize_with(track + 1, TrackReport::default);
        }
        c.report.tracks[track].dropped.push(DroppedPacket {
            sequence: h.sequence,
            timestamp: h.timestamp,
            at: now,
        });
    }

    fn server_close(&mut self, conn: ConnId) {
        self.hash.write(&[3]);
        self.hash.write(&conn.0.to_le_bytes());
        let Some(i) = client_of(conn, self.clients.len()) else {
            return;
        };
        let now = self.now;
        let c = &mut self.clients[i];
        if c.server_closed {
            return;
        }
        c.server_closed = true;
        // Queued bytes are still written, then the close reaches the
        // client; a client that stopped reading gets a reset instead.
        let at = match c.to_client.drained_at(now) {
            Some(t) => t,
            None => {
                c.to_client.reset();
                now + c.to_client.latency()
            }
        };
        self.queue.push(at, Ev::ClientSeesClose(i));
    }

    fn server_event(&mut self, e: Event) {
        match e {
            Event::OpenSource { source, spec } => {
                let live = !matches!(spec.location, SourceLocation::File(_));
                let name = match spec.location {
                    SourceLocation::TestPattern => self.test_pattern.clone(),
                    SourceLocation::File(n) => n,
                    SourceLocation::Device(d) => d.to_string(),
                };
                self.sources.insert(
                    source,
                    SimSource {
                        name,
                        live,
                        opened_at: Duration::ZERO,
                        closed: false,
                    },
                );
                self.queue
                    .push(self.now + self.media.open_delay, Ev::SourceOpen(source));
            }
            Event::CloseSource { source } => match self.sources.get_mut(&source) {
                Some(s) => s.closed = true,
                None => self.anomaly(format!("close of unknown source {source:?}")),
            },
            Event::OpenUdp { port, count } => {
                let ports: Vec<u16> = (0..count).map(|i| port.wrapping_add(i)).collect();
                let result = if u32::from(port) + u32::from(count) > 65536
                    || ports.iter().any(|p| self.busy_udp.contains(p))
                {
                    Err("address in use".to_owned())
                } else if ports.iter().any(|p| self.open_udp.contains(p)) {
                    self.anomaly(format!("bind of UDP port {port} the server already bound"));
                    Err("address in use".to_owned())
                } else {
                    self.open_udp.extend(ports);
                    Ok(())
                };
                self.queue.push(self.now, Ev::UdpBound { port, result });
            }
            Event::CloseUdp { port, count } => {
                for p in (0..count).map(|i| port.wrapping_add(i)) {
                    if !self.open_udp.remove(&p) {
                        self.anomaly(format!("close of UDP port {p} not bound"));
                    }
                }
            }
            other => self.anomaly(format!("unexpected server event {other:?}")),
        }
    }

    // ---- the media layer ----

    fn catalog(&mut self, name: &str) -> &mut Catalog {
        let seed = self.seed;
        let media = self.media.clone();
        self.catalogs.entry(name.to_owned()).or_insert_with(|| {
            Catalog::new(SyntheticStream::new(
                derive(seed, 3) ^ name_hash(name),
                media,
            ))
        })
    }

    fn open_source(&mut self, id: SourceId) {
        let Some(src) = self.sources.get_mut(&id) else {
            return;
        };
        if src.closed {
            return;
        }
        src.opened_at = self.now;
        let (name, live) = (src.name.clone(), src.live);
        if !live && !self.media.files.contains(&name) {
            self.server_input(Input::SourceFailed {
                source: id,
                error: SourceError::NotFound(name),
            });
            return;
        }
        let catalog = self.catalog(&name);
        catalog.opens += 1;
        let tracks = catalog.stream.tracks();
        let track_count = tracks.len();
        if live {
            self.server_input(Input::SourceReady {
                source: id,
                kind: SourceKind::Live,
                tracks,
            });
            for track in 0..track_count {
                self.queue.push(
                    self.now,
                    Ev::LiveFrame {
                        source: id,
                        track,
                        index: 0,
                    },
                );
            }
            return;
        }
        let duration = self.media.file_duration;
        self.server_input(Input::SourceReady {
            source: id,
            kind: SourceKind::File {
                duration: Some(duration),
            },
            tracks,
        });
        // The demuxer's order: by decode time, video first on ties.
        let catalog = self.catalog(&name);
        let mut frames = Vec::new();
        for track in 0..track_count {
            let mut index = 0;
            while catalog.stream.pts(track, index) < duration {
                frames.push(catalog.frame(track, index));
                index += 1;
            }
        }
        frames.sort_by_key(|f| (f.dts, f.track));
        for frame in frames {
            if self.sources.get(&id).is_none_or(|s| s.closed) {
                return;
            }
            self.server_input(Input::Media { source: id, frame });
        }
        self.server_input(Input::SourceEnded { source: id });
    }

    fn live_frame(&mut self, id: SourceId, track: usize, index: u64) {
        let Some(src) = self.sources.get(&id) else {
            return;
        };
        if src.closed {
            return;
        }
        let (name, opened_at) = (src.name.clone(), src.opened_at);
        let catalog = self.catalog(&name);
        let frame = catalog.frame(track, index);
        let next = opened_at + catalog.stream.pts(track, index + 1);
        self.server_input(Input::Media { source: id, frame });
        if next <= self.duration {
            self.queue.push(
                next,
                Ev::LiveFrame {
                    source: id,
                    track,
                    index: index + 1,
                },
            );
        }
    }

    // ---- the network ----

    fn on_transmit(&mut self, i: usize, to_client: bool) {
        let now = self.now;
        let c = &mut self.clients[i];
        let pipe = if to_client {
            &mut c.to_client
        } else {
            &mut c.to_server
        };
        let (taken, next, deliver) = pipe.transmit(now);
        if let Some(at) = next {
            self.queue.push(
                at,
                Ev::TcpTransmit {
                    client: i,
                    to_client,
                },
            );
        }
        if let Some(at) = deliver {
            self.queue.push(
                at,
                Ev::TcpDeliver {
                    client: i,
                    to_client,
                },
            );
        }
        if to_client && taken > 0 && !self.clients[i].server_closed {
            self.server_input(Input::Written {
                conn: conn_of(i),
                bytes: taken,
            });
        }
    }

    fn on_deliver(&mut self, i: usize, to_client: bool) {
        let now = self.now;
        let mut bytes = std::mem::take(&mut self.scratch);
        bytes.clear();
        let c = &mut self.clients[i];
        let pipe = if to_client {
            &mut c.to_client
        } else {
            &mut c.to_server
        };
        if let Some(at) = pipe.deliver(now, &mut bytes) {
            self.queue.push(
                at,
                Ev::TcpDeliver {
                    client: i,
                    to_client,
                },
            );
        }
        if !bytes.is_empty() {
            if to_client {
                if !self.clients[i].gone {
                    self.client_input(i, ClientInput::TcpData(&bytes));
                }
            } else if !self.clients[i].server_closed {
                self.server_input(Input::TcpData {
                    conn: conn_of(i),
                    data: &bytes,
                });
            }
        }
        self.scratch = bytes;
    }

    // ---- the clients ----

    fn start_client(&mut self, i: usize) {
        let ip = self.clients[i].ip;
        let peer = SocketAddr::new(ip, 40_000);
        self.server_input(Input::Accepted {
            conn: conn_of(i),
            peer,
            local: SocketAddr::new(SERVER_IP, RTSP_PORT),
            listener: Listener::Rtsp,
        });
        let spec = &self.clients[i].spec;
        let mut cfg = ClientConfig::new(format!("rtsp://{SERVER_IP}:{RTSP_PORT}/{}", spec.stream));
        cfg.transport = match spec.transport {
            SimTransport::Tcp => ClientTransport::Tcp,
            SimTransport::Udp => ClientTransport::Udp(UdpPorts::Base(CLIENT_UDP_BASE)),
        };
        cfg.credentials = spec.credentials.clone();
        cfg.rng_seed = derive(self.seed, 100 + i as u64);
        cfg.user_agent = "onvif-rtsp-sim".into();
        cfg.keepalive_interval = spec.keepalive;
        cfg.rtcp_interval = spec.rtcp_interval;
        cfg.play_range = spec.play_range.clone();
        cfg.report_rtp = false;
        let client = Client::new(cfg, self.instant());
        self.clients[i].client = Some(client);
        self.drain_client(i);
    }

    /// Calls one of the client's methods (teardown, pause, play) now.
    fn client_call(&mut self, i: usize, call: impl FnOnce(&mut Client, Instant)) {
        let now = self.instant();
        let c = &mut self.clients[i];
        if let (false, Some(client)) = (c.gone, c.client.as_mut()) {
            call(client, now);
            self.drain_client(i);
        }
    }

    fn client_input(&mut self, i: usize, input: ClientInput<'_>) {
        let now = self.instant();
        let Some(client) = self.clients[i].client.as_mut() else {
            return;
        };
        client.handle_input(now, input);
        self.drain_client(i);
    }

    fn drain_client(&mut self, i: usize) {
        let Some(client) = self.clients[i].client.as_mut() else {
            return;
        };
        let mut outputs = std::mem::take(&mut self.client_outputs);
        let deadline = loop {
            match client.poll_output() {
                ClientOutput::Timeout(at) => break at,
                o => outputs.push(o),
            }
        };
        for o in outputs.drain(..) {
            match o {
                ClientOutput::Send(bytes) => {
                    let now = self.now;
                    let c = &mut self.clients[i];
                    if c.gone {
                        continue;
                    }
                    if let Some(at) = c.to_server.push(now, &[&bytes]) {
                        self.queue.push(
                            at,
                            Ev::TcpTransmit {
                                client: i,
                                to_client: false,
                            },
                        );
                    }
                }
                ClientOutput::SendTo {
                    local_port,
                    dst,
                    data,
                } => {
                    if dst.ip() != SERVER_IP {
                        self.anomaly(format!("client {i} sent a datagram to {dst}"));
                        continue;
                    }
                    let profile = self.clients[i].spec.udp;
                    if self.chance(profile.loss) {
                        continue;
                    }
                    let delay = self.udp_delay(&profile);
                    let src = SocketAddr::new(self.clients[i].ip, local_port);
                    self.queue.push(
                        self.now + delay,
                        Ev::UdpToServer {
                            local_port: dst.port(),
                            src,
                            data,
                        },
                    );
                }
                ClientOutput::Event(e) => self.client_event(i, e),
                ClientOutput::Timeout(_) => {}
            }
        }
        self.client_outputs = outputs;
        let t = deadline.saturating_duration_since(self.base).max(self.now);
        let c = &mut self.clients[i];
        if t <= self.duration && c.timer_at != Some(t) && !c.gone {
            c.timer_at = Some(t);
            self.queue.push(t, Ev::ClientTimer(i));
        }
    }

    fn client_event(&mut self, i: usize, e: ClientEvent) {
        let now = self.now;
        match e {
            ClientEvent::Described { .. } => {
                self.clients[i].report.described_at.get_or_insert(now);
            }
            ClientEvent::Playing { .. } => {
                let r = &mut self.clients[i].report;
                r.playing_at.get_or_insert(now);
                if r.paused_at.is_some() {
                    r.resumed_at.get_or_insert(now);
                }
            }
            ClientEvent::Paused => {
                self.clients[i].report.paused_at.get_or_insert(now);
            }
            ClientEvent::Frame { track, unit } => {
                let c = &self.clients[i];
                let hint = c
                    .report
                    .tracks
                    .get(track)
                    .and_then(|t| t.frames.last())
                    .and_then(|f| f.source_index)
                    .map_or(0, |i| i + 1);
                let source_index = self
                    .catalogs
                    .get(&c.spec.stream)
                    .and_then(|cat| cat.lookup(track, &unit.data, hint));
                let r = &mut self.clients[i].report;
                if r.tracks.len() <= track {
                    r.tracks.resize_with(track + 1, TrackReport::default);
                }
                r.tracks[track].frames.push(ReceivedFrame {
                    source_index,
                    rtp_timestamp: unit.rtp_timestamp,
                    keyframe: unit.keyframe,
                    after_loss: unit.after_loss,
                    len: unit.data.len(),
                    at: now,
                });
            }
            ClientEvent::Ended => {
                self.clients[i].report.ended_at.get_or_insert(now);
            }
            ClientEvent::TornDown => {
                self.clients[i].report.torn_down = true;
                self.close_client_side(i);
            }
            ClientEvent::Failed(err) => {
                self.clients[i].report.errors.push(err.to_string());
                self.close_client_side(i);
            }
            _ => {}
        }
    }

    /// The client closes its socket; the server notices once the bytes
    /// sent before the close arrived.
    fn close_client_side(&mut self, i: usize) {
        let now = self.now;
        let c = &mut self.clients[i];
        if c.gone {
            return;
        }
        c.gone = true;
        c.timer_at = None;
        let at = c
            .to_server
            .drained_at(now)
            .unwrap_or(now + c.to_server.latency());
        self.queue.push(at, Ev::ServerSeesClose(i));
    }

    // ---- the report ----

    fn report(self) -> SimReport {
        let base = self.base;
        let since = |t: Option<Instant>| t.map(|t| t.saturating_duration_since(base));
        let mut clients = Vec::with_capacity(self.clients.len());
        for c in self.clients {
            let mut r = c.report;
            if let Some(client) = &c.client {
                let n = client.tracks().len();
                if r.tracks.len() < n {
                    r.tracks.resize_with(n, TrackReport::default);
                }
                for (t, tr) in r.tracks.iter_mut().enumerate() {
                    let Some(s) = client.stats(t) else {
                        continue;
                    };
                    tr.packets = s.packets;
                    tr.bytes = s.bytes;
                    tr.sequence_gaps = s.sequence_gaps;
                    tr.lost_packets = s.lost_packets;
                    tr.late_packets = s.late_packets;
                    tr.reports_sent = s.reports_sent;
                    tr.rtcp_packets = s.rtcp_packets;
                    tr.first_seq = s.first_seq;
                    tr.last_seq = s.last_seq;
                    tr.first_packet_at = since(s.first_packet_at);
                }
            }
            clients.push(r);
        }
        let streams = self
            .catalogs
            .iter()
            .map(|(name, c)| {
                let tracks = c
                    .tracks
                    .iter()
                    .map(|frames| {
                        frames
                            .iter()
                            .map(|f| SourceFrameInfo {
                                pts: f.pts,
                                keyframe: f.keyframe,
                                len: f.data.len(),
                            })
                            .collect()
                    })
                    .collect();
                (
                    name.clone(),
                    StreamReport {
                        opens: c.opens,
                        tracks,
                    },
                )
            })
            .collect();
        let mut anomalies = self.anomalies;
        if self.anomaly_count > anomalies.len() as u64 {
            anomalies.push(format!("... {} anomalies in all", self.anomaly_count));
        }
        SimReport {
            seed: self.seed,
            server_bytes_hash: self.hash.finish(),
            server_bytes: self.server_bytes,
            events: self.events,
            clients,
            streams,
            anomalies,
            server_sessions_at_end: self.server.session_count(),
            server_connections_at_end: self.server.connection_count(),
        }
    }
}

/// The address of client `i`: 10.1.0.1 to 10.1.0.250, then 10.1.1.1 and so on.
fn client_ip(i: usize) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(10, 1, (i / 250) as u8, (i % 250 + 1) as u8))
}

/// The client at an address, the inverse of [`client_ip`].
fn client_at(ip: IpAddr, clients: usize) -> Option<usize> {
    let IpAddr::V4(ip) = ip else {
        return None;
    };
    let [a, b, c, d] = ip.octets();
    if (a, b) != (10, 1) || d == 0 || d > 250 {
        return None;
    }
    let i = usize::from(c) * 250 + usize::from(d) - 1;
    (i < clients).then_some(i)
}

fn conn_of(client: usize) -> ConnId {
    ConnId(client as u64 + 1)
}

fn client_of(conn: ConnId, clients: usize) -> Option<usize> {
    let i = usize::try_from(conn.0).ok()?.checked_sub(1)?;
    (i < clients).then_some(i)
}
