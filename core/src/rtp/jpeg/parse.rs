//! Reading a baseline JPEG (JFIF) image far enough to send it with RFC
//! 2435: its quantization tables, size, sampling, restart interval and the
//! entropy-coded scan. Everything else (APPn, COM, the Huffman tables, which
//! must be the standard ones) is left behind; the receiver rebuilds it.

use std::ops::Range;

use super::tables::is_standard_huffman;
use crate::rtp::PacketizeError;

/// The largest width or height RFC 2435 can express (255 blocks of 8).
pub(crate) const MAX_DIMENSION: u16 = 2040;

/// What RFC 2435 needs from a baseline JPEG image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct JpegImage {
    /// RFC 2435 type: 0 for 4:2:2 (Y sampled 2x1), 1 for 4:2:0 (Y 2x2);
    /// without the +64 that signals restart markers.
    pub(crate) rtp_type: u8,
    /// Image width in pixels.
    pub(crate) width: u16,
    /// Image height in pixels.
    pub(crate) height: u16,
    /// The DRI restart interval in MCUs; 0 when the image has none.
    pub(crate) restart_interval: u16,
    /// The luma quantization table (64 bytes, zig-zag order, as in DQT).
    pub(crate) luma_table: Range<usize>,
    /// The chroma quantization table.
    pub(crate) chroma_table: Range<usize>,
    /// The entropy-coded scan data, from after the SOS header up to (not
    /// including) the EOI marker.
    pub(crate) scan: Range<usize>,
}

#[derive(Clone, Copy, Debug, Default)]
struct Component {
    id: u8,
    sampling: u8,
    table: u8,
}

struct FrameHeader {
    width: u16,
    height: u16,
    components: [Component; 3],
}

fn invalid(offset: usize, reason: &'static str) -> PacketizeError {
    PacketizeError::InvalidJpeg { offset, reason }
}

fn unsupported(why: &'static str) -> PacketizeError {
    PacketizeError::UnsupportedJpeg(why)
}

/// Parses a JPEG image; errors name the byte offset of the problem.
pub(crate) fn parse_jpeg(data: &[u8]) -> Result<JpegImage, PacketizeError> {
    if !data.starts_with(&[0xff, 0xd8]) {
        return Err(invalid(0, "missing SOI marker"));
    }
    let mut tables: [Option<Range<usize>>; 4] = Default::default();
    let mut frame: Option<FrameHeader> = None;
    let mut restart_interval = 0;
    let mut pos = 2;
    loop {
        if data.get(pos) != Some(&0xff) {
            return Err(invalid(pos, "expected a marker"));
        }
        // Any number of 0xff fill bytes may precede the marker code.
        while data.get(pos) == Some(&0xff) {
            pos += 1;
        }
        let Some(&code) = data.get(pos) else {
            return Err(invalid(pos, "truncated marker"));
        };
        pos += 1;
        match code {
            // Standalone markers have no length field.
            0x01 | 0xd0..=0xd7 => continue,
            0xd8 | 0xd9 => return Err(invalid(pos - 2, "SOI or EOI before the scan")),
            _ => {}
        }
        let Some(&[hi, lo]) = data.get(pos..pos + 2) else {
            return Err(invalid(pos, "truncated segment length"));
        };
        let len = usize::from(u16::from_be_bytes([hi, lo]));
        if len < 2 || pos + len > data.len() {
            return Err(invalid(pos, "segment overruns the image"));
        }
        let body = pos + 2..pos + len;
        pos += len;
        match code {
            0xdb => read_dqt(data, body, &mut tables)?,
            0xc0 => frame = Some(read_sof0(data, body)?),
            0xc4 => check_dht(data, body)?,
            // SOF1..SOF15 (0xc4 DHT, 0xc8 JPG, 0xcc DAC are not frames).
            0xc1..=0xcf if code != 0xc8 && code != 0xcc => {
                return Err(unsupported("not a baseline (SOF0) image"));
            }
            0xdd => {
                let [hi, lo] = data[body] else {
                    return Err(invalid(pos - len, "DRI segment is not 4 bytes"));
                };
                restart_interval = u16::from_be_bytes([hi, lo]);
            }
            0xda => {
                let Some(frame) = frame else {
                    return Err(invalid(body.start, "scan before the frame header"));
                };
                check_sos(data, body.clone(), &frame)?;
                return finish(data, pos, &frame, &tables, restart_interval);
            }
            _ => {} // APPn, COM, DNL...: not needed.
        }
    }
}

/// Records each table of a DQT segment (several may share one segment).
fn read_dqt(
    data: &[u8],
    body: Range<usize>,
    tables: &mut [Option<Range<usize>>; 4],
) -> Result<(), PacketizeError> {
    let mut pos = body.start;
    while pos < body.end {
        let pq_tq = data[pos];
        if pq_tq >> 4 != 0 {
            return Err(unsupported("16-bit quantization tables"));
        }
        let id = usize::from(pq_tq & 0x0f);
        let table = pos + 1..pos + 65;
        if id > 3 || table.end > body.end {
            return Err(invalid(pos, "bad DQT table"));
        }
        tables[id] = Some(table.clone());
        pos = table.end;
    }
    Ok(())
}

