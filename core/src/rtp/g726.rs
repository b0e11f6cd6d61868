//! G.726 ADPCM over RTP, RFC 3551 section 4.5.4.
//!
//! Two packings of G.726 code words exist. ffmpeg's `g726` encoder (and so
//! GStreamer's `avenc_g726`), like ITU I.366.2 "AAL2", puts the first code
//! word in the most significant bits of the first byte ("left-justified").
//! RFC 3551 puts it in the *least* significant bits ("right-justified";
//! ffmpeg calls that `g726le`). Sending the encoder's bytes unchanged is the
//! classic bug that makes every RTP receiver decode noise, so the
//! packetizer repacks and the depacketizer packs back.

use bytes::Bytes;

use super::RtpPayload;
use super::audio::AudioChunker;
use super::packetizer::{PacketizeError, SdpMedia};
use crate::media::TrackInfo;

/// The G.726 RTP clock and sampling rate.
const CLOCK_RATE: u32 = 8000;
/// Code words per packing group: 8 code words are always a whole number of
/// bytes (`bits` bytes), so packets cut on groups stay byte-aligned.
const GROUP_CODE_WORDS: u32 = 8;

/// Bits per code word at a bit rate in kbit/s: 16, 24, 32 or 40.
pub(crate) fn bits_per_code_word(kbps: u8) -> Option<u8> {
    match kbps {
        16 | 24 | 32 | 40 => Some(kbps / 8),
        _ => None,
    }
}

/// Repacks left-justified code words (first in the most significant bits)
/// into RFC 3551's right-justified packing. Trailing bits too few for a code
/// word are padding and dropped; the output has the same length.
pub(crate) fn left_to_right_justified(data: &[u8], bits: u8) -> Vec<u8> {
    let bits = u32::from(bits);
    let mask = (1u32 << bits) - 1;
    let mut out = Vec::with_capacity(data.len());
    let (mut inp, mut in_bits) = (0u32, 0u32);
    let (mut acc, mut acc_bits) = (0u32, 0u32);
    for &byte in data {
        inp = (inp << 8) | u32::from(byte);
        in_bits += 8;
        while in_bits >= bits {
            in_bits -= bits;
            let code = (inp >> in_bits) & mask;
            acc |= code << acc_bits;
            acc_bits += bits;
            while acc_bits >= 8 {
                out.push(acc as u8);
                acc >>= 8;
                acc_bits -= 8;
            }
        }
        inp &= (1 << in_bits) - 1;
    }
    if acc_bits > 0 {
        out.push(acc as u8);
    }
    out
}

/// The inverse of [`left_to_right_justified`]: RFC 3551 packing back to the
/// packing of ffmpeg's `g726` decoder.
pub(crate) fn right_to_left_justified(data: &[u8], bits: u8) -> Vec<u8> {
    let bits = u32::from(bits);
    let mask = (1u32 << bits) - 1;
    let mut out = Vec::with_capacity(data.len());
    let (mut inp, mut in_bits) = (0u32, 0u32);
    let (mut acc, mut acc_bits) = (0u32, 0u32);
    for &byte in data {
        inp |= u32::from(byte) << in_bits;
        in_bits += 8;
        while in_bits >= bits {
            let code = inp & mask;
            inp >>= bits;
            in_bits -= bits;
            acc = (acc << bits) | code;
            acc_bits += bits;
            while acc_bits >= 8 {
                acc_bits -= 8;
                out.push((acc >> acc_bits) as u8);
                acc &= (1 << acc_bits) - 1;
            }
        }
    }
    if acc_bits > 0 {
        out.push((acc << (8 - acc_bits)) as u8);
    }
    out
}

/// Packetizes G.726 (mono, 8 kHz); use it through
/// [`Packetizer`](super::Packetizer).
#[derive(Clone, Debug)]
pub struct G726Packetizer {
    payload_type: u8,
    kbps: u8,
    bits: u8,
    chunker: AudioChunker,
}

impl G726Packetizer {
    pub(crate) fn new(
        track: &TrackInfo,
        kbps: u8,
        payload_type: u8,
        max_payload: usize,
    ) -> Result<Self, PacketizeError> {
        let bits = bits_per_code_word(kbps).ok_or(PacketizeError::UnsupportedTrack(
            "G.726 bit rate must be 16, 24, 32 or 40 kbit/s",
        ))?;
        if track.channels > 1 {
            return Err(PacketizeError::UnsupportedTrack("G.726 is mono only"));
        }
        if ![0, CLOCK_RATE].contains(&track.sample_rate) {
            return Err(PacketizeError::UnsupportedTrack(
                "G.726 is sampled at 8000 Hz",
            ));
        }
        Ok(G726Packetizer {
            payload_type,
            kbps,
            bits,
            chunker: AudioChunker::new(
                usize::from(bits),
                GROUP_CODE_WORDS,
                CLOCK_RATE,
                max_payload,
            )?,
        })
    }

    pub(crate) fn payload_type(&self) -> u8 {
        self.payload_type
    }

    pub(crate) fn clock_rate(&self) -> u32 {
        CLOCK_RATE
    }

