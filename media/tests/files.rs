//! File sources, with real GStreamer and files generated at test time.

mod common;

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use common::*;
use onvif_rtsp_core::media::{
    AudioCodec, AudioOutput, Codec, SourceError, SourceId, SourceKind, SourceLocation, VideoCodec,
    VideoOutput,
};

/// The media directory, generated once per test run.
fn media_dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = temp_dir("files");
        // 2 s of 320x240@25 H.264 (with B-frames) + AAC 48 kHz mono in MP4.
        gst_launch(
            &dir,
            "videotestsrc num-buffers=50 pattern=ball ! video/x-raw,format=I420,width=320,height=240,framerate=25/1 \
             ! x264enc key-int-max=25 ! h264parse ! mp4mux name=m ! filesink location=h264_aac.mp4 \
             audiotestsrc num-buffers=94 ! audio/x-raw,rate=48000,channels=1 ! avenc_aac ! m.",
        );
        // 2 s of H.265 + Opus stereo in Matroska.
        gst_launch(
            &dir,
            "videotestsrc num-buffers=50 ! video/x-raw,format=I420,width=320,height=240,framerate=25/1 \
             ! x265enc key-int-max=25 speed-preset=ultrafast ! h265parse ! matroskamux name=m ! filesink location=h265_opus.mkv \
             audiotestsrc num-buffers=100 samplesperbuffer=960 ! audio/x-raw,rate=48000,channels=2 ! opusenc ! m.",
        );
        // 1 s of 16 kHz mono PCM.
        gst_launch(
            &dir,
            "audiotestsrc num-buffers=16 samplesperbuffer=1000 ! audio/x-raw,format=S16LE,rate=16000,channels=1 \
             ! wavenc ! filesink location=tone.wav",
        );
        // 2 s of 10 fps MJPEG in AVI.
        gst_launch(
            &dir,
            "videotestsrc num-buffers=20 ! video/x-raw,format=I420,width=320,height=240,framerate=10/1 \
             ! jpegenc ! avimux ! filesink location=mjpeg.avi",
        );
        // VP9 + Vorbis in WebM: neither codec can be sent as is.
        gst_launch(
            &dir,
            "videotestsrc num-buffers=25 ! video/x-raw,format=I420,width=320,height=240,framerate=25/1 \
             ! vp9enc deadline=1 ! webmmux name=m ! filesink location=vp9_vorbis.webm \
             audiotestsrc num-buffers=43 ! audio/x-raw,rate=44100,channels=1 ! vorbisenc ! m.",
        );
        // A bare MP3 file (its parser exposes unfixed caps at first).
        gst_launch(
            &dir,
            "audiotestsrc num-buffers=43 ! audio/x-raw,rate=44100,channels=2 ! lamemp3enc ! filesink location=tone.mp3",
        );
        // MPEG-4 Part 2 (as DivX in AVI) + G.711 mu-law.
        gst_launch(
            &dir,
            "videotestsrc num-buffers=25 ! video/x-raw,format=I420,width=320,height=240,framerate=25/1 \
             ! avenc_mpeg4 ! avimux name=m ! filesink location=mpeg4_pcmu.avi \
             audiotestsrc num-buffers=4 samplesperbuffer=2000 ! audio/x-raw,rate=8000,channels=1 ! mulawenc ! m.",
        );
        std::fs::write(dir.join("garbage.mp4"), vec![0x5au8; 64 * 1024]).unwrap();
        dir
    })
}

fn file(name: &str) -> SourceLocation {
    SourceLocation::File(name.to_string())
}

const TIMEOUT: Duration = Duration::from_secs(20);

