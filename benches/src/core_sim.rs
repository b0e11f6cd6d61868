//! The core [`Server`] driven in memory, without sockets or GStreamer, for
//! the fan-out micro-benchmark and the allocation count (`alloc-count`).
//!
//! [`Sim`] drains the server through the runtimes' own drain
//! ([`Conns::drain`], which gathers each connection's data of a drain) and
//! plays the socket layer and the media layer the way the runtimes do:
//! readers are TCP connections whose requests are fed as bytes (ffmpeg's
//! DESCRIBE, SETUP, SETUP, PLAY), every write completes at once (one
//! [`Input::Written`] per connection per drain, as a runtime reports one
//! `writev`), and sources answer [`Event::OpenSource`] with a synthetic
//! 1080p 4 Mbit/s H.264 + AAC stream ([`Media`]): live and paced in
//! simulated time, or a file handed over whole.
//!
//! After set-up nothing in the steady-state loop allocates on the harness
//! side (the media frames are prebuilt [`Bytes`] cloned by reference count,
//! the per-connection byte counters are preallocated), so that a counting
//! allocator measures the core and the shared drain alone.

use std::time::{Duration, Instant};

use bytes::Bytes;
use onvif_rtsp_core::config::{LoopCount, RtspConfig};
use onvif_rtsp_core::media::{
    AudioCodec, Codec, Frame, SourceId, SourceKind, SourceLocation, TrackInfo, VideoCodec,
};
use onvif_rtsp_core::rtsp::{Decoder, DecoderLimits, Message};
use onvif_rtsp_core::server::{ConnId, Event, Input, Listener, SendBuf, Server, ServerConfig};
use onvif_rtsp_runtime_common::udp_batch::Datagram;
use onvif_rtsp_runtime_common::{Conns, Sockets};

/// Video frame rate of the synthetic stream.
pub const FPS: u32 = 25;
/// Frames from one keyframe to the next (2 s, as `make-bench-media.sh`).
pub const GOP: u32 = 50;
/// Size of the synthetic IDR slice (a 1080p keyframe at 4 Mbit/s).
pub const IDR_BYTES: usize = 150_000;
/// Size of a synthetic P slice: the rest of 4 Mbit/s over a 50-frame GOP.
pub const P_BYTES: usize = 17_000;
/// AAC-LC 48 kHz: samples per frame.
pub const AAC_SAMPLES: u32 = 1024;
/// AAC sample rate.
pub const AAC_RATE: u32 = 48_000;
/// Size of one AAC frame at 128 kbit/s.
pub const AAC_BYTES: usize = 341;

/// A 1920x1080 High profile level 4.0 SPS (as x264 writes it).
pub const SPS: &[u8] = &[
    0x67, 0x64, 0x00, 0x28, 0xac, 0xd9, 0x40, 0x78, 0x02, 0x27, 0xe5, 0x84, 0x00, 0x00, 0x03, 0x00,
    0x04, 0x00, 0x00, 0x03, 0x00, 0xc8, 0x3c, 0x60, 0xc6, 0x58,
];
/// A PPS to go with [`SPS`].
pub const PPS: &[u8] = &[0x68, 0xeb, 0xe3, 0xcb, 0x22, 0xc0];

/// Bytes that never contain a start code (no zero byte).
fn filler(len: usize, seed: u32) -> impl Iterator<Item = u8> {
    (0..len as u32).map(move |i| (i.wrapping_mul(7).wrapping_add(seed)) as u8 | 1)
}

/// An Annex B access unit: SPS, PPS and an IDR slice of `IDR_BYTES`.
pub fn idr_access_unit(seed: u32) -> Bytes {
    let mut v = Vec::with_capacity(IDR_BYTES + 64);
    for nal in [SPS, PPS] {
        v.extend_from_slice(&[0, 0, 0, 1]);
        v.extend_from_slice(nal);
    }
    v.extend_from_slice(&[0, 0, 0, 1, 0x65]);
    v.extend(filler(IDR_BYTES, seed));
    Bytes::from(v)
}

/// An Annex B access unit: one non-IDR slice of `P_BYTES`.
pub fn p_access_unit(seed: u32) -> Bytes {
    let mut v = Vec::with_capacity(P_BYTES + 8);
    v.extend_from_slice(&[0, 0, 0, 1, 0x41]);
    v.extend(filler(P_BYTES, seed));
    Bytes::from(v)
}

