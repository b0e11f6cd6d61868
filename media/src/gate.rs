//! The per-source event gate: the one place that decides what the sink sees.
//!
//! Frames arrive on several GStreamer streaming threads (one per track) and
//! errors on the control thread, but the contract promises one ordered story
//! per source: `Ready` first, frames, then at most one `Ended`/`Failed`, and
//! nothing after `close`. The gate serialises every event under one mutex and
//! holds frames back until `Ready` can be told, which needs the format of
//! every track: a track's format is only fixed when its first buffer reaches
//! its appsink, so the faster tracks' first frames wait here meanwhile.
//!
//! The gate also rebases timestamps: the smallest first presentation time of
//! all tracks becomes zero, the same offset for every track so that audio and
//! video stay in sync.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use gstreamer as gst;
use onvif_rtsp_core::media::{Frame, SourceError, SourceId, SourceKind, TrackInfo};

use crate::event::{MediaEvent, MediaSink};

/// Frames held back while waiting for a silent track before `Ready` is forced
/// with the tracks known so far (a file whose audio starts late, or a stream
/// that never produces anything, must not make us buffer the whole file).
const MAX_PENDING_FRAMES: usize = 1000;

/// One encoded access unit as the appsink saw it, before rebasing.
#[derive(Debug)]
pub(crate) struct RawFrame {
    /// Presentation running time in nanoseconds (may be negative).
    pub pts: i64,
    /// Decode running time in nanoseconds.
    pub dts: i64,
    /// `true` when a decoder can start here.
    pub keyframe: bool,
    /// The encoded bytes.
    pub data: Bytes,
}

/// A track slot: one appsink branch, which may or may not become a track.
#[derive(Default)]
struct Slot {
    info: Option<TrackInfo>,
    first_pts: Option<i64>,
    /// Index in the `Ready` track list, once assigned.
    track: Option<usize>,
    /// The stream turned out not to be servable; `Ready` does not wait for it.
    dropped: bool,
}

impl Slot {
    /// `true` once the slot no longer holds `Ready` back.
    fn settled(&self) -> bool {
        self.dropped || (self.info.is_some() && self.first_pts.is_some())
    }
}

enum Phase {
    /// Waiting for every slot's format and first frame.
    Collecting(Vec<(usize, RawFrame)>),
    /// `Ready` was sent; frames go straight through.
    Running { base: i64 },
    /// `Ended` or `Failed` was sent, or the source was closed.
    Done,
}

struct State {
    slots: Vec<Slot>,
    /// No more slots will be added (`no-more-pads`, or a fixed pipeline).
    all_slots: bool,
    duration: Option<Duration>,
    phase: Phase,
}

/// Serialises one source's events; shared by its control and streaming threads.
pub(crate) struct Gate {
    source: SourceId,
    sink: MediaSink,
    live: bool,
    /// Set by `close` or a terminal event; checked before every delivery.
    /// An atomic rather than part of `state` so that `close` never waits for a
    /// sink call that is blocked on backpressure.
    stopped: AtomicBool,
    /// Set once `Ready` was sent (or the source is over); lock-free so the
    /// control thread never waits behind a sink call blocked on backpressure.
    ready: AtomicBool,
    /// The pipeline's bus, used to wake the control thread.
    waker: OnceLock<gst::Bus>,
    state: Mutex<State>,
}

impl Gate {
    /// A gate for `source`; `live` selects the [`SourceKind`] told in `Ready`.
    pub(crate) fn new(source: SourceId, sink: MediaSink, live: bool) -> Gate {
        Gate {
            source,
            sink,
            live,
            stopped: AtomicBool::new(false),
            ready: AtomicBool::new(false),
            waker: OnceLock::new(),
            state: Mutex::new(State {
                slots: Vec::new(),
                all_slots: false,
                duration: None,
                phase: Phase::Collecting(Vec::new()),
            }),
        }
    }

