//! The `onvif.cfg` schema: every setting of the manual's chapter 1.1.
//!
//! [`OnvifConfig`] is the typed form of the file; `parse_onvif_config` (in
//! `onvif_parse`) fills it from XML. Field docs name the XML element each
//! field comes from. The value types here ([`VideoEncoderSettings`],
//! [`AudioEncoderSettings`], [`UserLevel`] ...) are shared with the device's
//! runtime state ([`crate::onvif_state`]), which is built from this config
//! and persisted in `onvifrun.cfg` with the same element names.
//!
//! The ranges below ([`QUALITY_RANGE`], [`FRAMERATE_RANGE`] ...) are both
//! what a config value must lie in and what the device advertises in its
//! encoder configuration options, so a config that loads is always a
//! configuration the device can report as valid.

use std::fmt;
use std::net::IpAddr;
use std::ops::RangeInclusive;

use super::rtsp::LogLevel;
use crate::media::{AudioCodec, VideoCodec};

/// Most media profiles a device holds (the manual: "a maximum of 8-10
/// profiles are supported, because too many profiles will result in too
/// large GetProfiles response messages").
pub const MAX_PROFILES: usize = 10;

/// Encoder quality range (ONVIF `QualityRange`); higher is better.
pub const QUALITY_RANGE: RangeInclusive<f32> = 0.0..=100.0;

/// Encoder frame rate range in frames per second.
pub const FRAMERATE_RANGE: RangeInclusive<u32> = 1..=60;

/// Encoding interval range (1 = every frame, 2 = every second frame ...).
pub const ENCODING_INTERVAL_RANGE: RangeInclusive<u32> = 1..=30;

/// Video bit rate limit range in kbit/s.
pub const BITRATE_RANGE: RangeInclusive<u32> = 32..=16384;

/// Group-of-video (I-frame interval) length range, in frames.
pub const GOV_LENGTH_RANGE: RangeInclusive<u32> = 1..=300;

/// RTSP session timeout range of encoder configurations, in seconds.
pub const SESSION_TIMEOUT_RANGE: RangeInclusive<u32> = 1..=3600;

/// Encoded and source picture size range, in pixels, for either side. The
/// RTSP server accepts even sizes 16-8192 in a stream URL's `w=`/`h=`.
pub const DIMENSION_RANGE: RangeInclusive<u32> = 16..=8192;

/// Largest JPEG side: RFC 2435 carries width/8 and height/8 in one byte.
pub const JPEG_MAX_DIMENSION: u32 = 2040;

/// Event subscription renew interval range, in seconds.
pub const RENEW_INTERVAL_RANGE: RangeInclusive<u32> = 1..=86_400;

/// The server elements of `onvif.cfg`: where and how ONVIF is served.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerSettings {
    /// `<server_ip>`: the address to listen on and to advertise; `None`
    /// (empty) = all interfaces, advertise the request's `Host`.
    pub server_ip: Option<IpAddr>,
    /// `<http_enable>`: serve ONVIF over plain HTTP.
    pub http_enable: bool,
    /// `<http_port>` (older Happytime files: `<server_port>`): the HTTP port.
    pub http_port: u16,
    /// `<https_enable>`: serve ONVIF over HTTPS.
    pub https_enable: bool,
    /// `<https_port>`: the HTTPS port.
    pub https_port: u16,
    /// `<cert_file>`: HTTPS certificate (PEM) file.
    pub cert_file: Option<String>,
    /// `<key_file>`: HTTPS private key (PEM) file.
    pub key_file: Option<String>,
    /// `<http_max_users>`: most concurrent HTTP connections (and as many
    /// again over HTTPS).
    pub http_max_users: u32,
    /// `<need_auth>`: requests must authenticate as one of [`OnvifConfig::users`]
    /// (except the ONVIF pre-authentication operations).
    pub need_auth: bool,
    /// `<log_enable>`: logging enabled.
    pub log_enable: bool,
    /// `<log_level>`: the least severe level logged.
    pub log_level: LogLevel,
}

impl Default for ServerSettings {
    /// HTTP on port 8000, HTTPS off (port 8443), 16 users, no
    /// authentication, logging at INFO.
    fn default() -> Self {
        ServerSettings {
            server_ip: None,
            http_enable: true,
            http_port: 8000,
            https_enable: false,
            https_port: 8443,
            cert_file: None,
            key_file: None,
            http_max_users: 16,
            need_auth: false,
            log_enable: true,
            log_level: LogLevel::Info,
        }
    }
}

