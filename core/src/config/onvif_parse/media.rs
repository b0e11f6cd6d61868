//! The media parts of `onvif.cfg`: `<profile>` and its encoder settings.

use super::{FileContext, Section, any_text, boolean, read_number, set, warn_unknown_attributes};
use crate::config::error::{ConfigError, WarningKind};
use crate::config::onvif::{
    AudioEncoderSettings, AudioEncoding, BITRATE_RANGE, DIMENSION_RANGE, ENCODING_INTERVAL_RANGE,
    FRAMERATE_RANGE, GOV_LENGTH_RANGE, GovSettings, H264Profile, H265Profile, Mpeg4Profile,
    ProfileConfig, QUALITY_RANGE, Resolution, SESSION_TIMEOUT_RANGE, VideoEncoderSettings,
    VideoEncoding, sample_rate_hz,
};
use crate::config::xml::Element;
use crate::onvif_state::validate;

/// One `<profile>` (its section and its element, for the attributes).
pub(crate) fn read_profile(
    mut section: Section<'_>,
    element: &Element,
    cx: &mut FileContext<'_>,
    file: &str,
) -> Result<ProfileConfig, ConfigError> {
    let mut profile = ProfileConfig::default();
    warn_unknown_attributes(cx, element, "profile", &["token", "fixed"]);
    if let Some(token) = element.attribute("token") {
        if let Err(expected) = validate::check_token(token) {
            return Err(ConfigError::invalid(
                file,
                element.line,
                "profile@token",
                token,
                expected,
            ));
        }
        profile.token = Some(token.to_owned());
    }
    if let Some(fixed) = element.attribute("fixed") {
        profile.fixed = boolean(fixed.trim()).map_err(|expected| {
            ConfigError::invalid(file, element.line, "profile@fixed", fixed, expected)
        })?;
    }
    if let Some(field) = section.leaf(cx, &["Name", "name"]) {
        if let Some(name) = field.parse(cx, any_text)? {
            if let Err(expected) = validate::check_name(&name, validate::MAX_NAME_LEN) {
                return Err(field.invalid(cx, expected));
            }
            profile.name = Some(name);
        }
    }
    let source_line_and_size = match section.section(cx, "video_source") {
        Some(source) => Some((source.line(), read_video_source(source, cx)?)),
        None => None,
    };
    let source_size = source_line_and_size.and_then(|(_, size)| size);
    if let Some(mut encoder) = section.section(cx, "video_encoder") {
        let default = VideoEncoderSettings {
            resolution: source_size.unwrap_or(VideoEncoderSettings::default().resolution),
            ..VideoEncoderSettings::default()
        };
        profile.video_encoder = Some(read_video_encoder_settings(&mut encoder, cx, default)?);
        encoder.finish(cx);
    }
    profile.video_source = match (source_size, &profile.video_encoder) {
        (Some(size), _) => Some(size),
        // No (usable) source size: the source is as large as the encoder's
        // picture, so that a video profile always has a source.
        (None, Some(encoder)) => Some(encoder.resolution),
        (None, None) => {
            if let Some((line, None)) = source_line_and_size {
                cx.warn(
                    line,
                    "profile/video_source",
                    WarningKind::Note(
                        "no size and no <video_encoder>: the profile has no video".into(),
                    ),
                );
            }
            None
        }
    };
    if let Some(source) = section.section(cx, "audio_source") {
        source.finish(cx);
        profile.audio_source = true;
    }
    if let Some(mut encoder) = section.section(cx, "audio_encoder") {
        profile.audio_encoder = Some(read_audio_encoder_settings(
            &mut encoder,
            cx,
            AudioEncoderSettings::default(),
        )?);
        encoder.finish(cx);
        // An encoder needs a source; Happytime's template always has both.
        profile.audio_source = true;
    }
    if let Some(field) = section.leaf(cx, &["stream_uri"]) {
        profile.stream_uri = field.parse(cx, any_text)?;
        if let Some(uri) = &profile.stream_uri {
            if let Err(expected) = validate::check_stream_uri(uri) {
                return Err(field.invalid(cx, expected));
            }
        }
        if let Some(uri_element) = element.child("stream_uri") {
            warn_unknown_attributes(cx, uri_element, "profile/stream_uri", &["append_params"]);
            if let Some(append) = uri_element.attribute("append_params") {
                let append = append.trim();
                profile.append_params = if append.is_empty() {
                    false
                } else {
                    boolean(append).map_err(|expected| {
                        ConfigError::invalid(
                            file,
                            uri_element.line,
                            "profile/stream_uri@append_params",
                            append,
                            expected,
                        )
                    })?
                };
            }
        }
    }
    section.finish(cx);
    Ok(profile)
}

