//! The end of every branch: an appsink that turns GStreamer samples into the
//! core's frames and hands them to the source's [`Gate`].

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;
use onvif_rtsp_core::media::{AudioCodec, Codec, SourceError, TrackInfo};

use crate::caps;
use crate::gate::{Gate, RawFrame};

/// Packet time of the sample-based audio codecs (G.711, G.722, G.726): the
/// RTP default (RFC 3551 `ptime` 20) and what cameras send.
const PTIME_PER_SECOND: usize = 50;

/// Frames of look-ahead used to rebuild missing decode times (Matroska
/// stores none): more than the deepest B-frame pyramid in practice.
const DTS_WINDOW: usize = 16;

/// Adds a track to a live source's gate and creates its appsink: the last
/// element of every live chain (test pattern, screens, windows, devices).
pub(crate) fn live_appsink(gate: &Arc<Gate>, codec: Codec) -> Result<gst::Element, SourceError> {
    let slot = gate.add_slot();
    appsink(gate.clone(), slot, codec, true)
}

/// Creates the appsink of track `slot`, whose frames are in `codec`; `live`
/// says the frames are paced in real time (no look-ahead allowed).
///
/// `sync=false`: a file is read as fast as possible, and a live source is
/// already paced by its own clock, so waiting on the pipeline clock would only
/// add latency. `async=false`: no preroll, so a track whose first buffer comes
/// late (an encoder filling up) never holds the others back.
pub(crate) fn appsink(
    gate: Arc<Gate>,
    slot: usize,
    codec: Codec,
    live: bool,
) -> Result<gst::Element, SourceError> {
    let sink = gst_app::AppSink::builder()
        .sync(false)
        .async_(false)
        .enable_last_sample(false)
        .build();
    let state = Arc::new(Mutex::new(TrackState {
        live,
        ..TrackState::default()
    }));
    let eos_state = state.clone();
    let eos_gate = gate.clone();
    sink.set_callbacks(
        gst_app::AppSinkCallbacks::builder()
            .new_sample(move |sink| on_sample(&gate, slot, codec, &state, sink))
            // Runs before the pipeline posts EOS, so held frames precede `Ended`.
            .eos(move |_| {
                let mut st = eos_state.lock().unwrap_or_else(|e| e.into_inner());
                for frame in st.dts_window.flush() {
                    eos_gate.push(slot, frame);
                }
            })
            .build(),
    );
    Ok(sink.upcast())
}

/// What a track remembers between samples.
#[derive(Default)]
struct TrackState {
    /// Set from the first sample's caps; `Some` once the gate knows the format.
    post: Option<PostProcess>,
    /// Where the next buffer starts when it carries no timestamp.
    next_pts: Option<i64>,
    /// Paced in real time: never hold frames back.
    live: bool,
    /// Video frames waiting for a rebuilt decode time.
    dts_window: DtsWindow,
}

fn on_sample(
    gate: &Gate,
    slot: usize,
    codec: Codec,
    state: &Mutex<TrackState>,
    sink: &gst_app::AppSink,
) -> Result<gst::FlowSuccess, gst::FlowError> {
    let sample = sink.pull_sample().map_err(|_| gst::FlowError::Eos)?;
    if gate.is_stopped() {
        // Closed or over: make upstream stop producing until teardown.
        return Err(gst::FlowError::Flushing);
    }
    let mut st = state.lock().unwrap_or_else(|e| e.into_inner());
    let post = match st.post {
        Some(post) => post,
        None => {
            let Some(caps) = sample.caps() else {
                tracing::warn!(
                    source = gate.source().0,
                    slot,
                    "sample without caps dropped"
                );
                return Ok(gst::FlowSuccess::Ok);
            };
            // Some parsers (MP3) only estimate the duration once data flowed;
            // ask again now, before `Ready` can be sent (and without holding
            // the gate's lock while the query travels upstream).
            if let Some(duration) = sink.query_duration::<gst::ClockTime>() {
                gate.set_duration(std::time::Duration::from_nanos(duration.nseconds()));
            }
            let info = caps::track_info(codec, caps);
            tracing::debug!(source = gate.source().0, slot, ?info, %caps, "track format");
            let post = PostProcess::for_track(&info);
            st.post = Some(post);
            gate.set_info(slot, info);
            post
        }
    };
    let Some(buffer) = sample.buffer_owned() else {
        return Ok(gst::FlowSuccess::Ok);
    };
    let segment = sample
        .segment()
        .and_then(|s| s.downcast_ref::<gst::ClockTime>());
    let pts = running_ns(segment, buffer.pts());
    let dts = running_ns(segment, buffer.dts());
    let pts = pts.or(dts).or(st.next_pts).unwrap_or(0);
    st.next_pts = Some(pts.saturating_add(buffer.duration().map_or(0, ns)));
    // Decode times drive the core's pacing of file readers, so they must
    // never go back. Without them (Matroska), reordered video gets rebuilt
    // ones; otherwise presentation order is decode order.
    let rebuild_dts = dts.is_none() && codec.is_video() && !st.live;
    let dts = dts.unwrap_or(pts);
    // Audio frames are all sync points; video ones unless marked delta.
    let keyframe = !codec.is_video() || !buffer.flags().contains(gst::BufferFlags::DELTA_UNIT);
    let Some(data) = frame_bytes(buffer) else {
        tracing::warn!(source = gate.source().0, slot, "unreadable buffer dropped");
        return Ok(gst::FlowSuccess::Ok);
    };
    for (offset, data) in post.apply(data) {
        let frame = RawFrame {
            pts: pts.saturating_add(offset),
            dts: dts.saturating_add(offset),
            keyframe,
            data,
        };
        let ready = if rebuild_dts {
            st.dts_window.push(frame)
        } else {
            let mut ready = st.dts_window.flush();
            ready.push(frame);
            ready
        };
        for frame in ready {
            gate.push(slot, frame);
        }
    }
    Ok(gst::FlowSuccess::Ok)
}

