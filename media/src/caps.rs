//! GStreamer caps <-> the core's codec and track descriptions.

use bytes::Bytes;
use gstreamer as gst;
use onvif_rtsp_core::media::{AudioCodec, Codec, TrackInfo, VideoCodec};

/// What kind of elementary stream a caps structure describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StreamType {
    /// `video/*` or `image/*`.
    Video,
    /// `audio/*`.
    Audio,
    /// Subtitles, metadata and anything else we do not serve.
    Other,
}

/// Classifies a caps structure by its media type.
pub(crate) fn stream_type(s: &gst::StructureRef) -> StreamType {
    let name = s.name().as_str();
    if name.starts_with("video/") || name.starts_with("image/") {
        StreamType::Video
    } else if name.starts_with("audio/") {
        StreamType::Audio
    } else {
        StreamType::Other
    }
}

/// `true` for decoded (raw) audio or video, which needs no decoder.
pub(crate) fn is_raw(s: &gst::StructureRef) -> bool {
    matches!(s.name().as_str(), "video/x-raw" | "audio/x-raw")
}

/// The codec of an encoded stream, when it is one the server can send as is.
pub(crate) fn source_codec(s: &gst::StructureRef) -> Option<Codec> {
    let int = |f: &str| s.get::<i32>(f).ok();
    let codec = match s.name().as_str() {
        "video/x-h264" => Codec::Video(VideoCodec::H264),
        "video/x-h265" => Codec::Video(VideoCodec::H265),
        "video/mpeg"
            if int("mpegversion") == Some(4) && !s.get::<bool>("systemstream").unwrap_or(false) =>
        {
            Codec::Video(VideoCodec::Mpeg4)
        }
        // DivX 4/5 is MPEG-4 Part 2 under another name (AVI); mpeg4videoparse
        // turns it into plain `video/mpeg`.
        "video/x-divx" if matches!(int("divxversion"), Some(4 | 5)) => {
            Codec::Video(VideoCodec::Mpeg4)
        }
        "image/jpeg" => Codec::Video(VideoCodec::Jpeg),
        "audio/x-alaw" => Codec::Audio(AudioCodec::Pcma),
        "audio/x-mulaw" => Codec::Audio(AudioCodec::Pcmu),
        "audio/G722" => Codec::Audio(AudioCodec::G722),
        "audio/x-adpcm" if s.get::<&str>("layout").ok() == Some("g726") => {
            let kbps = int("bitrate").unwrap_or(32_000) / 1000;
            Codec::Audio(AudioCodec::G726 {
                kbps: u8::try_from(kbps).ok()?,
            })
        }
        // mpegversion 1 is MP1/MP2/MP3; 2 and 4 are AAC (same raw framing).
        "audio/mpeg" if matches!(int("mpegversion"), Some(2 | 4)) => Codec::Audio(AudioCodec::Aac),
        "audio/x-opus" => Codec::Audio(AudioCodec::Opus),
        _ => return None,
    };
    Some(codec)
}

/// Picture size and frame rate of a video caps structure, where fixed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct VideoProps {
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// Whole frames per second (rounded; `None` for variable rate).
    pub fps: Option<u32>,
}

/// Reads [`VideoProps`] from caps.
pub(crate) fn video_props(s: &gst::StructureRef) -> VideoProps {
    let dim = |f: &str| {
        s.get::<i32>(f)
            .ok()
            .and_then(|v| u32::try_from(v).ok())
            .filter(|v| *v > 0)
    };
    let fps = s
        .get::<gst::Fraction>("framerate")
        .ok()
        .filter(|f| f.numer() > 0 && f.denom() > 0)
        .and_then(|f| {
            let rounded = (f64::from(f.numer()) / f64::from(f.denom())).round();
            (1.0..=1000.0).contains(&rounded).then_some(rounded as u32)
        });
    VideoProps {
        width: dim("width"),
        height: dim("height"),
        fps,
    }
}

/// Sample rate and channel count of an audio caps structure, where fixed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct AudioProps {
    pub rate: Option<u32>,
    pub channels: Option<u32>,
}

/// Reads [`AudioProps`] from caps.
pub(crate) fn audio_props(s: &gst::StructureRef) -> AudioProps {
    let int = |f: &str| {
        s.get::<i32>(f)
            .ok()
            .and_then(|v| u32::try_from(v).ok())
            .filter(|v| *v > 0)
    };
    AudioProps {
        rate: int("rate"),
        channels: int("channels"),
    }
}

/// The `codec_data` field of a caps structure (AAC AudioSpecificConfig,
/// MPEG-4 visual object sequence header, ...), copied: it is a few bytes.
fn codec_data(s: &gst::StructureRef) -> Bytes {
    s.get::<gst::Buffer>("codec_data")
        .ok()
        .and_then(|b| b.map_readable().ok().map(|m| Bytes::copy_from_slice(&m)))
        .unwrap_or_default()
}

