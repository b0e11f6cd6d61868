//! The media service (`trt`, ver10 media WSDL), and what it shares with
//! the Media2 service ([`super::media2`]): XML writers ([`xml`]), readers
//! of the configurations clients send, stream and snapshot URIs, the
//! change events, the OSD operations.
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
    AccessClass, Call, Fault, Handler, Operation, Registry, RegistryError, Reply, ns,
};
use crate::onvif::{ServiceKind, XmlWriter};
use crate::onvif_state::{ConfigurationKind, StateError, StreamSetup};
use osd::Service;
use read::{required_text, token_attr};
use shared::{changed, configuration_changed, profile_changed, profile_param};
use xml::{Dialect, configuration_visible, write_configuration};

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

fn delete_profile(call: &Call<'_>, ctx: &mut OnvifContext) -> Result<Reply, Fault> {
    let token = required_text(call.body, ns::TRT, "ProfileToken")?;
    ctx.state.delete_profile(token)?;
    Ok(changed(
        Reply::empty("trt:DeleteProfileResponse"),
        [profile_changed(call, token)],
    ))
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
    Ok(Reply::build(|w| {
        w.elem(
            &format!("trt:Get{}ConfigurationsResponse", kind.media2_name()),
            |w| {
                for token in state.configuration_tokens(kind) {
                    write_configuration(
                        w,
                        "trt:Configurations",
                        state,
                        kind,
                        token,
                        Dialect::Media1,
                    );
                }
            },
        );
    }))
}

/// Get{Kind}Configuration.
fn get_configuration(
    call: &Call<'_>,
    ctx: &mut OnvifContext,
    kind: ConfigurationKind,
) -> Result<Reply, Fault> {
    let token = required_text(call.body, ns::TRT, "ConfigurationToken")?;
    visible_config(ctx, kind, token)?;
    let state = &ctx.state;
    Ok(Reply::build(|w| {
        w.elem(
            &format!("trt:Get{}ConfigurationResponse", kind.media2_name()),
            |w| {
                write_configuration(w, "trt:Configuration", state, kind, token, Dialect::Media1);
            },
        );
    }))
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
    Ok(Reply::build(|w| {
        w.elem(
            &format!(
                "trt:GetCompatible{}ConfigurationsResponse",
                kind.media2_name()
            ),
            |w| {
                for token in tokens {
                    write_configuration(
                        w,
                        "trt:Configurations",
                        state,
                        kind,
                        token,
                        Dialect::Media1,
                    );
                }
            },
        );
    }))
}

/// The optional `ConfigurationToken` and `ProfileToken` of a
/// Get*ConfigurationOptions request, checked (`ter:NoConfig`,
/// `ter:NoProfile`); the configuration is the profile's when only the
/// profile is named.
pub(crate) fn option_tokens<'a>(
    call: &Call<'a>,
    ns: &str,
    ctx: &'a OnvifContext,
    kind: ConfigurationKind,
    dialect: Dialect,
) -> Result<Option<&'a str>, Fault> {
    let state = &ctx.state;
    let config = call.body.param_text(ns, "ConfigurationToken");
    if let Some(token) = config {
        if !configuration_visible(state, kind, token, dialect) {
            return Err(Fault::no_config(token));
        }
    }
    let profile = match call.body.param_text(ns, "ProfileToken") {
        Some(token) => Some(
            state
                .profile(token)
                .ok_or_else(|| Fault::no_profile(token))?,
        ),
        None => None,
    };
    Ok(config.or_else(|| profile.and_then(|p| p.configuration(kind))))
}

fn get_video_source_configuration_options(
    call: &Call<'_>,
    ctx: &mut OnvifContext,
) -> Result<Reply, Fault> {
    let config = option_tokens(
        call,
        ns::TRT,
        ctx,
        ConfigurationKind::VideoSource,
        Dialect::Media1,
    )?;
    let options = ctx.state.video_source_configuration_options(config)?;
    if options.source_tokens.is_empty() {
        return Err(Fault::action_not_supported(
            "the device has no video source",
        ));
    }
    Ok(Reply::build(|w| {
        w.elem("trt:GetVideoSourceConfigurationOptionsResponse", |w| {
            xml::write_video_source_configuration_options(w, "trt:Options", &options);
        });
    }))
}

fn get_video_encoder_configuration_options(
    call: &Call<'_>,
    ctx: &mut OnvifContext,
) -> Result<Reply, Fault> {
    option_tokens(
        call,
        ns::TRT,
        ctx,
        ConfigurationKind::VideoEncoder,
        Dialect::Media1,
    )?;
    let state = &ctx.state;
    Ok(Reply::build(|w| {
        w.elem("trt:GetVideoEncoderConfigurationOptionsResponse", |w| {
            xml::write_video_encoder_options(w, "trt:Options", state);
        });
    }))
}

