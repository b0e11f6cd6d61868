//! The `Range` header (RFC 2326 section 12.29), normal play time only.

use std::time::Duration;

/// A `Range: npt=start-[end]` value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NptRange {
    /// Start position; `None` for `now`.
    pub start: Option<Duration>,
    /// End position, if given.
    pub end: Option<Duration>,
}

/// A malformed `npt` range (answered with 457 Invalid Range).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidRange;

/// Parses a `Range` header. Returns `Ok(None)` for units other than `npt`
/// (smpte, clock), which a server may ignore, and an error for a malformed
/// `npt` value.
pub fn parse_range(value: &str) -> Result<Option<NptRange>, InvalidRange> {
    let value = value.split(';').next().unwrap_or_default().trim();
    let Some(spec) = value.strip_prefix("npt").map(str::trim_start) else {
        return Ok(None);
    };
    let spec = spec.strip_prefix('=').ok_or(InvalidRange)?.trim();
    let (start, end) = spec.split_once('-').ok_or(InvalidRange)?;
    let start = match start.trim() {
        "now" => None,
        "" => Some(Duration::ZERO),
        s => Some(parse_npt_time(s)?),
    };
    let end = match end.trim() {
        "" => None,
        s => Some(parse_npt_time(s)?),
    };
    if let (Some(s), Some(e)) = (start, end) {
        if e < s {
            return Err(InvalidRange);
        }
    }
    Ok(Some(NptRange { start, end }))
}

/// Parses `npt-sec` (`12.5`) or `npt-hhmmss` (`1:02:03.5`).
fn parse_npt_time(s: &str) -> Result<Duration, InvalidRange> {
    let parts: Vec<&str> = s.split(':').collect();
    let secs: f64 = match parts.as_slice() {
        [sec] => sec.parse().map_err(|_| InvalidRange)?,
        [h, m, sec] => {
            let h: u64 = h.parse().map_err(|_| InvalidRange)?;
            let m: u64 = m.parse().map_err(|_| InvalidRange)?;
            let sec: f64 = sec.parse().map_err(|_| InvalidRange)?;
            if m >= 60 || sec >= 60.0 {
                return Err(InvalidRange);
            }
            (h * 3600 + m * 60) as f64 + sec
        }
        _ => return Err(InvalidRange),
    };
    if !(0.0..=1e9).contains(&secs) {
        return Err(InvalidRange);
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Formats seconds as `npt` uses them (`12.345`).
pub fn format_npt(d: Duration) -> String {
    format!("{}.{:03}", d.as_secs(), d.subsec_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        assert_eq!(
            parse_range("npt=0.000-"),
            Ok(Some(NptRange {
                start: Some(Duration::ZERO),
                end: None
            }))
        );
        assert_eq!(
            parse_range("npt=now-"),
            Ok(Some(NptRange {
                start: None,
                end: None
            }))
        );
        assert_eq!(
            parse_range("npt=1:00:02.5-1:00:03"),
            Ok(Some(NptRange {
                start: Some(Duration::from_secs_f64(3602.5)),
                end: Some(Duration::from_secs(3603))
            }))
        );
        assert_eq!(parse_range("clock=19961108T142300Z-"), Ok(None));
        assert!(parse_range("npt=abc-").is_err());
        assert!(parse_range("npt=5-2").is_err());
        assert!(parse_range("npt=-1-").is_err());
        assert!(parse_range("npt=NaN-").is_err());
        assert_eq!(format_npt(Duration::from_millis(12_345)), "12.345");
    }
}
