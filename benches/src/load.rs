//! The load run: start (or find) the server, ramp readers up in batches,
//! measure over a steady window once all have started, stop them and
//! summarize.
//!
//! Readers run on `threads` worker threads, each a single-threaded `smol`
//! executor. The controller is the calling thread: it feeds readers to the
//! workers, samples the server's `/proc` entry once a second and reads each
//! reader's live byte counter at the window's edges.

use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use smol::channel::{Receiver, Sender};
use smol::{LocalExecutor, Timer};

use crate::procfs::{self, ProcSample};
use crate::reader::{
    ReaderLive, ReaderReport, ReaderSpec, ReaderState, RunControl, TransportMode, parse_stream_url,
    run_reader,
};
use crate::report::{ServerUsage, Summary, median, pct, percentile};
use crate::server::{self, SpawnOptions};

/// Which server process to sample.
#[derive(Clone, Debug)]
pub enum ServerTarget {
    /// None: only client-side figures.
    None,
    /// A running process.
    Pid(u32),
    /// Start one for the run (the port is taken from the URL).
    Spawn(SpawnOptions),
}

/// Parameters of a run.
#[derive(Clone, Debug)]
pub struct LoadConfig {
    /// The stream URL.
    pub url: String,
    /// Number of concurrent readers.
    pub readers: usize,
    /// Lower transport.
    pub transport: TransportMode,
    /// Length of the measurement window.
    pub duration: Duration,
    /// Readers started together.
    pub batch: usize,
    /// Pause between batches.
    pub batch_interval: Duration,
    /// Wait after the last reader started before measuring.
    pub warmup: Duration,
    /// Give up waiting for readers to start after this long.
    pub ramp_timeout: Duration,
    /// Connect and per-response timeout of each reader.
    pub request_timeout: Duration,
    /// Worker threads for readers.
    pub threads: usize,
    /// Receive buffer per RTSP connection, bytes.
    pub read_buffer: usize,
    /// `SO_RCVBUF` of each UDP RTP socket, bytes (0: system default).
    pub udp_rcvbuf: usize,
    /// The server to sample.
    pub server: ServerTarget,
    /// Wait after the server is up before the idle RSS sample.
    pub idle: Duration,
    /// Print a line per second to stderr during the window.
    pub progress: bool,
}

/// A reader handed to a worker.
struct Job {
    id: usize,
    live: Arc<ReaderLive>,
}

