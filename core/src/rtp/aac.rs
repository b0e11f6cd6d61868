//! AAC over RTP, RFC 3640 `mode=AAC-hbr`: each packet starts with a 16-bit
//! AU-headers-length and one 16-bit AU header (13-bit AU size, 3-bit index).
//!
//! We send one access unit per packet (no interleaving). An AU larger than a
//! packet is fragmented (RFC 3640 section 3.2.3): every fragment repeats the
//! AU header with the size of the whole AU, and only the last has the marker.

use bytes::{BufMut, Bytes, BytesMut};

use super::depacketizer::{AccessUnit, DepacketizeError};
use super::header::RtpHeader;
use super::packetizer::{PacketizeError, SdpMedia, hex_upper};
use super::reassembly::{SeqStep, SeqTracker};
use super::{PayloadPrefix, RtpPayload};
use crate::media::TrackInfo;

/// AU-headers-length (in bits) + one AU header.
const HEADERS_LEN: usize = 4;
/// `sizelength=13`: the largest AU an AU header can describe.
const MAX_AU_SIZE: usize = (1 << 13) - 1;
/// Samples per AAC frame unless the AudioSpecificConfig says 960.
const DEFAULT_FRAME_LEN: u32 = 1024;

/// What the media layer's AudioSpecificConfig (ISO/IEC 14496-3 1.6.2.1)
/// tells RTP: sampling rate, channels, samples per frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct AudioSpecificConfig {
    sample_rate: u32,
    channels: u8,
    frame_len: u32,
}

/// Reads the fields of an AudioSpecificConfig we need; `None` if it is too
/// short or uses a reserved sampling frequency index.
fn parse_asc(asc: &[u8]) -> Option<AudioSpecificConfig> {
    const RATES: [u32; 13] = [
        96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
    ];
    let mut bits = BitReader { data: asc, pos: 0 };
    let mut object_type = bits.read(5)?;
    if object_type == 31 {
        object_type = 32 + bits.read(6)?;
    }
    let index = bits.read(4)?;
    let sample_rate = if index == 15 {
        bits.read(24)?
    } else {
        *RATES.get(index as usize)?
    };
    let channels = bits.read(4)? as u8;
    // GASpecificConfig starts with frameLengthFlag for AAC Main/LC/SSR/LTP.
    let frame_len = if (1..=4).contains(&object_type) && bits.read(1)? == 1 {
        960
    } else {
        DEFAULT_FRAME_LEN
    };
    Some(AudioSpecificConfig {
        sample_rate,
        channels,
        frame_len,
    })
}

/// Reads big-endian bit fields.
struct BitReader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl BitReader<'_> {
    fn read(&mut self, n: u32) -> Option<u32> {
        let mut v = 0;
        for _ in 0..n {
            let byte = self.data.get(self.pos / 8)?;
            v = (v << 1) | u32::from((byte >> (7 - self.pos % 8)) & 1);
            self.pos += 1;
        }
        Some(v)
    }
}

/// Packetizes raw AAC access units; use it through
/// [`Packetizer`](super::Packetizer).
#[derive(Clone, Debug)]
pub struct AacPacketizer {
    payload_type: u8,
    max_payload: usize,
    clock_rate: u32,
    channels: u8,
    config: Bytes,
}

impl AacPacketizer {
    /// Uses the track's clock rate and channel count, falling back on the
    /// AudioSpecificConfig for whichever is 0.
    pub(crate) fn new(
        track: &TrackInfo,
        payload_type: u8,
        max_payload: usize,
    ) -> Result<Self, PacketizeError> {
        let asc = parse_asc(&track.config);
        let clock_rate = [track.clock_rate, track.sample_rate]
            .into_iter()
            .chain(asc.map(|a| a.sample_rate))
            .find(|&r| r != 0)
            .ok_or(PacketizeError::UnsupportedTrack(
                "AAC track without a sample rate",
            ))?;
        let channels = [track.channels]
            .into_iter()
            .chain(asc.map(|a| a.channels))
            .find(|&c| c != 0)
            .unwrap_or(1);
        Ok(AacPacketizer {
            payload_type,
            max_payload,
            clock_rate,
            channels,
            config: track.config.clone(),
        })
    }

    pub(crate) fn payload_type(&self) -> u8 {
        self.payload_type
    }

    pub(crate) fn clock_rate(&self) -> u32 {
        self.clock_rate
    }

