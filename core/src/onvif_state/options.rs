//! What the device advertises (the `Get*Options` answers) and the checks
//! that hold every change to it.
//!
//! The ranges are those of the config ([`crate::config::QUALITY_RANGE`]
//! ...); the resolutions are the encoding's standard sizes plus every size
//! a video encoder configuration uses, so the current configuration is
//! always inside the options.

use std::ops::RangeInclusive;

use super::types::{MulticastConfig, Osd, OsdContent, OsdPositionKind, OsdTextType};
use super::{DeviceState, MAX_OSDS, StateError, validate};
use crate::config::{
    AudioEncoderSettings, AudioEncoding, BITRATE_RANGE, ENCODING_INTERVAL_RANGE, FRAMERATE_RANGE,
    GOV_LENGTH_RANGE, H264Profile, H265Profile, Mpeg4Profile, QUALITY_RANGE, Resolution,
    SESSION_TIMEOUT_RANGE, VideoEncoderSettings, VideoEncoding,
};

/// Frame rates listed in Media2 `FrameRatesSupported` (those in
/// [`FRAMERATE_RANGE`]).
const LISTED_FRAMERATES: [u32; 12] = [1, 2, 5, 6, 10, 12, 15, 20, 25, 30, 50, 60];

/// The date formats an OSD offers (ONVIF's list).
pub const OSD_DATE_FORMATS: [&str; 8] = [
    "M/d/yyyy",
    "MM/dd/yyyy",
    "dd/MM/yyyy",
    "yyyy/MM/dd",
    "yyyy-MM-dd",
    "dddd, MMMM dd, yyyy",
    "MMMM dd, yyyy",
    "dd MMMM, yyyy",
];

/// The time formats an OSD offers (ONVIF's list).
pub const OSD_TIME_FORMATS: [&str; 4] = ["h:mm:ss tt", "hh:mm:ss tt", "H:mm:ss", "HH:mm:ss"];

/// OSD font sizes offered, in points.
const OSD_FONT_SIZE_RANGE: RangeInclusive<u32> = 8..=64;

/// The options of one video encoding (GetVideoEncoderConfigurationOptions).
#[derive(Clone, Debug, PartialEq)]
pub struct VideoEncoderOptions {
    /// The encoding.
    pub encoding: VideoEncoding,
    /// The resolutions offered, largest first.
    pub resolutions: Vec<Resolution>,
    /// Quality range.
    pub quality: RangeInclusive<f32>,
    /// Frame rate range (Media ver10 `FrameRateRange`).
    pub framerate: RangeInclusive<u32>,
    /// The frame rates listed for Media2 `FrameRatesSupported`.
    pub framerates: Vec<u32>,
    /// Encoding interval range.
    pub encoding_interval: RangeInclusive<u32>,
    /// Bit rate range in kbit/s.
    pub bitrate: RangeInclusive<u32>,
    /// GOV length range; `None` for JPEG.
    pub gov_length: Option<RangeInclusive<u32>>,
    /// The profiles offered (`Baseline`, `Main`, `High`; `Main`, `Main10`;
    /// `SP`, `ASP`); empty for JPEG.
    pub profiles: Vec<&'static str>,
}

/// The options of one audio encoding (GetAudioEncoderConfigurationOptions).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AudioEncoderOptions {
    /// The encoding.
    pub encoding: AudioEncoding,
    /// Bit rates in kbit/s.
    pub bitrates: Vec<u32>,
    /// Sample rates in kHz.
    pub sample_rates: Vec<u32>,
}

/// GetVideoSourceConfigurationOptions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VideoSourceConfigurationOptions {
    /// Left edge range.
    pub x: RangeInclusive<u32>,
    /// Top edge range.
    pub y: RangeInclusive<u32>,
    /// Width range.
    pub width: RangeInclusive<u32>,
    /// Height range.
    pub height: RangeInclusive<u32>,
    /// The video sources a configuration may use.
    pub source_tokens: Vec<String>,
    /// Most profiles that may use one configuration.
    pub max_profiles: u32,
}

/// GetOSDOptions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OsdOptions {
    /// Most OSDs in total.
    pub max_total: u32,
    /// Most image OSDs.
    pub max_image: u32,
    /// Most text OSDs of each text type.
    pub max_per_text_type: u32,
    /// The positions offered.
    pub positions: Vec<OsdPositionKind>,
    /// The text types offered.
    pub text_types: Vec<OsdTextType>,
    /// The date formats offered.
    pub date_formats: Vec<&'static str>,
    /// The time formats offered.
    pub time_formats: Vec<&'static str>,
    /// The font size range.
    pub font_size: RangeInclusive<u32>,
}

/// GetGuaranteedNumberOfVideoEncoderInstances / GetVideoEncoderInstances.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncoderInstances {
    /// Instances guaranteed in total.
    pub total: u32,
    /// Instances guaranteed per encoding.
    pub per_encoding: Vec<(VideoEncoding, u32)>,
}

