//! File sources: any container GStreamer can demux, read once and as fast as
//! possible.
//!
//! ```text
//! filesrc ! parsebin ─┬─ queue ! parser ! caps ! appsink                  (passthrough)
//!                     ├─ queue ! decoder ! convert ! encoder ! caps ! appsink (transcode)
//!                     └─ fakesink                      (other streams: subtitles, data, ...)
//! ```
//!
//! `parsebin` demuxes and parses without decoding, so a stream whose codec
//! is already the wanted one reaches the core bit-exact. The first video and
//! the first audio stream are served (a source spec describes one of each);
//! further streams are discarded.

use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gstreamer as gst;
use gstreamer::prelude::*;
use onvif_rtsp_core::media::{AudioOutput, Codec, SourceError, SourceSpec, VideoOutput};

use crate::caps::{self, StreamType};
use crate::encode::{self, make, make_with};
use crate::gate::Gate;
use crate::plan::{self, AudioPlan, VideoPlan};
use crate::track::appsink;

/// Resolves a file name under `media_dir`. Absolute names and names with
/// `..` are refused (the core checks too; this layer does not rely on it),
/// and so is anything that is not an existing regular file.
pub(crate) fn resolve(media_dir: &Path, name: &str) -> Result<PathBuf, SourceError> {
    let rel = Path::new(name);
    let plain = !name.is_empty()
        && rel
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    if !plain {
        return Err(SourceError::NotFound(format!(
            "{name}: not a file name inside the media directory"
        )));
    }
    let path = media_dir.join(rel);
    match std::fs::metadata(&path) {
        Ok(meta) if meta.is_file() => Ok(path),
        Ok(_) => Err(SourceError::NotFound(format!("{name}: not a regular file"))),
        Err(_) => Err(SourceError::NotFound(format!(
            "{name}: no such file in the media directory"
        ))),
    }
}

/// Builds the pipeline of file `name`; its tracks report to `gate`.
pub(crate) fn build(
    media_dir: &Path,
    name: &str,
    spec: &SourceSpec,
    gate: &Arc<Gate>,
) -> Result<gst::Pipeline, SourceError> {
    let path = resolve(media_dir, name)?;
    let location = path
        .to_str()
        .ok_or_else(|| SourceError::NotFound(format!("{name}: path is not valid UTF-8")))?;
    let pipeline = gst::Pipeline::builder()
        .name(format!("file-{}", gate.source().0))
        .build();
    // Set typed, not from a string: a string property parsed from text
    // would treat a leading quote specially.
    let src = gst::ElementFactory::make("filesrc")
        .property("location", location)
        .build()
        .map_err(|e| SourceError::Failed(format!("cannot create filesrc: {e}")))?;
    let parsebin = make("parsebin")?;
    encode::add_and_link(pipeline.upcast_ref(), &[src, parsebin.clone()])?;

    let branches = Arc::new(Branches {
        pipeline: pipeline.downgrade(),
        video: spec.video,
        audio: spec.audio,
        gate: gate.clone(),
        taken: Mutex::new(Taken::default()),
    });
    parsebin.connect_pad_added(move |_, pad| branches.on_pad_added(pad));
    let gate = gate.clone();
    parsebin.connect_no_more_pads(move |_| gate.all_slots_added());
    Ok(pipeline)
}

/// Which stream types already have a branch.
#[derive(Default)]
struct Taken {
    video: bool,
    audio: bool,
}

/// Everything the `pad-added` handler needs to grow a branch.
struct Branches {
    pipeline: gst::glib::WeakRef<gst::Pipeline>,
    video: VideoOutput,
    audio: AudioOutput,
    gate: Arc<Gate>,
    taken: Mutex<Taken>,
}

impl Branches {
    /// A stream appeared: claim it (first video, first audio) or discard it.
    ///
    /// parsebin may expose a pad before its caps are fixed (an MP3 pad says
    /// `layer=[1,3]`, a VP9 pad lists alpha and non-alpha variants), and both
    /// the passthrough decision and the decoder choice need the real caps.
    /// So a claimed stream gets its track slot now (before `no-more-pads`,
    /// so `Ready` waits for it) and its branch at its first buffer, from a
    /// blocking probe: by then the caps are fixed, and GStreamer re-sends the
    /// sticky events (stream-start, caps, segment) to the new branch in order.
    fn on_pad_added(self: &Arc<Self>, pad: &gst::Pad) {
        let Some(pipeline) = self.pipeline.upgrade() else {
            return;
        };
        // The demuxer knows the duration once it exposes streams.
        if let Some(duration) = pad.query_duration::<gst::ClockTime>() {
            self.gate
                .set_duration(Duration::from_nanos(duration.nseconds()));
        }
        let caps = pad.current_caps().unwrap_or_else(|| pad.query_caps(None));
        let kind = caps
            .structure(0)
            .map_or(StreamType::Other, caps::stream_type);
        if !self.claim(kind) {
            tracing::debug!(source = self.gate.source().0, %caps, "stream not served");
            if let Err(error) = discard(&pipeline, pad) {
                self.gate.fail(error);
            }
            return;
        }
        let slot = self.gate.add_slot();
        let this = self.clone();
        let probe = pad.add_probe(
            gst::PadProbeType::BLOCK | gst::PadProbeType::BUFFER | gst::PadProbeType::BUFFER_LIST,
            move |pad, _| {
                this.on_first_buffer(pad, slot, kind);
                gst::PadProbeReturn::Remove
            },
        );
        if probe.is_none() {
            self.gate
                .fail(SourceError::Failed("cannot watch a demuxed stream".into()));
        }
    }

