//! POSIX TZ strings and civil dates, for Get/SetSystemDateAndTime.
//!
//! ONVIF carries the time zone as a POSIX 1003.1 TZ string
//! (`CST-8`, `EST5EDT,M3.2.0,M11.1.0`, `<+0530>-5:30`). [`PosixTz`] parses
//! one and computes the local time of a UTC instant, DST rules included;
//! [`CivilDateTime`] converts between Unix seconds and calendar dates
//! (proleptic Gregorian, Howard Hinnant's algorithms). No tz database, no
//! clock: the caller passes the instant.

use std::fmt;

/// A calendar date and time of day, without a zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CivilDateTime {
    /// The year, e.g. 2024.
    pub year: i32,
    /// 1-12.
    pub month: u32,
    /// 1-31.
    pub day: u32,
    /// 0-23.
    pub hour: u32,
    /// 0-59.
    pub minute: u32,
    /// 0-60 (a leap second is accepted and counted as the next second).
    pub second: u32,
}

impl CivilDateTime {
    /// The date and time `secs` seconds after 1970-01-01T00:00:00.
    pub fn from_unix(secs: i64) -> CivilDateTime {
        let days = secs.div_euclid(86_400);
        let rest = secs.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        // rest is 0..86400, so the casts are exact.
        CivilDateTime {
            year,
            month,
            day,
            hour: (rest / 3600) as u32,
            minute: (rest % 3600 / 60) as u32,
            second: (rest % 60) as u32,
        }
    }

    /// Seconds since 1970-01-01T00:00:00 (negative before).
    pub fn to_unix(self) -> i64 {
        days_from_civil(self.year, self.month, self.day) * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second)
    }

    /// Checks the fields: month 1-12, a day the month has, hour 0-23,
    /// minute 0-59, second 0-60, year 1970-9999.
    pub fn validate(self) -> Result<(), &'static str> {
        if !(1970..=9999).contains(&self.year) {
            return Err("year out of range 1970-9999");
        }
        if !(1..=12).contains(&self.month) {
            return Err("month out of range 1-12");
        }
        if self.day == 0 || self.day > days_in_month(self.year, self.month) {
            return Err("no such day in that month");
        }
        if self.hour > 23 || self.minute > 59 || self.second > 60 {
            return Err("time of day out of range");
        }
        Ok(())
    }

    /// Day of the week, 0 = Sunday.
    pub fn weekday(self) -> u32 {
        weekday_of(days_from_civil(self.year, self.month, self.day))
    }
}

impl fmt::Display for CivilDateTime {
    /// `2024-03-10T02:30:00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i32, month: u32, day: u32) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i32, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    // Within the range of any plausible clock the casts are exact.
    (
        i32::try_from(year).unwrap_or(i32::MAX),
        month as u32,
        day as u32,
    )
}

/// 0 = Sunday, for a day count since 1970-01-01 (a Thursday).
fn weekday_of(days: i64) -> u32 {
    // rem_euclid(7) is 0..7, so the cast is exact.
    (days + 4).rem_euclid(7) as u32
}

/// When a DST transition happens in a year (the part of a TZ rule before
/// `/time`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TransitionDate {
    /// `Jn`: day 1-365, February 29 never counted.
    Julian(u32),
    /// `n`: day 0-365, February 29 counted in leap years.
    ZeroBased(u32),
    /// `Mm.w.d`: month 1-12, week 1-5 (5 = last), weekday 0-6 (Sunday = 0).
    MonthWeekDay {
        /// Month 1-12.
        month: u32,
        /// Week 1-5; 5 means the last such weekday of the month.
        week: u32,
        /// Weekday 0 (Sunday) to 6.
        weekday: u32,
    },
}