/// Runs the load test and returns its summary.
pub fn run(cfg: &LoadConfig) -> Result<Summary, String> {
    let url = parse_stream_url(&cfg.url)?;
    if cfg.readers == 0 {
        return Err("--readers must be at least 1".into());
    }
    let fd_limit =
        procfs::raise_fd_limit().map_err(|e| format!("cannot read the open-file limit: {e}"))?;
    let fds_needed = cfg.readers as u64
        * match cfg.transport {
            TransportMode::Tcp => 2,
            TransportMode::Udp => 2 + 4 * 2,
        };
    if fds_needed + 64 > fd_limit {
        eprintln!(
            "rtsp-load: warning: {} readers may need {fds_needed} file descriptors; the limit is {fd_limit} (ulimit -n)",
            cfg.readers
        );
    }
    let loadavg_start = procfs::load_average();
    let nproc = procfs::online_cpus();

    // The server: started here, or given, or none.
    let spawned = match &cfg.server {
        ServerTarget::Spawn(opts) => {
            let opts = SpawnOptions {
                port: url.port,
                ..opts.clone()
            };
            let s = server::spawn(&opts)?;
            eprintln!(
                "rtsp-load: started server pid {} listening on {}",
                s.pid(),
                s.listening
            );
            Some(s)
        }
        _ => None,
    };
    let server_pid = match (&cfg.server, &spawned) {
        (_, Some(s)) => Some(s.pid()),
        (ServerTarget::Pid(p), None) => Some(*p),
        _ => None,
    };
    if let Some(pid) = server_pid {
        procfs::sample(Some(pid)).map_err(|e| format!("cannot sample server pid {pid}: {e}"))?;
        thread::sleep(cfg.idle);
    }
    let server_idle = server_pid.and_then(|p| procfs::sample(Some(p)).ok());
    let self_start = procfs::sample(None).unwrap_or_default();
    let udp_start = procfs::udp_counters();

    // Workers.
    let spec = Arc::new(ReaderSpec {
        url: url.clone(),
        transport: cfg.transport,
        request_timeout: cfg.request_timeout,
        read_buffer: cfg.read_buffer,
        udp_rcvbuf: cfg.udp_rcvbuf,
    });
    let control = Arc::new(RunControl::default());
    let (result_tx, result_rx) = smol::channel::unbounded::<ReaderReport>();
    let threads = cfg.threads.clamp(1, cfg.readers);
    let mut job_txs = Vec::with_capacity(threads);
    let mut workers = Vec::with_capacity(threads);
    for t in 0..threads {
        let (tx, rx) = smol::channel::unbounded::<Job>();
        job_txs.push(tx);
        let (spec, control, results) = (spec.clone(), control.clone(), result_tx.clone());
        let handle = thread::Builder::new()
            .name(format!("rtsp-load-{t}"))
            .spawn(move || worker(rx, spec, control, results))
            .map_err(|e| format!("cannot start a worker thread: {e}"))?;
        workers.push(handle);
    }
    drop(result_tx);

    // Ramp up in batches.
    let lives: Vec<Arc<ReaderLive>> = (0..cfg.readers)
        .map(|_| Arc::new(ReaderLive::default()))
        .collect();
    let ramp_start = Instant::now();
    let batch = cfg.batch.max(1);
    for (b, ids) in (0..cfg.readers)
        .collect::<Vec<_>>()
        .chunks(batch)
        .enumerate()
    {
        if b > 0 {
            thread::sleep(cfg.batch_interval);
        }
        for &id in ids {
            let job = Job {
                id,
                live: lives[id].clone(),
            };
            if job_txs[id % threads].try_send(job).is_err() {
                return Err("a worker thread died".into());
            }
        }
    }
    loop {
        let starting = lives
            .iter()
            .filter(|l| l.state() == ReaderState::Starting)
            .count();
        if starting == 0 {
            break;
        }
        if ramp_start.elapsed() > cfg.ramp_timeout {
            eprintln!("rtsp-load: {starting} readers still starting after the ramp timeout");
            break;
        }
        thread::sleep(Duration::from_millis(5));
    }
    let ramp_secs = ramp_start.elapsed().as_secs_f64();
    let playing_at_start = lives
        .iter()
        .filter(|l| l.state() == ReaderState::Playing)
        .count();
    eprintln!(
        "rtsp-load: {playing_at_start}/{} readers playing after {ramp_secs:.2} s; warming up {:?}",
        cfg.readers, cfg.warmup
    );
    thread::sleep(cfg.warmup);

    // The steady window.
    let bytes_now = || -> Vec<u64> {
        lives
            .iter()
            .map(|l| l.bytes.load(std::sync::atomic::Ordering::Relaxed))
            .collect()
    };
    let sample_server = || server_pid.and_then(|p| procfs::sample(Some(p)).ok());
    let w_start = Instant::now();
    let bytes_start = bytes_now();
    let server_start = sample_server();
    let self_w_start = procfs::sample(None).unwrap_or_default();
    let mut prev = (w_start, server_start, bytes_start.iter().sum::<u64>());
    let mut cpu_pct_max_1s: f64 = 0.0;
    let mut tick = 1u32;
    loop {
        let next = w_start + Duration::from_secs(u64::from(tick));
        let end = w_start + cfg.duration;
        let until = next.min(end);
        if let Some(d) = until.checked_duration_since(Instant::now()) {
            thread::sleep(d);
        }
        let now = Instant::now();
        let s = sample_server();
        let total: u64 = bytes_now().iter().sum();
        let dt = now.duration_since(prev.0).as_secs_f64();
        let cpu = match (prev.1, s) {
            (Some(a), Some(b)) if dt > 0.2 => Some(pct(b.cpu_secs - a.cpu_secs, dt)),
            _ => None,
        };
        if let Some(c) = cpu {
            cpu_pct_max_1s = cpu_pct_max_1s.max(c);
        }
        if cfg.progress && dt > 0.2 {
            let mbps = (total - prev.2) as f64 * 8.0 / dt / 1e6;
            let srv = match (cpu, s) {
                (Some(c), Some(s)) => format!(
                    ", server {c:.1}% CPU, RSS {:.1} MiB",
                    s.rss_kib as f64 / 1024.0
                ),
                _ => String::new(),
            };
            eprintln!(
                "rtsp-load: t={:4.1}s {mbps:8.1} Mbit/s{srv}",
                now.duration_since(w_start).as_secs_f64()
            );
        }
        prev = (now, s, total);
        if now >= end {
            break;
        }
        tick += 1;
    }
    let w_end = Instant::now();
    let bytes_end = bytes_now();
    let server_end = sample_server();
    let self_w_end = procfs::sample(None).unwrap_or_default();
    let window_secs = w_end.duration_since(w_start).as_secs_f64();

    // Stop and collect.
    control.stop();
    drop(job_txs);
    let mut reports: Vec<ReaderReport> = Vec::with_capacity(cfg.readers);
    let deadline = Instant::now() + cfg.request_timeout + Duration::from_secs(5);
    while reports.len() < cfg.readers {
        let left = deadline.saturating_duration_since(Instant::now());
        let r = smol::block_on(smol::future::or(
            async { result_rx.recv().await.ok() },
            async {
                Timer::after(left).await;
                None
            },
        ));
        match r {
            Some(r) => reports.push(r),
            None => break,
        }
    }
    if reports.len() == cfg.readers {
        for w in workers {
            let _ = w.join();
        }
    } else {
        eprintln!(
            "rtsp-load: only {} of {} readers reported back",
            reports.len(),
            cfg.readers
        );
    }
    let self_end = procfs::sample(None).unwrap_or_default();
    let udp_end = procfs::udp_counters();
    drop(spawned);

    // Summarize.
    let mut by_id: Vec<Option<&ReaderReport>> = vec![None; cfg.readers];
    for r in &reports {
        if let Some(slot) = by_id.get_mut(r.id) {
            *slot = Some(r);
        }
    }
    let mut rates = Vec::with_capacity(cfg.readers);
    let mut served = 0;
    for (i, r) in by_id.iter().enumerate() {
        let window_bytes = bytes_end[i].saturating_sub(bytes_start[i]);
        rates.push(window_bytes as f64 * 8.0 / window_secs / 1e6);
        if let Some(r) = r
            && r.connected_to_end
            && r.rtp_packets() > 0
            && window_bytes > 0
        {
            served += 1;
        }
    }
    rates.sort_by(f64::total_cmp);
    let mut ttfp: Vec<f64> = reports
        .iter()
        .filter_map(|r| r.time_to_first_packet)
        .map(|d| d.as_secs_f64() * 1e3)
        .collect();
    ttfp.sort_by(f64::total_cmp);
    let mut setup: Vec<f64> = reports
        .iter()
        .filter_map(|r| r.setup_time)
        .map(|d| d.as_secs_f64() * 1e3)
        .collect();
    setup.sort_by(f64::total_cmp);
    let mut failures: HashMap<String, usize> = HashMap::new();
    for r in &reports {
        if let Some(e) = &r.error {
            *failures.entry(e.clone()).or_default() += 1;
        }
    }
    let missing_reports = cfg.readers - reports.len();
    if missing_reports > 0 {
        failures.insert("did not report back".into(), missing_reports);
    }
    let mut failures: Vec<(String, usize)> = failures.into_iter().collect();
    failures.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    failures.truncate(8);

    let server = match (server_pid, server_idle, server_start, server_end) {
        (Some(pid), Some(idle), Some(a), Some(b)) => {
            Some(server_usage(pid, idle, a, b, window_secs, cpu_pct_max_1s))
        }
        _ => None,
    };
    let delivered: u64 = bytes_end
        .iter()
        .zip(&bytes_start)
        .map(|(e, s)| e.saturating_sub(*s))
        .sum();
    Ok(Summary {
        url: url.without_credentials.clone(),
        transport: cfg.transport.as_str().to_owned(),
        readers_requested: cfg.readers,
        readers_playing: reports.iter().filter(|r| r.played).count(),
        readers_served: served,
        failures,
        ramp_secs,
        window_secs,
        delivered_mbps: delivered as f64 * 8.0 / window_secs / 1e6,
        reader_mbps_min: rates.first().copied().unwrap_or(0.0),
        reader_mbps_median: median(&rates).unwrap_or(0.0),
        reader_mbps_max: rates.last().copied().unwrap_or(0.0),
        rtp_packets: reports.iter().map(ReaderReport::rtp_packets).sum(),
        rtp_gaps: reports.iter().map(ReaderReport::missing).sum(),
        rtp_late: reports.iter().map(ReaderReport::late).sum(),
        rtcp_packets: reports
            .iter()
            .flat_map(|r| r.tracks.iter().map(|t| t.rtcp_packets))
            .sum(),
        ttfp_ms_p50: percentile(&ttfp, 0.5),
        ttfp_ms_p99: percentile(&ttfp, 0.99),
        ttfp_ms_max: ttfp.last().copied(),
        setup_ms_p50: percentile(&setup, 0.5),
        setup_ms_max: setup.last().copied(),
        server,
        loadgen_cpu_secs: self_w_end.cpu_secs - self_w_start.cpu_secs,
        loadgen_cpu_secs_total: self_end.cpu_secs - self_start.cpu_secs,
        loadgen_threads: threads,
        udp_drops: match (cfg.transport, udp_start, udp_end) {
            (TransportMode::Udp, Some(a), Some(b)) => Some((
                b.rcvbuf_errors.saturating_sub(a.rcvbuf_errors),
                b.sndbuf_errors.saturating_sub(a.sndbuf_errors),
            )),
            _ => None,
        },
        loadavg_start,
        nproc,
    })
}

