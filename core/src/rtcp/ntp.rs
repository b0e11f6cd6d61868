//! The 64-bit NTP timestamp format of RTCP sender reports (RFC 3550
//! section 4): seconds since 1900 in the high 32 bits, the fraction of a
//! second in the low 32.

use std::time::Duration;

/// Seconds from the NTP epoch (1900-01-01) to the Unix epoch (1970-01-01).
pub const NTP_UNIX_OFFSET_SECS: u64 = 2_208_988_800;

/// Converts a Unix time (time since 1970-01-01 UTC) to an NTP timestamp.
///
/// The seconds wrap in 2036 (NTP era 1), as RFC 5905 specifies; receivers
/// only ever compare nearby timestamps.
pub fn ntp_from_unix(since_epoch: Duration) -> u64 {
    let secs = since_epoch.as_secs().wrapping_add(NTP_UNIX_OFFSET_SECS) & 0xffff_ffff;
    let fraction = (u64::from(since_epoch.subsec_nanos()) << 32) / 1_000_000_000;
    (secs << 32) | fraction
}

/// The middle 32 bits of an NTP timestamp: the "compact" form used in
/// report blocks for LSR (last SR timestamp), in units of 1/65536 s.
pub fn ntp_middle_32(ntp: u64) -> u32 {
    (ntp >> 16) as u32
}

/// A duration in the compact 1/65536 s units of a report block's DLSR
/// (delay since last SR), saturating at the field's maximum.
pub fn duration_to_compact(d: Duration) -> u32 {
    let units =
        d.as_secs().saturating_mul(65536) + (u64::from(d.subsec_nanos()) << 16) / 1_000_000_000;
    u32::try_from(units).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_unix_time() {
        assert_eq!(ntp_from_unix(Duration::ZERO), NTP_UNIX_OFFSET_SECS << 32);
        assert_eq!(
            ntp_from_unix(Duration::from_millis(1500)),
            ((NTP_UNIX_OFFSET_SECS + 1) << 32) | (1 << 31)
        );
        // 2024-01-01T00:00:00Z.
        assert_eq!(
            ntp_from_unix(Duration::from_secs(1_704_067_200)) >> 32,
            3_913_056_000
        );
        // Wraps into NTP era 1 on 2036-02-07T06:28:16Z.
        assert_eq!(ntp_from_unix(Duration::from_secs(2_085_978_496)), 0);
    }

    #[test]
    fn compact_forms() {
        assert_eq!(ntp_middle_32(0x1122_3344_5566_7788), 0x3344_5566);
        assert_eq!(duration_to_compact(Duration::from_millis(500)), 32768);
        assert_eq!(duration_to_compact(Duration::from_secs(2)), 131_072);
        assert_eq!(duration_to_compact(Duration::from_secs(1 << 20)), u32::MAX);
    }
}
