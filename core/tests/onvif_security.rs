//! Security edge cases: replayed nonces, stale and future `Created`, wrong
//! passwords, PasswordText, HTTP Digest and Basic, HTTP first when both are
//! present, user levels, throttling, and clock skew versus PRE_AUTH.

mod onvif_common;

use std::time::Duration;

use base64::Engine;
use onvif_common::*;
use onvif_rtsp_core::onvif::security::password_digest;
use onvif_rtsp_core::onvif::*;
use onvif_rtsp_core::rtsp::auth::{Challenge, parse_challenge};

const DEVICE: &str = "/onvif/device_service";
const GET_INFO: &str =
    r#"<tds:GetDeviceInformation xmlns:tds="http://www.onvif.org/ver10/device/wsdl"/>"#;
const GET_TIME: &str =
    r#"<tds:GetSystemDateAndTime xmlns:tds="http://www.onvif.org/ver10/device/wsdl"/>"#;

fn envelope(header: &str, body: &str) -> String {
    format!(
        r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Header>{header}</s:Header><s:Body>{body}</s:Body></s:Envelope>"#
    )
}

/// A UsernameToken header. `nonce` is raw bytes; `created` as sent.
fn token(user: &str, password: &str, nonce: &[u8], created: &str, digest: bool) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(nonce);
    let (kind, value) = if digest {
        ("PasswordDigest", password_digest(nonce, created, password))
    } else {
        ("PasswordText", password.to_owned())
    };
    format!(
        r#"<wsse:Security s:mustUnderstand="1" xmlns:wsse="{}" xmlns:wsu="{}"><wsse:UsernameToken><wsse:Username>{user}</wsse:Username><wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#{kind}">{value}</wsse:Password><wsse:Nonce>{b64}</wsse:Nonce><wsu:Created>{created}</wsu:Created></wsse:UsernameToken></wsse:Security>"#,
        ns::WSSE,
        ns::WSU
    )
}

fn assert_not_authorized(r: &Parsed, status: u16) {
    assert_eq!(r.status, status, "{}", r.body);
    assert_eq!(
        r.header("Content-Type"),
        Some("application/soap+xml; charset=utf-8")
    );
    assert_eq!(
        r.fault(),
        Some(("Sender".into(), vec!["NotAuthorized".into()]))
    );
}

#[test]
fn replayed_nonce_is_refused() {
    let mut h = Harness::new(true);
    let fixture = fixture("zeep_get_device_information.xml");
    assert_eq!(h.post(DEVICE, &fixture, &[], 3).status, 200);
    assert_not_authorized(&h.post(DEVICE, &fixture, &[], 4), 400);
    // A fresh nonce works again.
    let t = token(
        "admin",
        "admin",
        b"another nonce 01",
        "2024-02-29T12:00:04Z",
        true,
    );
    assert_eq!(h.post(DEVICE, &envelope(&t, GET_INFO), &[], 4).status, 200);
}

#[test]
fn stale_and_future_created_are_refused_but_pre_auth_still_works() {
    let mut h = Harness::new(true);
    let t = token(
        "admin",
        "admin",
        b"nonce-stale-0001",
        "2024-02-29T12:00:00Z",
        true,
    );
    // Ten minutes later on the device clock: outside the 5-minute window.
    assert_not_authorized(&h.post(DEVICE, &envelope(&t, GET_INFO), &[], 600), 400);
    // Ten minutes before: a client clock far ahead.
    let t = token(
        "admin",
        "admin",
        b"nonce-future-001",
        "2024-02-29T12:10:00.5+00:00",
        true,
    );
    assert_not_authorized(&h.post(DEVICE, &envelope(&t, GET_INFO), &[], 0), 400);
    // The same skewed client can always read the device clock, token attached.
    let r = h.post(DEVICE, &envelope(&t, GET_TIME), &[], 0);
    assert_eq!(r.status, 200, "{}", r.body);
    // Just inside the window either way.
    let t = token(
        "admin",
        "admin",
        b"nonce-edge-00001",
        "2024-02-29T12:05:00+00:00",
        true,
    );
    assert_eq!(h.post(DEVICE, &envelope(&t, GET_INFO), &[], 0).status, 200);
    let t = token(
        "admin",
        "admin",
        b"nonce-edge-00002",
        "2024-02-29T11:55:00Z",
        true,
    );
    assert_eq!(h.post(DEVICE, &envelope(&t, GET_INFO), &[], 0).status, 200);
}

