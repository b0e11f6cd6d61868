//! # onvif-rtsp-conformance
//!
//! How we know the server works:
//! - [`blackbox`]: start the built binary in a scratch directory and point
//!   real clients (ffmpeg, ffprobe, GStreamer) at it;
//! - `sim`: a seeded, simulated network and clock running the core server
//!   against the core's own client machine.

pub mod blackbox;
pub mod raw;
pub mod sim;
