//! The ONVIF HTTP port: SOAP requests to the services, JPEG snapshots, and
//! the side effects the services ask for (persisting `onvifrun.cfg`,
//! events, reboot, factory defaults).
//!
//! HTTP connections are separate from RTSP ones: each has an
//! [`http::ServerConn`] that answers requests strictly in order. A SOAP
//! request that must wait (a PullMessages long poll) or a snapshot waiting
//! for its first frame parks the connection until it can be answered.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::timers::TimerKind;
use super::{ConnId, Event, Output, SendBuf, Server};
use crate::config::OnvifConfig;
use crate::http::{self, ConnEvent, DecoderLimits as HttpLimits, ServerConn, StatusCode};
use crate::media::{SourceId, VideoCodec};
use crate::onvif::{
    AccessClass, Answer, AuthRequest, Effect, Endpoint, Outcome, Parked, RequestEnv, Security,
    SecurityConfig, WakeReason, XmlLimits,
};
use crate::onvif_device::discovery::{Discovery, DiscoveryHost};
use crate::onvif_device::{self, HostInfo, OnvifContext, events::EventState, snapshot_profile};
use crate::onvif_state::{DeviceState, FactoryDefault, StreamLocation, StreamSetup};
use crate::rng::Rng;
use crate::rtsp::url::parse_target;

/// What the server needs to run the ONVIF device.
#[derive(Debug)]
pub struct OnvifSetup {
    /// `onvif.cfg` as loaded (the factory defaults).
    pub config: OnvifConfig,
    /// The runtime state (from `onvifrun.cfg`, or built from `config`).
    pub state: DeviceState,
    /// The host's name and interfaces.
    pub host: HostInfo,
    /// The ONVIF HTTP port as bound (it may differ from `http_port`).
    pub http_port: Option<u16>,
    /// The ONVIF HTTPS port as bound.
    pub https_port: Option<u16>,
    /// Answer WS-Discovery on [`DISCOVERY_PORT`] (the runtime bound the
    /// port and, when it could, joined the multicast group).
    pub discovery: bool,
}

/// The WS-Discovery UDP port: datagrams on it go to the discovery machine.
pub const DISCOVERY_PORT: u16 = 3702;

/// The ONVIF part of the server.
pub(crate) struct OnvifDevice {
    endpoint: Endpoint<OnvifContext>,
    pub(crate) ctx: OnvifContext,
    discovery: Option<Discovery>,
    /// Drives the event simulation (seeded, so runs repeat).
    rng: Rng,
    /// The housekeeping timer already armed, so it is armed once.
    timer_at: Option<Instant>,
}

impl OnvifDevice {
    pub(crate) fn new(
        setup: OnvifSetup,
        secret: [u8; 16],
        mut rng: Rng,
        now: Instant,
        unix_now: Duration,
    ) -> Result<OnvifDevice, String> {
        let registry = onvif_device::build_registry().map_err(|e| e.to_string())?;
        let security = Security::new(SecurityConfig::default(), secret, now);
        let discovery = setup.discovery.then(|| {
            let mut host = DiscoveryHost::from_state(&setup.state, &setup.host);
            host.http_port = setup.http_port;
            host.https_port = setup.https_port;
            // The instance id must grow from one start to the next (AppSequence).
            Discovery::new(&setup.state, host, unix_now.as_secs(), rng.next_u64())
        });
        Ok(OnvifDevice {
            endpoint: Endpoint::new(registry, security, XmlLimits::default()),
            ctx: OnvifContext {
                state: setup.state,
                config: setup.config,
                events: EventState::default(),
                host: setup.host,
                log: Default::default(),
            },
            discovery,
            rng,
            timer_at: None,
        })
    }
}

impl std::fmt::Debug for OnvifDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnvifDevice").finish_non_exhaustive()
    }
}

/// What an HTTP connection is waiting for.
#[derive(Debug)]
enum Waiting {
    /// A deferred SOAP request (long poll).
    Soap(Box<Parked>),
    /// A snapshot: the first video frame of this source.
    Snapshot(SourceId),
}

/// One HTTP connection on the ONVIF port.
#[derive(Debug)]
pub(crate) struct HttpConn {
    peer: SocketAddr,
    local: SocketAddr,
    tls: bool,
    conn: ServerConn,
    waiting: Option<Waiting>,
    /// Bumped when the connection parks, so a stale deadline is ignored.
    generation: u32,
}

