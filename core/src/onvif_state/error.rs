//! Why the device refused a change, and the ONVIF fault that says so.

use std::fmt;

/// A refused change. Each maps to the ONVIF fault the services answer
/// with: see [`StateError::fault`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StateError {
    /// No profile has this token (`ter:InvalidArgVal/ter:NoProfile`).
    NoProfile(String),
    /// No configuration of the asked kind has this token
    /// (`ter:InvalidArgVal/ter:NoConfig`).
    NoConfig(String),
    /// No video or audio source has this token
    /// (`ter:InvalidArgVal/ter:NoSource`).
    NoSource(String),
    /// A configuration value outside the advertised options
    /// (`ter:InvalidArgVal/ter:ConfigModify`); the text says which.
    ConfigModify(String),
    /// The profile token is taken (`ter:InvalidArgVal/ter:ProfileExists`).
    ProfileExists(String),
    /// No room for another profile (`ter:Action/ter:MaxNVTProfiles`).
    MaxProfiles,
    /// Fixed profiles cannot be deleted
    /// (`ter:Action/ter:DeletionOfFixedProfile`).
    DeletionOfFixedProfile(String),
    /// The configuration does not fit the profile
    /// (`ter:Action/ter:ConfigurationConflict`); the text says why.
    ConfigurationConflict(String),
    /// The user exists already (`ter:OperationProhibited/ter:UsernameClash`).
    UsernameClash(String),
    /// No such user (`ter:InvalidArgVal/ter:UsernameMissing`).
    UsernameMissing(String),
    /// A fixed user cannot be deleted (`ter:InvalidArgVal/ter:FixedUser`).
    FixedUser(String),
    /// No room for another user (`ter:Action/ter:TooManyUsers`).
    TooManyUsers,
    /// The user name is too long (`ter:OperationProhibited/ter:UsernameTooLong`).
    UsernameTooLong,
    /// The user name is empty or unusable
    /// (`ter:OperationProhibited/ter:UsernameTooShort`).
    UsernameTooShort,
    /// The password is too long (`ter:OperationProhibited/ter:PasswordTooLong`).
    PasswordTooLong,
    /// The password has control characters or surrounding spaces
    /// (`ter:OperationProhibited/ter:PasswordTooWeak`).
    PasswordTooWeak,
    /// Users cannot be created or set to the Anonymous level
    /// (`ter:OperationProhibited/ter:AnonymousNotAllowed`).
    AnonymousNotAllowed,
    /// No room for more scopes (`ter:Action/ter:TooManyScopes`).
    TooManyScopes,
    /// The scope exists already, or is fixed
    /// (`ter:OperationProhibited/ter:ScopeOverwrite`).
    ScopeOverwrite(String),
    /// Fixed scopes cannot be removed (`ter:OperationProhibited/ter:FixedScope`).
    FixedScope(String),
    /// No such scope (`ter:InvalidArgVal/ter:NoScope`).
    NoScope(String),
    /// Not a valid host name (`ter:InvalidArgVal/ter:InvalidHostname`).
    InvalidHostname(String),
    /// Not a valid IPv4 address (`ter:InvalidArgVal/ter:InvalidIPv4Address`).
    InvalidIpv4Address(String),
    /// Not a valid IPv6 address (`ter:InvalidArgVal/ter:InvalidIPv6Address`).
    InvalidIpv6Address(String),
    /// Not a valid DNS name (`ter:InvalidArgVal/ter:InvalidDnsName`).
    InvalidDnsName(String),
    /// An unknown network protocol (`ter:InvalidArgVal/ter:ServiceNotSupported`).
    ServiceNotSupported(String),
    /// A port of a network protocol is not usable
    /// (`ter:InvalidArgVal/ter:PortAlreadyInUse`).
    InvalidPort(String),
    /// Not a POSIX TZ string we understand (`ter:InvalidArgVal/ter:InvalidTimeZone`).
    InvalidTimeZone(String),
    /// Not a valid date and time (`ter:InvalidArgVal/ter:InvalidDateTime`).
    InvalidDateTime(String),
    /// No room for another OSD (`ter:Action/ter:MaxOSDs`).
    MaxOsds,
    /// No relay output has this token (`ter:InvalidArgVal/ter:RelayToken`).
    NoRelayOutput(String),
    /// Any other invalid argument (`ter:InvalidArgVal`); the text says what.
    InvalidArgument(String),
}

