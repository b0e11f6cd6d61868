//! Network settings: host name, DNS, NTP, interfaces, protocols, default
//! gateway and zero configuration.
//!
//! All of them are stored in the state (and `onvifrun.cfg`) and reported
//! back, never applied to the host: the device runs on someone's computer,
//! and an ONVIF client must not be able to renumber it. Setters answer
//! `RebootNeeded=false` where the schema asks, since nothing waits for a
//! reboot. Interfaces are the host's real ones ([`OnvifContext::host`]),
//! token = interface name, with the stored overrides on top.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::{OnvifContext, optional_bool, required_bool, required_text, xs_bool};
use crate::onvif::fault::ter;
use crate::onvif::{Call, Effect, Element, Fault, Reply, XmlWriter, ns};
use crate::onvif_device::HostInterface;
use crate::onvif_device::capabilities::MAX_NTP_SERVERS;
use crate::onvif_state::{
    DnsSettings, GatewaySettings, InterfaceOverride, NetworkHost, NetworkProtocol, NtpSettings,
    PrefixedIpv4, ProtocolKind, StateError, parse_ipv4, parse_ipv6,
};

// ---------------------------------------------------------------------------
// Host name

/// GetHostname (PRE_AUTH): the name set through ONVIF, else the host's.
pub(super) fn get_hostname(_call: &Call<'_>, ctx: &mut OnvifContext) -> Result<Reply, Fault> {
    let settings = &ctx.state.network().hostname;
    let name = settings
        .name
        .as_deref()
        .unwrap_or(ctx.host.hostname.as_str());
    Ok(Reply::build(|w| {
        w.elem("tds:GetHostnameResponse", |w| {
            w.elem("tds:HostnameInformation", |w| {
                w.leaf("tt:FromDHCP", xs_bool(settings.from_dhcp));
                w.leaf("tt:Name", name);
            });
        });
    }))
}

/// SetHostname: an RFC 952/1123 name; an empty name means "from DHCP".
pub(super) fn set_hostname(call: &Call<'_>, ctx: &mut OnvifContext) -> Result<Reply, Fault> {
    let name = required_text(call.body, "Name")?;
    if name.is_empty() {
        ctx.state.set_hostname_from_dhcp(true);
    } else {
        ctx.state.set_hostname(name)?;
    }
    Ok(Reply::empty("tds:SetHostnameResponse").with_effect(Effect::PersistConfig))
}

/// SetHostnameFromDHCP.
pub(super) fn set_hostname_from_dhcp(
    call: &Call<'_>,
    ctx: &mut OnvifContext,
) -> Result<Reply, Fault> {
    let from_dhcp = required_bool(call.body, "FromDHCP")?;
    ctx.state.set_hostname_from_dhcp(from_dhcp);
    Ok(Reply::build(|w| {
        w.elem("tds:SetHostnameFromDHCPResponse", |w| {
            w.leaf("tds:RebootNeeded", "false");
        });
    })
    .with_effect(Effect::PersistConfig))
}

// ---------------------------------------------------------------------------
// DNS and NTP

/// Writes a `tt:IPAddress`.
fn write_ip_address(w: &mut XmlWriter, name: &str, address: IpAddr) {
    w.elem(name, |w| match address {
        IpAddr::V4(v4) => {
            w.leaf("tt:Type", "IPv4");
            w.leaf_display("tt:IPv4Address", v4);
        }
        IpAddr::V6(v6) => {
            w.leaf("tt:Type", "IPv6");
            w.leaf_display("tt:IPv6Address", v6);
        }
    });
}

/// A `tt:IPAddress` parameter: `Type`, then the address of that type (the
/// type is inferred when missing).
fn parse_ip_address(element: &Element) -> Result<IpAddr, Fault> {
    let v4 = element.param(ns::TT, "IPv4Address").map(Element::text);
    let v6 = element.param(ns::TT, "IPv6Address").map(Element::text);
    let kind = element.param(ns::TT, "Type").map(Element::text);
    match (kind, v4, v6) {
        (Some("IPv4") | None, Some(v4), _) => parse_ipv4(v4).map(IpAddr::V4).map_err(Fault::from),
        (Some("IPv6") | None, _, Some(v6)) => parse_ipv6(v6).map(IpAddr::V6).map_err(Fault::from),
        (Some("IPv4"), None, _) => Err(Fault::from(StateError::InvalidIpv4Address(String::new()))),
        (Some("IPv6"), _, None) => Err(Fault::from(StateError::InvalidIpv6Address(String::new()))),
        (Some(other), _, _) => Err(Fault::invalid_arg_val(format!(
            "unknown IP address type {other:?}"
        ))),
        (None, None, None) => Err(Fault::invalid_args(
            "an IP address needs Type and an address",
        )),
    }
}

