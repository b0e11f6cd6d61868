//! WS-Discovery (multicast 239.255.255.250:3702): Hello, Bye, Probe and
//! Resolve matching, as a sans-IO machine.
//!
//! # Driving it
//!
//! The runtime owns a UDP socket bound to port 3702 and joined to
//! 239.255.255.250 on the host's interfaces, and a [`Discovery`]:
//!
//! - at start, send [`Discovery::hello`] (to [`multicast_destination`]);
//!   at stop, [`Discovery::bye`];
//! - each datagram received goes to [`Discovery::handle_datagram`] (or
//!   [`Discovery::handle_directed_datagram`] when the runtime knows it was
//!   sent to our unicast address, not the group);
//! - then, and whenever the timer at [`Discovery::next_deadline`] fires,
//!   send everything [`Discovery::poll_transmit`] returns to its
//!   [`Datagram::destination`] (answers go unicast to the prober, Hellos
//!   and Byes to the group);
//! - after any request that may have changed scopes or the discovery mode
//!   (those with [`Effect::PersistConfig`](crate::onvif::Effect::PersistConfig)),
//!   call [`Discovery::sync`]: a changed scope list is announced with a
//!   Hello (new `MetadataVersion`), switching to NonDiscoverable with a Bye.
//!
//! # What it answers
//!
//! Probes and Resolves in WS-Discovery 2005/04 (what ONVIF uses, with
//! WS-Addressing 2004/08) and 2009/01 (WS-Addressing 2005/08), in SOAP 1.2
//! or SOAP 1.1 envelopes; the answer uses the request's versions. Types
//! are matched by namespace and local name (`tds:Device`,
//! `dn:NetworkVideoTransmitter`, whatever the prefixes; an undeclared `tds`
//! or `dn` prefix is taken as ONVIF's); an empty Types matches, an unknown
//! type does not. Scopes match with the default RFC 3986/2396 rule
//! (scheme and authority case-insensitively, then the probe's path a
//! segment-wise prefix of ours) or `strcmp0`; other rules match nothing.
//! A multicast answer waits a random delay in `[0, 500 ms)` (WS-Discovery
//! `APP_MAX_DELAY`); a directed one goes at once. In NonDiscoverable mode
//! nothing is sent and multicast probes are ignored; directed ones are
//! still answered.
//!
//! Every datagram is bounded (size, XML limits, number of types and
//! scopes); malformed ones, repeats (SOAP-over-UDP sends a message several
//! times with the same `MessageID`: the same sender and id within 5 s) and
//! messages that are not Probe or Resolve are ignored. The queue of
//! pending answers is bounded too.

use std::collections::VecDeque;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4};
use std::time::{Duration, Instant};

use super::HostInfo;
use crate::onvif::soap::{SoapVersion, parse_envelope};
use crate::onvif::xml::{Element, XmlLimits};
use crate::onvif::{ServiceKind, XmlWriter, ns};
use crate::onvif_state::{DeviceState, DiscoveryMode};
use crate::rng::Rng;

/// The WS-Discovery IPv4 multicast group.
pub const MULTICAST_GROUP: Ipv4Addr = Ipv4Addr::new(239, 255, 255, 250);

/// The WS-Discovery UDP port.
pub const PORT: u16 = 3702;

/// Longest random wait before a multicast answer (`APP_MAX_DELAY`).
pub const MAX_ANSWER_DELAY: Duration = Duration::from_millis(500);

/// Largest datagram handled.
const MAX_DATAGRAM: usize = 65_507;

/// Most answers waiting to be sent.
const MAX_PENDING: usize = 64;

/// How many recent message ids are remembered to drop repeats.
const RECENT_IDS: usize = 64;

/// How long a message id is remembered: SOAP-over-UDP repeats a message
/// within a second or two; a tool that reuses a fixed id for a later,
/// new probe must still be answered.
const DUPLICATE_WINDOW: Duration = Duration::from_secs(5);

/// Most types or scopes read from one probe.
const MAX_ITEMS: usize = 32;

/// `239.255.255.250:3702`: where Hello and Bye go.
pub fn multicast_destination() -> SocketAddr {
    SocketAddr::V4(SocketAddrV4::new(MULTICAST_GROUP, PORT))
}

