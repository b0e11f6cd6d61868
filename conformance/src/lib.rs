//! # onvif-rtsp-conformance
//!
//! How we know the server works:
//! - [`blackbox`]: start the built binary in a scratch directory and point
//!   real clients (ffmpeg, ffprobe, GStreamer) at it; [`desktop`] gives it a
//!   private X display (Xvfb, windows) and sound server to capture;
//! - `sim`: a seeded, simulated network and clock running the core server
//!   against the core's own client machine;
//! - [`replay`]: captures (pcap, pcapng) of real clients with our server,
//!   replayed into the core and compared with what the server answered.

pub mod blackbox;
pub mod desktop;
pub mod raw;
pub mod replay;
pub mod sim;
