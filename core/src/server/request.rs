//! RTSP request handlers: OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN,
//! GET_PARAMETER and SET_PARAMETER, with authentication.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;

use super::connection::Pending;
use super::select::SelectError;
use super::session::{PlayState, Session, SessionTrack, TrackTransport};
use super::source::SourceState;
use super::timers::TimerKind;
use super::udp_ports::{PORTS_PER_BLOCK, PortSlot};
use super::{ConnId, Event, Output, Server};
use crate::media::{Codec, SourceId, SourceKind};
use crate::rtsp::auth::{self, Authorization, DigestAlgorithm, NonceState};
use crate::rtsp::range::{NptRange, format_npt, parse_range};
use crate::rtsp::transport::{LowerTransport, TransportSpec, parse_transports};
use crate::rtsp::url::{RequestTarget, TRACK_CONTROL_PREFIX, parse_target};
use crate::rtsp::{Method, Request, Response, StatusCode};
use crate::sdp::{MediaSection, SessionDescription};

/// Methods listed in `Public:`.
const PUBLIC_METHODS: &str =
    "OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN, GET_PARAMETER, SET_PARAMETER";

/// Failed authentications after which a connection is closed.
const MAX_AUTH_FAILURES: u32 = 10;

/// A SETUP that has been validated and waits only for its UDP ports.
#[derive(Debug)]
pub(crate) struct SetupPlan {
    request: Request,
    conn: ConnId,
    session: Option<u64>,
    source: SourceId,
    track: usize,
    transport: TrackTransport,
    /// The UDP block the plan uses, and whether the plan allocated it.
    block: Option<(u16, bool)>,
    reply: TransportSpec,
}

impl Server {
    pub(super) fn handle_request(&mut self, conn: ConnId, req: Request) {
        if req.cseq().is_none() {
            let resp = Response::new(StatusCode::BAD_REQUEST);
            return self.reply(conn, &req, resp);
        }
        if let Some(unsupported) = unsupported_requirements(&req) {
            let mut resp = Response::new(StatusCode::OPTION_NOT_SUPPORTED);
            resp.headers.append("Unsupported", unsupported);
            return self.reply(conn, &req, resp);
        }
        if req.method != Method::Options {
            if let Err(resp) = self.authorize(conn, &req) {
                return self.reply(conn, &req, *resp);
            }
        }
        match req.method {
            Method::Options => self.handle_options(conn, req),
            Method::Describe => self.handle_describe(conn, req),
            Method::Setup => self.handle_setup(conn, req),
            Method::Play => self.handle_play(conn, req),
            Method::Pause => self.handle_pause(conn, req),
            Method::Teardown => self.handle_teardown(conn, req),
            Method::GetParameter | Method::SetParameter => self.handle_parameter(conn, req),
            Method::Announce | Method::Record | Method::Redirect => {
                let mut resp = Response::new(StatusCode::METHOD_NOT_ALLOWED);
                resp.headers.append("Allow", PUBLIC_METHODS);
                self.reply(conn, &req, resp)
            }
            Method::Extension(_) => {
                self.reply(conn, &req, Response::new(StatusCode::NOT_IMPLEMENTED))
            }
        }
    }

    /// Adds the common headers and queues the response.
    pub(super) fn reply(&mut self, conn: ConnId, req: &Request, mut resp: Response) {
        let mut headers = crate::rtsp::Headers::new();
        headers.append("CSeq", req.cseq().unwrap_or("0"));
        headers.append("Date", self.clock.http_date(self.now));
        headers.append("Server", self.cfg.server_name.clone());
        for (n, v) in resp.headers.iter() {
            headers.append(n, v);
        }
        resp.headers = headers;
        self.send_response(conn, &resp);
    }

    fn reply_error(&mut self, conn: ConnId, req: &Request, status: StatusCode, why: &str) {
        tracing::debug!(method = req.method.as_str(), uri = %req.uri, status = status.0, why, "request refused");
        let mut resp = Response::new(status);
        if !why.is_empty() {
            resp.headers.append("Content-Type", "text/plain");
            resp.body = Bytes::from(format!("{why}\r\n"));
        }
        self.reply(conn, req, resp);
    }

