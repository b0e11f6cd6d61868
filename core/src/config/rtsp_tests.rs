//! End-to-end tests of `parse_rtsp_config` on whole files.

use std::num::NonZeroU32;

use super::xml::{MAX_DEPTH, MAX_DOCUMENT_BYTES, XmlError};
use super::*;
use crate::media::{AudioCodec, AudioOutput, VideoCodec, VideoOutput};

/// The manual's rtsp.cfg template (section 2.4.1), reassembled across its
/// page breaks.
const TEMPLATE: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<config>
    <serverip></serverip>
    <serverport>554</serverport>
    <loop_nums>1</loop_nums>
    <multicast>0</multicast>
    <udp_base_port>22000</udp_base_port>
    <metadata>1</metadata>
    <rtsp_over_http>1</rtsp_over_http>
    <http_port>8080</http_port>
    <rtsp_over_https>1</rtsp_over_https>
    <https_port>443</https_port>
    <cert_file>ssl.ca</cert_file>
    <key_file>ssl.key</key_file>
    <need_auth>0</need_auth>
    <log_enable>1</log_enable>
    <log_level>1</log_level>

    <user>
        <username>admin</username>
        <password>admin</password>
    </user>

    <output>
        <url>screenlive</url>
        <video>
            <codec>H264</codec>
            <width></width>
            <height></height>
            <framerate></framerate>
            <bitrate></bitrate>
        </video>
        <audio>
            <codec>G711U</codec>
            <samplerate>8000</samplerate>
            <channels>1</channels>
            <bitrate></bitrate>
        </audio>
    </output>

    <proxy>
        <suffix>proxy</suffix>
        <url></url>
        <user></user>
        <pass></pass>
        <transfer>TCP</transfer>
        <ondemand>0</ondemand>
        <output>
            <video>
                <codec>H264</codec>
                <width></width>
                <height></height>
                <framerate></framerate>
                <bitrate></bitrate>
            </video>
            <audio>
                <codec>AAC</codec>
                <samplerate></samplerate>
                <channels></channels>
                <bitrate></bitrate>
            </audio>
        </output>
    </proxy>

    <pusher>
        <suffix>pusher</suffix>
        <video>
            <codec>H264</codec>
        </video>
        <audio>
            <codec>G711U</codec>
            <samplerate>8000</samplerate>
            <channels>1</channels>
        </audio>
        <transfer>
            <mode>RTSP</mode>
            <ip></ip>
            <vport>50001</vport>
            <aport>50002</aport>
        </transfer>
        <output>
            <video>
                <codec></codec>
                <width></width>
                <height></height>
                <framerate></framerate>
                <bitrate></bitrate>
            </video>
            <audio>
                <codec></codec>
                <samplerate></samplerate>
                <channels></channels>
                <bitrate></bitrate>
            </audio>
        </output>
    </pusher>

    <backchannel>
        <codec>G711U</codec>
        <samplerate>8000</samplerate>
        <channels>1</channels>
    </backchannel>
</config>
"#;

fn parse(text: &str) -> (RtspConfig, Vec<ConfigWarning>) {
    parse_rtsp_config(text, "rtsp.cfg").unwrap()
}

/// A `<config>` holding `body`, starting on line 2.
fn config(body: &str) -> String {
    format!("<config>\n{body}\n</config>\n")
}

fn error_message(text: &str) -> String {
    parse_rtsp_config(text, "rtsp.cfg").unwrap_err().to_string()
}

