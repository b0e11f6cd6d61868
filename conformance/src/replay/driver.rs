//! Replaying a capture's client side into the core [`Server`].
//!
//! Every TCP conversation whose client speaks RTSP or HTTP becomes a
//! connection of the server, accepted when its first packet was captured
//! (with the captured addresses); the client's bytes are fed in the chunks
//! and at the (simulated) times they were captured, and its close when it
//! closed. Datagrams the client sent to the server's UDP ports (RTCP
//! receiver reports, NAT punching) are fed too. The server's timers fire
//! at their deadlines in between, writes are acknowledged at once, and a
//! fake media layer (the simulator's synthetic streams) answers its source
//! requests. What the server sends on each connection is kept for
//! comparison with what the real server sent in the capture.
//!
//! Session ids are the server's random choice, and the client repeats the
//! real server's in its later requests: the n-th session id the replayed
//! server hands out stands for the n-th the real one did (in capture
//! order), and the client's bytes are fed with the ids swapped.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::{Duration, Instant};

use onvif_rtsp_core::config::OnvifConfig;
use onvif_rtsp_core::media::{Frame, SourceError, SourceId, SourceKind, SourceLocation, TrackInfo};
use onvif_rtsp_core::onvif_device::HostInfo;
use onvif_rtsp_core::onvif_state::DeviceState;
use onvif_rtsp_core::rtsp::parse::{Decoder, DecoderLimits, Message};
use onvif_rtsp_core::server::{
    ConnId, Event, Input, Listener, OnvifSetup, Output, Server, ServerConfig,
};

use super::flows::{Capture, TcpConversation};
use crate::sim::media::{MediaConfig, SyntheticStream};

/// What a conversation's client speaks, from its first request line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// RTSP/1.0 requests.
    Rtsp,
    /// HTTP/1.x requests (the ONVIF endpoint).
    Http,
    /// Something else: not replayed.
    Other,
}

impl Protocol {
    /// Guesses from the first bytes a client sent.
    pub fn sniff(client_bytes: &[u8]) -> Protocol {
        let line_end = client_bytes
            .iter()
            .position(|&b| b == b'\n')
            .unwrap_or(client_bytes.len());
        let line = String::from_utf8_lossy(&client_bytes[..line_end]);
        let line = line.trim_end();
        if line.ends_with(" RTSP/1.0") {
            Protocol::Rtsp
        } else if line.ends_with(" HTTP/1.1") || line.ends_with(" HTTP/1.0") {
            Protocol::Http
        } else {
            Protocol::Other
        }
    }
}

/// How to replay a capture.
#[derive(Clone, Debug)]
pub struct ReplayConfig {
    /// The server's settings (its `rng_seed` and `unix_time_at_start` are
    /// kept; the start defaults to the capture's first frame).
    pub server: ServerConfig,
    /// The fake media: which names are files, how long they last, the
    /// tracks' shape.
    pub media: MediaConfig,
    /// Seed of the synthetic media.
    pub media_seed: u64,
    /// The ONVIF configuration, for captures with HTTP conversations.
    pub onvif: OnvifConfig,
    /// How long to keep running after the last captured input.
    pub linger: Duration,
    /// How much of the capture's time to replay at most (a damaged
    /// timestamp could otherwise ask for years of simulated time).
    pub max_span: Duration,
}

impl ReplayConfig {
    /// Replays against a server with default settings.
    pub fn new(server: ServerConfig) -> ReplayConfig {
        ReplayConfig {
            server,
            media: MediaConfig::default(),
            media_seed: 1,
            onvif: OnvifConfig::default(),
            linger: Duration::from_millis(500),
            max_span: Duration::from_secs(600),
        }
    }
}

/// One conversation after the replay.
#[derive(Clone, Debug)]
pub struct ReplayedConversation {
    /// Its index among the capture's conversations.
    pub index: usize,
    /// What its client speaks.
    pub protocol: Protocol,
    /// The captured connection.
    pub captured: TcpConversation,
    /// What the replayed server sent on it.
    pub replayed: Vec<u8>,
    /// The replayed server closed it.
    pub replay_closed: bool,
}

