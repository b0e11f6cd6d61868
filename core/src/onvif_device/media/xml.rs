//! XML writers for the types the Media (ver10) and Media2 (ver20) services
//! share: profiles, sources, configurations, their options, OSDs and media
//! URIs, from the device state ([`crate::onvif_state`]).
//!
//! Every writer takes the element name to write (`trt:Profiles`,
//! `tr2:Configurations`, `tt:VideoSourceConfiguration` ...) since the same
//! schema type appears under many names, and writes the content in the
//! schema's `sequence` order with the `tt:` prefix, as the official XSDs
//! require (the responses are validated against them in the tests).
//!
//! Media ver10 and Media2 differ in the encoder types: ver10 writes
//! `tt:VideoEncoderConfiguration` / `tt:AudioEncoderConfiguration` with the
//! ver10 encoding names (`H264`, `MPEG4`, `G711`), Media2 writes
//! `tt:VideoEncoder2Configuration` / `tt:AudioEncoder2Configuration` with
//! the MIME names (`H264`, `H265`, `MPV4-ES`, `PCMU`, `MP4A-LATM`). The
//! ver10 `tt:VideoEncoding` enumeration has no H.265, so Media ver10 does
//! not show H.265 encoder configurations at all ([`media1_visible`]).

use std::ops::RangeInclusive;
use std::time::Duration;

use crate::config::{AudioEncoding, Resolution, VideoEncoderSettings, VideoEncoding};
use crate::onvif::XmlWriter;
use crate::onvif::values::format_duration;
use crate::onvif_state::{
    AudioEncoderConfiguration, AudioEncoderOptions, AudioSource, AudioSourceConfiguration,
    ConfigurationKind, DeviceState, EncoderInstances, MetadataConfiguration, MulticastConfig, Osd,
    OsdContent, OsdOptions, OsdPositionKind, OsdTextType, Profile, VideoEncoderConfiguration,
    VideoEncoderOptions, VideoSource, VideoSourceConfiguration, VideoSourceConfigurationOptions,
};

/// Which media service a configuration is written for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// Media ver10 (`trt`): `tt:VideoEncoderConfiguration`,
    /// `tt:AudioEncoderConfiguration`, ver10 encoding names.
    Media1,
    /// Media2 ver20 (`tr2`): `tt:VideoEncoder2Configuration`,
    /// `tt:AudioEncoder2Configuration`, MIME encoding names.
    Media2,
}

/// Whether Media ver10 can show this video encoder configuration: its
/// `tt:VideoEncoding` is JPEG, MPEG4 or H264 only, so H.265
/// configurations exist in Media2 alone.
pub fn media1_visible(config: &VideoEncoderConfiguration) -> bool {
    config.settings.encoding != VideoEncoding::H265
}

/// The Media2 name of a video encoding (`tt:VideoEncodingMimeNames`):
/// `JPEG`, `MPV4-ES` (ONVIF's spelling of MP4V-ES), `H264`, `H265`.
pub fn media2_video_encoding(encoding: VideoEncoding) -> &'static str {
    match encoding {
        VideoEncoding::Jpeg => "JPEG",
        VideoEncoding::Mpeg4 => "MPV4-ES",
        VideoEncoding::H264 => "H264",
        VideoEncoding::H265 => "H265",
    }
}

/// The video encoding for a ver10 or Media2 name, any case (`MPV4-ES`,
/// `MP4V-ES` and `MPEG4` are all MPEG-4).
pub fn parse_video_encoding(name: &str) -> Option<VideoEncoding> {
    if name.eq_ignore_ascii_case("MPV4-ES") {
        return Some(VideoEncoding::Mpeg4);
    }
    VideoEncoding::from_name(name)
}

/// The Media2 name of a codec profile (`tt:VideoEncodingProfiles`): the
/// ver10 MPEG-4 names `SP`/`ASP` are `Simple`/`AdvancedSimple` there.
pub fn media2_profile_name(name: &str) -> &str {
    match name {
        "SP" => "Simple",
        "ASP" => "AdvancedSimple",
        other => other,
    }
}

