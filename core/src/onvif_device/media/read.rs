//! Reading the configurations clients send (Set*Configuration, CreateOSD,
//! SetOSD) into the device state's types.
//!
//! Each reader starts from the configuration as it is and applies what the
//! request carries, so a client that sends only some elements (the npm
//! `onvif` client leaves out what it was not asked to change) changes only
//! those. Parameters are looked up by namespace and then by local name
//! ([`Element::param`]). A value that is not what the schema allows (a
//! word where a number belongs, an unknown encoding) is a
//! `ter:ConfigModify` fault; whether a well-formed value is one the device
//! offers is for the state's checks to say (also `ter:ConfigModify`).

use std::net::IpAddr;
use std::str::FromStr;

use super::xml::{Dialect, media2_profile_name, parse_video_encoding};
use crate::config::{
    AudioEncoding, H264Profile, H265Profile, Mpeg4Profile, VideoEncoderSettings, VideoEncoding,
};
use crate::onvif::{Element, Fault, ns};
use crate::onvif_state::{
    AudioEncoderConfiguration, AudioSourceConfiguration, MetadataConfiguration, MulticastConfig,
    OSD_DATE_FORMATS, OSD_TIME_FORMATS, Osd, OsdContent, OsdPosition, OsdPositionKind, OsdText,
    OsdTextType, VideoEncoderConfiguration, VideoSourceConfiguration,
};

/// The trimmed text of the required parameter `name` of `parent`.
pub(crate) fn required_text<'a>(
    parent: &'a Element,
    ns: &str,
    name: &str,
) -> Result<&'a str, Fault> {
    Ok(parent.required(ns, name)?.text())
}

/// The `token` attribute of a configuration element.
pub(crate) fn token_attr(config: &Element) -> Result<&str, Fault> {
    config
        .attr("token")
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Fault::invalid_args(format!("<{}> without a token", config.name)))
}

/// A `tt:` child's text parsed as `T`; a value that does not parse is
/// `ter:ConfigModify`.
fn value<T: FromStr>(parent: &Element, name: &str) -> Result<Option<T>, Fault> {
    match parent.param(ns::TT, name) {
        None => Ok(None),
        Some(el) => el
            .text()
            .parse()
            .map(Some)
            .map_err(|_| bad(name, el.text())),
    }
}

/// A `tt:` child's text as an `xs:boolean`.
fn boolean(parent: &Element, name: &str) -> Result<Option<bool>, Fault> {
    match parent.param(ns::TT, name) {
        None => Ok(None),
        Some(el) => el.parse_bool().map(Some).map_err(|_| bad(name, el.text())),
    }
}

/// An attribute parsed as `T`.
fn attr_value<T: FromStr>(el: &Element, name: &str) -> Result<Option<T>, Fault> {
    match el.attr(name) {
        None => Ok(None),
        Some(text) => text.trim().parse().map(Some).map_err(|_| bad(name, text)),
    }
}

/// A `tt:` child's text, trimmed.
fn text<'a>(parent: &'a Element, name: &str) -> Option<&'a str> {
    parent.param_text(ns::TT, name)
}

fn bad(name: &str, text: &str) -> Fault {
    let shown: String = text.chars().take(64).collect();
    Fault::config_modify(format!("invalid {name} {shown:?}"))
}

/// An `xs:int` that must not be negative.
fn non_negative(parent: &Element, name: &str) -> Result<Option<u32>, Fault> {
    match value::<i64>(parent, name)? {
        None => Ok(None),
        Some(n) => u32::try_from(n)
            .map(Some)
            .map_err(|_| Fault::config_modify(format!("{name} {n} is out of range"))),
    }
}

/// A frame rate (`xs:int` in ver10, `xs:float` in Media2): whole frames
/// per second only.
fn framerate(parent: &Element, name: &str) -> Result<Option<u32>, Fault> {
    match value::<f64>(parent, name)? {
        None => Ok(None),
        Some(f) if f.is_finite() && f >= 0.0 && f.fract() == 0.0 && f <= f64::from(u32::MAX) => {
            // Checked to be a whole number in u32's range just above.
            Ok(Some(f as u32))
        }
        Some(f) => Err(Fault::config_modify(format!(
            "frame rate {f} is not a whole number of frames per second"
        ))),
    }
}

