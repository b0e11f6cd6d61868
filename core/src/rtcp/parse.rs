//! Splitting and reading compound RTCP packets (RFC 3550 section 6.1 and
//! appendix A.2's validity checks, minus the ones that would reject real
//! peers: we accept a compound that does not start with SR/RR).

use super::report::{REPORT_BLOCK_LEN, SENDER_INFO_LEN};
use super::sdes::read_chunks;
use super::{PT_BYE, PT_RR, PT_SDES, PT_SR, ReportBlock, RtcpError, RtcpPacket, SenderReport};

/// Parses every packet of a compound RTCP packet, in order.
pub fn parse_compound(data: &[u8]) -> Result<Vec<RtcpPacket>, RtcpError> {
    if data.is_empty() {
        return Err(RtcpError::Empty);
    }
    let mut packets = Vec::new();
    let mut offset = 0;
    while offset < data.len() {
        let Some(&[first, packet_type, l1, l0]) = data.get(offset..offset + 4) else {
            return Err(RtcpError::Truncated { offset });
        };
        let version = first >> 6;
        if version != 2 {
            return Err(RtcpError::BadVersion { offset, version });
        }
        let length = (usize::from(u16::from_be_bytes([l1, l0])) + 1) * 4;
        let available = data.len() - offset;
        if length > available {
            return Err(RtcpError::LengthOverrun {
                offset,
                length,
                available,
            });
        }
        let packet = &data[offset..offset + length];
        let mut body = &packet[4..];
        if first & 0x20 != 0 {
            // The last octet counts the padding octets, itself included.
            let pad = usize::from(packet[length - 1]);
            if pad == 0 || pad > body.len() {
                return Err(RtcpError::Malformed {
                    offset: offset + length - 1,
                    reason: "bad padding count",
                });
            }
            body = &body[..body.len() - pad];
        }
        let count = first & 0x1f;
        packets.push(read_packet(packet_type, count, body, offset + 4)?);
        offset += length;
    }
    Ok(packets)
}

