//! One shard: a glommio executor driving its own core server.
//!
//! The loop is the same as the single-threaded runtime's: wait for the next
//! thing (socket data, a media event, a new connection, the core's
//! deadline, a stop), feed it to the server, drain. Shard 0, the leader,
//! also serves the ONVIF listeners and WS-Discovery, watches the signals and
//! the other shards' failures, and decides when the process stops.

use onvif_rtsp_core::id_map::IdMap;
use std::cell::{Cell, RefCell};
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::rc::Rc;
use std::time::{Duration, Instant};

use async_channel::{Receiver, Sender};
use futures_lite::future;
use glommio::Task;
use glommio::net::{TcpStream, UdpSocket};
use onvif_rtsp_core::media::MediaEvent;
use onvif_rtsp_core::server::{
    ConnId, DISCOVERY_PORT, Event, Input, Listener, Output, SendBuf, Server,
};
use onvif_rtsp_runtime_common::{
    Conns, ListenerSpec, MediaControl, RunExit, Sockets, media_input, notify, persist,
};

use onvif_rtsp_runtime_common::udp_batch::Datagram;
use onvif_rtsp_runtime_common::write_now::write_or_hand_off;

use crate::ShardParts;
use crate::net;
use onvif_rtsp_runtime_common::NetEvent;
use onvif_rtsp_runtime_common::writer::WriterCommand;

/// What a shard listens on and writes.
pub(crate) struct ShardSetup {
    /// This shard's number (0 leads).
    pub(crate) index: usize,
    /// Its RTSP listener (SO_REUSEPORT, shared address).
    pub(crate) rtsp: std::net::TcpListener,
    /// Listeners only this shard serves (ONVIF HTTP and HTTPS, on shard 0).
    pub(crate) extra: Vec<ListenerSpec>,
    pub(crate) udp_ip: IpAddr,
    pub(crate) onvif_state_file: Option<PathBuf>,
    pub(crate) discovery: Option<std::net::UdpSocket>,
}

/// How a shard learns that it must stop.
pub(crate) enum Role {
    /// Shard 0: stops on a signal, a reboot, or another shard's failure.
    Leader {
        signals: Option<Receiver<()>>,
        failures: Receiver<io::Error>,
    },
    /// The others: stop when the leader does (the channel closes).
    Follower { stop: Receiver<()> },
}

struct ConnTasks {
    stream: net::Stream,
    writer: Sender<WriterCommand>,
    /// Set while the writer has data to write: later data queues behind it.
    writer_busy: Rc<Cell<bool>>,
    _reader: Task<()>,
    _writer_task: Task<()>,
}

struct UdpPort {
    socket: Rc<UdpSocket>,
    _reader: Task<()>,
}

/// The sockets and tasks of one shard.
struct ShardIo {
    index: usize,
    media: Box<dyn MediaControl>,
    net_tx: Sender<NetEvent>,
    conns: IdMap<ConnId, ConnTasks>,
    udp: IdMap<u16, UdpPort>,
    udp_ip: IpAddr,
    onvif_state_file: Option<PathBuf>,
    reboot: bool,
    /// Bytes written straight from the current drain, per connection, to
    /// feed to the server as `Input::Written` once the drain is over.
    written: Vec<(ConnId, usize)>,
}

enum Wake {
    Net(NetEvent),
    Media(MediaEvent),
    Accept(net::Accepted),
    Timer,
    Signal,
    Stop,
    Failed(io::Error),
}

