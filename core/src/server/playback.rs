//! Sending media to sessions: live delivery, file pacing, RTCP.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::connection::Connection;
use super::session::{FileClock, PlayState, TrackTransport};
use super::source::rtp_time;
use super::timers::{TimerKind, TimerQueue};
use super::udp_ports::PORTS_PER_BLOCK;
use super::{ConnId, Event, Output, SendBuf, Server, ServerConfig};
use crate::config::LoopCount;
use crate::id_map::IdMap;
use crate::media::SourceKind;
use crate::rtcp;
use crate::rtp::PayloadPrefix;
use crate::rtp::header::{RTP_HEADER_LEN, RtpHeader};

/// CNAME of our RTCP reports.
const CNAME: &str = "onvif-rtsp-server";

/// Queues one RTP (or RTCP, with `rtcp`) packet on a track's transport.
/// `head` is the per-session part (an RTP header for file sessions, empty
/// for live ones whose packets are shared whole).
fn emit(
    out: &mut VecDeque<Output>,
    conns: &mut IdMap<ConnId, Connection>,
    transport: &TrackTransport,
    rtcp: bool,
    head: &[u8],
    body: Bytes,
) {
    match *transport {
        TrackTransport::Tcp { conn, channel } => {
            let Some(c) = conns.get_mut(&conn) else {
                return;
            };
            let len = (head.len() + body.len()).min(usize::from(u16::MAX)) as u16;
            let ch = if rtcp { channel + 1 } else { channel };
            let prefix = [b'$', ch, (len >> 8) as u8, len as u8];
            let data = SendBuf::with_head(&[&prefix, head], body);
            c.backlog += data.len();
            out.push_back(Output::Send { conn, data });
        }
        TrackTransport::Udp {
            server_port,
            client_rtp,
            client_rtcp,
        } => {
            let (local_port, dst) = if rtcp {
                (server_port + 1, client_rtcp)
            } else {
                (server_port, client_rtp)
            };
            out.push_back(Output::SendTo {
                local_port,
                dst,
                data: SendBuf::with_head(&[head], body),
            });
        }
    }
}

/// Whether a TCP reader is too far behind to be sent media now: from when
/// its backlog passes the limit until it has drained to half of it. Starts
/// the stall clock when it becomes congested.
fn congested(
    conns: &mut IdMap<ConnId, Connection>,
    timers: &mut TimerQueue,
    cfg: &ServerConfig,
    now: Instant,
    transport: &TrackTransport,
) -> bool {
    let TrackTransport::Tcp { conn, .. } = *transport else {
        return false;
    };
    let Some(c) = conns.get_mut(&conn) else {
        return true;
    };
    if c.congested_since.is_some() {
        return true;
    }
    if c.backlog <= cfg.queue_limit_bytes {
        return false;
    }
    c.congested_since = Some(now);
    timers.schedule(
        c.last_progress.max(now) + cfg.stall_timeout,
        TimerKind::Stall { conn },
    );
    true
}

impl Server {
    /// Gives a live frame's packets to one session.
    pub(super) fn deliver_live(
        &mut self,
        key: u64,
        track: usize,
        keyframe: bool,
        timestamp: u32,
        packets: &[Bytes],
    ) {
        let Some(s) = self.sessions.get_mut(&key) else {
            return;
        };
        if s.state != PlayState::Playing {
            return;
        }
        let Some(t) = s.tracks.iter_mut().find(|t| t.track == track) else {
            return;
        };
        if t.waiting_keyframe && !keyframe {
            return;
        }
        if congested(
            &mut self.conns,
            &mut self.timers,
            &self.cfg,
            self.now,
            &t.transport,
        ) {
            // Skip to the next keyframe so the decoder never sees a broken GOP.
            t.waiting_keyframe = t.clock_rate == 90_000;
            return;
        }
        t.waiting_keyframe = false;
        for p in packets {
            t.packets = t.packets.wrapping_add(1);
            t.octets = t.octets.wrapping_add(p.len().saturating_sub(12) as u32);
            emit(
                &mut self.out,
                &mut self.conns,
                &t.transport,
                false,
                &[],
                p.clone(),
            );
        }
        t.last_rtp = Some((timestamp, self.now));
    }

    /// Subscribes a session's tracks to its live source.
    pub(super) fn start_live(&mut self, key: u64) {
        let Some(s) = self.sessions.get_mut(&key) else {
            return;
        };
        s.state = PlayState::Playing;
        let Some(src) = self.sources.get_mut(&s.source) else {
            return;
        };
        for t in &mut s.tracks {
            t.waiting_keyframe = src
                .tracks
                .get(t.track)
                .is_some_and(|st| st.info.codec.is_video());
            if let Some(st) = src.tracks.get_mut(t.track) {
                if !st.subscribers.contains(&key) {
                    st.subscribers.push(key);
                }
            }
        }
        self.schedule_rtcp(key);
    }

