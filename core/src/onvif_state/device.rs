//! Changes made through the Device and Device IO services: users, scopes,
//! network settings (stored, never applied to the host), date and time,
//! relay outputs, factory defaults.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::timezone::{CivilDateTime, PosixTz};
use super::types::{
    DateTimeType, DiscoveryMode, DnsSettings, GatewaySettings, InterfaceOverride, NetworkHost,
    NetworkProtocol, NtpSettings, ProtocolKind, RelayIdleState, RelayMode,
};
use super::{DeviceState, MAX_SCOPES, MAX_USERS, StateError, validate};
use crate::config::{OnvifConfig, OnvifUser, ScopeConfig, UserLevel};

/// SetUser: a new password (when given) and level for an existing user.
#[derive(Clone, PartialEq, Eq)]
pub struct UserChange {
    /// The user to change.
    pub username: String,
    /// The new password; `None` keeps the old one.
    pub password: Option<String>,
    /// The new level.
    pub level: UserLevel,
}

impl std::fmt::Debug for UserChange {
    /// Keeps the password out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserChange")
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("level", &self.level)
            .finish()
    }
}

/// SetSystemDateAndTime.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetDateTime {
    /// Manual or NTP.
    pub kind: DateTimeType,
    /// The DaylightSavings flag.
    pub daylight_savings: bool,
    /// The POSIX TZ string; `None` keeps the current one.
    pub time_zone: Option<String>,
    /// The UTC date and time for `Manual`; `None` keeps the clock as it is.
    pub utc: Option<CivilDateTime>,
}

/// SetSystemFactoryDefault's kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FactoryDefault {
    /// Everything back to `onvif.cfg` (the endpoint reference is kept).
    Hard,
    /// Everything but the network settings back to `onvif.cfg`.
    Soft,
}

impl DeviceState {
    /// SetSystemFactoryDefault: the state of `config`, as at a first start.
    /// The WS-Discovery endpoint reference stays (clients know the device
    /// by it), and so does the default stream; a soft reset also keeps the
    /// network settings.
    pub fn reset_to_factory_default(&mut self, config: &OnvifConfig, kind: FactoryDefault) {
        let mut fresh = DeviceState::from_config(config, 0);
        if config.endpoint_reference.is_none() {
            fresh.endpoint_reference = std::mem::take(&mut self.endpoint_reference);
        }
        fresh.default_stream = std::mem::take(&mut self.default_stream);
        if kind == FactoryDefault::Soft {
            fresh.network = std::mem::replace(&mut self.network, fresh.network.clone());
        } else {
            // The RTSP port is the server's, not a stored setting.
            let rtsp = self.rtsp_ports();
            fresh.set_protocol_ports(ProtocolKind::Rtsp, rtsp);
        }
        *self = fresh;
    }

    fn rtsp_ports(&self) -> Vec<u16> {
        self.network
            .protocols
            .iter()
            .find(|p| p.kind == ProtocolKind::Rtsp)
            .map(|p| p.ports.clone())
            .unwrap_or_default()
    }

    fn set_protocol_ports(&mut self, kind: ProtocolKind, ports: Vec<u16>) {
        if ports.is_empty() {
            return;
        }
        if let Some(protocol) = self.network.protocols.iter_mut().find(|p| p.kind == kind) {
            protocol.ports = ports;
        }
    }

    /// Reports `port` as the RTSP port in GetNetworkProtocols. The runtime
    /// calls this with `rtsp.cfg`'s port after building or loading the
    /// state (the state cannot know it).
    pub fn set_rtsp_port(&mut self, port: u16) {
        if port != 0 {
            self.set_protocol_ports(ProtocolKind::Rtsp, vec![port]);
        }
    }

    /// CreateUsers: all or none. New users are not fixed; the Anonymous
    /// level is refused.
    pub fn create_users(&mut self, users: &[OnvifUser]) -> Result<(), StateError> {
        if self.users.len() + users.len() > MAX_USERS {
            return Err(StateError::TooManyUsers);
        }
        for (i, user) in users.iter().enumerate() {
            check_username(&user.username)?;
            check_password(&user.password)?;
            if user.level == UserLevel::Anonymous {
                return Err(StateError::AnonymousNotAllowed);
            }
            let clash = self.user(&user.username).is_some()
                || users[..i].iter().any(|u| u.username == user.username);
            if clash {
                return Err(StateError::UsernameClash(user.username.clone()));
            }
        }
        self.users.extend(users.iter().map(|user| OnvifUser {
            fixed: false,
            ..user.clone()
        }));
        Ok(())
    }