#[test]
fn manual_template_parses() {
    let (cfg, warnings) = parse(TEMPLATE);
    assert_eq!(cfg.server_ip, None);
    assert_eq!(cfg.server_port, 554);
    assert_eq!(cfg.loop_nums, LoopCount::ONCE);
    assert!(!cfg.multicast);
    assert_eq!(cfg.udp_base_port, 22000);
    assert!(cfg.metadata);
    assert!(cfg.rtsp_over_http);
    assert_eq!(cfg.http_port, 8080);
    assert!(cfg.rtsp_over_https);
    assert_eq!(cfg.https_port, 443);
    assert_eq!(cfg.cert_file.as_deref(), Some("ssl.ca"));
    assert_eq!(cfg.key_file.as_deref(), Some("ssl.key"));
    assert!(!cfg.need_auth);
    assert!(cfg.log_enable);
    assert_eq!(cfg.log_level, LogLevel::Debug);
    assert_eq!(
        cfg.users,
        [UserCredential {
            username: "admin".into(),
            password: "admin".into()
        }]
    );
    assert_eq!(
        cfg.outputs,
        [OutputRule {
            url: Some("screenlive".into()),
            video: VideoOutput {
                codec: Some(VideoCodec::H264),
                ..VideoOutput::default()
            },
            audio: AudioOutput {
                codec: Some(AudioCodec::Pcmu),
                sample_rate: Some(8000),
                channels: Some(1),
                bitrate_kbps: None,
            },
        }]
    );
    // The template's proxy is a placeholder without a URL: skipped, as
    // Happytime skips it.
    assert!(cfg.proxies.is_empty());
    assert_eq!(
        cfg.pushers,
        [PusherConfig {
            suffix: "pusher".into(),
            video: Some(VideoCodec::H264),
            audio: Some(PusherAudio {
                codec: AudioCodec::Pcmu,
                sample_rate: Some(8000),
                channels: Some(1),
            }),
            transfer: PusherTransfer {
                mode: PusherTransferMode::Rtsp,
                ip: None,
                vport: Some(50001),
                aport: Some(50002),
            },
            output: Some(OutputSettings::default()),
        }]
    );
    assert_eq!(cfg.backchannel, Some(BackchannelConfig::default()));
    assert_eq!(
        cfg.features_in_use(),
        [
            "rtsp_over_http",
            "rtsp_over_https",
            "pusher",
            "backchannel",
            "metadata"
        ]
    );

    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    assert_eq!(warnings[0].path, "proxy");
    assert_eq!(warnings[0].line, 41);
    assert!(matches!(warnings[0].kind, WarningKind::EntrySkipped(_)));
    assert_eq!(
        warnings[0].to_string(),
        "rtsp.cfg:41: <proxy>: skipped: a proxy needs both <suffix> and <url>"
    );
}

#[test]
fn embedded_defaults() {
    let cfg = RtspConfig::default();
    assert_eq!(cfg.server_ip, None);
    assert_eq!(cfg.server_port, 8554);
    assert_eq!(cfg.loop_nums, LoopCount::ONCE);
    assert!(!cfg.multicast);
    assert_eq!(cfg.udp_base_port, 22000);
    assert!(!cfg.metadata);
    assert!(!cfg.rtsp_over_http);
    assert_eq!(cfg.http_port, 8080);
    assert!(!cfg.rtsp_over_https);
    assert_eq!(cfg.https_port, 443);
    assert!(!cfg.need_auth);
    assert!(cfg.log_enable);
    assert_eq!(cfg.log_level, LogLevel::Info);
    assert!(cfg.users.is_empty() && cfg.outputs.is_empty());
    assert!(cfg.proxies.is_empty() && cfg.pushers.is_empty());
    assert_eq!(cfg.backchannel, None);
    assert!(cfg.features_in_use().is_empty());
    assert_eq!(cfg.output_for("test.mp4"), None);
}

#[test]
fn empty_file_content_means_defaults() {
    assert_eq!(parse("<config/>"), (RtspConfig::default(), vec![]));
    assert_eq!(parse("<config></config>"), (RtspConfig::default(), vec![]));
}

