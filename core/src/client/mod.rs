//! The RTSP client machine: for proxying other servers' streams, for load
//! generation and for the simulator that runs it against our own server.
//!
//! It has the same sans-IO shape as [`crate::server::Server`]. The runtime
//! connects a TCP socket to the URL's server, creates a [`Client`], and then
//! feeds it [`ClientInput`]s with [`Client::handle_input`], draining
//! [`Client::poll_output`] after every input until it returns
//! [`ClientOutput::Timeout`] (the crate's drain rule). Bytes to write on the
//! RTSP connection come out as [`ClientOutput::Send`], datagrams (RTCP
//! receiver reports over UDP) as [`ClientOutput::SendTo`], and what happens
//! as [`ClientEvent`]s.
//!
//! The client runs OPTIONS, DESCRIBE (answering a `401` with Digest or
//! Basic credentials), SETUP of every track it can depacketize (interleaved
//! TCP or UDP), and PLAY; then it keeps the session alive with
//! GET_PARAMETER (or OPTIONS when the server does not list GET_PARAMETER),
//! sends RTCP receiver reports, and turns RTP into access units
//! ([`ClientEvent::Frame`]). [`Client::pause`], [`Client::play`] and
//! [`Client::teardown`] drive the session afterwards.
//!
//! Over UDP the runtime binds the local ports of [`Client::udp_ports`] (known
//! from [`ClientEvent::Described`] on, fixed by [`ClientTransport::Udp`]) and
//! feeds what arrives there as [`ClientInput::Datagram`].

pub mod sdp;
mod track;
pub mod url;

#[cfg(test)]
mod tests;

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::media::{Codec, TrackInfo};
use crate::rng::Rng;
use crate::rtcp::ReceiverReport;
use crate::rtp::AccessUnit;
use crate::rtp::header::RtpHeader;
use crate::rtsp::auth::{Challenge, DigestAlgorithm, parse_challenge};
use crate::rtsp::transport::{LowerTransport, parse_transports};
use crate::rtsp::{
    DecodeError, Decoder, DecoderLimits, Message, Method, Request, Response, StatusCode,
};

use sdp::{SdpMedia, SdpSession, parse_sdp};
use track::Receiver;
pub use track::TrackStats;
use url::{
    ControlStyle, RtpInfo, match_track, parse_rtp_info, parse_session, parse_url, resolve_control,
};

/// CNAME of the client's RTCP reports.
const CNAME: &str = "onvif-rtsp-client";

/// How the client asks for media to be sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientTransport {
    /// RTP and RTCP interleaved in the RTSP connection (`RTP/AVP/TCP`).
    Tcp,
    /// RTP and RTCP over UDP to local ports the runtime binds.
    Udp(UdpPorts),
}

/// Local UDP ports of the set-up tracks, in set-up order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UdpPorts {
    /// Track `n` (counting set-up tracks) uses `base + 2n` for RTP and
    /// `base + 2n + 1` for RTCP.
    Base(u16),
    /// Explicit `(rtp, rtcp)` pairs; setting up more tracks than pairs fails.
    PerTrack(Vec<(u16, u16)>),
}

/// Which tracks of the description to set up (among those the client can
/// depacketize; back-channel `sendonly` sections are never set up).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TrackSelection {
    /// Every supported track.
    #[default]
    All,
    /// Video tracks only.
    Video,
    /// Audio tracks only.
    Audio,
}

/// Client settings.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// The stream URL (`rtsp://host:port/path`); `user:pass@` in it is used
    /// as credentials when [`ClientConfig::credentials`] is `None`, and is
    /// never sent.
    pub url: String,
    /// TCP interleaving or UDP.
    pub transport: ClientTransport,
    /// User name and password for Digest or Basic authentication.
    pub credentials: Option<(String, String)>,
    /// Seed of the client's random choices (its RTCP SSRC, Digest cnonces).
    pub rng_seed: u64,
    /// `User-Agent:` header value.
    pub user_agent: String,
    /// Interval of keepalive requests; shortened to half the server's
    /// session timeout when that is shorter.
    pub keepalive_interval: Duration,
    /// Interval of RTCP receiver reports while playing.
    pub rtcp_interval: Duration,
    /// How long to wait for a response before failing.
    pub request_timeout: Duration,
    /// `Range:` of the first PLAY (e.g. `npt=0.000-`, as ffmpeg sends); none when `None`.
    pub play_range: Option<String>,
    /// PLAY as soon as the tracks are set up; otherwise wait for [`Client::play`].
    pub auto_play: bool,
    /// Which tracks to set up.
    pub tracks: TrackSelection,
    /// How track controls are joined to the base URL.
    pub control_style: ControlStyle,
    /// The server's IP address, for UDP, when the URL names the host by
    /// name (the runtime resolved it); an IP literal in the URL is used otherwise.
    pub server_ip: Option<IpAddr>,
    /// How long a UDP packet waits for earlier, missing ones before they count as lost.
    pub reorder_window: Duration,
    /// Most UDP packets held for reordering per track.
    pub reorder_capacity: usize,
    /// Emit a [`ClientEvent::Rtp`] for every RTP packet.
    pub report_rtp: bool,
    /// Limits of the response decoder.
    pub decoder_limits: DecoderLimits,
}

