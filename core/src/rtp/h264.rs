//! H.264 over RTP, RFC 6184, `packetization-mode=1` (non-interleaved):
//! single NAL unit packets, STAP-A aggregation and FU-A fragmentation.

use std::ops::Range;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;

use super::RtpPayload;
use super::annexb::split_nal_units;
use super::depacketizer::{AccessUnit, DepacketizeError};
use super::header::RtpHeader;
use super::nal::{AnnexBWriter, NalSyntax, for_each_aggregated, packetize_nal_units};
use super::packetizer::{PacketizeError, SdpMedia};
use super::reassembly::{Reassembler, UnitBuilder};
use crate::media::TrackInfo;

/// NAL unit types (H.264 table 7-1) and payload types (RFC 6184 table 1).
mod nal_type {
    pub const IDR: u8 = 5;
    pub const SPS: u8 = 7;
    pub const PPS: u8 = 8;
    pub const AUD: u8 = 9;
    pub const STAP_A: u8 = 24;
    pub const FU_A: u8 = 28;
}

fn nal_type(header: u8) -> u8 {
    header & 0x1f
}

/// RFC 6184 header bytes for the shared NAL packetizing loop.
struct H264Syntax;

impl NalSyntax for H264Syntax {
    const HEADER_LEN: usize = 1;
    const FU_OVERHEAD: usize = 2;

    fn aggregation_header<'a>(nals: impl Iterator<Item = &'a [u8]>) -> [u8; 2] {
        // F is the OR of the aggregated units' F bits, NRI their maximum
        // (RFC 6184 section 5.7.1).
        let (f, nri) = nals.fold((0, 0), |(f, nri), nal| {
            (f | (nal[0] & 0x80), u8::max(nri, nal[0] & 0x60))
        });
        [f | nri | nal_type::STAP_A, 0]
    }

    fn fu_header(nal: &[u8], start: bool, end: bool) -> [u8; 3] {
        let indicator = (nal[0] & 0xe0) | nal_type::FU_A;
        let header = (u8::from(start) << 7) | (u8::from(end) << 6) | nal_type(nal[0]);
        [indicator, header, 0]
    }
}

/// Packetizes H.264 access units; use it through
/// [`Packetizer`](super::Packetizer).
///
/// It remembers the latest SPS and PPS it saw in frames (or in
/// `TrackInfo::config`, if that holds Annex B parameter sets) for the SDP.
#[derive(Clone, Debug)]
pub struct H264Packetizer {
    payload_type: u8,
    max_payload: usize,
    sps: Option<Bytes>,
    pps: Option<Bytes>,
    /// Scratch list of the current frame's NAL units, kept to reuse its allocation.
    nals: Vec<Range<usize>>,
}

impl H264Packetizer {
    pub(crate) fn new(track: &TrackInfo, payload_type: u8, max_payload: usize) -> Self {
        let mut p = H264Packetizer {
            payload_type,
            max_payload,
            sps: None,
            pps: None,
            nals: Vec::new(),
        };
        if !track.config.is_empty() {
            let mut nals = Vec::new();
            if split_nal_units(&track.config, &mut nals).is_ok() {
                for r in nals {
                    p.learn(&track.config.slice(r));
                }
            }
        }
        p
    }

    pub(crate) fn payload_type(&self) -> u8 {
        self.payload_type
    }

    /// Remembers parameter sets for the SDP.
    fn learn(&mut self, nal: &Bytes) {
        match nal_type(nal[0]) {
            // profile-level-id comes from SPS bytes 1..4; shorter is bogus.
            nal_type::SPS if nal.len() >= 4 => self.sps = Some(nal.clone()),
            nal_type::PPS if nal.len() >= 2 => self.pps = Some(nal.clone()),
            _ => {}
        }
    }

    pub(crate) fn packetize(
        &mut self,
        frame: &Bytes,
        out: &mut Vec<RtpPayload>,
    ) -> Result<(), PacketizeError> {
        let mut nals = std::mem::take(&mut self.nals);
        let result = split_nal_units(frame, &mut nals);
        if result.is_ok() {
            // Access unit delimiters carry nothing RTP needs (RFC 6184 leaves
            // them out of the examples; gst and live555 drop them too).
            nals.retain(|r| nal_type(frame[r.start]) != nal_type::AUD);
            for r in &nals {
                self.learn(&frame.slice(r.clone()));
            }
        }
        let result = result.and_then(|()| {
            if nals.is_empty() {
                return Err(PacketizeError::EmptyFrame);
            }
            packetize_nal_units::<H264Syntax>(frame, &nals, self.max_payload, out);
            Ok(())
        });
        self.nals = nals;
        result
    }

