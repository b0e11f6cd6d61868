//! From a request target to the source that serves it.
//!
//! The stream name picks the location (the built-in test source, or a file
//! in the media directory); the first matching `<output>` rule of `rtsp.cfg`
//! gives the wanted codecs and sizes; the URL's `ve`, `w`, `h`, `ae` and
//! `sr` parameters (the manual's stream_uri section) override the rule.

use crate::media::{AudioCodec, SourceLocation, SourceSpec, VideoCodec};
use crate::rtsp::url::RequestTarget;

use super::Server;

/// Why a target names no servable source; becomes a 4xx reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum SelectError {
    /// Nothing by that name (404).
    NotFound(String),
    /// A parameter value we do not understand (400).
    BadParameter(String),
}

impl Server {
    pub(super) fn spec_for(&self, target: &RequestTarget) -> Result<SourceSpec, SelectError> {
        let name = target.stream.as_str();
        let location = if name == self.cfg.test_pattern_stream {
            SourceLocation::TestPattern
        } else if name.is_empty() {
            return Err(SelectError::NotFound("no stream name in the URL".into()));
        } else if let Some(kind) = device_kind(name) {
            return Err(SelectError::NotFound(format!(
                "{kind} sources are not supported by this build yet"
            )));
        } else {
            SourceLocation::File(name.to_owned())
        };
        let (mut video, mut audio) = match self.cfg.rtsp.output_for(name) {
            Some(rule) => (rule.video, rule.audio),
            None => Default::default(),
        };
        for (key, value) in &target.params {
            let bad = || SelectError::BadParameter(format!("URL parameter {key}={value:?}"));
            match key.to_ascii_lowercase().as_str() {
                "ve" => video.codec = Some(parse_video_codec(value).ok_or_else(bad)?),
                "w" => video.width = Some(parse_dimension(value).ok_or_else(bad)?),
                "h" => video.height = Some(parse_dimension(value).ok_or_else(bad)?),
                "ae" => audio.codec = Some(parse_audio_codec(value).ok_or_else(bad)?),
                "sr" => audio.sample_rate = Some(parse_sample_rate(value).ok_or_else(bad)?),
                // The encoder settings an ONVIF profile adds (framerate,
                // bitrate, GOP length, audio bitrate); they apply whenever
                // the stream is encoded or transcoded, and never force a
                // transcode of a file on their own.
                "fps" => video.framerate = Some(parse_in(value, 1..=120).ok_or_else(bad)?),
                "br" => video.bitrate_kbps = Some(parse_in(value, 8..=100_000).ok_or_else(bad)?),
                "gov" => video.keyframe_interval = Some(parse_in(value, 1..=1000).ok_or_else(bad)?),
                "ab" => audio.bitrate_kbps = Some(parse_in(value, 8..=512).ok_or_else(bad)?),
                // Transport hints (t=unicast|multicast, p=udp|tcp|rtsp|http) describe
                // how the client will connect; SETUP's Transport header decides.
                _ => {}
            }
        }
        Ok(SourceSpec {
            location,
            video,
            audio,
        })
    }
}

/// Device-like stream names of the manual (screen, camera, microphone, window).
fn device_kind(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    [
        ("screenlive", "screen capture"),
        ("videodevice", "video capture device"),
        ("audiodevice", "audio capture device"),
        ("window=", "application window"),
    ]
    .into_iter()
    .find(|(prefix, _)| {
        lower.strip_prefix(prefix).is_some_and(|rest| {
            prefix.ends_with('=')
                || rest.is_empty()
                || rest.starts_with('=')
                || rest.bytes().all(|b| b.is_ascii_digit())
        })
    })
    .map(|(_, kind)| kind)
}

/// Video codec names of the `ve` parameter (and common aliases).
pub(crate) fn parse_video_codec(v: &str) -> Option<VideoCodec> {
    Some(match v.to_ascii_uppercase().as_str() {
        "H264" | "H.264" | "AVC" => VideoCodec::H264,
        "H265" | "H.265" | "HEVC" => VideoCodec::H265,
        "MP4V-ES" | "MP4" | "MPEG4" => VideoCodec::Mpeg4,
        "JPEG" | "MJPEG" => VideoCodec::Jpeg,
        _ => return None,
    })
}

/// Audio codec names of the `ae` parameter (and common aliases).
pub(crate) fn parse_audio_codec(v: &str) -> Option<AudioCodec> {
    Some(match v.to_ascii_uppercase().as_str() {
        "PCMU" | "G711U" | "G711" => AudioCodec::Pcmu,
        "PCMA" | "G711A" => AudioCodec::Pcma,
        "G722" => AudioCodec::G722,
        "G726" | "G726-32" => AudioCodec::G726 { kbps: 32 },
        "G726-16" => AudioCodec::G726 { kbps: 16 },
        "G726-24" => AudioCodec::G726 { kbps: 24 },
        "G726-40" => AudioCodec::G726 { kbps: 40 },
        "MP4A-LATM" | "AAC" | "MPEG4-GENERIC" => AudioCodec::Aac,
        "OPUS" => AudioCodec::Opus,
        _ => return None,
    })
}

fn parse_in(v: &str, range: std::ops::RangeInclusive<u32>) -> Option<u32> {
    v.parse().ok().filter(|n| range.contains(n))
}

fn parse_dimension(v: &str) -> Option<u32> {
    v.parse()
        .ok()
        .filter(|d| (16..=8192).contains(d) && d % 2 == 0)
}

fn parse_sample_rate(v: &str) -> Option<u32> {
    v.parse()
        .ok()
        .filter(|r| [8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000].contains(r))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_names() {
        assert_eq!(device_kind("screenlive"), Some("screen capture"));
        assert_eq!(device_kind("screenlive1"), Some("screen capture"));
        assert_eq!(device_kind("videodevice=Cam"), Some("video capture device"));
        assert_eq!(device_kind("window=abc"), Some("application window"));
        assert_eq!(device_kind("screenlive.mp4"), None);
        assert_eq!(device_kind("movie.mkv"), None);
    }

    #[test]
    fn codec_names() {
        assert_eq!(parse_video_codec("mp4v-es"), Some(VideoCodec::Mpeg4));
        assert_eq!(parse_audio_codec("MP4A-LATM"), Some(AudioCodec::Aac));
        assert_eq!(parse_audio_codec("vorbis"), None);
        assert_eq!(parse_dimension("641"), None);
        assert_eq!(parse_sample_rate("44100"), Some(44100));
        assert_eq!(parse_sample_rate("44101"), None);
    }
}
