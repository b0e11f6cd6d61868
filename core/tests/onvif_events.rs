//! The event service driven through the real endpoint and device context,
//! with requests as Home Assistant's onvif-zeep-async, ONVIF Device
//! Manager and the npm `onvif` client send them: pull points, long polls,
//! filters, expiry, simulation, push subscriptions, and every response
//! checked against the official XSDs.

mod xsd;

use std::time::{Duration, Instant};

use onvif_rtsp_core::config::OnvifConfig;
use onvif_rtsp_core::http::{ConnEvent, DecoderLimits, Response, ServerConn};
use onvif_rtsp_core::onvif::*;
use onvif_rtsp_core::onvif_device::events::{EventLimits, EventState, relay_state, topics};
use onvif_rtsp_core::onvif_device::{HostInfo, OnvifContext, build_registry};
use onvif_rtsp_core::onvif_state::DeviceState;
use onvif_rtsp_core::rng::Rng;

/// The device clock at test time 0: 2024-02-29T12:00:00Z.
const T0_UNIX: u64 = 1_709_208_000;

const SUB1: &str = "/onvif/event_service/subscription/1";
const EVENTS: &str = "/onvif/event_service";

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/onvif_fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// What a request came to.
enum Got {
    Now(Box<Reply>),
    Later(Box<Parked>),
}

/// A response, parsed.
struct Reply {
    status: u16,
    content_type: String,
    body: String,
    envelope: Envelope,
    effects: Vec<Effect>,
}

impl Reply {
    fn op(&self) -> &Element {
        &self.envelope.body
    }

    fn is_fault(&self) -> bool {
        self.op().name == "Fault"
    }

    /// The SOAP 1.2 subcode values, as written (`ter:InvalidArgVal`...).
    fn subcodes(&self) -> Vec<String> {
        let mut out = Vec::new();
        let Some(mut at) = self.op().child(ns::SOAP12_ENV, "Code") else {
            return out;
        };
        while let Some(sub) = at.child(ns::SOAP12_ENV, "Subcode") {
            if let Some(v) = sub.child(ns::SOAP12_ENV, "Value") {
                out.push(v.text().to_owned());
            }
            at = sub;
        }
        out
    }

    /// The first element of the fault detail, `{ns}name`.
    fn detail(&self) -> Option<&Element> {
        self.op()
            .child(ns::SOAP12_ENV, "Detail")
            .and_then(|d| d.children.first())
    }

    fn action(&self) -> Option<&str> {
        self.envelope.action()
    }

    /// The `wsnt:NotificationMessage`s of a PullMessagesResponse.
    fn messages(&self) -> Vec<&Element> {
        self.op()
            .children_named(ns::WSNT, "NotificationMessage")
            .collect()
    }
}

