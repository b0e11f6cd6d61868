//! The ONVIF device's runtime state: what the services read and change.
//!
//! [`DeviceState`] is built from an `onvif.cfg` ([`DeviceState::from_config`]),
//! changed only through its checked methods (each refused change is a
//! [`StateError`] that names its ONVIF fault), written as `onvifrun.cfg`
//! text after every change ([`DeviceState::to_runtime_xml`]) and read back
//! at the next start ([`DeviceState::from_runtime_xml`]). Like the rest of
//! the core it does no I/O: the runtime writes the text to a temporary
//! file and renames it over `onvifrun.cfg`, so a crash never leaves a torn
//! file; it also passes the host clock in wherever time matters.
//!
//! ## Tokens
//!
//! Tokens follow Happytime's scheme ([`TokenKind`]): `ProfileToken_1`,
//! `VideoSourceToken_1`, `VideoSourceConfigurationToken_1`,
//! `VideoEncoderConfigurationToken_1`, `AudioSourceToken_1`,
//! `AudioSourceConfigurationToken_1`, `AudioEncoderConfigurationToken_1`,
//! `MetadataConfigurationToken_1`, `OSDToken_1`, `RelayOutputToken_1`.
//! As in Happytime, profiles whose `<video_source>` sizes are equal share
//! one video source and one video source configuration (manual section
//! 1.6), all audio profiles share the one audio source, and profiles with
//! identical encoder settings share one encoder configuration.
//!
//! ## Streams
//!
//! [`DeviceState::stream_location`] gives, for a profile, where its stream
//! is: the profile's `stream_uri` (with Happytime's
//! `&t=&p=&ve=&w=&h=&ae=&sr=` parameters appended when `append_params`
//! is 1), or our RTSP server's default stream with the parameters always
//! appended, so that a profile's encoder settings are what its stream
//! carries.

use crate::config::{
    DEFAULT_STREAM, DeviceInformation, EventConfig, OnvifConfig, OnvifUser, ProfileConfig,
    ScopeConfig,
};
use crate::rng::Rng;

mod device;
mod error;
mod media;
mod options;
mod persist;
mod stream;
mod timezone;
mod types;
pub(crate) mod validate;

#[cfg(test)]
mod tests;

pub use device::{FactoryDefault, SetDateTime, UserChange, parse_ipv4, parse_ipv6};
pub use error::{FaultCode, StateError};
pub use options::{
    AudioEncoderOptions, EncoderInstances, OSD_DATE_FORMATS, OSD_TIME_FORMATS, OsdOptions,
    VideoEncoderOptions, VideoSourceConfigurationOptions,
};
pub use stream::{
    AudioStreamParams, StreamLocation, StreamParams, StreamSetup, StreamTransport,
    VideoStreamParams,
};
pub use timezone::{CivilDateTime, DstRule, PosixTz, TransitionDate};
pub use types::{
    AudioEncoderConfiguration, AudioSource, AudioSourceConfiguration, Bounds, ConfigurationKind,
    DEFAULT_RTSP_PORT, DateTimeSettings, DateTimeType, DiscoveryMode, DnsSettings, GatewaySettings,
    HostnameSettings, InterfaceOverride, MetadataConfiguration, MulticastConfig, NetworkHost,
    NetworkProtocol, NetworkSettings, NtpSettings, Osd, OsdContent, OsdPosition, OsdPositionKind,
    OsdText, OsdTextType, PrefixedIpv4, Profile, ProtocolKind, RelayIdleState, RelayMode,
    RelayOutput, ServerSettings, TokenKind, VideoEncoderConfiguration, VideoSource,
    VideoSourceConfiguration, ZeroConfiguration,
};
pub use validate::{
    MAX_NAME_LEN, MAX_PASSWORD_LEN, MAX_SCOPE_LEN, MAX_TOKEN_LEN, MAX_USERNAME_LEN,
};

/// Most users the device holds (advertised as `MaxUsers`).
pub const MAX_USERS: usize = 32;

/// Most scopes the device holds.
pub const MAX_SCOPES: usize = 64;

/// Most OSDs the device holds, over all video source configurations.
pub const MAX_OSDS: usize = 8;

