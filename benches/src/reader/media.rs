//! Per-reader media accounting.

use std::time::Instant;

use super::TrackReport;

/// Marks a channel-map entry as unused.
const NO_TRACK: u8 = 0xff;

/// Per-reader media accounting, shared between the RTSP connection and the
/// UDP receive tasks of one reader (same thread).
#[derive(Debug)]
pub(super) struct MediaStats {
    /// Interleaved channel -> `track << 1 | is_rtcp`, or [`NO_TRACK`].
    pub(super) channel_map: [u8; 256],
    pub(super) tracks: Vec<TrackReport>,
    pub(super) first_rtp: Option<Instant>,
    pub(super) unknown_frames: u64,
    pub(super) runt_datagrams: u64,
}

impl MediaStats {
    pub(super) fn new() -> MediaStats {
        MediaStats {
            channel_map: [NO_TRACK; 256],
            tracks: Vec::new(),
            first_rtp: None,
            unknown_frames: 0,
            runt_datagrams: 0,
        }
    }

    #[inline]
    pub(super) fn on_frame(&mut self, channel: u8, len: usize, head: &[u8]) {
        let m = self.channel_map[usize::from(channel)];
        if m == NO_TRACK {
            self.unknown_frames += 1;
        } else if m & 1 == 1 {
            self.on_rtcp(usize::from(m >> 1));
        } else {
            self.on_rtp(usize::from(m >> 1), len, head);
        }
    }

    #[inline]
    pub(super) fn on_rtp(&mut self, track: usize, len: usize, head: &[u8]) {
        if let Some(t) = self.tracks.get_mut(track) {
            t.rtp.on_packet(len, head);
            if self.first_rtp.is_none() {
                self.first_rtp = Some(Instant::now());
            }
        }
    }

    #[inline]
    pub(super) fn on_rtcp(&mut self, track: usize) {
        if let Some(t) = self.tracks.get_mut(track) {
            t.rtcp_packets += 1;
        }
    }
}
