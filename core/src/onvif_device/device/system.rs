//! System operations: device information, date and time, factory default,
//! reboot, system log, support information and the endpoint reference.

use std::fmt::Write as _;

use super::{OnvifContext, host_secs, required_bool, required_text};
use crate::onvif::fault::ter;
use crate::onvif::values::format_datetime;
use crate::onvif::{Call, Effect, Element, Fault, Reply, XmlWriter, ns};
use crate::onvif_device::log;
use crate::onvif_state::{CivilDateTime, DateTimeType, PosixTz, ProtocolKind, SetDateTime};

/// GetDeviceInformation: `onvif.cfg` `<information>`.
pub(super) fn get_device_information(
    _call: &Call<'_>,
    ctx: &mut OnvifContext,
) -> Result<Reply, Fault> {
    let info = ctx.state.information();
    Ok(Reply::build(|w| {
        w.elem("tds:GetDeviceInformationResponse", |w| {
            w.leaf("tds:Manufacturer", &info.manufacturer);
            w.leaf("tds:Model", &info.model);
            w.leaf("tds:FirmwareVersion", &info.firmware_version);
            w.leaf("tds:SerialNumber", &info.serial_number);
            w.leaf("tds:HardwareId", &info.hardware_id);
        });
    }))
}

/// Writes a `tt:DateTime` (Time, then Date).
fn write_date_time(w: &mut XmlWriter, name: &str, t: CivilDateTime) {
    w.elem(name, |w| {
        w.elem("tt:Time", |w| {
            w.leaf_display("tt:Hour", t.hour);
            w.leaf_display("tt:Minute", t.minute);
            w.leaf_display("tt:Second", t.second);
        });
        w.elem("tt:Date", |w| {
            w.leaf_display("tt:Year", t.year);
            w.leaf_display("tt:Month", t.month);
            w.leaf_display("tt:Day", t.day);
        });
    });
}

/// GetSystemDateAndTime (PRE_AUTH): the device clock in UTC and in the
/// stored POSIX time zone. With the DaylightSavings flag cleared, the DST
/// part of the zone is ignored, as SetSystemDateAndTime defines the flag.
pub(super) fn get_system_date_and_time(
    call: &Call<'_>,
    ctx: &mut OnvifContext,
) -> Result<Reply, Fault> {
    let state = &ctx.state;
    let settings = state.date_time();
    let (utc, mut local, dst) = state.device_date_time(host_secs(call, state));
    if dst && !settings.daylight_savings {
        if let Some(tz) = PosixTz::parse(&settings.time_zone) {
            local = CivilDateTime::from_unix(utc.to_unix().saturating_add(i64::from(tz.offset)));
        }
    }
    Ok(Reply::build(|w| {
        w.elem("tds:GetSystemDateAndTimeResponse", |w| {
            w.elem("tds:SystemDateAndTime", |w| {
                w.leaf("tt:DateTimeType", settings.kind.name());
                w.leaf(
                    "tt:DaylightSavings",
                    super::xs_bool(settings.daylight_savings),
                );
                w.elem("tt:TimeZone", |w| {
                    w.leaf("tt:TZ", &settings.time_zone);
                });
                write_date_time(w, "tt:UTCDateTime", utc);
                write_date_time(w, "tt:LocalDateTime", local);
            });
        });
    }))
}

/// A `tt:DateTime` parameter (Date and Time in either order, any
/// namespace); out-of-range numbers are `ter:InvalidDateTime`.
fn parse_date_time(element: &Element) -> Result<CivilDateTime, Fault> {
    let invalid = |what: &str| {
        Fault::sender(
            &[ter::INVALID_ARG_VAL, ter::INVALID_DATE_TIME],
            format!("invalid date and time: {what}"),
        )
    };
    let date = element.required(ns::TT, "Date")?;
    let time = element.required(ns::TT, "Time")?;
    let field = |parent: &Element, name: &str| -> Result<i64, Fault> {
        parent
            .required(ns::TT, name)?
            .text()
            .parse::<i64>()
            .map_err(|_| invalid(name))
    };
    let small = |value: i64, name: &str| u32::try_from(value).map_err(|_| invalid(name));
    let year = field(date, "Year")?;
    Ok(CivilDateTime {
        year: i32::try_from(year).map_err(|_| invalid("Year"))?,
        month: small(field(date, "Month")?, "Month")?,
        day: small(field(date, "Day")?, "Day")?,
        hour: small(field(time, "Hour")?, "Hour")?,
        minute: small(field(time, "Minute")?, "Minute")?,
        second: small(field(time, "Second")?, "Second")?,
    })
}