#[test]
fn mp4_h264_aac_passes_through() {
    let engine = engine(media_dir());
    let rx = open(
        &engine,
        1,
        spec(
            file("h264_aac.mp4"),
            VideoOutput::default(),
            AudioOutput::default(),
        ),
    );
    let run = collect(&rx, TIMEOUT, |_| false);
    assert!(run.failed.is_none(), "{:?}", run.failed);
    assert!(run.ended);
    let (kind, tracks) = run.ready.clone().unwrap();
    let SourceKind::File { duration: Some(d) } = kind else {
        panic!("{kind:?}")
    };
    assert!((1900..=2100).contains(&d.as_millis()), "{d:?}");
    let video = tracks.iter().position(|t| t.codec.is_video()).unwrap();
    let audio = 1 - video;
    assert_eq!(tracks[video].codec, Codec::Video(VideoCodec::H264));
    assert_eq!((tracks[video].width, tracks[video].height), (320, 240));
    assert_eq!(tracks[audio].codec, Codec::Audio(AudioCodec::Aac));
    assert_eq!(
        (tracks[audio].clock_rate, tracks[audio].channels),
        (48000, 1)
    );
    assert!(!tracks[audio].config.is_empty(), "AudioSpecificConfig");

    let frames = run.frames_of(video);
    assert_eq!(frames.len(), 50);
    assert!(frames[0].keyframe);
    let nals = nal_types(&frames[0].data, false);
    assert!(
        nals.contains(&7) && nals.contains(&8) && nals.contains(&5),
        "{nals:?}"
    );
    // A second GOP starts at frame 25, with parameter sets again.
    assert!(frames[25].keyframe && nal_types(&frames[25].data, false).contains(&7));
    assert_eq!(frames.iter().filter(|f| f.keyframe).count(), 2);
    let first_pts = run.frames.iter().map(|f| f.pts).min().unwrap();
    assert_eq!(first_pts, Duration::ZERO);
    let audio_frames = run.frames_of(audio);
    assert!(
        audio_frames.len() >= 90,
        "{} AAC frames",
        audio_frames.len()
    );
    assert!(audio_frames.iter().all(|f| f.keyframe));
    // Audio starts with the video (both at zero in the source).
    assert!(audio_frames[0].pts < Duration::from_millis(50));
    assert_monotonic_dts(&run);
}

#[test]
fn mkv_h265_opus_passes_through() {
    let engine = engine(media_dir());
    let rx = open(
        &engine,
        2,
        spec(
            file("h265_opus.mkv"),
            VideoOutput::default(),
            AudioOutput::default(),
        ),
    );
    let run = collect(&rx, TIMEOUT, |_| false);
    assert!(run.ended, "{:?}", run.failed);
    let tracks = run.tracks();
    let video = tracks.iter().position(|t| t.codec.is_video()).unwrap();
    let audio = 1 - video;
    assert_eq!(tracks[video].codec, Codec::Video(VideoCodec::H265));
    assert_eq!(tracks[audio].codec, Codec::Audio(AudioCodec::Opus));
    assert_eq!(
        (tracks[audio].clock_rate, tracks[audio].channels),
        (48000, 2)
    );
    let frames = run.frames_of(video);
    assert_eq!(frames.len(), 50);
    assert!(frames[0].keyframe);
    let nals = nal_types(&frames[0].data, true);
    assert!(
        nals.contains(&32) && nals.contains(&33) && nals.contains(&34),
        "{nals:?}"
    );
    assert!(run.frames_of(audio).len() >= 95);
    assert_monotonic_dts(&run);
}

#[test]
fn mp4_transcodes_to_h265_and_pcmu() {
    let engine = engine(media_dir());
    let video_out = VideoOutput {
        codec: Some(VideoCodec::H265),
        width: Some(640),
        height: Some(360),
        ..Default::default()
    };
    let audio_out = AudioOutput {
        codec: Some(AudioCodec::Pcmu),
        sample_rate: Some(8000),
        ..Default::default()
    };
    let rx = open(&engine, 3, spec(file("h264_aac.mp4"), video_out, audio_out));
    let run = collect(&rx, TIMEOUT, |_| false);
    assert!(run.ended, "{:?}", run.failed);
    let tracks = run.tracks();
    let video = tracks.iter().position(|t| t.codec.is_video()).unwrap();
    let audio = 1 - video;
    assert_eq!(tracks[video].codec, Codec::Video(VideoCodec::H265));
    assert_eq!((tracks[video].width, tracks[video].height), (640, 360));
    assert_eq!(tracks[audio].codec, Codec::Audio(AudioCodec::Pcmu));
    assert_eq!(
        (tracks[audio].clock_rate, tracks[audio].channels),
        (8000, 1)
    );
    let frames = run.frames_of(video);
    assert_eq!(frames.len(), 50);
    assert!(frames[0].keyframe && nal_types(&frames[0].data, true).contains(&32));
    // 25-frame GOPs from the 25 fps source: a key frame every second.
    assert!(frames[25].keyframe);
    let pcmu = run.frames_of(audio);
    assert!(pcmu.iter().all(|f| f.data.len() <= 160));
    let bytes: usize = pcmu.iter().map(|f| f.data.len()).sum();
    assert!(
        (15_000..=17_000).contains(&bytes),
        "{bytes} bytes of 8 kHz PCMU"
    );
    assert_monotonic_dts(&run);
}

