//! Rebuilding access units from RTP packets: sequence tracking and the
//! "collect until the marker or a new timestamp" rule shared by the video
//! depacketizers.

use bytes::Bytes;

use super::depacketizer::{AccessUnit, DepacketizeError};
use super::header::RtpHeader;

/// The largest access unit a depacketizer builds. A peer sending more
/// without a marker or a timestamp change gets its unit dropped instead of
/// growing our memory without bound.
pub(crate) const MAX_UNIT_SIZE: usize = 16 << 20;

/// How far back (in sequence numbers) a packet may be and still count as
/// late rather than as a sender restart (RFC 3550 appendix A.1's
/// `MAX_MISORDER`).
const MAX_MISORDER: u16 = 100;

/// What a packet's sequence number says about the stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SeqStep {
    /// The packet follows the previous one (or is the first).
    Next,
    /// Packets were lost (or are late) before this one.
    Gap,
    /// A duplicate or a late packet, already given up on: ignore it.
    Stale,
}

/// Follows the sequence numbers of one RTP stream.
#[derive(Clone, Debug, Default)]
pub(crate) struct SeqTracker {
    last: Option<u16>,
    /// After a jump far backwards: the sequence number that would confirm
    /// the sender restarted its numbering (RFC 3550 appendix A.1 `bad_seq`).
    restart_candidate: Option<u16>,
}

impl SeqTracker {
    /// Classifies the next packet's sequence number and advances.
    pub(crate) fn step(&mut self, seq: u16) -> SeqStep {
        let Some(last) = self.last else {
            self.last = Some(seq);
            return SeqStep::Next;
        };
        let delta = seq.wrapping_sub(last);
        if delta == 0 {
            return SeqStep::Stale;
        }
        if delta < 0x8000 {
            self.last = Some(seq);
            self.restart_candidate = None;
            return if delta == 1 {
                SeqStep::Next
            } else {
                SeqStep::Gap
            };
        }
        if last.wrapping_sub(seq) <= MAX_MISORDER {
            return SeqStep::Stale;
        }
        // Far behind: either garbage or a sender that restarted. Two packets
        // in a row at the new position mean a restart.
        if self.restart_candidate == Some(seq) {
            self.last = Some(seq);
            self.restart_candidate = None;
            SeqStep::Gap
        } else {
            self.restart_candidate = Some(seq.wrapping_add(1));
            SeqStep::Stale
        }
    }
}

/// The codec-specific half of a video depacketizer: turns the payloads of
/// one access unit into its bytes.
pub(crate) trait UnitBuilder {
    /// Adds one packet's payload to the access unit being built.
    fn append(&mut self, payload: &Bytes) -> Result<(), DepacketizeError>;
    /// Completes the access unit: its bytes and whether it is a keyframe, or
    /// `None` when it turned out incomplete. Resets the builder.
    fn finish(&mut self) -> Option<(Bytes, bool)>;
    /// Forgets a partial access unit.
    fn discard(&mut self);
}

/// Collects packets into access units: a unit ends at a packet with the
/// marker bit, or (when the marker packet was lost or the sender omits it)
/// when the timestamp changes. A unit that lost a packet is dropped whole.
#[derive(Clone, Debug)]
pub(crate) struct Reassembler<B> {
    builder: B,
    seq: SeqTracker,
    /// Timestamp of the unit being collected, valid when `open`.
    timestamp: u32,
    open: bool,
    /// The open unit is missing a packet or had a malformed one.
    broken: bool,
    /// A unit was dropped since the last one delivered.
    lost: bool,
}

impl<B: UnitBuilder> Reassembler<B> {
    /// Wraps a codec's unit builder.
    pub(crate) fn new(builder: B) -> Self {
        Reassembler {
            builder,
            seq: SeqTracker::default(),
            timestamp: 0,
            open: false,
            broken: false,
            lost: false,
        }
    }

    /// Feeds one packet; completed access units are appended to `out`.
    ///
    /// A malformed payload breaks (drops) the unit it belongs to and is
    /// reported; the reassembler carries on with the next unit.
    pub(crate) fn push(
        &mut self,
        header: &RtpHeader,
        payload: &Bytes,
        out: &mut Vec<AccessUnit>,
    ) -> Result<(), DepacketizeError> {
        let gap = match self.seq.step(header.sequence) {
            SeqStep::Stale => return Ok(()),
            SeqStep::Next => false,
            SeqStep::Gap => true,
        };
        if self.open && header.timestamp != self.timestamp {
            // The open unit never got its marker. After a gap its tail may
            // be what was lost, so it cannot be trusted either.
            self.broken |= gap;
            self.close(out);
        }
        if !self.open {
            self.open = true;
            self.timestamp = header.timestamp;
            self.broken = false;
        }
        // After a gap the lost packets may have been this unit's first ones
        // (parameter sets, a slice): drop it rather than guess.
        self.broken |= gap;
        let mut result = Ok(());
        if !self.broken {
            result = self.builder.append(payload);
            self.broken = result.is_err();
        }
        if header.marker {
            self.close(out);
        }
        result
    }