#[test]
fn freshness_check_can_be_disabled() {
    let mut h = Harness::with_config(
        true,
        SecurityConfig {
            freshness: None,
            ..SecurityConfig::default()
        },
    );
    let t = token(
        "admin",
        "admin",
        b"nonce-old-000001",
        "2001-01-01T00:00:00Z",
        true,
    );
    assert_eq!(h.post(DEVICE, &envelope(&t, GET_INFO), &[], 0).status, 200);
    assert_not_authorized(&h.post(DEVICE, &envelope(&t, GET_INFO), &[], 1), 400);
}

#[test]
fn wrong_password_unknown_user_and_malformed_tokens() {
    let mut h = Harness::new(true);
    for t in [
        token(
            "admin",
            "wrong",
            b"n-wrong-00000001",
            "2024-02-29T12:00:00Z",
            true,
        ),
        token(
            "admin",
            "wrong",
            b"n-wrong-00000002",
            "2024-02-29T12:00:00Z",
            false,
        ),
        token(
            "nobody",
            "admin",
            b"n-wrong-00000003",
            "2024-02-29T12:00:00Z",
            true,
        ),
        token("admin", "admin", b"n-wrong-00000004", "yesterday", true),
        // Digest without Nonce and Created.
        format!(
            r#"<Security xmlns="{}"><UsernameToken><Username>admin</Username><Password Type="{}">x</Password></UsernameToken></Security>"#,
            ns::WSSE,
            ns::PASSWORD_DIGEST
        ),
        // No Password at all.
        format!(
            r#"<Security xmlns="{}"><UsernameToken><Username>admin</Username></UsernameToken></Security>"#,
            ns::WSSE
        ),
    ] {
        assert_not_authorized(&h.post(DEVICE, &envelope(&t, GET_INFO), &[], 0), 400);
    }
}

#[test]
fn password_text_with_and_without_nonce() {
    let mut h = Harness::new(true);
    let bare = format!(
        r#"<Security xmlns="{}"><UsernameToken><Username>admin</Username><Password>admin</Password></UsernameToken></Security>"#,
        ns::WSSE
    );
    assert_eq!(
        h.post(DEVICE, &envelope(&bare, GET_INFO), &[], 0).status,
        200
    );
    let t = token(
        "admin",
        "admin",
        b"n-text-000000001",
        "2024-02-29T12:00:00Z",
        false,
    );
    assert_eq!(h.post(DEVICE, &envelope(&t, GET_INFO), &[], 0).status, 200);
}

#[test]
fn missing_credentials_get_a_digest_challenge_and_a_soap_fault() {
    let mut h = Harness::new(true);
    let r = h.post(DEVICE, &envelope("", GET_INFO), &[], 0);
    assert_not_authorized(&r, 401);
    let challenges: Vec<_> = r.headers_named("WWW-Authenticate").collect();
    assert_eq!(
        challenges.len(),
        1,
        "one challenge: Python clients join repeated fields"
    );
    assert!(
        challenges[0].starts_with("Digest realm=\"onvif-rtsp-server\", qop=\"auth\", nonce=\"")
    );
    assert!(challenges[0].ends_with("algorithm=MD5"));
}

fn digest_answer(challenge: &str, user: &str, password: &str, uri: &str) -> String {
    let c: Challenge = parse_challenge(challenge).unwrap();
    c.respond(user, password, "POST", uri, "0a4f113b")
}

