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

/// One RTP payload cut from a frame, ready to follow a 12-byte RTP header:
/// [`prefix`](Self::prefix), then [`data`](Self::data).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RtpPayload {
    /// The bytes of the payload before `data`: the headers of a
    /// fragmentation unit (2 for H.264 FU-A, 3 for H.265), so that `data`
    /// stays a slice of the frame, shared instead of copied. Empty for every
    /// other payload.
    pub prefix: PayloadPrefix,
    /// The rest of the payload (all of it when `prefix` is empty).
    pub data: Bytes,
    /// The RTP marker bit: last packet of a video access unit; first packet of
    /// a talkspurt for audio codecs that use it (we never set it for audio
    /// except where the RFC asks).
    pub marker: bool,
    /// Added to the frame's RTP timestamp for this packet (non-zero when an
    /// audio frame is split into several packets of consecutive samples).
    pub ts_offset: u32,
}

impl RtpPayload {
    /// A payload that is `data` alone, without marker or timestamp offset.
    pub fn new(data: Bytes) -> RtpPayload {
        RtpPayload {
            prefix: PayloadPrefix::EMPTY,
            data,
            marker: false,
            ts_offset: 0,
        }
    }

    /// The payload's length in bytes, prefix included.
    pub fn len(&self) -> usize {
        self.prefix.len() + self.data.len()
    }

    /// Whether the payload has no bytes at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The whole payload in one buffer: `data` itself when there is no
    /// prefix, else a copy of both.
    pub fn to_bytes(&self) -> Bytes {
        if self.prefix.is_empty() {
            return self.data.clone();
        }
        let mut whole = Vec::with_capacity(self.len());
        whole.extend_from_slice(self.prefix.as_slice());
        whole.extend_from_slice(&self.data);
        Bytes::from(whole)
    }
}

/// The few header bytes a payload carries in front of its shared data.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct PayloadPrefix {
    bytes: [u8; PayloadPrefix::MAX],
    len: u8,
}

impl PayloadPrefix {
    /// The longest prefix: room for every fragmentation header we write.
    pub const MAX: usize = 4;

    /// No prefix.
    pub const EMPTY: PayloadPrefix = PayloadPrefix {
        bytes: [0; PayloadPrefix::MAX],
        len: 0,
    };

    /// A prefix of `bytes`.
    ///
    /// # Panics
    ///
    /// When `bytes` is longer than [`PayloadPrefix::MAX`]: prefixes are
    /// codec headers the packetizers build, never input.
    pub fn new(bytes: &[u8]) -> PayloadPrefix {
        let mut prefix = PayloadPrefix::EMPTY;
        prefix.bytes[..bytes.len()].copy_from_slice(bytes);
        prefix.len = bytes.len() as u8;
        prefix
    }

    /// The prefix's bytes.
    pub fn as_slice(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    /// Its length in bytes.
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// Whether it has no bytes.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}
