//! The event service (`tev`, ver10 events WSDL, WS-BaseNotification).
//!
//! # What it serves
//!
//! GetServiceCapabilities, GetEventProperties (the [`topics`] set),
//! CreatePullPointSubscription, PullMessages (long poll), SetSynchronizationPoint,
//! Renew, Unsubscribe and Subscribe (WS-BaseNotification push). Seek,
//! PauseSubscription and GetCurrentMessage are not offered (answered
//! `ter:ActionNotSupported` by the endpoint).
//!
//! # Subscriptions
//!
//! Each subscription (a pull point or a push subscription) has an id `N`
//! and the address `http://HOST:PORT/onvif/event_service/subscription/N`,
//! built from the `Host` of the request that created it. Requests for a
//! subscription are recognised by that path (dispatch maps every path
//! below `/onvif/event_service` to the event service), or by the
//! `wsa:To` header when a client posts elsewhere.
//!
//! A subscription ends at its termination time: the requested
//! `InitialTerminationTime` (a duration or a date, at most
//! [`EventLimits::max_termination`]), else `renew_interval` seconds from
//! `onvif.cfg`. Renew sets a new termination time; PullMessages, as in
//! Happytime, pushes it to at least `renew_interval` from now, so a client
//! that keeps pulling keeps its pull point. A subscription with a
//! PullMessages parked on it does not expire before that request's deadline.
//!
//! Queues are bounded ([`EventLimits::max_queue`], oldest dropped first) and
//! so are the numbers of pull points and of push subscriptions (the
//! `MaxPullPoints` and `MaxNotificationProducers` that
//! [`capabilities`] advertises; beyond them CreatePullPointSubscription
//! and Subscribe fail with `wsnt:SubscribeCreationFailedFault`).
//!
//! # Properties
//!
//! Property topics (motion, tampering, relays) have a current state per
//! source. A new subscription (unless its policy says `tev:ChangedOnly`)
//! and SetSynchronizationPoint queue that state as `Initialized` messages.
//! The states follow what is published; those of the video sources, their
//! configurations and the relays of the [`DeviceState`] exist from the
//! start (motion and tampering `false`).
//!
//! # Publishing from other services
//!
//! Return [`Effect::Notify`](crate::onvif::Effect::Notify) with a message
//! built by [`profile_changed`], [`configuration_changed`] or
//! [`relay_state`] (their items are the ones GetEventProperties
//! describes), stamped with the device clock ([`crate::onvif_device::device::device_clock`]). Property messages carry a
//! `PropertyOperation` (`Changed`; `Deleted` forgets the property).
//!
//! # Long polls
//!
//! PullMessages answers at once when messages are queued (at most
//! `MessageLimit`), else parks with the subscription id as token until
//! `Timeout` (at most [`EventLimits::max_pull_timeout`]) and answers
//! empty then. A malformed `Timeout` or a `MessageLimit` below 1 is a
//! fault with `tev:PullMessagesFaultResponse` (the limits) as detail.
//!
//! # For the server machine
//!
//! - [`EventState::publish`] for every [`Effect::Notify`](crate::onvif::Effect::Notify)
//!   a handler returns: it returns the tokens of pull points that got a
//!   message; resume the requests parked on them
//!   ([`Endpoint::resume`](crate::onvif::Endpoint::resume) with
//!   [`WakeReason::Signal`](crate::onvif::WakeReason::Signal)).
//! - A timer at [`EventState::next_deadline`] calling [`EventState::expire`]
//!   (it returns the ids of the subscriptions it ended, to wake as well).
//! - When `simulate_enable` is on, a timer at [`EventState::next_simulation`]
//!   calling [`EventState::run_simulation`] (simulate and publish; returns
//!   tokens to wake).
//! - After each of those and after each handled request, [`EventState::take_push`]:
//!   `wsnt:Notify` envelopes to POST to push consumers.
//!
//! Tokens of parked requests are subscription ids; no other service
//! defers today.

mod filter;
mod service;
pub mod topics;

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

pub use filter::{ContentExpression, Filter, FilterError, TopicExpression};
pub use service::register;