/// The result of a replay.
#[derive(Clone, Debug, Default)]
pub struct Replay {
    /// Every conversation of the capture, replayed or not.
    pub conversations: Vec<ReplayedConversation>,
    /// Client datagrams fed to the server.
    pub datagrams_fed: usize,
    /// Captured datagrams not fed (not for a port the server had bound).
    pub datagrams_skipped: usize,
    /// Datagrams the replayed server sent.
    pub datagrams_sent: usize,
    /// Things the driver found odd (deadlines in the past, ...).
    pub anomalies: Vec<String>,
}

#[derive(Clone, Copy, Debug)]
enum Step {
    Accept(usize),
    Data(usize, usize),
    Close(usize),
    Datagram(usize),
}

/// Inputs the driver makes itself, fed one at a time.
enum Own {
    Written(ConnId, usize),
    UdpOpened(u16, Result<(), String>),
    Ready(SourceId, SourceKind, Vec<TrackInfo>),
    Media(SourceId, Frame),
    Ended(SourceId),
    Failed(SourceId, SourceError),
}

struct LiveFeed {
    source: SourceId,
    stream: SyntheticStream,
    opened_at: Duration,
    next: Vec<u64>,
}

struct Driver<'c> {
    capture: &'c Capture,
    cfg: &'c ReplayConfig,
    server: Server,
    base: Instant,
    now: Duration,
    deadline: Option<Duration>,
    own: VecDeque<Own>,
    out: Vec<Vec<u8>>,
    server_closed: Vec<bool>,
    open_udp: BTreeSet<u16>,
    live: BTreeMap<SourceId, LiveFeed>,
    test_pattern: String,
    /// Session ids the real server handed out, in capture order.
    captured_sessions: Vec<String>,
    /// Session ids the replayed server handed out, in order.
    replayed_sessions: Vec<String>,
    /// Decoders of the replayed server's RTSP output, per conversation.
    decoders: Vec<Option<Decoder>>,
    result: Replay,
}

fn decoder() -> Decoder {
    Decoder::new(DecoderLimits {
        max_body: 1024 * 1024,
        ..DecoderLimits::default()
    })
}

/// Session ids in the responses decoded so far, added to `ids` when new.
fn collect_sessions(decoder: &mut Decoder, mut found: impl FnMut(String)) {
    while let Ok(Some(m)) = decoder.next_message() {
        if let Message::Response(r) = m {
            if let Some(v) = r.headers.get("Session") {
                let id = v.split(';').next().unwrap_or_default().trim();
                if !id.is_empty() {
                    found(id.to_owned());
                }
            }
        }
    }
}

/// Session ids of the capture's RTSP answers, in the order they were
/// first captured.
fn captured_sessions(capture: &Capture, protocols: &[Protocol]) -> Vec<String> {
    let mut seen: Vec<(Duration, String)> = Vec::new();
    for (conv, _) in capture
        .conversations
        .iter()
        .zip(protocols)
        .filter(|(_, p)| **p == Protocol::Rtsp)
    {
        let mut d = decoder();
        for (at, chunk) in conv.to_client.chunks() {
            d.push(chunk);
            collect_sessions(&mut d, |id| {
                if !seen.iter().any(|(_, s)| *s == id) {
                    seen.push((at, id));
                }
            });
        }
    }
    seen.sort_by_key(|(at, _)| *at);
    seen.into_iter().map(|(_, id)| id).collect()
}

fn conn_of(conversation: usize) -> ConnId {
    ConnId(conversation as u64 + 1)
}

fn conversation_of(conn: ConnId) -> Option<usize> {
    usize::try_from(conn.0).ok()?.checked_sub(1)
}

