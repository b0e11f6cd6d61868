//! Passthrough or transcode: the decision for one stream, as pure logic.
//!
//! A stream passes through untouched when its codec is one the server sends
//! and equals the wanted codec (or none is asked), and nothing about its shape
//! (size and rate for video; sample rate and channels for audio) is asked to
//! change. Asking for the value the stream already has is not a change.
//! Everything else is decoded and re-encoded.

use onvif_rtsp_core::media::{AudioCodec, AudioOutput, Codec, VideoCodec, VideoOutput};

use crate::caps::{AudioProps, VideoProps};

/// The codec a video stream gets when its own cannot be sent (VP8/9, AV1,
/// MPEG-2, raw, ...) and no codec is asked: the one every client decodes.
pub(crate) const DEFAULT_VIDEO_CODEC: VideoCodec = VideoCodec::H264;

/// The codec an audio stream gets when its own cannot be sent (MP3, Vorbis,
/// FLAC, raw PCM from a WAV file, ...) and no codec is asked. AAC keeps the
/// source's sample rate and channels, where G.711 would squeeze a WAV file to
/// 8 kHz mono telephone quality; ask for G.711 explicitly to get that.
pub(crate) const DEFAULT_AUDIO_CODEC: AudioCodec = AudioCodec::Aac;

/// Key frame interval used when neither the output nor the source says a rate.
const FALLBACK_GOP: u32 = 25;

/// What to do with a video stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum VideoPlan {
    /// Re-frame only (parser to the core's elementary format).
    Passthrough(VideoCodec),
    /// Decode (if encoded), convert and encode.
    Transcode(VideoTarget),
}

/// The encoder settings of a transcoded video stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct VideoTarget {
    pub codec: VideoCodec,
    /// Output width; `None` keeps the source's (or follows the aspect ratio).
    pub width: Option<u32>,
    /// Output height; `None` keeps the source's (or follows the aspect ratio).
    pub height: Option<u32>,
    /// Output frame rate; `None` keeps the source's timing.
    pub framerate: Option<u32>,
    /// Encoder bit rate in kbit/s; `None` uses the encoder's default.
    pub bitrate_kbps: Option<u32>,
    /// Frames between key frames (one second of video).
    pub keyint: u32,
}

impl VideoPlan {
    /// The codec the stream's frames will have.
    pub(crate) fn codec(&self) -> Codec {
        match self {
            VideoPlan::Passthrough(c) => Codec::Video(*c),
            VideoPlan::Transcode(t) => Codec::Video(t.codec),
        }
    }
}

/// Encoders and 4:2:0 chroma need even picture sizes; round down, at least 2.
fn even(v: u32) -> u32 {
    (v & !1).max(2)
}

/// Decides what happens to a video stream with `source` codec and `props`.
pub(crate) fn plan_video(
    source: Option<VideoCodec>,
    props: VideoProps,
    want: &VideoOutput,
) -> VideoPlan {
    let changes = |asked: Option<u32>, have: Option<u32>| asked.is_some_and(|a| Some(a) != have);
    let reshaped = changes(want.width, props.width)
        || changes(want.height, props.height)
        || changes(want.framerate, props.fps);
    let codec = want.codec.or(source).unwrap_or(DEFAULT_VIDEO_CODEC);
    if source == Some(codec) && !reshaped {
        return VideoPlan::Passthrough(codec);
    }
    let framerate = want.framerate.filter(|f| *f > 0);
    VideoPlan::Transcode(VideoTarget {
        codec,
        width: want.width.map(even),
        height: want.height.map(even),
        framerate,
        bitrate_kbps: want.bitrate_kbps.filter(|b| *b > 0),
        keyint: want
            .keyframe_interval
            .filter(|k| *k > 0)
            .or(framerate)
            .or(props.fps)
            .unwrap_or(FALLBACK_GOP),
    })
}

/// What to do with an audio stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AudioPlan {
    /// Re-frame only.
    Passthrough(AudioCodec),
    /// Decode (if encoded), convert, resample and encode.
    Transcode(AudioTarget),
}

