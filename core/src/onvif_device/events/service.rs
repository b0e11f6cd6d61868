//! The event service's operation handlers.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::filter::{Filter, FilterError};
use super::{
    Consumer, SUBSCRIPTION_PATH, Subscription, subscription_id_of_path, subscription_id_of_url,
    topics, write_notification_message,
};
use crate::onvif::fault::ter;
use crate::onvif::values::{self, format_datetime, format_duration};
use crate::onvif::{
    AccessClass, Call, Effect, Element, Fault, Operation, Registry, RegistryError, Reply,
    ServiceKind, WakeReason, XmlWriter, ns,
};
use crate::onvif_device::{OnvifContext, capabilities};

/// `wsa:Action`s of the responses.
mod action {
    pub const GET_SERVICE_CAPABILITIES: &str =
        "http://www.onvif.org/ver10/events/wsdl/EventPortType/GetServiceCapabilitiesResponse";
    pub const GET_EVENT_PROPERTIES: &str =
        "http://www.onvif.org/ver10/events/wsdl/EventPortType/GetEventPropertiesResponse";
    pub const CREATE_PULL_POINT_SUBSCRIPTION: &str =
        "http://www.onvif.org/ver10/events/wsdl/EventPortType/CreatePullPointSubscriptionResponse";
    pub const PULL_MESSAGES: &str =
        "http://www.onvif.org/ver10/events/wsdl/PullPointSubscription/PullMessagesResponse";
    pub const SET_SYNCHRONIZATION_POINT: &str = "http://www.onvif.org/ver10/events/wsdl/PullPointSubscription/SetSynchronizationPointResponse";
    pub const RENEW: &str = "http://docs.oasis-open.org/wsn/bw-2/SubscriptionManager/RenewResponse";
    pub const UNSUBSCRIBE: &str =
        "http://docs.oasis-open.org/wsn/bw-2/SubscriptionManager/UnsubscribeResponse";
    pub const SUBSCRIBE: &str =
        "http://docs.oasis-open.org/wsn/bw-2/NotificationProducer/SubscribeResponse";
}

/// Longest consumer address accepted by Subscribe.
const MAX_CONSUMER_URL: usize = 1024;

/// Registers the event service's operations.
pub fn register(registry: &mut Registry<OnvifContext>) -> Result<(), RegistryError> {
    registry.register(
        ServiceKind::Events,
        &[
            Operation::new(
                ns::TEV,
                "GetServiceCapabilities",
                AccessClass::PreAuth,
                get_service_capabilities,
            ),
            Operation::new(
                ns::TEV,
                "GetEventProperties",
                AccessClass::ReadMedia,
                get_event_properties,
            ),
            Operation::new(
                ns::TEV,
                "CreatePullPointSubscription",
                AccessClass::ReadMedia,
                create_pull_point_subscription,
            ),
            Operation::new(
                ns::TEV,
                "PullMessages",
                AccessClass::ReadMedia,
                pull_messages,
            ),
            Operation::new(
                ns::TEV,
                "SetSynchronizationPoint",
                AccessClass::ReadMedia,
                set_synchronization_point,
            ),
            Operation::new(ns::WSNT, "Renew", AccessClass::ReadMedia, renew),
            Operation::new(ns::WSNT, "Unsubscribe", AccessClass::ReadMedia, unsubscribe),
            Operation::new(ns::WSNT, "Subscribe", AccessClass::ReadMedia, subscribe),
        ],
    )?;
    // Paths below the service's own already count as the event service;
    // say so explicitly for the subscription addresses.
    registry.add_path(SUBSCRIPTION_PATH.trim_end_matches('/'), ServiceKind::Events);
    Ok(())
}

fn get_service_capabilities(_: &Call<'_>, ctx: &mut OnvifContext) -> Result<Reply, Fault> {
    Ok(Reply::build(|w| {
        w.elem("tev:GetServiceCapabilitiesResponse", |w| {
            // One writer for this and GetServices, so they agree.
            capabilities::write_events_capabilities(w, ctx);
        });
    })
    .with_action(action::GET_SERVICE_CAPABILITIES))
}

