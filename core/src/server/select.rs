//! From a request target to the source that serves it.
//!
//! The stream name picks the location (the built-in test source, a capture
//! device named as the manual's sections 2.11 and 2.12 say, or a file in the
//! media directory); the first matching `<output>` rule of `rtsp.cfg`
//! gives the wanted codecs and sizes; the URL's `ve`, `w`, `h`, `ae` and
//! `sr` parameters (the manual's stream_uri section) override the rule.

use crate::media::{
    AudioCodec, DeviceSelector, DeviceSource, SourceLocation, SourceSpec, VideoCodec,
};
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
        } else if let Some(device) = device_source(name) {
            SourceLocation::Device(device.map_err(SelectError::NotFound)?)
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

/// Reads the manual's capture device names: `screenlive[N]`, `window=TITLE`,
/// `videodevice[N]`, `videodevice=NAME`, `audiodevice[N]`, `audiodevice=NAME`
/// (keywords in any case; `name` is already percent-decoded, so `%20` is a
/// space by now). `None` when `name` is none of these (then it names a file:
/// `screenlive.mp4` is a file); `Err` with the reason when it is one but
/// cannot name a device (`videodevice=`, `screenlive=x`, an index past `u32`).
fn device_source(name: &str) -> Option<Result<DeviceSource, String>> {
    if let Some(title) = strip_keyword(name, "window=") {
        return Some(if title.is_empty() {
            Err("window= needs a window title (see `onvif-rtsp-server -l window`)".into())
        } else {
            Ok(DeviceSource::Window {
                title: title.to_owned(),
            })
        });
    }
    type MakeDevice = fn(DeviceSelector) -> DeviceSource;
    let kinds: [(&str, MakeDevice); 2] = [
        ("videodevice", DeviceSource::Video),
        ("audiodevice", DeviceSource::Audio),
    ];
    for (keyword, make) in kinds {
        let Some(rest) = strip_keyword(name, keyword) else {
            continue;
        };
        if let Some(device) = rest.strip_prefix('=') {
            return Some(if device.is_empty() {
                Err(format!(
                    "{keyword}= needs a device name (see `onvif-rtsp-server -l device`)"
                ))
            } else {
                Ok(make(DeviceSelector::Name(device.to_owned())))
            });
        }
        return device_index(keyword, rest).map(|r| r.map(|i| make(DeviceSelector::Index(i))));
    }
    let rest = strip_keyword(name, "screenlive")?;
    if rest.starts_with('=') {
        return Some(Err(
            "screenlive takes a monitor number (screenlive, screenlive1, ...), not a name".into(),
        ));
    }
    device_index("screenlive", rest).map(|r| r.map(|monitor| DeviceSource::Screen { monitor }))
}

/// `name` without its leading `keyword` (compared ignoring ASCII case).
fn strip_keyword<'a>(name: &'a str, keyword: &str) -> Option<&'a str> {
    // `get` is `None` when the keyword's length falls inside a multi-byte
    // character, which then cannot be the (ASCII) keyword anyway.
    let head = name.get(..keyword.len())?;
    head.eq_ignore_ascii_case(keyword)
        .then(|| &name[keyword.len()..])
}

