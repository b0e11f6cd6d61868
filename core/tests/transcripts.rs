//! The server machine replayed against real clients' request transcripts
//! (see `transcripts/README.md`), with a scripted media source.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use onvif_rtsp_core::config::RtspConfig;
use onvif_rtsp_core::media::{
    AudioCodec, Codec, Frame, SourceId, SourceKind, SourceLocation, TrackInfo, VideoCodec,
};
use onvif_rtsp_core::rtp::header::RtpHeader;
use onvif_rtsp_core::rtsp::{Decoder, DecoderLimits, Headers, Message, Request, Response};
use onvif_rtsp_core::server::{ConnId, Event, Input, Listener, Output, Server, ServerConfig};

const FPS: u32 = 25;

fn tracks() -> Vec<TrackInfo> {
    vec![
        TrackInfo {
            codec: Codec::Video(VideoCodec::H264),
            clock_rate: 90_000,
            sample_rate: 0,
            channels: 0,
            width: 640,
            height: 480,
            config: Bytes::new(),
        },
        TrackInfo {
            codec: Codec::Audio(AudioCodec::Pcmu),
            clock_rate: 8000,
            sample_rate: 8000,
            channels: 1,
            width: 0,
            height: 0,
            config: Bytes::new(),
        },
    ]
}

/// An H.264 access unit: SPS+PPS+IDR for keyframes, a non-IDR slice otherwise.
fn video_frame(n: u32) -> Frame {
    let mut data = Vec::new();
    let key = n % FPS == 0;
    if key {
        data.extend_from_slice(&[
            0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x1e, 0xda, 0x02, 0x80, 0xf6, 0x40,
        ]);
        data.extend_from_slice(&[0, 0, 0, 1, 0x68, 0xce, 0x3c, 0x80]);
        data.extend_from_slice(&[0, 0, 0, 1, 0x65]);
        data.extend((0..4000u32).map(|i| (i * 7 + n) as u8 | 1));
    } else {
        data.extend_from_slice(&[0, 0, 0, 1, 0x41]);
        data.extend((0..600u32).map(|i| (i * 3 + n) as u8 | 1));
    }
    let t = Duration::from_secs(1) * n / FPS;
    Frame {
        track: 0,
        pts: t,
        dts: t,
        keyframe: key,
        data: Bytes::from(data),
    }
}

fn audio_frame(n: u32) -> Frame {
    let t = Duration::from_millis(20) * n;
    Frame {
        track: 1,
        pts: t,
        dts: t,
        keyframe: true,
        data: Bytes::from(vec![0xffu8; 160]),
    }
}

struct Harness {
    server: Server,
    now: Instant,
    conn: ConnId,
    client: Decoder,
    responses: Vec<Response>,
    interleaved: Vec<(u8, Bytes)>,
    datagrams: Vec<(u16, SocketAddr, Vec<u8>)>,
    live: Vec<SourceId>,
    live_frames: u32,
}

impl Harness {
    fn new() -> Harness {
        let now = Instant::now();
        let mut cfg = ServerConfig::new(RtspConfig::default());
        cfg.rng_seed = 7;
        let mut h = Harness {
            server: Server::new(cfg, now),
            now,
            conn: ConnId(1),
            client: Decoder::new(DecoderLimits {
                max_body: 1 << 20,
                ..DecoderLimits::default()
            }),
            responses: Vec::new(),
            interleaved: Vec::new(),
            datagrams: Vec::new(),
            live: Vec::new(),
            live_frames: 0,
        };
        h.input(Input::Accepted {
            conn: h.conn,
            peer: "127.0.0.1:40000".parse().unwrap(),
            local: "127.0.0.1:8554".parse().unwrap(),
            listener: Listener::Rtsp,
        });
        h
    }

    fn input(&mut self, input: Input<'_>) {
        self.server.handle_input(self.now, input);
        self.drain();
    }