    /// Positions a file session at `start` (moved back to the keyframe at or
    /// before it) and starts its clock. Returns the actual start.
    pub(super) fn start_file(
        &mut self,
        key: u64,
        start: Duration,
        end: Option<Duration>,
    ) -> Duration {
        let now = self.now;
        let Some(s) = self.sessions.get_mut(&key) else {
            return start;
        };
        let Some(src) = self.sources.get(&s.source) else {
            return start;
        };
        // The latest keyframe at or before `start` over the video tracks.
        let position = s
            .tracks
            .iter()
            .filter_map(|t| src.tracks.get(t.track))
            .filter(|st| st.info.codec.is_video())
            .filter_map(|st| {
                st.frames
                    .iter()
                    .take_while(|f| f.pts <= start)
                    .filter(|f| f.keyframe)
                    .map(|f| f.pts)
                    .last()
            })
            .min()
            .unwrap_or(start);
        for t in &mut s.tracks {
            let Some(st) = src.tracks.get(t.track) else {
                continue;
            };
            let is_video = st.info.codec.is_video();
            t.next_frame = st
                .frames
                .iter()
                .position(|f| f.pts >= position && (!is_video || f.keyframe))
                .unwrap_or(st.frames.len());
            t.finished = false;
            t.waiting_keyframe = false;
            t.loop_offset = Duration::ZERO;
            t.loops_done = 0;
        }
        s.file_clock = Some(FileClock {
            anchor_at: now,
            anchor_pos: position,
            end,
        });
        s.state = PlayState::Playing;
        self.schedule_rtcp(key);
        position
    }

    /// Continues a paused file session where it stopped (no seek).
    pub(super) fn resume_file(&mut self, key: u64) -> Duration {
        let now = self.now;
        let Some(s) = self.sessions.get_mut(&key) else {
            return Duration::ZERO;
        };
        s.file_clock = Some(FileClock {
            anchor_at: now,
            anchor_pos: s.paused_at,
            end: None,
        });
        s.state = PlayState::Playing;
        let position = s.paused_at;
        self.schedule_rtcp(key);
        position
    }

    /// Sequence number and RTP time the next packet of a session track will carry.
    pub(super) fn next_rtp_position(&self, key: u64, track: usize) -> (u16, u32) {
        let Some(s) = self.sessions.get(&key) else {
            return (0, 0);
        };
        let Some(t) = s.tracks.iter().find(|t| t.track == track) else {
            return (0, 0);
        };
        let Some(src) = self.sources.get(&s.source) else {
            return (t.seq, t.ts_base);
        };
        match (src.kind, src.tracks.get(track)) {
            (SourceKind::Live, Some(st)) => (
                st.seq,
                live_rtp_now(st.last_frame, st.ts_base, t.clock_rate, self.now),
            ),
            _ => {
                let pos = s.file_clock.map(|c| c.anchor_pos).unwrap_or(s.paused_at);
                (t.seq, rtp_time(t.ts_base, pos, t.clock_rate))
            }
        }
    }

    /// (Re)starts the pacing of a file session now.
    pub(super) fn kick_pacing(&mut self, key: u64) {
        let Some(s) = self.sessions.get_mut(&key) else {
            return;
        };
        if s.file_clock.is_none() {
            return;
        }
        s.pace_generation = s.pace_generation.wrapping_add(1);
        let generation = s.pace_generation;
        self.on_pace(key, generation);
    }

    pub(super) fn resume_starved(&mut self, key: u64) {
        let Some(s) = self.sessions.get_mut(&key) else {
            return;
        };
        if s.starved && s.state == PlayState::Playing {
            s.starved = false;
            let generation = s.pace_generation;
            self.on_pace(key, generation);
        }
    }

