//! WS-Discovery: probes as python WSDiscovery, ONVIF Device Manager, the
//! npm `onvif` client, SOAP 1.1 tools and WS-Discovery 2009 clients send
//! them; type and scope matching; answer delays; Hello, Bye, Resolve and
//! the NonDiscoverable mode.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use onvif_rtsp_core::config::OnvifConfig;
use onvif_rtsp_core::onvif::{Element, Envelope, XmlLimits, ns, parse_envelope};
use onvif_rtsp_core::onvif_device::discovery::{
    Datagram, Discovery, DiscoveryHost, MAX_ANSWER_DELAY, multicast_destination,
};
use onvif_rtsp_core::onvif_device::{HostInfo, HostInterface};
use onvif_rtsp_core::onvif_state::{DeviceState, DiscoveryMode};

const WSA_2004: &str = "http://schemas.xmlsoap.org/ws/2004/08/addressing";
const WSD_2005: &str = "http://schemas.xmlsoap.org/ws/2005/04/discovery";
const WSD_2009: &str = "http://docs.oasis-open.org/ws-dd/ns/discovery/2009/01";

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/onvif_fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn state() -> DeviceState {
    DeviceState::from_config(&OnvifConfig::default(), 11)
}

fn host() -> DiscoveryHost {
    DiscoveryHost {
        addresses: vec![
            (Ipv4Addr::new(172, 17, 0, 1), 16),
            (Ipv4Addr::new(192, 168, 1, 10), 24),
        ],
        http_port: Some(8000),
        https_port: None,
    }
}

fn prober() -> SocketAddr {
    "192.168.1.77:51234".parse().unwrap()
}

struct Fixture {
    state: DeviceState,
    discovery: Discovery,
    now: Instant,
}

impl Fixture {
    fn new() -> Fixture {
        let state = state();
        let discovery = Discovery::new(&state, host(), 1_709_208_000, 5);
        Fixture {
            state,
            discovery,
            now: Instant::now(),
        }
    }

    /// Hands a probe over and returns the answer once it is due, checking
    /// the delay bound.
    fn answer(&mut self, probe: &str) -> Option<Datagram> {
        if !self
            .discovery
            .handle_datagram(self.now, prober(), probe.as_bytes())
        {
            assert_eq!(
                self.discovery.poll_transmit(self.now + MAX_ANSWER_DELAY),
                None
            );
            return None;
        }
        let due = self.discovery.next_deadline().expect("a deadline");
        assert!(due >= self.now && due < self.now + MAX_ANSWER_DELAY);
        if due > self.now {
            assert_eq!(self.discovery.poll_transmit(self.now), None, "sent early");
        }
        let d = self.discovery.poll_transmit(due).expect("due");
        assert_eq!(self.discovery.next_deadline(), None);
        Some(d)
    }
}

fn envelope(d: &Datagram) -> Envelope {
    parse_envelope(&d.payload, &XmlLimits::default())
        .unwrap_or_else(|e| panic!("{e}: {}", d.text()))
}

fn header<'a>(env: &'a Envelope, wsa: &str, name: &str) -> &'a str {
    env.header
        .as_ref()
        .and_then(|h| h.child(wsa, name))
        .map(Element::text)
        .unwrap_or_else(|| panic!("no {name}"))
}

/// The ProbeMatch/ResolveMatch/Hello element's `(types, scopes, xaddrs,
/// metadata version)`, the types resolved to `{ns}local`.
fn description(e: &Element, wsd: &str) -> (Vec<String>, Vec<String>, Vec<String>, String) {
    let types = e.child(wsd, "Types").expect("Types");
    let resolved = types
        .text()
        .split_whitespace()
        .map(|q| {
            let (uri, local) = types.resolve_qname(q).expect("declared prefix");
            format!("{{{uri}}}{local}")
        })
        .collect();
    let list = |name: &str| {
        e.child(wsd, name)
            .map(|x| x.text().split_whitespace().map(str::to_owned).collect())
            .unwrap_or_default()
    };
    (
        resolved,
        list("Scopes"),
        list("XAddrs"),
        e.child(wsd, "MetadataVersion")
            .expect("MetadataVersion")
            .text()
            .to_owned(),
    )
}