/// A datagram to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Datagram {
    /// Where to: the prober, or [`multicast_destination`].
    pub destination: SocketAddr,
    /// The SOAP envelope, UTF-8.
    pub payload: Vec<u8>,
}

impl Datagram {
    /// The payload as text (it always is UTF-8).
    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.payload).unwrap_or_default()
    }
}

/// How clients reach the device: its IPv4 addresses and ONVIF ports, for
/// the `XAddrs` (`http://IP:PORT/onvif/device_service`). UDP has no `Host`
/// header, so these come from the host.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DiscoveryHost {
    /// The addresses with their prefix lengths, in preference order.
    pub addresses: Vec<(Ipv4Addr, u8)>,
    /// The HTTP port, when HTTP is served.
    pub http_port: Option<u16>,
    /// The HTTPS port, when HTTPS is served.
    pub https_port: Option<u16>,
}

impl DiscoveryHost {
    /// The addresses of the host's interfaces that are up (only
    /// `server_ip` when the config sets one) and the ports the state's
    /// server settings enable.
    pub fn from_state(state: &DeviceState, host: &HostInfo) -> DiscoveryHost {
        let server = state.server();
        let all: Vec<(Ipv4Addr, u8)> = host
            .interfaces
            .iter()
            .filter(|i| i.up)
            .flat_map(|i| i.ipv4.iter().copied())
            .collect();
        let addresses = match server.server_ip {
            Some(IpAddr::V4(ip)) => {
                let prefix = all.iter().find(|(a, _)| *a == ip).map_or(32, |(_, p)| *p);
                vec![(ip, prefix)]
            }
            _ => all,
        };
        DiscoveryHost {
            addresses,
            http_port: server.http_enable.then_some(server.http_port),
            https_port: server.https_enable.then_some(server.https_port),
        }
    }

    /// The XAddrs, those in the subnet of `peer` first.
    fn xaddrs(&self, peer: Option<IpAddr>) -> Vec<String> {
        let mut addresses: Vec<(Ipv4Addr, u8)> = self.addresses.clone();
        if let Some(IpAddr::V4(peer)) = peer {
            // Stable: keeps the given order within each group.
            addresses.sort_by_key(|(a, p)| !same_subnet(*a, peer, *p));
        }
        let mut out = Vec::new();
        for (ip, _) in addresses {
            for (scheme, port) in [("http", self.http_port), ("https", self.https_port)] {
                if let Some(port) = port {
                    let url = format!("{scheme}://{ip}:{port}{}", ServiceKind::Device.path());
                    if !out.contains(&url) {
                        out.push(url);
                    }
                }
            }
        }
        out
    }
}

fn same_subnet(a: Ipv4Addr, b: Ipv4Addr, prefix: u8) -> bool {
    let prefix = u32::from(prefix.min(32));
    let mask = if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - prefix)
    };
    u32::from(a) & mask == u32::from(b) & mask
}

/// The two WS-Discovery versions in use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Version {
    /// 2005/04 with WS-Addressing 2004/08: ONVIF's.
    V2005,
    /// OASIS 2009/01 with WS-Addressing 1.0.
    V2009,
}

const WSD_2005: &str = "http://schemas.xmlsoap.org/ws/2005/04/discovery";
const WSD_2009: &str = "http://docs.oasis-open.org/ws-dd/ns/discovery/2009/01";
const WSA_2004: &str = "http://schemas.xmlsoap.org/ws/2004/08/addressing";

impl Version {
    fn of_namespace(uri: &str) -> Option<Version> {
        match uri {
            WSD_2005 => Some(Version::V2005),
            WSD_2009 => Some(Version::V2009),
            _ => None,
        }
    }