/// The whole `onvif.cfg`.
///
/// [`OnvifConfig::default`] is what the device runs with when there is no
/// file; a missing or empty element of a file falls back to the same value.
#[derive(Clone, Debug, PartialEq)]
pub struct OnvifConfig {
    /// The server elements (`<server_ip>` ... `<log_level>`), kept as one
    /// value because the device state carries them into `onvifrun.cfg`.
    pub server: ServerSettings,
    /// `<EndpointReference>` (newer Happytime files): the WS-Discovery
    /// endpoint reference (`urn:uuid:...`); `None` = generate one once.
    pub endpoint_reference: Option<String>,
    /// `<information>`: what GetDeviceInformation reports.
    pub information: DeviceInformation,
    /// `<user>` nodes, in file order.
    pub users: Vec<OnvifUser>,
    /// `<profile>` nodes, in file order: the media profiles (channels).
    pub profiles: Vec<ProfileConfig>,
    /// `<scope>` nodes, in file order.
    pub scopes: Vec<ScopeConfig>,
    /// `<event>`: event service settings.
    pub event: EventConfig,
}

/// The built-in live test stream's name (the RTSP server's
/// `ServerConfig::test_pattern_stream`), used by the default profiles.
pub const DEFAULT_STREAM: &str = "testsrc";

impl Default for OnvifConfig {
    /// HTTP on port 8000, HTTPS off, no authentication, one user
    /// `admin`/`admin` (Administrator), our own device information, and two
    /// profiles on the built-in test stream: a main 1280x720 H.264 25 fps
    /// 2048 kbit/s profile with G.711 audio and a 640x360 H.264 sub-stream,
    /// both from one 1280x720 video source. Two profiles, because the npm
    /// `onvif` client breaks on a single `<Profiles>` element.
    fn default() -> Self {
        OnvifConfig {
            server: ServerSettings::default(),
            endpoint_reference: None,
            information: DeviceInformation::default(),
            users: vec![OnvifUser {
                username: "admin".into(),
                password: "admin".into(),
                level: UserLevel::Administrator,
                fixed: true,
            }],
            profiles: default_profiles(),
            scopes: default_scopes(),
            event: EventConfig::default(),
        }
    }
}

/// The two default profiles (see [`OnvifConfig::default`]).
pub(crate) fn default_profiles() -> Vec<ProfileConfig> {
    let source = Resolution::new(1280, 720);
    let main = ProfileConfig {
        name: Some("MainStream".into()),
        video_source: Some(source),
        video_encoder: Some(VideoEncoderSettings {
            quality: 70.0,
            ..VideoEncoderSettings::default()
        }),
        audio_source: true,
        audio_encoder: Some(AudioEncoderSettings::default()),
        ..ProfileConfig::default()
    };
    let sub = ProfileConfig {
        name: Some("SubStream".into()),
        video_source: Some(source),
        video_encoder: Some(VideoEncoderSettings {
            resolution: Resolution::new(640, 360),
            quality: 50.0,
            bitrate_limit: 512,
            ..VideoEncoderSettings::default()
        }),
        ..ProfileConfig::default()
    };
    vec![main, sub]
}

/// The default scopes: the profiles we implement, a name, a hardware and a
/// location (the categories WS-Discovery clients filter on).
pub(crate) fn default_scopes() -> Vec<ScopeConfig> {
    [
        "onvif://www.onvif.org/Profile/Streaming",
        "onvif://www.onvif.org/Profile/T",
        "onvif://www.onvif.org/type/video_encoder",
        "onvif://www.onvif.org/type/audio_encoder",
        "onvif://www.onvif.org/name/onvif-rtsp-server",
        "onvif://www.onvif.org/hardware/Virtual-Camera",
        "onvif://www.onvif.org/location/anywhere",
    ]
    .into_iter()
    .map(ScopeConfig::fixed)
    .collect()
}

