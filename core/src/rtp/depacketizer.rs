//! The codec-independent face of the depacketizers: RTP packets in, whole
//! access units out. Used by the core's RTSP client machine (proxying,
//! backchannel) and by tests and simulations.
//!
//! Depacketizers expect packets in sequence order (a jitter buffer, if any,
//! sits in front). A sequence gap drops the access unit it broke; the next
//! unit delivered says so with [`AccessUnit::after_loss`].

use std::fmt;

use bytes::Bytes;

use super::aac::AacDepacketizer;
use super::audio::AudioDepacketizer;
use super::h264::H264Depacketizer;
use super::h265::H265Depacketizer;
use super::header::RtpHeader;
use super::jpeg::JpegDepacketizer;
use super::mpeg4::Mpeg4Depacketizer;
use crate::media::{AudioCodec, Codec, TrackInfo, VideoCodec};

/// One access unit rebuilt from RTP packets, in the same form the media
/// layer hands to the packetizers (see [`Frame::data`](crate::media::Frame)).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessUnit {
    /// RTP timestamp of the unit (for AAC packets carrying several AUs, the
    /// packet's timestamp advanced by one frame length per AU).
    pub rtp_timestamp: u32,
    /// Annex B with 4-byte start codes for H.264/H.265, a complete JPEG
    /// image, MPEG-4 visual bytes, one raw AAC AU, or audio code words
    /// (G.726 in the big-endian packing of the media layer).
    pub data: Bytes,
    /// `true` when a decoder can start here (an IDR/IRAP picture, every JPEG
    /// image, every audio frame; MPEG-4 when the unit holds an I-VOP).
    pub keyframe: bool,
    /// `true` when packets were lost, or units dropped, since the previous
    /// unit delivered: a video decoder should wait for a keyframe.
    pub after_loss: bool,
}

/// Why a packet could not be depacketized. The depacketizer drops the unit
/// the packet belonged to and stays usable.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DepacketizeError {
    /// The packet is not RTP version 2, or is truncated.
    InvalidRtpPacket,
    /// The payload is shorter than its payload header.
    Truncated(&'static str),
    /// The payload uses a packet type this depacketizer does not handle
    /// (e.g. H.264 STAP-B/MTAP/FU-B, which need interleaved mode).
    UnsupportedPacketType(u8),
    /// The payload contradicts itself or the packets before it.
    InvalidPayload(&'static str),
    /// The access unit grew past the size limit without ending.
    UnitTooLarge,
    /// The track cannot be depacketized as described.
    UnsupportedTrack(&'static str),
}

impl fmt::Display for DepacketizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DepacketizeError::InvalidRtpPacket => f.write_str("not a valid RTP packet"),
            DepacketizeError::Truncated(what) => write!(f, "truncated payload: {what}"),
            DepacketizeError::UnsupportedPacketType(t) => {
                write!(f, "unsupported payload packet type {t}")
            }
            DepacketizeError::InvalidPayload(why) => write!(f, "invalid payload: {why}"),
            DepacketizeError::UnitTooLarge => f.write_str("access unit exceeds the size limit"),
            DepacketizeError::UnsupportedTrack(why) => write!(f, "unsupported track: {why}"),
        }
    }
}

impl std::error::Error for DepacketizeError {}

/// Rebuilds access units from the RTP packets of one stream: one variant
/// per payload format.
#[derive(Clone, Debug)]
pub enum Depacketizer {
    /// H.264, RFC 6184 (single NAL unit, STAP-A, FU-A).
    H264(H264Depacketizer),
    /// H.265, RFC 7798 (single NAL unit, AP, FU; no DONL).
    H265(H265Depacketizer),
    /// JPEG, RFC 2435.
    Jpeg(JpegDepacketizer),
    /// MPEG-4 Part 2 visual, RFC 3016.
    Mpeg4(Mpeg4Depacketizer),
    /// AAC, RFC 3640 AAC-hbr.
    Aac(AacDepacketizer),
    /// G.711, G.722, G.726 and Opus: one packet is one frame.
    Audio(AudioDepacketizer),
}

impl Depacketizer {
    /// Builds the depacketizer for a track (only `codec`, and for AAC
    /// `config`, are used).
    pub fn new(track: &TrackInfo) -> Result<Depacketizer, DepacketizeError> {
        Ok(match track.codec {
            Codec::Video(VideoCodec::H264) => Depacketizer::H264(H264Depacketizer::new()),
            Codec::Video(VideoCodec::H265) => Depacketizer::H265(H265Depacketizer::new()),
            Codec::Video(VideoCodec::Jpeg) => Depacketizer::Jpeg(JpegDepacketizer::new()),
            Codec::Video(VideoCodec::Mpeg4) => Depacketizer::Mpeg4(Mpeg4Depacketizer::new()),
            Codec::Audio(AudioCodec::Aac) => Depacketizer::Aac(AacDepacketizer::new(track)),
            Codec::Audio(codec) => Depacketizer::Audio(AudioDepacketizer::new(codec)?),
        })
    }

