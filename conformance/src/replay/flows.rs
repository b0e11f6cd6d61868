//! From packets to conversations: TCP reassembly (one byte stream per
//! direction, in sequence order, retransmitted and overlapping bytes taken
//! once) and the UDP datagrams beside them.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::time::Duration;

use super::decode::{Decoded, TcpSegment, decode, flags};
use super::pcap::{CaptureError, read_packets};

/// Most bytes held out of order per direction, waiting for a hole to fill.
const MAX_PENDING: usize = 16 * 1024 * 1024;

/// One direction of a TCP connection: its bytes in order, each chunk with
/// the time of the segment that brought it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ByteStream {
    data: Vec<u8>,
    /// (capture time, end offset in `data`) of each chunk.
    marks: Vec<(Duration, usize)>,
    /// When the sender closed (FIN) or reset (RST) its side, if it did.
    pub closed_at: Option<Duration>,
    /// The sender reset the connection.
    pub reset: bool,
    /// Bytes are missing (not captured, or cut by the snapshot length):
    /// the stream stops before the first hole.
    pub hole: bool,
}

impl ByteStream {
    /// All the bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.data
    }

    /// The chunks in order: (capture time, bytes).
    pub fn chunks(&self) -> impl Iterator<Item = (Duration, &[u8])> + '_ {
        let mut start = 0;
        self.marks.iter().map(move |&(at, end)| {
            let chunk = &self.data[start..end];
            start = end;
            (at, chunk)
        })
    }

    fn push(&mut self, at: Duration, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        self.data.extend_from_slice(bytes);
        self.marks.push((at, self.data.len()));
    }
}

/// Reassembly state of one direction.
#[derive(Debug, Default)]
struct Reassembly {
    /// Sequence number of the next byte expected.
    next: Option<u32>,
    /// Segments ahead of `next`, by their offset from `base`.
    pending: BTreeMap<u64, (Duration, Vec<u8>)>,
    pending_bytes: usize,
    /// Sequence number of offset 0 (for ordering `pending`).
    base: u32,
    /// Bytes delivered so far (offset of `next` from `base`).
    delivered: u64,
    fin_at: Option<u64>,
    fin_time: Option<Duration>,
}

/// One TCP connection, as its client and its server saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TcpConversation {
    /// The side that opened it (sent the SYN), or, with no SYN captured,
    /// the side with the higher port.
    pub client: SocketAddr,
    /// The other side.
    pub server: SocketAddr,
    /// When its first packet was captured.
    pub opened_at: Duration,
    /// What the client sent.
    pub to_server: ByteStream,
    /// What the server sent.
    pub to_client: ByteStream,
}

/// A UDP datagram.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Datagram {
    /// When it was captured.
    pub at: Duration,
    /// Sender.
    pub src: SocketAddr,
    /// Receiver.
    pub dst: SocketAddr,
    /// Payload.
    pub data: Vec<u8>,
}

/// Counts of what a capture held besides the conversations.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CaptureStats {
    /// Frames in the file.
    pub packets: usize,
    /// Frames that were neither TCP nor UDP over IP, or IP fragments.
    pub other: usize,
    /// TCP segments that brought nothing new (retransmissions, duplicates).
    pub retransmitted: usize,
}

/// A capture taken apart.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Capture {
    /// Capture time of the first frame.
    pub start: Duration,
    /// TCP connections, in the order their first packets were captured.
    pub conversations: Vec<TcpConversation>,
    /// UDP datagrams, in capture order.
    pub datagrams: Vec<Datagram>,
    /// Counts.
    pub stats: CaptureStats,
}

struct Building {
    conv: TcpConversation,
    to_server: Reassembly,
    to_client: Reassembly,
}

