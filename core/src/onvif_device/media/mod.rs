//! The media service (`trt`, ver10 media WSDL), and what it shares with
//! the Media2 service ([`super::media2`]): XML writers ([`xml`]), readers
//! of the configurations clients send, the operations whose flow is the
//! same in both (Set*Configuration, Get*ConfigurationOptions, stream and
//! snapshot URIs, the change events: [`shared`]), the OSD operations.
//!
//! Everything is read from and changed in the device state
//! ([`crate::onvif_state::DeviceState`]): profiles and configurations with
//! Happytime's tokens, the options the state checks changes against, and
//! where each profile's stream is ([`DeviceState::stream_location`]).
//!
//! # Behaviour clients see
//!
//! - GetStreamUri answers `rtsp://HOST:RTSP_PORT/PATH`: HOST from the
//!   request's `Host` header (NAT), the RTSP port the runtime put in the
//!   state, PATH the profile's stream with Happytime's parameters
//!   (`&t=unicast&p=rtsp&ve=H264&w=1280&h=720...`). After a
//!   SetVideoEncoderConfiguration the parameters, and so the stream, carry
//!   the new settings. A profile's own `stream_uri` is answered as
//!   configured.
//! - GetSnapshotUri answers `http://HOST:PORT/onvif/snapshot/<token>.jpg`
//!   on the ONVIF port ([`super::snapshot_path`]).
//! - Every change answers with [`Effect::PersistConfig`] and a
//!   `tns1:Media/ProfileChanged` (profile created, deleted, configuration
//!   added or removed) or `tns1:Media/ConfigurationChanged` (configuration
//!   or OSD set) event ([`shared::PROFILE_CHANGED`],
//!   [`shared::CONFIGURATION_CHANGED`]).
//! - Media ver10 has no name for H.265 (`tt:VideoEncoding` is JPEG, MPEG4,
//!   H264), so H.265 video encoder configurations are Media2 only: they
//!   are not listed, asking for one is `ter:NoConfig`, and a profile using
//!   one is shown without its video encoder (its stream URI still carries
//!   `ve=H265`).
//! - StartMulticastStreaming/StopMulticastStreaming set a runtime flag in
//!   the state ([`DeviceState::multicast_streaming`]); the stream itself
//!   is the RTSP server's.
//!
//! [`Effect::PersistConfig`]: crate::onvif::Effect::PersistConfig
//! [`DeviceState::stream_location`]: crate::onvif_state::DeviceState::stream_location
//! [`DeviceState::multicast_streaming`]: crate::onvif_state::DeviceState::multicast_streaming

pub(crate) mod osd;
pub(crate) mod read;
pub mod shared;
pub mod xml;

use super::OnvifContext;
use crate::config::{MAX_PROFILES, VideoEncoding};
use crate::onvif::{
    AccessClass, Call, Fault, Handler, Operation, Registry, RegistryError, Reply, ServiceKind,
    XmlWriter, ns,
};
use crate::onvif_state::{ConfigurationKind, ConfigurationKind as K, StateError, StreamSetup};
use read::required_text;
use shared::{Service, changed, handlers, profile_changed, profile_param};
use xml::{Dialect, configuration_visible};

/// Whether the device offers RTP multicast (`RTPMulticast`): the stream
/// URIs carry `t=multicast` and StartMulticastStreaming is answered.
pub const RTP_MULTICAST: bool = true;

/// Whether the device offers RTP over plain TCP (ver10's deprecated
/// `RTP_TCP`): no, RTP over TCP is interleaved in RTSP.
pub const RTP_TCP: bool = false;

/// Whether the device offers RTP interleaved in RTSP over TCP
/// (`RTP_RTSP_TCP`).
pub const RTP_RTSP_TCP: bool = true;

const SERVICE: Service = Service {
    prefix: "trt",
    ns: ns::TRT,
    dialect: Dialect::Media1,
};

