//! The device management service (`tds`, ver10 `devicemgmt.wsdl`).
//!
//! Every operation reads or changes the [`OnvifContext`]; changes go
//! through the checked setters of [`crate::onvif_state::DeviceState`]
//! (validated before anything changes, so a fault never leaves a partial
//! change) and return [`Effect::PersistConfig`](crate::onvif::Effect) so
//! that the server writes `onvifrun.cfg` before the answer goes out.
//! Network settings (host name, DNS, NTP, interfaces, protocols, gateway,
//! zero configuration) are stored and reported, never applied to the host.
//!
//! | area | operations | module |
//! |------|------------|--------|
//! | capabilities | GetCapabilities, GetServices, GetServiceCapabilities, GetWsdlUrl | `capability` |
//! | system | GetDeviceInformation, Get/SetSystemDateAndTime, SetSystemFactoryDefault, SystemReboot, GetSystemLog, GetSystemSupportInformation, GetEndpointReference | `system` |
//! | discovery | Get/Set/Add/RemoveScopes, Get/SetDiscoveryMode | `scopes` |
//! | network | Get/SetHostname, SetHostnameFromDHCP, Get/SetDNS, Get/SetNTP, Get/SetNetworkInterfaces, Get/SetNetworkProtocols, Get/SetNetworkDefaultGateway, Get/SetZeroConfiguration | `network` |
//! | security | GetUsers, CreateUsers, DeleteUsers, SetUser | `users` |
//! | I/O | GetRelayOutputs, SetRelayOutputSettings, SetRelayOutputState | `relay` |
//!
//! Access classes are those of the ONVIF Core specification's default
//! access policy (each operation's "access class" entry).
//!
//! # Time
//!
//! [`Call::device_time`](crate::onvif::Call) is the *device* clock, as
//! [`RequestEnv`](crate::onvif::RequestEnv) documents: the host's Unix time
//! plus the offset a manual SetSystemDateAndTime stored. The security layer
//! checks UsernameToken freshness against the same clock, so a client that
//! learned the device time from GetSystemDateAndTime (zeep, the npm client)
//! signs tokens the device accepts. The runtime computes it with
//! [`device_clock`].

mod capability;
mod network;
mod relay;
mod scopes;
mod system;
mod users;

use std::time::Duration;

use super::OnvifContext;
use crate::onvif::{AccessClass, Element, Fault, Operation, Registry, RegistryError, ServiceKind};
use crate::onvif::{Call, ns};
use crate::onvif_state::DeviceState;

/// The device clock when the host clock reads `host_unix` (Unix time):
/// the host clock plus the offset a manual SetSystemDateAndTime stored.
/// This is what the runtime passes as `RequestEnv::device_time`.
pub fn device_clock(state: &DeviceState, host_unix: Duration) -> Duration {
    let offset = state.date_time().clock_offset;
    let magnitude = Duration::from_secs(offset.unsigned_abs());
    if offset >= 0 {
        host_unix.saturating_add(magnitude)
    } else {
        host_unix.saturating_sub(magnitude)
    }
}

/// The device clock of a call in whole Unix seconds.
pub(crate) fn device_secs(call: &Call<'_>) -> i64 {
    i64::try_from(call.device_time.as_secs()).unwrap_or(i64::MAX)
}

/// The host clock of a call in whole Unix seconds (the device clock minus
/// the stored manual offset), for the state's date and time methods.
pub(crate) fn host_secs(call: &Call<'_>, state: &DeviceState) -> i64 {
    device_secs(call).saturating_sub(state.date_time().clock_offset)
}

/// The trimmed text of the required parameter `name` of `element` (in the
/// device namespace, or any namespace as a fallback).
pub(crate) fn required_text<'a>(element: &'a Element, name: &str) -> Result<&'a str, Fault> {
    Ok(element.required(ns::TDS, name)?.text())
}

/// A required `xs:boolean` parameter.
pub(crate) fn required_bool(element: &Element, name: &str) -> Result<bool, Fault> {
    element.required(ns::TDS, name)?.parse_bool()
}

/// An optional `xs:boolean` parameter.
pub(crate) fn optional_bool(
    element: &Element,
    ns: &str,
    name: &str,
) -> Result<Option<bool>, Fault> {
    element.param(ns, name).map(Element::parse_bool).transpose()
}

/// `true`/`false` as `xs:boolean` text.
pub(crate) fn xs_bool(value: bool) -> &'static str {
    if value { "true" } else { "false" }
}

