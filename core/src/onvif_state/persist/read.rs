//! Reading `onvifrun.cfg` text back into a [`DeviceState`].

use std::collections::HashSet;
use std::net::IpAddr;

use super::RUNTIME_VERSION;
use crate::config::onvif_parse::{
    FileContext, Section, any_text, boolean, check_root, ip_address, parse_root,
    read_audio_encoder_settings, read_event, read_information, read_number, read_scopes,
    read_server_settings, read_users, read_video_encoder_settings, whole_number,
};
use crate::config::xml::Element;
use crate::config::{
    AudioEncoderSettings, ConfigError, ConfigWarning, DEFAULT_STREAM, DIMENSION_RANGE,
    FRAMERATE_RANGE, OnvifConfig, Resolution, SESSION_TIMEOUT_RANGE, VideoEncoderSettings,
    WarningKind,
};
use crate::onvif_state::types::{
    AudioEncoderConfiguration, AudioSource, AudioSourceConfiguration, Bounds, DateTimeSettings,
    DateTimeType, DiscoveryMode, InterfaceOverride, MetadataConfiguration, MulticastConfig,
    NetworkHost, NetworkProtocol, NetworkSettings, Osd, OsdContent, OsdPosition, OsdPositionKind,
    OsdText, OsdTextType, PrefixedIpv4, Profile, ProtocolKind, RelayIdleState, RelayMode,
    RelayOutput, ServerSettings, VideoEncoderConfiguration, VideoSource, VideoSourceConfiguration,
};
use crate::onvif_state::{DeviceState, PosixTz, validate};
use crate::rng::Rng;

/// The file being read: its name, for errors made here.
#[derive(Clone, Copy)]
struct Reader<'f> {
    file: &'f str,
}

impl Reader<'_> {
    fn invalid(&self, element: &Element, path: &str, value: &str, expected: &str) -> ConfigError {
        ConfigError::invalid(self.file, element.line, path, value, expected)
    }

    /// The `token` attribute of a list entry: present, valid, and not
    /// used by an earlier entry of the same list.
    fn token(
        &self,
        element: &Element,
        path: &str,
        seen: &mut HashSet<String>,
    ) -> Result<String, ConfigError> {
        let attr_path = format!("{path}@token");
        let token = element.attribute("token").unwrap_or("");
        validate::check_token(token)
            .map_err(|why| self.invalid(element, &attr_path, token, why))?;
        if !seen.insert(token.to_owned()) {
            return Err(self.invalid(
                element,
                &attr_path,
                token,
                "expected a token not used by an entry above",
            ));
        }
        Ok(token.to_owned())
    }

    /// The trimmed text of every child `name` of `parent` (claimed in the
    /// section, so they are not reported as unknown).
    fn texts<'a>(
        &self,
        section: &mut Section<'a>,
        parent: &'a Element,
        name: &str,
    ) -> Vec<&'a Element> {
        let _claimed = section.repeated(name);
        parent.children.iter().filter(|c| c.name == name).collect()
    }
}

/// A list entry's section and element.
fn entries<'a>(
    top: &mut Section<'a>,
    root: &'a Element,
    name: &str,
) -> Vec<(Section<'a>, &'a Element)> {
    top.repeated(name)
        .into_iter()
        .zip(root.children.iter().filter(|c| c.name == name))
        .collect()
}

/// A sub-section and its element (the first one, as the section takes).
fn sub<'a>(
    parent: &mut Section<'a>,
    parent_element: &'a Element,
    cx: &mut FileContext<'_>,
    name: &str,
) -> Option<(Section<'a>, &'a Element)> {
    let section = parent.section(cx, name)?;
    let element = parent_element.child(name)?;
    Some((section, element))
}

/// A required text leaf (missing or empty = error), parsed.
fn required<T>(
    section: &mut Section<'_>,
    cx: &mut FileContext<'_>,
    reader: Reader<'_>,
    element: &Element,
    path: &str,
    name: &str,
    parse: fn(&str) -> Result<T, &'static str>,
) -> Result<T, ConfigError> {
    let field = section.leaf(cx, &[name]);
    match &field {
        Some(field) => match field.parse(cx, parse)? {
            Some(value) => Ok(value),
            None => Err(field.invalid(cx, "a value is required")),
        },
        None => Err(reader.invalid(
            element,
            &format!("{path}/{name}"),
            "",
            "this element is required",
        )),
    }
}