/// The two tracks of the synthetic source: 1080p H.264 and AAC-LC 48 kHz stereo.
pub fn tracks() -> Vec<TrackInfo> {
    vec![
        TrackInfo {
            codec: Codec::Video(VideoCodec::H264),
            clock_rate: 90_000,
            sample_rate: 0,
            channels: 0,
            width: 1920,
            height: 1080,
            config: Bytes::new(),
        },
        TrackInfo {
            codec: Codec::Audio(AudioCodec::Aac),
            clock_rate: AAC_RATE,
            sample_rate: AAC_RATE,
            channels: 2,
            width: 0,
            height: 0,
            // AudioSpecificConfig: AAC-LC, 48 kHz, 2 channels.
            config: Bytes::from_static(&[0x11, 0x90]),
        },
    ]
}

/// One GOP of prebuilt video access units and one AAC frame; frames handed
/// to the server share these buffers (a reference count each).
#[derive(Clone)]
pub struct Media {
    gop: Vec<Bytes>,
    aac: Bytes,
}

impl Default for Media {
    fn default() -> Self {
        Media::new()
    }
}

impl Media {
    /// Builds the GOP.
    pub fn new() -> Media {
        let gop = (0..GOP)
            .map(|n| {
                if n == 0 {
                    idr_access_unit(n)
                } else {
                    p_access_unit(n)
                }
            })
            .collect();
        Media {
            gop,
            aac: Bytes::from(filler(AAC_BYTES, 5).collect::<Vec<u8>>()),
        }
    }

    /// Video frame `n` (a keyframe every [`GOP`] frames).
    pub fn video(&self, n: u32) -> Frame {
        let t = Duration::from_secs(1) * n / FPS;
        Frame {
            track: 0,
            pts: t,
            dts: t,
            keyframe: n % GOP == 0,
            data: self.gop[(n % GOP) as usize].clone(),
        }
    }

    /// AAC frame `n`.
    pub fn audio(&self, n: u32) -> Frame {
        let t = audio_time(n);
        Frame {
            track: 1,
            pts: t,
            dts: t,
            keyframe: true,
            data: self.aac.clone(),
        }
    }
}

fn audio_time(n: u32) -> Duration {
    Duration::from_nanos(
        u64::from(n) * u64::from(AAC_SAMPLES) * 1_000_000_000 / u64::from(AAC_RATE),
    )
}

fn video_time(n: u32) -> Duration {
    Duration::from_secs(1) * n / FPS
}

/// Which kind of source the readers play.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceMode {
    /// The live test source: one timeline, frames fed in simulated real time.
    Live,
    /// A file of this many seconds, handed over whole; looped forever.
    File {
        /// Length of the file.
        secs: u32,
    },
}

/// What the readers received.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Delivered {
    /// RTP packets (even interleaved channels), summed over readers.
    pub rtp_packets: u64,
    /// RTCP packets (odd channels).
    pub rtcp_packets: u64,
    /// Bytes of all sends, framing included.
    pub bytes: u64,
    /// `Output::Send` items.
    pub sends: u64,
    /// Other outputs (events, closes).
    pub other: u64,
}

/// The server, its readers and its source, in simulated time.
pub struct Sim {
    /// The machine under test.
    pub server: Server,
    /// The runtimes' drain, with its per-connection vectors.
    conns: Conns,
    /// The socket layer the drain writes to.
    io: SimSockets,
    t0: Instant,
    /// Simulated time since the start.
    pub elapsed: Duration,
    mode: SourceMode,
    media: Media,
    source: Option<SourceId>,
    readers: usize,
    next_deadline: Instant,
    next_video: u32,
    next_audio: u32,
}

/// The socket layer as the drain sees it: TCP writes complete at once and
/// are counted; events are answered or left to the media layer.
struct SimSockets {
    /// The simulated time of the current drain.
    now: Instant,
    /// Bytes written per connection, for the drain to report.
    written: Vec<(ConnId, usize)>,
    /// The connection being set up and the bytes it received.
    setup: Option<(ConnId, Vec<u8>)>,
    /// Sources the server asked to open during the drain.
    opens: Vec<(SourceId, SourceLocation)>,
    /// Totals since the last [`Sim::take_delivered`].
    delivered: Delivered,
}

impl Sockets for SimSockets {
    fn write(&mut self, conn: ConnId, data: &mut Vec<SendBuf>) {
        let mut n = 0;
        for buf in data.iter() {
            n += buf.len();
            self.delivered.sends += 1;
            // The interleave prefix is in the head (file sessions, RTCP) or
            // at the start of a shared live packet.
            let framing = if buf.head().len() >= 2 {
                buf.head()
            } else {
                &buf.body()[..]
            };
            if let [b'$', channel, ..] = framing {
                if channel % 2 == 0 {
                    self.delivered.rtp_packets += 1;
                } else {
                    self.delivered.rtcp_packets += 1;
                }
            }
            if let Some((c, bytes)) = &mut self.setup {
                if *c == conn {
                    bytes.extend_from_slice(buf.head());
                    bytes.extend_from_slice(buf.body());
                }
            }
        }
        data.clear();
        self.delivered.bytes += n as u64;
        self.written.push((conn, n));
    }

