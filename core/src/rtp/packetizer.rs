//! The codec-independent face of the packetizers: [`Packetizer`] picks the
//! codec module from a [`TrackInfo`], and [`SdpMedia`] is what a packetizer
//! says about itself in SDP.

use std::fmt;

use bytes::Bytes;

use super::RtpPayload;
use super::aac::AacPacketizer;
use super::audio::{G711Packetizer, G722Packetizer, OpusPacketizer};
use super::g726::G726Packetizer;
use super::h264::H264Packetizer;
use super::h265::H265Packetizer;
use super::jpeg::JpegPacketizer;
use super::mpeg4::Mpeg4Packetizer;
use crate::media::{AudioCodec, Codec, TrackInfo, VideoCodec};

/// The smallest `max_payload` a packetizer accepts. Below this the per-packet
/// headers (FU, AU header, JPEG header) would dominate the packet; a real
/// path MTU is never this small.
pub const MIN_MAX_PAYLOAD: usize = 64;

/// The largest `max_payload` a packetizer accepts: an RTP packet must fit the
/// 16-bit length of RTSP interleaved framing (RFC 2326 section 10.12).
pub const MAX_MAX_PAYLOAD: usize = 65535 - super::header::RTP_HEADER_LEN;

/// What one RTP stream says about itself in SDP: the `m=` media type, the
/// payload type, and the `a=rtpmap` / `a=fmtp` attribute values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SdpMedia {
    /// `"video"` or `"audio"`.
    pub media: &'static str,
    /// The RTP payload type (static or dynamic).
    pub payload_type: u8,
    /// Text after `a=rtpmap:PT `, e.g. `H264/90000` or `MPEG4-GENERIC/48000/2`.
    pub rtpmap: String,
    /// Text after `a=fmtp:PT `, when the codec has format parameters.
    pub fmtp: Option<String>,
    /// Other attribute lines without the leading `a=`.
    pub extra: Vec<String>,
}

impl SdpMedia {
    /// Appends the `a=rtpmap`, `a=fmtp` and extra attribute lines, each
    /// ending in CRLF, to an SDP being written.
    pub fn write_attributes(&self, sdp: &mut String) {
        use fmt::Write as _;
        // Writing into a String cannot fail.
        let _ = write!(sdp, "a=rtpmap:{} {}\r\n", self.payload_type, self.rtpmap);
        if let Some(fmtp) = &self.fmtp {
            let _ = write!(sdp, "a=fmtp:{} {}\r\n", self.payload_type, fmtp);
        }
        for line in &self.extra {
            let _ = write!(sdp, "a={line}\r\n");
        }
    }
}

/// Why a track or a frame could not be packetized. Malformed input is an
/// error, never a panic; the packetizer stays usable for the next frame.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PacketizeError {
    /// The frame has no bytes (or, for H.264/H.265, no NAL units).
    EmptyFrame,
    /// An H.264/H.265 frame does not start with an Annex B start code.
    MissingStartCode,
    /// A NAL unit is shorter than its own header.
    InvalidNalUnit {
        /// Byte offset of the NAL unit in the frame.
        offset: usize,
    },
    /// The frame (or one AU/packet of it) is larger than the payload format allows.
    FrameTooLarge {
        /// Size of the offending unit in bytes.
        size: usize,
        /// The largest size allowed.
        max: usize,
    },
    /// `max_payload` is too small for this codec's per-packet headers.
    MaxPayloadTooSmall {
        /// The configured `max_payload`.
        max_payload: usize,
        /// The smallest value that would work.
        needed: usize,
    },
    /// `max_payload` is larger than an RTP packet can be ([`MAX_MAX_PAYLOAD`]).
    MaxPayloadTooLarge {
        /// The configured `max_payload`.
        max_payload: usize,
    },
    /// The dynamic payload type is not a 7-bit value.
    InvalidPayloadType(u8),
    /// The track cannot be sent as described (e.g. G.726 at 64 kbit/s).
    UnsupportedTrack(&'static str),
    /// An audio frame is not a whole number of samples (or sample groups).
    MisalignedAudio {
        /// Frame length in bytes.
        len: usize,
        /// The size of one sample (all channels) or code-word group.
        unit: usize,
    },
    /// The JPEG image is malformed or truncated.
    InvalidJpeg {
        /// Byte offset where parsing failed.
        offset: usize,
        /// What was wrong.
        reason: &'static str,
    },
    /// The JPEG image is well formed but RFC 2435 cannot carry it
    /// (progressive, 12-bit, grayscale, unusual sampling, custom Huffman
    /// tables, larger than 2040 pixels).
    UnsupportedJpeg(&'static str),
}

impl fmt::Display for PacketizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PacketizeError::EmptyFrame => f.write_str("empty frame"),
            PacketizeError::MissingStartCode => {
                f.write_str("frame does not start with an Annex B start code")
            }
            PacketizeError::InvalidNalUnit { offset } => {
                write!(f, "NAL unit at byte {offset} is shorter than its header")
            }
            PacketizeError::FrameTooLarge { size, max } => {
                write!(f, "unit of {size} bytes exceeds the limit of {max}")
            }
            PacketizeError::MaxPayloadTooSmall {
                max_payload,
                needed,
            } => write!(f, "max_payload {max_payload} is too small, need {needed}"),
            PacketizeError::MaxPayloadTooLarge { max_payload } => {
                write!(
                    f,
                    "max_payload {max_payload} exceeds the RTP limit {MAX_MAX_PAYLOAD}"
                )
            }
            PacketizeError::InvalidPayloadType(pt) => write!(f, "invalid payload type {pt}"),
            PacketizeError::UnsupportedTrack(why) => write!(f, "unsupported track: {why}"),
            PacketizeError::MisalignedAudio { len, unit } => {
                write!(
                    f,
                    "audio frame of {len} bytes is not a multiple of {unit} bytes"
                )
            }
            PacketizeError::InvalidJpeg { offset, reason } => {
                write!(f, "invalid JPEG at byte {offset}: {reason}")
            }
            PacketizeError::UnsupportedJpeg(why) => {
                write!(f, "JPEG not supported by RFC 2435: {why}")
            }
        }
    }
}

