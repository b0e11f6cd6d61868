//! The request target (RFC 9112 section 3.2): origin form `/path?query`,
//! absolute form `http://host:port/path?query` (some ONVIF clients send it),
//! and the asterisk form `*`; plus percent-decoding of paths and queries.

use std::borrow::Cow;

/// A request target split into its parts. Slices borrow the raw target;
/// nothing is decoded (see [`percent_decode`] and [`query_pairs`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Target<'a> {
    /// The authority of an absolute-form target (`host:port`), if any.
    pub authority: Option<&'a str>,
    /// The path, always starting with `/` (or `*` for the asterisk form).
    pub path: &'a str,
    /// The query after `?`, without the `?`.
    pub query: Option<&'a str>,
}

impl<'a> Target<'a> {
    /// The path without a trailing `/` (the root stays `/`), so that
    /// `/onvif/device_service/` routes like `/onvif/device_service`.
    pub fn path_trimmed(&self) -> &'a str {
        match self.path.strip_suffix('/') {
            Some(p) if !p.is_empty() => p,
            _ => self.path,
        }
    }

    /// The decoded value of the first query parameter called `name`.
    pub fn query_param(&self, name: &str) -> Option<Cow<'a, str>> {
        query_pairs(self.query?)
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }
}

/// Why a request target was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TargetError {
    /// Empty target.
    Empty,
    /// Neither `/...`, `*`, nor `http(s)://...` (the authority form is only
    /// for CONNECT, which this server does not do).
    UnsupportedForm,
}

impl std::fmt::Display for TargetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TargetError::Empty => f.write_str("empty request target"),
            TargetError::UnsupportedForm => f.write_str("unsupported request-target form"),
        }
    }
}

impl std::error::Error for TargetError {}

/// Splits a raw request target. A fragment (`#...`), which clients must not
/// send, is dropped.
pub fn parse_target(raw: &str) -> Result<Target<'_>, TargetError> {
    let raw = raw.split('#').next().unwrap_or("");
    if raw.is_empty() {
        return Err(TargetError::Empty);
    }
    if raw == "*" {
        return Ok(Target {
            authority: None,
            path: "*",
            query: None,
        });
    }
    let (authority, rest) = if raw.starts_with('/') {
        (None, raw)
    } else {
        let after_scheme = strip_prefix_ignore_case(raw, "http://")
            .or_else(|| strip_prefix_ignore_case(raw, "https://"))
            .ok_or(TargetError::UnsupportedForm)?;
        let end = after_scheme.find(['/', '?']).unwrap_or(after_scheme.len());
        (Some(&after_scheme[..end]), &after_scheme[end..])
    };
    let (path, query) = match rest.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (rest, None),
    };
    Ok(Target {
        authority,
        path: if path.is_empty() { "/" } else { path },
        query,
    })
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// Decodes `%XX` escapes; `None` when an escape is malformed or the result
/// is not UTF-8. `+` is kept as is (it only means a space in queries, see
/// [`query_pairs`]).
pub fn percent_decode(s: &str) -> Option<Cow<'_, str>> {
    if !s.contains('%') {
        return Some(Cow::Borrowed(s));
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hi = hex_digit(*bytes.get(i + 1)?)?;
            let lo = hex_digit(*bytes.get(i + 2)?)?;
            out.push(hi << 4 | lo);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok().map(Cow::Owned)
}

fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// The `name=value` pairs of a query string (`application/x-www-form-urlencoded`:
/// `+` is a space, escapes decoded). A pair whose decoding fails is kept
/// raw rather than dropped, so a lookup still sees it.
pub fn query_pairs(query: &str) -> impl Iterator<Item = (Cow<'_, str>, Cow<'_, str>)> {
    query.split('&').filter(|p| !p.is_empty()).map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (decode_form(k), decode_form(v))
    })
}

fn decode_form(s: &str) -> Cow<'_, str> {
    if s.contains('+') {
        let spaced = s.replace('+', " ");
        match percent_decode(&spaced) {
            Some(d) => Cow::Owned(d.into_owned()),
            None => Cow::Owned(spaced),
        }
    } else {
        percent_decode(s).unwrap_or(Cow::Borrowed(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let t = parse_target("/onvif/device_service").unwrap();
        assert_eq!(
            (t.authority, t.path, t.query),
            (None, "/onvif/device_service", None)
        );
        let t = parse_target("/snap.jpg?token=ProfileToken_1&x=a+b%21#frag").unwrap();
        assert_eq!(t.path, "/snap.jpg");
        assert_eq!(t.query, Some("token=ProfileToken_1&x=a+b%21"));
        assert_eq!(t.query_param("x").as_deref(), Some("a b!"));
        assert_eq!(t.query_param("missing"), None);
        let t = parse_target("HTTP://192.168.1.5:8000/onvif/media_service/?a").unwrap();
        assert_eq!(t.authority, Some("192.168.1.5:8000"));
        assert_eq!(t.path_trimmed(), "/onvif/media_service");
        assert_eq!(parse_target("http://h").unwrap().path, "/");
        assert_eq!(parse_target("http://h?q").unwrap().query, Some("q"));
        assert_eq!(parse_target("*").unwrap().path, "*");
        assert_eq!(parse_target("/").unwrap().path_trimmed(), "/");
        assert_eq!(parse_target(""), Err(TargetError::Empty));
        assert_eq!(parse_target("host:80"), Err(TargetError::UnsupportedForm));
        assert_eq!(parse_target("ftp://x/"), Err(TargetError::UnsupportedForm));
        assert_eq!(parse_target("ht"), Err(TargetError::UnsupportedForm));
    }

    #[test]
    fn decoding() {
        assert_eq!(percent_decode("a%20b").as_deref(), Some("a b"));
        assert_eq!(percent_decode("%e2%82%ac").as_deref(), Some("\u{20ac}"));
        assert_eq!(percent_decode("%"), None);
        assert_eq!(percent_decode("%4"), None);
        assert_eq!(percent_decode("%zz"), None);
        assert_eq!(percent_decode("%ff"), None);
        let pairs: Vec<_> = query_pairs("a=1&&b&c=%zz").collect();
        assert_eq!(pairs.len(), 3);
        assert_eq!(pairs[1], (Cow::Borrowed("b"), Cow::Borrowed("")));
        assert_eq!(pairs[2].1, "%zz");
    }
}