    fn authorize(&mut self, conn: ConnId, req: &Request) -> Result<(), Box<Response>> {
        if !self.cfg.rtsp.need_auth {
            return Ok(());
        }
        let uptime = self.clock.uptime_secs(self.now);
        let mut stale = false;
        let credential = req
            .headers
            .get("Authorization")
            .and_then(auth::parse_authorization);
        let accepted = match &credential {
            Some(Authorization::Basic { username, password }) => self
                .cfg
                .rtsp
                .users
                .iter()
                .any(|u| &u.username == username && &u.password == password),
            Some(Authorization::Digest(p)) => {
                let algorithm = match p.algorithm.as_deref() {
                    None => Some(DigestAlgorithm::Md5),
                    Some(a) if a.eq_ignore_ascii_case("MD5") => Some(DigestAlgorithm::Md5),
                    Some(a) if a.eq_ignore_ascii_case("SHA-256") => Some(DigestAlgorithm::Sha256),
                    Some(_) => None,
                };
                let nonce_state = self.nonces.check(&p.nonce, uptime);
                stale = nonce_state == NonceState::Stale;
                let qop = match (&p.qop, &p.nc, &p.cnonce) {
                    (Some(q), Some(nc), Some(cn)) => Some((q.as_str(), nc.as_str(), cn.as_str())),
                    _ => None,
                };
                let user = self
                    .cfg
                    .rtsp
                    .users
                    .iter()
                    .find(|u| u.username == p.username);
                match (algorithm, user) {
                    (Some(alg), Some(user))
                        if nonce_state == NonceState::Fresh
                            && p.realm == self.cfg.realm
                            && same_resource(&p.uri, &req.uri) =>
                    {
                        let expected = auth::digest_response(
                            alg,
                            &user.username,
                            &self.cfg.realm,
                            &user.password,
                            req.method.as_str(),
                            &p.uri,
                            &p.nonce,
                            qop,
                        );
                        expected.eq_ignore_ascii_case(&p.response)
                    }
                    _ => false,
                }
            }
            None => false,
        };
        if accepted {
            return Ok(());
        }
        if credential.is_some() && !stale {
            if let Some(c) = self.conns.get_mut(&conn) {
                c.auth_failures += 1;
                tracing::info!(peer = %c.peer, uri = %req.uri, "authentication failed");
                if c.auth_failures >= MAX_AUTH_FAILURES {
                    self.close_connection(conn);
                }
            }
        }
        let nonce = self.nonces.issue(uptime);
        let realm = &self.cfg.realm;
        let stale = if stale { ", stale=true" } else { "" };
        let mut resp = Response::new(StatusCode::UNAUTHORIZED);
        // ffmpeg keeps the last Digest challenge it sees and cannot do
        // SHA-256, so MD5 comes last; RFC 7616 clients pick the first they
        // support, so they get SHA-256.
        resp.headers.append(
            "WWW-Authenticate",
            format!("Digest realm=\"{realm}\", nonce=\"{nonce}\", algorithm=SHA-256{stale}"),
        );
        resp.headers.append(
            "WWW-Authenticate",
            format!("Digest realm=\"{realm}\", nonce=\"{nonce}\", algorithm=MD5{stale}"),
        );
        resp.headers
            .append("WWW-Authenticate", format!("Basic realm=\"{realm}\""));
        Err(Box::new(resp))
    }

    fn handle_options(&mut self, conn: ConnId, req: Request) {
        self.touch_session(&req);
        let mut resp = Response::new(StatusCode::OK);
        resp.headers.append("Public", PUBLIC_METHODS);
        self.reply(conn, &req, resp);
    }

    fn handle_parameter(&mut self, conn: ConnId, req: Request) {
        if let Some(id) = session_id(&req) {
            if !self.session_keys.contains_key(id) {
                return self.reply_error(conn, &req, StatusCode::SESSION_NOT_FOUND, "");
            }
        }
        self.touch_session(&req);
        if req.method == Method::SetParameter && !req.body.is_empty() {
            return self.reply(conn, &req, Response::new(StatusCode(451)));
        }
        self.reply(conn, &req, Response::new(StatusCode::OK));
    }

