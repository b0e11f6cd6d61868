//! Logging per `<log_enable>` and `<log_level>`: to stderr and to a file.

use std::fs::OpenOptions;
use std::path::Path;
use std::sync::Mutex;

use onvif_rtsp_core::config::{LogLevel, RtspConfig};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Installs the global subscriber. With `<log_enable>0` only errors reach
/// stderr and no file is written. `RUST_LOG` overrides the level.
pub fn init(cfg: &RtspConfig, file: Option<&Path>) -> std::io::Result<()> {
    let level = if cfg.log_enable {
        match cfg.log_level {
            LogLevel::Trace => LevelFilter::TRACE,
            LogLevel::Debug => LevelFilter::DEBUG,
            LogLevel::Info => LevelFilter::INFO,
            LogLevel::Warn => LevelFilter::WARN,
            // tracing has no FATAL; fatal conditions are logged as errors.
            LogLevel::Error | LogLevel::Fatal => LevelFilter::ERROR,
        }
    } else {
        LevelFilter::ERROR
    };
    let filter = || {
        EnvFilter::builder()
            .with_default_directive(level.into())
            .from_env_lossy()
    };
    let stderr = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_filter(filter());
    let file_layer = if cfg.log_enable {
        let path = file.unwrap_or(Path::new("onvif-rtsp-server.log"));
        let f = OpenOptions::new().create(true).append(true).open(path)?;
        Some(
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(Mutex::new(f))
                .with_filter(filter()),
        )
    } else {
        None
    };
    tracing_subscriber::registry()
        .with(stderr)
        .with(file_layer)
        .init();
    Ok(())
}
