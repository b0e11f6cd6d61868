//! What H.264 (RFC 6184) and H.265 (RFC 7798) packetization share: single
//! NAL unit packets, aggregation packets and fragmentation units differ only
//! in their header bytes, so one loop serves both codecs and a
//! [`NalSyntax`] supplies the headers.

use std::ops::Range;

use bytes::{BufMut, Bytes, BytesMut};

use super::depacketizer::DepacketizeError;
use super::packetizer::mark_last;
use super::reassembly::MAX_UNIT_SIZE;
use super::{PayloadPrefix, RtpPayload};

/// The 4-byte Annex B start code the depacketizers write before each NAL unit.
pub(crate) const START_CODE: [u8; 4] = [0, 0, 0, 1];

/// The header bytes that distinguish the H.264 and H.265 payload formats.
pub(crate) trait NalSyntax {
    /// Length of the NAL unit header, and of the aggregation packet's
    /// payload header: 1 for H.264, 2 for H.265.
    const HEADER_LEN: usize;
    /// Bytes in front of each fragment: FU indicator + FU header (2) for
    /// H.264, payload header + FU header (3) for H.265.
    const FU_OVERHEAD: usize;

    /// The payload header of an aggregation packet (STAP-A / AP) carrying
    /// these NAL units; only the first [`Self::HEADER_LEN`] bytes are used.
    fn aggregation_header<'a>(nals: impl Iterator<Item = &'a [u8]>) -> [u8; 2];

    /// The headers in front of one fragment of `nal`; only the first
    /// [`Self::FU_OVERHEAD`] bytes are used. The fragmented NAL unit's own
    /// header is not sent: the receiver rebuilds it from these.
    fn fu_header(nal: &[u8], start: bool, end: bool) -> [u8; 3];
}

/// Cuts the NAL units `nals` (ranges into `frame`, none empty nor shorter
/// than a NAL header) of one access unit into payloads.
///
/// Greedy and in order: a NAL unit larger than `max_payload` is fragmented;
/// a run of consecutive NAL units that fit together in one packet (typically
/// parameter sets and SEI before a slice) is aggregated; anything else goes
/// alone as a zero-copy slice of the frame. The last payload gets the marker.
pub(crate) fn packetize_nal_units<S: NalSyntax>(
    frame: &Bytes,
    nals: &[Range<usize>],
    max_payload: usize,
    out: &mut Vec<RtpPayload>,
) {
    let start = out.len();
    let mut i = 0;
    while i < nals.len() {
        let first = nals[i].clone();
        if first.len() > max_payload {
            fragment::<S>(frame, first, max_payload, out);
            i += 1;
            continue;
        }
        // Each aggregated NAL unit costs 2 bytes of size field.
        let mut size = S::HEADER_LEN;
        let mut end = i;
        while end < nals.len() && size + 2 + nals[end].len() <= max_payload {
            size += 2 + nals[end].len();
            end += 1;
        }
        if end - i >= 2 {
            out.push(RtpPayload::new(aggregate::<S>(frame, &nals[i..end], size)));
            i = end;
        } else {
            out.push(RtpPayload::new(frame.slice(first)));
            i += 1;
        }
    }
    mark_last(out, start);
}

/// Builds one aggregation packet of `size` bytes.
fn aggregate<S: NalSyntax>(frame: &Bytes, nals: &[Range<usize>], size: usize) -> Bytes {
    let mut buf = BytesMut::with_capacity(size);
    let header = S::aggregation_header(nals.iter().map(|r| &frame[r.clone()]));
    buf.extend_from_slice(&header[..S::HEADER_LEN]);
    for r in nals {
        // Fits: an aggregated NAL unit is at most max_payload <= 65523 bytes.
        buf.put_u16(r.len() as u16);
        buf.extend_from_slice(&frame[r.clone()]);
    }
    buf.freeze()
}

/// Splits the NAL unit at `nal` in `frame` into fragmentation units of at
/// most `max_payload` bytes. Each is its FU headers (the payload's prefix)
/// and a slice of the frame: nothing is copied.
fn fragment<S: NalSyntax>(
    frame: &Bytes,
    nal: Range<usize>,
    max_payload: usize,
    out: &mut Vec<RtpPayload>,
) {
    let chunk = max_payload - S::FU_OVERHEAD;
    let body = nal.start + S::HEADER_LEN..nal.end;
    let count = body.len().div_ceil(chunk);
    for k in 0..count {
        let start = body.start + k * chunk;
        let end = (start + chunk).min(body.end);
        let header = S::fu_header(&frame[nal.clone()], k == 0, k + 1 == count);
        out.push(RtpPayload {
            prefix: PayloadPrefix::new(&header[..S::FU_OVERHEAD]),
            ..RtpPayload::new(frame.slice(start..end))
        });
    }
}