use super::capabilities;
use crate::onvif::soap::{self, SoapVersion};
use crate::onvif::writer::escape;
use crate::onvif::{Notification, PropertyOperation, XmlWriter};
use crate::onvif_state::DeviceState;
use crate::rng::Rng;

/// The path prefix of subscription addresses; the id follows.
pub const SUBSCRIPTION_PATH: &str = "/onvif/event_service/subscription/";

/// `wsa:Action` of a `wsnt:Notify` message.
pub const NOTIFY_ACTION: &str = "http://docs.oasis-open.org/wsn/bw-2/NotificationConsumer/Notify";

/// The rule name of the simulated cell motion detector.
pub const MOTION_RULE: &str = "MyMotionDetectorRule";

/// How long after a parked PullMessages' deadline its subscription lives
/// at least.
const PARK_GRACE: Duration = Duration::from_secs(1);

/// Most properties remembered (sources times property topics).
const MAX_PROPERTIES: usize = 512;

/// Most video sources the simulation drives.
const MAX_SIMULATED_SOURCES: usize = 16;

/// Bounds of the event service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventLimits {
    /// Most pull points at once (`MaxPullPoints`).
    pub max_pull_points: usize,
    /// Most push (WS-BaseNotification) subscriptions at once
    /// (`MaxNotificationProducers`).
    pub max_push_subscriptions: usize,
    /// Most queued messages per subscription (older ones are dropped).
    pub max_queue: usize,
    /// Longest PullMessages wait; longer `Timeout`s are shortened to it.
    pub max_pull_timeout: Duration,
    /// Longest termination time granted by CreatePullPointSubscription,
    /// Subscribe and Renew.
    pub max_termination: Duration,
    /// Time between two simulation steps.
    pub simulation_period: Duration,
}

impl Default for EventLimits {
    /// The advertised pull point and subscription counts (10 each), 100
    /// messages per queue, 60 s long polls, one hour of termination time,
    /// a simulation step every 10 seconds.
    fn default() -> Self {
        EventLimits {
            max_pull_points: capabilities::EVENT_MAX_PULL_POINTS as usize,
            max_push_subscriptions: capabilities::EVENT_MAX_NOTIFICATION_PRODUCERS as usize,
            max_queue: 100,
            max_pull_timeout: Duration::from_secs(60),
            max_termination: Duration::from_secs(3600),
            simulation_period: Duration::from_secs(10),
        }
    }
}

/// Where a push subscription delivers.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Consumer {
    url: String,
    version: SoapVersion,
}

/// One subscription.
#[derive(Clone, Debug)]
struct Subscription {
    /// `None` for a pull point.
    consumer: Option<Consumer>,
    filter: Filter,
    changed_only: bool,
    termination: Instant,
    /// The latest deadline of a PullMessages parked on it.
    parked_until: Option<Instant>,
    queue: VecDeque<Notification>,
    dropped: u64,
    /// The subscription's address, as handed out.
    address: String,
    /// The event service's address (`wsnt:ProducerReference`).
    producer: String,
}

impl Subscription {
    fn expiry(&self) -> Instant {
        // A parked PullMessages renews the subscription when it answers at
        // its deadline; the grace keeps the expiry timer from winning a
        // tie with that deadline.
        match self.parked_until.map(|p| p + PARK_GRACE) {
            Some(p) if p > self.termination => p,
            _ => self.termination,
        }
    }

    fn push(&mut self, n: Notification, max: usize) {
        while self.queue.len() >= max.max(1) {
            self.queue.pop_front();
            self.dropped += 1;
        }
        self.queue.push_back(n);
    }
}

/// The simulated state of one video source.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct SimSource {
    motion: bool,
    /// Index in [`topics::TAMPERING`] of the active tampering event.
    tamper: Option<usize>,
}

/// A `wsnt:Notify` to POST to a push subscriber.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PushNotify {
    /// The subscription it is for.
    pub subscription: u64,
    /// The consumer's address (an `http://` or `https://` URL).
    pub consumer_url: String,
    /// The request's `Content-Type`.
    pub content_type: &'static str,
    /// The whole SOAP envelope.
    pub envelope: String,
}