/// The device index after a keyword: none means 0, digits mean that number.
/// `None` when `rest` is not all digits (`screenlive.mp4` is a file name).
fn device_index(keyword: &str, rest: &str) -> Option<Result<u32, String>> {
    if rest.is_empty() {
        return Some(Ok(0));
    }
    if !rest.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(
        rest.parse()
            .map_err(|_| format!("{keyword}{rest}: no device has that index")),
    )
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
        use DeviceSelector::{Index, Name};
        let ok = |name: &str| device_source(name).map(|r| r.expect(name));
        assert_eq!(ok("screenlive"), Some(DeviceSource::Screen { monitor: 0 }));
        assert_eq!(ok("screenlive1"), Some(DeviceSource::Screen { monitor: 1 }));
        assert_eq!(
            ok("ScreenLive02"),
            Some(DeviceSource::Screen { monitor: 2 })
        );
        assert_eq!(ok("videodevice"), Some(DeviceSource::Video(Index(0))));
        assert_eq!(ok("VIDEODEVICE3"), Some(DeviceSource::Video(Index(3))));
        assert_eq!(ok("audiodevice1"), Some(DeviceSource::Audio(Index(1))));
        // Names keep their case (the media layer matches ignoring it) and
        // arrive percent-decoded: `FaceTime%20HD%20Camera` is this one.
        assert_eq!(
            ok("videodevice=FaceTime HD Camera"),
            Some(DeviceSource::Video(Name("FaceTime HD Camera".into())))
        );
        assert_eq!(
            ok("AudioDevice=Monitor of Null Output"),
            Some(DeviceSource::Audio(Name("Monitor of Null Output".into())))
        );
        // A name may itself look like a number or hold a `=`.
        assert_eq!(
            ok("videodevice=2"),
            Some(DeviceSource::Video(Name("2".into())))
        );
        assert_eq!(
            ok("window=user manual.doc - WPS Office"),
            Some(DeviceSource::Window {
                title: "user manual.doc - WPS Office".into()
            })
        );
        assert_eq!(
            ok("WINDOW=a=b"),
            Some(DeviceSource::Window {
                title: "a=b".into()
            })
        );
        // File names that merely start like a keyword.
        for file in [
            "screenlive.mp4",
            "videodevice_1.mkv",
            "audiodevices",
            "window",
            "windows.mp4",
            "movie.mkv",
            "é",
            "",
        ] {
            assert_eq!(device_source(file), None, "{file}");
        }
        // Device names that cannot name a device.
        for bad in [
            "window=",
            "videodevice=",
            "audiodevice=",
            "screenlive=HDMI-1",
            "videodevice99999999999",
        ] {
            assert!(matches!(device_source(bad), Some(Err(_))), "{bad}");
        }
    }

    #[test]
    fn device_urls_map_to_device_specs() {
        let server = Server::new(
            crate::server::ServerConfig::new(crate::config::RtspConfig::default()),
            std::time::Instant::now(),
        );
        let spec = |uri: &str| {
            let target = crate::rtsp::url::parse_target(uri).expect(uri);
            server.spec_for(&target)
        };
        let s = spec("rtsp://h/window=My%20Editor&ve=JPEG&w=320&h=240").unwrap();
        assert_eq!(
            s.location,
            SourceLocation::Device(DeviceSource::Window {
                title: "My Editor".into()
            })
        );
        assert_eq!(
            (s.video.codec, s.video.width, s.video.height),
            (Some(VideoCodec::Jpeg), Some(320), Some(240))
        );
        let s = spec("rtsp://h/videodevice=FaceTime%20HD%20Camera/").unwrap();
        assert_eq!(
            s.location,
            SourceLocation::Device(DeviceSource::Video(DeviceSelector::Name(
                "FaceTime HD Camera".into()
            )))
        );
        let s = spec("rtsp://h/audiodevice1?ae=OPUS").unwrap();
        assert_eq!(
            s.location,
            SourceLocation::Device(DeviceSource::Audio(DeviceSelector::Index(1)))
        );
        assert_eq!(s.audio.codec, Some(AudioCodec::Opus));
        assert_eq!(
            spec("rtsp://h/screenlive1?fps=10").map(|s| (s.location, s.video.framerate)),
            Ok((
                SourceLocation::Device(DeviceSource::Screen { monitor: 1 }),
                Some(10)
            ))
        );
        assert!(matches!(
            spec("rtsp://h/window="),
            Err(SelectError::NotFound(_))
        ));
        assert_eq!(
            spec("rtsp://h/screenlive.mp4").map(|s| s.location),
            Ok(SourceLocation::File("screenlive.mp4".into()))
        );
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
