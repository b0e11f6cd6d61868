//! Faults round-trip: written in SOAP 1.2 and 1.1, parsed back
//! namespace-aware, codes, subcodes, reason, detail, status and content type.

mod onvif_common;

use onvif_common::*;
use onvif_rtsp_core::onvif::fault::ter;
use onvif_rtsp_core::onvif::*;

#[test]
fn soap12_fault_round_trip() {
    let fault = Fault::no_profile("Profile<9>&").with_detail(
        r#"<wsrf-r:ResourceUnknownFault><wsrf-bf:Timestamp>2024-02-29T12:00:00Z</wsrf-bf:Timestamp></wsrf-r:ResourceUnknownFault>"#,
    );
    let r = wire_of(&fault.to_response(SoapVersion::Soap12));
    assert_eq!(r.status, 400);
    assert_eq!(
        r.header("Content-Type"),
        Some("application/soap+xml; charset=utf-8")
    );
    assert!(
        r.body
            .contains(" xmlns:ter=\"http://www.onvif.org/ver10/error\"")
    );
    assert_eq!(
        r.fault(),
        Some((
            "Sender".into(),
            vec!["InvalidArgVal".into(), "NoProfile".into()]
        ))
    );
    let env = r.envelope();
    let reason = env
        .body
        .child(ns::SOAP12_ENV, "Reason")
        .and_then(|r| r.child(ns::SOAP12_ENV, "Text"))
        .unwrap();
    assert_eq!(reason.text(), "no profile with token \"Profile<9>&\"");
    let detail = env.body.child(ns::SOAP12_ENV, "Detail").unwrap();
    assert!(detail.child(ns::WSRF_R, "ResourceUnknownFault").is_some());
}

#[test]
fn soap11_fault_round_trip() {
    let fault = Fault::too_many_users();
    let r = wire_of(&fault.to_response(SoapVersion::Soap11));
    assert_eq!(r.status, 500);
    assert_eq!(r.header("Content-Type"), Some("text/xml; charset=utf-8"));
    let env = r.envelope();
    assert_eq!(env.version, SoapVersion::Soap11);
    let code = env.body.child("", "faultcode").unwrap();
    // The most specific subcode stands for the code in SOAP 1.1.
    assert_eq!(
        code.resolve_qname(code.text()),
        Some((ns::TER, "TooManyUsers"))
    );
    assert_eq!(
        env.body.param_text("", "faultstring"),
        Some("maximum number of users reached")
    );
    // Without subcodes, Client/Server.
    let plain = Fault::sender(&[], "bad");
    let r = wire_of(&plain.to_response(SoapVersion::Soap11));
    let env = r.envelope();
    let code = env.body.child("", "faultcode").unwrap();
    assert_eq!(
        code.resolve_qname(code.text()),
        Some((ns::SOAP11_ENV, "Client"))
    );
}

#[test]
fn statuses_follow_the_soap_http_binding() {
    assert_eq!(Fault::invalid_arg_val("x").http_status().0, 400);
    assert_eq!(Fault::action_not_supported("x").http_status().0, 500);
    assert_eq!(Fault::version_mismatch().http_status().0, 500);
    assert_eq!(Fault::not_authorized().http_status().0, 400);
    let chained = Fault::sender(&[ter::INVALID_ARG_VAL, ter::CONFIG_MODIFY], "no");
    assert!(chained.has_subcode(ter::CONFIG_MODIFY));
    assert_eq!(chained, Fault::config_modify("no"));
}

#[test]
fn handler_faults_and_unknown_operations_reach_the_client() {
    let mut h = Harness::new(false);
    let r = h.post(
        "/onvif/media_service",
        r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><trt:GetStreamUri xmlns:trt="http://www.onvif.org/ver10/media/wsdl"><trt:ProfileToken>nope</trt:ProfileToken></trt:GetStreamUri></s:Body></s:Envelope>"#,
        &[],
        0,
    );
    assert_eq!(r.status, 400);
    assert_eq!(
        r.fault(),
        Some((
            "Sender".into(),
            vec!["InvalidArgVal".into(), "NoProfile".into()]
        ))
    );
    let r = h.post(
        "/onvif/device_service",
        r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><tds:UpgradeSystemFirmware xmlns:tds="http://www.onvif.org/ver10/device/wsdl"/></s:Body></s:Envelope>"#,
        &[],
        0,
    );
    assert_eq!(r.status, 500);
    assert_eq!(
        r.fault(),
        Some(("Receiver".into(), vec!["ActionNotSupported".into()]))
    );
}

#[test]
fn every_declared_prefix_resolves_in_a_response() {
    let r = wire_of(&Fault::not_authorized().to_response(SoapVersion::Soap12));
    let env = r.envelope();
    for (prefix, uri) in ns::PREFIXES {
        assert_eq!(env.body.lookup_prefix(prefix), Some(*uri), "{prefix}");
    }
}