fn epr_of(e: &Element, wsa: &str) -> String {
    e.child(wsa, "EndpointReference")
        .and_then(|r| r.child(wsa, "Address"))
        .map(|a| a.text().to_owned())
        .expect("EndpointReference/Address")
}

fn our_types() -> Vec<String> {
    vec![
        format!("{{{}}}Device", ns::TDS),
        format!("{{{}}}NetworkVideoTransmitter", ns::DN),
    ]
}

#[test]
fn python_wsdiscovery_probe_is_answered() {
    let mut f = Fixture::new();
    let probe = fixture("discovery_wsdiscovery_probe_nvt_streaming.xml");
    let d = f.answer(&probe).expect("answered");
    assert_eq!(d.destination, prober());
    let env = envelope(&d);
    assert_eq!(env.version, onvif_rtsp_core::onvif::SoapVersion::Soap12);
    assert_eq!(
        header(&env, WSA_2004, "Action"),
        "http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches"
    );
    assert_eq!(
        header(&env, WSA_2004, "RelatesTo"),
        "urn:uuid:0a6dc791-2aea-4f5e-9b0c-6b2a1c4e0000"
    );
    assert_eq!(
        header(&env, WSA_2004, "To"),
        "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"
    );
    let id = header(&env, WSA_2004, "MessageID");
    assert!(id.starts_with("urn:uuid:") && id.len() == 45, "{id}");
    let seq = env
        .header
        .as_ref()
        .and_then(|h| h.child(WSD_2005, "AppSequence"))
        .expect("AppSequence");
    assert_eq!(seq.attr("InstanceId"), Some("1709208000"));
    assert_eq!(seq.attr("MessageNumber"), Some("1"));
    assert!(env.body.is(WSD_2005, "ProbeMatches"));
    let m = env.body.child(WSD_2005, "ProbeMatch").expect("ProbeMatch");
    assert_eq!(epr_of(m, WSA_2004), f.state.endpoint_reference());
    assert!(f.state.endpoint_reference().starts_with("urn:uuid:"));
    let (types, scopes, xaddrs, version) = description(m, WSD_2005);
    assert_eq!(types, our_types());
    for s in [
        "onvif://www.onvif.org/Profile/Streaming",
        "onvif://www.onvif.org/Profile/T",
    ] {
        assert!(scopes.iter().any(|x| x == s), "{scopes:?}");
    }
    assert!(
        scopes
            .iter()
            .any(|x| x.starts_with("onvif://www.onvif.org/name/"))
    );
    assert!(
        scopes
            .iter()
            .any(|x| x.starts_with("onvif://www.onvif.org/hardware/"))
    );
    // The prober's subnet first.
    assert_eq!(
        xaddrs,
        [
            "http://192.168.1.10:8000/onvif/device_service",
            "http://172.17.0.1:8000/onvif/device_service"
        ]
    );
    assert_eq!(version, "1");
    // The same probe again (SOAP-over-UDP repeats it) is not answered twice,
    assert!(
        !f.discovery
            .handle_datagram(f.now, prober(), probe.as_bytes())
    );
    // but another prober using the same id is, and so is a later probe
    // that reuses it (some tools send a fixed MessageID).
    let other: SocketAddr = "192.168.1.78:3702".parse().unwrap();
    assert!(f.discovery.handle_datagram(f.now, other, probe.as_bytes()));
    let later = f.now + std::time::Duration::from_secs(6);
    assert!(
        f.discovery
            .handle_datagram(later, prober(), probe.as_bytes())
    );
    while f
        .discovery
        .poll_transmit(later + MAX_ANSWER_DELAY)
        .is_some()
    {}
    python_cross_check(&d, "urn:uuid:0a6dc791-2aea-4f5e-9b0c-6b2a1c4e0000");
}

