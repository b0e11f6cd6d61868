//! The things the device state holds: profiles, sources, configurations,
//! OSDs, relay outputs and the device settings.
//!
//! Tokens follow Happytime's scheme ([`TokenKind`]): `ProfileToken_1`,
//! `VideoSourceToken_1`, `VideoSourceConfigurationToken_1` ...; names of
//! generated configurations follow it too (`VideoEncoderConfigurationName_1`).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::config::{AudioEncoderSettings, Resolution, VideoEncoderSettings};

/// The kinds of things that have tokens, with Happytime's token prefixes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// `ProfileToken_N` (names `ProfileName_N`).
    Profile,
    /// `VideoSourceToken_N`.
    VideoSource,
    /// `VideoSourceConfigurationToken_N`.
    VideoSourceConfiguration,
    /// `VideoEncoderConfigurationToken_N`.
    VideoEncoderConfiguration,
    /// `AudioSourceToken_N`.
    AudioSource,
    /// `AudioSourceConfigurationToken_N`.
    AudioSourceConfiguration,
    /// `AudioEncoderConfigurationToken_N`.
    AudioEncoderConfiguration,
    /// `MetadataConfigurationToken_N`.
    MetadataConfiguration,
    /// `OSDToken_N`.
    Osd,
    /// `RelayOutputToken_N`.
    RelayOutput,
    /// `NetworkInterfaceToken_N`.
    NetworkInterface,
}

impl TokenKind {
    /// The token prefix before `N`, e.g. `ProfileToken_`.
    pub fn prefix(self) -> &'static str {
        match self {
            TokenKind::Profile => "ProfileToken_",
            TokenKind::VideoSource => "VideoSourceToken_",
            TokenKind::VideoSourceConfiguration => "VideoSourceConfigurationToken_",
            TokenKind::VideoEncoderConfiguration => "VideoEncoderConfigurationToken_",
            TokenKind::AudioSource => "AudioSourceToken_",
            TokenKind::AudioSourceConfiguration => "AudioSourceConfigurationToken_",
            TokenKind::AudioEncoderConfiguration => "AudioEncoderConfigurationToken_",
            TokenKind::MetadataConfiguration => "MetadataConfigurationToken_",
            TokenKind::Osd => "OSDToken_",
            TokenKind::RelayOutput => "RelayOutputToken_",
            TokenKind::NetworkInterface => "NetworkInterfaceToken_",
        }
    }

    /// The default name prefix of generated entries, e.g. `ProfileName_`.
    pub fn name_prefix(self) -> &'static str {
        match self {
            TokenKind::Profile => "ProfileName_",
            TokenKind::VideoSource => "VideoSourceName_",
            TokenKind::VideoSourceConfiguration => "VideoSourceConfigurationName_",
            TokenKind::VideoEncoderConfiguration => "VideoEncoderConfigurationName_",
            TokenKind::AudioSource => "AudioSourceName_",
            TokenKind::AudioSourceConfiguration => "AudioSourceConfigurationName_",
            TokenKind::AudioEncoderConfiguration => "AudioEncoderConfigurationName_",
            TokenKind::MetadataConfiguration => "MetadataConfigurationName_",
            TokenKind::Osd => "OSDName_",
            TokenKind::RelayOutput => "RelayOutputName_",
            TokenKind::NetworkInterface => "NetworkInterfaceName_",
        }
    }

    /// The `n`th token of this kind: `ProfileToken_1` for `(Profile, 1)`.
    pub fn token(self, n: u32) -> String {
        format!("{}{n}", self.prefix())
    }

    /// The `n`th default name of this kind: `ProfileName_1`.
    pub fn name(self, n: u32) -> String {
        format!("{}{n}", self.name_prefix())
    }

    /// `N` when `token` is this kind's `PrefixN`.
    pub fn index_of(self, token: &str) -> Option<u32> {
        token.strip_prefix(self.prefix())?.parse().ok()
    }

    /// The next free token: one past the highest `N` in use (so a deleted
    /// token is not handed out again while higher ones exist).
    pub fn next_token<'a>(self, used: impl Iterator<Item = &'a str>) -> (String, u32) {
        let n = used.filter_map(|t| self.index_of(t)).max().unwrap_or(0) + 1;
        (self.token(n), n)
    }
}

