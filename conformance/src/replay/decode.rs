//! Taking a captured frame apart: the link header (Ethernet with 802.1Q
//! tags, Linux cooked v1 and v2, BSD/OpenBSD loopback, raw IP), then IPv4
//! or IPv6 (extension headers skipped), then TCP or UDP.
//!
//! Frames that are not IP, not TCP or UDP, or IP fragments are not errors:
//! they are reported as [`Decoded::Other`] and counted by the caller.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use super::pcap::{CaptureError, LinkType, RawPacket};

/// TCP flag bits.
pub mod flags {
    /// No more data from the sender.
    pub const FIN: u8 = 0x01;
    /// Synchronize sequence numbers (opens a connection).
    pub const SYN: u8 = 0x02;
    /// Reset the connection.
    pub const RST: u8 = 0x04;
    /// The acknowledgment field is significant.
    pub const ACK: u8 = 0x10;
}

/// A TCP segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TcpSegment<'a> {
    /// Sender.
    pub src: SocketAddr,
    /// Receiver.
    pub dst: SocketAddr,
    /// Sequence number of the first payload byte (or of the SYN/FIN).
    pub seq: u32,
    /// Flag bits ([`flags`]).
    pub flags: u8,
    /// The payload, as far as it was captured.
    pub payload: &'a [u8],
    /// The payload was cut by the snapshot length.
    pub cut: bool,
}

/// A UDP datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UdpDatagram<'a> {
    /// Sender.
    pub src: SocketAddr,
    /// Receiver.
    pub dst: SocketAddr,
    /// The payload, as far as it was captured.
    pub payload: &'a [u8],
    /// The payload was cut by the snapshot length.
    pub cut: bool,
}

/// What a frame carried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decoded<'a> {
    /// A TCP segment.
    Tcp(TcpSegment<'a>),
    /// A UDP datagram.
    Udp(UdpDatagram<'a>),
    /// Something else (ARP, ICMP, an IP fragment, ...), with what.
    Other(&'static str),
}

const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86dd;
const ETHERTYPE_VLAN: [u16; 3] = [0x8100, 0x88a8, 0x9100];

fn be16(d: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*d.get(at)?, *d.get(at + 1)?]))
}

fn be32(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes([
        *d.get(at)?,
        *d.get(at + 1)?,
        *d.get(at + 2)?,
        *d.get(at + 3)?,
    ]))
}

/// Takes frame `index` of a capture apart.
pub fn decode<'a>(index: usize, packet: &RawPacket<'a>) -> Result<Decoded<'a>, CaptureError> {
    let bad = |what| CaptureError::BadPacket { index, what };
    let d = packet.data;
    let (ethertype, ip) = match packet.link {
        LinkType::ETHERNET => {
            let mut at = 12;
            let mut ethertype = be16(d, at).ok_or(bad("Ethernet header cut short"))?;
            while ETHERTYPE_VLAN.contains(&ethertype) {
                at += 4;
                ethertype = be16(d, at).ok_or(bad("VLAN tag cut short"))?;
            }
            (Some(ethertype), d.get(at + 2..))
        }
        LinkType::LINUX_SLL => (be16(d, 14), d.get(16..)),
        LinkType::LINUX_SLL2 => (be16(d, 0), d.get(20..)),
        LinkType::NULL | LinkType::LOOP => {
            let family = d.get(..4).ok_or(bad("loopback header cut short"))?;
            let le = u32::from_le_bytes([family[0], family[1], family[2], family[3]]);
            let be = u32::from_be_bytes([family[0], family[1], family[2], family[3]]);
            // AF_INET is 2 everywhere; AF_INET6 is 10, 24, 28 or 30.
            let family = if packet.link == LinkType::LOOP || le > 0xffff {
                be
            } else {
                le
            };
            let ethertype = match family {
                2 => ETHERTYPE_IPV4,
                10 | 24 | 28 | 30 => ETHERTYPE_IPV6,
                _ => return Ok(Decoded::Other("loopback frame of another family")),
            };
            (Some(ethertype), d.get(4..))
        }
        LinkType::RAW | LinkType(12) | LinkType(14) | LinkType::IPV4 | LinkType::IPV6 => {
            (None, Some(d))
        }
        other => return Err(CaptureError::UnsupportedLinkType(other)),
    };
    let ip = ip.ok_or(bad("link header cut short"))?;
    let version = ip.first().map(|b| b >> 4);
    match (ethertype, version) {
        (Some(ETHERTYPE_IPV4), _) | (None, Some(4)) => ipv4(index, ip),
        (Some(ETHERTYPE_IPV6), _) | (None, Some(6)) => ipv6(index, ip),
        _ => Ok(Decoded::Other("not IP")),
    }
}

