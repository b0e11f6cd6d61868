//! What the Media (ver10) and Media2 (ver20) handlers share: the effects
//! of a change, stream and snapshot URIs, the faults of both services, and
//! the operations both have with the same flow (Set*Configuration,
//! Get*ConfigurationOptions, DeleteProfile, the URIs, multicast
//! streaming), each called with the service's `Service`.
//!
//! What differs between the two is the XML: the prefix of the response
//! elements and the dialect of the configurations ([`Dialect`]), which the
//! writers in [`super::xml`] and the configuration readers take.

use super::read::{self, required_text, token_attr};
use super::xml::{self, Dialect, configuration_visible, write_configuration};
use crate::onvif::fault::ter;
use crate::onvif::{Call, Effect, Element, Fault, Notification, Reply, XmlWriter};
use crate::onvif_device::OnvifContext;
use crate::onvif_state::{
    ConfigurationKind, DEFAULT_RTSP_PORT, DeviceState, Profile, ProtocolKind, StreamLocation,
    StreamSetup,
};

/// A media service as its handlers see it: the prefix of its elements,
/// its namespace and the dialect of its configurations.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Service {
    /// `trt` or `tr2`.
    pub prefix: &'static str,
    /// `ns::TRT` or `ns::TR2`.
    pub ns: &'static str,
    /// [`Dialect::Media1`] or [`Dialect::Media2`].
    pub dialect: Dialect,
}

impl Service {
    /// The service's element `local`: `trt:GetOSDsResponse` ...
    pub(crate) fn element(self, local: &str) -> String {
        format!("{}:{local}", self.prefix)
    }
}

/// Handlers that call a shared one with fixed arguments: each `$wrapper`
/// is `$generic(call, ctx, $args...)`, so that it fits a service's
/// handler table.
macro_rules! handlers {
    ($($wrapper:ident => $generic:path [$($arg:expr),*];)*) => {
        $(
            fn $wrapper(
                call: &$crate::onvif::Call<'_>,
                ctx: &mut $crate::onvif_device::OnvifContext,
            ) -> Result<$crate::onvif::Reply, $crate::onvif::Fault> {
                $generic(call, ctx, $($arg),*)
            }
        )*
    };
}
pub(crate) use handlers;

/// `tns1:Media/ProfileChanged`: a profile was created, deleted, renamed,
/// or got or lost a configuration. Data item `Token` (the Media2
/// specification's message description; the event service's topic set
/// describes it the same way).
pub const PROFILE_CHANGED: &str = "tns1:Media/ProfileChanged";

/// `tns1:Media/ConfigurationChanged`: a configuration (or an OSD) changed.
/// Source item `Token`, data item `Type` (`VideoSource`, `VideoEncoder`,
/// `AudioSource`, `AudioEncoder`, `Metadata`, `OSD`).
pub const CONFIGURATION_CHANGED: &str = "tns1:Media/ConfigurationChanged";

/// `ter:IncompleteConfiguration`: the profile cannot stream as it is.
const INCOMPLETE_CONFIGURATION: &str = "ter:IncompleteConfiguration";

/// The `tns1:Media/ProfileChanged` event for `profile`.
pub fn profile_changed(call: &Call<'_>, profile: &str) -> Notification {
    let mut n = Notification::new(PROFILE_CHANGED, call.device_time);
    n.data.push(("Token".into(), profile.to_owned()));
    n
}

/// The `tns1:Media/ConfigurationChanged` event for a configuration of
/// `kind` (its Media2 name is the `Type`).
pub fn configuration_changed(
    call: &Call<'_>,
    kind: ConfigurationKind,
    token: &str,
) -> Notification {
    configuration_type_changed(call, kind.media2_name(), token)
}

/// The `tns1:Media/ConfigurationChanged` event with any `Type` (`OSD`).
pub fn configuration_type_changed(call: &Call<'_>, type_name: &str, token: &str) -> Notification {
    let mut n = Notification::new(CONFIGURATION_CHANGED, call.device_time);
    n.source.push(("Token".into(), token.to_owned()));
    n.data.push(("Type".into(), type_name.to_owned()));
    n
}

/// A reply to a change: persist `onvifrun.cfg`, then publish the events.
pub fn changed(reply: Reply, events: impl IntoIterator<Item = Notification>) -> Reply {
    events
        .into_iter()
        .fold(reply.with_effect(Effect::PersistConfig), |reply, event| {
            reply.with_effect(Effect::Notify(event))
        })
}

