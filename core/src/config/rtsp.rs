//! The `rtsp.cfg` schema: every setting of the manual's chapter 2.4/2.5.
//!
//! [`RtspConfig`] is the typed form of the file; `parse_rtsp_config` (in
//! `rtsp_parse`) fills it from XML. Field docs name the XML element each
//! field comes from.

use std::fmt;
use std::net::IpAddr;
use std::num::NonZeroU32;

use super::output_match::url_matches;
use crate::media::{AudioCodec, AudioOutput, VideoCodec, VideoOutput};

/// The whole `rtsp.cfg`.
///
/// [`RtspConfig::default`] is what the server runs with when there is no
/// file, and also what an element that is missing or empty falls back to.
/// The manual's template values (port 554, `metadata` 1, `log_level` 1 ...)
/// are what Happytime *ships in its file*, not built-in defaults, so a file
/// copied from the template behaves as the template says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RtspConfig {
    /// `<serverip>`: the address to listen on; `None` (empty) = all interfaces.
    pub server_ip: Option<IpAddr>,
    /// `<serverport>` (newer Happytime files: `<rtsp_port>`): the RTSP port.
    /// Defaults to 8554, not the manual's 554, because ports below 1024 need
    /// root on Linux; a config may still say 554.
    pub server_port: u16,
    /// `<loop_nums>`: how many times a media file is played.
    pub loop_nums: LoopCount,
    /// `<multicast>`: RTP multicast enabled.
    pub multicast: bool,
    /// `<udp_base_port>`: first port for RTP/RTCP over UDP (8 per session).
    pub udp_base_port: u16,
    /// `<metadata>`: the ONVIF metadata stream enabled.
    pub metadata: bool,
    /// `<rtsp_over_http>`: RTSP tunnelled over HTTP enabled.
    pub rtsp_over_http: bool,
    /// `<http_port>`: port for RTSP over HTTP.
    pub http_port: u16,
    /// `<rtsp_over_https>`: RTSP tunnelled over HTTPS enabled.
    pub rtsp_over_https: bool,
    /// `<https_port>`: port for RTSP over HTTPS.
    pub https_port: u16,
    /// `<cert_file>` (newer files: `<https_cert>`): HTTPS certificate file.
    pub cert_file: Option<String>,
    /// `<key_file>` (newer files: `<https_key>`): HTTPS private key file.
    pub key_file: Option<String>,
    /// `<need_auth>`: clients must authenticate as one of [`Self::users`].
    pub need_auth: bool,
    /// `<log_enable>`: logging enabled.
    pub log_enable: bool,
    /// `<log_level>`: the least severe level logged.
    pub log_level: LogLevel,
    /// `<user>` nodes, in file order.
    pub users: Vec<UserCredential>,
    /// `<output>` nodes, in file order (the order matters, see
    /// [`RtspConfig::output_for`]).
    pub outputs: Vec<OutputRule>,
    /// `<proxy>` nodes, in file order.
    pub proxies: Vec<ProxyConfig>,
    /// `<pusher>` nodes, in file order.
    pub pushers: Vec<PusherConfig>,
    /// `<backchannel>`: the ONVIF audio back channel, when configured.
    pub backchannel: Option<BackchannelConfig>,
    /// `<runtime>` (ours, not Happytime's): which runtime drives the
    /// server, `smol` or `glommio`; `None` leaves it to the command line
    /// and the default.
    pub runtime: Option<RuntimeKind>,
    /// `<pacing_ms>` (ours, not Happytime's): the pacing grid of file
    /// playback in milliseconds, 0-1000. A file frame is sent at the first
    /// multiple of it at or after its time, so a reader's audio and video,
    /// and all readers, share each wake-up and each reader gets one write
    /// per step; 0 sends every frame at its own time. `None`: the server's
    /// default ([`DEFAULT_PACING_MS`]).
    pub pacing_ms: Option<u16>,
    /// `<file_cache_mb>` (ours, not Happytime's): how many MiB of one
    /// media file the server keeps in memory, 1-1048576. A file is read
    /// once and kept whole for every reader (each starts, seeks and loops
    /// in it on its own); a larger one is served up to what fits. `None`:
    /// [`DEFAULT_FILE_CACHE_MB`].
    pub file_cache_mb: Option<u32>,
}

