//! RTP: the fixed header, and one packetizer per codec.
//!
//! A packetizer turns one encoded [`Frame`](crate::media::Frame) into RTP
//! *payloads* (no 12-byte header). The caller adds the header: for a live
//! source it is written once per stream and the whole packet is shared by all
//! readers; for a file each reader writes its own header in front of the
//! shared, cached payload. Either way a payload is cut once.

pub mod header;

use bytes::Bytes;

/// One RTP payload cut from a frame, ready to follow a 12-byte RTP header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RtpPayload {
    /// The payload bytes (everything after the fixed RTP header).
    pub data: Bytes,
    /// The RTP marker bit: last packet of a video access unit; first packet of
    /// a talkspurt for audio codecs that use it (we never set it for audio
    /// except where the RFC asks).
    pub marker: bool,
    /// Added to the frame's RTP timestamp for this packet (non-zero when an
    /// audio frame is split into several packets of consecutive samples).
    pub ts_offset: u32,
}