    fn discovery(self) -> &'static str {
        match self {
            Version::V2005 => WSD_2005,
            Version::V2009 => WSD_2009,
        }
    }

    fn addressing(self) -> &'static str {
        match self {
            Version::V2005 => WSA_2004,
            Version::V2009 => ns::WSA,
        }
    }

    /// `wsa:To` of an answer to a prober.
    fn anonymous(self) -> &'static str {
        match self {
            Version::V2005 => "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous",
            Version::V2009 => "http://www.w3.org/2005/08/addressing/anonymous",
        }
    }

    /// `wsa:To` of multicast messages.
    fn multicast_to(self) -> &'static str {
        match self {
            Version::V2005 => "urn:schemas-xmlsoap-org:ws:2005:04:discovery",
            Version::V2009 => "urn:docs-oasis-open-org:ws-dd:ns:discovery:2009:01",
        }
    }
}

/// A scope matching rule (`MatchBy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum MatchBy {
    Rfc3986,
    Strcmp0,
    Unsupported,
}

impl MatchBy {
    fn parse(uri: Option<&str>) -> MatchBy {
        let uri = uri.map(str::trim).unwrap_or("");
        if uri.is_empty() {
            return MatchBy::Rfc3986;
        }
        let rule = [WSD_2005, WSD_2009]
            .iter()
            .find_map(|base| uri.strip_prefix(base).and_then(|r| r.strip_prefix('/')));
        match rule {
            Some("rfc2396" | "rfc3986") => MatchBy::Rfc3986,
            Some("strcmp0") => MatchBy::Strcmp0,
            _ => MatchBy::Unsupported,
        }
    }
}

/// Whether a probe scope matches a device scope under `rule`.
fn scope_matches(rule: MatchBy, probe: &str, device: &str) -> bool {
    match rule {
        MatchBy::Strcmp0 => probe == device,
        MatchBy::Unsupported => false,
        MatchBy::Rfc3986 => rfc_prefix_match(probe, device),
    }
}

/// RFC 3986 matching as WS-Discovery defines it: equal schemes and
/// authorities (case-insensitive), and the probe's path segments a prefix
/// of the device's (case-sensitive); `.` and `..` segments never match.
fn rfc_prefix_match(probe: &str, device: &str) -> bool {
    let (Some(p), Some(d)) = (split_uri(probe), split_uri(device)) else {
        return false;
    };
    if !p.scheme.eq_ignore_ascii_case(d.scheme) || !p.authority.eq_ignore_ascii_case(d.authority) {
        return false;
    }
    let segments = |path: &str| -> Vec<String> {
        let mut s: Vec<String> = path.split('/').map(str::to_owned).collect();
        // A leading `/` gives an empty first segment; a trailing one an
        // empty last segment, which does not count for a prefix.
        if s.first().is_some_and(String::is_empty) {
            s.remove(0);
        }
        if s.last().is_some_and(String::is_empty) {
            s.pop();
        }
        s
    };
    let ps = segments(p.path);
    let ds = segments(d.path);
    if ps.iter().chain(&ds).any(|s| s == "." || s == "..") {
        return false;
    }
    ps.len() <= ds.len() && ps.iter().zip(&ds).all(|(a, b)| a == b)
}

struct UriParts<'a> {
    scheme: &'a str,
    authority: &'a str,
    path: &'a str,
}

fn split_uri(uri: &str) -> Option<UriParts<'_>> {
    let uri = uri.split(['?', '#']).next().unwrap_or(uri);
    let (scheme, rest) = uri.split_once(':')?;
    if scheme.is_empty() {
        return None;
    }
    let (authority, path) = match rest.strip_prefix("//") {
        Some(after) => match after.find('/') {
            Some(i) => (after.get(..i)?, after.get(i..)?),
            None => (after, ""),
        },
        None => ("", rest),
    };
    Some(UriParts {
        scheme,
        authority,
        path,
    })
}

/// The device's types, `(namespace, local name)`.
const TYPES: [(&str, &str); 2] = [(ns::TDS, "Device"), (ns::DN, "NetworkVideoTransmitter")];

