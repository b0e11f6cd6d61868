//! Where a profile's stream is, with Happytime's stream parameters.
//!
//! The manual's `stream_uri` section: a profile's stream is its
//! `<stream_uri>` (with the parameters appended when `append_params` is
//! 1), or else our RTSP server's default stream (`rtsp://ip:port/testsrc`
//! here) with the parameters always appended:
//!
//! `&t=unicast&p=udp&ve=H264&w=1280&h=720&ae=PCMU&sr=8000`
//!
//! `t` is `unicast`/`multicast`, `p` `udp`/`tcp`/`rtsp`/`http`, `ve` one of
//! `JPEG`, `MP4V-ES`, `H264`, `H265` with `w`/`h` the encoded size, `ae` one
//! of `PCMU`, `G726`, `MP4A-LATM` with `sr` the sample rate in Hz (G.726 at
//! 16, 24 or 40 kbit/s is `G726-16` ..., as the RTSP server reads it). So that
//! the stream carries all of a profile's encoder settings, our own
//! parameters follow Happytime's (the RTSP server ignores the ones it does
//! not use): `fps` (frame rate limit), `br` (video bit rate limit, kbit/s),
//! `gov` (GOV length), `vp` (codec profile: `Main`, `High`, `SP` ...) and
//! `ab` (audio bit rate, kbit/s).

use super::{DeviceState, StateError};
use crate::config::{AudioEncoding, Resolution, VideoEncoding, sample_rate_hz};

/// How the client will fetch the stream (the `p=` parameter).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum StreamTransport {
    /// RTP over UDP (`udp`).
    #[default]
    Udp,
    /// RTP over TCP (`tcp`; Media ver10's deprecated `TCP`).
    Tcp,
    /// RTP interleaved in the RTSP connection (`rtsp`).
    Rtsp,
    /// RTSP tunnelled over HTTP (`http`).
    Http,
}

impl StreamTransport {
    /// The `p=` value.
    pub fn param(self) -> &'static str {
        match self {
            StreamTransport::Udp => "udp",
            StreamTransport::Tcp => "tcp",
            StreamTransport::Rtsp => "rtsp",
            StreamTransport::Http => "http",
        }
    }
}

/// GetStreamUri's stream setup: unicast or multicast, and the transport.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct StreamSetup {
    /// `RTP-Multicast` rather than `RTP-Unicast`.
    pub multicast: bool,
    /// The transport protocol.
    pub transport: StreamTransport,
}

impl StreamSetup {
    /// From Media (ver10) `StreamSetup`: `Stream` (`RTP-Unicast`,
    /// `RTP-Multicast`) and `Transport/Protocol` (`UDP`, `TCP`, `RTSP`,
    /// `HTTP`). `None` for values ONVIF does not define.
    pub fn from_media1(stream: &str, protocol: &str) -> Option<StreamSetup> {
        let multicast = if stream.eq_ignore_ascii_case("RTP-Unicast") {
            false
        } else if stream.eq_ignore_ascii_case("RTP-Multicast") {
            true
        } else {
            return None;
        };
        let transport = [
            StreamTransport::Udp,
            StreamTransport::Tcp,
            StreamTransport::Rtsp,
            StreamTransport::Http,
        ]
        .into_iter()
        .find(|t| t.param().eq_ignore_ascii_case(protocol))?;
        Some(StreamSetup {
            multicast,
            transport,
        })
    }

    /// From Media2 GetStreamUri's `Protocol`: `RtspUnicast` (UDP),
    /// `RtspMulticast`, `RTSP` (interleaved), `RtspOverHttp`, and the
    /// secure variants `RtspsUnicast`, `RtspsMulticast`, `RTSPS`.
    pub fn from_media2(protocol: &str) -> Option<StreamSetup> {
        let is = |name: &str| protocol.eq_ignore_ascii_case(name);
        let (multicast, transport) = if is("RtspUnicast") || is("RtspsUnicast") {
            (false, StreamTransport::Udp)
        } else if is("RtspMulticast") || is("RtspsMulticast") {
            (true, StreamTransport::Udp)
        } else if is("RTSP") || is("RTSPS") {
            (false, StreamTransport::Rtsp)
        } else if is("RtspOverHttp") {
            (false, StreamTransport::Http)
        } else {
            return None;
        };
        Some(StreamSetup {
            multicast,
            transport,
        })
    }
}

