//! Sources as the server sees them: tracks, packetizers, live fan-out and
//! the shared frame cache of files.
//!
//! A live source's frames are packetized once into whole RTP packets (one
//! sequence space and SSRC per track) and every playing session gets a
//! reference to the same buffers. A file's frames are packetized once into
//! payloads and kept; each session replays them on its own timeline with its
//! own 12-byte header (see `playback.rs`).

use std::time::{Duration, Instant};

use bytes::{BufMut, Bytes, BytesMut};

use super::connection::Pending;
use super::timers::TimerKind;
use super::{ConnId, Event, Output, Server};
use crate::media::{Frame, SourceError, SourceId, SourceKind, SourceSpec, TrackInfo};
use crate::rtp::header::{RTP_HEADER_LEN, RtpHeader};
use crate::rtp::{Packetizer, RtpPayload, SdpMedia};
use crate::rtsp::StatusCode;

#[derive(Debug)]
pub(crate) enum SourceState {
    Opening,
    Ready,
}

/// One frame of a file, cut into RTP payloads once.
#[derive(Debug)]
pub(crate) struct CachedFrame {
    pub(crate) pts: Duration,
    pub(crate) dts: Duration,
    pub(crate) keyframe: bool,
    pub(crate) payloads: Box<[RtpPayload]>,
}

#[derive(Debug)]
pub(crate) struct SourceTrack {
    pub(crate) info: TrackInfo,
    packetizer: Packetizer,
    /// Live: the stream's SSRC, next sequence number and timestamp origin.
    pub(crate) ssrc: u32,
    pub(crate) seq: u16,
    pub(crate) ts_base: u32,
    /// Live: RTP timestamp of the last frame and when it arrived.
    pub(crate) last_frame: Option<(u32, Instant)>,
    /// Live: sessions playing this track.
    pub(crate) subscribers: Vec<u64>,
    /// The latest keyframe (live) or the first (file) of a video track,
    /// for snapshots.
    pub(crate) last_keyframe: Option<Bytes>,
    /// File: every frame so far, in decode order.
    pub(crate) frames: Vec<CachedFrame>,
}

impl SourceTrack {
    pub(crate) fn sdp_media(&self) -> Option<SdpMedia> {
        self.packetizer.sdp_media()
    }

    pub(crate) fn payload_type(&self) -> u8 {
        self.packetizer.payload_type()
    }

    /// RTP timestamp of a media time, in this track's clock.
    pub(crate) fn rtp_time(&self, base: u32, t: Duration) -> u32 {
        rtp_time(base, t, self.info.clock_rate)
    }
}

/// `base + t * clock_rate`, wrapping as RTP timestamps do.
pub(crate) fn rtp_time(base: u32, t: Duration, clock_rate: u32) -> u32 {
    let ticks = t.as_nanos() * u128::from(clock_rate) / 1_000_000_000;
    base.wrapping_add(ticks as u32)
}

#[derive(Debug)]
pub(crate) struct Source {
    pub(crate) spec: SourceSpec,
    pub(crate) state: SourceState,
    pub(crate) kind: SourceKind,
    pub(crate) tracks: Vec<SourceTrack>,
    /// Connections with a request parked until the source can be described.
    pub(crate) waiters: Vec<ConnId>,
    /// Connections with a PLAY parked until the file is fully loaded.
    pub(crate) load_waiters: Vec<ConnId>,
    /// Sessions reading this source.
    pub(crate) sessions: Vec<u64>,
    /// HTTP connections waiting for a snapshot from this source.
    pub(crate) snapshot_waiters: Vec<ConnId>,
    /// Sessions that caught up with the end of a still-loading cache.
    pub(crate) starved: Vec<u64>,
    /// File: every frame has arrived (or the cache limit was hit).
    pub(crate) complete: bool,
    pub(crate) cache_bytes: usize,
    pub(crate) idle_since: Option<Instant>,
    pub(crate) sdp_session_id: u64,
}

impl Source {
    /// Length of one pass over a file: the container's duration when given,
    /// else the end of the last frame.
    pub(crate) fn duration(&self) -> Duration {
        let container = match self.kind {
            SourceKind::File { duration } => duration.unwrap_or_default(),
            SourceKind::Live => Duration::ZERO,
        };
        let frames_end = self
            .tracks
            .iter()
            .filter_map(|t| {
                let last = t.frames.last()?;
                let step = match t.frames.len() {
                    n if n >= 2 => last.pts.saturating_sub(t.frames[n - 2].pts),
                    _ => Duration::ZERO,
                };
                Some(last.pts + step)
            })
            .max()
            .unwrap_or_default();
        container.max(frames_end)
    }