fn get_audio_source_configuration_options(
    call: &Call<'_>,
    ctx: &mut OnvifContext,
) -> Result<Reply, Fault> {
    option_tokens(
        call,
        ns::TRT,
        ctx,
        ConfigurationKind::AudioSource,
        Dialect::Media1,
    )?;
    if ctx.state.audio_sources().is_empty() {
        return Err(Fault::action_not_supported(
            "the device has no audio source",
        ));
    }
    let state = &ctx.state;
    Ok(Reply::build(|w| {
        w.elem("trt:GetAudioSourceConfigurationOptionsResponse", |w| {
            xml::write_audio_source_options(w, "trt:Options", state);
        });
    }))
}

fn get_audio_encoder_configuration_options(
    call: &Call<'_>,
    ctx: &mut OnvifContext,
) -> Result<Reply, Fault> {
    option_tokens(
        call,
        ns::TRT,
        ctx,
        ConfigurationKind::AudioEncoder,
        Dialect::Media1,
    )?;
    let state = &ctx.state;
    Ok(Reply::build(|w| {
        w.elem("trt:GetAudioEncoderConfigurationOptionsResponse", |w| {
            xml::write_audio_encoder_options(w, "trt:Options", state);
        });
    }))
}

fn get_metadata_configuration_options(
    call: &Call<'_>,
    ctx: &mut OnvifContext,
) -> Result<Reply, Fault> {
    option_tokens(
        call,
        ns::TRT,
        ctx,
        ConfigurationKind::Metadata,
        Dialect::Media1,
    )?;
    Ok(Reply::build(|w| {
        w.elem("trt:GetMetadataConfigurationOptionsResponse", |w| {
            xml::write_metadata_options(w, "trt:Options");
        });
    }))
}

/// The `Configuration` element of a Set*Configuration request and its
/// token.
pub(crate) fn configuration_param<'a>(
    call: &Call<'a>,
    ns: &str,
) -> Result<(&'a crate::onvif::Element, &'a str), Fault> {
    let el = call.body.required(ns, "Configuration")?;
    Ok((el, token_attr(el)?))
}

fn set_video_source_configuration(call: &Call<'_>, ctx: &mut OnvifContext) -> Result<Reply, Fault> {
    let (el, token) = configuration_param(call, ns::TRT)?;
    let current = ctx
        .state
        .video_source_configuration(token)
        .ok_or_else(|| Fault::no_config(token))?;
    let next = read::read_video_source_configuration(el, current)?;
    ctx.state.set_video_source_configuration(next)?;
    Ok(changed(
        Reply::empty("trt:SetVideoSourceConfigurationResponse"),
        [configuration_changed(
            call,
            ConfigurationKind::VideoSource,
            token,
        )],
    ))
}

fn set_video_encoder_configuration(
    call: &Call<'_>,
    ctx: &mut OnvifContext,
) -> Result<Reply, Fault> {
    let (el, token) = configuration_param(call, ns::TRT)?;
    let current = ctx
        .state
        .video_encoder_configuration(token)
        .filter(|c| xml::media1_visible(c))
        .ok_or_else(|| Fault::no_config(token))?;
    let next = read::read_video_encoder_configuration(el, current)?;
    ctx.state.set_video_encoder_configuration(next)?;
    Ok(changed(
        Reply::empty("trt:SetVideoEncoderConfigurationResponse"),
        [configuration_changed(
            call,
            ConfigurationKind::VideoEncoder,
            token,
        )],
    ))
}

fn set_audio_source_configuration(call: &Call<'_>, ctx: &mut OnvifContext) -> Result<Reply, Fault> {
    let (el, token) = configuration_param(call, ns::TRT)?;
    let current = ctx
        .state
        .audio_source_configuration(token)
        .ok_or_else(|| Fault::no_config(token))?;
    let next = read::read_audio_source_configuration(el, current)?;
    ctx.state.set_audio_source_configuration(next)?;
    Ok(changed(
        Reply::empty("trt:SetAudioSourceConfigurationResponse"),
        [configuration_changed(
            call,
            ConfigurationKind::AudioSource,
            token,
        )],
    ))
}

fn set_audio_encoder_configuration(
    call: &Call<'_>,
    ctx: &mut OnvifContext,
) -> Result<Reply, Fault> {
    let (el, token) = configuration_param(call, ns::TRT)?;
    let current = ctx
        .state
        .audio_encoder_configuration(token)
        .ok_or_else(|| Fault::no_config(token))?;
    let next = read::read_audio_encoder_configuration(el, current)?;
    ctx.state.set_audio_encoder_configuration(next)?;
    Ok(changed(
        Reply::empty("trt:SetAudioEncoderConfigurationResponse"),
        [configuration_changed(
            call,
            ConfigurationKind::AudioEncoder,
            token,
        )],
    ))
}

