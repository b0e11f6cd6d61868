//! Tests of the device state: building, streams, changes, persistence.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::*;
use crate::config::{
    AudioEncoderSettings, AudioEncoding, H264Profile, OnvifConfig, OnvifUser, Resolution,
    UserLevel, VideoEncoding, parse_onvif_config,
};
use crate::rtsp::url::parse_target;

fn default_state() -> DeviceState {
    DeviceState::from_config(&OnvifConfig::default(), 7)
}

fn config(text: &str) -> OnvifConfig {
    match parse_onvif_config(text, "onvif.cfg") {
        Ok((config, _)) => config,
        Err(err) => panic!("{err}"),
    }
}

const UNICAST_UDP: StreamSetup = StreamSetup {
    multicast: false,
    transport: StreamTransport::Udp,
};

#[test]
fn default_config_tokens_follow_happytime() {
    let state = default_state();
    let tokens: Vec<&str> = state.profiles().iter().map(|p| p.token.as_str()).collect();
    assert_eq!(tokens, ["ProfileToken_1", "ProfileToken_2"]);
    let main = &state.profiles()[0];
    let sub = &state.profiles()[1];
    assert!(main.fixed && sub.fixed);
    assert_eq!(main.name, "MainStream");
    // One 1280x720 camera behind both profiles (manual section 1.6).
    assert_eq!(state.video_sources().len(), 1);
    assert_eq!(state.video_sources()[0].token, "VideoSourceToken_1");
    assert_eq!(
        state.video_sources()[0].resolution,
        Resolution::new(1280, 720)
    );
    assert_eq!(
        main.video_source_configuration.as_deref(),
        Some("VideoSourceConfigurationToken_1")
    );
    assert_eq!(
        sub.video_source_configuration,
        main.video_source_configuration
    );
    assert_eq!(
        state.use_count(
            ConfigurationKind::VideoSource,
            "VideoSourceConfigurationToken_1"
        ),
        2
    );
    assert_eq!(
        main.video_encoder_configuration.as_deref(),
        Some("VideoEncoderConfigurationToken_1")
    );
    assert_eq!(
        sub.video_encoder_configuration.as_deref(),
        Some("VideoEncoderConfigurationToken_2")
    );
    let vec2 = state
        .video_encoder_configuration("VideoEncoderConfigurationToken_2")
        .expect("VEC 2");
    assert_eq!(vec2.name, "VideoEncoderConfigurationName_2");
    assert_eq!(vec2.settings.resolution, Resolution::new(640, 360));
    assert_eq!(
        main.audio_source_configuration.as_deref(),
        Some("AudioSourceConfigurationToken_1")
    );
    assert_eq!(state.audio_sources()[0].token, "AudioSourceToken_1");
    assert_eq!(
        main.audio_encoder_configuration.as_deref(),
        Some("AudioEncoderConfigurationToken_1")
    );
    assert_eq!(sub.audio_encoder_configuration, None);
    assert_eq!(
        state.metadata_configurations()[0].token,
        "MetadataConfigurationToken_1"
    );
    assert_eq!(state.relay_outputs()[0].token, "RelayOutputToken_1");
    assert!(state.osds().is_empty());
}

#[test]
fn different_source_sizes_make_different_sources() {
    let text = r#"<config>
<profile><video_source><width>1280</width><height>720</height></video_source>
<video_encoder><width>1280</width><height>720</height></video_encoder></profile>
<profile><video_source><width>640</width><height>480</height></video_source>
<video_encoder><width>640</width><height>480</height></video_encoder></profile>
<profile><video_source><width>1280</width><height>720</height></video_source>
<video_encoder><width>1280</width><height>720</height></video_encoder></profile>
</config>"#;
    let state = DeviceState::from_config(&config(text), 1);
    let sources: Vec<(&str, Resolution)> = state
        .video_sources()
        .iter()
        .map(|s| (s.token.as_str(), s.resolution))
        .collect();
    assert_eq!(
        sources,
        [
            ("VideoSourceToken_1", Resolution::new(1280, 720)),
            ("VideoSourceToken_2", Resolution::new(640, 480)),
        ]
    );
    let vscs: Vec<Option<&str>> = state
        .profiles()
        .iter()
        .map(|p| p.video_source_configuration.as_deref())
        .collect();
    assert_eq!(
        vscs,
        [
            Some("VideoSourceConfigurationToken_1"),
            Some("VideoSourceConfigurationToken_2"),
            Some("VideoSourceConfigurationToken_1"),
        ]
    );
    // Identical encoder settings share one configuration, as in Happytime.
    let vecs: Vec<Option<&str>> = state
        .profiles()
        .iter()
        .map(|p| p.video_encoder_configuration.as_deref())
        .collect();
    assert_eq!(
        vecs,
        [
            Some("VideoEncoderConfigurationToken_1"),
            Some("VideoEncoderConfigurationToken_2"),
            Some("VideoEncoderConfigurationToken_1"),
        ]
    );
    assert_eq!(state.profiles()[2].name, "ProfileName_3");
}

#[test]
fn explicit_tokens_and_generated_ones_do_not_clash() {
    let text = r#"<config>
<profile><video_source><width>640</width><height>480</height></video_source></profile>
<profile token="ProfileToken_3"><video_source><width>640</width><height>480</height></video_source></profile>
<profile><video_source><width>640</width><height>480</height></video_source></profile>
</config>"#;
    let state = DeviceState::from_config(&config(text), 1);
    let tokens: Vec<&str> = state.profiles().iter().map(|p| p.token.as_str()).collect();
    assert_eq!(
        tokens,
        ["ProfileToken_1", "ProfileToken_3", "ProfileToken_4"]
    );
}