impl ClientConfig {
    /// Settings with our defaults: TCP, auto PLAY without a Range,
    /// keepalive every 30 s, receiver reports every 5 s.
    pub fn new(url: impl Into<String>) -> ClientConfig {
        ClientConfig {
            url: url.into(),
            transport: ClientTransport::Tcp,
            credentials: None,
            rng_seed: 0,
            user_agent: format!("onvif-rtsp-client/{}", env!("CARGO_PKG_VERSION")),
            keepalive_interval: Duration::from_secs(30),
            rtcp_interval: Duration::from_secs(5),
            request_timeout: Duration::from_secs(10),
            play_range: None,
            auto_play: true,
            tracks: TrackSelection::All,
            control_style: ControlStyle::Append,
            server_ip: None,
            reorder_window: Duration::from_millis(100),
            reorder_capacity: 512,
            report_rtp: true,
            decoder_limits: DecoderLimits {
                max_body: 1 << 20,
                ..DecoderLimits::default()
            },
        }
    }
}

/// Something that happened, fed to [`Client::handle_input`] with its time.
#[derive(Debug)]
#[non_exhaustive]
pub enum ClientInput<'a> {
    /// Time has advanced (a deadline from [`ClientOutput::Timeout`] was reached).
    Timeout,
    /// Bytes read from the RTSP connection, in order.
    TcpData(&'a [u8]),
    /// A datagram arrived on one of the client's UDP ports.
    Datagram {
        /// The local port it arrived on.
        local_port: u16,
        /// The sender.
        src: SocketAddr,
        /// The datagram.
        data: &'a [u8],
    },
    /// The RTSP connection closed (or failed).
    Closed,
}

/// What the client asks the runtime to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientOutput {
    /// Nothing more to do until this instant (or until the next input).
    Timeout(Instant),
    /// Write bytes to the RTSP connection, in order.
    Send(Bytes),
    /// Send a datagram from one of the client's UDP ports.
    SendTo {
        /// The local port to send from.
        local_port: u16,
        /// The destination.
        dst: SocketAddr,
        /// The datagram.
        data: Bytes,
    },
    /// Something the owner of the client should know.
    Event(ClientEvent),
}

/// What happened to the session.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientEvent {
    /// The server described the stream. `tracks` lists every media section;
    /// the selected ones are being set up.
    Described {
        /// The description as received.
        sdp: Bytes,
        /// One entry per media section.
        tracks: Vec<ClientTrack>,
    },
    /// Every selected track is set up; PLAY follows unless
    /// [`ClientConfig::auto_play`] is off.
    Ready,
    /// A PLAY succeeded (the first one, or a resume after PAUSE).
    Playing {
        /// The reply's `RTP-Info` entries, with their track when known.
        rtp_info: Vec<RtpInfo>,
        /// The reply's `Range:` value.
        range: Option<String>,
    },
    /// A PAUSE succeeded.
    Paused,
    /// One access unit of a track.
    Frame {
        /// Index of the track (its media section).
        track: usize,
        /// The unit: RTP timestamp, bytes, keyframe flag, loss flag.
        unit: AccessUnit,
    },
    /// One RTP packet arrived (only with [`ClientConfig::report_rtp`]).
    Rtp {
        /// Index of the track.
        track: usize,
        /// Its header.
        header: RtpHeader,
        /// Its payload length.
        payload_len: usize,
    },
    /// The server said RTCP BYE on every set-up track: the stream is over.
    Ended,
    /// TEARDOWN was answered (or there was no session to tear down); the
    /// runtime may close the connection.
    TornDown,
    /// The session failed; the runtime should close the connection.
    Failed(ClientError),
}

/// Why the session failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientError {
    /// The URL is not an `rtsp://` URL.
    BadUrl(String),
    /// A request was answered with an error status.
    Status {
        /// The request's method.
        method: Method,
        /// The status.
        status: StatusCode,
        /// The reason phrase.
        reason: String,
    },
    /// A response could not be used (bad SDP, missing `Session`, ...).
    BadResponse(String),
    /// The description has no track the client can play.
    NoPlayableTrack,
    /// More tracks to set up than [`UdpPorts::PerTrack`] pairs.
    NotEnoughUdpPorts,
    /// No response within [`ClientConfig::request_timeout`].
    Timeout {
        /// The request's method.
        method: Method,
    },
    /// The byte stream from the server could not be decoded.
    Decode(DecodeError),
    /// The connection closed before the session ended.
    ConnectionClosed,
}

