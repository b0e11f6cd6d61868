//! The fake media layer: synthetic but well-formed encoded streams.
//!
//! Video is H.264 in Annex B with 4-byte start codes: every IDR access unit
//! carries a real SPS (constrained baseline, 640x480, level 3.1) and PPS
//! written with exp-Golomb codes, then an IDR slice; the others carry one
//! non-IDR slice. Slices have a real slice header followed by seeded random
//! "macroblock" bytes, with emulation prevention, so the byte stream parses
//! like an encoder's. Sizes vary with the seed, and many frames exceed one
//! packet so FU-A fragmentation is exercised. Audio is G.711 mu-law (20 ms
//! frames) or AAC-LC (1024-sample frames with a valid AudioSpecificConfig).
//!
//! Every frame is a pure function of (stream seed, track, index), so a live
//! source reopened later, or two runs with the same seed, produce the very
//! same bytes.

use std::time::Duration;

use bytes::Bytes;
use onvif_rtsp_core::media::{AudioCodec, Codec, Frame, TrackInfo, VideoCodec};
use onvif_rtsp_core::rng::Rng;

/// Which audio track the fake sources have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AudioKind {
    /// G.711 mu-law, 8 kHz mono, 160-byte frames of 20 ms.
    Pcmu,
    /// AAC-LC, 16 kHz mono, 1024-sample frames (64 ms), config `14 08`.
    Aac,
}

/// Shape of the synthetic streams.
#[derive(Clone, Debug)]
pub struct MediaConfig {
    /// Video frames per second.
    pub fps: u32,
    /// An IDR every this many frames.
    pub gop: u32,
    /// The audio track, if any.
    pub audio: Option<AudioKind>,
    /// Smallest and largest IDR access unit, in bytes.
    pub idr_bytes: (usize, usize),
    /// Smallest and largest other access unit, in bytes.
    pub frame_bytes: (usize, usize),
    /// Stream names served as files (video on demand); the server's test
    /// pattern name is the live source; anything else is not found.
    pub files: Vec<String>,
    /// Length of every file.
    pub file_duration: Duration,
    /// How long the media layer takes to open a source.
    pub open_delay: Duration,
}

impl Default for MediaConfig {
    fn default() -> Self {
        MediaConfig {
            fps: 25,
            gop: 25,
            audio: Some(AudioKind::Pcmu),
            idr_bytes: (6000, 12_000),
            frame_bytes: (200, 2600),
            files: vec!["movie.mp4".into()],
            file_duration: Duration::from_secs(2),
            open_delay: Duration::from_millis(15),
        }
    }
}

/// AudioSpecificConfig of AAC-LC, 16 kHz, mono.
pub const AAC_CONFIG: [u8; 2] = [0x14, 0x08];
const AAC_RATE: u32 = 16_000;
const AAC_FRAME_SAMPLES: u32 = 1024;

/// One synthetic stream: its tracks and a frame generator.
#[derive(Clone, Debug)]
pub struct SyntheticStream {
    seed: u64,
    cfg: MediaConfig,
    sps: Vec<u8>,
    pps: Vec<u8>,
}

impl SyntheticStream {
    /// The stream of a given seed.
    pub fn new(seed: u64, cfg: MediaConfig) -> SyntheticStream {
        SyntheticStream {
            seed,
            cfg,
            sps: sps_640x480(),
            pps: pps(),
        }
    }

    /// Track descriptions as a media layer reports them (H.264 parameter
    /// sets travel in band, so `config` is empty for video).
    pub fn tracks(&self) -> Vec<TrackInfo> {
        let mut tracks = vec![TrackInfo {
            codec: Codec::Video(VideoCodec::H264),
            clock_rate: 90_000,
            sample_rate: 0,
            channels: 0,
            width: 640,
            height: 480,
            config: Bytes::new(),
        }];
        match self.cfg.audio {
            Some(AudioKind::Pcmu) => tracks.push(TrackInfo {
                codec: Codec::Audio(AudioCodec::Pcmu),
                clock_rate: 8000,
                sample_rate: 8000,
                channels: 1,
                width: 0,
                height: 0,
                config: Bytes::new(),
            }),
            Some(AudioKind::Aac) => tracks.push(TrackInfo {
                codec: Codec::Audio(AudioCodec::Aac),
                clock_rate: AAC_RATE,
                sample_rate: AAC_RATE,
                channels: 1,
                width: 0,
                height: 0,
                config: Bytes::from_static(&AAC_CONFIG),
            }),
            None => {}
        }
        tracks
    }

    /// Number of tracks.
    pub fn track_count(&self) -> usize {
        1 + usize::from(self.cfg.audio.is_some())
    }