/// A name leaf: clean text of at most 64 characters (empty allowed).
fn name_leaf(
    section: &mut Section<'_>,
    cx: &mut FileContext<'_>,
    names: &[&str],
) -> Result<String, ConfigError> {
    let Some(field) = section.leaf(cx, names) else {
        return Ok(String::new());
    };
    let name = field.parse(cx, any_text)?.unwrap_or_default();
    validate::check_name(&name, validate::MAX_NAME_LEN).map_err(|why| field.invalid(cx, why))?;
    Ok(name)
}

/// A token reference leaf; checked against `known` later.
fn reference(
    section: &mut Section<'_>,
    cx: &mut FileContext<'_>,
    name: &str,
    known: &HashSet<String>,
) -> Result<Option<String>, ConfigError> {
    let Some(field) = section.leaf(cx, &[name]) else {
        return Ok(None);
    };
    let Some(token) = field.parse(cx, any_text)? else {
        return Ok(None);
    };
    if !known.contains(&token) {
        return Err(field.invalid(cx, "expected the token of an entry of this file"));
    }
    Ok(Some(token))
}

impl DeviceState {
    /// Reads `onvifrun.cfg` text written by [`DeviceState::to_runtime_xml`]
    /// (or edited by hand): the state and the warnings to log, or the first
    /// error. `file` names the file in messages; the caller reads it.
    ///
    /// The default stream is not in the file: it is `testsrc` until the
    /// runtime sets it. A file without `<EndpointReference>` gets one
    /// derived from its text (with a warning), so it stays stable as long
    /// as the file does.
    pub fn from_runtime_xml(
        text: &str,
        file: &str,
    ) -> Result<(DeviceState, Vec<ConfigWarning>), ConfigError> {
        let root = parse_root(text, file)?;
        let mut cx = FileContext::new(file);
        check_root(&root, &mut cx);
        let reader = Reader { file };
        let mut top = Section::root(&root);
        if let Some(field) = top.leaf(&mut cx, &["runtime_version"]) {
            if let Some(version) = field.parse(&cx, whole_number)? {
                if version > RUNTIME_VERSION {
                    field.warn(
                        &mut cx,
                        WarningKind::Note(format!(
                            "written by a newer version (layout {version}); read as layout {RUNTIME_VERSION}"
                        )),
                    );
                }
            }
        }
        let mut config = OnvifConfig::default();
        read_server_settings(&mut top, &mut cx, &mut config)?;
        let server = config.server.clone();
        let endpoint_reference = match config.endpoint_reference {
            Some(epr) => epr,
            None => {
                cx.warn(
                    root.line,
                    "EndpointReference",
                    WarningKind::Note("missing; one was derived from the file".into()),
                );
                Rng::new(fnv1a(text.as_bytes())).uuid_urn()
            }
        };
        let information = read_information(&mut top, &mut cx)?.unwrap_or_default();
        let users = read_users(&mut top, &mut cx, true)?;

        let video_sources = read_video_sources(&mut top, &root, &mut cx, reader)?;
        let source_tokens: HashSet<String> =
            video_sources.iter().map(|s| s.token.clone()).collect();
        let video_source_configurations =
            read_video_source_configurations(&mut top, &root, &mut cx, reader, &source_tokens)?;
        let video_encoder_configurations = read_video_encoders(&mut top, &root, &mut cx, reader)?;
        let audio_sources = read_audio_sources(&mut top, &root, &mut cx, reader)?;
        let audio_source_tokens: HashSet<String> =
            audio_sources.iter().map(|s| s.token.clone()).collect();
        let audio_source_configurations = read_audio_source_configurations(
            &mut top,
            &root,
            &mut cx,
            reader,
            &audio_source_tokens,
        )?;
        let audio_encoder_configurations = read_audio_encoders(&mut top, &root, &mut cx, reader)?;
        let metadata_configurations = read_metadata(&mut top, &root, &mut cx, reader)?;
        let vsc_tokens: HashSet<String> = video_source_configurations
            .iter()
            .map(|c| c.token.clone())
            .collect();
        let osds = read_osds(&mut top, &root, &mut cx, reader, &vsc_tokens)?;
        let relay_outputs = read_relays(&mut top, &root, &mut cx, reader)?;

        let known = Known {
            video_source: vsc_tokens,
            video_encoder: video_encoder_configurations
                .iter()
                .map(|c| c.token.clone())
                .collect(),
            audio_source: audio_source_configurations
                .iter()
                .map(|c| c.token.clone())
                .collect(),
            audio_encoder: audio_encoder_configurations
                .iter()
                .map(|c| c.token.clone())
                .collect(),
            metadata: metadata_configurations
                .iter()
                .map(|c| c.token.clone())
                .collect(),
        };
        let profiles = read_profiles(&mut top, &root, &mut cx, reader, &known)?;
        let scopes = read_scopes(&mut top, &root, &mut cx, file)?;
        let event = read_event(&mut top, &mut cx)?.unwrap_or_default();
        let date_time = match sub(&mut top, &root, &mut cx, "SystemDateTime") {
            Some((section, _)) => read_date_time(section, &mut cx)?,
            None => DateTimeSettings::default(),
        };
        let network = match sub(&mut top, &root, &mut cx, "network") {
            Some((section, element)) => read_network(section, element, &mut cx, reader, &server)?,
            None => NetworkSettings::from_server(&server),
        };
        top.finish(&mut cx);
        let state = DeviceState {
            server,
            information,
            users,
            scopes,
            event,
            profiles,
            video_sources,
            video_source_configurations,
            video_encoder_configurations,
            audio_sources,
            audio_source_configurations,
            audio_encoder_configurations,
            metadata_configurations,
            osds,
            relay_outputs,
            network,
            date_time,
            endpoint_reference,
            default_stream: DEFAULT_STREAM.to_owned(),
            multicast_streaming: Vec::new(),
        };
        Ok((state, cx.into_warnings()))
    }
}

