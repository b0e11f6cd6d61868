//! Zero-copy framing of an RTSP connection's byte stream on the client side:
//! `$`-interleaved binary frames (RFC 2326 section 10.12) mixed with text
//! responses.
//!
//! The load generator reads into one fixed buffer per connection and calls
//! [`FrameParser::parse`] on it. A frame is reported as soon as its 4-byte
//! `$` header and the first [`FRAME_HEAD`] bytes of its payload (the fixed
//! RTP header) are in the buffer; the rest of the payload is skipped without
//! being looked at, even across reads, so payload bytes are never copied and
//! the buffer never needs to hold a whole frame. Only a text message (an
//! RTSP response, a few hundred bytes) must fit in the buffer whole; it is
//! handed over as one slice for [`onvif_rtsp_core::rtsp::Decoder`] to parse.

use std::fmt;

/// How many payload bytes of a frame are shown to the caller: the fixed
/// RTP header (RFC 3550 section 5.1).
pub const FRAME_HEAD: usize = 12;

/// One item of the stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Item<'a> {
    /// A `$` frame.
    Frame {
        /// The interleaved channel byte.
        channel: u8,
        /// Payload length from the frame header.
        len: usize,
        /// The first `min(len, FRAME_HEAD)` payload bytes.
        head: &'a [u8],
    },
    /// A whole text message: start line, headers, blank line and
    /// `Content-Length` body.
    Text(&'a [u8]),
}

/// The byte stream cannot be framed any more.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FramingError {
    /// A text message does not start like an RTSP message (the stream lost
    /// sync, or the peer is not an RTSP server).
    NotRtsp,
    /// A text message's `Content-Length` is not a number.
    BadContentLength,
    /// A text message longer than the limit given to [`FrameParser::new`].
    TextTooLong,
}

impl fmt::Display for FramingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FramingError::NotRtsp => "stream lost sync: text that is not RTSP",
            FramingError::BadContentLength => "bad Content-Length",
            FramingError::TextTooLong => "RTSP message too long",
        })
    }
}

impl std::error::Error for FramingError {}

/// Incremental framer; the only state carried between calls is how many
/// payload bytes of the current frame are still to be skipped.
#[derive(Clone, Debug)]
pub struct FrameParser {
    skip: usize,
    max_text: usize,
}

impl FrameParser {
    /// A parser accepting text messages up to `max_text` bytes.
    pub fn new(max_text: usize) -> FrameParser {
        FrameParser { skip: 0, max_text }
    }

