//! TLS termination for the HTTPS listeners, with rustls driven sans-IO on
//! the runtime's thread: ciphertext from the socket goes in, plaintext goes
//! to the core; the core's plaintext goes in, ciphertext goes to the
//! socket. The core never knows a connection is encrypted, except for the
//! `tls` flag it is told at accept time (for the URLs it hands out).

use std::io::{self, Read, Write};
use std::path::Path;
use std::sync::Arc;

use rustls::ServerConnection;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// Loads a PEM certificate chain and private key into a server config.
/// Errors name the file and what is wrong with it.
pub fn load_server_config(
    cert_file: &Path,
    key_file: &Path,
) -> Result<Arc<rustls::ServerConfig>, String> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert_file)
        .map_err(|e| format!("cannot read certificate file {}: {e}", cert_file.display()))?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("certificate file {}: {e}", cert_file.display()))?;
    if certs.is_empty() {
        return Err(format!(
            "certificate file {} holds no PEM certificate",
            cert_file.display()
        ));
    }
    let key = PrivateKeyDer::from_pem_file(key_file)
        .map_err(|e| format!("key file {}: {e}", key_file.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map(Arc::new)
        .map_err(|e| {
            format!(
                "{} and {} do not form a usable pair: {e}",
                cert_file.display(),
                key_file.display()
            )
        })
}

/// One TLS connection's state: ciphertext in and out, plaintext to and
/// from the core.
pub struct TlsSession {
    conn: ServerConnection,
}

impl TlsSession {
    /// A server-side session that has not seen the client's hello yet.
    pub fn new(config: Arc<rustls::ServerConfig>) -> Result<TlsSession, rustls::Error> {
        Ok(TlsSession {
            conn: ServerConnection::new(config)?,
        })
    }

    /// Takes ciphertext from the socket; appends the plaintext it carried.
    pub fn receive(&mut self, mut ciphertext: &[u8], plaintext: &mut Vec<u8>) -> io::Result<()> {
        while !ciphertext.is_empty() {
            self.conn.read_tls(&mut ciphertext)?;
            let state = self
                .conn
                .process_new_packets()
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
            let mut chunk = vec![0u8; state.plaintext_bytes_to_read()];
            self.conn.reader().read_exact(&mut chunk)?;
            plaintext.extend_from_slice(&chunk);
        }
        Ok(())
    }

    /// Encrypts plaintext for the peer and returns the ciphertext to write.
    /// rustls buffers a limited amount of plaintext, so large bodies (a
    /// snapshot) are fed in turns, draining the records between turns.
    pub fn send(&mut self, parts: &[&[u8]]) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        for part in parts {
            let mut rest = *part;
            while !rest.is_empty() {
                let n = self.conn.writer().write(rest)?;
                rest = &rest[n..];
                while self.conn.wants_write() {
                    self.conn.write_tls(&mut out)?;
                }
                if n == 0 && !rest.is_empty() && !self.conn.wants_write() {
                    return Err(io::Error::new(
                        io::ErrorKind::WriteZero,
                        "TLS session refuses data",
                    ));
                }
            }
        }
        while self.conn.wants_write() {
            self.conn.write_tls(&mut out)?;
        }
        Ok(out)
    }

    /// Sends a close_notify alert (buffered until [`Self::outgoing`]).
    pub fn close(&mut self) {
        self.conn.send_close_notify();
    }

    /// The ciphertext to write to the socket now (handshake, records, alerts).
    pub fn outgoing(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        while self.conn.wants_write() {
            if self.conn.write_tls(&mut out).is_err() {
                break;
            }
        }
        out
    }
}
