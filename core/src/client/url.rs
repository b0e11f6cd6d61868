//! Client-side URL work: the address of a stream's tracks from the
//! description's `a=control` and the reply's `Content-Base`, the `RTP-Info`
//! and `Session` headers of replies.
//!
//! Plain RFC 3986 resolution goes wrong on RTSP URLs with a query
//! (`rtsp://h/p?q=1/` + `trackID=0` would lose the path), so clients do
//! what ffmpeg or GStreamer do instead; both forms are offered.

use std::net::{IpAddr, SocketAddr};

/// How a relative track control is joined to the base URL.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ControlStyle {
    /// ffmpeg and VLC: append `/control` to the whole base, query included
    /// (`rtsp://h/p?q=1/trackID=0`).
    #[default]
    Append,
    /// GStreamer: put the control before the query
    /// (`rtsp://h/p/trackID=0?q=1`).
    BeforeQuery,
}

/// The URL of a control attribute relative to `base` (`Content-Base`,
/// else `Content-Location`, else the DESCRIBE URL). `*` or an empty control
/// means the base itself.
pub fn resolve_control(base: &str, control: &str, style: ControlStyle) -> String {
    let control = control.trim();
    if control.is_empty() || control == "*" {
        return base.to_owned();
    }
    if has_scheme(control) {
        return control.to_owned();
    }
    if control.starts_with('/') {
        return format!("{}{control}", origin(base));
    }
    match style {
        ControlStyle::Append => {
            if base.ends_with('/') {
                format!("{base}{control}")
            } else {
                format!("{base}/{control}")
            }
        }
        ControlStyle::BeforeQuery => match base.split_once('?') {
            Some((path, query)) => {
                let query = query.trim_end_matches('/');
                format!("{}/{control}?{query}", path.trim_end_matches('/'))
            }
            None => format!("{}/{control}", base.trim_end_matches('/')),
        },
    }
}

/// `true` for `rtsp://...` and other absolute URLs.
fn has_scheme(s: &str) -> bool {
    match s.split_once("://") {
        Some((scheme, _)) => {
            !scheme.is_empty()
                && scheme
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'-' || b == b'.')
        }
        None => false,
    }
}

/// `scheme://authority` of a URL (the whole string when it has no path).
fn origin(url: &str) -> &str {
    let Some(i) = url.find("://") else {
        return "";
    };
    let after = i + 3;
    match url[after..].find(['/', '?']) {
        Some(j) => &url[..after + j],
        None => url,
    }
}

/// The parts of an `rtsp://` URL a client needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UrlParts {
    /// The host as written (brackets removed from IPv6 literals).
    pub host: String,
    /// The port (554 when absent).
    pub port: u16,
    /// User name from `user:pass@`, if present (percent-encoded as written).
    pub username: Option<String>,
    /// Password from `user:pass@`, if present.
    pub password: Option<String>,
    /// The URL without the `user:pass@` part, which must not be sent.
    pub without_credentials: String,
}

impl UrlParts {
    /// The server address when the host is an IP literal.
    pub fn socket_addr(&self) -> Option<SocketAddr> {
        self.host
            .parse::<IpAddr>()
            .ok()
            .map(|ip| SocketAddr::new(ip, self.port))
    }
}

/// Splits an `rtsp://` (or `rtsps://`, `rtspt://`) URL; `None` when it is
/// not one.
pub fn parse_url(url: &str) -> Option<UrlParts> {
    let (scheme, rest) = url.split_once("://")?;
    let default_port = match scheme.to_ascii_lowercase().as_str() {
        "rtsp" | "rtspt" | "rtspu" => 554,
        "rtsps" => 322,
        _ => return None,
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
        let (h, after) = v6.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().ok()?,
            None if after.is_empty() => default_port,
            None => return None,
        };
        (h.to_owned(), port)
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) => (h.to_owned(), p.parse().ok()?),
            None => (hostport.to_owned(), default_port),
        }
    };
    if host.is_empty() {
        return None;
    }
    let (username, password) = match userinfo {
        Some(u) => match u.split_once(':') {
            Some((n, p)) => (Some(n.to_owned()), Some(p.to_owned())),
            None => (Some(u.to_owned()), None),
        },
        None => (None, None),
    };
    Some(UrlParts {
        host,
        port,
        username,
        password,
        without_credentials: format!("{scheme}://{hostport}{path}"),
    })
}

/// One entry of an `RTP-Info` header (RFC 2326 section 12.33).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RtpInfo {
    /// The stream URL the entry is about.
    pub url: String,
    /// The track (index into the description's media) it names, when known.
    pub track: Option<usize>,
    /// Sequence number of the first packet after PLAY.
    pub seq: Option<u16>,
    /// RTP timestamp matching the PLAY's range start.
    pub rtptime: Option<u32>,
}

/// Parses an `RTP-Info` value. Entries without a URL are skipped; `track`
/// is left for the caller to fill.
pub fn parse_rtp_info(value: &str) -> Vec<RtpInfo> {
    let mut out = Vec::new();
    for entry in value.split(',') {
        let mut info = RtpInfo::default();
        for param in entry.split(';') {
            let Some((k, v)) = param.split_once('=') else {
                continue;
            };
            let v = v.trim();
            match k.trim().to_ascii_lowercase().as_str() {
                "url" => info.url = v.trim_matches('"').to_owned(),
                "seq" => info.seq = v.parse().ok(),
                "rtptime" => info.rtptime = v.parse().ok(),
                _ => {}
            }
        }
        if !info.url.is_empty() {
            out.push(info);
        }
    }
    out
}

