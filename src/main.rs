//! `onvif-rtsp-server`: serve files, capture devices and a live test source
//! as standard RTSP IP-camera streams.

mod cli;
mod host;
mod list;
mod logging;
mod media_bridge;

use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use clap::Parser;
use onvif_rtsp_core::config::{
    OnvifConfig, RtspConfig, RuntimeKind, parse_onvif_config, parse_rtsp_config,
};
use onvif_rtsp_core::onvif_state::DeviceState;
use onvif_rtsp_core::server::{DISCOVERY_PORT, Listener, OnvifSetup, Server, ServerConfig};
use onvif_rtsp_media::{MediaConfig, MediaEngine};
use onvif_rtsp_runtime_common::{ListenerSpec, RunExit, bind_discovery, load_server_config};
use onvif_rtsp_runtime_glommio::{ShardFactory, ShardParts, shard_config};
use onvif_rtsp_runtime_smol::RuntimeOptions;

use cli::Cli;

/// Exit code for a configuration error (a bad value, an unreadable file).
const EXIT_CONFIG: u8 = 2;

/// Features of `rtsp.cfg` that this build parses but does not serve yet.
const NOT_YET_SUPPORTED: &[&str] = &[
    "multicast",
    "rtsp_over_http",
    "rtsp_over_https",
    "proxy",
    "pusher",
    "backchannel",
    "metadata",
];

