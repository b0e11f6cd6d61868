//! Black-box tests of the capture sources (manual sections 2.11, 2.12 and
//! chapter 3's `-l`): the built server captures a private Xvfb display, a
//! window on it, and a private PulseAudio daemon's tone, and real clients
//! (ffprobe, ffmpeg) decode what it sends. They need `make test` (which
//! builds the binary and installs xvfb, x11-utils and pulseaudio).

use std::process::Command;
use std::time::{Duration, Instant};

use onvif_rtsp_conformance::blackbox::{
    Decoded, ServerBuilder, ServerProcess, ffmpeg_decode, ffprobe, run_with_timeout, server_binary,
};
use onvif_rtsp_conformance::desktop::{PulseAudio, Xvfb};
use onvif_rtsp_conformance::raw::RawClient;

fn assert_clean(d: &Decoded, what: &str) {
    assert!(d.success, "{what}: ffmpeg failed: {}", d.errors);
    assert!(
        d.errors.trim().is_empty(),
        "{what}: decode errors:\n{}",
        d.errors
    );
}

/// Where the device providers of the processes under test look for the
/// user's PipeWire or PulseAudio: nowhere, so that the tests see the same
/// (empty) set of devices on a desktop as in CI.
const NO_RUNTIME_DIR: &str = "/nonexistent/onvif-rtsp-test";

/// A server that captures `display`, and nothing else of the desktop
/// running the tests.
fn server_on(tag: &str, display: &str) -> ServerProcess {
    ServerBuilder::new(tag)
        .arg("--no-onvif")
        .env("DISPLAY", display)
        .env("XDG_RUNTIME_DIR", NO_RUNTIME_DIR)
        .env("PULSE_SERVER", "unix:/nonexistent")
        .start()
}

/// DESCRIBE's status and body (the reason of an error).
fn describe(server: &ServerProcess, path: &str) -> (u16, String) {
    let mut client = RawClient::connect(server.addr);
    let r = client.request(
        "DESCRIBE",
        &server.url(path),
        &[("Accept", "application/sdp")],
    );
    (r.status.0, String::from_utf8_lossy(&r.body).into_owned())
}

