//! The simulated network: TCP byte pipes with latency and bandwidth, UDP
//! with delay, jitter, loss and reordering, and the event queue that orders
//! everything by (simulated time, sequence number).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::time::Duration;

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
#[derive(Clone, Copy, Debug, PartialEq)]
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
///
/// The bytes live in one buffer per pipe, oldest first (those on the wire,
/// then those waiting to be taken), with a queue of (time, length) marks
/// beside it, so a chunk costs no allocation of its own.
#[derive(Debug)]
pub(crate) struct Pipe {
    latency: Duration,
    bandwidth: Option<u64>,
    freeze_at: Option<Duration>,
    busy_until: Duration,
    frozen: bool,
    /// The bytes: `buf[start..]`, the first `on_wire` of them on the wire.
    buf: Vec<u8>,
    start: usize,
    on_wire: usize,
    /// Chunks being taken: (when taken, length).
    tx: VecDeque<(Duration, usize)>,
    /// Bytes on the wire: (when delivered, length).
    rx: VecDeque<(Duration, usize)>,
    last_delivery: Duration,
    /// Bytes handed to the pipe, and bytes it took.
    pub(crate) sent: u64,
    pub(crate) taken: u64,
    /// The most bytes ever handed over and not yet taken.
    pub(crate) max_backlog: u64,
}

/// Above this many consumed bytes at its front, a pipe moves its bytes down.
const COMPACT_AT: usize = 64 * 1024;

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
            buf: Vec::new(),
            start: 0,
            on_wire: 0,
            tx: VecDeque::new(),
            rx: VecDeque::new(),
            last_delivery: Duration::ZERO,
            sent: 0,
            taken: 0,
            max_backlog: 0,
        }
    }

    /// The sender writes `parts` (one chunk, concatenated) at `now`.
    /// Returns the time of a transmit event to schedule when the pipe was idle.
    pub(crate) fn push(&mut self, now: Duration, parts: &[&[u8]]) -> Option<Duration> {
        let len: usize = parts.iter().map(|p| p.len()).sum();
        self.sent += len as u64;
        self.max_backlog = self.max_backlog.max(self.sent - self.taken);
        if self.frozen || self.freeze_at.is_some_and(|f| now >= f) {
            self.frozen = true;
            return None;
        }
        let start = now.max(self.busy_until);
        let serialize = match self.bandwidth {
            Some(bw) => {
                Duration::from_nanos((len as u128 * 1_000_000_000 / u128::from(bw.max(1))) as u64)
            }
            None => Duration::ZERO,
        };
        let done = start + serialize;
        if self.freeze_at.is_some_and(|f| done > f) {
            self.frozen = true;
            return None;
        }
        self.busy_until = done;
        for p in parts {
            self.buf.extend_from_slice(p);
        }
        let was_idle = self.tx.is_empty();
        self.tx.push_back((done, len));
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
        while let Some(&(at, len)) = self.tx.front() {
            if at > now {
                break;
            }
            self.tx.pop_front();
            taken += len;
        }
        self.taken += taken as u64;
        let mut deliver_event = None;
        if taken > 0 {
            let at = (now + self.latency).max(self.last_delivery);
            self.last_delivery = at;
            if self.rx.is_empty() {
                deliver_event = Some(at);
            }
            self.rx.push_back((at, taken));
            self.on_wire += taken;
        }
        (taken, self.tx.front().map(|(at, _)| *at), deliver_event)
    }

    /// Appends everything on the wire due at `now` to `out`; returns the
    /// time of the next delivery.
    pub(crate) fn deliver(&mut self, now: Duration, out: &mut Vec<u8>) -> Option<Duration> {
        let mut n = 0;
        while let Some(&(at, len)) = self.rx.front() {
            if at > now {
                break;
            }
            self.rx.pop_front();
            n += len;
        }
        out.extend_from_slice(&self.buf[self.start..self.start + n]);
        self.start += n;
        self.on_wire -= n;
        if self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        } else if self.start >= COMPACT_AT && self.start * 2 >= self.buf.len() {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.rx.front().map(|(at, _)| *at)
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
        self.buf.truncate(self.start + self.on_wire);
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

impl<E> Entry<E> {
    fn key(&self) -> (Duration, u64) {
        (self.at, self.seq)
    }
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
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
        self.key().cmp(&other.key())
    }
}