/// `<information>`: the device identity of GetDeviceInformation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceInformation {
    /// `<Manufacturer>`.
    pub manufacturer: String,
    /// `<Model>`.
    pub model: String,
    /// `<FirmwareVersion>`.
    pub firmware_version: String,
    /// `<SerialNumber>`.
    pub serial_number: String,
    /// `<HardwareId>`.
    pub hardware_id: String,
}

impl Default for DeviceInformation {
    /// Ours: manufacturer `onvif-rtsp-server`, model `Virtual Camera`,
    /// firmware = this crate's version.
    fn default() -> Self {
        DeviceInformation {
            manufacturer: "onvif-rtsp-server".into(),
            model: "Virtual Camera".into(),
            firmware_version: env!("CARGO_PKG_VERSION").into(),
            serial_number: "ORS-0000001".into(),
            hardware_id: "ORS-1".into(),
        }
    }
}

/// `<user>`: an ONVIF user account.
#[derive(Clone, PartialEq, Eq)]
pub struct OnvifUser {
    /// `<username>`: never empty (a user without one is skipped).
    pub username: String,
    /// `<password>`: may be empty.
    pub password: String,
    /// `<userlevel>`; Administrator when empty, as in Happytime.
    pub level: UserLevel,
    /// `<fixed>` (Happytime's runtime files): a fixed user cannot be
    /// deleted through ONVIF. Users of `onvif.cfg` are fixed unless
    /// `<fixed>0</fixed>` says otherwise, as in Happytime.
    pub fixed: bool,
}

impl fmt::Debug for OnvifUser {
    /// Keeps the password out of logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OnvifUser")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("level", &self.level)
            .field("fixed", &self.fixed)
            .finish()
    }
}

/// `<userlevel>`: the ONVIF user levels (shared with the security layer).
pub use crate::onvif::access::UserLevel;

/// A picture size in pixels.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Resolution {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

impl Resolution {
    /// A `width` x `height` size.
    pub const fn new(width: u32, height: u32) -> Resolution {
        Resolution { width, height }
    }

    /// Pixels in the picture (for sorting by size).
    pub fn area(self) -> u64 {
        u64::from(self.width) * u64::from(self.height)
    }
}

impl fmt::Display for Resolution {
    /// `1280x720`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}x{}", self.width, self.height)
    }
}

/// `<profile>`: one media profile (a channel).
#[derive(Clone, Debug, PartialEq)]
pub struct ProfileConfig {
    /// The `token` attribute (Happytime's runtime files); `None` = the
    /// next `ProfileToken_N`.
    pub token: Option<String>,
    /// `<Name>`; `None` = `ProfileName_N`.
    pub name: Option<String>,
    /// The `fixed` attribute: a fixed profile cannot be deleted through
    /// ONVIF. Profiles of `onvif.cfg` are fixed unless `fixed="0"`.
    pub fixed: bool,
    /// `<video_source>`: the size of the video source; profiles with equal
    /// sizes share one video source (manual section 1.6). `None` = no video
    /// source configuration, unless there is a video encoder (then the
    /// source has the encoder's size).
    pub video_source: Option<Resolution>,
    /// `<video_encoder>`: the video encoder configuration, if any.
    pub video_encoder: Option<VideoEncoderSettings>,
    /// `<audio_source>` (present, usually empty): the profile has audio.
    pub audio_source: bool,
    /// `<audio_encoder>`: the audio encoder configuration, if any.
    pub audio_encoder: Option<AudioEncoderSettings>,
    /// `<stream_uri>`: the RTSP address clients get; `None` = our own
    /// server's default stream with the encoder parameters appended.
    pub stream_uri: Option<String>,
    /// `<stream_uri append_params="1">`: append the encoder parameters
    /// (`&t=&p=&ve=&w=&h=&ae=&sr=`) to [`Self::stream_uri`] too.
    pub append_params: bool,
}

impl Default for ProfileConfig {
    /// A fixed profile with nothing in it.
    fn default() -> Self {
        ProfileConfig {
            token: None,
            name: None,
            fixed: true,
            video_source: None,
            video_encoder: None,
            audio_source: false,
            audio_encoder: None,
            stream_uri: None,
            append_params: false,
        }
    }
}

/// `<video_encoder><encoding>`: the ONVIF video encodings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum VideoEncoding {
    /// Motion JPEG.
    Jpeg,
    /// MPEG-4 Part 2 (`MPEG4`; RTP `MP4V-ES`).
    Mpeg4,
    /// H.264 / AVC.
    #[default]
    H264,
    /// H.265 / HEVC (Media2 only in ONVIF).
    H265,
}