/// Writes the Media ver10 `trt:Capabilities` as `element` (the
/// GetServiceCapabilities answer; the device service's GetServices with
/// `IncludeCapability` wraps the same in `tds:Capabilities`).
pub fn write_service_capabilities(w: &mut XmlWriter, element: &str) {
    w.start(element)
        .attr("SnapshotUri", "true")
        .attr("Rotation", "false")
        .attr("VideoSourceMode", "false")
        .attr("OSD", "true")
        .attr("TemporaryOSDText", "false")
        .attr("EXICompression", "false");
    w.start("trt:ProfileCapabilities")
        .attr_display("MaximumNumberOfProfiles", MAX_PROFILES)
        .end();
    w.start("trt:StreamingCapabilities")
        .attr_display("RTPMulticast", RTP_MULTICAST)
        .attr_display("RTP_TCP", RTP_TCP)
        .attr_display("RTP_RTSP_TCP", RTP_RTSP_TCP)
        .attr("NonAggregateControl", "false")
        .attr("NoRTSPStreaming", "false")
        .end();
    w.end();
}

fn get_service_capabilities(_: &Call<'_>, _: &mut OnvifContext) -> Result<Reply, Fault> {
    Ok(Reply::build(|w| {
        w.elem("trt:GetServiceCapabilitiesResponse", |w| {
            write_service_capabilities(w, "trt:Capabilities");
        });
    }))
}

fn get_profiles(_: &Call<'_>, ctx: &mut OnvifContext) -> Result<Reply, Fault> {
    let state = &ctx.state;
    Ok(Reply::build(|w| {
        w.elem("trt:GetProfilesResponse", |w| {
            for profile in state.profiles() {
                xml::write_profile(w, "trt:Profiles", state, profile);
            }
        });
    }))
}

fn get_profile(call: &Call<'_>, ctx: &mut OnvifContext) -> Result<Reply, Fault> {
    let state = &ctx.state;
    let token = profile_param(call, ns::TRT, state)?;
    let profile = state
        .profile(token)
        .ok_or_else(|| Fault::no_profile(token))?;
    Ok(Reply::build(|w| {
        w.elem("trt:GetProfileResponse", |w| {
            xml::write_profile(w, "trt:Profile", state, profile);
        });
    }))
}

fn create_profile(call: &Call<'_>, ctx: &mut OnvifContext) -> Result<Reply, Fault> {
    let name = required_text(call.body, ns::TRT, "Name")?;
    let token = call.body.param_text(ns::TRT, "Token");
    let token = ctx.state.create_profile(name, token)?;
    let state = &ctx.state;
    let profile = state
        .profile(&token)
        .ok_or_else(|| Fault::from(StateError::NoProfile(token.clone())))?;
    let reply = Reply::build(|w| {
        w.elem("trt:CreateProfileResponse", |w| {
            xml::write_profile(w, "trt:Profile", state, profile);
        });
    });
    Ok(changed(reply, [profile_changed(call, &token)]))
}

/// `ter:NoConfig` unless Media ver10 can show the configuration.
fn visible_config<'a>(
    ctx: &OnvifContext,
    kind: ConfigurationKind,
    token: &'a str,
) -> Result<&'a str, Fault> {
    if configuration_visible(&ctx.state, kind, token, Dialect::Media1) {
        Ok(token)
    } else {
        Err(Fault::no_config(token))
    }
}

/// Add{Kind}Configuration.
fn add_configuration(
    call: &Call<'_>,
    ctx: &mut OnvifContext,
    kind: ConfigurationKind,
) -> Result<Reply, Fault> {
    let profile = profile_param(call, ns::TRT, &ctx.state)?;
    let token = required_text(call.body, ns::TRT, "ConfigurationToken")?;
    visible_config(ctx, kind, token)?;
    ctx.state.add_configuration(profile, kind, token)?;
    Ok(changed(
        Reply::empty(&format!(
            "trt:Add{}ConfigurationResponse",
            kind.media2_name()
        )),
        [profile_changed(call, profile)],
    ))
}

/// Remove{Kind}Configuration.
fn remove_configuration(
    call: &Call<'_>,
    ctx: &mut OnvifContext,
    kind: ConfigurationKind,
) -> Result<Reply, Fault> {
    let profile = profile_param(call, ns::TRT, &ctx.state)?;
    ctx.state.remove_configuration(profile, kind)?;
    Ok(changed(
        Reply::empty(&format!(
            "trt:Remove{}ConfigurationResponse",
            kind.media2_name()
        )),
        [profile_changed(call, profile)],
    ))
}

