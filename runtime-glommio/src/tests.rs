//! The runtime's own pieces, and two shards serving real sockets.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use onvif_rtsp_core::config::RtspConfig;
use onvif_rtsp_runtime_common::media_channel;
use onvif_rtsp_runtime_common::testing::NoMedia;

use super::*;

#[test]
fn shards_get_disjoint_port_shares_and_their_own_seeds() {
    let mut base = ServerConfig::new(RtspConfig::default());
    base.rng_seed = 42;
    let shards: Vec<ServerConfig> = (0..4).map(|i| shard_config(&base, i, 4)).collect();
    for (i, cfg) in shards.iter().enumerate() {
        assert_eq!(
            cfg.udp_share,
            PortShare {
                index: i as u16,
                count: 4
            }
        );
        assert_eq!(cfg.rtsp.udp_base_port, base.rtsp.udp_base_port);
    }
    assert_eq!(
        shards[0].rng_seed, 42,
        "shard 0 keeps the seed it was given"
    );
    let mut seeds: Vec<u64> = shards.iter().map(|c| c.rng_seed).collect();
    seeds.sort_unstable();
    seeds.dedup();
    assert_eq!(seeds.len(), 4);
    // Reproducible from the seed.
    assert_eq!(shard_config(&base, 3, 4).rng_seed, shards[3].rng_seed);
    assert_eq!(shard_config(&base, 0, 1).udp_share, PortShare::WHOLE);
}

#[test]
fn listeners_share_one_port_but_never_a_taken_one() {
    let any = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
    let listeners = bind_rtsp_listeners(any, 3).unwrap();
    let port = listeners[0].local_addr().unwrap().port();
    assert!(
        listeners
            .iter()
            .all(|l| l.local_addr().unwrap().port() == port)
    );
    let taken = std::net::TcpListener::bind(any).unwrap();
    let err = bind_rtsp_listeners(taken.local_addr().unwrap(), 2).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::AddrInUse);
}

fn parts(cfg: ServerConfig) -> ShardParts {
    let (_inbox, receiver) = media_channel(4);
    ShardParts {
        server: Server::new(cfg, Instant::now()),
        media: Box::new(NoMedia),
        inbox: receiver,
    }
}

/// Sends OPTIONS on a fresh connection and returns the reply's head.
fn options(addr: SocketAddr, cseq: u32) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "OPTIONS rtsp://{addr}/testsrc RTSP/1.0\r\nCSeq: {cseq}\r\n\r\n"
    )
    .unwrap();
    let mut reply = Vec::new();
    let mut buf = [0u8; 1024];
    while !reply.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0, "connection closed before the reply");
        reply.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&reply).into_owned()
}

#[test]
fn two_shards_answer_on_one_port_and_stop_on_sigterm() {
    if let Err(why) = probe(2) {
        eprintln!("glommio cannot run here ({why}); skipped");
        return;
    }
    let cfg = ServerConfig::new(RtspConfig::default());
    let listeners = bind_rtsp_listeners(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), 2).unwrap();
    let addr = listeners[0].local_addr().unwrap();
    let other_cfg = shard_config(&cfg, 1, 2);
    let runtime = std::thread::spawn(move || {
        let options = Options {
            rtsp: listeners,
            leader_listeners: Vec::new(),
            udp_ip: Ipv4Addr::LOCALHOST.into(),
            onvif_state_file: None,
            discovery: None,
        };
        let leader = parts(shard_config(&cfg, 0, 2));
        let other: ShardFactory = Box::new(move || parts(other_cfg));
        run(options, leader, vec![other])
    });
    // The kernel spreads these over both shards; every one is answered.
    for cseq in 1..=16 {
        let reply = options(addr, cseq);
        assert!(reply.starts_with("RTSP/1.0 200 OK\r\n"), "{reply}");
        assert!(reply.contains(&format!("CSeq: {cseq}\r\n")), "{reply}");
    }
    signal_hook::low_level::raise(signal_hook::consts::SIGTERM).unwrap();
    let exit = runtime.join().unwrap();
    assert_eq!(exit.unwrap(), RunExit::Signal);
}