impl HttpConn {
    pub(crate) fn new(peer: SocketAddr, local: SocketAddr, tls: bool) -> HttpConn {
        HttpConn {
            peer,
            local,
            tls,
            conn: ServerConn::new(HttpLimits::default()),
            waiting: None,
            generation: 0,
        }
    }
}

impl Server {
    /// The device's clock: the host's Unix time plus the manual offset an
    /// ONVIF client set (SetSystemDateAndTime is stored, never applied to
    /// the host). Security checks UsernameToken freshness against it, since
    /// clients sign with the device time they read.
    fn device_time(&self) -> Duration {
        let host = self.clock.unix(self.now);
        match &self.onvif {
            Some(d) => onvif_device::device::device_clock(&d.ctx.state, host),
            None => host,
        }
    }

    fn request_env(&self, c: &HttpConn) -> RequestEnv {
        RequestEnv {
            peer: c.peer.ip(),
            local: Some(c.local),
            tls: c.tls,
            now: self.now,
            device_time: self.device_time(),
        }
    }

    /// A new HTTP connection. Beyond `http_max_users` connections on the
    /// same listener (HTTP and HTTPS count separately, as the manual says)
    /// it gets `503` and is closed.
    pub(super) fn accept_http(
        &mut self,
        conn: ConnId,
        peer: SocketAddr,
        local: SocketAddr,
        tls: bool,
    ) {
        let limit = self
            .onvif
            .as_ref()
            .map_or(0, |d| d.ctx.state.server().http_max_users as usize);
        let open = self.http_conns.values().filter(|c| c.tls == tls).count();
        self.http_conns
            .insert(conn, HttpConn::new(peer, local, tls));
        if limit > 0 && open >= limit {
            tracing::info!(%peer, limit, "too many ONVIF HTTP connections");
            let busy =
                http::Response::plain(StatusCode::SERVICE_UNAVAILABLE, "too many connections")
                    .header("Retry-After", "1");
            let bytes = busy.encode(&http::ReplyTo::closing());
            self.send_http_bytes(conn, bytes);
            self.close_http(conn);
        }
    }

    pub(super) fn on_http_data(&mut self, conn: ConnId, data: &[u8]) {
        let Some(c) = self.http_conns.get_mut(&conn) else {
            return;
        };
        c.conn.push(data);
        self.process_http(conn);
    }

    /// Answers buffered requests until one has to wait.
    fn process_http(&mut self, conn: ConnId) {
        loop {
            let Some(c) = self.http_conns.get_mut(&conn) else {
                return;
            };
            if c.waiting.is_some() {
                return;
            }
            match c.conn.poll() {
                None => return,
                Some(ConnEvent::Send(bytes)) => self.send_http_bytes(conn, bytes),
                Some(ConnEvent::SendAndClose(bytes)) => {
                    self.send_http_bytes(conn, bytes);
                    self.close_http(conn);
                    return;
                }
                Some(ConnEvent::Request(request)) => self.handle_http_request(conn, request),
            }
        }
    }

    fn handle_http_request(&mut self, conn: ConnId, request: http::Request) {
        let path = request
            .target()
            .map(|t| t.path.to_owned())
            .unwrap_or_default();
        if let Some(profile) = snapshot_profile(&path) {
            let profile = profile.to_owned();
            return self.handle_snapshot(conn, &request, &profile);
        }
        let Some(c) = self.http_conns.get(&conn) else {
            return;
        };
        let env = self.request_env(c);
        let Some(device) = self.onvif.as_mut() else {
            return self.respond_http(
                conn,
                &http::Response::plain(StatusCode::NOT_FOUND, "not found"),
            );
        };
        let outcome = device.endpoint.handle(&request, &env, &mut device.ctx);
        self.finish_soap(conn, outcome);
    }