#[test]
fn required_scopes_are_added() {
    let (template, _) =
        parse_onvif_config(crate::config::onvif_tests::TEMPLATE, "onvif.cfg").expect("template");
    let state = DeviceState::from_config(&template, 1);
    let uris: Vec<&str> = state.scopes().iter().map(|s| s.uri.as_str()).collect();
    assert_eq!(
        uris,
        [
            "onvif://www.onvif.org/location/country/china",
            "onvif://www.onvif.org/name/IP-Camera",
            "onvif://www.onvif.org/hardware/HI3518C",
            "onvif://www.onvif.org/Profile/Streaming",
            "onvif://www.onvif.org/Profile/T",
        ]
    );
    assert!(state.scopes().iter().all(|s| s.fixed));

    let bare = config(
        "<config><scope>onvif://www.onvif.org/location/x</scope><information><Model>My Cam</Model></information></config>",
    );
    let state = DeviceState::from_config(&bare, 1);
    assert!(
        state
            .scopes()
            .iter()
            .any(|s| s.uri == "onvif://www.onvif.org/name/My%20Cam")
    );
    assert!(
        state
            .scopes()
            .iter()
            .any(|s| s.uri == "onvif://www.onvif.org/hardware/My%20Cam")
    );
}

#[test]
fn endpoint_reference_is_stable_per_seed() {
    let a = default_state();
    let b = default_state();
    assert_eq!(a.endpoint_reference(), b.endpoint_reference());
    assert!(validate::is_endpoint_reference(a.endpoint_reference()));
    // A version 4, variant 1 UUID.
    let uuid = &a.endpoint_reference()["urn:uuid:".len()..];
    assert_eq!(&uuid[14..15], "4");
    assert!("89ab".contains(&uuid[19..20]));
    let other = DeviceState::from_config(&OnvifConfig::default(), 8);
    assert_ne!(a.endpoint_reference(), other.endpoint_reference());
    let fixed = OnvifConfig {
        endpoint_reference: Some("urn:uuid:6ba7b810-9dad-41d1-80b4-00c04fd430c8".into()),
        ..OnvifConfig::default()
    };
    assert_eq!(
        DeviceState::from_config(&fixed, 1).endpoint_reference(),
        "urn:uuid:6ba7b810-9dad-41d1-80b4-00c04fd430c8"
    );
}

#[test]
fn default_stream_carries_the_encoder_settings() {
    let state = default_state();
    let main = state
        .stream_path("ProfileToken_1", UNICAST_UDP)
        .expect("main");
    assert_eq!(
        main,
        "testsrc&t=unicast&p=udp&ve=H264&w=1280&h=720&ae=PCMU&sr=8000&fps=25&br=2048&gov=25&vp=Main&ab=64"
    );
    let sub = state
        .stream_location("ProfileToken_2", UNICAST_UDP)
        .expect("sub");
    assert_eq!(
        sub.uri("rtsp", "192.168.1.5:8554"),
        "rtsp://192.168.1.5:8554/testsrc&t=unicast&p=udp&ve=H264&w=640&h=360&fps=25&br=512&gov=25&vp=Main"
    );

    // The RTSP server's URL parser reads it back.
    let target = parse_target(&format!("rtsp://h:8554/{main}")).expect("parses");
    assert_eq!(target.stream, "testsrc");
    assert_eq!(target.param("t"), Some("unicast"));
    assert_eq!(target.param("p"), Some("udp"));
    assert_eq!(target.param("ve"), Some("H264"));
    assert_eq!(target.param("w"), Some("1280"));
    assert_eq!(target.param("h"), Some("720"));
    assert_eq!(target.param("ae"), Some("PCMU"));
    assert_eq!(target.param("sr"), Some("8000"));
    assert_eq!(target.param("fps"), Some("25"));
    assert_eq!(target.param("br"), Some("2048"));
    // ... also with a track control after it, as ffmpeg sends SETUP.
    let track = parse_target(&format!("rtsp://h:8554/{main}/trackID=1")).expect("parses");
    assert_eq!((track.stream.as_str(), track.track), ("testsrc", Some(1)));
    assert_eq!(track.param("ab"), Some("64"));

    let tcp = StreamSetup {
        multicast: true,
        transport: StreamTransport::Rtsp,
    };
    let path = state.stream_path("ProfileToken_1", tcp).expect("path");
    assert!(path.starts_with("testsrc&t=multicast&p=rtsp&"), "{path}");
    assert_eq!(
        state.stream_path("nope", UNICAST_UDP),
        Err(StateError::NoProfile("nope".into()))
    );
}

#[test]
fn every_encoding_has_its_stream_name() {
    let mut state = default_state();
    let cases = [
        (VideoEncoding::Jpeg, "JPEG", None),
        (VideoEncoding::Mpeg4, "MP4V-ES", Some("SP")),
        (VideoEncoding::H264, "H264", Some("Main")),
        (VideoEncoding::H265, "H265", Some("Main")),
    ];
    for (encoding, name, profile) in cases {
        let mut vec = state
            .video_encoder_configuration("VideoEncoderConfigurationToken_1")
            .expect("vec")
            .clone();
        vec.settings.encoding = encoding;
        state
            .set_video_encoder_configuration(vec)
            .expect("valid change");
        let params = state
            .stream_params("ProfileToken_1", UNICAST_UDP)
            .expect("params");
        let video = params.video.expect("video");
        assert_eq!(video.profile, profile);
        let target = parse_target(&format!(
            "rtsp://h/{}",
            state
                .stream_path("ProfileToken_1", UNICAST_UDP)
                .expect("path")
        ))
        .expect("parses");
        assert_eq!(target.param("ve"), Some(name));
        assert_eq!(target.param("gov").is_some(), profile.is_some());
        assert_eq!(VideoEncoding::from_name(name), Some(encoding));
    }
    let audio_cases = [
        (
            AudioEncoderSettings::for_encoding(AudioEncoding::G711),
            "PCMU",
            "8000",
        ),
        (
            AudioEncoderSettings::for_encoding(AudioEncoding::G726),
            "G726",
            "8000",
        ),
        (
            AudioEncoderSettings {
                bitrate: 24,
                ..AudioEncoderSettings::for_encoding(AudioEncoding::G726)
            },
            "G726-24",
            "8000",
        ),
        (
            AudioEncoderSettings {
                sample_rate: 44,
                bitrate: 128,
                ..AudioEncoderSettings::for_encoding(AudioEncoding::Aac)
            },
            "MP4A-LATM",
            "44100",
        ),
    ];
    for (settings, name, rate) in audio_cases {
        let mut aec = state.audio_encoder_configurations()[0].clone();
        aec.settings = settings;
        state
            .set_audio_encoder_configuration(aec)
            .expect("valid change");
        let path = state
            .stream_path("ProfileToken_1", UNICAST_UDP)
            .expect("path");
        let target = parse_target(&format!("rtsp://h/{path}")).expect("parses");
        assert_eq!(target.param("ae"), Some(name));
        assert_eq!(target.param("sr"), Some(rate));
    }
}