/// Parses our ProbeMatches with python WSDiscovery itself and applies its
/// own client-side type and scope filter, when its venv is around.
fn python_cross_check(d: &Datagram, relates_to: &str) {
    let python = std::env::var_os("ONVIF_PYTHON")
        .map(PathBuf::from)
        .or_else(|| {
            let p = PathBuf::from("/tmp/venv-test/bin/python");
            p.exists().then_some(p)
        });
    let Some(python) = python else {
        eprintln!("onvif_discovery: no python with WSDiscovery; cross-check skipped");
        return;
    };
    let file = std::env::temp_dir().join(format!("onvif_discovery_{}.xml", std::process::id()));
    std::fs::write(&file, &d.payload).unwrap();
    let script = r#"
import sys
try:
    from wsdiscovery.message import parseSOAPMessage
    from wsdiscovery.qname import QName
    from wsdiscovery.scope import Scope
    from wsdiscovery.util import matchesFilter
except ImportError:
    print("SKIP"); sys.exit(0)
env = parseSOAPMessage(open(sys.argv[1], 'rb').read(), '192.168.1.10')
m = env.getProbeResolveMatches()[0]
class S:
    def getTypes(self): return m.getTypes()
    def getScopes(self): return m.getScopes()
ok = matchesFilter(S(), [QName('http://www.onvif.org/ver10/network/wsdl', 'NetworkVideoTransmitter')],
                   [Scope('onvif://www.onvif.org/Profile/Streaming')])
print(env.getRelatesTo(), m.getEPR(), m.getXAddrs()[0], ok)
"#;
    let out = Command::new(&python)
        .arg("-c")
        .arg(script)
        .arg(&file)
        .output()
        .expect("run python");
    let _ = std::fs::remove_file(&file);
    let stdout = String::from_utf8_lossy(&out.stdout);
    if stdout.trim() == "SKIP" {
        eprintln!(
            "onvif_discovery: {} has no WSDiscovery; cross-check skipped",
            python.display()
        );
        return;
    }
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fields: Vec<&str> = stdout.split_whitespace().collect();
    assert_eq!(fields.len(), 4, "{stdout}");
    assert_eq!(fields[0], relates_to);
    assert!(fields[1].starts_with("urn:uuid:"));
    assert_eq!(fields[2], "http://192.168.1.10:8000/onvif/device_service");
    assert_eq!(
        fields[3], "True",
        "WSDiscovery's own filter refused our match"
    );
}

#[test]
fn odm_and_npm_onvif_probes_are_answered() {
    for (name, relates) in [
        (
            "discovery_odm_probe.xml",
            "uuid:d05a357a-a01e-4ad0-9d70-e1bdd24e9393",
        ),
        (
            "discovery_odm_probe_device.xml",
            "uuid:e72322fb-6512-4d1b-99b1-6b0c6b2a1c4e",
        ),
        (
            "discovery_npm_onvif_probe.xml",
            "urn:uuid:6c0e1b55-3d2f-4f7b-8d1e-2a9f4c7b1e01",
        ),
        (
            "discovery_wsdiscovery_probe_any.xml",
            "urn:uuid:0a6dc791-2aea-4f5e-9b0c-6b2a1c4e0001",
        ),
        (
            "discovery_wsdiscovery_probe_device_strcmp.xml",
            "urn:uuid:0a6dc791-2aea-4f5e-9b0c-6b2a1c4e0002",
        ),
    ] {
        let mut f = Fixture::new();
        let d = f
            .answer(&fixture(name))
            .unwrap_or_else(|| panic!("{name} not answered"));
        let env = envelope(&d);
        assert_eq!(header(&env, WSA_2004, "RelatesTo"), relates, "{name}");
        let m = env.body.child(WSD_2005, "ProbeMatch").expect("ProbeMatch");
        assert_eq!(description(m, WSD_2005).0, our_types());
    }
}