#[test]
fn empty_elements_keep_the_defaults() {
    let text = config(
        "<serverip/><serverport></serverport><loop_nums> </loop_nums><multicast/>\
         <udp_base_port/><metadata/><rtsp_over_http/><http_port/><rtsp_over_https/>\
         <https_port/><cert_file/><key_file/><need_auth/><log_enable/><log_level/><runtime/><pacing_ms/><file_cache_mb/>",
    );
    assert_eq!(parse(&text), (RtspConfig::default(), vec![]));
}

#[test]
fn values_are_trimmed_and_booleans_accept_words() {
    let (cfg, _) = parse(&config(
        "<serverip> 192.168.1.10 </serverip>\n<serverport>\n  554\n</serverport>\n\
         <multicast>true</multicast><need_auth>FALSE</need_auth><log_level>warn</log_level>\
         <runtime> Glommio </runtime><pacing_ms> 0 </pacing_ms><file_cache_mb>4096</file_cache_mb>",
    ));
    assert_eq!(cfg.server_ip, Some([192, 168, 1, 10].into()));
    assert_eq!(cfg.server_port, 554);
    assert!(cfg.multicast);
    assert!(!cfg.need_auth);
    assert_eq!(cfg.log_level, LogLevel::Warn);
    assert_eq!(cfg.runtime, Some(RuntimeKind::Glommio));
    assert_eq!(cfg.pacing_ms, Some(0));
    assert_eq!(cfg.file_cache_mb, Some(4096));
}

