//! Live capture sources (the manual's sections 2.11 and 2.12): screens and
//! application windows of the X display, cameras and microphones.
//!
//! ```text
//! ximagesrc (region) ! framerate caps ! queue ! convert/encode ! appsink   screen, window
//! <camera element> ! decodebin ! queue ! convert/encode ! appsink          videodevice
//! <microphone element> ! queue ! convert/encode ! appsink                  audiodevice
//! ```
//!
//! All are live, like the test pattern: one pipeline per source spec,
//! shared by every reader, paced by the device. A device that is not there
//! is a [`SourceError::NotFound`] naming the cause, found before any
//! pipeline is built.
//!
//! Numbering, as `onvif-rtsp-server -l ...` prints it:
//! * `screenliveN`: the RandR monitors of the display's screen, in the order
//!   `xrandr --listmonitors` shows (falls back to the X screens of the
//!   display when RandR reports none); see [`x11::Display::monitors`].
//! * `videodeviceN` / `audiodeviceN`: GStreamer's device monitor list of
//!   `Video/Source` / `Audio/Source` devices (V4L2, PipeWire, PulseAudio,
//!   ALSA, whatever providers are installed), in its order.

mod devices;
mod screen;
mod x11;

use std::sync::Arc;

use gstreamer as gst;
use onvif_rtsp_core::media::{DeviceSource, SourceError, SourceSpec};

use crate::error::MediaError;
use crate::gate::Gate;

pub(crate) use devices::Class;

/// Builds the pipeline of capture device `device` for `spec`; its one track
/// reports to `gate`.
pub(crate) fn build(
    device: &DeviceSource,
    spec: &SourceSpec,
    gate: &Arc<Gate>,
) -> Result<gst::Pipeline, SourceError> {
    match device {
        DeviceSource::Screen { monitor } => screen::build_screen(*monitor, &spec.video, gate),
        DeviceSource::Window { title } => screen::build_window(title, &spec.video, gate),
        DeviceSource::Video(selector) => {
            devices::build_video(&devices::select(Class::Video, selector)?, &spec.video, gate)
        }
        DeviceSource::Audio(selector) => {
            devices::build_audio(&devices::select(Class::Audio, selector)?, &spec.audio, gate)
        }
    }
}

/// The display names of the cameras, in `videodeviceN` order.
pub fn list_video_devices() -> Result<Vec<String>, MediaError> {
    list_devices(Class::Video)
}

/// The display names of the audio capture devices, in `audiodeviceN` order.
pub fn list_audio_devices() -> Result<Vec<String>, MediaError> {
    list_devices(Class::Audio)
}

fn list_devices(class: Class) -> Result<Vec<String>, MediaError> {
    gst::init().map_err(|e| MediaError::Init(e.to_string()))?;
    Ok(devices::devices(class)
        .iter()
        .map(devices::display_name)
        .collect())
}

/// The titles of the application windows that `window=TITLE` can capture
/// (mapped, titled), bottom of the stack first. `Err` when there is no X
/// display to ask.
pub fn list_windows() -> Result<Vec<String>, SourceError> {
    let display = x11::Display::open()?;
    Ok(display.windows().into_iter().map(|w| w.title).collect())
}

/// The monitors `screenliveN` captures, in N order, each as
/// `NAME WxH+X+Y`. `Err` when there is no X display to ask.
pub fn list_monitors() -> Result<Vec<String>, SourceError> {
    let display = x11::Display::open()?;
    Ok(display
        .monitors()
        .iter()
        .map(|m| {
            let a = m.area;
            format!("{} {}x{}+{}+{}", m.name, a.width, a.height, a.x, a.y)
        })
        .collect())
}
