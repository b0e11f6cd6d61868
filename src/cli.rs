//! Command-line options.

use std::path::PathBuf;

use clap::Parser;
use onvif_rtsp_core::config::RuntimeKind;

/// ONVIF device and RTSP streaming server.
#[derive(Debug, Parser)]
#[command(name = "onvif-rtsp-server", version, about)]
pub struct Cli {
    /// The RTSP configuration file (default: rtsp.cfg in the working
    /// directory when present, else the embedded defaults).
    #[arg(long, value_name = "FILE")]
    pub rtsp_config: Option<PathBuf>,

    /// Directory whose media files are served (default: the working directory).
    #[arg(long, value_name = "DIR")]
    pub media_dir: Option<PathBuf>,

    /// Override `<serverport>` (0 picks a free port).
    #[arg(long, value_name = "PORT")]
    pub rtsp_port: Option<u16>,

    /// Log file (default: onvif-rtsp-server.log in the working directory,
    /// when `<log_enable>` is 1).
    #[arg(long, value_name = "FILE")]
    pub log_file: Option<PathBuf>,

    /// The ONVIF configuration file (default: onvif.cfg in the working
    /// directory when present, else the embedded defaults).
    #[arg(long, value_name = "FILE")]
    pub onvif_config: Option<PathBuf>,

    /// Where runtime changes made through ONVIF are kept (default:
    /// onvifrun.cfg in the working directory); loaded at start when present.
    #[arg(long, value_name = "FILE")]
    pub onvif_state: Option<PathBuf>,

    /// Override the ONVIF `<http_port>` (0 picks a free port).
    #[arg(long, value_name = "PORT")]
    pub onvif_port: Option<u16>,

    /// Override the ONVIF `<https_port>` (0 picks a free port).
    #[arg(long, value_name = "PORT")]
    pub onvif_https_port: Option<u16>,

    /// Do not answer WS-Discovery (no multicast Hello, Bye or ProbeMatches).
    #[arg(long)]
    pub no_discovery: bool,

    /// Serve RTSP only, without the ONVIF device.
    #[arg(long)]
    pub no_onvif: bool,

    /// The runtime: `smol` (one thread, portable) or `glommio` (io_uring,
    /// one shard per CPU; falls back to smol where io_uring is unavailable).
    /// Overrides `<runtime>` of rtsp.cfg; the default is smol.
    #[arg(long, value_name = "NAME", value_parser = parse_runtime)]
    pub runtime: Option<RuntimeKind>,

    /// Number of glommio shards (default: one per CPU).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub shards: Option<u16>,

    /// Seed of every random choice (session ids, SSRCs, nonces), for
    /// reproducible runs.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,

    /// Print the capture devices (`device`: cameras and microphones,
    /// `videodevice`, `audiodevice`), the application windows (`window`) or
    /// the monitors (`screen`) that stream URLs can name, then exit.
    #[arg(short = 'l', long = "list", value_name = "KIND", value_enum)]
    pub list: Option<ListKind>,
}

/// What `-l` lists (the manual's chapter 3, plus `screen`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ListKind {
    /// Cameras, then microphones (`videodeviceN`, `audiodeviceN`).
    Device,
    /// Cameras (`videodeviceN`, `videodevice=NAME`).
    Videodevice,
    /// Microphones (`audiodeviceN`, `audiodevice=NAME`).
    Audiodevice,
    /// Application windows (`window=TITLE`).
    Window,
    /// Monitors of the X display (`screenliveN`).
    Screen,
}

fn parse_runtime(text: &str) -> Result<RuntimeKind, String> {
    RuntimeKind::from_name(text).ok_or_else(|| format!("{text:?}: expected smol or glommio"))
}