    /// Presentation time of frame `index` of `track`.
    pub fn pts(&self, track: usize, index: u64) -> Duration {
        let nanos: u128 = match (track, self.cfg.audio) {
            (0, _) => u128::from(index) * 1_000_000_000 / u128::from(self.cfg.fps.max(1)),
            (_, Some(AudioKind::Aac)) => {
                u128::from(index) * u128::from(AAC_FRAME_SAMPLES) * 1_000_000_000
                    / u128::from(AAC_RATE)
            }
            _ => u128::from(index) * 20_000_000,
        };
        Duration::from_nanos(nanos as u64)
    }

    /// Frame `index` of `track`.
    pub fn frame(&self, track: usize, index: u64) -> Frame {
        let mut rng = Rng::new(
            self.seed ^ (index.wrapping_mul(0x9e37_79b9_7f4a_7c15)) ^ ((track as u64 + 1) << 56),
        );
        let pts = self.pts(track, index);
        let (keyframe, data) = if track == 0 {
            self.video_frame(index, &mut rng)
        } else {
            (true, self.audio_frame(&mut rng))
        };
        Frame {
            track,
            pts,
            dts: pts,
            keyframe,
            data,
        }
    }

    fn video_frame(&self, index: u64, rng: &mut Rng) -> (bool, Bytes) {
        let gop = u64::from(self.cfg.gop.max(1));
        let idr = index % gop == 0;
        let (lo, hi) = if idr {
            self.cfg.idr_bytes
        } else {
            self.cfg.frame_bytes
        };
        let size = lo + rng.below((hi.saturating_sub(lo) + 1) as u64) as usize;
        let mut out = Vec::with_capacity(size + 64);
        if idr {
            push_nal(&mut out, &self.sps);
            push_nal(&mut out, &self.pps);
        }
        let slice_len = size.saturating_sub(out.len() + 4).max(16);
        let slice = if idr {
            slice_nal(0x65, true, (index / gop) as u32, 0, slice_len, rng)
        } else {
            slice_nal(0x41, false, 0, (index % gop) as u32, slice_len, rng)
        };
        push_nal(&mut out, &slice);
        (idr, Bytes::from(out))
    }

    fn audio_frame(&self, rng: &mut Rng) -> Bytes {
        match self.cfg.audio {
            Some(AudioKind::Aac) => {
                let len = 120 + rng.below(180) as usize;
                Bytes::from(random_bytes(rng, len))
            }
            _ => Bytes::from(random_bytes(rng, 160)),
        }
    }
}

fn random_bytes(rng: &mut Rng, len: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(len + 8);
    while v.len() < len {
        v.extend_from_slice(&rng.next_u64().to_le_bytes());
    }
    v.truncate(len);
    v
}

fn push_nal(out: &mut Vec<u8>, nal: &[u8]) {
    out.extend_from_slice(&[0, 0, 0, 1]);
    out.extend_from_slice(nal);
}

/// An RBSP under construction, MSB first.
#[derive(Default)]
struct BitWriter {
    bytes: Vec<u8>,
    acc: u8,
    used: u8,
}

impl BitWriter {
    fn bit(&mut self, b: bool) {
        self.acc = (self.acc << 1) | u8::from(b);
        self.used += 1;
        if self.used == 8 {
            self.bytes.push(self.acc);
            self.acc = 0;
            self.used = 0;
        }
    }

    fn bits(&mut self, value: u64, n: u32) {
        for i in (0..n).rev() {
            self.bit((value >> i) & 1 == 1);
        }
    }

    /// Unsigned exp-Golomb, `ue(v)`.
    fn ue(&mut self, v: u32) {
        let x = u64::from(v) + 1;
        let len = 64 - x.leading_zeros();
        self.bits(0, len - 1);
        self.bits(x, len);
    }

    /// Signed exp-Golomb, `se(v)`.
    fn se(&mut self, v: i32) {
        let mapped = if v > 0 { 2 * v - 1 } else { -2 * v };
        self.ue(mapped as u32);
    }

    /// `rbsp_trailing_bits`, then the NAL unit: header byte and the RBSP
    /// with emulation prevention bytes.
    fn finish_nal(mut self, header: u8) -> Vec<u8> {
        self.bit(true);
        while self.used != 0 {
            self.bit(false);
        }
        let mut nal = vec![header];
        let mut zeros = 0;
        for b in self.bytes {
            if zeros >= 2 && b <= 3 {
                nal.push(3);
                zeros = 0;
            }
            nal.push(b);
            zeros = if b == 0 { zeros + 1 } else { 0 };
        }
        nal
    }
}