/// Subscriptions, pull points, their pending messages, the property states
/// and the simulation. See the module documentation.
#[derive(Debug)]
pub struct EventState {
    limits: EventLimits,
    subscriptions: BTreeMap<u64, Subscription>,
    next_id: u64,
    /// Current property states, as `Initialized`-ready notifications.
    properties: Vec<Notification>,
    simulation: BTreeMap<String, SimSource>,
    next_simulation: Option<Instant>,
}

impl Default for EventState {
    fn default() -> Self {
        EventState::new(EventLimits::default())
    }
}

impl EventState {
    /// An event service with no subscriptions.
    pub fn new(limits: EventLimits) -> EventState {
        EventState {
            limits,
            subscriptions: BTreeMap::new(),
            next_id: 1,
            properties: Vec::new(),
            simulation: BTreeMap::new(),
            next_simulation: None,
        }
    }

    /// The bounds in force.
    pub fn limits(&self) -> &EventLimits {
        &self.limits
    }

    /// Number of live subscriptions.
    pub fn subscription_count(&self) -> usize {
        self.subscriptions.len()
    }

    /// Ids of the live subscriptions, ascending.
    pub fn subscription_ids(&self) -> Vec<u64> {
        self.subscriptions.keys().copied().collect()
    }

    /// Messages waiting in a subscription's queue.
    pub fn queued(&self, id: u64) -> Option<usize> {
        self.subscriptions.get(&id).map(|s| s.queue.len())
    }

    /// Messages a subscription lost to its queue bound.
    pub fn dropped(&self, id: u64) -> Option<u64> {
        self.subscriptions.get(&id).map(|s| s.dropped)
    }

    /// When a subscription ends (a parked PullMessages included).
    pub fn expiry(&self, id: u64) -> Option<Instant> {
        self.subscriptions.get(&id).map(Subscription::expiry)
    }

    /// The current property states (as last published or initialised).
    pub fn properties(&self) -> &[Notification] {
        &self.properties
    }

    /// Publishes an event to every subscription whose filter it passes and
    /// records property states. Returns the ids (tokens) of the pull
    /// points that got the message, to wake.
    pub fn publish(&mut self, notification: Notification) -> Vec<u64> {
        self.record_property(&notification);
        let initialized = notification.operation == Some(PropertyOperation::Initialized);
        let max = self.limits.max_queue;
        let mut woken = Vec::new();
        for (id, sub) in &mut self.subscriptions {
            if (initialized && sub.changed_only) || !sub.filter.matches(&notification) {
                continue;
            }
            sub.push(notification.clone(), max);
            if sub.consumer.is_none() {
                woken.push(*id);
            }
        }
        woken
    }

    /// Ends the subscriptions whose time is up. Returns their ids (wake
    /// them: a request still parked on one then learns it is gone).
    pub fn expire(&mut self, now: Instant) -> Vec<u64> {
        let ended: Vec<u64> = self
            .subscriptions
            .iter()
            .filter(|(_, s)| s.expiry() <= now)
            .map(|(id, _)| *id)
            .collect();
        for id in &ended {
            self.subscriptions.remove(id);
            tracing::debug!(subscription = id, "event subscription expired");
        }
        ended
    }

    /// When the next subscription ends, if any: arm a timer calling
    /// [`EventState::expire`].
    pub fn next_deadline(&self) -> Option<Instant> {
        self.subscriptions.values().map(Subscription::expiry).min()
    }

    /// Ends a subscription (Unsubscribe). Returns whether it existed.
    pub fn remove(&mut self, id: u64) -> bool {
        self.subscriptions.remove(&id).is_some()
    }

    /// When the next simulation step is due, or `None` when
    /// `simulate_enable` is off. The first call fixes the schedule (one
    /// period from `now`), so calling it repeatedly does not postpone it.
    pub fn next_simulation(&mut self, state: &DeviceState, now: Instant) -> Option<Instant> {
        if !state.event().simulate_enable {
            self.next_simulation = None;
            return None;
        }
        Some(
            *self
                .next_simulation
                .get_or_insert(now + self.limits.simulation_period),
        )
    }

