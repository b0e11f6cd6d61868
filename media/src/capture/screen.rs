//! Screen and window capture with `ximagesrc`.
//!
//! Both read a rectangle of the root window: a monitor's, or the area a
//! window covers. A window is deliberately *not* captured through
//! `ximagesrc xid=`: that element reads a window with Xlib, and when the
//! window goes away or is unmapped (closed, minimised) the X server answers
//! the next read with an error, which Xlib's default error handler turns
//! into `exit()` of the whole server. The root window never goes away, and a
//! rectangle kept inside it is always readable. A helper thread follows the
//! window instead: it moves the rectangle when the window moves and ends the
//! stream when the window is closed. (Without a compositing window manager
//! X keeps no pixels for covered windows, so `xid=` would show whatever
//! covers the window too; the rectangle shows the same.)

use std::sync::Arc;
use std::time::Duration;

use gstreamer as gst;
use gstreamer::prelude::*;
use onvif_rtsp_core::media::{Codec, SourceError, VideoOutput};

use super::x11::{self, Area, Display};
use crate::encode::{self, capsfilter};
use crate::gate::Gate;
use crate::plan::{self, VideoTarget};
use crate::track::live_appsink;

/// Frame rate of screen and window capture when none is asked: the
/// manual's default for the live screen (section 2.5.3, `<framerate>`).
const SCREEN_FPS: u32 = 15;

/// How often the window helper checks where its window is.
const FOLLOW_PERIOD: Duration = Duration::from_millis(200);

/// `screenliveN`: monitor `index` of the display.
pub(super) fn build_screen(
    index: u32,
    want: &VideoOutput,
    gate: &Arc<Gate>,
) -> Result<gst::Pipeline, SourceError> {
    let display = Display::open()?;
    let monitors = display.monitors();
    let Some(monitor) = usize::try_from(index).ok().and_then(|i| monitors.get(i)) else {
        let names: Vec<String> = monitors
            .iter()
            .enumerate()
            .map(|(i, m)| format!("{i}: {}", m.name))
            .collect();
        return Err(SourceError::NotFound(format!(
            "no monitor {index} on X display {} (found {}: {})",
            display.name(),
            monitors.len(),
            names.join(", ")
        )));
    };
    let screen = display.screen_size(monitor.screen).unwrap_or((0, 0));
    let area = clip(monitor.area, screen).ok_or_else(|| {
        SourceError::NotFound(format!("monitor {index} lies outside its X screen"))
    })?;
    let display_name = screen_display_name(display.name(), monitor.screen, display.screen());
    let src = ximagesrc(&display_name, area)?;
    build_pipeline(src, area, want, gate)
}

/// `window=TITLE`: the area of the window titled `title` (any case).
pub(super) fn build_window(
    title: &str,
    want: &VideoOutput,
    gate: &Arc<Gate>,
) -> Result<gst::Pipeline, SourceError> {
    let display = Display::open()?;
    let windows = display.windows();
    let Some(window) = x11::find_window(&windows, title) else {
        return Err(SourceError::NotFound(format!(
            "no window titled {title:?} on X display {} (see `onvif-rtsp-server -l window`)",
            display.name()
        )));
    };
    let screen = display.screen_size(display.screen()).unwrap_or((0, 0));
    let area = display
        .window_area(window.id)
        .and_then(|a| clip(a, screen))
        .ok_or_else(|| {
            SourceError::NotFound(format!("window {title:?} is not visible on the screen"))
        })?;
    let src = ximagesrc(display.name(), area)?;
    let pipeline = build_pipeline(src.clone(), area, want, gate)?;
    let follower = Follower {
        display,
        window: window.id,
        title: window.title.clone(),
        src: src.downgrade(),
        size: (area.width, area.height),
        screen,
        origin: (area.x, area.y),
        gate: gate.clone(),
    };
    let spawned = std::thread::Builder::new()
        .name(format!("window-{}", gate.source().0))
        .spawn(move || follower.run());
    if let Err(e) = spawned {
        // Capture still works; it just stays where the window was.
        tracing::warn!(source = gate.source().0, error = %e, "cannot follow the window");
    }
    Ok(pipeline)
}

