//! The Media (ver10) and Media2 (ver20) services through the real endpoint
//! (`onvif_device::build_registry`, security, an `OnvifContext` built from
//! the default `onvif.cfg`), with requests in the forms Home Assistant's
//! zeep client and the npm `onvif` client send, the stream URIs parsed back
//! the way the RTSP server parses them, faults, and a scripted walk through
//! every operation whose responses are validated against the official
//! ONVIF schemas (`conformance/python/onvif_validate.py`).

mod onvif_common;

mod xsd;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use onvif_common::{Parsed, T0_UNIX, fixture, http_post};
use onvif_rtsp_core::config::{OnvifConfig, OnvifUser, UserLevel};
use onvif_rtsp_core::http::{ConnEvent, DecoderLimits, ServerConn};
use onvif_rtsp_core::onvif::*;
use onvif_rtsp_core::onvif_device::events::EventState;
use onvif_rtsp_core::onvif_device::{HostInfo, OnvifContext, build_registry};
use onvif_rtsp_core::onvif_state::DeviceState;
use onvif_rtsp_core::rtsp::url::{RequestTarget, parse_target};

const MEDIA: &str = "/onvif/media_service";
const MEDIA2: &str = "/onvif/media2_service";
const ADMIN: (&str, &str) = ("Authorization", "Basic YWRtaW46YWRtaW4=");

/// A notification as `(topic, source items, data items)`.
type Event = (String, Vec<(String, String)>, Vec<(String, String)>);

/// A fault as `(code, subcodes)`, local names.
type FaultCodes = (String, Vec<String>);

/// The default `onvif.cfg` with `need_auth` on.
fn authenticated() -> OnvifConfig {
    let mut config = OnvifConfig::default();
    config.server.need_auth = true;
    config
}

/// A device on the default `onvif.cfg` (or another), behind the endpoint.
struct Device {
    endpoint: Endpoint<OnvifContext>,
    ctx: OnvifContext,
    t0: Instant,
}

/// One answer: the HTTP response and the effects the handler asked for.
struct Exchange {
    http: Parsed,
    effects: Vec<Effect>,
}

impl Exchange {
    fn status(&self) -> u16 {
        self.http.status
    }

    fn ok(self) -> Exchange {
        assert_eq!(self.http.status, 200, "{}", self.http.body);
        self
    }

    fn body(&self) -> Element {
        self.http.envelope().body
    }

    /// `(code, subcodes)` of a fault.
    fn fault(&self) -> FaultCodes {
        self.http
            .fault()
            .unwrap_or_else(|| panic!("not a fault: {}", self.http.body))
    }

    fn notifications(&self) -> Vec<&Notification> {
        self.effects
            .iter()
            .filter_map(|e| match e {
                Effect::Notify(n) => Some(n),
                _ => None,
            })
            .collect()
    }
}

impl Device {
    fn new() -> Device {
        Device::with_config(OnvifConfig::default())
    }

    fn with_config(config: OnvifConfig) -> Device {
        let t0 = Instant::now();
        let state = DeviceState::from_config(&config, 7);
        Device {
            endpoint: Endpoint::new(
                build_registry().expect("the services register"),
                Security::new(SecurityConfig::default(), [9; 16], t0),
                XmlLimits::default(),
            ),
            ctx: OnvifContext {
                state,
                config,
                events: EventState::default(),
                host: HostInfo::default(),
                log: Default::default(),
            },
            t0,
        }
    }

    /// Sends raw HTTP bytes holding one request, `secs` after test time 0.
    fn exchange(&mut self, wire: &[u8], secs: u64) -> Exchange {
        let env = RequestEnv {
            peer: "192.0.2.50".parse().unwrap(),
            local: Some("192.0.2.1:8000".parse().unwrap()),
            tls: false,
            now: self.t0 + Duration::from_secs(secs),
            device_time: Duration::from_secs(T0_UNIX + secs),
        };
        let mut conn = ServerConn::new(DecoderLimits::default());
        conn.push(wire);
        loop {
            match conn.poll().expect("a request") {
                ConnEvent::Request(request) => {
                    let Outcome { answer, effects } =
                        self.endpoint.handle(&request, &env, &mut self.ctx);
                    let Answer::Now(response) = answer else {
                        panic!("media operations never defer")
                    };
                    let sent = conn.respond(&response).unwrap();
                    return Exchange {
                        http: Parsed::from_wire(&sent.bytes),
                        effects,
                    };
                }
                ConnEvent::Send(_) => {}
                ConnEvent::SendAndClose(bytes) => {
                    return Exchange {
                        http: Parsed::from_wire(&bytes),
                        effects: Vec::new(),
                    };
                }
            }
        }
    }

    /// POSTs a whole envelope with extra headers.
    fn post_with(
        &mut self,
        path: &str,
        envelope: &str,
        headers: &[(&str, &str)],
        secs: u64,
    ) -> Exchange {
        self.exchange(&http_post(path, envelope, headers), secs)
    }

    /// POSTs a whole envelope (a fixture).
    fn post(&mut self, path: &str, envelope: &str, secs: u64) -> Exchange {
        self.post_with(path, envelope, &[], secs)
    }

    /// POSTs `body` in a SOAP 1.2 envelope, as the administrator (HTTP
    /// Basic; ignored when authentication is off).
    fn call(&mut self, path: &str, body: &str) -> Exchange {
        self.post_with(path, &soap(body), &[ADMIN], 30)
    }
}

/// `body` in a SOAP 1.2 envelope declaring `trt`, `tr2` and `tt`.
fn soap(body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:trt="http://www.onvif.org/ver10/media/wsdl" xmlns:tr2="http://www.onvif.org/ver20/media/wsdl" xmlns:tt="http://www.onvif.org/ver10/schema"><s:Body>{body}</s:Body></s:Envelope>"#
    )
}

/// A ver10 GetStreamUri body.
fn get_stream_uri(profile: &str, stream: &str, protocol: &str) -> String {
    format!(
        "<trt:GetStreamUri><trt:StreamSetup><tt:Stream>{stream}</tt:Stream><tt:Transport><tt:Protocol>{protocol}</tt:Protocol></tt:Transport></trt:StreamSetup><trt:ProfileToken>{profile}</trt:ProfileToken></trt:GetStreamUri>"
    )
}

/// The URI of a ver10 GetStreamUri or GetSnapshotUri answer.
fn media_uri(answer: &Exchange) -> String {
    answer
        .body()
        .child(ns::TRT, "MediaUri")
        .and_then(|m| m.param_text(ns::TT, "Uri"))
        .unwrap_or_else(|| panic!("no MediaUri: {}", answer.http.body))
        .to_owned()
}

/// The URI of a Media2 GetStreamUri or GetSnapshotUri answer.
fn media2_uri(answer: &Exchange) -> String {
    answer
        .body()
        .param_text(ns::TR2, "Uri")
        .unwrap_or_else(|| panic!("no Uri: {}", answer.http.body))
        .to_owned()
}

/// The stream URI of a profile over ver10, parsed as the RTSP server does.
fn stream_target(d: &mut Device, profile: &str) -> (String, RequestTarget) {
    let uri = media_uri(
        &d.call(MEDIA, &get_stream_uri(profile, "RTP-Unicast", "RTSP"))
            .ok(),
    );
    let target = parse_target(&uri).unwrap_or_else(|e| panic!("{uri}: {e:?}"));
    (uri, target)
}

fn params(target: &RequestTarget, names: &[&str]) -> Vec<Option<String>> {
    names
        .iter()
        .map(|n| target.param(n).map(str::to_owned))
        .collect()
}

fn some(values: &[&str]) -> Vec<Option<String>> {
    values.iter().map(|v| Some((*v).to_owned())).collect()
}

fn fault_of(answer: &Exchange) -> FaultCodes {
    answer.fault()
}

fn sender(subcodes: &[&str]) -> FaultCodes {
    (
        "Sender".to_owned(),
        subcodes.iter().map(|s| (*s).to_owned()).collect(),
    )
}

fn receiver(subcodes: &[&str]) -> FaultCodes {
    (
        "Receiver".to_owned(),
        subcodes.iter().map(|s| (*s).to_owned()).collect(),
    )
}

/// The `(topic, source, data)` of the notifications of an answer.
fn events(answer: &Exchange) -> Vec<Event> {
    answer
        .notifications()
        .into_iter()
        .map(|n| (n.topic.clone(), n.source.clone(), n.data.clone()))
        .collect()
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect()
}

