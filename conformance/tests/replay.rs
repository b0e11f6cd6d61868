//! pcap replay: every capture committed under `conformance/captures/` (real
//! clients against our own server, made by `capture.sh`, see the README
//! there) is replayed into the core server and its answers compared with
//! the captured ones; the comparison catches a changed answer; and damaged
//! captures are errors, never panics.

use std::path::{Path, PathBuf};
use std::time::Duration;

use onvif_rtsp_conformance::replay::{
    Capture, CaptureCheck, CaptureError, Protocol, ReplayConfig, check_capture,
};
use onvif_rtsp_conformance::sim::{AudioKind, MediaConfig};
use onvif_rtsp_core::config::{RtspConfig, UserCredential};
use onvif_rtsp_core::rng::Rng;
use onvif_rtsp_core::server::ServerConfig;

fn captures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("captures")
}

/// The server the captures were made with (`capture.sh`): default settings
/// but the UDP base port, seed 1; `clip.mp4` is 4 s of H.264 and AAC-LC
/// 16 kHz mono, which the synthetic media imitates.
fn replay_config() -> ReplayConfig {
    let rtsp = RtspConfig {
        udp_base_port: 47000,
        ..RtspConfig::default()
    };
    let mut server = ServerConfig::new(rtsp);
    server.rng_seed = 1;
    let mut cfg = ReplayConfig::new(server);
    cfg.media = MediaConfig {
        audio: Some(AudioKind::Aac),
        files: vec!["clip.mp4".into()],
        file_duration: Duration::from_secs(4),
        ..MediaConfig::default()
    };
    cfg
}

fn read(name: &str) -> Vec<u8> {
    let path = captures_dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn replay_bytes(name: &str, bytes: &[u8], cfg: &ReplayConfig) -> CaptureCheck {
    check_capture(bytes, cfg).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// What each committed capture holds: its RTSP (or HTTP) conversations,
/// the requests answered in them, and whether the client sent RTCP or
/// NAT-punching datagrams to the server.
const CAPTURES: &[(&str, Protocol, usize, bool)] = &[
    // OPTIONS, DESCRIBE, SETUP x2, PLAY, TEARDOWN (which ffmpeg sends as it
    // closes: the capture holds no answer to it).
    ("ffmpeg-tcp.pcapng", Protocol::Rtsp, 6, false),
    ("ffmpeg-udp.pcapng", Protocol::Rtsp, 6, true),
    // ... PLAY, then PAUSE and PLAY with Range: npt=2.000- for -ss 2.
    ("ffmpeg-seek.pcapng", Protocol::Rtsp, 8, false),
    // OPTIONS, DESCRIBE, SETUP x2, PLAY, PAUSE, TEARDOWN.
    ("gstreamer-tcp.pcap", Protocol::Rtsp, 7, false),
    ("gstreamer-udp.pcap", Protocol::Rtsp, 7, true),
    // GetCapabilities, GetProfiles; GetCapabilities, GetStreamUri.
    ("onvif-zeep.pcapng", Protocol::Http, 4, false),
];

#[test]
fn every_committed_capture_replays_to_the_same_answers() {
    let mut names: Vec<String> = std::fs::read_dir(captures_dir())
        .expect("conformance/captures")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".pcap") || n.ends_with(".pcapng"))
        .collect();
    names.sort();
    for (name, ..) in CAPTURES {
        assert!(names.iter().any(|n| n == name), "{name} is missing");
    }
    let cfg = replay_config();
    for name in &names {
        let check = replay_bytes(name, &read(name), &cfg);
        let mismatches = check.mismatches();
        assert!(mismatches.is_empty(), "{name}:\n{}", mismatches.join("\n"));
        assert!(check.compared() > 0, "{name}: nothing compared");
        let Some(&(_, protocol, answers, datagrams)) = CAPTURES.iter().find(|(n, ..)| n == name)
        else {
            continue;
        };
        // Compared, or answered by the replay only because the client
        // closed before the real server's answer (which varies with timing
        // from one capture to the next).
        let unanswered: usize = check
            .conversations
            .iter()
            .map(|c| c.unanswered_in_capture)
            .sum();
        assert_eq!(check.compared() + unanswered, answers, "{name}: answers");
        assert!(
            check
                .replay
                .conversations
                .iter()
                .all(|c| c.protocol == protocol),
            "{name}: {protocol:?} conversations"
        );
        assert_eq!(
            check.replay.datagrams_fed > 0,
            datagrams,
            "{name}: client datagrams fed ({})",
            check.replay.datagrams_fed
        );
    }
}

#[test]
fn a_replay_is_deterministic() {
    let cfg = replay_config();
    let bytes = read("gstreamer-udp.pcap");
    let a = replay_bytes("gstreamer-udp.pcap", &bytes, &cfg);
    let b = replay_bytes("gstreamer-udp.pcap", &bytes, &cfg);
    let out = |c: &CaptureCheck| -> Vec<Vec<u8>> {
        c.replay
            .conversations
            .iter()
            .map(|c| c.replayed.clone())
            .collect()
    };
    assert_eq!(out(&a), out(&b));
    assert!(out(&a)[0].starts_with(b"RTSP/1.0 200 OK\r\n"));
}

/// Replaces `from` by `to` (same length) in a capture, where it occurs once.
fn tamper(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let hits: Vec<usize> = bytes
        .windows(from.len())
        .enumerate()
        .filter(|(_, w)| *w == from)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(
        hits.len(),
        1,
        "{:?} occurs once",
        String::from_utf8_lossy(from)
    );
    let mut out = bytes.to_vec();
    out[hits[0]..hits[0] + to.len()].copy_from_slice(to);
    out
}