impl std::fmt::Display for ClientError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClientError::BadUrl(u) => write!(f, "not an RTSP URL: {u}"),
            ClientError::Status {
                method,
                status,
                reason,
            } => write!(f, "{} answered {} {reason}", method.as_str(), status.0),
            ClientError::BadResponse(why) => write!(f, "unusable response: {why}"),
            ClientError::NoPlayableTrack => f.write_str("no track the client can play"),
            ClientError::NotEnoughUdpPorts => f.write_str("more tracks than UDP port pairs"),
            ClientError::Timeout { method } => write!(f, "no answer to {}", method.as_str()),
            ClientError::Decode(e) => write!(f, "undecodable bytes from the server: {e}"),
            ClientError::ConnectionClosed => f.write_str("connection closed"),
        }
    }
}

impl std::error::Error for ClientError {}

/// One media section of the description as the client sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientTrack {
    /// The media section.
    pub media: SdpMedia,
    /// What the depacketizer was built from; `None` for unsupported codecs.
    pub info: Option<TrackInfo>,
    /// The track's URL (its control resolved against the base).
    pub control_url: String,
    /// The track is (being) set up.
    pub selected: bool,
    /// How its packets arrive, once SETUP was answered.
    pub transport: Option<TrackTransport>,
}

/// How a set-up track's packets arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackTransport {
    /// Interleaved in the RTSP connection.
    Tcp {
        /// Channel of RTP.
        rtp_channel: u8,
        /// Channel of RTCP.
        rtcp_channel: u8,
    },
    /// Over UDP.
    Udp {
        /// Our RTP port.
        local_rtp: u16,
        /// Our RTCP port.
        local_rtcp: u16,
        /// The server's RTP port, when it said.
        server_rtp: Option<u16>,
        /// The server's RTCP port, when it said.
        server_rtcp: Option<u16>,
    },
}

/// Where the session is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientState {
    /// OPTIONS sent.
    Starting,
    /// DESCRIBE sent.
    Describing,
    /// SETUPs under way.
    SettingUp,
    /// Set up, not playing.
    Ready,
    /// Playing.
    Playing,
    /// Paused.
    Paused,
    /// TEARDOWN sent.
    TearingDown,
    /// Torn down.
    Done,
    /// Failed (see [`ClientEvent::Failed`]).
    Failed,
}

/// A request the client has to send.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Req {
    Options,
    Describe,
    /// SETUP of the n-th selected track.
    Setup(usize),
    Play(Option<String>),
    Pause,
    Teardown,
    Keepalive,
}

/// The request waiting for its response.
#[derive(Debug)]
struct InFlight {
    cseq: u32,
    req: Req,
    method: Method,
    uri: String,
    deadline: Instant,
    auth_tries: u8,
}

/// The RTSP client state machine.
pub struct Client {
    cfg: ClientConfig,
    rng: Rng,
    now: Instant,
    state: ClientState,
    decoder: Decoder,
    out: VecDeque<ClientOutput>,
    url: String,
    credentials: Option<(String, String)>,
    server_ip: Option<IpAddr>,
    cseq: u32,
    in_flight: Option<InFlight>,
    queue: VecDeque<Req>,
    challenge: Option<Challenge>,
    /// The server lists GET_PARAMETER in `Public:` (or has not said).
    use_get_parameter: bool,
    session: Option<String>,
    session_timeout: Option<Duration>,
    aggregate_url: String,
    tracks: Vec<ClientTrack>,
    receivers: Vec<Option<Receiver>>,
    /// Media indices of the selected tracks, in set-up order.
    selected: Vec<usize>,
    ssrc: u32,
    keepalive_at: Option<Instant>,
    rtcp_at: Option<Instant>,
    ended_reported: bool,
}

impl Client {
    /// A client that starts its session at `now` (the connection is open).
    pub fn new(cfg: ClientConfig, now: Instant) -> Client {
        let mut rng = Rng::new(cfg.rng_seed);
        let ssrc = rng.next_u32();
        let parts = parse_url(&cfg.url);
        let url = parts
            .as_ref()
            .map(|p| p.without_credentials.clone())
            .unwrap_or_else(|| cfg.url.clone());
        let credentials = cfg.credentials.clone().or_else(|| {
            let p = parts.as_ref()?;
            Some((p.username.clone()?, p.password.clone().unwrap_or_default()))
        });
        let server_ip = cfg
            .server_ip
            .or_else(|| parts.as_ref().and_then(|p| p.socket_addr()).map(|a| a.ip()));
        let mut client = Client {
            decoder: Decoder::new(cfg.decoder_limits),
            rng,
            now,
            state: ClientState::Starting,
            out: VecDeque::new(),
            aggregate_url: url.clone(),
            url,
            credentials,
            server_ip,
            cseq: 0,
            in_flight: None,
            queue: VecDeque::new(),
            challenge: None,
            use_get_parameter: true,
            session: None,
            session_timeout: None,
            tracks: Vec::new(),
            receivers: Vec::new(),
            selected: Vec::new(),
            ssrc,
            keepalive_at: None,
            rtcp_at: None,
            ended_reported: false,
            cfg,
        };
        if parts.is_none() {
            let url = client.cfg.url.clone();
            client.fail(ClientError::BadUrl(url));
        } else {
            client.queue.push_back(Req::Options);
            client.pump();
        }
        client
    }

