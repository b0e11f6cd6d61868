//! SOAP faults with ONVIF subcodes (ONVIF Core spec, section "Error
//! handling"), in SOAP 1.2 and SOAP 1.1 form.
//!
//! A fault has a code (`Sender` for a bad request, `Receiver` for a device
//! problem), a chain of subcodes, outermost first
//! (`ter:InvalidArgVal` then `ter:NoProfile`), a human-readable reason and an
//! optional detail. It is always sent as a SOAP envelope with the SOAP
//! content type (never an HTML page), with `ter:` declared on the envelope.
//!
//! HTTP status (SOAP 1.2 HTTP binding): 400 for `Sender`, 500 otherwise;
//! an authentication failure the device answers with an HTTP challenge is
//! sent as 401 ([`Fault::with_status`]).
//!
//! In SOAP 1.1, which has no subcodes, the most specific subcode becomes the
//! `faultcode` (as the WS-Addressing SOAP 1.1 binding does), else
//! `s:Client`/`s:Server`.

use std::borrow::Cow;

use super::soap::SoapVersion;
use super::writer::XmlWriter;
use crate::http::{Response, StatusCode};

/// ONVIF fault subcodes, as `ter:` QNames ready to write.
pub mod ter {
    /// Argument value invalid.
    pub const INVALID_ARG_VAL: &str = "ter:InvalidArgVal";
    /// Invalid arguments (missing or unknown parameter).
    pub const INVALID_ARGS: &str = "ter:InvalidArgs";
    /// Optional action not implemented.
    pub const ACTION_NOT_SUPPORTED: &str = "ter:ActionNotSupported";
    /// The requested action failed.
    pub const ACTION: &str = "ter:Action";
    /// Sender not authorized.
    pub const NOT_AUTHORIZED: &str = "ter:NotAuthorized";
    /// The operation is prohibited in the current state.
    pub const OPERATION_PROHIBITED: &str = "ter:OperationProhibited";
    /// Unknown action.
    pub const UNKNOWN_ACTION: &str = "ter:UnknownAction";
    /// XML well-formedness violation.
    pub const WELL_FORMED: &str = "ter:WellFormed";
    /// Tag mismatch.
    pub const TAG_MISMATCH: &str = "ter:TagMismatch";
    /// Missing required element.
    pub const TAG: &str = "ter:Tag";
    /// Namespace error.
    pub const NAMESPACE: &str = "ter:Namespace";
    /// Required attribute missing.
    pub const MISSING_ATTR: &str = "ter:MissingAttr";
    /// Prohibited attribute.
    pub const PROHIB_ATTR: &str = "ter:ProhibAttr";
    /// Profile token does not exist.
    pub const NO_PROFILE: &str = "ter:NoProfile";
    /// Configuration token does not exist.
    pub const NO_CONFIG: &str = "ter:NoConfig";
    /// Source token does not exist.
    pub const NO_SOURCE: &str = "ter:NoSource";
    /// Entity token does not exist.
    pub const NO_ENTITY: &str = "ter:NoEntity";
    /// Configuration parameters not possible to set.
    pub const CONFIG_MODIFY: &str = "ter:ConfigModify";
    /// Configuration cannot be added to the profile.
    pub const CONFIGURATION_CONFLICT: &str = "ter:ConfigurationConflict";
    /// The profile is fixed and cannot be deleted.
    pub const DELETION_OF_FIXED_PROFILE: &str = "ter:DeletionOfFixedProfile";
    /// The maximum number of profiles is reached.
    pub const MAX_NVT_PROFILES: &str = "ter:MaxNVTProfiles";
    /// The profile token already exists.
    pub const PROFILE_EXISTS: &str = "ter:ProfileExists";
    /// The stream setup is not supported.
    pub const INVALID_STREAM_SETUP: &str = "ter:InvalidStreamSetup";
    /// Too many users.
    pub const TOO_MANY_USERS: &str = "ter:TooManyUsers";
    /// User name already exists.
    pub const USERNAME_CLASH: &str = "ter:UsernameClash";
    /// User name unknown.
    pub const USERNAME_MISSING: &str = "ter:UsernameMissing";
    /// User name too long.
    pub const USERNAME_TOO_LONG: &str = "ter:UsernameTooLong";
    /// Password too long.
    pub const PASSWORD_TOO_LONG: &str = "ter:PasswordTooLong";
    /// Password too weak.
    pub const PASSWORD_TOO_WEAK: &str = "ter:PasswordTooWeak";
    /// The fixed administrator cannot be deleted.
    pub const FIXED_USER: &str = "ter:FixedUser";
    /// Anonymous user level not allowed.
    pub const ANONYMOUS_NOT_ALLOWED: &str = "ter:AnonymousNotAllowed";
    /// Scope list too long.
    pub const TOO_MANY_SCOPES: &str = "ter:TooManyScopes";
    /// Trying to remove or change a fixed scope.
    pub const CANNOT_OVERWRITE_HOME: &str = "ter:CannotOverwriteHome";
    /// Fixed scope.
    pub const SCOPE_OVERWRITE: &str = "ter:ScopeOverwrite";
    /// Scope to remove does not exist.
    pub const NO_SCOPE: &str = "ter:NoScope";
    /// Invalid host name.
    pub const INVALID_HOSTNAME: &str = "ter:InvalidHostname";
    /// Invalid date and time.
    pub const INVALID_DATE_TIME: &str = "ter:InvalidDateTime";
    /// Invalid time zone.
    pub const INVALID_TIME_ZONE: &str = "ter:InvalidTimeZone";
    /// NTP information is required.
    pub const NTP_SERVER_UNDEFINED: &str = "ter:NtpServerUndefined";
    /// Invalid IPv4 address.
    pub const INVALID_IPV4_ADDRESS: &str = "ter:InvalidIPv4Address";
    /// Invalid network interface.
    pub const INVALID_NETWORK_INTERFACE: &str = "ter:InvalidNetworkInterface";
    /// Invalid DNS name.
    pub const INVALID_DNS_NAME: &str = "ter:InvalidDnsName";
    /// Service not supported.
    pub const SERVICE_NOT_SUPPORTED: &str = "ter:ServiceNotSupported";
    /// The relay token is unknown.
    pub const RELAY_TOKEN: &str = "ter:RelayToken";
    /// Invalid filter (events).
    pub const INVALID_FILTER_FAULT: &str = "ter:InvalidFilterFault";
    /// Invalid topic expression (events).
    pub const INVALID_TOPIC_EXPRESSION_FAULT: &str = "ter:InvalidTopicExpressionFault";
    /// Invalid message content expression (events).
    pub const INVALID_MESSAGE_CONTENT_EXPRESSION_FAULT: &str =
        "ter:InvalidMessageContentExpressionFault";
    /// Subscription limit reached (events).
    pub const SUBSCRIPTION_LIMIT: &str = "ter:SubscriptionLimit";
    /// Unable to create a pull point.
    pub const UNABLE_TO_CREATE_PULL_POINT: &str = "ter:UnableToCreatePullPoint";
    /// The device is not in a state to do it.
    pub const NOT_SUPPORTED: &str = "ter:NotSupported";
    /// Too many presets, snapshots, OSDs...
    pub const MAX_OSDS: &str = "ter:MaxOSDs";
    /// Out of memory.
    pub const OUT_OF_MEMORY: &str = "ter:OutofMemory";
    /// Critical error.
    pub const CRITICAL_ERROR: &str = "ter:CriticalError";
}

