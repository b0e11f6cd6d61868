//! Reception statistics for receiver reports: the sequence accounting of
//! RFC 3550 appendix A.1, the loss computation of A.3 and the interarrival
//! jitter of A.8. Time comes in with each call, as everywhere in the core.

use std::time::Instant;

use super::ntp::{duration_to_compact, ntp_middle_32};
use super::{ReportBlock, SenderReport};

/// A forward jump larger than this is not ordinary loss (appendix A.1).
const MAX_DROPOUT: u16 = 3000;
/// A backward step up to this is a late packet, not a restart.
const MAX_MISORDER: u16 = 100;

/// What a receiver knows about one source, enough to fill its report block.
#[derive(Clone, Debug)]
pub struct ReceptionStats {
    ssrc: u32,
    clock_rate: u32,
    started: bool,
    /// First sequence number, extended.
    base_seq: u32,
    max_seq: u16,
    /// Sequence number wraps, times 65536.
    cycles: u32,
    /// After a big jump: the number that would confirm a restart.
    bad_seq: Option<u16>,
    received: u32,
    expected_prior: u32,
    received_prior: u32,
    /// Arrival time origin for converting arrivals to RTP units.
    epoch: Option<Instant>,
    /// Relative transit time of the previous packet, in RTP units.
    transit: Option<u32>,
    /// Jitter times 16, the fixed-point form of appendix A.8.
    jitter_q4: u32,
    /// Compact NTP time of the last SR and when it arrived.
    last_sr: Option<(u32, Instant)>,
}

impl ReceptionStats {
    /// Statistics for the source `ssrc` whose RTP clock runs at `clock_rate` Hz.
    pub fn new(ssrc: u32, clock_rate: u32) -> Self {
        ReceptionStats {
            ssrc,
            clock_rate,
            started: false,
            base_seq: 0,
            max_seq: 0,
            cycles: 0,
            bad_seq: None,
            received: 0,
            expected_prior: 0,
            received_prior: 0,
            epoch: None,
            transit: None,
            jitter_q4: 0,
            last_sr: None,
        }
    }

    /// The SSRC of the source these statistics are about.
    pub fn ssrc(&self) -> u32 {
        self.ssrc
    }

    fn restart(&mut self, seq: u16) {
        self.started = true;
        self.base_seq = u32::from(seq);
        self.max_seq = seq;
        self.cycles = 0;
        self.bad_seq = None;
        self.received = 0;
        self.expected_prior = 0;
        self.received_prior = 0;
        self.transit = None;
    }

    /// Accounts for one RTP packet of the source, arrived at `arrival`.
    pub fn on_rtp(&mut self, sequence: u16, rtp_timestamp: u32, arrival: Instant) {
        if !self.started {
            self.restart(sequence);
        } else {
            let delta = sequence.wrapping_sub(self.max_seq);
            if delta < MAX_DROPOUT {
                if sequence < self.max_seq {
                    self.cycles = self.cycles.wrapping_add(1 << 16);
                }
                self.max_seq = sequence;
            } else if delta <= u16::MAX - MAX_MISORDER + 1 {
                // A big jump: a restarted sender, confirmed by the next
                // packet following this one; until then ignore it.
                if self.bad_seq == Some(sequence) {
                    self.restart(sequence);
                } else {
                    self.bad_seq = Some(sequence.wrapping_add(1));
                    return;
                }
            }
            // Otherwise a duplicate or late packet: counted, no new maximum.
        }
        self.received = self.received.wrapping_add(1);
        self.update_jitter(rtp_timestamp, arrival);
    }

    /// Appendix A.8: J += (|D| - J) / 16, with D the change in transit time.
    fn update_jitter(&mut self, rtp_timestamp: u32, arrival: Instant) {
        let epoch = *self.epoch.get_or_insert(arrival);
        let elapsed = arrival.saturating_duration_since(epoch);
        // Arrival time on the RTP clock; wraps like RTP timestamps do.
        let arrival_ts = (elapsed.as_nanos() * u128::from(self.clock_rate) / 1_000_000_000) as u32;
        let transit = arrival_ts.wrapping_sub(rtp_timestamp);
        if let Some(previous) = self.transit {
            let d = (transit.wrapping_sub(previous) as i32).unsigned_abs();
            self.jitter_q4 = self
                .jitter_q4
                .saturating_add(d)
                .saturating_sub((self.jitter_q4 + 8) >> 4);
        }
        self.transit = Some(transit);
    }

    /// Remembers a sender report of the source for LSR/DLSR.
    pub fn on_sender_report(&mut self, report: &SenderReport, arrival: Instant) {
        self.last_sr = Some((ntp_middle_32(report.ntp_timestamp), arrival));
    }

