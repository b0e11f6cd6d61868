//! # onvif-rtsp-runtime-smol
//!
//! Drives the sans-IO [`Server`] with real sockets and timers on one smol
//! thread: it accepts connections, reads bytes into the core, writes what the
//! core says (vectored, so shared media payloads are never copied: from the
//! drain itself while a connection's writer task has nothing queued, and
//! datagrams in `sendmmsg` batches), binds the UDP ports the core asks for,
//! and hands media events in. It decides
//! nothing itself: the drain rule, per-connection batching and TLS live in
//! `onvif-rtsp-runtime-common`, shared with the thread-per-core runtime.

mod net;

use onvif_rtsp_core::id_map::IdMap;
use std::cell::Cell;
use std::io::{self, Write as _};
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::os::fd::AsFd;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Instant;

use async_channel::Sender;
use onvif_rtsp_core::server::{
    ConnId, DISCOVERY_PORT, Event, Input, Listener, Output, SendBuf, Server,
};
use onvif_rtsp_runtime_common::udp_batch::{self, Datagram};
use onvif_rtsp_runtime_common::write_now::write_or_hand_off;
use onvif_rtsp_runtime_common::{Conns, Sockets, media_input, notify, persist};
use smol::{Async, LocalExecutor, Task, Timer};

use onvif_rtsp_runtime_common::NetEvent;
use onvif_rtsp_runtime_common::writer::WriterCommand;
pub use onvif_rtsp_runtime_common::{
    ListenerSpec, MediaControl, MediaInbox, MediaReceiver, RunExit, bind_discovery,
    load_server_config, media_channel,
};

/// Where the runtime listens and what it writes.
#[derive(Debug)]
pub struct RuntimeOptions {
    /// Listeners (already bound, so the caller reports bind errors and
    /// tests can use port 0), with what they serve.
    pub listeners: Vec<ListenerSpec>,
    /// Address to bind RTP/RTCP UDP ports on.
    pub udp_ip: IpAddr,
    /// Where `onvifrun.cfg` goes when the ONVIF device changes.
    pub onvif_state_file: Option<PathBuf>,
    /// The WS-Discovery socket ([`bind_discovery`]), when the device is discoverable.
    pub discovery: Option<UdpSocket>,
}

/// Runs the server until a client asks for a reboot (or a listener fails).
pub fn run(
    server: Server,
    options: RuntimeOptions,
    media: Box<dyn MediaControl>,
    inbox_rx: MediaReceiver,
) -> io::Result<RunExit> {
    let ex: LocalExecutor<'static> = LocalExecutor::new();
    smol::block_on(ex.run(drive(&ex, server, options, media, inbox_rx)))
}

struct ConnTasks {
    stream: Arc<Async<std::net::TcpStream>>,
    writer: Sender<WriterCommand>,
    /// Set while the writer has data to write: later data queues behind it.
    writer_busy: Rc<Cell<bool>>,
    _reader: Task<()>,
    _writer_task: Task<()>,
}

struct UdpPort {
    socket: Arc<Async<UdpSocket>>,
    _reader: Task<()>,
}

/// The server, the runtime-independent connection state, and the sockets.
struct Driver<'a> {
    server: Server,
    conns: Conns,
    io: SmolIo<'a>,
    next_deadline: Instant,
}

/// The sockets and tasks of one smol thread.
struct SmolIo<'a> {
    ex: &'a LocalExecutor<'static>,
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