/// An `xs:float` quality.
fn quality(parent: &Element) -> Result<Option<f32>, Fault> {
    match value::<f32>(parent, "Quality")? {
        Some(q) if !q.is_finite() => Err(Fault::config_modify("quality must be a number")),
        other => Ok(other),
    }
}

/// `tt:SessionTimeout` (`xs:duration`) in whole seconds, rounded up.
fn session_timeout(parent: &Element) -> Result<Option<u32>, Fault> {
    match parent.param(ns::TT, "SessionTimeout") {
        None => Ok(None),
        Some(el) => {
            let d = el
                .parse_duration()
                .map_err(|_| bad("SessionTimeout", el.text()))?;
            let secs = d.as_secs() + u64::from(d.subsec_nanos() > 0);
            u32::try_from(secs)
                .map(Some)
                .map_err(|_| Fault::config_modify("session timeout too long"))
        }
    }
}

/// `tt:Name`: kept when absent.
fn name(parent: &Element, current: &str) -> String {
    text(parent, "Name").unwrap_or(current).to_owned()
}

/// `tt:MulticastConfiguration` over `current`.
pub(crate) fn read_multicast(
    el: Option<&Element>,
    current: MulticastConfig,
) -> Result<MulticastConfig, Fault> {
    let Some(el) = el else {
        return Ok(current);
    };
    let mut multicast = current;
    if let Some(address) = el.param(ns::TT, "Address") {
        let kind = text(address, "Type").unwrap_or("IPv4");
        let field = if kind.eq_ignore_ascii_case("IPv6") {
            "IPv6Address"
        } else if kind.eq_ignore_ascii_case("IPv4") {
            "IPv4Address"
        } else {
            return Err(bad("Address/Type", kind));
        };
        if let Some(text) = text(address, field) {
            let parsed: IpAddr = text.parse().map_err(|_| bad(field, text))?;
            if parsed.is_ipv6() != (field == "IPv6Address") {
                return Err(bad(field, text));
            }
            multicast.address = parsed;
        }
    }
    if let Some(port) = non_negative(el, "Port")? {
        multicast.port =
            u16::try_from(port).map_err(|_| Fault::config_modify(format!("port {port}")))?;
    }
    if let Some(ttl) = non_negative(el, "TTL")? {
        multicast.ttl =
            u8::try_from(ttl).map_err(|_| Fault::config_modify(format!("TTL {ttl}")))?;
    }
    if let Some(auto_start) = boolean(el, "AutoStart")? {
        multicast.auto_start = auto_start;
    }
    Ok(multicast)
}

/// `tt:VideoSourceConfiguration` over `current`.
pub(crate) fn read_video_source_configuration(
    el: &Element,
    current: &VideoSourceConfiguration,
) -> Result<VideoSourceConfiguration, Fault> {
    let mut config = current.clone();
    config.name = name(el, &current.name);
    if let Some(source) = text(el, "SourceToken") {
        config.source_token = source.to_owned();
    }
    if let Some(bounds) = el.param(ns::TT, "Bounds") {
        let side = |name: &str, current: u32| -> Result<u32, Fault> {
            Ok(attr_value::<i64>(bounds, name)?
                .map(|v| {
                    u32::try_from(v).map_err(|_| Fault::config_modify(format!("bounds {name} {v}")))
                })
                .transpose()?
                .unwrap_or(current))
        };
        config.bounds.x = side("x", current.bounds.x)?;
        config.bounds.y = side("y", current.bounds.y)?;
        config.bounds.width = side("width", current.bounds.width)?;
        config.bounds.height = side("height", current.bounds.height)?;
    }
    Ok(config)
}

/// Applies a codec profile name to the settings of `encoding` (ver10 or
/// Media2 spelling).
fn apply_profile(
    settings: &mut VideoEncoderSettings,
    encoding: VideoEncoding,
    profile: &str,
) -> Result<(), Fault> {
    let unknown = || {
        Fault::config_modify(format!(
            "profile {profile:?} is not a {} profile",
            encoding.name()
        ))
    };
    match encoding {
        VideoEncoding::Jpeg => {}
        VideoEncoding::Mpeg4 => {
            settings.mpeg4.profile = Mpeg4Profile::SUPPORTED
                .into_iter()
                .find(|p| {
                    p.name().eq_ignore_ascii_case(profile)
                        || media2_profile_name(p.name()).eq_ignore_ascii_case(profile)
                })
                .ok_or_else(unknown)?;
        }
        VideoEncoding::H264 => {
            settings.h264.profile = H264Profile::from_name(profile).ok_or_else(unknown)?;
        }
        VideoEncoding::H265 => {
            settings.h265.profile = H265Profile::from_name(profile).ok_or_else(unknown)?;
        }
    }
    Ok(())
}