    /// Carries out a handler's effects, then answers or parks.
    fn finish_soap(&mut self, conn: ConnId, outcome: Outcome) {
        let Outcome { answer, effects } = outcome;
        let mut after = Vec::new();
        for effect in effects {
            match effect {
                // Written before the response goes out, so an acknowledged
                // change is on disk (the runtime handles outputs in order).
                Effect::PersistConfig => {
                    self.persist_onvif_state();
                    self.sync_discovery();
                }
                Effect::FactoryDefault { hard } => {
                    if let Some(d) = self.onvif.as_mut() {
                        let kind = if hard {
                            FactoryDefault::Hard
                        } else {
                            FactoryDefault::Soft
                        };
                        d.ctx.state.reset_to_factory_default(&d.ctx.config, kind);
                    }
                    self.persist_onvif_state();
                    self.sync_discovery();
                }
                other => after.push(other),
            }
        }
        match answer {
            Answer::Now(response) => self.respond_http(conn, &response),
            Answer::Later(parked) => self.park_soap(conn, parked),
        }
        for effect in after {
            match effect {
                Effect::Reboot => self.out.push_back(Output::Event(Event::Reboot)),
                Effect::Wake(token) => self.wake_parked(token, WakeReason::Signal),
                Effect::Notify(notification) => self.publish_event(notification),
                _ => {}
            }
        }
        self.process_http(conn);
    }

    fn park_soap(&mut self, conn: ConnId, parked: Box<Parked>) {
        let deadline = parked.deadline();
        let Some(c) = self.http_conns.get_mut(&conn) else {
            return;
        };
        c.waiting = Some(Waiting::Soap(parked));
        c.generation = c.generation.wrapping_add(1);
        let generation = c.generation;
        self.timers
            .schedule(deadline, TimerKind::HttpDeadline { conn, generation });
    }

    /// Resumes every request parked on `token`.
    pub(super) fn wake_parked(&mut self, token: u64, reason: WakeReason) {
        let conns: Vec<ConnId> = self
            .http_conns
            .iter()
            .filter(|(_, c)| matches!(&c.waiting, Some(Waiting::Soap(p)) if p.token() == token))
            .map(|(id, _)| *id)
            .collect();
        for conn in conns {
            self.resume_http(conn, reason);
        }
    }

    fn resume_http(&mut self, conn: ConnId, reason: WakeReason) {
        let device_time = self.device_time();
        let now = self.now;
        let Some(c) = self.http_conns.get_mut(&conn) else {
            return;
        };
        let Some(Waiting::Soap(parked)) = c.waiting.take() else {
            return;
        };
        let Some(device) = self.onvif.as_mut() else {
            return;
        };
        let outcome = device
            .endpoint
            .resume(parked, reason, now, device_time, &mut device.ctx);
        self.finish_soap(conn, outcome);
    }

    pub(super) fn on_http_deadline(&mut self, conn: ConnId, generation: u32) {
        let Some(c) = self.http_conns.get(&conn) else {
            return;
        };
        if c.generation != generation {
            return;
        }
        match c.waiting {
            Some(Waiting::Soap(_)) => self.resume_http(conn, WakeReason::Deadline),
            Some(Waiting::Snapshot(source)) => {
                if let Some(c) = self.http_conns.get_mut(&conn) {
                    c.waiting = None;
                }
                self.release_snapshot_waiter(source, conn);
                self.respond_http(
                    conn,
                    &http::Response::plain(StatusCode::SERVICE_UNAVAILABLE, "no picture in time"),
                );
                self.process_http(conn);
            }
            None => {}
        }
    }

    /// Serves `GET /onvif/snapshot/<profile>.jpg`: the profile's stream
    /// encoded as JPEG at its size, first frame from the shared source.
    fn handle_snapshot(&mut self, conn: ConnId, request: &http::Request, profile: &str) {
        let Some(c) = self.http_conns.get(&conn) else {
            return;
        };
        let peer = c.peer.ip();
        let device_time = self.device_time();
        let Some(device) = self.onvif.as_mut() else {
            return;
        };
        let auth = AuthRequest {
            method: request.method.as_str(),
            target: &request.target,
            authorization: request.headers.get("Authorization"),
            soap_header: None,
            peer,
            now: self.now,
            device_time,
        };
        if let Err(denial) =
            device
                .endpoint
                .security_mut()
                .check(&auth, AccessClass::ReadMedia, &device.ctx)
        {
            return self.respond_http(conn, &denial.http_response());
        }
        let location = device
            .ctx
            .state
            .stream_location(profile, StreamSetup::default());
        let path = match location {
            Ok(StreamLocation::Local(path)) => path,
            Ok(StreamLocation::Remote(_)) => {
                return self.respond_http(
                    conn,
                    &http::Response::plain(
                        StatusCode::NOT_FOUND,
                        "this profile streams from another server",
                    ),
                );
            }
            Err(_) => {
                return self.respond_http(
                    conn,
                    &http::Response::plain(StatusCode::NOT_FOUND, "no such profile"),
                );
            }
        };
        let spec = parse_target(&format!("/{path}"))
            .ok()
            .and_then(|t| self.spec_for(&t).ok());
        let Some(mut spec) = spec else {
            return self.respond_http(
                conn,
                &http::Response::plain(StatusCode::NOT_FOUND, "no stream for this profile"),
            );
        };
        spec.video.codec = Some(VideoCodec::Jpeg);
        spec.video.bitrate_kbps = None;
        let source = self.acquire_source(spec);
        if let Some(jpeg) = self
            .sources
            .get(&source)
            .and_then(|s| s.last_video_keyframe())
        {
            return self.respond_snapshot(conn, jpeg);
        }
        let deadline = self.now + self.cfg.source_open_timeout;
        if let Some(s) = self.sources.get_mut(&source) {
            s.snapshot_waiters.push(conn);
            s.idle_since = None;
        }
        if let Some(c) = self.http_conns.get_mut(&conn) {
            c.waiting = Some(Waiting::Snapshot(source));
            c.generation = c.generation.wrapping_add(1);
            let generation = c.generation;
            self.timers
                .schedule(deadline, TimerKind::HttpDeadline { conn, generation });
        }
    }

