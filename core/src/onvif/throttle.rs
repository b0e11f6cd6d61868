//! Brute-force throttling of authentication per client address.
//!
//! Each client IP that fails to authenticate gets an entry counting its
//! failures in a sliding window. Too many failures block it for a while,
//! doubling with each repeat up to a ceiling; a success clears the entry.
//! The map is bounded: when full, expired entries go first, then the one
//! seen longest ago. Time comes in as an argument, so behaviour is
//! deterministic.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// Throttling parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThrottleConfig {
    /// Failures within [`ThrottleConfig::window`] that trigger a block.
    pub max_failures: u32,
    /// How long failures are remembered.
    pub window: Duration,
    /// First block duration; doubles with each further block.
    pub base_block: Duration,
    /// Longest block.
    pub max_block: Duration,
    /// Most client addresses tracked at once.
    pub max_clients: usize,
}

impl Default for ThrottleConfig {
    /// 10 failures a minute block for 10 s, then 20 s, ... up to 5 min;
    /// 1024 addresses tracked.
    fn default() -> Self {
        ThrottleConfig {
            max_failures: 10,
            window: Duration::from_secs(60),
            base_block: Duration::from_secs(10),
            max_block: Duration::from_secs(300),
            max_clients: 1024,
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    failures: u32,
    window_start: Instant,
    blocked_until: Option<Instant>,
    /// How many blocks so far (drives the doubling).
    blocks: u32,
    last_seen: Instant,
}

/// The per-address failure table.
#[derive(Clone, Debug)]
pub struct Throttle {
    config: ThrottleConfig,
    clients: HashMap<IpAddr, Entry>,
}

impl Throttle {
    /// An empty table.
    pub fn new(config: ThrottleConfig) -> Throttle {
        Throttle {
            config,
            clients: HashMap::new(),
        }
    }

    /// `Err(retry_after)` while `ip` is blocked.
    pub fn check(&self, ip: IpAddr, now: Instant) -> Result<(), Duration> {
        match self.clients.get(&ip).and_then(|e| e.blocked_until) {
            Some(until) if until > now => Err(until - now),
            _ => Ok(()),
        }
    }

    /// Records a failed attempt from `ip`.
    pub fn failure(&mut self, ip: IpAddr, now: Instant) {
        if !self.clients.contains_key(&ip) {
            self.make_room(now);
        }
        let config = self.config;
        let entry = self.clients.entry(ip).or_insert(Entry {
            failures: 0,
            window_start: now,
            blocked_until: None,
            blocks: 0,
            last_seen: now,
        });
        entry.last_seen = now;
        if now.saturating_duration_since(entry.window_start) > config.window {
            entry.failures = 0;
            entry.window_start = now;
        }
        entry.failures += 1;
        if entry.failures >= config.max_failures {
            let factor = 1u32.checked_shl(entry.blocks.min(16)).unwrap_or(u32::MAX);
            let block = config
                .base_block
                .checked_mul(factor)
                .unwrap_or(config.max_block)
                .min(config.max_block);
            entry.blocked_until = Some(now + block);
            entry.blocks = entry.blocks.saturating_add(1);
            entry.failures = 0;
            entry.window_start = now;
            tracing::warn!(%ip, ?block, "blocking client after repeated authentication failures");
        }
    }

    /// Records a successful authentication: the address starts afresh.
    pub fn success(&mut self, ip: IpAddr) {
        self.clients.remove(&ip);
    }

    /// Number of addresses tracked.
    pub fn len(&self) -> usize {
        self.clients.len()
    }

    /// Whether no address is tracked.
    pub fn is_empty(&self) -> bool {
        self.clients.is_empty()
    }

    fn make_room(&mut self, now: Instant) {
        if self.clients.len() < self.config.max_clients.max(1) {
            return;
        }
        let before = self.clients.len();
        let window = self.config.window;
        self.clients.retain(|_, e| {
            let blocked = e.blocked_until.is_some_and(|u| u > now);
            blocked || now.saturating_duration_since(e.last_seen) <= window
        });
        if self.clients.len() < before {
            return;
        }
        if let Some(oldest) = self
            .clients
            .iter()
            .min_by_key(|(ip, e)| (e.last_seen, **ip))
            .map(|(ip, _)| *ip)
        {
            self.clients.remove(&oldest);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn ip(n: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(10, 0, 0, n))
    }

    #[test]
    fn blocks_after_max_failures_and_doubles() {
        let t0 = Instant::now();
        let mut t = Throttle::new(ThrottleConfig {
            max_failures: 3,
            ..ThrottleConfig::default()
        });
        for i in 0..2 {
            t.failure(ip(1), t0 + Duration::from_secs(i));
        }
        assert_eq!(t.check(ip(1), t0 + Duration::from_secs(2)), Ok(()));
        t.failure(ip(1), t0 + Duration::from_secs(2));
        assert_eq!(
            t.check(ip(1), t0 + Duration::from_secs(2)),
            Err(Duration::from_secs(10))
        );
        assert_eq!(t.check(ip(2), t0), Ok(()));
        assert_eq!(t.check(ip(1), t0 + Duration::from_secs(12)), Ok(()));
        for i in 0..3 {
            t.failure(ip(1), t0 + Duration::from_secs(13 + i));
        }
        assert_eq!(
            t.check(ip(1), t0 + Duration::from_secs(15)),
            Err(Duration::from_secs(20))
        );
        t.success(ip(1));
        assert_eq!(t.check(ip(1), t0 + Duration::from_secs(15)), Ok(()));
    }

    #[test]
    fn failures_outside_the_window_are_forgotten() {
        let t0 = Instant::now();
        let mut t = Throttle::new(ThrottleConfig {
            max_failures: 2,
            ..ThrottleConfig::default()
        });
        t.failure(ip(1), t0);
        t.failure(ip(1), t0 + Duration::from_secs(61));
        assert_eq!(t.check(ip(1), t0 + Duration::from_secs(61)), Ok(()));
    }

    #[test]
    fn table_is_bounded() {
        let t0 = Instant::now();
        let mut t = Throttle::new(ThrottleConfig {
            max_clients: 8,
            max_failures: 1,
            ..ThrottleConfig::default()
        });
        for n in 0..100u8 {
            t.failure(ip(n), t0 + Duration::from_millis(u64::from(n)));
            assert!(t.len() <= 8);
        }
        // The most recent offenders are still blocked.
        assert!(t.check(ip(99), t0 + Duration::from_secs(1)).is_err());
    }
}