impl VideoEncoding {
    /// All encodings, in ONVIF's order.
    pub const ALL: [VideoEncoding; 4] = [
        VideoEncoding::Jpeg,
        VideoEncoding::Mpeg4,
        VideoEncoding::H264,
        VideoEncoding::H265,
    ];

    /// The manual's and Media (ver10) name: `JPEG`, `MPEG4`, `H264`, `H265`.
    pub fn name(self) -> &'static str {
        match self {
            VideoEncoding::Jpeg => "JPEG",
            VideoEncoding::Mpeg4 => "MPEG4",
            VideoEncoding::H264 => "H264",
            VideoEncoding::H265 => "H265",
        }
    }

    /// The RTP / Media2 (ver20) name, also the stream URL's `ve=` value:
    /// `JPEG`, `MP4V-ES`, `H264`, `H265`.
    pub fn rtp_name(self) -> &'static str {
        match self {
            VideoEncoding::Jpeg => "JPEG",
            VideoEncoding::Mpeg4 => "MP4V-ES",
            VideoEncoding::H264 => "H264",
            VideoEncoding::H265 => "H265",
        }
    }

    /// The encoding for a manual, Media or Media2 name, any case
    /// (`JPEG`, `MPEG4`/`MP4V-ES`, `H264`, `H265`).
    pub fn from_name(name: &str) -> Option<VideoEncoding> {
        let is = |n: &str| name.eq_ignore_ascii_case(n);
        if is("JPEG") {
            Some(VideoEncoding::Jpeg)
        } else if is("MPEG4") || is("MP4V-ES") {
            Some(VideoEncoding::Mpeg4)
        } else if is("H264") {
            Some(VideoEncoding::H264)
        } else if is("H265") {
            Some(VideoEncoding::H265)
        } else {
            None
        }
    }

    /// The media layer's codec.
    pub fn codec(self) -> VideoCodec {
        match self {
            VideoEncoding::Jpeg => VideoCodec::Jpeg,
            VideoEncoding::Mpeg4 => VideoCodec::Mpeg4,
            VideoEncoding::H264 => VideoCodec::H264,
            VideoEncoding::H265 => VideoCodec::H265,
        }
    }

    /// `true` when the encoding has a GOV length and a profile.
    pub fn has_gov(self) -> bool {
        self != VideoEncoding::Jpeg
    }

    /// The resolutions always offered for this encoding, largest first
    /// (the device adds the sizes its configurations use).
    pub fn standard_resolutions(self) -> &'static [Resolution] {
        const JPEG: [Resolution; 7] = [
            Resolution::new(1920, 1080),
            Resolution::new(1280, 720),
            Resolution::new(1024, 576),
            Resolution::new(640, 480),
            Resolution::new(640, 360),
            Resolution::new(352, 288),
            Resolution::new(320, 240),
        ];
        const OTHERS: [Resolution; 9] = [
            Resolution::new(1920, 1080),
            Resolution::new(1280, 720),
            Resolution::new(1024, 576),
            Resolution::new(704, 576),
            Resolution::new(640, 480),
            Resolution::new(640, 360),
            Resolution::new(352, 288),
            Resolution::new(320, 240),
            Resolution::new(320, 180),
        ];
        match self {
            VideoEncoding::Jpeg => &JPEG,
            _ => &OTHERS,
        }
    }

    /// Whether this encoding can carry a picture side of `side` pixels: in
    /// [`DIMENSION_RANGE`] and even; for JPEG also a multiple of 8 up to
    /// [`JPEG_MAX_DIMENSION`] (RFC 2435). `Err` says what is expected.
    pub fn check_dimension(self, side: u32) -> Result<(), &'static str> {
        if !DIMENSION_RANGE.contains(&side) || side % 2 != 0 {
            return Err("expected an even size 16-8192");
        }
        if self == VideoEncoding::Jpeg && (side > JPEG_MAX_DIMENSION || side % 8 != 0) {
            return Err("expected a multiple of 8 up to 2040 (JPEG)");
        }
        Ok(())
    }

    /// Whether this encoding can carry a picture of `size` (see
    /// [`Self::check_dimension`]).
    pub fn check_resolution(self, size: Resolution) -> Result<(), &'static str> {
        self.check_dimension(size.width)?;
        self.check_dimension(size.height)
    }
}

