//! The operation registry and the handler contract.
//!
//! Each service registers its operations, keyed by the body element's
//! `(namespace URI, local name)`, each with the [`AccessClass`] it needs and
//! a plain function as handler. A request is dispatched:
//! 1. by the body element's namespace and local name, wherever it was
//!    posted (ODM posts media requests to the device endpoint at times);
//! 2. else, when the namespace is wrong or missing (the npm `onvif` client
//!    sends some requests with an undefined namespace), by the service the
//!    request was posted to (from its path) and the local name;
//! 3. else by the local name alone, when exactly one service has it;
//! 4. else it is `env:Receiver/ter:ActionNotSupported`.
//!
//! Handlers are pure with respect to I/O: they read the [`Call`], change the
//! device state `S` they are given, and return a [`Reply`] (a body, or a
//! request to answer later) with side effects as values ([`Effect`]), or a
//! [`Fault`]. The caller carries the effects out.

use std::borrow::Cow;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use super::access::AccessClass;
use super::fault::Fault;
use super::notification::Notification;
use super::ns;
use super::security::Principal;
use super::soap::SoapVersion;
use super::writer::XmlWriter;
use super::xml::Element;

/// The ONVIF services this device can host, with Happytime's endpoint paths.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ServiceKind {
    /// Device management (`tds`), `/onvif/device_service`.
    Device,
    /// Media ver10 (`trt`), `/onvif/media_service`.
    Media,
    /// Media2 ver20 (`tr2`), `/onvif/media2_service`.
    Media2,
    /// Events (`tev`, `wsnt`), `/onvif/event_service`.
    Events,
    /// PTZ (`tptz`), `/onvif/ptz_service`.
    Ptz,
    /// Imaging (`timg`), `/onvif/image_service`.
    Imaging,
    /// Analytics (`tan`), `/onvif/analytics_service`.
    Analytics,
    /// Recording control (`trc`), `/onvif/recording_service`.
    Recording,
    /// Recording search (`tse`), `/onvif/search_service`.
    Search,
    /// Replay control (`trp`), `/onvif/replay_service`.
    Replay,
    /// Device IO (`tmd`), `/onvif/deviceio_service`.
    DeviceIo,
    /// Access control (`tac`), `/onvif/accesscontrol_service`.
    AccessControl,
    /// Door control (`tdc`), `/onvif/doorcontrol_service`.
    DoorControl,
    /// Credential (`tcr`), `/onvif/credential_service`.
    Credential,
    /// Access rules (`tar`), `/onvif/accessrules_service`.
    AccessRules,
    /// Schedule (`tsc`), `/onvif/schedule_service`.
    Schedule,
    /// Thermal (`tth`), `/onvif/thermal_service`.
    Thermal,
    /// Receiver (`trv`), `/onvif/receiver_service`.
    Receiver,
    /// Provisioning (`tpv`), `/onvif/provisioning_service`.
    Provisioning,
    /// Advanced security (`tas`), `/onvif/security_service`.
    Security,
}

impl ServiceKind {
    /// Every service, in a stable order.
    pub const ALL: [ServiceKind; 20] = [
        ServiceKind::Device,
        ServiceKind::Media,
        ServiceKind::Media2,
        ServiceKind::Events,
        ServiceKind::Ptz,
        ServiceKind::Imaging,
        ServiceKind::Analytics,
        ServiceKind::Recording,
        ServiceKind::Search,
        ServiceKind::Replay,
        ServiceKind::DeviceIo,
        ServiceKind::AccessControl,
        ServiceKind::DoorControl,
        ServiceKind::Credential,
        ServiceKind::AccessRules,
        ServiceKind::Schedule,
        ServiceKind::Thermal,
        ServiceKind::Receiver,
        ServiceKind::Provisioning,
        ServiceKind::Security,
    ];