    fn close(&mut self, out: &mut Vec<AccessUnit>) {
        let finished = if self.broken {
            self.builder.discard();
            None
        } else {
            self.builder.finish()
        };
        match finished {
            Some((data, keyframe)) => {
                out.push(AccessUnit {
                    rtp_timestamp: self.timestamp,
                    data,
                    keyframe,
                    after_loss: self.lost,
                });
                self.lost = false;
            }
            None => self.lost = true,
        }
        self.open = false;
        self.broken = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_steps() {
        let mut s = SeqTracker::default();
        assert_eq!(s.step(65534), SeqStep::Next);
        assert_eq!(s.step(65535), SeqStep::Next);
        assert_eq!(s.step(0), SeqStep::Next);
        assert_eq!(s.step(0), SeqStep::Stale);
        assert_eq!(s.step(3), SeqStep::Gap);
        assert_eq!(s.step(2), SeqStep::Stale);
        assert_eq!(s.step(4), SeqStep::Next);
    }

    #[test]
    fn sequence_restart_needs_two_packets() {
        let mut s = SeqTracker::default();
        s.step(30_000);
        assert_eq!(s.step(1000), SeqStep::Stale);
        assert_eq!(s.step(1001), SeqStep::Gap);
        assert_eq!(s.step(1002), SeqStep::Next);
    }

    /// A builder that concatenates payloads and rejects a payload `[0xff]`.
    #[derive(Default)]
    struct Concat(Vec<u8>);

    impl UnitBuilder for Concat {
        fn append(&mut self, payload: &Bytes) -> Result<(), DepacketizeError> {
            if payload[..] == [0xff] {
                return Err(DepacketizeError::InvalidPayload("test"));
            }
            self.0.extend_from_slice(payload);
            Ok(())
        }
        fn finish(&mut self) -> Option<(Bytes, bool)> {
            let data = std::mem::take(&mut self.0);
            (!data.is_empty()).then(|| (Bytes::from(data), false))
        }
        fn discard(&mut self) {
            self.0.clear();
        }
    }

    fn push(
        r: &mut Reassembler<Concat>,
        seq: u16,
        ts: u32,
        marker: bool,
        data: &[u8],
    ) -> Vec<AccessUnit> {
        let header = RtpHeader {
            payload_type: 96,
            marker,
            sequence: seq,
            timestamp: ts,
            ssrc: 1,
        };
        let mut out = Vec::new();
        let _ = r.push(&header, &Bytes::copy_from_slice(data), &mut out);
        out
    }

    #[test]
    fn units_end_at_marker_or_timestamp_change() {
        let mut r = Reassembler::new(Concat::default());
        assert!(push(&mut r, 1, 100, false, b"ab").is_empty());
        let out = push(&mut r, 2, 100, true, b"c");
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].data, &b"abc"[..]);
        assert_eq!(out[0].rtp_timestamp, 100);
        assert!(!out[0].after_loss);
        // No marker: the unit is delivered when the next one starts.
        assert!(push(&mut r, 3, 200, false, b"d").is_empty());
        let out = push(&mut r, 4, 300, true, b"e");
        assert_eq!(
            out.iter().map(|u| u.rtp_timestamp).collect::<Vec<_>>(),
            [200, 300]
        );
    }

    #[test]
    fn gap_drops_the_broken_unit_and_flags_the_next() {
        let mut r = Reassembler::new(Concat::default());
        push(&mut r, 1, 100, false, b"a");
        // seq 2 lost; 3 completes unit 100, which is broken.
        assert!(push(&mut r, 3, 100, true, b"c").is_empty());
        let out = push(&mut r, 4, 200, true, b"d");
        assert_eq!(out.len(), 1);
        assert!(out[0].after_loss);
        let out = push(&mut r, 5, 300, true, b"e");
        assert!(!out[0].after_loss);
        // Duplicates are ignored.
        assert!(push(&mut r, 5, 300, true, b"e").is_empty());
    }

    #[test]
    fn malformed_payload_breaks_only_its_unit() {
        let mut r = Reassembler::new(Concat::default());
        push(&mut r, 1, 100, false, b"a");
        assert!(push(&mut r, 2, 100, false, &[0xff]).is_empty());
        assert!(push(&mut r, 3, 100, true, b"b").is_empty());
        let out = push(&mut r, 4, 200, true, b"ok");
        assert_eq!(out[0].data, &b"ok"[..]);
        assert!(out[0].after_loss);
    }
}
