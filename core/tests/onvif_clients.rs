//! Requests in the exact forms real ONVIF clients send them, through HTTP
//! bytes, SOAP parsing, security, dispatch and back out.

mod onvif_common;

use std::time::Duration;

use onvif_common::*;
use onvif_rtsp_core::http::{ConnEvent, DecoderLimits, ServerConn};
use onvif_rtsp_core::onvif::*;

const DEVICE: &str = "/onvif/device_service";

#[test]
fn home_assistant_first_call_needs_no_credentials() {
    let mut h = Harness::new(true);
    let r = h.post(
        DEVICE,
        &fixture("zeep_get_system_date_and_time.xml"),
        &[],
        0,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.header("Content-Type"),
        Some("application/soap+xml; charset=utf-8")
    );
    let env = r.envelope();
    assert_eq!(env.version, SoapVersion::Soap12);
    let utc = env
        .body
        .child(ns::TDS, "SystemDateAndTime")
        .and_then(|s| s.child(ns::TT, "UTCDateTime"))
        .unwrap();
    let time = utc.child(ns::TT, "Time").unwrap();
    assert_eq!(time.param_text(ns::TT, "Hour"), Some("12"));
    assert_eq!(
        utc.child(ns::TT, "Date")
            .unwrap()
            .param_text(ns::TT, "Year"),
        Some("2024")
    );
}

#[test]
fn home_assistant_digest_token_with_fractional_created() {
    let mut h = Harness::new(true);
    let r = h.post(DEVICE, &fixture("zeep_get_device_information.xml"), &[], 3);
    assert_eq!(r.status, 200, "{}", r.body);
    let env = r.envelope();
    assert!(env.body.is(ns::TDS, "GetDeviceInformationResponse"));
    assert_eq!(
        env.body.param_text(ns::TDS, "Manufacturer"),
        Some("Happytimesoft")
    );
}

#[test]
fn zeep_password_text() {
    let mut h = Harness::new(true);
    let r = h.post(DEVICE, &fixture("zeep_password_text.xml"), &[], 3);
    assert_eq!(r.status, 200, "{}", r.body);
}

