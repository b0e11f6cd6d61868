//! The ONVIF device management service (`tds`) end to end: real HTTP bytes
//! through `http::ServerConn` and the real `onvif::Endpoint` built by
//! `onvif_device::build_registry()`, against an `OnvifContext` from
//! `DeviceState::from_config`, with requests in the forms Home Assistant's
//! zeep client, the npm `onvif` client and ONVIF Device Manager send
//! (WS-Security digests computed here), plus a scripted walk over every
//! device operation whose responses are validated against the official
//! ONVIF schemas by `conformance/python/onvif_validate.py`.
//!
//! The validation runs with `$ONVIF_PYTHON`, else `/tmp/venv-test/bin/python`,
//! else `python3`, whichever has `xmlschema`; without one it is skipped
//! with a message (CI sets `ONVIF_PYTHON`), and a failed validation fails.

mod onvif_common;

mod xsd;

use std::time::{Duration, Instant};

use base64::Engine;
use onvif_common::Parsed;
use onvif_rtsp_core::config::{OnvifConfig, OnvifUser};
use onvif_rtsp_core::http::{ConnEvent, DecoderLimits, ServerConn};
use onvif_rtsp_core::onvif::values::{format_datetime, format_datetime_millis};
use onvif_rtsp_core::onvif::*;
use onvif_rtsp_core::onvif_device::device::device_clock;
use onvif_rtsp_core::onvif_device::events::EventState;
use onvif_rtsp_core::onvif_device::{
    HostInfo, HostInterface, OnvifContext, build_registry, capabilities, media,
};
use onvif_rtsp_core::onvif_state::{DateTimeType, DeviceState, FactoryDefault, ProtocolKind};
use sha1::{Digest as _, Sha1};

/// The host clock at test time 0: 2024-02-29T12:00:00Z.
const T0_UNIX: u64 = 1_709_208_000;
const DEVICE: &str = "/onvif/device_service";
const TDS_NS: &str = "http://www.onvif.org/ver10/device/wsdl";

// ---------------------------------------------------------------------------
// Harness

/// Who signs a request, and how.
#[derive(Clone, Copy)]
enum Auth<'a> {
    /// No security header.
    None,
    /// A UsernameToken with a PasswordDigest.
    Digest(&'a str, &'a str),
    /// A UsernameToken with a PasswordText.
    Text(&'a str, &'a str),
}

/// The client whose request form to imitate.
#[derive(Clone, Copy, PartialEq)]
enum Style {
    /// python-zeep (onvif-zeep-async, Home Assistant).
    Zeep,
    /// The npm `onvif` package (and ONVIF Device Manager, same header).
    Npm,
}

/// One answered request.
struct Got {
    r: Parsed,
    effects: Vec<Effect>,
}

impl Got {
    fn body(&self) -> Element {
        self.r.envelope().body
    }

    fn ok(self) -> Got {
        assert_eq!(self.r.status, 200, "{}", self.r.body);
        assert!(
            self.r
                .header("Content-Type")
                .unwrap()
                .starts_with("application/soap+xml"),
            "{:?}",
            self.r.headers
        );
        self
    }

    /// Asserts a fault with this HTTP status, code and subcodes.
    fn fault(&self, status: u16, code: &str, subcodes: &[&str]) {
        assert_eq!(self.r.status, status, "{}", self.r.body);
        assert_eq!(
            self.r.header("Content-Type"),
            Some("application/soap+xml; charset=utf-8")
        );
        let (c, s) = self
            .r
            .fault()
            .unwrap_or_else(|| panic!("no fault: {}", self.r.body));
        assert_eq!(c, code, "{}", self.r.body);
        assert_eq!(s, subcodes, "{}", self.r.body);
        assert!(self.effects.is_empty(), "a fault carries no effects");
    }

    fn persisted(&self) -> bool {
        self.effects.contains(&Effect::PersistConfig)
    }
}

/// The device under test.
struct Dut {
    endpoint: Endpoint<OnvifContext>,
    ctx: OnvifContext,
    t0: Instant,
    nonce: u64,
    /// Every response envelope the test saw, for the schema walk.
    seen: Vec<(String, String)>,
}

fn host_info() -> HostInfo {
    HostInfo {
        hostname: "testhost".into(),
        interfaces: vec![HostInterface {
            name: "eth0".into(),
            mac: [0x52, 0x54, 0x00, 0x12, 0x34, 0x56],
            mtu: 1500,
            up: true,
            ipv4: vec![
                ("192.0.2.1".parse().unwrap(), 24),
                ("169.254.7.9".parse().unwrap(), 16),
            ],
            ipv6: vec![
                ("2001:db8::5".parse().unwrap(), 64),
                ("fe80::5054:ff:fe12:3456".parse().unwrap(), 64),
            ],
        }],
    }
}

impl Dut {
    fn new(need_auth: bool) -> Dut {
        let mut config = OnvifConfig::default();
        config.server.need_auth = need_auth;
        for (name, password, level) in [
            ("operator", "op-pass", UserLevel::Operator),
            ("user", "user-pass", UserLevel::User),
        ] {
            config.users.push(OnvifUser {
                username: name.into(),
                password: password.into(),
                level,
                fixed: true,
            });
        }
        let state = DeviceState::from_config(&config, 7);
        let t0 = Instant::now();
        Dut {
            endpoint: Endpoint::new(
                build_registry().unwrap(),
                Security::new(SecurityConfig::default(), [9; 16], t0),
                XmlLimits::default(),
            ),
            ctx: OnvifContext {
                state,
                config,
                events: EventState::default(),
                host: host_info(),
                log: Default::default(),
            },
            t0,
            nonce: 0,
            seen: Vec::new(),
        }
    }

    /// The device clock `secs` seconds after test time 0.
    fn device_time(&self, secs: u64) -> Duration {
        device_clock(&self.ctx.state, Duration::from_secs(T0_UNIX + secs))
    }

    fn env(&self, secs: u64) -> RequestEnv {
        RequestEnv {
            peer: "192.0.2.50".parse().unwrap(),
            local: Some("192.0.2.1:8000".parse().unwrap()),
            tls: false,
            now: self.t0 + Duration::from_secs(secs),
            device_time: self.device_time(secs),
        }
    }

    /// A security header signed for the device clock at `secs`.
    fn security(&mut self, style: Style, auth: Auth<'_>, secs: u64) -> String {
        let (user, password, digest) = match auth {
            Auth::None => return String::new(),
            Auth::Digest(u, p) => (u, p, true),
            Auth::Text(u, p) => (u, p, false),
        };
        self.nonce += 1;
        let nonce: Vec<u8> = format!("nonce-{:010}", self.nonce).into_bytes();
        let now = self.device_time(secs);
        let created = match style {
            // zeep: microseconds and +00:00.
            Style::Zeep => format_datetime(now).replace('Z', ".532918+00:00"),
            // JavaScript's toISOString().
            Style::Npm => format_datetime_millis(now),
        };
        let (kind, value) = if digest {
            let mut h = Sha1::new();
            h.update(&nonce);
            h.update(created.as_bytes());
            h.update(password.as_bytes());
            (
                "PasswordDigest",
                base64::engine::general_purpose::STANDARD.encode(h.finalize()),
            )
        } else {
            ("PasswordText", password.to_owned())
        };
        let b64 = base64::engine::general_purpose::STANDARD.encode(&nonce);
        let p =
            "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0";
        let enc = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary";
        match style {
            Style::Zeep => format!(
                r#"<wsse:Security xmlns:wsse="{}" soap-env:mustUnderstand="1"><wsse:UsernameToken><wsse:Username>{user}</wsse:Username><wsse:Password Type="{p}#{kind}">{value}</wsse:Password><wsse:Nonce EncodingType="{enc}">{b64}</wsse:Nonce><wsu:Created xmlns:wsu="{}">{created}</wsu:Created></wsse:UsernameToken></wsse:Security>"#,
                ns::WSSE,
                ns::WSU
            ),
            Style::Npm => format!(
                r#"<Security s:mustUnderstand="1" xmlns="{}"><UsernameToken><Username>{user}</Username><Password Type="{p}#{kind}">{value}</Password><Nonce EncodingType="{enc}">{b64}</Nonce><Created xmlns="{}">{created}</Created></UsernameToken></Security>"#,
                ns::WSSE,
                ns::WSU
            ),
        }
    }

    /// An envelope around `body` in `style`, signed by `auth`.
    fn envelope(&mut self, style: Style, auth: Auth<'_>, body: &str, secs: u64) -> String {
        let security = self.security(style, auth, secs);
        match style {
            Style::Zeep => format!(
                r#"<?xml version='1.0' encoding='utf-8'?>
<soap-env:Envelope xmlns:soap-env="http://www.w3.org/2003/05/soap-envelope"><soap-env:Header>{security}</soap-env:Header><soap-env:Body>{body}</soap-env:Body></soap-env:Envelope>"#
            ),
            Style::Npm => format!(
                r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing"><s:Header>{security}</s:Header><s:Body xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">{body}</s:Body></s:Envelope>"#
            ),
        }
    }

    /// A fixture with its `{{SECURITY}}` placeholder filled in.
    fn fixture(&mut self, name: &str, auth: Auth<'_>, secs: u64) -> String {
        let style = if name.starts_with("zeep") {
            Style::Zeep
        } else {
            Style::Npm
        };
        let text = fixture(name);
        let security = self.security(style, auth, secs);
        text.trim().replace("{{SECURITY}}", &security)
    }

