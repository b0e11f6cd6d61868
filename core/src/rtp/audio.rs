//! Audio payload formats where a packet is just code words: G.711 and G.722
//! (RFC 3551), Opus (RFC 7587), and the generic depacketizer for those and
//! G.726.
//!
//! Sample-based audio (G.711, G.722, G.726) may be cut anywhere on a sample
//! boundary, so a long frame becomes several packets of at most 40 ms and
//! `max_payload` bytes, each with its timestamp offset in samples.

use bytes::Bytes;

use super::depacketizer::{AccessUnit, DepacketizeError};
use super::g726;
use super::header::RtpHeader;
use super::packetizer::{PacketizeError, SdpMedia};
use super::reassembly::{SeqStep, SeqTracker};
use super::{PayloadPrefix, RtpPayload};
use crate::media::{AudioCodec, TrackInfo};

/// The longest packet duration we emit, in milliseconds. RFC 3551 section
/// 4.2 suggests 20 ms by default and receivers must accept up to 200 ms;
/// 40 ms keeps packets few without hurting latency.
const MAX_PACKET_MS: u32 = 40;

/// RFC 3551 static payload types.
const PT_PCMU: u8 = 0;
const PT_PCMA: u8 = 8;
const PT_G722: u8 = 9;

/// Cuts sample-aligned audio into packets on unit boundaries. A unit is the
/// smallest piece that can start a packet: one sample of every channel, or
/// for G.726 a group of 8 code words (a whole number of bytes at any rate).
#[derive(Clone, Debug)]
pub(crate) struct AudioChunker {
    unit_bytes: usize,
    ticks_per_unit: u32,
    max_units: usize,
}

impl AudioChunker {
    /// `clock_rate` in Hz; fails when one unit does not fit a packet.
    pub(crate) fn new(
        unit_bytes: usize,
        ticks_per_unit: u32,
        clock_rate: u32,
        max_payload: usize,
    ) -> Result<Self, PacketizeError> {
        if unit_bytes == 0 || unit_bytes > max_payload {
            return Err(PacketizeError::MaxPayloadTooSmall {
                max_payload,
                needed: unit_bytes,
            });
        }
        let ticks = clock_rate / (1000 / MAX_PACKET_MS);
        let by_time = (ticks / ticks_per_unit.max(1)).max(1) as usize;
        Ok(AudioChunker {
            unit_bytes,
            ticks_per_unit,
            max_units: by_time.min(max_payload / unit_bytes),
        })
    }

    /// Appends zero-copy slices of `data`. With `partial_tail` the last unit
    /// may be short (G.726 frames need not end on a group boundary);
    /// otherwise the length must be a whole number of units.
    pub(crate) fn split(
        &self,
        data: &Bytes,
        partial_tail: bool,
        out: &mut Vec<RtpPayload>,
    ) -> Result<(), PacketizeError> {
        if !partial_tail && data.len() % self.unit_bytes != 0 {
            return Err(PacketizeError::MisalignedAudio {
                len: data.len(),
                unit: self.unit_bytes,
            });
        }
        let units = data.len().div_ceil(self.unit_bytes);
        // Even packets (e.g. 1024 samples as 4 x 256, not 3 x 320 + 64).
        let packets = units.div_ceil(self.max_units);
        let per_packet = units.div_ceil(packets.max(1));
        let mut unit = 0;
        while unit < units {
            let end = usize::min(unit + per_packet, units);
            let bytes = unit * self.unit_bytes..usize::min(end * self.unit_bytes, data.len());
            out.push(RtpPayload {
                prefix: PayloadPrefix::EMPTY,
                data: data.slice(bytes),
                marker: false,
                ts_offset: (unit as u32).wrapping_mul(self.ticks_per_unit),
            });
            unit = end;
        }
        Ok(())
    }
}

/// `rtpmap` text: `NAME/RATE`, with `/CHANNELS` only when not mono (RFC
/// 4566 section 6: one channel is the default).
fn rtpmap(name: &str, rate: u32, channels: u8) -> String {
    if channels > 1 {
        format!("{name}/{rate}/{channels}")
    } else {
        format!("{name}/{rate}")
    }
}

/// Packetizes G.711 mu-law (PCMU) or A-law (PCMA); use it through
/// [`Packetizer`](super::Packetizer).
#[derive(Clone, Debug)]
pub struct G711Packetizer {
    encoding: &'static str,
    payload_type: u8,
    clock_rate: u32,
    channels: u8,
    chunker: AudioChunker,
}

