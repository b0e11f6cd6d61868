//! Authentication and authorization of ONVIF requests.
//!
//! Two ways to authenticate, as the ONVIF Core spec allows:
//! - HTTP Digest (RFC 7616; MD5 by default, SHA-256 accepted, `qop=auth`,
//!   stateless expiring nonces from [`crate::rtsp::auth::NonceIssuer`]);
//!   Basic is accepted too unless disabled (snapshot consumers use it).
//! - WS-Security UsernameToken in the SOAP header: `PasswordDigest`
//!   = Base64(SHA1(nonce + created + password)), or `PasswordText`;
//!   `Created` with or without fractional seconds, `Z` or `+00:00`;
//!   `mustUnderstand` `"1"` or `"true"` (or absent: nothing depends on it);
//!   `Created` must be within a freshness window of the *device* clock, and
//!   a nonce is accepted once (bounded replay cache).
//!
//! With both present, the HTTP credentials decide (DESIGN.md). Operations
//! of class `PRE_AUTH` never look at credentials at all, so a client whose
//! clock is off, or whose password is wrong, can still call
//! GetSystemDateAndTime to learn the device clock. With `need_auth` off
//! every request runs as Administrator.
//!
//! Failures are counted per client address by a [`Throttle`]; a blocked
//! address gets `429` with `Retry-After` until its block ends.
//!
//! Answers, always with a SOAP fault `env:Sender/ter:NotAuthorized` body:
//! - no credentials, or bad HTTP credentials: `401` with a Digest
//!   challenge (`stale=true` when only the nonce expired);
//! - a bad UsernameToken (unknown user, wrong password, stale `Created`,
//!   replayed nonce, malformed token): `400`;
//! - authenticated but the level does not allow the operation: `400`;
//! - throttled: `429`.

use std::collections::{HashSet, VecDeque};
use std::net::IpAddr;
use std::time::{Duration, Instant};

use base64::Engine;
use sha1::{Digest as _, Sha1};

use super::access::{AccessClass, UserLevel};
use super::fault::Fault;
use super::ns;
use super::soap::SoapVersion;
use super::throttle::{Throttle, ThrottleConfig};
use super::values::parse_datetime;
use super::xml::Element;
use crate::http::{Response, StatusCode, parse_target};
use crate::rtsp::auth::{
    self, Authorization, DigestAlgorithm, DigestParams, NonceIssuer, NonceState,
};

/// Where the security layer finds users: implemented by the device state.
pub trait UserStore {
    /// Whether requests must authenticate (`onvif.cfg` `<need_auth>`).
    fn auth_required(&self) -> bool;
    /// The user called exactly `username` (names are case-sensitive).
    fn find_user(&self, username: &str) -> Option<UserRecord<'_>>;
    /// Told of every operation the endpoint refused or ran, for the
    /// device's logs; keeps nothing unless implemented.
    fn record_access(&mut self, _record: &AccessRecord<'_>) {}
}

/// One ONVIF request as the device's logs see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccessRecord<'a> {
    /// The device clock as Unix time.
    pub device_time: Duration,
    /// The client.
    pub peer: IpAddr,
    /// The operation's local name (`GetProfiles`).
    pub operation: &'a str,
    /// The access class the operation needs.
    pub access: AccessClass,
    /// Who it ran as, and how (`None` when refused).
    pub principal: Option<&'a Principal>,
    /// What came of it.
    pub result: AccessResult,
}

/// What came of a request, for the device's logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccessResult {
    /// Refused before it ran.
    Refused(DenialReason),
    /// Ran and answered successfully.
    Answered,
    /// Ran and answered with a SOAP fault.
    Faulted,
    /// Ran and waits for its answer (a long poll).
    Deferred,
}

/// What the security layer needs to know about a user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UserRecord<'a> {
    /// The clear-text password (both Digest schemes need it).
    pub password: &'a str,
    /// The user's level.
    pub level: UserLevel,
}

/// Who is making a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// The authenticated user name; `None` for anonymous requests, for
    /// `PRE_AUTH` operations, and when authentication is off.
    pub username: Option<String>,
    /// The level the request runs with.
    pub level: UserLevel,
    /// How the request was authenticated.
    pub method: AuthMethod,
}

