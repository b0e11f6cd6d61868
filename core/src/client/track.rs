//! The receiving half of one set-up track: a small reorder buffer, packet
//! statistics, RTCP reception state and the depacketizer.
//!
//! UDP delivers packets out of order now and then, and the depacketizers
//! want them in order (a late packet would otherwise break a whole access
//! unit). So packets of a UDP track wait in a short, bounded buffer until
//! the ones before them arrive, or until a deadline says they are lost.
//! Interleaved TCP is in order by construction and skips the wait.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::{ClientEvent, ClientOutput};
use crate::media::{Codec, VideoCodec};
use crate::rtcp::{ReceptionStats, ReportBlock, SenderReport};
use crate::rtp::header::RtpHeader;
use crate::rtp::{AccessUnit, Depacketizer};

/// Extended sequence numbers start here, so a packet a little before the
/// first one still has a positive number.
const EXT_ORIGIN: u64 = 1 << 32;
/// A forward jump this large is a new numbering, not loss (RFC 3550 A.1).
const MAX_DROPOUT: i64 = 3000;

/// Counters of one track, readable with [`super::Client::stats`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrackStats {
    /// RTP packets received (late and duplicate ones included).
    pub packets: u64,
    /// RTP payload bytes received (headers excluded).
    pub bytes: u64,
    /// Places where the sequence numbers skipped (after reordering).
    pub sequence_gaps: u64,
    /// Sequence numbers never received (the sum of the gaps).
    pub lost_packets: u64,
    /// Packets that came after their place had been given up on, and duplicates.
    pub late_packets: u64,
    /// Access units delivered.
    pub frames: u64,
    /// Of which keyframes.
    pub keyframes: u64,
    /// Bytes of the access units delivered.
    pub frame_bytes: u64,
    /// Packets the depacketizer refused.
    pub depacketize_errors: u64,
    /// RTCP packets received for the track.
    pub rtcp_packets: u64,
    /// Receiver reports sent for the track.
    pub reports_sent: u64,
    /// When the first RTP packet arrived.
    pub first_packet_at: Option<Instant>,
    /// When the first access unit was delivered.
    pub first_frame_at: Option<Instant>,
    /// When the latest RTP packet arrived.
    pub last_packet_at: Option<Instant>,
    /// SSRC of the sender, from the first packet.
    pub ssrc: Option<u32>,
    /// Sequence number of the first packet passed on in order.
    pub first_seq: Option<u16>,
    /// Sequence number of the latest packet passed on in order.
    pub last_seq: Option<u16>,
    /// The sender said goodbye (RTCP BYE).
    pub ended: bool,
}

/// A packet waiting in the reorder buffer.
#[derive(Debug)]
struct Held {
    header: RtpHeader,
    payload: Bytes,
    arrival: Instant,
}

/// Puts packets back in sequence order within a time window. The first
/// packets wait a window too, so one that was overtaken at the very start
/// is not mistaken for a late one.
#[derive(Debug)]
struct SequenceGate {
    window: Duration,
    capacity: usize,
    /// Extended sequence number of the first packet seen, until started.
    first: Option<u64>,
    /// Extended sequence number of the next packet to pass on, once started.
    next: Option<u64>,
    held: BTreeMap<u64, Held>,
}

impl SequenceGate {
    fn new(window: Duration, capacity: usize) -> Self {
        SequenceGate {
            window,
            capacity,
            first: None,
            next: None,
            held: BTreeMap::new(),
        }
    }

    /// Takes a packet; in-order packets are appended to `ready`.
    fn push(&mut self, held: Held, stats: &mut TrackStats, ready: &mut Vec<Held>) {
        let seq = held.header.sequence;
        let reference = match (self.next, self.first) {
            (Some(n), _) => n,
            (None, Some(f)) => f,
            (None, None) => *self.first.insert(EXT_ORIGIN + u64::from(seq)),
        };
        let delta = i64::from(seq.wrapping_sub(reference as u16) as i16);
        if self.next.is_some() && delta < 0 {
            stats.late_packets += 1;
            return;
        }
        if self.next.is_some() && delta > MAX_DROPOUT {
            // A new numbering: pass on what is held, then follow the new one.
            self.skip_to(u64::MAX, stats, ready);
            self.next = Some(EXT_ORIGIN + u64::from(seq));
            stats.sequence_gaps += 1;
            ready.push(held);
            self.advance();
            return;
        }
        let ext = reference.saturating_add_signed(delta);
        if self.held.contains_key(&ext) {
            stats.late_packets += 1;
            return;
        }
        self.held.insert(ext, held);
        self.release(ready);
        let overflow = self.held.len() > self.capacity;
        if !self.held.is_empty() && (self.window.is_zero() || overflow) {
            if let Some(&lowest) = self.held.keys().next() {
                self.skip_to(lowest, stats, ready);
            }
        }
    }

