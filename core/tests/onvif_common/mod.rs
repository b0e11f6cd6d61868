//! Shared harness of the ONVIF tests: a toy camera with a handful of
//! operations from several services, and helpers that push real HTTP bytes
//! through `http::ServerConn` and `onvif::Endpoint` and parse what comes out.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use onvif_rtsp_core::http::{ConnEvent, DecoderLimits, Request, Response, ServerConn};
use onvif_rtsp_core::onvif::*;

/// The device clock at test time 0: 2024-02-29T12:00:00Z. The fixtures'
/// `Created` values are a few seconds after it.
pub const T0_UNIX: u64 = 1_709_208_000;

/// The toy device state.
pub struct Camera {
    pub need_auth: bool,
    pub users: Vec<(String, String, UserLevel)>,
    pub hostname: String,
    pub events: Vec<String>,
    pub moves: Vec<String>,
}

impl Camera {
    pub fn new(need_auth: bool) -> Camera {
        Camera {
            need_auth,
            users: vec![
                ("admin".into(), "admin".into(), UserLevel::Administrator),
                ("operator".into(), "op-pass".into(), UserLevel::Operator),
                ("user".into(), "user-pass".into(), UserLevel::User),
            ],
            hostname: "camera".into(),
            events: Vec::new(),
            moves: Vec::new(),
        }
    }
}

impl UserStore for Camera {
    fn auth_required(&self) -> bool {
        self.need_auth
    }

    fn find_user(&self, username: &str) -> Option<UserRecord<'_>> {
        self.users
            .iter()
            .find(|(n, _, _)| n == username)
            .map(|(_, p, l)| UserRecord {
                password: p,
                level: *l,
            })
    }
}

fn get_system_date_and_time(call: &Call<'_>, _: &mut Camera) -> Result<Reply, Fault> {
    let (year, month, day, hour, minute, second) =
        values::DateTime::from_unix(call.device_time).civil();
    Ok(Reply::build(|w| {
        w.elem("tds:GetSystemDateAndTimeResponse", |w| {
            w.elem("tds:SystemDateAndTime", |w| {
                w.leaf("tt:DateTimeType", "NTP");
                w.leaf("tt:DaylightSavings", "false");
                w.elem("tt:TimeZone", |w| {
                    w.leaf("tt:TZ", "UTC0");
                });
                w.elem("tt:UTCDateTime", |w| {
                    w.elem("tt:Time", |w| {
                        w.leaf_display("tt:Hour", hour);
                        w.leaf_display("tt:Minute", minute);
                        w.leaf_display("tt:Second", second);
                    });
                    w.elem("tt:Date", |w| {
                        w.leaf_display("tt:Year", year);
                        w.leaf_display("tt:Month", month);
                        w.leaf_display("tt:Day", day);
                    });
                });
            });
        });
    }))
}

fn get_capabilities(call: &Call<'_>, _: &mut Camera) -> Result<Reply, Fault> {
    let category = call
        .body
        .param_text(ns::TDS, "Category")
        .unwrap_or("All")
        .to_owned();
    if !["All", "Device", "Media", "Events", "PTZ"].contains(&category.as_str()) {
        return Err(Fault::sender(
            &[fault::ter::ACTION_NOT_SUPPORTED, "ter:NoSuchService"],
            "no such category",
        ));
    }
    let device = call.service_url(ServiceKind::Device);
    let media = call.service_url(ServiceKind::Media);
    Ok(Reply::build(|w| {
        w.elem("tds:GetCapabilitiesResponse", |w| {
            w.elem("tds:Capabilities", |w| {
                w.elem("tt:Device", |w| {
                    w.leaf("tt:XAddr", &device);
                });
                w.elem("tt:Media", |w| {
                    w.leaf("tt:XAddr", &media);
                });
            });
        });
    }))
}

fn get_device_information(_: &Call<'_>, _: &mut Camera) -> Result<Reply, Fault> {
    Ok(Reply::build(|w| {
        w.elem("tds:GetDeviceInformationResponse", |w| {
            w.leaf("tds:Manufacturer", "Happytimesoft");
            w.leaf("tds:Model", "IPCamera");
            w.leaf("tds:FirmwareVersion", "2.4");
            w.leaf("tds:SerialNumber", "123456");
            w.leaf("tds:HardwareId", "1.0");
        });
    }))
}

