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

/// Plays `testsrc` over TCP (video on channels 0-1, audio on 2-3).
fn play_interleaved(c: &mut RawClient, url: &str) {
    let s = c.request(
        "SETUP",
        &format!("{url}/trackID=0"),
        &[("Transport", "RTP/AVP/TCP;unicast;interleaved=0-1")],
    );
    assert_eq!(s.status.0, 200);
    let session = session_of(&s);
    let s = c.request(
        "SETUP",
        &format!("{url}/trackID=1"),
        &[
            ("Transport", "RTP/AVP/TCP;unicast;interleaved=2-3"),
            ("Session", &session),
        ],
    );
    assert_eq!(s.status.0, 200);
    let p = c.request("PLAY", url, &[("Session", &session)]);
    assert_eq!(p.status.0, 200);
}

/// RTP sequence gaps per RTP channel of `packets`; panics on a packet that
/// is not RTP (the byte stream lost its framing).
fn sequence_gaps(packets: &[(u8, bytes::Bytes)]) -> u32 {
    let mut last: [Option<u16>; 4] = [None; 4];
    let mut gaps = 0;
    for (channel, data) in packets {
        assert!(*channel < 4, "interleaved channel {channel}");
        if channel % 2 == 1 {
            continue;
        }
        assert!(
            data.len() >= 12 && data[0] >> 6 == 2,
            "not RTP: {data:02x?}"
        );
        let seq = u16::from_be_bytes([data[2], data[3]]);
        let slot = &mut last[usize::from(*channel)];
        if let Some(prev) = *slot {
            if seq != prev.wrapping_add(1) {
                gaps += 1;
            }
        }
        *slot = Some(seq);
    }
    gaps
}

#[test]
fn a_reader_slower_than_the_stream_gets_every_packet_whole_and_in_order() {
    let server = ServerBuilder::new("slow-reader").start();
    let url = server.url("testsrc");
    // Its socket takes a few KiB; the rest waits in the server (kernel
    // buffers, then the writer): the bytes must still arrive in order,
    // every interleaved frame whole, none lost (far below the queue
    // limit), and a reader beside it must not notice.
    let mut slow = RawClient::connect_with_receive_buffer(server.addr, 4096);
    play_interleaved(&mut slow, &url);
    let mut fast = RawClient::connect(server.addr);
    play_interleaved(&mut fast, &url);
    let mut slowly = 0;
    let mut fast_packets = 0;
    let started = std::time::Instant::now();
    while started.elapsed() < Duration::from_secs(3) {
        slowly += slow.collect_slowly(Duration::from_millis(250), 512, Duration::from_millis(50));
        fast_packets += fast.collect_for(Duration::from_millis(10));
    }
    fast_packets += fast.collect_for(Duration::from_millis(500));
    // Reading fast again, it catches up with what waited in the server.
    let caught_up = slow.collect_for(Duration::from_secs(3));
    assert!(
        slowly > 0 && caught_up > slowly,
        "{slowly} slowly, then {caught_up}"
    );
    assert_eq!(sequence_gaps(&slow.packets), 0);
    assert!(fast_packets > 50, "{fast_packets}");
    assert_eq!(sequence_gaps(&fast.packets), 0, "the fast reader noticed");
}
