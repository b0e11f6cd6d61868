//! The result of a load run: statistics over readers and the server's
//! resource use, printed for people and as one JSON line for machines.

use std::fmt::Write;

/// Resource use of the server process over the measurement window.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ServerUsage {
    /// Its process id.
    pub pid: u32,
    /// CPU seconds (user + system, all threads) used in the window.
    pub cpu_secs: f64,
    /// `cpu_secs` over the window length, in % of one core.
    pub cpu_pct: f64,
    /// Highest one-second CPU sample in the window, % of one core.
    pub cpu_pct_max_1s: f64,
    /// `VmRSS` before any reader connected, MiB.
    pub rss_idle_mib: f64,
    /// `VmHWM` (peak RSS since the process started) at the end, MiB.
    pub rss_peak_mib: f64,
    /// `VmRSS` at the end of the window, MiB.
    pub rss_end_mib: f64,
    /// Thread count at the end of the window.
    pub threads: u64,
}

/// Everything a run measured.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Summary {
    /// The stream URL (without credentials).
    pub url: String,
    /// `tcp` or `udp`.
    pub transport: String,
    /// Readers started.
    pub readers_requested: usize,
    /// Readers whose PLAY was answered 2xx.
    pub readers_playing: usize,
    /// Readers connected to the end that received RTP, and media in the window.
    pub readers_served: usize,
    /// The most common failures: (message, count), most frequent first.
    pub failures: Vec<(String, usize)>,
    /// From the first connect to the last PLAY reply (or ramp timeout), s.
    pub ramp_secs: f64,
    /// Length of the measurement window, s.
    pub window_secs: f64,
    /// Bytes received by all readers in the window, as Mbit/s.
    pub delivered_mbps: f64,
    /// Smallest per-reader rate in the window (failed readers count 0).
    pub reader_mbps_min: f64,
    /// Median per-reader rate in the window.
    pub reader_mbps_median: f64,
    /// Largest per-reader rate in the window.
    pub reader_mbps_max: f64,
    /// RTP packets received over the whole run.
    pub rtp_packets: u64,
    /// Missing RTP sequence numbers over all readers, tracks and SSRCs.
    pub rtp_gaps: u64,
    /// RTP packets behind the expected sequence number (reordered or duplicated).
    pub rtp_late: u64,
    /// RTCP packets received.
    pub rtcp_packets: u64,
    /// Time from PLAY to the first RTP packet, median, ms.
    pub ttfp_ms_p50: Option<f64>,
    /// ... 99th percentile, ms.
    pub ttfp_ms_p99: Option<f64>,
    /// ... maximum, ms.
    pub ttfp_ms_max: Option<f64>,
    /// Time from connect to the PLAY reply, median, ms.
    pub setup_ms_p50: Option<f64>,
    /// ... maximum, ms.
    pub setup_ms_max: Option<f64>,
    /// Server resource use, when a server process was given or started.
    pub server: Option<ServerUsage>,
    /// The load generator's own CPU seconds in the window.
    pub loadgen_cpu_secs: f64,
    /// The load generator's own CPU seconds over the whole run.
    pub loadgen_cpu_secs_total: f64,
    /// Reader threads of the load generator.
    pub loadgen_threads: usize,
    /// UDP runs: datagrams the kernel dropped during the run for a full
    /// receive buffer and for a full send buffer (system-wide counters of
    /// `/proc/net/snmp`, so other UDP traffic is included).
    pub udp_drops: Option<(u64, u64)>,
    /// 1/5/15-minute load average when the run started.
    pub loadavg_start: Option<[f64; 3]>,
    /// Online CPUs.
    pub nproc: usize,
}

/// Nearest-rank percentile (`q` in 0..=1) of sorted values.
pub fn percentile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// Median of sorted values (mean of the middle two for an even count).
pub fn median(sorted: &[f64]) -> Option<f64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

fn opt_ms(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_owned(), |v| format!("{v:.1} ms"))
}