/// The Media2 name of an audio encoding (`tt:AudioEncodingMimeNames`):
/// `PCMU`, `G726`, `MP4A-LATM`.
pub fn media2_audio_encoding(encoding: AudioEncoding) -> &'static str {
    encoding.rtp_name()
}

/// `<name><tt:Min>..</tt:Min><tt:Max>..</tt:Max></name>` (`tt:IntRange`).
pub fn write_int_range(w: &mut XmlWriter, name: &str, range: &RangeInclusive<u32>) {
    w.elem(name, |w| {
        w.leaf_display("tt:Min", range.start());
        w.leaf_display("tt:Max", range.end());
    });
}

/// `tt:VideoResolution` (and `tt:VideoResolution2`): Width, Height.
pub fn write_resolution(w: &mut XmlWriter, name: &str, size: Resolution) {
    w.elem(name, |w| {
        w.leaf_display("tt:Width", size.width);
        w.leaf_display("tt:Height", size.height);
    });
}

/// `tt:MediaUri`: the URI, valid indefinitely (ONVIF: InvalidAfterConnect
/// and InvalidAfterReboot false, Timeout `PT0S`).
pub fn write_media_uri(w: &mut XmlWriter, name: &str, uri: &str) {
    w.elem(name, |w| {
        w.leaf("tt:Uri", uri);
        w.leaf("tt:InvalidAfterConnect", "false");
        w.leaf("tt:InvalidAfterReboot", "false");
        w.leaf("tt:Timeout", "PT0S");
    });
}

/// `tt:VideoSource`: token, frame rate, resolution.
pub fn write_video_source(w: &mut XmlWriter, name: &str, source: &VideoSource) {
    w.start(name).attr("token", &source.token);
    w.leaf_display("tt:Framerate", source.framerate);
    write_resolution(w, "tt:Resolution", source.resolution);
    w.end();
}

/// `tt:AudioSource`: token, channels.
pub fn write_audio_source(w: &mut XmlWriter, name: &str, source: &AudioSource) {
    w.start(name).attr("token", &source.token);
    w.leaf_display("tt:Channels", source.channels);
    w.end();
}

/// `tt:MulticastConfiguration`.
pub fn write_multicast(w: &mut XmlWriter, name: &str, multicast: &MulticastConfig) {
    w.elem(name, |w| {
        w.elem("tt:Address", |w| match multicast.address {
            std::net::IpAddr::V4(v4) => {
                w.leaf("tt:Type", "IPv4");
                w.leaf_display("tt:IPv4Address", v4);
            }
            std::net::IpAddr::V6(v6) => {
                w.leaf("tt:Type", "IPv6");
                w.leaf_display("tt:IPv6Address", v6);
            }
        });
        w.leaf_display("tt:Port", multicast.port);
        w.leaf_display("tt:TTL", multicast.ttl);
        w.leaf("tt:AutoStart", bool_str(multicast.auto_start));
    });
}

/// An RTSP session timeout in seconds as `xs:duration`.
fn session_timeout(seconds: u32) -> String {
    format_duration(Duration::from_secs(u64::from(seconds)))
}

fn bool_str(value: bool) -> &'static str {
    if value { "true" } else { "false" }
}

/// A configuration as `tt:ConfigurationEntity` shows it: its kind (for
/// the use count), token and name.
trait ConfigurationEntity {
    const KIND: ConfigurationKind;
    fn token(&self) -> &str;
    fn name(&self) -> &str;
}

macro_rules! configuration_entity {
    ($($config:ty => $kind:ident;)*) => {
        $(
            impl ConfigurationEntity for $config {
                const KIND: ConfigurationKind = ConfigurationKind::$kind;
                fn token(&self) -> &str {
                    &self.token
                }
                fn name(&self) -> &str {
                    &self.name
                }
            }
        )*
    };
}

configuration_entity! {
    VideoSourceConfiguration => VideoSource;
    VideoEncoderConfiguration => VideoEncoder;
    AudioSourceConfiguration => AudioSource;
    AudioEncoderConfiguration => AudioEncoder;
    MetadataConfiguration => Metadata;
}

/// `tt:ConfigurationEntity`'s start: the element with its token, Name and
/// UseCount.
fn start_configuration<C: ConfigurationEntity>(
    w: &mut XmlWriter,
    name: &str,
    state: &DeviceState,
    config: &C,
) {
    w.start(name).attr("token", config.token());
    write_name_and_use_count(w, state, config);
}