/// The RTSP server's port, as GetNetworkProtocols reports it (the runtime
/// sets it from `rtsp.cfg`).
pub fn rtsp_port(state: &DeviceState) -> u16 {
    state
        .network()
        .protocols
        .iter()
        .find(|p| p.kind == ProtocolKind::Rtsp)
        .and_then(|p| p.ports.first().copied())
        .unwrap_or(DEFAULT_RTSP_PORT)
}

/// `env:Receiver/ter:Action/ter:IncompleteConfiguration`.
pub fn incomplete(reason: impl Into<std::borrow::Cow<'static, str>>) -> Fault {
    Fault::receiver(&[ter::ACTION, INCOMPLETE_CONFIGURATION], reason)
}

/// `env:Sender/ter:InvalidArgVal/ter:InvalidStreamSetup`.
pub fn invalid_stream_setup(reason: impl Into<std::borrow::Cow<'static, str>>) -> Fault {
    Fault::sender(&[ter::INVALID_ARG_VAL, ter::INVALID_STREAM_SETUP], reason)
}

/// The `ProfileToken` parameter of a request, which must name a profile
/// (`ter:NoProfile` otherwise).
pub fn profile_param<'a>(call: &Call<'a>, ns: &str, state: &DeviceState) -> Result<&'a str, Fault> {
    let token = required_text(call.body, ns, "ProfileToken")?;
    if state.profile(token).is_none() {
        return Err(Fault::no_profile(token));
    }
    Ok(token)
}

/// The stream URI of a profile for this client: the profile's own
/// `stream_uri` as configured, or `rtsp://HOST:RTSP_PORT/PATH` with HOST
/// from the request's `Host` header (so clients behind NAT reach it) and
/// the path and Happytime parameters from the state, so that the stream
/// carries the profile's encoder settings.
pub fn stream_uri(
    call: &Call<'_>,
    state: &DeviceState,
    profile_token: &str,
    setup: StreamSetup,
) -> Result<String, Fault> {
    let profile = state
        .profile(profile_token)
        .ok_or_else(|| Fault::no_profile(profile_token))?;
    if profile.stream_uri.is_none() {
        check_streamable(state, profile)?;
    }
    let location = state.stream_location(profile_token, setup)?;
    let authority = format!("{}:{}", call.host_name(), rtsp_port(state));
    Ok(match location {
        StreamLocation::Local(_) => location.uri("rtsp", &authority),
        StreamLocation::Remote(uri) => uri,
    })
}

/// `ter:IncompleteConfiguration` unless the profile has something to
/// stream (an encoder or metadata), each encoder with its source.
pub fn check_streamable(state: &DeviceState, profile: &Profile) -> Result<(), Fault> {
    let has = |kind| {
        profile
            .configuration(kind)
            .is_some_and(|t| state.configuration_exists(kind, t))
    };
    let video = has(ConfigurationKind::VideoEncoder);
    let audio = has(ConfigurationKind::AudioEncoder);
    if !video && !audio && !has(ConfigurationKind::Metadata) {
        return Err(incomplete(
            "the profile has no encoder or metadata configuration",
        ));
    }
    if video && !has(ConfigurationKind::VideoSource) {
        return Err(incomplete(
            "the profile has a video encoder but no video source configuration",
        ));
    }
    if audio && !has(ConfigurationKind::AudioSource) {
        return Err(incomplete(
            "the profile has an audio encoder but no audio source configuration",
        ));
    }
    Ok(())
}

/// The snapshot URI of a profile: `http(s)://HOST:PORT/onvif/snapshot/
/// <token>.jpg` on the ONVIF port, served by the server machine with the
/// same authentication rules. A profile without video has none.
pub fn snapshot_uri(
    call: &Call<'_>,
    state: &DeviceState,
    profile_token: &str,
) -> Result<String, Fault> {
    let profile = state
        .profile(profile_token)
        .ok_or_else(|| Fault::no_profile(profile_token))?;
    if profile.video_source_configuration.is_none() && profile.video_encoder_configuration.is_none()
    {
        return Err(incomplete("the profile has no video"));
    }
    Ok(format!(
        "{}{}",
        call.base_url(),
        super::super::snapshot_path(profile_token)
    ))
}

/// The optional `ConfigurationToken` and `ProfileToken` of a
/// Get*ConfigurationOptions request, checked (`ter:NoConfig`,
/// `ter:NoProfile`); the configuration is the profile's when only the
/// profile is named.
fn option_tokens<'a>(
    call: &Call<'a>,
    s: Service,
    ctx: &'a OnvifContext,
    kind: ConfigurationKind,
) -> Result<Option<&'a str>, Fault> {
    let state = &ctx.state;
    let config = call.body.param_text(s.ns, "ConfigurationToken");
    if let Some(token) = config {
        if !configuration_visible(state, kind, token, s.dialect) {
            return Err(Fault::no_config(token));
        }
    }
    let profile = match call.body.param_text(s.ns, "ProfileToken") {
        Some(token) => Some(
            state
                .profile(token)
                .ok_or_else(|| Fault::no_profile(token))?,
        ),
        None => None,
    };
    Ok(config.or_else(|| profile.and_then(|p| p.configuration(kind))))
}