/// The configuration tokens a profile may name.
struct Known {
    video_source: HashSet<String>,
    video_encoder: HashSet<String>,
    audio_source: HashSet<String>,
    audio_encoder: HashSet<String>,
    metadata: HashSet<String>,
}

/// FNV-1a, to derive a stable seed from a file's text.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn read_video_sources<'a>(
    top: &mut Section<'a>,
    root: &'a Element,
    cx: &mut FileContext<'_>,
    reader: Reader<'_>,
) -> Result<Vec<VideoSource>, ConfigError> {
    let mut seen = HashSet::new();
    let mut sources = Vec::new();
    for (mut section, element) in entries(top, root, "VideoSources") {
        let token = reader.token(element, "VideoSources", &mut seen)?;
        let width = read_number(&mut section, cx, &["width"], DIMENSION_RANGE, "a width")?;
        let height = read_number(&mut section, cx, &["height"], DIMENSION_RANGE, "a height")?;
        let framerate = read_number(
            &mut section,
            cx,
            &["framerate"],
            FRAMERATE_RANGE,
            "a frame rate",
        )?;
        section.finish(cx);
        let (Some(width), Some(height)) = (width, height) else {
            return Err(reader.invalid(
                element,
                "VideoSources",
                &token,
                "expected <width> and <height>",
            ));
        };
        sources.push(VideoSource {
            token,
            resolution: Resolution { width, height },
            framerate: framerate.unwrap_or(25),
        });
    }
    Ok(sources)
}

fn read_video_source_configurations<'a>(
    top: &mut Section<'a>,
    root: &'a Element,
    cx: &mut FileContext<'_>,
    reader: Reader<'_>,
    sources: &HashSet<String>,
) -> Result<Vec<VideoSourceConfiguration>, ConfigError> {
    let mut seen = HashSet::new();
    let mut configs = Vec::new();
    for (mut section, element) in entries(top, root, "VideoSourceConfigurations") {
        let token = reader.token(element, "VideoSourceConfigurations", &mut seen)?;
        let name = name_leaf(&mut section, cx, &["name"])?;
        let source_token = reference(&mut section, cx, "source_token", sources)?;
        let Some(source_token) = source_token else {
            return Err(reader.invalid(
                element,
                "VideoSourceConfigurations/source_token",
                "",
                "this element is required",
            ));
        };
        let bounds = match section.section(cx, "bounds") {
            Some(mut b) => {
                let any = 0..=u32::MAX;
                let bounds = Bounds {
                    x: read_number(&mut b, cx, &["x"], any.clone(), "a position")?.unwrap_or(0),
                    y: read_number(&mut b, cx, &["y"], any.clone(), "a position")?.unwrap_or(0),
                    width: read_number(&mut b, cx, &["width"], any.clone(), "a width")?
                        .unwrap_or(0),
                    height: read_number(&mut b, cx, &["height"], any, "a height")?.unwrap_or(0),
                };
                b.finish(cx);
                bounds
            }
            None => Bounds::default(),
        };
        section.finish(cx);
        configs.push(VideoSourceConfiguration {
            token,
            name,
            source_token,
            bounds,
        });
    }
    Ok(configs)
}

