//! Sender reports (SR, packet type 200) and receiver reports (RR, 201),
//! RFC 3550 sections 6.4.1 and 6.4.2, and the compound packets built
//! around them.

use super::{PT_RR, PT_SR, bye, sdes, write_header};

/// The most report blocks one SR or RR packet can carry (5-bit count).
const MAX_BLOCKS_PER_PACKET: usize = 31;
/// Bytes of one report block.
pub(crate) const REPORT_BLOCK_LEN: usize = 24;
/// Bytes of the sender info that follows the SR's SSRC.
pub(crate) const SENDER_INFO_LEN: usize = 20;

/// What a sender says about its stream in an SR: how its RTP clock maps to
/// wall-clock time, and how much it has sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SenderReport {
    /// SSRC of the sender.
    pub ssrc: u32,
    /// Wall-clock time of the report, NTP format (see [`super::ntp_from_unix`]).
    pub ntp_timestamp: u64,
    /// The same instant on the stream's RTP clock.
    pub rtp_timestamp: u32,
    /// RTP packets sent since the stream started.
    pub packet_count: u32,
    /// RTP payload octets sent since the stream started (headers excluded).
    pub octet_count: u32,
}

impl SenderReport {
    /// Appends the SR packet alone, with no report blocks (28 bytes).
    pub fn write(&self, out: &mut Vec<u8>) {
        write_header(out, 0, PT_SR, 1 + SENDER_INFO_LEN / 4);
        out.extend_from_slice(&self.ssrc.to_be_bytes());
        out.extend_from_slice(&self.ntp_timestamp.to_be_bytes());
        out.extend_from_slice(&self.rtp_timestamp.to_be_bytes());
        out.extend_from_slice(&self.packet_count.to_be_bytes());
        out.extend_from_slice(&self.octet_count.to_be_bytes());
    }

    /// Appends the compound packet a sender sends periodically: SR, then
    /// SDES with the CNAME (RFC 3550 section 6.1: every compound packet
    /// starts with a report and carries a CNAME).
    pub fn write_compound(&self, cname: &str, out: &mut Vec<u8>) {
        self.write(out);
        sdes::write_cname(self.ssrc, cname, out);
    }

    /// Appends the compound packet a sender sends when it stops (teardown):
    /// SR, SDES CNAME, then BYE.
    pub fn write_with_bye(&self, cname: &str, out: &mut Vec<u8>) {
        self.write_compound(cname, out);
        bye::write_bye(&[self.ssrc], out);
    }

    /// Reads the SSRC and sender info of an SR body (after the 4-byte
    /// header); the caller checked it is at least 24 bytes.
    pub(crate) fn read(body: &[u8]) -> SenderReport {
        let word = |i: usize| u32::from_be_bytes([body[i], body[i + 1], body[i + 2], body[i + 3]]);
        SenderReport {
            ssrc: word(0),
            ntp_timestamp: (u64::from(word(4)) << 32) | u64::from(word(8)),
            rtp_timestamp: word(12),
            packet_count: word(16),
            octet_count: word(20),
        }
    }
}

/// Reception statistics for one source, as carried in SR and RR packets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReportBlock {
    /// SSRC of the source this block is about.
    pub ssrc: u32,
    /// Fraction of packets lost since the previous report, in 1/256.
    pub fraction_lost: u8,
    /// Packets lost since reception started (24-bit signed; duplicates can
    /// make it negative). Clamped to the field's range when written.
    pub cumulative_lost: i32,
    /// Extended highest sequence number received (cycles << 16 | seq).
    pub highest_sequence: u32,
    /// Interarrival jitter in RTP timestamp units.
    pub jitter: u32,
    /// Middle 32 bits of the NTP timestamp of the last SR received (LSR), 0 if none.
    pub last_sr: u32,
    /// Delay since that SR in 1/65536 s (DLSR), 0 if none.
    pub delay_since_last_sr: u32,
}

impl ReportBlock {
    /// Appends the 24-byte block.
    pub fn write(&self, out: &mut Vec<u8>) {
        const MAX: i32 = 0x7f_ffff;
        let lost = self.cumulative_lost.clamp(-MAX - 1, MAX) as u32 & 0xff_ffff;
        out.extend_from_slice(&self.ssrc.to_be_bytes());
        out.extend_from_slice(&((u32::from(self.fraction_lost) << 24) | lost).to_be_bytes());
        out.extend_from_slice(&self.highest_sequence.to_be_bytes());
        out.extend_from_slice(&self.jitter.to_be_bytes());
        out.extend_from_slice(&self.last_sr.to_be_bytes());
        out.extend_from_slice(&self.delay_since_last_sr.to_be_bytes());
    }

