//! The `Transport` header (RFC 2326 section 12.39), typed.
//!
//! Clients disagree on its form: parameters come in any order, the profile may
//! be `RTP/AVP`, `RTP/AVP/UDP` or `RTP/AVP/TCP`, `client_port` may be a single
//! port, TCP may come without `interleaved=`, and `mode` may be quoted and in
//! any case. A request may offer several transports separated by commas; the
//! server takes the first it supports.

use std::net::IpAddr;

/// Lower transport of an RTP transport spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LowerTransport {
    /// RTP over UDP.
    Udp,
    /// RTP interleaved in the RTSP TCP connection.
    Tcp,
}

/// One transport spec of a `Transport` header.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TransportSpec {
    /// `RTP/AVP/TCP` gives `Some(Tcp)`; `RTP/AVP` and `RTP/AVP/UDP` give `Some(Udp)`;
    /// any other profile gives `None` (unsupported).
    pub lower: Option<LowerTransport>,
    /// The profile text, e.g. `RTP/AVP`, `RTP/SAVP`.
    pub profile: String,
    /// `multicast` was given (default unicast).
    pub multicast: bool,
    /// `client_port=a-b` or `client_port=a`.
    pub client_port: Option<(u16, Option<u16>)>,
    /// `server_port=a-b`.
    pub server_port: Option<(u16, Option<u16>)>,
    /// `interleaved=a-b` or `interleaved=a`.
    pub interleaved: Option<(u8, Option<u8>)>,
    /// `port=a-b` (multicast).
    pub port: Option<(u16, Option<u16>)>,
    /// `destination=addr`.
    pub destination: Option<IpAddr>,
    /// `source=addr`.
    pub source: Option<IpAddr>,
    /// `ttl=n`.
    pub ttl: Option<u8>,
    /// `ssrc=hex`.
    pub ssrc: Option<u32>,
    /// `mode=...`, upper-cased, quotes removed.
    pub mode: Option<String>,
}

impl TransportSpec {
    /// Whether the mode allows PLAY (no mode means PLAY).
    pub fn is_play(&self) -> bool {
        self.mode.as_deref().is_none_or(|m| m == "PLAY")
    }

    /// Serializes the spec as a server reply would.
    pub fn to_header_value(&self) -> String {
        let mut s = match self.lower {
            Some(LowerTransport::Tcp) => String::from("RTP/AVP/TCP"),
            _ => String::from("RTP/AVP"),
        };
        s.push_str(if self.multicast {
            ";multicast"
        } else {
            ";unicast"
        });
        if let Some(d) = self.destination {
            s.push_str(&format!(";destination={d}"));
        }
        if let Some(d) = self.source {
            s.push_str(&format!(";source={d}"));
        }
        push_pair(&mut s, "client_port", self.client_port);
        push_pair(&mut s, "server_port", self.server_port);
        push_pair(&mut s, "port", self.port);
        push_pair(&mut s, "interleaved", self.interleaved);
        if let Some(ttl) = self.ttl {
            s.push_str(&format!(";ttl={ttl}"));
        }
        if let Some(ssrc) = self.ssrc {
            s.push_str(&format!(";ssrc={ssrc:08X}"));
        }
        if let Some(mode) = &self.mode {
            s.push_str(&format!(";mode=\"{mode}\""));
        }
        s
    }
}

fn push_pair<T: std::fmt::Display>(s: &mut String, name: &str, pair: Option<(T, Option<T>)>) {
    match pair {
        Some((a, Some(b))) => s.push_str(&format!(";{name}={a}-{b}")),
        Some((a, None)) => s.push_str(&format!(";{name}={a}")),
        None => {}
    }
}

/// Why a `Transport` header could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransportError(pub String);

impl std::fmt::Display for TransportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "bad Transport header: {}", self.0)
    }
}

impl std::error::Error for TransportError {}

/// Parses every comma-separated spec of a `Transport` header value.
pub fn parse_transports(value: &str) -> Result<Vec<TransportSpec>, TransportError> {
    let specs: Vec<_> = value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(parse_spec)
        .collect::<Result<_, _>>()?;
    if specs.is_empty() {
        return Err(TransportError("empty".into()));
    }
    Ok(specs)
}