/// The video a stream carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct VideoStreamParams {
    /// `ve`.
    pub encoding: VideoEncoding,
    /// `w` and `h`.
    pub resolution: Resolution,
    /// `fps`.
    pub framerate: u32,
    /// `br`, kbit/s.
    pub bitrate: u32,
    /// `gov`; `None` for JPEG.
    pub gov_length: Option<u32>,
    /// `vp`; `None` for JPEG.
    pub profile: Option<&'static str>,
}

/// The audio a stream carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AudioStreamParams {
    /// `ae`.
    pub encoding: AudioEncoding,
    /// `sr`, in Hz.
    pub sample_rate: u32,
    /// `ab`, kbit/s.
    pub bitrate: u32,
}

impl AudioStreamParams {
    /// The `ae=` value: `PCMU`, `G726`, `MP4A-LATM`; G.726 at other rates
    /// than 32 kbit/s is `G726-16`, `G726-24` or `G726-40`, which the RTSP
    /// server reads as that rate (plain `G726` is 32 kbit/s).
    pub fn ae(&self) -> String {
        match (self.encoding, self.bitrate) {
            (AudioEncoding::G726, rate) if rate != 32 => format!("G726-{rate}"),
            (encoding, _) => encoding.rtp_name().to_owned(),
        }
    }
}

/// All parameters of a profile's stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StreamParams {
    /// `t` and `p`.
    pub setup: StreamSetup,
    /// The video, when the profile has a video encoder.
    pub video: Option<VideoStreamParams>,
    /// The audio, when the profile has an audio encoder.
    pub audio: Option<AudioStreamParams>,
}

impl StreamParams {
    /// The parameters as appended to a stream path:
    /// `&t=unicast&p=udp&ve=H264&w=1280&h=720&ae=PCMU&sr=8000` then ours
    /// (`&fps=25&br=2048&gov=25&vp=Main&ab=64`).
    pub fn query(&self) -> String {
        let mut query = format!(
            "&t={}&p={}",
            if self.setup.multicast {
                "multicast"
            } else {
                "unicast"
            },
            self.setup.transport.param()
        );
        if let Some(video) = &self.video {
            query.push_str(&format!(
                "&ve={}&w={}&h={}",
                video.encoding.rtp_name(),
                video.resolution.width,
                video.resolution.height
            ));
        }
        if let Some(audio) = &self.audio {
            query.push_str(&format!("&ae={}&sr={}", audio.ae(), audio.sample_rate));
        }
        if let Some(video) = &self.video {
            query.push_str(&format!("&fps={}&br={}", video.framerate, video.bitrate));
            if let Some(gov) = video.gov_length {
                query.push_str(&format!("&gov={gov}"));
            }
            if let Some(profile) = video.profile {
                query.push_str(&format!("&vp={profile}"));
            }
        }
        if let Some(audio) = &self.audio {
            query.push_str(&format!("&ab={}", audio.bitrate));
        }
        query
    }
}

/// Where a profile's stream is.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum StreamLocation {
    /// A path on our own RTSP server (no leading `/`), parameters included:
    /// `testsrc&t=unicast&p=udp&ve=H264...`. The service prefixes
    /// `rtsp://HOST:PORT/`, HOST from the request's `Host` header.
    Local(String),
    /// A full URL from the profile's `stream_uri` (parameters appended when
    /// `append_params` is 1), returned as is.
    Remote(String),
}

impl StreamLocation {
    /// The URL a client gets: `scheme://authority/path` for a local stream
    /// (`authority` is `host:port`, IPv6 hosts in brackets), the URL itself
    /// for a remote one.
    pub fn uri(&self, scheme: &str, authority: &str) -> String {
        match self {
            StreamLocation::Local(path) => format!("{scheme}://{authority}/{path}"),
            StreamLocation::Remote(uri) => uri.clone(),
        }
    }
}

