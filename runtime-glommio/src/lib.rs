//! # onvif-rtsp-runtime-glommio
//!
//! Drives the sans-IO core with glommio (io_uring), thread-per-core: one
//! executor per shard, and each shard owns a core [`Server`] of its own, so
//! nothing on the hot path is shared or locked and core types need not be
//! `Send`.
//!
//! * **RTSP**: every shard listens on the same address with `SO_REUSEPORT`;
//!   the kernel spreads connections over the shards
//!   ([`bind_rtsp_listeners`]). A connection and its sessions live on the
//!   shard that accepted it.
//! * **UDP**: each shard binds the port blocks of its share
//!   ([`shard_config`]: shard `i` of `n` takes blocks `i`, `i + n`, ...),
//!   so shards never collide and together they use the ports one server
//!   would.
//! * **Media**: pipelines are shared by all shards through the
//!   [`MediaBroker`](onvif_rtsp_runtime_common::MediaBroker); each shard
//!   receives the events on its own channel, `Bytes` shared.
//! * **ONVIF**: the HTTP/HTTPS listeners, WS-Discovery, `onvifrun.cfg` and
//!   Notify pushes run on shard 0 only, so there is one device state.
//!   Shard 0 also watches SIGTERM/SIGINT (WS-Discovery Bye, then every shard
//!   stops) and SystemReboot.
//!
//! Writes are vectored `sendmsg` calls with no payload copy, one per
//! connection per drain (the batching of `onvif-rtsp-runtime-common`),
//! made by the drain itself while the connection's writer task has nothing
//! queued; datagrams leave in `sendmmsg` batches with UDP segmentation
//! offload. Reads, accepts and waits go through io_uring. Shard threads are not
//! pinned to CPUs: the media threads a shard starts inherit its affinity,
//! and GStreamer's encoders must be free to use every core.
//!
//! glommio needs io_uring and a memlock limit of at least 512 KiB; call
//! [`probe`] first and fall back to another runtime when it fails.
//!
//! The `unsafe` code of this runtime is in `net.rs`: handing owned
//! descriptors to glommio and borrowing them for the system calls glommio
//! does not offer; each block says why it is sound. (The other `unsafe`
//! block of the server is the `sendmmsg` call of
//! `onvif-rtsp-runtime-common`'s `udp_batch`.)
#![warn(missing_docs)]

mod net;
mod shard;

use std::io;
use std::net::{IpAddr, SocketAddr, TcpListener, UdpSocket};
use std::path::PathBuf;

use glommio::{LocalExecutorBuilder, Placement};
use onvif_rtsp_core::server::{PortShare, Server, ServerConfig};
pub use onvif_rtsp_runtime_common::{ListenerSpec, MediaControl, MediaReceiver, RunExit};

use shard::{Role, ShardSetup};

/// What one shard serves with.
pub struct ShardParts {
    /// Its core server (see [`shard_config`]).
    pub server: Server,
    /// Its handle on the shared media pipelines.
    pub media: Box<dyn MediaControl>,
    /// The receiving end of its media channel.
    pub inbox: MediaReceiver,
}

/// Builds a shard's parts on the shard's own thread, so that nothing of a
/// core server ever crosses threads.
pub type ShardFactory = Box<dyn FnOnce() -> ShardParts + Send>;

/// Where the shards listen and what they write.
#[derive(Debug)]
pub struct Options {
    /// One RTSP listener per shard, all on one address
    /// ([`bind_rtsp_listeners`]); shard `i` serves `rtsp[i]`.
    pub rtsp: Vec<TcpListener>,
    /// Listeners served by shard 0 only: the ONVIF HTTP and HTTPS ports.
    pub leader_listeners: Vec<ListenerSpec>,
    /// Address to bind RTP/RTCP UDP ports on.
    pub udp_ip: IpAddr,
    /// Where `onvifrun.cfg` goes when the ONVIF device changes (shard 0).
    pub onvif_state_file: Option<PathBuf>,
    /// The WS-Discovery socket, served by shard 0.
    pub discovery: Option<UdpSocket>,
}

/// The number of shards when none is asked for: one per CPU this process
/// may run on.
pub fn default_shards() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// The executor every shard runs on. glommio's storage buffers are not
/// used (network only), so their locked memory is kept to the minimum.
fn executor(index: usize) -> LocalExecutorBuilder {
    LocalExecutorBuilder::new(Placement::Unbound)
        .name(&format!("shard-{index}"))
        .io_memory(64 * 1024)
}

/// Checks that `shards` glommio executors can start here (io_uring
/// available, not blocked by seccomp, enough locked memory). `Err` says why
/// not, in words for a one-line message.
pub fn probe(shards: usize) -> Result<(), String> {
    let threads: Vec<_> = (0..shards.max(1))
        .map(|i| {
            std::thread::Builder::new()
                .name(format!("probe-{i}"))
                .spawn(move || executor(i).make().map(drop).map_err(|e| e.to_string()))
        })
        .collect();
    let mut result = Ok(());
    for t in threads {
        let outcome = match t {
            Ok(handle) => handle
                .join()
                .unwrap_or_else(|_| Err("the executor panicked at start".into())),
            Err(e) => Err(format!("cannot start a thread: {e}")),
        };
        if result.is_ok() {
            result = outcome;
        }
    }
    result
}

