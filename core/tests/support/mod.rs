//! A scripted media source and socket layer around the server machine,
//! shared by the core's integration tests. It obeys the drain rule, plays
//! the media layer (synthetic H.264 + PCMU sources) and the socket layer
//! (UDP binds succeed; TCP writes complete at once unless a client is made
//! slow), and decodes what each client receives.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use onvif_rtsp_core::config::RtspConfig;
use onvif_rtsp_core::media::{
    AudioCodec, Codec, Frame, SourceId, SourceKind, SourceLocation, TrackInfo, VideoCodec,
};
use onvif_rtsp_core::rtsp::{Decoder, DecoderLimits, Message, Request, Response};
use onvif_rtsp_core::server::{
    ConnId, Event, Input, Listener, Output, SendBuf, Server, ServerConfig,
};

/// Video frame rate of the synthetic sources.
pub const FPS: u32 = 25;

/// The tracks of every synthetic source: H.264 and PCMU.
pub fn tracks() -> Vec<TrackInfo> {
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

/// An H.264 access unit: SPS+PPS+IDR for keyframes (one a second), a
/// non-IDR slice otherwise.
pub fn video_frame(n: u32) -> Frame {
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

/// A 20 ms PCMU frame.
pub fn audio_frame(n: u32) -> Frame {
    let t = Duration::from_millis(20) * n;
    Frame {
        track: 1,
        pts: t,
        dts: t,
        keyframe: true,
        data: Bytes::from(vec![0xffu8; 160]),
    }
}

/// What one client connection received.
pub struct ClientSide {
    decoder: Decoder,
    pub responses: Vec<Response>,
    pub interleaved: Vec<(u8, Bytes)>,
    /// Every buffer the server queued for this connection, as queued.
    pub sent: Vec<SendBuf>,
    /// When false, the harness does not report writes as done (a reader
    /// that stopped reading).
    pub reading: bool,
    pub closed_by_server: bool,
}

pub struct Harness {
    pub server: Server,
    pub now: Instant,
    pub conn: ConnId,
    pub clients: BTreeMap<ConnId, ClientSide>,
    pub datagrams: Vec<(u16, SocketAddr, Vec<u8>)>,
    pub live: Vec<SourceId>,
    pub live_frames: u32,
    pub opened: Vec<SourceId>,
    /// The data of every frame fed to the server for a file source.
    pub file_frames: Vec<Bytes>,
    pub closed: Vec<SourceId>,
    /// UDP ports whose bind the harness refuses (taken by another program).
    pub refused_udp_ports: Vec<u16>,
    pub udp_opened: Vec<u16>,
    pub udp_closed: Vec<u16>,
}

impl Harness {
    /// A server on the default configuration with one connected client.
    pub fn new() -> Harness {
        Harness::with_config(|_| {})
    }

    /// A server whose configuration `tweak` adjusts, with one connected client.
    pub fn with_config(tweak: impl FnOnce(&mut ServerConfig)) -> Harness {
        let now = Instant::now();
        let mut cfg = ServerConfig::new(RtspConfig::default());
        cfg.rng_seed = 7;
        tweak(&mut cfg);
        let mut h = Harness {
            server: Server::new(cfg, now),
            now,
            conn: ConnId(1),
            clients: BTreeMap::new(),
            datagrams: Vec::new(),
            live: Vec::new(),
            live_frames: 0,
            opened: Vec::new(),
            file_frames: Vec::new(),
            closed: Vec::new(),
            refused_udp_ports: Vec::new(),
            udp_opened: Vec::new(),
            udp_closed: Vec::new(),
        };
        h.connect(ConnId(1));
        h
    }

    /// Connects another client.
    pub fn connect(&mut self, conn: ConnId) {
        self.clients.insert(
            conn,
            ClientSide {
                decoder: Decoder::new(DecoderLimits {
                    max_body: 1 << 20,
                    ..DecoderLimits::default()
                }),
                responses: Vec::new(),
                interleaved: Vec::new(),
                sent: Vec::new(),
                reading: true,
                closed_by_server: false,
            },
        );
        self.input(Input::Accepted {
            conn,
            peer: SocketAddr::new("127.0.0.1".parse().unwrap(), 40000 + conn.0 as u16),
            local: "127.0.0.1:8554".parse().unwrap(),
            listener: Listener::Rtsp,
        });
    }

    /// The first client.
    pub fn client(&self) -> &ClientSide {
        &self.clients[&self.conn]
    }

    pub fn input(&mut self, input: Input<'_>) {
        self.server.handle_input(self.now, input);
        self.drain();
    }

    /// Obeys the drain rule and plays the media layer and the socket layer.
    pub fn drain(&mut self) {
        loop {
            match self.server.poll_output() {
                Output::Timeout(_) => return,
                Output::Send { conn, data } => {
                    let Some(c) = self.clients.get_mut(&conn) else {
                        panic!("send to unknown connection {conn:?}");
                    };
                    c.decoder.push(&data.to_vec());
                    let n = data.len();
                    let reading = c.reading;
                    c.sent.push(data);
                    while let Some(m) = c.decoder.next_message().unwrap() {
                        match m {
                            Message::Response(r) => c.responses.push(r),
                            Message::Interleaved { channel, data } => {
                                c.interleaved.push((channel, data))
                            }
                            Message::Request(r) => panic!("server sent a request: {r:?}"),
                        }
                    }
                    if reading {
                        self.server
                            .handle_input(self.now, Input::Written { conn, bytes: n });
                    }
                }
                Output::SendTo {
                    local_port,
                    dst,
                    data,
                } => self.datagrams.push((local_port, dst, data.to_vec())),
                Output::Close { conn } => {
                    if let Some(c) = self.clients.get_mut(&conn) {
                        c.closed_by_server = true;
                    }
                }
                Output::Event(Event::OpenSource { source, spec }) => {
                    self.opened.push(source);
                    let kind = match spec.location {
                        SourceLocation::TestPattern | SourceLocation::Device(_) => SourceKind::Live,
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
                            let video = (0..2 * FPS).map(video_frame);
                            for frame in video.chain((0..100).map(audio_frame)) {
                                self.file_frames.push(frame.data.clone());
                                self.server
                                    .handle_input(self.now, Input::Media { source, frame });
                            }
                            self.server
                                .handle_input(self.now, Input::SourceEnded { source });
                        }
                    }
                }
                Output::Event(Event::CloseSource { source }) => {
                    self.live.retain(|s| *s != source);
                    self.closed.push(source);
                }
                Output::Event(Event::OpenUdp { port, count }) => {
                    let result =
                        if (port..port + count).any(|p| self.refused_udp_ports.contains(&p)) {
                            Err("address in use".to_owned())
                        } else {
                            self.udp_opened.push(port);
                            Ok(())
                        };
                    self.server
                        .handle_input(self.now, Input::UdpOpened { port, result })
                }
                Output::Event(Event::CloseUdp { port, .. }) => self.udp_closed.push(port),
                Output::Event(_) => {}
            }
        }
    }

    /// Advances time by `d` in 20 ms steps, feeding live frames in real time.
    pub fn advance(&mut self, d: Duration) {
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

    /// Sends a request on the first connection and returns its response.
    pub fn request(&mut self, req: &Request) -> Response {
        self.request_on(self.conn, req)
    }

    /// Sends a request on `conn` and returns its response.
    pub fn request_on(&mut self, conn: ConnId, req: &Request) -> Response {
        let mut bytes = Vec::new();
        req.write_to(&mut bytes);
        let before = self.clients[&conn].responses.len();
        self.input(Input::TcpData { conn, data: &bytes });
        let c = &self.clients[&conn];
        assert_eq!(
            c.responses.len(),
            before + 1,
            "one response to {} {}",
            req.method.as_str(),
            req.uri
        );
        c.responses.last().unwrap().clone()
    }

    /// Builds and sends a request from its parts on `conn`.
    pub fn send(
        &mut self,
        conn: ConnId,
        method: &str,
        uri: &str,
        headers: &[(&str, &str)],
    ) -> Response {
        let cseq = self.clients[&conn].responses.len() + 1;
        let mut text = format!("{method} {uri} RTSP/1.0\r\nCSeq: {cseq}\r\n");
        for (n, v) in headers {
            text.push_str(&format!("{n}: {v}\r\n"));
        }
        text.push_str("\r\n");
        let mut d = Decoder::new(DecoderLimits::default());
        d.push(text.as_bytes());
        let Ok(Some(Message::Request(req))) = d.next_message() else {
            panic!("bad test request {text}");
        };
        self.request_on(conn, &req)
    }

    /// DESCRIBE, SETUP of both tracks over TCP, PLAY; returns the session id.
    pub fn play_tcp(&mut self, conn: ConnId, url: &str) -> String {
        assert_eq!(self.send(conn, "DESCRIBE", url, &[]).status.0, 200);
        let r = self.send(
            conn,
            "SETUP",
            &format!("{url}/trackID=0"),
            &[("Transport", "RTP/AVP/TCP;unicast;interleaved=0-1")],
        );
        assert_eq!(r.status.0, 200, "{r:?}");
        let session = r
            .headers
            .get("Session")
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let r = self.send(
            conn,
            "SETUP",
            &format!("{url}/trackID=1"),
            &[
                ("Transport", "RTP/AVP/TCP;unicast;interleaved=2-3"),
                ("Session", &session),
            ],
        );
        assert_eq!(r.status.0, 200, "{r:?}");
        let r = self.send(
            conn,
            "PLAY",
            url,
            &[("Session", &session), ("Range", "npt=0.000-")],
        );
        assert_eq!(r.status.0, 200, "{r:?}");
        session
    }
}