    pub(crate) fn packetize(
        &mut self,
        frame: &Bytes,
        out: &mut Vec<RtpPayload>,
    ) -> Result<(), PacketizeError> {
        let repacked = Bytes::from(left_to_right_justified(frame, self.bits));
        self.chunker.split(&repacked, true, out)
    }

    pub(crate) fn sdp_media(&self) -> SdpMedia {
        SdpMedia {
            media: "audio",
            payload_type: self.payload_type,
            rtpmap: format!("G726-{}/{CLOCK_RATE}", self.kbps),
            fmtp: None,
            extra: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::{AudioCodec, Codec};
    use crate::rtp::Packetizer;
    use crate::rtp::depacketizer::test_util::round_trip;

    fn track(kbps: u8) -> TrackInfo {
        TrackInfo {
            codec: Codec::Audio(AudioCodec::G726 { kbps }),
            clock_rate: 8000,
            sample_rate: 8000,
            channels: 1,
            width: 0,
            height: 0,
            config: Bytes::new(),
        }
    }

    #[test]
    fn repacks_32_kbps_by_swapping_nibbles() {
        // Code words 1, 2, 3, 4.
        assert_eq!(left_to_right_justified(&[0x12, 0x34], 4), [0x21, 0x43]);
    }

    #[test]
    fn repacks_16_kbps() {
        // 00 01 10 11 -> first code word (00) in the low bits: 11 10 01 00.
        assert_eq!(left_to_right_justified(&[0x1b], 2), [0xe4]);
    }

    #[test]
    fn repacks_24_kbps() {
        // Code words 0..=7, 3 bits each, MSB first: 000 001 010 011 100 101 110 111
        // = 00000101 00111001 01110111.
        let left = [0x05, 0x39, 0x77];
        // LSB first: byte 0 = c0 | c1 << 3 | (c2 & 3) << 6 = 0x88,
        // byte 1 = c2 >> 2 | c3 << 1 | c4 << 4 | (c5 & 1) << 7 = 0xc6,
        // byte 2 = c5 >> 1 | c6 << 2 | c7 << 5 = 0xfa.
        assert_eq!(left_to_right_justified(&left, 3), [0x88, 0xc6, 0xfa]);
        assert_eq!(right_to_left_justified(&[0x88, 0xc6, 0xfa], 3), left);
    }

    #[test]
    fn repacks_40_kbps() {
        // Code words 1, 2, ..., 8 (5 bits each), MSB first:
        // 00001 00010 00011 00100 00101 00110 00111 01000
        let left = [0x08, 0x86, 0x42, 0x98, 0xe8];
        // LSB first: 0x41, 0x0c, 0x52, 0xcc, 0x41.
        let right = [0x41, 0x0c, 0x52, 0xcc, 0x41];
        assert_eq!(left_to_right_justified(&left, 5), right);
        assert_eq!(right_to_left_justified(&right, 5), left);
    }

    #[test]
    fn repacking_is_reversible_at_every_rate() {
        // 240 bytes: whole code words at every rate (padding bits would
        // come back as zeros).
        let data: Vec<u8> = (0..240).collect();
        for bits in 2..=5 {
            let right = left_to_right_justified(&data, bits);
            assert_eq!(right.len(), data.len());
            assert_eq!(right_to_left_justified(&right, bits), data, "{bits} bits");
        }
    }

    #[test]
    fn sdp_and_clock() {
        let p = Packetizer::new(&track(32), 100, 1388).unwrap();
        assert_eq!((p.payload_type(), p.clock_rate()), (100, 8000));
        assert_eq!(p.sdp_media().unwrap().rtpmap, "G726-32/8000");
        assert!(matches!(
            Packetizer::new(&track(64), 100, 1388),
            Err(PacketizeError::UnsupportedTrack(_))
        ));
    }

    #[test]
    fn offsets_count_samples() {
        // 24 kbit/s, 960 bytes = 2560 samples = 320 ms -> 8 packets of 40 ms
        // (320 samples = 120 bytes).
        let mut p = Packetizer::new(&track(24), 100, 1388).unwrap();
        let mut out = Vec::new();
        p.packetize(&Bytes::from(vec![0x5a; 960]), &mut out)
            .unwrap();
        assert_eq!(out.len(), 8);
        for (i, pkt) in out.iter().enumerate() {
            assert_eq!(pkt.data.len(), 120);
            assert_eq!(pkt.ts_offset, i as u32 * 320);
            assert!(!pkt.marker);
        }
    }

    #[test]
    fn round_trips_every_rate() {
        for kbps in [16, 24, 32, 40] {
            let frames = [
                // Whole code words (multiples of 3 and 5 bytes), and at most
                // 40 ms so that each frame is one packet.
                Bytes::from((0..60u8).collect::<Vec<_>>()),
                Bytes::from(vec![0xa5; 15]),
            ];
            let (_, units) = round_trip(&track(kbps), 1388, &frames);
            assert_eq!(units.len(), 2);
            for (u, f) in units.iter().zip(&frames) {
                assert_eq!(&u.data, f, "{kbps} kbit/s");
            }
        }
    }
}
