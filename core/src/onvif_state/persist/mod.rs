//! `onvifrun.cfg`: the whole runtime state as text, and back.
//!
//! The format is `onvif.cfg`'s, extended as Happytime's own runtime file
//! is: the same `<config>` root and server elements (`<http_port>`,
//! `<user>`, `<scope>`, `<event>` ...), then the media entries as lists
//! with explicit tokens, named after Happytime's (`<VideoSources>`,
//! `<VideoSourceConfigurations>`, `<VideoEncoderConfigurations>`,
//! `<AudioSources>`, `<AudioSourceConfigurations>`,
//! `<AudioEncoderConfigurations>`, `<MetadataConfigurations>`,
//! `<OSDConfigurations>`, `<RelayOutputs>`, each with a `token` attribute
//! and `onvif.cfg`'s element names inside), `<profile token=".."
//! fixed="..">` entries that name their configurations by token, and the
//! runtime-only device settings in ONVIF's terms (`<EndpointReference>`,
//! `<SystemDateTime>`, `<network>` with `<HostnameInformation>`,
//! `<DiscoveryMode>`, `<DNSInformation>`, `<NTPInformation>`,
//! `<NetworkProtocols>`, `<NetworkGateway>`, `<ZeroConfiguration>`,
//! `<NetworkInterface>`). Scopes use Happytime's
//! `<ScopeDef>`/`<ScopeItem>` form to keep fixed and configurable apart.
//!
//! `<runtime_version>` says which layout a file has; this is version 1.
//!
//! Reading is as lenient and as strict as for `onvif.cfg` (unknown
//! elements warned about and skipped; an invalid value, a missing or
//! repeated token, or a reference to a token that does not exist is an
//! error naming file, line and element), so a hand-edited file is
//! checked as carefully as the config.

mod read;
mod write;

/// The layout version written in `<runtime_version>`.
pub(crate) const RUNTIME_VERSION: u32 = 1;