    /// The report block for an RR sent at `now`. Starts a new interval for
    /// the fraction-lost computation, so call it once per report sent.
    pub fn report_block(&mut self, now: Instant) -> ReportBlock {
        let (last_sr, delay_since_last_sr) = match self.last_sr {
            Some((lsr, at)) => (lsr, duration_to_compact(now.saturating_duration_since(at))),
            None => (0, 0),
        };
        if !self.started {
            return ReportBlock {
                ssrc: self.ssrc,
                last_sr,
                delay_since_last_sr,
                ..ReportBlock::default()
            };
        }
        let extended_max = self.cycles.wrapping_add(u32::from(self.max_seq));
        let expected = extended_max.wrapping_sub(self.base_seq).wrapping_add(1);
        let lost = i64::from(expected) - i64::from(self.received);
        let expected_interval = expected.wrapping_sub(self.expected_prior);
        let received_interval = self.received.wrapping_sub(self.received_prior);
        self.expected_prior = expected;
        self.received_prior = self.received;
        let lost_interval = i64::from(expected_interval) - i64::from(received_interval);
        let fraction_lost = if expected_interval == 0 || lost_interval <= 0 {
            0
        } else {
            ((lost_interval << 8) / i64::from(expected_interval)).min(255) as u8
        };
        ReportBlock {
            ssrc: self.ssrc,
            fraction_lost,
            cumulative_lost: lost.clamp(-0x80_0000, 0x7f_ffff) as i32,
            highest_sequence: extended_max,
            jitter: self.jitter_q4 >> 4,
            last_sr,
            delay_since_last_sr,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn counts_loss_across_a_wrap() {
        let t0 = Instant::now();
        let mut s = ReceptionStats::new(42, 8000);
        let mut ts = 0u32;
        for seq in (65530u16..=65535).chain(0..10) {
            if seq == 3 || seq == 4 {
                continue; // lost
            }
            s.on_rtp(seq, ts, t0 + Duration::from_millis(u64::from(ts / 8)));
            ts += 160;
        }
        let block = s.report_block(t0 + Duration::from_secs(1));
        assert_eq!(block.ssrc, 42);
        assert_eq!(block.highest_sequence, (1 << 16) | 9);
        assert_eq!(block.cumulative_lost, 2);
        // 2 of 16 expected: 2 * 256 / 16 = 32.
        assert_eq!(block.fraction_lost, 32);
        // Next interval, no loss.
        s.on_rtp(10, ts, t0 + Duration::from_secs(2));
        let block = s.report_block(t0 + Duration::from_secs(2));
        assert_eq!((block.fraction_lost, block.cumulative_lost), (0, 2));
    }

    #[test]
    fn duplicates_make_loss_negative_and_late_packets_do_not_move_the_maximum() {
        let t0 = Instant::now();
        let mut s = ReceptionStats::new(1, 90_000);
        for seq in [100, 101, 101, 102, 99] {
            s.on_rtp(seq, 0, t0);
        }
        let block = s.report_block(t0);
        assert_eq!(block.highest_sequence, 102);
        assert_eq!(block.cumulative_lost, -2);
        assert_eq!(block.fraction_lost, 0);
    }

    #[test]
    fn restart_after_two_sequential_packets() {
        let t0 = Instant::now();
        let mut s = ReceptionStats::new(1, 90_000);
        s.on_rtp(1000, 0, t0);
        s.on_rtp(30_000, 0, t0); // ignored
        assert_eq!(s.report_block(t0).highest_sequence, 1000);
        s.on_rtp(30_001, 0, t0); // confirms
        s.on_rtp(30_002, 0, t0);
        let block = s.report_block(t0);
        assert_eq!(block.highest_sequence, 30_002);
        assert_eq!(block.cumulative_lost, 0);
    }

    #[test]
    fn jitter_is_zero_for_perfect_pacing_and_grows_with_variation() {
        let t0 = Instant::now();
        let mut s = ReceptionStats::new(1, 8000);
        for i in 0..50u16 {
            s.on_rtp(
                i,
                u32::from(i) * 160,
                t0 + Duration::from_millis(u64::from(i) * 20),
            );
        }
        assert_eq!(s.report_block(t0).jitter, 0);
        let mut s = ReceptionStats::new(1, 8000);
        for i in 0..500u16 {
            // Alternate 0 and 10 ms late: |D| = 80 ticks every packet.
            let late = if i % 2 == 0 { 0 } else { 10 };
            s.on_rtp(
                i,
                u32::from(i) * 160,
                t0 + Duration::from_millis(u64::from(i) * 20 + late),
            );
        }
        let jitter = s.report_block(t0).jitter;
        assert!((75..=80).contains(&jitter), "jitter {jitter}");
    }

    #[test]
    fn last_sr_and_delay() {
        let t0 = Instant::now();
        let mut s = ReceptionStats::new(1, 90_000);
        let block = s.report_block(t0);
        assert_eq!((block.last_sr, block.delay_since_last_sr), (0, 0));
        let sr = SenderReport {
            ssrc: 1,
            ntp_timestamp: 0x0000_1234_5678_0000,
            rtp_timestamp: 0,
            packet_count: 0,
            octet_count: 0,
        };
        s.on_sender_report(&sr, t0);
        let block = s.report_block(t0 + Duration::from_millis(250));
        assert_eq!(block.last_sr, 0x1234_5678);
        assert_eq!(block.delay_since_last_sr, 16384);
    }
}