    /// Answers the snapshot requests waiting on a source with a picture.
    pub(super) fn deliver_snapshots(&mut self, source: SourceId, jpeg: Bytes) {
        let Some(s) = self.sources.get_mut(&source) else {
            return;
        };
        let waiters = std::mem::take(&mut s.snapshot_waiters);
        for conn in waiters {
            let parked_here = self
                .http_conns
                .get(&conn)
                .is_some_and(|c| matches!(c.waiting, Some(Waiting::Snapshot(s)) if s == source));
            if parked_here {
                if let Some(c) = self.http_conns.get_mut(&conn) {
                    c.waiting = None;
                }
                self.respond_snapshot(conn, jpeg.clone());
                self.process_http(conn);
            }
        }
        self.check_idle(source);
    }

    /// Answers waiting snapshot requests of a source that failed.
    pub(super) fn fail_snapshots(&mut self, source: SourceId, why: &str) {
        let Some(s) = self.sources.get_mut(&source) else {
            return;
        };
        for conn in std::mem::take(&mut s.snapshot_waiters) {
            if let Some(c) = self.http_conns.get_mut(&conn) {
                c.waiting = None;
            }
            self.respond_http(
                conn,
                &http::Response::plain(StatusCode::SERVICE_UNAVAILABLE, why),
            );
            self.process_http(conn);
        }
    }

    fn release_snapshot_waiter(&mut self, source: SourceId, conn: ConnId) {
        if let Some(s) = self.sources.get_mut(&source) {
            s.snapshot_waiters.retain(|c| *c != conn);
        }
        self.check_idle(source);
    }

    fn respond_snapshot(&mut self, conn: ConnId, jpeg: Bytes) {
        let response = http::Response::with_body(StatusCode::OK, "image/jpeg", jpeg)
            .header("Cache-Control", "no-cache");
        self.respond_http(conn, &response);
    }

    fn respond_http(&mut self, conn: ConnId, response: &http::Response) {
        let Some(c) = self.http_conns.get_mut(&conn) else {
            return;
        };
        let Ok(out) = c.conn.respond(response) else {
            return;
        };
        self.send_http_bytes(conn, out.bytes);
        if out.close {
            self.close_http(conn);
        }
    }

    fn send_http_bytes(&mut self, conn: ConnId, bytes: Bytes) {
        if self.http_conns.contains_key(&conn) {
            self.out.push_back(Output::Send {
                conn,
                data: SendBuf::body_only(bytes),
            });
        }
    }

    fn close_http(&mut self, conn: ConnId) {
        if self.http_conns.contains_key(&conn) {
            self.out.push_back(Output::Close { conn });
        }
        self.drop_http(conn);
    }

    /// Forgets an HTTP connection (closed by the peer or by us).
    pub(super) fn drop_http(&mut self, conn: ConnId) {
        if let Some(c) = self.http_conns.remove(&conn) {
            if let Some(Waiting::Snapshot(source)) = c.waiting {
                self.release_snapshot_waiter(source, conn);
            }
        }
    }

    /// Asks the runtime to write `onvifrun.cfg`.
    pub(super) fn persist_onvif_state(&mut self) {
        if let Some(d) = &self.onvif {
            let text = d.ctx.state.to_runtime_xml();
            self.out
                .push_back(Output::Event(Event::PersistOnvifState { text }));
        }
    }

