//! Benchmark support for `onvif-rtsp-server`: the RTSP load generator
//! (`rtsp-load`) and the pieces it is built from.
//!
//! - [`framing`]: zero-copy framing of `$`-interleaved RTP mixed with RTSP
//!   responses;
//! - [`rtp_stats`]: per-channel RTP packet and sequence-gap accounting;
//! - [`reader`]: one simulated reader (OPTIONS .. PLAY, then counting),
//!   reading URLs and SDP with the core's RTSP client parsers
//!   (`onvif_rtsp_core::client::{url, sdp}`);
//! - [`load`]: the run (ramp, steady window, stop) and [`report`] its summary;
//! - [`procfs`]: CPU and memory of a process from `/proc`;
//! - [`server`]: starting the server under test;
//! - [`core_sim`]: the core server driven in memory with a synthetic
//!   1080p source, for the fan-out benchmark and `alloc-count`.
#![warn(missing_docs)]

pub mod core_sim;
pub mod framing;
pub mod load;
pub mod procfs;
pub mod reader;
pub mod report;
pub mod rtp_stats;
pub mod server;