    /// One simulation step, when due (else nothing): each video source's
    /// motion toggles (`tns1:VideoSource/MotionAlarm` and, for each of its
    /// configurations, `tns1:RuleEngine/CellMotionDetector/Motion`), and
    /// when motion starts, one time in four, a tampering event starts on
    /// it, to end at the next step. Deterministic for a given `rng`.
    ///
    /// `device_time` is the device clock (as in
    /// [`RequestEnv::device_time`](crate::onvif::RequestEnv::device_time):
    /// the host's time plus the offset SetSystemDateAndTime stored). Publish the result with
    /// [`EventState::publish`], or use [`EventState::run_simulation`].
    pub fn simulate(
        &mut self,
        state: &DeviceState,
        now: Instant,
        device_time: Duration,
        rng: &mut Rng,
    ) -> Vec<Notification> {
        let Some(due) = self.next_simulation(state, now) else {
            return Vec::new();
        };
        if now < due {
            return Vec::new();
        }
        let period = self.limits.simulation_period;
        let next = due + period;
        self.next_simulation = Some(if next > now { next } else { now + period });
        let utc = device_time;
        self.sync_properties(state, utc);
        let mut out = Vec::new();
        self.simulation
            .retain(|token, _| state.video_source(token).is_some());
        for source in state.video_sources().iter().take(MAX_SIMULATED_SOURCES) {
            let sim = self.simulation.entry(source.token.clone()).or_default();
            sim.motion = !sim.motion;
            let motion = sim.motion;
            out.push(source_state(
                &topics::MOTION_ALARM,
                &source.token,
                motion,
                utc,
            ));
            for (index, vsc) in state.video_source_configurations().iter().enumerate() {
                if vsc.source_token == source.token {
                    out.push(cell_motion(index, &vsc.token, motion, utc));
                }
            }
            if let Some(active) = sim.tamper.take() {
                if let Some(topic) = topics::TAMPERING.get(active) {
                    out.push(source_state(topic, &source.token, false, utc));
                }
            } else if motion && rng.below(4) == 0 {
                let which = usize::try_from(rng.below(topics::TAMPERING.len() as u64)).unwrap_or(0);
                if let Some(topic) = topics::TAMPERING.get(which) {
                    sim.tamper = Some(which);
                    out.push(source_state(topic, &source.token, true, utc));
                }
            }
        }
        out
    }

    /// [`EventState::simulate`], then [`EventState::publish`] of each
    /// message. Returns the tokens to wake, without repeats.
    pub fn run_simulation(
        &mut self,
        state: &DeviceState,
        now: Instant,
        device_time: Duration,
        rng: &mut Rng,
    ) -> Vec<u64> {
        let mut woken = Vec::new();
        for n in self.simulate(state, now, device_time, rng) {
            for id in self.publish(n) {
                if !woken.contains(&id) {
                    woken.push(id);
                }
            }
        }
        woken
    }

    /// The `wsnt:Notify` messages to POST now, one per push subscription
    /// with queued messages (its queue is emptied).
    pub fn take_push(&mut self) -> Vec<PushNotify> {
        let mut out = Vec::new();
        for (id, sub) in &mut self.subscriptions {
            let Some(consumer) = &sub.consumer else {
                continue;
            };
            if sub.queue.is_empty() {
                continue;
            }
            let mut body = XmlWriter::with_capacity(1024);
            body.elem("wsnt:Notify", |w| {
                for n in &sub.queue {
                    write_notification_message(w, n, &sub.address, &sub.producer);
                }
            });
            sub.queue.clear();
            let header = format!(
                "<wsa:Action>{}</wsa:Action><wsa:To>{}</wsa:To>",
                NOTIFY_ACTION,
                escape(&consumer.url)
            );
            out.push(PushNotify {
                subscription: *id,
                consumer_url: consumer.url.clone(),
                content_type: consumer.version.content_type(),
                envelope: soap::envelope(consumer.version, Some(&header), body.as_str()),
            });
        }
        out
    }