async fn drive(
    ex: &LocalExecutor<'static>,
    server: Server,
    options: RuntimeOptions,
    media: Box<dyn MediaControl>,
    inbox_rx: MediaReceiver,
) -> io::Result<RunExit> {
    let (net_tx, net_rx) = async_channel::bounded::<NetEvent>(4096);
    let mut next_conn = 1u64;
    let (accept_tx, accept_rx) = async_channel::bounded(64);
    let mut accept_tasks = Vec::new();
    for spec in options.listeners {
        spec.listener.set_nonblocking(true)?;
        let listener = Async::new(spec.listener)?;
        let tx = accept_tx.clone();
        accept_tasks.push(ex.spawn(net::accept_loop(listener, spec.kind, spec.tls, tx)));
    }
    let mut driver = Driver {
        server,
        conns: Conns::new(),
        io: SmolIo {
            ex,
            media,
            net_tx,
            conns: IdMap::default(),
            udp: IdMap::default(),
            udp_ip: options.udp_ip,
            onvif_state_file: options.onvif_state_file,
            reboot: false,
            written: Vec::new(),
        },
        next_deadline: Instant::now(),
    };
    if let Some(socket) = options.discovery {
        driver.io.add_udp_socket(DISCOVERY_PORT, socket)?;
    }
    let signals =
        async_signal::Signals::new([async_signal::Signal::Term, async_signal::Signal::Int]);
    let mut signals = match signals {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::warn!(error = %e, "cannot watch for SIGTERM/SIGINT; no WS-Discovery Bye at exit");
            None
        }
    };
    driver.drain();
    loop {
        let deadline = driver.next_deadline;
        let event = smol::future::or(
            async {
                match signals.as_mut() {
                    Some(s) => {
                        use smol::stream::StreamExt;
                        s.next().await;
                        Some(Wake::Signal)
                    }
                    None => smol::future::pending().await,
                }
            },
            smol::future::or(
                async { Some(Wake::Net(net_rx.recv().await.ok()?)) },
                smol::future::or(
                    async {
                        match inbox_rx.recv().await {
                            Some(ev) => Some(Wake::Media(ev)),
                            // No media layer any more: keep serving what is cached.
                            None => smol::future::pending().await,
                        }
                    },
                    smol::future::or(
                        async { accept_rx.recv().await.ok().map(Wake::Accept) },
                        async {
                            Timer::at(deadline).await;
                            Some(Wake::Timer)
                        },
                    ),
                ),
            ),
        )
        .await;
        let now = Instant::now();
        match event {
            Some(Wake::Net(ev)) => driver.on_net(now, ev),
            Some(Wake::Media(ev)) => driver.server.handle_input(now, media_input(ev)),
            Some(Wake::Accept(Ok((stream, peer, kind, tls)))) => {
                let conn = ConnId(next_conn);
                next_conn += 1;
                driver.on_accept(now, conn, stream, peer, kind, tls);
            }
            Some(Wake::Accept(Err(e))) => {
                tracing::error!(error = %e, "listener failed");
                return Err(e);
            }
            Some(Wake::Timer) => driver.server.handle_input(now, Input::Timeout),
            Some(Wake::Signal) => {
                tracing::info!("stopping");
                if let Some(Output::SendTo {
                    local_port,
                    dst,
                    data,
                }) = driver.server.goodbye()
                {
                    driver
                        .io
                        .send_datagrams(local_port, &[Datagram::new(local_port, dst, data)]);
                }
                return Ok(RunExit::Signal);
            }
            None => {
                // The net channel closed: the driver holds a sender, so this
                // cannot happen while it runs.
                return Err(io::Error::other("event channel closed"));
            }
        }
        driver.drain();
        if driver.io.reboot {
            // Let the writers send the SystemReboot response first.
            Timer::after(std::time::Duration::from_millis(300)).await;
            return Ok(RunExit::Reboot);
        }
    }
}

enum Wake {
    Net(NetEvent),
    Media(onvif_rtsp_core::media::MediaEvent),
    Accept(net::Accepted),
    Timer,
    Signal,
}

impl Driver<'_> {
    fn on_accept(
        &mut self,
        now: Instant,
        conn: ConnId,
        stream: Async<std::net::TcpStream>,
        peer: SocketAddr,
        listener: Listener,
        tls: Option<Arc<rustls::ServerConfig>>,
    ) {
        if let Some(config) = tls {
            if let Err(e) = self.conns.start_tls(conn, config) {
                tracing::warn!(%peer, error = %e, "cannot start TLS");
                return;
            }
        }
        let local = match stream.get_ref().local_addr() {
            Ok(a) => a,
            Err(_) => {
                self.conns.on_closed(conn);
                return;
            }
        };
        let _ = stream.get_ref().set_nodelay(true);
        self.io.add_connection(conn, Arc::new(stream));
        self.server.handle_input(
            now,
            Input::Accepted {
                conn,
                peer,
                local,
                listener,
            },
        );
    }

    fn on_net(&mut self, now: Instant, ev: NetEvent) {
        match ev {
            NetEvent::Data { conn, data } => {
                if self.io.conns.contains_key(&conn) {
                    self.conns
                        .on_data(&mut self.server, now, conn, &data, &mut self.io);
                }
            }
            NetEvent::Written { conn, bytes } => self
                .server
                .handle_input(now, Input::Written { conn, bytes }),
            NetEvent::Closed { conn } => {
                self.io.conns.remove(&conn);
                self.conns.on_closed(conn);
                self.server.handle_input(now, Input::Closed { conn });
            }
            NetEvent::Datagram {
                local_port,
                src,
                data,
            } => self.server.handle_input(
                now,
                Input::Datagram {
                    local_port,
                    src,
                    data: &data,
                },
            ),
        }
    }

    /// Carries out every output of the core (the drain rule).
    fn drain(&mut self) {
        self.next_deadline = self.conns.drain(&mut self.server, &mut self.io);
    }
}

