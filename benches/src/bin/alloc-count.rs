//! Counts heap allocations of the core `Server` in steady state, per RTP
//! packet delivered to a session.
//!
//! The server is driven in memory ([`onvif_rtsp_benches::core_sim`]): N
//! TCP readers play a synthetic 1080p 4 Mbit/s H.264 + AAC source, live
//! (frames fed in simulated real time) or a file (cached once, each session
//! paced on its own timeline, looping). After a warm-up the global
//! allocator counts every `alloc`/`realloc` during a window of simulated
//! time; the figure is allocations per (packet x session) delivered.
//!
//! ```sh
//! cargo run --release -p onvif-rtsp-benches --bin alloc-count
//! cargo run --release -p onvif-rtsp-benches --bin alloc-count -- --readers 1000 --sites 20
//! ```
//!
//! `--sites N` records a backtrace for a sample of the window's
//! allocations and prints the N most frequent call sites (first frames in
//! the server's own code), so a non-zero figure says where it comes from.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use clap::Parser;
use onvif_rtsp_benches::core_sim::{Delivered, Sim, SourceMode};

/// Counts allocations while `COUNTING` is set; samples backtraces while
/// `SAMPLING` is set.
struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
static SAMPLING: AtomicBool = AtomicBool::new(false);
static ALLOCS: AtomicU64 = AtomicU64::new(0);
static REALLOCS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);
/// Sample one allocation in this many.
static SAMPLE_EVERY: AtomicU64 = AtomicU64::new(1);
static SAMPLES: Mutex<Vec<String>> = Mutex::new(Vec::new());

thread_local! {
    /// Set while this thread records a backtrace (which allocates itself).
    static IN_HOOK: Cell<bool> = const { Cell::new(false) };
}

fn on_alloc(size: usize, realloc: bool) {
    // Allocations of the backtrace hook itself are not the server's.
    if !COUNTING.load(Ordering::Relaxed) || IN_HOOK.with(|h| h.get()) {
        return;
    }
    let n = if realloc {
        REALLOCS.fetch_add(1, Ordering::Relaxed);
        ALLOCS.load(Ordering::Relaxed) + REALLOCS.load(Ordering::Relaxed)
    } else {
        ALLOCS.fetch_add(1, Ordering::Relaxed) + 1 + REALLOCS.load(Ordering::Relaxed)
    };
    BYTES.fetch_add(size as u64, Ordering::Relaxed);
    if SAMPLING.load(Ordering::Relaxed) && n % SAMPLE_EVERY.load(Ordering::Relaxed).max(1) == 0 {
        IN_HOOK.with(|h| h.set(true));
        let trace = std::backtrace::Backtrace::force_capture().to_string();
        let site = call_site(&trace, realloc);
        if let Ok(mut s) = SAMPLES.lock() {
            s.push(site);
        }
        IN_HOOK.with(|h| h.set(false));
    }
}

/// The allocation's call site: the first frames (function and line) in
/// the server's core crate, the innermost first.
fn call_site(trace: &str, realloc: bool) -> String {
    let mut frames: Vec<String> = Vec::new();
    let mut func = "";
    for line in trace.lines() {
        let line = line.trim();
        if let Some(loc) = line.strip_prefix("at ") {
            // The core's sources (not the standard library's `library/core`).
            let ours = loc
                .find("core/src/")
                .filter(|&i| !loc[..i].ends_with("library/") && !loc.contains("/.cargo/"));
            if let Some(i) = ours {
                frames.push(format!("{func} ({})", &loc[i..]));
                if frames.len() == 3 {
                    break;
                }
            }
        } else if let Some((_, f)) = line.split_once(": ") {
            func = f;
        }
    }
    if frames.is_empty() {
        frames.push("(outside the core: the harness)".to_owned());
    }
    let kind = if realloc { "realloc" } else { "alloc" };
    format!("{kind} in {}", frames.join("\n        <- "))
}

// SAFETY: every method forwards to the system allocator unchanged; the
// counters are atomics and the backtrace hook is guarded against re-entry.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        on_alloc(layout.size(), false);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        on_alloc(layout.size(), false);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        on_alloc(new_size, true);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[derive(Parser, Debug)]
#[command(
    about = "Heap allocations of the core server per RTP packet per session, in steady state"
)]
struct Args {
    /// Readers (TCP sessions).
    #[arg(long, default_value_t = 1000)]
    readers: usize,
    /// Simulated seconds of warm-up before counting (ramp, first keyframe,
    /// timers, queues reaching their working size).
    #[arg(long, default_value_t = 10)]
    warmup: u64,
    /// Simulated seconds counted.
    #[arg(long, default_value_t = 20)]
    window: u64,
    /// Length of the simulated file, seconds (it loops).
    #[arg(long, default_value_t = 60)]
    file_secs: u32,
    /// Which sources: live, file or both.
    #[arg(long, default_value = "both")]
    source: String,
    /// Print the N most frequent allocation sites of the window (backtraces
    /// of a sample of at most about 2000 allocations).
    #[arg(long, default_value_t = 0)]
    sites: usize,
}