/// Collects NAL units, whole or in fragments, into one Annex B access unit
/// with 4-byte start codes.
#[derive(Clone, Debug, Default)]
pub(crate) struct AnnexBWriter {
    buf: Vec<u8>,
    in_fragment: bool,
}

impl AnnexBWriter {
    /// Appends a whole NAL unit.
    pub(crate) fn push_nal(&mut self, nal: &[u8]) -> Result<(), DepacketizeError> {
        if self.in_fragment {
            return Err(DepacketizeError::InvalidPayload(
                "NAL unit inside an unfinished fragmented NAL unit",
            ));
        }
        self.reserve(START_CODE.len() + nal.len())?;
        self.buf.extend_from_slice(&START_CODE);
        self.buf.extend_from_slice(nal);
        Ok(())
    }

    /// Appends one fragment; `header` is the rebuilt NAL unit header, written
    /// (after a start code) only with the first fragment.
    pub(crate) fn push_fragment(
        &mut self,
        header: &[u8],
        start: bool,
        end: bool,
        data: &[u8],
    ) -> Result<(), DepacketizeError> {
        if start {
            if self.in_fragment {
                return Err(DepacketizeError::InvalidPayload(
                    "fragment start before the previous fragmented NAL unit ended",
                ));
            }
            self.reserve(START_CODE.len() + header.len() + data.len())?;
            self.buf.extend_from_slice(&START_CODE);
            self.buf.extend_from_slice(header);
        } else {
            if !self.in_fragment {
                return Err(DepacketizeError::InvalidPayload(
                    "fragment continuation without a start",
                ));
            }
            self.reserve(data.len())?;
        }
        self.buf.extend_from_slice(data);
        self.in_fragment = !end;
        Ok(())
    }

    fn reserve(&self, more: usize) -> Result<(), DepacketizeError> {
        if self.buf.len() + more > MAX_UNIT_SIZE {
            return Err(DepacketizeError::UnitTooLarge);
        }
        Ok(())
    }

    /// Takes the finished access unit; `None` when it is empty or ends in
    /// the middle of a fragmented NAL unit (its last fragment was lost).
    pub(crate) fn finish(&mut self) -> Option<Bytes> {
        let complete = !self.in_fragment && !self.buf.is_empty();
        self.in_fragment = false;
        let buf = std::mem::take(&mut self.buf);
        complete.then(|| Bytes::from(buf))
    }

    /// Forgets a partial access unit.
    pub(crate) fn discard(&mut self) {
        self.buf.clear();
        self.in_fragment = false;
    }
}

/// Calls `f` with each NAL unit of an aggregation packet body (after the
/// payload header): a sequence of 16-bit sizes, each followed by that many
/// bytes.
pub(crate) fn for_each_aggregated(
    mut body: &[u8],
    mut f: impl FnMut(&[u8]) -> Result<(), DepacketizeError>,
) -> Result<(), DepacketizeError> {
    if body.is_empty() {
        return Err(DepacketizeError::InvalidPayload("empty aggregation packet"));
    }
    while !body.is_empty() {
        let [hi, lo, rest @ ..] = body else {
            return Err(DepacketizeError::InvalidPayload(
                "aggregation packet truncated in a size field",
            ));
        };
        let len = usize::from(u16::from_be_bytes([*hi, *lo]));
        if len == 0 || len > rest.len() {
            return Err(DepacketizeError::InvalidPayload(
                "aggregated NAL unit size overruns the packet",
            ));
        }
        f(&rest[..len])?;
        body = &rest[len..];
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writer_rejects_fragment_misuse() {
        let mut w = AnnexBWriter::default();
        assert!(w.push_fragment(&[0x65], false, true, &[1]).is_err());
        w.push_fragment(&[0x65], true, false, &[1]).unwrap();
        assert!(w.push_nal(&[0x41]).is_err());
        assert!(w.push_fragment(&[0x65], true, false, &[1]).is_err());
        // An access unit ending mid-fragment is incomplete.
        assert_eq!(w.finish(), None);
        w.push_fragment(&[0x65], true, false, &[1]).unwrap();
        w.push_fragment(&[0x65], false, true, &[2]).unwrap();
        assert_eq!(w.finish().unwrap(), &[0, 0, 0, 1, 0x65, 1, 2][..]);
    }

    #[test]
    fn aggregation_parser_checks_sizes() {
        let mut seen = Vec::new();
        for_each_aggregated(&[0, 1, 0xaa, 0, 2, 0xbb, 0xcc], |n| {
            seen.push(n.to_vec());
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, vec![vec![0xaa], vec![0xbb, 0xcc]]);
        for bad in [&[][..], &[0], &[0, 3, 1, 2], &[0, 0, 1]] {
            assert!(for_each_aggregated(bad, |_| Ok(())).is_err(), "{bad:?}");
        }
    }
}