    pub(crate) fn sdp_media(&self) -> Option<SdpMedia> {
        let sps = self.sps.as_ref()?;
        let pps = self.pps.as_ref()?;
        Some(SdpMedia {
            media: "video",
            payload_type: self.payload_type,
            rtpmap: "H264/90000".into(),
            fmtp: Some(format!(
                "packetization-mode=1;profile-level-id={:02x}{:02x}{:02x};sprop-parameter-sets={},{}",
                sps[1],
                sps[2],
                sps[3],
                BASE64.encode(sps),
                BASE64.encode(pps)
            )),
            extra: Vec::new(),
        })
    }
}

/// Builds one H.264 access unit from single NAL unit, STAP-A and FU-A payloads.
#[derive(Clone, Debug, Default)]
struct H264Unit {
    writer: AnnexBWriter,
    keyframe: bool,
}

impl H264Unit {
    fn push_nal(&mut self, nal: &[u8]) -> Result<(), DepacketizeError> {
        self.keyframe |= nal_type(nal[0]) == nal_type::IDR;
        self.writer.push_nal(nal)
    }
}

impl UnitBuilder for H264Unit {
    fn append(&mut self, payload: &Bytes) -> Result<(), DepacketizeError> {
        let Some(&first) = payload.first() else {
            return Err(DepacketizeError::Truncated("empty H.264 payload"));
        };
        match nal_type(first) {
            1..=23 => self.push_nal(payload),
            nal_type::STAP_A => for_each_aggregated(&payload[1..], |nal| self.push_nal(nal)),
            nal_type::FU_A => {
                let [indicator, fu, data @ ..] = &payload[..] else {
                    return Err(DepacketizeError::Truncated("FU-A header"));
                };
                let header = (indicator & 0xe0) | nal_type(*fu);
                self.keyframe |= nal_type(*fu) == nal_type::IDR;
                self.writer
                    .push_fragment(&[header], fu & 0x80 != 0, fu & 0x40 != 0, data)
            }
            other => Err(DepacketizeError::UnsupportedPacketType(other)),
        }
    }

    fn finish(&mut self) -> Option<(Bytes, bool)> {
        let keyframe = std::mem::take(&mut self.keyframe);
        self.writer.finish().map(|data| (data, keyframe))
    }

    fn discard(&mut self) {
        self.keyframe = false;
        self.writer.discard();
    }
}

/// Rebuilds H.264 access units (Annex B, 4-byte start codes); use it
/// through [`Depacketizer`](super::Depacketizer).
#[derive(Clone, Debug)]
pub struct H264Depacketizer {
    inner: Reassembler<H264Unit>,
}

impl H264Depacketizer {
    pub(crate) fn new() -> Self {
        H264Depacketizer {
            inner: Reassembler::new(H264Unit::default()),
        }
    }