fn profile_changed(token: &str) -> Event {
    (
        "tns1:Media/ProfileChanged".into(),
        Vec::new(),
        pairs(&[("Token", token)]),
    )
}

fn configuration_changed(token: &str, kind: &str) -> Event {
    (
        "tns1:Media/ConfigurationChanged".into(),
        pairs(&[("Token", token)]),
        pairs(&[("Type", kind)]),
    )
}

#[test]
fn home_assistant_setup_with_zeep_requests() {
    let mut d = Device::with_config(authenticated());

    let r = d
        .post(MEDIA, &fixture("media_zeep_get_profiles.xml"), 10)
        .ok();
    let body = r.body();
    let profiles: Vec<&Element> = body.children_named(ns::TRT, "Profiles").collect();
    // At least two profiles (the npm client breaks on one), each with an
    // H.264 encoder: Home Assistant only adds H.264 profiles.
    assert_eq!(
        profiles.iter().map(|p| p.attr("token")).collect::<Vec<_>>(),
        [Some("ProfileToken_1"), Some("ProfileToken_2")]
    );
    for p in &profiles {
        let vec = p.child(ns::TT, "VideoEncoderConfiguration").unwrap();
        assert_eq!(vec.param_text(ns::TT, "Encoding"), Some("H264"));
        assert!(p.child(ns::TT, "VideoSourceConfiguration").is_some());
    }
    let main = profiles[0];
    assert_eq!(main.attr("fixed"), Some("true"));
    assert_eq!(main.param_text(ns::TT, "Name"), Some("MainStream"));
    let res = main
        .child(ns::TT, "VideoEncoderConfiguration")
        .and_then(|v| v.child(ns::TT, "Resolution"))
        .unwrap();
    assert_eq!(res.param_text(ns::TT, "Width"), Some("1280"));
    assert!(main.child(ns::TT, "AudioEncoderConfiguration").is_some());

    let r = d
        .post(MEDIA, &fixture("media_zeep_get_stream_uri.xml"), 11)
        .ok();
    let uri = media_uri(&r);
    assert!(uri.starts_with("rtsp://192.0.2.1:8554/testsrc&"), "{uri}");
    let target = parse_target(&uri).unwrap();
    assert_eq!(target.stream, "testsrc");
    assert_eq!(
        params(
            &target,
            &[
                "t", "p", "ve", "w", "h", "ae", "sr", "fps", "br", "gov", "vp"
            ]
        ),
        some(&[
            "unicast", "rtsp", "H264", "1280", "720", "PCMU", "8000", "25", "2048", "25", "Main"
        ])
    );
    let mu = r.body();
    let mu = mu.child(ns::TRT, "MediaUri").unwrap();
    assert_eq!(mu.param_text(ns::TT, "InvalidAfterConnect"), Some("false"));

    let r = d
        .post(MEDIA, &fixture("media_zeep_get_snapshot_uri.xml"), 12)
        .ok();
    assert_eq!(
        media_uri(&r),
        "http://192.0.2.1:8000/onvif/snapshot/ProfileToken_1.jpg"
    );

    // Credentials are needed for all of it ...
    let r = d.post(MEDIA, &soap("<trt:GetProfiles/>"), 12);
    assert_eq!(r.status(), 401);
    // ... but not for the capabilities.
    let r = d
        .post(MEDIA, &soap("<trt:GetServiceCapabilities/>"), 12)
        .ok();
    let caps = r.body();
    let caps = caps.child(ns::TRT, "Capabilities").unwrap();
    assert_eq!(caps.attr("SnapshotUri"), Some("true"));
    let streaming = caps.child(ns::TRT, "StreamingCapabilities").unwrap();
    assert_eq!(streaming.attr("RTP_RTSP_TCP"), Some("true"));
    assert_eq!(
        caps.child(ns::TRT, "ProfileCapabilities")
            .unwrap()
            .attr("MaximumNumberOfProfiles"),
        Some("10")
    );
}

#[test]
fn zeep_set_video_encoder_configuration_changes_the_stream() {
    let mut d = Device::with_config(authenticated());
    let r = d
        .post(
            MEDIA,
            &fixture("media_zeep_set_video_encoder_configuration.xml"),
            13,
        )
        .ok();
    assert!(r.body().is(ns::TRT, "SetVideoEncoderConfigurationResponse"));
    assert_eq!(r.effects.first(), Some(&Effect::PersistConfig));
    assert_eq!(
        events(&r),
        [configuration_changed(
            "VideoEncoderConfigurationToken_1",
            "VideoEncoder"
        )]
    );
    let (uri, target) = stream_target(&mut d, "ProfileToken_1");
    assert_eq!(
        params(&target, &["ve", "w", "h", "fps", "br", "gov", "vp"]),
        some(&["H264", "1920", "1080", "15", "4096", "50", "High"]),
        "{uri}"
    );
    // The sub stream's encoder is another configuration: unchanged.
    let (_, sub) = stream_target(&mut d, "ProfileToken_2");
    assert_eq!(
        params(&sub, &["w", "h", "br"]),
        some(&["640", "360", "512"])
    );
    // GetVideoEncoderConfiguration shows what was set.
    let r = d
        .call(
            MEDIA,
            "<trt:GetVideoEncoderConfiguration><trt:ConfigurationToken>VideoEncoderConfigurationToken_1</trt:ConfigurationToken></trt:GetVideoEncoderConfiguration>",
        )
        .ok();
    let body = r.body();
    let config = body.child(ns::TRT, "Configuration").unwrap();
    assert_eq!(config.param_text(ns::TT, "Quality"), Some("60"));
    let h264 = config.child(ns::TT, "H264").unwrap();
    assert_eq!(h264.param_text(ns::TT, "H264Profile"), Some("High"));

    // A switch to JPEG changes the codec of the stream.
    let r = d.call(
        MEDIA,
        r#"<trt:SetVideoEncoderConfiguration><trt:Configuration token="VideoEncoderConfigurationToken_1"><tt:Name>jpeg</tt:Name><tt:UseCount>1</tt:UseCount><tt:Encoding>JPEG</tt:Encoding><tt:Resolution><tt:Width>640</tt:Width><tt:Height>480</tt:Height></tt:Resolution><tt:Quality>50</tt:Quality><tt:Multicast><tt:Address><tt:Type>IPv4</tt:Type><tt:IPv4Address>239.255.10.1</tt:IPv4Address></tt:Address><tt:Port>40002</tt:Port><tt:TTL>2</tt:TTL><tt:AutoStart>false</tt:AutoStart></tt:Multicast><tt:SessionTimeout>PT60S</tt:SessionTimeout></trt:Configuration><trt:ForcePersistence>true</trt:ForcePersistence></trt:SetVideoEncoderConfiguration>"#,
    );
    r.ok();
    let (uri, target) = stream_target(&mut d, "ProfileToken_1");
    assert_eq!(
        params(&target, &["ve", "w", "h", "gov", "vp"]),
        vec![
            Some("JPEG".to_owned()),
            Some("640".to_owned()),
            Some("480".to_owned()),
            None,
            None
        ],
        "{uri}"
    );
}

#[test]
fn npm_onvif_requests() {
    let mut d = Device::with_config(authenticated());
    let r = d
        .post(MEDIA, &fixture("media_npm_onvif_get_stream_uri.xml"), 20)
        .ok();
    let uri = media_uri(&r);
    let target = parse_target(&uri).unwrap();
    assert_eq!(
        params(&target, &["t", "p", "ve", "w", "h", "ae"]),
        vec![
            Some("unicast".to_owned()),
            Some("udp".to_owned()),
            Some("H264".to_owned()),
            Some("640".to_owned()),
            Some("360".to_owned()),
            None
        ],
        "{uri}"
    );
    let r = d
        .post(MEDIA, &fixture("media_npm_onvif_get_snapshot_uri.xml"), 21)
        .ok();
    assert_eq!(
        media_uri(&r),
        "http://192.0.2.1:8000/onvif/snapshot/ProfileToken_2.jpg"
    );
    // A partial configuration (what the npm client sends): the rest stays.
    let r = d
        .post(
            MEDIA,
            &fixture("media_npm_onvif_set_video_encoder_configuration.xml"),
            22,
        )
        .ok();
    assert_eq!(
        events(&r),
        [configuration_changed(
            "VideoEncoderConfigurationToken_2",
            "VideoEncoder"
        )]
    );
    let (uri, target) = stream_target(&mut d, "ProfileToken_2");
    assert_eq!(
        params(&target, &["ve", "w", "h", "fps", "br", "gov", "vp"]),
        some(&["H264", "640", "480", "10", "256", "25", "Main"]),
        "{uri}"
    );
    let encoder = &d.ctx.state.video_encoder_configurations()[1];
    assert_eq!(encoder.name, "sub");
    assert_eq!(encoder.settings.quality, 40.0);
}