/// Builds the core's track description of an output stream of `codec` from
/// the caps its appsink received.
pub(crate) fn track_info(codec: Codec, caps: &gst::CapsRef) -> TrackInfo {
    let mut info = TrackInfo {
        codec,
        clock_rate: 90_000,
        sample_rate: 0,
        channels: 0,
        width: 0,
        height: 0,
        config: Bytes::new(),
    };
    let Some(s) = caps.structure(0) else {
        return info;
    };
    match codec {
        Codec::Video(video) => {
            let props = video_props(s);
            info.width = props.width.unwrap_or(0);
            info.height = props.height.unwrap_or(0);
            // H.264/H.265 parameter sets travel in-band before every keyframe;
            // MPEG-4 visual needs its configuration in the SDP (`config=`).
            if video == VideoCodec::Mpeg4 {
                info.config = codec_data(s);
            }
        }
        Codec::Audio(audio) => {
            let props = audio_props(s);
            let rate = props.rate.unwrap_or(8000);
            info.channels = props
                .channels
                .and_then(|c| u8::try_from(c).ok())
                .unwrap_or(1);
            (info.sample_rate, info.clock_rate) = match audio {
                // RFC 3551: G.722's RTP clock is 8000 though it samples at 16 kHz.
                AudioCodec::G722 => (rate, 8000),
                // RFC 7587: Opus always uses a 48 kHz RTP clock.
                AudioCodec::Opus => (48_000, 48_000),
                _ => (rate, rate),
            };
            if audio == AudioCodec::Aac {
                info.config = codec_data(s);
            }
        }
    }
    info
}

/// The exact elementary format the core wants for `codec`, used as the caps
/// of the capsfilter in front of each appsink.
pub(crate) fn output_caps(codec: Codec) -> gst::Caps {
    match codec {
        Codec::Video(VideoCodec::H264) => gst::Caps::builder("video/x-h264")
            .field("stream-format", "byte-stream")
            .field("alignment", "au")
            .build(),
        Codec::Video(VideoCodec::H265) => gst::Caps::builder("video/x-h265")
            .field("stream-format", "byte-stream")
            .field("alignment", "au")
            .build(),
        // The same elementary stream either way; mpeg4videoparse keeps a
        // DivX source's media type when it passes it through.
        Codec::Video(VideoCodec::Mpeg4) => gst::Caps::builder_full()
            .structure(
                gst::Structure::builder("video/mpeg")
                    .field("mpegversion", 4i32)
                    .field("systemstream", false)
                    .build(),
            )
            .structure(
                gst::Structure::builder("video/x-divx")
                    .field("divxversion", gst::IntRange::new(4i32, 5))
                    .build(),
            )
            .build(),
        Codec::Video(VideoCodec::Jpeg) => gst::Caps::builder("image/jpeg").build(),
        Codec::Audio(AudioCodec::Pcma) => gst::Caps::builder("audio/x-alaw").build(),
        Codec::Audio(AudioCodec::Pcmu) => gst::Caps::builder("audio/x-mulaw").build(),
        Codec::Audio(AudioCodec::G722) => gst::Caps::builder("audio/G722").build(),
        Codec::Audio(AudioCodec::G726 { .. }) => gst::Caps::builder("audio/x-adpcm")
            .field("layout", "g726")
            .build(),
        Codec::Audio(AudioCodec::Aac) => gst::Caps::builder("audio/mpeg")
            .field("stream-format", "raw")
            .build(),
        Codec::Audio(AudioCodec::Opus) => gst::Caps::builder("audio/x-opus").build(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn init() {
        gst::init().unwrap();
    }

    #[test]
    fn detects_our_codecs_only() {
        init();
        let caps = |s: &str| s.parse::<gst::Caps>().unwrap();
        let codec = |s: &str| source_codec(caps(s).structure(0).unwrap());
        assert_eq!(
            codec("video/x-h264, stream-format=avc"),
            Some(Codec::Video(VideoCodec::H264))
        );
        assert_eq!(
            codec("video/mpeg, mpegversion=4, systemstream=false"),
            Some(Codec::Video(VideoCodec::Mpeg4))
        );
        assert_eq!(codec("video/mpeg, mpegversion=2"), None);
        assert_eq!(
            codec("video/x-divx, divxversion=5"),
            Some(Codec::Video(VideoCodec::Mpeg4))
        );
        assert_eq!(codec("video/x-divx, divxversion=3"), None);
        assert_eq!(codec("audio/mpeg, mpegversion=1, layer=3"), None);
        assert_eq!(
            codec("audio/mpeg, mpegversion=4, stream-format=adts"),
            Some(Codec::Audio(AudioCodec::Aac))
        );
        assert_eq!(
            codec("audio/x-adpcm, layout=g726, bitrate=24000"),
            Some(Codec::Audio(AudioCodec::G726 { kbps: 24 }))
        );
        assert_eq!(codec("audio/x-adpcm, layout=dvi"), None);
        assert_eq!(codec("video/x-vp9"), None);
    }

    #[test]
    fn track_info_reads_caps() {
        init();
        let caps: gst::Caps =
            "audio/mpeg, mpegversion=4, stream-format=raw, rate=48000, channels=2, codec_data=(buffer)1190"
                .parse()
                .unwrap();
        let info = track_info(Codec::Audio(AudioCodec::Aac), &caps);
        assert_eq!(info.clock_rate, 48000);
        assert_eq!(info.channels, 2);
        assert_eq!(&info.config[..], &[0x11, 0x90]);

        let caps: gst::Caps = "audio/G722, rate=16000, channels=1".parse().unwrap();
        let info = track_info(Codec::Audio(AudioCodec::G722), &caps);
        assert_eq!((info.clock_rate, info.sample_rate), (8000, 16000));

        let caps: gst::Caps = "video/x-h264, width=320, height=240, framerate=30000/1001"
            .parse()
            .unwrap();
        let s = caps.structure(0).unwrap();
        assert_eq!(video_props(s).fps, Some(30));
        let info = track_info(Codec::Video(VideoCodec::H264), &caps);
        assert_eq!(
            (info.width, info.height, info.clock_rate),
            (320, 240, 90000)
        );
        assert!(info.config.is_empty());
    }
}