/// How a request was authenticated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthMethod {
    /// Not at all (`PRE_AUTH`, or no credentials).
    None,
    /// Authentication is off (`need_auth` 0): Administrator for everyone.
    Disabled,
    /// HTTP Digest.
    HttpDigest,
    /// HTTP Basic.
    HttpBasic,
    /// WS-Security UsernameToken.
    UsernameToken,
}

impl Principal {
    fn anonymous() -> Principal {
        Principal {
            username: None,
            level: UserLevel::Anonymous,
            method: AuthMethod::None,
        }
    }
}

/// A WS-Security `UsernameToken` as sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsernameToken {
    /// `Username`.
    pub username: String,
    /// `Password` text: a Base64 digest or the clear password.
    pub password: String,
    /// Whether `Password` is a digest.
    pub digest: bool,
    /// `Nonce`, Base64-decoded (kept raw when it is not Base64).
    pub nonce: Option<Vec<u8>>,
    /// `Created`, exactly as sent (the digest covers these bytes).
    pub created: Option<String>,
}

/// Why a UsernameToken was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenProblem {
    /// Missing `Username`/`Password`, a digest without `Nonce` or
    /// `Created`, an unparsable `Created`, an oversized nonce.
    Malformed,
    /// No such user.
    UnknownUser,
    /// Wrong password.
    WrongPassword,
    /// `Created` outside the freshness window.
    Stale,
    /// The nonce was already used.
    Replayed,
}

/// Finds the first `UsernameToken` of a SOAP header: in `wsse:Security`
/// (matched by local name as well, for clients with an old namespace).
pub fn find_username_token(header: &Element) -> Result<Option<UsernameToken>, TokenProblem> {
    let Some(security) = header
        .child(ns::WSSE, "Security")
        .or_else(|| header.child_by_local_name("Security"))
    else {
        return Ok(None);
    };
    let Some(token) = security
        .child(ns::WSSE, "UsernameToken")
        .or_else(|| security.child_by_local_name("UsernameToken"))
    else {
        return Ok(None);
    };
    let username = token
        .param_text(ns::WSSE, "Username")
        .ok_or(TokenProblem::Malformed)?;
    let password = token
        .param(ns::WSSE, "Password")
        .ok_or(TokenProblem::Malformed)?;
    // A Type naming a digest, with any namespace spelling; absent means text.
    let digest = password
        .attr("Type")
        .is_some_and(|t| t.trim().ends_with("#PasswordDigest"));
    let nonce = match token.param(ns::WSSE, "Nonce") {
        Some(n) if n.text().len() > 1024 => return Err(TokenProblem::Malformed),
        Some(n) => {
            let text = n.text();
            Some(
                base64::engine::general_purpose::STANDARD
                    .decode(text)
                    .unwrap_or_else(|_| text.as_bytes().to_vec()),
            )
        }
        None => None,
    };
    let created = token.param(ns::WSU, "Created").map(|c| c.text().to_owned());
    Ok(Some(UsernameToken {
        username: username.to_owned(),
        password: password.text().to_owned(),
        digest,
        nonce,
        created,
    }))
}