    /// Publishes an event to the event service's subscribers and wakes
    /// the pull points it reached.
    fn publish_event(&mut self, notification: crate::onvif::Notification) {
        tracing::debug!(topic = %notification.topic, "ONVIF event");
        let Some(d) = self.onvif.as_mut() else {
            return;
        };
        for id in d.ctx.events.publish(notification) {
            self.wake_parked(id, WakeReason::Signal);
        }
    }

    /// Tells discovery about changed scopes or discovery mode (it sends
    /// Hello or Bye as the change requires).
    fn sync_discovery(&mut self) {
        let now = self.now;
        if let Some(d) = self.onvif.as_mut() {
            if let Some(discovery) = d.discovery.as_mut() {
                discovery.sync(now, &d.ctx.state);
            }
        }
    }

    /// A WS-Discovery datagram (Probe, Resolve) arrived.
    pub(super) fn on_discovery_datagram(&mut self, src: SocketAddr, data: &[u8]) {
        let now = self.now;
        if let Some(discovery) = self.onvif.as_mut().and_then(|d| d.discovery.as_mut()) {
            discovery.handle_datagram(now, src, data);
        }
    }

    /// The first Hello, once the server is up.
    pub(super) fn announce(&mut self) {
        let now = self.now;
        let hello = self
            .onvif
            .as_mut()
            .and_then(|d| d.discovery.as_mut())
            .and_then(|discovery| discovery.hello(now));
        if let Some(datagram) = hello {
            self.send_discovery(datagram);
        }
    }

    /// The Bye to send before the server stops, if it is discoverable.
    pub fn goodbye(&mut self) -> Option<Output> {
        let datagram = self.onvif.as_mut()?.discovery.as_mut()?.bye()?;
        Some(Output::SendTo {
            local_port: DISCOVERY_PORT,
            dst: datagram.destination,
            data: SendBuf::body_only(Bytes::from(datagram.payload)),
        })
    }

    fn send_discovery(&mut self, datagram: onvif_device::discovery::Datagram) {
        self.out.push_back(Output::SendTo {
            local_port: DISCOVERY_PORT,
            dst: datagram.destination,
            data: SendBuf::body_only(Bytes::from(datagram.payload)),
        });
    }

    /// After every input: discovery answers that are due,
    /// WS-BaseNotification pushes, and the one timer for subscription
    /// expiry, the event simulation and discovery's delayed answers.
    pub(super) fn onvif_housekeeping(&mut self) {
        let now = self.now;
        let Some(d) = self.onvif.as_mut() else {
            return;
        };
        let mut datagrams = Vec::new();
        if let Some(discovery) = d.discovery.as_mut() {
            while let Some(datagram) = discovery.poll_transmit(now) {
                datagrams.push(datagram);
            }
        }
        let pushes = d.ctx.events.take_push();
        let next = [
            d.ctx.events.next_deadline(),
            d.ctx.events.next_simulation(&d.ctx.state, now),
            d.discovery.as_ref().and_then(Discovery::next_deadline),
        ]
        .into_iter()
        .flatten()
        .min();
        let arm = match (next, d.timer_at) {
            (Some(at), Some(armed)) => at < armed,
            (Some(_), None) => true,
            (None, _) => false,
        };
        if let (true, Some(at)) = (arm, next) {
            d.timer_at = Some(at);
            self.timers
                .schedule(at.max(now), TimerKind::OnvifHousekeeping);
        }
        for datagram in datagrams {
            self.send_discovery(datagram);
        }
        for push in pushes {
            self.out.push_back(Output::Event(Event::HttpPost {
                url: push.consumer_url,
                content_type: push.content_type.to_owned(),
                body: push.envelope,
            }));
        }
    }

    /// The housekeeping timer: expire subscriptions, run the simulation.
    pub(super) fn on_onvif_timer(&mut self) {
        let now = self.now;
        let device_time = self.device_time();
        let Some(d) = self.onvif.as_mut() else {
            return;
        };
        d.timer_at = None;
        let mut woken = d.ctx.events.expire(now);
        let OnvifDevice { ctx, rng, .. } = &mut **d;
        woken.extend(ctx.events.run_simulation(&ctx.state, now, device_time, rng));
        for id in woken {
            self.wake_parked(id, WakeReason::Signal);
        }
    }
}