    /// Resolves a request's target to a source, opening it if needed. `None`
    /// when the request was answered (error) or parked (source not ready).
    fn ready_source(&mut self, conn: ConnId, req: &Request) -> Option<(RequestTarget, SourceId)> {
        let target = match parse_target(&req.uri) {
            Ok(t) => t,
            Err(e) => {
                self.reply_error(conn, req, StatusCode::BAD_REQUEST, e.0);
                return None;
            }
        };
        let spec = match self.spec_for(&target) {
            Ok(s) => s,
            Err(SelectError::NotFound(why)) => {
                self.reply_error(conn, req, StatusCode::NOT_FOUND, &why);
                return None;
            }
            Err(SelectError::BadParameter(why)) => {
                self.reply_error(conn, req, StatusCode::BAD_REQUEST, &why);
                return None;
            }
        };
        let source = self.acquire_source(spec);
        let describable = self.sources.get(&source).is_some_and(|s| {
            matches!(s.state, SourceState::Ready)
                && s.tracks.iter().all(|t| t.sdp_media().is_some())
        });
        if describable {
            return Some((target, source));
        }
        if let Some(s) = self.sources.get_mut(&source) {
            s.waiters.push(conn);
            s.idle_since = None;
        }
        self.park(
            conn,
            Pending::Source {
                request: req.clone(),
                source,
            },
        );
        None
    }

    fn handle_describe(&mut self, conn: ConnId, req: Request) {
        let Some((_target, source)) = self.ready_source(conn, &req) else {
            return;
        };
        let Some(src) = self.sources.get(&source) else {
            return self.reply_error(conn, &req, StatusCode::INTERNAL_SERVER_ERROR, "");
        };
        let local = self
            .conns
            .get(&conn)
            .map(|c| c.local.ip())
            .unwrap_or(std::net::Ipv4Addr::UNSPECIFIED.into());
        let media = src
            .tracks
            .iter()
            .enumerate()
            .filter_map(|(i, t)| {
                Some(MediaSection {
                    media: t.sdp_media()?,
                    control: format!("{TRACK_CONTROL_PREFIX}{i}"),
                    direction: "recvonly",
                })
            })
            .collect();
        let sdp = SessionDescription {
            session_id: src.sdp_session_id,
            origin: local,
            name: stream_title(&src.spec.location),
            duration: match src.kind {
                SourceKind::File { .. } => Some(src.duration()),
                SourceKind::Live => None,
            },
            media,
        };
        let mut resp = Response::new(StatusCode::OK);
        let base = if req.uri.ends_with('/') {
            req.uri.clone()
        } else {
            format!("{}/", req.uri)
        };
        resp.headers.append("Content-Base", base);
        resp.headers.append("Content-Type", "application/sdp");
        resp.body = Bytes::from(sdp.render());
        self.reply(conn, &req, resp);
    }

