//! The broker with a fake pipeline host.

use std::time::Duration;

use bytes::Bytes;
use onvif_rtsp_core::media::{AudioOutput, Codec, SourceLocation, VideoCodec, VideoOutput};

use super::*;
use crate::inbox::{MediaReceiver, media_channel};

#[derive(Default)]
struct FakeHost {
    log: Mutex<Vec<String>>,
    sinks: Mutex<HashMap<u64, MediaSink>>,
}

impl PipelineHost for Arc<FakeHost> {
    fn open(&self, id: SourceId, spec: SourceSpec, sink: MediaSink) {
        self.log
            .lock()
            .unwrap()
            .push(format!("open {} {:?}", id.0, spec.location));
        self.sinks.lock().unwrap().insert(id.0, sink);
    }

    fn close(&self, id: SourceId) {
        self.log.lock().unwrap().push(format!("close {}", id.0));
        self.sinks.lock().unwrap().remove(&id.0);
    }
}

impl FakeHost {
    fn emit(&self, id: u64, event: MediaEvent) {
        let sink = self.sinks.lock().unwrap().get(&id).cloned().expect("open");
        sink(event);
    }

    fn log(&self) -> Vec<String> {
        std::mem::take(&mut *self.log.lock().unwrap())
    }
}

fn spec(location: SourceLocation) -> SourceSpec {
    SourceSpec {
        location,
        video: VideoOutput::default(),
        audio: AudioOutput::default(),
    }
}

fn track() -> TrackInfo {
    TrackInfo {
        codec: Codec::Video(VideoCodec::H264),
        clock_rate: 90000,
        sample_rate: 0,
        channels: 0,
        width: 0,
        height: 0,
        config: Bytes::new(),
    }
}

fn frame(n: u8) -> Frame {
    Frame {
        track: 0,
        pts: Duration::from_millis(u64::from(n) * 40),
        dts: Duration::from_millis(u64::from(n) * 40),
        keyframe: n == 0,
        data: Bytes::from(vec![n; 100]),
    }
}

fn setup(shards: usize) -> (Arc<FakeHost>, MediaBroker, Vec<MediaReceiver>) {
    let host = Arc::new(FakeHost::default());
    let (inboxes, receivers): (Vec<_>, Vec<_>) = (0..shards).map(|_| media_channel(64)).unzip();
    let broker = MediaBroker::new(Box::new(host.clone()), inboxes);
    (host, broker, receivers)
}

/// Everything waiting in a receiver, as short strings.
fn received(rx: &MediaReceiver) -> Vec<String> {
    let mut out = Vec::new();
    while let Some(event) = rx.try_recv() {
        out.push(match event {
            MediaEvent::Ready { source, .. } => format!("{} ready", source.0),
            MediaEvent::Frame { source, frame } => format!("{} frame {}", source.0, frame.data[0]),
            MediaEvent::Ended { source } => format!("{} ended", source.0),
            MediaEvent::Failed { source, .. } => format!("{} failed", source.0),
        });
    }
    out
}

#[test]
fn two_shards_share_one_live_pipeline_and_closing_both_closes_it() {
    let (host, broker, rx) = setup(2);
    let (a, b) = (broker.shard(0), broker.shard(1));
    a.open(SourceId(1), spec(SourceLocation::TestPattern));
    assert_eq!(host.log(), ["open 1 TestPattern"]);
    host.emit(
        1,
        MediaEvent::Ready {
            source: SourceId(1),
            kind: SourceKind::Live,
            tracks: vec![track()],
        },
    );
    host.emit(
        1,
        MediaEvent::Frame {
            source: SourceId(1),
            frame: frame(0),
        },
    );
    // Shard 1 numbers the same source 7: it joins, gets the tracks, and
    // from then on every frame, under its own id.
    b.open(SourceId(7), spec(SourceLocation::TestPattern));
    assert!(host.log().is_empty(), "no second pipeline");
    assert_eq!(broker.pipelines(), 1);
    host.emit(
        1,
        MediaEvent::Frame {
            source: SourceId(1),
            frame: frame(1),
        },
    );
    assert_eq!(received(&rx[0]), ["1 ready", "1 frame 0", "1 frame 1"]);
    assert_eq!(received(&rx[1]), ["7 ready", "7 frame 1"]);
    a.close(SourceId(1));
    assert!(host.log().is_empty(), "shard 1 still reads it");
    host.emit(
        1,
        MediaEvent::Frame {
            source: SourceId(1),
            frame: frame(2),
        },
    );
    assert!(received(&rx[0]).is_empty());
    assert_eq!(received(&rx[1]), ["7 frame 2"]);
    b.close(SourceId(7));
    assert_eq!(host.log(), ["close 1"]);
    assert_eq!(broker.pipelines(), 0);
    // The next reader starts a new pipeline.
    b.open(SourceId(8), spec(SourceLocation::TestPattern));
    assert_eq!(host.log(), ["open 2 TestPattern"]);
}

