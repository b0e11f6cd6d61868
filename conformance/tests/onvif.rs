//! Black-box tests of the ONVIF device with real clients: Home Assistant's
//! onvif-zeep-async, python's TLS stack, and a schema-validated walk.
//! The Python clients come from the virtualenv `make test` prepares
//! (`$ONVIF_PYTHON`, default `<repo>/.venv/bin/python`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use onvif_rtsp_conformance::blackbox::{ServerBuilder, ServerProcess, ffprobe, run_with_timeout};

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

/// Runs a script of `conformance/python` with the ONVIF clients' Python.
fn run_python(args: &[&str], limit: Duration) -> (bool, String, String) {
    let out = run_with_timeout(Command::new(python()).args(args), limit);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// One ONVIF call through Home Assistant's client: (ok, JSON answer).
fn call(
    server: &ServerProcess,
    user: &str,
    pass: &str,
    service: &str,
    op: &str,
    params: Option<&str>,
) -> (bool, String) {
    let addr = server.onvif_addr.expect("ONVIF port");
    let port = addr.port().to_string();
    let script = script("onvif_call.py");
    let mut args = vec![
        script.to_str().unwrap(),
        "127.0.0.1",
        &port,
        user,
        pass,
        service,
        op,
    ];
    if let Some(p) = params {
        args.push(p);
    }
    let (ok, stdout, stderr) = run_python(&args, Duration::from_secs(60));
    assert!(!stdout.is_empty(), "{op}: no answer: {stderr}");
    (ok, stdout)
}

fn secured(tag: &str) -> ServerBuilder {
    let builder = ServerBuilder::new(tag);
    std::fs::write(
        builder.dir().join("onvif.cfg"),
        "<?xml version=\"1.0\"?><config><need_auth>1</need_auth>\
         <user><username>admin</username><password>Pa55word</password><userlevel>Administrator</userlevel></user>\
         <user><username>viewer</username><password>look</password><userlevel>User</userlevel></user>\
         <profile><video_source><width>1280</width><height>720</height></video_source>\
         <video_encoder><width>1280</width><height>720</height><framerate>25</framerate><bitrate_limit>2048</bitrate_limit><encoding>H264</encoding></video_encoder>\
         <audio_encoder><sample_rate>8</sample_rate><bitrate>64</bitrate><encoding>G711</encoding></audio_encoder></profile>\
         <profile><video_source><width>1280</width><height>720</height></video_source>\
         <video_encoder><width>640</width><height>360</height><framerate>25</framerate><bitrate_limit>512</bitrate_limit><encoding>H264</encoding></video_encoder></profile>\
         <scope>onvif://www.onvif.org/location/country/nowhere</scope>\
         <event><renew_interval>60</renew_interval><simulate_enable>1</simulate_enable></event></config>",
    )
    .unwrap();
    builder
}

#[test]
fn home_assistant_sets_up_the_camera_and_plays_its_streams() {
    let server = secured("ha").start();
    let port = server.onvif_addr.expect("ONVIF port").port().to_string();
    let script = script("ha_setup.py");
    let snapshot = server.dir.path().join("snapshot-from-ha.jpg");
    let (ok, stdout, stderr) = run_python(
        &[
            script.to_str().unwrap(),
            "127.0.0.1",
            &port,
            "admin",
            "Pa55word",
            "40",
            snapshot.to_str().unwrap(),
        ],
        Duration::from_secs(120),
    );
    assert!(ok, "Home Assistant's setup failed:\n{stderr}\n{stdout}");
    let v = &stdout;
    for needle in [
        "\"utc_year\": 20",
        "\"snapshot_capability\": true",
        "\"snapshot_is_jpeg\": true",
        "\"token\": \"ProfileToken_1\"",
        "\"token\": \"ProfileToken_2\"",
        "tns1:VideoSource/MotionAlarm",
        "\"renewed\": true",
        "\"unsubscribed\": true",
        "\"subscription_lost\": false",
    ] {
        assert!(v.contains(needle), "{needle} missing in {v}");
    }
    // The snapshot Home Assistant fetched (HTTP Digest) decodes as a picture
    // of the profile's size.
    let probe = run_with_timeout(
        Command::new("ffprobe")
            .args([
                "-v",
                "error",
                "-show_entries",
                "stream=codec_name,width,height",
                "-of",
                "csv=p=0",
            ])
            .arg(&snapshot),
        Duration::from_secs(30),
    );
    assert_eq!(
        String::from_utf8_lossy(&probe.stdout).trim(),
        "mjpeg,1280,720"
    );
    // The MAC Home Assistant uses as the camera's id is a real one.
    let macs = v
        .split("\"macs\": [")
        .nth(1)
        .and_then(|r| r.split(']').next())
        .unwrap_or_default();
    assert!(
        macs.contains(':') && !macs.contains("00:00:00:00:00:00"),
        "{macs}"
    );
    // Each profile's stream URI plays with the profile's encoder settings.
    let uris: Vec<&str> = v
        .split("\"stream_uri\": \"")
        .skip(1)
        .filter_map(|r| r.split('"').next())
        .collect();
    assert_eq!(uris.len(), 2, "{v}");
    let rtsp_port = server.addr.port().to_string();
    assert!(
        uris.iter()
            .all(|u| u.starts_with("rtsp://127.0.0.1:") && u.contains(&rtsp_port)),
        "{uris:?}"
    );
    let credentials = |u: &str| u.replacen("rtsp://", "rtsp://admin:Pa55word@", 1);
    let main = ffprobe(&credentials(uris[0]), "tcp");
    let video = main.iter().find(|s| s.kind == "video").expect("video");
    assert_eq!(
        (video.codec.as_str(), video.width, video.height),
        ("h264", 1280, 720)
    );
    assert!(main.iter().any(|s| s.codec == "pcm_mulaw"), "{main:?}");
    let sub = ffprobe(&credentials(uris[1]), "tcp");
    let video = sub.iter().find(|s| s.kind == "video").expect("video");
    assert_eq!((video.width, video.height), (640, 360));
}

#[test]
fn wrong_passwords_are_refused_by_ws_security_and_by_http_digest() {
    let server = secured("auth").start();
    let (ok, answer) = call(
        &server,
        "admin",
        "nope",
        "devicemgmt",
        "GetDeviceInformation",
        None,
    );
    assert!(!ok && answer.contains("fault"), "{answer}");
    let (ok, answer) = call(
        &server,
        "admin",
        "Pa55word",
        "devicemgmt",
        "GetDeviceInformation",
        None,
    );
    assert!(ok && answer.contains("Manufacturer"), "{answer}");
    // A User may read but not change the system.
    let (ok, answer) = call(&server, "viewer", "look", "devicemgmt", "GetScopes", None);
    assert!(ok, "{answer}");
    let (ok, answer) = call(
        &server,
        "viewer",
        "look",
        "devicemgmt",
        "SetHostname",
        Some("{\"Name\": \"x\"}"),
    );
    assert!(!ok, "{answer}");
    // HTTP Digest (RFC 7616, MD5), as ONVIF Device Manager and curl use it.
    let addr = server.onvif_addr.unwrap();
    let digest = format!(
        r#"
import urllib.request, sys
url = "http://{addr}/onvif/device_service"
body = b'{body}'
def attempt(password):
    mgr = urllib.request.HTTPPasswordMgrWithDefaultRealm()
    mgr.add_password(None, url, "admin", password)
    opener = urllib.request.build_opener(urllib.request.HTTPDigestAuthHandler(mgr))
    req = urllib.request.Request(url, data=body, headers={{"Content-Type": "application/soap+xml"}})
    try:
        return opener.open(req, timeout=20).status
    except urllib.error.HTTPError as e:
        return e.code
print(attempt("Pa55word"), attempt("wrong"))
"#,
        body =
            envelope(r#"<GetDeviceInformation xmlns="http://www.onvif.org/ver10/device/wsdl"/>"#)
    );
    let out = run_with_timeout(
        Command::new("python3").args(["-c", &digest]),
        Duration::from_secs(60),
    );
    let line = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert_eq!(line, "200 401", "{}", String::from_utf8_lossy(&out.stderr));
    // PRE_AUTH: the time is readable with a wrong password (clock-skewed clients).
    let (ok, answer) = call(
        &server,
        "admin",
        "nope",
        "devicemgmt",
        "GetSystemDateAndTime",
        None,
    );
    assert!(ok && answer.contains("UTCDateTime"), "{answer}");
}

#[test]
fn changes_made_through_onvif_survive_a_restart() {
    let builder = secured("persist");
    let dir = builder.dir().to_owned();
    let server = builder.start();
    let (ok, first_epr) = call(
        &server,
        "admin",
        "Pa55word",
        "devicemgmt",
        "GetEndpointReference",
        None,
    );
    assert!(ok && first_epr.contains("urn:uuid:"), "{first_epr}");
    let (ok, answer) = call(
        &server,
        "admin",
        "Pa55word",
        "devicemgmt",
        "AddScopes",
        Some("{\"ScopeItem\": [\"onvif://www.onvif.org/location/room/lab\"]}"),
    );
    assert!(ok, "{answer}");
    let (ok, answer) = call(
        &server,
        "admin",
        "Pa55word",
        "devicemgmt",
        "SetHostname",
        Some("{\"Name\": \"lab-camera\"}"),
    );
    assert!(ok, "{answer}");
    // The change is on disk as soon as it is acknowledged.
    let saved = std::fs::read_to_string(dir.join("onvifrun.cfg")).expect("onvifrun.cfg written");
    assert!(saved.contains("location/room/lab") && saved.contains("lab-camera"));
    // The same directory, a new process: onvifrun.cfg is loaded.
    // Another seed: what must not change comes from onvifrun.cfg, not chance.
    let again = ServerBuilder::reuse(server.stop())
        .arg("--seed")
        .arg("2")
        .start();
    let (ok, answer) = call(&again, "admin", "Pa55word", "devicemgmt", "GetScopes", None);
    assert!(ok && answer.contains("location/room/lab"), "{answer}");
    let (ok, answer) = call(
        &again,
        "admin",
        "Pa55word",
        "devicemgmt",
        "GetHostname",
        None,
    );
    assert!(ok && answer.contains("lab-camera"), "{answer}");
    // The WS-Discovery endpoint reference is the device's identity: stable.
    let (ok, epr) = call(
        &again,
        "admin",
        "Pa55word",
        "devicemgmt",
        "GetEndpointReference",
        None,
    );
    assert!(ok, "{epr}");
    assert_eq!(epr, first_epr);
}

#[test]
fn set_video_encoder_configuration_changes_the_stream_a_client_decodes() {
    let server = secured("encoder").start();
    let port = server.onvif_addr.expect("ONVIF port").port().to_string();
    let script = script("set_encoder_resolution.py");
    let (ok, stdout, stderr) = run_python(
        &[
            script.to_str().unwrap(),
            "127.0.0.1",
            &port,
            "admin",
            "Pa55word",
            "ProfileToken_1",
            "320",
            "240",
        ],
        Duration::from_secs(60),
    );
    assert!(ok, "{stderr}");
    let uri = stdout.trim();
    let streams = ffprobe(&uri.replacen("rtsp://", "rtsp://admin:Pa55word@", 1), "tcp");
    let video = streams.iter().find(|s| s.kind == "video").expect("video");
    assert_eq!(
        (video.codec.as_str(), video.width, video.height),
        ("h264", 320, 240),
        "{uri}"
    );
}

#[test]
fn http_max_users_bounds_the_onvif_connections() {
    use std::io::Read;
    let builder = ServerBuilder::new("maxusers");
    std::fs::write(
        builder.dir().join("onvif.cfg"),
        "<?xml version=\"1.0\"?><config><http_max_users>2</http_max_users></config>",
    )
    .unwrap();
    let server = builder.start();
    let addr = server.onvif_addr.expect("ONVIF port");
    let held: Vec<_> = (0..2)
        .map(|_| std::net::TcpStream::connect(addr).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let mut third = std::net::TcpStream::connect(addr).unwrap();
    third
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut answer = String::new();
    let _ = third.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    // A slot frees up when a client leaves.
    drop(held);
    std::thread::sleep(Duration::from_millis(200));
    let (status, body) = post(
        addr,
        "/onvif/device_service",
        &envelope(r#"<GetSystemDateAndTime xmlns="http://www.onvif.org/ver10/device/wsdl"/>"#),
    );
    assert_eq!(status, 200, "{body}");
}

#[test]
fn the_npm_onvif_client_connects_and_plays_the_stream_it_is_given() {
    let node_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("node");
    assert!(
        node_dir.join("node_modules/onvif").exists(),
        "the npm onvif client is missing: run `make test` (it runs scripts/node-clients.sh)"
    );
    let server = secured("npm").start();
    let port = server.onvif_addr.expect("ONVIF port").port().to_string();
    let out = run_with_timeout(
        Command::new("node").current_dir(&node_dir).args([
            "cam.js",
            "127.0.0.1",
            &port,
            "admin",
            "Pa55word",
        ]),
        Duration::from_secs(60),
    );
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // connect() needs at least two profiles (it breaks on a single one).
    assert!(
        stdout.contains("\"profiles\":[\"ProfileToken_1\",\"ProfileToken_2\"]"),
        "{stdout}"
    );
    assert!(
        stdout.contains("/onvif/snapshot/ProfileToken_1.jpg"),
        "{stdout}"
    );
    let uri = stdout
        .split("\"uri\":\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("stream URI");
    let streams = ffprobe(&uri.replacen("rtsp://", "rtsp://admin:Pa55word@", 1), "tcp");
    assert!(
        streams.iter().any(|s| s.codec == "h264" && s.width == 1280),
        "{streams:?}"
    );
}

#[test]
fn the_device_identity_is_stable_across_restarts_without_changes() {
    let server = secured("identity").start();
    let (ok, first) = call(
        &server,
        "admin",
        "Pa55word",
        "devicemgmt",
        "GetEndpointReference",
        None,
    );
    assert!(ok && first.contains("urn:uuid:"), "{first}");
    let again = ServerBuilder::reuse(server.stop())
        .arg("--seed")
        .arg("2")
        .start();
    let (ok, second) = call(
        &again,
        "admin",
        "Pa55word",
        "devicemgmt",
        "GetEndpointReference",
        None,
    );
    assert!(ok, "{second}");
    assert_eq!(first, second, "the WS-Discovery endpoint reference changed");
}

#[test]
fn a_subscriber_gets_simulated_events_as_notify_posts() {
    use std::io::{Read, Write};
    let builder = ServerBuilder::new("notify");
    std::fs::write(
        builder.dir().join("onvif.cfg"),
        "<?xml version=\"1.0\"?><config><need_auth>0</need_auth>\
         <event><renew_interval>60</renew_interval><simulate_enable>1</simulate_enable></event></config>",
    )
    .unwrap();
    let server = builder.start();
    let addr = server.onvif_addr.expect("ONVIF port");
    // The event consumer: a plain HTTP endpoint on loopback.
    let consumer = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let consumer_addr = consumer.local_addr().unwrap();
    let (status, body) = post(
        addr,
        "/onvif/event_service",
        &envelope(&format!(
            "<wsnt:Subscribe xmlns:wsnt=\"http://docs.oasis-open.org/wsn/b-2\" \
             xmlns:wsa=\"http://www.w3.org/2005/08/addressing\">\
             <wsnt:ConsumerReference><wsa:Address>http://{consumer_addr}/notify</wsa:Address></wsnt:ConsumerReference>\
             <wsnt:InitialTerminationTime>PT60S</wsnt:InitialTerminationTime></wsnt:Subscribe>"
        )),
    );
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("SubscribeResponse"), "{body}");
    // The server pushes the initial states at once, then what happens: a
    // simulated motion change (every 10 s) at least.
    consumer.set_nonblocking(true).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let mut notifies = Vec::new();
    while std::time::Instant::now() < deadline
        && !notifies.iter().any(|n: &String| motion_changed(n))
    {
        let Ok((mut s, _)) = consumer.accept() else {
            std::thread::sleep(Duration::from_millis(50));
            continue;
        };
        s.set_nonblocking(false).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut request = Vec::new();
        let mut buf = [0u8; 8192];
        // Head, then as much body as Content-Length says.
        while let Ok(n) = s.read(&mut buf) {
            if n == 0 {
                break;
            }
            request.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&request);
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let length = head
                    .lines()
                    .find_map(|l| {
                        let (name, value) = l.split_once(':')?;
                        name.eq_ignore_ascii_case("content-length")
                            .then(|| value.trim().parse::<usize>().ok())?
                    })
                    .unwrap_or(0);
                if body.len() >= length {
                    break;
                }
            }
        }
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        notifies.push(String::from_utf8_lossy(&request).into_owned());
    }
    assert!(!notifies.is_empty(), "no Notify within 30 s");
    for n in &notifies {
        assert!(n.starts_with("POST /notify HTTP/1.1\r\n"), "{n}");
        assert!(
            n.contains("Notify") && n.contains("NotificationMessage"),
            "{n}"
        );
    }
    assert!(
        notifies[0].contains("PropertyOperation=\"Initialized\""),
        "{}",
        notifies[0]
    );
    assert!(
        notifies.iter().any(|n| motion_changed(n)),
        "no motion change among {} Notify posts: {notifies:?}",
        notifies.len()
    );
}

/// Whether a Notify carries a change of a motion topic.
fn motion_changed(notify: &str) -> bool {
    notify.split("<wsnt:NotificationMessage>").any(|m| {
        m.contains("PropertyOperation=\"Changed\"")
            && (m.contains("VideoSource/MotionAlarm") || m.contains("CellMotionDetector/Motion"))
    })
}