#[test]
fn invalid_values_name_file_line_element_and_value() {
    let cases: &[(&str, &str)] = &[
        (
            "<serverport>abc</serverport>",
            r#"rtsp.cfg:2: <serverport> = "abc": expected a port number 1-65535"#,
        ),
        (
            "<serverport>70000</serverport>",
            r#"rtsp.cfg:2: <serverport> = "70000": expected a port number 1-65535"#,
        ),
        (
            "<udp_base_port>0</udp_base_port>",
            r#"rtsp.cfg:2: <udp_base_port> = "0": expected a port number 1-65535"#,
        ),
        (
            "<serverip>my-host</serverip>",
            r#"rtsp.cfg:2: <serverip> = "my-host": expected an IP address"#,
        ),
        (
            "<multicast>2</multicast>",
            r#"rtsp.cfg:2: <multicast> = "2": expected 0 or 1"#,
        ),
        (
            "<runtime>tokio</runtime>",
            r#"rtsp.cfg:2: <runtime> = "tokio": expected smol or glommio"#,
        ),
        (
            "<pacing_ms>1001</pacing_ms>",
            r#"rtsp.cfg:2: <pacing_ms> = "1001": expected milliseconds 0-1000 (0 = each frame at its own time)"#,
        ),
        (
            "<pacing_ms>-5</pacing_ms>",
            r#"rtsp.cfg:2: <pacing_ms> = "-5": expected milliseconds 0-1000 (0 = each frame at its own time)"#,
        ),
        (
            "<file_cache_mb>0</file_cache_mb>",
            r#"rtsp.cfg:2: <file_cache_mb> = "0": expected MiB 1-1048576"#,
        ),
        (
            "<file_cache_mb>2GB</file_cache_mb>",
            r#"rtsp.cfg:2: <file_cache_mb> = "2GB": expected MiB 1-1048576"#,
        ),
        (
            "<log_level>9</log_level>",
            r#"rtsp.cfg:2: <log_level> = "9": expected a log level 0-5 (TRACE, DEBUG, INFO, WARN, ERROR, FATAL)"#,
        ),
        (
            "<loop_nums>-2</loop_nums>",
            r#"rtsp.cfg:2: <loop_nums> = "-2": expected -1 (loop forever) or a play count of 1 or more"#,
        ),
        (
            "<loop_nums>many</loop_nums>",
            r#"rtsp.cfg:2: <loop_nums> = "many": expected -1 (loop forever) or a play count of 1 or more"#,
        ),
        (
            "<output>\n<video><codec>VP8</codec></video></output>",
            r#"rtsp.cfg:3: <output/video/codec> = "VP8": expected H264, H265, MP4 or JPEG"#,
        ),
        (
            "<output><video>\n<width>-1</width></video></output>",
            r#"rtsp.cfg:3: <output/video/width> = "-1": expected a whole number (0 = as the source)"#,
        ),
        (
            "<output><video><framerate>fast</framerate></video></output>",
            r#"rtsp.cfg:2: <output/video/framerate> = "fast": expected a frame rate 0-1000 (0 = as the source)"#,
        ),
        (
            "<output><audio><codec>MP3</codec></audio></output>",
            r#"rtsp.cfg:2: <output/audio/codec> = "MP3": expected G711A, G711U, G722, G726, AAC or OPUS"#,
        ),
        (
            "<output><audio><samplerate>44000</samplerate></audio></output>",
            r#"rtsp.cfg:2: <output/audio/samplerate> = "44000": expected 8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100 or 48000 (0 = as the source)"#,
        ),
        (
            "<output><audio><channels>6</channels></audio></output>",
            r#"rtsp.cfg:2: <output/audio/channels> = "6": expected 1 (mono) or 2 (stereo) (0 = as the source)"#,
        ),
        (
            "<output><audio><codec>G726</codec>\n<channels>2</channels></audio></output>",
            r#"rtsp.cfg:3: <output/audio/channels> = "2": G726 supports mono (1) only"#,
        ),
        (
            "<backchannel><codec>g726</codec><channels>2</channels></backchannel>",
            r#"rtsp.cfg:2: <backchannel/channels> = "2": G726 supports mono (1) only"#,
        ),
        (
            "<proxy><suffix>cam</suffix><url>rtsp://cam/</url><transfer>SCTP</transfer></proxy>",
            r#"rtsp.cfg:2: <proxy/transfer> = "SCTP": expected TCP, UDP or MULTICAST"#,
        ),
        (
            "<proxy><suffix>cam</suffix><url>192.168.1.5/live</url></proxy>",
            r#"rtsp.cfg:2: <proxy/url> = "192.168.1.5/live": expected a stream URL such as rtsp://host/path"#,
        ),
        (
            "<pusher><suffix>p</suffix><transfer><mode>HTTP</mode></transfer></pusher>",
            r#"rtsp.cfg:2: <pusher/transfer/mode> = "HTTP": expected TCP, UDP or RTSP"#,
        ),
        (
            "<pusher><suffix>p</suffix><transfer><vport>70000</vport></transfer></pusher>",
            r#"rtsp.cfg:2: <pusher/transfer/vport> = "70000": expected a port number 1-65535 (0 = none)"#,
        ),
    ];
    for (body, expected) in cases {
        assert_eq!(&error_message(&config(body)), expected, "for {body}");
    }
}

#[test]
fn invalid_value_error_is_typed() {
    let err = parse_rtsp_config(&config("<serverport>abc</serverport>"), "rtsp.cfg").unwrap_err();
    assert_eq!(
        err,
        ConfigError::InvalidValue {
            file: "rtsp.cfg".into(),
            line: 2,
            path: "serverport".into(),
            value: "abc".into(),
            expected: "expected a port number 1-65535".into(),
        }
    );
    let _: &dyn std::error::Error = &err;
}

#[test]
fn unknown_elements_are_warned_and_skipped() {
    let text = config(
        "<ipv6_enable>1</ipv6_enable>\n\
         <serverport>554<junk/></serverport>\n\
         <output>\n<video><profile>high</profile></video>\n</output>",
    );
    let (cfg, warnings) = parse(&text);
    assert_eq!(cfg.server_port, 554);
    let found: Vec<_> = warnings
        .iter()
        .map(|w| (w.line, w.path.as_str(), w.kind.clone()))
        .collect();
    assert_eq!(
        found,
        [
            (2, "ipv6_enable", WarningKind::UnknownElement),
            (3, "serverport/junk", WarningKind::UnknownElement),
            (5, "output/video/profile", WarningKind::UnknownElement),
        ]
    );
    assert_eq!(
        warnings[0].to_string(),
        "rtsp.cfg:2: <ipv6_enable>: unknown element, skipped"
    );
}

