//! Element chains per codec: encoders with their settings, and the parsers
//! that put every stream into the exact elementary format the core expects
//! (see `onvif_rtsp_core::media::Frame`).
//!
//! Every chain ends in a capsfilter with [`output_caps`], so a stream that
//! cannot be made into that format fails negotiation loudly instead of
//! reaching the core in the wrong framing.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use gstreamer as gst;
use gstreamer::prelude::*;
use onvif_rtsp_core::media::{AudioCodec, Codec, SourceError, VideoCodec};

use crate::caps::output_caps;
use crate::plan::{AudioTarget, VideoTarget};

/// Elements the server cannot work without (the test pattern, files, and the
/// default H.264 / G.711 / AAC outputs). Alternatives are separated by `|`.
pub(crate) const REQUIRED_ELEMENTS: &[&str] = &[
    "appsink",
    "capsfilter",
    "queue",
    "fakesink",
    "filesrc",
    "parsebin",
    "videotestsrc",
    "audiotestsrc",
    "timeoverlay",
    "videoconvert",
    "videoscale",
    "videorate",
    "audioconvert",
    "audioresample",
    "x264enc",
    "h264parse",
    "mulawenc",
    "aacparse",
    "fdkaacenc|avenc_aac|voaacenc",
];

/// Elements needed only for some codecs; missing ones are reported when a
/// source asks for them.
pub(crate) const OPTIONAL_ELEMENTS: &[&str] = &[
    "x265enc",
    "h265parse",
    "avenc_mpeg4",
    "mpeg4videoparse",
    "jpegenc",
    "jpegparse",
    "alawenc",
    "avenc_g722",
    "avenc_g726",
    "opusenc",
    "opusparse",
    "clockoverlay",
    "ximagesrc",
];

/// AAC encoders by preference: Fraunhofer's, then FFmpeg's, then VisualOn's.
const AAC_ENCODERS: &[&str] = &["fdkaacenc", "avenc_aac", "voaacenc"];

/// `true` when `spec` (a name, or alternatives separated by `|`) is installed.
pub(crate) fn element_available(spec: &str) -> bool {
    spec.split('|')
        .any(|name| gst::ElementFactory::find(name).is_some())
}

/// Creates an element, setting properties from their string forms (so one
/// helper fits unsigned, signed and enum properties alike).
pub(crate) fn make_with(
    factory: &str,
    props: &[(&str, String)],
) -> Result<gst::Element, SourceError> {
    let mut builder = gst::ElementFactory::make(factory);
    for (name, value) in props {
        builder = builder.property_from_str(name, value);
    }
    builder.build().map_err(|e| {
        if gst::ElementFactory::find(factory).is_none() {
            SourceError::Unsupported(format!("GStreamer element `{factory}` is not installed"))
        } else {
            SourceError::Failed(format!("cannot create GStreamer element `{factory}`: {e}"))
        }
    })
}

/// Creates an element with default properties.
pub(crate) fn make(factory: &str) -> Result<gst::Element, SourceError> {
    make_with(factory, &[])
}

/// A capsfilter holding `caps`.
pub(crate) fn capsfilter(caps: gst::Caps) -> Result<gst::Element, SourceError> {
    gst::ElementFactory::make("capsfilter")
        .property("caps", caps)
        .build()
        .map_err(|e| SourceError::Failed(format!("cannot create capsfilter: {e}")))
}

/// The decoupling queue at the head of every branch: each track gets its own
/// streaming thread (decoders and encoders of one track do not stall the
/// others), and its default limits bound how far tracks drift apart.
pub(crate) fn queue() -> Result<gst::Element, SourceError> {
    make("queue")
}

/// The best installed software decoder for `caps`, or `None`.
/// Hardware decoders are skipped: their presence in the registry says nothing
/// about a usable device, and a failing one would fail the whole source.
pub(crate) fn decoder_for(caps: &gst::CapsRef) -> Option<gst::Element> {
    let mut factories: Vec<gst::ElementFactory> = gst::ElementFactory::factories_with_type(
        gst::ElementFactoryType::DECODER,
        gst::Rank::MARGINAL,
    )
    .into_iter()
    .filter(|f| !f.klass().contains("Hardware") && f.can_sink_any_caps(caps))
    .collect();
    factories.sort_by_key(|f| std::cmp::Reverse(f.rank()));
    factories.iter().find_map(|f| f.create().build().ok())
}

/// Raw video conversion and the encoder for a transcoded video stream:
/// `videoconvert ! videoscale ! [videorate] ! I420 caps ! encoder ! parser ! caps`.
/// `live` picks the fastest presets (real time matters more than size).
pub(crate) fn video_transcode(
    target: &VideoTarget,
    live: bool,
) -> Result<Vec<gst::Element>, SourceError> {
    let mut chain = vec![make("videoconvert")?, make("videoscale")?];
    // 8-bit 4:2:0 always: x264/x265 would otherwise pick 4:4:4 or 10-bit
    // profiles from a rich source that few RTSP clients can decode, and
    // RFC 2435 JPEG only carries 4:2:0/4:2:2.
    let mut raw = gst::Caps::builder("video/x-raw").field("format", "I420");
    if let Some(w) = target.width.and_then(|w| i32::try_from(w).ok()) {
        raw = raw.field("width", w);
    }
    if let Some(h) = target.height.and_then(|h| i32::try_from(h).ok()) {
        raw = raw.field("height", h);
    }
    if let Some(fps) = target.framerate.and_then(|f| i32::try_from(f).ok()) {
        chain.push(make("videorate")?);
        raw = raw.field("framerate", gst::Fraction::new(fps, 1));
    }
    chain.push(capsfilter(raw.build())?);
    chain.extend(video_encoder(target, live)?);
    Ok(chain)
}

