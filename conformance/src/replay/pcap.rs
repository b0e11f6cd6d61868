//! Reading capture files: classic pcap (both byte orders, microsecond and
//! nanosecond timestamps) and pcapng (sections of either byte order,
//! interface descriptions with their link types and timestamp resolutions,
//! enhanced, simple and obsolete packet blocks).
//!
//! The whole file is in memory and every length in it is checked against
//! what is left before it is used, so a truncated or hostile file gives an
//! error, never a panic, and costs no memory beyond its own size.

use std::fmt;
use std::time::Duration;

/// A link-layer header type (the `LINKTYPE_*` registry of tcpdump.org).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LinkType(pub u32);

impl LinkType {
    /// BSD loopback: a 4-byte address family in the capturing host's byte order.
    pub const NULL: LinkType = LinkType(0);
    /// Ethernet II (with optional 802.1Q tags).
    pub const ETHERNET: LinkType = LinkType(1);
    /// Raw IPv4 or IPv6, no link header.
    pub const RAW: LinkType = LinkType(101);
    /// OpenBSD loopback: a 4-byte address family, big-endian.
    pub const LOOP: LinkType = LinkType(108);
    /// Linux "cooked" capture, version 1 (`tcpdump -i any`, older libpcap).
    pub const LINUX_SLL: LinkType = LinkType(113);
    /// Raw IPv4.
    pub const IPV4: LinkType = LinkType(228);
    /// Raw IPv6.
    pub const IPV6: LinkType = LinkType(229);
    /// Linux "cooked" capture, version 2 (`-i any` with libpcap 1.10 and later).
    pub const LINUX_SLL2: LinkType = LinkType(276);
}

/// One captured frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawPacket<'a> {
    /// When it was captured, since the Unix epoch.
    pub at: Duration,
    /// How to read `data`.
    pub link: LinkType,
    /// The captured bytes (possibly cut to the snapshot length).
    pub data: &'a [u8],
    /// The frame's length on the wire.
    pub original_len: u32,
}

/// Why a capture file could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CaptureError {
    /// The file is neither pcap nor pcapng.
    UnknownFormat {
        /// Its first bytes.
        magic: [u8; 4],
    },
    /// The file ends inside a header, record or block.
    Truncated {
        /// What was being read.
        what: &'static str,
        /// Byte offset where it starts.
        offset: usize,
    },
    /// A length field that cannot be right.
    BadLength {
        /// What was being read.
        what: &'static str,
        /// Byte offset where it starts.
        offset: usize,
        /// The length found.
        length: u64,
    },
    /// A pcapng packet names an interface no block described.
    UnknownInterface {
        /// Byte offset of the packet block.
        offset: usize,
        /// The interface id.
        interface: u32,
    },
    /// A pcapng timestamp resolution beyond what a `Duration` holds.
    BadTimestampResolution {
        /// Byte offset of the interface block.
        offset: usize,
        /// The `if_tsresol` byte.
        value: u8,
    },
    /// A link type this reader cannot take apart.
    UnsupportedLinkType(LinkType),
    /// A packet that cannot be taken apart.
    BadPacket {
        /// Index of the packet in the file.
        index: usize,
        /// What was wrong.
        what: &'static str,
    },
}

impl fmt::Display for CaptureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CaptureError::UnknownFormat { magic } => {
                write!(f, "not a pcap or pcapng file (starts with {magic:02x?})")
            }
            CaptureError::Truncated { what, offset } => {
                write!(f, "file ends inside the {what} at byte {offset}")
            }
            CaptureError::BadLength {
                what,
                offset,
                length,
            } => write!(f, "bad length {length} of the {what} at byte {offset}"),
            CaptureError::UnknownInterface { offset, interface } => write!(
                f,
                "packet block at byte {offset} names interface {interface}, which no block described"
            ),
            CaptureError::BadTimestampResolution { offset, value } => write!(
                f,
                "interface block at byte {offset}: timestamp resolution {value:#04x} is too fine"
            ),
            CaptureError::UnsupportedLinkType(l) => write!(f, "unsupported link type {}", l.0),
            CaptureError::BadPacket { index, what } => write!(f, "packet {index}: {what}"),
        }
    }
}

impl std::error::Error for CaptureError {}