fn read_multicast(
    section: &mut Section<'_>,
    cx: &mut FileContext<'_>,
    default: MulticastConfig,
) -> Result<MulticastConfig, ConfigError> {
    let Some(mut m) = section.section(cx, "multicast") else {
        return Ok(default);
    };
    let mut multicast = default;
    if let Some(address) = m.value(cx, &["address"], ip_address)? {
        multicast.address = address;
    }
    if let Some(port) = read_number(&mut m, cx, &["port"], 0..=65_535, "a port")? {
        multicast.port = u16::try_from(port).unwrap_or(0);
    }
    if let Some(ttl) = read_number(&mut m, cx, &["ttl"], 0..=255, "a TTL")? {
        multicast.ttl = u8::try_from(ttl).unwrap_or(0);
    }
    if let Some(auto_start) = m.value(cx, &["auto_start"], boolean)? {
        multicast.auto_start = auto_start;
    }
    m.finish(cx);
    Ok(multicast)
}

/// Multicast defaults when a file entry has no `<multicast>`.
fn no_multicast() -> MulticastConfig {
    MulticastConfig {
        address: IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
        port: 0,
        ttl: 1,
        auto_start: false,
    }
}

fn read_video_encoders<'a>(
    top: &mut Section<'a>,
    root: &'a Element,
    cx: &mut FileContext<'_>,
    reader: Reader<'_>,
) -> Result<Vec<VideoEncoderConfiguration>, ConfigError> {
    let mut seen = HashSet::new();
    let mut configs = Vec::new();
    for (mut section, element) in entries(top, root, "VideoEncoderConfigurations") {
        let token = reader.token(element, "VideoEncoderConfigurations", &mut seen)?;
        let name = name_leaf(&mut section, cx, &["name"])?;
        let settings =
            read_video_encoder_settings(&mut section, cx, VideoEncoderSettings::default())?;
        let multicast = read_multicast(&mut section, cx, no_multicast())?;
        section.finish(cx);
        configs.push(VideoEncoderConfiguration {
            token,
            name,
            settings,
            multicast,
        });
    }
    Ok(configs)
}

fn read_audio_sources<'a>(
    top: &mut Section<'a>,
    root: &'a Element,
    cx: &mut FileContext<'_>,
    reader: Reader<'_>,
) -> Result<Vec<AudioSource>, ConfigError> {
    let mut seen = HashSet::new();
    let mut sources = Vec::new();
    for (mut section, element) in entries(top, root, "AudioSources") {
        let token = reader.token(element, "AudioSources", &mut seen)?;
        let channels = read_number(&mut section, cx, &["channels"], 1..=8, "a channel count")?;
        section.finish(cx);
        sources.push(AudioSource {
            token,
            channels: channels.unwrap_or(1),
        });
    }
    Ok(sources)
}

fn read_audio_source_configurations<'a>(
    top: &mut Section<'a>,
    root: &'a Element,
    cx: &mut FileContext<'_>,
    reader: Reader<'_>,
    sources: &HashSet<String>,
) -> Result<Vec<AudioSourceConfiguration>, ConfigError> {
    let mut seen = HashSet::new();
    let mut configs = Vec::new();
    for (mut section, element) in entries(top, root, "AudioSourceConfigurations") {
        let token = reader.token(element, "AudioSourceConfigurations", &mut seen)?;
        let name = name_leaf(&mut section, cx, &["name"])?;
        let Some(source_token) = reference(&mut section, cx, "source_token", sources)? else {
            return Err(reader.invalid(
                element,
                "AudioSourceConfigurations/source_token",
                "",
                "this element is required",
            ));
        };
        section.finish(cx);
        configs.push(AudioSourceConfiguration {
            token,
            name,
            source_token,
        });
    }
    Ok(configs)
}

fn read_audio_encoders<'a>(
    top: &mut Section<'a>,
    root: &'a Element,
    cx: &mut FileContext<'_>,
    reader: Reader<'_>,
) -> Result<Vec<AudioEncoderConfiguration>, ConfigError> {
    let mut seen = HashSet::new();
    let mut configs = Vec::new();
    for (mut section, element) in entries(top, root, "AudioEncoderConfigurations") {
        let token = reader.token(element, "AudioEncoderConfigurations", &mut seen)?;
        let name = name_leaf(&mut section, cx, &["name"])?;
        let settings =
            read_audio_encoder_settings(&mut section, cx, AudioEncoderSettings::default())?;
        let multicast = read_multicast(&mut section, cx, no_multicast())?;
        section.finish(cx);
        configs.push(AudioEncoderConfiguration {
            token,
            name,
            settings,
            multicast,
        });
    }
    Ok(configs)
}