/// The top-level fault code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultCode {
    /// The envelope is not SOAP 1.1 or 1.2.
    VersionMismatch,
    /// A `mustUnderstand` header was not understood.
    MustUnderstand,
    /// Unknown data encoding.
    DataEncodingUnknown,
    /// The request is wrong (SOAP 1.1 `Client`).
    Sender,
    /// The device failed (SOAP 1.1 `Server`).
    Receiver,
}

impl FaultCode {
    fn soap12(self) -> &'static str {
        match self {
            FaultCode::VersionMismatch => "s:VersionMismatch",
            FaultCode::MustUnderstand => "s:MustUnderstand",
            FaultCode::DataEncodingUnknown => "s:DataEncodingUnknown",
            FaultCode::Sender => "s:Sender",
            FaultCode::Receiver => "s:Receiver",
        }
    }

    fn soap11(self) -> &'static str {
        match self {
            FaultCode::VersionMismatch => "s:VersionMismatch",
            FaultCode::MustUnderstand => "s:MustUnderstand",
            FaultCode::DataEncodingUnknown | FaultCode::Sender => "s:Client",
            FaultCode::Receiver => "s:Server",
        }
    }
}

/// A SOAP fault, returned by handlers as their `Err`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    /// The code.
    pub code: FaultCode,
    /// Subcodes as prefixed QNames (prefixes the envelope declares),
    /// outermost first, e.g. `[ter::INVALID_ARG_VAL, ter::NO_PROFILE]`.
    pub subcodes: &'static [&'static str],
    /// Human-readable reason (escaped when written).
    pub reason: Cow<'static, str>,
    /// Optional `Detail` content: a trusted XML fragment, for example a
    /// `wsrf-r:ResourceUnknownFault` element built with [`XmlWriter`].
    pub detail: Option<String>,
    /// HTTP status override; `None` means 400 for `Sender`, 500 otherwise.
    pub status: Option<StatusCode>,
}

