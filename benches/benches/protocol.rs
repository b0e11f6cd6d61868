//! Micro-benchmarks of the core's protocol pieces: RTSP request parsing,
//! SDP rendering, H.264 packetizing of a 1080p keyframe, and a SOAP
//! `GetProfiles` round trip through the ONVIF endpoint.
//!
//! `cargo bench -p onvif-rtsp-benches --bench protocol`; results in
//! BENCHMARKS.md. Never run by `make test` (which only builds benches).

use std::hint::black_box;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use onvif_rtsp_benches::core_sim;
use onvif_rtsp_core::config::OnvifConfig;
use onvif_rtsp_core::http::{ConnEvent, DecoderLimits as HttpLimits, ServerConn};
use onvif_rtsp_core::onvif::{Answer, Endpoint, RequestEnv, Security, SecurityConfig, XmlLimits};
use onvif_rtsp_core::onvif_device::events::EventState;
use onvif_rtsp_core::onvif_device::{HostInfo, OnvifContext, build_registry};
use onvif_rtsp_core::onvif_state::DeviceState;
use onvif_rtsp_core::rtp::{Packetizer, RtpPayload};
use onvif_rtsp_core::rtsp::{Decoder, DecoderLimits, Message};
use onvif_rtsp_core::sdp::{MediaSection, SessionDescription};

/// ffmpeg 5.1's requests, captured byte for byte (CRLF, blank line between).
const FFMPEG_TCP: &str = include_str!("../../core/tests/transcripts/ffmpeg_tcp.txt");

/// The request of `ffmpeg_tcp.txt` whose first line starts with `prefix`.
fn ffmpeg_request(prefix: &str) -> Vec<u8> {
    let text = FFMPEG_TCP
        .split("\r\n\r\n")
        .map(|r| r.trim_start_matches(['\r', '\n']))
        .find(|r| r.starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix} in ffmpeg_tcp.txt"));
    format!("{text}\r\n\r\n").into_bytes()
}

fn rtsp_parse(c: &mut Criterion) {
    let mut group = c.benchmark_group("rtsp_parse");
    for (name, prefix) in [("ffmpeg_describe", "DESCRIBE"), ("ffmpeg_setup", "SETUP")] {
        let wire = ffmpeg_request(prefix);
        group.throughput(Throughput::Bytes(wire.len() as u64));
        let mut decoder = Decoder::new(DecoderLimits::default());
        group.bench_function(name, |b| {
            b.iter(|| {
                decoder.push(black_box(&wire));
                match decoder.next_message() {
                    Ok(Some(Message::Request(r))) => black_box(r),
                    other => panic!("not a request: {other:?}"),
                }
            })
        });
    }
    group.finish();
}

/// The SDP attributes of the synthetic 1080p H.264 + AAC source, as the
/// packetizers give them once they have seen a keyframe.
fn media_sections() -> Vec<MediaSection> {
    let mut scratch = Vec::new();
    core_sim::tracks()
        .iter()
        .enumerate()
        .map(|(i, info)| {
            let mut p = Packetizer::new(info, 96 + i as u8, 1400 - 12).expect("packetizer");
            if i == 0 {
                p.packetize(&core_sim::idr_access_unit(0), &mut scratch)
                    .expect("keyframe");
            }
            MediaSection {
                media: p.sdp_media().expect("SDP attributes"),
                control: format!("trackID={i}"),
                direction: "recvonly",
            }
        })
        .collect()
}

fn sdp_build(c: &mut Criterion) {
    let sections = media_sections();
    let origin = "192.0.2.1".parse().expect("address");
    c.bench_function("sdp_build/h264_aac", |b| {
        b.iter(|| {
            // What a DESCRIBE reply does: assemble the description, render it.
            let description = SessionDescription {
                session_id: 0x1234_5678_9abc,
                origin,
                name: "bench-1080p-4m.mp4".to_owned(),
                duration: Some(Duration::from_secs(60)),
                media: black_box(&sections).clone(),
            };
            black_box(description.render())
        })
    });
}

fn h264_packetize(c: &mut Criterion) {
    let info = &core_sim::tracks()[0];
    let mut group = c.benchmark_group("h264_packetize");
    for (name, frame) in [
        ("idr_1080p_150k", core_sim::idr_access_unit(0)),
        ("p_1080p_17k", core_sim::p_access_unit(1)),
    ] {
        let mut packetizer = Packetizer::new(info, 96, 1400 - 12).expect("packetizer");
        let mut out: Vec<RtpPayload> = Vec::with_capacity(256);
        group.throughput(Throughput::Bytes(frame.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| {
                out.clear();
                packetizer
                    .packetize(black_box(&frame), &mut out)
                    .expect("packetize");
                black_box(out.len())
            })
        });
    }
    group.finish();
}

/// `GetProfiles` in a SOAP 1.2 envelope, as an HTTP POST (no credentials:
/// the default `onvif.cfg` does not ask for them).
fn get_profiles_request() -> Vec<u8> {
    let body = r#"<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:trt="http://www.onvif.org/ver10/media/wsdl" xmlns:tt="http://www.onvif.org/ver10/schema"><s:Body><trt:GetProfiles/></s:Body></s:Envelope>"#;
    format!(
        "POST /onvif/media_service HTTP/1.1\r\nHost: 192.0.2.1:8000\r\nContent-Type: application/soap+xml; charset=utf-8\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn soap_get_profiles(c: &mut Criterion) {
    let t0 = Instant::now();
    let config = OnvifConfig::default();
    let mut endpoint = Endpoint::new(
        build_registry().expect("the services register"),
        Security::new(SecurityConfig::default(), [9; 16], t0),
        XmlLimits::default(),
    );
    let mut ctx = OnvifContext {
        state: DeviceState::from_config(&config, 7),
        config,
        events: EventState::default(),
        host: HostInfo::default(),
        log: Default::default(),
    };
    let env = RequestEnv {
        peer: "192.0.2.50".parse().expect("address"),
        local: Some("192.0.2.1:8000".parse().expect("address")),
        tls: false,
        now: t0,
        device_time: Duration::from_secs(1_764_000_000),
    };
    let wire = get_profiles_request();
    // One round trip: HTTP request bytes in, HTTP response bytes out.
    let mut round_trip = |conn: &mut ServerConn| -> Bytes {
        conn.push(&wire);
        let Some(ConnEvent::Request(request)) = conn.poll() else {
            panic!("no request");
        };
        let outcome = endpoint.handle(&request, &env, &mut ctx);
        let Answer::Now(response) = outcome.answer else {
            panic!("GetProfiles deferred");
        };
        conn.respond(&response).expect("in flight").bytes
    };
    let first = round_trip(&mut ServerConn::new(HttpLimits::default()));
    let text = String::from_utf8_lossy(&first);
    assert!(
        text.starts_with("HTTP/1.1 200") && text.contains("Profiles"),
        "{text}"
    );
    c.bench_function("soap_get_profiles/round_trip", |b| {
        b.iter_batched_ref(
            || ServerConn::new(HttpLimits::default()),
            |conn| black_box(round_trip(conn)),
            BatchSize::SmallInput,
        )
    });
}

criterion_group!(
    benches,
    rtsp_parse,
    sdp_build,
    h264_packetize,
    soap_get_profiles
);
criterion_main!(benches);