#[test]
fn stream_uri_and_append_params() {
    let text = r#"<config>
<profile><video_encoder><width>640</width><height>480</height></video_encoder>
  <stream_uri>rtsp://192.168.3.27/live</stream_uri></profile>
<profile><video_encoder><width>640</width><height>480</height><encoding>JPEG</encoding></video_encoder>
  <stream_uri append_params="1">rtsp://192.168.3.27/live</stream_uri></profile>
<profile><video_encoder><width>640</width><height>480</height></video_encoder>
  <stream_uri append_params="1">/videodevice=HD Camera</stream_uri></profile>
<profile><video_encoder><width>640</width><height>480</height></video_encoder>
  <stream_uri>test.mp4</stream_uri></profile>
</config>"#;
    let state = DeviceState::from_config(&config(text), 1);
    let location = |token: &str| state.stream_location(token, UNICAST_UDP).expect("location");
    assert_eq!(
        location("ProfileToken_1"),
        StreamLocation::Remote("rtsp://192.168.3.27/live".into())
    );
    assert_eq!(
        location("ProfileToken_2"),
        StreamLocation::Remote(
            "rtsp://192.168.3.27/live&t=unicast&p=udp&ve=JPEG&w=640&h=480&fps=25&br=2048".into()
        )
    );
    assert_eq!(
        location("ProfileToken_2").uri("rtsp", "ignored:1"),
        "rtsp://192.168.3.27/live&t=unicast&p=udp&ve=JPEG&w=640&h=480&fps=25&br=2048"
    );
    let device = location("ProfileToken_3");
    let StreamLocation::Local(path) = &device else {
        panic!("{device:?}")
    };
    assert!(
        path.starts_with("videodevice=HD%20Camera&t=unicast"),
        "{path}"
    );
    let target = parse_target(&format!("rtsp://h/{path}")).expect("parses");
    assert_eq!(target.stream, "videodevice=HD Camera");
    assert_eq!(
        location("ProfileToken_4"),
        StreamLocation::Local("test.mp4".into())
    );

    let mut state = state;
    state.set_default_stream("/movie.mkv");
    assert_eq!(state.default_stream(), "movie.mkv");
}

#[test]
fn video_encoder_changes_are_checked_against_the_options() {
    let mut state = default_state();
    let original = state
        .video_encoder_configuration("VideoEncoderConfigurationToken_1")
        .expect("vec")
        .clone();
    let mut changed = original.clone();
    changed.name = "  Main encoder ".into();
    changed.settings.resolution = Resolution::new(1920, 1080);
    changed.settings.framerate = 15;
    changed.settings.bitrate_limit = 4096;
    changed.settings.h264.gov_length = 30;
    changed.settings.h264.profile = H264Profile::High;
    state
        .set_video_encoder_configuration(changed)
        .expect("valid change");
    let stored = state
        .video_encoder_configuration("VideoEncoderConfigurationToken_1")
        .expect("vec");
    assert_eq!(stored.name, "Main encoder");
    let path = state
        .stream_path("ProfileToken_1", UNICAST_UDP)
        .expect("path");
    assert_eq!(
        path,
        "testsrc&t=unicast&p=udp&ve=H264&w=1920&h=1080&ae=PCMU&sr=8000&fps=15&br=4096&gov=30&vp=High&ab=64"
    );

    type Change = fn(&mut VideoEncoderConfiguration);
    let refusals: [(&str, Change); 9] = [
        ("resolution", |c| {
            c.settings.resolution = Resolution::new(1000, 600)
        }),
        ("quality", |c| c.settings.quality = 101.0),
        ("quality", |c| c.settings.quality = f32::NAN),
        ("frame rate", |c| c.settings.framerate = 0),
        ("bit rate", |c| c.settings.bitrate_limit = 100_000),
        ("GOV length", |c| c.settings.h264.gov_length = 0),
        ("profile", |c| {
            c.settings.h264.profile = H264Profile::Extended
        }),
        ("encoding interval", |c| c.settings.encoding_interval = 0),
        ("multicast", |c| {
            c.multicast.address = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1))
        }),
    ];
    for (what, change) in refusals {
        let mut config = original.clone();
        change(&mut config);
        let err = state
            .set_video_encoder_configuration(config)
            .expect_err(what);
        assert!(matches!(err, StateError::ConfigModify(_)), "{what}: {err}");
        assert!(err.to_string().contains(what), "{what}: {err}");
        assert_eq!(
            err.fault(),
            FaultCode {
                receiver: false,
                subcode: "InvalidArgVal",
                detail: Some("ConfigModify")
            }
        );
    }
    let mut unknown = original.clone();
    unknown.token = "VideoEncoderConfigurationToken_9".into();
    assert_eq!(
        state.set_video_encoder_configuration(unknown),
        Err(StateError::NoConfig(
            "VideoEncoderConfigurationToken_9".into()
        ))
    );
    // A JPEG size must be a multiple of 8.
    let mut jpeg = original;
    jpeg.settings.encoding = VideoEncoding::Jpeg;
    jpeg.settings.resolution = Resolution::new(704, 576);
    assert!(state.set_video_encoder_configuration(jpeg).is_err());
}