    /// The endpoint path (the XAddr path), as Happytime serves it.
    pub fn path(self) -> &'static str {
        match self {
            ServiceKind::Device => "/onvif/device_service",
            ServiceKind::Media => "/onvif/media_service",
            ServiceKind::Media2 => "/onvif/media2_service",
            ServiceKind::Events => "/onvif/event_service",
            ServiceKind::Ptz => "/onvif/ptz_service",
            ServiceKind::Imaging => "/onvif/image_service",
            ServiceKind::Analytics => "/onvif/analytics_service",
            ServiceKind::Recording => "/onvif/recording_service",
            ServiceKind::Search => "/onvif/search_service",
            ServiceKind::Replay => "/onvif/replay_service",
            ServiceKind::DeviceIo => "/onvif/deviceio_service",
            ServiceKind::AccessControl => "/onvif/accesscontrol_service",
            ServiceKind::DoorControl => "/onvif/doorcontrol_service",
            ServiceKind::Credential => "/onvif/credential_service",
            ServiceKind::AccessRules => "/onvif/accessrules_service",
            ServiceKind::Schedule => "/onvif/schedule_service",
            ServiceKind::Thermal => "/onvif/thermal_service",
            ServiceKind::Receiver => "/onvif/receiver_service",
            ServiceKind::Provisioning => "/onvif/provisioning_service",
            ServiceKind::Security => "/onvif/security_service",
        }
    }

    /// The service's WSDL namespace (what GetServices reports).
    pub fn namespace(self) -> &'static str {
        match self {
            ServiceKind::Device => ns::TDS,
            ServiceKind::Media => ns::TRT,
            ServiceKind::Media2 => ns::TR2,
            ServiceKind::Events => ns::TEV,
            ServiceKind::Ptz => ns::TPTZ,
            ServiceKind::Imaging => ns::TIMG,
            ServiceKind::Analytics => ns::TAN,
            ServiceKind::Recording => ns::TRC,
            ServiceKind::Search => ns::TSE,
            ServiceKind::Replay => ns::TRP,
            ServiceKind::DeviceIo => ns::TMD,
            ServiceKind::AccessControl => ns::TAC,
            ServiceKind::DoorControl => ns::TDC,
            ServiceKind::Credential => ns::TCR,
            ServiceKind::AccessRules => ns::TAR,
            ServiceKind::Schedule => ns::TSC,
            ServiceKind::Thermal => ns::TTH,
            ServiceKind::Receiver => ns::TRV,
            ServiceKind::Provisioning => ns::TPV,
            ServiceKind::Security => ns::TAS,
        }
    }

    /// The service whose endpoint is `path`, or a path below it
    /// (`/onvif/event_service/subscription_3`); a trailing `/` is ignored.
    pub fn from_path(path: &str) -> Option<ServiceKind> {
        ServiceKind::ALL
            .into_iter()
            .find(|k| path_is_under(path, k.path()))
    }
}

/// Whether `path` is `base` or below it, ignoring a trailing `/`.
fn path_is_under(path: &str, base: &str) -> bool {
    match path.strip_prefix(base) {
        Some(rest) => rest.is_empty() || rest.starts_with('/'),
        None => false,
    }
}

/// Why a [`Wake`] happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WakeReason {
    /// The deadline the handler gave passed.
    Deadline,
    /// Something signalled the token (new events, an `Effect::Wake`).
    Signal,
}

/// Passed to a handler that is run again for a deferred request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wake {
    /// The token the handler deferred with.
    pub token: u64,
    /// The deadline it gave.
    pub deadline: Instant,
    /// Why it runs now.
    pub reason: WakeReason,
}

/// Everything a handler may know about the request it answers.
#[derive(Clone, Copy, Debug)]
pub struct Call<'a> {
    /// SOAP version of the request (the response uses the same).
    pub version: SoapVersion,
    /// The operation element: the first child of the SOAP Body.
    pub body: &'a Element,
    /// The SOAP Header, if any.
    pub header: Option<&'a Element>,
    /// The request path (`/onvif/device_service`).
    pub path: &'a str,
    /// The query string, if any.
    pub query: Option<&'a str>,
    /// The service the path names, if any.
    pub posted_to: Option<ServiceKind>,
    /// The `Host` header as sent, if it looked like a host.
    pub host: Option<&'a str>,
    /// Whether the request came over HTTPS.
    pub tls: bool,
    /// The local address the request arrived on (for a missing `Host`).
    pub local: Option<SocketAddr>,
    /// The client's address.
    pub peer: IpAddr,
    /// Who is asking, and with what level.
    pub principal: &'a Principal,
    /// Monotonic now; deadlines for [`Reply::defer`] are measured on it.
    pub now: Instant,
    /// The device clock as Unix time (what GetSystemDateAndTime reports).
    pub device_time: Duration,
    /// `wsa:MessageID` of the request, if any.
    pub message_id: Option<&'a str>,
    /// Set when the handler runs again for a deferred request.
    pub wake: Option<Wake>,
}

