//! Configuration of the media layer.

use std::path::PathBuf;

/// Size and rate of the built-in test pattern when the source spec does not
/// ask for others.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestPatternConfig {
    /// Picture width in pixels (default 640).
    pub width: u32,
    /// Picture height in pixels (default 480).
    pub height: u32,
    /// Frames per second (default 25).
    pub framerate: u32,
}

impl Default for TestPatternConfig {
    fn default() -> Self {
        TestPatternConfig {
            width: 640,
            height: 480,
            framerate: 25,
        }
    }
}

/// Everything the [`MediaEngine`](crate::MediaEngine) needs to know.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MediaConfig {
    /// Directory that file sources are resolved against; names never escape it.
    pub media_dir: PathBuf,
    /// Defaults of the built-in test pattern.
    pub test_pattern: TestPatternConfig,
}

impl MediaConfig {
    /// A configuration serving files from `media_dir`, with the default test pattern.
    pub fn new(media_dir: impl Into<PathBuf>) -> Self {
        MediaConfig {
            media_dir: media_dir.into(),
            test_pattern: TestPatternConfig::default(),
        }
    }
}