impl fmt::Display for VideoEncoding {
    /// The manual's name.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `<h264_profile>`: the H.264 profiles.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum H264Profile {
    /// Constrained/Baseline profile.
    Baseline,
    /// Main profile (Happytime's default).
    #[default]
    Main,
    /// Extended profile (accepted in a config; not offered: no encoder
    /// produces it).
    Extended,
    /// High profile.
    High,
}

impl H264Profile {
    /// The profiles the device offers.
    pub const SUPPORTED: [H264Profile; 3] =
        [H264Profile::Baseline, H264Profile::Main, H264Profile::High];

    /// The ONVIF name: `Baseline`, `Main`, `Extended`, `High`.
    pub fn name(self) -> &'static str {
        match self {
            H264Profile::Baseline => "Baseline",
            H264Profile::Main => "Main",
            H264Profile::Extended => "Extended",
            H264Profile::High => "High",
        }
    }

    /// The profile for its ONVIF name, any case.
    pub fn from_name(name: &str) -> Option<H264Profile> {
        [
            H264Profile::Baseline,
            H264Profile::Main,
            H264Profile::Extended,
            H264Profile::High,
        ]
        .into_iter()
        .find(|p| p.name().eq_ignore_ascii_case(name))
    }
}

/// `<h265_profile>`: the H.265 profiles.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum H265Profile {
    /// Main profile (8 bit).
    #[default]
    Main,
    /// Main 10 profile (10 bit).
    Main10,
}

impl H265Profile {
    /// The profiles the device offers.
    pub const SUPPORTED: [H265Profile; 2] = [H265Profile::Main, H265Profile::Main10];

    /// The ONVIF name: `Main`, `Main10`.
    pub fn name(self) -> &'static str {
        match self {
            H265Profile::Main => "Main",
            H265Profile::Main10 => "Main10",
        }
    }

    /// The profile for its ONVIF name, any case.
    pub fn from_name(name: &str) -> Option<H265Profile> {
        Self::SUPPORTED
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(name))
    }
}

/// `<mpeg4_profile>`: the MPEG-4 visual profiles.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Mpeg4Profile {
    /// Simple profile (`SP`).
    #[default]
    Simple,
    /// Advanced simple profile (`ASP`).
    AdvancedSimple,
}

impl Mpeg4Profile {
    /// The profiles the device offers.
    pub const SUPPORTED: [Mpeg4Profile; 2] = [Mpeg4Profile::Simple, Mpeg4Profile::AdvancedSimple];

    /// The ONVIF name: `SP`, `ASP`.
    pub fn name(self) -> &'static str {
        match self {
            Mpeg4Profile::Simple => "SP",
            Mpeg4Profile::AdvancedSimple => "ASP",
        }
    }

    /// The profile for its ONVIF name, any case.
    pub fn from_name(name: &str) -> Option<Mpeg4Profile> {
        Self::SUPPORTED
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(name))
    }
}

/// The GOV length and profile of one codec (`<h264>`, `<h265>`, `<mpeg4>`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GovSettings<P> {
    /// `<gov_length>`: frames from one I-frame to the next.
    pub gov_length: u32,
    /// `<h264_profile>`, `<h265_profile>` or `<mpeg4_profile>`.
    pub profile: P,
}

impl<P: Default> Default for GovSettings<P> {
    /// GOV length 30 and the codec's default profile, as Happytime does
    /// for an element that is not given.
    fn default() -> Self {
        GovSettings {
            gov_length: 30,
            profile: P::default(),
        }
    }
}

/// `<video_encoder>`: what a video encoder configuration produces.
///
/// The settings of all three codecs are kept, so that switching the
/// encoding away and back restores them; the active one is
/// [`Self::encoding`]'s.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VideoEncoderSettings {
    /// `<encoding>`.
    pub encoding: VideoEncoding,
    /// `<width>` and `<height>`: the encoded picture size.
    pub resolution: Resolution,
    /// `<quality>`: in [`QUALITY_RANGE`], higher is better.
    pub quality: f32,
    /// `<session_timeout>`: RTSP session timeout in seconds.
    pub session_timeout: u32,
    /// `<framerate>`: frame rate limit in frames per second.
    pub framerate: u32,
    /// `<encoding_interval>`: encode every Nth frame.
    pub encoding_interval: u32,
    /// `<bitrate_limit>`: in kbit/s.
    pub bitrate_limit: u32,
    /// `<h264>`.
    pub h264: GovSettings<H264Profile>,
    /// `<h265>`.
    pub h265: GovSettings<H265Profile>,
    /// `<mpeg4>`.
    pub mpeg4: GovSettings<Mpeg4Profile>,
}