fn get_event_properties(_: &Call<'_>, ctx: &mut OnvifContext) -> Result<Reply, Fault> {
    Ok(Reply::build(|w| {
        w.elem("tev:GetEventPropertiesResponse", |w| {
            w.leaf(
                "tev:TopicNamespaceLocation",
                topics::TOPIC_NAMESPACE_LOCATION,
            );
            w.leaf("wsnt:FixedTopicSet", "true");
            topics::write_topic_set(w, topics::announced(&ctx.state));
            for dialect in [topics::DIALECT_CONCRETE_SET, topics::DIALECT_CONCRETE] {
                w.leaf("wsnt:TopicExpressionDialect", dialect);
            }
            w.leaf(
                "tev:MessageContentFilterDialect",
                topics::DIALECT_ITEM_FILTER,
            );
            w.leaf(
                "tev:MessageContentSchemaLocation",
                topics::MESSAGE_CONTENT_SCHEMA_LOCATION,
            );
        });
    })
    .with_action(action::GET_EVENT_PROPERTIES))
}

/// `renew_interval` (0 in the config means the default, 60 s).
fn renew_interval(ctx: &OnvifContext) -> Duration {
    match ctx.state.event().renew_interval {
        0 => Duration::from_secs(60),
        n => Duration::from_secs(u64::from(n)),
    }
}

/// A WS-BaseNotification fault: the subcodes, and the `wsnt:`/`wsrf-r:`
/// fault element with its timestamp as the detail.
fn wsn_fault(
    sender: bool,
    subcodes: &'static [&'static str],
    element: &str,
    reason: String,
    now: Duration,
) -> Fault {
    let mut detail = XmlWriter::with_capacity(256);
    detail.elem(element, |w| {
        w.leaf("wsrf-bf:Timestamp", &format_datetime(now));
        w.start("wsrf-bf:Description")
            .attr("xml:lang", "en")
            .text(&reason)
            .end();
    });
    let fault = if sender {
        Fault::sender(subcodes, reason)
    } else {
        Fault::receiver(subcodes, reason)
    };
    fault.with_detail(detail.finish())
}

fn filter_fault(err: FilterError, now: Duration) -> Fault {
    match err {
        FilterError::TopicDialectUnknown(why) => wsn_fault(
            true,
            &[
                ter::INVALID_ARG_VAL,
                "wsnt:TopicExpressionDialectUnknownFault",
            ],
            "wsnt:TopicExpressionDialectUnknownFault",
            format!("unknown topic expression dialect {why:?}"),
            now,
        ),
        FilterError::InvalidTopicExpression(why) => wsn_fault(
            true,
            &[ter::INVALID_ARG_VAL, ter::INVALID_TOPIC_EXPRESSION_FAULT],
            "wsnt:InvalidTopicExpressionFault",
            why,
            now,
        ),
        FilterError::TopicNotSupported(why) => wsn_fault(
            true,
            &[ter::INVALID_ARG_VAL, "wsnt:TopicNotSupportedFault"],
            "wsnt:TopicNotSupportedFault",
            why,
            now,
        ),
        FilterError::InvalidMessageContent(why) => wsn_fault(
            true,
            &[
                ter::INVALID_ARG_VAL,
                ter::INVALID_MESSAGE_CONTENT_EXPRESSION_FAULT,
            ],
            "wsnt:InvalidMessageContentExpressionFault",
            why,
            now,
        ),
        FilterError::InvalidFilter(why) => wsn_fault(
            true,
            &[ter::INVALID_ARG_VAL, ter::INVALID_FILTER_FAULT],
            "wsnt:InvalidFilterFault",
            why,
            now,
        ),
    }
}

fn resource_unknown(now: Duration) -> Fault {
    wsn_fault(
        true,
        &[ter::INVALID_ARG_VAL, "wsrf-r:ResourceUnknownFault"],
        "wsrf-r:ResourceUnknownFault",
        "no such subscription (it ended, or never existed)".into(),
        now,
    )
}

fn unacceptable_time(element: &'static str, now: Duration) -> Fault {
    let subcodes: &'static [&'static str] = if element == "wsnt:UnacceptableTerminationTimeFault" {
        &[
            ter::INVALID_ARG_VAL,
            "wsnt:UnacceptableTerminationTimeFault",
        ]
    } else {
        &[
            ter::INVALID_ARG_VAL,
            "wsnt:UnacceptableInitialTerminationTimeFault",
        ]
    };
    wsn_fault(
        true,
        subcodes,
        element,
        "the termination time is not in the future".into(),
        now,
    )
}