    /// Marks the first stream of each type as served; `false` for the rest.
    fn claim(&self, kind: StreamType) -> bool {
        let mut taken = self.taken.lock().unwrap_or_else(|e| e.into_inner());
        let flag = match kind {
            StreamType::Video => &mut taken.video,
            StreamType::Audio => &mut taken.audio,
            StreamType::Other => return false,
        };
        !std::mem::replace(flag, true)
    }

    /// The first buffer of a claimed stream: its caps are fixed, build the branch.
    fn on_first_buffer(&self, pad: &gst::Pad, slot: usize, kind: StreamType) {
        let Some(pipeline) = self.pipeline.upgrade() else {
            return;
        };
        if self.gate.is_stopped() {
            return;
        }
        // Parsers estimate the duration of bare streams (MP3) only from data.
        if let Some(duration) = pad.query_duration::<gst::ClockTime>() {
            self.gate
                .set_duration(Duration::from_nanos(duration.nseconds()));
        }
        let result = match pad.current_caps() {
            Some(caps) => self.add_branch(&pipeline, pad, &caps, kind, slot),
            None => Ok(false),
        };
        match result {
            Ok(true) => {}
            Ok(false) => {
                self.gate.drop_slot(slot);
                if let Err(error) = discard(&pipeline, pad) {
                    self.gate.fail(error);
                }
            }
            Err(error) => self.gate.fail(error),
        }
    }

    /// Builds and links the branch of a video or audio stream with fixed
    /// `caps`. `Ok(false)` when the stream cannot be decoded: it is then
    /// discarded, not fatal, as the other stream may still be served.
    fn add_branch(
        &self,
        pipeline: &gst::Pipeline,
        pad: &gst::Pad,
        caps: &gst::Caps,
        kind: StreamType,
        slot: usize,
    ) -> Result<bool, SourceError> {
        let Some(s) = caps.structure(0) else {
            return Ok(false);
        };
        let source_codec = caps::source_codec(s);
        let mut elements = vec![encode::queue()?];
        let (codec, transcode) = match kind {
            StreamType::Video => {
                let source = match source_codec {
                    Some(Codec::Video(v)) => Some(v),
                    _ => None,
                };
                let plan = plan::plan_video(source, caps::video_props(s), &self.video);
                tracing::debug!(source = self.gate.source().0, ?plan, %caps, "video stream");
                match plan {
                    VideoPlan::Passthrough(c) => elements.extend(encode::video_passthrough(c)?),
                    VideoPlan::Transcode(t) => elements.extend(encode::video_transcode(&t, false)?),
                }
                (plan.codec(), matches!(plan, VideoPlan::Transcode(_)))
            }
            StreamType::Audio => {
                let source = match source_codec {
                    Some(Codec::Audio(a)) => Some(a),
                    _ => None,
                };
                let plan = plan::plan_audio(source, caps::audio_props(s), &self.audio);
                tracing::debug!(source = self.gate.source().0, ?plan, %caps, "audio stream");
                match plan {
                    AudioPlan::Passthrough(c) => elements.extend(encode::audio_passthrough(c)?),
                    AudioPlan::Transcode(t) => elements.extend(encode::audio_transcode(&t)?),
                }
                (plan.codec(), matches!(plan, AudioPlan::Transcode(_)))
            }
            StreamType::Other => return Ok(false),
        };
        if transcode && !caps::is_raw(s) {
            let Some(decoder) = encode::decoder_for(caps) else {
                tracing::warn!(source = self.gate.source().0, %caps, "no decoder installed for stream");
                return Ok(false);
            };
            elements.insert(1, decoder);
        }
        elements.push(appsink(self.gate.clone(), slot, codec, false)?);
        attach(pipeline, pad, &elements)?;
        Ok(true)
    }
}

/// Adds a branch to the running pipeline and links `pad` to its head.
fn attach(
    pipeline: &gst::Pipeline,
    pad: &gst::Pad,
    elements: &[gst::Element],
) -> Result<(), SourceError> {
    encode::add_and_link(pipeline.upcast_ref(), elements)?;
    // Downstream first, so no element pushes into one that is not running yet.
    for element in elements.iter().rev() {
        element
            .sync_state_with_parent()
            .map_err(|e| SourceError::Failed(format!("cannot start {}: {e}", element.name())))?;
    }
    let head = elements
        .first()
        .and_then(|e| e.static_pad("sink"))
        .ok_or_else(|| SourceError::Failed("branch has no sink pad".into()))?;
    pad.link(&head)
        .map_err(|e| SourceError::Unsupported(format!("cannot link stream: {e:?}")))?;
    Ok(())
}

/// Sinks a stream we do not serve, so the demuxer never sees `not-linked`.
fn discard(pipeline: &gst::Pipeline, pad: &gst::Pad) -> Result<(), SourceError> {
    let sink = make_with(
        "fakesink",
        &[("sync", "false".into()), ("async", "false".into())],
    )?;
    attach(pipeline, pad, &[sink])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_refuses_escapes_and_missing_files() {
        let dir = std::env::temp_dir().join(format!("media-resolve-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("sub/a.mp4"), b"x").unwrap();
        assert!(resolve(&dir, "sub/a.mp4").is_ok());
        assert!(resolve(&dir, "./sub/a.mp4").is_ok());
        for bad in [
            "../etc/passwd",
            "sub/../../x",
            "/etc/passwd",
            "",
            "sub",
            "nope.mp4",
        ] {
            assert!(
                matches!(resolve(&dir, bad), Err(SourceError::NotFound(_))),
                "{bad}"
            );
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
