//! HTTP-style authentication for RTSP: Basic (RFC 7617) and Digest
//! (RFC 2617 / RFC 7616, MD5 and SHA-256), for both server and client side.
//!
//! Digest nonces are stateless: `<issued-seconds-hex>:<tag>` where the tag
//! is a keyed SHA-256 of the issue time under a per-server secret, so a
//! server keeps no per-nonce memory, can tell an expired nonce (`stale=true`)
//! from a forged one, and an attacker cannot mint valid nonces.

use base64::Engine;
use md5::Md5;
use sha2::{Digest as _, Sha256};

/// A Digest hash algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DigestAlgorithm {
    /// `MD5`: the default, and the only one ffmpeg and most cameras speak.
    Md5,
    /// `SHA-256` (RFC 7616).
    Sha256,
}

impl DigestAlgorithm {
    /// The token used in headers.
    pub fn token(self) -> &'static str {
        match self {
            DigestAlgorithm::Md5 => "MD5",
            DigestAlgorithm::Sha256 => "SHA-256",
        }
    }

    fn hash_hex(self, data: &str) -> String {
        match self {
            DigestAlgorithm::Md5 => hex(&Md5::digest(data.as_bytes())),
            DigestAlgorithm::Sha256 => hex(&Sha256::digest(data.as_bytes())),
        }
    }
}

/// A parsed `Authorization` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Authorization {
    /// `Basic base64(user:pass)`.
    Basic {
        /// User name.
        username: String,
        /// Password.
        password: String,
    },
    /// `Digest ...`.
    Digest(DigestParams),
}

/// The parameters of a Digest `Authorization` header.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DigestParams {
    /// `username`
    pub username: String,
    /// `realm`
    pub realm: String,
    /// `nonce`
    pub nonce: String,
    /// `uri`, exactly as the client hashed it.
    pub uri: String,
    /// `response`, the hex digest.
    pub response: String,
    /// `algorithm`; `None` means MD5.
    pub algorithm: Option<String>,
    /// `qop`
    pub qop: Option<String>,
    /// `nc`
    pub nc: Option<String>,
    /// `cnonce`
    pub cnonce: Option<String>,
    /// `opaque`
    pub opaque: Option<String>,
}

/// Parses an `Authorization` header value; `None` when it is neither a
/// well-formed Basic nor Digest credential.
pub fn parse_authorization(value: &str) -> Option<Authorization> {
    let value = value.trim();
    let (scheme, rest) = value.split_once([' ', '\t']).unwrap_or((value, ""));
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(rest.trim())
            .ok()?;
        let decoded = String::from_utf8(decoded).ok()?;
        let (username, password) = decoded.split_once(':')?;
        return Some(Authorization::Basic {
            username: username.to_owned(),
            password: password.to_owned(),
        });
    }
    if !scheme.eq_ignore_ascii_case("digest") {
        return None;
    }
    let mut p = DigestParams::default();
    for (name, val) in parse_params(rest)? {
        match name.to_ascii_lowercase().as_str() {
            "username" => p.username = val,
            "realm" => p.realm = val,
            "nonce" => p.nonce = val,
            "uri" => p.uri = val,
            "response" => p.response = val,
            "algorithm" => p.algorithm = Some(val),
            "qop" => p.qop = Some(val),
            "nc" => p.nc = Some(val),
            "cnonce" => p.cnonce = Some(val),
            "opaque" => p.opaque = Some(val),
            _ => {}
        }
    }
    if p.username.is_empty() || p.nonce.is_empty() || p.response.is_empty() {
        return None;
    }
    Some(Authorization::Digest(p))
}

/// Parses `name=value, name="quoted, value"` lists. `None` on an unterminated quote.
pub fn parse_params(s: &str) -> Option<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut rest = s.trim();
    while !rest.is_empty() {
        let (name, after) = rest.split_once('=')?;
        let name = name.trim().trim_start_matches(',').trim().to_owned();
        let after = after.trim_start();
        let (value, remaining) = if let Some(q) = after.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = q.char_indices();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, escaped)) = chars.next() {
                            value.push(escaped);
                        }
                    }
                    '"' => {
                        end = Some(i + 1);
                        break;
                    }
                    c => value.push(c),
                }
            }
            (value, &q[end?..])
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (after[..end].trim().to_owned(), &after[end..])
        };
        out.push((name, value));
        rest = remaining.trim_start().trim_start_matches(',').trim_start();
    }
    Some(out)
}