/// `Base64(SHA1(nonce + created + password))`, the `PasswordDigest` value.
pub fn password_digest(nonce: &[u8], created: &str, password: &str) -> String {
    let mut h = Sha1::new();
    h.update(nonce);
    h.update(created.as_bytes());
    h.update(password.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(h.finalize())
}

/// Compares secrets in time independent of where they differ.
fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Remembers accepted nonces until their `Created` leaves the freshness
/// window. Bounded: when full, the oldest entry goes (which can only help
/// a replay of a token older than the `capacity` most recent ones).
#[derive(Clone, Debug)]
pub struct ReplayCache {
    capacity: usize,
    /// (SHA-1 of the nonce, expiry in device Unix seconds), oldest first.
    order: VecDeque<([u8; 20], i64)>,
    seen: HashSet<[u8; 20]>,
}

impl ReplayCache {
    /// An empty cache for at most `capacity` nonces.
    pub fn new(capacity: usize) -> ReplayCache {
        ReplayCache {
            capacity: capacity.max(1),
            order: VecDeque::new(),
            seen: HashSet::new(),
        }
    }

    /// Records `nonce`; `false` when it was already there (a replay).
    /// `expires` is the device Unix second after which the nonce could no
    /// longer pass the freshness check anyway; `now` prunes older entries.
    pub fn insert(&mut self, nonce: &[u8], expires: i64, now: i64) -> bool {
        while let Some(&(key, exp)) = self.order.front() {
            if exp >= now && self.order.len() < self.capacity {
                break;
            }
            self.order.pop_front();
            self.seen.remove(&key);
        }
        let key: [u8; 20] = Sha1::digest(nonce).into();
        if !self.seen.insert(key) {
            return false;
        }
        self.order.push_back((key, expires));
        true
    }

    /// Number of nonces remembered.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Whether no nonce is remembered.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

/// Security settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecurityConfig {
    /// HTTP Digest realm.
    pub realm: String,
    /// Largest accepted difference between a token's `Created` and the
    /// device clock, either way; `None` disables the check (and then
    /// replayed nonces are caught only while in the cache).
    pub freshness: Option<Duration>,
    /// Most nonces remembered for replay detection.
    pub replay_capacity: usize,
    /// Lifetime of HTTP Digest nonces.
    pub digest_nonce_lifetime: Duration,
    /// Offer a SHA-256 Digest challenge before the MD5 one. Off by default:
    /// Python's `requests`/`httpx` join repeated `WWW-Authenticate` fields
    /// and then misparse them.
    pub offer_sha256: bool,
    /// Accept HTTP Basic credentials.
    pub allow_basic: bool,
    /// Brute-force throttling.
    pub throttle: ThrottleConfig,
}

impl Default for SecurityConfig {
    /// Realm `onvif-rtsp-server`, ±5 min freshness, 4096 nonces, 5 min
    /// Digest nonces, MD5 challenge only, Basic accepted.
    fn default() -> Self {
        SecurityConfig {
            realm: "onvif-rtsp-server".to_owned(),
            freshness: Some(Duration::from_secs(300)),
            replay_capacity: 4096,
            digest_nonce_lifetime: Duration::from_secs(300),
            offer_sha256: false,
            allow_basic: true,
            throttle: ThrottleConfig::default(),
        }
    }
}

/// What the security layer needs to know about a request.
#[derive(Clone, Copy, Debug)]
pub struct AuthRequest<'a> {
    /// HTTP method (`POST`, `GET`): part of the Digest hash.
    pub method: &'a str,
    /// The raw request target: compared with the Digest `uri`.
    pub target: &'a str,
    /// The `Authorization` header, if any.
    pub authorization: Option<&'a str>,
    /// The SOAP header, if any (for the UsernameToken).
    pub soap_header: Option<&'a Element>,
    /// The client's address, for throttling.
    pub peer: IpAddr,
    /// Monotonic now, for Digest nonces and throttling.
    pub now: Instant,
    /// The device clock as Unix time, for `Created` freshness.
    pub device_time: Duration,
}

/// Why a request was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DenialReason {
    /// Credentials needed and none given.
    Missing,
    /// HTTP credentials were wrong.
    BadHttpCredentials,
    /// The UsernameToken was refused.
    BadToken(TokenProblem),
    /// Authenticated, but the level does not allow the operation.
    Forbidden,
    /// The client is blocked after too many failures.
    Throttled,
}

/// A refusal, ready to be turned into a response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Denial {
    /// Why.
    pub reason: DenialReason,
    /// The HTTP status to answer with.
    pub status: StatusCode,
    /// `WWW-Authenticate` values to send (401 only), in order.
    pub challenges: Vec<String>,
    /// Seconds until a throttled client may try again.
    pub retry_after: Option<u64>,
}

impl Denial {
    /// The `env:Sender/ter:NotAuthorized` fault, with this denial's status.
    pub fn fault(&self) -> Fault {
        Fault::not_authorized().with_status(self.status)
    }

