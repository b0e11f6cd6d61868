//! Socket tasks: accept, read, vectored write, UDP receive.

use std::cell::Cell;
use std::io::{self, IoSlice};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::rc::Rc;
use std::sync::Arc;

use async_channel::{Receiver, Sender};
use onvif_rtsp_core::server::{ConnId, Listener, SendBuf};
use onvif_rtsp_runtime_common::NetEvent;
use onvif_rtsp_runtime_common::write_now::io_slices;
use onvif_rtsp_runtime_common::writer::{WriterCommand, WriterEnd, run_writer};
use smol::Async;
use smol::io::{AsyncReadExt, AsyncWriteExt};

/// A connection a listener accepted, with the kind of listener.
pub(crate) type Accepted = io::Result<(
    Async<TcpStream>,
    SocketAddr,
    Listener,
    Option<Arc<rustls::ServerConfig>>,
)>;

pub(crate) async fn accept_loop(
    listener: Async<TcpListener>,
    kind: Listener,
    tls: Option<Arc<rustls::ServerConfig>>,
    tx: Sender<Accepted>,
) {
    loop {
        let accepted = listener.accept().await;
        match accepted {
            Ok((stream, peer)) => {
                if tx
                    .send(Ok((stream, peer, kind, tls.clone())))
                    .await
                    .is_err()
                {
                    return;
                }
            }
            // Out of file descriptors and similar: keep serving the others.
            Err(e) if is_transient_accept_error(&e) => {
                tracing::warn!(error = %e, "accept failed");
                smol::Timer::after(std::time::Duration::from_millis(50)).await;
            }
            Err(e) => {
                let _ = tx.send(Err(e)).await;
                return;
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

pub(crate) async fn read_loop(conn: ConnId, stream: Arc<Async<TcpStream>>, tx: Sender<NetEvent>) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match (&*stream).read(&mut buf).await {
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

/// The connection's writer task ([`run_writer`]): writes what the drain
/// could not write at once.
pub(crate) async fn write_loop(
    conn: ConnId,
    stream: Arc<Async<TcpStream>>,
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
        let _ = (&*stream).flush().await;
        let _ = stream.get_ref().shutdown(std::net::Shutdown::Both);
    }
}

/// Writes every head and body of `batch` with as few `writev` calls as the
/// socket allows, copying nothing.
async fn write_all_vectored(stream: &Async<TcpStream>, batch: &[SendBuf]) -> io::Result<()> {
    let mut slices = io_slices(batch);
    let mut remaining: &mut [IoSlice<'_>] = &mut slices;
    while !remaining.is_empty() {
        // Linux takes at most IOV_MAX (1024) slices per call.
        let take = remaining.len().min(1024);
        let n = stream
            .write_with(|s| {
                use std::io::Write;
                let mut s: &TcpStream = s;
                s.write_vectored(&remaining[..take])
            })
            .await?;
        if n == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        IoSlice::advance_slices(&mut remaining, n);
    }
    Ok(())
}

pub(crate) fn bind_udp(addr: SocketAddr) -> io::Result<Arc<Async<UdpSocket>>> {
    let domain = socket2::Domain::for_address(addr);
    let socket = socket2::Socket::new(domain, socket2::Type::DGRAM, Some(socket2::Protocol::UDP))?;
    // Room for bursts of a high-bitrate keyframe to many readers.
    let _ = socket.set_send_buffer_size(1 << 20);
    socket.bind(&addr.into())?;
    socket.set_nonblocking(true)?;
    Ok(Arc::new(Async::new(UdpSocket::from(socket))?))
}

pub(crate) async fn udp_read_loop(
    local_port: u16,
    socket: Arc<Async<UdpSocket>>,
    tx: Sender<NetEvent>,
) {
    let mut buf = vec![0u8; 2048];
    loop {
        match socket.recv_from(&mut buf).await {
            Ok((n, src)) => {
                let data = buf[..n].to_vec();
                if tx
                    .send(NetEvent::Datagram {
                        local_port,
                        src,
                        data,
                    })
                    .await
                    .is_err()
                {
                    return;
                }
            }
            // ICMP port unreachable surfaces as an error on Linux; keep reading.
            Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {}
            Err(_) => return,
        }
    }
}
