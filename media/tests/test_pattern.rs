//! The live test source, with real GStreamer.

mod common;

use std::time::{Duration, Instant};

use common::*;
use onvif_rtsp_core::media::{
    AudioCodec, AudioOutput, Codec, SourceKind, SourceLocation, VideoCodec, VideoOutput,
};

#[test]
fn default_is_live_h264_and_pcmu_in_real_time() {
    let dir = temp_dir("pattern-default");
    let engine = engine(&dir);
    let rx = open(
        &engine,
        1,
        spec(
            SourceLocation::TestPattern,
            VideoOutput::default(),
            AudioOutput::default(),
        ),
    );
    let started = Instant::now();
    let mut ready_at = None;
    let run = collect(&rx, Duration::from_secs(8), |run| {
        if run.ready.is_some() && ready_at.is_none() {
            ready_at = Some(Instant::now());
        }
        ready_at.is_some_and(|t| t.elapsed() >= Duration::from_millis(1500))
    });
    assert!(run.failed.is_none(), "{:?}", run.failed);
    let (kind, tracks) = run.ready.clone().unwrap();
    assert_eq!(kind, SourceKind::Live);
    assert_eq!(tracks.len(), 2);
    assert_eq!(tracks[0].codec, Codec::Video(VideoCodec::H264));
    assert_eq!(
        (tracks[0].width, tracks[0].height, tracks[0].clock_rate),
        (640, 480, 90000)
    );
    assert_eq!(tracks[1].codec, Codec::Audio(AudioCodec::Pcmu));
    assert_eq!(
        (
            tracks[1].clock_rate,
            tracks[1].sample_rate,
            tracks[1].channels
        ),
        (8000, 8000, 1)
    );

    let video = run.frames_of(0);
    let first = video[0];
    assert!(first.keyframe);
    let nals = nal_types(&first.data, false);
    assert!(
        nals.contains(&7) && nals.contains(&8) && nals.contains(&5),
        "{nals:?}"
    );
    assert!(first.data.starts_with(&[0, 0, 0, 1]) || first.data.starts_with(&[0, 0, 1]));

    // Paced in real time: the media timeline advances like the wall clock.
    let wall = started.elapsed();
    let audio = run.frames_of(1);
    assert!(audio.iter().all(|f| f.keyframe && f.data.len() == 160));
    let span = audio.last().unwrap().pts;
    assert!(
        span <= wall + Duration::from_millis(300),
        "{span:?} of audio in {wall:?}: faster than real time"
    );
    assert!(
        span >= Duration::from_millis(1200),
        "only {span:?} of audio"
    );
    let fps = video.len() as f64 / video.last().unwrap().pts.as_secs_f64().max(0.1);
    assert!((20.0..=30.0).contains(&fps), "{fps} fps");
    assert_monotonic_dts(&run);

    // Nothing after close.
    engine.close(onvif_rtsp_core::media::SourceId(1));
    std::thread::sleep(Duration::from_millis(300));
    while rx.try_recv().is_ok() {}
    std::thread::sleep(Duration::from_millis(300));
    assert!(rx.try_recv().is_err(), "event after close");
}

#[test]
fn outputs_follow_the_spec() {
    let dir = temp_dir("pattern-codecs");
    let engine = engine(&dir);
    let cases = [
        (
            VideoOutput {
                codec: Some(VideoCodec::H265),
                width: Some(320),
                height: Some(240),
                framerate: Some(10),
                bitrate_kbps: Some(300),
                keyframe_interval: Some(20),
            },
            AudioOutput {
                codec: Some(AudioCodec::Opus),
                ..Default::default()
            },
        ),
        (
            VideoOutput {
                codec: Some(VideoCodec::Jpeg),
                width: Some(320),
                height: Some(240),
                ..Default::default()
            },
            AudioOutput {
                codec: Some(AudioCodec::G726 { kbps: 32 }),
                ..Default::default()
            },
        ),
        (
            VideoOutput {
                codec: Some(VideoCodec::Mpeg4),
                width: Some(320),
                height: Some(240),
                ..Default::default()
            },
            AudioOutput {
                codec: Some(AudioCodec::Aac),
                sample_rate: Some(16000),
                ..Default::default()
            },
        ),
        (
            VideoOutput {
                width: Some(320),
                height: Some(240),
                ..Default::default()
            },
            AudioOutput {
                codec: Some(AudioCodec::G722),
                ..Default::default()
            },
        ),
        (
            VideoOutput {
                width: Some(160),
                height: Some(120),
                ..Default::default()
            },
            AudioOutput {
                codec: Some(AudioCodec::Pcma),
                ..Default::default()
            },
        ),
    ];
    let receivers: Vec<_> = cases
        .iter()
        .enumerate()
        .map(|(i, (v, a))| {
            open(
                &engine,
                10 + i as u64,
                spec(SourceLocation::TestPattern, *v, *a),
            )
        })
        .collect();
    for ((video, audio), rx) in cases.iter().zip(&receivers) {
        let run = collect(rx, Duration::from_secs(8), |run| {
            run.frames_of(0).len() >= 2 && run.frames_of(1).len() >= 2
        });
        assert!(
            run.failed.is_none(),
            "{video:?} {audio:?}: {:?}",
            run.failed
        );
        let tracks = run.tracks();
        let want_video = video.codec.unwrap_or(VideoCodec::H264);
        assert_eq!(tracks[0].codec, Codec::Video(want_video));
        assert_eq!(
            (tracks[0].width, tracks[0].height),
            (video.width.unwrap(), video.height.unwrap())
        );
        assert_eq!(tracks[1].codec, Codec::Audio(audio.codec.unwrap()));
        // Every encoder's timestamps are on the source timeline.
        assert!(
            run.frames.iter().all(|f| f.pts < Duration::from_secs(10)),
            "{video:?} {audio:?}: timestamps off the timeline"
        );
        let v0 = run.frames_of(0)[0];
        assert!(v0.keyframe);
        let a0 = run.frames_of(1)[0];
        match want_video {
            VideoCodec::H265 => {
                let nals = nal_types(&v0.data, true);
                assert!(
                    nals.contains(&32) && nals.contains(&33) && nals.contains(&34),
                    "{nals:?}"
                );
            }
            VideoCodec::Jpeg => assert!(v0.data.starts_with(&[0xff, 0xd8])),
            VideoCodec::Mpeg4 => {
                assert!(!tracks[0].config.is_empty(), "MPEG-4 config");
                assert!(tracks[0].config.starts_with(&[0, 0, 1]));
            }
            VideoCodec::H264 => assert!(nal_types(&v0.data, false).contains(&7)),
        }
        match audio.codec.unwrap() {
            AudioCodec::Opus => assert_eq!(
                (tracks[1].clock_rate, tracks[1].sample_rate),
                (48000, 48000)
            ),
            AudioCodec::G726 { .. } => {
                assert_eq!(tracks[1].clock_rate, 8000);
                assert_eq!(a0.data.len(), 80);
            }
            AudioCodec::Aac => {
                assert_eq!(tracks[1].clock_rate, 16000);
                assert!(!tracks[1].config.is_empty(), "AAC config");
            }
            AudioCodec::G722 => {
                assert_eq!((tracks[1].clock_rate, tracks[1].sample_rate), (8000, 16000));
                assert_eq!(a0.data.len(), 160);
            }
            AudioCodec::Pcma => assert_eq!(a0.data.len(), 160),
            AudioCodec::Pcmu => {}
        }
    }
}
