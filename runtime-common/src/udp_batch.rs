//! Many datagrams of one socket in one system call.
//!
//! A frame fanned out to UDP readers becomes, for each reader, a run of
//! RTP packets leaving the same socket (a reader's port block) in the same
//! drain. `sendmmsg` hands such a run to the kernel in one call instead of
//! one `sendmsg` per packet; each message still gathers the packet's own
//! 12-byte head and the shared payload as two iovecs, so nothing is copied
//! and nothing is allocated (the message tables live on the stack).
//!
//! This is the one `unsafe` block of this crate: the call itself, whose
//! pointers all borrow from `datagrams` and the stack tables for exactly
//! the length of the call.
#![allow(unsafe_code)]

use std::io;
use std::mem::MaybeUninit;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, BorrowedFd};

use onvif_rtsp_core::server::SendBuf;
use socket2::SockAddr;

/// One datagram to send from a local UDP port.
#[derive(Clone, Debug)]
pub struct Datagram {
    /// The local port (a socket of the runtime) it leaves from.
    pub local_port: u16,
    /// Where it goes.
    pub dst: SocketAddr,
    /// Head and shared body.
    pub data: SendBuf,
}

impl Datagram {
    /// A datagram from `local_port` to `dst`.
    pub fn new(local_port: u16, dst: SocketAddr, data: SendBuf) -> Datagram {
        Datagram {
            local_port,
            dst,
            data,
        }
    }
}

/// Messages per `sendmmsg` call (Linux caps one call at UIO_MAXIOV = 1024
/// messages; 64 keeps the stack tables small and already amortises the
/// call over a whole frame for most bit rates).
const MESSAGES_PER_CALL: usize = 64;

/// What one [`send`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SendReport {
    /// Datagrams the kernel took.
    pub sent: usize,
    /// Datagrams dropped (socket buffer full, unreachable peer, ...).
    pub dropped: usize,
    /// The system calls made.
    pub calls: usize,
}

/// Sends `datagrams` from the UDP socket `fd`, in order, as few
/// `sendmmsg` calls as possible, never waiting (`MSG_DONTWAIT`).
///
/// A datagram the kernel refuses is dropped and the rest still go — except
/// when the socket buffer is full (`EAGAIN`, `ENOBUFS`): then the rest of
/// the run is dropped too, since retrying at once would only fail again.
/// Losing datagrams is UDP's contract; RTP sequence numbers tell the reader.
pub fn send(fd: BorrowedFd<'_>, datagrams: &[Datagram]) -> (SendReport, Option<io::Error>) {
    let mut report = SendReport::default();
    let mut last_error = None;
    let mut rest = datagrams;
    while !rest.is_empty() {
        let chunk = &rest[..rest.len().min(MESSAGES_PER_CALL)];
        report.calls += 1;
        match send_chunk(fd, chunk) {
            Ok(n) => {
                report.sent += n;
                rest = &rest[n..];
            }
            Err(e) => {
                let full = matches!(e.raw_os_error(), Some(libc::EAGAIN | libc::ENOBUFS));
                let skipped = if full { rest.len() } else { 1 };
                report.dropped += skipped;
                rest = &rest[skipped..];
                last_error = Some(e);
            }
        }
    }
    (report, last_error)
}

