//! Process resource sampling from `/proc` (Linux): CPU time from
//! `/proc/PID/stat` and resident memory from `/proc/PID/status`.

use std::fs;
use std::io;

/// One sample of a process.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ProcSample {
    /// User plus system CPU time of all threads, in seconds.
    pub cpu_secs: f64,
    /// Resident set size (`VmRSS`), KiB.
    pub rss_kib: u64,
    /// Peak resident set size since start (`VmHWM`), KiB.
    pub hwm_kib: u64,
    /// Number of threads.
    pub threads: u64,
}

/// Clock ticks per second of `/proc/PID/stat` times (`USER_HZ`).
pub fn clock_ticks_per_sec() -> f64 {
    // SAFETY: sysconf only reads a system constant; it has no preconditions.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 { t as f64 } else { 100.0 }
}

/// CPUs online in the machine (not only those this process may run on).
pub fn online_cpus() -> usize {
    // SAFETY: sysconf only reads a system constant; it has no preconditions.
    let n = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) };
    usize::try_from(n).ok().filter(|&n| n > 0).unwrap_or(1)
}

/// Raises this process's soft limit on open files to the hard limit (each
/// reader holds one or two descriptors per connection and two per UDP
/// track); returns the new soft limit.
pub fn raise_fd_limit() -> io::Result<u64> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid, writable rlimit for the duration of the call.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return Err(io::Error::last_os_error());
    }
    if lim.rlim_cur < lim.rlim_max {
        lim.rlim_cur = lim.rlim_max;
        // SAFETY: `lim` is a valid rlimit read above, with cur <= max.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) } != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(lim.rlim_cur)
}

/// Samples process `pid`, or this process with `None`.
pub fn sample(pid: Option<u32>) -> io::Result<ProcSample> {
    let dir = match pid {
        Some(p) => format!("/proc/{p}"),
        None => "/proc/self".to_owned(),
    };
    let stat = fs::read_to_string(format!("{dir}/stat"))?;
    let status = fs::read_to_string(format!("{dir}/status"))?;
    let (ticks, threads) = parse_stat(&stat).ok_or_else(|| bad(&dir, "stat"))?;
    Ok(ProcSample {
        cpu_secs: ticks as f64 / clock_ticks_per_sec(),
        rss_kib: status_kib(&status, "VmRSS:").unwrap_or(0),
        hwm_kib: status_kib(&status, "VmHWM:").unwrap_or(0),
        threads,
    })
}

fn bad(dir: &str, file: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("cannot parse {dir}/{file}"),
    )
}

/// `utime + stime` ticks and the thread count from a `stat` line. The
/// command name (field 2) may contain spaces and parentheses, so fields are
/// counted from the last `)`.
pub fn parse_stat(stat: &str) -> Option<(u64, u64)> {
    let after = &stat[stat.rfind(')')? + 1..];
    // Fields after the name start with field 3 (state).
    let fields: Vec<&str> = after.split_ascii_whitespace().collect();
    let field = |n: usize| -> Option<u64> { fields.get(n - 3)?.parse().ok() };
    Some((field(14)? + field(15)?, field(20)?))
}

/// A `Name:   1234 kB` value of `/proc/PID/status`.
pub fn status_kib(status: &str, name: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with(name))?;
    line[name.len()..]
        .split_ascii_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The 1, 5 and 15 minute load averages.
pub fn load_average() -> Option<[f64; 3]> {
    let text = fs::read_to_string("/proc/loadavg").ok()?;
    let mut it = text.split_ascii_whitespace().map(|v| v.parse::<f64>().ok());
    Some([it.next()??, it.next()??, it.next()??])
}

/// System-wide UDP counters of `/proc/net/snmp` that explain lost datagrams.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UdpCounters {
    /// Datagrams dropped because a receive buffer was full.
    pub rcvbuf_errors: u64,
    /// Datagrams dropped because a send buffer was full.
    pub sndbuf_errors: u64,
}

/// Reads the UDP counters (IPv4) of `/proc/net/snmp`.
pub fn udp_counters() -> Option<UdpCounters> {
    parse_udp_counters(&fs::read_to_string("/proc/net/snmp").ok()?)
}

/// Parses the two `Udp:` lines (names, then values) of `/proc/net/snmp`.
pub fn parse_udp_counters(snmp: &str) -> Option<UdpCounters> {
    let mut lines = snmp.lines().filter(|l| l.starts_with("Udp:"));
    let names: Vec<&str> = lines.next()?.split_ascii_whitespace().collect();
    let values: Vec<&str> = lines.next()?.split_ascii_whitespace().collect();
    let get = |name: &str| -> Option<u64> {
        let i = names.iter().position(|n| *n == name)?;
        values.get(i)?.parse().ok()
    };
    Some(UdpCounters {
        rcvbuf_errors: get("RcvbufErrors")?,
        sndbuf_errors: get("SndbufErrors")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stat_with_odd_name() {
        let line = "42 (a) b (c)) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 7 0 1234 0 0";
        assert_eq!(parse_stat(line), Some((300, 7)));
    }

    #[test]
    fn parses_status() {
        let s = "Name:\tx\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\n";
        assert_eq!(status_kib(s, "VmRSS:"), Some(1024));
        assert_eq!(status_kib(s, "VmHWM:"), Some(2048));
        assert_eq!(status_kib(s, "VmSwap:"), None);
    }

    #[test]
    fn parses_snmp() {
        let s = "Ip: a b\nIp: 1 2\nUdp: InDatagrams RcvbufErrors SndbufErrors\nUdp: 10 3 4\nUdpLite: x\n";
        assert_eq!(
            parse_udp_counters(s),
            Some(UdpCounters {
                rcvbuf_errors: 3,
                sndbuf_errors: 4
            })
        );
    }

    #[test]
    fn samples_self() {
        let s = sample(None).expect("own /proc entry");
        assert!(s.rss_kib > 0 && s.threads >= 1);
    }
}
