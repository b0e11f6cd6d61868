//! Transcript tests of the client machine: server replies are fed by hand,
//! in the form our server (and others) write them.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::*;
use crate::media::{AudioCodec, VideoCodec};
use crate::rtcp::{RtcpPacket, SenderReport};
use crate::rtp::Packetizer;
use crate::rtsp::auth::{Authorization, digest_response, parse_authorization};

const URL: &str = "rtsp://10.0.0.1:8554/live";

const SPS: &[u8] = &[0x67, 0x42, 0xc0, 0x1f, 0xda, 0x02, 0x80, 0xf6, 0x40];
const PPS: &[u8] = &[0x68, 0xce, 0x3c, 0x80];

/// The description our server gives for the live test source.
fn live_sdp() -> String {
    "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=Test pattern\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n\
     a=control:*\r\na=range:npt=now-\r\n\
     m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n\
     a=fmtp:96 packetization-mode=1;profile-level-id=42c01f;sprop-parameter-sets=Z0LAH9oCgPZA,aM48gA==\r\n\
     a=control:trackID=0\r\na=recvonly\r\n\
     m=audio 0 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=control:trackID=1\r\na=recvonly\r\n"
        .to_owned()
}

/// Everything a client put out after an input, sorted by kind.
#[derive(Debug, Default)]
struct Drained {
    sent: Vec<Bytes>,
    datagrams: Vec<(u16, SocketAddr, Bytes)>,
    events: Vec<ClientEvent>,
    timeout: Option<Instant>,
}

impl Drained {
    fn requests(&self) -> Vec<Request> {
        let mut d = Decoder::new(DecoderLimits::default());
        for s in &self.sent {
            d.push(s);
        }
        let mut out = Vec::new();
        while let Ok(Some(m)) = d.next_message() {
            if let Message::Request(r) = m {
                out.push(r);
            }
        }
        out
    }

    fn interleaved(&self) -> Vec<(u8, Bytes)> {
        let mut d = Decoder::new(DecoderLimits::default());
        for s in &self.sent {
            d.push(s);
        }
        let mut out = Vec::new();
        while let Ok(Some(m)) = d.next_message() {
            if let Message::Interleaved { channel, data } = m {
                out.push((channel, data));
            }
        }
        out
    }

    fn frames(&self) -> Vec<(usize, AccessUnit)> {
        self.events
            .iter()
            .filter_map(|e| match e {
                ClientEvent::Frame { track, unit } => Some((*track, unit.clone())),
                _ => None,
            })
            .collect()
    }
}

fn drain(c: &mut Client) -> Drained {
    let mut d = Drained::default();
    loop {
        match c.poll_output() {
            ClientOutput::Timeout(t) => {
                d.timeout = Some(t);
                return d;
            }
            ClientOutput::Send(b) => d.sent.push(b),
            ClientOutput::SendTo {
                local_port,
                dst,
                data,
            } => d.datagrams.push((local_port, dst, data)),
            ClientOutput::Event(e) => d.events.push(e),
        }
    }
}

fn feed(c: &mut Client, now: Instant, bytes: &[u8]) -> Drained {
    c.handle_input(now, ClientInput::TcpData(bytes));
    drain(c)
}