/// The encoder settings of a transcoded audio stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct AudioTarget {
    pub codec: AudioCodec,
    /// Output sample rate; `None` keeps the source's.
    pub rate: Option<u32>,
    /// Output channels; `None` keeps the source's.
    pub channels: Option<u32>,
    /// Encoder bit rate in kbit/s (AAC, Opus); `None` uses the encoder's default.
    pub bitrate_kbps: Option<u32>,
}

impl AudioPlan {
    /// The codec the stream's frames will have.
    pub(crate) fn codec(&self) -> Codec {
        match self {
            AudioPlan::Passthrough(c) => Codec::Audio(*c),
            AudioPlan::Transcode(t) => Codec::Audio(t.codec),
        }
    }
}

/// The sample rate a codec gets when nothing else decides it (the test tone).
pub(crate) fn default_rate(codec: AudioCodec) -> u32 {
    match codec {
        AudioCodec::Pcma | AudioCodec::Pcmu | AudioCodec::G726 { .. } => 8000,
        AudioCodec::G722 => 16_000,
        AudioCodec::Aac | AudioCodec::Opus => 48_000,
    }
}

/// Decides what happens to an audio stream with `source` codec and `props`.
pub(crate) fn plan_audio(
    source: Option<AudioCodec>,
    props: AudioProps,
    want: &AudioOutput,
) -> AudioPlan {
    let want_channels = want.channels.map(u32::from).filter(|c| *c > 0);
    let want_rate = want.sample_rate.filter(|r| *r > 0);
    let reshaped = want_rate.is_some_and(|r| Some(r) != props.rate)
        || want_channels.is_some_and(|c| Some(c) != props.channels);
    let codec = want.codec.or(source).unwrap_or(DEFAULT_AUDIO_CODEC);
    // Formats a codec can only be sent in, whatever the source has.
    let fits = match codec {
        AudioCodec::G722 => props.rate == Some(16_000) && props.channels == Some(1),
        // The bit order of G.726 in files is not reliably RFC 3551's, and it
        // is cheap to re-encode: always go through our own encoder.
        AudioCodec::G726 { .. } => false,
        _ => true,
    };
    if source == Some(codec) && !reshaped && fits {
        return AudioPlan::Passthrough(codec);
    }
    let (rate, channels) = match codec {
        AudioCodec::G722 => (Some(16_000), Some(1)),
        AudioCodec::G726 { .. } => (Some(8000), Some(1)),
        // RFC 7587 carries at most stereo at 48 kHz.
        AudioCodec::Opus => (
            Some(48_000),
            Some(want_channels.or(props.channels).unwrap_or(2).clamp(1, 2)),
        ),
        // G.711 is telephone audio: 8 kHz mono unless asked otherwise.
        AudioCodec::Pcma | AudioCodec::Pcmu => {
            (want_rate.or(Some(8000)), want_channels.or(Some(1)))
        }
        AudioCodec::Aac => (want_rate, want_channels),
    };
    AudioPlan::Transcode(AudioTarget {
        codec,
        rate,
        channels,
        bitrate_kbps: want.bitrate_kbps.filter(|b| *b > 0),
    })
}

/// The audio codec of live sources (the test tone, audio capture devices)
/// when none is asked: G.711 mu-law, what IP cameras send.
pub(crate) const DEFAULT_LIVE_AUDIO_CODEC: AudioCodec = AudioCodec::Pcmu;

/// The encoder settings of a live raw audio source (the test tone, a
/// microphone): the wanted codec or G.711 mu-law, at the codec's usual rate
/// and `channels` unless asked otherwise, within each codec's constraints.
/// Everything is fixed, so the source is asked for exactly this format.
pub(crate) fn live_audio_target(want: &AudioOutput, channels: u32) -> AudioTarget {
    let codec = want.codec.unwrap_or(DEFAULT_LIVE_AUDIO_CODEC);
    let natural = AudioProps {
        rate: Some(default_rate(codec)),
        channels: Some(channels),
    };
    let want = AudioOutput {
        codec: Some(codec),
        ..*want
    };
    let target = match plan_audio(None, natural, &want) {
        AudioPlan::Transcode(t) => t,
        // A raw source never passes through; keep the compiler's exhaustiveness.
        AudioPlan::Passthrough(codec) => AudioTarget {
            codec,
            rate: None,
            channels: None,
            bitrate_kbps: None,
        },
    };
    AudioTarget {
        rate: Some(
            target
                .rate
                .unwrap_or(default_rate(codec))
                .clamp(8000, 192_000),
        ),
        channels: Some(target.channels.unwrap_or(channels).clamp(1, 8)),
        ..target
    }
}

