//! Motion JPEG over RTP, RFC 2435.
//!
//! RFC 2435 does not send the JPEG headers: every packet carries an 8-byte
//! header (fragment offset, type, Q, size in 8-pixel blocks), and the
//! receiver rebuilds a JFIF header from the type and the quantization
//! tables, assuming the standard Huffman tables. We always send Q = 255 with
//! the image's own tables in the first packet of each frame, so any quality
//! setting of the encoder survives unchanged.

mod depacketize;
mod parse;
mod tables;

use bytes::{BufMut, Bytes, BytesMut};

pub use depacketize::JpegDepacketizer;

use self::parse::parse_jpeg;
use super::packetizer::{PacketizeError, SdpMedia, mark_last};
use super::{PayloadPrefix, RtpPayload};

/// RFC 3551 static payload type of JPEG.
pub const JPEG_PAYLOAD_TYPE: u8 = 26;

/// Length of the main JPEG header in every packet (RFC 2435 section 3.1).
const MAIN_HEADER_LEN: usize = 8;
/// Length of the restart marker header (section 3.1.7).
const RESTART_HEADER_LEN: usize = 4;
/// Quantization table header (section 3.1.8) with two 8-bit tables.
const QUANT_HEADER_LEN: usize = 4 + 128;
/// Type values 64..=127 mean "types 0..=63, with restart markers".
const TYPE_RESTART_FLAG: u8 = 64;
/// Q values 128..=255 mean "tables in the packet"; 255 says they may change
/// with every frame, so the receiver must not cache them.
const Q_DYNAMIC_TABLES: u8 = 255;
/// The fragment offset is 24 bits.
const MAX_SCAN_LEN: usize = (1 << 24) - 1;

/// Packetizes JPEG images; use it through [`Packetizer`](super::Packetizer).
#[derive(Clone, Debug)]
pub struct JpegPacketizer {
    max_payload: usize,
}

impl JpegPacketizer {
    pub(crate) fn new(max_payload: usize) -> Self {
        JpegPacketizer { max_payload }
    }

    pub(crate) fn payload_type(&self) -> u8 {
        JPEG_PAYLOAD_TYPE
    }

    pub(crate) fn sdp_media(&self) -> SdpMedia {
        SdpMedia {
            media: "video",
            payload_type: JPEG_PAYLOAD_TYPE,
            rtpmap: "JPEG/90000".into(),
            fmtp: None,
            extra: Vec::new(),
        }
    }

