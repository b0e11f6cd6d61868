//! Reading the session descriptions (RFC 4566) that servers answer
//! DESCRIBE with: enough to set up and depacketize each stream.
//!
//! Only what a receiver needs is kept: the session name, control and range,
//! and per media section its first payload format with `rtpmap`, `fmtp`,
//! `control` and direction. Unknown lines are skipped; malformed values make
//! the media section's codec unknown instead of failing the description, as
//! real servers write many small deviations.

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use bytes::Bytes;

use crate::media::{AudioCodec, Codec, TrackInfo, VideoCodec};

/// Base64 that accepts parameter sets with or without `=` padding (both are
/// seen in `sprop-parameter-sets`).
const LENIENT_BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// A parsed session description.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SdpSession {
    /// `s=`: the session name.
    pub name: String,
    /// Session-level `a=control:` (`*` or a URL), if any.
    pub control: Option<String>,
    /// Session-level `a=range:` value (`npt=0-12.5`, `npt=now-`), if any.
    pub range: Option<String>,
    /// The media sections, in order; a track index is a position here.
    pub media: Vec<SdpMedia>,
}

/// One `m=` section.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SdpMedia {
    /// `video`, `audio`, `application`, ...
    pub kind: String,
    /// The transport protocol (`RTP/AVP`).
    pub protocol: String,
    /// The first payload type listed (the one a receiver decodes).
    pub payload_type: Option<u8>,
    /// The encoding name of that payload type from `a=rtpmap` (`H264`).
    pub encoding: Option<String>,
    /// Its RTP clock rate from `a=rtpmap`, or the static payload type's.
    pub clock_rate: Option<u32>,
    /// Its channel count from `a=rtpmap`, when given.
    pub channels: Option<u8>,
    /// Its `a=fmtp` parameters, in order, names as written.
    pub fmtp: Vec<(String, String)>,
    /// `a=control:` of the section.
    pub control: Option<String>,
    /// `sendonly`, `recvonly`, `sendrecv` or `inactive`, when given.
    pub direction: Option<String>,
}

/// Why a description could not be read at all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SdpError(pub String);

impl std::fmt::Display for SdpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "bad session description: {}", self.0)
    }
}

impl std::error::Error for SdpError {}

/// Parses a session description. Fails only when there is no `m=` line;
/// everything else is read leniently.
pub fn parse_sdp(text: &str) -> Result<SdpSession, SdpError> {
    let mut session = SdpSession::default();
    for raw in text.lines() {
        let line = raw.trim_end_matches('\r').trim();
        let Some((kind, value)) = line.split_once('=') else {
            continue;
        };
        let value = value.trim();
        match kind {
            "s" if session.media.is_empty() => session.name = value.to_owned(),
            "m" => session.media.push(parse_media_line(value)),
            "a" => {
                let (name, arg) = match value.split_once(':') {
                    Some((n, a)) => (n.trim(), Some(a.trim())),
                    None => (value, None),
                };
                match session.media.last_mut() {
                    None => match (name, arg) {
                        ("control", Some(a)) => session.control = Some(a.to_owned()),
                        ("range", Some(a)) => session.range = Some(a.to_owned()),
                        _ => {}
                    },
                    Some(m) => m.apply_attribute(name, arg),
                }
            }
            _ => {}
        }
    }
    if session.media.is_empty() {
        return Err(SdpError("no media section".into()));
    }
    for m in &mut session.media {
        if m.clock_rate.is_none() {
            m.clock_rate = m.payload_type.and_then(static_clock_rate);
        }
    }
    Ok(session)
}

/// `m=<media> <port>[/<n>] <proto> <fmt> ...`
fn parse_media_line(value: &str) -> SdpMedia {
    let mut fields = value.split_ascii_whitespace();
    let kind = fields.next().unwrap_or_default().to_owned();
    let _port = fields.next();
    let protocol = fields.next().unwrap_or_default().to_owned();
    let payload_type = fields
        .next()
        .and_then(|f| f.parse::<u8>().ok())
        .filter(|pt| *pt < 128);
    SdpMedia {
        kind,
        protocol,
        payload_type,
        ..SdpMedia::default()
    }
}