impl DeviceState {
    /// The stream parameters of a profile: `t`/`p` from `setup`, the video
    /// and audio from its encoder configurations.
    pub fn stream_params(
        &self,
        profile_token: &str,
        setup: StreamSetup,
    ) -> Result<StreamParams, StateError> {
        let profile = self
            .profile(profile_token)
            .ok_or_else(|| StateError::NoProfile(profile_token.to_owned()))?;
        let video = profile
            .video_encoder_configuration
            .as_deref()
            .and_then(|token| self.video_encoder_configuration(token))
            .map(|config| {
                let s = &config.settings;
                VideoStreamParams {
                    encoding: s.encoding,
                    resolution: s.resolution,
                    framerate: s.framerate,
                    bitrate: s.bitrate_limit,
                    gov_length: s.gov_length(),
                    profile: s.profile_name(),
                }
            });
        let audio = profile
            .audio_encoder_configuration
            .as_deref()
            .and_then(|token| self.audio_encoder_configuration(token))
            .map(|config| AudioStreamParams {
                encoding: config.settings.encoding,
                sample_rate: sample_rate_hz(config.settings.sample_rate),
                bitrate: config.settings.bitrate,
            });
        Ok(StreamParams {
            setup,
            video,
            audio,
        })
    }

    /// Where a profile's stream is (see the module documentation).
    /// `stream_uri` values without a scheme are paths on our own server.
    /// Spaces in a path (`videodevice=HD Camera`) are percent-encoded.
    pub fn stream_location(
        &self,
        profile_token: &str,
        setup: StreamSetup,
    ) -> Result<StreamLocation, StateError> {
        let params = self.stream_params(profile_token, setup)?;
        let profile = self
            .profile(profile_token)
            .ok_or_else(|| StateError::NoProfile(profile_token.to_owned()))?;
        let (base, append) = match &profile.stream_uri {
            Some(uri) => (uri.as_str(), profile.append_params),
            None => (self.default_stream.as_str(), true),
        };
        let mut target = if base.contains("://") {
            base.to_owned()
        } else {
            encode_path(base.trim_start_matches('/'))
        };
        if append {
            target.push_str(&params.query());
        }
        Ok(if base.contains("://") {
            StreamLocation::Remote(target)
        } else {
            StreamLocation::Local(target)
        })
    }

    /// The stream path of a profile on our own server (parameters
    /// included, no leading `/`), or the full URL of a remote one: the
    /// string form of [`Self::stream_location`].
    pub fn stream_path(
        &self,
        profile_token: &str,
        setup: StreamSetup,
    ) -> Result<String, StateError> {
        Ok(match self.stream_location(profile_token, setup)? {
            StreamLocation::Local(path) | StreamLocation::Remote(path) => path,
        })
    }
}

/// Percent-encodes what cannot stand in a URL path (spaces, quotes, `<>`,
/// `#`, `%` not starting an escape, non-ASCII).
fn encode_path(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = String::with_capacity(path.len());
    for (i, &b) in bytes.iter().enumerate() {
        let escape_start = b == b'%'
            && bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
            && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
        let keep =
            b.is_ascii_graphic() && !b"\"<>#`{}|\\^".contains(&b) && (b != b'%' || escape_start);
        if keep {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_encoded() {
        assert_eq!(
            encode_path("videodevice=HD Camera"),
            "videodevice=HD%20Camera"
        );
        assert_eq!(encode_path("a%20b"), "a%20b");
        assert_eq!(encode_path("100%"), "100%25");
        assert_eq!(encode_path("caméra"), "cam%C3%A9ra");
    }

    #[test]
    fn setups() {
        assert_eq!(
            StreamSetup::from_media1("RTP-Unicast", "RTSP"),
            Some(StreamSetup {
                multicast: false,
                transport: StreamTransport::Rtsp
            })
        );
        assert_eq!(
            StreamSetup::from_media2("RtspMulticast").map(|s| s.multicast),
            Some(true)
        );
        assert_eq!(
            StreamSetup::from_media2("RtspOverHttp").map(|s| s.transport),
            Some(StreamTransport::Http)
        );
        assert_eq!(StreamSetup::from_media1("RTP-Broadcast", "UDP"), None);
        assert_eq!(StreamSetup::from_media2("Webrtc"), None);
    }
}
