//! The media2 service (`tr2`, ver20 media WSDL).
//!
//! Media2 sees the same profiles and configurations as Media ver10
//! ([`super::media`], whose module documentation describes the stream
//! URIs, events and faults both share), with Media2's types: profiles hold
//! a `tr2:Configurations` set (only the types GetProfiles asks for), video
//! encoders are `tt:VideoEncoder2Configuration` with MIME encoding names
//! (H.265 included), and configurations are added and removed by type
//! (AddConfiguration, RemoveConfiguration). GetStreamUri takes a
//! `Protocol`: `RtspUnicast` (RTP over UDP), `RtspMulticast`, `RTSP` (RTP
//! interleaved in RTSP over TCP) and `RtspOverHttp` all answer an
//! `rtsp://` URI on our RTSP server whose `t=`/`p=` parameters say which;
//! the secure `Rtsps*` protocols are refused (`SecureRTSPStreaming` is
//! false).

use super::OnvifContext;
use super::media::read::required_text;
use super::media::shared::{
    self, Service, changed, handlers, invalid_stream_setup, profile_changed, profile_param,
};
use super::media::xml::{self, Dialect, configuration_visible};
use super::media::{RTP_MULTICAST, RTP_RTSP_TCP, osd};
use crate::config::MAX_PROFILES;
use crate::onvif::fault::ter;
use crate::onvif::{
    AccessClass, Call, Element, Fault, Handler, Operation, Registry, RegistryError, Reply,
    ServiceKind, XmlWriter, ns,
};
use crate::onvif_state::{ConfigurationKind, ConfigurationKind as K, DeviceState, StreamSetup};

const SERVICE: Service = Service {
    prefix: "tr2",
    ns: ns::TR2,
    dialect: Dialect::Media2,
};

/// The one video source mode of every video source.
const VIDEO_SOURCE_MODE: &str = "VideoSourceModeToken_1";

/// Writes the Media2 `tr2:Capabilities` as `element` (the
/// GetServiceCapabilities answer; the device service's GetServices with
/// `IncludeCapability` wraps the same in `tds:Capabilities`).
pub fn write_service_capabilities(w: &mut XmlWriter, element: &str) {
    let supported: Vec<&str> = ConfigurationKind::ALL
        .iter()
        .map(|k| k.media2_name())
        .collect();
    w.start(element)
        .attr("SnapshotUri", "true")
        .attr("Rotation", "false")
        .attr("VideoSourceMode", "true")
        .attr("OSD", "true")
        .attr("TemporaryOSDText", "false")
        .attr("Mask", "false")
        .attr("SourceMask", "false");
    w.start("tr2:ProfileCapabilities")
        .attr_display("MaximumNumberOfProfiles", MAX_PROFILES)
        .attr("ConfigurationsSupported", &supported.join(" "))
        .end();
    w.start("tr2:StreamingCapabilities")
        .attr("RTSPStreaming", "true")
        .attr_display("RTPMulticast", RTP_MULTICAST)
        .attr_display("RTP_RTSP_TCP", RTP_RTSP_TCP)
        .attr("NonAggregateControl", "false")
        .attr("AutoStartMulticast", "false")
        .attr("SecureRTSPStreaming", "false")
        .end();
    w.end();
}

fn get_service_capabilities(_: &Call<'_>, _: &mut OnvifContext) -> Result<Reply, Fault> {
    Ok(Reply::build(|w| {
        w.elem("tr2:GetServiceCapabilitiesResponse", |w| {
            write_service_capabilities(w, "tr2:Capabilities");
        });
    }))
}