impl Call<'_> {
    /// `host[:port]` to put in URLs given to this client: the `Host` header
    /// (so a client behind NAT gets an address it can reach), else the
    /// local address the request arrived on.
    pub fn authority(&self) -> String {
        match (self.host, self.local) {
            (Some(h), _) => h.to_owned(),
            (None, Some(addr)) => addr.to_string(),
            (None, None) => "localhost".to_owned(),
        }
    }

    /// `http://host:port` or `https://host:port`.
    pub fn base_url(&self) -> String {
        format!(
            "{}://{}",
            if self.tls { "https" } else { "http" },
            self.authority()
        )
    }

    /// The XAddr of a service: `http://host:port/onvif/media_service`.
    pub fn service_url(&self, service: ServiceKind) -> String {
        format!("{}{}", self.base_url(), service.path())
    }

    /// The host part of [`Call::authority`] without the port (for building
    /// `rtsp://host:rtsp_port/...` URIs); IPv6 keeps its brackets.
    pub fn host_name(&self) -> String {
        let authority = self.authority();
        if authority.starts_with('[') {
            return match authority.find(']') {
                Some(end) => authority[..=end].to_owned(),
                None => authority,
            };
        }
        match authority.rsplit_once(':') {
            Some((host, port))
                if !host.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) =>
            {
                host.to_owned()
            }
            _ => authority,
        }
    }
}

/// A side effect a handler asks for. The ONVIF server machine carries them
/// out after the handler returns, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Effect {
    /// The runtime configuration changed: write `onvifrun.cfg` now
    /// (atomically) before the change is acknowledged to anyone else.
    PersistConfig,
    /// Publish an event to the event service's subscribers.
    Notify(Notification),
    /// Wake requests deferred with this token (e.g. Unsubscribe waking a
    /// PullMessages parked on the same subscription).
    Wake(u64),
    /// Reboot once the response is sent (SystemReboot).
    Reboot,
    /// Return to the factory configuration (SetSystemFactoryDefault).
    FactoryDefault {
        /// `Hard` (network settings too) rather than `Soft`.
        hard: bool,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ReplyKind {
    /// The body content.
    Body(String),
    /// Answer later.
    Defer { token: u64, until: Instant },
}

/// A handler's successful result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    pub(crate) kind: ReplyKind,
    /// Side effects to carry out.
    pub effects: Vec<Effect>,
    /// `wsa:Action` for the response header (events responses carry one);
    /// `wsa:RelatesTo` is added automatically when the request had a
    /// `wsa:MessageID`.
    pub action: Option<Cow<'static, str>>,
}

impl Reply {
    /// A response whose Body content is what `body` wrote.
    pub fn body(body: XmlWriter) -> Reply {
        Reply {
            kind: ReplyKind::Body(body.finish()),
            effects: Vec::new(),
            action: None,
        }
    }

    /// A response whose Body content `write` produces.
    pub fn build(write: impl FnOnce(&mut XmlWriter)) -> Reply {
        let mut w = XmlWriter::with_capacity(1024);
        write(&mut w);
        Reply::body(w)
    }

    /// An empty response element, e.g. `tds:SetHostnameResponse`.
    pub fn empty(element: &str) -> Reply {
        Reply::build(|w| {
            w.empty(element);
        })
    }

    /// Answer later: the request is parked until `until` (on the monotonic
    /// clock of [`Call::now`]) or until `token` is signalled, and then the
    /// same handler runs again with [`Call::wake`] set.
    pub fn defer(token: u64, until: Instant) -> Reply {
        Reply {
            kind: ReplyKind::Defer { token, until },
            effects: Vec::new(),
            action: None,
        }
    }