/// SPS: constrained baseline (profile 66, constraint_set0/1), level 3.1,
/// 640x480, frame_num in 8 bits, POC type 2, one reference frame.
fn sps_640x480() -> Vec<u8> {
    let mut w = BitWriter::default();
    w.bits(66, 8); // profile_idc
    w.bits(0xc0, 8); // constraint_set0_flag, constraint_set1_flag
    w.bits(31, 8); // level_idc
    w.ue(0); // seq_parameter_set_id
    w.ue(4); // log2_max_frame_num_minus4
    w.ue(2); // pic_order_cnt_type
    w.ue(1); // max_num_ref_frames
    w.bit(false); // gaps_in_frame_num_value_allowed_flag
    w.ue(640 / 16 - 1); // pic_width_in_mbs_minus1
    w.ue(480 / 16 - 1); // pic_height_in_map_units_minus1
    w.bit(true); // frame_mbs_only_flag
    w.bit(true); // direct_8x8_inference_flag
    w.bit(false); // frame_cropping_flag
    w.bit(false); // vui_parameters_present_flag
    w.finish_nal(0x67)
}

/// PPS: CAVLC, one slice group, deblocking control present.
fn pps() -> Vec<u8> {
    let mut w = BitWriter::default();
    w.ue(0); // pic_parameter_set_id
    w.ue(0); // seq_parameter_set_id
    w.bit(false); // entropy_coding_mode_flag
    w.bit(false); // bottom_field_pic_order_in_frame_present_flag
    w.ue(0); // num_slice_groups_minus1
    w.ue(0); // num_ref_idx_l0_default_active_minus1
    w.ue(0); // num_ref_idx_l1_default_active_minus1
    w.bit(false); // weighted_pred_flag
    w.bits(0, 2); // weighted_bipred_idc
    w.se(0); // pic_init_qp_minus26
    w.se(0); // pic_init_qs_minus26
    w.se(0); // chroma_qp_index_offset
    w.bit(true); // deblocking_filter_control_present_flag
    w.bit(false); // constrained_intra_pred_flag
    w.bit(false); // redundant_pic_cnt_present_flag
    w.finish_nal(0x68)
}

/// A slice NAL unit of about `len` bytes: a real header, random data.
fn slice_nal(
    header: u8,
    idr: bool,
    idr_pic_id: u32,
    frame_num: u32,
    len: usize,
    rng: &mut Rng,
) -> Vec<u8> {
    let mut w = BitWriter::default();
    w.ue(0); // first_mb_in_slice
    w.ue(if idr { 7 } else { 5 }); // slice_type: all I / all P
    w.ue(0); // pic_parameter_set_id
    w.bits(u64::from(frame_num & 0xff), 8); // frame_num
    if idr {
        w.ue(idr_pic_id & 0xffff); // idr_pic_id
        w.bit(false); // no_output_of_prior_pics_flag
        w.bit(false); // long_term_reference_flag
    } else {
        w.bit(false); // num_ref_idx_active_override_flag
        w.bit(false); // ref_pic_list_modification_flag_l0
        w.bit(false); // adaptive_ref_pic_marking_mode_flag
    }
    w.se(0); // slice_qp_delta
    w.ue(0); // disable_deblocking_filter_idc
    w.se(0); // slice_alpha_c0_offset_div2
    w.se(0); // slice_beta_offset_div2
    for b in random_bytes(rng, len) {
        w.bits(u64::from(b), 8);
    }
    w.finish_nal(header)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_sets_are_the_usual_bytes() {
        assert_eq!(pps(), [0x68, 0xce, 0x3c, 0x80]);
        let sps = sps_640x480();
        assert_eq!(sps[..4], [0x67, 0x42, 0xc0, 0x1f]);
    }

    #[test]
    fn frames_are_deterministic_and_well_formed() {
        let s = SyntheticStream::new(7, MediaConfig::default());
        let a = s.frame(0, 0);
        assert_eq!(a, s.frame(0, 0));
        assert!(a.keyframe);
        assert_eq!(a.data[..5], [0, 0, 0, 1, 0x67]);
        assert_ne!(
            s.frame(0, 1).data,
            SyntheticStream::new(8, MediaConfig::default())
                .frame(0, 1)
                .data
        );
        let p = s.frame(0, 3);
        assert!(!p.keyframe);
        assert_eq!(p.data[..5], [0, 0, 0, 1, 0x41]);
        assert_eq!(p.pts, Duration::from_millis(120));
        // No start code inside a NAL unit, no NAL unit ending in zero.
        for i in 0..50 {
            let f = s.frame(0, i);
            let starts = f.data.windows(3).filter(|w| *w == [0, 0, 1]).count();
            assert_eq!(starts, if f.keyframe { 3 } else { 1 });
            assert_ne!(*f.data.last().unwrap(), 0);
        }
        let big = (0..50).filter(|i| s.frame(0, *i).data.len() > 1400).count();
        assert!(big > 10, "FU-A is exercised");
        assert_eq!(s.frame(1, 2).data.len(), 160);
        assert_eq!(s.frame(1, 2).pts, Duration::from_millis(40));
    }
}