impl Fault {
    /// A `Sender` fault with the given subcode chain.
    pub fn sender(
        subcodes: &'static [&'static str],
        reason: impl Into<Cow<'static, str>>,
    ) -> Fault {
        Fault {
            code: FaultCode::Sender,
            subcodes,
            reason: reason.into(),
            detail: None,
            status: None,
        }
    }

    /// A `Receiver` fault with the given subcode chain.
    pub fn receiver(
        subcodes: &'static [&'static str],
        reason: impl Into<Cow<'static, str>>,
    ) -> Fault {
        Fault {
            code: FaultCode::Receiver,
            ..Fault::sender(subcodes, reason)
        }
    }

    /// `env:Sender/ter:InvalidArgs`: a missing or unexpected parameter.
    pub fn invalid_args(reason: impl Into<Cow<'static, str>>) -> Fault {
        Fault::sender(&[ter::INVALID_ARGS], reason)
    }

    /// `env:Sender/ter:InvalidArgVal`: a parameter with a bad value.
    pub fn invalid_arg_val(reason: impl Into<Cow<'static, str>>) -> Fault {
        Fault::sender(&[ter::INVALID_ARG_VAL], reason)
    }

    /// `env:Sender/ter:InvalidArgVal/ter:NoProfile`.
    pub fn no_profile(token: &str) -> Fault {
        Fault::sender(
            &[ter::INVALID_ARG_VAL, ter::NO_PROFILE],
            format!("no profile with token {token:?}"),
        )
    }

    /// `env:Sender/ter:InvalidArgVal/ter:NoConfig`.
    pub fn no_config(token: &str) -> Fault {
        Fault::sender(
            &[ter::INVALID_ARG_VAL, ter::NO_CONFIG],
            format!("no configuration with token {token:?}"),
        )
    }

    /// `env:Sender/ter:InvalidArgVal/ter:NoSource`.
    pub fn no_source(token: &str) -> Fault {
        Fault::sender(
            &[ter::INVALID_ARG_VAL, ter::NO_SOURCE],
            format!("no source with token {token:?}"),
        )
    }

    /// `env:Sender/ter:InvalidArgVal/ter:ConfigModify`.
    pub fn config_modify(reason: impl Into<Cow<'static, str>>) -> Fault {
        Fault::sender(&[ter::INVALID_ARG_VAL, ter::CONFIG_MODIFY], reason)
    }

    /// `env:Sender/ter:NotAuthorized`.
    pub fn not_authorized() -> Fault {
        Fault::sender(
            &[ter::NOT_AUTHORIZED],
            "Sender not authorized: the action requires authorization",
        )
    }

    /// `env:Sender/ter:OperationProhibited` with a more specific subcode.
    pub fn operation_prohibited(
        subcodes: &'static [&'static str],
        reason: impl Into<Cow<'static, str>>,
    ) -> Fault {
        Fault::sender(subcodes, reason)
    }

    /// `env:Receiver/ter:ActionNotSupported`: an operation this device does
    /// not implement.
    pub fn action_not_supported(reason: impl Into<Cow<'static, str>>) -> Fault {
        Fault::receiver(&[ter::ACTION_NOT_SUPPORTED], reason)
    }

    /// `env:Receiver/ter:Action/ter:TooManyUsers`.
    pub fn too_many_users() -> Fault {
        Fault::receiver(
            &[ter::ACTION, ter::TOO_MANY_USERS],
            "maximum number of users reached",
        )
    }

    /// `env:Sender/ter:WellFormed`: the request is not well-formed XML.
    pub fn well_formed(reason: impl Into<Cow<'static, str>>) -> Fault {
        Fault::sender(&[ter::WELL_FORMED], reason)
    }

    /// `env:VersionMismatch`: the envelope namespace is not SOAP.
    pub fn version_mismatch() -> Fault {
        Fault {
            code: FaultCode::VersionMismatch,
            ..Fault::sender(&[], "the envelope is neither SOAP 1.2 nor SOAP 1.1")
        }
    }

    /// `env:Receiver/ter:Action`: the device failed to carry out the request.
    pub fn action_failed(reason: impl Into<Cow<'static, str>>) -> Fault {
        Fault::receiver(&[ter::ACTION], reason)
    }

    /// Sets the detail fragment (builder style).
    pub fn with_detail(mut self, detail: impl Into<String>) -> Fault {
        self.detail = Some(detail.into());
        self
    }

    /// Overrides the HTTP status (builder style).
    pub fn with_status(mut self, status: StatusCode) -> Fault {
        self.status = Some(status);
        self
    }

    /// Whether the subcode chain contains `subcode` (e.g. [`ter::NO_PROFILE`]).
    pub fn has_subcode(&self, subcode: &str) -> bool {
        self.subcodes.contains(&subcode)
    }

    /// The HTTP status of the response carrying this fault.
    pub fn http_status(&self) -> StatusCode {
        self.status.unwrap_or(match self.code {
            FaultCode::Sender => StatusCode::BAD_REQUEST,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        })
    }

    /// Writes the `s:Fault` element (the Body content) for `version`.
    pub fn write(&self, version: SoapVersion, w: &mut XmlWriter) {
        w.start("s:Fault");
        match version {
            SoapVersion::Soap12 => {
                w.start("s:Code");
                w.leaf("s:Value", self.code.soap12());
                for subcode in self.subcodes {
                    w.start("s:Subcode");
                    w.leaf("s:Value", subcode);
                }
                for _ in self.subcodes.iter() {
                    w.end();
                }
                w.end();
                w.start("s:Reason");
                w.start("s:Text").attr("xml:lang", "en").text(&self.reason);
                w.end();
                w.end();
                if let Some(detail) = &self.detail {
                    w.start("s:Detail").raw(detail).end();
                }
            }
            SoapVersion::Soap11 => {
                let code = self.subcodes.last().copied().unwrap_or(self.code.soap11());
                w.leaf("faultcode", code);
                w.leaf("faultstring", &self.reason);
                if let Some(detail) = &self.detail {
                    w.start("detail").raw(detail).end();
                }
            }
        }
        w.end();
    }

    /// The whole HTTP response: envelope, content type, status.
    pub fn to_response(&self, version: SoapVersion) -> Response {
        let mut body = XmlWriter::with_capacity(512);
        self.write(version, &mut body);
        let envelope = super::soap::envelope(version, None, body.as_str());
        Response::with_body(self.http_status(), version.content_type(), envelope)
    }
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.code)?;
        for s in self.subcodes {
            write!(f, "/{s}")?;
        }
        write!(f, ": {}", self.reason)
    }
}

impl std::error::Error for Fault {}