    /// Passes on the consecutive packets at the head.
    fn release(&mut self, ready: &mut Vec<Held>) {
        while let Some(next) = self.next {
            match self.held.remove(&next) {
                Some(h) => {
                    ready.push(h);
                    self.next = Some(next + 1);
                }
                None => break,
            }
        }
    }

    fn advance(&mut self) {
        if let Some(n) = self.next.as_mut() {
            *n += 1;
        }
    }

    /// Gives up on everything before `target` (or before the lowest held
    /// packet, whichever is lower) and passes on what follows in order.
    fn skip_to(&mut self, target: u64, stats: &mut TrackStats, ready: &mut Vec<Held>) {
        while let Some((&lowest, _)) = self.held.first_key_value() {
            if lowest > target {
                break;
            }
            let next = self.next.unwrap_or(lowest);
            if lowest > next {
                stats.sequence_gaps += 1;
                stats.lost_packets += lowest - next;
            }
            self.next = Some(lowest);
            self.release(ready);
        }
    }

    /// When the oldest held packet stops waiting for the ones before it.
    fn deadline(&self) -> Option<Instant> {
        self.held
            .values()
            .map(|h| h.arrival)
            .min()
            .map(|t| t + self.window)
    }

    /// Gives up on holes whose packets waited past the window.
    fn flush_due(&mut self, now: Instant, stats: &mut TrackStats, ready: &mut Vec<Held>) {
        while self.deadline().is_some_and(|d| d <= now) {
            let Some(&lowest) = self.held.keys().next() else {
                break;
            };
            self.skip_to(lowest, stats, ready);
        }
    }
}

/// Receiving state of one set-up track.
#[derive(Debug)]
pub(crate) struct Receiver {
    track: usize,
    codec: Codec,
    clock_rate: u32,
    depacketizer: Option<Depacketizer>,
    gate: SequenceGate,
    reception: Option<ReceptionStats>,
    parameter_sets: Vec<Bytes>,
    keyframe_seen: bool,
    report_rtp: bool,
    /// Packets cannot be lost in transit (interleaved TCP).
    in_order_transport: bool,
    /// The last packet passed to the depacketizer: sequence, timestamp, marker.
    last_passed: Option<(u16, u32, bool)>,
    /// Sequence number of the last packet as the depacketizer saw it.
    depacketizer_seq: u16,
    /// Packets were lost before a unit that starts cleanly: flag that unit.
    loss_pending: bool,
    pub(crate) stats: TrackStats,
    units: Vec<AccessUnit>,
    ready: Vec<Held>,
}

impl Receiver {
    pub(crate) fn new(
        track: usize,
        info: &crate::media::TrackInfo,
        parameter_sets: Vec<Bytes>,
        reorder: Option<(Duration, usize)>,
        report_rtp: bool,
    ) -> Receiver {
        let (window, capacity) = reorder.unwrap_or((Duration::ZERO, 0));
        Receiver {
            track,
            codec: info.codec,
            clock_rate: info.clock_rate.max(1),
            depacketizer: Depacketizer::new(info).ok(),
            gate: SequenceGate::new(window, capacity),
            reception: None,
            parameter_sets,
            keyframe_seen: false,
            report_rtp,
            in_order_transport: reorder.is_none(),
            last_passed: None,
            depacketizer_seq: 0,
            loss_pending: false,
            stats: TrackStats::default(),
            units: Vec::new(),
            ready: Vec::new(),
        }
    }