    pub(crate) fn packetize(
        &mut self,
        frame: &Bytes,
        out: &mut Vec<RtpPayload>,
    ) -> Result<(), PacketizeError> {
        if frame.len() > MAX_AU_SIZE {
            return Err(PacketizeError::FrameTooLarge {
                size: frame.len(),
                max: MAX_AU_SIZE,
            });
        }
        let room = self.max_payload - HEADERS_LEN;
        let count = frame.len().div_ceil(room);
        for (i, piece) in frame.chunks(room).enumerate() {
            let mut buf = BytesMut::with_capacity(HEADERS_LEN + piece.len());
            buf.put_u16(16); // AU-headers-length in bits: one 16-bit header
            buf.put_u16((frame.len() as u16) << 3); // AU-size, AU-Index 0
            buf.put_slice(piece);
            out.push(RtpPayload {
                prefix: PayloadPrefix::EMPTY,
                data: buf.freeze(),
                marker: i + 1 == count,
                ts_offset: 0,
            });
        }
        Ok(())
    }

    pub(crate) fn sdp_media(&self) -> Option<SdpMedia> {
        if self.config.is_empty() {
            return None;
        }
        Some(SdpMedia {
            media: "audio",
            payload_type: self.payload_type,
            rtpmap: format!("MPEG4-GENERIC/{}/{}", self.clock_rate, self.channels),
            fmtp: Some(format!(
                "streamtype=5;profile-level-id=1;mode=AAC-hbr;sizelength=13;indexlength=3;\
                 indexdeltalength=3;config={}",
                hex_upper(&self.config)
            )),
            extra: Vec::new(),
        })
    }
}

/// An AU being rebuilt from fragments.
#[derive(Clone, Debug)]
struct Fragmented {
    timestamp: u32,
    size: usize,
    data: Vec<u8>,
}

/// Rebuilds raw AAC access units from AAC-hbr packets (several AUs per
/// packet, or one AU in fragments); use it through
/// [`Depacketizer`](super::Depacketizer).
#[derive(Clone, Debug)]
pub struct AacDepacketizer {
    seq: SeqTracker,
    frame_len: u32,
    fragment: Option<Fragmented>,
    lost: bool,
}

impl AacDepacketizer {
    pub(crate) fn new(track: &TrackInfo) -> Self {
        AacDepacketizer {
            seq: SeqTracker::default(),
            frame_len: parse_asc(&track.config).map_or(DEFAULT_FRAME_LEN, |a| a.frame_len),
            fragment: None,
            lost: false,
        }
    }

    pub(crate) fn push(
        &mut self,
        header: &RtpHeader,
        payload: &Bytes,
        out: &mut Vec<AccessUnit>,
    ) -> Result<(), DepacketizeError> {
        match self.seq.step(header.sequence) {
            SeqStep::Stale => return Ok(()),
            SeqStep::Gap => {
                self.lost = true;
                // A fragment lost its middle or its end.
                self.fragment = None;
            }
            SeqStep::Next => {}
        }
        let result = self.read(header, payload, out);
        if result.is_err() {
            self.fragment = None;
            self.lost = true;
        }
        result
    }

    fn read(
        &mut self,
        header: &RtpHeader,
        payload: &Bytes,
        out: &mut Vec<AccessUnit>,
    ) -> Result<(), DepacketizeError> {
        let [l1, l0, rest @ ..] = &payload[..] else {
            return Err(DepacketizeError::Truncated("AU-headers-length"));
        };
        let header_bits = usize::from(u16::from_be_bytes([*l1, *l0]));
        if header_bits == 0 || header_bits % 16 != 0 {
            return Err(DepacketizeError::InvalidPayload(
                "AU headers are not 16-bit AAC-hbr headers",
            ));
        }
        let header_bytes = header_bits / 8;
        if rest.len() < header_bytes {
            return Err(DepacketizeError::Truncated("AU headers"));
        }
        let (au_headers, data) = rest.split_at(header_bytes);
        let size_at = |i: usize| {
            usize::from(u16::from_be_bytes([au_headers[2 * i], au_headers[2 * i + 1]]) >> 3)
        };
        let count = header_bytes / 2;
        let single = (count == 1).then(|| size_at(0));
        if let Some(f) = &self.fragment {
            if single != Some(f.size) || f.timestamp != header.timestamp {
                // The pending AU never got its last fragment.
                self.fragment = None;
                self.lost = true;
            }
        }
        if let Some(size) = single {
            if size > data.len() || self.fragment.is_some() {
                return self.read_fragment(header, size, data, out);
            }
        }
        let total: usize = (0..count).map(size_at).sum();
        if total > data.len() {
            return Err(DepacketizeError::Truncated("AU data"));
        }
        let mut offset = payload.len() - data.len();
        for i in 0..count {
            let end = offset + size_at(i);
            if end > offset {
                out.push(AccessUnit {
                    rtp_timestamp: header.timestamp.wrapping_add(i as u32 * self.frame_len),
                    data: payload.slice(offset..end),
                    keyframe: true,
                    after_loss: std::mem::take(&mut self.lost),
                });
            }
            offset = end;
        }
        Ok(())
    }