fn read_metadata<'a>(
    top: &mut Section<'a>,
    root: &'a Element,
    cx: &mut FileContext<'_>,
    reader: Reader<'_>,
) -> Result<Vec<MetadataConfiguration>, ConfigError> {
    let mut seen = HashSet::new();
    let mut configs = Vec::new();
    for (mut section, element) in entries(top, root, "MetadataConfigurations") {
        let token = reader.token(element, "MetadataConfigurations", &mut seen)?;
        let name = name_leaf(&mut section, cx, &["name"])?;
        let session_timeout = read_number(
            &mut section,
            cx,
            &["session_timeout"],
            SESSION_TIMEOUT_RANGE,
            "a number of seconds",
        )?
        .unwrap_or(60);
        let analytics = section.value(cx, &["analytics"], boolean)?.unwrap_or(false);
        let events = section.value(cx, &["events"], boolean)?.unwrap_or(false);
        let ptz_status = section
            .value(cx, &["ptz_status"], boolean)?
            .unwrap_or(false);
        let multicast = read_multicast(&mut section, cx, no_multicast())?;
        section.finish(cx);
        configs.push(MetadataConfiguration {
            token,
            name,
            session_timeout,
            analytics,
            events,
            ptz_status,
            multicast,
        });
    }
    Ok(configs)
}

/// A finite number from -1 to 1.
fn unit_float(text: &str) -> Result<f32, &'static str> {
    match text.parse::<f32>() {
        Ok(v) if v.is_finite() && (-1.0..=1.0).contains(&v) => Ok(v),
        _ => Err("expected a number from -1 to 1"),
    }
}

fn read_osds<'a>(
    top: &mut Section<'a>,
    root: &'a Element,
    cx: &mut FileContext<'_>,
    reader: Reader<'_>,
    video_source_configurations: &HashSet<String>,
) -> Result<Vec<Osd>, ConfigError> {
    let mut seen = HashSet::new();
    let mut osds = Vec::new();
    for (mut section, element) in entries(top, root, "OSDConfigurations") {
        let token = reader.token(element, "OSDConfigurations", &mut seen)?;
        let Some(vsc) = reference(
            &mut section,
            cx,
            "video_source_configuration",
            video_source_configurations,
        )?
        else {
            return Err(reader.invalid(
                element,
                "OSDConfigurations/video_source_configuration",
                "",
                "this element is required",
            ));
        };
        let mut position = OsdPosition {
            kind: OsdPositionKind::UpperLeft,
            x: 0.0,
            y: 0.0,
        };
        if let Some(mut p) = section.section(cx, "position") {
            if let Some(kind) = p.value(cx, &["type"], |t| {
                OsdPositionKind::from_name(t)
                    .ok_or("expected UpperLeft, UpperRight, LowerLeft, LowerRight or Custom")
            })? {
                position.kind = kind;
            }
            position.x = p.value(cx, &["x"], unit_float)?.unwrap_or(0.0);
            position.y = p.value(cx, &["y"], unit_float)?.unwrap_or(0.0);
            p.finish(cx);
        }
        let text = match section.section(cx, "text") {
            Some(mut t) => {
                let text_type = t
                    .value(cx, &["type"], |v| {
                        OsdTextType::from_name(v).ok_or("expected Plain, Date, Time or DateAndTime")
                    })?
                    .unwrap_or(OsdTextType::Plain);
                let plain_text = t.value(cx, &["plain_text"], any_text)?.unwrap_or_default();
                let date_format = t
                    .value(cx, &["date_format"], any_text)?
                    .unwrap_or_else(|| "yyyy-MM-dd".into());
                let time_format = t
                    .value(cx, &["time_format"], any_text)?
                    .unwrap_or_else(|| "HH:mm:ss".into());
                let font_size =
                    read_number(&mut t, cx, &["font_size"], 1..=1000, "a font size")?.unwrap_or(16);
                t.finish(cx);
                Some(OsdText {
                    text_type,
                    plain_text,
                    date_format,
                    time_format,
                    font_size,
                })
            }
            None => None,
        };
        let image = section.value(cx, &["image"], any_text)?;
        section.finish(cx);
        let content = match (text, image) {
            (Some(text), _) => OsdContent::Text(text),
            (None, Some(path)) => OsdContent::Image(path),
            (None, None) => {
                return Err(reader.invalid(
                    element,
                    "OSDConfigurations",
                    &token,
                    "expected a <text> or an <image>",
                ));
            }
        };
        osds.push(Osd {
            token,
            video_source_configuration: vsc,
            position,
            content,
        });
    }
    Ok(osds)
}

