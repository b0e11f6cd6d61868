//! Writing a connection's data straight from the drain.
//!
//! A connection whose writer has nothing queued gets its data of a drain
//! written at once, by the drain itself, with non-blocking vectored writes:
//! no hand-off to the writer task, no wake-up, and no `Written` round trip
//! through the event channel. What the socket does not take at once (a
//! full send buffer: a slow reader) goes to the writer, which waits for the
//! socket; until it has written everything, later data queues behind it so
//! the byte order holds.

use std::cell::Cell;
use std::io::{self, IoSlice};

use onvif_rtsp_core::server::SendBuf;

/// Linux takes at most IOV_MAX (1024) slices per call.
const IOV_MAX: usize = 1024;

/// The heads and bodies of `data` as slices for one vectored write, empty
/// ones left out; nothing is copied.
pub fn io_slices(data: &[SendBuf]) -> Vec<IoSlice<'_>> {
    let mut slices = Vec::with_capacity(data.len() * 2);
    for b in data {
        if !b.head().is_empty() {
            slices.push(IoSlice::new(b.head()));
        }
        if !b.body().is_empty() {
            slices.push(IoSlice::new(b.body()));
        }
    }
    slices
}

/// Writes as much of `data` as `write` (a non-blocking vectored write)
/// takes now; returns the bytes written, or the error of the first call
/// (a later error is left for the writer to meet).
pub fn write_now(
    mut write: impl FnMut(&[IoSlice<'_>]) -> io::Result<usize>,
    data: &[SendBuf],
) -> io::Result<usize> {
    let mut slices = io_slices(data);
    let mut remaining: &mut [IoSlice<'_>] = &mut slices;
    let mut written = 0;
    while !remaining.is_empty() {
        let take = remaining.len().min(IOV_MAX);
        match write(&remaining[..take]) {
            Ok(0) => break,
            Ok(n) => {
                written += n;
                IoSlice::advance_slices(&mut remaining, n);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) if written == 0 => return Err(e),
            Err(_) => break,
        }
    }
    Ok(written)
}

/// A drain's data for a connection with a writer task: written straight
/// away with `write` while `writer_busy` is clear; what the socket does not
/// take (or everything, while the writer is busy) goes to the writer with
/// `to_writer`, which then counts as busy. Returns the bytes written now.
pub fn write_or_hand_off(
    writer_busy: &Cell<bool>,
    data: Vec<SendBuf>,
    write: impl FnMut(&[IoSlice<'_>]) -> io::Result<usize>,
    to_writer: impl FnOnce(Vec<SendBuf>),
) -> usize {
    if writer_busy.get() {
        to_writer(data);
        return 0;
    }
    let (written, rest) = match write_now(write, &data) {
        Ok(n) => (n, unwritten(data, n)),
        // The writer meets the error too, and ends the connection.
        Err(_) => (0, Some(data)),
    };
    if let Some(rest) = rest {
        writer_busy.set(true);
        to_writer(rest);
    }
    written
}

/// What is left of `data` once its first `written` bytes are out; `None`
/// when nothing is.
pub fn unwritten(data: Vec<SendBuf>, mut written: usize) -> Option<Vec<SendBuf>> {
    let mut rest = Vec::new();
    let mut bufs = data.into_iter();
    for b in bufs.by_ref() {
        let len = b.len();
        if written >= len {
            written -= len;
            continue;
        }
        let head = b.head();
        let partial = if written < head.len() {
            SendBuf::with_head(&[&head[written..]], b.body().clone())
        } else {
            SendBuf::body_only(b.body().slice(written - head.len()..))
        };
        rest.push(partial);
        break;
    }
    rest.extend(bufs);
    (!rest.is_empty()).then_some(rest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn bufs() -> Vec<SendBuf> {
        vec![
            SendBuf::with_head(&[b"$\x00\x00\x05", b"hh"], Bytes::from_static(b"body1")),
            SendBuf::body_only(Bytes::from_static(b"second")),
            SendBuf::with_head(&[b"HEAD"], Bytes::from_static(b"tail")),
        ]
    }

    fn concat(data: &[SendBuf]) -> Vec<u8> {
        data.iter().flat_map(SendBuf::to_vec).collect()
    }

    #[test]
    fn what_is_left_after_any_prefix_is_exactly_the_rest_of_the_bytes() {
        let all = concat(&bufs());
        for written in 0..=all.len() {
            let rest = unwritten(bufs(), written);
            let rest_bytes = rest.as_deref().map(concat).unwrap_or_default();
            assert_eq!(rest_bytes, &all[written..], "after {written} bytes");
            assert_eq!(rest.is_none(), written == all.len());
        }
    }

    #[test]
    fn writes_until_the_socket_would_block() {
        let data = bufs();
        let mut sink = Vec::new();
        let mut budget = 9usize;
        let written = write_now(
            |slices| {
                if budget == 0 {
                    return Err(io::ErrorKind::WouldBlock.into());
                }
                // Takes at most 4 bytes a call, like a nearly full socket.
                let mut n = 0;
                for s in slices {
                    let take = s.len().min(4 - n).min(budget);
                    sink.extend_from_slice(&s[..take]);
                    n += take;
                    budget -= take;
                    if n == 4 || budget == 0 {
                        break;
                    }
                }
                Ok(n)
            },
            &data,
        )
        .unwrap();
        assert_eq!(written, 9);
        assert_eq!(sink, &concat(&data)[..9]);
    }

    #[test]
    fn an_error_before_any_byte_is_reported_a_later_one_is_not() {
        let data = bufs();
        let broken = write_now(|_| Err(io::ErrorKind::BrokenPipe.into()), &data);
        assert_eq!(broken.unwrap_err().kind(), io::ErrorKind::BrokenPipe);
        let mut first = true;
        let partly = write_now(
            |_| {
                if std::mem::take(&mut first) {
                    Ok(3)
                } else {
                    Err(io::ErrorKind::ConnectionReset.into())
                }
            },
            &data,
        );
        assert_eq!(partly.unwrap(), 3);
    }

    #[test]
    fn the_writer_gets_what_the_socket_did_not_take_and_everything_while_busy() {
        let total: usize = bufs().iter().map(SendBuf::len).sum();
        let busy = Cell::new(false);
        let mut handed = Vec::new();
        // The socket takes all: nothing for the writer, which stays idle.
        let n = write_or_hand_off(
            &busy,
            bufs(),
            |s| Ok(s.iter().map(|s| s.len()).sum()),
            |r| handed.push(r),
        );
        assert_eq!((n, handed.len(), busy.get()), (total, 0, false));
        // It takes 5 bytes: the rest goes to the writer, now busy.
        let mut room = 5;
        let n = write_or_hand_off(
            &busy,
            bufs(),
            |_| match std::mem::take(&mut room) {
                0 => Err(io::ErrorKind::WouldBlock.into()),
                n => Ok(n),
            },
            |r| handed.push(r),
        );
        assert_eq!((n, busy.get()), (5, true));
        assert_eq!(concat(&handed[0]), &concat(&bufs())[5..]);
        // While it is busy nothing is written, all is handed on in order.
        let n = write_or_hand_off(
            &busy,
            bufs(),
            |_| panic!("wrote past the writer"),
            |r| handed.push(r),
        );
        assert_eq!(n, 0);
        assert_eq!(concat(&handed[1]), concat(&bufs()));
        // A broken socket: all to the writer, which meets the error.
        let idle = Cell::new(false);
        let n = write_or_hand_off(
            &idle,
            bufs(),
            |_| Err(io::ErrorKind::BrokenPipe.into()),
            |r| handed.push(r),
        );
        assert_eq!((n, idle.get()), (0, true));
        assert_eq!(concat(&handed[2]), concat(&bufs()));
    }
}
