//! Black-box protocol tests with a raw socket: status codes, PAUSE and
//! resume, pipelining, hostile input.

use std::time::Duration;

use onvif_rtsp_conformance::blackbox::ServerBuilder;
use onvif_rtsp_conformance::raw::{RawClient, session_of};

#[test]
fn pause_stops_packets_and_play_resumes() {
    let server = ServerBuilder::new("pause").start();
    let mut c = RawClient::connect(server.addr);
    let url = server.url("testsrc");
    let d = c.request("DESCRIBE", &url, &[("Accept", "application/sdp")]);
    assert_eq!(d.status.0, 200);
    assert_eq!(
        d.headers.get("Content-Base"),
        Some(format!("{url}/").as_str())
    );
    let sdp = String::from_utf8_lossy(&d.body).into_owned();
    assert!(sdp.contains("a=rtpmap:96 H264/90000"), "{sdp}");
    assert!(sdp.contains("sprop-parameter-sets="), "{sdp}");
    let s = c.request(
        "SETUP",
        &format!("{url}/trackID=0"),
        &[("Transport", "RTP/AVP/TCP;unicast;interleaved=0-1")],
    );
    assert_eq!(s.status.0, 200);
    let session = session_of(&s);
    assert!(!session.contains('$') && !session.contains('-'));
    let p = c.request(
        "PLAY",
        &url,
        &[("Session", &session), ("Range", "npt=0.000-")],
    );
    assert_eq!(p.status.0, 200);
    assert!(
        p.headers
            .get("RTP-Info")
            .is_some_and(|v| v.contains("seq="))
    );
    assert!(
        c.collect_for(Duration::from_secs(2)) > 20,
        "packets while playing"
    );
    let pause = c.request("PAUSE", &url, &[("Session", &session)]);
    assert_eq!(pause.status.0, 200);
    c.collect_for(Duration::from_millis(300));
    assert_eq!(
        c.collect_for(Duration::from_secs(1)),
        0,
        "no packets while paused"
    );
    let p = c.request("PLAY", &url, &[("Session", &session)]);
    assert_eq!(p.status.0, 200);
    assert!(
        c.collect_for(Duration::from_secs(2)) > 20,
        "packets after resume"
    );
    let t = c.request("TEARDOWN", &url, &[("Session", &session)]);
    assert_eq!(t.status.0, 200);
}

#[test]
fn error_statuses() {
    let server = ServerBuilder::new("errors").start();
    let mut c = RawClient::connect(server.addr);
    let url = server.url("testsrc");
    let r = c.request("PLAY", &url, &[("Session", "DOESNOTEXIST")]);
    assert_eq!(r.status.0, 454);
    let r = c.request(
        "DESCRIBE",
        &url,
        &[("Require", "www.onvif.org/ver20/backchannel")],
    );
    assert_eq!(r.status.0, 551);
    assert_eq!(
        r.headers.get("Unsupported"),
        Some("www.onvif.org/ver20/backchannel")
    );
    let r = c.request(
        "SETUP",
        &format!("{url}/trackID=0"),
        &[("Transport", "RTP/AVP;multicast")],
    );
    assert_eq!(r.status.0, 461);
    let r = c.request(
        "SETUP",
        &format!("{url}/trackID=9"),
        &[("Transport", "RTP/AVP/TCP;unicast")],
    );
    assert_eq!(r.status.0, 404);
    let r = c.request("FLY", &url, &[]);
    assert_eq!(r.status.0, 501);
    let r = c.request("OPTIONS", "*", &[]);
    assert_eq!(r.status.0, 200);
    assert!(
        r.headers
            .get("Public")
            .is_some_and(|p| p.contains("GET_PARAMETER"))
    );
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    let server = ServerBuilder::new("pipeline").start();
    let mut c = RawClient::connect(server.addr);
    let url = server.url("testsrc");
    let text = format!(
        "OPTIONS {url} RTSP/1.0\r\nCSeq: 1\r\n\r\nDESCRIBE {url} RTSP/1.0\r\nCSeq: 2\r\n\r\nOPTIONS {url} RTSP/1.0\r\nCSeq: 3\r\n\r\n"
    );
    c.send_raw(text.as_bytes());
    for expected in ["1", "2", "3"] {
        let r = c.read_response(Duration::from_secs(20)).expect("response");
        assert_eq!(r.headers.get("CSeq"), Some(expected));
        assert_eq!(r.status.0, 200);
    }
}

#[test]
fn hostile_input_gets_an_error_and_the_server_survives() {
    let mut server = ServerBuilder::new("hostile").start();
    let mut c = RawClient::connect(server.addr);
    let long = format!(
        "DESCRIBE rtsp://x/{} RTSP/1.0\r\nCSeq: 1\r\n\r\n",
        "a".repeat(9_000)
    );
    c.send_raw(long.as_bytes());
    let r = c
        .read_response(Duration::from_secs(5))
        .expect("an error response");
    assert_eq!(r.status.0, 400);
    assert!(c.closed_within(Duration::from_secs(5)));
    let mut c = RawClient::connect(server.addr);
    c.send_raw(b"SET_PARAMETER * RTSP/1.0\r\nCSeq: 1\r\nContent-Length: 100000000\r\n\r\n");
    let r = c
        .read_response(Duration::from_secs(5))
        .expect("an error response");
    assert_eq!(r.status.0, 413);
    let mut c = RawClient::connect(server.addr);
    c.send_raw(&[0xff; 4096]);
    let _ = c.read_response(Duration::from_secs(5));
    assert!(server.is_running());
    let mut c = RawClient::connect(server.addr);
    assert_eq!(c.request("OPTIONS", "*", &[]).status.0, 200);
}
