//! What the Media (ver10) and Media2 (ver20) handlers share: the effects
//! of a change, stream and snapshot URIs, and the faults of both services.

use super::read::required_text;
use crate::onvif::fault::ter;
use crate::onvif::{Call, Effect, Fault, Notification, Reply};
use crate::onvif_state::{
    ConfigurationKind, DEFAULT_RTSP_PORT, DeviceState, Profile, ProtocolKind, StreamLocation,
    StreamSetup,
};

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