/// Registers the device service's operations.
pub fn register(registry: &mut Registry<OnvifContext>) -> Result<(), RegistryError> {
    use AccessClass::*;
    let op = |name, access, handler| Operation::new(ns::TDS, name, access, handler);
    registry.register(
        ServiceKind::Device,
        &[
            // Capabilities.
            op("GetServices", PreAuth, capability::get_services),
            op(
                "GetServiceCapabilities",
                PreAuth,
                capability::get_service_capabilities,
            ),
            op("GetCapabilities", PreAuth, capability::get_capabilities),
            op("GetWsdlUrl", PreAuth, capability::get_wsdl_url),
            // System.
            op(
                "GetDeviceInformation",
                ReadSystem,
                system::get_device_information,
            ),
            op(
                "GetSystemDateAndTime",
                PreAuth,
                system::get_system_date_and_time,
            ),
            op(
                "SetSystemDateAndTime",
                WriteSystem,
                system::set_system_date_and_time,
            ),
            op(
                "SetSystemFactoryDefault",
                Unrecoverable,
                system::set_system_factory_default,
            ),
            op("SystemReboot", Unrecoverable, system::system_reboot),
            op("GetSystemLog", ReadSystemSecret, system::get_system_log),
            op(
                "GetSystemSupportInformation",
                ReadSystemSecret,
                system::get_system_support_information,
            ),
            op(
                "GetEndpointReference",
                PreAuth,
                system::get_endpoint_reference,
            ),
            // Discovery.
            op("GetScopes", ReadSystem, scopes::get_scopes),
            op("SetScopes", WriteSystem, scopes::set_scopes),
            op("AddScopes", WriteSystem, scopes::add_scopes),
            op("RemoveScopes", WriteSystem, scopes::remove_scopes),
            op("GetDiscoveryMode", ReadSystem, scopes::get_discovery_mode),
            op("SetDiscoveryMode", WriteSystem, scopes::set_discovery_mode),
            // Network.
            op("GetHostname", PreAuth, network::get_hostname),
            op("SetHostname", WriteSystem, network::set_hostname),
            op(
                "SetHostnameFromDHCP",
                WriteSystem,
                network::set_hostname_from_dhcp,
            ),
            op("GetDNS", ReadSystem, network::get_dns),
            op("SetDNS", WriteSystem, network::set_dns),
            op("GetNTP", ReadSystem, network::get_ntp),
            op("SetNTP", WriteSystem, network::set_ntp),
            op(
                "GetNetworkInterfaces",
                ReadSystem,
                network::get_network_interfaces,
            ),
            op(
                "SetNetworkInterfaces",
                WriteSystem,
                network::set_network_interfaces,
            ),
            op(
                "GetNetworkProtocols",
                ReadSystem,
                network::get_network_protocols,
            ),
            op(
                "SetNetworkProtocols",
                WriteSystem,
                network::set_network_protocols,
            ),
            op(
                "GetNetworkDefaultGateway",
                ReadSystem,
                network::get_network_default_gateway,
            ),
            op(
                "SetNetworkDefaultGateway",
                WriteSystem,
                network::set_network_default_gateway,
            ),
            op(
                "GetZeroConfiguration",
                ReadSystem,
                network::get_zero_configuration,
            ),
            op(
                "SetZeroConfiguration",
                WriteSystem,
                network::set_zero_configuration,
            ),
            // Security.
            op("GetUsers", ReadSystemSecret, users::get_users),
            op("CreateUsers", WriteSystem, users::create_users),
            op("DeleteUsers", WriteSystem, users::delete_users),
            op("SetUser", WriteSystem, users::set_user),
            // I/O.
            op("GetRelayOutputs", ReadMedia, relay::get_relay_outputs),
            op(
                "SetRelayOutputSettings",
                Actuate,
                relay::set_relay_output_settings,
            ),
            op(
                "SetRelayOutputState",
                Actuate,
                relay::set_relay_output_state,
            ),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_clock_adds_the_manual_offset() {
        use crate::config::OnvifConfig;
        use crate::onvif_state::{CivilDateTime, DateTimeType, SetDateTime};
        let mut state = DeviceState::from_config(&OnvifConfig::default(), 1);
        let host = Duration::from_secs(1_709_208_000);
        assert_eq!(device_clock(&state, host), host);
        let utc = CivilDateTime::from_unix(1_709_208_000 - 3600);
        state
            .set_system_date_time(
                &SetDateTime {
                    kind: DateTimeType::Manual,
                    daylight_savings: false,
                    time_zone: None,
                    utc: Some(utc),
                },
                1_709_208_000,
            )
            .unwrap();
        assert_eq!(device_clock(&state, host), host - Duration::from_secs(3600));
        assert_eq!(device_clock(&state, Duration::ZERO), Duration::ZERO);
    }
}
