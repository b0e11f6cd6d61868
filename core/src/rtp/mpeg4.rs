//! MPEG-4 Part 2 visual over RTP, RFC 3016 (`MP4V-ES`).
//!
//! The payload is the elementary stream itself, cut at `max_payload`; the
//! configuration (VOS, VO and VOL headers) travels in the SDP `config=`
//! parameter and stays in-band in keyframes, as encoders emit it.

use bytes::Bytes;

use super::annexb::find_start_code;
use super::depacketizer::{AccessUnit, DepacketizeError};
use super::header::RtpHeader;
use super::packetizer::{PacketizeError, SdpMedia, hex_upper, mark_last};
use super::reassembly::{MAX_UNIT_SIZE, Reassembler, UnitBuilder};
use super::{PayloadPrefix, RtpPayload};
use crate::media::TrackInfo;

/// Start code values (the byte after `00 00 01`), ISO/IEC 14496-2 table 6-3.
mod start_code {
    pub const VOS: u8 = 0xb0;
    pub const GOV: u8 = 0xb3;
    pub const VOP: u8 = 0xb6;
    pub const VOL_FIRST: u8 = 0x20;
    pub const VOL_LAST: u8 = 0x2f;
}

/// The profile-level-id RFC 3016 assumes when none is given: Simple
/// Profile, Level 1.
const DEFAULT_PROFILE_LEVEL: u8 = 1;

/// Iterates over the start codes of `data`: (offset of `00 00 01`, code byte).
fn start_codes(data: &[u8]) -> impl Iterator<Item = (usize, u8)> + '_ {
    let mut from = 0;
    std::iter::from_fn(move || {
        let at = find_start_code(data, from)?;
        from = at + 3;
        Some((at, *data.get(at + 3)?))
    })
}

/// The configuration headers in front of a frame's first GOV or VOP, when
/// they include a VOL header.
fn config_prefix(frame: &Bytes) -> Option<Bytes> {
    let mut has_vol = false;
    for (at, code) in start_codes(frame) {
        match code {
            start_code::VOL_FIRST..=start_code::VOL_LAST => has_vol = true,
            start_code::GOV | start_code::VOP => {
                return (has_vol && at > 0).then(|| frame.slice(..at));
            }
            _ => {}
        }
    }
    None
}

/// The `profile_and_level_indication` of a VOS header, if present.
fn profile_level(config: &[u8]) -> Option<u8> {
    let (at, _) = start_codes(config).find(|&(_, code)| code == start_code::VOS)?;
    config.get(at + 4).copied()
}

/// Packetizes MPEG-4 visual frames; use it through
/// [`Packetizer`](super::Packetizer).
#[derive(Clone, Debug)]
pub struct Mpeg4Packetizer {
    payload_type: u8,
    max_payload: usize,
    /// `TrackInfo::config`, or the headers found in front of the first
    /// frame that had them.
    config: Option<Bytes>,
}

impl Mpeg4Packetizer {
    pub(crate) fn new(track: &TrackInfo, payload_type: u8, max_payload: usize) -> Self {
        Mpeg4Packetizer {
            payload_type,
            max_payload,
            config: (!track.config.is_empty()).then(|| track.config.clone()),
        }
    }

    pub(crate) fn payload_type(&self) -> u8 {
        self.payload_type
    }

    pub(crate) fn packetize(
        &mut self,
        frame: &Bytes,
        out: &mut Vec<RtpPayload>,
    ) -> Result<(), PacketizeError> {
        if !frame.starts_with(&[0, 0, 1]) {
            return Err(PacketizeError::MissingStartCode);
        }
        if self.config.is_none() {
            self.config = config_prefix(frame);
        }
        // RFC 3016 section 3.2 allows splitting a VOP anywhere; the receiver
        // just concatenates. Slices of the frame, no copy.
        let start = out.len();
        let mut offset = 0;
        while offset < frame.len() {
            let end = usize::min(offset + self.max_payload, frame.len());
            out.push(RtpPayload {
                prefix: PayloadPrefix::EMPTY,
                data: frame.slice(offset..end),
                marker: false,
                ts_offset: 0,
            });
            offset = end;
        }
        mark_last(out, start);
        Ok(())
    }

    pub(crate) fn sdp_media(&self) -> Option<SdpMedia> {
        let config = self.config.as_ref()?;
        let profile = profile_level(config).unwrap_or(DEFAULT_PROFILE_LEVEL);
        Some(SdpMedia {
            media: "video",
            payload_type: self.payload_type,
            rtpmap: "MP4V-ES/90000".into(),
            fmtp: Some(format!(
                "profile-level-id={profile};config={}",
                hex_upper(config)
            )),
            extra: Vec::new(),
        })
    }
}

/// Concatenates the payloads of one frame.
#[derive(Clone, Debug, Default)]
struct Mpeg4Unit {
    buf: Vec<u8>,
}

impl UnitBuilder for Mpeg4Unit {
    fn append(&mut self, payload: &Bytes) -> Result<(), DepacketizeError> {
        if self.buf.len() + payload.len() > MAX_UNIT_SIZE {
            return Err(DepacketizeError::UnitTooLarge);
        }
        self.buf.extend_from_slice(payload);
        Ok(())
    }