/// Replays `capture` into a fresh server.
pub fn replay(capture: &Capture, cfg: &ReplayConfig) -> Replay {
    let protocols: Vec<Protocol> = capture
        .conversations
        .iter()
        .map(|c| Protocol::sniff(c.to_server.bytes()))
        .collect();
    let mut server_cfg = cfg.server.clone();
    if server_cfg.unix_time_at_start.is_zero() {
        server_cfg.unix_time_at_start = capture.start;
    }
    let base = Instant::now();
    let test_pattern = server_cfg.test_pattern_stream.clone();
    let mut server = Server::new(server_cfg, base);
    let mut anomalies = Vec::new();
    if protocols.contains(&Protocol::Http) {
        let http_port = capture
            .conversations
            .iter()
            .zip(&protocols)
            .find(|(_, p)| **p == Protocol::Http)
            .map(|(c, _)| c.server.port());
        let rtsp_port = capture
            .conversations
            .iter()
            .zip(&protocols)
            .find(|(_, p)| **p == Protocol::Rtsp)
            .map_or(cfg.server.rtsp.server_port, |(c, _)| c.server.port());
        let mut state = DeviceState::from_config(&cfg.onvif, cfg.server.rng_seed);
        state.set_rtsp_port(rtsp_port);
        state.set_default_stream(&test_pattern);
        let setup = OnvifSetup {
            config: cfg.onvif.clone(),
            state,
            host: HostInfo {
                hostname: "onvif-rtsp-replay".into(),
                interfaces: Vec::new(),
            },
            http_port,
            https_port: None,
            discovery: false,
        };
        if let Err(e) = server.enable_onvif(setup) {
            anomalies.push(format!("the ONVIF device did not start: {e}"));
        }
    }
    let n = capture.conversations.len();
    let mut d = Driver {
        capture,
        cfg,
        server,
        base,
        now: Duration::ZERO,
        deadline: None,
        own: VecDeque::new(),
        out: vec![Vec::new(); n],
        server_closed: vec![false; n],
        open_udp: BTreeSet::new(),
        live: BTreeMap::new(),
        test_pattern,
        captured_sessions: captured_sessions(capture, &protocols),
        replayed_sessions: Vec::new(),
        decoders: protocols
            .iter()
            .map(|p| (*p == Protocol::Rtsp).then(decoder))
            .collect(),
        result: Replay {
            anomalies,
            ..Replay::default()
        },
    };
    d.drain();
    d.run(&protocols);
    let Driver {
        out,
        server_closed,
        mut result,
        ..
    } = d;
    for (index, ((conv, replayed), closed)) in capture
        .conversations
        .iter()
        .zip(out)
        .zip(server_closed)
        .enumerate()
    {
        result.conversations.push(ReplayedConversation {
            index,
            protocol: protocols[index],
            captured: conv.clone(),
            replayed,
            replay_closed: closed,
        });
    }
    result
}