pub use crate::config::ServerSettings;

/// A media profile: references to its configurations, by token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Profile {
    /// `ProfileToken_N` or the client's token.
    pub token: String,
    /// The profile's name.
    pub name: String,
    /// Fixed profiles (those of `onvif.cfg`) cannot be deleted.
    pub fixed: bool,
    /// Its video source configuration.
    pub video_source_configuration: Option<String>,
    /// Its video encoder configuration.
    pub video_encoder_configuration: Option<String>,
    /// Its audio source configuration.
    pub audio_source_configuration: Option<String>,
    /// Its audio encoder configuration.
    pub audio_encoder_configuration: Option<String>,
    /// Its metadata configuration.
    pub metadata_configuration: Option<String>,
    /// `<stream_uri>`: a fixed stream address; `None` = our server's default
    /// stream with the encoder parameters.
    pub stream_uri: Option<String>,
    /// `<stream_uri append_params>`: append the encoder parameters to
    /// [`Self::stream_uri`] too.
    pub append_params: bool,
}

/// The kinds of configuration a profile can hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConfigurationKind {
    /// A video source configuration.
    VideoSource,
    /// A video encoder configuration.
    VideoEncoder,
    /// An audio source configuration.
    AudioSource,
    /// An audio encoder configuration.
    AudioEncoder,
    /// A metadata configuration.
    Metadata,
}

impl ConfigurationKind {
    /// All kinds, in the order of a Media2 profile's configurations.
    pub const ALL: [ConfigurationKind; 5] = [
        ConfigurationKind::VideoSource,
        ConfigurationKind::AudioSource,
        ConfigurationKind::VideoEncoder,
        ConfigurationKind::AudioEncoder,
        ConfigurationKind::Metadata,
    ];

    /// The Media2 `tr2:ConfigurationEnumeration` name (`VideoSource`,
    /// `VideoEncoder`, `AudioSource`, `AudioEncoder`, `Metadata`).
    pub fn media2_name(self) -> &'static str {
        match self {
            ConfigurationKind::VideoSource => "VideoSource",
            ConfigurationKind::VideoEncoder => "VideoEncoder",
            ConfigurationKind::AudioSource => "AudioSource",
            ConfigurationKind::AudioEncoder => "AudioEncoder",
            ConfigurationKind::Metadata => "Metadata",
        }
    }

    /// The kind for its Media2 name, any case.
    pub fn from_media2_name(name: &str) -> Option<ConfigurationKind> {
        Self::ALL
            .into_iter()
            .find(|k| k.media2_name().eq_ignore_ascii_case(name))
    }

    /// The token kind of configurations of this kind.
    pub fn token_kind(self) -> TokenKind {
        match self {
            ConfigurationKind::VideoSource => TokenKind::VideoSourceConfiguration,
            ConfigurationKind::VideoEncoder => TokenKind::VideoEncoderConfiguration,
            ConfigurationKind::AudioSource => TokenKind::AudioSourceConfiguration,
            ConfigurationKind::AudioEncoder => TokenKind::AudioEncoderConfiguration,
            ConfigurationKind::Metadata => TokenKind::MetadataConfiguration,
        }
    }
}

impl Profile {
    /// The token of this profile's configuration of `kind`.
    pub fn configuration(&self, kind: ConfigurationKind) -> Option<&str> {
        self.slot(kind).as_deref()
    }

    pub(crate) fn slot(&self, kind: ConfigurationKind) -> &Option<String> {
        match kind {
            ConfigurationKind::VideoSource => &self.video_source_configuration,
            ConfigurationKind::VideoEncoder => &self.video_encoder_configuration,
            ConfigurationKind::AudioSource => &self.audio_source_configuration,
            ConfigurationKind::AudioEncoder => &self.audio_encoder_configuration,
            ConfigurationKind::Metadata => &self.metadata_configuration,
        }
    }

    pub(crate) fn slot_mut(&mut self, kind: ConfigurationKind) -> &mut Option<String> {
        match kind {
            ConfigurationKind::VideoSource => &mut self.video_source_configuration,
            ConfigurationKind::VideoEncoder => &mut self.video_encoder_configuration,
            ConfigurationKind::AudioSource => &mut self.audio_source_configuration,
            ConfigurationKind::AudioEncoder => &mut self.audio_encoder_configuration,
            ConfigurationKind::Metadata => &mut self.metadata_configuration,
        }
    }
}