/// `tt:ConfigurationEntity`'s Name and UseCount (how many profiles use
/// the configuration).
fn write_name_and_use_count<C: ConfigurationEntity>(
    w: &mut XmlWriter,
    state: &DeviceState,
    config: &C,
) {
    w.leaf("tt:Name", config.name());
    w.leaf_display("tt:UseCount", state.use_count(C::KIND, config.token()));
}

/// `tt:VideoSourceConfiguration`.
pub fn write_video_source_configuration(
    w: &mut XmlWriter,
    name: &str,
    state: &DeviceState,
    config: &VideoSourceConfiguration,
) {
    start_configuration(w, name, state, config);
    w.leaf("tt:SourceToken", &config.source_token);
    w.start("tt:Bounds")
        .attr_display("x", config.bounds.x)
        .attr_display("y", config.bounds.y)
        .attr_display("width", config.bounds.width)
        .attr_display("height", config.bounds.height)
        .end();
    w.end();
}

/// `tt:VideoEncoderConfiguration` (Media ver10). Do not call it for an
/// H.265 configuration ([`media1_visible`]): ver10 has no name for it.
pub fn write_video_encoder_configuration(
    w: &mut XmlWriter,
    name: &str,
    state: &DeviceState,
    config: &VideoEncoderConfiguration,
) {
    let s: &VideoEncoderSettings = &config.settings;
    start_configuration(w, name, state, config);
    w.leaf("tt:Encoding", s.encoding.name());
    write_resolution(w, "tt:Resolution", s.resolution);
    w.leaf_display("tt:Quality", s.quality);
    w.elem("tt:RateControl", |w| {
        w.leaf_display("tt:FrameRateLimit", s.framerate);
        w.leaf_display("tt:EncodingInterval", s.encoding_interval);
        w.leaf_display("tt:BitrateLimit", s.bitrate_limit);
    });
    match s.encoding {
        VideoEncoding::Mpeg4 => {
            w.elem("tt:MPEG4", |w| {
                w.leaf_display("tt:GovLength", s.mpeg4.gov_length);
                w.leaf("tt:Mpeg4Profile", s.mpeg4.profile.name());
            });
        }
        VideoEncoding::H264 => {
            w.elem("tt:H264", |w| {
                w.leaf_display("tt:GovLength", s.h264.gov_length);
                w.leaf("tt:H264Profile", s.h264.profile.name());
            });
        }
        VideoEncoding::Jpeg | VideoEncoding::H265 => {}
    }
    write_multicast(w, "tt:Multicast", &config.multicast);
    w.leaf("tt:SessionTimeout", &session_timeout(s.session_timeout));
    w.end();
}

/// `tt:VideoEncoder2Configuration` (Media2).
pub fn write_video_encoder2_configuration(
    w: &mut XmlWriter,
    name: &str,
    state: &DeviceState,
    config: &VideoEncoderConfiguration,
) {
    let s = &config.settings;
    w.start(name).attr("token", &config.token);
    if let Some(gov) = s.gov_length() {
        w.attr_display("GovLength", gov);
    }
    if let Some(profile) = s.profile_name() {
        w.attr("Profile", media2_profile_name(profile));
    }
    write_name_and_use_count(w, state, config);
    w.leaf("tt:Encoding", media2_video_encoding(s.encoding));
    write_resolution(w, "tt:Resolution", s.resolution);
    w.elem("tt:RateControl", |w| {
        w.leaf_display("tt:FrameRateLimit", s.framerate);
        w.leaf_display("tt:BitrateLimit", s.bitrate_limit);
    });
    write_multicast(w, "tt:Multicast", &config.multicast);
    w.leaf_display("tt:Quality", s.quality);
    w.end();
}

/// `tt:AudioSourceConfiguration`.
pub fn write_audio_source_configuration(
    w: &mut XmlWriter,
    name: &str,
    state: &DeviceState,
    config: &AudioSourceConfiguration,
) {
    start_configuration(w, name, state, config);
    w.leaf("tt:SourceToken", &config.source_token);
    w.end();
}

