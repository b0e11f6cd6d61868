//! Behaviour of the server machine a user would notice: shared buffers,
//! slow readers, timeouts, authentication, port allocation, source reuse.

mod support;

use std::time::Duration;

use onvif_rtsp_core::config::{RtspConfig, UserCredential};
use onvif_rtsp_core::rtp::header::RtpHeader;
use onvif_rtsp_core::rtsp::auth::{Challenge, DigestAlgorithm, parse_challenge};
use onvif_rtsp_core::server::{ConnId, Input, ServerConfig};
use support::Harness;

const LIVE: &str = "rtsp://127.0.0.1:8554/testsrc";
const FILE: &str = "rtsp://127.0.0.1:8554/clip.mp4";

/// The first NAL type of each video packet (interleaved channel 0).
fn video_nal_types(packets: &[(u8, bytes::Bytes)]) -> Vec<u8> {
    packets
        .iter()
        .filter(|(ch, _)| *ch == 0)
        .map(|(_, p)| {
            let (_, range) = RtpHeader::parse(p).unwrap();
            p[range.start] & 0x1f
        })
        .collect()
}

#[test]
fn live_packets_are_shared_not_copied_between_readers() {
    let mut h = Harness::new();
    h.connect(ConnId(2));
    h.play_tcp(ConnId(1), LIVE);
    h.play_tcp(ConnId(2), LIVE);
    h.advance(Duration::from_secs(2));
    let big = |c: ConnId| -> Vec<*const u8> {
        h.clients[&c]
            .sent
            .iter()
            .filter(|b| b.body().len() > 100)
            .map(|b| b.body().as_ptr())
            .collect()
    };
    let (a, b) = (big(ConnId(1)), big(ConnId(2)));
    assert!(a.len() > 20);
    let shared = a.iter().filter(|p| b.contains(p)).count();
    assert!(
        shared * 10 >= a.len() * 9,
        "{shared} of {} packets shared",
        a.len()
    );
    // Both readers see the same RTP packets (one sequence space per stream).
    let seqs = |c: ConnId| -> Vec<u16> {
        h.clients[&c]
            .interleaved
            .iter()
            .filter(|(ch, _)| *ch == 0)
            .map(|(_, p)| RtpHeader::parse(p).unwrap().0.sequence)
            .collect()
    };
    let (sa, sb) = (seqs(ConnId(1)), seqs(ConnId(2)));
    assert!(
        sa.windows(2).all(|w| w[1] == w[0].wrapping_add(1)),
        "no gaps"
    );
    assert_eq!(sa.last(), sb.last());
}

#[test]
fn file_payloads_are_cut_once_and_each_reader_has_its_own_header() {
    let mut h = Harness::new();
    h.connect(ConnId(2));
    h.play_tcp(ConnId(1), FILE);
    h.advance(Duration::from_millis(500));
    h.play_tcp(ConnId(2), FILE);
    h.advance(Duration::from_secs(3));
    assert_eq!(h.opened.len(), 1, "one source for both readers");
    // Each RTP packet's payload address, per interleaved channel (how a
    // reader's audio and video interleave depends on when it started).
    let bodies = |c: ConnId, channel: u8| -> Vec<*const u8> {
        h.clients[&c]
            .sent
            .iter()
            // A 4-byte interleave prefix and a 12-byte RTP header, then
            // (fragments) the FU headers.
            .filter(|b| b.head().len() >= 16 && b.head()[1] == channel)
            .map(|b| b.body().as_ptr())
            .collect()
    };
    for (channel, frames) in [(0, 50), (2, 100)] {
        let (a, b) = (bodies(ConnId(1), channel), bodies(ConnId(2), channel));
        // Both got the whole file (50 video + 100 audio frames, more packets).
        assert!(
            a.len() >= frames && b.len() >= frames,
            "{} {}",
            a.len(),
            b.len()
        );
        assert_eq!(a, b, "the same cached payloads, in the same order");
    }
    let ssrc = |c: ConnId| {
        let (_, p) = h.clients[&c]
            .interleaved
            .iter()
            .find(|(ch, _)| *ch == 0)
            .unwrap();
        RtpHeader::parse(p).unwrap().0.ssrc
    };
    assert_ne!(ssrc(ConnId(1)), ssrc(ConnId(2)));
    // Each reader's video starts with the keyframe at 0.
    assert_eq!(video_nal_types(&h.clients[&ConnId(2)].interleaved)[0], 24);
}

