//! What the load generator needs from a DESCRIBE reply's SDP: the session
//! and per-media `a=control` values and each media's kind and codec.

/// One `m=` section.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SdpMedia {
    /// The media kind of the `m=` line: `video`, `audio`, `application`.
    pub kind: String,
    /// The `a=control` value, if any.
    pub control: Option<String>,
    /// Encoding name of the first `a=rtpmap`, e.g. `H264`, `MPEG4-GENERIC`.
    pub encoding: Option<String>,
}

/// The parts of a session description a reader uses.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SdpInfo {
    /// Session-level `a=control` (aggregate control URL), if any.
    pub control: Option<String>,
    /// Media sections in order.
    pub media: Vec<SdpMedia>,
}

impl SdpInfo {
    /// Parses an SDP body leniently: unknown lines are skipped, LF or CRLF
    /// line endings are accepted, and nothing here can fail.
    pub fn parse(text: &str) -> SdpInfo {
        let mut info = SdpInfo::default();
        for line in text.lines() {
            let line = line.trim_end_matches('\r');
            if let Some(m) = line.strip_prefix("m=") {
                info.media.push(SdpMedia {
                    kind: m.split(' ').next().unwrap_or_default().to_owned(),
                    ..SdpMedia::default()
                });
            } else if let Some(c) = line.strip_prefix("a=control:") {
                let c = Some(c.trim().to_owned());
                match info.media.last_mut() {
                    Some(m) => m.control = c,
                    None => info.control = c,
                }
            } else if let Some(r) = line.strip_prefix("a=rtpmap:") {
                if let Some(m) = info.media.last_mut()
                    && m.encoding.is_none()
                {
                    // `a=rtpmap:96 H264/90000`
                    let enc = r.split_once(' ').map(|(_, e)| e).unwrap_or_default();
                    m.encoding = Some(enc.split('/').next().unwrap_or_default().to_owned());
                }
            }
        }
        info
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_controls_and_codecs() {
        let sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=x\r\nt=0 0\r\na=control:*\r\n\
                   m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=control:trackID=0\r\n\
                   m=audio 0 RTP/AVP 97\r\na=rtpmap:97 MPEG4-GENERIC/48000/2\r\na=control:trackID=1\r\n";
        let info = SdpInfo::parse(sdp);
        assert_eq!(info.control.as_deref(), Some("*"));
        assert_eq!(info.media.len(), 2);
        assert_eq!(info.media[0].kind, "video");
        assert_eq!(info.media[0].control.as_deref(), Some("trackID=0"));
        assert_eq!(info.media[0].encoding.as_deref(), Some("H264"));
        assert_eq!(info.media[1].encoding.as_deref(), Some("MPEG4-GENERIC"));
    }

    #[test]
    fn tolerates_garbage() {
        let info = SdpInfo::parse("a=rtpmap:\nm=\n\u{0}\na=control:");
        assert_eq!(info.media.len(), 1);
        assert_eq!(info.media[0].control.as_deref(), Some(""));
    }
}