/// SetSystemDateAndTime: stored, never applied to the host clock (a manual
/// time becomes an offset from it; see [`super::device_clock`]).
pub(super) fn set_system_date_and_time(
    call: &Call<'_>,
    ctx: &mut OnvifContext,
) -> Result<Reply, Fault> {
    let body = call.body;
    let kind_text = required_text(body, "DateTimeType")?;
    let kind = DateTimeType::from_name(kind_text)
        .ok_or_else(|| Fault::invalid_arg_val(format!("unknown DateTimeType {kind_text:?}")))?;
    let daylight_savings = required_bool(body, "DaylightSavings")?;
    let time_zone = match body.param(ns::TDS, "TimeZone") {
        Some(tz) => Some(tz.required(ns::TT, "TZ")?.text().to_owned()),
        None => None,
    };
    let utc = match body.param(ns::TDS, "UTCDateTime") {
        Some(element) if kind == DateTimeType::Manual => Some(parse_date_time(element)?),
        // "If DateTimeType is NTP, UTCDateTime has no meaning."
        _ => None,
    };
    if kind == DateTimeType::Ntp {
        let ntp = &ctx.state.network().ntp;
        if !ntp.from_dhcp && ntp.servers.is_empty() {
            return Err(Fault::sender(
                &[ter::INVALID_ARG_VAL, ter::NTP_SERVER_UNDEFINED],
                "cannot switch to NTP: no NTP server is defined (SetNTP first)",
            ));
        }
    }
    let request = SetDateTime {
        kind,
        daylight_savings,
        time_zone,
        utc,
    };
    let host_now = host_secs(call, &ctx.state);
    ctx.state.set_system_date_time(&request, host_now)?;
    Ok(Reply::empty("tds:SetSystemDateAndTimeResponse").with_effect(Effect::PersistConfig))
}

/// SetSystemFactoryDefault: the server returns the state to `onvif.cfg`
/// (hard: everything; soft: all but the network settings) and persists it
/// once the answer is decided ([`Effect::FactoryDefault`]).
pub(super) fn set_system_factory_default(
    call: &Call<'_>,
    _ctx: &mut OnvifContext,
) -> Result<Reply, Fault> {
    let hard = match required_text(call.body, "FactoryDefault")? {
        "Hard" => true,
        "Soft" => false,
        other => {
            return Err(Fault::invalid_arg_val(format!(
                "unknown FactoryDefault {other:?} (Hard or Soft)"
            )));
        }
    };
    Ok(Reply::empty("tds:SetSystemFactoryDefaultResponse")
        .with_effect(Effect::FactoryDefault { hard }))
}

/// SystemReboot: answered first, then the server restarts
/// ([`Effect::Reboot`]).
pub(super) fn system_reboot(_call: &Call<'_>, _ctx: &mut OnvifContext) -> Result<Reply, Fault> {
    Ok(Reply::build(|w| {
        w.elem("tds:SystemRebootResponse", |w| {
            w.leaf("tds:Message", "Rebooting now");
        });
    })
    .with_effect(Effect::Reboot))
}

/// The port of a network protocol, for the logs (0 = none).
fn port_of(ctx: &OnvifContext, kind: ProtocolKind) -> (bool, u16) {
    ctx.state
        .network()
        .protocols
        .iter()
        .find(|p| p.kind == kind)
        .map_or((false, 0), |p| {
            (p.enabled, p.ports.first().copied().unwrap_or(0))
        })
}

/// The system log: what the device knows about itself right now. The
/// device keeps no history of its own; the server's log output (tracing)
/// has the full record, and the log says so rather than inventing lines.
fn system_log(call: &Call<'_>, ctx: &OnvifContext) -> String {
    let now = format_datetime(call.device_time);
    let state = &ctx.state;
    let info = state.information();
    let server = state.server();
    let dt = state.date_time();
    let (http_on, http) = port_of(ctx, ProtocolKind::Http);
    let (https_on, https) = port_of(ctx, ProtocolKind::Https);
    let (_, rtsp) = port_of(ctx, ProtocolKind::Rtsp);
    let on = |b: bool| if b { "enabled" } else { "disabled" };
    let mut log = String::new();
    let mut line = |text: String| {
        let _ = writeln!(log, "{now} device: {text}");
    };
    line(format!(
        "{} {} firmware {}, serial {}, hardware {}",
        info.manufacturer, info.model, info.firmware_version, info.serial_number, info.hardware_id
    ));
    line(format!(
        "endpoint reference {}, WS-Discovery {}",
        state.endpoint_reference(),
        state.network().discovery_mode.name()
    ));
    line(format!(
        "ONVIF over HTTP port {http} ({}), HTTPS port {https} ({}), RTSP port {rtsp}",
        on(http_on),
        on(https_on)
    ));
    line(format!(
        "authentication {}, {} user(s), {} scope(s), {} media profile(s), {} relay output(s)",
        if server.need_auth { "required" } else { "off" },
        state.users().len(),
        state.scopes().len(),
        state.profiles().len(),
        state.relay_outputs().len()
    ));
    line(format!(
        "clock {} in time zone {}, daylight saving {}, {:+} s from the host clock",
        dt.kind.name(),
        dt.time_zone,
        if dt.daylight_savings { "on" } else { "off" },
        dt.clock_offset
    ));
    line(format!(
        "configuration changes since start, newest last (at most {}; the server's log has the full history: log {}, level {}):",
        log::CHANGE_LINES,
        on(server.log_enable),
        server.log_level.name()
    ));
    let mut changes = ctx.log.changes().peekable();
    if changes.peek().is_none() {
        line("none".to_owned());
    }
    for change in changes {
        log.push_str(change);
        log.push('\n');
    }
    log
}