/// The file cache without `<file_cache_mb>`: 1 GiB, about 35 minutes of a
/// 4 Mbit/s stream.
pub const DEFAULT_FILE_CACHE_MB: u32 = 1024;

/// Largest `<file_cache_mb>`: 1 TiB, far beyond any machine's memory.
pub const MAX_FILE_CACHE_MB: u32 = 1 << 20;

/// The file pacing grid without `<pacing_ms>`: one frame interval at 25
/// fps. Sending a reader's frames in 40 ms steps rather than 20 ms ones
/// cuts the server's CPU by about a quarter at 100 readers (BENCHMARKS.md),
/// and 40 ms of jitter is far inside every client's buffer (ffmpeg,
/// GStreamer's 2 s, VLC's 1 s).
pub const DEFAULT_PACING_MS: u16 = 40;

/// Largest `<pacing_ms>`: beyond a second, playback would visibly stutter.
pub const MAX_PACING_MS: u16 = 1000;

/// The runtimes the server can run on (`<runtime>`, `--runtime`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RuntimeKind {
    /// One smol thread (portable; the default).
    Smol,
    /// glommio: io_uring, one shard per CPU (Linux).
    Glommio,
}

impl RuntimeKind {
    /// The name used in files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            RuntimeKind::Smol => "smol",
            RuntimeKind::Glommio => "glommio",
        }
    }

    /// Parses a name, ignoring case.
    pub fn from_name(name: &str) -> Option<RuntimeKind> {
        [RuntimeKind::Smol, RuntimeKind::Glommio]
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(name.trim()))
    }
}

impl Default for RtspConfig {
    /// The settings used without a config file: plain RTSP on port 8554,
    /// no authentication, logging at INFO, every optional feature off.
    fn default() -> Self {
        RtspConfig {
            server_ip: None,
            server_port: 8554,
            loop_nums: LoopCount::ONCE,
            multicast: false,
            udp_base_port: 22000,
            metadata: false,
            rtsp_over_http: false,
            http_port: 8080,
            rtsp_over_https: false,
            https_port: 443,
            cert_file: None,
            key_file: None,
            need_auth: false,
            log_enable: true,
            log_level: LogLevel::Info,
            users: Vec::new(),
            outputs: Vec::new(),
            proxies: Vec::new(),
            pushers: Vec::new(),
            backchannel: None,
            runtime: None,
            pacing_ms: None,
            file_cache_mb: None,
        }
    }
}

impl RtspConfig {
    /// The output settings for a stream, or `None` to send it as the source is.
    ///
    /// `stream_name` is the request path without the leading `/` and without
    /// Happytime's `&param=value` suffix or a query: `test.mp4`,
    /// `movies/sample.flv`, `screenlive`, `videodevice=HD Camera`.
    ///
    /// Rules are tried top to bottom and the first match wins (so the
    /// catch-all rule belongs last). A rule's `<url>` matches:
    /// - absent or empty (also `*`): every stream;
    /// - `*.ext`: names ending in `.ext`, compared case-insensitively;
    /// - `screenlive`, `videodevice`, `audiodevice`, `window`: that source
    ///   kind, alone or numbered (`screenlive1`, `videodevice2`) or named
    ///   (`videodevice=NAME`, `window=TITLE`);
    /// - anything else: that exact name, or a name whose last path segment
    ///   it is (`sample.flv` matches `movies/sample.flv`), case-sensitively.
    ///   A specific device (`videodevice1`) is matched this way too.
    ///
    /// Happytime itself matches by substring, so its `sample.flv` rule also
    /// catches `sample.flv.bak`; these rules agree with it on every example
    /// in the manual but do not have that surprise.
    pub fn output_for(&self, stream_name: &str) -> Option<&OutputRule> {
        self.outputs
            .iter()
            .find(|rule| url_matches(rule.url.as_deref(), stream_name))
    }