#[test]
fn an_unexpected_root_is_read_with_a_warning() {
    let (cfg, warnings) = parse("<rtsp>\n<serverport>554</serverport></rtsp>");
    assert_eq!(cfg.server_port, 554);
    assert_eq!(
        warnings[0].kind,
        WarningKind::UnexpectedRoot { expected: "config" }
    );
}

#[test]
fn newer_happytime_names_are_aliases() {
    let (cfg, warnings) = parse(&config(
        "<rtsp_port>10554</rtsp_port><https_cert>c.pem</https_cert><https_key>k.pem</https_key>",
    ));
    assert_eq!(cfg.server_port, 10554);
    assert_eq!(cfg.cert_file.as_deref(), Some("c.pem"));
    assert_eq!(cfg.key_file.as_deref(), Some("k.pem"));
    assert!(warnings.is_empty());
}

#[test]
fn a_repeated_setting_keeps_the_first() {
    let (cfg, warnings) = parse(&config(
        "<serverport>554</serverport>\n<serverport>8554</serverport>",
    ));
    assert_eq!(cfg.server_port, 554);
    assert_eq!(
        warnings[0].kind,
        WarningKind::DuplicateElement { first_line: 2 }
    );
    assert_eq!(warnings[0].line, 3);
}

#[test]
fn loop_counts() {
    let loops = |v: &str| parse(&config(&format!("<loop_nums>{v}</loop_nums>")));
    assert_eq!(loops("-1").0.loop_nums, LoopCount::Forever);
    assert_eq!(
        loops("3").0.loop_nums,
        LoopCount::Times(NonZeroU32::new(3).unwrap())
    );
    let (cfg, warnings) = loops("0");
    assert_eq!(cfg.loop_nums, LoopCount::ONCE);
    assert!(matches!(warnings[0].kind, WarningKind::Note(_)));
}

#[test]
fn users_without_name_or_repeated_are_skipped() {
    let (cfg, warnings) = parse(&config(
        "<need_auth>1</need_auth>\n\
         <user><username>a</username><password>x</password></user>\n\
         <user><username></username><password>y</password></user>\n\
         <user><username>a</username><password>z</password></user>\n\
         <user><username>b</username></user>",
    ));
    let users: Vec<_> = cfg
        .users
        .iter()
        .map(|u| (u.username.as_str(), u.password.as_str()))
        .collect();
    assert_eq!(users, [("a", "x"), ("b", "")]);
    let lines: Vec<_> = warnings.iter().map(|w| w.line).collect();
    assert_eq!(lines, [4, 5]);
    // Passwords stay out of Debug output.
    assert!(!format!("{cfg:?}").contains("\"x\""));
}

#[test]
fn need_auth_without_users_is_warned() {
    let (cfg, warnings) = parse(&config("<need_auth>1</need_auth>"));
    assert!(cfg.need_auth);
    assert_eq!(warnings.len(), 1);
    assert!(warnings[0].to_string().contains("no <user>"));
}

const OUTPUTS: &str = r#"<config>
  <output>
    <url>*.mp4</url>
    <video><codec>H265</codec><width>1280</width><height>720</height><framerate>25</framerate><bitrate>2048</bitrate></video>
  </output>
  <output>
    <url>videodevice</url>
    <video><codec>h264</codec><width>0</width></video>
    <audio><codec>g726</codec><samplerate>8000</samplerate><channels>1</channels><bitrate>24</bitrate></audio>
  </output>
  <output>
    <url>sample.flv</url>
    <video><codec>jpeg</codec></video>
  </output>
  <output>
    <video><codec>H264</codec></video>
    <audio><codec>AAC</codec><samplerate>44100</samplerate><channels>2</channels><bitrate>128</bitrate></audio>
  </output>