impl SmolIo<'_> {
    /// Starts the reader and writer tasks of a connection.
    fn add_connection(&mut self, conn: ConnId, stream: Arc<Async<std::net::TcpStream>>) {
        let (writer_tx, writer_rx) = async_channel::unbounded();
        let writer_busy = Rc::new(Cell::new(false));
        let reader = self
            .ex
            .spawn(net::read_loop(conn, stream.clone(), self.net_tx.clone()));
        let writer_task = self.ex.spawn(net::write_loop(
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
                writer: writer_tx,
                writer_busy,
                _reader: reader,
                _writer_task: writer_task,
            },
        );
    }
}

impl Sockets for SmolIo<'_> {
    fn write(&mut self, conn: ConnId, data: &mut Vec<SendBuf>) {
        let Some(c) = self.conns.get(&conn) else {
            return;
        };
        let mut socket: &std::net::TcpStream = c.stream.get_ref();
        let written = write_or_hand_off(
            &c.writer_busy,
            data,
            |slices| socket.write_vectored(slices),
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
        let (report, error) = udp_batch::send(socket.get_ref().as_fd(), datagrams);
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
                // Rare and best effort: on smol's blocking pool, never this loop.
                smol::unblock(move || notify::post_and_log(&url, &content_type, &body)).detach();
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
            other => tracing::debug!(?other, "event not handled by this runtime"),
        }
        None
    }
}

impl SmolIo<'_> {
    /// Serves an already bound UDP socket on `port`.
    fn add_udp_socket(&mut self, port: u16, socket: UdpSocket) -> io::Result<()> {
        socket.set_nonblocking(true)?;
        let socket = Arc::new(Async::new(socket)?);
        let reader = self.ex.spawn(net::udp_read_loop(
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
        Ok(())
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
            let reader = self
                .ex
                .spawn(net::udp_read_loop(p, socket.clone(), self.net_tx.clone()));
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
    use std::net::TcpListener;

    #[test]
    fn what_a_full_socket_did_not_take_follows_in_order_through_the_writer() {
        const TOTAL: usize = 1_000_000;
        let expected = testing::patterned_bytes(TOTAL);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let reader = std::thread::spawn(move || testing::slow_reader(addr, TOTAL));
        let (accepted, _) = listener.accept().unwrap();
        testing::small_send_buffer(accepted.as_fd());
        let ex = LocalExecutor::new();
        let (net_tx, net_rx) = async_channel::unbounded();
        let mut io = SmolIo {
            ex: &ex,
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
        io.add_connection(conn, Arc::new(Async::new(accepted).unwrap()));
        let (mut direct, mut through_writer, mut went_to_writer) = (0, 0, false);
        smol::block_on(ex.run(async {
            for drain in 0..TOTAL / 5000 {
                io.write(conn, &mut testing::drain_data(&expected, drain, 5, 1000));
                went_to_writer |= io.conns[&conn].writer_busy.get();
                direct += io.written.drain(..).map(|(_, n)| n).sum::<usize>();
                // Let the writer run between drains, as the event loop does.
                smol::future::yield_now().await;
            }
            while direct + through_writer < TOTAL {
                match net_rx.recv().await {
                    Ok(NetEvent::Written { bytes, .. }) => through_writer += bytes,
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
        }));
        let got = reader.join().unwrap();
        assert!(went_to_writer, "the socket never filled");
        assert!(
            direct > 0 && through_writer > 0,
            "{direct} {through_writer}"
        );
        assert_eq!(direct + through_writer, TOTAL);
        assert!(got == expected, "bytes out of order or lost");
    }
}