impl TransitionDate {
    /// Days since 1970-01-01 of this date in `year`.
    fn day_in(self, year: i32) -> i64 {
        let jan1 = days_from_civil(year, 1, 1);
        match self {
            TransitionDate::Julian(n) => {
                let n = i64::from(n);
                // Day n counts March 1 as 60 even in leap years.
                let leap_shift = i64::from(is_leap(year) && n >= 60);
                jan1 + n - 1 + leap_shift
            }
            TransitionDate::ZeroBased(n) => jan1 + i64::from(n),
            TransitionDate::MonthWeekDay {
                month,
                week,
                weekday,
            } => {
                let first = days_from_civil(year, month, 1);
                let first_weekday = weekday_of(first);
                let offset = (weekday + 7 - first_weekday) % 7;
                let mut day = first + i64::from(offset) + 7 * i64::from(week - 1);
                let month_end = first + i64::from(days_in_month(year, month));
                while day >= month_end {
                    day -= 7;
                }
                day
            }
        }
    }
}

/// Daylight saving time of a TZ string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DstRule {
    /// The DST abbreviation (`EDT`).
    pub name: String,
    /// Seconds east of UTC during DST.
    pub offset: i32,
    /// When DST starts, and the local (standard) time of day in seconds.
    pub start: (TransitionDate, i32),
    /// When DST ends, and the local (daylight) time of day in seconds.
    pub end: (TransitionDate, i32),
}

/// A parsed POSIX TZ string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PosixTz {
    /// The standard abbreviation (`CST`).
    pub name: String,
    /// Seconds east of UTC in standard time (POSIX writes the opposite
    /// sign: `CST-8` is 8 hours east).
    pub offset: i32,
    /// Daylight saving time, when the string has it.
    pub dst: Option<DstRule>,
}

impl PosixTz {
    /// Parses a TZ string: `std offset [dst [offset] [,start[/time],end[/time]]]`
    /// with names of 3 or more letters or `<...>` quoted. A DST part
    /// without rules uses the US rules (`M3.2.0,M11.1.0`), as glibc does.
    pub fn parse(tz: &str) -> Option<PosixTz> {
        let mut p = Parser { rest: tz };
        let name = p.name()?;
        let offset = -p.offset()?;
        if p.rest.is_empty() {
            return Some(PosixTz {
                name,
                offset,
                dst: None,
            });
        }
        let dst_name = p.name()?;
        let dst_offset = if p.rest.is_empty() || p.rest.starts_with(',') {
            offset + 3600
        } else {
            -p.offset()?
        };
        let (start, end) = if p.rest.is_empty() {
            (
                (
                    TransitionDate::MonthWeekDay {
                        month: 3,
                        week: 2,
                        weekday: 0,
                    },
                    7200,
                ),
                (
                    TransitionDate::MonthWeekDay {
                        month: 11,
                        week: 1,
                        weekday: 0,
                    },
                    7200,
                ),
            )
        } else {
            p.expect(',')?;
            let start = p.transition()?;
            p.expect(',')?;
            let end = p.transition()?;
            (start, end)
        };
        if !p.rest.is_empty() {
            return None;
        }
        Some(PosixTz {
            name,
            offset,
            dst: Some(DstRule {
                name: dst_name,
                offset: dst_offset,
                start,
                end,
            }),
        })
    }

    /// Seconds east of UTC at the instant `utc` (Unix seconds), and whether
    /// DST is in effect then.
    pub fn offset_at(&self, utc: i64) -> (i32, bool) {
        let Some(dst) = &self.dst else {
            return (self.offset, false);
        };
        let year = CivilDateTime::from_unix(utc.saturating_add(i64::from(self.offset))).year;
        // The transitions as UTC instants: the start is given in standard
        // time, the end in daylight time.
        let start =
            dst.start.0.day_in(year) * 86_400 + i64::from(dst.start.1) - i64::from(self.offset);
        let end = dst.end.0.day_in(year) * 86_400 + i64::from(dst.end.1) - i64::from(dst.offset);
        let in_dst = if start <= end {
            utc >= start && utc < end
        } else {
            // Southern hemisphere: DST spans the new year.
            utc >= start || utc < end
        };
        if in_dst {
            (dst.offset, true)
        } else {
            (self.offset, false)
        }
    }