/// `ximagesrc` reading `area` of the root window of `display`.
fn ximagesrc(display: &str, area: Area) -> Result<gst::Element, SourceError> {
    let (x, y) = (non_negative(area.x), non_negative(area.y));
    gst::ElementFactory::make("ximagesrc")
        .property("display-name", display)
        // Whole grabs: XDamage saves little on a busy screen and has left
        // stale regions behind on some servers.
        .property("use-damage", false)
        .property("startx", x)
        .property("starty", y)
        // Inclusive corners (ximagesrc computes width = endx - startx + 1).
        .property("endx", x + area.width - 1)
        .property("endy", y + area.height - 1)
        .build()
        .map_err(|e| {
            if gst::ElementFactory::find("ximagesrc").is_none() {
                SourceError::Unsupported(
                    "screen capture needs the GStreamer element `ximagesrc` \
                     (gstreamer1.0-plugins-good)"
                        .into(),
                )
            } else {
                SourceError::Failed(format!("cannot create ximagesrc: {e}"))
            }
        })
}

/// `src ! framerate ! queue ! convert/encode ! appsink`, for a picture of `area`'s size.
fn build_pipeline(
    src: gst::Element,
    area: Area,
    want: &VideoOutput,
    gate: &Arc<Gate>,
) -> Result<gst::Pipeline, SourceError> {
    let target: VideoTarget =
        plan::capture_video_target(want, Some((area.width, area.height)), SCREEN_FPS);
    let fps = i32::try_from(target.framerate.unwrap_or(SCREEN_FPS)).unwrap_or(15);
    let pipeline = gst::Pipeline::builder()
        .name(format!("capture-{}", gate.source().0))
        .build();
    // The rate on ximagesrc's own caps: it then grabs only that often (it
    // paces itself on the clock), instead of as fast as it can.
    let mut chain = vec![
        src,
        capsfilter(
            gst::Caps::builder("video/x-raw")
                .field("framerate", gst::Fraction::new(fps, 1))
                .build(),
        )?,
        encode::queue()?,
    ];
    chain.extend(encode::video_transcode(&target, true)?);
    chain.push(live_appsink(gate, Codec::Video(target.codec))?);
    encode::add_and_link(pipeline.upcast_ref(), &chain)?;
    gate.all_slots_added();
    Ok(pipeline)
}

/// Keeps a window capture on its window (see the module docs).
struct Follower {
    display: Display,
    window: u32,
    title: String,
    src: gst::glib::WeakRef<gst::Element>,
    /// The captured size, fixed when the stream started.
    size: (u32, u32),
    /// The root window's size: the rectangle must stay inside it.
    screen: (u32, u32),
    /// Where the rectangle is now.
    origin: (i32, i32),
    gate: Arc<Gate>,
}

impl Follower {
    fn run(mut self) {
        while !self.gate.is_stopped() {
            std::thread::sleep(FOLLOW_PERIOD);
            let Some(src) = self.src.upgrade() else {
                return;
            };
            if !self.display.window_exists(self.window) {
                self.gate.fail(SourceError::NotFound(format!(
                    "window {:?} was closed",
                    self.title
                )));
                return;
            }
            // A window being (un)mapped or moved between requests has no
            // position for an instant; keep the last one then.
            let Some(area) = self.display.window_position(self.window) else {
                continue;
            };
            let origin = origin_within(area, self.size, self.screen);
            if origin != self.origin {
                self.origin = origin;
                let (x, y) = (non_negative(origin.0), non_negative(origin.1));
                // Read by ximagesrc at every grab; the size stays the same,
                // so the caps do not change and the rectangle stays inside
                // the root window.
                src.set_property("startx", x);
                src.set_property("starty", y);
                src.set_property("endx", x + self.size.0 - 1);
                src.set_property("endy", y + self.size.1 - 1);
            }
        }
    }
}

