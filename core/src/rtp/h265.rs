//! H.265 over RTP, RFC 7798, without DON (`sprop-max-don-diff` = 0):
//! single NAL unit packets, aggregation packets (AP) and fragmentation
//! units (FU).

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

/// NAL unit types (H.265 table 7-1) and payload types (RFC 7798 section 4.4).
mod nal_type {
    pub const IRAP_FIRST: u8 = 16;
    pub const IRAP_LAST: u8 = 23;
    pub const VPS: u8 = 32;
    pub const SPS: u8 = 33;
    pub const PPS: u8 = 34;
    pub const AUD: u8 = 35;
    pub const AP: u8 = 48;
    pub const FU: u8 = 49;
}

/// The NAL unit type from the first header byte.
fn nal_type(first: u8) -> u8 {
    (first >> 1) & 0x3f
}

fn is_irap(t: u8) -> bool {
    (nal_type::IRAP_FIRST..=nal_type::IRAP_LAST).contains(&t)
}

/// RFC 7798 header bytes for the shared NAL packetizing loop.
struct H265Syntax;

impl NalSyntax for H265Syntax {
    const HEADER_LEN: usize = 2;
    const FU_OVERHEAD: usize = 3;

    fn aggregation_header<'a>(nals: impl Iterator<Item = &'a [u8]>) -> [u8; 2] {
        // F is the OR of the F bits; LayerId and TID are the lowest of the
        // aggregated units' (RFC 7798 section 4.4.2).
        let (mut f, mut layer, mut tid) = (0u8, u8::MAX, u8::MAX);
        for nal in nals {
            f |= nal[0] & 0x80;
            layer = layer.min(((nal[0] & 1) << 5) | (nal[1] >> 3));
            tid = tid.min(nal[1] & 0x07);
        }
        [
            f | (nal_type::AP << 1) | (layer >> 5),
            ((layer & 0x1f) << 3) | tid,
        ]
    }

    fn fu_header(nal: &[u8], start: bool, end: bool) -> [u8; 3] {
        // The payload header copies F, LayerId and TID from the NAL unit.
        let fu = (u8::from(start) << 7) | (u8::from(end) << 6) | nal_type(nal[0]);
        [(nal[0] & 0x81) | (nal_type::FU << 1), nal[1], fu]
    }
}

/// Packetizes H.265 access units; use it through
/// [`Packetizer`](super::Packetizer).
///
/// It remembers the latest VPS, SPS and PPS it saw in frames (or in
/// `TrackInfo::config`, if that holds Annex B parameter sets) for the SDP.
#[derive(Clone, Debug)]
pub struct H265Packetizer {
    payload_type: u8,
    max_payload: usize,
    vps: Option<Bytes>,
    sps: Option<Bytes>,
    pps: Option<Bytes>,
    /// Scratch list of the current frame's NAL units, kept to reuse its allocation.
    nals: Vec<Range<usize>>,
}

impl H265Packetizer {
    pub(crate) fn new(track: &TrackInfo, payload_type: u8, max_payload: usize) -> Self {
        let mut p = H265Packetizer {
            payload_type,
            max_payload,
            vps: None,
            sps: None,
            pps: None,
            nals: Vec::new(),
        };
        if !track.config.is_empty() {
            let mut nals = Vec::new();
            if split_nal_units(&track.config, &mut nals).is_ok() {
                for r in nals.into_iter().filter(|r| r.len() >= 2) {
                    p.learn(&track.config.slice(r));
                }
            }
        }
        p
    }

    pub(crate) fn payload_type(&self) -> u8 {
        self.payload_type
    }

    /// Remembers parameter sets for the SDP (`nal` is at least 2 bytes).
    fn learn(&mut self, nal: &Bytes) {
        // A parameter set is more than its 2-byte header.
        if nal.len() < 3 {
            return;
        }
        match nal_type(nal[0]) {
            nal_type::VPS => self.vps = Some(nal.clone()),
            nal_type::SPS => self.sps = Some(nal.clone()),
            nal_type::PPS => self.pps = Some(nal.clone()),
            _ => {}
        }
    }

    pub(crate) fn packetize(
        &mut self,
        frame: &Bytes,
        out: &mut Vec<RtpPayload>,
    ) -> Result<(), PacketizeError> {
        let mut nals = std::mem::take(&mut self.nals);
        let result = self.collect(frame, &mut nals).map(|()| {
            packetize_nal_units::<H265Syntax>(frame, &nals, self.max_payload, out);
        });
        self.nals = nals;
        result
    }

