//! The SOAP endpoint: one HTTP request in, one HTTP response (or a parked
//! request) out, with parsing, dispatch, security and the handler between.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use super::dispatch::{Call, Effect, Handler, OpId, Registry, ReplyKind, Wake, WakeReason};
use super::fault::Fault;
use super::security::{AccessRecord, AccessResult, AuthRequest, Principal, Security, UserStore};
use super::soap::{self, SoapVersion, parse_envelope};
use super::xml::{Element, XmlLimits};
use crate::http::{Request, Response, StatusCode};

/// Facts about a request that only the runtime knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestEnv {
    /// The client's address.
    pub peer: IpAddr,
    /// The local address the connection arrived on.
    pub local: Option<SocketAddr>,
    /// Whether the connection is HTTPS.
    pub tls: bool,
    /// Monotonic now.
    pub now: Instant,
    /// The device clock as Unix time (system time plus any offset set by
    /// SetSystemDateAndTime).
    pub device_time: Duration,
}

/// What happened to a request.
#[derive(Debug)]
pub struct Outcome {
    /// The answer, now or later.
    pub answer: Answer,
    /// Side effects the handler asked for, to carry out in order.
    pub effects: Vec<Effect>,
}

/// The answer to a request.
#[derive(Debug)]
pub enum Answer {
    /// Send this response now.
    Now(Response),
    /// The handler deferred: keep the request parked (the connection sends
    /// nothing else meanwhile) and call [`Endpoint::resume`] when its
    /// deadline passes or its token is signalled.
    Later(Box<Parked>),
}

impl Answer {
    /// The response, when there is one now.
    pub fn response(&self) -> Option<&Response> {
        match self {
            Answer::Now(r) => Some(r),
            Answer::Later(_) => None,
        }
    }
}

/// A request whose handler deferred its answer.
#[derive(Debug)]
pub struct Parked {
    data: CallData,
    op: OpId,
    token: u64,
    deadline: Instant,
}

impl Parked {
    /// The token the handler deferred with (e.g. a subscription id).
    pub fn token(&self) -> u64 {
        self.token
    }

    /// When to resume it at the latest.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// The SOAP version to answer in.
    pub fn version(&self) -> SoapVersion {
        self.data.version
    }
}

/// The owned parts of a request a handler sees; kept while parked.
#[derive(Debug)]
struct CallData {
    version: SoapVersion,
    body: Element,
    header: Option<Element>,
    path: String,
    query: Option<String>,
    posted_to: Option<super::dispatch::ServiceKind>,
    host: Option<String>,
    tls: bool,
    local: Option<SocketAddr>,
    peer: IpAddr,
    principal: Principal,
    message_id: Option<String>,
}

impl CallData {
    fn call(&self, now: Instant, device_time: Duration, wake: Option<Wake>) -> Call<'_> {
        Call {
            version: self.version,
            body: &self.body,
            header: self.header.as_ref(),
            path: &self.path,
            query: self.query.as_deref(),
            posted_to: self.posted_to,
            host: self.host.as_deref(),
            tls: self.tls,
            local: self.local,
            peer: self.peer,
            principal: &self.principal,
            now,
            device_time,
            message_id: self.message_id.as_deref(),
            wake,
        }
    }
}

/// The ONVIF SOAP endpoint: registry, security state and XML limits.
#[derive(Debug)]
pub struct Endpoint<S> {
    registry: Registry<S>,
    security: Security,
    limits: XmlLimits,
}

impl<S: UserStore> Endpoint<S> {
    /// An endpoint serving `registry`'s operations.
    pub fn new(registry: Registry<S>, security: Security, limits: XmlLimits) -> Endpoint<S> {
        Endpoint {
            registry,
            security,
            limits,
        }
    }

    /// The operations served.
    pub fn registry(&self) -> &Registry<S> {
        &self.registry
    }

    /// The operations served, to add more.
    pub fn registry_mut(&mut self) -> &mut Registry<S> {
        &mut self.registry
    }

    /// The security state: also checks non-SOAP requests (snapshots) with
    /// the same rules, through [`Security::check`].
    pub fn security_mut(&mut self) -> &mut Security {
        &mut self.security
    }