impl Summary {
    /// The human-readable summary.
    pub fn human(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "rtsp-load: {} over {}", self.url, self.transport);
        let _ = writeln!(
            s,
            "  readers      {} requested, {} playing, {} served (connected to the end, media received)",
            self.readers_requested, self.readers_playing, self.readers_served
        );
        for (msg, n) in &self.failures {
            let _ = writeln!(s, "  failures     {n} x {msg}");
        }
        let _ = writeln!(
            s,
            "  window       {:.1} s after a ramp of {:.2} s",
            self.window_secs, self.ramp_secs
        );
        let _ = writeln!(
            s,
            "  delivered    {:.1} Mbit/s total; per reader min {:.3} / median {:.3} / max {:.3} Mbit/s",
            self.delivered_mbps,
            self.reader_mbps_min,
            self.reader_mbps_median,
            self.reader_mbps_max
        );
        let _ = writeln!(
            s,
            "  rtp          {} packets, {} sequence gaps, {} late; {} rtcp",
            self.rtp_packets, self.rtp_gaps, self.rtp_late, self.rtcp_packets
        );
        if let Some((rcv, snd)) = self.udp_drops {
            let _ = writeln!(
                s,
                "  udp drops    {rcv} for full receive buffers, {snd} for full send buffers (kernel, system-wide)"
            );
        }
        let _ = writeln!(
            s,
            "  first packet p50 {}, p99 {}, max {} (after PLAY); setup p50 {}, max {}",
            opt_ms(self.ttfp_ms_p50),
            opt_ms(self.ttfp_ms_p99),
            opt_ms(self.ttfp_ms_max),
            opt_ms(self.setup_ms_p50),
            opt_ms(self.setup_ms_max)
        );
        match &self.server {
            Some(sv) => {
                let _ = writeln!(
                    s,
                    "  server       pid {}: {:.2} CPU s = {:.1}% of one core (max 1-s {:.1}%), {} threads",
                    sv.pid, sv.cpu_secs, sv.cpu_pct, sv.cpu_pct_max_1s, sv.threads
                );
                let _ = writeln!(
                    s,
                    "  server RSS   idle {:.1} MiB, end {:.1} MiB, peak (VmHWM) {:.1} MiB",
                    sv.rss_idle_mib, sv.rss_end_mib, sv.rss_peak_mib
                );
            }
            None => {
                let _ = writeln!(s, "  server       not sampled (no --server-pid)");
            }
        }
        let _ = writeln!(
            s,
            "  load gen     {:.2} CPU s in the window ({:.1}% of one core), {:.2} s total, {} thread(s)",
            self.loadgen_cpu_secs,
            pct(self.loadgen_cpu_secs, self.window_secs),
            self.loadgen_cpu_secs_total,
            self.loadgen_threads
        );
        if let Some([a, b, c]) = self.loadavg_start {
            let _ = writeln!(
                s,
                "  machine      {} CPUs, load average at start {a:.2} {b:.2} {c:.2}",
                self.nproc
            );
        }
        s
    }

    /// One line of JSON with every figure.
    pub fn json(&self) -> String {
        let mut j = JsonObject::default();
        j.str("tool", "rtsp-load");
        j.str("url", &self.url);
        j.str("transport", &self.transport);
        j.num("readers_requested", self.readers_requested as f64);
        j.num("readers_playing", self.readers_playing as f64);
        j.num("readers_served", self.readers_served as f64);
        let mut failures = String::from("[");
        for (i, (msg, n)) in self.failures.iter().enumerate() {
            if i > 0 {
                failures.push(',');
            }
            let _ = write!(failures, "{{\"error\":{},\"count\":{n}}}", quote(msg));
        }
        failures.push(']');
        j.raw("failures", &failures);
        j.num("ramp_s", self.ramp_secs);
        j.num("window_s", self.window_secs);
        j.num("delivered_mbps", self.delivered_mbps);
        j.num("reader_mbps_min", self.reader_mbps_min);
        j.num("reader_mbps_median", self.reader_mbps_median);
        j.num("reader_mbps_max", self.reader_mbps_max);
        j.num("rtp_packets", self.rtp_packets as f64);
        j.num("rtp_gaps", self.rtp_gaps as f64);
        j.num("rtp_late", self.rtp_late as f64);
        j.num("rtcp_packets", self.rtcp_packets as f64);
        match self.udp_drops {
            Some((rcv, snd)) => {
                j.num("udp_rcvbuf_drops", rcv as f64);
                j.num("udp_sndbuf_drops", snd as f64);
            }
            None => {
                j.raw("udp_rcvbuf_drops", "null");
                j.raw("udp_sndbuf_drops", "null");
            }
        }
        j.opt("ttfp_ms_p50", self.ttfp_ms_p50);
        j.opt("ttfp_ms_p99", self.ttfp_ms_p99);
        j.opt("ttfp_ms_max", self.ttfp_ms_max);
        j.opt("setup_ms_p50", self.setup_ms_p50);
        j.opt("setup_ms_max", self.setup_ms_max);
        match &self.server {
            Some(sv) => {
                j.num("server_pid", f64::from(sv.pid));
                j.num("server_cpu_s", sv.cpu_secs);
                j.num("server_cpu_pct", sv.cpu_pct);
                j.num("server_cpu_pct_max_1s", sv.cpu_pct_max_1s);
                j.num("server_rss_idle_mib", sv.rss_idle_mib);
                j.num("server_rss_end_mib", sv.rss_end_mib);
                j.num("server_rss_peak_mib", sv.rss_peak_mib);
                j.num("server_threads", sv.threads as f64);
            }
            None => j.raw("server_pid", "null"),
        }
        j.num("loadgen_cpu_s", self.loadgen_cpu_secs);
        j.num("loadgen_cpu_s_total", self.loadgen_cpu_secs_total);
        j.num("loadgen_threads", self.loadgen_threads as f64);
        match self.loadavg_start {
            Some([a, b, c]) => j.raw("loadavg_start", &format!("[{a},{b},{c}]")),
            None => j.raw("loadavg_start", "null"),
        }
        j.num("nproc", self.nproc as f64);
        j.finish()
    }
}