    /// Feeds one input that happened at `now`. Drain [`Client::poll_output`] afterwards.
    pub fn handle_input(&mut self, now: Instant, input: ClientInput<'_>) {
        self.advance(now);
        match input {
            ClientInput::Timeout => {}
            ClientInput::TcpData(data) => self.on_tcp_data(data),
            ClientInput::Datagram {
                local_port,
                src,
                data,
            } => self.on_datagram(local_port, src, data),
            ClientInput::Closed => self.on_closed(),
        }
        self.run_timers();
    }

    /// The next thing to do; [`ClientOutput::Timeout`] when drained.
    pub fn poll_output(&mut self) -> ClientOutput {
        if let Some(o) = self.out.pop_front() {
            return o;
        }
        ClientOutput::Timeout(
            self.next_deadline()
                .unwrap_or(self.now + Duration::from_secs(3600)),
        )
    }

    /// Sends TEARDOWN (after any request in flight) and an RTCP BYE. Without a
    /// session there is nothing to tear down: [`ClientEvent::TornDown`] comes at once.
    pub fn teardown(&mut self, now: Instant) {
        self.advance(now);
        match self.state {
            ClientState::TearingDown | ClientState::Done | ClientState::Failed => return,
            _ => {}
        }
        if self.session.is_none() {
            self.finish_teardown();
            return;
        }
        self.send_receiver_reports(true);
        self.queue.clear();
        self.queue.push_back(Req::Teardown);
        self.state = ClientState::TearingDown;
        self.keepalive_at = None;
        self.rtcp_at = None;
        self.pump();
    }

    /// Sends PAUSE (valid while playing).
    pub fn pause(&mut self, now: Instant) {
        self.advance(now);
        if matches!(self.state, ClientState::Playing) {
            self.queue.push_back(Req::Pause);
            self.pump();
        }
    }

    /// Sends PLAY with an optional `Range:` value (valid once set up:
    /// starts, resumes after PAUSE, or seeks).
    pub fn play(&mut self, now: Instant, range: Option<&str>) {
        self.advance(now);
        if matches!(
            self.state,
            ClientState::Ready | ClientState::Playing | ClientState::Paused
        ) {
            self.queue.push_back(Req::Play(range.map(str::to_owned)));
            self.pump();
        }
    }

    /// Where the session is.
    pub fn state(&self) -> ClientState {
        self.state
    }

    /// Every media section of the description (empty before DESCRIBE's answer).
    pub fn tracks(&self) -> &[ClientTrack] {
        &self.tracks
    }

    /// Counters of a track; `None` for tracks not set up.
    pub fn stats(&self, track: usize) -> Option<&TrackStats> {
        self.receivers.get(track)?.as_ref().map(|r| &r.stats)
    }

    /// The session id, once SETUP was answered.
    pub fn session_id(&self) -> Option<&str> {
        self.session.as_deref()
    }

    /// The `(rtp, rtcp)` local ports of the selected tracks over UDP, in
    /// set-up order (empty over TCP or before the description).
    pub fn udp_ports(&self) -> Vec<(u16, u16)> {
        (0..self.selected.len())
            .filter_map(|n| self.udp_pair(n))
            .collect()
    }

    /// Our SSRC in receiver reports.
    pub fn ssrc(&self) -> u32 {
        self.ssrc
    }

    fn advance(&mut self, now: Instant) {
        if now > self.now {
            self.now = now;
        }
    }

    fn is_over(&self) -> bool {
        matches!(self.state, ClientState::Done | ClientState::Failed)
    }

    fn fail(&mut self, err: ClientError) {
        if self.is_over() {
            return;
        }
        self.state = ClientState::Failed;
        self.in_flight = None;
        self.queue.clear();
        self.keepalive_at = None;
        self.rtcp_at = None;
        self.out
            .push_back(ClientOutput::Event(ClientEvent::Failed(err)));
    }

    fn finish_teardown(&mut self) {
        self.state = ClientState::Done;
        self.in_flight = None;
        self.queue.clear();
        self.keepalive_at = None;
        self.rtcp_at = None;
        self.out
            .push_back(ClientOutput::Event(ClientEvent::TornDown));
    }

    fn next_deadline(&self) -> Option<Instant> {
        let receivers = self.receivers.iter().flatten().filter_map(|r| r.deadline());
        [
            self.keepalive_at,
            self.rtcp_at,
            self.in_flight.as_ref().map(|f| f.deadline),
        ]
        .into_iter()
        .flatten()
        .chain(receivers)
        .min()
    }

    fn run_timers(&mut self) {
        let now = self.now;
        for r in self.receivers.iter_mut().flatten() {
            r.on_timeout(now, &mut self.out);
        }
        if let Some(f) = &self.in_flight {
            if f.deadline <= now {
                let method = f.method.clone();
                return self.fail(ClientError::Timeout { method });
            }
        }
        if self.rtcp_at.is_some_and(|t| t <= now) {
            self.send_receiver_reports(false);
            self.rtcp_at = Some(now + self.cfg.rtcp_interval);
        }
        if self.keepalive_at.is_some_and(|t| t <= now) {
            self.keepalive_at = Some(now + self.keepalive_interval());
            if self.in_flight.is_none() && self.queue.is_empty() {
                self.queue.push_back(Req::Keepalive);
                self.pump();
            }
        }
    }