/// Get{Kind}Configurations: every configuration Media ver10 can show.
fn get_configurations(
    _: &Call<'_>,
    ctx: &mut OnvifContext,
    kind: ConfigurationKind,
) -> Result<Reply, Fault> {
    let state = &ctx.state;
    let response = format!("Get{}ConfigurationsResponse", kind.media2_name());
    Ok(shared::configurations_reply(
        state,
        SERVICE,
        kind,
        &response,
        "Configurations",
        state.configuration_tokens(kind),
    ))
}

/// Get{Kind}Configuration.
fn get_configuration(
    call: &Call<'_>,
    ctx: &mut OnvifContext,
    kind: ConfigurationKind,
) -> Result<Reply, Fault> {
    let token = required_text(call.body, ns::TRT, "ConfigurationToken")?;
    visible_config(ctx, kind, token)?;
    let response = format!("Get{}ConfigurationResponse", kind.media2_name());
    Ok(shared::configurations_reply(
        &ctx.state,
        SERVICE,
        kind,
        &response,
        "Configuration",
        [token],
    ))
}

/// GetCompatible{Kind}Configurations.
fn get_compatible_configurations(
    call: &Call<'_>,
    ctx: &mut OnvifContext,
    kind: ConfigurationKind,
) -> Result<Reply, Fault> {
    let state = &ctx.state;
    let profile = required_text(call.body, ns::TRT, "ProfileToken")?;
    let tokens = state.compatible_configurations(profile, kind)?;
    let response = format!("GetCompatible{}ConfigurationsResponse", kind.media2_name());
    Ok(shared::configurations_reply(
        state,
        SERVICE,
        kind,
        &response,
        "Configurations",
        tokens,
    ))
}

fn get_video_sources(_: &Call<'_>, ctx: &mut OnvifContext) -> Result<Reply, Fault> {
    let state = &ctx.state;
    Ok(Reply::build(|w| {
        w.elem("trt:GetVideoSourcesResponse", |w| {
            for source in state.video_sources() {
                xml::write_video_source(w, "trt:VideoSources", source);
            }
        });
    }))
}

fn get_audio_sources(_: &Call<'_>, ctx: &mut OnvifContext) -> Result<Reply, Fault> {
    let state = &ctx.state;
    Ok(Reply::build(|w| {
        w.elem("trt:GetAudioSourcesResponse", |w| {
            for source in state.audio_sources() {
                xml::write_audio_source(w, "trt:AudioSources", source);
            }
        });
    }))
}

fn get_guaranteed_number_of_video_encoder_instances(
    call: &Call<'_>,
    ctx: &mut OnvifContext,
) -> Result<Reply, Fault> {
    let token = required_text(call.body, ns::TRT, "ConfigurationToken")?;
    let instances = ctx.state.guaranteed_video_encoder_instances(token)?;
    let number = |encoding: VideoEncoding| {
        instances
            .per_encoding
            .iter()
            .find(|(e, _)| *e == encoding)
            .map_or(0, |(_, n)| *n)
    };
    Ok(Reply::build(|w| {
        w.elem(
            "trt:GetGuaranteedNumberOfVideoEncoderInstancesResponse",
            |w| {
                w.leaf_display("trt:TotalNumber", instances.total);
                w.leaf_display("trt:JPEG", number(VideoEncoding::Jpeg));
                w.leaf_display("trt:H264", number(VideoEncoding::H264));
                w.leaf_display("trt:MPEG4", number(VideoEncoding::Mpeg4));
            },
        );
    }))
}

/// The ver10 `StreamSetup`: `Stream` (`RTP-Unicast`, `RTP-Multicast`) and
/// `Transport/Protocol` (`UDP`, `TCP`, `RTSP`, `HTTP`). A missing setup or
/// part is unicast over UDP; a value ONVIF does not define is
/// `ter:InvalidStreamSetup`.
fn stream_setup(call: &Call<'_>) -> Result<StreamSetup, Fault> {
    let Some(setup) = call.body.param(ns::TRT, "StreamSetup") else {
        return Ok(StreamSetup::default());
    };
    let stream = setup.param_text(ns::TT, "Stream").unwrap_or("RTP-Unicast");
    let protocol = setup
        .param(ns::TT, "Transport")
        .and_then(|t| t.param_text(ns::TT, "Protocol"))
        .unwrap_or("UDP");
    StreamSetup::from_media1(stream, protocol).ok_or_else(|| {
        shared::invalid_stream_setup(format!(
            "stream {stream:?} over {protocol:?} is not supported"
        ))
    })
}