impl std::error::Error for PacketizeError {}

/// Cuts the frames of one track into RTP payloads: one variant per codec.
///
/// Built once per stream with [`Packetizer::new`]; [`Packetizer::packetize`]
/// is then called for every frame, in decode order.
#[derive(Clone, Debug)]
pub enum Packetizer {
    /// H.264, RFC 6184.
    H264(H264Packetizer),
    /// H.265, RFC 7798.
    H265(H265Packetizer),
    /// JPEG, RFC 2435.
    Jpeg(JpegPacketizer),
    /// MPEG-4 Part 2 visual, RFC 3016.
    Mpeg4(Mpeg4Packetizer),
    /// AAC, RFC 3640 AAC-hbr.
    Aac(AacPacketizer),
    /// G.711 mu-law or A-law, RFC 3551.
    G711(G711Packetizer),
    /// G.722, RFC 3551.
    G722(G722Packetizer),
    /// G.726, RFC 3551.
    G726(G726Packetizer),
    /// Opus, RFC 7587.
    Opus(OpusPacketizer),
}

impl Packetizer {
    /// Builds the packetizer for a track.
    ///
    /// `dynamic_pt` is the payload type to use when the codec has no static one
    /// (96, 97, ...). `max_payload` is the largest payload to emit (the server
    /// uses 1400 - 12).
    pub fn new(
        track: &TrackInfo,
        dynamic_pt: u8,
        max_payload: usize,
    ) -> Result<Packetizer, PacketizeError> {
        if dynamic_pt > 127 {
            return Err(PacketizeError::InvalidPayloadType(dynamic_pt));
        }
        if max_payload < MIN_MAX_PAYLOAD {
            return Err(PacketizeError::MaxPayloadTooSmall {
                max_payload,
                needed: MIN_MAX_PAYLOAD,
            });
        }
        if max_payload > MAX_MAX_PAYLOAD {
            return Err(PacketizeError::MaxPayloadTooLarge { max_payload });
        }
        Ok(match track.codec {
            Codec::Video(VideoCodec::H264) => {
                Packetizer::H264(H264Packetizer::new(track, dynamic_pt, max_payload))
            }
            Codec::Video(VideoCodec::H265) => {
                Packetizer::H265(H265Packetizer::new(track, dynamic_pt, max_payload))
            }
            Codec::Video(VideoCodec::Jpeg) => Packetizer::Jpeg(JpegPacketizer::new(max_payload)),
            Codec::Video(VideoCodec::Mpeg4) => {
                Packetizer::Mpeg4(Mpeg4Packetizer::new(track, dynamic_pt, max_payload))
            }
            Codec::Audio(AudioCodec::Aac) => {
                Packetizer::Aac(AacPacketizer::new(track, dynamic_pt, max_payload)?)
            }
            Codec::Audio(AudioCodec::Pcmu) => {
                Packetizer::G711(G711Packetizer::mu_law(track, dynamic_pt, max_payload)?)
            }
            Codec::Audio(AudioCodec::Pcma) => {
                Packetizer::G711(G711Packetizer::a_law(track, dynamic_pt, max_payload)?)
            }
            Codec::Audio(AudioCodec::G722) => {
                Packetizer::G722(G722Packetizer::new(track, dynamic_pt, max_payload)?)
            }
            Codec::Audio(AudioCodec::G726 { kbps }) => {
                Packetizer::G726(G726Packetizer::new(track, kbps, dynamic_pt, max_payload)?)
            }
            Codec::Audio(AudioCodec::Opus) => {
                Packetizer::Opus(OpusPacketizer::new(track, dynamic_pt, max_payload))
            }
        })
    }