/// The access log: the latest requests, allowed and refused, oldest first
/// (this one last).
fn access_log(ctx: &OnvifContext) -> String {
    let mut text = String::new();
    for line in ctx.log.access() {
        text.push_str(line);
        text.push('\n');
    }
    text
}

/// GetSystemLog (System or Access), as a string.
pub(super) fn get_system_log(call: &Call<'_>, ctx: &mut OnvifContext) -> Result<Reply, Fault> {
    let text = match required_text(call.body, "LogType")? {
        "System" => system_log(call, ctx),
        "Access" => access_log(ctx),
        other => {
            return Err(Fault::invalid_arg_val(format!(
                "unknown LogType {other:?} (System or Access)"
            )));
        }
    };
    Ok(Reply::build(|w| {
        w.elem("tds:GetSystemLogResponse", |w| {
            w.elem("tds:SystemLog", |w| {
                w.leaf("tt:String", &text);
            });
        });
    }))
}

/// Diagnostics for a support case: the system log plus the configuration
/// (passwords left out).
fn support_information(call: &Call<'_>, ctx: &OnvifContext) -> String {
    let state = &ctx.state;
    let mut out = system_log(call, ctx);
    out.push_str("\n[profiles]\n");
    for profile in state.profiles() {
        let _ = write!(out, "{} \"{}\"", profile.token, profile.name);
        if let Some(vec) = profile
            .video_encoder_configuration
            .as_deref()
            .and_then(|t| state.video_encoder_configuration(t))
        {
            let s = &vec.settings;
            let _ = write!(
                out,
                ": video {} {} {} fps {} kbit/s",
                s.encoding, s.resolution, s.framerate, s.bitrate_limit
            );
        }
        if let Some(aec) = profile
            .audio_encoder_configuration
            .as_deref()
            .and_then(|t| state.audio_encoder_configuration(t))
        {
            let s = &aec.settings;
            let _ = write!(
                out,
                ", audio {} {} kHz {} kbit/s",
                s.encoding, s.sample_rate, s.bitrate
            );
        }
        match &profile.stream_uri {
            Some(uri) => {
                let _ = writeln!(out, ", stream {uri}");
            }
            None => {
                let _ = writeln!(out, ", stream {}", state.default_stream());
            }
        }
    }
    out.push_str("\n[users]\n");
    for user in state.users() {
        let _ = writeln!(
            out,
            "{} {}{}",
            user.username,
            user.level.as_str(),
            if user.fixed { " (fixed)" } else { "" }
        );
    }
    out.push_str("\n[scopes]\n");
    for scope in state.scopes() {
        let _ = writeln!(
            out,
            "{} {}",
            if scope.fixed { "fixed" } else { "configurable" },
            scope.uri
        );
    }
    let network = state.network();
    out.push_str("\n[network, stored and not applied to the host]\n");
    let _ = writeln!(
        out,
        "hostname {} (from DHCP {})",
        network
            .hostname
            .name
            .as_deref()
            .unwrap_or(ctx.host.hostname.as_str()),
        network.hostname.from_dhcp
    );
    let _ = writeln!(
        out,
        "DNS from DHCP {}, servers {:?}, search {:?}",
        network.dns.from_dhcp, network.dns.servers, network.dns.search_domains
    );
    let ntp: Vec<String> = network.ntp.servers.iter().map(|h| h.value()).collect();
    let _ = writeln!(
        out,
        "NTP from DHCP {}, servers {ntp:?}",
        network.ntp.from_dhcp
    );
    for protocol in &network.protocols {
        let _ = writeln!(
            out,
            "{} {} ports {:?}",
            protocol.kind.name(),
            if protocol.enabled {
                "enabled"
            } else {
                "disabled"
            },
            protocol.ports
        );
    }
    out.push_str("\n[host interfaces]\n");
    for interface in &ctx.host.interfaces {
        let _ = writeln!(
            out,
            "{} up {} mtu {} ipv4 {:?} ipv6 {:?}",
            interface.name, interface.up, interface.mtu, interface.ipv4, interface.ipv6
        );
    }
    out
}

/// GetSystemSupportInformation, as a string.
pub(super) fn get_system_support_information(
    call: &Call<'_>,
    ctx: &mut OnvifContext,
) -> Result<Reply, Fault> {
    let text = support_information(call, ctx);
    Ok(Reply::build(|w| {
        w.elem("tds:GetSystemSupportInformationResponse", |w| {
            w.elem("tds:SupportInformation", |w| {
                w.leaf("tt:String", &text);
            });
        });
    }))
}

/// GetEndpointReference (PRE_AUTH): the stable WS-Discovery `urn:uuid:`.
pub(super) fn get_endpoint_reference(
    _call: &Call<'_>,
    ctx: &mut OnvifContext,
) -> Result<Reply, Fault> {
    let epr = ctx.state.endpoint_reference();
    Ok(Reply::build(|w| {
        w.elem("tds:GetEndpointReferenceResponse", |w| {
            w.leaf("tds:GUID", epr);
        });
    }))
}
