//! Rebuilding JPEG images from RFC 2435 packets: collect the scan by
//! fragment offset, then write the JFIF header the RFC leaves out (RFC 2435
//! appendix B `MakeHeaders`).

use bytes::Bytes;

use super::tables::{STANDARD_HUFFMAN_TABLES, tables_for_q};
use super::{MAIN_HEADER_LEN, RESTART_HEADER_LEN, TYPE_RESTART_FLAG};
use crate::rtp::depacketizer::{AccessUnit, DepacketizeError};
use crate::rtp::header::RtpHeader;
use crate::rtp::reassembly::{MAX_UNIT_SIZE, Reassembler, UnitBuilder};

/// Frame parameters from the first packet (fragment offset 0) of an image.
#[derive(Clone, Debug, PartialEq, Eq)]
struct FrameParams {
    /// RFC 2435 type 0 or 1 (restart flag removed).
    rtp_type: u8,
    width8: u8,
    height8: u8,
    restart_interval: u16,
    /// Luma then chroma quantization table, zig-zag order.
    tables: [u8; 128],
}

/// Builds one image from its fragments.
#[derive(Clone, Debug, Default)]
struct JpegUnit {
    params: Option<FrameParams>,
    scan: Vec<u8>,
    /// Tables sent with a Q in 128..=254 may be omitted from later frames
    /// with the same Q (RFC 2435 section 4.2): the last ones seen per Q.
    cached_tables: Vec<(u8, [u8; 128])>,
}

fn truncated(what: &'static str) -> DepacketizeError {
    DepacketizeError::Truncated(what)
}

fn invalid(why: &'static str) -> DepacketizeError {
    DepacketizeError::InvalidPayload(why)
}

impl JpegUnit {
    /// Reads the quantization tables of a first packet; returns them and
    /// the number of header bytes they took.
    fn read_tables(&mut self, q: u8, rest: &[u8]) -> Result<([u8; 128], usize), DepacketizeError> {
        if q == 0 {
            return Err(invalid("Q value 0 is reserved"));
        }
        if q < 128 {
            return Ok((tables_for_q(q), 0));
        }
        let [_mbz, precision, l1, l0, tables @ ..] = rest else {
            return Err(truncated("quantization table header"));
        };
        if *precision != 0 {
            return Err(DepacketizeError::UnsupportedTrack(
                "16-bit quantization tables",
            ));
        }
        let len = usize::from(u16::from_be_bytes([*l1, *l0]));
        let Some(tables) = tables.get(..len) else {
            return Err(truncated("quantization tables"));
        };
        let mut out = [0u8; 128];
        match len {
            0 => {
                let cached = self.cached_tables.iter().find(|(cq, _)| *cq == q);
                match cached {
                    Some((_, t)) if q != 255 => out = *t,
                    _ => return Err(invalid("quantization tables omitted but not known")),
                }
            }
            // One table: used for chroma as well.
            64 => {
                out[..64].copy_from_slice(tables);
                out[64..].copy_from_slice(tables);
            }
            // Types 0 and 1 use the first two tables; more would be unused.
            _ if len >= 128 && len % 64 == 0 => out.copy_from_slice(&tables[..128]),
            _ => return Err(invalid("quantization table length not a multiple of 64")),
        }
        if (128..255).contains(&q) && len != 0 {
            self.cached_tables.retain(|(cq, _)| *cq != q);
            self.cached_tables.push((q, out));
        }
        Ok((out, 4 + len))
    }
}