    fn handle_setup(&mut self, conn: ConnId, req: Request) {
        let session = match session_id(&req) {
            Some(id) => match self.session_keys.get(id) {
                Some(key) => Some(*key),
                None => return self.reply_error(conn, &req, StatusCode::SESSION_NOT_FOUND, ""),
            },
            None => None,
        };
        let Some((target, source)) = self.ready_source(conn, &req) else {
            return;
        };
        let Some(src) = self.sources.get(&source) else {
            return self.reply_error(conn, &req, StatusCode::INTERNAL_SERVER_ERROR, "");
        };
        let track = match target.track {
            Some(t) => t,
            // A single-track stream may be set up by its aggregate URL.
            None if src.tracks.len() == 1 => 0,
            None => {
                return self.reply_error(
                    conn,
                    &req,
                    StatusCode::AGGREGATE_OPERATION_NOT_ALLOWED,
                    "SETUP needs a track URL",
                );
            }
        };
        let Some(source_track) = src.tracks.get(track) else {
            return self.reply_error(conn, &req, StatusCode::NOT_FOUND, "no such track");
        };
        let codec = source_track.info.codec;
        if let Some(key) = session {
            match self.sessions.get(&key) {
                Some(s) if s.source != source => {
                    return self.reply_error(
                        conn,
                        &req,
                        StatusCode::AGGREGATE_OPERATION_NOT_ALLOWED,
                        "the session plays another stream",
                    );
                }
                Some(s) if s.state == PlayState::Playing => {
                    return self.reply_error(
                        conn,
                        &req,
                        StatusCode::METHOD_NOT_VALID_IN_THIS_STATE,
                        "SETUP while playing",
                    );
                }
                _ => {}
            }
        }
        let Some(offers) = req
            .headers
            .get("Transport")
            .and_then(|v| parse_transports(v).ok())
        else {
            return self.reply_error(
                conn,
                &req,
                StatusCode::BAD_REQUEST,
                "missing or bad Transport",
            );
        };
        let Some(peer) = self.conns.get(&conn).map(|c| c.peer) else {
            return;
        };
        let Some(offer) = offers
            .into_iter()
            .find(|o| o.lower.is_some() && !o.multicast && o.is_play())
        else {
            return self.reply_error(
                conn,
                &req,
                StatusCode::UNSUPPORTED_TRANSPORT,
                "only unicast RTP/AVP over UDP or TCP for PLAY is supported",
            );
        };
        let mut reply = TransportSpec {
            lower: offer.lower,
            ..TransportSpec::default()
        };
        match offer.lower {
            Some(LowerTransport::Tcp) => {
                let Some(c) = self.conns.get_mut(&conn) else {
                    return;
                };
                let asked = offer.interleaved.map(|(a, _)| a).filter(|a| {
                    a % 2 == 0
                        && !c.used_channels.contains(a)
                        && !c.used_channels.contains(&(a + 1))
                });
                let Some(channel) = asked.or_else(|| c.free_channel_pair()) else {
                    return self.reply_error(
                        conn,
                        &req,
                        StatusCode::UNSUPPORTED_TRANSPORT,
                        "no free channel",
                    );
                };
                reply.interleaved = Some((channel, Some(channel + 1)));
                let plan = SetupPlan {
                    request: req,
                    conn,
                    session,
                    source,
                    track,
                    transport: TrackTransport::Tcp { conn, channel },
                    block: None,
                    reply,
                };
                self.commit_setup(plan);
            }
            _ => {
                let Some((rtp, rtcp)) = offer.client_port else {
                    return self.reply_error(
                        conn,
                        &req,
                        StatusCode::UNSUPPORTED_TRANSPORT,
                        "client_port missing",
                    );
                };
                let rtcp = rtcp.unwrap_or(rtp.wrapping_add(1));
                // Media goes to the address the request came from, never to a
                // `destination` naming a third party (a reflection attack).
                let client_rtp = SocketAddr::new(peer.ip(), rtp);
                let client_rtcp = SocketAddr::new(peer.ip(), rtcp);
                reply.client_port = Some((rtp, Some(rtcp)));
                let existing_block = session
                    .and_then(|k| self.sessions.get(&k))
                    .and_then(|s| s.udp_block);
                let plan_block = match existing_block {
                    Some(b) => Some((b, false)),
                    None => self.udp.allocate(session.unwrap_or(0)).map(|b| (b, true)),
                };
                let Some((block, _)) = plan_block else {
                    return self.reply_error(
                        conn,
                        &req,
                        StatusCode::NOT_ENOUGH_BANDWIDTH,
                        "no free UDP ports",
                    );
                };
                let slot = match codec {
                    Codec::Video(_) => PortSlot::Video,
                    Codec::Audio(_) => PortSlot::Audio,
                };
                let port = self.udp.rtp_port(block, slot);
                reply.server_port = Some((port, Some(port + 1)));
                let plan = SetupPlan {
                    request: req,
                    conn,
                    session,
                    source,
                    track,
                    transport: TrackTransport::Udp {
                        server_port: port,
                        client_rtp,
                        client_rtcp,
                    },
                    block: plan_block,
                    reply,
                };
                if existing_block.is_some() {
                    // The session's whole block was bound at its first UDP SETUP.
                    self.commit_setup(plan);
                } else {
                    let base = self.udp.base_port(block);
                    self.out.push_back(Output::Event(Event::OpenUdp {
                        port: base,
                        count: PORTS_PER_BLOCK,
                    }));
                    self.park(
                        conn,
                        Pending::Udp {
                            plan: Box::new(plan),
                            port: base,
                        },
                    );
                }
            }
        }
    }

