//! One simulated RTSP reader: OPTIONS, DESCRIBE, SETUP per track, PLAY,
//! then counting what arrives until told to stop.
//!
//! Readers are `smol` tasks on a single-threaded executor. A TCP reader owns
//! one receive buffer; the hot path is one `read` into it and one pass of
//! [`FrameParser`] over the new bytes, which looks at each packet's 12-byte
//! RTP header and skips its payload: nothing is copied or allocated per
//! packet. A UDP reader binds an RTP/RTCP port pair per track on the local
//! address of its RTSP connection and receives each datagram with
//! `MSG_TRUNC` into a 16-byte buffer (the kernel reports the full length and
//! drops the payload).

mod conn;
mod media;
mod udp;

use std::cell::RefCell;
use std::collections::VecDeque;
use std::net::{Shutdown, TcpStream, ToSocketAddrs, UdpSocket};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use onvif_rtsp_core::client::sdp::parse_sdp;
use onvif_rtsp_core::client::url::{ControlStyle, UrlParts, parse_url, resolve_control};
use onvif_rtsp_core::rtsp::transport::parse_transports;
use smol::{Async, LocalExecutor, Task, Timer};

use crate::framing::FrameParser;
use crate::rtp_stats::ChannelStats;
use conn::{Conn, MAX_TEXT, StepError, step_err, with_timeout};
use media::MediaStats;
use udp::{bind_port_pair, receive_udp};

/// Lower transport the readers ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransportMode {
    /// RTP interleaved in the RTSP TCP connection (`RTP/AVP/TCP`).
    Tcp,
    /// RTP over UDP to a client port pair per track (`RTP/AVP`).
    Udp,
}

impl TransportMode {
    /// `tcp` or `udp`.
    pub fn as_str(self) -> &'static str {
        match self {
            TransportMode::Tcp => "tcp",
            TransportMode::Udp => "udp",
        }
    }
}

/// Parses the stream URL, `rtsp://[user[:pass]@]host[:port][/path]`, with
/// the core's client parser ([`parse_url`]). Only `rtsp://`: the readers
/// speak RTSP over plain TCP. The URL the readers send
/// ([`UrlParts::without_credentials`]) always names the port and has a
/// lower-case scheme, so requests and the report look the same whichever
/// way the URL was written.
pub fn parse_stream_url(url: &str) -> Result<UrlParts, String> {
    const SCHEME: &str = "rtsp://";
    let bad = |why: &str| format!("bad RTSP URL: {url}: {why}");
    let rest = url
        .get(..SCHEME.len())
        .filter(|s| s.eq_ignore_ascii_case(SCHEME))
        .map(|_| &url[SCHEME.len()..])
        .ok_or_else(|| bad("scheme must be rtsp://"))?;
    let mut parts = parse_url(url).ok_or_else(|| bad("expected host[:port]"))?;
    let path = &rest[rest.find(['/', '?']).unwrap_or(rest.len())..];
    let host = if parts.host.contains(':') {
        format!("[{}]", parts.host)
    } else {
        parts.host.clone()
    };
    parts.without_credentials = format!("{SCHEME}{host}:{}{path}", parts.port);
    Ok(parts)
}

/// What every reader of a run does.
#[derive(Clone, Debug)]
pub struct ReaderSpec {
    /// The stream URL ([`parse_stream_url`]).
    pub url: UrlParts,
    /// The transport to SETUP.
    pub transport: TransportMode,
    /// Limit for connecting and for each RTSP response.
    pub request_timeout: Duration,
    /// Size of the receive buffer of the RTSP connection.
    pub read_buffer: usize,
    /// `SO_RCVBUF` of each UDP socket, bytes (the kernel caps it at
    /// `net.core.rmem_max`); `0` keeps the system default.
    pub udp_rcvbuf: usize,
}

/// Reader life cycle, as seen by the controller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum ReaderState {
    /// Connecting or in the OPTIONS..PLAY exchange.
    Starting = 0,
    /// PLAY was answered 2xx; media is being counted.
    Playing = 1,
    /// Gave up (error, refusal or disconnect).
    Failed = 2,
    /// Stopped by the controller.
    Done = 3,
}

/// Counters a reader updates live and the controller samples from another
/// thread (relaxed atomics: one uncontended add per read).
#[derive(Debug, Default)]
pub struct ReaderLive {
    /// Every byte received: RTSP responses, frames, datagrams.
    pub bytes: AtomicU64,
    state: AtomicU8,
}

impl ReaderLive {
    /// The current state.
    pub fn state(&self) -> ReaderState {
        match self.state.load(Ordering::Acquire) {
            0 => ReaderState::Starting,
            1 => ReaderState::Playing,
            2 => ReaderState::Failed,
            _ => ReaderState::Done,
        }
    }