impl DeviceState {
    /// The video encodings the device offers (all four; H.265 is Media2
    /// only in ONVIF, the Media service leaves it out).
    pub fn video_encodings(&self) -> &'static [VideoEncoding] {
        &VideoEncoding::ALL
    }

    /// The options of `encoding`.
    pub fn video_encoder_options(&self, encoding: VideoEncoding) -> VideoEncoderOptions {
        let mut resolutions: Vec<Resolution> = encoding.standard_resolutions().to_vec();
        for config in &self.video_encoder_configurations {
            let size = config.settings.resolution;
            if !resolutions.contains(&size) && encoding.check_resolution(size).is_ok() {
                resolutions.push(size);
            }
        }
        resolutions.sort_by(|a, b| b.area().cmp(&a.area()).then(b.width.cmp(&a.width)));
        let mut profiles: Vec<&'static str> = match encoding {
            VideoEncoding::Jpeg => Vec::new(),
            VideoEncoding::Mpeg4 => Mpeg4Profile::SUPPORTED.iter().map(|p| p.name()).collect(),
            VideoEncoding::H264 => H264Profile::SUPPORTED.iter().map(|p| p.name()).collect(),
            VideoEncoding::H265 => H265Profile::SUPPORTED.iter().map(|p| p.name()).collect(),
        };
        // A profile a configuration uses (H.264 Extended from a config
        // file) stays valid for it.
        for config in &self.video_encoder_configurations {
            if config.settings.encoding == encoding {
                if let Some(name) = config.settings.profile_name() {
                    if !profiles.contains(&name) {
                        profiles.push(name);
                    }
                }
            }
        }
        VideoEncoderOptions {
            encoding,
            resolutions,
            quality: QUALITY_RANGE,
            framerate: FRAMERATE_RANGE,
            framerates: LISTED_FRAMERATES
                .into_iter()
                .filter(|r| FRAMERATE_RANGE.contains(r))
                .collect(),
            encoding_interval: ENCODING_INTERVAL_RANGE,
            bitrate: BITRATE_RANGE,
            gov_length: encoding.has_gov().then_some(GOV_LENGTH_RANGE),
            profiles,
        }
    }

    /// Checks video encoder settings against the options of their
    /// encoding; the error names the offending value.
    pub fn check_video_encoder_settings(
        &self,
        settings: &VideoEncoderSettings,
    ) -> Result<(), StateError> {
        let options = self.video_encoder_options(settings.encoding);
        let refuse = |what: String| Err(StateError::ConfigModify(what));
        if !options.resolutions.contains(&settings.resolution) {
            return refuse(format!(
                "resolution {} is not offered for {}",
                settings.resolution, settings.encoding
            ));
        }
        if !settings.quality.is_finite() || !options.quality.contains(&settings.quality) {
            return refuse(format!("quality {} is outside 0-100", settings.quality));
        }
        check_range("frame rate", settings.framerate, &options.framerate)?;
        check_range(
            "encoding interval",
            settings.encoding_interval,
            &options.encoding_interval,
        )?;
        check_range("bit rate", settings.bitrate_limit, &options.bitrate)?;
        check_range(
            "session timeout",
            settings.session_timeout,
            &SESSION_TIMEOUT_RANGE,
        )?;
        if let (Some(gov), Some(range)) = (settings.gov_length(), &options.gov_length) {
            check_range("GOV length", gov, range)?;
        }
        if let Some(profile) = settings.profile_name() {
            if !options.profiles.contains(&profile) {
                return refuse(format!(
                    "profile {profile} is not offered for {}",
                    settings.encoding
                ));
            }
        }
        Ok(())
    }

    /// The options of audio `encoding`.
    pub fn audio_encoder_options(&self, encoding: AudioEncoding) -> AudioEncoderOptions {
        AudioEncoderOptions {
            encoding,
            bitrates: encoding.bitrates().to_vec(),
            sample_rates: encoding.sample_rates().to_vec(),
        }
    }

    /// The audio encodings the device offers.
    pub fn audio_encodings(&self) -> &'static [AudioEncoding] {
        &AudioEncoding::ALL
    }

    /// Checks audio encoder settings against the options of their encoding.
    pub fn check_audio_encoder_settings(
        &self,
        settings: &AudioEncoderSettings,
    ) -> Result<(), StateError> {
        let encoding = settings.encoding;
        if !encoding.bitrates().contains(&settings.bitrate) {
            return Err(StateError::ConfigModify(format!(
                "bit rate {} kbit/s is not offered for {encoding}",
                settings.bitrate
            )));
        }
        if !encoding.sample_rates().contains(&settings.sample_rate) {
            return Err(StateError::ConfigModify(format!(
                "sample rate {} kHz is not offered for {encoding}",
                settings.sample_rate
            )));
        }
        check_range(
            "session timeout",
            settings.session_timeout,
            &SESSION_TIMEOUT_RANGE,
        )
    }

    /// GetVideoSourceConfigurationOptions for a configuration (its
    /// source's size bounds the rectangle) or for any (the largest source).
    pub fn video_source_configuration_options(
        &self,
        config_token: Option<&str>,
    ) -> Result<VideoSourceConfigurationOptions, StateError> {
        let size = match config_token {
            Some(token) => {
                let config = self
                    .video_source_configuration(token)
                    .ok_or_else(|| StateError::NoConfig(token.to_owned()))?;
                self.video_source(&config.source_token)
                    .map(|s| s.resolution)
                    .unwrap_or_default()
            }
            None => self
                .video_sources
                .iter()
                .map(|s| s.resolution)
                .max_by_key(|r| r.area())
                .unwrap_or_default(),
        };
        Ok(VideoSourceConfigurationOptions {
            x: 0..=size.width.saturating_sub(1),
            y: 0..=size.height.saturating_sub(1),
            width: 1.min(size.width)..=size.width,
            height: 1.min(size.height)..=size.height,
            source_tokens: self.video_sources.iter().map(|s| s.token.clone()).collect(),
            max_profiles: u32::try_from(crate::config::MAX_PROFILES).unwrap_or(u32::MAX),
        })
    }

    /// GetOSDOptions.
    pub fn osd_options(&self) -> OsdOptions {
        let max = u32::try_from(MAX_OSDS).unwrap_or(u32::MAX);
        OsdOptions {
            max_total: max,
            max_image: max,
            max_per_text_type: max,
            positions: OsdPositionKind::ALL.to_vec(),
            text_types: OsdTextType::ALL.to_vec(),
            date_formats: OSD_DATE_FORMATS.to_vec(),
            time_formats: OSD_TIME_FORMATS.to_vec(),
            font_size: OSD_FONT_SIZE_RANGE,
        }
    }

    /// The encoder instances guaranteed for a video source configuration:
    /// at least 4, and at least as many as there are encoder configurations.
    pub fn guaranteed_video_encoder_instances(
        &self,
        video_source_configuration: &str,
    ) -> Result<EncoderInstances, StateError> {
        if self
            .video_source_configuration(video_source_configuration)
            .is_none()
        {
            return Err(StateError::NoConfig(video_source_configuration.to_owned()));
        }
        let total = u32::try_from(self.video_encoder_configurations.len().max(4)).unwrap_or(4);
        Ok(EncoderInstances {
            total,
            per_encoding: VideoEncoding::ALL.iter().map(|&e| (e, total)).collect(),
        })
    }
}