#[test]
fn stream_uris_follow_the_host_header_and_the_rtsp_port() {
    let mut d = Device::new();
    d.ctx.state.set_rtsp_port(10554);
    let body = soap(&get_stream_uri("ProfileToken_1", "RTP-Unicast", "RTSP"));
    let nat = String::from_utf8(http_post(MEDIA, &body, &[]))
        .unwrap()
        .replace("Host: 192.0.2.1:8000", "Host: 203.0.113.7:18000");
    let uri = media_uri(&d.exchange(nat.as_bytes(), 1).ok());
    assert!(
        uri.starts_with("rtsp://203.0.113.7:10554/testsrc&"),
        "{uri}"
    );
    let v6 = String::from_utf8(http_post(MEDIA, &body, &[]))
        .unwrap()
        .replace("Host: 192.0.2.1:8000", "Host: [2001:db8::5]:8000");
    let uri = media_uri(&d.exchange(v6.as_bytes(), 1).ok());
    assert!(
        uri.starts_with("rtsp://[2001:db8::5]:10554/testsrc&"),
        "{uri}"
    );
    assert!(parse_target(&uri).is_ok());

    let snapshot = soap(
        "<trt:GetSnapshotUri><trt:ProfileToken>ProfileToken_2</trt:ProfileToken></trt:GetSnapshotUri>",
    );
    let nat = String::from_utf8(http_post(MEDIA, &snapshot, &[]))
        .unwrap()
        .replace("Host: 192.0.2.1:8000", "Host: 203.0.113.7:18000");
    assert_eq!(
        media_uri(&d.exchange(nat.as_bytes(), 1).ok()),
        "http://203.0.113.7:18000/onvif/snapshot/ProfileToken_2.jpg"
    );

    // The transports of the StreamSetup become t= and p=.
    for (stream, protocol, t, p) in [
        ("RTP-Unicast", "UDP", "unicast", "udp"),
        ("RTP-Unicast", "TCP", "unicast", "tcp"),
        ("RTP-Unicast", "HTTP", "unicast", "http"),
        ("RTP-Multicast", "UDP", "multicast", "udp"),
    ] {
        let r = d.call(MEDIA, &get_stream_uri("ProfileToken_1", stream, protocol));
        let target = parse_target(&media_uri(&r.ok())).unwrap();
        assert_eq!(params(&target, &["t", "p"]), some(&[t, p]));
    }
}

#[test]
fn a_profile_stream_uri_is_answered_as_configured() {
    let mut config = OnvifConfig::default();
    config.profiles[1].stream_uri = Some("rtsp://192.168.3.27/live".into());
    let mut d = Device::with_config(config);
    let r = d
        .call(
            MEDIA,
            &get_stream_uri("ProfileToken_2", "RTP-Unicast", "RTSP"),
        )
        .ok();
    assert_eq!(media_uri(&r), "rtsp://192.168.3.27/live");
    let r = d
        .call(
            MEDIA2,
            "<tr2:GetStreamUri><tr2:Protocol>RTSP</tr2:Protocol><tr2:ProfileToken>ProfileToken_2</tr2:ProfileToken></tr2:GetStreamUri>",
        )
        .ok();
    assert_eq!(media2_uri(&r), "rtsp://192.168.3.27/live");
}

#[test]
fn profiles_are_created_filled_and_deleted_with_events() {
    let mut d = Device::new();
    let r = d
        .call(
            MEDIA,
            "<trt:CreateProfile><trt:Name>Extra</trt:Name><trt:Token>extra</trt:Token></trt:CreateProfile>",
        )
        .ok();
    let body = r.body();
    let profile = body.child(ns::TRT, "Profile").unwrap();
    assert_eq!(profile.attr("token"), Some("extra"));
    assert_eq!(profile.attr("fixed"), Some("false"));
    assert_eq!(r.effects.first(), Some(&Effect::PersistConfig));
    assert_eq!(events(&r), [profile_changed("extra")]);

    // Nothing to stream yet.
    let r = d.call(MEDIA, &get_stream_uri("extra", "RTP-Unicast", "RTSP"));
    assert_eq!(
        fault_of(&r),
        receiver(&["Action", "IncompleteConfiguration"])
    );

    for (op, token) in [
        (
            "AddVideoSourceConfiguration",
            "VideoSourceConfigurationToken_1",
        ),
        (
            "AddVideoEncoderConfiguration",
            "VideoEncoderConfigurationToken_2",
        ),
        (
            "AddAudioSourceConfiguration",
            "AudioSourceConfigurationToken_1",
        ),
        (
            "AddAudioEncoderConfiguration",
            "AudioEncoderConfigurationToken_1",
        ),
        ("AddMetadataConfiguration", "MetadataConfigurationToken_1"),
    ] {
        let r = d
            .call(
                MEDIA,
                &format!(
                    "<trt:{op}><trt:ProfileToken>extra</trt:ProfileToken><trt:ConfigurationToken>{token}</trt:ConfigurationToken></trt:{op}>"
                ),
            )
            .ok();
        assert!(r.body().is(ns::TRT, &format!("{op}Response")));
        assert_eq!(r.effects.first(), Some(&Effect::PersistConfig));
        assert_eq!(events(&r), [profile_changed("extra")]);
    }
    let (_, target) = stream_target(&mut d, "extra");
    assert_eq!(
        params(&target, &["w", "h", "ae"]),
        some(&["640", "360", "PCMU"])
    );
    let r = d
        .call(
            MEDIA,
            "<trt:GetProfile><trt:ProfileToken>extra</trt:ProfileToken></trt:GetProfile>",
        )
        .ok();
    let body = r.body();
    let profile = body.child(ns::TRT, "Profile").unwrap();
    for element in [
        "VideoSourceConfiguration",
        "AudioSourceConfiguration",
        "VideoEncoderConfiguration",
        "AudioEncoderConfiguration",
        "MetadataConfiguration",
    ] {
        assert!(profile.child(ns::TT, element).is_some(), "{element}");
    }
    // UseCount counts the new profile.
    let use_count = profile
        .child(ns::TT, "VideoSourceConfiguration")
        .and_then(|c| c.param_text(ns::TT, "UseCount"));
    assert_eq!(use_count, Some("3"));

    let r = d
        .call(
            MEDIA,
            "<trt:RemoveAudioEncoderConfiguration><trt:ProfileToken>extra</trt:ProfileToken></trt:RemoveAudioEncoderConfiguration>",
        )
        .ok();
    assert_eq!(events(&r), [profile_changed("extra")]);
    let (_, target) = stream_target(&mut d, "extra");
    assert_eq!(target.param("ae"), None);

    let r = d
        .call(
            MEDIA,
            "<trt:DeleteProfile><trt:ProfileToken>extra</trt:ProfileToken></trt:DeleteProfile>",
        )
        .ok();
    assert_eq!(r.effects.first(), Some(&Effect::PersistConfig));
    assert_eq!(events(&r), [profile_changed("extra")]);
    assert!(d.ctx.state.profile("extra").is_none());
}