    pub(super) fn on_udp_opened(&mut self, port: u16, result: Result<(), String>) {
        let waiting = self.conns.iter().find_map(|(id, c)| match &c.pending {
            Some(Pending::Udp { port: p, .. }) if *p == port => Some(*id),
            _ => None,
        });
        let Some(conn) = waiting else {
            // Nobody waits any more (the connection went away): release the block.
            if result.is_ok() {
                self.out.push_back(Output::Event(Event::CloseUdp {
                    port,
                    count: PORTS_PER_BLOCK,
                }));
            }
            return;
        };
        let Some(Pending::Udp { plan, .. }) =
            self.conns.get_mut(&conn).and_then(|c| c.pending.take())
        else {
            return;
        };
        match result {
            Ok(()) => self.commit_setup(*plan),
            Err(why) => {
                tracing::warn!(port, %why, "cannot bind UDP ports; trying another block");
                let plan = *plan;
                match plan.block {
                    Some((block, true)) => {
                        self.udp.retire(block);
                        // Handle the SETUP again from scratch: it allocates a fresh block.
                        self.handle_request(conn, plan.request);
                    }
                    _ => self.reply_error(
                        conn,
                        &plan.request,
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "cannot bind UDP ports",
                    ),
                }
            }
        }
        self.process_connection(conn);
    }

    pub(super) fn abandon_setup_plan(&mut self, plan: SetupPlan) {
        if let Some((block, true)) = plan.block {
            self.udp.release(block);
        }
    }

    fn commit_setup(&mut self, plan: SetupPlan) {
        let SetupPlan {
            request,
            conn,
            session,
            source,
            track,
            transport,
            block,
            mut reply,
        } = plan;
        let (kind, info, payload_type, live_ssrc) = match self.sources.get(&source) {
            Some(s) => match s.tracks.get(track) {
                Some(t) => (s.kind, t.info.clone(), t.payload_type(), t.ssrc),
                None => return self.reply_error(conn, &request, StatusCode::NOT_FOUND, ""),
            },
            None => {
                if let Some((b, true)) = block {
                    self.udp.release(b);
                }
                return self.reply_error(
                    conn,
                    &request,
                    StatusCode::SERVICE_UNAVAILABLE,
                    "source closed",
                );
            }
        };
        let key = match session.filter(|k| self.sessions.contains_key(k)) {
            Some(k) => k,
            None if session.is_some() => {
                return self.reply_error(conn, &request, StatusCode::SESSION_NOT_FOUND, "");
            }
            None => self.create_session(conn, source),
        };
        if let Some((b, true)) = block {
            // The block was allocated before the session existed.
            self.udp.set_owner(b, key);
        }
        let is_file = matches!(kind, SourceKind::File { .. });
        let ssrc = if is_file {
            self.rng.next_u32()
        } else {
            live_ssrc
        };
        let seq = self.rng.next_u32() as u16;
        let ts_base = self.rng.next_u32();
        reply.ssrc = Some(ssrc);
        let Some(s) = self.sessions.get_mut(&key) else {
            return;
        };
        if let Some((b, _)) = block {
            s.udp_block = Some(b);
        }
        s.last_activity = self.now;
        s.tracks.retain(|t| t.track != track);
        s.tracks.push(SessionTrack {
            track,
            transport,
            ssrc,
            seq,
            ts_base,
            clock_rate: info.clock_rate.max(1),
            payload_type,
            packets: 0,
            octets: 0,
            waiting_keyframe: info.codec.is_video(),
            last_rtp: None,
            next_frame: 0,
            loop_offset: Duration::ZERO,
            loops_done: 0,
            finished: false,
        });
        s.tracks.sort_by_key(|t| t.track);
        let id = s.id.clone();
        if let TrackTransport::Tcp { channel, .. } = transport {
            if let Some(c) = self.conns.get_mut(&conn) {
                c.used_channels.extend([channel, channel + 1]);
            }
        }
        let mut resp = Response::new(StatusCode::OK);
        resp.headers.append("Transport", reply.to_header_value());
        resp.headers.append(
            "Session",
            format!("{id};timeout={}", self.cfg.session_timeout.as_secs()),
        );
        self.reply(conn, &request, resp);
    }