/// `tt:AudioEncoderConfiguration` (Media ver10).
pub fn write_audio_encoder_configuration(
    w: &mut XmlWriter,
    name: &str,
    state: &DeviceState,
    config: &AudioEncoderConfiguration,
) {
    let s = &config.settings;
    start_configuration(w, name, state, config);
    w.leaf("tt:Encoding", s.encoding.name());
    w.leaf_display("tt:Bitrate", s.bitrate);
    w.leaf_display("tt:SampleRate", s.sample_rate);
    write_multicast(w, "tt:Multicast", &config.multicast);
    w.leaf("tt:SessionTimeout", &session_timeout(s.session_timeout));
    w.end();
}

/// `tt:AudioEncoder2Configuration` (Media2).
pub fn write_audio_encoder2_configuration(
    w: &mut XmlWriter,
    name: &str,
    state: &DeviceState,
    config: &AudioEncoderConfiguration,
) {
    let s = &config.settings;
    start_configuration(w, name, state, config);
    w.leaf("tt:Encoding", media2_audio_encoding(s.encoding));
    write_multicast(w, "tt:Multicast", &config.multicast);
    w.leaf_display("tt:Bitrate", s.bitrate);
    w.leaf_display("tt:SampleRate", s.sample_rate);
    w.end();
}

/// `tt:MetadataConfiguration`: PTZ status, events (all topics, no
/// filter), analytics, multicast, session timeout.
pub fn write_metadata_configuration(
    w: &mut XmlWriter,
    name: &str,
    state: &DeviceState,
    config: &MetadataConfiguration,
) {
    start_configuration(w, name, state, config);
    if config.ptz_status {
        w.elem("tt:PTZStatus", |w| {
            w.leaf("tt:Status", "true");
            w.leaf("tt:Position", "true");
        });
    }
    if config.events {
        w.empty("tt:Events");
    }
    w.leaf("tt:Analytics", bool_str(config.analytics));
    write_multicast(w, "tt:Multicast", &config.multicast);
    w.leaf(
        "tt:SessionTimeout",
        &session_timeout(config.session_timeout),
    );
    w.end();
}

/// Writes the configuration of `kind` with `token` as `name`, in the
/// service's dialect. Returns `false` (and writes nothing) when there is
/// no such configuration, or Media ver10 cannot show it (H.265).
pub fn write_configuration(
    w: &mut XmlWriter,
    name: &str,
    state: &DeviceState,
    kind: ConfigurationKind,
    token: &str,
    dialect: Dialect,
) -> bool {
    match kind {
        ConfigurationKind::VideoSource => match state.video_source_configuration(token) {
            Some(c) => write_video_source_configuration(w, name, state, c),
            None => return false,
        },
        ConfigurationKind::VideoEncoder => match state.video_encoder_configuration(token) {
            Some(c) if dialect == Dialect::Media2 => {
                write_video_encoder2_configuration(w, name, state, c)
            }
            Some(c) if media1_visible(c) => write_video_encoder_configuration(w, name, state, c),
            _ => return false,
        },
        ConfigurationKind::AudioSource => match state.audio_source_configuration(token) {
            Some(c) => write_audio_source_configuration(w, name, state, c),
            None => return false,
        },
        ConfigurationKind::AudioEncoder => match state.audio_encoder_configuration(token) {
            Some(c) if dialect == Dialect::Media2 => {
                write_audio_encoder2_configuration(w, name, state, c)
            }
            Some(c) => write_audio_encoder_configuration(w, name, state, c),
            None => return false,
        },
        ConfigurationKind::Metadata => match state.metadata_configuration(token) {
            Some(c) => write_metadata_configuration(w, name, state, c),
            None => return false,
        },
    }
    true
}

/// Whether the service can show the configuration of `kind` with `token`
/// (it exists, and for Media ver10 is not H.265).
pub fn configuration_visible(
    state: &DeviceState,
    kind: ConfigurationKind,
    token: &str,
    dialect: Dialect,
) -> bool {
    match kind {
        ConfigurationKind::VideoEncoder => state
            .video_encoder_configuration(token)
            .is_some_and(|c| dialect == Dialect::Media2 || media1_visible(c)),
        _ => state.configuration_exists(kind, token),
    }
}

