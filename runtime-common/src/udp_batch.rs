//! Many datagrams of one socket in one system call.
//!
//! A frame fanned out to UDP readers becomes, for each reader, a run of
//! RTP packets leaving the same socket (a reader's port block) in the same
//! drain. `sendmmsg` hands such a run to the kernel in one call instead of
//! one `sendmsg` per packet; each message still gathers the packet's own
//! 12-byte head and the shared payload as two iovecs, so nothing is copied
//! and nothing is allocated (the message tables live on the stack).
//!
//! On top of that, UDP segmentation offload (GSO, `UDP_SEGMENT`): the
//! fragments of a video frame to one reader all have the same size but the
//! last, so one message carries them all and the kernel (or the network
//! card) cuts it into datagrams after the IP layer, instead of routing each
//! one on its own. When the kernel refuses a segmented message (older than
//! Linux 4.18, a route without checksum offload, an MTU below the segment
//! size), GSO is switched off for the process and the datagrams go one by
//! one.
//!
//! This is the one `unsafe` block of this crate: the call itself, whose
//! pointers all borrow from `datagrams` and the stack tables for exactly
//! the length of the call.
#![allow(unsafe_code)]

use std::io;
use std::mem::{MaybeUninit, offset_of, size_of};
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::sync::atomic::{AtomicBool, Ordering};

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

/// Datagrams per `sendmmsg` call, in as many messages at most (Linux takes
/// up to 1024 messages a call; 64 keeps the stack tables small and already
/// covers a frame per reader at common bit rates).
const DATAGRAMS_PER_CALL: usize = 64;

/// Segments of one GSO message at most (the kernel's limit, 64 on older
/// kernels).
const MAX_SEGMENTS: usize = 64;

/// Bytes of one GSO message at most: a UDP datagram carries at most 65 507
/// bytes over IPv4.
const MAX_SEGMENTED_BYTES: usize = 65_000;

/// Whether segmented messages are sent; cleared for good the first time the
/// kernel refuses one.
static SEGMENTATION: AtomicBool = AtomicBool::new(true);

/// The control message of a segmented send: `UDP_SEGMENT` with the segment
/// size, laid out as `CMSG_*` expect (the data right after the aligned
/// header).
#[repr(C)]
struct SegmentControl {
    header: libc::cmsghdr,
    segment_size: u16,
}

// SAFETY (both): CMSG_LEN and CMSG_SPACE are arithmetic on their argument.
const SEGMENT_CMSG_LEN: usize = unsafe { libc::CMSG_LEN(size_of::<u16>() as u32) } as usize;
const _: () = assert!(
    offset_of!(SegmentControl, segment_size) == SEGMENT_CMSG_LEN - size_of::<u16>()
        && size_of::<SegmentControl>()
            >= unsafe { libc::CMSG_SPACE(size_of::<u16>() as u32) } as usize
);

/// What one [`send`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SendReport {
    /// Datagrams the kernel took.
    pub sent: usize,
    /// Datagrams dropped (socket buffer full, unreachable peer, ...).
    pub dropped: usize,
    /// The system calls made.
    pub calls: usize,
    /// The messages the kernel took: fewer than `sent` when datagrams were
    /// segmented by the kernel.
    pub messages: usize,
}

/// Sends `datagrams` from the UDP socket `fd`, in order, as few
/// `sendmmsg` calls (and, with GSO, messages) as possible, never waiting
/// (`MSG_DONTWAIT`).
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
        let chunk = &rest[..rest.len().min(DATAGRAMS_PER_CALL)];
        let segmentation = SEGMENTATION.load(Ordering::Relaxed);
        report.calls += 1;
        match send_chunk(fd, chunk, segmentation) {
            Ok(sent) => {
                report.sent += sent.datagrams;
                report.messages += sent.messages;
                rest = &rest[sent.datagrams..];
            }
            Err(refused) if refused.segmented => {
                // Sent again at once, one datagram a message.
                SEGMENTATION.store(false, Ordering::Relaxed);
                tracing::info!(
                    error = %refused.error,
                    "the kernel refused UDP segmentation offload; sending datagrams one by one"
                );
            }
            Err(refused) => {
                let full = matches!(
                    refused.error.raw_os_error(),
                    Some(libc::EAGAIN | libc::ENOBUFS)
                );
                let skipped = if full { rest.len() } else { 1 };
                report.dropped += skipped;
                rest = &rest[skipped..];
                last_error = Some(refused.error);
            }
        }
    }
    (report, last_error)
}