/// GetDNS.
pub(super) fn get_dns(_call: &Call<'_>, ctx: &mut OnvifContext) -> Result<Reply, Fault> {
    let dns = &ctx.state.network().dns;
    Ok(Reply::build(|w| {
        w.elem("tds:GetDNSResponse", |w| {
            w.elem("tds:DNSInformation", |w| {
                w.leaf("tt:FromDHCP", xs_bool(dns.from_dhcp));
                for domain in &dns.search_domains {
                    w.leaf("tt:SearchDomain", domain);
                }
                for server in &dns.servers {
                    write_ip_address(w, "tt:DNSManual", *server);
                }
            });
        });
    }))
}

/// SetDNS.
pub(super) fn set_dns(call: &Call<'_>, ctx: &mut OnvifContext) -> Result<Reply, Fault> {
    let body = call.body;
    let from_dhcp = required_bool(body, "FromDHCP")?;
    let search_domains = body
        .children_by_local_name("SearchDomain")
        .map(|e| e.text().to_owned())
        .filter(|d| !d.is_empty())
        .collect();
    let servers = body
        .children_by_local_name("DNSManual")
        .map(parse_ip_address)
        .collect::<Result<Vec<_>, _>>()?;
    ctx.state.set_dns(DnsSettings {
        from_dhcp,
        search_domains,
        servers,
    })?;
    Ok(Reply::empty("tds:SetDNSResponse").with_effect(Effect::PersistConfig))
}

/// Writes a `tt:NetworkHost`.
fn write_network_host(w: &mut XmlWriter, name: &str, host: &NetworkHost) {
    w.elem(name, |w| {
        w.leaf("tt:Type", host.type_name());
        let element = match host {
            NetworkHost::Ipv4(_) => "tt:IPv4Address",
            NetworkHost::Ipv6(_) => "tt:IPv6Address",
            NetworkHost::Dns(_) => "tt:DNSname",
        };
        w.leaf(element, &host.value());
    });
}

/// A `tt:NetworkHost` parameter (`DNSname`, or `DNSName` as some clients
/// spell it).
fn parse_network_host(element: &Element) -> Result<NetworkHost, Fault> {
    let kind = element.required(ns::TT, "Type")?.text();
    let value_element = if kind.eq_ignore_ascii_case("IPv4") {
        "IPv4Address"
    } else if kind.eq_ignore_ascii_case("IPv6") {
        "IPv6Address"
    } else {
        "DNSname"
    };
    let value = element
        .param(ns::TT, value_element)
        .or_else(|| {
            (value_element == "DNSname")
                .then(|| element.param(ns::TT, "DNSName"))
                .flatten()
        })
        .map(Element::text)
        .unwrap_or_default();
    NetworkHost::parse(kind, value).map_err(Fault::from)
}

/// GetNTP.
pub(super) fn get_ntp(_call: &Call<'_>, ctx: &mut OnvifContext) -> Result<Reply, Fault> {
    let ntp = &ctx.state.network().ntp;
    Ok(Reply::build(|w| {
        w.elem("tds:GetNTPResponse", |w| {
            w.elem("tds:NTPInformation", |w| {
                w.leaf("tt:FromDHCP", xs_bool(ntp.from_dhcp));
                for server in &ntp.servers {
                    write_network_host(w, "tt:NTPManual", server);
                }
            });
        });
    }))
}

/// SetNTP: at most [`MAX_NTP_SERVERS`] servers; with the clock on NTP,
/// some source of NTP servers must remain.
pub(super) fn set_ntp(call: &Call<'_>, ctx: &mut OnvifContext) -> Result<Reply, Fault> {
    let body = call.body;
    let from_dhcp = required_bool(body, "FromDHCP")?;
    let servers = body
        .children_by_local_name("NTPManual")
        .map(parse_network_host)
        .collect::<Result<Vec<_>, _>>()?;
    if servers.len() > MAX_NTP_SERVERS {
        return Err(Fault::invalid_arg_val(format!(
            "at most {MAX_NTP_SERVERS} NTP servers"
        )));
    }
    let on_ntp = ctx.state.date_time().kind == crate::onvif_state::DateTimeType::Ntp;
    if on_ntp && !from_dhcp && servers.is_empty() {
        return Err(Fault::sender(
            &[ter::INVALID_ARG_VAL, "ter:TimeSyncedToNtp"],
            "the clock is set by NTP: an NTP server is required",
        ));
    }
    ctx.state.set_ntp(NtpSettings { from_dhcp, servers })?;
    Ok(Reply::empty("tds:SetNTPResponse").with_effect(Effect::PersistConfig))
}

