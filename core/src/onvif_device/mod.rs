//! The ONVIF device: the services (device, media, media2, events) and
//! WS-Discovery, on top of the plumbing in [`crate::onvif`] and the state
//! model in [`crate::onvif_state`].
//!
//! Every handler works on one [`OnvifContext`]: the device state that
//! persists in `onvifrun.cfg`, the `onvif.cfg` it started from (factory
//! defaults, device information, event settings), the event service's
//! subscriptions, and facts about the host the runtime supplies. The server
//! machine (`crate::server`) owns the context, feeds it HTTP requests
//! through an [`Endpoint`](crate::onvif::Endpoint) built by
//! [`build_registry`], and carries out the handlers' effects.

pub mod capabilities;
pub mod device;
pub mod discovery;
pub mod events;
pub mod log;
pub mod media;
pub mod media2;

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::config::OnvifConfig;
use crate::onvif::{AccessRecord, Registry, RegistryError, UserRecord, UserStore};
use crate::onvif_state::DeviceState;

/// One network interface of the host, as `GetNetworkInterfaces` reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostInterface {
    /// The interface name (`eth0`).
    pub name: String,
    /// Its hardware address.
    pub mac: [u8; 6],
    /// MTU in bytes.
    pub mtu: u32,
    /// Whether it is up.
    pub up: bool,
    /// IPv4 addresses with their prefix lengths.
    pub ipv4: Vec<(Ipv4Addr, u8)>,
    /// IPv6 addresses with their prefix lengths.
    pub ipv6: Vec<(Ipv6Addr, u8)>,
}

/// Facts about the host, read once by the runtime at start-up.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostInfo {
    /// The host's name.
    pub hostname: String,
    /// Its network interfaces (loopback excluded unless it is the only one).
    pub interfaces: Vec<HostInterface>,
}

/// Everything the ONVIF handlers read and change.
#[derive(Debug)]
pub struct OnvifContext {
    /// The runtime state (persisted in `onvifrun.cfg`).
    pub state: DeviceState,
    /// The `onvif.cfg` the device started from.
    pub config: OnvifConfig,
    /// The event service: subscriptions, pull points, pending messages.
    pub events: events::EventState,
    /// The host's name and interfaces.
    pub host: HostInfo,
    /// The latest requests and configuration changes (GetSystemLog).
    pub log: log::DeviceLog,
}

impl UserStore for OnvifContext {
    fn auth_required(&self) -> bool {
        self.state.server().need_auth
    }

    fn find_user(&self, username: &str) -> Option<UserRecord<'_>> {
        self.state
            .users()
            .iter()
            .find(|u| u.username == username)
            .map(|u| UserRecord {
                password: &u.password,
                level: u.level,
            })
    }

    fn record_access(&mut self, record: &AccessRecord<'_>) {
        self.log.record(record);
    }
}

/// The path of a profile's JPEG snapshot on the ONVIF HTTP port, served by
/// the server machine (GetSnapshotUri returns `base_url + snapshot_path`).
pub fn snapshot_path(profile_token: &str) -> String {
    format!("/onvif/snapshot/{profile_token}.jpg")
}

/// The profile token of a snapshot path, if `path` is one.
pub fn snapshot_profile(path: &str) -> Option<&str> {
    path.strip_prefix("/onvif/snapshot/")?
        .strip_suffix(".jpg")
        .filter(|t| !t.is_empty() && !t.contains('/'))
}

/// Every service's operations.
pub fn build_registry() -> Result<Registry<OnvifContext>, RegistryError> {
    let mut registry = Registry::new();
    device::register(&mut registry)?;
    media::register(&mut registry)?;
    media2::register(&mut registry)?;
    events::register(&mut registry)?;
    Ok(registry)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_paths_round_trip() {
        let p = snapshot_path("ProfileToken_1");
        assert_eq!(p, "/onvif/snapshot/ProfileToken_1.jpg");
        assert_eq!(snapshot_profile(&p), Some("ProfileToken_1"));
        assert_eq!(snapshot_profile("/onvif/snapshot/.jpg"), None);
        assert_eq!(snapshot_profile("/onvif/snapshot/a/b.jpg"), None);
    }
}
