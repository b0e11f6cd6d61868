//! End-to-end tests of `parse_onvif_config` on whole files.

use super::*;

/// The manual's onvif.cfg template (section 1.1.1), reassembled across its
/// page break.
pub(crate) const TEMPLATE: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<config>
    <server_ip></server_ip>
    <http_enable>1</http_enable>
    <http_port>8000</http_port>
    <https_enable>1</https_enable>
    <https_port>8443</https_port>
    <cert_file>ssl.ca</cert_file>
    <key_file>ssl.key</key_file>
    <http_max_users>16</http_max_users>
    <need_auth>0</need_auth>
    <log_enable>1</log_enable>
    <log_level>1</log_level>
    <information>
        <Manufacturer>Happytimesoft</Manufacturer>
        <Model>IPCamera</Model>
        <FirmwareVersion>2.4</FirmwareVersion>
        <SerialNumber>123456</SerialNumber>
        <HardwareId>1.0</HardwareId>
    </information>
    <user>
        <username>admin</username>
        <password>admin</password>
        <userlevel>Administrator</userlevel>
    </user>
    <profile>
        <video_source>
            <width>1280</width>
            <height>720</height>
        </video_source>

        <video_encoder>
            <width>1280</width>
            <height>720</height>
            <quality>4</quality>
            <session_timeout>10</session_timeout>
            <framerate>25</framerate>
            <encoding_interval>1</encoding_interval>
            <bitrate_limit>2048</bitrate_limit>
            <encoding>H264</encoding>
            <h264>
                <gov_length>25</gov_length>
                <h264_profile>Main</h264_profile>
            </h264>
        </video_encoder>

        <audio_source></audio_source>
        <audio_encoder>
            <session_timeout>10</session_timeout>
            <sample_rate>8</sample_rate>
            <bitrate>64</bitrate>
            <encoding>G711</encoding>
        </audio_encoder>
        <stream_uri append_params="0"></stream_uri>
    </profile>
    <scope>onvif://www.onvif.org/location/country/china</scope>
    <scope>onvif://www.onvif.org/name/IP-Camera</scope>
    <scope>onvif://www.onvif.org/hardware/HI3518C</scope>
    <event>
        <renew_interval>60</renew_interval>
        <simulate_enable>1</simulate_enable>
    </event>
</config>
"#;

fn parse(text: &str) -> (OnvifConfig, Vec<ConfigWarning>) {
    match parse_onvif_config(text, "onvif.cfg") {
        Ok(parsed) => parsed,
        Err(err) => panic!("{err}"),
    }
}

fn error(text: &str) -> String {
    match parse_onvif_config(text, "onvif.cfg") {
        Ok((config, _)) => panic!("accepted: {config:?}"),
        Err(err) => err.to_string(),
    }
}

/// A file of `body` inside `<config>`, line 1 being `<config>`.
fn cfg(body: &str) -> String {
    format!("<config>\n{body}\n</config>\n")
}

/// A file with one profile holding `body`.
fn profile(body: &str) -> String {
    cfg(&format!("<profile>\n{body}\n</profile>"))
}