    fn keepalive_interval(&self) -> Duration {
        let interval = self.cfg.keepalive_interval.max(Duration::from_millis(100));
        match self.session_timeout {
            Some(t) if t / 2 < interval && !t.is_zero() => t / 2,
            _ => interval,
        }
    }

    /// Sends the next queued request when none is in flight.
    fn pump(&mut self) {
        if self.in_flight.is_some() || self.is_over() {
            return;
        }
        if let Some(req) = self.queue.pop_front() {
            self.send_request(req, 0);
        }
    }

    fn send_request(&mut self, req: Req, auth_tries: u8) {
        let (method, uri) = match &req {
            Req::Options => (Method::Options, self.url.clone()),
            Req::Describe => (Method::Describe, self.url.clone()),
            Req::Setup(n) => {
                let url = self
                    .selected
                    .get(*n)
                    .and_then(|&i| self.tracks.get(i))
                    .map(|t| t.control_url.clone())
                    .unwrap_or_else(|| self.aggregate_url.clone());
                (Method::Setup, url)
            }
            Req::Play(_) => (Method::Play, self.aggregate_url.clone()),
            Req::Pause => (Method::Pause, self.aggregate_url.clone()),
            Req::Teardown => (Method::Teardown, self.aggregate_url.clone()),
            Req::Keepalive if self.use_get_parameter => {
                (Method::GetParameter, self.aggregate_url.clone())
            }
            Req::Keepalive => (Method::Options, self.aggregate_url.clone()),
        };
        self.cseq += 1;
        let mut request = Request {
            method: method.clone(),
            uri: uri.clone(),
            headers: crate::rtsp::Headers::new(),
            body: Bytes::new(),
        };
        let h = &mut request.headers;
        h.append("CSeq", self.cseq.to_string());
        h.append("User-Agent", self.cfg.user_agent.clone());
        if let (Some(challenge), Some((user, pass))) = (&self.challenge, &self.credentials) {
            let cnonce = format!("{:016x}", self.rng.next_u64());
            h.append(
                "Authorization",
                challenge.respond(user, pass, method.as_str(), &uri, &cnonce),
            );
        }
        match &req {
            Req::Describe => h.append("Accept", "application/sdp"),
            Req::Setup(n) => {
                let transport = match self.cfg.transport {
                    ClientTransport::Tcp => {
                        let ch = (2 * *n).min(254) as u8;
                        format!("RTP/AVP/TCP;unicast;interleaved={ch}-{}", ch + 1)
                    }
                    ClientTransport::Udp(_) => match self.udp_pair(*n) {
                        Some((rtp, rtcp)) => format!("RTP/AVP;unicast;client_port={rtp}-{rtcp}"),
                        None => return self.fail(ClientError::NotEnoughUdpPorts),
                    },
                };
                h.append("Transport", transport);
            }
            Req::Play(Some(range)) => h.append("Range", range.clone()),
            _ => {}
        }
        if let Some(id) = &self.session {
            if !matches!(req, Req::Options | Req::Describe) {
                h.append("Session", id.clone());
            }
        }
        let mut buf = Vec::with_capacity(256);
        request.write_to(&mut buf);
        self.out.push_back(ClientOutput::Send(Bytes::from(buf)));
        self.in_flight = Some(InFlight {
            cseq: self.cseq,
            req,
            method,
            uri,
            deadline: self.now + self.cfg.request_timeout,
            auth_tries,
        });
    }

    /// The local UDP ports of the n-th selected track.
    fn udp_pair(&self, n: usize) -> Option<(u16, u16)> {
        match &self.cfg.transport {
            ClientTransport::Tcp => None,
            ClientTransport::Udp(UdpPorts::Base(base)) => {
                let rtp = base.checked_add(u16::try_from(2 * n).ok()?)?;
                Some((rtp, rtp.checked_add(1)?))
            }
            ClientTransport::Udp(UdpPorts::PerTrack(pairs)) => pairs.get(n).copied(),
        }
    }

    fn on_tcp_data(&mut self, data: &[u8]) {
        if self.is_over() {
            return;
        }
        self.decoder.push(data);
        loop {
            match self.decoder.next_message() {
                Ok(None) => return,
                Ok(Some(Message::Response(resp))) => self.on_response(resp),
                Ok(Some(Message::Interleaved { channel, data })) => {
                    self.on_interleaved(channel, data)
                }
                Ok(Some(Message::Request(req))) => self.answer_server_request(&req),
                Err(e) => return self.fail(ClientError::Decode(e)),
            }
            if self.is_over() {
                return;
            }
        }
    }