/// Reads one packet's body (after the header, padding removed); `offset`
/// is where the body starts in the compound packet.
fn read_packet(
    packet_type: u8,
    count: u8,
    body: &[u8],
    offset: usize,
) -> Result<RtcpPacket, RtcpError> {
    let short = |reason| RtcpError::Malformed { offset, reason };
    let blocks = |from: usize| -> Result<Vec<ReportBlock>, RtcpError> {
        let end = from + usize::from(count) * REPORT_BLOCK_LEN;
        let Some(bytes) = body.get(from..end) else {
            return Err(short("report count exceeds the packet length"));
        };
        Ok(bytes
            .chunks_exact(REPORT_BLOCK_LEN)
            .map(ReportBlock::read)
            .collect())
    };
    Ok(match packet_type {
        PT_SR => {
            if body.len() < 4 + SENDER_INFO_LEN {
                return Err(short("sender report shorter than its sender info"));
            }
            RtcpPacket::SenderReport {
                report: SenderReport::read(body),
                blocks: blocks(4 + SENDER_INFO_LEN)?,
            }
        }
        PT_RR => {
            let Some(&[a, b, c, d]) = body.get(..4) else {
                return Err(short("receiver report without an SSRC"));
            };
            RtcpPacket::ReceiverReport {
                ssrc: u32::from_be_bytes([a, b, c, d]),
                blocks: blocks(4)?,
            }
        }
        PT_SDES => RtcpPacket::Sdes {
            chunks: read_chunks(body, count, offset)?,
        },
        PT_BYE => {
            // Any reason text after the SSRC list is ignored.
            let Some(list) = body.get(..usize::from(count) * 4) else {
                return Err(short("BYE count exceeds the packet length"));
            };
            RtcpPacket::Bye {
                ssrcs: list
                    .chunks_exact(4)
                    .map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
                    .collect(),
            }
        }
        other => RtcpPacket::Other { packet_type: other },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtcp::{ReceiverReport, write_bye};

    fn sender_report() -> SenderReport {
        SenderReport {
            ssrc: 0xdead_beef,
            ntp_timestamp: 0xe000_0000_8000_0000,
            rtp_timestamp: 90_000,
            packet_count: 10,
            octet_count: 12_000,
        }
    }

    #[test]
    fn sr_sdes_compound_round_trips() {
        let mut buf = Vec::new();
        sender_report().write_compound("server@example", &mut buf);
        assert_eq!(buf.len() % 4, 0);
        let packets = parse_compound(&buf).unwrap();
        assert_eq!(packets.len(), 2);
        assert_eq!(
            packets[0],
            RtcpPacket::SenderReport {
                report: sender_report(),
                blocks: Vec::new()
            }
        );
        let RtcpPacket::Sdes { chunks } = &packets[1] else {
            panic!("expected SDES, got {:?}", packets[1]);
        };
        assert_eq!(chunks[0].ssrc, 0xdead_beef);
        assert_eq!(chunks[0].cname(), Some("server@example"));
    }

    #[test]
    fn teardown_compound_ends_with_bye() {
        let mut buf = Vec::new();
        sender_report().write_with_bye("x", &mut buf);
        let packets = parse_compound(&buf).unwrap();
        assert_eq!(packets.len(), 3);
        assert_eq!(
            packets[2],
            RtcpPacket::Bye {
                ssrcs: vec![0xdead_beef]
            }
        );
        let mut buf = Vec::new();
        ReceiverReport {
            ssrc: 5,
            blocks: vec![ReportBlock {
                ssrc: 0xdead_beef,
                cumulative_lost: 3,
                ..ReportBlock::default()
            }],
        }
        .write_with_bye("client", &mut buf);
        let packets = parse_compound(&buf).unwrap();
        assert!(
            matches!(&packets[0], RtcpPacket::ReceiverReport { ssrc: 5, blocks } if blocks[0].cumulative_lost == 3)
        );
        assert!(matches!(&packets[2], RtcpPacket::Bye { ssrcs } if ssrcs == &[5]));
    }

    #[test]
    fn parses_receiver_report_and_sdes_bytes() {
        // Hand-assembled RR + SDES in the layout ffmpeg's RTSP client sends
        // (one report block, CNAME = host name).
        let buf = [
            0x81, 0xc9, 0x00, 0x07, 0x4a, 0x3f, 0x6c, 0x21, 0x12, 0x34, 0x56, 0x78, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x01, 0x2c, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x81, 0xca, 0x00, 0x03, 0x4a, 0x3f, 0x6c, 0x21, 0x01, 0x04,
            b'h', b'o', b's', b't', 0x00, 0x00,
        ];
        let packets = parse_compound(&buf).unwrap();
        let RtcpPacket::ReceiverReport { ssrc, blocks } = &packets[0] else {
            panic!("expected RR");
        };
        assert_eq!(*ssrc, 0x4a3f_6c21);
        assert_eq!(blocks[0].ssrc, 0x1234_5678);
        assert_eq!(blocks[0].highest_sequence, 300);
        assert_eq!(blocks[0].jitter, 10);
        let RtcpPacket::Sdes { chunks } = &packets[1] else {
            panic!("expected SDES");
        };
        assert_eq!(chunks[0].cname(), Some("host"));
    }

    #[test]
    fn unknown_types_and_padding() {
        // An APP packet with 4 bytes of padding, after a BYE.
        let mut buf = Vec::new();
        write_bye(&[1, 2], &mut buf);
        buf.extend_from_slice(&[0xa0, 204, 0, 3, 0, 0, 0, 1, b'n', b'a', b'm', b'e']);
        buf.extend_from_slice(&[0, 0, 0, 4]);
        let packets = parse_compound(&buf).unwrap();
        assert_eq!(packets[0], RtcpPacket::Bye { ssrcs: vec![1, 2] });
        assert_eq!(packets[1], RtcpPacket::Other { packet_type: 204 });
    }

    #[test]
    fn rejects_malformed_input() {
        let mut good = Vec::new();
        sender_report().write_compound("c", &mut good);
        assert_eq!(parse_compound(&[]), Err(RtcpError::Empty));
        assert_eq!(
            parse_compound(&good[..3]),
            Err(RtcpError::Truncated { offset: 0 })
        );
        assert_eq!(
            parse_compound(&good[..good.len() - 1]),
            Err(RtcpError::LengthOverrun {
                offset: 28,
                length: 12,
                available: 11
            })
        );
        let mut v1 = good.clone();
        v1[0] = 0x40;
        assert_eq!(
            parse_compound(&v1),
            Err(RtcpError::BadVersion {
                offset: 0,
                version: 1
            })
        );
        // Trailing bytes that are not a whole header.
        let mut tail = good.clone();
        tail.extend_from_slice(&[0x80, 200]);
        assert_eq!(
            parse_compound(&tail),
            Err(RtcpError::Truncated { offset: 40 })
        );
        // SR whose report count overruns its length.
        let mut count = good.clone();
        count[0] = 0x81;
        assert!(matches!(
            parse_compound(&count),
            Err(RtcpError::Malformed { offset: 4, .. })
        ));
        // SR too short for its sender info.
        assert!(matches!(
            parse_compound(&[0x80, 200, 0, 1, 0, 0, 0, 1]),
            Err(RtcpError::Malformed { .. })
        ));
        // RR without SSRC, BYE count overrun, padding larger than the body.
        assert!(parse_compound(&[0x80, 201, 0, 0]).is_err());
        assert!(parse_compound(&[0x82, 203, 0, 1, 0, 0, 0, 1]).is_err());
        assert!(parse_compound(&[0xa0, 201, 0, 1, 0, 0, 0, 9]).is_err());
        assert!(parse_compound(&[0xa0, 201, 0, 1, 0, 0, 0, 0]).is_err());
    }

    #[test]
    fn byte_soup_never_panics() {
        let mut seed = 7u32;
        for len in 0..300 {
            let mut buf = Vec::with_capacity(len);
            for _ in 0..len {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                buf.push((seed >> 16) as u8);
            }
            // Give it a plausible first header so the body parsers run.
            if len >= 4 {
                buf[0] = 0x80 | (buf[0] & 0x3f);
                buf[1] = 200 + (buf[1] % 5);
                buf[2] = 0;
                buf[3] %= 80;
            }
            let _ = parse_compound(&buf);
        }
    }
}
