//! Wall-clock time derived from the server's monotonic inputs.
//!
//! The core never reads a clock. The runtime tells it, once, which Unix time
//! corresponds to the `Instant` the server was created at; every wall-clock
//! value (RTCP NTP timestamps, `Date` headers) is derived from that anchor
//! and the `now` of each input, so a simulation with a fake anchor produces
//! the same bytes every run.

use std::time::{Duration, Instant};

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

/// Formats Unix seconds as `Tue, 15 Nov 1994 08:12:31 GMT`.
pub(crate) fn http_date(unix_secs: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = unix_secs / 86_400;
    let secs_of_day = unix_secs % 86_400;
    let (year, month, day) = civil_from_days(days as i64);
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} GMT",
        DAYS[(days % 7) as usize],
        day,
        MONTHS[(month - 1) as usize],
        year,
        secs_of_day / 3600,
        secs_of_day / 60 % 60,
        secs_of_day % 60
    )
}

/// Days since 1970-01-01 to (year, month 1-12, day 1-31); Howard Hinnant's algorithm.
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(http_date(784_887_151), "Tue, 15 Nov 1994 08:12:31 GMT");
        assert_eq!(http_date(1_709_164_800), "Thu, 29 Feb 2024 00:00:00 GMT");
    }

    #[test]
    fn ntp_of_unix_epoch() {
        let t0 = Instant::now();
        let c = WallClock::new(t0, Duration::from_millis(500));
        assert_eq!(c.ntp(t0), (2_208_988_800u64 << 32) | (1u64 << 31));
    }
}