/// RTP clock rates of the static payload types a receiver may meet (RFC 3551).
fn static_clock_rate(pt: u8) -> Option<u32> {
    match pt {
        0 | 3..=5 | 7 | 8 | 9 | 12 | 13 | 15 | 18 => Some(8000),
        14 | 25 | 26 | 28 | 31..=34 => Some(90_000),
        _ => None,
    }
}

impl SdpMedia {
    fn apply_attribute(&mut self, name: &str, arg: Option<&str>) {
        match (name, arg) {
            ("control", Some(a)) => self.control = Some(a.to_owned()),
            ("rtpmap", Some(a)) => {
                let Some((pt, rest)) = a.split_once(char::is_whitespace) else {
                    return;
                };
                if pt.trim().parse::<u8>().ok() != self.payload_type {
                    return;
                }
                let mut parts = rest.trim().split('/');
                self.encoding = parts
                    .next()
                    .map(|e| e.trim().to_owned())
                    .filter(|e| !e.is_empty());
                self.clock_rate = parts.next().and_then(|c| c.trim().parse().ok());
                self.channels = parts.next().and_then(|c| c.trim().parse().ok());
            }
            ("fmtp", Some(a)) => {
                let Some((pt, rest)) = a.split_once(char::is_whitespace) else {
                    return;
                };
                if pt.trim().parse::<u8>().ok() != self.payload_type {
                    return;
                }
                self.fmtp = rest
                    .split(';')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(|p| match p.split_once('=') {
                        Some((k, v)) => (k.trim().to_owned(), v.trim().to_owned()),
                        None => (p.to_owned(), String::new()),
                    })
                    .collect();
            }
            ("sendonly" | "recvonly" | "sendrecv" | "inactive", None) => {
                self.direction = Some(name.to_owned());
            }
            _ => {}
        }
    }

