//! The server machine replayed against real clients' request transcripts
//! (see `transcripts/README.md`), with a scripted media source.

mod support;

use std::time::Duration;

use onvif_rtsp_core::rtp::header::RtpHeader;
use onvif_rtsp_core::rtsp::{Decoder, DecoderLimits, Headers, Message, Request};
use support::Harness;

fn load(name: &str) -> Vec<Request> {
    let path = format!("{}/tests/transcripts/{name}", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&path).unwrap();
    let mut d = Decoder::new(DecoderLimits::default());
    d.push(&bytes);
    let mut out = Vec::new();
    while let Some(m) = d.next_message().unwrap() {
        match m {
            Message::Request(r) => out.push(r),
            other => panic!("unexpected {other:?} in {name}"),
        }
    }
    assert!(!out.is_empty());
    out
}

fn with_session(req: &Request, session: Option<&str>) -> Request {
    let mut headers = Headers::new();
    for (n, v) in req.headers.iter() {
        if n.eq_ignore_ascii_case("Session") {
            headers.append(n, session.expect("a session before it is used"));
        } else {
            headers.append(n, v);
        }
    }
    Request {
        headers,
        ..req.clone()
    }
}

/// Replays a transcript and checks what a client of that kind relies on.
fn replay(name: &str) -> Harness {
    let mut h = Harness::new();
    let mut session: Option<String> = None;
    for req in load(name) {
        let req = with_session(&req, session.as_deref());
        let resp = h.request(&req);
        assert_eq!(
            resp.status.0,
            200,
            "{name}: {} {} -> {resp:?}",
            req.method.as_str(),
            req.uri
        );
        assert_eq!(resp.headers.get("CSeq"), req.cseq(), "{name}: CSeq echoed");
        match req.method.as_str() {
            "OPTIONS" => assert!(resp.headers.get("Public").unwrap().contains("DESCRIBE")),
            "DESCRIBE" => {
                let sdp = String::from_utf8(resp.body.to_vec()).unwrap();
                assert_eq!(resp.headers.get("Content-Type"), Some("application/sdp"));
                assert!(resp.headers.get("Content-Base").unwrap().ends_with('/'));
                assert!(
                    sdp.contains("m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000"),
                    "{sdp}"
                );
                assert!(
                    sdp.contains("sprop-parameter-sets=Z0LAHtoCgPZA,aM48gA=="),
                    "{sdp}"
                );
                assert!(
                    sdp.contains("m=audio 0 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000"),
                    "{sdp}"
                );
                assert!(sdp.contains("a=control:trackID=0") && sdp.contains("a=control:trackID=1"));
            }
            "SETUP" => {
                let s = resp.headers.get("Session").unwrap();
                assert!(s.ends_with(";timeout=60"), "{s}");
                let id = s.split(';').next().unwrap().to_owned();
                assert!(id.bytes().all(|b| b.is_ascii_alphanumeric()));
                session = Some(id);
                let t = resp.headers.get("Transport").unwrap();
                assert!(t.contains(";ssrc="), "{t}");
                let asked = req.headers.get("Transport").unwrap();
                if asked.contains("TCP") {
                    assert!(t.starts_with("RTP/AVP/TCP;unicast;interleaved="), "{t}");
                } else {
                    assert!(
                        t.contains("client_port=") && t.contains("server_port="),
                        "{t}"
                    );
                }
            }
            "PLAY" => {
                let info = resp.headers.get("RTP-Info").unwrap();
                assert_eq!(info.matches("seq=").count(), 2, "{info}");
                assert!(
                    info.contains("/trackID=0;") && info.contains("/trackID=1;"),
                    "{info}"
                );
                let packets_before = h.client().interleaved.len() + h.datagrams.len();
                h.advance(Duration::from_millis(1200));
                let got = h.client().interleaved.len() + h.datagrams.len() - packets_before;
                assert!(got > 50, "{name}: {got} packets in 1.2 s of playing");
            }
            "TEARDOWN" => assert_eq!(h.server.session_count(), 0),
            _ => {}
        }
    }
    h
}

/// Checks the media packets a client got: RTP v2 with our payload types,
/// and a sender report before the first RTP packet of each stream.
fn check_tcp_media(h: &Harness) {
    let rtp: Vec<_> = h
        .client()
        .interleaved
        .iter()
        .filter(|(ch, _)| ch % 2 == 0)
        .collect();
    assert!(!rtp.is_empty());
    for (ch, p) in &rtp {
        let (hdr, _) = RtpHeader::parse(p).expect("RTP");
        assert_eq!(hdr.payload_type, if *ch == 0 { 96 } else { 0 });
    }
    for ch in [0u8, 2] {
        let first = h
            .client()
            .interleaved
            .iter()
            .position(|(c, _)| *c == ch)
            .unwrap();
        let first_sr = h
            .client()
            .interleaved
            .iter()
            .position(|(c, _)| *c == ch + 1)
            .unwrap();
        assert!(
            first_sr < first,
            "RTCP SR before the first RTP packet on channel {ch}"
        );
    }
    // Video starts with a keyframe: an SPS (STAP-A with SPS/PPS, or SPS alone).
    let (_, first_video) = h
        .client()
        .interleaved
        .iter()
        .find(|(c, _)| *c == 0)
        .unwrap();
    let (_, range) = RtpHeader::parse(first_video).unwrap();
    let nal_type = first_video[range.start] & 0x1f;
    assert!(
        nal_type == 24 || nal_type == 7,
        "first video NAL type {nal_type}"
    );
}

#[test]
fn ffmpeg_over_tcp() {
    check_tcp_media(&replay("ffmpeg_tcp.txt"));
}

#[test]
fn ffmpeg_over_udp() {
    let h = replay("ffmpeg_udp.txt");
    assert!(
        h.datagrams
            .iter()
            .any(|(port, dst, _)| port % 2 == 0 && dst.ip().is_loopback())
    );
}

#[test]
fn ffmpeg_seek_pause_and_replay() {
    check_tcp_media(&replay("ffmpeg_seek.txt"));
}

#[test]
fn gstreamer_over_tcp() {
    check_tcp_media(&replay("gst_tcp.txt"));
}

#[test]
fn gstreamer_over_udp() {
    let h = replay("gst_udp.txt");
    let client_ports: Vec<u16> = h.datagrams.iter().map(|(_, dst, _)| dst.port()).collect();
    assert!(
        client_ports.contains(&39678) && client_ports.contains(&56018),
        "{client_ports:?}"
    );
}

#[test]
fn vlc_over_udp() {
    let h = replay("vlc_udp.txt");
    // RTP from even server ports of the block, RTCP from the odd ones.
    assert!(
        h.datagrams
            .iter()
            .any(|(port, dst, _)| port % 2 == 0 && dst.port() == 52000)
    );
    assert!(
        h.datagrams
            .iter()
            .any(|(port, dst, _)| port % 2 == 1 && dst.port() == 52003)
    );
}

#[test]
fn vlc_over_tcp() {
    check_tcp_media(&replay("vlc_tcp.txt"));
}

#[test]
fn same_seed_same_bytes() {
    let a = replay("ffmpeg_tcp.txt");
    let b = replay("ffmpeg_tcp.txt");
    assert_eq!(a.client().interleaved, b.client().interleaved);
    assert_eq!(a.client().responses, b.client().responses);
}
