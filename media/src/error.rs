//! Errors of the media engine itself (per-source errors are
//! [`SourceError`](onvif_rtsp_core::media::SourceError)s delivered as events).

use std::fmt;

/// Why the [`MediaEngine`](crate::MediaEngine) could not start.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MediaError {
    /// GStreamer itself failed to initialise.
    Init(String),
    /// GStreamer elements the server cannot work without are not installed.
    /// Each entry names an element, or alternatives separated by `|`.
    MissingElements(Vec<String>),
}

impl fmt::Display for MediaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MediaError::Init(m) => write!(f, "cannot initialise GStreamer: {m}"),
            MediaError::MissingElements(names) => write!(
                f,
                "required GStreamer elements are not installed: {} \
                 (install the GStreamer base/good/bad/ugly/libav plugin packages)",
                names.join(", ")
            ),
        }
    }
}

impl std::error::Error for MediaError {}
