//! RTSP sessions: their tracks, transports and playback position.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::ConnId;
use crate::media::SourceId;

/// Where a session track's packets go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TrackTransport {
    /// Interleaved on the session's RTSP connection; RTCP on `channel + 1`.
    Tcp { conn: ConnId, channel: u8 },
    /// UDP from our `server_port` (RTCP `server_port + 1`) to the client.
    Udp {
        server_port: u16,
        client_rtp: SocketAddr,
        client_rtcp: SocketAddr,
    },
}

/// One set-up track of a session.
#[derive(Debug)]
pub(crate) struct SessionTrack {
    /// Index of the track in the source.
    pub(crate) track: usize,
    pub(crate) transport: TrackTransport,
    pub(crate) ssrc: u32,
    /// File sessions number their own packets; live sessions share the stream's numbering.
    pub(crate) seq: u16,
    /// File sessions: RTP timestamp at media time zero.
    pub(crate) ts_base: u32,
    pub(crate) clock_rate: u32,
    pub(crate) payload_type: u8,
    pub(crate) packets: u32,
    pub(crate) octets: u32,
    /// Drop frames until the next keyframe (a new or a slow reader of video).
    pub(crate) waiting_keyframe: bool,
    /// RTP timestamp and time of the last packet sent, for sender reports.
    pub(crate) last_rtp: Option<(u32, Instant)>,
    /// File sessions: index of the next frame to send.
    pub(crate) next_frame: usize,
    /// File sessions: media time added by completed loops.
    pub(crate) loop_offset: Duration,
    /// File sessions: completed passes over the file.
    pub(crate) loops_done: u32,
    /// File sessions: this track has sent everything it will send.
    pub(crate) finished: bool,
}

/// Playback state (RFC 2326 appendix A).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PlayState {
    Ready,
    Playing,
    Paused,
}

/// Where a file session is on its own timeline: media time `anchor_pos`
/// was at `anchor_at`, and advances in real time while playing.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FileClock {
    pub(crate) anchor_at: Instant,
    pub(crate) anchor_pos: Duration,
    pub(crate) end: Option<Duration>,
}

impl FileClock {
    pub(crate) fn position(&self, now: Instant) -> Duration {
        self.anchor_pos + now.saturating_duration_since(self.anchor_at)
    }
}

#[derive(Debug)]
pub(crate) struct Session {
    pub(crate) id: String,
    pub(crate) source: SourceId,
    /// The RTSP connection that controls the session, while it is open.
    pub(crate) conn: Option<ConnId>,
    pub(crate) tracks: Vec<SessionTrack>,
    pub(crate) state: PlayState,
    pub(crate) last_activity: Instant,
    pub(crate) udp_block: Option<u16>,
    /// Bumped when the pacing schedule changes, so stale timers are ignored.
    pub(crate) pace_generation: u32,
    /// File sessions: the playback clock while playing; the paused position otherwise.
    pub(crate) file_clock: Option<FileClock>,
    pub(crate) paused_at: Duration,
    /// File sessions waiting for the cache to load further.
    pub(crate) starved: bool,
}

impl Session {
    pub(crate) fn uses_tcp(&self) -> bool {
        self.tracks
            .iter()
            .any(|t| matches!(t.transport, TrackTransport::Tcp { .. }))
    }
}