/// Applies a GOV length to the settings of `encoding`.
fn apply_gov(settings: &mut VideoEncoderSettings, encoding: VideoEncoding, gov: u32) {
    match encoding {
        VideoEncoding::Jpeg => {}
        VideoEncoding::Mpeg4 => settings.mpeg4.gov_length = gov,
        VideoEncoding::H264 => settings.h264.gov_length = gov,
        VideoEncoding::H265 => settings.h265.gov_length = gov,
    }
}

/// `tt:VideoResolution` into the settings.
fn apply_resolution(settings: &mut VideoEncoderSettings, el: &Element) -> Result<(), Fault> {
    if let Some(resolution) = el.param(ns::TT, "Resolution") {
        if let Some(width) = non_negative(resolution, "Width")? {
            settings.resolution.width = width;
        }
        if let Some(height) = non_negative(resolution, "Height")? {
            settings.resolution.height = height;
        }
    }
    Ok(())
}

/// `tt:RateControl` into the settings: the frame rate limit, the encoding
/// interval (ver10's `tt:VideoRateControl` only; Media2's
/// `tt:VideoRateControl2` has none) and the bit rate limit.
fn apply_rate_control(
    settings: &mut VideoEncoderSettings,
    el: &Element,
    dialect: Dialect,
) -> Result<(), Fault> {
    let Some(rate) = el.param(ns::TT, "RateControl") else {
        return Ok(());
    };
    if let Some(fps) = framerate(rate, "FrameRateLimit")? {
        settings.framerate = fps;
    }
    if dialect == Dialect::Media1 {
        if let Some(interval) = non_negative(rate, "EncodingInterval")? {
            settings.encoding_interval = interval;
        }
    }
    if let Some(bitrate) = non_negative(rate, "BitrateLimit")? {
        settings.bitrate_limit = bitrate;
    }
    Ok(())
}

/// `tt:SessionTimeout` and `tt:Multicast`, the streaming settings that end
/// ver10's encoder and metadata configurations, over the current ones.
fn apply_streaming(
    el: &Element,
    timeout: &mut u32,
    multicast: &mut MulticastConfig,
) -> Result<(), Fault> {
    if let Some(seconds) = session_timeout(el)? {
        *timeout = seconds;
    }
    *multicast = read_multicast(el.param(ns::TT, "Multicast"), *multicast)?;
    Ok(())
}

/// `tt:VideoEncoderConfiguration` (Media ver10) over `current`. The
/// encoding must be a ver10 one (`JPEG`, `MPEG4`, `H264`).
pub(crate) fn read_video_encoder_configuration(
    el: &Element,
    current: &VideoEncoderConfiguration,
) -> Result<VideoEncoderConfiguration, Fault> {
    let mut config = current.clone();
    config.name = name(el, &current.name);
    let s = &mut config.settings;
    if let Some(encoding) = text(el, "Encoding") {
        s.encoding = VideoEncoding::from_name(encoding)
            .filter(|e| *e != VideoEncoding::H265)
            .ok_or_else(|| bad("Encoding", encoding))?;
    }
    apply_resolution(s, el)?;
    if let Some(q) = quality(el)? {
        s.quality = q;
    }
    apply_rate_control(s, el, Dialect::Media1)?;
    for (element, encoding, profile_element) in [
        ("MPEG4", VideoEncoding::Mpeg4, "Mpeg4Profile"),
        ("H264", VideoEncoding::H264, "H264Profile"),
    ] {
        if let Some(codec) = el.param(ns::TT, element) {
            if let Some(gov) = non_negative(codec, "GovLength")? {
                apply_gov(s, encoding, gov);
            }
            if let Some(profile) = text(codec, profile_element) {
                apply_profile(s, encoding, profile)?;
            }
        }
    }
    apply_streaming(el, &mut s.session_timeout, &mut config.multicast)?;
    Ok(config)
}