/// Whether every QName of a probe's `Types` is one of ours (an absent or
/// empty list matches).
fn types_match(types: Option<&Element>) -> bool {
    let Some(types) = types else {
        return true;
    };
    types
        .text()
        .split_whitespace()
        .take(MAX_ITEMS + 1)
        .enumerate()
        .all(|(i, qname)| {
            if i == MAX_ITEMS {
                return false;
            }
            let resolved = match types.resolve_qname(qname) {
                Some((uri, local)) => Some((uri.to_owned(), local)),
                None => {
                    // Undeclared prefix: ONVIF's well-known ones only.
                    qname.split_once(':').and_then(|(prefix, local)| {
                        let uri = match prefix {
                            "tds" => ns::TDS,
                            "dn" => ns::DN,
                            _ => return None,
                        };
                        Some((uri.to_owned(), local))
                    })
                }
            };
            resolved.is_some_and(|(uri, local)| TYPES.iter().any(|(u, l)| *u == uri && *l == local))
        })
}

/// Whether every scope of a probe's `Scopes` matches one of ours.
fn scopes_match(scopes: Option<&Element>, ours: &[String]) -> bool {
    let Some(scopes) = scopes else {
        return true;
    };
    let rule = MatchBy::parse(scopes.attr("MatchBy"));
    let wanted: Vec<&str> = scopes
        .text()
        .split_whitespace()
        .take(MAX_ITEMS + 1)
        .collect();
    if wanted.len() > MAX_ITEMS {
        return false;
    }
    wanted
        .iter()
        .all(|w| ours.iter().any(|o| scope_matches(rule, w, o)))
}

/// The WS-Discovery machine. See the module documentation.
#[derive(Debug)]
pub struct Discovery {
    epr: String,
    scopes: Vec<String>,
    mode: DiscoveryMode,
    host: DiscoveryHost,
    instance_id: u64,
    message_number: u64,
    metadata_version: u32,
    rng: Rng,
    /// Datagrams waiting for their time, in due order.
    pending: Vec<(Instant, Datagram)>,
    /// Recently seen `(when, sender, MessageID)`, oldest first.
    recent: VecDeque<(Instant, SocketAddr, String)>,
    limits: XmlLimits,
}

/// What a received message asks for.
enum Request {
    Probe,
    Resolve,
}

impl Discovery {
    /// A machine for the state's endpoint reference, scopes and discovery
    /// mode, reachable at `host`. `instance_id` is the WS-Discovery
    /// `AppSequence/@InstanceId`: it must grow at each start (the Unix
    /// time at start will do). `seed` drives message ids and delays.
    pub fn new(state: &DeviceState, host: DiscoveryHost, instance_id: u64, seed: u64) -> Discovery {
        Discovery {
            epr: state.endpoint_reference().to_owned(),
            scopes: state.scopes().iter().map(|s| s.uri.clone()).collect(),
            mode: state.network().discovery_mode,
            host,
            instance_id,
            message_number: 0,
            metadata_version: 1,
            rng: Rng::new(seed),
            pending: Vec::new(),
            recent: VecDeque::new(),
            limits: XmlLimits {
                max_bytes: MAX_DATAGRAM,
                max_depth: 16,
                max_elements: 256,
                max_attributes: 32,
                max_namespace_decls: 64,
                max_value_len: 16 * 1024,
            },
        }
    }

    /// The endpoint reference announced (`urn:uuid:...`).
    pub fn endpoint_reference(&self) -> &str {
        &self.epr
    }

    /// The current `MetadataVersion`.
    pub fn metadata_version(&self) -> u32 {
        self.metadata_version
    }

    /// Whether the device is discoverable.
    pub fn discoverable(&self) -> bool {
        self.mode == DiscoveryMode::Discoverable
    }

    /// The Hello to multicast at start; `None` when NonDiscoverable.
    pub fn hello(&mut self, _now: Instant) -> Option<Datagram> {
        self.discoverable().then(|| self.announcement(true))
    }

    /// The Bye to multicast at stop; `None` when NonDiscoverable.
    pub fn bye(&mut self) -> Option<Datagram> {
        self.discoverable().then(|| self.announcement(false))
    }