    /// DeleteUsers: all or none; fixed users (those of `onvif.cfg`) cannot
    /// be deleted.
    pub fn delete_users(&mut self, usernames: &[&str]) -> Result<(), StateError> {
        for name in usernames {
            let user = self
                .user(name)
                .ok_or_else(|| StateError::UsernameMissing((*name).to_owned()))?;
            if user.fixed {
                return Err(StateError::FixedUser((*name).to_owned()));
            }
        }
        self.users
            .retain(|u| !usernames.contains(&u.username.as_str()));
        Ok(())
    }

    /// SetUser: all or none.
    pub fn set_users(&mut self, changes: &[UserChange]) -> Result<(), StateError> {
        for change in changes {
            if self.user(&change.username).is_none() {
                return Err(StateError::UsernameMissing(change.username.clone()));
            }
            if let Some(password) = &change.password {
                check_password(password)?;
            }
            if change.level == UserLevel::Anonymous {
                return Err(StateError::AnonymousNotAllowed);
            }
        }
        for change in changes {
            if let Some(user) = self
                .users
                .iter_mut()
                .find(|u| u.username == change.username)
            {
                if let Some(password) = &change.password {
                    user.password.clone_from(password);
                }
                user.level = change.level;
            }
        }
        Ok(())
    }

    /// SetScopes: replaces every configurable scope by `scopes`. A scope
    /// equal to a fixed one is refused (`ScopeOverwrite`).
    pub fn set_scopes(&mut self, scopes: &[&str]) -> Result<(), StateError> {
        let scopes = dedup_scopes(scopes)?;
        for scope in &scopes {
            if self.scopes.iter().any(|s| s.fixed && s.uri == *scope) {
                return Err(StateError::ScopeOverwrite(scope.clone()));
            }
        }
        let fixed = self.scopes.iter().filter(|s| s.fixed).count();
        if fixed + scopes.len() > MAX_SCOPES {
            return Err(StateError::TooManyScopes);
        }
        self.scopes.retain(|s| s.fixed);
        self.scopes.extend(
            scopes
                .into_iter()
                .map(|uri| ScopeConfig { uri, fixed: false }),
        );
        Ok(())
    }

    /// AddScopes: adds configurable scopes; one that exists already is
    /// refused (`ScopeOverwrite`), as in Happytime.
    pub fn add_scopes(&mut self, scopes: &[&str]) -> Result<(), StateError> {
        let scopes = dedup_scopes(scopes)?;
        for scope in &scopes {
            if self.scopes.iter().any(|s| s.uri == *scope) {
                return Err(StateError::ScopeOverwrite(scope.clone()));
            }
        }
        if self.scopes.len() + scopes.len() > MAX_SCOPES {
            return Err(StateError::TooManyScopes);
        }
        self.scopes.extend(
            scopes
                .into_iter()
                .map(|uri| ScopeConfig { uri, fixed: false }),
        );
        Ok(())
    }

    /// RemoveScopes: removes configurable scopes; a fixed or unknown scope
    /// is refused. Returns the removed scopes.
    pub fn remove_scopes(&mut self, scopes: &[&str]) -> Result<Vec<String>, StateError> {
        for scope in scopes {
            match self.scopes.iter().find(|s| s.uri == *scope) {
                None => return Err(StateError::NoScope((*scope).to_owned())),
                Some(s) if s.fixed => return Err(StateError::FixedScope((*scope).to_owned())),
                Some(_) => {}
            }
        }
        let mut removed = Vec::new();
        self.scopes.retain(|s| {
            let remove = scopes.contains(&s.uri.as_str());
            if remove {
                removed.push(s.uri.clone());
            }
            !remove
        });
        Ok(removed)
    }

    /// SetHostname (stored, not applied).
    pub fn set_hostname(&mut self, name: &str) -> Result<(), StateError> {
        let name = name.trim();
        if !validate::is_hostname(name) {
            return Err(StateError::InvalidHostname(name.to_owned()));
        }
        self.network.hostname.name = Some(name.to_owned());
        self.network.hostname.from_dhcp = false;
        Ok(())
    }

    /// SetHostnameFromDHCP (stored, not applied).
    pub fn set_hostname_from_dhcp(&mut self, from_dhcp: bool) {
        self.network.hostname.from_dhcp = from_dhcp;
    }

    /// SetDiscoveryMode.
    pub fn set_discovery_mode(&mut self, mode: DiscoveryMode) {
        self.network.discovery_mode = mode;
    }