    /// One fragment of an AU larger than a packet.
    fn read_fragment(
        &mut self,
        header: &RtpHeader,
        size: usize,
        data: &[u8],
        out: &mut Vec<AccessUnit>,
    ) -> Result<(), DepacketizeError> {
        let fragment = self.fragment.get_or_insert_with(|| Fragmented {
            timestamp: header.timestamp,
            size,
            data: Vec::with_capacity(size),
        });
        if fragment.data.len() + data.len() > fragment.size {
            return Err(DepacketizeError::InvalidPayload(
                "AU fragments exceed the AU size",
            ));
        }
        fragment.data.extend_from_slice(data);
        if !header.marker {
            return Ok(());
        }
        let Some(done) = self.fragment.take() else {
            return Ok(());
        };
        if done.data.len() != done.size {
            // The first fragment was lost without a sequence gap showing it
            // (e.g. it was the first packet we received).
            self.lost = true;
            return Ok(());
        }
        out.push(AccessUnit {
            rtp_timestamp: done.timestamp,
            data: Bytes::from(done.data),
            keyframe: true,
            after_loss: std::mem::take(&mut self.lost),
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::{AudioCodec, Codec};
    use crate::rtp::depacketizer::test_util::round_trip;
    use crate::rtp::{Depacketizer, Packetizer};

    /// AAC-LC, 48 kHz, stereo.
    const ASC: &[u8] = &[0x11, 0x90];

    fn track(config: &'static [u8], sample_rate: u32, channels: u8) -> TrackInfo {
        TrackInfo {
            codec: Codec::Audio(AudioCodec::Aac),
            clock_rate: sample_rate,
            sample_rate,
            channels,
            width: 0,
            height: 0,
            config: Bytes::from_static(config),
        }
    }

    fn au(len: usize) -> Bytes {
        Bytes::from((0..len).map(|i| (i % 251) as u8).collect::<Vec<_>>())
    }

    #[test]
    fn parses_audio_specific_config() {
        assert_eq!(
            parse_asc(ASC),
            Some(AudioSpecificConfig {
                sample_rate: 48000,
                channels: 2,
                frame_len: 1024
            })
        );
        // 44.1 kHz mono, frameLengthFlag set.
        assert_eq!(parse_asc(&[0x12, 0x0c]).map(|a| a.frame_len), Some(960));
        assert_eq!(parse_asc(&[0x17]), None);
        assert_eq!(
            parse_asc(&[0x17, 0x10]),
            None,
            "reserved frequency index 14"
        );
    }

    #[test]
    fn sdp_needs_the_config() {
        let p = Packetizer::new(&track(&[], 48000, 2), 97, 1388).unwrap();
        assert_eq!(p.sdp_media(), None);
        let p = Packetizer::new(&track(ASC, 48000, 2), 97, 1388).unwrap();
        let sdp = p.sdp_media().unwrap();
        assert_eq!((sdp.media, sdp.payload_type), ("audio", 97));
        assert_eq!(sdp.rtpmap, "MPEG4-GENERIC/48000/2");
        assert_eq!(
            sdp.fmtp.as_deref(),
            Some(
                "streamtype=5;profile-level-id=1;mode=AAC-hbr;sizelength=13;indexlength=3;\
                 indexdeltalength=3;config=1190"
            )
        );
        assert_eq!(p.clock_rate(), 48000);
    }

    #[test]
    fn rate_and_channels_fall_back_to_the_config() {
        let p = Packetizer::new(&track(ASC, 0, 0), 97, 1388).unwrap();
        assert_eq!(p.clock_rate(), 48000);
        assert_eq!(p.sdp_media().unwrap().rtpmap, "MPEG4-GENERIC/48000/2");
        assert!(matches!(
            Packetizer::new(&track(&[], 0, 0), 97, 1388),
            Err(PacketizeError::UnsupportedTrack(_))
        ));
    }

    #[test]
    fn one_au_per_packet_with_header() {
        let mut p = Packetizer::new(&track(ASC, 48000, 2), 97, 1388).unwrap();
        let mut out = Vec::new();
        p.packetize(&au(371), &mut out).unwrap();
        assert_eq!(out.len(), 1);
        // 371 << 3 = 0x0b98
        assert_eq!(out[0].data[..4], [0x00, 0x10, 0x0b, 0x98]);
        assert_eq!(out[0].data[4..], au(371)[..]);
        assert!(out[0].marker);
    }

    #[test]
    fn large_au_is_fragmented_with_full_size_headers() {
        let mut p = Packetizer::new(&track(ASC, 48000, 2), 97, 1000).unwrap();
        let mut out = Vec::new();
        p.packetize(&au(2500), &mut out).unwrap();
        assert_eq!(out.len(), 3);
        for (i, f) in out.iter().enumerate() {
            assert_eq!(
                f.data[..4],
                [0x00, 0x10, (2500u16 << 3 >> 8) as u8, (2500u16 << 3) as u8]
            );
            assert!(f.data.len() <= 1000);
            assert_eq!(f.marker, i == 2);
            assert_eq!(f.ts_offset, 0);
        }
        assert!(matches!(
            p.packetize(&au(8192), &mut out),
            Err(PacketizeError::FrameTooLarge {
                size: 8192,
                max: 8191
            })
        ));
    }

    #[test]
    fn round_trips_small_and_fragmented_aus() {
        let frames = [au(300), au(5000), au(1), au(996), au(997)];
        let (_, units) = round_trip(&track(ASC, 48000, 2), 1000, &frames);
        assert_eq!(units.len(), frames.len());
        for (i, (u, f)) in units.iter().zip(&frames).enumerate() {
            assert_eq!(&u.data, f, "AU {i}");
            assert_eq!(u.rtp_timestamp, i as u32 * 3000);
            assert!(u.keyframe && !u.after_loss);
        }
    }

    fn header(seq: u16, ts: u32, marker: bool) -> RtpHeader {
        RtpHeader {
            payload_type: 97,
            marker,
            sequence: seq,
            timestamp: ts,
            ssrc: 3,
        }
    }

    #[test]
    fn splits_packets_with_several_aus() {
        let mut d = Depacketizer::new(&track(ASC, 48000, 2)).unwrap();
        let payload = Bytes::from_static(&[0x00, 0x20, 0x00, 0x10, 0x00, 0x18, 1, 1, 2, 2, 2]);
        let mut out = Vec::new();
        d.push(&header(1, 1000, true), &payload, &mut out).unwrap();
        assert_eq!(out.len(), 2);
        assert_eq!(
            (out[0].rtp_timestamp, &out[0].data[..]),
            (1000, &[1, 1][..])
        );
        assert_eq!(
            (out[1].rtp_timestamp, &out[1].data[..]),
            (2024, &[2, 2, 2][..])
        );
    }

    #[test]
    fn lost_fragment_drops_the_au() {
        let mut p = Packetizer::new(&track(ASC, 48000, 2), 97, 1000).unwrap();
        let mut d = Depacketizer::new(&track(ASC, 48000, 2)).unwrap();
        let mut payloads = Vec::new();
        p.packetize(&au(2500), &mut payloads).unwrap();
        let mut out = Vec::new();
        d.push(&header(1, 0, false), &payloads[0].data, &mut out)
            .unwrap();
        d.push(&header(3, 0, true), &payloads[2].data, &mut out)
            .unwrap();
        assert!(out.is_empty());
        payloads.clear();
        p.packetize(&au(10), &mut payloads).unwrap();
        d.push(&header(4, 1024, true), &payloads[0].data, &mut out)
            .unwrap();
        assert_eq!(out.len(), 1);
        assert!(out[0].after_loss);
    }

    #[test]
    fn rejects_malformed_payloads() {
        let mut d = Depacketizer::new(&track(ASC, 48000, 2)).unwrap();
        let mut out = Vec::new();
        for (i, bad) in [
            &[0x00][..],
            &[0x00, 0x00],
            &[0x00, 0x0d, 0, 0],
            &[0x00, 0x20, 0x00, 0x10],
            &[0x00, 0x20, 0x00, 0x10, 0x00, 0x18, 1, 1, 2],
        ]
        .iter()
        .enumerate()
        {
            let h = header(i as u16, i as u32 * 1024, true);
            assert!(
                d.push(&h, &Bytes::copy_from_slice(bad), &mut out).is_err(),
                "{bad:?}"
            );
        }
    }
}