fn read_relays<'a>(
    top: &mut Section<'a>,
    root: &'a Element,
    cx: &mut FileContext<'_>,
    reader: Reader<'_>,
) -> Result<Vec<RelayOutput>, ConfigError> {
    let mut seen = HashSet::new();
    let mut relays = Vec::new();
    for (mut section, element) in entries(top, root, "RelayOutputs") {
        let token = reader.token(element, "RelayOutputs", &mut seen)?;
        let mode = section
            .value(cx, &["mode"], |t| {
                if t.eq_ignore_ascii_case("Bistable") {
                    Ok(RelayMode::Bistable)
                } else if t.eq_ignore_ascii_case("Monostable") {
                    Ok(RelayMode::Monostable)
                } else {
                    Err("expected Bistable or Monostable")
                }
            })?
            .unwrap_or(RelayMode::Bistable);
        let delay_time = read_number(
            &mut section,
            cx,
            &["delay_time"],
            0..=86_400,
            "a number of seconds",
        )?
        .unwrap_or(1);
        let idle_state = section
            .value(cx, &["idle_state"], |t| {
                if t.eq_ignore_ascii_case("closed") {
                    Ok(RelayIdleState::Closed)
                } else if t.eq_ignore_ascii_case("open") {
                    Ok(RelayIdleState::Open)
                } else {
                    Err("expected closed or open")
                }
            })?
            .unwrap_or(RelayIdleState::Closed);
        let active = section.value(cx, &["active"], boolean)?.unwrap_or(false);
        section.finish(cx);
        relays.push(RelayOutput {
            token,
            mode,
            delay_time,
            idle_state,
            active,
        });
    }
    Ok(relays)
}

fn read_profiles<'a>(
    top: &mut Section<'a>,
    root: &'a Element,
    cx: &mut FileContext<'_>,
    reader: Reader<'_>,
    known: &Known,
) -> Result<Vec<Profile>, ConfigError> {
    let mut seen = HashSet::new();
    let mut profiles = Vec::new();
    for (mut section, element) in entries(top, root, "profile") {
        let token = reader.token(element, "profile", &mut seen)?;
        let fixed = match element.attribute("fixed") {
            Some(text) => boolean(text.trim())
                .map_err(|why| reader.invalid(element, "profile@fixed", text, why))?,
            None => false,
        };
        let name = name_leaf(&mut section, cx, &["Name", "name"])?;
        let video_source_configuration = reference(
            &mut section,
            cx,
            "video_source_configuration",
            &known.video_source,
        )?;
        let video_encoder_configuration = reference(
            &mut section,
            cx,
            "video_encoder_configuration",
            &known.video_encoder,
        )?;
        let audio_source_configuration = reference(
            &mut section,
            cx,
            "audio_source_configuration",
            &known.audio_source,
        )?;
        let audio_encoder_configuration = reference(
            &mut section,
            cx,
            "audio_encoder_configuration",
            &known.audio_encoder,
        )?;
        let metadata_configuration =
            reference(&mut section, cx, "metadata_configuration", &known.metadata)?;
        let mut stream_uri = None;
        let mut append_params = false;
        if let Some(field) = section.leaf(cx, &["stream_uri"]) {
            stream_uri = field.parse(cx, any_text)?;
            if let Some(uri) = &stream_uri {
                validate::check_stream_uri(uri).map_err(|why| field.invalid(cx, why))?;
            }
            if let Some(append) = element
                .child("stream_uri")
                .and_then(|e| e.attribute("append_params"))
            {
                let append = append.trim();
                if !append.is_empty() {
                    append_params = boolean(append).map_err(|why| {
                        reader.invalid(element, "profile/stream_uri@append_params", append, why)
                    })?;
                }
            }
        }
        section.finish(cx);
        profiles.push(Profile {
            token,
            name,
            fixed,
            video_source_configuration,
            video_encoder_configuration,
            audio_source_configuration,
            audio_encoder_configuration,
            metadata_configuration,
            stream_uri,
            append_params,
        });
    }
    Ok(profiles)
}

