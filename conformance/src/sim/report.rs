//! What a simulation run produces: per client what it received and when,
//! per source what it produced, and a hash of every byte the server sent.
//! All times are simulated durations since the start of the run, so two
//! runs with the same seed compare equal.

use std::collections::BTreeMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::time::Duration;

use bytes::Bytes;
use onvif_rtsp_core::server::SendBuf;

/// One access unit a client received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceivedFrame {
    /// Index of the frame in the source's list for this track, when the
    /// bytes equal a frame the source produced (they must: byte-exact).
    pub source_index: Option<usize>,
    /// The RTP timestamp it came with.
    pub rtp_timestamp: u32,
    /// The depacketizer called it a keyframe.
    pub keyframe: bool,
    /// The depacketizer saw loss before it.
    pub after_loss: bool,
    /// Its length in bytes.
    pub len: usize,
    /// When the client had it.
    pub at: Duration,
}

/// An RTP packet the simulated network dropped on its way to a client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DroppedPacket {
    /// Its sequence number.
    pub sequence: u16,
    /// Its RTP timestamp (the frame it belonged to).
    pub timestamp: u32,
    /// When it was dropped.
    pub at: Duration,
}

/// What one client got on one track.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrackReport {
    /// RTP packets received.
    pub packets: u64,
    /// RTP payload bytes received.
    pub bytes: u64,
    /// Sequence gaps seen by the client (after reordering).
    pub sequence_gaps: u64,
    /// Sequence numbers the client never got.
    pub lost_packets: u64,
    /// Packets that came too late or twice.
    pub late_packets: u64,
    /// Receiver reports the client sent.
    pub reports_sent: u64,
    /// RTCP packets the client received.
    pub rtcp_packets: u64,
    /// First and latest sequence number passed on in order.
    pub first_seq: Option<u16>,
    /// Latest sequence number passed on in order.
    pub last_seq: Option<u16>,
    /// When the first packet arrived.
    pub first_packet_at: Option<Duration>,
    /// Every access unit received, in order.
    pub frames: Vec<ReceivedFrame>,
    /// RTP packets of this track the network dropped.
    pub dropped: Vec<DroppedPacket>,
}

/// What one client saw.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientReport {
    /// Position in the configuration.
    pub index: usize,
    /// The stream it played.
    pub stream: String,
    /// Interleaved TCP (else UDP).
    pub tcp: bool,
    /// When it connected.
    pub started_at: Duration,
    /// When DESCRIBE was answered.
    pub described_at: Option<Duration>,
    /// When the first PLAY was answered.
    pub playing_at: Option<Duration>,
    /// When the first PAUSE was answered.
    pub paused_at: Option<Duration>,
    /// When the PLAY after that PAUSE was answered.
    pub resumed_at: Option<Duration>,
    /// The client vanished (as configured) without a TEARDOWN.
    pub vanished: bool,
    /// When the server said BYE on every track.
    pub ended_at: Option<Duration>,
    /// When the client saw its connection closed by the server.
    pub closed_at: Option<Duration>,
    /// TEARDOWN was answered.
    pub torn_down: bool,
    /// Failures the client reported.
    pub errors: Vec<String>,
    /// Per track (media section order).
    pub tracks: Vec<TrackReport>,
    /// The most bytes the server had handed over for this connection and the
    /// network had not yet taken (the server's write backlog).
    pub max_server_backlog: u64,
    /// Bytes the server sent on the connection.
    pub tcp_bytes_from_server: u64,
}

impl ClientReport {
    /// From connecting to the first access unit.
    pub fn time_to_first_frame(&self) -> Option<Duration> {
        self.tracks
            .iter()
            .filter_map(|t| t.frames.first().map(|f| f.at))
            .min()
            .map(|at| at.saturating_sub(self.started_at))
    }

    /// Access units received over all tracks.
    pub fn frame_count(&self) -> usize {
        self.tracks.iter().map(|t| t.frames.len()).sum()
    }
}

/// One frame a source produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceFrameInfo {
    /// Presentation time from the start of the source.
    pub pts: Duration,
    /// IDR (or audio).
    pub keyframe: bool,
    /// Length in bytes.
    pub len: usize,
}

