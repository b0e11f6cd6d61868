//! Relay outputs of the device service: GetRelayOutputs,
//! SetRelayOutputSettings and SetRelayOutputState. The relays are virtual
//! (the state holds them); a state change is published as the ONVIF
//! `tns1:Device/Trigger/Relay` property event.

use std::time::Duration;

use super::{OnvifContext, required_text};
use crate::onvif::values::format_duration;
use crate::onvif::{Call, Effect, Fault, Notification, PropertyOperation, Reply, ns};
use crate::onvif_state::{RelayIdleState, RelayMode};

/// `tt:RelayMode`.
fn mode_name(mode: RelayMode) -> &'static str {
    match mode {
        RelayMode::Bistable => "Bistable",
        RelayMode::Monostable => "Monostable",
    }
}

/// `tt:RelayIdleState`.
fn idle_name(idle: RelayIdleState) -> &'static str {
    match idle {
        RelayIdleState::Closed => "closed",
        RelayIdleState::Open => "open",
    }
}

/// `tt:RelayLogicalState`.
fn logical_state(active: bool) -> &'static str {
    if active { "active" } else { "inactive" }
}

/// GetRelayOutputs.
pub(super) fn get_relay_outputs(_call: &Call<'_>, ctx: &mut OnvifContext) -> Result<Reply, Fault> {
    let relays = ctx.state.relay_outputs();
    Ok(Reply::build(|w| {
        w.elem("tds:GetRelayOutputsResponse", |w| {
            for relay in relays {
                w.start("tds:RelayOutputs").attr("token", &relay.token);
                w.elem("tt:Properties", |w| {
                    w.leaf("tt:Mode", mode_name(relay.mode));
                    w.leaf(
                        "tt:DelayTime",
                        &format_duration(Duration::from_secs(u64::from(relay.delay_time))),
                    );
                    w.leaf("tt:IdleState", idle_name(relay.idle_state));
                });
                w.end();
            }
        });
    }))
}

/// SetRelayOutputSettings: mode, delay and idle state.
pub(super) fn set_relay_output_settings(
    call: &Call<'_>,
    ctx: &mut OnvifContext,
) -> Result<Reply, Fault> {
    let token = required_text(call.body, "RelayOutputToken")?;
    let properties = call.body.required(ns::TDS, "Properties")?;
    let mode = match properties.required(ns::TT, "Mode")?.text() {
        "Bistable" => RelayMode::Bistable,
        "Monostable" => RelayMode::Monostable,
        other => {
            return Err(Fault::invalid_arg_val(format!(
                "unknown relay Mode {other:?}"
            )));
        }
    };
    let delay = properties.required(ns::TT, "DelayTime")?.parse_duration()?;
    let delay_time = u32::try_from(delay.as_secs())
        .map_err(|_| Fault::invalid_arg_val("relay DelayTime too long"))?;
    let idle = match properties.required(ns::TT, "IdleState")?.text() {
        "closed" => RelayIdleState::Closed,
        "open" => RelayIdleState::Open,
        other => {
            return Err(Fault::invalid_arg_val(format!(
                "unknown relay IdleState {other:?}"
            )));
        }
    };
    ctx.state
        .set_relay_output_settings(token, mode, delay_time, idle)?;
    Ok(Reply::empty("tds:SetRelayOutputSettingsResponse").with_effect(Effect::PersistConfig))
}

/// SetRelayOutputState: `active` or `inactive`. The logical state is not
/// part of `onvifrun.cfg` (a relay starts inactive), so nothing is
/// persisted; subscribers get a `tns1:Device/Trigger/Relay` event.
pub(super) fn set_relay_output_state(
    call: &Call<'_>,
    ctx: &mut OnvifContext,
) -> Result<Reply, Fault> {
    let token = required_text(call.body, "RelayOutputToken")?;
    let active = match required_text(call.body, "LogicalState")? {
        "active" => true,
        "inactive" => false,
        other => {
            return Err(Fault::invalid_arg_val(format!(
                "unknown LogicalState {other:?} (active or inactive)"
            )));
        }
    };
    let changed = ctx
        .state
        .relay_outputs()
        .iter()
        .find(|r| r.token == token)
        .is_some_and(|r| r.active != active);
    ctx.state.set_relay_output_state(token, active)?;
    let mut reply = Reply::empty("tds:SetRelayOutputStateResponse");
    if changed {
        let mut event = Notification::new("tns1:Device/Trigger/Relay", call.device_time);
        event.operation = Some(PropertyOperation::Changed);
        event
            .source
            .push(("RelayToken".to_owned(), token.to_owned()));
        event
            .data
            .push(("LogicalState".to_owned(), logical_state(active).to_owned()));
        reply = reply.with_effect(Effect::Notify(event));
    }
    Ok(reply)
}
