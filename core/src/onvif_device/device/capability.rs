//! GetServices, GetServiceCapabilities, GetCapabilities and GetWsdlUrl.
//!
//! XAddrs come from the request ([`Call::service_url`]), so a client behind
//! NAT gets addresses it can reach. Only the services this device hosts
//! ([`HOSTED_SERVICES`]) are advertised; their capabilities come from
//! [`crate::onvif_device::capabilities`], the same writers their own
//! GetServiceCapabilities use.

use super::OnvifContext;
use crate::onvif::fault::ter;
use crate::onvif::{Call, Fault, Reply, ServiceKind, XmlWriter, ns};
use crate::onvif_device::capabilities::{
    self, HOSTED_SERVICES, SUPPORTED_VERSIONS, service_version, write_service_capabilities,
};
use crate::onvif_device::media;

/// GetServices: each hosted service's namespace, XAddr, version and, with
/// `IncludeCapability`, its capabilities element.
pub(super) fn get_services(call: &Call<'_>, ctx: &mut OnvifContext) -> Result<Reply, Fault> {
    // Required by the schema; a client that leaves it out gets no
    // capabilities rather than a fault.
    let include = super::optional_bool(call.body, ns::TDS, "IncludeCapability")?.unwrap_or(false);
    let ctx = &*ctx;
    Ok(Reply::build(|w| {
        w.elem("tds:GetServicesResponse", |w| {
            for kind in HOSTED_SERVICES {
                w.elem("tds:Service", |w| {
                    w.leaf("tds:Namespace", kind.namespace());
                    w.leaf("tds:XAddr", &call.service_url(kind));
                    if include {
                        w.elem("tds:Capabilities", |w| {
                            write_service_capabilities(kind, w, ctx);
                        });
                    }
                    let (major, minor) = service_version(kind);
                    w.elem("tds:Version", |w| {
                        w.leaf_display("tt:Major", major);
                        w.leaf_display("tt:Minor", minor);
                    });
                });
            }
        });
    }))
}

/// GetServiceCapabilities of the device service.
pub(super) fn get_service_capabilities(
    _call: &Call<'_>,
    ctx: &mut OnvifContext,
) -> Result<Reply, Fault> {
    let ctx = &*ctx;
    Ok(Reply::build(|w| {
        w.elem("tds:GetServiceCapabilitiesResponse", |w| {
            capabilities::write_device_capabilities(w, ctx);
        });
    }))
}

/// The `tt:CapabilityCategory` values GetCapabilities may ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Category {
    All,
    Analytics,
    Device,
    Events,
    Imaging,
    Media,
    Ptz,
}

impl Category {
    fn parse(text: &str) -> Option<Category> {
        Some(match text {
            "All" => Category::All,
            "Analytics" => Category::Analytics,
            "Device" => Category::Device,
            "Events" => Category::Events,
            "Imaging" => Category::Imaging,
            "Media" => Category::Media,
            "PTZ" => Category::Ptz,
            _ => return None,
        })
    }

    /// The hosted service behind a category (`None` for All).
    fn service(self) -> Option<ServiceKind> {
        match self {
            Category::All => None,
            Category::Analytics => Some(ServiceKind::Analytics),
            Category::Device => Some(ServiceKind::Device),
            Category::Events => Some(ServiceKind::Events),
            Category::Imaging => Some(ServiceKind::Imaging),
            Category::Media => Some(ServiceKind::Media),
            Category::Ptz => Some(ServiceKind::Ptz),
        }
    }
}