impl UnitBuilder for JpegUnit {
    fn append(&mut self, payload: &Bytes) -> Result<(), DepacketizeError> {
        let Some(main) = payload.get(..MAIN_HEADER_LEN) else {
            return Err(truncated("JPEG main header"));
        };
        let offset = usize::from(main[1]) << 16 | usize::from(main[2]) << 8 | usize::from(main[3]);
        let (raw_type, q, width8, height8) = (main[4], main[5], main[6], main[7]);
        let mut pos = MAIN_HEADER_LEN;
        let mut restart_interval = 0;
        if (TYPE_RESTART_FLAG..128).contains(&raw_type) {
            let Some(r) = payload.get(pos..pos + RESTART_HEADER_LEN) else {
                return Err(truncated("restart marker header"));
            };
            restart_interval = u16::from_be_bytes([r[0], r[1]]);
            pos += RESTART_HEADER_LEN;
        }
        let rtp_type = raw_type & !TYPE_RESTART_FLAG;
        if rtp_type > 1 {
            return Err(DepacketizeError::UnsupportedPacketType(raw_type));
        }
        if width8 == 0 || height8 == 0 {
            return Err(invalid("zero width or height"));
        }
        if offset == 0 {
            if self.params.is_some() {
                return Err(invalid("two first fragments in one frame"));
            }
            let (tables, used) = self.read_tables(q, &payload[pos..])?;
            pos += used;
            self.params = Some(FrameParams {
                rtp_type,
                width8,
                height8,
                restart_interval,
                tables,
            });
        } else {
            let Some(params) = &self.params else {
                return Err(invalid("fragment before the first one"));
            };
            if (params.rtp_type, params.width8, params.height8) != (rtp_type, width8, height8) {
                return Err(invalid("frame parameters change within a frame"));
            }
            if offset != self.scan.len() {
                return Err(invalid(
                    "fragment offset does not follow the previous fragment",
                ));
            }
        }
        let data = &payload[pos..];
        if self.scan.len() + data.len() > MAX_UNIT_SIZE {
            return Err(DepacketizeError::UnitTooLarge);
        }
        self.scan.extend_from_slice(data);
        Ok(())
    }

    fn finish(&mut self) -> Option<(Bytes, bool)> {
        let params = self.params.take()?;
        let scan = std::mem::take(&mut self.scan);
        if scan.is_empty() {
            return None;
        }
        let mut image = Vec::with_capacity(scan.len() + 1024);
        write_headers(&params, &mut image);
        image.extend_from_slice(&scan);
        if !scan.ends_with(&[0xff, 0xd9]) {
            image.extend_from_slice(&[0xff, 0xd9]);
        }
        Some((Bytes::from(image), true))
    }

    fn discard(&mut self) {
        self.params = None;
        self.scan.clear();
    }
}

/// Appends one marker segment: marker, 16-bit length, body.
fn segment(out: &mut Vec<u8>, marker: u8, body: &[&[u8]]) {
    let len: usize = 2 + body.iter().map(|b| b.len()).sum::<usize>();
    out.extend_from_slice(&[0xff, marker]);
    // Segments written here are at most a few hundred bytes.
    out.extend_from_slice(&(len as u16).to_be_bytes());
    for b in body {
        out.extend_from_slice(b);
    }
}

/// Writes SOI, DQT, SOF0, DHT, DRI and SOS for a baseline YCbCr image with
/// components 1 (Y, tables 0), 2 and 3 (Cb and Cr, tables 1).
fn write_headers(params: &FrameParams, out: &mut Vec<u8>) {
    out.extend_from_slice(&[0xff, 0xd8]);
    segment(
        out,
        0xdb,
        &[&[0x00], &params.tables[..64], &[0x01], &params.tables[64..]],
    );
    let [h1, h0] = (u16::from(params.height8) * 8).to_be_bytes();
    let [w1, w0] = (u16::from(params.width8) * 8).to_be_bytes();
    let luma_sampling = if params.rtp_type == 0 { 0x21 } else { 0x22 };
    segment(
        out,
        0xc0,
        &[&[
            8,
            h1,
            h0,
            w1,
            w0,
            3,
            1,
            luma_sampling,
            0,
            2,
            0x11,
            1,
            3,
            0x11,
            1,
        ]],
    );
    let mut dht = Vec::with_capacity(420);
    for t in &STANDARD_HUFFMAN_TABLES {
        dht.push(t.class_and_id);
        dht.extend_from_slice(&t.counts);
        dht.extend_from_slice(t.symbols);
    }
    segment(out, 0xc4, &[&dht]);
    if params.restart_interval != 0 {
        segment(out, 0xdd, &[&params.restart_interval.to_be_bytes()]);
    }
    segment(out, 0xda, &[&[3, 1, 0x00, 2, 0x11, 3, 0x11, 0, 63, 0]]);
}

/// Rebuilds JPEG images from RFC 2435 packets; use it through
/// [`Depacketizer`](crate::rtp::Depacketizer).
#[derive(Clone, Debug)]
pub struct JpegDepacketizer {
    inner: Reassembler<JpegUnit>,
}

