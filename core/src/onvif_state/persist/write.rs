//! Writing the state as `onvifrun.cfg` text.

use std::fmt::{Display, Write as _};

use super::RUNTIME_VERSION;
use crate::config::{AudioEncoderSettings, GovSettings, VideoEncoderSettings};
use crate::onvif_state::DeviceState;
use crate::onvif_state::types::{
    MulticastConfig, NetworkHost, OsdContent, RelayIdleState, RelayMode,
};

/// An indenting XML writer for the runtime file.
struct Writer {
    out: String,
    depth: usize,
}

impl Writer {
    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.out.push_str("    ");
        }
    }

    /// `<name a="v">` on its own line, then one level deeper.
    fn open(&mut self, name: &str, attributes: &[(&str, &str)]) {
        self.indent();
        self.out.push('<');
        self.out.push_str(name);
        for (key, value) in attributes {
            self.out.push(' ');
            self.out.push_str(key);
            self.out.push_str("=\"");
            escape_into(&mut self.out, value);
            self.out.push('"');
        }
        self.out.push_str(">\n");
        self.depth += 1;
    }

    fn close(&mut self, name: &str) {
        self.depth = self.depth.saturating_sub(1);
        self.indent();
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push_str(">\n");
    }

    /// `<name>value</name>`.
    fn leaf(&mut self, name: &str, value: impl Display) {
        self.leaf_with(name, &[], value);
    }

    /// `<name a="v">value</name>`.
    fn leaf_with(&mut self, name: &str, attributes: &[(&str, &str)], value: impl Display) {
        self.indent();
        self.out.push('<');
        self.out.push_str(name);
        for (key, v) in attributes {
            self.out.push(' ');
            self.out.push_str(key);
            self.out.push_str("=\"");
            escape_into(&mut self.out, v);
            self.out.push('"');
        }
        self.out.push('>');
        let text = value.to_string();
        escape_into(&mut self.out, &text);
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push_str(">\n");
    }

    /// `<name>0|1</name>`.
    fn flag(&mut self, name: &str, value: bool) {
        self.leaf(name, u8::from(value));
    }

    /// `<name>value</name>` when there is a value, `<name></name>` when not.
    fn optional(&mut self, name: &str, value: Option<impl Display>) {
        match value {
            Some(value) => self.leaf(name, value),
            None => self.leaf(name, ""),
        }
    }
}

/// Escapes text or attribute values; control characters (which the state
/// never holds) become U+FFFD so the output stays well-formed.
fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c if c.is_control() => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
}

impl DeviceState {
    /// The complete runtime state as `onvifrun.cfg` text (see the
    /// `persist` module for the layout). Pure text generation: the runtime
    /// writes it to a temporary file and renames that over `onvifrun.cfg`
    /// after every change. [`DeviceState::from_runtime_xml`] reads it back
    /// to an equal state (the default stream aside, which is not kept).
    pub fn to_runtime_xml(&self) -> String {
        let mut w = Writer {
            out: String::with_capacity(8 * 1024),
            depth: 0,
        };
        w.out
            .push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
        w.out.push_str(
            "<!-- onvifrun.cfg: the runtime state of onvif-rtsp-server, rewritten on every change.\n     Stop the server and delete this file to start again from onvif.cfg. -->\n",
        );
        w.open("config", &[]);
        w.leaf("runtime_version", RUNTIME_VERSION);
        self.write_server(&mut w);
        self.write_media(&mut w);
        self.write_profiles(&mut w);
        for scope in &self.scopes {
            w.open("scope", &[]);
            w.leaf(
                "ScopeDef",
                if scope.fixed { "Fixed" } else { "Configurable" },
            );
            w.leaf("ScopeItem", &scope.uri);
            w.close("scope");
        }
        w.open("event", &[]);
        w.leaf("renew_interval", self.event.renew_interval);
        w.flag("simulate_enable", self.event.simulate_enable);
        w.close("event");
        self.write_date_time(&mut w);
        self.write_network(&mut w);
        w.close("config");
        w.out
    }

    fn write_server(&self, w: &mut Writer) {
        let s = &self.server;
        w.optional("server_ip", s.server_ip);
        w.flag("http_enable", s.http_enable);
        w.leaf("http_port", s.http_port);
        w.flag("https_enable", s.https_enable);
        w.leaf("https_port", s.https_port);
        w.optional("cert_file", s.cert_file.as_deref());
        w.optional("key_file", s.key_file.as_deref());
        w.leaf("http_max_users", s.http_max_users);
        w.flag("need_auth", s.need_auth);
        w.flag("log_enable", s.log_enable);
        w.leaf("log_level", s.log_level as u8);
        w.leaf("EndpointReference", &self.endpoint_reference);
        let info = &self.information;
        w.open("information", &[]);
        w.leaf("Manufacturer", &info.manufacturer);
        w.leaf("Model", &info.model);
        w.leaf("FirmwareVersion", &info.firmware_version);
        w.leaf("SerialNumber", &info.serial_number);
        w.leaf("HardwareId", &info.hardware_id);
        w.close("information");
        for user in &self.users {
            w.open("user", &[]);
            w.leaf("username", &user.username);
            w.leaf("password", &user.password);
            w.leaf("userlevel", user.level.as_str());
            w.flag("fixed", user.fixed);
            w.close("user");
        }
    }