    /// Obeys the drain rule and plays the media layer and the socket layer.
    fn drain(&mut self) {
        loop {
            match self.server.poll_output() {
                Output::Timeout(_) => return,
                Output::Send { conn, data } => {
                    assert_eq!(conn, self.conn);
                    self.client.push(&data.to_vec());
                    let n = data.len();
                    self.server
                        .handle_input(self.now, Input::Written { conn, bytes: n });
                    while let Some(m) = self.client.next_message().unwrap() {
                        match m {
                            Message::Response(r) => self.responses.push(r),
                            Message::Interleaved { channel, data } => {
                                self.interleaved.push((channel, data))
                            }
                            Message::Request(r) => panic!("server sent a request: {r:?}"),
                        }
                    }
                }
                Output::SendTo {
                    local_port,
                    dst,
                    data,
                } => self.datagrams.push((local_port, dst, data.to_vec())),
                Output::Close { .. } => {}
                Output::Event(Event::OpenSource { source, spec }) => {
                    let kind = match spec.location {
                        SourceLocation::TestPattern => SourceKind::Live,
                        SourceLocation::File(_) => SourceKind::File {
                            duration: Some(Duration::from_secs(2)),
                        },
                    };
                    self.server.handle_input(
                        self.now,
                        Input::SourceReady {
                            source,
                            kind,
                            tracks: tracks(),
                        },
                    );
                    match kind {
                        SourceKind::Live => {
                            self.live.push(source);
                            self.server.handle_input(
                                self.now,
                                Input::Media {
                                    source,
                                    frame: video_frame(0),
                                },
                            );
                        }
                        SourceKind::File { .. } => {
                            for n in 0..2 * FPS {
                                self.server.handle_input(
                                    self.now,
                                    Input::Media {
                                        source,
                                        frame: video_frame(n),
                                    },
                                );
                            }
                            for n in 0..100 {
                                self.server.handle_input(
                                    self.now,
                                    Input::Media {
                                        source,
                                        frame: audio_frame(n),
                                    },
                                );
                            }
                            self.server
                                .handle_input(self.now, Input::SourceEnded { source });
                        }
                    }
                }
                Output::Event(Event::OpenUdp { port }) => self.server.handle_input(
                    self.now,
                    Input::UdpOpened {
                        port,
                        result: Ok(()),
                    },
                ),
                Output::Event(_) => {}
            }
        }
    }

    /// Advances time by `d`, feeding live frames in real time.
    fn advance(&mut self, d: Duration) {
        let end = self.now + d;
        while self.now < end {
            self.now += Duration::from_millis(20);
            self.input(Input::Timeout);
            // Live sources: a 20 ms audio frame every tick, video at 25 fps.
            self.live_frames += 1;
            let n = self.live_frames;
            for source in self.live.clone() {
                if n % 2 == 0 {
                    self.input(Input::Media {
                        source,
                        frame: video_frame(n / 2),
                    });
                }
                self.input(Input::Media {
                    source,
                    frame: audio_frame(n),
                });
            }
        }
    }

    fn request(&mut self, req: &Request) -> Response {
        let mut bytes = Vec::new();
        req.write_to(&mut bytes);
        let before = self.responses.len();
        self.input(Input::TcpData {
            conn: self.conn,
            data: &bytes,
        });
        assert_eq!(
            self.responses.len(),
            before + 1,
            "one response to {} {}",
            req.method.as_str(),
            req.uri
        );
        self.responses.last().unwrap().clone()
    }
}

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
                let packets_before = h.interleaved.len() + h.datagrams.len();
                h.advance(Duration::from_millis(1200));
                let got = h.interleaved.len() + h.datagrams.len() - packets_before;
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
    let rtp: Vec<_> = h.interleaved.iter().filter(|(ch, _)| ch % 2 == 0).collect();
    assert!(!rtp.is_empty());
    for (ch, p) in &rtp {
        let (hdr, _) = RtpHeader::parse(p).expect("RTP");
        assert_eq!(hdr.payload_type, if *ch == 0 { 96 } else { 0 });
    }
    for ch in [0u8, 2] {
        let first = h.interleaved.iter().position(|(c, _)| *c == ch).unwrap();
        let first_sr = h
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
    let (_, first_video) = h.interleaved.iter().find(|(c, _)| *c == 0).unwrap();
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
    assert_eq!(a.interleaved, b.interleaved);
    assert_eq!(
        a.responses
            .iter()
            .map(|r| r.headers.get("Session").map(str::to_owned))
            .collect::<Vec<_>>(),
        b.responses
            .iter()
            .map(|r| r.headers.get("Session").map(str::to_owned))
            .collect::<Vec<_>>()
    );
}
