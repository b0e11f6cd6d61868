//! A connection's writer task, the same for every runtime.
//!
//! The drain writes a connection's data itself while nothing is queued
//! ([`write_now`](crate::write_now)); what a full socket does not take is
//! handed to the connection's writer, which waits for the socket. The
//! writer gathers everything queued into one vectored write, reports the
//! bytes written back to the server, and clears its busy flag once nothing
//! is left, so that the drain writes directly again.

use std::cell::Cell;
use std::io;

use async_channel::Receiver;
use onvif_rtsp_core::server::SendBuf;

/// What the drain tells a connection's writer.
#[derive(Debug)]
pub enum WriterCommand {
    /// Data for the connection, in order, after what is queued.
    Data(Vec<SendBuf>),
    /// Write what is queued before this, then close.
    Close,
}

/// Most buffers gathered into one vectored write.
pub const MAX_BATCH: usize = 256;

/// How a writer ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriterEnd {
    /// Close was asked, or the socket failed: shut the socket down.
    ShutDown,
    /// Nobody sends commands or takes reports any more: the connection is
    /// gone already.
    Abandoned,
}

/// Runs a writer: takes commands from `rx`, writes each gathered batch with
/// `write_all` (which waits for the socket), tells the server with
/// `report_written` (`false`: nobody listens), and clears `busy` whenever
/// everything handed to it is written.
pub async fn run_writer(
    rx: &Receiver<WriterCommand>,
    busy: &Cell<bool>,
    mut write_all: impl AsyncFnMut(&[SendBuf]) -> io::Result<()>,
    mut report_written: impl AsyncFnMut(usize) -> bool,
) -> WriterEnd {
    let mut batch: Vec<SendBuf> = Vec::with_capacity(MAX_BATCH);
    let mut close = false;
    while !close {
        let Ok(first) = rx.recv().await else {
            return WriterEnd::Abandoned;
        };
        match first {
            WriterCommand::Data(d) if batch.is_empty() => batch = d,
            WriterCommand::Data(d) => batch.extend(d),
            WriterCommand::Close => close = true,
        }
        while !close && batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(WriterCommand::Data(d)) => batch.extend(d),
                Ok(WriterCommand::Close) => close = true,
                Err(_) => break,
            }
        }
        let bytes: usize = batch.iter().map(SendBuf::len).sum();
        if write_all(&batch).await.is_err() {
            break;
        }
        batch.clear();
        if rx.is_empty() && !close {
            busy.set(false);
        }
        if bytes > 0 && !report_written(bytes).await {
            return WriterEnd::Abandoned;
        }
    }
    WriterEnd::ShutDown
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use std::cell::RefCell;

    fn data(text: &'static str) -> WriterCommand {
        WriterCommand::Data(vec![SendBuf::body_only(Bytes::from_static(
            text.as_bytes(),
        ))])
    }

    /// Runs a writer over `commands` already queued (then the channel
    /// closes if `hang_up`); returns how it ended, the writes and the
    /// reports, and whether it was left busy.
    fn run(
        commands: Vec<WriterCommand>,
        hang_up: bool,
        fail: bool,
    ) -> (WriterEnd, Vec<Vec<u8>>, Vec<usize>, bool) {
        let (tx, rx) = async_channel::unbounded();
        for c in commands {
            tx.try_send(c).unwrap();
        }
        if hang_up {
            drop(tx);
        }
        let busy = Cell::new(true);
        let writes = RefCell::new(Vec::new());
        let reports = RefCell::new(Vec::new());
        let end = smol::block_on(run_writer(
            &rx,
            &busy,
            async |batch: &[SendBuf]| {
                writes
                    .borrow_mut()
                    .push(batch.iter().flat_map(SendBuf::to_vec).collect());
                if fail {
                    Err(io::ErrorKind::BrokenPipe.into())
                } else {
                    Ok(())
                }
            },
            async |bytes| {
                reports.borrow_mut().push(bytes);
                true
            },
        ));
        (end, writes.into_inner(), reports.into_inner(), busy.get())
    }

    #[test]
    fn queued_data_goes_out_in_one_write_then_close_shuts_down() {
        let (end, writes, reports, _) = run(
            vec![data("ab"), data("cd"), WriterCommand::Close],
            false,
            false,
        );
        assert_eq!(end, WriterEnd::ShutDown);
        assert_eq!(writes, [b"abcd".to_vec()]);
        assert_eq!(reports, [4]);
    }

    #[test]
    fn the_writer_is_idle_again_once_everything_is_written() {
        let (end, writes, reports, busy) = run(vec![data("ab")], true, false);
        assert_eq!(end, WriterEnd::Abandoned);
        assert_eq!((writes.len(), reports, busy), (1, vec![2], false));
    }

    #[test]
    fn a_failed_write_shuts_down_without_a_report() {
        let (end, _, reports, _) = run(vec![data("ab"), data("cd")], false, true);
        assert_eq!(end, WriterEnd::ShutDown);
        assert!(reports.is_empty());
    }
}