/// `part` as a percentage of `whole` (0 when `whole` is 0).
pub fn pct(part: f64, whole: f64) -> f64 {
    if whole > 0.0 {
        100.0 * part / whole
    } else {
        0.0
    }
}

/// A flat JSON object written field by field.
#[derive(Default)]
struct JsonObject {
    out: String,
}

impl JsonObject {
    fn key(&mut self, k: &str) {
        self.out.push(if self.out.is_empty() { '{' } else { ',' });
        self.out.push_str(&quote(k));
        self.out.push(':');
    }

    fn raw(&mut self, k: &str, v: &str) {
        self.key(k);
        self.out.push_str(v);
    }

    fn str(&mut self, k: &str, v: &str) {
        self.raw(k, &quote(v));
    }

    fn num(&mut self, k: &str, v: f64) {
        if !v.is_finite() {
            self.raw(k, "null");
        } else if v.fract() == 0.0 && v.abs() < 1e15 {
            self.raw(k, &format!("{}", v as i64));
        } else {
            self.raw(k, &format!("{:.3}", v));
        }
    }

    fn opt(&mut self, k: &str, v: Option<f64>) {
        match v {
            Some(v) => self.num(k, v),
            None => self.raw(k, "null"),
        }
    }

    fn finish(mut self) -> String {
        if self.out.is_empty() {
            self.out.push('{');
        }
        self.out.push('}');
        self.out
    }
}

/// A JSON string literal.
fn quote(s: &str) -> String {
    let mut q = String::with_capacity(s.len() + 2);
    q.push('"');
    for c in s.chars() {
        match c {
            '"' => q.push_str("\\\""),
            '\\' => q.push_str("\\\\"),
            '\n' => q.push_str("\\n"),
            '\r' => q.push_str("\\r"),
            '\t' => q.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(q, "\\u{:04x}", u32::from(c));
            }
            c => q.push(c),
        }
    }
    q.push('"');
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 0.5), Some(50.0));
        assert_eq!(percentile(&v, 0.99), Some(99.0));
        assert_eq!(percentile(&v, 1.0), Some(100.0));
        assert_eq!(percentile(&[3.0], 0.99), Some(3.0));
        assert_eq!(percentile(&[], 0.5), None);
        assert_eq!(median(&[1.0, 2.0, 3.0, 4.0]), Some(2.5));
    }

    #[test]
    fn json_is_one_line_and_escaped() {
        let s = Summary {
            url: "rtsp://h/\"x\"".into(),
            failures: vec![("PLAY: 454\nSession".into(), 2)],
            ttfp_ms_p50: Some(1.25),
            ..Summary::default()
        };
        let j = s.json();
        assert!(!j.contains('\n'));
        assert!(j.starts_with("{\"tool\":\"rtsp-load\""));
        assert!(j.contains("\"url\":\"rtsp://h/\\\"x\\\"\""));
        assert!(j.contains("{\"error\":\"PLAY: 454\\nSession\",\"count\":2}"));
        assert!(j.contains("\"ttfp_ms_p50\":1.250"));
        assert!(j.contains("\"ttfp_ms_max\":null"));
        assert!(j.ends_with('}'));
    }
}