    fn create_session(&mut self, conn: ConnId, source: SourceId) -> u64 {
        let key = self.next_session_key;
        self.next_session_key += 1;
        let id = loop {
            let candidate = format!("{:016X}", self.rng.next_u64());
            if !self.session_keys.contains_key(&candidate) {
                break candidate;
            }
        };
        self.session_keys.insert(id.clone(), key);
        self.sessions.insert(
            key,
            Session {
                id,
                source,
                conn: Some(conn),
                tracks: Vec::new(),
                state: PlayState::Ready,
                last_activity: self.now,
                udp_block: None,
                pace_generation: 0,
                file_clock: None,
                paused_at: Duration::ZERO,
                starved: false,
            },
        );
        if let Some(c) = self.conns.get_mut(&conn) {
            c.sessions.push(key);
        }
        if let Some(s) = self.sources.get_mut(&source) {
            s.sessions.push(key);
            s.idle_since = None;
        }
        self.timers.schedule(
            self.now + self.cfg.session_timeout,
            TimerKind::SessionTimeout { session: key },
        );
        key
    }

    /// Looks up the request's session, answering 454 when it is missing.
    fn request_session(&mut self, conn: ConnId, req: &Request) -> Option<u64> {
        let key = session_id(req)
            .and_then(|id| self.session_keys.get(id))
            .copied();
        match key {
            Some(k) => {
                if let Some(s) = self.sessions.get_mut(&k) {
                    s.last_activity = self.now;
                    if s.conn.is_none() {
                        s.conn = Some(conn);
                        if let Some(c) = self.conns.get_mut(&conn) {
                            c.sessions.push(k);
                        }
                    }
                }
                Some(k)
            }
            None => {
                self.reply_error(conn, req, StatusCode::SESSION_NOT_FOUND, "");
                None
            }
        }
    }

    fn handle_play(&mut self, conn: ConnId, req: Request) {
        let Some(key) = self.request_session(conn, &req) else {
            return;
        };
        let range = match req.headers.get("Range").map(parse_range) {
            None | Some(Ok(None)) => None,
            Some(Ok(Some(r))) => Some(r),
            Some(Err(_)) => return self.reply_error(conn, &req, StatusCode::INVALID_RANGE, ""),
        };
        let Some(session) = self.sessions.get(&key) else {
            return;
        };
        if session.tracks.is_empty() {
            return self.reply_error(
                conn,
                &req,
                StatusCode::METHOD_NOT_VALID_IN_THIS_STATE,
                "no track set up",
            );
        }
        let source = session.source;
        let Some(src) = self.sources.get(&source) else {
            return self.reply_error(conn, &req, StatusCode::SERVICE_UNAVAILABLE, "source closed");
        };
        let base = aggregate_url(&req.uri);
        let mut resp = Response::new(StatusCode::OK);
        match src.kind {
            SourceKind::Live => {
                if session.state != PlayState::Playing {
                    self.start_live(key);
                }
                resp.headers.append("Range", "npt=now-");
            }
            SourceKind::File { .. } => {
                let duration = src.duration();
                let start = match range {
                    Some(NptRange { start: Some(s), .. }) => s,
                    _ if session.state == PlayState::Playing => {
                        // A PLAY without Range while playing changes nothing.
                        let pos = session
                            .file_clock
                            .map(|c| c.position(self.now))
                            .unwrap_or_default();
                        return self.finish_play(conn, &req, key, &base, resp, pos, None);
                    }
                    _ if session.state == PlayState::Paused => {
                        // Resume where the session paused: no seek.
                        let position = self.resume_file(key);
                        return self.finish_play(conn, &req, key, &base, resp, position, None);
                    }
                    _ => Duration::ZERO,
                };
                if start > duration && src.complete {
                    return self.reply_error(
                        conn,
                        &req,
                        StatusCode::INVALID_RANGE,
                        "start beyond the end",
                    );
                }
                if !src.complete && !src.loaded_up_to(start) {
                    // The cache has not reached the seek point yet.
                    if let Some(s) = self.sources.get_mut(&source) {
                        s.load_waiters.push(conn);
                    }
                    return self.park(
                        conn,
                        Pending::Source {
                            request: req,
                            source,
                        },
                    );
                }
                let end = range.and_then(|r| r.end);
                let position = self.start_file(key, start, end);
                return self.finish_play(
                    conn,
                    &req,
                    key,
                    &base,
                    resp,
                    position,
                    Some(end.unwrap_or(duration)),
                );
            }
        }
        self.finish_play(conn, &req, key, &base, resp, Duration::ZERO, None)
    }