/// The lowest source frame rate reported.
const MIN_SOURCE_FRAMERATE: u32 = 25;

/// The device's runtime state. See the module documentation.
///
/// Read it through the getters; change it only through the checked
/// methods, which keep tokens unique and references valid.
#[derive(Clone, Debug, PartialEq)]
pub struct DeviceState {
    server: ServerSettings,
    information: DeviceInformation,
    users: Vec<OnvifUser>,
    scopes: Vec<ScopeConfig>,
    event: EventConfig,
    profiles: Vec<Profile>,
    video_sources: Vec<VideoSource>,
    video_source_configurations: Vec<VideoSourceConfiguration>,
    video_encoder_configurations: Vec<VideoEncoderConfiguration>,
    audio_sources: Vec<AudioSource>,
    audio_source_configurations: Vec<AudioSourceConfiguration>,
    audio_encoder_configurations: Vec<AudioEncoderConfiguration>,
    metadata_configurations: Vec<MetadataConfiguration>,
    osds: Vec<Osd>,
    relay_outputs: Vec<RelayOutput>,
    network: NetworkSettings,
    date_time: DateTimeSettings,
    endpoint_reference: String,
    default_stream: String,
    /// Profiles whose multicast streaming StartMulticastStreaming started
    /// (runtime only, not persisted).
    multicast_streaming: Vec<String>,
}

impl DeviceState {
    /// The state of a device that starts from `config` (first start, or no
    /// `onvifrun.cfg`).
    ///
    /// The WS-Discovery endpoint reference is the config's
    /// `<EndpointReference>` or a `urn:uuid:` drawn from `rng_seed`; it is
    /// kept in `onvifrun.cfg` from then on. Scopes always include
    /// `Profile/Streaming` and `Profile/T`, and a `name` and `hardware`
    /// scope (from the device information) when the config has none.
    pub fn from_config(config: &OnvifConfig, rng_seed: u64) -> DeviceState {
        let endpoint_reference = match &config.endpoint_reference {
            Some(epr) => epr.clone(),
            None => Rng::new(rng_seed).uuid_urn(),
        };
        let server = config.server.clone();
        let network = NetworkSettings::from_server(&server);
        let mut state = DeviceState {
            server,
            information: config.information.clone(),
            users: config.users.clone(),
            scopes: required_scopes(&config.scopes, &config.information),
            event: config.event,
            profiles: Vec::new(),
            video_sources: Vec::new(),
            video_source_configurations: Vec::new(),
            video_encoder_configurations: Vec::new(),
            audio_sources: Vec::new(),
            audio_source_configurations: Vec::new(),
            audio_encoder_configurations: Vec::new(),
            metadata_configurations: Vec::new(),
            osds: Vec::new(),
            relay_outputs: Vec::new(),
            network,
            date_time: DateTimeSettings::default(),
            endpoint_reference,
            default_stream: DEFAULT_STREAM.to_owned(),
            multicast_streaming: Vec::new(),
        };
        let explicit: Vec<&str> = config
            .profiles
            .iter()
            .filter_map(|p| p.token.as_deref())
            .collect();
        for (index, profile) in config.profiles.iter().enumerate() {
            state.add_config_profile(index, profile, &explicit);
        }
        state.update_source_framerates();
        state.metadata_configurations.push(MetadataConfiguration {
            token: TokenKind::MetadataConfiguration.token(1),
            name: TokenKind::MetadataConfiguration.name(1),
            session_timeout: 60,
            analytics: false,
            events: true,
            ptz_status: false,
            multicast: MulticastConfig::default_for(2, 1),
        });
        state.relay_outputs.push(RelayOutput {
            token: TokenKind::RelayOutput.token(1),
            mode: RelayMode::Bistable,
            delay_time: 1,
            idle_state: RelayIdleState::Closed,
            active: false,
        });
        state
    }

