//! The WS-Discovery socket: UDP 3702, member of 239.255.255.250.

use std::io;
use std::net::{Ipv4Addr, SocketAddr, UdpSocket};

/// The WS-Discovery multicast group.
const GROUP: Ipv4Addr = Ipv4Addr::new(239, 255, 255, 250);

/// Binds UDP `port` on all addresses (shared with other discovery
/// listeners on the host) and joins the WS-Discovery group on the default
/// interface and on every interface address given. Joining is best effort:
/// the socket still answers unicast probes when the host has no multicast
/// route, and the reason is returned for the caller to log.
pub fn bind_discovery(
    port: u16,
    interfaces: &[Ipv4Addr],
) -> io::Result<(UdpSocket, Option<String>)> {
    let socket = socket2::Socket::new(
        socket2::Domain::IPV4,
        socket2::Type::DGRAM,
        Some(socket2::Protocol::UDP),
    )?;
    socket.set_reuse_address(true)?;
    #[cfg(unix)]
    socket.set_reuse_port(true)?;
    socket.bind(&SocketAddr::from((Ipv4Addr::UNSPECIFIED, port)).into())?;
    // Hello and Bye also reach clients on this host.
    let _ = socket.set_multicast_loop_v4(true);
    let mut joined = false;
    let mut problem = None;
    for iface in std::iter::once(Ipv4Addr::UNSPECIFIED).chain(interfaces.iter().copied()) {
        match socket.join_multicast_v4(&GROUP, &iface) {
            Ok(()) => joined = true,
            // Joining twice on the same interface is harmless.
            Err(e) if e.raw_os_error() == Some(98) => joined = true,
            Err(e) => problem = Some(format!("cannot join {GROUP} on {iface}: {e}")),
        }
    }
    socket.set_nonblocking(true)?;
    Ok((socket.into(), if joined { None } else { problem }))
}