impl Default for VideoEncoderSettings {
    /// H.264 Main 1280x720, 25 fps, 2048 kbit/s, GOV 25, quality 50,
    /// session timeout 60 s: what an empty element means.
    fn default() -> Self {
        VideoEncoderSettings {
            encoding: VideoEncoding::H264,
            resolution: Resolution::new(1280, 720),
            quality: 50.0,
            session_timeout: 60,
            framerate: 25,
            encoding_interval: 1,
            bitrate_limit: 2048,
            h264: GovSettings {
                gov_length: 25,
                profile: H264Profile::Main,
            },
            h265: GovSettings {
                gov_length: 25,
                profile: H265Profile::Main,
            },
            mpeg4: GovSettings {
                gov_length: 25,
                profile: Mpeg4Profile::Simple,
            },
        }
    }
}

impl VideoEncoderSettings {
    /// The GOV length of the active encoding; `None` for JPEG.
    pub fn gov_length(&self) -> Option<u32> {
        match self.encoding {
            VideoEncoding::Jpeg => None,
            VideoEncoding::Mpeg4 => Some(self.mpeg4.gov_length),
            VideoEncoding::H264 => Some(self.h264.gov_length),
            VideoEncoding::H265 => Some(self.h265.gov_length),
        }
    }

    /// The ONVIF profile name of the active encoding (`Main`, `SP` ...);
    /// `None` for JPEG.
    pub fn profile_name(&self) -> Option<&'static str> {
        match self.encoding {
            VideoEncoding::Jpeg => None,
            VideoEncoding::Mpeg4 => Some(self.mpeg4.profile.name()),
            VideoEncoding::H264 => Some(self.h264.profile.name()),
            VideoEncoding::H265 => Some(self.h265.profile.name()),
        }
    }
}

/// `<audio_encoder><encoding>`: the ONVIF audio encodings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum AudioEncoding {
    /// G.711; sent as mu-law (`PCMU`), as Happytime does.
    #[default]
    G711,
    /// G.726 ADPCM.
    G726,
    /// AAC (RTP `MP4A-LATM` in the stream URL).
    Aac,
}

impl AudioEncoding {
    /// All encodings.
    pub const ALL: [AudioEncoding; 3] =
        [AudioEncoding::G711, AudioEncoding::G726, AudioEncoding::Aac];

    /// The manual's and Media (ver10) name: `G711`, `G726`, `AAC`.
    pub fn name(self) -> &'static str {
        match self {
            AudioEncoding::G711 => "G711",
            AudioEncoding::G726 => "G726",
            AudioEncoding::Aac => "AAC",
        }
    }

    /// The RTP / Media2 (ver20) name, also the stream URL's `ae=` value:
    /// `PCMU`, `G726`, `MP4A-LATM`.
    pub fn rtp_name(self) -> &'static str {
        match self {
            AudioEncoding::G711 => "PCMU",
            AudioEncoding::G726 => "G726",
            AudioEncoding::Aac => "MP4A-LATM",
        }
    }

    /// The encoding for a manual, Media or Media2 name, any case (`G711`,
    /// `PCMU`, `G726`, `AAC`, `MP4A-LATM`, `MPEG4-GENERIC`).
    pub fn from_name(name: &str) -> Option<AudioEncoding> {
        let is = |n: &str| name.eq_ignore_ascii_case(n);
        if is("G711") || is("PCMU") {
            Some(AudioEncoding::G711)
        } else if is("G726") {
            Some(AudioEncoding::G726)
        } else if is("AAC") || is("MP4A-LATM") || is("MPEG4-GENERIC") {
            Some(AudioEncoding::Aac)
        } else {
            None
        }
    }

    /// The bit rates offered, in kbit/s.
    pub fn bitrates(self) -> &'static [u32] {
        match self {
            AudioEncoding::G711 => &[64],
            AudioEncoding::G726 => &[16, 24, 32, 40],
            AudioEncoding::Aac => &[32, 48, 64, 96, 128, 160, 192, 256],
        }
    }

    /// The sample rates offered, in kHz (ONVIF's unit; 44 means 44.1 kHz).
    pub fn sample_rates(self) -> &'static [u32] {
        match self {
            AudioEncoding::G711 | AudioEncoding::G726 => &[8],
            AudioEncoding::Aac => &[8, 16, 32, 44, 48],
        }
    }

    /// The media layer's codec for `bitrate` kbit/s.
    pub fn codec(self, bitrate: u32) -> AudioCodec {
        match self {
            AudioEncoding::G711 => AudioCodec::Pcmu,
            AudioEncoding::G726 => AudioCodec::G726 {
                kbps: u8::try_from(bitrate).unwrap_or(32),
            },
            AudioEncoding::Aac => AudioCodec::Aac,
        }
    }
}

