//! Cameras and microphones, found with GStreamer's device monitor.
//!
//! The device monitor asks every installed device provider (V4L2, PipeWire,
//! PulseAudio, ALSA, ...) for its devices; a provider that another one
//! covers (PulseAudio under PipeWire) is hidden by GStreamer itself, so a
//! device is listed once. The list order is the monitor's, and it is the
//! same for `-l device` and for `videodeviceN`/`audiodeviceN`, so the index
//! a user reads is the device they get.

use std::sync::Arc;

use gstreamer as gst;
use gstreamer::prelude::*;
use onvif_rtsp_core::media::{AudioOutput, Codec, DeviceSelector, SourceError, VideoOutput};

use crate::encode::{self, make};
use crate::gate::Gate;
use crate::plan;
use crate::track::live_appsink;

/// The frame rate of camera streams when none is asked: the manual's
/// default for cameras (section 2.5.3, `<framerate>`).
const CAMERA_FPS: u32 = 25;

/// Channels of audio device streams when the codec allows more than one and
/// none is asked: the manual's default (section 2.5.3, `<channels>`).
const DEVICE_CHANNELS: u32 = 2;

/// The two kinds of capture device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Class {
    /// Cameras and other video sources (`Video/Source`).
    Video,
    /// Microphones and other audio sources (`Audio/Source`).
    Audio,
}

impl Class {
    /// The device monitor's class filter.
    fn filter(self) -> &'static str {
        match self {
            Class::Video => "Video/Source",
            Class::Audio => "Audio/Source",
        }
    }

    /// What a person calls it.
    fn noun(self) -> &'static str {
        match self {
            Class::Video => "video capture device",
            Class::Audio => "audio capture device",
        }
    }
}

/// The devices of `class`, in the device monitor's order. The monitor is
/// not started: without it running, `devices()` probes each provider once,
/// which is all a one-off look-up needs.
pub(crate) fn devices(class: Class) -> Vec<gst::Device> {
    let monitor = gst::DeviceMonitor::new();
    if monitor.add_filter(Some(class.filter()), None).is_none() {
        tracing::warn!(class = class.filter(), "no device provider for this class");
    }
    monitor.devices().into_iter().collect()
}

/// A device's name as listed and matched.
pub(crate) fn display_name(device: &gst::Device) -> String {
    device.display_name().to_string()
}

/// The device `selector` names, or a 404 that says what exists.
pub(crate) fn select(class: Class, selector: &DeviceSelector) -> Result<gst::Device, SourceError> {
    let devices = devices(class);
    let found = match selector {
        DeviceSelector::Index(i) => usize::try_from(*i).ok().and_then(|i| devices.get(i)),
        DeviceSelector::Name(name) => {
            let wanted = name.to_lowercase();
            devices
                .iter()
                .find(|d| display_name(d).to_lowercase() == wanted)
        }
    };
    if let Some(device) = found {
        return Ok(device.clone());
    }
    let names: Vec<String> = devices
        .iter()
        .map(|d| format!("{:?}", display_name(d)))
        .collect();
    let present = if names.is_empty() {
        "none found".to_owned()
    } else {
        format!("found {}: {}", names.len(), names.join(", "))
    };
    let noun = class.noun();
    Err(SourceError::NotFound(match selector {
        DeviceSelector::Index(i) => format!("no {noun} {i} ({present})"),
        DeviceSelector::Name(n) => format!("no {noun} named {n:?} ({present})"),
    }))
}

/// The element that reads `device`.
fn source_element(device: &gst::Device) -> Result<gst::Element, SourceError> {
    device
        .create_element(None)
        .map_err(|e| SourceError::Failed(format!("cannot open {:?}: {e}", display_name(device))))
}

/// A camera: `device ! decodebin ! queue ! convert/encode ! appsink`.
pub(crate) fn build_video(
    device: &gst::Device,
    want: &VideoOutput,
    gate: &Arc<Gate>,
) -> Result<gst::Pipeline, SourceError> {
    build_video_from(source_element(device)?, want, gate)
}

/// The camera pipeline around any live video source element. `decodebin`
/// takes whatever the camera offers: raw video, or Motion JPEG (which many
/// USB cameras send at their larger sizes) decoded to raw.
pub(crate) fn build_video_from(
    src: gst::Element,
    want: &VideoOutput,
    gate: &Arc<Gate>,
) -> Result<gst::Pipeline, SourceError> {
    // The size is the camera's own unless asked (known only once it runs).
    let target = plan::capture_video_target(want, None, CAMERA_FPS);
    let pipeline = gst::Pipeline::builder()
        .name(format!("camera-{}", gate.source().0))
        .build();
    let decodebin = make("decodebin")?;
    encode::add_and_link(pipeline.upcast_ref(), &[src, decodebin.clone()])?;
    let mut chain = vec![encode::queue()?];
    chain.extend(encode::video_transcode(&target, true)?);
    chain.push(live_appsink(gate, Codec::Video(target.codec))?);
    encode::add_and_link(pipeline.upcast_ref(), &chain)?;
    let head = chain
        .first()
        .and_then(|e| e.static_pad("sink"))
        .ok_or_else(|| SourceError::Failed("camera branch has no sink pad".into()))?;
    let link_gate = gate.clone();
    decodebin.connect_pad_added(move |_, pad| {
        let is_video = pad
            .current_caps()
            .unwrap_or_else(|| pad.query_caps(None))
            .structure(0)
            .is_some_and(|s| s.name().starts_with("video/"));
        if !is_video || head.is_linked() {
            return;
        }
        if let Err(e) = pad.link(&head) {
            link_gate.fail(SourceError::Unsupported(format!(
                "cannot use the camera's video: {e:?}"
            )));
        }
    });
    gate.all_slots_added();
    Ok(pipeline)
}