#[test]
fn faults() {
    let mut d = Device::new();
    let before = d.ctx.state.clone();
    let no_profile = sender(&["InvalidArgVal", "NoProfile"]);
    let no_config = sender(&["InvalidArgVal", "NoConfig"]);
    let config_modify = sender(&["InvalidArgVal", "ConfigModify"]);
    let vec = |inner: &str| {
        format!(
            r#"<trt:SetVideoEncoderConfiguration><trt:Configuration token="VideoEncoderConfigurationToken_1">{inner}</trt:Configuration><trt:ForcePersistence>true</trt:ForcePersistence></trt:SetVideoEncoderConfiguration>"#
        )
    };
    let cases: Vec<(&str, String, FaultCodes)> = vec![
        (
            MEDIA,
            "<trt:GetProfile><trt:ProfileToken>nope</trt:ProfileToken></trt:GetProfile>".into(),
            no_profile.clone(),
        ),
        (
            MEDIA,
            get_stream_uri("nope", "RTP-Unicast", "RTSP"),
            no_profile.clone(),
        ),
        (
            MEDIA,
            "<trt:GetSnapshotUri><trt:ProfileToken>nope</trt:ProfileToken></trt:GetSnapshotUri>"
                .into(),
            no_profile.clone(),
        ),
        (
            MEDIA,
            "<trt:AddVideoEncoderConfiguration><trt:ProfileToken>nope</trt:ProfileToken><trt:ConfigurationToken>VideoEncoderConfigurationToken_1</trt:ConfigurationToken></trt:AddVideoEncoderConfiguration>".into(),
            no_profile.clone(),
        ),
        (
            MEDIA,
            "<trt:AddVideoEncoderConfiguration><trt:ProfileToken>ProfileToken_1</trt:ProfileToken><trt:ConfigurationToken>nope</trt:ConfigurationToken></trt:AddVideoEncoderConfiguration>".into(),
            no_config.clone(),
        ),
        (
            MEDIA,
            "<trt:GetVideoEncoderConfiguration><trt:ConfigurationToken>nope</trt:ConfigurationToken></trt:GetVideoEncoderConfiguration>".into(),
            no_config.clone(),
        ),
        (
            MEDIA,
            "<trt:GetCompatibleVideoEncoderConfigurations><trt:ProfileToken>nope</trt:ProfileToken></trt:GetCompatibleVideoEncoderConfigurations>".into(),
            no_profile.clone(),
        ),
        (
            MEDIA,
            "<trt:GetVideoEncoderConfigurationOptions><trt:ConfigurationToken>nope</trt:ConfigurationToken></trt:GetVideoEncoderConfigurationOptions>".into(),
            no_config.clone(),
        ),
        (
            MEDIA,
            r#"<trt:SetVideoEncoderConfiguration><trt:Configuration token="nope"><tt:Name>x</tt:Name></trt:Configuration><trt:ForcePersistence>true</trt:ForcePersistence></trt:SetVideoEncoderConfiguration>"#.into(),
            no_config.clone(),
        ),
        (
            MEDIA,
            vec("<tt:Resolution><tt:Width>123</tt:Width><tt:Height>45</tt:Height></tt:Resolution>"),
            config_modify.clone(),
        ),
        (
            MEDIA,
            vec("<tt:RateControl><tt:FrameRateLimit>25</tt:FrameRateLimit><tt:EncodingInterval>1</tt:EncodingInterval><tt:BitrateLimit>1</tt:BitrateLimit></tt:RateControl>"),
            config_modify.clone(),
        ),
        (MEDIA, vec("<tt:Quality>200</tt:Quality>"), config_modify.clone()),
        (MEDIA, vec("<tt:Encoding>H265</tt:Encoding>"), config_modify.clone()),
        (
            MEDIA,
            vec("<tt:H264><tt:GovLength>0</tt:GovLength><tt:H264Profile>Main</tt:H264Profile></tt:H264>"),
            config_modify.clone(),
        ),
        (MEDIA, vec("<tt:SessionTimeout>PT0S</tt:SessionTimeout>"), config_modify.clone()),
        (
            MEDIA,
            r#"<trt:SetVideoSourceConfiguration><trt:Configuration token="VideoSourceConfigurationToken_1"><tt:Name>v</tt:Name><tt:UseCount>2</tt:UseCount><tt:SourceToken>VideoSourceToken_1</tt:SourceToken><tt:Bounds x="0" y="0" width="4000" height="720"/></trt:Configuration><trt:ForcePersistence>true</trt:ForcePersistence></trt:SetVideoSourceConfiguration>"#.into(),
            config_modify.clone(),
        ),
        (
            MEDIA,
            r#"<trt:SetAudioEncoderConfiguration><trt:Configuration token="AudioEncoderConfigurationToken_1"><tt:Encoding>G711</tt:Encoding><tt:Bitrate>128</tt:Bitrate></trt:Configuration><trt:ForcePersistence>true</trt:ForcePersistence></trt:SetAudioEncoderConfiguration>"#.into(),
            config_modify.clone(),
        ),
        (
            MEDIA,
            "<trt:DeleteProfile><trt:ProfileToken>ProfileToken_1</trt:ProfileToken></trt:DeleteProfile>".into(),
            sender(&["Action", "DeletionOfFixedProfile"]),
        ),
        (
            MEDIA,
            "<trt:CreateProfile><trt:Name>dup</trt:Name><trt:Token>ProfileToken_1</trt:Token></trt:CreateProfile>".into(),
            sender(&["InvalidArgVal", "ProfileExists"]),
        ),
        (
            MEDIA,
            get_stream_uri("ProfileToken_1", "RTP-Broadcast", "RTSP"),
            sender(&["InvalidArgVal", "InvalidStreamSetup"]),
        ),
        (
            MEDIA,
            "<trt:GetStreamUri><trt:ProfileToken>ProfileToken_1</trt:ProfileToken><trt:StreamSetup><tt:Stream>RTP-Unicast</tt:Stream><tt:Transport><tt:Protocol>SCTP</tt:Protocol></tt:Transport></trt:StreamSetup></trt:GetStreamUri>".into(),
            sender(&["InvalidArgVal", "InvalidStreamSetup"]),
        ),
        (
            MEDIA,
            "<trt:GetProfile/>".into(),
            sender(&["InvalidArgs"]),
        ),
        (
            MEDIA2,
            "<tr2:GetProfiles><tr2:Token>nope</tr2:Token></tr2:GetProfiles>".into(),
            no_profile.clone(),
        ),
        (
            MEDIA2,
            "<tr2:GetStreamUri><tr2:Protocol>RtspsUnicast</tr2:Protocol><tr2:ProfileToken>ProfileToken_1</tr2:ProfileToken></tr2:GetStreamUri>".into(),
            sender(&["InvalidArgVal", "InvalidStreamSetup"]),
        ),
        (
            MEDIA2,
            "<tr2:GetStreamUri><tr2:Protocol>WebRTC</tr2:Protocol><tr2:ProfileToken>ProfileToken_1</tr2:ProfileToken></tr2:GetStreamUri>".into(),
            sender(&["InvalidArgVal", "InvalidStreamSetup"]),
        ),
        (
            MEDIA2,
            "<tr2:GetStreamUri><tr2:Protocol>RTSP</tr2:Protocol><tr2:ProfileToken>nope</tr2:ProfileToken></tr2:GetStreamUri>".into(),
            no_profile.clone(),
        ),
        (
            MEDIA2,
            "<tr2:GetVideoEncoderConfigurations><tr2:ConfigurationToken>nope</tr2:ConfigurationToken></tr2:GetVideoEncoderConfigurations>".into(),
            no_config.clone(),
        ),
        (
            MEDIA2,
            "<tr2:AddConfiguration><tr2:ProfileToken>ProfileToken_1</tr2:ProfileToken><tr2:Configuration><tr2:Type>VideoEncoder</tr2:Type><tr2:Token>nope</tr2:Token></tr2:Configuration></tr2:AddConfiguration>".into(),
            no_config.clone(),
        ),
        (
            MEDIA2,
            "<tr2:AddConfiguration><tr2:ProfileToken>ProfileToken_1</tr2:ProfileToken><tr2:Configuration><tr2:Type>PTZ</tr2:Type></tr2:Configuration></tr2:AddConfiguration>".into(),
            no_config.clone(),
        ),
        (
            MEDIA2,
            "<tr2:CreateProfile><tr2:Name>half</tr2:Name><tr2:Configuration><tr2:Type>VideoSource</tr2:Type></tr2:Configuration><tr2:Configuration><tr2:Type>VideoEncoder</tr2:Type><tr2:Token>nope</tr2:Token></tr2:Configuration></tr2:CreateProfile>".into(),
            no_config.clone(),
        ),
        (
            MEDIA2,
            r#"<tr2:SetVideoEncoderConfiguration><tr2:Configuration token="VideoEncoderConfigurationToken_1" GovLength="100000"><tt:Name>x</tt:Name><tt:UseCount>1</tt:UseCount><tt:Encoding>H264</tt:Encoding><tt:Resolution><tt:Width>1280</tt:Width><tt:Height>720</tt:Height></tt:Resolution><tt:Quality>50</tt:Quality></tr2:Configuration></tr2:SetVideoEncoderConfiguration>"#.into(),
            config_modify.clone(),
        ),
        (
            MEDIA2,
            "<tr2:GetVideoSourceModes><tr2:VideoSourceToken>nope</tr2:VideoSourceToken></tr2:GetVideoSourceModes>".into(),
            sender(&["InvalidArgVal", "NoSource"]),
        ),
        (
            MEDIA2,
            "<tr2:DeleteOSD><tr2:OSDToken>nope</tr2:OSDToken></tr2:DeleteOSD>".into(),
            no_config.clone(),
        ),
        (
            MEDIA2,
            "<tr2:GetOSDOptions><tr2:ConfigurationToken>nope</tr2:ConfigurationToken></tr2:GetOSDOptions>".into(),
            no_config.clone(),
        ),
    ];
    for (path, body, expected) in cases {
        let r = d.call(path, &body);
        assert_eq!(fault_of(&r), expected, "{body}");
        let status = if expected.0 == "Sender" { 400 } else { 500 };
        assert_eq!(r.status(), status, "{body}");
        assert!(r.effects.is_empty(), "{body}");
    }
    // Nothing a fault answered changed anything.
    assert_eq!(d.ctx.state, before);
}

