//! GStreamer media layer: opens sources on the core's request and delivers encoded frames.