    /// The `index`th profile of the config, its sources and encoders
    /// shared with earlier profiles where equal.
    fn add_config_profile(&mut self, index: usize, config: &ProfileConfig, explicit: &[&str]) {
        let position = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let token = match &config.token {
            Some(token) => token.clone(),
            None => {
                let preferred = TokenKind::Profile.token(position);
                let taken =
                    |t: &str| explicit.contains(&t) || self.profiles.iter().any(|p| p.token == t);
                if taken(&preferred) {
                    let used = explicit
                        .iter()
                        .copied()
                        .chain(self.profiles.iter().map(|p| p.token.as_str()));
                    TokenKind::Profile.next_token(used).0
                } else {
                    preferred
                }
            }
        };
        let mut profile = Profile {
            token,
            name: config
                .name
                .clone()
                .unwrap_or_else(|| TokenKind::Profile.name(position)),
            fixed: config.fixed,
            video_source_configuration: None,
            video_encoder_configuration: None,
            audio_source_configuration: None,
            audio_encoder_configuration: None,
            metadata_configuration: None,
            stream_uri: config.stream_uri.clone(),
            append_params: config.append_params,
        };
        if let Some(size) = config.video_source {
            profile.video_source_configuration = Some(self.video_source_configuration_for(size));
        }
        if let Some(settings) = config.video_encoder {
            profile.video_encoder_configuration = Some(self.video_encoder_for(settings));
        }
        if config.audio_source {
            profile.audio_source_configuration = Some(self.audio_source_configuration_for());
        }
        if let Some(settings) = config.audio_encoder {
            profile.audio_encoder_configuration = Some(self.audio_encoder_for(settings));
        }
        self.profiles.push(profile);
    }

    /// The video source configuration covering a whole source of `size`,
    /// created (with its source) when there is none.
    fn video_source_configuration_for(&mut self, size: crate::config::Resolution) -> String {
        let full = |c: &VideoSourceConfiguration| {
            c.bounds.x == 0
                && c.bounds.y == 0
                && c.bounds.width == size.width
                && c.bounds.height == size.height
        };
        if let Some(existing) = self.video_source_configurations.iter().find(|c| full(c)) {
            return existing.token.clone();
        }
        let source_token = match self.video_sources.iter().find(|s| s.resolution == size) {
            Some(source) => source.token.clone(),
            None => {
                let (token, _) = TokenKind::VideoSource
                    .next_token(self.video_sources.iter().map(|s| s.token.as_str()));
                self.video_sources.push(VideoSource {
                    token: token.clone(),
                    resolution: size,
                    framerate: MIN_SOURCE_FRAMERATE,
                });
                token
            }
        };
        let (token, n) = TokenKind::VideoSourceConfiguration.next_token(
            self.video_source_configurations
                .iter()
                .map(|c| c.token.as_str()),
        );
        self.video_source_configurations
            .push(VideoSourceConfiguration {
                token: token.clone(),
                name: TokenKind::VideoSourceConfiguration.name(n),
                source_token,
                bounds: Bounds {
                    x: 0,
                    y: 0,
                    width: size.width,
                    height: size.height,
                },
            });
        token
    }

    /// The video encoder configuration with these settings, created when
    /// there is none.
    fn video_encoder_for(&mut self, settings: crate::config::VideoEncoderSettings) -> String {
        if let Some(existing) = self
            .video_encoder_configurations
            .iter()
            .find(|c| c.settings == settings)
        {
            return existing.token.clone();
        }
        let (token, n) = TokenKind::VideoEncoderConfiguration.next_token(
            self.video_encoder_configurations
                .iter()
                .map(|c| c.token.as_str()),
        );
        self.video_encoder_configurations
            .push(VideoEncoderConfiguration {
                token: token.clone(),
                name: TokenKind::VideoEncoderConfiguration.name(n),
                settings,
                multicast: MulticastConfig::default_for(0, n),
            });
        token
    }

    /// The audio source configuration (one, shared), created with the
    /// audio source when there is none.
    fn audio_source_configuration_for(&mut self) -> String {
        if let Some(existing) = self.audio_source_configurations.first() {
            return existing.token.clone();
        }
        let source_token = match self.audio_sources.first() {
            Some(source) => source.token.clone(),
            None => {
                let token = TokenKind::AudioSource.token(1);
                self.audio_sources.push(AudioSource {
                    token: token.clone(),
                    channels: 1,
                });
                token
            }
        };
        let token = TokenKind::AudioSourceConfiguration.token(1);
        self.audio_source_configurations
            .push(AudioSourceConfiguration {
                token: token.clone(),
                name: TokenKind::AudioSourceConfiguration.name(1),
                source_token,
            });
        token
    }