    /// Feeds one packet, given its parsed header and its payload (padding
    /// removed, as [`RtpHeader::parse`] delimits it). Completed access
    /// units are appended to `out`.
    pub fn push(
        &mut self,
        header: &RtpHeader,
        payload: &Bytes,
        out: &mut Vec<AccessUnit>,
    ) -> Result<(), DepacketizeError> {
        match self {
            Depacketizer::H264(d) => d.push(header, payload, out),
            Depacketizer::H265(d) => d.push(header, payload, out),
            Depacketizer::Jpeg(d) => d.push(header, payload, out),
            Depacketizer::Mpeg4(d) => d.push(header, payload, out),
            Depacketizer::Aac(d) => d.push(header, payload, out),
            Depacketizer::Audio(d) => d.push(header, payload, out),
        }
    }

    /// Parses a whole RTP packet and feeds it like [`Depacketizer::push`].
    pub fn push_packet(
        &mut self,
        packet: &Bytes,
        out: &mut Vec<AccessUnit>,
    ) -> Result<(), DepacketizeError> {
        let (header, range) = RtpHeader::parse(packet).ok_or(DepacketizeError::InvalidRtpPacket)?;
        self.push(&header, &packet.slice(range), out)
    }
}

/// Shared by the codec tests: packetize frames, wrap the payloads in RTP
/// headers, and depacketize them again.
#[cfg(test)]
pub(crate) mod test_util {
    use super::*;
    use crate::rtp::{Packetizer, RtpPayload};

    /// Packets (header + payload) for payloads of consecutive frames.
    pub(crate) fn to_packets(
        payloads: &[RtpPayload],
        payload_type: u8,
        first_seq: u16,
        timestamp: u32,
    ) -> Vec<Bytes> {
        payloads
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let header = RtpHeader {
                    payload_type,
                    marker: p.marker,
                    sequence: first_seq.wrapping_add(i as u16),
                    timestamp: timestamp.wrapping_add(p.ts_offset),
                    ssrc: 0x1234,
                };
                let mut packet = header.to_bytes().to_vec();
                packet.extend_from_slice(&p.to_bytes());
                Bytes::from(packet)
            })
            .collect()
    }

    /// Packetizes each frame (at timestamps 0, 3000, 6000, ...) and feeds
    /// every packet to a fresh depacketizer; returns the payloads and the
    /// units.
    pub(crate) fn round_trip(
        track: &TrackInfo,
        max_payload: usize,
        frames: &[Bytes],
    ) -> (Vec<Vec<RtpPayload>>, Vec<AccessUnit>) {
        let mut packetizer = Packetizer::new(track, 96, max_payload).unwrap();
        let mut depacketizer = Depacketizer::new(track).unwrap();
        let mut all_payloads = Vec::new();
        let mut units = Vec::new();
        let mut seq = 65530u16; // exercise wrap-around
        for (i, frame) in frames.iter().enumerate() {
            let mut payloads = Vec::new();
            packetizer.packetize(frame, &mut payloads).unwrap();
            for p in &payloads {
                assert!(p.len() <= max_payload, "payload over max_payload");
            }
            let ts = (i as u32) * 3000;
            let pt = packetizer.payload_type();
            for packet in to_packets(&payloads, pt, seq, ts) {
                depacketizer.push_packet(&packet, &mut units).unwrap();
            }
            seq = seq.wrapping_add(payloads.len() as u16);
            all_payloads.push(payloads);
        }
        (all_payloads, units)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_non_rtp() {
        let track = TrackInfo {
            codec: Codec::Audio(AudioCodec::Pcmu),
            clock_rate: 8000,
            sample_rate: 8000,
            channels: 1,
            width: 0,
            height: 0,
            config: Bytes::new(),
        };
        let mut d = Depacketizer::new(&track).unwrap();
        let mut out = Vec::new();
        assert_eq!(
            d.push_packet(&Bytes::from_static(&[0x40; 20]), &mut out),
            Err(DepacketizeError::InvalidRtpPacket)
        );
        assert_eq!(
            d.push_packet(&Bytes::from_static(&[0x80; 5]), &mut out),
            Err(DepacketizeError::InvalidRtpPacket)
        );
    }

    #[test]
    fn garbage_never_panics() {
        let codecs = [
            Codec::Video(VideoCodec::H264),
            Codec::Video(VideoCodec::H265),
            Codec::Video(VideoCodec::Jpeg),
            Codec::Video(VideoCodec::Mpeg4),
            Codec::Audio(AudioCodec::Aac),
            Codec::Audio(AudioCodec::Pcma),
            Codec::Audio(AudioCodec::G726 { kbps: 40 }),
            Codec::Audio(AudioCodec::Opus),
        ];
        let mut seed = 99u32;
        for codec in codecs {
            let track = TrackInfo {
                codec,
                clock_rate: 90_000,
                sample_rate: 8000,
                channels: 1,
                width: 0,
                height: 0,
                config: Bytes::from_static(&[0x12, 0x10]),
            };
            let mut d = Depacketizer::new(&track).unwrap();
            let mut out = Vec::new();
            for n in 0..400u16 {
                let len = usize::from(n % 97);
                let mut payload = Vec::with_capacity(len);
                for _ in 0..len {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    payload.push((seed >> 16) as u8);
                }
                let header = RtpHeader {
                    payload_type: 96,
                    marker: n % 3 == 0,
                    sequence: n,
                    timestamp: u32::from(n / 4),
                    ssrc: 7,
                };
                let _ = d.push(&header, &Bytes::from(payload), &mut out);
            }
        }
    }
}
