//! Black-box tests: the built server binary against ffprobe, ffmpeg and
//! GStreamer. They need `make test` (which builds the binary and installs
//! the clients).

use std::process::Command;
use std::time::Duration;

use onvif_rtsp_conformance::blackbox::{
    ServerBuilder, ServerProcess, ffmpeg_decode, ffprobe, make_media, run_with_timeout,
};

fn assert_clean(d: &onvif_rtsp_conformance::blackbox::Decoded, what: &str) {
    assert!(d.success, "{what}: ffmpeg failed: {}", d.errors);
    assert!(
        d.errors.trim().is_empty(),
        "{what}: decode errors:\n{}",
        d.errors
    );
}

#[test]
fn test_pattern_has_h264_and_pcmu() {
    let server = ServerBuilder::new("probe").start();
    let streams = ffprobe(&server.url("testsrc"), "tcp");
    assert_eq!(streams.len(), 2, "{streams:?}");
    let video = streams
        .iter()
        .find(|s| s.kind == "video")
        .expect("video stream");
    assert_eq!(
        (video.codec.as_str(), video.width, video.height),
        ("h264", 640, 480)
    );
    let audio = streams
        .iter()
        .find(|s| s.kind == "audio")
        .expect("audio stream");
    assert_eq!(
        (audio.codec.as_str(), audio.sample_rate, audio.channels),
        ("pcm_mulaw", 8000, 1)
    );
}

#[test]
fn test_pattern_decodes_over_tcp_and_udp() {
    let server = ServerBuilder::new("live").start();
    for transport in ["tcp", "udp"] {
        let d = ffmpeg_decode(&server.url("testsrc"), transport, &[], 100, 20.0);
        assert_clean(&d, transport);
        assert!(
            d.video_frames >= 100,
            "{transport}: {} video frames",
            d.video_frames
        );
        assert!(
            d.audio_frames >= 20,
            "{transport}: {} audio frames",
            d.audio_frames
        );
    }
}

fn server_with_file(tag: &str, name: &str, seconds: f32, config: &str) -> ServerProcess {
    let builder = ServerBuilder::new(tag).config(config);
    make_media(
        &builder.dir().join(name),
        seconds,
        (640, 360),
        25,
        Some("-c:v libx264 -preset ultrafast -g 25 -bf 0"),
        Some(("-c:a aac -b:a 64k", 48000, 2)),
    );
    builder.start()
}

#[test]
fn mp4_file_probes_and_decodes_over_tcp_and_udp() {
    let server = server_with_file("file", "clip.mp4", 6.0, "");
    let streams = ffprobe(&server.url("clip.mp4"), "tcp");
    let video = streams.iter().find(|s| s.kind == "video").expect("video");
    assert_eq!(
        (video.codec.as_str(), video.width, video.height),
        ("h264", 640, 360)
    );
    let audio = streams.iter().find(|s| s.kind == "audio").expect("audio");
    assert_eq!(
        (audio.codec.as_str(), audio.sample_rate, audio.channels),
        ("aac", 48000, 2)
    );
    for transport in ["tcp", "udp"] {
        let d = ffmpeg_decode(&server.url("clip.mp4"), transport, &[], 100, 20.0);
        assert_clean(&d, transport);
        assert!(
            d.video_frames >= 100,
            "{transport}: {} video frames",
            d.video_frames
        );
        assert!(
            d.audio_frames >= 150,
            "{transport}: {} audio frames",
            d.audio_frames
        );
    }
}

#[test]
fn file_loops_loop_nums_times_then_ends() {
    let server = server_with_file("loop", "short.mp4", 2.0, "<loop_nums>3</loop_nums>");
    // 3 passes of 2 s at 25 fps, then the server ends the stream (RTCP BYE).
    let d = ffmpeg_decode(&server.url("short.mp4"), "tcp", &[], 1000, 30.0);
    assert_clean(&d, "loop");
    assert!(
        (140..=160).contains(&d.video_frames),
        "{} frames",
        d.video_frames
    );
    let last = d.video_pts.last().copied().unwrap_or_default();
    assert!(
        last > 5.5,
        "timestamps must keep increasing across loops, last {last}"
    );
    assert!(
        d.video_pts.windows(2).all(|w| w[1] > w[0]),
        "non-monotonic pts"
    );
}