/// A video source: one camera (shared by profiles of equal source size).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VideoSource {
    /// `VideoSourceToken_N`.
    pub token: String,
    /// The source picture size.
    pub resolution: Resolution,
    /// The source frame rate in frames per second.
    pub framerate: u32,
}

/// A rectangle inside a video source (`tt:IntRectangle`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Bounds {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
}

/// A video source configuration: which source, which part of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VideoSourceConfiguration {
    /// `VideoSourceConfigurationToken_N`.
    pub token: String,
    /// Its name.
    pub name: String,
    /// The video source's token.
    pub source_token: String,
    /// The captured area of the source.
    pub bounds: Bounds,
}

/// Multicast streaming settings of an encoder or metadata configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MulticastConfig {
    /// The group address (`0.0.0.0` = none).
    pub address: IpAddr,
    /// The UDP port (even; RTCP on the next).
    pub port: u16,
    /// The time-to-live of the packets.
    pub ttl: u8,
    /// Stream whether or not a client asks (ONVIF `AutoStart`).
    pub auto_start: bool,
}

impl MulticastConfig {
    /// The default group for the `n`th configuration of `kind` (0 video,
    /// 1 audio, 2 metadata): `239.255.<10+kind>.<n>`, port
    /// `40000 + 1000*kind + 2*n`, TTL 2, no auto start.
    pub fn default_for(kind: u8, n: u32) -> MulticastConfig {
        let last = u8::try_from(n.clamp(1, 254)).unwrap_or(1);
        let port_offset = u16::try_from(n.min(499)).unwrap_or(0) * 2;
        MulticastConfig {
            address: IpAddr::V4(Ipv4Addr::new(239, 255, 10 + kind, last)),
            port: 40_000 + 1000 * u16::from(kind) + port_offset,
            ttl: 2,
            auto_start: false,
        }
    }
}

/// A video encoder configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct VideoEncoderConfiguration {
    /// `VideoEncoderConfigurationToken_N`.
    pub token: String,
    /// Its name.
    pub name: String,
    /// What it encodes: encoding, resolution, quality, rate control, GOV,
    /// profile, session timeout.
    pub settings: VideoEncoderSettings,
    /// Its multicast settings.
    pub multicast: MulticastConfig,
}

/// An audio source: one microphone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AudioSource {
    /// `AudioSourceToken_N`.
    pub token: String,
    /// Its channel count.
    pub channels: u32,
}

/// An audio source configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AudioSourceConfiguration {
    /// `AudioSourceConfigurationToken_N`.
    pub token: String,
    /// Its name.
    pub name: String,
    /// The audio source's token.
    pub source_token: String,
}

/// An audio encoder configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AudioEncoderConfiguration {
    /// `AudioEncoderConfigurationToken_N`.
    pub token: String,
    /// Its name.
    pub name: String,
    /// What it encodes: encoding, bit rate, sample rate, session timeout.
    pub settings: AudioEncoderSettings,
    /// Its multicast settings.
    pub multicast: MulticastConfig,
}

/// A metadata configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetadataConfiguration {
    /// `MetadataConfigurationToken_N`.
    pub token: String,
    /// Its name.
    pub name: String,
    /// RTSP session timeout in seconds.
    pub session_timeout: u32,
    /// Include analytics (scene description) data.
    pub analytics: bool,
    /// Include events (all topics).
    pub events: bool,
    /// Include PTZ status.
    pub ptz_status: bool,
    /// Its multicast settings.
    pub multicast: MulticastConfig,
}

/// Where an OSD sits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OsdPositionKind {
    /// Top left corner.
    UpperLeft,
    /// Top right corner.
    UpperRight,
    /// Bottom left corner.
    LowerLeft,
    /// Bottom right corner.
    LowerRight,
    /// At [`OsdPosition::x`], [`OsdPosition::y`].
    Custom,
}