/// The configuration kinds a GetProfiles `Type` list asks for: `All`, or
/// the named ones (types this device has none of are ignored).
fn asked_kinds(body: &Element) -> Vec<ConfigurationKind> {
    let mut kinds = Vec::new();
    for t in body.children_by_local_name("Type").map(Element::text) {
        if t.eq_ignore_ascii_case("All") {
            return ConfigurationKind::ALL.to_vec();
        }
        if let Some(kind) = ConfigurationKind::from_media2_name(t) {
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
    }
    kinds
}

fn get_profiles(call: &Call<'_>, ctx: &mut OnvifContext) -> Result<Reply, Fault> {
    let state = &ctx.state;
    let token = call.body.param_text(ns::TR2, "Token");
    if let Some(token) = token {
        if state.profile(token).is_none() {
            return Err(Fault::no_profile(token));
        }
    }
    let kinds = asked_kinds(call.body);
    Ok(Reply::build(|w| {
        w.elem("tr2:GetProfilesResponse", |w| {
            for profile in state.profiles() {
                if token.is_none_or(|t| profile.token == t) {
                    xml::write_media_profile(w, "tr2:Profiles", state, profile, &kinds);
                }
            }
        });
    }))
}

/// The `tr2:ConfigurationRef`s of a request: `(kind, token)`; `All` is
/// every kind. A type this device has no configurations of is
/// `ter:NoConfig`.
fn configuration_refs(body: &Element) -> Result<Vec<(ConfigurationKind, Option<&str>)>, Fault> {
    let mut refs = Vec::new();
    for el in body.children_by_local_name("Configuration") {
        let type_name = required_text(el, ns::TR2, "Type")?;
        let token = el.param_text(ns::TR2, "Token").filter(|t| !t.is_empty());
        if type_name.eq_ignore_ascii_case("All") {
            refs.extend(ConfigurationKind::ALL.iter().map(|&k| (k, None)));
            continue;
        }
        let kind = ConfigurationKind::from_media2_name(type_name).ok_or_else(|| {
            Fault::sender(
                &[ter::INVALID_ARG_VAL, ter::NO_CONFIG],
                format!("no {type_name} configurations on this device"),
            )
        })?;
        refs.push((kind, token));
    }
    Ok(refs)
}

/// Puts the referenced configurations into the profile; a reference
/// without a token takes the first configuration of its kind.
fn add_refs(
    state: &mut DeviceState,
    profile: &str,
    refs: &[(ConfigurationKind, Option<&str>)],
) -> Result<(), Fault> {
    for &(kind, token) in refs {
        let token = match token {
            Some(token) => token.to_owned(),
            None => state
                .compatible_configurations(profile, kind)?
                .first()
                .map(|t| (*t).to_owned())
                .ok_or_else(|| {
                    Fault::sender(
                        &[ter::INVALID_ARG_VAL, ter::NO_CONFIG],
                        format!("no {} configuration to add", kind.media2_name()),
                    )
                })?,
        };
        state.add_configuration(profile, kind, &token)?;
    }
    Ok(())
}

fn create_profile(call: &Call<'_>, ctx: &mut OnvifContext) -> Result<Reply, Fault> {
    let name = required_text(call.body, ns::TR2, "Name")?;
    let refs = configuration_refs(call.body)?;
    // All or nothing: build the change on a copy.
    let mut next = ctx.state.clone();
    let token = next.create_profile(name, None)?;
    add_refs(&mut next, &token, &refs)?;
    ctx.state = next;
    let reply = Reply::build(|w| {
        w.elem("tr2:CreateProfileResponse", |w| {
            w.leaf("tr2:Token", &token);
        });
    });
    Ok(changed(reply, [profile_changed(call, &token)]))
}

fn add_configuration(call: &Call<'_>, ctx: &mut OnvifContext) -> Result<Reply, Fault> {
    let profile = profile_param(call, ns::TR2, &ctx.state)?;
    let refs = configuration_refs(call.body)?;
    let mut next = ctx.state.clone();
    if let Some(name) = call.body.param_text(ns::TR2, "Name") {
        next.rename_profile(profile, name)?;
    }
    add_refs(&mut next, profile, &refs)?;
    ctx.state = next;
    Ok(changed(
        Reply::empty("tr2:AddConfigurationResponse"),
        [profile_changed(call, profile)],
    ))
}

fn remove_configuration(call: &Call<'_>, ctx: &mut OnvifContext) -> Result<Reply, Fault> {
    let profile = profile_param(call, ns::TR2, &ctx.state)?;
    let refs = configuration_refs(call.body)?;
    if refs.is_empty() {
        return Err(Fault::invalid_args("missing <Configuration>"));
    }
    for (kind, _) in refs {
        ctx.state.remove_configuration(profile, kind)?;
    }
    Ok(changed(
        Reply::empty("tr2:RemoveConfigurationResponse"),
        [profile_changed(call, profile)],
    ))
}

/// Get{Kind}Configurations: one (`ConfigurationToken`), those compatible
/// with a profile (`ProfileToken`: all of them), or all.
fn get_configurations(
    call: &Call<'_>,
    ctx: &mut OnvifContext,
    kind: ConfigurationKind,
) -> Result<Reply, Fault> {
    let state = &ctx.state;
    let tokens: Vec<&str> = match (
        call.body.param_text(ns::TR2, "ConfigurationToken"),
        call.body.param_text(ns::TR2, "ProfileToken"),
    ) {
        (Some(token), profile) => {
            if let Some(profile) = profile {
                state.compatible_configurations(profile, kind)?;
            }
            if !configuration_visible(state, kind, token, Dialect::Media2) {
                return Err(Fault::no_config(token));
            }
            vec![token]
        }
        (None, Some(profile)) => state.compatible_configurations(profile, kind)?,
        (None, None) => state.configuration_tokens(kind),
    };
    let response = format!("Get{}ConfigurationsResponse", kind.media2_name());
    Ok(shared::configurations_reply(
        state,
        SERVICE,
        kind,
        &response,
        "Configurations",
        tokens,
    ))
}

fn get_video_encoder_instances(call: &Call<'_>, ctx: &mut OnvifContext) -> Result<Reply, Fault> {
    let token = required_text(call.body, ns::TR2, "ConfigurationToken")?;
    let instances = ctx.state.guaranteed_video_encoder_instances(token)?;
    Ok(Reply::build(|w| {
        w.elem("tr2:GetVideoEncoderInstancesResponse", |w| {
            xml::write_encoder_instances(w, "tr2:Info", &instances);
        });
    }))
}

/// Media2's `Protocol` as a stream setup; the secure variants are refused.
fn stream_setup(protocol: &str) -> Result<StreamSetup, Fault> {
    let secure = protocol
        .get(..5)
        .is_some_and(|p| p.eq_ignore_ascii_case("Rtsps"));
    if secure {
        return Err(invalid_stream_setup(format!(
            "{protocol}: secure RTSP is not supported"
        )));
    }
    StreamSetup::from_media2(protocol)
        .ok_or_else(|| invalid_stream_setup(format!("protocol {protocol:?} is not supported")))
}

fn get_stream_uri(call: &Call<'_>, ctx: &mut OnvifContext) -> Result<Reply, Fault> {
    let setup = stream_setup(required_text(call.body, ns::TR2, "Protocol")?)?;
    shared::get_stream_uri(call, ctx, SERVICE, setup)
}

/// The video source named by `VideoSourceToken` (`ter:NoSource` if none).
fn video_source_param<'a>(
    call: &Call<'_>,
    state: &'a DeviceState,
) -> Result<&'a crate::onvif_state::VideoSource, Fault> {
    let token = required_text(call.body, ns::TR2, "VideoSourceToken")?;
    state
        .video_source(token)
        .ok_or_else(|| Fault::no_source(token))
}