#[test]
fn wav_becomes_aac_or_what_is_asked() {
    let engine = engine(media_dir());
    let rx = open(
        &engine,
        4,
        spec(
            file("tone.wav"),
            VideoOutput::default(),
            AudioOutput::default(),
        ),
    );
    let run = collect(&rx, TIMEOUT, |_| false);
    assert!(run.ended, "{:?}", run.failed);
    let tracks = run.tracks();
    assert_eq!(tracks.len(), 1);
    assert_eq!(tracks[0].codec, Codec::Audio(AudioCodec::Aac));
    assert_eq!((tracks[0].sample_rate, tracks[0].channels), (16000, 1));
    assert!(!tracks[0].config.is_empty());
    // 1 s at 1024 samples per AAC frame.
    assert!(
        (15..=18).contains(&run.frames.len()),
        "{}",
        run.frames.len()
    );

    let rx = open(
        &engine,
        5,
        spec(
            file("tone.wav"),
            VideoOutput::default(),
            AudioOutput {
                codec: Some(AudioCodec::Pcma),
                ..Default::default()
            },
        ),
    );
    let run = collect(&rx, TIMEOUT, |_| false);
    assert!(run.ended, "{:?}", run.failed);
    assert_eq!(run.tracks()[0].codec, Codec::Audio(AudioCodec::Pcma));
    assert_eq!(run.tracks()[0].sample_rate, 8000);
    let bytes: usize = run.frames.iter().map(|f| f.data.len()).sum();
    assert!((7900..=8100).contains(&bytes), "{bytes}");
}

#[test]
fn mjpeg_avi_passes_through() {
    let engine = engine(media_dir());
    let rx = open(
        &engine,
        6,
        spec(
            file("mjpeg.avi"),
            VideoOutput::default(),
            AudioOutput::default(),
        ),
    );
    let run = collect(&rx, TIMEOUT, |_| false);
    assert!(run.ended, "{:?}", run.failed);
    let tracks = run.tracks();
    assert_eq!(tracks.len(), 1);
    assert_eq!(tracks[0].codec, Codec::Video(VideoCodec::Jpeg));
    assert_eq!((tracks[0].width, tracks[0].height), (320, 240));
    assert_eq!(run.frames.len(), 20);
    assert!(
        run.frames
            .iter()
            .all(|f| f.keyframe && f.data.starts_with(&[0xff, 0xd8]))
    );
    assert_eq!(run.frames[10].pts, Duration::from_secs(1));
}

#[test]
fn missing_and_escaping_names_are_not_found() {
    let engine = engine(media_dir());
    for (id, name) in [
        (7, "nope.mp4"),
        (8, "../files/h264_aac.mp4"),
        (9, "/etc/passwd"),
    ] {
        let rx = open(
            &engine,
            id,
            spec(file(name), VideoOutput::default(), AudioOutput::default()),
        );
        let run = collect(&rx, TIMEOUT, |_| false);
        assert!(run.ready.is_none());
        match run.failed {
            Some(SourceError::NotFound(msg)) => assert!(msg.contains(name), "{msg}"),
            other => panic!("{name}: {other:?}"),
        }
    }
}

#[test]
fn garbage_fails_without_ready() {
    let engine = engine(media_dir());
    let rx = open(
        &engine,
        10,
        spec(
            file("garbage.mp4"),
            VideoOutput::default(),
            AudioOutput::default(),
        ),
    );
    let run = collect(&rx, TIMEOUT, |_| false);
    assert!(run.ready.is_none());
    assert!(
        matches!(
            run.failed,
            Some(SourceError::Unsupported(_) | SourceError::Failed(_))
        ),
        "{:?}",
        run.failed
    );
}

#[test]
fn close_stops_a_file_source() {
    let engine = engine(media_dir());
    let rx = open(
        &engine,
        11,
        spec(
            file("h264_aac.mp4"),
            VideoOutput {
                codec: Some(VideoCodec::Jpeg),
                ..Default::default()
            },
            AudioOutput::default(),
        ),
    );
    let run = collect(&rx, TIMEOUT, |run| run.ready.is_some());
    assert!(run.ready.is_some(), "{:?}", run.failed);
    engine.close(SourceId(11));
    // At most one event may have been in flight; then silence.
    std::thread::sleep(Duration::from_millis(200));
    while rx.try_recv().is_ok() {}
    std::thread::sleep(Duration::from_millis(500));
    assert!(rx.try_recv().is_err(), "event after close");
    assert_eq!(engine.open_sources(), 0);
}