    /// The audio encoder configuration with these settings, created when
    /// there is none.
    fn audio_encoder_for(&mut self, settings: crate::config::AudioEncoderSettings) -> String {
        if let Some(existing) = self
            .audio_encoder_configurations
            .iter()
            .find(|c| c.settings == settings)
        {
            return existing.token.clone();
        }
        let (token, n) = TokenKind::AudioEncoderConfiguration.next_token(
            self.audio_encoder_configurations
                .iter()
                .map(|c| c.token.as_str()),
        );
        self.audio_encoder_configurations
            .push(AudioEncoderConfiguration {
                token: token.clone(),
                name: TokenKind::AudioEncoderConfiguration.name(n),
                settings,
                multicast: MulticastConfig::default_for(1, n),
            });
        token
    }

    /// Each video source runs at least as fast as the fastest encoder of a
    /// profile on it (and at least [`MIN_SOURCE_FRAMERATE`]).
    fn update_source_framerates(&mut self) {
        for source in &mut self.video_sources {
            let fastest = self
                .profiles
                .iter()
                .filter(|p| {
                    p.video_source_configuration.as_deref().is_some_and(|vsc| {
                        self.video_source_configurations
                            .iter()
                            .any(|c| c.token == vsc && c.source_token == source.token)
                    })
                })
                .filter_map(|p| p.video_encoder_configuration.as_deref())
                .filter_map(|vec| {
                    self.video_encoder_configurations
                        .iter()
                        .find(|c| c.token == vec)
                })
                .map(|c| c.settings.framerate)
                .max()
                .unwrap_or(0);
            source.framerate = fastest.max(MIN_SOURCE_FRAMERATE);
        }
    }

    /// The server settings (ports, authentication, logging).
    pub fn server(&self) -> &ServerSettings {
        &self.server
    }

    /// GetDeviceInformation.
    pub fn information(&self) -> &DeviceInformation {
        &self.information
    }

    /// The users, in creation order.
    pub fn users(&self) -> &[OnvifUser] {
        &self.users
    }

    /// The user called `username`.
    pub fn user(&self, username: &str) -> Option<&OnvifUser> {
        self.users.iter().find(|u| u.username == username)
    }

    /// The scopes: fixed and configurable, in order.
    pub fn scopes(&self) -> &[ScopeConfig] {
        &self.scopes
    }

    /// Event service settings.
    pub fn event(&self) -> &EventConfig {
        &self.event
    }

    /// The media profiles, in order.
    pub fn profiles(&self) -> &[Profile] {
        &self.profiles
    }

    /// The profile with this token.
    pub fn profile(&self, token: &str) -> Option<&Profile> {
        self.profiles.iter().find(|p| p.token == token)
    }

    /// The video sources.
    pub fn video_sources(&self) -> &[VideoSource] {
        &self.video_sources
    }

    /// The video source with this token.
    pub fn video_source(&self, token: &str) -> Option<&VideoSource> {
        self.video_sources.iter().find(|s| s.token == token)
    }

    /// The video source configurations.
    pub fn video_source_configurations(&self) -> &[VideoSourceConfiguration] {
        &self.video_source_configurations
    }

    /// The video source configuration with this token.
    pub fn video_source_configuration(&self, token: &str) -> Option<&VideoSourceConfiguration> {
        self.video_source_configurations
            .iter()
            .find(|c| c.token == token)
    }

    /// The video encoder configurations.
    pub fn video_encoder_configurations(&self) -> &[VideoEncoderConfiguration] {
        &self.video_encoder_configurations
    }

    /// The video encoder configuration with this token.
    pub fn video_encoder_configuration(&self, token: &str) -> Option<&VideoEncoderConfiguration> {
        self.video_encoder_configurations
            .iter()
            .find(|c| c.token == token)
    }

    /// The audio sources.
    pub fn audio_sources(&self) -> &[AudioSource] {
        &self.audio_sources
    }

