//! smol runtime: drives the core server with real sockets and timers.