    /// POSTs raw bytes on a fresh connection and answers the one request,
    /// carrying out FactoryDefault as the server machine does.
    fn send(&mut self, wire: &[u8], secs: u64) -> Got {
        let mut conn = ServerConn::new(DecoderLimits::default());
        conn.push(wire);
        let env = self.env(secs);
        loop {
            match conn.poll() {
                Some(ConnEvent::Request(request)) => {
                    let outcome = self.endpoint.handle(&request, &env, &mut self.ctx);
                    let Answer::Now(response) = outcome.answer else {
                        panic!("the device service never defers")
                    };
                    for effect in &outcome.effects {
                        if let Effect::FactoryDefault { hard } = effect {
                            let kind = if *hard {
                                FactoryDefault::Hard
                            } else {
                                FactoryDefault::Soft
                            };
                            let config = self.ctx.config.clone();
                            self.ctx.state.reset_to_factory_default(&config, kind);
                        }
                    }
                    let sent = conn.respond(&response).unwrap();
                    let r = Parsed::from_wire(&sent.bytes);
                    let name = r.envelope().body.name.clone();
                    self.seen.push((name, r.body.clone()));
                    return Got {
                        r,
                        effects: outcome.effects,
                    };
                }
                Some(ConnEvent::Send(_)) => {}
                Some(ConnEvent::SendAndClose(bytes)) => {
                    return Got {
                        r: Parsed::from_wire(&bytes),
                        effects: Vec::new(),
                    };
                }
                None => panic!("no request in {:?}", String::from_utf8_lossy(wire)),
            }
        }
    }

    fn post_raw(
        &mut self,
        path: &str,
        host: &str,
        headers: &[(&str, &str)],
        body: &str,
        secs: u64,
    ) -> Got {
        let wire = http_post(path, host, headers, body);
        self.send(&wire, secs)
    }

    /// POSTs an envelope to the device service.
    fn post(&mut self, envelope: &str, secs: u64) -> Got {
        self.post_raw(DEVICE, "192.0.2.1:8000", &[], envelope, secs)
    }

    /// A zeep-style request for the `tds` operation `op` with `params`
    /// (already prefixed `ns0:`/`ns1:`), signed as `auth`.
    fn zeep(&mut self, auth: Auth<'_>, op: &str, params: &str, secs: u64) -> Got {
        let body = if params.is_empty() {
            format!(r#"<ns0:{op} xmlns:ns0="{TDS_NS}"/>"#)
        } else {
            format!(
                r#"<ns0:{op} xmlns:ns0="{TDS_NS}" xmlns:ns1="http://www.onvif.org/ver10/schema">{params}</ns0:{op}>"#
            )
        };
        let envelope = self.envelope(Style::Zeep, auth, &body, secs);
        self.post(&envelope, secs)
    }

    /// An npm-style request (default namespaces) for `op`.
    fn npm(&mut self, auth: Auth<'_>, op: &str, params: &str, secs: u64) -> Got {
        let body = format!(r#"<{op} xmlns="{TDS_NS}">{params}</{op}>"#);
        let envelope = self.envelope(Style::Npm, auth, &body, secs);
        self.post(&envelope, secs)
    }

    /// As the administrator, zeep style.
    fn admin(&mut self, op: &str, params: &str) -> Got {
        self.zeep(ADMIN, op, params, 1)
    }
}

const ADMIN: Auth<'static> = Auth::Digest("admin", "admin");
const OPERATOR: Auth<'static> = Auth::Digest("operator", "op-pass");
const USER: Auth<'static> = Auth::Digest("user", "user-pass");

fn http_post(path: &str, host: &str, headers: &[(&str, &str)], body: &str) -> Vec<u8> {
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/soap+xml; charset=utf-8\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (n, v) in headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body.as_bytes());
    bytes
}

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/tests/onvif_device_fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The element at `path` (local names) below `e`.
fn at<'a>(e: &'a Element, path: &[&str]) -> &'a Element {
    let mut cur = e;
    for name in path {
        cur = cur
            .child_by_local_name(name)
            .unwrap_or_else(|| panic!("no <{name}> in <{}>: {cur:?}", cur.name));
    }
    cur
}

fn text(e: &Element, path: &[&str]) -> String {
    at(e, path).text().to_owned()
}

fn texts(e: &Element, name: &str) -> Vec<String> {
    e.children_by_local_name(name)
        .map(|c| c.text().to_owned())
        .collect()
}

// ---------------------------------------------------------------------------
// Home Assistant (onvif-zeep-async) and the npm client

#[test]
fn home_assistant_setup_sequence() {
    let mut d = Dut::new(true);
    // 1. authless_GetSystemDateAndTime: no header at all.
    let r = d
        .post(&fixture("zeep_get_system_date_and_time.xml"), 0)
        .ok();
    let sdt = at(&r.body(), &["SystemDateAndTime"]).clone();
    assert_eq!(text(&sdt, &["DateTimeType"]), "Manual");
    assert_eq!(text(&sdt, &["UTCDateTime", "Time", "Hour"]), "12");
    assert_eq!(text(&sdt, &["UTCDateTime", "Date", "Year"]), "2024");
    assert_eq!(text(&sdt, &["UTCDateTime", "Date", "Month"]), "2");
    assert_eq!(text(&sdt, &["UTCDateTime", "Date", "Day"]), "29");
    assert_eq!(text(&sdt, &["TimeZone", "TZ"]), "UTC0");
    assert_eq!(text(&sdt, &["LocalDateTime", "Time", "Hour"]), "12");

    // 2. GetServices(IncludeCapability=False), signed.
    let body = d.fixture("zeep_get_services.xml", ADMIN, 1);
    let r = d.post(&body, 1).ok();
    let services: Vec<(String, String)> = r
        .body()
        .children_by_local_name("Service")
        .map(|s| (text(s, &["Namespace"]), text(s, &["XAddr"])))
        .collect();
    assert_eq!(
        services,
        [
            (
                TDS_NS.into(),
                "http://192.0.2.1:8000/onvif/device_service".into()
            ),
            (
                "http://www.onvif.org/ver10/media/wsdl".into(),
                "http://192.0.2.1:8000/onvif/media_service".into()
            ),
            (
                "http://www.onvif.org/ver20/media/wsdl".into(),
                "http://192.0.2.1:8000/onvif/media2_service".into()
            ),
            (
                "http://www.onvif.org/ver10/events/wsdl".into(),
                "http://192.0.2.1:8000/onvif/event_service".into()
            ),
        ]
    );
    assert!(!r.r.body.contains("Capabilities"), "{}", r.r.body);
    let device = r.body().children[0].clone();
    assert_eq!(text(&device, &["Version", "Major"]), "23");
    assert_eq!(text(&device, &["Version", "Minor"]), "6");

    // 3. GetDeviceInformation.
    let body = d.fixture("zeep_get_device_information.xml", ADMIN, 2);
    let r = d.post(&body, 2).ok();
    let info = r.body();
    assert_eq!(text(&info, &["Manufacturer"]), "onvif-rtsp-server");
    assert_eq!(text(&info, &["Model"]), "Virtual Camera");
    assert_eq!(text(&info, &["SerialNumber"]), "ORS-0000001");
    assert_eq!(
        info.children
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
        [
            "Manufacturer",
            "Model",
            "FirmwareVersion",
            "SerialNumber",
            "HardwareId"
        ]
    );

    // 4. GetNetworkInterfaces: HA takes the MAC of an enabled interface.
    let body = d.fixture("zeep_get_network_interfaces.xml", ADMIN, 3);
    let r = d.post(&body, 3).ok();
    let nic = r.body().children[0].clone();
    assert_eq!(nic.attr("token"), Some("eth0"));
    assert_eq!(text(&nic, &["Enabled"]), "true");
    assert_eq!(text(&nic, &["Info", "HwAddress"]), "52:54:00:12:34:56");
    assert_eq!(text(&nic, &["Info", "MTU"]), "1500");
    assert_eq!(
        text(&nic, &["IPv4", "Config", "Manual", "Address"]),
        "192.0.2.1"
    );
    assert_eq!(
        text(&nic, &["IPv4", "Config", "LinkLocal", "Address"]),
        "169.254.7.9"
    );
    assert_eq!(text(&nic, &["IPv4", "Config", "DHCP"]), "false");
    assert_eq!(
        text(&nic, &["IPv6", "Config", "Manual", "Address"]),
        "2001:db8::5"
    );

    // 5. GetCapabilities (the fallback, and get_capabilities()).
    let body = d.fixture("zeep_get_capabilities.xml", ADMIN, 4);
    let r = d.post(&body, 4).ok();
    let caps = at(&r.body(), &["Capabilities"]).clone();
    assert_eq!(
        caps.children
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
        ["Device", "Events", "Media"]
    );
    assert_eq!(
        text(&caps, &["Media", "XAddr"]),
        "http://192.0.2.1:8000/onvif/media_service"
    );
    // The same streaming modes the media service itself answers with.
    assert_eq!(
        text(&caps, &["Media", "StreamingCapabilities", "RTP_TCP"]),
        media::RTP_TCP.to_string()
    );
    assert_eq!(
        text(&caps, &["Media", "StreamingCapabilities", "RTP_RTSP_TCP"]),
        "true"
    );
    assert_eq!(text(&caps, &["Events", "WSPullPointSupport"]), "true");

    // 6. SetSystemDateAndTime as HA does it when the clock is off.
    let body = d.fixture("zeep_set_system_date_and_time.xml", ADMIN, 5);
    let r = d.post(&body, 5).ok();
    assert!(r.persisted());
    assert_eq!(d.ctx.state.date_time().time_zone, "CST-8");
    // The device clock now runs an hour behind the host (11:00 at 12:00:05).
    let r = d
        .post(&fixture("zeep_get_system_date_and_time.xml"), 65)
        .ok();
    let sdt = at(&r.body(), &["SystemDateAndTime"]).clone();
    assert_eq!(text(&sdt, &["UTCDateTime", "Time", "Hour"]), "11");
    assert_eq!(text(&sdt, &["UTCDateTime", "Time", "Minute"]), "1");
    assert_eq!(text(&sdt, &["LocalDateTime", "Time", "Hour"]), "19");
    // zeep signs with the device clock it learned, and is let in.
    let body = d.fixture("zeep_get_device_information.xml", ADMIN, 66);
    d.post(&body, 66).ok();
}

