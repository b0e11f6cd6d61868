//! The server's timer queue: a min-heap of deadlines.
//!
//! Timers are never removed when they become moot; the handler of each kind
//! checks whether it still applies (the session still exists, the generation
//! still matches). Peeking the next deadline is O(1), so an idle poll costs
//! nothing however many sessions exist; inserting is O(log n).

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Instant;

use super::ConnId;
use crate::media::SourceId;

/// What a deadline is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum TimerKind {
    /// Send the frames of a file session that are due (generation-checked).
    Pace { session: u64, generation: u32 },
    /// Send periodic RTCP sender reports for a session.
    Rtcp { session: u64 },
    /// Check a session for inactivity.
    SessionTimeout { session: u64 },
    /// Check a connection whose output backlog is over the limit.
    Stall { conn: ConnId },
    /// A request waiting for the media layer has waited too long.
    PendingDeadline { conn: ConnId, generation: u32 },
    /// Close a source nobody uses any more.
    SourceLinger { source: SourceId },
    /// An HTTP request on the ONVIF port waited its time (long poll or snapshot).
    HttpDeadline { conn: ConnId, generation: u32 },
    /// Event subscription expiry, event simulation, delayed discovery answers.
    OnvifHousekeeping,
}

/// Deadlines ordered by time, then by insertion so ties are deterministic.
#[derive(Debug, Default)]
pub(crate) struct TimerQueue {
    heap: BinaryHeap<Reverse<(Instant, u64, TimerKind)>>,
    inserted: u64,
}

impl TimerQueue {
    pub(crate) fn schedule(&mut self, at: Instant, kind: TimerKind) {
        self.inserted += 1;
        self.heap.push(Reverse((at, self.inserted, kind)));
    }

    /// The earliest deadline.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse((at, _, _))| *at)
    }

    /// Removes and returns the earliest timer if it is due at `now`.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<TimerKind> {
        match self.heap.peek() {
            Some(Reverse((at, _, _))) if *at <= now => self.heap.pop().map(|Reverse((_, _, k))| k),
            _ => None,
        }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.heap.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn pops_in_deadline_then_insertion_order() {
        let t0 = Instant::now();
        let mut q = TimerQueue::default();
        q.schedule(t0 + Duration::from_secs(2), TimerKind::Rtcp { session: 2 });
        q.schedule(t0 + Duration::from_secs(1), TimerKind::Rtcp { session: 1 });
        q.schedule(t0 + Duration::from_secs(1), TimerKind::Rtcp { session: 0 });
        assert_eq!(q.next_deadline(), Some(t0 + Duration::from_secs(1)));
        assert_eq!(q.pop_due(t0), None);
        let now = t0 + Duration::from_secs(5);
        assert_eq!(q.pop_due(now), Some(TimerKind::Rtcp { session: 1 }));
        assert_eq!(q.pop_due(now), Some(TimerKind::Rtcp { session: 0 }));
        assert_eq!(q.pop_due(now), Some(TimerKind::Rtcp { session: 2 }));
        assert_eq!(q.pop_due(now), None);
        assert_eq!(q.len(), 0);
    }
}
