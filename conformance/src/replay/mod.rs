//! pcap replay: captured sessions of real clients with our server, to be
//! played again into the core server.
//!
//! The pieces, each usable alone:
//! - [`pcap`]: pcap and pcapng files to timestamped frames;
//! - [`decode`]: frames (Ethernet, Linux cooked v1/v2, BSD loopback, raw IP;
//!   IPv4 and IPv6) to TCP segments and UDP datagrams;
//! - [`flows`]: segments to conversations (TCP reassembly per direction)
//!   and datagrams: a [`Capture`].

pub mod decode;
pub mod flows;
pub mod pcap;

pub use flows::{ByteStream, Capture, CaptureStats, Datagram, TcpConversation};
pub use pcap::{CaptureError, LinkType, RawPacket, read_packets};