/// An ONVIF fault: `env:Sender` or `env:Receiver`, then `ter:` subcodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FaultCode {
    /// `true` for `env:Receiver` (the device cannot), `false` for
    /// `env:Sender` (the request is wrong).
    pub receiver: bool,
    /// The first subcode's local name in the `ter` namespace
    /// (`InvalidArgVal`, `Action`, `OperationProhibited`).
    pub subcode: &'static str,
    /// The second subcode's local name, when there is one (`NoProfile` ...).
    pub detail: Option<&'static str>,
}

impl FaultCode {
    const fn sender(subcode: &'static str, detail: &'static str) -> FaultCode {
        FaultCode {
            receiver: false,
            subcode,
            detail: Some(detail),
        }
    }

    const fn receiver(subcode: &'static str, detail: &'static str) -> FaultCode {
        FaultCode {
            receiver: true,
            subcode,
            detail: Some(detail),
        }
    }
}

impl StateError {
    /// The ONVIF fault for this error.
    pub fn fault(&self) -> FaultCode {
        use StateError::*;
        const ARG: &str = "InvalidArgVal";
        const PROHIBITED: &str = "OperationProhibited";
        match self {
            NoProfile(_) => FaultCode::sender(ARG, "NoProfile"),
            NoConfig(_) => FaultCode::sender(ARG, "NoConfig"),
            NoSource(_) => FaultCode::sender(ARG, "NoSource"),
            ConfigModify(_) => FaultCode::sender(ARG, "ConfigModify"),
            ProfileExists(_) => FaultCode::sender(ARG, "ProfileExists"),
            MaxProfiles => FaultCode::receiver("Action", "MaxNVTProfiles"),
            DeletionOfFixedProfile(_) => FaultCode::sender("Action", "DeletionOfFixedProfile"),
            ConfigurationConflict(_) => FaultCode::sender("Action", "ConfigurationConflict"),
            UsernameClash(_) => FaultCode::sender(PROHIBITED, "UsernameClash"),
            UsernameMissing(_) => FaultCode::sender(ARG, "UsernameMissing"),
            FixedUser(_) => FaultCode::sender(ARG, "FixedUser"),
            TooManyUsers => FaultCode::receiver("Action", "TooManyUsers"),
            UsernameTooLong => FaultCode::sender(PROHIBITED, "UsernameTooLong"),
            UsernameTooShort => FaultCode::sender(PROHIBITED, "UsernameTooShort"),
            PasswordTooLong => FaultCode::sender(PROHIBITED, "PasswordTooLong"),
            PasswordTooWeak => FaultCode::sender(PROHIBITED, "PasswordTooWeak"),
            AnonymousNotAllowed => FaultCode::sender(PROHIBITED, "AnonymousNotAllowed"),
            TooManyScopes => FaultCode::receiver("Action", "TooManyScopes"),
            ScopeOverwrite(_) => FaultCode::sender(PROHIBITED, "ScopeOverwrite"),
            FixedScope(_) => FaultCode::sender(PROHIBITED, "FixedScope"),
            NoScope(_) => FaultCode::sender(ARG, "NoScope"),
            InvalidHostname(_) => FaultCode::sender(ARG, "InvalidHostname"),
            InvalidIpv4Address(_) => FaultCode::sender(ARG, "InvalidIPv4Address"),
            InvalidIpv6Address(_) => FaultCode::sender(ARG, "InvalidIPv6Address"),
            InvalidDnsName(_) => FaultCode::sender(ARG, "InvalidDnsName"),
            ServiceNotSupported(_) => FaultCode::sender(ARG, "ServiceNotSupported"),
            InvalidPort(_) => FaultCode::sender(ARG, "PortAlreadyInUse"),
            InvalidTimeZone(_) => FaultCode::sender(ARG, "InvalidTimeZone"),
            InvalidDateTime(_) => FaultCode::sender(ARG, "InvalidDateTime"),
            MaxOsds => FaultCode::receiver("Action", "MaxOSDs"),
            NoRelayOutput(_) => FaultCode::sender(ARG, "RelayToken"),
            InvalidArgument(_) => FaultCode {
                receiver: false,
                subcode: ARG,
                detail: None,
            },
        }
    }
}

