//! What the X server says about its monitors and windows, read with x11rb
//! (the X11 protocol in pure Rust: no Xlib, so a window that vanishes
//! between two requests is an `Err`, never Xlib's process-ending error
//! handler).
//!
//! The pixels themselves are read by GStreamer's `ximagesrc`; this module
//! only finds *where* to read them.

use onvif_rtsp_core::media::SourceError;
use x11rb::connection::Connection;
use x11rb::protocol::randr::ConnectionExt as _;
use x11rb::protocol::xproto::{self, AtomEnum, ConnectionExt as _, MapState, Window};
use x11rb::rust_connection::RustConnection;

/// A rectangle of the root window, in pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Area {
    /// Left edge (may be negative for a window partly off screen).
    pub x: i32,
    /// Top edge.
    pub y: i32,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
}

/// One monitor of the display.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Monitor {
    /// The RandR output name (`HDMI-1`, `screen` under Xvfb), or `screen N`
    /// when it comes from the core protocol's screen list.
    pub name: String,
    /// Where it is on the root window of `screen`.
    pub area: Area,
    /// The X screen number whose root window holds it.
    pub screen: usize,
}

/// One application window: mapped, with a title.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct AppWindow {
    /// The X window id.
    pub id: Window,
    /// `_NET_WM_NAME`, else `WM_NAME`.
    pub title: String,
}

/// An open connection to the X display named by `$DISPLAY`.
pub(crate) struct Display {
    conn: RustConnection,
    /// `$DISPLAY` as read, for `ximagesrc display-name=`.
    name: String,
    /// The screen `$DISPLAY` names (`:0.1` is screen 1).
    screen: usize,
}

impl Display {
    /// Connects to `$DISPLAY`. The error is a 404 with the reason, because a
    /// missing display means the screen or window asked for is not there.
    pub(crate) fn open() -> Result<Display, SourceError> {
        let name = std::env::var("DISPLAY").unwrap_or_default();
        if name.is_empty() {
            return Err(SourceError::NotFound(
                "screen capture needs an X display: DISPLAY is not set".into(),
            ));
        }
        let (conn, screen) = x11rb::connect(Some(&name)).map_err(|e| {
            SourceError::NotFound(format!("cannot connect to the X display {name:?}: {e}"))
        })?;
        Ok(Display { conn, name, screen })
    }

    /// The display name, as `ximagesrc` wants it.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// The screen `$DISPLAY` names.
    pub(crate) fn screen(&self) -> usize {
        self.screen
    }

    fn root(&self, screen: usize) -> Option<&xproto::Screen> {
        self.conn.setup().roots.get(screen)
    }

    /// The monitors, in the order `xrandr --listmonitors` shows them: the
    /// RandR 1.5 monitors of the default screen. Without RandR 1.5 (or when
    /// it reports none, as some virtual servers do), each X screen counts as
    /// one monitor, so `screenlive1` is screen 1 of a multi-screen display.
    pub(crate) fn monitors(&self) -> Vec<Monitor> {
        let randr = self.randr_monitors();
        if !randr.is_empty() {
            return randr;
        }
        self.conn
            .setup()
            .roots
            .iter()
            .enumerate()
            .map(|(i, s)| Monitor {
                name: format!("screen {i}"),
                area: Area {
                    x: 0,
                    y: 0,
                    width: u32::from(s.width_in_pixels),
                    height: u32::from(s.height_in_pixels),
                },
                screen: i,
            })
            .collect()
    }

