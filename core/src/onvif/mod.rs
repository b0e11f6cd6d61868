//! ONVIF plumbing: SOAP over HTTP, WS-Security, faults and dispatch to the
//! service handlers (device, media, media2, events, and later PTZ, imaging...).
//!
//! # The flow of a request
//!
//! ```text
//! bytes ──▶ http::ServerConn ──Request──▶ Endpoint::handle
//!                                            │ soap::parse_envelope   (namespace-aware, bounded)
//!                                            │ Registry::resolve      (body {ns}name, else path + name)
//!                                            │ Security::check        (PRE_AUTH? HTTP Digest first, then UsernameToken; level vs access class)
//!                                            │ handler(&Call, &mut S) (pure: reads Call, changes S)
//!                                            ▼
//!                              Outcome { answer: Now(Response) | Later(Parked), effects }
//! bytes ◀── http::ServerConn::respond ◀──────┘
//! ```
//!
//! Nothing here does I/O, reads a clock or keeps global state: the runtime
//! passes the client address, monotonic `now` and the device's Unix time in
//! [`RequestEnv`], and carries out the [`Effect`]s handlers return.
//!
//! # Writing a service
//!
//! A service is a table of [`Operation`]s registered under a [`ServiceKind`]
//! (which fixes its endpoint path, e.g. `/onvif/media_service`, and its
//! namespace). Each operation names the body element it answers, the
//! [`AccessClass`] it needs (the spec lists it per operation; `PRE_AUTH` for
//! GetSystemDateAndTime, GetServices, GetCapabilities, GetWsdlUrl,
//! GetServiceCapabilities, GetHostname, GetEndpointReference), and a handler:
//!
//! ```text
//! fn handler(call: &Call<'_>, state: &mut S) -> Result<Reply, Fault>
//! ```
//!
//! - `S` is your device state; the endpoint only needs it to implement
//!   [`UserStore`] (`need_auth` and the user list), so the state can live in
//!   whatever type the ONVIF server machine defines.
//! - Read parameters from `call.body` (the operation element, an owned
//!   [`Element`] tree) with [`Element::param`] / [`Element::required`]
//!   (namespace first, then local name, since some clients put parameters
//!   in the wrong namespace), [`Element::text`], and the typed parsers
//!   ([`Element::parse`], [`Element::parse_bool`], [`Element::parse_duration`],
//!   [`Element::parse_datetime`]) whose errors already are the
//!   `ter:InvalidArgVal` fault. [`Element::resolve_qname`] resolves QName
//!   values (topic expressions, `xsi:type`) with the request's own prefixes.
//! - Write the response body with an [`XmlWriter`] using the prefixes
//!   declared on every response envelope ([`ns::PREFIXES`]: `tds`, `trt`,
//!   `tr2`, `tt`, `tev`, `wsnt`, `wsa`, `tns1`, `ter`, `wstop`, `xs`, `xsi`,
//!   `d`, `dn`, `timg`, `tptz`, ...). Responses are validated against the
//!   official XSDs: write elements in schema `sequence` order, required
//!   attributes included (`token="..."`), enumerations spelled as the schema
//!   does. Return it with [`Reply::build`] or [`Reply::body`].
//! - Build every URL you hand out (XAddrs, stream and snapshot URIs) from
//!   the request: [`Call::service_url`], [`Call::base_url`],
//!   [`Call::host_name`]. They use the `Host` header, so clients behind NAT
//!   get addresses they can reach.
//! - Fail with a [`Fault`]: [`Fault::no_profile`], [`Fault::no_config`],
//!   [`Fault::invalid_arg_val`], [`Fault::config_modify`],
//!   [`Fault::too_many_users`], [`Fault::action_not_supported`], or
//!   [`Fault::sender`]/[`Fault::receiver`] with any [`fault::ter`] chain.
//!   Validate before you change state: a fault carries no effects.
//! - Ask for side effects as values: [`Reply::with_effect`] with
//!   [`Effect::PersistConfig`] after any change that must survive a restart
//!   (`onvifrun.cfg`), [`Effect::Notify`] to publish an event (e.g.
//!   `tns1:Media/ProfileChanged`), [`Effect::Reboot`], [`Effect::Wake`].
//! - Answer later (PullMessages long polls) with [`Reply::defer`]`(token,
//!   deadline)`. The endpoint returns [`Answer::Later`] with a [`Parked`]
//!   request; the server machine keeps it (the HTTP connection answers
//!   nothing else meanwhile), arms a timer for [`Parked::deadline`], and
//!   calls [`Endpoint::resume`] when the deadline passes or something
//!   signals [`Parked::token`] (new events for that subscription). The same
//!   handler then runs again with [`Call::wake`] set, and may answer or
//!   defer again.
//!
//! # Security in one paragraph
//!
//! `PRE_AUTH` operations never look at credentials (a client whose clock is
//! off can always learn the device time). With `need_auth` off, everyone is
//! Administrator. Otherwise an `Authorization` header (Digest or Basic) is
//! checked first; without one, a WS-Security UsernameToken; without either
//! the answer is 401 with a Digest challenge. The user's level must allow
//! the operation's access class (ONVIF default access policy). Details and
//! status codes: [`security`].
//!
//! # Deliberate leniencies (and why)
//!
//! - The request `Content-Type` is not checked: the envelope namespace
//!   decides the SOAP version, and the response uses the same version
//!   (`application/soap+xml` for 1.2, `text/xml` for 1.1).
//! - Header blocks with `mustUnderstand` that we do not process are ignored
//!   rather than faulted (`wsse:Security` and `wsa:*` are understood):
//!   clients add them freely and no client expects the fault.
//! - An unknown operation is answered `ter:ActionNotSupported` before
//!   authentication, so clients probing optional operations learn that
//!   even without credentials.
//! - Parameters are looked up by namespace, then by local name.
//! - Faults are always SOAP (with `ter:` declared), never HTML; only
//!   HTTP-level problems (framing, method, size) get plain-text answers.
//!
//! # A complete service, end to end
//!
//! ```
//! use std::time::{Duration, Instant};
//! use onvif_rtsp_core::http::{ConnEvent, DecoderLimits, ServerConn};
//! use onvif_rtsp_core::onvif::*;
//!
//! /// The device state the services share (here: just users).
//! struct Camera {
//!     need_auth: bool,
//! }
//!
//! impl UserStore for Camera {
//!     fn auth_required(&self) -> bool {
//!         self.need_auth
//!     }
//!     fn find_user(&self, name: &str) -> Option<UserRecord<'_>> {
//!         (name == "admin").then_some(UserRecord { password: "admin", level: UserLevel::Administrator })
//!     }
//! }
//!
//! fn get_system_date_and_time(call: &Call<'_>, _: &mut Camera) -> Result<Reply, Fault> {
//!     let (year, month, day, hour, minute, second) =
//!         values::DateTime::from_unix(call.device_time).civil();
//!     Ok(Reply::build(|w| {
//!         w.elem("tds:GetSystemDateAndTimeResponse", |w| {
//!             w.elem("tds:SystemDateAndTime", |w| {
//!                 w.leaf("tt:DateTimeType", "Manual");
//!                 w.leaf("tt:DaylightSavings", "false");
//!                 w.elem("tt:TimeZone", |w| {
//!                     w.leaf("tt:TZ", "UTC0");
//!                 });
//!                 w.elem("tt:UTCDateTime", |w| {
//!                     w.elem("tt:Time", |w| {
//!                         w.leaf_display("tt:Hour", hour);
//!                         w.leaf_display("tt:Minute", minute);
//!                         w.leaf_display("tt:Second", second);
//!                     });
//!                     w.elem("tt:Date", |w| {
//!                         w.leaf_display("tt:Year", year);
//!                         w.leaf_display("tt:Month", month);
//!                         w.leaf_display("tt:Day", day);
//!                     });
//!                 });
//!             });
//!         });
//!     }))
//! }
//!
//! // Start-up: register the service, build the endpoint.
//! let mut registry = Registry::new();
//! registry
//!     .register(
//!         ServiceKind::Device,
//!         &[Operation::new(ns::TDS, "GetSystemDateAndTime", AccessClass::PreAuth, get_system_date_and_time)],
//!     )
//!     .unwrap();
//! let started = Instant::now();
//! let security = Security::new(SecurityConfig::default(), [7; 16], started);
//! let mut endpoint = Endpoint::new(registry, security, XmlLimits::default());
//! let mut camera = Camera { need_auth: true };
//!
//! // A connection: bytes in ...
//! let body = r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><GetSystemDateAndTime xmlns="http://www.onvif.org/ver10/device/wsdl"/></s:Body></s:Envelope>"#;
//! let mut conn = ServerConn::new(DecoderLimits::default());
//! conn.push(format!(
//!     "POST /onvif/device_service HTTP/1.1\r\nHost: 192.0.2.1:8000\r\nContent-Type: application/soap+xml\r\nContent-Length: {}\r\n\r\n{body}",
//!     body.len()
//! ).as_bytes());
//! let Some(ConnEvent::Request(request)) = conn.poll() else { panic!() };
//! let env = RequestEnv {
//!     peer: "192.0.2.50".parse().unwrap(),
//!     local: None,
//!     tls: false,
//!     now: started,
//!     device_time: Duration::from_secs(1_709_208_000), // 2024-02-29T12:00:00Z
//! };
//! let outcome = endpoint.handle(&request, &env, &mut camera);
//! let Answer::Now(response) = outcome.answer else { panic!() };
//! // ... bytes out.
//! let wire = conn.respond(&response).unwrap().bytes;
//! let text = String::from_utf8_lossy(&wire);
//! assert!(text.starts_with("HTTP/1.1 200 OK\r\nContent-Type: application/soap+xml; charset=utf-8\r\n"));
//! assert!(text.contains("<tt:UTCDateTime><tt:Time><tt:Hour>12</tt:Hour>"));
//! ```

pub mod access;
pub mod dispatch;
pub mod endpoint;
pub mod fault;
pub mod notification;
pub mod ns;
pub mod security;
pub mod soap;
pub mod throttle;
pub mod values;
pub mod writer;
pub mod xml;

pub use access::{AccessClass, UserLevel};
pub use dispatch::{
    Call, Effect, Handler, OpId, Operation, Registry, RegistryError, Reply, ServiceKind, Wake,
    WakeReason,
};
pub use endpoint::{Answer, Endpoint, Outcome, Parked, RequestEnv};
pub use fault::{Fault, FaultCode};
pub use notification::{Notification, PropertyOperation};
pub use security::{
    AccessRecord, AccessResult, AuthMethod, AuthRequest, Denial, DenialReason, Principal, Security,
    SecurityConfig, UserRecord, UserStore,
};
pub use soap::{Envelope, SoapError, SoapVersion, parse_envelope};
pub use throttle::{Throttle, ThrottleConfig};
pub use writer::XmlWriter;
pub use xml::{Attribute, Element, XmlError, XmlLimits};