    /// Adds a side effect (builder style).
    pub fn with_effect(mut self, effect: Effect) -> Reply {
        self.effects.push(effect);
        self
    }

    /// Sets the `wsa:Action` of the response (builder style).
    pub fn with_action(mut self, action: impl Into<Cow<'static, str>>) -> Reply {
        self.action = Some(action.into());
        self
    }

    /// Whether this reply defers the answer.
    pub fn is_deferred(&self) -> bool {
        matches!(self.kind, ReplyKind::Defer { .. })
    }

    /// The Body content, unless deferred.
    pub fn body_xml(&self) -> Option<&str> {
        match &self.kind {
            ReplyKind::Body(b) => Some(b),
            ReplyKind::Defer { .. } => None,
        }
    }
}

/// What a handler is: a plain function of the call and the device state.
pub type Handler<S> = fn(&Call<'_>, &mut S) -> Result<Reply, Fault>;

/// One operation of a service.
pub struct Operation<S> {
    /// Namespace URI of the request element (`ns::TDS`...).
    pub namespace: &'static str,
    /// Local name of the request element (`GetSystemDateAndTime`).
    pub name: &'static str,
    /// The access class it needs.
    pub access: AccessClass,
    /// The handler.
    pub handler: Handler<S>,
}

impl<S> Operation<S> {
    /// An operation.
    pub const fn new(
        namespace: &'static str,
        name: &'static str,
        access: AccessClass,
        handler: Handler<S>,
    ) -> Operation<S> {
        Operation {
            namespace,
            name,
            access,
            handler,
        }
    }
}

impl<S> Clone for Operation<S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S> Copy for Operation<S> {}

impl<S> std::fmt::Debug for Operation<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Operation")
            .field("namespace", &self.namespace)
            .field("name", &self.name)
            .field("access", &self.access)
            .finish()
    }
}

/// Identifies a registered operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OpId(usize);

/// Why a registration was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RegistryError {
    /// `(namespace, name)` is already registered.
    Duplicate {
        /// Namespace URI.
        namespace: &'static str,
        /// Local name.
        name: &'static str,
    },
}

impl std::fmt::Display for RegistryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RegistryError::Duplicate { namespace, name } => {
                write!(f, "operation {{{namespace}}}{name} registered twice")
            }
        }
    }
}

impl std::error::Error for RegistryError {}

/// All operations of all services, with the lookup tables of dispatch.
pub struct Registry<S> {
    ops: Vec<(ServiceKind, Operation<S>)>,
    by_qname: HashMap<&'static str, HashMap<&'static str, usize>>,
    by_service: HashMap<ServiceKind, HashMap<&'static str, usize>>,
    /// `None` when several services share the local name.
    by_local: HashMap<&'static str, Option<usize>>,
    /// Extra endpoint paths (subscription addresses...), longest first.
    aliases: Vec<(String, ServiceKind)>,
}

impl<S> Default for Registry<S> {
    fn default() -> Self {
        Registry {
            ops: Vec::new(),
            by_qname: HashMap::new(),
            by_service: HashMap::new(),
            by_local: HashMap::new(),
            aliases: Vec::new(),
        }
    }
}

impl<S> std::fmt::Debug for Registry<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("operations", &self.ops.len())
            .field("services", &self.services())
            .finish()
    }
}

impl<S> Registry<S> {
    /// An empty registry.
    pub fn new() -> Registry<S> {
        Registry::default()
    }

    /// Registers `operations` for `service`. Nothing is registered when one
    /// of them duplicates an existing `(namespace, name)`.
    pub fn register(
        &mut self,
        service: ServiceKind,
        operations: &[Operation<S>],
    ) -> Result<(), RegistryError> {
        for (i, op) in operations.iter().enumerate() {
            let dup_in_batch = operations[..i]
                .iter()
                .any(|o| o.namespace == op.namespace && o.name == op.name);
            let dup_existing = self
                .by_qname
                .get(op.namespace)
                .is_some_and(|m| m.contains_key(op.name));
            if dup_in_batch || dup_existing {
                return Err(RegistryError::Duplicate {
                    namespace: op.namespace,
                    name: op.name,
                });
            }
        }
        for op in operations {
            let id = self.ops.len();
            self.ops.push((service, *op));
            self.by_qname
                .entry(op.namespace)
                .or_default()
                .insert(op.name, id);
            self.by_service
                .entry(service)
                .or_default()
                .entry(op.name)
                .or_insert(id);
            self.by_local
                .entry(op.name)
                .and_modify(|slot| *slot = None)
                .or_insert(Some(id));
        }
        Ok(())
    }