fn get_stream_uri(call: &Call<'_>, ctx: &mut OnvifContext) -> Result<Reply, Fault> {
    let setup = stream_setup(call)?;
    shared::get_stream_uri(call, ctx, SERVICE, setup)
}

handlers! {
    delete_profile => shared::delete_profile[SERVICE, "ProfileToken"];
    add_video_source_configuration => add_configuration[K::VideoSource];
    add_video_encoder_configuration => add_configuration[K::VideoEncoder];
    add_audio_source_configuration => add_configuration[K::AudioSource];
    add_audio_encoder_configuration => add_configuration[K::AudioEncoder];
    add_metadata_configuration => add_configuration[K::Metadata];
    remove_video_source_configuration => remove_configuration[K::VideoSource];
    remove_video_encoder_configuration => remove_configuration[K::VideoEncoder];
    remove_audio_source_configuration => remove_configuration[K::AudioSource];
    remove_audio_encoder_configuration => remove_configuration[K::AudioEncoder];
    remove_metadata_configuration => remove_configuration[K::Metadata];
    get_video_source_configurations => get_configurations[K::VideoSource];
    get_video_encoder_configurations => get_configurations[K::VideoEncoder];
    get_audio_source_configurations => get_configurations[K::AudioSource];
    get_audio_encoder_configurations => get_configurations[K::AudioEncoder];
    get_metadata_configurations => get_configurations[K::Metadata];
    get_video_source_configuration => get_configuration[K::VideoSource];
    get_video_encoder_configuration => get_configuration[K::VideoEncoder];
    get_audio_source_configuration => get_configuration[K::AudioSource];
    get_audio_encoder_configuration => get_configuration[K::AudioEncoder];
    get_metadata_configuration => get_configuration[K::Metadata];
    get_compatible_video_source_configurations => get_compatible_configurations[K::VideoSource];
    get_compatible_video_encoder_configurations => get_compatible_configurations[K::VideoEncoder];
    get_compatible_audio_source_configurations => get_compatible_configurations[K::AudioSource];
    get_compatible_audio_encoder_configurations => get_compatible_configurations[K::AudioEncoder];
    get_compatible_metadata_configurations => get_compatible_configurations[K::Metadata];
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
    get_osd => osd::get_osd[SERVICE];
    get_osd_options => osd::get_osd_options[SERVICE];
    create_osd => osd::create_osd[SERVICE];
    set_osd => osd::set_osd[SERVICE];
    delete_osd => osd::delete_osd[SERVICE];
}