/// How long a subscription should live from a termination time parameter
/// (`AbsoluteOrRelativeTimeType`): `None` for absent, empty or nil (the
/// default), an error for a bad or past value.
fn requested_lifetime(
    element: Option<&Element>,
    device_now: Duration,
    fault_element: &'static str,
) -> Result<Option<Duration>, Fault> {
    let Some(e) = element else {
        return Ok(None);
    };
    if e.attr_ns(ns::XSI, "nil")
        .is_some_and(|v| v.trim() == "true")
        || e.text().is_empty()
    {
        return Ok(None);
    }
    let at = values::parse_absolute_or_relative(e.text(), device_now).ok_or_else(|| {
        Fault::invalid_arg_val(format!("invalid termination time {:?}", e.text()))
    })?;
    match at.checked_sub(device_now) {
        Some(d) if !d.is_zero() => Ok(Some(d)),
        _ => Err(unacceptable_time(fault_element, device_now)),
    }
}

/// Whether the subscription policy asks for `tev:ChangedOnly`.
fn changed_only(body: &Element) -> bool {
    body.param(ns::WSNT, "SubscriptionPolicy")
        .or_else(|| body.param(ns::TEV, "SubscriptionPolicy"))
        .is_some_and(|p| p.children.iter().any(|c| c.name == "ChangedOnly"))
}

/// Creates a subscription from a CreatePullPointSubscription or Subscribe
/// body; returns its id.
fn create(
    call: &Call<'_>,
    ctx: &mut OnvifContext,
    consumer: Option<Consumer>,
) -> Result<u64, Fault> {
    let device_now = call.device_time;
    let filter = Filter::parse(
        call.body
            .param(ns::WSNT, "Filter")
            .or_else(|| call.body.param(ns::TEV, "Filter")),
    )
    .map_err(|e| filter_fault(e, device_now))?;
    let lifetime = requested_lifetime(
        call.body.param(ns::WSNT, "InitialTerminationTime"),
        device_now,
        "wsnt:UnacceptableInitialTerminationTimeFault",
    )?
    .unwrap_or_else(|| renew_interval(ctx));
    let changed_only = changed_only(call.body);
    let events = &mut ctx.events;
    events.expire(call.now);
    let push = consumer.is_some();
    let (max, what) = if push {
        (events.limits.max_push_subscriptions, "push subscriptions")
    } else {
        (events.limits.max_pull_points, "pull points")
    };
    let count = events
        .subscriptions
        .values()
        .filter(|s| s.consumer.is_some() == push)
        .count();
    if count >= max {
        return Err(wsn_fault(
            false,
            &[ter::ACTION, "wsnt:SubscribeCreationFailedFault"],
            "wsnt:SubscribeCreationFailedFault",
            format!("the device holds at most {max} {what}"),
            device_now,
        ));
    }
    let id = events.next_id;
    events.next_id += 1;
    let lifetime = lifetime.min(events.limits.max_termination);
    let mut sub = Subscription {
        consumer,
        filter,
        changed_only,
        termination: call.now + lifetime,
        parked_until: None,
        queue: VecDeque::new(),
        dropped: 0,
        address: format!("{}{SUBSCRIPTION_PATH}{id}", call.base_url()),
        producer: call.service_url(ServiceKind::Events),
    };
    if !changed_only {
        events.sync_properties(&ctx.state, device_now);
        let max = events.limits.max_queue;
        for n in events.initialized(&sub.filter, device_now) {
            sub.push(n, max);
        }
    }
    tracing::debug!(
        subscription = id,
        push = sub.consumer.is_some(),
        lifetime_s = lifetime.as_secs(),
        "event subscription created"
    );
    events.subscriptions.insert(id, sub);
    Ok(id)
}

/// Writes `SubscriptionReference`, `CurrentTime`, `TerminationTime` of a
/// new subscription.
fn write_created(
    w: &mut XmlWriter,
    reference: &str,
    address: &str,
    device_now: Duration,
    termination: Duration,
) {
    w.elem(reference, |w| {
        w.leaf("wsa:Address", address);
    });
    w.leaf("wsnt:CurrentTime", &format_datetime(device_now));
    w.leaf("wsnt:TerminationTime", &format_datetime(termination));
}

/// The device time at which subscription `sub` terminates.
fn termination_time(sub: &Subscription, now: Instant, device_now: Duration) -> Duration {
    device_now + sub.termination.saturating_duration_since(now)
}