/// GetVideoSourceModes: each source has one mode, its own size at up to
/// the highest frame rate offered, in every encoding.
fn get_video_source_modes(call: &Call<'_>, ctx: &mut OnvifContext) -> Result<Reply, Fault> {
    let state = &ctx.state;
    let source = video_source_param(call, state)?;
    let max_framerate = state
        .video_encodings()
        .iter()
        .map(|&e| *state.video_encoder_options(e).framerate.end())
        .max()
        .unwrap_or(source.framerate)
        .max(source.framerate);
    let encodings: Vec<&str> = state
        .video_encodings()
        .iter()
        .map(|&e| xml::media2_video_encoding(e))
        .collect();
    Ok(Reply::build(|w| {
        w.elem("tr2:GetVideoSourceModesResponse", |w| {
            w.start("tr2:VideoSourceModes")
                .attr("token", VIDEO_SOURCE_MODE)
                .attr("Enabled", "true");
            w.leaf_display("tr2:MaxFramerate", max_framerate);
            xml::write_resolution(w, "tr2:MaxResolution", source.resolution);
            w.leaf("tr2:Encodings", &encodings.join(" "));
            w.leaf("tr2:Reboot", "false");
            w.leaf_display("tr2:Description", source.resolution);
            w.end();
        });
    }))
}

/// SetVideoSourceMode: the one mode there is; no reboot.
fn set_video_source_mode(call: &Call<'_>, ctx: &mut OnvifContext) -> Result<Reply, Fault> {
    video_source_param(call, &ctx.state)?;
    let mode = required_text(call.body, ns::TR2, "VideoSourceModeToken")?;
    if mode != VIDEO_SOURCE_MODE {
        return Err(Fault::sender(
            &[ter::INVALID_ARG_VAL, "ter:NoVideoSourceMode"],
            format!("no video source mode {mode:?}"),
        ));
    }
    Ok(Reply::build(|w| {
        w.elem("tr2:SetVideoSourceModeResponse", |w| {
            w.leaf("tr2:Reboot", "false");
        });
    }))
}

