//! Helpers shared by the integration tests: an engine, an event collector,
//! and media files generated with gst-launch-1.0 at test time.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use onvif_rtsp_core::media::{
    AudioOutput, Frame, SourceId, SourceLocation, SourceSpec, TrackInfo, VideoOutput,
};
use onvif_rtsp_media::{MediaConfig, MediaEngine, MediaEvent, MediaSink};

/// A fresh, empty directory under Cargo's per-target temp dir. Leftovers of
/// earlier runs (older than ten minutes, so a concurrent run is safe) are
/// removed on the way.
pub fn temp_dir(tag: &str) -> PathBuf {
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let prefix = format!("onvif-media-{tag}-");
    if let Ok(entries) = std::fs::read_dir(&root) {
        for entry in entries.flatten() {
            let stale = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > Duration::from_secs(600));
            if stale && entry.file_name().to_string_lossy().starts_with(&prefix) {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
    let dir = root.join(format!("{prefix}{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `gst-launch-1.0 -q <pipeline>` in `dir` and panics if it fails.
pub fn gst_launch(dir: &Path, pipeline: &str) {
    let status = Command::new("gst-launch-1.0")
        .arg("-q")
        .args(pipeline.split_whitespace())
        .current_dir(dir)
        .status()
        .expect("gst-launch-1.0 runs");
    assert!(status.success(), "gst-launch-1.0 {pipeline} failed");
}

/// An engine serving `dir`.
pub fn engine(dir: &Path) -> MediaEngine {
    MediaEngine::new(MediaConfig::new(dir)).unwrap()
}

/// A spec for `location` with the given outputs.
pub fn spec(location: SourceLocation, video: VideoOutput, audio: AudioOutput) -> SourceSpec {
    SourceSpec {
        location,
        video,
        audio,
    }
}

/// Opens a source whose events land in the returned channel.
pub fn open(engine: &MediaEngine, id: u64, spec: SourceSpec) -> Receiver<MediaEvent> {
    let (tx, rx) = channel();
    let sink: MediaSink = Arc::new(move |ev| {
        let _ = tx.send(ev);
    });
    engine.open(SourceId(id), spec, sink);
    rx
}

/// Everything one source said, split up.
#[derive(Debug, Default)]
pub struct Run {
    pub ready: Option<(onvif_rtsp_core::media::SourceKind, Vec<TrackInfo>)>,
    pub frames: Vec<Frame>,
    pub ended: bool,
    pub failed: Option<onvif_rtsp_core::media::SourceError>,
}

impl Run {
    pub fn tracks(&self) -> &[TrackInfo] {
        &self.ready.as_ref().expect("Ready").1
    }
    pub fn frames_of(&self, track: usize) -> Vec<&Frame> {
        self.frames.iter().filter(|f| f.track == track).collect()
    }
}

/// Collects events until `Ended`/`Failed`, `stop` says enough, or `timeout`.
/// Checks the ordering contract on the way.
pub fn collect(
    rx: &Receiver<MediaEvent>,
    timeout: Duration,
    mut stop: impl FnMut(&Run) -> bool,
) -> Run {
    let deadline = Instant::now() + timeout;
    let mut run = Run::default();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let ev = match rx.recv_timeout(left) {
            Ok(ev) => ev,
            Err(RecvTimeoutError::Timeout) => return run,
            Err(RecvTimeoutError::Disconnected) => return run,
        };
        assert!(
            !run.ended && run.failed.is_none(),
            "event after the end: {ev:?}"
        );
        match ev {
            MediaEvent::Ready { kind, tracks, .. } => {
                assert!(run.ready.is_none(), "second Ready");
                run.ready = Some((kind, tracks));
            }
            MediaEvent::Frame { frame, .. } => {
                assert!(run.ready.is_some(), "Frame before Ready");
                assert!(frame.track < run.tracks().len(), "bad track index");
                run.frames.push(frame);
            }
            MediaEvent::Ended { .. } => {
                assert!(run.ready.is_some(), "Ended before Ready");
                run.ended = true;
                return run;
            }
            MediaEvent::Failed { error, .. } => {
                run.failed = Some(error);
                return run;
            }
        }
        if stop(&run) {
            return run;
        }
    }
}

/// NAL unit types found after the start codes of an Annex B access unit.
pub fn nal_types(au: &[u8], hevc: bool) -> Vec<u8> {
    let mut types = Vec::new();
    let mut i = 0;
    while i + 3 < au.len() {
        if au[i] == 0 && au[i + 1] == 0 && au[i + 2] == 1 {
            let h = au[i + 3];
            types.push(if hevc { (h >> 1) & 0x3f } else { h & 0x1f });
            i += 3;
        } else {
            i += 1;
        }
    }
    types
}

/// Asserts that decode times never go back within each track.
pub fn assert_monotonic_dts(run: &Run) {
    for track in 0..run.tracks().len() {
        let frames = run.frames_of(track);
        for pair in frames.windows(2) {
            assert!(
                pair[1].dts >= pair[0].dts,
                "track {track}: dts {:?} after {:?}",
                pair[1].dts,
                pair[0].dts
            );
        }
    }
}
