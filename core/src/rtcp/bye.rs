//! Goodbye (BYE, packet type 203), RFC 3550 section 6.6.

use super::{PT_BYE, write_header};

/// The most SSRCs one BYE packet can list (5-bit count).
const MAX_SSRCS_PER_PACKET: usize = 31;

/// Appends a BYE packet for the given sources, without a reason (more than
/// 31 sources are spread over several packets).
pub fn write_bye(ssrcs: &[u32], out: &mut Vec<u8>) {
    for chunk in ssrcs.chunks(MAX_SSRCS_PER_PACKET) {
        write_header(out, chunk.len() as u8, PT_BYE, chunk.len());
        for ssrc in chunk {
            out.extend_from_slice(&ssrc.to_be_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bye_bytes() {
        let mut out = Vec::new();
        write_bye(&[0x0102_0304], &mut out);
        assert_eq!(out, [0x81, 203, 0, 1, 1, 2, 3, 4]);
        let mut out = Vec::new();
        write_bye(&[7; 40], &mut out);
        assert_eq!(out.len(), 4 + 31 * 4 + 4 + 9 * 4);
    }
}