/// `<video_source>`: its size, or `None` when width or height is missing
/// (warned about when only one is).
fn read_video_source(
    mut section: Section<'_>,
    cx: &mut FileContext<'_>,
) -> Result<Option<Resolution>, ConfigError> {
    let width = read_number(&mut section, cx, &["width"], DIMENSION_RANGE, "a width")?;
    let height = read_number(&mut section, cx, &["height"], DIMENSION_RANGE, "a height")?;
    let line = section.line();
    section.finish(cx);
    match (width, height) {
        (Some(width), Some(height)) => Ok(Some(Resolution { width, height })),
        (None, None) => Ok(None),
        _ => {
            cx.warn(
                line,
                "profile/video_source",
                WarningKind::Note(
                    "needs both <width> and <height>; the encoder's size is used".into(),
                ),
            );
            Ok(None)
        }
    }
}

/// The children of a `<video_encoder>` over `default`. Does not finish the
/// section: `onvifrun.cfg` readers claim more children first.
pub(crate) fn read_video_encoder_settings(
    section: &mut Section<'_>,
    cx: &mut FileContext<'_>,
    default: VideoEncoderSettings,
) -> Result<VideoEncoderSettings, ConfigError> {
    let mut settings = default;
    set(
        &mut settings.encoding,
        section.value(cx, &["encoding"], |t| {
            VideoEncoding::from_name(t).ok_or("expected JPEG, MPEG4, H264 or H265")
        })?,
    );
    for (name, slot) in [
        ("width", &mut settings.resolution.width),
        ("height", &mut settings.resolution.height),
    ] {
        if let Some(field) = section.leaf(cx, &[name]) {
            if let Some(side) = field.parse(cx, super::whole_number)? {
                if let Err(expected) = settings.encoding.check_dimension(side) {
                    return Err(field.invalid(cx, expected));
                }
                *slot = side;
            }
        }
    }
    if let Err(expected) = settings.encoding.check_resolution(settings.resolution) {
        // A default side that does not suit the encoding (JPEG): report on
        // the encoding, which is what made it invalid.
        let line = section.line();
        cx.warn(
            line,
            "video_encoder",
            WarningKind::Note(format!(
                "{} is not a valid {} size ({expected}); 640x480 is used",
                settings.resolution, settings.encoding
            )),
        );
        settings.resolution = Resolution::new(640, 480);
    }
    if let Some(field) = section.leaf(cx, &["quality"]) {
        if let Some(quality) = field.parse(cx, |t| {
            t.parse::<f32>().map_err(|_| "expected a number 0-100")
        })? {
            if !QUALITY_RANGE.contains(&quality) {
                return Err(field.invalid(cx, "expected a number 0-100"));
            }
            settings.quality = quality;
        }
    }
    set(
        &mut settings.session_timeout,
        read_number(
            section,
            cx,
            &["session_timeout"],
            SESSION_TIMEOUT_RANGE,
            "a number of seconds",
        )?,
    );
    if let Some(field) = section.leaf(cx, &["framerate"]) {
        // Happytime reads it with atof: 29.97 is accepted, rounded.
        if let Some(rate) =
            field.parse(cx, |t| t.parse::<f64>().map_err(|_| "expected a number"))?
        {
            let rounded = rate.round();
            let fits = rate.is_finite()
                && rounded >= f64::from(*FRAMERATE_RANGE.start())
                && rounded <= f64::from(*FRAMERATE_RANGE.end());
            if !fits {
                return Err(field.invalid(
                    cx,
                    format!(
                        "expected a frame rate {}-{}",
                        FRAMERATE_RANGE.start(),
                        FRAMERATE_RANGE.end()
                    ),
                ));
            }
            // In range, so the cast is exact.
            settings.framerate = rounded as u32;
        }
    }
    set(
        &mut settings.encoding_interval,
        read_number(
            section,
            cx,
            &["encoding_interval"],
            ENCODING_INTERVAL_RANGE,
            "an interval",
        )?,
    );
    set(
        &mut settings.bitrate_limit,
        read_number(
            section,
            cx,
            &["bitrate_limit"],
            BITRATE_RANGE,
            "a bit rate in kbit/s",
        )?,
    );
    if let Some(mut h264) = section.section(cx, "h264") {
        settings.h264 = read_gov(&mut h264, cx, "h264_profile", settings.h264, |t| {
            H264Profile::from_name(t).ok_or("expected Baseline, Main, Extended or High")
        })?;
        h264.finish(cx);
    }
    if let Some(mut h265) = section.section(cx, "h265") {
        settings.h265 = read_gov(&mut h265, cx, "h265_profile", settings.h265, |t| {
            H265Profile::from_name(t).ok_or("expected Main or Main10")
        })?;
        h265.finish(cx);
    }
    if let Some(mut mpeg4) = section.section(cx, "mpeg4") {
        settings.mpeg4 = read_gov(&mut mpeg4, cx, "mpeg4_profile", settings.mpeg4, |t| {
            Mpeg4Profile::from_name(t).ok_or("expected SP or ASP")
        })?;
        mpeg4.finish(cx);
    }
    Ok(settings)
}