#[test]
fn a_changed_answer_is_a_mismatch() {
    let cfg = replay_config();
    // The server's Public header, as if the real server had said otherwise.
    let bytes = tamper(
        &read("ffmpeg-tcp.pcapng"),
        b"Public: OPTIONS, DESCRIBE",
        b"Public: OPTIONS, DESCRIBX",
    );
    let m = replay_bytes("ffmpeg-tcp", &bytes, &cfg).mismatches();
    assert!(
        m.len() == 1 && m[0].contains("answer to OPTIONS (CSeq 1)") && m[0].contains("public"),
        "{m:#?}"
    );
    // An SDP line.
    let bytes = tamper(
        &read("gstreamer-tcp.pcap"),
        b"a=rtpmap:97 MPEG4-GENERIC/16000/1",
        b"a=rtpmap:97 MPEG4-GENERIC/48000/1",
    );
    let m = replay_bytes("gstreamer-tcp", &bytes, &cfg).mismatches();
    assert!(
        m.iter()
            .any(|m| m.contains("DESCRIBE") && m.contains("SDP line")),
        "{m:#?}"
    );
    // An element of a SOAP answer.
    let bytes = read("onvif-zeep.pcapng");
    let at = bytes
        .windows(8)
        .position(|w| w == b"<tt:Name")
        .expect("a tt:Name element");
    let mut changed = bytes.clone();
    changed[at + 4..at + 8].copy_from_slice(b"Nome");
    let close = changed
        .windows(9)
        .skip(at)
        .position(|w| w == b"</tt:Name")
        .expect("its end")
        + at;
    changed[close + 5..close + 9].copy_from_slice(b"Nome");
    let m = replay_bytes("onvif-zeep", &changed, &cfg).mismatches();
    assert!(
        m.iter()
            .any(|m| m.contains("element") && m.contains("Nome")),
        "{m:#?}"
    );
}

#[test]
fn a_server_configured_otherwise_is_caught() {
    let mut cfg = replay_config();
    cfg.server.rtsp.need_auth = true;
    cfg.server.rtsp.users = vec![UserCredential {
        username: "admin".into(),
        password: "secret".into(),
    }];
    let m = replay_bytes("ffmpeg-udp", &read("ffmpeg-udp.pcapng"), &cfg).mismatches();
    assert!(
        m.iter()
            .any(|m| m.contains("answer to DESCRIBE") && m.contains("401")),
        "{m:#?}"
    );
}

#[test]
fn truncated_and_garbage_captures_are_errors_not_panics() {
    let cfg = replay_config();
    for (name, ..) in CAPTURES {
        let bytes = read(name);
        // Cut inside the file header: always an error.
        for cut in 0..24.min(bytes.len()) {
            assert!(
                check_capture(&bytes[..cut], &cfg).is_err(),
                "{name} cut at {cut}"
            );
        }
        // Cut anywhere else: an error, or (at a record boundary) fewer
        // packets. (Taking apart is what a cut tests; a few are replayed.)
        let step = (bytes.len() / 97).max(1);
        let mut errors = 0;
        for (k, cut) in (24..bytes.len()).step_by(step).enumerate() {
            let result = if k % 10 == 0 {
                check_capture(&bytes[..cut], &cfg).map(|_| ())
            } else {
                Capture::parse(&bytes[..cut]).map(|_| ())
            };
            match result {
                Err(CaptureError::Truncated { .. }) => errors += 1,
                Err(e) => panic!("{name} cut at {cut}: {e}"),
                Ok(_) => {}
            }
        }
        assert!(errors > 50, "{name}: {errors} truncation errors");
    }
    // Garbage, with and without a capture's magic in front.
    let mut rng = Rng::new(7);
    let magics: [&[u8]; 4] = [
        b"",
        &0xa1b2_c3d4u32.to_le_bytes(),
        &0xa1b2_3c4du32.to_be_bytes(),
        &[0x0a, 0x0d, 0x0d, 0x0a],
    ];
    for round in 0..400 {
        let mut junk = magics[round % magics.len()].to_vec();
        let len = rng.below(300) as usize;
        junk.extend((0..len).map(|_| rng.next_u64() as u8));
        let _ = check_capture(&junk, &cfg);
    }
    assert!(matches!(
        check_capture(b"this is not a capture at all", &cfg),
        Err(CaptureError::UnknownFormat { .. })
    ));
    // Real captures with bytes flipped: lengths, headers, payloads (each
    // is replayed when it still parses, so a few dozen).
    let base = read("ffmpeg-udp.pcapng");
    for _ in 0..40 {
        let mut bytes = base.clone();
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(bytes.len() as u64) as usize;
            bytes[at] = rng.next_u64() as u8;
        }
        let _ = check_capture(&bytes, &cfg);
    }
}

/// Damaged timestamps (a year later) do not make the replay simulate a
/// year: it stops at its span limit and says so.
#[test]
fn a_timestamp_far_in_the_future_is_cut_short() {
    let mut bytes = read("gstreamer-udp.pcap");
    // Walk the classic pcap records (little-endian); move the last five,
    // the TEARDOWN among them, a year on.
    let mut records = Vec::new();
    let mut at = 24;
    while at + 16 <= bytes.len() {
        records.push(at);
        let incl =
            u32::from_le_bytes([bytes[at + 8], bytes[at + 9], bytes[at + 10], bytes[at + 11]])
                as usize;
        at += 16 + incl;
    }
    for &at in &records[records.len() - 5..] {
        let secs = u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
        bytes[at..at + 4].copy_from_slice(&(secs + 365 * 86_400).to_le_bytes());
    }
    let check = replay_bytes("gstreamer-udp", &bytes, &replay_config());
    assert!(
        check
            .replay
            .anomalies
            .iter()
            .any(|a| a.contains("spans more than")),
        "{:?}",
        check.replay.anomalies
    );
}
