//! The channel from the media layer's threads to the runtime.
//!
//! Control events (ready, ended, failed) are never blocked, so a media layer
//! that reports a failure from inside `open` cannot deadlock the runtime.
//! Frames are: when too many are waiting, the GStreamer thread delivering
//! them waits, which paces a file's demuxer to what the core can take and
//! bounds memory.

use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use async_channel::{Receiver, Sender};
use onvif_rtsp_core::media::MediaEvent;

#[derive(Debug, Default)]
struct FrameGate {
    in_flight: Mutex<usize>,
    freed: Condvar,
}

/// The sending side, cloned into media-layer callbacks.
#[derive(Clone, Debug)]
pub struct MediaInbox {
    tx: Sender<MediaEvent>,
    gate: Arc<FrameGate>,
    max_frames: usize,
}

/// The runtime's receiving side.
#[derive(Debug)]
pub struct MediaReceiver {
    rx: Receiver<MediaEvent>,
    gate: Arc<FrameGate>,
}

/// A channel holding at most `max_frames` undelivered frames.
pub fn media_channel(max_frames: usize) -> (MediaInbox, MediaReceiver) {
    let (tx, rx) = async_channel::unbounded();
    let gate = Arc::new(FrameGate::default());
    (
        MediaInbox {
            tx,
            gate: gate.clone(),
            max_frames: max_frames.max(1),
        },
        MediaReceiver { rx, gate },
    )
}

impl MediaInbox {
    /// Delivers an event; for frames, waits while the runtime is behind.
    /// Returns `false` once the runtime is gone.
    pub fn deliver(&self, event: MediaEvent) -> bool {
        if matches!(event, MediaEvent::Frame { .. }) {
            let Ok(mut n) = self.gate.in_flight.lock() else {
                return false;
            };
            while *n >= self.max_frames {
                if self.tx.is_closed() {
                    return false;
                }
                n = match self.gate.freed.wait_timeout(n, Duration::from_millis(100)) {
                    Ok((guard, _)) => guard,
                    Err(_) => return false,
                };
            }
            *n += 1;
        }
        self.tx.send_blocking(event).is_ok()
    }

    /// Delivers an event at once, never waiting: for frames that are
    /// already in memory (a file's frames replayed to a shard that joins a
    /// shared pipeline late). They count against the limit like any other,
    /// so the next [`MediaInbox::deliver`] waits until the runtime caught up.
    /// Returns `false` once the runtime is gone.
    pub fn deliver_now(&self, event: MediaEvent) -> bool {
        if matches!(event, MediaEvent::Frame { .. }) {
            match self.gate.in_flight.lock() {
                Ok(mut n) => *n += 1,
                Err(_) => return false,
            }
        }
        self.tx.try_send(event).is_ok()
    }
}

impl MediaReceiver {
    /// The next event, `None` when every inbox is dropped.
    pub async fn recv(&self) -> Option<MediaEvent> {
        let event = self.rx.recv().await.ok()?;
        Some(self.received(event))
    }

    /// The next event if one is waiting.
    pub fn try_recv(&self) -> Option<MediaEvent> {
        let event = self.rx.try_recv().ok()?;
        Some(self.received(event))
    }

    fn received(&self, event: MediaEvent) -> MediaEvent {
        if matches!(event, MediaEvent::Frame { .. }) {
            if let Ok(mut n) = self.gate.in_flight.lock() {
                *n = n.saturating_sub(1);
                self.gate.freed.notify_one();
            }
        }
        event
    }
}

impl Drop for MediaReceiver {
    fn drop(&mut self) {
        self.rx.close();
        self.gate.freed.notify_all();
    }
}