    /// Reads a block from exactly 24 bytes.
    pub(crate) fn read(b: &[u8]) -> ReportBlock {
        let word = |i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let lost_word = word(4);
        // Sign-extend the 24-bit cumulative loss.
        let cumulative_lost = ((lost_word << 8) as i32) >> 8;
        ReportBlock {
            ssrc: word(0),
            fraction_lost: (lost_word >> 24) as u8,
            cumulative_lost,
            highest_sequence: word(8),
            jitter: word(12),
            last_sr: word(16),
            delay_since_last_sr: word(20),
        }
    }
}

/// What a receiver (the RTSP client side) reports: its own SSRC and one
/// block per source it hears.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReceiverReport {
    /// SSRC of the receiver.
    pub ssrc: u32,
    /// One block per source received (any number: more than 31 are spread
    /// over several RR packets).
    pub blocks: Vec<ReportBlock>,
}

impl ReceiverReport {
    /// Appends the RR packet(s).
    pub fn write(&self, out: &mut Vec<u8>) {
        let mut chunks = self.blocks.chunks(MAX_BLOCKS_PER_PACKET);
        // An RR with no blocks is still sent: it is the mandatory first
        // packet of a compound packet.
        let first = chunks.next().unwrap_or(&[]);
        for blocks in std::iter::once(first).chain(chunks) {
            let words = 1 + blocks.len() * REPORT_BLOCK_LEN / 4;
            write_header(out, blocks.len() as u8, PT_RR, words);
            out.extend_from_slice(&self.ssrc.to_be_bytes());
            for block in blocks {
                block.write(out);
            }
        }
    }

    /// Appends RR + SDES CNAME: the periodic compound packet of a receiver.
    pub fn write_compound(&self, cname: &str, out: &mut Vec<u8>) {
        self.write(out);
        sdes::write_cname(self.ssrc, cname, out);
    }

    /// Appends RR + SDES CNAME + BYE: what a receiver sends when it leaves.
    pub fn write_with_bye(&self, cname: &str, out: &mut Vec<u8>) {
        self.write_compound(cname, out);
        bye::write_bye(&[self.ssrc], out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sender_report_bytes() {
        let sr = SenderReport {
            ssrc: 0x0102_0304,
            ntp_timestamp: 0x1112_1314_1516_1718,
            rtp_timestamp: 0x2122_2324,
            packet_count: 5,
            octet_count: 0x0100,
        };
        let mut out = Vec::new();
        sr.write(&mut out);
        assert_eq!(
            out,
            [
                0x80, 200, 0, 6, 1, 2, 3, 4, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x21,
                0x22, 0x23, 0x24, 0, 0, 0, 5, 0, 0, 1, 0
            ]
        );
        assert_eq!(SenderReport::read(&out[4..]), sr);
    }

    #[test]
    fn report_block_bytes_and_negative_loss() {
        let block = ReportBlock {
            ssrc: 9,
            fraction_lost: 0x40,
            cumulative_lost: -2,
            highest_sequence: 0x0001_0005,
            jitter: 17,
            last_sr: 0xaabb_ccdd,
            delay_since_last_sr: 65536,
        };
        let mut out = Vec::new();
        block.write(&mut out);
        assert_eq!(out[4..8], [0x40, 0xff, 0xff, 0xfe]);
        assert_eq!(ReportBlock::read(&out), block);
        // Out-of-range loss is clamped to 24 bits.
        let mut out = Vec::new();
        ReportBlock {
            cumulative_lost: 10_000_000,
            ..block
        }
        .write(&mut out);
        assert_eq!(ReportBlock::read(&out).cumulative_lost, 0x7f_ffff);
    }

    #[test]
    fn receiver_report_spreads_many_blocks() {
        let mut out = Vec::new();
        ReceiverReport {
            ssrc: 1,
            blocks: Vec::new(),
        }
        .write(&mut out);
        assert_eq!(out, [0x80, 201, 0, 1, 0, 0, 0, 1]);
        let rr = ReceiverReport {
            ssrc: 1,
            blocks: vec![ReportBlock::default(); 33],
        };
        let mut out = Vec::new();
        rr.write(&mut out);
        assert_eq!(out.len(), 8 + 31 * 24 + 8 + 2 * 24);
        assert_eq!(out[0], 0x80 | 31);
        assert_eq!(out[8 + 31 * 24], 0x80 | 2);
    }
}