/// `value` within `range`, or a ConfigModify naming `what`.
fn check_range(what: &str, value: u32, range: &RangeInclusive<u32>) -> Result<(), StateError> {
    if range.contains(&value) {
        Ok(())
    } else {
        Err(StateError::ConfigModify(format!(
            "{what} {value} is outside {}-{}",
            range.start(),
            range.end()
        )))
    }
}

/// A multicast group must be a multicast address or unspecified (none).
pub(super) fn check_multicast(multicast: &MulticastConfig) -> Result<(), StateError> {
    let address = multicast.address;
    if address.is_multicast() || address.is_unspecified() {
        Ok(())
    } else {
        Err(StateError::ConfigModify(format!(
            "multicast address {address} is not a multicast group"
        )))
    }
}

/// A configuration name: trimmed, at most 64 characters, clean.
pub(super) fn clean_name(name: &str) -> Result<String, StateError> {
    let name = name.trim();
    validate::check_name(name, validate::MAX_NAME_LEN)
        .map_err(|why| StateError::ConfigModify(format!("name: {why}")))?;
    Ok(name.to_owned())
}

/// An OSD's content and position against [`DeviceState::osd_options`].
pub(super) fn check_osd(osd: &Osd) -> Result<(), StateError> {
    let position = osd.position;
    if position.kind == OsdPositionKind::Custom {
        let inside = |v: f32| v.is_finite() && (-1.0..=1.0).contains(&v);
        if !inside(position.x) || !inside(position.y) {
            return Err(StateError::InvalidArgument(
                "OSD custom position outside -1..1".into(),
            ));
        }
    }
    match &osd.content {
        OsdContent::Text(text) => {
            if !OSD_FONT_SIZE_RANGE.contains(&text.font_size) {
                return Err(StateError::InvalidArgument(format!(
                    "OSD font size {} outside {}-{}",
                    text.font_size,
                    OSD_FONT_SIZE_RANGE.start(),
                    OSD_FONT_SIZE_RANGE.end()
                )));
            }
            if !OSD_DATE_FORMATS.contains(&text.date_format.as_str()) {
                return Err(StateError::InvalidArgument(format!(
                    "OSD date format {:?} is not offered",
                    text.date_format
                )));
            }
            if !OSD_TIME_FORMATS.contains(&text.time_format.as_str()) {
                return Err(StateError::InvalidArgument(format!(
                    "OSD time format {:?} is not offered",
                    text.time_format
                )));
            }
            validate::check_name(&text.plain_text, validate::MAX_OSD_TEXT_LEN)
                .map_err(|why| StateError::InvalidArgument(format!("OSD text: {why}")))
        }
        OsdContent::Image(path) => {
            if path.is_empty() {
                return Err(StateError::InvalidArgument(
                    "OSD image path is empty".into(),
                ));
            }
            validate::check_name(path, validate::MAX_OSD_TEXT_LEN)
                .map_err(|why| StateError::InvalidArgument(format!("OSD image path: {why}")))
        }
    }
}