    /// Whether every track has frames at or beyond media time `t`.
    pub(crate) fn loaded_up_to(&self, t: Duration) -> bool {
        self.tracks
            .iter()
            .all(|tr| tr.frames.last().is_some_and(|f| f.dts >= t))
    }

    fn describable(&self) -> bool {
        matches!(self.state, SourceState::Ready)
            && self.tracks.iter().all(|t| t.sdp_media().is_some())
    }

    fn is_idle(&self) -> bool {
        self.sessions.is_empty()
            && self.waiters.is_empty()
            && self.load_waiters.is_empty()
            && self.snapshot_waiters.is_empty()
    }

    /// The picture a snapshot of this source shows, once there is one.
    pub(crate) fn last_video_keyframe(&self) -> Option<Bytes> {
        self.tracks
            .iter()
            .filter(|t| t.info.codec.is_video())
            .find_map(|t| t.last_keyframe.clone())
    }
}

impl Server {
    /// The source for `spec`, opening it when no reader has it open.
    pub(super) fn acquire_source(&mut self, spec: SourceSpec) -> SourceId {
        if let Some(id) = self.source_by_spec.get(&spec).copied() {
            // Restart the linger clock: the source was just used.
            self.check_idle(id);
            return id;
        }
        let id = SourceId(self.next_source_id);
        self.next_source_id += 1;
        let sdp_session_id = self.rng.next_u64() >> 1;
        self.sources.insert(
            id,
            Source {
                spec: spec.clone(),
                state: SourceState::Opening,
                kind: SourceKind::Live,
                tracks: Vec::new(),
                waiters: Vec::new(),
                load_waiters: Vec::new(),
                sessions: Vec::new(),
                snapshot_waiters: Vec::new(),
                starved: Vec::new(),
                complete: false,
                cache_bytes: 0,
                idle_since: None,
                sdp_session_id,
            },
        );
        self.source_by_spec.insert(spec.clone(), id);
        self.out
            .push_back(Output::Event(Event::OpenSource { source: id, spec }));
        id
    }

    pub(super) fn on_source_ready(
        &mut self,
        id: SourceId,
        kind: SourceKind,
        tracks: Vec<TrackInfo>,
    ) {
        let max_payload = self.cfg.max_payload;
        let Some(src) = self.sources.get_mut(&id) else {
            return;
        };
        let mut built = Vec::with_capacity(tracks.len());
        for (i, info) in tracks.into_iter().enumerate() {
            let pt = 96 + i as u8;
            match Packetizer::new(&info, pt, max_payload) {
                Ok(packetizer) => built.push(SourceTrack {
                    info,
                    packetizer,
                    ssrc: self.rng.next_u32(),
                    seq: self.rng.next_u32() as u16,
                    ts_base: self.rng.next_u32(),
                    last_frame: None,
                    subscribers: Vec::new(),
                    last_keyframe: None,
                    frames: Vec::new(),
                }),
                Err(e) => {
                    let error =
                        SourceError::Unsupported(format!("track {i} ({:?}): {e}", info.codec));
                    return self.on_source_failed(id, error);
                }
            }
        }
        if built.is_empty() {
            return self.on_source_failed(
                id,
                SourceError::Unsupported("no audio or video track".into()),
            );
        }
        src.tracks = built;
        src.kind = kind;
        src.state = SourceState::Ready;
        tracing::debug!(
            source = id.0,
            ?kind,
            tracks = src.tracks.len(),
            "source ready"
        );
        self.wake_if_describable(id);
    }

    pub(super) fn on_media(&mut self, id: SourceId, frame: Frame) {
        let Some(src) = self.sources.get_mut(&id) else {
            return;
        };
        if !matches!(src.state, SourceState::Ready) || src.complete {
            return;
        }
        let Some(track) = src.tracks.get_mut(frame.track) else {
            return;
        };
        if frame.keyframe && track.info.codec.is_video() {
            let live = matches!(src.kind, SourceKind::Live);
            if live || track.last_keyframe.is_none() {
                track.last_keyframe = Some(frame.data.clone());
            }
            if !src.snapshot_waiters.is_empty() {
                self.deliver_snapshots(id, frame.data.clone());
            }
        }
        let Some(track) = self
            .sources
            .get_mut(&id)
            .and_then(|s| s.tracks.get_mut(frame.track))
        else {
            return;
        };
        self.scratch.clear();
        if let Err(e) = track.packetizer.packetize(&frame.data, &mut self.scratch) {
            tracing::debug!(source = id.0, track = frame.track, error = %e, "frame dropped");
            return;
        }
        let Some(src) = self.sources.get(&id) else {
            return;
        };
        match src.kind {
            SourceKind::Live => self.fan_out_live(id, &frame),
            SourceKind::File { .. } => self.cache_file_frame(id, &frame),
        }
        self.wake_if_describable(id);
    }