    /// Which optional features this config turns on, among `multicast`,
    /// `rtsp_over_http`, `rtsp_over_https`, `proxy`, `pusher`, `backchannel`
    /// and `metadata`, so the server can say which ones it does not serve yet.
    pub fn features_in_use(&self) -> Vec<&'static str> {
        [
            ("multicast", self.multicast),
            ("rtsp_over_http", self.rtsp_over_http),
            ("rtsp_over_https", self.rtsp_over_https),
            ("proxy", !self.proxies.is_empty()),
            ("pusher", !self.pushers.is_empty()),
            ("backchannel", self.backchannel.is_some()),
            ("metadata", self.metadata),
        ]
        .into_iter()
        .filter_map(|(name, on)| on.then_some(name))
        .collect()
    }
}

/// How many times a media file plays (`<loop_nums>`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LoopCount {
    /// `-1`: loop forever.
    Forever,
    /// Play this many times. A config's `0` is read as 1 (with a warning):
    /// a file always plays at least once.
    Times(NonZeroU32),
}

impl LoopCount {
    /// Play once: the default.
    pub const ONCE: LoopCount = LoopCount::Times(NonZeroU32::MIN);
}

impl Default for LoopCount {
    /// [`LoopCount::ONCE`].
    fn default() -> Self {
        LoopCount::ONCE
    }
}

/// Log levels of `<log_level>`, least severe first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LogLevel {
    /// `0`: TRACE.
    Trace = 0,
    /// `1`: DEBUG.
    Debug = 1,
    /// `2`: INFO.
    #[default]
    Info = 2,
    /// `3`: WARN.
    Warn = 3,
    /// `4`: ERROR.
    Error = 4,
    /// `5`: FATAL.
    Fatal = 5,
}

impl LogLevel {
    /// All levels, by number.
    const ALL: [LogLevel; 6] = [
        LogLevel::Trace,
        LogLevel::Debug,
        LogLevel::Info,
        LogLevel::Warn,
        LogLevel::Error,
        LogLevel::Fatal,
    ];

    /// The level for the manual's number 0-5.
    pub fn from_number(number: u8) -> Option<LogLevel> {
        Self::ALL.get(usize::from(number)).copied()
    }

    /// The level for its manual name (`TRACE` ... `FATAL`, any case; `WARNING`
    /// too).
    pub fn from_name(name: &str) -> Option<LogLevel> {
        if name.eq_ignore_ascii_case("WARNING") {
            return Some(LogLevel::Warn);
        }
        Self::ALL
            .into_iter()
            .find(|level| level.name().eq_ignore_ascii_case(name))
    }

    /// The manual's name: `TRACE`, `DEBUG`, `INFO`, `WARN`, `ERROR`, `FATAL`.
    pub fn name(self) -> &'static str {
        match self {
            LogLevel::Trace => "TRACE",
            LogLevel::Debug => "DEBUG",
            LogLevel::Info => "INFO",
            LogLevel::Warn => "WARN",
            LogLevel::Error => "ERROR",
            LogLevel::Fatal => "FATAL",
        }
    }
}

/// A `<user>`: RTSP login credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct UserCredential {
    /// `<username>`: never empty (a user without one is skipped).
    pub username: String,
    /// `<password>`: may be empty.
    pub password: String,
}

impl fmt::Debug for UserCredential {
    /// Keeps the password out of logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserCredential")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// An `<output>` rule: which streams it applies to and what to send.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OutputRule {
    /// `<url>`: the pattern of stream names it applies to; `None` = all
    /// (see [`RtspConfig::output_for`]).
    pub url: Option<String>,
    /// `<video>`: wanted video; all `None` = as the source.
    pub video: VideoOutput,
    /// `<audio>`: wanted audio; all `None` = as the source.
    pub audio: AudioOutput,
}

impl OutputRule {
    /// The rule's settings without its pattern.
    pub fn settings(&self) -> OutputSettings {
        OutputSettings {
            video: self.video,
            audio: self.audio,
        }
    }
}

/// The `<output>` of a proxy or pusher: what to transcode the stream to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct OutputSettings {
    /// `<video>`: wanted video; all `None` = as the source.
    pub video: VideoOutput,
    /// `<audio>`: wanted audio; all `None` = as the source.
    pub audio: AudioOutput,
}

