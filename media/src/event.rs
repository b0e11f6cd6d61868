//! What the media layer tells the runtime about an open source.
//!
//! The event type itself belongs to the core's media contract
//! ([`onvif_rtsp_core::media::MediaEvent`]) so that the runtime can hand it to
//! the server without translation; it is re-exported here. For a given
//! source the order is always `Ready`, any number of `Frame`s, then at most
//! one of `Ended` or `Failed` (which may also come without a `Ready`).

use std::sync::Arc;

pub use onvif_rtsp_core::media::MediaEvent;

/// Where a source's events go. Called from GStreamer threads, one event at a
/// time per source; it may block (for example on a bounded channel) to slow
/// the pipeline down, but must not block forever after the source is closed.
pub type MediaSink = Arc<dyn Fn(MediaEvent) + Send + Sync>;