/// Binds `shards` listening sockets to `addr` with `SO_REUSEPORT` (port 0:
/// the port the first one got). A fixed port that another program already
/// holds is refused as it would be without `SO_REUSEPORT`, so two servers
/// never silently share one port.
pub fn bind_rtsp_listeners(addr: SocketAddr, shards: usize) -> io::Result<Vec<TcpListener>> {
    if addr.port() != 0 {
        drop(TcpListener::bind(addr)?);
    }
    let first = bind_reuseport(addr)?;
    let bound = first.local_addr()?;
    let mut listeners = vec![first];
    for _ in 1..shards.max(1) {
        listeners.push(bind_reuseport(bound)?);
    }
    Ok(listeners)
}

fn bind_reuseport(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = socket2::Socket::new(
        socket2::Domain::for_address(addr),
        socket2::Type::STREAM,
        Some(socket2::Protocol::TCP),
    )?;
    socket.set_reuse_address(true)?;
    socket.set_reuse_port(true)?;
    socket.bind(&addr.into())?;
    socket.listen(1024)?;
    Ok(socket.into())
}

/// The configuration of shard `index` of `count`: the same settings, its
/// share of the UDP port blocks, and a seed of its own (so that session
/// ids, SSRCs and nonces differ between shards yet stay reproducible).
pub fn shard_config(base: &ServerConfig, index: usize, count: usize) -> ServerConfig {
    let mut cfg = base.clone();
    let count = count.clamp(1, usize::from(u16::MAX));
    cfg.udp_share = PortShare {
        index: (index % count) as u16,
        count: count as u16,
    };
    if index > 0 {
        cfg.rng_seed = base
            .rng_seed
            .wrapping_add((index as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15))
            .rotate_left(17);
    }
    cfg
}

/// Runs the shards until a signal, a reboot request, or a failure: shard 0
/// (`leader`) on the calling thread, the others on threads of their own,
/// each built by its factory there. Returns when every shard has stopped.
pub fn run(options: Options, leader: ShardParts, others: Vec<ShardFactory>) -> io::Result<RunExit> {
    let count = others.len() + 1;
    if options.rtsp.len() != count {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} RTSP listeners for {count} shards", options.rtsp.len()),
        ));
    }
    let signals = watch_signals();
    let mut rtsp = options.rtsp.into_iter();
    let leader_rtsp = rtsp.next().expect("one listener per shard");
    // Nothing is ever sent on `stop`: it closes when the leader returns.
    let (stop_tx, stop_rx) = async_channel::bounded::<()>(1);
    let (fail_tx, fail_rx) = async_channel::unbounded::<io::Error>();
    let mut threads = Vec::with_capacity(others.len());
    for ((i, factory), listener) in others.into_iter().enumerate().zip(rtsp) {
        let index = i + 1;
        let stop = stop_rx.clone();
        let fail = fail_tx.clone();
        let udp_ip = options.udp_ip;
        let thread = std::thread::Builder::new()
            .name(format!("shard-{index}"))
            .spawn(move || {
                let ex = match executor(index).make() {
                    Ok(ex) => ex,
                    Err(e) => {
                        let _ = fail.send_blocking(io::Error::other(format!(
                            "shard {index} cannot start: {e}"
                        )));
                        return;
                    }
                };
                ex.run(async move {
                    let setup = ShardSetup {
                        index,
                        rtsp: listener,
                        extra: Vec::new(),
                        udp_ip,
                        onvif_state_file: None,
                        discovery: None,
                    };
                    let parts = factory();
                    if let Err(e) = shard::run(setup, parts, Role::Follower { stop }).await {
                        let _ = fail.send(e).await;
                    }
                });
            })?;
        threads.push(thread);
    }
    drop(fail_tx);
    let setup = ShardSetup {
        index: 0,
        rtsp: leader_rtsp,
        extra: options.leader_listeners,
        udp_ip: options.udp_ip,
        onvif_state_file: options.onvif_state_file,
        discovery: options.discovery,
    };
    let exit = match executor(0).make() {
        Ok(ex) => ex.run(shard::run(
            setup,
            leader,
            Role::Leader {
                signals,
                failures: fail_rx,
            },
        )),
        Err(e) => Err(io::Error::other(format!("shard 0 cannot start: {e}"))),
    };
    drop(stop_tx);
    for thread in threads {
        let _ = thread.join();
    }
    exit
}

/// SIGTERM and SIGINT, as messages on a channel (from a thread that waits
/// for them), for the leader to say goodbye.
fn watch_signals() -> Option<async_channel::Receiver<()>> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals = match signal_hook::iterator::Signals::new([SIGTERM, SIGINT]) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, "cannot watch for SIGTERM/SIGINT; no WS-Discovery Bye at exit");
            return None;
        }
    };
    let (tx, rx) = async_channel::bounded(1);
    let spawned = std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            for _ in signals.forever() {
                if tx.send_blocking(()).is_err() {
                    return;
                }
            }
        });
    match spawned {
        Ok(_) => Some(rx),
        Err(e) => {
            tracing::warn!(error = %e, "cannot watch for SIGTERM/SIGINT; no WS-Discovery Bye at exit");
            None
        }
    }
}

#[cfg(test)]
mod tests;
