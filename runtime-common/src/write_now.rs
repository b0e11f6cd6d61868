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

/// Slices one direct write gathers on the stack: a 40 ms step of a
/// 1080p stream (a frame of some 15 packets plus two audio packets, a head
/// and a body each) fits in one call; a keyframe takes a few.
const STACK_SLICES: usize = 256;

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

/// Fills `slices` with the heads and bodies of `data` after its first
/// `skip` bytes, empty ones left out; returns how many it filled (all of
/// `slices` when more data is left).
fn fill_slices<'a>(data: &'a [SendBuf], mut skip: usize, slices: &mut [IoSlice<'a>]) -> usize {
    let mut filled = 0;
    let parts = data.iter().flat_map(|b| [b.head(), b.body().as_ref()]);
    for part in parts {
        if filled == slices.len() {
            break;
        }
        if skip >= part.len() {
            skip -= part.len();
            continue;
        }
        slices[filled] = IoSlice::new(&part[skip..]);
        skip = 0;
        filled += 1;
    }
    filled
}

/// Writes as much of `data` as `write` (a non-blocking vectored write)
/// takes now; returns the bytes written, or the error of the first call
/// (a later error is left for the writer to meet). The slices live on the
/// stack: nothing is allocated.
pub fn write_now(
    mut write: impl FnMut(&[IoSlice<'_>]) -> io::Result<usize>,
    data: &[SendBuf],
) -> io::Result<usize> {
    let total: usize = data.iter().map(SendBuf::len).sum();
    let mut slices = [IoSlice::new(&[]); STACK_SLICES];
    let mut written = 0;
    // Where the unwritten data starts: a buffer, and the bytes of it
    // already out (so a large drain is not walked from the start each call).
    let (mut first, mut skip) = (0, 0);
    while written < total {
        let room = &mut slices[..STACK_SLICES.min(IOV_MAX)];
        let filled = fill_slices(&data[first..], skip, room);
        match write(&slices[..filled]) {
            Ok(0) => break,
            Ok(n) => {
                written += n;
                let mut n = n;
                while n > 0 && first < data.len() {
                    let rest = data[first].len() - skip;
                    if n < rest {
                        skip += n;
                        break;
                    }
                    n -= rest;
                    first += 1;
                    skip = 0;
                }
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
/// `data` is left empty; when all of it was written its vector keeps its
/// capacity for the next drain, so the steady state allocates nothing.
pub fn write_or_hand_off(
    writer_busy: &Cell<bool>,
    data: &mut Vec<SendBuf>,
    write: impl FnMut(&[IoSlice<'_>]) -> io::Result<usize>,
    to_writer: impl FnOnce(Vec<SendBuf>),
) -> usize {
    if writer_busy.get() {
        to_writer(std::mem::take(data));
        return 0;
    }
    // On an error the writer meets it too, and ends the connection.
    let written = write_now(write, data).unwrap_or_default();
    drop_written(data, written);
    if !data.is_empty() {
        writer_busy.set(true);
        to_writer(std::mem::take(data));
    }
    written
}

/// Removes the first `written` bytes of `data`, in place: whole buffers
/// go, a buffer written in part keeps its unwritten end.
pub fn drop_written(data: &mut Vec<SendBuf>, mut written: usize) {
    let mut done = 0;
    for b in data.iter_mut() {
        let len = b.len();
        if written >= len {
            written -= len;
            done += 1;
            continue;
        }
        if written > 0 {
            let head = b.head();
            *b = if written < head.len() {
                SendBuf::with_head(&[&head[written..]], b.body().clone())
            } else {
                SendBuf::body_only(b.body().slice(written - head.len()..))
            };
        }
        break;
    }
    data.drain(..done);
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
            let mut rest = bufs();
            drop_written(&mut rest, written);
            assert_eq!(concat(&rest), &all[written..], "after {written} bytes");
            assert_eq!(rest.is_empty(), written == all.len());
        }
    }

    #[test]
    fn slices_after_any_prefix_are_the_rest_of_the_bytes_in_chunks() {
        let data = bufs();
        let all = concat(&data);
        for skip in 0..=all.len() {
            for room in 1..8 {
                let mut slices = [IoSlice::new(&[]); 8];
                let filled = fill_slices(&data, skip, &mut slices[..room]);
                let got: Vec<u8> = slices[..filled].iter().flat_map(|s| s.to_vec()).collect();
                assert!(!slices[..filled].iter().any(|s| s.is_empty()));
                assert!(all[skip..].starts_with(&got), "skip {skip} room {room}");
                if filled < room {
                    assert_eq!(got, &all[skip..], "skip {skip} room {room}");
                }
            }
        }
    }

    /// 1000 buffers, each a 4-byte head (its number) and `body` bytes.
    fn numbered(body: usize) -> Vec<SendBuf> {
        (0..1000u32)
            .map(|i| SendBuf::with_head(&[&i.to_be_bytes()], Bytes::from(vec![i as u8; body])))
            .collect()
    }

    #[test]
    fn more_slices_than_one_call_takes_go_out_in_several_calls_in_order() {
        let data = numbered(3);
        let mut sink = Vec::new();
        let mut calls = 0;
        let written = write_now(
            |slices| {
                assert!(slices.len() <= STACK_SLICES);
                calls += 1;
                let n: usize = slices.iter().map(|s| s.len()).sum();
                slices.iter().for_each(|s| sink.extend_from_slice(s));
                Ok(n)
            },
            &data,
        )
        .unwrap();
        assert_eq!(written, 7000);
        assert_eq!(sink, concat(&data));
        assert_eq!(calls, 2000 / STACK_SLICES + 1);
    }

    #[test]
    fn partial_writes_over_many_chunks_send_every_byte_once_in_order() {
        let data = numbered(5);
        let mut sink = Vec::new();
        // Takes at most 997 bytes a call: cuts fall anywhere in heads and bodies.
        let written = write_now(
            |slices| {
                let mut n = 0;
                for s in slices {
                    let take = s.len().min(997 - n);
                    sink.extend_from_slice(&s[..take]);
                    n += take;
                    if n == 997 {
                        break;
                    }
                }
                Ok(n)
            },
            &data,
        )
        .unwrap();
        assert_eq!(written, 9000);
        assert_eq!(sink, concat(&data));
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
        let mut data = bufs();
        let n = write_or_hand_off(
            &busy,
            &mut data,
            |s| Ok(s.iter().map(|s| s.len()).sum()),
            |r| handed.push(r),
        );
        assert_eq!((n, handed.len(), busy.get()), (total, 0, false));
        assert!(
            data.is_empty() && data.capacity() >= 3,
            "kept for the next drain"
        );
        // It takes 5 bytes: the rest goes to the writer, now busy.
        let mut room = 5;
        let n = write_or_hand_off(
            &busy,
            &mut bufs(),
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
            &mut bufs(),
            |_| panic!("wrote past the writer"),
            |r| handed.push(r),
        );
        assert_eq!(n, 0);
        assert_eq!(concat(&handed[1]), concat(&bufs()));
        // A broken socket: all to the writer, which meets the error.
        let idle = Cell::new(false);
        let n = write_or_hand_off(
            &idle,
            &mut bufs(),
            |_| Err(io::ErrorKind::BrokenPipe.into()),
            |r| handed.push(r),
        );
        assert_eq!((n, idle.get()), (0, true));
        assert_eq!(concat(&handed[2]), concat(&bufs()));
    }
}