impl fmt::Display for AudioEncoding {
    /// The manual's name.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A sample rate in ONVIF's kHz as Hz: 11, 22 and 44 are the 11.025, 22.05
/// and 44.1 kHz family; the others are whole kHz.
pub fn sample_rate_hz(khz: u32) -> u32 {
    match khz {
        11 => 11_025,
        22 => 22_050,
        44 => 44_100,
        _ => khz.saturating_mul(1000),
    }
}

/// `<audio_encoder>`: what an audio encoder configuration produces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AudioEncoderSettings {
    /// `<encoding>`.
    pub encoding: AudioEncoding,
    /// `<bitrate>` in kbit/s, one of [`AudioEncoding::bitrates`].
    pub bitrate: u32,
    /// `<sample_rate>` in kHz, one of [`AudioEncoding::sample_rates`].
    pub sample_rate: u32,
    /// `<session_timeout>`: RTSP session timeout in seconds.
    pub session_timeout: u32,
}

impl Default for AudioEncoderSettings {
    /// G.711 at 8 kHz, 64 kbit/s, session timeout 60 s.
    fn default() -> Self {
        AudioEncoderSettings {
            encoding: AudioEncoding::G711,
            bitrate: 64,
            sample_rate: 8,
            session_timeout: 60,
        }
    }
}

impl AudioEncoderSettings {
    /// Defaults for `encoding`: its first sample rate and, for G.711 and
    /// G.726, its usual bit rate (64 and 32 kbit/s; AAC 64 kbit/s).
    pub fn for_encoding(encoding: AudioEncoding) -> AudioEncoderSettings {
        let bitrate = match encoding {
            AudioEncoding::G711 | AudioEncoding::Aac => 64,
            AudioEncoding::G726 => 32,
        };
        let sample_rate = match encoding {
            AudioEncoding::Aac => 16,
            _ => 8,
        };
        AudioEncoderSettings {
            encoding,
            bitrate,
            sample_rate,
            session_timeout: 60,
        }
    }
}

/// `<scope>`: one WS-Discovery scope URI.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ScopeConfig {
    /// The URI, e.g. `onvif://www.onvif.org/name/IP-Camera`. Never empty,
    /// never with whitespace (scopes travel space-separated).
    pub uri: String,
    /// `true` for a fixed scope (RemoveScopes/SetScopes cannot touch it):
    /// a plain `<scope>URI</scope>` is fixed; Happytime's
    /// `<ScopeDef>Configurable</ScopeDef>` form is not.
    pub fixed: bool,
}

impl ScopeConfig {
    /// A fixed scope.
    pub fn fixed(uri: impl Into<String>) -> ScopeConfig {
        ScopeConfig {
            uri: uri.into(),
            fixed: true,
        }
    }
}

/// `<event>`: event service settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EventConfig {
    /// `<renew_interval>`: seconds a subscription lives without Renew or
    /// PullMessages.
    pub renew_interval: u32,
    /// `<simulate_enable>`: generate simulated events.
    pub simulate_enable: bool,
}

impl Default for EventConfig {
    /// 60 seconds, simulation on (as the manual's template).
    fn default() -> Self {
        EventConfig {
            renew_interval: 60,
            simulate_enable: true,
        }
    }
}