#[test]
fn vp9_vorbis_becomes_h264_aac() {
    let engine = engine(media_dir());
    let rx = open(
        &engine,
        12,
        spec(
            file("vp9_vorbis.webm"),
            VideoOutput::default(),
            AudioOutput::default(),
        ),
    );
    let run = collect(&rx, TIMEOUT, |_| false);
    assert!(run.ended, "{:?}", run.failed);
    let tracks = run.tracks();
    let video = tracks.iter().position(|t| t.codec.is_video()).unwrap();
    let audio = 1 - video;
    assert_eq!(tracks[video].codec, Codec::Video(VideoCodec::H264));
    assert_eq!((tracks[video].width, tracks[video].height), (320, 240));
    assert_eq!(tracks[audio].codec, Codec::Audio(AudioCodec::Aac));
    assert_eq!(tracks[audio].sample_rate, 44100);
    let frames = run.frames_of(video);
    assert_eq!(frames.len(), 25);
    assert!(frames[0].keyframe && nal_types(&frames[0].data, false).contains(&7));
    assert_monotonic_dts(&run);
}

#[test]
fn mp3_becomes_aac() {
    let engine = engine(media_dir());
    let rx = open(
        &engine,
        13,
        spec(
            file("tone.mp3"),
            VideoOutput::default(),
            AudioOutput::default(),
        ),
    );
    let run = collect(&rx, TIMEOUT, |_| false);
    assert!(run.ended, "{:?}", run.failed);
    let tracks = run.tracks();
    assert_eq!(tracks.len(), 1);
    assert_eq!(tracks[0].codec, Codec::Audio(AudioCodec::Aac));
    assert_eq!((tracks[0].sample_rate, tracks[0].channels), (44100, 2));
    assert!(run.frames.len() >= 40, "{}", run.frames.len());
}

#[test]
fn avi_mpeg4_and_pcmu_pass_through() {
    let engine = engine(media_dir());
    let rx = open(
        &engine,
        14,
        spec(
            file("mpeg4_pcmu.avi"),
            VideoOutput::default(),
            AudioOutput::default(),
        ),
    );
    let run = collect(&rx, TIMEOUT, |_| false);
    assert!(run.ended, "{:?}", run.failed);
    let tracks = run.tracks();
    let video = tracks.iter().position(|t| t.codec.is_video()).unwrap();
    let audio = 1 - video;
    assert_eq!(tracks[video].codec, Codec::Video(VideoCodec::Mpeg4));
    // The visual object sequence header, for the SDP's config=.
    assert!(
        tracks[video].config.starts_with(&[0, 0, 1, 0xb0]),
        "{:02x?}",
        &tracks[video].config[..]
    );
    assert_eq!(tracks[audio].codec, Codec::Audio(AudioCodec::Pcmu));
    let frames = run.frames_of(video);
    assert_eq!(frames.len(), 25);
    assert!(frames[0].keyframe);
    assert_eq!(frames[24].pts, Duration::from_millis(960));
    // 1 s of 8 kHz code words, cut into frames of at most 20 ms.
    let pcmu = run.frames_of(audio);
    assert!(pcmu.iter().all(|f| f.data.len() <= 160));
    assert_eq!(pcmu.iter().map(|f| f.data.len()).sum::<usize>(), 8000);
    let last = pcmu.last().unwrap();
    assert_eq!(
        last.pts + Duration::from_millis(last.data.len() as u64 / 8),
        Duration::from_secs(1)
    );
}

#[test]
fn close_with_a_blocked_sink_does_not_hang() {
    use onvif_rtsp_media::{MediaEvent, MediaSink};
    use std::sync::Arc;
    use std::sync::mpsc::sync_channel;

    let engine = engine(media_dir());
    // A sink that blocks as soon as one event is queued: backpressure.
    let (tx, rx) = sync_channel::<MediaEvent>(1);
    let sink: MediaSink = Arc::new(move |ev| {
        let _ = tx.send(ev);
    });
    engine.open(
        SourceId(15),
        spec(
            file("h264_aac.mp4"),
            VideoOutput::default(),
            AudioOutput::default(),
        ),
        sink,
    );
    assert!(matches!(
        rx.recv_timeout(TIMEOUT),
        Ok(MediaEvent::Ready { .. })
    ));
    std::thread::sleep(Duration::from_millis(200));
    // close() returns at once even though a streaming thread is stuck in the sink.
    let started = std::time::Instant::now();
    engine.close(SourceId(15));
    assert!(started.elapsed() < Duration::from_millis(100));
    // Once the runtime stops waiting (drops its receiver), teardown completes.
    drop(rx);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while engine.open_sources() > 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(engine.open_sources(), 0);
}

#[test]
fn engine_is_shareable() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<onvif_rtsp_media::MediaEngine>();
}