    /// Follows changes of the state: scopes (announced by a Hello with a
    /// new `MetadataVersion`), the discovery mode (a Hello when becoming
    /// discoverable, a Bye when leaving) and the endpoint reference.
    /// Returns whether something was queued for [`Discovery::poll_transmit`].
    pub fn sync(&mut self, now: Instant, state: &DeviceState) -> bool {
        let scopes: Vec<String> = state.scopes().iter().map(|s| s.uri.clone()).collect();
        let mode = state.network().discovery_mode;
        let epr = state.endpoint_reference();
        let changed = scopes != self.scopes || epr != self.epr;
        let was = self.discoverable();
        let mut queued = false;
        if was && mode == DiscoveryMode::NonDiscoverable {
            let bye = self.announcement(false);
            queued |= self.enqueue(now, bye);
        }
        if changed {
            self.metadata_version = self.metadata_version.wrapping_add(1);
        }
        self.scopes = scopes;
        self.epr = epr.to_owned();
        self.mode = mode;
        if self.discoverable() && (changed || !was) {
            let hello = self.announcement(true);
            queued |= self.enqueue(now, hello);
        }
        queued
    }

    /// New addresses or ports: a Hello with a new `MetadataVersion` when
    /// they change the XAddrs.
    pub fn set_host(&mut self, now: Instant, host: DiscoveryHost) -> bool {
        if host.xaddrs(None) == self.host.xaddrs(None) {
            self.host = host;
            return false;
        }
        self.host = host;
        self.metadata_version = self.metadata_version.wrapping_add(1);
        if !self.discoverable() {
            return false;
        }
        let hello = self.announcement(true);
        self.enqueue(now, hello)
    }

    /// Handles a datagram received on the multicast socket: a matching
    /// Probe or Resolve queues an answer to `src` after a random delay.
    /// Returns whether an answer was queued.
    pub fn handle_datagram(&mut self, now: Instant, src: SocketAddr, bytes: &[u8]) -> bool {
        self.handle(now, src, bytes, false)
    }

    /// Handles a datagram sent to the device's own address (a directed
    /// probe): answered at once, even when NonDiscoverable.
    pub fn handle_directed_datagram(
        &mut self,
        now: Instant,
        src: SocketAddr,
        bytes: &[u8],
    ) -> bool {
        self.handle(now, src, bytes, true)
    }

    /// The next datagram whose time has come.
    pub fn poll_transmit(&mut self, now: Instant) -> Option<Datagram> {
        match self.pending.first() {
            Some((due, _)) if *due <= now => Some(self.pending.remove(0).1),
            _ => None,
        }
    }

