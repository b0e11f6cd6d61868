//! The load generator against a minimal scripted RTSP server: the whole
//! OPTIONS..PLAY exchange (with a Basic challenge), interleaved and UDP
//! delivery, RTCP on the odd channel, one sequence gap across wraparound.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::thread;
use std::time::Duration;

use onvif_rtsp_benches::load::{LoadConfig, ServerTarget, run};
use onvif_rtsp_benches::reader::TransportMode;

const SDP: &str = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=fake\r\nt=0 0\r\na=control:*\r\n\
                   m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=control:trackID=0\r\n";

/// Sequence numbers sent: 65535 -> 0 wraps cleanly, 1 is skipped (one gap).
fn seq_at(i: u32) -> u16 {
    let s = 65534u16.wrapping_add(i as u16);
    if i >= 3 { s.wrapping_add(1) } else { s }
}

fn rtp(seq: u16) -> Vec<u8> {
    let mut p = vec![0x80, 96];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&[0, 0, 0, 0, 0x11, 0x22, 0x33, 0x44]);
    p.extend_from_slice(&[0x55; 1000]);
    p
}

fn read_request(r: &mut BufReader<TcpStream>) -> Option<Vec<String>> {
    let mut lines = Vec::new();
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end().to_owned();
        if line.is_empty() {
            return Some(lines);
        }
        lines.push(line);
    }
}

fn header<'a>(req: &'a [String], name: &str) -> Option<&'a str> {
    req.iter().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

fn serve_conn(stream: TcpStream) {
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut out = stream;
    let mut udp_dst: Option<SocketAddr> = None;
    while let Some(req) = read_request(&mut reader) {
        let method = req[0].split(' ').next().unwrap_or_default().to_owned();
        let cseq = header(&req, "CSeq").unwrap_or("0").to_owned();
        let resp = match method.as_str() {
            "DESCRIBE" if header(&req, "Authorization").is_none() => format!(
                "RTSP/1.0 401 Unauthorized\r\nCSeq: {cseq}\r\nWWW-Authenticate: Basic realm=\"fake\"\r\n\r\n"
            ),
            "DESCRIBE" => format!(
                "RTSP/1.0 200 OK\r\nCSeq: {cseq}\r\nContent-Base: rtsp://127.0.0.1/x/\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{SDP}",
                SDP.len()
            ),
            "SETUP" => {
                let t = header(&req, "Transport").unwrap_or_default().to_owned();
                if let Some(ports) = t.split(';').find_map(|p| p.strip_prefix("client_port=")) {
                    let rtp_port: u16 = ports
                        .split('-')
                        .next()
                        .and_then(|p| p.parse().ok())
                        .unwrap_or(0);
                    udp_dst = Some(SocketAddr::from(([127, 0, 0, 1], rtp_port)));
                }
                format!(
                    "RTSP/1.0 200 OK\r\nCSeq: {cseq}\r\nTransport: {t}\r\nSession: ABC;timeout=60\r\n\r\n"
                )
            }
            _ => format!("RTSP/1.0 200 OK\r\nCSeq: {cseq}\r\n\r\n"),
        };
        if out.write_all(resp.as_bytes()).is_err() {
            return;
        }
        if method == "PLAY" {
            break;
        }
    }
    let udp = UdpSocket::bind("127.0.0.1:0").ok();
    // Stream until the client goes away.
    for i in 0..2000u32 {
        let packet = rtp(seq_at(i));
        let ok = match (udp_dst, &udp) {
            (Some(dst), Some(sock)) => sock.send_to(&packet, dst).is_ok(),
            _ => {
                let mut framed = vec![b'$', 0];
                framed.extend_from_slice(&(packet.len() as u16).to_be_bytes());
                framed.extend_from_slice(&packet);
                // An RTCP-like packet on channel 1 now and then.
                if i % 10 == 0 {
                    framed.extend_from_slice(&[b'$', 1, 0, 8, 0x80, 200, 0, 1, 0, 0, 0, 0]);
                }
                out.write_all(&framed).is_ok()
            }
        };
        if !ok {
            return;
        }
        thread::sleep(Duration::from_millis(5));
    }
}

fn start_fake() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    thread::spawn(move || {
        for s in listener.incoming().flatten() {
            thread::spawn(move || serve_conn(s));
        }
    });
    port
}

fn config(port: u16, transport: TransportMode) -> LoadConfig {
    LoadConfig {
        url: format!("rtsp://user:pw@127.0.0.1:{port}/x"),
        readers: 3,
        transport,
        duration: Duration::from_millis(400),
        batch: 2,
        batch_interval: Duration::from_millis(5),
        warmup: Duration::from_millis(100),
        ramp_timeout: Duration::from_secs(5),
        request_timeout: Duration::from_secs(5),
        threads: 1,
        read_buffer: 64,
        udp_rcvbuf: 0,
        server: ServerTarget::None,
        idle: Duration::ZERO,
        progress: false,
    }
}

#[test]
fn tcp_readers_count_packets_gaps_and_rtcp() {
    let port = start_fake();
    let s = run(&config(port, TransportMode::Tcp)).expect("run");
    assert_eq!(s.readers_playing, 3, "{s:?}");
    assert_eq!(s.readers_served, 3, "{s:?}");
    assert_eq!(s.rtp_gaps, 3, "one gap per reader: {s:?}");
    assert_eq!(s.rtp_late, 0);
    assert!(s.rtp_packets >= 3 * 10, "{s:?}");
    assert!(s.rtcp_packets >= 3, "{s:?}");
    assert!(s.ttfp_ms_max.is_some());
    assert!(s.delivered_mbps > 0.0);
    assert!(s.failures.is_empty(), "{:?}", s.failures);
}

#[test]
fn udp_readers_receive_on_their_port_pairs() {
    let port = start_fake();
    let s = run(&config(port, TransportMode::Udp)).expect("run");
    assert_eq!(s.readers_served, 3, "{s:?}");
    assert_eq!(s.rtp_gaps, 3, "{s:?}");
    assert!(s.rtp_packets >= 3 * 10, "{s:?}");
}

#[test]
fn refused_connections_are_reported_not_served() {
    // A port with nothing listening.
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let mut cfg = config(port, TransportMode::Tcp);
    cfg.duration = Duration::from_millis(50);
    let s = run(&cfg).expect("run");
    assert_eq!(s.readers_served, 0);
    assert_eq!(s.failures.iter().map(|f| f.1).sum::<usize>(), 3);
    assert!(s.failures[0].0.starts_with("connect:"), "{:?}", s.failures);
}
