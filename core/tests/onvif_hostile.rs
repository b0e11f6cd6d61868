//! Hostile and broken input: every answer is a proper HTTP response, a SOAP
//! fault when the request got as far as SOAP, never HTML, never a panic.

mod onvif_common;

use onvif_common::*;
use onvif_rtsp_core::onvif::*;

const DEVICE: &str = "/onvif/device_service";

fn assert_well_formed_fault(r: &Parsed) {
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(
        r.fault(),
        Some(("Sender".into(), vec!["WellFormed".into()])),
        "{}",
        r.body
    );
}

#[test]
fn entity_attacks_are_refused_before_expansion() {
    let mut h = Harness::new(false);
    for name in [
        "hostile_billion_laughs.xml",
        "hostile_xxe.xml",
        "hostile_undeclared_entity.xml",
    ] {
        let r = h.post(DEVICE, &fixture(name), &[], 0);
        assert_well_formed_fault(&r);
        assert!(
            !r.body.contains("lollol") && !r.body.contains("root:"),
            "{name}"
        );
    }
    assert_eq!(h.camera.hostname, "camera");
}

#[test]
fn deep_nesting_and_huge_values_are_refused() {
    let mut h = Harness::new(false);
    let deep = format!(
        r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><SetHostname xmlns="http://www.onvif.org/ver10/device/wsdl">{}{}</SetHostname></s:Body></s:Envelope>"#,
        "<Name>".repeat(60_000),
        "</Name>".repeat(60_000)
    );
    assert_well_formed_fault(&h.post(DEVICE, &deep, &[], 0));

    let huge_attr = format!(
        r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><SetHostname xmlns="http://www.onvif.org/ver10/device/wsdl" a="{}"><Name>x</Name></SetHostname></s:Body></s:Envelope>"#,
        "A".repeat(900_000)
    );
    assert_well_formed_fault(&h.post(DEVICE, &huge_attr, &[], 0));

    let many_attrs: String = (0..5000).map(|i| format!(" a{i}=\"1\"")).collect();
    let crowded = format!(
        r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><GetSystemDateAndTime xmlns="http://www.onvif.org/ver10/device/wsdl"{many_attrs}/></s:Body></s:Envelope>"#
    );
    assert_well_formed_fault(&h.post(DEVICE, &crowded, &[], 0));
    assert_eq!(h.camera.hostname, "camera");
}

#[test]
fn oversized_bodies_stop_at_the_http_layer() {
    let mut h = Harness::new(false);
    let body = "x".repeat(1024 * 1024 + 1);
    let r = h.exchange(&http_post(DEVICE, &body, &[]), 0).remove(0);
    assert_eq!(r.status, 413);
    assert_eq!(r.header("Connection"), Some("close"));
}

#[test]
fn structurally_wrong_requests_get_faults_in_the_clients_version() {
    let mut h = Harness::new(false);
    // Not XML at all, sent as SOAP 1.1: the fault is SOAP 1.1.
    let wire = String::from_utf8(http_post(DEVICE, "hello", &[]))
        .unwrap()
        .replace("application/soap+xml", "text/xml");
    let r = h.exchange(wire.as_bytes(), 0).remove(0);
    assert_eq!(r.status, 400);
    assert_eq!(r.header("Content-Type"), Some("text/xml; charset=utf-8"));
    assert_eq!(r.fault(), Some(("WellFormed".into(), vec![])));

    // An Envelope of an unknown SOAP version.
    let r = h.post(
        DEVICE,
        r#"<e:Envelope xmlns:e="http://example.com/soap3"><e:Body><x/></e:Body></e:Envelope>"#,
        &[],
        0,
    );
    assert_eq!(r.status, 500);
    assert_eq!(r.fault(), Some(("VersionMismatch".into(), vec![])));

    // No Body, empty Body.
    for body in [
        r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Header/></s:Envelope>"#,
        r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body/></s:Envelope>"#,
    ] {
        let r = h.post(DEVICE, body, &[], 0);
        assert_eq!(r.status, 400);
        assert_eq!(
            r.fault(),
            Some(("Sender".into(), vec!["InvalidArgs".into()]))
        );
    }

    // Not UTF-8.
    let mut wire = http_post(DEVICE, "<a>\u{e9}</a>", &[]);
    let n = wire.len();
    wire[n - 6] = 0xff;
    let r = h.exchange(&wire, 0).remove(0);
    assert_eq!(r.status, 400);
    assert!(r.fault().is_some());

    // A missing required parameter.
    let r = h.post(
        "/onvif/media_service",
        r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><GetStreamUri xmlns="http://www.onvif.org/ver10/media/wsdl"/></s:Body></s:Envelope>"#,
        &[],
        0,
    );
    assert_eq!(r.status, 400);
    assert_eq!(
        r.fault(),
        Some(("Sender".into(), vec!["InvalidArgs".into()]))
    );
}

#[test]
fn non_post_methods_are_refused_plainly() {
    let mut h = Harness::new(false);
    let r = h
        .exchange(b"GET /onvif/device_service HTTP/1.1\r\nHost: x\r\n\r\n", 0)
        .remove(0);
    assert_eq!(r.status, 405);
    assert_eq!(r.header("Allow"), Some("POST"));
    assert!(!r.body.contains('<'));
}

#[test]
fn mutated_requests_never_panic() {
    let seeds = [
        fixture("zeep_get_device_information.xml"),
        fixture("npm_onvif_continuous_move_undefined_ns.xml"),
        fixture("soap11_get_device_information.xml"),
        fixture("zeep_pull_messages_wsa.xml"),
    ];
    let mut rng = onvif_rtsp_core::rng::Rng::new(2024);
    let mut h = Harness::new(true);
    for round in 0..1500 {
        let seed = seeds[round % seeds.len()].as_bytes();
        let mut bytes = seed.to_vec();
        for _ in 0..1 + rng.below(6) {
            let i = rng.below(bytes.len() as u64) as usize;
            let alphabet = b"<>&;:\"'=/!?x \xc3#\x00";
            let b = alphabet[rng.below(alphabet.len() as u64) as usize];
            match rng.below(3) {
                0 => bytes[i] = b,
                1 => {
                    bytes.remove(i);
                }
                _ => bytes.insert(i, b),
            }
        }
        let mut wire = format!(
            "POST /onvif/device_service HTTP/1.1\r\nHost: h\r\nContent-Length: {}\r\n\r\n",
            bytes.len()
        )
        .into_bytes();
        wire.extend_from_slice(&bytes);
        let mut conn =
            onvif_rtsp_core::http::ServerConn::new(onvif_rtsp_core::http::DecoderLimits::default());
        conn.push(&wire);
        while let Some(event) = conn.poll() {
            if let onvif_rtsp_core::http::ConnEvent::Request(request) = event {
                match h.handle(&request, 5).answer {
                    Answer::Now(response) => {
                        let r = wire_of(&response);
                        assert!(!r.body.contains("<html"));
                        if r.status != 200 {
                            assert!(r.fault().is_some(), "{}", r.body);
                        }
                        conn.respond(&response).unwrap();
                    }
                    Answer::Later(_) => break,
                }
            }
        }
    }
}