/// `tt:VideoEncoder2Configuration` (Media2) over `current`.
pub(crate) fn read_video_encoder2_configuration(
    el: &Element,
    current: &VideoEncoderConfiguration,
) -> Result<VideoEncoderConfiguration, Fault> {
    let mut config = current.clone();
    config.name = name(el, &current.name);
    let s = &mut config.settings;
    if let Some(encoding) = text(el, "Encoding") {
        s.encoding = parse_video_encoding(encoding).ok_or_else(|| bad("Encoding", encoding))?;
    }
    let encoding = s.encoding;
    apply_resolution(s, el)?;
    apply_rate_control(s, el, Dialect::Media2)?;
    if let Some(q) = quality(el)? {
        s.quality = q;
    }
    if let Some(gov) = attr_value::<i64>(el, "GovLength")? {
        let gov = u32::try_from(gov).map_err(|_| bad("GovLength", &gov.to_string()))?;
        apply_gov(s, encoding, gov);
    }
    if let Some(profile) = el.attr("Profile") {
        apply_profile(s, encoding, profile.trim())?;
    }
    config.multicast = read_multicast(el.param(ns::TT, "Multicast"), current.multicast)?;
    Ok(config)
}

/// `tt:AudioSourceConfiguration` over `current`.
pub(crate) fn read_audio_source_configuration(
    el: &Element,
    current: &AudioSourceConfiguration,
) -> Result<AudioSourceConfiguration, Fault> {
    let mut config = current.clone();
    config.name = name(el, &current.name);
    if let Some(source) = text(el, "SourceToken") {
        config.source_token = source.to_owned();
    }
    Ok(config)
}

/// `tt:AudioEncoderConfiguration` (ver10) or `tt:AudioEncoder2Configuration`
/// (Media2) over `current`: the encoding by either name (`G711`/`PCMU`,
/// `AAC`/`MP4A-LATM`), bit rate in kbit/s, sample rate in kHz.
pub(crate) fn read_audio_encoder_configuration(
    el: &Element,
    current: &AudioEncoderConfiguration,
) -> Result<AudioEncoderConfiguration, Fault> {
    let mut config = current.clone();
    config.name = name(el, &current.name);
    let s = &mut config.settings;
    if let Some(encoding) = text(el, "Encoding") {
        s.encoding = AudioEncoding::from_name(encoding).ok_or_else(|| bad("Encoding", encoding))?;
    }
    if let Some(bitrate) = non_negative(el, "Bitrate")? {
        s.bitrate = bitrate;
    }
    if let Some(rate) = non_negative(el, "SampleRate")? {
        s.sample_rate = rate;
    }
    apply_streaming(el, &mut s.session_timeout, &mut config.multicast)?;
    Ok(config)
}

/// `tt:MetadataConfiguration` over `current`: `PTZStatus` (Status or
/// Position) and `Events` switch those parts on when present (and off
/// when absent, since the element is the setting), `Analytics` as given.
pub(crate) fn read_metadata_configuration(
    el: &Element,
    current: &MetadataConfiguration,
) -> Result<MetadataConfiguration, Fault> {
    let mut config = current.clone();
    config.name = name(el, &current.name);
    config.ptz_status = match el.param(ns::TT, "PTZStatus") {
        Some(ptz) => {
            boolean(ptz, "Status")?.unwrap_or(false) || boolean(ptz, "Position")?.unwrap_or(false)
        }
        None => false,
    };
    config.events = el.param(ns::TT, "Events").is_some();
    if let Some(analytics) = boolean(el, "Analytics")? {
        config.analytics = analytics;
    }
    apply_streaming(el, &mut config.session_timeout, &mut config.multicast)?;
    Ok(config)
}