    fn add_headers(&self, mut r: Response) -> Response {
        for c in &self.challenges {
            r.headers.append("WWW-Authenticate", c.clone());
        }
        if let Some(s) = self.retry_after {
            r.headers.append("Retry-After", s.to_string());
        }
        r
    }

    /// The SOAP response: fault envelope, challenge and `Retry-After`.
    pub fn soap_response(&self, version: SoapVersion) -> Response {
        self.add_headers(self.fault().to_response(version))
    }

    /// A plain-text response, for HTTP resources outside SOAP (snapshots).
    pub fn http_response(&self) -> Response {
        let text = match self.reason {
            DenialReason::Throttled => "too many failed attempts",
            DenialReason::Forbidden => "forbidden",
            _ => "unauthorized",
        };
        self.add_headers(Response::plain(self.status, text))
    }
}

/// The authentication state of one ONVIF server: Digest nonce issuer,
/// replay cache, throttle.
#[derive(Debug)]
pub struct Security {
    config: SecurityConfig,
    nonces: NonceIssuer,
    replay: ReplayCache,
    throttle: Throttle,
    epoch: Instant,
}

impl Security {
    /// Security state with a secret for Digest nonces (draw it from the
    /// server's seeded RNG) and the instant the server started.
    pub fn new(config: SecurityConfig, secret: [u8; 16], epoch: Instant) -> Security {
        Security {
            nonces: NonceIssuer::new(secret, config.digest_nonce_lifetime.as_secs()),
            replay: ReplayCache::new(config.replay_capacity),
            throttle: Throttle::new(config.throttle),
            config,
            epoch,
        }
    }

    /// The settings.
    pub fn config(&self) -> &SecurityConfig {
        &self.config
    }

    /// Authenticates `req` and checks that it may use an operation of
    /// `class`. See the module documentation for the rules.
    pub fn check(
        &mut self,
        req: &AuthRequest<'_>,
        class: AccessClass,
        users: &dyn UserStore,
    ) -> Result<Principal, Denial> {
        if class == AccessClass::PreAuth {
            return Ok(Principal::anonymous());
        }
        if !users.auth_required() {
            return Ok(Principal {
                username: None,
                level: UserLevel::Administrator,
                method: AuthMethod::Disabled,
            });
        }
        if let Err(wait) = self.throttle.check(req.peer, req.now) {
            return Err(Denial {
                reason: DenialReason::Throttled,
                status: StatusCode::TOO_MANY_REQUESTS,
                challenges: Vec::new(),
                retry_after: Some(wait.as_secs().max(1)),
            });
        }
        let http = req
            .authorization
            .and_then(auth::parse_authorization)
            .filter(|a| self.config.allow_basic || matches!(a, Authorization::Digest(_)));
        let principal = if let Some(credential) = http {
            match self.verify_http(&credential, req, users) {
                Ok(p) => p,
                Err(stale) => {
                    if !stale {
                        self.throttle.failure(req.peer, req.now);
                    }
                    tracing::info!(peer = %req.peer, stale, "HTTP authentication failed");
                    return Err(self.unauthorized(
                        DenialReason::BadHttpCredentials,
                        req.now,
                        stale,
                    ));
                }
            }
        } else {
            let token = match req.soap_header.map(find_username_token) {
                Some(Ok(Some(t))) => Some(t),
                Some(Err(problem)) => return Err(self.bad_token(req, problem)),
                Some(Ok(None)) | None => None,
            };
            match token {
                Some(token) => match self.verify_token(&token, req, users) {
                    Ok(p) => p,
                    Err(problem) => return Err(self.bad_token(req, problem)),
                },
                None => return Err(self.unauthorized(DenialReason::Missing, req.now, false)),
            }
        };
        self.throttle.success(req.peer);
        if !principal.level.allows(class) {
            tracing::info!(
                user = principal.username.as_deref().unwrap_or(""),
                level = principal.level.as_str(),
                class = class.as_str(),
                "operation not allowed for this user level"
            );
            return Err(Denial {
                reason: DenialReason::Forbidden,
                status: StatusCode::BAD_REQUEST,
                challenges: Vec::new(),
                retry_after: None,
            });
        }
        Ok(principal)
    }