    /// The local date and time at the instant `utc`, and whether DST is in
    /// effect.
    pub fn local_time(&self, utc: i64) -> (CivilDateTime, bool) {
        let (offset, dst) = self.offset_at(utc);
        (
            CivilDateTime::from_unix(utc.saturating_add(i64::from(offset))),
            dst,
        )
    }
}

/// A cursor over a TZ string.
struct Parser<'a> {
    rest: &'a str,
}

impl Parser<'_> {
    fn expect(&mut self, c: char) -> Option<()> {
        self.rest = self.rest.strip_prefix(c)?;
        Some(())
    }

    /// `<...>` or 3+ letters.
    fn name(&mut self) -> Option<String> {
        if let Some(quoted) = self.rest.strip_prefix('<') {
            let end = quoted.find('>')?;
            let name = &quoted[..end];
            let ok = name.len() >= 3
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'-');
            if !ok {
                return None;
            }
            self.rest = &quoted[end + 1..];
            return Some(name.to_owned());
        }
        let len = self
            .rest
            .bytes()
            .take_while(u8::is_ascii_alphabetic)
            .count();
        if len < 3 {
            return None;
        }
        let (name, rest) = self.rest.split_at(len);
        self.rest = rest;
        Some(name.to_owned())
    }

    /// A whole number of at most `max_digits` digits.
    fn number(&mut self, max_digits: usize) -> Option<u32> {
        let len = self.rest.bytes().take_while(u8::is_ascii_digit).count();
        if len == 0 || len > max_digits {
            return None;
        }
        let (digits, rest) = self.rest.split_at(len);
        self.rest = rest;
        digits.parse().ok()
    }

    /// `[+-]hh[:mm[:ss]]` as seconds, hours up to `max_hours`.
    fn signed_time(&mut self, max_hours: u32) -> Option<i32> {
        let sign = if let Some(rest) = self.rest.strip_prefix('-') {
            self.rest = rest;
            -1
        } else {
            if let Some(rest) = self.rest.strip_prefix('+') {
                self.rest = rest;
            }
            1
        };
        let hours = self.number(3)?;
        if hours > max_hours {
            return None;
        }
        let mut secs = hours * 3600;
        for unit in [60, 1] {
            if self.rest.starts_with(':') {
                self.expect(':')?;
                let n = self.number(2)?;
                if n > 59 {
                    return None;
                }
                secs += n * unit;
            } else {
                break;
            }
        }
        // At most 167 hours, so it fits.
        Some(sign * i32::try_from(secs).ok()?)
    }

    /// A UTC offset as POSIX writes it (hours 0-24).
    fn offset(&mut self) -> Option<i32> {
        self.signed_time(24)
    }

    /// `date[/time]`.
    fn transition(&mut self) -> Option<(TransitionDate, i32)> {
        let date = if let Some(rest) = self.rest.strip_prefix('J') {
            self.rest = rest;
            let n = self.number(3)?;
            if !(1..=365).contains(&n) {
                return None;
            }
            TransitionDate::Julian(n)
        } else if let Some(rest) = self.rest.strip_prefix('M') {
            self.rest = rest;
            let month = self.number(2)?;
            self.expect('.')?;
            let week = self.number(1)?;
            self.expect('.')?;
            let weekday = self.number(1)?;
            if !(1..=12).contains(&month) || !(1..=5).contains(&week) || weekday > 6 {
                return None;
            }
            TransitionDate::MonthWeekDay {
                month,
                week,
                weekday,
            }
        } else {
            let n = self.number(3)?;
            if n > 365 {
                return None;
            }
            TransitionDate::ZeroBased(n)
        };
        let time = if self.rest.starts_with('/') {
            self.expect('/')?;
            self.signed_time(167)?
        } else {
            7200
        };
        Some((date, time))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> i64 {
        CivilDateTime {
            year: y,
            month: mo,
            day: d,
            hour: h,
            minute: mi,
            second: 0,
        }
        .to_unix()
    }

    #[test]
    fn civil_round_trip() {
        assert_eq!(at(1970, 1, 1, 0, 0), 0);
        assert_eq!(at(2000, 3, 1, 0, 0), 951_868_800);
        for secs in [0, 951_868_800, 1_709_876_543, -86_400, 4_102_444_800] {
            assert_eq!(CivilDateTime::from_unix(secs).to_unix(), secs);
        }
        assert_eq!(CivilDateTime::from_unix(0).weekday(), 4);
        let leap = CivilDateTime::from_unix(at(2024, 2, 29, 12, 0));
        assert_eq!((leap.month, leap.day, leap.hour), (2, 29, 12));
    }

    #[test]
    fn validation() {
        let ok = CivilDateTime::from_unix(at(2024, 2, 29, 23, 59));
        assert!(ok.validate().is_ok());
        assert!(CivilDateTime { day: 30, ..ok }.validate().is_err());
        assert!(CivilDateTime { month: 13, ..ok }.validate().is_err());
        assert!(CivilDateTime { hour: 24, ..ok }.validate().is_err());
        assert!(
            CivilDateTime {
                year: 2023,
                day: 29,
                ..ok
            }
            .validate()
            .is_err()
        );
    }

    #[test]
    fn simple_zones() {
        let cst = PosixTz::parse("CST-8").unwrap();
        assert_eq!((cst.offset, cst.dst.is_none()), (8 * 3600, true));
        let india = PosixTz::parse("<+0530>-5:30").unwrap();
        assert_eq!(india.offset, 5 * 3600 + 1800);
        assert_eq!(PosixTz::parse("UTC0").unwrap().offset, 0);
        assert_eq!(
            PosixTz::parse("GMT+05:30").unwrap().offset,
            -(5 * 3600 + 1800)
        );
        for bad in [
            "",
            "C-8",
            "CST",
            "CST-8x",
            "Europe/Berlin",
            "CST-25",
            "EST5EDT,M13.1.0,M11.1.0",
        ] {
            assert!(PosixTz::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn us_daylight_saving() {
        let tz = PosixTz::parse("EST5EDT,M3.2.0,M11.1.0").unwrap();
        // 2024: DST from March 10 02:00 EST (07:00 UTC) to November 3
        // 02:00 EDT (06:00 UTC).
        assert_eq!(tz.offset_at(at(2024, 3, 10, 6, 59)), (-5 * 3600, false));
        assert_eq!(tz.offset_at(at(2024, 3, 10, 7, 0)), (-4 * 3600, true));
        assert_eq!(tz.offset_at(at(2024, 11, 3, 5, 59)), (-4 * 3600, true));
        assert_eq!(tz.offset_at(at(2024, 11, 3, 6, 0)), (-5 * 3600, false));
        // Without rules: the same US rules.
        let short = PosixTz::parse("EST5EDT").unwrap();
        assert_eq!(short.dst, tz.dst);
        let (local, dst) = tz.local_time(at(2024, 7, 1, 12, 0));
        assert_eq!((local.hour, dst), (8, true));
    }

    #[test]
    fn southern_and_julian_rules() {
        // Australia/Sydney: DST from the first Sunday of October to the
        // first Sunday of April.
        let tz = PosixTz::parse("AEST-10AEDT,M10.1.0,M4.1.0/3").unwrap();
        assert!(tz.offset_at(at(2024, 1, 15, 0, 0)).1);
        assert!(!tz.offset_at(at(2024, 6, 15, 0, 0)).1);
        let julian = PosixTz::parse("XXX0YYY,J60/0,J300/0").unwrap();
        assert!(julian.offset_at(at(2024, 3, 2, 0, 0)).1);
        assert!(!julian.offset_at(at(2024, 2, 28, 0, 0)).1);
    }
}