/// What one call took.
struct Sent {
    datagrams: usize,
    messages: usize,
}

/// The error of a call's first message, and whether it was segmented.
struct Refused {
    error: io::Error,
    segmented: bool,
}

/// How many datagrams from the first one message carries: one, or with
/// `segmentation` a run to the same destination whose datagrams all have
/// the first one's size but the last, which may be shorter (the shape GSO
/// takes).
fn segment_run(datagrams: &[Datagram], segmentation: bool) -> usize {
    let Some(first) = datagrams.first() else {
        return 0;
    };
    let size = first.data.len();
    if !segmentation || size == 0 || size > usize::from(u16::MAX) {
        return 1;
    }
    let mut bytes = size;
    let mut count = 1;
    for next in &datagrams[1..datagrams.len().min(MAX_SEGMENTS)] {
        let len = next.data.len();
        if next.dst != first.dst || len == 0 || len > size || bytes + len > MAX_SEGMENTED_BYTES {
            break;
        }
        bytes += len;
        count += 1;
        if len < size {
            break;
        }
    }
    count
}

/// One `sendmmsg` of at most [`DATAGRAMS_PER_CALL`] datagrams; how many
/// the kernel took (at least one message), or the error of the first
/// message.
///
/// The tables are left uninitialised beyond what the call uses: a typical
/// call carries a handful of messages, and clearing 64 entries of each
/// table for them cost more than the call saved.
fn send_chunk(fd: BorrowedFd<'_>, chunk: &[Datagram], segmentation: bool) -> Result<Sent, Refused> {
    let chunk = &chunk[..chunk.len().min(DATAGRAMS_PER_CALL)];
    let mut addrs = [const { MaybeUninit::<SockAddr>::uninit() }; DATAGRAMS_PER_CALL];
    let mut iovecs = [const { MaybeUninit::<libc::iovec>::uninit() }; 2 * DATAGRAMS_PER_CALL];
    let mut controls = [const { MaybeUninit::<SegmentControl>::uninit() }; DATAGRAMS_PER_CALL];
    let mut headers = [const { MaybeUninit::<libc::mmsghdr>::uninit() }; DATAGRAMS_PER_CALL];
    let mut counts = [0usize; DATAGRAMS_PER_CALL];
    for (i, datagram) in chunk.iter().enumerate() {
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
    }
    let mut messages = 0;
    let mut first = 0;
    while first < chunk.len() {
        let count = segment_run(&chunk[first..], segmentation);
        let addr = addrs[messages].write(SockAddr::from(chunk[first].dst));
        // SAFETY: `mmsghdr` is plain data (pointers, lengths, flags); all
        // zeros is its empty value, which the fields set below complete.
        let mut header: libc::mmsghdr = unsafe { std::mem::zeroed() };
        header.msg_hdr.msg_name = addr.as_ptr() as *mut libc::c_void;
        header.msg_hdr.msg_namelen = addr.len();
        header.msg_hdr.msg_iov = iovecs[2 * first].as_mut_ptr();
        header.msg_hdr.msg_iovlen = 2 * count;
        if count > 1 {
            // SAFETY: as for `mmsghdr`, all zeros is an empty `cmsghdr`.
            let mut control_header: libc::cmsghdr = unsafe { std::mem::zeroed() };
            control_header.cmsg_len = SEGMENT_CMSG_LEN as _;
            control_header.cmsg_level = libc::SOL_UDP;
            control_header.cmsg_type = libc::UDP_SEGMENT;
            let control = controls[messages].write(SegmentControl {
                header: control_header,
                // Checked by `segment_run`: at most u16::MAX.
                segment_size: chunk[first].data.len() as u16,
            });
            header.msg_hdr.msg_control = (control as *mut SegmentControl).cast();
            header.msg_hdr.msg_controllen = size_of::<SegmentControl>() as _;
        }
        headers[messages].write(header);
        counts[messages] = count;
        messages += 1;
        first += count;
    }
    // SAFETY: the first `messages` headers are initialised; each points at
    // its address, its control message and its datagrams' initialised
    // iovecs on this stack frame, which point at `chunk`'s buffers; all of
    // them outlive the call, and the kernel writes only `msg_len` of those
    // headers.
    let sent = unsafe {
        libc::sendmmsg(
            fd.as_raw_fd(),
            headers.as_mut_ptr().cast::<libc::mmsghdr>(),
            messages as libc::c_uint,
            libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL,
        )
    };
    if sent < 0 {
        return Err(Refused {
            error: io::Error::last_os_error(),
            segmented: counts[0] > 1,
        });
    }
    // The kernel reports failure of the first message as an error and
    // stops silently at a later one; 0 only for an empty call.
    let taken = (sent as usize).clamp(1, messages);
    Ok(Sent {
        datagrams: counts[..taken].iter().sum(),
        messages: taken,
    })
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

    /// A bound UDP socket that gives up reading after 5 s.
    fn receiver() -> UdpSocket {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket
            .set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        socket
    }

    #[test]
    fn a_run_of_datagrams_arrives_whole_and_in_order_in_few_calls() {
        let sender = UdpSocket::bind("127.0.0.1:0").unwrap();
        let receiver = receiver();
        let dst = receiver.local_addr().unwrap();
        let datagrams: Vec<Datagram> = (0..150u8)
            .map(|i| datagram(1, dst, &[i, i, i], b"shared payload"))
            .collect();
        let (report, error) = send(sender.as_fd(), &datagrams);
        assert!(error.is_none(), "{error:?}");
        // Equal sizes to one reader: with GSO one message a call.
        assert_eq!(
            report,
            SendReport {
                sent: 150,
                dropped: 0,
                calls: 3,
                messages: 3,
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
        let (a, b) = (receiver(), receiver());
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
        let receiver = receiver();
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

    #[test]
    fn a_frame_to_one_reader_is_one_segmented_message_and_arrives_as_its_packets() {
        let sender = UdpSocket::bind("127.0.0.1:0").unwrap();
        let receiver = receiver();
        let dst = receiver.local_addr().unwrap();
        static FRAGMENT: [u8; 1388] = [7; 1388];
        // Ten full fragments, the frame's short last one, then an audio
        // packet of another size.
        let mut datagrams: Vec<Datagram> = (0..10u8)
            .map(|i| datagram(1, dst, &[i; 12], &FRAGMENT))
            .collect();
        datagrams.push(datagram(1, dst, &[10; 12], &FRAGMENT[..300]));
        datagrams.push(datagram(1, dst, &[11; 12], &FRAGMENT[..200]));
        let (report, error) = send(sender.as_fd(), &datagrams);
        assert!(error.is_none(), "{error:?}");
        assert_eq!((report.sent, report.calls, report.messages), (12, 1, 2));
        let mut buf = [0u8; 2048];
        for (i, sent) in datagrams.iter().enumerate() {
            let n = receiver.recv(&mut buf).unwrap();
            assert_eq!(&buf[..n], sent.data.to_vec(), "datagram {i}");
        }
    }

    #[test]
    fn segment_runs_take_the_shape_gso_needs() {
        let a: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let b: SocketAddr = "127.0.0.1:6000".parse().unwrap();
        static BODY: [u8; 2000] = [0; 2000];
        let d = |dst, len: usize| datagram(1, dst, &[], &BODY[..len]);
        // A shorter datagram ends a run, and is part of it.
        let run = [d(a, 100), d(a, 100), d(a, 40), d(a, 100)];
        assert_eq!(segment_run(&run, true), 3);
        // A larger one, or another destination, starts a new run.
        assert_eq!(segment_run(&[d(a, 100), d(a, 101)], true), 1);
        assert_eq!(segment_run(&[d(a, 100), d(b, 100)], true), 1);
        // Without segmentation every datagram is its own message.
        assert_eq!(segment_run(&run, false), 1);
        // At most MAX_SEGMENTS segments and MAX_SEGMENTED_BYTES bytes.
        let many: Vec<Datagram> = (0..100).map(|_| d(a, 10)).collect();
        assert_eq!(segment_run(&many, true), MAX_SEGMENTS);
        let big: Vec<Datagram> = (0..60).map(|_| d(a, 1400)).collect();
        assert_eq!(segment_run(&big, true), MAX_SEGMENTED_BYTES / 1400);
        assert_eq!(segment_run(&[], true), 0);
    }
}