    /// The `WWW-Authenticate` values of a fresh challenge.
    pub fn challenges(&self, now: Instant, stale: bool) -> Vec<String> {
        let nonce = self.nonces.issue(self.uptime(now));
        let realm = &self.config.realm;
        let stale = if stale { ", stale=true" } else { "" };
        let mut out = Vec::with_capacity(2);
        if self.config.offer_sha256 {
            out.push(format!(
                "Digest realm=\"{realm}\", qop=\"auth\", nonce=\"{nonce}\", algorithm=SHA-256{stale}"
            ));
        }
        out.push(format!(
            "Digest realm=\"{realm}\", qop=\"auth\", nonce=\"{nonce}\", algorithm=MD5{stale}"
        ));
        out
    }

    fn uptime(&self, now: Instant) -> u64 {
        now.saturating_duration_since(self.epoch).as_secs()
    }

    fn unauthorized(&self, reason: DenialReason, now: Instant, stale: bool) -> Denial {
        Denial {
            reason,
            status: StatusCode::UNAUTHORIZED,
            challenges: self.challenges(now, stale),
            retry_after: None,
        }
    }

    fn bad_token(&mut self, req: &AuthRequest<'_>, problem: TokenProblem) -> Denial {
        if matches!(
            problem,
            TokenProblem::UnknownUser | TokenProblem::WrongPassword
        ) {
            self.throttle.failure(req.peer, req.now);
        }
        tracing::info!(peer = %req.peer, ?problem, "UsernameToken refused");
        Denial {
            reason: DenialReason::BadToken(problem),
            status: StatusCode::BAD_REQUEST,
            challenges: Vec::new(),
            retry_after: None,
        }
    }

    /// `Err(stale)`: `true` when only the Digest nonce had expired.
    fn verify_http(
        &self,
        credential: &Authorization,
        req: &AuthRequest<'_>,
        users: &dyn UserStore,
    ) -> Result<Principal, bool> {
        match credential {
            Authorization::Basic { username, password } => {
                let user = users.find_user(username).ok_or(false)?;
                if !ct_eq(user.password.as_bytes(), password.as_bytes()) {
                    return Err(false);
                }
                Ok(Principal {
                    username: Some(username.clone()),
                    level: user.level,
                    method: AuthMethod::HttpBasic,
                })
            }
            Authorization::Digest(p) => self.verify_digest(p, req, users),
        }
    }

    fn verify_digest(
        &self,
        p: &DigestParams,
        req: &AuthRequest<'_>,
        users: &dyn UserStore,
    ) -> Result<Principal, bool> {
        let algorithm = match p.algorithm.as_deref().map(str::trim) {
            None => DigestAlgorithm::Md5,
            Some(a) if a.eq_ignore_ascii_case("MD5") => DigestAlgorithm::Md5,
            Some(a) if a.eq_ignore_ascii_case("SHA-256") => DigestAlgorithm::Sha256,
            Some(_) => return Err(false),
        };
        let user = users.find_user(&p.username).ok_or(false)?;
        if p.realm != self.config.realm || !same_target(&p.uri, req.target) {
            return Err(false);
        }
        let qop = match (&p.qop, &p.nc, &p.cnonce) {
            (Some(q), Some(nc), Some(cn)) => Some((q.as_str(), nc.as_str(), cn.as_str())),
            (None, _, _) => None,
            _ => return Err(false),
        };
        let expected = auth::digest_response(
            algorithm,
            &p.username,
            &self.config.realm,
            user.password,
            req.method,
            &p.uri,
            &p.nonce,
            qop,
        );
        let matches = ct_eq(
            expected.as_bytes(),
            p.response.to_ascii_lowercase().as_bytes(),
        );
        match self.nonces.check(&p.nonce, self.uptime(req.now)) {
            // A right answer to an expired nonce: ask again with stale=true.
            NonceState::Stale => Err(matches),
            NonceState::Invalid => Err(false),
            NonceState::Fresh if matches => Ok(Principal {
                username: Some(p.username.clone()),
                level: user.level,
                method: AuthMethod::HttpDigest,
            }),
            NonceState::Fresh => Err(false),
        }
    }