    /// The RTP payload type of this stream.
    pub fn payload_type(&self) -> u8 {
        match self {
            Packetizer::H264(p) => p.payload_type(),
            Packetizer::H265(p) => p.payload_type(),
            Packetizer::Jpeg(p) => p.payload_type(),
            Packetizer::Mpeg4(p) => p.payload_type(),
            Packetizer::Aac(p) => p.payload_type(),
            Packetizer::G711(p) => p.payload_type(),
            Packetizer::G722(p) => p.payload_type(),
            Packetizer::G726(p) => p.payload_type(),
            Packetizer::Opus(p) => p.payload_type(),
        }
    }

    /// The RTP clock rate of this stream in Hz.
    pub fn clock_rate(&self) -> u32 {
        match self {
            Packetizer::H264(_)
            | Packetizer::H265(_)
            | Packetizer::Jpeg(_)
            | Packetizer::Mpeg4(_) => 90_000,
            Packetizer::Aac(p) => p.clock_rate(),
            Packetizer::G711(p) => p.clock_rate(),
            Packetizer::G722(p) => p.clock_rate(),
            Packetizer::G726(p) => p.clock_rate(),
            Packetizer::Opus(p) => p.clock_rate(),
        }
    }

    /// Cuts one frame into payloads appended to `out` (does not clear it).
    ///
    /// Payloads are `Bytes::slice`s of the frame where the bytes can be used
    /// as they are (single NAL units, MPEG-4 fragments, G.711/G.722/Opus), and
    /// new buffers only where a header must be prepended (FU-A, aggregation
    /// packets, AAC AU headers, JPEG headers) or the bits repacked (G.726).
    /// On error nothing is appended.
    pub fn packetize(
        &mut self,
        frame: &Bytes,
        out: &mut Vec<RtpPayload>,
    ) -> Result<(), PacketizeError> {
        if frame.is_empty() {
            return Err(PacketizeError::EmptyFrame);
        }
        let start = out.len();
        let result = match self {
            Packetizer::H264(p) => p.packetize(frame, out),
            Packetizer::H265(p) => p.packetize(frame, out),
            Packetizer::Jpeg(p) => p.packetize(frame, out),
            Packetizer::Mpeg4(p) => p.packetize(frame, out),
            Packetizer::Aac(p) => p.packetize(frame, out),
            Packetizer::G711(p) => p.packetize(frame, out),
            Packetizer::G722(p) => p.packetize(frame, out),
            Packetizer::G726(p) => p.packetize(frame, out),
            Packetizer::Opus(p) => p.packetize(frame, out),
        };
        if result.is_err() {
            out.truncate(start);
        }
        result
    }

    /// The SDP attributes of this stream; `None` while required parameters
    /// are still unknown (H.264 until an SPS and a PPS have been seen, H.265
    /// until a VPS, SPS and PPS, MPEG-4 until its configuration headers, AAC
    /// without an AudioSpecificConfig).
    pub fn sdp_media(&self) -> Option<SdpMedia> {
        match self {
            Packetizer::H264(p) => p.sdp_media(),
            Packetizer::H265(p) => p.sdp_media(),
            Packetizer::Jpeg(p) => Some(p.sdp_media()),
            Packetizer::Mpeg4(p) => p.sdp_media(),
            Packetizer::Aac(p) => p.sdp_media(),
            Packetizer::G711(p) => Some(p.sdp_media()),
            Packetizer::G722(p) => Some(p.sdp_media()),
            Packetizer::G726(p) => Some(p.sdp_media()),
            Packetizer::Opus(p) => Some(p.sdp_media()),
        }
    }
}

/// Formats bytes as upper-case hexadecimal, as the RFC 3016 and RFC 3640
/// examples write `config=`.
pub(crate) fn hex_upper(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    s
}