#[test]
fn file_payloads_are_slices_of_the_media_layers_frames_not_copies() {
    let mut h = Harness::new();
    h.play_tcp(ConnId(1), FILE);
    h.advance(Duration::from_secs(3));
    let inside_a_frame = |body: &[u8]| {
        let range = body.as_ptr_range();
        h.file_frames.iter().any(|f| {
            let frame = f.as_ptr_range();
            frame.start <= range.start && range.end <= frame.end
        })
    };
    let (mut fragments, mut shared) = (0, 0);
    for b in &h.client().sent {
        // RTP packets: a 4-byte interleave prefix and a 12-byte header,
        // then FU headers (2 bytes) for a fragment.
        if b.head().len() < 16 || b.body().is_empty() {
            continue;
        }
        let fragment = b.head().len() == 18;
        // STAP-A packets (parameter sets together) are built, not sliced.
        let aggregate = !fragment && b.head()[1] == 0 && b.body()[0] & 0x1f == 24;
        if aggregate {
            continue;
        }
        assert!(
            inside_a_frame(b.body()),
            "a payload copied out of its frame"
        );
        fragments += usize::from(fragment);
        shared += 1;
    }
    // 2 keyframes of 4 kB (FU-A), 48 P frames, 100 audio frames.
    assert!(
        fragments >= 6 && shared >= 150,
        "{fragments} fragments, {shared} payloads"
    );
}

#[test]
fn rtsp_cfg_sets_the_pacing_grid_and_the_file_cache() {
    let defaults = ServerConfig::new(RtspConfig::default());
    assert_eq!(defaults.pace_slack, Duration::from_millis(40));
    assert_eq!(defaults.file_cache_limit_bytes, 1 << 30);
    let cfg = ServerConfig::new(RtspConfig {
        pacing_ms: Some(0),
        file_cache_mb: Some(3),
        ..RtspConfig::default()
    });
    assert_eq!(cfg.pace_slack, Duration::ZERO);
    assert_eq!(cfg.file_cache_limit_bytes, 3 << 20);
}

/// Whether an RTCP compound packet carries a BYE.
fn has_bye(compound: &[u8]) -> bool {
    let mut rest = compound;
    while rest.len() >= 4 {
        if rest[1] == 203 {
            return true;
        }
        let len = (usize::from(u16::from_be_bytes([rest[2], rest[3]])) + 1) * 4;
        rest = &rest[len.min(rest.len())..];
    }
    false
}

#[test]
fn a_file_larger_than_the_cache_plays_up_to_the_limit_then_ends_cleanly() {
    // The synthetic file is about 53 kB of payloads, video frames first.
    let mut h = Harness::with_config(|c| c.file_cache_limit_bytes = 20_000);
    h.play_tcp(ConnId(1), FILE);
    h.advance(Duration::from_secs(3));
    assert_eq!(h.closed, h.opened, "the pipeline is closed at the limit");
    let video: Vec<RtpHeader> = h
        .client()
        .interleaved
        .iter()
        .filter(|(ch, _)| *ch == 0)
        .map(|(_, p)| RtpHeader::parse(p).unwrap().0)
        .collect();
    let frames = video
        .windows(2)
        .filter(|w| w[0].timestamp != w[1].timestamp)
        .count()
        + 1;
    // What fits: the first keyframe (4 kB) and some 25 P frames of 600 B.
    assert!((10..40).contains(&frames), "{frames} video frames");
    assert!(
        video
            .windows(2)
            .all(|w| w[1].sequence == w[0].sequence.wrapping_add(1))
    );
    // The reader is told the stream is over, and the server still answers.
    assert!(
        h.client()
            .interleaved
            .iter()
            .any(|(ch, p)| *ch == 1 && has_bye(p)),
        "an RTCP BYE at the end"
    );
    assert!(!h.client().closed_by_server);
    assert_eq!(h.send(ConnId(1), "OPTIONS", FILE, &[]).status.0, 200);
}