    fn write_media(&self, w: &mut Writer) {
        for source in &self.video_sources {
            w.open("VideoSources", &[("token", &source.token)]);
            w.leaf("width", source.resolution.width);
            w.leaf("height", source.resolution.height);
            w.leaf("framerate", source.framerate);
            w.close("VideoSources");
        }
        for config in &self.video_source_configurations {
            w.open("VideoSourceConfigurations", &[("token", &config.token)]);
            w.leaf("name", &config.name);
            w.leaf("source_token", &config.source_token);
            w.open("bounds", &[]);
            w.leaf("x", config.bounds.x);
            w.leaf("y", config.bounds.y);
            w.leaf("width", config.bounds.width);
            w.leaf("height", config.bounds.height);
            w.close("bounds");
            w.close("VideoSourceConfigurations");
        }
        for config in &self.video_encoder_configurations {
            w.open("VideoEncoderConfigurations", &[("token", &config.token)]);
            w.leaf("name", &config.name);
            write_video_encoder(w, &config.settings);
            write_multicast(w, &config.multicast);
            w.close("VideoEncoderConfigurations");
        }
        for source in &self.audio_sources {
            w.open("AudioSources", &[("token", &source.token)]);
            w.leaf("channels", source.channels);
            w.close("AudioSources");
        }
        for config in &self.audio_source_configurations {
            w.open("AudioSourceConfigurations", &[("token", &config.token)]);
            w.leaf("name", &config.name);
            w.leaf("source_token", &config.source_token);
            w.close("AudioSourceConfigurations");
        }
        for config in &self.audio_encoder_configurations {
            w.open("AudioEncoderConfigurations", &[("token", &config.token)]);
            w.leaf("name", &config.name);
            write_audio_encoder(w, &config.settings);
            write_multicast(w, &config.multicast);
            w.close("AudioEncoderConfigurations");
        }
        for config in &self.metadata_configurations {
            w.open("MetadataConfigurations", &[("token", &config.token)]);
            w.leaf("name", &config.name);
            w.leaf("session_timeout", config.session_timeout);
            w.flag("analytics", config.analytics);
            w.flag("events", config.events);
            w.flag("ptz_status", config.ptz_status);
            write_multicast(w, &config.multicast);
            w.close("MetadataConfigurations");
        }
        for osd in &self.osds {
            w.open("OSDConfigurations", &[("token", &osd.token)]);
            w.leaf(
                "video_source_configuration",
                &osd.video_source_configuration,
            );
            w.open("position", &[]);
            w.leaf("type", osd.position.kind.name());
            w.leaf("x", osd.position.x);
            w.leaf("y", osd.position.y);
            w.close("position");
            match &osd.content {
                OsdContent::Text(text) => {
                    w.open("text", &[]);
                    w.leaf("type", text.text_type.name());
                    w.leaf("plain_text", &text.plain_text);
                    w.leaf("date_format", &text.date_format);
                    w.leaf("time_format", &text.time_format);
                    w.leaf("font_size", text.font_size);
                    w.close("text");
                }
                OsdContent::Image(path) => w.leaf("image", path),
            }
            w.close("OSDConfigurations");
        }
        for relay in &self.relay_outputs {
            w.open("RelayOutputs", &[("token", &relay.token)]);
            w.leaf(
                "mode",
                match relay.mode {
                    RelayMode::Bistable => "Bistable",
                    RelayMode::Monostable => "Monostable",
                },
            );
            w.leaf("delay_time", relay.delay_time);
            w.leaf(
                "idle_state",
                match relay.idle_state {
                    RelayIdleState::Closed => "closed",
                    RelayIdleState::Open => "open",
                },
            );
            w.flag("active", relay.active);
            w.close("RelayOutputs");
        }
    }

    fn write_profiles(&self, w: &mut Writer) {
        for profile in &self.profiles {
            let fixed = if profile.fixed { "1" } else { "0" };
            w.open("profile", &[("token", &profile.token), ("fixed", fixed)]);
            w.leaf("Name", &profile.name);
            for (name, token) in [
                (
                    "video_source_configuration",
                    &profile.video_source_configuration,
                ),
                (
                    "video_encoder_configuration",
                    &profile.video_encoder_configuration,
                ),
                (
                    "audio_source_configuration",
                    &profile.audio_source_configuration,
                ),
                (
                    "audio_encoder_configuration",
                    &profile.audio_encoder_configuration,
                ),
                ("metadata_configuration", &profile.metadata_configuration),
            ] {
                if let Some(token) = token {
                    w.leaf(name, token);
                }
            }
            let append = if profile.append_params { "1" } else { "0" };
            w.leaf_with(
                "stream_uri",
                &[("append_params", append)],
                profile.stream_uri.as_deref().unwrap_or(""),
            );
            w.close("profile");
        }
    }

