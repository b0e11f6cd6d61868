//! The built-in live test source: scrolling SMPTE colour bars with the running
//! time and the wall clock burnt in (motion and latency are visible at a
//! glance), and a 440 Hz tone.
//!
//! ```text
//! videotestsrc is-live ! I420 caps ! timeoverlay ! [clockoverlay] ! convert/encode ! appsink
//! audiotestsrc is-live ! raw caps ! convert/encode ! appsink
//! ```

use std::sync::Arc;

use gstreamer as gst;
use gstreamer::prelude::*;
use onvif_rtsp_core::media::{
    AudioOutput, Codec, SourceError, SourceSpec, VideoCodec, VideoOutput,
};

use crate::config::TestPatternConfig;
use crate::encode::{self, add_and_link, capsfilter, make_with};
use crate::gate::Gate;
use crate::plan::{self, AudioTarget, VideoTarget};
use crate::track::live_appsink;

/// Builds the test pattern pipeline for `spec`; its two tracks report to `gate`.
pub(crate) fn build(
    config: &TestPatternConfig,
    spec: &SourceSpec,
    gate: &Arc<Gate>,
) -> Result<gst::Pipeline, SourceError> {
    let pipeline = gst::Pipeline::builder()
        .name(format!("test-pattern-{}", gate.source().0))
        .build();
    let video = video_target(config, &spec.video);
    add_video(&pipeline, &video, gate)?;
    let audio = audio_target(&spec.audio);
    add_audio(&pipeline, &audio, gate)?;
    gate.all_slots_added();
    Ok(pipeline)
}

/// The encoder settings: the spec's values where given, the config's otherwise.
fn video_target(config: &TestPatternConfig, want: &VideoOutput) -> VideoTarget {
    let even = |v: u32| (v & !1).clamp(16, 7680);
    let framerate = want.framerate.unwrap_or(config.framerate).clamp(1, 240);
    VideoTarget {
        codec: want.codec.unwrap_or(VideoCodec::H264),
        width: Some(even(want.width.unwrap_or(config.width))),
        height: Some(even(want.height.unwrap_or(config.height))),
        framerate: Some(framerate),
        bitrate_kbps: want.bitrate_kbps.filter(|b| *b > 0),
        // One key frame per second so a new reader starts within a second.
        keyint: framerate,
    }
}

/// The encoder settings of the tone: mono unless asked otherwise.
fn audio_target(want: &AudioOutput) -> AudioTarget {
    plan::live_audio_target(want, 1)
}

fn add_video(
    pipeline: &gst::Pipeline,
    target: &VideoTarget,
    gate: &Arc<Gate>,
) -> Result<(), SourceError> {
    let (width, height, fps) = (
        target.width.unwrap_or(640),
        target.height.unwrap_or(480),
        target.framerate.unwrap_or(25),
    );
    let mut chain = vec![
        make_with(
            "videotestsrc",
            &[
                ("is-live", "true".into()),
                ("pattern", "smpte".into()),
                ("horizontal-speed", "2".into()),
            ],
        )?,
        capsfilter(
            gst::Caps::builder("video/x-raw")
                .field("format", "I420")
                .field("width", i32::try_from(width).unwrap_or(640))
                .field("height", i32::try_from(height).unwrap_or(480))
                .field(
                    "framerate",
                    gst::Fraction::new(i32::try_from(fps).unwrap_or(25), 1),
                )
                .build(),
        )?,
        make_with(
            "timeoverlay",
            &[("halignment", "left".into()), ("valignment", "top".into())],
        )?,
    ];
    // The wall clock shows end-to-end latency; optional because it is cosmetic.
    if encode::element_available("clockoverlay") {
        chain.push(make_with(
            "clockoverlay",
            &[
                ("halignment", "right".into()),
                ("valignment", "bottom".into()),
                ("time-format", "%Y-%m-%d %H:%M:%S".into()),
            ],
        )?);
    }
    chain.extend(encode::video_transcode(target, true)?);
    chain.push(live_appsink(gate, Codec::Video(target.codec))?);
    add_and_link(pipeline.upcast_ref(), &chain)
}

fn add_audio(
    pipeline: &gst::Pipeline,
    target: &AudioTarget,
    gate: &Arc<Gate>,
) -> Result<(), SourceError> {
    let rate = target.rate.unwrap_or(8000);
    let channels = target.channels.unwrap_or(1);
    // 20 ms buffers, the usual packet time, for low latency at any rate.
    let samples = (rate / 50).max(1);
    let mut chain = vec![
        make_with(
            "audiotestsrc",
            &[
                ("is-live", "true".into()),
                ("wave", "sine".into()),
                ("freq", "440".into()),
                ("volume", "0.3".into()),
                ("samplesperbuffer", samples.to_string()),
            ],
        )?,
        capsfilter(
            gst::Caps::builder("audio/x-raw")
                .field("rate", i32::try_from(rate).unwrap_or(8000))
                .field("channels", i32::try_from(channels).unwrap_or(1))
                .build(),
        )?,
    ];
    chain.extend(encode::audio_transcode(target)?);
    chain.push(live_appsink(gate, Codec::Audio(target.codec))?);
    add_and_link(pipeline.upcast_ref(), &chain)
}

#[cfg(test)]
mod tests {
    use super::*;
    use onvif_rtsp_core::media::AudioCodec;

    #[test]
    fn targets_follow_spec_then_config() {
        let cfg = TestPatternConfig::default();
        let t = video_target(&cfg, &VideoOutput::default());
        assert_eq!(
            (t.codec, t.width, t.height, t.framerate, t.keyint),
            (VideoCodec::H264, Some(640), Some(480), Some(25), 25)
        );
        let want = VideoOutput {
            codec: Some(VideoCodec::H265),
            width: Some(1281),
            framerate: Some(30),
            ..Default::default()
        };
        let t = video_target(&cfg, &want);
        assert_eq!(
            (t.codec, t.width, t.keyint),
            (VideoCodec::H265, Some(1280), 30)
        );

        let a = audio_target(&AudioOutput::default());
        assert_eq!(
            (a.codec, a.rate, a.channels),
            (AudioCodec::Pcmu, Some(8000), Some(1))
        );
        let a = audio_target(&AudioOutput {
            codec: Some(AudioCodec::Opus),
            ..Default::default()
        });
        assert_eq!((a.rate, a.channels), (Some(48000), Some(1)));
        let a = audio_target(&AudioOutput {
            codec: Some(AudioCodec::G722),
            sample_rate: Some(8000),
            ..Default::default()
        });
        assert_eq!((a.rate, a.channels), (Some(16000), Some(1)));
    }
}