    /// Sends every frame of a file session that is due, and schedules the next.
    pub(super) fn on_pace(&mut self, key: u64, generation: u32) {
        let now = self.now;
        let loop_limit = self.cfg.rtsp.loop_nums;
        let Some(s) = self.sessions.get_mut(&key) else {
            return;
        };
        if s.state != PlayState::Playing || s.pace_generation != generation {
            return;
        }
        let Some(clock) = s.file_clock else {
            return;
        };
        let Some(src) = self.sources.get(&s.source) else {
            return;
        };
        let position = clock.position(now);
        let pass = src.duration();
        let mut next_due: Option<Duration> = None;
        let mut starved = false;
        for t in &mut s.tracks {
            let Some(st) = src.tracks.get(t.track) else {
                continue;
            };
            while !t.finished {
                let Some(frame) = st.frames.get(t.next_frame) else {
                    if !src.complete {
                        starved = true;
                        break;
                    }
                    // End of one pass over the file.
                    t.loops_done += 1;
                    let again = match loop_limit {
                        LoopCount::Forever => true,
                        LoopCount::Times(n) => t.loops_done < n.get(),
                    };
                    if again && !pass.is_zero() && clock.end.is_none() {
                        t.loop_offset += pass;
                        t.next_frame = 0;
                        continue;
                    }
                    t.finished = true;
                    break;
                };
                let due = frame.dts + t.loop_offset;
                if clock
                    .end
                    .is_some_and(|end| frame.pts + t.loop_offset >= end)
                {
                    t.finished = true;
                    break;
                }
                if due > position {
                    next_due = Some(next_due.map_or(due, |d| d.min(due)));
                    break;
                }
                t.next_frame += 1;
                let is_video = t.clock_rate == 90_000;
                if is_video && t.waiting_keyframe && !frame.keyframe {
                    continue;
                }
                if congested(
                    &mut self.conns,
                    &mut self.timers,
                    &self.cfg,
                    now,
                    &t.transport,
                ) {
                    t.waiting_keyframe = is_video;
                    continue;
                }
                t.waiting_keyframe = false;
                let timestamp = rtp_time(t.ts_base, frame.pts + t.loop_offset, t.clock_rate);
                for p in frame.payloads.iter() {
                    let header = RtpHeader {
                        payload_type: t.payload_type,
                        marker: p.marker,
                        sequence: t.seq,
                        timestamp: timestamp.wrapping_add(p.ts_offset),
                        ssrc: t.ssrc,
                    };
                    t.seq = t.seq.wrapping_add(1);
                    t.packets = t.packets.wrapping_add(1);
                    t.octets = t.octets.wrapping_add(p.len() as u32);
                    // This reader's RTP header, then the payload's own
                    // prefix (FU headers): the shared data follows as is.
                    let mut head = [0u8; RTP_HEADER_LEN + PayloadPrefix::MAX];
                    let prefix = p.prefix.as_slice();
                    head[..RTP_HEADER_LEN].copy_from_slice(&header.to_bytes());
                    head[RTP_HEADER_LEN..][..prefix.len()].copy_from_slice(prefix);
                    emit(
                        &mut self.out,
                        &mut self.conns,
                        &t.transport,
                        false,
                        &head[..RTP_HEADER_LEN + prefix.len()],
                        p.data.clone(),
                    );
                }
                t.last_rtp = Some((timestamp, now));
            }
        }
        let all_finished = s.tracks.iter().all(|t| t.finished);
        if starved {
            s.starved = true;
            let source = s.source;
            if let Some(src) = self.sources.get_mut(&source) {
                if !src.starved.contains(&key) {
                    src.starved.push(key);
                }
            }
        }
        if let Some(due) = next_due {
            let at = clock.anchor_at + due.saturating_sub(clock.anchor_pos);
            let at = self.round_up_to_pace_grid(at);
            self.timers.schedule(
                at,
                TimerKind::Pace {
                    session: key,
                    generation,
                },
            );
        } else if all_finished {
            // Tell the client the stream is over (ffmpeg and GStreamer end on BYE).
            self.send_reports(key, true);
            // A later PLAY starts over from the beginning.
            if let Some(s) = self.sessions.get_mut(&key) {
                s.state = PlayState::Ready;
                s.paused_at = Duration::ZERO;
                s.file_clock = None;
            }
        }
    }

    /// Rounds a wake-up up to the pacing grid so sessions share wake-ups.
    fn round_up_to_pace_grid(&self, at: Instant) -> Instant {
        let grid = self.cfg.pace_slack.as_nanos();
        if grid == 0 {
            return at;
        }
        let since = at.saturating_duration_since(self.started_at).as_nanos();
        let rounded = since.div_ceil(grid) * grid;
        at + Duration::from_nanos((rounded - since) as u64)
    }

    /// Stops sending to a playing session, remembering where it was.
    pub(super) fn pause_session(&mut self, key: u64) {
        let now = self.now;
        let Some(s) = self.sessions.get_mut(&key) else {
            return;
        };
        s.state = PlayState::Paused;
        s.pace_generation = s.pace_generation.wrapping_add(1);
        if let Some(clock) = s.file_clock.take() {
            s.paused_at = clock.position(now);
        }
        let source = s.source;
        let tracks: Vec<usize> = s.tracks.iter().map(|t| t.track).collect();
        if let Some(src) = self.sources.get_mut(&source) {
            for t in tracks {
                if let Some(st) = src.tracks.get_mut(t) {
                    st.subscribers.retain(|k| *k != key);
                }
            }
            src.starved.retain(|k| *k != key);
        }
    }

