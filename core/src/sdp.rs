//! Session descriptions (RFC 4566) for DESCRIBE replies.

use std::fmt::Write;
use std::net::IpAddr;
use std::time::Duration;

use crate::rtp::SdpMedia;
use crate::rtsp::range::format_npt;

/// One media section of a description.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MediaSection {
    /// Codec attributes from the packetizer.
    pub media: SdpMedia,
    /// The `a=control:` value (relative to Content-Base).
    pub control: String,
    /// Direction attribute: `recvonly` for what the server sends (ONVIF
    /// wording, from the client's point of view), `sendonly` for a back channel.
    pub direction: &'static str,
}

/// A whole session description.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionDescription {
    /// Origin session id (stable per source).
    pub session_id: u64,
    /// Address of the server as the client reached it.
    pub origin: IpAddr,
    /// Session name (`s=`).
    pub name: String,
    /// `Some(d)` for a file of known duration, `None` for a live source.
    pub duration: Option<Duration>,
    /// Media sections in track order.
    pub media: Vec<MediaSection>,
}

impl SessionDescription {
    /// Renders the description with CRLF line endings.
    pub fn render(&self) -> String {
        let ip_kind = if self.origin.is_ipv6() { "IP6" } else { "IP4" };
        let any = if self.origin.is_ipv6() {
            "::"
        } else {
            "0.0.0.0"
        };
        let mut s = String::new();
        let _ = write!(
            s,
            "v=0\r\no=- {id} 1 IN {ip_kind} {origin}\r\ns={name}\r\nc=IN {ip_kind} {any}\r\nt=0 0\r\na=tool:onvif-rtsp-server\r\na=control:*\r\n",
            id = self.session_id,
            origin = self.origin,
            name = if self.name.is_empty() {
                "Stream"
            } else {
                &self.name
            },
        );
        match self.duration {
            Some(d) => {
                let _ = write!(s, "a=range:npt=0-{}\r\n", format_npt(d));
            }
            None => s.push_str("a=range:npt=now-\r\n"),
        }
        for m in &self.media {
            let pt = m.media.payload_type;
            let _ = write!(
                s,
                "m={} 0 RTP/AVP {pt}\r\na=rtpmap:{pt} {}\r\n",
                m.media.media, m.media.rtpmap
            );
            if let Some(fmtp) = &m.media.fmtp {
                let _ = write!(s, "a=fmtp:{pt} {fmtp}\r\n");
            }
            for extra in &m.media.extra {
                let _ = write!(s, "a={extra}\r\n");
            }
            let _ = write!(s, "a=control:{}\r\na={}\r\n", m.control, m.direction);
        }
        s
    }
}
