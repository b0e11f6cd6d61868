//! What each hosted service advertises, written in one place.
//!
//! A service's capabilities show up three times: in its own
//! `GetServiceCapabilities`, inside the device service's
//! `GetServices(IncludeCapability=true)` answer, and (for device, media and
//! events) in the legacy `GetCapabilities`. Clients compare them (the ONVIF
//! Device Test Tool does), so every one of those answers calls the writers
//! here instead of spelling the attributes out again:
//!
//! ```text
//! fn get_service_capabilities(call: &Call<'_>, ctx: &mut OnvifContext) -> Result<Reply, Fault> {
//!     Ok(Reply::build(|w| {
//!         w.elem("trt:GetServiceCapabilitiesResponse", |w| {
//!             capabilities::write_media_capabilities(w, ctx);
//!         });
//!     }))
//! }
//! ```
//!
//! The values describe what this device really does: events with pull
//! points and WS-BaseNotification subscriptions but no subscription
//! policies or pausing; the device service with UsernameToken and HTTP
//! Digest, users, scopes, stored network settings and a system log. The
//! media and media2 services own their capability writers
//! ([`super::media::write_service_capabilities`],
//! [`super::media2::write_service_capabilities`]) and streaming constants
//! ([`super::media::RTP_MULTICAST`] ...); the functions here route to them,
//! so each value is spelled once.
//!
//! [`HOSTED_SERVICES`] is the list GetServices and GetCapabilities
//! advertise: a service added to [`super::build_registry`] must be added
//! there too (a test checks that no registered service is left out).

use crate::onvif::{ServiceKind, XmlWriter};
use crate::onvif_state::{MAX_PASSWORD_LEN, MAX_USERNAME_LEN, MAX_USERS, ProtocolKind};

use super::OnvifContext;

/// The services this device hosts, in the order GetServices lists them.
pub const HOSTED_SERVICES: [ServiceKind; 4] = [
    ServiceKind::Device,
    ServiceKind::Media,
    ServiceKind::Media2,
    ServiceKind::Events,
];

/// Most pull points the event service keeps at once
/// (`tev:Capabilities/@MaxPullPoints`); the event service refuses more.
pub const EVENT_MAX_PULL_POINTS: u32 = 10;

/// Most WS-BaseNotification subscriptions (`Subscribe`) the event service
/// keeps at once (`tev:Capabilities/@MaxNotificationProducers`).
pub const EVENT_MAX_NOTIFICATION_PRODUCERS: u32 = 10;

/// Most NTP servers SetNTP accepts (`tds:Capabilities/Network/@NTP`).
pub const MAX_NTP_SERVERS: usize = 4;

/// The ONVIF specification version each service implements, as
/// `(major, minor)` (GetServices `Version`): the manual's section 1.5
/// table (device 23.06, events 22.06, media 21.12, media2 23.06 ...).
pub fn service_version(kind: ServiceKind) -> (u32, u32) {
    match kind {
        ServiceKind::Device => (23, 6),
        ServiceKind::Events => (22, 6),
        ServiceKind::Media => (21, 12),
        ServiceKind::Media2 => (23, 6),
        ServiceKind::Ptz => (22, 12),
        ServiceKind::Imaging => (22, 6),
        ServiceKind::Analytics => (22, 6),
        ServiceKind::Recording => (23, 6),
        ServiceKind::Search => (22, 6),
        ServiceKind::Replay => (21, 12),
        ServiceKind::AccessControl => (21, 6),
        ServiceKind::DoorControl => (21, 6),
        ServiceKind::DeviceIo => (22, 6),
        ServiceKind::Thermal => (22, 6),
        ServiceKind::Credential => (21, 6),
        ServiceKind::AccessRules => (19, 6),
        ServiceKind::Schedule => (18, 12),
        ServiceKind::Receiver => (21, 12),
        ServiceKind::Provisioning => (18, 12),
        // Not in the manual's table; the advanced security service of the
        // same release.
        _ => (21, 6),
    }
}

/// The device versions GetCapabilities lists as `SupportedVersions`,
/// newest first.
pub const SUPPORTED_VERSIONS: [(u32, u32); 4] = [(23, 6), (22, 12), (21, 12), (20, 12)];

/// Writes the `Capabilities` element of `kind` (`tds:Capabilities`,
/// `trt:Capabilities`, `tr2:Capabilities`, `tev:Capabilities`), the one its
/// GetServiceCapabilities returns. Returns `false`, writing nothing, for a
/// service this device does not host.
pub fn write_service_capabilities(
    kind: ServiceKind,
    w: &mut XmlWriter,
    ctx: &OnvifContext,
) -> bool {
    match kind {
        ServiceKind::Device => write_device_capabilities(w, ctx),
        ServiceKind::Media => write_media_capabilities(w, ctx),
        ServiceKind::Media2 => write_media2_capabilities(w, ctx),
        ServiceKind::Events => write_events_capabilities(w, ctx),
        _ => return false,
    }
    true
}

/// `xs:boolean` text.
fn b(value: bool) -> &'static str {
    if value { "true" } else { "false" }
}

/// Whether HTTPS is enabled (then TLS 1.2 is offered: rustls speaks 1.2
/// and 1.3).
pub(crate) fn https_enabled(ctx: &OnvifContext) -> bool {
    ctx.state
        .network()
        .protocols
        .iter()
        .find(|p| p.kind == ProtocolKind::Https)
        .map_or(ctx.state.server().https_enable, |p| p.enabled)
}