/// Which of `controls` (the resolved track URLs) an `RTP-Info` URL names:
/// equal, or equal once both lose a trailing `/`, or a relative URL that
/// ends the control URL.
pub fn match_track(url: &str, controls: &[(usize, &str)]) -> Option<usize> {
    let url = url.trim_end_matches('/');
    controls
        .iter()
        .find(|(_, c)| c.trim_end_matches('/') == url)
        .or_else(|| {
            controls
                .iter()
                .find(|(_, c)| !url.contains("://") && c.trim_end_matches('/').ends_with(url))
        })
        .map(|(i, _)| *i)
}

/// The id and timeout of a `Session: id;timeout=N` header.
pub fn parse_session(value: &str) -> Option<(String, Option<u64>)> {
    let mut parts = value.split(';');
    let id = parts.next()?.trim();
    if id.is_empty() {
        return None;
    }
    let timeout = parts.find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("timeout")
            .then(|| v.trim().parse().ok())?
    });
    Some((id.to_owned(), timeout))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_resolve_in_both_styles() {
        let a = ControlStyle::Append;
        let g = ControlStyle::BeforeQuery;
        assert_eq!(
            resolve_control("rtsp://h/p/", "trackID=0", a),
            "rtsp://h/p/trackID=0"
        );
        assert_eq!(
            resolve_control("rtsp://h/p", "trackID=0", a),
            "rtsp://h/p/trackID=0"
        );
        assert_eq!(
            resolve_control("rtsp://h/p?q=1/", "trackID=0", a),
            "rtsp://h/p?q=1/trackID=0"
        );
        assert_eq!(
            resolve_control("rtsp://h/p?q=1/", "trackID=0", g),
            "rtsp://h/p/trackID=0?q=1"
        );
        assert_eq!(
            resolve_control("rtsp://h/p/", "trackID=0", g),
            "rtsp://h/p/trackID=0"
        );
        assert_eq!(resolve_control("rtsp://h/p/", "*", a), "rtsp://h/p/");
        assert_eq!(resolve_control("rtsp://h/p/", "", a), "rtsp://h/p/");
        assert_eq!(
            resolve_control("rtsp://h/p/", "rtsp://o/x/t1", a),
            "rtsp://o/x/t1"
        );
        assert_eq!(
            resolve_control("rtsp://h:554/p/", "/other/t1", a),
            "rtsp://h:554/other/t1"
        );
        assert_eq!(
            resolve_control("rtsp://h/test.mp4&ve=H264/", "trackID=1", a),
            "rtsp://h/test.mp4&ve=H264/trackID=1"
        );
        // Resolved URLs reach the same track on our server, whatever the style.
        for style in [a, g] {
            let u = resolve_control("rtsp://h/p?q=1/", "trackID=3", style);
            let t = crate::rtsp::url::parse_target(&u).unwrap();
            assert_eq!((t.stream.as_str(), t.track), ("p", Some(3)));
        }
    }

    #[test]
    fn urls_split() {
        let u = parse_url("rtsp://admin:secret@10.0.0.1:8554/live?x=1").unwrap();
        assert_eq!(u.host, "10.0.0.1");
        assert_eq!(u.port, 8554);
        assert_eq!(u.username.as_deref(), Some("admin"));
        assert_eq!(u.password.as_deref(), Some("secret"));
        assert_eq!(u.without_credentials, "rtsp://10.0.0.1:8554/live?x=1");
        assert_eq!(u.socket_addr(), Some("10.0.0.1:8554".parse().unwrap()));
        let u = parse_url("rtsp://[::1]/s").unwrap();
        assert_eq!((u.host.as_str(), u.port), ("::1", 554));
        let u = parse_url("rtsp://camera.local").unwrap();
        assert_eq!(u.socket_addr(), None);
        assert!(parse_url("http://h/").is_none());
        assert!(parse_url("rtsp://:80/").is_none());
        assert!(parse_url("rtsp://h:port/").is_none());
    }

    #[test]
    fn rtp_info_and_session() {
        let v = "url=rtsp://h/p/trackID=0;seq=17;rtptime=900, url=trackID=1;seq=3;rtptime=8";
        let infos = parse_rtp_info(v);
        assert_eq!(infos.len(), 2);
        assert_eq!((infos[0].seq, infos[0].rtptime), (Some(17), Some(900)));
        let controls = [(0, "rtsp://h/p/trackID=0"), (1, "rtsp://h/p/trackID=1")];
        assert_eq!(match_track(&infos[0].url, &controls), Some(0));
        assert_eq!(match_track(&infos[1].url, &controls), Some(1));
        assert_eq!(match_track("rtsp://x/y", &controls), None);
        assert_eq!(parse_rtp_info("seq=1"), Vec::new());
        assert_eq!(
            parse_session("ABC;timeout=60"),
            Some(("ABC".into(), Some(60)))
        );
        assert_eq!(parse_session(" ABC "), Some(("ABC".into(), None)));
        assert_eq!(parse_session(";timeout=5"), None);
    }
}