    /// The value of an `fmtp` parameter (name compared case-insensitively).
    pub fn fmtp_param(&self, name: &str) -> Option<&str> {
        self.fmtp
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The codec of the section when this crate can depacketize it.
    pub fn codec(&self) -> Option<Codec> {
        let Some(encoding) = &self.encoding else {
            return match self.payload_type? {
                0 => Some(Codec::Audio(AudioCodec::Pcmu)),
                8 => Some(Codec::Audio(AudioCodec::Pcma)),
                9 => Some(Codec::Audio(AudioCodec::G722)),
                26 => Some(Codec::Video(VideoCodec::Jpeg)),
                _ => None,
            };
        };
        Some(match encoding.to_ascii_uppercase().as_str() {
            "H264" => Codec::Video(VideoCodec::H264),
            "H265" | "HEVC" => Codec::Video(VideoCodec::H265),
            "JPEG" => Codec::Video(VideoCodec::Jpeg),
            "MP4V-ES" => Codec::Video(VideoCodec::Mpeg4),
            "MPEG4-GENERIC" => {
                // Only the AAC-hbr mode of RFC 3640 is depacketized.
                let mode = self.fmtp_param("mode").unwrap_or_default();
                if !mode.eq_ignore_ascii_case("AAC-hbr") {
                    return None;
                }
                Codec::Audio(AudioCodec::Aac)
            }
            "PCMU" => Codec::Audio(AudioCodec::Pcmu),
            "PCMA" => Codec::Audio(AudioCodec::Pcma),
            "G722" => Codec::Audio(AudioCodec::G722),
            "G726-16" => Codec::Audio(AudioCodec::G726 { kbps: 16 }),
            "G726-24" => Codec::Audio(AudioCodec::G726 { kbps: 24 }),
            "G726-32" => Codec::Audio(AudioCodec::G726 { kbps: 32 }),
            "G726-40" => Codec::Audio(AudioCodec::G726 { kbps: 40 }),
            "OPUS" => Codec::Audio(AudioCodec::Opus),
            _ => return None,
        })
    }

    /// H.264 (`sprop-parameter-sets`) or H.265 (`sprop-vps`, `sprop-sps`,
    /// `sprop-pps`) parameter sets as raw NAL units, in that order. Values
    /// that are not base64 are skipped.
    pub fn parameter_sets(&self) -> Vec<Bytes> {
        let values: Vec<&str> = match self.codec() {
            Some(Codec::Video(VideoCodec::H264)) => self
                .fmtp_param("sprop-parameter-sets")
                .map(|v| v.split(',').collect())
                .unwrap_or_default(),
            Some(Codec::Video(VideoCodec::H265)) => ["sprop-vps", "sprop-sps", "sprop-pps"]
                .iter()
                .filter_map(|k| self.fmtp_param(k))
                .flat_map(|v| v.split(','))
                .collect(),
            _ => Vec::new(),
        };
        values
            .into_iter()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .filter_map(|v| LENIENT_BASE64.decode(v).ok())
            .filter(|nal| !nal.is_empty())
            .map(Bytes::from)
            .collect()
    }

    /// The section as a track description the depacketizers understand;
    /// `None` when the codec is not supported.
    ///
    /// `config` holds what [`TrackInfo::config`] documents: the AAC
    /// AudioSpecificConfig or MPEG-4 visual configuration (`config=` in hex),
    /// and for H.264/H.265 the parameter sets as an Annex B stream.
    pub fn track_info(&self) -> Option<TrackInfo> {
        let codec = self.codec()?;
        let clock_rate = self.clock_rate.unwrap_or(match codec {
            Codec::Video(_) => 90_000,
            Codec::Audio(AudioCodec::Opus) => 48_000,
            Codec::Audio(_) => 8000,
        });
        let config = match codec {
            Codec::Video(VideoCodec::H264 | VideoCodec::H265) => {
                let mut annex_b = Vec::new();
                for nal in self.parameter_sets() {
                    annex_b.extend_from_slice(&[0, 0, 0, 1]);
                    annex_b.extend_from_slice(&nal);
                }
                Bytes::from(annex_b)
            }
            Codec::Video(VideoCodec::Mpeg4) | Codec::Audio(AudioCodec::Aac) => self
                .fmtp_param("config")
                .and_then(decode_hex)
                .map(Bytes::from)
                .unwrap_or_default(),
            _ => Bytes::new(),
        };
        let (sample_rate, channels) = match codec {
            Codec::Video(_) => (0, 0),
            // G.722 samples at 16 kHz behind an 8 kHz RTP clock (RFC 3551 4.5.2).
            Codec::Audio(AudioCodec::G722) => (16_000, self.channels.unwrap_or(1)),
            Codec::Audio(_) => (clock_rate, self.channels.unwrap_or(1)),
        };
        Some(TrackInfo {
            codec,
            clock_rate,
            sample_rate,
            channels,
            width: 0,
            height: 0,
            config,
        })
    }
}

/// Decodes a hex string (either case); `None` for odd lengths or non-hex digits.
fn decode_hex(s: &str) -> Option<Vec<u8>> {
    let s = s.trim();
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What our server answers for a file with H.264 and AAC.
    const OURS: &str = "v=0\r\no=- 42 1 IN IP4 10.0.0.1\r\ns=movie.mp4\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n\
        a=tool:onvif-rtsp-server\r\na=control:*\r\na=range:npt=0-12.500\r\n\
        m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n\
        a=fmtp:96 packetization-mode=1;profile-level-id=42c01f;sprop-parameter-sets=Z0LAH9oCgPZA,aM48gA==\r\n\
        a=control:trackID=0\r\na=recvonly\r\n\
        m=audio 0 RTP/AVP 97\r\na=rtpmap:97 MPEG4-GENERIC/16000/1\r\n\
        a=fmtp:97 streamtype=5;profile-level-id=1;mode=AAC-hbr;sizelength=13;indexlength=3;indexdeltalength=3;config=1408\r\n\
        a=control:trackID=1\r\na=recvonly\r\n";

    #[test]
    fn reads_our_own_description() {
        let s = parse_sdp(OURS).unwrap();
        assert_eq!(s.name, "movie.mp4");
        assert_eq!(s.control.as_deref(), Some("*"));
        assert_eq!(s.range.as_deref(), Some("npt=0-12.500"));
        assert_eq!(s.media.len(), 2);
        let v = &s.media[0];
        assert_eq!(
            (v.kind.as_str(), v.payload_type, v.clock_rate),
            ("video", Some(96), Some(90_000))
        );
        assert_eq!(v.control.as_deref(), Some("trackID=0"));
        assert_eq!(v.direction.as_deref(), Some("recvonly"));
        assert_eq!(v.codec(), Some(Codec::Video(VideoCodec::H264)));
        let sets = v.parameter_sets();
        assert_eq!(sets.len(), 2);
        assert_eq!(sets[0][..4], [0x67, 0x42, 0xc0, 0x1f]);
        // The second set had padding, the first did not.
        assert_eq!(sets[1][..], [0x68, 0xce, 0x3c, 0x80]);
        let info = v.track_info().unwrap();
        assert_eq!(info.config[..5], [0, 0, 0, 1, 0x67]);
        let a = &s.media[1];
        assert_eq!(a.codec(), Some(Codec::Audio(AudioCodec::Aac)));
        let info = a.track_info().unwrap();
        assert_eq!(
            (info.clock_rate, info.sample_rate, info.channels),
            (16_000, 16_000, 1)
        );
        assert_eq!(info.config[..], [0x14, 0x08]);
    }

    #[test]
    fn static_payload_types_and_h265() {
        let text = "v=0\ns=x\nm=audio 0 RTP/AVP 0 8\nm=video 0 RTP/AVP 26\n\
            m=video 0 RTP/AVP 98\na=rtpmap:98 H265/90000\n\
            a=fmtp:98 sprop-vps=QAEMAf//AWAAAAMAkAAAAwAAAwBdlZgJ;sprop-sps=QgEBAWAAAAMAkAAAAwAAAwBdoAKAgC0WWVmkkyvAQEAAAAMAQAAABkI=;sprop-pps=RAHBcrRiQA==\n\
            m=application 0 RTP/AVP 107\na=rtpmap:107 vnd.onvif.metadata/90000\n";
        let s = parse_sdp(text).unwrap();
        assert_eq!(s.media[0].codec(), Some(Codec::Audio(AudioCodec::Pcmu)));
        assert_eq!(s.media[0].clock_rate, Some(8000));
        assert_eq!(s.media[1].codec(), Some(Codec::Video(VideoCodec::Jpeg)));
        assert_eq!(s.media[1].clock_rate, Some(90_000));
        let h265 = &s.media[2];
        assert_eq!(h265.codec(), Some(Codec::Video(VideoCodec::H265)));
        let sets = h265.parameter_sets();
        assert_eq!(sets.len(), 3);
        assert_eq!((sets[0][0] >> 1) & 0x3f, 32);
        assert_eq!((sets[1][0] >> 1) & 0x3f, 33);
        assert_eq!((sets[2][0] >> 1) & 0x3f, 34);
        assert_eq!(s.media[3].codec(), None);
        assert!(s.media[3].track_info().is_none());
    }

    #[test]
    fn lenient_with_junk_and_fails_without_media() {
        assert!(parse_sdp("v=0\r\ns=nothing\r\n").is_err());
        assert!(parse_sdp("").is_err());
        let s = parse_sdp("garbage\nm=video\na=rtpmap:x\na=fmtp:\nm=audio 0 RTP/AVP 97\na=rtpmap:97 opus/48000/2\n").unwrap();
        assert_eq!(s.media[0].payload_type, None);
        assert_eq!(s.media[0].codec(), None);
        let opus = s.media[1].track_info().unwrap();
        assert_eq!(opus.codec, Codec::Audio(AudioCodec::Opus));
        assert_eq!((opus.clock_rate, opus.channels), (48_000, 2));
        // AAC in LATM or without a mode is not something we depacketize.
        let s = parse_sdp("m=audio 0 RTP/AVP 97\na=rtpmap:97 MPEG4-GENERIC/44100/2\n").unwrap();
        assert_eq!(s.media[0].codec(), None);
        assert_eq!(decode_hex("1"), None);
        assert_eq!(decode_hex("zz"), None);
    }
}