    /// When the next queued datagram is due.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.pending.first().map(|(due, _)| *due)
    }

    fn enqueue(&mut self, due: Instant, datagram: Datagram) -> bool {
        if self.pending.len() >= MAX_PENDING {
            tracing::debug!("WS-Discovery answer queue full; dropping");
            return false;
        }
        let at = self.pending.partition_point(|(d, _)| *d <= due);
        self.pending.insert(at, (due, datagram));
        true
    }

    fn handle(&mut self, now: Instant, src: SocketAddr, bytes: &[u8], directed: bool) -> bool {
        if bytes.len() > MAX_DATAGRAM || src.port() == 0 || src.ip().is_unspecified() {
            return false;
        }
        if !directed && !self.discoverable() {
            return false;
        }
        let Ok(envelope) = parse_envelope(bytes, &self.limits) else {
            return false;
        };
        let body = &envelope.body;
        let Some(version) = Version::of_namespace(&body.ns) else {
            return false;
        };
        let request = match body.name.as_str() {
            "Probe" => Request::Probe,
            "Resolve" => Request::Resolve,
            _ => return false,
        };
        let message_id = envelope
            .header
            .as_ref()
            .and_then(|h| {
                h.child(version.addressing(), "MessageID")
                    .or_else(|| h.child_by_local_name("MessageID"))
            })
            .map(|m| m.text().to_owned())
            .filter(|m| !m.is_empty() && m.len() <= 256);
        if let Some(id) = &message_id {
            while self
                .recent
                .front()
                .is_some_and(|(at, _, _)| now.saturating_duration_since(*at) > DUPLICATE_WINDOW)
            {
                self.recent.pop_front();
            }
            if self
                .recent
                .iter()
                .any(|(_, from, seen)| *from == src && seen == id)
            {
                return false;
            }
            if self.recent.len() == RECENT_IDS {
                self.recent.pop_front();
            }
            self.recent.push_back((now, src, id.clone()));
        }
        let matched = match request {
            Request::Probe => {
                types_match(body.child(version.discovery(), "Types"))
                    && scopes_match(body.child(version.discovery(), "Scopes"), &self.scopes)
            }
            Request::Resolve => body
                .child_by_local_name("EndpointReference")
                .and_then(|epr| epr.child_by_local_name("Address"))
                .is_some_and(|a| a.text() == self.epr),
        };
        if !matched {
            return false;
        }
        let answer = self.answer(
            envelope.version,
            version,
            matches!(request, Request::Probe),
            message_id.as_deref(),
            src,
        );
        let due = if directed {
            now
        } else {
            let millis = u64::try_from(MAX_ANSWER_DELAY.as_millis()).unwrap_or(500);
            now + Duration::from_millis(self.rng.below(millis))
        };
        self.enqueue(due, answer)
    }

    fn next_message_number(&mut self) -> u64 {
        self.message_number += 1;
        self.message_number
    }

    /// A ProbeMatches or ResolveMatches to `src`.
    fn answer(
        &mut self,
        soap: SoapVersion,
        version: Version,
        probe: bool,
        relates_to: Option<&str>,
        src: SocketAddr,
    ) -> Datagram {
        let (action, outer, inner) = if probe {
            ("ProbeMatches", "d:ProbeMatches", "d:ProbeMatch")
        } else {
            ("ResolveMatches", "d:ResolveMatches", "d:ResolveMatch")
        };
        let message_id = self.rng.uuid_urn();
        let number = self.next_message_number();
        let xaddrs = self.host.xaddrs(Some(src.ip()));
        let mut w = XmlWriter::with_capacity(2048);
        self.start_envelope(&mut w, soap, version);
        w.elem("s:Header", |w| {
            w.leaf("a:MessageID", &message_id);
            if let Some(id) = relates_to {
                w.leaf("a:RelatesTo", id);
            }
            w.leaf("a:To", version.anonymous());
            w.leaf("a:Action", &format!("{}/{action}", version.discovery()));
            self.write_app_sequence(w, number);
        });
        w.elem("s:Body", |w| {
            w.elem(outer, |w| {
                w.elem(inner, |w| self.write_description(w, &xaddrs));
            });
        });
        Datagram {
            destination: src,
            payload: finish(w),
        }
    }

    /// A Hello (`hello`) or Bye to the multicast group, WS-Discovery 2005/04.
    fn announcement(&mut self, hello: bool) -> Datagram {
        let version = Version::V2005;
        let message_id = self.rng.uuid_urn();
        let number = self.next_message_number();
        let xaddrs = self.host.xaddrs(None);
        let action = if hello { "Hello" } else { "Bye" };
        let mut w = XmlWriter::with_capacity(2048);
        self.start_envelope(&mut w, SoapVersion::Soap12, version);
        w.elem("s:Header", |w| {
            w.leaf("a:MessageID", &message_id);
            w.leaf("a:To", version.multicast_to());
            w.leaf("a:Action", &format!("{}/{action}", version.discovery()));
            self.write_app_sequence(w, number);
        });
        w.elem("s:Body", |w| {
            if hello {
                w.elem("d:Hello", |w| self.write_description(w, &xaddrs));
            } else {
                w.elem("d:Bye", |w| self.write_epr(w));
            }
        });
        Datagram {
            destination: multicast_destination(),
            payload: finish(w),
        }
    }

    fn start_envelope(&self, w: &mut XmlWriter, soap: SoapVersion, version: Version) {
        w.start("s:Envelope")
            .attr("xmlns:s", soap.namespace())
            .attr("xmlns:a", version.addressing())
            .attr("xmlns:d", version.discovery())
            .attr("xmlns:dn", ns::DN)
            .attr("xmlns:tds", ns::TDS);
    }

    fn write_app_sequence(&self, w: &mut XmlWriter, number: u64) {
        w.start("d:AppSequence")
            .attr_display("InstanceId", self.instance_id)
            .attr_display("MessageNumber", number)
            .end();
    }

    fn write_epr(&self, w: &mut XmlWriter) {
        w.elem("a:EndpointReference", |w| {
            w.leaf("a:Address", &self.epr);
        });
    }

    /// EndpointReference, Types, Scopes, XAddrs, MetadataVersion.
    fn write_description(&self, w: &mut XmlWriter, xaddrs: &[String]) {
        self.write_epr(w);
        w.leaf("d:Types", "tds:Device dn:NetworkVideoTransmitter");
        w.leaf("d:Scopes", &self.scopes.join(" "));
        if !xaddrs.is_empty() {
            w.leaf("d:XAddrs", &xaddrs.join(" "));
        }
        w.leaf_display("d:MetadataVersion", self.metadata_version);
    }
}