fn get_users(_: &Call<'_>, cam: &mut Camera) -> Result<Reply, Fault> {
    Ok(Reply::build(|w| {
        w.elem("tds:GetUsersResponse", |w| {
            for (name, _, level) in &cam.users {
                w.elem("tds:User", |w| {
                    w.leaf("tt:Username", name);
                    w.leaf("tt:UserLevel", level.as_str());
                });
            }
        });
    }))
}

fn set_hostname(call: &Call<'_>, cam: &mut Camera) -> Result<Reply, Fault> {
    let name = call.body.required(ns::TDS, "Name")?.text();
    if name.is_empty() || name.len() > 63 || name.contains(' ') {
        return Err(Fault::sender(
            &[fault::ter::INVALID_ARG_VAL, fault::ter::INVALID_HOSTNAME],
            "invalid host name",
        ));
    }
    cam.hostname = name.to_owned();
    Ok(Reply::empty("tds:SetHostnameResponse").with_effect(Effect::PersistConfig))
}

fn system_reboot(_: &Call<'_>, _: &mut Camera) -> Result<Reply, Fault> {
    Ok(Reply::build(|w| {
        w.leaf("tds:SystemRebootResponse", "Rebooting");
    })
    .with_effect(Effect::Reboot))
}

fn get_profiles(_: &Call<'_>, _: &mut Camera) -> Result<Reply, Fault> {
    Ok(Reply::build(|w| {
        w.elem("trt:GetProfilesResponse", |w| {
            for i in 1..=2 {
                w.start("trt:Profiles")
                    .attr("token", &format!("ProfileToken_{i}"))
                    .attr("fixed", "true");
                w.leaf("tt:Name", &format!("Profile_{i}"));
                w.end();
            }
        });
    }))
}

fn get_stream_uri(call: &Call<'_>, _: &mut Camera) -> Result<Reply, Fault> {
    let token = call.body.required(ns::TRT, "ProfileToken")?.text();
    if token != "ProfileToken_1" && token != "ProfileToken_2" {
        return Err(Fault::no_profile(token));
    }
    let uri = format!("rtsp://{}:554/test.mp4", call.host_name());
    Ok(Reply::build(|w| {
        w.elem("trt:GetStreamUriResponse", |w| {
            w.elem("trt:MediaUri", |w| {
                w.leaf("tt:Uri", &uri);
                w.leaf("tt:InvalidAfterConnect", "false");
                w.leaf("tt:InvalidAfterReboot", "false");
                w.leaf("tt:Timeout", "PT60S");
            });
        });
    }))
}

fn continuous_move(call: &Call<'_>, cam: &mut Camera) -> Result<Reply, Fault> {
    let token = call.body.required(ns::TPTZ, "ProfileToken")?.text();
    cam.moves.push(token.to_owned());
    Ok(Reply::empty("tptz:ContinuousMoveResponse"))
}

fn ptz_capabilities(_: &Call<'_>, _: &mut Camera) -> Result<Reply, Fault> {
    Ok(Reply::build(|w| {
        w.elem("tptz:GetServiceCapabilitiesResponse", |w| {
            w.empty("tptz:Capabilities");
        });
    }))
}

fn pull_messages(call: &Call<'_>, cam: &mut Camera) -> Result<Reply, Fault> {
    let timeout = call.body.required(ns::TEV, "Timeout")?.parse_duration()?;
    let limit: usize = call.body.required(ns::TEV, "MessageLimit")?.parse()?;
    let timed_out = call
        .wake
        .is_some_and(|w| w.reason == WakeReason::Deadline || call.now >= w.deadline);
    if cam.events.is_empty() && !timed_out {
        return Ok(Reply::defer(1, call.now + timeout));
    }
    let take = cam.events.len().min(limit);
    let events: Vec<String> = cam.events.drain(..take).collect();
    let now = values::format_datetime(call.device_time);
    Ok(Reply::build(|w| {
        w.elem("tev:PullMessagesResponse", |w| {
            w.leaf("tev:CurrentTime", &now);
            w.leaf("tev:TerminationTime", &now);
            for topic in &events {
                w.elem("wsnt:NotificationMessage", |w| {
                    w.start("wsnt:Topic")
                        .attr(
                            "Dialect",
                            "http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet",
                        )
                        .text(topic)
                        .end();
                    w.elem("wsnt:Message", |w| {
                        Notification::new(topic.clone(), call.device_time).write_message(w);
                    });
                });
            }
        });
    })
    .with_action(
        "http://www.onvif.org/ver10/events/wsdl/PullPointSubscription/PullMessagesResponse",
    ))
}