impl Capture {
    /// Reads and reassembles a pcap or pcapng file held in memory.
    pub fn parse(file: &[u8]) -> Result<Capture, CaptureError> {
        let packets = read_packets(file)?;
        let mut capture = Capture {
            start: packets.first().map(|p| p.at).unwrap_or_default(),
            ..Capture::default()
        };
        capture.stats.packets = packets.len();
        let mut building: Vec<Building> = Vec::new();
        // (lower address, higher address) -> index of the live conversation.
        let mut live: HashMap<(SocketAddr, SocketAddr), usize> = HashMap::new();
        for (index, packet) in packets.iter().enumerate() {
            match decode(index, packet)? {
                Decoded::Other(_) => capture.stats.other += 1,
                Decoded::Udp(u) => capture.datagrams.push(Datagram {
                    at: packet.at,
                    src: u.src,
                    dst: u.dst,
                    data: u.payload.to_vec(),
                }),
                Decoded::Tcp(seg) => {
                    let key = if seg.src < seg.dst {
                        (seg.src, seg.dst)
                    } else {
                        (seg.dst, seg.src)
                    };
                    let opening = seg.flags & (flags::SYN | flags::ACK) == flags::SYN;
                    let reuse = live.get(&key).is_some_and(|&i| {
                        opening && building[i].conv.to_server.closed_at.is_some()
                    });
                    let i = match live.get(&key) {
                        Some(&i) if !reuse => i,
                        _ => {
                            let answering =
                                seg.flags & (flags::SYN | flags::ACK) == flags::SYN | flags::ACK;
                            let (client, server) =
                                if opening || (!answering && seg.src.port() > seg.dst.port()) {
                                    (seg.src, seg.dst)
                                } else {
                                    (seg.dst, seg.src)
                                };
                            building.push(Building {
                                conv: TcpConversation {
                                    client,
                                    server,
                                    opened_at: packet.at,
                                    to_server: ByteStream::default(),
                                    to_client: ByteStream::default(),
                                },
                                to_server: Reassembly::default(),
                                to_client: Reassembly::default(),
                            });
                            live.insert(key, building.len() - 1);
                            building.len() - 1
                        }
                    };
                    let b = &mut building[i];
                    let (state, stream) = if seg.src == b.conv.client {
                        (&mut b.to_server, &mut b.conv.to_server)
                    } else {
                        (&mut b.to_client, &mut b.conv.to_client)
                    };
                    if !state.segment(index, packet.at, &seg, stream)? {
                        capture.stats.retransmitted += 1;
                    }
                }
            }
        }
        for mut b in building {
            b.to_server.finish(&mut b.conv.to_server);
            b.to_client.finish(&mut b.conv.to_client);
            capture.conversations.push(b.conv);
        }
        Ok(capture)
    }
}

impl Reassembly {
    /// Takes one segment; `false` when it brought nothing new.
    fn segment(
        &mut self,
        index: usize,
        at: Duration,
        seg: &TcpSegment<'_>,
        out: &mut ByteStream,
    ) -> Result<bool, CaptureError> {
        let mut seq = seg.seq;
        if seg.flags & flags::SYN != 0 {
            seq = seq.wrapping_add(1);
            if self.next.is_none() {
                self.next = Some(seq);
                self.base = seq;
            }
        }
        if seg.flags & flags::RST != 0 {
            out.reset = true;
            out.closed_at.get_or_insert(at);
        }
        let next = *self.next.get_or_insert_with(|| {
            self.base = seq;
            seq
        });
        // Offset of this segment from `base`, unwrapped near `delivered`
        // (negative: it starts before the first byte of the stream).
        let rel = self.delivered as i64 + i64::from(seq.wrapping_sub(next) as i32);
        let mut payload = seg.payload;
        if seg.cut {
            // Bytes the capture did not keep: a hole from here on.
            out.hole = true;
        }
        if seg.flags & flags::FIN != 0 {
            let end = rel.saturating_add(seg.payload.len() as i64).max(0) as u64;
            self.fin_at.get_or_insert(end);
            self.fin_time.get_or_insert(at);
        }
        let mut new = false;
        let delivered = self.delivered as i64;
        if rel <= delivered {
            let skip = usize::try_from(delivered - rel).unwrap_or(usize::MAX);
            if skip < payload.len() {
                payload = &payload[skip..];
                self.deliver(at, payload, out);
                new = true;
            }
        } else if !payload.is_empty() {
            if self.pending_bytes + payload.len() > MAX_PENDING {
                return Err(CaptureError::BadPacket {
                    index,
                    what: "too many bytes out of order in one TCP stream",
                });
            }
            let rel = rel as u64;
            if !self.pending.contains_key(&rel) {
                self.pending_bytes += payload.len();
                self.pending.insert(rel, (at, payload.to_vec()));
                new = true;
            }
        }
        self.drain_pending(out);
        if self.fin_at.is_some_and(|f| f <= self.delivered) {
            if let Some(t) = self.fin_time {
                out.closed_at.get_or_insert(t);
            }
        }
        Ok(
            new || seg.flags & (flags::SYN | flags::FIN | flags::RST) != 0
                || seg.payload.is_empty(),
        )
    }

    fn deliver(&mut self, at: Duration, bytes: &[u8], out: &mut ByteStream) {
        if out.hole {
            return;
        }
        out.push(at, bytes);
        self.delivered += bytes.len() as u64;
        self.next = Some(self.base.wrapping_add(self.delivered as u32));
    }

    fn drain_pending(&mut self, out: &mut ByteStream) {
        while let Some(entry) = self.pending.first_entry() {
            let rel = *entry.key();
            if rel > self.delivered {
                break;
            }
            let (at, bytes) = entry.remove();
            self.pending_bytes -= bytes.len();
            let skip = (self.delivered - rel) as usize;
            if skip < bytes.len() {
                self.deliver(at, &bytes[skip..], out);
            }
        }
    }