    fn set_state(&self, s: ReaderState) {
        self.state.store(s as u8, Ordering::Release);
    }
}

/// State shared by all readers of a run and the controller.
#[derive(Debug, Default)]
pub struct RunControl {
    stop: AtomicBool,
    /// Duplicated handles of the RTSP connections, shut down for reading at
    /// stop so that a reader blocked in `read` wakes up.
    wake: Mutex<Vec<TcpStream>>,
}

impl RunControl {
    /// Tells every reader to stop and wakes the idle ones.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        let handles = match self.wake.lock() {
            Ok(mut g) => std::mem::take(&mut *g),
            Err(p) => std::mem::take(&mut *p.into_inner()),
        };
        for h in handles {
            let _ = h.shutdown(Shutdown::Read);
        }
    }

    /// Whether stop was requested.
    pub fn stopping(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    fn register(&self, s: &TcpStream) {
        if let Ok(dup) = s.try_clone() {
            match self.wake.lock() {
                Ok(mut g) => g.push(dup),
                Err(p) => p.into_inner().push(dup),
            }
        }
    }
}

/// One track as set up.
#[derive(Clone, Debug, Default)]
pub struct TrackReport {
    /// Media kind from the SDP (`video`, `audio`).
    pub kind: String,
    /// Encoding name from the SDP.
    pub encoding: String,
    /// The control URL SETUP was sent to.
    pub control_url: String,
    /// RTP accounting.
    pub rtp: ChannelStats,
    /// RTCP packets (or compound packets) received for this track.
    pub rtcp_packets: u64,
}

/// What one reader saw, handed to the controller when it ends.
#[derive(Clone, Debug, Default)]
pub struct ReaderReport {
    /// Index of the reader in the run.
    pub id: usize,
    /// Why it failed, with the step (`connect`, `DESCRIBE`, ..., `reading`).
    pub error: Option<String>,
    /// PLAY was answered 2xx.
    pub played: bool,
    /// It was still connected and playing when the controller stopped it.
    pub connected_to_end: bool,
    /// Tracks in SDP order.
    pub tracks: Vec<TrackReport>,
    /// From writing PLAY to the first RTP packet.
    pub time_to_first_packet: Option<Duration>,
    /// From starting to connect to the PLAY reply.
    pub setup_time: Option<Duration>,
    /// Every byte received.
    pub bytes: u64,
    /// `$` frames on channels no SETUP reply announced.
    pub unknown_frames: u64,
    /// Datagrams too short to be RTP (UDP only).
    pub runt_datagrams: u64,
}

impl ReaderReport {
    /// RTP packets over all tracks.
    pub fn rtp_packets(&self) -> u64 {
        self.tracks.iter().map(|t| t.rtp.rtp_packets).sum()
    }

    /// Missing sequence numbers over all tracks.
    pub fn missing(&self) -> u64 {
        self.tracks.iter().map(|t| t.rtp.missing()).sum()
    }

    /// Late or duplicated packets over all tracks.
    pub fn late(&self) -> u64 {
        self.tracks.iter().map(|t| t.rtp.late()).sum()
    }
}

/// Runs one reader to the end and reports what it saw. `ex` is the
/// executor the reader runs on (UDP readers spawn a task per socket).
pub async fn run_reader(
    id: usize,
    spec: Arc<ReaderSpec>,
    live: Arc<ReaderLive>,
    control: Arc<RunControl>,
    ex: Rc<LocalExecutor<'static>>,
) -> ReaderReport {
    let media = Rc::new(RefCell::new(MediaStats::new()));
    let mut report = ReaderReport {
        id,
        ..ReaderReport::default()
    };
    let result = play_and_read(&spec, &live, &control, &ex, &media, &mut report).await;
    match result {
        Ok(()) => live.set_state(ReaderState::Done),
        Err(e) => {
            report.error = Some(e.to_string());
            live.set_state(ReaderState::Failed);
        }
    }
    let m = media.borrow();
    report.tracks = m.tracks.clone();
    report.unknown_frames = m.unknown_frames;
    report.runt_datagrams = m.runt_datagrams;
    report.bytes = live.bytes.load(Ordering::Relaxed);
    report
}

