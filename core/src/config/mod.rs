//! The configuration files: `rtsp.cfg` (and later `onvif.cfg`), read leniently, reported strictly.