    /// Packetizes a live frame once and hands the packets to every playing reader.
    fn fan_out_live(&mut self, id: SourceId, frame: &Frame) {
        let now = self.now;
        let Some(track) = self
            .sources
            .get_mut(&id)
            .and_then(|s| s.tracks.get_mut(frame.track))
        else {
            return;
        };
        let timestamp = track.rtp_time(track.ts_base, frame.pts);
        track.last_frame = Some((timestamp, now));
        let pt = track.payload_type();
        let mut packets: Vec<Bytes> = Vec::with_capacity(self.scratch.len());
        for p in &self.scratch {
            let header = RtpHeader {
                payload_type: pt,
                marker: p.marker,
                sequence: track.seq,
                timestamp: timestamp.wrapping_add(p.ts_offset),
                ssrc: track.ssrc,
            };
            track.seq = track.seq.wrapping_add(1);
            let mut b = BytesMut::with_capacity(RTP_HEADER_LEN + p.len());
            b.put_slice(&header.to_bytes());
            b.put_slice(p.prefix.as_slice());
            b.put_slice(&p.data);
            packets.push(b.freeze());
        }
        if track.subscribers.is_empty() {
            return;
        }
        let subscribers = std::mem::take(&mut track.subscribers);
        for &key in &subscribers {
            self.deliver_live(key, frame.track, frame.keyframe, timestamp, &packets);
        }
        if let Some(track) = self
            .sources
            .get_mut(&id)
            .and_then(|s| s.tracks.get_mut(frame.track))
        {
            // Deliveries never subscribe or unsubscribe, but a session may
            // have been ended by a stall; keep only live ones.
            let mut kept = subscribers;
            kept.retain(|k| self.sessions.contains_key(k));
            track.subscribers = kept;
        }
    }

    /// Keeps a file frame's payloads for every present and future reader.
    fn cache_file_frame(&mut self, id: SourceId, frame: &Frame) {
        let limit = self.cfg.file_cache_limit_bytes;
        let Some(src) = self.sources.get_mut(&id) else {
            return;
        };
        // What the cache holds alive: the frame (its payloads are slices of
        // it), or more where a packetizer built payloads of its own. The
        // broker's replay for late shards counts frames the same way.
        let payloads: usize = self.scratch.iter().map(RtpPayload::len).sum();
        let bytes = payloads.max(frame.data.len());
        if src.cache_bytes + bytes > limit {
            tracing::warn!(
                source = id.0,
                spec = ?src.spec.location,
                limit,
                "file larger than the frame cache; serving the part that fits \
                 (raise <file_cache_mb> in rtsp.cfg to keep more)"
            );
            self.out
                .push_back(Output::Event(Event::CloseSource { source: id }));
            self.mark_complete(id);
            return;
        }
        src.cache_bytes += bytes;
        // The payloads are slices of the frame (fragments carry their FU
        // headers beside it), so the cache holds each frame once, and the
        // shards of a multi-core runtime share it: the media layer hands
        // every shard the same compact buffer.
        let payloads = self.scratch.drain(..).collect();
        if let Some(track) = src.tracks.get_mut(frame.track) {
            track.frames.push(CachedFrame {
                pts: frame.pts,
                dts: frame.dts,
                keyframe: frame.keyframe,
                payloads,
            });
        }
        let starved = std::mem::take(&mut src.starved);
        for key in starved {
            self.resume_starved(key);
        }
    }

    fn wake_if_describable(&mut self, id: SourceId) {
        let Some(src) = self.sources.get_mut(&id) else {
            return;
        };
        if src.waiters.is_empty() || !src.describable() {
            return;
        }
        let waiters = std::mem::take(&mut src.waiters);
        self.wake_waiters(id, waiters);
    }

    /// Handles each waiter's parked request again, then its later requests.
    fn wake_waiters(&mut self, id: SourceId, waiters: Vec<ConnId>) {
        for conn in waiters {
            let request = match self.conns.get_mut(&conn) {
                Some(c) => match c.pending.take() {
                    Some(Pending::Source { request, source }) if source == id => request,
                    other => {
                        c.pending = other;
                        continue;
                    }
                },
                None => continue,
            };
            self.handle_request(conn, request);
            self.process_connection(conn);
        }
        self.check_idle(id);
    }