#[test]
fn access_classes() {
    let mut config = authenticated();
    for (username, password, level) in [
        ("viewer", "view", UserLevel::User),
        ("operator", "oper", UserLevel::Operator),
    ] {
        config.users.push(OnvifUser {
            username: username.into(),
            password: password.into(),
            level,
            fixed: false,
        });
    }
    let mut d = Device::with_config(config);
    let viewer = ("Authorization", "Basic dmlld2VyOnZpZXc=");
    let operator = ("Authorization", "Basic b3BlcmF0b3I6b3Blcg==");
    let r = d.post_with(MEDIA, &soap("<trt:GetProfiles/>"), &[viewer], 1);
    r.ok();
    let set = soap(
        r#"<trt:SetVideoEncoderConfiguration><trt:Configuration token="VideoEncoderConfigurationToken_2"><tt:Quality>10</tt:Quality></trt:Configuration><trt:ForcePersistence>true</trt:ForcePersistence></trt:SetVideoEncoderConfiguration>"#,
    );
    let r = d.post_with(MEDIA, &set, &[viewer], 2);
    assert_eq!(r.status(), 400, "{}", r.http.body);
    assert_eq!(
        d.ctx.state.video_encoder_configurations()[1]
            .settings
            .quality,
        50.0
    );
    d.post_with(MEDIA, &set, &[operator], 3).ok();
    assert_eq!(
        d.ctx.state.video_encoder_configurations()[1]
            .settings
            .quality,
        10.0
    );
}

#[test]
fn media2_profiles_with_type_filters() {
    let mut d = Device::with_config(authenticated());
    let r = d
        .post(MEDIA2, &fixture("media2_zeep_get_profiles.xml"), 14)
        .ok();
    let body = r.body();
    let profiles: Vec<&Element> = body.children_named(ns::TR2, "Profiles").collect();
    assert_eq!(profiles.len(), 2);
    let sets = profiles[0].child(ns::TR2, "Configurations").unwrap();
    let kinds: Vec<&str> = sets.children.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        kinds,
        ["VideoSource", "AudioSource", "VideoEncoder", "AudioEncoder"]
    );
    let encoder = sets.child(ns::TR2, "VideoEncoder").unwrap();
    assert_eq!(encoder.param_text(ns::TT, "Encoding"), Some("H264"));
    assert_eq!(encoder.attr("GovLength"), Some("25"));
    assert_eq!(encoder.attr("Profile"), Some("Main"));

    let r = d
        .post(MEDIA2, &fixture("media2_zeep_get_stream_uri.xml"), 15)
        .ok();
    let uri = media2_uri(&r);
    let target = parse_target(&uri).unwrap();
    assert!(uri.starts_with("rtsp://192.0.2.1:8554/testsrc&"), "{uri}");
    assert_eq!(
        params(&target, &["t", "p", "w", "h"]),
        some(&["unicast", "udp", "640", "360"])
    );

    // No Type: names and tokens only.
    let r = d.call(MEDIA2, "<tr2:GetProfiles/>").ok();
    let body = r.body();
    for p in body.children_named(ns::TR2, "Profiles") {
        assert!(p.child(ns::TR2, "Configurations").is_none());
    }
    // One profile, only the asked types.
    let r = d
        .call(
            MEDIA2,
            "<tr2:GetProfiles><tr2:Token>ProfileToken_1</tr2:Token><tr2:Type>VideoEncoder</tr2:Type><tr2:Type>Metadata</tr2:Type></tr2:GetProfiles>",
        )
        .ok();
    let body = r.body();
    let profiles: Vec<&Element> = body.children_named(ns::TR2, "Profiles").collect();
    assert_eq!(profiles.len(), 1);
    let sets = profiles[0].child(ns::TR2, "Configurations").unwrap();
    let kinds: Vec<&str> = sets.children.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(kinds, ["VideoEncoder"]);

    for (protocol, t, p) in [
        ("RtspUnicast", "unicast", "udp"),
        ("RtspMulticast", "multicast", "udp"),
        ("RTSP", "unicast", "rtsp"),
        ("RtspOverHttp", "unicast", "http"),
    ] {
        let r = d.call(
            MEDIA2,
            &format!("<tr2:GetStreamUri><tr2:Protocol>{protocol}</tr2:Protocol><tr2:ProfileToken>ProfileToken_1</tr2:ProfileToken></tr2:GetStreamUri>"),
        );
        let uri = media2_uri(&r.ok());
        assert!(uri.starts_with("rtsp://"), "{uri}");
        let target = parse_target(&uri).unwrap();
        assert_eq!(params(&target, &["t", "p"]), some(&[t, p]), "{protocol}");
    }
}

#[test]
fn media2_h265_is_set_and_streamed_and_hidden_from_media_ver10() {
    let mut d = Device::new();
    let r = d
        .call(
            MEDIA2,
            r#"<tr2:SetVideoEncoderConfiguration><tr2:Configuration token="VideoEncoderConfigurationToken_1" GovLength="60" Profile="Main10"><tt:Name>hevc</tt:Name><tt:UseCount>1</tt:UseCount><tt:Encoding>H265</tt:Encoding><tt:Resolution><tt:Width>1920</tt:Width><tt:Height>1080</tt:Height></tt:Resolution><tt:RateControl ConstantBitRate="false"><tt:FrameRateLimit>30</tt:FrameRateLimit><tt:BitrateLimit>3000</tt:BitrateLimit></tt:RateControl><tt:Quality>70</tt:Quality></tr2:Configuration></tr2:SetVideoEncoderConfiguration>"#,
        )
        .ok();
    assert_eq!(r.effects.first(), Some(&Effect::PersistConfig));
    assert_eq!(
        events(&r),
        [configuration_changed(
            "VideoEncoderConfigurationToken_1",
            "VideoEncoder"
        )]
    );
    let (uri, target) = stream_target(&mut d, "ProfileToken_1");
    assert_eq!(
        params(&target, &["ve", "w", "h", "fps", "br", "gov", "vp"]),
        some(&["H265", "1920", "1080", "30", "3000", "60", "Main10"]),
        "{uri}"
    );
    // Media2 shows it ...
    let r = d
        .call(
            MEDIA2,
            "<tr2:GetVideoEncoderConfigurations><tr2:ProfileToken>ProfileToken_1</tr2:ProfileToken></tr2:GetVideoEncoderConfigurations>",
        )
        .ok();
    let body = r.body();
    let encodings: Vec<&str> = body
        .children_named(ns::TR2, "Configurations")
        .filter_map(|c| c.param_text(ns::TT, "Encoding"))
        .collect();
    assert_eq!(encodings, ["H265", "H264"]);
    // ... Media ver10 cannot name H.265: not listed, not addressable, and
    // the profile is shown without it.
    let r = d.call(MEDIA, "<trt:GetVideoEncoderConfigurations/>").ok();
    let tokens: Vec<String> = r
        .body()
        .children_named(ns::TRT, "Configurations")
        .filter_map(|c| c.attr("token").map(str::to_owned))
        .collect();
    assert_eq!(tokens, ["VideoEncoderConfigurationToken_2"]);
    let r = d.call(
        MEDIA,
        "<trt:GetVideoEncoderConfiguration><trt:ConfigurationToken>VideoEncoderConfigurationToken_1</trt:ConfigurationToken></trt:GetVideoEncoderConfiguration>",
    );
    assert_eq!(fault_of(&r), sender(&["InvalidArgVal", "NoConfig"]));
    let r = d.call(MEDIA, "<trt:GetProfiles/>").ok();
    let body = r.body();
    let first = body.child(ns::TRT, "Profiles").unwrap();
    assert!(first.child(ns::TT, "VideoEncoderConfiguration").is_none());
    assert!(first.child(ns::TT, "VideoSourceConfiguration").is_some());
}