</config>"#;

#[test]
fn several_outputs_keep_order_and_match_top_down() {
    let (cfg, warnings) = parse(OUTPUTS);
    assert!(warnings.is_empty(), "{warnings:#?}");
    assert_eq!(cfg.outputs.len(), 4);
    assert_eq!(
        cfg.outputs[0].video,
        VideoOutput {
            codec: Some(VideoCodec::H265),
            width: Some(1280),
            height: Some(720),
            framerate: Some(25),
            bitrate_kbps: Some(2048),
            keyframe_interval: None,
        }
    );
    assert_eq!(cfg.outputs[1].video.width, None);
    assert_eq!(
        cfg.outputs[1].audio,
        AudioOutput {
            codec: Some(AudioCodec::G726 { kbps: 24 }),
            sample_rate: Some(8000),
            channels: Some(1),
            bitrate_kbps: Some(24),
        }
    );

    let rule_index = |name: &str| {
        let rule = cfg.output_for(name).unwrap();
        cfg.outputs.iter().position(|r| r == rule).unwrap()
    };
    assert_eq!(rule_index("test.mp4"), 0);
    assert_eq!(rule_index("movies/TRAILER.MP4"), 0);
    assert_eq!(rule_index("videodevice"), 1);
    assert_eq!(rule_index("videodevice1"), 1);
    assert_eq!(rule_index("videodevice=HD Camera"), 1);
    assert_eq!(rule_index("sample.flv"), 2);
    assert_eq!(rule_index("other.flv"), 3);
    assert_eq!(rule_index("screenlive"), 3);
    assert_eq!(cfg.outputs[3].settings().audio.codec, Some(AudioCodec::Aac));
}

#[test]
fn rules_after_a_catch_all_are_warned() {
    let (cfg, warnings) = parse(&config(
        "<output><video><codec>H264</codec></video></output>\n\
         <output><url>*.mkv</url></output>",
    ));
    assert_eq!(cfg.outputs.len(), 2);
    assert_eq!(cfg.output_for("a.mkv"), Some(&cfg.outputs[0]));
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0].line, 3);
}

#[test]
fn g726_bit_rate_comes_from_bitrate() {
    let (cfg, warnings) = parse(&config(
        "<output><audio><codec>G726</codec>\n<bitrate>64</bitrate></audio></output>",
    ));
    assert_eq!(
        cfg.outputs[0].audio.codec,
        Some(AudioCodec::G726 { kbps: 32 })
    );
    assert_eq!(warnings[0].line, 3);
    assert_eq!(warnings[0].path, "output/audio/bitrate");
}

#[test]
fn proxies_and_pushers() {
    let (cfg, warnings) = parse(&config(
        "<proxy><suffix>/cam1</suffix><url>rtsp://10.0.0.5:554/stream1</url>\
           <user>admin</user><pass>secret</pass><transfer>udp</transfer><ondemand>1</ondemand></proxy>\n\
         <proxy><suffix>cam1</suffix><url>rtmp://host/app/key</url></proxy>\n\
         <pusher><suffix>push</suffix><audio><samplerate>16000</samplerate></audio>\
           <transfer><mode>udp</mode><ip>0.0.0.0</ip><vport>50001</vport><aport>0</aport></transfer></pusher>\n\
         <pusher><suffix></suffix></pusher>",
    ));
    assert_eq!(cfg.proxies.len(), 1);
    let proxy = &cfg.proxies[0];
    assert_eq!(proxy.suffix, "cam1");
    assert_eq!(proxy.url, "rtsp://10.0.0.5:554/stream1");
    assert_eq!(proxy.user.as_deref(), Some("admin"));
    assert_eq!(proxy.pass.as_deref(), Some("secret"));
    assert_eq!(proxy.transfer, ProxyTransfer::Udp);
    assert!(proxy.ondemand);
    assert_eq!(proxy.output, None);
    assert!(!format!("{proxy:?}").contains("secret"));

    assert_eq!(cfg.pushers.len(), 1);
    let pusher = &cfg.pushers[0];
    assert_eq!(pusher.video, None);
    assert_eq!(pusher.audio, None);
    assert_eq!(
        pusher.transfer,
        PusherTransfer {
            mode: PusherTransferMode::Udp,
            ip: Some([0, 0, 0, 0].into()),
            vport: Some(50001),
            aport: None,
        }
    );
    assert_eq!(cfg.features_in_use(), ["proxy", "pusher"]);

    // Duplicate suffix (line 3), audio without codec (line 4), no suffix (line 5).
    let lines: Vec<_> = warnings.iter().map(|w| w.line).collect();
    assert_eq!(lines, [3, 4, 5], "{warnings:#?}");
}