#[test]
fn options_cover_the_current_configuration() {
    let text = r#"<config><profile><video_encoder><width>1000</width><height>562</height>
<h264><h264_profile>Extended</h264_profile></h264></video_encoder></profile></config>"#;
    let mut state = DeviceState::from_config(&config(text), 1);
    let h264 = state.video_encoder_options(VideoEncoding::H264);
    assert!(h264.resolutions.contains(&Resolution::new(1000, 562)));
    assert!(h264.resolutions.contains(&Resolution::new(1920, 1080)));
    assert!(
        h264.resolutions
            .windows(2)
            .all(|w| w[0].area() >= w[1].area())
    );
    assert_eq!(h264.profiles, ["Baseline", "Main", "High", "Extended"]);
    assert_eq!(h264.gov_length, Some(1..=300));
    assert!(h264.framerates.contains(&25));
    let jpeg = state.video_encoder_options(VideoEncoding::Jpeg);
    assert!(!jpeg.resolutions.contains(&Resolution::new(1000, 562)));
    assert!(jpeg.profiles.is_empty() && jpeg.gov_length.is_none());
    assert_eq!(
        state.video_encoder_options(VideoEncoding::H265).profiles,
        ["Main", "Main10"]
    );
    assert_eq!(
        state.video_encoder_options(VideoEncoding::Mpeg4).profiles,
        ["SP", "ASP"]
    );
    // Setting it unchanged is accepted.
    let current = state.video_encoder_configurations()[0].clone();
    state
        .set_video_encoder_configuration(current)
        .expect("current settings are valid");

    let g711 = state.audio_encoder_options(AudioEncoding::G711);
    assert_eq!((g711.bitrates, g711.sample_rates), (vec![64], vec![8]));
    let aac = state.audio_encoder_options(AudioEncoding::Aac);
    assert!(aac.sample_rates.contains(&48) && aac.bitrates.contains(&128));
    let vsc = state
        .video_source_configuration_options(Some("VideoSourceConfigurationToken_1"))
        .expect("options");
    assert_eq!(vsc.width, 1..=1000);
    assert_eq!(vsc.source_tokens, ["VideoSourceToken_1"]);
    assert_eq!(
        state.video_source_configuration_options(Some("x")),
        Err(StateError::NoConfig("x".into()))
    );
    let instances = state
        .guaranteed_video_encoder_instances("VideoSourceConfigurationToken_1")
        .expect("instances");
    assert_eq!(instances.total, 4);
}

#[test]
fn audio_encoder_changes_are_checked() {
    let mut state = default_state();
    let original = state.audio_encoder_configurations()[0].clone();
    let mut aac = original.clone();
    aac.settings = AudioEncoderSettings {
        encoding: AudioEncoding::Aac,
        bitrate: 64,
        sample_rate: 16,
        session_timeout: 30,
    };
    state
        .set_audio_encoder_configuration(aac)
        .expect("valid change");
    for settings in [
        AudioEncoderSettings {
            sample_rate: 16,
            ..AudioEncoderSettings::default()
        },
        AudioEncoderSettings {
            bitrate: 128,
            ..AudioEncoderSettings::default()
        },
        AudioEncoderSettings {
            session_timeout: 0,
            ..AudioEncoderSettings::default()
        },
    ] {
        let mut config = original.clone();
        config.settings = settings;
        assert!(matches!(
            state.set_audio_encoder_configuration(config),
            Err(StateError::ConfigModify(_))
        ));
    }
}

#[test]
fn source_configuration_bounds_must_fit() {
    let mut state = default_state();
    let mut vsc = state.video_source_configurations()[0].clone();
    vsc.bounds = Bounds {
        x: 0,
        y: 0,
        width: 640,
        height: 360,
    };
    state
        .set_video_source_configuration(vsc.clone())
        .expect("fits");
    vsc.bounds.x = 1000;
    assert!(matches!(
        state.set_video_source_configuration(vsc.clone()),
        Err(StateError::ConfigModify(_))
    ));
    vsc.bounds.x = 0;
    vsc.source_token = "VideoSourceToken_9".into();
    assert!(state.set_video_source_configuration(vsc).is_err());
}

#[test]
fn profiles_are_created_filled_and_deleted() {
    let mut state = default_state();
    let token = state.create_profile("Third", None).expect("created");
    assert_eq!(token, "ProfileToken_3");
    let own = state
        .create_profile("Mine", Some("my-profile"))
        .expect("created");
    assert_eq!(own, "my-profile");
    assert_eq!(
        state.create_profile("Again", Some("my-profile")),
        Err(StateError::ProfileExists("my-profile".into()))
    );
    state
        .add_configuration(
            &token,
            ConfigurationKind::VideoSource,
            "VideoSourceConfigurationToken_1",
        )
        .expect("added");
    state
        .add_configuration(
            &token,
            ConfigurationKind::VideoEncoder,
            "VideoEncoderConfigurationToken_2",
        )
        .expect("added");
    assert_eq!(
        state.add_configuration(&token, ConfigurationKind::AudioEncoder, "nope"),
        Err(StateError::NoConfig("nope".into()))
    );
    assert_eq!(
        state.add_configuration(
            "nope",
            ConfigurationKind::Metadata,
            "MetadataConfigurationToken_1"
        ),
        Err(StateError::NoProfile("nope".into()))
    );
    assert_eq!(
        state.use_count(
            ConfigurationKind::VideoEncoder,
            "VideoEncoderConfigurationToken_2"
        ),
        2
    );
    assert_eq!(
        state.profiles_using(
            ConfigurationKind::VideoEncoder,
            "VideoEncoderConfigurationToken_2"
        ),
        ["ProfileToken_2", "ProfileToken_3"]
    );
    let path = state.stream_path(&token, UNICAST_UDP).expect("path");
    assert!(path.contains("&w=640&h=360"), "{path}");
    state
        .remove_configuration(&token, ConfigurationKind::VideoEncoder)
        .expect("removed");
    assert_eq!(
        state
            .profile(&token)
            .expect("profile")
            .video_encoder_configuration,
        None
    );
    assert_eq!(
        state.delete_profile("ProfileToken_1"),
        Err(StateError::DeletionOfFixedProfile("ProfileToken_1".into()))
    );
    assert_eq!(
        state
            .delete_profile("ProfileToken_1")
            .map_err(|e| e.fault()),
        Err(FaultCode {
            receiver: false,
            subcode: "Action",
            detail: Some("DeletionOfFixedProfile")
        })
    );
    state.delete_profile(&token).expect("deleted");
    assert!(state.profile(&token).is_none());
    while state.profiles().len() < crate::config::MAX_PROFILES {
        state.create_profile("filler", None).expect("room");
    }
    assert_eq!(
        state.create_profile("one too many", None),
        Err(StateError::MaxProfiles)
    );
    assert!(StateError::MaxProfiles.fault().receiver);
}