    /// An RTP packet arrived at `now`.
    pub(crate) fn on_rtp(
        &mut self,
        now: Instant,
        packet: &Bytes,
        out: &mut VecDeque<ClientOutput>,
    ) {
        let Some((header, range)) = RtpHeader::parse(packet) else {
            self.stats.depacketize_errors += 1;
            return;
        };
        let payload = packet.slice(range);
        let s = &mut self.stats;
        s.packets += 1;
        s.bytes += payload.len() as u64;
        s.first_packet_at.get_or_insert(now);
        s.last_packet_at = Some(now);
        s.ssrc.get_or_insert(header.ssrc);
        let clock_rate = self.clock_rate;
        self.reception
            .get_or_insert_with(|| ReceptionStats::new(header.ssrc, clock_rate))
            .on_rtp(header.sequence, header.timestamp, now);
        if self.report_rtp {
            out.push_back(ClientOutput::Event(ClientEvent::Rtp {
                track: self.track,
                header,
                payload_len: payload.len(),
            }));
        }
        let held = Held {
            header,
            payload,
            arrival: now,
        };
        let mut ready = std::mem::take(&mut self.ready);
        self.gate.push(held, &mut self.stats, &mut ready);
        self.depacketize(now, &mut ready, out);
        self.ready = ready;
    }

    /// Time passed: packets that waited for a lost one go on.
    pub(crate) fn on_timeout(&mut self, now: Instant, out: &mut VecDeque<ClientOutput>) {
        if self.gate.deadline().is_none_or(|d| d > now) {
            return;
        }
        let mut ready = std::mem::take(&mut self.ready);
        self.gate.flush_due(now, &mut self.stats, &mut ready);
        self.depacketize(now, &mut ready, out);
        self.ready = ready;
    }

    /// The server (re)started sending after a PAUSE: a live stream's shared
    /// numbering has moved on, so the next packet starts afresh instead of
    /// counting as loss. Held packets are passed on first.
    pub(crate) fn restart(&mut self, now: Instant, out: &mut VecDeque<ClientOutput>) {
        let mut ready = std::mem::take(&mut self.ready);
        self.gate.skip_to(u64::MAX, &mut self.stats, &mut ready);
        self.depacketize(now, &mut ready, out);
        self.ready = ready;
        self.gate = SequenceGate::new(self.gate.window, self.gate.capacity);
        self.last_passed = None;
    }

    /// When [`Receiver::on_timeout`] has work.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.gate.deadline()
    }

    fn depacketize(
        &mut self,
        now: Instant,
        ready: &mut Vec<Held>,
        out: &mut VecDeque<ClientOutput>,
    ) {
        for h in ready.drain(..) {
            self.stats.first_seq.get_or_insert(h.header.sequence);
            self.stats.last_seq = Some(h.header.sequence);
            // The depacketizers drop the unit after any gap, since the lost
            // packets may have been its start. Over TCP nothing is lost in
            // transit: a gap is a sender skipping whole units (what a server
            // does to a slow reader, up to a keyframe). When the previous
            // unit ended (marker) and this packet visibly starts a new one,
            // the gap is hidden and the unit kept, flagged. (Over UDP a lost
            // packet may be the first NAL unit of a unit whose second NAL
            // unit starts cleanly, so there the depacketizer decides.)
            let step = match self.last_passed {
                None => {
                    self.depacketizer_seq = h.header.sequence.wrapping_sub(1);
                    1
                }
                Some((seq, _, _)) if h.header.sequence == seq.wrapping_add(1) => 1,
                Some((_, ts, marker)) => {
                    let clean = self.in_order_transport
                        && marker
                        && ts != h.header.timestamp
                        && starts_unit(self.codec, &h.payload);
                    self.loss_pending |= clean;
                    if clean { 1 } else { 2 }
                }
            };
            self.last_passed = Some((h.header.sequence, h.header.timestamp, h.header.marker));
            self.depacketizer_seq = self.depacketizer_seq.wrapping_add(step);
            let header = RtpHeader {
                sequence: self.depacketizer_seq,
                ..h.header
            };
            let Some(d) = self.depacketizer.as_mut() else {
                continue;
            };
            if d.push(&header, &h.payload, &mut self.units).is_err() {
                self.stats.depacketize_errors += 1;
            }
        }
        let mut units = std::mem::take(&mut self.units);
        for mut unit in units.drain(..) {
            unit.after_loss |= std::mem::take(&mut self.loss_pending);
            if unit.keyframe && !self.keyframe_seen {
                self.keyframe_seen = true;
                unit.data =
                    prepend_missing_parameter_sets(self.codec, &self.parameter_sets, unit.data);
            }
            let s = &mut self.stats;
            s.frames += 1;
            s.keyframes += u64::from(unit.keyframe);
            s.frame_bytes += unit.data.len() as u64;
            s.first_frame_at.get_or_insert(now);
            out.push_back(ClientOutput::Event(ClientEvent::Frame {
                track: self.track,
                unit,
            }));
        }
        self.units = units;
    }

    /// An RTCP compound packet for this track arrived. Returns `true` when
    /// it carried a BYE from the sender.
    pub(crate) fn on_rtcp(&mut self, now: Instant, data: &[u8]) -> bool {
        let Ok(packets) = crate::rtcp::parse_compound(data) else {
            return false;
        };
        self.stats.rtcp_packets += 1;
        let mut bye = false;
        for p in packets {
            match p {
                crate::rtcp::RtcpPacket::SenderReport { report, .. } => {
                    self.on_sender_report(&report, now)
                }
                crate::rtcp::RtcpPacket::Bye { .. } => bye = true,
                _ => {}
            }
        }
        if bye {
            self.stats.ended = true;
        }
        bye
    }

    fn on_sender_report(&mut self, report: &SenderReport, now: Instant) {
        let clock_rate = self.clock_rate;
        self.reception
            .get_or_insert_with(|| ReceptionStats::new(report.ssrc, clock_rate))
            .on_sender_report(report, now);
    }

    /// The report block for a receiver report sent now, once the sender is known.
    pub(crate) fn report_block(&mut self, now: Instant) -> Option<ReportBlock> {
        let block = self.reception.as_mut()?.report_block(now);
        self.stats.reports_sent += 1;
        Some(block)
    }
}