/// The encoder settings of a live raw picture (a screen, a window, a camera)
/// of `size` (`None` when unknown before it runs: cameras).
///
/// The codec defaults to H.264 and the frame rate to `default_fps`. The
/// picture keeps its size unless asked, made even (4:2:0 encoders need
/// that); asking for only a width or only a height keeps the aspect ratio.
/// One key frame per second unless a GOP length is asked, so a new reader
/// of the shared stream starts within a second.
pub(crate) fn capture_video_target(
    want: &VideoOutput,
    size: Option<(u32, u32)>,
    default_fps: u32,
) -> VideoTarget {
    let fit = |v: u32| (v & !1).clamp(16, 8192);
    let scaled = |v: u32, num: u32, den: u32| {
        fit(u32::try_from(u64::from(v) * u64::from(num) / u64::from(den.max(1))).unwrap_or(v))
    };
    let (width, height) = match (want.width, want.height, size) {
        (Some(w), Some(h), _) => (Some(fit(w)), Some(fit(h))),
        (Some(w), None, Some((sw, sh))) => (Some(fit(w)), Some(scaled(w, sh, sw))),
        (None, Some(h), Some((sw, sh))) => (Some(scaled(h, sw, sh)), Some(fit(h))),
        (None, None, Some((sw, sh))) => (Some(fit(sw)), Some(fit(sh))),
        (w, h, None) => (w.map(fit), h.map(fit)),
    };
    let framerate = want
        .framerate
        .filter(|f| *f > 0)
        .unwrap_or(default_fps)
        .clamp(1, 120);
    VideoTarget {
        codec: want.codec.unwrap_or(DEFAULT_VIDEO_CODEC),
        width,
        height,
        framerate: Some(framerate),
        bitrate_kbps: want.bitrate_kbps.filter(|b| *b > 0),
        keyint: want
            .keyframe_interval
            .filter(|k| *k > 0)
            .unwrap_or(framerate),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VGA: VideoProps = VideoProps {
        width: Some(640),
        height: Some(480),
        fps: Some(25),
    };

    #[test]
    fn video_passthrough_when_nothing_changes() {
        let h264 = Some(VideoCodec::H264);
        assert_eq!(
            plan_video(h264, VGA, &VideoOutput::default()),
            VideoPlan::Passthrough(VideoCodec::H264)
        );
        let same = VideoOutput {
            codec: h264,
            width: Some(640),
            framerate: Some(25),
            bitrate_kbps: Some(500),
            ..Default::default()
        };
        assert_eq!(
            plan_video(h264, VGA, &same),
            VideoPlan::Passthrough(VideoCodec::H264)
        );
    }

    #[test]
    fn video_transcodes_on_codec_or_shape_change() {
        let want = VideoOutput {
            codec: Some(VideoCodec::H265),
            width: Some(641),
            height: Some(360),
            ..Default::default()
        };
        let VideoPlan::Transcode(t) = plan_video(Some(VideoCodec::H264), VGA, &want) else {
            panic!("expected transcode");
        };
        assert_eq!(
            (t.codec, t.width, t.height, t.keyint),
            (VideoCodec::H265, Some(640), Some(360), 25)
        );
        // Unknown source codec: H.264 by default.
        let VideoPlan::Transcode(t) = plan_video(None, VGA, &VideoOutput::default()) else {
            panic!("expected transcode");
        };
        assert_eq!(t.codec, VideoCodec::H264);
        // Same codec, other frame rate.
        let want = VideoOutput {
            framerate: Some(10),
            ..Default::default()
        };
        let VideoPlan::Transcode(t) = plan_video(Some(VideoCodec::Jpeg), VGA, &want) else {
            panic!("expected transcode");
        };
        assert_eq!((t.codec, t.keyint), (VideoCodec::Jpeg, 10));
    }

    #[test]
    fn capture_targets_keep_size_and_aspect() {
        let vga = Some((641, 481));
        let t = capture_video_target(&VideoOutput::default(), vga, 15);
        assert_eq!(
            (t.codec, t.width, t.height, t.framerate, t.keyint),
            (VideoCodec::H264, Some(640), Some(480), Some(15), 15)
        );
        let want = VideoOutput {
            codec: Some(VideoCodec::Jpeg),
            width: Some(320),
            framerate: Some(30),
            keyframe_interval: Some(60),
            ..Default::default()
        };
        let t = capture_video_target(&want, Some((1920, 1080)), 15);
        assert_eq!(
            (t.codec, t.width, t.height, t.framerate, t.keyint),
            (VideoCodec::Jpeg, Some(320), Some(180), Some(30), 60)
        );
        let want = VideoOutput {
            height: Some(240),
            ..Default::default()
        };
        let t = capture_video_target(&want, Some((640, 480)), 25);
        assert_eq!((t.width, t.height), (Some(320), Some(240)));
        // A camera: its size is known only once it runs.
        let t = capture_video_target(&VideoOutput::default(), None, 25);
        assert_eq!((t.width, t.height, t.framerate), (None, None, Some(25)));
        // Tiny windows are scaled up to what encoders accept.
        let t = capture_video_target(&VideoOutput::default(), Some((9, 3)), 15);
        assert_eq!((t.width, t.height), (Some(16), Some(16)));
    }

    #[test]
    fn live_audio_defaults() {
        let t = live_audio_target(&AudioOutput::default(), 2);
        assert_eq!(
            (t.codec, t.rate, t.channels),
            (AudioCodec::Pcmu, Some(8000), Some(1))
        );
        let aac = AudioOutput {
            codec: Some(AudioCodec::Aac),
            ..Default::default()
        };
        let t = live_audio_target(&aac, 2);
        assert_eq!((t.rate, t.channels), (Some(48_000), Some(2)));
        let t = live_audio_target(
            &AudioOutput {
                sample_rate: Some(16_000),
                ..aac
            },
            2,
        );
        assert_eq!((t.rate, t.channels), (Some(16_000), Some(2)));
    }

    #[test]
    fn audio_rules() {
        let stereo48 = AudioProps {
            rate: Some(48_000),
            channels: Some(2),
        };
        let aac = Some(AudioCodec::Aac);
        assert_eq!(
            plan_audio(aac, stereo48, &AudioOutput::default()),
            AudioPlan::Passthrough(AudioCodec::Aac)
        );
        let want = AudioOutput {
            codec: Some(AudioCodec::Pcmu),
            sample_rate: Some(8000),
            ..Default::default()
        };
        assert_eq!(
            plan_audio(aac, stereo48, &want),
            AudioPlan::Transcode(AudioTarget {
                codec: AudioCodec::Pcmu,
                rate: Some(8000),
                channels: Some(1),
                bitrate_kbps: None
            })
        );
        // Raw PCM defaults to AAC keeping its shape.
        assert_eq!(
            plan_audio(None, stereo48, &AudioOutput::default()),
            AudioPlan::Transcode(AudioTarget {
                codec: AudioCodec::Aac,
                rate: None,
                channels: None,
                bitrate_kbps: None
            })
        );
        // G.726 always re-encodes; Opus is clamped to stereo at 48 kHz.
        let g726 = Some(AudioCodec::G726 { kbps: 32 });
        assert!(matches!(
            plan_audio(g726, stereo48, &AudioOutput::default()),
            AudioPlan::Transcode(AudioTarget {
                rate: Some(8000),
                channels: Some(1),
                ..
            })
        ));
        let six = AudioProps {
            rate: Some(44_100),
            channels: Some(6),
        };
        let want = AudioOutput {
            codec: Some(AudioCodec::Opus),
            ..Default::default()
        };
        assert!(matches!(
            plan_audio(None, six, &want),
            AudioPlan::Transcode(AudioTarget {
                rate: Some(48_000),
                channels: Some(2),
                ..
            })
        ));
    }
}