#[test]
fn range_seek_starts_playback_at_the_asked_time() {
    let server = server_with_file("seek", "ten.mp4", 10.0, "");
    // `-ss` before `-i` makes ffmpeg send `Range: npt=6.000-`.
    let d = ffmpeg_decode(&server.url("ten.mp4"), "tcp", &["-ss", "6"], 1000, 30.0);
    assert_clean(&d, "seek");
    assert!(
        (90..=110).contains(&d.video_frames),
        "{} frames after a seek to 6 s of 10 s",
        d.video_frames
    );
}

#[test]
fn gstreamer_rtspsrc_reaches_playing_and_gets_buffers() {
    let server = ServerBuilder::new("gst").start();
    for protocols in ["tcp", "udp"] {
        let out = run_with_timeout(
            Command::new("gst-launch-1.0").args([
                "rtspsrc",
                &format!("location={}", server.url("testsrc")),
                &format!("protocols={protocols}"),
                "name=src",
                "src.",
                "!",
                "queue",
                "!",
                "decodebin",
                "!",
                "fakesink",
                "num-buffers=30",
                "src.",
                "!",
                "queue",
                "!",
                "decodebin",
                "!",
                "fakesink",
                "num-buffers=10",
            ]),
            Duration::from_secs(40),
        );
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        if out.status.success() {
            continue;
        }
        // Both sinks got their buffers (the pipeline's EOS) and the error
        // came only while gst-launch tore the pipeline down: rtspsrc's
        // PAUSE on the way to NULL. Seen once in many loaded runs, never
        // reproduced; reported, not failed, since what this test checks
        // was done. PAUSE itself is checked by the protocol tests.
        let eos = text.find("Got EOS from element \"pipeline0\"");
        let first_error = text.find("ERROR");
        let teardown_only = matches!((eos, first_error), (Some(e), Some(f)) if f > e);
        assert!(teardown_only, "gst-launch over {protocols} failed: {text}");
        eprintln!("gst-launch over {protocols}: error after EOS, in teardown:\n{text}");
    }
}

#[test]
fn transcode_by_url_parameters_to_h265_640x360() {
    let builder = ServerBuilder::new("transcode");
    make_media(
        &builder.dir().join("hd.mp4"),
        6.0,
        (1280, 720),
        25,
        Some("-c:v libx264 -preset ultrafast -g 25"),
        Some(("-c:a aac", 48000, 2)),
    );
    let server = builder.start();
    let url = server.url("hd.mp4&ve=H265&w=640&h=360");
    let streams = ffprobe(&url, "tcp");
    let video = streams.iter().find(|s| s.kind == "video").expect("video");
    assert_eq!(
        (video.codec.as_str(), video.width, video.height),
        ("hevc", 640, 360)
    );
    let d = ffmpeg_decode(&url, "tcp", &[], 100, 20.0);
    assert_clean(&d, "h265");
    assert!(d.video_frames >= 100, "{} frames", d.video_frames);
}

#[test]
fn every_audio_codec_decodes() {
    let builder = ServerBuilder::new("audio");
    make_media(
        &builder.dir().join("tone.wav"),
        4.0,
        (0, 0),
        0,
        None,
        Some(("-c:a pcm_s16le", 48000, 1)),
    );
    let server = builder.start();
    for (ae, codec) in [
        ("G711A", "pcm_alaw"),
        ("G711U", "pcm_mulaw"),
        ("G722", "adpcm_g722"),
        ("G726", "adpcm_g726le"),
        ("AAC", "aac"),
        ("OPUS", "opus"),
    ] {
        let url = server.url(&format!("tone.wav&ae={ae}"));
        let streams = ffprobe(&url, "tcp");
        assert_eq!(streams.len(), 1, "{ae}: {streams:?}");
        assert_eq!(streams[0].codec, codec, "{ae}");
        let d = ffmpeg_decode(&url, "tcp", &[], 0, 3.0);
        assert_clean(&d, ae);
        assert!(
            d.audio_frames >= 10,
            "{ae}: {} audio frames",
            d.audio_frames
        );
    }
}

