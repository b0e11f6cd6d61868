//! Request-URI to stream name, parameters and track control.
//!
//! Clients build track URLs differently: ffmpeg appends the control after
//! the query (`/p?q=1/trackID=0`), GStreamer puts it before (`/p/trackID=0?q=1`),
//! VLC and live555 follow Content-Base. Happytime's stream parameters use `&`
//! without `?` (`/test.mp4&ve=H264&w=640`). All forms map to the same target.

/// Prefix of our per-track control attribute (`a=control:trackID=N`).
pub const TRACK_CONTROL_PREFIX: &str = "trackID=";

/// What a request addresses.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestTarget {
    /// The stream name, percent-decoded, without leading or trailing `/`
    /// (`test.mp4`, `sub/dir/movie.mkv`, `videodevice=My Cam`).
    pub stream: String,
    /// Stream parameters in order (`ve`, `w`, ... and any `?query` pairs).
    pub params: Vec<(String, String)>,
    /// The track index when the URL names one (`trackID=N`).
    pub track: Option<usize>,
}

impl RequestTarget {
    /// The value of parameter `name` (case-insensitive name), last one wins.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .rev()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Why a Request-URI is unusable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UrlError(pub &'static str);

/// Parses an absolute `rtsp://` (or `rtsps://`, `http://`) URI or an
/// absolute path.
pub fn parse_target(uri: &str) -> Result<RequestTarget, UrlError> {
    let path = strip_scheme_and_authority(uri)?;
    let (mut path, mut tail) = match path.find(['?', '&']) {
        Some(i) => (&path[..i], &path[i..]),
        None => (path, ""),
    };
    let mut track = None;
    // Control after the query (ffmpeg): ".../p?x=1/trackID=0".
    if let Some((rest, n)) = split_control(tail) {
        tail = rest;
        track = Some(n);
    }
    // Control before the query or with no query (GStreamer, VLC).
    if track.is_none() {
        if let Some((rest, n)) = split_control(path) {
            path = rest;
            track = Some(n);
        }
    }
    let stream = percent_decode(path.trim_matches('/'))?;
    if stream.split('/').any(|seg| seg == "..") {
        return Err(UrlError("path traversal"));
    }
    let params = tail
        .split(['?', '&'])
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((n, v)) => Ok((percent_decode(n)?, percent_decode(v.trim_end_matches('/'))?)),
            None => Ok((percent_decode(p.trim_end_matches('/'))?, String::new())),
        })
        .collect::<Result<_, _>>()?;
    Ok(RequestTarget {
        stream,
        params,
        track,
    })
}

/// Splits a trailing `/trackID=N` (optionally followed by `/`).
fn split_control(s: &str) -> Option<(&str, usize)> {
    let trimmed = s.strip_suffix('/').unwrap_or(s);
    let slash = trimmed.rfind('/')?;
    let n = trimmed[slash + 1..].strip_prefix(TRACK_CONTROL_PREFIX)?;
    if n.is_empty() || n.len() > 3 || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((&trimmed[..slash], n.parse().ok()?))
}

fn strip_scheme_and_authority(uri: &str) -> Result<&str, UrlError> {
    if uri.starts_with('/') {
        return Ok(uri);
    }
    let Some((scheme, rest)) = uri.split_once("://") else {
        return Err(UrlError("not an absolute URL"));
    };
    if !matches!(
        scheme.to_ascii_lowercase().as_str(),
        "rtsp" | "rtsps" | "rtspt" | "rtspu" | "http" | "https"
    ) {
        return Err(UrlError("unsupported scheme"));
    }
    Ok(match rest.find('/') {
        Some(i) => &rest[i..],
        None => match rest.find(['?', '&']) {
            Some(i) => &rest[i..],
            None => "",
        },
    })
}

/// Decodes `%XX` escapes; invalid escapes or non-UTF-8 results are errors.
pub fn percent_decode(s: &str) -> Result<String, UrlError> {
    if !s.contains('%') {
        return Ok(s.to_owned());
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .ok_or(UrlError("bad percent escape"))?;
            let hex = std::str::from_utf8(hex).map_err(|_| UrlError("bad percent escape"))?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| UrlError("bad percent escape"))?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| UrlError("escape is not UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(uri: &str) -> RequestTarget {
        parse_target(uri).unwrap()
    }

    #[test]
    fn plain_and_trailing_slash() {
        assert_eq!(t("rtsp://h:8554/test.mp4").stream, "test.mp4");
        assert_eq!(t("rtsp://h:8554/test.mp4/").stream, "test.mp4");
        assert_eq!(t("rtsp://h:8554").stream, "");
        assert_eq!(t("/dir/a.mkv").stream, "dir/a.mkv");
    }

    #[test]
    fn control_placements() {
        let ffmpeg = t("rtsp://h/p?x=1/trackID=1");
        assert_eq!((ffmpeg.stream.as_str(), ffmpeg.track), ("p", Some(1)));
        assert_eq!(ffmpeg.param("x"), Some("1"));
        let gst = t("rtsp://h/p/trackID=0?x=1");
        assert_eq!((gst.stream.as_str(), gst.track), ("p", Some(0)));
        assert_eq!(gst.param("x"), Some("1"));
        let plain = t("rtsp://h/p/trackID=2");
        assert_eq!((plain.stream.as_str(), plain.track), ("p", Some(2)));
        let no_track = t("rtsp://h/p");
        assert_eq!(no_track.track, None);
    }

    #[test]
    fn happytime_params() {
        let x = t(
            "rtsp://127.0.0.1/test.mp4&t=unicast&p=udp&ve=H264&w=1280&h=720&ae=PCMU&sr=8000/trackID=0",
        );
        assert_eq!(x.stream, "test.mp4");
        assert_eq!(x.param("ve"), Some("H264"));
        assert_eq!(x.param("W"), Some("1280"));
        assert_eq!(x.param("sr"), Some("8000"));
        assert_eq!(x.track, Some(0));
        let y = t("rtsp://h/test.mp4&ve=H265&w=640&h=360/");
        assert_eq!(y.param("h"), Some("360"));
    }

    #[test]
    fn decoding_and_rejections() {
        assert_eq!(t("rtsp://h/window=My%20App").stream, "window=My App");
        assert!(parse_target("rtsp://h/../etc/passwd").is_err());
        assert!(parse_target("rtsp://h/a/%2e%2e/b").is_err());
        assert!(parse_target("rtsp://h/%zz").is_err());
        assert!(parse_target("ftp://h/x").is_err());
        assert!(parse_target("nonsense").is_err());
    }
}
