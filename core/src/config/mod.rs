//! The configuration files: `rtsp.cfg` and `onvif.cfg`, read leniently, reported strictly.
//!
//! Happytime's files must load unchanged (DESIGN.md section 2). So:
//! - unknown elements (newer Happytime builds add some, such as
//!   `ipv6_enable`) are skipped with a [`ConfigWarning`] naming them;
//! - an empty element means "use the default", as in the manual's templates;
//! - an invalid value of a known element is a [`ConfigError`] naming the
//!   file, the line, the element and the value, and the server must not start.
//!
//! The core does no I/O: the binary reads the file and passes its text to
//! [`parse_rtsp_config`], then logs the warnings. Without a file it uses
//! [`RtspConfig::default`].
//!
//! Layout: [`xml`] reads a bounded element tree; `section` walks it against
//! a schema and collects warnings; `values` parses value kinds; `rtsp` holds
//! the `rtsp.cfg` types and `rtsp_parse` fills them; `onvif` holds the
//! `onvif.cfg` types and `onvif_parse` fills them ([`parse_onvif_config`],
//! [`OnvifConfig::default`] without a file). The ONVIF runtime state built
//! from them, and its `onvifrun.cfg`, is [`crate::onvif_state`].

mod error;
mod onvif;
pub(crate) mod onvif_parse;
mod output_match;
mod rtsp;
mod rtsp_parse;
mod section;
mod values;
pub mod xml;

#[cfg(test)]
pub(crate) mod onvif_tests;
#[cfg(test)]
mod rtsp_tests;

pub use error::{ConfigError, ConfigWarning, WarningKind};
pub use onvif::{
    AudioEncoderSettings, AudioEncoding, BITRATE_RANGE, DEFAULT_STREAM, DIMENSION_RANGE,
    DeviceInformation, ENCODING_INTERVAL_RANGE, EventConfig, FRAMERATE_RANGE, GOV_LENGTH_RANGE,
    GovSettings, H264Profile, H265Profile, JPEG_MAX_DIMENSION, MAX_PROFILES, Mpeg4Profile,
    OnvifConfig, OnvifUser, ProfileConfig, QUALITY_RANGE, RENEW_INTERVAL_RANGE, Resolution,
    SESSION_TIMEOUT_RANGE, ScopeConfig, ServerSettings, UserLevel, VideoEncoderSettings,
    VideoEncoding, sample_rate_hz,
};
pub use onvif_parse::parse_onvif_config;
pub use rtsp::{
    BackchannelConfig, DEFAULT_FILE_CACHE_MB, DEFAULT_PACING_MS, LogLevel, LoopCount,
    MAX_FILE_CACHE_MB, MAX_PACING_MS, OutputRule, OutputSettings, ProxyConfig, ProxyTransfer,
    PusherAudio, PusherConfig, PusherTransfer, PusherTransferMode, RtspConfig, RuntimeKind,
    UserCredential,
};
pub use rtsp_parse::parse_rtsp_config;