    /// Servers may send requests too (GET_PARAMETER as a keepalive probe,
    /// ANNOUNCE, REDIRECT); the ones that need nothing are acknowledged.
    fn answer_server_request(&mut self, req: &Request) {
        let status = match req.method {
            Method::Options | Method::GetParameter | Method::SetParameter => StatusCode::OK,
            _ => StatusCode::NOT_IMPLEMENTED,
        };
        let mut resp = Response::new(status);
        resp.headers.append("CSeq", req.cseq().unwrap_or("0"));
        resp.headers
            .append("User-Agent", self.cfg.user_agent.clone());
        let mut buf = Vec::new();
        resp.write_to(&mut buf);
        self.out.push_back(ClientOutput::Send(Bytes::from(buf)));
    }

    fn on_response(&mut self, resp: Response) {
        let matches_cseq = |f: &InFlight| {
            resp.headers
                .get("CSeq")
                .is_none_or(|c| c.trim().parse::<u32>().ok() == Some(f.cseq))
        };
        let Some(flight) = self.in_flight.take_if(|f| matches_cseq(f)) else {
            return;
        };
        if resp.status == StatusCode::UNAUTHORIZED && self.retry_with_credentials(&resp, &flight) {
            return self.send_request(flight.req, flight.auth_tries + 1);
        }
        match flight.req {
            Req::Options => self.on_options(&resp),
            Req::Describe => self.on_describe(&flight, resp),
            Req::Setup(n) => self.on_setup(&flight, &resp, n),
            Req::Play(_) => self.on_play(&flight, &resp),
            Req::Pause => self.on_pause(&flight, &resp),
            Req::Teardown => self.finish_teardown(),
            Req::Keepalive => self.on_keepalive(&flight, &resp),
        }
        self.pump();
    }

    /// Picks a challenge from a 401 and says whether to send the request
    /// again: once with new credentials, and again only if the server says
    /// the nonce went stale.
    fn retry_with_credentials(&mut self, resp: &Response, flight: &InFlight) -> bool {
        if self.credentials.is_none() || flight.auth_tries >= 2 {
            return false;
        }
        let challenges: Vec<(Challenge, bool)> = resp
            .headers
            .get_all("WWW-Authenticate")
            .filter_map(|v| {
                let stale = v.to_ascii_lowercase().contains("stale=true");
                parse_challenge(v).map(|c| (c, stale))
            })
            .collect();
        // MD5 Digest first (what every server and client agree on), then any
        // Digest, then Basic.
        let rank = |c: &Challenge| match c {
            Challenge::Digest {
                algorithm: DigestAlgorithm::Md5,
                ..
            } => 0,
            Challenge::Digest { .. } => 1,
            Challenge::Basic { .. } => 2,
        };
        let Some((chosen, stale)) = challenges.into_iter().min_by_key(|(c, _)| rank(c)) else {
            return false;
        };
        if flight.auth_tries == 1 && !stale {
            // Our credentials were refused.
            return false;
        }
        self.challenge = Some(chosen);
        true
    }

    fn status_error(flight: &InFlight, resp: &Response) -> ClientError {
        ClientError::Status {
            method: flight.method.clone(),
            status: resp.status,
            reason: resp.reason.clone(),
        }
    }

    fn on_options(&mut self, resp: &Response) {
        if let Some(public) = resp.headers.get("Public") {
            self.use_get_parameter = public
                .split(',')
                .any(|m| m.trim().eq_ignore_ascii_case("GET_PARAMETER"));
        }
        if self.state == ClientState::Starting {
            self.state = ClientState::Describing;
            self.queue.push_back(Req::Describe);
        }
    }

    fn on_describe(&mut self, flight: &InFlight, resp: Response) {
        if !resp.status.is_success() {
            return self.fail(Self::status_error(flight, &resp));
        }
        let Ok(text) = std::str::from_utf8(&resp.body) else {
            return self.fail(ClientError::BadResponse(
                "the description is not UTF-8".into(),
            ));
        };
        let session = match parse_sdp(text) {
            Ok(s) => s,
            Err(e) => return self.fail(ClientError::BadResponse(e.to_string())),
        };
        let base = resp
            .headers
            .get("Content-Base")
            .or_else(|| resp.headers.get("Content-Location"))
            .map(|b| b.trim().to_owned())
            .filter(|b| b.contains("://"))
            .unwrap_or_else(|| flight.uri.clone());
        self.describe_tracks(&base, &session);
        if self.selected.is_empty() {
            return self.fail(ClientError::NoPlayableTrack);
        }
        self.out
            .push_back(ClientOutput::Event(ClientEvent::Described {
                sdp: resp.body.clone(),
                tracks: self.tracks.clone(),
            }));
        self.state = ClientState::SettingUp;
        self.queue.push_back(Req::Setup(0));
    }