impl fmt::Display for StateError {
    /// A human-readable reason, for the fault's `Reason` text and logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use StateError::*;
        match self {
            NoProfile(token) => write!(f, "no profile {token:?}"),
            NoConfig(token) => write!(f, "no configuration {token:?}"),
            NoSource(token) => write!(f, "no source {token:?}"),
            ConfigModify(why) => write!(f, "invalid configuration: {why}"),
            ProfileExists(token) => write!(f, "profile {token:?} exists already"),
            MaxProfiles => f.write_str("no room for another profile"),
            DeletionOfFixedProfile(token) => write!(f, "profile {token:?} is fixed"),
            ConfigurationConflict(why) => write!(f, "configuration conflict: {why}"),
            UsernameClash(name) => write!(f, "user {name:?} exists already"),
            UsernameMissing(name) => write!(f, "no user {name:?}"),
            FixedUser(name) => write!(f, "user {name:?} is fixed"),
            TooManyUsers => f.write_str("no room for another user"),
            UsernameTooLong => f.write_str("user name too long"),
            UsernameTooShort => f.write_str("user name empty or unusable"),
            PasswordTooLong => f.write_str("password too long"),
            PasswordTooWeak => f.write_str("password has control characters or surrounding spaces"),
            AnonymousNotAllowed => f.write_str("users cannot have the Anonymous level"),
            TooManyScopes => f.write_str("no room for more scopes"),
            ScopeOverwrite(scope) => write!(f, "scope {scope:?} exists already or is fixed"),
            FixedScope(scope) => write!(f, "scope {scope:?} is fixed"),
            NoScope(scope) => write!(f, "no scope {scope:?}"),
            InvalidHostname(name) => write!(f, "invalid host name {name:?}"),
            InvalidIpv4Address(addr) => write!(f, "invalid IPv4 address {addr:?}"),
            InvalidIpv6Address(addr) => write!(f, "invalid IPv6 address {addr:?}"),
            InvalidDnsName(name) => write!(f, "invalid DNS name {name:?}"),
            ServiceNotSupported(name) => write!(f, "unsupported protocol {name:?}"),
            InvalidPort(why) => write!(f, "invalid port: {why}"),
            InvalidTimeZone(tz) => write!(f, "invalid POSIX time zone {tz:?}"),
            InvalidDateTime(why) => write!(f, "invalid date and time: {why}"),
            MaxOsds => f.write_str("no room for another OSD"),
            NoRelayOutput(token) => write!(f, "no relay output {token:?}"),
            InvalidArgument(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for StateError {}

/// `ter:A` then `ter:B`, as a static subcode chain.
macro_rules! ter_chain {
    ($first:literal) => {
        &[concat!("ter:", $first)]
    };
    ($first:literal, $second:literal) => {
        &[concat!("ter:", $first), concat!("ter:", $second)]
    };
}

impl From<StateError> for crate::onvif::Fault {
    /// The SOAP fault a service answers a refused change with: the code
    /// and subcodes of [`StateError::fault`], the error text as reason. So
    /// handlers can write `ctx.state.create_profile(name, None)?`.
    fn from(error: StateError) -> crate::onvif::Fault {
        use StateError::*;
        let subcodes: &'static [&'static str] = match &error {
            NoProfile(_) => ter_chain!("InvalidArgVal", "NoProfile"),
            NoConfig(_) => ter_chain!("InvalidArgVal", "NoConfig"),
            NoSource(_) => ter_chain!("InvalidArgVal", "NoSource"),
            ConfigModify(_) => ter_chain!("InvalidArgVal", "ConfigModify"),
            ProfileExists(_) => ter_chain!("InvalidArgVal", "ProfileExists"),
            MaxProfiles => ter_chain!("Action", "MaxNVTProfiles"),
            DeletionOfFixedProfile(_) => ter_chain!("Action", "DeletionOfFixedProfile"),
            ConfigurationConflict(_) => ter_chain!("Action", "ConfigurationConflict"),
            UsernameClash(_) => ter_chain!("OperationProhibited", "UsernameClash"),
            UsernameMissing(_) => ter_chain!("InvalidArgVal", "UsernameMissing"),
            FixedUser(_) => ter_chain!("InvalidArgVal", "FixedUser"),
            TooManyUsers => ter_chain!("Action", "TooManyUsers"),
            UsernameTooLong => ter_chain!("OperationProhibited", "UsernameTooLong"),
            UsernameTooShort => ter_chain!("OperationProhibited", "UsernameTooShort"),
            PasswordTooLong => ter_chain!("OperationProhibited", "PasswordTooLong"),
            PasswordTooWeak => ter_chain!("OperationProhibited", "PasswordTooWeak"),
            AnonymousNotAllowed => ter_chain!("OperationProhibited", "AnonymousNotAllowed"),
            TooManyScopes => ter_chain!("Action", "TooManyScopes"),
            ScopeOverwrite(_) => ter_chain!("OperationProhibited", "ScopeOverwrite"),
            FixedScope(_) => ter_chain!("OperationProhibited", "FixedScope"),
            NoScope(_) => ter_chain!("InvalidArgVal", "NoScope"),
            InvalidHostname(_) => ter_chain!("InvalidArgVal", "InvalidHostname"),
            InvalidIpv4Address(_) => ter_chain!("InvalidArgVal", "InvalidIPv4Address"),
            InvalidIpv6Address(_) => ter_chain!("InvalidArgVal", "InvalidIPv6Address"),
            InvalidDnsName(_) => ter_chain!("InvalidArgVal", "InvalidDnsName"),
            ServiceNotSupported(_) => ter_chain!("InvalidArgVal", "ServiceNotSupported"),
            InvalidPort(_) => ter_chain!("InvalidArgVal", "PortAlreadyInUse"),
            InvalidTimeZone(_) => ter_chain!("InvalidArgVal", "InvalidTimeZone"),
            InvalidDateTime(_) => ter_chain!("InvalidArgVal", "InvalidDateTime"),
            MaxOsds => ter_chain!("Action", "MaxOSDs"),
            NoRelayOutput(_) => ter_chain!("InvalidArgVal", "RelayToken"),
            InvalidArgument(_) => ter_chain!("InvalidArgVal"),
        };
        let reason = error.to_string();
        if error.fault().receiver {
            crate::onvif::Fault::receiver(subcodes, reason)
        } else {
            crate::onvif::Fault::sender(subcodes, reason)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::onvif::{Fault, FaultCode as SoapCode};

    /// One error of every kind.
    fn every_error() -> Vec<StateError> {
        use StateError::*;
        let s = || String::from("x");
        vec![
            NoProfile(s()),
            NoConfig(s()),
            NoSource(s()),
            ConfigModify(s()),
            ProfileExists(s()),
            MaxProfiles,
            DeletionOfFixedProfile(s()),
            ConfigurationConflict(s()),
            UsernameClash(s()),
            UsernameMissing(s()),
            FixedUser(s()),
            TooManyUsers,
            UsernameTooLong,
            UsernameTooShort,
            PasswordTooLong,
            PasswordTooWeak,
            AnonymousNotAllowed,
            TooManyScopes,
            ScopeOverwrite(s()),
            FixedScope(s()),
            NoScope(s()),
            InvalidHostname(s()),
            InvalidIpv4Address(s()),
            InvalidIpv6Address(s()),
            InvalidDnsName(s()),
            ServiceNotSupported(s()),
            InvalidPort(s()),
            InvalidTimeZone(s()),
            InvalidDateTime(s()),
            MaxOsds,
            NoRelayOutput(s()),
            InvalidArgument(s()),
        ]
    }

    #[test]
    fn soap_faults_carry_the_state_fault_codes() {
        for error in every_error() {
            let code = error.fault();
            let reason = error.to_string();
            let fault = Fault::from(error);
            let expected: Vec<String> = std::iter::once(code.subcode)
                .chain(code.detail)
                .map(|name| format!("ter:{name}"))
                .collect();
            assert_eq!(fault.subcodes, expected.as_slice(), "{reason}");
            let soap = if code.receiver {
                SoapCode::Receiver
            } else {
                SoapCode::Sender
            };
            assert_eq!(fault.code, soap, "{reason}");
            assert_eq!(fault.reason, reason);
        }
    }
}