    /// Makes requests posted to `path` (or below it) count as posted to
    /// `service`, for the namespace fallback; e.g. subscription addresses.
    pub fn add_path(&mut self, path: &str, service: ServiceKind) {
        self.aliases
            .push((path.trim_end_matches('/').to_owned(), service));
        self.aliases
            .sort_by_key(|(base, _)| std::cmp::Reverse(base.len()));
    }

    /// The service a request path belongs to.
    pub fn service_for_path(&self, path: &str) -> Option<ServiceKind> {
        let path = match path.strip_suffix('/') {
            Some(p) if !p.is_empty() => p,
            _ => path,
        };
        self.aliases
            .iter()
            .find(|(base, _)| path_is_under(path, base))
            .map(|(_, k)| *k)
            .or_else(|| ServiceKind::from_path(path))
    }

    /// Finds the operation for a body element `{namespace}name` posted to
    /// `posted_to` (see the module documentation for the order).
    pub fn resolve(
        &self,
        namespace: &str,
        name: &str,
        posted_to: Option<ServiceKind>,
    ) -> Option<OpId> {
        if let Some(&id) = self.by_qname.get(namespace).and_then(|m| m.get(name)) {
            return Some(OpId(id));
        }
        if let Some(&id) = posted_to
            .and_then(|s| self.by_service.get(&s))
            .and_then(|m| m.get(name))
        {
            return Some(OpId(id));
        }
        self.by_local.get(name).copied().flatten().map(OpId)
    }

    /// The service and operation behind an id.
    pub fn get(&self, id: OpId) -> Option<(ServiceKind, &Operation<S>)> {
        self.ops.get(id.0).map(|(k, op)| (*k, op))
    }

    /// The services with at least one operation, in [`ServiceKind::ALL`]
    /// order: what GetServices and GetCapabilities list.
    pub fn services(&self) -> Vec<ServiceKind> {
        ServiceKind::ALL
            .into_iter()
            .filter(|k| self.by_service.contains_key(k))
            .collect()
    }

    /// The operations of a service.
    pub fn operations(&self, service: ServiceKind) -> impl Iterator<Item = &Operation<S>> + '_ {
        self.ops
            .iter()
            .filter(move |(k, _)| *k == service)
            .map(|(_, op)| op)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nop(_: &Call<'_>, _: &mut ()) -> Result<Reply, Fault> {
        Ok(Reply::empty("tds:Nop"))
    }

    fn registry() -> Registry<()> {
        let mut r = Registry::new();
        r.register(
            ServiceKind::Device,
            &[
                Operation::new(ns::TDS, "GetServiceCapabilities", AccessClass::PreAuth, nop),
                Operation::new(ns::TDS, "GetHostname", AccessClass::PreAuth, nop),
            ],
        )
        .unwrap();
        r.register(
            ServiceKind::Ptz,
            &[
                Operation::new(
                    ns::TPTZ,
                    "GetServiceCapabilities",
                    AccessClass::PreAuth,
                    nop,
                ),
                Operation::new(ns::TPTZ, "ContinuousMove", AccessClass::Actuate, nop),
            ],
        )
        .unwrap();
        r
    }

    fn name(r: &Registry<()>, id: Option<OpId>) -> Option<(ServiceKind, &'static str)> {
        id.and_then(|id| r.get(id)).map(|(k, op)| (k, op.name))
    }

