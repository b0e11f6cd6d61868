//! Black-box tests of runtime choice: glommio shards sharing one port and
//! one pipeline, the fall back to smol where io_uring cannot start, the
//! `<runtime>` element, and a clean stop on SIGTERM (whichever runtime
//! `ONVIF_RTSP_RUNTIME` picks).

use std::process::Command;
use std::time::Duration;

use onvif_rtsp_conformance::blackbox::{ServerBuilder, ffprobe, runtime_under_test};

/// How many pipelines the server opened, from its log on stderr.
fn pipelines_opened(stderr: &str) -> usize {
    stderr.matches("opening source").count()
}

#[test]
fn glommio_shards_share_the_port_and_one_pipeline() {
    let server = ServerBuilder::new("shards")
        .arg("--runtime")
        .arg("glommio")
        .arg("--shards")
        .arg("2")
        .start();
    let runtime = server
        .stdout_line("onvif-rtsp-server runtime ")
        .unwrap_or_default();
    if runtime == "smol" {
        // This machine cannot run io_uring (the fallback test covers it).
        eprintln!("glommio unavailable here; skipped");
        return;
    }
    assert_eq!(runtime, "glommio (2 shards)");
    // Eight readers at once, over TCP and UDP: the kernel spreads their
    // connections over both shards, and every one is served.
    let url = server.url("testsrc");
    let readers: Vec<_> = (0..8)
        .map(|i| {
            let url = url.clone();
            let transport = if i % 2 == 0 { "tcp" } else { "udp" };
            std::thread::spawn(move || ffprobe(&url, transport))
        })
        .collect();
    for r in readers {
        let streams = r.join().expect("ffprobe thread");
        assert_eq!(streams.len(), 2, "{streams:?}");
    }
    let log = server.stderr();
    assert_eq!(
        pipelines_opened(&log),
        1,
        "one test pattern for all shards:\n{log}"
    );
}

#[test]
fn glommio_falls_back_to_smol_in_one_line_when_io_uring_cannot_start() {
    // glommio needs 512 KiB of locked memory; 64 KiB is what many
    // containers give.
    let server = ServerBuilder::new("fallback")
        .memlock_kib(64)
        .arg("--runtime")
        .arg("glommio")
        .start();
    assert_eq!(
        server.stdout_line("onvif-rtsp-server runtime ").as_deref(),
        Some("smol")
    );
    let streams = ffprobe(&server.url("testsrc"), "tcp");
    assert_eq!(streams.len(), 2, "{streams:?}");
    let stderr = server.stderr();
    let said: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("io_uring") || l.contains("glommio"))
        .collect();
    assert_eq!(said.len(), 1, "{stderr}");
    assert!(
        said[0].starts_with("onvif-rtsp-server: io_uring is unavailable (")
            && said[0].ends_with("); using the smol runtime"),
        "{}",
        said[0]
    );
}

#[test]
fn the_runtime_element_of_rtsp_cfg_picks_the_runtime() {
    if runtime_under_test().is_some() {
        // --runtime from the environment overrides the file.
        return;
    }
    let server = ServerBuilder::new("cfgruntime")
        .config("<runtime>glommio</runtime>")
        .arg("--shards")
        .arg("2")
        .start();
    let runtime = server
        .stdout_line("onvif-rtsp-server runtime ")
        .unwrap_or_default();
    assert!(
        runtime == "glommio (2 shards)"
            || runtime == "smol" && server.stderr().contains("io_uring"),
        "{runtime}"
    );
}

#[test]
fn sigterm_stops_the_server_cleanly() {
    let mut server = ServerBuilder::new("sigterm").start();
    assert_eq!(ffprobe(&server.url("testsrc"), "tcp").len(), 2);
    let killed = Command::new("kill")
        .args(["-TERM", &server.pid().to_string()])
        .status()
        .expect("run kill");
    assert!(killed.success());
    let status = server
        .wait_exit(Duration::from_secs(10))
        .expect("the server stops within 10 s of SIGTERM");
    assert!(status.success(), "{status:?}: {}", server.stderr());
}
