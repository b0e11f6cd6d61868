//! Running the built `onvif-rtsp-server` binary and real clients against it.

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Path of the server binary: `$ONVIF_RTSP_SERVER_BIN`, else the workspace's
/// `target/debug/onvif-rtsp-server` (built by `make test` before the tests).
pub fn server_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("ONVIF_RTSP_SERVER_BIN") {
        return PathBuf::from(p);
    }
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("conformance lives inside the workspace");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace.join("target"));
    let bin = target.join("debug").join("onvif-rtsp-server");
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build` (or `make test`) first",
        bin.display()
    );
    bin
}

/// The runtime black-box servers run on: `$ONVIF_RTSP_RUNTIME` (`smol` or
/// `glommio`), else the server's default. `make test` runs the black-box
/// tests once per runtime this way, with the same test bodies.
pub fn runtime_under_test() -> Option<String> {
    std::env::var("ONVIF_RTSP_RUNTIME")
        .ok()
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty())
}

/// A scratch directory removed on drop.
pub struct ScratchDir {
    path: PathBuf,
    /// Borrowed directories are not removed.
    keep: bool,
}

impl ScratchDir {
    /// A fresh directory under the system temp dir.
    pub fn new(tag: &str) -> ScratchDir {
        static COUNTER: AtomicU16 = AtomicU16::new(0);
        let path = std::env::temp_dir().join(format!(
            "onvif-rtsp-{tag}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create scratch dir");
        ScratchDir { path, keep: false }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// A UDP base port for one test server, distinct across the servers of one
/// test run so that parallel tests do not compete for ports.
pub fn unique_udp_base() -> u16 {
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let slot = NEXT.fetch_add(1, Ordering::Relaxed);
    let pid_spread = (std::process::id() % 16) as u16;
    20000 + (pid_spread * 64 + slot % 64) * 40
}

/// A running server process, killed on drop.
pub struct ServerProcess {
    child: Child,
    /// The RTSP address it listens on.
    pub addr: SocketAddr,
    /// The ONVIF HTTP address, unless started with `--no-onvif`.
    pub onvif_addr: Option<SocketAddr>,
    /// Its working directory (media files, config, log).
    pub dir: ScratchDir,
    stderr: std::sync::Arc<std::sync::Mutex<String>>,
    stdout: std::sync::Arc<std::sync::Mutex<String>>,
}

/// How to start a server.
pub struct ServerBuilder {
    dir: ScratchDir,
    config: Option<String>,
    args: Vec<String>,
    netns: Option<String>,
    memlock_kib: Option<u64>,
    /// Environment changes: `Some` sets a variable, `None` removes it.
    env: Vec<(String, Option<String>)>,
}

impl ServerBuilder {
    /// A server that will run in a new scratch directory.
    pub fn new(tag: &str) -> ServerBuilder {
        ServerBuilder {
            dir: ScratchDir::new(tag),
            config: None,
            args: Vec::new(),
            netns: None,
            memlock_kib: None,
            env: Vec::new(),
        }
    }

    /// A server that will run in the directory of an earlier one (see
    /// [`ServerProcess::stop`]), with what that one left there.
    pub fn reuse(dir: ScratchDir) -> ServerBuilder {
        ServerBuilder {
            dir,
            config: None,
            args: Vec::new(),
            netns: None,
            memlock_kib: None,
            env: Vec::new(),
        }
    }

    /// The scratch directory, to put media files in before starting.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// An `rtsp.cfg` body (inside `<config>`); `serverport` and
    /// `udp_base_port` are added unless given.
    pub fn config(mut self, inner_xml: &str) -> ServerBuilder {
        self.config = Some(inner_xml.to_owned());
        self
    }

    /// Runs the server inside a network namespace (see [`NetNs`]) with
    /// WS-Discovery on: multicast stays inside the namespace.
    pub fn in_netns(mut self, ns: &NetNs) -> ServerBuilder {
        self.netns = Some(ns.name.clone());
        self
    }

    /// Starts the server with this locked-memory limit (`ulimit -l`), e.g.
    /// too low for io_uring.
    pub fn memlock_kib(mut self, kib: u64) -> ServerBuilder {
        self.memlock_kib = Some(kib);
        self
    }

    /// Sets an environment variable of the server (e.g. `DISPLAY`).
    pub fn env(mut self, key: &str, value: &str) -> ServerBuilder {
        self.env.push((key.to_owned(), Some(value.to_owned())));
        self
    }

    /// Removes an environment variable the tests inherited.
    pub fn env_remove(mut self, key: &str) -> ServerBuilder {
        self.env.push((key.to_owned(), None));
        self
    }

    /// An extra command-line argument.
    pub fn arg(mut self, a: &str) -> ServerBuilder {
        self.args.push(a.to_owned());
        self
    }

    /// Starts the server and waits until it listens.
    pub fn start(self) -> ServerProcess {
        let mut inner = self.config.unwrap_or_default();
        if !inner.contains("<udp_base_port>") {
            inner.push_str(&format!(
                "<udp_base_port>{}</udp_base_port>",
                unique_udp_base()
            ));
        }
        let cfg =
            format!("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<config>\n{inner}\n</config>\n");
        let cfg_path = self.dir.path().join("rtsp.cfg");
        std::fs::write(&cfg_path, cfg).expect("write rtsp.cfg");
        let onvif = !self.args.iter().any(|a| a == "--no-onvif");
        // Multicast never leaves the machine in tests: discovery runs only
        // in the network-namespace test, which asks for it.
        let mut args = self.args.clone();
        if self.netns.is_none() {
            args.push("--no-discovery".into());
        }
        if !args.iter().any(|a| a == "--seed") {
            args.extend(["--seed".into(), "1".into()]);
        }
        if let Some(runtime) = runtime_under_test() {
            if !args.iter().any(|a| a == "--runtime") {
                args.extend(["--runtime".into(), runtime.clone()]);
                // Two shards at least, so that connections land on several
                // shards and pipelines are shared, whatever the CPU count.
                if runtime == "glommio" && !args.iter().any(|a| a == "--shards") {
                    args.extend(["--shards".into(), "2".into()]);
                }
            }
        }
        let mut program: Vec<std::ffi::OsString> = vec![server_binary().into()];
        if let Some(kib) = self.memlock_kib {
            let script = format!("ulimit -l {kib} && exec \"$0\" \"$@\"");
            program.splice(0..0, ["sh".into(), "-c".into(), script.into()]);
        }
        if let Some(ns) = &self.netns {
            program.splice(
                0..0,
                ["ip".into(), "netns".into(), "exec".into(), ns.into()],
            );
        }
        let mut command = Command::new(&program[0]);
        command.args(&program[1..]);
        for (key, value) in &self.env {
            match value {
                Some(v) => command.env(key, v),
                None => command.env_remove(key),
            };
        }
        let mut child = command
            .current_dir(self.dir.path())
            .args(["--rtsp-port", "0", "--onvif-port", "0"])
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start onvif-rtsp-server");
        let stdout = child.stdout.take().expect("stdout");
        let stderr_pipe = child.stderr.take().expect("stderr");
        let stderr = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let sink = stderr.clone();
        std::thread::spawn(move || {
            let mut s = String::new();
            let mut r = BufReader::new(stderr_pipe);
            let mut line = String::new();
            while r.read_line(&mut line).unwrap_or(0) > 0 {
                if let Ok(mut g) = sink.lock() {
                    g.push_str(&line);
                }
                s.clear();
                line.clear();
            }
        });
        let (tx, rx) = mpsc::channel();
        let stdout_text = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let stdout_sink = stdout_text.clone();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            let mut line = String::new();
            while r.read_line(&mut line).unwrap_or(0) > 0 {
                if let Ok(mut g) = stdout_sink.lock() {
                    g.push_str(&line);
                }
                if let Some(rest) = line.trim().strip_prefix("onvif-rtsp-server listening on ") {
                    let _ = tx.send(rest.to_owned());
                }
                if let Some(rest) = line.trim().strip_prefix("onvif-rtsp-server ONVIF on ") {
                    let _ = tx.send(format!("onvif {rest}"));
                }
                line.clear();
            }
        });
        let mut rtsp_bound: Option<SocketAddr> = None;
        let mut onvif_bound: Option<SocketAddr> = None;
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while rtsp_bound.is_none() || (onvif && onvif_bound.is_none()) {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => match line.strip_prefix("onvif ") {
                    Some(a) => onvif_bound = a.parse().ok(),
                    None => rtsp_bound = line.parse().ok(),
                },
                Err(_) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!(
                        "server did not start: {}",
                        stderr.lock().map(|s| s.clone()).unwrap_or_default()
                    );
                }
            }
        }
        let loopback = |a: SocketAddr| SocketAddr::new("127.0.0.1".parse().expect("ip"), a.port());
        let addr = loopback(rtsp_bound.expect("RTSP address"));
        let onvif_addr = onvif_bound.map(loopback);
        ServerProcess {
            child,
            addr,
            onvif_addr,
            dir: self.dir,
            stderr,
            stdout: stdout_text,
        }
    }
}

impl ServerProcess {
    /// `rtsp://127.0.0.1:PORT/path`.
    pub fn url(&self, path: &str) -> String {
        format!("rtsp://{}/{}", self.addr, path.trim_start_matches('/'))
    }

    /// `rtsp://user:pass@127.0.0.1:PORT/path`.
    pub fn url_with_credentials(&self, user: &str, pass: &str, path: &str) -> String {
        format!(
            "rtsp://{user}:{pass}@{}/{}",
            self.addr,
            path.trim_start_matches('/')
        )
    }

    /// The rest of the first stdout line that starts with `prefix`.
    pub fn stdout_line(&self, prefix: &str) -> Option<String> {
        let text = self.stdout.lock().map(|s| s.clone()).unwrap_or_default();
        text.lines()
            .find_map(|l| l.trim().strip_prefix(prefix).map(str::to_owned))
    }

    /// What the server wrote to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Stops the process and hands over its directory, e.g. to start
    /// another server on what this one wrote.
    pub fn stop(mut self) -> ScratchDir {
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::mem::replace(
            &mut self.dir,
            ScratchDir {
                path: PathBuf::new(),
                keep: true,
            },
        )
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits up to `limit` for the process to exit by itself.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        // A failing test shows what the server said, and whether it was
        // still running: the client's error alone rarely tells why.
        if std::thread::panicking() {
            let running = matches!(self.child.try_wait(), Ok(None));
            let log = self.stderr();
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            eprintln!(
                "--- server {} at the failure; its last {} log lines:",
                if running {
                    "still running"
                } else {
                    "had exited"
                },
                tail.len()
            );
            for line in tail.iter().rev() {
                eprintln!("{line}");
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a command with a time limit; panics with its output on timeout.
pub fn run_with_timeout(cmd: &mut Command, limit: Duration) -> Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let mut out_pipe = child.stdout.take().expect("stdout");
    let mut err_pipe = child.stderr.take().expect("stderr");
    let out_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out_pipe.read_to_end(&mut v);
        v
    });
    let err_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err_pipe.read_to_end(&mut v);
        v
    });
    let start = Instant::now();
    let status = loop {
        if let Ok(Some(status)) = child.try_wait() {
            break status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let status = child.wait().expect("wait");
            let stdout = out_reader.join().unwrap_or_default();
            let stderr = err_reader.join().unwrap_or_default();
            panic!(
                "{cmd:?} timed out after {limit:?} ({status}); stderr:\n{}\nstdout:\n{}",
                String::from_utf8_lossy(&stderr),
                String::from_utf8_lossy(&stdout)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: out_reader.join().unwrap_or_default(),
        stderr: err_reader.join().unwrap_or_default(),
    }
}

/// Creates a media file with ffmpeg's synthetic sources.
/// `video` is e.g. `"-c:v libx264 -g 25"` and `audio` e.g. `"-c:a aac"`;
/// `None` leaves the stream out.
pub fn make_media(
    path: &Path,
    seconds: f32,
    size: (u32, u32),
    fps: u32,
    video: Option<&str>,
    audio: Option<(&str, u32, u32)>,
) {
    let mut cmd = Command::new("ffmpeg");
    cmd.args(["-v", "error", "-y"]);
    if video.is_some() {
        cmd.args([
            "-f",
            "lavfi",
            "-i",
            &format!("testsrc2=size={}x{}:rate={fps}", size.0, size.1),
        ]);
    }
    if let Some((_, rate, channels)) = audio {
        cmd.args([
            "-f",
            "lavfi",
            "-i",
            &format!(
                "sine=frequency=440:sample_rate={rate},aformat=channel_layouts={}",
                if channels == 2 { "stereo" } else { "mono" }
            ),
        ]);
    }
    cmd.args(["-t", &seconds.to_string()]);
    if let Some(v) = video {
        cmd.args(v.split_whitespace());
        cmd.args(["-pix_fmt", "yuv420p"]);
    }
    if let Some((a, _, _)) = audio {
        cmd.args(a.split_whitespace());
    }
    cmd.arg(path);
    let out = run_with_timeout(&mut cmd, Duration::from_secs(120));
    assert!(
        out.status.success(),
        "ffmpeg could not make {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// One stream as ffprobe reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProbedStream {
    /// `video` or `audio`.
    pub kind: String,
    /// ffmpeg's codec name (`h264`, `hevc`, `aac`, `pcm_mulaw`, ...).
    pub codec: String,
    /// Width (video).
    pub width: u32,
    /// Height (video).
    pub height: u32,
    /// Sample rate (audio).
    pub sample_rate: u32,
    /// Channels (audio).
    pub channels: u32,
}

/// Runs ffprobe on an RTSP URL and returns its streams.
pub fn ffprobe(url: &str, transport: &str) -> Vec<ProbedStream> {
    let out = run_with_timeout(
        Command::new("ffprobe").args([
            "-v",
            "error",
            "-rtsp_transport",
            transport,
            "-show_entries",
            "stream=codec_type,codec_name,width,height,sample_rate,channels",
            "-of",
            "compact=p=0:nk=0",
            url,
        ]),
        Duration::from_secs(40),
    );
    assert!(
        out.status.success(),
        "ffprobe {url} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains("codec_type="))
        .map(|line| {
            let mut s = ProbedStream::default();
            for field in line.split('|') {
                let Some((k, v)) = field.split_once('=') else {
                    continue;
                };
                match k {
                    "codec_type" => s.kind = v.to_owned(),
                    "codec_name" => s.codec = v.to_owned(),
                    "width" => s.width = v.parse().unwrap_or(0),
                    "height" => s.height = v.parse().unwrap_or(0),
                    "sample_rate" => s.sample_rate = v.parse().unwrap_or(0),
                    "channels" => s.channels = v.parse().unwrap_or(0),
                    _ => {}
                }
            }
            s
        })
        .collect()
}

/// What ffmpeg decoded from a URL.
#[derive(Clone, Debug, Default)]
pub struct Decoded {
    /// Decoded video frames.
    pub video_frames: usize,
    /// Decoded audio frames.
    pub audio_frames: usize,
    /// Presentation times (seconds) of decoded video frames, in order.
    pub video_pts: Vec<f64>,
    /// ffmpeg's error output (empty when the decode was clean).
    pub errors: String,
    /// Whether ffmpeg exited successfully.
    pub success: bool,
}

/// Decodes an RTSP URL with ffmpeg into per-frame checksums (`-f framemd5`),
/// stopping after `max_video_frames` video frames or `max_seconds` of media.
pub fn ffmpeg_decode(
    url: &str,
    transport: &str,
    extra_input_args: &[&str],
    max_video_frames: usize,
    max_seconds: f32,
) -> Decoded {
    let mut cmd = Command::new("ffmpeg");
    cmd.args(["-nostdin", "-v", "error", "-rtsp_transport", transport]);
    cmd.args(extra_input_args);
    cmd.args([
        "-i",
        url,
        "-map",
        "0",
        "-frames:v",
        &max_video_frames.to_string(),
    ]);
    cmd.args(["-t", &max_seconds.to_string(), "-f", "framemd5", "-"]);
    let out = run_with_timeout(&mut cmd, Duration::from_secs_f32(max_seconds + 40.0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    // framemd5 headers map stream index -> type: "#media_type 0: video".
    let mut kinds = std::collections::HashMap::new();
    for line in stdout.lines().filter(|l| l.starts_with("#media_type")) {
        if let Some((idx, kind)) = line.trim_start_matches("#media_type").split_once(':') {
            kinds.insert(idx.trim().to_owned(), kind.trim().to_owned());
        }
    }
    let mut time_base = std::collections::HashMap::new();
    for line in stdout.lines().filter(|l| l.starts_with("#tb")) {
        if let Some((idx, tb)) = line.trim_start_matches("#tb").split_once(':') {
            if let Some((n, d)) = tb.trim().split_once('/') {
                let n: f64 = n.trim().parse().unwrap_or(1.0);
                let d: f64 = d.trim().parse().unwrap_or(1.0);
                time_base.insert(idx.trim().to_owned(), n / d);
            }
        }
    }
    let mut d = Decoded {
        errors: String::from_utf8_lossy(&out.stderr).into_owned(),
        success: out.status.success(),
        ..Decoded::default()
    };
    for line in stdout.lines().filter(|l| !l.starts_with('#')) {
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let Some(idx) = fields.first() else { continue };
        match kinds.get(*idx).map(String::as_str) {
            Some("video") => {
                d.video_frames += 1;
                if let (Some(pts), Some(tb)) = (fields.get(2), time_base.get(*idx)) {
                    if let Ok(p) = pts.parse::<f64>() {
                        d.video_pts.push(p * tb);
                    }
                }
            }
            Some("audio") => d.audio_frames += 1,
            _ => {}
        }
    }
    d
}

/// A network namespace with only `lo` (up, multicast on, 224.0.0.0/4
/// routed to it), so multicast tests never send a packet off the machine.
/// Deleted on drop.
pub struct NetNs {
    /// Its name, for `ip netns exec`.
    pub name: String,
}

impl NetNs {
    /// Creates the namespace; `Err` with the reason when this machine does
    /// not allow it (no root, no iproute2).
    pub fn create(tag: &str) -> Result<NetNs, String> {
        let name = format!("ors-{tag}-{}", std::process::id());
        let ip = |args: &[&str]| -> Result<(), String> {
            let out = Command::new("ip")
                .args(args)
                .output()
                .map_err(|e| format!("cannot run ip: {e}"))?;
            if out.status.success() {
                Ok(())
            } else {
                Err(format!(
                    "ip {}: {}",
                    args.join(" "),
                    String::from_utf8_lossy(&out.stderr).trim()
                ))
            }
        };
        ip(&["netns", "add", &name])?;
        let ns = NetNs { name };
        ip(&["netns", "exec", &ns.name, "ip", "link", "set", "lo", "up"])?;
        ip(&[
            "netns",
            "exec",
            &ns.name,
            "ip",
            "link",
            "set",
            "lo",
            "multicast",
            "on",
        ])?;
        ip(&[
            "netns",
            "exec",
            &ns.name,
            "ip",
            "route",
            "add",
            "224.0.0.0/4",
            "dev",
            "lo",
        ])?;
        Ok(ns)
    }

    /// A command that runs `program` inside the namespace.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.name]).arg(program);
        c
    }
}

impl Drop for NetNs {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .output();
    }
}