async fn play_and_read(
    spec: &ReaderSpec,
    live: &Arc<ReaderLive>,
    control: &RunControl,
    ex: &Rc<LocalExecutor<'static>>,
    media: &Rc<RefCell<MediaStats>>,
    report: &mut ReaderReport,
) -> Result<(), StepError> {
    let started = Instant::now();
    let url = spec.url.without_credentials.clone();
    let addr = (spec.url.host.as_str(), spec.url.port)
        .to_socket_addrs()
        .map_err(|e| step_err("resolve", e))?
        .next()
        .ok_or_else(|| step_err("resolve", "no address"))?;
    let stream = with_timeout(spec.request_timeout, Async::<TcpStream>::connect(addr))
        .await
        .map_err(|e| step_err("connect", e))?;
    let _ = stream.get_ref().set_nodelay(true);
    control.register(stream.get_ref());
    let local_ip = stream
        .get_ref()
        .local_addr()
        .map_err(|e| step_err("connect", e))?
        .ip();
    let mut conn = Conn {
        stream,
        buf: vec![0; spec.read_buffer.max(64)],
        filled: 0,
        parser: FrameParser::new(MAX_TEXT),
        pending: VecDeque::new(),
        media: media.clone(),
        live: live.clone(),
        cseq: 0,
        session: None,
        session_timeout: Duration::from_secs(60),
        credentials: spec
            .url
            .username
            .clone()
            .map(|u| (u, spec.url.password.clone().unwrap_or_default())),
        challenge: None,
        timeout: spec.request_timeout,
    };

    conn.request("OPTIONS", "OPTIONS", &url, &[]).await?;
    let desc = conn
        .request(
            "DESCRIBE",
            "DESCRIBE",
            &url,
            &[("Accept", "application/sdp")],
        )
        .await?;
    let base = desc
        .headers
        .get("Content-Base")
        .or_else(|| desc.headers.get("Content-Location"))
        .map(|b| b.trim().to_owned())
        .unwrap_or_else(|| url.clone());
    let sdp = parse_sdp(&String::from_utf8_lossy(&desc.body))
        .map_err(|_| step_err("DESCRIBE", "SDP has no media"))?;

    let mut udp_sockets: Vec<(usize, bool, Async<UdpSocket>)> = Vec::new();
    for (i, m) in sdp.media.iter().enumerate() {
        let control_url = resolve_control(
            &base,
            m.control.as_deref().unwrap_or(""),
            ControlStyle::Append,
        );
        let track = u8::try_from(i)
            .ok()
            .filter(|&t| t < 127)
            .ok_or_else(|| step_err("SETUP", "too many tracks"))?;
        let transport = match spec.transport {
            TransportMode::Tcp => format!(
                "RTP/AVP/TCP;unicast;interleaved={}-{}",
                2 * track,
                2 * track + 1
            ),
            TransportMode::Udp => {
                let (rtp, rtcp, port) =
                    bind_port_pair(local_ip, spec.udp_rcvbuf).map_err(|e| step_err("SETUP", e))?;
                udp_sockets.push((i, false, rtp));
                udp_sockets.push((i, true, rtcp));
                format!("RTP/AVP;unicast;client_port={}-{}", port, port + 1)
            }
        };
        let resp = conn
            .request("SETUP", "SETUP", &control_url, &[("Transport", &transport)])
            .await?;
        conn.take_session(&resp);
        let mut m_stats = media.borrow_mut();
        m_stats.tracks.push(TrackReport {
            kind: m.kind.clone(),
            encoding: m.encoding.clone().unwrap_or_default(),
            control_url,
            ..TrackReport::default()
        });
        if spec.transport == TransportMode::Tcp {
            // Use the channels the server chose; fall back to those asked for.
            let chosen = resp
                .headers
                .get("Transport")
                .and_then(|t| parse_transports(t).ok())
                .and_then(|specs| specs.first().and_then(|s| s.interleaved));
            let (rtp_ch, rtcp_ch) = match chosen {
                Some((a, b)) => (a, b.unwrap_or(a.wrapping_add(1))),
                None => (2 * track, 2 * track + 1),
            };
            m_stats.channel_map[usize::from(rtp_ch)] = track << 1;
            m_stats.channel_map[usize::from(rtcp_ch)] = (track << 1) | 1;
        }
    }
    if conn.session.is_none() {
        return Err(step_err("SETUP", "no Session header"));
    }

    // UDP receivers run as their own tasks, cancelled when this reader ends.
    let _udp_tasks: Vec<Task<()>> = udp_sockets
        .into_iter()
        .map(|(track, rtcp, sock)| {
            ex.spawn(receive_udp(sock, track, rtcp, media.clone(), live.clone()))
        })
        .collect();

    let play_url = resolve_control(
        &base,
        sdp.control.as_deref().unwrap_or("*"),
        ControlStyle::Append,
    );
    let play_sent = Instant::now();
    conn.request("PLAY", "PLAY", &play_url, &[("Range", "npt=0.000-")])
        .await?;
    report.played = true;
    report.setup_time = Some(started.elapsed());
    live.set_state(ReaderState::Playing);

    let result = match spec.transport {
        TransportMode::Tcp => read_interleaved(&mut conn, control, &play_url).await,
        TransportMode::Udp => watch_control(&mut conn, control, &play_url).await,
    };
    report.time_to_first_packet = media
        .borrow()
        .first_rtp
        .map(|t| t.saturating_duration_since(play_sent));
    result?;
    report.connected_to_end = true;
    // Best effort: the connection closes right after anyway.
    let _ = with_timeout(Duration::from_secs(1), async {
        conn.send("TEARDOWN", &play_url, &[]).await.map(|_| ())
    })
    .await;
    Ok(())
}