#[test]
fn http_digest_authenticates_and_expires() {
    let mut h = Harness::new(true);
    let r = h.post(DEVICE, &envelope("", GET_INFO), &[], 0);
    let challenge = r.header("WWW-Authenticate").unwrap().to_owned();
    let auth = digest_answer(&challenge, "admin", "admin", DEVICE);
    assert!(auth.contains("qop=auth"));
    let r = h.post(
        DEVICE,
        &envelope("", GET_INFO),
        &[("Authorization", &auth)],
        1,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    // The same nonce keeps working for its lifetime (clients reuse it) ...
    let r = h.post(
        DEVICE,
        &envelope("", GET_INFO),
        &[("Authorization", &auth)],
        200,
    );
    assert_eq!(r.status, 200);
    // ... then it is stale: a new challenge says so.
    let r = h.post(
        DEVICE,
        &envelope("", GET_INFO),
        &[("Authorization", &auth)],
        400,
    );
    assert_not_authorized(&r, 401);
    assert!(
        r.header("WWW-Authenticate")
            .unwrap()
            .ends_with("stale=true")
    );
    // A wrong password is not stale.
    let wrong = digest_answer(&challenge, "admin", "nope", DEVICE);
    let r = h.post(
        DEVICE,
        &envelope("", GET_INFO),
        &[("Authorization", &wrong)],
        2,
    );
    assert_not_authorized(&r, 401);
    assert!(!r.header("WWW-Authenticate").unwrap().contains("stale"));
    // The digest URI may be absolute or carry a trailing slash.
    let abs = digest_answer(
        &challenge,
        "admin",
        "admin",
        "http://192.0.2.1:8000/onvif/device_service/",
    );
    let r = h.post(
        DEVICE,
        &envelope("", GET_INFO),
        &[("Authorization", &abs)],
        3,
    );
    assert_eq!(r.status, 200);
    // But not another resource.
    let other = digest_answer(&challenge, "admin", "admin", "/onvif/media_service");
    let r = h.post(
        DEVICE,
        &envelope("", GET_INFO),
        &[("Authorization", &other)],
        3,
    );
    assert_eq!(r.status, 401);
}

#[test]
fn sha256_digest_and_basic() {
    let mut h = Harness::with_config(
        true,
        SecurityConfig {
            offer_sha256: true,
            ..SecurityConfig::default()
        },
    );
    let r = h.post(DEVICE, &envelope("", GET_INFO), &[], 0);
    let challenges: Vec<_> = r
        .headers_named("WWW-Authenticate")
        .map(str::to_owned)
        .collect();
    assert_eq!(challenges.len(), 2);
    assert!(challenges[0].contains("SHA-256"));
    let auth = digest_answer(&challenges[0], "admin", "admin", DEVICE);
    assert!(auth.contains("algorithm=SHA-256"));
    assert_eq!(
        h.post(
            DEVICE,
            &envelope("", GET_INFO),
            &[("Authorization", &auth)],
            1
        )
        .status,
        200
    );
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("admin:admin")
    );
    assert_eq!(
        h.post(
            DEVICE,
            &envelope("", GET_INFO),
            &[("Authorization", &basic)],
            1
        )
        .status,
        200
    );

    let mut strict = Harness::with_config(
        true,
        SecurityConfig {
            allow_basic: false,
            ..SecurityConfig::default()
        },
    );
    assert_eq!(
        strict
            .post(
                DEVICE,
                &envelope("", GET_INFO),
                &[("Authorization", &basic)],
                1
            )
            .status,
        401
    );
}