    /// The source this gate speaks for.
    pub(crate) fn source(&self) -> SourceId {
        self.source
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panicking sink must not wedge the source forever; the state is
        // still consistent because every transition is a single assignment.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sets the bus that [`Gate::wake`] posts to.
    pub(crate) fn set_waker(&self, bus: gst::Bus) {
        let _ = self.waker.set(bus);
    }

    /// Wakes the control thread so it re-checks the gate.
    fn wake(&self) {
        if let Some(bus) = self.waker.get() {
            let msg = gst::message::Application::new(gst::Structure::new_empty("media-wake"));
            // Fails only when the bus is flushing, i.e. the pipeline is going away.
            let _ = bus.post(msg);
        }
    }

    /// `true` once closed, ended or failed: no event will be delivered again.
    pub(crate) fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }

    /// `true` once `Ready` was delivered (or the source is over).
    pub(crate) fn is_ready(&self) -> bool {
        self.ready.load(Ordering::SeqCst) || self.is_stopped()
    }

    /// Stops all delivery at once (the runtime closed the source).
    pub(crate) fn close(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        self.wake();
    }

    /// Registers a new track slot (an appsink branch) and returns its index.
    pub(crate) fn add_slot(&self) -> usize {
        let mut st = self.lock();
        st.slots.push(Slot::default());
        st.slots.len() - 1
    }

    /// No more slots will come; `Ready` may now be sent when the known ones are set.
    pub(crate) fn all_slots_added(&self) {
        let mut st = self.lock();
        st.all_slots = true;
        if st.slots.iter().all(|s| s.dropped) {
            self.fail_locked(
                &mut st,
                SourceError::Unsupported("no audio or video stream that can be served".into()),
            );
            return;
        }
        self.try_ready(&mut st);
    }

    /// Gives up on a slot whose stream cannot be served (no decoder).
    pub(crate) fn drop_slot(&self, slot: usize) {
        let mut st = self.lock();
        if let Some(s) = st.slots.get_mut(slot) {
            s.dropped = true;
        }
        if st.all_slots && st.slots.iter().all(|s| s.dropped) {
            self.fail_locked(
                &mut st,
                SourceError::Unsupported("no audio or video stream that can be decoded".into()),
            );
            return;
        }
        self.try_ready(&mut st);
    }

    /// Records the container's duration for `SourceKind::File`.
    pub(crate) fn set_duration(&self, duration: Duration) {
        let mut st = self.lock();
        if st.duration.is_none() {
            st.duration = Some(duration);
        }
    }

    /// Records the format of a slot (from its first sample's caps).
    pub(crate) fn set_info(&self, slot: usize, info: TrackInfo) {
        let mut st = self.lock();
        if let Some(s) = st.slots.get_mut(slot) {
            if s.info.is_none() {
                s.info = Some(info);
            }
        }
        self.try_ready(&mut st);
    }

    /// Delivers (or holds back until `Ready`) one frame of a slot.
    pub(crate) fn push(&self, slot: usize, frame: RawFrame) {
        let mut st = self.lock();
        if self.is_stopped() {
            return;
        }
        if let Some(s) = st.slots.get_mut(slot) {
            s.first_pts.get_or_insert(frame.pts);
        }
        match &mut st.phase {
            Phase::Collecting(pending) => {
                pending.push((slot, frame));
                let overflow = pending.len() > MAX_PENDING_FRAMES;
                if !self.try_ready(&mut st) && overflow {
                    tracing::warn!(
                        source = self.source.0,
                        "a track produced nothing for {MAX_PENDING_FRAMES} frames; going on without it"
                    );
                    self.force_ready(&mut st);
                }
            }
            Phase::Running { base } => {
                let base = *base;
                if let Some(track) = st.slots.get(slot).and_then(|s| s.track) {
                    self.emit(MediaEvent::Frame {
                        source: self.source,
                        frame: rebase(track, base, frame),
                    });
                }
            }
            Phase::Done => {}
        }
    }