    /// Finds the frame's NAL units, drops delimiters and learns parameter sets.
    fn collect(
        &mut self,
        frame: &Bytes,
        nals: &mut Vec<Range<usize>>,
    ) -> Result<(), PacketizeError> {
        split_nal_units(frame, nals)?;
        if let Some(short) = nals.iter().find(|r| r.len() < 2) {
            return Err(PacketizeError::InvalidNalUnit {
                offset: short.start,
            });
        }
        nals.retain(|r| nal_type(frame[r.start]) != nal_type::AUD);
        if nals.is_empty() {
            return Err(PacketizeError::EmptyFrame);
        }
        for r in nals.iter() {
            self.learn(&frame.slice(r.clone()));
        }
        Ok(())
    }

    pub(crate) fn sdp_media(&self) -> Option<SdpMedia> {
        let (vps, sps, pps) = (self.vps.as_ref()?, self.sps.as_ref()?, self.pps.as_ref()?);
        Some(SdpMedia {
            media: "video",
            payload_type: self.payload_type,
            rtpmap: "H265/90000".into(),
            fmtp: Some(format!(
                "sprop-vps={};sprop-sps={};sprop-pps={}",
                BASE64.encode(vps),
                BASE64.encode(sps),
                BASE64.encode(pps)
            )),
            extra: Vec::new(),
        })
    }
}

/// Builds one H.265 access unit from single NAL unit, AP and FU payloads.
#[derive(Clone, Debug, Default)]
struct H265Unit {
    writer: AnnexBWriter,
    keyframe: bool,
}

impl H265Unit {
    fn push_nal(&mut self, nal: &[u8]) -> Result<(), DepacketizeError> {
        if nal.len() < 2 {
            return Err(DepacketizeError::Truncated("H.265 NAL unit header"));
        }
        self.keyframe |= is_irap(nal_type(nal[0]));
        self.writer.push_nal(nal)
    }
}