fn read_date_time(
    mut section: Section<'_>,
    cx: &mut FileContext<'_>,
) -> Result<DateTimeSettings, ConfigError> {
    let mut settings = DateTimeSettings::default();
    if let Some(kind) = section.value(cx, &["DateTimeType"], |t| {
        DateTimeType::from_name(t).ok_or("expected Manual or NTP")
    })? {
        settings.kind = kind;
    }
    if let Some(dst) = section.value(cx, &["DaylightSavings"], boolean)? {
        settings.daylight_savings = dst;
    }
    if let Some(tz) = section.value(cx, &["TZ"], |t| {
        PosixTz::parse(t)
            .map(|_| t.to_owned())
            .ok_or("expected a POSIX TZ string such as CST-8")
    })? {
        settings.time_zone = tz;
    }
    if let Some(field) = section.leaf(cx, &["ClockOffset"]) {
        // Four centuries either way is more than any clock needs.
        const MAX_OFFSET: i64 = 400 * 366 * 86_400;
        if let Some(offset) = field.parse(cx, |t| {
            t.parse::<i64>()
                .ok()
                .filter(|o| o.abs() <= MAX_OFFSET)
                .ok_or("expected a number of seconds within 400 years")
        })? {
            settings.clock_offset = offset;
        }
    }
    section.finish(cx);
    Ok(settings)
}

/// A text leaf's value parsed by `parse`, as an error naming the element.
fn parse_text<T>(
    reader: Reader<'_>,
    element: &Element,
    path: &str,
    parse: impl Fn(&str) -> Option<T>,
    expected: &str,
) -> Result<T, ConfigError> {
    parse(element.value()).ok_or_else(|| reader.invalid(element, path, element.value(), expected))
}