/// Whether a video payload is the first packet of an access unit: a whole
/// NAL unit or aggregation packet, or the start fragment (H.264/H.265), or
/// the fragment at offset 0 (JPEG). `false` when it cannot tell.
fn starts_unit(codec: Codec, payload: &[u8]) -> bool {
    let byte = |i: usize| payload.get(i).copied().unwrap_or(0);
    match codec {
        Codec::Video(VideoCodec::H264) => match byte(0) & 0x1f {
            1..=24 => true,
            28 => byte(1) & 0x80 != 0,
            _ => false,
        },
        Codec::Video(VideoCodec::H265) => match (byte(0) >> 1) & 0x3f {
            0..=48 => payload.len() > 2,
            49 => byte(2) & 0x80 != 0,
            _ => false,
        },
        Codec::Video(VideoCodec::Jpeg) => payload.len() >= 8 && payload[1..4] == [0, 0, 0],
        _ => false,
    }
}

/// Reads the NAL unit type from the first byte of a NAL unit header.
type NalTypeOf = fn(u8) -> u8;

/// NAL unit types of the parameter sets of a codec, and how to read a NAL type.
fn parameter_set_types(codec: Codec) -> Option<(&'static [u8], NalTypeOf)> {
    match codec {
        Codec::Video(VideoCodec::H264) => Some((&[7, 8], |b| b & 0x1f)),
        Codec::Video(VideoCodec::H265) => Some((&[32, 33, 34], |b| (b >> 1) & 0x3f)),
        _ => None,
    }
}

/// Puts the description's parameter sets in front of a keyframe that lacks
/// them, so a decoder fed from the first keyframe can start (servers that
/// send parameter sets only out of band are common).
pub(crate) fn prepend_missing_parameter_sets(codec: Codec, sets: &[Bytes], unit: Bytes) -> Bytes {
    let Some((types, nal_type)) = parameter_set_types(codec) else {
        return unit;
    };
    if sets.is_empty() {
        return unit;
    }
    let present: Vec<u8> = nal_starts(&unit)
        .into_iter()
        .filter_map(|i| unit.get(i).map(|b| nal_type(*b)))
        .collect();
    let missing: Vec<&Bytes> = sets
        .iter()
        .filter(|s| {
            s.first()
                .map(|b| nal_type(*b))
                .is_some_and(|t| types.contains(&t) && !present.contains(&t))
        })
        .collect();
    if missing.is_empty() {
        return unit;
    }
    let mut v = Vec::with_capacity(unit.len() + missing.iter().map(|s| s.len() + 4).sum::<usize>());
    for s in missing {
        v.extend_from_slice(&[0, 0, 0, 1]);
        v.extend_from_slice(s);
    }
    v.extend_from_slice(&unit);
    Bytes::from(v)
}