/// Runs one shard until it must stop.
pub(crate) async fn run(setup: ShardSetup, parts: ShardParts, role: Role) -> io::Result<RunExit> {
    let ShardParts {
        mut server,
        media,
        inbox,
    } = parts;
    let index = setup.index;
    let (net_tx, net_rx) = async_channel::bounded::<NetEvent>(4096);
    let (accept_tx, accept_rx) = async_channel::bounded(64);
    let mut accept_tasks = Vec::new();
    let rtsp = ListenerSpec {
        listener: setup.rtsp,
        kind: Listener::Rtsp,
        tls: None,
    };
    for spec in std::iter::once(rtsp).chain(setup.extra) {
        let listener = net::listener_from_std(spec.listener);
        let tx = accept_tx.clone();
        accept_tasks.push(glommio::spawn_local(net::accept_loop(
            listener, spec.kind, spec.tls, tx,
        )));
    }
    let mut conns = Conns::new();
    let mut io = ShardIo {
        index,
        media,
        net_tx,
        conns: IdMap::default(),
        udp: IdMap::default(),
        udp_ip: setup.udp_ip,
        onvif_state_file: setup.onvif_state_file,
        reboot: false,
        written: Vec::new(),
    };
    if let Some(socket) = setup.discovery {
        io.add_udp_socket(DISCOVERY_PORT, net::udp_from_std(socket));
    }
    let mut next_conn = 1u64;
    let mut deadline = conns.drain(&mut server, &mut io);
    loop {
        let wait = deadline.saturating_duration_since(Instant::now());
        let wake = future::or(
            stop_or_signal(&role),
            future::or(
                async {
                    match net_rx.recv().await {
                        Ok(ev) => Wake::Net(ev),
                        // The shard holds a sender: cannot happen while it runs.
                        Err(_) => Wake::Failed(io::Error::other("event channel closed")),
                    }
                },
                future::or(
                    async {
                        match inbox.recv().await {
                            Some(ev) => Wake::Media(ev),
                            // No media layer any more: keep serving what is cached.
                            None => future::pending().await,
                        }
                    },
                    future::or(
                        async {
                            match accept_rx.recv().await {
                                Ok(a) => Wake::Accept(a),
                                Err(_) => future::pending().await,
                            }
                        },
                        async {
                            glommio::timer::sleep(wait).await;
                            Wake::Timer
                        },
                    ),
                ),
            ),
        )
        .await;
        let now = Instant::now();
        match wake {
            Wake::Net(ev) => on_net(&mut server, &mut conns, &mut io, now, ev),
            Wake::Media(ev) => server.handle_input(now, media_input(ev)),
            Wake::Accept(Ok((stream, kind, tls))) => {
                let conn = ConnId(next_conn);
                next_conn += 1;
                on_accept(
                    &mut server,
                    &mut conns,
                    &mut io,
                    now,
                    conn,
                    stream,
                    kind,
                    tls,
                );
            }
            Wake::Accept(Err(e)) => {
                tracing::error!(shard = index, error = %e, "listener failed");
                return Err(e);
            }
            Wake::Timer => server.handle_input(now, Input::Timeout),
            Wake::Signal => {
                tracing::info!("stopping");
                if let Some(Output::SendTo {
                    local_port,
                    dst,
                    data,
                }) = server.goodbye()
                {
                    io.send_datagrams(local_port, &[Datagram::new(local_port, dst, data)]);
                }
                return Ok(RunExit::Signal);
            }
            Wake::Stop => return Ok(RunExit::Signal),
            Wake::Failed(e) => return Err(e),
        }
        deadline = conns.drain(&mut server, &mut io);
        if io.reboot {
            // Let the writers send the SystemReboot response first.
            glommio::timer::sleep(Duration::from_millis(300)).await;
            return Ok(RunExit::Reboot);
        }
    }
}

