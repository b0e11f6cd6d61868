//! Wall-clock time derived from the server's monotonic inputs.
//!
//! The core never reads a clock. The runtime tells it, once, which Unix time
//! corresponds to the `Instant` the server was created at; every wall-clock
//! value (RTCP NTP timestamps, `Date` headers) is derived from that anchor
//! and the `now` of each input, so a simulation with a fake anchor produces
//! the same bytes every run.

use std::time::{Duration, Instant};

use crate::time_fmt::http_date;

/// Maps monotonic instants to Unix time.
#[derive(Clone, Copy, Debug)]
pub(crate) struct WallClock {
    start: Instant,
    unix_at_start: Duration,
}

impl WallClock {
    pub(crate) fn new(start: Instant, unix_at_start: Duration) -> WallClock {
        WallClock {
            start,
            unix_at_start,
        }
    }

    /// Unix time at `now`.
    pub(crate) fn unix(&self, now: Instant) -> Duration {
        self.unix_at_start + now.saturating_duration_since(self.start)
    }

    /// Seconds since the server started (for nonce stamps).
    pub(crate) fn uptime_secs(&self, now: Instant) -> u64 {
        now.saturating_duration_since(self.start).as_secs()
    }

    /// The 64-bit NTP timestamp (RFC 3550 section 4) at `now`.
    pub(crate) fn ntp(&self, now: Instant) -> u64 {
        const NTP_UNIX_OFFSET_SECS: u64 = 2_208_988_800;
        let t = self.unix(now);
        let secs = t.as_secs().wrapping_add(NTP_UNIX_OFFSET_SECS);
        let frac = (u64::from(t.subsec_nanos()) << 32) / 1_000_000_000;
        (secs << 32) | frac
    }

    /// An RFC 7231 `Date` header value at `now`.
    pub(crate) fn http_date(&self, now: Instant) -> String {
        http_date(self.unix(now).as_secs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ntp_of_unix_epoch() {
        let t0 = Instant::now();
        let c = WallClock::new(t0, Duration::from_millis(500));
        assert_eq!(c.ntp(t0), (2_208_988_800u64 << 32) | (1u64 << 31));
    }
}
