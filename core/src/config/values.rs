//! Parsers for the value kinds the config files use.
//!
//! Each takes the trimmed, non-empty text of an element (empty means "use the
//! default" and never reaches them) and returns the value or the text that
//! completes "expected ..." in the error message. Names are matched
//! case-insensitively, as Happytime does (`strcasecmp`).

use std::net::IpAddr;

use crate::media::{AudioCodec, VideoCodec};

/// Sample rates the manual allows for `<samplerate>`.
pub(crate) const SAMPLE_RATES: [u32; 9] =
    [8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000];

/// G.726 bit rate used when the config does not give a valid one.
pub(crate) const G726_DEFAULT_KBPS: u8 = 32;

/// G.726 bit rates, in kbit/s.
pub(crate) const G726_RATES: [u32; 4] = [16, 24, 32, 40];

/// Highest frame rate accepted; beyond it the value is surely a typo.
const MAX_FRAMERATE: f64 = 1000.0;

/// `0`/`1`, also `false`/`true`.
pub(crate) fn boolean(text: &str) -> Result<bool, &'static str> {
    match text {
        "0" => Ok(false),
        "1" => Ok(true),
        _ if text.eq_ignore_ascii_case("false") => Ok(false),
        _ if text.eq_ignore_ascii_case("true") => Ok(true),
        _ => Err("expected 0 or 1"),
    }
}

/// A TCP/UDP port, 1-65535.
pub(crate) fn port(text: &str) -> Result<u16, &'static str> {
    match text.parse::<u16>() {
        Ok(port) if port != 0 => Ok(port),
        _ => Err("expected a port number 1-65535"),
    }
}

/// A port where `0` means "none".
pub(crate) fn optional_port(text: &str) -> Result<Option<u16>, &'static str> {
    match text.parse::<u16>() {
        Ok(0) => Ok(None),
        Ok(port) => Ok(Some(port)),
        Err(_) => Err("expected a port number 1-65535 (0 = none)"),
    }
}

/// An IPv4 or IPv6 address; IPv6 may be written in brackets.
pub(crate) fn ip_address(text: &str) -> Result<IpAddr, &'static str> {
    let bare = text
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .unwrap_or(text);
    bare.parse().map_err(|_| "expected an IP address")
}

/// A whole number where `0` means "as the source" (width, height, bit rate).
pub(crate) fn optional_count(text: &str) -> Result<Option<u32>, &'static str> {
    match text.parse::<u32>() {
        Ok(0) => Ok(None),
        Ok(n) => Ok(Some(n)),
        Err(_) => Err("expected a whole number (0 = as the source)"),
    }
}

/// A frame rate where `0` means "as the source". Happytime reads it with
/// `atof`, so `29.97` is accepted; it is rounded to whole frames per second,
/// the unit the media layer works in.
pub(crate) fn framerate(text: &str) -> Result<Option<u32>, &'static str> {
    const EXPECTED: &str = "expected a frame rate 0-1000 (0 = as the source)";
    let rate: f64 = text.parse().map_err(|_| EXPECTED)?;
    if !rate.is_finite() || !(0.0..=MAX_FRAMERATE).contains(&rate) {
        return Err(EXPECTED);
    }
    if rate == 0.0 {
        return Ok(None);
    }
    // In range and finite, so the cast is exact; a tiny rate stays at least 1.
    Ok(Some((rate.round() as u32).max(1)))
}

/// A sample rate from [`SAMPLE_RATES`]; `0` means "as the source".
pub(crate) fn sample_rate(text: &str) -> Result<Option<u32>, &'static str> {
    const EXPECTED: &str = "expected 8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100 or 48000 (0 = as the source)";
    match text.parse::<u32>() {
        Ok(0) => Ok(None),
        Ok(rate) if SAMPLE_RATES.contains(&rate) => Ok(Some(rate)),
        _ => Err(EXPECTED),
    }
}

/// `1` (mono) or `2` (stereo); `0` means "as the source".
pub(crate) fn channels(text: &str) -> Result<Option<u8>, &'static str> {
    match text {
        "0" => Ok(None),
        "1" => Ok(Some(1)),
        "2" => Ok(Some(2)),
        _ => Err("expected 1 (mono) or 2 (stereo) (0 = as the source)"),
    }
}