fn response(cseq: &str, status: &str, headers: &[(&str, &str)], body: &str) -> Vec<u8> {
    let mut s = format!("RTSP/1.0 {status}\r\nCSeq: {cseq}\r\nServer: test\r\n");
    for (n, v) in headers {
        s.push_str(&format!("{n}: {v}\r\n"));
    }
    if !body.is_empty() {
        s.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    s.push_str("\r\n");
    s.push_str(body);
    s.into_bytes()
}

fn one_request(d: &Drained) -> Request {
    let reqs = d.requests();
    assert_eq!(reqs.len(), 1, "expected one request in {:?}", d.sent);
    reqs.into_iter().next().unwrap()
}

fn packets(
    track: &TrackInfo,
    pt: u8,
    frames: &[Bytes],
    first_seq: u16,
    ts_step: u32,
) -> Vec<Bytes> {
    let mut p = Packetizer::new(track, pt, 1388).unwrap();
    let mut out = Vec::new();
    let mut seq = first_seq;
    for (i, f) in frames.iter().enumerate() {
        let mut payloads = Vec::new();
        p.packetize(f, &mut payloads).unwrap();
        for pl in payloads {
            let h = RtpHeader {
                payload_type: pt,
                marker: pl.marker,
                sequence: seq,
                timestamp: 1000 + i as u32 * ts_step + pl.ts_offset,
                ssrc: 0xabcd,
            };
            seq = seq.wrapping_add(1);
            let mut v = h.to_bytes().to_vec();
            v.extend_from_slice(&pl.to_bytes());
            out.push(Bytes::from(v));
        }
    }
    out
}

fn interleave(channel: u8, packet: &[u8]) -> Vec<u8> {
    let mut v = vec![b'$', channel];
    v.extend_from_slice(&(packet.len() as u16).to_be_bytes());
    v.extend_from_slice(packet);
    v
}

fn h264_track() -> TrackInfo {
    TrackInfo {
        codec: Codec::Video(VideoCodec::H264),
        clock_rate: 90_000,
        sample_rate: 0,
        channels: 0,
        width: 0,
        height: 0,
        config: Bytes::new(),
    }
}

fn pcmu_track() -> TrackInfo {
    TrackInfo {
        codec: Codec::Audio(AudioCodec::Pcmu),
        clock_rate: 8000,
        sample_rate: 8000,
        channels: 1,
        width: 0,
        height: 0,
        config: Bytes::new(),
    }
}

fn annex_b(nals: &[&[u8]]) -> Bytes {
    let mut v = Vec::new();
    for n in nals {
        v.extend_from_slice(&[0, 0, 0, 1]);
        v.extend_from_slice(n);
    }
    Bytes::from(v)
}

/// A NAL unit without zero bytes.
fn nal(header: u8, len: usize) -> Vec<u8> {
    let mut v = vec![header];
    v.extend((1..len).map(|i| (i * 13 % 251 + 1) as u8));
    v
}

/// Runs a client through OPTIONS, DESCRIBE (with a Digest challenge),
/// SETUP of both tracks and PLAY; returns it playing.
fn playing_tcp_client(t0: Instant) -> Client {
    let mut cfg = ClientConfig::new(URL);
    cfg.credentials = Some(("admin".into(), "secret".into()));
    cfg.keepalive_interval = Duration::from_secs(20);
    cfg.rng_seed = 5;
    let mut c = Client::new(cfg, t0);
    let d = drain(&mut c);
    let options = one_request(&d);
    assert_eq!(options.method, Method::Options);
    assert_eq!(options.uri, URL);
    assert_eq!(options.cseq(), Some("1"));
    assert!(options.headers.get("User-Agent").is_some());
    assert_eq!(c.state(), ClientState::Starting);

    let public = "OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN, GET_PARAMETER, SET_PARAMETER";
    let d = feed(
        &mut c,
        t0,
        &response("1", "200 OK", &[("Public", public)], ""),
    );
    let describe = one_request(&d);
    assert_eq!(describe.method, Method::Describe);
    assert_eq!(describe.headers.get("Accept"), Some("application/sdp"));
    assert!(describe.headers.get("Authorization").is_none());

    // Our server's challenges: SHA-256 Digest, MD5 Digest, Basic.
    let nonce = "66f0c0ffee00112233445566778899aabbccddeeff";
    let sha = format!("Digest realm=\"onvif-rtsp-server\", nonce=\"{nonce}\", algorithm=SHA-256");
    let md5 = format!("Digest realm=\"onvif-rtsp-server\", nonce=\"{nonce}\", algorithm=MD5");
    let basic = "Basic realm=\"onvif-rtsp-server\"";
    let d = feed(
        &mut c,
        t0,
        &response(
            "2",
            "401 Unauthorized",
            &[
                ("WWW-Authenticate", &sha),
                ("WWW-Authenticate", &md5),
                ("WWW-Authenticate", basic),
            ],
            "",
        ),
    );
    let describe = one_request(&d);
    assert_eq!(describe.cseq(), Some("3"));
    let Some(Authorization::Digest(p)) = describe
        .headers
        .get("Authorization")
        .and_then(parse_authorization)
    else {
        panic!("no Digest answer: {describe:?}");
    };
    assert_eq!(p.algorithm.as_deref(), Some("MD5"));
    assert_eq!(p.uri, URL);
    let expected = digest_response(
        DigestAlgorithm::Md5,
        "admin",
        "onvif-rtsp-server",
        "secret",
        "DESCRIBE",
        URL,
        nonce,
        None,
    );
    assert_eq!(p.response, expected);

    let sdp = live_sdp();
    let d = feed(
        &mut c,
        t0,
        &response(
            "3",
            "200 OK",
            &[
                ("Content-Base", &format!("{URL}/")),
                ("Content-Type", "application/sdp"),
            ],
            &sdp,
        ),
    );
    let described = d.events.iter().find_map(|e| match e {
        ClientEvent::Described { sdp, tracks } => Some((sdp.clone(), tracks.clone())),
        _ => None,
    });
    let (raw, tracks) = described.expect("Described");
    assert_eq!(raw, sdp.as_bytes());
    assert_eq!(tracks.len(), 2);
    assert_eq!(tracks[0].control_url, format!("{URL}/trackID=0"));
    assert_eq!(tracks[1].control_url, format!("{URL}/trackID=1"));
    assert!(tracks.iter().all(|t| t.selected));
    let setup = one_request(&d);
    assert_eq!(setup.method, Method::Setup);
    assert_eq!(setup.uri, format!("{URL}/trackID=0"));
    assert_eq!(
        setup.headers.get("Transport"),
        Some("RTP/AVP/TCP;unicast;interleaved=0-1")
    );
    assert!(setup.headers.get("Session").is_none());
    let Some(Authorization::Digest(p)) = setup
        .headers
        .get("Authorization")
        .and_then(parse_authorization)
    else {
        panic!("SETUP without credentials");
    };
    assert_eq!(p.uri, setup.uri);

    let d = feed(
        &mut c,
        t0,
        &response(
            "4",
            "200 OK",
            &[
                (
                    "Transport",
                    "RTP/AVP/TCP;unicast;interleaved=0-1;ssrc=0000ABCD",
                ),
                ("Session", "5EC0E5;timeout=60"),
            ],
            "",
        ),
    );
    let setup = one_request(&d);
    assert_eq!(setup.uri, format!("{URL}/trackID=1"));
    assert_eq!(
        setup.headers.get("Transport"),
        Some("RTP/AVP/TCP;unicast;interleaved=2-3")
    );
    assert_eq!(setup.headers.get("Session"), Some("5EC0E5"));
    assert_eq!(c.session_id(), Some("5EC0E5"));

    let d = feed(
        &mut c,
        t0,
        &response(
            "5",
            "200 OK",
            &[
                ("Transport", "RTP/AVP/TCP;unicast;interleaved=2-3"),
                ("Session", "5EC0E5;timeout=60"),
            ],
            "",
        ),
    );
    assert!(d.events.contains(&ClientEvent::Ready));
    let play = one_request(&d);
    assert_eq!(play.method, Method::Play);
    assert_eq!(play.uri, format!("{URL}/"));
    assert!(play.headers.get("Range").is_none());
    assert_eq!(c.state(), ClientState::Ready);

    let rtp_info =
        format!("url={URL}/trackID=0;seq=100;rtptime=1000,url={URL}/trackID=1;seq=7;rtptime=1000");
    let d = feed(
        &mut c,
        t0,
        &response(
            "6",
            "200 OK",
            &[
                ("Range", "npt=now-"),
                ("RTP-Info", &rtp_info),
                ("Session", "5EC0E5;timeout=60"),
            ],
            "",
        ),
    );
    let Some(ClientEvent::Playing { rtp_info, range }) = d.events.first().cloned() else {
        panic!("not playing: {:?}", d.events);
    };
    assert_eq!(range.as_deref(), Some("npt=now-"));
    assert_eq!(rtp_info.len(), 2);
    assert_eq!((rtp_info[0].track, rtp_info[0].seq), (Some(0), Some(100)));
    assert_eq!(
        (rtp_info[1].track, rtp_info[1].rtptime),
        (Some(1), Some(1000))
    );
    assert_eq!(c.state(), ClientState::Playing);
    c
}

#[test]
fn full_tcp_session_with_digest_frames_reports_keepalive_and_teardown() {
    let t0 = Instant::now();
    let mut c = playing_tcp_client(t0);
    let t = t0 + Duration::from_millis(100);

    // A bare IDR (no SPS/PPS in band): the description's sets are prepended.
    let idr = annex_b(&[&nal(0x65, 3000)]);
    let p1 = annex_b(&[&nal(0x41, 500)]);
    let p2 = annex_b(&[&nal(0x41, 200)]);
    let video = packets(
        &h264_track(),
        96,
        &[idr.clone(), p1.clone(), p2.clone()],
        100,
        3600,
    );
    assert!(video.len() >= 4, "the IDR is fragmented");
    let mut bytes = Vec::new();
    for p in &video {
        bytes.extend(interleave(0, p));
    }
    let audio = packets(
        &pcmu_track(),
        0,
        &[
            Bytes::from(vec![0x55u8; 160]),
            Bytes::from(vec![0x66u8; 160]),
        ],
        7,
        160,
    );
    for p in &audio {
        bytes.extend(interleave(2, p));
    }
    // Split the byte stream awkwardly: the decoder must not care.
    let (a, b) = bytes.split_at(777);
    let mut d = feed(&mut c, t, a);
    d.events.extend(feed(&mut c, t, b).events);
    let frames = d.frames();
    let video_frames: Vec<&AccessUnit> = frames
        .iter()
        .filter(|(t, _)| *t == 0)
        .map(|(_, u)| u)
        .collect();
    let audio_frames: Vec<&AccessUnit> = frames
        .iter()
        .filter(|(t, _)| *t == 1)
        .map(|(_, u)| u)
        .collect();
    assert_eq!(video_frames.len(), 3);
    assert!(video_frames[0].keyframe);
    assert_eq!(video_frames[0].data, annex_b(&[SPS, PPS, &nal(0x65, 3000)]));
    assert_eq!(video_frames[1].data, p1);
    assert_eq!(video_frames[2].data, p2);
    assert_eq!(video_frames[1].rtp_timestamp, 1000 + 3600);
    assert_eq!(audio_frames.len(), 2);
    assert_eq!(audio_frames[1].data[..], [0x66; 160]);
    let rtp_events = d
        .events
        .iter()
        .filter(|e| matches!(e, ClientEvent::Rtp { .. }))
        .count();
    assert_eq!(rtp_events, video.len() + audio.len());
    let s = c.stats(0).unwrap();
    assert_eq!(s.packets, video.len() as u64);
    assert_eq!((s.frames, s.keyframes, s.sequence_gaps), (3, 1, 0));
    assert_eq!(s.first_packet_at, Some(t));
    assert_eq!((s.first_seq, s.ssrc), (Some(100), Some(0xabcd)));

    // A lost packet on the interleaved channel is a gap, counted at once.
    let more = packets(
        &h264_track(),
        96,
        &[p1.clone(), p2.clone(), p1.clone(), p2.clone()],
        200,
        3600,
    );
    let mut bytes = Vec::new();
    for (i, p) in more.iter().enumerate() {
        if i != 1 {
            bytes.extend(interleave(0, p));
        }
    }
    let d = feed(&mut c, t, &bytes);
    let s = c.stats(0).unwrap();
    let jumped = 200 - (100 + video.len() as u64);
    assert_eq!(
        (s.sequence_gaps, s.lost_packets),
        (2, jumped + 1),
        "a jump to 200, then one lost"
    );
    let after: Vec<(usize, AccessUnit)> = d.frames();
    assert!(after.iter().any(|(_, u)| u.after_loss));

    // A sender report, then the receiver report timer.
    let sr = SenderReport {
        ssrc: 0xabcd,
        ntp_timestamp: 0x0000_0001_0002_0000,
        rtp_timestamp: 1000,
        packet_count: 3,
        octet_count: 3000,
    };
    let mut buf = Vec::new();
    sr.write_compound("srv", &mut buf);
    feed(&mut c, t, &interleave(1, &buf));
    let d = drain(&mut c);
    let rtcp_due = d.timeout.unwrap();
    assert_eq!(rtcp_due, t0 + Duration::from_secs(5));
    c.handle_input(rtcp_due, ClientInput::Timeout);
    let d = drain(&mut c);
    let reports = d.interleaved();
    assert_eq!(
        reports.iter().map(|(ch, _)| *ch).collect::<Vec<_>>(),
        [1, 3]
    );
    let parsed = crate::rtcp::parse_compound(&reports[0].1).unwrap();
    let RtcpPacket::ReceiverReport { ssrc, blocks } = &parsed[0] else {
        panic!("{parsed:?}");
    };
    assert_eq!(*ssrc, c.ssrc());
    assert_eq!(blocks[0].ssrc, 0xabcd);
    assert_eq!(i64::from(blocks[0].cumulative_lost), jumped as i64 + 1);
    assert_eq!(blocks[0].last_sr, 0x0001_0002);
    assert!(matches!(parsed[1], RtcpPacket::Sdes { .. }));

    // Keepalive: GET_PARAMETER with the session, every 20 s.
    let keepalive_due = t0 + Duration::from_secs(20);
    c.handle_input(keepalive_due, ClientInput::Timeout);
    let d = drain(&mut c);
    let ka = d.requests();
    assert_eq!(ka.len(), 1);
    assert_eq!(ka[0].method, Method::GetParameter);
    assert_eq!(ka[0].headers.get("Session"), Some("5EC0E5"));
    assert!(ka[0].headers.get("Authorization").is_some());
    let cseq = ka[0].cseq().unwrap().to_owned();
    let d = feed(&mut c, keepalive_due, &response(&cseq, "200 OK", &[], ""));
    assert!(d.events.is_empty());

    // RTCP BYE on both tracks ends the stream.
    let mut bye = Vec::new();
    sr.write_with_bye("srv", &mut bye);
    let d = feed(&mut c, keepalive_due, &interleave(1, &bye));
    assert!(!d.events.contains(&ClientEvent::Ended));
    let d = feed(&mut c, keepalive_due, &interleave(3, &bye));
    assert!(d.events.contains(&ClientEvent::Ended));

    // Teardown: RTCP BYE from us, then TEARDOWN; its answer ends the session.
    c.teardown(keepalive_due);
    let d = drain(&mut c);
    let rtcp = d.interleaved();
    assert!(!rtcp.is_empty());
    assert!(
        crate::rtcp::parse_compound(&rtcp[0].1)
            .unwrap()
            .iter()
            .any(|p| matches!(p, RtcpPacket::Bye { .. }))
    );
    let td = d.requests();
    assert_eq!(td[0].method, Method::Teardown);
    assert_eq!(c.state(), ClientState::TearingDown);
    let cseq = td[0].cseq().unwrap().to_owned();
    let d = feed(
        &mut c,
        keepalive_due,
        &response(&cseq, "200 OK", &[("Session", "5EC0E5")], ""),
    );
    assert_eq!(d.events, [ClientEvent::TornDown]);
    assert_eq!(c.state(), ClientState::Done);
}

#[test]
fn udp_session_reorders_and_reports_to_the_server_port() {
    let t0 = Instant::now();
    let mut cfg = ClientConfig::new("rtsp://10.0.0.1/cam?profile=1");
    cfg.transport = ClientTransport::Udp(UdpPorts::Base(40000));
    cfg.tracks = TrackSelection::Video;
    cfg.play_range = Some("npt=0.000-".into());
    cfg.report_rtp = false;
    cfg.control_style = ControlStyle::BeforeQuery;
    let mut c = Client::new(cfg, t0);
    drain(&mut c);
    let d = feed(
        &mut c,
        t0,
        &response(
            "1",
            "200 OK",
            &[("Public", "DESCRIBE, SETUP, PLAY, TEARDOWN")],
            "",
        ),
    );
    assert_eq!(one_request(&d).method, Method::Describe);
    let d = feed(
        &mut c,
        t0,
        &response(
            "2",
            "200 OK",
            &[("Content-Base", "rtsp://10.0.0.1/cam?profile=1/")],
            &live_sdp(),
        ),
    );
    let setup = one_request(&d);
    assert_eq!(setup.uri, "rtsp://10.0.0.1/cam/trackID=0?profile=1");
    assert_eq!(
        setup.headers.get("Transport"),
        Some("RTP/AVP;unicast;client_port=40000-40001")
    );
    assert_eq!(c.udp_ports(), [(40000, 40001)]);
    assert!(!c.tracks()[1].selected, "audio not wanted");
    let d = feed(
        &mut c,
        t0,
        &response(
            "3",
            "200 OK",
            &[
                (
                    "Transport",
                    "RTP/AVP;unicast;client_port=40000-40001;server_port=22000-22001",
                ),
                ("Session", "ABC;timeout=6"),
            ],
            "",
        ),
    );
    let play = one_request(&d);
    assert_eq!(play.uri, "rtsp://10.0.0.1/cam?profile=1/");
    assert_eq!(play.headers.get("Range"), Some("npt=0.000-"));
    feed(
        &mut c,
        t0,
        &response("4", "200 OK", &[("Session", "ABC")], ""),
    );
    assert_eq!(c.state(), ClientState::Playing);

    let frames: Vec<Bytes> = (0..4).map(|i| annex_b(&[&nal(0x41, 100 + i)])).collect();
    let pkts = packets(&h264_track(), 96, &frames, 65534, 3000);
    let server: SocketAddr = "10.0.0.1:22000".parse().unwrap();
    let t = t0 + Duration::from_millis(10);
    let mut got = Vec::new();
    // 65534, 0, 65535 (late by one), 1: reordered within the window.
    for i in [0usize, 2, 1, 3] {
        c.handle_input(
            t,
            ClientInput::Datagram {
                local_port: 40000,
                src: server,
                data: &pkts[i],
            },
        );
        got.extend(drain(&mut c).frames());
    }
    // The first packets wait out the reorder window.
    assert!(got.is_empty());
    c.handle_input(t + Duration::from_millis(100), ClientInput::Timeout);
    got.extend(drain(&mut c).frames());
    assert_eq!(
        got.iter().map(|(_, u)| u.data.clone()).collect::<Vec<_>>(),
        frames
    );
    assert!(got.iter().all(|(_, u)| !u.after_loss));
    let s = c.stats(0).unwrap();
    assert_eq!((s.sequence_gaps, s.lost_packets, s.late_packets), (0, 0, 0));
    // The session timeout of 6 s makes keepalives every 3 s: OPTIONS,
    // since the server does not list GET_PARAMETER.
    c.handle_input(t0 + Duration::from_secs(3), ClientInput::Timeout);
    let d = drain(&mut c);
    let ka = one_request(&d);
    assert_eq!(ka.method, Method::Options);
    assert_eq!(ka.headers.get("Session"), Some("ABC"));
    feed(
        &mut c,
        t0 + Duration::from_secs(3),
        &response("5", "200 OK", &[], ""),
    );
    // Receiver reports go from our RTCP port to the server's.
    c.handle_input(t0 + Duration::from_secs(5), ClientInput::Timeout);
    let d = drain(&mut c);
    assert_eq!(d.datagrams.len(), 1);
    let (port, dst, data) = &d.datagrams[0];
    assert_eq!((*port, *dst), (40001, "10.0.0.1:22001".parse().unwrap()));
    assert!(crate::rtcp::parse_compound(data).is_ok());
    // A hole that is never filled is given up on after the window.
    let more = packets(&h264_track(), 96, &frames, 2, 3000);
    let t = t0 + Duration::from_secs(6);
    let datagram = |c: &mut Client, at: Instant, p: &Bytes| {
        c.handle_input(
            at,
            ClientInput::Datagram {
                local_port: 40000,
                src: server,
                data: p,
            },
        );
        drain(c)
    };
    assert_eq!(datagram(&mut c, t, &more[0]).frames().len(), 1);
    let d = datagram(&mut c, t, &more[2]);
    assert!(d.frames().is_empty());
    assert_eq!(d.timeout, Some(t + Duration::from_millis(100)));
    c.handle_input(t + Duration::from_millis(100), ClientInput::Timeout);
    // Over UDP the unit right after a hole is dropped too (the lost packet
    // may have been its first).
    assert!(drain(&mut c).frames().is_empty());
    assert_eq!(c.stats(0).unwrap().lost_packets, 1);
    let d = datagram(&mut c, t + Duration::from_millis(120), &more[3]);
    assert_eq!(d.frames().len(), 1);
    assert!(d.frames()[0].1.after_loss);
}

#[test]
fn failures_are_reported_once() {
    let t0 = Instant::now();
    // Not found.
    let mut c = Client::new(ClientConfig::new(URL), t0);
    drain(&mut c);
    feed(&mut c, t0, &response("1", "200 OK", &[], ""));
    let d = feed(&mut c, t0, &response("2", "404 Not Found", &[], ""));
    assert_eq!(
        d.events,
        [ClientEvent::Failed(ClientError::Status {
            method: Method::Describe,
            status: StatusCode::NOT_FOUND,
            reason: "Not Found".into()
        })]
    );
    assert_eq!(c.state(), ClientState::Failed);
    assert!(
        feed(&mut c, t0, &response("3", "200 OK", &[], ""))
            .events
            .is_empty()
    );

    // 401 without credentials.
    let mut c = Client::new(ClientConfig::new(URL), t0);
    drain(&mut c);
    feed(&mut c, t0, &response("1", "200 OK", &[], ""));
    let challenge = ("WWW-Authenticate", "Digest realm=\"r\", nonce=\"n1\"");
    let d = feed(
        &mut c,
        t0,
        &response("2", "401 Unauthorized", &[challenge], ""),
    );
    assert!(matches!(
        &d.events[..],
        [ClientEvent::Failed(ClientError::Status {
            status: StatusCode::UNAUTHORIZED,
            ..
        })]
    ));

    // Wrong credentials (user:pass in the URL): one retry, then failure.
    let mut c = Client::new(ClientConfig::new("rtsp://bob:nope@10.0.0.1:8554/live"), t0);
    let d = drain(&mut c);
    assert_eq!(one_request(&d).uri, URL, "credentials never go on the wire");
    feed(&mut c, t0, &response("1", "200 OK", &[], ""));
    let d = feed(
        &mut c,
        t0,
        &response("2", "401 Unauthorized", &[challenge], ""),
    );
    let retry = one_request(&d);
    let Some(Authorization::Digest(p)) = retry
        .headers
        .get("Authorization")
        .and_then(parse_authorization)
    else {
        panic!()
    };
    assert_eq!(p.username, "bob");
    let d = feed(
        &mut c,
        t0,
        &response("3", "401 Unauthorized", &[challenge], ""),
    );
    assert!(matches!(
        &d.events[..],
        [ClientEvent::Failed(ClientError::Status {
            status: StatusCode::UNAUTHORIZED,
            ..
        })]
    ));

    // A stale nonce earns one more try; Basic works when it is all there is.
    let mut cfg = ClientConfig::new(URL);
    cfg.credentials = Some(("u".into(), "p".into()));
    let mut c = Client::new(cfg, t0);
    drain(&mut c);
    feed(&mut c, t0, &response("1", "200 OK", &[], ""));
    let d = feed(
        &mut c,
        t0,
        &response(
            "2",
            "401 Unauthorized",
            &[("WWW-Authenticate", "Basic realm=\"x\"")],
            "",
        ),
    );
    assert_eq!(
        one_request(&d).headers.get("Authorization"),
        Some("Basic dTpw")
    );
    let stale = (
        "WWW-Authenticate",
        "Digest realm=\"r\", nonce=\"n2\", stale=true",
    );
    let d = feed(&mut c, t0, &response("3", "401 Unauthorized", &[stale], ""));
    assert!(
        one_request(&d)
            .headers
            .get("Authorization")
            .is_some_and(|a| a.starts_with("Digest"))
    );

    // No answer in time.
    let mut c = Client::new(ClientConfig::new(URL), t0);
    let d = drain(&mut c);
    assert_eq!(d.timeout, Some(t0 + Duration::from_secs(10)));
    c.handle_input(t0 + Duration::from_secs(10), ClientInput::Timeout);
    assert_eq!(
        drain(&mut c).events,
        [ClientEvent::Failed(ClientError::Timeout {
            method: Method::Options
        })]
    );

    // The connection closing mid-session, and garbage from the server.
    let mut c = playing_tcp_client(t0);
    c.handle_input(t0, ClientInput::Closed);
    assert_eq!(
        drain(&mut c).events,
        [ClientEvent::Failed(ClientError::ConnectionClosed)]
    );
    let mut c = Client::new(ClientConfig::new(URL), t0);
    drain(&mut c);
    let d = feed(&mut c, t0, b"HTTP/1.1 200 OK\r\n\r\n");
    assert!(matches!(
        &d.events[..],
        [ClientEvent::Failed(ClientError::Decode(_))]
    ));

    // A bad URL, a description without playable tracks.
    let mut c = Client::new(ClientConfig::new("http://x/"), t0);
    assert!(matches!(
        &drain(&mut c).events[..],
        [ClientEvent::Failed(ClientError::BadUrl(_))]
    ));
    let mut c = Client::new(ClientConfig::new(URL), t0);
    drain(&mut c);
    feed(&mut c, t0, &response("1", "200 OK", &[], ""));
    let sdp = "v=0\r\nm=application 0 RTP/AVP 107\r\na=rtpmap:107 vnd.onvif.metadata/90000\r\n";
    let d = feed(&mut c, t0, &response("2", "200 OK", &[], sdp));
    assert_eq!(
        d.events,
        [ClientEvent::Failed(ClientError::NoPlayableTrack)]
    );
}

#[test]
fn pause_resume_server_requests_and_early_teardown() {
    let t0 = Instant::now();
    let mut c = playing_tcp_client(t0);
    c.pause(t0);
    let d = drain(&mut c);
    let pause = one_request(&d);
    assert_eq!(pause.method, Method::Pause);
    let cseq = pause.cseq().unwrap().to_owned();
    // A request from the server in between is answered.
    let d = feed(
        &mut c,
        t0,
        b"GET_PARAMETER rtsp://10.0.0.1:8554/live RTSP/1.0\r\nCSeq: 9\r\n\r\n",
    );
    assert!(String::from_utf8_lossy(&d.sent[0]).starts_with("RTSP/1.0 200 OK\r\nCSeq: 9\r\n"));
    let d = feed(&mut c, t0, &response(&cseq, "200 OK", &[], ""));
    assert_eq!(d.events, [ClientEvent::Paused]);
    assert_eq!(c.state(), ClientState::Paused);
    c.play(t0, Some("npt=5-"));
    let d = drain(&mut c);
    let play = one_request(&d);
    assert_eq!(play.headers.get("Range"), Some("npt=5-"));
    let cseq = play.cseq().unwrap().to_owned();
    let d = feed(
        &mut c,
        t0,
        &response(&cseq, "200 OK", &[("Range", "npt=4.960-")], ""),
    );
    assert!(
        matches!(&d.events[..], [ClientEvent::Playing { range: Some(r), .. }] if r == "npt=4.960-")
    );

    // Teardown before any session: nothing to send.
    let mut c = Client::new(ClientConfig::new(URL), t0);
    drain(&mut c);
    c.teardown(t0);
    assert_eq!(drain(&mut c).events, [ClientEvent::TornDown]);
    assert_eq!(c.state(), ClientState::Done);
    // The connection closing during TEARDOWN is as good as its answer.
    let mut c = playing_tcp_client(t0);
    c.teardown(t0);
    drain(&mut c);
    c.handle_input(t0, ClientInput::Closed);
    assert_eq!(drain(&mut c).events, [ClientEvent::TornDown]);
}