/// `tt:Profile` (Media ver10): the profile's configurations in schema
/// order. An H.265 video encoder configuration is left out (ver10 cannot
/// name its encoding); the profile's stream still carries it.
pub fn write_profile(w: &mut XmlWriter, name: &str, state: &DeviceState, profile: &Profile) {
    w.start(name)
        .attr("token", &profile.token)
        .attr("fixed", bool_str(profile.fixed));
    w.leaf("tt:Name", &profile.name);
    for (kind, element) in [
        (
            ConfigurationKind::VideoSource,
            "tt:VideoSourceConfiguration",
        ),
        (
            ConfigurationKind::AudioSource,
            "tt:AudioSourceConfiguration",
        ),
        (
            ConfigurationKind::VideoEncoder,
            "tt:VideoEncoderConfiguration",
        ),
        (
            ConfigurationKind::AudioEncoder,
            "tt:AudioEncoderConfiguration",
        ),
        (ConfigurationKind::Metadata, "tt:MetadataConfiguration"),
    ] {
        if let Some(token) = profile.configuration(kind) {
            write_configuration(w, element, state, kind, token, Dialect::Media1);
        }
    }
    w.end();
}

/// `tr2:MediaProfile` (Media2). `kinds` are the configuration types asked
/// for (GetProfiles `Type`); with none, the profile is written without
/// `Configurations`, as the Media2 specification says.
pub fn write_media_profile(
    w: &mut XmlWriter,
    name: &str,
    state: &DeviceState,
    profile: &Profile,
    kinds: &[ConfigurationKind],
) {
    w.start(name)
        .attr("token", &profile.token)
        .attr("fixed", bool_str(profile.fixed));
    w.leaf("tr2:Name", &profile.name);
    // tr2:ConfigurationSet order.
    let order = [
        (ConfigurationKind::VideoSource, "tr2:VideoSource"),
        (ConfigurationKind::AudioSource, "tr2:AudioSource"),
        (ConfigurationKind::VideoEncoder, "tr2:VideoEncoder"),
        (ConfigurationKind::AudioEncoder, "tr2:AudioEncoder"),
        (ConfigurationKind::Metadata, "tr2:Metadata"),
    ];
    let present: Vec<(ConfigurationKind, &str, &str)> = order
        .into_iter()
        .filter(|(kind, _)| kinds.contains(kind))
        .filter_map(|(kind, element)| {
            profile
                .configuration(kind)
                .filter(|token| state.configuration_exists(kind, token))
                .map(|token| (kind, element, token))
        })
        .collect();
    if !present.is_empty() {
        w.elem("tr2:Configurations", |w| {
            for (kind, element, token) in present {
                write_configuration(w, element, state, kind, token, Dialect::Media2);
            }
        });
    }
    w.end();
}

/// `tt:VideoSourceConfigurationOptions`.
pub fn write_video_source_configuration_options(
    w: &mut XmlWriter,
    name: &str,
    options: &VideoSourceConfigurationOptions,
) {
    w.start(name)
        .attr_display("MaximumNumberOfProfiles", options.max_profiles);
    w.elem("tt:BoundsRange", |w| {
        write_int_range(w, "tt:XRange", &options.x);
        write_int_range(w, "tt:YRange", &options.y);
        write_int_range(w, "tt:WidthRange", &options.width);
        write_int_range(w, "tt:HeightRange", &options.height);
    });
    for token in &options.source_tokens {
        w.leaf("tt:VideoSourceTokensAvailable", token);
    }
    w.end();
}

/// The quality range as whole numbers (`tt:IntRange` in ver10).
fn quality_ints(options: &VideoEncoderOptions) -> RangeInclusive<u32> {
    let to_int = |q: f32| {
        if q.is_finite() && q > 0.0 {
            // Bounded above by the finite check and QUALITY_RANGE (0-100).
            q.round().min(1e6) as u32
        } else {
            0
        }
    };
    to_int(*options.quality.start())..=to_int(*options.quality.end())
}

