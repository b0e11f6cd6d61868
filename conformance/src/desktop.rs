//! A private desktop for the capture tests: an X server without a screen
//! (Xvfb) with real windows on it, and a private PulseAudio daemon with a
//! tone generator as its microphone. Everything is stopped on drop, and
//! nothing touches the desktop of the person running the tests.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::blackbox::ScratchDir;

/// Asks `child` to stop (SIGTERM, so Xvfb and PulseAudio remove their
/// sockets and lock files), then kills it if it lingers.
fn terminate(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .stderr(Stdio::null())
        .status();
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// An Xvfb server on a display number it picked itself (`-displayfd`, so
/// parallel tests and a real desktop on `:0` never collide).
pub struct Xvfb {
    child: Child,
    /// `:N`, for `DISPLAY`.
    pub display: String,
}

impl Xvfb {
    /// Starts a 24-bit `width`x`height` screen and waits until it accepts
    /// clients. Panics with a hint when Xvfb is not installed.
    pub fn start(width: u32, height: u32) -> Xvfb {
        let mut child = Command::new("Xvfb")
            .args(["-displayfd", "1", "-nolisten", "tcp", "-screen", "0"])
            .arg(format!("{width}x{height}x24"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run Xvfb ({e}): install xvfb (`make deps`)"));
        let stdout = child.stdout.take().expect("Xvfb stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let number = match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(line) if !line.trim().is_empty() => line.trim().to_owned(),
            _ => {
                terminate(&mut child);
                panic!("Xvfb did not report its display number");
            }
        };
        let xvfb = Xvfb {
            child,
            display: format!(":{number}"),
        };
        // Clients may connect once the display answers; wait for that
        // rather than trust the moment the number was written.
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let answered = Command::new("xdpyinfo")
                .args(["-display", &xvfb.display])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if answered {
                return xvfb;
            }
            assert!(
                Instant::now() < deadline,
                "Xvfb {} never answered (xdpyinfo, from x11-utils)",
                xvfb.display
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Opens an `xmessage` window titled `title` at `geometry`
    /// (`WxH+X+Y`) and waits until the X server shows it.
    pub fn window(&self, title: &str, geometry: &str) -> XWindow {
        let child = Command::new("xmessage")
            .args(["-display", &self.display, "-title", title])
            .args(["-geometry", geometry])
            .arg("capture test window")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run xmessage ({e}): install x11-utils"));
        let mut window = XWindow {
            child,
            display: self.display.clone(),
            title: title.to_owned(),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while window.size().is_none() {
            let exited = matches!(window.child.try_wait(), Ok(Some(_)));
            if exited || Instant::now() > deadline {
                let mut stderr = String::new();
                if let Some(mut pipe) = window.child.stderr.take() {
                    if exited {
                        let _ = std::io::Read::read_to_string(&mut pipe, &mut stderr);
                    }
                }
                panic!(
                    "window {title:?} never appeared on {} (xmessage {}): {stderr}",
                    self.display,
                    if exited { "exited" } else { "still running" }
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        window
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        terminate(&mut self.child);
    }
}

/// A window on an [`Xvfb`] display, closed on drop.
pub struct XWindow {
    child: Child,
    display: String,
    /// Its title (`WM_NAME`).
    pub title: String,
}

impl XWindow {
    /// Width and height as the X server reports them (`xwininfo`), once the
    /// window is mapped.
    pub fn size(&self) -> Option<(u32, u32)> {
        let out = Command::new("xwininfo")
            .args(["-display", &self.display, "-name", &self.title])
            .stderr(Stdio::null())
            .output()
            .ok()?;
        let text = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() || !text.contains("IsViewable") {
            return None;
        }
        let field = |name: &str| {
            text.lines()
                .find_map(|l| l.trim().strip_prefix(name))
                .and_then(|v| v.trim().parse().ok())
        };
        Some((field("Width:")?, field("Height:")?))
    }

    /// Closes the window (ends its program).
    pub fn close(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for XWindow {
    fn drop(&mut self) {
        self.close();
    }
}

/// A PulseAudio daemon of its own (no autospawn, no D-Bus, no system
/// devices) whose only source is the monitor of a null sink that
/// `module-sine` plays a 440 Hz tone into: a microphone hearing a tone.
/// (`module-sine-source` would be simpler, but GStreamer's `pulsesrc` gets
/// only a few buffers from it and then stalls.)
pub struct PulseAudio {
    child: Child,
    /// Its runtime directory (socket, state); removed on drop.
    pub dir: ScratchDir,
    /// `unix:<socket>`, for `PULSE_SERVER`.
    pub server: String,
    /// The source's description, i.e. its device name in GStreamer.
    pub source_description: String,
}

impl PulseAudio {
    /// Whether `pulseaudio` is installed (`make deps` installs it, except
    /// on a desktop whose sound server is PipeWire's).
    pub fn installed() -> bool {
        Command::new("pulseaudio")
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    /// Starts the daemon and waits for its socket. Panics with a hint when
    /// PulseAudio is not installed.
    pub fn start() -> PulseAudio {
        let dir = ScratchDir::new("pulse");
        let socket: PathBuf = dir.path().join("native");
        let sink = "OnvifTestSink";
        let mut command = Command::new("pulseaudio");
        command
            .args([
                "--daemonize=no",
                "--use-pid-file=no",
                "--exit-idle-time=-1",
                "--disallow-exit",
                "--disable-shm",
                "-n",
                "--log-target=stderr",
                "--log-level=error",
            ])
            .arg("-L")
            .arg(format!(
                "module-native-protocol-unix auth-anonymous=1 socket={}",
                socket.display()
            ))
            .arg("-L")
            .arg(format!(
                "module-null-sink sink_name=onvif_test_sink \
                 sink_properties=device.description={sink}"
            ))
            .arg("-L")
            .arg("module-sine sink=onvif_test_sink frequency=440")
            // Keep it away from the desktop's own sound server and settings.
            .env("HOME", dir.path())
            .env("XDG_RUNTIME_DIR", dir.path())
            .env("XDG_CONFIG_HOME", dir.path())
            .env("PULSE_RUNTIME_PATH", dir.path())
            .env("PULSE_STATE_PATH", dir.path())
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run pulseaudio ({e}): install pulseaudio"));
        let deadline = Instant::now() + Duration::from_secs(20);
        while !socket.exists() {
            if Instant::now() > deadline || matches!(child.try_wait(), Ok(Some(_))) {
                terminate(&mut child);
                panic!("pulseaudio did not start");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        PulseAudio {
            child,
            server: format!("unix:{}", socket.display()),
            dir,
            // What PulseAudio calls the monitor source of that sink.
            source_description: format!("Monitor of {sink}"),
        }
    }
}

impl Drop for PulseAudio {
    fn drop(&mut self) {
        terminate(&mut self.child);
    }
}
