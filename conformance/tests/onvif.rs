//! Black-box tests of the ONVIF device with real clients: Home Assistant's
//! onvif-zeep-async, python's TLS stack, and a schema-validated walk.
//! The Python clients come from the virtualenv `make test` prepares
//! (`$ONVIF_PYTHON`, default `<repo>/.venv/bin/python`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use onvif_rtsp_conformance::blackbox::{ServerBuilder, ffprobe, run_with_timeout};

fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("ONVIF_PYTHON") {
        return PathBuf::from(p);
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python");
    assert!(
        venv.exists(),
        "no Python with the ONVIF clients: run `make test` (it creates .venv) or set ONVIF_PYTHON"
    );
    venv
}

fn script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("python")
        .join(name)
}

/// A SOAP 1.2 envelope around `body`.
fn envelope(body: &str) -> String {
    format!(
        "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body>{body}</s:Body></s:Envelope>"
    )
}

/// POSTs `body` over plain HTTP with a tiny blocking client; returns (status, body).
fn post(addr: SocketAddr, path: &str, body: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let req = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/soap+xml; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).unwrap();
    let mut resp = Vec::new();
    let _ = s.read_to_end(&mut resp);
    let text = String::from_utf8_lossy(&resp).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[test]
fn https_serves_soap_and_snapshots_with_the_configured_certificate() {
    let builder = ServerBuilder::new("https");
    let dir = builder.dir().to_owned();
    let out = run_with_timeout(
        Command::new("openssl").current_dir(&dir).args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ssl.key",
            "-out",
            "ssl.ca",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
        ]),
        Duration::from_secs(60),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(
        dir.join("onvif.cfg"),
        "<?xml version=\"1.0\"?><config><https_enable>1</https_enable>\
         <cert_file>ssl.ca</cert_file><key_file>ssl.key</key_file></config>",
    )
    .unwrap();
    let server = builder.arg("--onvif-https-port").arg("0").start();
    let https_port = server
        .stdout_line("onvif-rtsp-server ONVIF HTTPS on ")
        .and_then(|a| a.parse::<SocketAddr>().ok())
        .expect("HTTPS address")
        .port();
    let probe = format!(
        r#"
import ssl, socket, sys
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
def fetch(req):
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", {https_port}), timeout=20))
    s.sendall(req); data = b""
    while True:
        d = s.recv(65536)
        if not d: break
        data += d
    return data
body = b'{soap}'
soap = fetch(b"POST /onvif/device_service HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
snap = fetch(b"GET /onvif/snapshot/ProfileToken_1.jpg HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
head, _, jpeg = snap.partition(b"\r\n\r\n")
print(soap.split(b"\r\n")[0].decode(), b"UTCDateTime" in soap, head.split(b"\r\n")[0].decode(), jpeg[:2] == b"\xff\xd8", len(jpeg))
"#,
        soap =
            envelope(r#"<GetSystemDateAndTime xmlns="http://www.onvif.org/ver10/device/wsdl"/>"#)
    );
    let out = run_with_timeout(
        Command::new("python3").args(["-c", &probe]),
        Duration::from_secs(60),
    );
    let line = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{line}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        line.starts_with("HTTP/1.1 200 OK True HTTP/1.1 200 OK True"),
        "{line}"
    );
}

#[test]
fn soap_faults_are_soap_never_html() {
    let server = ServerBuilder::new("faults").start();
    let addr = server.onvif_addr.expect("ONVIF port");
    let (status, body) = post(
        addr,
        "/onvif/device_service",
        &envelope("<Nonsense xmlns=\"urn:x\"/>"),
    );
    assert_eq!(status, 500);
    assert!(
        body.contains("ter:ActionNotSupported") && body.contains("xmlns:ter="),
        "{body}"
    );
    let (status, body) = post(addr, "/onvif/device_service", "<not-xml");
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("Envelope"), "{body}");
}