/// `tt:VideoEncoderConfigurationOptions` (Media ver10): JPEG, MPEG4 and
/// H264 with their ranges, and the same again with bit rate ranges in
/// `tt:Extension` (`JpegOptions2` ...), as ONVIF Device Manager reads them.
pub fn write_video_encoder_options(w: &mut XmlWriter, name: &str, state: &DeviceState) {
    let jpeg = state.video_encoder_options(VideoEncoding::Jpeg);
    let mpeg4 = state.video_encoder_options(VideoEncoding::Mpeg4);
    let h264 = state.video_encoder_options(VideoEncoding::H264);
    w.start(name);
    write_int_range(w, "tt:QualityRange", &quality_ints(&h264));
    for extended in [false, true] {
        if extended {
            w.start("tt:Extension");
        }
        for (element, options, profiles) in [
            ("tt:JPEG", &jpeg, None),
            ("tt:MPEG4", &mpeg4, Some("tt:Mpeg4ProfilesSupported")),
            ("tt:H264", &h264, Some("tt:H264ProfilesSupported")),
        ] {
            w.elem(element, |w| {
                write_codec_ranges(w, options);
                if let Some(profiles) = profiles {
                    for profile in &options.profiles {
                        w.leaf(profiles, profile);
                    }
                }
                if extended {
                    write_int_range(w, "tt:BitrateRange", &options.bitrate);
                }
            });
        }
        if extended {
            w.end();
        }
    }
    w.end();
}

/// The shared start of `tt:JpegOptions`, `tt:Mpeg4Options`,
/// `tt:H264Options`: resolutions, GOV length (not JPEG), frame rate and
/// encoding interval ranges.
fn write_codec_ranges(w: &mut XmlWriter, options: &VideoEncoderOptions) {
    for size in &options.resolutions {
        write_resolution(w, "tt:ResolutionsAvailable", *size);
    }
    if let Some(gov) = &options.gov_length {
        write_int_range(w, "tt:GovLengthRange", gov);
    }
    write_int_range(w, "tt:FrameRateRange", &options.framerate);
    write_int_range(w, "tt:EncodingIntervalRange", &options.encoding_interval);
}

/// `tt:VideoEncoder2ConfigurationOptions` (Media2) for one encoding.
pub fn write_video_encoder2_options(w: &mut XmlWriter, name: &str, options: &VideoEncoderOptions) {
    let join = |items: Vec<String>| items.join(" ");
    w.start(name);
    if let Some(gov) = &options.gov_length {
        w.attr("GovLengthRange", &format!("{} {}", gov.start(), gov.end()));
    }
    w.attr(
        "FrameRatesSupported",
        &join(options.framerates.iter().map(u32::to_string).collect()),
    );
    if !options.profiles.is_empty() {
        w.attr(
            "ProfilesSupported",
            &join(
                options
                    .profiles
                    .iter()
                    .map(|p| media2_profile_name(p).to_owned())
                    .collect(),
            ),
        );
    }
    w.attr("ConstantBitRateSupported", "false");
    w.leaf("tt:Encoding", media2_video_encoding(options.encoding));
    w.elem("tt:QualityRange", |w| {
        w.leaf_display("tt:Min", options.quality.start());
        w.leaf_display("tt:Max", options.quality.end());
    });
    for size in &options.resolutions {
        write_resolution(w, "tt:ResolutionsAvailable", *size);
    }
    write_int_range(w, "tt:BitrateRange", &options.bitrate);
    w.end();
}

/// `tt:AudioSourceConfigurationOptions`: the audio sources available.
pub fn write_audio_source_options(w: &mut XmlWriter, name: &str, state: &DeviceState) {
    w.elem(name, |w| {
        for source in state.audio_sources() {
            w.leaf("tt:InputTokensAvailable", &source.token);
        }
    });
}

/// `tt:IntItems`: the numbers as `tt:Items`.
fn write_items(w: &mut XmlWriter, name: &str, items: &[u32]) {
    w.elem(name, |w| {
        for item in items {
            w.leaf_display("tt:Items", item);
        }
    });
}