fn set_metadata_configuration(call: &Call<'_>, ctx: &mut OnvifContext) -> Result<Reply, Fault> {
    let (el, token) = configuration_param(call, ns::TRT)?;
    let current = ctx
        .state
        .metadata_configuration(token)
        .ok_or_else(|| Fault::no_config(token))?;
    let next = read::read_metadata_configuration(el, current)?;
    ctx.state.set_metadata_configuration(next)?;
    Ok(changed(
        Reply::empty("trt:SetMetadataConfigurationResponse"),
        [configuration_changed(
            call,
            ConfigurationKind::Metadata,
            token,
        )],
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
    let token = required_text(call.body, ns::TRT, "ProfileToken")?;
    let uri = shared::stream_uri(call, &ctx.state, token, setup)?;
    Ok(Reply::build(|w| {
        w.elem("trt:GetStreamUriResponse", |w| {
            xml::write_media_uri(w, "trt:MediaUri", &uri);
        });
    }))
}

fn get_snapshot_uri(call: &Call<'_>, ctx: &mut OnvifContext) -> Result<Reply, Fault> {
    let token = required_text(call.body, ns::TRT, "ProfileToken")?;
    let uri = shared::snapshot_uri(call, &ctx.state, token)?;
    Ok(Reply::build(|w| {
        w.elem("trt:GetSnapshotUriResponse", |w| {
            xml::write_media_uri(w, "trt:MediaUri", &uri);
        });
    }))
}

/// Start/StopMulticastStreaming: the runtime flag, for a profile that can
/// stream. Not a configuration change: nothing to persist.
pub(crate) fn multicast_streaming(
    call: &Call<'_>,
    ctx: &mut OnvifContext,
    ns: &str,
    start: bool,
    response: &str,
) -> Result<Reply, Fault> {
    let token = profile_param(call, ns, &ctx.state)?;
    if start {
        let profile = ctx
            .state
            .profile(token)
            .ok_or_else(|| Fault::no_profile(token))?;
        shared::check_streamable(&ctx.state, profile)?;
    }
    ctx.state.set_multicast_streaming(token, start)?;
    Ok(Reply::empty(response))
}

fn start_multicast_streaming(call: &Call<'_>, ctx: &mut OnvifContext) -> Result<Reply, Fault> {
    multicast_streaming(
        call,
        ctx,
        ns::TRT,
        true,
        "trt:StartMulticastStreamingResponse",
    )
}

fn stop_multicast_streaming(call: &Call<'_>, ctx: &mut OnvifContext) -> Result<Reply, Fault> {
    multicast_streaming(
        call,
        ctx,
        ns::TRT,
        false,
        "trt:StopMulticastStreamingResponse",
    )
}

fn set_synchronization_point(call: &Call<'_>, ctx: &mut OnvifContext) -> Result<Reply, Fault> {
    profile_param(call, ns::TRT, &ctx.state)?;
    Ok(Reply::empty("trt:SetSynchronizationPointResponse"))
}

/// Handlers that differ only in the configuration kind.
macro_rules! per_kind {
    ($($wrapper:ident => $generic:ident($kind:ident);)*) => {
        $(
            fn $wrapper(call: &Call<'_>, ctx: &mut OnvifContext) -> Result<Reply, Fault> {
                $generic(call, ctx, ConfigurationKind::$kind)
            }
        )*
    };
}

per_kind! {
    add_video_source_configuration => add_configuration(VideoSource);
    add_video_encoder_configuration => add_configuration(VideoEncoder);
    add_audio_source_configuration => add_configuration(AudioSource);
    add_audio_encoder_configuration => add_configuration(AudioEncoder);
    add_metadata_configuration => add_configuration(Metadata);
    remove_video_source_configuration => remove_configuration(VideoSource);
    remove_video_encoder_configuration => remove_configuration(VideoEncoder);
    remove_audio_source_configuration => remove_configuration(AudioSource);
    remove_audio_encoder_configuration => remove_configuration(AudioEncoder);
    remove_metadata_configuration => remove_configuration(Metadata);
    get_video_source_configurations => get_configurations(VideoSource);
    get_video_encoder_configurations => get_configurations(VideoEncoder);
    get_audio_source_configurations => get_configurations(AudioSource);
    get_audio_encoder_configurations => get_configurations(AudioEncoder);
    get_metadata_configurations => get_configurations(Metadata);
    get_video_source_configuration => get_configuration(VideoSource);
    get_video_encoder_configuration => get_configuration(VideoEncoder);
    get_audio_source_configuration => get_configuration(AudioSource);
    get_audio_encoder_configuration => get_configuration(AudioEncoder);
    get_metadata_configuration => get_configuration(Metadata);
    get_compatible_video_source_configurations => get_compatible_configurations(VideoSource);
    get_compatible_video_encoder_configurations => get_compatible_configurations(VideoEncoder);
    get_compatible_audio_source_configurations => get_compatible_configurations(AudioSource);
    get_compatible_audio_encoder_configurations => get_compatible_configurations(AudioEncoder);
    get_compatible_metadata_configurations => get_compatible_configurations(Metadata);
}

/// OSD handlers with the ver10 names.
macro_rules! osd_ops {
    ($($wrapper:ident => $generic:ident;)*) => {
        $(
            fn $wrapper(call: &Call<'_>, ctx: &mut OnvifContext) -> Result<Reply, Fault> {
                osd::$generic(call, ctx, SERVICE)
            }
        )*
    };
}

osd_ops! {
    get_osds => get_osds;
    get_osd => get_osd;
    get_osd_options => get_osd_options;
    create_osd => create_osd;
    set_osd => set_osd;
    delete_osd => delete_osd;
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