/// `<gov_length>` and the profile element of `<h264>`/`<h265>`/`<mpeg4>`.
fn read_gov<P: Copy>(
    section: &mut Section<'_>,
    cx: &mut FileContext<'_>,
    profile_name: &str,
    default: GovSettings<P>,
    parse: fn(&str) -> Result<P, &'static str>,
) -> Result<GovSettings<P>, ConfigError> {
    let mut gov = default;
    set(
        &mut gov.gov_length,
        read_number(
            section,
            cx,
            &["gov_length"],
            GOV_LENGTH_RANGE,
            "a GOV length",
        )?,
    );
    set(&mut gov.profile, section.value(cx, &[profile_name], parse)?);
    Ok(gov)
}

/// The children of an `<audio_encoder>` over `default` (whose values count
/// only when the encoding stays the same). Does not finish the section.
///
/// `<sample_rate>` is in kHz, as the manual says; a value in Hz (`8000`) is
/// accepted with a warning. G.711 runs at 64 kbit/s whatever `<bitrate>`
/// says (with a warning when it says otherwise).
pub(crate) fn read_audio_encoder_settings(
    section: &mut Section<'_>,
    cx: &mut FileContext<'_>,
    default: AudioEncoderSettings,
) -> Result<AudioEncoderSettings, ConfigError> {
    let encoding = section
        .value(cx, &["encoding"], |t| {
            AudioEncoding::from_name(t).ok_or("expected G711, G726 or AAC")
        })?
        .unwrap_or(default.encoding);
    let mut settings = if encoding == default.encoding {
        default
    } else {
        AudioEncoderSettings {
            session_timeout: default.session_timeout,
            ..AudioEncoderSettings::for_encoding(encoding)
        }
    };
    set(
        &mut settings.session_timeout,
        read_number(
            section,
            cx,
            &["session_timeout"],
            SESSION_TIMEOUT_RANGE,
            "a number of seconds",
        )?,
    );
    let rates = encoding.sample_rates();
    if let Some(field) = section.leaf(cx, &["sample_rate"]) {
        if let Some(rate) = field.parse(cx, super::whole_number)? {
            let expected = || format!("expected {} (kHz) for {encoding}", list(rates));
            if rates.contains(&rate) {
                settings.sample_rate = rate;
            } else if let Some(khz) = rates.iter().copied().find(|&k| sample_rate_hz(k) == rate) {
                field.warn(
                    cx,
                    WarningKind::Note(format!(
                        "the sample rate is in kHz: {rate} is read as {khz}"
                    )),
                );
                settings.sample_rate = khz;
            } else {
                return Err(field.invalid(cx, expected()));
            }
        }
    }
    let bitrates = encoding.bitrates();
    if let Some(field) = section.leaf(cx, &["bitrate"]) {
        if let Some(rate) = field.parse(cx, super::whole_number)? {
            if bitrates.contains(&rate) {
                settings.bitrate = rate;
            } else if encoding == AudioEncoding::G711 {
                field.warn(
                    cx,
                    WarningKind::Note("G711 runs at 64 kbit/s; 64 is used".into()),
                );
                settings.bitrate = 64;
            } else {
                return Err(field.invalid(
                    cx,
                    format!("expected {} (kbit/s) for {encoding}", list(bitrates)),
                ));
            }
        }
    }
    Ok(settings)
}

/// `8, 16 or 32`.
fn list(values: &[u32]) -> String {
    let mut text = String::new();
    for (i, value) in values.iter().enumerate() {
        if i > 0 {
            text.push_str(if i + 1 == values.len() { " or " } else { ", " });
        }
        text.push_str(&value.to_string());
    }
    text
}

#[cfg(test)]
mod tests {
    use super::list;

    #[test]
    fn lists_read_well() {
        assert_eq!(list(&[8]), "8");
        assert_eq!(list(&[8, 16]), "8 or 16");
        assert_eq!(list(&[8, 16, 32]), "8, 16 or 32");
    }
}
