//! pcap replay: captured sessions of real clients with our server, played
//! again into the core [`Server`](onvif_rtsp_core::server::Server) and
//! compared with what the real server answered.
//!
//! The pieces, each usable alone:
//! - [`pcap`]: pcap and pcapng files to timestamped frames;
//! - [`decode`]: frames (Ethernet, Linux cooked v1/v2, BSD loopback, raw IP;
//!   IPv4 and IPv6) to TCP segments and UDP datagrams;
//! - [`flows`]: segments to conversations (TCP reassembly per direction)
//!   and datagrams: a [`Capture`];
//! - [`driver`]: a capture's client side fed into a fresh server, with the
//!   simulator's synthetic media behind it: a [`Replay`];
//! - [`compare`]: the replayed answers against the captured ones, modulo
//!   what legitimately differs between runs.
//!
//! [`check_capture`] does all of it for one file.

pub mod compare;
pub mod decode;
pub mod driver;
pub mod flows;
pub mod pcap;

pub use compare::{ConversationCheck, check};
pub use driver::{Protocol, Replay, ReplayConfig, ReplayedConversation, replay};
pub use flows::{ByteStream, Capture, CaptureStats, Datagram, TcpConversation};
pub use pcap::{CaptureError, LinkType, RawPacket, read_packets};

/// The outcome of replaying one capture file.
#[derive(Clone, Debug)]
pub struct CaptureCheck {
    /// The capture, taken apart.
    pub capture: Capture,
    /// What the replay did.
    pub replay: Replay,
    /// Per replayed conversation (RTSP or HTTP), what the comparison found.
    pub conversations: Vec<ConversationCheck>,
}

impl CaptureCheck {
    /// Every mismatch, prefixed with its conversation, and the replay's
    /// anomalies.
    pub fn mismatches(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .replay
            .anomalies
            .iter()
            .map(|a| format!("replay: {a}"))
            .collect();
        for c in &self.conversations {
            let conv = &self.capture.conversations[c.index];
            for m in &c.mismatches {
                out.push(format!("conversation {} ({}): {m}", c.index, conv.client));
            }
        }
        out
    }

    /// Answers compared over all conversations.
    pub fn compared(&self) -> usize {
        self.conversations.iter().map(|c| c.compared).sum()
    }
}

/// Reads a pcap or pcapng file, replays its RTSP and HTTP conversations
/// into a fresh server and compares the answers.
pub fn check_capture(file: &[u8], cfg: &ReplayConfig) -> Result<CaptureCheck, CaptureError> {
    let capture = Capture::parse(file)?;
    let replay = replay(&capture, cfg);
    let conversations = replay
        .conversations
        .iter()
        .filter(|c| c.protocol != Protocol::Other)
        .map(check)
        .collect();
    Ok(CaptureCheck {
        capture,
        replay,
        conversations,
    })
}