#[test]
fn slow_reader_skips_to_a_keyframe_then_is_cut_off_when_stuck() {
    let mut h = Harness::with_config(|c| {
        c.queue_limit_bytes = 8 * 1024;
        c.stall_timeout = Duration::from_secs(3);
    });
    h.connect(ConnId(2));
    h.play_tcp(ConnId(1), LIVE);
    h.play_tcp(ConnId(2), LIVE);
    h.advance(Duration::from_millis(500));
    // Reader 2 stops reading: the server stops queueing for it.
    h.clients.get_mut(&ConnId(2)).unwrap().reading = false;
    let queued_before = h.clients[&ConnId(2)].sent.len();
    h.advance(Duration::from_millis(1500));
    let queued: usize = h.clients[&ConnId(2)].sent[queued_before..]
        .iter()
        .map(|b| b.len())
        .sum();
    assert!(
        queued < 8 * 1024 + 8 * 1024,
        "{queued} bytes queued for a reader that does not read"
    );
    // It reads again: everything queued drains, and video resumes at a keyframe.
    h.clients.get_mut(&ConnId(2)).unwrap().reading = true;
    h.input(Input::Written {
        conn: ConnId(2),
        bytes: 1 << 30,
    });
    let from = h.clients[&ConnId(2)].interleaved.len();
    h.advance(Duration::from_millis(1500));
    let resumed = video_nal_types(&h.clients[&ConnId(2)].interleaved[from..]);
    assert!(!resumed.is_empty());
    assert_eq!(resumed[0], 24, "resumes with SPS/PPS/IDR, not mid-GOP");
    // It stops for good: cut off after the stall timeout; reader 1 unaffected.
    h.clients.get_mut(&ConnId(2)).unwrap().reading = false;
    h.advance(Duration::from_secs(5));
    assert!(h.clients[&ConnId(2)].closed_by_server);
    assert!(!h.clients[&ConnId(1)].closed_by_server);
    let seqs: Vec<u16> = h.clients[&ConnId(1)]
        .interleaved
        .iter()
        .filter(|(ch, _)| *ch == 0)
        .map(|(_, p)| RtpHeader::parse(p).unwrap().0.sequence)
        .collect();
    assert!(
        seqs.windows(2).all(|w| w[1] == w[0].wrapping_add(1)),
        "healthy reader has no gaps"
    );
    assert_eq!(h.server.session_count(), 1);
}