impl OsdPositionKind {
    /// All kinds.
    pub const ALL: [OsdPositionKind; 5] = [
        OsdPositionKind::UpperLeft,
        OsdPositionKind::UpperRight,
        OsdPositionKind::LowerLeft,
        OsdPositionKind::LowerRight,
        OsdPositionKind::Custom,
    ];

    /// The ONVIF name (`UpperLeft` ...).
    pub fn name(self) -> &'static str {
        match self {
            OsdPositionKind::UpperLeft => "UpperLeft",
            OsdPositionKind::UpperRight => "UpperRight",
            OsdPositionKind::LowerLeft => "LowerLeft",
            OsdPositionKind::LowerRight => "LowerRight",
            OsdPositionKind::Custom => "Custom",
        }
    }

    /// The kind for its ONVIF name, any case.
    pub fn from_name(name: &str) -> Option<OsdPositionKind> {
        Self::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(name))
    }
}

/// An OSD position (`tt:OSDPosConfiguration`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OsdPosition {
    /// The placement.
    pub kind: OsdPositionKind,
    /// Horizontal position for `Custom`, -1 (left) to 1 (right).
    pub x: f32,
    /// Vertical position for `Custom`, -1 (bottom) to 1 (top).
    pub y: f32,
}

/// What an OSD text shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OsdTextType {
    /// [`OsdText::plain_text`].
    Plain,
    /// The date.
    Date,
    /// The time.
    Time,
    /// The date and the time.
    DateAndTime,
}

impl OsdTextType {
    /// All types.
    pub const ALL: [OsdTextType; 4] = [
        OsdTextType::Plain,
        OsdTextType::Date,
        OsdTextType::Time,
        OsdTextType::DateAndTime,
    ];

    /// The ONVIF name (`Plain`, `Date`, `Time`, `DateAndTime`).
    pub fn name(self) -> &'static str {
        match self {
            OsdTextType::Plain => "Plain",
            OsdTextType::Date => "Date",
            OsdTextType::Time => "Time",
            OsdTextType::DateAndTime => "DateAndTime",
        }
    }

    /// The type for its ONVIF name, any case.
    pub fn from_name(name: &str) -> Option<OsdTextType> {
        Self::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(name))
    }
}

/// A text OSD (`tt:OSDTextConfiguration`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OsdText {
    /// What it shows.
    pub text_type: OsdTextType,
    /// The text of a `Plain` OSD.
    pub plain_text: String,
    /// The date format (one of [`super::OSD_DATE_FORMATS`]).
    pub date_format: String,
    /// The time format (one of [`super::OSD_TIME_FORMATS`]).
    pub time_format: String,
    /// The font size in points.
    pub font_size: u32,
}

/// An OSD's content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OsdContent {
    /// Text.
    Text(OsdText),
    /// An image, by path or URL.
    Image(String),
}

/// An on-screen display element (Media2 OSD).
#[derive(Clone, Debug, PartialEq)]
pub struct Osd {
    /// `OSDToken_N`.
    pub token: String,
    /// The video source configuration it is drawn on.
    pub video_source_configuration: String,
    /// Where.
    pub position: OsdPosition,
    /// What.
    pub content: OsdContent,
}

/// A relay output's mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RelayMode {
    /// Stays in the state it is set to.
    Bistable,
    /// Returns to idle after the delay time.
    Monostable,
}

/// A relay output's idle state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RelayIdleState {
    /// Closed when inactive.
    Closed,
    /// Open when inactive.
    Open,
}

/// A (virtual) relay output of the Device IO service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RelayOutput {
    /// `RelayOutputToken_N`.
    pub token: String,
    /// Its mode.
    pub mode: RelayMode,
    /// Monostable delay in seconds.
    pub delay_time: u32,
    /// Idle state.
    pub idle_state: RelayIdleState,
    /// Its logical state (`true` = active).
    pub active: bool,
}

/// Get/SetDiscoveryMode.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum DiscoveryMode {
    /// Answers probes, sends Hello and Bye.
    #[default]
    Discoverable,
    /// Silent on WS-Discovery.
    NonDiscoverable,
}