    /// Reports every complete item at the start of `buf` to `on_item` and
    /// returns how many bytes were consumed. The caller keeps the unconsumed
    /// tail (at most a frame header plus [`FRAME_HEAD`] bytes, or a partial
    /// text message) and presents it again, followed by new bytes.
    pub fn parse(
        &mut self,
        buf: &[u8],
        mut on_item: impl FnMut(Item<'_>),
    ) -> Result<usize, FramingError> {
        let mut pos = self.skip.min(buf.len());
        self.skip -= pos;
        while pos < buf.len() {
            let rest = &buf[pos..];
            match rest[0] {
                b'$' => {
                    if rest.len() < 4 {
                        break;
                    }
                    let channel = rest[1];
                    let len = usize::from(u16::from_be_bytes([rest[2], rest[3]]));
                    let head_len = len.min(FRAME_HEAD);
                    if rest.len() < 4 + head_len {
                        break;
                    }
                    on_item(Item::Frame {
                        channel,
                        len,
                        head: &rest[4..4 + head_len],
                    });
                    let avail = rest.len() - 4;
                    if avail >= len {
                        pos += 4 + len;
                    } else {
                        self.skip = len - avail;
                        pos = buf.len();
                    }
                }
                // CRLF between messages is allowed (keepalives).
                b'\r' | b'\n' => pos += 1,
                c if c.is_ascii_uppercase() => match text_len(rest)? {
                    Some(total) if total > self.max_text => return Err(FramingError::TextTooLong),
                    Some(total) => {
                        on_item(Item::Text(&rest[..total]));
                        pos += total;
                    }
                    None if rest.len() > self.max_text => return Err(FramingError::TextTooLong),
                    None => break,
                },
                _ => return Err(FramingError::NotRtsp),
            }
        }
        Ok(pos)
    }
}

/// Total length of the text message at the start of `buf` once its head is
/// complete (its body may still be incomplete: then `None`).
fn text_len(buf: &[u8]) -> Result<Option<usize>, FramingError> {
    let Some(head_len) = head_end(buf) else {
        return Ok(None);
    };
    let mut body = 0usize;
    for line in buf[..head_len].split(|&b| b == b'\n') {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        if line[..colon]
            .trim_ascii()
            .eq_ignore_ascii_case(b"content-length")
        {
            body = std::str::from_utf8(line[colon + 1..].trim_ascii())
                .ok()
                .and_then(|v| v.parse().ok())
                .ok_or(FramingError::BadContentLength)?;
        }
    }
    let total = head_len.saturating_add(body);
    Ok((buf.len() >= total).then_some(total))
}

/// Length of the header block including the blank line (`\r\n\r\n` or `\n\n`).
fn head_end(buf: &[u8]) -> Option<usize> {
    let mut i = 0;
    while let Some(off) = buf[i..].iter().position(|&b| b == b'\n') {
        let nl = i + off;
        let after = &buf[nl + 1..];
        if after.first() == Some(&b'\n') {
            return Some(nl + 2);
        }
        if after.starts_with(b"\r\n") {
            return Some(nl + 3);
        }
        i = nl + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(ch: u8, payload: &[u8]) -> Vec<u8> {
        let mut v = vec![b'$', ch];
        v.extend_from_slice(&(payload.len() as u16).to_be_bytes());
        v.extend_from_slice(payload);
        v
    }

    #[derive(Debug, PartialEq)]
    enum Owned {
        Frame(u8, usize, Vec<u8>),
        Text(Vec<u8>),
    }

    /// Feeds `stream` in pieces of `step` bytes the way a reader does, with
    /// a buffer of `cap` bytes.
    fn run(stream: &[u8], step: usize, cap: usize) -> Vec<Owned> {
        let mut p = FrameParser::new(cap);
        let mut buf = vec![0u8; cap];
        let mut filled = 0;
        let mut out = Vec::new();
        let mut src = stream;
        while !src.is_empty() {
            let n = step.min(src.len()).min(cap - filled);
            assert!(n > 0, "buffer full");
            buf[filled..filled + n].copy_from_slice(&src[..n]);
            src = &src[n..];
            let total = filled + n;
            let used = p
                .parse(&buf[..total], |item| {
                    out.push(match item {
                        Item::Frame { channel, len, head } => {
                            Owned::Frame(channel, len, head.to_vec())
                        }
                        Item::Text(t) => Owned::Text(t.to_vec()),
                    })
                })
                .expect("parse");
            buf.copy_within(used..total, 0);
            filled = total - used;
        }
        out
    }

    #[test]
    fn frames_and_text_in_any_split() {
        let resp = b"RTSP/1.0 200 OK\r\nCSeq: 5\r\nContent-Length: 3\r\n\r\nabc".to_vec();
        let big: Vec<u8> = (0..3000u32).map(|i| i as u8).collect();
        let mut stream = resp.clone();
        stream.extend(frame(0, &big));
        stream.extend(b"\r\n");
        stream.extend(frame(1, &[1, 2, 3]));
        stream.extend(frame(2, &[]));
        stream.extend(&resp);
        let expected = vec![
            Owned::Text(resp.clone()),
            Owned::Frame(0, 3000, big[..12].to_vec()),
            Owned::Frame(1, 3, vec![1, 2, 3]),
            Owned::Frame(2, 0, vec![]),
            Owned::Text(resp.clone()),
        ];
        for step in [1, 2, 3, 5, 7, 13, 64, 1000, 10_000] {
            for cap in [128, 1024, 65_536] {
                assert_eq!(run(&stream, step, cap), expected, "step {step} cap {cap}");
            }
        }
    }

    #[test]
    fn lf_only_head_and_no_body() {
        let resp = b"RTSP/1.0 200 OK\nCSeq: 1\n\n".to_vec();
        assert_eq!(run(&resp, 4, 64), vec![Owned::Text(resp.clone())]);
    }

    #[test]
    fn errors() {
        let mut p = FrameParser::new(64);
        assert_eq!(p.parse(b"\x00garbage", |_| {}), Err(FramingError::NotRtsp));
        assert_eq!(
            p.parse(b"RTSP/1.0 200 OK\r\nContent-Length: x\r\n\r\n", |_| {}),
            Err(FramingError::BadContentLength)
        );
        assert_eq!(
            p.parse(&[b'R'; 100], |_| {}),
            Err(FramingError::TextTooLong)
        );
    }
}
