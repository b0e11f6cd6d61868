//! WS-Discovery with a real client (the WSDiscovery package), inside a
//! network namespace that has only `lo`, so multicast never leaves the
//! machine.

use std::path::PathBuf;
use std::time::Duration;

use onvif_rtsp_conformance::blackbox::{NetNs, ServerBuilder, run_with_timeout};

fn python() -> PathBuf {
    std::env::var_os("ONVIF_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python"))
}

fn script(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("python")
        .join(name)
        .display()
        .to_string()
}

fn find(ns: &NetNs) -> String {
    let out = run_with_timeout(
        ns.command(python())
            .args([script("wsdiscovery_find.py").as_str(), "3", "--loopback"]),
        Duration::from_secs(60),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn wsdiscovery_finds_the_device_and_nondiscoverable_hides_it() {
    let ns = match NetNs::create("disc") {
        Ok(ns) => ns,
        Err(why) => {
            // Only on machines without network namespaces (no root): the
            // test cannot run without sending multicast off the machine.
            eprintln!("SKIPPED: no network namespace here: {why}");
            return;
        }
    };
    let server = ServerBuilder::new("discovery").in_netns(&ns).start();
    let onvif_port = server.onvif_addr.expect("ONVIF port").port();
    let found = find(&ns);
    assert!(found.contains("urn:uuid:"), "{found}");
    assert!(
        found.contains("{http://www.onvif.org/ver10/network/wsdl}NetworkVideoTransmitter"),
        "{found}"
    );
    assert!(
        found.contains("onvif://www.onvif.org/Profile/Streaming"),
        "{found}"
    );
    assert!(
        found.contains(&format!(":{onvif_port}/onvif/device_service")),
        "XAddrs point at the device service: {found}"
    );
    // NonDiscoverable: probes go unanswered.
    let out = run_with_timeout(
        ns.command(python()).args([
            script("onvif_call.py").as_str(),
            "127.0.0.1",
            &onvif_port.to_string(),
            "admin",
            "admin",
            "devicemgmt",
            "SetDiscoveryMode",
            "{\"DiscoveryMode\": \"NonDiscoverable\"}",
        ]),
        Duration::from_secs(60),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(find(&ns).trim(), "[]");
    drop(server);
}