/// File extensions listed as streams at start-up.
const MEDIA_EXTENSIONS: &[&str] = &[
    "mp4", "m4v", "mov", "mkv", "webm", "avi", "flv", "ts", "m2ts", "mpg", "mpeg", "3gp", "wav",
    "mp3", "aac", "m4a", "ogg", "opus", "flac", "mjpeg", "mjpg", "h264", "264", "h265", "265",
    "hevc",
];

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(kind) = cli.list {
        return list::run(kind);
    }
    let rtsp = match load_rtsp_config(cli.rtsp_config.as_deref()) {
        Ok(c) => c,
        Err(message) => {
            eprintln!("onvif-rtsp-server: {message}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    let mut rtsp = rtsp;
    if let Some(port) = cli.rtsp_port {
        rtsp.server_port = port;
    }
    let onvif = if cli.no_onvif {
        None
    } else {
        match load_onvif(&cli) {
            Ok(o) => Some(o),
            Err(message) => {
                eprintln!("onvif-rtsp-server: {message}");
                return ExitCode::from(EXIT_CONFIG);
            }
        }
    };
    if let Err(e) = logging::init(&rtsp, cli.log_file.as_deref()) {
        eprintln!("onvif-rtsp-server: cannot open the log file: {e}");
        return ExitCode::from(EXIT_CONFIG);
    }
    for feature in rtsp.features_in_use() {
        if NOT_YET_SUPPORTED.contains(&feature) {
            tracing::warn!(
                "rtsp.cfg enables `{feature}`, which this build does not support yet; it is ignored"
            );
        }
    }
    match serve(&cli, rtsp, onvif) {
        Ok(RunExit::Reboot) => restart(),
        Ok(RunExit::Signal) => ExitCode::SUCCESS,
        Err(message) => {
            tracing::error!("{message}");
            eprintln!("onvif-rtsp-server: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The ONVIF configuration and the runtime state to start from.
struct OnvifLoaded {
    config: OnvifConfig,
    state: DeviceState,
    state_file: PathBuf,
}

/// Reads `onvif.cfg` (as `rtsp.cfg`: named file, else the working
/// directory's, else defaults), then `onvifrun.cfg` if an earlier run left
/// one: the runtime changes win over the file, as the manual describes.
fn load_onvif(cli: &Cli) -> Result<OnvifLoaded, String> {
    let (path, required) = match cli.onvif_config.as_deref() {
        Some(p) => (p, true),
        None => (Path::new("onvif.cfg"), false),
    };
    let config = match std::fs::read_to_string(path) {
        Ok(text) => {
            let (config, warnings) = parse_onvif_config(&text, &path.display().to_string())
                .map_err(|e| e.to_string())?;
            for w in warnings {
                eprintln!("onvif-rtsp-server: warning: {w}");
            }
            config
        }
        Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => OnvifConfig::default(),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    let state_file = cli
        .onvif_state
        .clone()
        .unwrap_or_else(|| PathBuf::from("onvifrun.cfg"));
    let seed = cli.seed.unwrap_or_else(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos() as u64
    });
    let state = match std::fs::read_to_string(&state_file) {
        Ok(text) => {
            let (state, warnings) =
                DeviceState::from_runtime_xml(&text, &state_file.display().to_string()).map_err(
                    |e| {
                        format!(
                            "{e} (delete {} to start from onvif.cfg again)",
                            state_file.display()
                        )
                    },
                )?;
            for w in warnings {
                eprintln!("onvif-rtsp-server: warning: {w}");
            }
            state
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            DeviceState::from_config(&config, seed)
        }
        Err(e) => return Err(format!("cannot read {}: {e}", state_file.display())),
    };
    Ok(OnvifLoaded {
        config,
        state,
        state_file,
    })
}

/// Starts this program again in place, with the same arguments (an ONVIF
/// SystemReboot).
fn restart() -> ExitCode {
    use std::os::unix::process::CommandExt;
    let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("/proc/self/exe"));
    let error = std::process::Command::new(exe)
        .args(std::env::args_os().skip(1))
        .exec();
    eprintln!("onvif-rtsp-server: cannot restart: {error}");
    ExitCode::FAILURE
}

/// Reads `rtsp.cfg`: the file named on the command line (which must exist),
/// else `rtsp.cfg` in the working directory if there is one, else defaults.
fn load_rtsp_config(path: Option<&Path>) -> Result<RtspConfig, String> {
    let (path, required) = match path {
        Some(p) => (p, true),
        None => (Path::new("rtsp.cfg"), false),
    };
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!(
                "onvif-rtsp-server: no rtsp.cfg in the working directory; using the embedded defaults"
            );
            return Ok(RtspConfig::default());
        }
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    let (config, warnings) =
        parse_rtsp_config(&text, &path.display().to_string()).map_err(|e| e.to_string())?;
    for w in warnings {
        eprintln!("onvif-rtsp-server: warning: {w}");
    }
    Ok(config)
}

fn serve(cli: &Cli, rtsp: RtspConfig, onvif: Option<OnvifLoaded>) -> Result<RunExit, String> {
    let media_dir = match &cli.media_dir {
        Some(d) => d.clone(),
        None => std::env::current_dir().map_err(|e| format!("no working directory: {e}"))?,
    };
    if !media_dir.is_dir() {
        return Err(format!(
            "media directory {} does not exist",
            media_dir.display()
        ));
    }
    raise_open_file_limit();
    let engine = MediaEngine::new(MediaConfig::new(&media_dir)).map_err(|e| e.to_string())?;
    let runtime = pick_runtime(cli, &rtsp);
    let ip = rtsp.server_ip.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    let addr = SocketAddr::new(ip, rtsp.server_port);
    let rtsp_listeners = match runtime {
        Runtime::Smol => TcpListener::bind(addr).map(|l| vec![l]),
        Runtime::Glommio { shards } => {
            onvif_rtsp_runtime_glommio::bind_rtsp_listeners(addr, shards)
        }
    }
    .map_err(|e| {
        let hint = if rtsp.server_port < 1024 {
            " (ports below 1024 need root; set <serverport> to 8554 or run as root)"
        } else {
            ""
        };
        format!("cannot listen on {addr}: {e}{hint}")
    })?;
    let shards = rtsp_listeners.len();
    let bound = rtsp_listeners[0].local_addr().map_err(|e| e.to_string())?;
    let unix_now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let started = Instant::now();
    let mut cfg = ServerConfig::new(rtsp);
    cfg.unix_time_at_start = unix_now;
    cfg.rng_seed = cli
        .seed
        .unwrap_or(unix_now.as_nanos() as u64 ^ u64::from(std::process::id()));
    print_urls(&cfg, bound, &media_dir);
    match runtime {
        Runtime::Smol => println!("onvif-rtsp-server runtime smol"),
        Runtime::Glommio { shards } => {
            println!("onvif-rtsp-server runtime glommio ({shards} shards)")
        }
    }
    let mut listeners = Vec::new();
    let (broker, receivers) = media_bridge::broker(engine, shards, cfg.file_cache_limit_bytes);
    let test_stream = cfg.test_pattern_stream.clone();
    let mut server = Server::new(shard_config(&cfg, 0, shards), started);
    let mut onvif_state_file = None;
    let mut discovery = None;
    if let Some(mut onvif) = onvif {
        let settings = onvif.state.server().clone();
        let ip = settings
            .server_ip
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        let mut serving = false;
        let mut http_port_bound = None;
        let mut https_port_bound = None;
        if settings.https_enable {
            let cert = settings.cert_file.as_deref().unwrap_or("ssl.ca");
            let key = settings.key_file.as_deref().unwrap_or("ssl.key");
            let tls = load_server_config(Path::new(cert), Path::new(key))
                .map_err(|e| format!("onvif.cfg <https_enable>1: {e}"))?;
            let port = cli.onvif_https_port.unwrap_or(settings.https_port);
            let addr = SocketAddr::new(ip, port);
            let https = TcpListener::bind(addr)
                .map_err(|e| format!("cannot listen for ONVIF over HTTPS on {addr}: {e}"))?;
            let bound_https = https.local_addr().map_err(|e| e.to_string())?;
            https_port_bound = Some(bound_https.port());
            println!("onvif-rtsp-server ONVIF HTTPS on {bound_https}");
            listeners.push(ListenerSpec {
                listener: https,
                kind: Listener::Onvif { tls: true },
                tls: Some(tls),
            });
            serving = true;
        }
        if settings.http_enable {
            let port = cli.onvif_port.unwrap_or(settings.http_port);
            let addr = SocketAddr::new(ip, port);
            let http = TcpListener::bind(addr)
                .map_err(|e| format!("cannot listen for ONVIF on {addr}: {e}"))?;
            let onvif_bound = http.local_addr().map_err(|e| e.to_string())?;
            http_port_bound = Some(onvif_bound.port());
            println!("onvif-rtsp-server ONVIF on {onvif_bound}");
            println!(
                "  device service:    http://{}:{}/onvif/device_service",
                host_for_display(onvif_bound.ip()),
                onvif_bound.port()
            );
            listeners.push(ListenerSpec {
                listener: http,
                kind: Listener::Onvif { tls: false },
                tls: None,
            });
            serving = true;
        }
        if serving {
            onvif.state.set_rtsp_port(bound.port());
            onvif.state.set_default_stream(&test_stream);
            let host = host::host_info();
            if !cli.no_discovery {
                let addresses: Vec<Ipv4Addr> = host
                    .interfaces
                    .iter()
                    .flat_map(|i| i.ipv4.iter().map(|(a, _)| *a))
                    .collect();
                match bind_discovery(DISCOVERY_PORT, &addresses) {
                    Ok((socket, problem)) => {
                        if let Some(problem) = problem {
                            tracing::warn!("WS-Discovery answers unicast probes only: {problem}");
                        }
                        discovery = Some(socket);
                    }
                    Err(e) => tracing::warn!(
                        "WS-Discovery is off: cannot bind UDP port {DISCOVERY_PORT}: {e}"
                    ),
                }
            }
            server.enable_onvif(OnvifSetup {
                config: onvif.config,
                state: onvif.state,
                host,
                http_port: http_port_bound,
                https_port: https_port_bound,
                discovery: discovery.is_some(),
            })?;
            onvif_state_file = Some(onvif.state_file);
        }
    }
    let mut receivers = receivers.into_iter();
    let leader_inbox = receivers.next().ok_or("no media channel")?;
    let exit = match runtime {
        Runtime::Smol => {
            let rtsp = rtsp_listeners.into_iter().map(|listener| ListenerSpec {
                listener,
                kind: Listener::Rtsp,
                tls: None,
            });
            onvif_rtsp_runtime_smol::run(
                server,
                RuntimeOptions {
                    listeners: rtsp.chain(listeners).collect(),
                    udp_ip: ip,
                    onvif_state_file,
                    discovery,
                },
                Box::new(broker.shard(0)),
                leader_inbox,
            )
        }
        Runtime::Glommio { .. } => {
            let others: Vec<ShardFactory> = receivers
                .enumerate()
                .map(|(i, inbox)| {
                    let cfg = shard_config(&cfg, i + 1, shards);
                    let media = broker.shard(i + 1);
                    let factory: ShardFactory = Box::new(move || ShardParts {
                        server: Server::new(cfg, started),
                        media: Box::new(media),
                        inbox,
                    });
                    factory
                })
                .collect();
            let leader = ShardParts {
                server,
                media: Box::new(broker.shard(0)),
                inbox: leader_inbox,
            };
            onvif_rtsp_runtime_glommio::run(
                onvif_rtsp_runtime_glommio::Options {
                    rtsp: rtsp_listeners,
                    leader_listeners: listeners,
                    udp_ip: ip,
                    onvif_state_file,
                    discovery,
                },
                leader,
                others,
            )
        }
    };
    exit.map_err(|e| format!("server stopped: {e}"))
}

/// Which runtime serves.
#[derive(Clone, Copy, Debug)]
enum Runtime {
    Smol,
    Glommio { shards: usize },
}

/// The runtime asked for (`--runtime`, else `<runtime>`, else smol). When
/// glommio cannot start here (no io_uring, seccomp, a low memlock limit),
/// one line says so and smol serves instead.
fn pick_runtime(cli: &Cli, rtsp: &RtspConfig) -> Runtime {
    match cli.runtime.or(rtsp.runtime).unwrap_or(RuntimeKind::Smol) {
        RuntimeKind::Smol => Runtime::Smol,
        RuntimeKind::Glommio => {
            let shards = cli
                .shards
                .map_or_else(onvif_rtsp_runtime_glommio::default_shards, usize::from);
            match onvif_rtsp_runtime_glommio::probe(shards) {
                Ok(()) => Runtime::Glommio { shards },
                Err(why) => {
                    let why = why.split_whitespace().collect::<Vec<_>>().join(" ");
                    eprintln!(
                        "onvif-rtsp-server: io_uring is unavailable ({why}); using the smol runtime"
                    );
                    Runtime::Smol
                }
            }
        }
    }
}

/// Every reader holds a socket, and every UDP session eight; the usual soft
/// limit of 1024 descriptors would cap a server at about a hundred UDP
/// readers, so raise it to the hard limit.
fn raise_open_file_limit() {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(n) => tracing::debug!(limit = n, "open file limit"),
        Err(e) => tracing::warn!(error = %e, "cannot raise the open file limit"),
    }
}

/// An address as a URL host: loopback for "all interfaces", IPv6 bracketed.
fn host_for_display(ip: IpAddr) -> String {
    match ip {
        ip if ip.is_unspecified() => "127.0.0.1".to_owned(),
        IpAddr::V6(ip) => format!("[{ip}]"),
        ip => ip.to_string(),
    }
}

/// Prints where to point a player.
fn print_urls(cfg: &ServerConfig, bound: SocketAddr, media_dir: &Path) {
    let base = format!("rtsp://{}:{}", host_for_display(bound.ip()), bound.port());
    println!("onvif-rtsp-server listening on {bound}");
    println!("  live test stream:  {base}/{}", cfg.test_pattern_stream);
    let mut files: Vec<String> = std::fs::read_dir(media_dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().is_file())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|name| {
            Path::new(name)
                .extension()
                .and_then(|x| x.to_str())
                .is_some_and(|x| MEDIA_EXTENSIONS.contains(&x.to_ascii_lowercase().as_str()))
        })
        .collect();
    files.sort();
    for name in files.iter().take(50) {
        println!("  media file:        {base}/{name}");
    }
    if files.len() > 50 {
        println!(
            "  ... and {} more files in {}",
            files.len() - 50,
            media_dir.display()
        );
    }
}