/// Runs `onvif-rtsp-server -l <kind>` with `env`; exit code, stdout, stderr.
fn list(kind: &str, env: &[(&str, &str)]) -> (Option<i32>, String, String) {
    let mut cmd = Command::new(server_binary());
    cmd.args(["-l", kind])
        .env("XDG_RUNTIME_DIR", NO_RUNTIME_DIR);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = run_with_timeout(&mut cmd, Duration::from_secs(30));
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn screenlive_streams_the_x_display() {
    let x = Xvfb::start(640, 480);
    let _window = x.window("Busy Screen", "200x100+10+10");
    let server = server_on("screen", &x.display);

    let streams = ffprobe(&server.url("screenlive"), "tcp");
    assert_eq!(streams.len(), 1, "{streams:?}");
    assert_eq!(
        (streams[0].kind.as_str(), streams[0].codec.as_str()),
        ("video", "h264")
    );
    assert_eq!((streams[0].width, streams[0].height), (640, 480));
    let d = ffmpeg_decode(&server.url("screenlive"), "tcp", &[], 30, 20.0);
    assert_clean(&d, "screenlive");
    assert!(d.video_frames >= 30, "{} frames", d.video_frames);
    // screenlive0 is the same monitor; UDP works as well.
    let d = ffmpeg_decode(&server.url("screenlive0"), "udp", &[], 25, 20.0);
    assert_clean(&d, "screenlive0 over UDP");
    assert!(d.video_frames >= 25, "{} frames", d.video_frames);

    // The URL parameters of the manual's stream_uri section.
    let url = server.url("screenlive&ve=JPEG&w=320&h=240");
    let streams = ffprobe(&url, "tcp");
    assert_eq!(
        (
            streams[0].codec.as_str(),
            streams[0].width,
            streams[0].height
        ),
        ("mjpeg", 320, 240),
        "{streams:?}"
    );
    let d = ffmpeg_decode(&url, "tcp", &[], 25, 20.0);
    assert_clean(&d, "JPEG 320x240");
    assert!(d.video_frames >= 25, "{} frames", d.video_frames);
    // The query form, with a frame rate: 25 frames take about a second.
    let url = server.url("screenlive?w=320&h=240&fps=25");
    let started = Instant::now();
    let d = ffmpeg_decode(&url, "tcp", &[], 50, 20.0);
    assert_clean(&d, "fps=25");
    assert!(d.video_frames >= 50, "{} frames", d.video_frames);
    let span = d.video_pts.last().unwrap_or(&0.0) - d.video_pts.first().unwrap_or(&0.0);
    assert!(
        (1.6..=2.4).contains(&span),
        "50 frames at 25 fps span {span} s (took {:?})",
        started.elapsed()
    );

    let (status, why) = describe(&server, "screenlive3");
    assert_eq!(status, 404, "{why}");
    assert!(why.contains("no monitor 3"), "{why}");
}

#[test]
fn window_is_captured_by_title_ignoring_case() {
    let x = Xvfb::start(640, 480);
    let mut window = x.window("Capture Me Please", "300x200+40+30");
    let (width, height) = window.size().expect("window size");
    let server = server_on("window", &x.display);

    let (code, out, err) = list("window", &[("DISPLAY", &x.display)]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.starts_with("Available window name :\n"), "{out}");
    assert!(out.lines().any(|l| l == "Capture Me Please"), "{out}");

    // Another case, spaces as %20, as the manual writes it.
    let url = server.url("window=capture%20ME%20please");
    let streams = ffprobe(&url, "tcp");
    assert_eq!(
        (
            streams[0].codec.as_str(),
            streams[0].width,
            streams[0].height
        ),
        ("h264", width & !1, height & !1),
        "{streams:?}"
    );
    let d = ffmpeg_decode(&url, "tcp", &[], 25, 20.0);
    assert_clean(&d, "window");
    assert!(d.video_frames >= 25, "{} frames", d.video_frames);

    let (status, why) = describe(&server, "window=nosuch");
    assert_eq!(status, 404, "{why}");
    assert!(why.contains("no window titled \"nosuch\""), "{why}");

    // Closing the window ends its stream (RTCP BYE), and only that stream:
    // the server keeps running and serving.
    let reader = {
        let url = url.clone();
        std::thread::spawn(move || ffmpeg_decode(&url, "tcp", &[], 100_000, 60.0))
    };
    std::thread::sleep(Duration::from_secs(4));
    let closed_at = Instant::now();
    window.close();
    let d = reader.join().expect("reader");
    assert!(
        d.video_frames > 0,
        "nothing decoded before the window closed"
    );
    assert!(
        closed_at.elapsed() < Duration::from_secs(20),
        "the stream went on {:?} after its window closed",
        closed_at.elapsed()
    );
    let (status, why) = describe(&server, "window=Capture%20Me%20Please");
    assert_eq!(status, 404, "{why}");
    let streams = ffprobe(&server.url("screenlive"), "tcp");
    assert_eq!(streams[0].codec, "h264");
}

#[test]
fn screen_capture_without_a_display_is_404() {
    let server = ServerBuilder::new("nodisplay")
        .arg("--no-onvif")
        .env_remove("DISPLAY")
        .start();
    for path in ["screenlive", "screenlive1", "window=Anything"] {
        let (status, why) = describe(&server, path);
        assert_eq!(status, 404, "{path}: {why}");
        assert!(why.contains("DISPLAY is not set"), "{path}: {why}");
    }
    let (code, _, err) = list("window", &[("DISPLAY", "")]);
    assert_eq!(code, Some(1));
    assert!(err.contains("DISPLAY is not set"), "{err}");
}

#[test]
fn missing_capture_devices_are_404_with_the_reason() {
    let x = Xvfb::start(320, 240);
    let server = server_on("nodevice", &x.display);
    let (code, out, err) = list("device", &[("PULSE_SERVER", "unix:/nonexistent")]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.starts_with("Available video capture device :\n"),
        "{out}"
    );
    assert!(
        out.contains("\nAvailable audio capture device :\n"),
        "{out}"
    );
    let cameras = out
        .split("Available audio capture device :")
        .next()
        .unwrap_or_default()
        .lines()
        .filter(|l| l.starts_with("index : "))
        .count();
    if cameras == 0 {
        // The CI machine has no camera: the plain name says so.
        let (status, why) = describe(&server, "videodevice");
        assert_eq!(status, 404, "{why}");
        assert_eq!(why.trim(), "no video capture device 0 (none found)");
    }
    let (status, why) = describe(&server, "videodevice=No%20Such%20Camera");
    assert_eq!(status, 404, "{why}");
    assert!(
        why.contains("no video capture device named \"No Such Camera\""),
        "{why}"
    );
    let (status, why) = describe(&server, "audiodevice99");
    assert_eq!(status, 404, "{why}");
    assert!(why.contains("no audio capture device 99"), "{why}");
    // The server is still fine.
    let streams = ffprobe(&server.url("testsrc"), "tcp");
    assert_eq!(streams.len(), 2);
}

#[test]
fn audio_device_streams_a_pulseaudio_source() {
    // CI always has it (`make deps`); a PipeWire desktop may not.
    if !PulseAudio::installed() && std::env::var_os("CI").is_none() {
        eprintln!("SKIPPED: pulseaudio is not installed (a PipeWire desktop?)");
        return;
    }
    let pulse = PulseAudio::start();
    let (code, out, err) = list("audiodevice", &[("PULSE_SERVER", &pulse.server)]);
    assert_eq!(code, Some(0), "{err}");
    let index = out
        .lines()
        .find(|l| l.ends_with(&format!("name : {}", pulse.source_description)))
        .and_then(|l| l.strip_prefix("index : "))
        .and_then(|l| l.split(',').next())
        .unwrap_or_else(|| panic!("the test source is not listed:\n{out}"))
        .to_owned();
    let server = ServerBuilder::new("audio")
        .arg("--no-onvif")
        .env("XDG_RUNTIME_DIR", NO_RUNTIME_DIR)
        .env("PULSE_SERVER", &pulse.server)
        .start();
    // By index: G.711 mu-law by default, like the test pattern.
    let url = server.url(&format!("audiodevice{index}"));
    let streams = ffprobe(&url, "tcp");
    assert_eq!(streams.len(), 1, "{streams:?}");
    assert_eq!(
        (
            streams[0].codec.as_str(),
            streams[0].sample_rate,
            streams[0].channels
        ),
        ("pcm_mulaw", 8000, 1)
    );
    let d = ffmpeg_decode(&url, "tcp", &[], 1, 3.0);
    assert_clean(&d, "audiodevice");
    assert!(d.audio_frames >= 50, "{} audio frames", d.audio_frames);
    // By name, in another case and with `%20` for spaces, with another
    // codec and rate.
    let name = pulse.source_description.to_uppercase().replace(' ', "%20");
    let url = server.url(&format!("audiodevice={name}&ae=AAC&sr=16000"));
    let streams = ffprobe(&url, "tcp");
    assert_eq!(
        (streams[0].codec.as_str(), streams[0].sample_rate),
        ("aac", 16000),
        "{streams:?}"
    );
    let d = ffmpeg_decode(&url, "tcp", &[], 1, 3.0);
    assert_clean(&d, "audiodevice AAC");
    assert!(d.audio_frames >= 20, "{} audio frames", d.audio_frames);
}

#[test]
fn list_names_an_unknown_kind_as_a_usage_error() {
    let (code, out, err) = list("printers", &[]);
    assert_eq!(code, Some(2), "{out}{err}");
    assert!(err.contains("invalid value 'printers'"), "{err}");
    assert!(err.contains("videodevice"), "{err}");
}