handlers! {
    delete_profile => shared::delete_profile[SERVICE, "Token"];
    get_video_source_configurations => get_configurations[K::VideoSource];
    get_video_encoder_configurations => get_configurations[K::VideoEncoder];
    get_audio_source_configurations => get_configurations[K::AudioSource];
    get_audio_encoder_configurations => get_configurations[K::AudioEncoder];
    get_metadata_configurations => get_configurations[K::Metadata];
    set_video_source_configuration => shared::set_configuration[SERVICE, K::VideoSource];
    set_video_encoder_configuration => shared::set_configuration[SERVICE, K::VideoEncoder];
    set_audio_source_configuration => shared::set_configuration[SERVICE, K::AudioSource];
    set_audio_encoder_configuration => shared::set_configuration[SERVICE, K::AudioEncoder];
    set_metadata_configuration => shared::set_configuration[SERVICE, K::Metadata];
    get_video_source_configuration_options => shared::get_configuration_options[SERVICE, K::VideoSource];
    get_video_encoder_configuration_options => shared::get_configuration_options[SERVICE, K::VideoEncoder];
    get_audio_source_configuration_options => shared::get_configuration_options[SERVICE, K::AudioSource];
    get_audio_encoder_configuration_options => shared::get_configuration_options[SERVICE, K::AudioEncoder];
    get_metadata_configuration_options => shared::get_configuration_options[SERVICE, K::Metadata];
    get_snapshot_uri => shared::get_snapshot_uri[SERVICE];
    start_multicast_streaming => shared::multicast_streaming[SERVICE, true];
    stop_multicast_streaming => shared::multicast_streaming[SERVICE, false];
    set_synchronization_point => shared::set_synchronization_point[SERVICE];
    get_osds => osd::get_osds[SERVICE];
    get_osd_options => osd::get_osd_options[SERVICE];
    create_osd => osd::create_osd[SERVICE];
    set_osd => osd::set_osd[SERVICE];
    delete_osd => osd::delete_osd[SERVICE];
}

/// Registers the media2 service's operations.
pub fn register(registry: &mut Registry<OnvifContext>) -> Result<(), RegistryError> {
    use AccessClass::{Actuate, PreAuth, ReadMedia};
    fn op(
        name: &'static str,
        access: AccessClass,
        handler: Handler<OnvifContext>,
    ) -> Operation<OnvifContext> {
        Operation::new(ns::TR2, name, access, handler)
    }
    registry.register(
        ServiceKind::Media2,
        &[
            op("GetServiceCapabilities", PreAuth, get_service_capabilities),
            op("GetProfiles", ReadMedia, get_profiles),
            op("CreateProfile", Actuate, create_profile),
            op("DeleteProfile", Actuate, delete_profile),
            op("AddConfiguration", Actuate, add_configuration),
            op("RemoveConfiguration", Actuate, remove_configuration),
            op(
                "GetVideoSourceConfigurations",
                ReadMedia,
                get_video_source_configurations,
            ),
            op(
                "GetVideoEncoderConfigurations",
                ReadMedia,
                get_video_encoder_configurations,
            ),
            op(
                "GetAudioSourceConfigurations",
                ReadMedia,
                get_audio_source_configurations,
            ),
            op(
                "GetAudioEncoderConfigurations",
                ReadMedia,
                get_audio_encoder_configurations,
            ),
            op(
                "GetMetadataConfigurations",
                ReadMedia,
                get_metadata_configurations,
            ),
            op(
                "SetVideoSourceConfiguration",
                Actuate,
                set_video_source_configuration,
            ),
            op(
                "SetVideoEncoderConfiguration",
                Actuate,
                set_video_encoder_configuration,
            ),
            op(
                "SetAudioSourceConfiguration",
                Actuate,
                set_audio_source_configuration,
            ),
            op(
                "SetAudioEncoderConfiguration",
                Actuate,
                set_audio_encoder_configuration,
            ),
            op(
                "SetMetadataConfiguration",
                Actuate,
                set_metadata_configuration,
            ),
            op(
                "GetVideoSourceConfigurationOptions",
                ReadMedia,
                get_video_source_configuration_options,
            ),
            op(
                "GetVideoEncoderConfigurationOptions",
                ReadMedia,
                get_video_encoder_configuration_options,
            ),
            op(
                "GetAudioSourceConfigurationOptions",
                ReadMedia,
                get_audio_source_configuration_options,
            ),
            op(
                "GetAudioEncoderConfigurationOptions",
                ReadMedia,
                get_audio_encoder_configuration_options,
            ),
            op(
                "GetMetadataConfigurationOptions",
                ReadMedia,
                get_metadata_configuration_options,
            ),
            op(
                "GetVideoEncoderInstances",
                ReadMedia,
                get_video_encoder_instances,
            ),
            op("GetStreamUri", ReadMedia, get_stream_uri),
            op("GetSnapshotUri", ReadMedia, get_snapshot_uri),
            op("GetVideoSourceModes", ReadMedia, get_video_source_modes),
            op("SetVideoSourceMode", Actuate, set_video_source_mode),
            op(
                "StartMulticastStreaming",
                Actuate,
                start_multicast_streaming,
            ),
            op("StopMulticastStreaming", Actuate, stop_multicast_streaming),
            op(
                "SetSynchronizationPoint",
                Actuate,
                set_synchronization_point,
            ),
            op("GetOSDs", ReadMedia, get_osds),
            op("GetOSDOptions", ReadMedia, get_osd_options),
            op("CreateOSD", Actuate, create_osd),
            op("SetOSD", Actuate, set_osd),
            op("DeleteOSD", Actuate, delete_osd),
        ],
    )
}
