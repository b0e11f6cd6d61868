//! Starting the server under test: a temporary `rtsp.cfg` (files loop
//! forever, no authentication, errors-only logging), optional CPU pinning
//! with `taskset`, and waiting for its "listening on" line.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How to start the server.
#[derive(Clone, Debug)]
pub struct SpawnOptions {
    /// The `onvif-rtsp-server` binary.
    pub binary: PathBuf,
    /// Its `--media-dir`.
    pub media_dir: PathBuf,
    /// The RTSP port (`<serverport>`).
    pub port: u16,
    /// CPU list for `taskset -c`, e.g. `1`; `None` runs unpinned.
    pub cpus: Option<String>,
    /// How long to wait for the "listening on" line.
    pub start_timeout: Duration,
}

/// A running server; killed and its temporary directory removed on drop.
#[derive(Debug)]
pub struct SpawnedServer {
    child: Child,
    dir: PathBuf,
    /// The address it printed.
    pub listening: String,
}

impl SpawnedServer {
    /// The process id (with `taskset`, which execs, the server's own).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for SpawnedServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The `rtsp.cfg` used for load tests.
pub fn bench_config(port: u16) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<config>\n    <serverport>{port}</serverport>\n    \
         <loop_nums>-1</loop_nums>\n    <need_auth>0</need_auth>\n    <log_enable>0</log_enable>\n</config>\n"
    )
}

/// Starts the server and waits until it listens.
pub fn spawn(opts: &SpawnOptions) -> Result<SpawnedServer, String> {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let dir = std::env::temp_dir().join(format!("rtsp-load-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let cfg = dir.join("rtsp.cfg");
    std::fs::write(&cfg, bench_config(opts.port))
        .map_err(|e| format!("cannot write {}: {e}", cfg.display()))?;
    // The server runs in the temporary directory: make paths absolute.
    let binary = absolute(&opts.binary);
    let mut cmd = match &opts.cpus {
        Some(cpus) => {
            let mut c = Command::new("taskset");
            c.arg("-c").arg(cpus).arg(&binary);
            c
        }
        None => Command::new(&binary),
    };
    cmd.arg("--rtsp-config")
        .arg(&cfg)
        .arg("--media-dir")
        .arg(absolute(&opts.media_dir))
        .current_dir(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", opts.binary.display()))?;
    let Some(stdout) = child.stdout.take() else {
        let _ = child.kill();
        return Err("no stdout pipe".into());
    };
    let (tx, rx) = mpsc::channel();
    // Forward the server's stdout to our stderr so its pipe never fills.
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(addr) = line.strip_prefix("onvif-rtsp-server listening on ") {
                let _ = tx.send(addr.trim().to_owned());
            }
            eprintln!("[server] {line}");
        }
    });
    let mut server = SpawnedServer {
        child,
        dir,
        listening: String::new(),
    };
    match rx.recv_timeout(opts.start_timeout) {
        Ok(addr) => {
            server.listening = addr;
            Ok(server)
        }
        Err(_) => Err(format!(
            "{} did not print \"listening on\" within {:?}",
            opts.binary.display(),
            opts.start_timeout
        )),
    }
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_owned())
}