#[test]
fn soap11_probe_gets_a_soap11_answer() {
    let mut f = Fixture::new();
    let d = f
        .answer(&fixture("discovery_soap11_probe.xml"))
        .expect("answered");
    let env = envelope(&d);
    assert_eq!(env.version, onvif_rtsp_core::onvif::SoapVersion::Soap11);
    assert!(
        d.text()
            .contains("xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"")
    );
    assert_eq!(
        header(&env, WSA_2004, "RelatesTo"),
        "urn:uuid:52c215cf-7734-4fec-aaef-2613d6d44a03"
    );
    assert!(env.body.is(WSD_2005, "ProbeMatches"));
}

#[test]
fn ws_discovery_2009_probe_gets_a_2009_answer() {
    let mut f = Fixture::new();
    let d = f
        .answer(&fixture("discovery_wsd2009_probe.xml"))
        .expect("answered");
    let env = envelope(&d);
    assert_eq!(
        header(&env, ns::WSA, "Action"),
        "http://docs.oasis-open.org/ws-dd/ns/discovery/2009/01/ProbeMatches"
    );
    assert_eq!(
        header(&env, ns::WSA, "To"),
        "http://www.w3.org/2005/08/addressing/anonymous"
    );
    assert_eq!(
        header(&env, ns::WSA, "RelatesTo"),
        "urn:uuid:8f2b7c10-1d2e-4c3f-9a4b-5c6d7e8f9a01"
    );
    let m = env.body.child(WSD_2009, "ProbeMatch").expect("ProbeMatch");
    assert_eq!(epr_of(m, ns::WSA), f.state.endpoint_reference());
    assert_eq!(description(m, WSD_2009).0, our_types());
}

/// A 2005/04 probe with the given Types and Scopes content (and MatchBy).
fn probe(id: u32, types: Option<&str>, scopes: Option<(&str, Option<&str>)>) -> String {
    let types = types.map_or(String::new(), |t| format!("<d:Types>{t}</d:Types>"));
    let scopes = scopes.map_or(String::new(), |(s, by)| match by {
        Some(by) => format!(r#"<d:Scopes MatchBy="{by}">{s}</d:Scopes>"#),
        None => format!("<d:Scopes>{s}</d:Scopes>"),
    });
    format!(
        r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" xmlns:net="http://www.onvif.org/ver10/network/wsdl" xmlns:dev="http://www.onvif.org/ver10/device/wsdl" xmlns:dn="urn:not-onvif"><s:Header><a:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</a:Action><a:MessageID>urn:uuid:00000000-0000-4000-8000-{id:012}</a:MessageID><a:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To></s:Header><s:Body><d:Probe>{types}{scopes}</d:Probe></s:Body></s:Envelope>"#
    )
}

#[test]
fn types_match_by_namespace_not_prefix() {
    let mut f = Fixture::new();
    let mut id = 0;
    let mut answered = |types: Option<&str>| {
        id += 1;
        f.discovery
            .handle_datagram(f.now, prober(), probe(id, types, None).as_bytes())
    };
    assert!(answered(None));
    assert!(answered(Some("")));
    assert!(answered(Some("net:NetworkVideoTransmitter")));
    assert!(answered(Some("dev:Device")));
    assert!(answered(Some(" dev:Device\n net:NetworkVideoTransmitter ")));
    // `dn` is bound to another namespace in this probe: not ours.
    assert!(!answered(Some("dn:NetworkVideoTransmitter")));
    assert!(!answered(Some("net:Device")));
    assert!(!answered(Some("net:NetworkVideoTransmitter dev:Printer")));
    assert!(!answered(Some("NetworkVideoTransmitter")));
    // Undeclared ONVIF prefixes are taken as ONVIF's; others are not.
    assert!(answered(Some("tds:Device")));
    assert!(!answered(Some("wsdp:Device")));
    let windows = fixture("discovery_windows_probe.xml");
    assert!(
        !f.discovery
            .handle_datagram(f.now, prober(), windows.as_bytes())
    );
}

#[test]
fn scopes_match_by_segments_or_strcmp0() {
    let mut f = Fixture::new();
    let strcmp = Some("http://schemas.xmlsoap.org/ws/2005/04/discovery/strcmp0");
    let rfc = Some("http://schemas.xmlsoap.org/ws/2005/04/discovery/rfc2396");
    let mut id = 100;
    let mut answered = |scopes: &str, by: Option<&str>| {
        id += 1;
        f.discovery.handle_datagram(
            f.now,
            prober(),
            probe(id, Some("net:NetworkVideoTransmitter"), Some((scopes, by))).as_bytes(),
        )
    };
    assert!(answered("onvif://www.onvif.org/Profile/Streaming", None));
    assert!(answered("onvif://www.onvif.org/Profile", None));
    assert!(answered("onvif://www.onvif.org/Profile/", rfc));
    assert!(answered("ONVIF://www.ONVIF.org/Profile/T", None));
    assert!(answered(
        "onvif://www.onvif.org/Profile/Streaming onvif://www.onvif.org/Profile/T",
        None
    ));
    assert!(answered("", None));
    assert!(!answered("onvif://www.onvif.org/Prof", None));
    assert!(!answered("onvif://www.onvif.org/profile/streaming", None));
    assert!(!answered("onvif://www.onvif.org/location/mars", None));
    assert!(!answered(
        "onvif://www.onvif.org/Profile/Streaming onvif://www.onvif.org/location/mars",
        None
    ));
    assert!(answered("onvif://www.onvif.org/Profile/T", strcmp));
    assert!(!answered("onvif://www.onvif.org/Profile", strcmp));
    assert!(!answered(
        "onvif://www.onvif.org/Profile",
        Some("http://schemas.xmlsoap.org/ws/2005/04/discovery/ldap")
    ));
    assert!(!answered(
        "onvif://www.onvif.org/Profile",
        Some("urn:made-up")
    ));
}

#[test]
fn multicast_answers_wait_less_than_500_ms_and_vary() {
    let mut f = Fixture::new();
    let mut delays = Vec::new();
    for i in 0..40 {
        assert!(f.discovery.handle_datagram(
            f.now,
            prober(),
            probe(1000 + i, None, None).as_bytes()
        ));
        let due = f.discovery.next_deadline().unwrap();
        delays.push(due - f.now);
        let d = f.discovery.poll_transmit(due).expect("due");
        assert_eq!(d.destination, prober());
    }
    assert!(delays.iter().all(|d| *d < MAX_ANSWER_DELAY));
    let distinct: std::collections::BTreeSet<_> = delays.iter().collect();
    assert!(distinct.len() > 10, "{delays:?}");
    // Deterministic for a seed.
    let mut g = Fixture::new();
    g.now = f.now;
    g.discovery
        .handle_datagram(g.now, prober(), probe(1000, None, None).as_bytes());
    assert_eq!(g.discovery.next_deadline().unwrap() - g.now, delays[0]);
    // Answers come out in due order and the queue is bounded.
    let mut h = Fixture::new();
    for i in 0..200 {
        h.discovery
            .handle_datagram(h.now, prober(), probe(5000 + i, None, None).as_bytes());
    }
    let mut sent = 0;
    let mut last = h.now;
    let end = h.now + MAX_ANSWER_DELAY;
    while let Some(due) = h.discovery.next_deadline() {
        assert!(due >= last && due < end);
        last = due;
        h.discovery.poll_transmit(due).unwrap();
        sent += 1;
    }
    assert!(sent <= 64 && sent > 0, "{sent}");
}

#[test]
fn hello_bye_and_announced_changes() {
    let mut f = Fixture::new();
    let hello = f.discovery.hello(f.now).expect("discoverable");
    assert_eq!(hello.destination, multicast_destination());
    assert_eq!(multicast_destination().to_string(), "239.255.255.250:3702");
    let env = envelope(&hello);
    assert_eq!(
        header(&env, WSA_2004, "Action"),
        "http://schemas.xmlsoap.org/ws/2005/04/discovery/Hello"
    );
    assert_eq!(
        header(&env, WSA_2004, "To"),
        "urn:schemas-xmlsoap-org:ws:2005:04:discovery"
    );
    let h = env.body.clone();
    assert!(h.is(WSD_2005, "Hello"));
    assert_eq!(epr_of(&h, WSA_2004), f.state.endpoint_reference());
    let (types, _, xaddrs, version) = description(&h, WSD_2005);
    assert_eq!(types, our_types());
    assert_eq!(xaddrs.len(), 2);
    assert_eq!(version, "1");

    // AddScopes: announced with a new metadata version.
    f.state
        .add_scopes(&["onvif://www.onvif.org/location/city/Berlin"])
        .unwrap();
    assert!(f.discovery.sync(f.now, &f.state));
    let again = f.discovery.poll_transmit(f.now).expect("Hello");
    let env = envelope(&again);
    let (_, scopes, _, version) = description(&env.body, WSD_2005);
    assert!(
        scopes
            .iter()
            .any(|s| s == "onvif://www.onvif.org/location/city/Berlin")
    );
    assert_eq!(version, "2");
    assert_eq!(f.discovery.metadata_version(), 2);
    // Nothing changed: nothing sent.
    assert!(!f.discovery.sync(f.now, &f.state));
    // The new scope is matched from now on.
    let located = probe(9, None, Some(("onvif://www.onvif.org/location/city", None)));
    assert!(
        f.discovery
            .handle_datagram(f.now, prober(), located.as_bytes())
    );

    // New addresses: a Hello too.
    let mut moved = host();
    moved.addresses.push((Ipv4Addr::new(10, 0, 0, 2), 8));
    assert!(f.discovery.set_host(f.now, moved.clone()));
    assert!(!f.discovery.set_host(f.now, moved));

    let bye = f.discovery.bye().expect("Bye");
    assert_eq!(bye.destination, multicast_destination());
    let env = envelope(&bye);
    assert_eq!(
        header(&env, WSA_2004, "Action"),
        "http://schemas.xmlsoap.org/ws/2005/04/discovery/Bye"
    );
    assert_eq!(epr_of(&env.body, WSA_2004), f.state.endpoint_reference());
    // Message numbers grow with every message.
    let number = |d: &Datagram| {
        envelope(d)
            .header
            .unwrap()
            .child(WSD_2005, "AppSequence")
            .unwrap()
            .attr("MessageNumber")
            .unwrap()
            .parse::<u64>()
            .unwrap()
    };
    assert!(number(&bye) > number(&again) && number(&again) > number(&hello));
}

#[test]
fn non_discoverable_is_silent_except_for_directed_probes() {
    let mut f = Fixture::new();
    f.state.set_discovery_mode(DiscoveryMode::NonDiscoverable);
    // Switching announces the departure.
    assert!(f.discovery.sync(f.now, &f.state));
    let bye = f.discovery.poll_transmit(f.now).expect("Bye");
    assert!(bye.text().contains("/discovery/Bye</"));
    assert!(!f.discovery.discoverable());
    assert_eq!(f.discovery.hello(f.now), None);
    assert_eq!(f.discovery.bye(), None);
    let odm = fixture("discovery_odm_probe.xml");
    assert!(!f.discovery.handle_datagram(f.now, prober(), odm.as_bytes()));
    assert_eq!(f.discovery.next_deadline(), None);
    // A probe sent to our own address is answered, at once.
    assert!(
        f.discovery
            .handle_directed_datagram(f.now, prober(), odm.as_bytes())
    );
    assert_eq!(f.discovery.next_deadline(), Some(f.now));
    assert!(f.discovery.poll_transmit(f.now).is_some());
    // And a device made discoverable again says Hello.
    f.state.set_discovery_mode(DiscoveryMode::Discoverable);
    assert!(f.discovery.sync(f.now, &f.state));
    let hello = f.discovery.poll_transmit(f.now).expect("Hello");
    assert!(hello.text().contains("/discovery/Hello</"));
    // A device that starts NonDiscoverable says nothing at start.
    let mut quiet = state();
    quiet.set_discovery_mode(DiscoveryMode::NonDiscoverable);
    let mut d = Discovery::new(&quiet, host(), 1, 1);
    assert_eq!(d.hello(f.now), None);
}

#[test]
fn resolve_by_endpoint_reference() {
    let mut f = Fixture::new();
    let resolve = fixture("discovery_wsdiscovery_resolve.xml");
    assert!(f.answer(&resolve).is_none(), "someone else's EPR");
    let ours = resolve.replace("urn:uuid:EPR-PLACEHOLDER", f.state.endpoint_reference());
    // A different message id than the refused one.
    let ours = ours.replace("4e0003", "4e0033");
    let d = f.answer(&ours).expect("ResolveMatches");
    let env = envelope(&d);
    assert_eq!(
        header(&env, WSA_2004, "Action"),
        "http://schemas.xmlsoap.org/ws/2005/04/discovery/ResolveMatches"
    );
    let m = env
        .body
        .child(WSD_2005, "ResolveMatch")
        .expect("ResolveMatch");
    assert_eq!(epr_of(m, WSA_2004), f.state.endpoint_reference());
    let (_, _, xaddrs, _) = description(m, WSD_2005);
    assert_eq!(xaddrs[0], "http://192.168.1.10:8000/onvif/device_service");
}

#[test]
fn junk_is_ignored() {
    let mut f = Fixture::new();
    let probe_text = fixture("discovery_odm_probe.xml");
    let hello_from_another = {
        let mut other = Discovery::new(
            &DeviceState::from_config(&OnvifConfig::default(), 99),
            host(),
            1,
            1,
        );
        other.hello(f.now).unwrap().payload
    };
    let answer_from_another = {
        let mut other = Discovery::new(
            &DeviceState::from_config(&OnvifConfig::default(), 98),
            host(),
            1,
            1,
        );
        other.handle_directed_datagram(f.now, prober(), probe_text.as_bytes());
        other.poll_transmit(f.now).unwrap().payload
    };
    let big = format!("{}{}", probe_text, " ".repeat(70_000));
    let doctype = format!(
        "<!DOCTYPE x [<!ENTITY a \"aaaa\">]>{}",
        probe_text.trim_start_matches("<?xml version=\"1.0\" encoding=\"utf-8\"?>")
    );
    for junk in [
        b"".to_vec(),
        b"\x00\x01\x02".to_vec(),
        b"M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\n\r\n".to_vec(),
        probe_text.as_bytes()[..probe_text.len() / 2].to_vec(),
        big.into_bytes(),
        doctype.into_bytes(),
        hello_from_another,
        answer_from_another,
        b"<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body><Probe/></s:Body></s:Envelope>".to_vec(),
        "<\u{FFFF}>".as_bytes().to_vec(),
    ] {
        assert!(!f.discovery.handle_datagram(f.now, prober(), &junk));
    }
    // From port 0 or an unspecified address: no one to answer.
    assert!(!f.discovery.handle_datagram(
        f.now,
        "192.168.1.77:0".parse().unwrap(),
        probe_text.as_bytes()
    ));
    assert!(!f.discovery.handle_datagram(
        f.now,
        "0.0.0.0:3702".parse().unwrap(),
        probe_text.as_bytes()
    ));
    assert_eq!(f.discovery.next_deadline(), None);
    // A probe without a MessageID is still answered (without RelatesTo).
    let anonymous = probe_text.replace(
        "<wsa:MessageID xmlns:wsa=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\">uuid:d05a357a-a01e-4ad0-9d70-e1bdd24e9393</wsa:MessageID>",
        "",
    );
    let d = f.answer(&anonymous).expect("answered");
    assert!(!d.text().contains("RelatesTo"));
}

#[test]
fn host_addresses_from_the_state() {
    let s = state();
    let info = HostInfo {
        hostname: "cam".into(),
        interfaces: vec![
            HostInterface {
                name: "eth0".into(),
                up: true,
                ipv4: vec![(Ipv4Addr::new(192, 168, 1, 10), 24)],
                ..HostInterface::default()
            },
            HostInterface {
                name: "eth1".into(),
                up: false,
                ipv4: vec![(Ipv4Addr::new(10, 9, 9, 9), 8)],
                ..HostInterface::default()
            },
        ],
    };
    let h = DiscoveryHost::from_state(&s, &info);
    assert_eq!(h.addresses, [(Ipv4Addr::new(192, 168, 1, 10), 24)]);
    assert_eq!(h.http_port, Some(s.server().http_port));
    let mut config = OnvifConfig::default();
    config.server.server_ip = Some("192.168.1.10".parse().unwrap());
    config.server.https_enable = true;
    let pinned = DeviceState::from_config(&config, 1);
    let h = DiscoveryHost::from_state(&pinned, &info);
    assert_eq!(h.addresses, [(Ipv4Addr::new(192, 168, 1, 10), 24)]);
    assert_eq!(h.https_port, Some(pinned.server().https_port));
}