    fn finish(&mut self) -> Option<(Bytes, bool)> {
        let buf = std::mem::take(&mut self.buf);
        if buf.is_empty() {
            return None;
        }
        // An I-VOP has vop_coding_type 00 in the two bits after the start code.
        let keyframe = start_codes(&buf)
            .find(|&(_, code)| code == start_code::VOP)
            .and_then(|(at, _)| buf.get(at + 4))
            .is_some_and(|b| b >> 6 == 0);
        Some((Bytes::from(buf), keyframe))
    }

    fn discard(&mut self) {
        self.buf.clear();
    }
}

/// Rebuilds MPEG-4 visual frames; use it through
/// [`Depacketizer`](super::Depacketizer).
#[derive(Clone, Debug)]
pub struct Mpeg4Depacketizer {
    inner: Reassembler<Mpeg4Unit>,
}

impl Mpeg4Depacketizer {
    pub(crate) fn new() -> Self {
        Mpeg4Depacketizer {
            inner: Reassembler::new(Mpeg4Unit::default()),
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
    use crate::rtp::depacketizer::test_util::round_trip;

    /// VOS (Simple Profile L3, 0x03), VO and a VOL header, as ffmpeg writes them.
    const CONFIG: &[u8] = &[
        0x00, 0x00, 0x01, 0xb0, 0x03, 0x00, 0x00, 0x01, 0xb5, 0x09, 0x00, 0x00, 0x01, 0x00, 0x00,
        0x00, 0x01, 0x20, 0x00, 0x84, 0x5d, 0x4c, 0x28, 0x50, 0x20, 0xf0, 0xa2, 0x1f,
    ];

    fn track(config: &'static [u8]) -> TrackInfo {
        TrackInfo {
            codec: Codec::Video(VideoCodec::Mpeg4),
            clock_rate: 90_000,
            sample_rate: 0,
            channels: 0,
            width: 320,
            height: 240,
            config: Bytes::from_static(config),
        }
    }

    fn vop(coding_type: u8, len: usize) -> Vec<u8> {
        let mut v = vec![0, 0, 1, 0xb6, coding_type << 6];
        v.extend((5..len).map(|i| (i % 200 + 20) as u8));
        v
    }

    #[test]
    fn sdp_from_track_config() {
        let p = Packetizer::new(&track(CONFIG), 96, 1388).unwrap();
        let sdp = p.sdp_media().unwrap();
        assert_eq!(sdp.rtpmap, "MP4V-ES/90000");
        assert_eq!(
            sdp.fmtp.as_deref(),
            Some(
                "profile-level-id=3;config=000001B003000001B50900000100000001200084\
                 5D4C285020F0A21F"
            )
        );
    }

    #[test]
    fn sdp_from_first_frame_with_headers() {
        let mut p = Packetizer::new(&track(&[]), 96, 1388).unwrap();
        assert_eq!(p.sdp_media(), None);
        let mut out = Vec::new();
        p.packetize(&Bytes::from(vop(1, 100)), &mut out).unwrap();
        assert_eq!(p.sdp_media(), None, "a P-VOP has no configuration");
        // A VOL without VOS: default profile-level-id.
        let mut frame = CONFIG[14..].to_vec();
        frame.extend_from_slice(&vop(0, 100));
        p.packetize(&Bytes::from(frame), &mut out).unwrap();
        let fmtp = p.sdp_media().unwrap().fmtp.unwrap();
        assert_eq!(
            fmtp,
            format!("profile-level-id=1;config={}", hex_upper(&CONFIG[14..]))
        );
    }

    #[test]
    fn fragments_at_max_payload_as_slices() {
        let frame = Bytes::from(vop(0, 3000));
        let mut p = Packetizer::new(&track(CONFIG), 96, 1000).unwrap();
        let mut out = Vec::new();
        p.packetize(&frame, &mut out).unwrap();
        assert_eq!(
            out.iter().map(|p| p.data.len()).collect::<Vec<_>>(),
            [1000, 1000, 1000]
        );
        assert_eq!(
            out.iter().map(|p| p.marker).collect::<Vec<_>>(),
            [false, false, true]
        );
        assert_eq!(out[1].data.as_ptr(), frame[1000..].as_ptr());
    }

    #[test]
    fn rejects_frames_without_start_code() {
        let mut p = Packetizer::new(&track(CONFIG), 96, 1388).unwrap();
        let mut out = Vec::new();
        assert_eq!(
            p.packetize(&Bytes::from_static(&[1, 2, 3]), &mut out),
            Err(PacketizeError::MissingStartCode)
        );
    }

    #[test]
    fn round_trips() {
        let mut first = CONFIG.to_vec();
        first.extend_from_slice(&vop(0, 4000));
        let frames = [
            Bytes::from(first),
            Bytes::from(vop(1, 1388)),
            Bytes::from(vop(1, 10)),
        ];
        let (_, units) = round_trip(&track(&[]), 1388, &frames);
        assert_eq!(units.len(), 3);
        for (u, f) in units.iter().zip(&frames) {
            assert_eq!(&u.data, f);
        }
        assert_eq!(
            units.iter().map(|u| u.keyframe).collect::<Vec<_>>(),
            [true, false, false]
        );
    }
}