/// A microphone: `device ! queue ! convert/encode ! appsink`.
pub(crate) fn build_audio(
    device: &gst::Device,
    want: &AudioOutput,
    gate: &Arc<Gate>,
) -> Result<gst::Pipeline, SourceError> {
    build_audio_from(source_element(device)?, want, gate)
}

/// The microphone pipeline around any live raw audio source element.
pub(crate) fn build_audio_from(
    src: gst::Element,
    want: &AudioOutput,
    gate: &Arc<Gate>,
) -> Result<gst::Pipeline, SourceError> {
    let target = plan::live_audio_target(want, DEVICE_CHANNELS);
    let pipeline = gst::Pipeline::builder()
        .name(format!("microphone-{}", gate.source().0))
        .build();
    let mut chain = vec![src, encode::queue()?];
    chain.extend(encode::audio_transcode(&target)?);
    chain.push(live_appsink(gate, Codec::Audio(target.codec))?);
    encode::add_and_link(pipeline.upcast_ref(), &chain)?;
    gate.all_slots_added();
    Ok(pipeline)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use std::sync::mpsc::channel;
    use std::time::{Duration, Instant};

    use onvif_rtsp_core::media::{AudioCodec, MediaEvent, SourceId, SourceKind, VideoCodec};

    use crate::encode::make_with;
    use crate::event::MediaSink;

    /// Runs `build` on a fresh gate until the source is ready and has sent
    /// `frames` frames (or 10 s pass); returns what it said.
    fn run(
        frames: usize,
        build: impl FnOnce(&Arc<Gate>) -> Result<gst::Pipeline, SourceError>,
    ) -> (Vec<MediaEvent>, usize) {
        gst::init().unwrap();
        let (tx, rx) = channel();
        let tx = Mutex::new(tx);
        let sink: MediaSink = Arc::new(move |e| {
            let _ = tx.lock().unwrap().send(e);
        });
        let gate = Arc::new(Gate::new(SourceId(1), sink, true));
        let pipeline = build(&gate).unwrap();
        pipeline.set_state(gst::State::Playing).unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut events = Vec::new();
        let mut count = 0;
        while count < frames {
            let left = deadline.saturating_duration_since(Instant::now());
            let Ok(event) = rx.recv_timeout(left) else {
                break;
            };
            if matches!(event, MediaEvent::Frame { .. }) {
                count += 1;
            } else {
                events.push(event);
            }
        }
        gate.close();
        pipeline.set_state(gst::State::Null).unwrap();
        (events, count)
    }

    #[test]
    fn camera_pipeline_takes_motion_jpeg_and_encodes_h264() {
        // A stand-in camera that sends Motion JPEG, as USB cameras do.
        let (events, frames) = run(10, |gate| {
            let bin = gst::parse::bin_from_description(
                "videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=30/1 ! jpegenc",
                true,
            )
            .unwrap();
            build_video_from(bin.upcast(), &VideoOutput::default(), gate)
        });
        let Some(MediaEvent::Ready { kind, tracks, .. }) = events.first() else {
            panic!("no Ready: {events:?}");
        };
        assert_eq!(*kind, SourceKind::Live);
        assert_eq!(tracks[0].codec, Codec::Video(VideoCodec::H264));
        assert_eq!((tracks[0].width, tracks[0].height), (320, 240));
        assert!(frames >= 10, "{frames} frames");
    }

    #[test]
    fn microphone_pipeline_defaults_to_pcmu() {
        let (events, frames) = run(10, |gate| {
            let src = make_with("audiotestsrc", &[("is-live", "true".into())]).unwrap();
            build_audio_from(src, &AudioOutput::default(), gate)
        });
        let Some(MediaEvent::Ready { tracks, .. }) = events.first() else {
            panic!("no Ready: {events:?}");
        };
        assert_eq!(tracks[0].codec, Codec::Audio(AudioCodec::Pcmu));
        assert_eq!((tracks[0].sample_rate, tracks[0].channels), (8000, 1));
        assert!(frames >= 10, "{frames} frames");
    }

    #[test]
    fn missing_devices_are_not_found_with_the_reason() {
        gst::init().unwrap();
        let err = select(Class::Video, &DeviceSelector::Index(4096)).unwrap_err();
        let SourceError::NotFound(text) = err else {
            panic!("{err:?}");
        };
        assert!(text.starts_with("no video capture device 4096 ("), "{text}");
        let err = select(Class::Audio, &DeviceSelector::Name("No Such Mic".into())).unwrap_err();
        assert!(
            matches!(&err, SourceError::NotFound(t) if t.contains("named \"No Such Mic\"")),
            "{err:?}"
        );
    }
}