    fn randr_monitors(&self) -> Vec<Monitor> {
        let Some(root) = self.root(self.screen).map(|s| s.root) else {
            return Vec::new();
        };
        // An X server without RandR answers the request with an error, which
        // x11rb reports as an `Err` (no extension -> no monitors).
        let reply = match self.conn.randr_get_monitors(root, true) {
            Ok(cookie) => cookie.reply(),
            Err(e) => return self.no_randr(&e),
        };
        let monitors = match reply {
            Ok(r) => r.monitors,
            Err(e) => return self.no_randr(&e),
        };
        monitors
            .into_iter()
            .filter(|m| m.width > 0 && m.height > 0)
            .map(|m| Monitor {
                name: self.atom_name(m.name).unwrap_or_default(),
                area: Area {
                    x: i32::from(m.x),
                    y: i32::from(m.y),
                    width: u32::from(m.width),
                    height: u32::from(m.height),
                },
                screen: self.screen,
            })
            .collect()
    }

    fn no_randr(&self, error: &dyn std::fmt::Display) -> Vec<Monitor> {
        tracing::debug!(display = %self.name, %error, "no RandR monitors; using X screens");
        Vec::new()
    }

    /// The size of `screen`'s root window.
    pub(crate) fn screen_size(&self, screen: usize) -> Option<(u32, u32)> {
        self.root(screen)
            .map(|s| (u32::from(s.width_in_pixels), u32::from(s.height_in_pixels)))
    }

    fn atom(&self, name: &str) -> Option<xproto::Atom> {
        let atom = self
            .conn
            .intern_atom(false, name.as_bytes())
            .ok()?
            .reply()
            .ok()?
            .atom;
        (atom != u32::from(AtomEnum::NONE)).then_some(atom)
    }

    fn atom_name(&self, atom: xproto::Atom) -> Option<String> {
        let reply = self.conn.get_atom_name(atom).ok()?.reply().ok()?;
        Some(String::from_utf8_lossy(&reply.name).into_owned())
    }

    /// The application windows of the default screen, mapped and titled,
    /// in stacking order from the bottom.
    ///
    /// With a window manager that keeps `_NET_CLIENT_LIST` (every current
    /// one), that list is exactly the application windows. Without one (a
    /// bare Xvfb, a kiosk), the top-level windows are the root's children;
    /// a window manager that reparents but keeps no list puts the titled
    /// window one level further down, in its frame, so that level is
    /// searched too.
    pub(crate) fn windows(&self) -> Vec<AppWindow> {
        let Some(root) = self.root(self.screen).map(|s| s.root) else {
            return Vec::new();
        };
        let names = Names {
            net_wm_name: self.atom("_NET_WM_NAME"),
            utf8: self.atom("UTF8_STRING"),
        };
        let managed = self
            .atom("_NET_CLIENT_LIST")
            .and_then(|list| self.property(root, list, AtomEnum::WINDOW.into()))
            .and_then(|p| p.value32().map(Iterator::collect::<Vec<_>>))
            .filter(|list| !list.is_empty());
        let mut found = Vec::new();
        match managed {
            Some(clients) => {
                for id in clients {
                    if self.viewable(id) {
                        self.push_titled(id, &names, &mut found);
                    }
                }
            }
            None => {
                for id in self.children(root) {
                    if !self.viewable(id) {
                        continue;
                    }
                    if !self.push_titled(id, &names, &mut found) {
                        for child in self.children(id) {
                            if self.viewable(child) && self.push_titled(child, &names, &mut found) {
                                break;
                            }
                        }
                    }
                }
            }
        }
        found
    }

    /// Adds `id` to `found` if it has a title; `true` if it did.
    fn push_titled(&self, id: Window, names: &Names, found: &mut Vec<AppWindow>) -> bool {
        match self.title(id, names) {
            Some(title) => {
                found.push(AppWindow { id, title });
                true
            }
            None => false,
        }
    }

    fn children(&self, window: Window) -> Vec<Window> {
        self.conn
            .query_tree(window)
            .ok()
            .and_then(|c| c.reply().ok())
            .map(|r| r.children)
            .unwrap_or_default()
    }

    fn viewable(&self, window: Window) -> bool {
        self.conn
            .get_window_attributes(window)
            .ok()
            .and_then(|c| c.reply().ok())
            .is_some_and(|a| a.map_state == MapState::VIEWABLE)
    }

