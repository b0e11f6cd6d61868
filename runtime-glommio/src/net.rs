//! Socket tasks on a glommio executor: accept, read, vectored write, UDP.
//!
//! glommio reads and accepts through io_uring. It has no vectored write, so
//! writes are `sendmsg` calls with the shared payloads as separate iovecs
//! (nothing copied), made directly on the socket with `MSG_DONTWAIT`; only
//! when the socket is full does the writer wait, through glommio's
//! io_uring poll, by letting glommio write the first buffer.

use std::cell::{Cell, RefCell};
use std::future::poll_fn;
use std::io::{self, IoSlice};
use std::net::{Shutdown, SocketAddr};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use async_channel::{Receiver, Sender};
use futures_lite::io::{AsyncRead, AsyncWrite};
use glommio::net::{TcpListener, TcpStream, UdpSocket};
use onvif_rtsp_core::server::{ConnId, Listener, SendBuf};
use onvif_rtsp_runtime_common::NetEvent;
use onvif_rtsp_runtime_common::udp_batch::{self, Datagram, SendReport};
use onvif_rtsp_runtime_common::write_now::io_slices;
use onvif_rtsp_runtime_common::writer::{WriterCommand, WriterEnd, run_writer};

/// A connection's socket, shared by its reader and writer tasks (on one
/// thread; each borrows it only within a poll).
pub(crate) type Stream = Rc<RefCell<TcpStream>>;

/// Linux takes at most IOV_MAX (1024) iovecs per call.
const IOV_MAX: usize = 1024;

/// A connection a listener accepted, with what the listener serves.
pub(crate) type Accepted = io::Result<(TcpStream, Listener, Option<Arc<rustls::ServerConfig>>)>;

/// Runs `f` on a glommio socket seen through socket2, for the system calls
/// glommio does not offer (vectored sends with flags, shutdown).
fn with_sock<S: AsRawFd, R>(owner: &S, f: impl FnOnce(socket2::SockRef<'_>) -> R) -> R {
    // SAFETY: the descriptor belongs to `owner`, which is borrowed for the
    // whole call, so it stays open while `f` uses it; the borrowed
    // descriptor does not outlive this function.
    let fd = unsafe { BorrowedFd::borrow_raw(owner.as_raw_fd()) };
    f(socket2::SockRef::from(&fd))
}

pub(crate) async fn accept_loop(
    listener: TcpListener,
    kind: Listener,
    tls: Option<Arc<rustls::ServerConfig>>,
    tx: Sender<Accepted>,
) {
    loop {
        match listener.accept().await {
            Ok(stream) => {
                if tx.send(Ok((stream, kind, tls.clone()))).await.is_err() {
                    return;
                }
            }
            Err(e) => {
                let e = io::Error::from(e);
                if is_transient_accept_error(&e) {
                    // Out of file descriptors and similar: keep serving the others.
                    tracing::warn!(error = %e, "accept failed");
                    glommio::timer::sleep(Duration::from_millis(50)).await;
                } else {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            }
        }
    }
}

fn is_transient_accept_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
    ) || matches!(e.raw_os_error(), Some(23 | 24 | 105 | 12))
}

pub(crate) async fn read_loop(conn: ConnId, stream: Stream, tx: Sender<NetEvent>) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let read = poll_fn(|cx| Pin::new(&mut *stream.borrow_mut()).poll_read(cx, &mut buf)).await;
        match read {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let data = buf[..n].to_vec();
                if tx.send(NetEvent::Data { conn, data }).await.is_err() {
                    return;
                }
            }
        }
    }
    let _ = tx.send(NetEvent::Closed { conn }).await;
}