/// One `sendmmsg` of at most [`MESSAGES_PER_CALL`] datagrams; how many the
/// kernel took (at least one), or the error of the first.
///
/// The tables are left uninitialised beyond `chunk.len()`: a typical call
/// carries a handful of packets, and clearing 64 entries of each table for
/// them cost more than the call saved.
fn send_chunk(fd: BorrowedFd<'_>, chunk: &[Datagram]) -> io::Result<usize> {
    let n = chunk.len().min(MESSAGES_PER_CALL);
    let mut addrs = [const { MaybeUninit::<SockAddr>::uninit() }; MESSAGES_PER_CALL];
    let mut iovecs = [const { MaybeUninit::<libc::iovec>::uninit() }; 2 * MESSAGES_PER_CALL];
    let mut headers = [const { MaybeUninit::<libc::mmsghdr>::uninit() }; MESSAGES_PER_CALL];
    for (i, datagram) in chunk[..n].iter().enumerate() {
        let head = datagram.data.head();
        let body = datagram.data.body();
        // The kernel only reads through iov_base for a send.
        iovecs[2 * i].write(libc::iovec {
            iov_base: head.as_ptr() as *mut libc::c_void,
            iov_len: head.len(),
        });
        iovecs[2 * i + 1].write(libc::iovec {
            iov_base: body.as_ptr() as *mut libc::c_void,
            iov_len: body.len(),
        });
        let addr = addrs[i].write(SockAddr::from(datagram.dst));
        // SAFETY: `mmsghdr` is plain data (pointers, lengths, flags); all
        // zeros is its empty value, which the fields set below complete.
        let mut header: libc::mmsghdr = unsafe { std::mem::zeroed() };
        header.msg_hdr.msg_name = addr.as_ptr() as *mut libc::c_void;
        header.msg_hdr.msg_namelen = addr.len();
        header.msg_hdr.msg_iov = iovecs[2 * i].as_mut_ptr();
        header.msg_hdr.msg_iovlen = 2;
        headers[i].write(header);
    }
    // SAFETY: the first `n` headers are initialised and point at their two
    // initialised iovecs and address on this stack frame, which point at
    // `chunk`'s buffers; all of them outlive the call, and the kernel
    // writes only `msg_len` of those `n` headers.
    let sent = unsafe {
        libc::sendmmsg(
            fd.as_raw_fd(),
            headers.as_mut_ptr().cast::<libc::mmsghdr>(),
            n as libc::c_uint,
            libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL,
        )
    };
    if sent < 0 {
        return Err(io::Error::last_os_error());
    }
    // The kernel reports failure of the first message as an error and
    // stops silently at a later one; 0 only for an empty call.
    Ok((sent as usize).clamp(1, n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use std::net::UdpSocket;
    use std::os::fd::AsFd;

    fn datagram(port: u16, dst: SocketAddr, head: &[u8], body: &'static [u8]) -> Datagram {
        Datagram::new(
            port,
            dst,
            SendBuf::with_head(&[head], Bytes::from_static(body)),
        )
    }

    #[test]
    fn a_run_of_datagrams_arrives_whole_and_in_order_in_few_calls() {
        let sender = UdpSocket::bind("127.0.0.1:0").unwrap();
        let receiver = UdpSocket::bind("127.0.0.1:0").unwrap();
        receiver
            .set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        let dst = receiver.local_addr().unwrap();
        let datagrams: Vec<Datagram> = (0..150u8)
            .map(|i| datagram(1, dst, &[i, i, i], b"shared payload"))
            .collect();
        let (report, error) = send(sender.as_fd(), &datagrams);
        assert!(error.is_none(), "{error:?}");
        assert_eq!(
            report,
            SendReport {
                sent: 150,
                dropped: 0,
                calls: 3
            }
        );
        let mut buf = [0u8; 64];
        for i in 0..150u8 {
            let n = receiver.recv(&mut buf).unwrap();
            assert_eq!(&buf[..n], [&[i, i, i][..], b"shared payload"].concat());
        }
    }

    #[test]
    fn each_datagram_goes_to_its_own_destination() {
        let sender = UdpSocket::bind("127.0.0.1:0").unwrap();
        let a = UdpSocket::bind("127.0.0.1:0").unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").unwrap();
        for r in [&a, &b] {
            r.set_read_timeout(Some(std::time::Duration::from_secs(5)))
                .unwrap();
        }
        let datagrams = [
            datagram(1, a.local_addr().unwrap(), b"to ", b"a"),
            datagram(1, b.local_addr().unwrap(), b"to ", b"b"),
        ];
        let (report, _) = send(sender.as_fd(), &datagrams);
        assert_eq!(report.sent, 2);
        let mut buf = [0u8; 16];
        let n = a.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"to a");
        let n = b.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"to b");
    }

    #[test]
    fn a_refused_datagram_costs_only_itself() {
        // An IPv6 destination from an IPv4 socket fails with EAFNOSUPPORT
        // (or EINVAL) for that message alone.
        let sender = UdpSocket::bind("127.0.0.1:0").unwrap();
        let receiver = UdpSocket::bind("127.0.0.1:0").unwrap();
        receiver
            .set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        let good = receiver.local_addr().unwrap();
        let bad: SocketAddr = "[::1]:9".parse().unwrap();
        let datagrams = [
            datagram(1, good, b"1", b""),
            datagram(1, bad, b"x", b""),
            datagram(1, good, b"2", b""),
        ];
        let (report, error) = send(sender.as_fd(), &datagrams);
        assert_eq!((report.sent, report.dropped), (2, 1));
        assert!(error.is_some());
        let mut buf = [0u8; 4];
        let n = receiver.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"1");
        let n = receiver.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"2");
    }
}