/// The part of `area` inside a root window of `screen` size, with even
/// width and height (4:2:0 needs them); `None` when nothing is left.
fn clip(area: Area, screen: (u32, u32)) -> Option<Area> {
    let (sw, sh) = (i64::from(screen.0), i64::from(screen.1));
    let x0 = i64::from(area.x).clamp(0, sw);
    let y0 = i64::from(area.y).clamp(0, sh);
    let x1 = (i64::from(area.x) + i64::from(area.width)).clamp(0, sw);
    let y1 = (i64::from(area.y) + i64::from(area.height)).clamp(0, sh);
    let width = u32::try_from((x1 - x0) & !1).ok()?;
    let height = u32::try_from((y1 - y0) & !1).ok()?;
    (width >= 2 && height >= 2).then(|| Area {
        x: i32::try_from(x0).unwrap_or(0),
        y: i32::try_from(y0).unwrap_or(0),
        width,
        height,
    })
}

/// Where a rectangle of `size` goes to show the window now at `area`: its
/// top-left corner, pushed back inside the screen.
fn origin_within(area: Area, size: (u32, u32), screen: (u32, u32)) -> (i32, i32) {
    let max_x = i64::from(screen.0) - i64::from(size.0);
    let max_y = i64::from(screen.1) - i64::from(size.1);
    let x = i64::from(area.x).clamp(0, max_x.max(0));
    let y = i64::from(area.y).clamp(0, max_y.max(0));
    (i32::try_from(x).unwrap_or(0), i32::try_from(y).unwrap_or(0))
}

fn non_negative(v: i32) -> u32 {
    u32::try_from(v).unwrap_or(0)
}

/// The display name that makes `ximagesrc` open X screen `screen`:
/// `$DISPLAY` itself for its own screen, else `host:N.screen`.
fn screen_display_name(display: &str, screen: usize, default: usize) -> String {
    if screen == default {
        return display.to_owned();
    }
    let (host, rest) = display.rsplit_once(':').unwrap_or(("", display));
    let number = rest.split('.').next().unwrap_or(rest);
    format!("{host}:{number}.{screen}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn area(x: i32, y: i32, width: u32, height: u32) -> Area {
        Area {
            x,
            y,
            width,
            height,
        }
    }

    #[test]
    fn clips_to_the_screen_with_even_sizes() {
        let screen = (640, 480);
        assert_eq!(
            clip(area(0, 0, 640, 480), screen),
            Some(area(0, 0, 640, 480))
        );
        assert_eq!(
            clip(area(10, 20, 301, 199), screen),
            Some(area(10, 20, 300, 198))
        );
        assert_eq!(
            clip(area(-50, 400, 200, 200), screen),
            Some(area(0, 400, 150, 80))
        );
        assert_eq!(clip(area(700, 0, 100, 100), screen), None);
        assert_eq!(clip(area(639, 0, 100, 100), screen), None);
    }

    #[test]
    fn moved_windows_keep_the_rectangle_on_screen() {
        let screen = (640, 480);
        assert_eq!(
            origin_within(area(100, 50, 9, 9), (200, 100), screen),
            (100, 50)
        );
        assert_eq!(
            origin_within(area(600, 450, 9, 9), (200, 100), screen),
            (440, 380)
        );
        assert_eq!(
            origin_within(area(-30, -5, 9, 9), (200, 100), screen),
            (0, 0)
        );
    }

    #[test]
    fn display_names_per_screen() {
        assert_eq!(screen_display_name(":0", 0, 0), ":0");
        assert_eq!(screen_display_name(":0", 1, 0), ":0.1");
        assert_eq!(screen_display_name("host:10.0", 2, 0), "host:10.2");
        assert_eq!(screen_display_name(":1.1", 1, 1), ":1.1");
    }
}