impl Driver<'_> {
    fn rel(&self, t: Duration) -> Duration {
        t.saturating_sub(self.capture.start)
    }

    fn run(&mut self, protocols: &[Protocol]) {
        let mut steps: Vec<(Duration, Step)> = Vec::new();
        for (i, conv) in self.capture.conversations.iter().enumerate() {
            if protocols[i] == Protocol::Other {
                continue;
            }
            steps.push((self.rel(conv.opened_at), Step::Accept(i)));
            for (k, (at, _)) in conv.to_server.chunks().enumerate() {
                steps.push((self.rel(at), Step::Data(i, k)));
            }
            if let Some(at) = conv.to_server.closed_at {
                steps.push((self.rel(at), Step::Close(i)));
            }
        }
        for (i, dg) in self.capture.datagrams.iter().enumerate() {
            steps.push((self.rel(dg.at), Step::Datagram(i)));
        }
        // Stable: same-time steps keep the capture's order.
        steps.sort_by_key(|(at, _)| *at);
        let span = self.cfg.max_span;
        if steps.last().is_some_and(|(at, _)| *at > span) {
            self.result.anomalies.push(format!(
                "the capture spans more than {span:?}: only that much was replayed"
            ));
            steps.retain(|(at, _)| *at <= span);
        }
        let end = steps.last().map_or(Duration::ZERO, |(at, _)| *at) + self.cfg.linger;
        let mut next_step = 0;
        loop {
            let step_at = steps.get(next_step).map(|(at, _)| *at);
            let live_at = self.next_live().map(|(at, ..)| at);
            let candidates = [step_at, live_at, self.deadline];
            let Some(t) = candidates.iter().flatten().copied().min() else {
                break;
            };
            if t > end {
                break;
            }
            self.now = self.now.max(t);
            if step_at == Some(t) {
                let step = steps[next_step].1;
                next_step += 1;
                self.step(step);
            } else if live_at == Some(t) {
                self.live_frame();
            } else {
                self.deadline = None;
                self.input(Input::Timeout);
            }
        }
    }

    fn step(&mut self, step: Step) {
        let convs = &self.capture.conversations;
        match step {
            Step::Accept(i) => {
                let conv = &convs[i];
                let listener = match Protocol::sniff(conv.to_server.bytes()) {
                    Protocol::Http => Listener::Onvif { tls: false },
                    _ => Listener::Rtsp,
                };
                self.input(Input::Accepted {
                    conn: conn_of(i),
                    peer: conv.client,
                    local: conv.server,
                    listener,
                });
            }
            Step::Data(i, k) => {
                if self.server_closed[i] {
                    return;
                }
                if let Some((_, data)) = convs[i].to_server.chunks().nth(k) {
                    let data = self.swap_sessions(data);
                    self.input(Input::TcpData {
                        conn: conn_of(i),
                        data: &data,
                    });
                }
            }
            Step::Close(i) => {
                if !self.server_closed[i] {
                    self.server_closed[i] = true;
                    self.input(Input::Closed { conn: conn_of(i) });
                }
            }
            Step::Datagram(k) => {
                let dg = &self.capture.datagrams[k];
                let to_server = self.open_udp.contains(&dg.dst.port())
                    && !self.open_udp.contains(&dg.src.port());
                if to_server {
                    self.result.datagrams_fed += 1;
                    self.input(Input::Datagram {
                        local_port: dg.dst.port(),
                        src: dg.src,
                        data: &dg.data,
                    });
                } else {
                    self.result.datagrams_skipped += 1;
                }
            }
        }
    }

    /// Feeds one input, drains the server, then feeds what that called for.
    fn input(&mut self, input: Input<'_>) {
        self.server.handle_input(self.base + self.now, input);
        self.drain();
        while let Some(own) = self.own.pop_front() {
            let input = match own {
                Own::Written(conn, bytes) => Input::Written { conn, bytes },
                Own::UdpOpened(port, result) => Input::UdpOpened { port, result },
                Own::Ready(source, kind, tracks) => Input::SourceReady {
                    source,
                    kind,
                    tracks,
                },
                Own::Media(source, frame) => Input::Media { source, frame },
                Own::Ended(source) => Input::SourceEnded { source },
                Own::Failed(source, error) => Input::SourceFailed { source, error },
            };
            self.server.handle_input(self.base + self.now, input);
            self.drain();
        }
    }

    fn drain(&mut self) {
        loop {
            match self.server.poll_output() {
                Output::Timeout(at) => {
                    let mut t = at.saturating_duration_since(self.base);
                    if t <= self.now {
                        self.result
                            .anomalies
                            .push(format!("deadline {t:?} not after now {:?}", self.now));
                        t = self.now + Duration::from_millis(1);
                    }
                    self.deadline = Some(t);
                    return;
                }
                Output::Send { conn, data } => {
                    let i = conversation_of(conn).unwrap_or(usize::MAX);
                    if let Some(out) = self.out.get_mut(i) {
                        out.extend_from_slice(data.head());
                        out.extend_from_slice(data.body());
                        self.own.push_back(Own::Written(conn, data.len()));
                        if let Some(Some(d)) = self.decoders.get_mut(i) {
                            d.push(data.head());
                            d.push(data.body());
                            let ids = &mut self.replayed_sessions;
                            collect_sessions(d, |id| {
                                if !ids.contains(&id) {
                                    ids.push(id);
                                }
                            });
                        }
                    } else {
                        self.result
                            .anomalies
                            .push(format!("send on unknown connection {}", conn.0));
                    }
                }
                Output::SendTo { .. } => self.result.datagrams_sent += 1,
                Output::Close { conn } => {
                    if let Some(c) =
                        conversation_of(conn).and_then(|i| self.server_closed.get_mut(i))
                    {
                        *c = true;
                    }
                }
                Output::Event(e) => self.event(e),
            }
        }
    }

    fn event(&mut self, e: Event) {
        match e {
            Event::OpenSource { source, spec } => {
                let name = match spec.location {
                    SourceLocation::TestPattern => self.test_pattern.clone(),
                    SourceLocation::File(n) => n,
                    SourceLocation::Device(d) => d.to_string(),
                };
                let stream = SyntheticStream::new(
                    self.cfg.media_seed ^ name_hash(&name),
                    self.cfg.media.clone(),
                );
                let tracks = stream.tracks();
                if name == self.test_pattern {
                    self.own
                        .push_back(Own::Ready(source, SourceKind::Live, tracks));
                    let next = vec![0; stream.track_count()];
                    self.live.insert(
                        source,
                        LiveFeed {
                            source,
                            stream,
                            opened_at: self.now,
                            next,
                        },
                    );
                } else if self.cfg.media.files.contains(&name) {
                    let duration = self.cfg.media.file_duration;
                    self.own.push_back(Own::Ready(
                        source,
                        SourceKind::File {
                            duration: Some(duration),
                        },
                        tracks,
                    ));
                    // The frames that end within the duration, as a
                    // demuxer of a real file gives them.
                    let mut frames = Vec::new();
                    for track in 0..stream.track_count() {
                        let mut index = 0;
                        while stream.pts(track, index + 1) <= duration {
                            frames.push(stream.frame(track, index));
                            index += 1;
                        }
                    }
                    frames.sort_by_key(|f| (f.dts, f.track));
                    for f in frames {
                        self.own.push_back(Own::Media(source, f));
                    }
                    self.own.push_back(Own::Ended(source));
                } else {
                    self.own
                        .push_back(Own::Failed(source, SourceError::NotFound(name)));
                }
            }
            Event::CloseSource { source } => {
                self.live.remove(&source);
                self.own.retain(|o| match o {
                    Own::Ready(s, ..) | Own::Media(s, _) | Own::Ended(s) | Own::Failed(s, _) => {
                        *s != source
                    }
                    _ => true,
                });
            }
            Event::OpenUdp { port, count } => {
                let ports = (0..count).map(|i| port.wrapping_add(i));
                let result = if ports.clone().any(|p| self.open_udp.contains(&p)) {
                    Err("address in use".to_owned())
                } else {
                    self.open_udp.extend(ports);
                    Ok(())
                };
                self.own.push_back(Own::UdpOpened(port, result));
            }
            Event::CloseUdp { port, count } => {
                for p in (0..count).map(|i| port.wrapping_add(i)) {
                    self.open_udp.remove(&p);
                }
            }
            // Persisting, rebooting and notifying have no answer.
            _ => {}
        }
    }

    /// The client's bytes with the real server's session ids replaced by
    /// the replayed server's.
    fn swap_sessions<'d>(&self, data: &'d [u8]) -> Cow<'d, [u8]> {
        let mut data = Cow::Borrowed(data);
        for (from, to) in self.captured_sessions.iter().zip(&self.replayed_sessions) {
            if from != to {
                if let Some(swapped) = replace_all(&data, from.as_bytes(), to.as_bytes()) {
                    data = Cow::Owned(swapped);
                }
            }
        }
        data
    }

    /// The next live frame due: (time, source, track).
    fn next_live(&self) -> Option<(Duration, SourceId, usize)> {
        self.live
            .values()
            .flat_map(|f| {
                f.next.iter().enumerate().map(move |(track, &index)| {
                    (f.opened_at + f.stream.pts(track, index), f.source, track)
                })
            })
            .min()
    }

    fn live_frame(&mut self) {
        let Some((_, source, track)) = self.next_live() else {
            return;
        };
        let Some(feed) = self.live.get_mut(&source) else {
            return;
        };
        let index = feed.next[track];
        feed.next[track] += 1;
        let frame = feed.stream.frame(track, index);
        self.input(Input::Media { source, frame });
    }
}