/// GetCapabilities (the legacy interface): device, events and media, in
/// `tt:Capabilities` order. Asking for a category this device does not
/// host is `env:Receiver/ter:ActionNotSupported/ter:NoSuchService`.
pub(super) fn get_capabilities(call: &Call<'_>, ctx: &mut OnvifContext) -> Result<Reply, Fault> {
    let mut wanted: Vec<ServiceKind> = Vec::new();
    let mut asked_all = false;
    for element in call.body.children_by_local_name("Category") {
        let category = Category::parse(element.text()).ok_or_else(|| {
            Fault::invalid_arg_val(format!("unknown capability category {:?}", element.text()))
        })?;
        match category.service() {
            None => asked_all = true,
            Some(kind) if HOSTED_SERVICES.contains(&kind) => {
                if !wanted.contains(&kind) {
                    wanted.push(kind);
                }
            }
            Some(_) => {
                return Err(Fault::receiver(
                    &[ter::ACTION_NOT_SUPPORTED, "ter:NoSuchService"],
                    format!("the device has no {} service", element.text()),
                ));
            }
        }
    }
    // No category, or `All` anywhere in the list, means everything.
    let all = asked_all || wanted.is_empty();
    let show = |kind: ServiceKind| all || wanted.contains(&kind);
    let ctx = &*ctx;
    Ok(Reply::build(|w| {
        w.elem("tds:GetCapabilitiesResponse", |w| {
            w.elem("tds:Capabilities", |w| {
                if show(ServiceKind::Device) {
                    write_device(w, call, ctx);
                }
                if show(ServiceKind::Events) {
                    w.elem("tt:Events", |w| {
                        w.leaf("tt:XAddr", &call.service_url(ServiceKind::Events));
                        w.leaf("tt:WSSubscriptionPolicySupport", "false");
                        w.leaf("tt:WSPullPointSupport", "true");
                        w.leaf("tt:WSPausableSubscriptionManagerInterfaceSupport", "false");
                    });
                }
                if show(ServiceKind::Media) {
                    w.elem("tt:Media", |w| {
                        w.leaf("tt:XAddr", &call.service_url(ServiceKind::Media));
                        w.elem("tt:StreamingCapabilities", |w| {
                            w.leaf("tt:RTPMulticast", super::xs_bool(media::RTP_MULTICAST));
                            w.leaf("tt:RTP_TCP", super::xs_bool(media::RTP_TCP));
                            w.leaf("tt:RTP_RTSP_TCP", super::xs_bool(media::RTP_RTSP_TCP));
                        });
                        w.elem("tt:Extension", |w| {
                            w.elem("tt:ProfileCapabilities", |w| {
                                w.leaf_display(
                                    "tt:MaximumNumberOfProfiles",
                                    crate::config::MAX_PROFILES,
                                );
                            });
                        });
                    });
                }
            });
        });
    }))
}

/// `tt:Device` of GetCapabilities.
fn write_device(w: &mut XmlWriter, call: &Call<'_>, ctx: &OnvifContext) {
    let https = capabilities::https_enabled(ctx);
    w.elem("tt:Device", |w| {
        w.leaf("tt:XAddr", &call.service_url(ServiceKind::Device));
        w.elem("tt:Network", |w| {
            w.leaf("tt:IPFilter", "false");
            w.leaf("tt:ZeroConfiguration", "true");
            w.leaf("tt:IPVersion6", "false");
            w.leaf("tt:DynDNS", "false");
        });
        w.elem("tt:System", |w| {
            w.leaf("tt:DiscoveryResolve", "true");
            w.leaf("tt:DiscoveryBye", "true");
            w.leaf("tt:RemoteDiscovery", "false");
            w.leaf("tt:SystemBackup", "false");
            w.leaf("tt:SystemLogging", "true");
            w.leaf("tt:FirmwareUpgrade", "false");
            for (major, minor) in SUPPORTED_VERSIONS {
                w.elem("tt:SupportedVersions", |w| {
                    w.leaf_display("tt:Major", major);
                    w.leaf_display("tt:Minor", minor);
                });
            }
            w.elem("tt:Extension", |w| {
                w.leaf("tt:HttpFirmwareUpgrade", "false");
                w.leaf("tt:HttpSystemBackup", "false");
                w.leaf("tt:HttpSystemLogging", "false");
                w.leaf("tt:HttpSupportInformation", "false");
            });
        });
        w.elem("tt:IO", |w| {
            w.leaf("tt:InputConnectors", "0");
            w.leaf_display("tt:RelayOutputs", ctx.state.relay_outputs().len());
        });
        w.elem("tt:Security", |w| {
            w.leaf("tt:TLS1.1", "false");
            w.leaf("tt:TLS1.2", super::xs_bool(https));
            w.leaf("tt:OnboardKeyGeneration", "false");
            w.leaf("tt:AccessPolicyConfig", "false");
            w.leaf("tt:X.509Token", "false");
            w.leaf("tt:SAMLToken", "false");
            w.leaf("tt:KerberosToken", "false");
            w.leaf("tt:RELToken", "false");
            w.elem("tt:Extension", |w| {
                w.leaf("tt:TLS1.0", "false");
                w.elem("tt:Extension", |w| {
                    w.leaf("tt:Dot1X", "false");
                    w.leaf("tt:RemoteUserHandling", "false");
                });
            });
        });
    });
}

/// GetWsdlUrl (deprecated since 20.12): where the device WSDL lives.
pub(super) fn get_wsdl_url(_call: &Call<'_>, _ctx: &mut OnvifContext) -> Result<Reply, Fault> {
    Ok(Reply::build(|w| {
        w.elem("tds:GetWsdlUrlResponse", |w| {
            w.leaf(
                "tds:WsdlUrl",
                "http://www.onvif.org/ver10/device/wsdl/devicemgmt.wsdl",
            );
        });
    }))
}