    fn property(
        &self,
        window: Window,
        property: xproto::Atom,
        type_: xproto::Atom,
    ) -> Option<xproto::GetPropertyReply> {
        // 64 KiB of 32-bit units: far more than any title or client list.
        let reply = self
            .conn
            .get_property(false, window, property, type_, 0, 16 * 1024)
            .ok()?
            .reply()
            .ok()?;
        (reply.type_ != u32::from(AtomEnum::NONE)).then_some(reply)
    }

    /// `_NET_WM_NAME` (UTF-8) if set, else `WM_NAME` (Latin-1 by the ICCCM;
    /// read as UTF-8 where it is valid, since many programs put UTF-8 there).
    fn title(&self, window: Window, names: &Names) -> Option<String> {
        let utf8 = names
            .net_wm_name
            .zip(names.utf8)
            .and_then(|(prop, utf8)| self.property(window, prop, utf8))
            .map(|p| String::from_utf8_lossy(&p.value).into_owned());
        let title = utf8.filter(|t| !t.is_empty()).or_else(|| {
            self.property(window, AtomEnum::WM_NAME.into(), AtomEnum::ANY.into())
                .map(|p| match String::from_utf8(p.value) {
                    Ok(text) => text,
                    Err(e) => e.into_bytes().into_iter().map(char::from).collect(),
                })
        })?;
        let title = title.trim_end_matches('\0').to_owned();
        (!title.is_empty()).then_some(title)
    }

    /// Where `window` is now, on its screen's root window; `None` once it is
    /// gone or unmapped.
    pub(crate) fn window_area(&self, window: Window) -> Option<Area> {
        if !self.viewable(window) {
            return None;
        }
        self.window_position(window)
    }

    /// Where `window` is, mapped or not; `None` when it is gone (or the
    /// server did not answer).
    pub(crate) fn window_position(&self, window: Window) -> Option<Area> {
        let geometry = self.conn.get_geometry(window).ok()?.reply().ok()?;
        let origin = self
            .conn
            .translate_coordinates(window, geometry.root, 0, 0)
            .ok()?
            .reply()
            .ok()?;
        Some(Area {
            x: i32::from(origin.dst_x),
            y: i32::from(origin.dst_y),
            width: u32::from(geometry.width),
            height: u32::from(geometry.height),
        })
    }

    /// `false` once `window` was destroyed. A connection that broke (the X
    /// server went away) counts as gone too: there is nothing left to show.
    pub(crate) fn window_exists(&self, window: Window) -> bool {
        match self.conn.get_geometry(window) {
            Ok(cookie) => cookie.reply().is_ok(),
            Err(_) => false,
        }
    }
}

/// The atoms of the modern window title, when the server knows them.
struct Names {
    net_wm_name: Option<xproto::Atom>,
    utf8: Option<xproto::Atom>,
}

/// Finds the window titled `wanted`, ignoring case (Unicode lower case, so
/// `ÉDITEUR` finds `éditeur`). The first in the list wins when several share
/// a title.
pub(crate) fn find_window<'a>(windows: &'a [AppWindow], wanted: &str) -> Option<&'a AppWindow> {
    let wanted = wanted.to_lowercase();
    windows.iter().find(|w| w.title.to_lowercase() == wanted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_titles_match_ignoring_case() {
        let windows = vec![
            AppWindow {
                id: 1,
                title: "RtspServer".into(),
            },
            AppWindow {
                id: 2,
                title: "user manual.doc - WPS Office".into(),
            },
            AppWindow {
                id: 3,
                title: "Éditeur".into(),
            },
        ];
        assert_eq!(find_window(&windows, "rtspserver").map(|w| w.id), Some(1));
        assert_eq!(
            find_window(&windows, "USER MANUAL.DOC - wps office").map(|w| w.id),
            Some(2)
        );
        assert_eq!(find_window(&windows, "éDITEUR").map(|w| w.id), Some(3));
        assert_eq!(find_window(&windows, "rtsp"), None);
    }
}