impl G711Packetizer {
    pub(crate) fn mu_law(
        track: &TrackInfo,
        dynamic_pt: u8,
        max_payload: usize,
    ) -> Result<Self, PacketizeError> {
        Self::new("PCMU", PT_PCMU, track, dynamic_pt, max_payload)
    }

    pub(crate) fn a_law(
        track: &TrackInfo,
        dynamic_pt: u8,
        max_payload: usize,
    ) -> Result<Self, PacketizeError> {
        Self::new("PCMA", PT_PCMA, track, dynamic_pt, max_payload)
    }

    fn new(
        encoding: &'static str,
        static_pt: u8,
        track: &TrackInfo,
        dynamic_pt: u8,
        max_payload: usize,
    ) -> Result<Self, PacketizeError> {
        let clock_rate = [track.sample_rate, track.clock_rate]
            .into_iter()
            .find(|&r| r != 0)
            .unwrap_or(8000);
        let channels = track.channels.max(1);
        // The static payload types mean 8 kHz mono and nothing else.
        let payload_type = if clock_rate == 8000 && channels == 1 {
            static_pt
        } else {
            dynamic_pt
        };
        Ok(G711Packetizer {
            encoding,
            payload_type,
            clock_rate,
            channels,
            chunker: AudioChunker::new(usize::from(channels), 1, clock_rate, max_payload)?,
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
        self.chunker.split(frame, false, out)
    }

    pub(crate) fn sdp_media(&self) -> SdpMedia {
        SdpMedia {
            media: "audio",
            payload_type: self.payload_type,
            rtpmap: rtpmap(self.encoding, self.clock_rate, self.channels),
            fmtp: None,
            extra: Vec::new(),
        }
    }
}

/// Packetizes G.722; use it through [`Packetizer`](super::Packetizer).
///
/// G.722 samples at 16 kHz but its RTP clock is 8000 Hz (RFC 3551 section
/// 4.5.2, an error kept for compatibility): at 64 kbit/s each byte is two
/// samples and one clock tick.
#[derive(Clone, Debug)]
pub struct G722Packetizer {
    payload_type: u8,
    channels: u8,
    chunker: AudioChunker,
}

impl G722Packetizer {
    /// The RTP clock rate of G.722, whatever the sampling rate.
    const CLOCK_RATE: u32 = 8000;

    pub(crate) fn new(
        track: &TrackInfo,
        dynamic_pt: u8,
        max_payload: usize,
    ) -> Result<Self, PacketizeError> {
        let channels = track.channels.max(1);
        Ok(G722Packetizer {
            payload_type: if channels == 1 { PT_G722 } else { dynamic_pt },
            channels,
            chunker: AudioChunker::new(usize::from(channels), 1, Self::CLOCK_RATE, max_payload)?,
        })
    }

    pub(crate) fn payload_type(&self) -> u8 {
        self.payload_type
    }

    pub(crate) fn clock_rate(&self) -> u32 {
        Self::CLOCK_RATE
    }

    pub(crate) fn packetize(
        &mut self,
        frame: &Bytes,
        out: &mut Vec<RtpPayload>,
    ) -> Result<(), PacketizeError> {
        self.chunker.split(frame, false, out)
    }

    pub(crate) fn sdp_media(&self) -> SdpMedia {
        SdpMedia {
            media: "audio",
            payload_type: self.payload_type,
            rtpmap: rtpmap("G722", Self::CLOCK_RATE, self.channels),
            fmtp: None,
            extra: Vec::new(),
        }
    }
}

/// Packetizes Opus, one Opus packet per RTP packet (RFC 7587); use it
/// through [`Packetizer`](super::Packetizer).
#[derive(Clone, Debug)]
pub struct OpusPacketizer {
    payload_type: u8,
    max_payload: usize,
    stereo: bool,
}

impl OpusPacketizer {
    /// RFC 7587 section 4.1: the RTP clock is always 48 kHz.
    const CLOCK_RATE: u32 = 48_000;

    pub(crate) fn new(track: &TrackInfo, payload_type: u8, max_payload: usize) -> Self {
        OpusPacketizer {
            payload_type,
            max_payload,
            stereo: track.channels >= 2,
        }
    }

    pub(crate) fn payload_type(&self) -> u8 {
        self.payload_type
    }

    pub(crate) fn clock_rate(&self) -> u32 {
        Self::CLOCK_RATE
    }

    pub(crate) fn packetize(
        &mut self,
        frame: &Bytes,
        out: &mut Vec<RtpPayload>,
    ) -> Result<(), PacketizeError> {
        // An Opus packet cannot be split (RFC 7587 section 4.2).
        if frame.len() > self.max_payload {
            return Err(PacketizeError::FrameTooLarge {
                size: frame.len(),
                max: self.max_payload,
            });
        }
        out.push(RtpPayload {
            prefix: PayloadPrefix::EMPTY,
            data: frame.clone(),
            marker: false,
            ts_offset: 0,
        });
        Ok(())
    }

    pub(crate) fn sdp_media(&self) -> SdpMedia {
        SdpMedia {
            media: "audio",
            payload_type: self.payload_type,
            // RFC 7587 section 7: always "opus/48000/2"; the channels the
            // sender actually uses are in sprop-stereo.
            rtpmap: "opus/48000/2".into(),
            fmtp: self.stereo.then(|| "sprop-stereo=1".into()),
            extra: Vec::new(),
        }
    }
}

/// Depacketizes G.711, G.722, G.726 and Opus: each packet is one frame (for
/// G.726 repacked to the media layer's big-endian order); use it through
/// [`Depacketizer`](super::Depacketizer).
#[derive(Clone, Debug)]
pub struct AudioDepacketizer {
    seq: SeqTracker,
    /// Bits per G.726 code word; `None` for the other codecs.
    g726_bits: Option<u8>,
    lost: bool,
}

impl AudioDepacketizer {
    pub(crate) fn new(codec: AudioCodec) -> Result<Self, DepacketizeError> {
        let g726_bits = match codec {
            AudioCodec::G726 { kbps } => Some(g726::bits_per_code_word(kbps).ok_or(
                DepacketizeError::UnsupportedTrack("G.726 rate not 16/24/32/40"),
            )?),
            _ => None,
        };
        Ok(AudioDepacketizer {
            seq: SeqTracker::default(),
            g726_bits,
            lost: false,
        })
    }

    pub(crate) fn push(
        &mut self,
        header: &RtpHeader,
        payload: &Bytes,
        out: &mut Vec<AccessUnit>,
    ) -> Result<(), DepacketizeError> {
        match self.seq.step(header.sequence) {
            SeqStep::Stale => return Ok(()),
            SeqStep::Gap => self.lost = true,
            SeqStep::Next => {}
        }
        if payload.is_empty() {
            return Err(DepacketizeError::Truncated("empty audio payload"));
        }
        let data = match self.g726_bits {
            Some(bits) => Bytes::from(g726::right_to_left_justified(payload, bits)),
            None => payload.clone(),
        };
        out.push(AccessUnit {
            rtp_timestamp: header.timestamp,
            data,
            keyframe: true,
            after_loss: std::mem::take(&mut self.lost),
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::Codec;
    use crate::rtp::depacketizer::test_util::round_trip;
    use crate::rtp::{Depacketizer, Packetizer};

    fn track(codec: AudioCodec, rate: u32, channels: u8) -> TrackInfo {
        TrackInfo {
            codec: Codec::Audio(codec),
            clock_rate: rate,
            sample_rate: rate,
            channels,
            width: 0,
            height: 0,
            config: Bytes::new(),
        }
    }

    fn frame(len: usize) -> Bytes {
        Bytes::from((0..len).map(|i| i as u8).collect::<Vec<_>>())
    }

    fn packetize(t: &TrackInfo, max: usize, len: usize) -> Vec<RtpPayload> {
        let mut p = Packetizer::new(t, 96, max).unwrap();
        let mut out = Vec::new();
        p.packetize(&frame(len), &mut out).unwrap();
        out
    }

    fn sizes_and_offsets(out: &[RtpPayload]) -> Vec<(usize, u32)> {
        out.iter().map(|p| (p.data.len(), p.ts_offset)).collect()
    }

    #[test]
    fn g711_static_and_dynamic_payload_types() {
        let sdp = |t| Packetizer::new(&t, 97, 1388).unwrap().sdp_media().unwrap();
        let s = sdp(track(AudioCodec::Pcmu, 8000, 1));
        assert_eq!((s.payload_type, s.rtpmap.as_str()), (0, "PCMU/8000"));
        let s = sdp(track(AudioCodec::Pcma, 8000, 1));
        assert_eq!((s.payload_type, s.rtpmap.as_str()), (8, "PCMA/8000"));
        let s = sdp(track(AudioCodec::Pcmu, 16000, 1));
        assert_eq!((s.payload_type, s.rtpmap.as_str()), (97, "PCMU/16000"));
        let s = sdp(track(AudioCodec::Pcma, 8000, 2));
        assert_eq!((s.payload_type, s.rtpmap.as_str()), (97, "PCMA/8000/2"));
        assert_eq!(s.media, "audio");
        assert_eq!(s.fmtp, None);
    }

    #[test]
    fn g711_splits_at_40_ms_evenly() {
        let t = track(AudioCodec::Pcmu, 8000, 1);
        // 160 bytes = 20 ms: one packet.
        assert_eq!(sizes_and_offsets(&packetize(&t, 1388, 160)), [(160, 0)]);
        // 1024 samples: 4 packets of 256 (each <= 320 = 40 ms).
        assert_eq!(
            sizes_and_offsets(&packetize(&t, 1388, 1024)),
            [(256, 0), (256, 256), (256, 512), (256, 768)]
        );
        // Limited by max_payload rather than time.
        assert_eq!(
            sizes_and_offsets(&packetize(&t, 100, 250)),
            [(84, 0), (84, 84), (82, 168)]
        );
        assert!(packetize(&t, 1388, 1024).iter().all(|p| !p.marker));
    }

    #[test]
    fn g711_stereo_offsets_count_samples_per_channel() {
        let t = track(AudioCodec::Pcma, 8000, 2);
        assert_eq!(
            sizes_and_offsets(&packetize(&t, 1388, 1280)),
            [(640, 0), (640, 320)]
        );
        let mut p = Packetizer::new(&t, 96, 1388).unwrap();
        assert_eq!(
            p.packetize(&frame(3), &mut Vec::new()),
            Err(PacketizeError::MisalignedAudio { len: 3, unit: 2 })
        );
    }

    #[test]
    fn g722_uses_the_8000_hz_clock() {
        let t = track(AudioCodec::G722, 16000, 1);
        let p = Packetizer::new(&t, 96, 1388).unwrap();
        assert_eq!((p.payload_type(), p.clock_rate()), (9, 8000));
        assert_eq!(p.sdp_media().unwrap().rtpmap, "G722/8000");
        // 640 bytes = 1280 samples at 16 kHz = 80 ms: two 40 ms packets.
        assert_eq!(
            sizes_and_offsets(&packetize(&t, 1388, 640)),
            [(320, 0), (320, 320)]
        );
    }

    #[test]
    fn opus_is_one_packet_per_frame() {
        let t = track(AudioCodec::Opus, 48000, 2);
        let p = Packetizer::new(&t, 111, 1388).unwrap();
        assert_eq!((p.payload_type(), p.clock_rate()), (111, 48000));
        let sdp = p.sdp_media().unwrap();
        assert_eq!(sdp.rtpmap, "opus/48000/2");
        assert_eq!(sdp.fmtp.as_deref(), Some("sprop-stereo=1"));
        let mono = Packetizer::new(&track(AudioCodec::Opus, 48000, 1), 111, 1388).unwrap();
        assert_eq!(mono.sdp_media().unwrap().rtpmap, "opus/48000/2");
        assert_eq!(mono.sdp_media().unwrap().fmtp, None);
        assert_eq!(sizes_and_offsets(&packetize(&t, 1388, 1275)), [(1275, 0)]);
        let mut p = Packetizer::new(&t, 111, 1000).unwrap();
        assert_eq!(
            p.packetize(&frame(1001), &mut Vec::new()),
            Err(PacketizeError::FrameTooLarge {
                size: 1001,
                max: 1000
            })
        );
    }

    #[test]
    fn round_trips_one_packet_frames() {
        for codec in [
            AudioCodec::Pcmu,
            AudioCodec::Pcma,
            AudioCodec::G722,
            AudioCodec::Opus,
        ] {
            let frames = [frame(160), frame(20), frame(300)];
            let (_, units) = round_trip(&track(codec, 8000, 1), 1388, &frames);
            assert_eq!(units.len(), 3);
            for (i, (u, f)) in units.iter().zip(&frames).enumerate() {
                assert_eq!(&u.data, f);
                assert_eq!(u.rtp_timestamp, i as u32 * 3000);
            }
        }
    }

    #[test]
    fn depacketizer_flags_loss_and_ignores_duplicates() {
        let mut d = Depacketizer::new(&track(AudioCodec::Pcmu, 8000, 1)).unwrap();
        let mut out = Vec::new();
        let h = |seq: u16| RtpHeader {
            payload_type: 0,
            marker: false,
            sequence: seq,
            timestamp: u32::from(seq) * 160,
            ssrc: 5,
        };
        let p = Bytes::from_static(&[0xff; 160]);
        d.push(&h(1), &p, &mut out).unwrap();
        d.push(&h(1), &p, &mut out).unwrap();
        d.push(&h(3), &p, &mut out).unwrap();
        assert_eq!(
            out.iter().map(|u| u.after_loss).collect::<Vec<_>>(),
            [false, true]
        );
        assert!(d.push(&h(4), &Bytes::new(), &mut out).is_err());
    }
}