impl DiscoveryMode {
    /// The ONVIF name.
    pub fn name(self) -> &'static str {
        match self {
            DiscoveryMode::Discoverable => "Discoverable",
            DiscoveryMode::NonDiscoverable => "NonDiscoverable",
        }
    }

    /// The mode for its ONVIF name, any case.
    pub fn from_name(name: &str) -> Option<DiscoveryMode> {
        [DiscoveryMode::Discoverable, DiscoveryMode::NonDiscoverable]
            .into_iter()
            .find(|m| m.name().eq_ignore_ascii_case(name))
    }
}

/// A network host: an address or a DNS name (`tt:NetworkHost`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum NetworkHost {
    /// An IPv4 address.
    Ipv4(Ipv4Addr),
    /// An IPv6 address.
    Ipv6(Ipv6Addr),
    /// A DNS name.
    Dns(String),
}

impl NetworkHost {
    /// The ONVIF `tt:NetworkHostType` name: `IPv4`, `IPv6` or `DNS`.
    pub fn type_name(&self) -> &'static str {
        match self {
            NetworkHost::Ipv4(_) => "IPv4",
            NetworkHost::Ipv6(_) => "IPv6",
            NetworkHost::Dns(_) => "DNS",
        }
    }

    /// The address or name as text.
    pub fn value(&self) -> String {
        match self {
            NetworkHost::Ipv4(addr) => addr.to_string(),
            NetworkHost::Ipv6(addr) => addr.to_string(),
            NetworkHost::Dns(name) => name.clone(),
        }
    }
}

/// Get/SetHostname.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostnameSettings {
    /// Take the name from DHCP.
    pub from_dhcp: bool,
    /// The name set through ONVIF; `None` = report the host's own name.
    pub name: Option<String>,
}

/// Get/SetDNS.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DnsSettings {
    /// Take the servers from DHCP.
    pub from_dhcp: bool,
    /// Search domains.
    pub search_domains: Vec<String>,
    /// Manually set servers.
    pub servers: Vec<IpAddr>,
}

/// Get/SetNTP.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NtpSettings {
    /// Take the servers from DHCP.
    pub from_dhcp: bool,
    /// Manually set servers.
    pub servers: Vec<NetworkHost>,
}

/// The network protocols of Get/SetNetworkProtocols.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProtocolKind {
    /// `HTTP`.
    Http,
    /// `HTTPS`.
    Https,
    /// `RTSP`.
    Rtsp,
}

impl ProtocolKind {
    /// All protocols.
    pub const ALL: [ProtocolKind; 3] =
        [ProtocolKind::Http, ProtocolKind::Https, ProtocolKind::Rtsp];

    /// The ONVIF name.
    pub fn name(self) -> &'static str {
        match self {
            ProtocolKind::Http => "HTTP",
            ProtocolKind::Https => "HTTPS",
            ProtocolKind::Rtsp => "RTSP",
        }
    }

    /// The protocol for its ONVIF name, any case.
    pub fn from_name(name: &str) -> Option<ProtocolKind> {
        Self::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(name))
    }
}

/// One entry of Get/SetNetworkProtocols.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetworkProtocol {
    /// Which protocol.
    pub kind: ProtocolKind,
    /// Enabled.
    pub enabled: bool,
    /// Its ports.
    pub ports: Vec<u16>,
}

/// Get/SetNetworkDefaultGateway.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GatewaySettings {
    /// IPv4 gateways.
    pub ipv4: Vec<Ipv4Addr>,
    /// IPv6 gateways.
    pub ipv6: Vec<Ipv6Addr>,
}

/// Get/SetZeroConfiguration.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ZeroConfiguration {
    /// The interface it applies to; `None` = the first one.
    pub interface_token: Option<String>,
    /// Enabled.
    pub enabled: bool,
}

/// An IPv4 address with its prefix length.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PrefixedIpv4 {
    /// The address.
    pub address: Ipv4Addr,
    /// The prefix length, 0-32.
    pub prefix_length: u8,
}

/// SetNetworkInterfaces settings stored for one interface (the host's
/// interfaces are reported as they are, with these overrides on top; none
/// is applied to the host).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InterfaceOverride {
    /// The interface token the service reported.
    pub token: String,
    /// Enabled, when set.
    pub enabled: Option<bool>,
    /// MTU, when set.
    pub mtu: Option<u32>,
    /// IPv4 by DHCP, when set.
    pub ipv4_dhcp: Option<bool>,
    /// Manual IPv4 addresses (empty = not set).
    pub ipv4_manual: Vec<PrefixedIpv4>,
}