/// FNV-1a of a stream name, to seed its synthetic media.
fn name_hash(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// `data` with every `from` replaced by `to`, or `None` when there is none.
fn replace_all(data: &[u8], from: &[u8], to: &[u8]) -> Option<Vec<u8>> {
    if from.is_empty() || !data.windows(from.len()).any(|w| w == from) {
        return None;
    }
    let mut out = Vec::with_capacity(data.len() + to.len());
    let mut at = 0;
    while at < data.len() {
        if data[at..].starts_with(from) {
            out.extend_from_slice(to);
            at += from.len();
        } else {
            out.push(data[at]);
            at += 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_every_occurrence() {
        assert_eq!(
            replace_all(b"a X b X", b"X", b"YZ"),
            Some(b"a YZ b YZ".to_vec())
        );
        assert_eq!(replace_all(b"abc", b"X", b"Y"), None);
    }

    #[test]
    fn sniffs_the_protocol() {
        assert_eq!(Protocol::sniff(b"OPTIONS * RTSP/1.0\r\n"), Protocol::Rtsp);
        assert_eq!(
            Protocol::sniff(b"POST /onvif/device_service HTTP/1.1\r\n"),
            Protocol::Http
        );
        assert_eq!(Protocol::sniff(b"\x16\x03\x01"), Protocol::Other);
    }
}