/// Rebuilds decode times of reordered video that has none: each frame's
/// decode time is the smallest presentation time among it and the frames
/// decoded after it (within a window), which is never after its own
/// presentation time and never goes back. Costs `DTS_WINDOW` frames of delay,
/// harmless for files.
#[derive(Debug, Default)]
struct DtsWindow {
    frames: VecDeque<RawFrame>,
    last_dts: Option<i64>,
}

impl DtsWindow {
    fn push(&mut self, frame: RawFrame) -> Vec<RawFrame> {
        self.frames.push_back(frame);
        let mut out = Vec::new();
        while self.frames.len() > DTS_WINDOW {
            out.extend(self.release());
        }
        out
    }

    fn flush(&mut self) -> Vec<RawFrame> {
        let mut out = Vec::with_capacity(self.frames.len());
        while let Some(frame) = self.release() {
            out.push(frame);
        }
        out
    }

    fn release(&mut self) -> Option<RawFrame> {
        let min = self.frames.iter().map(|f| f.pts).min()?;
        let mut frame = self.frames.pop_front()?;
        let dts = self.last_dts.map_or(min, |last| min.max(last));
        frame.dts = dts;
        self.last_dts = Some(dts);
        Some(frame)
    }
}

fn ns(t: gst::ClockTime) -> i64 {
    i64::try_from(t.nseconds()).unwrap_or(i64::MAX)
}

/// A buffer time as signed running time in nanoseconds: the same clock for
/// every track of the pipeline, whatever each stream's segment start is.
fn running_ns(
    segment: Option<&gst::FormattedSegment<gst::ClockTime>>,
    t: Option<gst::ClockTime>,
) -> Option<i64> {
    let t = t?;
    let Some(segment) = segment else {
        return Some(ns(t));
    };
    match segment.to_running_time_full(t)? {
        gst::Signed::Positive(rt) => Some(ns(rt)),
        gst::Signed::Negative(rt) => Some(-ns(rt)),
    }
}

/// What happens to a track's buffers before they become frames.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PostProcess {
    /// Nothing: one buffer is one access unit.
    None,
    /// Sample-based audio: cut into 20 ms frames (zero-copy slices). G.726
    /// stays in the encoder's (AAL2) bit order; the core's packetizer
    /// re-packs it for RFC 3551.
    Chunk {
        chunk_bytes: usize,
        bytes_per_sec: u64,
    },
}

impl PostProcess {
    fn for_track(info: &TrackInfo) -> PostProcess {
        let Codec::Audio(audio) = info.codec else {
            return PostProcess::None;
        };
        let rate = info.sample_rate.max(1) as usize;
        let channels = usize::from(info.channels.max(1));
        let (chunk_bytes, bytes_per_sec) = match audio {
            // One byte per sample and channel; whole sample frames per chunk.
            AudioCodec::Pcma | AudioCodec::Pcmu => (
                (rate / PTIME_PER_SECOND).max(1) * channels,
                (rate * channels) as u64,
            ),
            // 64 kbit/s whatever the sample rate.
            AudioCodec::G722 => (8000 / PTIME_PER_SECOND, 8000),
            AudioCodec::G726 { kbps } => {
                let bytes_per_sec = usize::from(kbps) * 125;
                (
                    (bytes_per_sec / PTIME_PER_SECOND).max(1),
                    bytes_per_sec as u64,
                )
            }
            AudioCodec::Aac | AudioCodec::Opus => return PostProcess::None,
        };
        PostProcess::Chunk {
            chunk_bytes,
            bytes_per_sec,
        }
    }

    /// Splits `data` into frames with their time offsets in nanoseconds.
    fn apply(self, data: Bytes) -> Vec<(i64, Bytes)> {
        let PostProcess::Chunk {
            chunk_bytes,
            bytes_per_sec,
        } = self
        else {
            return vec![(0, data)];
        };
        let mut frames = Vec::with_capacity(data.len().div_ceil(chunk_bytes));
        let mut offset = 0;
        while offset < data.len() {
            let end = (offset + chunk_bytes).min(data.len());
            let at = (offset as u64).saturating_mul(1_000_000_000) / bytes_per_sec.max(1);
            frames.push((
                i64::try_from(at).unwrap_or(i64::MAX),
                data.slice(offset..end),
            ));
            offset = end;
        }
        frames
    }
}