/// Largest single record or block accepted (far above any real frame).
const MAX_RECORD: u64 = 64 * 1024 * 1024;

/// Reads every packet of a pcap or pcapng file held in memory.
pub fn read_packets(file: &[u8]) -> Result<Vec<RawPacket<'_>>, CaptureError> {
    let magic: [u8; 4] = match file.get(..4) {
        Some(m) => [m[0], m[1], m[2], m[3]],
        None => {
            return Err(CaptureError::Truncated {
                what: "file header",
                offset: 0,
            });
        }
    };
    match magic {
        [0x0a, 0x0d, 0x0d, 0x0a] => read_pcapng(file),
        _ => match PcapHeader::parse(file)? {
            Some(header) => read_pcap(file, header),
            None => Err(CaptureError::UnknownFormat { magic }),
        },
    }
}

/// A little reader over a byte slice with a chosen byte order.
#[derive(Clone, Copy)]
struct Bytes<'a> {
    data: &'a [u8],
    big_endian: bool,
}

impl<'a> Bytes<'a> {
    fn slice(&self, at: usize, len: usize) -> Option<&'a [u8]> {
        self.data.get(at..at.checked_add(len)?)
    }

    fn u16(&self, at: usize) -> Option<u16> {
        let b = self.slice(at, 2)?;
        let b = [b[0], b[1]];
        Some(if self.big_endian {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    }

    fn u32(&self, at: usize) -> Option<u32> {
        let b = self.slice(at, 4)?;
        let b = [b[0], b[1], b[2], b[3]];
        Some(if self.big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    }

    /// A pcapng timestamp: the high 32 bits, then the low 32 bits.
    fn timestamp(&self, at: usize) -> Option<u64> {
        Some((u64::from(self.u32(at)?) << 32) | u64::from(self.u32(at + 4)?))
    }

    fn u64(&self, at: usize) -> Option<u64> {
        let hi = u64::from(self.u32(at)?);
        let lo = u64::from(self.u32(at + 4)?);
        Some(if self.big_endian {
            (hi << 32) | lo
        } else {
            (lo << 32) | hi
        })
    }
}

// ---- classic pcap ----

#[derive(Clone, Copy, Debug)]
struct PcapHeader {
    big_endian: bool,
    nanos: bool,
    link: LinkType,
}

impl PcapHeader {
    fn parse(file: &[u8]) -> Result<Option<PcapHeader>, CaptureError> {
        let Some(m) = file.get(..4) else {
            return Ok(None);
        };
        let magic = u32::from_le_bytes([m[0], m[1], m[2], m[3]]);
        let (big_endian, nanos) = match magic {
            0xa1b2_c3d4 => (false, false),
            0xa1b2_3c4d => (false, true),
            0xd4c3_b2a1 => (true, false),
            0x4d3c_b2a1 => (true, true),
            _ => return Ok(None),
        };
        let b = Bytes {
            data: file,
            big_endian,
        };
        let network = b.u32(20).ok_or(CaptureError::Truncated {
            what: "pcap file header",
            offset: 0,
        })?;
        // The upper bits may carry the FCS length; the type is the low 16.
        Ok(Some(PcapHeader {
            big_endian,
            nanos,
            link: LinkType(network & 0xffff),
        }))
    }
}

fn read_pcap(file: &[u8], header: PcapHeader) -> Result<Vec<RawPacket<'_>>, CaptureError> {
    let b = Bytes {
        data: file,
        big_endian: header.big_endian,
    };
    let mut packets = Vec::new();
    let mut at = 24;
    while at < file.len() {
        let truncated = CaptureError::Truncated {
            what: "pcap record header",
            offset: at,
        };
        let (Some(secs), Some(frac), Some(incl), Some(orig)) =
            (b.u32(at), b.u32(at + 4), b.u32(at + 8), b.u32(at + 12))
        else {
            return Err(truncated);
        };
        if u64::from(incl) > MAX_RECORD {
            return Err(CaptureError::BadLength {
                what: "pcap record",
                offset: at,
                length: u64::from(incl),
            });
        }
        let data = b
            .slice(at + 16, incl as usize)
            .ok_or(CaptureError::Truncated {
                what: "pcap record",
                offset: at,
            })?;
        let nanos = if header.nanos {
            u64::from(frac)
        } else {
            u64::from(frac) * 1000
        };
        packets.push(RawPacket {
            at: Duration::from_secs(u64::from(secs)) + Duration::from_nanos(nanos),
            link: header.link,
            data,
            original_len: orig,
        });
        at += 16 + data.len();
    }
    Ok(packets)
}

// ---- pcapng ----

const SHB: u32 = 0x0a0d_0d0a;
const IDB: u32 = 1;
const OPB: u32 = 2;
const SPB: u32 = 3;
const EPB: u32 = 6;

/// How an interface's timestamps count: units per second, as 10^n or 2^n.
#[derive(Clone, Copy, Debug)]
enum Resolution {
    Decimal(u32),
    Binary(u32),
}

impl Resolution {
    fn to_duration(self, ticks: u64, offset_secs: i64) -> Duration {
        let base = match self {
            Resolution::Decimal(n) => {
                let per_sec = 10u64.pow(n);
                let secs = ticks / per_sec;
                let frac = u128::from(ticks % per_sec);
                Duration::new(secs, (frac * 1_000_000_000 / u128::from(per_sec)) as u32)
            }
            Resolution::Binary(n) => {
                let secs = ticks >> n;
                let frac = u128::from(ticks & ((1u64 << n) - 1));
                Duration::new(secs, ((frac * 1_000_000_000) >> n) as u32)
            }
        };
        if offset_secs >= 0 {
            base.saturating_add(Duration::from_secs(offset_secs.unsigned_abs()))
        } else {
            base.saturating_sub(Duration::from_secs(offset_secs.unsigned_abs()))
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Interface {
    link: LinkType,
    snaplen: u32,
    resolution: Resolution,
    offset_secs: i64,
}

fn read_pcapng(file: &[u8]) -> Result<Vec<RawPacket<'_>>, CaptureError> {
    let mut packets = Vec::new();
    let mut interfaces: Vec<Interface> = Vec::new();
    let mut big_endian = false;
    let mut last_time = Duration::ZERO;
    let mut at = 0;
    while at < file.len() {
        let truncated = |what| CaptureError::Truncated { what, offset: at };
        let kind_bytes = file.get(at..at + 4).ok_or(truncated("block header"))?;
        let kind_le =
            u32::from_le_bytes([kind_bytes[0], kind_bytes[1], kind_bytes[2], kind_bytes[3]]);
        if kind_le == SHB {
            // A new section: its byte order, and no interfaces yet.
            let bom = file
                .get(at + 8..at + 12)
                .ok_or(truncated("section header"))?;
            big_endian = match bom {
                [0x1a, 0x2b, 0x3c, 0x4d] => true,
                [0x4d, 0x3c, 0x2b, 0x1a] => false,
                _ => {
                    return Err(CaptureError::BadLength {
                        what: "section header byte-order magic",
                        offset: at,
                        length: 0,
                    });
                }
            };
            interfaces.clear();
        }
        let b = Bytes {
            data: file,
            big_endian,
        };
        let kind = b.u32(at).ok_or(truncated("block header"))?;
        let len = b.u32(at + 4).ok_or(truncated("block header"))? as usize;
        if len < 12 || len % 4 != 0 || len as u64 > MAX_RECORD {
            return Err(CaptureError::BadLength {
                what: "block",
                offset: at,
                length: len as u64,
            });
        }
        let block = file.get(at..at + len).ok_or(truncated("block"))?;
        if b.u32(at + len - 4) != Some(len as u32) {
            return Err(CaptureError::BadLength {
                what: "block trailer",
                offset: at,
                length: len as u64,
            });
        }
        let body = Bytes {
            data: &block[8..len - 4],
            big_endian,
        };
        match kind {
            IDB => interfaces.push(parse_interface(body, at)?),
            EPB | OPB => {
                let (interface, ts, caplen, orig, data_at) = if kind == EPB {
                    let fields = (body.u32(0), body.timestamp(4), body.u32(12), body.u32(16));
                    let (Some(i), Some(ts), Some(c), Some(o)) = fields else {
                        return Err(truncated("enhanced packet block"));
                    };
                    (i, ts, c, o, 20)
                } else {
                    let fields = (body.u16(0), body.timestamp(4), body.u32(12), body.u32(16));
                    let (Some(i), Some(ts), Some(c), Some(o)) = fields else {
                        return Err(truncated("packet block"));
                    };
                    (u32::from(i), ts, c, o, 20)
                };
                let iface =
                    interfaces
                        .get(interface as usize)
                        .ok_or(CaptureError::UnknownInterface {
                            offset: at,
                            interface,
                        })?;
                let data = body
                    .slice(data_at, caplen as usize)
                    .ok_or(CaptureError::BadLength {
                        what: "packet data",
                        offset: at,
                        length: u64::from(caplen),
                    })?;
                last_time = iface.resolution.to_duration(ts, iface.offset_secs);
                packets.push(RawPacket {
                    at: last_time,
                    link: iface.link,
                    data,
                    original_len: orig,
                });
            }
            SPB => {
                let iface = interfaces.first().ok_or(CaptureError::UnknownInterface {
                    offset: at,
                    interface: 0,
                })?;
                let orig = body.u32(0).ok_or(truncated("simple packet block"))?;
                let room = body.data.len() - 4;
                let mut caplen = (orig as usize).min(room);
                if iface.snaplen != 0 {
                    caplen = caplen.min(iface.snaplen as usize);
                }
                let data = body
                    .slice(4, caplen)
                    .ok_or(truncated("simple packet block"))?;
                // No timestamp of its own: the previous packet's.
                packets.push(RawPacket {
                    at: last_time,
                    link: iface.link,
                    data,
                    original_len: orig,
                });
            }
            _ => {}
        }
        at += len;
    }
    Ok(packets)
}

fn parse_interface(body: Bytes<'_>, offset: usize) -> Result<Interface, CaptureError> {
    let (Some(link), Some(snaplen)) = (body.u16(0), body.u32(4)) else {
        return Err(CaptureError::Truncated {
            what: "interface description block",
            offset,
        });
    };
    let mut iface = Interface {
        link: LinkType(u32::from(link)),
        snaplen,
        resolution: Resolution::Decimal(6),
        offset_secs: 0,
    };
    // Options: code, length, value padded to 4 bytes; code 0 ends them.
    let mut at = 8;
    while let (Some(code), Some(len)) = (body.u16(at), body.u16(at + 2)) {
        let len = usize::from(len);
        let Some(value) = body.slice(at + 4, len) else {
            break;
        };
        match (code, value) {
            (0, _) => break,
            (9, [v]) => {
                let n = u32::from(v & 0x7f);
                iface.resolution = if v & 0x80 == 0 {
                    if n > 19 {
                        return Err(CaptureError::BadTimestampResolution { offset, value: *v });
                    }
                    Resolution::Decimal(n)
                } else {
                    if n > 63 {
                        return Err(CaptureError::BadTimestampResolution { offset, value: *v });
                    }
                    Resolution::Binary(n)
                };
            }
            (14, _) if len == 8 => {
                if let Some(v) = body.u64(at + 4) {
                    iface.offset_secs = v as i64;
                }
            }
            _ => {}
        }
        at += 4 + len.div_ceil(4) * 4;
    }
    Ok(iface)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pcap_le(link: u32, nanos: bool, records: &[(u32, u32, &[u8])]) -> Vec<u8> {
        let mut f = Vec::new();
        let magic: u32 = if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 };
        f.extend_from_slice(&magic.to_le_bytes());
        f.extend_from_slice(&2u16.to_le_bytes());
        f.extend_from_slice(&4u16.to_le_bytes());
        f.extend_from_slice(&[0; 8]);
        f.extend_from_slice(&65535u32.to_le_bytes());
        f.extend_from_slice(&link.to_le_bytes());
        for (s, frac, data) in records {
            f.extend_from_slice(&s.to_le_bytes());
            f.extend_from_slice(&frac.to_le_bytes());
            f.extend_from_slice(&(data.len() as u32).to_le_bytes());
            f.extend_from_slice(&(data.len() as u32).to_le_bytes());
            f.extend_from_slice(data);
        }
        f
    }

    #[test]
    fn classic_pcap_in_both_resolutions() {
        let f = pcap_le(1, false, &[(10, 250_000, b"abc"), (11, 0, b"")]);
        let p = read_packets(&f).unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].at, Duration::from_millis(10_250));
        assert_eq!((p[0].link, p[0].data), (LinkType::ETHERNET, &b"abc"[..]));
        let f = pcap_le(113, true, &[(1, 5, b"x")]);
        let p = read_packets(&f).unwrap();
        assert_eq!(p[0].at, Duration::new(1, 5));
        assert_eq!(p[0].link, LinkType::LINUX_SLL);
    }

    #[test]
    fn big_endian_pcap() {
        let mut f = Vec::new();
        f.extend_from_slice(&0xa1b2_c3d4u32.to_be_bytes());
        f.extend_from_slice(&[0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255]);
        f.extend_from_slice(&101u32.to_be_bytes());
        f.extend_from_slice(&7u32.to_be_bytes());
        f.extend_from_slice(&1u32.to_be_bytes());
        f.extend_from_slice(&2u32.to_be_bytes());
        f.extend_from_slice(&2u32.to_be_bytes());
        f.extend_from_slice(&[0x45, 0]);
        let p = read_packets(&f).unwrap();
        assert_eq!(p[0].at, Duration::new(7, 1000));
        assert_eq!(p[0].link, LinkType::RAW);
    }

    fn block(kind: u32, body: &[u8]) -> Vec<u8> {
        let len = (12 + body.len().div_ceil(4) * 4) as u32;
        let mut b = Vec::new();
        b.extend_from_slice(&kind.to_le_bytes());
        b.extend_from_slice(&len.to_le_bytes());
        b.extend_from_slice(body);
        b.resize(len as usize - 4, 0);
        b.extend_from_slice(&len.to_le_bytes());
        b
    }

    #[test]
    fn pcapng_with_resolutions_and_skipped_blocks() {
        let mut f = block(
            SHB,
            &[
                0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0, 255, 255, 255, 255, 255, 255, 255, 255,
            ],
        );
        // Interface 0: Ethernet, microseconds; interface 1: SLL2, nanoseconds.
        f.extend(block(IDB, &[1, 0, 0, 0, 0, 0, 4, 0]));
        f.extend(block(
            IDB,
            &[
                0x14, 0x01, 0, 0, 0, 0, 0, 0, 9, 0, 1, 0, 9, 0, 0, 0, 0, 0, 0, 0,
            ],
        ));
        f.extend(block(4, &[0; 8])); // a name resolution block: skipped
        let mut epb = Vec::new();
        epb.extend_from_slice(&1u32.to_le_bytes());
        let ts: u64 = 3_000_000_007;
        epb.extend_from_slice(&((ts >> 32) as u32).to_le_bytes());
        epb.extend_from_slice(&(ts as u32).to_le_bytes());
        epb.extend_from_slice(&5u32.to_le_bytes());
        epb.extend_from_slice(&5u32.to_le_bytes());
        epb.extend_from_slice(b"hello");
        f.extend(block(EPB, &epb));
        let mut spb = Vec::new();
        spb.extend_from_slice(&2u32.to_le_bytes());
        spb.extend_from_slice(b"hi");
        f.extend(block(SPB, &spb));
        let p = read_packets(&f).unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].at, Duration::new(3, 7));
        assert_eq!(
            (p[0].link, p[0].data),
            (LinkType::LINUX_SLL2, &b"hello"[..])
        );
        assert_eq!(
            (p[1].at, p[1].link, p[1].data),
            (p[0].at, LinkType::ETHERNET, &b"hi"[..])
        );
    }

    #[test]
    fn damaged_files_are_errors() {
        assert!(matches!(
            read_packets(b"GIF89a"),
            Err(CaptureError::UnknownFormat { .. })
        ));
        assert!(read_packets(b"").is_err());
        let f = pcap_le(1, false, &[(1, 0, b"abcdef")]);
        for cut in (1..24).chain(25..f.len()) {
            assert!(read_packets(&f[..cut]).is_err(), "cut at {cut}");
        }
        let mut huge = f.clone();
        huge[32..36].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(
            read_packets(&huge),
            Err(CaptureError::BadLength { .. })
        ));
        let mut ng = block(
            SHB,
            &[0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        );
        let mut epb = vec![0u8; 20];
        epb[12] = 4;
        ng.extend(block(EPB, &epb));
        assert!(matches!(
            read_packets(&ng),
            Err(CaptureError::UnknownInterface { .. })
        ));
    }
}