/// Computes a Digest `response` value (RFC 7616 section 3.4.1).
#[allow(clippy::too_many_arguments)]
pub fn digest_response(
    algorithm: DigestAlgorithm,
    username: &str,
    realm: &str,
    password: &str,
    method: &str,
    uri: &str,
    nonce: &str,
    qop: Option<(&str, &str, &str)>,
) -> String {
    let ha1 = algorithm.hash_hex(&format!("{username}:{realm}:{password}"));
    let ha2 = algorithm.hash_hex(&format!("{method}:{uri}"));
    match qop {
        Some((qop, nc, cnonce)) => {
            algorithm.hash_hex(&format!("{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}"))
        }
        None => algorithm.hash_hex(&format!("{ha1}:{nonce}:{ha2}")),
    }
}

/// Result of checking a nonce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NonceState {
    /// Issued by us and still fresh.
    Fresh,
    /// Issued by us but expired: challenge again with `stale=true`.
    Stale,
    /// Not ours.
    Invalid,
}

/// Issues and checks stateless nonces bound to a server secret.
#[derive(Clone, Debug)]
pub struct NonceIssuer {
    secret: [u8; 16],
    lifetime_secs: u64,
}

impl NonceIssuer {
    /// An issuer with a secret (from the server's seeded RNG) and a nonce lifetime.
    pub fn new(secret: [u8; 16], lifetime_secs: u64) -> NonceIssuer {
        NonceIssuer {
            secret,
            lifetime_secs,
        }
    }

    /// A nonce issued at `now_secs` (seconds on the server's monotonic clock).
    pub fn issue(&self, now_secs: u64) -> String {
        let stamp = format!("{now_secs:x}");
        format!("{stamp}{}", self.tag(&stamp))
    }

    /// Whether `nonce` is ours and fresh at `now_secs`.
    pub fn check(&self, nonce: &str, now_secs: u64) -> NonceState {
        if nonce.len() < 33 || !nonce.is_ascii() {
            return NonceState::Invalid;
        }
        let (stamp, tag) = nonce.split_at(nonce.len() - 32);
        if self.tag(stamp) != tag {
            return NonceState::Invalid;
        }
        match u64::from_str_radix(stamp, 16) {
            Ok(issued) if issued <= now_secs && now_secs - issued <= self.lifetime_secs => {
                NonceState::Fresh
            }
            Ok(_) => NonceState::Stale,
            Err(_) => NonceState::Invalid,
        }
    }

    fn tag(&self, stamp: &str) -> String {
        let mut h = Sha256::new();
        h.update(self.secret);
        h.update(stamp.as_bytes());
        h.update(self.secret);
        hex(&h.finalize()[..16])
    }
}

/// A `WWW-Authenticate` challenge received by a client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Challenge {
    /// `Basic realm=...`
    Basic {
        /// Realm.
        realm: String,
    },
    /// `Digest realm=... nonce=...`
    Digest {
        /// Realm.
        realm: String,
        /// Nonce.
        nonce: String,
        /// Algorithm, if the server named one we know.
        algorithm: DigestAlgorithm,
        /// Opaque value to echo.
        opaque: Option<String>,
        /// Whether the server offered `qop=auth`.
        qop_auth: bool,
    },
}

/// Parses a `WWW-Authenticate` value; `None` for unknown schemes or algorithms.
pub fn parse_challenge(value: &str) -> Option<Challenge> {
    let value = value.trim();
    let (scheme, rest) = value.split_once([' ', '\t']).unwrap_or((value, ""));
    let params = parse_params(rest)?;
    let get = |n: &str| {
        params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| v.clone())
    };
    if scheme.eq_ignore_ascii_case("basic") {
        return Some(Challenge::Basic {
            realm: get("realm").unwrap_or_default(),
        });
    }
    if !scheme.eq_ignore_ascii_case("digest") {
        return None;
    }
    let algorithm = match get("algorithm") {
        None => DigestAlgorithm::Md5,
        Some(a) if a.eq_ignore_ascii_case("MD5") => DigestAlgorithm::Md5,
        Some(a) if a.eq_ignore_ascii_case("SHA-256") => DigestAlgorithm::Sha256,
        Some(_) => return None,
    };
    Some(Challenge::Digest {
        realm: get("realm")?,
        nonce: get("nonce")?,
        algorithm,
        opaque: get("opaque"),
        qop_auth: get("qop").is_some_and(|q| q.split(',').any(|t| t.trim() == "auth")),
    })
}

