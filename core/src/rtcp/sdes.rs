//! Source descriptions (SDES, packet type 202), RFC 3550 section 6.5.

use super::{PT_SDES, RtcpError, write_header};

/// SDES item type of the canonical name, the one item every compound
/// packet must carry.
pub const SDES_CNAME: u8 = 1;

/// The longest text an SDES item can hold (8-bit length).
const MAX_ITEM_LEN: usize = 255;

/// One SDES item: a type (1 = CNAME, 2 = NAME, ...) and its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SdesItem {
    /// The item type (RFC 3550 section 6.5; 8 = PRIV).
    pub kind: u8,
    /// The item text (UTF-8 per the RFC; invalid bytes are replaced).
    pub text: String,
}

/// The items describing one source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SdesChunk {
    /// The source described.
    pub ssrc: u32,
    /// Its items, in packet order.
    pub items: Vec<SdesItem>,
}

impl SdesChunk {
    /// The CNAME item's text, if the chunk has one.
    pub fn cname(&self) -> Option<&str> {
        self.items
            .iter()
            .find(|i| i.kind == SDES_CNAME)
            .map(|i| i.text.as_str())
    }
}

/// Appends an SDES packet with one chunk holding the CNAME of `ssrc`.
/// A CNAME longer than 255 bytes is cut at a character boundary.
pub fn write_cname(ssrc: u32, cname: &str, out: &mut Vec<u8>) {
    let mut len = cname.len().min(MAX_ITEM_LEN);
    while !cname.is_char_boundary(len) {
        len -= 1;
    }
    // SSRC, item header, text, then at least one zero byte ending the item
    // list, padded to a 32-bit boundary.
    let chunk_len = (4 + 2 + len + 1).next_multiple_of(4);
    write_header(out, 1, PT_SDES, chunk_len / 4);
    let start = out.len();
    out.extend_from_slice(&ssrc.to_be_bytes());
    out.extend_from_slice(&[SDES_CNAME, len as u8]);
    out.extend_from_slice(&cname.as_bytes()[..len]);
    out.resize(start + chunk_len, 0);
}

/// Reads `count` chunks from an SDES body (after the 4-byte header);
/// `offset` is the body's position in the compound packet, for errors.
pub(crate) fn read_chunks(
    body: &[u8],
    count: u8,
    offset: usize,
) -> Result<Vec<SdesChunk>, RtcpError> {
    let malformed = |at: usize, reason| RtcpError::Malformed {
        offset: offset + at,
        reason,
    };
    let mut chunks = Vec::with_capacity(usize::from(count));
    let mut pos = 0;
    for _ in 0..count {
        let Some(&[a, b, c, d]) = body.get(pos..pos + 4) else {
            return Err(malformed(pos, "SDES chunk truncated"));
        };
        pos += 4;
        let mut items = Vec::new();
        loop {
            match body.get(pos) {
                None => return Err(malformed(pos, "SDES item list not terminated")),
                Some(0) => break,
                Some(&kind) => {
                    let Some(&len) = body.get(pos + 1) else {
                        return Err(malformed(pos, "SDES item truncated"));
                    };
                    let text = pos + 2..pos + 2 + usize::from(len);
                    let Some(bytes) = body.get(text.clone()) else {
                        return Err(malformed(pos, "SDES item overruns the packet"));
                    };
                    items.push(SdesItem {
                        kind,
                        text: String::from_utf8_lossy(bytes).into_owned(),
                    });
                    pos = text.end;
                }
            }
        }
        // The terminating zero, then padding to the next 32-bit boundary.
        pos = (pos + 1).next_multiple_of(4);
        chunks.push(SdesChunk {
            ssrc: u32::from_be_bytes([a, b, c, d]),
            items,
        });
    }
    Ok(chunks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_padded_cname() {
        let mut out = Vec::new();
        write_cname(0x0a0b_0c0d, "ab", &mut out);
        // 4 + 2 + 2 + 1 = 9 -> 12 bytes of chunk, 3 words.
        assert_eq!(
            out,
            [
                0x81, 202, 0, 3, 0x0a, 0x0b, 0x0c, 0x0d, 1, 2, b'a', b'b', 0, 0, 0, 0
            ]
        );
        let chunks = read_chunks(&out[4..], 1, 4).unwrap();
        assert_eq!(chunks[0].ssrc, 0x0a0b_0c0d);
        assert_eq!(chunks[0].cname(), Some("ab"));
    }

    #[test]
    fn exact_multiple_still_gets_a_terminator() {
        // 4 + 2 + 6 = 12: the terminating zero needs a whole extra word.
        let mut out = Vec::new();
        write_cname(1, "abcdef", &mut out);
        assert_eq!(out.len(), 4 + 16);
        assert_eq!(out[19], 0);
        // 4 + 2 + 1 + 1 = 8: no padding needed.
        write_cname(1, "a", &mut out);
        assert_eq!(out.len(), 20 + 4 + 8);
    }

    #[test]
    fn long_cname_is_cut_on_a_char_boundary() {
        let cname = "é".repeat(200); // 400 bytes
        let mut out = Vec::new();
        write_cname(1, &cname, &mut out);
        assert_eq!(out[9], 254);
        let chunks = read_chunks(&out[4..], 1, 4).unwrap();
        assert_eq!(chunks[0].cname().unwrap().chars().count(), 127);
    }

    #[test]
    fn rejects_overruns() {
        assert!(read_chunks(&[0, 0, 0, 1], 1, 0).is_err(), "no terminator");
        assert!(read_chunks(&[0, 0, 0, 1, 1, 9, b'a', 0], 1, 0).is_err());
        assert!(read_chunks(&[0, 0, 0, 1, 1], 1, 0).is_err());
        assert!(read_chunks(&[0, 0], 1, 0).is_err());
    }
}