    fn verify_token(
        &mut self,
        token: &UsernameToken,
        req: &AuthRequest<'_>,
        users: &dyn UserStore,
    ) -> Result<Principal, TokenProblem> {
        let created = match &token.created {
            Some(c) => Some(parse_datetime(c).ok_or(TokenProblem::Malformed)?),
            None => None,
        };
        if token.digest && (token.nonce.is_none() || created.is_none()) {
            return Err(TokenProblem::Malformed);
        }
        let now = i64::try_from(req.device_time.as_secs()).unwrap_or(i64::MAX);
        if let (Some(window), Some(created)) = (self.config.freshness, created) {
            let skew = now.abs_diff(created.unix_secs);
            if skew > window.as_secs() {
                return Err(TokenProblem::Stale);
            }
        }
        let user = users
            .find_user(&token.username)
            .ok_or(TokenProblem::UnknownUser)?;
        let ok = if token.digest {
            let expected = password_digest(
                token.nonce.as_deref().unwrap_or_default(),
                token.created.as_deref().unwrap_or_default(),
                user.password,
            );
            ct_eq(expected.as_bytes(), token.password.as_bytes())
        } else {
            ct_eq(user.password.as_bytes(), token.password.as_bytes())
        };
        if !ok {
            return Err(TokenProblem::WrongPassword);
        }
        if let Some(nonce) = &token.nonce {
            let window = self.config.freshness.map_or(i64::MAX / 2, |w| {
                i64::try_from(w.as_secs()).unwrap_or(i64::MAX / 2)
            });
            let expires = created.map_or(now, |c| c.unix_secs).saturating_add(window);
            if !self.replay.insert(nonce, expires, now) {
                return Err(TokenProblem::Replayed);
            }
        }
        Ok(Principal {
            username: Some(token.username.clone()),
            level: user.level,
            method: AuthMethod::UsernameToken,
        })
    }
}

/// Whether a Digest `uri` names the request target: identical, or the same
/// path and query once an absolute form's scheme and authority and a
/// trailing `/` are set aside.
fn same_target(digest_uri: &str, target: &str) -> bool {
    if digest_uri == target {
        return true;
    }
    match (parse_target(digest_uri), parse_target(target)) {
        (Ok(a), Ok(b)) => a.path_trimmed() == b.path_trimmed() && a.query == b.query,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_matches_the_wss_example() {
        // The worked example of the ONVIF Application Programmer's Guide.
        let nonce = base64::engine::general_purpose::STANDARD
            .decode("LKqI6G/AikKCQrN0zqZFlg==")
            .unwrap();
        assert_eq!(
            password_digest(&nonce, "2010-09-16T07:50:45Z", "userpassword"),
            "tuOSpGlFlIXsozq4HFNeeGeFLEI="
        );
    }

    #[test]
    fn replay_cache_is_bounded_and_expires() {
        let mut c = ReplayCache::new(3);
        assert!(c.insert(b"a", 100, 0));
        assert!(!c.insert(b"a", 100, 0));
        assert!(c.insert(b"b", 100, 0));
        assert!(c.insert(b"c", 100, 0));
        assert!(c.insert(b"d", 100, 0));
        assert_eq!(c.len(), 3);
        // "a" was evicted to make room.
        assert!(c.insert(b"a", 100, 0));
        // Everything has expired at 101.
        assert!(c.insert(b"e", 200, 101));
        assert_eq!(c.len(), 1);
    }

    #[test]
    fn digest_uri_forms() {
        assert!(same_target(
            "/onvif/device_service",
            "/onvif/device_service"
        ));
        assert!(same_target(
            "/onvif/device_service/",
            "/onvif/device_service"
        ));
        assert!(same_target(
            "http://10.0.0.1:8000/onvif/device_service",
            "/onvif/device_service"
        ));
        assert!(!same_target(
            "/onvif/media_service",
            "/onvif/device_service"
        ));
        assert!(!same_target("/snap?t=1", "/snap?t=2"));
    }
}