#[test]
fn payloads_are_shared_not_copied() {
    let (host, broker, rx) = setup(2);
    broker
        .shard(0)
        .open(SourceId(1), spec(SourceLocation::TestPattern));
    broker
        .shard(1)
        .open(SourceId(1), spec(SourceLocation::TestPattern));
    let data = Bytes::from(vec![9u8; 1000]);
    let f = Frame {
        data: data.clone(),
        ..frame(0)
    };
    host.emit(
        1,
        MediaEvent::Frame {
            source: SourceId(1),
            frame: f,
        },
    );
    for r in &rx {
        match r.try_recv() {
            Some(MediaEvent::Frame { frame, .. }) => assert_eq!(frame.data.as_ptr(), data.as_ptr()),
            other => panic!("expected a frame, got {other:?}"),
        }
    }
}

#[test]
fn a_late_shard_gets_a_files_frames_so_far() {
    let (host, broker, rx) = setup(3);
    let file = || spec(SourceLocation::File("a.mp4".into()));
    broker.shard(0).open(SourceId(1), file());
    host.emit(
        1,
        MediaEvent::Ready {
            source: SourceId(1),
            kind: SourceKind::File { duration: None },
            tracks: vec![track()],
        },
    );
    host.emit(
        1,
        MediaEvent::Frame {
            source: SourceId(1),
            frame: frame(0),
        },
    );
    host.emit(
        1,
        MediaEvent::Frame {
            source: SourceId(1),
            frame: frame(1),
        },
    );
    broker.shard(1).open(SourceId(4), file());
    host.emit(
        1,
        MediaEvent::Frame {
            source: SourceId(1),
            frame: frame(2),
        },
    );
    host.emit(
        1,
        MediaEvent::Ended {
            source: SourceId(1),
        },
    );
    broker.shard(2).open(SourceId(5), file());
    assert_eq!(
        host.log(),
        ["open 1 File(\"a.mp4\")"],
        "one demuxer for all"
    );
    let whole = |id: u64| -> Vec<String> {
        ["ready", "frame 0", "frame 1", "frame 2", "ended"]
            .iter()
            .map(|e| format!("{id} {e}"))
            .collect()
    };
    assert_eq!(received(&rx[0]), whole(1));
    assert_eq!(received(&rx[1]), whole(4));
    assert_eq!(received(&rx[2]), whole(5));
    // Every shard has joined: the history is dropped, and a shard that
    // comes back reads the file from a pipeline of its own.
    broker.shard(2).close(SourceId(5));
    broker.shard(2).open(SourceId(6), file());
    assert_eq!(host.log(), ["open 2 File(\"a.mp4\")"]);
    assert_eq!(broker.pipelines(), 2);
}

#[test]
fn a_file_past_the_replay_limit_is_not_shared() {
    let host = Arc::new(FakeHost::default());
    let (inboxes, rx): (Vec<_>, Vec<_>) = (0..2).map(|_| media_channel(64)).unzip();
    let broker = MediaBroker::with_replay_limit(Box::new(host.clone()), inboxes, 150);
    let file = || spec(SourceLocation::File("big.mkv".into()));
    broker.shard(0).open(SourceId(1), file());
    host.emit(
        1,
        MediaEvent::Ready {
            source: SourceId(1),
            kind: SourceKind::File { duration: None },
            tracks: vec![track()],
        },
    );
    host.emit(
        1,
        MediaEvent::Frame {
            source: SourceId(1),
            frame: frame(0),
        },
    );
    host.emit(
        1,
        MediaEvent::Frame {
            source: SourceId(1),
            frame: frame(1),
        },
    );
    broker.shard(1).open(SourceId(1), file());
    assert_eq!(
        host.log(),
        ["open 1 File(\"big.mkv\")", "open 2 File(\"big.mkv\")"]
    );
    assert_eq!(received(&rx[0]).len(), 3);
    assert!(received(&rx[1]).is_empty());
}

#[test]
fn a_failed_source_is_not_joined_and_every_reader_hears_of_it() {
    let (host, broker, rx) = setup(2);
    broker
        .shard(0)
        .open(SourceId(1), spec(SourceLocation::TestPattern));
    broker
        .shard(1)
        .open(SourceId(2), spec(SourceLocation::TestPattern));
    host.emit(
        1,
        MediaEvent::Failed {
            source: SourceId(1),
            error: SourceError::Failed("boom".into()),
        },
    );
    assert_eq!(received(&rx[0]), ["1 failed"]);
    assert_eq!(received(&rx[1]), ["2 failed"]);
    // A retry on shard 0 (before shard 1 closed its reader) starts afresh.
    broker.shard(0).close(SourceId(1));
    broker
        .shard(0)
        .open(SourceId(3), spec(SourceLocation::TestPattern));
    assert_eq!(host.log(), ["open 1 TestPattern", "open 2 TestPattern"]);
    broker.shard(1).close(SourceId(2));
    assert_eq!(host.log(), ["close 1"]);
}

#[test]
fn a_failure_reported_from_inside_open_does_not_deadlock() {
    struct FailingHost;
    impl PipelineHost for FailingHost {
        fn open(&self, id: SourceId, _: SourceSpec, sink: MediaSink) {
            sink(MediaEvent::Failed {
                source: id,
                error: SourceError::NotFound("nope".into()),
            });
        }
        fn close(&self, _: SourceId) {}
    }
    let (inbox, rx) = media_channel(4);
    let broker = MediaBroker::new(Box::new(FailingHost), vec![inbox]);
    broker
        .shard(0)
        .open(SourceId(3), spec(SourceLocation::File("x".into())));
    assert_eq!(received(&rx), ["3 failed"]);
}