/// Width of a calendar slot: 2^16 ns, about 65 µs.
const SLOT_SHIFT: u32 = 16;
/// Slots in the ring: 2^16 of them cover about 4.3 s ahead of the present.
const RING_SLOTS: u64 = 1 << 16;

fn slot_of(at: Duration) -> u64 {
    (at.as_nanos() >> SLOT_SHIFT) as u64
}

/// Events ordered by time, then by insertion: exactly reproducible.
///
/// A calendar queue, so that pushing and popping cost O(1) amortized
/// whatever the number of pending events:
/// - a ring of slots, each an unsorted vector of the events due within its
///   65 µs, covering the next 4.3 s; the current slot is sorted once when
///   it becomes current (a few events) and popped from its end;
/// - a FIFO of the events pushed for exactly the present instant (a fan-out
///   schedules hundreds of those at once: appending beats inserting);
/// - a heap for the rare events beyond the ring, moved into it as the ring
///   turns.
///
/// Events are never due before the last one popped: one pushed for the
/// past is due at the present, after those already due then.
#[derive(Debug)]
pub(crate) struct EventQueue<E> {
    ring: Vec<Vec<Entry<E>>>,
    in_ring: usize,
    /// Absolute number of the current slot.
    slot: u64,
    /// The current slot is sorted, latest first.
    sorted: bool,
    /// Time of the last event popped.
    now: Duration,
    /// Events due at `now`, pushed after it became the present.
    fifo: VecDeque<Entry<E>>,
    far: BinaryHeap<Reverse<Entry<E>>>,
    seq: u64,
}

impl<E> EventQueue<E> {
    pub(crate) fn new() -> Self {
        EventQueue {
            ring: (0..RING_SLOTS).map(|_| Vec::new()).collect(),
            in_ring: 0,
            slot: 0,
            sorted: false,
            now: Duration::ZERO,
            fifo: VecDeque::new(),
            far: BinaryHeap::new(),
            seq: 0,
        }
    }

    fn bucket(&mut self, slot: u64) -> &mut Vec<Entry<E>> {
        &mut self.ring[(slot % RING_SLOTS) as usize]
    }

    pub(crate) fn push(&mut self, at: Duration, event: E) {
        self.seq += 1;
        let entry = Entry {
            at: at.max(self.now),
            seq: self.seq,
            event,
        };
        if entry.at == self.now {
            self.fifo.push_back(entry);
            return;
        }
        let slot = slot_of(entry.at).max(self.slot);
        if slot >= self.slot + RING_SLOTS {
            self.far.push(Reverse(entry));
            return;
        }
        self.in_ring += 1;
        let sorted = slot == self.slot && self.sorted;
        let bucket = self.bucket(slot);
        if sorted {
            let key = entry.key();
            let at = bucket.partition_point(|e| e.key() > key);
            bucket.insert(at, entry);
        } else {
            bucket.push(entry);
        }
    }

