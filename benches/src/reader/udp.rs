//! UDP delivery: a client port pair per track, datagrams counted from
//! their first 12 bytes.

use std::cell::RefCell;
use std::io;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::os::fd::AsRawFd;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use smol::Async;

use super::ReaderLive;
use super::media::MediaStats;
use crate::framing::FRAME_HEAD;

/// Binds an even RTP port and the RTCP port above it on `ip`.
pub(super) fn bind_port_pair(
    ip: IpAddr,
    rcvbuf: usize,
) -> io::Result<(Async<UdpSocket>, Async<UdpSocket>, u16)> {
    let mut last_err = None;
    for _ in 0..64 {
        let rtp = UdpSocket::bind(SocketAddr::new(ip, 0))?;
        let port = rtp.local_addr()?.port();
        if port % 2 != 0 || port == u16::MAX {
            continue;
        }
        match UdpSocket::bind(SocketAddr::new(ip, port + 1)) {
            Ok(rtcp) => {
                if rcvbuf > 0 {
                    set_rcvbuf(&rtp, rcvbuf)?;
                }
                return Ok((Async::new(rtp)?, Async::new(rtcp)?, port));
            }
            Err(e) => last_err = Some(e),
        }
    }
    Err(last_err.unwrap_or_else(|| io::Error::new(io::ErrorKind::AddrInUse, "no free port pair")))
}

/// Receives datagrams on one socket until cancelled or the socket fails.
pub(super) async fn receive_udp(
    sock: Async<UdpSocket>,
    track: usize,
    rtcp: bool,
    media: Rc<RefCell<MediaStats>>,
    live: Arc<ReaderLive>,
) {
    let mut head = [0u8; FRAME_HEAD + 4];
    loop {
        let r = sock
            .read_with(|s| recv_truncated(s.as_raw_fd(), &mut head))
            .await;
        let Ok(len) = r else {
            return;
        };
        live.bytes.fetch_add(len as u64, Ordering::Relaxed);
        let mut m = media.borrow_mut();
        if rtcp {
            m.on_rtcp(track);
        } else if len < FRAME_HEAD {
            m.runt_datagrams += 1;
        } else {
            m.on_rtp(track, len, &head[..FRAME_HEAD]);
        }
    }
}

/// Sets `SO_RCVBUF` (the kernel doubles it for bookkeeping and caps it at
/// `net.core.rmem_max`). A video keyframe arrives as a burst of a few hundred
/// kilobytes, more than the default buffer of about 200 KiB holds while the
/// single reader thread serves other sockets.
fn set_rcvbuf(sock: &UdpSocket, bytes: usize) -> io::Result<()> {
    let v = libc::c_int::try_from(bytes).unwrap_or(libc::c_int::MAX);
    // SAFETY: the option value is a live c_int of the size passed, and the
    // fd is the open socket borrowed from `sock`.
    let r = unsafe {
        libc::setsockopt(
            sock.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVBUF,
            (&v as *const libc::c_int).cast::<libc::c_void>(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// `recv(2)` with `MSG_TRUNC`: fills `buf` with the start of the next
/// datagram and returns the datagram's full length.
fn recv_truncated(fd: std::os::fd::RawFd, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: `buf` is valid for writes of `buf.len()` bytes for the whole
    // call, and `fd` is an open socket owned by the caller's `UdpSocket`.
    let n = unsafe {
        libc::recv(
            fd,
            buf.as_mut_ptr().cast::<libc::c_void>(),
            buf.len(),
            libc::MSG_TRUNC | libc::MSG_DONTWAIT,
        )
    };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}