fn create_pull_point_subscription(call: &Call<'_>, ctx: &mut OnvifContext) -> Result<Reply, Fault> {
    let id = create(call, ctx, None)?;
    let device_now = call.device_time;
    let sub = ctx
        .events
        .subscriptions
        .get(&id)
        .ok_or_else(|| Fault::action_failed("subscription vanished"))?;
    let termination = termination_time(sub, call.now, device_now);
    Ok(Reply::build(|w| {
        w.elem("tev:CreatePullPointSubscriptionResponse", |w| {
            write_created(
                w,
                "tev:SubscriptionReference",
                &sub.address,
                device_now,
                termination,
            );
        });
    })
    .with_action(action::CREATE_PULL_POINT_SUBSCRIPTION))
}

fn subscribe(call: &Call<'_>, ctx: &mut OnvifContext) -> Result<Reply, Fault> {
    let consumer = call.body.required(ns::WSNT, "ConsumerReference")?;
    let url = consumer
        .param(ns::WSA, "Address")
        .map(Element::text)
        .unwrap_or_default();
    let lower = url.to_ascii_lowercase();
    if url.len() > MAX_CONSUMER_URL
        || !(lower.starts_with("http://") || lower.starts_with("https://"))
        || url.len() <= "https://".len()
        || url.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(Fault::invalid_arg_val(format!(
            "the consumer address must be an http(s) URL, not {url:?}"
        )));
    }
    let consumer = Consumer {
        url: url.to_owned(),
        version: call.version,
    };
    let id = create(call, ctx, Some(consumer))?;
    let device_now = call.device_time;
    let sub = ctx
        .events
        .subscriptions
        .get(&id)
        .ok_or_else(|| Fault::action_failed("subscription vanished"))?;
    let termination = termination_time(sub, call.now, device_now);
    Ok(Reply::build(|w| {
        w.elem("wsnt:SubscribeResponse", |w| {
            write_created(
                w,
                "wsnt:SubscriptionReference",
                &sub.address,
                device_now,
                termination,
            );
        });
    })
    .with_action(action::SUBSCRIBE))
}

/// The subscription a request is about: from its path, else its `wsa:To`.
fn target_subscription(call: &Call<'_>) -> Option<u64> {
    subscription_id_of_path(call.path).or_else(|| {
        call.header
            .and_then(|h| {
                h.child(ns::WSA, "To")
                    .or_else(|| h.child_by_local_name("To"))
            })
            .and_then(|to| subscription_id_of_url(to.text()))
    })
}

/// The live subscription a request is about, or `ResourceUnknown`.
fn find_subscription(call: &Call<'_>, ctx: &mut OnvifContext) -> Result<u64, Fault> {
    let device_now = call.device_time;
    ctx.events.expire(call.now);
    target_subscription(call)
        .filter(|id| ctx.events.subscriptions.contains_key(id))
        .ok_or_else(|| resource_unknown(device_now))
}

fn pull_messages_fault(reason: &str, ctx: &OnvifContext) -> Fault {
    let limits = ctx.events.limits();
    let mut detail = XmlWriter::with_capacity(256);
    detail.elem("tev:PullMessagesFaultResponse", |w| {
        w.leaf("tev:MaxTimeout", &format_duration(limits.max_pull_timeout));
        w.leaf_display("tev:MaxMessageLimit", limits.max_queue);
    });
    Fault::sender(&[ter::INVALID_ARG_VAL], reason.to_owned()).with_detail(detail.finish())
}