/// The encoder (and parser) of one video codec.
fn video_encoder(t: &VideoTarget, live: bool) -> Result<Vec<gst::Element>, SourceError> {
    let keyint = t.keyint.max(1).to_string();
    let codec = Codec::Video(t.codec);
    let mut chain = Vec::new();
    match t.codec {
        VideoCodec::H264 => {
            let mut props = vec![
                ("speed-preset", preset(live).to_string()),
                // No B-frames and no lookahead: frames leave in decode order
                // right away (dts == pts), which every packetizer and player
                // handles; the size cost is small at these presets.
                ("tune", "zerolatency".to_string()),
                ("bframes", "0".to_string()),
                ("key-int-max", keyint),
            ];
            if let Some(kbps) = t.bitrate_kbps {
                props.push(("bitrate", kbps.clamp(1, 2_048_000).to_string()));
            }
            chain.push(make_with("x264enc", &props)?);
            chain.push(make_with("h264parse", &[("config-interval", "-1".into())])?);
        }
        VideoCodec::H265 => {
            let mut props = vec![
                ("speed-preset", preset(live).to_string()),
                ("tune", "zerolatency".to_string()),
                ("key-int-max", keyint),
            ];
            if let Some(kbps) = t.bitrate_kbps {
                props.push(("bitrate", kbps.clamp(1, 102_400).to_string()));
            }
            chain.push(make_with("x265enc", &props)?);
            chain.push(make_with("h265parse", &[("config-interval", "-1".into())])?);
        }
        VideoCodec::Mpeg4 => {
            // libav's default of 200 kbit/s is far too low for VGA video.
            let bps = u64::from(t.bitrate_kbps.unwrap_or(2000)) * 1000;
            let props = [
                ("bitrate", bps.min(i32::MAX as u64).to_string()),
                ("gop-size", keyint),
                ("max-bframes", "0".to_string()),
            ];
            let encoder = make_with("avenc_mpeg4", &props)?;
            restore_timestamps(&encoder)?;
            chain.push(encoder);
            // Repeats the VOS/VOL header before every key frame and puts it in
            // the caps' codec_data, which becomes TrackInfo::config.
            chain.push(make_with(
                "mpeg4videoparse",
                &[("config-interval", "-1".into())],
            )?);
        }
        VideoCodec::Jpeg => {
            // JPEG has no bit rate control; quality 85 is jpegenc's default.
            chain.push(make("jpegenc")?);
        }
    }
    chain.push(capsfilter(output_caps(codec))?);
    Ok(chain)
}

/// Gives an encoder's output buffers the timestamps of its input frames, in
/// order. gst-libav 1.22 with FFmpeg 5 stamps every `avenc_mpeg4` output
/// buffer with `i64::MAX` ns; the encoder neither reorders (no B-frames) nor
/// skips frames, so the n-th output belongs to the n-th input. The base class
/// shifts the output segment (by 1000 h, against negative DTS), so times are
/// carried across as running time.
fn restore_timestamps(encoder: &gst::Element) -> Result<(), SourceError> {
    #[derive(Default)]
    struct Carry {
        input: gst::FormattedSegment<gst::ClockTime>,
        output: gst::FormattedSegment<gst::ClockTime>,
        running: VecDeque<Option<gst::ClockTime>>,
    }
    fn time_segment(info: &gst::PadProbeInfo) -> Option<gst::FormattedSegment<gst::ClockTime>> {
        let Some(gst::PadProbeData::Event(event)) = &info.data else {
            return None;
        };
        let gst::EventView::Segment(seg) = event.view() else {
            return None;
        };
        seg.segment().downcast_ref::<gst::ClockTime>().cloned()
    }

    let (Some(sink), Some(src)) = (encoder.static_pad("sink"), encoder.static_pad("src")) else {
        return Err(SourceError::Failed("encoder without static pads".into()));
    };
    let carry: Arc<Mutex<Carry>> = Arc::default();
    let input = carry.clone();
    let probe = gst::PadProbeType::BUFFER | gst::PadProbeType::EVENT_DOWNSTREAM;
    sink.add_probe(probe, move |_, info| {
        let mut c = input.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(segment) = time_segment(info) {
            c.input = segment;
        } else if let Some(gst::PadProbeData::Buffer(buffer)) = &info.data {
            let running = c.input.to_running_time(buffer.pts());
            c.running.push_back(running);
        }
        gst::PadProbeReturn::Ok
    });
    src.add_probe(probe, move |_, info| {
        let mut c = carry.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(segment) = time_segment(info) {
            c.output = segment;
        } else if let Some(gst::PadProbeData::Buffer(buffer)) = &mut info.data {
            let running = c.running.pop_front().flatten();
            if let Some(pts) = running.and_then(|rt| c.output.position_from_running_time(rt)) {
                let buffer = buffer.make_mut();
                buffer.set_pts(pts);
                buffer.set_dts(pts);
            }
        }
        gst::PadProbeReturn::Ok
    });
    Ok(())
}