/// A `<proxy>`: a remote stream re-served at `rtsp://server/<suffix>`.
#[derive(Clone, PartialEq, Eq)]
pub struct ProxyConfig {
    /// `<suffix>`: the path it is served at (no leading `/`); never empty.
    pub suffix: String,
    /// `<url>`: the rtsp/rtmp/srt/http-mjpeg source; never empty.
    pub url: String,
    /// `<user>`: login at the source, if any.
    pub user: Option<String>,
    /// `<pass>`: password at the source, if any.
    pub pass: Option<String>,
    /// `<transfer>`: how RTP comes from an RTSP source.
    pub transfer: ProxyTransfer,
    /// `<ondemand>`: connect only while someone watches (`false`: always).
    pub ondemand: bool,
    /// `<output>`: transcode to these settings; `None` = as the source.
    pub output: Option<OutputSettings>,
}

impl fmt::Debug for ProxyConfig {
    /// Keeps the password out of logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxyConfig")
            .field("suffix", &self.suffix)
            .field("url", &self.url)
            .field("user", &self.user)
            .field("pass", &self.pass.as_ref().map(|_| "<redacted>"))
            .field("transfer", &self.transfer)
            .field("ondemand", &self.ondemand)
            .field("output", &self.output)
            .finish()
    }
}

/// `<proxy><transfer>`: how the proxy's RTSP client receives RTP.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ProxyTransfer {
    /// `TCP`: interleaved in the RTSP connection (the default).
    #[default]
    Tcp,
    /// `UDP`: unicast UDP.
    Udp,
    /// `MULTICAST`: multicast UDP.
    Multicast,
}

/// A `<pusher>`: a stream pushed to the server, served at `rtsp://server/<suffix>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PusherConfig {
    /// `<suffix>`: the path it is served at (no leading `/`); never empty.
    pub suffix: String,
    /// `<video><codec>`: the pushed video codec; `None` = no video.
    pub video: Option<VideoCodec>,
    /// `<audio>`: the pushed audio; `None` = no audio.
    pub audio: Option<PusherAudio>,
    /// `<transfer>`: how the data arrives.
    pub transfer: PusherTransfer,
    /// `<output>`: transcode to these settings; `None` = as pushed.
    pub output: Option<OutputSettings>,
}

/// `<pusher><audio>`: the pushed audio format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PusherAudio {
    /// `<codec>`.
    pub codec: AudioCodec,
    /// `<samplerate>` in Hz; `None` = not given.
    pub sample_rate: Option<u32>,
    /// `<channels>`; `None` = not given.
    pub channels: Option<u8>,
}

/// `<pusher><transfer>`: how pushed data reaches the server.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct PusherTransfer {
    /// `<mode>`.
    pub mode: PusherTransferMode,
    /// `<ip>`: address to receive on (TCP/UDP modes); `None` = the default.
    pub ip: Option<IpAddr>,
    /// `<vport>`: video receive port (TCP/UDP modes).
    pub vport: Option<u16>,
    /// `<aport>`: audio receive port (TCP/UDP modes).
    pub aport: Option<u16>,
}

/// `<pusher><transfer><mode>`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum PusherTransferMode {
    /// `TCP`: raw data on a TCP connection to `ip:vport`/`ip:aport`.
    Tcp,
    /// `UDP`: raw data in UDP datagrams to `ip:vport`/`ip:aport`.
    Udp,
    /// `RTSP`: a standard RTSP push (ANNOUNCE/RECORD, as `ffmpeg -f rtsp`
    /// does). The default: it needs no other setting.
    #[default]
    Rtsp,
}

/// `<backchannel>`: the audio format clients send on the ONVIF back channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BackchannelConfig {
    /// `<codec>`; empty = G.711 mu-law, the codec every ONVIF client has.
    pub codec: AudioCodec,
    /// `<samplerate>` in Hz; empty or 0 = 8000.
    pub sample_rate: u32,
    /// `<channels>`; empty or 0 = 1.
    pub channels: u8,
}

impl Default for BackchannelConfig {
    /// G.711 mu-law, 8000 Hz, mono: the manual's template.
    fn default() -> Self {
        BackchannelConfig {
            codec: AudioCodec::Pcmu,
            sample_rate: 8000,
            channels: 1,
        }
    }
}