impl JpegDepacketizer {
    pub(crate) fn new() -> Self {
        JpegDepacketizer {
            inner: Reassembler::new(JpegUnit::default()),
        }
    }

    pub(crate) fn push(
        &mut self,
        header: &RtpHeader,
        payload: &Bytes,
        out: &mut Vec<AccessUnit>,
    ) -> Result<(), DepacketizeError> {
        self.inner.push(header, payload, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn push(
        d: &mut JpegDepacketizer,
        seq: u16,
        marker: bool,
        payload: &[u8],
    ) -> Result<Vec<AccessUnit>, DepacketizeError> {
        let h = RtpHeader {
            payload_type: 26,
            marker,
            sequence: seq,
            timestamp: 0,
            ssrc: 1,
        };
        let mut out = Vec::new();
        d.push(&h, &Bytes::copy_from_slice(payload), &mut out)?;
        Ok(out)
    }

    #[test]
    fn q_below_128_uses_the_rfc_tables() {
        let mut d = JpegDepacketizer::new();
        let out = push(&mut d, 0, true, &[0, 0, 0, 0, 1, 50, 2, 2, 0x12, 0x34]).unwrap();
        let image = &out[0].data;
        let dqt = image.windows(2).position(|w| w == [0xff, 0xdb]).unwrap();
        assert_eq!(
            image[dqt + 5..dqt + 5 + 64],
            super::super::tables::LUMA_QUANTIZER
        );
        assert!(image.ends_with(&[0x12, 0x34, 0xff, 0xd9]));
        let sof = image.windows(2).position(|w| w == [0xff, 0xc0]).unwrap();
        assert_eq!(image[sof + 5..sof + 9], [0, 16, 0, 16]);
    }

    #[test]
    fn cached_tables_for_q_128_to_254() {
        let mut d = JpegDepacketizer::new();
        let mut first = vec![0, 0, 0, 0, 0, 200, 1, 1, 0, 0, 0, 64];
        first.extend_from_slice(&[7; 64]);
        first.push(0xaa);
        push(&mut d, 0, true, &first).unwrap();
        // Same Q, tables omitted.
        let out = push(
            &mut d,
            1,
            true,
            &[0, 0, 0, 0, 0, 200, 1, 1, 0, 0, 0, 0, 0xbb],
        )
        .unwrap();
        assert!(out[0].data.windows(64).any(|w| w == [7; 64]));
        // Q = 255 may never omit them, nor may an unknown Q.
        assert!(
            push(
                &mut d,
                2,
                true,
                &[0, 0, 0, 0, 0, 255, 1, 1, 0, 0, 0, 0, 0xbb]
            )
            .is_err()
        );
        assert!(
            push(
                &mut d,
                3,
                true,
                &[0, 0, 0, 0, 0, 201, 1, 1, 0, 0, 0, 0, 0xbb]
            )
            .is_err()
        );
    }

    #[test]
    fn rejects_malformed_payloads() {
        let mut d = JpegDepacketizer::new();
        let bad: [&[u8]; 7] = [
            &[0, 0, 0, 0, 1, 50, 2],                     // short main header
            &[0, 0, 0, 0, 2, 50, 2, 2, 1],               // type 2
            &[0, 0, 0, 0, 1, 0, 2, 2, 1],                // Q 0
            &[0, 0, 0, 0, 65, 50, 2, 2, 0, 1],           // restart header truncated
            &[0, 0, 0, 0, 1, 255, 2, 2, 0, 0, 0],        // quant header truncated
            &[0, 0, 0, 0, 1, 255, 2, 2, 0, 0, 0, 65, 1], // tables truncated
            &[0, 0, 0, 9, 1, 50, 2, 2, 1],               // not the first fragment
        ];
        for (i, payload) in bad.iter().enumerate() {
            assert!(
                push(&mut d, i as u16, true, payload).is_err(),
                "{payload:?}"
            );
        }
        // Offset that skips bytes.
        push(&mut d, 7, false, &[0, 0, 0, 0, 1, 50, 2, 2, 1, 2]).unwrap();
        assert!(push(&mut d, 8, true, &[0, 0, 0, 5, 1, 50, 2, 2, 1]).is_err());
    }
}