fn echo(call: &Call<'_>, _: &mut Camera) -> Result<Reply, Fault> {
    let text = call.body.text().to_owned();
    Ok(Reply::build(|w| {
        w.start("tt:Echo").attr("xmlns:test", "urn:test");
        w.leaf("test:Text", &text);
        w.end();
    }))
}

/// The registry of the toy camera.
pub fn registry() -> Registry<Camera> {
    use AccessClass::*;
    let mut r = Registry::new();
    r.register(
        ServiceKind::Device,
        &[
            Operation::new(
                ns::TDS,
                "GetSystemDateAndTime",
                PreAuth,
                get_system_date_and_time,
            ),
            Operation::new(ns::TDS, "GetCapabilities", PreAuth, get_capabilities),
            Operation::new(
                ns::TDS,
                "GetDeviceInformation",
                ReadSystem,
                get_device_information,
            ),
            Operation::new(ns::TDS, "GetUsers", ReadSystemSecret, get_users),
            Operation::new(ns::TDS, "SetHostname", WriteSystem, set_hostname),
            Operation::new(ns::TDS, "SystemReboot", Unrecoverable, system_reboot),
            Operation::new("urn:test", "Echo", PreAuth, echo),
        ],
    )
    .unwrap();
    r.register(
        ServiceKind::Media,
        &[
            Operation::new(ns::TRT, "GetProfiles", ReadMedia, get_profiles),
            Operation::new(ns::TRT, "GetStreamUri", ReadMedia, get_stream_uri),
        ],
    )
    .unwrap();
    r.register(
        ServiceKind::Ptz,
        &[
            Operation::new(ns::TPTZ, "ContinuousMove", Actuate, continuous_move),
            Operation::new(
                ns::TPTZ,
                "GetServiceCapabilities",
                PreAuth,
                ptz_capabilities,
            ),
        ],
    )
    .unwrap();
    r.register(
        ServiceKind::Events,
        &[Operation::new(
            ns::TEV,
            "PullMessages",
            ReadMedia,
            pull_messages,
        )],
    )
    .unwrap();
    r
}

