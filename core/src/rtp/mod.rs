//! RTP: the fixed header, and one packetizer and depacketizer per codec.
//!
//! A packetizer turns one encoded [`Frame`](crate::media::Frame) into RTP
//! *payloads* (no 12-byte header). The caller adds the header: for a live
//! source it is written once per stream and the whole packet is shared by all
//! readers; for a file each reader writes its own header in front of the
//! shared, cached payload. Either way a payload is cut once.
//!
//! A depacketizer does the reverse for the RTSP client machine and for tests:
//! RTP packets in, whole access units out, with broken units (lost packets)
//! dropped rather than passed on half-built.
//!
//! | codec | RFC | module |
//! |---|---|---|
//! | H.264 | 6184 (packetization-mode 1) | [`h264`] |
//! | H.265 | 7798 | [`h265`] |
//! | JPEG | 2435 | [`jpeg`] |
//! | MPEG-4 Part 2 | 3016 (`MP4V-ES`) | [`mpeg4`] |
//! | AAC | 3640 (`AAC-hbr`) | [`aac`] |
//! | G.711, G.722, Opus | 3551, 7587 | [`audio`] |
//! | G.726 | 3551 section 4.5.4 | [`g726`] |
//!
//! The codec modules are public so their packetizer types can be named, but
//! the intended entry points are [`Packetizer`] and [`Depacketizer`].

pub mod aac;
mod annexb;
pub mod audio;
pub mod depacketizer;
pub mod g726;
pub mod h264;
pub mod h265;
pub mod header;
pub mod jpeg;
pub mod mpeg4;
mod nal;
pub mod packetizer;
mod reassembly;

use bytes::Bytes;

pub use depacketizer::{AccessUnit, DepacketizeError, Depacketizer};
pub use packetizer::{PacketizeError, Packetizer, SdpMedia};

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
