//! The simulated network: TCP byte pipes with latency and bandwidth, UDP
//! with delay, jitter, loss and reordering, and the event queue that orders
//! everything by (simulated time, sequence number).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::time::Duration;

use bytes::{Bytes, BytesMut};

/// How one TCP connection behaves (both directions share the latency; the
/// bandwidth and freeze apply to what the server sends the client).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkProfile {
    /// One-way latency.
    pub latency: Duration,
    /// Bytes per second the client reads; `None` for as fast as sent.
    pub bandwidth: Option<u64>,
    /// From this simulated time on the client reads nothing more (a
    /// stalled reader: its receive window stays full).
    pub freeze_at: Option<Duration>,
}

impl Default for LinkProfile {
    fn default() -> Self {
        LinkProfile {
            latency: Duration::from_millis(2),
            bandwidth: None,
            freeze_at: None,
        }
    }
}

/// How UDP datagrams between a client and the server behave (both ways).
#[derive(Clone, Debug, PartialEq)]
pub struct UdpProfile {
    /// Smallest one-way delay.
    pub min_delay: Duration,
    /// Largest one-way delay (jitter is uniform in between, which reorders).
    pub max_delay: Duration,
    /// Probability that a datagram is lost.
    pub loss: f64,
    /// Probability that a datagram is held back by an extra `reorder_delay`.
    pub reorder: f64,
    /// The extra delay of a held-back datagram.
    pub reorder_delay: Duration,
}

impl Default for UdpProfile {
    fn default() -> Self {
        UdpProfile {
            min_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
            loss: 0.0,
            reorder: 0.0,
            reorder_delay: Duration::from_millis(10),
        }
    }
}

/// One direction of a simulated TCP connection: a FIFO that takes bytes
/// at its bandwidth (that is when the sender learns they were written) and
/// delivers them, in order, one latency later.
#[derive(Debug)]
pub(crate) struct Pipe {
    latency: Duration,
    bandwidth: Option<u64>,
    freeze_at: Option<Duration>,
    busy_until: Duration,
    frozen: bool,
    /// Bytes being taken: (when taken, bytes).
    tx: VecDeque<(Duration, Bytes)>,
    /// Bytes on the wire: (when delivered, bytes).
    rx: VecDeque<(Duration, Bytes)>,
    last_delivery: Duration,
    /// Bytes handed to the pipe, and bytes it took.
    pub(crate) sent: u64,
    pub(crate) taken: u64,
    /// The most bytes ever handed over and not yet taken.
    pub(crate) max_backlog: u64,
}

impl Pipe {
    pub(crate) fn new(
        latency: Duration,
        bandwidth: Option<u64>,
        freeze_at: Option<Duration>,
    ) -> Pipe {
        Pipe {
            latency,
            bandwidth,
            freeze_at,
            busy_until: Duration::ZERO,
            frozen: false,
            tx: VecDeque::new(),
            rx: VecDeque::new(),
            last_delivery: Duration::ZERO,
            sent: 0,
            taken: 0,
            max_backlog: 0,
        }
    }

    /// The sender writes `bytes` at `now`. Returns the time of a transmit
    /// event to schedule when the pipe was idle.
    pub(crate) fn push(&mut self, now: Duration, bytes: Bytes) -> Option<Duration> {
        self.sent += bytes.len() as u64;
        self.max_backlog = self.max_backlog.max(self.sent - self.taken);
        if self.frozen || self.freeze_at.is_some_and(|f| now >= f) {
            self.frozen = true;
            return None;
        }
        let start = now.max(self.busy_until);
        let serialize = match self.bandwidth {
            Some(bw) => Duration::from_nanos(
                (bytes.len() as u128 * 1_000_000_000 / u128::from(bw.max(1))) as u64,
            ),
            None => Duration::ZERO,
        };
        let done = start + serialize;
        if self.freeze_at.is_some_and(|f| done > f) {
            self.frozen = true;
            return None;
        }
        self.busy_until = done;
        let was_idle = self.tx.is_empty();
        self.tx.push_back((done, bytes));
        was_idle.then_some(done)
    }