/// `(topic, PropertyOperation, data items)` of a notification message.
fn describe(m: &Element) -> (String, String, Vec<(String, String)>) {
    let topic = m.child(ns::WSNT, "Topic").expect("Topic");
    assert_eq!(
        topic.attr("Dialect"),
        Some("http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet")
    );
    let (tns, _) = topic
        .resolve_qname(topic.text())
        .expect("topic prefix declared");
    assert_eq!(tns, ns::TNS1);
    let message = m
        .child(ns::WSNT, "Message")
        .and_then(|w| w.child(ns::TT, "Message"))
        .expect("tt:Message");
    assert!(message.attr("UtcTime").is_some_and(|t| t.ends_with('Z')));
    let data = message
        .child(ns::TT, "Data")
        .map(|d| {
            d.children_named(ns::TT, "SimpleItem")
                .map(|i| {
                    (
                        i.attr("Name").unwrap_or("").to_owned(),
                        i.attr("Value").unwrap_or("").to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    (
        topic.text().to_owned(),
        message.attr("PropertyOperation").unwrap_or("").to_owned(),
        data,
    )
}

fn parse_response(response: &Response, effects: Vec<Effect>) -> Reply {
    let body = String::from_utf8(response.body.to_vec()).expect("UTF-8");
    let envelope = parse_envelope(body.as_bytes(), &XmlLimits::default())
        .unwrap_or_else(|e| panic!("not SOAP ({e}): {body}"));
    Reply {
        status: response.status.0,
        content_type: response
            .headers
            .get("Content-Type")
            .unwrap_or("")
            .to_owned(),
        body,
        envelope,
        effects,
    }
}

/// The real endpoint and device context, a clock, and every response body
/// kept for schema validation.
struct Harness {
    endpoint: Endpoint<OnvifContext>,
    ctx: OnvifContext,
    t0: Instant,
    now: Instant,
    bodies: Vec<(String, String)>,
}

impl Harness {
    fn new() -> Harness {
        Harness::with(OnvifConfig::default(), EventLimits::default())
    }

    fn with(config: OnvifConfig, limits: EventLimits) -> Harness {
        let t0 = Instant::now();
        let state = DeviceState::from_config(&config, 7);
        Harness {
            endpoint: Endpoint::new(
                build_registry().expect("registry"),
                Security::new(SecurityConfig::default(), [9; 16], t0),
                XmlLimits::default(),
            ),
            ctx: OnvifContext {
                state,
                config,
                events: EventState::new(limits),
                host: HostInfo::default(),
                log: Default::default(),
            },
            t0,
            now: t0,
            bodies: Vec::new(),
        }
    }

    fn advance(&mut self, d: Duration) {
        self.now += d;
    }

    /// The device clock, as the server passes it: host time plus the
    /// offset SetSystemDateAndTime stored.
    fn device_time(&self) -> Duration {
        onvif_rtsp_core::onvif_device::device::device_clock(
            &self.ctx.state,
            Duration::from_secs(T0_UNIX) + (self.now - self.t0),
        )
    }

    fn env(&self) -> RequestEnv {
        RequestEnv {
            peer: "192.0.2.50".parse().unwrap(),
            local: Some("192.0.2.1:8000".parse().unwrap()),
            tls: false,
            now: self.now,
            device_time: self.device_time(),
        }
    }

    fn keep(&mut self, name: &str, reply: &Reply) {
        if !reply.is_fault() {
            self.bodies.push((name.to_owned(), reply.body.clone()));
        }
    }

    fn post(&mut self, path: &str, body: &str) -> Got {
        let mut conn = ServerConn::new(DecoderLimits::default());
        conn.push(
            format!(
                "POST {path} HTTP/1.1\r\nHost: 192.0.2.1:8000\r\nContent-Type: application/soap+xml; charset=utf-8\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .as_bytes(),
        );
        let Some(ConnEvent::Request(request)) = conn.poll() else {
            panic!("no request parsed");
        };
        let env = self.env();
        let outcome = self.endpoint.handle(&request, &env, &mut self.ctx);
        self.got(outcome)
    }

    fn got(&mut self, outcome: Outcome) -> Got {
        match outcome.answer {
            Answer::Now(response) => {
                let reply = parse_response(&response, outcome.effects);
                let name = reply.op().name.clone();
                self.keep(&name, &reply);
                Got::Now(Box::new(reply))
            }
            Answer::Later(parked) => {
                assert!(outcome.effects.is_empty());
                Got::Later(parked)
            }
        }
    }

    /// Posts and expects an answer now.
    fn call(&mut self, path: &str, body: &str) -> Reply {
        match self.post(path, body) {
            Got::Now(r) => *r,
            Got::Later(_) => panic!("deferred: {body}"),
        }
    }

    /// Posts and expects the request to be parked.
    fn park(&mut self, path: &str, body: &str) -> Box<Parked> {
        match self.post(path, body) {
            Got::Later(p) => p,
            Got::Now(r) => panic!("answered at once: {}", r.body),
        }
    }

    fn resume(&mut self, parked: Box<Parked>, reason: WakeReason) -> Got {
        let device_time = self.device_time();
        let outcome = self
            .endpoint
            .resume(parked, reason, self.now, device_time, &mut self.ctx);
        self.got(outcome)
    }

    fn resume_now(&mut self, parked: Box<Parked>, reason: WakeReason) -> Reply {
        match self.resume(parked, reason) {
            Got::Now(r) => *r,
            Got::Later(_) => panic!("deferred again"),
        }
    }

    fn publish(&mut self, n: Notification) -> Vec<u64> {
        self.ctx.events.publish(n)
    }

    fn utc(&self) -> Duration {
        self.device_time()
    }
}

/// `tev:PullMessages` with `Timeout` and `MessageLimit`, as zeep writes it.
fn pull(timeout: &str, limit: &str) -> String {
    fixture("events_zeep_pull_messages.xml")
        .replace(
            "<ns0:Timeout>PT10S</ns0:Timeout>",
            &format!("<ns0:Timeout>{timeout}</ns0:Timeout>"),
        )
        .replace(
            "<ns0:MessageLimit>100</ns0:MessageLimit>",
            &format!("<ns0:MessageLimit>{limit}</ns0:MessageLimit>"),
        )
}

fn create_body(inner: &str) -> String {
    format!(
        r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:tev="http://www.onvif.org/ver10/events/wsdl" xmlns:wsnt="http://docs.oasis-open.org/wsn/b-2" xmlns:tns1="http://www.onvif.org/ver10/topics"><s:Body><tev:CreatePullPointSubscription>{inner}</tev:CreatePullPointSubscription></s:Body></s:Envelope>"#
    )
}

fn motion(source: &str, state: bool, utc: Duration) -> Notification {
    let mut n = Notification::new("tns1:VideoSource/MotionAlarm", utc);
    n.operation = Some(PropertyOperation::Changed);
    n.source.push(("Source".into(), source.into()));
    n.data.push(("State".into(), state.to_string()));
    n
}

fn cell_motion(vsc: &str, state: bool, utc: Duration) -> Notification {
    let mut n = Notification::new("tns1:RuleEngine/CellMotionDetector/Motion", utc);
    n.operation = Some(PropertyOperation::Changed);
    n.source
        .push(("VideoSourceConfigurationToken".into(), vsc.into()));
    n.source.push((
        "VideoAnalyticsConfigurationToken".into(),
        "VideoAnalyticsConfigurationToken_1".into(),
    ));
    n.source
        .push(("Rule".into(), "MyMotionDetectorRule".into()));
    n.data.push(("IsMotion".into(), state.to_string()));
    n
}

/// `(CurrentTime, TerminationTime)` of a create, pull or renew response.
fn times(r: &Reply) -> (Duration, Duration) {
    let get = |name: &str| {
        let e = r
            .op()
            .child_by_local_name(name)
            .unwrap_or_else(|| panic!("{name} in {}", r.body));
        values::parse_datetime(e.text()).unwrap().to_unix().unwrap()
    };
    (get("CurrentTime"), get("TerminationTime"))
}

fn subscription_address(r: &Reply) -> String {
    r.op()
        .child_by_local_name("SubscriptionReference")
        .and_then(|s| s.child(ns::WSA, "Address"))
        .map(|a| a.text().to_owned())
        .expect("SubscriptionReference/Address")
}

/// Validates envelopes against the ONVIF schemas.
fn validate(bodies: &[(String, String)], tag: &str) {
    xsd::validate_envelopes(&format!("events-{tag}"), bodies);
}

#[test]
fn home_assistant_pull_point_walk() {
    let mut h = Harness::new();

    let caps = h.call(EVENTS, &fixture("events_zeep_get_service_capabilities.xml"));
    assert_eq!(
        caps.action(),
        Some("http://www.onvif.org/ver10/events/wsdl/EventPortType/GetServiceCapabilitiesResponse")
    );
    let c = caps
        .op()
        .child(ns::TEV, "Capabilities")
        .expect("Capabilities");
    assert!(c.attr("MaxPullPoints").unwrap().parse::<u32>().unwrap() >= 2);

    let props = h.call(EVENTS, &fixture("events_zeep_get_event_properties.xml"));
    assert!(
        props
            .body
            .contains("<tns1:VideoSource><MotionAlarm wstop:topic=\"true\">")
    );
    assert!(
        props
            .body
            .contains("<CellMotionDetector><Motion wstop:topic=\"true\">")
    );
    assert!(
        props
            .body
            .contains("<ImageTooBlurry><ImagingService wstop:topic=\"true\">")
    );
    assert!(
        props
            .body
            .contains("<tns1:Media><ProfileChanged wstop:topic=\"true\">")
    );
    assert!(props.body.contains("<Trigger><Relay wstop:topic=\"true\">"));
    assert!(props.body.contains(
        "<tev:MessageContentFilterDialect>http://www.onvif.org/ver10/tev/messageContentFilter/ItemFilter</tev:MessageContentFilterDialect>"
    ));

    // CreatePullPointSubscription as PullPointManager sends it (PT600S).
    let created = h.call(EVENTS, &fixture("events_zeep_create_pull_point.xml"));
    assert_eq!(created.status, 200, "{}", created.body);
    assert_eq!(
        created.action(),
        Some(
            "http://www.onvif.org/ver10/events/wsdl/EventPortType/CreatePullPointSubscriptionResponse"
        )
    );
    assert_eq!(
        subscription_address(&created),
        "http://192.0.2.1:8000/onvif/event_service/subscription/1"
    );
    let (current, termination) = times(&created);
    assert_eq!(current, Duration::from_secs(T0_UNIX));
    assert_eq!(termination - current, Duration::from_secs(600));
    // The response echoes the request's MessageID.
    assert!(
        created.body.contains(
            "<wsa:RelatesTo>urn:uuid:4b5e1c2c-59a8-4bd5-9b8b-2f1c0a8f1a03</wsa:RelatesTo>"
        )
    );

    // The first pull returns the Initialized property states at once.
    h.advance(Duration::from_secs(1));
    let first = h.call(SUB1, &fixture("events_zeep_pull_messages.xml"));
    assert_eq!(
        first.action(),
        Some("http://www.onvif.org/ver10/events/wsdl/PullPointSubscription/PullMessagesResponse")
    );
    let initial: Vec<_> = first.messages().into_iter().map(describe).collect();
    assert!(
        initial.iter().all(|(_, op, _)| op == "Initialized"),
        "{initial:?}"
    );
    assert!(initial.contains(&(
        "tns1:VideoSource/MotionAlarm".into(),
        "Initialized".into(),
        vec![("State".into(), "false".into())]
    )));
    assert!(
        initial
            .iter()
            .any(|(t, _, _)| t == "tns1:RuleEngine/CellMotionDetector/Motion")
    );
    assert!(
        initial
            .iter()
            .any(|(t, _, d)| t == "tns1:Device/Trigger/Relay"
                && d == &[("LogicalState".to_owned(), "inactive".to_owned())])
    );
    let m = first.messages()[0];
    assert_eq!(
        m.child(ns::WSNT, "SubscriptionReference")
            .and_then(|s| s.child(ns::WSA, "Address"))
            .map(Element::text),
        Some("http://192.0.2.1:8000/onvif/event_service/subscription/1")
    );
    assert_eq!(
        m.child(ns::WSNT, "ProducerReference")
            .and_then(|s| s.child(ns::WSA, "Address"))
            .map(Element::text),
        Some("http://192.0.2.1:8000/onvif/event_service")
    );

    // Nothing queued: the next pull is parked until its Timeout (10 s).
    let parked = h.park(SUB1, &fixture("events_zeep_pull_messages.xml"));
    assert_eq!(parked.token(), 1);
    assert_eq!(parked.deadline(), h.now + Duration::from_secs(10));

    // Motion arrives 3 s later: the pull point's token is woken and the
    // parked request answers with it.
    h.advance(Duration::from_secs(3));
    let utc = h.utc();
    assert_eq!(h.publish(motion("VideoSourceToken_1", true, utc)), [1]);
    let got = h.resume_now(parked, WakeReason::Signal);
    let events: Vec<_> = got.messages().into_iter().map(describe).collect();
    assert_eq!(
        events,
        [(
            "tns1:VideoSource/MotionAlarm".to_owned(),
            "Changed".to_owned(),
            vec![("State".to_owned(), "true".to_owned())]
        )]
    );

    // Renew (PT600S) extends the termination time.
    h.advance(Duration::from_secs(100));
    let renewed = h.call(SUB1, &fixture("events_zeep_renew.xml"));
    assert_eq!(
        renewed.action(),
        Some("http://docs.oasis-open.org/wsn/bw-2/SubscriptionManager/RenewResponse")
    );
    let (current, termination) = times(&renewed);
    assert_eq!(termination - current, Duration::from_secs(600));

    // SetSynchronizationPoint re-queues the property states.
    let sync = h.call(SUB1, &fixture("events_zeep_set_synchronization_point.xml"));
    assert_eq!(sync.op().name, "SetSynchronizationPointResponse");
    assert_eq!(sync.effects, [Effect::Wake(1)]);
    let again = h.call(SUB1, &pull("PT1S", "100"));
    let states: Vec<_> = again.messages().into_iter().map(describe).collect();
    assert!(states.contains(&(
        "tns1:VideoSource/MotionAlarm".into(),
        "Initialized".into(),
        vec![("State".into(), "true".into())]
    )));

    // Unsubscribe releases anything parked and ends the pull point.
    let parked = h.park(SUB1, &fixture("events_zeep_pull_messages.xml"));
    let bye = h.call(SUB1, &fixture("events_zeep_unsubscribe.xml"));
    assert_eq!(bye.op().name, "UnsubscribeResponse");
    assert_eq!(bye.effects, [Effect::Wake(1)]);
    let released = h.resume_now(parked, WakeReason::Signal);
    assert!(released.is_fault());
    assert!(
        released
            .subcodes()
            .contains(&"wsrf-r:ResourceUnknownFault".to_owned())
    );
    let gone = h.call(SUB1, &fixture("events_zeep_renew.xml"));
    assert_eq!(gone.status, 400);
    assert_eq!(
        gone.detail().map(|d| (d.ns.as_str(), d.name.as_str())),
        Some((
            "http://docs.oasis-open.org/wsrf/r-2",
            "ResourceUnknownFault"
        ))
    );
    assert_eq!(h.ctx.events.subscription_count(), 0);

    let bodies = std::mem::take(&mut h.bodies);
    validate(&bodies, "walk");
}

#[test]
fn long_poll_times_out_with_an_empty_answer() {
    let mut h = Harness::new();
    h.call(
        EVENTS,
        &create_body("<tev:InitialTerminationTime>PT60S</tev:InitialTerminationTime>"),
    );
    // Drain the initial states.
    h.call(SUB1, &pull("PT0S", "1000"));
    let parked = h.park(SUB1, &pull("PT5S", "10"));
    assert_eq!(parked.deadline(), h.now + Duration::from_secs(5));
    // A signal with nothing for us parks it again until the same deadline.
    h.advance(Duration::from_secs(2));
    let again = match h.resume(parked, WakeReason::Signal) {
        Got::Later(p) => p,
        Got::Now(r) => panic!("answered: {}", r.body),
    };
    assert_eq!(again.deadline(), h.t0 + Duration::from_secs(5));
    h.advance(Duration::from_secs(3));
    let empty = h.resume_now(again, WakeReason::Deadline);
    assert_eq!(empty.op().name, "PullMessagesResponse");
    assert!(empty.messages().is_empty());
    // A zero timeout answers at once, and very long ones are capped.
    let now = h.call(SUB1, &pull("PT0S", "10"));
    assert!(now.messages().is_empty());
    let capped = h.park(SUB1, &pull("PT1H", "10"));
    assert_eq!(capped.deadline(), h.now + Duration::from_secs(60));
    let bodies = std::mem::take(&mut h.bodies);
    validate(&bodies, "timeout");
}

#[test]
fn message_limit_splits_the_queue() {
    let mut h = Harness::new();
    h.call(EVENTS, &create_body(
        "<tev:Filter><wsnt:TopicExpression Dialect=\"http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet\">tns1:VideoSource/MotionAlarm</wsnt:TopicExpression></tev:Filter><tev:SubscriptionPolicy><tev:ChangedOnly/></tev:SubscriptionPolicy>",
    ));
    assert_eq!(
        h.ctx.events.queued(1),
        Some(0),
        "ChangedOnly: no Initialized"
    );
    let utc = h.utc();
    for i in 0..5 {
        h.publish(motion("VideoSourceToken_1", i % 2 == 0, utc));
    }
    assert_eq!(h.call(SUB1, &pull("PT1S", "2")).messages().len(), 2);
    assert_eq!(h.call(SUB1, &pull("PT1S", "2")).messages().len(), 2);
    assert_eq!(h.call(SUB1, &pull("PT1S", "2")).messages().len(), 1);
    // SetSynchronizationPoint does not send Initialized to it either.
    let sync = h.call(SUB1, &fixture("events_zeep_set_synchronization_point.xml"));
    assert!(sync.effects.is_empty());
    assert_eq!(h.ctx.events.queued(1), Some(0));
}

#[test]
fn queues_drop_the_oldest() {
    let mut h = Harness::with(
        OnvifConfig::default(),
        EventLimits {
            max_queue: 4,
            ..EventLimits::default()
        },
    );
    h.call(
        EVENTS,
        &create_body("<tev:SubscriptionPolicy><tev:ChangedOnly/></tev:SubscriptionPolicy>"),
    );
    for i in 0..10u64 {
        h.publish(relay_state(
            "RelayOutputToken_1",
            i % 2 == 1,
            Duration::from_secs(T0_UNIX + i),
        ));
    }
    assert_eq!(h.ctx.events.dropped(1), Some(6));
    let got = h.call(SUB1, &pull("PT1S", "100"));
    let stamps: Vec<_> = got
        .messages()
        .iter()
        .map(|m| {
            m.child(ns::WSNT, "Message")
                .and_then(|w| w.child(ns::TT, "Message"))
                .and_then(|t| t.attr("UtcTime"))
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(stamps.len(), 4);
    assert_eq!(stamps[0], "2024-02-29T12:00:06Z");
}

#[test]
fn pull_messages_keeps_a_pull_point_alive_and_silence_ends_it() {
    let mut h = Harness::new();
    // No InitialTerminationTime: renew_interval (60 s in the default config).
    let created = h.call(
        EVENTS,
        &create_body("<tev:SubscriptionPolicy><tev:ChangedOnly/></tev:SubscriptionPolicy>"),
    );
    let (current, termination) = times(&created);
    assert_eq!(termination - current, Duration::from_secs(60));
    assert_eq!(
        h.ctx.events.next_deadline(),
        Some(h.now + Duration::from_secs(60))
    );

    // A pull at 50 s pushes the end to 110 s.
    h.advance(Duration::from_secs(50));
    let pulled = h.call(SUB1, &pull("PT0S", "1"));
    let (current, termination) = times(&pulled);
    assert_eq!(termination - current, Duration::from_secs(60));
    assert_eq!(
        h.ctx.events.expire(h.t0 + Duration::from_secs(100)),
        Vec::<u64>::new()
    );

    // A long poll parked until 160 s keeps it past 110 s (with a second
    // of grace, so the expiry timer never beats the poll's own deadline).
    h.advance(Duration::from_secs(50));
    let parked = h.park(SUB1, &pull("PT60S", "1"));
    assert_eq!(
        h.ctx.events.expiry(1),
        Some(h.t0 + Duration::from_secs(161))
    );
    assert!(
        h.ctx
            .events
            .expire(h.t0 + Duration::from_secs(160))
            .is_empty()
    );
    h.advance(Duration::from_secs(60));
    let empty = h.resume_now(parked, WakeReason::Deadline);
    assert!(!empty.is_fault());

    // Then silence: it ends renew_interval after the last pull.
    assert_eq!(
        h.ctx.events.next_deadline(),
        Some(h.now + Duration::from_secs(60))
    );
    assert_eq!(h.ctx.events.expire(h.now + Duration::from_secs(60)), [1]);
    h.advance(Duration::from_secs(61));
    let gone = h.call(SUB1, &pull("PT0S", "1"));
    assert!(gone.is_fault());
    assert_eq!(h.ctx.events.next_deadline(), None);
}

#[test]
fn termination_times_absolute_relative_and_bad() {
    let mut h = Harness::new();
    // An absolute time, as onvif-zeep-async sends after detecting a
    // device with broken relative times.
    let r = h.call(
        EVENTS,
        &create_body(
            "<tev:InitialTerminationTime>2024-02-29T12:05:00Z</tev:InitialTerminationTime>",
        ),
    );
    let (current, termination) = times(&r);
    assert_eq!(termination - current, Duration::from_secs(300));
    // Too long: capped at an hour.
    let r = h.call(
        EVENTS,
        &create_body("<tev:InitialTerminationTime>P2D</tev:InitialTerminationTime>"),
    );
    let (current, termination) = times(&r);
    assert_eq!(termination - current, Duration::from_secs(3600));
    // Nil: the default.
    let r = h.call(EVENTS, &create_body(r#"<tev:InitialTerminationTime xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:nil="true"/>"#));
    let (current, termination) = times(&r);
    assert_eq!(termination - current, Duration::from_secs(60));
    // In the past.
    let r = h.call(
        EVENTS,
        &create_body(
            "<tev:InitialTerminationTime>2020-01-01T00:00:00Z</tev:InitialTerminationTime>",
        ),
    );
    assert_eq!(r.status, 400);
    assert_eq!(
        r.detail().map(|d| d.name.as_str()),
        Some("UnacceptableInitialTerminationTimeFault")
    );
    // Garbage.
    let r = h.call(
        EVENTS,
        &create_body("<tev:InitialTerminationTime>soon</tev:InitialTerminationTime>"),
    );
    assert!(r.subcodes().contains(&"ter:InvalidArgVal".to_owned()));
    // Renew with an absolute time and with a past one.
    let renew = |t: &str| fixture("events_zeep_renew.xml").replace(">PT600S<", &format!(">{t}<"));
    let r = h.call(SUB1, &renew("2024-02-29T12:30:00Z"));
    let (current, termination) = times(&r);
    assert_eq!(termination - current, Duration::from_secs(1800));
    let r = h.call(SUB1, &renew("2024-02-29T11:00:00Z"));
    assert_eq!(
        r.detail().map(|d| d.name.as_str()),
        Some("UnacceptableTerminationTimeFault")
    );
    let bodies = std::mem::take(&mut h.bodies);
    validate(&bodies, "times");
}

#[test]
fn filters_select_topics_and_content() {
    let mut h = Harness::new();
    let created = h.call(EVENTS, &fixture("events_odm_create_pull_point_filter.xml"));
    assert_eq!(created.status, 200, "{}", created.body);
    // Initialized states pass through the filter: only the tampering
    // (ImageTooDark, State) ones of the topic list match the content part.
    let initial: Vec<_> = h
        .call(SUB1, &pull("PT0S", "100"))
        .messages()
        .into_iter()
        .map(describe)
        .collect();
    assert!(!initial.is_empty());
    assert!(
        initial
            .iter()
            .all(|(t, _, _)| t == "tns1:VideoSource/ImageTooDark/ImagingService"),
        "{initial:?}"
    );
    let utc = h.utc();
    assert!(
        h.publish(motion("VideoSourceToken_1", true, utc))
            .is_empty()
    );
    assert!(
        h.publish(cell_motion("VideoSourceConfigurationToken_1", false, utc))
            .is_empty()
    );
    assert_eq!(
        h.publish(cell_motion("VideoSourceConfigurationToken_1", true, utc)),
        [1]
    );
    let got: Vec<_> = h
        .call(SUB1, &pull("PT0S", "100"))
        .messages()
        .into_iter()
        .map(describe)
        .collect();
    assert_eq!(
        got,
        [(
            "tns1:RuleEngine/CellMotionDetector/Motion".to_owned(),
            "Changed".to_owned(),
            vec![("IsMotion".to_owned(), "true".to_owned())]
        )]
    );

    // Refused filters, each with its WS-BaseNotification fault.
    let filter = |dialect: &str, text: &str| {
        create_body(&format!(
            r#"<tev:Filter><wsnt:TopicExpression Dialect="{dialect}">{text}</wsnt:TopicExpression></tev:Filter>"#
        ))
    };
    let concrete = "http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet";
    for (body, detail, subcode) in [
        (
            filter("urn:not-a-dialect", "tns1:VideoSource"),
            "TopicExpressionDialectUnknownFault",
            "wsnt:TopicExpressionDialectUnknownFault",
        ),
        (
            filter(concrete, "tns1:VideoSource//"),
            "InvalidTopicExpressionFault",
            "ter:InvalidTopicExpressionFault",
        ),
        (
            filter(concrete, "undeclared:Thing"),
            "InvalidTopicExpressionFault",
            "ter:InvalidTopicExpressionFault",
        ),
        (
            filter(concrete, "tns1:Door/Opened"),
            "TopicNotSupportedFault",
            "wsnt:TopicNotSupportedFault",
        ),
        (
            create_body(
                r#"<tev:Filter><wsnt:MessageContent Dialect="http://www.onvif.org/ver10/tev/messageContentFilter/ItemFilter">count(//tt:SimpleItem) &gt; 2</wsnt:MessageContent></tev:Filter>"#,
            ),
            "InvalidMessageContentExpressionFault",
            "ter:InvalidMessageContentExpressionFault",
        ),
        (
            create_body(
                r#"<tev:Filter><wsnt:ProducerProperties Dialect="urn:x">x</wsnt:ProducerProperties></tev:Filter>"#,
            ),
            "InvalidFilterFault",
            "ter:InvalidFilterFault",
        ),
    ] {
        let r = h.call(EVENTS, &body);
        assert_eq!(r.status, 400, "{body}");
        assert_eq!(
            r.detail().map(|d| d.name.as_str()),
            Some(detail),
            "{}",
            r.body
        );
        assert_eq!(r.detail().map(|d| d.ns.as_str()), Some(ns::WSNT));
        let subcodes = r.subcodes();
        assert_eq!(subcodes[0], "ter:InvalidArgVal");
        assert_eq!(subcodes[1], subcode);
        assert!(
            r.body
                .contains("<wsrf-bf:Timestamp>2024-02-29T12:00:00Z</wsrf-bf:Timestamp>")
        );
    }
    assert_eq!(h.ctx.events.subscription_count(), 1);
}

#[test]
fn simulated_motion_reaches_a_pull_point() {
    let mut h = Harness::new();
    assert!(h.ctx.state.event().simulate_enable);
    h.call(EVENTS, &fixture("events_zeep_create_pull_point.xml"));
    h.call(SUB1, &pull("PT0S", "1000"));
    let parked = h.park(SUB1, &fixture("events_zeep_pull_messages.xml"));
    let due = h
        .ctx
        .events
        .next_simulation(&h.ctx.state, h.now)
        .expect("simulation on");
    assert_eq!(due, h.now + Duration::from_secs(10));
    h.now = due;
    let mut rng = Rng::new(42);
    let device_time = h.device_time();
    let woken = h
        .ctx
        .events
        .run_simulation(&h.ctx.state, h.now, device_time, &mut rng);
    assert_eq!(woken, [1]);
    let got = h.resume_now(parked, WakeReason::Signal);
    let events: Vec<_> = got.messages().into_iter().map(describe).collect();
    assert!(events.contains(&(
        "tns1:VideoSource/MotionAlarm".into(),
        "Changed".into(),
        vec![("State".into(), "true".into())]
    )));
    assert!(events.contains(&(
        "tns1:RuleEngine/CellMotionDetector/Motion".into(),
        "Changed".into(),
        vec![("IsMotion".into(), "true".into())]
    )));
    // Ten seconds later motion ends; a tampering event sometimes comes
    // and goes. The same seed gives the same events.
    let run = |seed: u64| {
        let mut h = Harness::new();
        let mut rng = Rng::new(seed);
        let mut all = Vec::new();
        for _ in 0..12 {
            let due = h.ctx.events.next_simulation(&h.ctx.state, h.now).unwrap();
            h.now = due;
            let device_time = h.device_time();
            all.extend(
                h.ctx
                    .events
                    .simulate(&h.ctx.state, h.now, device_time, &mut rng),
            );
        }
        all
    };
    let a = run(9);
    assert_eq!(a, run(9));
    let states: Vec<_> = a
        .iter()
        .filter(|n| n.topic == "tns1:VideoSource/MotionAlarm")
        .map(|n| n.data[0].1.as_str())
        .collect();
    assert_eq!(
        states,
        [
            "true", "false", "true", "false", "true", "false", "true", "false", "true", "false",
            "true", "false"
        ]
    );
    let tamper_on = a
        .iter()
        .filter(|n| n.topic.ends_with("/ImagingService") && n.data[0].1 == "true")
        .count();
    let tamper_off = a
        .iter()
        .filter(|n| n.topic.ends_with("/ImagingService") && n.data[0].1 == "false")
        .count();
    assert!((1..=6).contains(&tamper_on), "{tamper_on}");
    assert!(tamper_off + 1 >= tamper_on);

    // Off in the config: no schedule, nothing generated.
    let mut config = OnvifConfig::default();
    config.event.simulate_enable = false;
    let h = &mut Harness::with(config, EventLimits::default());
    assert_eq!(h.ctx.events.next_simulation(&h.ctx.state, h.now), None);
    let device_time = h.device_time();
    assert!(
        h.ctx
            .events
            .simulate(&h.ctx.state, h.now, device_time, &mut Rng::new(1))
            .is_empty()
    );
}

#[test]
fn pull_points_are_bounded() {
    let mut h = Harness::new();
    let max = h.ctx.events.limits().max_pull_points;
    assert!(max >= 2);
    for i in 1..=max {
        let r = h.call(EVENTS, &create_body(""));
        assert!(subscription_address(&r).ends_with(&format!("/subscription/{i}")));
    }
    let refused = h.call(EVENTS, &create_body(""));
    assert_eq!(refused.status, 500);
    assert_eq!(
        refused.subcodes(),
        ["ter:Action", "wsnt:SubscribeCreationFailedFault"]
    );
    assert_eq!(
        refused.detail().map(|d| d.name.as_str()),
        Some("SubscribeCreationFailedFault")
    );
    // Once one expires, there is room again.
    h.advance(Duration::from_secs(61));
    let r = h.call(EVENTS, &create_body(""));
    assert_eq!(r.status, 200);
    assert_eq!(h.ctx.events.subscription_count(), 1);
}

#[test]
fn push_subscription_delivers_notify() {
    let mut h = Harness::new();
    let r = h.call(EVENTS, &fixture("events_zeep_subscribe.xml"));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.action(),
        Some("http://docs.oasis-open.org/wsn/bw-2/NotificationProducer/SubscribeResponse")
    );
    assert_eq!(r.op().name, "SubscribeResponse");
    let (current, termination) = times(&r);
    assert_eq!(termination - current, Duration::from_secs(600));
    let address = subscription_address(&r);
    // The initial states go out at the next delivery.
    let first = h.ctx.events.take_push();
    assert_eq!(first.len(), 1);
    assert_eq!(
        first[0].consumer_url,
        "http://192.0.2.50:8123/api/webhook/onvif"
    );
    assert!(h.ctx.events.take_push().is_empty());
    // A published event is not a pull point's: no token to wake.
    let utc = h.utc();
    assert!(
        h.publish(motion("VideoSourceToken_1", true, utc))
            .is_empty()
    );
    let notify = h.ctx.events.take_push();
    assert_eq!(notify.len(), 1);
    let n = &notify[0];
    assert_eq!(n.content_type, "application/soap+xml; charset=utf-8");
    let env = parse_envelope(n.envelope.as_bytes(), &XmlLimits::default()).unwrap();
    assert_eq!(
        env.action(),
        Some("http://docs.oasis-open.org/wsn/bw-2/NotificationConsumer/Notify")
    );
    assert_eq!(env.to(), Some("http://192.0.2.50:8123/api/webhook/onvif"));
    assert!(env.body.is(ns::WSNT, "Notify"));
    let messages: Vec<_> = env
        .body
        .children_named(ns::WSNT, "NotificationMessage")
        .collect();
    assert_eq!(messages.len(), 1);
    assert_eq!(
        describe(messages[0]),
        (
            "tns1:VideoSource/MotionAlarm".to_owned(),
            "Changed".to_owned(),
            vec![("State".to_owned(), "true".to_owned())]
        )
    );
    assert_eq!(
        messages[0]
            .child(ns::WSNT, "SubscriptionReference")
            .and_then(|s| s.child(ns::WSA, "Address"))
            .map(Element::text),
        Some(address.as_str())
    );
    let mut bodies = std::mem::take(&mut h.bodies);
    bodies.push(("Notify".into(), n.envelope.clone()));
    bodies.push(("Notify_initial".into(), first[0].envelope.clone()));
    // A push subscription cannot be pulled, but can be renewed and ended.
    let path = format!(
        "/onvif/event_service/subscription/{}",
        address.rsplit('/').next().unwrap()
    );
    let pulled = h.call(&path, &pull("PT1S", "10"));
    assert!(pulled.is_fault());
    let renewed = h.call(&path, &fixture("events_zeep_renew.xml"));
    assert_eq!(renewed.status, 200);
    let bye = h.call(&path, &fixture("events_zeep_unsubscribe.xml"));
    assert_eq!(bye.status, 200);
    assert!(h.ctx.events.take_push().is_empty());
    // Consumer addresses must be http(s) URLs.
    let bad = fixture("events_zeep_subscribe.xml").replace(
        "http://192.0.2.50:8123/api/webhook/onvif",
        "file:///etc/passwd",
    );
    assert_eq!(h.call(EVENTS, &bad).status, 400);
    bodies.extend(std::mem::take(&mut h.bodies));
    validate(&bodies, "push");
}

#[test]
fn pull_messages_argument_faults_carry_the_limits() {
    let mut h = Harness::new();
    h.call(EVENTS, &create_body(""));
    for body in [
        pull("banana", "10"),
        pull("PT5S", "0"),
        pull("PT5S", "-3"),
        pull("PT5S", "x"),
    ] {
        let r = h.call(SUB1, &body);
        assert_eq!(r.status, 400, "{body}");
        let detail = r.detail().expect("detail");
        assert!(
            detail.is(ns::TEV, "PullMessagesFaultResponse"),
            "{}",
            r.body
        );
        assert_eq!(
            detail.child(ns::TEV, "MaxTimeout").map(Element::text),
            Some("PT1M")
        );
        assert_eq!(
            detail.child(ns::TEV, "MaxMessageLimit").map(Element::text),
            Some("100")
        );
    }
    // Unknown subscription paths.
    let r = h.call("/onvif/event_service/subscription/99", &pull("PT5S", "1"));
    assert_eq!(
        r.detail().map(|d| d.name.as_str()),
        Some("ResourceUnknownFault")
    );
    let r = h.call(
        EVENTS,
        &pull("PT5S", "1").replace("subscription/1", "subscription/77"),
    );
    assert_eq!(
        r.detail().map(|d| d.name.as_str()),
        Some("ResourceUnknownFault")
    );
}

#[test]
fn subscriptions_are_found_by_wsa_to_and_without_namespaces() {
    let mut h = Harness::new();
    h.call(
        EVENTS,
        &create_body("<tev:SubscriptionPolicy><tev:ChangedOnly/></tev:SubscriptionPolicy>"),
    );
    let utc = h.utc();
    h.publish(motion("VideoSourceToken_1", true, utc));
    // The npm client's PullMessages posted to the service path: wsa:To
    // names the subscription.
    let r = h.call(EVENTS, &fixture("events_npm_onvif_pull_messages.xml"));
    assert_eq!(r.messages().len(), 1, "{}", r.body);
    // A body without a namespace, posted to the subscription address.
    h.publish(motion("VideoSourceToken_1", false, utc));
    let r = h.call(
        SUB1,
        r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><PullMessages><Timeout>PT1S</Timeout><MessageLimit>5</MessageLimit></PullMessages></s:Body></s:Envelope>"#,
    );
    assert_eq!(r.messages().len(), 1, "{}", r.body);
    // Trailing slash.
    h.publish(motion("VideoSourceToken_1", true, utc));
    let r = h.call(&format!("{SUB1}/"), &pull("PT1S", "5"));
    assert_eq!(r.messages().len(), 1);
}

#[test]
fn soap11_pull_point() {
    let mut h = Harness::new();
    let r = h.call(EVENTS, &fixture("events_soap11_create_pull_point.xml"));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.content_type, "text/xml; charset=utf-8");
    assert_eq!(r.envelope.version, SoapVersion::Soap11);
    let (current, termination) = times(&r);
    assert_eq!(termination - current, Duration::from_secs(120));
    let bodies = std::mem::take(&mut h.bodies);
    validate(&bodies, "soap11");
}

#[test]
fn credentials_are_needed_except_for_capabilities() {
    let mut config = OnvifConfig::default();
    config.server.need_auth = true;
    let mut h = Harness::with(config, EventLimits::default());
    let caps = h.call(EVENTS, &fixture("events_zeep_get_service_capabilities.xml"));
    assert_eq!(caps.status, 200);
    match h.post(EVENTS, &fixture("events_zeep_create_pull_point.xml")) {
        Got::Now(r) => assert_eq!(r.status, 401, "{}", r.body),
        Got::Later(_) => panic!("parked"),
    }
    assert_eq!(h.ctx.events.subscription_count(), 0);
}

#[test]
fn times_follow_the_device_clock() {
    use onvif_rtsp_core::onvif_state::{CivilDateTime, DateTimeType, SetDateTime};
    let mut h = Harness::new();
    // SetSystemDateAndTime put the device clock an hour ahead of the host.
    let ahead = i64::try_from(T0_UNIX).unwrap() + 3600;
    h.ctx
        .state
        .set_system_date_time(
            &SetDateTime {
                kind: DateTimeType::Manual,
                daylight_savings: false,
                time_zone: None,
                utc: Some(CivilDateTime::from_unix(ahead)),
            },
            i64::try_from(T0_UNIX).unwrap(),
        )
        .unwrap();
    let r = h.call(
        EVENTS,
        &create_body(
            "<tev:InitialTerminationTime>2024-02-29T13:10:00Z</tev:InitialTerminationTime>",
        ),
    );
    let (current, termination) = times(&r);
    assert_eq!(current, Duration::from_secs(T0_UNIX + 3600));
    assert_eq!(termination - current, Duration::from_secs(600));
    let initial = h.call(SUB1, &pull("PT0S", "1"));
    let stamp = initial.messages()[0]
        .child(ns::WSNT, "Message")
        .and_then(|w| w.child(ns::TT, "Message"))
        .and_then(|m| m.attr("UtcTime"))
        .unwrap()
        .to_owned();
    assert_eq!(stamp, "2024-02-29T13:00:00Z");
    assert!(topics::ALL_TOPICS.len() >= 8);
}