    fn write_date_time(&self, w: &mut Writer) {
        let dt = &self.date_time;
        w.open("SystemDateTime", &[]);
        w.leaf("DateTimeType", dt.kind.name());
        w.flag("DaylightSavings", dt.daylight_savings);
        w.leaf("TZ", &dt.time_zone);
        w.leaf("ClockOffset", dt.clock_offset);
        w.close("SystemDateTime");
    }

    fn write_network(&self, w: &mut Writer) {
        let net = &self.network;
        w.open("network", &[]);
        w.open("HostnameInformation", &[]);
        w.flag("FromDHCP", net.hostname.from_dhcp);
        if let Some(name) = &net.hostname.name {
            w.leaf("Name", name);
        }
        w.close("HostnameInformation");
        w.leaf("DiscoveryMode", net.discovery_mode.name());
        w.open("DNSInformation", &[]);
        w.flag("FromDHCP", net.dns.from_dhcp);
        for domain in &net.dns.search_domains {
            w.leaf("SearchDomain", domain);
        }
        for server in &net.dns.servers {
            w.leaf("DNSManual", server);
        }
        w.close("DNSInformation");
        w.open("NTPInformation", &[]);
        w.flag("FromDHCP", net.ntp.from_dhcp);
        for server in &net.ntp.servers {
            w.leaf("NTPManual", host_text(server));
        }
        w.close("NTPInformation");
        for protocol in &net.protocols {
            w.open("NetworkProtocols", &[]);
            w.leaf("Name", protocol.kind.name());
            w.flag("Enabled", protocol.enabled);
            for port in &protocol.ports {
                w.leaf("Port", port);
            }
            w.close("NetworkProtocols");
        }
        w.open("NetworkGateway", &[]);
        for address in &net.gateway.ipv4 {
            w.leaf("IPv4Address", address);
        }
        for address in &net.gateway.ipv6 {
            w.leaf("IPv6Address", address);
        }
        w.close("NetworkGateway");
        w.open("ZeroConfiguration", &[]);
        if let Some(token) = &net.zero_configuration.interface_token {
            w.leaf("InterfaceToken", token);
        }
        w.flag("Enabled", net.zero_configuration.enabled);
        w.close("ZeroConfiguration");
        for interface in &net.interfaces {
            w.open("NetworkInterface", &[("token", &interface.token)]);
            if let Some(enabled) = interface.enabled {
                w.flag("Enabled", enabled);
            }
            if let Some(mtu) = interface.mtu {
                w.leaf("MTU", mtu);
            }
            if let Some(dhcp) = interface.ipv4_dhcp {
                w.flag("DHCP", dhcp);
            }
            for address in &interface.ipv4_manual {
                let mut text = address.address.to_string();
                let _ = write!(text, "/{}", address.prefix_length);
                w.leaf("IPv4Address", text);
            }
            w.close("NetworkInterface");
        }
        w.close("network");
    }
}

fn host_text(host: &NetworkHost) -> String {
    host.value()
}

/// The `onvif.cfg` children of a `<video_encoder>`.
fn write_video_encoder(w: &mut Writer, s: &VideoEncoderSettings) {
    w.leaf("width", s.resolution.width);
    w.leaf("height", s.resolution.height);
    w.leaf("quality", s.quality);
    w.leaf("session_timeout", s.session_timeout);
    w.leaf("framerate", s.framerate);
    w.leaf("encoding_interval", s.encoding_interval);
    w.leaf("bitrate_limit", s.bitrate_limit);
    w.leaf("encoding", s.encoding.name());
    write_gov(w, "h264", "h264_profile", &s.h264, |p| p.name());
    write_gov(w, "h265", "h265_profile", &s.h265, |p| p.name());
    write_gov(w, "mpeg4", "mpeg4_profile", &s.mpeg4, |p| p.name());
}

fn write_gov<P: Copy>(
    w: &mut Writer,
    section: &str,
    profile_element: &str,
    gov: &GovSettings<P>,
    name: fn(P) -> &'static str,
) {
    w.open(section, &[]);
    w.leaf("gov_length", gov.gov_length);
    w.leaf(profile_element, name(gov.profile));
    w.close(section);
}

/// The `onvif.cfg` children of an `<audio_encoder>`.
fn write_audio_encoder(w: &mut Writer, s: &AudioEncoderSettings) {
    w.leaf("session_timeout", s.session_timeout);
    w.leaf("sample_rate", s.sample_rate);
    w.leaf("bitrate", s.bitrate);
    w.leaf("encoding", s.encoding.name());
}

fn write_multicast(w: &mut Writer, m: &MulticastConfig) {
    w.open("multicast", &[]);
    w.leaf("address", m.address);
    w.leaf("port", m.port);
    w.leaf("ttl", m.ttl);
    w.flag("auto_start", m.auto_start);
    w.close("multicast");
}

#[cfg(test)]
mod tests {
    use super::escape_into;

    #[test]
    fn escaping() {
        let mut out = String::new();
        escape_into(&mut out, "a&b<c>\"d\"\te\u{1}");
        assert_eq!(out, "a&amp;b&lt;c&gt;&quot;d&quot;&#9;e\u{fffd}");
    }
}
