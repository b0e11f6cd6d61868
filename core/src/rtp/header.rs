//! The fixed 12-byte RTP header (RFC 3550 section 5.1).

/// Length of the RTP fixed header with no CSRCs and no extension.
pub const RTP_HEADER_LEN: usize = 12;

/// The fields of the RTP fixed header that a sender chooses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RtpHeader {
    /// Payload type (7 bits).
    pub payload_type: u8,
    /// Marker bit.
    pub marker: bool,
    /// Sequence number.
    pub sequence: u16,
    /// Media timestamp at the payload's clock rate.
    pub timestamp: u32,
    /// Synchronization source.
    pub ssrc: u32,
}

impl RtpHeader {
    /// Serializes the header: version 2, no padding, no extension, no CSRC.
    pub fn to_bytes(&self) -> [u8; RTP_HEADER_LEN] {
        let mut b = [0u8; RTP_HEADER_LEN];
        b[0] = 0x80;
        b[1] = (self.payload_type & 0x7f) | if self.marker { 0x80 } else { 0 };
        b[2..4].copy_from_slice(&self.sequence.to_be_bytes());
        b[4..8].copy_from_slice(&self.timestamp.to_be_bytes());
        b[8..12].copy_from_slice(&self.ssrc.to_be_bytes());
        b
    }

    /// Parses the fixed header of an RTP packet and returns it with the byte
    /// range of the payload: after CSRCs and any header extension, and
    /// before any padding. `None` when the packet is not RTP version 2, is
    /// truncated, or its padding count overruns the packet.
    pub fn parse(packet: &[u8]) -> Option<(RtpHeader, std::ops::Range<usize>)> {
        if packet.len() < RTP_HEADER_LEN || packet[0] >> 6 != 2 {
            return None;
        }
        let csrc_count = usize::from(packet[0] & 0x0f);
        let mut start = RTP_HEADER_LEN + 4 * csrc_count;
        if packet[0] & 0x10 != 0 {
            let ext = packet.get(start..start + 4)?;
            let words = usize::from(u16::from_be_bytes([ext[2], ext[3]]));
            start += 4 + 4 * words;
        }
        let mut end = packet.len();
        if packet[0] & 0x20 != 0 {
            let pad = usize::from(*packet.last()?);
            end = end.checked_sub(pad)?;
        }
        if start > end {
            return None;
        }
        let header = RtpHeader {
            payload_type: packet[1] & 0x7f,
            marker: packet[1] & 0x80 != 0,
            sequence: u16::from_be_bytes([packet[2], packet[3]]),
            timestamp: u32::from_be_bytes([packet[4], packet[5], packet[6], packet[7]]),
            ssrc: u32::from_be_bytes([packet[8], packet[9], packet[10], packet[11]]),
        };
        Some((header, start..end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trips() {
        let h = RtpHeader {
            payload_type: 96,
            marker: true,
            sequence: 65535,
            timestamp: 0xdead_beef,
            ssrc: 0x0102_0304,
        };
        let bytes = h.to_bytes();
        assert_eq!(bytes[0], 0x80);
        assert_eq!(bytes[1], 0x80 | 96);
        let (parsed, range) = RtpHeader::parse(&bytes).unwrap();
        assert_eq!(parsed, h);
        assert_eq!(range, 12..12);
    }

    #[test]
    fn rejects_short_and_wrong_version() {
        assert!(RtpHeader::parse(&[0x80; 11]).is_none());
        assert!(RtpHeader::parse(&[0x40; 12]).is_none());
        // Padding longer than the packet.
        let mut p = [0u8; 13];
        p[0] = 0xa0;
        p[12] = 200;
        assert!(RtpHeader::parse(&p).is_none());
    }

    #[test]
    fn payload_range_skips_csrcs_and_extension_and_drops_padding() {
        let mut p = vec![0x80 | 0x20 | 0x10 | 1, 96, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3];
        p.extend_from_slice(&[9, 9, 9, 9]); // one CSRC
        p.extend_from_slice(&[0xbe, 0xde, 0, 1, 7, 7, 7, 7]); // extension, 1 word
        p.extend_from_slice(&[0xaa, 0xbb]); // payload
        p.extend_from_slice(&[0, 0, 3]); // 3 bytes of padding
        let (h, range) = RtpHeader::parse(&p).unwrap();
        assert_eq!(h.sequence, 1);
        assert_eq!(p[range], [0xaa, 0xbb]);
        // Extension header cut short.
        assert!(RtpHeader::parse(&p[..18]).is_none());
    }
}