/// What a source produced.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StreamReport {
    /// Times the server opened it.
    pub opens: u32,
    /// Frames per track, by index (the same for every open).
    pub tracks: Vec<Vec<SourceFrameInfo>>,
}

/// The result of a run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SimReport {
    /// The seed of the run.
    pub seed: u64,
    /// Hash of every byte the server sent (TCP and UDP), with where it went.
    pub server_bytes_hash: u64,
    /// Bytes the server sent.
    pub server_bytes: u64,
    /// Events the simulator processed.
    pub events: u64,
    /// Per client.
    pub clients: Vec<ClientReport>,
    /// Per stream name.
    pub streams: BTreeMap<String, StreamReport>,
    /// Things the simulator found odd about the server's behaviour (sends
    /// from unbound ports, deadlines in the past, ...).
    pub anomalies: Vec<String>,
    /// Sessions and connections the server still had at the end.
    pub server_sessions_at_end: usize,
    /// Connections the server still had at the end.
    pub server_connections_at_end: usize,
}

/// A fast, stable 64-bit hash of a byte sequence (not cryptographic).
#[derive(Clone, Copy, Debug)]
pub(crate) struct StreamHash(u64);

impl StreamHash {
    pub(crate) fn new() -> Self {
        StreamHash(0xcbf2_9ce4_8422_2325)
    }

    pub(crate) fn write(&mut self, data: &[u8]) {
        let mut h = self.0 ^ (data.len() as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let mut chunks = data.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            h = (h ^ u64::from_le_bytes(w))
                .wrapping_mul(0x0000_0100_0000_01b3)
                .rotate_left(23);
        }
        for &b in chunks.remainder() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
        self.0 = h;
    }

    pub(crate) fn finish(&self) -> u64 {
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// Bodies shorter than this are hashed every time; longer ones once.
const CACHED_BODY_MIN: usize = 64;
/// Slots of the body hash cache (a power of two).
const BODY_CACHE_SLOTS: usize = 4096;

/// The hash of everything the server sends: [`StreamHash`] over each
/// output's framing and head, with each body folded in by its own hash.
///
/// The server shares one body (`Bytes`) among every reader of a packet, so
/// a body's hash is computed once and found again by its address: a small
/// direct-mapped cache holds a clone of each body it knows, which keeps the
/// memory alive and so the address from being reused for other bytes while
/// the entry stands. The result does not depend on the cache: a body's
/// contribution is always the hash of its bytes.
#[derive(Debug)]
pub(crate) struct OutputHash {
    hash: StreamHash,
    bodies: Vec<Option<(Bytes, u64)>>,
}

impl OutputHash {
    pub(crate) fn new() -> Self {
        OutputHash {
            hash: StreamHash::new(),
            bodies: vec![None; BODY_CACHE_SLOTS],
        }
    }

    /// Folds in bytes.
    pub(crate) fn write(&mut self, data: &[u8]) {
        self.hash.write(data);
    }

    /// Folds in a server output: its head, then its body's hash.
    pub(crate) fn write_buf(&mut self, data: &SendBuf) {
        self.hash.write(data.head());
        let body = data.body();
        if body.len() < CACHED_BODY_MIN {
            self.hash.write(body);
            return;
        }
        let addr = body.as_ptr() as usize;
        let slot = ((addr >> 4) ^ body.len()) % BODY_CACHE_SLOTS;
        let h = match &self.bodies[slot] {
            Some((kept, h)) if kept.as_ptr() == body.as_ptr() && kept.len() == body.len() => *h,
            _ => {
                let mut bh = StreamHash::new();
                bh.write(body);
                let h = bh.finish();
                self.bodies[slot] = Some((body.clone(), h));
                h
            }
        };
        self.hash.write(&h.to_le_bytes());
    }

    pub(crate) fn finish(&self) -> u64 {
        self.hash.finish()
    }
}

/// FxHash (rustc's): a fast hasher for the simulator's own tables, whose
/// keys no adversary chooses.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.write_u64(u64::from_le_bytes(w));
        }
        for &b in chunks.remainder() {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x517c_c1b7_2722_0a95);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A `HashMap` built with [`FxHasher`].
pub(crate) type FxBuild = BuildHasherDefault<FxHasher>;