/// Get{Kind}ConfigurationOptions: the options of a configuration of
/// `kind`, for a named configuration or profile or in general. Without
/// a source of the kind (video or audio) there are none
/// (`ter:ActionNotSupported`). Media ver10 writes the encoder options of
/// all encodings in one element, Media2 one element per encoding.
pub(crate) fn get_configuration_options(
    call: &Call<'_>,
    ctx: &mut OnvifContext,
    s: Service,
    kind: ConfigurationKind,
) -> Result<Reply, Fault> {
    let config = option_tokens(call, s, ctx, kind)?;
    let state = &ctx.state;
    let reply = |write: &dyn Fn(&mut XmlWriter, &str)| {
        Reply::build(|w| {
            let response = format!("Get{}ConfigurationOptionsResponse", kind.media2_name());
            w.elem(&s.element(&response), |w| write(w, &s.element("Options")));
        })
    };
    Ok(match (kind, s.dialect) {
        (ConfigurationKind::VideoSource, _) => {
            let options = state.video_source_configuration_options(config)?;
            if options.source_tokens.is_empty() {
                return Err(Fault::action_not_supported(
                    "the device has no video source",
                ));
            }
            reply(&|w, name| xml::write_video_source_configuration_options(w, name, &options))
        }
        (ConfigurationKind::VideoEncoder, Dialect::Media1) => {
            reply(&|w, name| xml::write_video_encoder_options(w, name, state))
        }
        (ConfigurationKind::VideoEncoder, Dialect::Media2) => reply(&|w, name| {
            for &encoding in state.video_encodings() {
                let options = state.video_encoder_options(encoding);
                xml::write_video_encoder2_options(w, name, &options);
            }
        }),
        (ConfigurationKind::AudioSource, _) => {
            if state.audio_sources().is_empty() {
                return Err(Fault::action_not_supported(
                    "the device has no audio source",
                ));
            }
            reply(&|w, name| xml::write_audio_source_options(w, name, state))
        }
        (ConfigurationKind::AudioEncoder, Dialect::Media1) => {
            reply(&|w, name| xml::write_audio_encoder_options(w, name, state))
        }
        (ConfigurationKind::AudioEncoder, Dialect::Media2) => reply(&|w, name| {
            for &encoding in state.audio_encodings() {
                let options = state.audio_encoder_options(encoding);
                xml::write_audio_encoder2_options(w, name, &options);
            }
        }),
        (ConfigurationKind::Metadata, _) => reply(&|w, name| xml::write_metadata_options(w, name)),
    })
}

/// A reply listing configurations of `kind`: `response` holding each of
/// `tokens` as `item`, in the service's dialect.
pub(crate) fn configurations_reply<'a>(
    state: &DeviceState,
    s: Service,
    kind: ConfigurationKind,
    response: &str,
    item: &str,
    tokens: impl IntoIterator<Item = &'a str>,
) -> Reply {
    let item = s.element(item);
    Reply::build(|w| {
        w.elem(&s.element(response), |w| {
            for token in tokens {
                write_configuration(w, &item, state, kind, token, s.dialect);
            }
        });
    })
}

/// The `Configuration` element of a Set*Configuration request and its
/// token.
fn configuration_param<'a>(call: &Call<'a>, ns: &str) -> Result<(&'a Element, &'a str), Fault> {
    let el = call.body.required(ns, "Configuration")?;
    Ok((el, token_attr(el)?))
}