fn finish(w: XmlWriter) -> Vec<u8> {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    out.push_str(&w.finish());
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_matching() {
        let ours = "onvif://www.onvif.org/Profile/Streaming";
        for (probe, ok) in [
            ("onvif://www.onvif.org/Profile/Streaming", true),
            ("onvif://www.onvif.org/Profile", true),
            ("onvif://www.onvif.org/Profile/", true),
            ("ONVIF://WWW.ONVIF.ORG/Profile", true),
            ("onvif://www.onvif.org/", true),
            ("onvif://www.onvif.org", true),
            ("onvif://www.onvif.org/Prof", false),
            ("onvif://www.onvif.org/profile", false),
            ("onvif://www.onvif.org/Profile/Streaming/More", false),
            ("onvif://other.org/Profile", false),
            ("onvif://www.onvif.org/Profile/../Profile", false),
            ("http://www.onvif.org/Profile", false),
            ("nonsense", false),
        ] {
            assert_eq!(rfc_prefix_match(probe, ours), ok, "{probe}");
        }
        assert!(scope_matches(MatchBy::Strcmp0, ours, ours));
        assert!(!scope_matches(
            MatchBy::Strcmp0,
            "onvif://www.onvif.org/Profile",
            ours
        ));
        assert_eq!(
            MatchBy::parse(Some(
                "http://schemas.xmlsoap.org/ws/2005/04/discovery/strcmp0"
            )),
            MatchBy::Strcmp0
        );
        assert_eq!(
            MatchBy::parse(Some(
                "http://docs.oasis-open.org/ws-dd/ns/discovery/2009/01/rfc3986"
            )),
            MatchBy::Rfc3986
        );
        assert_eq!(MatchBy::parse(Some("urn:whatever")), MatchBy::Unsupported);
    }

    #[test]
    fn subnets_and_xaddrs() {
        assert!(same_subnet(
            Ipv4Addr::new(192, 168, 1, 5),
            Ipv4Addr::new(192, 168, 1, 200),
            24
        ));
        assert!(!same_subnet(
            Ipv4Addr::new(192, 168, 1, 5),
            Ipv4Addr::new(192, 168, 2, 5),
            24
        ));
        assert!(same_subnet(
            Ipv4Addr::new(1, 2, 3, 4),
            Ipv4Addr::new(9, 9, 9, 9),
            0
        ));
        let host = DiscoveryHost {
            addresses: vec![
                (Ipv4Addr::new(172, 17, 0, 1), 16),
                (Ipv4Addr::new(192, 168, 1, 5), 24),
            ],
            http_port: Some(8000),
            https_port: Some(8443),
        };
        assert_eq!(
            host.xaddrs(Some("192.168.1.77".parse().unwrap())),
            [
                "http://192.168.1.5:8000/onvif/device_service",
                "https://192.168.1.5:8443/onvif/device_service",
                "http://172.17.0.1:8000/onvif/device_service",
                "https://172.17.0.1:8443/onvif/device_service",
            ]
        );
        assert_eq!(
            host.xaddrs(None)[0],
            "http://172.17.0.1:8000/onvif/device_service"
        );
    }

    #[test]
    fn uuids_are_version_4() {
        let id = Rng::new(3).uuid_urn();
        assert_eq!(id.len(), "urn:uuid:".len() + 36);
        assert_eq!(id.as_bytes()[9 + 14], b'4');
        assert!(matches!(id.as_bytes()[9 + 19], b'8' | b'9' | b'a' | b'b'));
    }
}