fn read_sof0(data: &[u8], body: Range<usize>) -> Result<FrameHeader, PacketizeError> {
    let b = &data[body.clone()];
    let [precision, h1, h0, w1, w0, count, rest @ ..] = b else {
        return Err(invalid(body.start, "truncated SOF0"));
    };
    if *precision != 8 {
        return Err(unsupported("sample precision other than 8 bits"));
    }
    if *count != 3 {
        return Err(unsupported("not a 3-component YCbCr image"));
    }
    if rest.len() < 9 {
        return Err(invalid(body.start, "truncated SOF0 components"));
    }
    let height = u16::from_be_bytes([*h1, *h0]);
    let width = u16::from_be_bytes([*w1, *w0]);
    if width == 0 || height == 0 {
        return Err(unsupported("zero width or height (DNL)"));
    }
    if width > MAX_DIMENSION || height > MAX_DIMENSION {
        return Err(unsupported("width or height above 2040 pixels"));
    }
    let mut components = [Component::default(); 3];
    for (c, raw) in components.iter_mut().zip(rest.chunks_exact(3)) {
        *c = Component {
            id: raw[0],
            sampling: raw[1],
            table: raw[2],
        };
    }
    Ok(FrameHeader {
        width,
        height,
        components,
    })
}

/// RFC 2435 receivers use the standard Huffman tables whatever the image
/// says, so an image coded with other tables would decode as garbage.
fn check_dht(data: &[u8], body: Range<usize>) -> Result<(), PacketizeError> {
    let mut pos = body.start;
    while pos < body.end {
        let class_and_id = data[pos];
        let Some(counts) = data.get(pos + 1..pos + 17).filter(|_| pos + 17 <= body.end) else {
            return Err(invalid(pos, "truncated DHT table"));
        };
        let n: usize = counts.iter().map(|&c| usize::from(c)).sum();
        let symbols = pos + 17..pos + 17 + n;
        if symbols.end > body.end {
            return Err(invalid(pos, "truncated DHT table"));
        }
        // Destinations 2 and 3 are never referenced by a scan we accept.
        if class_and_id & 0x0f < 2
            && !is_standard_huffman(class_and_id, counts, &data[symbols.clone()])
        {
            return Err(unsupported(
                "non-standard Huffman tables (RFC 2435 receivers assume the standard ones)",
            ));
        }
        pos = symbols.end;
    }
    Ok(())
}

/// The scan must be the single interleaved Y, Cb, Cr scan of a baseline
/// image, with luma on Huffman tables 0 and chroma on tables 1, as the
/// receiver's rebuilt header will say.
fn check_sos(data: &[u8], body: Range<usize>, frame: &FrameHeader) -> Result<(), PacketizeError> {
    let b = &data[body.clone()];
    let [count, rest @ ..] = b else {
        return Err(invalid(body.start, "truncated SOS"));
    };
    if *count != 3 || rest.len() < 9 {
        return Err(unsupported(
            "scan is not a single interleaved 3-component scan",
        ));
    }
    let expected_tables = [0x00, 0x11, 0x11];
    for ((raw, c), tables) in rest
        .chunks_exact(2)
        .zip(&frame.components)
        .zip(expected_tables)
    {
        if raw[0] != c.id {
            return Err(unsupported("scan components out of frame order"));
        }
        if raw[1] != tables {
            return Err(unsupported(
                "scan uses unexpected Huffman table destinations",
            ));
        }
    }
    Ok(())
}

fn finish(
    data: &[u8],
    scan_start: usize,
    frame: &FrameHeader,
    tables: &[Option<Range<usize>>; 4],
    restart_interval: u16,
) -> Result<JpegImage, PacketizeError> {
    let [y, cb, cr] = frame.components;
    let rtp_type = match (y.sampling, cb.sampling, cr.sampling) {
        (0x21, 0x11, 0x11) => 0,
        (0x22, 0x11, 0x11) => 1,
        _ => return Err(unsupported("chroma sampling other than 4:2:2 or 4:2:0")),
    };
    let table = |id: u8| -> Result<Range<usize>, PacketizeError> {
        tables
            .get(usize::from(id))
            .cloned()
            .flatten()
            .ok_or_else(|| invalid(scan_start, "component uses an undefined quantization table"))
    };
    let luma_table = table(y.table)?;
    let chroma_table = table(cb.table)?;
    // RFC 2435 carries one chroma table for both Cb and Cr.
    if data[table(cr.table)?] != data[chroma_table.clone()] {
        return Err(unsupported("different Cb and Cr quantization tables"));
    }
    // Inside entropy-coded data 0xff is always followed by 0x00 (stuffing)
    // or a restart marker, so the first ff d9 is the EOI.
    let Some(eoi) = data[scan_start..]
        .windows(2)
        .position(|w| w == [0xff, 0xd9])
    else {
        return Err(invalid(data.len(), "missing EOI marker (truncated image)"));
    };
    if eoi == 0 {
        return Err(invalid(scan_start, "empty scan"));
    }
    Ok(JpegImage {
        rtp_type,
        width: frame.width,
        height: frame.height,
        restart_interval,
        luma_table,
        chroma_table,
        scan: scan_start..scan_start + eoi,
    })
}