    fn mark_complete(&mut self, id: SourceId) {
        let Some(src) = self.sources.get_mut(&id) else {
            return;
        };
        src.complete = true;
        let starved = std::mem::take(&mut src.starved);
        let load_waiters = std::mem::take(&mut src.load_waiters);
        for key in starved {
            self.resume_starved(key);
        }
        self.wake_waiters(id, load_waiters);
    }

    pub(super) fn on_source_ended(&mut self, id: SourceId) {
        let Some(src) = self.sources.get(&id) else {
            return;
        };
        match (&src.state, src.kind) {
            (SourceState::Ready, SourceKind::File { .. }) => self.mark_complete(id),
            _ => self.remove_source(id, "the stream ended"),
        }
    }

    pub(super) fn on_source_failed(&mut self, id: SourceId, error: SourceError) {
        let Some(src) = self.sources.get(&id) else {
            return;
        };
        tracing::warn!(source = id.0, location = ?src.spec.location, %error, "source failed");
        if matches!(src.state, SourceState::Ready) && matches!(src.kind, SourceKind::File { .. }) {
            // Serve what was read before the error.
            return self.mark_complete(id);
        }
        let (status, why) = match &error {
            SourceError::NotFound(m) => (StatusCode::NOT_FOUND, m.clone()),
            SourceError::Unsupported(m) => (StatusCode::UNSUPPORTED_MEDIA_TYPE, m.clone()),
            SourceError::Failed(m) => (StatusCode::INTERNAL_SERVER_ERROR, m.clone()),
        };
        self.fail_waiters(id, status, &why);
        self.remove_source(id, &why);
    }

    fn fail_waiters(&mut self, id: SourceId, status: StatusCode, why: &str) {
        let Some(src) = self.sources.get_mut(&id) else {
            return;
        };
        let mut waiters = std::mem::take(&mut src.waiters);
        waiters.append(&mut src.load_waiters);
        for conn in waiters {
            let request = match self.conns.get_mut(&conn).map(|c| c.pending.take()) {
                Some(Some(Pending::Source { request, .. })) => request,
                _ => continue,
            };
            let mut resp = crate::rtsp::Response::new(status);
            resp.headers.append("Content-Type", "text/plain");
            resp.body = Bytes::from(format!("{why}\r\n"));
            self.reply(conn, &request, resp);
            self.process_connection(conn);
        }
    }

    /// Ends every session of a source and forgets it.
    fn remove_source(&mut self, id: SourceId, why: &str) {
        self.fail_waiters(id, StatusCode::SERVICE_UNAVAILABLE, why);
        self.fail_snapshots(id, why);
        let Some(src) = self.sources.get(&id) else {
            return;
        };
        for key in src.sessions.clone() {
            self.end_session(key, true);
        }
        if let Some(src) = self.sources.remove(&id) {
            self.source_by_spec.remove(&src.spec);
            self.out
                .push_back(Output::Event(Event::CloseSource { source: id }));
        }
    }

    /// Drops a connection from a source's waiting lists.
    pub(super) fn release_source_waiter(&mut self, id: SourceId, conn: ConnId) {
        if let Some(src) = self.sources.get_mut(&id) {
            src.waiters.retain(|c| *c != conn);
            src.load_waiters.retain(|c| *c != conn);
        }
        self.check_idle(id);
    }

    /// Starts the linger clock of a source nobody uses.
    pub(super) fn check_idle(&mut self, id: SourceId) {
        let Some(src) = self.sources.get_mut(&id) else {
            return;
        };
        if !src.is_idle() {
            src.idle_since = None;
            return;
        }
        src.idle_since = Some(self.now);
        let linger = match src.kind {
            SourceKind::File { .. } => self.cfg.file_linger,
            SourceKind::Live => self.cfg.live_linger,
        };
        self.timers
            .schedule(self.now + linger, TimerKind::SourceLinger { source: id });
    }

    pub(super) fn on_source_linger(&mut self, id: SourceId) {
        let Some(src) = self.sources.get(&id) else {
            return;
        };
        let linger = match src.kind {
            SourceKind::File { .. } => self.cfg.file_linger,
            SourceKind::Live => self.cfg.live_linger,
        };
        match src.idle_since {
            Some(since) if src.is_idle() && self.now.duration_since(since) >= linger => {
                tracing::debug!(source = id.0, "closing unused source");
                self.remove_source(id, "closed");
            }
            _ => {}
        }
    }
}