    /// The audio source with this token.
    pub fn audio_source(&self, token: &str) -> Option<&AudioSource> {
        self.audio_sources.iter().find(|s| s.token == token)
    }

    /// The audio source configurations.
    pub fn audio_source_configurations(&self) -> &[AudioSourceConfiguration] {
        &self.audio_source_configurations
    }

    /// The audio source configuration with this token.
    pub fn audio_source_configuration(&self, token: &str) -> Option<&AudioSourceConfiguration> {
        self.audio_source_configurations
            .iter()
            .find(|c| c.token == token)
    }

    /// The audio encoder configurations.
    pub fn audio_encoder_configurations(&self) -> &[AudioEncoderConfiguration] {
        &self.audio_encoder_configurations
    }

    /// The audio encoder configuration with this token.
    pub fn audio_encoder_configuration(&self, token: &str) -> Option<&AudioEncoderConfiguration> {
        self.audio_encoder_configurations
            .iter()
            .find(|c| c.token == token)
    }

    /// The metadata configurations.
    pub fn metadata_configurations(&self) -> &[MetadataConfiguration] {
        &self.metadata_configurations
    }

    /// The metadata configuration with this token.
    pub fn metadata_configuration(&self, token: &str) -> Option<&MetadataConfiguration> {
        self.metadata_configurations
            .iter()
            .find(|c| c.token == token)
    }

    /// The OSDs.
    pub fn osds(&self) -> &[Osd] {
        &self.osds
    }

    /// The OSD with this token.
    pub fn osd(&self, token: &str) -> Option<&Osd> {
        self.osds.iter().find(|o| o.token == token)
    }

    /// The relay outputs.
    pub fn relay_outputs(&self) -> &[RelayOutput] {
        &self.relay_outputs
    }

    /// The stored network settings (none is applied to the host).
    pub fn network(&self) -> &NetworkSettings {
        &self.network
    }

    /// The stored date and time settings.
    pub fn date_time(&self) -> &DateTimeSettings {
        &self.date_time
    }

    /// The WS-Discovery endpoint reference, `urn:uuid:...`; stable.
    pub fn endpoint_reference(&self) -> &str {
        &self.endpoint_reference
    }

    /// The stream of profiles without `stream_uri`: `testsrc` (the RTSP
    /// server's built-in test stream) unless set. Not persisted.
    pub fn default_stream(&self) -> &str {
        &self.default_stream
    }

    /// Sets [`Self::default_stream`] (the runtime passes the RTSP server's
    /// `test_pattern_stream` or another stream name). Leading slashes are
    /// dropped.
    pub fn set_default_stream(&mut self, stream: &str) {
        self.default_stream = stream.trim_start_matches('/').to_owned();
    }
}

/// The config's scopes plus the ones a device must have: the profiles it
/// implements and a `name` and `hardware` scope.
fn required_scopes(scopes: &[ScopeConfig], info: &DeviceInformation) -> Vec<ScopeConfig> {
    const PREFIX: &str = "onvif://www.onvif.org/";
    let mut all = scopes.to_vec();
    let has = |all: &[ScopeConfig], category: &str| {
        all.iter().any(|s| {
            s.uri
                .strip_prefix(PREFIX)
                .is_some_and(|rest| rest.starts_with(category))
        })
    };
    let mut required = vec![
        format!("{PREFIX}Profile/Streaming"),
        format!("{PREFIX}Profile/T"),
    ];
    if !has(&all, "name/") {
        required.push(format!("{PREFIX}name/{}", scope_word(&info.model)));
    }
    if !has(&all, "hardware/") {
        required.push(format!("{PREFIX}hardware/{}", scope_word(&info.model)));
    }
    for uri in required {
        if !all.iter().any(|s| s.uri == uri) {
            all.push(ScopeConfig::fixed(uri));
        }
    }
    all
}

/// `text` as one scope path segment: spaces and other unsafe characters
/// percent-encoded.
fn scope_word(text: &str) -> String {
    let mut word = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            word.push(char::from(byte));
        } else {
            word.push_str(&format!("%{byte:02X}"));
        }
    }
    if word.is_empty() {
        word.push_str("device");
    }
    word
}