#[test]
fn osds_are_created_checked_and_deleted() {
    let mut state = default_state();
    let text = Osd {
        token: String::new(),
        video_source_configuration: "VideoSourceConfigurationToken_1".into(),
        position: OsdPosition {
            kind: OsdPositionKind::UpperLeft,
            x: 0.0,
            y: 0.0,
        },
        content: OsdContent::Text(OsdText {
            text_type: OsdTextType::DateAndTime,
            plain_text: String::new(),
            date_format: "yyyy-MM-dd".into(),
            time_format: "HH:mm:ss".into(),
            font_size: 16,
        }),
    };
    let token = state.create_osd(text.clone()).expect("created");
    assert_eq!(token, "OSDToken_1");
    let mut bad = text.clone();
    bad.video_source_configuration = "nope".into();
    assert!(state.create_osd(bad).is_err());
    let mut custom = text.clone();
    custom.token = token.clone();
    custom.position = OsdPosition {
        kind: OsdPositionKind::Custom,
        x: 2.0,
        y: 0.0,
    };
    assert!(state.set_osd(custom.clone()).is_err());
    custom.position.x = -0.5;
    state.set_osd(custom).expect("valid");
    for _ in 1..MAX_OSDS {
        state.create_osd(text.clone()).expect("room");
    }
    assert_eq!(state.create_osd(text), Err(StateError::MaxOsds));
    state.delete_osd(&token).expect("deleted");
    assert!(state.delete_osd(&token).is_err());
}

#[test]
fn users_are_managed_with_onvif_faults() {
    let mut state = default_state();
    let user = |name: &str, level| OnvifUser {
        username: name.into(),
        password: "pw".into(),
        level,
        fixed: true,
    };
    state
        .create_users(&[
            user("op", UserLevel::Operator),
            user("viewer", UserLevel::User),
        ])
        .expect("created");
    assert!(
        !state.user("op").expect("op").fixed,
        "created users are not fixed"
    );
    assert_eq!(
        state.create_users(&[user("new", UserLevel::User), user("op", UserLevel::User)]),
        Err(StateError::UsernameClash("op".into()))
    );
    assert!(state.user("new").is_none(), "all or nothing");
    assert_eq!(
        state.create_users(&[user("anon", UserLevel::Anonymous)]),
        Err(StateError::AnonymousNotAllowed)
    );
    assert_eq!(
        state.create_users(&[user(&"x".repeat(33), UserLevel::User)]),
        Err(StateError::UsernameTooLong)
    );
    assert_eq!(
        state.create_users(&[user("", UserLevel::User)]),
        Err(StateError::UsernameTooShort)
    );
    let mut weak = user("weak", UserLevel::User);
    weak.password = " padded".into();
    assert_eq!(
        state.create_users(&[weak]),
        Err(StateError::PasswordTooWeak)
    );
    state
        .set_users(&[UserChange {
            username: "op".into(),
            password: Some("new".into()),
            level: UserLevel::Administrator,
        }])
        .expect("set");
    let op = state.user("op").expect("op");
    assert_eq!(
        (op.password.as_str(), op.level),
        ("new", UserLevel::Administrator)
    );
    assert_eq!(
        state.set_users(&[UserChange {
            username: "ghost".into(),
            password: None,
            level: UserLevel::User,
        }]),
        Err(StateError::UsernameMissing("ghost".into()))
    );
    assert_eq!(
        state.delete_users(&["admin"]),
        Err(StateError::FixedUser("admin".into()))
    );
    assert_eq!(
        state.delete_users(&["op", "ghost"]),
        Err(StateError::UsernameMissing("ghost".into()))
    );
    state.delete_users(&["op", "viewer"]).expect("deleted");
    assert_eq!(state.users().len(), 1);
}