#[test]
fn backchannel_zeroes_and_empties_take_defaults() {
    let (cfg, _) = parse(&config(
        "<backchannel><codec></codec><samplerate>0</samplerate><channels>0</channels></backchannel>",
    ));
    assert_eq!(cfg.backchannel, Some(BackchannelConfig::default()));
    let (cfg, _) = parse(&config(
        "<backchannel><codec>opus</codec><samplerate>48000</samplerate><channels>2</channels></backchannel>",
    ));
    assert_eq!(
        cfg.backchannel,
        Some(BackchannelConfig {
            codec: AudioCodec::Opus,
            sample_rate: 48000,
            channels: 2,
        })
    );
}

#[test]
fn bom_and_comments_are_tolerated() {
    let text = "\u{feff}<?xml version=\"1.0\" encoding=\"utf-8\"?>\n\
                <!-- RTSP server settings -->\n\
                <config>\n\
                  <!-- <serverport>1</serverport> -->\n\
                  <serverport>554</serverport> <!-- trailing -->\n\
                  <user><username>a&amp;b</username><password>p&w</password></user>\n\
                </config>\n\
                <!-- end -->\n";
    let (cfg, warnings) = parse(text);
    assert_eq!(cfg.server_port, 554);
    assert_eq!(cfg.users[0].username, "a&b");
    assert_eq!(cfg.users[0].password, "p&w");
    assert!(warnings.is_empty());
}

#[test]
fn malformed_xml_names_file_and_line() {
    let text =
        "<config>\n<serverport>554</serverport>\n<output>\n<url>x</uri>\n</output>\n</config>";
    let msg = error_message(text);
    assert!(msg.starts_with("rtsp.cfg:4: malformed XML"), "{msg}");

    let truncated = "<config>\n<serverport>554</serverport>\n<output>\n<url>x</url>\n";
    assert_eq!(
        error_message(truncated),
        "rtsp.cfg:3: malformed XML: <output> is never closed"
    );
    assert_eq!(error_message(""), "rtsp.cfg: no XML element found");
}

#[test]
fn hostile_input_is_refused_without_overflow() {
    let depth = 10_000;
    let deep = format!(
        "{}{}",
        "<config>\n".repeat(depth),
        "</config>".repeat(depth)
    );
    let err = parse_rtsp_config(&deep, "rtsp.cfg").unwrap_err();
    assert_eq!(
        err,
        ConfigError::Xml {
            file: "rtsp.cfg".into(),
            error: XmlError::TooDeep {
                line: MAX_DEPTH as u32 + 1,
                limit: MAX_DEPTH
            }
        }
    );

    let huge = config(&"<x/>".repeat(MAX_DOCUMENT_BYTES / 4 + 1));
    let err = parse_rtsp_config(&huge, "rtsp.cfg").unwrap_err();
    assert!(err.to_string().starts_with("rtsp.cfg: file is "), "{err}");
}