    #[allow(clippy::too_many_arguments)]
    fn finish_play(
        &mut self,
        conn: ConnId,
        req: &Request,
        key: u64,
        base: &str,
        mut resp: Response,
        position: Duration,
        end: Option<Duration>,
    ) {
        let Some(s) = self.sessions.get(&key) else {
            return;
        };
        let rtp_info: Vec<String> = s
            .tracks
            .iter()
            .map(|t| {
                let (seq, rtptime) = self.next_rtp_position(key, t.track);
                format!(
                    "url={base}/{TRACK_CONTROL_PREFIX}{};seq={seq};rtptime={rtptime}",
                    t.track
                )
            })
            .collect();
        if let Some(end) = end {
            resp.headers.append(
                "Range",
                format!("npt={}-{}", format_npt(position), format_npt(end)),
            );
        }
        resp.headers.append("RTP-Info", rtp_info.join(","));
        resp.headers.append(
            "Session",
            format!("{};timeout={}", s.id, self.cfg.session_timeout.as_secs()),
        );
        self.reply(conn, req, resp);
        self.send_initial_reports(key);
        self.kick_pacing(key);
    }

    fn handle_pause(&mut self, conn: ConnId, req: Request) {
        let Some(key) = self.request_session(conn, &req) else {
            return;
        };
        let Some(s) = self.sessions.get(&key) else {
            return;
        };
        let id = s.id.clone();
        match s.state {
            PlayState::Playing => self.pause_session(key),
            PlayState::Paused => {}
            PlayState::Ready => {
                return self.reply_error(
                    conn,
                    &req,
                    StatusCode::METHOD_NOT_VALID_IN_THIS_STATE,
                    "not playing",
                );
            }
        }
        let mut resp = Response::new(StatusCode::OK);
        resp.headers.append("Session", id);
        self.reply(conn, &req, resp);
    }

    fn handle_teardown(&mut self, conn: ConnId, req: Request) {
        let Some(key) = self.request_session(conn, &req) else {
            return;
        };
        let mut resp = Response::new(StatusCode::OK);
        if let Some(s) = self.sessions.get(&key) {
            resp.headers.append("Session", s.id.clone());
        }
        self.reply(conn, &req, resp);
        self.end_session(key, true);
    }

    fn touch_session(&mut self, req: &Request) {
        if let Some(key) = session_id(req).and_then(|id| self.session_keys.get(id)) {
            if let Some(s) = self.sessions.get_mut(key) {
                s.last_activity = self.now;
            }
        }
    }

