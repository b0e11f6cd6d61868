//! The binary's handling of bad configuration: exit code 2 and a message
//! naming the file, the element and the value.

use std::process::Command;
use std::time::Duration;

use onvif_rtsp_conformance::blackbox::{ScratchDir, run_with_timeout, server_binary};

#[test]
fn invalid_value_exits_2_naming_element_and_value() {
    let dir = ScratchDir::new("badcfg");
    std::fs::write(
        dir.path().join("rtsp.cfg"),
        "<?xml version=\"1.0\"?>\n<config>\n<serverport>abc</serverport>\n</config>\n",
    )
    .unwrap();
    let out = run_with_timeout(
        Command::new(server_binary()).current_dir(dir.path()),
        Duration::from_secs(20),
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("rtsp.cfg") && err.contains("serverport") && err.contains("abc"),
        "{err}"
    );
}

#[test]
fn missing_config_file_named_on_the_command_line_exits_2() {
    let dir = ScratchDir::new("nocfg");
    let out = run_with_timeout(
        Command::new(server_binary())
            .current_dir(dir.path())
            .args(["--rtsp-config", "nope.cfg"]),
        Duration::from_secs(20),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope.cfg"));
}

#[test]
fn features_not_yet_served_are_reported_once_at_start_up() {
    let server = onvif_rtsp_conformance::blackbox::ServerBuilder::new("features")
        .config("<multicast>1</multicast><rtsp_over_http>1</rtsp_over_http><ipv6_enable>1</ipv6_enable>")
        .start();
    std::thread::sleep(Duration::from_millis(300));
    let err = server.stderr();
    for feature in ["multicast", "rtsp_over_http"] {
        assert_eq!(
            err.matches(&format!(
                "`{feature}`, which this build does not support yet"
            ))
            .count(),
            1,
            "{err}"
        );
    }
    assert!(
        err.contains("ipv6_enable") && err.contains("unknown element"),
        "{err}"
    );
}
