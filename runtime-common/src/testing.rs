//! What the runtimes' tests share (feature `testing`, for dev-dependencies
//! only; the server never has it).

use std::io::Read;
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use bytes::Bytes;
use onvif_rtsp_core::media::{SourceId, SourceSpec};
use onvif_rtsp_core::server::SendBuf;

use crate::MediaControl;

/// A media layer that opens nothing, for runtimes under test without media.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoMedia;

impl MediaControl for NoMedia {
    fn open(&self, _: SourceId, _: SourceSpec) {}
    fn close(&self, _: SourceId) {}
}

/// `len` bytes, each telling its place (modulo 251, a prime), so that a
/// reordering or a loss shows when compared.
pub fn patterned_bytes(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

/// The data of drain number `drain` of `bytes` cut into drains of
/// `per_drain` buffers of `chunk` bytes.
pub fn drain_data(bytes: &[u8], drain: usize, per_drain: usize, chunk: usize) -> Vec<SendBuf> {
    (0..per_drain)
        .map(|k| {
            let start = (drain * per_drain + k) * chunk;
            SendBuf::body_only(Bytes::copy_from_slice(&bytes[start..start + chunk]))
        })
        .collect()
}

/// Connects to `addr` with a 4 KiB receive buffer (set before the
/// handshake, so the window stays small) and reads `total` bytes more
/// slowly than a server writes them; returns what arrived.
///
/// # Panics
///
/// When the socket cannot be made or connected (a test's setup).
pub fn slow_reader(addr: SocketAddr, total: usize) -> Vec<u8> {
    let socket = socket2::Socket::new(
        socket2::Domain::for_address(addr),
        socket2::Type::STREAM,
        Some(socket2::Protocol::TCP),
    )
    .expect("socket");
    socket.set_recv_buffer_size(4096).expect("SO_RCVBUF");
    socket.connect(&addr.into()).expect("connect");
    let mut client = TcpStream::from(socket);
    let mut got = Vec::with_capacity(total);
    let mut buf = [0u8; 8192];
    while got.len() < total {
        std::thread::sleep(Duration::from_micros(200));
        match client.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
    got
}

/// Gives a server-side socket a fixed 4 KiB send buffer (which also stops
/// the kernel's autotuning), so that it fills at once.
///
/// # Panics
///
/// When the kernel refuses the option.
pub fn small_send_buffer(socket: std::os::fd::BorrowedFd<'_>) {
    socket2::SockRef::from(&socket)
        .set_send_buffer_size(4096)
        .expect("SO_SNDBUF");
}