#[test]
fn media2_profiles_are_built_by_configuration_type() {
    let mut d = Device::new();
    let r = d
        .call(
            MEDIA2,
            "<tr2:CreateProfile><tr2:Name>Built</tr2:Name><tr2:Configuration><tr2:Type>VideoSource</tr2:Type><tr2:Token>VideoSourceConfigurationToken_1</tr2:Token></tr2:Configuration><tr2:Configuration><tr2:Type>VideoEncoder</tr2:Type></tr2:Configuration></tr2:CreateProfile>",
        )
        .ok();
    let token = r.body().param_text(ns::TR2, "Token").unwrap().to_owned();
    assert_eq!(token, "ProfileToken_3");
    assert_eq!(events(&r), [profile_changed(&token)]);
    let profile = d.ctx.state.profile(&token).unwrap();
    assert_eq!(
        profile.video_encoder_configuration.as_deref(),
        Some("VideoEncoderConfigurationToken_1")
    );

    let r = d
        .call(
            MEDIA2,
            &format!("<tr2:AddConfiguration><tr2:ProfileToken>{token}</tr2:ProfileToken><tr2:Name>Renamed</tr2:Name><tr2:Configuration><tr2:Type>AudioSource</tr2:Type></tr2:Configuration><tr2:Configuration><tr2:Type>AudioEncoder</tr2:Type><tr2:Token>AudioEncoderConfigurationToken_1</tr2:Token></tr2:Configuration></tr2:AddConfiguration>"),
        )
        .ok();
    assert_eq!(events(&r), [profile_changed(&token)]);
    let profile = d.ctx.state.profile(&token).unwrap();
    assert_eq!(profile.name, "Renamed");
    assert!(profile.audio_encoder_configuration.is_some());
    let (_, target) = stream_target(&mut d, &token);
    assert_eq!(target.param("ae"), Some("PCMU"));

    d.call(
        MEDIA2,
        &format!("<tr2:RemoveConfiguration><tr2:ProfileToken>{token}</tr2:ProfileToken><tr2:Configuration><tr2:Type>AudioEncoder</tr2:Type></tr2:Configuration><tr2:Configuration><tr2:Type>AudioSource</tr2:Type></tr2:Configuration></tr2:RemoveConfiguration>"),
    )
    .ok();
    let profile = d.ctx.state.profile(&token).unwrap();
    assert!(profile.audio_encoder_configuration.is_none());
    assert!(profile.audio_source_configuration.is_none());

    let r = d
        .call(
            MEDIA2,
            &format!("<tr2:DeleteProfile><tr2:Token>{token}</tr2:Token></tr2:DeleteProfile>"),
        )
        .ok();
    assert_eq!(events(&r), [profile_changed(&token)]);
    assert_eq!(d.ctx.state.profiles().len(), 2);
}

#[test]
fn osds_and_multicast_flags() {
    let mut d = Device::new();
    let r = d
        .call(
            MEDIA2,
            "<tr2:CreateOSD><tr2:OSD token=\"\"><tt:VideoSourceConfigurationToken>VideoSourceConfigurationToken_1</tt:VideoSourceConfigurationToken><tt:Type>Text</tt:Type><tt:Position><tt:Type>UpperLeft</tt:Type></tt:Position><tt:TextString><tt:Type>DateAndTime</tt:Type><tt:DateFormat>yyyy-MM-dd</tt:DateFormat><tt:TimeFormat>HH:mm:ss</tt:TimeFormat><tt:FontSize>20</tt:FontSize></tt:TextString></tr2:OSD></tr2:CreateOSD>",
        )
        .ok();
    assert_eq!(r.body().param_text(ns::TR2, "OSDToken"), Some("OSDToken_1"));
    assert_eq!(events(&r), [configuration_changed("OSDToken_1", "OSD")]);
    let r = d
        .call(
            MEDIA,
            "<trt:GetOSDs><trt:ConfigurationToken>VideoSourceConfigurationToken_1</trt:ConfigurationToken></trt:GetOSDs>",
        )
        .ok();
    assert_eq!(r.body().children_named(ns::TRT, "OSDs").count(), 1);

    let r = d
        .call(
            MEDIA,
            "<trt:StartMulticastStreaming><trt:ProfileToken>ProfileToken_2</trt:ProfileToken></trt:StartMulticastStreaming>",
        )
        .ok();
    assert!(r.effects.is_empty());
    assert!(d.ctx.state.multicast_streaming("ProfileToken_2"));
    d.call(
        MEDIA2,
        "<tr2:StopMulticastStreaming><tr2:ProfileToken>ProfileToken_2</tr2:ProfileToken></tr2:StopMulticastStreaming>",
    )
    .ok();
    assert!(!d.ctx.state.multicast_streaming("ProfileToken_2"));
}

/// One request of the walk: the endpoint path, the operation, the body.
type Step = (&'static str, &'static str, String);