#[test]
fn scopes_are_managed_with_onvif_faults() {
    let mut state = default_state();
    let fixed = state.scopes().len();
    state
        .add_scopes(&["onvif://www.onvif.org/location/hall", "odm:name:x"])
        .expect("added");
    assert_eq!(
        state.add_scopes(&["odm:name:x"]),
        Err(StateError::ScopeOverwrite("odm:name:x".into()))
    );
    state
        .set_scopes(&["onvif://www.onvif.org/location/roof"])
        .expect("set");
    let configurable: Vec<&str> = state
        .scopes()
        .iter()
        .filter(|s| !s.fixed)
        .map(|s| s.uri.as_str())
        .collect();
    assert_eq!(configurable, ["onvif://www.onvif.org/location/roof"]);
    assert_eq!(state.scopes().len(), fixed + 1);
    assert_eq!(
        state.set_scopes(&["onvif://www.onvif.org/Profile/T"]),
        Err(StateError::ScopeOverwrite(
            "onvif://www.onvif.org/Profile/T".into()
        ))
    );
    assert_eq!(
        state.remove_scopes(&["onvif://www.onvif.org/Profile/T"]),
        Err(StateError::FixedScope(
            "onvif://www.onvif.org/Profile/T".into()
        ))
    );
    assert_eq!(
        state.remove_scopes(&["nope:x"]),
        Err(StateError::NoScope("nope:x".into()))
    );
    assert!(matches!(
        state.add_scopes(&["has space"]),
        Err(StateError::InvalidArgument(_))
    ));
    assert_eq!(
        state
            .remove_scopes(&["onvif://www.onvif.org/location/roof"])
            .expect("removed"),
        ["onvif://www.onvif.org/location/roof"]
    );
    let many: Vec<String> = (0..MAX_SCOPES).map(|i| format!("x:scope/{i}")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    assert_eq!(state.add_scopes(&many), Err(StateError::TooManyScopes));
}

#[test]
fn network_settings_are_checked_and_stored() {
    let mut state = default_state();
    state.set_hostname("camera-1").expect("valid");
    assert_eq!(state.network().hostname.name.as_deref(), Some("camera-1"));
    assert_eq!(
        state.set_hostname("Onvif_test"),
        Err(StateError::InvalidHostname("Onvif_test".into()))
    );
    assert_eq!(
        NetworkHost::parse("IPv4", "10.1.1"),
        Err(StateError::InvalidIpv4Address("10.1.1".into()))
    );
    assert_eq!(
        NetworkHost::parse("DNS", "time.example.com"),
        Ok(NetworkHost::Dns("time.example.com".into()))
    );
    assert_eq!(
        parse_ipv6("fe80::1"),
        Ok("fe80::1".parse::<Ipv6Addr>().expect("v6"))
    );
    assert!(matches!(
        state.set_dns(DnsSettings {
            from_dhcp: false,
            search_domains: vec!["bad_domain".into()],
            servers: vec![],
        }),
        Err(StateError::InvalidDnsName(_))
    ));
    assert!(matches!(
        state.set_ntp(NtpSettings {
            from_dhcp: false,
            servers: vec![NetworkHost::Dns("-bad".into())],
        }),
        Err(StateError::InvalidDnsName(_))
    ));
    state
        .set_network_protocols(&[NetworkProtocol {
            kind: ProtocolKind::Https,
            enabled: true,
            ports: vec![8443],
        }])
        .expect("valid");
    assert!(matches!(
        state.set_network_protocols(&[NetworkProtocol {
            kind: ProtocolKind::Rtsp,
            enabled: true,
            ports: vec![8000],
        }]),
        Err(StateError::InvalidPort(_))
    ));
    assert!(matches!(
        state.set_network_protocols(&[NetworkProtocol {
            kind: ProtocolKind::Http,
            enabled: true,
            ports: vec![],
        }]),
        Err(StateError::InvalidPort(_))
    ));
    state.set_rtsp_port(554);
    let rtsp = state
        .network()
        .protocols
        .iter()
        .find(|p| p.kind == ProtocolKind::Rtsp)
        .expect("rtsp");
    assert_eq!(rtsp.ports, [554]);
    assert!(matches!(
        state.set_interface_override(InterfaceOverride {
            token: "eth0".into(),
            enabled: Some(true),
            mtu: Some(10),
            ipv4_dhcp: None,
            ipv4_manual: vec![],
        }),
        Err(StateError::InvalidArgument(_))
    ));
}

#[test]
fn date_and_time_are_kept_as_an_offset() {
    let mut state = default_state();
    let host_now = 1_700_000_000;
    let utc = CivilDateTime {
        year: 2030,
        month: 1,
        day: 2,
        hour: 3,
        minute: 4,
        second: 5,
    };
    state
        .set_system_date_time(
            &SetDateTime {
                kind: DateTimeType::Manual,
                daylight_savings: true,
                time_zone: Some("CST-8".into()),
                utc: Some(utc),
            },
            host_now,
        )
        .expect("valid");
    assert_eq!(state.date_time().clock_offset, utc.to_unix() - host_now);
    let (device_utc, local, dst) = state.device_date_time(host_now + 60);
    assert_eq!(device_utc, CivilDateTime { minute: 5, ..utc });
    assert_eq!((local.hour, local.minute, dst), (11, 5, false));
    assert!(state.date_time().daylight_savings);
    assert!(matches!(
        state.set_system_date_time(
            &SetDateTime {
                kind: DateTimeType::Manual,
                daylight_savings: false,
                time_zone: Some("Mars/Olympus".into()),
                utc: None,
            },
            host_now,
        ),
        Err(StateError::InvalidTimeZone(_))
    ));
    assert!(matches!(
        state.set_system_date_time(
            &SetDateTime {
                kind: DateTimeType::Manual,
                daylight_savings: false,
                time_zone: None,
                utc: Some(CivilDateTime { month: 13, ..utc }),
            },
            host_now,
        ),
        Err(StateError::InvalidDateTime(_))
    ));
    state
        .set_system_date_time(
            &SetDateTime {
                kind: DateTimeType::Ntp,
                daylight_savings: false,
                time_zone: None,
                utc: None,
            },
            host_now,
        )
        .expect("valid");
    assert_eq!(state.date_time().clock_offset, 0);
    assert_eq!(state.date_time().time_zone, "CST-8");
    assert_eq!(state.device_utc(host_now), host_now);
}

/// A state with something changed in every part.
fn busy_state() -> DeviceState {
    let mut state = default_state();
    state.set_rtsp_port(8554);
    let third = state
        .create_profile("Third & <last>", Some("token with \"quotes\""))
        .expect("profile");
    state
        .add_configuration(
            &third,
            ConfigurationKind::VideoSource,
            "VideoSourceConfigurationToken_1",
        )
        .expect("vsc");
    state
        .add_configuration(
            &third,
            ConfigurationKind::Metadata,
            "MetadataConfigurationToken_1",
        )
        .expect("metadata");
    state
        .add_configuration(
            &third,
            ConfigurationKind::AudioEncoder,
            "AudioEncoderConfigurationToken_1",
        )
        .expect("aec");
    state
        .remove_configuration("ProfileToken_2", ConfigurationKind::VideoEncoder)
        .expect("removed");
    let mut vec = state.video_encoder_configurations()[1].clone();
    vec.name = "Sub encoder".into();
    vec.settings.encoding = VideoEncoding::Jpeg;
    vec.settings.quality = 33.5;
    vec.settings.resolution = Resolution::new(640, 480);
    vec.settings.h265.gov_length = 77;
    vec.multicast.auto_start = true;
    vec.multicast.address = "ff15::1".parse().expect("v6 group");
    state.set_video_encoder_configuration(vec).expect("vec");
    let mut aec = state.audio_encoder_configurations()[0].clone();
    aec.settings = AudioEncoderSettings {
        encoding: AudioEncoding::G726,
        bitrate: 24,
        sample_rate: 8,
        session_timeout: 90,
    };
    state.set_audio_encoder_configuration(aec).expect("aec");
    let mut vsc = state.video_source_configurations()[0].clone();
    vsc.bounds = Bounds {
        x: 8,
        y: 8,
        width: 1000,
        height: 600,
    };
    vsc.name = "Camera".into();
    state.set_video_source_configuration(vsc).expect("vsc");
    let mut metadata = state.metadata_configurations()[0].clone();
    metadata.analytics = true;
    metadata.session_timeout = 120;
    state
        .set_metadata_configuration(metadata)
        .expect("metadata");
    state
        .create_osd(Osd {
            token: String::new(),
            video_source_configuration: "VideoSourceConfigurationToken_1".into(),
            position: OsdPosition {
                kind: OsdPositionKind::Custom,
                x: -0.25,
                y: 0.9,
            },
            content: OsdContent::Text(OsdText {
                text_type: OsdTextType::Plain,
                plain_text: "Gate <1> & \"2\"".into(),
                date_format: "MM/dd/yyyy".into(),
                time_format: "hh:mm:ss tt".into(),
                font_size: 20,
            }),
        })
        .expect("osd");
    state
        .create_osd(Osd {
            token: String::new(),
            video_source_configuration: "VideoSourceConfigurationToken_1".into(),
            position: OsdPosition {
                kind: OsdPositionKind::LowerRight,
                x: 0.0,
                y: 0.0,
            },
            content: OsdContent::Image("http://x/logo.png".into()),
        })
        .expect("osd");
    state
        .set_relay_output_settings(
            "RelayOutputToken_1",
            RelayMode::Monostable,
            5,
            RelayIdleState::Open,
        )
        .expect("relay");
    state
        .set_relay_output_state("RelayOutputToken_1", true)
        .expect("relay");
    state
        .create_users(&[OnvifUser {
            username: "op&<er>".into(),
            password: "p\"w'd".into(),
            level: UserLevel::Operator,
            fixed: false,
        }])
        .expect("user");
    state
        .add_scopes(&["onvif://www.onvif.org/location/hall"])
        .expect("scope");
    state.set_hostname("cam-42").expect("hostname");
    state.set_discovery_mode(DiscoveryMode::NonDiscoverable);
    state
        .set_dns(DnsSettings {
            from_dhcp: false,
            search_domains: vec!["example.com".into()],
            servers: vec![
                IpAddr::V4(Ipv4Addr::new(1, 1, 1, 1)),
                "2606:4700::1111".parse().expect("v6"),
            ],
        })
        .expect("dns");
    state
        .set_ntp(NtpSettings {
            from_dhcp: true,
            servers: vec![
                NetworkHost::Dns("time.example.com".into()),
                NetworkHost::Ipv4(Ipv4Addr::new(10, 0, 0, 1)),
                NetworkHost::Ipv6("fd00::1".parse().expect("v6")),
            ],
        })
        .expect("ntp");
    state
        .set_network_protocols(&[NetworkProtocol {
            kind: ProtocolKind::Https,
            enabled: true,
            ports: vec![443, 8443],
        }])
        .expect("protocols");
    state.set_gateway(GatewaySettings {
        ipv4: vec![Ipv4Addr::new(192, 168, 1, 1)],
        ipv6: vec!["fe80::1".parse().expect("v6")],
    });
    state.set_zero_configuration("eth0", true);
    state
        .set_interface_override(InterfaceOverride {
            token: "eth0".into(),
            enabled: Some(true),
            mtu: Some(1400),
            ipv4_dhcp: Some(false),
            ipv4_manual: vec![PrefixedIpv4 {
                address: Ipv4Addr::new(192, 168, 1, 10),
                prefix_length: 24,
            }],
        })
        .expect("interface");
    state
        .set_interface_override(InterfaceOverride {
            token: "wlan0".into(),
            enabled: None,
            mtu: None,
            ipv4_dhcp: None,
            ipv4_manual: vec![],
        })
        .expect("interface");
    state
        .set_system_date_time(
            &SetDateTime {
                kind: DateTimeType::Manual,
                daylight_savings: true,
                time_zone: Some("EST5EDT,M3.2.0,M11.1.0".into()),
                utc: Some(CivilDateTime {
                    year: 2031,
                    month: 5,
                    day: 6,
                    hour: 7,
                    minute: 8,
                    second: 9,
                }),
            },
            1_700_000_000,
        )
        .expect("date time");
    state
}

#[test]
fn runtime_file_round_trips() {
    let state = busy_state();
    let text = state.to_runtime_xml();
    let (read, warnings) = match DeviceState::from_runtime_xml(&text, "onvifrun.cfg") {
        Ok(read) => read,
        Err(err) => panic!("{err}\n{text}"),
    };
    assert!(warnings.is_empty(), "{warnings:?}\n{text}");
    assert_eq!(read, state, "{text}");
    // Writing again gives the same text.
    assert_eq!(read.to_runtime_xml(), text);

    // The default state too, and the template's.
    for state in [
        default_state(),
        DeviceState::from_config(&config(crate::config::onvif_tests::TEMPLATE), 3),
    ] {
        let text = state.to_runtime_xml();
        let (read, warnings) = DeviceState::from_runtime_xml(&text, "onvifrun.cfg").expect("reads");
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(read, state);
    }
}

#[test]
fn runtime_file_looks_like_onvif_cfg() {
    let text = default_state().to_runtime_xml();
    for expected in [
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>",
        "<config>",
        "    <http_port>8000</http_port>",
        "    <user>\n        <username>admin</username>",
        "    <VideoSources token=\"VideoSourceToken_1\">",
        "    <VideoEncoderConfigurations token=\"VideoEncoderConfigurationToken_1\">",
        "        <h264>\n            <gov_length>25</gov_length>\n            <h264_profile>Main</h264_profile>",
        "    <profile token=\"ProfileToken_1\" fixed=\"1\">",
        "        <stream_uri append_params=\"0\"></stream_uri>",
        "        <ScopeDef>Fixed</ScopeDef>",
        "    <event>\n        <renew_interval>60</renew_interval>",
        "    <EndpointReference>urn:uuid:",
        "        <DiscoveryMode>Discoverable</DiscoveryMode>",
    ] {
        assert!(text.contains(expected), "{expected}\n{text}");
    }
}

#[test]
fn runtime_file_errors_name_the_element() {
    let text = default_state().to_runtime_xml();
    let broken = text.replace(
        "<video_encoder_configuration>VideoEncoderConfigurationToken_2</video_encoder_configuration>",
        "<video_encoder_configuration>VideoEncoderConfigurationToken_9</video_encoder_configuration>",
    );
    let err =
        DeviceState::from_runtime_xml(&broken, "onvifrun.cfg").expect_err("dangling reference");
    let message = err.to_string();
    assert!(
        message.contains(
            "<profile/video_encoder_configuration> = \"VideoEncoderConfigurationToken_9\""
        ),
        "{message}"
    );
    assert!(message.starts_with("onvifrun.cfg:"), "{message}");

    let duplicate = text.replace(
        "token=\"VideoEncoderConfigurationToken_2\"",
        "token=\"VideoEncoderConfigurationToken_1\"",
    );
    let message = DeviceState::from_runtime_xml(&duplicate, "onvifrun.cfg")
        .expect_err("duplicate")
        .to_string();
    assert!(
        message.contains("<VideoEncoderConfigurations@token>"),
        "{message}"
    );

    let bad_tz = text.replace("<TZ>UTC0</TZ>", "<TZ>Nowhere</TZ>");
    let message = DeviceState::from_runtime_xml(&bad_tz, "onvifrun.cfg")
        .expect_err("tz")
        .to_string();
    assert!(
        message.contains("<SystemDateTime/TZ> = \"Nowhere\""),
        "{message}"
    );

    // Unknown elements are warned about and skipped, as in onvif.cfg.
    let extended = text.replace(
        "<DiscoveryMode>",
        "<DynamicDNSInformation><Type>NoUpdate</Type></DynamicDNSInformation>\n<DiscoveryMode>",
    );
    let (state, warnings) =
        DeviceState::from_runtime_xml(&extended, "onvifrun.cfg").expect("reads");
    assert_eq!(state, default_state());
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].path, "network/DynamicDNSInformation");

    // Without an endpoint reference one is derived, stably.
    let start = text.find("    <EndpointReference>").expect("epr");
    let end = text[start..].find('\n').expect("line end") + start + 1;
    let without = format!("{}{}", &text[..start], &text[end..]);
    let (a, warnings) = DeviceState::from_runtime_xml(&without, "onvifrun.cfg").expect("reads");
    let (b, _) = DeviceState::from_runtime_xml(&without, "onvifrun.cfg").expect("reads");
    assert_eq!(a.endpoint_reference(), b.endpoint_reference());
    assert!(validate::is_endpoint_reference(a.endpoint_reference()));
    assert_eq!(warnings.len(), 1);
}