#[test]
fn digest_auth_accepts_the_right_password_only() {
    let server = ServerBuilder::new("auth")
        .config("<need_auth>1</need_auth><user><username>admin</username><password>s3cret</password></user>")
        .start();
    let good = server.url_with_credentials("admin", "s3cret", "testsrc");
    let streams = ffprobe(&good, "tcp");
    assert_eq!(streams.len(), 2);
    let d = ffmpeg_decode(&good, "tcp", &[], 30, 10.0);
    assert_clean(&d, "digest");
    assert!(d.video_frames >= 30);
    let bad = server.url_with_credentials("admin", "wrong", "testsrc");
    let out = run_with_timeout(
        Command::new("ffprobe").args(["-v", "error", "-rtsp_transport", "tcp", &bad]),
        Duration::from_secs(30),
    );
    assert!(!out.status.success(), "a wrong password must not play");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("401"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let none = run_with_timeout(
        Command::new("ffprobe").args([
            "-v",
            "error",
            "-rtsp_transport",
            "tcp",
            &server.url("testsrc"),
        ]),
        Duration::from_secs(30),
    );
    assert!(!none.status.success(), "no credentials must not play");
}

#[test]
fn missing_file_is_404_and_server_keeps_serving() {
    let mut server = ServerBuilder::new("missing").start();
    let out = run_with_timeout(
        Command::new("ffprobe").args([
            "-v",
            "error",
            "-rtsp_transport",
            "tcp",
            &server.url("nope.mp4"),
        ]),
        Duration::from_secs(30),
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("404"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(server.is_running());
    assert_eq!(ffprobe(&server.url("testsrc"), "tcp").len(), 2);
}

#[test]
fn output_rules_pick_codecs_per_url_pattern() {
    let builder = ServerBuilder::new("outputs").config(
        "<output><url>*.mkv</url><video><codec>H265</codec><width>320</width><height>240</height></video></output>\
         <output><audio><codec>G711A</codec><samplerate>8000</samplerate><channels>1</channels></audio></output>",
    );
    for name in ["a.mkv", "b.mp4"] {
        make_media(
            &builder.dir().join(name),
            3.0,
            (640, 360),
            25,
            Some("-c:v libx264 -preset ultrafast -g 25"),
            Some(("-c:a aac", 48000, 2)),
        );
    }
    let server = builder.start();
    // *.mkv: video transcoded as the rule says, audio passed through.
    let mkv = ffprobe(&server.url("a.mkv"), "tcp");
    let v = mkv.iter().find(|s| s.kind == "video").expect("video");
    assert_eq!((v.codec.as_str(), v.width, v.height), ("hevc", 320, 240));
    let a = mkv.iter().find(|s| s.kind == "audio").expect("audio");
    assert_eq!(a.codec, "aac");
    // The catch-all rule: video passed through, audio to G.711 A-law.
    let mp4 = ffprobe(&server.url("b.mp4"), "tcp");
    let v = mp4.iter().find(|s| s.kind == "video").expect("video");
    assert_eq!((v.codec.as_str(), v.width, v.height), ("h264", 640, 360));
    let a = mp4.iter().find(|s| s.kind == "audio").expect("audio");
    assert_eq!((a.codec.as_str(), a.sample_rate), ("pcm_alaw", 8000));
    // URL parameters override the rule.
    let over = ffprobe(&server.url("b.mp4&ae=OPUS"), "tcp");
    assert!(over.iter().any(|s| s.codec == "opus"), "{over:?}");
    // Logging per log_enable/log_level: the log file records the sources opened.
    let log =
        std::fs::read_to_string(server.dir.path().join("onvif-rtsp-server.log")).expect("log file");
    assert!(log.contains("opening source"), "{log}");
}