/// The stored network settings (none applied to the host).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetworkSettings {
    /// Get/SetHostname.
    pub hostname: HostnameSettings,
    /// Get/SetDiscoveryMode.
    pub discovery_mode: DiscoveryMode,
    /// Get/SetDNS.
    pub dns: DnsSettings,
    /// Get/SetNTP.
    pub ntp: NtpSettings,
    /// Get/SetNetworkProtocols: HTTP, HTTPS and RTSP, in that order.
    pub protocols: Vec<NetworkProtocol>,
    /// Get/SetNetworkDefaultGateway.
    pub gateway: GatewaySettings,
    /// Get/SetZeroConfiguration.
    pub zero_configuration: ZeroConfiguration,
    /// SetNetworkInterfaces overrides.
    pub interfaces: Vec<InterfaceOverride>,
}

/// Default RTSP port reported by GetNetworkProtocols until the runtime
/// sets the real one (our `rtsp.cfg` default).
pub const DEFAULT_RTSP_PORT: u16 = 8554;

impl NetworkSettings {
    /// Defaults for a server: HTTP/HTTPS as configured, RTSP on
    /// [`DEFAULT_RTSP_PORT`], DNS from DHCP, NTP `pool.ntp.org`.
    pub fn from_server(server: &ServerSettings) -> NetworkSettings {
        NetworkSettings {
            hostname: HostnameSettings::default(),
            discovery_mode: DiscoveryMode::Discoverable,
            dns: DnsSettings {
                from_dhcp: true,
                ..DnsSettings::default()
            },
            ntp: NtpSettings {
                from_dhcp: false,
                servers: vec![NetworkHost::Dns("pool.ntp.org".into())],
            },
            protocols: vec![
                NetworkProtocol {
                    kind: ProtocolKind::Http,
                    enabled: server.http_enable,
                    ports: vec![server.http_port],
                },
                NetworkProtocol {
                    kind: ProtocolKind::Https,
                    enabled: server.https_enable,
                    ports: vec![server.https_port],
                },
                NetworkProtocol {
                    kind: ProtocolKind::Rtsp,
                    enabled: true,
                    ports: vec![DEFAULT_RTSP_PORT],
                },
            ],
            gateway: GatewaySettings::default(),
            zero_configuration: ZeroConfiguration::default(),
            interfaces: Vec::new(),
        }
    }
}

/// How the device's clock is set (`tt:SetDateTimeType`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum DateTimeType {
    /// Set by SetSystemDateAndTime (kept as an offset from the host clock).
    #[default]
    Manual,
    /// Synchronised by NTP (the host's clock is used as is).
    Ntp,
}

impl DateTimeType {
    /// The ONVIF name: `Manual`, `NTP`.
    pub fn name(self) -> &'static str {
        match self {
            DateTimeType::Manual => "Manual",
            DateTimeType::Ntp => "NTP",
        }
    }

    /// The type for its ONVIF name, any case.
    pub fn from_name(name: &str) -> Option<DateTimeType> {
        [DateTimeType::Manual, DateTimeType::Ntp]
            .into_iter()
            .find(|t| t.name().eq_ignore_ascii_case(name))
    }
}

/// The stored system date and time settings. The host clock is never set:
/// a manual time is kept as [`Self::clock_offset`] from it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DateTimeSettings {
    /// Manual or NTP.
    pub kind: DateTimeType,
    /// The DaylightSavings flag as last set.
    pub daylight_savings: bool,
    /// The POSIX TZ string (`CST-8`, `EST5EDT,M3.2.0,M11.1.0`).
    pub time_zone: String,
    /// Seconds to add to the host's UTC clock to get the device's.
    pub clock_offset: i64,
}

impl Default for DateTimeSettings {
    /// Manual, no daylight saving flag, `UTC0`, no offset.
    fn default() -> Self {
        DateTimeSettings {
            kind: DateTimeType::Manual,
            daylight_savings: false,
            time_zone: "UTC0".into(),
            clock_offset: 0,
        }
    }
}
