//! Connects the GStreamer media layer to the runtime's media inbox.

use std::sync::Arc;

use onvif_rtsp_core::media::{SourceId, SourceSpec};
use onvif_rtsp_media::MediaEngine;
use onvif_rtsp_runtime_smol::{MediaControl, MediaInbox};

/// [`MediaControl`] on GStreamer.
pub struct GstMedia {
    engine: MediaEngine,
    inbox: MediaInbox,
}

impl GstMedia {
    pub fn new(engine: MediaEngine, inbox: MediaInbox) -> GstMedia {
        GstMedia { engine, inbox }
    }
}

impl MediaControl for GstMedia {
    fn open(&self, source: SourceId, spec: SourceSpec) {
        tracing::info!(source = source.0, ?spec, "opening source");
        let inbox = self.inbox.clone();
        self.engine.open(
            source,
            spec,
            Arc::new(move |event| {
                inbox.deliver(event);
            }),
        );
    }

    fn close(&self, source: SourceId) {
        tracing::info!(source = source.0, "closing source");
        self.engine.close(source);
    }
}