#[test]
fn template_parses_with_its_values() {
    let (config, warnings) = parse(TEMPLATE);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(config.server.server_ip, None);
    assert!(config.server.http_enable && config.server.https_enable);
    assert_eq!(
        (config.server.http_port, config.server.https_port),
        (8000, 8443)
    );
    assert_eq!(config.server.cert_file.as_deref(), Some("ssl.ca"));
    assert_eq!(config.server.key_file.as_deref(), Some("ssl.key"));
    assert_eq!(config.server.http_max_users, 16);
    assert!(!config.server.need_auth);
    assert!(config.server.log_enable);
    assert_eq!(config.server.log_level, LogLevel::Debug);
    assert_eq!(
        config.information,
        DeviceInformation {
            manufacturer: "Happytimesoft".into(),
            model: "IPCamera".into(),
            firmware_version: "2.4".into(),
            serial_number: "123456".into(),
            hardware_id: "1.0".into(),
        }
    );
    assert_eq!(config.users.len(), 1);
    let admin = &config.users[0];
    assert_eq!(
        (
            admin.username.as_str(),
            admin.password.as_str(),
            admin.level,
            admin.fixed
        ),
        ("admin", "admin", UserLevel::Administrator, true)
    );

    assert_eq!(config.profiles.len(), 1);
    let p = &config.profiles[0];
    assert_eq!(p.token, None);
    assert!(p.fixed);
    assert_eq!(p.video_source, Some(Resolution::new(1280, 720)));
    let video = p.video_encoder.expect("video encoder");
    assert_eq!(video.encoding, VideoEncoding::H264);
    assert_eq!(video.resolution, Resolution::new(1280, 720));
    assert_eq!(video.quality, 4.0);
    assert_eq!(video.session_timeout, 10);
    assert_eq!(video.framerate, 25);
    assert_eq!(video.encoding_interval, 1);
    assert_eq!(video.bitrate_limit, 2048);
    assert_eq!(video.h264.gov_length, 25);
    assert_eq!(video.h264.profile, H264Profile::Main);
    assert_eq!(video.gov_length(), Some(25));
    assert_eq!(video.profile_name(), Some("Main"));
    assert!(p.audio_source);
    assert_eq!(
        p.audio_encoder,
        Some(AudioEncoderSettings {
            encoding: AudioEncoding::G711,
            bitrate: 64,
            sample_rate: 8,
            session_timeout: 10,
        })
    );
    assert_eq!(p.stream_uri, None);
    assert!(!p.append_params);

    let scopes: Vec<(&str, bool)> = config
        .scopes
        .iter()
        .map(|s| (s.uri.as_str(), s.fixed))
        .collect();
    assert_eq!(
        scopes,
        [
            ("onvif://www.onvif.org/location/country/china", true),
            ("onvif://www.onvif.org/name/IP-Camera", true),
            ("onvif://www.onvif.org/hardware/HI3518C", true),
        ]
    );
    assert_eq!(
        config.event,
        EventConfig {
            renew_interval: 60,
            simulate_enable: true
        }
    );
}

#[test]
fn defaults_without_a_file() {
    let config = OnvifConfig::default();
    assert!(config.server.http_enable && !config.server.https_enable);
    assert_eq!(
        (config.server.http_port, config.server.https_port),
        (8000, 8443)
    );
    assert!(!config.server.need_auth);
    assert_eq!(config.server.http_max_users, 16);
    assert_eq!(config.users.len(), 1);
    assert_eq!(config.users[0].username, "admin");
    assert_eq!(config.users[0].password, "admin");
    assert_eq!(config.users[0].level, UserLevel::Administrator);
    assert_eq!(config.information.manufacturer, "onvif-rtsp-server");
    assert_eq!(
        config.information.firmware_version,
        env!("CARGO_PKG_VERSION")
    );
    assert_eq!(config.profiles.len(), 2);
    let main = &config.profiles[0];
    let main_video = main.video_encoder.expect("main video");
    assert_eq!(main_video.resolution, Resolution::new(1280, 720));
    assert_eq!(main_video.encoding, VideoEncoding::H264);
    assert_eq!((main_video.framerate, main_video.bitrate_limit), (25, 2048));
    assert_eq!(
        main.audio_encoder.map(|a| a.encoding),
        Some(AudioEncoding::G711)
    );
    let sub = &config.profiles[1];
    let sub_video = sub.video_encoder.expect("sub video");
    assert_eq!(sub_video.resolution, Resolution::new(640, 360));
    assert_eq!(sub_video.encoding, VideoEncoding::H264);
    assert_eq!(sub.video_source, main.video_source);
    assert!(config.profiles.iter().all(|p| p.stream_uri.is_none()));
    for category in [
        "Profile/Streaming",
        "Profile/T",
        "name/",
        "hardware/",
        "location/",
    ] {
        assert!(
            config
                .scopes
                .iter()
                .any(|s| s.uri.contains(&format!("onvif.org/{category}")) && s.fixed),
            "{category}"
        );
    }
    assert_eq!(config.event.renew_interval, 60);
    assert!(config.event.simulate_enable);
}