/// Offsets of the first byte of each NAL unit of an Annex B stream.
fn nal_starts(data: &[u8]) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut i = 0;
    while i + 2 < data.len() {
        if data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1 {
            starts.push(i + 3);
            i += 3;
        } else {
            i += 1;
        }
    }
    starts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(seq: u16, at: Instant) -> Held {
        Held {
            header: RtpHeader {
                payload_type: 0,
                marker: false,
                sequence: seq,
                timestamp: 0,
                ssrc: 1,
            },
            payload: Bytes::new(),
            arrival: at,
        }
    }

    fn seqs(v: &[Held]) -> Vec<u16> {
        v.iter().map(|h| h.header.sequence).collect()
    }

    #[test]
    fn reorders_within_the_window_and_skips_holes_after_it() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut g = SequenceGate::new(ms(50), 16);
        let mut s = TrackStats::default();
        let mut out = Vec::new();
        // The first packets wait a window: 65533 overtaken at the start is
        // put back in its place, not dropped as late.
        g.push(held(65534, t0), &mut s, &mut out);
        g.push(held(0, t0 + ms(5)), &mut s, &mut out);
        g.push(held(65533, t0 + ms(1)), &mut s, &mut out);
        assert!(out.is_empty());
        g.flush_due(t0 + ms(50), &mut s, &mut out);
        assert_eq!(seqs(&out), [65533, 65534]);
        g.push(held(65535, t0 + ms(51)), &mut s, &mut out);
        assert_eq!(seqs(&out), [65533, 65534, 65535, 0]);
        assert_eq!(s.lost_packets, 0);
        out.clear();
        // 1 is lost; 2 and 3 wait for it until the window passes.
        g.push(held(2, t0 + ms(10)), &mut s, &mut out);
        g.push(held(3, t0 + ms(11)), &mut s, &mut out);
        assert!(out.is_empty());
        assert_eq!(g.deadline(), Some(t0 + ms(60)));
        g.flush_due(t0 + ms(59), &mut s, &mut out);
        assert!(out.is_empty());
        g.flush_due(t0 + ms(60), &mut s, &mut out);
        assert_eq!(seqs(&out), [2, 3]);
        assert_eq!((s.sequence_gaps, s.lost_packets), (1, 1));
        // 1 arriving now is late; a duplicate too.
        g.push(held(1, t0 + ms(70)), &mut s, &mut out);
        g.push(held(3, t0 + ms(70)), &mut s, &mut out);
        assert_eq!(s.late_packets, 2);
        assert_eq!(g.deadline(), None);
    }

    #[test]
    fn without_a_window_holes_are_skipped_at_once() {
        let t0 = Instant::now();
        let mut g = SequenceGate::new(Duration::ZERO, 0);
        let mut s = TrackStats::default();
        let mut out = Vec::new();
        for seq in [10, 11, 14, 15, 13] {
            g.push(held(seq, t0), &mut s, &mut out);
        }
        assert_eq!(seqs(&out), [10, 11, 14, 15]);
        assert_eq!((s.sequence_gaps, s.lost_packets, s.late_packets), (1, 2, 1));
        // A new numbering far ahead is followed.
        g.push(held(20_000, t0), &mut s, &mut out);
        g.push(held(20_001, t0), &mut s, &mut out);
        assert_eq!(seqs(&out)[4..], [20_000, 20_001]);
    }

    #[test]
    fn a_full_buffer_gives_up_on_the_oldest_hole() {
        let t0 = Instant::now();
        let mut g = SequenceGate::new(Duration::from_secs(10), 2);
        let mut s = TrackStats::default();
        let mut out = Vec::new();
        for seq in [1, 3, 4, 5] {
            g.push(held(seq, t0), &mut s, &mut out);
        }
        assert_eq!(seqs(&out), [1, 3, 4, 5]);
        assert_eq!(s.lost_packets, 1);
    }

    #[test]
    fn unit_starts_by_codec() {
        let h264 = Codec::Video(VideoCodec::H264);
        assert!(starts_unit(h264, &[0x65, 1]));
        assert!(starts_unit(h264, &[0x78, 0, 2]));
        assert!(starts_unit(h264, &[0x7c, 0x85, 1]));
        assert!(!starts_unit(h264, &[0x7c, 0x05, 1]));
        assert!(!starts_unit(h264, &[0x7c]));
        let h265 = Codec::Video(VideoCodec::H265);
        assert!(starts_unit(h265, &[0x26, 1, 9]));
        assert!(starts_unit(h265, &[0x62, 1, 0x93]));
        assert!(!starts_unit(h265, &[0x62, 1, 0x13]));
        let jpeg = Codec::Video(VideoCodec::Jpeg);
        assert!(starts_unit(jpeg, &[0, 0, 0, 0, 1, 2, 3, 4]));
        assert!(!starts_unit(jpeg, &[0, 0, 5, 0, 1, 2, 3, 4]));
        assert!(!starts_unit(
            Codec::Video(VideoCodec::Mpeg4),
            &[0, 0, 1, 0xb6]
        ));
    }

    /// A receiver over TCP (no reorder window) fed packets by sequence number.
    fn receive(seqs: &[(u16, u32, bool, &[u8])]) -> Vec<AccessUnit> {
        let info = crate::media::TrackInfo {
            codec: Codec::Video(VideoCodec::H264),
            clock_rate: 90_000,
            sample_rate: 0,
            channels: 0,
            width: 0,
            height: 0,
            config: Bytes::new(),
        };
        let mut r = Receiver::new(0, &info, Vec::new(), None, false);
        let mut out = VecDeque::new();
        for (seq, ts, marker, payload) in seqs {
            let h = RtpHeader {
                payload_type: 96,
                marker: *marker,
                sequence: *seq,
                timestamp: *ts,
                ssrc: 1,
            };
            let mut p = h.to_bytes().to_vec();
            p.extend_from_slice(payload);
            r.on_rtp(Instant::now(), &Bytes::from(p), &mut out);
        }
        out.into_iter()
            .filter_map(|o| match o {
                ClientOutput::Event(ClientEvent::Frame { unit, .. }) => Some(unit),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn only_gaps_of_whole_units_keep_the_next_unit() {
        // Units 1 and 2 complete; 3 and 4 dropped whole; 5 starts cleanly.
        let units = receive(&[
            (1, 100, true, &[0x41, 1]),
            (2, 200, true, &[0x41, 2]),
            (9, 500, true, &[0x65, 5]),
        ]);
        assert_eq!(units.len(), 3);
        assert!(units[2].after_loss && units[2].keyframe);
        // The start of unit 5 was lost: its tail is dropped.
        let units = receive(&[(1, 100, true, &[0x41, 1]), (3, 500, true, &[0x7c, 0x45, 5])]);
        assert_eq!(units.len(), 1);
        // The end of unit 1 was lost (no marker seen): unit 2 cannot be trusted.
        let units = receive(&[
            (1, 100, false, &[0x41, 1]),
            (3, 200, true, &[0x41, 2]),
            (4, 300, true, &[0x41, 3]),
        ]);
        assert_eq!(units.len(), 1);
        assert_eq!(units[0].rtp_timestamp, 300);
        assert!(units[0].after_loss);
    }

    #[test]
    fn parameter_sets_go_in_front_of_a_bare_keyframe_only() {
        let h264 = Codec::Video(VideoCodec::H264);
        let sets = [
            Bytes::from_static(&[0x67, 1, 2]),
            Bytes::from_static(&[0x68, 3]),
        ];
        let idr = Bytes::from_static(&[0, 0, 0, 1, 0x65, 9, 9]);
        let fixed = prepend_missing_parameter_sets(h264, &sets, idr.clone());
        assert_eq!(
            fixed[..],
            [
                0, 0, 0, 1, 0x67, 1, 2, 0, 0, 0, 1, 0x68, 3, 0, 0, 0, 1, 0x65, 9, 9
            ]
        );
        // Already complete: unchanged.
        assert_eq!(
            prepend_missing_parameter_sets(h264, &sets, fixed.clone()),
            fixed
        );
        // Only the PPS missing.
        let with_sps = Bytes::from_static(&[0, 0, 0, 1, 0x67, 1, 2, 0, 0, 1, 0x65, 9]);
        let fixed = prepend_missing_parameter_sets(h264, &sets, with_sps);
        assert_eq!(fixed[..6], [0, 0, 0, 1, 0x68, 3]);
        // H.265 types, and codecs without parameter sets.
        let h265 = Codec::Video(VideoCodec::H265);
        let sets = [
            Bytes::from_static(&[0x40, 1]),
            Bytes::from_static(&[0x42, 1]),
            Bytes::from_static(&[0x44, 1]),
        ];
        let irap = Bytes::from_static(&[0, 0, 0, 1, 0x26, 1, 5]);
        assert_eq!(
            prepend_missing_parameter_sets(h265, &sets, irap.clone()).len(),
            irap.len() + 18
        );
        let pcmu = Codec::Audio(crate::media::AudioCodec::Pcmu);
        assert_eq!(
            prepend_missing_parameter_sets(pcmu, &sets, irap.clone()),
            irap
        );
    }
}