fn ipv4(index: usize, ip: &[u8]) -> Result<Decoded<'_>, CaptureError> {
    let bad = |what| CaptureError::BadPacket { index, what };
    let first = *ip.first().ok_or(bad("IPv4 header cut short"))?;
    let header_len = usize::from(first & 0x0f) * 4;
    if first >> 4 != 4 || header_len < 20 || ip.len() < header_len {
        return Err(bad("bad IPv4 header"));
    }
    let total = usize::from(be16(ip, 2).ok_or(bad("IPv4 header cut short"))?);
    if total < header_len {
        return Err(bad("IPv4 total length below its header"));
    }
    let fragment = be16(ip, 6).ok_or(bad("IPv4 header cut short"))?;
    if fragment & 0x3fff != 0 {
        return Ok(Decoded::Other("IPv4 fragment"));
    }
    let protocol = ip[9];
    let src = Ipv4Addr::new(ip[12], ip[13], ip[14], ip[15]);
    let dst = Ipv4Addr::new(ip[16], ip[17], ip[18], ip[19]);
    // Captured bytes beyond the total length are link padding.
    let end = total.min(ip.len());
    let cut = ip.len() < total;
    transport(
        index,
        protocol,
        IpAddr::V4(src),
        IpAddr::V4(dst),
        &ip[header_len..end],
        cut,
    )
}

fn ipv6(index: usize, ip: &[u8]) -> Result<Decoded<'_>, CaptureError> {
    let bad = |what| CaptureError::BadPacket { index, what };
    if ip.len() < 40 || ip[0] >> 4 != 6 {
        return Err(bad("bad IPv6 header"));
    }
    let payload_len = usize::from(be16(ip, 4).ok_or(bad("IPv6 header cut short"))?);
    let mut next = ip[6];
    let addr = |at: usize| {
        let mut a = [0u8; 16];
        a.copy_from_slice(&ip[at..at + 16]);
        IpAddr::V6(Ipv6Addr::from(a))
    };
    let (src, dst) = (addr(8), addr(24));
    let end = (40 + payload_len).min(ip.len());
    let cut = ip.len() < 40 + payload_len;
    let mut at = 40;
    // Extension headers: hop-by-hop, routing, destination options, AH.
    for _ in 0..8 {
        match next {
            0 | 43 | 60 => {
                let len = usize::from(*ip.get(at + 1).ok_or(bad("IPv6 extension cut short"))?);
                next = ip[at];
                at += (len + 1) * 8;
            }
            51 => {
                let len = usize::from(*ip.get(at + 1).ok_or(bad("IPv6 extension cut short"))?);
                next = ip[at];
                at += (len + 2) * 4;
            }
            44 => return Ok(Decoded::Other("IPv6 fragment")),
            _ => break,
        }
    }
    let payload = ip
        .get(at..end)
        .ok_or(bad("IPv6 extensions beyond the packet"))?;
    transport(index, next, src, dst, payload, cut)
}