fn preset(live: bool) -> &'static str {
    if live { "ultrafast" } else { "superfast" }
}

/// Re-framing of a video stream that keeps its codec: parameter sets in-band
/// before every key frame, byte-stream access units, whole JPEG images.
pub(crate) fn video_passthrough(codec: VideoCodec) -> Result<Vec<gst::Element>, SourceError> {
    let cfg = || [("config-interval", "-1".to_string())];
    let parser = match codec {
        VideoCodec::H264 => make_with("h264parse", &cfg())?,
        VideoCodec::H265 => make_with("h265parse", &cfg())?,
        VideoCodec::Mpeg4 => make_with("mpeg4videoparse", &cfg())?,
        VideoCodec::Jpeg => make("jpegparse")?,
    };
    Ok(vec![parser, capsfilter(output_caps(Codec::Video(codec)))?])
}

/// Raw audio conversion and the encoder for a transcoded audio stream:
/// `audioconvert ! audioresample ! caps ! encoder ! [parser] ! caps`.
pub(crate) fn audio_transcode(target: &AudioTarget) -> Result<Vec<gst::Element>, SourceError> {
    let mut chain = vec![make("audioconvert")?, make("audioresample")?];
    let mut raw = gst::Caps::builder("audio/x-raw");
    if let Some(rate) = target.rate.and_then(|r| i32::try_from(r).ok()) {
        raw = raw.field("rate", rate);
    }
    if let Some(ch) = target.channels.and_then(|c| i32::try_from(c).ok()) {
        raw = raw.field("channels", ch);
    }
    chain.push(capsfilter(raw.build())?);
    let bps = |default: u32| u64::from(target.bitrate_kbps.unwrap_or(default)) * 1000;
    match target.codec {
        AudioCodec::Pcma => chain.push(make("alawenc")?),
        AudioCodec::Pcmu => chain.push(make("mulawenc")?),
        AudioCodec::G722 => chain.push(make("avenc_g722")?),
        AudioCodec::G726 { kbps } => {
            if !matches!(kbps, 16 | 24 | 32 | 40) {
                return Err(SourceError::Unsupported(format!(
                    "G.726 at {kbps} kbit/s (16, 24, 32 or 40 are possible)"
                )));
            }
            // libav's `g726` writes code words in AAL2 bit order, which is
            // what the core's packetizer expects (it re-packs for RFC 3551).
            // `avenc_g726le` has no caps mapping in gst-libav 1.22.
            let bitrate = (u32::from(kbps) * 1000).to_string();
            chain.push(make_with("avenc_g726", &[("bitrate", bitrate)])?);
        }
        AudioCodec::Aac => {
            let factory = AAC_ENCODERS
                .iter()
                .copied()
                .find(|f| gst::ElementFactory::find(f).is_some())
                .ok_or_else(|| SourceError::Unsupported("no AAC encoder is installed".into()))?;
            let props: Vec<(&str, String)> = match target.bitrate_kbps {
                Some(kbps) => vec![("bitrate", (u64::from(kbps) * 1000).min(320_000).to_string())],
                None => Vec::new(),
            };
            chain.push(make_with(factory, &props)?);
            chain.push(make("aacparse")?);
        }
        AudioCodec::Opus => {
            let bitrate = bps(64).clamp(4000, 650_000).to_string();
            chain.push(make_with("opusenc", &[("bitrate", bitrate)])?);
        }
    }
    chain.push(capsfilter(output_caps(Codec::Audio(target.codec)))?);
    Ok(chain)
}

/// Re-framing of an audio stream that keeps its codec: raw AAC with its
/// AudioSpecificConfig in the caps (from ADTS, LOAS or a container), Opus
/// packets; G.711/G.722 code words need nothing.
pub(crate) fn audio_passthrough(codec: AudioCodec) -> Result<Vec<gst::Element>, SourceError> {
    let mut chain = Vec::new();
    match codec {
        AudioCodec::Aac => chain.push(make("aacparse")?),
        AudioCodec::Opus => chain.push(make("opusparse")?),
        _ => {}
    }
    chain.push(capsfilter(output_caps(Codec::Audio(codec)))?);
    Ok(chain)
}

/// Adds `elements` to `bin` and links them in order.
pub(crate) fn add_and_link(bin: &gst::Bin, elements: &[gst::Element]) -> Result<(), SourceError> {
    bin.add_many(elements)
        .map_err(|e| SourceError::Failed(format!("cannot add elements: {e}")))?;
    gst::Element::link_many(elements)
        .map_err(|e| SourceError::Failed(format!("cannot link elements: {e}")))
}