/// `tds:Capabilities` (`tds:DeviceServiceCapabilities`).
pub fn write_device_capabilities(w: &mut XmlWriter, ctx: &OnvifContext) {
    let max_ntp = u32::try_from(MAX_NTP_SERVERS).unwrap_or(u32::MAX);
    w.elem("tds:Capabilities", |w| {
        w.start("tds:Network")
            .attr("IPFilter", "false")
            .attr("ZeroConfiguration", "true")
            .attr("IPVersion6", "false")
            .attr("DynDNS", "false")
            .attr("Dot11Configuration", "false")
            .attr("Dot1XConfigurations", "0")
            .attr("HostnameFromDHCP", "true")
            .attr_display("NTP", max_ntp)
            .attr("DHCPv6", "false")
            .end();
        w.start("tds:Security")
            .attr("TLS1.0", "false")
            .attr("TLS1.1", "false")
            .attr("TLS1.2", b(https_enabled(ctx)))
            .attr("OnboardKeyGeneration", "false")
            .attr("AccessPolicyConfig", "false")
            .attr("DefaultAccessPolicy", "true")
            .attr("Dot1X", "false")
            .attr("RemoteUserHandling", "false")
            .attr("X.509Token", "false")
            .attr("SAMLToken", "false")
            .attr("KerberosToken", "false")
            .attr("UsernameToken", "true")
            .attr("HttpDigest", "true")
            .attr("RELToken", "false")
            .attr_display("MaxUsers", MAX_USERS)
            .attr_display("MaxUserNameLength", MAX_USERNAME_LEN)
            .attr_display("MaxPasswordLength", MAX_PASSWORD_LEN)
            .attr("HashingAlgorithms", "MD5 SHA-256")
            .end();
        w.start("tds:System")
            .attr("DiscoveryResolve", "true")
            .attr("DiscoveryBye", "true")
            .attr("RemoteDiscovery", "false")
            .attr("SystemBackup", "false")
            .attr("SystemLogging", "true")
            .attr("FirmwareUpgrade", "false")
            .attr("HttpFirmwareUpgrade", "false")
            .attr("HttpSystemBackup", "false")
            .attr("HttpSystemLogging", "false")
            .attr("HttpSupportInformation", "false")
            .attr("StorageConfiguration", "false")
            .attr("DiscoveryNotSupported", "false")
            .attr("NetworkConfigNotSupported", "false")
            .attr("UserConfigNotSupported", "false")
            .end();
    });
}

/// `trt:Capabilities` of the media (ver10) service: the media service's
/// own writer ([`super::media::write_service_capabilities`]).
pub fn write_media_capabilities(w: &mut XmlWriter, _ctx: &OnvifContext) {
    super::media::write_service_capabilities(w, "trt:Capabilities");
}

/// `tr2:Capabilities` of the media2 (ver20) service: the media2 service's
/// own writer ([`super::media2::write_service_capabilities`]).
pub fn write_media2_capabilities(w: &mut XmlWriter, _ctx: &OnvifContext) {
    super::media2::write_service_capabilities(w, "tr2:Capabilities");
}

/// `tev:Capabilities` of the event service.
pub fn write_events_capabilities(w: &mut XmlWriter, _ctx: &OnvifContext) {
    w.start("tev:Capabilities")
        .attr("WSSubscriptionPolicySupport", "false")
        .attr("WSPausableSubscriptionManagerInterfaceSupport", "false")
        .attr_display("MaxNotificationProducers", EVENT_MAX_NOTIFICATION_PRODUCERS)
        .attr_display("MaxPullPoints", EVENT_MAX_PULL_POINTS)
        .attr("PersistentNotificationStorage", "false")
        .end();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::OnvifConfig;
    use crate::onvif_device::{HostInfo, events::EventState};
    use crate::onvif_state::DeviceState;

    fn ctx() -> OnvifContext {
        let config = OnvifConfig::default();
        OnvifContext {
            state: DeviceState::from_config(&config, 1),
            config,
            events: EventState::default(),
            host: HostInfo::default(),
            log: Default::default(),
        }
    }

    #[test]
    fn every_hosted_service_writes_its_capabilities() {
        let ctx = ctx();
        for kind in HOSTED_SERVICES {
            let mut w = XmlWriter::new();
            assert!(write_service_capabilities(kind, &mut w, &ctx), "{kind:?}");
            let xml = w.finish();
            assert!(xml.contains(":Capabilities"), "{xml}");
        }
        let mut w = XmlWriter::new();
        assert!(!write_service_capabilities(ServiceKind::Ptz, &mut w, &ctx));
        assert!(w.is_empty());
    }

    #[test]
    fn no_registered_service_goes_unadvertised() {
        let registry = crate::onvif_device::build_registry().unwrap();
        for kind in registry.services() {
            assert!(HOSTED_SERVICES.contains(&kind), "{kind:?} not advertised");
        }
    }

    #[test]
    fn versions_follow_the_manual() {
        assert_eq!(service_version(ServiceKind::Device), (23, 6));
        assert_eq!(service_version(ServiceKind::Events), (22, 6));
        assert_eq!(service_version(ServiceKind::Media), (21, 12));
        assert_eq!(service_version(ServiceKind::Media2), (23, 6));
    }
}