    /// SetDNS (stored, not applied).
    pub fn set_dns(&mut self, dns: DnsSettings) -> Result<(), StateError> {
        let mut dns = dns;
        for domain in &mut dns.search_domains {
            *domain = domain.trim().to_owned();
            if !validate::is_dns_name(domain) {
                return Err(StateError::InvalidDnsName(domain.clone()));
            }
        }
        self.network.dns = dns;
        Ok(())
    }

    /// SetNTP (stored, not applied).
    pub fn set_ntp(&mut self, ntp: NtpSettings) -> Result<(), StateError> {
        for server in &ntp.servers {
            if let NetworkHost::Dns(name) = server {
                if !validate::is_dns_name(name) {
                    return Err(StateError::InvalidDnsName(name.clone()));
                }
            }
        }
        self.network.ntp = ntp;
        Ok(())
    }

    /// SetNetworkProtocols (stored, not applied): each given protocol
    /// replaces its entry. Enabled protocols need ports, none 0, and no
    /// port may serve two protocols.
    pub fn set_network_protocols(
        &mut self,
        protocols: &[NetworkProtocol],
    ) -> Result<(), StateError> {
        let mut merged = self.network.protocols.clone();
        for protocol in protocols {
            if protocol.enabled && protocol.ports.is_empty() {
                return Err(StateError::InvalidPort(format!(
                    "{} is enabled without a port",
                    protocol.kind.name()
                )));
            }
            if protocol.ports.contains(&0) {
                return Err(StateError::InvalidPort("port 0".into()));
            }
            match merged.iter_mut().find(|p| p.kind == protocol.kind) {
                Some(entry) => *entry = protocol.clone(),
                None => merged.push(protocol.clone()),
            }
        }
        let mut seen = Vec::new();
        for protocol in merged.iter().filter(|p| p.enabled) {
            for port in &protocol.ports {
                if seen.contains(port) {
                    return Err(StateError::InvalidPort(format!(
                        "port {port} is used twice"
                    )));
                }
                seen.push(*port);
            }
        }
        self.network.protocols = merged;
        Ok(())
    }

    /// SetNetworkDefaultGateway (stored, not applied).
    pub fn set_gateway(&mut self, gateway: GatewaySettings) {
        self.network.gateway = gateway;
    }

    /// SetZeroConfiguration (stored, not applied).
    pub fn set_zero_configuration(&mut self, interface_token: &str, enabled: bool) {
        self.network.zero_configuration.interface_token = Some(interface_token.to_owned());
        self.network.zero_configuration.enabled = enabled;
    }

    /// SetNetworkInterfaces (stored, not applied): replaces the overrides
    /// of `settings.token`.
    pub fn set_interface_override(
        &mut self,
        settings: InterfaceOverride,
    ) -> Result<(), StateError> {
        validate::check_token(&settings.token)
            .map_err(|why| StateError::InvalidArgument(format!("interface token: {why}")))?;
        if let Some(mtu) = settings.mtu {
            if !(68..=65_535).contains(&mtu) {
                return Err(StateError::InvalidArgument(format!(
                    "MTU {mtu} out of range"
                )));
            }
        }
        for address in &settings.ipv4_manual {
            if address.prefix_length > 32 {
                return Err(StateError::InvalidIpv4Address(format!(
                    "{}/{}",
                    address.address, address.prefix_length
                )));
            }
        }
        match self
            .network
            .interfaces
            .iter_mut()
            .find(|i| i.token == settings.token)
        {
            Some(entry) => *entry = settings,
            None => self.network.interfaces.push(settings),
        }
        Ok(())
    }

    /// SetSystemDateAndTime. The host clock is never set: a manual UTC time
    /// becomes an offset from `host_now` (host Unix seconds); NTP clears the
    /// offset (the host clock is taken to be synchronised).
    pub fn set_system_date_time(
        &mut self,
        request: &SetDateTime,
        host_now: i64,
    ) -> Result<(), StateError> {
        let time_zone = match &request.time_zone {
            Some(tz) => {
                let tz = tz.trim();
                if PosixTz::parse(tz).is_none() {
                    return Err(StateError::InvalidTimeZone(tz.to_owned()));
                }
                tz.to_owned()
            }
            None => self.date_time.time_zone.clone(),
        };
        let offset = match (request.kind, request.utc) {
            (DateTimeType::Ntp, _) => 0,
            (DateTimeType::Manual, Some(utc)) => {
                utc.validate()
                    .map_err(|why| StateError::InvalidDateTime(format!("{utc}: {why}")))?;
                utc.to_unix().saturating_sub(host_now)
            }
            (DateTimeType::Manual, None) => self.date_time.clock_offset,
        };
        self.date_time.kind = request.kind;
        self.date_time.daylight_savings = request.daylight_savings;
        self.date_time.time_zone = time_zone;
        self.date_time.clock_offset = offset;
        Ok(())
    }