// ---------------------------------------------------------------------------
// Interfaces

/// An interface as reported: the host's, or a stand-in when the runtime
/// found none.
fn interfaces(call: &Call<'_>, ctx: &OnvifContext) -> Vec<HostInterface> {
    if !ctx.host.interfaces.is_empty() {
        return ctx.host.interfaces.clone();
    }
    // No host facts (tests, a sandbox): one interface with the address the
    // request came in on and a stable, locally administered MAC derived
    // from the endpoint reference.
    let mut ipv4 = Vec::new();
    let mut ipv6 = Vec::new();
    match call.local.map(|a| a.ip()) {
        Some(IpAddr::V4(v4)) if !v4.is_unspecified() => ipv4.push((v4, 24)),
        Some(IpAddr::V6(v6)) if !v6.is_unspecified() => ipv6.push((v6, 64)),
        _ => {}
    }
    vec![HostInterface {
        name: "eth0".to_owned(),
        mac: stand_in_mac(ctx.state.endpoint_reference()),
        mtu: 1500,
        up: true,
        ipv4,
        ipv6,
    }]
}

/// A locally administered unicast MAC from the hex digits of the
/// endpoint reference's UUID.
fn stand_in_mac(endpoint_reference: &str) -> [u8; 6] {
    let digits: Vec<u8> = endpoint_reference
        .rsplit(':')
        .next()
        .unwrap_or_default()
        .bytes()
        .filter_map(|b| char::from(b).to_digit(16))
        .filter_map(|d| u8::try_from(d).ok())
        .collect();
    let mut mac = [0x02, 0, 0, 0, 0, 1];
    if digits.len() >= 12 {
        for (i, byte) in mac.iter_mut().enumerate() {
            *byte = (digits[2 * i] << 4) | digits[2 * i + 1];
        }
    }
    mac[0] = (mac[0] & 0xfc) | 0x02;
    mac
}