/// Set{Kind}Configuration: the configuration named by the element's
/// `token` (`ter:NoConfig` if there is none, or the service cannot show
/// it), changed by what the element carries and checked by the state.
/// Answers with persistence and a ConfigurationChanged event.
pub(crate) fn set_configuration(
    call: &Call<'_>,
    ctx: &mut OnvifContext,
    s: Service,
    kind: ConfigurationKind,
) -> Result<Reply, Fault> {
    let (el, token) = configuration_param(call, s.ns)?;
    let state = &mut ctx.state;
    let missing = || Fault::no_config(token);
    match kind {
        ConfigurationKind::VideoSource => {
            let current = state
                .video_source_configuration(token)
                .ok_or_else(missing)?;
            let next = read::read_video_source_configuration(el, current)?;
            state.set_video_source_configuration(next)?;
        }
        ConfigurationKind::VideoEncoder => {
            let current = state
                .video_encoder_configuration(token)
                .filter(|c| s.dialect == Dialect::Media2 || xml::media1_visible(c))
                .ok_or_else(missing)?;
            let next = match s.dialect {
                Dialect::Media1 => read::read_video_encoder_configuration(el, current)?,
                Dialect::Media2 => read::read_video_encoder2_configuration(el, current)?,
            };
            state.set_video_encoder_configuration(next)?;
        }
        ConfigurationKind::AudioSource => {
            let current = state
                .audio_source_configuration(token)
                .ok_or_else(missing)?;
            let next = read::read_audio_source_configuration(el, current)?;
            state.set_audio_source_configuration(next)?;
        }
        ConfigurationKind::AudioEncoder => {
            let current = state
                .audio_encoder_configuration(token)
                .ok_or_else(missing)?;
            let next = read::read_audio_encoder_configuration(el, current)?;
            state.set_audio_encoder_configuration(next)?;
        }
        ConfigurationKind::Metadata => {
            let current = state.metadata_configuration(token).ok_or_else(missing)?;
            let next = read::read_metadata_configuration(el, current)?;
            state.set_metadata_configuration(next)?;
        }
    }
    let response = format!("Set{}ConfigurationResponse", kind.media2_name());
    Ok(changed(
        Reply::empty(&s.element(&response)),
        [configuration_changed(call, kind, token)],
    ))
}

/// DeleteProfile: the profile named by `param` (`ProfileToken` in ver10,
/// `Token` in Media2).
pub(crate) fn delete_profile(
    call: &Call<'_>,
    ctx: &mut OnvifContext,
    s: Service,
    param: &str,
) -> Result<Reply, Fault> {
    let token = required_text(call.body, s.ns, param)?;
    ctx.state.delete_profile(token)?;
    Ok(changed(
        Reply::empty(&s.element("DeleteProfileResponse")),
        [profile_changed(call, token)],
    ))
}

/// A GetStreamUri or GetSnapshotUri reply: the URI as `tt:MediaUri` in
/// Media ver10, as a plain `tr2:Uri` in Media2.
fn uri_reply(s: Service, response: &str, uri: &str) -> Reply {
    Reply::build(|w| {
        w.elem(&s.element(response), |w| match s.dialect {
            Dialect::Media1 => xml::write_media_uri(w, &s.element("MediaUri"), uri),
            Dialect::Media2 => {
                w.leaf(&s.element("Uri"), uri);
            }
        });
    })
}

/// GetStreamUri for the `ProfileToken` with `setup` (each service reads
/// its own form of it).
pub(crate) fn get_stream_uri(
    call: &Call<'_>,
    ctx: &mut OnvifContext,
    s: Service,
    setup: StreamSetup,
) -> Result<Reply, Fault> {
    let token = required_text(call.body, s.ns, "ProfileToken")?;
    let uri = stream_uri(call, &ctx.state, token, setup)?;
    Ok(uri_reply(s, "GetStreamUriResponse", &uri))
}

/// GetSnapshotUri for the `ProfileToken`.
pub(crate) fn get_snapshot_uri(
    call: &Call<'_>,
    ctx: &mut OnvifContext,
    s: Service,
) -> Result<Reply, Fault> {
    let token = required_text(call.body, s.ns, "ProfileToken")?;
    let uri = snapshot_uri(call, &ctx.state, token)?;
    Ok(uri_reply(s, "GetSnapshotUriResponse", &uri))
}

/// Start/StopMulticastStreaming: the runtime flag, for a profile that can
/// stream. Not a configuration change: nothing to persist.
pub(crate) fn multicast_streaming(
    call: &Call<'_>,
    ctx: &mut OnvifContext,
    s: Service,
    start: bool,
) -> Result<Reply, Fault> {
    let token = profile_param(call, s.ns, &ctx.state)?;
    if start {
        let profile = ctx
            .state
            .profile(token)
            .ok_or_else(|| Fault::no_profile(token))?;
        check_streamable(&ctx.state, profile)?;
    }
    ctx.state.set_multicast_streaming(token, start)?;
    let response = if start {
        "StartMulticastStreamingResponse"
    } else {
        "StopMulticastStreamingResponse"
    };
    Ok(Reply::empty(&s.element(response)))
}

/// SetSynchronizationPoint: checks the profile; nothing else to do.
pub(crate) fn set_synchronization_point(
    call: &Call<'_>,
    ctx: &mut OnvifContext,
    s: Service,
) -> Result<Reply, Fault> {
    profile_param(call, s.ns, &ctx.state)?;
    Ok(Reply::empty(&s.element("SetSynchronizationPointResponse")))
}