/// `tt:OSDConfiguration`: a text or image OSD. Omitted text settings take
/// the first offered date format, `HH:mm:ss` and 16 pt. The token is the
/// element's (empty when it has none: CreateOSD assigns one).
pub(crate) fn read_osd(el: &Element) -> Result<Osd, Fault> {
    let invalid = |what: String| Fault::invalid_arg_val(what);
    let video_source_configuration = required_text(el, ns::TT, "VideoSourceConfigurationToken")?;
    let kind = required_text(el, ns::TT, "Type")?;
    let position_el = el.required(ns::TT, "Position")?;
    let position_kind = required_text(position_el, ns::TT, "Type")?;
    let position_kind = OsdPositionKind::from_name(position_kind)
        .ok_or_else(|| invalid(format!("OSD position {position_kind:?} is not offered")))?;
    let (mut x, mut y) = (0.0, 0.0);
    if let Some(pos) = position_el.param(ns::TT, "Pos") {
        let coordinate = |name: &str| -> Result<f32, Fault> {
            let text = pos.attr(name).unwrap_or("0");
            crate::onvif::values::parse_float(text)
                .filter(|f| f.is_finite())
                // An f64 within f32 range is checked by the state (-1..1).
                .map(|f| f as f32)
                .ok_or_else(|| invalid(format!("OSD position {name}={text:?}")))
        };
        x = coordinate("x")?;
        y = coordinate("y")?;
    }
    let content = if kind.eq_ignore_ascii_case("Text") {
        let text_el = el.required(ns::TT, "TextString")?;
        let text_type = required_text(text_el, ns::TT, "Type")?;
        let text_type = OsdTextType::from_name(text_type)
            .ok_or_else(|| invalid(format!("OSD text type {text_type:?} is not offered")))?;
        let font_size = match text_el.param(ns::TT, "FontSize") {
            Some(size) => size.parse::<u32>()?,
            None => 16,
        };
        OsdContent::Text(OsdText {
            text_type,
            plain_text: text(text_el, "PlainText").unwrap_or_default().to_owned(),
            date_format: text(text_el, "DateFormat")
                .unwrap_or(OSD_DATE_FORMATS[4])
                .to_owned(),
            time_format: text(text_el, "TimeFormat")
                .unwrap_or(OSD_TIME_FORMATS[3])
                .to_owned(),
            font_size,
        })
    } else if kind.eq_ignore_ascii_case("Image") {
        let image = el.required(ns::TT, "Image")?;
        OsdContent::Image(required_text(image, ns::TT, "ImgPath")?.to_owned())
    } else {
        return Err(invalid(format!("OSD type {kind:?} is not offered")));
    };
    Ok(Osd {
        token: el
            .attr("token")
            .map(str::trim)
            .unwrap_or_default()
            .to_owned(),
        video_source_configuration: video_source_configuration.to_owned(),
        position: OsdPosition {
            kind: position_kind,
            x,
            y,
        },
        content,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{OnvifConfig, Resolution};
    use crate::onvif::xml::{XmlLimits, parse};
    use crate::onvif_state::DeviceState;

    fn element(xml: &str) -> Element {
        parse(xml.as_bytes(), &XmlLimits::default()).unwrap()
    }

    fn state() -> DeviceState {
        DeviceState::from_config(&OnvifConfig::default(), 3)
    }

    #[test]
    fn partial_ver10_encoder_changes_keep_the_rest() {
        let state = state();
        let current = &state.video_encoder_configurations()[0];
        let el = element(
            r#"<Configuration token = "VideoEncoderConfigurationToken_1" xmlns:tt="http://www.onvif.org/ver10/schema">
                 <tt:Resolution><tt:Width>640</tt:Width><tt:Height>480</tt:Height></tt:Resolution>
                 <tt:H264><tt:GovLength>50</tt:GovLength><tt:H264Profile>High</tt:H264Profile></tt:H264>
               </Configuration>"#,
        );
        assert_eq!(token_attr(&el).unwrap(), "VideoEncoderConfigurationToken_1");
        let next = read_video_encoder_configuration(&el, current).unwrap();
        assert_eq!(next.settings.resolution, Resolution::new(640, 480));
        assert_eq!(next.settings.h264.gov_length, 50);
        assert_eq!(next.settings.h264.profile, H264Profile::High);
        assert_eq!(next.settings.framerate, current.settings.framerate);
        assert_eq!(next.name, current.name);
        assert_eq!(next.multicast, current.multicast);
    }

    #[test]
    fn bad_values_are_config_modify() {
        let state = state();
        let current = &state.video_encoder_configurations()[0];
        for body in [
            "<tt:Encoding>H265</tt:Encoding>",
            "<tt:Encoding>VP9</tt:Encoding>",
            "<tt:Resolution><tt:Width>-1</tt:Width></tt:Resolution>",
            "<tt:Resolution><tt:Width>wide</tt:Width></tt:Resolution>",
            "<tt:Quality>NaN</tt:Quality>",
            "<tt:RateControl><tt:FrameRateLimit>12.5</tt:FrameRateLimit></tt:RateControl>",
            "<tt:H264><tt:H264Profile>Ultra</tt:H264Profile></tt:H264>",
            "<tt:SessionTimeout>forever</tt:SessionTimeout>",
            "<tt:Multicast><tt:Address><tt:Type>IPv4</tt:Type><tt:IPv4Address>::1</tt:IPv4Address></tt:Address></tt:Multicast>",
            "<tt:Multicast><tt:Port>70000</tt:Port></tt:Multicast>",
        ] {
            let el = element(&format!(
                r#"<C token="t" xmlns:tt="http://www.onvif.org/ver10/schema">{body}</C>"#
            ));
            let fault = read_video_encoder_configuration(&el, current).unwrap_err();
            assert!(
                fault.has_subcode(crate::onvif::fault::ter::CONFIG_MODIFY),
                "{body}: {fault}"
            );
        }
    }

    #[test]
    fn media2_encoder_attributes() {
        let state = state();
        let current = &state.video_encoder_configurations()[0];
        let el = element(
            r#"<Configuration token="VideoEncoderConfigurationToken_1" GovLength="60" Profile="Main10"
                   xmlns:tt="http://www.onvif.org/ver10/schema">
                 <tt:Name>hevc</tt:Name><tt:UseCount>1</tt:UseCount><tt:Encoding>H265</tt:Encoding>
                 <tt:Resolution><tt:Width>1920</tt:Width><tt:Height>1080</tt:Height></tt:Resolution>
                 <tt:RateControl ConstantBitRate="false"><tt:FrameRateLimit>30.0</tt:FrameRateLimit>
                 <tt:BitrateLimit>4096</tt:BitrateLimit></tt:RateControl>
                 <tt:Quality>80</tt:Quality>
               </Configuration>"#,
        );
        let next = read_video_encoder2_configuration(&el, current).unwrap();
        let s = &next.settings;
        assert_eq!(s.encoding, VideoEncoding::H265);
        assert_eq!(
            (s.h265.gov_length, s.h265.profile),
            (60, H265Profile::Main10)
        );
        assert_eq!((s.framerate, s.bitrate_limit), (30, 4096));
        assert_eq!(s.quality, 80.0);
        assert_eq!(next.name, "hevc");
        // The H.264 settings stay for a switch back.
        assert_eq!(s.h264, current.settings.h264);
        let el = element(
            r#"<C token="t" Profile="AdvancedSimple" xmlns:tt="http://www.onvif.org/ver10/schema"><tt:Encoding>MPV4-ES</tt:Encoding></C>"#,
        );
        let next = read_video_encoder2_configuration(&el, current).unwrap();
        assert_eq!(next.settings.mpeg4.profile, Mpeg4Profile::AdvancedSimple);
    }

    #[test]
    fn osds() {
        let el = element(
            r#"<OSD xmlns:tt="http://www.onvif.org/ver10/schema">
                 <tt:VideoSourceConfigurationToken>VideoSourceConfigurationToken_1</tt:VideoSourceConfigurationToken>
                 <tt:Type>Text</tt:Type>
                 <tt:Position><tt:Type>Custom</tt:Type><tt:Pos x="-0.5" y="0.25"/></tt:Position>
                 <tt:TextString><tt:Type>Plain</tt:Type><tt:PlainText>Gate</tt:PlainText></tt:TextString>
               </OSD>"#,
        );
        let osd = read_osd(&el).unwrap();
        assert_eq!(osd.token, "");
        assert_eq!(osd.position.kind, OsdPositionKind::Custom);
        assert_eq!((osd.position.x, osd.position.y), (-0.5, 0.25));
        let OsdContent::Text(text) = &osd.content else {
            panic!("text OSD expected")
        };
        assert_eq!(text.plain_text, "Gate");
        assert_eq!(text.font_size, 16);
        let el = element(
            r#"<OSD token="OSDToken_1" xmlns:tt="http://www.onvif.org/ver10/schema">
                 <tt:VideoSourceConfigurationToken>V</tt:VideoSourceConfigurationToken>
                 <tt:Type>Extended</tt:Type><tt:Position><tt:Type>UpperLeft</tt:Type></tt:Position></OSD>"#,
        );
        assert!(read_osd(&el).is_err());
    }
}