/// `aa:bb:cc:dd:ee:ff`.
fn format_mac(mac: [u8; 6]) -> String {
    mac.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn is_link_local_v4(address: Ipv4Addr) -> bool {
    address.is_link_local()
}

fn is_link_local_v6(address: Ipv6Addr) -> bool {
    (address.segments()[0] & 0xffc0) == 0xfe80
}

fn write_prefixed(w: &mut XmlWriter, name: &str, address: impl std::fmt::Display, prefix: u8) {
    w.elem(name, |w| {
        w.leaf_display("tt:Address", address);
        w.leaf_display("tt:PrefixLength", prefix);
    });
}

/// One `tds:NetworkInterfaces` element.
fn write_interface(w: &mut XmlWriter, interface: &HostInterface, ov: Option<&InterfaceOverride>) {
    let enabled = ov.and_then(|o| o.enabled).unwrap_or(interface.up);
    let mtu = ov.and_then(|o| o.mtu).unwrap_or(interface.mtu);
    let dhcp = ov.and_then(|o| o.ipv4_dhcp).unwrap_or(false);
    let manual_override = ov.map(|o| o.ipv4_manual.as_slice()).unwrap_or_default();
    let link_local = interface
        .ipv4
        .iter()
        .find(|(a, _)| is_link_local_v4(*a))
        .copied();
    let global: Vec<(Ipv4Addr, u8)> = interface
        .ipv4
        .iter()
        .filter(|(a, _)| !is_link_local_v4(*a))
        .copied()
        .collect();
    let manual: Vec<(Ipv4Addr, u8)> = if !manual_override.is_empty() {
        manual_override
            .iter()
            .map(|p| (p.address, p.prefix_length))
            .collect()
    } else if dhcp {
        Vec::new()
    } else {
        global.clone()
    };
    let from_dhcp = if dhcp { global.first().copied() } else { None };
    w.start("tds:NetworkInterfaces")
        .attr("token", &interface.name);
    w.leaf("tt:Enabled", xs_bool(enabled));
    w.elem("tt:Info", |w| {
        w.leaf("tt:Name", &interface.name);
        w.leaf("tt:HwAddress", &format_mac(interface.mac));
        if mtu > 0 {
            w.leaf_display("tt:MTU", mtu);
        }
    });
    w.elem("tt:IPv4", |w| {
        w.leaf(
            "tt:Enabled",
            xs_bool(!interface.ipv4.is_empty() || !manual.is_empty()),
        );
        w.elem("tt:Config", |w| {
            for (address, prefix) in &manual {
                write_prefixed(w, "tt:Manual", address, *prefix);
            }
            if let Some((address, prefix)) = link_local {
                write_prefixed(w, "tt:LinkLocal", address, prefix);
            }
            if let Some((address, prefix)) = from_dhcp {
                write_prefixed(w, "tt:FromDHCP", address, prefix);
            }
            w.leaf("tt:DHCP", xs_bool(dhcp));
        });
    });
    if !interface.ipv6.is_empty() {
        w.elem("tt:IPv6", |w| {
            w.leaf("tt:Enabled", "true");
            w.elem("tt:Config", |w| {
                w.leaf("tt:DHCP", "Off");
                for (address, prefix) in
                    interface.ipv6.iter().filter(|(a, _)| !is_link_local_v6(*a))
                {
                    write_prefixed(w, "tt:Manual", address, *prefix);
                }
                for (address, prefix) in interface.ipv6.iter().filter(|(a, _)| is_link_local_v6(*a))
                {
                    write_prefixed(w, "tt:LinkLocal", address, *prefix);
                }
            });
        });
    }
    w.end();
}

/// GetNetworkInterfaces: the host's interfaces with the stored overrides.
pub(super) fn get_network_interfaces(
    call: &Call<'_>,
    ctx: &mut OnvifContext,
) -> Result<Reply, Fault> {
    let list = interfaces(call, ctx);
    let overrides = &ctx.state.network().interfaces;
    Ok(Reply::build(|w| {
        w.elem("tds:GetNetworkInterfacesResponse", |w| {
            for interface in &list {
                let ov = overrides.iter().find(|o| o.token == interface.name);
                write_interface(w, interface, ov);
            }
        });
    }))
}

/// The fault for an unknown interface token.
fn no_interface(token: &str) -> Fault {
    Fault::sender(
        &[ter::INVALID_ARG_VAL, ter::INVALID_NETWORK_INTERFACE],
        format!("no network interface {token:?}"),
    )
}

/// A `tt:PrefixedIPv4Address` parameter.
fn parse_prefixed_ipv4(element: &Element) -> Result<PrefixedIpv4, Fault> {
    let address = parse_ipv4(element.required(ns::TT, "Address")?.text()).map_err(Fault::from)?;
    let prefix_text = element.required(ns::TT, "PrefixLength")?.text();
    let prefix_length = prefix_text
        .parse::<u8>()
        .ok()
        .filter(|p| *p <= 32)
        .ok_or_else(|| {
            Fault::from(StateError::InvalidIpv4Address(format!(
                "{address}/{prefix_text}"
            )))
        })?;
    Ok(PrefixedIpv4 {
        address,
        prefix_length,
    })
}

/// SetNetworkInterfaces: stores enabled, MTU and the IPv4 settings of one
/// interface (Link and IPv6 settings are accepted and ignored).
pub(super) fn set_network_interfaces(
    call: &Call<'_>,
    ctx: &mut OnvifContext,
) -> Result<Reply, Fault> {
    let token = required_text(call.body, "InterfaceToken")?;
    if !interfaces(call, ctx).iter().any(|i| i.name == token) {
        return Err(no_interface(token));
    }
    let config = call.body.required(ns::TDS, "NetworkInterface")?;
    let mut ov = ctx
        .state
        .network()
        .interfaces
        .iter()
        .find(|o| o.token == token)
        .cloned()
        .unwrap_or_else(|| InterfaceOverride {
            token: token.to_owned(),
            enabled: None,
            mtu: None,
            ipv4_dhcp: None,
            ipv4_manual: Vec::new(),
        });
    if let Some(enabled) = optional_bool(config, ns::TT, "Enabled")? {
        ov.enabled = Some(enabled);
    }
    if let Some(mtu) = config.param(ns::TT, "MTU") {
        let value = mtu
            .text()
            .parse::<u32>()
            .ok()
            .filter(|m| (68..=65_535).contains(m))
            .ok_or_else(|| {
                Fault::sender(
                    &[ter::INVALID_ARG_VAL, "ter:InvalidMtuValue"],
                    format!("invalid MTU {:?} (68-65535)", mtu.text()),
                )
            })?;
        ov.mtu = Some(value);
    }
    if let Some(ipv4) = config.param(ns::TT, "IPv4") {
        let dhcp = optional_bool(ipv4, ns::TT, "DHCP")?;
        let manual = ipv4
            .children_by_local_name("Manual")
            .map(parse_prefixed_ipv4)
            .collect::<Result<Vec<_>, _>>()?;
        if dhcp.is_some() {
            ov.ipv4_dhcp = dhcp;
        }
        if !manual.is_empty() || dhcp == Some(true) {
            ov.ipv4_manual = manual;
        }
    }
    ctx.state.set_interface_override(ov)?;
    Ok(Reply::build(|w| {
        w.elem("tds:SetNetworkInterfacesResponse", |w| {
            w.leaf("tds:RebootNeeded", "false");
        });
    })
    .with_effect(Effect::PersistConfig))
}

// ---------------------------------------------------------------------------
// Protocols, gateway, zero configuration

/// GetNetworkProtocols: HTTP, HTTPS and RTSP with their ports.
pub(super) fn get_network_protocols(
    _call: &Call<'_>,
    ctx: &mut OnvifContext,
) -> Result<Reply, Fault> {
    let protocols = &ctx.state.network().protocols;
    Ok(Reply::build(|w| {
        w.elem("tds:GetNetworkProtocolsResponse", |w| {
            // `Port` is required: a protocol without one is left out.
            for protocol in protocols.iter().filter(|p| !p.ports.is_empty()) {
                w.elem("tds:NetworkProtocols", |w| {
                    w.leaf("tt:Name", protocol.kind.name());
                    w.leaf("tt:Enabled", xs_bool(protocol.enabled));
                    for port in &protocol.ports {
                        w.leaf_display("tt:Port", port);
                    }
                });
            }
        });
    }))
}

/// One `tt:NetworkProtocol` of SetNetworkProtocols.
fn parse_protocol(element: &Element) -> Result<NetworkProtocol, Fault> {
    let name = element.required(ns::TT, "Name")?.text();
    let kind = ProtocolKind::from_name(name)
        .ok_or_else(|| Fault::from(StateError::ServiceNotSupported(name.to_owned())))?;
    let enabled = element.required(ns::TT, "Enabled")?.parse_bool()?;
    let ports = element
        .children_by_local_name("Port")
        .map(|p| {
            p.text()
                .parse::<u16>()
                .map_err(|_| Fault::invalid_arg_val(format!("invalid port {:?}", p.text())))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(NetworkProtocol {
        kind,
        enabled,
        ports,
    })
}

/// SetNetworkProtocols: stored (the server keeps listening where it
/// listens). Enabling HTTPS needs a certificate and key in `onvif.cfg`.
pub(super) fn set_network_protocols(
    call: &Call<'_>,
    ctx: &mut OnvifContext,
) -> Result<Reply, Fault> {
    let protocols = call
        .body
        .children_by_local_name("NetworkProtocols")
        .map(parse_protocol)
        .collect::<Result<Vec<_>, _>>()?;
    if protocols.is_empty() {
        return Err(Fault::invalid_args("the request names no NetworkProtocols"));
    }
    let server = ctx.state.server();
    let tls_ready = server.cert_file.is_some() && server.key_file.is_some();
    let enables_https = protocols
        .iter()
        .any(|p| p.kind == ProtocolKind::Https && p.enabled);
    let https_was_on = ctx
        .state
        .network()
        .protocols
        .iter()
        .any(|p| p.kind == ProtocolKind::Https && p.enabled);
    if enables_https && !https_was_on && !tls_ready {
        return Err(Fault::receiver(
            &[ter::ACTION_NOT_SUPPORTED, "ter:EnablingTlsFailed"],
            "HTTPS needs cert_file and key_file in onvif.cfg",
        ));
    }
    ctx.state.set_network_protocols(&protocols)?;
    Ok(Reply::empty("tds:SetNetworkProtocolsResponse").with_effect(Effect::PersistConfig))
}

/// GetNetworkDefaultGateway.
pub(super) fn get_network_default_gateway(
    _call: &Call<'_>,
    ctx: &mut OnvifContext,
) -> Result<Reply, Fault> {
    let gateway = &ctx.state.network().gateway;
    Ok(Reply::build(|w| {
        w.elem("tds:GetNetworkDefaultGatewayResponse", |w| {
            w.elem("tds:NetworkGateway", |w| {
                for address in &gateway.ipv4 {
                    w.leaf_display("tt:IPv4Address", address);
                }
                for address in &gateway.ipv6 {
                    w.leaf_display("tt:IPv6Address", address);
                }
            });
        });
    }))
}

/// SetNetworkDefaultGateway.
pub(super) fn set_network_default_gateway(
    call: &Call<'_>,
    ctx: &mut OnvifContext,
) -> Result<Reply, Fault> {
    let body = call.body;
    let ipv4 = body
        .children_by_local_name("IPv4Address")
        .map(|e| parse_ipv4(e.text()).map_err(Fault::from))
        .collect::<Result<Vec<_>, _>>()?;
    let ipv6 = body
        .children_by_local_name("IPv6Address")
        .map(|e| parse_ipv6(e.text()).map_err(Fault::from))
        .collect::<Result<Vec<_>, _>>()?;
    if ipv4.iter().any(|a| a.is_multicast() || a.is_broadcast()) {
        return Err(Fault::sender(
            &[ter::INVALID_ARG_VAL, "ter:InvalidGatewayAddress"],
            "a gateway cannot be a multicast or broadcast address",
        ));
    }
    ctx.state.set_gateway(GatewaySettings { ipv4, ipv6 });
    Ok(Reply::empty("tds:SetNetworkDefaultGatewayResponse").with_effect(Effect::PersistConfig))
}

/// GetZeroConfiguration: the stored setting and, when enabled, the
/// interface's link-local IPv4 addresses.
pub(super) fn get_zero_configuration(
    call: &Call<'_>,
    ctx: &mut OnvifContext,
) -> Result<Reply, Fault> {
    let list = interfaces(call, ctx);
    let zero = &ctx.state.network().zero_configuration;
    let token = zero
        .interface_token
        .clone()
        .or_else(|| list.first().map(|i| i.name.clone()))
        .unwrap_or_else(|| "eth0".to_owned());
    let addresses: Vec<Ipv4Addr> = if zero.enabled {
        list.iter()
            .filter(|i| i.name == token)
            .flat_map(|i| i.ipv4.iter().map(|(a, _)| *a))
            .filter(|a| is_link_local_v4(*a))
            .collect()
    } else {
        Vec::new()
    };
    let enabled = zero.enabled;
    Ok(Reply::build(|w| {
        w.elem("tds:GetZeroConfigurationResponse", |w| {
            w.elem("tds:ZeroConfiguration", |w| {
                w.leaf("tt:InterfaceToken", &token);
                w.leaf("tt:Enabled", xs_bool(enabled));
                for address in &addresses {
                    w.leaf_display("tt:Addresses", address);
                }
            });
        });
    }))
}

/// SetZeroConfiguration.
pub(super) fn set_zero_configuration(
    call: &Call<'_>,
    ctx: &mut OnvifContext,
) -> Result<Reply, Fault> {
    let token = required_text(call.body, "InterfaceToken")?;
    let enabled = required_bool(call.body, "Enabled")?;
    if !interfaces(call, ctx).iter().any(|i| i.name == token) {
        return Err(no_interface(token));
    }
    ctx.state.set_zero_configuration(token, enabled);
    Ok(Reply::empty("tds:SetZeroConfigurationResponse").with_effect(Effect::PersistConfig))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stand_in_macs_are_stable_and_locally_administered() {
        let mac = stand_in_mac("urn:uuid:6ba7b810-9dad-41d1-80b4-00c04fd430c8");
        assert_eq!(format_mac(mac), "6a:a7:b8:10:9d:ad");
        assert_eq!(mac[0] & 0x03, 0x02);
        assert_eq!(format_mac(stand_in_mac("nonsense")), "02:00:00:00:00:01");
    }

    #[test]
    fn link_local_addresses() {
        assert!(is_link_local_v4("169.254.3.4".parse().unwrap()));
        assert!(!is_link_local_v4("192.168.1.2".parse().unwrap()));
        assert!(is_link_local_v6("fe80::1".parse().unwrap()));
        assert!(!is_link_local_v6("2001:db8::1".parse().unwrap()));
    }
}