fn read_network<'a>(
    mut section: Section<'a>,
    element: &'a Element,
    cx: &mut FileContext<'_>,
    reader: Reader<'_>,
    server: &ServerSettings,
) -> Result<NetworkSettings, ConfigError> {
    let mut net = NetworkSettings::from_server(server);
    if let Some((mut h, _)) = sub(&mut section, element, cx, "HostnameInformation") {
        if let Some(from_dhcp) = h.value(cx, &["FromDHCP"], boolean)? {
            net.hostname.from_dhcp = from_dhcp;
        }
        if let Some(field) = h.leaf(cx, &["Name"]) {
            net.hostname.name = field.parse(cx, any_text)?;
            if let Some(name) = &net.hostname.name {
                if !validate::is_hostname(name) {
                    return Err(field.invalid(cx, "expected a host name"));
                }
            }
        }
        h.finish(cx);
    }
    if let Some(mode) = section.value(cx, &["DiscoveryMode"], |t| {
        DiscoveryMode::from_name(t).ok_or("expected Discoverable or NonDiscoverable")
    })? {
        net.discovery_mode = mode;
    }
    if let Some((mut d, d_element)) = sub(&mut section, element, cx, "DNSInformation") {
        if let Some(from_dhcp) = d.value(cx, &["FromDHCP"], boolean)? {
            net.dns.from_dhcp = from_dhcp;
        }
        net.dns.search_domains = reader
            .texts(&mut d, d_element, "SearchDomain")
            .into_iter()
            .map(|e| {
                parse_text(
                    reader,
                    e,
                    "network/DNSInformation/SearchDomain",
                    |t| validate::is_dns_name(t).then(|| t.to_owned()),
                    "expected a domain name",
                )
            })
            .collect::<Result<_, _>>()?;
        net.dns.servers = reader
            .texts(&mut d, d_element, "DNSManual")
            .into_iter()
            .map(|e| {
                parse_text(
                    reader,
                    e,
                    "network/DNSInformation/DNSManual",
                    |t| t.parse().ok(),
                    "expected an IP address",
                )
            })
            .collect::<Result<_, _>>()?;
        d.finish(cx);
    }
    if let Some((mut n, n_element)) = sub(&mut section, element, cx, "NTPInformation") {
        if let Some(from_dhcp) = n.value(cx, &["FromDHCP"], boolean)? {
            net.ntp.from_dhcp = from_dhcp;
        }
        net.ntp.servers = reader
            .texts(&mut n, n_element, "NTPManual")
            .into_iter()
            .map(|e| {
                parse_text(
                    reader,
                    e,
                    "network/NTPInformation/NTPManual",
                    network_host,
                    "expected an IP address or a DNS name",
                )
            })
            .collect::<Result<_, _>>()?;
        n.finish(cx);
    }
    let protocol_entries = entries(&mut section, element, "NetworkProtocols");
    if !protocol_entries.is_empty() {
        let mut protocols: Vec<NetworkProtocol> = Vec::new();
        for (mut p, p_element) in protocol_entries {
            let kind = required(
                &mut p,
                cx,
                reader,
                p_element,
                "network/NetworkProtocols",
                "Name",
                |t| ProtocolKind::from_name(t).ok_or("expected HTTP, HTTPS or RTSP"),
            )?;
            let enabled = p.value(cx, &["Enabled"], boolean)?.unwrap_or(false);
            let ports = reader
                .texts(&mut p, p_element, "Port")
                .into_iter()
                .map(|e| {
                    parse_text(
                        reader,
                        e,
                        "network/NetworkProtocols/Port",
                        |t| t.parse::<u16>().ok().filter(|&port| port != 0),
                        "expected a port number 1-65535",
                    )
                })
                .collect::<Result<_, _>>()?;
            p.finish(cx);
            if protocols.iter().any(|q| q.kind == kind) {
                return Err(reader.invalid(
                    p_element,
                    "network/NetworkProtocols/Name",
                    kind.name(),
                    "expected each protocol once",
                ));
            }
            protocols.push(NetworkProtocol {
                kind,
                enabled,
                ports,
            });
        }
        net.protocols = protocols;
    }
    if let Some((mut g, g_element)) = sub(&mut section, element, cx, "NetworkGateway") {
        net.gateway.ipv4 = reader
            .texts(&mut g, g_element, "IPv4Address")
            .into_iter()
            .map(|e| {
                parse_text(
                    reader,
                    e,
                    "network/NetworkGateway/IPv4Address",
                    |t| t.parse().ok(),
                    "expected an IPv4 address",
                )
            })
            .collect::<Result<_, _>>()?;
        net.gateway.ipv6 = reader
            .texts(&mut g, g_element, "IPv6Address")
            .into_iter()
            .map(|e| {
                parse_text(
                    reader,
                    e,
                    "network/NetworkGateway/IPv6Address",
                    |t| t.parse().ok(),
                    "expected an IPv6 address",
                )
            })
            .collect::<Result<_, _>>()?;
        g.finish(cx);
    }
    if let Some((mut z, _)) = sub(&mut section, element, cx, "ZeroConfiguration") {
        net.zero_configuration.interface_token = z.value(cx, &["InterfaceToken"], any_text)?;
        if let Some(enabled) = z.value(cx, &["Enabled"], boolean)? {
            net.zero_configuration.enabled = enabled;
        }
        z.finish(cx);
    }
    let mut seen = HashSet::new();
    for (mut i, i_element) in entries(&mut section, element, "NetworkInterface") {
        let token = reader.token(i_element, "network/NetworkInterface", &mut seen)?;
        let enabled = i.value(cx, &["Enabled"], boolean)?;
        let mtu = read_number(&mut i, cx, &["MTU"], 68..=65_535, "an MTU")?;
        let ipv4_dhcp = i.value(cx, &["DHCP"], boolean)?;
        let ipv4_manual = reader
            .texts(&mut i, i_element, "IPv4Address")
            .into_iter()
            .map(|e| {
                parse_text(
                    reader,
                    e,
                    "network/NetworkInterface/IPv4Address",
                    prefixed_ipv4,
                    "expected an IPv4 address with a prefix length (192.168.1.10/24)",
                )
            })
            .collect::<Result<_, _>>()?;
        i.finish(cx);
        net.interfaces.push(InterfaceOverride {
            token,
            enabled,
            mtu,
            ipv4_dhcp,
            ipv4_manual,
        });
    }
    section.finish(cx);
    Ok(net)
}

/// An IP address or a DNS name (which cannot be mistaken for one).
fn network_host(text: &str) -> Option<NetworkHost> {
    if let Ok(v4) = text.parse() {
        Some(NetworkHost::Ipv4(v4))
    } else if let Ok(v6) = text.parse() {
        Some(NetworkHost::Ipv6(v6))
    } else if validate::is_dns_name(text) {
        Some(NetworkHost::Dns(text.to_owned()))
    } else {
        None
    }
}

/// `192.168.1.10/24`.
fn prefixed_ipv4(text: &str) -> Option<PrefixedIpv4> {
    let (address, prefix) = text.split_once('/')?;
    let prefix_length: u8 = prefix.parse().ok()?;
    (prefix_length <= 32).then_some(PrefixedIpv4 {
        address: address.parse().ok()?,
        prefix_length,
    })
}