    #[test]
    fn dispatch_order() {
        let r = registry();
        // By namespace, wherever posted.
        assert_eq!(
            name(
                &r,
                r.resolve(
                    ns::TPTZ,
                    "GetServiceCapabilities",
                    Some(ServiceKind::Device)
                )
            ),
            Some((ServiceKind::Ptz, "GetServiceCapabilities"))
        );
        // Wrong or missing namespace: the posted path decides.
        assert_eq!(
            name(
                &r,
                r.resolve("", "GetServiceCapabilities", Some(ServiceKind::Ptz))
            ),
            Some((ServiceKind::Ptz, "GetServiceCapabilities"))
        );
        assert_eq!(
            name(
                &r,
                r.resolve(
                    "undefined",
                    "GetServiceCapabilities",
                    Some(ServiceKind::Device)
                )
            ),
            Some((ServiceKind::Device, "GetServiceCapabilities"))
        );
        // Unique local name anywhere.
        assert_eq!(
            name(&r, r.resolve("", "ContinuousMove", None)),
            Some((ServiceKind::Ptz, "ContinuousMove"))
        );
        // Ambiguous and unknown.
        assert_eq!(r.resolve("", "GetServiceCapabilities", None), None);
        assert_eq!(r.resolve(ns::TDS, "Nope", Some(ServiceKind::Device)), None);
        assert_eq!(r.services(), [ServiceKind::Device, ServiceKind::Ptz]);
        assert_eq!(r.operations(ServiceKind::Ptz).count(), 2);
    }

    #[test]
    fn duplicates_are_refused_whole() {
        let mut r = registry();
        let err = r
            .register(
                ServiceKind::Media,
                &[
                    Operation::new(ns::TRT, "GetProfiles", AccessClass::ReadMedia, nop),
                    Operation::new(ns::TDS, "GetHostname", AccessClass::PreAuth, nop),
                ],
            )
            .unwrap_err();
        assert_eq!(
            err,
            RegistryError::Duplicate {
                namespace: ns::TDS,
                name: "GetHostname"
            }
        );
        assert_eq!(r.resolve(ns::TRT, "GetProfiles", None), None);
    }

    #[test]
    fn paths() {
        let mut r = registry();
        assert_eq!(
            r.service_for_path("/onvif/ptz_service"),
            Some(ServiceKind::Ptz)
        );
        assert_eq!(
            r.service_for_path("/onvif/ptz_service/"),
            Some(ServiceKind::Ptz)
        );
        assert_eq!(r.service_for_path("/onvif/ptz_service_x"), None);
        assert_eq!(
            r.service_for_path("/onvif/event_service/sub/3"),
            Some(ServiceKind::Events)
        );
        assert_eq!(r.service_for_path("/"), None);
        r.add_path("/onvif/Subscription/", ServiceKind::Events);
        assert_eq!(
            r.service_for_path("/onvif/Subscription"),
            Some(ServiceKind::Events)
        );
    }

    #[test]
    fn urls_come_from_the_host_header() {
        let principal = Principal {
            username: None,
            level: super::super::access::UserLevel::Anonymous,
            method: super::super::security::AuthMethod::None,
        };
        let body = Element::new(ns::TDS, "GetServices");
        let mut call = Call {
            version: SoapVersion::Soap12,
            body: &body,
            header: None,
            path: "/onvif/device_service",
            query: None,
            posted_to: Some(ServiceKind::Device),
            host: Some("203.0.113.7:18000"),
            tls: false,
            local: Some("192.168.1.10:8000".parse().unwrap()),
            peer: "203.0.113.99".parse().unwrap(),
            principal: &principal,
            now: Instant::now(),
            device_time: Duration::ZERO,
            message_id: None,
            wake: None,
        };
        assert_eq!(
            call.service_url(ServiceKind::Media2),
            "http://203.0.113.7:18000/onvif/media2_service"
        );
        assert_eq!(call.host_name(), "203.0.113.7");
        call.host = Some("[2001:db8::1]:8000");
        call.tls = true;
        assert_eq!(call.base_url(), "https://[2001:db8::1]:8000");
        assert_eq!(call.host_name(), "[2001:db8::1]");
        call.host = None;
        assert_eq!(call.host_name(), "192.168.1.10");
        call.host = Some("camera.local");
        assert_eq!(call.host_name(), "camera.local");
    }
}