    pub(super) fn on_pending_deadline(&mut self, conn: ConnId, generation: u32) {
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        if c.pending_generation != generation || c.pending.is_none() {
            return;
        }
        let Some(pending) = c.pending.take() else {
            return;
        };
        match pending {
            Pending::Source { request, source } => {
                self.release_source_waiter(source, conn);
                self.reply_error(
                    conn,
                    &request,
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the stream did not start in time",
                );
            }
            Pending::Udp { plan, .. } => {
                let request = plan.request.clone();
                self.abandon_setup_plan(*plan);
                self.reply_error(
                    conn,
                    &request,
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "UDP ports not bound in time",
                );
            }
        }
        self.process_connection(conn);
    }

    pub(super) fn on_session_timeout(&mut self, key: u64) {
        let timeout = self.cfg.session_timeout;
        let Some(s) = self.sessions.get(&key) else {
            return;
        };
        // Interleaved sessions live as long as their connection: many
        // clients send no keepalive over TCP, and a dead TCP peer is noticed
        // by the socket (or by the stall timer) anyway.
        let tcp_alive = s.uses_tcp() && s.conn.is_some_and(|c| self.conns.contains_key(&c));
        let deadline = s.last_activity + timeout;
        if tcp_alive || deadline > self.now {
            let next = if tcp_alive {
                self.now + timeout
            } else {
                deadline
            };
            self.timers
                .schedule(next, TimerKind::SessionTimeout { session: key });
            return;
        }
        tracing::info!(session = %s.id, "session timed out");
        self.end_session(key, true);
    }
}

/// `Require:` tags we do not support, comma-joined.
fn unsupported_requirements(req: &Request) -> Option<String> {
    let tags: Vec<&str> = req
        .headers
        .get_all("Require")
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect();
    (!tags.is_empty()).then(|| tags.join(", "))
}

/// The session id of a `Session:` header, without `;timeout=`.
fn session_id(req: &Request) -> Option<&str> {
    req.headers
        .get("Session")
        .map(|v| v.split(';').next().unwrap_or_default().trim())
        .filter(|v| !v.is_empty())
}

/// Whether a Digest `uri` names the request's resource: clients hash the
/// URI with or without a trailing slash, absolute or as a path.
fn same_resource(digest_uri: &str, request_uri: &str) -> bool {
    if digest_uri == request_uri || digest_uri == "*" {
        return true;
    }
    match (parse_target(digest_uri), parse_target(request_uri)) {
        (Ok(a), Ok(b)) => a.stream == b.stream,
        _ => false,
    }
}

/// The request URL without a trailing track control or slash.
fn aggregate_url(uri: &str) -> String {
    let trimmed = uri.trim_end_matches('/');
    match trimmed.rfind('/') {
        Some(i) if trimmed[i + 1..].starts_with(TRACK_CONTROL_PREFIX) => trimmed[..i].to_owned(),
        _ => trimmed.to_owned(),
    }
}

fn stream_title(location: &crate::media::SourceLocation) -> String {
    match location {
        crate::media::SourceLocation::TestPattern => "Test pattern".into(),
        crate::media::SourceLocation::File(name) => name.clone(),
        crate::media::SourceLocation::Device(device) => {
            // "screen 0" -> "Screen 0": a session name reads as a title.
            let text = device.to_string();
            let mut chars = text.chars();
            chars.next().map_or_else(String::new, |c| {
                c.to_uppercase().chain(chars).collect::<String>()
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aggregate_urls() {
        assert_eq!(aggregate_url("rtsp://h/a.mp4/"), "rtsp://h/a.mp4");
        assert_eq!(aggregate_url("rtsp://h/a.mp4/trackID=1"), "rtsp://h/a.mp4");
        assert_eq!(aggregate_url("rtsp://h/a.mp4"), "rtsp://h/a.mp4");
    }

    #[test]
    fn digest_uri_forms() {
        assert!(same_resource("rtsp://h:8554/a.mp4/", "rtsp://h:8554/a.mp4"));
        assert!(same_resource("/a.mp4", "rtsp://h:8554/a.mp4"));
        assert!(!same_resource("rtsp://h/b.mp4", "rtsp://h/a.mp4"));
    }
}