/// Resolves when the shard must stop (never, while nothing says so).
async fn stop_or_signal(role: &Role) -> Wake {
    match role {
        Role::Leader { signals, failures } => {
            let signal = async {
                match signals {
                    Some(s) if s.recv().await.is_ok() => Wake::Signal,
                    _ => future::pending().await,
                }
            };
            let failure = async {
                match failures.recv().await {
                    Ok(e) => Wake::Failed(e),
                    // Every other shard is gone without an error: they only
                    // stop after the leader, so this is the leader's exit.
                    Err(_) => future::pending().await,
                }
            };
            future::or(signal, failure).await
        }
        Role::Follower { stop } => {
            // Nothing is ever sent: the channel closes when the leader ends.
            let _ = stop.recv().await;
            Wake::Stop
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn on_accept(
    server: &mut Server,
    conns: &mut Conns,
    io: &mut ShardIo,
    now: Instant,
    conn: ConnId,
    stream: TcpStream,
    listener: Listener,
    tls: Option<std::sync::Arc<rustls::ServerConfig>>,
) {
    let (Ok(peer), Ok(local)) = (stream.peer_addr(), stream.local_addr()) else {
        return;
    };
    if let Some(config) = tls {
        if let Err(e) = conns.start_tls(conn, config) {
            tracing::warn!(%peer, error = %e, "cannot start TLS");
            return;
        }
    }
    let _ = stream.set_nodelay(true);
    io.add_connection(conn, stream);
    server.handle_input(
        now,
        Input::Accepted {
            conn,
            peer,
            local,
            listener,
        },
    );
}

fn on_net(server: &mut Server, conns: &mut Conns, io: &mut ShardIo, now: Instant, ev: NetEvent) {
    match ev {
        NetEvent::Data { conn, data } => {
            if io.conns.contains_key(&conn) {
                conns.on_data(server, now, conn, &data, io);
            }
        }
        NetEvent::Written { conn, bytes } => {
            server.handle_input(now, Input::Written { conn, bytes })
        }
        NetEvent::Closed { conn } => {
            io.conns.remove(&conn);
            conns.on_closed(conn);
            server.handle_input(now, Input::Closed { conn });
        }
        NetEvent::Datagram {
            local_port,
            src,
            data,
        } => server.handle_input(
            now,
            Input::Datagram {
                local_port,
                src,
                data: &data,
            },
        ),
    }
}

impl ShardIo {
    /// Starts the reader and writer tasks of a connection.
    fn add_connection(&mut self, conn: ConnId, stream: TcpStream) {
        let stream: net::Stream = Rc::new(RefCell::new(stream));
        let (writer_tx, writer_rx) = async_channel::unbounded();
        let writer_busy = Rc::new(Cell::new(false));
        let reader =
            glommio::spawn_local(net::read_loop(conn, stream.clone(), self.net_tx.clone()));
        let writer_task = glommio::spawn_local(net::write_loop(
            conn,
            stream.clone(),
            writer_rx,
            writer_busy.clone(),
            self.net_tx.clone(),
        ));
        self.conns.insert(
            conn,
            ConnTasks {
                stream,
                writer_busy,
                writer: writer_tx,
                _reader: reader,
                _writer_task: writer_task,
            },
        );
    }
}

impl Sockets for ShardIo {
    fn write(&mut self, conn: ConnId, data: &mut Vec<SendBuf>) {
        let Some(c) = self.conns.get(&conn) else {
            return;
        };
        let written = write_or_hand_off(
            &c.writer_busy,
            data,
            |slices| net::send_now(&c.stream, slices),
            |rest| {
                let _ = c.writer.try_send(WriterCommand::Data(rest));
            },
        );
        if written > 0 {
            self.written.push((conn, written));
        }
    }

    fn close(&mut self, conn: ConnId) {
        if let Some(c) = self.conns.get(&conn) {
            let _ = c.writer.try_send(WriterCommand::Close);
        }
    }

    fn send_datagrams(&mut self, local_port: u16, datagrams: &[Datagram]) {
        let Some(UdpPort { socket, .. }) = self.udp.get(&local_port) else {
            return;
        };
        let (report, error) = net::send_datagrams(socket, datagrams);
        if let Some(error) = error {
            // A full socket buffer or an unreachable client costs packets,
            // never the server.
            tracing::trace!(local_port, dropped = report.dropped, %error, "datagrams dropped");
        }
    }

    fn written(&mut self) -> &mut Vec<(ConnId, usize)> {
        &mut self.written
    }

    fn event(&mut self, event: Event) -> Option<Input<'static>> {
        match event {
            Event::OpenSource { source, spec } => self.media.open(source, spec),
            Event::CloseSource { source } => self.media.close(source),
            Event::OpenUdp { port, count } => {
                let result = self.open_udp(port, count).map_err(|e| e.to_string());
                return Some(Input::UdpOpened { port, result });
            }
            Event::PersistOnvifState { text } => {
                persist::save_onvif_state(self.onvif_state_file.as_deref(), &text)
            }
            Event::HttpPost {
                url,
                content_type,
                body,
            } => {
                // Rare and best effort: a helper thread, never this loop.
                let spawned = std::thread::Builder::new()
                    .name("notify".into())
                    .spawn(move || notify::post_and_log(&url, &content_type, &body));
                if let Err(e) = spawned {
                    tracing::debug!(error = %e, "cannot start a Notify thread");
                }
            }
            Event::Reboot => {
                tracing::info!("reboot requested by an ONVIF client");
                self.reboot = true;
            }
            Event::CloseUdp { port, count } => {
                for p in (0..count).map(|i| port.wrapping_add(i)) {
                    self.udp.remove(&p);
                }
            }
            other => tracing::debug!(
                shard = self.index,
                ?other,
                "event not handled by this runtime"
            ),
        }
        None
    }
}

impl ShardIo {
    /// Serves an already bound UDP socket on `port`.
    fn add_udp_socket(&mut self, port: u16, socket: UdpSocket) {
        let socket = Rc::new(socket);
        let reader = glommio::spawn_local(net::udp_read_loop(
            port,
            socket.clone(),
            self.net_tx.clone(),
        ));
        self.udp.insert(
            port,
            UdpPort {
                socket,
                _reader: reader,
            },
        );
    }

    /// Binds `count` ports from `port`, all or none.
    fn open_udp(&mut self, port: u16, count: u16) -> io::Result<()> {
        let mut bound = Vec::with_capacity(usize::from(count));
        for p in (0..count).map(|i| port.checked_add(i)) {
            let Some(p) = p else {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "port range past 65535",
                ));
            };
            if self.udp.contains_key(&p) {
                continue;
            }
            // On failure the sockets bound so far are dropped with `bound`.
            bound.push((p, net::bind_udp(SocketAddr::new(self.udp_ip, p))?));
        }
        for (p, socket) in bound {
            let reader =
                glommio::spawn_local(net::udp_read_loop(p, socket.clone(), self.net_tx.clone()));
            self.udp.insert(
                p,
                UdpPort {
                    socket,
                    _reader: reader,
                },
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use onvif_rtsp_runtime_common::testing::{self, NoMedia};

    #[test]
    fn what_a_full_socket_did_not_take_follows_in_order_through_the_writer() {
        if let Err(why) = crate::probe(1) {
            eprintln!("glommio cannot run here ({why}); skipped");
            return;
        }
        const TOTAL: usize = 1_000_000;
        let expected = testing::patterned_bytes(TOTAL);
        let sent = expected.clone();
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            let addr = addr_rx.recv().unwrap();
            testing::slow_reader(addr, TOTAL)
        });
        let counts = glommio::LocalExecutorBuilder::default()
            .spawn(move || async move {
                let listener = glommio::net::TcpListener::bind("127.0.0.1:0").unwrap();
                addr_tx.send(listener.local_addr().unwrap()).unwrap();
                let accepted = listener.accept().await.unwrap();
                {
                    use std::os::fd::{AsRawFd, BorrowedFd};
                    // SAFETY: the descriptor belongs to `accepted`, alive
                    // for this whole block.
                    let fd = unsafe { BorrowedFd::borrow_raw(accepted.as_raw_fd()) };
                    testing::small_send_buffer(fd);
                }
                let (net_tx, net_rx) = async_channel::unbounded();
                let mut io = ShardIo {
                    index: 0,
                    media: Box::new(NoMedia),
                    net_tx,
                    conns: IdMap::default(),
                    udp: IdMap::default(),
                    udp_ip: IpAddr::from([127, 0, 0, 1]),
                    onvif_state_file: None,
                    reboot: false,
                    written: Vec::new(),
                };
                let conn = ConnId(1);
                io.add_connection(conn, accepted);
                let (mut direct, mut through_writer, mut went_to_writer) = (0, 0, false);
                for drain in 0..TOTAL / 5000 {
                    io.write(conn, &mut testing::drain_data(&sent, drain, 5, 1000));
                    went_to_writer |= io.conns[&conn].writer_busy.get();
                    direct += io.written.drain(..).map(|(_, n)| n).sum::<usize>();
                    // Let the writer run between drains, as the event loop does.
                    glommio::executor().yield_now().await;
                }
                while direct + through_writer < TOTAL {
                    match net_rx.recv().await {
                        Ok(NetEvent::Written { bytes, .. }) => through_writer += bytes,
                        Ok(_) => {}
                        Err(_) => break,
                    }
                }
                (direct, through_writer, went_to_writer)
            })
            .unwrap()
            .join()
            .unwrap();
        let got = reader.join().unwrap();
        let (direct, through_writer, went_to_writer) = counts;
        assert!(went_to_writer, "the socket never filled");
        assert!(
            direct > 0 && through_writer > 0,
            "{direct} {through_writer}"
        );
        assert_eq!(direct + through_writer, TOTAL);
        assert!(got == expected, "bytes out of order or lost");
    }
}