    /// Records a property's new state (`Deleted` forgets it).
    fn record_property(&mut self, n: &Notification) {
        let Some(op) = n.operation else {
            return;
        };
        let existing = self
            .properties
            .iter()
            .position(|p| p.topic == n.topic && p.source == n.source);
        match (op, existing) {
            (PropertyOperation::Deleted, Some(i)) => {
                self.properties.remove(i);
            }
            (PropertyOperation::Deleted, None) => {}
            (_, Some(i)) => {
                if let Some(p) = self.properties.get_mut(i) {
                    p.clone_from(n);
                }
            }
            (_, None) => {
                if self.properties.len() < MAX_PROPERTIES {
                    self.properties.push(n.clone());
                }
            }
        }
    }

    /// Makes the property states of the state's video sources, their
    /// configurations and relays exist (initial values `false`, relays as
    /// the state has them), and forgets those whose source went away.
    pub(crate) fn sync_properties(&mut self, state: &DeviceState, utc: Duration) {
        let mut wanted: Vec<Notification> = Vec::new();
        for source in state.video_sources() {
            wanted.push(source_state(
                &topics::MOTION_ALARM,
                &source.token,
                false,
                utc,
            ));
            for topic in &topics::TAMPERING {
                wanted.push(source_state(topic, &source.token, false, utc));
            }
        }
        for (index, vsc) in state.video_source_configurations().iter().enumerate() {
            wanted.push(cell_motion(index, &vsc.token, false, utc));
        }
        for relay in state.relay_outputs() {
            wanted.push(relay_state(&relay.token, relay.active, utc));
        }
        let managed = |topic: &str| {
            topics::find(topic).is_some_and(|t| {
                t.path == topics::MOTION_ALARM.path
                    || t.path == topics::CELL_MOTION.path
                    || t.path == topics::RELAY.path
                    || topics::TAMPERING.iter().any(|x| x.path == t.path)
            })
        };
        self.properties.retain(|p| {
            !managed(&p.topic)
                || wanted
                    .iter()
                    .any(|w| w.topic == p.topic && w.source == p.source)
        });
        for w in wanted {
            match self
                .properties
                .iter_mut()
                .find(|p| p.topic == w.topic && p.source == w.source)
            {
                // The relay's state is the device state's.
                Some(p) if w.topic == topics::RELAY.qualified() && p.data != w.data => {
                    *p = w;
                }
                Some(_) => {}
                None => {
                    if self.properties.len() < MAX_PROPERTIES {
                        self.properties.push(w);
                    }
                }
            }
        }
    }

    /// The current property states passing `filter`, as `Initialized`
    /// messages stamped `utc`.
    fn initialized(&self, filter: &Filter, utc: Duration) -> Vec<Notification> {
        self.properties
            .iter()
            .map(|p| {
                let mut n = p.clone();
                n.operation = Some(PropertyOperation::Initialized);
                n.utc_time = utc;
                n
            })
            .filter(|n| filter.matches(n))
            .collect()
    }
}

/// A `Source`/`State` property message (motion alarm, tampering).
fn source_state(
    topic: &topics::TopicInfo,
    source: &str,
    state: bool,
    utc: Duration,
) -> Notification {
    let mut n = Notification::new(topic.qualified(), utc);
    n.operation = Some(PropertyOperation::Changed);
    n.source.push(("Source".into(), source.into()));
    n.data.push(("State".into(), bool_str(state).into()));
    n
}

/// A cell motion detector message for the `index`th video source
/// configuration.
fn cell_motion(index: usize, vsc: &str, motion: bool, utc: Duration) -> Notification {
    let mut n = Notification::new(topics::CELL_MOTION.qualified(), utc);
    n.operation = Some(PropertyOperation::Changed);
    n.source
        .push(("VideoSourceConfigurationToken".into(), vsc.into()));
    n.source.push((
        "VideoAnalyticsConfigurationToken".into(),
        analytics_token(index),
    ));
    n.source.push(("Rule".into(), MOTION_RULE.into()));
    n.data.push(("IsMotion".into(), bool_str(motion).into()));
    n
}