fn transport(
    index: usize,
    protocol: u8,
    src: IpAddr,
    dst: IpAddr,
    l4: &[u8],
    cut: bool,
) -> Result<Decoded<'_>, CaptureError> {
    let bad = |what| CaptureError::BadPacket { index, what };
    match protocol {
        6 => {
            let (Some(sport), Some(dport), Some(seq)) = (be16(l4, 0), be16(l4, 2), be32(l4, 4))
            else {
                return Err(bad("TCP header cut short"));
            };
            let offset = usize::from(l4.get(12).ok_or(bad("TCP header cut short"))? >> 4) * 4;
            let flags = *l4.get(13).ok_or(bad("TCP header cut short"))?;
            if offset < 20 || offset > l4.len() {
                return Err(bad("bad TCP data offset"));
            }
            Ok(Decoded::Tcp(TcpSegment {
                src: SocketAddr::new(src, sport),
                dst: SocketAddr::new(dst, dport),
                seq,
                flags,
                payload: &l4[offset..],
                cut,
            }))
        }
        17 => {
            let (Some(sport), Some(dport), Some(len)) = (be16(l4, 0), be16(l4, 2), be16(l4, 4))
            else {
                return Err(bad("UDP header cut short"));
            };
            let len = usize::from(len);
            if len < 8 {
                return Err(bad("bad UDP length"));
            }
            let end = len.min(l4.len());
            Ok(Decoded::Udp(UdpDatagram {
                src: SocketAddr::new(src, sport),
                dst: SocketAddr::new(dst, dport),
                payload: &l4[8..end],
                cut: cut || l4.len() < len,
            }))
        }
        _ => Ok(Decoded::Other("neither TCP nor UDP")),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::time::Duration;

    /// An IPv4 packet around a TCP or UDP header and payload.
    pub(crate) fn ipv4_packet(protocol: u8, l4: &[u8]) -> Vec<u8> {
        ipv4_packet_from([10, 0, 0, 2], [10, 0, 0, 1], protocol, l4)
    }

    /// An IPv4 packet between two addresses.
    pub(crate) fn ipv4_packet_from(src: [u8; 4], dst: [u8; 4], protocol: u8, l4: &[u8]) -> Vec<u8> {
        let mut p = vec![0x45, 0];
        p.extend_from_slice(&((20 + l4.len()) as u16).to_be_bytes());
        p.extend_from_slice(&[0, 0, 0x40, 0, 64, protocol, 0, 0]);
        p.extend_from_slice(&src);
        p.extend_from_slice(&dst);
        p.extend_from_slice(l4);
        p
    }

    pub(crate) fn tcp_header(sport: u16, dport: u16, seq: u32, flags: u8) -> Vec<u8> {
        let mut h = Vec::new();
        h.extend_from_slice(&sport.to_be_bytes());
        h.extend_from_slice(&dport.to_be_bytes());
        h.extend_from_slice(&seq.to_be_bytes());
        h.extend_from_slice(&[0, 0, 0, 0, 0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
        h
    }

    fn raw(link: LinkType, data: &[u8]) -> RawPacket<'_> {
        RawPacket {
            at: Duration::ZERO,
            link,
            data,
            original_len: data.len() as u32,
        }
    }

    #[test]
    fn every_link_type_reaches_the_same_segment() {
        let mut l4 = tcp_header(40000, 554, 7, flags::ACK);
        l4.extend_from_slice(b"OPTIONS");
        let ip = ipv4_packet(6, &l4);
        let mut eth = vec![0; 12];
        eth.extend_from_slice(&[0x81, 0x00, 0, 5, 0x08, 0x00]);
        eth.extend_from_slice(&ip);
        let mut sll = vec![0; 14];
        sll.extend_from_slice(&[0x08, 0x00]);
        sll.extend_from_slice(&ip);
        let mut sll2 = vec![0x08, 0x00];
        sll2.extend_from_slice(&[0; 18]);
        sll2.extend_from_slice(&ip);
        let mut null = 2u32.to_le_bytes().to_vec();
        null.extend_from_slice(&ip);
        let mut lo = 2u32.to_be_bytes().to_vec();
        lo.extend_from_slice(&ip);
        let frames = [
            raw(LinkType::ETHERNET, &eth),
            raw(LinkType::LINUX_SLL, &sll),
            raw(LinkType::LINUX_SLL2, &sll2),
            raw(LinkType::NULL, &null),
            raw(LinkType::LOOP, &lo),
            raw(LinkType::RAW, &ip),
        ];
        for f in &frames {
            let Ok(Decoded::Tcp(s)) = decode(0, f) else {
                panic!("{:?}: {:?}", f.link, decode(0, f));
            };
            assert_eq!(s.src, "10.0.0.2:40000".parse().unwrap());
            assert_eq!(s.dst, "10.0.0.1:554".parse().unwrap());
            assert_eq!(
                (s.seq, s.flags, s.payload, s.cut),
                (7, flags::ACK, &b"OPTIONS"[..], false)
            );
        }
    }

    #[test]
    fn ipv6_with_an_extension_header_and_udp() {
        let mut ip = vec![0x60, 0, 0, 0];
        let mut ext = vec![17, 0, 0, 0, 0, 0, 0, 0]; // hop-by-hop, then UDP
        let mut udp = Vec::new();
        udp.extend_from_slice(&5000u16.to_be_bytes());
        udp.extend_from_slice(&6000u16.to_be_bytes());
        udp.extend_from_slice(&11u16.to_be_bytes());
        udp.extend_from_slice(&[0, 0, b'a', b'b', b'c']);
        ext.extend_from_slice(&udp);
        ip.extend_from_slice(&(ext.len() as u16).to_be_bytes());
        ip.extend_from_slice(&[0, 64]);
        ip.extend_from_slice(&Ipv6Addr::LOCALHOST.octets());
        ip.extend_from_slice(&Ipv6Addr::LOCALHOST.octets());
        ip.extend_from_slice(&ext);
        let Ok(Decoded::Udp(u)) = decode(0, &raw(LinkType::RAW, &ip)) else {
            panic!();
        };
        assert_eq!(u.src, "[::1]:5000".parse().unwrap());
        assert_eq!(u.payload, b"abc");
    }

    #[test]
    fn fragments_and_others_are_skipped_and_garbage_is_an_error() {
        let mut frag = ipv4_packet(17, &[0; 8]);
        frag[6] = 0x20; // more fragments
        assert!(matches!(
            decode(0, &raw(LinkType::RAW, &frag)),
            Ok(Decoded::Other(_))
        ));
        let mut arp = vec![0; 12];
        arp.extend_from_slice(&[0x08, 0x06, 0, 0]);
        assert!(matches!(
            decode(0, &raw(LinkType::ETHERNET, &arp)),
            Ok(Decoded::Other(_))
        ));
        assert!(decode(0, &raw(LinkType(147), &[])).is_err());
        let mut l4 = tcp_header(1, 2, 3, 0);
        l4[12] = 0xf0; // data offset beyond the segment
        assert!(decode(0, &raw(LinkType::RAW, &ipv4_packet(6, &l4))).is_err());
        // Every prefix of a good frame decodes or fails, never panics.
        let mut l4 = tcp_header(40000, 554, 7, flags::ACK);
        l4.extend_from_slice(b"DATA");
        let mut eth = vec![0; 12];
        eth.extend_from_slice(&[0x08, 0x00]);
        eth.extend_from_slice(&ipv4_packet(6, &l4));
        for cut in 0..eth.len() {
            let _ = decode(0, &raw(LinkType::ETHERNET, &eth[..cut]));
        }
    }
}
