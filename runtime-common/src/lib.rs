//! # onvif-rtsp-runtime-common
//!
//! The runtime-independent half of every adapter that drives the sans-IO
//! core (`runtime-smol`, `runtime-glommio`): what to do with each
//! [`Output`](onvif_rtsp_core::server::Output), minus the sockets.
//!
//! * [`drain`]: the drain rule, with each connection's data of one drain
//!   gathered into one writer message, and TLS terminated sans-IO.
//! * [`inbox`]: the channel from the media layer's threads to a runtime
//!   thread, with backpressure on frames.
//! * [`broker`]: one pipeline per source for the whole process, shared by
//!   the shards of a thread-per-core runtime (and used as is, with one
//!   shard, by the single-threaded one).
//! * [`udp_batch`]: the datagrams of one socket and drain in one
//!   `sendmmsg`, segmented by the kernel where it can.
//! * [`write_now`], [`writer`]: a connection's data written straight from
//!   the drain while its writer task has nothing queued, and that task.
//! * [`persist`], [`discovery`], [`notify`], [`tls`]: `onvifrun.cfg`
//!   written atomically, the WS-Discovery socket, Notify POSTs, and TLS
//!   settings from PEM files.
//!
//! A runtime only accepts, reads, writes, binds and sleeps.
// `deny`, not `forbid`: `udp_batch` holds the one `sendmmsg` call.
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod broker;
pub mod discovery;
pub mod drain;
pub mod inbox;
pub mod net_event;
pub use net_event::NetEvent;
pub mod notify;
pub mod persist;
#[cfg(feature = "testing")]
pub mod testing;
pub mod tls;
pub mod udp_batch;
pub mod write_now;
pub mod writer;

use std::net::TcpListener;
use std::sync::Arc;

use onvif_rtsp_core::media::{SourceId, SourceSpec};
use onvif_rtsp_core::server::Listener;

pub use broker::{MediaBroker, MediaSink, PipelineHost, ShardMedia};
pub use discovery::bind_discovery;
pub use drain::{Conns, Sockets, media_input};
pub use inbox::{MediaInbox, MediaReceiver, media_channel};
pub use tls::load_server_config;

/// Opens and closes media sources on a core server's behalf (a shard's
/// handle on the [`MediaBroker`], or a fake in tests). Answers come back
/// through the server's [`MediaReceiver`].
pub trait MediaControl {
    /// Opens `spec`; every result comes back through the [`MediaInbox`].
    fn open(&self, source: SourceId, spec: SourceSpec);
    /// Stops a source; nothing more is expected from it.
    fn close(&self, source: SourceId);
}

/// One listening socket handed to a runtime.
#[derive(Debug)]
pub struct ListenerSpec {
    /// The bound socket.
    pub listener: TcpListener,
    /// What it serves.
    pub kind: Listener,
    /// TLS settings when the runtime terminates TLS on it.
    pub tls: Option<Arc<rustls::ServerConfig>>,
}

/// Why a runtime's `run` returned.
#[derive(Debug, PartialEq, Eq)]
pub enum RunExit {
    /// An ONVIF client asked for a reboot: the caller restarts the process.
    Reboot,
    /// SIGINT or SIGTERM: the server said goodbye (WS-Discovery Bye) and stopped.
    Signal,
}