    /// Ends a session: RTCP BYE (when asked), ports released, source maybe idle.
    pub(super) fn end_session(&mut self, key: u64, send_bye: bool) {
        if send_bye
            && self
                .sessions
                .get(&key)
                .is_some_and(|s| s.state != PlayState::Ready)
        {
            self.send_reports(key, true);
        }
        self.pause_session(key);
        let Some(s) = self.sessions.remove(&key) else {
            return;
        };
        self.session_keys.remove(&s.id);
        if let Some(block) = s.udp_block {
            self.out.push_back(Output::Event(Event::CloseUdp {
                port: self.udp.base_port(block),
                count: PORTS_PER_BLOCK,
            }));
            self.udp.release(block);
        }
        if let Some(conn) = s.conn {
            if let Some(c) = self.conns.get_mut(&conn) {
                c.sessions.retain(|k| *k != key);
                for t in &s.tracks {
                    if let TrackTransport::Tcp { channel, .. } = t.transport {
                        c.used_channels
                            .retain(|ch| *ch != channel && *ch != channel + 1);
                    }
                }
            }
        }
        if let Some(src) = self.sources.get_mut(&s.source) {
            src.sessions.retain(|k| *k != key);
        }
        self.check_idle(s.source);
    }

    fn schedule_rtcp(&mut self, key: u64) {
        self.timers.schedule(
            self.now + self.cfg.rtcp_interval,
            TimerKind::Rtcp { session: key },
        );
    }

    pub(super) fn send_initial_reports(&mut self, key: u64) {
        self.send_reports(key, false);
    }

    pub(super) fn on_rtcp_timer(&mut self, key: u64) {
        let Some(s) = self.sessions.get(&key) else {
            return;
        };
        if s.state != PlayState::Playing {
            return;
        }
        self.send_reports(key, false);
        self.schedule_rtcp(key);
    }

    /// Sends a sender report (and a BYE when `bye`) on every track of a session.
    fn send_reports(&mut self, key: u64, bye: bool) {
        let now = self.now;
        let ntp = self.clock.ntp(now);
        let Some(s) = self.sessions.get(&key) else {
            return;
        };
        let src = self.sources.get(&s.source);
        for t in &s.tracks {
            let rtp_timestamp = match (src.map(|x| x.kind), src.and_then(|x| x.tracks.get(t.track)))
            {
                (Some(SourceKind::Live), Some(st)) => {
                    live_rtp_now(st.last_frame, st.ts_base, t.clock_rate, now)
                }
                _ => {
                    let pos = s.file_clock.map(|c| c.position(now)).unwrap_or(s.paused_at);
                    rtp_time(t.ts_base, pos, t.clock_rate)
                }
            };
            let report = rtcp::SenderReport {
                ssrc: t.ssrc,
                ntp_timestamp: ntp,
                rtp_timestamp,
                packet_count: t.packets,
                octet_count: t.octets,
            };
            let mut buf = Vec::with_capacity(64);
            if bye {
                report.write_with_bye(CNAME, &mut buf);
            } else {
                report.write_compound(CNAME, &mut buf);
            }
            emit(
                &mut self.out,
                &mut self.conns,
                &t.transport,
                true,
                &[],
                Bytes::from(buf),
            );
        }
    }

    /// An RTCP or RTP packet from a client refreshes its session.
    pub(super) fn on_interleaved(&mut self, conn: ConnId, channel: u8, _data: Bytes) {
        let now = self.now;
        let Some(c) = self.conns.get(&conn) else {
            return;
        };
        for key in &c.sessions {
            if let Some(s) = self.sessions.get_mut(key) {
                let ours = s.tracks.iter().any(|t| {
                    matches!(t.transport, TrackTransport::Tcp { channel: ch, .. } if ch == channel || ch + 1 == channel)
                });
                if ours {
                    s.last_activity = now;
                }
            }
        }
    }

    pub(super) fn on_datagram(&mut self, local_port: u16, src: SocketAddr, data: &[u8]) {
        let Some((key, _block)) = self.udp.lookup(local_port) else {
            return;
        };
        let Some(s) = self.sessions.get_mut(&key) else {
            return;
        };
        // Only the client's own address refreshes its session, and only with
        // something that parses as RTCP (on RTCP ports) or RTP.
        let from_client = s.tracks.iter().any(|t| {
            matches!(t.transport, TrackTransport::Udp { client_rtp, client_rtcp, .. } if client_rtp.ip() == src.ip() || client_rtcp.ip() == src.ip())
        });
        let valid = rtcp::parse_compound(data).is_ok() || RtpHeader::parse(data).is_some();
        if from_client && valid {
            s.last_activity = self.now;
        }
    }
}

/// The RTP time of "now" on a live track: the last frame's timestamp
/// advanced by the time since it arrived.
fn live_rtp_now(last: Option<(u32, Instant)>, ts_base: u32, clock_rate: u32, now: Instant) -> u32 {
    match last {
        Some((ts, at)) => rtp_time(ts, now.saturating_duration_since(at), clock_rate),
        None => ts_base,
    }
}