/// `tt:AudioEncoderConfigurationOptions` (Media ver10): one
/// `tt:Options` per encoding with its bit rates and sample rates.
pub fn write_audio_encoder_options(w: &mut XmlWriter, name: &str, state: &DeviceState) {
    w.elem(name, |w| {
        for &encoding in state.audio_encodings() {
            let options = state.audio_encoder_options(encoding);
            w.elem("tt:Options", |w| {
                w.leaf("tt:Encoding", encoding.name());
                write_items(w, "tt:BitrateList", &options.bitrates);
                write_items(w, "tt:SampleRateList", &options.sample_rates);
            });
        }
    });
}

/// `tt:AudioEncoder2ConfigurationOptions` (Media2) for one encoding.
pub fn write_audio_encoder2_options(w: &mut XmlWriter, name: &str, options: &AudioEncoderOptions) {
    w.elem(name, |w| {
        w.leaf("tt:Encoding", media2_audio_encoding(options.encoding));
        write_items(w, "tt:BitrateList", &options.bitrates);
        write_items(w, "tt:SampleRateList", &options.sample_rates);
    });
}

/// `tt:MetadataConfigurationOptions`: no PTZ status (no PTZ yet).
pub fn write_metadata_options(w: &mut XmlWriter, name: &str) {
    w.elem(name, |w| {
        w.elem("tt:PTZStatusFilterOptions", |w| {
            w.leaf("tt:PanTiltStatusSupported", "false");
            w.leaf("tt:ZoomStatusSupported", "false");
            w.leaf("tt:PanTiltPositionSupported", "false");
            w.leaf("tt:ZoomPositionSupported", "false");
        });
    });
}

/// `tt:OSDConfiguration`.
pub fn write_osd(w: &mut XmlWriter, name: &str, osd: &Osd) {
    w.start(name).attr("token", &osd.token);
    w.leaf(
        "tt:VideoSourceConfigurationToken",
        &osd.video_source_configuration,
    );
    w.leaf(
        "tt:Type",
        match osd.content {
            OsdContent::Text(_) => "Text",
            OsdContent::Image(_) => "Image",
        },
    );
    w.elem("tt:Position", |w| {
        w.leaf("tt:Type", osd.position.kind.name());
        if osd.position.kind == OsdPositionKind::Custom {
            w.start("tt:Pos")
                .attr_display("x", osd.position.x)
                .attr_display("y", osd.position.y)
                .end();
        }
    });
    match &osd.content {
        OsdContent::Text(text) => {
            w.elem("tt:TextString", |w| {
                w.leaf("tt:Type", text.text_type.name());
                if matches!(text.text_type, OsdTextType::Date | OsdTextType::DateAndTime) {
                    w.leaf("tt:DateFormat", &text.date_format);
                }
                if matches!(text.text_type, OsdTextType::Time | OsdTextType::DateAndTime) {
                    w.leaf("tt:TimeFormat", &text.time_format);
                }
                w.leaf_display("tt:FontSize", text.font_size);
                if text.text_type == OsdTextType::Plain {
                    w.leaf("tt:PlainText", &text.plain_text);
                }
            });
        }
        OsdContent::Image(path) => {
            w.elem("tt:Image", |w| {
                w.leaf("tt:ImgPath", path);
            });
        }
    }
    w.end();
}

/// `tt:OSDConfigurationOptions`. Image OSDs take any path or URL, so no
/// `ImageOption` list is offered.
pub fn write_osd_options(w: &mut XmlWriter, name: &str, options: &OsdOptions) {
    w.elem(name, |w| {
        w.start("tt:MaximumNumberOfOSDs")
            .attr_display("Total", options.max_total)
            .attr_display("Image", options.max_image)
            .attr_display("PlainText", options.max_per_text_type)
            .attr_display("Date", options.max_per_text_type)
            .attr_display("Time", options.max_per_text_type)
            .attr_display("DateAndTime", options.max_per_text_type)
            .end();
        w.leaf("tt:Type", "Text");
        if options.max_image > 0 {
            w.leaf("tt:Type", "Image");
        }
        for position in &options.positions {
            w.leaf("tt:PositionOption", position.name());
        }
        w.elem("tt:TextOption", |w| {
            for text_type in &options.text_types {
                w.leaf("tt:Type", text_type.name());
            }
            write_int_range(w, "tt:FontSizeRange", &options.font_size);
            for format in &options.date_formats {
                w.leaf("tt:DateFormat", format);
            }
            for format in &options.time_formats {
                w.leaf("tt:TimeFormat", format);
            }
        });
    });
}