fn parse_spec(text: &str) -> Result<TransportSpec, TransportError> {
    let mut params = text.split(';').map(str::trim);
    let profile = params.next().unwrap_or_default();
    let upper = profile.to_ascii_uppercase();
    let lower = match upper.as_str() {
        "RTP/AVP" | "RTP/AVP/UDP" => Some(LowerTransport::Udp),
        "RTP/AVP/TCP" => Some(LowerTransport::Tcp),
        _ => None,
    };
    let mut spec = TransportSpec {
        lower,
        profile: profile.to_owned(),
        ..TransportSpec::default()
    };
    for param in params.filter(|p| !p.is_empty()) {
        let (name, value) = match param.split_once('=') {
            Some((n, v)) => (n.trim(), Some(v.trim().trim_matches('"'))),
            None => (param, None),
        };
        let bad = || TransportError(format!("bad value in {param:?}"));
        match (name.to_ascii_lowercase().as_str(), value) {
            ("unicast", None) => spec.multicast = false,
            ("multicast", None) => spec.multicast = true,
            ("client_port", Some(v)) => spec.client_port = Some(parse_range(v).ok_or_else(bad)?),
            ("server_port", Some(v)) => spec.server_port = Some(parse_range(v).ok_or_else(bad)?),
            ("port", Some(v)) => spec.port = Some(parse_range(v).ok_or_else(bad)?),
            ("interleaved", Some(v)) => spec.interleaved = Some(parse_range(v).ok_or_else(bad)?),
            ("destination", Some(v)) => spec.destination = v.parse().ok(),
            ("source", Some(v)) => spec.source = v.parse().ok(),
            ("ttl", Some(v)) => spec.ttl = Some(v.parse().map_err(|_| bad())?),
            ("ssrc", Some(v)) => spec.ssrc = u32::from_str_radix(v, 16).ok(),
            ("mode", Some(v)) => spec.mode = Some(v.to_ascii_uppercase()),
            // append, layers, and extensions we do not act on.
            _ => {}
        }
    }
    Ok(spec)
}

fn parse_range<T: std::str::FromStr>(v: &str) -> Option<(T, Option<T>)> {
    match v.split_once('-') {
        Some((a, b)) => Some((a.trim().parse().ok()?, Some(b.trim().parse().ok()?))),
        None => Some((v.trim().parse().ok()?, None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_forms() {
        // ffmpeg UDP
        let t = &parse_transports("RTP/AVP/UDP;unicast;client_port=5000-5001").unwrap()[0];
        assert_eq!(t.lower, Some(LowerTransport::Udp));
        assert_eq!(t.client_port, Some((5000, Some(5001))));
        // GStreamer TCP with several offers
        let ts = parse_transports(
            "RTP/AVP/TCP;unicast;interleaved=0-1, RTP/AVP;unicast;client_port=1-2",
        )
        .unwrap();
        assert_eq!(ts.len(), 2);
        assert_eq!(ts[0].interleaved, Some((0, Some(1))));
        // VLC style, mode quoted, single port, parameter order shuffled
        let t = &parse_transports("RTP/AVP;client_port=6000;mode=\"PLAY\";unicast").unwrap()[0];
        assert_eq!(t.client_port, Some((6000, None)));
        assert!(t.is_play());
        // TCP without interleaved
        let t = &parse_transports("RTP/AVP/TCP;unicast").unwrap()[0];
        assert_eq!(t.interleaved, None);
        // record mode, lowercase
        let t = &parse_transports("RTP/AVP/TCP;unicast;mode=record").unwrap()[0];
        assert!(!t.is_play());
        // unknown profile is kept but has no lower transport
        let t = &parse_transports("RTP/SAVP;unicast").unwrap()[0];
        assert_eq!(t.lower, None);
    }

    #[test]
    fn bad_values_are_errors() {
        assert!(parse_transports("").is_err());
        assert!(parse_transports("RTP/AVP;client_port=abc").is_err());
        assert!(parse_transports("RTP/AVP/TCP;interleaved=0-999").is_err());
    }

    #[test]
    fn reply_serialization() {
        let t = TransportSpec {
            lower: Some(LowerTransport::Tcp),
            interleaved: Some((2, Some(3))),
            ssrc: Some(0xAB),
            mode: Some("PLAY".into()),
            ..TransportSpec::default()
        };
        assert_eq!(
            t.to_header_value(),
            "RTP/AVP/TCP;unicast;interleaved=2-3;ssrc=000000AB;mode=\"PLAY\""
        );
    }
}