/// A frame's bytes in one compact allocation, which the core's file cache
/// keeps for every reader and every shard (its RTP payloads are slices of
/// it). A buffer that is one memory of about its own size is shared as it
/// is: no copy. Anything else is copied once into a buffer of its own and
/// released: several memories (h264parse puts each start code in a memory
/// of its own) would be merged into a new copy by mapping and kept alive
/// beside it, and a small part of a larger allocation (a demuxer's block
/// holding several audio frames) would keep all of it alive.
fn frame_bytes(buffer: gst::Buffer) -> Option<Bytes> {
    let size = buffer.size();
    let compact = buffer.n_memory() <= 1 && buffer.maxsize() <= size + size / 4 + 256;
    if compact {
        return buffer
            .into_mapped_buffer_readable()
            .ok()
            .map(Bytes::from_owner);
    }
    let mut data = vec![0; size];
    buffer.copy_to_slice(0, &mut data).ok()?;
    Some(Bytes::from(data))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn audio(codec: AudioCodec, rate: u32, channels: u8) -> TrackInfo {
        TrackInfo {
            codec: Codec::Audio(codec),
            clock_rate: rate,
            sample_rate: rate,
            channels,
            width: 0,
            height: 0,
            config: Bytes::new(),
        }
    }

    #[test]
    fn g711_is_cut_into_20ms_frames() {
        let post = PostProcess::for_track(&audio(AudioCodec::Pcmu, 8000, 1));
        let frames = post.apply(Bytes::from(vec![0u8; 1024]));
        let sizes: Vec<_> = frames.iter().map(|(_, d)| d.len()).collect();
        assert_eq!(sizes, vec![160, 160, 160, 160, 160, 160, 64]);
        assert_eq!(frames[1].0, 20_000_000);
        assert_eq!(frames[6].0, 120_000_000);
    }

    #[test]
    fn g726_is_cut_in_encoder_bit_order() {
        let post = PostProcess::for_track(&audio(AudioCodec::G726 { kbps: 32 }, 8000, 1));
        let frames = post.apply(Bytes::from(vec![0x12u8; 200]));
        assert_eq!(frames.len(), 3);
        assert_eq!(frames[0].1.len(), 80);
        assert_eq!(
            frames[0].1[0], 0x12,
            "the core's packetizer re-packs, not the media layer"
        );
        assert_eq!(frames[2].0, 40_000_000);
    }

    #[test]
    fn dts_is_rebuilt_for_reordered_video() {
        let mut window = DtsWindow::default();
        let mut out = Vec::new();
        // I P B B P ... in decode order, 40 ms frames.
        let pts = [0, 160, 80, 40, 120, 320, 240, 200, 280];
        for p in pts {
            out.extend(window.push(RawFrame {
                pts: p,
                dts: p,
                keyframe: false,
                data: Bytes::new(),
            }));
        }
        assert!(out.is_empty(), "held back within the window");
        out.extend(window.flush());
        let dts: Vec<_> = out.iter().map(|f| f.dts).collect();
        assert_eq!(dts, vec![0, 40, 40, 40, 120, 200, 200, 200, 280]);
        assert!(out.iter().all(|f| f.dts <= f.pts));
    }

    #[test]
    fn other_codecs_pass_whole() {
        let post = PostProcess::for_track(&audio(AudioCodec::Aac, 48000, 2));
        assert_eq!(post, PostProcess::None);
        assert_eq!(post.apply(Bytes::from_static(b"abc")).len(), 1);
    }

    #[test]
    fn frames_come_out_compact_shared_when_they_can_be_copied_when_not() {
        gst::init().unwrap();
        // One memory of its own size: shared, no copy.
        let whole = gst::Buffer::from_slice(vec![7u8; 4000]);
        let at = whole.map_readable().unwrap().as_ptr();
        let bytes = frame_bytes(whole).unwrap();
        assert_eq!((bytes.as_ptr(), bytes.len()), (at, 4000));
        // Start code and NAL unit in two memories: one copy, contiguous.
        let mut parts = gst::Buffer::from_slice(vec![0u8, 0, 0, 1]);
        parts
            .get_mut()
            .unwrap()
            .append_memory(gst::Memory::from_slice(vec![0x65u8; 100]));
        let bytes = frame_bytes(parts).unwrap();
        assert_eq!(bytes[..5], [0, 0, 0, 1, 0x65]);
        assert_eq!(bytes.len(), 104);
        // 200 bytes of a 64 KB block: copied, so the block can go.
        let block = gst::Buffer::from_slice(vec![3u8; 65536]);
        let start = block.map_readable().unwrap().as_ptr() as usize;
        let part = block
            .copy_region(gst::BufferCopyFlags::MEMORY, 1000..1200)
            .unwrap();
        drop(block);
        let bytes = frame_bytes(part).unwrap();
        assert_eq!(bytes[..], [3u8; 200][..]);
        let at = bytes.as_ptr() as usize;
        assert!(
            !(start..start + 65536).contains(&at),
            "still inside the block"
        );
    }
}