/// Every Media ver10 operation, in an order in which each one succeeds.
fn media1_walk() -> Vec<Step> {
    let p = "<trt:ProfileToken>Walk</trt:ProfileToken>";
    let add = |op: &'static str, token: &str| -> Step {
        (
            MEDIA,
            op,
            format!(
                "<trt:{op}>{p}<trt:ConfigurationToken>{token}</trt:ConfigurationToken></trt:{op}>"
            ),
        )
    };
    let one = |op: &'static str, inner: &str| -> Step {
        (MEDIA, op, format!("<trt:{op}>{inner}</trt:{op}>"))
    };
    let config = |op: &'static str, token: &str| -> Step {
        one(
            op,
            &format!("<trt:ConfigurationToken>{token}</trt:ConfigurationToken>"),
        )
    };
    let profile = |op: &'static str| -> Step {
        one(op, "<trt:ProfileToken>ProfileToken_1</trt:ProfileToken>")
    };
    vec![
        one("GetServiceCapabilities", ""),
        one("GetProfiles", ""),
        one(
            "CreateProfile",
            "<trt:Name>Walk</trt:Name><trt:Token>Walk</trt:Token>",
        ),
        add(
            "AddVideoSourceConfiguration",
            "VideoSourceConfigurationToken_1",
        ),
        add(
            "AddVideoEncoderConfiguration",
            "VideoEncoderConfigurationToken_1",
        ),
        add(
            "AddAudioSourceConfiguration",
            "AudioSourceConfigurationToken_1",
        ),
        add(
            "AddAudioEncoderConfiguration",
            "AudioEncoderConfigurationToken_1",
        ),
        add("AddMetadataConfiguration", "MetadataConfigurationToken_1"),
        one("GetProfile", p),
        one("GetVideoSources", ""),
        one("GetAudioSources", ""),
        one("GetVideoSourceConfigurations", ""),
        config(
            "GetVideoSourceConfiguration",
            "VideoSourceConfigurationToken_1",
        ),
        one(
            "SetVideoSourceConfiguration",
            r#"<trt:Configuration token="VideoSourceConfigurationToken_1"><tt:Name>Camera</tt:Name><tt:UseCount>3</tt:UseCount><tt:SourceToken>VideoSourceToken_1</tt:SourceToken><tt:Bounds x="0" y="0" width="1280" height="720"/></trt:Configuration><trt:ForcePersistence>true</trt:ForcePersistence>"#,
        ),
        config(
            "GetVideoSourceConfigurationOptions",
            "VideoSourceConfigurationToken_1",
        ),
        profile("GetCompatibleVideoSourceConfigurations"),
        one("GetVideoEncoderConfigurations", ""),
        config(
            "GetVideoEncoderConfiguration",
            "VideoEncoderConfigurationToken_1",
        ),
        one(
            "SetVideoEncoderConfiguration",
            r#"<trt:Configuration token="VideoEncoderConfigurationToken_2"><tt:Name>Sub</tt:Name><tt:UseCount>1</tt:UseCount><tt:Encoding>MPEG4</tt:Encoding><tt:Resolution><tt:Width>640</tt:Width><tt:Height>480</tt:Height></tt:Resolution><tt:Quality>30</tt:Quality><tt:RateControl><tt:FrameRateLimit>12</tt:FrameRateLimit><tt:EncodingInterval>1</tt:EncodingInterval><tt:BitrateLimit>768</tt:BitrateLimit></tt:RateControl><tt:MPEG4><tt:GovLength>24</tt:GovLength><tt:Mpeg4Profile>ASP</tt:Mpeg4Profile></tt:MPEG4><tt:Multicast><tt:Address><tt:Type>IPv4</tt:Type><tt:IPv4Address>239.255.10.2</tt:IPv4Address></tt:Address><tt:Port>40004</tt:Port><tt:TTL>3</tt:TTL><tt:AutoStart>false</tt:AutoStart></tt:Multicast><tt:SessionTimeout>PT30S</tt:SessionTimeout></trt:Configuration><trt:ForcePersistence>true</trt:ForcePersistence>"#,
        ),
        config(
            "GetVideoEncoderConfiguration",
            "VideoEncoderConfigurationToken_2",
        ),
        one("GetVideoEncoderConfigurationOptions", p),
        profile("GetCompatibleVideoEncoderConfigurations"),
        one("GetAudioSourceConfigurations", ""),
        config(
            "GetAudioSourceConfiguration",
            "AudioSourceConfigurationToken_1",
        ),
        one(
            "SetAudioSourceConfiguration",
            r#"<trt:Configuration token="AudioSourceConfigurationToken_1"><tt:Name>Mic</tt:Name><tt:UseCount>2</tt:UseCount><tt:SourceToken>AudioSourceToken_1</tt:SourceToken></trt:Configuration><trt:ForcePersistence>true</trt:ForcePersistence>"#,
        ),
        one("GetAudioSourceConfigurationOptions", ""),
        profile("GetCompatibleAudioSourceConfigurations"),
        one("GetAudioEncoderConfigurations", ""),
        config(
            "GetAudioEncoderConfiguration",
            "AudioEncoderConfigurationToken_1",
        ),
        one(
            "SetAudioEncoderConfiguration",
            r#"<trt:Configuration token="AudioEncoderConfigurationToken_1"><tt:Name>Voice</tt:Name><tt:UseCount>2</tt:UseCount><tt:Encoding>AAC</tt:Encoding><tt:Bitrate>96</tt:Bitrate><tt:SampleRate>16</tt:SampleRate><tt:Multicast><tt:Address><tt:Type>IPv4</tt:Type><tt:IPv4Address>239.255.11.1</tt:IPv4Address></tt:Address><tt:Port>41002</tt:Port><tt:TTL>2</tt:TTL><tt:AutoStart>false</tt:AutoStart></tt:Multicast><tt:SessionTimeout>PT1M</tt:SessionTimeout></trt:Configuration><trt:ForcePersistence>true</trt:ForcePersistence>"#,
        ),
        config(
            "GetAudioEncoderConfigurationOptions",
            "AudioEncoderConfigurationToken_1",
        ),
        profile("GetCompatibleAudioEncoderConfigurations"),
        one("GetMetadataConfigurations", ""),
        config("GetMetadataConfiguration", "MetadataConfigurationToken_1"),
        one(
            "SetMetadataConfiguration",
            r#"<trt:Configuration token="MetadataConfigurationToken_1"><tt:Name>Meta</tt:Name><tt:UseCount>1</tt:UseCount><tt:PTZStatus><tt:Status>true</tt:Status><tt:Position>false</tt:Position></tt:PTZStatus><tt:Events/><tt:Analytics>true</tt:Analytics><tt:Multicast><tt:Address><tt:Type>IPv4</tt:Type><tt:IPv4Address>239.255.12.1</tt:IPv4Address></tt:Address><tt:Port>42002</tt:Port><tt:TTL>2</tt:TTL><tt:AutoStart>false</tt:AutoStart></tt:Multicast><tt:SessionTimeout>PT60S</tt:SessionTimeout></trt:Configuration><trt:ForcePersistence>true</trt:ForcePersistence>"#,
        ),
        config("GetMetadataConfiguration", "MetadataConfigurationToken_1"),
        one("GetMetadataConfigurationOptions", ""),
        profile("GetCompatibleMetadataConfigurations"),
        config(
            "GetGuaranteedNumberOfVideoEncoderInstances",
            "VideoSourceConfigurationToken_1",
        ),
        one(
            "GetStreamUri",
            &format!(
                "<trt:StreamSetup><tt:Stream>RTP-Unicast</tt:Stream><tt:Transport><tt:Protocol>RTSP</tt:Protocol></tt:Transport></trt:StreamSetup>{p}"
            ),
        ),
        one("GetSnapshotUri", p),
        one("StartMulticastStreaming", p),
        one("StopMulticastStreaming", p),
        one("SetSynchronizationPoint", p),
        one(
            "CreateOSD",
            "<trt:OSD token=\"x\"><tt:VideoSourceConfigurationToken>VideoSourceConfigurationToken_1</tt:VideoSourceConfigurationToken><tt:Type>Text</tt:Type><tt:Position><tt:Type>Custom</tt:Type><tt:Pos x=\"-0.9\" y=\"0.9\"/></tt:Position><tt:TextString><tt:Type>Plain</tt:Type><tt:FontSize>18</tt:FontSize><tt:PlainText>Front door</tt:PlainText></tt:TextString></trt:OSD>",
        ),
        one("GetOSD", "<trt:OSDToken>OSDToken_1</trt:OSDToken>"),
        one(
            "SetOSD",
            "<trt:OSD token=\"OSDToken_1\"><tt:VideoSourceConfigurationToken>VideoSourceConfigurationToken_1</tt:VideoSourceConfigurationToken><tt:Type>Image</tt:Type><tt:Position><tt:Type>LowerRight</tt:Type></tt:Position><tt:Image><tt:ImgPath>logo.png</tt:ImgPath></tt:Image></trt:OSD>",
        ),
        one("GetOSDs", ""),
        config("GetOSDOptions", "VideoSourceConfigurationToken_1"),
        one("DeleteOSD", "<trt:OSDToken>OSDToken_1</trt:OSDToken>"),
        one("RemoveVideoSourceConfiguration", p),
        one("RemoveVideoEncoderConfiguration", p),
        one("RemoveAudioSourceConfiguration", p),
        one("RemoveAudioEncoderConfiguration", p),
        one("RemoveMetadataConfiguration", p),
        one("DeleteProfile", p),
        one("GetProfiles", ""),
    ]
}