#[test]
fn http_credentials_decide_when_both_are_present() {
    let mut h = Harness::new(true);
    let challenge = h
        .post(DEVICE, &envelope("", GET_INFO), &[], 0)
        .header("WWW-Authenticate")
        .unwrap()
        .to_owned();
    let good_http = digest_answer(&challenge, "admin", "admin", DEVICE);
    let bad_http = digest_answer(&challenge, "admin", "bad", DEVICE);
    let bad_token = token(
        "admin",
        "bad",
        b"n-both-000000001",
        "2024-02-29T12:00:00Z",
        true,
    );
    let good_token = token(
        "admin",
        "admin",
        b"n-both-000000002",
        "2024-02-29T12:00:00Z",
        true,
    );
    // Good HTTP, bad token: HTTP decides, accepted.
    let r = h.post(
        DEVICE,
        &envelope(&bad_token, GET_INFO),
        &[("Authorization", &good_http)],
        1,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    // Bad HTTP, good token: HTTP decides, refused with a challenge.
    let r = h.post(
        DEVICE,
        &envelope(&good_token, GET_INFO),
        &[("Authorization", &bad_http)],
        1,
    );
    assert_not_authorized(&r, 401);
    // An Authorization header of an unknown scheme is no HTTP credential.
    let r = h.post(
        DEVICE,
        &envelope(&good_token, GET_INFO),
        &[("Authorization", "Bearer abc")],
        1,
    );
    assert_eq!(r.status, 200, "{}", r.body);
}

#[test]
fn user_levels_follow_the_default_access_policy() {
    let mut h = Harness::new(true);
    let set_hostname = r#"<tds:SetHostname xmlns:tds="http://www.onvif.org/ver10/device/wsdl"><tds:Name>x</tds:Name></tds:SetHostname>"#;
    let move_ = r#"<tptz:ContinuousMove xmlns:tptz="http://www.onvif.org/ver20/ptz/wsdl"><tptz:ProfileToken>ProfileToken_1</tptz:ProfileToken></tptz:ContinuousMove>"#;
    let cases = [
        ("user", "user-pass", GET_INFO, 200),
        ("user", "user-pass", move_, 400),
        ("user", "user-pass", set_hostname, 400),
        ("operator", "op-pass", move_, 200),
        ("operator", "op-pass", set_hostname, 400),
        ("admin", "admin", set_hostname, 200),
    ];
    for (i, (user, password, body, status)) in cases.into_iter().enumerate() {
        let nonce = format!("level-nonce-{i:04}");
        let t = token(
            user,
            password,
            nonce.as_bytes(),
            "2024-02-29T12:00:00Z",
            true,
        );
        let r = h.post(DEVICE, &envelope(&t, body), &[], 0);
        assert_eq!(r.status, status, "{user}: {}", r.body);
        if status != 200 {
            assert_not_authorized(&r, 400);
        }
    }
    // The operator fixture from ONVIF Device Manager asks for the user list.
    assert_not_authorized(&h.post(DEVICE, &fixture("odm_get_users.xml"), &[], 7), 400);
}

#[test]
fn authentication_off_lets_everyone_in_as_administrator() {
    let mut h = Harness::new(false);
    let r = h.post(
        DEVICE,
        &envelope(
            "",
            r#"<SystemReboot xmlns="http://www.onvif.org/ver10/device/wsdl"/>"#,
        ),
        &[],
        0,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    // Even with junk credentials.
    let t = token(
        "ghost",
        "x",
        b"n-off-0000000001",
        "1999-01-01T00:00:00Z",
        true,
    );
    assert_eq!(h.post(DEVICE, &envelope(&t, GET_INFO), &[], 0).status, 200);
}

#[test]
fn brute_force_is_throttled_per_client_but_pre_auth_stays_open() {
    let mut h = Harness::new(true);
    for i in 0..10 {
        let t = token(
            "admin",
            "guess",
            format!("bf-nonce-{i:07}").as_bytes(),
            "2024-02-29T12:00:00Z",
            true,
        );
        assert_not_authorized(&h.post(DEVICE, &envelope(&t, GET_INFO), &[], 1), 400);
    }
    // Blocked now, even with the right password.
    let good = token(
        "admin",
        "admin",
        b"bf-nonce-correct",
        "2024-02-29T12:00:00Z",
        true,
    );
    let r = h.post(DEVICE, &envelope(&good, GET_INFO), &[], 2);
    assert_not_authorized(&r, 429);
    assert_eq!(r.header("Retry-After"), Some("9"));
    // Another client is not affected.
    let other_peer = h.peer;
    h.peer = "192.0.2.77".parse().unwrap();
    assert_eq!(
        h.post(DEVICE, &envelope(&good, GET_INFO), &[], 2).status,
        200
    );
    h.peer = other_peer;
    // The blocked client can still read the clock.
    assert_eq!(h.post(DEVICE, &envelope("", GET_TIME), &[], 3).status, 200);
    // And gets in once the block is over.
    let good = token(
        "admin",
        "admin",
        b"bf-nonce-later01",
        "2024-02-29T12:00:12Z",
        true,
    );
    assert_eq!(
        h.post(DEVICE, &envelope(&good, GET_INFO), &[], 12).status,
        200
    );
}

#[test]
fn must_understand_variants_are_all_accepted() {
    let mut h = Harness::new(true);
    for (i, mu) in ["1", "true", "0", "false"].into_iter().enumerate() {
        let t = token(
            "admin",
            "admin",
            format!("mu-nonce-{i:07}").as_bytes(),
            "2024-02-29T12:00:00Z",
            true,
        )
        .replace(
            "s:mustUnderstand=\"1\"",
            &format!("s:mustUnderstand=\"{mu}\""),
        );
        let r = h.post(DEVICE, &envelope(&t, GET_INFO), &[], 0);
        assert_eq!(r.status, 200, "mustUnderstand={mu}: {}", r.body);
    }
}

#[test]
fn security_check_serves_non_soap_resources_too() {
    // A snapshot GET goes through the same rules, answered in plain HTTP.
    let mut h = Harness::new(true);
    let env = h.env(0);
    let req = AuthRequest {
        method: "GET",
        target: "/snapshot?token=ProfileToken_1",
        authorization: None,
        soap_header: None,
        peer: env.peer,
        now: env.now,
        device_time: env.device_time,
    };
    let denial = h
        .endpoint
        .security_mut()
        .check(&req, AccessClass::ReadMedia, &h.camera)
        .unwrap_err();
    assert_eq!(denial.reason, DenialReason::Missing);
    let r = wire_of(&denial.http_response());
    assert_eq!(r.status, 401);
    let challenge = r.header("WWW-Authenticate").unwrap();
    let auth = parse_challenge(challenge).unwrap().respond(
        "user",
        "user-pass",
        "GET",
        "/snapshot?token=ProfileToken_1",
        "c1",
    );
    let req = AuthRequest {
        authorization: Some(&auth),
        now: env.now + Duration::from_secs(1),
        ..req
    };
    let principal = h
        .endpoint
        .security_mut()
        .check(&req, AccessClass::ReadMedia, &h.camera)
        .unwrap();
    assert_eq!(principal.username.as_deref(), Some("user"));
    assert_eq!(principal.level, UserLevel::User);
    assert_eq!(principal.method, AuthMethod::HttpDigest);
}