    fn written(&mut self) -> &mut Vec<(ConnId, usize)> {
        &mut self.written
    }

    fn close(&mut self, _: ConnId) {
        self.delivered.other += 1;
    }

    fn send_datagrams(&mut self, _: u16, datagrams: &[Datagram]) {
        self.delivered.other += datagrams.len() as u64;
    }

    fn event(&mut self, event: Event) -> Option<Input<'static>> {
        self.delivered.other += 1;
        match event {
            Event::OpenSource { source, spec } => {
                self.opens.push((source, spec.location));
                None
            }
            Event::OpenUdp { port, .. } => Some(Input::UdpOpened {
                port,
                result: Ok(()),
            }),
            _ => None,
        }
    }

    fn now(&self) -> Instant {
        self.now
    }
}

/// The server settings of every simulation: defaults, files loop forever.
pub fn server_config(seed: u64) -> ServerConfig {
    let rtsp = RtspConfig {
        loop_nums: LoopCount::Forever,
        ..RtspConfig::default()
    };
    let mut cfg = ServerConfig::new(rtsp);
    cfg.rng_seed = seed;
    cfg
}

impl Sim {
    /// A server with `readers` TCP readers playing a source of `mode`
    /// (DESCRIBE, SETUP of both tracks, PLAY, as ffmpeg sends them).
    ///
    /// # Panics
    /// When the server refuses a request: the simulation is then meaningless.
    pub fn new(readers: usize, mode: SourceMode) -> Sim {
        let t0 = Instant::now();
        let mut sim = Sim {
            server: Server::new(server_config(7), t0),
            conns: Conns::new(),
            io: SimSockets {
                now: t0,
                written: Vec::with_capacity(readers + 2),
                setup: None,
                opens: Vec::new(),
                delivered: Delivered::default(),
            },
            t0,
            elapsed: Duration::ZERO,
            mode,
            media: Media::new(),
            source: None,
            readers,
            next_deadline: t0,
            next_video: 1,
            next_audio: 0,
        };
        let url = match mode {
            SourceMode::Live => "rtsp://127.0.0.1:8554/testsrc".to_owned(),
            SourceMode::File { .. } => "rtsp://127.0.0.1:8554/bench.mp4".to_owned(),
        };
        for i in 1..=readers {
            sim.play(ConnId(i as u64), &url);
        }
        sim
    }

    /// The current instant.
    pub fn now(&self) -> Instant {
        self.t0 + self.elapsed
    }

    /// Number of readers.
    pub fn readers(&self) -> usize {
        self.readers
    }

    /// Returns and resets the delivery totals.
    pub fn take_delivered(&mut self) -> Delivered {
        std::mem::take(&mut self.io.delivered)
    }

    fn play(&mut self, conn: ConnId, url: &str) {
        self.server.handle_input(
            self.now(),
            Input::Accepted {
                conn,
                peer: format!("127.0.0.1:{}", 20000 + conn.0)
                    .parse()
                    .expect("address"),
                local: "127.0.0.1:8554".parse().expect("address"),
                listener: Listener::Rtsp,
            },
        );
        self.drain();
        let ua = "User-Agent: Lavf59.27.100\r\n";
        self.request(
            conn,
            &format!("DESCRIBE {url} RTSP/1.0\r\nAccept: application/sdp\r\nCSeq: 2\r\n{ua}\r\n"),
        );
        let r = self.request(
            conn,
            &format!(
                "SETUP {url}/trackID=0 RTSP/1.0\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1\r\nCSeq: 3\r\n{ua}\r\n"
            ),
        );
        let session =
            r.1.split(';')
                .next()
                .expect("a session id")
                .trim()
                .to_owned();
        self.request(
            conn,
            &format!(
                "SETUP {url}/trackID=1 RTSP/1.0\r\nTransport: RTP/AVP/TCP;unicast;interleaved=2-3\r\nCSeq: 4\r\n{ua}Session: {session}\r\n\r\n"
            ),
        );
        self.request(
            conn,
            &format!(
                "PLAY {url}/ RTSP/1.0\r\nRange: npt=0.000-\r\nCSeq: 5\r\n{ua}Session: {session}\r\n\r\n"
            ),
        );
    }