/// Registers the media service's operations.
pub fn register(registry: &mut Registry<OnvifContext>) -> Result<(), RegistryError> {
    use AccessClass::{Actuate, PreAuth, ReadMedia};
    fn op(
        name: &'static str,
        access: AccessClass,
        handler: Handler<OnvifContext>,
    ) -> Operation<OnvifContext> {
        Operation::new(ns::TRT, name, access, handler)
    }
    registry.register(
        ServiceKind::Media,
        &[
            op("GetServiceCapabilities", PreAuth, get_service_capabilities),
            op("GetProfiles", ReadMedia, get_profiles),
            op("GetProfile", ReadMedia, get_profile),
            op("CreateProfile", Actuate, create_profile),
            op("DeleteProfile", Actuate, delete_profile),
            op(
                "AddVideoSourceConfiguration",
                Actuate,
                add_video_source_configuration,
            ),
            op(
                "AddVideoEncoderConfiguration",
                Actuate,
                add_video_encoder_configuration,
            ),
            op(
                "AddAudioSourceConfiguration",
                Actuate,
                add_audio_source_configuration,
            ),
            op(
                "AddAudioEncoderConfiguration",
                Actuate,
                add_audio_encoder_configuration,
            ),
            op(
                "AddMetadataConfiguration",
                Actuate,
                add_metadata_configuration,
            ),
            op(
                "RemoveVideoSourceConfiguration",
                Actuate,
                remove_video_source_configuration,
            ),
            op(
                "RemoveVideoEncoderConfiguration",
                Actuate,
                remove_video_encoder_configuration,
            ),
            op(
                "RemoveAudioSourceConfiguration",
                Actuate,
                remove_audio_source_configuration,
            ),
            op(
                "RemoveAudioEncoderConfiguration",
                Actuate,
                remove_audio_encoder_configuration,
            ),
            op(
                "RemoveMetadataConfiguration",
                Actuate,
                remove_metadata_configuration,
            ),
            op("GetVideoSources", ReadMedia, get_video_sources),
            op("GetAudioSources", ReadMedia, get_audio_sources),
            op(
                "GetVideoSourceConfigurations",
                ReadMedia,
                get_video_source_configurations,
            ),
            op(
                "GetVideoSourceConfiguration",
                ReadMedia,
                get_video_source_configuration,
            ),
            op(
                "SetVideoSourceConfiguration",
                Actuate,
                set_video_source_configuration,
            ),
            op(
                "GetVideoSourceConfigurationOptions",
                ReadMedia,
                get_video_source_configuration_options,
            ),
            op(
                "GetCompatibleVideoSourceConfigurations",
                ReadMedia,
                get_compatible_video_source_configurations,
            ),
            op(
                "GetVideoEncoderConfigurations",
                ReadMedia,
                get_video_encoder_configurations,
            ),
            op(
                "GetVideoEncoderConfiguration",
                ReadMedia,
                get_video_encoder_configuration,
            ),
            op(
                "SetVideoEncoderConfiguration",
                Actuate,
                set_video_encoder_configuration,
            ),
            op(
                "GetVideoEncoderConfigurationOptions",
                ReadMedia,
                get_video_encoder_configuration_options,
            ),
            op(
                "GetCompatibleVideoEncoderConfigurations",
                ReadMedia,
                get_compatible_video_encoder_configurations,
            ),
            op(
                "GetAudioSourceConfigurations",
                ReadMedia,
                get_audio_source_configurations,
            ),
            op(
                "GetAudioSourceConfiguration",
                ReadMedia,
                get_audio_source_configuration,
            ),
            op(
                "SetAudioSourceConfiguration",
                Actuate,
                set_audio_source_configuration,
            ),
            op(
                "GetAudioSourceConfigurationOptions",
                ReadMedia,
                get_audio_source_configuration_options,
            ),
            op(
                "GetCompatibleAudioSourceConfigurations",
                ReadMedia,
                get_compatible_audio_source_configurations,
            ),
            op(
                "GetAudioEncoderConfigurations",
                ReadMedia,
                get_audio_encoder_configurations,
            ),
            op(
                "GetAudioEncoderConfiguration",
                ReadMedia,
                get_audio_encoder_configuration,
            ),
            op(
                "SetAudioEncoderConfiguration",
                Actuate,
                set_audio_encoder_configuration,
            ),
            op(
                "GetAudioEncoderConfigurationOptions",
                ReadMedia,
                get_audio_encoder_configuration_options,
            ),
            op(
                "GetCompatibleAudioEncoderConfigurations",
                ReadMedia,
                get_compatible_audio_encoder_configurations,
            ),
            op(
                "GetMetadataConfigurations",
                ReadMedia,
                get_metadata_configurations,
            ),
            op(
                "GetMetadataConfiguration",
                ReadMedia,
                get_metadata_configuration,
            ),
            op(
                "SetMetadataConfiguration",
                Actuate,
                set_metadata_configuration,
            ),
            op(
                "GetMetadataConfigurationOptions",
                ReadMedia,
                get_metadata_configuration_options,
            ),
            op(
                "GetCompatibleMetadataConfigurations",
                ReadMedia,
                get_compatible_metadata_configurations,
            ),
            op(
                "GetGuaranteedNumberOfVideoEncoderInstances",
                ReadMedia,
                get_guaranteed_number_of_video_encoder_instances,
            ),
            op("GetStreamUri", ReadMedia, get_stream_uri),
            op("GetSnapshotUri", ReadMedia, get_snapshot_uri),
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
            op("GetOSD", ReadMedia, get_osd),
            op("GetOSDOptions", ReadMedia, get_osd_options),
            op("CreateOSD", Actuate, create_osd),
            op("SetOSD", Actuate, set_osd),
            op("DeleteOSD", Actuate, delete_osd),
        ],
    )
}