    /// The end of the stream: sends what was held back, then `Ended`.
    pub(crate) fn finish(&self) {
        let mut st = self.lock();
        if matches!(st.phase, Phase::Collecting(_)) && !self.force_ready(&mut st) {
            return;
        }
        if matches!(st.phase, Phase::Running { .. }) {
            self.emit(MediaEvent::Ended {
                source: self.source,
            });
            st.phase = Phase::Done;
        }
        drop(st);
        self.stopped.store(true, Ordering::SeqCst);
        self.wake();
    }

    /// Reports a failure (once) and stops all further delivery.
    pub(crate) fn fail(&self, error: SourceError) {
        let mut st = self.lock();
        self.fail_locked(&mut st, error);
    }

    fn fail_locked(&self, st: &mut State, error: SourceError) {
        if !matches!(st.phase, Phase::Done) {
            tracing::debug!(source = self.source.0, %error, "source failed");
            self.emit(MediaEvent::Failed {
                source: self.source,
                error,
            });
            st.phase = Phase::Done;
        }
        self.stopped.store(true, Ordering::SeqCst);
        self.wake();
    }

    /// Sends `Ready` if every slot is known and has produced a frame.
    /// Returns `true` when the gate is no longer collecting.
    fn try_ready(&self, st: &mut State) -> bool {
        if !matches!(st.phase, Phase::Collecting(_)) {
            return true;
        }
        let complete = st.all_slots
            && st.slots.iter().any(|s| !s.dropped)
            && st.slots.iter().all(Slot::settled);
        complete && self.force_ready(st)
    }

    /// Sends `Ready` with the slots known so far and flushes the held frames.
    /// Slots without a format or a frame are dropped for good. Returns `false`
    /// (after failing the source) when there is no track at all.
    fn force_ready(&self, st: &mut State) -> bool {
        let mut tracks = Vec::new();
        let mut base: Option<i64> = None;
        for slot in &mut st.slots {
            if let (Some(info), Some(first), false) = (&slot.info, slot.first_pts, slot.dropped) {
                slot.track = Some(tracks.len());
                tracks.push(info.clone());
                base = Some(base.map_or(first, |b| b.min(first)));
            }
        }
        let Some(base) = base else {
            self.fail_locked(
                st,
                SourceError::Unsupported("no audio or video stream produced any data".into()),
            );
            return false;
        };
        let kind = if self.live {
            SourceKind::Live
        } else {
            SourceKind::File {
                duration: st.duration,
            }
        };
        self.ready.store(true, Ordering::SeqCst);
        let pending = match std::mem::replace(&mut st.phase, Phase::Running { base }) {
            Phase::Collecting(pending) => pending,
            _ => Vec::new(),
        };
        self.emit(MediaEvent::Ready {
            source: self.source,
            kind,
            tracks,
        });
        for (slot, frame) in pending {
            if let Some(track) = st.slots.get(slot).and_then(|s| s.track) {
                self.emit(MediaEvent::Frame {
                    source: self.source,
                    frame: rebase(track, base, frame),
                });
            }
        }
        true
    }

    /// Hands one event to the sink unless the source is stopped. Called with
    /// the state lock held, which is what serialises the sink calls.
    fn emit(&self, event: MediaEvent) {
        if !self.is_stopped() {
            (self.sink)(event);
        }
    }
}

