//! What a runtime's socket tasks tell its driver, the same for every
//! runtime.

use std::net::SocketAddr;

use onvif_rtsp_core::server::ConnId;

/// One happening on a socket, sent by a reader or writer task to the
/// driver, which turns it into a server input.
#[derive(Debug)]
pub enum NetEvent {
    /// Bytes read from a connection.
    Data {
        /// The connection.
        conn: ConnId,
        /// What was read.
        data: Vec<u8>,
    },
    /// Bytes of a connection its writer task wrote.
    Written {
        /// The connection.
        conn: ConnId,
        /// How many.
        bytes: usize,
    },
    /// The peer closed the connection, or reading it failed.
    Closed {
        /// The connection.
        conn: ConnId,
    },
    /// A datagram received on one of the runtime's UDP ports.
    Datagram {
        /// The port it arrived on.
        local_port: u16,
        /// Who sent it.
        src: SocketAddr,
        /// Its bytes.
        data: Vec<u8>,
    },
}