    fn describe_tracks(&mut self, base: &str, session: &SdpSession) {
        let style = self.cfg.control_style;
        self.aggregate_url = match session.control.as_deref() {
            Some(c) if c != "*" => resolve_control(base, c, style),
            _ => base.to_owned(),
        };
        self.tracks.clear();
        self.receivers.clear();
        self.selected.clear();
        for (i, media) in session.media.iter().enumerate() {
            let info = media.track_info();
            let wanted = match (self.cfg.tracks, info.as_ref().map(|t| t.codec)) {
                (_, None) => false,
                (TrackSelection::All, Some(_)) => true,
                (TrackSelection::Video, Some(c)) => c.is_video(),
                (TrackSelection::Audio, Some(c)) => matches!(c, Codec::Audio(_)),
            };
            let selected = wanted && media.direction.as_deref() != Some("sendonly");
            let control_url = match media.control.as_deref() {
                Some(c) => resolve_control(base, c, style),
                // Without a control, a single track is the aggregate itself.
                None => self.aggregate_url.clone(),
            };
            let receiver = match (&info, selected) {
                (Some(info), true) => {
                    let reorder = matches!(self.cfg.transport, ClientTransport::Udp(_))
                        .then_some((self.cfg.reorder_window, self.cfg.reorder_capacity));
                    Some(Receiver::new(
                        i,
                        info,
                        media.parameter_sets(),
                        reorder,
                        self.cfg.report_rtp,
                    ))
                }
                _ => None,
            };
            if selected {
                self.selected.push(i);
            }
            self.receivers.push(receiver);
            self.tracks.push(ClientTrack {
                media: media.clone(),
                info,
                control_url,
                selected,
                transport: None,
            });
        }
    }

    fn on_setup(&mut self, flight: &InFlight, resp: &Response, n: usize) {
        if !resp.status.is_success() {
            return self.fail(Self::status_error(flight, resp));
        }
        match resp.headers.get("Session").and_then(parse_session) {
            Some((id, timeout)) if self.session.is_none() => {
                self.session = Some(id);
                self.session_timeout = timeout.map(Duration::from_secs);
            }
            Some(_) => {}
            None if self.session.is_none() => {
                return self.fail(ClientError::BadResponse(
                    "SETUP reply without Session".into(),
                ));
            }
            None => {}
        }
        let reply = resp
            .headers
            .get("Transport")
            .and_then(|v| parse_transports(v).ok())
            .and_then(|v| v.into_iter().next());
        let Some(&index) = self.selected.get(n) else {
            return;
        };
        let transport = match (&self.cfg.transport, reply) {
            (ClientTransport::Tcp, reply) => {
                let asked = (2 * n).min(254) as u8;
                let (rtp, rtcp) = match reply.as_ref().and_then(|r| r.interleaved) {
                    Some((a, b)) => (a, b.unwrap_or(a.wrapping_add(1))),
                    None => (asked, asked + 1),
                };
                if reply.is_some_and(|r| r.lower != Some(LowerTransport::Tcp)) {
                    return self.fail(ClientError::BadResponse(
                        "the server did not accept TCP".into(),
                    ));
                }
                TrackTransport::Tcp {
                    rtp_channel: rtp,
                    rtcp_channel: rtcp,
                }
            }
            (ClientTransport::Udp(_), reply) => {
                let Some((local_rtp, local_rtcp)) = self.udp_pair(n) else {
                    return self.fail(ClientError::NotEnoughUdpPorts);
                };
                let server = reply.as_ref().and_then(|r| r.server_port);
                if let Some(source) = reply.as_ref().and_then(|r| r.source) {
                    self.server_ip = Some(source);
                }
                TrackTransport::Udp {
                    local_rtp,
                    local_rtcp,
                    server_rtp: server.map(|(a, _)| a),
                    server_rtcp: server.map(|(a, b)| b.unwrap_or(a.wrapping_add(1))),
                }
            }
        };
        if let Some(t) = self.tracks.get_mut(index) {
            t.transport = Some(transport);
        }
        if n + 1 < self.selected.len() {
            self.queue.push_back(Req::Setup(n + 1));
            return;
        }
        self.state = ClientState::Ready;
        self.keepalive_at = Some(self.now + self.keepalive_interval());
        self.out.push_back(ClientOutput::Event(ClientEvent::Ready));
        if self.cfg.auto_play {
            self.queue.push_back(Req::Play(self.cfg.play_range.clone()));
        }
    }

    fn on_play(&mut self, flight: &InFlight, resp: &Response) {
        if !resp.status.is_success() {
            return self.fail(Self::status_error(flight, resp));
        }
        let controls: Vec<(usize, &str)> = self
            .selected
            .iter()
            .filter_map(|&i| Some((i, self.tracks.get(i)?.control_url.as_str())))
            .collect();
        let mut rtp_info = resp
            .headers
            .get("RTP-Info")
            .map(parse_rtp_info)
            .unwrap_or_default();
        for info in &mut rtp_info {
            info.track = match_track(&info.url, &controls);
        }
        if self.state == ClientState::Paused {
            for r in self.receivers.iter_mut().flatten() {
                r.restart(self.now, &mut self.out);
            }
        }
        self.state = ClientState::Playing;
        if self.rtcp_at.is_none() {
            self.rtcp_at = Some(self.now + self.cfg.rtcp_interval);
        }
        self.out
            .push_back(ClientOutput::Event(ClientEvent::Playing {
                rtp_info,
                range: resp.headers.get("Range").map(str::to_owned),
            }));
    }