/// One vectored send that never waits (for the direct writes of the
/// drain); a socket in use (never, between polls) counts as full.
pub(crate) fn send_now(stream: &Stream, slices: &[IoSlice<'_>]) -> io::Result<usize> {
    let Ok(stream) = stream.try_borrow() else {
        return Err(io::ErrorKind::WouldBlock.into());
    };
    with_sock(&*stream, |s| {
        s.send_vectored_with_flags(slices, libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL)
    })
}

/// The connection's writer task ([`run_writer`]): writes what the drain
/// could not write at once.
pub(crate) async fn write_loop(
    conn: ConnId,
    stream: Stream,
    rx: Receiver<WriterCommand>,
    busy: Rc<Cell<bool>>,
    tx: Sender<NetEvent>,
) {
    let end = run_writer(
        &rx,
        &busy,
        async |batch: &[SendBuf]| write_all_vectored(&stream, batch).await,
        async |bytes| tx.send(NetEvent::Written { conn, bytes }).await.is_ok(),
    )
    .await;
    if end == WriterEnd::ShutDown {
        let _ = with_sock(&*stream.borrow(), |s| s.shutdown(Shutdown::Both));
    }
}

/// Writes every head and body of `batch` with as few `sendmsg` calls as the
/// socket allows, copying nothing.
async fn write_all_vectored(stream: &Stream, batch: &[SendBuf]) -> io::Result<()> {
    let mut slices = io_slices(batch);
    let mut remaining: &mut [IoSlice<'_>] = &mut slices;
    while !remaining.is_empty() {
        let take = remaining.len().min(IOV_MAX);
        let sent = with_sock(&*stream.borrow(), |s| {
            s.send_vectored_with_flags(&remaining[..take], libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL)
        });
        let n = match sent {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                // Full: glommio waits for room (io_uring poll) and writes
                // the first buffer; the rest goes vectored again.
                let first: &[u8] = &remaining[0];
                poll_fn(|cx| Pin::new(&mut *stream.borrow_mut()).poll_write(cx, first)).await?
            }
            Err(e) => return Err(e),
        };
        if n == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        IoSlice::advance_slices(&mut remaining, n);
    }
    Ok(())
}

/// Binds a UDP port of this shard.
pub(crate) fn bind_udp(addr: SocketAddr) -> io::Result<Rc<UdpSocket>> {
    let domain = socket2::Domain::for_address(addr);
    let socket = socket2::Socket::new(domain, socket2::Type::DGRAM, Some(socket2::Protocol::UDP))?;
    // Room for bursts of a high-bitrate keyframe to many readers.
    let _ = socket.set_send_buffer_size(1 << 20);
    socket.bind(&addr.into())?;
    Ok(Rc::new(udp_from_std(socket.into())))
}

/// Hands a bound std UDP socket to glommio.
pub(crate) fn udp_from_std(socket: std::net::UdpSocket) -> UdpSocket {
    use std::os::fd::{FromRawFd, IntoRawFd};
    // SAFETY: `into_raw_fd` gives up ownership of an open UDP socket, which
    // glommio takes over (and closes on drop); nothing else refers to it.
    unsafe { UdpSocket::from_raw_fd(socket.into_raw_fd()) }
}

/// Hands a bound, listening std TCP socket to glommio.
pub(crate) fn listener_from_std(listener: std::net::TcpListener) -> TcpListener {
    use std::os::fd::{FromRawFd, IntoRawFd};
    // SAFETY: as in `udp_from_std`: glommio becomes the only owner of an
    // open, listening socket.
    unsafe { TcpListener::from_raw_fd(listener.into_raw_fd()) }
}

/// Sends datagrams that leave from `socket` with as few `sendmmsg` calls
/// as possible, never waiting: a full socket buffer costs datagrams only.
pub(crate) fn send_datagrams(
    socket: &UdpSocket,
    datagrams: &[Datagram],
) -> (SendReport, Option<io::Error>) {
    with_sock(socket, |s| udp_batch::send(s.as_fd(), datagrams))
}

pub(crate) async fn udp_read_loop(local_port: u16, socket: Rc<UdpSocket>, tx: Sender<NetEvent>) {
    let mut buf = vec![0u8; 2048];
    loop {
        match socket.recv_from(&mut buf).await {
            Ok((n, src)) => {
                let data = buf[..n].to_vec();
                let event = NetEvent::Datagram {
                    local_port,
                    src,
                    data,
                };
                if tx.send(event).await.is_err() {
                    return;
                }
            }
            Err(e) => {
                // ICMP port unreachable surfaces as an error on Linux; keep reading.
                let e = io::Error::from(e);
                if e.kind() != io::ErrorKind::ConnectionRefused {
                    return;
                }
            }
        }
    }
}