    /// Sends one request and returns the status and `Session` header of its answer.
    fn request(&mut self, conn: ConnId, text: &str) -> (u16, String) {
        self.io.setup = Some((conn, Vec::new()));
        self.server.handle_input(
            self.now(),
            Input::TcpData {
                conn,
                data: text.as_bytes(),
            },
        );
        self.drain();
        let (_, bytes) = self.io.setup.take().expect("set-up buffer");
        let mut decoder = Decoder::new(DecoderLimits {
            max_body: 1 << 20,
            ..DecoderLimits::default()
        });
        decoder.push(&bytes);
        while let Ok(Some(m)) = decoder.next_message() {
            if let Message::Response(r) = m {
                assert_eq!(
                    r.status.0,
                    200,
                    "{} -> {r:?}",
                    text.lines().next().unwrap_or("")
                );
                let session = r.headers.get("Session").unwrap_or("").to_owned();
                return (r.status.0, session);
            }
        }
        panic!("no response to {text}");
    }

    /// Answers the media layer's side of an `OpenSource`.
    fn open_source(&mut self, source: SourceId, location: &SourceLocation) {
        let now = self.now();
        let kind = match (self.mode, location) {
            (SourceMode::File { secs }, SourceLocation::File(_)) => SourceKind::File {
                duration: Some(Duration::from_secs(u64::from(secs))),
            },
            _ => SourceKind::Live,
        };
        self.source = Some(source);
        self.server.handle_input(
            now,
            Input::SourceReady {
                source,
                kind,
                tracks: tracks(),
            },
        );
        match kind {
            SourceKind::Live => {
                // The first keyframe, so DESCRIBE has SPS and PPS.
                let frame = self.media.video(0);
                self.server
                    .handle_input(now, Input::Media { source, frame });
            }
            SourceKind::File { .. } => {
                let SourceMode::File { secs } = self.mode else {
                    return;
                };
                let (mut v, mut a) = (0, 0);
                let end = Duration::from_secs(u64::from(secs));
                // Interleaved in decode order, as a demuxer hands them over.
                loop {
                    let (tv, ta) = (video_time(v), audio_time(a));
                    if tv >= end && ta >= end {
                        break;
                    }
                    let frame = if tv <= ta {
                        v += 1;
                        self.media.video(v - 1)
                    } else {
                        a += 1;
                        self.media.audio(a - 1)
                    };
                    self.server
                        .handle_input(now, Input::Media { source, frame });
                }
                self.server.handle_input(now, Input::SourceEnded { source });
            }
        }
    }

    /// Obeys the drain rule through the runtimes' drain (which reports
    /// each connection's bytes written once per drain, as one `writev`),
    /// and opens the sources it asked for.
    pub fn drain(&mut self) {
        loop {
            self.io.now = self.now();
            self.next_deadline = self.conns.drain(&mut self.server, &mut self.io);
            if self.io.opens.is_empty() {
                return;
            }
            for (source, location) in std::mem::take(&mut self.io.opens) {
                self.open_source(source, &location);
            }
        }
    }

    /// Feeds one live frame now (the next in decode order) and drains.
    /// Returns whether it was a video frame.
    pub fn feed_next_live_frame(&mut self) -> bool {
        let Some(source) = self.source else {
            return false;
        };
        let (tv, ta) = (video_time(self.next_video), audio_time(self.next_audio));
        let frame = if tv <= ta {
            self.next_video += 1;
            self.media.video(self.next_video - 1)
        } else {
            self.next_audio += 1;
            self.media.audio(self.next_audio - 1)
        };
        let video = frame.track == 0;
        self.server
            .handle_input(self.now(), Input::Media { source, frame });
        self.drain();
        video
    }

    /// Feeds `frame` of the live source at the current instant and drains.
    pub fn feed_live(&mut self, frame: Frame) {
        let Some(source) = self.source else {
            return;
        };
        self.server
            .handle_input(self.now(), Input::Media { source, frame });
        self.drain();
    }

    /// The prebuilt media.
    pub fn media(&self) -> &Media {
        &self.media
    }

    /// Runs simulated time forward by `d`: live frames arrive at their
    /// media times (relative to the start), timers fire at their deadlines.
    pub fn run_for(&mut self, d: Duration) {
        let end = self.elapsed + d;
        loop {
            let timer = self.next_deadline.saturating_duration_since(self.t0);
            let media = match (self.mode, self.source) {
                (SourceMode::Live, Some(_)) => {
                    video_time(self.next_video).min(audio_time(self.next_audio))
                }
                _ => Duration::MAX,
            };
            let next = timer.min(media);
            if next > end {
                break;
            }
            self.elapsed = self.elapsed.max(next);
            if media <= timer {
                self.feed_next_live_frame();
            } else {
                let now = self.now();
                self.server.handle_input(now, Input::Timeout);
                self.drain();
            }
        }
        self.elapsed = end;
    }
}
