//! Fan-out of one live frame to 1000 TCP sessions through the core
//! `Server`: `handle_input(Media)` (packetize once, hand the packets to
//! every playing session) plus draining every output, with one
//! `Written` report per connection as a runtime gives after its `writev`.
//!
//! `cargo bench -p onvif-rtsp-benches --bench fanout`; results in
//! BENCHMARKS.md. Never run by `make test` (which only builds benches).

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use onvif_rtsp_benches::core_sim::{GOP, Sim, SourceMode};

const READERS: usize = 1000;

fn fanout(c: &mut Criterion) {
    let mut sim = Sim::new(READERS, SourceMode::Live);
    // Past the first keyframe after PLAY, so every session is sending.
    sim.run_for(Duration::from_secs(3));
    let mut group = c.benchmark_group("fanout_1000_tcp");
    group.sample_size(30);
    let media = sim.media().clone();
    for (name, n) in [
        ("p_frame_17k", 1),
        ("aac_frame", u32::MAX),
        ("idr_150k", GOP),
    ] {
        let frame = move |m: &onvif_rtsp_benches::core_sim::Media| {
            if n == u32::MAX {
                m.audio(0)
            } else {
                m.video(n)
            }
        };
        // Time stands still: no timer fires, every iteration is one fan-out.
        sim.take_delivered();
        sim.feed_live(frame(&media));
        let d = sim.take_delivered();
        assert_eq!(
            d.rtp_packets % READERS as u64,
            0,
            "every session gets every packet"
        );
        assert!(d.rtp_packets > 0, "the sessions are playing");
        // Elements: packets delivered (packets of the frame x sessions).
        group.throughput(Throughput::Elements(d.rtp_packets));
        group.bench_function(name, |b| {
            b.iter(|| {
                sim.feed_live(black_box(frame(&media)));
            })
        });
        println!(
            "fanout_1000_tcp/{name}: {} RTP packets per frame per session",
            d.rtp_packets / READERS as u64
        );
    }
    group.finish();
}

criterion_group!(benches, fanout);
criterion_main!(benches);
