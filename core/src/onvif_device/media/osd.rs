//! The OSD operations, the same in Media ver10 (`trt`) and Media2
//! (`tr2`): GetOSDs, GetOSD (ver10 only), GetOSDOptions, CreateOSD, SetOSD,
//! DeleteOSD. Each handler is called with the service's prefix and
//! namespace; the response elements are `{prefix}:GetOSDsResponse` ...

use super::read::{read_osd, required_text};
use super::shared::{Service, changed, configuration_type_changed};
use super::xml::{write_osd, write_osd_options};
use crate::onvif::{Call, Fault, Reply};
use crate::onvif_device::OnvifContext;

/// The `Type` of OSD ConfigurationChanged events.
const OSD_TYPE: &str = "OSD";

/// GetOSDs: all, those of a video source configuration
/// (`ConfigurationToken`), or one (`OSDToken`, Media2).
pub(crate) fn get_osds(
    call: &Call<'_>,
    ctx: &mut OnvifContext,
    s: Service,
) -> Result<Reply, Fault> {
    let state = &ctx.state;
    let config = call.body.param_text(s.ns, "ConfigurationToken");
    if let Some(config) = config {
        if state.video_source_configuration(config).is_none() {
            return Err(Fault::no_config(config));
        }
    }
    let osd_token = call.body.param_text(s.ns, "OSDToken");
    if let Some(token) = osd_token {
        if state.osd(token).is_none() {
            return Err(Fault::no_config(token));
        }
    }
    let item = format!("{}:OSDs", s.prefix);
    Ok(Reply::build(|w| {
        w.elem(&format!("{}:GetOSDsResponse", s.prefix), |w| {
            for osd in state.osds() {
                let wanted = config.is_none_or(|c| osd.video_source_configuration == c)
                    && osd_token.is_none_or(|t| osd.token == t);
                if wanted {
                    write_osd(w, &item, osd);
                }
            }
        });
    }))
}

/// GetOSD (Media ver10).
pub(crate) fn get_osd(call: &Call<'_>, ctx: &mut OnvifContext, s: Service) -> Result<Reply, Fault> {
    let token = required_text(call.body, s.ns, "OSDToken")?;
    let osd = ctx
        .state
        .osd(token)
        .ok_or_else(|| Fault::no_config(token))?;
    Ok(Reply::build(|w| {
        w.elem(&format!("{}:GetOSDResponse", s.prefix), |w| {
            write_osd(w, &format!("{}:OSD", s.prefix), osd);
        });
    }))
}

/// GetOSDOptions for a video source configuration.
pub(crate) fn get_osd_options(
    call: &Call<'_>,
    ctx: &mut OnvifContext,
    s: Service,
) -> Result<Reply, Fault> {
    let token = required_text(call.body, s.ns, "ConfigurationToken")?;
    if ctx.state.video_source_configuration(token).is_none() {
        return Err(Fault::no_config(token));
    }
    let options = ctx.state.osd_options();
    Ok(Reply::build(|w| {
        w.elem(&format!("{}:GetOSDOptionsResponse", s.prefix), |w| {
            write_osd_options(w, &format!("{}:OSDOptions", s.prefix), &options);
        });
    }))
}

/// CreateOSD: answers the new `OSDToken_N`.
pub(crate) fn create_osd(
    call: &Call<'_>,
    ctx: &mut OnvifContext,
    s: Service,
) -> Result<Reply, Fault> {
    let osd = read_osd(call.body.required(s.ns, "OSD")?)?;
    let token = ctx.state.create_osd(osd)?;
    let reply = Reply::build(|w| {
        w.elem(&format!("{}:CreateOSDResponse", s.prefix), |w| {
            w.leaf(&format!("{}:OSDToken", s.prefix), &token);
        });
    });
    Ok(changed(
        reply,
        [configuration_type_changed(call, OSD_TYPE, &token)],
    ))
}

/// SetOSD: replaces the OSD named by the element's `token`.
pub(crate) fn set_osd(call: &Call<'_>, ctx: &mut OnvifContext, s: Service) -> Result<Reply, Fault> {
    let osd = read_osd(call.body.required(s.ns, "OSD")?)?;
    if osd.token.is_empty() {
        return Err(Fault::invalid_args("<OSD> without a token"));
    }
    let token = osd.token.clone();
    ctx.state.set_osd(osd)?;
    Ok(changed(
        Reply::empty(&format!("{}:SetOSDResponse", s.prefix)),
        [configuration_type_changed(call, OSD_TYPE, &token)],
    ))
}

/// DeleteOSD.
pub(crate) fn delete_osd(
    call: &Call<'_>,
    ctx: &mut OnvifContext,
    s: Service,
) -> Result<Reply, Fault> {
    let token = required_text(call.body, s.ns, "OSDToken")?;
    ctx.state.delete_osd(token)?;
    Ok(changed(
        Reply::empty(&format!("{}:DeleteOSDResponse", s.prefix)),
        [configuration_type_changed(call, OSD_TYPE, token)],
    ))
}