/// Moves a frame onto the source's timeline (first frame at zero).
/// Times before the base (a decode time ahead of the first presentation
/// time) are clamped to zero.
fn rebase(track: usize, base: i64, raw: RawFrame) -> Frame {
    let at = |t: i64| Duration::from_nanos(u64::try_from(t.saturating_sub(base)).unwrap_or(0));
    Frame {
        track,
        pts: at(raw.pts),
        dts: at(raw.dts),
        keyframe: raw.keyframe,
        data: raw.data,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use onvif_rtsp_core::media::{AudioCodec, Codec, VideoCodec};
    use std::sync::Arc;

    fn info(codec: Codec) -> TrackInfo {
        TrackInfo {
            codec,
            clock_rate: 90000,
            sample_rate: 0,
            channels: 0,
            width: 0,
            height: 0,
            config: Bytes::new(),
        }
    }

    fn raw(pts_ms: i64) -> RawFrame {
        RawFrame {
            pts: pts_ms * 1_000_000,
            dts: pts_ms * 1_000_000,
            keyframe: true,
            data: Bytes::from_static(b"x"),
        }
    }

    fn gate() -> (Gate, Arc<Mutex<Vec<MediaEvent>>>) {
        let events = Arc::new(Mutex::new(Vec::new()));
        let ev = events.clone();
        let sink: MediaSink = Arc::new(move |e| ev.lock().unwrap().push(e));
        (Gate::new(SourceId(7), sink, false), events)
    }

    #[test]
    fn holds_frames_until_every_track_is_known_and_rebases() {
        let (g, events) = gate();
        let v = g.add_slot();
        let a = g.add_slot();
        g.all_slots_added();
        g.set_info(a, info(Codec::Audio(AudioCodec::Aac)));
        g.push(a, raw(1000));
        g.push(a, raw(1020));
        assert!(events.lock().unwrap().is_empty());
        g.set_info(v, info(Codec::Video(VideoCodec::H264)));
        g.push(v, raw(1010));
        g.finish();
        let ev = events.lock().unwrap();
        assert!(matches!(&ev[0], MediaEvent::Ready { tracks, .. } if tracks.len() == 2));
        let pts: Vec<_> = ev
            .iter()
            .filter_map(|e| match e {
                MediaEvent::Frame { frame, .. } => Some((frame.track, frame.pts.as_millis())),
                _ => None,
            })
            .collect();
        assert_eq!(pts, vec![(1, 0), (1, 20), (0, 10)]);
        assert!(matches!(ev.last(), Some(MediaEvent::Ended { .. })));
    }

    #[test]
    fn silent_slot_is_dropped_at_end() {
        let (g, events) = gate();
        let _v = g.add_slot();
        let a = g.add_slot();
        g.all_slots_added();
        g.set_info(a, info(Codec::Audio(AudioCodec::Aac)));
        g.push(a, raw(0));
        g.finish();
        let ev = events.lock().unwrap();
        assert!(matches!(&ev[0], MediaEvent::Ready { tracks, .. } if tracks.len() == 1));
        assert!(matches!(&ev[1], MediaEvent::Frame { frame, .. } if frame.track == 0));
        assert!(matches!(&ev[2], MediaEvent::Ended { .. }));
    }

    #[test]
    fn nothing_after_close_or_failure() {
        let (g, events) = gate();
        let v = g.add_slot();
        g.all_slots_added();
        g.set_info(v, info(Codec::Video(VideoCodec::H264)));
        g.push(v, raw(0));
        g.fail(SourceError::Failed("boom".into()));
        g.push(v, raw(40));
        g.fail(SourceError::Failed("again".into()));
        g.finish();
        assert_eq!(events.lock().unwrap().len(), 3);

        let (g, events) = gate();
        let v = g.add_slot();
        g.all_slots_added();
        g.close();
        g.set_info(v, info(Codec::Video(VideoCodec::H264)));
        g.push(v, raw(0));
        g.finish();
        assert!(events.lock().unwrap().is_empty());
    }

    #[test]
    fn dropped_slot_is_not_waited_for() {
        let (g, events) = gate();
        let v = g.add_slot();
        let a = g.add_slot();
        g.all_slots_added();
        g.set_info(a, info(Codec::Audio(AudioCodec::Aac)));
        g.push(a, raw(0));
        assert!(events.lock().unwrap().is_empty());
        g.drop_slot(v);
        let ev = events.lock().unwrap();
        assert!(matches!(&ev[0], MediaEvent::Ready { tracks, .. } if tracks.len() == 1));
        assert_eq!(ev.len(), 2);
    }

    #[test]
    fn no_slots_is_unsupported() {
        let (g, events) = gate();
        g.all_slots_added();
        let ev = events.lock().unwrap();
        assert!(matches!(
            &ev[..],
            [MediaEvent::Failed {
                error: SourceError::Unsupported(_),
                ..
            }]
        ));
    }
}