/// The TCP hot loop: read, count, and send a keepalive now and then.
async fn read_interleaved(
    conn: &mut Conn,
    control: &RunControl,
    session_url: &str,
) -> Result<(), StepError> {
    let interval = conn.keepalive_interval();
    let mut next_keepalive = Instant::now() + interval;
    loop {
        let n = conn.read_once().await;
        if control.stopping() {
            return Ok(());
        }
        match n {
            Ok(0) => return Err(step_err("reading", "server closed the connection")),
            Ok(_) => {}
            Err(e) => return Err(step_err("reading", e)),
        }
        // Keepalive replies are not waited for.
        conn.pending.clear();
        let now = Instant::now();
        if now >= next_keepalive {
            next_keepalive = now + interval;
            conn.send("GET_PARAMETER", session_url, &[])
                .await
                .map_err(|e| step_err("keepalive", e))?;
        }
    }
}

/// UDP mode: media arrives on the UDP tasks; this watches the RTSP
/// connection and keeps the session alive.
async fn watch_control(
    conn: &mut Conn,
    control: &RunControl,
    session_url: &str,
) -> Result<(), StepError> {
    let interval = conn.keepalive_interval();
    loop {
        let r = smol::future::or(async { Some(conn.read_once().await) }, async {
            Timer::after(interval).await;
            None
        })
        .await;
        if control.stopping() {
            return Ok(());
        }
        match r {
            Some(Ok(0)) => return Err(step_err("reading", "server closed the connection")),
            Some(Ok(_)) => conn.pending.clear(),
            Some(Err(e)) => return Err(step_err("reading", e)),
            None => {
                conn.send("GET_PARAMETER", session_url, &[])
                    .await
                    .map_err(|e| step_err("keepalive", e))?;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_urls() {
        let u = parse_stream_url("rtsp://admin:secret@127.0.0.1:8554/movie.mp4").expect("url");
        assert_eq!(u.host, "127.0.0.1");
        assert_eq!(u.port, 8554);
        assert_eq!(u.username.as_deref(), Some("admin"));
        assert_eq!(u.password.as_deref(), Some("secret"));
        assert_eq!(u.without_credentials, "rtsp://127.0.0.1:8554/movie.mp4");
        let u = parse_stream_url("RTSP://[::1]/x").expect("url");
        assert_eq!((u.host.as_str(), u.port), ("::1", 554));
        assert_eq!(u.without_credentials, "rtsp://[::1]:554/x");
        assert!(parse_stream_url("http://h/").is_err());
        assert!(parse_stream_url("rtsps://h/").is_err());
        assert!(parse_stream_url("rtsp://h:99999/").is_err());
    }

    #[test]
    fn controls_resolve_against_the_base() {
        let resolve =
            |base: &str, control: &str| resolve_control(base, control, ControlStyle::Append);
        let base = "rtsp://h:1/a.mp4/";
        assert_eq!(resolve(base, "trackID=0"), "rtsp://h:1/a.mp4/trackID=0");
        assert_eq!(
            resolve("rtsp://h:1/a.mp4", "trackID=1"),
            "rtsp://h:1/a.mp4/trackID=1"
        );
        assert_eq!(resolve(base, "*"), base);
        assert_eq!(resolve(base, "rtsp://x/y"), "rtsp://x/y");
    }

    #[test]
    fn sdp_controls_and_codecs() {
        let sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=x\r\nt=0 0\r\na=control:*\r\n\
                   m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=control:trackID=0\r\n\
                   m=audio 0 RTP/AVP 97\r\na=rtpmap:97 MPEG4-GENERIC/48000/2\r\na=control:trackID=1\r\n";
        let info = parse_sdp(sdp).expect("sdp");
        assert_eq!(info.control.as_deref(), Some("*"));
        assert_eq!(info.media.len(), 2);
        assert_eq!(info.media[0].kind, "video");
        assert_eq!(info.media[0].control.as_deref(), Some("trackID=0"));
        assert_eq!(info.media[0].encoding.as_deref(), Some("H264"));
        assert_eq!(info.media[1].encoding.as_deref(), Some("MPEG4-GENERIC"));
        let info = parse_sdp("a=rtpmap:\nm=\n\u{0}\na=control:").expect("sdp");
        assert_eq!(info.media.len(), 1);
        assert_eq!(info.media[0].control.as_deref(), Some(""));
    }
}