    /// Takes every chunk due at `now`. Returns how many bytes were taken,
    /// the time of the next transmit event, and the time of a delivery
    /// event to schedule when the wire was empty.
    pub(crate) fn transmit(
        &mut self,
        now: Duration,
    ) -> (usize, Option<Duration>, Option<Duration>) {
        let mut taken = 0;
        let mut chunk = BytesMut::new();
        while let Some((at, _)) = self.tx.front() {
            if *at > now {
                break;
            }
            if let Some((_, b)) = self.tx.pop_front() {
                taken += b.len();
                chunk.extend_from_slice(&b);
            }
        }
        self.taken += taken as u64;
        let mut deliver_event = None;
        if taken > 0 {
            let at = (now + self.latency).max(self.last_delivery);
            self.last_delivery = at;
            if self.rx.is_empty() {
                deliver_event = Some(at);
            }
            self.rx.push_back((at, chunk.freeze()));
        }
        (taken, self.tx.front().map(|(at, _)| *at), deliver_event)
    }

    /// Everything on the wire due at `now`, and the time of the next delivery.
    pub(crate) fn deliver(&mut self, now: Duration) -> (Bytes, Option<Duration>) {
        let mut out = BytesMut::new();
        while let Some((at, _)) = self.rx.front() {
            if *at > now {
                break;
            }
            if let Some((_, b)) = self.rx.pop_front() {
                out.extend_from_slice(&b);
            }
        }
        (out.freeze(), self.rx.front().map(|(at, _)| *at))
    }

    /// When the last byte handed over so far reaches the other end (for an
    /// orderly close); `None` when the pipe is frozen and never will.
    pub(crate) fn drained_at(&self, now: Duration) -> Option<Duration> {
        if self.frozen {
            return None;
        }
        Some((self.busy_until.max(now) + self.latency).max(self.last_delivery))
    }

    /// The latency of the pipe.
    pub(crate) fn latency(&self) -> Duration {
        self.latency
    }

    /// Forgets bytes not yet taken (a reset).
    pub(crate) fn reset(&mut self) {
        self.tx.clear();
        self.frozen = true;
    }
}

/// An event with its place in the order.
#[derive(Debug)]
struct Entry<E> {
    at: Duration,
    seq: u64,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}

impl<E> Eq for Entry<E> {}

impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl<E> Ord for Entry<E> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

/// Events ordered by time, then by insertion: exactly reproducible.
#[derive(Debug)]
pub(crate) struct EventQueue<E> {
    heap: BinaryHeap<Reverse<Entry<E>>>,
    seq: u64,
}

impl<E> EventQueue<E> {
    pub(crate) fn new() -> Self {
        EventQueue {
            heap: BinaryHeap::new(),
            seq: 0,
        }
    }

    pub(crate) fn push(&mut self, at: Duration, event: E) {
        self.seq += 1;
        self.heap.push(Reverse(Entry {
            at,
            seq: self.seq,
            event,
        }));
    }

    pub(crate) fn pop(&mut self) -> Option<(Duration, E)> {
        self.heap.pop().map(|Reverse(e)| (e.at, e.event))
    }

    pub(crate) fn peek_time(&self) -> Option<Duration> {
        self.heap.peek().map(|Reverse(e)| e.at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipe_takes_at_its_bandwidth_and_delivers_in_order() {
        let ms = Duration::from_millis;
        let mut p = Pipe::new(ms(10), Some(1000), None);
        assert_eq!(p.push(ms(0), Bytes::from_static(&[1; 100])), Some(ms(100)));
        assert_eq!(p.push(ms(0), Bytes::from_static(&[2; 100])), None);
        assert_eq!(p.max_backlog, 200);
        let (n, next, deliver) = p.transmit(ms(100));
        assert_eq!((n, next, deliver), (100, Some(ms(200)), Some(ms(110))));
        let (n, next, deliver) = p.transmit(ms(200));
        assert_eq!((n, next, deliver), (100, None, None));
        let (b, next) = p.deliver(ms(110));
        assert_eq!((b.len(), next), (100, Some(ms(210))));
        assert_eq!(p.drained_at(ms(300)), Some(ms(310)));
        // A frozen pipe takes nothing more.
        let mut f = Pipe::new(ms(1), Some(1000), Some(ms(50)));
        assert_eq!(f.push(ms(0), Bytes::from_static(&[0; 40])), Some(ms(40)));
        assert_eq!(f.push(ms(0), Bytes::from_static(&[0; 40])), None);
        assert_eq!(f.drained_at(ms(0)), None);
        assert_eq!(f.transmit(ms(1000)).0, 40);
    }

    #[test]
    fn queue_orders_by_time_then_insertion() {
        let mut q = EventQueue::new();
        q.push(Duration::from_millis(2), "c");
        q.push(Duration::from_millis(1), "a");
        q.push(Duration::from_millis(1), "b");
        assert_eq!(q.peek_time(), Some(Duration::from_millis(1)));
        let order: Vec<_> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, ["a", "b", "c"]);
    }
}