fn setup_udp(h: &mut Harness, url: &str) -> String {
    assert_eq!(h.send(ConnId(1), "DESCRIBE", url, &[]).status.0, 200);
    let r = h.send(
        ConnId(1),
        "SETUP",
        &format!("{url}/trackID=0"),
        &[("Transport", "RTP/AVP;unicast;client_port=5000-5001")],
    );
    assert_eq!(r.status.0, 200, "{r:?}");
    r.headers
        .get("Session")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

#[test]
fn udp_sessions_time_out_without_keepalive_but_tcp_sessions_do_not() {
    let mut h = Harness::new();
    let session = setup_udp(&mut h, LIVE);
    assert_eq!(
        h.send(ConnId(1), "PLAY", LIVE, &[("Session", &session)])
            .status
            .0,
        200
    );
    // Keepalives keep it.
    for _ in 0..3 {
        h.advance(Duration::from_secs(40));
        assert_eq!(
            h.send(ConnId(1), "GET_PARAMETER", LIVE, &[("Session", &session)])
                .status
                .0,
            200
        );
    }
    assert_eq!(h.server.session_count(), 1);
    // RTCP receiver reports from the client keep it too.
    let rr = [0x80u8, 201, 0, 1, 0, 0, 0, 1];
    let rtcp_port = h.udp_opened[0] + 1;
    for _ in 0..3 {
        h.advance(Duration::from_secs(40));
        h.input(Input::Datagram {
            local_port: rtcp_port,
            src: "127.0.0.1:5001".parse().unwrap(),
            data: &rr,
        });
    }
    assert_eq!(h.server.session_count(), 1);
    // Silence: the session ends after its 60 s timeout, with an RTCP BYE.
    let before = h.datagrams.len();
    h.advance(Duration::from_secs(61));
    assert_eq!(h.server.session_count(), 0);
    assert!(
        h.datagrams[before..]
            .iter()
            .any(|(_, dst, d)| dst.port() == 5001 && d.windows(2).any(|w| w == [0x81, 203]))
    );
    assert_eq!(h.udp_closed, vec![h.udp_opened[0]]);
    // A TCP session needs no keepalive while its connection is open.
    h.play_tcp(ConnId(1), LIVE);
    h.advance(Duration::from_secs(150));
    assert_eq!(h.server.session_count(), 1);
    h.input(Input::Closed { conn: ConnId(1) });
    assert_eq!(h.server.session_count(), 0);
}

#[test]
fn udp_port_blocks_follow_udp_base_port_and_skip_taken_ports() {
    let mut h = Harness::with_config(|c| c.rtsp.udp_base_port = 30000);
    h.refused_udp_ports.push(30000);
    let session = setup_udp(&mut h, LIVE);
    // Block 0 was taken on the host; block 1 starts at 30008.
    assert_eq!(h.udp_opened, vec![30008]);
    let r = h.send(
        ConnId(1),
        "SETUP",
        &format!("{LIVE}/trackID=1"),
        &[
            ("Transport", "RTP/AVP;unicast;client_port=5002-5003"),
            ("Session", &session),
        ],
    );
    assert!(
        r.headers
            .get("Transport")
            .unwrap()
            .contains("server_port=30010-30011"),
        "{r:?}"
    );
    assert_eq!(
        h.send(ConnId(1), "TEARDOWN", LIVE, &[("Session", &session)])
            .status
            .0,
        200
    );
    // The whole block of 8 ports is bound at the first SETUP and closed at the end.
    assert_eq!(h.udp_closed, vec![30008]);
}

#[test]
fn digest_and_basic_authentication() {
    let mut h = Harness::with_config(|c| {
        c.rtsp.need_auth = true;
        c.rtsp.users.push(UserCredential {
            username: "admin".into(),
            password: "pw".into(),
        });
    });
    // OPTIONS is open; DESCRIBE is challenged with SHA-256, MD5 and Basic.
    assert_eq!(h.send(ConnId(1), "OPTIONS", LIVE, &[]).status.0, 200);
    let r = h.send(ConnId(1), "DESCRIBE", LIVE, &[]);
    assert_eq!(r.status.0, 401);
    let challenges: Vec<Challenge> = r
        .headers
        .get_all("WWW-Authenticate")
        .filter_map(parse_challenge)
        .collect();
    assert_eq!(challenges.len(), 3);
    for c in &challenges {
        let good = c.respond("admin", "pw", "DESCRIBE", LIVE, "abc");
        assert_eq!(
            h.send(ConnId(1), "DESCRIBE", LIVE, &[("Authorization", &good)])
                .status
                .0,
            200,
            "{c:?}"
        );
        let bad = c.respond("admin", "nope", "DESCRIBE", LIVE, "abc");
        assert_eq!(
            h.send(ConnId(1), "DESCRIBE", LIVE, &[("Authorization", &bad)])
                .status
                .0,
            401
        );
    }
    assert!(matches!(
        challenges[1],
        Challenge::Digest {
            algorithm: DigestAlgorithm::Md5,
            ..
        }
    ));
    // The URI as hashed may have a trailing slash.
    let slash = challenges[1].respond("admin", "pw", "DESCRIBE", &format!("{LIVE}/"), "abc");
    assert_eq!(
        h.send(ConnId(1), "DESCRIBE", LIVE, &[("Authorization", &slash)])
            .status
            .0,
        200
    );
    // A nonce is good for five minutes, then the challenge says stale=true.
    let old = challenges[1].respond("admin", "pw", "DESCRIBE", LIVE, "abc");
    h.advance(Duration::from_secs(301));
    let r = h.send(ConnId(1), "DESCRIBE", LIVE, &[("Authorization", &old)]);
    assert_eq!(r.status.0, 401);
    assert!(
        r.headers
            .get("WWW-Authenticate")
            .unwrap()
            .contains("stale=true")
    );
}

#[test]
fn sources_are_shared_while_used_and_closed_after_the_linger_time() {
    let mut h = Harness::new();
    h.connect(ConnId(2));
    let s1 = h.play_tcp(ConnId(1), LIVE);
    let _s2 = h.play_tcp(ConnId(2), LIVE);
    assert_eq!(h.opened.len(), 1);
    assert_eq!(
        h.send(ConnId(1), "TEARDOWN", LIVE, &[("Session", &s1)])
            .status
            .0,
        200
    );
    h.input(Input::Closed { conn: ConnId(2) });
    assert_eq!(h.server.session_count(), 0);
    // Within the linger time a new reader gets the same running source.
    h.advance(Duration::from_secs(2));
    h.play_tcp(ConnId(1), LIVE);
    assert_eq!(h.opened.len(), 1);
    h.input(Input::Closed { conn: ConnId(1) });
    h.advance(Duration::from_secs(6));
    assert_eq!(h.closed, h.opened);
    assert_eq!(h.server.source_count(), 0);
}

#[test]
fn rtp_info_matches_the_first_packets() {
    let mut h = Harness::new();
    h.play_tcp(ConnId(1), LIVE);
    let play = h.client().responses.last().unwrap().clone();
    let info = play.headers.get("RTP-Info").unwrap().to_owned();
    h.advance(Duration::from_secs(2));
    let first_video = h
        .client()
        .interleaved
        .iter()
        .find(|(ch, _)| *ch == 0)
        .unwrap();
    let (hdr, _) = RtpHeader::parse(&first_video.1).unwrap();
    let track0 = info.split(',').find(|t| t.contains("trackID=0")).unwrap();
    let seq: u16 = track0
        .split(';')
        .find_map(|p| p.strip_prefix("seq="))
        .unwrap()
        .parse()
        .unwrap();
    // A live reader joins at the next keyframe: its first packet's sequence
    // number is at or after the one announced.
    assert!(
        hdr.sequence.wrapping_sub(seq) < 1000,
        "first {} announced {seq}",
        hdr.sequence
    );
}

/// Plays the file to one TCP reader under `pacing`, stepping time 1 ms at a
/// time for 1.5 s, and returns, for each RTP packet, when it was written
/// (after PLAY) and the media time of its frame (from its RTP timestamp).
fn file_send_times(pacing: Duration) -> Vec<(Duration, Duration)> {
    let mut h = Harness::with_config(|c| c.pace_slack = pacing);
    h.play_tcp(ConnId(1), FILE);
    // The grid counts from the server's start; PLAY comes at that very
    // instant here, so times after PLAY fall on the grid too.
    let start = h.now;
    let mut sent = Vec::new();
    let mut seen = 0;
    let mut first_ts: [Option<u32>; 2] = [None, None];
    let step = Duration::from_millis(1);
    for _ in 0..1500 {
        let got = &h.client().interleaved[seen..];
        for (channel, packet) in got {
            // Channel 0: H.264 at 90 kHz; channel 2: PCMU at 8 kHz.
            let (index, clock) = match channel {
                0 => (0, 90_000),
                2 => (1, 8_000),
                _ => continue,
            };
            let (hdr, _) = RtpHeader::parse(packet).unwrap();
            let base = *first_ts[index].get_or_insert(hdr.timestamp);
            let ticks = u64::from(hdr.timestamp.wrapping_sub(base));
            let media = Duration::from_micros(ticks * 1_000_000 / clock);
            sent.push((h.now - start, media));
        }
        seen = h.client().interleaved.len();
        h.now += step;
        h.input(Input::Timeout);
    }
    sent
}

#[test]
fn file_frames_leave_on_the_pacing_grid_never_early_and_at_most_one_step_late() {
    let step = Duration::from_millis(1);
    for pacing_ms in [0, 40, 100] {
        let pacing = Duration::from_millis(pacing_ms);
        let sent = file_send_times(pacing);
        // 1.5 s of the file: 37 or 38 video frames of 25 fps, 75 audio
        // frames of 20 ms, each one or more packets.
        assert!(sent.len() > 110, "{pacing_ms} ms: {} packets", sent.len());
        for &(at, media) in &sent {
            assert!(
                at >= media,
                "{pacing_ms} ms: frame at {media:?} sent early, at {at:?}"
            );
            assert!(
                at <= media + pacing + step,
                "{pacing_ms} ms: frame at {media:?} sent late, at {at:?}"
            );
        }
        let writes: std::collections::BTreeSet<Duration> = sent.iter().map(|s| s.0).collect();
        if pacing_ms == 0 {
            // Audio every 20 ms, video every 40 ms on the same instants:
            // each frame leaves at its own time.
            assert!(writes.len() >= 74, "{} write instants", writes.len());
        } else {
            // One write per grid step at most, audio and video together.
            let steps = 1500 / pacing_ms as usize + 1;
            assert!(
                writes.len() <= steps,
                "{pacing_ms} ms: {} write instants",
                writes.len()
            );
            assert!(
                writes
                    .iter()
                    .all(|w| w.as_millis() % u128::from(pacing_ms) == 0)
            );
        }
    }
}
