//! `rtsp-load`: N concurrent RTSP readers against one URL, with the server's
//! CPU and memory sampled from `/proc`. Prints a human summary and one JSON
//! line. See BENCHMARKS.md at the workspace root.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use onvif_rtsp_benches::load::{LoadConfig, ServerTarget, run};
use onvif_rtsp_benches::reader::TransportMode;
use onvif_rtsp_benches::server::SpawnOptions;

/// Lower transport for the readers.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum Transport {
    /// RTP interleaved in the RTSP connection.
    Tcp,
    /// RTP over UDP, a client port pair per track and reader on the local address.
    Udp,
}

/// RTSP load generator: N readers do OPTIONS, DESCRIBE, SETUP per track and
/// PLAY, then read for --duration seconds, counting bytes, RTP packets,
/// sequence gaps and the time to the first packet.
#[derive(Debug, Parser)]
#[command(name = "rtsp-load", version)]
struct Args {
    /// Stream URL, e.g. rtsp://127.0.0.1:8554/bench-1080p-4m.mp4 (user:pass@ for auth).
    #[arg(long)]
    url: String,
    /// Number of concurrent readers.
    #[arg(short = 'n', long, default_value_t = 100)]
    readers: usize,
    /// Lower transport.
    #[arg(long, value_enum, default_value_t = Transport::Tcp)]
    transport: Transport,
    /// Seconds of the measurement window (after all readers have started).
    #[arg(long, default_value_t = 20.0)]
    duration: f64,
    /// Readers started together.
    #[arg(long, default_value_t = 50)]
    batch: usize,
    /// Milliseconds between batches.
    #[arg(long, default_value_t = 10)]
    batch_interval_ms: u64,
    /// Seconds to wait after the last reader started before measuring.
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// Seconds to wait at most for all readers to reach PLAY.
    #[arg(long, default_value_t = 30.0)]
    ramp_timeout: f64,
    /// Seconds allowed for connecting and for each RTSP response.
    #[arg(long, default_value_t = 10.0)]
    timeout: f64,
    /// Reader threads (each a single-threaded executor).
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Receive buffer per RTSP connection, bytes.
    #[arg(long, default_value_t = 64 * 1024)]
    read_buffer: usize,
    /// SO_RCVBUF of each UDP RTP socket, bytes (capped by net.core.rmem_max; 0: default).
    #[arg(long, default_value_t = 2 * 1024 * 1024)]
    udp_rcvbuf: usize,
    /// Sample this running server process.
    #[arg(long, conflicts_with = "spawn_server")]
    server_pid: Option<u32>,
    /// Start this onvif-rtsp-server binary for the run (port from --url,
    /// temporary rtsp.cfg with <loop_nums>-1</loop_nums>).
    #[arg(long, requires = "media_dir")]
    spawn_server: Option<PathBuf>,
    /// Media directory of the started server.
    #[arg(long)]
    media_dir: Option<PathBuf>,
    /// Pin the started server with `taskset -c LIST`.
    #[arg(long, requires = "spawn_server")]
    server_cpus: Option<String>,
    /// Seconds between the server being up and the idle RSS sample.
    #[arg(long, default_value_t = 1.0)]
    idle: f64,
    /// Also write the JSON line to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// No per-second progress lines on stderr.
    #[arg(long, short)]
    quiet: bool,
}

fn secs(name: &str, v: f64) -> Result<Duration, String> {
    Duration::try_from_secs_f64(v).map_err(|_| format!("--{name} must be a non-negative number"))
}

fn config(args: &Args) -> Result<LoadConfig, String> {
    let server = match (&args.spawn_server, args.server_pid) {
        (Some(binary), _) => ServerTarget::Spawn(SpawnOptions {
            binary: binary.clone(),
            media_dir: args.media_dir.clone().unwrap_or_default(),
            port: 0,
            cpus: args.server_cpus.clone(),
            start_timeout: Duration::from_secs(30),
        }),
        (None, Some(pid)) => ServerTarget::Pid(pid),
        (None, None) => ServerTarget::None,
    };
    Ok(LoadConfig {
        url: args.url.clone(),
        readers: args.readers,
        transport: match args.transport {
            Transport::Tcp => TransportMode::Tcp,
            Transport::Udp => TransportMode::Udp,
        },
        duration: secs("duration", args.duration)?,
        batch: args.batch,
        batch_interval: Duration::from_millis(args.batch_interval_ms),
        warmup: secs("warmup", args.warmup)?,
        ramp_timeout: secs("ramp-timeout", args.ramp_timeout)?,
        request_timeout: secs("timeout", args.timeout)?,
        threads: args.threads,
        read_buffer: args.read_buffer,
        udp_rcvbuf: args.udp_rcvbuf,
        server,
        idle: secs("idle", args.idle)?,
        progress: !args.quiet,
    })
}

fn main() -> ExitCode {
    let args = Args::parse();
    let summary = match config(&args).and_then(|c| run(&c)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("rtsp-load: {e}");
            return ExitCode::FAILURE;
        }
    };
    print!("{}", summary.human());
    let json = summary.json();
    println!("{json}");
    if let Some(path) = &args.json
        && let Err(e) = std::fs::write(path, format!("{json}\n"))
    {
        eprintln!("rtsp-load: cannot write {}: {e}", path.display());
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