#[test]
fn npm_onvif_get_profiles_with_must_understand_true() {
    let mut h = Harness::new(true);
    let r = h.post(
        "/onvif/media_service",
        &fixture("npm_onvif_get_profiles.xml"),
        &[],
        5,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let env = r.envelope();
    let tokens: Vec<_> = env
        .body
        .children_named(ns::TRT, "Profiles")
        .filter_map(|p| p.attr("token"))
        .collect();
    assert_eq!(tokens, ["ProfileToken_1", "ProfileToken_2"]);
}

#[test]
fn npm_onvif_ptz_with_undefined_namespace_falls_back_to_the_path() {
    let mut h = Harness::new(true);
    let r = h.post(
        "/onvif/ptz_service",
        &fixture("npm_onvif_continuous_move_undefined_ns.xml"),
        &[],
        6,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.envelope().body.is(ns::TPTZ, "ContinuousMoveResponse"));
    assert_eq!(h.camera.moves, ["ProfileToken_1"]);

    // GetServiceCapabilities exists in several services: a body without
    // namespace goes to the one it was posted to.
    let body = r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><GetServiceCapabilities/></s:Body></s:Envelope>"#;
    let r = h.post("/onvif/ptz_service", body, &[], 6);
    assert!(
        r.envelope()
            .body
            .is(ns::TPTZ, "GetServiceCapabilitiesResponse")
    );
    // Posted to a service without it, the one service that has it answers.
    let r = h.post("/onvif/media_service", body, &[], 6);
    assert!(
        r.envelope()
            .body
            .is(ns::TPTZ, "GetServiceCapabilitiesResponse")
    );
    // An operation nobody has.
    let r = h.post(
        "/onvif/ptz_service",
        &body.replace("GetServiceCapabilities", "GetNothing"),
        &[],
        6,
    );
    assert_eq!(r.status, 500);
    assert_eq!(
        r.fault(),
        Some(("Receiver".into(), vec!["ActionNotSupported".into()]))
    );
}

#[test]
fn odm_get_capabilities_builds_xaddrs_from_the_host_header() {
    let mut h = Harness::new(true);
    let body = fixture("odm_get_capabilities.xml");
    let mut wire = http_post(DEVICE, &body, &[]);
    // A client reaching the device through NAT.
    let text = String::from_utf8(wire)
        .unwrap()
        .replace("Host: 192.0.2.1:8000", "Host: 203.0.113.7:18000");
    wire = text.into_bytes();
    let r = h.exchange(&wire, 7).remove(0);
    assert_eq!(r.status, 200, "{}", r.body);
    let env = r.envelope();
    let caps = env.body.child(ns::TDS, "Capabilities").unwrap();
    assert_eq!(
        caps.child(ns::TT, "Media")
            .unwrap()
            .param_text(ns::TT, "XAddr"),
        Some("http://203.0.113.7:18000/onvif/media_service")
    );
}

#[test]
fn media_requests_posted_to_the_device_endpoint_are_dispatched_by_namespace() {
    let mut h = Harness::new(false);
    let body = r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><trt:GetStreamUri xmlns:trt="http://www.onvif.org/ver10/media/wsdl"><trt:StreamSetup/><trt:ProfileToken>ProfileToken_2</trt:ProfileToken></trt:GetStreamUri></s:Body></s:Envelope>"#;
    let r = h.post(DEVICE, body, &[], 0);
    assert_eq!(r.status, 200, "{}", r.body);
    let env = r.envelope();
    let uri = env.body.child(ns::TRT, "MediaUri").unwrap();
    assert_eq!(
        uri.param_text(ns::TT, "Uri"),
        Some("rtsp://192.0.2.1:554/test.mp4")
    );
}

#[test]
fn soap11_clients_get_soap11_answers() {
    let mut h = Harness::new(true);
    let r = h.post(
        DEVICE,
        &fixture("soap11_get_system_date_and_time.xml"),
        &[(
            "SOAPAction",
            "\"http://www.onvif.org/ver10/device/wsdl/GetSystemDateAndTime\"",
        )],
        0,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("Content-Type"), Some("text/xml; charset=utf-8"));
    assert_eq!(r.envelope().version, SoapVersion::Soap11);
    assert!(
        r.body
            .contains("xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"")
    );

    let r = h.post(
        DEVICE,
        &fixture("soap11_get_device_information.xml"),
        &[],
        7,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.envelope().version, SoapVersion::Soap11);
}

#[test]
fn every_fixture_survives_byte_at_a_time_delivery() {
    for (name, path, secs) in [
        ("zeep_get_system_date_and_time.xml", DEVICE, 0),
        ("zeep_get_device_information.xml", DEVICE, 3),
        ("npm_onvif_get_profiles.xml", "/onvif/media_service", 5),
        ("odm_get_capabilities.xml", DEVICE, 7),
        ("soap11_get_device_information.xml", DEVICE, 7),
    ] {
        let wire = http_post(path, &fixture(name), &[("Expect", "100-continue")]);
        let mut h = Harness::new(true);
        let mut conn = ServerConn::new(DecoderLimits::default());
        let mut interim = 0;
        let mut answered = None;
        for b in &wire {
            conn.push(std::slice::from_ref(b));
            while let Some(event) = conn.poll() {
                match event {
                    ConnEvent::Send(bytes) => {
                        assert_eq!(&bytes[..], b"HTTP/1.1 100 Continue\r\n\r\n");
                        interim += 1;
                    }
                    ConnEvent::Request(request) => {
                        let Answer::Now(response) = h.handle(&request, secs).answer else {
                            panic!()
                        };
                        answered = Some(Parsed::from_wire(&conn.respond(&response).unwrap().bytes));
                    }
                    ConnEvent::SendAndClose(_) => panic!("{name}: refused"),
                }
            }
        }
        assert_eq!(interim, 1, "{name}");
        let r = answered.unwrap_or_else(|| panic!("{name}: no answer"));
        assert_eq!(r.status, 200, "{name}: {}", r.body);
    }
}

#[test]
fn pull_messages_long_poll_parks_and_resumes() {
    let mut h = Harness::new(true);
    let path = "/onvif/event_service/subscription_1";
    let mut wire = http_post(path, &fixture("zeep_pull_messages_wsa.xml"), &[]);
    // A pipelined request behind the long poll must wait for it.
    wire.extend(http_post(
        DEVICE,
        &fixture("zeep_get_system_date_and_time.xml"),
        &[],
    ));
    let mut conn = ServerConn::new(DecoderLimits::default());
    conn.push(&wire);
    let Some(ConnEvent::Request(request)) = conn.poll() else {
        panic!()
    };
    let outcome = h.handle(&request, 3);
    let Answer::Later(parked) = outcome.answer else {
        panic!("PullMessages without events must wait")
    };
    assert_eq!(parked.token(), 1);
    assert_eq!(parked.deadline(), h.t0 + Duration::from_secs(13));
    assert_eq!(conn.poll(), None, "nothing overtakes a parked request");

    // An event arrives: the parked request is resumed and answered.
    h.camera.events.push("tns1:VideoSource/MotionAlarm".into());
    let env = h.env(5);
    let outcome = h.endpoint.resume(
        parked,
        WakeReason::Signal,
        env.now,
        env.device_time,
        &mut h.camera,
    );
    let Answer::Now(response) = outcome.answer else {
        panic!()
    };
    let r = Parsed::from_wire(&conn.respond(&response).unwrap().bytes);
    assert_eq!(r.status, 200, "{}", r.body);
    let env = r.envelope();
    assert_eq!(
        env.header_block(ns::WSA, "RelatesTo").map(Element::text),
        Some("urn:uuid:4b5e1c2c-59a8-4bd5-9b8b-2f1c0a8f1a11")
    );
    assert_eq!(
        env.action(),
        Some("http://www.onvif.org/ver10/events/wsdl/PullPointSubscription/PullMessagesResponse")
    );
    let msg = env.body.child(ns::WSNT, "NotificationMessage").unwrap();
    let topic = msg.child(ns::WSNT, "Topic").unwrap();
    assert_eq!(
        topic.resolve_qname(topic.text()),
        Some((ns::TNS1, "VideoSource/MotionAlarm"))
    );

    // Then the pipelined request goes through.
    let Some(ConnEvent::Request(next)) = conn.poll() else {
        panic!()
    };
    assert_eq!(next.target, DEVICE);
}

#[test]
fn pull_messages_deadline_answers_empty() {
    let mut h = Harness::new(false);
    let body = r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><tev:PullMessages xmlns:tev="http://www.onvif.org/ver10/events/wsdl"><tev:Timeout>PT1M</tev:Timeout><tev:MessageLimit>10</tev:MessageLimit></tev:PullMessages></s:Body></s:Envelope>"#;
    let mut conn = ServerConn::new(DecoderLimits::default());
    conn.push(&http_post("/onvif/event_service", body, &[]));
    let Some(ConnEvent::Request(request)) = conn.poll() else {
        panic!()
    };
    let Answer::Later(parked) = h.handle(&request, 0).answer else {
        panic!()
    };
    assert_eq!(parked.deadline(), h.t0 + Duration::from_secs(60));
    let env = h.env(60);
    let out = h.endpoint.resume(
        parked,
        WakeReason::Deadline,
        env.now,
        env.device_time,
        &mut h.camera,
    );
    let Answer::Now(response) = out.answer else {
        panic!()
    };
    let r = wire_of(&response);
    assert_eq!(r.status, 200);
    let env = r.envelope();
    assert!(env.body.is(ns::TEV, "PullMessagesResponse"));
    assert!(env.body.child(ns::WSNT, "NotificationMessage").is_none());
    // No wsa:MessageID in the request: no RelatesTo.
    assert!(env.header_block(ns::WSA, "RelatesTo").is_none());
}

#[test]
fn effects_are_returned_not_performed() {
    let mut h = Harness::new(false);
    let body = r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><tds:SetHostname xmlns:tds="http://www.onvif.org/ver10/device/wsdl"><tds:Name>lobby-cam</tds:Name></tds:SetHostname></s:Body></s:Envelope>"#;
    let mut conn = ServerConn::new(DecoderLimits::default());
    conn.push(&http_post(DEVICE, body, &[]));
    let Some(ConnEvent::Request(request)) = conn.poll() else {
        panic!()
    };
    let out = h.handle(&request, 0);
    assert_eq!(out.effects, [Effect::PersistConfig]);
    assert_eq!(h.camera.hostname, "lobby-cam");
    let r = wire_of(out.answer.response().unwrap());
    assert!(r.envelope().body.is(ns::TDS, "SetHostnameResponse"));

    // A fault changes nothing and carries no effect.
    let bad = body.replace("lobby-cam", "has space");
    let mut conn = ServerConn::new(DecoderLimits::default());
    conn.push(&http_post(DEVICE, &bad, &[]));
    let Some(ConnEvent::Request(request)) = conn.poll() else {
        panic!()
    };
    let out = h.handle(&request, 0);
    assert!(out.effects.is_empty());
    assert_eq!(h.camera.hostname, "lobby-cam");
    let r = wire_of(out.answer.response().unwrap());
    assert_eq!(r.status, 400);
    assert_eq!(
        r.fault(),
        Some((
            "Sender".into(),
            vec!["InvalidArgVal".into(), "InvalidHostname".into()]
        ))
    );
}

#[test]
fn test_only_echo_operation_round_trips_escaping() {
    let mut h = Harness::new(true);
    let body = r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><t:Echo xmlns:t="urn:test">a &lt;b&gt; &amp; &#x263A; <![CDATA[<raw>]]></t:Echo></s:Body></s:Envelope>"#;
    let r = h.post("/anywhere", body, &[], 0);
    assert_eq!(r.status, 200, "{}", r.body);
    let env = r.envelope();
    assert_eq!(
        env.body.param_text("urn:test", "Text"),
        Some("a <b> & \u{263A} <raw>")
    );
}