/// Marks the last payload appended since `start` as the end of an access unit.
pub(crate) fn mark_last(out: &mut [RtpPayload], start: usize) {
    if out.len() > start {
        if let Some(last) = out.last_mut() {
            last.marker = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn video(codec: VideoCodec) -> TrackInfo {
        TrackInfo {
            codec: Codec::Video(codec),
            clock_rate: 90_000,
            sample_rate: 0,
            channels: 0,
            width: 0,
            height: 0,
            config: Bytes::new(),
        }
    }

    #[test]
    fn rejects_bad_construction_parameters() {
        let t = video(VideoCodec::H264);
        assert_eq!(
            Packetizer::new(&t, 128, 1388).unwrap_err(),
            PacketizeError::InvalidPayloadType(128)
        );
        assert!(matches!(
            Packetizer::new(&t, 96, 10),
            Err(PacketizeError::MaxPayloadTooSmall { .. })
        ));
        assert!(matches!(
            Packetizer::new(&t, 96, 70_000),
            Err(PacketizeError::MaxPayloadTooLarge { .. })
        ));
    }

    #[test]
    fn empty_frame_is_an_error_for_every_codec() {
        let codecs = [
            Codec::Video(VideoCodec::H264),
            Codec::Video(VideoCodec::H265),
            Codec::Video(VideoCodec::Jpeg),
            Codec::Video(VideoCodec::Mpeg4),
            Codec::Audio(AudioCodec::Aac),
            Codec::Audio(AudioCodec::Pcmu),
            Codec::Audio(AudioCodec::Pcma),
            Codec::Audio(AudioCodec::G722),
            Codec::Audio(AudioCodec::G726 { kbps: 32 }),
            Codec::Audio(AudioCodec::Opus),
        ];
        for codec in codecs {
            let track = TrackInfo {
                codec,
                clock_rate: if codec.is_video() { 90_000 } else { 8000 },
                sample_rate: if codec.is_video() { 0 } else { 8000 },
                channels: if codec.is_video() { 0 } else { 1 },
                width: 0,
                height: 0,
                config: Bytes::new(),
            };
            let mut p = Packetizer::new(&track, 96, 1388).unwrap();
            let mut out = Vec::new();
            assert_eq!(
                p.packetize(&Bytes::new(), &mut out),
                Err(PacketizeError::EmptyFrame),
                "{codec:?}"
            );
            assert!(out.is_empty());
        }
    }

    #[test]
    fn garbage_never_panics() {
        // A deterministic byte soup fed to every codec at several sizes: any
        // result is fine as long as nothing panics and payloads stay in bounds.
        let mut seed = 0x1234_5678u32;
        let mut soup = Vec::new();
        for _ in 0..4096 {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            soup.push((seed >> 16) as u8);
        }
        let codecs = [
            Codec::Video(VideoCodec::H264),
            Codec::Video(VideoCodec::H265),
            Codec::Video(VideoCodec::Jpeg),
            Codec::Video(VideoCodec::Mpeg4),
            Codec::Audio(AudioCodec::Aac),
            Codec::Audio(AudioCodec::Pcmu),
            Codec::Audio(AudioCodec::G722),
            Codec::Audio(AudioCodec::G726 { kbps: 24 }),
            Codec::Audio(AudioCodec::Opus),
        ];
        for codec in codecs {
            let track = TrackInfo {
                codec,
                clock_rate: if codec.is_video() { 90_000 } else { 8000 },
                sample_rate: if codec.is_video() { 0 } else { 8000 },
                channels: if codec.is_video() { 0 } else { 1 },
                width: 0,
                height: 0,
                config: Bytes::from_static(&[0x12, 0x10]),
            };
            let mut p = Packetizer::new(&track, 96, 100).unwrap();
            for len in [1, 2, 3, 5, 17, 100, 1000, 4096] {
                for prefix in [&[][..], &[0, 0, 1], &[0xff, 0xd8]] {
                    let mut data = prefix.to_vec();
                    data.extend_from_slice(&soup[..len]);
                    let mut out = Vec::new();
                    let _ = p.packetize(&Bytes::from(data), &mut out);
                    assert!(out.iter().all(|p| p.len() <= 100), "{codec:?}");
                }
            }
        }
    }

    #[test]
    fn writes_sdp_attribute_lines() {
        let m = SdpMedia {
            media: "audio",
            payload_type: 97,
            rtpmap: "opus/48000/2".into(),
            fmtp: Some("sprop-stereo=1".into()),
            extra: vec!["ptime:20".into()],
        };
        let mut s = String::new();
        m.write_attributes(&mut s);
        assert_eq!(
            s,
            "a=rtpmap:97 opus/48000/2\r\na=fmtp:97 sprop-stereo=1\r\na=ptime:20\r\n"
        );
    }

    #[test]
    fn hex_is_upper_case() {
        assert_eq!(hex_upper(&[0x00, 0x01, 0xb0, 0xff]), "0001B0FF");
    }
}