    pub(crate) fn packetize(
        &mut self,
        frame: &Bytes,
        out: &mut Vec<RtpPayload>,
    ) -> Result<(), PacketizeError> {
        let image = parse_jpeg(frame)?;
        let scan = &frame[image.scan.clone()];
        if scan.len() > MAX_SCAN_LEN {
            return Err(PacketizeError::FrameTooLarge {
                size: scan.len(),
                max: MAX_SCAN_LEN,
            });
        }
        let restart = image.restart_interval != 0;
        let fixed = MAIN_HEADER_LEN + if restart { RESTART_HEADER_LEN } else { 0 };
        if self.max_payload <= fixed + QUANT_HEADER_LEN {
            return Err(PacketizeError::MaxPayloadTooSmall {
                max_payload: self.max_payload,
                needed: fixed + QUANT_HEADER_LEN + 1,
            });
        }
        let rtp_type = image.rtp_type + if restart { TYPE_RESTART_FLAG } else { 0 };
        // Width and height in 8-pixel blocks, rounded up: the MCU count, and
        // so the scan, is the same for the rounded size.
        let width8 = image.width.div_ceil(8) as u8;
        let height8 = image.height.div_ceil(8) as u8;
        let start = out.len();
        let mut offset = 0;
        while offset < scan.len() {
            let first = offset == 0;
            let header_len = fixed + if first { QUANT_HEADER_LEN } else { 0 };
            let n = usize::min(self.max_payload - header_len, scan.len() - offset);
            let mut buf = BytesMut::with_capacity(header_len + n);
            // Type-specific 0, then the 24-bit fragment offset.
            buf.put_u32(offset as u32);
            buf.put_slice(&[rtp_type, Q_DYNAMIC_TABLES, width8, height8]);
            if restart {
                // F = L = 1 and count 0x3fff: fragments are not aligned to
                // restart intervals (RFC 2435 section 3.1.7).
                buf.put_u16(image.restart_interval);
                buf.put_u16(0xffff);
            }
            if first {
                buf.put_slice(&[0, 0]); // MBZ, precision: both tables 8-bit
                buf.put_u16(128);
                buf.put_slice(&frame[image.luma_table.clone()]);
                buf.put_slice(&frame[image.chroma_table.clone()]);
            }
            buf.put_slice(&scan[offset..offset + n]);
            out.push(RtpPayload {
                prefix: PayloadPrefix::EMPTY,
                data: buf.freeze(),
                marker: false,
                ts_offset: 0,
            });
            offset += n;
        }
        mark_last(out, start);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::parse::JpegImage;
    use super::*;
    use crate::media::{Codec, TrackInfo, VideoCodec};
    use crate::rtp::depacketizer::test_util::{round_trip, to_packets};
    use crate::rtp::{Depacketizer, Packetizer};

    /// 64x48 4:2:0 image from `videotestsrc ! jpegenc quality=50`.
    const I420: &[u8] = include_bytes!("../testdata/i420_64x48.jpg");
    /// 64x48 4:2:2 image from `videotestsrc pattern=ball ! jpegenc quality=50`.
    const Y42B: &[u8] = include_bytes!("../testdata/y42b_64x48.jpg");
    /// 32x16 grayscale image from `jpegenc`.
    const GRAY: &[u8] = include_bytes!("../testdata/gray_32x16.jpg");

    fn track() -> TrackInfo {
        TrackInfo {
            codec: Codec::Video(VideoCodec::Jpeg),
            clock_rate: 90_000,
            sample_rate: 0,
            channels: 0,
            width: 64,
            height: 48,
            config: Bytes::new(),
        }
    }

    fn packetize(image: &[u8], max_payload: usize) -> Result<Vec<RtpPayload>, PacketizeError> {
        let mut p = Packetizer::new(&track(), 96, max_payload)?;
        let mut out = Vec::new();
        p.packetize(&Bytes::copy_from_slice(image), &mut out)?;
        Ok(out)
    }

    /// Inserts a DRI segment with the given interval after SOI.
    fn with_restart_interval(image: &[u8], interval: u16) -> Vec<u8> {
        let mut v = image[..2].to_vec();
        v.extend_from_slice(&[0xff, 0xdd, 0, 4]);
        v.extend_from_slice(&interval.to_be_bytes());
        v.extend_from_slice(&image[2..]);
        v
    }

    #[test]
    fn parses_the_test_images() {
        let i420 = parse::parse_jpeg(I420).unwrap();
        assert_eq!((i420.rtp_type, i420.width, i420.height), (1, 64, 48));
        assert_eq!(i420.restart_interval, 0);
        assert_eq!(I420[i420.luma_table.clone()], tables::LUMA_QUANTIZER);
        assert_eq!(I420[i420.chroma_table.clone()], tables::CHROMA_QUANTIZER);
        assert_eq!(I420[i420.scan.end..i420.scan.end + 2], [0xff, 0xd9]);
        let y42b = parse::parse_jpeg(Y42B).unwrap();
        assert_eq!((y42b.rtp_type, y42b.width, y42b.height), (0, 64, 48));
    }

    #[test]
    fn first_packet_carries_the_tables() {
        let out = packetize(I420, 300).unwrap();
        let image = parse::parse_jpeg(I420).unwrap();
        let scan = &I420[image.scan.clone()];
        let first = &out[0].data;
        assert_eq!(first[..8], [0, 0, 0, 0, 1, 255, 8, 6]);
        assert_eq!(first[8..12], [0, 0, 0, 128]);
        assert_eq!(first[12..76], tables::LUMA_QUANTIZER);
        assert_eq!(first[76..140], tables::CHROMA_QUANTIZER);
        assert_eq!(first[140..], scan[..160]);
        let mut offset = 160;
        for p in &out[1..] {
            assert_eq!(p.data[..4], (offset as u32).to_be_bytes());
            assert_eq!(p.data[4..8], [1, 255, 8, 6]);
            assert_eq!(p.data[8..], scan[offset..offset + p.data.len() - 8]);
            offset += p.data.len() - 8;
        }
        assert_eq!(offset, scan.len());
        let markers: Vec<bool> = out.iter().map(|p| p.marker).collect();
        assert_eq!(markers.iter().filter(|m| **m).count(), 1);
        assert_eq!(markers.last(), Some(&true));
        assert!(out.iter().all(|p| p.data.len() <= 300 && p.ts_offset == 0));
    }

    #[test]
    fn restart_interval_sets_type_and_header() {
        let image = with_restart_interval(Y42B, 4);
        let out = packetize(&image, 1388).unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].data[4], 64);
        assert_eq!(out[0].data[8..12], [0, 4, 0xff, 0xff]);
        assert_eq!(out[0].data[12..16], [0, 0, 0, 128]);
    }

    #[test]
    fn sdp_is_static() {
        let p = Packetizer::new(&track(), 96, 1388).unwrap();
        assert_eq!(p.payload_type(), 26);
        let sdp = p.sdp_media().unwrap();
        assert_eq!((sdp.payload_type, sdp.rtpmap.as_str()), (26, "JPEG/90000"));
        assert_eq!(sdp.fmtp, None);
    }

    #[test]
    fn round_trip_rebuilds_an_equivalent_image() {
        for (image, max) in [(I420, 200), (I420, 1388), (Y42B, 150)] {
            let frames = [Bytes::from_static(image), Bytes::from_static(image)];
            let (payloads, units) = round_trip(&track(), max, &frames);
            assert_eq!(units.len(), 2);
            let original = parse::parse_jpeg(image).unwrap();
            for u in &units {
                assert!(u.keyframe);
                let rebuilt = parse::parse_jpeg(&u.data).expect("rebuilt image parses");
                let same = |a: &JpegImage, b: &JpegImage| {
                    (a.rtp_type, a.width, a.height, a.restart_interval)
                        == (b.rtp_type, b.width, b.height, b.restart_interval)
                };
                assert!(same(&original, &rebuilt));
                assert_eq!(u.data[rebuilt.scan.clone()], image[original.scan.clone()]);
                assert_eq!(
                    u.data[rebuilt.luma_table.clone()],
                    image[original.luma_table.clone()]
                );
                assert_eq!(
                    u.data[rebuilt.chroma_table.clone()],
                    image[original.chroma_table.clone()]
                );
                // Sending the rebuilt image again gives the very same payloads.
                assert_eq!(packetize(&u.data, max).unwrap(), payloads[0]);
            }
        }
    }

    #[test]
    fn round_trip_with_restart_markers() {
        let image = Bytes::from(with_restart_interval(I420, 2));
        let (_, units) = round_trip(&track(), 200, &[image]);
        let rebuilt = parse::parse_jpeg(&units[0].data).unwrap();
        assert_eq!(rebuilt.restart_interval, 2);
        assert_eq!(rebuilt.rtp_type, 1);
    }

    #[test]
    fn rejects_unsupported_images() {
        assert!(matches!(
            packetize(GRAY, 1388),
            Err(PacketizeError::UnsupportedJpeg(_))
        ));
        // Progressive: rewrite SOF0 as SOF2.
        let sof = I420.windows(2).position(|w| w == [0xff, 0xc0]).unwrap();
        let mut progressive = I420.to_vec();
        progressive[sof + 1] = 0xc2;
        assert!(matches!(
            packetize(&progressive, 1388),
            Err(PacketizeError::UnsupportedJpeg(_))
        ));
        // 2048 pixels wide.
        let mut wide = I420.to_vec();
        wide[sof + 7..sof + 9].copy_from_slice(&2048u16.to_be_bytes());
        assert!(matches!(
            packetize(&wide, 1388),
            Err(PacketizeError::UnsupportedJpeg(_))
        ));
        // A custom Huffman table: change one symbol of the first DHT.
        let dht = I420.windows(2).position(|w| w == [0xff, 0xc4]).unwrap();
        let mut custom = I420.to_vec();
        custom[dht + 5 + 16] = 0x0b;
        assert!(matches!(
            packetize(&custom, 1388),
            Err(PacketizeError::UnsupportedJpeg(_))
        ));
    }

    #[test]
    fn rejects_truncated_and_malformed_images() {
        for cut in [1, 2, 3, 10, 100, 300, 600, I420.len() - 1] {
            assert!(
                matches!(
                    packetize(&I420[..cut], 1388),
                    Err(PacketizeError::InvalidJpeg { .. })
                ),
                "cut at {cut}"
            );
        }
        assert!(matches!(
            packetize(b"not a jpeg at all", 1388),
            Err(PacketizeError::InvalidJpeg { offset: 0, .. })
        ));
        // A segment length running past the end.
        let mut overrun = I420[..40].to_vec();
        overrun[4..6].copy_from_slice(&0xfff0u16.to_be_bytes());
        assert!(matches!(
            packetize(&overrun, 1388),
            Err(PacketizeError::InvalidJpeg { .. })
        ));
    }

    #[test]
    fn max_payload_must_fit_the_tables() {
        assert_eq!(
            packetize(I420, 140),
            Err(PacketizeError::MaxPayloadTooSmall {
                max_payload: 140,
                needed: 141
            })
        );
        assert!(
            packetize(I420, 141)
                .unwrap()
                .iter()
                .all(|p| p.data.len() <= 141)
        );
    }

    #[test]
    fn depacketizer_drops_frames_with_lost_fragments() {
        let mut p = Packetizer::new(&track(), 96, 200).unwrap();
        let mut d = Depacketizer::new(&track()).unwrap();
        let mut payloads = Vec::new();
        p.packetize(&Bytes::from_static(I420), &mut payloads)
            .unwrap();
        let mut packets = to_packets(&payloads, 26, 10, 0);
        let n = packets.len() as u16;
        packets.remove(1);
        let mut units = Vec::new();
        for packet in &packets {
            d.push_packet(packet, &mut units).unwrap();
        }
        assert!(units.is_empty());
        for packet in to_packets(&payloads, 26, 10 + n, 3000) {
            d.push_packet(&packet, &mut units).unwrap();
        }
        assert_eq!(units.len(), 1);
        assert!(units[0].after_loss);
    }
}