    /// Handles one HTTP request posted to an ONVIF endpoint.
    pub fn handle(&mut self, request: &Request, env: &RequestEnv, state: &mut S) -> Outcome {
        if request.method != "POST" {
            return now(Response::plain(
                StatusCode::METHOD_NOT_ALLOWED,
                "ONVIF services take POST",
            )
            .header("Allow", "POST"));
        }
        let Ok(target) = request.target() else {
            return now(Response::plain(
                StatusCode::BAD_REQUEST,
                "bad request target",
            ));
        };
        let envelope = match parse_envelope(&request.body, &self.limits) {
            Ok(e) => e,
            Err(err) => {
                let version =
                    SoapVersion::sniff(&request.body, request.headers.get("Content-Type"));
                tracing::debug!(peer = %env.peer, %err, "unusable SOAP request");
                return now(err.fault().to_response(version));
            }
        };
        let version = envelope.version;
        let posted_to = self.registry.service_for_path(target.path);
        let found = self
            .registry
            .resolve(&envelope.body.ns, &envelope.body.name, posted_to)
            .and_then(|id| self.registry.get(id).map(|(_, op)| (id, *op)));
        let Some((op_id, op)) = found else {
            tracing::debug!(ns = %envelope.body.ns, name = %envelope.body.name, path = target.path, "operation not supported");
            return now(Fault::action_not_supported(format!(
                "operation {} is not supported",
                envelope.body.name
            ))
            .to_response(version));
        };
        let auth = AuthRequest {
            method: &request.method,
            target: &request.target,
            authorization: request.headers.get("Authorization"),
            soap_header: envelope.header.as_ref(),
            peer: env.peer,
            now: env.now,
            device_time: env.device_time,
        };
        let mut record = AccessRecord {
            device_time: env.device_time,
            peer: env.peer,
            operation: op.name,
            access: op.access,
            principal: None,
            result: AccessResult::Answered,
        };
        let principal = match self.security.check(&auth, op.access, state) {
            Ok(p) => p,
            Err(denial) => {
                record.result = AccessResult::Refused(denial.reason);
                state.record_access(&record);
                return now(denial.soap_response(version));
            }
        };
        let logged_principal = principal.clone();
        tracing::debug!(
            op = op.name,
            user = principal.username.as_deref().unwrap_or(""),
            peer = %env.peer,
            "ONVIF request"
        );
        let message_id = envelope.message_id().map(str::to_owned);
        let data = CallData {
            version,
            body: envelope.body,
            header: envelope.header,
            path: target.path.to_owned(),
            query: target.query.map(str::to_owned),
            posted_to,
            host: request
                .host()
                .filter(|h| plausible_host(h))
                .map(str::to_owned),
            tls: env.tls,
            local: env.local,
            peer: env.peer,
            principal,
            message_id,
        };
        let outcome = run(
            data,
            op_id,
            op.handler,
            None,
            env.now,
            env.device_time,
            state,
        );
        record.principal = Some(&logged_principal);
        record.result = match &outcome.answer {
            Answer::Now(response) if response.status == StatusCode::OK => AccessResult::Answered,
            Answer::Now(_) => AccessResult::Faulted,
            Answer::Later(_) => AccessResult::Deferred,
        };
        state.record_access(&record);
        outcome
    }

    /// Runs a parked request's handler again, because its deadline passed
    /// or its token was signalled. It may answer or defer again.
    pub fn resume(
        &mut self,
        parked: Box<Parked>,
        reason: WakeReason,
        now: Instant,
        device_time: Duration,
        state: &mut S,
    ) -> Outcome {
        let parked = *parked;
        let Some((_, op)) = self.registry.get(parked.op) else {
            let fault = Fault::action_failed("operation vanished");
            return self::now(fault.to_response(parked.data.version));
        };
        let wake = Wake {
            token: parked.token,
            deadline: parked.deadline,
            reason,
        };
        let handler = op.handler;
        run(
            parked.data,
            parked.op,
            handler,
            Some(wake),
            now,
            device_time,
            state,
        )
    }
}

fn now(response: Response) -> Outcome {
    Outcome {
        answer: Answer::Now(response),
        effects: Vec::new(),
    }
}

fn run<S>(
    data: CallData,
    op: OpId,
    handler: Handler<S>,
    wake: Option<Wake>,
    now: Instant,
    device_time: Duration,
    state: &mut S,
) -> Outcome {
    let result = handler(&data.call(now, device_time, wake), state);
    let version = data.version;
    match result {
        Err(fault) => {
            tracing::debug!(%fault, "ONVIF fault");
            self::now(fault.to_response(version))
        }
        Ok(reply) => match reply.kind {
            ReplyKind::Body(body) => {
                let header =
                    soap::addressing_header(reply.action.as_deref(), data.message_id.as_deref());
                let envelope = soap::envelope(version, header.as_deref(), &body);
                Outcome {
                    answer: Answer::Now(Response::with_body(
                        StatusCode::OK,
                        version.content_type(),
                        envelope,
                    )),
                    effects: reply.effects,
                }
            }
            ReplyKind::Defer { token, until } => Outcome {
                answer: Answer::Later(Box::new(Parked {
                    data,
                    op,
                    token,
                    deadline: until,
                })),
                effects: reply.effects,
            },
        },
    }
}

/// Whether a `Host` value can be put in a URL as is: a host name, an IPv4
/// address or a bracketed IPv6 address, with an optional port.
fn plausible_host(h: &str) -> bool {
    !h.is_empty()
        && h.len() <= 255
        && h.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b':' | b'[' | b']')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_values() {
        assert!(plausible_host("192.168.1.5:8000"));
        assert!(plausible_host("[fe80::1]:80"));
        assert!(plausible_host("cam-1.local"));
        assert!(!plausible_host("evil\"><x"));
        assert!(!plausible_host("a/b"));
        assert!(!plausible_host(""));
    }
}
