//! XML Schema simple values as ONVIF uses them: `xs:boolean`,
//! `xs:duration` (`PT10S`, `PT1M30S`), `xs:dateTime`
//! (`2024-01-02T03:04:05.123Z`, `...+01:00`) and `xs:float` output.
//!
//! Parsers are lenient about surrounding whitespace and strict about the
//! rest; they return `None` rather than guessing.

use std::time::Duration;

use crate::time_fmt::{civil_from_days, days_from_civil, days_in_month};

/// Parses an `xs:boolean`: `true`, `false`, `1`, `0`.
pub fn parse_bool(s: &str) -> Option<bool> {
    match s.trim() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

/// Parses a non-negative `xs:duration` such as `PT10S`, `PT1M30S`, `P1DT2H`
/// or `PT0.5S`. Years count as 365 days and months as 30 (ONVIF timeouts
/// never use them). Negative durations and overflow give `None`.
pub fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    let rest = s.strip_prefix('P')?;
    let (date, time) = match rest.split_once('T') {
        Some((d, t)) => {
            if t.is_empty() {
                return None;
            }
            (d, Some(t))
        }
        None => (rest, None),
    };
    if date.is_empty() && time.is_none() {
        return None;
    }
    let mut total = Duration::ZERO;
    let mut add = |n: Duration| -> Option<()> {
        total = total.checked_add(n)?;
        Some(())
    };
    for (value, unit) in components(date)? {
        let n = value.parse::<u64>().ok()?;
        let secs = match unit {
            'Y' => n.checked_mul(365 * 86_400)?,
            'M' => n.checked_mul(30 * 86_400)?,
            'D' => n.checked_mul(86_400)?,
            _ => return None,
        };
        add(Duration::from_secs(secs))?;
    }
    if let Some(time) = time {
        let parts = components(time)?;
        if parts.is_empty() {
            return None;
        }
        for (value, unit) in parts {
            let d = match unit {
                'H' => Duration::from_secs(value.parse::<u64>().ok()?.checked_mul(3600)?),
                'M' => Duration::from_secs(value.parse::<u64>().ok()?.checked_mul(60)?),
                'S' => parse_seconds(value)?,
                _ => return None,
            };
            add(d)?;
        }
    }
    Some(total)
}

/// Splits `1Y2M` into `[("1",'Y'), ("2",'M')]`, in order, each unit once.
fn components(s: &str) -> Option<Vec<(&str, char)>> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in s.char_indices() {
        if c.is_ascii_digit() || c == '.' {
            continue;
        }
        let value = &s[start..i];
        if value.is_empty() || out.iter().any(|&(_, u)| u == c) {
            return None;
        }
        out.push((value, c));
        start = i + c.len_utf8();
    }
    if start != s.len() {
        return None;
    }
    Some(out)
}

/// `12` or `12.345` seconds; fractions beyond nanoseconds are truncated.
fn parse_seconds(s: &str) -> Option<Duration> {
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) || (s.contains('.') && frac.is_empty()) {
        return None;
    }
    let secs = whole.parse::<u64>().ok()?;
    Some(Duration::new(secs, parse_nanos(frac)))
}

fn parse_nanos(frac: &str) -> u32 {
    let mut nanos = 0u32;
    for (i, b) in frac.bytes().take(9).enumerate() {
        nanos += u32::from(b - b'0') * 10u32.pow(8 - i as u32);
    }
    nanos
}

/// Formats a duration as `xs:duration`: `PT0S`, `PT10S`, `PT1M30S`,
/// `PT2H`, `PT0.5S`.
pub fn format_duration(d: Duration) -> String {
    let secs = d.as_secs();
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let mut out = String::from("PT");
    if h > 0 {
        out.push_str(&format!("{h}H"));
    }
    if m > 0 {
        out.push_str(&format!("{m}M"));
    }
    let nanos = d.subsec_nanos();
    if nanos > 0 {
        let frac = format!("{nanos:09}");
        out.push_str(&format!("{s}.{}S", frac.trim_end_matches('0')));
    } else if s > 0 || (h == 0 && m == 0) {
        out.push_str(&format!("{s}S"));
    }
    out
}

/// An instant in UTC, as parsed from an `xs:dateTime`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DateTime {
    /// Seconds since 1970-01-01T00:00:00Z (negative before).
    pub unix_secs: i64,
    /// Nanoseconds within the second.
    pub nanos: u32,
}

impl DateTime {
    /// The instant as a `Duration` since the Unix epoch; `None` before 1970.
    pub fn to_unix(self) -> Option<Duration> {
        u64::try_from(self.unix_secs)
            .ok()
            .map(|s| Duration::new(s, self.nanos))
    }

    /// The same instant from a `Duration` since the Unix epoch.
    pub fn from_unix(d: Duration) -> DateTime {
        DateTime {
            unix_secs: i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            nanos: d.subsec_nanos(),
        }
    }