fn pull_messages(call: &Call<'_>, ctx: &mut OnvifContext) -> Result<Reply, Fault> {
    let id = find_subscription(call, ctx)?;
    let timeout = call
        .body
        .param(ns::TEV, "Timeout")
        .and_then(|t| values::parse_duration(t.text()))
        .ok_or_else(|| pull_messages_fault("missing or invalid Timeout", ctx))?;
    let limit = call
        .body
        .param(ns::TEV, "MessageLimit")
        .and_then(|m| m.text().parse::<i64>().ok())
        .filter(|m| *m >= 1)
        .ok_or_else(|| pull_messages_fault("missing or invalid MessageLimit", ctx))?;
    let renew = renew_interval(ctx);
    let device_now = call.device_time;
    let max_timeout = ctx.events.limits.max_pull_timeout;
    let sub = ctx
        .events
        .subscriptions
        .get_mut(&id)
        .ok_or_else(|| resource_unknown(device_now))?;
    if sub.consumer.is_some() {
        return Err(Fault::sender(
            &[ter::ACTION_NOT_SUPPORTED],
            "this is a push subscription; its messages go to the consumer",
        ));
    }
    // Each PullMessages keeps the pull point alive for renew_interval.
    let keep = call.now + renew;
    if sub.termination < keep {
        sub.termination = keep;
    }
    let deadline = match call.wake {
        Some(wake) => wake.deadline,
        None => call.now + timeout.min(max_timeout),
    };
    let timed_out =
        call.wake.is_some_and(|w| w.reason == WakeReason::Deadline) || call.now >= deadline;
    if sub.queue.is_empty() && !timed_out {
        sub.parked_until = Some(sub.parked_until.map_or(deadline, |p| p.max(deadline)));
        return Ok(Reply::defer(id, deadline));
    }
    let take = usize::try_from(limit)
        .unwrap_or(usize::MAX)
        .min(sub.queue.len());
    let messages: Vec<_> = sub.queue.drain(..take).collect();
    let termination = termination_time(sub, call.now, device_now);
    let sub = &*sub;
    Ok(Reply::build(|w| {
        w.elem("tev:PullMessagesResponse", |w| {
            w.leaf("tev:CurrentTime", &format_datetime(device_now));
            w.leaf("tev:TerminationTime", &format_datetime(termination));
            for n in &messages {
                write_notification_message(w, n, &sub.address, &sub.producer);
            }
        });
    })
    .with_action(action::PULL_MESSAGES))
}

fn set_synchronization_point(call: &Call<'_>, ctx: &mut OnvifContext) -> Result<Reply, Fault> {
    let id = find_subscription(call, ctx)?;
    let device_now = call.device_time;
    ctx.events.sync_properties(&ctx.state, device_now);
    let max = ctx.events.limits.max_queue;
    let Some((filter, changed_only)) = ctx
        .events
        .subscriptions
        .get(&id)
        .map(|s| (s.filter.clone(), s.changed_only))
    else {
        return Err(resource_unknown(device_now));
    };
    // A `tev:ChangedOnly` subscription gets no Initialized messages.
    let initialized = if changed_only {
        Vec::new()
    } else {
        ctx.events.initialized(&filter, device_now)
    };
    let mut reply = Reply::empty("tev:SetSynchronizationPointResponse")
        .with_action(action::SET_SYNCHRONIZATION_POINT);
    if let Some(sub) = ctx.events.subscriptions.get_mut(&id) {
        let pull = sub.consumer.is_none();
        let any = !initialized.is_empty();
        for n in initialized {
            sub.push(n, max);
        }
        if pull && any {
            reply = reply.with_effect(Effect::Wake(id));
        }
    }
    Ok(reply)
}

fn renew(call: &Call<'_>, ctx: &mut OnvifContext) -> Result<Reply, Fault> {
    let id = find_subscription(call, ctx)?;
    let device_now = call.device_time;
    let element = call.body.param(ns::WSNT, "TerminationTime");
    let lifetime =
        requested_lifetime(element, device_now, "wsnt:UnacceptableTerminationTimeFault")?;
    let lifetime = match (lifetime, element) {
        (Some(d), _) => d,
        // Absent: the default; nil or empty: "no end", our longest.
        (None, None) => renew_interval(ctx),
        (None, Some(_)) => ctx.events.limits.max_termination,
    }
    .min(ctx.events.limits.max_termination);
    let sub = ctx
        .events
        .subscriptions
        .get_mut(&id)
        .ok_or_else(|| resource_unknown(device_now))?;
    sub.termination = call.now + lifetime;
    let termination = termination_time(sub, call.now, device_now);
    Ok(Reply::build(|w| {
        w.elem("wsnt:RenewResponse", |w| {
            w.leaf("wsnt:TerminationTime", &format_datetime(termination));
            w.leaf("wsnt:CurrentTime", &format_datetime(device_now));
        });
    })
    .with_action(action::RENEW))
}

fn unsubscribe(call: &Call<'_>, ctx: &mut OnvifContext) -> Result<Reply, Fault> {
    let id = find_subscription(call, ctx)?;
    ctx.events.remove(id);
    tracing::debug!(subscription = id, "event subscription ended by Unsubscribe");
    Ok(Reply::empty("wsnt:UnsubscribeResponse")
        .with_action(action::UNSUBSCRIBE)
        .with_effect(Effect::Wake(id)))
}