#[test]
fn unknown_elements_are_warned_and_skipped() {
    let text = cfg(r#"<http_port>8080</http_port>
<ipv6_enable>1</ipv6_enable>
<snapshot>snap.jpg</snapshot>
<profile>
  <video_source><width>640</width><height>480</height><fps>5</fps></video_source>
  <ptz><node>x</node></ptz>
  <video_encoder><width>640</width><height>480</height><h264><gov_length>10</gov_length><level>4</level></h264></video_encoder>
</profile>
<RelayOutputs><token>x</token></RelayOutputs>
<event><renew_interval>30</renew_interval><unknown/></event>"#);
    let (config, warnings) = parse(&text);
    assert_eq!(config.server.http_port, 8080);
    assert_eq!(config.event.renew_interval, 30);
    let paths: Vec<(u32, &str)> = warnings
        .iter()
        .filter(|w| w.kind == WarningKind::UnknownElement)
        .map(|w| (w.line, w.path.as_str()))
        .collect();
    assert_eq!(
        paths,
        [
            (3, "ipv6_enable"),
            (4, "snapshot"),
            (6, "profile/video_source/fps"),
            (7, "profile/ptz"),
            (8, "profile/video_encoder/h264/level"),
            (10, "RelayOutputs"),
            (11, "event/unknown"),
        ]
    );
    let first = warnings
        .iter()
        .find(|w| w.kind == WarningKind::UnknownElement)
        .map(ToString::to_string);
    assert_eq!(
        first.as_deref(),
        Some("onvif.cfg:3: <ipv6_enable>: unknown element, skipped")
    );
    let video = config.profiles[0].video_encoder.expect("video");
    assert_eq!(video.h264.gov_length, 10);
}

#[test]
fn empty_elements_keep_the_defaults() {
    let text = cfg(r#"<http_port></http_port>
<https_enable></https_enable>
<log_level></log_level>
<information><Manufacturer></Manufacturer><Model>Cam</Model></information>
<profile>
  <video_encoder><width></width><height></height><quality></quality><encoding></encoding></video_encoder>
  <stream_uri append_params=""></stream_uri>
</profile>
<event><renew_interval></renew_interval></event>"#);
    let (config, warnings) = parse(&text);
    let default = OnvifConfig::default();
    assert_eq!(config.server.http_port, 8000);
    assert!(!config.server.https_enable);
    assert_eq!(config.server.log_level, default.server.log_level);
    assert_eq!(config.information.manufacturer, "onvif-rtsp-server");
    assert_eq!(config.information.model, "Cam");
    let p = &config.profiles[0];
    let video = p.video_encoder.expect("video");
    assert_eq!(video, VideoEncoderSettings::default());
    // No source given: the source is the encoder's size.
    assert_eq!(p.video_source, Some(video.resolution));
    assert_eq!(p.stream_uri, None);
    assert_eq!(config.event.renew_interval, 60);
    // No <scope>: the defaults, with a note.
    assert_eq!(config.scopes, default.scopes);
    assert!(
        warnings
            .iter()
            .any(|w| w.to_string().contains("no <scope> is configured")),
        "{warnings:?}"
    );
}

#[test]
fn invalid_values_name_file_line_element_and_value() {
    let cases = [
        (
            cfg("<http_port>abc</http_port>"),
            "onvif.cfg:2: <http_port> = \"abc\": expected a port number 1-65535",
        ),
        (
            cfg("<need_auth>yes</need_auth>"),
            "onvif.cfg:2: <need_auth> = \"yes\": expected 0 or 1",
        ),
        (
            cfg("<server_ip>camera.local</server_ip>"),
            "onvif.cfg:2: <server_ip> = \"camera.local\": expected an IP address",
        ),
        (
            cfg("<user>\n<username>a</username>\n<userlevel>Admin</userlevel>\n</user>"),
            "onvif.cfg:4: <user/userlevel> = \"Admin\": expected Administrator, Operator, User or Anonymous",
        ),
        (
            profile("<video_encoder>\n<encoding>VP8</encoding>\n</video_encoder>"),
            "onvif.cfg:4: <profile/video_encoder/encoding> = \"VP8\": expected JPEG, MPEG4, H264 or H265",
        ),
        (
            profile("<video_encoder>\n<width>641</width>\n</video_encoder>"),
            "onvif.cfg:4: <profile/video_encoder/width> = \"641\": expected an even size 16-8192",
        ),
        (
            profile(
                "<video_encoder>\n<encoding>JPEG</encoding>\n<width>1284</width>\n</video_encoder>",
            ),
            "onvif.cfg:5: <profile/video_encoder/width> = \"1284\": expected a multiple of 8 up to 2040 (JPEG)",
        ),
        (
            profile("<video_encoder>\n<quality>200</quality>\n</video_encoder>"),
            "onvif.cfg:4: <profile/video_encoder/quality> = \"200\": expected a number 0-100",
        ),
        (
            profile("<video_encoder>\n<framerate>0</framerate>\n</video_encoder>"),
            "onvif.cfg:4: <profile/video_encoder/framerate> = \"0\": expected a frame rate 1-60",
        ),
        (
            profile("<video_encoder>\n<bitrate_limit>1</bitrate_limit>\n</video_encoder>"),
            "onvif.cfg:4: <profile/video_encoder/bitrate_limit> = \"1\": expected a bit rate in kbit/s 32-16384",
        ),
        (
            profile(
                "<video_encoder>\n<h264>\n<h264_profile>Ultra</h264_profile>\n</h264>\n</video_encoder>",
            ),
            "onvif.cfg:5: <profile/video_encoder/h264/h264_profile> = \"Ultra\": expected Baseline, Main, Extended or High",
        ),
        (
            profile("<video_encoder>\n<h265><gov_length>0</gov_length></h265>\n</video_encoder>"),
            "onvif.cfg:4: <profile/video_encoder/h265/gov_length> = \"0\": expected a GOV length 1-300",
        ),
        (
            profile("<audio_encoder>\n<sample_rate>16</sample_rate>\n</audio_encoder>"),
            "onvif.cfg:4: <profile/audio_encoder/sample_rate> = \"16\": expected 8 (kHz) for G711",
        ),
        (
            profile(
                "<audio_encoder>\n<encoding>G726</encoding>\n<bitrate>64</bitrate>\n</audio_encoder>",
            ),
            "onvif.cfg:5: <profile/audio_encoder/bitrate> = \"64\": expected 16, 24, 32 or 40 (kbit/s) for G726",
        ),
        (
            profile("<audio_encoder>\n<encoding>MP3</encoding>\n</audio_encoder>"),
            "onvif.cfg:4: <profile/audio_encoder/encoding> = \"MP3\": expected G711, G726 or AAC",
        ),
        (
            profile("<stream_uri append_params=\"2\">rtsp://h/x</stream_uri>"),
            "onvif.cfg:3: <profile/stream_uri@append_params> = \"2\": expected 0 or 1",
        ),
        (
            cfg("<scope>onvif://www.onvif.org/name/my camera</scope>"),
            "onvif.cfg:2: <scope> = \"onvif://www.onvif.org/name/my camera\": expected a scope URI of at most 256 characters without spaces",
        ),
        (
            cfg("<event>\n<renew_interval>0</renew_interval>\n</event>"),
            "onvif.cfg:3: <event/renew_interval> = \"0\": expected a number of seconds 1-86400",
        ),
        (
            cfg("<EndpointReference>urn:uuid:nope</EndpointReference>"),
            "onvif.cfg:2: <EndpointReference> = \"urn:uuid:nope\": expected urn:uuid:xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(error(&text), expected, "{text}");
    }
}

#[test]
fn malformed_xml_is_an_error() {
    let err = error("<config>\n<profile>\n</config>\n");
    assert!(err.starts_with("onvif.cfg:"), "{err}");
}

#[test]
fn lenient_values_are_read_with_a_note() {
    let text = profile(
        r#"<video_encoder><framerate>29.97</framerate><encoding>mpeg4</encoding><mpeg4><mpeg4_profile>asp</mpeg4_profile></mpeg4></video_encoder>
<audio_encoder><sample_rate>8000</sample_rate><bitrate>128</bitrate></audio_encoder>"#,
    );
    let (config, warnings) = parse(&text);
    let p = &config.profiles[0];
    let video = p.video_encoder.expect("video");
    assert_eq!(video.framerate, 30);
    assert_eq!(video.encoding, VideoEncoding::Mpeg4);
    assert_eq!(video.mpeg4.profile, Mpeg4Profile::AdvancedSimple);
    assert_eq!(video.profile_name(), Some("ASP"));
    let audio = p.audio_encoder.expect("audio");
    assert_eq!((audio.sample_rate, audio.bitrate), (8, 64));
    assert!(p.audio_source, "an audio encoder implies a source");
    let notes: Vec<String> = warnings.iter().map(ToString::to_string).collect();
    assert!(
        notes.iter().any(|n| n.contains("8000 is read as 8")),
        "{notes:?}"
    );
    assert!(
        notes.iter().any(|n| n.contains("G711 runs at 64 kbit/s")),
        "{notes:?}"
    );
}

#[test]
fn aac_and_h265_settings() {
    let text = profile(
        r#"<video_source><width>1920</width><height>1080</height></video_source>
<video_encoder><encoding>H265</encoding><h265><gov_length>50</gov_length><h265_profile>Main10</h265_profile></h265></video_encoder>
<audio_encoder><encoding>AAC</encoding><sample_rate>44</sample_rate><bitrate>128</bitrate></audio_encoder>"#,
    );
    let (config, warnings) = parse(&text);
    assert!(
        warnings
            .iter()
            .all(|w| !matches!(w.kind, WarningKind::UnknownElement)),
        "{warnings:?}"
    );
    let p = &config.profiles[0];
    let video = p.video_encoder.expect("video");
    // No size in the encoder: the source's.
    assert_eq!(video.resolution, Resolution::new(1920, 1080));
    assert_eq!(video.gov_length(), Some(50));
    assert_eq!(video.profile_name(), Some("Main10"));
    let audio = p.audio_encoder.expect("audio");
    assert_eq!(audio.encoding, AudioEncoding::Aac);
    assert_eq!(sample_rate_hz(audio.sample_rate), 44_100);
}

#[test]
fn profile_attributes_names_and_stream_uri() {
    let text = cfg(r#"<profile token="main" fixed="0" color="red">
  <Name>Main stream</Name>
  <video_source><width>1280</width><height>720</height></video_source>
  <stream_uri append_params="1" scheme="x">rtsp://192.168.3.27/live</stream_uri>
</profile>
<profile token="main"><video_source><width>640</width><height>480</height></video_source></profile>"#);
    let (config, warnings) = parse(&text);
    assert_eq!(config.profiles.len(), 1, "the repeated token is skipped");
    let p = &config.profiles[0];
    assert_eq!(p.token.as_deref(), Some("main"));
    assert!(!p.fixed);
    assert_eq!(p.name.as_deref(), Some("Main stream"));
    assert_eq!(p.stream_uri.as_deref(), Some("rtsp://192.168.3.27/live"));
    assert!(p.append_params);
    assert_eq!(p.video_encoder, None);
    let notes: Vec<String> = warnings.iter().map(ToString::to_string).collect();
    assert!(notes.iter().any(|n| n.contains("\"color\"")), "{notes:?}");
    assert!(notes.iter().any(|n| n.contains("\"scheme\"")), "{notes:?}");
    assert!(
        notes
            .iter()
            .any(|n| n.contains("token \"main\" is already used")),
        "{notes:?}"
    );
}

#[test]
fn too_many_profiles_are_skipped() {
    let one =
        "<profile><video_source><width>640</width><height>480</height></video_source></profile>\n";
    let (config, warnings) = parse(&cfg(&one.repeat(MAX_PROFILES + 2)));
    assert_eq!(config.profiles.len(), MAX_PROFILES);
    let skipped = warnings
        .iter()
        .filter(|w| matches!(w.kind, WarningKind::EntrySkipped(_)))
        .count();
    assert_eq!(skipped, 2);
}

#[test]
fn no_profile_means_the_default_profiles() {
    let (config, warnings) = parse(&cfg("<http_port>8000</http_port>"));
    assert_eq!(config.profiles, OnvifConfig::default().profiles);
    assert!(
        warnings
            .iter()
            .any(|w| w.to_string().contains("no <profile> is configured"))
    );
}

#[test]
fn users_are_checked() {
    let text = cfg(r#"<need_auth>1</need_auth>
<user><password>x</password></user>
<user><username>op</username><password>secret</password><userlevel>operator</userlevel><fixed>0</fixed></user>
<user><username>op</username><password>other</password></user>
<user><username>viewer</username></user>"#);
    let (config, warnings) = parse(&text);
    let users: Vec<(&str, &str, UserLevel, bool)> = config
        .users
        .iter()
        .map(|u| (u.username.as_str(), u.password.as_str(), u.level, u.fixed))
        .collect();
    assert_eq!(
        users,
        [
            ("op", "secret", UserLevel::Operator, false),
            ("viewer", "", UserLevel::Administrator, true),
        ]
    );
    let skipped: Vec<u32> = warnings
        .iter()
        .filter(|w| matches!(w.kind, WarningKind::EntrySkipped(_)))
        .map(|w| w.line)
        .collect();
    assert_eq!(skipped, [3, 5]);
    assert!(!format!("{:?}", config.users).contains("secret"));

    let (_, warnings) = parse(&cfg("<need_auth>1</need_auth>"));
    assert!(
        warnings
            .iter()
            .any(|w| w.to_string().contains("every client will be refused"))
    );
}

#[test]
fn scopes_in_both_forms() {
    let text = cfg(r#"<scope>onvif://www.onvif.org/name/A</scope>
<scope><ScopeDef>Configurable</ScopeDef><ScopeItem>onvif://www.onvif.org/location/hall</ScopeItem></scope>
<scope><ScopeDef>Fixed</ScopeDef><ScopeItem>onvif://www.onvif.org/hardware/B</ScopeItem></scope>
<scope>onvif://www.onvif.org/name/A</scope>
<scope></scope>"#);
    let (config, warnings) = parse(&text);
    let scopes: Vec<(&str, bool)> = config
        .scopes
        .iter()
        .map(|s| (s.uri.as_str(), s.fixed))
        .collect();
    assert_eq!(
        scopes,
        [
            ("onvif://www.onvif.org/name/A", true),
            ("onvif://www.onvif.org/location/hall", false),
            ("onvif://www.onvif.org/hardware/B", true),
        ]
    );
    let skipped: Vec<u32> = warnings
        .iter()
        .filter(|w| matches!(w.kind, WarningKind::EntrySkipped(_)))
        .map(|w| w.line)
        .collect();
    assert_eq!(skipped, [5, 6]);
}

#[test]
fn older_and_newer_happytime_elements() {
    let text = cfg(r#"<server_port>8001</server_port>
<EndpointReference>urn:uuid:6ba7b810-9dad-41d1-80b4-00c04fd430c8</EndpointReference>
<log_level>warn</log_level>"#);
    let (config, _) = parse(&text);
    assert_eq!(config.server.http_port, 8001);
    assert_eq!(
        config.endpoint_reference.as_deref(),
        Some("urn:uuid:6ba7b810-9dad-41d1-80b4-00c04fd430c8")
    );
    assert_eq!(config.server.log_level, LogLevel::Warn);
}

#[test]
fn disabled_servers_and_sizes_get_notes() {
    let text = cfg(r#"<http_enable>0</http_enable>
<profile><video_source><width>640</width></video_source></profile>"#);
    let (config, warnings) = parse(&text);
    assert_eq!(config.profiles[0].video_source, None);
    let notes: Vec<String> = warnings.iter().map(ToString::to_string).collect();
    assert!(notes.iter().any(|n| n.contains("unreachable")), "{notes:?}");
    assert!(
        notes
            .iter()
            .any(|n| n.contains("needs both <width> and <height>")),
        "{notes:?}"
    );
}