    pub(crate) fn push(
        &mut self,
        header: &RtpHeader,
        payload: &Bytes,
        out: &mut Vec<AccessUnit>,
    ) -> Result<(), DepacketizeError> {
        self.inner.push(header, payload, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::{Codec, VideoCodec};
    use crate::rtp::Packetizer;
    use crate::rtp::depacketizer::Depacketizer;
    use crate::rtp::depacketizer::test_util::{round_trip, to_packets};

    /// SPS and PPS of a 320x240 constrained-baseline stream from x264.
    const SPS: &[u8] = &[
        0x67, 0x42, 0xc0, 0x15, 0xd9, 0x01, 0x41, 0xfb, 0x01, 0x6a, 0x0c, 0x0c, 0x0d, 0x4a, 0x00,
        0x00, 0x03, 0x00, 0x02, 0x00, 0x00, 0x03, 0x00, 0x79, 0x1e, 0x2c, 0x5c, 0x90,
    ];
    const PPS: &[u8] = &[0x68, 0xcb, 0x8c, 0xb2];

    fn track() -> TrackInfo {
        TrackInfo {
            codec: Codec::Video(VideoCodec::H264),
            clock_rate: 90_000,
            sample_rate: 0,
            channels: 0,
            width: 320,
            height: 240,
            config: Bytes::new(),
        }
    }

    /// A NAL unit of `len` bytes with no zero bytes (so no false start codes).
    fn nal(header: u8, len: usize) -> Vec<u8> {
        let mut v = vec![header];
        v.extend((1..len).map(|i| (i * 7 % 251 + 1) as u8));
        v
    }

    fn annex_b(nals: &[&[u8]]) -> Bytes {
        let mut v = Vec::new();
        for n in nals {
            v.extend_from_slice(&[0, 0, 0, 1]);
            v.extend_from_slice(n);
        }
        Bytes::from(v)
    }

    fn packetize(frame: &Bytes, max_payload: usize) -> (Packetizer, Vec<RtpPayload>) {
        let mut p = Packetizer::new(&track(), 96, max_payload).unwrap();
        let mut out = Vec::new();
        p.packetize(frame, &mut out).unwrap();
        (p, out)
    }

    #[test]
    fn sdp_waits_for_sps_and_pps() {
        let mut p = Packetizer::new(&track(), 96, 1388).unwrap();
        assert_eq!(p.payload_type(), 96);
        assert_eq!(p.clock_rate(), 90_000);
        assert_eq!(p.sdp_media(), None);
        let mut out = Vec::new();
        p.packetize(&annex_b(&[SPS, &nal(0x41, 50)]), &mut out)
            .unwrap();
        assert_eq!(p.sdp_media(), None);
        p.packetize(&annex_b(&[PPS, &nal(0x41, 50)]), &mut out)
            .unwrap();
        let sdp = p.sdp_media().unwrap();
        assert_eq!(sdp.media, "video");
        assert_eq!(sdp.payload_type, 96);
        assert_eq!(sdp.rtpmap, "H264/90000");
        assert_eq!(
            sdp.fmtp.as_deref(),
            Some(
                "packetization-mode=1;profile-level-id=42c015;\
                 sprop-parameter-sets=Z0LAFdkBQfsBagwMDUoAAAMAAgAAAwB5HixckA==,aMuMsg=="
            )
        );
    }

    #[test]
    fn parameter_sets_from_config() {
        let mut t = track();
        t.config = annex_b(&[SPS, PPS]);
        let p = Packetizer::new(&t, 97, 1388).unwrap();
        assert!(p.sdp_media().unwrap().fmtp.unwrap().contains("42c015"));
    }

    #[test]
    fn small_nal_units_share_a_stap_a() {
        let sei = nal(0x06, 20);
        let idr = nal(0x65, 300);
        let frame = annex_b(&[&[0x09, 0xf0], SPS, PPS, &sei, &idr]);
        let (_, out) = packetize(&frame, 1388);
        // AUD dropped; everything else fits one STAP-A.
        assert_eq!(out.len(), 1);
        let stap = &out[0].data;
        assert_eq!(stap[0], 0x60 | 24, "NRI is the maximum of the units'");
        let mut expect = vec![stap[0]];
        for n in [SPS, PPS, &sei[..], &idr[..]] {
            expect.extend_from_slice(&(n.len() as u16).to_be_bytes());
            expect.extend_from_slice(n);
        }
        assert_eq!(stap[..], expect[..]);
        assert!(out[0].marker);
    }

    #[test]
    fn large_nal_unit_is_fragmented_with_fu_a() {
        let idr = nal(0x65, 5000);
        let frame = annex_b(&[SPS, PPS, &idr]);
        let (_, out) = packetize(&frame, 1388);
        // STAP-A(SPS, PPS), then FU-As: 4999 body bytes in 1386-byte pieces.
        assert_eq!(out.len(), 1 + 4);
        assert_eq!(out[0].data[0] & 0x1f, 24);
        let fus = &out[1..];
        for (i, fu) in fus.iter().enumerate() {
            let header = fu.prefix.as_slice();
            assert_eq!(header.len(), 2, "FU indicator and FU header");
            assert_eq!(header[0], 0x60 | 28);
            assert_eq!(header[1] & 0x80 != 0, i == 0, "start bit");
            assert_eq!(header[1] & 0x40 != 0, i == fus.len() - 1, "end bit");
            assert_eq!(header[1] & 0x1f, 5);
            assert!(fu.len() <= 1388);
            assert_eq!(fu.marker, i == fus.len() - 1);
            assert_eq!(fu.ts_offset, 0);
        }
        let body: Vec<u8> = fus.iter().flat_map(|f| f.data.to_vec()).collect();
        assert_eq!(body[..], idr[1..]);
        // The fragments are slices of the frame, not copies.
        let idr_at = frame.len() - idr.len();
        assert_eq!(fus[0].data.as_ptr(), frame[idr_at + 1..].as_ptr());
        assert!(!out[0].marker);
    }

    #[test]
    fn single_nal_units_are_zero_copy_slices() {
        let a = nal(0x41, 1000);
        let b = nal(0x41, 1000);
        let frame = annex_b(&[&a, &b]);
        let (_, out) = packetize(&frame, 1388);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].data[..], a[..]);
        // Same memory as the frame: a slice, not a copy.
        assert_eq!(out[0].data.as_ptr(), frame[4..].as_ptr());
        assert_eq!([out[0].marker, out[1].marker], [false, true]);
    }