/// The manual's video codec names, plus the obvious aliases.
pub(crate) fn video_codec(text: &str) -> Result<VideoCodec, &'static str> {
    let is = |name: &str| text.eq_ignore_ascii_case(name);
    if is("H264") || is("AVC") {
        Ok(VideoCodec::H264)
    } else if is("H265") || is("HEVC") {
        Ok(VideoCodec::H265)
    } else if is("MP4") || is("MPEG4") || is("MP4V-ES") {
        Ok(VideoCodec::Mpeg4)
    } else if is("JPEG") || is("MJPEG") {
        Ok(VideoCodec::Jpeg)
    } else {
        Err("expected H264, H265, MP4 or JPEG")
    }
}

/// The manual's audio codec names, plus `G711` (read as A-law, as Happytime
/// does) and the RTP names `PCMA`/`PCMU`. G.726 starts at 32 kbit/s.
pub(crate) fn audio_codec(text: &str) -> Result<AudioCodec, &'static str> {
    let is = |name: &str| text.eq_ignore_ascii_case(name);
    if is("G711A") || is("G711") || is("PCMA") {
        Ok(AudioCodec::Pcma)
    } else if is("G711U") || is("PCMU") {
        Ok(AudioCodec::Pcmu)
    } else if is("G722") {
        Ok(AudioCodec::G722)
    } else if is("G726") {
        Ok(AudioCodec::G726 {
            kbps: G726_DEFAULT_KBPS,
        })
    } else if is("AAC") {
        Ok(AudioCodec::Aac)
    } else if is("OPUS") {
        Ok(AudioCodec::Opus)
    } else {
        Err("expected G711A, G711U, G722, G726, AAC or OPUS")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans() {
        assert_eq!(boolean("1"), Ok(true));
        assert_eq!(boolean("TRUE"), Ok(true));
        assert_eq!(boolean("0"), Ok(false));
        assert_eq!(boolean("false"), Ok(false));
        assert!(boolean("2").is_err());
        assert!(boolean("yes").is_err());
    }

    #[test]
    fn ports() {
        assert_eq!(port("554"), Ok(554));
        assert!(port("0").is_err());
        assert!(port("65536").is_err());
        assert!(port("-1").is_err());
        assert_eq!(optional_port("0"), Ok(None));
        assert_eq!(optional_port("50001"), Ok(Some(50001)));
    }

    #[test]
    fn addresses() {
        assert_eq!(ip_address("192.168.1.2"), Ok([192, 168, 1, 2].into()));
        assert!(ip_address("[::1]").is_ok());
        assert!(ip_address("::1").is_ok());
        assert!(ip_address("camera.local").is_err());
    }

    #[test]
    fn framerates() {
        assert_eq!(framerate("25"), Ok(Some(25)));
        assert_eq!(framerate("29.97"), Ok(Some(30)));
        assert_eq!(framerate("0.1"), Ok(Some(1)));
        assert_eq!(framerate("0"), Ok(None));
        assert!(framerate("-5").is_err());
        assert!(framerate("NaN").is_err());
        assert!(framerate("inf").is_err());
    }

    #[test]
    fn audio_values() {
        assert_eq!(sample_rate("44100"), Ok(Some(44100)));
        assert_eq!(sample_rate("0"), Ok(None));
        assert!(sample_rate("44000").is_err());
        assert_eq!(channels("2"), Ok(Some(2)));
        assert!(channels("3").is_err());
    }

    #[test]
    fn codec_names_are_case_insensitive() {
        assert_eq!(video_codec("h264"), Ok(VideoCodec::H264));
        assert_eq!(video_codec("Mp4"), Ok(VideoCodec::Mpeg4));
        assert_eq!(video_codec("jpeg"), Ok(VideoCodec::Jpeg));
        assert!(video_codec("VP8").is_err());
        assert_eq!(audio_codec("g711u"), Ok(AudioCodec::Pcmu));
        assert_eq!(audio_codec("G711"), Ok(AudioCodec::Pcma));
        assert_eq!(audio_codec("opus"), Ok(AudioCodec::Opus));
        assert_eq!(audio_codec("G726"), Ok(AudioCodec::G726 { kbps: 32 }));
        assert!(audio_codec("MP3").is_err());
    }
}