    /// Whatever is still waiting lies beyond a hole.
    fn finish(&mut self, out: &mut ByteStream) {
        if !self.pending.is_empty() {
            out.hole = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::decode::tests::{ipv4_packet_from, tcp_header};
    use super::*;

    /// A pcap of raw IPv4 frames.
    fn pcap(frames: &[Vec<u8>]) -> Vec<u8> {
        let mut f = Vec::new();
        f.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
        f.extend_from_slice(&[2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 0, 0]);
        f.extend_from_slice(&101u32.to_le_bytes());
        for (i, frame) in frames.iter().enumerate() {
            f.extend_from_slice(&1u32.to_le_bytes());
            f.extend_from_slice(&(i as u32 * 1000).to_le_bytes());
            f.extend_from_slice(&(frame.len() as u32).to_le_bytes());
            f.extend_from_slice(&(frame.len() as u32).to_le_bytes());
            f.extend_from_slice(frame);
        }
        f
    }

    /// A segment; the side with the lower port is 10.0.0.1, the other 10.0.0.2.
    fn seg(sport: u16, dport: u16, seq: u32, fl: u8, payload: &[u8]) -> Vec<u8> {
        let mut l4 = tcp_header(sport, dport, seq, fl);
        l4.extend_from_slice(payload);
        let (server, client) = ([10, 0, 0, 1], [10, 0, 0, 2]);
        if sport < dport {
            ipv4_packet_from(server, client, 6, &l4)
        } else {
            ipv4_packet_from(client, server, 6, &l4)
        }
    }

    #[test]
    fn reorders_drops_retransmissions_and_trims_overlaps() {
        use flags::*;
        let c = 40000;
        let s = 554;
        // The client's ISN is 0xffff_fff0, so its sequence numbers wrap.
        let isn = 0xffff_fff0u32;
        let frames = vec![
            seg(c, s, isn, SYN, b""),
            seg(s, c, 100, SYN | ACK, b""),
            seg(c, s, isn.wrapping_add(1), ACK, b"hello "),
            // Out of order: "world" arrives before "big ".
            seg(c, s, isn.wrapping_add(11), ACK, b"world"),
            seg(c, s, isn.wrapping_add(7), ACK, b"big "),
            // A retransmission, and an overlap that brings one new byte.
            seg(c, s, isn.wrapping_add(1), ACK, b"hello "),
            seg(c, s, isn.wrapping_add(13), ACK, b"rld!"),
            seg(s, c, 101, ACK, b"OK"),
            seg(c, s, isn.wrapping_add(17), FIN | ACK, b""),
            seg(s, c, 103, RST, b""),
        ];
        let cap = Capture::parse(&pcap(&frames)).unwrap();
        assert_eq!(cap.conversations.len(), 1);
        let conv = &cap.conversations[0];
        assert_eq!(conv.client.port(), c);
        assert_eq!(conv.to_server.bytes(), b"hello big world!");
        assert!(!conv.to_server.hole && !conv.to_server.reset);
        assert_eq!(conv.to_server.closed_at, Some(Duration::new(1, 8_000_000)));
        assert_eq!(conv.to_client.bytes(), b"OK");
        assert!(conv.to_client.reset);
        let chunks: Vec<_> = conv.to_server.chunks().map(|(_, b)| b.to_vec()).collect();
        assert_eq!(chunks, [&b"hello "[..], b"big ", b"world", b"!"]);
        assert_eq!(cap.stats.retransmitted, 1);
    }

    #[test]
    fn a_missing_segment_is_a_hole_and_no_syn_still_works() {
        let frames = vec![
            seg(50000, 80, 1000, flags::ACK, b"GET / HTTP/1.1\r\n"),
            seg(50000, 80, 2000, flags::ACK, b"later"),
            seg(80, 50000, 9, flags::ACK, b"HTTP/1.1 200 OK\r\n"),
        ];
        let cap = Capture::parse(&pcap(&frames)).unwrap();
        let conv = &cap.conversations[0];
        assert_eq!(conv.client.port(), 50000);
        assert_eq!(conv.to_server.bytes(), b"GET / HTTP/1.1\r\n");
        assert!(conv.to_server.hole);
        assert_eq!(conv.to_client.bytes(), b"HTTP/1.1 200 OK\r\n");
    }

    #[test]
    fn port_reuse_after_close_is_a_new_conversation() {
        use flags::*;
        let frames = vec![
            seg(40000, 554, 1, SYN, b""),
            seg(40000, 554, 2, ACK, b"a"),
            seg(40000, 554, 3, FIN | ACK, b""),
            seg(40000, 554, 500, SYN, b""),
            seg(40000, 554, 501, ACK, b"b"),
        ];
        let cap = Capture::parse(&pcap(&frames)).unwrap();
        assert_eq!(cap.conversations.len(), 2);
        assert_eq!(cap.conversations[1].to_server.bytes(), b"b");
    }
}