    #[test]
    fn accepts_three_byte_start_codes_and_trailing_zeros() {
        let idr = nal(0x65, 100);
        let mut v = vec![0, 0, 1];
        v.extend_from_slice(SPS);
        v.extend_from_slice(&[0, 0, 0, 0, 1]);
        v.extend_from_slice(PPS);
        v.extend_from_slice(&[0, 0, 1]);
        v.extend_from_slice(&idr);
        v.extend_from_slice(&[0, 0]);
        let (_, units) = round_trip(&track(), 1388, &[Bytes::from(v)]);
        assert_eq!(units.len(), 1);
        assert_eq!(units[0].data, annex_b(&[SPS, PPS, &idr]));
    }

    #[test]
    fn rejects_malformed_frames() {
        let mut p = Packetizer::new(&track(), 96, 1388).unwrap();
        let mut out = Vec::new();
        assert_eq!(
            p.packetize(&Bytes::from_static(&[0x65, 1, 2]), &mut out),
            Err(PacketizeError::MissingStartCode)
        );
        assert_eq!(
            p.packetize(&Bytes::from_static(&[0, 0, 1, 0x09, 0xf0, 0, 0]), &mut out),
            Err(PacketizeError::EmptyFrame)
        );
        assert_eq!(
            p.packetize(&Bytes::from_static(&[0, 0, 0, 1, 0, 0, 1]), &mut out),
            Err(PacketizeError::EmptyFrame)
        );
        assert!(out.is_empty());
    }

    #[test]
    fn round_trips_several_access_units() {
        let frames = vec![
            annex_b(&[SPS, PPS, &nal(0x06, 30), &nal(0x65, 20_000)]),
            annex_b(&[&nal(0x41, 700)]),
            annex_b(&[&nal(0x41, 10), &nal(0x01, 12)]),
            annex_b(&[&nal(0x41, 1387), &nal(0x41, 1388), &nal(0x41, 1389)]),
        ];
        for max in [64, 200, 1388, 1500] {
            let (payloads, units) = round_trip(&track(), max, &frames);
            assert_eq!(units.len(), frames.len(), "max {max}");
            for (i, (unit, frame)) in units.iter().zip(&frames).enumerate() {
                assert_eq!(&unit.data, frame, "max {max}, frame {i}");
                assert_eq!(unit.rtp_timestamp, i as u32 * 3000);
                assert_eq!(unit.keyframe, i == 0);
                assert!(!unit.after_loss);
                let markers: Vec<bool> = payloads[i].iter().map(|p| p.marker).collect();
                assert_eq!(markers.iter().filter(|m| **m).count(), 1);
                assert_eq!(markers.last(), Some(&true));
            }
        }
    }

    #[test]
    fn loss_drops_the_access_unit() {
        let big = annex_b(&[SPS, PPS, &nal(0x65, 5000)]);
        let next = annex_b(&[&nal(0x41, 100)]);
        let mut p = Packetizer::new(&track(), 96, 1388).unwrap();
        let mut d = Depacketizer::new(&track()).unwrap();
        let mut payloads = Vec::new();
        p.packetize(&big, &mut payloads).unwrap();
        let mut packets = to_packets(&payloads, 96, 0, 0);
        packets.remove(2); // a middle FU-A
        let n = packets.len() as u16 + 1;
        let mut units = Vec::new();
        for packet in &packets {
            d.push_packet(packet, &mut units).unwrap();
        }
        assert!(units.is_empty());
        payloads.clear();
        p.packetize(&next, &mut payloads).unwrap();
        for packet in to_packets(&payloads, 96, n, 3000) {
            d.push_packet(&packet, &mut units).unwrap();
        }
        assert_eq!(units.len(), 1);
        assert_eq!(units[0].data, next);
        assert!(units[0].after_loss);
    }

    #[test]
    fn depacketizer_rejects_bad_payloads() {
        let mut d = Depacketizer::new(&track()).unwrap();
        let mut out = Vec::new();
        let mut seq = 0;
        let mut push = |payload: &'static [u8]| {
            seq += 1;
            let h = RtpHeader {
                payload_type: 96,
                marker: true,
                sequence: seq,
                timestamp: u32::from(seq),
                ssrc: 1,
            };
            d.push(&h, &Bytes::from_static(payload), &mut out)
        };
        assert!(push(&[]).is_err());
        assert_eq!(
            push(&[0x19, 1]),
            Err(DepacketizeError::UnsupportedPacketType(25))
        );
        assert_eq!(
            push(&[0x00]),
            Err(DepacketizeError::UnsupportedPacketType(0))
        );
        assert!(push(&[0x7c]).is_err(), "FU-A without FU header");
        assert!(push(&[0x78, 0, 5, 0x41]).is_err(), "STAP-A size overrun");
        assert!(
            push(&[0x7c, 0x05, 1]).is_err(),
            "FU-A continuation without start"
        );
        assert!(out.is_empty());
    }
}