    /// Calendar fields in UTC: (year, month, day, hour, minute, second).
    pub fn civil(self) -> (i64, u32, u32, u32, u32, u32) {
        let days = self.unix_secs.div_euclid(86_400);
        let secs = self.unix_secs.rem_euclid(86_400) as u32;
        let (y, mo, d) = civil_from_days(days);
        (y, mo, d, secs / 3600, secs / 60 % 60, secs % 60)
    }
}

/// Parses an `xs:dateTime`: `YYYY-MM-DDThh:mm:ss[.fff][Z|(+|-)hh:mm]`. A
/// value without a zone is taken as UTC (ONVIF clients mean UTC).
pub fn parse_datetime(s: &str) -> Option<DateTime> {
    let s = s.trim();
    let (negative_year, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (date, time) = s.split_once('T')?;
    let mut date_parts = date.splitn(3, '-');
    let year_str = date_parts.next()?;
    let month = two_digits(date_parts.next()?)?;
    let day = two_digits(date_parts.next()?)?;
    if year_str.len() < 4 || year_str.len() > 9 || !year_str.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut year: i64 = year_str.parse().ok()?;
    if negative_year {
        year = -year;
    }
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    // Split off the zone designator.
    let (clock, offset_secs) = if let Some(c) = time.strip_suffix('Z') {
        (c, 0i64)
    } else if let Some(pos) = time.rfind(['+', '-']) {
        let zone = &time[pos + 1..];
        let (zh, zm) = zone.split_once(':')?;
        let (zh, zm) = (two_digits(zh)?, two_digits(zm)?);
        if zh > 14 || zm > 59 {
            return None;
        }
        let sign = if time.as_bytes()[pos] == b'-' { -1 } else { 1 };
        (&time[..pos], sign * i64::from(zh * 3600 + zm * 60))
    } else {
        (time, 0)
    };
    let mut clock_parts = clock.splitn(3, ':');
    let hour = two_digits(clock_parts.next()?)?;
    let minute = two_digits(clock_parts.next()?)?;
    let seconds = clock_parts.next()?;
    let (sec_str, frac) = seconds.split_once('.').unwrap_or((seconds, ""));
    let second = two_digits(sec_str)?;
    if seconds.contains('.') && (frac.is_empty() || !frac.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    let end_of_day = hour == 24 && minute == 0 && second == 0 && parse_nanos(frac) == 0;
    if (hour > 23 && !end_of_day) || minute > 59 || second > 59 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let secs = days
        .checked_mul(86_400)?
        .checked_add(i64::from(hour * 3600 + minute * 60 + second))?
        .checked_sub(offset_secs)?;
    Some(DateTime {
        unix_secs: secs,
        nanos: parse_nanos(frac),
    })
}

fn two_digits(s: &str) -> Option<u32> {
    if s.len() != 2 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Formats a Unix time as `xs:dateTime` in UTC without fraction:
/// `2024-01-02T03:04:05Z`.
pub fn format_datetime(unix: Duration) -> String {
    let (y, mo, d, h, mi, s) = DateTime::from_unix(unix).civil();
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

/// Formats a Unix time as `xs:dateTime` in UTC with milliseconds:
/// `2024-01-02T03:04:05.123Z`.
pub fn format_datetime_millis(unix: Duration) -> String {
    let (y, mo, d, h, mi, s) = DateTime::from_unix(unix).civil();
    let ms = unix.subsec_millis();
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ms:03}Z")
}

/// Parses a WS-BaseNotification `AbsoluteOrRelativeTimeType`: either an
/// `xs:duration` added to `now`, or an `xs:dateTime`. Returns Unix time.
pub fn parse_absolute_or_relative(s: &str, now: Duration) -> Option<Duration> {
    let t = s.trim();
    if t.starts_with('P') {
        now.checked_add(parse_duration(t)?)
    } else {
        parse_datetime(t)?.to_unix()
    }
}

/// Formats a float as `xs:float`/`xs:double`: `INF`, `-INF`, `NaN`, or the
/// shortest decimal that round-trips (`25`, `0.5`).
pub fn format_float(f: f64) -> String {
    if f.is_nan() {
        "NaN".to_owned()
    } else if f.is_infinite() {
        if f > 0.0 { "INF" } else { "-INF" }.to_owned()
    } else {
        f.to_string()
    }
}

/// Parses an `xs:float`/`xs:double` (`INF`, `-INF`, `NaN` included).
pub fn parse_float(s: &str) -> Option<f64> {
    match s.trim() {
        "" => None,
        "INF" | "+INF" => Some(f64::INFINITY),
        "-INF" => Some(f64::NEG_INFINITY),
        "NaN" => Some(f64::NAN),
        t if t
            .bytes()
            .any(|b| b.is_ascii_alphabetic() && b != b'e' && b != b'E') =>
        {
            None
        }
        t => t.parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans() {
        assert_eq!(parse_bool(" true "), Some(true));
        assert_eq!(parse_bool("0"), Some(false));
        assert_eq!(parse_bool("True"), None);
        assert_eq!(parse_bool(""), None);
    }

    #[test]
    fn durations() {
        let d = |s: &str| parse_duration(s);
        assert_eq!(d("PT10S"), Some(Duration::from_secs(10)));
        assert_eq!(d("PT1M30S"), Some(Duration::from_secs(90)));
        assert_eq!(d("PT1H"), Some(Duration::from_secs(3600)));
        assert_eq!(d("P1DT2H"), Some(Duration::from_secs(93_600)));
        assert_eq!(d("P1D"), Some(Duration::from_secs(86_400)));
        assert_eq!(d("PT0.5S"), Some(Duration::from_millis(500)));
        assert_eq!(d("PT60S"), Some(Duration::from_secs(60)));
        assert_eq!(d("P1Y"), Some(Duration::from_secs(365 * 86_400)));
        for bad in [
            "",
            "P",
            "PT",
            "T10S",
            "PT10",
            "PTS",
            "-PT10S",
            "PT1S1S",
            "PT.5S",
            "PT5.S",
            "P1H",
            "PT1D",
            "PT99999999999999999999S",
            "P9999999999999999Y",
            "PT1M\u{e9}",
        ] {
            assert_eq!(d(bad), None, "{bad}");
        }
        for s in ["PT0S", "PT10S", "PT1M30S", "PT2H", "PT0.5S", "PT1H0M1S"] {
            let parsed = d(s).unwrap();
            assert_eq!(d(&format_duration(parsed)), Some(parsed));
        }
        assert_eq!(format_duration(Duration::from_secs(90)), "PT1M30S");
        assert_eq!(format_duration(Duration::ZERO), "PT0S");
        assert_eq!(format_duration(Duration::from_secs(3600)), "PT1H");
    }

    #[test]
    fn datetimes() {
        let unix = |s| parse_datetime(s).map(|d| (d.unix_secs, d.nanos));
        assert_eq!(unix("1970-01-01T00:00:00Z"), Some((0, 0)));
        assert_eq!(unix("2024-02-29T12:00:00Z"), Some((1_709_208_000, 0)));
        assert_eq!(
            unix("2024-02-29T12:00:00.123Z"),
            Some((1_709_208_000, 123_000_000))
        );
        assert_eq!(unix("2024-02-29T12:00:00+00:00"), Some((1_709_208_000, 0)));
        assert_eq!(unix("2024-02-29T13:30:00+01:30"), Some((1_709_208_000, 0)));
        assert_eq!(unix("2024-02-29T10:00:00-02:00"), Some((1_709_208_000, 0)));
        assert_eq!(unix("2024-02-29T12:00:00"), Some((1_709_208_000, 0)));
        assert_eq!(
            unix("2024-02-29T12:00:00.1234567891234Z"),
            Some((1_709_208_000, 123_456_789))
        );
        assert_eq!(unix("2024-02-28T24:00:00Z"), unix("2024-02-29T00:00:00Z"));
        for bad in [
            "",
            "2024-02-30T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-01-01",
            "2024-01-01T25:00:00Z",
            "2024-01-01T24:00:01Z",
            "2024-01-01T00:60:00Z",
            "2024-01-01T00:00:60Z",
            "2024-01-01T00:00:00.Z",
            "2024-01-01T00:00:00+0100",
            "2024-01-01T00:00:00+15:00",
            "24-01-01T00:00:00Z",
            "2024-1-01T00:00:00Z",
            "2024-01-01T0:00:00Z",
            "2024-01-01 00:00:00Z",
            "\u{e9}\u{e9}\u{e9}\u{e9}-01-01T00:00:00Z",
        ] {
            assert_eq!(unix(bad), None, "{bad}");
        }
        let t = Duration::new(1_709_208_000, 45_000_000);
        assert_eq!(format_datetime(t), "2024-02-29T12:00:00Z");
        assert_eq!(format_datetime_millis(t), "2024-02-29T12:00:00.045Z");
        assert_eq!(
            parse_datetime(&format_datetime_millis(t))
                .unwrap()
                .to_unix(),
            Some(t)
        );
        assert_eq!(
            parse_datetime("1969-12-31T23:59:59Z").unwrap().to_unix(),
            None
        );
    }

    #[test]
    fn absolute_or_relative() {
        let now = Duration::from_secs(1_000_000);
        assert_eq!(
            parse_absolute_or_relative("PT60S", now),
            Some(Duration::from_secs(1_000_060))
        );
        assert_eq!(
            parse_absolute_or_relative("1970-01-12T13:46:40Z", now),
            Some(now)
        );
        assert_eq!(parse_absolute_or_relative("soon", now), None);
    }

    #[test]
    fn floats() {
        assert_eq!(format_float(25.0), "25");
        assert_eq!(format_float(0.5), "0.5");
        assert_eq!(format_float(f64::INFINITY), "INF");
        assert_eq!(format_float(f64::NEG_INFINITY), "-INF");
        assert_eq!(format_float(f64::NAN), "NaN");
        assert_eq!(parse_float(" 1e3 "), Some(1000.0));
        assert_eq!(parse_float("-INF"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_float("inf"), None);
        assert_eq!(parse_float("infinity"), None);
        assert!(parse_float("NaN").unwrap().is_nan());
        assert_eq!(parse_float(""), None);
    }
}