/// Every Media2 operation, in an order in which each one succeeds.
fn media2_walk() -> Vec<Step> {
    let one = |op: &'static str, inner: &str| -> Step {
        (MEDIA2, op, format!("<tr2:{op}>{inner}</tr2:{op}>"))
    };
    let p = "<tr2:ProfileToken>ProfileToken_3</tr2:ProfileToken>";
    let vsc = "<tr2:ConfigurationToken>VideoSourceConfigurationToken_1</tr2:ConfigurationToken>";
    vec![
        one("GetServiceCapabilities", ""),
        one("GetProfiles", "<tr2:Type>All</tr2:Type>"),
        one("GetProfiles", ""),
        one(
            "CreateProfile",
            "<tr2:Name>Walk2</tr2:Name><tr2:Configuration><tr2:Type>VideoSource</tr2:Type><tr2:Token>VideoSourceConfigurationToken_1</tr2:Token></tr2:Configuration>",
        ),
        one(
            "AddConfiguration",
            &format!(
                "{p}<tr2:Name>Walk two</tr2:Name><tr2:Configuration><tr2:Type>VideoEncoder</tr2:Type><tr2:Token>VideoEncoderConfigurationToken_2</tr2:Token></tr2:Configuration><tr2:Configuration><tr2:Type>AudioSource</tr2:Type></tr2:Configuration><tr2:Configuration><tr2:Type>AudioEncoder</tr2:Type></tr2:Configuration><tr2:Configuration><tr2:Type>Metadata</tr2:Type></tr2:Configuration>"
            ),
        ),
        one(
            "GetProfiles",
            "<tr2:Token>ProfileToken_3</tr2:Token><tr2:Type>All</tr2:Type>",
        ),
        one("GetVideoSourceConfigurations", ""),
        one("GetVideoEncoderConfigurations", p),
        one("GetAudioSourceConfigurations", ""),
        one("GetAudioEncoderConfigurations", ""),
        one(
            "GetMetadataConfigurations",
            "<tr2:ConfigurationToken>MetadataConfigurationToken_1</tr2:ConfigurationToken>",
        ),
        one(
            "SetVideoSourceConfiguration",
            r#"<tr2:Configuration token="VideoSourceConfigurationToken_1"><tt:Name>Camera</tt:Name><tt:UseCount>3</tt:UseCount><tt:SourceToken>VideoSourceToken_1</tt:SourceToken><tt:Bounds x="0" y="0" width="1280" height="720"/></tr2:Configuration>"#,
        ),
        one(
            "SetVideoEncoderConfiguration",
            r#"<tr2:Configuration token="VideoEncoderConfigurationToken_1" GovLength="50" Profile="Main"><tt:Name>Main</tt:Name><tt:UseCount>1</tt:UseCount><tt:Encoding>H265</tt:Encoding><tt:Resolution><tt:Width>1920</tt:Width><tt:Height>1080</tt:Height></tt:Resolution><tt:RateControl ConstantBitRate="false"><tt:FrameRateLimit>25</tt:FrameRateLimit><tt:BitrateLimit>4096</tt:BitrateLimit></tt:RateControl><tt:Multicast><tt:Address><tt:Type>IPv4</tt:Type><tt:IPv4Address>239.255.10.1</tt:IPv4Address></tt:Address><tt:Port>40002</tt:Port><tt:TTL>2</tt:TTL><tt:AutoStart>false</tt:AutoStart></tt:Multicast><tt:Quality>80</tt:Quality></tr2:Configuration>"#,
        ),
        one(
            "SetVideoEncoderConfiguration",
            r#"<tr2:Configuration token="VideoEncoderConfigurationToken_2" Profile="Simple" GovLength="10"><tt:Name>Sub</tt:Name><tt:UseCount>2</tt:UseCount><tt:Encoding>MPV4-ES</tt:Encoding><tt:Resolution><tt:Width>352</tt:Width><tt:Height>288</tt:Height></tt:Resolution><tt:Quality>20</tt:Quality></tr2:Configuration>"#,
        ),
        one("GetVideoEncoderConfigurations", ""),
        one(
            "SetAudioSourceConfiguration",
            r#"<tr2:Configuration token="AudioSourceConfigurationToken_1"><tt:Name>Mic</tt:Name><tt:UseCount>2</tt:UseCount><tt:SourceToken>AudioSourceToken_1</tt:SourceToken></tr2:Configuration>"#,
        ),
        one(
            "SetAudioEncoderConfiguration",
            r#"<tr2:Configuration token="AudioEncoderConfigurationToken_1"><tt:Name>Voice</tt:Name><tt:UseCount>2</tt:UseCount><tt:Encoding>MP4A-LATM</tt:Encoding><tt:Bitrate>64</tt:Bitrate><tt:SampleRate>48</tt:SampleRate></tr2:Configuration>"#,
        ),
        one("GetAudioEncoderConfigurations", ""),
        one(
            "SetMetadataConfiguration",
            r#"<tr2:Configuration token="MetadataConfigurationToken_1"><tt:Name>Meta</tt:Name><tt:UseCount>1</tt:UseCount><tt:Events/><tt:Analytics>false</tt:Analytics><tt:Multicast><tt:Address><tt:Type>IPv4</tt:Type><tt:IPv4Address>239.255.12.1</tt:IPv4Address></tt:Address><tt:Port>42002</tt:Port><tt:TTL>2</tt:TTL><tt:AutoStart>false</tt:AutoStart></tt:Multicast><tt:SessionTimeout>PT60S</tt:SessionTimeout></tr2:Configuration>"#,
        ),
        one("GetVideoSourceConfigurationOptions", vsc),
        one("GetVideoEncoderConfigurationOptions", p),
        one("GetAudioSourceConfigurationOptions", ""),
        one("GetAudioEncoderConfigurationOptions", ""),
        one("GetMetadataConfigurationOptions", ""),
        one("GetVideoEncoderInstances", vsc),
        one(
            "GetStreamUri",
            &format!("<tr2:Protocol>RtspOverHttp</tr2:Protocol>{p}"),
        ),
        one("GetSnapshotUri", p),
        one(
            "GetVideoSourceModes",
            "<tr2:VideoSourceToken>VideoSourceToken_1</tr2:VideoSourceToken>",
        ),
        one(
            "SetVideoSourceMode",
            "<tr2:VideoSourceToken>VideoSourceToken_1</tr2:VideoSourceToken><tr2:VideoSourceModeToken>VideoSourceModeToken_1</tr2:VideoSourceModeToken>",
        ),
        one("StartMulticastStreaming", p),
        one("StopMulticastStreaming", p),
        one("SetSynchronizationPoint", p),
        one(
            "CreateOSD",
            "<tr2:OSD token=\"\"><tt:VideoSourceConfigurationToken>VideoSourceConfigurationToken_1</tt:VideoSourceConfigurationToken><tt:Type>Text</tt:Type><tt:Position><tt:Type>UpperLeft</tt:Type></tt:Position><tt:TextString><tt:Type>DateAndTime</tt:Type><tt:DateFormat>yyyy-MM-dd</tt:DateFormat><tt:TimeFormat>HH:mm:ss</tt:TimeFormat><tt:FontSize>16</tt:FontSize></tt:TextString></tr2:OSD>",
        ),
        one(
            "SetOSD",
            "<tr2:OSD token=\"OSDToken_1\"><tt:VideoSourceConfigurationToken>VideoSourceConfigurationToken_1</tt:VideoSourceConfigurationToken><tt:Type>Text</tt:Type><tt:Position><tt:Type>Custom</tt:Type><tt:Pos x=\"0.5\" y=\"-0.5\"/></tt:Position><tt:TextString><tt:Type>Plain</tt:Type><tt:FontSize>24</tt:FontSize><tt:PlainText>Yard</tt:PlainText></tt:TextString></tr2:OSD>",
        ),
        one("GetOSDs", "<tr2:OSDToken>OSDToken_1</tr2:OSDToken>"),
        one("GetOSDOptions", vsc),
        one("DeleteOSD", "<tr2:OSDToken>OSDToken_1</tr2:OSDToken>"),
        one(
            "RemoveConfiguration",
            &format!("{p}<tr2:Configuration><tr2:Type>All</tr2:Type></tr2:Configuration>"),
        ),
        one("DeleteProfile", "<tr2:Token>ProfileToken_3</tr2:Token>"),
        one("GetProfiles", "<tr2:Type>VideoEncoder</tr2:Type>"),
    ]
}

#[test]
fn scripted_walk_through_every_operation_is_schema_valid() {
    let mut d = Device::new();
    // Walk both services on one device; Media2's CreateProfile then makes
    // ProfileToken_3 (Media ver10's `Walk` profile is gone by then).
    let walk: Vec<Step> = media1_walk().into_iter().chain(media2_walk()).collect();

    // The walk covers every registered operation of both services.
    let registry = build_registry().unwrap();
    for (service, path) in [(ServiceKind::Media, MEDIA), (ServiceKind::Media2, MEDIA2)] {
        let registered: BTreeSet<&str> = registry.operations(service).map(|op| op.name).collect();
        let walked: BTreeSet<&str> = walk
            .iter()
            .filter(|(p, _, _)| *p == path)
            .map(|(_, op, _)| *op)
            .collect();
        assert_eq!(registered, walked, "{service:?}");
    }

    let mut envelopes = Vec::new();
    for (path, op, body) in &walk {
        let r = d.call(path, body);
        assert_eq!(r.status(), 200, "{op}: {}", r.http.body);
        let body = r.body();
        assert_eq!(body.name, format!("{op}Response"), "{op}");
        let service = if *path == MEDIA { "media" } else { "media2" };
        envelopes.push((format!("{service}_{op}"), r.http.body.clone()));
    }
    xsd::validate_envelopes("media-walk", &envelopes);
}