impl Challenge {
    /// The `Authorization` header value answering this challenge.
    pub fn respond(
        &self,
        username: &str,
        password: &str,
        method: &str,
        uri: &str,
        cnonce: &str,
    ) -> String {
        match self {
            Challenge::Basic { .. } => format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"))
            ),
            Challenge::Digest {
                realm,
                nonce,
                algorithm,
                opaque,
                qop_auth,
            } => {
                let qop = qop_auth.then_some(("auth", "00000001", cnonce));
                let response = digest_response(
                    *algorithm, username, realm, password, method, uri, nonce, qop,
                );
                let mut v = format!(
                    "Digest username=\"{username}\", realm=\"{realm}\", nonce=\"{nonce}\", uri=\"{uri}\", response=\"{response}\", algorithm={}",
                    algorithm.token()
                );
                if *qop_auth {
                    v.push_str(&format!(", qop=auth, nc=00000001, cnonce=\"{cnonce}\""));
                }
                if let Some(o) = opaque {
                    v.push_str(&format!(", opaque=\"{o}\""));
                }
                v
            }
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc2617_example() {
        // RFC 2617 section 3.5.
        let r = digest_response(
            DigestAlgorithm::Md5,
            "Mufasa",
            "testrealm@host.com",
            "Circle Of Life",
            "GET",
            "/dir/index.html",
            "dcd98b7102dd2f0e8b11d0f600bfb0c093",
            Some(("auth", "00000001", "0a4f113b")),
        );
        assert_eq!(r, "6629fae49393a05397450978507c4ef1");
    }

    #[test]
    fn rfc7616_sha256_example() {
        // RFC 7616 section 3.9.1.
        let r = digest_response(
            DigestAlgorithm::Sha256,
            "Mufasa",
            "http-auth@example.org",
            "Circle of Life",
            "GET",
            "/dir/index.html",
            "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
            Some((
                "auth",
                "00000001",
                "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
            )),
        );
        assert_eq!(
            r,
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"
        );
    }

    #[test]
    fn parses_ffmpeg_digest_header() {
        let v = r#"Digest username="admin", realm="onvif-rtsp-server", nonce="abc", uri="rtsp://127.0.0.1:8554/test", response="0123", algorithm="MD5""#;
        let Some(Authorization::Digest(p)) = parse_authorization(v) else {
            panic!()
        };
        assert_eq!(p.username, "admin");
        assert_eq!(p.uri, "rtsp://127.0.0.1:8554/test");
        assert_eq!(p.algorithm.as_deref(), Some("MD5"));
        assert_eq!(
            parse_authorization("Basic YWRtaW46YWRtaW4="),
            Some(Authorization::Basic {
                username: "admin".into(),
                password: "admin".into()
            })
        );
        assert_eq!(parse_authorization("Basic !!!"), None);
        assert_eq!(parse_authorization("Digest username=\"unterminated"), None);
        assert_eq!(parse_authorization("Bearer x"), None);
    }

    #[test]
    fn nonces_expire_and_cannot_be_forged() {
        let issuer = NonceIssuer::new([7; 16], 60);
        let n = issuer.issue(100);
        assert_eq!(issuer.check(&n, 100), NonceState::Fresh);
        assert_eq!(issuer.check(&n, 160), NonceState::Fresh);
        assert_eq!(issuer.check(&n, 161), NonceState::Stale);
        let other = NonceIssuer::new([8; 16], 60);
        assert_eq!(other.check(&n, 100), NonceState::Invalid);
        assert_eq!(issuer.check("short", 0), NonceState::Invalid);
        let mut forged = n.clone();
        forged.replace_range(0..1, "f");
        assert_eq!(issuer.check(&forged, 100), NonceState::Invalid);
    }

    #[test]
    fn client_answers_challenge() {
        let c = parse_challenge(r#"Digest realm="r", nonce="n", algorithm=MD5"#).unwrap();
        let v = c.respond("u", "p", "DESCRIBE", "rtsp://h/x", "c");
        let Some(Authorization::Digest(p)) = parse_authorization(&v) else {
            panic!()
        };
        assert_eq!(
            p.response,
            digest_response(
                DigestAlgorithm::Md5,
                "u",
                "r",
                "p",
                "DESCRIBE",
                "rtsp://h/x",
                "n",
                None
            )
        );
        assert_eq!(
            parse_challenge(r#"Digest realm="r", nonce="n", algorithm=SHA-512"#),
            None
        );
    }
}
