//! Per-channel RTP accounting: packets, bytes and sequence-number gaps per
//! SSRC, from the fixed RTP header alone.

/// What the fixed 12-byte RTP header says (RFC 3550 section 5.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RtpHead {
    /// Payload type.
    pub payload_type: u8,
    /// Sequence number.
    pub seq: u16,
    /// Timestamp.
    pub timestamp: u32,
    /// Synchronization source.
    pub ssrc: u32,
}

impl RtpHead {
    /// Reads the fixed header; `None` if it is short or not RTP version 2.
    pub fn parse(b: &[u8]) -> Option<RtpHead> {
        let b: &[u8; 12] = b.get(..12)?.try_into().ok()?;
        if b[0] >> 6 != 2 {
            return None;
        }
        Some(RtpHead {
            payload_type: b[1] & 0x7f,
            seq: u16::from_be_bytes([b[2], b[3]]),
            timestamp: u32::from_be_bytes([b[4], b[5], b[6], b[7]]),
            ssrc: u32::from_be_bytes([b[8], b[9], b[10], b[11]]),
        })
    }
}

/// Sequence tracking for one SSRC.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeqTracker {
    /// The SSRC tracked.
    pub ssrc: u32,
    /// Sequence number expected next.
    next: u16,
    /// Packets seen.
    pub packets: u64,
    /// Sequence numbers skipped: a packet `k` ahead of the expected one
    /// counts `k` missing. Wraparound at 65535 is handled by 16-bit serial
    /// arithmetic: a jump forward of less than 2^15 is a gap.
    pub missing: u64,
    /// Packets behind the expected number (duplicates or reordered; on TCP
    /// there should be none).
    pub late: u64,
}

impl SeqTracker {
    /// Starts tracking at the first packet seen.
    pub fn new(ssrc: u32, first_seq: u16) -> SeqTracker {
        SeqTracker {
            ssrc,
            next: first_seq.wrapping_add(1),
            packets: 1,
            missing: 0,
            late: 0,
        }
    }

    /// Accounts the next packet.
    pub fn on_seq(&mut self, seq: u16) {
        self.packets += 1;
        let ahead = seq.wrapping_sub(self.next);
        if ahead < 0x8000 {
            self.missing += u64::from(ahead);
            self.next = seq.wrapping_add(1);
        } else {
            self.late += 1;
        }
    }
}

/// Everything counted on one RTP channel (a track).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChannelStats {
    /// RTP packets (valid version-2 headers).
    pub rtp_packets: u64,
    /// RTP bytes (header and payload, no framing).
    pub rtp_bytes: u64,
    /// Packets that were too short or not version 2.
    pub invalid: u64,
    /// One tracker per SSRC seen (normally one).
    pub ssrcs: Vec<SeqTracker>,
}

impl ChannelStats {
    /// Accounts one RTP packet of `len` bytes whose first bytes are `head`.
    pub fn on_packet(&mut self, len: usize, head: &[u8]) {
        let Some(h) = RtpHead::parse(head) else {
            self.invalid += 1;
            return;
        };
        self.rtp_packets += 1;
        self.rtp_bytes += len as u64;
        // A track has one SSRC, rarely two: a linear search beats a map.
        match self.ssrcs.iter_mut().find(|t| t.ssrc == h.ssrc) {
            Some(t) => t.on_seq(h.seq),
            None => self.ssrcs.push(SeqTracker::new(h.ssrc, h.seq)),
        }
    }

    /// Missing sequence numbers over all SSRCs.
    pub fn missing(&self) -> u64 {
        self.ssrcs.iter().map(|t| t.missing).sum()
    }

    /// Late (reordered or duplicated) packets over all SSRCs.
    pub fn late(&self) -> u64 {
        self.ssrcs.iter().map(|t| t.late).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkt(seq: u16, ssrc: u32) -> [u8; 12] {
        let mut b = [0u8; 12];
        b[0] = 0x80;
        b[1] = 96;
        b[2..4].copy_from_slice(&seq.to_be_bytes());
        b[8..12].copy_from_slice(&ssrc.to_be_bytes());
        b
    }

    #[test]
    fn counts_gaps_across_wraparound() {
        let mut c = ChannelStats::default();
        for s in [65533u16, 65534, 65535, 0, 1, 4, 5, 3] {
            c.on_packet(100, &pkt(s, 7));
        }
        assert_eq!(c.rtp_packets, 8);
        assert_eq!(c.missing(), 2); // 2 and 3 skipped
        assert_eq!(c.late(), 1); // 3 arrived after 5
        assert_eq!(c.rtp_bytes, 800);
    }

    #[test]
    fn separate_ssrcs_and_invalid() {
        let mut c = ChannelStats::default();
        c.on_packet(12, &pkt(10, 1));
        c.on_packet(12, &pkt(500, 2));
        c.on_packet(12, &pkt(11, 1));
        c.on_packet(12, &pkt(501, 2));
        c.on_packet(4, &[0x80, 0, 0, 0]);
        c.on_packet(12, &[0u8; 12]);
        assert_eq!(c.missing(), 0);
        assert_eq!(c.ssrcs.len(), 2);
        assert_eq!(c.invalid, 2);
    }
}
