//! WS-Discovery settings: scopes (fixed and configurable) and the
//! discovery mode. The discovery machine reads both from the state; a
//! change here is persisted and takes effect on its next Probe or Hello.

use super::{OnvifContext, required_text};
use crate::onvif::fault::ter;
use crate::onvif::{Call, Effect, Fault, Reply};
use crate::onvif_state::DiscoveryMode;

/// GetScopes: every scope with its kind, fixed ones first as stored.
pub(super) fn get_scopes(_call: &Call<'_>, ctx: &mut OnvifContext) -> Result<Reply, Fault> {
    let scopes = ctx.state.scopes();
    if scopes.is_empty() {
        return Err(Fault::receiver(
            &[ter::ACTION, "ter:EmptyScope"],
            "the scope list is empty",
        ));
    }
    Ok(Reply::build(|w| {
        w.elem("tds:GetScopesResponse", |w| {
            for scope in scopes {
                w.elem("tds:Scopes", |w| {
                    w.leaf(
                        "tt:ScopeDef",
                        if scope.fixed { "Fixed" } else { "Configurable" },
                    );
                    w.leaf("tt:ScopeItem", &scope.uri);
                });
            }
        });
    }))
}

/// The texts of every child `name` of the request body.
fn items<'a>(call: &'a Call<'_>, name: &'a str) -> Vec<&'a str> {
    call.body
        .children_by_local_name(name)
        .map(|e| e.text())
        .collect()
}

/// SetScopes: replaces the configurable scopes.
pub(super) fn set_scopes(call: &Call<'_>, ctx: &mut OnvifContext) -> Result<Reply, Fault> {
    let scopes = items(call, "Scopes");
    ctx.state.set_scopes(&scopes)?;
    Ok(Reply::empty("tds:SetScopesResponse").with_effect(Effect::PersistConfig))
}

/// AddScopes: adds configurable scopes.
pub(super) fn add_scopes(call: &Call<'_>, ctx: &mut OnvifContext) -> Result<Reply, Fault> {
    let scopes = items(call, "ScopeItem");
    if scopes.is_empty() {
        return Err(Fault::invalid_args(
            "AddScopes needs at least one ScopeItem",
        ));
    }
    ctx.state.add_scopes(&scopes)?;
    Ok(Reply::empty("tds:AddScopesResponse").with_effect(Effect::PersistConfig))
}

/// RemoveScopes: removes configurable scopes and lists them back.
pub(super) fn remove_scopes(call: &Call<'_>, ctx: &mut OnvifContext) -> Result<Reply, Fault> {
    let scopes = items(call, "ScopeItem");
    if scopes.is_empty() {
        return Err(Fault::invalid_args(
            "RemoveScopes needs at least one ScopeItem",
        ));
    }
    let removed = ctx.state.remove_scopes(&scopes)?;
    Ok(Reply::build(|w| {
        w.elem("tds:RemoveScopesResponse", |w| {
            for scope in &removed {
                w.leaf("tds:ScopeItem", scope);
            }
        });
    })
    .with_effect(Effect::PersistConfig))
}

/// GetDiscoveryMode.
pub(super) fn get_discovery_mode(_call: &Call<'_>, ctx: &mut OnvifContext) -> Result<Reply, Fault> {
    let mode = ctx.state.network().discovery_mode;
    Ok(Reply::build(|w| {
        w.elem("tds:GetDiscoveryModeResponse", |w| {
            w.leaf("tds:DiscoveryMode", mode.name());
        });
    }))
}

/// SetDiscoveryMode: `Discoverable` or `NonDiscoverable`.
pub(super) fn set_discovery_mode(call: &Call<'_>, ctx: &mut OnvifContext) -> Result<Reply, Fault> {
    let text = required_text(call.body, "DiscoveryMode")?;
    let mode = DiscoveryMode::from_name(text).ok_or_else(|| {
        Fault::invalid_arg_val(format!(
            "unknown DiscoveryMode {text:?} (Discoverable or NonDiscoverable)"
        ))
    })?;
    ctx.state.set_discovery_mode(mode);
    Ok(Reply::empty("tds:SetDiscoveryModeResponse").with_effect(Effect::PersistConfig))
}