/// A relay state message (`tns1:Device/Trigger/Relay`).
pub fn relay_state(token: &str, active: bool, utc: Duration) -> Notification {
    let mut n = Notification::new(topics::RELAY.qualified(), utc);
    n.operation = Some(PropertyOperation::Changed);
    n.source.push(("RelayToken".into(), token.into()));
    n.data.push((
        "LogicalState".into(),
        if active { "active" } else { "inactive" }.into(),
    ));
    n
}

/// A `tns1:Media/ProfileChanged` message (Media2: a profile was created,
/// deleted or changed), for [`Effect::Notify`](crate::onvif::Effect::Notify).
pub fn profile_changed(profile_token: &str, utc: Duration) -> Notification {
    let mut n = Notification::new(topics::PROFILE_CHANGED.qualified(), utc);
    n.data.push(("Token".into(), profile_token.into()));
    n
}

/// A `tns1:Media/ConfigurationChanged` message: configuration `token` of
/// `kind` (`VideoSource`, `VideoEncoder`, `AudioSource`, `AudioEncoder`,
/// `Metadata`... as Media2's `ConfigurationEnumeration`) changed.
pub fn configuration_changed(token: &str, kind: &str, utc: Duration) -> Notification {
    let mut n = Notification::new(topics::CONFIGURATION_CHANGED.qualified(), utc);
    n.source.push(("Token".into(), token.into()));
    n.data.push(("Type".into(), kind.into()));
    n
}

/// The analytics configuration token reported for the `index`th video
/// source configuration: `VideoAnalyticsConfigurationToken_{index+1}`.
pub fn analytics_token(index: usize) -> String {
    format!("VideoAnalyticsConfigurationToken_{}", index + 1)
}

fn bool_str(b: bool) -> &'static str {
    if b { "true" } else { "false" }
}

/// Writes one `wsnt:NotificationMessage`.
pub(crate) fn write_notification_message(
    w: &mut XmlWriter,
    n: &Notification,
    subscription: &str,
    producer: &str,
) {
    w.elem("wsnt:NotificationMessage", |w| {
        w.elem("wsnt:SubscriptionReference", |w| {
            w.leaf("wsa:Address", subscription);
        });
        w.start("wsnt:Topic")
            .attr("Dialect", topics::DIALECT_CONCRETE_SET)
            .text(&n.topic)
            .end();
        w.elem("wsnt:ProducerReference", |w| {
            w.leaf("wsa:Address", producer);
        });
        w.elem("wsnt:Message", |w| n.write_message(w));
    });
}

/// The subscription id of a request path (`.../subscription/N`).
pub fn subscription_id_of_path(path: &str) -> Option<u64> {
    let rest = path.strip_prefix(SUBSCRIPTION_PATH)?;
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.is_empty() || rest.len() > 20 || !rest.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    rest.parse().ok()
}