#[test]
fn get_system_date_and_time_ignores_credentials() {
    let mut d = Dut::new(true);
    // A wrong password, an unknown user, a token from an hour ago, a bad
    // HTTP Authorization header: the clock is still readable.
    for auth in [
        Auth::Digest("admin", "wrong"),
        Auth::Digest("nobody", "x"),
        Auth::Text("admin", "nope"),
    ] {
        let env = d.envelope(
            Style::Zeep,
            auth,
            &format!(r#"<ns0:GetSystemDateAndTime xmlns:ns0="{TDS_NS}"/>"#),
            0,
        );
        d.post(&env, 0).ok();
    }
    let stale = d.envelope(
        Style::Npm,
        ADMIN,
        &format!(r#"<GetSystemDateAndTime xmlns="{TDS_NS}"/>"#),
        0,
    );
    d.post(&stale, 3600).ok();
    let env = fixture("zeep_get_system_date_and_time.xml");
    d.post_raw(
        DEVICE,
        "192.0.2.1:8000",
        &[("Authorization", "Basic Zm9vOmJhcg==")],
        &env,
        1,
    )
    .ok();
    // The same wrong password on an operation that needs it is refused.
    let r = d.zeep(
        Auth::Digest("admin", "wrong"),
        "GetDeviceInformation",
        "",
        2,
    );
    r.fault(400, "Sender", &["NotAuthorized"]);
    // The other PRE_AUTH operations are open too.
    for op in [
        "GetServices",
        "GetServiceCapabilities",
        "GetCapabilities",
        "GetWsdlUrl",
        "GetHostname",
        "GetEndpointReference",
    ] {
        d.zeep(Auth::None, op, "", 3).ok();
    }
    let r = d.zeep(Auth::None, "GetDeviceInformation", "", 4);
    assert_eq!(r.r.status, 401, "GetDeviceInformation needs credentials");
}

#[test]
fn npm_client_forms() {
    let mut d = Dut::new(true);
    let body = d.fixture("npm_get_system_date_and_time.xml", Auth::None, 0);
    let r = d.post(&body, 0).ok();
    assert_eq!(
        text(
            &r.body(),
            &["SystemDateAndTime", "UTCDateTime", "Date", "Year"]
        ),
        "2024"
    );

    // getServices(true): capabilities of every service.
    let body = d.fixture("npm_get_services.xml", ADMIN, 1);
    let r = d.post(&body, 1).ok();
    let services = r.body();
    let caps: Vec<(String, String)> = services
        .children_by_local_name("Service")
        .map(|s| {
            let c = &at(s, &["Capabilities"]).children[0];
            (c.ns.clone(), c.name.clone())
        })
        .collect();
    assert_eq!(
        caps,
        [
            (TDS_NS.into(), "Capabilities".into()),
            (
                "http://www.onvif.org/ver10/media/wsdl".into(),
                "Capabilities".into()
            ),
            (
                "http://www.onvif.org/ver20/media/wsdl".into(),
                "Capabilities".into()
            ),
            (
                "http://www.onvif.org/ver10/events/wsdl".into(),
                "Capabilities".into()
            ),
        ]
    );
    let media = at(&services.children[1], &["Capabilities", "Capabilities"]).clone();
    assert_eq!(media.attr("SnapshotUri"), Some("true"));
    assert_eq!(
        at(&media, &["StreamingCapabilities"]).attr("RTP_RTSP_TCP"),
        Some("true")
    );
    let events = at(&services.children[3], &["Capabilities", "Capabilities"]).clone();
    let max_pull: u32 = events.attr("MaxPullPoints").unwrap().parse().unwrap();
    assert!(max_pull >= 2);
    assert_eq!(max_pull, capabilities::EVENT_MAX_PULL_POINTS);

    // setSystemDateAndTime with Date before Time and a DST zone.
    let body = d.fixture("npm_set_system_date_and_time.xml", ADMIN, 2);
    assert!(d.post(&body, 2).ok().persisted());
    let r = d.npm(Auth::None, "GetSystemDateAndTime", "", 3).ok();
    let sdt = at(&r.body(), &["SystemDateAndTime"]).clone();
    assert_eq!(text(&sdt, &["DaylightSavings"]), "true");
    assert_eq!(text(&sdt, &["TimeZone", "TZ"]), "EST5EDT,M3.2.0,M11.1.0");
    assert_eq!(text(&sdt, &["UTCDateTime", "Date", "Month"]), "7");
    assert_eq!(text(&sdt, &["UTCDateTime", "Time", "Hour"]), "16");
    // EDT in July: UTC-4.
    assert_eq!(text(&sdt, &["LocalDateTime", "Time", "Hour"]), "12");
    assert_eq!(text(&sdt, &["LocalDateTime", "Time", "Minute"]), "30");

    // With the DaylightSavings flag cleared, the zone's DST part is ignored.
    let params = "<DateTimeType>Manual</DateTimeType><DaylightSavings>false</DaylightSavings><TimeZone><TZ xmlns=\"http://www.onvif.org/ver10/schema\">EST5EDT,M3.2.0,M11.1.0</TZ></TimeZone>";
    d.npm(ADMIN, "SetSystemDateAndTime", params, 3).ok();
    let r = d.npm(Auth::None, "GetSystemDateAndTime", "", 3).ok();
    let sdt = at(&r.body(), &["SystemDateAndTime"]).clone();
    assert_eq!(text(&sdt, &["DaylightSavings"]), "false");
    assert_eq!(text(&sdt, &["UTCDateTime", "Time", "Hour"]), "16");
    assert_eq!(text(&sdt, &["LocalDateTime", "Time", "Hour"]), "11");

    // createUsers with schema-namespaced children; the new user logs in.
    let body = d.fixture("npm_create_users.xml", ADMIN, 4);
    assert!(d.post(&body, 4).ok().persisted());
    d.npm(
        Auth::Digest("viewer", "viewer-pass"),
        "GetDeviceInformation",
        "",
        5,
    )
    .ok();

    // setScopes, setNTP, systemReboot.
    let body = d.fixture("npm_set_scopes.xml", ADMIN, 6);
    d.post(&body, 6).ok();
    let body = d.fixture("odm_get_scopes.xml", ADMIN, 7);
    let r = d.post(&body, 7).ok();
    let configurable: Vec<String> = r
        .body()
        .children
        .iter()
        .filter(|s| text(s, &["ScopeDef"]) == "Configurable")
        .map(|s| text(s, &["ScopeItem"]))
        .collect();
    assert_eq!(
        configurable,
        [
            "onvif://www.onvif.org/location/city/Berlin",
            "onvif://www.onvif.org/name/Front-Door"
        ]
    );
    let body = d.fixture("npm_set_ntp.xml", ADMIN, 8);
    d.post(&body, 8).ok();
    let r = d.npm(ADMIN, "GetNTP", "", 9).ok();
    let ntp = at(&r.body(), &["NTPInformation"]).clone();
    let manual: Vec<(String, String)> = ntp
        .children_by_local_name("NTPManual")
        .map(|h| (text(h, &["Type"]), h.children[1].text().to_owned()))
        .collect();
    assert_eq!(
        manual,
        [
            ("IPv4".to_owned(), "192.0.2.123".to_owned()),
            ("DNS".to_owned(), "time.example.org".to_owned())
        ]
    );
    let body = d.fixture("npm_system_reboot.xml", ADMIN, 10);
    let r = d.post(&body, 10).ok();
    assert!(!text(&r.body(), &["Message"]).is_empty());
    assert_eq!(r.effects, [Effect::Reboot]);
}

#[test]
fn soap11_and_password_text_work() {
    let mut d = Dut::new(true);
    let security = d.security(Style::Npm, Auth::Text("admin", "admin"), 0);
    let env = format!(
        r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header>{}</s:Header><s:Body><GetHostname xmlns="{TDS_NS}"/></s:Body></s:Envelope>"#,
        security.replace("s:mustUnderstand=\"1\" ", "")
    );
    let r = d.post(&env, 0);
    assert_eq!(r.r.status, 200, "{}", r.r.body);
    assert!(r.r.header("Content-Type").unwrap().starts_with("text/xml"));
    assert_eq!(
        text(&r.body(), &["HostnameInformation", "Name"]),
        "testhost"
    );
}

// ---------------------------------------------------------------------------
// Capabilities

#[test]
fn xaddrs_follow_the_host_header() {
    let mut d = Dut::new(false);
    let env = d.envelope(
        Style::Zeep,
        Auth::None,
        &format!(r#"<ns0:GetServices xmlns:ns0="{TDS_NS}"><ns0:IncludeCapability>false</ns0:IncludeCapability></ns0:GetServices>"#),
        0,
    );
    let r = d.post_raw(DEVICE, "203.0.113.7:18000", &[], &env, 0).ok();
    for service in r.body().children_by_local_name("Service") {
        assert!(
            text(service, &["XAddr"]).starts_with("http://203.0.113.7:18000/onvif/"),
            "{service:?}"
        );
    }
    let env = d.envelope(
        Style::Npm,
        Auth::None,
        &format!(r#"<GetCapabilities xmlns="{TDS_NS}"><Category>All</Category></GetCapabilities>"#),
        0,
    );
    let r = d.post_raw(DEVICE, "[2001:db8::7]:8080", &[], &env, 0).ok();
    assert_eq!(
        text(&r.body(), &["Capabilities", "Device", "XAddr"]),
        "http://[2001:db8::7]:8080/onvif/device_service"
    );
    assert_eq!(
        text(&r.body(), &["Capabilities", "Events", "XAddr"]),
        "http://[2001:db8::7]:8080/onvif/event_service"
    );
}

#[test]
fn capability_categories() {
    let mut d = Dut::new(false);
    let one = |d: &mut Dut, cat: &str| {
        d.zeep(
            Auth::None,
            "GetCapabilities",
            &format!("<ns0:Category>{cat}</ns0:Category>"),
            0,
        )
    };
    for (category, expect) in [
        ("Device", "Device"),
        ("Media", "Media"),
        ("Events", "Events"),
    ] {
        let r = one(&mut d, category).ok();
        let caps = at(&r.body(), &["Capabilities"]).clone();
        assert_eq!(
            caps.children
                .iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>(),
            [expect]
        );
    }
    // No category at all: everything.
    let r = d.zeep(Auth::None, "GetCapabilities", "", 0).ok();
    assert_eq!(at(&r.body(), &["Capabilities"]).children.len(), 3);
    for missing in ["PTZ", "Imaging", "Analytics"] {
        one(&mut d, missing).fault(500, "Receiver", &["ActionNotSupported", "NoSuchService"]);
    }
    one(&mut d, "Everything").fault(400, "Sender", &["InvalidArgVal"]);

    let r = d.zeep(Auth::None, "GetServiceCapabilities", "", 0).ok();
    let caps = at(&r.body(), &["Capabilities"]).clone();
    let security = at(&caps, &["Security"]);
    assert_eq!(security.attr("UsernameToken"), Some("true"));
    assert_eq!(security.attr("HttpDigest"), Some("true"));
    assert_eq!(security.attr("MaxUsers"), Some("32"));
    assert_eq!(at(&caps, &["System"]).attr("SystemLogging"), Some("true"));
    assert_eq!(at(&caps, &["Network"]).attr("NTP"), Some("4"));
    // The same element GetServices embeds.
    let r = d
        .zeep(
            Auth::None,
            "GetServices",
            "<ns0:IncludeCapability>true</ns0:IncludeCapability>",
            0,
        )
        .ok();
    let embedded = at(&r.body().children[0], &["Capabilities", "Capabilities"]).clone();
    assert_eq!(embedded, caps);
    // A bad IncludeCapability is a bad argument.
    d.zeep(
        Auth::None,
        "GetServices",
        "<ns0:IncludeCapability>maybe</ns0:IncludeCapability>",
        0,
    )
    .fault(400, "Sender", &["InvalidArgVal"]);
}

// ---------------------------------------------------------------------------
// Date and time

#[test]
fn date_and_time_validation_and_persistence() {
    let mut d = Dut::new(false);
    let set = |d: &mut Dut, params: &str| d.zeep(Auth::None, "SetSystemDateAndTime", params, 1);
    set(&mut d, "<ns0:DateTimeType>Manual</ns0:DateTimeType><ns0:DaylightSavings>false</ns0:DaylightSavings><ns0:TimeZone><ns1:TZ>Europe/Berlin</ns1:TZ></ns0:TimeZone>")
        .fault(400, "Sender", &["InvalidArgVal", "InvalidTimeZone"]);
    set(&mut d, "<ns0:DateTimeType>Manual</ns0:DateTimeType><ns0:DaylightSavings>false</ns0:DaylightSavings><ns0:UTCDateTime><ns1:Time><ns1:Hour>10</ns1:Hour><ns1:Minute>0</ns1:Minute><ns1:Second>0</ns1:Second></ns1:Time><ns1:Date><ns1:Year>2023</ns1:Year><ns1:Month>2</ns1:Month><ns1:Day>29</ns1:Day></ns1:Date></ns0:UTCDateTime>")
        .fault(400, "Sender", &["InvalidArgVal", "InvalidDateTime"]);
    set(&mut d, "<ns0:DateTimeType>Manual</ns0:DateTimeType><ns0:DaylightSavings>false</ns0:DaylightSavings><ns0:UTCDateTime><ns1:Time><ns1:Hour>-1</ns1:Hour><ns1:Minute>0</ns1:Minute><ns1:Second>0</ns1:Second></ns1:Time><ns1:Date><ns1:Year>2024</ns1:Year><ns1:Month>2</ns1:Month><ns1:Day>29</ns1:Day></ns1:Date></ns0:UTCDateTime>")
        .fault(400, "Sender", &["InvalidArgVal", "InvalidDateTime"]);
    set(&mut d, "<ns0:DateTimeType>Sundial</ns0:DateTimeType><ns0:DaylightSavings>false</ns0:DaylightSavings>")
        .fault(400, "Sender", &["InvalidArgVal"]);
    set(&mut d, "<ns0:DaylightSavings>false</ns0:DaylightSavings>").fault(
        400,
        "Sender",
        &["InvalidArgs"],
    );
    // NTP needs an NTP server.
    d.zeep(
        Auth::None,
        "SetNTP",
        "<ns0:FromDHCP>false</ns0:FromDHCP>",
        1,
    )
    .ok();
    set(
        &mut d,
        "<ns0:DateTimeType>NTP</ns0:DateTimeType><ns0:DaylightSavings>false</ns0:DaylightSavings>",
    )
    .fault(400, "Sender", &["InvalidArgVal", "NtpServerUndefined"]);
    d.zeep(Auth::None, "SetNTP", "<ns0:FromDHCP>true</ns0:FromDHCP>", 1)
        .ok();
    let r = set(&mut d, "<ns0:DateTimeType>NTP</ns0:DateTimeType><ns0:DaylightSavings>true</ns0:DaylightSavings><ns0:TimeZone><ns1:TZ>CET-1CEST,M3.5.0,M10.5.0/3</ns1:TZ></ns0:TimeZone>").ok();
    assert!(r.persisted());
    assert_eq!(d.ctx.state.date_time().kind, DateTimeType::Ntp);
    // With the clock on NTP, the last NTP source cannot go.
    d.zeep(
        Auth::None,
        "SetNTP",
        "<ns0:FromDHCP>false</ns0:FromDHCP>",
        1,
    )
    .fault(400, "Sender", &["InvalidArgVal", "TimeSyncedToNtp"]);
    let r = d.zeep(Auth::None, "GetSystemDateAndTime", "", 1).ok();
    let sdt = at(&r.body(), &["SystemDateAndTime"]).clone();
    assert_eq!(text(&sdt, &["DateTimeType"]), "NTP");
    assert_eq!(text(&sdt, &["LocalDateTime", "Time", "Hour"]), "13");
    // Persisted in onvifrun.cfg and read back.
    let xml = d.ctx.state.to_runtime_xml();
    let (back, _) = DeviceState::from_runtime_xml(&xml, "onvifrun.cfg").unwrap();
    assert_eq!(back.date_time(), d.ctx.state.date_time());
    assert!(back.network().ntp.from_dhcp);
}

// ---------------------------------------------------------------------------
// Scopes and discovery

#[test]
fn scopes_fixed_and_configurable() {
    let mut d = Dut::new(false);
    let r = d.zeep(Auth::None, "GetScopes", "", 0).ok();
    let all = r.body();
    assert!(
        all.children
            .iter()
            .all(|s| text(s, &["ScopeDef"]) == "Fixed")
    );
    let fixed: Vec<String> = all
        .children
        .iter()
        .map(|s| text(s, &["ScopeItem"]))
        .collect();
    assert!(fixed.contains(&"onvif://www.onvif.org/Profile/Streaming".to_owned()));

    let add = |d: &mut Dut, items: &[&str]| {
        let params: String = items
            .iter()
            .map(|i| format!("<ns0:ScopeItem>{i}</ns0:ScopeItem>"))
            .collect();
        d.zeep(Auth::None, "AddScopes", &params, 0)
    };
    assert!(
        add(&mut d, &["onvif://www.onvif.org/location/room/lab"])
            .ok()
            .persisted()
    );
    add(&mut d, &["onvif://www.onvif.org/location/room/lab"]).fault(
        400,
        "Sender",
        &["OperationProhibited", "ScopeOverwrite"],
    );
    add(&mut d, &["not a uri"]).fault(400, "Sender", &["InvalidArgVal"]);
    let many: Vec<String> = (0..80).map(|i| format!("urn:x:{i}")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    add(&mut d, &many).fault(500, "Receiver", &["Action", "TooManyScopes"]);

    let remove = |d: &mut Dut, item: &str| {
        d.zeep(
            Auth::None,
            "RemoveScopes",
            &format!("<ns0:ScopeItem>{item}</ns0:ScopeItem>"),
            0,
        )
    };
    remove(&mut d, "onvif://www.onvif.org/Profile/Streaming").fault(
        400,
        "Sender",
        &["OperationProhibited", "FixedScope"],
    );
    remove(&mut d, "urn:never").fault(400, "Sender", &["InvalidArgVal", "NoScope"]);
    let r = remove(&mut d, "onvif://www.onvif.org/location/room/lab").ok();
    assert!(r.persisted());
    assert_eq!(
        texts(&r.body(), "ScopeItem"),
        ["onvif://www.onvif.org/location/room/lab"]
    );

    // SetScopes replaces only the configurable ones.
    add(&mut d, &["urn:a"]).ok();
    d.zeep(
        Auth::None,
        "SetScopes",
        "<ns0:Scopes>urn:b</ns0:Scopes><ns0:Scopes>urn:c</ns0:Scopes>",
        0,
    )
    .ok();
    let configurable: Vec<&str> = d
        .ctx
        .state
        .scopes()
        .iter()
        .filter(|s| !s.fixed)
        .map(|s| s.uri.as_str())
        .collect();
    assert_eq!(configurable, ["urn:b", "urn:c"]);
    assert_eq!(
        d.ctx.state.scopes().iter().filter(|s| s.fixed).count(),
        fixed.len()
    );

    let xml = d.ctx.state.to_runtime_xml();
    let (back, _) = DeviceState::from_runtime_xml(&xml, "onvifrun.cfg").unwrap();
    assert_eq!(back.scopes(), d.ctx.state.scopes());

    // Discovery mode.
    let r = d.zeep(Auth::None, "GetDiscoveryMode", "", 0).ok();
    assert_eq!(text(&r.body(), &["DiscoveryMode"]), "Discoverable");
    let r = d
        .zeep(
            Auth::None,
            "SetDiscoveryMode",
            "<ns0:DiscoveryMode>NonDiscoverable</ns0:DiscoveryMode>",
            0,
        )
        .ok();
    assert!(r.persisted());
    let r = d.zeep(Auth::None, "GetDiscoveryMode", "", 0).ok();
    assert_eq!(text(&r.body(), &["DiscoveryMode"]), "NonDiscoverable");
    d.zeep(
        Auth::None,
        "SetDiscoveryMode",
        "<ns0:DiscoveryMode>Hidden</ns0:DiscoveryMode>",
        0,
    )
    .fault(400, "Sender", &["InvalidArgVal"]);
}

// ---------------------------------------------------------------------------
// Users and access classes

#[test]
fn users_and_their_faults() {
    let mut d = Dut::new(true);
    let r = d.admin("GetUsers", "").ok();
    assert!(!r.r.body.contains("Password"), "{}", r.r.body);
    assert!(!r.r.body.contains("admin</tt:Password"));
    let users: Vec<(String, String)> = r
        .body()
        .children
        .iter()
        .map(|u| (text(u, &["Username"]), text(u, &["UserLevel"])))
        .collect();
    assert_eq!(
        users,
        [
            ("admin".to_owned(), "Administrator".to_owned()),
            ("operator".to_owned(), "Operator".to_owned()),
            ("user".to_owned(), "User".to_owned())
        ]
    );
    let user = |name: &str, password: &str, level: &str| {
        format!(
            "<ns0:User><ns1:Username>{name}</ns1:Username><ns1:Password>{password}</ns1:Password><ns1:UserLevel>{level}</ns1:UserLevel></ns0:User>"
        )
    };
    let r = d
        .admin("CreateUsers", &user("alice", "alice-pw", "Operator"))
        .ok();
    assert!(r.persisted());
    d.admin("CreateUsers", &user("alice", "x", "User")).fault(
        400,
        "Sender",
        &["OperationProhibited", "UsernameClash"],
    );
    d.admin("CreateUsers", &user("anon", "x", "Anonymous"))
        .fault(
            400,
            "Sender",
            &["OperationProhibited", "AnonymousNotAllowed"],
        );
    d.admin("CreateUsers", &user(&"u".repeat(40), "x", "User"))
        .fault(400, "Sender", &["OperationProhibited", "UsernameTooLong"]);
    d.admin("CreateUsers", &user("bob", &"p".repeat(80), "User"))
        .fault(400, "Sender", &["OperationProhibited", "PasswordTooLong"]);
    d.admin("CreateUsers", &user("bob", "x", "Extended"))
        .fault(400, "Sender", &["InvalidArgVal"]);
    let crowd: String = (0..40)
        .map(|i| user(&format!("u{i}"), "pw", "User"))
        .collect();
    d.admin("CreateUsers", &crowd)
        .fault(500, "Receiver", &["Action", "TooManyUsers"]);
    // All or nothing: nothing of the refused batches was created.
    assert_eq!(d.ctx.state.users().len(), 4);

    // The new user logs in, with the access of an Operator.
    d.zeep(
        Auth::Digest("alice", "alice-pw"),
        "GetNetworkInterfaces",
        "",
        2,
    )
    .ok();
    d.zeep(Auth::Digest("alice", "alice-pw"), "GetUsers", "", 2)
        .fault(400, "Sender", &["NotAuthorized"]);
    // SetUser: new password and level.
    let r = d.admin("SetUser", &user("alice", "new-pw", "User")).ok();
    assert!(r.persisted());
    d.zeep(
        Auth::Digest("alice", "alice-pw"),
        "GetDeviceInformation",
        "",
        3,
    )
    .fault(400, "Sender", &["NotAuthorized"]);
    d.zeep(
        Auth::Digest("alice", "new-pw"),
        "GetDeviceInformation",
        "",
        3,
    )
    .ok();
    d.admin("SetUser", &user("ghost", "x", "User")).fault(
        400,
        "Sender",
        &["InvalidArgVal", "UsernameMissing"],
    );
    d.admin("SetUser", &user("alice", "x", "Anonymous")).fault(
        400,
        "Sender",
        &["OperationProhibited", "AnonymousNotAllowed"],
    );
    // DeleteUsers.
    d.admin("DeleteUsers", "<ns0:Username>admin</ns0:Username>")
        .fault(400, "Sender", &["InvalidArgVal", "FixedUser"]);
    d.admin(
        "DeleteUsers",
        "<ns0:Username>alice</ns0:Username><ns0:Username>ghost</ns0:Username>",
    )
    .fault(400, "Sender", &["InvalidArgVal", "UsernameMissing"]);
    assert!(d.ctx.state.user("alice").is_some());
    // Users survive a restart, passwords included.
    let xml = d.ctx.state.to_runtime_xml();
    let (back, _) = DeviceState::from_runtime_xml(&xml, "onvifrun.cfg").unwrap();
    assert_eq!(back.users(), d.ctx.state.users());
    assert_eq!(back.user("alice").unwrap().password, "new-pw");
    assert!(
        d.admin("DeleteUsers", "<ns0:Username>alice</ns0:Username>")
            .ok()
            .persisted()
    );
    assert!(d.ctx.state.user("alice").is_none());
    d.zeep(
        Auth::Digest("alice", "new-pw"),
        "GetDeviceInformation",
        "",
        4,
    )
    .fault(400, "Sender", &["NotAuthorized"]);
}

#[test]
fn access_classes_follow_the_default_policy() {
    let mut d = Dut::new(true);
    // READ_SYSTEM: every user level.
    for who in [ADMIN, OPERATOR, USER] {
        d.zeep(who, "GetDeviceInformation", "", 0).ok();
        d.zeep(who, "GetNetworkInterfaces", "", 0).ok();
        d.zeep(who, "GetScopes", "", 0).ok();
        // READ_MEDIA.
        d.zeep(who, "GetRelayOutputs", "", 0).ok();
    }
    // READ_SYSTEM_SECRET: administrators only.
    for op in ["GetUsers", "GetSystemSupportInformation"] {
        d.zeep(OPERATOR, op, "", 0)
            .fault(400, "Sender", &["NotAuthorized"]);
        d.zeep(USER, op, "", 0)
            .fault(400, "Sender", &["NotAuthorized"]);
    }
    d.zeep(
        OPERATOR,
        "GetSystemLog",
        "<ns0:LogType>System</ns0:LogType>",
        0,
    )
    .fault(400, "Sender", &["NotAuthorized"]);
    // WRITE_SYSTEM and UNRECOVERABLE: administrators only; nothing changes.
    d.zeep(OPERATOR, "SetHostname", "<ns0:Name>x</ns0:Name>", 0)
        .fault(400, "Sender", &["NotAuthorized"]);
    d.zeep(OPERATOR, "SystemReboot", "", 0)
        .fault(400, "Sender", &["NotAuthorized"]);
    d.zeep(
        USER,
        "SetSystemFactoryDefault",
        "<ns0:FactoryDefault>Hard</ns0:FactoryDefault>",
        0,
    )
    .fault(400, "Sender", &["NotAuthorized"]);
    assert!(d.ctx.state.network().hostname.name.is_none());
    // ACTUATE: operators may switch relays, users may not.
    let relay = "<ns0:RelayOutputToken>RelayOutputToken_1</ns0:RelayOutputToken><ns0:LogicalState>active</ns0:LogicalState>";
    d.zeep(USER, "SetRelayOutputState", relay, 0)
        .fault(400, "Sender", &["NotAuthorized"]);
    d.zeep(OPERATOR, "SetRelayOutputState", relay, 0).ok();
    // No credentials at all: a Digest challenge.
    let r = d.zeep(Auth::None, "GetScopes", "", 0);
    assert_eq!(r.r.status, 401);
    assert!(
        r.r.header("WWW-Authenticate")
            .unwrap()
            .starts_with("Digest ")
    );
}

// ---------------------------------------------------------------------------
// Network settings

#[test]
fn hostname_dns_ntp_protocols_gateway() {
    let mut d = Dut::new(false);
    let a = Auth::None;
    // Host name.
    assert!(
        d.zeep(a, "SetHostname", "<ns0:Name>cam-lobby</ns0:Name>", 0)
            .ok()
            .persisted()
    );
    let r = d.zeep(a, "GetHostname", "", 0).ok();
    assert_eq!(
        text(&r.body(), &["HostnameInformation", "Name"]),
        "cam-lobby"
    );
    assert_eq!(
        text(&r.body(), &["HostnameInformation", "FromDHCP"]),
        "false"
    );
    for bad in ["Onvif_test", "-lead", "a..b", "sp ace"] {
        d.zeep(a, "SetHostname", &format!("<ns0:Name>{bad}</ns0:Name>"), 0)
            .fault(400, "Sender", &["InvalidArgVal", "InvalidHostname"]);
    }
    let r = d
        .zeep(
            a,
            "SetHostnameFromDHCP",
            "<ns0:FromDHCP>true</ns0:FromDHCP>",
            0,
        )
        .ok();
    assert_eq!(text(&r.body(), &["RebootNeeded"]), "false");
    assert!(d.ctx.state.network().hostname.from_dhcp);

    // DNS.
    let r = d.zeep(a, "SetDNS", "<ns0:FromDHCP>false</ns0:FromDHCP><ns0:SearchDomain>example.org</ns0:SearchDomain><ns0:DNSManual><ns1:Type>IPv4</ns1:Type><ns1:IPv4Address>192.0.2.53</ns1:IPv4Address></ns0:DNSManual><ns0:DNSManual><ns1:Type>IPv6</ns1:Type><ns1:IPv6Address>2001:db8::53</ns1:IPv6Address></ns0:DNSManual>", 0).ok();
    assert!(r.persisted());
    let r = d.zeep(a, "GetDNS", "", 0).ok();
    let dns = at(&r.body(), &["DNSInformation"]).clone();
    assert_eq!(text(&dns, &["FromDHCP"]), "false");
    assert_eq!(texts(&dns, "SearchDomain"), ["example.org"]);
    let servers: Vec<String> = dns
        .children_by_local_name("DNSManual")
        .map(|s| s.children[1].text().to_owned())
        .collect();
    assert_eq!(servers, ["192.0.2.53", "2001:db8::53"]);
    d.zeep(a, "SetDNS", "<ns0:FromDHCP>false</ns0:FromDHCP><ns0:DNSManual><ns1:Type>IPv4</ns1:Type><ns1:IPv4Address>300.1.1.1</ns1:IPv4Address></ns0:DNSManual>", 0)
        .fault(400, "Sender", &["InvalidArgVal", "InvalidIPv4Address"]);
    d.zeep(a, "SetDNS", "<ns0:FromDHCP>false</ns0:FromDHCP><ns0:DNSManual><ns1:Type>IPv6</ns1:Type><ns1:IPv6Address>2001:zz::1</ns1:IPv6Address></ns0:DNSManual>", 0)
        .fault(400, "Sender", &["InvalidArgVal", "InvalidIPv6Address"]);

    // NTP.
    d.zeep(a, "SetNTP", "<ns0:FromDHCP>false</ns0:FromDHCP><ns0:NTPManual><ns1:Type>DNS</ns1:Type><ns1:DNSname>bad_name.example</ns1:DNSname></ns0:NTPManual>", 0)
        .fault(400, "Sender", &["InvalidArgVal", "InvalidDnsName"]);
    let five: String = (1..=5)
        .map(|i| format!("<ns0:NTPManual><ns1:Type>IPv4</ns1:Type><ns1:IPv4Address>192.0.2.{i}</ns1:IPv4Address></ns0:NTPManual>"))
        .collect();
    d.zeep(
        a,
        "SetNTP",
        &format!("<ns0:FromDHCP>false</ns0:FromDHCP>{five}"),
        0,
    )
    .fault(400, "Sender", &["InvalidArgVal"]);
    d.zeep(a, "SetNTP", "<ns0:FromDHCP>false</ns0:FromDHCP><ns0:NTPManual><ns1:Type>IPv6</ns1:Type><ns1:IPv6Address>2001:db8::123</ns1:IPv6Address></ns0:NTPManual>", 0)
        .ok();
    let r = d.zeep(a, "GetNTP", "", 0).ok();
    assert_eq!(
        text(&r.body(), &["NTPInformation", "NTPManual", "IPv6Address"]),
        "2001:db8::123"
    );

    // Protocols (stored, not applied).
    let r = d.zeep(a, "GetNetworkProtocols", "", 0).ok();
    let protocols: Vec<(String, String, Vec<String>)> = r
        .body()
        .children
        .iter()
        .map(|p| (text(p, &["Name"]), text(p, &["Enabled"]), texts(p, "Port")))
        .collect();
    assert_eq!(
        protocols,
        [
            (
                "HTTP".to_owned(),
                "true".to_owned(),
                vec!["8000".to_owned()]
            ),
            (
                "HTTPS".to_owned(),
                "false".to_owned(),
                vec!["8443".to_owned()]
            ),
            (
                "RTSP".to_owned(),
                "true".to_owned(),
                vec!["8554".to_owned()]
            ),
        ]
    );
    let proto = |name: &str, enabled: bool, port: u32| {
        format!(
            "<ns0:NetworkProtocols><ns1:Name>{name}</ns1:Name><ns1:Enabled>{enabled}</ns1:Enabled><ns1:Port>{port}</ns1:Port></ns0:NetworkProtocols>"
        )
    };
    assert!(
        d.zeep(a, "SetNetworkProtocols", &proto("HTTP", true, 8080), 0)
            .ok()
            .persisted()
    );
    let http = d
        .ctx
        .state
        .network()
        .protocols
        .iter()
        .find(|p| p.kind == ProtocolKind::Http)
        .unwrap();
    assert_eq!(http.ports, [8080]);
    d.zeep(a, "SetNetworkProtocols", &proto("RTSP", true, 8080), 0)
        .fault(400, "Sender", &["InvalidArgVal", "PortAlreadyInUse"]);
    d.zeep(a, "SetNetworkProtocols", &proto("FTP", true, 21), 0)
        .fault(400, "Sender", &["InvalidArgVal", "ServiceNotSupported"]);
    d.zeep(a, "SetNetworkProtocols", &proto("HTTP", true, 70000), 0)
        .fault(400, "Sender", &["InvalidArgVal"]);
    d.zeep(a, "SetNetworkProtocols", &proto("HTTPS", true, 8443), 0)
        .fault(
            500,
            "Receiver",
            &["ActionNotSupported", "EnablingTlsFailed"],
        );

    // Default gateway.
    let r = d.zeep(a, "GetNetworkDefaultGateway", "", 0).ok();
    assert!(at(&r.body(), &["NetworkGateway"]).children.is_empty());
    d.zeep(a, "SetNetworkDefaultGateway", "<ns0:IPv4Address>192.0.2.254</ns0:IPv4Address><ns0:IPv6Address>2001:db8::1</ns0:IPv6Address>", 0)
        .ok();
    let r = d.zeep(a, "GetNetworkDefaultGateway", "", 0).ok();
    let gw = at(&r.body(), &["NetworkGateway"]).clone();
    assert_eq!(texts(&gw, "IPv4Address"), ["192.0.2.254"]);
    assert_eq!(texts(&gw, "IPv6Address"), ["2001:db8::1"]);
    d.zeep(
        a,
        "SetNetworkDefaultGateway",
        "<ns0:IPv4Address>gateway</ns0:IPv4Address>",
        0,
    )
    .fault(400, "Sender", &["InvalidArgVal", "InvalidIPv4Address"]);
    d.zeep(
        a,
        "SetNetworkDefaultGateway",
        "<ns0:IPv4Address>224.0.0.1</ns0:IPv4Address>",
        0,
    )
    .fault(400, "Sender", &["InvalidArgVal", "InvalidGatewayAddress"]);

    // Everything above survives a restart.
    let xml = d.ctx.state.to_runtime_xml();
    let (back, _) = DeviceState::from_runtime_xml(&xml, "onvifrun.cfg").unwrap();
    assert_eq!(back.network(), d.ctx.state.network());
}

#[test]
fn interfaces_and_zero_configuration() {
    let mut d = Dut::new(true);
    let body = d.fixture("odm_set_network_interfaces.xml", ADMIN, 0);
    let r = d.post(&body, 0).ok();
    assert_eq!(text(&r.body(), &["RebootNeeded"]), "false");
    assert!(r.persisted());
    let r = d.admin("GetNetworkInterfaces", "").ok();
    let nic = r.body().children[0].clone();
    assert_eq!(text(&nic, &["Info", "MTU"]), "1400");
    assert_eq!(texts(at(&nic, &["IPv4", "Config"]), "Manual").len(), 1);
    assert_eq!(
        text(&nic, &["IPv4", "Config", "Manual", "Address"]),
        "192.0.2.77"
    );
    // DHCP on: the host address is reported as from DHCP.
    d.admin("SetNetworkInterfaces", "<ns0:InterfaceToken>eth0</ns0:InterfaceToken><ns0:NetworkInterface><ns1:IPv4><ns1:DHCP>true</ns1:DHCP></ns1:IPv4></ns0:NetworkInterface>")
        .ok();
    let r = d.admin("GetNetworkInterfaces", "").ok();
    let config = at(&r.body().children[0], &["IPv4", "Config"]).clone();
    assert_eq!(text(&config, &["DHCP"]), "true");
    assert_eq!(text(&config, &["FromDHCP", "Address"]), "192.0.2.1");
    assert!(config.child_by_local_name("Manual").is_none());
    // Faults.
    d.admin("SetNetworkInterfaces", "<ns0:InterfaceToken>wlan9</ns0:InterfaceToken><ns0:NetworkInterface><ns1:Enabled>true</ns1:Enabled></ns0:NetworkInterface>")
        .fault(400, "Sender", &["InvalidArgVal", "InvalidNetworkInterface"]);
    d.admin("SetNetworkInterfaces", "<ns0:InterfaceToken>eth0</ns0:InterfaceToken><ns0:NetworkInterface><ns1:MTU>20</ns1:MTU></ns0:NetworkInterface>")
        .fault(400, "Sender", &["InvalidArgVal", "InvalidMtuValue"]);
    d.admin("SetNetworkInterfaces", "<ns0:InterfaceToken>eth0</ns0:InterfaceToken><ns0:NetworkInterface><ns1:IPv4><ns1:Manual><ns1:Address>10.0.0.300</ns1:Address><ns1:PrefixLength>8</ns1:PrefixLength></ns1:Manual></ns1:IPv4></ns0:NetworkInterface>")
        .fault(400, "Sender", &["InvalidArgVal", "InvalidIPv4Address"]);
    d.admin("SetNetworkInterfaces", "<ns0:InterfaceToken>eth0</ns0:InterfaceToken><ns0:NetworkInterface><ns1:IPv4><ns1:Manual><ns1:Address>10.0.0.3</ns1:Address><ns1:PrefixLength>33</ns1:PrefixLength></ns1:Manual></ns1:IPv4></ns0:NetworkInterface>")
        .fault(400, "Sender", &["InvalidArgVal", "InvalidIPv4Address"]);

    // Zero configuration.
    let r = d.admin("GetZeroConfiguration", "").ok();
    let zc = at(&r.body(), &["ZeroConfiguration"]).clone();
    assert_eq!(text(&zc, &["InterfaceToken"]), "eth0");
    assert_eq!(text(&zc, &["Enabled"]), "false");
    d.admin(
        "SetZeroConfiguration",
        "<ns0:InterfaceToken>eth0</ns0:InterfaceToken><ns0:Enabled>true</ns0:Enabled>",
    )
    .ok();
    let r = d.admin("GetZeroConfiguration", "").ok();
    let zc = at(&r.body(), &["ZeroConfiguration"]).clone();
    assert_eq!(text(&zc, &["Enabled"]), "true");
    assert_eq!(texts(&zc, "Addresses"), ["169.254.7.9"]);
    d.admin(
        "SetZeroConfiguration",
        "<ns0:InterfaceToken>eth7</ns0:InterfaceToken><ns0:Enabled>true</ns0:Enabled>",
    )
    .fault(400, "Sender", &["InvalidArgVal", "InvalidNetworkInterface"]);
    // Stored settings survive a restart (onvifrun.cfg).
    let xml = d.ctx.state.to_runtime_xml();
    let (back, _) = DeviceState::from_runtime_xml(&xml, "onvifrun.cfg").unwrap();
    assert_eq!(back.network(), d.ctx.state.network());
}

#[test]
fn a_host_without_interface_facts_still_reports_one() {
    let mut d = Dut::new(false);
    d.ctx.host = HostInfo::default();
    let r = d.zeep(Auth::None, "GetNetworkInterfaces", "", 0).ok();
    let nic = r.body().children[0].clone();
    assert_eq!(nic.attr("token"), Some("eth0"));
    let mac = text(&nic, &["Info", "HwAddress"]);
    assert_eq!(mac.len(), 17);
    assert_ne!(mac, "00:00:00:00:00:00");
    // Stable: the same device reports the same MAC.
    let again = d.zeep(Auth::None, "GetNetworkInterfaces", "", 1).ok();
    assert_eq!(text(&again.body().children[0], &["Info", "HwAddress"]), mac);
    assert_eq!(
        text(&nic, &["IPv4", "Config", "Manual", "Address"]),
        "192.0.2.1"
    );
    let r = d.zeep(Auth::None, "GetHostname", "", 0).ok();
    assert_eq!(text(&r.body(), &["HostnameInformation", "Name"]), "");
}

// ---------------------------------------------------------------------------
// System

#[test]
fn reboot_factory_default_logs_and_endpoint_reference() {
    let mut d = Dut::new(true);
    let r = d.admin("SystemReboot", "").ok();
    assert_eq!(r.effects, [Effect::Reboot]);
    assert!(!text(&r.body(), &["Message"]).is_empty());

    // Factory default: the effect, and (carried out as the server does)
    // the state of onvif.cfg with the endpoint reference kept.
    let epr = d.ctx.state.endpoint_reference().to_owned();
    d.admin("SetHostname", "<ns0:Name>renamed</ns0:Name>").ok();
    d.admin("AddScopes", "<ns0:ScopeItem>urn:tmp</ns0:ScopeItem>")
        .ok();
    let r = d
        .admin(
            "SetSystemFactoryDefault",
            "<ns0:FactoryDefault>Soft</ns0:FactoryDefault>",
        )
        .ok();
    assert_eq!(r.effects, [Effect::FactoryDefault { hard: false }]);
    assert!(d.ctx.state.scopes().iter().all(|s| s.uri != "urn:tmp"));
    // Soft keeps the network settings.
    assert_eq!(
        d.ctx.state.network().hostname.name.as_deref(),
        Some("renamed")
    );
    let r = d
        .admin(
            "SetSystemFactoryDefault",
            "<ns0:FactoryDefault>Hard</ns0:FactoryDefault>",
        )
        .ok();
    assert_eq!(r.effects, [Effect::FactoryDefault { hard: true }]);
    assert!(d.ctx.state.network().hostname.name.is_none());
    assert_eq!(d.ctx.state.endpoint_reference(), epr);
    d.admin(
        "SetSystemFactoryDefault",
        "<ns0:FactoryDefault>Medium</ns0:FactoryDefault>",
    )
    .fault(400, "Sender", &["InvalidArgVal"]);

    // Logs: a refused request and a change, then both logs.
    d.zeep(OPERATOR, "SetHostname", "<ns0:Name>x</ns0:Name>", 0)
        .fault(400, "Sender", &["NotAuthorized"]);
    d.admin("SetHostname", "<ns0:Name>logged</ns0:Name>").ok();
    let r = d
        .admin("GetSystemLog", "<ns0:LogType>System</ns0:LogType>")
        .ok();
    let log = text(&r.body(), &["SystemLog", "String"]);
    assert!(
        log.starts_with("2024-02-29T12:00:01Z device: onvif-rtsp-server Virtual Camera"),
        "{log}"
    );
    assert!(log.contains(&epr), "{log}");
    assert!(log.contains("authentication required"), "{log}");
    // Changes since start, oldest first; the operator's refused attempt is
    // not one.
    let changes: Vec<&str> = log.lines().filter(|l| l.contains(" change: ")).collect();
    assert_eq!(
        changes
            .iter()
            .map(|l| l.rsplit_once(" change: ").map_or("", |(_, c)| c))
            .collect::<Vec<_>>(),
        [
            "SystemReboot by admin from 192.0.2.50",
            "SetHostname by admin from 192.0.2.50",
            "AddScopes by admin from 192.0.2.50",
            "SetSystemFactoryDefault by admin from 192.0.2.50",
            "SetSystemFactoryDefault by admin from 192.0.2.50",
            "SetHostname by admin from 192.0.2.50",
        ],
        "{log}"
    );
    let r = d
        .admin("GetSystemLog", "<ns0:LogType>Access</ns0:LogType>")
        .ok();
    let log = text(&r.body(), &["SystemLog", "String"]);
    let lines: Vec<&str> = log.lines().collect();
    assert!(
        lines[lines.len() - 1].ends_with(
            "access: GetSystemLog from 192.0.2.50 as admin (Administrator, WS-UsernameToken)"
        ),
        "{log}"
    );
    assert!(
        lines.iter().any(|l| l.ends_with(
            "access: SetHostname from 192.0.2.50 refused: user level too low"
        )),
        "{log}"
    );
    // The faulted factory default (Medium) is in the access log, not a change.
    assert!(
        lines.iter().any(|l| l.ends_with(
            "access: SetSystemFactoryDefault from 192.0.2.50 as admin (Administrator, WS-UsernameToken): fault"
        )),
        "{log}"
    );
    d.admin("GetSystemLog", "<ns0:LogType>Kernel</ns0:LogType>")
        .fault(400, "Sender", &["InvalidArgVal"]);
    let r = d.admin("GetSystemSupportInformation", "").ok();
    let info = text(&r.body(), &["SupportInformation", "String"]);
    assert!(
        info.contains("[profiles]") && info.contains("MainStream"),
        "{info}"
    );
    assert!(
        !info.contains("op-pass") && !info.contains("user-pass"),
        "{info}"
    );

    // Endpoint reference and WSDL URL, without credentials.
    let r = d.zeep(Auth::None, "GetEndpointReference", "", 2).ok();
    assert_eq!(text(&r.body(), &["GUID"]), epr);
    assert!(epr.starts_with("urn:uuid:"));
    let r = d.zeep(Auth::None, "GetWsdlUrl", "", 2).ok();
    assert!(text(&r.body(), &["WsdlUrl"]).starts_with("http://www.onvif.org/"));
}

#[test]
fn relay_outputs() {
    let mut d = Dut::new(false);
    let r = d.zeep(Auth::None, "GetRelayOutputs", "", 0).ok();
    let relay = r.body().children[0].clone();
    assert_eq!(relay.attr("token"), Some("RelayOutputToken_1"));
    assert_eq!(text(&relay, &["Properties", "Mode"]), "Bistable");
    assert_eq!(text(&relay, &["Properties", "IdleState"]), "closed");
    let settings = |token: &str, mode: &str, delay: &str, idle: &str| {
        format!(
            "<ns0:RelayOutputToken>{token}</ns0:RelayOutputToken><ns0:Properties><ns1:Mode>{mode}</ns1:Mode><ns1:DelayTime>{delay}</ns1:DelayTime><ns1:IdleState>{idle}</ns1:IdleState></ns0:Properties>"
        )
    };
    let r = d
        .zeep(
            Auth::None,
            "SetRelayOutputSettings",
            &settings("RelayOutputToken_1", "Monostable", "PT5S", "open"),
            0,
        )
        .ok();
    assert!(r.persisted());
    let r = d.zeep(Auth::None, "GetRelayOutputs", "", 0).ok();
    assert_eq!(
        text(&r.body().children[0], &["Properties", "DelayTime"]),
        "PT5S"
    );
    assert_eq!(
        text(&r.body().children[0], &["Properties", "Mode"]),
        "Monostable"
    );
    let xml = d.ctx.state.to_runtime_xml();
    let (back, _) = DeviceState::from_runtime_xml(&xml, "onvifrun.cfg").unwrap();
    assert_eq!(back.relay_outputs(), d.ctx.state.relay_outputs());
    d.zeep(
        Auth::None,
        "SetRelayOutputSettings",
        &settings("RelayOutputToken_9", "Bistable", "PT1S", "open"),
        0,
    )
    .fault(400, "Sender", &["InvalidArgVal", "RelayToken"]);
    d.zeep(
        Auth::None,
        "SetRelayOutputSettings",
        &settings("RelayOutputToken_1", "Tristable", "PT1S", "open"),
        0,
    )
    .fault(400, "Sender", &["InvalidArgVal"]);
    d.zeep(
        Auth::None,
        "SetRelayOutputSettings",
        &settings("RelayOutputToken_1", "Bistable", "soon", "open"),
        0,
    )
    .fault(400, "Sender", &["InvalidArgVal"]);
    // Switching publishes the relay event, once per change.
    let state = |s: &str| {
        format!(
            "<ns0:RelayOutputToken>RelayOutputToken_1</ns0:RelayOutputToken><ns0:LogicalState>{s}</ns0:LogicalState>"
        )
    };
    let r = d
        .zeep(Auth::None, "SetRelayOutputState", &state("active"), 3)
        .ok();
    let [Effect::Notify(event)] = r.effects.as_slice() else {
        panic!("{:?}", r.effects)
    };
    assert_eq!(event.topic, "tns1:Device/Trigger/Relay");
    assert_eq!(
        event.source,
        [("RelayToken".to_owned(), "RelayOutputToken_1".to_owned())]
    );
    assert_eq!(
        event.data,
        [("LogicalState".to_owned(), "active".to_owned())]
    );
    assert_eq!(event.utc_time, Duration::from_secs(T0_UNIX + 3));
    assert!(d.ctx.state.relay_outputs()[0].active);
    assert!(
        d.zeep(Auth::None, "SetRelayOutputState", &state("active"), 4)
            .ok()
            .effects
            .is_empty()
    );
    d.zeep(Auth::None, "SetRelayOutputState", &state("on"), 4)
        .fault(400, "Sender", &["InvalidArgVal"]);
}

#[test]
fn missing_parameters_are_invalid_args() {
    let mut d = Dut::new(false);
    for op in [
        "SetHostname",
        "SetDNS",
        "SetNTP",
        "SetDiscoveryMode",
        "SetSystemFactoryDefault",
        "GetSystemLog",
        "SetZeroConfiguration",
        "SetNetworkInterfaces",
        "SetRelayOutputState",
        "SetRelayOutputSettings",
        "CreateUsers",
        "DeleteUsers",
        "SetUser",
        "AddScopes",
        "RemoveScopes",
        "SetNetworkProtocols",
    ] {
        let r = d.zeep(Auth::None, op, "", 0);
        assert_eq!(r.r.status, 400, "{op}: {}", r.r.body);
        let (code, subcodes) = r.r.fault().unwrap();
        assert_eq!(code, "Sender", "{op}");
        assert_eq!(subcodes, ["InvalidArgs"], "{op}");
    }
}

// ---------------------------------------------------------------------------
// Schema walk

/// Calls every device operation (and some twice, after a change) and
/// validates every response against the official schemas.
#[test]
fn every_operation_answers_schema_valid_xml() {
    let mut d = Dut::new(true);
    let walk: &[(&str, &str)] = &[
        (
            "GetServices",
            "<ns0:IncludeCapability>false</ns0:IncludeCapability>",
        ),
        (
            "GetServices",
            "<ns0:IncludeCapability>true</ns0:IncludeCapability>",
        ),
        ("GetServiceCapabilities", ""),
        ("GetCapabilities", "<ns0:Category>All</ns0:Category>"),
        ("GetCapabilities", "<ns0:Category>Device</ns0:Category>"),
        (
            "GetCapabilities",
            "<ns0:Category>Media</ns0:Category><ns0:Category>Events</ns0:Category>",
        ),
        ("GetWsdlUrl", ""),
        ("GetDeviceInformation", ""),
        ("GetSystemDateAndTime", ""),
        (
            "SetSystemDateAndTime",
            "<ns0:DateTimeType>Manual</ns0:DateTimeType><ns0:DaylightSavings>true</ns0:DaylightSavings><ns0:TimeZone><ns1:TZ>CET-1CEST,M3.5.0,M10.5.0/3</ns1:TZ></ns0:TimeZone><ns0:UTCDateTime><ns1:Time><ns1:Hour>12</ns1:Hour><ns1:Minute>0</ns1:Minute><ns1:Second>1</ns1:Second></ns1:Time><ns1:Date><ns1:Year>2024</ns1:Year><ns1:Month>2</ns1:Month><ns1:Day>29</ns1:Day></ns1:Date></ns0:UTCDateTime>",
        ),
        ("GetSystemDateAndTime", ""),
        (
            "SetSystemDateAndTime",
            "<ns0:DateTimeType>NTP</ns0:DateTimeType><ns0:DaylightSavings>false</ns0:DaylightSavings>",
        ),
        ("GetSystemLog", "<ns0:LogType>System</ns0:LogType>"),
        ("GetSystemLog", "<ns0:LogType>Access</ns0:LogType>"),
        ("GetSystemSupportInformation", ""),
        ("GetEndpointReference", ""),
        ("GetScopes", ""),
        (
            "AddScopes",
            "<ns0:ScopeItem>onvif://www.onvif.org/location/room/a</ns0:ScopeItem><ns0:ScopeItem>urn:b</ns0:ScopeItem>",
        ),
        ("RemoveScopes", "<ns0:ScopeItem>urn:b</ns0:ScopeItem>"),
        (
            "SetScopes",
            "<ns0:Scopes>onvif://www.onvif.org/location/room/c</ns0:Scopes>",
        ),
        ("GetScopes", ""),
        ("GetDiscoveryMode", ""),
        (
            "SetDiscoveryMode",
            "<ns0:DiscoveryMode>Discoverable</ns0:DiscoveryMode>",
        ),
        ("GetHostname", ""),
        ("SetHostname", "<ns0:Name>walk-cam</ns0:Name>"),
        ("SetHostnameFromDHCP", "<ns0:FromDHCP>false</ns0:FromDHCP>"),
        ("GetHostname", ""),
        ("GetDNS", ""),
        (
            "SetDNS",
            "<ns0:FromDHCP>false</ns0:FromDHCP><ns0:SearchDomain>example.org</ns0:SearchDomain><ns0:DNSManual><ns1:Type>IPv4</ns1:Type><ns1:IPv4Address>192.0.2.53</ns1:IPv4Address></ns0:DNSManual><ns0:DNSManual><ns1:Type>IPv6</ns1:Type><ns1:IPv6Address>2001:db8::53</ns1:IPv6Address></ns0:DNSManual>",
        ),
        ("GetDNS", ""),
        ("GetNTP", ""),
        (
            "SetNTP",
            "<ns0:FromDHCP>false</ns0:FromDHCP><ns0:NTPManual><ns1:Type>IPv4</ns1:Type><ns1:IPv4Address>192.0.2.123</ns1:IPv4Address></ns0:NTPManual><ns0:NTPManual><ns1:Type>IPv6</ns1:Type><ns1:IPv6Address>2001:db8::123</ns1:IPv6Address></ns0:NTPManual><ns0:NTPManual><ns1:Type>DNS</ns1:Type><ns1:DNSname>pool.ntp.org</ns1:DNSname></ns0:NTPManual>",
        ),
        ("GetNTP", ""),
        ("GetNetworkInterfaces", ""),
        (
            "SetNetworkInterfaces",
            "<ns0:InterfaceToken>eth0</ns0:InterfaceToken><ns0:NetworkInterface><ns1:Enabled>true</ns1:Enabled><ns1:MTU>1400</ns1:MTU><ns1:IPv4><ns1:Enabled>true</ns1:Enabled><ns1:Manual><ns1:Address>192.0.2.77</ns1:Address><ns1:PrefixLength>24</ns1:PrefixLength></ns1:Manual><ns1:DHCP>false</ns1:DHCP></ns1:IPv4></ns0:NetworkInterface>",
        ),
        ("GetNetworkInterfaces", ""),
        (
            "SetNetworkInterfaces",
            "<ns0:InterfaceToken>eth0</ns0:InterfaceToken><ns0:NetworkInterface><ns1:IPv4><ns1:DHCP>true</ns1:DHCP></ns1:IPv4></ns0:NetworkInterface>",
        ),
        ("GetNetworkInterfaces", ""),
        ("GetNetworkProtocols", ""),
        (
            "SetNetworkProtocols",
            "<ns0:NetworkProtocols><ns1:Name>HTTP</ns1:Name><ns1:Enabled>true</ns1:Enabled><ns1:Port>8000</ns1:Port><ns1:Port>8080</ns1:Port></ns0:NetworkProtocols>",
        ),
        ("GetNetworkProtocols", ""),
        ("GetNetworkDefaultGateway", ""),
        (
            "SetNetworkDefaultGateway",
            "<ns0:IPv4Address>192.0.2.254</ns0:IPv4Address><ns0:IPv6Address>2001:db8::1</ns0:IPv6Address>",
        ),
        ("GetNetworkDefaultGateway", ""),
        ("GetZeroConfiguration", ""),
        (
            "SetZeroConfiguration",
            "<ns0:InterfaceToken>eth0</ns0:InterfaceToken><ns0:Enabled>true</ns0:Enabled>",
        ),
        ("GetZeroConfiguration", ""),
        ("GetUsers", ""),
        (
            "CreateUsers",
            "<ns0:User><ns1:Username>walker</ns1:Username><ns1:Password>walk-pass</ns1:Password><ns1:UserLevel>Operator</ns1:UserLevel></ns0:User>",
        ),
        (
            "SetUser",
            "<ns0:User><ns1:Username>walker</ns1:Username><ns1:Password>walk-pass-2</ns1:Password><ns1:UserLevel>User</ns1:UserLevel></ns0:User>",
        ),
        ("GetUsers", ""),
        ("DeleteUsers", "<ns0:Username>walker</ns0:Username>"),
        ("GetRelayOutputs", ""),
        (
            "SetRelayOutputSettings",
            "<ns0:RelayOutputToken>RelayOutputToken_1</ns0:RelayOutputToken><ns0:Properties><ns1:Mode>Monostable</ns1:Mode><ns1:DelayTime>PT2M30S</ns1:DelayTime><ns1:IdleState>open</ns1:IdleState></ns0:Properties>",
        ),
        (
            "SetRelayOutputState",
            "<ns0:RelayOutputToken>RelayOutputToken_1</ns0:RelayOutputToken><ns0:LogicalState>active</ns0:LogicalState>",
        ),
        ("GetRelayOutputs", ""),
        ("SystemReboot", ""),
        (
            "SetSystemFactoryDefault",
            "<ns0:FactoryDefault>Soft</ns0:FactoryDefault>",
        ),
        (
            "SetSystemFactoryDefault",
            "<ns0:FactoryDefault>Hard</ns0:FactoryDefault>",
        ),
        (
            "GetServices",
            "<ns0:IncludeCapability>true</ns0:IncludeCapability>",
        ),
    ];
    // Every registered device operation is in the walk.
    let registry = build_registry().unwrap();
    for op in registry.operations(ServiceKind::Device) {
        assert!(
            walk.iter().any(|(name, _)| *name == op.name),
            "{} is not in the walk",
            op.name
        );
    }
    d.seen.clear();
    for (i, (op, params)) in walk.iter().enumerate() {
        let secs = 10 + i as u64;
        let r = d.zeep(ADMIN, op, params, secs);
        assert_eq!(r.r.status, 200, "{op}: {}", r.r.body);
        assert_eq!(r.body().name, format!("{op}Response"));
    }
    // A few faults too (the validator checks their envelope shape only).
    d.zeep(
        ADMIN,
        "GetCapabilities",
        "<ns0:Category>PTZ</ns0:Category>",
        200,
    );
    d.zeep(
        ADMIN,
        "RemoveScopes",
        "<ns0:ScopeItem>urn:none</ns0:ScopeItem>",
        201,
    );

    // The capabilities the media, media2 and event services answer with
    // (written by `onvif_device::capabilities`, which GetServices embeds
    // where the device schema cannot check them), in their own responses.
    let declarations: String = ns::PREFIXES
        .iter()
        .map(|(p, uri)| format!(" xmlns:{p}=\"{uri}\""))
        .collect();
    for (kind, prefix) in [
        (ServiceKind::Media, "trt"),
        (ServiceKind::Media2, "tr2"),
        (ServiceKind::Events, "tev"),
        (ServiceKind::Device, "tds"),
    ] {
        let mut w = XmlWriter::new();
        w.elem(&format!("{prefix}:GetServiceCapabilitiesResponse"), |w| {
            assert!(capabilities::write_service_capabilities(kind, w, &d.ctx));
        });
        let envelope = format!(
            r#"<s:Envelope xmlns:s="{}"{declarations}><s:Body>{}</s:Body></s:Envelope>"#,
            ns::SOAP12_ENV,
            w.finish()
        );
        d.seen
            .push((format!("{prefix}_GetServiceCapabilitiesResponse"), envelope));
    }

    xsd::validate_envelopes("device-walk", &d.seen);
}