    /// The device's UTC clock (Unix seconds) when the host's reads
    /// `host_now`.
    pub fn device_utc(&self, host_now: i64) -> i64 {
        host_now.saturating_add(self.date_time.clock_offset)
    }

    /// The device's UTC and local date and time, and whether DST is in
    /// effect, when the host's clock reads `host_now` (for
    /// GetSystemDateAndTime). A stored zone that no longer parses counts
    /// as UTC.
    pub fn device_date_time(&self, host_now: i64) -> (CivilDateTime, CivilDateTime, bool) {
        let utc = self.device_utc(host_now);
        let (local, dst) = match PosixTz::parse(&self.date_time.time_zone) {
            Some(tz) => tz.local_time(utc),
            None => (CivilDateTime::from_unix(utc), false),
        };
        (CivilDateTime::from_unix(utc), local, dst)
    }

    /// SetRelayOutputSettings.
    pub fn set_relay_output_settings(
        &mut self,
        token: &str,
        mode: RelayMode,
        delay_time: u32,
        idle_state: RelayIdleState,
    ) -> Result<(), StateError> {
        let relay = self
            .relay_outputs
            .iter_mut()
            .find(|r| r.token == token)
            .ok_or_else(|| StateError::NoRelayOutput(token.to_owned()))?;
        if delay_time > 86_400 {
            return Err(StateError::InvalidArgument(format!(
                "relay delay time {delay_time} s is over a day"
            )));
        }
        relay.mode = mode;
        relay.delay_time = delay_time;
        relay.idle_state = idle_state;
        Ok(())
    }

    /// SetRelayOutputState.
    pub fn set_relay_output_state(&mut self, token: &str, active: bool) -> Result<(), StateError> {
        let relay = self
            .relay_outputs
            .iter_mut()
            .find(|r| r.token == token)
            .ok_or_else(|| StateError::NoRelayOutput(token.to_owned()))?;
        relay.active = active;
        Ok(())
    }
}

/// Checks and deduplicates scopes of a request.
fn dedup_scopes(scopes: &[&str]) -> Result<Vec<String>, StateError> {
    let mut unique: Vec<String> = Vec::new();
    for scope in scopes {
        let scope = scope.trim();
        validate::check_scope(scope)
            .map_err(|why| StateError::InvalidArgument(format!("scope {scope:?}: {why}")))?;
        if !unique.iter().any(|s| s == scope) {
            unique.push(scope.to_owned());
        }
    }
    Ok(unique)
}

fn check_username(name: &str) -> Result<(), StateError> {
    if name.chars().count() > validate::MAX_USERNAME_LEN {
        return Err(StateError::UsernameTooLong);
    }
    validate::check_username(name).map_err(|_| StateError::UsernameTooShort)
}

fn check_password(password: &str) -> Result<(), StateError> {
    if password.chars().count() > validate::MAX_PASSWORD_LEN {
        return Err(StateError::PasswordTooLong);
    }
    validate::check_password(password).map_err(|_| StateError::PasswordTooWeak)
}

impl NetworkHost {
    /// A `tt:NetworkHost` from its `Type` (`IPv4`, `IPv6`, `DNS`) and
    /// value, with the ONVIF fault for a malformed one.
    pub fn parse(type_name: &str, value: &str) -> Result<NetworkHost, StateError> {
        let value = value.trim();
        if type_name.eq_ignore_ascii_case("IPv4") {
            parse_ipv4(value).map(NetworkHost::Ipv4)
        } else if type_name.eq_ignore_ascii_case("IPv6") {
            parse_ipv6(value).map(NetworkHost::Ipv6)
        } else if type_name.eq_ignore_ascii_case("DNS") {
            if validate::is_dns_name(value) {
                Ok(NetworkHost::Dns(value.to_owned()))
            } else {
                Err(StateError::InvalidDnsName(value.to_owned()))
            }
        } else {
            Err(StateError::InvalidArgument(format!(
                "network host type {type_name:?}"
            )))
        }
    }
}

/// An IPv4 address, or `InvalidIPv4Address`.
pub fn parse_ipv4(text: &str) -> Result<Ipv4Addr, StateError> {
    text.trim()
        .parse()
        .map_err(|_| StateError::InvalidIpv4Address(text.to_owned()))
}

/// An IPv6 address, or `InvalidIPv6Address`.
pub fn parse_ipv6(text: &str) -> Result<Ipv6Addr, StateError> {
    text.trim()
        .parse()
        .map_err(|_| StateError::InvalidIpv6Address(text.to_owned()))
}