impl UnitBuilder for H265Unit {
    fn append(&mut self, payload: &Bytes) -> Result<(), DepacketizeError> {
        let [h0, h1, rest @ ..] = &payload[..] else {
            return Err(DepacketizeError::Truncated("H.265 payload header"));
        };
        match nal_type(*h0) {
            0..=47 => self.push_nal(payload),
            nal_type::AP => for_each_aggregated(rest, |nal| self.push_nal(nal)),
            nal_type::FU => {
                let [fu, data @ ..] = rest else {
                    return Err(DepacketizeError::Truncated("H.265 FU header"));
                };
                let t = fu & 0x3f;
                self.keyframe |= is_irap(t);
                let header = [(h0 & 0x81) | (t << 1), *h1];
                self.writer
                    .push_fragment(&header, fu & 0x80 != 0, fu & 0x40 != 0, data)
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

/// Rebuilds H.265 access units (Annex B, 4-byte start codes); use it
/// through [`Depacketizer`](super::Depacketizer).
#[derive(Clone, Debug)]
pub struct H265Depacketizer {
    inner: Reassembler<H265Unit>,
}

impl H265Depacketizer {
    pub(crate) fn new() -> Self {
        H265Depacketizer {
            inner: Reassembler::new(H265Unit::default()),
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
    use crate::rtp::depacketizer::test_util::round_trip;

    // VPS, SPS and PPS of a 320x240 Main-profile stream from x265.
    const VPS: &[u8] = &[
        0x40, 0x01, 0x0c, 0x01, 0xff, 0xff, 0x04, 0x08, 0x00, 0x00, 0x03, 0x00, 0x98, 0x08, 0x00,
        0x00, 0x03, 0x00, 0x00, 0x3f, 0x95, 0x98, 0x09,
    ];
    const SPS: &[u8] = &[
        0x42, 0x01, 0x01, 0x04, 0x08, 0x00, 0x00, 0x03, 0x00, 0x98, 0x08, 0x00, 0x00, 0x03, 0x00,
        0x00, 0x3f, 0x90, 0x01, 0x41, 0x01, 0xe2, 0x29, 0x4b, 0x2b, 0x34, 0x92, 0x65, 0x7f, 0xf8,
        0x00, 0x08, 0x00, 0x0b, 0x50, 0x60, 0x60, 0x60, 0x40, 0x00, 0x00, 0x03, 0x00, 0x40, 0x00,
        0x00, 0x07, 0x82,
    ];
    const PPS: &[u8] = &[0x44, 0x01, 0xc1, 0x72, 0xb4, 0x62, 0x40];

    fn track() -> TrackInfo {
        TrackInfo {
            codec: Codec::Video(VideoCodec::H265),
            clock_rate: 90_000,
            sample_rate: 0,
            channels: 0,
            width: 320,
            height: 240,
            config: Bytes::new(),
        }
    }

    /// A NAL unit with the given 2-byte header and no zero bytes after it.
    fn nal(h0: u8, h1: u8, len: usize) -> Vec<u8> {
        let mut v = vec![h0, h1];
        v.extend((2..len).map(|i| (i * 13 % 251 + 1) as u8));
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

    #[test]
    fn sdp_has_all_three_parameter_sets() {
        let mut p = Packetizer::new(&track(), 98, 1388).unwrap();
        let mut out = Vec::new();
        p.packetize(&annex_b(&[VPS, SPS, &nal(0x28, 0x01, 40)]), &mut out)
            .unwrap();
        assert_eq!(p.sdp_media(), None, "no PPS yet");
        p.packetize(&annex_b(&[PPS, &nal(0x02, 0x01, 40)]), &mut out)
            .unwrap();
        let sdp = p.sdp_media().unwrap();
        assert_eq!(sdp.rtpmap, "H265/90000");
        assert_eq!(sdp.payload_type, 98);
        assert_eq!(
            sdp.fmtp.as_deref(),
            Some(
                "sprop-vps=QAEMAf//BAgAAAMAmAgAAAMAAD+VmAk=;\
                 sprop-sps=QgEBBAgAAAMAmAgAAAMAAD+QAUEB4ilLKzSSZX/4AAgAC1BgYGBAAAADAEAAAAeC;\
                 sprop-pps=RAHBcrRiQA=="
            )
        );
    }

    #[test]
    fn aggregation_and_fragmentation_headers() {
        // IDR_N_LP (20), TID 1; AUD (35) dropped.
        let idr = nal(0x28, 0x01, 3000);
        let frame = annex_b(&[&[0x46, 0x01, 0x50], VPS, SPS, PPS, &idr]);
        let mut p = Packetizer::new(&track(), 96, 1388).unwrap();
        let mut out = Vec::new();
        p.packetize(&frame, &mut out).unwrap();
        assert_eq!(out[0].data[..2], [48 << 1, 0x01], "AP header");
        let fus = &out[1..];
        assert_eq!(fus.len(), 3); // 2998 body bytes in 1385-byte pieces
        for (i, fu) in fus.iter().enumerate() {
            let header = fu.prefix.as_slice();
            assert_eq!(header[..2], [49 << 1, 0x01]);
            let expect = (u8::from(i == 0) << 7) | (u8::from(i == 2) << 6) | 20;
            assert_eq!(header[2..], [expect]);
            assert_eq!(fu.marker, i == 2);
        }
    }

    #[test]
    fn rejects_one_byte_nal_unit() {
        let mut p = Packetizer::new(&track(), 96, 1388).unwrap();
        let mut out = Vec::new();
        assert_eq!(
            p.packetize(
                &Bytes::from_static(&[0, 0, 1, 0x40, 0x01, 0, 0, 1, 0x26]),
                &mut out
            ),
            Err(PacketizeError::InvalidNalUnit { offset: 8 })
        );
    }

    #[test]
    fn round_trips() {
        let frames = vec![
            annex_b(&[VPS, SPS, PPS, &nal(0x4e, 0x01, 100), &nal(0x26, 0x01, 9000)]),
            annex_b(&[&nal(0x02, 0x01, 500)]),
            annex_b(&[&nal(0x02, 0x01, 5), &nal(0x02, 0x01, 6)]),
        ];
        for max in [64, 1388] {
            let (_, units) = round_trip(&track(), max, &frames);
            assert_eq!(units.len(), 3);
            for (i, (u, f)) in units.iter().zip(&frames).enumerate() {
                assert_eq!(&u.data, f, "max {max} frame {i}");
                assert_eq!(u.keyframe, i == 0);
            }
        }
    }

    #[test]
    fn depacketizer_rejects_bad_payloads() {
        let mut d = Depacketizer::new(&track()).unwrap();
        let mut out = Vec::new();
        for (seq, payload) in [
            &[0x40][..],
            &[0x64, 0x01],             // PACI (50)
            &[0x62, 0x01],             // FU without FU header
            &[0x62, 0x01, 0x14],       // FU continuation without start
            &[0x60, 0x01, 0, 9],       // AP size overrun
            &[0x60, 0x01, 0, 1, 0x26], // AP with a 1-byte NAL unit
        ]
        .iter()
        .enumerate()
        {
            let h = RtpHeader {
                payload_type: 96,
                marker: true,
                sequence: seq as u16,
                timestamp: seq as u32,
                ssrc: 1,
            };
            assert!(
                d.push(&h, &Bytes::copy_from_slice(payload), &mut out)
                    .is_err(),
                "{payload:?}"
            );
        }
        assert!(out.is_empty());
    }
}
