//! # onvif-rtsp-core
//!
//! The pure protocol core of `onvif-rtsp-server`: RTSP/1.0 parsing and the
//! server session machine, RTP packetizers, RTCP, SDP, authentication and the
//! configuration schema. It performs no I/O: no sockets, no clocks, no
//! threads, no global state, no randomness except a seeded generator.
//!
//! ## The drain rule
//!
//! A runtime drives a [`server::Server`] by feeding it one
//! [`server::Input`] at a time with [`server::Server::handle_input`], and
//! after *every* input draining [`server::Server::poll_output`] until it
//! returns [`server::Output::Timeout`]. That timeout is the instant at which
//! the runtime must feed [`server::Input::Timeout`] if nothing else happens
//! first. Outputs not drained stay queued in the server; a runtime that stops
//! draining early will see them on the next poll, but timers only advance
//! when time is fed in. Tests and simulations obey the same rule, which is
//! what makes a run reproducible from its inputs and its seed.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod client;
pub mod config;
pub mod http;
pub mod id_map;
pub mod media;
pub mod onvif;
pub mod onvif_device;
pub mod onvif_state;
pub mod rng;
pub mod rtcp;
pub mod rtp;
pub mod rtsp;
pub mod sdp;
pub mod server;
pub mod time_fmt;