struct Measured {
    allocs: u64,
    reallocs: u64,
    bytes: u64,
    delivered: Delivered,
}

fn measure(sim: &mut Sim, window: Duration, sample_every: Option<u64>) -> Measured {
    ALLOCS.store(0, Ordering::SeqCst);
    REALLOCS.store(0, Ordering::SeqCst);
    BYTES.store(0, Ordering::SeqCst);
    if let Some(every) = sample_every {
        SAMPLE_EVERY.store(every, Ordering::SeqCst);
        SAMPLING.store(true, Ordering::SeqCst);
    }
    sim.take_delivered();
    COUNTING.store(true, Ordering::SeqCst);
    sim.run_for(window);
    COUNTING.store(false, Ordering::SeqCst);
    SAMPLING.store(false, Ordering::SeqCst);
    Measured {
        allocs: ALLOCS.load(Ordering::SeqCst),
        reallocs: REALLOCS.load(Ordering::SeqCst),
        bytes: BYTES.load(Ordering::SeqCst),
        delivered: sim.take_delivered(),
    }
}

fn run(name: &str, mode: SourceMode, args: &Args) {
    // The same run with one reader: what does not depend on the number of
    // sessions (packetizing, the shared packets) cancels out.
    let one = {
        let mut sim = Sim::new(1, mode);
        sim.run_for(Duration::from_secs(args.warmup));
        measure(&mut sim, Duration::from_secs(args.window), None)
    };
    let mut sim = Sim::new(args.readers, mode);
    assert_eq!(
        sim.server.session_count(),
        args.readers,
        "every reader has a session"
    );
    sim.run_for(Duration::from_secs(args.warmup));
    let window = Duration::from_secs(args.window);
    let m = measure(&mut sim, window, None);
    let total = m.allocs + m.reallocs;
    let packets = m.delivered.rtp_packets;
    let per_packet = total as f64 / packets.max(1) as f64;
    let secs = window.as_secs_f64();
    println!(
        "{name}: {} readers, {:.0} s simulated: {packets} RTP packets delivered ({:.0} per reader per s), \
         {} RTCP, {} allocations ({} allocs + {} reallocs, {:.1} MiB), {:.0} per s",
        args.readers,
        secs,
        packets as f64 / args.readers as f64 / secs,
        m.delivered.rtcp_packets,
        total,
        m.allocs,
        m.reallocs,
        m.bytes as f64 / (1 << 20) as f64,
        total as f64 / secs,
    );
    println!("{name}: allocations per RTP packet per session = {per_packet:.6}");
    let one_total = one.allocs + one.reallocs;
    let marginal = (total as f64 - one_total as f64)
        / (packets as f64 - one.delivered.rtp_packets as f64).max(1.0);
    println!(
        "{name}: with 1 reader: {one_total} allocations for {} RTP packets; \
         marginal allocations per RTP packet per added session = {marginal:.6}",
        one.delivered.rtp_packets
    );
    println!(
        "{name}: allocations per reader per second = {:.3}",
        total as f64 / args.readers as f64 / secs
    );
    println!(
        "RESULT {{\"source\":\"{name}\",\"readers\":{},\"window_s\":{secs},\"rtp_packets\":{packets},\"rtcp_packets\":{},\"allocs\":{},\"reallocs\":{},\"alloc_bytes\":{},\"allocs_per_packet_per_session\":{per_packet:.6},\"one_reader_allocs\":{one_total},\"marginal_allocs_per_packet_per_session\":{marginal:.6}}}",
        args.readers, m.delivered.rtcp_packets, m.allocs, m.reallocs, m.bytes
    );
    if args.sites > 0 && total > 0 {
        let every = (total / 2000).max(1);
        SAMPLES.lock().map(|mut s| s.clear()).ok();
        let m2 = measure(&mut sim, window, Some(every));
        let samples = SAMPLES.lock().map(|s| s.clone()).unwrap_or_default();
        let mut by_site: HashMap<&str, usize> = HashMap::new();
        for s in &samples {
            *by_site.entry(s.as_str()).or_default() += 1;
        }
        let mut sites: Vec<_> = by_site.into_iter().collect();
        sites.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let total2 = m2.allocs + m2.reallocs;
        println!(
            "{name}: allocation sites ({} sampled of {total2}, one in {every}; share, estimated count):",
            samples.len()
        );
        for (site, n) in sites.into_iter().take(args.sites) {
            let share = n as f64 / samples.len().max(1) as f64;
            println!(
                "  {:5.1}%  ~{:.0}  {site}",
                share * 100.0,
                share * total2 as f64
            );
        }
    }
}

fn main() {
    let args = Args::parse();
    if matches!(args.source.as_str(), "live" | "both") {
        run("live", SourceMode::Live, &args);
    }
    if matches!(args.source.as_str(), "file" | "both") {
        run(
            "file",
            SourceMode::File {
                secs: args.file_secs,
            },
            &args,
        );
    }
}