    fn on_pause(&mut self, flight: &InFlight, resp: &Response) {
        if !resp.status.is_success() {
            return self.fail(Self::status_error(flight, resp));
        }
        self.state = ClientState::Paused;
        self.rtcp_at = None;
        self.out.push_back(ClientOutput::Event(ClientEvent::Paused));
    }

    fn on_keepalive(&mut self, flight: &InFlight, resp: &Response) {
        match resp.status {
            s if s.is_success() => {}
            StatusCode::SESSION_NOT_FOUND => self.fail(Self::status_error(flight, resp)),
            StatusCode::METHOD_NOT_ALLOWED | StatusCode::NOT_IMPLEMENTED
                if flight.method == Method::GetParameter =>
            {
                self.use_get_parameter = false;
            }
            _ => {}
        }
    }

    fn on_closed(&mut self) {
        match self.state {
            ClientState::Done | ClientState::Failed => {}
            ClientState::TearingDown => self.finish_teardown(),
            _ => self.fail(ClientError::ConnectionClosed),
        }
    }

    fn on_interleaved(&mut self, channel: u8, data: Bytes) {
        let found = self
            .tracks
            .iter()
            .enumerate()
            .find_map(|(i, t)| match t.transport {
                Some(TrackTransport::Tcp {
                    rtp_channel,
                    rtcp_channel,
                }) if channel == rtp_channel || channel == rtcp_channel => {
                    Some((i, channel == rtcp_channel))
                }
                _ => None,
            });
        match found {
            Some((i, false)) => self.on_rtp(i, &data),
            Some((i, true)) => self.on_rtcp(i, &data),
            None => {}
        }
    }

    fn on_datagram(&mut self, local_port: u16, src: SocketAddr, data: &[u8]) {
        let found = self
            .tracks
            .iter()
            .enumerate()
            .find_map(|(i, t)| match t.transport {
                Some(TrackTransport::Udp {
                    local_rtp,
                    local_rtcp,
                    ..
                }) if local_port == local_rtp || local_port == local_rtcp => {
                    Some((i, local_port == local_rtcp))
                }
                _ => None,
            });
        let Some((i, is_rtcp)) = found else {
            return;
        };
        if self.server_ip.is_none() {
            self.server_ip = Some(src.ip());
        }
        let data = Bytes::copy_from_slice(data);
        if is_rtcp {
            self.on_rtcp(i, &data);
        } else {
            self.on_rtp(i, &data);
        }
    }

    fn on_rtp(&mut self, track: usize, packet: &Bytes) {
        if !matches!(
            self.state,
            ClientState::Playing | ClientState::Paused | ClientState::Ready
        ) {
            return;
        }
        if let Some(Some(r)) = self.receivers.get_mut(track) {
            r.on_rtp(self.now, packet, &mut self.out);
        }
    }

    fn on_rtcp(&mut self, track: usize, data: &[u8]) {
        let Some(Some(r)) = self.receivers.get_mut(track) else {
            return;
        };
        if !r.on_rtcp(self.now, data) || self.ended_reported {
            return;
        }
        let all_ended = self.receivers.iter().flatten().all(|r| r.stats.ended);
        if all_ended {
            self.ended_reported = true;
            self.out.push_back(ClientOutput::Event(ClientEvent::Ended));
        }
    }

    /// Sends a receiver report (RR + SDES, and BYE when leaving) on every
    /// track whose sender is known.
    fn send_receiver_reports(&mut self, bye: bool) {
        let now = self.now;
        for &i in &self.selected {
            let (Some(Some(r)), Some(t)) = (self.receivers.get_mut(i), self.tracks.get(i)) else {
                continue;
            };
            let Some(block) = r.report_block(now) else {
                continue;
            };
            let report = ReceiverReport {
                ssrc: self.ssrc,
                blocks: vec![block],
            };
            let mut buf = Vec::with_capacity(64);
            if bye {
                report.write_with_bye(CNAME, &mut buf);
            } else {
                report.write_compound(CNAME, &mut buf);
            }
            match t.transport {
                Some(TrackTransport::Tcp { rtcp_channel, .. }) => {
                    let len = buf.len().min(usize::from(u16::MAX)) as u16;
                    let mut framed = Vec::with_capacity(4 + buf.len());
                    framed.extend_from_slice(&[b'$', rtcp_channel]);
                    framed.extend_from_slice(&len.to_be_bytes());
                    framed.extend_from_slice(&buf);
                    self.out.push_back(ClientOutput::Send(Bytes::from(framed)));
                }
                Some(TrackTransport::Udp {
                    local_rtcp,
                    server_rtcp: Some(port),
                    ..
                }) => {
                    if let Some(ip) = self.server_ip {
                        self.out.push_back(ClientOutput::SendTo {
                            local_port: local_rtcp,
                            dst: SocketAddr::new(ip, port),
                            data: Bytes::from(buf),
                        });
                    }
                }
                _ => {}
            }
        }
    }
}
