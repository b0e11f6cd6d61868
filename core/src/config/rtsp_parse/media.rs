//! The audio/video parts of `rtsp.cfg`: `<output>` settings, audio formats
//! and the back channel.

use crate::config::error::{ConfigError, WarningKind};
use crate::config::rtsp::{BackchannelConfig, OutputSettings};
use crate::config::section::{FileContext, Section};
use crate::config::values::{self, G726_RATES};
use crate::media::{AudioCodec, AudioOutput, VideoOutput};

/// The `<video>` and `<audio>` of an `<output>`.
pub(super) fn read_output_settings(
    section: &mut Section<'_>,
    cx: &mut FileContext<'_>,
) -> Result<OutputSettings, ConfigError> {
    let video = match section.section(cx, "video") {
        Some(video) => read_video_output(video, cx)?,
        None => VideoOutput::default(),
    };
    let audio = match section.section(cx, "audio") {
        Some(audio) => read_audio(audio, cx, AudioFields::Output)?,
        None => AudioOutput::default(),
    };
    Ok(OutputSettings { video, audio })
}

fn read_video_output(
    mut section: Section<'_>,
    cx: &mut FileContext<'_>,
) -> Result<VideoOutput, ConfigError> {
    let video = VideoOutput {
        codec: section.value(cx, &["codec"], values::video_codec)?,
        width: section
            .value(cx, &["width"], values::optional_count)?
            .flatten(),
        height: section
            .value(cx, &["height"], values::optional_count)?
            .flatten(),
        framerate: section
            .value(cx, &["framerate"], values::framerate)?
            .flatten(),
        bitrate_kbps: section
            .value(cx, &["bitrate"], values::optional_count)?
            .flatten(),
        // rtsp.cfg has no GOP setting; the encoder's default applies.
        keyframe_interval: None,
    };
    section.finish(cx);
    Ok(video)
}

/// Which children an audio section has: `<output><audio>` also takes a
/// `<bitrate>`; pusher input and back channel audio do not.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum AudioFields {
    Output,
    Format,
}

/// An optional `<output>` sub-section (of a proxy or pusher).
pub(super) fn read_optional_output(
    parent: &mut Section<'_>,
    cx: &mut FileContext<'_>,
) -> Result<Option<OutputSettings>, ConfigError> {
    let Some(mut output) = parent.section(cx, "output") else {
        return Ok(None);
    };
    let settings = read_output_settings(&mut output, cx)?;
    output.finish(cx);
    Ok(Some(settings))
}

/// An audio section, checked: G.726 is mono only, and takes its bit rate
/// (16/24/32/40 kbit/s) from `<bitrate>`.
pub(super) fn read_audio(
    mut section: Section<'_>,
    cx: &mut FileContext<'_>,
    fields: AudioFields,
) -> Result<AudioOutput, ConfigError> {
    let mut codec = section.value(cx, &["codec"], values::audio_codec)?;
    let sample_rate = section
        .value(cx, &["samplerate"], values::sample_rate)?
        .flatten();
    let channels_field = section.leaf(cx, &["channels"]);
    let channels = match &channels_field {
        Some(field) => field.parse(cx, values::channels)?.flatten(),
        None => None,
    };
    let bitrate_field = match fields {
        AudioFields::Output => section.leaf(cx, &["bitrate"]),
        AudioFields::Format => None,
    };
    let bitrate_kbps = match &bitrate_field {
        Some(field) => field.parse(cx, values::optional_count)?.flatten(),
        None => None,
    };
    section.finish(cx);

    if let Some(AudioCodec::G726 { kbps }) = &mut codec {
        if let (Some(2), Some(field)) = (channels, &channels_field) {
            return Err(field.invalid(cx, "G726 supports mono (1) only"));
        }
        match (bitrate_kbps, &bitrate_field) {
            (Some(rate), _) if G726_RATES.contains(&rate) => {
                // In G726_RATES, so it fits.
                *kbps = u8::try_from(rate).unwrap_or(values::G726_DEFAULT_KBPS);
            }
            (Some(_), Some(field)) => field.warn(
                cx,
                WarningKind::Note(format!(
                    "G726 runs at 16, 24, 32 or 40 kbit/s; {} is used",
                    values::G726_DEFAULT_KBPS
                )),
            ),
            _ => {}
        }
    }
    Ok(AudioOutput {
        codec,
        sample_rate,
        channels,
        bitrate_kbps,
    })
}

/// `<backchannel>`: defaults G711U, 8000 Hz, mono for what is empty or 0.
pub(super) fn read_backchannel(
    section: Section<'_>,
    cx: &mut FileContext<'_>,
) -> Result<BackchannelConfig, ConfigError> {
    let audio = read_audio(section, cx, AudioFields::Format)?;
    let default = BackchannelConfig::default();
    Ok(BackchannelConfig {
        codec: audio.codec.unwrap_or(default.codec),
        sample_rate: audio.sample_rate.unwrap_or(default.sample_rate),
        channels: audio.channels.unwrap_or(default.channels),
    })
}