/// The subscription id of an address URL (`http://host/.../subscription/N`).
pub fn subscription_id_of_url(url: &str) -> Option<u64> {
    let url = url.trim();
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path_start = after_scheme.find('/')?;
    let path = after_scheme.get(path_start..)?;
    let path = path.split(['?', '#']).next().unwrap_or(path);
    subscription_id_of_path(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::OnvifConfig;

    fn state() -> DeviceState {
        DeviceState::from_config(&OnvifConfig::default(), 1)
    }

    #[test]
    fn messages_carry_the_items_their_topics_describe() {
        let utc = Duration::from_secs(1);
        let s = state();
        let mut events = EventState::default();
        events.sync_properties(&s, utc);
        let mut all: Vec<Notification> = events.properties().to_vec();
        all.push(profile_changed("ProfileToken_1", utc));
        all.push(configuration_changed(
            "VideoEncoderConfigurationToken_1",
            "VideoEncoder",
            utc,
        ));
        let mut seen = std::collections::BTreeSet::new();
        for n in &all {
            let topic = topics::find(&n.topic).unwrap_or_else(|| panic!("{}", n.topic));
            let names = |items: &[(String, String)]| -> Vec<String> {
                items.iter().map(|(k, _)| k.clone()).collect()
            };
            let described = |items: &[(&str, &str)]| -> Vec<String> {
                items.iter().map(|(k, _)| (*k).to_owned()).collect()
            };
            assert_eq!(names(&n.source), described(topic.source), "{}", n.topic);
            assert_eq!(names(&n.data), described(topic.data), "{}", n.topic);
            assert_eq!(n.operation.is_some(), topic.property, "{}", n.topic);
            seen.insert(topic.path);
        }
        assert_eq!(seen.len(), topics::ALL_TOPICS.len());
    }

    #[test]
    fn subscription_paths() {
        assert_eq!(
            subscription_id_of_path("/onvif/event_service/subscription/12"),
            Some(12)
        );
        assert_eq!(
            subscription_id_of_path("/onvif/event_service/subscription/12/"),
            Some(12)
        );
        assert_eq!(
            subscription_id_of_path("/onvif/event_service/subscription/"),
            None
        );
        assert_eq!(
            subscription_id_of_path("/onvif/event_service/subscription/1x"),
            None
        );
        assert_eq!(
            subscription_id_of_url("http://192.0.2.1:8000/onvif/event_service/subscription/3?a"),
            Some(3)
        );
        assert_eq!(subscription_id_of_url("http://192.0.2.1:8000"), None);
    }

    #[test]
    fn simulation_is_scheduled_once_and_toggles() {
        let s = state();
        let mut events = EventState::default();
        let t0 = Instant::now();
        let first = events.next_simulation(&s, t0).unwrap();
        assert_eq!(first, t0 + Duration::from_secs(10));
        assert_eq!(
            events.next_simulation(&s, t0 + Duration::from_secs(5)),
            Some(first)
        );
        let mut rng = Rng::new(5);
        assert!(
            events
                .simulate(&s, t0, Duration::from_secs(1_000), &mut rng)
                .is_empty()
        );
        let on = events.simulate(&s, first, Duration::from_secs(1_010), &mut rng);
        assert!(on.iter().any(|n| n.topic == "tns1:VideoSource/MotionAlarm"
            && n.data == [("State".to_owned(), "true".to_owned())]));
        assert!(
            on.iter()
                .any(|n| n.topic == "tns1:RuleEngine/CellMotionDetector/Motion")
        );
        let second = events.next_simulation(&s, first).unwrap();
        assert_eq!(second, first + Duration::from_secs(10));
        let off = events.simulate(&s, second, Duration::from_secs(1_020), &mut rng);
        assert!(off.iter().any(|n| n.topic == "tns1:VideoSource/MotionAlarm"
            && n.data == [("State".to_owned(), "false".to_owned())]));
    }

    #[test]
    fn queues_are_bounded_and_properties_recorded() {
        let mut events = EventState::new(EventLimits {
            max_queue: 3,
            ..EventLimits::default()
        });
        let now = Instant::now();
        events.subscriptions.insert(
            7,
            Subscription {
                consumer: None,
                filter: Filter::all(),
                changed_only: false,
                termination: now + Duration::from_secs(60),
                parked_until: None,
                queue: VecDeque::new(),
                dropped: 0,
                address: "http://h/onvif/event_service/subscription/7".into(),
                producer: "http://h/onvif/event_service".into(),
            },
        );
        for i in 0..5 {
            let woken = events.publish(relay_state("R", i % 2 == 0, Duration::from_secs(i)));
            assert_eq!(woken, [7]);
        }
        assert_eq!(events.queued(7), Some(3));
        assert_eq!(events.dropped(7), Some(2));
        assert_eq!(events.properties().len(), 1);
        assert_eq!(events.properties()[0].data[0].1, "active");
        let mut gone = relay_state("R", false, Duration::ZERO);
        gone.operation = Some(PropertyOperation::Deleted);
        events.publish(gone);
        assert!(events.properties().is_empty());
        assert_eq!(events.next_deadline(), Some(now + Duration::from_secs(60)));
        assert!(events.expire(now + Duration::from_secs(59)).is_empty());
        assert_eq!(events.expire(now + Duration::from_secs(60)), [7]);
        assert_eq!(events.next_deadline(), None);
    }
}
