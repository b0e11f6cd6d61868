//! RTCP: sender reports, receiver reports, source descriptions and BYE
//! (RFC 3550 section 6).
//!
//! Writing: [`SenderReport::write_compound`] (SR + SDES CNAME) is what the
//! server sends before the first RTP packet and periodically after;
//! [`SenderReport::write_with_bye`] adds the BYE at teardown. A receiver
//! (the RTSP client machine) sends [`ReceiverReport`]s built from
//! [`ReceptionStats`].
//!
//! Reading: [`parse_compound`] splits a compound packet into
//! [`RtcpPacket`]s, checking every length against the buffer; malformed
//! input is an [`RtcpError`] naming the offset, never a panic.

mod bye;
mod ntp;
mod parse;
mod report;
mod sdes;
mod stats;

use std::fmt;

pub use bye::write_bye;
pub use ntp::{NTP_UNIX_OFFSET_SECS, duration_to_compact, ntp_from_unix, ntp_middle_32};
pub use parse::parse_compound;
pub use report::{ReceiverReport, ReportBlock, SenderReport};
pub use sdes::{SDES_CNAME, SdesChunk, SdesItem, write_cname};
pub use stats::ReceptionStats;

/// Packet type of a sender report.
pub const PT_SR: u8 = 200;
/// Packet type of a receiver report.
pub const PT_RR: u8 = 201;
/// Packet type of a source description.
pub const PT_SDES: u8 = 202;
/// Packet type of a goodbye.
pub const PT_BYE: u8 = 203;
/// Packet type of an application-defined packet.
pub const PT_APP: u8 = 204;

/// One packet of a compound RTCP packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RtcpPacket {
    /// A sender report.
    SenderReport {
        /// The sender's SSRC and sender info.
        report: SenderReport,
        /// Reception report blocks (a sender that also receives).
        blocks: Vec<ReportBlock>,
    },
    /// A receiver report.
    ReceiverReport {
        /// SSRC of the reporting receiver.
        ssrc: u32,
        /// One block per source it receives.
        blocks: Vec<ReportBlock>,
    },
    /// Source descriptions (CNAME and friends).
    Sdes {
        /// One chunk per described source.
        chunks: Vec<SdesChunk>,
    },
    /// Sources leaving the session.
    Bye {
        /// The SSRCs that left.
        ssrcs: Vec<u32>,
    },
    /// A packet type this parser does not decode (APP, RTPFB, PSFB, XR...).
    Other {
        /// Its packet type.
        packet_type: u8,
    },
}

/// Why a compound RTCP packet could not be parsed. `offset` is the byte
/// position in the compound packet where the problem was found.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RtcpError {
    /// No bytes at all.
    Empty,
    /// Fewer than 4 bytes left for a packet header.
    Truncated {
        /// Where the header should start.
        offset: usize,
    },
    /// The version field is not 2.
    BadVersion {
        /// Start of the offending packet.
        offset: usize,
        /// The version found.
        version: u8,
    },
    /// A packet's length field runs past the end of the buffer.
    LengthOverrun {
        /// Start of the offending packet.
        offset: usize,
        /// The length the header claims, in bytes.
        length: usize,
        /// The bytes actually left.
        available: usize,
    },
    /// A packet's contents contradict its header (count too large for the
    /// length, bad padding, an unterminated SDES item...).
    Malformed {
        /// Where the problem was found.
        offset: usize,
        /// What was wrong.
        reason: &'static str,
    },
}

impl fmt::Display for RtcpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RtcpError::Empty => f.write_str("empty RTCP packet"),
            RtcpError::Truncated { offset } => write!(f, "RTCP header truncated at byte {offset}"),
            RtcpError::BadVersion { offset, version } => {
                write!(f, "RTCP version {version} at byte {offset}, expected 2")
            }
            RtcpError::LengthOverrun {
                offset,
                length,
                available,
            } => write!(
                f,
                "RTCP packet at byte {offset} claims {length} bytes, {available} left"
            ),
            RtcpError::Malformed { offset, reason } => {
                write!(f, "malformed RTCP at byte {offset}: {reason}")
            }
        }
    }
}

impl std::error::Error for RtcpError {}

/// Appends a common RTCP header: version 2, no padding, the 5-bit count,
/// the packet type, and the length in 32-bit words *after* the header.
fn write_header(out: &mut Vec<u8>, count: u8, packet_type: u8, words_after_header: usize) {
    out.push(0x80 | (count & 0x1f));
    out.push(packet_type);
    // Every packet we write is far below 256 KiB.
    out.extend_from_slice(&(words_after_header as u16).to_be_bytes());
}