/// A parsed HTTP response.
#[derive(Debug)]
pub struct Parsed {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Parsed {
    pub fn from_wire(wire: &[u8]) -> Parsed {
        let text = String::from_utf8(wire.to_vec()).expect("UTF-8 response");
        let (head, body) = text.split_once("\r\n\r\n").expect("a header block");
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap();
        let status = status_line.split(' ').nth(1).unwrap().parse().unwrap();
        let headers: Vec<(String, String)> = lines
            .map(|l| {
                let (n, v) = l.split_once(':').unwrap();
                (n.trim().to_owned(), v.trim().to_owned())
            })
            .collect();
        let parsed = Parsed {
            status,
            headers,
            body: body.to_owned(),
        };
        if let Some(len) = parsed.header("Content-Length") {
            assert_eq!(len.parse::<usize>().unwrap(), parsed.body.len());
        }
        parsed
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn headers_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The response parsed back as a SOAP envelope (namespace-aware).
    pub fn envelope(&self) -> Envelope {
        assert!(!self.body.contains("<html"), "HTML in {}", self.body);
        parse_envelope(self.body.as_bytes(), &XmlLimits::default())
            .unwrap_or_else(|e| panic!("response is not SOAP ({e}): {}", self.body))
    }

    /// For a fault: the code's local name and the subcode local names, all
    /// resolved through the response's own namespace declarations.
    pub fn fault(&self) -> Option<(String, Vec<String>)> {
        let env = self.envelope();
        let fault = &env.body;
        if fault.name != "Fault" {
            return None;
        }
        match env.version {
            SoapVersion::Soap12 => {
                let code = fault.child(ns::SOAP12_ENV, "Code")?;
                let value = code.child(ns::SOAP12_ENV, "Value")?;
                let (code_ns, code_local) = value.resolve_qname(value.text())?;
                assert_eq!(code_ns, ns::SOAP12_ENV);
                let mut subcodes = Vec::new();
                let mut at = code;
                while let Some(sub) = at.child(ns::SOAP12_ENV, "Subcode") {
                    let v = sub.child(ns::SOAP12_ENV, "Value")?;
                    let (sns, slocal) = v.resolve_qname(v.text())?;
                    assert_eq!(sns, ns::TER, "subcode namespace");
                    subcodes.push(slocal.to_owned());
                    at = sub;
                }
                let reason = fault.child(ns::SOAP12_ENV, "Reason")?;
                let text = reason.child(ns::SOAP12_ENV, "Text")?;
                assert_eq!(
                    text.attr_ns("http://www.w3.org/XML/1998/namespace", "lang"),
                    Some("en")
                );
                Some((code_local.to_owned(), subcodes))
            }
            SoapVersion::Soap11 => {
                let code = fault.child("", "faultcode")?;
                let (_, local) = code.resolve_qname(code.text())?;
                fault.child("", "faultstring")?;
                Some((local.to_owned(), Vec::new()))
            }
        }
    }
}

/// The bytes of a POST of `body` to `path`.
pub fn http_post(path: &str, body: &str, extra: &[(&str, &str)]) -> Vec<u8> {
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nHost: 192.0.2.1:8000\r\nContent-Type: application/soap+xml; charset=utf-8\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (n, v) in extra {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body.as_bytes());
    bytes
}

/// Reads a fixture from `tests/onvif_fixtures`.
pub fn fixture(name: &str) -> String {
    let path = format!("{}/tests/onvif_fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// An endpoint, a camera and a clock.
pub struct Harness {
    pub endpoint: Endpoint<Camera>,
    pub camera: Camera,
    pub t0: Instant,
    pub peer: std::net::IpAddr,
}

impl Harness {
    pub fn new(need_auth: bool) -> Harness {
        Harness::with_config(need_auth, SecurityConfig::default())
    }

    pub fn with_config(need_auth: bool, config: SecurityConfig) -> Harness {
        let t0 = Instant::now();
        Harness {
            endpoint: Endpoint::new(
                registry(),
                Security::new(config, [42; 16], t0),
                XmlLimits::default(),
            ),
            camera: Camera::new(need_auth),
            t0,
            peer: "192.0.2.50".parse().unwrap(),
        }
    }

    /// The environment `secs` seconds after test time 0.
    pub fn env(&self, secs: u64) -> RequestEnv {
        RequestEnv {
            peer: self.peer,
            local: Some("192.0.2.1:8000".parse().unwrap()),
            tls: false,
            now: self.t0 + Duration::from_secs(secs),
            device_time: Duration::from_secs(T0_UNIX + secs),
        }
    }

    pub fn handle(&mut self, request: &Request, secs: u64) -> Outcome {
        let env = self.env(secs);
        self.endpoint.handle(request, &env, &mut self.camera)
    }

    /// Sends raw HTTP bytes on a fresh connection, answers every request
    /// (they must not defer) and returns the parsed responses.
    pub fn exchange(&mut self, wire: &[u8], secs: u64) -> Vec<Parsed> {
        let mut conn = ServerConn::new(DecoderLimits::default());
        conn.push(wire);
        let mut out = Vec::new();
        while let Some(event) = conn.poll() {
            match event {
                ConnEvent::Send(_) => {}
                ConnEvent::Request(request) => {
                    let outcome = self.handle(&request, secs);
                    let Answer::Now(response) = outcome.answer else {
                        panic!("unexpected deferral")
                    };
                    let sent = conn.respond(&response).unwrap();
                    out.push(Parsed::from_wire(&sent.bytes));
                }
                ConnEvent::SendAndClose(bytes) => out.push(Parsed::from_wire(&bytes)),
            }
        }
        out
    }

    /// POSTs `body` to `path` and returns the one response.
    pub fn post(&mut self, path: &str, body: &str, extra: &[(&str, &str)], secs: u64) -> Parsed {
        let mut responses = self.exchange(&http_post(path, body, extra), secs);
        assert_eq!(responses.len(), 1);
        responses.remove(0)
    }
}

/// Encodes a response the way a connection would, for direct inspection.
pub fn wire_of(response: &Response) -> Parsed {
    let to = onvif_rtsp_core::http::ReplyTo {
        version: onvif_rtsp_core::http::Version::Http11,
        keep_alive: true,
        head: false,
    };
    Parsed::from_wire(&response.encode(&to))
}