#[test]
fn factory_default_returns_to_the_config() {
    let config = OnvifConfig::default();
    let mut state = busy_state();
    let epr = state.endpoint_reference().to_owned();
    state.set_default_stream("other");
    state.reset_to_factory_default(&config, FactoryDefault::Soft);
    assert_eq!(state.endpoint_reference(), epr);
    assert_eq!(state.default_stream(), "other");
    assert_eq!(state.network().hostname.name.as_deref(), Some("cam-42"));
    assert_eq!(state.profiles(), default_state().profiles());
    assert_eq!(state.users().len(), 1);

    let mut state = busy_state();
    state.set_rtsp_port(554);
    state.reset_to_factory_default(&config, FactoryDefault::Hard);
    assert_eq!(state.endpoint_reference(), epr);
    assert_eq!(state.network().hostname.name, None);
    let rtsp = state
        .network()
        .protocols
        .iter()
        .find(|p| p.kind == ProtocolKind::Rtsp)
        .expect("rtsp");
    assert_eq!(rtsp.ports, [554], "the real RTSP port stays");
    let mut expected = default_state();
    expected.set_rtsp_port(554);
    assert_eq!(state, expected);
}

#[test]
fn faults_have_onvif_codes() {
    let cases = [
        (
            StateError::NoProfile("x".into()),
            false,
            "InvalidArgVal",
            Some("NoProfile"),
        ),
        (
            StateError::NoConfig("x".into()),
            false,
            "InvalidArgVal",
            Some("NoConfig"),
        ),
        (
            StateError::TooManyUsers,
            true,
            "Action",
            Some("TooManyUsers"),
        ),
        (
            StateError::UsernameClash("x".into()),
            false,
            "OperationProhibited",
            Some("UsernameClash"),
        ),
        (
            StateError::InvalidIpv4Address("x".into()),
            false,
            "InvalidArgVal",
            Some("InvalidIPv4Address"),
        ),
        (
            StateError::InvalidArgument("x".into()),
            false,
            "InvalidArgVal",
            None,
        ),
    ];
    for (error, receiver, subcode, detail) in cases {
        assert_eq!(
            error.fault(),
            FaultCode {
                receiver,
                subcode,
                detail
            },
            "{error}"
        );
    }
}