fn server_usage(
    pid: u32,
    idle: ProcSample,
    start: ProcSample,
    end: ProcSample,
    window_secs: f64,
    cpu_pct_max_1s: f64,
) -> ServerUsage {
    let cpu = end.cpu_secs - start.cpu_secs;
    ServerUsage {
        pid,
        cpu_secs: cpu,
        cpu_pct: pct(cpu, window_secs),
        cpu_pct_max_1s,
        rss_idle_mib: idle.rss_kib as f64 / 1024.0,
        rss_peak_mib: end.hwm_kib as f64 / 1024.0,
        rss_end_mib: end.rss_kib as f64 / 1024.0,
        threads: end.threads,
    }
}

/// A worker thread: runs the readers it is sent on one executor until the
/// job channel closes and all of them have finished.
fn worker(
    jobs: Receiver<Job>,
    spec: Arc<ReaderSpec>,
    control: Arc<RunControl>,
    results: Sender<ReaderReport>,
) {
    let ex: Rc<LocalExecutor<'static>> = Rc::new(LocalExecutor::new());
    let ex2 = ex.clone();
    smol::block_on(ex.run(async move {
        let mut tasks = Vec::new();
        while let Ok(job) = jobs.recv().await {
            let (spec, control, results, ex3) =
                (spec.clone(), control.clone(), results.clone(), ex2.clone());
            tasks.push(ex2.spawn(async move {
                let report = run_reader(job.id, spec, job.live, control, ex3).await;
                let _ = results.send(report).await;
            }));
        }
        for t in tasks {
            t.await;
        }
    }));
}