    /// The next event and its time, or `None` when there are no more.
    pub(crate) fn pop(&mut self) -> Option<(Duration, E)> {
        loop {
            let now = self.now;
            let slot = self.slot;
            let sort = !self.sorted;
            self.sorted = true;
            let bucket = &mut self.ring[(slot % RING_SLOTS) as usize];
            if sort {
                bucket.sort_unstable_by_key(|e| std::cmp::Reverse(e.key()));
            }
            // Due now and pushed before now was the present: first.
            if bucket.last().is_some_and(|e| e.at <= now) {
                if let Some(e) = bucket.pop() {
                    self.in_ring -= 1;
                    return Some((e.at, e.event));
                }
            }
            if let Some(e) = self.fifo.pop_front() {
                return Some((e.at, e.event));
            }
            if let Some(e) = bucket.pop() {
                self.in_ring -= 1;
                self.now = e.at;
                return Some((e.at, e.event));
            }
            // This slot is done: turn the ring (or jump to the far events).
            if self.in_ring == 0 {
                let Reverse(first) = self.far.peek()?;
                self.slot = slot_of(first.at).max(self.slot + 1);
            } else {
                self.slot += 1;
            }
            self.sorted = false;
            let horizon = self.slot + RING_SLOTS;
            while self
                .far
                .peek()
                .is_some_and(|Reverse(e)| slot_of(e.at) < horizon)
            {
                if let Some(Reverse(e)) = self.far.pop() {
                    let slot = slot_of(e.at).max(self.slot);
                    self.in_ring += 1;
                    self.bucket(slot).push(e);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipe_takes_at_its_bandwidth_and_delivers_in_order() {
        let ms = Duration::from_millis;
        let mut out = Vec::new();
        let mut p = Pipe::new(ms(10), Some(1000), None);
        assert_eq!(p.push(ms(0), &[&[1; 40], &[1; 60]]), Some(ms(100)));
        assert_eq!(p.push(ms(0), &[&[2; 100]]), None);
        assert_eq!(p.max_backlog, 200);
        let (n, next, deliver) = p.transmit(ms(100));
        assert_eq!((n, next, deliver), (100, Some(ms(200)), Some(ms(110))));
        let (n, next, deliver) = p.transmit(ms(200));
        assert_eq!((n, next, deliver), (100, None, None));
        assert_eq!(p.deliver(ms(109), &mut out), Some(ms(110)));
        assert!(out.is_empty());
        assert_eq!(p.deliver(ms(110), &mut out), Some(ms(210)));
        assert_eq!(out, [1; 100]);
        assert_eq!(p.drained_at(ms(300)), Some(ms(310)));
        out.clear();
        assert_eq!(p.deliver(ms(210), &mut out), None);
        assert_eq!(out, [2; 100]);
        // A frozen pipe takes nothing more.
        let mut f = Pipe::new(ms(1), Some(1000), Some(ms(50)));
        assert_eq!(f.push(ms(0), &[&[0; 40]]), Some(ms(40)));
        assert_eq!(f.push(ms(0), &[&[0; 40]]), None);
        assert_eq!(f.drained_at(ms(0)), None);
        assert_eq!(f.transmit(ms(1000)).0, 40);
        // A reset forgets what was not taken, keeps what is on the wire.
        let mut r = Pipe::new(ms(5), Some(1000), None);
        r.push(ms(0), &[&[7; 10]]);
        r.push(ms(0), &[&[8; 10]]);
        r.transmit(ms(10));
        r.reset();
        out.clear();
        assert_eq!(r.deliver(ms(100), &mut out), None);
        assert_eq!(out, [7; 10]);
    }

    #[test]
    fn pipe_reuses_its_buffer() {
        let us = Duration::from_micros;
        let mut p = Pipe::new(us(1), None, None);
        let mut out = Vec::new();
        for i in 0..10_000u64 {
            let t = us(10 * i);
            p.push(t, &[&[i as u8; 100]]);
            p.transmit(t);
            out.clear();
            p.deliver(t + us(1), &mut out);
            assert_eq!(out, [i as u8; 100]);
        }
        assert!(p.buf.capacity() < 4096);
    }

    #[test]
    fn queue_orders_by_time_then_insertion() {
        let mut q = EventQueue::new();
        q.push(Duration::from_millis(2), "c");
        q.push(Duration::from_millis(1), "a");
        q.push(Duration::from_millis(1), "b");
        let order: Vec<_> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, ["a", "b", "c"]);
    }

    /// The calendar queue pops exactly what a heap ordered by (time,
    /// insertion) pops, events pushed while popping included, near (same
    /// instant, same slot) and far (beyond the ring).
    #[test]
    fn queue_matches_a_heap() {
        let mut rng = onvif_rtsp_core::rng::Rng::new(42);
        let mut q = EventQueue::new();
        let mut reference = BinaryHeap::new();
        let mut seq = 0u64;
        let mut now = Duration::ZERO;
        let mut push = |q: &mut EventQueue<u64>, reference: &mut BinaryHeap<_>, at| {
            seq += 1;
            q.push(at, seq);
            reference.push(Reverse((at, seq)));
        };
        for _ in 0..200 {
            let at = Duration::from_nanos(rng.below(50_000_000));
            push(&mut q, &mut reference, at);
        }
        let mut popped = 0;
        while let Some((at, e)) = q.pop() {
            let Some(Reverse((rat, re))) = reference.pop() else {
                panic!("the queue has more events than the heap");
            };
            assert_eq!((at, e), (rat, re), "event {popped}");
            assert!(at >= now);
            now = at;
            popped += 1;
            if popped < 20_000 {
                let pushes = rng.below(3);
                for _ in 0..pushes {
                    let later = match rng.below(6) {
                        0 => Duration::ZERO,
                        1 => Duration::from_nanos(rng.below(70_000)),
                        2 => Duration::from_secs(5 + rng.below(5)),
                        _ => Duration::from_nanos(rng.below(30_000_000)),
                    };
                    push(&mut q, &mut reference, now + later);
                }
            }
        }
        assert!(reference.is_empty());
        assert!(popped > 20_000);
    }
}
