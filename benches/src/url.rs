//! The little URL handling an RTSP client needs: split `rtsp://` URLs into
//! host, port and credentials, and resolve SDP `a=control` values.

use std::fmt;

/// Default RTSP port (RFC 2326).
pub const DEFAULT_PORT: u16 = 554;

/// A parsed `rtsp://` URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RtspUrl {
    /// Host name or address, without brackets for IPv6.
    pub host: String,
    /// Port, [`DEFAULT_PORT`] when absent.
    pub port: u16,
    /// `user` of `rtsp://user:pass@host/`, percent-decoding not applied.
    pub user: Option<String>,
    /// `pass` of `rtsp://user:pass@host/`.
    pub password: Option<String>,
    /// Path and anything after it, starting with `/` (or empty).
    pub path: String,
}

/// Why a URL was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UrlError(pub String);

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bad RTSP URL: {}", self.0)
    }
}

impl std::error::Error for UrlError {}

impl RtspUrl {
    /// Parses `rtsp://[user[:pass]@]host[:port][/path]`.
    pub fn parse(url: &str) -> Result<RtspUrl, UrlError> {
        let rest = strip_prefix_ci(url, "rtsp://")
            .ok_or_else(|| UrlError(format!("{url}: scheme must be rtsp://")))?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        let (userinfo, hostport) = match authority.rfind('@') {
            Some(i) => (Some(&authority[..i]), &authority[i + 1..]),
            None => (None, authority),
        };
        let (user, password) = match userinfo {
            None => (None, None),
            Some(u) => match u.split_once(':') {
                Some((a, b)) => (Some(a.to_owned()), Some(b.to_owned())),
                None => (Some(u.to_owned()), None),
            },
        };
        let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
            let end = v6
                .find(']')
                .ok_or_else(|| UrlError(format!("{url}: unclosed [")))?;
            let port = match v6[end + 1..].strip_prefix(':') {
                Some(p) => parse_port(p, url)?,
                None => DEFAULT_PORT,
            };
            (v6[..end].to_owned(), port)
        } else {
            match hostport.rsplit_once(':') {
                Some((h, p)) => (h.to_owned(), parse_port(p, url)?),
                None => (hostport.to_owned(), DEFAULT_PORT),
            }
        };
        if host.is_empty() {
            return Err(UrlError(format!("{url}: no host")));
        }
        Ok(RtspUrl {
            host,
            port,
            user,
            password,
            path: path.to_owned(),
        })
    }

    /// The URL without credentials, as sent in request lines.
    pub fn without_credentials(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        format!("rtsp://{host}:{}{}", self.port, self.path)
    }
}

fn parse_port(p: &str, url: &str) -> Result<u16, UrlError> {
    p.parse()
        .map_err(|_| UrlError(format!("{url}: bad port {p:?}")))
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// Resolves an SDP `a=control` value against the presentation base URL
/// (`Content-Base`, else `Content-Location`, else the DESCRIBE URL).
///
/// An absolute control URL is used as is, `*` or an empty value means the
/// base itself, and a relative one is appended to the base with one `/`
/// between them, which is what servers (live555, gst-rtsp-server, ours) mean
/// and what clients (ffmpeg, GStreamer) do.
pub fn resolve_control(base: &str, control: &str) -> String {
    let control = control.trim();
    if strip_prefix_ci(control, "rtsp://").is_some()
        || strip_prefix_ci(control, "rtsps://").is_some()
    {
        return control.to_owned();
    }
    if control.is_empty() || control == "*" {
        return base.to_owned();
    }
    let mut out = base.to_owned();
    if !out.ends_with('/') {
        out.push('/');
    }
    out.push_str(control.trim_start_matches('/'));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_host_port_and_credentials() {
        let u = RtspUrl::parse("rtsp://admin:secret@127.0.0.1:8554/movie.mp4").expect("url");
        assert_eq!(u.host, "127.0.0.1");
        assert_eq!(u.port, 8554);
        assert_eq!(u.user.as_deref(), Some("admin"));
        assert_eq!(u.password.as_deref(), Some("secret"));
        assert_eq!(u.path, "/movie.mp4");
        assert_eq!(u.without_credentials(), "rtsp://127.0.0.1:8554/movie.mp4");
    }

    #[test]
    fn default_port_and_ipv6() {
        let u = RtspUrl::parse("RTSP://[::1]/x").expect("url");
        assert_eq!((u.host.as_str(), u.port), ("::1", 554));
        assert_eq!(u.without_credentials(), "rtsp://[::1]:554/x");
        assert!(RtspUrl::parse("http://h/").is_err());
        assert!(RtspUrl::parse("rtsp://h:99999/").is_err());
    }

    #[test]
    fn resolves_controls() {
        let base = "rtsp://h:1/a.mp4/";
        assert_eq!(
            resolve_control(base, "trackID=0"),
            "rtsp://h:1/a.mp4/trackID=0"
        );
        assert_eq!(
            resolve_control("rtsp://h:1/a.mp4", "trackID=1"),
            "rtsp://h:1/a.mp4/trackID=1"
        );
        assert_eq!(resolve_control(base, "*"), base);
        assert_eq!(resolve_control(base, "rtsp://x/y"), "rtsp://x/y");
    }
}