/// `tr2:EncoderInstanceInfo` (Media2 GetVideoEncoderInstances).
pub fn write_encoder_instances(w: &mut XmlWriter, name: &str, instances: &EncoderInstances) {
    w.elem(name, |w| {
        for (encoding, number) in &instances.per_encoding {
            w.elem("tr2:Codec", |w| {
                w.leaf("tr2:Encoding", media2_video_encoding(*encoding));
                w.leaf_display("tr2:Number", number);
            });
        }
        w.leaf_display("tr2:Total", instances.total);
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::OnvifConfig;

    fn state() -> DeviceState {
        DeviceState::from_config(&OnvifConfig::default(), 3)
    }

    #[test]
    fn media2_names() {
        assert_eq!(media2_video_encoding(VideoEncoding::Mpeg4), "MPV4-ES");
        for encoding in VideoEncoding::ALL {
            assert_eq!(
                parse_video_encoding(media2_video_encoding(encoding)),
                Some(encoding)
            );
            assert_eq!(parse_video_encoding(encoding.name()), Some(encoding));
        }
        assert_eq!(parse_video_encoding("mp4v-es"), Some(VideoEncoding::Mpeg4));
        assert_eq!(parse_video_encoding("VP8"), None);
        assert_eq!(media2_profile_name("ASP"), "AdvancedSimple");
        assert_eq!(media2_profile_name("Main10"), "Main10");
        assert_eq!(media2_audio_encoding(AudioEncoding::Aac), "MP4A-LATM");
    }

    #[test]
    fn profile_in_schema_order() {
        let state = state();
        let mut w = XmlWriter::new();
        write_profile(&mut w, "trt:Profiles", &state, &state.profiles()[0]);
        let xml = w.finish();
        assert!(xml.starts_with(
            "<trt:Profiles token=\"ProfileToken_1\" fixed=\"true\"><tt:Name>MainStream</tt:Name>\
             <tt:VideoSourceConfiguration token=\"VideoSourceConfigurationToken_1\">"
        ));
        let order: Vec<usize> = [
            "<tt:VideoSourceConfiguration ",
            "<tt:AudioSourceConfiguration ",
            "<tt:VideoEncoderConfiguration ",
            "<tt:AudioEncoderConfiguration ",
        ]
        .iter()
        .map(|tag| xml.find(tag).unwrap())
        .collect();
        assert!(order.windows(2).all(|p| p[0] < p[1]), "{xml}");
        assert!(xml.contains(
            "<tt:RateControl><tt:FrameRateLimit>25</tt:FrameRateLimit>\
             <tt:EncodingInterval>1</tt:EncodingInterval><tt:BitrateLimit>2048</tt:BitrateLimit>\
             </tt:RateControl><tt:H264><tt:GovLength>25</tt:GovLength>\
             <tt:H264Profile>Main</tt:H264Profile></tt:H264>"
        ));
        assert!(xml.contains("<tt:SessionTimeout>PT1M</tt:SessionTimeout>"));
        assert!(xml.contains("<tt:Quality>70</tt:Quality>"));
    }

    #[test]
    fn media_profile_writes_only_the_asked_types() {
        let state = state();
        let profile = &state.profiles()[0];
        let mut w = XmlWriter::new();
        write_media_profile(&mut w, "tr2:Profiles", &state, profile, &[]);
        assert_eq!(
            w.finish(),
            "<tr2:Profiles token=\"ProfileToken_1\" fixed=\"true\"><tr2:Name>MainStream</tr2:Name></tr2:Profiles>"
        );
        let mut w = XmlWriter::new();
        write_media_profile(
            &mut w,
            "tr2:Profiles",
            &state,
            profile,
            &[ConfigurationKind::VideoEncoder],
        );
        let xml = w.finish();
        assert!(xml.contains(
            "<tr2:Configurations><tr2:VideoEncoder token=\"VideoEncoderConfigurationToken_1\" \
             GovLength=\"25\" Profile=\"Main\"><tt:Name>"
        ));
        assert!(!xml.contains("tr2:VideoSource"));
    }
}
