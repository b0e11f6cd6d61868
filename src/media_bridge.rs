//! Connects the GStreamer media layer to the runtimes: the engine runs the
//! pipelines, and the [`MediaBroker`] shares each one among the shards (one
//! shard with smol, one per CPU with glommio).

use onvif_rtsp_core::media::{SourceId, SourceSpec};
use onvif_rtsp_media::MediaEngine;
use onvif_rtsp_runtime_common::{
    MediaBroker, MediaReceiver, MediaSink, PipelineHost, media_channel,
};

/// Frames a shard may have waiting before the pipeline feeding it waits.
const FRAMES_IN_FLIGHT: usize = 256;

/// [`PipelineHost`] on GStreamer.
struct GstPipelines {
    engine: MediaEngine,
}

impl PipelineHost for GstPipelines {
    fn open(&self, id: SourceId, spec: SourceSpec, sink: MediaSink) {
        tracing::info!(pipeline = id.0, ?spec, "opening source");
        self.engine.open(id, spec, sink);
    }

    fn close(&self, id: SourceId) {
        tracing::info!(pipeline = id.0, "closing source");
        self.engine.close(id);
    }
}

/// A broker over `engine` for `shards` shards, with each shard's receiver.
/// A file's frames are kept for shards that join late up to `replay_limit`
/// bytes: the same limit as each core's file cache, as both hold the very
/// same buffers (the replay costs no second copy).
pub fn broker(
    engine: MediaEngine,
    shards: usize,
    replay_limit: usize,
) -> (MediaBroker, Vec<MediaReceiver>) {
    let (inboxes, receivers): (Vec<_>, Vec<_>) = (0..shards.max(1))
        .map(|_| media_channel(FRAMES_IN_FLIGHT))
        .unzip();
    let broker =
        MediaBroker::with_replay_limit(Box::new(GstPipelines { engine }), inboxes, replay_limit);
    (broker, receivers)
}
